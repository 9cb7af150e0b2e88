//! The mapping step ("the graph compiler"): a [`Workload`] becomes an [`IpuProgram`], a list
//! of bulk-synchronous supersteps whose every cycle count and transfer is fixed before the
//! run, as the Poplar compiler fixes them for a real IPU. The program's types are in
//! [`super::program`].
//!
//! # How ops are placed
//! - **Matmul / GEMV and convolution** (a convolution as its GEMM, `m = batch·h_out·w_out`,
//!   `k = c_in·kh·kw`, `n = c_out`): the output `[m, n]` and the reduction `k` are cut into a
//!   grid of `m_parts × k_parts × n_parts` blocks, one per tile ([`GemmSplit`]). A tile holds
//!   its block of the weights for the whole run and computes a partial `[m, n]` block over
//!   its slice of `k`. When `k_parts > 1` the dot products are split, so one more superstep is
//!   needed: each tile of a group sends the other tiles its partial sums for their share of
//!   the output block, then each sums its share (the "reduce" superstep). A convolution's `k`
//!   is only cut at input-channel boundaries.
//! - **Batched matmul** (attention's per-head products, `[batch] · [m, k] × [k, n]`): the
//!   products are cut into `batch_parts` equal groups of consecutive heads, each group on
//!   tiles of its own, and each group's GEMM is cut into blocks like a single matmul; a tile
//!   computes its block of every product in its group, reading `a` as `[batch, m, k]` and `b`
//!   as `[batch, k, n]` (or one `[k, n]` shared by every product, read once). With two heads
//!   on 1,472 tiles each head gets 736 tiles ([`OpSplit::BatchedGemm`]). Reshapes and
//!   transposes cost nothing: the workload model makes them views of the flat buffers, and an
//!   op's gather reads exactly the flat elements its block needs, wherever they live.
//! - **Elementwise ops** (activation, binary, max-pool, and softmax and layer norm by whole
//!   rows): the output is cut into even contiguous blocks, one per tile, of at least
//!   `min_block_elements` elements (a grain size; modelling choice).
//! - The compiler picks the split (and, for a batched matmul, the number of head groups) with
//!   the lowest estimated cycles (exchange of the inputs, compute, and the reduce superstep)
//!   among those whose weights fit; a page can force one with [`CompileOptions::gemm_split`]
//!   (a batched matmul then gets as many groups with that split as the tiles hold).
//!
//! # Where data lives
//! The workload's inputs start in even contiguous blocks over the tiles, at least
//! `min_block_elements` per tile (as the host left them). An op's output stays on the tiles that computed it. Before each compute phase, the
//! exchange phase of the previous superstep brings every tile the input elements it reads
//! that live on other tiles. So superstep 0 computes nothing: its exchange feeds the first op.
//!
//! # Modelling choices (not sourced)
//! - A vertex is a worker's share of one op on one tile: the compiler gives each tile's
//!   output elements to `min(threads, elements)` vertices, one per worker. A worker issues once
//!   every `threads` cycles (barrel threading), so a vertex of `f` FLOPs takes
//!   `⌈f · threads / rate⌉` cycles, and a tile's compute phase lasts as long as its longest
//!   vertex. A tile with fewer vertices than workers leaves issue slots empty.
//! - No vertex launch overhead, no supervisor code, no memory-bank conflicts.
//! - Exchange: each transfer is a copy from one tile to one other at
//!   `exchange_bytes_per_cycle`; a tile sends one transfer at a time and receives one at a
//!   time; no multicast (the real exchange can let many tiles listen to one sender), no wire
//!   delay. The compiler schedules transfers greedily in rounds of "send to the tile `r`
//!   further on", which keeps most tiles busy in all-to-all patterns.
//! - A convolution tile receives every full input row its output pixels' windows touch.
//! - Memory: a tile holds the weights of every op mapped to it for the whole run, plus, during
//!   one op, that op's inputs, its output block and the partial sums it receives. Activations
//!   are not kept beyond the op that reads them (no liveness analysis). A program is refused
//!   when a tile's weights (all of them, including those of ops placed later) and its
//!   largest op's data exceed its memory.
//! - Partial sums are exchanged in the op's element type.

use super::config::IpuConfig;
use super::program::{
    BYTES_PER_ITEM, BYTES_PER_TILE_STEP, GemmSplit, IpuProgram, MAX_PROGRAM_ITEMS, OpMapping,
    OpSplit, Superstep, TileStep, Transfer, Vertex, VertexKind,
};
use crate::error::{SimError, check_size};
use crate::units::{Bytes, Cycle};
use crate::workload::{OpKind, TensorId, TensorKind, Workload, prod};
use std::collections::BTreeMap;

/// Options of [`compile_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompileOptions {
    /// Use this split for every matmul and convolution instead of the compiler's choice.
    pub gemm_split: Option<GemmSplit>,
}

/// Compiles `workload` for `config` with the compiler's own choices.
///
/// # Errors
/// A bad config or workload, a layer whose data does not fit a tile
/// ([`SimError::TileMemoryExceeded`] naming the tile and
/// bytes), or a program too big to simulate here ([`SimError::OverMemoryBudget`]).
pub fn compile(config: &IpuConfig, workload: &Workload) -> Result<IpuProgram, SimError> {
    compile_with(config, workload, &CompileOptions::default())
}

