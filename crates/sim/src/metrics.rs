//! Metrics every simulator reports the same way, and the energy model behind them.
//!
//! # Energy constants
//!
//! The per-operation and per-byte energies come from M. Horowitz, "Computing's energy problem
//! (and what we can do about it)", ISSCC 2014, whose table gives 45 nm, 0.9 V figures. They
//! were read second-hand, as reproduced in (a) Table 3 of PMC8934428 (Front. Neurol.), which
//! cites Horowitz for FP32 add 0.9 pJ, FP32 multiply 3.7 pJ and a 64-bit access to an 8 KB
//! cache of 10 pJ, and (b) the `universal` library's `generic_45nm.hpp` (Stillwater
//! Supercomputing), which cites Horowitz for FP16 add 0.4 pJ, FP16 multiply 1.1 pJ and a DRAM
//! access of 1.3–2.6 nJ (64 bits). Tag: \[S\]. Derived per-byte and per-FLOP values are shown
//! next to each constant.
//!
//! What the model does with them: energy = FLOPs × (pJ per FLOP) + on-chip bytes × (pJ per
//! SRAM byte) + off-chip bytes × (pJ per DRAM byte). It is an order-of-magnitude teaching
//! estimate: 45 nm figures are not those of a 7 nm A100 or WSE-2, HBM costs less per byte than
//! the commodity DRAM in Horowitz's table, and wires, control and leakage are left out. The
//! point it supports is the ratio: an off-chip byte costs about 130× an on-chip one.

use crate::units::{Bytes, Cycle, Picojoules};
use std::fmt;

/// Horowitz 2014 \[S\]: 32-bit float add, 0.9 pJ.
pub const PJ_FP32_ADD: f64 = 0.9;
/// Horowitz 2014 \[S\]: 32-bit float multiply, 3.7 pJ.
pub const PJ_FP32_MUL: f64 = 3.7;
/// Horowitz 2014 \[S\]: 16-bit float add, 0.4 pJ.
pub const PJ_FP16_ADD: f64 = 0.4;
/// Horowitz 2014 \[S\]: 16-bit float multiply, 1.1 pJ.
pub const PJ_FP16_MUL: f64 = 1.1;
/// Horowitz 2014 \[S\]: one 64-bit access to an 8 KB SRAM cache, 10 pJ.
pub const PJ_SRAM_8KB_64BIT_ACCESS: f64 = 10.0;
/// Horowitz 2014 \[S\]: one 64-bit DRAM access, 1.3–2.6 nJ; the low end is used.
pub const PJ_DRAM_64BIT_ACCESS: f64 = 1_300.0;

/// \[D\] FP32 energy per FLOP: a multiply-add is 2 FLOPs, (3.7 + 0.9) / 2 = 2.3 pJ.
pub const PJ_PER_FLOP_FP32: f64 = (PJ_FP32_MUL + PJ_FP32_ADD) / 2.0;
/// \[D\] FP16 energy per FLOP: (1.1 + 0.4) / 2 = 0.75 pJ.
pub const PJ_PER_FLOP_FP16: f64 = (PJ_FP16_MUL + PJ_FP16_ADD) / 2.0;
/// \[D\] On-chip (SRAM) energy per byte: 10 pJ / 8 bytes = 1.25 pJ.
pub const PJ_PER_BYTE_SRAM: f64 = PJ_SRAM_8KB_64BIT_ACCESS / 8.0;
/// \[D\] Off-chip (DRAM) energy per byte: 1,300 pJ / 8 bytes = 162.5 pJ.
pub const PJ_PER_BYTE_DRAM: f64 = PJ_DRAM_64BIT_ACCESS / 8.0;

/// The energy costs a simulator charges. [`EnergyCosts::HOROWITZ_45NM_FP32`] is the default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyCosts {
    /// Per FLOP.
    pub pj_per_flop: f64,
    /// Per byte moved on chip (SRAM read or write, or a fabric hop).
    pub pj_per_byte_on_chip: f64,
    /// Per byte moved to or from off-chip memory.
    pub pj_per_byte_off_chip: f64,
}

