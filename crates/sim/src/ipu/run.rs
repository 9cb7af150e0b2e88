//! The engine: a compiled program run cycle by cycle, every tile in one phase each cycle.
//!
//! A superstep starting at cycle `s` with compute phase `C` (the slowest tile's compute),
//! sync latency `S` and exchange phase `E` occupies cycles `[s, s + C + S + E)`. In it, a tile
//! with vertices computes for its own `c` cycles and then waits at the sync (stalled) for
//! `C - c + S` cycles; a tile without vertices is idle for `C` cycles, then waits `S`; in the
//! exchange phase it is busy in the cycles its scheduled transfers occupy and idle in the
//! rest. The next superstep's compute starts only after the sync: no tile runs ahead.
//!
//! `run_until` jumps from phase boundary to phase boundary (the schedule is fixed by the
//! compiler, so nothing happens in between that needs a cycle loop); `step` advances one
//! cycle. Both give the same state for the same cycle.

use super::compile::{CompileOptions, compile_with};
use super::config::IpuConfig;
use super::event::IpuEvent;
use super::program::{BYTES_PER_ITEM, HOST_MEMORY_BUDGET, IpuProgram, TileStep};
use super::values::{Values, no_values_reason, reference_f64, values_bytes};
use crate::engine::{Engine, RunStatus, StepOutcome};
use crate::error::SimError;
use crate::metrics::{RunMetrics, UnitActivity};
use crate::trace::{EventKind, TraceEvent};
use crate::units::{Bytes, Cycle};
use crate::workload::Workload;
use std::collections::VecDeque;

/// Finished supersteps kept in the timeline.
pub const TIMELINE_CAPACITY: usize = 256;
/// Tile groups a timeline record keeps compute ends for.
pub const TIMELINE_GROUPS: usize = 64;

/// The phase of the machine within a superstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuperstepPhase {
    /// Tiles run their vertices.
    #[default]
    Compute,
    /// All tiles wait for the sync acknowledgement.
    Sync,
    /// Compiler-scheduled transfers between tiles.
    Exchange,
    /// The program is over.
    Finished,
}

/// What one tile does in a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TilePhase {
    /// Nothing to do.
    #[default]
    Idle,
    /// Running vertices.
    Computing,
    /// Done computing (or in the sync itself), waiting for every tile.
    WaitingAtSync,
    /// Sending or receiving.
    Exchanging,
    /// The program is over.
    Done,
}

/// Time per phase over the run so far, in cycles of the machine (not tile-cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IpuPhaseTimes {
    /// Compute phases.
    pub compute: Cycle,
    /// Syncs.
    pub sync: Cycle,
    /// Exchange phases.
    pub exchange: Cycle,
    /// Host transfers (none in a single run of a program; see [`super::epoch_estimate`]).
    pub host: Cycle,
}

/// A finished superstep, for a BSP timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SuperstepRecord {
    /// Superstep index.
    pub index: usize,
    /// First cycle.
    pub start: Cycle,
    /// End of the compute phase (the slowest tile).
    pub compute_end: Cycle,
    /// End of the sync.
    pub sync_end: Cycle,
    /// End of the exchange (and of the superstep).
    pub exchange_end: Cycle,
    /// For each group of `tiles_per_group` consecutive tiles, the cycle its slowest tile
    /// finished computing.
    pub group_compute_end: Vec<Cycle>,
    /// Tiles per group (the last group may be smaller).
    pub tiles_per_group: u32,
}

