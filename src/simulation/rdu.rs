//! The SambaNova RDU: its settings (tile, grid, micro-batches, tasks), its session, a unit's
//! inspection, the result check, the compiled sections as a table, and the data-parallel
//! panel: the simulated workload's scaling and the model's `--ntasks` sweep beside the
//! student's BERT-large runs on the ALCF SN30.

use std::any::Any;

use course::SimArch;
use sim::engine::Engine;
use sim::gpu::{GpuConfig, GpuSim};
use sim::metrics::RunMetrics;
use sim::rdu::scaling::{REAL_SOURCE, ScalingPoint, WINDOW_MAX, WINDOW_MIN, scaling_curve};
use sim::rdu::{NtasksComparison, RduConfig, RduEvent, RduRun, ntasks_comparison};
use sim::units::Cycle;
use sim::workload::Workload;

use super::form::{FieldKind, FieldSpec, SimSetup};
use super::session::{InspectRows, Span, SpanKind, UnitAt, VALUES_SEED};
use super::{Machine, SimSession, sentence};

/// Which tile: a small one sized by the grid fields, or the SN10-class tile.
pub const TILE: FieldSpec = FieldSpec {
    key: "tile",
    label: "Tile",
    what: "tile",
    kind: FieldKind::Choice(&[
        (
            "small",
            "Small tile (rows × PCU columns below), for the picture",
        ),
        (
            "sn10",
            "SN10-class tile: 8 × 20 PCUs and as many PMUs (grid fields ignored)",
        ),
    ]),
    default: |_| "small",
};
/// Rows of the small tile's grid.
pub const ROWS: FieldSpec = FieldSpec {
    key: "rows",
    label: "Grid rows",
    what: "number of grid rows",
    kind: FieldKind::Size,
    default: |_| "4",
};
/// PCUs per row of the small tile (each has a PMU beside it).
pub const COLUMNS: FieldSpec = FieldSpec {
    key: "columns",
    label: "PCUs per row (each with a PMU)",
    what: "number of PCU columns",
    kind: FieldKind::Size,
    default: |_| "4",
};
/// Micro-batches each replica streams through the pipeline.
pub const MICRO_BATCHES: FieldSpec = FieldSpec {
    key: "micro_batches",
    label: "Micro-batches per task",
    what: "number of micro-batches",
    kind: FieldKind::Size,
    default: |_| "8",
};
/// Data-parallel replicas (the homework's `--ntasks`).
pub const TASKS: FieldSpec = FieldSpec {
    key: "tasks",
    label: "Tasks (data-parallel replicas, --ntasks)",
    what: "number of tasks",
    kind: FieldKind::Size,
    default: |_| "1",
};

/// Most micro-batches a page streams (each has a row in the occupancy chart).
pub const MAX_PAGE_MICRO_BATCHES: u64 = 256;
/// Speeds offered, in cycles per frame.
pub const RDU_SPEEDS: [u64; 7] = [16, 64, 256, 1_024, 4_096, 16_384, 65_536];
/// Task counts of the simulated workload's scaling table.
pub const SCALING_TASKS: [u32; 6] = [1, 2, 4, 8, 16, 32];

/// The SambaNova RDU machine.
#[derive(Debug)]
pub struct RduMachine;

impl Machine for RduMachine {
    fn arch(&self) -> SimArch {
        SimArch::Rdu
    }
    fn fields(&self) -> &'static [&'static FieldSpec] {
        &[&TILE, &ROWS, &COLUMNS, &MICRO_BATCHES, &TASKS]
    }
    fn speeds(&self) -> &'static [u64] {
        &RDU_SPEEDS
    }
    fn lesson(&self) -> (&'static str, &'static str) {
        ("sambanova-rdu", "SambaNova RDU")
    }
    fn roof_bandwidth(&self) -> Option<f64> {
        let c = RduConfig::sn10_tile();
        Some(f64::from(c.ddr_bytes_per_cycle) * c.clock_hz)
    }
    fn unit_name(&self) -> Option<&'static str> {
        Some("unit")
    }
    fn units_in_a_grid(&self) -> bool {
        true
    }
    fn check(&self, setup: &SimSetup) -> Result<(), String> {
        let m = u64::from(setup.size(&MICRO_BATCHES));
        if m > MAX_PAGE_MICRO_BATCHES {
            return Err(sentence(&sim::SimError::TooLarge {
                what: MICRO_BATCHES.what,
                value: m,
                max: MAX_PAGE_MICRO_BATCHES,
            }));
        }
        Ok(())
    }
    fn build(&self, setup: &SimSetup) -> Result<Box<dyn SimSession>, String> {
        Ok(Box::new(RduSession::build(setup)?))
    }
}

