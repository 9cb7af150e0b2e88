//! The compiler: a workload becomes a static schedule in which every instruction of every
//! slice has its issue cycle, and every vector its stream and its arrival cycle.
//!
//! # How an op is lowered
//! A vector has `V = superlanes × lanes` elements. Every tensor lives in one MEM slice
//! (packed into vectors). An op becomes one or more **chains**: a MEM read puts vectors on a
//! stream, they move one slice per cycle to a functional slice, which consumes each on the
//! cycle it arrives and sends its results on another stream to the MEM slice that writes
//! them. Nothing waits in between, so a chain's instructions have fixed offsets from its
//! start; the compiler only chooses when each chain starts.
//!
//! - **MatMul** `[batch, m, k] × [k, n]`: one chain per batch and per block of `V` output
//!   columns (a *job*), on one of the four MXMs. For each block of `V` rows of the reduction,
//!   the MXM loads the weight block (one row per cycle, then [`super::config::MXM_WEIGHT_INSTALL`]
//!   cycles), then streams the `m` activation rows through (one per cycle), accumulating;
//!   after the last block the `m` result rows leave for MEM.
//! - **Elementwise** (add, multiply, ReLU, GELU): operands streamed through the VXM, one
//!   packed vector per cycle, results written back.
//! - **Softmax, layer norm**: two passes over the rows: first through an SXM (a reduction
//!   across lanes) into the VXM's row statistics, then again through the VXM, which
//!   normalises and writes each row.
//!
//! # How chains are placed
//! In op order, each chain starts at the first cycle where (a) every tensor it reads has
//! landed in memory, (b) each slice port it uses is free from the cycle it needs it (a slice
//! issues one instruction at a time; a MEM slice has a read port and a write port, a
//! **modelling choice**), and (c) a stream is free for each hop. Greedy and in order: no
//! search, so the schedule is not optimal, but every cycle of it is known before the run.
//!
//! # Superlanes
//! An instruction enters superlane 0 and ripples north one superlane per cycle, and so do
//! the vectors it moves: superlane `s` does everything `s` cycles after superlane 0. The
//! stagger therefore adds `superlanes − 1` cycles once, at the end of the program.

use std::fmt;

use super::config::{GroqConfig, SliceKind};
use crate::budget::check_budget;
use crate::error::SimError;
use crate::units::{Bytes, Cycle};
use crate::workload::{Activation, Binary, OpKind, TensorId, Workload};

/// Which port of a slice an instruction uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// A functional slice's one issue port.
    Main,
    /// A MEM slice's read port.
    Read,
    /// A MEM slice's write port.
    Write,
}

impl Port {
    fn index(self) -> usize {
        match self {
            Self::Main | Self::Read => 0,
            Self::Write => 1,
        }
    }
}

/// What an instruction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mnemonic {
    /// MEM: read vectors onto a stream.
    Read,
    /// MEM: write vectors arriving on a stream.
    Write,
    /// MXM: load a block of weight rows arriving on a stream.
    LoadWeights,
    /// MXM: multiply the activation rows arriving by the loaded weights, accumulating.
    Multiply,
    /// VXM: elementwise add.
    Add,
    /// VXM: elementwise multiply.
    Mul,
    /// VXM: ReLU.
    Relu,
    /// VXM: GELU.
    Gelu,
    /// SXM: reduce each vector across its lanes (a row's maximum and sum, or mean).
    Reduce,
    /// VXM: keep each row's statistics.
    RowStats,
    /// VXM: softmax of each row with its statistics.
    Softmax,
    /// VXM: layer-normalise each row with its statistics.
    Normalise,
}

impl Mnemonic {
    /// The instruction's short name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::LoadWeights => "load weights",
            Self::Multiply => "multiply",
            Self::Add => "add",
            Self::Mul => "mul",
            Self::Relu => "relu",
            Self::Gelu => "gelu",
            Self::Reduce => "reduce across lanes",
            Self::RowStats => "row statistics",
            Self::Softmax => "softmax rows",
            Self::Normalise => "normalise rows",
        }
    }
}

/// The values an instruction computes on each vector (the run's arithmetic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Moves or reduces data; no output values of its own.
    None,
    /// Vector `i` is row `i` of a matmul job: `out[b, i, n0..n0+n_len] += a[b, i, k0..k0+k_len] · w[k0.., n0..]`.
    MatMulRows {
        /// Op index.
        op: usize,
        /// Product index.
        batch_idx: u64,
        /// First output column of the block.
        n0: u64,
        /// Columns of the block.
        n_len: u64,
        /// First reduction row of the block.
        k0: u64,
        /// Reduction rows of the block.
        k_len: u64,
    },
    /// Vector `i` is elements `i·V .. (i+1)·V` of an elementwise op's output.
    Elementwise {
        /// Op index.
        op: usize,
    },
    /// Vector `i` starts row `i / vectors_per_row` of a softmax or layer norm when it is the
    /// row's first vector.
    Rows {
        /// Op index.
        op: usize,
        /// Vectors per row.
        vectors_per_row: u64,
    },
}

