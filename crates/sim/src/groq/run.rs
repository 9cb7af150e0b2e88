//! The engine: replays a compiled schedule cycle by cycle, computing values as each vector
//! passes through its functional slice, and checking as it goes that the schedule holds
//! (every read finds its tensor in memory, every stream delivers on the cycle its consumer
//! issues, no port is used twice at once). It never stalls: there is nothing dynamic to wait
//! for, so the run ends on the cycle the compiler predicted.

use std::collections::VecDeque;
use std::sync::Arc;

use super::compile::compile;
use super::config::{GroqConfig, SliceKind};
use super::event::GroqEvent;
use super::program::{GroqProgram, Mnemonic, Port, Work};
use super::values::{
    InputValues, Values, no_values_reason, reference_op, reference_start, reference_units,
    values_bytes,
};
use crate::budget::HOST_MEMORY_BUDGET;
use crate::engine::{Engine, RunStatus, StepOutcome};
use crate::error::SimError;
use crate::metrics::{RunMetrics, UnitActivity};
use crate::trace::{EventKind, TraceEvent};
use crate::units::{Bytes, Cycle};
use crate::workload::Workload;

/// Multiply-adds of the f64 reference done per simulated cycle (the reference of an op
/// is computed after the run finishes that op, a little each cycle, so no frame does it
/// all at once).
pub const REFERENCE_MACS_PER_CYCLE: u64 = 32_768;

/// What one cell (a slice on a superlane) does on a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellState {
    /// Nothing.
    #[default]
    Idle,
    /// A MEM slice reading onto a stream.
    Reading,
    /// A MEM slice writing from a stream.
    Writing,
    /// An MXM loading weights.
    Loading,
    /// A functional slice computing.
    Computing,
}

/// Vectors in flight on one stream on one superlane: from `tail` to `head` (slice positions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSegment {
    /// Superlane.
    pub superlane: u32,
    /// Position of the oldest vector still travelling (nearest the consumer).
    pub head: f64,
    /// Position of the newest vector on the stream (nearest the producer).
    pub tail: f64,
    /// Direction.
    pub east: bool,
    /// Stream register index.
    pub stream: u32,
}

/// A picture of the chip on the last cycle simulated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroqSnapshot {
    /// Cycles simulated so far.
    pub cycle: u64,
    /// The program's length (the compiler's prediction).
    pub length: u64,
    /// Whether the run is over.
    pub finished: bool,
    /// Slices west to east.
    pub slices: Vec<SliceKind>,
    /// Superlanes.
    pub n_superlanes: u32,
    /// Cell states, superlane by superlane (`superlane * slices.len() + slice`).
    pub cells: Vec<CellState>,
    /// Vectors on the streams.
    pub streams: Vec<StreamSegment>,
    /// Ops with an instruction in flight.
    pub running_ops: Vec<String>,
    /// Per slice: the instruction on superlane 0 this cycle, in words ("" when idle).
    pub issuing: Vec<String>,
}

/// One slice, inspected.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceInspect {
    /// Slice index.
    pub slice: u32,
    /// Its name ("MEM 3").
    pub name: String,
    /// Its kind.
    pub kind: SliceKind,
    /// Cycles its ports issued vectors so far (superlane 0).
    pub busy: Cycle,
    /// Cycles it had nothing to issue.
    pub idle: Cycle,
    /// Instructions in the whole schedule.
    pub n_instructions: usize,
    /// The instruction on superlane 0 now, in words.
    pub now: Option<String>,
    /// Its next instruction: issue cycle and words.
    pub next: Option<(Cycle, String)>,
    /// Tensors it holds (MEM only): name and size.
    pub tensors: Vec<(String, Bytes)>,
    /// Bytes used (MEM only).
    pub used: Bytes,
    /// Capacity (MEM only; zero for other slices).
    pub capacity: Bytes,
}

