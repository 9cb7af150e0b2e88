//! One workload on every machine (`#/compare`): the settings (a preset and its sizes, the
//! same for all five), each machine's run built and worked in bounded slices one after the
//! other, and the table, timeline and roofline filled from what the engines measured.
//!
//! Each machine runs in the configuration its own simulator page starts with (its mesh,
//! tiles, tile or chip size for this preset), so a column here and that page with the same
//! preset show the same numbers. A machine that cannot run the workload keeps its column,
//! with the engine's or the page's sentence saying why.

use course::SimArch;
use sim::metrics::RunMetrics;
use sim::units::{Cycle, thousands};

use super::form::{Preset, SimForm, SimSetup, WORKLOAD_FIELDS};
use super::session::SpanKind;
use super::session::{SimSession, Span, UNIT_CYCLES_PER_FRAME};
use super::text::{RooflineData, compare_rows, roofline_data, short_name};
use super::{Machine, machines};
use serde::{Deserialize, Serialize};

/// Machine settings the comparison fixes so that every machine does the same work, one pass
/// of the workload: the RDU streams one micro-batch (its own page streams several to show the
/// pipeline's steady state). A key a machine does not have is ignored by its form.
pub const SAME_WORK: [(&str, &str); 1] = [("micro_batches", "1")];

/// The workloads the page offers, in its list's order.
pub const PRESETS: [Preset; 4] = [Preset::Gemv, Preset::Mlp, Preset::Cnn, Preset::BertLayer];

/// A comparison's settings: the preset and its sizes, as a URL query holds them
/// (`preset=bert-layer&seq=128`). Only the workload's keys are kept: every machine takes its
/// own page's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareSetup {
    /// The preset.
    pub preset: Preset,
    /// `(key, value)` of the preset's size fields, in form order.
    pub sizes: Vec<(&'static str, String)>,
    /// The workload's name ("BERT-tiny encoder layer, sequence 128").
    pub workload: String,
}

impl CompareSetup {
    /// The setup a URL query describes; missing sizes take the preset's defaults.
    ///
    /// # Errors
    /// The sentence for an unknown preset or a bad size, as the simulator pages say it.
    pub fn from_query(query: &[(String, String)]) -> Result<Self, String> {
        // The GPU model runs every preset and refuses nothing of its own, so what it refuses
        // is the workload.
        let gpu: &dyn Machine = &super::gpu::GpuMachine;
        let kept: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k == "preset" || WORKLOAD_FIELDS.iter().any(|f| f.key == k))
            .cloned()
            .collect();
        let form = SimForm::from_query(gpu, &kept);
        let setup = form.parse(gpu)?;
        let workload = setup.workload().map_err(|e| super::sentence(&e))?;
        let sizes = super::form::preset_fields(setup.preset)
            .iter()
            .map(|f| (f.key, form.field(f).trim().to_owned()))
            .collect();
        Ok(Self {
            preset: setup.preset,
            sizes,
            workload: workload.name,
        })
    }

    /// The URL query of this setup.
    pub fn query(&self) -> Vec<(String, String)> {
        std::iter::once(("preset".to_owned(), self.preset.as_str().to_owned()))
            .chain(self.sizes.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
            .collect()
    }

    /// The address of the compare page with this setup.
    pub fn href(&self) -> String {
        let query = self.query();
        format!(
            "#/compare?{}",
            crate::query::write(query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        )
    }

    /// The query every machine's form reads: the workload, and [`SAME_WORK`].
    fn machine_query(&self) -> Vec<(String, String)> {
        let mut q = self.query();
        q.extend(
            SAME_WORK
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        q
    }

    /// `machine`'s setup for this workload, with its page's defaults.
    ///
    /// # Errors
    /// Why the machine's page does not take it (too big to animate, …).
    pub fn machine_setup(&self, machine: &dyn Machine) -> Result<SimSetup, String> {
        SimForm::from_query(machine, &self.machine_query()).parse(machine)
    }

    /// The address of `machine`'s own simulator with this workload (the same numbers).
    pub fn machine_href(&self, machine: &dyn Machine) -> String {
        SimForm::from_query(machine, &self.machine_query()).href(machine)
    }
}

/// Where one machine's column is.
pub enum Column {
    /// Not built yet.
    Waiting(SimSetup),
    /// Built and running.
    Running(Box<dyn SimSession>),
    /// Finished: what it measured.
    Done(Finished),
    /// It cannot run this workload, and why.
    Refused(String),
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Waiting(_) => f.write_str("Waiting"),
            Self::Running(_) => f.write_str("Running"),
            Self::Done(d) => write!(f, "Done({} cycles)", d.metrics.cycles.0),
            Self::Refused(why) => write!(f, "Refused({why})"),
        }
    }
}

