//! The compiler step: a workload graph placed on a tile as a spatial pipeline, cut into
//! sections when it does not fit.
//!
//! # What the compiler does
//! 1. **Sections.** Ops are taken in graph order and added to the current section while the
//!    section still fits the tile: every op needs at least one PCU, every weight tensor and
//!    every buffer needs PMUs. When the next op does not fit, the section is closed and a new
//!    one starts (like the real compile log's "partitions 0–71"). A tensor produced in one
//!    section and read in a later one goes out to DDR through the AGCU and comes back: those
//!    bytes are counted ([`Section::ddr_in_per_micro_batch`], [`Section::ddr_out_per_micro_batch`]).
//! 2. **Stages.** A section is a pipeline of stages: the AGCU's *load* stage (reads the
//!    section's inputs from DDR), one stage per op (on its PCUs), and the AGCU's *store*
//!    stage (writes what later sections or the host need). Each micro-batch flows through
//!    every stage once.
//! 3. **Buffers.** Each tensor passed between stages lives in a PMU buffer with room for
//!    `depth` micro-batches: 2 (a double buffer, so producer and consumer work on different
//!    micro-batches at once) or, for an edge that skips `k` stages (a residual connection),
//!    `k + 1`, so the skip does not stall the pipeline. PMUs needed =
//!    ⌈depth · bytes per micro-batch / PMU capacity⌉. Weights stay in PMUs for the section.
//! 4. **PCUs.** Each op gets one PCU, then spare PCUs go one at a time to the slowest op stage
//!    while it is slower than the AGCU's slowest stage (beyond that, more PCUs cannot raise
//!    the rate: the pipeline waits on DDR).
//! 5. **Placement.** Op stages take consecutive PCUs in row-major order, weights and buffers
//!    consecutive PMUs; a route is producer → buffer PMU → consumer, and its length in
//!    switch hops is the Manhattan distance (the AGCU sits left of row 0).
//!
//! # Stage time per micro-batch (modelling choices)
//! - a matrix product (or a convolution as its GEMM): ⌈MACs / (PCUs · lanes · stages)⌉,
//!   the PCU used as a lanes × stages array of multiply-adds;
//! - an elementwise op: ⌈elements / (PCUs · lanes)⌉, one vector of `lanes` per cycle through
//!   the stages; softmax and layer norm take two passes (statistics, then the normalisation),
//!   max-pool one pass over its input;
//! - the AGCU: ⌈bytes / DDR bytes per cycle⌉;
//! - plus a latency: an op stage adds its PCU's pipeline depth (`stages`) and the switch hops
//!   of its longest input route and its longest output route; the AGCU's stages add the hops
//!   of their longest route.
//!
//! A section of stage times `t_1 … t_S` over `M` micro-batches then takes
//! `Σ t_s + (M − 1) · max t_s` cycles when it is a chain ([`Section::estimated_cycles`]):
//! the first micro-batch fills the pipeline, then one leaves every `max t_s` cycles.

use super::config::RduConfig;
use crate::error::{SimError, check_size};
use crate::units::{Bytes, Cycle};
use crate::workload::{OpKind, TensorId, TensorKind, Workload};

/// Passes of a softmax or a layer norm over its data (statistics, then normalise).
pub const NORM_PASSES: u64 = 2;
/// Largest cycle count of one stage per micro-batch, and of a whole run, the simulator
/// accepts (2^48: far beyond any page, far below overflow).
pub const MAX_CYCLES: u64 = 1 << 48;

/// What a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// The AGCU reading the section's inputs from DDR.
    Load,
    /// An op of the workload on its PCUs (the op's index).
    Op(usize),
    /// The AGCU writing the section's outputs to DDR.
    Store,
}

/// One end of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The AGCU (off-chip portal), left of row 0.
    Agcu,
    /// A PCU by index.
    Pcu(u32),
    /// A PMU by index.
    Pmu(u32),
}

