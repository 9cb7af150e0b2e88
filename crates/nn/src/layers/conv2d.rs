use ndarray::{Array1, Array2, Array4, ArrayView2, ArrayView4, linalg::general_mat_mul};

use crate::param::{ParamGrad, default_init_bound, uniform_array};
use crate::rng::Rng;

/// 2-D convolution, stride 1, no padding ("valid"), as im2col followed by one GEMM.
///
/// For each output pixel, the `kernel × kernel × c_in` input patch is copied into one row of a
/// matrix (`cols`); the output is then `cols·w + b`. With NHWC images each patch row is a
/// handful of contiguous slice copies, and the GEMM is `matrixmultiply`'s blocked kernel.
///
/// The backward pass is two more GEMMs (`colsᵀ·dy` and `dy·wᵀ`), unless `dy` is mostly zeros,
/// as behind a max-pool: then only its non-zero entries are multiplied (the layers' `sparse`
/// module), which for the MNIST CNN's second convolution does about a seventh of the work and
/// took its backward pass in wasm from 13.9 to 7.1 ms (batch 32, one in eight non-zero).
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    /// Weights, `[kernel·kernel·c_in, c_out]`; row `(ky·kernel + kx)·c_in + ci` is the weight of
    /// input channel `ci` at kernel offset `(ky, kx)`.
    pub w: Array2<f32>,
    /// Bias, `[c_out]`.
    pub b: Array1<f32>,
    kernel: usize,
    c_in: usize,
}

/// Gradients of a [`Conv2d`] layer; same shapes as its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2dGrads {
    /// `∂loss/∂w`, `[kernel·kernel·c_in, c_out]`.
    pub dw: Array2<f32>,
    /// `∂loss/∂b`, `[c_out]`.
    pub db: Array1<f32>,
}

/// What [`Conv2d::backward`] needs: the im2col matrix, the input's shape and the output's
/// height and width (the full output, or the window [`Conv2d::forward_cropped`] kept).
#[derive(Clone, Debug)]
pub struct Conv2dCache {
    cols: Array2<f32>,
    input_dim: (usize, usize, usize, usize),
    output_hw: (usize, usize),
}

impl Conv2d {
    /// A `kernel × kernel` convolution with PyTorch's default initialisation,
    /// `U(-1/√fan_in, 1/√fan_in)` with `fan_in = kernel·kernel·c_in`.
    pub fn new(c_in: usize, c_out: usize, kernel: usize, rng: &mut Rng) -> Self {
        assert!(
            c_in > 0 && c_out > 0 && kernel > 0,
            "Conv2d: sizes must be positive"
        );
        let fan_in = kernel * kernel * c_in;
        let bound = default_init_bound(fan_in);
        let w = uniform_array((fan_in, c_out), bound, rng);
        let b = uniform_array(c_out, bound, rng);
        Self { w, b, kernel, c_in }
    }

    /// Kernel side.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Input channels.
    pub fn c_in(&self) -> usize {
        self.c_in
    }

    /// Output channels.
    pub fn c_out(&self) -> usize {
        self.w.ncols()
    }

    /// Output height and width for an input of `height × width`.
    pub fn output_side(&self, height: usize, width: usize) -> (usize, usize) {
        (height + 1 - self.kernel, width + 1 - self.kernel)
    }

    /// Forward pass, keeping the im2col matrix for backward.
    ///
    /// # Shapes
    /// `x`: `[n, h, w, c_in]` → `y`: `[n, h − k + 1, w − k + 1, c_out]`
    pub fn forward(&self, x: ArrayView4<'_, f32>) -> (Array4<f32>, Conv2dCache) {
        let (_, height, width, _) = x.dim();
        assert!(
            height >= self.kernel && width >= self.kernel,
            "Conv2d: a {height}×{width} input is smaller than the {0}×{0} kernel",
            self.kernel
        );
        self.forward_cropped(x, self.output_side(height, width))
    }