/// A picture of the run for a page. Reuse one with [`IpuRun::snapshot_into`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpuSnapshot {
    /// Cycle of the picture: tiles are shown in what they do in this cycle (the next one to
    /// simulate).
    pub cycle: Cycle,
    /// Tiles.
    pub n_tiles: u32,
    /// Whether the program is over.
    pub finished: bool,
    /// Current superstep.
    pub superstep: usize,
    /// Supersteps in the program.
    pub n_supersteps: usize,
    /// What the current superstep computes.
    pub superstep_label: String,
    /// Phase of the machine.
    pub phase: SuperstepPhase,
    /// Each tile's phase, by tile index.
    pub tiles: Vec<TilePhase>,
    /// Tiles computing, waiting, exchanging and idle (in that order).
    pub counts: [u32; 4],
    /// The last finished supersteps, oldest first (at most [`TIMELINE_CAPACITY`]).
    pub timeline: Vec<SuperstepRecord>,
}

/// One vertex a tile runs, for the inspector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileVertex {
    /// Superstep it runs in.
    pub superstep: usize,
    /// In words.
    pub name: String,
    /// Its cycles.
    pub cycles: Cycle,
}

/// Everything about one tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileInspect {
    /// Tile index.
    pub tile: u32,
    /// What it does now.
    pub phase: TilePhase,
    /// Peak memory the program uses on it.
    pub memory_used: Bytes,
    /// Its SRAM.
    pub memory_capacity: Bytes,
    /// Of that, weights held for the whole run.
    pub weight_bytes: Bytes,
    /// Every vertex of the program on this tile.
    pub vertices: Vec<TileVertex>,
    /// Bytes sent so far (finished transfers).
    pub bytes_sent: Bytes,
    /// Bytes received so far (finished transfers).
    pub bytes_received: Bytes,
    /// Cycles computing or exchanging.
    pub busy: Cycle,
    /// Cycles with nothing to do.
    pub idle: Cycle,
    /// Cycles waiting at a sync.
    pub stalled: Cycle,
}

#[derive(Debug, Clone, Copy, Default)]
struct TileCounters {
    busy: u64,
    idle: u64,
    stalled: u64,
    sent: u64,
    received: u64,
}

/// A compiled workload running on an IPU-style machine.
#[derive(Debug, Clone)]
pub struct IpuRun {
    config: IpuConfig,
    workload: Workload,
    program: IpuProgram,
    now: Cycle,
    step_idx: usize,
    phase: SuperstepPhase,
    step_start: Cycle,
    counters: Vec<TileCounters>,
    done_times: IpuPhaseTimes,
    flops_done: u64,
    bytes_exchanged: u64,
    events: VecDeque<(Cycle, IpuEvent)>,
    dropped_events: u64,
    timeline: VecDeque<SuperstepRecord>,
    values: Option<Values>,
    reference: Option<Vec<f32>>,
}

impl IpuRun {
    /// Compiles `workload` for `config` and prepares the run, with inputs and weights from
    /// `seed` (values are simulated unless the workload has a convolution).
    ///
    /// # Errors
    /// As [`super::compile()`], and [`SimError::OverMemoryBudget`] when the values would not
    /// fit this page's budget.
    pub fn new(config: IpuConfig, workload: &Workload, seed: u64) -> Result<Self, SimError> {
        Self::with_options(config, workload, seed, &CompileOptions::default())
    }

    /// As [`IpuRun::new`] with compile options.
    ///
    /// # Errors
    /// As [`IpuRun::new`].
    pub fn with_options(
        config: IpuConfig,
        workload: &Workload,
        seed: u64,
        options: &CompileOptions,
    ) -> Result<Self, SimError> {
        config.validate()?;
        workload.validate()?;
        let want_values = no_values_reason(workload).is_none();
        check_values_budget(workload, want_values)?;
        let program = compile_with(&config, workload, options)?;
        Self::from_program(config, workload, program, seed, want_values)
    }

