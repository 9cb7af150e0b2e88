//! Validated parameters of a TSP-style chip, and the constants behind the presets.
//!
//! Tags follow the course facts (§1.4): \[P\] primary, \[S\] secondary, \[D\] derived by
//! arithmetic from those. A constant without a source is called a **modelling choice**: the
//! facts say that every instruction has a fixed latency the compiler knows, but not what
//! those latencies are, so this model picks them and says so.

use crate::error::{SimError, check_rate, check_size};
use crate::metrics::EnergyCosts;
use crate::units::{Bytes, Cycle};
use std::fmt;

/// Superlanes of a GroqChip, 20 (plus a spare in the physical layout) \[S\] (MPR, Jan 2020).
pub const TSP_SUPERLANES: u32 = 20;
/// Lanes per superlane, 16 \[S\]: 20 × 16 = 320 lanes, and a vector is 320 elements.
pub const LANES_PER_SUPERLANE: u32 = 16;
/// MEM slices in each hemisphere of the real floorplan, 44 \[S\] (88 slices in all).
pub const TSP_MEM_PER_HEMISPHERE: u32 = 44;
/// Capacity of one MEM slice, 2.5 MiB \[S\] (88 × 2.5 MiB = 220 MiB, the ISCA paper's figure).
pub const TSP_MEM_SLICE_BYTES: Bytes = Bytes(5 << 19);
/// MEM capacity per superlane of a slice, 128 KiB \[D\]: 2.5 MiB / 20 superlanes. A chip with
/// fewer superlanes gets proportionally smaller slices.
pub const MEM_BYTES_PER_SUPERLANE: Bytes = Bytes::kib(128);
/// Clock, 900 MHz \[P\] (ISCA 2020 abstract; ALCF user guide).
pub const TSP_CLOCK_HZ: f64 = 900e6;
/// Stream registers per direction, 32 eastward and 32 westward \[S\] (TSP-style cycle models
/// that follow the published layout).
pub const STREAMS_PER_DIRECTION: u32 = 32;

/// Cycles from a MEM read instruction to its vector leaving on a stream: 2. **Modelling choice.**
pub const MEM_READ_LATENCY: Cycle = Cycle(2);
/// Cycles from a vector arriving at a MEM slice to it being readable there: 1. **Modelling choice.**
pub const MEM_WRITE_LATENCY: Cycle = Cycle(1);
/// Cycles a vector spends in the VXM for an add, a multiply or a ReLU: 4. **Modelling choice.**
pub const VXM_LATENCY: Cycle = Cycle(4);
/// Cycles a vector spends in the VXM for a GELU or an exponential-and-normalise pass (a chain
/// of ALU operations in one pass): 12. **Modelling choice.**
pub const VXM_LONG_LATENCY: Cycle = Cycle(12);
/// Cycles a vector spends in an SXM (a shift or a reduction across lanes): 3. **Modelling choice.**
pub const SXM_LATENCY: Cycle = Cycle(3);
/// Cycles from an activation vector entering the MXM to its partial sums leaving it: 24.
/// **Modelling choice** (the facts give the MXM's size, not its pipeline depth).
pub const MXM_LATENCY: Cycle = Cycle(24);
/// Cycles between the last weight row entering an MXM and the first activation it can
/// multiply (the weights being installed in the array): 4. **Modelling choice.** Loading the
/// weight rows themselves takes one cycle per row, at the stream's rate.
pub const MXM_WEIGHT_INSTALL: Cycle = Cycle(4);

/// Largest superlane count accepted (the picture and the tables stay readable).
pub const MAX_SUPERLANES: u32 = 64;
/// Largest lane count per superlane accepted.
pub const MAX_LANES: u32 = 64;
/// Largest MEM slice count per hemisphere accepted.
pub const MAX_MEM_PER_HEMISPHERE: u32 = 64;

/// What a functional slice does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SliceKind {
    /// Memory: holds tensors, reads vectors onto streams and writes vectors from them.
    Mem,
    /// Vector unit: elementwise arithmetic, activations, the normalising passes.
    Vxm,
    /// Matrix unit: holds a block of weights and multiplies the vectors streaming through.
    Mxm,
    /// Switch unit: shifts, permutes and reduces vectors across lanes.
    Sxm,
}