    /// Forward pass computing only the top-left `out_h × out_w` outputs. A following max-pool
    /// drops a trailing row or column that does not fill its window, so the convolution need
    /// not compute it: for the CNN's 11×11 → 5×5 that is 21 of 121 positions, a sixth of the
    /// layer's GEMMs forward and backward. The kept outputs, and every gradient, are those of
    /// the full convolution (the dropped positions' gradients are zero).
    ///
    /// # Shapes
    /// `x`: `[n, h, w, c_in]` → `y`: `[n, out_h, out_w, c_out]`, with `out_h ≤ h − k + 1` and
    /// `out_w ≤ w − k + 1`
    pub fn forward_cropped(
        &self,
        x: ArrayView4<'_, f32>,
        (out_h, out_w): (usize, usize),
    ) -> (Array4<f32>, Conv2dCache) {
        let (n, height, width, c_in) = x.dim();
        assert_eq!(
            c_in, self.c_in,
            "Conv2d: input has {c_in} channels, expected {}",
            self.c_in
        );
        assert!(
            height >= self.kernel && width >= self.kernel,
            "Conv2d: a {height}×{width} input is smaller than the {0}×{0} kernel",
            self.kernel
        );
        let (full_h, full_w) = self.output_side(height, width);
        assert!(
            out_h <= full_h && out_w <= full_w,
            "Conv2d: a {out_h}×{out_w} window is larger than the {full_h}×{full_w} output"
        );
        let cols = im2col(x, self.kernel, (out_h, out_w));
        let mut y = Array2::zeros((n * out_h * out_w, self.c_out()));
        super::rows::fill_rows(y.view_mut(), self.b.view());
        general_mat_mul(1.0, &cols, &self.w, 1.0, &mut y);
        let y = y
            .into_shape_with_order((n, out_h, out_w, self.c_out()))
            .expect("a fresh GEMM output is contiguous");
        (
            y,
            Conv2dCache {
                cols,
                input_dim: (n, height, width, c_in),
                output_hw: (out_h, out_w),
            },
        )
    }

    /// Backward pass: adds `colsᵀ·dy` into `dw` and the per-channel sums of `dy` into `db`;
    /// returns `dx`, the scatter-add (col2im) of `dy·wᵀ`.
    ///
    /// # Shapes
    /// `dy`: `[n, out_h, out_w, c_out]` (the forward's output) → `dx`: `[n, h, w, c_in]`
    pub fn backward(
        &self,
        cache: &Conv2dCache,
        dy: ArrayView4<'_, f32>,
        grads: &mut Conv2dGrads,
    ) -> Array4<f32> {
        let dy = self.dy_matrix(cache, &dy);
        if let Some(dy) = dy.as_slice().filter(|dy| is_sparse(dy, cache.cols.ncols())) {
            self.add_param_grads_sparse(cache, dy, grads);
            return self.dx_sparse(cache, dy);
        }
        Self::add_param_grads(cache, dy.view(), grads);
        let mut dcols = Array2::zeros(cache.cols.raw_dim());
        general_mat_mul(1.0, &dy, &self.w.t(), 0.0, &mut dcols);
        col2im(dcols.view(), cache.input_dim, self.kernel, cache.output_hw)
    }

    /// The backward pass of a first layer, whose input (the image) needs no gradient: adds
    /// into `dw` and `db` exactly as [`Self::backward`] does, and skips `dx` (a GEMM, a
    /// buffer the size of the im2col matrix and the col2im scatter).
    ///
    /// # Shapes
    /// `dy`: `[n, out_h, out_w, c_out]` (the forward's output)
    pub fn backward_params_only(
        &self,
        cache: &Conv2dCache,
        dy: ArrayView4<'_, f32>,
        grads: &mut Conv2dGrads,
    ) {
        let dy = self.dy_matrix(cache, &dy);
        match dy.as_slice().filter(|dy| is_sparse(dy, cache.cols.ncols())) {
            Some(dy) => self.add_param_grads_sparse(cache, dy, grads),
            None => Self::add_param_grads(cache, dy.view(), grads),
        }
    }

