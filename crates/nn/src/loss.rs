//! Softmax and cross-entropy, with the gradient with respect to the logits.

use ndarray::{Array2, ArrayView2, Axis, Zip};

/// Which loss a classifier trains on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LossKind {
    /// Cross-entropy of the logits, `−log softmax(z)[label]`: the usual choice.
    #[default]
    CrossEntropy,
    /// The Graphcore MNIST example's loss: the model ends in a softmax and PyTorch's
    /// `CrossEntropyLoss` (which applies log-softmax itself) is applied to those
    /// *probabilities*, so the loss is `−log softmax(softmax(z))[label]`.
    ///
    /// Softmax is applied twice. The inputs to the second one lie in `[0, 1]`, so the loss can
    /// never go below `ln(1 + (k − 1)/e) ≈ 1.46` for `k = 10` classes, nor above
    /// `ln(e + k − 1) ≈ 2.46`, and its gradient is squashed: once the first softmax saturates
    /// (one probability near 1), `∂p/∂z` is near zero and learning stalls. It still trains, more
    /// slowly and with a smaller effective step, which changes how the learning rate behaves.
    /// Offered to reproduce the example faithfully.
    SoftmaxThenCrossEntropy,
}

/// A loss value (mean over the batch) and its gradient with respect to the logits.
#[derive(Clone, Debug, PartialEq)]
pub struct LossOutput {
    /// Mean loss over the batch.
    pub loss: f32,
    /// `∂loss/∂logits`, `[n, n_classes]` (already divided by `n`).
    pub dlogits: Array2<f32>,
}

impl LossKind {
    /// The loss of `logits` against `labels`, and its gradient.
    ///
    /// # Shapes
    /// `logits`: `[n, n_classes]`, `labels`: `[n]` → `dlogits`: `[n, n_classes]`
    pub fn evaluate(self, logits: ArrayView2<'_, f32>, labels: &[u8]) -> LossOutput {
        match self {
            Self::CrossEntropy => softmax_cross_entropy(logits, labels),
            Self::SoftmaxThenCrossEntropy => softmax_then_softmax_cross_entropy(logits, labels),
        }
    }
}

/// Row-wise softmax, computed stably (the row maximum is subtracted first).
///
/// # Shapes
/// `logits`: `[n, k]` → `[n, k]`
pub fn softmax(logits: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut p = logits.to_owned();
    for mut row in p.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    p
}

/// Mean cross-entropy of softmax(`logits`) against integer `labels`, and `∂loss/∂logits`
/// `= (softmax(logits) − one_hot(labels)) / n`.
///
/// # Shapes
/// `logits`: `[n, k]`, `labels`: `[n]` → `dlogits`: `[n, k]`
///
/// # Panics
/// If `labels` has a different length than `logits` has rows, or a label is `≥ k`.
///
/// # Example
/// Two samples, two classes. The first has equal logits, so `p = [½, ½]` and its loss is
/// `ln 2 ≈ 0.6931`. The second has logits `[ln 3, 0]`, so `p = [¾, ¼]`, and its label is 1: the
/// loss is `−ln ¼ ≈ 1.3863`. The mean is `1.0397`; the gradient is `(p − one_hot) / 2`.
/// ```
/// use ndarray::array;
/// use nn::loss::softmax_cross_entropy;
///
/// let logits = array![[0.0_f32, 0.0], [3.0_f32.ln(), 0.0]];
/// let out = softmax_cross_entropy(logits.view(), &[0, 1]);
/// assert!((out.loss - 1.0397).abs() < 1e-4);
/// let expected = array![[-0.25, 0.25], [0.375, -0.375]];
/// for (got, want) in out.dlogits.iter().zip(expected.iter()) {
///     assert!((got - want).abs() < 1e-6);
/// }
/// ```
pub fn softmax_cross_entropy(logits: ArrayView2<'_, f32>, labels: &[u8]) -> LossOutput {
    let (n, n_classes) = logits.dim();
    assert_labels(n, n_classes, labels);
    let mut dlogits = softmax(logits);
    let mut total = 0.0_f64;
    for (row_idx, (mut row, &label)) in dlogits.rows_mut().into_iter().zip(labels).enumerate() {
        let label = usize::from(label);
        // −log p[label] = logsumexp(z) − z[label], computed from the logits to stay accurate
        // when p[label] underflows.
        let z = logits.row(row_idx);
        let max = z.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let log_sum = z.fold(0.0_f32, |s, &v| s + (v - max).exp()).ln() + max;
        total += f64::from(log_sum - z[label]);
        row[label] -= 1.0;
    }
    let scale = 1.0 / n as f32;
    dlogits.mapv_inplace(|v| v * scale);
    LossOutput {
        loss: (total / n as f64) as f32,
        dlogits,
    }
}

