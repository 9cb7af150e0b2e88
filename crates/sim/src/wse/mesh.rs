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

use super::ce::{Ce, CeActivity, CeEffects, Program, Ramp};
use super::config::{WSE2_COLORS, WseConfig};
use super::event::WseEvent;
use crate::budget::check_budget;
use crate::engine::{Engine, Resource, RunStatus, StepOutcome};
use crate::error::SimError;
use crate::metrics::{RunMetrics, UnitActivity};
use crate::trace::{EventKind, Trace, TraceEvent};
use crate::units::{Bytes, Cycle};
use std::fmt;

/// Colors per PE in the route tables (the WSE-2's 24).
const NC: usize = WSE2_COLORS as usize;
/// No queue allocated.
const NONE: u32 = u32::MAX;

/// A router port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// The link to this PE's own compute engine.
    Ramp,
    /// Toward row `y - 1`.
    North,
    /// Toward column `x + 1`.
    East,
    /// Toward row `y + 1`.
    South,
    /// Toward column `x - 1`.
    West,
}

impl Port {
    /// All five ports.
    pub const ALL: [Port; 5] = [Port::Ramp, Port::North, Port::East, Port::South, Port::West];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    fn from_index(i: u8) -> Port {
        Port::ALL[usize::from(i) % 5]
    }

    /// The port on the neighbour that a wavelet leaving through `self` enters by.
    #[must_use]
    pub fn opposite(self) -> Port {
        match self {
            Port::Ramp => Port::Ramp,
            Port::North => Port::South,
            Port::South => Port::North,
            Port::East => Port::West,
            Port::West => Port::East,
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Port::Ramp => "ramp",
            Port::North => "N",
            Port::East => "E",
            Port::South => "S",
            Port::West => "W",
        })
    }
}

/// A set of ports, as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PortSet(u8);

impl PortSet {
    /// No ports.
    pub const EMPTY: PortSet = PortSet(0);

    /// The set of the given ports.
    #[must_use]
    pub fn of(ports: &[Port]) -> PortSet {
        PortSet(ports.iter().fold(0, |m, p| m | p.bit()))
    }

    /// Whether `p` is in the set.
    #[must_use]
    pub fn contains(self, p: Port) -> bool {
        self.0 & p.bit() != 0
    }