    /// `dy` as the `[n·out_h·out_w, c_out]` matrix the gradients are computed from.
    fn dy_matrix<'a>(
        &self,
        cache: &Conv2dCache,
        dy: &'a ArrayView4<'_, f32>,
    ) -> ndarray::CowArray<'a, f32, ndarray::Ix2> {
        let (n, ..) = cache.input_dim;
        let (out_h, out_w) = cache.output_hw;
        assert_eq!(
            dy.dim(),
            (n, out_h, out_w, self.c_out()),
            "Conv2d: dy has the wrong shape"
        );
        dy.to_shape((n * out_h * out_w, self.c_out()))
            .expect("the shape was asserted above")
    }

    /// Adds `colsᵀ·dy` into `dw` and `dy`'s per-channel sums into `db`.
    fn add_param_grads(cache: &Conv2dCache, dy: ArrayView2<'_, f32>, grads: &mut Conv2dGrads) {
        general_mat_mul(1.0, &cache.cols.t(), &dy, 1.0, &mut grads.dw);
        grads.db += &super::rows::column_sums(dy);
    }

    /// [`Self::add_param_grads`] from the non-zero entries of `dy` only (`[n·out_h·out_w,
    /// c_out]`, row-major): channel by channel, the sum of its entries times their im2col rows
    /// ([`super::sparse::combine_rows`]), each weight's sum running over the output positions
    /// in order.
    fn add_param_grads_sparse(&self, cache: &Conv2dCache, dy: &[f32], grads: &mut Conv2dGrads) {
        let (row_len, c_out) = (cache.cols.ncols(), self.c_out());
        let cols = cache.cols.as_standard_layout();
        let cols = cols
            .as_slice()
            .expect("a standard-layout array is contiguous");
        let by_channel = super::sparse::Entries::by_column(dy, c_out);
        let mut dw_t = vec![0.0_f32; row_len];
        for channel in 0..c_out {
            super::sparse::combine_rows(by_channel.of(channel), cols, row_len, &mut dw_t);
            for (dw, &sum) in grads.dw.column_mut(channel).iter_mut().zip(&dw_t) {
                *dw += sum;
            }
        }
        let dy = ArrayView2::from_shape((dy.len() / c_out.max(1), c_out), dy)
            .expect("dy has c_out columns");
        grads.db += &super::rows::column_sums(dy);
    }

    /// `dx` from the non-zero entries of `dy` only: position by position, the sum of its
    /// entries times their channels' weights (a row of `dy·wᵀ`, [`super::sparse::combine_rows`])
    /// added onto the patch it was computed from, one contiguous kernel row at a time: col2im
    /// without the im2col-sized matrix.
    fn dx_sparse(&self, cache: &Conv2dCache, dy: &[f32]) -> Array4<f32> {
        let (n, height, width, c_in) = cache.input_dim;
        let (out_h, out_w) = cache.output_hw;
        let (kernel, c_out) = (self.kernel, self.c_out());
        let row_len = kernel * kernel * c_in;
        let run = kernel * c_in;
        let w_t = self.w.t().as_standard_layout().into_owned();
        let w_t = w_t
            .as_slice()
            .expect("a standard-layout array is contiguous");
        let mut dx = vec![0.0_f32; n * height * width * c_in];
        let mut dcol = vec![0.0_f32; row_len];
        let mut entries = Vec::with_capacity(c_out);
        if c_out > 0 && run > 0 {
            for (row_idx, dy_row) in dy.chunks_exact(c_out).enumerate() {
                entries.clear();
                entries.extend(
                    dy_row
                        .iter()
                        .enumerate()
                        .filter(|&(_, &g)| g != 0.0)
                        .map(|(channel, &g)| (channel, g)),
                );
                if entries.is_empty() {
                    continue;
                }
                super::sparse::combine_rows(&entries, w_t, row_len, &mut dcol);
                let ox = row_idx % out_w;
                let oy = (row_idx / out_w) % out_h;
                let img = row_idx / (out_w * out_h);
                for (ky, src) in dcol.chunks_exact(run).enumerate() {
                    let start = ((img * height + oy + ky) * width + ox) * c_in;
                    super::sparse::add_into(&mut dx[start..start + run], src);
                }
            }
        }
        Array4::from_shape_vec((n, height, width, c_in), dx)
            .expect("the buffer was sized for this shape")
    }

    /// The parameters paired with their gradients, in a fixed order (`w`, `b`).
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a Conv2dGrads) -> [ParamGrad<'a>; 2] {
        [
            ParamGrad::new(self.w.view_mut().into_dyn(), grads.dw.view().into_dyn()),
            ParamGrad::new(self.b.view_mut().into_dyn(), grads.db.view().into_dyn()),
        ]
    }
}