/// A finished column.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// What the engine measured.
    pub metrics: RunMetrics,
    /// The engine's result check ("Correct: …", "Timing only: …").
    pub check: Option<String>,
    /// Where the time went.
    pub timeline: Vec<Span>,
    /// The setup line (configuration, program size).
    pub setup_line: String,
}

/// The five machines on one workload, worked a slice at a time.
#[derive(Debug)]
pub struct Comparison {
    /// The settings.
    pub setup: CompareSetup,
    /// One column per built machine, in course order.
    pub columns: Vec<(SimArch, Column)>,
}

impl Comparison {
    /// Every machine's column for `setup`: waiting, or refused with the page's sentence.
    pub fn new(setup: CompareSetup) -> Self {
        let columns = machines()
            .map(|m| {
                let column = match setup.machine_setup(m) {
                    Ok(s) => Column::Waiting(s),
                    Err(why) => Column::Refused(why),
                };
                (m.arch(), column)
            })
            .collect();
        Self { setup, columns }
    }

    /// Whether every column is done or refused.
    pub fn is_done(&self) -> bool {
        self.columns
            .iter()
            .all(|(_, c)| matches!(c, Column::Done(_) | Column::Refused(_)))
    }

    /// The machine being worked on, if any.
    pub fn current(&self) -> Option<SimArch> {
        self.columns
            .iter()
            .find(|(_, c)| matches!(c, Column::Waiting(_) | Column::Running(_)))
            .map(|(a, _)| *a)
    }

    /// One slice of work: builds the next machine's run, or runs the current one until
    /// `now_ms()` has passed `budget_ms` since the call (at least one chunk). Returns
    /// whether there is more to do.
    pub fn step(&mut self, budget_ms: f64, now_ms: &mut dyn FnMut() -> f64) -> bool {
        let started = now_ms();
        let Some(idx) = self
            .columns
            .iter()
            .position(|(_, c)| matches!(c, Column::Waiting(_) | Column::Running(_)))
        else {
            return false;
        };
        let (arch, column) = &mut self.columns[idx];
        let Some(machine) = super::machine(*arch) else {
            *column = Column::Refused("This machine's simulator is not built.".into());
            return !self.is_done();
        };
        match column {
            Column::Waiting(setup) => {
                *column = match machine.build(setup) {
                    Ok(session) => Column::Running(session),
                    Err(why) => Column::Refused(why),
                };
            }
            Column::Running(session) => {
                let chunk = (UNIT_CYCLES_PER_FRAME / session.units().max(1)).max(1);
                loop {
                    let engine = session.engine();
                    let target = Cycle(engine.now().0.saturating_add(chunk));
                    let status = engine.run_until(target);
                    // The compare page keeps no log: drop the events as they come.
                    drop(engine.drain_trace());
                    if status != sim::engine::RunStatus::DeadlineReached {
                        *column = match status {
                            sim::engine::RunStatus::Finished { .. } => Column::Done(Finished {
                                metrics: session.metrics(),
                                check: session.result_check(),
                                timeline: session.timeline(),
                                setup_line: session.setup_line(),
                            }),
                            _ => {
                                Column::Refused(super::session::ending(status).unwrap_or_default())
                            }
                        };
                        break;
                    }
                    if now_ms() - started >= budget_ms {
                        break;
                    }
                }
            }
            Column::Done(_) | Column::Refused(_) => {}
        }
        !self.is_done()
    }

    /// Works every column to its end (native: tests and the bench).
    pub fn run_to_end(&mut self) {
        let mut clock = 0.0;
        let mut now = || {
            clock += 1.0;
            clock
        };
        while self.step(f64::INFINITY, &mut now) {}
    }

    /// How far it is, in words ("Running on the IPU: cycle 1,200 of 4,000.").
    pub fn progress(&self) -> String {
        let done = self
            .columns
            .iter()
            .filter(|(_, c)| matches!(c, Column::Done(_) | Column::Refused(_)))
            .count();
        let n = self.columns.len();
        match self.columns.iter().find_map(|(a, c)| match c {
            Column::Running(s) => Some((*a, Some(s))),
            Column::Waiting(_) => Some((*a, None)),
            _ => None,
        }) {
            None => format!("All {n} machines are done."),
            Some((arch, None)) => format!(
                "{done} of {n} machines done; compiling for the {}.",
                short_name(arch)
            ),
            Some((arch, Some(_))) => {
                let (now, total) = self.running_cycles().unwrap_or((0, None));
                match total {
                    Some(t) => format!(
                        "{done} of {n} machines done; running on the {}: cycle {} of {}.",
                        short_name(arch),
                        thousands(now),
                        thousands(t)
                    ),
                    None => format!(
                        "{done} of {n} machines done; running on the {}: cycle {}.",
                        short_name(arch),
                        thousands(now)
                    ),
                }
            }
        }
    }

