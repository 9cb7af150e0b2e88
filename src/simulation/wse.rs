//! The Cerebras WSE-2 mesh: its settings (mesh size, colors), its session, the result check,
//! a PE's inspection and the event log's grouping of result bursts.
//!
//! One linear layer (GEMV, MLP) runs on [`GemvRun`]; a graph the GEMV mapping refuses but
//! the op-by-op mapping takes (the BERT-tiny encoder layer) runs on [`LayerRun`]. [`WseRun`]
//! is either, behind one interface.

use std::any::Any;

use course::SimArch;
use sim::SimError;
use sim::engine::{Engine, RunStatus, StepOutcome};
use sim::gpu::{GpuConfig, GpuSim};
use sim::metrics::RunMetrics;
use sim::trace::{EventKind, TraceEvent};
use sim::units::{Bytes, Cycle};

use sim::workload::Workload;
use sim::wse::config::{WSE2_COLORS, WseConfig};
use sim::wse::{GemvRun, LayerRun, MeshSnapshot, PeInspect, PeState, WseEvent};

use super::form::{FieldKind, FieldSpec, Preset, SimSetup};
use super::session::{InspectRows, UnitAt, VALUES_SEED, event_line};
use super::{Machine, SimSession, sentence};

/// Mesh width in PEs.
pub const WIDTH: FieldSpec = FieldSpec {
    key: "width",
    label: "Mesh width (PEs)",
    what: "mesh width",
    kind: FieldKind::Size,
    default: mesh_side,
};
/// Mesh height in PEs.
pub const HEIGHT: FieldSpec = FieldSpec {
    key: "height",
    label: "Mesh height (PEs)",
    what: "mesh height",
    kind: FieldKind::Size,
    default: mesh_side,
};
/// Colors (virtual channels) of the fabric.
pub const COLORS: FieldSpec = FieldSpec {
    key: "colors",
    label: "Colors (virtual channels)",
    what: "number of colors",
    kind: FieldKind::Size,
    default: |_| "24",
};

/// The default mesh side: the MLP's 784 inputs get a bigger mesh.
fn mesh_side(preset: Preset) -> &'static str {
    if preset == Preset::Mlp { "32" } else { "16" }
}

/// Largest mesh side the page animates. The engine accepts up to 1,024 (a wafer), but a
/// million PEs per cycle does not fit in an animation frame.
pub const MAX_PAGE_MESH_SIDE: u64 = 128;
/// Speeds offered, in cycles per frame (the frame's cap of PE-cycles still applies: 256
/// cycles on a 16×16 mesh, which a BERT layer's ~150,000 cycles need to end in seconds).
pub const WSE_SPEEDS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// The WSE-2 mesh machine.
#[derive(Debug)]
pub struct WseMachine;

impl Machine for WseMachine {
    fn arch(&self) -> SimArch {
        SimArch::Wse
    }
    fn fields(&self) -> &'static [&'static FieldSpec] {
        &[&WIDTH, &HEIGHT, &COLORS]
    }
    fn speeds(&self) -> &'static [u64] {
        &WSE_SPEEDS
    }
    fn lesson(&self) -> (&'static str, &'static str) {
        ("cerebras-wse", "Cerebras CS-2 and the WSE-2")
    }
    fn unit_name(&self) -> Option<&'static str> {
        Some("PE")
    }
    fn units_in_a_grid(&self) -> bool {
        true
    }
    fn check(&self, setup: &SimSetup) -> Result<(), String> {
        for field in [&WIDTH, &HEIGHT] {
            let value = u64::from(setup.size(field));
            if value > MAX_PAGE_MESH_SIDE {
                return Err(sentence(&SimError::TooLarge {
                    what: field.what,
                    value,
                    max: MAX_PAGE_MESH_SIDE,
                }));
            }
        }
        // The mesh holds every input value of the batch in the tab's memory (784 per MLP
        // sample); keep that as bounded as the matrix.
        let inputs = u64::from(setup.batch) * 784;
        if setup.preset == Preset::Mlp && inputs > super::form::MAX_PAGE_MATRIX {
            return Err(sentence(&SimError::TooLarge {
                what: "the number of input values (batch × 784)",
                value: inputs,
                max: super::form::MAX_PAGE_MATRIX,
            }));
        }
        Ok(())
    }
    fn build(&self, setup: &SimSetup) -> Result<Box<dyn SimSession>, String> {
        Ok(Box::new(WseSession::build(setup)?))
    }
}

