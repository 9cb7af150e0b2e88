//! Validated parameters of an RDU-style tile, and the constants behind the two presets.
//!
//! Tags follow the course facts (§1.3): \[P\] primary, \[S\] secondary, \[D\] derived by
//! arithmetic from those, \[U\] unverified. Every parameter without a source is called a
//! **modelling choice** here and in [`super::MODEL_ASSUMPTIONS`], never a SambaNova figure.
//!
//! # The tile
//! A tile is a grid of `rows × 2·pcu_columns` cells laid out as a checkerboard: a cell
//! `(x, y)` holds a PCU when `x + y` is even and a PMU when it is odd (the Plasticine layout
//! \[P\]: PCUs and PMUs interleaved, switches between them). Every PCU and PMU has a switch;
//! a route between two units costs one switch hop per cell of Manhattan distance. One AGCU
//! per tile, drawn on the left edge, is the tile's portal to off-chip DDR.

use crate::error::{SimError, check_rate, check_size};
use crate::metrics::EnergyCosts;
use crate::units::{Bytes, Cycle};

/// PCUs (and PMUs) on one SN10 RDU: 640 each \[S\] (NextPlatform, ServeTheHome Hot Chips 33).
pub const SN10_PCUS_PER_CHIP: u32 = 640;
/// Tiles per SN10-class die: 4 \[D\] — the ALCF node lists 8 tiles per SN30 RDU \[P\] and an
/// SN30 is two SN10-class dies \[S\].
pub const SN10_TILES_PER_DIE: u32 = 4;
/// PCUs (and PMUs) per SN10-class tile: 160 \[D\] = 640 / 4.
pub const SN10_PCUS_PER_TILE: u32 = SN10_PCUS_PER_CHIP / SN10_TILES_PER_DIE;
/// Rows of the SN10-class tile's grid: 8. **Modelling choice**: the count (160 PCUs) is
/// derived, the 8 × 20 arrangement is not sourced.
pub const SN10_TILE_ROWS: u32 = 8;
/// SIMD lanes per PCU: 16 \[S\] (SN40L, Stanford CS149 lecture 12 and Hot Chips 2024 slides;
/// the Plasticine paper's 16 is \[U\]). Used for the SN10-class tile too.
pub const PCU_LANES: u32 = 16;
/// Pipeline stages per PCU: 8 \[S\] (SN40L, same sources; Plasticine's 6 is \[U\]).
pub const PCU_STAGES: u32 = 8;
/// Scratchpad per PMU: 0.5 MB \[D\] = 320 MB / 640 PMUs (SN10 \[S\]); the SN40L slides say the
/// same \[S\].
pub const PMU_CAPACITY: Bytes = Bytes(512 * 1024);
/// Clock used to turn cycles into seconds: 1.95 GHz. **Modelling choice, derived**: no source
/// gives the RDU's clock; 1.95 GHz is what makes 640 PCUs × 16 lanes × 8 stages × 2 FLOPs
/// reach SN10's >320 TFLOPS BF16 \[S\] (320e12 / 327,680 ≈ 1.95e9), assuming one multiply-add
/// per lane per stage per cycle.
pub const CLOCK_HZ: f64 = 1.95e9;
/// Bytes the AGCU reads from DDR per cycle, and separately writes: 32. **Modelling choice**
/// (≈62 GB/s each way per tile at 1.95 GHz); the facts give DDR capacity and channel counts
/// but no bandwidth per tile. The compile log's projection for BERT-large used 64.6 GB/s \[P\].
pub const DDR_BYTES_PER_CYCLE: u32 = 32;
/// Cycles per switch hop on a route: 1. **Modelling choice** (the facts describe the mesh of
/// switches and its credit-based flow control \[S\], not its latency).
pub const HOP_CYCLES: u32 = 1;
/// Cycles to load one section's configuration (the bit file of its PCUs, PMUs and switches)
/// before its weights stream in: 10,000 (≈5 µs). **Modelling choice**; no source gives it.
pub const SECTION_CONFIG_CYCLES: u64 = 10_000;
/// Link bandwidth between replicas for the gradient all-reduce inside one node, bytes per
/// second: 50 GB/s. **Modelling choice**; the facts name the XRDU switch and `--reduce-on-rdu`
/// \[P\] but give no rate.
pub const ALLREDUCE_INTRA_NODE_BYTES_PER_S: f64 = 50e9;
/// The same across nodes (the 32-task runs used two nodes): 25 GB/s. **Modelling choice**.
pub const ALLREDUCE_INTER_NODE_BYTES_PER_S: f64 = 25e9;
/// Replicas (tasks) per node: 16 \[P\] (`--ntasks-per-node 16`: 16 instances × 4 tiles =
/// the 64 tiles of an SN30-8 node).
pub const TASKS_PER_NODE: u32 = 16;
/// Latency of one step of the ring all-reduce: 10 µs. **Modelling choice**.
pub const ALLREDUCE_STEP_LATENCY_S: f64 = 10e-6;

