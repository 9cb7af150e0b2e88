//! The Groq TSP: its settings (superlanes, floorplan), its session, a slice's inspection,
//! the result check, the schedule as tables, and the course's experiment (BERT-tiny
//! recompiled for sequence 256) beside what the real GroqChip reported.

use std::any::Any;

use course::SimArch;
use sim::engine::Engine;
use sim::gpu::{GpuConfig, GpuSim};
use sim::groq::latency::{LEAVES_OUT, REAL_SEQ128_US, REAL_SEQ256_US, REAL_SOURCE};
use sim::groq::values::worst_relative_error;
use sim::groq::{GroqConfig, GroqRun, InputValues, LatencyComparison, compile, seq_latency_ratio};
use sim::metrics::RunMetrics;
use sim::units::Cycle;
use sim::workload::Workload;

use super::form::{FieldKind, FieldSpec, SimSetup};
use super::session::{InspectRows, Span, SpanKind, UnitAt, VALUES_SEED};
use super::{Machine, SimSession, sentence};

/// Superlanes of the simulated chip (a vector is 16 elements per superlane).
pub const SUPERLANES: FieldSpec = FieldSpec {
    key: "superlanes",
    label: "Superlanes",
    what: "number of superlanes",
    kind: FieldKind::Size,
    default: |_| "8",
};
/// The row of slices: a small one for the picture or the real floorplan.
pub const FLOORPLAN: FieldSpec = FieldSpec {
    key: "floorplan",
    label: "Floorplan",
    what: "floorplan",
    kind: FieldKind::Choice(&[
        ("small", "Small: 4 MEM slices per hemisphere (15 slices)"),
        ("tsp", "GroqChip: 44 MEM slices per hemisphere (95 slices)"),
    ]),
    default: |_| "small",
};

/// What the input tensors hold: seeded random values, or all ones like the dummy input
/// `groqit` compiles with. The compile sees only shapes, so the choice changes the values
/// computed (and checked) but never the schedule or its cycles.
pub const INPUT: FieldSpec = FieldSpec {
    key: "input",
    label: "Input values",
    what: "input",
    kind: FieldKind::Choice(&[
        ("random", "Random (seeded), like real data"),
        ("ones", "All ones, like groqit's dummy input"),
    ]),
    default: |_| "random",
};

/// Speeds offered, in cycles per frame.
pub const GROQ_SPEEDS: [u64; 7] = [1, 4, 16, 64, 256, 1_024, 4_096];

/// The Groq TSP machine.
#[derive(Debug)]
pub struct GroqMachine;

impl Machine for GroqMachine {
    fn arch(&self) -> SimArch {
        SimArch::Groq
    }
    fn fields(&self) -> &'static [&'static FieldSpec] {
        &[&SUPERLANES, &FLOORPLAN, &INPUT]
    }
    fn speeds(&self) -> &'static [u64] {
        &GROQ_SPEEDS
    }
    fn lesson(&self) -> (&'static str, &'static str) {
        ("groq-tsp", "Groq LPU / TSP")
    }
    fn unit_name(&self) -> Option<&'static str> {
        Some("slice")
    }
    fn build(&self, setup: &SimSetup) -> Result<Box<dyn SimSession>, String> {
        Ok(Box::new(GroqSession::build(setup)?))
    }
}

/// The engine's configuration for a setup.
pub fn groq_config(setup: &SimSetup) -> GroqConfig {
    let superlanes = setup.size(&SUPERLANES);
    let base = if setup.choice(&FLOORPLAN) == "tsp" {
        GroqConfig::tsp()
    } else {
        GroqConfig::small(superlanes)
    };
    let slices = base.n_slices();
    GroqConfig {
        name: format!("TSP-style chip, {superlanes} superlanes, {slices} slices"),
        ..base.with_superlanes(superlanes)
    }
}

