//! The numbers an IPU run computes: each op evaluated in f32 in the order the tiles sum
//! (partial dot products over each tile's slice of `k` in ascending order, then the partials
//! of a split reduction added in slice order), and an independent f64 reference.
//!
//! A matmul reads its inputs as the shapes in [`OpKind`]'s table: `a` as `[batch, m, k]` and
//! `b` as `[batch, k, n]`, or `[k, n]` shared by every product. Reshapes and transposes are
//! free views in the workload model, so BERT's per-head products read `Q`, `K` and `V` as
//! reshaped from their flat `[seq, 128]` buffers, not transposed or cut by columns: the check
//! is of the machine's arithmetic on the graph as given, the same graph every simulator runs.
//!
//! Convolutions have no values here: an IPU run of a workload with a convolution gives its
//! timing only ([`super::IpuRun::result`] is `None`, with the reason).

use super::program::IpuProgram;
use crate::error::SimError;
use crate::rng::SplitMix64;
pub use crate::workload::eval::values_bytes;
use crate::workload::eval::{gelu, tensor_len};
use crate::workload::{Activation, Binary, OpKind, TensorKind, Workload};

/// Largest workload (in FLOPs) whose values a run computes: about 0.1 s of arithmetic in a
/// page, twice (the run and the reference). Larger workloads run for timing only.
pub const MAX_VALUE_FLOPS: u64 = 1 << 26;

/// Why a workload's values are not simulated, or `None` when they are.
#[must_use]
pub fn no_values_reason(workload: &Workload) -> Option<&'static str> {
    if workload
        .ops
        .iter()
        .any(|o| matches!(o.kind, OpKind::Conv2d { .. }))
    {
        Some(
            "values are not simulated for workloads with a convolution; this run gives timing only",
        )
    } else if workload.flops() > MAX_VALUE_FLOPS {
        Some(
            "values are simulated only for workloads of up to 2^26 FLOPs (so the page stays \
             responsive); this run gives timing only",
        )
    } else {
        None
    }
}

/// Largest relative difference (`|got − want| / (1 + |want|)`) between a run's f32 values
/// and the f64 reference that still counts as f32 rounding.
///
/// 1e-5 for workloads of matmuls, adds, ReLU and pooling: the tiles add partial sums in
/// another order than the reference, and each output rounds a few times. 1e-4 once a
/// workload has a softmax, a layer norm or GELU: a layer norm divides by its row's standard
/// deviation and so magnifies the rounding already in its input, and `exp` and `tanh` round
/// too (the BERT layer's worst is about 3e-5).
#[must_use]
pub fn tolerance(workload: &Workload) -> f32 {
    let nonlinear = workload.ops.iter().any(|o| {
        matches!(
            o.kind,
            OpKind::Softmax { .. }
                | OpKind::LayerNorm { .. }
                | OpKind::Activation {
                    func: Activation::Gelu,
                    ..
                }
        )
    });
    if nonlinear { 1e-4 } else { 1e-5 }
}

/// The largest `|got − want| / (1 + |want|)` over the outputs (infinite when the lengths
/// differ, NaN-free: a NaN output counts as infinite).
#[must_use]
pub fn worst_relative_difference(got: &[f32], want: &[f32]) -> f32 {
    if got.len() != want.len() {
        return f32::INFINITY;
    }
    got.iter()
        .zip(want)
        .map(|(a, b)| {
            let d = (a - b).abs() / (1.0 + b.abs());
            if d.is_nan() { f32::INFINITY } else { d }
        })
        .fold(0.0f32, f32::max)
}

/// Every tensor's values (f32), inputs and weights drawn from a seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// By tensor index; empty until written.
    pub tensors: Vec<Vec<f32>>,
}

impl Values {
    /// Inputs and weights in [-1, 1) from `seed`, in tensor order.
    ///
    /// # Errors
    /// A tensor too large for this machine's address space.
    pub fn seeded(workload: &Workload, seed: u64) -> Result<Self, SimError> {
        let mut rng = SplitMix64::new(seed);
        let mut tensors = Vec::with_capacity(workload.tensors.len());
        for t in &workload.tensors {
            let n = tensor_len(t.elements())?;
            tensors.push(if t.kind == TensorKind::Activation {
                Vec::new()
            } else {
                (0..n).map(|_| rng.next_small_f32()).collect()
            });
        }
        Ok(Self { tensors })
    }