/// One instruction of the schedule: it issues on superlane 0 of `slice` at `issue` and
/// handles `count` vectors, one per cycle (superlane `s` does the same `s` cycles later).
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Slice index, west to east.
    pub slice: u32,
    /// Port used.
    pub port: Port,
    /// Issue cycle on superlane 0.
    pub issue: Cycle,
    /// Vectors handled, one per cycle.
    pub count: u64,
    /// Cycles from a vector entering to its result leaving (or landing, for a write).
    pub latency: Cycle,
    /// Op it belongs to.
    pub op: usize,
    /// What it does.
    pub mnemonic: Mnemonic,
    /// The tensor it reads, writes or loads, if any.
    pub tensor: Option<TensorId>,
    /// First vector of that tensor (a row index for matmul operands).
    pub first_vector: u64,
    /// The stream transfer it sends its vectors on.
    pub sends: Option<usize>,
    /// The stream transfer whose vectors it consumes on arrival.
    pub receives: Option<usize>,
    /// Values it computes.
    pub work: Work,
}

impl Instruction {
    /// The cycle after its last vector's result is out on the last superlane.
    #[must_use]
    pub fn completes(&self, n_superlanes: u32) -> Cycle {
        Cycle(self.issue.0 + self.count + self.latency.0 + u64::from(n_superlanes) - 1)
    }

    /// Whether superlane `s` of its slice works on it at `cycle`.
    #[must_use]
    pub fn active_on(&self, superlane: u32, cycle: Cycle) -> bool {
        let start = self.issue.0 + u64::from(superlane);
        (start..start + self.count).contains(&cycle.0)
    }
}

/// Vectors moving on one stream register from one slice to another, one slice per cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// Slice the vectors leave.
    pub from: u32,
    /// Slice that consumes them.
    pub to: u32,
    /// Stream register index (per direction).
    pub stream: u32,
    /// Eastward (towards higher slice indices) or westward.
    pub east: bool,
    /// Cycle the first vector leaves `from` on superlane 0.
    pub depart: Cycle,
    /// Vectors, one per cycle.
    pub count: u64,
}

impl Transfer {
    /// Slices travelled.
    #[must_use]
    pub fn distance(&self) -> u64 {
        u64::from(self.from.abs_diff(self.to))
    }

    /// Cycle the first vector reaches `to` on superlane 0.
    #[must_use]
    pub fn arrival(&self) -> Cycle {
        Cycle(self.depart.0 + self.distance())
    }
}

/// Where a tensor lives.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The tensor's name.
    pub name: String,
    /// MEM slice index.
    pub slice: u32,
    /// Bytes it takes (whole vectors).
    pub bytes: Bytes,
    /// Vectors it takes.
    pub vectors: u64,
    /// Cycle its last vector has landed on superlane 0 (0 for inputs and weights, which are
    /// in memory before the program starts).
    pub ready: Cycle,
}

/// One op as scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct OpSchedule {
    /// The op's name.
    pub name: String,
    /// Its kind ("matmul").
    pub label: &'static str,
    /// First issue.
    pub start: Cycle,
    /// The cycle after its output has landed on every superlane.
    pub end: Cycle,
    /// Chains it was lowered to.
    pub chains: usize,
    /// Instructions.
    pub instructions: usize,
}

/// Where a tensor is at one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TensorWhere {
    /// Not written yet.
    NotYetWritten {
        /// The MEM slice it will land in.
        slice: u32,
    },
    /// Being written into its MEM slice.
    Landing {
        /// MEM slice.
        slice: u32,
    },
    /// In its MEM slice; `streams` lists the (stream, eastward) registers carrying copies.
    InMemory {
        /// MEM slice.
        slice: u32,
        /// Streams carrying copies of some of its vectors.
        streams: Vec<(u32, bool)>,
    },
}

/// The compiled program: the chip's row of slices and the whole schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct GroqProgram {
    /// Slices west to east.
    pub slices: Vec<SliceKind>,
    /// Superlanes.
    pub n_superlanes: u32,
    /// Elements per vector.
    pub vector_len: u64,
    /// Every instruction, by issue cycle (then slice).
    pub instructions: Vec<Instruction>,
    /// Every stream transfer.
    pub transfers: Vec<Transfer>,
    /// Every tensor's MEM slice, by tensor index.
    pub placements: Vec<Placement>,
    /// Every op as scheduled, by op index.
    pub ops: Vec<OpSchedule>,
    /// Bytes used per slice (non-zero for MEM slices only).
    pub mem_used: Vec<Bytes>,
    /// Capacity of a MEM slice.
    pub mem_slice_bytes: Bytes,
    /// The program's length: the run ends exactly here.
    pub length: Cycle,
}

