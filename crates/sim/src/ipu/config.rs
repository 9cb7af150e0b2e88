//! Validated parameters of an IPU-style machine, and the constants behind the presets.
//!
//! Tags follow the course facts (§1.2): \[P\] primary, \[S\] secondary, \[D\] derived by
//! arithmetic from those. Every parameter without a source is called a modelling choice.

use crate::error::{SimError, check_rate, check_size};
use crate::metrics::EnergyCosts;
use crate::units::{Bytes, Cycle};

/// Tiles per GC200 or Bow IPU, 1,472 \[P\] (ALCF user guide: 94,208 cores / 64 IPUs).
pub const GC200_TILES: u32 = 1_472;
/// SRAM per tile, 624 KiB \[S\] (two secondary sources; 1,472 × 624 KiB ≈ 897 MiB, consistent
/// with the ~900 MB per IPU the ALCF guide gives \[P\]).
pub const TILE_MEMORY: Bytes = Bytes::kib(624);
/// Worker threads per tile, 6 \[S\]/\[D\] (8,832 threads per IPU / 1,472 tiles).
pub const THREADS_PER_TILE: u32 = 6;
/// Bow IPU clock, 1.85 GHz \[S\] (launch coverage).
pub const BOW_CLOCK_HZ: f64 = 1.85e9;
/// GC200 clock, ~1.33 GHz \[S\] (launch coverage gives ~1.33–1.35 GHz).
pub const GC200_CLOCK_HZ: f64 = 1.33e9;
/// FP16 FLOPs per tile per cycle, 128 \[D\]: 250e12 / (1,472 × 1.33e9) ≈ 128 (GC200) and
/// 350e12 / (1,472 × 1.85e9) ≈ 128.5 (Bow).
pub const FP16_FLOPS_PER_TILE_CYCLE: u32 = 128;
/// FP32 FLOPs per tile per cycle, 32 \[D\]: 62.5e12 FP32 FLOP/s (GC200 \[S\]) /
/// (1,472 × 1.33e9) ≈ 31.9, rounded to 32.
pub const FP32_FLOPS_PER_TILE_CYCLE: u32 = 32;
/// Exchange bytes a tile sends (and, separately, receives) per cycle: 4. **Modelling choice**
/// (one 32-bit word each way per cycle); the course facts give no per-tile exchange rate.
pub const EXCHANGE_BYTES_PER_TILE_CYCLE: u32 = 4;
/// Cycles from the last tile's sync request to the acknowledgement: 100. **Modelling
/// choice**; the facts describe the sync mechanism \[P\] but give no latency.
pub const SYNC_LATENCY: Cycle = Cycle(100);
/// Host link rate, 12.5 GB/s (100 Gbit/s). **Modelling choice**: the Bow-2000's host link
/// runs PCIe Gen4 / RoCEv2 \[P\] but its usable rate is not in the sources; 100 Gbit/s is the
/// one link speed the facts give for the machine (its GW-Links).
pub const HOST_LINK_BYTES_PER_S: f64 = 12.5e9;
/// Fixed cost of one host call (a round trip through PopTorch, the driver and the link):
/// 50 µs. **Modelling choice**, not measured; it is what makes `device_iterations` matter.
pub const HOST_CALL_LATENCY_S: f64 = 50e-6;
/// Fewest elements the compiler puts on one tile when it spreads an input or an elementwise
/// op over tiles: 64. **Modelling choice** (a grain size): spreading a small tensor one
/// element per tile would make every reader gather from hundreds of tiles.
pub const MIN_BLOCK_ELEMENTS: u32 = 64;
/// Largest tile count accepted (64 IPUs' worth, the ALCF Bow Pod64).
pub const MAX_TILES: u32 = 64 * GC200_TILES;

/// Parameters of an IPU-style machine. Build one with [`IpuConfig::bow`], [`IpuConfig::gc200`]
/// or [`IpuConfig::small`] and adjust fields; every entry point validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct IpuConfig {
    /// Name shown in the UI ("Bow IPU", "IPU, 16 tiles").
    pub name: String,
    /// Tiles (each a processor with its own SRAM).
    pub n_tiles: u32,
    /// SRAM per tile; a tile addresses only its own.
    pub tile_memory: Bytes,
    /// Worker threads per tile (barrel-threaded; a tile reaches its full rate only when every
    /// worker has a vertex to run).
    pub threads_per_tile: u32,
    /// Clock used to convert cycles to time.
    pub clock_hz: f64,
    /// FP32 FLOPs per tile per cycle with all workers busy.
    pub fp32_flops_per_cycle: u32,
    /// FP16 FLOPs per tile per cycle with all workers busy.
    pub fp16_flops_per_cycle: u32,
    /// Exchange bytes a tile sends per cycle, and receives per cycle (modelling choice).
    pub exchange_bytes_per_cycle: u32,
    /// Cycles a sync takes once the last tile has reached it (modelling choice).
    pub sync_latency: Cycle,
    /// Host link rate in bytes per second (modelling choice).
    pub host_link_bytes_per_s: f64,
    /// Fixed cost of one host call in seconds (modelling choice).
    pub host_call_latency_s: f64,
    /// Energy costs charged.
    pub energy: EnergyCosts,
    /// Fewest elements per tile when an input or an elementwise op is spread (modelling
    /// choice; 1 spreads as thin as the tile count allows).
    pub min_block_elements: u32,
    /// Events kept undrained (0: no trace).
    pub trace_capacity: usize,
}

