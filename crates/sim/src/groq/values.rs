//! The numbers a Groq run computes, vector by vector as the schedule's instructions handle
//! them, and an independent f64 reference.
//!
//! Tensors are flat row-major buffers, and an op reads its inputs as the shapes in
//! [`OpKind`]'s table: a matmul's `a` as `[batch, m, k]` and `b` as `[k, n]` (or
//! `[batch, k, n]` when it has that many elements). So BERT's per-head products read `Q`
//! and `K` as reshaped, not transposed: the check is of the machine's arithmetic on the
//! graph as given, not of attention's exact maths. Softmax and layer norm work on rows; the
//! layer norm has no scale or shift (ε = 1e-5).

use super::program::Work;
use crate::error::SimError;
use crate::rng::SplitMix64;
pub use crate::workload::eval::values_bytes;
use crate::workload::eval::{gelu, tensor_len};
use crate::workload::{Activation, Binary, OpKind, TensorKind, Workload};

/// Largest workload (in FLOPs) whose values a run computes (about a quarter of a second of
/// arithmetic in a page, spread over the run). Larger workloads run for timing only.
pub const MAX_VALUE_FLOPS: u64 = 1 << 28;
/// Layer norm's ε (see [`crate::workload::eval::LAYER_NORM_EPS`]).
pub use crate::workload::eval::LAYER_NORM_EPS;

/// What the input tensors hold (weights are always drawn from the seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputValues {
    /// Every input element is 1, like the dummy inputs `groqit` compiles with.
    Ones,
    /// Inputs drawn from this seed in [-1, 1).
    Seeded(u64),
}

/// Why a workload's values are not computed, or `None` when they are.
#[must_use]
pub fn no_values_reason(workload: &Workload) -> Option<&'static str> {
    (workload.flops() > MAX_VALUE_FLOPS).then_some(
        "values are computed only for workloads of up to 2^28 FLOPs (so the page stays responsive); this run gives timing only",
    )
}

/// Every tensor's values (f32), by tensor index.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// By tensor index.
    pub tensors: Vec<Vec<f32>>,
}

impl Values {
    /// Weights in [-1, 1) from `seed` (scaled by 1/√rows so products stay near 1), inputs as
    /// `inputs` says, activations zero.
    ///
    /// # Errors
    /// A tensor too large for this machine's address space.
    pub fn new(workload: &Workload, inputs: InputValues, seed: u64) -> Result<Self, SimError> {
        let mut rng = SplitMix64::new(seed);
        let mut input_rng = SplitMix64::new(match inputs {
            InputValues::Seeded(s) => s,
            InputValues::Ones => 0,
        });
        let mut tensors = Vec::with_capacity(workload.tensors.len());
        for t in &workload.tensors {
            let n = tensor_len(t.elements())?;
            tensors.push(match t.kind {
                TensorKind::Activation => vec![0.0; n],
                TensorKind::Input => match inputs {
                    InputValues::Ones => vec![1.0; n],
                    InputValues::Seeded(_) => (0..n).map(|_| input_rng.next_small_f32()).collect(),
                },
                TensorKind::Weight => {
                    let rows = t.shape.first().copied().unwrap_or(1).max(1) as f32;
                    let scale = 1.0 / rows.sqrt();
                    (0..n).map(|_| rng.next_small_f32() * scale).collect()
                }
            });
        }
        Ok(Self { tensors })
    }