impl GroqProgram {
    /// The name a learner reads for slice `idx`: "MXM 0", "SXM W", "MEM 12", "VXM".
    #[must_use]
    pub fn slice_name(&self, idx: u32) -> String {
        slice_name(&self.slices, idx)
    }

    /// An instruction in words.
    #[must_use]
    pub fn describe(&self, instr: &Instruction) -> String {
        let tensor = instr
            .tensor
            .and_then(|t| self.placements.get(t.0))
            .map_or("", |p| p.name.as_str());
        let stream = |t: Option<usize>| {
            t.and_then(|i| self.transfers.get(i)).map(|t| {
                format!(
                    "{} stream {}",
                    if t.east { "eastward" } else { "westward" },
                    t.stream
                )
            })
        };
        let span = if instr.count == 1 {
            format!("vector {}", instr.first_vector)
        } else {
            format!(
                "vectors {} to {}",
                instr.first_vector,
                instr.first_vector + instr.count - 1
            )
        };
        match instr.mnemonic {
            Mnemonic::Read => format!(
                "read {tensor} {span} onto the {}",
                stream(instr.sends).unwrap_or_default()
            ),
            Mnemonic::Write => format!(
                "write {span} of {tensor} from the {}",
                stream(instr.receives).unwrap_or_default()
            ),
            Mnemonic::LoadWeights => format!(
                "load {} weight rows of {tensor} from the {}",
                instr.count,
                stream(instr.receives).unwrap_or_default()
            ),
            m => {
                let from = stream(instr.receives)
                    .map(|s| format!(" arriving on the {s}"))
                    .unwrap_or_default();
                let to = stream(instr.sends)
                    .map(|s| format!(", results onto the {s}"))
                    .unwrap_or_default();
                format!("{} {} vectors{from}{to}", m.name(), instr.count)
            }
        }
    }

    /// Where tensor `t` is at `cycle`: not yet written, landing, or in memory (with the
    /// streams carrying copies of it).
    #[must_use]
    pub fn tensor_at(&self, t: TensorId, cycle: Cycle) -> Option<TensorWhere> {
        let p = self.placements.get(t.0)?;
        let writes = self
            .instructions
            .iter()
            .filter(|i| i.mnemonic == Mnemonic::Write && i.tensor == Some(t));
        let first_write = writes.map(|i| i.issue).min();
        if let Some(first) = first_write
            && cycle < first
        {
            return Some(TensorWhere::NotYetWritten { slice: p.slice });
        }
        if cycle < p.ready {
            return Some(TensorWhere::Landing { slice: p.slice });
        }
        let streams = self
            .instructions
            .iter()
            .filter(|i| i.mnemonic == Mnemonic::Read && i.tensor == Some(t))
            .filter_map(|i| i.sends.and_then(|s| self.transfers.get(s)))
            .filter(|tr| {
                let end = tr.depart.0 + tr.count + tr.distance() + u64::from(self.n_superlanes);
                (tr.depart.0..end).contains(&cycle.0)
            })
            .map(|tr| (tr.stream, tr.east))
            .collect();
        Some(TensorWhere::InMemory {
            slice: p.slice,
            streams,
        })
    }

    /// Busy cycles of each slice's ports over the whole program (superlane 0).
    #[must_use]
    pub fn busy_per_slice(&self) -> Vec<u64> {
        let mut busy = vec![0u64; self.slices.len()];
        for i in &self.instructions {
            if let Some(b) = busy.get_mut(i.slice as usize) {
                *b += i.count;
            }
        }
        busy
    }
}

/// The name of slice `idx` of a row: kind and index among its kind, west to east.
#[must_use]
pub fn slice_name(slices: &[SliceKind], idx: u32) -> String {
    let Some(kind) = slices.get(idx as usize) else {
        return format!("slice {idx}");
    };
    if *kind == SliceKind::Vxm {
        return "VXM".to_owned();
    }
    let nth = slices[..idx as usize].iter().filter(|k| *k == kind).count();
    format!("{kind} {nth}")
}

impl fmt::Display for GroqProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} instructions on {} slices, {} cycles",
            self.instructions.len(),
            self.slices.len(),
            self.length.0
        )?;
        for i in &self.instructions {
            writeln!(
                f,
                "  {:>7} {:<8} {}",
                i.issue.0,
                self.slice_name(i.slice),
                self.describe(i)
            )?;
        }
        Ok(())
    }
}