    /// A run of an already compiled program; `values` chooses whether numbers are computed.
    ///
    /// # Errors
    /// A program compiled for another tile count, or for another workload.
    pub fn from_program(
        config: IpuConfig,
        workload: &Workload,
        program: IpuProgram,
        seed: u64,
        values: bool,
    ) -> Result<Self, SimError> {
        config.validate()?;
        if program.n_tiles != config.n_tiles || program.ops.len() != workload.ops.len() {
            return Err(SimError::InvalidWorkload {
                reason: "the program was compiled for another machine or workload.".to_owned(),
            });
        }
        let items: u64 = program
            .supersteps
            .iter()
            .map(|s| s.exchange.len() as u64 + s.tiles.len() as u64)
            .sum();
        let estimate = Bytes(items.saturating_mul(BYTES_PER_ITEM));
        if estimate > HOST_MEMORY_BUDGET {
            return Err(SimError::OverMemoryBudget {
                what: format!("the program for \"{}\"", workload.name),
                estimate,
                budget: HOST_MEMORY_BUDGET,
            });
        }
        let values = values && no_values_reason(workload).is_none();
        check_values_budget(workload, values)?;
        let (values, reference) = if values {
            let v = Values::seeded(workload, seed)?;
            let r = reference_f64(workload, &v);
            (Some(v), Some(r))
        } else {
            (None, None)
        };
        let n = config.n_tiles as usize;
        let mut run = Self {
            config,
            workload: workload.clone(),
            program,
            now: Cycle::ZERO,
            step_idx: 0,
            phase: SuperstepPhase::Compute,
            step_start: Cycle::ZERO,
            counters: vec![TileCounters::default(); n],
            done_times: IpuPhaseTimes::default(),
            flops_done: 0,
            bytes_exchanged: 0,
            events: VecDeque::new(),
            dropped_events: 0,
            timeline: VecDeque::new(),
            values,
            reference,
        };
        run.start_superstep();
        run.advance(Cycle::ZERO);
        Ok(run)
    }

    /// The compiled program (public data a page can show).
    #[must_use]
    pub fn program(&self) -> &IpuProgram {
        &self.program
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &IpuConfig {
        &self.config
    }

    /// The f64 reference of the last op's output, or why there is none.
    ///
    /// # Errors
    /// The reason values are not simulated for this workload, as a sentence.
    pub fn reference(&self) -> Result<&[f32], &'static str> {
        self.reference.as_deref().ok_or_else(|| {
            no_values_reason(&self.workload).unwrap_or("values were not requested for this run")
        })
    }

    /// The last op's output once the run is finished; `None` before, or when values are not
    /// simulated (see [`IpuRun::no_values_reason`]).
    #[must_use]
    pub fn result(&self) -> Option<&[f32]> {
        if self.phase != SuperstepPhase::Finished {
            return None;
        }
        self.values
            .as_ref()
            .and_then(|v| v.tensors.get(self.program.result_tensor.0))
            .map(Vec::as_slice)
    }

