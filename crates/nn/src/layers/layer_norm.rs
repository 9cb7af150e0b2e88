use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

use crate::param::ParamGrad;

/// Layer normalisation over the last axis: `y = γ ⊙ (x − μ) / √(σ² + ε) + β`, with the biased
/// variance, as in BERT (`ε = 1e-12`).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    /// Scale `γ`, `[d]` (ones at initialisation).
    pub gamma: Array1<f32>,
    /// Shift `β`, `[d]` (zeros at initialisation).
    pub beta: Array1<f32>,
    /// Added to the variance.
    pub eps: f32,
}

/// Gradients of a [`LayerNorm`].
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNormGrads {
    /// `∂loss/∂γ`, `[d]`.
    pub dgamma: Array1<f32>,
    /// `∂loss/∂β`, `[d]`.
    pub dbeta: Array1<f32>,
}

/// What [`LayerNorm::backward`] needs: the normalised input and each row's `1/√(σ² + ε)`.
#[derive(Clone, Debug)]
pub struct LayerNormCache {
    x_hat: Array2<f32>,
    inv_std: Array1<f32>,
}

impl LayerNorm {
    /// `γ = 1`, `β = 0`.
    pub fn new(d: usize, eps: f32) -> Self {
        Self {
            gamma: Array1::ones(d),
            beta: Array1::zeros(d),
            eps,
        }
    }

    /// Forward pass, row by row.
    ///
    /// # Shapes
    /// `x`: `[n, d]` → `y`: `[n, d]`
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> (Array2<f32>, LayerNormCache) {
        let (n, d) = x.dim();
        assert_eq!(
            d,
            self.gamma.len(),
            "LayerNorm: width {d} != {}",
            self.gamma.len()
        );
        let mut x_hat = x.to_owned();
        let mut inv_std = Array1::zeros(n);
        let mut y = Array2::zeros((n, d));
        Zip::from(x_hat.rows_mut())
            .and(&mut inv_std)
            .and(y.rows_mut())
            .for_each(|mut row, inv, mut y_row| {
                let mean = row.sum() / d as f32;
                let var = row.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
                let s = 1.0 / (var + self.eps).sqrt();
                *inv = s;
                Zip::from(&mut row)
                    .and(&mut y_row)
                    .and(&self.gamma)
                    .and(&self.beta)
                    .for_each(|v, y, &g, &b| {
                        *v = (*v - mean) * s;
                        *y = g * *v + b;
                    });
            });
        (y, LayerNormCache { x_hat, inv_std })
    }

    /// Backward pass; adds into `grads`.
    ///
    /// # Shapes
    /// `dy`: `[n, d]` → `dx`: `[n, d]`
    pub fn backward(
        &self,
        cache: &LayerNormCache,
        dy: ArrayView2<'_, f32>,
        grads: &mut LayerNormGrads,
    ) -> Array2<f32> {
        let (n, d) = dy.dim();
        assert_eq!(
            (n, d),
            cache.x_hat.dim(),
            "LayerNorm: dy shape differs from the forward input"
        );
        grads.dgamma += &(&dy * &cache.x_hat).sum_axis(Axis(0));
        grads.dbeta += &super::rows::column_sums(dy);
        let mut dx = Array2::zeros((n, d));
        let inv_d = 1.0 / d as f32;
        Zip::from(dx.rows_mut())
            .and(dy.rows())
            .and(cache.x_hat.rows())
            .and(&cache.inv_std)
            .for_each(|mut dx_row, dy_row, xh_row, &s| {
                let mut sum = 0.0;
                let mut sum_xh = 0.0;
                for ((&g, &dyv), &xh) in self.gamma.iter().zip(dy_row).zip(xh_row) {
                    let dxh = g * dyv;
                    sum += dxh;
                    sum_xh += dxh * xh;
                }
                for (((out, &g), &dyv), &xh) in
                    dx_row.iter_mut().zip(&self.gamma).zip(dy_row).zip(xh_row)
                {
                    *out = s * (g * dyv - inv_d * (sum + xh * sum_xh));
                }
            });
        dx
    }

    /// `γ`, `β` with their gradients.
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a LayerNormGrads) -> [ParamGrad<'a>; 2] {
        [
            ParamGrad::new(
                self.gamma.view_mut().into_dyn(),
                grads.dgamma.view().into_dyn(),
            ),
            ParamGrad::new(
                self.beta.view_mut().into_dyn(),
                grads.dbeta.view().into_dyn(),
            ),
        ]
    }
}

impl LayerNormGrads {
    /// Zeros shaped like `layer`'s parameters.
    pub fn zeros_like(layer: &LayerNorm) -> Self {
        Self {
            dgamma: Array1::zeros(layer.gamma.len()),
            dbeta: Array1::zeros(layer.beta.len()),
        }
    }

    /// Resets to zero.
    pub fn fill_zero(&mut self) {
        self.dgamma.fill(0.0);
        self.dbeta.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;

    #[test]
    fn layer_norm_backward_matches_finite_differences() {
        let mut rng = rng_from_seed(11);
        let mut ln = LayerNorm::new(6, 1e-12);
        ln.gamma = random_array(6, &mut rng);
        ln.beta = random_array(6, &mut rng);
        let x: Array2<f32> = random_array((4, 6), &mut rng);
        let r: Array2<f32> = random_array((4, 6), &mut rng);
        let (y, cache) = ln.forward(x.view());
        // Normalised rows have mean 0 and variance 1 before γ, β.
        let row = cache.x_hat.row(0);
        assert!(row.sum().abs() < 1e-4);
        assert!((row.mapv(|v| v * v).sum() / 6.0 - 1.0).abs() < 1e-3);
        assert_eq!(y.dim(), (4, 6));
        let mut grads = LayerNormGrads::zeros_like(&ln);
        let dx = ln.backward(&cache, r.view(), &mut grads);
        let loss = |ln: &LayerNorm, x: &Array2<f32>| (&ln.forward(x.view()).0 * &r).sum();
        check_gradient("layer norm dx", &x, &dx, |x| loss(&ln, x));
        check_gradient("layer norm dγ", &ln.gamma, &grads.dgamma, |g| {
            let mut l = ln.clone();
            l.gamma = g.clone();
            loss(&l, &x)
        });
        check_gradient("layer norm dβ", &ln.beta, &grads.dbeta, |b| {
            let mut l = ln.clone();
            l.beta = b.clone();
            loss(&l, &x)
        });
    }
}
