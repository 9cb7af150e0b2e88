//! What a page sees of an RDU run: the snapshot (PCUs by stage and state, PMUs by what they
//! hold, routes with the micro-batches moving along them, the stage occupancy of the current
//! section), and the inspection of one grid unit. The engine is in [`super::run`].

use std::collections::VecDeque;

use super::program::Endpoint;
use super::run::{RduRun, RunPhase};
use crate::error::SimError;
use crate::units::{Bytes, Cycle};

/// Stage spans a snapshot copies (the latest of the current section).
pub const SNAPSHOT_SPANS: usize = 600;

/// What a stage (and its PCUs) does in a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StageState {
    /// Not in the current section, or the tile is loading or all-reducing.
    #[default]
    Idle,
    /// Working on a micro-batch.
    Working,
    /// Waiting for an input micro-batch.
    Starved,
    /// Waiting for a free slot in an output buffer (back-pressure).
    Blocked,
    /// Every micro-batch went through it.
    Done,
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PipelinePhase {
    /// A section's configuration and weights are loading.
    #[default]
    Loading,
    /// Micro-batches entered, none has come out yet.
    Fill,
    /// Micro-batches come out at the slowest stage's rate.
    Steady,
    /// The last micro-batch went in; the pipeline empties.
    Drain,
    /// Replicas all-reduce their gradients.
    AllReduce,
    /// The program is over.
    Finished,
}

impl PipelinePhase {
    /// In words.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Loading => "loading the section",
            Self::Fill => "pipeline filling",
            Self::Steady => "steady state",
            Self::Drain => "pipeline draining",
            Self::AllReduce => "all-reducing gradients",
            Self::Finished => "finished",
        }
    }
}

/// A stage working on a micro-batch from `start` to `end` (exclusive), for the occupancy chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageSpan {
    /// Section.
    pub section: u32,
    /// Stage within the section.
    pub stage: u32,
    /// Micro-batch.
    pub micro_batch: u32,
    /// First cycle.
    pub start: Cycle,
    /// One past the last cycle.
    pub end: Cycle,
}

/// A data token on a route for the picture: the micro-batch a working stage moves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Token {
    /// Route index in [`RduSnapshot::routes`].
    pub route: u32,
    /// How far along, 0 to 1.
    pub progress: f32,
    /// Which micro-batch.
    pub micro_batch: u32,
}

/// A route for the picture: grid cells (the AGCU is `(-1, 0)`) and its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RouteView {
    /// Cell data leaves.
    pub from: (i32, i32),
    /// Cell it arrives at.
    pub to: (i32, i32),
    /// Stage that moves data on it.
    pub stage: u32,
}

/// One stage for the picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageView {
    /// In words.
    pub label: String,
    /// What it does now.
    pub state: StageState,
    /// Micro-batches finished.
    pub finished: u32,
    /// Its cycles per micro-batch.
    pub cycles: Cycle,
    /// PCUs it runs on.
    pub n_pcus: u32,
}

/// What a PMU holds, for the picture.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum PmuView {
    /// Nothing in this section.
    #[default]
    Unused,
    /// Weights, resident for the section.
    Weights,
    /// Part of a buffer: the share of its slots taken (0 to 1).
    Buffer(f32),
}

/// A picture of the run for a page. Reuse one with [`RduRun::snapshot_into`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RduSnapshot {
    /// Cycle of the picture.
    pub cycle: Cycle,
    /// Grid rows.
    pub rows: u32,
    /// PCUs per row.
    pub pcu_columns: u32,
    /// Current section.
    pub section: usize,
    /// Sections in the program.
    pub n_sections: usize,
    /// Where the run is.
    pub phase: PipelinePhase,
    /// Micro-batches per replica.
    pub micro_batches: u32,
    /// Micro-batches out of the current section.
    pub out_of_section: u32,
    /// Each PCU's stage in the current section (`u32::MAX`: unused) and state.
    pub pcus: Vec<(u32, StageState)>,
    /// What each PMU holds.
    pub pmus: Vec<PmuView>,
    /// The current section's stages.
    pub stages: Vec<StageView>,
    /// The current section's routes.
    pub routes: Vec<RouteView>,
    /// Tokens moving now.
    pub tokens: Vec<Token>,
    /// Latest stage spans of the current section.
    pub spans: Vec<StageSpan>,
    /// First cycle of the current section's streaming (the current cycle while it loads).
    pub section_start: Cycle,
}