/// The engine's configuration for a setup.
pub fn rdu_config(setup: &SimSetup) -> RduConfig {
    if setup.choice(&TILE) == "sn10" {
        RduConfig::sn10_tile()
    } else {
        RduConfig::small(setup.size(&ROWS), setup.size(&COLUMNS))
    }
}

/// An RDU page's run.
#[derive(Debug, Clone)]
pub struct RduSession {
    /// The engine.
    pub run: RduRun,
    /// The workload it runs.
    pub workload: Workload,
    /// The run's length, measured on a copy run to the end when the page built it.
    pub predicted: Cycle,
    /// The same workload on the A100 model.
    pub references: Vec<(SimArch, RunMetrics)>,
    /// The simulated workload's samples per second as tasks are added.
    pub scaling: Vec<ScalingPoint>,
    /// The model's `--ntasks` sweep for BERT-large beside the real runs.
    pub ntasks: NtasksComparison,
    /// Where the run spends its time, read from the measuring copy's events.
    pub timeline: Vec<Span>,
}

impl RduSession {
    /// Compiles the workload for the tile, measures the run on a copy, and plans the GPU run
    /// beside it.
    ///
    /// # Errors
    /// The engine's error as a sentence (no lanes or rows, an op whose weights and buffers do
    /// not fit the tile's PMUs, sizes over the memory budget).
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let config = rdu_config(setup);
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let run = RduRun::new(
            config.clone(),
            &workload,
            setup.size(&MICRO_BATCHES),
            setup.size(&TASKS),
            VALUES_SEED,
        )
        .map_err(|e| sentence(&e))?;
        let mut copy = run.clone();
        let mut timeline = RduTimeline::default();
        let predicted = loop {
            let until = Cycle(copy.now().0.saturating_add(TIMELINE_CHUNK));
            let status = copy.run_until(until);
            for (at, event) in copy.drain_rdu_events() {
                timeline.mark(at, &event);
            }
            match status {
                sim::RunStatus::DeadlineReached => {}
                sim::RunStatus::Finished { at } => break at,
                sim::RunStatus::Deadlocked { .. } => break copy.now(),
            }
        };
        timeline.close(predicted);
        let replica = predicted - run.program().allreduce_cycles;
        let samples = u64::from(run.program().micro_batches) * samples_per_micro_batch(setup);
        let scaling = scaling_curve(
            &config,
            replica.0,
            samples,
            run.program().gradient_bytes,
            &SCALING_TASKS,
        );
        let gpu = GpuSim::new(GpuConfig::a100_40gb_sxm(), &workload)
            .map_err(|e| sentence(&e))?
            .run_to_end();
        Ok(Self {
            ntasks: ntasks_comparison(&config),
            run,
            workload,
            predicted,
            references: vec![(SimArch::Gpu, gpu)],
            scaling,
            timeline: timeline.spans,
        })
    }
}

/// Cycles run between two reads of the copy's events while measuring it (well under the
/// event queue's capacity).
const TIMELINE_CHUNK: u64 = 1_000;

/// The run's phases read from its events: each section's load, then its pipeline filling,
/// in steady state and draining, then the all-reduce.
#[derive(Debug, Default)]
struct RduTimeline {
    spans: Vec<Span>,
    open: Option<(Cycle, SpanKind, String)>,
}

impl RduTimeline {
    fn switch(&mut self, at: Cycle, next: Option<(SpanKind, String)>) {
        if let Some((start, kind, label)) = self.open.take()
            && at > start
        {
            self.spans.push(Span {
                start,
                end: at,
                kind,
                label,
            });
        }
        self.open = next.map(|(kind, label)| (at, kind, label));
    }

    fn mark(&mut self, at: Cycle, event: &RduEvent) {
        let next = match event {
            RduEvent::SectionLoading { section, .. } => (
                SpanKind::Overhead,
                format!(
                    "section {}: loading its configuration and weights",
                    section + 1
                ),
            ),
            RduEvent::StreamingStarted { section, .. } => (
                SpanKind::Exchange,
                format!("section {}: the pipeline fills", section + 1),
            ),
            RduEvent::PipelineFull { section, .. } => (
                SpanKind::Compute,
                format!("section {}: steady state", section + 1),
            ),
            RduEvent::Draining { section, .. } => (
                SpanKind::Exchange,
                format!("section {}: the pipeline drains", section + 1),
            ),
            RduEvent::AllReduceStarted { .. } => (
                SpanKind::Exchange,
                "all-reduce of the gradients across tasks".to_owned(),
            ),
            RduEvent::SectionDone { .. } | RduEvent::Finished { .. } => {
                self.switch(at, None);
                return;
            }
            _ => return,
        };
        self.switch(at, Some(next));
    }

