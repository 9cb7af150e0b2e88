//! What the simulator pages hold and compute outside `view!`: the engines built from a
//! setup, one bounded slice of work per animation frame, and the text the page shows
//! (status, metrics, the event log, a PE's inspection, the GPU's HBM round trips).
//!
//! Everything here is plain Rust, tested natively; the components only draw it.

use sim::SimError;
use sim::engine::{Engine, RunStatus};
use sim::gpu::{GpuConfig, GpuSim, Kernel};
use sim::metrics::RunMetrics;
use sim::trace::{Bound, EventKind, TraceEvent, WseEvent};
use sim::units::{Bytes, Cycle};
use sim::workload::{TensorKind, Workload};
use sim::wse::{GemvRun, PeInspect, PeState};

use super::params::{Arch, SimSetup};

/// Seed of the matrix and vector values (fixed: the same link gives the same numbers).
pub const VALUES_SEED: u64 = 0x07E5_7BED;

/// Speeds offered, in simulated cycles per animation frame.
pub const WSE_SPEEDS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];
/// The GPU model jumps whole phases at once, so its speeds are larger.
pub const GPU_SPEEDS: [u64; 7] = [10, 30, 100, 300, 1_000, 3_000, 10_000];
/// The speed index a page starts at.
pub const DEFAULT_SPEED_IDX: usize = 2;
/// Work allowed in one frame, in unit-cycles (a 32×32 mesh: 64 cycles). Measured in
/// headless Chromium, a PE-cycle costs well under 0.1 µs, so this keeps a slice a few ms.
pub const UNIT_CYCLES_PER_FRAME: u64 = 65_536;
/// Log lines kept on the page (older ones are dropped and counted).
pub const LOG_CAPACITY: usize = 400;

/// The speeds of `arch`'s page.
pub fn speeds(arch: Arch) -> &'static [u64] {
    match arch {
        Arch::Wse => &WSE_SPEEDS,
        Arch::Gpu => &GPU_SPEEDS,
    }
}

/// Cycles to simulate this frame: the speed, capped so a frame never does more than
/// [`UNIT_CYCLES_PER_FRAME`] unit-cycles, and at least one.
pub fn cycles_this_frame(speed: u64, units: u64) -> u64 {
    let cap = (UNIT_CYCLES_PER_FRAME / units.max(1)).max(1);
    speed.clamp(1, cap)
}

/// An engine error as a sentence that starts with a capital.
pub fn sentence(err: &SimError) -> String {
    let text = err.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Something a page can drive frame by frame.
pub trait Session: Send + Sync + 'static {
    /// The engine.
    fn engine(&mut self) -> &mut dyn Engine;
    /// Units simulated per cycle (PEs of a mesh; 1 for the GPU's closed-form model).
    fn units(&self) -> u64;
}

/// A WSE page's run: the mapped mesh, and the A100 on the same workload for comparison.
#[derive(Debug, Clone)]
pub struct WseSession {
    pub run: GemvRun,
    pub workload: Workload,
    pub gpu: RunMetrics,
}

impl WseSession {
    /// Builds the workload, maps it onto the mesh and plans the GPU run beside it.
    ///
    /// # Errors
    /// The engine's error as a sentence (a size it refuses, a block that does not fit a
    /// PE's 48 KB, a mapping that needs more colors than configured, a workload the mesh
    /// mapping does not run).
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let config = setup.wse_config();
        config.validate().map_err(|e| sentence(&e))?;
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let run =
            GemvRun::from_workload(config, &workload, VALUES_SEED).map_err(|e| sentence(&e))?;
        let gpu = GpuSim::new(GpuConfig::a100_40gb_sxm(), &workload)
            .map_err(|e| sentence(&e))?
            .run_to_end();
        Ok(Self { run, workload, gpu })
    }

    /// The result check once every output has left the mesh: the mesh's numbers against
    /// the same sums done in the same order on the CPU (bit for bit), and against an f64
    /// reference.
    pub fn result_check(&self) -> Option<String> {
        let got = self.run.result()?;
        let exact = self.run.reference();
        let wide = self.run.problem().reference_f64();
        let max_err = got
            .iter()
            .zip(&wide)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let n = got.len();
        Some(if got == exact {
            format!(
                "Correct: all {n} outputs equal the CPU's sums bit for bit (largest difference from an f64 reference {max_err:.1e})."
            )
        } else {
            let wrong = got.iter().zip(&exact).filter(|(a, b)| a != b).count();
            format!("Wrong: {wrong} of {n} outputs differ from the CPU's sums.")
        })
    }
}

