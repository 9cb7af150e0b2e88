//! A run a page drives: the per-machine [`SimSession`] trait, the machine descriptor
//! [`Machine`] that builds one from a setup, and the bounded slice of work done per animation
//! frame ([`run_slice`], which reads time only from the clock it is handed).

use std::any::Any;

use course::SimArch;
use sim::engine::{Engine, RunStatus};
use sim::metrics::RunMetrics;
use sim::trace::TraceEvent;
use sim::units::Cycle;

use super::form::{FieldSpec, SimSetup};

/// Work allowed in one frame, in unit-cycles (a 32×32 mesh: 64 cycles). Measured in
/// headless Chromium, a PE-cycle costs well under 0.1 µs, so this keeps a slice a few ms.
pub const UNIT_CYCLES_PER_FRAME: u64 = 65_536;
/// Milliseconds of simulation allowed per frame (of ~16.7 at 60 Hz), checked between chunks.
pub const FRAME_TIME_BUDGET_MS: f64 = 10.0;
/// Seed of the matrix and vector values (fixed: the same link gives the same numbers).
pub const VALUES_SEED: u64 = 0x07E5_7BED;
/// The speed index a page starts at.
pub const DEFAULT_SPEED_IDX: usize = 2;

/// A clickable unit of a machine's picture: a PE at (column, row), or a tile (index, 0).
pub type UnitAt = (u32, u32);

/// A unit's inspection: label/value rows, or a sentence saying why there is none.
pub type InspectRows = Result<Vec<(String, String)>, String>;

/// One machine a simulator page can show: its settings, its speeds and how to build a run.
/// Implemented once per machine by a unit struct; [`super::machine`] is the dispatch.
pub trait Machine: Sync {
    /// Which machine.
    fn arch(&self) -> SimArch;
    /// The machine's own settings (the workload's are shared), in form order.
    fn fields(&self) -> &'static [&'static FieldSpec];
    /// Speeds offered, in simulated cycles per animation frame.
    fn speeds(&self) -> &'static [u64];
    /// The lesson that explains this machine: slug and title.
    fn lesson(&self) -> (&'static str, &'static str);
    /// Off-chip bytes per second that bound this machine's roof; `None` when its operands
    /// stay on chip (a flat roof).
    fn roof_bandwidth(&self) -> Option<f64> {
        None
    }
    /// What a clickable unit is called ("PE", "tile"); `None` when units cannot be inspected.
    fn unit_name(&self) -> Option<&'static str> {
        None
    }
    /// Whether a unit is picked by column and row (a mesh) rather than by one number.
    fn units_in_a_grid(&self) -> bool {
        false
    }
    /// Limits of the page beyond the engine's own (what a tab can animate or hold).
    ///
    /// # Errors
    /// A sentence naming the setting.
    fn check(&self, _setup: &SimSetup) -> Result<(), String> {
        Ok(())
    }
    /// Builds the run.
    ///
    /// # Errors
    /// The engine's error as a sentence.
    fn build(&self, setup: &SimSetup) -> Result<Box<dyn SimSession>, String>;
}

