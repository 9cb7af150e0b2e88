//! A Graphcore IPU-style machine: tiles, each a processor with its own SRAM and six worker
//! threads, running a compiled program in bulk-synchronous supersteps (compute on each tile's
//! own memory, a sync across all tiles, then a compiler-scheduled exchange between tiles).
//!
//! - [`config`]: parameters, sourced constants and named modelling choices.
//! - [`compile`](mod@compile): the mapping step ([`compile()`]), placing ops on tiles and
//!   scheduling every superstep.
//! - [`program`]: the program as public data (supersteps, transfers, placements).
//! - [`run`]: the engine [`IpuRun`], snapshots, inspection, phase times.
//! - [`event`]: [`IpuEvent`], what the run reports in words.
//! - [`values`]: the numbers a run computes and the f64 reference.
//! - [`epoch`]: the Graphcore MNIST training epoch estimate against the real run.
//!
//! # Driving a run from a page
//! ```
//! use sim::engine::{Engine, RunStatus};
//! use sim::ipu::{IpuConfig, IpuRun, IpuSnapshot};
//! use sim::units::Cycle;
//!
//! let workload = sim::workload::presets::mnist_mlp_layer(4)?;
//! let mut run = IpuRun::new(IpuConfig::small(16), &workload, 42)?;
//! for s in &run.program().supersteps {
//!     let _ = (&s.label, s.compute, s.exchange.len(), s.exchange_cycles);
//! }
//! let mut snap = IpuSnapshot::default();
//! loop {
//!     // One animation frame: a bounded slice of cycles, then a picture.
//!     let status = run.run_until(run.now() + Cycle(64));
//!     run.snapshot_into(&mut snap);
//!     for (_cycle, event) in run.drain_ipu_events() {
//!         let _line: String = event.to_string();
//!     }
//!     if !matches!(status, RunStatus::DeadlineReached) {
//!         break;
//!     }
//! }
//! let tile = run.inspect(3)?; // click-to-inspect
//! assert_eq!(tile.busy + tile.idle + tile.stalled, run.now());
//! let (y, reference) = (run.result().unwrap_or_default(), run.reference().unwrap_or_default());
//! assert!(y.iter().zip(reference).all(|(a, b)| (a - b).abs() <= 1e-5 * (1.0 + b.abs())));
//!
//! let epoch = sim::ipu::epoch_estimate(&IpuConfig::bow(), 8, 50, 60_000)?;
//! println!(
//!     "model {:.3} s per epoch, real {} s ({:.1}% of it)",
//!     epoch.total_s(),
//!     sim::ipu::epoch::REAL_EPOCH_S_CACHED,
//!     100.0 * epoch.model_error(sim::ipu::epoch::REAL_EPOCH_S_CACHED),
//! );
//! # Ok::<(), sim::SimError>(())
//! ```

pub mod compile;
pub mod config;
pub mod epoch;
pub mod event;
pub mod program;
pub mod run;
pub mod values;

/// What the model assumes, in sentences a page shows the learner (modelling choices, not
/// Graphcore figures; see [`config`] for each constant and its tag).
pub const MODEL_ASSUMPTIONS: &[&str] = &[
    "Each tile computes its vertices at a fixed rate (32 FP32 FLOPs per cycle with all six workers busy, derived from the published peak), with no launch cost and no memory-bank conflicts.",
    "A sync takes 100 cycles once the last tile arrives, and the exchange moves 4 bytes per tile per cycle each way, with no multicast and no wire delay: modelling choices, not Graphcore figures.",
    "Weights stay on the tiles that use them for the whole run; a run of one program has no host transfers (the CNN's epoch estimate adds them, one host call per device-iterations steps).",
    "Where a layer is split and how its partial sums are reduced is this simulator's own compiler, not Poplar's.",
    "Attention's per-head products read Q, K and V as reshaped views of their buffers, as the shared workload graph gives them: no transpose is computed or costed. When the tiles allow, each head's product runs on a group of tiles of its own.",
];

pub use compile::{CompileOptions, compile, compile_with};
pub use config::IpuConfig;
pub use epoch::{EpochEstimate, epoch_estimate};
pub use event::IpuEvent;
pub use program::{
    GemmSplit, IpuProgram, OpMapping, OpSplit, Superstep, TileStep, Transfer, Vertex, VertexKind,
};
pub use run::{
    IpuPhaseTimes, IpuRun, IpuSnapshot, SuperstepPhase, SuperstepRecord, TileInspect, TilePhase,
};