/// A route on the switches: data from `from` to `to`, `hops` switch hops long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Where the data leaves.
    pub from: Endpoint,
    /// Where it arrives.
    pub to: Endpoint,
    /// Switch hops.
    pub hops: u32,
    /// The stage whose work moves data on this route (the producer when writing a buffer,
    /// the consumer when reading one).
    pub stage: usize,
    /// The buffer it writes or reads.
    pub buffer: usize,
}

/// One pipeline stage of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Load, an op, or store.
    pub kind: StageKind,
    /// In words ("load x", "matmul", "store y").
    pub label: String,
    /// PCUs it runs on (none for the AGCU's stages).
    pub pcus: Vec<u32>,
    /// Cycles of work per micro-batch on those PCUs (or the AGCU).
    pub work_cycles: Cycle,
    /// Fill latency per micro-batch: pipeline depth and route hops.
    pub latency: Cycle,
    /// `work_cycles + latency`: the stage's time per micro-batch.
    pub cycles: Cycle,
    /// FLOPs per micro-batch.
    pub flops: u64,
    /// Buffers read.
    pub inputs: Vec<usize>,
    /// Buffers written.
    pub outputs: Vec<usize>,
    /// Bytes it moves from or to DDR per micro-batch (AGCU stages).
    pub ddr_bytes: Bytes,
}

/// A PMU buffer between stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buffer {
    /// The tensor it holds.
    pub tensor: TensorId,
    /// The tensor's name.
    pub label: String,
    /// Bytes of one micro-batch's tensor.
    pub bytes_per_micro_batch: Bytes,
    /// Micro-batches it holds at once.
    pub depth: u32,
    /// PMUs it spans.
    pub pmus: Vec<u32>,
    /// The stage that writes it.
    pub producer: usize,
    /// The stages that read it, in order.
    pub consumers: Vec<usize>,
}

/// A weight tensor resident in PMUs for a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightPlacement {
    /// The tensor.
    pub tensor: TensorId,
    /// Its name.
    pub label: String,
    /// Its size.
    pub bytes: Bytes,
    /// PMUs it spans.
    pub pmus: Vec<u32>,
}

/// One section: a configuration of the tile, loaded in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Index.
    pub index: usize,
    /// First op and one past the last.
    pub ops: (usize, usize),
    /// Stages in pipeline order: load, the ops, store.
    pub stages: Vec<Stage>,
    /// Buffers.
    pub buffers: Vec<Buffer>,
    /// Weights.
    pub weights: Vec<WeightPlacement>,
    /// Routes.
    pub routes: Vec<Route>,
    /// PCUs used.
    pub pcus_used: u32,
    /// PMUs used.
    pub pmus_used: u32,
    /// Bytes read from DDR per micro-batch.
    pub ddr_in_per_micro_batch: Bytes,
    /// Bytes written to DDR per micro-batch.
    pub ddr_out_per_micro_batch: Bytes,
    /// Weight bytes read from DDR when the section is loaded.
    pub weight_bytes: Bytes,
    /// Cycles to load it: the configuration, then its weights at the DDR rate.
    pub load_cycles: Cycle,
}

impl Section {
    /// The slowest stage's time per micro-batch: the rate of the section.
    #[must_use]
    pub fn bottleneck(&self) -> (usize, Cycle) {
        self.stages
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.cycles))
            .fold(
                (0, Cycle::ZERO),
                |best, (i, c)| if c > best.1 { (i, c) } else { best },
            )
    }

    /// `Σ t_s + (M − 1) · max t_s`: the streaming time of `micro_batches` through a chain of
    /// these stages (without the load). Exact for a chain; the engine measures the rest.
    #[must_use]
    pub fn estimated_cycles(&self, micro_batches: u32) -> Cycle {
        let sum: u64 = self.stages.iter().map(|s| s.cycles.0).sum();
        let (_, max) = self.bottleneck();
        Cycle(sum + u64::from(micro_batches.saturating_sub(1)) * max.0)
    }

    /// Names of the ops in the section ("q_proj … norm2").
    #[must_use]
    pub fn op_names(&self, workload: &Workload) -> String {
        let name = |i: usize| workload.ops.get(i).map_or("?", |o| o.name.as_str());
        let (a, b) = self.ops;
        if b <= a + 1 {
            name(a).to_owned()
        } else {
            format!("{} … {}", name(a), name(b - 1))
        }
    }
}

