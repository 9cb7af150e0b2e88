use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, linalg::general_mat_mul};

use crate::param::{ParamGrad, default_init_bound, uniform_array};
use crate::rng::Rng;

/// Fully connected layer, `y = x·w + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// Weights, `[d_in, d_out]` (the transpose of PyTorch's layout, so the forward pass is `x·w`).
    pub w: Array2<f32>,
    /// Bias, `[d_out]`.
    pub b: Array1<f32>,
}

/// Gradients of a [`Linear`] layer; same shapes as its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearGrads {
    /// `∂loss/∂w`, `[d_in, d_out]`.
    pub dw: Array2<f32>,
    /// `∂loss/∂b`, `[d_out]`.
    pub db: Array1<f32>,
}

/// What [`Linear::backward`] needs from the forward pass: the input.
#[derive(Clone, Debug)]
pub struct LinearCache {
    x: Array2<f32>,
}

impl Linear {
    /// A layer with PyTorch's default initialisation, `U(-1/√d_in, 1/√d_in)` for `w` and `b`.
    pub fn new(d_in: usize, d_out: usize, rng: &mut Rng) -> Self {
        let bound = default_init_bound(d_in);
        let w = uniform_array((d_in, d_out), bound, rng);
        let b = uniform_array(d_out, bound, rng);
        Self { w, b }
    }

    /// A layer with weights from `N(0, std²)` and zero biases (BERT's initialisation, std 0.02).
    pub fn normal(d_in: usize, d_out: usize, std: f32, rng: &mut Rng) -> Self {
        Self {
            w: Array2::from_shape_simple_fn((d_in, d_out), || std * crate::rng::normal(rng)),
            b: Array1::zeros(d_out),
        }
    }

    /// Input width.
    pub fn d_in(&self) -> usize {
        self.w.nrows()
    }

    /// Output width.
    pub fn d_out(&self) -> usize {
        self.w.ncols()
    }

    /// Forward pass, keeping the input for backward.
    ///
    /// # Shapes
    /// `x`: `[n, d_in]` → `y`: `[n, d_out]`
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> (Array2<f32>, LinearCache) {
        let y = self.infer(x);
        (y, LinearCache { x: x.to_owned() })
    }

    /// Forward pass that keeps `x` itself (no copy) for backward.
    ///
    /// # Shapes
    /// `x`: `[n, d_in]` → `y`: `[n, d_out]`
    pub fn forward_owned(&self, x: Array2<f32>) -> (Array2<f32>, LinearCache) {
        let y = self.infer(x.view());
        (y, LinearCache { x })
    }

    /// Forward pass without a cache (inference).
    ///
    /// # Shapes
    /// `x`: `[n, d_in]` → `y`: `[n, d_out]`
    pub fn infer(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        let mut y = Array2::zeros((x.nrows(), self.d_out()));
        self.forward_into(x, y.view_mut());
        y
    }

    /// Forward pass into a caller-owned buffer (overwritten): no allocation.
    ///
    /// # Shapes
    /// `x`: `[n, d_in]`, `y`: `[n, d_out]`
    pub fn forward_into(&self, x: ArrayView2<'_, f32>, mut y: ArrayViewMut2<'_, f32>) {
        let (n, d_in) = x.dim();
        assert_eq!(
            d_in,
            self.d_in(),
            "Linear: input width {d_in} != d_in {}",
            self.d_in()
        );
        assert_eq!(
            y.dim(),
            (n, self.d_out()),
            "Linear: output buffer has the wrong shape"
        );
        super::rows::fill_rows(y.view_mut(), self.b.view());
        general_mat_mul(1.0, &x, &self.w, 1.0, &mut y);
    }

    /// Backward pass: adds `xᵀ·dy` into `dw` and `Σₙ dy` into `db`; returns `dx = dy·wᵀ`.
    ///
    /// # Shapes
    /// `dy`: `[n, d_out]` → `dx`: `[n, d_in]`
    pub fn backward(
        &self,
        cache: &LinearCache,
        dy: ArrayView2<'_, f32>,
        grads: &mut LinearGrads,
    ) -> Array2<f32> {
        let (n, d_out) = dy.dim();
        assert_eq!(
            n,
            cache.x.nrows(),
            "Linear: dy has {n} rows, the forward input had {}",
            cache.x.nrows()
        );
        assert_eq!(
            d_out,
            self.d_out(),
            "Linear: dy width {d_out} != d_out {}",
            self.d_out()
        );
        let mut dx = Array2::zeros((n, self.d_in()));
        self.backward_into(cache.x.view(), dy, grads, dx.view_mut());
        dx
    }

