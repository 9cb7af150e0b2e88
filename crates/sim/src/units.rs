//! Unit newtypes: time in cycles, sizes in bytes, energy in picojoules.
//!
//! Bare `u64`s never cross the public API for time or size, so a cycle count cannot be
//! added to a byte count by accident.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A number of clock cycles of the machine being simulated (or a point in time, counted in
/// cycles from the start of a run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cycle(pub u64);

impl Cycle {
    /// Cycle zero, the start of every run.
    pub const ZERO: Cycle = Cycle(0);

    /// Wall time of this many cycles at `clock_hz`, in seconds.
    #[must_use]
    pub fn seconds_at(self, clock_hz: f64) -> f64 {
        // u64 → f64 loses precision only beyond 2^53 cycles, far past any run here.
        self.0 as f64 / clock_hz
    }

    /// `self - other`, or zero when `other` is later.
    #[must_use]
    pub fn saturating_sub(self, other: Cycle) -> Cycle {
        Cycle(self.0.saturating_sub(other.0))
    }
}

impl Add for Cycle {
    type Output = Cycle;
    fn add(self, rhs: Cycle) -> Cycle {
        Cycle(self.0 + rhs.0)
    }
}

impl AddAssign for Cycle {
    fn add_assign(&mut self, rhs: Cycle) {
        self.0 += rhs.0;
    }
}

impl Sub for Cycle {
    type Output = Cycle;
    fn sub(self, rhs: Cycle) -> Cycle {
        Cycle(self.0 - rhs.0)
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cycles", self.0)
    }
}

/// A number of bytes (a size, or an amount of data moved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl Bytes {
    /// No bytes.
    pub const ZERO: Bytes = Bytes(0);

    /// `n` kibibytes (1 KiB = 1,024 bytes; the course writes "48 KB" for the WSE-2 PE
    /// memory, which is 48 × 1,024 bytes).
    #[must_use]
    pub const fn kib(n: u64) -> Bytes {
        Bytes(n * 1024)
    }
}

impl Add for Bytes {
    type Output = Bytes;
    fn add(self, rhs: Bytes) -> Bytes {
        Bytes(self.0 + rhs.0)
    }
}

impl AddAssign for Bytes {
    fn add_assign(&mut self, rhs: Bytes) {
        self.0 += rhs.0;
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b >= 1 << 30 {
            write!(f, "{:.2} GiB", b as f64 / f64::from(1u32 << 30))
        } else if b >= 1 << 20 {
            write!(f, "{:.2} MiB", b as f64 / f64::from(1u32 << 20))
        } else if b >= 1 << 10 {
            write!(f, "{:.2} KiB", b as f64 / 1024.0)
        } else {
            write!(f, "{b} B")
        }
    }
}

/// An amount of energy in picojoules (10⁻¹² J).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Picojoules(pub f64);

impl Add for Picojoules {
    type Output = Picojoules;
    fn add(self, rhs: Picojoules) -> Picojoules {
        Picojoules(self.0 + rhs.0)
    }
}

impl fmt::Display for Picojoules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pj = self.0;
        if pj >= 1e9 {
            write!(f, "{:.3} mJ", pj / 1e9)
        } else if pj >= 1e6 {
            write!(f, "{:.3} µJ", pj / 1e6)
        } else if pj >= 1e3 {
            write!(f, "{:.3} nJ", pj / 1e3)
        } else {
            write!(f, "{pj:.1} pJ")
        }
    }
}

/// `1472` → `"1,472"`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_add_and_convert_to_seconds() {
        let t = Cycle(1_000) + Cycle(100);
        assert_eq!(t, Cycle(1_100));
        assert!((Cycle(1_100_000_000).seconds_at(1.1e9) - 1.0).abs() < 1e-12);
        assert_eq!(Cycle(3).saturating_sub(Cycle(5)), Cycle::ZERO);
    }

    #[test]
    fn sizes_display_with_units() {
        assert_eq!(Bytes::kib(48), Bytes(49_152));
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes::kib(48).to_string(), "48.00 KiB");
        assert_eq!(Picojoules(2_500.0).to_string(), "2.500 nJ");
    }
}