    /// Why this run computes no values, if it does not.
    #[must_use]
    pub fn no_values_reason(&self) -> Option<&'static str> {
        if self.values.is_some() {
            None
        } else {
            Some(
                no_values_reason(&self.workload)
                    .unwrap_or("values were not requested for this run"),
            )
        }
    }

    /// Current superstep index (equal to the number of supersteps once finished).
    #[must_use]
    pub fn superstep(&self) -> usize {
        self.step_idx
    }

    /// Current machine phase.
    #[must_use]
    pub fn phase(&self) -> SuperstepPhase {
        self.phase
    }

    /// Takes the undrained events with their cycles, oldest first.
    pub fn drain_ipu_events(&mut self) -> Vec<(Cycle, IpuEvent)> {
        self.events.drain(..).collect()
    }

    /// Events dropped because the trace was full (or off).
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Time per phase so far.
    #[must_use]
    pub fn phase_times(&self) -> IpuPhaseTimes {
        let mut t = self.done_times;
        if self.phase != SuperstepPhase::Finished {
            let (c, s, _) = self.bounds();
            let e = self.now - self.step_start;
            t.compute += Cycle(e.0.min(c.0));
            t.sync += Cycle(e.0.saturating_sub(c.0).min(s.0));
            t.exchange += Cycle(e.0.saturating_sub(c.0 + s.0));
        }
        t
    }

    fn push_event(&mut self, cycle: Cycle, event: IpuEvent) {
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

    /// (compute, sync, exchange) lengths of the current superstep.
    fn bounds(&self) -> (Cycle, Cycle, Cycle) {
        self.program
            .supersteps
            .get(self.step_idx)
            .map_or((Cycle::ZERO, Cycle::ZERO, Cycle::ZERO), |s| {
                (s.compute, self.config.sync_latency, s.exchange_cycles)
            })
    }

    fn phase_end(&self) -> Cycle {
        let (c, s, e) = self.bounds();
        match self.phase {
            SuperstepPhase::Compute => self.step_start + c,
            SuperstepPhase::Sync => self.step_start + c + s,
            SuperstepPhase::Exchange => self.step_start + c + s + e,
            SuperstepPhase::Finished => self.now,
        }
    }

    fn start_superstep(&mut self) {
        if let Some(s) = self.program.supersteps.get(self.step_idx) {
            let tiles_computing = s.tiles.iter().filter(|t| !t.vertices.is_empty()).count() as u32;
            let event = IpuEvent::SuperstepStarted {
                superstep: s.index,
                label: s.label.clone(),
                tiles_computing,
            };
            self.push_event(self.now, event);
        }
    }

    /// Advances to `target` (or the end of the program), handling every phase boundary met.
    fn advance(&mut self, target: Cycle) {
        // Each pass either moves time forward to a boundary or the target, or crosses one
        // boundary; boundaries are at most 3 per superstep, so this ends.
        loop {
            if self.phase == SuperstepPhase::Finished {
                return;
            }
            let end = self.phase_end();
            if self.now < end {
                if target <= self.now {
                    return;
                }
                self.now = target.min(end);
                if self.now < end {
                    return;
                }
            }
            self.cross_boundary();
        }
    }

    fn cross_boundary(&mut self) {
        let idx = self.step_idx;
        let Some(step) = self.program.supersteps.get(idx) else {
            self.phase = SuperstepPhase::Finished;
            return;
        };
        match self.phase {
            SuperstepPhase::Compute => {
                let slowest = step
                    .tiles
                    .iter()
                    .enumerate()
                    .max_by_key(|(i, t)| (t.compute, std::cmp::Reverse(*i)))
                    .map_or(0, |(i, _)| i as u32);
                let flops: u64 = step
                    .tiles
                    .iter()
                    .flat_map(|t| &t.vertices)
                    .map(|v| v.flops)
                    .sum();
                let cycles = step.compute;
                let completes = step.completes_op;
                self.flops_done += flops;
                if let (Some(op), Some(values)) = (completes, self.values.as_mut()) {
                    values.run_op(&self.workload, &self.program, op);
                }
                self.push_event(
                    self.now,
                    IpuEvent::ComputeDone {
                        superstep: idx,
                        slowest_tile: slowest,
                        cycles,
                    },
                );
                self.phase = SuperstepPhase::Sync;
            }
            SuperstepPhase::Sync => {
                let c = step.compute;
                let waited = step
                    .tiles
                    .iter()
                    .filter(|t| !t.vertices.is_empty() && t.compute < c)
                    .count() as u32;
                let longest = step
                    .tiles
                    .iter()
                    .filter(|t| !t.vertices.is_empty())
                    .map(|t| c - t.compute)
                    .max()
                    .unwrap_or(Cycle::ZERO);
                let event = IpuEvent::SyncDone {
                    superstep: idx,
                    tiles: self.config.n_tiles,
                    tiles_waited: waited,
                    longest_wait: longest,
                    latency: self.config.sync_latency,
                };
                self.push_event(self.now, event);
                self.phase = SuperstepPhase::Exchange;
            }
            SuperstepPhase::Exchange => {
                self.finish_superstep();
            }
            SuperstepPhase::Finished => {}
        }
    }

    fn finish_superstep(&mut self) {
        let idx = self.step_idx;
        let Some(step) = self.program.supersteps.get(idx) else {
            return;
        };
        let (c, s, e) = (step.compute, self.config.sync_latency, step.exchange_cycles);
        let mut bytes = 0u64;
        for (t, ts) in step.tiles.iter().enumerate() {
            let k = &mut self.counters[t];
            let (busy, idle, stalled) = split_cycles(ts, c, s, e, c + s + e);
            k.busy += busy;
            k.idle += idle;
            k.stalled += stalled;
            k.sent += ts.bytes_sent.0;
            k.received += ts.bytes_received.0;
            bytes += ts.bytes_sent.0;
        }
        self.bytes_exchanged += bytes;
        self.done_times.compute += c;
        self.done_times.sync += s;
        self.done_times.exchange += e;
        let n = step.tiles.len().max(1);
        let per_group = n.div_ceil(TIMELINE_GROUPS);
        let record = SuperstepRecord {
            index: idx,
            start: self.step_start,
            compute_end: self.step_start + c,
            sync_end: self.step_start + c + s,
            exchange_end: self.step_start + c + s + e,
            group_compute_end: step
                .tiles
                .chunks(per_group)
                .map(|g| self.step_start + g.iter().map(|t| t.compute).max().unwrap_or(Cycle::ZERO))
                .collect(),
            tiles_per_group: per_group as u32,
        };
        let transfers = step.exchange.len() as u64;
        if self.timeline.len() >= TIMELINE_CAPACITY {
            self.timeline.pop_front();
        }
        self.timeline.push_back(record);
        if transfers > 0 {
            self.push_event(
                self.now,
                IpuEvent::ExchangeDone {
                    superstep: idx,
                    transfers,
                    bytes: Bytes(bytes),
                    cycles: e,
                },
            );
        }
        self.step_idx += 1;
        self.step_start = self.now;
        if self.step_idx >= self.program.supersteps.len() {
            self.phase = SuperstepPhase::Finished;
            let event = IpuEvent::Finished {
                supersteps: self.step_idx,
                cycles: self.now,
            };
            self.push_event(self.now, event);
        } else {
            self.phase = SuperstepPhase::Compute;
            self.start_superstep();
        }
    }

    /// What tile `t` does in cycle `now`.
    fn tile_phase(&self, t: usize) -> TilePhase {
        let Some(step) = self.program.supersteps.get(self.step_idx) else {
            return TilePhase::Done;
        };
        let Some(ts) = step.tiles.get(t) else {
            return TilePhase::Idle;
        };
        let e = self.now - self.step_start;
        match self.phase {
            SuperstepPhase::Compute => {
                if ts.vertices.is_empty() {
                    TilePhase::Idle
                } else if e < ts.compute {
                    TilePhase::Computing
                } else {
                    TilePhase::WaitingAtSync
                }
            }
            SuperstepPhase::Sync => TilePhase::WaitingAtSync,
            SuperstepPhase::Exchange => {
                let x = e.saturating_sub(step.compute + self.config.sync_latency);
                let i = ts.exchange_busy.partition_point(|&(_, end)| end <= x);
                match ts.exchange_busy.get(i) {
                    Some(&(start, _)) if start <= x => TilePhase::Exchanging,
                    _ => TilePhase::Idle,
                }
            }
            SuperstepPhase::Finished => TilePhase::Done,
        }
    }

    /// Fills `snap` with the current picture, reusing its buffers.
    pub fn snapshot_into(&self, snap: &mut IpuSnapshot) {
        snap.cycle = self.now;
        snap.n_tiles = self.config.n_tiles;
        snap.finished = self.phase == SuperstepPhase::Finished;
        snap.superstep = self.step_idx;
        snap.n_supersteps = self.program.supersteps.len();
        snap.superstep_label.clear();
        if let Some(s) = self.program.supersteps.get(self.step_idx) {
            snap.superstep_label.push_str(&s.label);
        }
        snap.phase = self.phase;
        snap.tiles.clear();
        snap.counts = [0; 4];
        for t in 0..self.config.n_tiles as usize {
            let p = self.tile_phase(t);
            let slot = match p {
                TilePhase::Computing => 0,
                TilePhase::WaitingAtSync => 1,
                TilePhase::Exchanging => 2,
                TilePhase::Idle | TilePhase::Done => 3,
            };
            snap.counts[slot] += 1;
            snap.tiles.push(p);
        }
        let (a, b) = self.timeline.as_slices();
        snap.timeline.truncate(a.len() + b.len());
        for (i, r) in a.iter().chain(b).enumerate() {
            match snap.timeline.get_mut(i) {
                Some(slot) => slot.clone_from(r),
                None => snap.timeline.push(r.clone()),
            }
        }
    }

    /// A fresh snapshot.
    #[must_use]
    pub fn snapshot(&self) -> IpuSnapshot {
        let mut s = IpuSnapshot::default();
        self.snapshot_into(&mut s);
        s
    }

    /// (busy, idle, stalled, sent, received) of tile `t` so far.
    /// Tile `t`'s busy, idle and stalled cycles, and (when `with_bytes`) bytes sent and
    /// received so far. The bytes scan the current exchange's transfers, so metrics over
    /// every tile leave them out (1,472 tiles × thousands of transfers would take a frame).
    fn tile_counts(&self, t: usize, with_bytes: bool) -> (u64, u64, u64, u64, u64) {
        let k = self.counters.get(t).copied().unwrap_or_default();
        let (mut busy, mut idle, mut stalled, mut sent, mut received) =
            (k.busy, k.idle, k.stalled, k.sent, k.received);
        if self.phase != SuperstepPhase::Finished
            && let Some(step) = self.program.supersteps.get(self.step_idx)
            && let Some(ts) = step.tiles.get(t)
        {
            let e = self.now - self.step_start;
            let (b, i, s) = split_cycles(
                ts,
                step.compute,
                self.config.sync_latency,
                step.exchange_cycles,
                e,
            );
            busy += b;
            idle += i;
            stalled += s;
            if with_bytes && self.phase == SuperstepPhase::Exchange {
                let x = e.saturating_sub(step.compute + self.config.sync_latency);
                for tr in &step.exchange {
                    if tr.start + tr.cycles <= x {
                        if tr.from as usize == t {
                            sent += tr.bytes.0;
                        }
                        if tr.to as usize == t {
                            received += tr.bytes.0;
                        }
                    }
                }
            }
        }
        (busy, idle, stalled, sent, received)
    }

    /// Everything about tile `tile`.
    ///
    /// # Errors
    /// [`SimError::TileOutOfRange`].
    pub fn inspect(&self, tile: u32) -> Result<TileInspect, SimError> {
        if tile >= self.config.n_tiles {
            return Err(SimError::TileOutOfRange {
                tile,
                n_tiles: self.config.n_tiles,
            });
        }
        let t = tile as usize;
        let vertices = self
            .program
            .supersteps
            .iter()
            .flat_map(|s| {
                s.tiles
                    .get(t)
                    .into_iter()
                    .flat_map(move |ts| ts.vertices.iter().map(move |v| (s.index, v)))
            })
            .map(|(superstep, v)| TileVertex {
                superstep,
                name: self.program.vertex_name(v),
                cycles: v.cycles,
            })
            .collect();
        let (busy, idle, stalled, sent, received) = self.tile_counts(t, true);
        Ok(TileInspect {
            tile,
            phase: self.tile_phase(t),
            memory_used: self.program.memory_used.get(t).copied().unwrap_or_default(),
            memory_capacity: self.config.tile_memory,
            weight_bytes: self
                .program
                .weight_bytes
                .get(t)
                .copied()
                .unwrap_or_default(),
            vertices,
            bytes_sent: Bytes(sent),
            bytes_received: Bytes(received),
            busy: Cycle(busy),
            idle: Cycle(idle),
            stalled: Cycle(stalled),
        })
    }
}