/// The compiled program: sections over the same tile.
#[derive(Debug, Clone, PartialEq)]
pub struct RduProgram {
    /// Sections, run one after another.
    pub sections: Vec<Section>,
    /// Micro-batches each replica streams.
    pub micro_batches: u32,
    /// Data-parallel replicas.
    pub tasks: u32,
    /// The tensor of the result (the last op's output).
    pub result_tensor: TensorId,
    /// Bytes of the weights (gradients of this size are all-reduced between replicas).
    pub gradient_bytes: Bytes,
    /// Cycles of the gradient all-reduce (0 with one task).
    pub allreduce_cycles: Cycle,
}

impl RduProgram {
    /// Bytes each replica moves to and from DDR over the run: section inputs, outputs and
    /// weights. The part between sections is [`RduProgram::boundary_bytes`].
    #[must_use]
    pub fn ddr_bytes(&self) -> Bytes {
        let m = u64::from(self.micro_batches);
        Bytes(
            self.sections
                .iter()
                .map(|s| {
                    m * (s.ddr_in_per_micro_batch.0 + s.ddr_out_per_micro_batch.0)
                        + s.weight_bytes.0
                })
                .sum(),
        )
    }

    /// Bytes of tensors that cross a section boundary (written by one section, read by a
    /// later one), both ways, over the run: the traffic a single dataflow pipeline would not
    /// have.
    #[must_use]
    pub fn boundary_bytes(&self, workload: &Workload) -> Bytes {
        let m = u64::from(self.micro_batches);
        let mut total = 0u64;
        for s in &self.sections {
            for st in &s.stages {
                if st.kind != StageKind::Load {
                    continue;
                }
                for &b in &st.outputs {
                    let buf = &s.buffers[b];
                    if workload.tensor(buf.tensor).kind == TensorKind::Activation {
                        total += 2 * m * buf.bytes_per_micro_batch.0;
                    }
                }
            }
        }
        Bytes(total)
    }

    /// The run's length as a chain of stages would give it: every section's load and
    /// streaming time, then the all-reduce.
    #[must_use]
    pub fn estimated_cycles(&self) -> Cycle {
        self.sections
            .iter()
            .map(|s| s.load_cycles + s.estimated_cycles(self.micro_batches))
            .fold(Cycle::ZERO, |a, b| a + b)
            + self.allreduce_cycles
    }
}

/// What one op needs, before placement.
#[derive(Debug, Clone)]
struct OpNeeds {
    /// Work units per micro-batch (MACs or element-passes).
    work: u64,
    /// Units one PCU does per cycle.
    rate: u64,
}

fn op_needs(config: &RduConfig, workload: &Workload, op_idx: usize) -> OpNeeds {
    let op = &workload.ops[op_idx];
    let lanes = u64::from(config.lanes);
    let (work, rate) = match op.kind {
        OpKind::MatMul { .. } | OpKind::Conv2d { .. } => (
            op.kind
                .gemm()
                .map_or(1, |g| crate::workload::prod(&[g.batch, g.m, g.k, g.n])),
            config.macs_per_pcu_cycle(),
        ),
        OpKind::Binary { len, .. } | OpKind::Activation { len, .. } => (len, lanes),
        OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols } => {
            (crate::workload::prod(&[rows, cols, NORM_PASSES]), lanes)
        }
        OpKind::MaxPool {
            batch,
            channels,
            h,
            w,
            ..
        } => (crate::workload::prod(&[batch, channels, h, w]), lanes),
    };
    OpNeeds {
        work: work.max(1),
        rate: rate.max(1),
    }
}

/// PMUs for `bytes` (at least one when `bytes > 0`).
fn pmus_for(config: &RduConfig, bytes: u64) -> u64 {
    if bytes == 0 {
        0
    } else {
        bytes.div_ceil(config.pmu_capacity.0)
    }
}

