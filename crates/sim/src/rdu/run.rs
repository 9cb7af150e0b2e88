//! The engine: micro-batches streaming through each section's pipeline, cycle by cycle.
//!
//! # One cycle
//! Every stage decides from the state at the start of the cycle (so the order stages are
//! visited in changes nothing):
//! - a stage with work left on a micro-batch works;
//! - otherwise, if micro-batches remain, it **starts** the next one when every input buffer
//!   holds that micro-batch, complete, and every output buffer has a free slot (a buffer holds
//!   `depth` micro-batches: a slot is taken when the producer starts writing and freed when
//!   the last consumer finishes reading); it then works in this same cycle;
//! - otherwise it waits: *starved* (an input is not there yet), *blocked* (an output buffer is
//!   full: back-pressure), or done.
//!
//! A stage that finishes a micro-batch marks its output slots complete and its input slots
//! read at the end of the cycle; its consumers see that the next cycle. So a micro-batch goes
//! through a chain of stage times `t_1 … t_S` in `Σ t_s` cycles, and `M` micro-batches in
//! `Σ t_s + (M − 1) · max t_s` (pipeline fill, steady state at the slowest stage's rate,
//! drain): see [`super::program::Section::estimated_cycles`].
//!
//! Between sections the tile is reconfigured ([`super::program::Section::load_cycles`]);
//! after the last one, data-parallel replicas all-reduce their gradients.
//!
//! `run_until` skips ahead through cycles in which no stage can start or finish (only work
//! counters change), so it costs per event, not per cycle; `step` and `run_until` reach the
//! same state for the same cycle. A cycle in which no stage works or starts while work
//! remains ends the run as `Deadlocked` at once (it cannot happen with the compiler's buffer
//! depths; the check keeps any future bug from spinning).

use std::collections::VecDeque;

use super::config::RduConfig;
use super::event::RduEvent;
use super::program::{RduProgram, StageKind, compile};
use super::values::{CheckedValues, micro_batches_checked, no_values_reason, values_bytes};
use super::view::{PipelinePhase, StageSpan};
use crate::budget::check_budget;
use crate::engine::{Engine, Resource, RunStatus, StepOutcome};
use crate::error::SimError;
use crate::metrics::{RunMetrics, UnitActivity};
use crate::trace::{EventKind, TraceEvent};
use crate::units::{Bytes, Cycle};
use crate::workload::Workload;

/// Stage spans kept for the occupancy chart.
pub const SPAN_CAPACITY: usize = 4_096;

/// One micro-batch's place in a buffer.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Slot {
    micro_batch: u32,
    pub(super) complete: bool,
    reads: u32,
}

/// A stage's progress in the current section.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StageRun {
    pub(super) started: u32,
    pub(super) finished: u32,
    pub(super) remaining: u64,
    span_start: Cycle,
    busy: u64,
    starved: u64,
    blocked: u64,
    idle: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Work,
    Start,
    Starved,
    Blocked,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RunPhase {
    Loading { until: Cycle },
    Streaming,
    AllReduce { until: Cycle },
    Finished,
}

/// A compiled workload running on an RDU-style tile. The fields marked `pub(super)` are read
/// (never written) by [`super::view`], which draws the run for a page.
#[derive(Debug, Clone)]
pub struct RduRun {
    pub(super) config: RduConfig,
    workload: Workload,
    pub(super) program: RduProgram,
    pub(super) now: Cycle,
    pub(super) section: usize,
    pub(super) phase: RunPhase,
    phase_start: Cycle,
    pub(super) stream_start: Cycle,
    pub(super) stages: Vec<StageRun>,
    pub(super) buffers: Vec<VecDeque<Slot>>,
    decisions: Vec<Decision>,
    first_out: bool,
    last_in: bool,
    exits: Vec<u32>,
    pcu_acc: Vec<[u64; 3]>,
    agcu_busy: u64,
    flops: u64,
    bytes_on_chip: u64,
    bytes_off_chip: u64,
    events: VecDeque<(Cycle, RduEvent)>,
    dropped_events: u64,
    pub(super) spans: VecDeque<StageSpan>,
    values: Option<CheckedValues>,
    deadlock: Option<(Cycle, Resource)>,
}

