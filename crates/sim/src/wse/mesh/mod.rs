//! The mesh: routers, links, queues, colors, and the cycle loop.
//!
//! # One cycle, in three phases
//! 1. **Routers.** Each PE's router looks at the head wavelet of each color's queue (the
//!    colors waiting taken round robin, least recently served first, for fairness on
//!    shared links). It forwards the wavelet to
//!    every port in the color's transmit set at once, or not at all: each destination must
//!    have room (a neighbour's router queue for that color, the CE's task queue for the
//!    ramp, or an edge port off the mesh, which always accepts), and each outgoing link
//!    (N, E, S, W, ramp) carries at most one wavelet per cycle. Otherwise the wavelet waits:
//!    back-pressure.
//! 2. **Edge injectors** (the host streaming data in) each offer one wavelet.
//! 3. **Compute engines** each run one cycle of their task (see [`super::ce`]).
//!
//! A wavelet moved during cycle `t` can move again at `t + 1` at the earliest: one hop per
//! cycle. A queue slot freed during cycle `t` can be refilled at `t + 1` at the earliest, so
//! the result does not depend on the order PEs are visited in.

mod ports;
mod queues;
mod step;
mod view;

pub use ports::{Port, PortSet, Route};
pub use view::{ColorInspect, MeshSnapshot, PeInspect, PeState, PeView, WaveletView};

use super::ce::{Ce, Program};
use super::config::{WSE2_COLORS, WseConfig};
use crate::budget::check_budget;
use crate::engine::{Engine, Resource, RunStatus, StepOutcome};
use crate::error::SimError;
use crate::metrics::{RunMetrics, UnitActivity};
use crate::trace::{EventKind, Trace, TraceEvent};
use crate::units::{Bytes, Cycle};
use queues::{Injector, QueueSet, Wavelet};

/// Colors per PE in the route tables (the WSE-2's 24).
const NC: usize = WSE2_COLORS as usize;
/// No queue allocated.
const NONE: u32 = u32::MAX;

/// A wavelet that left the mesh through an edge port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeWavelet {
    /// Cycle it arrived off the mesh (the cycle after it was forwarded).
    pub cycle: Cycle,
    /// Edge PE column.
    pub x: u32,
    /// Edge PE row.
    pub y: u32,
    /// Side it left by.
    pub port: Port,
    /// Color.
    pub color: u8,
    /// Payload.
    pub payload: u32,
}

/// Wavelet counts for the conservation check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WaveletLedger {
    /// Put on the fabric by edge injectors.
    pub injected: u64,
    /// Put on the fabric by compute engines.
    pub sent_by_ces: u64,
    /// Extra copies made by multicast (a wavelet sent to `n` ports makes `n - 1`).
    pub multicast_copies: u64,
    /// Taken by compute engine tasks.
    pub consumed: u64,
    /// Left the mesh through edge ports.
    pub left_mesh: u64,
    /// In router queues and task queues now.
    pub in_queues: u64,
}

impl WaveletLedger {
    /// Whether every wavelet put on the fabric (and every multicast copy) is delivered or
    /// still in a queue: nothing lost, nothing duplicated.
    #[must_use]
    pub fn balances(&self) -> bool {
        self.injected + self.sent_by_ces + self.multicast_copies
            == self.consumed + self.left_mesh + self.in_queues
    }
}

/// Activity of one PE over a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct PeCounters {
    busy: u64,
    /// Cycles its output waited for the router, or its task was blocked (drawn as stalled).
    stalled: u64,
    /// Cycles with nothing to do, counted directly (not as the remainder), so
    /// `busy + stalled + idle == now` is a real check of the cycle loop.
    idle: u64,
    router_stalls: u64,
    tasks: u64,
    /// Last cycle the CE was stepped, and what it did then (a PE not stepped was idle).
    last_cycle: u64,
    last_state: PeState,
}

/// The mesh simulator.
#[derive(Debug, Clone)]
pub struct Mesh {
    config: WseConfig,
    routes: Vec<Option<Route>>,
    colors_of: Vec<u32>,
    rq_of: Vec<u32>,
    tq_of: Vec<u32>,
    rq: QueueSet,
    tq: QueueSet,
    rq_count: Vec<u32>,
    tq_count: Vec<u32>,
    ces: Vec<Ce>,
    /// Neighbour of each PE through each port (indexed by `Port as usize`), or `NONE`.
    neighbours: Vec<[u32; 5]>,
    counters: Vec<PeCounters>,
    injectors: Vec<Injector>,
    injectors_done: usize,
    edge_out: Vec<EdgeWavelet>,
    ledger: WaveletLedger,
    hops: u64,
    sram_bytes: u64,
    flops: u64,
    now: u64,
    finished: bool,
    /// Set when a cycle made no progress while work remained: the cycle and a resource
    /// waited on. Nothing can change after that, so `run_until` returns at once.
    deadlocked: Option<(u64, Resource)>,
    finish_traced: bool,
    trace: Trace,
}