/// The tensors of ops `[a, b)`: (loaded from outside, produced inside, needed after).
struct SectionTensors {
    loaded: Vec<TensorId>,
    stored: Vec<TensorId>,
    weights: Vec<TensorId>,
}

fn section_tensors(workload: &Workload, a: usize, b: usize) -> SectionTensors {
    let mut loaded = Vec::new();
    let mut weights = Vec::new();
    for op in &workload.ops[a..b] {
        for &t in &op.inputs {
            let kind = workload.tensor(t).kind;
            let produced_inside = workload.ops[a..b].iter().any(|o| o.output == t);
            if kind == TensorKind::Weight {
                if !weights.contains(&t) {
                    weights.push(t);
                }
            } else if !produced_inside && !loaded.contains(&t) {
                loaded.push(t);
            }
        }
    }
    let last = workload.ops.len() - 1;
    let mut stored = Vec::new();
    for (i, op) in workload.ops.iter().enumerate().take(b).skip(a) {
        let read_later = workload.ops[b..]
            .iter()
            .any(|o| o.inputs.contains(&op.output));
        let read_inside = workload.ops[a..b]
            .iter()
            .any(|o| o.inputs.contains(&op.output));
        if read_later || i == last || !read_inside {
            stored.push(op.output);
        }
    }
    SectionTensors {
        loaded,
        stored,
        weights,
    }
}

/// Stage index of each tensor's producer and its consumers within a section laid out as
/// `[load, ops a..b, store]`.
fn buffer_shape(
    workload: &Workload,
    a: usize,
    b: usize,
    tensors: &SectionTensors,
) -> Vec<(TensorId, usize, Vec<usize>)> {
    let store_idx = b - a + 1;
    let mut out: Vec<(TensorId, usize, Vec<usize>)> = Vec::new();
    let consumers_of = |t: TensorId| -> Vec<usize> {
        let mut c: Vec<usize> = workload.ops[a..b]
            .iter()
            .enumerate()
            .filter(|(_, o)| o.inputs.contains(&t))
            .map(|(j, _)| j + 1)
            .collect();
        if tensors.stored.contains(&t) {
            c.push(store_idx);
        }
        c
    };
    for &t in &tensors.loaded {
        out.push((t, 0, consumers_of(t)));
    }
    for (j, op) in workload.ops[a..b].iter().enumerate() {
        out.push((op.output, j + 1, consumers_of(op.output)));
    }
    out
}

fn depth_of(producer: usize, consumers: &[usize]) -> u32 {
    let far = consumers.iter().copied().max().unwrap_or(producer);
    (far.saturating_sub(producer) as u32 + 1).max(2)
}

/// PMUs a section `[a, b)` needs.
fn section_pmus(config: &RduConfig, workload: &Workload, a: usize, b: usize) -> u64 {
    let tensors = section_tensors(workload, a, b);
    let weights: u64 = tensors
        .weights
        .iter()
        .map(|&t| pmus_for(config, workload.tensor(t).bytes().0))
        .sum();
    let buffers: u64 = buffer_shape(workload, a, b, &tensors)
        .iter()
        .map(|(t, p, c)| {
            let bytes = workload.tensor(*t).bytes().0;
            pmus_for(
                config,
                bytes.saturating_mul(u64::from(depth_of(*p, c))).max(1),
            )
            .max(1)
        })
        .sum();
    weights.saturating_add(buffers)
}