/// Everything about one PCU or PMU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInspect {
    /// "PCU 12" or "PMU 3".
    pub name: String,
    /// Its role in the current section, in words.
    pub role: String,
    /// What it does now, in words.
    pub state: String,
    /// Scratchpad used and capacity (PMUs).
    pub memory: Option<(Bytes, Bytes)>,
    /// Cycles working.
    pub busy: Cycle,
    /// Cycles with nothing to do.
    pub idle: Cycle,
    /// Cycles waiting for data or for room.
    pub stalled: Cycle,
}

impl RduRun {
    /// What stage `s` of the current section does now.
    fn stage_state(&self, s: usize) -> StageState {
        if self.phase != RunPhase::Streaming {
            return StageState::Idle;
        }
        let m = self.program.micro_batches;
        let Some(run) = self.stages.get(s) else {
            return StageState::Idle;
        };
        if run.remaining > 0 {
            return StageState::Working;
        }
        if run.started >= m {
            return StageState::Done;
        }
        let Some(sec) = self.program.sections.get(self.section) else {
            return StageState::Idle;
        };
        let stage = &sec.stages[s];
        let mb = run.started;
        if !stage
            .inputs
            .iter()
            .all(|&b| self.slot(b, mb).is_some_and(|x| x.complete))
        {
            StageState::Starved
        } else if !stage
            .outputs
            .iter()
            .all(|&b| self.buffers[b].len() < sec.buffers[b].depth as usize)
        {
            StageState::Blocked
        } else {
            // It starts on the next cycle.
            StageState::Working
        }
    }

    /// Fills `snap` with the current picture, reusing its buffers.
    pub fn snapshot_into(&self, snap: &mut RduSnapshot) {
        snap.cycle = self.now;
        snap.rows = self.config.rows;
        snap.pcu_columns = self.config.pcu_columns;
        snap.section = self
            .section
            .min(self.program.sections.len().saturating_sub(1));
        snap.n_sections = self.program.sections.len();
        snap.phase = self.pipeline_phase();
        snap.micro_batches = self.program.micro_batches;
        snap.out_of_section = if self.phase == RunPhase::Streaming {
            self.stages.last().map_or(0, |r| r.finished)
        } else {
            0
        };
        snap.section_start = if matches!(self.phase, RunPhase::Loading { .. }) {
            self.now
        } else {
            self.stream_start
        };
        let n = self.config.n_pcus() as usize;
        snap.pcus.clear();
        snap.pcus.resize(n, (u32::MAX, StageState::Idle));
        snap.pmus.clear();
        snap.pmus.resize(n, PmuView::Unused);
        snap.stages.clear();
        snap.routes.clear();
        snap.tokens.clear();
        snap.spans.clear();
        let Some(sec) = self.program.sections.get(snap.section) else {
            return;
        };
        let streaming = self.phase == RunPhase::Streaming;
        for (s, stage) in sec.stages.iter().enumerate() {
            let state = if streaming {
                self.stage_state(s)
            } else {
                StageState::Idle
            };
            for &p in &stage.pcus {
                if let Some(slot) = snap.pcus.get_mut(p as usize) {
                    *slot = (s as u32, state);
                }
            }
            snap.stages.push(StageView {
                label: stage.label.clone(),
                state,
                finished: self.stages.get(s).map_or(0, |r| r.finished),
                cycles: stage.cycles,
                n_pcus: stage.pcus.len() as u32,
            });
        }
        if self.phase != RunPhase::Finished {
            for w in &sec.weights {
                for &p in &w.pmus {
                    if let Some(slot) = snap.pmus.get_mut(p as usize) {
                        *slot = PmuView::Weights;
                    }
                }
            }
            for (b, buf) in sec.buffers.iter().enumerate() {
                let fill = if streaming {
                    self.buffers.get(b).map_or(0, VecDeque::len) as f32 / buf.depth as f32
                } else {
                    0.0
                };
                for &p in &buf.pmus {
                    if let Some(slot) = snap.pmus.get_mut(p as usize) {
                        *slot = PmuView::Buffer(fill);
                    }
                }
            }
        }
        let cell = |e: Endpoint| -> (i32, i32) {
            match e {
                Endpoint::Agcu => (-1, 0),
                Endpoint::Pcu(i) => {
                    let (x, y) = self.config.pcu_cell(i);
                    (x as i32, y as i32)
                }
                Endpoint::Pmu(i) => {
                    let (x, y) = self.config.pmu_cell(i);
                    (x as i32, y as i32)
                }
            }
        };
        for (r, route) in sec.routes.iter().enumerate() {
            snap.routes.push(RouteView {
                from: cell(route.from),
                to: cell(route.to),
                stage: route.stage as u32,
            });
            if streaming
                && let Some(run) = self.stages.get(route.stage)
                && run.remaining > 0
            {
                let total = sec.stages[route.stage].cycles.0.max(1);
                snap.tokens.push(Token {
                    route: r as u32,
                    progress: (total - run.remaining) as f32 / total as f32,
                    micro_batch: run.started - 1,
                });
            }
        }
        let current = self
            .spans
            .iter()
            .rev()
            .take_while(|s| s.section as usize == snap.section)
            .take(SNAPSHOT_SPANS)
            .count();
        snap.spans
            .extend(self.spans.iter().skip(self.spans.len() - current).copied());
    }