/// As [`compile`], with options (a forced GEMM split).
///
/// # Errors
/// As [`compile`], and a forced split that does not fit an op's shape or the tile count.
pub fn compile_with(
    config: &IpuConfig,
    workload: &Workload,
    options: &CompileOptions,
) -> Result<IpuProgram, SimError> {
    config.validate()?;
    workload.validate()?;
    Compiler::new(config, workload, options).run()
}

/// `[start, start + len)` in a tensor's flat (row-major) element order.
type Run = (u64, u64);

/// A contiguous run of a tensor's elements on one tile.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: u64,
    len: u64,
    tile: u32,
}

/// Block `j` of `len` split into `parts` as evenly as possible: (start, length).
fn block(len: u64, parts: u64, j: u64) -> (u64, u64) {
    let base = len / parts;
    let extra = len % parts;
    (j * base + j.min(extra), base + u64::from(j < extra))
}

fn div_ceil(a: u64, b: u64) -> u64 {
    a.div_ceil(b.max(1))
}

/// Merges adjacent runs in place (input in order).
fn push_run(runs: &mut Vec<Run>, start: u64, len: u64) {
    if len == 0 {
        return;
    }
    if let Some(last) = runs.last_mut()
        && last.0 + last.1 == start
    {
        last.1 += len;
        return;
    }
    runs.push((start, len));
}

/// Pushes the runs of `len` elements from column `offset` of each of `rows` of a row-major
/// matrix with `row_len` columns.
fn push_row_runs(
    runs: &mut Vec<Run>,
    rows: impl Iterator<Item = u64>,
    row_len: u64,
    offset: u64,
    len: u64,
) {
    for r in rows {
        push_run(runs, r * row_len + offset, len);
    }
}

/// Rows `rows` of each product in `heads` of a `[batch, m, ·]` tensor, as rows of its flat
/// `[batch · m, ·]` view.
fn batch_rows(
    heads: std::ops::Range<u64>,
    rows: std::ops::Range<u64>,
    m: u64,
) -> impl Iterator<Item = u64> {
    heads.flat_map(move |h| rows.clone().map(move |r| h * m + r))
}

/// Output pixels `p0 .. p0 + len` of a convolution cut at image boundaries (`hw` pixels per
/// image): (image, first pixel, end pixel) of each piece.
fn image_spans(p0: u64, len: u64, hw: u64) -> impl Iterator<Item = (u64, u64, u64)> {
    let end = p0 + len;
    let piece_end = move |p: u64| end.min((p / hw + 1) * hw);
    std::iter::successors((p0 < end).then_some(p0), move |&p| {
        let hi = piece_end(p);
        (hi < end).then_some(hi)
    })
    .map(move |p| (p / hw, p, piece_end(p)))
}

/// The GEMM view of a matmul or convolution.
#[derive(Debug, Clone, Copy)]
struct GemmOp {
    /// Independent products (attention heads); 1 for a convolution.
    batch: u64,
    /// Whether `b` holds one `[k, n]` matrix per product (else one shared by all).
    b_batched: bool,
    m: u64,
    k: u64,
    n: u64,
    /// Convolution shape, when it is one.
    conv: Option<ConvShape>,
}

/// (batch, c_in, h, w, kh, kw, h_out, w_out) of a convolution.
type ConvShape = (u64, u64, u64, u64, u64, u64, u64, u64);

impl GemmOp {
    /// Largest number of `k` parts (a convolution cuts `k` at channel boundaries).
    fn k_cut_max(&self) -> u64 {
        self.conv.map_or(self.k, |c| c.1)
    }

    /// `k` elements in block `j` of `kp`.
    fn k_block(&self, kp: u64, j: u64) -> (u64, u64) {
        match self.conv {
            Some((_, c_in, _, _, kh, kw, _, _)) => {
                let (c0, cb) = block(c_in, kp, j);
                (c0 * kh * kw, cb * kh * kw)
            }
            None => block(self.k, kp, j),
        }
    }
}

/// One compute phase in the making, before it is cut into supersteps.
struct Stage {
    label: String,
    vertices: Vec<Vec<Vertex>>,
    /// Transfers that must arrive before this compute phase: (from, to, tensor, bytes).
    incoming: Vec<(u32, u32, TensorId, u64)>,
    needed: Vec<u64>,
    completes_op: Option<usize>,
    gemm: bool,
}

struct Compiler<'a> {
    config: &'a IpuConfig,
    workload: &'a Workload,
    options: &'a CompileOptions,
    n_tiles: u64,
    layouts: Vec<Option<Vec<Piece>>>,
    weight_bytes: Vec<u64>,
    peak_transient: Vec<u64>,
    /// Name of the op whose data set each tile's `peak_transient`.
    peak_op: Vec<String>,
    stages: Vec<Stage>,
    ops: Vec<OpMapping>,
    items: u64,
}