impl Conv2dGrads {
    /// Zero gradients shaped like `layer`'s parameters.
    pub fn zeros_like(layer: &Conv2d) -> Self {
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

/// At most this fraction of `dy` non-zero and the backward pass skips the zeros
/// ([`Conv2d::add_param_grads_sparse`], [`Conv2d::dx_sparse`]) instead of multiplying by them
/// in dense GEMMs. Behind a 2×2 max-pool at most a quarter of a convolution's output receives a
/// gradient, and behind a ReLU fewer still (about 13 % for the MNIST CNN's second convolution).
const SPARSE_DENSITY: f32 = 0.3;

/// The shortest im2col row (`kernel·kernel·c_in`) the sparse pass takes: its sums run sixteen
/// values at a time, and on shorter rows (the MNIST CNN's first layer has 9) the GEMM is faster.
const MIN_SPARSE_ROW: usize = 16;

/// Whether `dy` is sparse enough, and the rows long enough, for the sparse backward pass.
fn is_sparse(dy: &[f32], row_len: usize) -> bool {
    let non_zero = dy.iter().filter(|&&g| g != 0.0).count();
    row_len >= MIN_SPARSE_ROW && (non_zero as f32) <= SPARSE_DENSITY * dy.len() as f32
}

/// Copies the `kernel × kernel` patch of `x` under each of the top-left `out_h × out_w` output
/// positions into one row.
///
/// # Shapes
/// `x`: `[n, h, w, c]` → `[n·out_h·out_w, k·k·c]`
fn im2col(x: ArrayView4<'_, f32>, kernel: usize, (out_h, out_w): (usize, usize)) -> Array2<f32> {
    let (n, height, width, c) = x.dim();
    let x = x.as_standard_layout();
    let src = x.as_slice().expect("a standard-layout array is contiguous");
    let row_len = kernel * kernel * c;
    let run = kernel * c; // one kernel row of a patch is contiguous in NHWC
    let mut cols = Vec::with_capacity(n * out_h * out_w * row_len);
    for img in 0..n {
        for oy in 0..out_h {
            for ox in 0..out_w {
                for ky in 0..kernel {
                    let start = ((img * height + oy + ky) * width + ox) * c;
                    cols.extend_from_slice(&src[start..start + run]);
                }
            }
        }
    }
    Array2::from_shape_vec((n * out_h * out_w, row_len), cols)
        .expect("the buffer was sized for this shape")
}

/// The adjoint of [`im2col`]: adds every row back onto the patch it came from.
///
/// # Shapes
/// `dcols`: `[n·out_h·out_w, k·k·c]` → `[n, h, w, c]`
fn col2im(
    dcols: ArrayView2<'_, f32>,
    (n, height, width, c): (usize, usize, usize, usize),
    kernel: usize,
    (out_h, out_w): (usize, usize),
) -> Array4<f32> {
    let dcols = dcols.as_standard_layout();
    let src = dcols
        .as_slice()
        .expect("a standard-layout array is contiguous");
    let row_len = kernel * kernel * c;
    let run = kernel * c;
    let mut dx = vec![0.0_f32; n * height * width * c];
    for (row_idx, row) in src.chunks_exact(row_len).enumerate() {
        let ox = row_idx % out_w;
        let oy = (row_idx / out_w) % out_h;
        let img = row_idx / (out_w * out_h);
        for ky in 0..kernel {
            let start = ((img * height + oy + ky) * width + ox) * c;
            for (d, s) in dx[start..start + run]
                .iter_mut()
                .zip(&row[ky * run..(ky + 1) * run])
            {
                *d += s;
            }
        }
    }
    Array4::from_shape_vec((n, height, width, c), dx).expect("the buffer was sized for this shape")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;
    use ndarray::{Axis, Slice};

    /// Equal lengths and every value within a relative 1e-5 (sums taken in another order).
    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(a, b)| (a - b).abs() <= 1e-5 * (1.0 + a.abs()))
    }

