//! A cycle-level model of a Cerebras WSE-2-style mesh: PEs with a compute engine, local
//! memory and a five-port router, joined by links that carry one 32-bit wavelet per cycle.
//!
//! - [`config`]: validated parameters and the sourced WSE-2 constants.
//! - [`ce`]: the compute engine, its tasks and the [`ce::Ramp`] trait it sees the router by.
//! - [`mesh`]: routers, colors, queues, back-pressure and the cycle loop; snapshots and
//!   inspection for the UI.
//! - [`gemv`]: the mapping step for a GEMV / MLP layer.

pub mod ce;
pub mod config;
pub mod gemv;
pub mod mesh;

pub use config::WseConfig;
pub use gemv::{GemvProblem, GemvRun};
pub use mesh::{Mesh, MeshSnapshot, PeInspect, PeState, PeView, Port, PortSet, Route, WaveletView};