    fn running_cycles(&self) -> Option<(u64, Option<u64>)> {
        self.columns.iter().find_map(|(_, c)| match c {
            Column::Running(s) => {
                // `now` needs the engine mutably only to hand it out; read through the
                // metrics, which every session keeps current.
                let now = s.metrics().cycles.0;
                Some((now, s.total_cycles().map(|t| t.0)))
            }
            _ => None,
        })
    }

    /// The finished runs, in column order.
    pub fn finished(&self) -> Vec<(SimArch, &Finished)> {
        self.columns
            .iter()
            .filter_map(|(a, c)| match c {
                Column::Done(f) => Some((*a, f)),
                _ => None,
            })
            .collect()
    }

    /// The table: one column per machine (every machine, in course order), one row per
    /// metric; a refused machine's cells say why, a machine not yet run says so.
    pub fn table(&self) -> CompareView {
        let finished: Vec<(SimArch, RunMetrics)> = self
            .finished()
            .into_iter()
            .map(|(a, f)| (a, f.metrics.clone()))
            .collect();
        let done = compare_rows(&finished);
        let mut rows: Vec<ReportRow> = done
            .rows
            .iter()
            .map(|r| ReportRow {
                key: r.key.to_owned(),
                label: r.label.to_owned(),
                values: Vec::new(),
            })
            .collect();
        let extra: [(&'static str, &'static str); 3] = [
            ("flops", "FLOPs done"),
            ("peak", "Achieved of peak"),
            ("check", "Result check"),
        ];
        rows.extend(extra.iter().map(|(key, label)| ReportRow {
            key: (*key).to_owned(),
            label: (*label).to_owned(),
            values: Vec::new(),
        }));
        let mut notes = Vec::new();
        for (arch, column) in &self.columns {
            match column {
                Column::Done(f) => {
                    let i = done.columns.iter().position(|a| a == arch).unwrap_or(0);
                    let n = done.rows.len();
                    for (r, row) in rows.iter_mut().enumerate() {
                        let value = if r < n {
                            done.rows[r].values[i].clone()
                        } else {
                            match row.key.as_str() {
                                "flops" => thousands(f.metrics.flops),
                                "peak" => format!("{:.1} %", f.metrics.fraction_of_peak() * 100.0),
                                _ => f.check.clone().unwrap_or_else(|| "—".into()),
                            }
                        };
                        row.values.push(value);
                    }
                }
                Column::Refused(why) => {
                    notes.push((*arch, why.clone()));
                    for (r, row) in rows.iter_mut().enumerate() {
                        row.values.push(if r == 0 {
                            format!("Cannot run it: {why}")
                        } else {
                            "not run (why: first row)".to_owned()
                        });
                    }
                }
                Column::Waiting(_) | Column::Running(_) => {
                    for row in &mut rows {
                        row.values.push("not run yet".into());
                    }
                }
            }
        }
        CompareView {
            columns: self.columns.iter().map(|(a, _)| *a).collect(),
            rows,
            refused: notes,
        }
    }
}

/// The comparison table as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareView {
    /// Every machine, in course order.
    pub columns: Vec<SimArch>,
    /// One row per metric, one value per column.
    pub rows: Vec<ReportRow>,
    /// The machines that cannot run the workload, and why.
    pub refused: Vec<(SimArch, String)>,
}

impl CompareView {
    /// The table as CSV: a header of machine names, then one line per metric.
    pub fn csv(&self) -> String {
        use crate::training::text::csv_field;
        let mut out = String::from("metric");
        for arch in &self.columns {
            out.push(',');
            out.push_str(&csv_field(short_name(*arch)));
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&csv_field(&row.label));
            for v in &row.values {
                out.push(',');
                out.push_str(&csv_field(v));
            }
            out.push('\n');
        }
        out
    }
}

/// One metric across the machines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    /// Stable id (`compare-<key>` in test ids).
    pub key: String,
    /// The label shown.
    pub label: String,
    /// One value per column.
    pub values: Vec<String>,
}

/// One machine's lane on the timeline, in microseconds at its own clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    /// Whose.
    pub arch: SimArch,
    /// `(start µs, end µs, kind, label)` of each span.
    pub spans: Vec<(f64, f64, SpanKind, String)>,
    /// The run's length in µs.
    pub total_us: f64,
}

