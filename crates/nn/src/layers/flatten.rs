use ndarray::{Array2, Array4, ArrayView2, ArrayView4};

/// Flattens each image of a batch into one row, in NHWC order (`(y·w + x)·c + channel`).
///
/// PyTorch flattens NCHW (`(channel·h + y)·w + x`); the two orders differ by a fixed
/// permutation of the next layer's inputs, so the models they define are the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten;

/// What [`Flatten::backward`] needs: the input shape.
#[derive(Clone, Debug)]
pub struct FlattenCache {
    input_dim: (usize, usize, usize, usize),
}

impl Flatten {
    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: `[n, h, w, c]` → `y`: `[n, h·w·c]`
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> (Array2<f32>, FlattenCache) {
        let (n, height, width, c) = x.dim();
        let y = x
            .to_shape((n, height * width * c))
            .expect("reshaping to the same number of elements")
            .into_owned();
        (
            y,
            FlattenCache {
                input_dim: (n, height, width, c),
            },
        )
    }

    /// Backward pass: the inverse reshape.
    ///
    /// # Shapes
    /// `dy`: `[n, h·w·c]` → `dx`: `[n, h, w, c]`
    pub fn backward(&self, cache: &FlattenCache, dy: ArrayView2<'_, f32>) -> Array4<f32> {
        let (n, height, width, c) = cache.input_dim;
        assert_eq!(
            dy.dim(),
            (n, height * width * c),
            "Flatten: dy has the wrong shape"
        );
        dy.to_shape(cache.input_dim)
            .expect("the shape was asserted above")
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;

    #[test]
    fn keeps_nhwc_order_and_backward_inverts_it() {
        let x = Array4::from_shape_fn((2, 2, 3, 4), |(n, y, x, c)| {
            (n * 1000 + y * 100 + x * 10 + c) as f32
        });
        let (flat, cache) = Flatten.forward(x.view());
        assert_eq!(flat.dim(), (2, 24));
        assert_eq!(flat[[1, (3 + 2) * 4 + 3]], 1123.0); // image 1, y 1, x 2, channel 3
        assert_eq!(Flatten.backward(&cache, flat.view()), x);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = rng_from_seed(11);
        let x: Array4<f32> = random_array((2, 3, 2, 2), &mut rng);
        let probe = random_array((2, 12), &mut rng);
        let (_, cache) = Flatten.forward(x.view());
        let dx = Flatten.backward(&cache, probe.view());
        check_gradient("Flatten dx", &x, &dx, |x| {
            (&Flatten.forward(x.view()).0 * &probe).sum()
        });
    }
}