/// A run of a compiled program.
#[derive(Debug, Clone)]
pub struct GroqRun {
    config: GroqConfig,
    program: Arc<GroqProgram>,
    workload: Arc<Workload>,
    now: Cycle,
    next: usize,
    in_flight: Vec<usize>,
    live_transfers: Vec<usize>,
    port_busy: Vec<[u64; 2]>,
    departed: Vec<Option<u64>>,
    writes_left: Vec<u32>,
    landed: Vec<Option<u64>>,
    op_left: Vec<u32>,
    op_started: Vec<bool>,
    violations: Vec<String>,
    values: Option<Values>,
    /// The f64 reference's tensors, each op computed when the run finishes that op (so the
    /// work is spread over the run rather than done in one frame at the end).
    reference: Option<Vec<Vec<f64>>>,
    /// Ops finished by the run whose reference is still to compute: (op, next unit).
    reference_queue: VecDeque<(usize, u64)>,
    no_values: Option<&'static str>,
    flops_done: u64,
    bytes_moved: u64,
    events: VecDeque<(Cycle, GroqEvent)>,
    dropped_events: u64,
    finished: bool,
}

impl GroqRun {
    /// Compiles `workload` and prepares a run with seeded inputs and weights.
    ///
    /// # Errors
    /// A bad config, a workload the compiler refuses, values over the memory budget.
    pub fn new(config: GroqConfig, workload: &Workload, seed: u64) -> Result<Self, SimError> {
        let program = Arc::new(compile(&config, workload)?);
        Self::from_program(
            config,
            program,
            workload,
            Some(InputValues::Seeded(seed)),
            seed,
        )
    }

    /// Compiles `workload` and prepares a run that computes no values (for the figures and
    /// the benches).
    ///
    /// # Errors
    /// As [`GroqRun::new`].
    pub fn timing_only(config: GroqConfig, workload: &Workload) -> Result<Self, SimError> {
        let program = Arc::new(compile(&config, workload)?);
        Self::from_program(config, program, workload, None, 0)
    }

    /// A run of an already compiled program with the given inputs (`None`: timing only);
    /// weights come from `seed`. The same program can run on different inputs: only the
    /// shapes fixed it.
    ///
    /// # Errors
    /// Values over the memory budget.
    pub fn from_program(
        config: GroqConfig,
        program: Arc<GroqProgram>,
        workload: &Workload,
        inputs: Option<InputValues>,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let no_values;
        let mut values = None;
        if let Some(inputs) = inputs {
            no_values = no_values_reason(workload);
            if no_values.is_none() {
                let estimate = values_bytes(workload);
                if estimate > HOST_MEMORY_BUDGET {
                    return Err(SimError::OverMemoryBudget {
                        what: format!("the values of \"{}\"", workload.name),
                        estimate,
                        budget: HOST_MEMORY_BUDGET,
                    });
                }
                values = Some(Values::new(workload, inputs, seed)?);
            }
        } else {
            no_values = Some("this run computes timing only");
        }
        let n_tensors = workload.tensors.len();
        let mut writes_left = vec![0u32; n_tensors];
        let mut op_left = vec![0u32; workload.ops.len()];
        for i in &program.instructions {
            if i.mnemonic == Mnemonic::Write
                && let Some(t) = i.tensor
            {
                writes_left[t.0] += 1;
            }
            if let Some(n) = op_left.get_mut(i.op) {
                *n += 1;
            }
        }
        let landed = writes_left.iter().map(|&w| (w == 0).then_some(0)).collect();
        Ok(Self {
            port_busy: vec![[0; 2]; program.slices.len()],
            departed: vec![None; program.transfers.len()],
            writes_left,
            landed,
            op_started: vec![false; op_left.len()],
            op_left,
            reference: values.as_ref().map(reference_start),
            reference_queue: VecDeque::new(),
            values,
            no_values,
            workload: Arc::new(workload.clone()),
            program,
            config,
            now: Cycle::ZERO,
            next: 0,
            in_flight: Vec::new(),
            live_transfers: Vec::new(),
            violations: Vec::new(),
            flops_done: 0,
            bytes_moved: 0,
            events: VecDeque::new(),
            dropped_events: 0,
            finished: false,
        })
    }

    /// The compiled program.
    #[must_use]
    pub fn program(&self) -> &GroqProgram {
        &self.program
    }

