//! A tiny seeded generator for test data (matrix and vector values).
//!
//! SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014): a 64-bit counter passed through a fixed mixing function. Every value comes
//! from the seed the caller passes; there is no global or time-based state.

/// Seeded SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is fixed by `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in [-1, 1) on a grid of 1/1024 steps.
    pub fn next_small_f32(&mut self) -> f32 {
        // Top 11 bits → 0..2048, shifted to -1024..1024, scaled by 2^-10.
        let bits = (self.next_u64() >> 53) as i32 - 1024;
        // i32 in -1024..1024 is exact in f32.
        bits as f32 / 1024.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let v = SplitMix64::new(1).next_small_f32();
        assert!((-1.0..1.0).contains(&v));
    }
}
