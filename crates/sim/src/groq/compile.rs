//! The compiler: a workload becomes a static schedule in which every instruction of every
//! slice has its issue cycle, and every vector its stream and its arrival cycle (the
//! schedule's types are in [`super::program`]).
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

use super::config::{GroqConfig, SliceKind};
use super::program::{
    GroqProgram, Instruction, Mnemonic, OpSchedule, Placement, Port, Transfer, Work,
};
use crate::budget::check_budget;
use crate::error::SimError;
use crate::units::{Bytes, Cycle};
use crate::workload::{Activation, Binary, OpKind, TensorId, Workload};

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