    /// Does the arithmetic of vector `i` of an instruction's `work`; `v` is the vector length.
    pub fn apply(&mut self, workload: &Workload, v: u64, work: Work, i: u64) {
        let op_idx = match work {
            Work::None => return,
            Work::MatMulRows { op, .. } | Work::Elementwise { op } | Work::Rows { op, .. } => op,
        };
        let Some(op) = workload.ops.get(op_idx) else {
            return;
        };
        let mut out = std::mem::take(&mut self.tensors[op.output.0]);
        let input = |k: usize| {
            op.inputs
                .get(k)
                .and_then(|t| self.tensors.get(t.0))
                .map_or(&[][..], Vec::as_slice)
        };
        match (work, op.kind) {
            (
                Work::MatMulRows {
                    batch_idx,
                    n0,
                    n_len,
                    k0,
                    k_len,
                    ..
                },
                OpKind::MatMul { batch, m, k, n },
            ) => {
                let (a, b) = (input(0), input(1));
                let batched = batch > 1 && b.len() as u64 == batch * k * n;
                let row = (batch_idx * m + i) as usize;
                let b_base = if batched { batch_idx * k } else { 0 };
                let out_row = &mut out[row * n as usize..(row + 1) * n as usize];
                let a_row = &a[row * k as usize..(row + 1) * k as usize];
                for col in n0..n0 + n_len {
                    let mut acc = if k0 == 0 { 0.0 } else { out_row[col as usize] };
                    for kk in k0..k0 + k_len {
                        acc += a_row[kk as usize] * b[((b_base + kk) * n + col) as usize];
                    }
                    out_row[col as usize] = acc;
                }
            }
            (Work::Elementwise { .. }, kind) => {
                let start = (i * v) as usize;
                let end = ((i + 1) * v).min(out.len() as u64) as usize;
                let a = input(0);
                match kind {
                    OpKind::Binary { op: bin, .. } => {
                        let b = input(1);
                        let nb = b.len().max(1);
                        for e in start..end {
                            let y = b.get(e % nb).copied().unwrap_or(0.0);
                            out[e] = match bin {
                                Binary::Add => a[e] + y,
                                Binary::Mul => a[e] * y,
                            };
                        }
                    }
                    OpKind::Activation { func, .. } => {
                        for e in start..end {
                            out[e] = match func {
                                Activation::Relu => a[e].max(0.0),
                                Activation::Gelu => gelu(a[e]),
                            };
                        }
                    }
                    _ => {}
                }
            }
            (
                Work::Rows {
                    vectors_per_row, ..
                },
                OpKind::Softmax { cols, .. } | OpKind::LayerNorm { cols, .. },
            ) if i.is_multiple_of(vectors_per_row.max(1)) => {
                let r = (i / vectors_per_row.max(1)) as usize;
                let c = cols as usize;
                let x = &input(0)[r * c..(r + 1) * c];
                let y = &mut out[r * c..(r + 1) * c];
                if matches!(op.kind, OpKind::Softmax { .. }) {
                    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let mut sum = 0.0f32;
                    for (o, &xi) in y.iter_mut().zip(x) {
                        *o = (xi - max).exp();
                        sum += *o;
                    }
                    for o in y.iter_mut() {
                        *o /= sum;
                    }
                } else {
                    let mean = x.iter().sum::<f32>() / c as f32;
                    let var = x.iter().map(|xi| (xi - mean) * (xi - mean)).sum::<f32>() / c as f32;
                    let inv = 1.0 / (var + LAYER_NORM_EPS as f32).sqrt();
                    for (o, &xi) in y.iter_mut().zip(x) {
                        *o = (xi - mean) * inv;
                    }
                }
            }
            _ => {}
        }
        self.tensors[op.output.0] = out;
    }

    /// The values of the workload's last op.
    #[must_use]
    pub fn output(&self, workload: &Workload) -> Option<&[f32]> {
        let op = workload.ops.last()?;
        self.tensors.get(op.output.0).map(Vec::as_slice)
    }
}

/// The starting values in f64: the reference's own copy of every tensor.
#[must_use]
pub fn reference_start(start: &Values) -> Vec<Vec<f64>> {
    start
        .tensors
        .iter()
        .map(|v| v.iter().map(|&x| f64::from(x)).collect())
        .collect()
}

/// Work units of op `op_idx` for the reference, and the multiply-adds one unit costs: a
/// matmul's output rows, a softmax's or layer norm's rows, or an elementwise op's blocks of
/// [`REFERENCE_BLOCK`] elements.
#[must_use]
pub fn reference_units(workload: &Workload, op_idx: usize) -> (u64, u64) {
    match workload.ops.get(op_idx).map(|o| o.kind) {
        Some(OpKind::MatMul { batch, m, k, n }) => (batch * m, k * n),
        Some(OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols }) => (rows, cols),
        Some(OpKind::Binary { len, .. } | OpKind::Activation { len, .. }) => {
            (len.div_ceil(REFERENCE_BLOCK), REFERENCE_BLOCK)
        }
        _ => (0, 1),
    }
}