/// Refuses values that would not fit the page's budget.
fn check_values_budget(workload: &Workload, values: bool) -> Result<(), SimError> {
    let estimate = values_bytes(workload);
    if values && estimate > HOST_MEMORY_BUDGET {
        return Err(SimError::OverMemoryBudget {
            what: format!("the values of \"{}\"", workload.name),
            estimate,
            budget: HOST_MEMORY_BUDGET,
        });
    }
    Ok(())
}

/// (busy, idle, stalled) of one tile over the first `elapsed` cycles of a superstep with
/// phases `c`, `s`, `e`.
fn split_cycles(ts: &TileStep, c: Cycle, s: Cycle, e: Cycle, elapsed: Cycle) -> (u64, u64, u64) {
    let el = elapsed.0.min(c.0 + s.0 + e.0);
    let (mut busy, mut idle, mut stalled) = (0, 0, 0);
    let ce = el.min(c.0);
    if ts.vertices.is_empty() {
        idle += ce;
    } else {
        let own = ce.min(ts.compute.0);
        busy += own;
        stalled += ce - own;
    }
    stalled += el.saturating_sub(c.0).min(s.0);
    let xe = el.saturating_sub(c.0 + s.0);
    let active: u64 = ts
        .exchange_busy
        .iter()
        .map(|&(a, b)| b.0.min(xe).saturating_sub(a.0))
        .sum();
    busy += active;
    idle += xe - active;
    (busy, idle, stalled)
}