impl Session for WseSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.run
    }
    fn units(&self) -> u64 {
        self.run.mesh().config().n_pes() as u64
    }
}

/// A GPU page's run.
#[derive(Debug, Clone)]
pub struct GpuSession {
    pub sim: GpuSim,
    pub workload: Workload,
    pub traffic: Vec<KernelTraffic>,
}

impl GpuSession {
    /// Plans the kernels of the setup's workload on its GPU.
    ///
    /// # Errors
    /// The engine's error as a sentence.
    pub fn build(setup: &SimSetup) -> Result<Self, String> {
        let workload = setup.workload().map_err(|e| sentence(&e))?;
        let sim = GpuSim::new(setup.machine.config(), &workload).map_err(|e| sentence(&e))?;
        let traffic = kernel_traffic(&workload, sim.kernels());
        Ok(Self {
            sim,
            workload,
            traffic,
        })
    }
}

impl Session for GpuSession {
    fn engine(&mut self) -> &mut dyn Engine {
        &mut self.sim
    }
    fn units(&self) -> u64 {
        1
    }
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Built, not started.
    Ready,
    /// Advancing every frame.
    Running,
    /// Stopped by the learner (or because the tab was hidden).
    Paused,
    /// Every unit is done.
    Finished,
    /// Nothing can ever move again.
    Deadlocked,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ready => "Ready",
            Self::Running => "Running",
            Self::Paused => "Paused",
            Self::Finished => "Finished",
            Self::Deadlocked => "Stuck",
        }
    }

    /// Whether stepping further can change anything.
    pub fn is_over(self) -> bool {
        matches!(self, Self::Finished | Self::Deadlocked)
    }
}

/// What one slice of work did.
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    /// The cycle reached.
    pub cycle: Cycle,
    /// Finished, stuck, or more to do.
    pub status: RunStatus,
    /// The slice's events, as log lines.
    pub lines: Vec<String>,
}

/// Runs `cycles` more cycles (fewer if the run ends) and collects the events as text.
pub fn advance(engine: &mut dyn Engine, cycles: u64) -> Slice {
    let deadline = Cycle(engine.now().0.saturating_add(cycles));
    let status = engine.run_until(deadline);
    let lines = summarise(&engine.drain_trace());
    Slice {
        cycle: engine.now(),
        status,
        lines,
    }
}

/// The phase a slice leaves the run in, given that the page keeps playing or not.
pub fn phase_after(status: RunStatus, playing: bool) -> Phase {
    match status {
        RunStatus::Finished { .. } => Phase::Finished,
        RunStatus::Deadlocked { .. } => Phase::Deadlocked,
        RunStatus::DeadlineReached if playing => Phase::Running,
        RunStatus::DeadlineReached => Phase::Paused,
    }
}

