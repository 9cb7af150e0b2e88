//! Execution-model simulators for the machines the course compares: a GPU baseline and the
//! dataflow accelerators (the Cerebras WSE-2 now; Graphcore IPU, SambaNova RDU and Groq TSP
//! reuse the same shared pieces next).
//!
//! Pure Rust: no I/O, no clock, no global randomness (test values come from a seed the caller
//! passes, [`rng::SplitMix64`]). The same config and workload give the same cycles and the
//! same numbers on every run and on every target (native and wasm).
//!
//! # Shared pieces
//! - [`units`]: [`Cycle`], [`Bytes`], [`Picojoules`] newtypes.
//! - [`workload`]: a small graph of tensor ops (matmul/GEMV, elementwise, activation, softmax,
//!   layer norm, conv2d costed as its GEMM, max-pool) with shapes and element types, and
//!   presets sized like the course's models ([`workload::presets`]): an MNIST MLP layer, the
//!   Graphcore PopTorch MNIST CNN, a BERT-tiny encoder layer, a tiny GEMV.
//! - [`metrics`]: the report every simulator fills the same way ([`metrics::RunMetrics`]):
//!   cycles and time, busy/idle/stalled per unit, on-chip and off-chip bytes, FLOPs,
//!   achieved vs peak FLOP/s, arithmetic intensity (a roofline point), and an energy
//!   estimate from cited per-FLOP and per-byte costs.
//! - [`trace`]: a bounded event trace the UI drains as text: [`trace::EventKind`] nests each
//!   machine's own events ([`gpu::GpuEvent`], [`wse::WseEvent`], [`rdu::RduEvent`],
//!   [`groq::GroqEvent`]) and their `Display` is the
//!   sentence a learner reads.
//! - [`engine`]: the [`Engine`] trait (`step`, `run_until`, `metrics`, `drain_trace`) and
//!   the `#[must_use]` [`StepOutcome`] / [`RunStatus`].
//!
//! # Machines
//! - [`gpu`]: a von Neumann, kernel-by-kernel GPU: each op is a kernel that reads its inputs
//!   from HBM (or an optional whole-tensor cache) and writes its output back, costed by the
//!   roofline of SM throughput and HBM bandwidth plus a launch overhead. NVIDIA A100 40GB SXM
//!   parameters and a small-scale variant.
//! - [`wse`]: a cycle-level WSE-2-style mesh: PEs with a compute engine, 48 KB of local
//!   memory and a five-port router; 32-bit wavelets moving one hop per cycle; 24 colors with
//!   per-PE, per-color routes; bounded queues with back-pressure; data tasks triggered by
//!   wavelet arrival; and the mapping of a GEMV / MLP layer onto it ([`wse::GemvRun`]);
//!   a graph such as the BERT-tiny encoder layer runs op by op on the whole mesh
//!   ([`wse::LayerRun`]): matmuls on the GEMV dataflow, the other ops as row tasks.
//! - [`ipu`]: a Graphcore IPU-style machine run in bulk-synchronous supersteps: tiles with
//!   their own 624 KiB SRAM and six worker threads compute on local data, sync, then exchange
//!   compiler-scheduled copies. [`ipu::compile()`] places a workload's matmuls, convolutions
//!   (as GEMMs) and elementwise ops on the tiles; [`ipu::IpuRun`] runs the program cycle by
//!   cycle; [`ipu::epoch_estimate`] costs a training epoch of the Graphcore MNIST example
//!   and sets it next to the real Bow run (~8.65 s per epoch).
//! - [`groq`]: a Groq TSP-style chip: functional slices (MEM, VXM, MXM, SXM) west to east,
//!   stream registers moving vectors one slice per cycle, instructions rippling north one
//!   superlane per cycle. [`groq::compile()`] fixes every instruction's cycle before the run;
//!   [`groq::GroqRun`] replays it and ends exactly on the predicted cycle, whatever the
//!   values; [`groq::latency`] sets BERT-tiny at sequence 128 and 256 beside the real chip.
//! - [`rdu`]: a SambaNova RDU-style tile: a checkerboard of PCUs (SIMD lanes × pipeline
//!   stages) and PMUs (scratchpads), switches, and an AGCU to DDR. [`rdu::compile`] places a
//!   workload as a spatial pipeline cut into sections; [`rdu::RduRun`] streams micro-batches
//!   through each section cycle by cycle with double-buffered PMUs; [`rdu::scaling`] sets the
//!   model's data-parallel `--ntasks` scaling beside the student's SN30 runs.
//!
//! # Driving a run from a page
//! ```
//! use sim::engine::{Engine, RunStatus};
//! use sim::units::Cycle;
//! use sim::wse::{GemvRun, MeshSnapshot, WseConfig};
//!
//! let workload = sim::workload::presets::tiny_gemv()?;
//! let mut run = GemvRun::from_workload(WseConfig::wse2(4, 4), &workload, 42)?;
//! let mut snap = MeshSnapshot { wavelet_limit: 256, ..Default::default() };
//! loop {
//!     // One animation frame: a bounded slice of cycles, then a picture.
//!     let status = run.run_until(run.now() + Cycle(4));
//!     run.snapshot_into(&mut snap);
//!     for event in run.drain_trace() {
//!         let _line: String = event.to_string();
//!     }
//!     if !matches!(status, RunStatus::DeadlineReached) {
//!         break;
//!     }
//! }
//! let pe = run.inspect(1, 2)?; // click-to-inspect
//! assert_eq!(pe.busy + pe.idle + pe.stalled, run.now());
//! assert_eq!(run.result(), Some(run.reference()));
//! println!("{}", run.metrics());
//! # Ok::<(), sim::SimError>(())
//! ```
//!
//! # Sources of the constants
//! Tags follow the course facts: \[P\] primary, \[S\] secondary, \[D\] derived.
//! - WSE-2: 48 KB per PE \[P\] (ALCF user guide, Cerebras system overview); 24 routable colors,
//!   IDs 0–23 \[P\] (Cerebras SDK, "Task Identifiers and Task Execution"); five router ports
//!   (ramp, N, S, E, W), 32-bit wavelets, one hop per cycle, data tasks activated by a
//!   wavelet on their color and runnable when not blocked \[P\] (Cerebras SDK, "A Conceptual
//!   View"); ~1.1 GHz clock \[S\] (Hot Chips 34 talk as summarised in a write-up). See
//!   [`wse::config`].
//! - A100 40GB SXM: 108 SMs, 1.41 GHz, 19.5 TFLOPS FP32, 312 TFLOPS FP16 tensor, 1,555 GB/s,
//!   40 MiB L2; see [`gpu`] for where each was read.
//! - Energy: Horowitz, ISSCC 2014, 45 nm figures \[S\]; see [`metrics`].
//! - IPU: 1,472 tiles \[P\] (ALCF user guide); 624 KiB per tile \[S\]; 6 worker threads per
//!   tile \[S\]/\[D\]; Bow 1.85 GHz, GC200 ~1.33 GHz \[S\]; 32 FP32 and 128 FP16 FLOPs per
//!   tile per cycle \[D\] from the 62.5 and 250–350 TFLOPS peaks; the BSP cycle and the
//!   compiler-scheduled exchange \[P\] (Graphcore patents and the IPU Programmer's Guide, as
//!   summarised in the course facts); the real MNIST epoch times \[P\] (the student's log).
//!   See [`ipu::config`] and [`ipu::epoch`].
//! - Groq TSP: 900 MHz \[P\]; 20 superlanes × 16 lanes, the slice order, 88 MEM slices of
//!   2.5 MiB, 32 streams each way \[S\]; BERT-tiny's on-chip 26.6 / 42.8 µs \[P\]/\[D\]
//!   (the student's log). See [`groq::config`] and [`groq::latency`].
//! - RDU: 640 PCUs and 640 PMUs per SN10 \[S\], 8 tiles per SN30 RDU \[P\] and two SN10-class
//!   dies per SN30 \[S\] (so 160 of each per tile \[D\]), 16 lanes × 8 stages per PCU \[S\]
//!   (SN40L), 0.5 MB per PMU \[D\]; the compile log's 72 sections and projected 0.6079 s per
//!   step, and the `--ntasks` runs \[P\] (the student's logs). See [`rdu::config`] and
//!   [`rdu::scaling`].
//!
//! # Modelling choices (not sourced; named so nobody mistakes them for hardware facts)
//! - WSE: router and task queue depths (2 wavelets per color), one FP32 multiply-add per CE
//!   per cycle, the task costs (an `x` element costs one cycle per row of the block, a
//!   reduction add one cycle), one wavelet per cycle on the ramp each way, round-robin
//!   arbitration among the colors waiting for a shared link, reduction tasks preferred over new `x` work. The model's
//!   "peak FLOP/s" follows from these choices and is not a WSE-2 figure (none is sourced).
//! - GPU: 4 µs launch overhead, a thread block does at most 65,536 FLOPs or 16 KiB of HBM
//!   traffic, an SM draws only its share of HBM bandwidth (so a kernel's bound is its
//!   arithmetic intensity against the ridge point), perfect overlap of compute and memory
//!   inside a kernel, each input byte read once per kernel, no fusion, no concurrent
//!   kernels. [`gpu::MODEL_ASSUMPTIONS`] says this to the learner.
//! - WSE mapping: host input enters every top-edge column at one wavelet per cycle with no
//!   latency (optimistic), and the weights stay resident on the wafer, whereas the course's
//!   BERT homework ran in weight-streaming mode; [`wse::MODEL_ASSUMPTIONS`] says so. The
//!   op-by-op layer mapping adds the row tasks' per-element costs, one op at a time on the
//!   whole mesh, and activations held beyond the mesh's edges between ops
//!   ([`wse::layer::LAYER_ASSUMPTIONS`]).
//! - Host memory: the simulation's own data stays under [`budget::HOST_MEMORY_BUDGET`].
//! - IPU: exchange of 4 bytes per tile per cycle each way with no multicast and no wire delay,
//!   a 100-cycle sync, a host link of 12.5 GB/s with 50 µs per host call, one vertex per
//!   worker with a barrel-threaded issue rate and no launch cost, weights resident on the
//!   tiles that use them, the compiler's split search and exchange schedule, and the costing
//!   of the backward pass (twice the forward GEMM compute). See
//!   [`ipu::compile`](mod@ipu::compile) and [`ipu::epoch`]; nothing is calibrated to the real
//!   run.
//! - Groq: every instruction latency, the MXM's weight-install time, one tensor per MEM
//!   slice, one read and one write port per MEM slice, and the greedy compiler
//!   ([`groq::MODEL_ASSUMPTIONS`]).
//! - RDU: the 1.95 GHz clock (chosen so 640 PCUs reach SN10's 320 TFLOPS), 32 DDR bytes per
//!   cycle each way through the AGCU, one cycle per switch hop, 10,000 cycles to load a
//!   section's configuration, the compiler's greedy sections and PCU shares, buffer depths,
//!   the ring all-reduce at 50 / 25 GB/s with 10 µs per step, 2-byte gradients. See
//!   [`rdu::config`]; [`rdu::MODEL_ASSUMPTIONS`] says this to the learner.
//! - Energy: 45 nm figures applied to 7 nm machines; HBM charged as DRAM; a fabric hop
//!   charged like a local SRAM access of 4 bytes; wires, control and leakage left out.
//!
//! # Simplifications of the mesh
//! No instruction stream: a PE runs one of a few built-in programs (GEMV block, source,
//! sink) whose tasks have fixed costs; the layer mapping's operand loads and row tasks are
//! scheduled from the fabric's rates and replayed, not run as programs. No DSDs, no fabric switches, no color swapping, no
//! control wavelets. Host data enters through edge ports, one wavelet per cycle per link.
//! A GEMV block keeps one accumulator vector per sample of the batch.

pub mod bench;
pub mod budget;
pub mod engine;
pub mod error;
pub mod gpu;
pub mod groq;
pub mod ipu;
pub mod metrics;
pub mod rdu;
pub mod rng;
pub mod trace;
pub mod units;
pub mod workload;
pub mod wse;

pub use engine::{Engine, Resource, RunStatus, StepOutcome};
pub use error::SimError;
pub use units::{Bytes, Cycle, Picojoules};
