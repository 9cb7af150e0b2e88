//! Finite-difference gradient checks, for the tests of every backward pass.

use ndarray::{Array, Dimension, ShapeBuilder};

use crate::rng::{Rng, uniform};

/// An array with entries uniform in `[-1, 1)`.
pub(crate) fn random_array<Sh, D>(shape: Sh, rng: &mut Rng) -> Array<f32, D>
where
    Sh: ShapeBuilder<Dim = D>,
    D: Dimension,
{
    Array::from_shape_simple_fn(shape, || uniform(rng, -1.0, 1.0))
}

/// Asserts that two arrays have the same shape and agree within `tolerance` everywhere.
pub(crate) fn assert_all_close<D: Dimension>(a: &Array<f32, D>, b: &Array<f32, D>, tolerance: f32) {
    assert_eq!(a.shape(), b.shape(), "shapes differ");
    for (idx, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert!(
            (x - y).abs() <= tolerance,
            "element {idx}: {x} vs {y} (tolerance {tolerance})"
        );
    }
}

/// Checks `analytic` (the gradient a backward pass computed at `at`) against central differences
/// of the scalar function `loss`, with step 1e-2. At most 64 entries are probed, spread evenly,
/// so the check stays quick for large parameters.
pub(crate) fn check_gradient<D, F>(
    name: &str,
    at: &Array<f32, D>,
    analytic: &Array<f32, D>,
    loss: F,
) where
    D: Dimension,
    F: FnMut(&Array<f32, D>) -> f32,
{
    check_gradient_with_step(name, at, analytic, 1e-2, loss);
}

/// [`check_gradient`] with a chosen step (smaller for functions with kinks near the probe).
pub(crate) fn check_gradient_with_step<D, F>(
    name: &str,
    at: &Array<f32, D>,
    analytic: &Array<f32, D>,
    step: f32,
    mut loss: F,
) where
    D: Dimension,
    F: FnMut(&Array<f32, D>) -> f32,
{
    assert_eq!(
        at.shape(),
        analytic.shape(),
        "{name}: gradient shape differs from the input's"
    );
    let n = at.len();
    let stride = n.div_ceil(64).max(1);
    let mut probe = at.as_standard_layout().into_owned();
    let values: Vec<f32> = probe.iter().copied().collect();
    let expected: Vec<f32> = analytic.iter().copied().collect();
    let mut n_checked = 0;
    for idx in (0..n).step_by(stride) {
        set_flat(&mut probe, idx, values[idx] + step);
        let up = f64::from(loss(&probe));
        set_flat(&mut probe, idx, values[idx] - step);
        let down = f64::from(loss(&probe));
        set_flat(&mut probe, idx, values[idx]);
        let numeric = (up - down) / (2.0 * f64::from(step));
        let got = f64::from(expected[idx]);
        let tolerance = 2e-3 + 2e-2 * numeric.abs().max(got.abs());
        assert!(
            (numeric - got).abs() <= tolerance,
            "{name}: entry {idx}: backward gives {got}, finite differences {numeric}"
        );
        n_checked += 1;
    }
    assert!(n_checked > 0, "{name}: nothing was checked");
}

/// Sets the `idx`-th element in logical (row-major) order.
fn set_flat<D: Dimension>(array: &mut Array<f32, D>, idx: usize, value: f32) {
    if let Some(slot) = array.iter_mut().nth(idx) {
        *slot = value;
    }
}