    fn close(&mut self, at: Cycle) {
        self.switch(at, None);
    }
}

/// Samples in one micro-batch: the batch of a preset that takes one (the MLP layer, the
/// CNN), else 1 (a GEMV's one vector, a BERT layer's one sequence).
pub fn samples_per_micro_batch(setup: &SimSetup) -> u64 {
    if setup.preset.takes_batch() {
        u64::from(setup.batch)
    } else {
        1
    }
}

impl SimSession for RduSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.run
    }
    fn metrics(&self) -> RunMetrics {
        self.run.metrics()
    }
    /// The engine's work per simulated cycle is one decision per pipeline stage (it skips
    /// cycles in which nothing starts or finishes), so the frame's cap counts stages, not
    /// PCUs and PMUs: the largest section's stage count.
    fn units(&self) -> u64 {
        self.run
            .program()
            .sections
            .iter()
            .map(|s| s.stages.len() as u64)
            .max()
            .unwrap_or(1)
    }
    fn setup_line(&self) -> String {
        let p = self.run.program();
        let tasks = if p.tasks > 1 {
            format!(
                "; {} tasks then all-reduce {} of gradients",
                p.tasks, p.gradient_bytes
            )
        } else {
            String::new()
        };
        format!(
            "Set up: {} on an {}: the compiler placed it in {} section{}, {} micro-batches stream through each{tasks}; {} cycles in all. Press Play or Step.",
            self.workload.name,
            self.run.config().name,
            p.sections.len(),
            if p.sections.len() == 1 { "" } else { "s" },
            p.micro_batches,
            self.predicted.0
        )
    }
    fn total_cycles(&self) -> Option<Cycle> {
        Some(self.predicted)
    }
    fn result_check(&self) -> Option<String> {
        if !self.run.is_finished() {
            return None;
        }
        if let Some(reason) = self.run.no_values_reason() {
            return Some(format!("Timing only, no values computed: {reason}"));
        }
        let v = self.run.result()?;
        let worst = v.worst_difference();
        let n = v.results.first().map_or(0, Vec::len);
        let k = v.results.len();
        let m = self.run.program().micro_batches;
        let which = if k as u32 == m {
            format!("all {m} micro-batches")
        } else {
            format!(
                "the first {k} of {m} micro-batches (the rest are not computed, to keep the page responsive)"
            )
        };
        Some(if worst <= 1e-4 {
            format!(
                "Correct: the {n} outputs of {which} match an f64 reference (largest relative difference {worst:.1e}, within f32 rounding)."
            )
        } else {
            format!(
                "Wrong: the outputs differ from an f64 reference by up to {worst:.1e} (relative)."
            )
        })
    }
    fn inspect(&self, (x, y): UnitAt) -> InspectRows {
        let u = self.run.inspect(x, y).map_err(|e| sentence(&e))?;
        let mut rows = vec![
            ("Unit".to_string(), format!("{} at ({x}, {y})", u.name)),
            ("Role".into(), u.role),
            ("State".into(), u.state),
        ];
        if let Some((used, capacity)) = u.memory {
            rows.push(("Scratchpad used".into(), format!("{used} of {capacity}")));
        } else {
            rows.push((
                "Cycles working / waiting / idle".into(),
                format!("{} / {} / {}", u.busy.0, u.stalled.0, u.idle.0),
            ));
        }
        Ok(rows)
    }
    fn references(&self) -> &[(SimArch, RunMetrics)] {
        &self.references
    }
    fn assumptions(&self) -> Vec<String> {
        sim::rdu::MODEL_ASSUMPTIONS
            .iter()
            .map(|a| (*a).to_string())
            .collect()
    }
    fn timeline(&self) -> Vec<Span> {
        self.timeline.clone()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One row of the section list: a configuration as the compiler made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionRow {
    /// Index.
    pub index: usize,
    /// Ops, in words.
    pub ops: String,
    /// PCUs used.
    pub pcus: u32,
    /// PMUs used.
    pub pmus: u32,
    /// Cycles to load it.
    pub load_cycles: u64,
    /// The slowest stage and its cycles per micro-batch.
    pub bottleneck: String,
    /// DDR bytes in and out per micro-batch.
    pub ddr_per_micro_batch: String,
}

impl SectionRow {
    /// The row's cells, in the table's column order.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.index.to_string(),
            self.ops.clone(),
            self.pcus.to_string(),
            self.pmus.to_string(),
            self.load_cycles.to_string(),
            self.bottleneck.clone(),
            self.ddr_per_micro_batch.clone(),
        ]
    }
}