    /// The program, shared (to run it again on other inputs).
    #[must_use]
    pub fn program_arc(&self) -> Arc<GroqProgram> {
        Arc::clone(&self.program)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GroqConfig {
        &self.config
    }

    /// The cycle count the compiler predicted.
    #[must_use]
    pub fn predicted(&self) -> Cycle {
        self.program.length
    }

    /// Where the schedule did not hold, in words (empty for every program this compiler
    /// makes; the tests check it).
    #[must_use]
    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    /// The last op's output once the run is over (`None` before, or for a timing-only run).
    #[must_use]
    pub fn result(&self) -> Option<&[f32]> {
        if !self.finished {
            return None;
        }
        self.values.as_ref()?.output(&self.workload)
    }

    /// The f64 reference of the last op's output, once the run is over (`None` before, or
    /// for a timing-only run).
    #[must_use]
    pub fn reference(&self) -> Option<Vec<f64>> {
        if !self.finished {
            return None;
        }
        let op = self.workload.ops.last()?;
        self.reference.as_ref()?.get(op.output.0).cloned()
    }

    /// Why this run computes no values, if it does not.
    #[must_use]
    pub fn no_values_reason(&self) -> Option<&'static str> {
        self.no_values
    }

    /// Takes the undrained events, oldest first.
    pub fn drain_groq_events(&mut self) -> Vec<(Cycle, GroqEvent)> {
        self.events.drain(..).collect()
    }

