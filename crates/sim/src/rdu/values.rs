//! The numbers an RDU run computes, and a reference to check them against.
//!
//! Each micro-batch is one copy of the workload's input with its own values; the weights are
//! shared by every micro-batch (they sit in PMUs). A PCU accumulates a dot product in `k`
//! order in f32 (the real chip computes in BF16 with FP32 accumulation; this model uses f32
//! throughout). The reference evaluates the same graph in f64 and rounds the result once.
//!
//! Batched matrix products follow the workload's shapes: `a` is read as `[batch, m, k]` and
//! `b` as `[batch, k, n]` (or `[k, n]` shared by every batch) from contiguous memory, since
//! reshapes and transposes are free views in the workload model.

use crate::error::SimError;
use crate::rng::SplitMix64;
use crate::units::Bytes;
use crate::workload::eval::{evaluate, tensor_len};
use crate::workload::{OpKind, TensorKind, Workload};

/// Largest workload (in FLOPs over the micro-batches checked) whose values a run computes:
/// about 0.1 s of arithmetic in a page, twice (the run and the reference).
pub const MAX_VALUE_FLOPS: u64 = 1 << 26;

/// Epsilon of the layer norm (see [`crate::workload::eval::LAYER_NORM_EPS`]).
pub use crate::workload::eval::LAYER_NORM_EPS;

/// Why a workload's values are not computed, or `None` when they are.
#[must_use]
pub fn no_values_reason(workload: &Workload) -> Option<&'static str> {
    if workload
        .ops
        .iter()
        .any(|o| matches!(o.kind, OpKind::Conv2d { .. } | OpKind::MaxPool { .. }))
    {
        Some(
            "values are not computed for workloads with a convolution or pooling; this run gives timing only",
        )
    } else if workload.flops() > MAX_VALUE_FLOPS {
        Some(
            "values are computed only for workloads of up to 2^26 FLOPs per micro-batch (so the page stays responsive); this run gives timing only",
        )
    } else {
        None
    }
}

/// How many of `micro_batches` get their values computed: as many as fit
/// [`MAX_VALUE_FLOPS`], at least one (when the workload has values at all).
#[must_use]
pub fn micro_batches_checked(workload: &Workload, micro_batches: u32) -> u32 {
    if no_values_reason(workload).is_some() {
        return 0;
    }
    let per = workload.flops().max(1);
    let fit = (MAX_VALUE_FLOPS / per).clamp(1, u64::from(micro_batches));
    fit as u32
}

/// Bytes the values take in the page for `checked` micro-batches (f32 tensors and the f64
/// reference's working copy).
#[must_use]
pub fn values_bytes(workload: &Workload, checked: u32) -> Bytes {
    Bytes(
        crate::workload::eval::values_bytes(workload)
            .0
            .saturating_mul(u64::from(checked.max(1))),
    )
}

/// The workload's inputs and weights for micro-batch `mb`: weights from `seed` (the same for
/// every micro-batch), inputs from `seed` and `mb`.
fn seeded(workload: &Workload, seed: u64, mb: u32) -> Result<Vec<Vec<f32>>, SimError> {
    let mut weights = SplitMix64::new(seed);
    let mut inputs =
        SplitMix64::new(seed ^ (u64::from(mb) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut tensors = Vec::with_capacity(workload.tensors.len());
    for t in &workload.tensors {
        let n = tensor_len(t.elements())?;
        tensors.push(match t.kind {
            TensorKind::Activation => Vec::new(),
            TensorKind::Weight => (0..n).map(|_| weights.next_small_f32()).collect(),
            TensorKind::Input => (0..n).map(|_| inputs.next_small_f32()).collect(),
        });
    }
    Ok(tensors)
}

/// The result of every micro-batch checked: the machine's f32 values and the f64 reference.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedValues {
    /// Per micro-batch checked, the last op's output as the PCUs compute it (f32).
    pub results: Vec<Vec<f32>>,
    /// Per micro-batch checked, the f64 reference rounded to f32 once.
    pub references: Vec<Vec<f32>>,
}

impl CheckedValues {
    /// Computes the first `checked` micro-batches' results and references from `seed`.
    ///
    /// # Errors
    /// A tensor too large for this machine's address space.
    pub fn compute(workload: &Workload, seed: u64, checked: u32) -> Result<Self, SimError> {
        let mut results = Vec::new();
        let mut references = Vec::new();
        let Some(last) = workload.ops.last().map(|o| o.output.0) else {
            return Ok(Self {
                results,
                references,
            });
        };
        for mb in 0..checked {
            let base = seeded(workload, seed, mb)?;
            let mut f32s = base.clone();
            evaluate(workload, &mut f32s);
            let mut f64s: Vec<Vec<f64>> = base
                .iter()
                .map(|v| v.iter().map(|&x| f64::from(x)).collect())
                .collect();
            evaluate(workload, &mut f64s);
            results.push(f32s.swap_remove(last));
            // Rounding to f32 once is the point.
            references.push(f64s[last].iter().map(|&x| x as f32).collect());
        }
        Ok(Self {
            results,
            references,
        })
    }

    /// The largest difference between result and reference, relative to `1 + |reference|`.
    #[must_use]
    pub fn worst_difference(&self) -> f32 {
        self.results
            .iter()
            .zip(&self.references)
            .flat_map(|(a, b)| a.iter().zip(b))
            .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
            .fold(0.0f32, f32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_linear_layer_matches_a_hand_computation() {
        // y = relu(x·W + b), x: [1, 2], W: [2, 2], b: [2].
        let w = crate::workload::presets::linear(1, 2, 2, true).unwrap();
        let mut t = vec![
            vec![1.0f32, 2.0],
            vec![1.0, -1.0, 0.5, 0.25],
            vec![0.0, -2.0],
            Vec::new(),
            Vec::new(),
            Vec::new(),
        ];
        evaluate(&w, &mut t);
        // x·W = [1·1 + 2·0.5, 1·(−1) + 2·0.25] = [2, −0.5]; + b = [2, −2.5]; relu = [2, 0].
        assert_eq!(t[5], vec![2.0, 0.0]);
    }

    #[test]
    fn batched_products_read_each_head_separately() {
        let bert = crate::workload::presets::bert_tiny_encoder_layer().unwrap();
        assert_eq!(micro_batches_checked(&bert, 8), 1);
        let v = CheckedValues::compute(&bert, 7, 1).unwrap();
        assert_eq!(v.results[0].len(), 128 * 128);
        assert!(v.worst_difference() < 1e-4, "{}", v.worst_difference());
        let cnn = crate::workload::presets::graphcore_mnist_cnn(1).unwrap();
        assert!(no_values_reason(&cnn).is_some());
    }
}
