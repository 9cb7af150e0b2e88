//! Parameters and their gradients, as an optimizer sees them.

use ndarray::{
    Array, ArrayView2, ArrayViewD, ArrayViewMut2, ArrayViewMutD, Dimension, ShapeBuilder,
};

use crate::rng::{Rng, uniform};

/// One parameter tensor and the gradient accumulated for it, borrowed for an optimizer step.
///
/// Models hand these out in a fixed order (`params_and_grads`), so an optimizer can keep its
/// per-parameter state (momentum, Adam moments) in a plain `Vec` indexed by position.
#[derive(Debug)]
pub struct ParamGrad<'a> {
    /// The values the optimizer updates in place.
    pub param: ArrayViewMutD<'a, f32>,
    /// The gradient of the loss with respect to `param`; same shape.
    pub grad: ArrayViewD<'a, f32>,
}

impl<'a> ParamGrad<'a> {
    /// Pairs a parameter with its gradient.
    ///
    /// # Panics
    /// If the shapes differ (an internal invariant: grads are built from the parameters).
    pub fn new(param: ArrayViewMutD<'a, f32>, grad: ArrayViewD<'a, f32>) -> Self {
        assert_eq!(
            param.shape(),
            grad.shape(),
            "a gradient must have its parameter's shape"
        );
        Self { param, grad }
    }
}

/// A matrix parameter (an embedding table) whose gradient is non-zero only on some rows: the
/// optimizer touches those rows alone, never the whole `[vocab, d]` table.
#[derive(Debug)]
pub struct SparseRowsGrad<'a> {
    /// The whole table, `[n_rows, d]`.
    pub param: ArrayViewMut2<'a, f32>,
    /// The touched rows, distinct, in the order of `grad`'s rows.
    pub rows: &'a [usize],
    /// Their gradients, `[rows.len(), d]`.
    pub grad: ArrayView2<'a, f32>,
}

/// The L2 norm of every gradient of a step, dense and sparse together (summed in f64).
pub fn grad_norm(dense: &[ParamGrad<'_>], sparse: &[SparseRowsGrad<'_>]) -> f32 {
    let square = |g: &f32| f64::from(*g) * f64::from(*g);
    let sum_sq: f64 = dense
        .iter()
        .flat_map(|p| p.grad.iter())
        .map(square)
        .sum::<f64>()
        + sparse
            .iter()
            .flat_map(|p| p.grad.iter())
            .map(square)
            .sum::<f64>();
    sum_sq.sqrt() as f32
}

/// An array with entries drawn uniformly from `[-bound, bound)`.
pub fn uniform_array<Sh, D>(shape: Sh, bound: f32, rng: &mut Rng) -> Array<f32, D>
where
    Sh: ShapeBuilder<Dim = D>,
    D: Dimension,
{
    Array::from_shape_simple_fn(shape, || uniform(rng, -bound, bound))
}

/// PyTorch's default bound for `Linear` and `Conv2d` weights and biases, `1/sqrt(fan_in)`
/// (what `kaiming_uniform_(a = sqrt(5))` reduces to). The Graphcore example relies on it.
pub fn default_init_bound(fan_in: usize) -> f32 {
    1.0 / (fan_in.max(1) as f32).sqrt()
}