/// Elements per unit of an elementwise op in the reference.
pub const REFERENCE_BLOCK: u64 = 1_024;

/// Computes units `units` of op `op_idx` of `workload` in f64 into `t` (by tensor index),
/// in the plainest order (no blocks of the schedule), independently of the run's values.
pub fn reference_op(
    workload: &Workload,
    op_idx: usize,
    units: std::ops::Range<u64>,
    t: &mut [Vec<f64>],
) {
    let Some(op) = workload.ops.get(op_idx) else {
        return;
    };
    let mut y = std::mem::take(&mut t[op.output.0]);
    let get = |k: usize| op.inputs.get(k).map_or(0, |t| t.0);
    let a = &t[get(0)];
    let (lo, hi) = (units.start as usize, units.end as usize);
    match op.kind {
        OpKind::MatMul { batch, m, k, n } => {
            let b = &t[get(1)];
            let batched = batch > 1 && b.len() as u64 == batch * k * n;
            let (m, k, n) = (m as usize, k as usize, n as usize);
            for row in lo..hi {
                let bb = if batched { (row / m) * k * n } else { 0 };
                for c in 0..n {
                    y[row * n + c] = (0..k).map(|kk| a[row * k + kk] * b[bb + kk * n + c]).sum();
                }
            }
        }
        OpKind::Binary { op: bin, len } => {
            let b = &t[get(1)];
            let nb = b.len().max(1);
            let block = REFERENCE_BLOCK as usize;
            for e in lo * block..(hi * block).min(len as usize) {
                y[e] = match bin {
                    Binary::Add => a[e] + b[e % nb],
                    Binary::Mul => a[e] * b[e % nb],
                };
            }
        }
        OpKind::Activation { func, len } => {
            let block = REFERENCE_BLOCK as usize;
            for e in lo * block..(hi * block).min(len as usize) {
                y[e] = match func {
                    Activation::Relu => a[e].max(0.0),
                    Activation::Gelu => gelu(a[e]),
                };
            }
        }
        OpKind::Softmax { cols, .. } | OpKind::LayerNorm { cols, .. } => {
            let c = cols as usize;
            for r in lo..hi {
                let row = &a[r * c..(r + 1) * c];
                let out = &mut y[r * c..(r + 1) * c];
                if matches!(op.kind, OpKind::Softmax { .. }) {
                    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for (o, x) in out.iter_mut().zip(row) {
                        *o = (x - max).exp();
                        sum += *o;
                    }
                    for o in out.iter_mut() {
                        *o /= sum;
                    }
                } else {
                    let n = c as f64;
                    let mean = row.iter().sum::<f64>() / n;
                    let var = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                    let inv = 1.0 / (var + LAYER_NORM_EPS).sqrt();
                    for (o, x) in out.iter_mut().zip(row) {
                        *o = (x - mean) * inv;
                    }
                }
            }
        }
        OpKind::Conv2d { .. } | OpKind::MaxPool { .. } => {}
    }
    t[op.output.0] = y;
}

/// The workload's last output computed in f64 from the run's starting values, op by op
/// ([`reference_op`]).
#[must_use]
pub fn reference_f64(workload: &Workload, start: &Values) -> Vec<f64> {
    let mut t = reference_start(start);
    for op_idx in 0..workload.ops.len() {
        let (units, _) = reference_units(workload, op_idx);
        reference_op(workload, op_idx, 0..units, &mut t);
    }
    workload
        .ops
        .last()
        .map(|op| std::mem::take(&mut t[op.output.0]))
        .unwrap_or_default()
}

/// The largest difference between `got` and `want`, relative to `1 + |want|`.
#[must_use]
pub fn worst_relative_error(got: &[f32], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(&a, &b)| (f64::from(a) - b).abs() / (1.0 + b.abs()))
        .fold(0.0, f64::max)
}