impl RduRun {
    /// Compiles `workload` for `config` and prepares a run of `micro_batches` per replica
    /// over `tasks` replicas, with values from `seed`.
    ///
    /// # Errors
    /// As [`super::compile`], and [`SimError::OverMemoryBudget`] when the values or the
    /// compiled program would not fit the page's budget.
    pub fn new(
        config: RduConfig,
        workload: &Workload,
        micro_batches: u32,
        tasks: u32,
        seed: u64,
    ) -> Result<Self, SimError> {
        let program = compile(&config, workload, micro_batches, tasks)?;
        Self::from_program(config, workload, program, seed)
    }

    /// A run of an already compiled program (a test can alter one to see what the engine
    /// does with a bad program).
    ///
    /// # Errors
    /// A program for another tile or workload; sizes over the memory budget.
    pub fn from_program(
        config: RduConfig,
        workload: &Workload,
        program: RduProgram,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let n_pcus = config.n_pcus();
        let fits = program.sections.iter().all(|s| {
            s.stages.iter().flat_map(|st| &st.pcus).all(|&p| p < n_pcus)
                && s.buffers.iter().flat_map(|b| &b.pmus).all(|&p| p < n_pcus)
                && s.stages.iter().all(|st| match st.kind {
                    StageKind::Op(i) => i < workload.ops.len(),
                    _ => true,
                })
        });
        if !fits || program.sections.is_empty() {
            return Err(SimError::InvalidWorkload {
                reason: "the program was compiled for another tile or workload.".to_owned(),
            });
        }
        let micro_batches = program.micro_batches;
        let units: u64 = program
            .sections
            .iter()
            .map(|s| (s.stages.len() + s.buffers.len() + s.routes.len()) as u64)
            .sum();
        check_budget(
            &format!("the program for \"{}\"", workload.name),
            units
                .saturating_mul(256)
                .saturating_add(u64::from(micro_batches) * 8),
        )?;
        let checked = micro_batches_checked(workload, micro_batches);
        check_budget(
            &format!("the values of \"{}\"", workload.name),
            values_bytes(workload, checked).0,
        )?;
        let values = if checked > 0 {
            Some(CheckedValues::compute(workload, seed, checked)?)
        } else {
            None
        };
        let n_pcus = config.n_pcus() as usize;
        let mut run = Self {
            config,
            workload: workload.clone(),
            program,
            now: Cycle::ZERO,
            section: 0,
            phase: RunPhase::Finished,
            phase_start: Cycle::ZERO,
            stream_start: Cycle::ZERO,
            stages: Vec::new(),
            buffers: Vec::new(),
            decisions: Vec::new(),
            first_out: false,
            last_in: false,
            exits: vec![0; micro_batches as usize],
            pcu_acc: vec![[0; 3]; n_pcus],
            agcu_busy: 0,
            flops: 0,
            bytes_on_chip: 0,
            bytes_off_chip: 0,
            events: VecDeque::new(),
            dropped_events: 0,
            spans: VecDeque::new(),
            values,
            deadlock: None,
        };
        run.begin_loading(0);
        Ok(run)
    }

    /// The compiled program (public data a page can show).
    #[must_use]
    pub fn program(&self) -> &RduProgram {
        &self.program
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &RduConfig {
        &self.config
    }

    /// The workload.
    #[must_use]
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    /// The computed values and their reference once the run is over; `None` before, or when
    /// values are not computed ([`RduRun::no_values_reason`]).
    #[must_use]
    pub fn result(&self) -> Option<&CheckedValues> {
        if self.phase == RunPhase::Finished {
            self.values.as_ref()
        } else {
            None
        }
    }

    /// Why this run computes no values, if it does not.
    #[must_use]
    pub fn no_values_reason(&self) -> Option<&'static str> {
        if self.values.is_some() {
            None
        } else {
            no_values_reason(&self.workload)
        }
    }