/// Cuts ops into sections that fit the tile.
fn cut_sections(config: &RduConfig, workload: &Workload) -> Result<Vec<(usize, usize)>, SimError> {
    let n_units = u64::from(config.n_pcus());
    let mut sections = Vec::new();
    let mut a = 0;
    while a < workload.ops.len() {
        let fits =
            |b: usize| (b - a) as u64 <= n_units && section_pmus(config, workload, a, b) <= n_units;
        if !fits(a + 1) {
            let op = &workload.ops[a];
            let needed = section_pmus(config, workload, a, a + 1);
            return Err(SimError::PmuMemoryExceeded {
                op: op.name.clone(),
                needed_pmus: needed,
                available_pmus: n_units,
                pmu_capacity: config.pmu_capacity,
            });
        }
        let mut b = a + 1;
        while b < workload.ops.len() && fits(b + 1) {
            b += 1;
        }
        sections.push((a, b));
        a = b;
    }
    Ok(sections)
}

/// Cell of an endpoint; the AGCU is one cell left of row 0.
fn cell(config: &RduConfig, e: Endpoint) -> (i64, i64) {
    match e {
        Endpoint::Agcu => (-1, 0),
        Endpoint::Pcu(i) => {
            let (x, y) = config.pcu_cell(i);
            (i64::from(x), i64::from(y))
        }
        Endpoint::Pmu(i) => {
            let (x, y) = config.pmu_cell(i);
            (i64::from(x), i64::from(y))
        }
    }
}

/// Switch hops between two endpoints (Manhattan distance, at least 1).
#[must_use]
pub fn hops(config: &RduConfig, from: Endpoint, to: Endpoint) -> u32 {
    let (a, b) = (cell(config, from), cell(config, to));
    (((a.0 - b.0).abs() + (a.1 - b.1).abs()).max(1)) as u32
}

fn cycles_checked(what: &str, c: u64) -> Result<Cycle, SimError> {
    if c > MAX_CYCLES {
        Err(SimError::TooManyCycles {
            what: what.to_owned(),
            max: MAX_CYCLES,
        })
    } else {
        Ok(Cycle(c))
    }
}