    /// The definition, one multiply-add at a time.
    fn direct_convolution(layer: &Conv2d, x: &Array4<f32>) -> Array4<f32> {
        let (n, height, width, c_in) = x.dim();
        let k = layer.kernel();
        let (out_h, out_w) = layer.output_side(height, width);
        Array4::from_shape_fn((n, out_h, out_w, layer.c_out()), |(img, oy, ox, co)| {
            let mut sum = layer.b[co];
            for ky in 0..k {
                for kx in 0..k {
                    for ci in 0..c_in {
                        sum += x[[img, oy + ky, ox + kx, ci]]
                            * layer.w[[(ky * k + kx) * c_in + ci, co]];
                    }
                }
            }
            sum
        })
    }

    #[test]
    fn im2col_gemm_equals_the_direct_convolution() {
        let mut rng = rng_from_seed(4);
        let layer = Conv2d::new(3, 4, 3, &mut rng);
        let x = random_array((2, 6, 5, 3), &mut rng);
        let (y, _) = layer.forward(x.view());
        let expected = direct_convolution(&layer, &x);
        assert_eq!(y.dim(), (2, 4, 3, 4));
        for (a, b) in y.iter().zip(expected.iter()) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn a_cropped_forward_and_backward_are_the_full_ones_restricted_to_the_window() {
        let mut rng = rng_from_seed(7);
        let layer = Conv2d::new(3, 4, 3, &mut rng);
        let x = random_array((2, 7, 6, 3), &mut rng);
        let (full, full_cache) = layer.forward(x.view());
        assert_eq!(full.dim(), (2, 5, 4, 4));
        let (cropped, cropped_cache) = layer.forward_cropped(x.view(), (4, 2));
        assert_eq!(cropped.dim(), (2, 4, 2, 4));
        let window = |a: ArrayView4<'_, f32>| {
            a.slice_axis(Axis(1), Slice::from(..4))
                .slice_axis(Axis(2), Slice::from(..2))
                .to_owned()
        };
        assert_eq!(cropped, window(full.view()));
        // The same gradient, zero outside the window, through both.
        let dy_cropped = random_array(cropped.raw_dim(), &mut rng);
        let mut dy_full = Array4::zeros(full.raw_dim());
        dy_full
            .slice_axis_mut(Axis(1), Slice::from(..4))
            .slice_axis_mut(Axis(2), Slice::from(..2))
            .assign(&dy_cropped);
        let mut full_grads = Conv2dGrads::zeros_like(&layer);
        let dx_full = layer.backward(&full_cache, dy_full.view(), &mut full_grads);
        let mut cropped_grads = Conv2dGrads::zeros_like(&layer);
        let dx_cropped = layer.backward(&cropped_cache, dy_cropped.view(), &mut cropped_grads);
        assert!(close(
            dx_full.as_slice().unwrap(),
            dx_cropped.as_slice().unwrap()
        ));
        assert!(close(
            full_grads.dw.as_slice().unwrap(),
            cropped_grads.dw.as_slice().unwrap()
        ));
        assert!(close(
            full_grads.db.as_slice().unwrap(),
            cropped_grads.db.as_slice().unwrap()
        ));
    }