impl<'a> Compiler<'a> {
    fn new(config: &'a IpuConfig, workload: &'a Workload, options: &'a CompileOptions) -> Self {
        let n = config.n_tiles as usize;
        Self {
            config,
            workload,
            options,
            n_tiles: u64::from(config.n_tiles),
            layouts: vec![None; workload.tensors.len()],
            weight_bytes: vec![0; n],
            peak_transient: vec![0; n],
            peak_op: vec![String::new(); n],
            stages: Vec::new(),
            ops: Vec::new(),
            items: 0,
        }
    }

    fn budget(&mut self, more: u64, what: &str) -> Result<(), SimError> {
        let total = self.items.saturating_add(more);
        if total > MAX_PROGRAM_ITEMS {
            return Err(SimError::OverMemoryBudget {
                what: format!("the program for {what}"),
                estimate: Bytes(total.saturating_mul(BYTES_PER_ITEM)),
                budget: Bytes(MAX_PROGRAM_ITEMS * BYTES_PER_ITEM),
            });
        }
        self.items = total;
        Ok(())
    }

    fn run(mut self) -> Result<IpuProgram, SimError> {
        // Inputs start in even blocks over all tiles.
        for (id, t) in self.workload.tensors.iter().enumerate() {
            if t.kind == TensorKind::Input {
                let len = t.elements();
                let parts = div_ceil(len, self.min_block()).min(self.n_tiles);
                self.budget(parts, "the inputs")?;
                let pieces = (0..parts)
                    .map(|j| {
                        let (start, len) = block(len, parts, j);
                        // j < n_tiles ≤ u32::MAX.
                        Piece {
                            start,
                            len,
                            tile: j as u32,
                        }
                    })
                    .collect();
                self.layouts[id] = Some(pieces);
            }
        }
        for (op_idx, op) in self.workload.ops.iter().enumerate() {
            match op.kind {
                OpKind::MatMul { .. } | OpKind::Conv2d { .. } => self.gemm(op_idx)?,
                _ => self.blocks(op_idx)?,
            }
        }
        self.finish()
    }

    fn min_block(&self) -> u64 {
        u64::from(self.config.min_block_elements)
    }

    fn dsize(&self, id: TensorId) -> u64 {
        self.workload.tensor(id).dtype.size().0
    }

    fn rate(&self, op_idx: usize) -> u64 {
        let out = self.workload.ops[op_idx].output;
        u64::from(self.config.flops_per_cycle(self.workload.tensor(out).dtype))
    }

    /// Vertices for `elements` outputs of `flops_per_element` each (as a fraction
    /// `num / den` per element), one per worker.
    fn vertices(
        &self,
        op: usize,
        kind: VertexKind,
        elements: u64,
        flops_num: u64,
        flops_den: u64,
    ) -> Vec<Vertex> {
        let threads = u64::from(self.config.threads_per_tile);
        let rate = self.rate(op);
        let workers = elements.min(threads);
        (0..workers)
            .map(|w| {
                let (_, e) = block(elements, workers, w);
                // u128: e · num fits easily; the result is at most the op's FLOPs (< 2^56).
                let flops =
                    (u128::from(e) * u128::from(flops_num) / u128::from(flops_den.max(1))) as u64;
                Vertex {
                    op,
                    kind,
                    // w < threads ≤ 64.
                    worker: w as u32,
                    elements: e,
                    flops,
                    cycles: Cycle(div_ceil(flops.saturating_mul(threads), rate)),
                }
            })
            .collect()
    }

    /// For `dst` reading `runs` of `tensor`: adds transfers from the tiles holding them and
    /// returns (bytes read in all, bytes to receive).
    fn gather(
        &self,
        tensor: TensorId,
        runs: &[Run],
        dst: u32,
        incoming: &mut BTreeMap<(u32, u32, usize), u64>,
    ) -> (u64, u64) {
        let ds = self.dsize(tensor);
        let Some(layout) = self.layouts[tensor.0].as_ref() else {
            return (0, 0);
        };
        let (mut total, mut remote) = (0u64, 0u64);
        for &(start, len) in runs {
            let end = start + len;
            let mut i = layout.partition_point(|p| p.start + p.len <= start);
            while let Some(p) = layout.get(i) {
                if p.start >= end {
                    break;
                }
                let lo = p.start.max(start);
                let hi = (p.start + p.len).min(end);
                let bytes = (hi - lo) * ds;
                total += bytes;
                if p.tile != dst {
                    remote += bytes;
                    *incoming.entry((p.tile, dst, tensor.0)).or_insert(0) += bytes;
                }
                i += 1;
            }
        }
        (total, remote)
    }

    fn check_memory(&mut self, tile: u32, transient: u64, op: &str) -> Result<(), SimError> {
        let t = tile as usize;
        self.fits(tile, self.weight_bytes[t], transient, op)?;
        if transient > self.peak_transient[t] {
            self.peak_transient[t] = transient;
            op.clone_into(&mut self.peak_op[t]);
        }
        Ok(())
    }

    /// Refuses `weights` plus one op's `transient` data on `tile` beyond its memory.
    fn fits(&self, tile: u32, weights: u64, transient: u64, op: &str) -> Result<(), SimError> {
        let needed = weights.saturating_add(transient);
        if needed > self.config.tile_memory.0 {
            return Err(SimError::TileMemoryExceeded {
                tile,
                what: format!(
                    "the weights it holds ({}) and the inputs and outputs of {op} ({})",
                    Bytes(weights),
                    Bytes(transient)
                ),
                needed: Bytes(needed),
                capacity: self.config.tile_memory,
            });
        }
        Ok(())
    }