/// Builds one section `[a, b)`.
#[allow(clippy::too_many_lines)] // One pass over a section's stages, buffers and routes; splitting it would pass a dozen locals around.
fn build_section(
    config: &RduConfig,
    workload: &Workload,
    index: usize,
    a: usize,
    b: usize,
) -> Result<Section, SimError> {
    let tensors = section_tensors(workload, a, b);
    let shapes = buffer_shape(workload, a, b, &tensors);
    let ddr = u64::from(config.ddr_bytes_per_cycle);
    let needs: Vec<OpNeeds> = (a..b).map(|i| op_needs(config, workload, i)).collect();

    // PCUs: one each, then to the slowest op while it is slower than the AGCU.
    let bytes_of =
        |ts: &[TensorId]| -> u64 { ts.iter().map(|&t| workload.tensor(t).bytes().0).sum() };
    let load_bytes = bytes_of(&tensors.loaded);
    let store_bytes = bytes_of(&tensors.stored);
    let agcu_cycles = load_bytes
        .div_ceil(ddr)
        .max(store_bytes.div_ceil(ddr))
        .max(1);
    let mut n_pcus: Vec<u64> = vec![1; needs.len()];
    let op_cycles = |n: &OpNeeds, p: u64| n.work.div_ceil(n.rate.saturating_mul(p));
    let mut spare = u64::from(config.n_pcus()) - needs.len() as u64;
    while spare > 0 {
        let slowest = needs
            .iter()
            .zip(&n_pcus)
            .enumerate()
            .filter(|(_, (n, p))| op_cycles(n, **p) > 1)
            .max_by_key(|(i, (n, p))| (op_cycles(n, **p), std::cmp::Reverse(*i)));
        let Some((i, (n, p))) = slowest else { break };
        if op_cycles(n, *p) <= agcu_cycles {
            break;
        }
        n_pcus[i] += 1;
        spare -= 1;
    }

    // PMUs: weights first, then buffers, in order.
    let mut next_pmu = 0u32;
    let mut take_pmus = |n: u64| -> Vec<u32> {
        let start = next_pmu;
        next_pmu += n as u32;
        (start..next_pmu).collect()
    };
    let weights: Vec<WeightPlacement> = tensors
        .weights
        .iter()
        .map(|&t| {
            let bytes = workload.tensor(t).bytes();
            WeightPlacement {
                tensor: t,
                label: workload.tensor(t).name.clone(),
                bytes,
                pmus: take_pmus(pmus_for(config, bytes.0)),
            }
        })
        .collect();
    let buffers: Vec<Buffer> = shapes
        .iter()
        .map(|(t, p, c)| {
            let bytes = workload.tensor(*t).bytes();
            let depth = depth_of(*p, c);
            Buffer {
                tensor: *t,
                label: workload.tensor(*t).name.clone(),
                bytes_per_micro_batch: bytes,
                depth,
                pmus: take_pmus(pmus_for(config, bytes.0.saturating_mul(u64::from(depth))).max(1)),
                producer: *p,
                consumers: c.clone(),
            }
        })
        .collect();
    let pmus_used = next_pmu;

    // Stages: load, ops, store, with their PCUs.
    let n_stages = b - a + 2;
    let mut stages = Vec::with_capacity(n_stages);
    let mut next_pcu = 0u32;
    let buffers_written = |s: usize| -> Vec<usize> {
        buffers
            .iter()
            .enumerate()
            .filter(|(_, buf)| buf.producer == s)
            .map(|(i, _)| i)
            .collect()
    };
    let buffers_read = |s: usize| -> Vec<usize> {
        buffers
            .iter()
            .enumerate()
            .filter(|(_, buf)| buf.consumers.contains(&s))
            .map(|(i, _)| i)
            .collect()
    };
    for s in 0..n_stages {
        let (kind, label, pcus, work, flops, ddr_bytes) = if s == 0 {
            let names: Vec<&str> = tensors
                .loaded
                .iter()
                .map(|&t| workload.tensor(t).name.as_str())
                .collect();
            (
                StageKind::Load,
                format!("load {} from DDR", names.join(", ")),
                Vec::new(),
                load_bytes.div_ceil(ddr),
                0,
                Bytes(load_bytes),
            )
        } else if s == n_stages - 1 {
            let names: Vec<&str> = tensors
                .stored
                .iter()
                .map(|&t| workload.tensor(t).name.as_str())
                .collect();
            (
                StageKind::Store,
                format!("store {} to DDR", names.join(", ")),
                Vec::new(),
                store_bytes.div_ceil(ddr),
                0,
                Bytes(store_bytes),
            )
        } else {
            let op_idx = a + s - 1;
            let op = &workload.ops[op_idx];
            let p = n_pcus[s - 1];
            let pcus: Vec<u32> = (next_pcu..next_pcu + p as u32).collect();
            next_pcu += p as u32;
            (
                StageKind::Op(op_idx),
                format!("{} ({})", op.name, op.kind.label()),
                pcus,
                op_cycles(&needs[s - 1], p),
                op.kind.flops(),
                Bytes::ZERO,
            )
        };
        let work = cycles_checked(&format!("Stage \"{label}\""), work.max(1))?;
        stages.push(Stage {
            kind,
            label,
            pcus,
            work_cycles: work,
            latency: Cycle::ZERO,
            cycles: work,
            flops,
            inputs: buffers_read(s),
            outputs: buffers_written(s),
            ddr_bytes,
        });
    }

    // Routes and latencies.
    let endpoint = |s: &Stage| match s.pcus.first() {
        Some(&p) => Endpoint::Pcu(p),
        None => Endpoint::Agcu,
    };
    let mut routes = Vec::new();
    for (bi, buf) in buffers.iter().enumerate() {
        let pmu = Endpoint::Pmu(buf.pmus.first().copied().unwrap_or(0));
        let from = endpoint(&stages[buf.producer]);
        routes.push(Route {
            from,
            to: pmu,
            hops: hops(config, from, pmu),
            stage: buf.producer,
            buffer: bi,
        });
        for &c in &buf.consumers {
            let to = endpoint(&stages[c]);
            routes.push(Route {
                from: pmu,
                to,
                hops: hops(config, pmu, to),
                stage: c,
                buffer: bi,
            });
        }
    }
    for (s, stage) in stages.iter_mut().enumerate() {
        let longest_in = routes
            .iter()
            .filter(|r| r.stage == s && !matches!(r.to, Endpoint::Pmu(_)))
            .map(|r| r.hops)
            .max()
            .unwrap_or(0);
        let longest_out = routes
            .iter()
            .filter(|r| r.stage == s && matches!(r.to, Endpoint::Pmu(_)))
            .map(|r| r.hops)
            .max()
            .unwrap_or(0);
        let depth = if stage.pcus.is_empty() {
            0
        } else {
            u64::from(config.stages)
        };
        let hop_cycles = u64::from(config.hop_cycles) * u64::from(longest_in.max(longest_out));
        stage.latency = Cycle(depth + hop_cycles);
        stage.cycles = stage.work_cycles + stage.latency;
    }

    let weight_bytes = Bytes(weights.iter().map(|w| w.bytes.0).sum());
    let load_cycles = cycles_checked(
        "Loading a section",
        config
            .section_config_cycles
            .0
            .saturating_add(weight_bytes.0.div_ceil(ddr)),
    )?;
    Ok(Section {
        index,
        ops: (a, b),
        stages,
        buffers,
        weights,
        routes,
        pcus_used: next_pcu,
        pmus_used,
        ddr_in_per_micro_batch: Bytes(load_bytes),
        ddr_out_per_micro_batch: Bytes(store_bytes),
        weight_bytes,
        load_cycles,
    })
}