    /// How many times each micro-batch has left the last section (1 each once finished).
    #[must_use]
    pub fn exits(&self) -> &[u32] {
        &self.exits
    }

    /// The current section.
    #[must_use]
    pub fn section(&self) -> usize {
        self.section
    }

    /// Where the run is.
    #[must_use]
    pub fn pipeline_phase(&self) -> PipelinePhase {
        match self.phase {
            RunPhase::Loading { .. } => PipelinePhase::Loading,
            RunPhase::AllReduce { .. } => PipelinePhase::AllReduce,
            RunPhase::Finished => PipelinePhase::Finished,
            RunPhase::Streaming if self.last_in => PipelinePhase::Drain,
            RunPhase::Streaming if self.first_out => PipelinePhase::Steady,
            RunPhase::Streaming => PipelinePhase::Fill,
        }
    }

    /// Takes the undrained events with their cycles, oldest first.
    pub fn drain_rdu_events(&mut self) -> Vec<(Cycle, RduEvent)> {
        self.events.drain(..).collect()
    }

    /// Events dropped because the trace was full (or off).
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    fn push_event(&mut self, event: RduEvent) {
        let cap = self.config.trace_capacity;
        if cap == 0 {
            self.dropped_events += 1;
            return;
        }
        if self.events.len() >= cap {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back((self.now, event));
    }

    /// Adds the current phase's cycles to every PCU's counters and starts a new phase.
    fn close_phase(&mut self) {
        let elapsed = (self.now - self.phase_start).0;
        let mut assigned = vec![false; self.pcu_acc.len()];
        if self.phase == RunPhase::Streaming
            && let Some(sec) = self.program.sections.get(self.section)
        {
            for (stage, run) in sec.stages.iter().zip(&self.stages) {
                for &p in &stage.pcus {
                    if let Some(acc) = self.pcu_acc.get_mut(p as usize) {
                        acc[0] += run.busy;
                        acc[1] += run.idle;
                        acc[2] += run.starved + run.blocked;
                        assigned[p as usize] = true;
                    }
                }
                if stage.pcus.is_empty() {
                    self.agcu_busy += run.busy;
                }
            }
        }
        for (acc, assigned) in self.pcu_acc.iter_mut().zip(assigned) {
            if !assigned {
                acc[1] += elapsed;
            }
        }
        self.phase_start = self.now;
    }

    fn begin_loading(&mut self, section: usize) {
        self.section = section;
        let Some(sec) = self.program.sections.get(section) else {
            self.phase = RunPhase::Finished;
            return;
        };
        let event = RduEvent::SectionLoading {
            section,
            n_sections: self.program.sections.len(),
            ops: sec.op_names(&self.workload),
            pcus: sec.pcus_used,
            pmus: sec.pmus_used,
            weight_bytes: sec.weight_bytes,
            cycles: sec.load_cycles,
        };
        self.bytes_off_chip += sec.weight_bytes.0;
        let until = self.now + sec.load_cycles;
        self.phase = RunPhase::Loading { until };
        self.push_event(event);
    }

    fn begin_streaming(&mut self) {
        self.close_phase();
        self.stream_start = self.now;
        let Some(sec) = self.program.sections.get(self.section) else {
            self.phase = RunPhase::Finished;
            return;
        };
        self.stages.clear();
        self.stages.resize(sec.stages.len(), StageRun::default());
        self.buffers.clear();
        self.buffers.resize(sec.buffers.len(), VecDeque::new());
        self.first_out = false;
        self.last_in = false;
        let (b, cycles) = sec.bottleneck();
        let event = RduEvent::StreamingStarted {
            section: self.section,
            micro_batches: self.program.micro_batches,
            bottleneck: sec.stages[b].label.clone(),
            bottleneck_cycles: cycles,
        };
        self.phase = RunPhase::Streaming;
        self.push_event(event);
    }

    fn end_section(&mut self) {
        let Some(sec) = self.program.sections.get(self.section) else {
            return;
        };
        let m = u64::from(self.program.micro_batches);
        let event = RduEvent::SectionDone {
            section: self.section,
            ddr_in: Bytes(m * sec.ddr_in_per_micro_batch.0),
            ddr_out: Bytes(m * sec.ddr_out_per_micro_batch.0),
            cycles: self.now - self.phase_start,
        };
        self.push_event(event);
        self.close_phase();
        // Between phases: nothing more to count for the streaming that just ended.
        self.phase = RunPhase::AllReduce { until: self.now };
        if self.section + 1 < self.program.sections.len() {
            self.begin_loading(self.section + 1);
        } else if self.program.tasks > 1 {
            let event = RduEvent::AllReduceStarted {
                tasks: self.program.tasks,
                bytes: self.program.gradient_bytes,
                cycles: self.program.allreduce_cycles,
            };
            self.push_event(event);
            self.phase = RunPhase::AllReduce {
                until: self.now + self.program.allreduce_cycles,
            };
        } else {
            self.finish();
        }
    }

    fn finish(&mut self) {
        self.close_phase();
        self.phase = RunPhase::Finished;
        let event = RduEvent::Finished {
            sections: self.program.sections.len(),
            cycles: self.now,
        };
        self.push_event(event);
    }

    /// The slot of micro-batch `mb` in buffer `b`.
    pub(super) fn slot(&self, b: usize, mb: u32) -> Option<&Slot> {
        let q = self.buffers.get(b)?;
        let front = q.front()?.micro_batch;
        q.get(mb.checked_sub(front)? as usize)
    }

    /// Every stage's decision for this cycle, from the state at its start.
    fn decide(&mut self) {
        let m = self.program.micro_batches;
        let Some(sec) = self.program.sections.get(self.section) else {
            return;
        };
        self.decisions.clear();
        for (stage, run) in sec.stages.iter().zip(&self.stages) {
            let d = if run.remaining > 0 {
                Decision::Work
            } else if run.started >= m {
                Decision::Done
            } else {
                let mb = run.started;
                let inputs_ready = stage
                    .inputs
                    .iter()
                    .all(|&b| self.slot(b, mb).is_some_and(|s| s.complete));
                let room = stage
                    .outputs
                    .iter()
                    .all(|&b| self.buffers[b].len() < sec.buffers[b].depth as usize);
                if !inputs_ready {
                    Decision::Starved
                } else if !room {
                    Decision::Blocked
                } else {
                    Decision::Start
                }
            };
            self.decisions.push(d);
        }
    }

    /// Adds `n` cycles of waiting to every stage that is not working.
    fn count_waits(&mut self, n: u64) {
        for (run, d) in self.stages.iter_mut().zip(&self.decisions) {
            match d {
                Decision::Work | Decision::Start => run.busy += n,
                Decision::Starved => run.starved += n,
                Decision::Blocked => run.blocked += n,
                Decision::Done => run.idle += n,
            }
        }
    }

    /// Streams until `deadline`, the end of the section, or a deadlock.
    fn stream(&mut self, deadline: Cycle) {
        while self.now < deadline && self.phase == RunPhase::Streaming {
            self.decide();
            if self.decisions.iter().all(|d| *d == Decision::Done) {
                self.end_section();
                return;
            }
            let any_start = self.decisions.contains(&Decision::Start);
            let min_left = self
                .stages
                .iter()
                .zip(&self.decisions)
                .filter(|(_, d)| **d == Decision::Work)
                .map(|(r, _)| r.remaining)
                .min();
            if !any_start {
                let Some(k) = min_left else {
                    let stage = self
                        .decisions
                        .iter()
                        .position(|d| *d != Decision::Done)
                        .unwrap_or(0);
                    self.deadlock = Some((
                        self.now,
                        Resource::PmuBuffer {
                            section: self.section as u32,
                            stage: stage as u32,
                        },
                    ));
                    return;
                };
                // Nothing starts or finishes before the earliest finish: skip to its cycle.
                let skip = (k - 1).min((deadline - self.now).0);
                if skip > 0 {
                    self.count_waits(skip);
                    for (run, d) in self.stages.iter_mut().zip(&self.decisions) {
                        if *d == Decision::Work {
                            run.remaining -= skip;
                        }
                    }
                    self.now += Cycle(skip);
                    continue;
                }
            }
            self.one_cycle();
        }
    }

    /// One cycle of streaming with `self.decisions` already made.
    fn one_cycle(&mut self) {
        let section = self.section;
        let m = self.program.micro_batches;
        self.count_waits(1);
        let Some(sec) = self.program.sections.get(section) else {
            return;
        };
        let mut finished: Vec<usize> = Vec::new();
        for (s, stage) in sec.stages.iter().enumerate() {
            match self.decisions[s] {
                Decision::Start => {
                    let mb = self.stages[s].started;
                    for &b in &stage.outputs {
                        self.buffers[b].push_back(Slot {
                            micro_batch: mb,
                            complete: false,
                            reads: 0,
                        });
                    }
                    let run = &mut self.stages[s];
                    run.started += 1;
                    run.remaining = stage.cycles.0;
                    run.span_start = self.now;
                }
                Decision::Work => {}
                _ => continue,
            }
            let run = &mut self.stages[s];
            run.remaining -= 1;
            if run.remaining == 0 {
                finished.push(s);
            }
        }
        let last_in_now = self.decisions.first() == Some(&Decision::Start)
            && self.stages.first().is_some_and(|r| r.started == m);
        let end = self.now + Cycle(1);
        let n_stages = sec.stages.len();
        let mut outs: Vec<u32> = Vec::new();
        for &s in &finished {
            let stage = &sec.stages[s];
            let mb = self.stages[s].finished;
            self.stages[s].finished += 1;
            self.flops += stage.flops;
            match stage.kind {
                StageKind::Load => self.bytes_off_chip += stage.ddr_bytes.0,
                StageKind::Store => self.bytes_off_chip += stage.ddr_bytes.0,
                StageKind::Op(_) => {}
            }
            for &b in &stage.outputs {
                let front = self.buffers[b].front().map_or(0, |f| f.micro_batch);
                if let Some(slot) = self.buffers[b].get_mut((mb - front) as usize) {
                    slot.complete = true;
                }
                self.bytes_on_chip += sec.buffers[b].bytes_per_micro_batch.0;
            }
            for &b in &stage.inputs {
                let front = self.buffers[b].front().map_or(0, |f| f.micro_batch);
                if let Some(slot) = self.buffers[b].get_mut((mb - front) as usize) {
                    slot.reads += 1;
                }
                self.bytes_on_chip += sec.buffers[b].bytes_per_micro_batch.0;
                let readers = sec.buffers[b].consumers.len() as u32;
                while self.buffers[b]
                    .front()
                    .is_some_and(|f| f.complete && f.reads >= readers)
                {
                    self.buffers[b].pop_front();
                }
            }
            if self.spans.len() >= SPAN_CAPACITY {
                self.spans.pop_front();
            }
            self.spans.push_back(StageSpan {
                section: section as u32,
                stage: s as u32,
                micro_batch: mb,
                start: self.stages[s].span_start,
                end,
            });
            if s == n_stages - 1 {
                outs.push(mb);
            }
        }
        self.now = end;
        if last_in_now && !self.last_in {
            self.last_in = true;
            self.push_event(RduEvent::Draining { section });
        }
        for mb in outs {
            if !self.first_out {
                self.first_out = true;
                self.push_event(RduEvent::PipelineFull { section });
            }
            if section + 1 == self.program.sections.len()
                && let Some(e) = self.exits.get_mut(mb as usize)
            {
                *e += 1;
            }
            self.push_event(RduEvent::MicroBatchOut {
                section,
                micro_batch: mb,
            });
        }
    }

    /// Advances to `target` (or the end, or a deadlock).
    fn advance(&mut self, target: Cycle) {
        // Each pass moves time forward or changes phase; phases are finite, so this ends.
        loop {
            if self.deadlock.is_some() {
                return;
            }
            match self.phase {
                RunPhase::Finished => return,
                RunPhase::Loading { until } => {
                    if self.now >= until {
                        self.begin_streaming();
                        continue;
                    }
                    if target <= self.now {
                        return;
                    }
                    self.now = target.min(until);
                }
                RunPhase::AllReduce { until } => {
                    if self.now >= until {
                        self.finish();
                        continue;
                    }
                    if target <= self.now {
                        return;
                    }
                    self.now = target.min(until);
                }
                RunPhase::Streaming => {
                    if target <= self.now {
                        // A section whose stages are all done ends without taking a cycle.
                        self.decide();
                        if self.decisions.iter().all(|d| *d == Decision::Done) {
                            self.end_section();
                            continue;
                        }
                        return;
                    }
                    self.stream(target);
                }
            }
        }
    }

    /// Checks that every micro-batch in flight in the current section is held somewhere and
    /// none is held twice by a stage: the token ledger the property tests use.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn check_tokens(&self) -> Result<(), String> {
        if self.phase != RunPhase::Streaming {
            return Ok(());
        }
        let Some(sec) = self.program.sections.get(self.section) else {
            return Ok(());
        };
        let m = self.program.micro_batches;
        for (s, run) in self.stages.iter().enumerate() {
            if run.finished > run.started || run.started > m {
                return Err(format!(
                    "stage {s} finished {} of {} started",
                    run.finished, run.started
                ));
            }
            if (run.remaining > 0) != (run.started > run.finished) || run.started - run.finished > 1
            {
                return Err(format!(
                    "stage {s} holds {} micro-batches",
                    run.started - run.finished
                ));
            }
        }
        for (b, q) in self.buffers.iter().enumerate() {
            let buf = &sec.buffers[b];
            if q.len() > buf.depth as usize {
                return Err(format!(
                    "buffer {b} holds {} > depth {}",
                    q.len(),
                    buf.depth
                ));
            }
            for (i, slot) in q.iter().enumerate() {
                if i > 0 && slot.micro_batch != q[i - 1].micro_batch + 1 {
                    return Err(format!("buffer {b} skips a micro-batch"));
                }
            }
            // The newest slot is the producer's latest micro-batch.
            let producer = &self.stages[buf.producer];
            if let Some(back) = q.back()
                && back.micro_batch + 1 != producer.started
            {
                return Err(format!("buffer {b} lost the producer's latest micro-batch"));
            }
            // Every micro-batch a consumer has not finished is still in the buffer.
            let oldest_needed = buf
                .consumers
                .iter()
                .map(|&c| self.stages[c].finished)
                .min()
                .unwrap_or(producer.started);
            let front = q.front().map_or(producer.started, |f| f.micro_batch);
            if front > oldest_needed.min(producer.started) {
                return Err(format!(
                    "buffer {b} dropped micro-batch {oldest_needed} before every reader had it"
                ));
            }
        }
        let entered = self.stages.first().map_or(0, |r| r.started);
        let left = self.stages.last().map_or(0, |r| r.finished);
        if left > entered {
            return Err("more micro-batches left than entered".into());
        }
        for mb in left..entered {
            let in_stage = sec
                .stages
                .iter()
                .zip(&self.stages)
                .any(|(_, r)| r.remaining > 0 && r.started - 1 == mb);
            let in_buffer = self
                .buffers
                .iter()
                .any(|q| q.iter().any(|s| s.micro_batch == mb));
            if !in_stage && !in_buffer {
                return Err(format!("micro-batch {mb} is nowhere"));
            }
        }
        Ok(())
    }