/// The compiled sections as a table.
pub fn section_rows(run: &RduRun) -> Vec<SectionRow> {
    run.program()
        .sections
        .iter()
        .map(|s| {
            let (b, c) = s.bottleneck();
            SectionRow {
                index: s.index,
                ops: s.op_names(run.workload()),
                pcus: s.pcus_used,
                pmus: s.pmus_used,
                load_cycles: s.load_cycles.0,
                bottleneck: format!("{}: {} cycles", s.stages[b].label, c.0),
                ddr_per_micro_batch: format!(
                    "{} in, {} out",
                    s.ddr_in_per_micro_batch, s.ddr_out_per_micro_batch
                ),
            }
        })
        .collect()
}

/// The DDR traffic of the program in one sentence: the lesson that dataflow does not make
/// off-chip traffic vanish once a graph needs more than one section.
pub fn ddr_sentence(run: &RduRun) -> String {
    let p = run.program();
    let boundary = p.boundary_bytes(run.workload());
    let total = p.ddr_bytes();
    if p.sections.len() == 1 {
        format!(
            "One section: only the input, the result and the weights ({}) cross the AGCU; {} of DDR traffic in all.",
            p.sections[0].weight_bytes, total
        )
    } else {
        format!(
            "{} sections: tensors that cross a section boundary go out to DDR and come back, {} of the {} of DDR traffic (with the weights of each section).",
            p.sections.len(),
            boundary,
            total
        )
    }
}

/// A note when a section has more stages than there are micro-batches: the last one enters
/// before the first leaves, so the pipeline goes from filling straight to draining.
pub fn steady_state_note(run: &RduRun) -> Option<String> {
    let p = run.program();
    let stages = p.sections.iter().map(|s| s.stages.len()).max().unwrap_or(0);
    (p.micro_batches as usize <= stages).then(|| {
        format!(
            "With {} micro-batches and up to {stages} stages in a section, the last micro-batch enters before the first leaves: the pipeline goes from filling straight to draining, never reaching a steady state. Stream more micro-batches than stages to see one.",
            p.micro_batches
        )
    })
}

/// The data-parallel rows of the simulated workload: tasks, step time, samples per second,
/// efficiency.
pub fn scaling_rows(points: &[ScalingPoint]) -> Vec<[String; 4]> {
    points
        .iter()
        .map(|p| {
            [
                p.tasks.to_string(),
                format!("{:.1} µs", p.step_s * 1e6),
                format!("{:.0}", p.samples_per_s),
                format!("{:.1}%", 100.0 * p.efficiency),
            ]
        })
        .collect()
}

/// The `--ntasks` comparison as table rows: tasks, model samples/s, real samples/s, model
/// error, efficiency model / real, window check real / model.
pub fn ntasks_rows(c: &NtasksComparison) -> Vec<[String; 6]> {
    let pct = |x: Option<f64>| x.map_or_else(|| "—".to_string(), |e| format!("{:.1}%", 100.0 * e));
    c.rows
        .iter()
        .map(|r| {
            [
                r.ntasks.to_string(),
                format!("{:.0}", r.model_samples_per_s),
                format!("{:.2}", r.real_samples_per_s),
                format!("{:+.0}%", 100.0 * r.model_error),
                format!("{} / {}", pct(r.model_efficiency), pct(r.real_efficiency)),
                format!(
                    "real {}; model {}",
                    r.real_window.words(),
                    r.model_window.words()
                ),
            ]
        })
        .collect()
}

/// A rate rounded to a whole number with thousands separators (`560,000`).
fn grouped(rate: f64) -> String {
    // Rates here are positive and far below u64::MAX; the cast saturates otherwise.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = rate.max(0.0).round() as u64;
    sim::units::thousands(whole)
}