    /// Evaluates op `op_idx` in the tiles' order.
    pub fn run_op(&mut self, workload: &Workload, program: &IpuProgram, op_idx: usize) {
        let Some(op) = workload.ops.get(op_idx) else {
            return;
        };
        let input = |i: usize| -> &[f32] {
            op.inputs
                .get(i)
                .and_then(|id| self.tensors.get(id.0))
                .map_or(&[], Vec::as_slice)
        };
        let out = match op.kind {
            OpKind::MatMul { batch, m, k, n } => {
                let kp = program
                    .ops
                    .get(op_idx)
                    .and_then(|o| o.split.gemm())
                    .map_or(1, |s| u64::from(s.k_parts));
                let (a, b) = (input(0), input(1));
                let (batch, m, k, n) = (batch as usize, m as usize, k as usize, n as usize);
                let shared = b.len() == k * n;
                let blocks: Vec<(usize, usize)> = (0..kp)
                    .map(|j| {
                        let base = k as u64 / kp;
                        let extra = k as u64 % kp;
                        let start = j * base + j.min(extra);
                        (start as usize, (base + u64::from(j < extra)) as usize)
                    })
                    .collect();
                // Each output sums its k-block in ascending order, then the blocks' sums in
                // block order; a row of outputs at a time (the same additions, vectorised).
                let mut y = vec![0.0f32; batch * m * n];
                let mut acc = vec![0.0f32; n];
                for h in 0..batch {
                    let (a, b) = (&a[h * m * k..], if shared { b } else { &b[h * k * n..] });
                    for r in 0..m {
                        let out = &mut y[(h * m + r) * n..][..n];
                        for (j, &(k0, kb)) in blocks.iter().enumerate() {
                            acc.fill(0.0);
                            for kk in k0..k0 + kb {
                                let x = a[r * k + kk];
                                for (s, &w) in acc.iter_mut().zip(&b[kk * n..][..n]) {
                                    *s += x * w;
                                }
                            }
                            if j == 0 {
                                out.copy_from_slice(&acc);
                            } else {
                                for (o, &s) in out.iter_mut().zip(&acc) {
                                    *o += s;
                                }
                            }
                        }
                    }
                }
                y
            }
            OpKind::Binary { op: bop, .. } => {
                let (a, b) = (input(0), input(1));
                a.iter()
                    .enumerate()
                    .map(|(i, &x)| {
                        let v = b.get(i % b.len().max(1)).copied().unwrap_or(0.0);
                        match bop {
                            Binary::Add => x + v,
                            Binary::Mul => x * v,
                        }
                    })
                    .collect()
            }
            OpKind::Activation { func, .. } => input(0)
                .iter()
                .map(|&x| match func {
                    Activation::Relu => x.max(0.0),
                    Activation::Gelu => gelu(x),
                })
                .collect(),
            OpKind::Softmax { cols, .. } => {
                let mut y = input(0).to_vec();
                for row in y.chunks_mut(cols as usize) {
                    let max = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                    let mut sum = 0.0f32;
                    for v in row.iter_mut() {
                        *v = (*v - max).exp();
                        sum += *v;
                    }
                    for v in row.iter_mut() {
                        *v /= sum;
                    }
                }
                y
            }
            OpKind::LayerNorm { cols, .. } => {
                let mut y = input(0).to_vec();
                for row in y.chunks_mut(cols as usize) {
                    let n = row.len() as f32;
                    let mean = row.iter().sum::<f32>() / n;
                    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
                    let inv = 1.0 / (var + LAYER_NORM_EPS as f32).sqrt();
                    for v in row.iter_mut() {
                        *v = (*v - mean) * inv;
                    }
                }
                y
            }
            OpKind::MaxPool {
                batch,
                channels,
                h,
                w,
                size,
            } => maxpool(
                input(0),
                batch * channels,
                h,
                w,
                size,
                f32::NEG_INFINITY,
                f32::max,
            ),
            OpKind::Conv2d { .. } => Vec::new(),
        };
        if let Some(t) = self.tensors.get_mut(op.output.0) {
            *t = out;
        }
    }
}

/// Epsilon of the layer norm (see [`crate::workload::eval::LAYER_NORM_EPS`]).
pub use crate::workload::eval::LAYER_NORM_EPS;

