//! Seeded randomness: the engine never reads a global or OS random source.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The engine's random number generator. Always built from a seed the caller passes, so the same
/// seed gives the same initial weights, batch order and dropout masks, on every platform.
pub type Rng = ChaCha8Rng;

/// A generator from a caller's seed.
pub fn rng_from_seed(seed: u64) -> Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A uniform sample in `[0, 1)` with 24 bits of precision (every value is an exact `f32`).
pub fn uniform_unit(rng: &mut Rng) -> f32 {
    const SCALE: f32 = 1.0 / 16_777_216.0; // 2^-24
    (rng.next_u32() >> 8) as f32 * SCALE
}

/// Moves `rng` past `n` 32-bit outputs without computing them: afterwards it is where `n`
/// calls of `next_u32` would have left it.
pub fn skip_u32s(rng: &mut Rng, n: usize) {
    rng.set_word_pos(rng.get_word_pos() + n as u128);
}

/// A uniform sample in `[low, high)`.
pub fn uniform(rng: &mut Rng, low: f32, high: f32) -> f32 {
    low + (high - low) * uniform_unit(rng)
}

/// A standard normal sample (Box–Muller on two uniform draws).
pub fn normal(rng: &mut Rng) -> f32 {
    let u1 = (1.0 - f64::from(uniform_unit(rng))).max(1e-12); // in (0, 1]
    let u2 = f64::from(uniform_unit(rng));
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// A uniform index in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for any `n` used here).
///
/// # Panics
/// If `n` is zero.
pub fn index_below(rng: &mut Rng, n: usize) -> usize {
    assert!(n > 0, "index_below needs a non-empty range");
    let wide = u128::from(rng.next_u64()) * n as u128;
    // The high 64 bits are below `n`, so they fit in usize.
    usize::try_from(wide >> 64).unwrap_or(n - 1)
}

/// Shuffles `items` in place (Fisher–Yates).
pub fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        let j = index_below(rng, i + 1);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_samples_stay_in_range() {
        let mut a = rng_from_seed(7);
        let mut b = rng_from_seed(7);
        for _ in 0..1000 {
            let x = uniform_unit(&mut a);
            assert_eq!(x, uniform_unit(&mut b));
            assert!((0.0..1.0).contains(&x));
            let k = index_below(&mut a, 10);
            assert_eq!(k, index_below(&mut b, 10));
            assert!(k < 10);
        }
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut items: Vec<usize> = (0..100).collect();
        shuffle(&mut items, &mut rng_from_seed(3));
        assert_ne!(items, (0..100).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn skipping_outputs_is_drawing_them() {
        let mut drawn = rng_from_seed(5);
        let mut skipped = rng_from_seed(5);
        let _ = index_below(&mut drawn, 10); // a 64-bit draw first: odd alignments too
        let _ = index_below(&mut skipped, 10);
        for n in [0, 1, 3, 16, 17, 1000] {
            for _ in 0..n {
                drawn.next_u32();
            }
            skip_u32s(&mut skipped, n);
            assert_eq!(drawn.next_u32(), skipped.next_u32(), "after skipping {n}");
        }
    }
}