/// The sentences around the `--ntasks` table: what the model is, the window, the source.
pub fn ntasks_notes(c: &NtasksComparison) -> Vec<String> {
    vec![
        format!(
            "The model: each task runs BERT-large's step in the SambaNova compiler's own projection ({} s, from the student's compile log), then the tasks all-reduce {} of gradients in a ring (this simulator's link figures). The real runs took about 0.89 s per step, so the model's absolute figures are too high; compare the scaling.",
            sim::rdu::scaling::BERT_LARGE_PROJECTED_STEP_S,
            c.gradient_bytes
        ),
        format!(
            "The run script checks that the log's \"sequences/s\" (samples/s × 128) lies between {} and {}, a window tuned for 16 tasks. At 8 tasks the run is slower and at 32 faster, so the check fails although nothing is broken. The model's figures are checked against the same window moved to the model's own 16-task figure ({} to {}).",
            grouped(WINDOW_MIN),
            grouped(WINDOW_MAX),
            grouped(c.model_window.0),
            grouped(c.model_window.1)
        ),
        format!("Real figures: {REAL_SOURCE}."),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::form::SimForm;
    use super::super::session::advance;
    use super::*;

    fn rdu(query: &str) -> Result<RduSession, String> {
        let q = crate::query::parse(query);
        RduSession::build(&SimForm::from_query(&RduMachine, &q).parse(&RduMachine)?)
    }

    #[test]
    fn the_mlp_layer_streams_to_the_measured_cycle_count_with_correct_values() {
        let mut s = rdu("preset=mlp").unwrap();
        let predicted = s.predicted;
        assert_eq!(predicted, Cycle(26_374));
        let slice = advance(&mut s, u64::MAX / 2);
        assert_eq!(
            slice.status,
            sim::engine::RunStatus::Finished { at: predicted }
        );
        let check = s.result_check().unwrap();
        assert!(
            check.starts_with("Correct: the 512 outputs of all 8 micro-batches"),
            "{check}"
        );
        assert!(
            slice.lines.iter().any(|l| l.contains("pipeline is full")),
            "{:?}",
            slice.lines
        );
        let rows = s.inspect((0, 0)).unwrap();
        assert!(
            rows.iter()
                .any(|(l, v)| l == "Role" && v.contains("matmul"))
        );
        assert_eq!(
            s.inspect((8, 0)).unwrap_err(),
            "Unit (8, 0) is outside the tile's 8×4 grid."
        );
        assert_eq!(section_rows(&s.run).len(), 1);
        assert!(ddr_sentence(&s.run).starts_with("One section"));
        // 8 micro-batches through 5 stages reach a steady state; 2 through 11 (9 ops, load, store) do not.
        assert_eq!(steady_state_note(&s.run), None);
        let few = rdu("preset=bert-layer&micro_batches=2").unwrap();
        assert!(
            steady_state_note(&few.run)
                .unwrap()
                .starts_with("With 2 micro-batches and up to 11 stages")
        );
        assert_eq!(s.scaling.len(), SCALING_TASKS.len());
        assert!((s.scaling[0].efficiency - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_bert_layer_needs_two_sections_on_the_small_tile() {
        let s = rdu("preset=bert-layer&micro_batches=2").unwrap();
        let rows = section_rows(&s.run);
        assert_eq!(rows.len(), 2);
        assert!(
            ddr_sentence(&s.run).contains("2 sections"),
            "{}",
            ddr_sentence(&s.run)
        );
        let sn10 = rdu("preset=bert-layer&tile=sn10&micro_batches=2").unwrap();
        assert_eq!(section_rows(&sn10.run).len(), 1);
        let table = ntasks_rows(&sn10.ntasks);
        assert_eq!(table.len(), 3);
        assert!(table[0][5].contains("below"), "{:?}", table[0]);
        assert!(table[2][5].contains("above"), "{:?}", table[2]);
    }

    #[test]
    fn every_preset_runs_on_both_tiles() {
        for preset in ["gemv", "mlp", "cnn", "bert-layer"] {
            for tile in ["small", "sn10"] {
                let mut s = rdu(&format!("preset={preset}&tile={tile}&micro_batches=2")).unwrap();
                let predicted = s.predicted;
                let slice = advance(&mut s, u64::MAX / 2);
                assert_eq!(
                    slice.status,
                    sim::engine::RunStatus::Finished { at: predicted },
                    "{preset} on {tile}"
                );
                let check = s.result_check().unwrap();
                let expected = if preset == "cnn" {
                    "Timing only"
                } else {
                    "Correct"
                };
                assert!(check.starts_with(expected), "{preset} on {tile}: {check}");
            }
        }
    }

    #[test]
    fn bad_settings_are_sentences() {
        assert_eq!(
            rdu("preset=mlp&rows=1&columns=1").unwrap_err(),
            "Op \"matmul\" needs 3 PMUs of 512.00 KiB for its weights and buffers, but a section has only 1; use a bigger tile or a smaller layer."
        );
        assert_eq!(
            rdu("rows=0").unwrap_err(),
            "Number of grid rows must be at least 1, but it is 0."
        );
        assert_eq!(
            rdu("micro_batches=1000").unwrap_err(),
            "Number of micro-batches is 1000, above the limit of 256."
        );
        assert_eq!(
            rdu("tile=sn40").unwrap_err(),
            "There is no tile called \u{201c}sn40\u{201d}; choose small or sn10."
        );
    }
}