    fn gemm_view(kind: OpKind) -> Option<GemmOp> {
        match kind {
            OpKind::MatMul { batch, m, k, n } => Some(GemmOp {
                batch,
                b_batched: false,
                m,
                k,
                n,
                conv: None,
            }),
            OpKind::Conv2d {
                batch,
                c_in,
                c_out,
                h,
                w,
                kh,
                kw,
            } => {
                let (ho, wo) = (h + 1 - kh, w + 1 - kw);
                Some(GemmOp {
                    batch: 1,
                    b_batched: false,
                    m: prod(&[batch, ho, wo]),
                    k: prod(&[c_in, kh, kw]),
                    n: c_out,
                    conv: Some((batch, c_in, h, w, kh, kw, ho, wo)),
                })
            }
            _ => None,
        }
    }

    /// Estimated cycles and per-tile weight bytes of a split of each of `bp` groups of
    /// products (for the choice).
    fn estimate(
        &self,
        g: &GemmOp,
        bp: u64,
        s: GemmSplit,
        b_is_weight: bool,
        ds: u64,
        rate: u64,
    ) -> (u64, u64) {
        let (mp, kp, np) = (
            u64::from(s.m_parts),
            u64::from(s.k_parts),
            u64::from(s.n_parts),
        );
        let threads = u64::from(self.config.threads_per_tile);
        let bw = u64::from(self.config.exchange_bytes_per_cycle);
        // Products per tile, and `b` matrices per tile (one when shared).
        let hb = div_ceil(g.batch, bp);
        let b_mats = if g.b_batched { hb } else { 1 };
        let mb = div_ceil(g.m, mp);
        let kb = g.k_block(kp, 0).1;
        let nb = div_ceil(g.n, np);
        let in_a = match g.conv {
            Some((_, c_in, _, w, kh, kw, _, wo)) => {
                div_ceil(c_in, kp) * (div_ceil(mb, wo) + kh) * w.max(kw)
            }
            None => hb * mb * kb,
        };
        let in_b = if b_is_weight { 0 } else { b_mats * kb * nb };
        let outs = hb * mb * nb;
        let ex = div_ceil((in_a + in_b) * ds, bw);
        let comp = div_ceil(2 * outs * kb * threads, rate * outs.clamp(1, threads));
        let red = if kp > 1 {
            let part = div_ceil(outs, kp);
            self.config.sync_latency.0
                + div_ceil(part * (kp - 1) * ds, bw)
                + div_ceil(part * (kp - 1) * threads, rate * part.clamp(1, threads))
        } else {
            0
        };
        let weights = if b_is_weight {
            b_mats * kb * nb * ds
        } else {
            0
        };
        (ex + comp + red, weights)
    }

