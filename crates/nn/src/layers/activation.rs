use ndarray::{Array, ArrayView, Dimension, Zip};

/// GELU, the exact (erf) form BERT and Hugging Face's `"gelu"` use:
/// `gelu(x) = x · Φ(x) = ½ x (1 + erf(x / √2))`. Not the tanh approximation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gelu;

/// What [`Gelu::backward`] needs: `gelu'(x)`, computed in the forward pass from the same `erf`.
#[derive(Clone, Debug)]
pub struct GeluCache<D: Dimension> {
    derivative: Array<f32, D>,
}

/// `eˣ` in f32 without a branch or a libm call, so loops over it vectorise (natively and in
/// wasm SIMD128, where `f32::exp` is a scalar software routine): Cephes' `expf`, `x = n·ln 2 + r`
/// with `|r| ≤ ½ ln 2`, a degree-7 polynomial for `eʳ`, and `2ⁿ` built from its exponent bits.
/// Relative error below 2e-7 (about one f32 rounding step); 0 below −87.3, `+∞` above 88.7.
#[inline]
pub fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const P: [f32; 6] = [
        1.987_569_1e-4,
        1.398_2e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        0.166_666_65,
        0.5,
    ];
    let clamped = x.clamp(-87.3, 88.7);
    let shifted = clamped * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = clamped - n * LN2_HI - n * LN2_LO;
    let poly = P[5] + r * (P[4] + r * (P[3] + r * (P[2] + r * (P[1] + r * P[0]))));
    let e_r = poly * r * r + r + 1.0;
    // `n` sits in the low bits of `shifted`; 127 + n is 2ⁿ's biased exponent (1 to 254 here).
    let n_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let two_n = f32::from_bits(n_bits.wrapping_add(127) << 23);
    let value = e_r * two_n;
    if x < -87.3 {
        0.0
    } else if x > 88.7 {
        f32::INFINITY
    } else {
        value
    }
}

/// The error function in f32, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, the
/// size of an f32 rounding step near 1): one [`exp`] and a degree-5 polynomial, no f64.
pub fn erf(x: f32) -> f32 {
    erf_and_gaussian(x).0
}

/// `(erf(x), e^(−x²))`: the Gaussian factor is a by-product of `erf`, and GELU's derivative
/// needs it (`φ(x) = e^(−x²/2)/√(2π)` is this at `x/√2`).
#[inline]
fn erf_and_gaussian(x: f32) -> (f32, f32) {
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
    let gaussian = exp(-z * z);
    let value = 1.0 - poly * gaussian;
    (value.copysign(x), gaussian)
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
    gelu_and_derivative(x).1
}

/// `(gelu(x), gelu'(x))` from one `erf`: `Φ(x) = ½(1 + erf(x/√2))` and `φ(x)` share its `exp`.
#[inline]
pub fn gelu_and_derivative(x: f32) -> (f32, f32) {
    let (erf, gaussian) = erf_and_gaussian(x * FRAC_1_SQRT_2);
    let cdf = 0.5 * (1.0 + erf);
    (x * cdf, cdf + x * FRAC_1_SQRT_2PI * gaussian)
}

impl Gelu {
    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> (Array<f32, D>, GeluCache<D>) {
        let mut y = Array::zeros(x.raw_dim());
        let mut derivative = Array::zeros(x.raw_dim());
        Zip::from(&mut y)
            .and(&mut derivative)
            .and(&x)
            .for_each(|y, d, &x| (*y, *d) = gelu_and_derivative(x));
        (y, GeluCache { derivative })
    }

    /// Forward pass in place on an owned input.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward_owned<D: Dimension>(
        &self,
        mut x: Array<f32, D>,
    ) -> (Array<f32, D>, GeluCache<D>) {
        let mut derivative = Array::zeros(x.raw_dim());
        Zip::from(&mut x)
            .and(&mut derivative)
            .for_each(|x, d| (*x, *d) = gelu_and_derivative(*x));
        (x, GeluCache { derivative })
    }

    /// Backward pass in place on an owned `dy`.
    ///
    /// # Shapes
    /// `dy`: the forward shape → `dx`: same
    pub fn backward_owned<D: Dimension>(
        &self,
        cache: &GeluCache<D>,
        mut dy: Array<f32, D>,
    ) -> Array<f32, D> {
        assert_eq!(
            dy.shape(),
            cache.derivative.shape(),
            "Gelu: dy shape differs from the input's"
        );
        dy *= &cache.derivative;
        dy
    }

    /// Forward pass without a cache (inference).
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn infer<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> Array<f32, D> {
        x.mapv(gelu)
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
            cache.derivative.shape(),
            "Gelu: dy shape differs from the input's"
        );
        let mut dx = dy.to_owned();
        dx *= &cache.derivative;
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
        // The polynomial exp against libm's, relative, over the range softmax and erf use.
        for i in -8_700..=8_800 {
            let x = i as f32 * 0.01;
            let (got, want) = (exp(x), x.exp());
            assert!(
                ((got - want) / want).abs() < 3e-7,
                "exp({x}) = {got}, not {want}"
            );
        }
        assert_eq!(exp(-10_000.0), 0.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
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