/// Everything the page shows of a comparison, made where the engines run (the worker) and
/// sent to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// The workload in words.
    pub workload: String,
    /// How far it is.
    pub progress: String,
    /// Whether every machine is done.
    pub done: bool,
    /// The table.
    pub table: CompareView,
    /// One lane per finished machine.
    pub lanes: Vec<Lane>,
    /// Every finished machine's roof and point.
    pub roofline: RooflineData,
}

/// Page → compare worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToCompare {
    /// Run the comparison of this URL query (`preset=mlp&batch=4`).
    Start { id: u32, query: String },
    /// Stop comparison (or prediction run) `id`.
    Cancel { id: u32 },
    /// Run a predict question's setups (`super::predict`) and measure its answer.
    Predict { id: u32, predict: course::Predict },
    /// Compile one machine's workload of this URL query (`machine=groq&preset=mlp&batch=4`)
    /// and report every stage (the compile page, `#/compile`).
    Compile { id: u32, query: String },
    /// Compile the workloads of two URL queries (`preset=mlp&batch=4`, then `batch=8`) on
    /// every machine and say which must recompile.
    Shape {
        id: u32,
        old_query: String,
        new_query: String,
    },
}

/// Compare worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromCompare {
    /// The worker is listening.
    Ready,
    /// Where comparison `id` is.
    Report { id: u32, report: CompareReport },
    /// Comparison (or prediction run) `id` cannot run: the sentence.
    Refused { id: u32, message: String },
    /// Where prediction run `id` is.
    Predicting { id: u32, progress: String },
    /// What prediction run `id` measured.
    Predicted {
        id: u32,
        outcome: super::predict::PredictOutcome,
    },
    /// Compile `id`'s stages.
    Compiled {
        id: u32,
        report: Box<super::compile::CompileReport>,
    },
    /// Every machine's answer to shape change `id`.
    Shaped {
        id: u32,
        machines: Vec<super::compile::MachineVerdict>,
    },
}

/// The compare worker's protocol.
#[derive(Debug)]
pub struct CompareWorker;

impl crate::training::client::WorkerProtocol for CompareWorker {
    const NAME: &'static str = "compare";
    const WHAT: &'static str = "simulation worker";
    type In = ToCompare;
    type Out = FromCompare;
    fn is_ready(message: &FromCompare) -> bool {
        matches!(message, FromCompare::Ready)
    }
}

