//! Execution-model simulators for the machines the course compares: a GPU baseline and the
//! dataflow accelerators (Cerebras WSE-2 now; Graphcore IPU, SambaNova RDU, Groq TSP next).
//!
//! Pure Rust: no I/O, no clock, no global randomness. The same config and workload give the
//! same cycles and numbers on every run and on every target (native and wasm).
//! (Crate docs are completed below, once the mesh exists.)

pub mod bench;
pub mod engine;
pub mod error;
pub mod gpu;
pub mod metrics;
pub mod rng;
pub mod trace;
pub mod units;
pub mod workload;
pub mod wse;

pub use engine::{Engine, Resource, RunStatus, StepOutcome};
pub use error::SimError;
pub use units::{Bytes, Cycle, Picojoules};
