//! Fixed-depth wavelet queues, host injectors, and the [`Ramp`] a PE's compute engine sees.

use super::{NC, NONE, Port};
use crate::wse::ce::Ramp;

/// A 32-bit message in a queue, with the cycle it may move again and the port it came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Wavelet {
    pub(super) payload: u32,
    pub(super) ready_at: u64,
    pub(super) from: u8,
}

/// Fixed-depth ring buffers, all in one allocation.
#[derive(Debug, Clone)]
pub(super) struct QueueSet {
    pub(super) depth: usize,
    pub(super) slots: Vec<Wavelet>,
    pub(super) head: Vec<u32>,
    pub(super) len: Vec<u32>,
    pub(super) popped_at: Vec<u64>,
    pub(super) pe: Vec<u32>,
    pub(super) color: Vec<u8>,
}

impl QueueSet {
    pub(super) fn new(depth: usize) -> Self {
        Self {
            depth,
            slots: Vec::new(),
            head: Vec::new(),
            len: Vec::new(),
            popped_at: Vec::new(),
            pe: Vec::new(),
            color: Vec::new(),
        }
    }

    pub(super) fn add(&mut self, pe: u32, color: u8) -> u32 {
        let q = self.len.len();
        self.slots
            .extend(std::iter::repeat_n(Wavelet::default(), self.depth));
        self.head.push(0);
        self.len.push(0);
        self.popped_at.push(u64::MAX);
        self.pe.push(pe);
        self.color.push(color);
        u32::try_from(q).unwrap_or(NONE)
    }

    /// Room for one more this cycle: a slot popped this cycle is not free until the next.
    pub(super) fn has_room(&self, q: usize, now: u64) -> bool {
        let used = self.len[q] as usize + usize::from(self.popped_at[q] == now);
        used < self.depth
    }

    pub(super) fn push(&mut self, q: usize, w: Wavelet) {
        let len = self.len[q] as usize;
        assert!(
            len < self.depth,
            "queue overflow: has_room must be checked first"
        );
        let mut slot = self.head[q] as usize + len;
        if slot >= self.depth {
            slot -= self.depth;
        }
        self.slots[q * self.depth + slot] = w;
        self.len[q] += 1;
    }

    pub(super) fn peek_ready(&self, q: usize, now: u64) -> Option<Wavelet> {
        if self.len[q] == 0 {
            return None;
        }
        let w = self.slots[q * self.depth + self.head[q] as usize];
        (w.ready_at <= now).then_some(w)
    }

    pub(super) fn pop(&mut self, q: usize, now: u64) -> Wavelet {
        assert!(self.len[q] > 0, "pop of an empty queue");
        let w = self.slots[q * self.depth + self.head[q] as usize];
        let next = self.head[q] + 1;
        self.head[q] = if next as usize == self.depth { 0 } else { next };
        self.len[q] -= 1;
        self.popped_at[q] = now;
        w
    }

    pub(super) fn iter(&self, q: usize) -> impl Iterator<Item = Wavelet> + '_ {
        (0..self.len[q] as usize)
            .map(move |i| self.slots[q * self.depth + (self.head[q] as usize + i) % self.depth])
    }
}

/// Host data streamed into the mesh at an edge port.
#[derive(Debug, Clone)]
pub(super) struct Injector {
    pub(super) pe: u32,
    pub(super) port: Port,
    pub(super) color: u8,
    pub(super) payloads: Vec<u32>,
    pub(super) next: usize,
}

/// The real [`Ramp`] of one PE: its task queues and its router queues.
pub(super) struct PeRamp<'a> {
    pub(super) pe: usize,
    pub(super) now: u64,
    pub(super) tq_of: &'a [u32],
    pub(super) rq_of: &'a [u32],
    pub(super) tq: &'a mut QueueSet,
    pub(super) rq: &'a mut QueueSet,
    pub(super) tq_count: &'a mut u32,
    pub(super) rq_count: &'a mut u32,
}

impl PeRamp<'_> {
    pub(super) fn q(of: &[u32], pe: usize, color: u8) -> Option<usize> {
        let q = *of.get(pe * NC + usize::from(color))?;
        (q != NONE).then_some(q as usize)
    }
}

impl Ramp for PeRamp<'_> {
    fn peek(&self, color: u8) -> Option<u32> {
        let q = Self::q(self.tq_of, self.pe, color)?;
        self.tq.peek_ready(q, self.now).map(|w| w.payload)
    }

    fn take(&mut self, color: u8) -> Option<u32> {
        let q = Self::q(self.tq_of, self.pe, color)?;
        self.tq.peek_ready(q, self.now)?;
        *self.tq_count -= 1;
        Some(self.tq.pop(q, self.now).payload)
    }

    fn can_send(&self, color: u8) -> bool {
        Self::q(self.rq_of, self.pe, color).is_some_and(|q| self.rq.has_room(q, self.now))
    }

    fn send(&mut self, color: u8, payload: u32) {
        if let Some(q) = Self::q(self.rq_of, self.pe, color) {
            *self.rq_count += 1;
            let w = Wavelet {
                payload,
                ready_at: self.now + 1,
                from: Port::Ramp as u8,
            };
            self.rq.push(q, w);
        }
    }
}
