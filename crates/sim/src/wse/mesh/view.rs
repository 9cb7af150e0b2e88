//! What a page sees of the mesh: snapshots for drawing and click-to-inspect.

use super::{Mesh, NC, NONE, Port, Route};
use crate::error::SimError;
use crate::units::{Bytes, Cycle};
use crate::wse::ce::Program;

/// What a PE is doing, for drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeState {
    /// Nothing to do.
    #[default]
    Idle,
    /// Running a task.
    Busy,
    /// Blocked: its output waits for a full router queue, or a task waits on its own data.
    Stalled,
}

impl Mesh {
    /// What PE (`x`, `y`) did in the last cycle.
    fn pe_state(&self, pe: usize) -> PeState {
        let c = &self.counters[pe];
        if self.now == 0 || c.last_cycle + 1 != self.now {
            return PeState::Idle;
        }
        c.last_state
    }

    /// A snapshot for drawing; see [`MeshSnapshot`]. Allocates; use
    /// [`Mesh::snapshot_into`] to reuse buffers every frame.
    #[must_use]
    pub fn snapshot(&self) -> MeshSnapshot {
        let mut s = MeshSnapshot::default();
        self.snapshot_into(&mut s);
        s
    }

    /// Fills `snap` with the current state, reusing its allocations. At most
    /// `snap.wavelet_limit` wavelets are listed (all of them when the limit is 0).
    pub fn snapshot_into(&self, snap: &mut MeshSnapshot) {
        snap.cycle = Cycle(self.now);
        snap.width = self.config.width;
        snap.height = self.config.height;
        snap.finished = self.finished;
        snap.pes.clear();
        for pe in 0..self.config.n_pes() {
            let rq_len = self.rq_count[pe];
            let tq_len = self.tq_count[pe];
            let ce = &self.ces[pe];
            snap.pes.push(PeView {
                state: self.pe_state(pe),
                task: ce.active_task(),
                router_queued: u16::try_from(rq_len).unwrap_or(u16::MAX),
                task_queued: u16::try_from(tq_len).unwrap_or(u16::MAX),
                memory_used: ce.program.memory(),
            });
        }
        snap.wavelets.clear();
        snap.wavelets_in_flight = 0;
        for q in 0..self.rq.len.len() {
            let n = self.rq.len[q];
            if n == 0 {
                continue;
            }
            snap.wavelets_in_flight += u64::from(n);
            let (x, y) = self.xy(self.rq.pe[q] as usize);
            for w in self.rq.iter(q) {
                if snap.wavelet_limit == 0 || snap.wavelets.len() < snap.wavelet_limit {
                    snap.wavelets.push(WaveletView {
                        x,
                        y,
                        color: self.rq.color[q],
                        from: Port::from_index(w.from),
                    });
                }
            }
        }
        snap.left_mesh = self.ledger.left_mesh;
    }

    /// Everything about one PE, for click-to-inspect.
    ///
    /// # Errors
    /// A PE outside the mesh.
    pub fn inspect(&self, x: u32, y: u32) -> Result<PeInspect, SimError> {
        let pe = self.pe_index(x, y)?;
        let c = &self.counters[pe];
        let mut routes = Vec::new();
        for color in 0..NC {
            if let Some(route) = self.routes[pe * NC + color] {
                let rq = self.rq_of[pe * NC + color];
                let tq = self.tq_of[pe * NC + color];
                let router_queue = if rq == NONE {
                    vec![]
                } else {
                    self.rq.iter(rq as usize).map(|w| w.payload).collect()
                };
                let task_queue = if tq == NONE {
                    vec![]
                } else {
                    self.tq.iter(tq as usize).map(|w| w.payload).collect()
                };
                routes.push(ColorInspect {
                    color: color as u8,
                    route,
                    router_queue,
                    task_queue,
                });
            }
        }
        let program = &self.ces[pe].program;
        Ok(PeInspect {
            x,
            y,
            state: self.pe_state(pe),
            task: self.ces[pe].active_task(),
            busy: Cycle(c.busy),
            stalled: Cycle(c.stalled),
            idle: Cycle(c.idle),
            router_stall_cycles: Cycle(c.router_stalls),
            tasks_run: c.tasks,
            memory_used: program.memory(),
            memory_capacity: self.config.memory_per_pe,
            routes,
            program: describe(program),
        })
    }
}

