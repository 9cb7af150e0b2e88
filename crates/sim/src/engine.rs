//! What every simulator has in common: one-cycle steps, bounded runs, metrics and a trace.
//!
//! Part 2 of the simulator work (IPU, RDU, Groq) implements the same [`Engine`] trait, so a
//! page can drive any machine with the same loop: `run_until(now + budget)` per animation
//! frame, then `snapshot()` and `drain_trace()`.

use crate::metrics::RunMetrics;
use crate::trace::TraceEvent;
use crate::units::Cycle;
use std::fmt;

/// Result of one cycle.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Some unit did useful work this cycle.
    Running,
    /// No unit computed this cycle; at least one was blocked waiting for `on`.
    Stalled {
        /// The first blocked resource found (scan order is fixed, so this is deterministic).
        on: Resource,
    },
    /// The run is complete; stepping further changes nothing.
    Finished,
}

/// A resource a unit can wait on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A GPU kernel waiting on HBM bandwidth.
    HbmBandwidth,
    /// A GPU kernel launch in progress.
    KernelLaunch,
    /// A full router queue for `color` at PE (`x`, `y`): back-pressure on the sender.
    RouterQueue {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Color.
        color: u8,
    },
    /// A full compute-engine input queue for `color` at PE (`x`, `y`).
    TaskQueue {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Color.
        color: u8,
    },
    /// A task at PE (`x`, `y`) blocked until its own partial result is ready.
    BlockedTask {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
    },
    /// Host data waiting to enter PE (`x`, `y`) on a color that has no route there.
    NoRoute {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Color.
        color: u8,
    },
    /// An RDU stage waiting on a PMU buffer that never fills or frees.
    PmuBuffer {
        /// Section index.
        section: u32,
        /// Stage index within the section.
        stage: u32,
    },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Resource::HbmBandwidth => f.write_str("HBM bandwidth"),
            Resource::KernelLaunch => f.write_str("kernel launch"),
            Resource::RouterQueue { x, y, color } => {
                write!(f, "router queue of color {color} at PE ({x}, {y})")
            }
            Resource::TaskQueue { x, y, color } => {
                write!(f, "task input queue of color {color} at PE ({x}, {y})")
            }
            Resource::PmuBuffer { section, stage } => {
                write!(f, "PMU buffers of stage {stage} in section {section}")
            }
            Resource::BlockedTask { x, y } => write!(f, "blocked task at PE ({x}, {y})"),
            Resource::NoRoute { x, y, color } => {
                write!(
                    f,
                    "a route for color {color} at PE ({x}, {y}), which has none"
                )
            }
        }
    }
}

/// Result of a bounded run.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The deadline cycle was reached; more work remains.
    DeadlineReached,
    /// The run completed at cycle `at` (at or before the deadline).
    Finished {
        /// Cycle count of the whole run.
        at: Cycle,
    },
    /// Nothing can ever move again: work remains but a whole cycle changed nothing (every
    /// pending unit waits on another, or a wavelet waits where no task will take it). A
    /// simulator reports this as soon as it happens, whatever the deadline; asking again
    /// returns the same status at once. Usually a mapping bug.
    Deadlocked {
        /// Cycle the machine stopped making progress.
        at: Cycle,
        /// A resource in the cycle of waits.
        on: Resource,
    },
}

/// The interface every simulator offers a page or a bench.
pub trait Engine {
    /// Cycles elapsed since the start of the run.
    fn now(&self) -> Cycle;

    /// Advances exactly one cycle.
    fn step(&mut self) -> StepOutcome;

    /// Advances until `now() == deadline`, or until the run finishes or deadlocks first.
    /// Bounded work per call: at most `deadline - now()` cycles.
    fn run_until(&mut self, deadline: Cycle) -> RunStatus;

    /// Advances at most `budget` cycles: a step budget per animation frame.
    fn run_for(&mut self, budget: Cycle) -> RunStatus {
        let deadline = Cycle(self.now().0.saturating_add(budget.0));
        self.run_until(deadline)
    }

    /// Whether the run is complete.
    fn is_finished(&self) -> bool;

    /// Metrics of the run so far.
    fn metrics(&self) -> RunMetrics;

    /// Takes the undrained trace events, oldest first.
    fn drain_trace(&mut self) -> Vec<TraceEvent>;
}
