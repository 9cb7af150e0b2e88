//! A cycle-level model of a Cerebras WSE-2-style mesh: PEs with a compute engine, local
//! memory and a five-port router, joined by links that carry one 32-bit wavelet per cycle.
//!
//! - [`config`]: validated parameters and the sourced WSE-2 constants.
//! - [`ce`]: the compute engine, its tasks and the [`ce::Ramp`] trait it sees the router by.
//! - [`mesh`]: routers, colors, queues, back-pressure and the cycle loop; snapshots and
//!   inspection for the UI.
//! - [`gemv`]: the mapping step for a GEMV / MLP layer.
//! - [`layer`]: the mapping of a graph of ops (the BERT-tiny encoder layer) op by op, each
//!   on the whole mesh in turn: matmuls on the GEMV dataflow, row tasks for the rest.
//! - [`event`]: what the mesh records in its trace ([`WseEvent`]), worded for the learner.
//!
//! # What the model assumes
//! Two assumptions flatter the mesh and are easy to miss, so they are named here and in
//! [`MODEL_ASSUMPTIONS`], which a page shows the learner:
//! - **Optimistic host input.** `x` enters the top edge of every column at once, one
//!   wavelet per cycle per column, with no latency from the host. A real wafer receives its
//!   data through I/O at its edge; here feeding the mesh costs nothing.
//! - **Weights resident on the wafer.** The mapping places each block of `W` in a PE's
//!   memory before the run, and only `x` and `y` cross the edge. The course's BERT homework
//!   ran in weight-streaming mode instead: each layer's weights stream from MemoryX onto the
//!   wafer, so its traffic and timing are not what this simulator shows.

pub mod ce;
pub mod config;
pub mod event;
pub mod gemv;
pub mod layer;
pub mod mesh;
pub mod projection;

pub use config::WseConfig;
pub use event::WseEvent;

/// What the mesh model assumes, one sentence each, for a page to show next to the run.
pub const MODEL_ASSUMPTIONS: &[&str] = &[
    "Host input is optimistic: x enters the top of every column at once, one value per cycle per column, with no delay from the host; a real wafer gets its data through I/O at its edge.",
    "The weights stay on the wafer: each PE keeps its block of W in its 48 KB memory for the whole run, and only x and y cross the edge. The course's BERT homework ran in weight-streaming mode instead, with each layer's weights streamed from MemoryX onto the wafer, so its traffic and timing differ from this run.",
    "A PE runs a few built-in tasks with fixed costs (one FP32 multiply-add per cycle, 2-wavelet queues), not a compiled program: modelling choices, not WSE-2 figures.",
];
pub use gemv::{GemvProblem, GemvRun, ResultCheck};
pub use layer::{LayerCheck, LayerRun};
pub use mesh::{Mesh, MeshSnapshot, PeInspect, PeState, PeView, Port, PortSet, Route, WaveletView};