impl EnergyCosts {
    /// FP32 arithmetic with Horowitz's 45 nm SRAM and DRAM figures.
    pub const HOROWITZ_45NM_FP32: EnergyCosts = EnergyCosts {
        pj_per_flop: PJ_PER_FLOP_FP32,
        pj_per_byte_on_chip: PJ_PER_BYTE_SRAM,
        pj_per_byte_off_chip: PJ_PER_BYTE_DRAM,
    };
    /// FP16 arithmetic with Horowitz's 45 nm SRAM and DRAM figures.
    pub const HOROWITZ_45NM_FP16: EnergyCosts = EnergyCosts {
        pj_per_flop: PJ_PER_FLOP_FP16,
        pj_per_byte_on_chip: PJ_PER_BYTE_SRAM,
        pj_per_byte_off_chip: PJ_PER_BYTE_DRAM,
    };

    /// Energy of a run that did `flops` FLOPs and moved the given bytes.
    #[must_use]
    pub fn estimate(&self, flops: u64, on_chip: Bytes, off_chip: Bytes) -> EnergyEstimate {
        // u64 → f64: exact below 2^53, far above any count here.
        EnergyEstimate {
            compute: Picojoules(flops as f64 * self.pj_per_flop),
            on_chip: Picojoules(on_chip.0 as f64 * self.pj_per_byte_on_chip),
            off_chip: Picojoules(off_chip.0 as f64 * self.pj_per_byte_off_chip),
        }
    }
}

/// Energy split by where it was spent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EnergyEstimate {
    /// Arithmetic.
    pub compute: Picojoules,
    /// On-chip data movement.
    pub on_chip: Picojoules,
    /// Off-chip data movement.
    pub off_chip: Picojoules,
}

impl EnergyEstimate {
    /// Sum of the parts.
    #[must_use]
    pub fn total(&self) -> Picojoules {
        self.compute + self.on_chip + self.off_chip
    }
}

/// How one unit (an SM array, the HBM interface, a PE) spent its cycles.
/// `busy + idle + stalled` equals the run's cycle count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitActivity {
    /// Name shown in the UI ("SMs", "HBM", "PE (3, 1)").
    pub name: String,
    /// Cycles doing useful work.
    pub busy: Cycle,
    /// Cycles with nothing to do.
    pub idle: Cycle,
    /// Cycles wanting to work but blocked (waiting on memory, a full queue).
    pub stalled: Cycle,
}

/// The common report of a finished (or paused) run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    /// Machine name ("NVIDIA A100 40GB SXM", "WSE-2 mesh 8×8").
    pub machine: String,
    /// Cycles elapsed.
    pub cycles: Cycle,
    /// Clock the cycles are converted at, in Hz.
    pub clock_hz: f64,
    /// Per-unit activity.
    pub units: Vec<UnitActivity>,
    /// Bytes moved on chip (SRAM, caches, fabric hops).
    pub bytes_on_chip: Bytes,
    /// Bytes moved to or from off-chip memory or across the chip edge.
    pub bytes_off_chip: Bytes,
    /// FLOPs the machine did. May exceed the workload's count: a mesh that splits a dot
    /// product over PEs does one extra add per block to combine the partial sums.
    pub flops: u64,
    /// Peak FLOP/s of the machine as configured.
    pub peak_flops_per_s: f64,
    /// Energy estimate.
    pub energy: EnergyEstimate,
}

impl RunMetrics {
    /// Elapsed time in seconds.
    #[must_use]
    pub fn seconds(&self) -> f64 {
        self.cycles.seconds_at(self.clock_hz)
    }

