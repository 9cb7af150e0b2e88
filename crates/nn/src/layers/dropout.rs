use ndarray::{Array, ArrayView, Dimension};

use super::Mode;
use crate::rng::{Rng, skip_u32s, uniform_unit};

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
        let mask = Array::from_shape_simple_fn(x.raw_dim(), || self.mask_value(keep_scale, rng));
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
        let mask = Array::from_shape_simple_fn(x.raw_dim(), || self.mask_value(keep_scale, rng));
        x *= &mask;
        (x, DropoutCache { mask: Some(mask) })
    }

    /// Dropout on the first row of every block of `t` rows, drawing the random stream exactly
    /// as [`forward`](Self::forward) on the whole `[blocks·t, width]` tensor would: each kept
    /// row's draws are made in place, the other rows' are skipped (the ChaCha stream is
    /// seekable), so a computation pruned to those rows sees the full one's masks and leaves
    /// the generator where the full one would.
    ///
    /// # Shapes
    /// `x`: any shape holding `blocks·width` values in row-major order (the kept rows) →
    /// the same shape
    pub fn forward_first_rows<D: Dimension>(
        &self,
        x: ArrayView<'_, f32, D>,
        width: usize,
        t: usize,
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
        assert!(
            width > 0 && x.len().is_multiple_of(width) && t > 0,
            "Dropout: {} values are not whole rows of {width}",
            x.len()
        );
        let keep_scale = 1.0 / (1.0 - self.p);
        let skipped = (t - 1) * width;
        let mut mask = Vec::with_capacity(x.len());
        for _ in 0..x.len() / width {
            mask.extend((0..width).map(|_| self.mask_value(keep_scale, rng)));
            skip_u32s(rng, skipped);
        }
        let mask = Array::from_shape_vec(x.raw_dim(), mask)
            .expect("one mask value per element, in row-major order");
        (&x * &mask, DropoutCache { mask: Some(mask) })
    }

    /// One mask value from one 32-bit draw of `rng`: 0 with probability `p`, else
    /// `keep_scale = 1 / (1 − p)` (inverted dropout keeps the mean).
    fn mask_value(&self, keep_scale: f32, rng: &mut Rng) -> f32 {
        if uniform_unit(rng) < self.p {
            0.0
        } else {
            keep_scale
        }
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

    #[test]
    fn first_row_dropout_sees_the_full_tensors_masks_and_leaves_the_stream_where_it_would() {
        let dropout = Dropout { p: 0.4 };
        let (blocks, t, width) = (3, 5, 7);
        let full_x: Array2<f32> = random_array((blocks * t, width), &mut rng_from_seed(2));
        let mut full_rng = rng_from_seed(11);
        let (full, _) = dropout.forward(full_x.view(), Mode::Train, &mut full_rng);
        let first_x = crate::layers::first_rows(full_x.view(), t).to_owned();
        let mut rng = rng_from_seed(11);
        let (first, cache) =
            dropout.forward_first_rows(first_x.view(), width, t, Mode::Train, &mut rng);
        assert_eq!(first, crate::layers::first_rows(full.view(), t));
        assert_eq!(uniform_unit(&mut rng), uniform_unit(&mut full_rng));
        let probe: Array2<f32> = random_array((blocks, width), &mut rng_from_seed(3));
        let dx = dropout.backward(&cache, probe.view());
        check_gradient("first-row Dropout dx", &first_x, &dx, |x| {
            let (y, _) =
                dropout.forward_first_rows(x.view(), width, t, Mode::Train, &mut rng_from_seed(11));
            (&y * &probe).sum()
        });
    }
}