/// A sentence for a run that stopped for good, for the status line and the log.
pub fn ending(status: RunStatus) -> Option<String> {
    match status {
        RunStatus::Finished { at } => Some(format!("Finished after {} cycles.", at.0)),
        RunStatus::Deadlocked { at, on } => Some(format!(
            "Stuck at cycle {}: nothing can move, waiting on the {on}. The mapping's routes form a cycle of waits.",
            at.0
        )),
        RunStatus::DeadlineReached => None,
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

/// One event as a log line: the engine's own wording (`cycle N: …`).
fn event_line(event: &TraceEvent) -> String {
    event.to_string()
}

/// One row of the metrics table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricRow {
    /// Stable id, used in `data-testid`.
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

fn micros(m: &RunMetrics) -> String {
    format!("{:.3} µs", m.seconds() * 1e6)
}

fn flops_rate(m: &RunMetrics) -> String {
    format!(
        "{:.3} TFLOP/s ({:.1}% of {:.2} peak)",
        m.achieved_flops_per_s() / 1e12,
        100.0 * m.fraction_of_peak(),
        m.peak_flops_per_s / 1e12
    )
}

fn intensity(m: &RunMetrics) -> String {
    match m.arithmetic_intensity() {
        Some(ai) => format!("{ai:.2} FLOP per off-chip byte"),
        None => "unbounded (nothing moved off chip)".into(),
    }
}

/// The metrics a page shows, live.
pub fn metric_rows(m: &RunMetrics) -> Vec<MetricRow> {
    let e = &m.energy;
    vec![
        MetricRow {
            key: "cycles",
            label: "Cycles",
            value: m.cycles.0.to_string(),
        },
        MetricRow {
            key: "time",
            label: "Time at the machine's clock",
            value: micros(m),
        },
        MetricRow {
            key: "flops",
            label: "FLOPs done",
            value: m.flops.to_string(),
        },
        MetricRow {
            key: "rate",
            label: "Achieved rate",
            value: flops_rate(m),
        },
        MetricRow {
            key: "on-chip",
            label: "Bytes moved on chip",
            value: m.bytes_on_chip.to_string(),
        },
        MetricRow {
            key: "off-chip",
            label: "Bytes moved off chip",
            value: m.bytes_off_chip.to_string(),
        },
        MetricRow {
            key: "energy",
            label: "Energy (estimate)",
            value: format!(
                "{} = compute {} + on chip {} + off chip {}",
                e.total(),
                e.compute,
                e.on_chip,
                e.off_chip
            ),
        },
        MetricRow {
            key: "intensity",
            label: "Arithmetic intensity",
            value: intensity(m),
        },
    ]
}

/// One row of the GPU-versus-WSE table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRow {
    pub key: &'static str,
    pub label: &'static str,
    pub gpu: String,
    pub wse: String,
}

/// The same workload on both machines, side by side.
pub fn compare_rows(gpu: &RunMetrics, wse: &RunMetrics) -> Vec<CompareRow> {
    let row = |key, label, f: &dyn Fn(&RunMetrics) -> String| CompareRow {
        key,
        label,
        gpu: f(gpu),
        wse: f(wse),
    };
    vec![
        row("machine", "Machine", &|m| m.machine.clone()),
        row("cycles", "Cycles", &|m| m.cycles.0.to_string()),
        row("time", "Time", &micros),
        row("off-chip", "Bytes off chip", &|m| {
            m.bytes_off_chip.to_string()
        }),
        row("on-chip", "Bytes on chip", &|m| m.bytes_on_chip.to_string()),
        row("energy", "Energy (estimate)", &|m| {
            m.energy.total().to_string()
        }),
        row("energy-off-chip", "of which off-chip traffic", &|m| {
            m.energy.off_chip.to_string()
        }),
        row("roofline", "Roofline point (intensity, rate)", &|m| {
            format!(
                "{}; {:.3} TFLOP/s",
                intensity(m),
                m.achieved_flops_per_s() / 1e12
            )
        }),
    ]
}

/// A PE's inspection: label/value rows, or a sentence saying why there is none.
pub type InspectRows = Result<Vec<(String, String)>, String>;

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

/// One GPU kernel's trips to HBM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelTraffic {
    pub name: String,
    pub kind: &'static str,
    pub hbm_read: Bytes,
    pub hbm_written: Bytes,
    pub cache_read: Bytes,
    /// Bytes of its inputs that an earlier kernel wrote (activations coming back).
    pub activations_in: Bytes,
    /// Whether a later kernel reads its output (so the write is half a round trip).
    pub output_read_later: bool,
    pub cycles: Cycle,
    pub bound: Bound,
}

/// Per-kernel HBM traffic of a planned GPU run, and which of it is activations making a
/// round trip: written by one kernel, read back by a later one. A dataflow machine keeps
/// those on chip.
pub fn kernel_traffic(workload: &Workload, kernels: &[Kernel]) -> Vec<KernelTraffic> {
    workload
        .ops
        .iter()
        .zip(kernels)
        .enumerate()
        .map(|(idx, (op, k))| {
            let activations_in = op
                .inputs
                .iter()
                .filter_map(|&id| workload.tensors.get(id.0))
                .filter(|t| t.kind == TensorKind::Activation)
                .map(|t| t.bytes().0)
                .sum();
            let output_read_later = workload.ops[idx + 1..]
                .iter()
                .any(|later| later.inputs.contains(&op.output));
            KernelTraffic {
                name: k.name.clone(),
                kind: k.kind,
                hbm_read: k.hbm_read,
                hbm_written: k.hbm_written,
                cache_read: k.cache_read,
                activations_in: Bytes(activations_in),
                output_read_later,
                cycles: k.duration(),
                bound: k.bound(),
            }
        })
        .collect()
}