/// A built run of one machine: the engine and what a page shows of it beside the picture.
pub trait SimSession: Any + Send + Sync {
    /// The engine, to advance.
    fn engine(&mut self) -> &mut dyn Engine;
    /// The run's metrics so far.
    fn metrics(&self) -> RunMetrics;
    /// Units simulated per cycle (PEs of a mesh; 1 for a closed-form model).
    fn units(&self) -> u64;
    /// The line the event log starts with.
    fn setup_line(&self) -> String;
    /// The total cycle count, when the model knows it before running.
    fn total_cycles(&self) -> Option<Cycle> {
        None
    }
    /// The result check once the run is over (the machine's numbers against a reference).
    fn result_check(&self) -> Option<String> {
        None
    }
    /// The inspection of a unit.
    fn inspect(&self, _at: UnitAt) -> InspectRows {
        Err("This simulator has no units to inspect.".into())
    }
    /// The same workload on other machines, for the comparison beside this run.
    fn references(&self) -> &[(SimArch, RunMetrics)] {
        &[]
    }
    /// What the model assumes that a learner should know, one sentence each.
    fn assumptions(&self) -> Vec<String> {
        Vec::new()
    }
    /// Log lines for drained events (a machine may group bursts into one line).
    fn log_lines(&self, events: &[TraceEvent]) -> Vec<String> {
        events.iter().map(event_line).collect()
    }
    /// For the machine's own canvas and panels, which downcast to the concrete session.
    fn as_any(&self) -> &dyn Any;
    /// Where the run spent its time, as spans on one lane in cycle order (read once the run
    /// has finished). The default is one span for the whole run; a machine with phases
    /// (kernels and HBM, supersteps, sections, scheduled ops) lists them.
    fn timeline(&self) -> Vec<Span> {
        let end = self.total_cycles().unwrap_or(self.metrics().cycles);
        vec![Span {
            start: Cycle::ZERO,
            end,
            kind: SpanKind::Compute,
            label: "the whole run".into(),
        }]
    }
}

/// One event as a log line: `cycle N: what happened`, in the engine's words.
pub fn event_line(event: &TraceEvent) -> String {
    event.to_string()
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
    /// The status shown on the page.
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

/// What a stretch of a run was doing, for the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// Arithmetic on the chip.
    Compute,
    /// Waiting on off-chip memory (HBM, DDR).
    OffChip,
    /// Moving data between units on the chip (an exchange, a stream, a pipeline filling).
    Exchange,
    /// Synchronising or reconfiguring (a BSP sync, loading a section, a kernel launch).
    Overhead,
}

impl SpanKind {
    /// In words, for the legend and the text alternative.
    pub fn label(self) -> &'static str {
        match self {
            Self::Compute => "compute",
            Self::OffChip => "off-chip memory",
            Self::Exchange => "on-chip data movement",
            Self::Overhead => "sync, launch or reconfiguration",
        }
    }
}

/// A stretch of a run: cycles `start..end`, what kind, and what it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: Cycle,
    pub end: Cycle,
    pub kind: SpanKind,
    pub label: String,
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

/// Cycles to simulate this frame: the speed, capped so a frame never does more than
/// [`UNIT_CYCLES_PER_FRAME`] unit-cycles, and at least one.
pub fn cycles_this_frame(speed: u64, units: u64) -> u64 {
    let cap = (UNIT_CYCLES_PER_FRAME / units.max(1)).max(1);
    speed.clamp(1, cap)
}

/// Runs `cycles` more cycles (fewer if the run ends) and collects the events as text.
pub fn advance(session: &mut dyn SimSession, cycles: u64) -> Slice {
    let engine = session.engine();
    let deadline = Cycle(engine.now().0.saturating_add(cycles));
    let status = engine.run_until(deadline);
    let events = engine.drain_trace();
    let cycle = engine.now();
    Slice {
        cycle,
        status,
        lines: session.log_lines(&events),
    }
}

/// One frame's work: `cycles` cycles in four chunks, stopping after the chunk during which
/// `now_ms()` passed `budget_ms` since the start (the first chunk always runs), or when the
/// run ends.
pub fn run_slice(
    session: &mut dyn SimSession,
    cycles: u64,
    budget_ms: f64,
    now_ms: &mut dyn FnMut() -> f64,
) -> Slice {
    let started = now_ms();
    let chunk = cycles.div_ceil(4).max(1);
    let mut left = cycles;
    let mut total = advance(session, chunk.min(left));
    left -= chunk.min(left);
    while left > 0 && total.status == RunStatus::DeadlineReached && now_ms() - started < budget_ms {
        let more = advance(session, chunk.min(left));
        left -= chunk.min(left);
        total.cycle = more.cycle;
        total.status = more.status;
        total.lines.extend(more.lines);
    }
    total
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