/// A Groq page's run.
#[derive(Debug, Clone)]
pub struct GroqSession {
    /// The engine.
    pub run: GroqRun,
    /// The workload it runs.
    pub workload: Workload,
    /// The same workload on the A100 model.
    pub references: Vec<(SimArch, RunMetrics)>,
    /// BERT-tiny at sequence 128 and 256 on the real floorplan, or why there is none.
    pub latency: Result<LatencyComparison, String>,
    /// What the inputs hold.
    pub inputs: InputValues,
}

impl GroqSession {
    /// Compiles the workload for the chip, and BERT-tiny at two lengths for the figures.
    ///
    /// # Errors
    /// The engine's error as a sentence (no superlanes, a tensor larger than a MEM slice,
    /// a workload the compiler does not lower, sizes over the memory budget).
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let config = groq_config(setup);
        config.validate().map_err(|e| sentence(&e))?;
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let inputs = if setup.choice(&INPUT) == "ones" {
            InputValues::Ones
        } else {
            InputValues::Seeded(VALUES_SEED)
        };
        let program = compile(&config, &workload).map_err(|e| sentence(&e))?;
        let run = GroqRun::from_program(
            config,
            std::sync::Arc::new(program),
            &workload,
            Some(inputs),
            VALUES_SEED,
        )
        .map_err(|e| sentence(&e))?;
        let gpu = GpuSim::new(GpuConfig::a100_40gb_sxm(), &workload)
            .map_err(|e| sentence(&e))?
            .run_to_end();
        let latency = seq_latency_ratio(&GroqConfig::tsp()).map_err(|e| sentence(&e));
        Ok(Self {
            run,
            workload,
            references: vec![(SimArch::Gpu, gpu)],
            latency,
            inputs,
        })
    }

    /// The schedule's length, known from the compile.
    pub fn predicted_cycles(&self) -> Cycle {
        self.run.predicted()
    }
}

pub use sim::units::thousands;

/// The compile's report: the prediction before anything runs.
pub fn prediction_line(run: &GroqRun) -> String {
    let p = run.program();
    let c = run.config();
    format!(
        "The compiler predicts {} cycles ({:.2} µs at {:.0} MHz, the model's figure): {} instructions on {} slices, every one with its issue cycle fixed.",
        thousands(p.length.0),
        p.length.seconds_at(c.clock_hz) * 1e6,
        c.clock_hz / 1e6,
        thousands(p.instructions.len() as u64),
        p.slices.len()
    )
}

/// What compiling the same setup again gives: the same program, cycle for cycle (a
/// compile depends on shapes only), or the engine's sentence.
pub fn recompile_line(s: &GroqSession) -> String {
    match sim::groq::compile(s.run.config(), &s.workload) {
        Ok(p) if p == *s.run.program() => format!(
            "Compiled again: {} cycles and the same {} instructions at the same cycles. The same shapes always give the same program.",
            thousands(p.length.0),
            thousands(p.instructions.len() as u64)
        ),
        Ok(p) => format!(
            "Compiled again: {} cycles, a different program from the first compile.",
            thousands(p.length.0)
        ),
        Err(e) => sentence(&e),
    }
}

/// The run against the prediction, once it is over.
pub fn executed_line(run: &GroqRun) -> Option<String> {
    if !run.is_finished() {
        return None;
    }
    let (done, predicted) = (run.now().0, run.predicted().0);
    Some(if done == predicted && run.violations().is_empty() {
        format!(
            "The run took {} cycles: exactly the {} the compiler predicted. Nothing stalled; nothing could.",
            thousands(done),
            thousands(predicted)
        )
    } else {
        format!(
            "The run took {} cycles, but the compiler predicted {}: {}",
            thousands(done),
            thousands(predicted),
            run.violations().join("; ")
        )
    })
}