/// Largest grid side accepted (rows, PCU columns).
pub const MAX_GRID_SIDE: u32 = 64;
/// Largest number of data-parallel replicas accepted.
pub const MAX_TASKS: u32 = 4_096;
/// Largest number of micro-batches per replica accepted.
pub const MAX_MICRO_BATCHES: u32 = 4_096;

/// Parameters of an RDU-style tile and of the run around it. Build one with
/// [`RduConfig::small`] or [`RduConfig::sn10_tile`] and adjust fields; every entry point
/// validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct RduConfig {
    /// Name shown in the UI.
    pub name: String,
    /// Rows of the grid.
    pub rows: u32,
    /// PCUs per row (the grid is twice as wide: each PCU has a PMU beside it).
    pub pcu_columns: u32,
    /// SIMD lanes per PCU.
    pub lanes: u32,
    /// Pipeline stages per PCU.
    pub stages: u32,
    /// Scratchpad per PMU.
    pub pmu_capacity: Bytes,
    /// Clock used to convert cycles to time (modelling choice, see [`CLOCK_HZ`]).
    pub clock_hz: f64,
    /// Bytes the AGCU reads per cycle, and separately writes (modelling choice).
    pub ddr_bytes_per_cycle: u32,
    /// Cycles per switch hop (modelling choice).
    pub hop_cycles: u32,
    /// Cycles to load a section's configuration, before its weights (modelling choice).
    pub section_config_cycles: Cycle,
    /// All-reduce link rate inside a node, bytes per second (modelling choice).
    pub allreduce_intra_node_bytes_per_s: f64,
    /// All-reduce link rate across nodes, bytes per second (modelling choice).
    pub allreduce_inter_node_bytes_per_s: f64,
    /// Replicas per node.
    pub tasks_per_node: u32,
    /// Latency of one ring step of the all-reduce, seconds (modelling choice).
    pub allreduce_step_latency_s: f64,
    /// Energy costs charged.
    pub energy: EnergyCosts,
    /// Events kept undrained (0: no trace).
    pub trace_capacity: usize,
}

impl RduConfig {
    /// An SN10-class tile: 160 PCUs and 160 PMUs on an 8 × 20 grid.
    #[must_use]
    pub fn sn10_tile() -> Self {
        Self {
            name: "SN10-class RDU tile (160 PCUs, 160 PMUs)".to_owned(),
            rows: SN10_TILE_ROWS,
            pcu_columns: SN10_PCUS_PER_TILE / SN10_TILE_ROWS,
            lanes: PCU_LANES,
            stages: PCU_STAGES,
            pmu_capacity: PMU_CAPACITY,
            clock_hz: CLOCK_HZ,
            ddr_bytes_per_cycle: DDR_BYTES_PER_CYCLE,
            hop_cycles: HOP_CYCLES,
            section_config_cycles: Cycle(SECTION_CONFIG_CYCLES),
            allreduce_intra_node_bytes_per_s: ALLREDUCE_INTRA_NODE_BYTES_PER_S,
            allreduce_inter_node_bytes_per_s: ALLREDUCE_INTER_NODE_BYTES_PER_S,
            tasks_per_node: TASKS_PER_NODE,
            allreduce_step_latency_s: ALLREDUCE_STEP_LATENCY_S,
            energy: EnergyCosts::HOROWITZ_45NM_FP32,
            trace_capacity: 4_096,
        }
    }