    /// Events dropped because the trace was full or off.
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    fn push_event(&mut self, cycle: Cycle, event: GroqEvent) {
        let cap = self.config.trace_capacity;
        if cap == 0 {
            self.dropped_events += 1;
            return;
        }
        if self.events.len() >= cap {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back((cycle, event));
    }

    fn violation(&mut self, text: String) {
        if self.violations.len() < 16 {
            self.violations.push(text);
        }
    }

    /// Issues instruction `idx` on this cycle, checking that the schedule holds.
    fn issue(&mut self, idx: usize) {
        let program = Arc::clone(&self.program);
        let instr = &program.instructions[idx];
        let now = self.now.0;
        let port = match instr.port {
            Port::Main | Port::Read => 0,
            Port::Write => 1,
        };
        let busy = self.port_busy[instr.slice as usize][port];
        self.port_busy[instr.slice as usize][port] = now + instr.count;
        if busy > now {
            let name = program.slice_name(instr.slice);
            self.violation(format!("cycle {now}: {name}'s port was still busy"));
        }
        if instr.mnemonic == Mnemonic::Read
            && let Some(t) = instr.tensor
            && self.landed[t.0].is_none_or(|at| at > now)
        {
            let name = &program.placements[t.0].name;
            self.violation(format!(
                "cycle {now}: {name} was read before it was in memory"
            ));
        }
        if let Some(tr) = instr.receives {
            let transfer = &program.transfers[tr];
            let arrival = self.departed[tr].map(|d| d + transfer.distance());
            if arrival != Some(now) {
                self.violation(format!(
                    "cycle {now}: {} issued when its stream's data was not arriving",
                    program.slice_name(instr.slice)
                ));
            }
        }
        if let Some(tr) = instr.sends {
            self.departed[tr] = Some(now + instr.latency.0);
            self.live_transfers.push(tr);
        }
        if instr.mnemonic == Mnemonic::Write
            && let Some(t) = instr.tensor
        {
            self.writes_left[t.0] = self.writes_left[t.0].saturating_sub(1);
            if self.writes_left[t.0] == 0 {
                self.landed[t.0] = Some(now + instr.count + instr.latency.0);
            }
        }
        if matches!(instr.mnemonic, Mnemonic::Read | Mnemonic::Write) {
            let dtype = instr
                .tensor
                .and_then(|t| self.workload.tensors.get(t.0))
                .map_or(4, |t| t.dtype.size().0);
            self.bytes_moved += instr.count * program.vector_len * dtype;
        }
        let workload = Arc::clone(&self.workload);
        let op = &workload.ops[instr.op];
        let first_of_op = !self.op_started[instr.op];
        self.op_started[instr.op] = true;
        if self.config.trace_capacity > 0 {
            if first_of_op {
                self.push_event(
                    self.now,
                    GroqEvent::OpStarted {
                        op: op.name.clone(),
                        label: op.kind.label(),
                    },
                );
            }
            self.push_event(
                self.now,
                GroqEvent::Issued {
                    slice: program.slice_name(instr.slice),
                    what: program.describe(instr),
                    op: op.name.clone(),
                },
            );
        }
        self.in_flight.push(idx);
    }

    fn step_cycle(&mut self) {
        let now = self.now.0;
        while let Some(instr) = self.program.instructions.get(self.next) {
            if instr.issue.0 > now {
                break;
            }
            self.issue(self.next);
            self.next += 1;
        }
        if let Some(values) = self.values.as_mut() {
            for &idx in &self.in_flight {
                let instr = &self.program.instructions[idx];
                if instr.work != Work::None && now < instr.issue.0 + instr.count {
                    values.apply(
                        &self.workload,
                        self.program.vector_len,
                        instr.work,
                        now - instr.issue.0,
                    );
                }
            }
        }
        self.now = Cycle(now + 1);
        let s = self.program.n_superlanes;
        let mut i = 0;
        while i < self.in_flight.len() {
            let idx = self.in_flight[i];
            let instr = &self.program.instructions[idx];
            if instr.completes(s) <= self.now {
                let op = instr.op;
                self.in_flight.swap_remove(i);
                self.op_left[op] = self.op_left[op].saturating_sub(1);
                if self.op_left[op] == 0 {
                    self.flops_done += self.workload.ops[op].kind.flops();
                    if self.reference.is_some() {
                        self.reference_queue.push_back((op, 0));
                    }
                    let name = self.workload.ops[op].name.clone();
                    self.push_event(self.now, GroqEvent::OpDone { op: name });
                }
            } else {
                i += 1;
            }
        }
        let horizon = u64::from(s);
        let program = &self.program;
        self.live_transfers.retain(|&tr| {
            let t = &program.transfers[tr];
            t.depart.0 + t.count + t.distance() + horizon > now + 1
        });
        self.advance_reference(REFERENCE_MACS_PER_CYCLE);
        if self.next == self.program.instructions.len() && self.in_flight.is_empty() {
            self.advance_reference(u64::MAX);
            self.finished = true;
            self.push_event(
                self.now,
                GroqEvent::Finished {
                    cycles: self.now,
                    predicted: self.program.length,
                },
            );
        }
    }

    /// Computes at most about `budget` multiply-adds of the reference's queued ops (at least
    /// one unit when any is queued), oldest op first.
    fn advance_reference(&mut self, budget: u64) {
        let Some(reference) = self.reference.as_mut() else {
            return;
        };
        let mut spent = 0u64;
        while let Some(&(op, next)) = self.reference_queue.front() {
            let (units, cost) = reference_units(&self.workload, op);
            let room = budget.saturating_sub(spent) / cost.max(1);
            let end = units.min(next.saturating_add(room.max(1)));
            reference_op(&self.workload, op, next..end, reference);
            spent = spent.saturating_add((end - next).saturating_mul(cost));
            if end >= units {
                self.reference_queue.pop_front();
            } else if let Some(front) = self.reference_queue.front_mut() {
                front.1 = end;
            }
            if spent >= budget {
                break;
            }
        }
    }

    /// Copies a picture of the last cycle simulated into `snap`, reusing its buffers.
    pub fn snapshot_into(&self, snap: &mut GroqSnapshot) {
        let p = &self.program;
        let n_slices = p.slices.len();
        let s = p.n_superlanes;
        snap.cycle = self.now.0;
        snap.length = p.length.0;
        snap.finished = self.finished;
        snap.slices.clone_from(&p.slices);
        snap.n_superlanes = s;
        snap.cells.clear();
        snap.cells.resize(n_slices * s as usize, CellState::Idle);
        snap.issuing.clear();
        snap.issuing.resize(n_slices, String::new());
        snap.streams.clear();
        snap.running_ops.clear();
        let Some(c) = self.now.0.checked_sub(1) else {
            return;
        };
        for &idx in &self.in_flight {
            let instr = &p.instructions[idx];
            let state = match instr.mnemonic {
                Mnemonic::Read => CellState::Reading,
                Mnemonic::Write => CellState::Writing,
                Mnemonic::LoadWeights => CellState::Loading,
                _ => CellState::Computing,
            };
            for sl in 0..s {
                if instr.active_on(sl, Cycle(c)) {
                    snap.cells[sl as usize * n_slices + instr.slice as usize] = state;
                }
            }
            if instr.active_on(0, Cycle(c)) {
                snap.issuing[instr.slice as usize] = p.describe(instr);
            }
            let name = &self.workload.ops[instr.op].name;
            if !snap.running_ops.contains(name) {
                snap.running_ops.push(name.clone());
            }
        }
        for &tr in &self.live_transfers {
            let t = &p.transfers[tr];
            let dist = t.distance() as i64;
            let sign = if t.east { 1.0 } else { -1.0 };
            for sl in 0..s {
                let elapsed = c as i64 - i64::from(sl) - t.depart.0 as i64;
                if elapsed < 0 {
                    continue;
                }
                let newest = elapsed - (t.count as i64 - 1);
                if newest > dist {
                    continue;
                }
                let head = elapsed.min(dist) as f64;
                let tail = newest.clamp(0, dist) as f64;
                snap.streams.push(StreamSegment {
                    superlane: sl,
                    head: f64::from(t.from) + sign * head,
                    tail: f64::from(t.from) + sign * tail,
                    east: t.east,
                    stream: t.stream,
                });
            }
        }
        snap.running_ops.sort();
    }

    /// A fresh picture of the last cycle simulated.
    #[must_use]
    pub fn snapshot(&self) -> GroqSnapshot {
        let mut snap = GroqSnapshot::default();
        self.snapshot_into(&mut snap);
        snap
    }

    /// Busy cycles (superlane 0) of each slice so far.
    fn busy_so_far(&self) -> Vec<u64> {
        let mut busy = vec![0u64; self.program.slices.len()];
        let now = self.now.0;
        for i in &self.program.instructions[..self.next] {
            busy[i.slice as usize] += i.count.min(now.saturating_sub(i.issue.0));
        }
        busy
    }

    /// Slice `slice`, inspected.
    ///
    /// # Errors
    /// A slice outside the chip.
    pub fn inspect(&self, slice: u32) -> Result<SliceInspect, SimError> {
        let p = &self.program;
        let kind = *p
            .slices
            .get(slice as usize)
            .ok_or(SimError::SliceOutOfRange {
                slice,
                n_slices: p.slices.len() as u32,
            })?;
        let busy = self.busy_so_far()[slice as usize].min(self.now.0);
        let c = self.now.0.saturating_sub(1);
        let mine = p.instructions.iter().filter(|i| i.slice == slice);
        let now = mine
            .clone()
            .find(|i| self.now.0 > 0 && i.active_on(0, Cycle(c)))
            .map(|i| p.describe(i));
        let next = mine
            .clone()
            .find(|i| i.issue >= self.now)
            .map(|i| (i.issue, p.describe(i)));
        let tensors: Vec<(String, Bytes)> = p
            .placements
            .iter()
            .filter(|pl| pl.slice == slice)
            .map(|pl| (pl.name.clone(), pl.bytes))
            .collect();
        let used = Bytes(tensors.iter().map(|(_, b)| b.0).sum());
        Ok(SliceInspect {
            slice,
            name: p.slice_name(slice),
            kind,
            busy: Cycle(busy),
            idle: Cycle(self.now.0 - busy),
            n_instructions: mine.count(),
            now,
            next,
            tensors,
            used,
            capacity: if kind == SliceKind::Mem {
                p.mem_slice_bytes
            } else {
                Bytes::ZERO
            },
        })
    }
}

impl Engine for GroqRun {
    fn now(&self) -> Cycle {
        self.now
    }

