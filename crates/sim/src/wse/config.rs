//! Validated parameters of a WSE-2-style mesh.

use crate::error::{SimError, check_rate, check_size};
use crate::metrics::EnergyCosts;
use crate::units::Bytes;

/// Routable colors of the WSE-2 fabric (IDs 0–23) \[P\] Cerebras SDK, "Task Identifiers and
/// Task Execution".
pub const WSE2_COLORS: u32 = 24;
/// Local memory of one WSE-2 PE, 48 KB \[P\] ALCF user guide, Cerebras system overview.
pub const WSE2_PE_MEMORY: Bytes = Bytes::kib(48);
/// Core clock of the WSE-2, ~1.1 GHz \[S\] Hot Chips 34 talk as summarised in a write-up.
pub const WSE2_CLOCK_HZ: f64 = 1.1e9;
/// Largest mesh side accepted (a 1024×1024 mesh is about a million PEs, the size of a wafer).
pub const MAX_MESH_SIDE: u32 = 1024;
/// Largest queue depth accepted.
pub const MAX_QUEUE_DEPTH: u32 = 64;

/// Parameters of a mesh. Build one with [`WseConfig::wse2`] and adjust fields; every
/// simulator entry point validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct WseConfig {
    /// PEs per row (east–west).
    pub width: u32,
    /// PEs per column (north–south).
    pub height: u32,
    /// Local memory per PE.
    pub memory_per_pe: Bytes,
    /// Colors (virtual channels) available, at most [`WSE2_COLORS`].
    pub n_colors: u32,
    /// Wavelets each router can hold per color (its input buffer for that color). Not
    /// sourced; 2 is the smallest depth that sustains one wavelet per cycle per link here.
    pub router_queue_depth: u32,
    /// Wavelets each compute engine can hold per color before the router must wait. Not
    /// sourced; a modelling choice.
    pub task_queue_depth: u32,
    /// FP32 multiply-adds the compute engine does per cycle. Not sourced (the course facts
    /// give no WSE-2 peak FLOPs); a modelling choice.
    pub fmacs_per_cycle: u32,
    /// Clock used to convert cycles to time.
    pub clock_hz: f64,
    /// Energy costs charged.
    pub energy: EnergyCosts,
    /// Trace capacity (0: no trace).
    pub trace_capacity: usize,
    /// Whether every task start is traced (many events on big meshes), or only milestones.
    pub trace_tasks: bool,
}

impl WseConfig {
    /// A `width × height` mesh with the WSE-2's PE memory, colors and clock, and this
    /// crate's modelling choices for the rest.
    #[must_use]
    pub fn wse2(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            memory_per_pe: WSE2_PE_MEMORY,
            n_colors: WSE2_COLORS,
            router_queue_depth: 2,
            task_queue_depth: 2,
            fmacs_per_cycle: 1,
            clock_hz: WSE2_CLOCK_HZ,
            energy: EnergyCosts::HOROWITZ_45NM_FP32,
            trace_capacity: 4_096,
            trace_tasks: false,
        }
    }

    /// Number of PEs.
    #[must_use]
    pub fn n_pes(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Checks every parameter.
    ///
    /// # Errors
    /// A zero or too-large size, more colors than the WSE-2 has, a bad clock.
    pub fn validate(&self) -> Result<(), SimError> {
        check_size(
            "mesh width",
            u64::from(self.width),
            u64::from(MAX_MESH_SIDE),
        )?;
        check_size(
            "mesh height",
            u64::from(self.height),
            u64::from(MAX_MESH_SIDE),
        )?;
        check_size("PE memory", self.memory_per_pe.0, 1 << 30)?;
        check_size(
            "number of colors",
            u64::from(self.n_colors),
            u64::from(WSE2_COLORS),
        )?;
        check_size(
            "router queue depth",
            u64::from(self.router_queue_depth),
            u64::from(MAX_QUEUE_DEPTH),
        )?;
        check_size(
            "task queue depth",
            u64::from(self.task_queue_depth),
            u64::from(MAX_QUEUE_DEPTH),
        )?;
        check_size(
            "multiply-adds per cycle",
            u64::from(self.fmacs_per_cycle),
            1_024,
        )?;
        check_rate("clock", self.clock_hz)?;
        crate::budget::check_budget(
            "the event trace",
            (self.trace_capacity as u64)
                .saturating_mul(std::mem::size_of::<crate::trace::TraceEvent>() as u64),
        )?;
        Ok(())
    }
}