    /// A `dy` that is mostly zeros (as behind a max-pool and a ReLU) takes the sparse backward
    /// pass, which gives the dense one's `dw`, `db` and `dx` up to the order of the sums, with and
    /// without a crop; the params-only pass adds the same gradients.
    #[test]
    fn the_sparse_backward_equals_the_dense_one() {
        let mut rng = rng_from_seed(8);
        for (c_in, crop) in [(3, None), (2, Some((4, 2))), (5, Some((3, 3)))] {
            let layer = Conv2d::new(c_in, 4, 3, &mut rng);
            let x = random_array((2, 7, 6, c_in), &mut rng);
            let (y, cache) = match crop {
                None => layer.forward(x.view()),
                Some(window) => layer.forward_cropped(x.view(), window),
            };
            let mut dy = random_array(y.raw_dim(), &mut rng);
            for (idx, v) in dy.iter_mut().enumerate() {
                if idx % 5 != 2 {
                    *v = 0.0;
                }
            }
            assert!(is_sparse(dy.as_slice().unwrap(), 9 * c_in));
            let mut sparse = Conv2dGrads::zeros_like(&layer);
            // Twice: the pass adds into the gradients.
            layer.backward(&cache, dy.view(), &mut sparse);
            let dx_sparse = layer.backward(&cache, dy.view(), &mut sparse);

            let dy_matrix = dy.to_shape((dy.len() / 4, 4)).unwrap();
            let mut dense = Conv2dGrads::zeros_like(&layer);
            Conv2d::add_param_grads(&cache, dy_matrix.view(), &mut dense);
            Conv2d::add_param_grads(&cache, dy_matrix.view(), &mut dense);
            let mut dcols = Array2::zeros(cache.cols.raw_dim());
            general_mat_mul(1.0, &dy_matrix, &layer.w.t(), 0.0, &mut dcols);
            let dx_dense = col2im(dcols.view(), cache.input_dim, 3, cache.output_hw);

            assert!(close(
                dx_sparse.as_slice().unwrap(),
                dx_dense.as_slice().unwrap()
            ));
            assert!(close(
                sparse.dw.as_slice().unwrap(),
                dense.dw.as_slice().unwrap()
            ));
            assert!(close(
                sparse.db.as_slice().unwrap(),
                dense.db.as_slice().unwrap()
            ));
            assert!(sparse.dw.iter().any(|&g| g != 0.0));

            let mut params_only = Conv2dGrads::zeros_like(&layer);
            layer.backward_params_only(&cache, dy.view(), &mut params_only);
            layer.backward_params_only(&cache, dy.view(), &mut params_only);
            assert_eq!(params_only, sparse);
        }
    }

    #[test]
    fn a_dense_gradient_or_short_rows_take_the_gemms() {
        let dense = [1.0, 0.0, 2.0, 3.0];
        assert!(!is_sparse(&dense, 27));
        assert!(is_sparse(&[0.0, 0.0, 0.0, 1.0], 27));
        assert!(is_sparse(&[], 16));
        // A first layer on one channel (rows of 9): the GEMM, however sparse.
        assert!(!is_sparse(&[0.0, 0.0, 0.0, 1.0], 9));
    }

    #[test]
    fn the_params_only_backward_adds_the_same_gradients() {
        let mut rng = rng_from_seed(6);
        let layer = Conv2d::new(1, 4, 3, &mut rng);
        let x = random_array((3, 7, 6, 1), &mut rng);
        let (y, cache) = layer.forward(x.view());
        let dy = random_array(y.raw_dim(), &mut rng);
        let mut full = Conv2dGrads::zeros_like(&layer);
        let _ = layer.backward(&cache, dy.view(), &mut full);
        let mut params_only = Conv2dGrads::zeros_like(&layer);
        layer.backward_params_only(&cache, dy.view(), &mut params_only);
        assert_eq!(full, params_only);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = rng_from_seed(5);
        let layer = Conv2d::new(2, 3, 3, &mut rng);
        let x = random_array((2, 5, 6, 2), &mut rng);
        let (y, cache) = layer.forward(x.view());
        let probe = random_array(y.raw_dim(), &mut rng);
        let mut grads = Conv2dGrads::zeros_like(&layer);
        let dx = layer.backward(&cache, probe.view(), &mut grads);
        let loss_of = |layer: &Conv2d, x: &Array4<f32>| (&layer.forward(x.view()).0 * &probe).sum();
        check_gradient("Conv2d dx", &x, &dx, |x| loss_of(&layer, x));
        check_gradient("Conv2d dw", &layer.w, &grads.dw, |w| {
            loss_of(
                &Conv2d {
                    w: w.clone(),
                    ..layer.clone()
                },
                &x,
            )
        });
        check_gradient("Conv2d db", &layer.b, &grads.db, |b| {
            loss_of(
                &Conv2d {
                    b: b.clone(),
                    ..layer.clone()
                },
                &x,
            )
        });
    }
}
