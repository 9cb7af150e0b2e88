//! The arithmetic of a workload's ops, written once for any number type: a machine's f32
//! values and an f64 reference come from the same code.
//!
//! Tensors are flat row-major buffers, indexed like [`Workload::tensors`]; an op reads its
//! inputs as the shapes in [`OpKind`]'s table (a matmul's `a` as `[batch, m, k]`, `b` as
//! `[k, n]` or `[batch, k, n]`), so reshapes are free views, as in the workload model. GELU is
//! the tanh form; softmax and layer norm work on rows; the layer norm has no scale or shift.

use super::{Activation, Binary, Op, OpKind, Workload};
use crate::error::SimError;
use crate::units::Bytes;

/// Epsilon of the layer norm (a common default; the workload does not fix one).
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// GELU, tanh form, in `R`.
pub fn gelu<R: Real>(x: R) -> R {
    let c = R::of((2.0 / std::f64::consts::PI).sqrt());
    R::of(0.5) * x * (R::ONE + (c * (x + R::of(0.044_715) * x * x * x)).tanh())
}

/// Bytes one copy of a workload's values takes in the page: every tensor in f32 and once more
/// in f64 for the reference (12 bytes an element).
#[must_use]
pub fn values_bytes(workload: &Workload) -> Bytes {
    Bytes(workload.tensors.iter().fold(0u64, |acc, t| {
        acc.saturating_add(t.elements().saturating_mul(12))
    }))
}

/// A tensor's element count as a buffer length, or the sentence that it is too large here.
///
/// # Errors
/// [`SimError::TooLarge`] when `n` does not fit a `usize` (a 32-bit page).
pub fn tensor_len(n: u64) -> Result<usize, SimError> {
    usize::try_from(n).map_err(|_| SimError::TooLarge {
        what: "a tensor's element count",
        value: n,
        max: usize::MAX as u64,
    })
}

/// A number type the evaluator runs in: `f32` for a machine's arithmetic, `f64` for a
/// reference.
pub trait Real:
    Copy
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Div<Output = Self>
    + PartialOrd
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// `x` in this type (rounded for `f32`).
    fn of(x: f64) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// `tanh(self)`.
    fn tanh(self) -> Self;
    /// `√self`.
    fn sqrt(self) -> Self;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn of(x: f64) -> Self {
        // Rounding to f32 is the point.
        x as f32
    }
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn of(x: f64) -> Self {
        x
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// Evaluates one op in `R`, reading its inputs from `t` (by tensor index) and writing its
/// output there. Convolutions and pooling are not evaluated (their output is left empty).
pub fn evaluate_op<R: Real>(op: &Op, t: &mut [Vec<R>]) {
    {
        let get = |i: usize| -> &[R] {
            op.inputs
                .get(i)
                .and_then(|id| t.get(id.0))
                .map_or(&[], Vec::as_slice)
        };
        let out: Vec<R> = match op.kind {
            OpKind::MatMul { batch, m, k, n } => {
                let (a, b) = (get(0), get(1));
                let (batch, m, k, n) = (batch as usize, m as usize, k as usize, n as usize);
                let shared = b.len() == k * n;
                let mut y = vec![R::ZERO; batch * m * n];
                for bi in 0..batch {
                    let a0 = bi * m * k;
                    let b0 = if shared { 0 } else { bi * k * n };
                    for r in 0..m {
                        for c in 0..n {
                            let mut acc = R::ZERO;
                            for kk in 0..k {
                                let x = a.get(a0 + r * k + kk).copied().unwrap_or(R::ZERO);
                                let w = b.get(b0 + kk * n + c).copied().unwrap_or(R::ZERO);
                                acc = acc + x * w;
                            }
                            y[bi * m * n + r * n + c] = acc;
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
                        let v = b.get(i % b.len().max(1)).copied().unwrap_or(R::ZERO);
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
                    Activation::Relu => {
                        if x > R::ZERO {
                            x
                        } else {
                            R::ZERO
                        }
                    }
                    Activation::Gelu => gelu(x),
                })
                .collect(),
            OpKind::Softmax { cols, .. } => {
                let mut y = get(0).to_vec();
                for row in y.chunks_mut(cols.max(1) as usize) {
                    let max = row
                        .iter()
                        .copied()
                        .fold(row[0], |a, b| if b > a { b } else { a });
                    let mut sum = R::ZERO;
                    for v in row.iter_mut() {
                        *v = (*v - max).exp();
                        sum = sum + *v;
                    }
                    for v in row.iter_mut() {
                        *v = *v / sum;
                    }
                }
                y
            }
            OpKind::LayerNorm { cols, .. } => {
                let mut y = get(0).to_vec();
                for row in y.chunks_mut(cols.max(1) as usize) {
                    let n = R::of(row.len() as f64);
                    let mean = row.iter().fold(R::ZERO, |a, &b| a + b) / n;
                    let var = row
                        .iter()
                        .fold(R::ZERO, |a, &v| a + (v - mean) * (v - mean))
                        / n;
                    let inv = R::ONE / (var + R::of(LAYER_NORM_EPS)).sqrt();
                    for v in row.iter_mut() {
                        *v = (*v - mean) * inv;
                    }
                }
                y
            }
            OpKind::Conv2d { .. } | OpKind::MaxPool { .. } => Vec::new(),
        };
        if let Some(slot) = t.get_mut(op.output.0) {
            *slot = out;
        }
    }
}

/// Evaluates every op of `workload` in order (see [`evaluate_op`]).
pub fn evaluate<R: Real>(workload: &Workload, t: &mut [Vec<R>]) {
    for op in &workload.ops {
        evaluate_op(op, t);
    }
}
