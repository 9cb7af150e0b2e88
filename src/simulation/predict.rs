//! "Predict, then run": a predict question's setups read with the simulator and compare pages'
//! own parsers, run on the engines in bounded slices (in the compare worker, so the page stays
//! responsive), and the measured value the prediction is graded against.
//!
//! The quiz file names each setup as a page and its query (`groq?preset=bert-layer&seq=128`,
//! `compare?preset=bert-layer`); `course` checks that form at build time. Here the query goes
//! through [`SimForm::parse`] or [`CompareSetup::from_query`], exactly as the page's address
//! would, and more strictly: a key that page does not read, or a size the preset does not take,
//! is refused rather than silently ignored, so what the question says is what runs. The native
//! test `every_predict_question_in_the_course_runs` parses and runs every predict question of
//! the course, so a question whose setup a page refuses fails the tests with its id.

use course::{Measure, Predict, PredictValue, SetupRef, SetupTarget, SimArch};
use serde::{Deserialize, Serialize};
use sim::engine::RunStatus;
use sim::metrics::RunMetrics;
use sim::units::{Cycle, thousands};

use super::compare::{CompareSetup, Comparison};
use super::form::{SimForm, WORKLOAD_FIELDS, preset_fields};
use super::session::{SimSession, UNIT_CYCLES_PER_FRAME, ending};
use super::text::short_name;
use super::{Machine, Preset, SimSetup};

/// One setup, read by its page's parser.
#[derive(Clone, Debug)]
pub enum Resolved {
    /// One machine's simulator page.
    Simulator {
        /// The machine.
        arch: SimArch,
        /// The checked setup.
        setup: SimSetup,
        /// The simulator page with this setup.
        href: String,
    },
    /// The compare page.
    Compare {
        /// The checked setup.
        setup: CompareSetup,
        /// The compare page with this setup.
        href: String,
    },
}

impl Resolved {
    /// The page's address with this setup (the "try it yourself" link).
    pub fn href(&self) -> &str {
        match self {
            Resolved::Simulator { href, .. } | Resolved::Compare { href, .. } => href,
        }
    }

    /// What the link says ("Open this setup in the Groq TSP simulator"); `which` names the
    /// setup when a question has several ("the first setup").
    pub fn link_text(&self, which: Option<&str>) -> String {
        let setup = which.unwrap_or("this setup");
        match self {
            Resolved::Simulator { arch, .. } => {
                format!("Open {setup} in the {} simulator", short_name(*arch))
            }
            Resolved::Compare { .. } => format!("Open {setup} on the compare page"),
        }
    }
}

/// Reads `setup` with its page's parser.
///
/// # Errors
/// The page's sentence for a bad value, or a sentence for a key the page does not read (a
/// typo would otherwise run the default silently).
pub fn resolve(setup: &SetupRef) -> Result<Resolved, String> {
    let query = crate::query::parse(&setup.query);
    let preset = crate::query::value(&query, "preset").and_then(Preset::parse);
    match setup.target {
        SetupTarget::Simulator(arch) => {
            let machine = super::machine(arch)
                .ok_or_else(|| format!("The {} simulator is not built yet.", arch.name()))?;
            let known: Vec<&str> = machine
                .fields()
                .iter()
                .map(|f| f.key)
                .chain(WORKLOAD_FIELDS.iter().map(|f| f.key))
                .collect();
            check_keys(&query, preset, &known, &format!("the {arch:?} simulator"))?;
            let form = SimForm::from_query(machine, &query);
            let parsed = form.parse(machine)?;
            Ok(Resolved::Simulator {
                arch,
                setup: parsed,
                href: form.href(machine),
            })
        }
        SetupTarget::Compare => {
            let known: Vec<&str> = WORKLOAD_FIELDS.iter().map(|f| f.key).collect();
            check_keys(&query, preset, &known, "the compare page")?;
            let parsed = CompareSetup::from_query(&query)?;
            let href = parsed.href();
            Ok(Resolved::Compare {
                setup: parsed,
                href,
            })
        }
    }
}