    /// A small tile for the picture: `rows × pcu_columns` PCUs and as many PMUs, with the
    /// SN10-class tile's per-unit figures.
    #[must_use]
    pub fn small(rows: u32, pcu_columns: u32) -> Self {
        Self {
            name: format!(
                "RDU tile, {} PCUs and {} PMUs",
                u64::from(rows) * u64::from(pcu_columns),
                u64::from(rows) * u64::from(pcu_columns)
            ),
            rows,
            pcu_columns,
            ..Self::sn10_tile()
        }
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// A zero or too-large size, a bad rate.
    pub fn validate(&self) -> Result<(), SimError> {
        check_size(
            "number of grid rows",
            u64::from(self.rows),
            u64::from(MAX_GRID_SIDE),
        )?;
        check_size(
            "number of PCU columns",
            u64::from(self.pcu_columns),
            u64::from(MAX_GRID_SIDE),
        )?;
        check_size("number of SIMD lanes per PCU", u64::from(self.lanes), 256)?;
        check_size(
            "number of pipeline stages per PCU",
            u64::from(self.stages),
            64,
        )?;
        check_size("PMU capacity", self.pmu_capacity.0, 1 << 30)?;
        check_size(
            "DDR bytes per cycle",
            u64::from(self.ddr_bytes_per_cycle),
            1 << 16,
        )?;
        check_size(
            "switch hop latency",
            u64::from(self.hop_cycles).max(1),
            1 << 10,
        )?;
        check_size(
            "section load time",
            self.section_config_cycles.0.max(1),
            1 << 32,
        )?;
        check_size("tasks per node", u64::from(self.tasks_per_node), 1 << 16)?;
        check_rate("clock", self.clock_hz)?;
        check_rate(
            "all-reduce link rate inside a node",
            self.allreduce_intra_node_bytes_per_s,
        )?;
        check_rate(
            "all-reduce link rate across nodes",
            self.allreduce_inter_node_bytes_per_s,
        )?;
        if !(self.allreduce_step_latency_s.is_finite() && self.allreduce_step_latency_s >= 0.0) {
            return Err(SimError::BadRate {
                what: "all-reduce step latency",
                value: self.allreduce_step_latency_s,
            });
        }
        Ok(())
    }

    /// PCUs (equal to PMUs) in the tile.
    #[must_use]
    pub fn n_pcus(&self) -> u32 {
        self.rows * self.pcu_columns
    }

    /// Width of the checkerboard grid in cells.
    #[must_use]
    pub fn grid_width(&self) -> u32 {
        2 * self.pcu_columns
    }

    /// Multiply-adds one PCU does per cycle on a matrix product (each lane of each stage).
    #[must_use]
    pub fn macs_per_pcu_cycle(&self) -> u64 {
        u64::from(self.lanes) * u64::from(self.stages)
    }

    /// Peak FLOP/s of the tile as configured (2 FLOPs per multiply-add).
    #[must_use]
    pub fn peak_flops_per_s(&self) -> f64 {
        2.0 * f64::from(self.n_pcus()) * self.macs_per_pcu_cycle() as f64 * self.clock_hz
    }

    /// Cell `(x, y)` of PCU `i` (row-major over the checkerboard's PCU cells).
    #[must_use]
    pub fn pcu_cell(&self, i: u32) -> (u32, u32) {
        let y = i / self.pcu_columns;
        let k = i % self.pcu_columns;
        (2 * k + (y % 2), y)
    }

    /// Cell `(x, y)` of PMU `i`.
    #[must_use]
    pub fn pmu_cell(&self, i: u32) -> (u32, u32) {
        let y = i / self.pcu_columns;
        let k = i % self.pcu_columns;
        (2 * k + 1 - (y % 2), y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_match_the_sourced_figures() {
        let t = RduConfig::sn10_tile();
        t.validate().unwrap();
        assert_eq!(t.n_pcus(), 160);
        // 4 tiles × 160 PCUs × 128 MACs × 2 × 1.95 GHz ≈ 319 TFLOP/s per die.
        let die = 4.0 * t.peak_flops_per_s();
        assert!((die / 1e12 - 319.5).abs() < 1.0, "{die}");
        // 160 PMUs × 0.5 MB = 80 MB per tile, 320 MB per die.
        assert_eq!(u64::from(t.n_pcus()) * t.pmu_capacity.0 * 4, 320 << 20);
        assert_eq!(
            RduConfig::small(0, 4).validate(),
            Err(SimError::ZeroSize {
                what: "number of grid rows"
            })
        );
        let mut c = RduConfig::small(4, 4);
        c.lanes = 0;
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "number of SIMD lanes per PCU must be at least 1, but it is 0."
        );
        // The checkerboard: PCU and PMU cells never coincide.
        let c = RduConfig::small(3, 4);
        for i in 0..c.n_pcus() {
            assert_ne!(c.pcu_cell(i), c.pmu_cell(i));
            let (x, y) = c.pcu_cell(i);
            assert_eq!((x + y) % 2, 0);
            assert!(x < c.grid_width() && y < c.rows);
        }
    }
}
