//! A Graphcore IPU-style machine: tiles, each a processor with its own SRAM and six worker
//! threads, running a compiled program in bulk-synchronous supersteps (compute on each tile's
//! own memory, a sync across all tiles, then a compiler-scheduled exchange between tiles).
//!
//! - [`config`]: parameters, sourced constants and named modelling choices.
//! - [`program`]: the mapping step ([`compile`]) and the program as public data.
//! - [`run`]: the engine [`IpuRun`], snapshots, inspection, phase times.
//! - [`event`]: [`IpuEvent`], what the run reports in words.
//! - [`values`]: the numbers a run computes and the f64 reference.
//! - [`epoch`]: the Graphcore MNIST training epoch estimate against the real run.

pub mod config;
pub mod epoch;
pub mod event;
pub mod program;
pub mod run;
pub mod values;

pub use config::IpuConfig;
pub use epoch::{EpochEstimate, epoch_estimate};
pub use event::IpuEvent;
pub use program::{
    CompileOptions, GemmSplit, IpuProgram, OpMapping, OpSplit, Superstep, TileStep, Transfer,
    Vertex, VertexKind, compile, compile_with,
};
pub use run::{
    IpuPhaseTimes, IpuRun, IpuSnapshot, SuperstepPhase, SuperstepRecord, TileInspect, TilePhase,
};