    /// Achieved FLOP/s (0 for an empty run).
    #[must_use]
    pub fn achieved_flops_per_s(&self) -> f64 {
        let s = self.seconds();
        // u64 → f64: exact below 2^53.
        if s > 0.0 { self.flops as f64 / s } else { 0.0 }
    }

    /// Achieved as a fraction of peak, in [0, 1].
    #[must_use]
    pub fn fraction_of_peak(&self) -> f64 {
        if self.peak_flops_per_s > 0.0 {
            self.achieved_flops_per_s() / self.peak_flops_per_s
        } else {
            0.0
        }
    }

    /// Arithmetic intensity in FLOPs per off-chip byte: the x coordinate of the run's
    /// roofline point. `None` when nothing moved off chip (intensity without bound).
    #[must_use]
    pub fn arithmetic_intensity(&self) -> Option<f64> {
        // u64 → f64: exact below 2^53.
        (self.bytes_off_chip.0 > 0).then(|| self.flops as f64 / self.bytes_off_chip.0 as f64)
    }

    /// The run's roofline point: (FLOPs per off-chip byte, achieved FLOP/s).
    #[must_use]
    pub fn roofline_point(&self) -> (Option<f64>, f64) {
        (self.arithmetic_intensity(), self.achieved_flops_per_s())
    }

    /// Sum of all units' activity: (busy, idle, stalled) in unit-cycles.
    #[must_use]
    pub fn total_activity(&self) -> (Cycle, Cycle, Cycle) {
        self.units
            .iter()
            .fold((Cycle::ZERO, Cycle::ZERO, Cycle::ZERO), |acc, u| {
                (acc.0 + u.busy, acc.1 + u.idle, acc.2 + u.stalled)
            })
    }
}

impl fmt::Display for RunMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} ({:.3} µs)",
            self.machine,
            self.cycles,
            self.seconds() * 1e6
        )?;
        writeln!(
            f,
            "  {} FLOPs, {:.3} TFLOP/s achieved of {:.3} peak ({:.2}%)",
            self.flops,
            self.achieved_flops_per_s() / 1e12,
            self.peak_flops_per_s / 1e12,
            100.0 * self.fraction_of_peak()
        )?;
        writeln!(
            f,
            "  on chip {}, off chip {}",
            self.bytes_on_chip, self.bytes_off_chip
        )?;
        match self.arithmetic_intensity() {
            Some(ai) => writeln!(f, "  arithmetic intensity {ai:.2} FLOP/byte")?,
            None => writeln!(f, "  arithmetic intensity unbounded (no off-chip bytes)")?,
        }
        write!(f, "  energy {}", self.energy.total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_constants_follow_the_cited_figures() {
        assert!((PJ_PER_FLOP_FP32 - 2.3).abs() < 1e-12);
        assert!((PJ_PER_BYTE_SRAM - 1.25).abs() < 1e-12);
        assert!((PJ_PER_BYTE_DRAM - 162.5).abs() < 1e-12);
        let e = EnergyCosts::HOROWITZ_45NM_FP32.estimate(10, Bytes(8), Bytes(8));
        assert!((e.total().0 - (23.0 + 10.0 + 1300.0)).abs() < 1e-9);
    }

    #[test]
    fn roofline_point_and_rates() {
        let m = RunMetrics {
            machine: "test".into(),
            cycles: Cycle(1_000),
            clock_hz: 1e9,
            units: vec![],
            bytes_on_chip: Bytes(0),
            bytes_off_chip: Bytes(500),
            flops: 1_000,
            peak_flops_per_s: 2e12,
            energy: EnergyEstimate::default(),
        };
        assert_eq!(m.arithmetic_intensity(), Some(2.0));
        // 1000 FLOPs in 1 µs = 1 GFLOP/s.
        assert!((m.achieved_flops_per_s() - 1e9).abs() < 1e-3);
        assert!((m.fraction_of_peak() - 0.0005).abs() < 1e-12);
    }
}