    /// The number of product groups (each on its own tiles; 1 unless the op is batched) and
    /// the split of each group's GEMM.
    fn choose_split(
        &self,
        g: &GemmOp,
        b_is_weight: bool,
        ds: u64,
        rate: u64,
        name: &str,
    ) -> Result<(u64, GemmSplit), SimError> {
        let t = self.n_tiles;
        // Groups get equal numbers of products: `bp` divides the batch.
        let divides = |bp: &u64| g.batch.is_multiple_of(*bp);
        if let Some(s) = self.options.gemm_split {
            let check = |what: &'static str, parts: u32, len: u64| {
                if parts == 0 {
                    Err(SimError::ZeroSize { what })
                } else if u64::from(parts) > len {
                    Err(SimError::TooFewToSplit {
                        what,
                        len,
                        parts: u64::from(parts),
                    })
                } else {
                    Ok(())
                }
            };
            check("GEMM output rows (m)", s.m_parts, g.m)?;
            check(
                "GEMM reduction (k, whole input channels for a convolution)",
                s.k_parts,
                g.k_cut_max(),
            )?;
            check("GEMM output columns (n)", s.n_parts, g.n)?;
            if s.tiles() > t {
                return Err(SimError::TooLarge {
                    what: "tiles used by the forced split",
                    value: s.tiles(),
                    max: t,
                });
            }
            // Each group of products gets the forced split; as many groups as the tiles hold.
            let bp = (1..=g.batch.min(t / s.tiles()))
                .rev()
                .find(divides)
                .unwrap_or(1);
            return Ok((bp, s));
        }
        let resident = self.weight_bytes.iter().copied().max().unwrap_or(0);
        let room = self.config.tile_memory.0.saturating_sub(resident);
        let mut best: Option<(u64, (u64, GemmSplit))> = None;
        let mut fallback: Option<(u64, (u64, GemmSplit))> = None;
        for bp in (1..=g.batch.min(t)).filter(divides) {
            let tg = t / bp;
            for mp in 1..=g.m.min(tg) {
                for kp in 1..=g.k_cut_max().min(tg / mp) {
                    let np = g.n.min(tg / (mp * kp));
                    // Each ≤ t ≤ MAX_TILES < 2^32.
                    let s = GemmSplit {
                        m_parts: mp as u32,
                        k_parts: kp as u32,
                        n_parts: np as u32,
                    };
                    let (cost, weights) = self.estimate(g, bp, s, b_is_weight, ds, rate);
                    if weights <= room {
                        if best.is_none_or(|(c, _)| cost < c) {
                            best = Some((cost, (bp, s)));
                        }
                    } else if fallback.is_none_or(|(w, _)| weights < w) {
                        fallback = Some((weights, (bp, s)));
                    }
                }
            }
        }
        best.or(fallback)
            .map(|(_, choice)| choice)
            .ok_or_else(|| SimError::UnsupportedWorkload {
                reason: format!("no split of \"{name}\" over the tiles was found."),
            })
    }

    fn gemm(&mut self, op_idx: usize) -> Result<(), SimError> {
        let workload = self.workload;
        let op = &workload.ops[op_idx];
        let name = op.name.clone();
        let Some(mut g) = Self::gemm_view(op.kind) else {
            return Ok(());
        };
        let (a_id, b_id, out_id) = (op.inputs[0], op.inputs[1], op.output);
        g.b_batched =
            g.batch > 1 && self.workload.tensor(b_id).elements() == prod(&[g.batch, g.k, g.n]);
        let b_is_weight = self.workload.tensor(b_id).kind == TensorKind::Weight;
        let ds = self.dsize(out_id);
        let rate = self.rate(op_idx);
        let (bp, s) = self.choose_split(&g, b_is_weight, ds, rate, &name)?;
        let (mp, kp, np) = (
            u64::from(s.m_parts),
            u64::from(s.k_parts),
            u64::from(s.n_parts),
        );
        // Budget: needed runs and output runs per tile.
        let per_tile = match g.conv {
            Some((batch, c_in, ..)) => {
                let imgs = (div_ceil(g.m, mp) / (g.m / batch).max(1) + 2).min(batch);
                imgs * (div_ceil(c_in, kp) + div_ceil(g.n, np)) + 8
            }
            None => div_ceil(g.batch, bp) * (3 * div_ceil(g.m, mp) + div_ceil(g.k, kp)) + 8,
        };
        self.budget(
            bp.saturating_mul(s.tiles()).saturating_mul(per_tile),
            &format!("\"{name}\""),
        )?;

        let n_tiles = self.config.n_tiles as usize;
        // Group `bi` of products holds tiles `bi · group ..`; inside it, block (i, j, l).
        let group = s.tiles();
        let tile_of = |bi: u64, i: u64, j: u64, l: u64| -> u32 {
            (bi * group + (i * np + l) * kp + j) as u32
        };
        let mut incoming = BTreeMap::new();
        let mut needed = vec![0u64; n_tiles];
        let mut vertices = vec![Vec::new(); n_tiles];
        // Output runs of each (bi, i, l) block, in the block's element order.
        let mut block_runs: Vec<Vec<Run>> = Vec::with_capacity((bp * mp * np) as usize);
        let mut transient = vec![0u64; n_tiles];
        let b_ds = self.dsize(b_id);
        for bi in 0..bp {
            // Products h0 .. h0 + hb: `a` is `[batch, m, k]`, the output `[batch, m, n]`.
            let (h0, hb) = block(g.batch, bp, bi);
            let b_heads = if g.b_batched { h0..h0 + hb } else { 0..1 };
            for i in 0..mp {
                let (r0, mb) = block(g.m, mp, i);
                for l in 0..np {
                    let (n0, nb) = block(g.n, np, l);
                    let mut out_runs = Vec::new();
                    match g.conv {
                        None => {
                            let rows = batch_rows(h0..h0 + hb, r0..r0 + mb, g.m);
                            push_row_runs(&mut out_runs, rows, g.n, n0, nb);
                        }
                        Some((_, _, _, _, _, _, ho, wo)) => {
                            let hw = ho * wo;
                            for c in n0..n0 + nb {
                                for (img, p, hi) in image_spans(r0, mb, hw) {
                                    push_run(&mut out_runs, (img * g.n + c) * hw + p % hw, hi - p);
                                }
                            }
                        }
                    }
                    block_runs.push(out_runs);
                    for j in 0..kp {
                        let tile = tile_of(bi, i, j, l);
                        let (k0, kb) = g.k_block(kp, j);
                        let mut a_runs = Vec::new();
                        match g.conv {
                            None => {
                                let rows = batch_rows(h0..h0 + hb, r0..r0 + mb, g.m);
                                push_row_runs(&mut a_runs, rows, g.k, k0, kb);
                            }
                            Some((_, c_in, h, w, kh, _, ho, wo)) => {
                                let (c0, cb) = block(c_in, kp, j);
                                let hw = ho * wo;
                                for (img, p, hi) in image_spans(r0, mb, hw) {
                                    let (oy_a, oy_b) = ((p % hw) / wo, ((hi - 1) % hw) / wo);
                                    let rows = (oy_b + kh).min(h) - oy_a;
                                    for c in c0..c0 + cb {
                                        push_run(
                                            &mut a_runs,
                                            ((img * c_in + c) * h + oy_a) * w,
                                            rows * w,
                                        );
                                    }
                                }
                            }
                        }
                        let (a_total, a_remote) = self.gather(a_id, &a_runs, tile, &mut incoming);
                        let (mut b_total, mut b_remote) = (0, 0);
                        if b_is_weight {
                            let b_mats = b_heads.end - b_heads.start;
                            self.weight_bytes[tile as usize] += b_mats * kb * nb * b_ds;
                        } else {
                            // A shared `b` is read once for all the tile's products.
                            let mut b_runs = Vec::new();
                            let rows = batch_rows(b_heads.clone(), k0..k0 + kb, g.k);
                            push_row_runs(&mut b_runs, rows, g.n, n0, nb);
                            (b_total, b_remote) = self.gather(b_id, &b_runs, tile, &mut incoming);
                        }
                        needed[tile as usize] = a_remote + b_remote;
                        let outs = hb * mb * nb;
                        transient[tile as usize] = a_total + b_total + outs * ds;
                        vertices[tile as usize] =
                            self.vertices(op_idx, VertexKind::Partial, outs, 2 * kb, 1);
                    }
                }
            }
        }
        let mut stage = Stage {
            label: if kp > 1 {
                format!("{name}: partial sums")
            } else {
                name.clone()
            },
            vertices,
            incoming: incoming
                .into_iter()
                .map(|((f, t, x), b)| (f, t, TensorId(x), b))
                .collect(),
            needed,
            completes_op: (kp == 1).then_some(op_idx),
            gemm: true,
        };
        // (bi, i, l) of every output block, in `block_runs` order.
        let blocks =
            (0..bp).flat_map(|bi| (0..mp).flat_map(move |i| (0..np).map(move |l| (bi, i, l))));
        let mut layout = Vec::new();
        if kp == 1 {
            for ((bi, i, l), runs) in blocks.clone().zip(&block_runs) {
                let tile = tile_of(bi, i, 0, l);
                for &(start, len) in runs {
                    layout.push(Piece { start, len, tile });
                }
            }
        }
        for (t, &bytes) in transient.iter().enumerate() {
            // Index < n_tiles ≤ u32::MAX.
            self.check_memory(t as u32, bytes, &name)?;
        }
        self.items += stage.incoming.len() as u64;
        self.stages.push(stage);
        let compute_superstep = self.stages.len();
        let mut reduce_superstep = None;
        if kp > 1 {
            // Each tile of a group sums one share of the group's output block.
            let mut incoming = Vec::new();
            let mut needed = vec![0u64; n_tiles];
            let mut vertices = vec![Vec::new(); n_tiles];
            let mut transient = vec![0u64; n_tiles];
            for ((bi, i, l), runs) in blocks.zip(&block_runs) {
                let outs: u64 = runs.iter().map(|r| r.1).sum();
                for j in 0..kp {
                    let tile = tile_of(bi, i, j, l);
                    let (q0, part) = block(outs, kp, j);
                    for jj in (0..kp).filter(|&jj| jj != j) {
                        if part > 0 {
                            incoming.push((tile_of(bi, i, jj, l), tile, out_id, part * ds));
                        }
                    }
                    needed[tile as usize] = part * (kp - 1) * ds;
                    transient[tile as usize] = part * kp * ds;
                    vertices[tile as usize] =
                        self.vertices(op_idx, VertexKind::Reduce, part, kp - 1, 1);
                    // The share's place in the tensor.
                    let mut q = 0u64;
                    for &(start, len) in runs {
                        let lo = q.max(q0);
                        let hi = (q + len).min(q0 + part);
                        if lo < hi {
                            layout.push(Piece {
                                start: start + (lo - q),
                                len: hi - lo,
                                tile,
                            });
                        }
                        q += len;
                    }
                }
            }
            for (t, &bytes) in transient.iter().enumerate() {
                self.check_memory(t as u32, bytes, &name)?;
            }
            self.items += incoming.len() as u64;
            stage = Stage {
                label: format!("{name}: reduce"),
                vertices,
                incoming,
                needed,
                completes_op: Some(op_idx),
                gemm: true,
            };
            self.stages.push(stage);
            reduce_superstep = Some(self.stages.len());
        }
        layout.sort_by_key(|p| p.start);
        self.items += layout.len() as u64;
        self.layouts[out_id.0] = Some(layout);
        let split = if g.batch > 1 {
            OpSplit::BatchedGemm {
                // bp ≤ n_tiles ≤ u32::MAX.
                batch_parts: bp as u32,
                split: s,
            }
        } else {
            OpSplit::Gemm(s)
        };
        self.ops.push(OpMapping {
            name,
            label: self.workload.ops[op_idx].kind.label(),
            split,
            flops: self.workload.ops[op_idx].kind.flops(),
            compute_superstep,
            reduce_superstep,
        });
        Ok(())
    }

    fn blocks(&mut self, op_idx: usize) -> Result<(), SimError> {
        let workload = self.workload;
        let op = &workload.ops[op_idx];
        let name = op.name.clone();
        let kind = op.kind;
        let out_id = op.output;
        let len = self.workload.tensor(out_id).elements();
        let inputs = op.inputs.clone();
        // Rows that must stay whole on one tile.
        let grain = match kind {
            OpKind::Softmax { cols, .. } | OpKind::LayerNorm { cols, .. } => cols,
            _ => 1,
        };
        let rows = len / grain.max(1);
        let rows_per_block = div_ceil(self.min_block(), grain.max(1));
        let parts = div_ceil(rows, rows_per_block).min(self.n_tiles);
        let per_tile = match kind {
            OpKind::MaxPool { h, w, size, .. } => {
                div_ceil(rows, parts) / ((h / size) * (w / size)).max(1) + 4
            }
            _ => 4,
        };
        self.budget(parts.saturating_mul(per_tile), &format!("\"{name}\""))?;
        let flops = kind.flops();
        let n_tiles = self.config.n_tiles as usize;
        let ds = self.dsize(out_id);
        let mut incoming = BTreeMap::new();
        let mut needed = vec![0u64; n_tiles];
        let mut vertices = vec![Vec::new(); n_tiles];
        let mut layout = Vec::with_capacity(parts as usize);
        for j in 0..parts {
            let tile = j as u32;
            let (r0, rb) = block(rows, parts, j);
            let (o0, ob) = (r0 * grain, rb * grain);
            let mut total_in = 0;
            let mut remote = 0;
            for (pos, &input) in inputs.iter().enumerate() {
                let t = self.workload.tensor(input);
                let in_len = t.elements();
                let mut runs = Vec::new();
                match kind {
                    OpKind::MaxPool { h, w, size, .. } => {
                        let (ho, wo) = (h / size, w / size);
                        let plane_out = ho * wo;
                        let mut q = o0;
                        while q < o0 + ob {
                            let plane = q / plane_out;
                            let hi = (o0 + ob).min((plane + 1) * plane_out);
                            let (oy_a, oy_b) = ((q % plane_out) / wo, ((hi - 1) % plane_out) / wo);
                            push_run(
                                &mut runs,
                                plane * h * w + oy_a * size * w,
                                (oy_b + 1 - oy_a) * size * w,
                            );
                            q = hi;
                        }
                    }
                    _ if pos == 1 && in_len != len => {
                        // A broadcast operand (a bias): the elements this block reads.
                        if ob >= in_len {
                            push_run(&mut runs, 0, in_len);
                        } else {
                            let s = o0 % in_len;
                            let first = ob.min(in_len - s);
                            push_run(&mut runs, s, first);
                            if first < ob {
                                runs.insert(0, (0, ob - first));
                            }
                        }
                    }
                    _ => push_run(&mut runs, o0, ob),
                }
                if t.kind == TensorKind::Weight {
                    let bytes: u64 = runs.iter().map(|r| r.1).sum::<u64>() * t.dtype.size().0;
                    self.weight_bytes[j as usize] += bytes;
                } else {
                    let (a, r) = self.gather(input, &runs, tile, &mut incoming);
                    total_in += a;
                    remote += r;
                }
            }
            needed[j as usize] = remote;
            // FLOPs of this block: its share of the op's count.
            vertices[j as usize] = self.vertices(op_idx, VertexKind::Elementwise, ob, flops, len);
            self.check_memory(tile, total_in + ob * ds, &name)?;
            layout.push(Piece {
                start: o0,
                len: ob,
                tile,
            });
        }
        let stage = Stage {
            label: name.clone(),
            vertices,
            incoming: incoming
                .into_iter()
                .map(|((f, t, x), b)| (f, t, TensorId(x), b))
                .collect(),
            needed,
            completes_op: Some(op_idx),
            gemm: false,
        };
        self.items += stage.incoming.len() as u64 + layout.len() as u64;
        self.stages.push(stage);
        self.layouts[out_id.0] = Some(layout);
        self.ops.push(OpMapping {
            name,
            label: kind.label(),
            split: OpSplit::Blocks {
                parts: parts as u32,
            },
            flops,
            compute_superstep: self.stages.len(),
            reduce_superstep: None,
        });
        Ok(())
    }

    /// Cuts the stages into supersteps and schedules each exchange.
    fn finish(self) -> Result<IpuProgram, SimError> {
        let n = self.config.n_tiles as usize;
        let tile_steps = (self.stages.len() as u64 + 1).saturating_mul(self.n_tiles);
        let total = self
            .items
            .saturating_add(tile_steps.saturating_mul(BYTES_PER_TILE_STEP / BYTES_PER_ITEM));
        if total > MAX_PROGRAM_ITEMS {
            return Err(SimError::OverMemoryBudget {
                what: format!(
                    "the program for \"{}\" ({} tiles × {} supersteps)",
                    self.workload.name,
                    self.n_tiles,
                    self.stages.len() + 1
                ),
                estimate: Bytes(total.saturating_mul(BYTES_PER_ITEM)),
                budget: Bytes(MAX_PROGRAM_ITEMS * BYTES_PER_ITEM),
            });
        }
        // Weights stay for the whole run, so a later op's weights must fit beside an earlier
        // op's data as well.
        for (t, name) in self.peak_op.iter().enumerate() {
            // t < n_tiles ≤ u32::MAX.
            self.fits(t as u32, self.weight_bytes[t], self.peak_transient[t], name)?;
        }
        let bw = u64::from(self.config.exchange_bytes_per_cycle);
        let mut supersteps = Vec::with_capacity(self.stages.len() + 1);
        let mut stages = self.stages;
        for index in 0..=stages.len() {
            let (label, vertices, completes_op, gemm) =
                match index.checked_sub(1).and_then(|i| stages.get_mut(i)) {
                    Some(st) => (
                        st.label.clone(),
                        Some(std::mem::take(&mut st.vertices)),
                        st.completes_op,
                        st.gemm,
                    ),
                    None => ("inputs in place".to_owned(), None, None, false),
                };
            let mut tiles = vec![TileStep::default(); n];
            let mut compute = Cycle::ZERO;
            if let Some(vs) = vertices {
                for (t, v) in vs.into_iter().enumerate() {
                    let c = v.iter().map(|v| v.cycles).max().unwrap_or(Cycle::ZERO);
                    tiles[t].vertices = v;
                    tiles[t].compute = c;
                    compute = compute.max(c);
                }
            }
            let mut exchange = Vec::new();
            let mut exchange_cycles = Cycle::ZERO;
            if let Some(next) = stages.get(index) {
                for (t, &b) in next.needed.iter().enumerate() {
                    tiles[t].bytes_needed = Bytes(b);
                }
                let nt = n as u64;
                let mut order: Vec<&(u32, u32, TensorId, u64)> = next.incoming.iter().collect();
                order.sort_by_key(|&&(f, t, x, _)| ((u64::from(t) + nt - u64::from(f)) % nt, f, x));
                let mut send_free = vec![0u64; n];
                let mut recv_free = vec![0u64; n];
                let mut spans: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n];
                for &&(from, to, tensor, bytes) in &order {
                    let (f, t) = (from as usize, to as usize);
                    let start = send_free[f].max(recv_free[t]);
                    let cycles = div_ceil(bytes, bw);
                    send_free[f] = start + cycles;
                    recv_free[t] = start + cycles;
                    spans[f].push((start, start + cycles));
                    spans[t].push((start, start + cycles));
                    tiles[f].bytes_sent += Bytes(bytes);
                    tiles[t].bytes_received += Bytes(bytes);
                    exchange_cycles = exchange_cycles.max(Cycle(start + cycles));
                    exchange.push(Transfer {
                        from,
                        to,
                        tensor,
                        bytes: Bytes(bytes),
                        start: Cycle(start),
                        cycles: Cycle(cycles),
                    });
                }
                for (t, mut s) in spans.into_iter().enumerate() {
                    s.sort_unstable();
                    let mut merged: Vec<(Cycle, Cycle)> = Vec::new();
                    for (a, b) in s {
                        match merged.last_mut() {
                            Some(last) if a <= last.1.0 => last.1 = last.1.max(Cycle(b)),
                            _ => merged.push((Cycle(a), Cycle(b))),
                        }
                    }
                    tiles[t].exchange_active = merged
                        .iter()
                        .fold(Cycle::ZERO, |acc, &(a, b)| acc + (b - a));
                    tiles[t].exchange_busy = merged;
                }
            }
            supersteps.push(Superstep {
                index,
                label,
                tiles,
                compute,
                exchange,
                exchange_cycles,
                completes_op,
                gemm,
            });
        }
        let memory_used = (0..n)
            .map(|t| Bytes(self.weight_bytes[t] + self.peak_transient[t]))
            .collect();
        let result_tensor = self.workload.ops.last().map_or(TensorId(0), |o| o.output);
        check_size("supersteps", supersteps.len() as u64, 1 << 20)?;
        Ok(IpuProgram {
            workload: self.workload.name.clone(),
            n_tiles: self.config.n_tiles,
            supersteps,
            ops: self.ops,
            memory_used,
            weight_bytes: self.weight_bytes.into_iter().map(Bytes).collect(),
            tile_memory: self.config.tile_memory,
            result_tensor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_even_and_cover_the_length() {
        // 10 over 4: 3, 3, 2, 2.
        let b: Vec<(u64, u64)> = (0..4).map(|j| block(10, 4, j)).collect();
        assert_eq!(b, [(0, 3), (3, 3), (6, 2), (8, 2)]);
        let mut runs = Vec::new();
        push_run(&mut runs, 0, 2);
        push_run(&mut runs, 2, 3);
        push_run(&mut runs, 7, 0);
        push_run(&mut runs, 8, 1);
        assert_eq!(runs, [(0, 5), (8, 1)]);
        // Rows 1..3 of products 1 and 2 of a [3, 4, ·] tensor: flat rows 5, 6, 9, 10.
        let rows: Vec<u64> = batch_rows(1..3, 1..3, 4).collect();
        assert_eq!(rows, [5, 6, 9, 10]);
        // Pixels 3..11 of images of 4 pixels: 3 in image 0, 4..8 in image 1, 8..11 in image 2.
        let spans: Vec<_> = image_spans(3, 8, 4).collect();
        assert_eq!(spans, [(0, 3, 4), (1, 4, 8), (2, 8, 11)]);
        assert_eq!(image_spans(5, 0, 4).count(), 0);
    }
}
