//! A SambaNova RDU-style tile: a spatial dataflow pipeline with no instruction stream.
//!
//! The compiler ([`compile`]) places a workload graph on a grid of PCUs (compute: SIMD lanes
//! × pipeline stages) and PMUs (programmer-managed scratchpads): each op gets PCUs, each
//! tensor passed between ops a PMU buffer, each edge a route through the switches. A graph
//! that does not fit is cut into **sections**, loaded one after another; tensors crossing a
//! section boundary go out to DDR through the AGCU and back. The engine ([`RduRun`]) streams
//! micro-batches through each section's pipeline cycle by cycle (metapipelining with double
//! buffers between stages: fill, steady state at the slowest stage's rate, drain), then
//! data-parallel replicas all-reduce their gradients. [`scaling`] sets the model's
//! `--ntasks` scaling beside the student's BERT-large runs.
//!
//! - [`config`]: parameters, sourced constants and named modelling choices.
//! - [`program`]: the compiler step and the program as public data.
//! - [`run`]: the engine and the token ledger.
//! - [`view`]: what a page sees of a run: snapshots and the inspection of a unit.
//! - [`event`]: [`RduEvent`], what the run reports in words.
//! - [`values`]: the numbers a run computes and the f64 reference.
//! - [`scaling`]: data parallel and the real `--ntasks` runs.
//!
//! # Driving a run from a page
//! ```
//! use sim::engine::{Engine, RunStatus};
//! use sim::rdu::{RduConfig, RduRun, RduSnapshot};
//! use sim::units::Cycle;
//!
//! let workload = sim::workload::presets::mnist_mlp_layer(4)?;
//! let mut run = RduRun::new(RduConfig::small(4, 4), &workload, 8, 1, 42)?;
//! for s in &run.program().sections {
//!     let _ = (s.index, s.pcus_used, s.pmus_used, s.stages.len());
//! }
//! let mut snap = RduSnapshot::default();
//! loop {
//!     // One animation frame: a bounded slice of cycles, then a picture.
//!     let status = run.run_until(run.now() + Cycle(256));
//!     run.snapshot_into(&mut snap);
//!     for (_cycle, event) in run.drain_rdu_events() {
//!         let _line: String = event.to_string();
//!     }
//!     if !matches!(status, RunStatus::DeadlineReached) {
//!         break;
//!     }
//! }
//! assert!(run.exits().iter().all(|&n| n == 1));
//! let pcu = run.inspect(0, 0)?; // click-to-inspect
//! assert_eq!(pcu.busy + pcu.idle + pcu.stalled, run.now());
//! let values = run.result().expect("the MLP's values are computed");
//! assert!(values.worst_difference() <= 1e-5);
//! # Ok::<(), sim::SimError>(())
//! ```

pub mod config;
pub mod event;
pub mod program;
pub mod run;
pub mod scaling;
pub mod values;
pub mod view;

/// What the model assumes, in sentences a page shows the learner (modelling choices, not
/// SambaNova figures; see [`config`] for each constant and its tag).
pub const MODEL_ASSUMPTIONS: &[&str] = &[
    "A PCU does one multiply-add per lane per pipeline stage per cycle on a matrix product (16 × 8 = 128), and one vector of 16 elements per cycle on an elementwise op; softmax and layer norm take two passes. The 1.95 GHz clock is chosen so that 640 such PCUs reach SN10's published 320 TFLOPS; no source gives the clock.",
    "The AGCU reads 32 bytes per cycle from DDR and writes 32 bytes per cycle, a route costs one cycle per switch hop, and loading a section's configuration takes 10,000 cycles before its weights stream in: modelling choices, not SambaNova figures.",
    "Where ops, buffers and sections go is this simulator's own compiler (greedy: as many ops per section as fit, spare PCUs to the slowest op), not SambaFlow's. Buffers hold 2 micro-batches (double buffering), more for an edge that skips stages.",
    "Each micro-batch is one copy of the workload's input; values are computed in f32 (the real chip uses BF16 with FP32 accumulation).",
    "Data parallel: replicas run the same program on their own shards at the same time, then all-reduce weight-sized gradients in a ring at 50 GB/s inside a node (16 replicas) and 25 GB/s across nodes, 10 µs per ring step: modelling choices. The backward pass is not simulated.",
];

pub use config::RduConfig;
pub use event::RduEvent;
pub use program::{
    Buffer, Endpoint, RduProgram, Route, Section, Stage, StageKind, WeightPlacement,
    allreduce_seconds, compile,
};
pub use run::RduRun;
pub use scaling::{NtasksComparison, NtasksRow, ScalingPoint, WindowCheck, ntasks_comparison};
pub use view::{
    PipelinePhase, PmuView, RduSnapshot, RouteView, StageSpan, StageState, StageView, Token,
    UnitInspect,
};

#[cfg(test)]
mod tests;
