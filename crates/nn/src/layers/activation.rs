use ndarray::{Array, ArrayView, Dimension, Zip};

/// GELU, the exact (erf) form BERT and Hugging Face's `"gelu"` use:
/// `gelu(x) = x · Φ(x) = ½ x (1 + erf(x / √2))`. Not the tanh approximation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gelu;

/// What [`Gelu::backward`] needs: the input.
#[derive(Clone, Debug)]
pub struct GeluCache<D: Dimension> {
    x: Array<f32, D>,
    /// `Φ(x)`, so backward needs no second `erf`.
    cdf: Array<f32, D>,
}

/// The error function in f32, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, the
/// size of an f32 rounding step near 1): one `exp` and a degree-5 polynomial, no f64.
pub fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_72,
        1.421_413_8,
        -1.453_152_1,
        1.061_405_4,
    ];
    let z = x.abs();
    let t = 1.0 / (1.0 + P * z);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let value = 1.0 - poly * (-z * z).exp();
    value.copysign(x)
}

const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;

/// `gelu(x)`.
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2))
}

/// `gelu'(x) = Φ(x) + x·φ(x)`.
pub fn gelu_derivative(x: f32) -> f32 {
    0.5 * (1.0 + erf(x * FRAC_1_SQRT_2)) + x * FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

impl Gelu {
    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> (Array<f32, D>, GeluCache<D>) {
        let cdf = x.mapv(|v| 0.5 * (1.0 + erf(v * FRAC_1_SQRT_2)));
        let mut y = x.to_owned();
        Zip::from(&mut y).and(&cdf).for_each(|y, &c| *y *= c);
        (
            y,
            GeluCache {
                x: x.to_owned(),
                cdf,
            },
        )
    }

    /// Backward pass: `dx = dy ⊙ gelu'(x)`.
    ///
    /// # Shapes
    /// `dy`: the forward shape → `dx`: same
    pub fn backward<D: Dimension>(
        &self,
        cache: &GeluCache<D>,
        dy: ArrayView<'_, f32, D>,
    ) -> Array<f32, D> {
        assert_eq!(
            dy.shape(),
            cache.x.shape(),
            "Gelu: dy shape differs from the input's"
        );
        let mut dx = dy.to_owned();
        Zip::from(&mut dx)
            .and(&cache.x)
            .and(&cache.cdf)
            .for_each(|d, &x, &cdf| *d *= cdf + x * FRAC_1_SQRT_2PI * (-0.5 * x * x).exp());
        dx
    }
}

/// `tanh`, BERT's pooler activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tanh;

/// What [`Tanh::backward`] needs: the output.
#[derive(Clone, Debug)]
pub struct TanhCache<D: Dimension> {
    y: Array<f32, D>,
}

impl Tanh {
    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> (Array<f32, D>, TanhCache<D>) {
        let y = x.mapv(f32::tanh);
        (y.clone(), TanhCache { y })
    }

    /// Backward pass: `dx = dy ⊙ (1 − y²)`.
    ///
    /// # Shapes
    /// `dy`: the forward shape → `dx`: same
    pub fn backward<D: Dimension>(
        &self,
        cache: &TanhCache<D>,
        dy: ArrayView<'_, f32, D>,
    ) -> Array<f32, D> {
        assert_eq!(
            dy.shape(),
            cache.y.shape(),
            "Tanh: dy shape differs from the output's"
        );
        let mut dx = dy.to_owned();
        Zip::from(&mut dx)
            .and(&cache.y)
            .for_each(|d, &y| *d *= 1.0 - y * y);
        dx
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;

    #[test]
    fn erf_and_gelu_match_known_values() {
        // erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650.
        for (x, want) in [
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (2.0, 0.995_322_3),
            (0.0, 0.0),
        ] {
            assert!((erf(x) - want).abs() < 3e-7, "erf({x}) = {}", erf(x));
            assert!((erf(-x) + want).abs() < 3e-7);
        }
        // gelu(1) = Φ(1) = 0.8413447; the tanh approximation would give 0.8411920.
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
    }

    #[test]
    fn gelu_and_tanh_backward_match_finite_differences() {
        let mut rng = rng_from_seed(5);
        let x: Array2<f32> = random_array((3, 7), &mut rng) * 3.0;
        let r: Array2<f32> = random_array((3, 7), &mut rng);
        let (_, cache) = Gelu.forward(x.view());
        let dx = Gelu.backward(&cache, r.view());
        check_gradient("gelu", &x, &dx, |x| (&Gelu.forward(x.view()).0 * &r).sum());
        let (_, cache) = Tanh.forward(x.view());
        let dx = Tanh.backward(&cache, r.view());
        check_gradient("tanh", &x, &dx, |x| (&Tanh.forward(x.view()).0 * &r).sum());
    }
}