    /// (busy, idle, stalled) of PCU `p` so far.
    pub(super) fn pcu_counts(&self, p: usize) -> [u64; 3] {
        let mut c = self.pcu_acc.get(p).copied().unwrap_or_default();
        let elapsed = (self.now - self.phase_start).0;
        if self.phase == RunPhase::Streaming
            && let Some(sec) = self.program.sections.get(self.section)
            && let Some((s, _)) = sec
                .stages
                .iter()
                .enumerate()
                .find(|(_, st)| st.pcus.contains(&(p as u32)))
            && let Some(run) = self.stages.get(s)
        {
            c[0] += run.busy;
            c[1] += run.idle;
            c[2] += run.starved + run.blocked;
        } else if self.phase != RunPhase::Finished {
            c[1] += elapsed;
        }
        c
    }
}

impl Engine for RduRun {
    fn now(&self) -> Cycle {
        self.now
    }

    fn step(&mut self) -> StepOutcome {
        if self.phase == RunPhase::Finished {
            return StepOutcome::Finished;
        }
        self.advance(self.now + Cycle(1));
        match self.deadlock {
            Some((_, on)) => StepOutcome::Stalled { on },
            None => StepOutcome::Running,
        }
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        self.advance(deadline);
        if let Some((at, on)) = self.deadlock {
            RunStatus::Deadlocked { at, on }
        } else if self.phase == RunPhase::Finished {
            RunStatus::Finished { at: self.now }
        } else {
            RunStatus::DeadlineReached
        }
    }

