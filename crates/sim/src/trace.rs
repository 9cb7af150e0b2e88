//! A bounded trace of events that the UI drains as text and tests read as values.

use crate::units::Cycle;
use std::collections::VecDeque;
use std::fmt;

/// One recorded event: when, and what, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    /// Cycle the event happened on.
    pub cycle: Cycle,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of events simulators record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A GPU kernel was launched.
    KernelLaunched {
        /// Op name.
        op: String,
    },
    /// A GPU kernel finished.
    KernelFinished {
        /// Op name.
        op: String,
        /// What bounded it.
        bound: Bound,
    },
    /// A mesh PE started a task.
    TaskStarted {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Task label.
        task: &'static str,
    },
    /// A PE finished its share of one sample's local compute.
    PartialReady {
        /// PE column.
        x: u32,
        /// PE row.
        y: u32,
        /// Sample index within the batch.
        sample: u32,
    },
    /// A wavelet left the mesh through an edge port.
    WaveletLeftMesh {
        /// Edge PE column.
        x: u32,
        /// Edge PE row.
        y: u32,
        /// Color.
        color: u8,
    },
    /// A free-form milestone ("first partial sum at the east edge").
    Milestone(String),
}

/// What limited a GPU kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// SM arithmetic.
    Compute,
    /// HBM bandwidth.
    Memory,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:>8}] ", self.cycle.0)?;
        match &self.kind {
            EventKind::KernelLaunched { op } => write!(f, "launch kernel {op}"),
            EventKind::KernelFinished { op, bound } => {
                let b = match bound {
                    Bound::Compute => "compute-bound",
                    Bound::Memory => "memory-bound",
                };
                write!(f, "kernel {op} done ({b})")
            }
            EventKind::TaskStarted { x, y, task } => write!(f, "PE ({x}, {y}) starts {task}"),
            EventKind::PartialReady { x, y, sample } => {
                write!(f, "PE ({x}, {y}) partial sum of sample {sample} ready")
            }
            EventKind::WaveletLeftMesh { x, y, color } => {
                write!(
                    f,
                    "wavelet on color {color} leaves the mesh at PE ({x}, {y})"
                )
            }
            EventKind::Milestone(s) => f.write_str(s),
        }
    }
}

/// A bounded FIFO of events. When full, the oldest events are dropped and counted, so a long
/// run never grows memory without bound.
#[derive(Debug, Clone)]
pub struct Trace {
    events: VecDeque<TraceEvent>,
    capacity: usize,
    dropped: u64,
}

impl Trace {
    /// A trace that keeps at most `capacity` undrained events (0 records nothing).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            capacity,
            dropped: 0,
        }
    }

    /// Whether recording is on (capacity above zero); callers skip building events otherwise.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Records an event.
    pub fn push(&mut self, cycle: Cycle, kind: EventKind) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        if self.events.len() == self.capacity {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(TraceEvent { cycle, kind });
    }

    /// Takes all undrained events, oldest first.
    pub fn drain(&mut self) -> Vec<TraceEvent> {
        self.events.drain(..).collect()
    }

    /// Undrained events, oldest first, without taking them.
    pub fn events(&self) -> impl Iterator<Item = &TraceEvent> {
        self.events.iter()
    }

    /// Events dropped so far because the trace was full or off.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_trace_drops_oldest() {
        let mut t = Trace::with_capacity(2);
        for i in 0..3 {
            t.push(Cycle(i), EventKind::Milestone(format!("m{i}")));
        }
        assert_eq!(t.dropped(), 1);
        let ev = t.drain();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].to_string(), "[       1] m1");
        assert!(t.drain().is_empty());
    }
}