/// The mesh configuration of a setup.
pub fn wse_config(setup: &SimSetup) -> WseConfig {
    let mut config = WseConfig::wse2(setup.size(&WIDTH), setup.size(&HEIGHT));
    config.n_colors = setup.size(&COLORS);
    config
}

/// The engine of a WSE run: one linear layer on the GEMV mapping, or a graph of ops mapped
/// op by op (the BERT layer).
#[derive(Debug, Clone)]
pub enum WseRun {
    /// A GEMV or MLP layer.
    Gemv(Box<GemvRun>),
    /// A graph of ops, one phase after another on the whole mesh.
    Layer(Box<LayerRun>),
}

impl WseRun {
    /// Maps `workload`: on the GEMV mapping when it is one linear layer, otherwise op by op.
    ///
    /// # Errors
    /// The GEMV mapping's error for a linear layer it cannot place; the op-by-op mapping's
    /// for any other graph (an op it does not map, a block or rows that do not fit a PE).
    pub fn map(config: WseConfig, workload: &Workload, seed: u64) -> Result<Self, SimError> {
        match GemvRun::from_workload(config.clone(), workload, seed) {
            Ok(run) => Ok(Self::Gemv(Box::new(run))),
            Err(SimError::UnsupportedWorkload { .. }) => {
                LayerRun::from_workload(config, workload, seed).map(|r| Self::Layer(Box::new(r)))
            }
            Err(e) => Err(e),
        }
    }

    /// The mesh's configuration.
    pub fn config(&self) -> &WseConfig {
        match self {
            Self::Gemv(g) => g.mesh().config(),
            Self::Layer(l) => l.config(),
        }
    }

    /// Bytes of the biggest block of `W` (or of a matmul's right operand) one PE holds.
    pub fn max_block_bytes(&self) -> Bytes {
        match self {
            Self::Gemv(g) => g.max_block_bytes(),
            Self::Layer(l) => l.max_block_bytes(),
        }
    }

    /// See [`MeshSnapshot`]; reuses `snap`'s buffers.
    pub fn snapshot_into(&self, snap: &mut MeshSnapshot) {
        match self {
            Self::Gemv(g) => g.snapshot_into(snap),
            Self::Layer(l) => l.snapshot_into(snap),
        }
    }

    /// The inspection of PE (`x`, `y`).
    ///
    /// # Errors
    /// A PE outside the mesh.
    pub fn inspect(&self, x: u32, y: u32) -> Result<PeInspect, SimError> {
        match self {
            Self::Gemv(g) => g.inspect(x, y),
            Self::Layer(l) => l.inspect(x, y),
        }
    }

    /// The result check as a sentence, once the run is over.
    pub fn check_text(&self) -> Option<String> {
        match self {
            Self::Gemv(g) => g.check_result().map(|c| c.to_string()),
            Self::Layer(l) => match l.failure() {
                Some(reason) => Some(format!("No result: a phase could not run. {reason}")),
                None => l.check_result().map(|c| c.to_string()),
            },
        }
    }

    /// The op (and phase) running, in words, when the run is a graph of ops.
    pub fn phase_line(&self) -> Option<String> {
        match self {
            Self::Gemv(_) => None,
            Self::Layer(l) => Some(format!(
                "Phase {} of {} \u{2014} {}",
                l.phase_index() + 1,
                l.plan().len(),
                l.phase().label
            )),
        }
    }
}

impl Engine for WseRun {
    fn now(&self) -> Cycle {
        match self {
            Self::Gemv(g) => g.now(),
            Self::Layer(l) => l.now(),
        }
    }
    fn step(&mut self) -> StepOutcome {
        match self {
            Self::Gemv(g) => g.step(),
            Self::Layer(l) => l.step(),
        }
    }
    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        match self {
            Self::Gemv(g) => g.run_until(deadline),
            Self::Layer(l) => l.run_until(deadline),
        }
    }
    fn is_finished(&self) -> bool {
        match self {
            Self::Gemv(g) => g.is_finished(),
            Self::Layer(l) => l.is_finished(),
        }
    }
    fn metrics(&self) -> RunMetrics {
        match self {
            Self::Gemv(g) => g.metrics(),
            Self::Layer(l) => l.metrics(),
        }
    }
    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        match self {
            Self::Gemv(g) => g.drain_trace(),
            Self::Layer(l) => l.drain_trace(),
        }
    }
}

