use ndarray::{Array, ArrayView, Dimension, Zip};

/// Rectified linear unit, `y = max(x, 0)`, for arrays of any rank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

/// What [`Relu::backward`] needs: the output (positive exactly where the input was).
#[derive(Clone, Debug)]
pub struct ReluCache<D: Dimension> {
    y: Array<f32, D>,
}

impl Relu {
    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: any → `y`: same
    pub fn forward<D: Dimension>(&self, x: ArrayView<'_, f32, D>) -> (Array<f32, D>, ReluCache<D>) {
        let y = x.mapv(|v| v.max(0.0));
        (y.clone(), ReluCache { y })
    }

    /// Backward pass: `dx = dy` where the input was positive, else 0 (the subgradient at 0 is 0).
    ///
    /// # Shapes
    /// `dy`: the forward shape → `dx`: same
    pub fn backward<D: Dimension>(
        &self,
        cache: &ReluCache<D>,
        dy: ArrayView<'_, f32, D>,
    ) -> Array<f32, D> {
        assert_eq!(dy.shape(), cache.y.shape(), "Relu: dy has the wrong shape");
        let mut dx = dy.to_owned();
        Zip::from(&mut dx).and(&cache.y).for_each(|d, &y| {
            if y <= 0.0 {
                *d = 0.0;
            }
        });
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;
    use ndarray::{Array2, array};

    #[test]
    fn clamps_negatives() {
        let (y, _) = Relu.forward(array![[-1.0, 0.0, 2.5]].view());
        assert_eq!(y, array![[0.0, 0.0, 2.5]]);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = rng_from_seed(7);
        // Keep every input at least 0.05 from the kink at 0, farther than the 1e-2 step.
        let x: Array2<f32> =
            random_array((4, 6), &mut rng).mapv(|v| if v >= 0.0 { v + 0.05 } else { v - 0.05 });
        let probe = random_array((4, 6), &mut rng);
        let (_, cache) = Relu.forward(x.view());
        let dx = Relu.backward(&cache, probe.view());
        check_gradient("Relu dx", &x, &dx, |x| {
            (&Relu.forward(x.view()).0 * &probe).sum()
        });
    }
}