    /// A fresh snapshot.
    #[must_use]
    pub fn snapshot(&self) -> RduSnapshot {
        let mut s = RduSnapshot::default();
        self.snapshot_into(&mut s);
        s
    }

    /// Everything about the unit at grid cell `(x, y)`.
    ///
    /// # Errors
    /// [`SimError::UnitOutOfRange`].
    pub fn inspect(&self, x: u32, y: u32) -> Result<UnitInspect, SimError> {
        let (width, height) = (self.config.grid_width(), self.config.rows);
        if x >= width || y >= height {
            return Err(SimError::UnitOutOfRange {
                x,
                y,
                width,
                height,
            });
        }
        let sec = self.program.sections.get(self.section);
        let is_pcu = (x + y).is_multiple_of(2);
        let index = y * self.config.pcu_columns + x / 2;
        if is_pcu {
            let stage = sec.and_then(|s| {
                s.stages
                    .iter()
                    .enumerate()
                    .find(|(_, st)| st.pcus.contains(&index))
            });
            let (role, state) = match stage {
                Some((s, st)) => (
                    format!(
                        "stage {s} of section {}: {} on {} PCUs, {} cycles per micro-batch ({} of work, {} of pipeline depth and switch hops)",
                        self.section,
                        st.label,
                        st.pcus.len(),
                        st.cycles.0,
                        st.work_cycles.0,
                        st.latency.0
                    ),
                    state_words(self.stage_state(s)),
                ),
                None => (
                    format!("unused in section {}", self.section),
                    "idle".to_owned(),
                ),
            };
            let [busy, idle, stalled] = self.pcu_counts(index as usize);
            Ok(UnitInspect {
                name: format!("PCU {index}"),
                role,
                state,
                memory: None,
                busy: Cycle(busy),
                idle: Cycle(idle),
                stalled: Cycle(stalled),
            })
        } else {
            let mut role = format!("unused in section {}", self.section);
            let mut used = Bytes::ZERO;
            let mut state = "empty".to_owned();
            if let Some(sec) = sec {
                if let Some(w) = sec.weights.iter().find(|w| w.pmus.contains(&index)) {
                    role = format!(
                        "holds the weights {} ({} over {} PMUs)",
                        w.label,
                        w.bytes,
                        w.pmus.len()
                    );
                    used = Bytes(w.bytes.0.div_ceil(w.pmus.len().max(1) as u64));
                    state = "weights resident for the section".to_owned();
                } else if let Some((b, buf)) = sec
                    .buffers
                    .iter()
                    .enumerate()
                    .find(|(_, buf)| buf.pmus.contains(&index))
                {
                    let held = if self.phase == RunPhase::Streaming {
                        self.buffers.get(b).map_or(0, VecDeque::len)
                    } else {
                        0
                    };
                    role = format!(
                        "buffer of {} ({} per micro-batch, room for {}) between stage {} and stage{} {}",
                        buf.label,
                        buf.bytes_per_micro_batch,
                        buf.depth,
                        buf.producer,
                        if buf.consumers.len() > 1 { "s" } else { "" },
                        buf.consumers
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    used = Bytes(
                        (held as u64 * buf.bytes_per_micro_batch.0)
                            .div_ceil(buf.pmus.len().max(1) as u64)
                            .min(self.config.pmu_capacity.0),
                    );
                    state = format!("holds {held} of {} micro-batches", buf.depth);
                }
            }
            let total = self.now.0;
            Ok(UnitInspect {
                name: format!("PMU {index}"),
                role,
                state,
                memory: Some((used, self.config.pmu_capacity)),
                busy: Cycle::ZERO,
                idle: Cycle(total),
                stalled: Cycle::ZERO,
            })
        }
    }
}

/// A stage state in words.
#[must_use]
pub fn state_words(state: StageState) -> String {
    match state {
        StageState::Idle => "idle",
        StageState::Working => "working on a micro-batch",
        StageState::Starved => "waiting for its input",
        StageState::Blocked => "waiting for room in its output buffer",
        StageState::Done => "done with every micro-batch",
    }
    .to_owned()
}