/// Most instructions a program may have (each takes about 150 bytes of the page's memory).
pub const MAX_INSTRUCTIONS: u64 = 1 << 20;
/// Longest program accepted, in cycles (about 20 minutes at 900 MHz).
pub const MAX_PROGRAM_CYCLES: u64 = 1 << 40;

/// Compiles `workload` for `config`.
///
/// # Errors
/// A bad config; a workload with convolutions or pooling (not lowered by this compiler); a
/// tensor larger than a MEM slice, or tensors that do not fit the chip's MEM; a schedule too
/// large for the page (instructions, cycles).
pub fn compile(config: &GroqConfig, workload: &Workload) -> Result<GroqProgram, SimError> {
    config.validate()?;
    let v = config.vector_len();
    let estimate = estimate_instructions(workload, v)?;
    if estimate > MAX_INSTRUCTIONS {
        return Err(SimError::TooLarge {
            what: "the schedule's instruction count",
            value: estimate,
            max: MAX_INSTRUCTIONS,
        });
    }
    check_budget(
        &format!("the schedule of \"{}\"", workload.name),
        estimate.saturating_mul(std::mem::size_of::<Instruction>() as u64 + 64),
    )?;
    let slices = config.floorplan();
    let placements = allocate(config, &slices, workload)?;
    let mut c = Compiler::new(config, slices, placements);
    for (op_idx, op) in workload.ops.iter().enumerate() {
        c.lower(workload, op_idx, op)?;
    }
    c.finish(workload)
}

/// Vectors a tensor of `elements` takes, packed.
fn vectors_of(elements: u64, v: u64) -> u64 {
    elements.div_ceil(v).max(1)
}

/// An upper bound on the instructions `workload` compiles to, before allocating any.
fn estimate_instructions(workload: &Workload, v: u64) -> Result<u64, SimError> {
    let mut n = 0u64;
    for op in &workload.ops {
        let per = match op.kind {
            OpKind::MatMul {
                batch, k, n: cols, ..
            } => batch
                .saturating_mul(cols.div_ceil(v))
                .saturating_mul(k.div_ceil(v).saturating_mul(4).saturating_add(2)),
            OpKind::Binary { .. } => 4,
            OpKind::Activation { .. } => 3,
            OpKind::Softmax { .. } | OpKind::LayerNorm { .. } => 6,
            OpKind::Conv2d { .. } | OpKind::MaxPool { .. } => {
                return Err(SimError::UnsupportedWorkload {
                    reason: format!(
                        "the Groq model compiles matmuls, elementwise ops, activations, softmax and layer norm, but \"{}\" is a {} (a real GroqChip would lower it to matmuls); choose the MLP, GEMV or BERT preset.",
                        op.name,
                        op.kind.label()
                    ),
                });
            }
        };
        n = n.saturating_add(per);
    }
    Ok(n)
}

/// Places every tensor in a MEM slice: the slice with the most room, avoiding the slice of
/// an elementwise partner (two operands streamed at once need two read ports).
fn allocate(
    config: &GroqConfig,
    slices: &[SliceKind],
    workload: &Workload,
) -> Result<Vec<Placement>, SimError> {
    let v = config.vector_len();
    let mems: Vec<u32> = (0..slices.len() as u32)
        .filter(|&i| slices[i as usize] == SliceKind::Mem)
        .collect();
    let mut used = vec![0u64; slices.len()];
    let cap = config.mem_slice_bytes.0;
    let total: u64 = workload
        .tensors
        .iter()
        .map(|t| {
            vectors_of(t.elements(), v)
                .saturating_mul(v)
                .saturating_mul(t.dtype.size().0)
        })
        .fold(0, u64::saturating_add);
    if total > config.mem_bytes().0 {
        return Err(SimError::GroqMemoryFull {
            needed: Bytes(total),
            capacity: config.mem_bytes(),
            n_slices: mems.len() as u32,
        });
    }
    let mut placements: Vec<Placement> = Vec::with_capacity(workload.tensors.len());
    for (idx, t) in workload.tensors.iter().enumerate() {
        let vectors = vectors_of(t.elements(), v);
        let bytes = vectors.saturating_mul(v).saturating_mul(t.dtype.size().0);
        if bytes > cap {
            return Err(SimError::GroqTensorTooLarge {
                tensor: t.name.clone(),
                needed: Bytes(bytes),
                capacity: config.mem_slice_bytes,
            });
        }
        // Slices to avoid: those of tensors streamed beside this one by an elementwise op.
        let mut avoid: Vec<u32> = Vec::new();
        for op in &workload.ops {
            if matches!(op.kind, OpKind::Binary { .. }) && op.inputs.contains(&TensorId(idx)) {
                for other in &op.inputs {
                    if let Some(p) = placements.get(other.0)
                        && other.0 != idx
                    {
                        avoid.push(p.slice);
                    }
                }
            }
        }
        let best = mems
            .iter()
            .copied()
            .filter(|s| used[*s as usize] + bytes <= cap)
            .min_by_key(|s| (avoid.contains(s), used[*s as usize], *s));
        let Some(slice) = best else {
            return Err(SimError::GroqMemoryFull {
                needed: Bytes(total),
                capacity: config.mem_bytes(),
                n_slices: mems.len() as u32,
            });
        };
        used[slice as usize] += bytes;
        placements.push(Placement {
            name: t.name.clone(),
            slice,
            bytes: Bytes(bytes),
            vectors,
            ready: Cycle::ZERO,
        });
    }
    Ok(placements)
}