impl Comparison {
    /// What the page shows now.
    pub fn report(&self) -> CompareReport {
        let finished = self.finished();
        let lanes = finished
            .iter()
            .map(|(arch, f)| {
                let us = |c: Cycle| c.seconds_at(f.metrics.clock_hz) * 1e6;
                Lane {
                    arch: *arch,
                    spans: f
                        .timeline
                        .iter()
                        .map(|s| (us(s.start), us(s.end), s.kind, s.label.clone()))
                        .collect(),
                    total_us: f.metrics.seconds() * 1e6,
                }
            })
            .collect();
        let runs: Vec<(SimArch, RunMetrics)> = finished
            .iter()
            .map(|(a, f)| (*a, f.metrics.clone()))
            .collect();
        CompareReport {
            workload: self.setup.workload.clone(),
            progress: self.progress(),
            done: self.is_done(),
            table: self.table(),
            lanes,
            roofline: roofline_data(&runs, |arch| {
                super::machine(arch).and_then(Machine::roof_bandwidth)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::engine::RunStatus;

    fn setup(query: &str) -> Result<CompareSetup, String> {
        CompareSetup::from_query(&crate::query::parse(query))
    }

    /// Every machine's metrics, run alone on its own page's setup, to the end.
    fn alone(arch: SimArch, setup: &CompareSetup) -> Result<RunMetrics, String> {
        let machine = super::super::machine(arch).unwrap();
        let mut session = machine.build(&setup.machine_setup(machine)?)?;
        let status = session.engine().run_until(Cycle(u64::MAX));
        assert!(
            matches!(status, RunStatus::Finished { .. }),
            "{arch:?}: {status:?}"
        );
        Ok(session.metrics())
    }

    #[test]
    fn every_preset_gives_the_numbers_each_engine_gives_alone() {
        for preset in PRESETS {
            let s = setup(&format!("preset={}", preset.as_str())).unwrap();
            let mut c = Comparison::new(s.clone());
            c.run_to_end();
            assert!(c.is_done());
            let view = c.table();
            assert_eq!(view.columns.len(), 5);
            for (i, (arch, column)) in c.columns.iter().enumerate() {
                match (column, alone(*arch, &s)) {
                    (Column::Done(f), Ok(m)) => {
                        assert_eq!(f.metrics, m, "{preset:?} on {arch:?}");
                        let cycles = view.rows.iter().find(|r| r.key == "cycles").unwrap();
                        assert_eq!(cycles.values[i], m.cycles.0.to_string());
                        assert!(!f.timeline.is_empty());
                        let end = f.timeline.iter().map(|s| s.end).max().unwrap();
                        assert_eq!(
                            end, m.cycles,
                            "{preset:?} on {arch:?}: the timeline ends with the run"
                        );
                    }
                    (Column::Refused(why), Err(alone_why)) => {
                        assert_eq!(why, &alone_why);
                        assert!(why.len() > 20, "{preset:?} on {arch:?}: {why}");
                        assert!(view.rows[0].values[i].contains(why.as_str()));
                        assert!(view.rows.iter().all(|r| !r.values[i].is_empty()));
                    }
                    (c, a) => panic!("{preset:?} on {arch:?}: together {c:?}, alone {a:?}"),
                }
            }
            // The GPU runs everything, so every headline has at least one figure.
            assert!(matches!(c.columns[0], (SimArch::Gpu, Column::Done(_))));
            let csv = view.csv();
            assert_eq!(csv.lines().count(), view.rows.len() + 1);
        }
    }

    #[test]
    fn a_slice_stops_at_its_budget_and_the_run_resumes() {
        let mut c = Comparison::new(setup("preset=mlp").unwrap());
        let mut clock = 0.0;
        // Every read of the clock is 1 ms later: a 3 ms budget allows a few chunks only.
        let mut now = || {
            clock += 1.0;
            clock
        };
        let mut slices = 0;
        while c.step(3.0, &mut now) {
            slices += 1;
            assert!(slices < 100_000, "never ends");
        }
        assert!(slices > 5, "{slices}");
        let mut whole = Comparison::new(setup("preset=mlp").unwrap());
        whole.run_to_end();
        assert_eq!(c.report(), whole.report());
    }

    #[test]
    fn a_link_reproduces_the_setup_and_bad_values_are_sentences() {
        let s = setup("preset=bert-layer&seq=64&width=3").unwrap();
        assert_eq!(s.href(), "#/compare?preset=bert-layer&seq=64");
        assert_eq!(setup(&s.href()[10..]).unwrap(), s);
        assert_eq!(
            setup("preset=resnet").unwrap_err(),
            "There is no preset called \u{201c}resnet\u{201d}; choose gemv, mlp, cnn or bert-layer."
        );
        assert!(
            setup("preset=mlp&batch=0")
                .unwrap_err()
                .to_lowercase()
                .contains("batch")
        );
        assert!(setup("preset=mlp&batch=abc").unwrap_err().contains("“abc”"));
        assert_eq!(setup("").unwrap().preset, Preset::Gemv);
    }

    #[test]
    fn messages_round_trip() {
        let m = ToCompare::Start {
            id: 3,
            query: "preset=mlp".into(),
        };
        let text = crate::training::protocol::encode(&m);
        assert_eq!(
            crate::training::protocol::decode::<ToCompare>(&text).unwrap(),
            m
        );
        assert_eq!(
            crate::training::protocol::encode(&FromCompare::Ready),
            r#"{"type":"ready"}"#
        );
        assert!(crate::training::protocol::decode::<ToCompare>("{\"type\":\"start\"}").is_err());
        let compile = ToCompare::Compile {
            id: 4,
            query: "machine=groq&preset=mlp".into(),
        };
        let text = crate::training::protocol::encode(&compile);
        assert_eq!(
            crate::training::protocol::decode::<ToCompare>(&text).unwrap(),
            compile
        );
        let report = crate::simulation::compile::CompileSetup::from_query(&crate::query::parse(
            "machine=ipu&preset=gemv",
        ))
        .unwrap()
        .compile()
        .unwrap();
        let shape = ToCompare::Shape {
            id: 5,
            old_query: "preset=mlp&batch=4".into(),
            new_query: "preset=mlp&batch=8".into(),
        };
        let text = crate::training::protocol::encode(&shape);
        assert_eq!(
            crate::training::protocol::decode::<ToCompare>(&text).unwrap(),
            shape
        );
        let answer = FromCompare::Compiled {
            id: 4,
            report: Box::new(report),
        };
        let text = crate::training::protocol::encode(&answer);
        assert_eq!(
            crate::training::protocol::decode::<FromCompare>(&text).unwrap(),
            answer
        );
    }
}