impl Engine for IpuRun {
    fn now(&self) -> Cycle {
        self.now
    }

    /// Advances one cycle. Every cycle of a program is `Running` (tiles waiting at a sync
    /// show as stalled in the snapshot and metrics), then `Finished`.
    fn step(&mut self) -> StepOutcome {
        if self.phase == SuperstepPhase::Finished {
            return StepOutcome::Finished;
        }
        self.advance(self.now + Cycle(1));
        StepOutcome::Running
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        self.advance(deadline);
        if self.phase == SuperstepPhase::Finished {
            RunStatus::Finished { at: self.now }
        } else {
            RunStatus::DeadlineReached
        }
    }

    fn is_finished(&self) -> bool {
        self.phase == SuperstepPhase::Finished
    }

    fn metrics(&self) -> RunMetrics {
        let units = (0..self.config.n_tiles as usize)
            .map(|t| {
                let (busy, idle, stalled, _, _) = self.tile_counts(t, false);
                UnitActivity {
                    name: format!("tile {t}"),
                    busy: Cycle(busy),
                    idle: Cycle(idle),
                    stalled: Cycle(stalled),
                }
            })
            .collect();
        let on_chip = Bytes(self.bytes_exchanged);
        RunMetrics {
            machine: self.config.name.clone(),
            cycles: self.now,
            clock_hz: self.config.clock_hz,
            units,
            bytes_on_chip: on_chip,
            bytes_off_chip: Bytes::ZERO,
            flops: self.flops_done,
            peak_flops_per_s: self.config.peak_fp32_flops_per_s(),
            energy: self
                .config
                .energy
                .estimate(self.flops_done, on_chip, Bytes::ZERO),
        }
    }

    /// The IPU events, as `EventKind::Ipu` (the same events typed: [`IpuRun::drain_ipu_events`]).
    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.drain_ipu_events()
            .into_iter()
            .map(|(cycle, event)| TraceEvent {
                cycle,
                kind: EventKind::Ipu(event),
            })
            .collect()
    }
}
