//! A bounded trace of events that the UI drains as text and tests read as values.
//!
//! Each event's [`Display`](std::fmt::Display) is the sentence a learner reads in a page's
//! event log; the page does not re-word it.

pub use crate::gpu::GpuEvent;
pub use crate::groq::GroqEvent;
pub use crate::ipu::IpuEvent;
pub use crate::rdu::RduEvent;
use crate::units::Cycle;
pub use crate::wse::WseEvent;
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

/// The kinds of events simulators record: one variant per machine, holding that machine's
/// own event enum, plus the kinds every machine shares.
///
/// The words a learner reads are written once, here and in each machine's event
/// [`Display`](fmt::Display); a page prints events and matches only on what it groups or
/// counts, so a new machine adds a variant and an enum of its own without touching every
/// match in the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Something the GPU did.
    Gpu(GpuEvent),
    /// Something the WSE mesh did.
    Wse(WseEvent),
    /// Something the IPU's tiles did.
    Ipu(IpuEvent),
    /// Something the Groq chip's slices did.
    Groq(GroqEvent),
    /// Something the RDU's pipeline did.
    Rdu(RduEvent),
    /// A free-form milestone ("pipeline filled: the first result leaves the mesh").
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

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bound::Compute => "compute-bound",
            Bound::Memory => "memory-bound",
        })
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::Gpu(e) => e.fmt(f),
            EventKind::Wse(e) => e.fmt(f),
            EventKind::Ipu(e) => e.fmt(f),
            EventKind::Groq(e) => e.fmt(f),
            EventKind::Rdu(e) => e.fmt(f),
            EventKind::Milestone(text) => f.write_str(text),
        }
    }
}

impl From<GpuEvent> for EventKind {
    fn from(e: GpuEvent) -> Self {
        EventKind::Gpu(e)
    }
}

impl From<WseEvent> for EventKind {
    fn from(e: WseEvent) -> Self {
        EventKind::Wse(e)
    }
}

/// `cycle N: what happened`, the line a page's event log shows.
impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cycle {}: {}", self.cycle.0, self.kind)
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
        assert_eq!(ev[0].to_string(), "cycle 1: m1");
        assert!(t.drain().is_empty());
    }
}