    /// Ports in the set, in [`Port::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Port> {
        Port::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// Number of ports.
    #[must_use]
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The route of one color at one PE: receive from `rx`, transmit to every port of `tx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The one port this color is received from.
    pub rx: Port,
    /// The ports it is sent to (several: a multicast).
    pub tx: PortSet,
}

/// A 32-bit message in a queue, with the cycle it may move again and the port it came in by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Wavelet {
    payload: u32,
    ready_at: u64,
    from: u8,
}

/// Fixed-depth ring buffers, all in one allocation.
#[derive(Debug, Clone)]
struct QueueSet {
    depth: usize,
    slots: Vec<Wavelet>,
    head: Vec<u32>,
    len: Vec<u32>,
    popped_at: Vec<u64>,
    pe: Vec<u32>,
    color: Vec<u8>,
}

impl QueueSet {
    fn new(depth: usize) -> Self {
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

    fn add(&mut self, pe: u32, color: u8) -> u32 {
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
    fn has_room(&self, q: usize, now: u64) -> bool {
        let used = self.len[q] as usize + usize::from(self.popped_at[q] == now);
        used < self.depth
    }

    fn push(&mut self, q: usize, w: Wavelet) {
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

    fn peek_ready(&self, q: usize, now: u64) -> Option<Wavelet> {
        if self.len[q] == 0 {
            return None;
        }
        let w = self.slots[q * self.depth + self.head[q] as usize];
        (w.ready_at <= now).then_some(w)
    }

    fn pop(&mut self, q: usize, now: u64) -> Wavelet {
        assert!(self.len[q] > 0, "pop of an empty queue");
        let w = self.slots[q * self.depth + self.head[q] as usize];
        let next = self.head[q] + 1;
        self.head[q] = if next as usize == self.depth { 0 } else { next };
        self.len[q] -= 1;
        self.popped_at[q] = now;
        w
    }

    fn iter(&self, q: usize) -> impl Iterator<Item = Wavelet> + '_ {
        (0..self.len[q] as usize)
            .map(move |i| self.slots[q * self.depth + (self.head[q] as usize + i) % self.depth])
    }
}

/// Host data streamed into the mesh at an edge port.
#[derive(Debug, Clone)]
struct Injector {
    pe: u32,
    port: Port,
    color: u8,
    payloads: Vec<u32>,
    next: usize,
}

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

/// The real [`Ramp`] of one PE: its task queues and its router queues.
struct PeRamp<'a> {
    pe: usize,
    now: u64,
    tq_of: &'a [u32],
    rq_of: &'a [u32],
    tq: &'a mut QueueSet,
    rq: &'a mut QueueSet,
    tq_count: &'a mut u32,
    rq_count: &'a mut u32,
}

impl PeRamp<'_> {
    fn q(of: &[u32], pe: usize, color: u8) -> Option<usize> {
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

    /// Router phase of one PE.
    fn route_pe(&mut self, pe: usize, now: u64, progress: &mut bool, stall: &mut Option<Resource>) {
        let colors = self.colors_of[pe];
        if colors == 0 || self.rq_count[pe] == 0 {
            return;
        }
        let mut links_used: u8 = 0;
        let mut stalled_here = false;
        // Round robin over the colors waiting: the color served least recently goes first
        // (a queue's `popped_at` is the cycle it last forwarded; never is oldest), so colors
        // sharing a link take turns whatever their IDs.
        let mut waiting = [(0_u64, 0_u8); NC];
        let mut n_waiting = 0;
        let mut pending = colors;
        while pending != 0 {
            let c = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            let q = self.rq_of[pe * NC + c] as usize;
            if self.rq.peek_ready(q, now).is_some() {
                waiting[n_waiting] = (self.rq.popped_at[q].wrapping_add(1), c as u8);
                n_waiting += 1;
            }
        }
        waiting[..n_waiting].sort_unstable();
        for &(_, c) in &waiting[..n_waiting] {
            let c = usize::from(c);
            let q = self.rq_of[pe * NC + c] as usize;
            let Some(route) = self.routes[pe * NC + c] else {
                continue;
            };
            // Check every destination.
            let mut ok = true;
            let mut blocker = None;
            for p in route.tx.iter() {
                if links_used & p.bit() != 0 {
                    ok = false;
                    break;
                }
                match p {
                    Port::Ramp => {
                        let tq = self.tq_of[pe * NC + c] as usize;
                        if !self.tq.has_room(tq, now) {
                            ok = false;
                            let (x, y) = self.xy(pe);
                            blocker = Some(Resource::TaskQueue {
                                x,
                                y,
                                color: c as u8,
                            });
                            break;
                        }
                    }
                    _ => {
                        if let Some(nb) = self.neighbour(pe, p) {
                            let nq = self.rq_of[nb * NC + c];
                            if nq == NONE || !self.rq.has_room(nq as usize, now) {
                                ok = false;
                                let (x, y) = self.xy(nb);
                                blocker = Some(Resource::RouterQueue {
                                    x,
                                    y,
                                    color: c as u8,
                                });
                                break;
                            }
                        }
                    }
                }
            }
            if !ok {
                stalled_here = true;
                if stall.is_none() {
                    *stall = blocker;
                }
                continue;
            }
            let w = self.rq.pop(q, now);
            self.rq_count[pe] -= 1;
            *progress = true;
            let fanout = u64::from(route.tx.len());
            self.ledger.multicast_copies += fanout - 1;
            self.hops += fanout;
            for p in route.tx.iter() {
                links_used |= p.bit();
                match p {
                    Port::Ramp => {
                        let tq = self.tq_of[pe * NC + c] as usize;
                        self.tq.push(
                            tq,
                            Wavelet {
                                payload: w.payload,
                                ready_at: now + 1,
                                from: p as u8,
                            },
                        );
                        self.tq_count[pe] += 1;
                    }
                    _ => match self.neighbour(pe, p) {
                        Some(nb) => {
                            let nq = self.rq_of[nb * NC + c] as usize;
                            let from = p.opposite() as u8;
                            self.rq.push(
                                nq,
                                Wavelet {
                                    payload: w.payload,
                                    ready_at: now + 1,
                                    from,
                                },
                            );
                            self.rq_count[nb] += 1;
                        }
                        None => {
                            let (x, y) = self.xy(pe);
                            self.ledger.left_mesh += 1;
                            self.edge_out.push(EdgeWavelet {
                                cycle: Cycle(now + 1),
                                x,
                                y,
                                port: p,
                                color: c as u8,
                                payload: w.payload,
                            });
                            if self.trace.enabled() {
                                self.trace.push(
                                    Cycle(now + 1),
                                    EventKind::Wse(WseEvent::WaveletLeftMesh {
                                        x,
                                        y,
                                        color: c as u8,
                                    }),
                                );
                            }
                        }
                    },
                }
            }
        }
        if stalled_here {
            self.counters[pe].router_stalls += 1;
        }
    }

    fn inject(&mut self, now: u64, progress: &mut bool, stall: &mut Option<Resource>) {
        if self.injectors_done == self.injectors.len() {
            return;
        }
        for i in 0..self.injectors.len() {
            let inj = &self.injectors[i];
            if inj.next >= inj.payloads.len() {
                continue;
            }
            let pe = inj.pe as usize;
            let q = self.rq_of[pe * NC + usize::from(inj.color)];
            if q == NONE {
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::NoRoute {
                        x,
                        y,
                        color: inj.color,
                    });
                }
                continue;
            }
            if !self.rq.has_room(q as usize, now) {
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::RouterQueue {
                        x,
                        y,
                        color: inj.color,
                    });
                }
                continue;
            }
            let w = Wavelet {
                payload: inj.payloads[inj.next],
                ready_at: now + 1,
                from: inj.port as u8,
            };
            self.rq.push(q as usize, w);
            self.rq_count[pe] += 1;
            self.ledger.injected += 1;
            *progress = true;
            let inj = &mut self.injectors[i];
            inj.next += 1;
            if inj.next == inj.payloads.len() {
                self.injectors_done += 1;
            }
        }
    }

    /// Compute phase of one PE. Returns whether the CE still has work after this cycle.
    fn compute_pe(
        &mut self,
        pe: usize,
        now: u64,
        progress: &mut bool,
        stall: &mut Option<Resource>,
    ) -> bool {
        if !self.ces[pe].has_work() && self.tq_count[pe] == 0 {
            self.counters[pe].idle += 1;
            return false;
        }
        let mut eff = CeEffects::default();
        let activity = {
            let Mesh {
                ces,
                tq_of,
                rq_of,
                tq,
                rq,
                tq_count,
                rq_count,
                ..
            } = self;
            let mut ramp = PeRamp {
                pe,
                now,
                tq_of,
                rq_of,
                tq,
                rq,
                tq_count: &mut tq_count[pe],
                rq_count: &mut rq_count[pe],
            };
            ces[pe].step(&mut ramp, &mut eff)
        };
        let cnt = &mut self.counters[pe];
        cnt.last_cycle = now;
        match activity {
            CeActivity::Busy => {
                cnt.busy += 1;
                cnt.last_state = PeState::Busy;
                *progress = true;
            }
            CeActivity::Stalled(color) => {
                cnt.stalled += 1;
                cnt.last_state = PeState::Stalled;
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::RouterQueue { x, y, color });
                }
            }
            CeActivity::Blocked(_) => {
                cnt.stalled += 1;
                cnt.last_state = PeState::Stalled;
                if stall.is_none() {
                    let (x, y) = self.xy(pe);
                    *stall = Some(Resource::BlockedTask { x, y });
                }
            }
            CeActivity::Idle => {
                cnt.idle += 1;
                cnt.last_state = PeState::Idle;
            }
        }
        if eff.sent {
            self.ledger.sent_by_ces += 1;
            *progress = true;
        }
        if eff.took {
            self.ledger.consumed += 1;
        }
        self.flops += eff.flops;
        self.sram_bytes += eff.sram_bytes;
        if let Some(task) = eff.started {
            self.counters[pe].tasks += 1;
            if self.config.trace_tasks && self.trace.enabled() {
                let (x, y) = self.xy(pe);
                self.trace.push(
                    Cycle(now),
                    EventKind::Wse(WseEvent::TaskStarted { x, y, task }),
                );
            }
        }
        if let Some(sample) = eff.partial_ready
            && self.trace.enabled()
            && self.config.trace_tasks
        {
            let (x, y) = self.xy(pe);
            self.trace.push(
                Cycle(now),
                EventKind::Wse(WseEvent::PartialReady { x, y, sample }),
            );
        }
        self.ces[pe].has_work() || self.tq_count[pe] > 0
    }

    /// Wavelets in queues, from the running counts.
    fn queued(&self) -> u64 {
        let l = &self.ledger;
        l.injected + l.sent_by_ces + l.multicast_copies - l.consumed - l.left_mesh
    }

    /// Whether nothing is left to do: no wavelet queued, no CE with work, no host data left.
    fn quiescent(&self) -> bool {
        self.queued() == 0
            && self.injectors_done == self.injectors.len()
            && !self.ces.iter().any(Ce::has_work)
    }

    /// A wavelet that waits in a task queue no task takes, as the resource a stuck run
    /// waits on.
    fn undrained_task_queue(&self) -> Option<Resource> {
        let pe = self.tq_count.iter().position(|&n| n > 0)?;
        let color = (0..NC).find(|&c| {
            let q = self.tq_of[pe * NC + c];
            q != NONE && self.tq.len[q as usize] > 0
        })?;
        let (x, y) = self.xy(pe);
        Some(Resource::TaskQueue {
            x,
            y,
            color: color as u8,
        })
    }

    /// Advances one cycle; see the module docs for the phases.
    ///
    /// A cycle in which nothing moved and no CE computed, while work remains, means nothing
    /// ever will (every change to the mesh's state is such progress): the mesh records the
    /// deadlock and [`Engine::run_until`] returns it at once, whatever the deadline.
    fn step_inner(&mut self) -> StepOutcome {
        if self.finished || self.quiescent() {
            self.finished = true;
            return StepOutcome::Finished;
        }
        let now = self.now;
        let mut moved = false;
        let mut stall = None;
        let n = self.config.n_pes();
        for pe in 0..n {
            self.route_pe(pe, now, &mut moved, &mut stall);
        }
        self.inject(now, &mut moved, &mut stall);
        let mut ce_work = false;
        let mut computed = false;
        for pe in 0..n {
            ce_work |= self.compute_pe(pe, now, &mut computed, &mut stall);
        }
        let progress = moved || computed;
        let pending = self.queued() > 0 || ce_work || self.injectors_done < self.injectors.len();
        self.now += 1;
        if !pending {
            self.finished = true;
        }
        if computed {
            return StepOutcome::Running;
        }
        if !progress {
            // Work remains (the mesh was not quiescent) but nothing changed: stuck for good.
            let on = stall
                .or_else(|| self.undrained_task_queue())
                .unwrap_or(Resource::BlockedTask { x: 0, y: 0 });
            if self.deadlocked.is_none() {
                self.deadlocked = Some((now, on));
            }
            return StepOutcome::Stalled { on };
        }
        match stall {
            Some(on) => StepOutcome::Stalled { on },
            None => StepOutcome::Running,
        }
    }

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