/// The Graphcore example's loss ([`LossKind::SoftmaxThenCrossEntropy`]): cross-entropy applied to
/// `softmax(logits)` as if those probabilities were logits. The gradient chains the outer
/// cross-entropy's `g = (softmax(p) − one_hot)/n` through the inner softmax:
/// `∂loss/∂z = p ⊙ (g − Σⱼ gⱼ pⱼ)`.
///
/// # Shapes
/// `logits`: `[n, k]`, `labels`: `[n]` → `dlogits`: `[n, k]`
pub fn softmax_then_softmax_cross_entropy(
    logits: ArrayView2<'_, f32>,
    labels: &[u8],
) -> LossOutput {
    let p = softmax(logits);
    let LossOutput { loss, dlogits: dp } = softmax_cross_entropy(p.view(), labels);
    let dot = (&dp * &p).sum_axis(Axis(1));
    let mut dlogits = dp;
    Zip::from(dlogits.rows_mut())
        .and(p.rows())
        .and(&dot)
        .for_each(|mut d_row, p_row, &dot| {
            Zip::from(&mut d_row)
                .and(&p_row)
                .for_each(|d, &p| *d = p * (*d - dot));
        });
    LossOutput { loss, dlogits }
}

fn assert_labels(n: usize, n_classes: usize, labels: &[u8]) {
    assert_eq!(
        labels.len(),
        n,
        "{} labels for {n} rows of logits",
        labels.len()
    );
    if let Some(bad) = labels.iter().find(|&&l| usize::from(l) >= n_classes) {
        panic!("label {bad} is not below the {n_classes} classes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;
    use ndarray::array;

    #[test]
    fn softmax_rows_sum_to_one_even_for_huge_logits() {
        let p = softmax(array![[1000.0, 1000.0], [-1000.0, 0.0]].view());
        assert_eq!(p, array![[0.5, 0.5], [0.0, 1.0]]);
    }

    #[test]
    fn cross_entropy_gradient_matches_finite_differences() {
        let mut rng = rng_from_seed(12);
        let logits = random_array((4, 5), &mut rng).mapv(|v: f32| 3.0 * v);
        let labels = [0, 4, 2, 2];
        let out = softmax_cross_entropy(logits.view(), &labels);
        check_gradient("cross-entropy dlogits", &logits, &out.dlogits, |z| {
            softmax_cross_entropy(z.view(), &labels).loss
        });
    }

    #[test]
    fn softmax_then_cross_entropy_gradient_matches_finite_differences() {
        let mut rng = rng_from_seed(13);
        let logits = random_array((4, 5), &mut rng).mapv(|v: f32| 3.0 * v);
        let labels = [1, 3, 0, 4];
        let out = softmax_then_softmax_cross_entropy(logits.view(), &labels);
        check_gradient(
            "softmax-then-cross-entropy dlogits",
            &logits,
            &out.dlogits,
            |z| softmax_then_softmax_cross_entropy(z.view(), &labels).loss,
        );
    }

    #[test]
    fn the_faithful_loss_is_bounded_for_ten_classes() {
        // Hopelessly wrong and perfectly right logits: ln(e + 9) ≈ 2.4612 and ln(1 + 9/e) ≈ 1.4612.
        let wrong = array![[0.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]];
        let right = array![[1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]];
        let worst = LossKind::SoftmaxThenCrossEntropy
            .evaluate(wrong.view(), &[0])
            .loss;
        let best = LossKind::SoftmaxThenCrossEntropy
            .evaluate(right.view(), &[0])
            .loss;
        assert!((worst - 2.4612).abs() < 1e-3, "{worst}");
        assert!((best - 1.4612).abs() < 1e-3, "{best}");
        // The plain loss of the wrong logits is the margin, 1000.
        let plain = LossKind::CrossEntropy.evaluate(wrong.view(), &[0]).loss;
        assert!((plain - 1000.0).abs() < 1e-2, "{plain}");
    }
}