/// Seconds of a ring all-reduce of `bytes` over `tasks` replicas: `2 (N − 1) / N · bytes /
/// link rate + 2 (N − 1) · step latency`, over the across-node link once the replicas
/// span more than one node (modelling choices: see [`RduConfig`]).
#[must_use]
pub fn allreduce_seconds(config: &RduConfig, tasks: u32, bytes: Bytes) -> f64 {
    if tasks <= 1 {
        return 0.0;
    }
    let n = f64::from(tasks);
    let rate = if tasks <= config.tasks_per_node {
        config.allreduce_intra_node_bytes_per_s
    } else {
        config.allreduce_inter_node_bytes_per_s
    };
    2.0 * (n - 1.0) / n * bytes.0 as f64 / rate + 2.0 * (n - 1.0) * config.allreduce_step_latency_s
}

/// Compiles `workload` for `config`: sections, stages, buffers, placement, and the
/// all-reduce of `tasks` replicas each streaming `micro_batches` copies of the workload's
/// input.
///
/// # Errors
/// A bad configuration, workload, micro-batch or task count; an op whose weights and
/// buffers need more PMUs than the tile has ([`SimError::PmuMemoryExceeded`]); a stage or
/// run too long to count.
pub fn compile(
    config: &RduConfig,
    workload: &Workload,
    micro_batches: u32,
    tasks: u32,
) -> Result<RduProgram, SimError> {
    config.validate()?;
    workload.validate()?;
    check_size(
        "number of micro-batches",
        u64::from(micro_batches),
        u64::from(super::config::MAX_MICRO_BATCHES),
    )?;
    check_size(
        "number of tasks",
        u64::from(tasks),
        u64::from(super::config::MAX_TASKS),
    )?;
    let cuts = cut_sections(config, workload)?;
    let sections = cuts
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| build_section(config, workload, i, a, b))
        .collect::<Result<Vec<_>, _>>()?;
    let gradient_bytes = workload.weight_bytes();
    let allreduce_s = allreduce_seconds(config, tasks, gradient_bytes);
    let allreduce_cycles = cycles_checked(
        "The gradient all-reduce",
        (allreduce_s * config.clock_hz).ceil().min(u64::MAX as f64) as u64,
    )?;
    let result_tensor = workload.ops.last().map_or(TensorId(0), |o| o.output);
    let program = RduProgram {
        sections,
        micro_batches,
        tasks,
        result_tensor,
        gradient_bytes,
        allreduce_cycles,
    };
    cycles_checked("This run", program.estimated_cycles().0)?;
    Ok(program)
}