/// Refuses a key `page` does not read, and a workload size `preset` does not take.
fn check_keys(
    query: &[(String, String)],
    preset: Option<Preset>,
    known: &[&str],
    page: &str,
) -> Result<(), String> {
    for (key, _) in query {
        if key == "preset" {
            continue;
        }
        if !known.contains(&key.as_str()) {
            return Err(format!(
                "{page} has no setting \u{201c}{key}\u{201d}; it reads preset, {}.",
                known.join(", ")
            ));
        }
        if let Some(preset) = preset
            && WORKLOAD_FIELDS.iter().any(|f| f.key == key)
            && !preset_fields(preset).iter().any(|f| f.key == key)
        {
            return Err(format!(
                "The preset {} takes no \u{201c}{key}\u{201d}.",
                preset.as_str()
            ));
        }
    }
    Ok(())
}

/// What the engines measured for a predict question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictOutcome {
    /// The value the prediction is graded against.
    pub value: PredictValue,
    /// What was measured, in a sentence (each setup's cycles, or every machine's time).
    pub detail: String,
    /// `(link text, href)` of each setup's page.
    pub links: Vec<(String, String)>,
}

/// One setup's run.
enum Job {
    /// Not built yet.
    Waiting(&'static dyn Machine, SimSetup),
    /// Running.
    Running(SimArch, Box<dyn SimSession>),
    /// Finished.
    Done(SimArch, RunMetrics),
    /// The compare page's five machines.
    Compare(Box<Comparison>),
}

/// A predict question's runs, worked a slice at a time (like [`Comparison`]).
pub struct PredictRun {
    measure: Measure,
    jobs: Vec<Job>,
    links: Vec<(String, String)>,
    failed: Option<String>,
}

impl std::fmt::Debug for PredictRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PredictRun({:?}, {} jobs)",
            self.measure,
            self.jobs.len()
        )
    }
}

impl PredictRun {
    /// The runs `predict` needs, each setup read by its page's parser.
    ///
    /// # Errors
    /// The first setup's sentence, when a page refuses it.
    pub fn new(predict: &Predict) -> Result<Self, String> {
        let mut jobs = Vec::new();
        let mut links = Vec::new();
        let n_setups = predict.setups.len();
        for (idx, setup) in predict.setups.iter().enumerate() {
            let resolved = resolve(setup)?;
            let ordinal = if idx == 0 {
                "the first setup"
            } else {
                "the second setup"
            };
            let which = (n_setups > 1).then_some(ordinal);
            links.push((resolved.link_text(which), resolved.href().to_owned()));
            jobs.push(match resolved {
                Resolved::Simulator { arch, setup, .. } => match super::machine(arch) {
                    Some(machine) => Job::Waiting(machine, setup),
                    None => return Err(format!("The {} simulator is not built yet.", arch.name())),
                },
                Resolved::Compare { setup, .. } => Job::Compare(Box::new(Comparison::new(setup))),
            });
        }
        let (n_needed, compare) = predict.measure.setups_needed();
        let fits =
            jobs.len() == n_needed && jobs.iter().all(|j| matches!(j, Job::Compare(_)) == compare);
        if !fits {
            return Err(format!(
                "The measure {} does not fit these setups.",
                predict.measure.name()
            ));
        }
        Ok(Self {
            measure: predict.measure,
            jobs,
            links,
            failed: None,
        })
    }

    /// Whether every run is finished (or one failed).
    pub fn is_done(&self) -> bool {
        self.failed.is_some()
            || self.jobs.iter().all(|j| match j {
                Job::Done(..) => true,
                Job::Compare(c) => c.is_done(),
                Job::Waiting(..) | Job::Running(..) => false,
            })
    }