fn describe(p: &Program) -> String {
    match p {
        Program::Empty => "no program".to_owned(),
        Program::Sink {
            color,
            cost,
            received,
        } => {
            format!(
                "sink on color {color} ({cost} cycles each), {} received",
                received.len()
            )
        }
        Program::Source {
            color,
            payloads,
            next,
        } => {
            format!("source on color {color}, {next} of {} sent", payloads.len())
        }
        Program::Gemv(g) => format!(
            "GEMV block {}×{} (batch {}): x on color {}, partial sums {} → color {}; {} x taken, {} rows reduced{}{}",
            g.rows,
            g.cols,
            g.batch,
            g.x_color,
            g.in_color
                .map_or("start here".to_owned(), |c| format!("from color {c}")),
            g.out_color,
            g.x_taken,
            g.reduced,
            if g.bias.is_some() { ", adds bias" } else { "" },
            if g.relu { ", applies ReLU" } else { "" },
        ),
    }
}

/// One PE in a [`MeshSnapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeView {
    /// What it did in the last cycle.
    pub state: PeState,
    /// Task running, if any.
    pub task: Option<&'static str>,
    /// Wavelets in its router queues.
    pub router_queued: u16,
    /// Wavelets in its CE task queues.
    pub task_queued: u16,
    /// Local memory in use.
    pub memory_used: Bytes,
}

/// A wavelet in flight: sitting in the router of PE (`x`, `y`), having come in by `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveletView {
    /// PE column.
    pub x: u32,
    /// PE row.
    pub y: u32,
    /// Color.
    pub color: u8,
    /// Port it arrived by (draw it between that neighbour and this PE).
    pub from: Port,
}

/// A small picture of the mesh for drawing: per-PE state and the wavelets in flight.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeshSnapshot {
    /// Cycle of the picture.
    pub cycle: Cycle,
    /// Mesh width.
    pub width: u32,
    /// Mesh height.
    pub height: u32,
    /// Whether the run is complete.
    pub finished: bool,
    /// PEs, row by row (`y · width + x`).
    pub pes: Vec<PeView>,
    /// Wavelets in router queues (at most `wavelet_limit`).
    pub wavelets: Vec<WaveletView>,
    /// All wavelets in router queues (may exceed `wavelets.len()`).
    pub wavelets_in_flight: u64,
    /// Maximum wavelets to list (0: no limit). Set it before calling
    /// [`Mesh::snapshot_into`].
    pub wavelet_limit: usize,
    /// Wavelets that have left the mesh so far.
    pub left_mesh: u64,
}

/// One color's route and queues at a PE, in a [`PeInspect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColorInspect {
    /// Color.
    pub color: u8,
    /// Its route.
    pub route: Route,
    /// Payloads in the router queue, head first.
    pub router_queue: Vec<u32>,
    /// Payloads in the CE task queue, head first.
    pub task_queue: Vec<u32>,
}

/// Everything about one PE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeInspect {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// What it did in the last cycle.
    pub state: PeState,
    /// Task running, if any.
    pub task: Option<&'static str>,
    /// Cycles running tasks.
    pub busy: Cycle,
    /// Cycles drawn as stalled: output blocked by back-pressure, or a task blocked on the
    /// PE's own data.
    pub stalled: Cycle,
    /// Cycles with nothing to do, counted directly: `busy + stalled + idle` is the cycle
    /// count.
    pub idle: Cycle,
    /// Cycles its router held a wavelet it could not forward.
    pub router_stall_cycles: Cycle,
    /// Tasks started.
    pub tasks_run: u64,
    /// Local memory in use.
    pub memory_used: Bytes,
    /// Local memory in all.
    pub memory_capacity: Bytes,
    /// Routes and queues, by color.
    pub routes: Vec<ColorInspect>,
    /// The program, in words.
    pub program: String,
}