    fn is_finished(&self) -> bool {
        self.phase == RunPhase::Finished
    }

    fn metrics(&self) -> RunMetrics {
        let mut units: Vec<UnitActivity> = (0..self.config.n_pcus() as usize)
            .map(|p| {
                let [busy, idle, stalled] = self.pcu_counts(p);
                UnitActivity {
                    name: format!("PCU {p}"),
                    busy: Cycle(busy),
                    idle: Cycle(idle),
                    stalled: Cycle(stalled),
                }
            })
            .collect();
        let mut agcu = self.agcu_busy;
        if self.phase == RunPhase::Streaming
            && let Some(sec) = self.program.sections.get(self.section)
        {
            agcu += sec
                .stages
                .iter()
                .zip(&self.stages)
                .filter(|(st, _)| st.pcus.is_empty())
                .map(|(_, r)| r.busy)
                .sum::<u64>();
        }
        let agcu = agcu.min(self.now.0);
        units.push(UnitActivity {
            name: "AGCU".to_owned(),
            busy: Cycle(agcu),
            idle: Cycle(self.now.0 - agcu),
            stalled: Cycle::ZERO,
        });
        let on = Bytes(self.bytes_on_chip);
        let off = Bytes(self.bytes_off_chip);
        RunMetrics {
            machine: self.config.name.clone(),
            cycles: self.now,
            clock_hz: self.config.clock_hz,
            units,
            bytes_on_chip: on,
            bytes_off_chip: off,
            flops: self.flops,
            peak_flops_per_s: self.config.peak_flops_per_s(),
            energy: self.config.energy.estimate(self.flops, on, off),
        }
    }

    /// The RDU events, as `EventKind::Rdu` (typed: [`RduRun::drain_rdu_events`]).
    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.drain_rdu_events()
            .into_iter()
            .map(|(cycle, event)| TraceEvent {
                cycle,
                kind: EventKind::Rdu(event),
            })
            .collect()
    }
}