impl SliceKind {
    /// Short name: "MEM", "VXM", "MXM", "SXM".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Mem => "MEM",
            Self::Vxm => "VXM",
            Self::Mxm => "MXM",
            Self::Sxm => "SXM",
        }
    }
}

impl fmt::Display for SliceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fixed latencies of the instructions, all modelling choices (see the constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latencies {
    /// MEM read → vector on a stream.
    pub mem_read: Cycle,
    /// Vector arrives → readable in MEM.
    pub mem_write: Cycle,
    /// VXM add, multiply, ReLU.
    pub vxm: Cycle,
    /// VXM GELU, exponential, normalise.
    pub vxm_long: Cycle,
    /// SXM shift or reduction.
    pub sxm: Cycle,
    /// MXM multiply pipeline.
    pub mxm: Cycle,
    /// MXM weight install after the last weight row.
    pub mxm_install: Cycle,
}

impl Latencies {
    /// This model's choices.
    pub const MODEL: Latencies = Latencies {
        mem_read: MEM_READ_LATENCY,
        mem_write: MEM_WRITE_LATENCY,
        vxm: VXM_LATENCY,
        vxm_long: VXM_LONG_LATENCY,
        sxm: SXM_LATENCY,
        mxm: MXM_LATENCY,
        mxm_install: MXM_WEIGHT_INSTALL,
    };
}

/// Parameters of a TSP-style chip. Build one with [`GroqConfig::tsp`] or [`GroqConfig::small`]
/// and adjust fields; every entry point validates it.
///
/// The row of slices, west to east, is `MXM, MXM, SXM, MEM×k, VXM, MEM×k, SXM, MXM, MXM`
/// (`k` = [`GroqConfig::mem_per_hemisphere`]): two mirrored hemispheres around the VXM \[S\].
#[derive(Debug, Clone, PartialEq)]
pub struct GroqConfig {
    /// Name shown in the UI.
    pub name: String,
    /// Superlanes (rows of the chip); an instruction reaches superlane `s` `s` cycles after
    /// superlane 0.
    pub n_superlanes: u32,
    /// Lanes per superlane; a vector has `n_superlanes × lanes` elements.
    pub lanes_per_superlane: u32,
    /// MEM slices on each side of the VXM.
    pub mem_per_hemisphere: u32,
    /// Capacity of one MEM slice.
    pub mem_slice_bytes: Bytes,
    /// Clock used to convert cycles to time.
    pub clock_hz: f64,
    /// Stream registers per direction.
    pub streams_per_direction: u32,
    /// Instruction latencies (modelling choices).
    pub latencies: Latencies,
    /// Energy costs charged.
    pub energy: EnergyCosts,
    /// Events kept undrained (0: no trace).
    pub trace_capacity: usize,
}

impl GroqConfig {
    /// The real floorplan for the figures: 20 superlanes of 16 lanes, 44 MEM slices of
    /// 2.5 MiB per hemisphere (95 slices), 900 MHz.
    #[must_use]
    pub fn tsp() -> Self {
        Self {
            name: "GroqChip (TSP floorplan, 20 superlanes)".to_owned(),
            n_superlanes: TSP_SUPERLANES,
            lanes_per_superlane: LANES_PER_SUPERLANE,
            mem_per_hemisphere: TSP_MEM_PER_HEMISPHERE,
            mem_slice_bytes: TSP_MEM_SLICE_BYTES,
            clock_hz: TSP_CLOCK_HZ,
            streams_per_direction: STREAMS_PER_DIRECTION,
            latencies: Latencies::MODEL,
            energy: EnergyCosts::HOROWITZ_45NM_FP16,
            trace_capacity: 4_096,
        }
    }

    /// A small chip for the picture: `n_superlanes` superlanes and 4 MEM slices per
    /// hemisphere (15 slices), each MEM slice 128 KiB per superlane.
    #[must_use]
    pub fn small(n_superlanes: u32) -> Self {
        Self {
            name: format!("TSP-style chip, {n_superlanes} superlanes, 15 slices"),
            n_superlanes,
            mem_per_hemisphere: 4,
            mem_slice_bytes: Bytes(
                MEM_BYTES_PER_SUPERLANE
                    .0
                    .saturating_mul(u64::from(n_superlanes)),
            ),
            ..Self::tsp()
        }
    }

    /// The same chip with another number of superlanes (MEM slices keep 128 KiB per superlane).
    #[must_use]
    pub fn with_superlanes(self, n_superlanes: u32) -> Self {
        Self {
            n_superlanes,
            mem_slice_bytes: Bytes(
                MEM_BYTES_PER_SUPERLANE
                    .0
                    .saturating_mul(u64::from(n_superlanes)),
            ),
            ..self
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// A zero or too-large count, a zero MEM slice, a clock that is not a positive number.
    pub fn validate(&self) -> Result<(), SimError> {
        check_size(
            "number of superlanes",
            u64::from(self.n_superlanes),
            u64::from(MAX_SUPERLANES),
        )?;
        check_size(
            "number of lanes per superlane",
            u64::from(self.lanes_per_superlane),
            u64::from(MAX_LANES),
        )?;
        check_size(
            "number of MEM slices per hemisphere",
            u64::from(self.mem_per_hemisphere),
            u64::from(MAX_MEM_PER_HEMISPHERE),
        )?;
        check_size(
            "MEM slice capacity in bytes",
            self.mem_slice_bytes.0,
            1 << 40,
        )?;
        check_size(
            "number of streams per direction",
            u64::from(self.streams_per_direction),
            64,
        )?;
        check_rate("clock", self.clock_hz)?;
        Ok(())
    }

    /// Elements in one vector: superlanes × lanes.
    #[must_use]
    pub fn vector_len(&self) -> u64 {
        u64::from(self.n_superlanes) * u64::from(self.lanes_per_superlane)
    }

    /// The slices west to east.
    #[must_use]
    pub fn floorplan(&self) -> Vec<SliceKind> {
        let k = self.mem_per_hemisphere as usize;
        let mut row = vec![SliceKind::Mxm, SliceKind::Mxm, SliceKind::Sxm];
        row.extend(std::iter::repeat_n(SliceKind::Mem, k));
        row.push(SliceKind::Vxm);
        row.extend(std::iter::repeat_n(SliceKind::Mem, k));
        row.extend([SliceKind::Sxm, SliceKind::Mxm, SliceKind::Mxm]);
        row
    }

    /// Number of slices: `2k + 7`.
    #[must_use]
    pub fn n_slices(&self) -> u32 {
        2 * self.mem_per_hemisphere + 7
    }

    /// Total MEM capacity.
    #[must_use]
    pub fn mem_bytes(&self) -> Bytes {
        Bytes(
            self.mem_slice_bytes
                .0
                .saturating_mul(2 * u64::from(self.mem_per_hemisphere)),
        )
    }

    /// Peak FLOP/s of the model: four MXMs, each a `V × V` array doing one multiply-add per
    /// cell per cycle. For the real floorplan 4 × 320² × 2 × 0.9 GHz = 737 TFLOP/s, the
    /// \[D\] figure beside the 750 TOPS INT8 peak \[P\].
    #[must_use]
    pub fn peak_flops_per_s(&self) -> f64 {
        let v = self.vector_len() as f64;
        4.0 * v * v * 2.0 * self.clock_hz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_floorplan_has_95_slices_and_220_mib() {
        let c = GroqConfig::tsp();
        c.validate().unwrap();
        assert_eq!(c.n_slices(), 95);
        assert_eq!(c.floorplan().len(), 95);
        assert_eq!(c.floorplan()[47], SliceKind::Vxm);
        assert_eq!(c.vector_len(), 320);
        assert_eq!(c.mem_bytes(), Bytes(220 << 20));
        assert_eq!(GroqConfig::small(20).mem_slice_bytes, TSP_MEM_SLICE_BYTES);
        assert!((c.peak_flops_per_s() / 1e12 - 737.28).abs() < 0.01);
        assert_eq!(
            GroqConfig::small(0).validate(),
            Err(SimError::ZeroSize {
                what: "number of superlanes"
            })
        );
    }
}