    /// One slice: builds the next run or works the current one until `now_ms()` has passed
    /// `budget_ms` since the call (at least one chunk). Returns whether there is more to do.
    pub fn step(&mut self, budget_ms: f64, now_ms: &mut dyn FnMut() -> f64) -> bool {
        if self.is_done() {
            return false;
        }
        let started = now_ms();
        let Some(job) = self.jobs.iter_mut().find(|j| match j {
            Job::Done(..) => false,
            Job::Compare(c) => !c.is_done(),
            Job::Waiting(..) | Job::Running(..) => true,
        }) else {
            return false;
        };
        match job {
            Job::Waiting(machine, setup) => match machine.build(setup) {
                Ok(session) => *job = Job::Running(machine.arch(), session),
                Err(why) => self.failed = Some(why),
            },
            Job::Running(arch, session) => {
                let chunk = (UNIT_CYCLES_PER_FRAME / session.units().max(1)).max(1);
                loop {
                    let engine = session.engine();
                    let target = Cycle(engine.now().0.saturating_add(chunk));
                    let status = engine.run_until(target);
                    drop(engine.drain_trace());
                    match status {
                        RunStatus::DeadlineReached => {}
                        RunStatus::Finished { .. } => {
                            *job = Job::Done(*arch, session.metrics());
                            break;
                        }
                        other => {
                            self.failed = Some(ending(other).unwrap_or_else(|| {
                                "The simulator stopped before the end.".to_owned()
                            }));
                            break;
                        }
                    }
                    if now_ms() - started >= budget_ms {
                        break;
                    }
                }
            }
            Job::Compare(c) => {
                c.step(budget_ms, now_ms);
            }
            Job::Done(..) => {}
        }
        !self.is_done()
    }

    /// Works every run to its end (native: tests).
    pub fn run_to_end(&mut self) {
        let mut clock = 0.0;
        let mut now = || {
            clock += 1.0;
            clock
        };
        while self.step(f64::INFINITY, &mut now) {}
    }

    /// Where it is, in words ("Running the Groq TSP model: cycle 1,200 of 4,000.").
    pub fn progress(&self) -> String {
        if self.is_done() {
            return "Done.".to_owned();
        }
        let n_jobs = self.jobs.len();
        for (idx, job) in self.jobs.iter().enumerate() {
            let of = if n_jobs > 1 {
                format!(" (setup {} of {n_jobs})", idx + 1)
            } else {
                String::new()
            };
            match job {
                Job::Waiting(machine, _) => {
                    return format!(
                        "Compiling for the {} model{of}…",
                        short_name(machine.arch())
                    );
                }
                Job::Running(arch, session) => {
                    let now = session.metrics().cycles.0;
                    let total = session
                        .total_cycles()
                        .map(|t| format!(" of {}", thousands(t.0)))
                        .unwrap_or_default();
                    return format!(
                        "Running the {} model{of}: cycle {}{total}…",
                        short_name(*arch),
                        thousands(now)
                    );
                }
                Job::Compare(c) if !c.is_done() => return c.progress(),
                Job::Compare(_) | Job::Done(..) => {}
            }
        }
        "Done.".to_owned()
    }