impl SimSession for GroqSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.run
    }
    fn metrics(&self) -> RunMetrics {
        self.run.metrics()
    }
    fn units(&self) -> u64 {
        // Every lane of every slice: the values work per cycle grows with both.
        self.run.program().slices.len() as u64 * self.run.config().vector_len()
    }
    fn setup_line(&self) -> String {
        format!(
            "Compiled {} for {}. {} Press Play or Step.",
            self.workload.name,
            self.run.config().name,
            prediction_line(&self.run)
        )
    }
    fn total_cycles(&self) -> Option<Cycle> {
        Some(self.predicted_cycles())
    }
    fn result_check(&self) -> Option<String> {
        if !self.run.is_finished() {
            return None;
        }
        if let Some(reason) = self.run.no_values_reason() {
            return Some(format!("Timing only, no values computed: {reason}."));
        }
        let got = self.run.result()?;
        let want = self.run.reference()?;
        let worst = worst_relative_error(got, &want);
        let n = got.len();
        let inputs = match self.inputs {
            InputValues::Ones => "all ones, groqit's dummy input",
            InputValues::Seeded(_) => "seeded random values",
        };
        // Rows normalised in f32 against f64: allow rounding relative to each output's size.
        Some(if got.len() == want.len() && worst <= 1e-3 {
            format!(
                "Correct: all {} outputs match an f64 reference (largest relative difference {worst:.1e}, within f32 rounding). Inputs: {inputs}.",
                thousands(n as u64)
            )
        } else {
            format!(
                "Wrong: the outputs differ from an f64 reference by up to {worst:.1e} (relative). Inputs: {inputs}."
            )
        })
    }
    fn inspect(&self, (slice, _): UnitAt) -> InspectRows {
        let s = self.run.inspect(slice).map_err(|e| sentence(&e))?;
        let mut rows = vec![
            (
                "Slice".to_string(),
                format!("{} (index {})", s.name, s.slice),
            ),
            ("Kind".into(), slice_role(s.kind).into()),
            (
                "Cycles issuing / idle (superlane 0)".into(),
                format!("{} / {}", s.busy.0, s.idle.0),
            ),
            (
                "Instructions in the schedule".into(),
                s.n_instructions.to_string(),
            ),
            (
                "Now".into(),
                s.now.unwrap_or_else(|| "nothing (idle this cycle)".into()),
            ),
            (
                "Next".into(),
                s.next.map_or_else(
                    || "nothing more".into(),
                    |(at, what)| format!("cycle {}: {what}", at.0),
                ),
            ),
        ];
        if s.kind == sim::groq::SliceKind::Mem {
            rows.push((
                "Memory used".into(),
                format!("{} of {}", s.used, s.capacity),
            ));
            for (name, bytes) in s.tensors.iter().take(12) {
                rows.push((format!("Holds {name}"), bytes.to_string()));
            }
        }
        Ok(rows)
    }
    fn references(&self) -> &[(SimArch, RunMetrics)] {
        &self.references
    }
    fn assumptions(&self) -> Vec<String> {
        sim::groq::MODEL_ASSUMPTIONS
            .iter()
            .map(|a| (*a).to_string())
            .collect()
    }
    fn timeline(&self) -> Vec<Span> {
        self.run
            .program()
            .ops
            .iter()
            .map(|o| Span {
                start: o.start,
                end: o.end,
                kind: SpanKind::Compute,
                label: format!("{} ({}), cycles fixed by the compiler", o.name, o.label),
            })
            .collect()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What a kind of slice does, in words.
pub fn slice_role(kind: sim::groq::SliceKind) -> &'static str {
    use sim::groq::SliceKind;
    match kind {
        SliceKind::Mem => {
            "MEM: holds tensors; reads vectors onto streams and writes vectors from them"
        }
        SliceKind::Vxm => "VXM: elementwise arithmetic, activations and the normalising passes",
        SliceKind::Mxm => {
            "MXM: holds a block of weights and multiplies the vectors streaming through"
        }
        SliceKind::Sxm => "SXM: shifts, permutes and reduces vectors across lanes",
    }
}

/// One row of the schedule table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstructionRow {
    /// Issue cycle on superlane 0.
    pub issue: u64,
    /// Slice name.
    pub slice: String,
    /// What it does.
    pub what: String,
    /// Vectors.
    pub vectors: u64,
    /// Latency in cycles.
    pub latency: u64,
    /// Its op.
    pub op: String,
}