/// One step of a chain, at an offset from the chain's start.
#[derive(Debug, Clone)]
struct Step {
    slice: u32,
    port: Port,
    off: i64,
    count: u64,
    latency: Cycle,
    mnemonic: Mnemonic,
    tensor: Option<TensorId>,
    first_vector: u64,
    work: Work,
}

/// A link: `producer`'s results stream to `consumer`, which takes each on arrival.
#[derive(Debug, Clone, Copy)]
struct Link {
    producer: usize,
    consumer: usize,
}

/// Instructions with fixed relative timing: a unit of scheduling.
#[derive(Debug, Default)]
struct Chain {
    steps: Vec<Step>,
    links: Vec<Link>,
}

impl Chain {
    fn push(&mut self, step: Step) -> usize {
        self.steps.push(step);
        self.steps.len() - 1
    }

    /// A MEM read of `tensor` timed so that its vectors arrive at `consumer` as it issues.
    fn feed(
        &mut self,
        consumer: usize,
        mem: u32,
        tensor: TensorId,
        first_vector: u64,
        read_latency: Cycle,
    ) {
        let c = &self.steps[consumer];
        let dist = i64::from(mem.abs_diff(c.slice));
        let off = c.off - dist - read_latency.0 as i64;
        let count = c.count;
        let producer = self.push(Step {
            slice: mem,
            port: Port::Read,
            off,
            count,
            latency: read_latency,
            mnemonic: Mnemonic::Read,
            tensor: Some(tensor),
            first_vector,
            work: Work::None,
        });
        self.links.push(Link { producer, consumer });
    }

    /// A step on `slice` that takes `producer`'s results as they arrive.
    #[allow(clippy::too_many_arguments)] // a step is many plain fields; a builder would hide the timing rule
    fn after(
        &mut self,
        producer: usize,
        slice: u32,
        port: Port,
        count: u64,
        latency: Cycle,
        mnemonic: Mnemonic,
        tensor: Option<TensorId>,
        work: Work,
    ) -> usize {
        let p = &self.steps[producer];
        let off = p.off + p.latency.0 as i64 + i64::from(p.slice.abs_diff(slice));
        let consumer = self.push(Step {
            slice,
            port,
            off,
            count,
            latency,
            mnemonic,
            tensor,
            first_vector: 0,
            work,
        });
        self.links.push(Link { producer, consumer });
        consumer
    }
}

struct Compiler<'a> {
    config: &'a GroqConfig,
    slices: Vec<SliceKind>,
    placements: Vec<Placement>,
    /// Per slice and port (0: main or read, 1: write): first free cycle.
    port_free: Vec<[u64; 2]>,
    /// Per direction (0 east, 1 west) and stream: first free cycle.
    stream_free: [Vec<u64>; 2],
    instructions: Vec<Instruction>,
    transfers: Vec<Transfer>,
    ops: Vec<OpSchedule>,
    length: u64,
    vxm: u32,
    mxms: Vec<u32>,
    sxms: Vec<u32>,
}

impl<'a> Compiler<'a> {
    fn new(config: &'a GroqConfig, slices: Vec<SliceKind>, placements: Vec<Placement>) -> Self {
        let find = |kind| {
            (0..slices.len() as u32)
                .filter(|&i| slices[i as usize] == kind)
                .collect::<Vec<u32>>()
        };
        let n_streams = config.streams_per_direction as usize;
        Self {
            vxm: find(SliceKind::Vxm).first().copied().unwrap_or(0),
            mxms: find(SliceKind::Mxm),
            sxms: find(SliceKind::Sxm),
            port_free: vec![[0; 2]; slices.len()],
            stream_free: [vec![0; n_streams], vec![0; n_streams]],
            config,
            slices,
            placements,
            instructions: Vec::new(),
            transfers: Vec::new(),
            ops: Vec::new(),
            length: 0,
        }
    }

    fn mem_of(&self, t: TensorId) -> u32 {
        self.placements.get(t.0).map_or(0, |p| p.slice)
    }

    fn ready(&self, t: TensorId) -> u64 {
        self.placements.get(t.0).map_or(0, |p| p.ready.0)
    }