/// A WSE page's run: the mapped mesh, and the A100 on the same workload for comparison.
#[derive(Debug, Clone)]
pub struct WseSession {
    /// The engine.
    pub run: WseRun,
    /// The workload it runs.
    pub workload: Workload,
    /// The same workload on the A100 model.
    pub references: Vec<(SimArch, RunMetrics)>,
}

impl WseSession {
    /// Builds the workload, maps it onto the mesh and plans the GPU run beside it.
    ///
    /// # Errors
    /// The engine's error as a sentence (a size it refuses, a block that does not fit a
    /// PE's 48 KB, a mapping that needs more colors than configured, a workload the mesh
    /// mapping does not run).
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let config = wse_config(setup);
        config.validate().map_err(|e| sentence(&e))?;
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let run = WseRun::map(config, &workload, VALUES_SEED).map_err(|e| sentence(&e))?;
        let gpu = GpuSim::new(GpuConfig::a100_40gb_sxm(), &workload)
            .map_err(|e| sentence(&e))?
            .run_to_end();
        Ok(Self {
            run,
            workload,
            references: vec![(SimArch::Gpu, gpu)],
        })
    }
}

impl SimSession for WseSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.run
    }
    fn metrics(&self) -> RunMetrics {
        self.run.metrics()
    }
    fn units(&self) -> u64 {
        self.run.config().n_pes() as u64
    }
    fn setup_line(&self) -> String {
        let config = self.run.config();
        match &self.run {
            WseRun::Gemv(_) => format!(
                "Set up: {} on a {}×{} mesh, {} of W per PE at most. Press Play or Step.",
                self.workload.name,
                config.width,
                config.height,
                self.run.max_block_bytes()
            ),
            WseRun::Layer(l) => format!(
                "Set up: {} on a {}×{} mesh, op by op in {} phases, each on the whole mesh; {} of a matmul operand per PE at most. Press Play or Step.",
                self.workload.name,
                config.width,
                config.height,
                l.plan().len(),
                self.run.max_block_bytes()
            ),
        }
    }
    /// The mesh's numbers against the same sums done in the same order on the CPU (bit for
    /// bit), and against an f64 reference (of the whole graph, for a layer).
    fn result_check(&self) -> Option<String> {
        self.run.check_text()
    }
    fn assumptions(&self) -> Vec<String> {
        let layer: &[&str] = match self.run {
            WseRun::Gemv(_) => &[],
            WseRun::Layer(_) => sim::wse::layer::LAYER_ASSUMPTIONS,
        };
        sim::wse::MODEL_ASSUMPTIONS
            .iter()
            .chain(layer)
            .map(|a| (*a).to_string())
            .collect()
    }
    fn inspect(&self, (x, y): UnitAt) -> InspectRows {
        self.run
            .inspect(x, y)
            .map(|pe| inspect_rows(&pe))
            .map_err(|e| sentence(&e))
    }
    fn references(&self) -> &[(SimArch, RunMetrics)] {
        &self.references
    }
    fn log_lines(&self, events: &[TraceEvent]) -> Vec<String> {
        summarise(events)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The log lines for a slice's events. Wavelets leaving the mesh come in bursts (a whole
/// column of results at once), so consecutive ones on the same color are one line with a
/// count; every other event is a line of its own.
pub fn summarise(events: &[TraceEvent]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        if let EventKind::Wse(WseEvent::WaveletLeftMesh { color, .. }) = event.kind {
            let mut j = i;
            let (mut y_min, mut y_max, mut x_edge) = (u32::MAX, 0, 0);
            while let Some(TraceEvent {
                kind: EventKind::Wse(WseEvent::WaveletLeftMesh { x, y, color: c }),
                ..
            }) = events.get(j)
            {
                if *c != color {
                    break;
                }
                y_min = y_min.min(*y);
                y_max = y_max.max(*y);
                x_edge = *x;
                j += 1;
            }
            let n = j - i;
            let last = events[j - 1].cycle;
            let cycles = if last == event.cycle {
                format!("{}", event.cycle.0)
            } else {
                format!("{}\u{2013}{}", event.cycle.0, last.0)
            };
            let (noun, verb) = if n == 1 {
                ("result", "leaves")
            } else {
                ("results", "leave")
            };
            let rows = if y_min == y_max {
                format!("row {y_min}")
            } else {
                format!("rows {y_min}\u{2013}{y_max}")
            };
            lines.push(format!(
                "cycle {cycles}: {n} {noun} on color {color} {verb} the mesh at the east edge (column {x_edge}, {rows})"
            ));
            i = j;
        } else {
            lines.push(event_line(event));
            i += 1;
        }
    }
    lines
}