    /// What was measured, once [`PredictRun::is_done`].
    ///
    /// `None` while running; `Some(Err)` with a sentence when a run failed or the measure
    /// cannot be taken (no machine could run a compared workload).
    pub fn outcome(&self) -> Option<Result<PredictOutcome, String>> {
        if let Some(why) = &self.failed {
            return Some(Err(why.clone()));
        }
        if !self.is_done() {
            return None;
        }
        let runs: Vec<(SimArch, &RunMetrics)> = self
            .jobs
            .iter()
            .filter_map(|j| match j {
                Job::Done(arch, m) => Some((*arch, m)),
                _ => None,
            })
            .collect();
        let us = |m: &RunMetrics| m.seconds() * 1e6;
        let cycles_line = |(arch, m): &(SimArch, &RunMetrics)| {
            format!(
                "{}: {} cycles ({:.2} µs)",
                short_name(*arch),
                thousands(m.cycles.0),
                us(m)
            )
        };
        let (value, detail) = match (self.measure, runs.as_slice()) {
            (Measure::Cycles, [run]) => (
                // Cycle counts are far below 2^53: exact as f64.
                PredictValue::Number(run.1.cycles.0 as f64),
                format!("{}.", cycles_line(run)),
            ),
            (Measure::TimeUs, [run]) => (
                PredictValue::Number(us(run.1)),
                format!("{}.", cycles_line(run)),
            ),
            (Measure::CyclesRatio, [first, second]) if first.1.cycles.0 > 0 => (
                PredictValue::Number(second.1.cycles.0 as f64 / first.1.cycles.0 as f64),
                format!(
                    "First setup {}; second setup {}.",
                    cycles_line(first),
                    cycles_line(second)
                ),
            ),
            (Measure::SameCycles, [first, second]) => (
                PredictValue::YesNo(first.1.cycles == second.1.cycles),
                format!(
                    "First setup {}; second setup {}.",
                    cycles_line(first),
                    cycles_line(second)
                ),
            ),
            (Measure::Fastest, []) => {
                let Some(Job::Compare(c)) = self.jobs.first() else {
                    return Some(Err("The comparison did not run.".to_owned()));
                };
                let finished = c.finished();
                let best = finished
                    .iter()
                    .map(|(_, f)| f.metrics.seconds())
                    .fold(f64::INFINITY, f64::min);
                if finished.is_empty() || !best.is_finite() {
                    return Some(Err(
                        "No machine could run this workload, so none is fastest.".to_owned(),
                    ));
                }
                let fastest: Vec<SimArch> = finished
                    .iter()
                    .filter(|(_, f)| f.metrics.seconds() == best)
                    .map(|(a, _)| *a)
                    .collect();
                let times: Vec<String> = finished
                    .iter()
                    .map(|(a, f)| format!("{} {:.2} µs", short_name(*a), us(&f.metrics)))
                    .collect();
                let mut detail = format!("Times: {}.", times.join(", "));
                for (arch, why) in &c.table().refused {
                    detail.push_str(&format!(" The {} cannot run it: {why}", short_name(*arch)));
                }
                (PredictValue::Machines(fastest), detail)
            }
            _ => return Some(Err("The runs did not give this measure.".to_owned())),
        };
        Some(Ok(PredictOutcome {
            value,
            detail,
            links: self.links.clone(),
        }))
    }
}