    /// The MXM whose port frees first (ties: the one nearest `mem`).
    fn pick_mxm(&self, mem: u32) -> u32 {
        self.mxms
            .iter()
            .copied()
            .min_by_key(|m| (self.port_free[*m as usize][0], m.abs_diff(mem)))
            .unwrap_or(0)
    }

    /// The SXM on `mem`'s side of the VXM.
    fn pick_sxm(&self, mem: u32) -> u32 {
        let west = mem < self.vxm;
        self.sxms
            .iter()
            .copied()
            .find(|s| (*s < self.vxm) == west)
            .unwrap_or(0)
    }

    fn lower(
        &mut self,
        w: &Workload,
        op_idx: usize,
        op: &crate::workload::Op,
    ) -> Result<(), SimError> {
        let v = self.config.vector_len();
        let lat = self.config.latencies;
        let out = op.output;
        let out_mem = self.mem_of(out);
        let first_instr = self.instructions.len();
        let mut chains = 0usize;
        let input = |i: usize| {
            op.inputs
                .get(i)
                .copied()
                .ok_or_else(|| SimError::InvalidWorkload {
                    reason: format!("{} has too few inputs.", op.name),
                })
        };
        match op.kind {
            OpKind::MatMul { batch, m, k, n } => {
                let (a, b) = (input(0)?, input(1)?);
                let b_batched = w.tensor(b).elements() == batch.saturating_mul(k).saturating_mul(n)
                    && batch > 1;
                let (mem_a, mem_b) = (self.mem_of(a), self.mem_of(b));
                for bi in 0..batch {
                    for n0 in (0..n).step_by(v as usize) {
                        let n_len = v.min(n - n0);
                        let mxm = self.pick_mxm(mem_b);
                        let mut ch = Chain::default();
                        let mut off = 0i64;
                        let mut last_mul = 0usize;
                        for k0 in (0..k).step_by(v as usize) {
                            let k_len = v.min(k - k0);
                            let load = ch.push(Step {
                                slice: mxm,
                                port: Port::Main,
                                off,
                                count: k_len,
                                latency: Cycle::ZERO,
                                mnemonic: Mnemonic::LoadWeights,
                                tensor: Some(b),
                                first_vector: if b_batched { bi * k + k0 } else { k0 },
                                work: Work::None,
                            });
                            let first_b = ch.steps[load].first_vector;
                            ch.feed(load, mem_b, b, first_b, lat.mem_read);
                            let mul_off = off + k_len as i64 + lat.mxm_install.0 as i64;
                            let mul = ch.push(Step {
                                slice: mxm,
                                port: Port::Main,
                                off: mul_off,
                                count: m,
                                latency: lat.mxm,
                                mnemonic: Mnemonic::Multiply,
                                tensor: None,
                                first_vector: 0,
                                work: Work::MatMulRows {
                                    op: op_idx,
                                    batch_idx: bi,
                                    n0,
                                    n_len,
                                    k0,
                                    k_len,
                                },
                            });
                            ch.feed(mul, mem_a, a, bi * m, lat.mem_read);
                            last_mul = mul;
                            off = mul_off + m as i64;
                        }
                        let write = ch.after(
                            last_mul,
                            out_mem,
                            Port::Write,
                            m,
                            lat.mem_write,
                            Mnemonic::Write,
                            Some(out),
                            Work::None,
                        );
                        ch.steps[write].first_vector = bi * m;
                        // The MXM sends only the accumulated result of the last block.
                        self.place(ch, op_idx)?;
                        chains += 1;
                    }
                }
            }
            OpKind::Binary { op: bin, len } => {
                let (a, b) = (input(0)?, input(1)?);
                let count = vectors_of(len, v);
                let mut ch = Chain::default();
                let vx = ch.push(Step {
                    slice: self.vxm,
                    port: Port::Main,
                    off: 0,
                    count,
                    latency: lat.vxm,
                    mnemonic: match bin {
                        Binary::Add => Mnemonic::Add,
                        Binary::Mul => Mnemonic::Mul,
                    },
                    tensor: None,
                    first_vector: 0,
                    work: Work::Elementwise { op: op_idx },
                });
                ch.feed(vx, self.mem_of(a), a, 0, lat.mem_read);
                ch.feed(vx, self.mem_of(b), b, 0, lat.mem_read);
                if self.mem_of(a) == self.mem_of(b) {
                    return Err(SimError::UnsupportedWorkload {
                        reason: format!(
                            "both operands of {} are in MEM slice {}, which can stream only one of them at a time; give the chip more MEM slices.",
                            op.name,
                            self.mem_of(a)
                        ),
                    });
                }
                ch.after(
                    vx,
                    out_mem,
                    Port::Write,
                    count,
                    lat.mem_write,
                    Mnemonic::Write,
                    Some(out),
                    Work::None,
                );
                self.place(ch, op_idx)?;
                chains += 1;
            }
            OpKind::Activation { func, len } => {
                let a = input(0)?;
                let count = vectors_of(len, v);
                let mut ch = Chain::default();
                let (mnemonic, latency) = match func {
                    Activation::Relu => (Mnemonic::Relu, lat.vxm),
                    Activation::Gelu => (Mnemonic::Gelu, lat.vxm_long),
                };
                let vx = ch.push(Step {
                    slice: self.vxm,
                    port: Port::Main,
                    off: 0,
                    count,
                    latency,
                    mnemonic,
                    tensor: None,
                    first_vector: 0,
                    work: Work::Elementwise { op: op_idx },
                });
                ch.feed(vx, self.mem_of(a), a, 0, lat.mem_read);
                ch.after(
                    vx,
                    out_mem,
                    Port::Write,
                    count,
                    lat.mem_write,
                    Mnemonic::Write,
                    Some(out),
                    Work::None,
                );
                self.place(ch, op_idx)?;
                chains += 1;
            }
            OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols } => {
                let x = input(0)?;
                let per_row = cols.div_ceil(v);
                let count = rows.saturating_mul(per_row);
                let mem_x = self.mem_of(x);
                let sxm = self.pick_sxm(mem_x);
                let mut ch = Chain::default();
                // Pass 1: MEM → SXM (reduce across lanes) → VXM (row statistics).
                let red = ch.push(Step {
                    slice: sxm,
                    port: Port::Main,
                    off: 0,
                    count,
                    latency: lat.sxm,
                    mnemonic: Mnemonic::Reduce,
                    tensor: None,
                    first_vector: 0,
                    work: Work::None,
                });
                ch.feed(red, mem_x, x, 0, lat.mem_read);
                let stats = ch.after(
                    red,
                    self.vxm,
                    Port::Main,
                    count,
                    lat.vxm,
                    Mnemonic::RowStats,
                    None,
                    Work::None,
                );
                // Pass 2: MEM → VXM (normalise with the statistics) → MEM.
                let norm_off = ch.steps[stats].off + count as i64 + lat.vxm.0 as i64;
                let norm = ch.push(Step {
                    slice: self.vxm,
                    port: Port::Main,
                    off: norm_off,
                    count,
                    latency: lat.vxm_long,
                    mnemonic: if matches!(op.kind, OpKind::Softmax { .. }) {
                        Mnemonic::Softmax
                    } else {
                        Mnemonic::Normalise
                    },
                    tensor: None,
                    first_vector: 0,
                    work: Work::Rows {
                        op: op_idx,
                        vectors_per_row: per_row,
                    },
                });
                ch.feed(norm, mem_x, x, 0, lat.mem_read);
                ch.after(
                    norm,
                    out_mem,
                    Port::Write,
                    count,
                    lat.mem_write,
                    Mnemonic::Write,
                    Some(out),
                    Work::None,
                );
                self.place(ch, op_idx)?;
                chains += 1;
            }
            OpKind::Conv2d { .. } | OpKind::MaxPool { .. } => {
                // Refused by `estimate_instructions` before any lowering.
                return Err(SimError::UnsupportedWorkload {
                    reason: format!("{} is not lowered by this compiler.", op.name),
                });
            }
        }
        let mine = &self.instructions[first_instr..];
        let start = mine.iter().map(|i| i.issue).min().unwrap_or(Cycle::ZERO);
        let end = Cycle(
            mine.iter()
                .map(|i| i.completes(self.config.n_superlanes).0)
                .max()
                .unwrap_or(0),
        );
        let ready = mine
            .iter()
            .filter(|i| i.mnemonic == Mnemonic::Write)
            .map(|i| i.issue.0 + i.count + i.latency.0)
            .max()
            .unwrap_or(0);
        if let Some(p) = self.placements.get_mut(out.0) {
            p.ready = Cycle(ready);
        }
        self.ops.push(OpSchedule {
            name: op.name.clone(),
            label: op.kind.label(),
            start,
            end,
            chains,
            instructions: mine.len(),
        });
        Ok(())
    }

    /// Starts `chain` at the first cycle its inputs, ports and streams allow, and commits it.
    fn place(&mut self, mut chain: Chain, op_idx: usize) -> Result<(), SimError> {
        let min_off = chain.steps.iter().map(|s| s.off).min().unwrap_or(0);
        for s in &mut chain.steps {
            s.off -= min_off;
        }
        let off = |s: &Step| s.off as u64;
        let mut t0 = 0u64;
        for s in &chain.steps {
            if s.mnemonic == Mnemonic::Read
                && let Some(t) = s.tensor
            {
                t0 = t0.max(self.ready(t).saturating_sub(off(s)));
            }
            let free = self.port_free[s.slice as usize][s.port.index()];
            t0 = t0.max(free.saturating_sub(off(s)));
        }
        // Streams: links in departure order; a link reuses a stream this chain has freed,
        // or takes the stream that frees first.
        let mut order: Vec<usize> = (0..chain.links.len()).collect();
        let depart = |l: &Link, steps: &[Step]| {
            let p = &steps[l.producer];
            p.off as u64 + p.latency.0
        };
        order.sort_by_key(|&i| depart(&chain.links[i], &chain.steps));
        let n_streams = self.config.streams_per_direction as usize;
        let mut local: [Vec<Option<u64>>; 2] = [vec![None; n_streams], vec![None; n_streams]];
        let mut chosen = vec![(0usize, 0usize); chain.links.len()];
        for &li in &order {
            let l = chain.links[li];
            let (p, c) = (&chain.steps[l.producer], &chain.steps[l.consumer]);
            let dir = usize::from(c.slice < p.slice);
            let d = depart(&l, &chain.steps);
            let busy_end = d + p.count.max(c.count) + u64::from(p.slice.abs_diff(c.slice));
            let reuse = (0..n_streams).find(|&s| local[dir][s].is_some_and(|end| end <= d));
            let stream = match reuse {
                Some(s) => s,
                None => {
                    let fresh = (0..n_streams)
                        .filter(|&s| local[dir][s].is_none())
                        .min_by_key(|&s| (self.stream_free[dir][s], s));
                    let Some(s) = fresh else {
                        return Err(SimError::UnsupportedWorkload {
                            reason: format!(
                                "one step of op {op_idx} needs more than the {n_streams} streams a direction has."
                            ),
                        });
                    };
                    t0 = t0.max(self.stream_free[dir][s].saturating_sub(d));
                    s
                }
            };
            local[dir][stream] = Some(busy_end);
            chosen[li] = (dir, stream);
        }
        // Commit.
        let base = self.instructions.len();
        for s in &chain.steps {
            let issue = t0 + off(s);
            let port = &mut self.port_free[s.slice as usize][s.port.index()];
            *port = (*port).max(issue + s.count);
            self.instructions.push(Instruction {
                slice: s.slice,
                port: s.port,
                issue: Cycle(issue),
                count: s.count,
                latency: s.latency,
                op: op_idx,
                mnemonic: s.mnemonic,
                tensor: s.tensor,
                first_vector: s.first_vector,
                sends: None,
                receives: None,
                work: s.work,
            });
        }
        for (li, l) in chain.links.iter().enumerate() {
            let (dir, stream) = chosen[li];
            let (p, c) = (&chain.steps[l.producer], &chain.steps[l.consumer]);
            let depart = t0 + off(p) + p.latency.0;
            let count = p.count.min(c.count);
            let idx = self.transfers.len();
            self.transfers.push(Transfer {
                from: p.slice,
                to: c.slice,
                stream: stream as u32,
                east: dir == 0,
                depart: Cycle(depart),
                count,
            });
            let free = &mut self.stream_free[dir][stream];
            *free =
                (*free).max(depart + p.count.max(c.count) + u64::from(p.slice.abs_diff(c.slice)));
            self.instructions[base + l.producer].sends = Some(idx);
            self.instructions[base + l.consumer].receives = Some(idx);
        }
        for i in &self.instructions[base..] {
            self.length = self.length.max(i.completes(self.config.n_superlanes).0);
        }
        if self.length > MAX_PROGRAM_CYCLES {
            return Err(SimError::TooManyCycles {
                what: "The compiled program".to_owned(),
                max: MAX_PROGRAM_CYCLES,
            });
        }
        Ok(())
    }

    fn finish(mut self, _w: &Workload) -> Result<GroqProgram, SimError> {
        // Stable sort: same-cycle instructions keep their chain order.
        let mut order: Vec<usize> = (0..self.instructions.len()).collect();
        order.sort_by_key(|&i| (self.instructions[i].issue, self.instructions[i].slice));
        let instructions: Vec<Instruction> = order
            .iter()
            .map(|&i| self.instructions[i].clone())
            .collect();
        self.instructions = instructions;
        let mut mem_used = vec![Bytes::ZERO; self.slices.len()];
        for p in &self.placements {
            if let Some(m) = mem_used.get_mut(p.slice as usize) {
                *m += p.bytes;
            }
        }
        Ok(GroqProgram {
            n_superlanes: self.config.n_superlanes,
            vector_len: self.config.vector_len(),
            instructions: self.instructions,
            transfers: self.transfers,
            placements: self.placements,
            ops: self.ops,
            mem_used,
            mem_slice_bytes: self.config.mem_slice_bytes,
            length: Cycle(self.length),
            slices: self.slices,
        })
    }
}