impl Mesh {
    /// An empty mesh: no routes, no programs.
    ///
    /// # Errors
    /// A bad config.
    pub fn new(config: WseConfig) -> Result<Self, SimError> {
        config.validate()?;
        check_budget(
            &format!("A {}×{} mesh", config.width, config.height),
            Self::estimated_bytes(&config),
        )?;
        let n = config.n_pes();
        let trace = Trace::with_capacity(config.trace_capacity);
        let (w, h) = (config.width as usize, config.height as usize);
        let neighbours = (0..n)
            .map(|pe| {
                let (x, y) = (pe % w, pe / w);
                // n ≤ 2^20 PEs, so every index fits in u32.
                let at = |ok: bool, i: usize| if ok { i as u32 } else { NONE };
                let mut nb = [NONE; 5];
                nb[Port::North as usize] = at(y > 0, pe.wrapping_sub(w));
                nb[Port::South as usize] = at(y + 1 < h, pe + w);
                nb[Port::West as usize] = at(x > 0, pe.wrapping_sub(1));
                nb[Port::East as usize] = at(x + 1 < w, pe + 1);
                nb
            })
            .collect();
        Ok(Self {
            rq: QueueSet::new(config.router_queue_depth as usize),
            tq: QueueSet::new(config.task_queue_depth as usize),
            config,
            routes: vec![None; n * NC],
            colors_of: vec![0; n],
            rq_of: vec![NONE; n * NC],
            tq_of: vec![NONE; n * NC],
            rq_count: vec![0; n],
            tq_count: vec![0; n],
            ces: vec![Ce::new(Program::Empty); n],
            neighbours,
            counters: vec![PeCounters::default(); n],
            injectors: Vec::new(),
            injectors_done: 0,
            edge_out: Vec::new(),
            ledger: WaveletLedger::default(),
            hops: 0,
            sram_bytes: 0,
            flops: 0,
            now: 0,
            finished: false,
            deadlocked: None,
            finish_traced: false,
            trace,
        })
    }

    /// Host memory the tables of an empty mesh of `config` take (routes, queue indices,
    /// CEs, counters, neighbours), before any queue or program is added: the figure
    /// [`Mesh::new`] checks against [`crate::budget::HOST_MEMORY_BUDGET`].
    #[must_use]
    pub fn estimated_bytes(config: &WseConfig) -> u64 {
        use std::mem::size_of;
        let per_color = size_of::<Option<Route>>() + 2 * size_of::<u32>();
        let per_pe = NC * per_color
            + size_of::<Ce>()
            + size_of::<PeCounters>()
            + size_of::<[u32; 5]>()
            + 3 * size_of::<u32>();
        (config.n_pes() as u64).saturating_mul(per_pe as u64)
    }