/// Runs `predict` natively to its answer (tests, and anything off the page).
///
/// # Errors
/// A setup's sentence, or why the measure could not be taken.
pub fn answer(predict: &Predict) -> Result<PredictOutcome, String> {
    let mut run = PredictRun::new(predict)?;
    run.run_to_end();
    run.outcome()
        .unwrap_or_else(|| Err("The run did not finish.".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn predict(measure: Measure, setups: &[&str]) -> Predict {
        Predict {
            setups: setups.iter().map(|s| SetupRef::parse(s).unwrap()).collect(),
            measure,
            tolerance: 0.1,
        }
    }

    #[test]
    fn setups_are_read_by_their_pages_parsers_and_unknown_keys_refused() {
        let check = |text: &str, needle: &str| {
            let e = resolve(&SetupRef::parse(text).unwrap()).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        };
        check("ipu?preset=mlp&tile=4", "\u{201c}tile\u{201d}");
        check("groq?preset=gemv&seq=128", "takes no \u{201c}seq\u{201d}");
        check("gpu?preset=resnet", "no preset called");
        check("wse?preset=mlp&batch=0", "atch");
        check("compare?preset=mlp&tiles=4", "compare page has no setting");
        let ok = resolve(&SetupRef::parse("groq?preset=bert-layer&seq=256").unwrap()).unwrap();
        assert!(ok.href().starts_with("#/simulators/groq?preset=bert-layer"));
        assert!(ok.href().contains("seq=256"), "{}", ok.href());
        let c = resolve(&SetupRef::parse("compare?preset=mlp&batch=8").unwrap()).unwrap();
        assert_eq!(c.href(), "#/compare?preset=mlp&batch=8");
    }

    #[test]
    fn a_cycle_count_is_the_engines_and_a_ratio_divides_two_runs() {
        let one = answer(&predict(Measure::Cycles, &["gpu?preset=mlp"])).unwrap();
        let PredictValue::Number(cycles) = one.value else {
            panic!("{one:?}")
        };
        assert!(cycles > 0.0);
        assert!(one.detail.contains("cycles"), "{}", one.detail);
        let same = answer(&predict(
            Measure::SameCycles,
            &["gpu?preset=mlp", "gpu?preset=mlp&batch=4"],
        ))
        .unwrap();
        assert_eq!(
            same.value,
            PredictValue::YesNo(true),
            "batch 4 is the default"
        );
        let ratio = answer(&predict(
            Measure::CyclesRatio,
            &["gpu?preset=mlp", "gpu?preset=mlp"],
        ))
        .unwrap();
        assert_eq!(ratio.value, PredictValue::Number(1.0));
        assert_eq!(ratio.links.len(), 2);
        assert_eq!(
            ratio.links[1].0,
            "Open the second setup in the GPU simulator"
        );
        assert_eq!(one.links[0].0, "Open this setup in the GPU simulator");
    }

    #[test]
    fn the_fastest_machine_is_the_comparisons_shortest_time() {
        let p = predict(Measure::Fastest, &["compare?preset=gemv"]);
        let outcome = answer(&p).unwrap();
        let mut c =
            Comparison::new(CompareSetup::from_query(&crate::query::parse("preset=gemv")).unwrap());
        c.run_to_end();
        let best = c
            .finished()
            .into_iter()
            .min_by(|a, b| a.1.metrics.seconds().total_cmp(&b.1.metrics.seconds()))
            .unwrap()
            .0;
        assert_eq!(outcome.value, PredictValue::Machines(vec![best]));
        assert!(outcome.detail.starts_with("Times: "), "{}", outcome.detail);
    }

    #[test]
    fn a_measure_that_does_not_fit_its_setups_is_a_sentence() {
        let e = PredictRun::new(&predict(Measure::Fastest, &["gpu?preset=mlp"])).unwrap_err();
        assert!(e.contains("fastest"), "{e}");
    }

    #[test]
    fn slices_report_progress_and_reach_the_same_answer() {
        let p = predict(
            Measure::Cycles,
            &["wse?preset=gemv&width=4&height=4&d_in=64&d_out=64"],
        );
        let mut run = PredictRun::new(&p).unwrap();
        assert!(
            run.progress().starts_with("Compiling for the WSE mesh"),
            "{}",
            run.progress()
        );
        let mut clock = 0.0;
        let mut now = || {
            clock += 1.0;
            clock
        };
        let mut n_slices = 0;
        let mut saw_running = false;
        while run.step(1.0, &mut now) {
            n_slices += 1;
            saw_running |= run
                .progress()
                .starts_with("Running the WSE mesh model: cycle");
            assert!(n_slices < 100_000);
        }
        assert!(saw_running);
        assert_eq!(run.outcome().unwrap().unwrap(), answer(&p).unwrap());
    }
}

#[cfg(test)]
mod course_questions {
    use super::*;
    use course::QuestionKind;

    /// Every predict question of the course: its setups are read by the real page parsers and
    /// its runs give an answer of its measure, with a link per setup. This is where a setup
    /// that is well formed but wrong (an unknown key, a size the page refuses) fails, named by
    /// the question's id.
    #[test]
    fn every_predict_question_in_the_course_runs() {
        let course = crate::course_data::course().unwrap();
        let mut n_predict = 0;
        let mut lessons = std::collections::BTreeSet::new();
        for quiz in &course.quizzes {
            for question in &quiz.questions {
                let QuestionKind::Predict(predict) = &question.kind else {
                    continue;
                };
                n_predict += 1;
                lessons.insert(quiz.lesson_slug.clone());
                let outcome = answer(predict)
                    .unwrap_or_else(|why| panic!("question `{}`: {why}", question.id));
                let fits = match (&outcome.value, predict.measure.is_numeric()) {
                    (PredictValue::Number(x), true) => x.is_finite() && *x > 0.0,
                    (PredictValue::YesNo(_), false) => predict.measure == Measure::SameCycles,
                    (PredictValue::Machines(m), false) => !m.is_empty(),
                    _ => false,
                };
                assert!(fits, "question `{}`: {outcome:?}", question.id);
                assert_eq!(outcome.links.len(), predict.setups.len(), "{}", question.id);
                for (_, href) in &outcome.links {
                    assert!(
                        href.starts_with("#/simulators/") || href.starts_with("#/compare?"),
                        "{href}"
                    );
                }
            }
        }
        assert!(n_predict >= 6, "{n_predict} predict questions");
        assert!(lessons.len() >= 5, "{lessons:?}");
    }
}