fn maxpool<T: Copy>(
    x: &[T],
    planes: u64,
    h: u64,
    w: u64,
    size: u64,
    low: T,
    max: impl Fn(T, T) -> T,
) -> Vec<T> {
    let (ho, wo) = (h / size, w / size);
    let mut y = Vec::with_capacity((planes * ho * wo) as usize);
    for p in 0..planes {
        for oy in 0..ho {
            for ox in 0..wo {
                let mut m = low;
                for dy in 0..size {
                    for dx in 0..size {
                        let i = (p * h * w + (oy * size + dy) * w + ox * size + dx) as usize;
                        if let Some(&v) = x.get(i) {
                            m = max(m, v);
                        }
                    }
                }
                y.push(m);
            }
        }
    }
    y
}

/// The workload evaluated in f64 from the same inputs and weights, straightforward sums;
/// the last op's output rounded to f32.
#[must_use]
pub fn reference_f64(workload: &Workload, seeded: &Values) -> Vec<f32> {
    let mut t: Vec<Vec<f64>> = seeded
        .tensors
        .iter()
        .map(|v| v.iter().map(|&x| f64::from(x)).collect())
        .collect();
    for op in &workload.ops {
        let get = |i: usize| -> &[f64] {
            op.inputs
                .get(i)
                .and_then(|id| t.get(id.0))
                .map_or(&[], Vec::as_slice)
        };
        let out: Vec<f64> = match op.kind {
            OpKind::MatMul { batch, m, k, n } => {
                let (a, b) = (get(0), get(1));
                let (batch, m, k, n) = (batch as usize, m as usize, k as usize, n as usize);
                let shared = b.len() == k * n;
                // Straight sums in k order, a row of outputs at a time.
                let mut y = vec![0.0f64; batch * m * n];
                for h in 0..batch {
                    let b = if shared { b } else { &b[h * k * n..] };
                    for r in 0..m {
                        let out = &mut y[(h * m + r) * n..][..n];
                        for kk in 0..k {
                            let x = a[(h * m + r) * k + kk];
                            for (o, &w) in out.iter_mut().zip(&b[kk * n..][..n]) {
                                *o += x * w;
                            }
                        }
                    }
                }
                y
            }
            OpKind::Binary { op: bop, .. } => {
                let (a, b) = (get(0), get(1));
                a.iter()
                    .enumerate()
                    .map(|(i, &x)| {
                        let v = b.get(i % b.len().max(1)).copied().unwrap_or(0.0);
                        match bop {
                            Binary::Add => x + v,
                            Binary::Mul => x * v,
                        }
                    })
                    .collect()
            }
            OpKind::Activation { func, .. } => get(0)
                .iter()
                .map(|&x| match func {
                    Activation::Relu => x.max(0.0),
                    Activation::Gelu => gelu(x),
                })
                .collect(),
            OpKind::Softmax { cols, .. } => get(0)
                .chunks(cols as usize)
                .flat_map(|row| {
                    let max = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                    let e: Vec<f64> = row.iter().map(|v| (v - max).exp()).collect();
                    let s: f64 = e.iter().sum();
                    e.into_iter().map(move |v| v / s)
                })
                .collect(),
            OpKind::LayerNorm { cols, .. } => get(0)
                .chunks(cols as usize)
                .flat_map(|row| {
                    let n = row.len() as f64;
                    let mean = row.iter().sum::<f64>() / n;
                    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                    let inv = 1.0 / (var + LAYER_NORM_EPS).sqrt();
                    row.iter().map(move |v| (v - mean) * inv)
                })
                .collect(),
            OpKind::MaxPool {
                batch,
                channels,
                h,
                w,
                size,
            } => maxpool(
                get(0),
                batch * channels,
                h,
                w,
                size,
                f64::NEG_INFINITY,
                f64::max,
            ),
            OpKind::Conv2d { .. } => Vec::new(),
        };
        if let Some(slot) = t.get_mut(op.output.0) {
            *slot = out;
        }
    }
    workload
        .ops
        .last()
        .and_then(|o| t.get(o.output.0))
        // Rounding to f32 once is the point.
        .map_or_else(Vec::new, |v| v.iter().map(|&x| x as f32).collect())
}