/// The inspection of one PE as label/value pairs.
pub fn inspect_rows(pe: &PeInspect) -> Vec<(String, String)> {
    let state = match pe.state {
        PeState::Idle => "idle",
        PeState::Busy => "busy",
        PeState::Stalled => "stalled",
    };
    let mut rows = vec![
        ("State".to_string(), state.to_string()),
        (
            "Active task".into(),
            pe.task.map_or_else(|| "none".into(), str::to_string),
        ),
        (
            "Memory used".into(),
            format!("{} of {}", pe.memory_used, pe.memory_capacity),
        ),
        (
            "Cycles busy / stalled / idle".into(),
            format!("{} / {} / {}", pe.busy.0, pe.stalled.0, pe.idle.0),
        ),
        ("Tasks started".into(), pe.tasks_run.to_string()),
        (
            "Router stall cycles".into(),
            pe.router_stall_cycles.0.to_string(),
        ),
        ("Program".into(), pe.program.clone()),
    ];
    for c in &pe.routes {
        let tx: Vec<String> = c.route.tx.iter().map(|p| p.to_string()).collect();
        rows.push((
            format!("Color {}", c.color),
            format!(
                "from {} to {}; router queue {}; task queue {}",
                c.route.rx,
                tx.join(" + "),
                queue_text(&c.router_queue),
                queue_text(&c.task_queue)
            ),
        ));
    }
    rows
}

/// Wavelet payloads are f32 bits here (x values, partial sums).
fn queue_text(payloads: &[u32]) -> String {
    if payloads.is_empty() {
        return "empty".into();
    }
    let values: Vec<String> = payloads
        .iter()
        .map(|&bits| format!("{:.3}", f32::from_bits(bits)))
        .collect();
    format!("[{}]", values.join(", "))
}

/// The default number of colors, for tests and the form.
pub const DEFAULT_COLORS: u32 = WSE2_COLORS;

#[cfg(test)]
mod tests {
    use super::super::form::SimForm;
    use super::super::session::{Phase, advance, cycles_this_frame, ending, phase_after};
    use super::super::text::{compare_rows, metric_rows};
    use super::*;
    use sim::units::{Bytes, Cycle};

    fn form(query: &str) -> SimForm {
        SimForm::from_query(&WseMachine, &crate::query::parse(query))
    }

    fn wse(query: &str) -> Result<WseSession, String> {
        WseSession::build(&form(query).parse(&WseMachine)?)
    }

    #[test]
    fn bad_setups_give_the_engines_sentences() {
        assert_eq!(
            wse("preset=gemv&width=0").unwrap_err(),
            "Mesh width must be at least 1, but it is 0."
        );
        assert_eq!(
            wse("preset=gemv&colors=2").unwrap_err(),
            "This mapping needs 3 colors but the fabric has only 2."
        );
        // 2048×2048 on 4×4 PEs: a 512×512 block of f32 = 1 MiB plus 2 KiB of accumulators.
        assert_eq!(
            wse("preset=gemv&width=4&height=4&d_in=2048&d_out=2048").unwrap_err(),
            "The block placed on PE (0, 0) needs 1.00 MiB but a PE has only 48.00 KiB of memory; use a bigger mesh or a smaller matrix."
        );
        assert_eq!(
            wse("preset=gemv&d_out=0").unwrap_err(),
            "Output length must be at least 1, but it is 0."
        );
        assert!(
            wse("preset=cnn")
                .unwrap_err()
                .starts_with("This simulator cannot run that workload: ")
        );
        assert_eq!(
            wse("width=500").unwrap_err(),
            "Mesh width is 500, above the limit of 128."
        );
        assert_eq!(
            wse("preset=mlp&batch=65536").unwrap_err(),
            "The number of input values (batch × 784) is 51380224, above the limit of 4194304."
        );
    }

