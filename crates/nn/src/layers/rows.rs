//! Two row-wise operations every layer with a bias does, written over contiguous rows so
//! they vectorise (ndarray's broadcasting `assign` and `sum_axis(Axis(0))` go through its
//! generic iterators one row at a time, which showed in wasm profiles of the CNN step).

use ndarray::{Array1, ArrayView1, ArrayView2, ArrayViewMut2, Axis};

/// Sets every row of `y` to `b`.
///
/// # Shapes
/// `y`: `[n, d]`, `b`: `[d]`
pub(crate) fn fill_rows(mut y: ArrayViewMut2<'_, f32>, b: ArrayView1<'_, f32>) {
    assert_eq!(y.ncols(), b.len(), "fill_rows: widths differ");
    match (y.as_slice_mut(), b.as_slice()) {
        (Some(dst), Some(src)) if !src.is_empty() => {
            for row in dst.chunks_exact_mut(src.len()) {
                row.copy_from_slice(src);
            }
        }
        _ => y.assign(&b),
    }
}

/// `Σₙ dy[n, ·]`, summed row by row in order (the same additions, in the same order, as
/// `dy.sum_axis(Axis(0))`, so the result is bit-identical).
///
/// # Shapes
/// `dy`: `[n, d]` → `[d]`
pub(crate) fn column_sums(dy: ArrayView2<'_, f32>) -> Array1<f32> {
    let width = dy.ncols();
    match dy.as_slice() {
        Some(src) if width > 0 => {
            let mut sums = vec![0.0_f32; width];
            for row in src.chunks_exact(width) {
                for (s, &v) in sums.iter_mut().zip(row) {
                    *s += v;
                }
            }
            Array1::from_vec(sums)
        }
        _ => dy.sum_axis(Axis(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::random_array;
    use crate::rng::rng_from_seed;
    use ndarray::Array2;

    #[test]
    fn column_sums_are_bit_identical_to_sum_axis_contiguous_or_not() {
        let mut rng = rng_from_seed(3);
        let dy: Array2<f32> = random_array((37, 5), &mut rng);
        assert_eq!(column_sums(dy.view()), dy.sum_axis(Axis(0)));
        let transposed = dy.t();
        assert_eq!(column_sums(transposed), transposed.sum_axis(Axis(0)));
        assert_eq!(
            column_sums(Array2::<f32>::zeros((0, 3)).view()),
            Array1::<f32>::zeros(3)
        );
    }

    #[test]
    fn fill_rows_sets_every_row_contiguous_or_not() {
        let b = Array1::from_vec(vec![1.0, 2.0, 3.0]);
        let mut y = Array2::zeros((4, 3));
        fill_rows(y.view_mut(), b.view());
        assert!(y.rows().into_iter().all(|row| row == b));
        let mut yt = Array2::zeros((3, 4));
        fill_rows(yt.view_mut().reversed_axes(), b.view());
        assert!(yt.columns().into_iter().all(|col| col == b));
    }
}