/// The round trips in one sentence.
pub fn round_trip_summary(rows: &[KernelTraffic]) -> String {
    let total: u64 = rows.iter().map(|r| r.hbm_read.0 + r.hbm_written.0).sum();
    let spilled: u64 = rows
        .iter()
        .filter(|r| r.output_read_later)
        .map(|r| r.hbm_written.0)
        .sum();
    let back: u64 = rows.iter().map(|r| r.activations_in.0).sum();
    let n = rows.len();
    let kernels = if n == 1 { "kernel" } else { "kernels" };
    if spilled == 0 {
        format!(
            "{n} {kernels}, {} of HBM traffic. With a single kernel there is no intermediate to spill, but the weights still come from HBM on every run; on the WSE they stay in the PEs' memory.",
            Bytes(total)
        )
    } else {
        format!(
            "{n} {kernels}, {} of HBM traffic. {} of intermediate results were written to HBM only to be read back ({} of reads) by the next kernels: round trips a dataflow machine avoids by passing them from unit to unit on chip.",
            Bytes(total),
            Bytes(spilled),
            Bytes(back)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::{Preset, SimForm};
    use super::*;

    fn wse(query: &str) -> Result<WseSession, String> {
        let q = crate::route::Location::parse(&format!("#/simulators/wse?{query}")).query;
        WseSession::build(&SimForm::from_query(&q).parse(Arch::Wse)?)
    }

    #[test]
    fn frame_budget_is_bounded_by_the_mesh_size() {
        // 32×32 = 1,024 PEs: at most 65,536 / 1,024 = 64 cycles a frame.
        assert_eq!(cycles_this_frame(1_000, 1_024), 64);
        assert_eq!(cycles_this_frame(4, 1_024), 4);
        // 128×128: 4 cycles; a bigger mesh still makes progress, one cycle a frame.
        assert_eq!(cycles_this_frame(64, 128 * 128), 4);
        assert_eq!(cycles_this_frame(64, 1 << 20), 1);
        assert_eq!(cycles_this_frame(0, 1), 1);
        // The GPU's model is closed form: one unit.
        assert_eq!(cycles_this_frame(10_000, 1), 10_000);
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
    }

    #[test]
    fn a_gemv_runs_to_the_end_in_slices_and_checks_its_result() {
        let mut s = wse("preset=gemv&width=4&height=4&d_in=16&d_out=16").unwrap();
        let mut lines = Vec::new();
        let mut frames = 0;
        let end = loop {
            let units = s.units();
            let slice = advance(s.engine(), cycles_this_frame(8, units));
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
        let _ = advance(s.engine(), 5);
        let rows = inspect_rows(&s.run.inspect(1, 2).unwrap());
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
    }

    #[test]
    fn the_gpu_shows_its_round_trips_and_the_wse_avoids_them() {
        let form = SimForm::defaults(Preset::Mlp);
        let gpu = GpuSession::build(&form.parse(Arch::Gpu).unwrap()).unwrap();
        let rows = &gpu.traffic;
        assert_eq!(rows.len(), 3);
        // matmul output [4, 128] f32 = 2 KiB written, read back by the bias kernel, whose
        // output is read back by the ReLU kernel; the ReLU's output is the result.
        assert_eq!(rows[0].hbm_written, Bytes(2_048));
        assert!(rows[0].output_read_later && rows[1].output_read_later);
        assert!(!rows[2].output_read_later);
        assert_eq!(rows[1].activations_in, Bytes(2_048));
        let summary = round_trip_summary(rows);
        assert!(
            summary.contains("4.00 KiB of intermediate results"),
            "{summary}"
        );

        let mut mesh = WseSession::build(&form.parse(Arch::Wse).unwrap()).unwrap();
        let _ = mesh.run.run_until(Cycle(u64::MAX));
        let table = compare_rows(&mesh.gpu, &mesh.run.metrics());
        let off = table.iter().find(|r| r.key == "off-chip").unwrap();
        // On the mesh only x (4·784 floats) enters and y (4·128) leaves.
        assert_eq!(off.wse, Bytes(4 * 4 * (784 + 128)).to_string());
        assert_ne!(off.gpu, off.wse);
        assert_eq!(
            metric_rows(&mesh.run.metrics())[0].value,
            mesh.run.now().0.to_string()
        );
    }

    #[test]
    fn gpu_runs_every_preset_and_logs_kernels() {
        for preset in Preset::ALL {
            let mut gpu =
                GpuSession::build(&SimForm::defaults(preset).parse(Arch::Gpu).unwrap()).unwrap();
            let n = gpu.sim.kernels().len();
            let slice = advance(gpu.engine(), u64::MAX);
            assert!(matches!(slice.status, RunStatus::Finished { .. }));
            assert_eq!(slice.lines.len(), 2 * n, "{preset:?}");
            assert!(slice.lines[0].ends_with("launched"), "{:?}", slice.lines);
        }
    }
}