    /// Advances one cycle: issues what the schedule says, computes the vectors in the
    /// functional slices. Every cycle is `Running` until the last result has landed.
    fn step(&mut self) -> StepOutcome {
        if self.finished {
            return StepOutcome::Finished;
        }
        self.step_cycle();
        StepOutcome::Running
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        while !self.finished && self.now < deadline {
            self.step_cycle();
        }
        if self.finished {
            RunStatus::Finished { at: self.now }
        } else {
            RunStatus::DeadlineReached
        }
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    fn metrics(&self) -> RunMetrics {
        let busy = self.busy_so_far();
        let units = busy
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                let b = b.min(self.now.0);
                UnitActivity {
                    name: self.program.slice_name(i as u32),
                    busy: Cycle(b),
                    idle: Cycle(self.now.0 - b),
                    stalled: Cycle::ZERO,
                }
            })
            .collect();
        let on_chip = Bytes(self.bytes_moved);
        RunMetrics {
            machine: self.config.name.clone(),
            cycles: self.now,
            clock_hz: self.config.clock_hz,
            units,
            bytes_on_chip: on_chip,
            bytes_off_chip: Bytes::ZERO,
            flops: self.flops_done,
            peak_flops_per_s: self.config.peak_flops_per_s(),
            energy: self
                .config
                .energy
                .estimate(self.flops_done, on_chip, Bytes::ZERO),
        }
    }

    /// The Groq events, as `EventKind::Groq`.
    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.drain_groq_events()
            .into_iter()
            .map(|(cycle, event)| TraceEvent {
                cycle,
                kind: EventKind::Groq(event),
            })
            .collect()
    }
}
