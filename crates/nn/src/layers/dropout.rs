use ndarray::{Array, ArrayView, Dimension};

use super::Mode;
use crate::rng::{Rng, uniform_unit};

/// Inverted dropout: in training, each element is zeroed with probability `p` and the survivors
/// are scaled by `1/(1 − p)`, so inference (the identity) needs no rescaling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// Probability of dropping an element, in `[0, 1)`.
    pub p: f32,
}

/// What [`Dropout::backward`] needs: the scaled mask (`None` in inference, where it is 1).
#[derive(Clone, Debug)]
pub struct DropoutCache<D: Dimension> {
    mask: Option<Array<f32, D>>,
}

impl Dropout {
    /// Forward pass. In [`Mode::Train`] the mask is drawn from `rng`; in [`Mode::Eval`] `rng` is
    /// not touched.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward<D: Dimension>(
        &self,
        x: ArrayView<'_, f32, D>,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array<f32, D>, DropoutCache<D>) {
        assert!(
            (0.0..1.0).contains(&self.p),
            "Dropout: p = {} is not in [0, 1)",
            self.p
        );
        if mode == Mode::Eval || self.p == 0.0 {
            return (x.to_owned(), DropoutCache { mask: None });
        }
        let keep_scale = 1.0 / (1.0 - self.p);
        let mask = Array::from_shape_simple_fn(x.raw_dim(), || {
            if uniform_unit(rng) < self.p {
                0.0
            } else {
                keep_scale
            }
        });
        (&x * &mask, DropoutCache { mask: Some(mask) })
    }

    /// Forward pass in place on an owned input: in [`Mode::Eval`] `x` comes back untouched and
    /// uncopied.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward_owned<D: Dimension>(
        &self,
        mut x: Array<f32, D>,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array<f32, D>, DropoutCache<D>) {
        assert!(
            (0.0..1.0).contains(&self.p),
            "Dropout: p = {} is not in [0, 1)",
            self.p
        );
        if mode == Mode::Eval || self.p == 0.0 {
            return (x, DropoutCache { mask: None });
        }
        let keep_scale = 1.0 / (1.0 - self.p);
        let mask = Array::from_shape_simple_fn(x.raw_dim(), || {
            if uniform_unit(rng) < self.p {
                0.0
            } else {
                keep_scale
            }
        });
        x *= &mask;
        (x, DropoutCache { mask: Some(mask) })
    }

    /// Backward pass in place on an owned `dy`.
    ///
    /// # Shapes
    /// `dy`: the forward shape → `dx`: same
    pub fn backward_owned<D: Dimension>(
        &self,
        cache: &DropoutCache<D>,
        mut dy: Array<f32, D>,
    ) -> Array<f32, D> {
        if let Some(mask) = &cache.mask {
            assert_eq!(dy.shape(), mask.shape(), "Dropout: dy has the wrong shape");
            dy *= mask;
        }
        dy
    }

    /// Backward pass: `dx = dy ⊙ mask`.
    ///
    /// # Shapes
    /// `dy`: the forward shape → `dx`: same
    pub fn backward<D: Dimension>(
        &self,
        cache: &DropoutCache<D>,
        dy: ArrayView<'_, f32, D>,
    ) -> Array<f32, D> {
        match &cache.mask {
            Some(mask) => {
                assert_eq!(dy.shape(), mask.shape(), "Dropout: dy has the wrong shape");
                &dy * mask
            }
            None => dy.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;
    use ndarray::Array2;

    #[test]
    fn drops_about_p_and_keeps_the_mean() {
        let dropout = Dropout { p: 0.5 };
        let x = Array2::<f32>::ones((100, 100));
        let (y, _) = dropout.forward(x.view(), Mode::Train, &mut rng_from_seed(8));
        let n_dropped = y.iter().filter(|&&v| v == 0.0).count();
        assert!(
            (4_700..5_300).contains(&n_dropped),
            "{n_dropped} of 10000 dropped"
        );
        assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
        let (same, _) = dropout.forward(x.view(), Mode::Eval, &mut rng_from_seed(8));
        assert_eq!(same, x);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = rng_from_seed(9);
        let dropout = Dropout { p: 0.3 };
        let x: Array2<f32> = random_array((5, 7), &mut rng);
        let probe = random_array((5, 7), &mut rng);
        // The same seed gives the same mask on every call, so the function is differentiable.
        let forward =
            |x: &Array2<f32>| dropout.forward(x.view(), Mode::Train, &mut rng_from_seed(10));
        let (_, cache) = forward(&x);
        let dx = dropout.backward(&cache, probe.view());
        check_gradient("Dropout dx", &x, &dx, |x| (&forward(x).0 * &probe).sum());
    }
}