    /// Host memory one more queue takes (its slots and bookkeeping).
    fn queue_bytes(depth: u32) -> u64 {
        use std::mem::size_of;
        u64::from(depth) * size_of::<Wavelet>() as u64 + 2 * 4 + 8 + 4 + 1
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &WseConfig {
        &self.config
    }

    fn pe_index(&self, x: u32, y: u32) -> Result<usize, SimError> {
        if x < self.config.width && y < self.config.height {
            Ok(y as usize * self.config.width as usize + x as usize)
        } else {
            Err(SimError::PeOutOfRange {
                x,
                y,
                width: self.config.width,
                height: self.config.height,
            })
        }
    }

    fn xy(&self, pe: usize) -> (u32, u32) {
        let w = self.config.width as usize;
        // pe < n_pes ≤ 2^20, so both fit in u32.
        ((pe % w) as u32, (pe / w) as u32)
    }

    /// Neighbour of `pe` through `port` (`None` off the mesh or for the ramp).
    fn neighbour(&self, pe: usize, port: Port) -> Option<usize> {
        let n = self.neighbours[pe][port as usize];
        (n != NONE).then_some(n as usize)
    }

    /// Sets the route of `color` at PE (`x`, `y`): the mapping step ("the compiler").
    ///
    /// # Errors
    /// A PE outside the mesh, a color beyond the configured count, an empty transmit set,
    /// or a route that sends a color back out of the port it came in by.
    pub fn set_route(&mut self, x: u32, y: u32, color: u8, route: Route) -> Result<(), SimError> {
        let pe = self.pe_index(x, y)?;
        let bad = |reason: &str| SimError::BadRoute {
            x,
            y,
            color,
            reason: reason.to_owned(),
        };
        if u32::from(color) >= self.config.n_colors {
            return Err(SimError::ColorsExhausted {
                needed: u32::from(color) + 1,
                available: self.config.n_colors,
            });
        }
        if route.tx.is_empty() {
            return Err(bad("it transmits to no port."));
        }
        if route.tx.contains(route.rx) {
            return Err(bad(
                "it sends the color back out of the port it arrives by.",
            ));
        }
        let i = pe * NC + usize::from(color);
        let pe32 = u32::try_from(pe).unwrap_or(NONE);
        let new_rq = self.rq_of[i] == NONE;
        let new_tq = route.tx.contains(Port::Ramp) && self.tq_of[i] == NONE;
        let added = u64::from(new_rq) * Self::queue_bytes(self.config.router_queue_depth)
            + u64::from(new_tq) * Self::queue_bytes(self.config.task_queue_depth);
        if added > 0 {
            let queues = (self.rq.len.len() as u64)
                .saturating_mul(Self::queue_bytes(self.config.router_queue_depth))
                .saturating_add(
                    (self.tq.len.len() as u64)
                        .saturating_mul(Self::queue_bytes(self.config.task_queue_depth)),
                );
            check_budget(
                &format!(
                    "The queues of a {}×{} mesh",
                    self.config.width, self.config.height
                ),
                Self::estimated_bytes(&self.config)
                    .saturating_add(queues)
                    .saturating_add(added),
            )?;
        }
        if new_rq {
            self.rq_of[i] = self.rq.add(pe32, color);
        }
        if new_tq {
            self.tq_of[i] = self.tq.add(pe32, color);
        }
        self.deadlocked = None;
        self.routes[i] = Some(route);
        self.colors_of[pe] |= 1 << color;
        Ok(())
    }

    /// The route of `color` at PE (`x`, `y`), if any.
    ///
    /// # Errors
    /// A PE outside the mesh.
    pub fn route(&self, x: u32, y: u32, color: u8) -> Result<Option<Route>, SimError> {
        let pe = self.pe_index(x, y)?;
        Ok(self
            .routes
            .get(pe * NC + usize::from(color))
            .copied()
            .flatten())
    }

    /// Loads `program` into the CE of PE (`x`, `y`), checking its memory.
    ///
    /// # Errors
    /// A PE outside the mesh, a GEMV block whose data does not match its shape, or a program
    /// that does not fit the PE's memory.
    pub fn load_program(&mut self, x: u32, y: u32, program: Program) -> Result<(), SimError> {
        let pe = self.pe_index(x, y)?;
        if let Program::Gemv(g) = &program
            && let Some(reason) = g.inconsistency()
        {
            return Err(SimError::BadProgram { x, y, reason });
        }
        let needed = program.memory();
        if needed > self.config.memory_per_pe {
            return Err(SimError::BlockDoesNotFit {
                x,
                y,
                needed,
                capacity: self.config.memory_per_pe,
            });
        }
        self.ces[pe] = Ce::new(program);
        self.deadlocked = None;
        self.finished = false;
        Ok(())
    }

    /// The program of PE (`x`, `y`), with its current state.
    ///
    /// # Errors
    /// A PE outside the mesh.
    pub fn program(&self, x: u32, y: u32) -> Result<&Program, SimError> {
        let pe = self.pe_index(x, y)?;
        Ok(&self.ces[pe].program)
    }

    /// Streams `payloads` into PE (`x`, `y`) on `color` through its edge port `port` (which
    /// must face off the mesh), one per cycle when there is room.
    ///
    /// # Errors
    /// A PE outside the mesh, a port with a neighbour behind it, or a second injector on the
    /// same edge link.
    pub fn add_injector(
        &mut self,
        x: u32,
        y: u32,
        port: Port,
        color: u8,
        payloads: Vec<u32>,
    ) -> Result<(), SimError> {
        let pe = self.pe_index(x, y)?;
        let bad = |reason: &str| SimError::BadRoute {
            x,
            y,
            color,
            reason: reason.to_owned(),
        };
        if port == Port::Ramp || self.neighbour(pe, port).is_some() {
            return Err(bad(
                "host data can only enter through a port on the mesh edge.",
            ));
        }
        if self
            .injectors
            .iter()
            .any(|i| i.pe as usize == pe && i.port == port)
        {
            return Err(bad("that edge link already has an injector."));
        }
        let pe = u32::try_from(pe).unwrap_or(NONE);
        if payloads.is_empty() {
            self.injectors_done += 1;
        }
        self.injectors.push(Injector {
            pe,
            port,
            color,
            payloads,
            next: 0,
        });
        self.finished = false;
        self.deadlocked = None;
        Ok(())
    }

    /// Checks that routes join up: every color sent to a neighbour is received there from
    /// the matching port, and every injector feeds a color routed from its edge port.
    ///
    /// # Errors
    /// [`SimError::BadRoute`] naming the first inconsistent PE and color.
    pub fn check_routes(&self) -> Result<(), SimError> {
        for pe in 0..self.config.n_pes() {
            let (x, y) = self.xy(pe);
            for c in 0..NC {
                let Some(r) = self.routes[pe * NC + c] else {
                    continue;
                };
                let color = c as u8;
                let bad = |reason: String| SimError::BadRoute {
                    x,
                    y,
                    color,
                    reason,
                };
                if r.rx != Port::Ramp
                    && self.neighbour(pe, r.rx).is_none()
                    && !self
                        .injectors
                        .iter()
                        .any(|i| i.pe as usize == pe && i.port == r.rx && i.color == color)
                {
                    return Err(bad(format!(
                        "it receives from the edge port {} but no host data enters there.",
                        r.rx
                    )));
                }
                for p in r.tx.iter() {
                    let Some(nb) = self.neighbour(pe, p) else {
                        continue;
                    };
                    match self.routes[nb * NC + c] {
                        Some(nr) if nr.rx == p.opposite() => {}
                        _ => {
                            let (nx, ny) = self.xy(nb);
                            return Err(bad(format!(
                                "it sends {p} to PE ({nx}, {ny}), which does not receive color {color} from {}.",
                                p.opposite()
                            )));
                        }
                    }
                }
            }
        }
        for inj in &self.injectors {
            let (x, y) = self.xy(inj.pe as usize);
            match self.routes[inj.pe as usize * NC + usize::from(inj.color)] {
                Some(r) if r.rx == inj.port => {}
                _ => {
                    return Err(SimError::BadRoute {
                        x,
                        y,
                        color: inj.color,
                        reason: format!(
                            "host data enters from {} but the color is not received from there.",
                            inj.port
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Wavelets that have left the mesh, in order of arrival.
    #[must_use]
    pub fn edge_output(&self) -> &[EdgeWavelet] {
        &self.edge_out
    }

    /// The wavelet ledger (conservation counts).
    #[must_use]
    pub fn ledger(&self) -> WaveletLedger {
        // Counted from the queues themselves, independently of the running counters.
        let mut l = self.ledger;
        l.in_queues = self
            .rq
            .len
            .iter()
            .chain(&self.tq.len)
            .map(|&c| u64::from(c))
            .sum();
        l
    }

    /// Records a milestone or other event in the trace.
    pub fn push_trace(&mut self, cycle: Cycle, kind: EventKind) {
        if self.trace.enabled() {
            self.trace.push(cycle, kind);
        }
    }

    /// Whether the end-of-run milestone was recorded; marks it recorded.
    pub(crate) fn finish_traced(&mut self) -> bool {
        std::mem::replace(&mut self.finish_traced, true)
    }

    /// Router-to-router, router-to-ramp and router-to-edge hops so far.
    #[must_use]
    pub fn hops(&self) -> u64 {
        self.hops
    }
}

impl Engine for Mesh {
    fn now(&self) -> Cycle {
        Cycle(self.now)
    }

    fn step(&mut self) -> StepOutcome {
        self.step_inner()
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        while self.now < deadline.0 && self.deadlocked.is_none() {
            if self.step_inner() == StepOutcome::Finished {
                break;
            }
        }
        if self.finished {
            RunStatus::Finished {
                at: Cycle(self.now),
            }
        } else if let Some((at, on)) = self.deadlocked {
            RunStatus::Deadlocked { at: Cycle(at), on }
        } else {
            RunStatus::DeadlineReached
        }
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    fn metrics(&self) -> RunMetrics {
        let cycles = self.now;
        let units = (0..self.config.n_pes())
            .map(|pe| {
                let c = &self.counters[pe];
                let (x, y) = self.xy(pe);
                UnitActivity {
                    name: format!("PE ({x}, {y})"),
                    busy: Cycle(c.busy),
                    idle: Cycle(c.idle),
                    stalled: Cycle(c.stalled),
                }
            })
            .collect();
        let on_chip = Bytes(4 * self.hops + self.sram_bytes);
        let off_chip = Bytes(4 * (self.ledger.injected + self.ledger.left_mesh));
        // PE count and rate are small integers; exact in f64.
        let peak = self.config.n_pes() as f64
            * f64::from(self.config.fmacs_per_cycle)
            * 2.0
            * self.config.clock_hz;
        RunMetrics {
            machine: format!(
                "WSE-2-style mesh {}×{}",
                self.config.width, self.config.height
            ),
            cycles: Cycle(cycles),
            clock_hz: self.config.clock_hz,
            units,
            bytes_on_chip: on_chip,
            bytes_off_chip: off_chip,
            flops: self.flops,
            peak_flops_per_s: peak,
            energy: self.config.energy.estimate(self.flops, on_chip, off_chip),
        }
    }

    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.trace.drain()
    }
}