    /// Backward pass given the forward input `x`: adds `xᵀ·dy` into `dw`, `Σₙ dy` into `db`
    /// and `dy·wᵀ` into `dx` (caller-owned, not cleared), so layers that share one input
    /// (attention's query, key and value) sum their input gradients without temporaries.
    ///
    /// # Shapes
    /// `x`: `[n, d_in]`, `dy`: `[n, d_out]`, `dx`: `[n, d_in]`
    pub fn backward_into(
        &self,
        x: ArrayView2<'_, f32>,
        dy: ArrayView2<'_, f32>,
        grads: &mut LinearGrads,
        mut dx: ArrayViewMut2<'_, f32>,
    ) {
        let (n, d_out) = dy.dim();
        assert_eq!(x.dim(), (n, self.d_in()), "Linear: input shape");
        assert_eq!(d_out, self.d_out(), "Linear: dy width");
        assert_eq!(dx.dim(), (n, self.d_in()), "Linear: dx shape");
        general_mat_mul(1.0, &x.t(), &dy, 1.0, &mut grads.dw);
        grads.db += &super::rows::column_sums(dy);
        general_mat_mul(1.0, &dy, &self.w.t(), 1.0, &mut dx);
    }

    /// The parameters paired with their gradients, in a fixed order (`w`, `b`).
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a LinearGrads) -> [ParamGrad<'a>; 2] {
        [
            ParamGrad::new(self.w.view_mut().into_dyn(), grads.dw.view().into_dyn()),
            ParamGrad::new(self.b.view_mut().into_dyn(), grads.db.view().into_dyn()),
        ]
    }
}

impl LinearCache {
    /// The forward pass's input, `[n, d_in]`.
    pub fn input(&self) -> ArrayView2<'_, f32> {
        self.x.view()
    }
}

impl LinearGrads {
    /// Zero gradients shaped like `layer`'s parameters.
    pub fn zeros_like(layer: &Linear) -> Self {
        Self {
            dw: Array2::zeros(layer.w.raw_dim()),
            db: Array1::zeros(layer.b.raw_dim()),
        }
    }

    /// Resets every gradient to zero, keeping the buffers.
    pub fn fill_zero(&mut self) {
        self.dw.fill(0.0);
        self.db.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{assert_all_close, check_gradient, random_array};
    use crate::rng::rng_from_seed;
    use ndarray::array;

    #[test]
    fn forward_is_x_times_w_plus_b() {
        let layer = Linear {
            w: array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
            b: array![0.5, -0.5],
        };
        let y = layer.infer(array![[1.0, 0.0, -1.0]].view());
        assert_eq!(y, array![[1.0 - 5.0 + 0.5, 2.0 - 6.0 - 0.5]]);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = rng_from_seed(1);
        let layer = Linear::new(5, 4, &mut rng);
        let x = random_array((3, 5), &mut rng);
        let probe = random_array((3, 4), &mut rng);
        let (_, cache) = layer.forward(x.view());
        let mut grads = LinearGrads::zeros_like(&layer);
        let dx = layer.backward(&cache, probe.view(), &mut grads);
        let loss_of = |layer: &Linear, x: &Array2<f32>| (&layer.infer(x.view()) * &probe).sum();
        check_gradient("Linear dx", &x, &dx, |x| loss_of(&layer, x));
        check_gradient("Linear dw", &layer.w, &grads.dw, |w| {
            loss_of(
                &Linear {
                    w: w.clone(),
                    b: layer.b.clone(),
                },
                &x,
            )
        });
        check_gradient("Linear db", &layer.b, &grads.db, |b| {
            loss_of(
                &Linear {
                    w: layer.w.clone(),
                    b: b.clone(),
                },
                &x,
            )
        });
    }

    #[test]
    fn backward_adds_into_grads() {
        let mut rng = rng_from_seed(2);
        let layer = Linear::new(3, 2, &mut rng);
        let x = random_array((4, 3), &mut rng);
        let dy = random_array((4, 2), &mut rng);
        let (_, cache) = layer.forward(x.view());
        let mut once = LinearGrads::zeros_like(&layer);
        let _ = layer.backward(&cache, dy.view(), &mut once);
        let mut twice = LinearGrads::zeros_like(&layer);
        let _ = layer.backward(&cache, dy.view(), &mut twice);
        let _ = layer.backward(&cache, dy.view(), &mut twice);
        assert_all_close(&twice.dw, &(&once.dw * 2.0), 1e-5);
        assert_all_close(&twice.db, &(&once.db * 2.0), 1e-5);
    }
}