impl IpuConfig {
    /// A Bow IPU: 1,472 tiles at 1.85 GHz.
    #[must_use]
    pub fn bow() -> Self {
        Self {
            name: "Bow IPU".to_owned(),
            n_tiles: GC200_TILES,
            tile_memory: TILE_MEMORY,
            threads_per_tile: THREADS_PER_TILE,
            clock_hz: BOW_CLOCK_HZ,
            fp32_flops_per_cycle: FP32_FLOPS_PER_TILE_CYCLE,
            fp16_flops_per_cycle: FP16_FLOPS_PER_TILE_CYCLE,
            exchange_bytes_per_cycle: EXCHANGE_BYTES_PER_TILE_CYCLE,
            sync_latency: SYNC_LATENCY,
            host_link_bytes_per_s: HOST_LINK_BYTES_PER_S,
            host_call_latency_s: HOST_CALL_LATENCY_S,
            energy: EnergyCosts::HOROWITZ_45NM_FP32,
            min_block_elements: MIN_BLOCK_ELEMENTS,
            trace_capacity: 4_096,
        }
    }

    /// A GC200 (Mk2) IPU: as [`IpuConfig::bow`] at ~1.33 GHz.
    #[must_use]
    pub fn gc200() -> Self {
        Self {
            name: "GC200 IPU".to_owned(),
            clock_hz: GC200_CLOCK_HZ,
            ..Self::bow()
        }
    }

    /// A small IPU for the picture: `n_tiles` Bow tiles.
    #[must_use]
    pub fn small(n_tiles: u32) -> Self {
        Self {
            name: format!("IPU, {n_tiles} tiles"),
            n_tiles,
            ..Self::bow()
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// A zero or too-large size, a bad rate.
    pub fn validate(&self) -> Result<(), SimError> {
        check_size(
            "number of tiles",
            u64::from(self.n_tiles),
            u64::from(MAX_TILES),
        )?;
        check_size("tile memory", self.tile_memory.0, 1 << 30)?;
        check_size("threads per tile", u64::from(self.threads_per_tile), 64)?;
        check_size(
            "FP32 FLOPs per tile per cycle",
            u64::from(self.fp32_flops_per_cycle),
            1 << 16,
        )?;
        check_size(
            "FP16 FLOPs per tile per cycle",
            u64::from(self.fp16_flops_per_cycle),
            1 << 16,
        )?;
        check_size(
            "exchange bytes per tile per cycle",
            u64::from(self.exchange_bytes_per_cycle),
            1 << 16,
        )?;
        check_size("sync latency", self.sync_latency.0.max(1), 1 << 20)?;
        check_size(
            "minimum elements per tile block",
            u64::from(self.min_block_elements),
            1 << 20,
        )?;
        check_rate("clock", self.clock_hz)?;
        check_rate("host link rate", self.host_link_bytes_per_s)?;
        if !(self.host_call_latency_s.is_finite() && self.host_call_latency_s >= 0.0) {
            return Err(SimError::BadRate {
                what: "host call latency",
                value: self.host_call_latency_s,
            });
        }
        Ok(())
    }

    /// FLOPs per tile per cycle for an element type.
    #[must_use]
    pub fn flops_per_cycle(&self, dtype: crate::workload::DType) -> u32 {
        match dtype {
            crate::workload::DType::F32 => self.fp32_flops_per_cycle,
            crate::workload::DType::F16 => self.fp16_flops_per_cycle,
        }
    }

    /// Peak FP32 FLOP/s of the whole machine as configured.
    #[must_use]
    pub fn peak_fp32_flops_per_s(&self) -> f64 {
        f64::from(self.n_tiles) * f64::from(self.fp32_flops_per_cycle) * self.clock_hz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_match_the_sourced_figures() {
        let bow = IpuConfig::bow();
        bow.validate().unwrap();
        IpuConfig::gc200().validate().unwrap();
        // 1,472 × 624 KiB ≈ 897 MiB.
        assert_eq!(u64::from(bow.n_tiles) * bow.tile_memory.0, 940_572_672);
        // 1,472 × 32 × 1.33e9 ≈ 62.6 TFLOP/s FP32 on the GC200.
        let gc = IpuConfig::gc200().peak_fp32_flops_per_s();
        assert!((gc / 1e12 - 62.6).abs() < 0.1, "{gc}");
        assert_eq!(
            IpuConfig::small(0).validate(),
            Err(SimError::ZeroSize {
                what: "number of tiles"
            })
        );
        let mut c = IpuConfig::small(4);
        c.clock_hz = f64::NAN;
        assert!(c.validate().is_err());
    }
}