impl InstructionRow {
    /// The row's cells, in the table's column order.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.issue.to_string(),
            self.slice.clone(),
            self.what.clone(),
            self.vectors.to_string(),
            self.latency.to_string(),
            self.op.clone(),
        ]
    }
}

/// The first `max` instructions of the schedule as rows.
pub fn instruction_rows(run: &GroqRun, workload: &Workload, max: usize) -> Vec<InstructionRow> {
    let p = run.program();
    p.instructions
        .iter()
        .take(max)
        .map(|i| InstructionRow {
            issue: i.issue.0,
            slice: p.slice_name(i.slice),
            what: p.describe(i),
            vectors: i.count,
            latency: i.latency.0,
            op: workload
                .ops
                .get(i.op)
                .map_or_else(String::new, |o| o.name.clone()),
        })
        .collect()
}

/// One op as scheduled: name, kind, first issue, end, instructions.
pub fn op_rows(run: &GroqRun) -> Vec<(String, &'static str, u64, u64, usize)> {
    run.program()
        .ops
        .iter()
        .map(|o| (o.name.clone(), o.label, o.start.0, o.end.0, o.instructions))
        .collect()
}

/// The latency comparison in sentences: the model's two compiles, the real figures with
/// their source, the ratios and the error, and what the model leaves out.
pub fn latency_lines(c: &LatencyComparison) -> Vec<(String, String)> {
    vec![
        (
            "The model: BERT-tiny's two encoder layers on the 95-slice floorplan at 900 MHz".into(),
            format!(
                "sequence 128: {} cycles = {:.2} µs; sequence 256 (a new compile, because the shape changed): {} cycles = {:.2} µs. These are this simulator's figures, not Groq's.",
                thousands(c.short.cycles.0),
                c.short.micros,
                thousands(c.long.cycles.0),
                c.long.micros
            ),
        ),
        (
            "The real GroqChip (on-chip latency)".into(),
            format!(
                "{REAL_SEQ128_US} µs at sequence 128, {REAL_SEQ256_US} µs at sequence 256; source: {REAL_SOURCE}"
            ),
        ),
        (
            "Twice the length costs".into(),
            format!(
                "{:.2}× in the model, {:.2}× on the real chip: the model's ratio is {:.1}% {} the real one",
                c.model_ratio,
                c.real_ratio,
                100.0 * c.ratio_error().abs(),
                if c.ratio_error() >= 0.0 { "above" } else { "below" }
            ),
        ),
        (
            "Why not 2×".into(),
            "loading each weight block into an MXM and the pipeline latencies cost the same at any length; only the streaming of rows (and the attention's seq × seq part) grows with it".into(),
        ),
        ("What the model leaves out".into(), LEAVES_OUT.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::form::SimForm;
    use super::super::session::advance;
    use super::*;

    fn groq(query: &str) -> Result<GroqSession, String> {
        let q = crate::query::parse(query);
        GroqSession::build(&SimForm::from_query(&GroqMachine, &q).parse(&GroqMachine)?)
    }

    #[test]
    fn the_mlp_layer_runs_to_the_compilers_cycle_count_with_correct_values() {
        let mut s = groq("preset=mlp").unwrap();
        let predicted = s.predicted_cycles();
        assert!(
            s.setup_line().contains("The compiler predicts"),
            "{}",
            s.setup_line()
        );
        assert!(executed_line(&s.run).is_none());
        assert!(
            recompile_line(&s).contains("the same 36 instructions"),
            "{}",
            recompile_line(&s)
        );
        let slice = advance(&mut s, u64::MAX / 2);
        assert_eq!(
            slice.status,
            sim::engine::RunStatus::Finished { at: predicted }
        );
        let check = s.result_check().unwrap();
        assert!(check.starts_with("Correct: all 512 outputs"), "{check}");
        let executed = executed_line(&s.run).unwrap();
        assert!(executed.contains("exactly the"), "{executed}");
        assert!(
            slice.lines.iter().any(|l| l.contains("issues")),
            "{:?}",
            slice.lines
        );
        let rows = s.inspect((4, 0)).unwrap();
        assert!(
            rows.iter()
                .any(|(l, v)| l == "Memory used" && v.contains("of 1.00 MiB")),
            "{rows:?}"
        );
        assert_eq!(
            s.inspect((15, 0)).unwrap_err(),
            "Slice 15 is outside the chip, which has slices 0 to 14."
        );
        assert_eq!(instruction_rows(&s.run, &s.workload, 5).len(), 5);
        assert_eq!(op_rows(&s.run).len(), 3);
    }

    /// The compile sees shapes only: all-ones and random inputs give the same program and
    /// run to the same cycle, with different outputs, each correct against the reference.
    #[test]
    fn the_input_values_change_the_outputs_and_never_the_cycles() {
        let mut ones = groq("preset=mlp&input=ones").unwrap();
        let mut random = groq("preset=mlp&input=random").unwrap();
        assert_eq!(ones.predicted_cycles(), random.predicted_cycles());
        let a = advance(&mut ones, u64::MAX / 2);
        let b = advance(&mut random, u64::MAX / 2);
        assert_eq!(a.status, b.status);
        assert_ne!(ones.run.result(), random.run.result());
        let check = ones.result_check().unwrap();
        assert!(
            check.starts_with("Correct")
                && check.ends_with("Inputs: all ones, groqit's dummy input."),
            "{check}"
        );
        assert!(
            random
                .result_check()
                .unwrap()
                .ends_with("Inputs: seeded random values.")
        );
        assert_eq!(
            groq("preset=mlp&input=zeros").unwrap_err(),
            "There is no input called \u{201c}zeros\u{201d}; choose random or ones."
        );
    }

    #[test]
    fn the_bert_layer_takes_a_sequence_length_and_a_new_length_is_a_new_program() {
        let short = groq("preset=bert-layer&seq=64").unwrap();
        let long = groq("preset=bert-layer&seq=128").unwrap();
        assert!(long.predicted_cycles() > short.predicted_cycles());
        let c = short.latency.clone().unwrap();
        let lines = latency_lines(&c);
        assert!(lines[1].1.contains("26.6 µs"), "{lines:?}");
        assert!(lines[2].1.contains("1.61× on the real chip"), "{lines:?}");
        assert_eq!(
            groq("preset=bert-layer&seq=0").unwrap_err(),
            "Sequence length must be at least 1, but it is 0."
        );
        assert_eq!(
            groq("preset=bert-layer&seq=600").unwrap_err(),
            "Sequence length is 600, above the limit of 512."
        );
        // The form writes the sequence back into the address.
        let q = crate::query::parse("preset=bert-layer&seq=256");
        let form = SimForm::from_query(&GroqMachine, &q);
        assert!(form.to_query(&GroqMachine).contains("seq=256"));
    }

    #[test]
    fn bad_settings_are_sentences() {
        assert_eq!(
            groq("superlanes=0").unwrap_err(),
            "Number of superlanes must be at least 1, but it is 0."
        );
        assert_eq!(
            groq("superlanes=100").unwrap_err(),
            "Number of superlanes is 100, above the limit of 64."
        );
        assert!(
            groq("preset=mlp&superlanes=1")
                .unwrap_err()
                .starts_with("The tensor \"w\" needs 392.00 KiB"),
        );
        assert!(
            groq("preset=cnn")
                .unwrap_err()
                .contains("choose the MLP, GEMV or BERT preset")
        );
        assert_eq!(
            groq("floorplan=big").unwrap_err(),
            "There is no floorplan called \u{201c}big\u{201d}; choose small or tsp."
        );
        // The real floorplan builds, with 95 slices.
        let tsp = groq("preset=gemv&floorplan=tsp&superlanes=20").unwrap();
        assert_eq!(tsp.run.program().slices.len(), 95);
    }
}
