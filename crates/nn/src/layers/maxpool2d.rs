use ndarray::{Array4, ArrayView4};

/// Max pooling over non-overlapping `size × size` windows (stride = size); a trailing row or
/// column that does not fill a window is dropped, as in PyTorch (`13 → 6` for size 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d {
    /// Window side and stride.
    pub size: usize,
}

/// What [`MaxPool2d::backward`] needs: where each maximum came from.
#[derive(Clone, Debug)]
pub struct MaxPool2dCache {
    /// For each output element (row-major), the flat row-major index of its input maximum.
    argmax: Vec<usize>,
    input_dim: (usize, usize, usize, usize),
}

impl MaxPool2d {
    /// Output height and width for an input of `height × width`.
    pub fn output_side(&self, height: usize, width: usize) -> (usize, usize) {
        (height / self.size, width / self.size)
    }

    /// Forward pass; the first maximum wins a tie.
    ///
    /// # Shapes
    /// `x`: `[n, h, w, c]` → `y`: `[n, h / size, w / size, c]`
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> (Array4<f32>, MaxPool2dCache) {
        let (n, height, width, c) = x.dim();
        assert!(self.size > 0, "MaxPool2d: the window size must be positive");
        let (out_h, out_w) = self.output_side(height, width);
        assert!(
            out_h > 0 && out_w > 0,
            "MaxPool2d: a {height}×{width} input is smaller than the window"
        );
        let x = x.as_standard_layout();
        let src = x.as_slice().expect("a standard-layout array is contiguous");
        // Window by window, all channels at once: each channel run is contiguous in NHWC, so
        // the comparisons below vectorise.
        let mut y = vec![0.0_f32; n * out_h * out_w * c];
        let mut argmax = vec![0_usize; y.len()];
        let outputs = y.chunks_exact_mut(c).zip(argmax.chunks_exact_mut(c));
        for (out_idx, (best, best_idx)) in outputs.enumerate() {
            let ox = out_idx % out_w;
            let oy = (out_idx / out_w) % out_h;
            let img = out_idx / (out_w * out_h);
            let at = |py: usize, px: usize| {
                ((img * height + oy * self.size + py) * width + ox * self.size + px) * c
            };
            let first = at(0, 0);
            best.copy_from_slice(&src[first..first + c]);
            for (ch, idx) in best_idx.iter_mut().enumerate() {
                *idx = first + ch;
            }
            for py in 0..self.size {
                for px in 0..self.size {
                    if (py, px) == (0, 0) {
                        continue;
                    }
                    let start = at(py, px);
                    let window = best.iter_mut().zip(best_idx.iter_mut());
                    for (ch, ((b, idx), &v)) in window.zip(&src[start..start + c]).enumerate() {
                        // `>` keeps the first maximum; a NaN never wins, so it cannot hide.
                        if v > *b {
                            *b = v;
                            *idx = start + ch;
                        }
                    }
                }
            }
        }
        let y = Array4::from_shape_vec((n, out_h, out_w, c), y).expect("one value per output");
        (
            y,
            MaxPool2dCache {
                argmax,
                input_dim: (n, height, width, c),
            },
        )
    }

    /// Backward pass: each output gradient goes to the input element that was the maximum.
    ///
    /// # Shapes
    /// `dy`: `[n, h / size, w / size, c]` → `dx`: `[n, h, w, c]`
    pub fn backward(&self, cache: &MaxPool2dCache, dy: ArrayView4<'_, f32>) -> Array4<f32> {
        let (n, height, width, c) = cache.input_dim;
        let (out_h, out_w) = self.output_side(height, width);
        assert_eq!(
            dy.dim(),
            (n, out_h, out_w, c),
            "MaxPool2d: dy has the wrong shape"
        );
        let mut dx = Array4::zeros(cache.input_dim);
        let dst = dx.as_slice_mut().expect("a fresh array is contiguous");
        for (&src_idx, &grad) in cache.argmax.iter().zip(dy.iter()) {
            dst[src_idx] += grad;
        }
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::{rng_from_seed, shuffle};

    #[test]
    fn picks_the_maximum_of_each_window_and_drops_the_ragged_edge() {
        // One 3×3 single-channel image: 1..9 row by row. Only the top-left 2×2 window fits.
        let x = Array4::from_shape_vec((1, 3, 3, 1), (1..=9).map(|v| v as f32).collect()).unwrap();
        let pool = MaxPool2d { size: 2 };
        let (y, cache) = pool.forward(x.view());
        assert_eq!(y.into_raw_vec_and_offset().0, vec![5.0]);
        let dx = pool.backward(&cache, Array4::from_elem((1, 1, 1, 1), 2.0).view());
        let expected: Vec<f32> = vec![0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(dx.into_raw_vec_and_offset().0, expected);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = rng_from_seed(6);
        // Distinct values 0.05 apart, so a 1e-2 step never changes which element is the maximum.
        let mut values: Vec<f32> = (0..2 * 5 * 4 * 3).map(|v| v as f32 * 0.05).collect();
        shuffle(&mut values, &mut rng);
        let x = Array4::from_shape_vec((2, 5, 4, 3), values).unwrap();
        let pool = MaxPool2d { size: 2 };
        let (y, cache) = pool.forward(x.view());
        let probe = random_array(y.raw_dim(), &mut rng);
        let dx = pool.backward(&cache, probe.view());
        check_gradient("MaxPool2d dx", &x, &dx, |x| {
            (&pool.forward(x.view()).0 * &probe).sum()
        });
    }
}
