//! A Groq TSP-style chip in miniature: one core cut into functional slices (MEM, VXM, MXM,
//! SXM) laid out west to east, stream registers carrying vectors one slice per cycle east
//! or west, instructions entering superlane 0 and rippling north one superlane per cycle,
//! and a compiler that fixes every instruction's cycle before the run.
//!
//! - [`config`]: the floorplan, sourced constants and the named modelling choices
//!   (instruction latencies).
//! - [`compile`](mod@compile): the compiler ([`compile()`]): ops lowered into chains of
//!   instructions, placed greedily in op order.
//! - [`program`]: the schedule as public data (instructions, streams, placements).
//! - [`run`]: the engine [`GroqRun`], which replays the schedule and never stalls.
//! - [`values`]: the numbers a run computes, and the f64 reference.
//! - [`event`]: [`GroqEvent`], what a run reports in words.
//! - [`latency`]: BERT-tiny at sequence 128 and 256, beside the real 26.6 and 42.8 µs.
//!
//! # Driving a run from a page
//! ```
//! use sim::engine::{Engine, RunStatus};
//! use sim::groq::{GroqConfig, GroqRun, GroqSnapshot};
//! use sim::units::Cycle;
//!
//! let workload = sim::workload::presets::mnist_mlp_layer(4)?;
//! let mut run = GroqRun::new(GroqConfig::small(4), &workload, 42)?;
//! let predicted = run.predicted(); // known before anything runs
//! let mut snap = GroqSnapshot::default();
//! let status = loop {
//!     let status = run.run_until(run.now() + Cycle(64));
//!     run.snapshot_into(&mut snap);
//!     for (_cycle, event) in run.drain_groq_events() {
//!         let _line: String = event.to_string();
//!     }
//!     if !matches!(status, RunStatus::DeadlineReached) {
//!         break status;
//!     }
//! };
//! assert_eq!(status, RunStatus::Finished { at: predicted });
//! assert!(run.violations().is_empty());
//! let (got, want) = (run.result().unwrap_or_default(), run.reference().unwrap_or_default());
//! assert!(sim::groq::values::worst_relative_error(got, &want) < 1e-5);
//! let mem = run.inspect(5)?; // click-to-inspect
//! assert_eq!(mem.busy + mem.idle, run.now());
//!
//! let ratio = sim::groq::latency::seq_latency_ratio(&GroqConfig::tsp())?;
//! println!("model {:.2}×, real {:.2}×", ratio.model_ratio, ratio.real_ratio);
//! # Ok::<(), sim::SimError>(())
//! ```

pub mod compile;
pub mod config;
pub mod event;
pub mod latency;
pub mod program;
pub mod run;
pub mod values;

/// What the model assumes, in sentences a page shows the learner (modelling choices, not
/// Groq figures; see [`config`] for each constant and its tag).
pub const MODEL_ASSUMPTIONS: &[&str] = &[
    "Every instruction's latency is this model's choice, not a Groq figure: a MEM read 2 cycles, a write 1, the VXM 4 (12 for GELU, exponentials and normalising), an SXM 3, the MXM 24 plus 4 cycles to install a weight block that streams in at one row per cycle.",
    "A vector is superlanes × 16 elements; each tensor lives packed in one MEM slice (128 KiB per superlane); a MEM slice reads one vector and writes one vector per cycle, and every other slice issues one instruction at a time.",
    "An MXM multiplies one vector by a vector-sized square block of weights per cycle and accumulates over the blocks of the reduction; softmax and layer norm take two passes (a reduction across lanes in an SXM, then the VXM).",
    "The compiler is this simulator's: greedy, in op order, with no fusion and no search, so its schedules are longer than Groq's. The ratio between two shapes says more than the absolute figures.",
    "Values are computed in f32 as each vector passes its functional slice (the real chip computes in FP16 and INT8); timing never depends on them.",
];

pub use compile::compile;
pub use config::{GroqConfig, SliceKind};
pub use event::GroqEvent;
pub use latency::{LatencyComparison, LatencyPoint, seq_latency_ratio};
pub use program::{GroqProgram, Instruction, Mnemonic, Transfer};
pub use run::{CellState, GroqRun, GroqSnapshot, SliceInspect, StreamSegment};
pub use values::InputValues;