    #[test]
    fn a_gemv_runs_to_the_end_in_slices_and_checks_its_result() {
        let mut s: Box<dyn SimSession> =
            Box::new(wse("preset=gemv&width=4&height=4&d_in=16&d_out=16").unwrap());
        let mut lines = Vec::new();
        let mut frames = 0;
        let end = loop {
            let units = s.units();
            let slice = advance(s.as_mut(), cycles_this_frame(8, units));
            lines.extend(slice.lines);
            frames += 1;
            assert!(frames < 1_000, "runs to the end");
            if let Some(text) = ending(slice.status) {
                assert_eq!(phase_after(slice.status, true), Phase::Finished);
                break (slice.cycle, text);
            }
            assert_eq!(phase_after(slice.status, true), Phase::Running);
        };
        // The same run in one go ends on the same cycle (slicing changes nothing).
        let mut whole = wse("preset=gemv&width=4&height=4&d_in=16&d_out=16").unwrap();
        let _ = whole.run.run_until(Cycle(u64::MAX));
        assert_eq!(end.0, whole.run.now());
        assert_eq!(end.1, format!("Finished after {} cycles.", end.0.0));
        let check = s.result_check().unwrap();
        assert!(check.starts_with("Correct: all 16 outputs"), "{check}");
        assert!(
            lines.iter().any(|l| l.contains("pipeline filled")),
            "{lines:?}"
        );
        // 16 results leave in bursts: fewer lines than results, and every result counted.
        let counted: usize = lines
            .iter()
            .filter_map(|l| {
                l.split(": ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert_eq!(counted, 16, "{lines:?}");
    }

    #[test]
    fn bursts_of_results_are_one_line() {
        let ev = |c, y| TraceEvent {
            cycle: Cycle(c),
            kind: EventKind::Wse(WseEvent::WaveletLeftMesh { x: 3, y, color: 2 }),
        };
        let lines = summarise(&[
            ev(10, 0),
            ev(11, 0),
            ev(11, 1),
            TraceEvent {
                cycle: Cycle(12),
                kind: EventKind::Milestone("done".into()),
            },
            ev(13, 2),
        ]);
        assert_eq!(
            lines,
            [
                "cycle 10\u{2013}11: 3 results on color 2 leave the mesh at the east edge (column 3, rows 0\u{2013}1)",
                "cycle 12: done",
                "cycle 13: 1 result on color 2 leaves the mesh at the east edge (column 3, row 2)",
            ]
        );
    }

    #[test]
    fn inspecting_a_pe_lists_its_routes_and_memory() {
        let mut s = wse("preset=gemv&width=4&height=4&d_in=16&d_out=16").unwrap();
        let _ = advance(&mut s, 5);
        let rows = s.inspect((1, 2)).unwrap();
        let get = |label: &str| {
            rows.iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        // A 4×4 block of f32 (64 B) and 4 accumulators (16 B).
        assert_eq!(get("Memory used"), "80 B of 48.00 KiB");
        assert!(get("Color 0").starts_with("from N to ramp + S"), "{rows:?}");
        assert_eq!(
            rows.iter().filter(|(l, _)| l.starts_with("Color")).count(),
            3
        );
        assert_eq!(
            s.inspect((9, 0)).unwrap_err(),
            "PE (9, 0) is outside the 4×4 mesh."
        );
    }

    #[test]
    fn the_mesh_keeps_what_the_gpu_sends_to_hbm() {
        let mut mesh = wse("preset=mlp").unwrap();
        let _ = mesh.run.run_until(Cycle(u64::MAX));
        let mut runs = mesh.references().to_vec();
        runs.push((SimArch::Wse, mesh.metrics()));
        let table = compare_rows(&runs);
        assert_eq!(table.columns, vec![SimArch::Gpu, SimArch::Wse]);
        let off = table.rows.iter().find(|r| r.key == "off-chip").unwrap();
        // On the mesh only x (4·784 floats) enters and y (4·128) leaves.
        assert_eq!(off.values[1], Bytes(4 * 4 * (784 + 128)).to_string());
        assert_ne!(off.values[0], off.values[1]);
        assert_eq!(
            metric_rows(&mesh.metrics())[0].value,
            mesh.run.now().0.to_string()
        );
        assert_eq!(mesh.run.max_block_bytes(), Bytes(4 * 25 * 4));
    }

    #[test]
    fn a_lesson_link_with_only_a_preset_gets_that_presets_defaults() {
        let f = form("preset=mlp");
        assert_eq!(f, SimForm::defaults(&WseMachine, Preset::Mlp));
        let setup = f.parse(&WseMachine).unwrap();
        assert_eq!(
            (setup.size(&WIDTH), setup.size(&HEIGHT), setup.batch),
            (32, 32, 4)
        );
        assert_eq!(
            SimForm::from_query(&WseMachine, &[]),
            SimForm::defaults(&WseMachine, Preset::Gemv)
        );
    }

    #[test]
    fn query_round_trips_through_the_url() {
        let f = form("preset=gemv&width=8&height=4&d_in=64&d_out=32");
        assert_eq!(
            f.to_query(&WseMachine),
            "preset=gemv&width=8&height=4&colors=24&d_in=64&d_out=32"
        );
        assert_eq!(form(&f.to_query(&WseMachine)), f);
        // The GPU page has no mesh, but a machine.
        assert_eq!(
            f.href_on(&super::super::gpu::GpuMachine),
            "#/simulators/gpu?preset=gemv&machine=a100&d_in=64&d_out=32"
        );
        // Junk is encoded, not injected into the query.
        let junk = f.with_field(&WIDTH, "1&preset=cnn");
        assert!(
            junk.to_query(&WseMachine)
                .contains("width=1%26preset%3Dcnn")
        );
        assert_eq!(form(&junk.to_query(&WseMachine)), junk);
    }

    fn check_err(text: &str, expected: &str) {
        let err = form(text).parse(&WseMachine).unwrap_err();
        assert_eq!(err, expected, "{text}");
    }

    #[test]
    fn bad_values_are_sentences_that_name_the_field() {
        check_err(
            "preset=resnet",
            "There is no preset called \u{201c}resnet\u{201d}; choose gemv, mlp, cnn or bert-layer.",
        );
        check_err(
            "width=abc",
            "The mesh width must be a whole number, but it is \u{201c}abc\u{201d}.",
        );
        check_err(
            "height=-3",
            "The mesh height must be a whole number, but it is \u{201c}-3\u{201d}.",
        );
        check_err(
            "d_in=99999999999",
            "Input length is 99999999999, above the limit of 4294967295.",
        );
        check_err(
            "d_in=999999999999999999999999",
            "Input length is 18446744073709551615, above the limit of 4294967295.",
        );
        check_err(
            "d_in=4096&d_out=4096",
            "The matrix's element count (input × output length) is 16777216, above the limit of 4194304.",
        );
    }

    #[test]
    fn zero_mesh_sizes_are_left_to_the_engine() {
        let setup = form("preset=gemv&width=0").parse(&WseMachine).unwrap();
        assert_eq!(setup.size(&WIDTH), 0);
        assert_eq!(
            wse_config(&setup).validate().unwrap_err().to_string(),
            "mesh width must be at least 1, but it is 0."
        );
    }

    #[test]
    fn a_bert_layer_runs_op_by_op_in_slices_and_checks_its_result() {
        let query = "preset=bert-layer&seq=8&width=8&height=8";
        let mut s: Box<dyn SimSession> = Box::new(wse(query).unwrap());
        let setup = s.setup_line();
        assert!(setup.contains("op by op in 20 phases"), "{setup}");
        let mut lines = Vec::new();
        let mut phases = Vec::new();
        let mut frames = 0;
        let (mut streamed, mut busy_in_row_phase) = (false, false);
        let end = loop {
            let units = s.units();
            let slice = advance(s.as_mut(), cycles_this_frame(32, units));
            lines.extend(slice.lines);
            let run = &s.as_any().downcast_ref::<WseSession>().unwrap().run;
            let line = run.phase_line().unwrap();
            if phases.last() != Some(&line) {
                phases.push(line.clone());
            }
            let mut snap = MeshSnapshot::default();
            run.snapshot_into(&mut snap);
            assert_eq!((snap.pes.len(), snap.cycle), (64, slice.cycle));
            streamed |= snap
                .wavelets
                .iter()
                .any(|w| w.color == sim::wse::layer::DRAWN_IN_COLOR);
            busy_in_row_phase |=
                line.contains("row tasks") && snap.pes.iter().any(|p| p.state == PeState::Busy);
            frames += 1;
            assert!(frames < 10_000, "runs to the end");
            if let Some(text) = ending(slice.status) {
                break (slice.cycle, text);
            }
        };
        // Slices change nothing: the same run in one go ends on the same cycle.
        let mut whole = wse(query).unwrap();
        let _ = whole.run.run_until(Cycle(u64::MAX));
        assert_eq!(end.0, whole.run.now());
        assert_eq!(end.1, format!("Finished after {} cycles.", end.0.0));
        let check = s.result_check().unwrap();
        assert!(check.starts_with("Correct: all 1024 outputs"), "{check}");
        // The log names every phase as it begins (14 ops; the two heads' loads and products),
        // and the picture's line follows the phases.
        let begins = lines.iter().filter(|l| l.ends_with(" begins")).count();
        assert_eq!(begins, 20, "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("softmax as row tasks")));
        assert!(
            phases.len() > 5 && phases.last().unwrap().contains("norm2"),
            "{phases:?}"
        );
        // The picture showed rows streaming in and PEs computing row tasks.
        assert!(streamed && busy_in_row_phase);
        let m = s.metrics();
        assert_eq!(m.cycles, end.0);
        assert_eq!(m.flops, whole.run.metrics().flops);
        assert!(m.flops >= whole.workload.flops(), "{m}");
        // Off chip: the layer's input and output, 8×128 floats each.
        assert_eq!(m.bytes_off_chip, Bytes(2 * 4 * 8 * 128));
        assert!(m.bytes_on_chip > m.bytes_off_chip);
        let assumptions = s.assumptions().join(" ");
        assert!(assumptions.contains("op by op"), "{assumptions}");
        let pe = s.inspect((3, 2)).unwrap();
        assert!(
            pe.iter()
                .any(|(l, v)| l == "Program" && v.contains("norm2")),
            "{pe:?}"
        );
        // The comparison gets a real WSE column beside the GPU's.
        let mut runs = s.references().to_vec();
        runs.push((SimArch::Wse, m));
        assert_eq!(
            compare_rows(&runs).columns,
            vec![SimArch::Gpu, SimArch::Wse]
        );
    }

    #[test]
    fn a_bert_layer_too_long_for_the_mesh_is_a_sentence() {
        // seq 512 on 4×4 PEs: the FFN's accumulators (512 rows × 128 outputs per PE) overflow.
        let err = wse("preset=bert-layer&seq=512&width=4&height=4").unwrap_err();
        assert!(
            err.starts_with("The block placed on PE (0, 0) needs ") && err.contains("48.00 KiB"),
            "{err}"
        );
        assert!(
            WseMachine
                .check(&form("preset=bert-layer").parse(&WseMachine).unwrap())
                .is_ok()
        );
    }

    #[test]
    fn changing_preset_resets_sizes_but_keeps_a_chosen_mesh() {
        let f = form("preset=gemv&width=8&d_in=3");
        let mlp = f.with_preset(&WseMachine, Preset::Mlp);
        assert_eq!(mlp.field(&WIDTH), "32");
        let cnn = f.with_preset(&WseMachine, Preset::Cnn);
        assert_eq!(
            (cnn.field(&WIDTH), cnn.field(&super::super::form::D_IN)),
            ("8", "256")
        );
        assert_eq!(DEFAULT_COLORS.to_string(), cnn.field(&COLORS));
    }
}
