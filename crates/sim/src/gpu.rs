//! GPU baseline: a von Neumann, kernel-by-kernel model.
//!
//! Every op of the workload is one kernel launch. A kernel reads all its inputs from HBM
//! (or from the optional L2-like cache when a tensor is still resident there) and writes its
//! output back to HBM. Its duration is
//!
//! ```text
//! launch_overhead + max(compute cycles, HBM cycles)
//! thread blocks  = max(ceil(FLOPs / flops_per_block), ceil(HBM bytes / bytes_per_block))
//! active SMs     = min(SMs, thread blocks)
//! compute cycles = ceil(FLOPs / (FLOP per cycle per SM × active SMs))
//! HBM cycles     = ceil(HBM bytes / (HBM bytes per cycle × active SMs / SMs))
//! ```
//!
//! which is the roofline of SM throughput and HBM bandwidth, plus a fixed launch cost.
//!
//! Two modelling choices make the bound of a kernel tell the truth: a thread block handles
//! at most `flops_per_block` FLOPs *or* `bytes_per_block` bytes of HBM traffic, so a kernel
//! that moves many bytes but does little arithmetic (a GEMV, an elementwise op, a
//! normalisation) still spreads over many SMs; and an SM can draw only its share
//! (`1 / SMs`) of the HBM bandwidth. Both the compute and the HBM cycles then scale with
//! the active SMs alike, so a kernel is memory-bound exactly when its arithmetic intensity
//! (FLOPs per HBM byte) is below the machine's ridge point (peak FLOP/s ÷ HBM bytes/s,
//! about 12.5 on the A100 in FP32), as the roofline says.
//! Simplifications: perfect overlap of compute and memory inside a kernel; perfect reuse inside
//! a kernel (each input byte is read from HBM once); no kernel fusion; no concurrency between
//! kernels; the cache holds whole tensors, least recently used first out. It exists to show,
//! on the same workload, the round trips to HBM that a dataflow machine avoids.
//!
//! # Sources of the A100 parameters
//! NVIDIA A100 40GB SXM4: 19.5 TFLOPS FP32, 312 TFLOPS FP16 tensor (dense), 1,555 GB/s HBM2,
//! from the NVIDIA A100 datasheet (nvidia-a100-datasheet-us-nvidia-1758950-r4) as tabulated
//! by G. Lockwood's A100 notes and the PC2 (Paderborn) A100 page \[S\]; 108 SMs, 1,410 MHz max
//! clock and a 40 MiB L2 from `deviceQuery` output on an A100 40GB SXM published on the PC2
//! page [P, raw tool output]. Per-SM, per-cycle rates are derived \[D\]:
//! 19.5e12 / (108 × 1.41e9) ≈ 128 FP32 FLOP and 312e12 / (108 × 1.41e9) ≈ 2,049 FP16 tensor
//! FLOP. The launch overhead (4 µs) and the work per thread block are modelling choices, not
//! datasheet figures.

use crate::budget::check_budget;
use crate::engine::{Engine, Resource, RunStatus, StepOutcome};
use crate::error::{SimError, check_range, check_size};
use crate::metrics::{EnergyCosts, RunMetrics, UnitActivity};
use crate::trace::{Bound, EventKind, Trace, TraceEvent};
use crate::units::{Bytes, Cycle};
use crate::workload::{DType, TensorId, TensorKind, Workload};
use std::fmt;

/// What the GPU model assumes, one sentence each, for a page to show next to the run.
pub const MODEL_ASSUMPTIONS: &[&str] = &[
    "Every op is its own kernel: no fusion, no two kernels at once, and a fixed launch cost (4 µs on the A100) before each.",
    "Each kernel reads all its inputs from HBM (or from the cache, when one is on) and writes its output back to HBM, even when the next kernel reads it straight away.",
    "Inside a kernel, arithmetic and memory traffic overlap perfectly and each input byte is read from HBM once.",
    "A thread block does at most 65,536 FLOPs or moves at most 16 KiB, and each busy SM gets only its share of the HBM bandwidth: so a kernel is memory-bound exactly when it does fewer FLOPs per byte than the ridge point (about 12.5 on the A100 in FP32).",
];

/// Something the GPU did (see [`EventKind::Gpu`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuEvent {
    /// A kernel was launched.
    KernelLaunched {
        /// Op name.
        op: String,
    },
    /// A kernel finished.
    KernelFinished {
        /// Op name.
        op: String,
        /// What bounded it.
        bound: Bound,
    },
}

impl fmt::Display for GpuEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuEvent::KernelLaunched { op } => write!(f, "kernel {op} launched"),
            GpuEvent::KernelFinished { op, bound } => {
                write!(f, "kernel {op} finished ({bound}); its output is in HBM")
            }
        }
    }
}

/// Parameters of a GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuConfig {
    /// Name shown in the UI.
    pub name: String,
    /// Streaming multiprocessors.
    pub n_sms: u32,
    /// Clock in Hz.
    pub clock_hz: f64,
    /// Peak FP32 (non-tensor) FLOP/s of the whole GPU.
    pub peak_flops_fp32: f64,
    /// Peak FP16 tensor-core FLOP/s (dense), used for FP16 matmuls and convolutions.
    pub peak_flops_fp16_tensor: f64,
    /// HBM bandwidth in bytes per second.
    pub hbm_bytes_per_s: f64,
    /// Fixed cost of each kernel launch.
    pub launch_overhead: Cycle,
    /// Capacity of the simple tensor cache (`None`: every read goes to HBM).
    pub cache: Option<Bytes>,
    /// FLOPs one thread block does at most (a modelling choice).
    pub flops_per_block: u64,
    /// HBM bytes one thread block moves at most (a modelling choice): a kernel has
    /// `max(ceil(FLOPs / flops_per_block), ceil(bytes / bytes_per_block))` blocks, and keeps
    /// that many SMs busy, up to all of them.
    pub bytes_per_block: u64,
    /// Energy costs charged.
    pub energy: EnergyCosts,
    /// Trace capacity (0: no trace).
    pub trace_capacity: usize,
}

/// \[D\] A100 boost clock 1.41 GHz × 4 µs: the chosen launch overhead, in cycles.
const A100_LAUNCH_CYCLES: u64 = 5_640;

impl GpuConfig {
    /// NVIDIA A100 40GB SXM4 (sources in the module docs), no cache model.
    #[must_use]
    pub fn a100_40gb_sxm() -> Self {
        Self {
            name: "NVIDIA A100 40GB SXM".to_owned(),
            n_sms: 108,
            clock_hz: 1.41e9,
            peak_flops_fp32: 19.5e12,
            peak_flops_fp16_tensor: 312e12,
            hbm_bytes_per_s: 1_555e9,
            launch_overhead: Cycle(A100_LAUNCH_CYCLES),
            cache: None,
            flops_per_block: 65_536,
            bytes_per_block: 16_384,
            energy: EnergyCosts::HOROWITZ_45NM_FP32,
            trace_capacity: 1_024,
        }
    }

    /// The A100 with its 40 MiB L2 used as the simple tensor cache.
    #[must_use]
    pub fn a100_40gb_sxm_with_l2() -> Self {
        Self {
            cache: Some(Bytes::kib(40 * 1024)),
            ..Self::a100_40gb_sxm()
        }
    }

    /// A small-scale GPU for animation: 4 SMs with the A100's per-SM rates and clock, HBM
    /// bandwidth scaled by 4/108, a 1 µs launch and a 256 KiB cache.
    #[must_use]
    pub fn small() -> Self {
        let a = Self::a100_40gb_sxm();
        let scale = 4.0 / 108.0;
        Self {
            name: "small GPU (4 SMs, A100 per-SM rates)".to_owned(),
            n_sms: 4,
            peak_flops_fp32: a.peak_flops_fp32 * scale,
            peak_flops_fp16_tensor: a.peak_flops_fp16_tensor * scale,
            hbm_bytes_per_s: a.hbm_bytes_per_s * scale,
            launch_overhead: Cycle(1_410),
            cache: Some(Bytes::kib(256)),
            ..a
        }
    }

    /// Checks every parameter against the range the simulator accepts: wide enough for any
    /// real GPU (and the small ones a lesson invents), narrow enough that no cycle count
    /// overflows for a workload [`Workload::validate`] accepts.
    ///
    /// | field | range |
    /// |---|---|
    /// | SMs | 1 to 100,000 |
    /// | clock | 1 MHz to 10 GHz |
    /// | peak FP32 and FP16 tensor FLOP/s | 10⁶ to 10¹⁸ (a megaFLOP/s to an exaFLOP/s) |
    /// | HBM bandwidth | 10⁶ to 10¹⁵ bytes/s (a MB/s to a PB/s) |
    /// | launch overhead | 0 to 10⁹ cycles |
    /// | FLOPs and bytes per thread block | 1 to 2⁴⁰ |
    /// | cache | 1 byte to 1 TiB |
    /// | trace | at most [`crate::budget::HOST_MEMORY_BUDGET`] of events |
    ///
    /// # Errors
    /// The first parameter out of its range, as a sentence naming it.
    pub fn validate(&self) -> Result<(), SimError> {
        check_size("number of SMs", u64::from(self.n_sms), 100_000)?;
        check_range("clock (Hz)", self.clock_hz, 1e6, 1e10)?;
        check_range("peak FP32 FLOP/s", self.peak_flops_fp32, 1e6, 1e18)?;
        check_range(
            "peak FP16 tensor FLOP/s",
            self.peak_flops_fp16_tensor,
            1e6,
            1e18,
        )?;
        check_range("HBM bandwidth (bytes/s)", self.hbm_bytes_per_s, 1e6, 1e15)?;
        if self.launch_overhead.0 > MAX_LAUNCH_CYCLES {
            return Err(SimError::TooLarge {
                what: "launch overhead (cycles)",
                value: self.launch_overhead.0,
                max: MAX_LAUNCH_CYCLES,
            });
        }
        check_size("FLOPs per thread block", self.flops_per_block, 1 << 40)?;
        check_size("bytes per thread block", self.bytes_per_block, 1 << 40)?;
        if let Some(c) = self.cache {
            check_size("cache capacity", c.0, 1 << 40)?;
        }
        check_budget(
            "the event trace",
            (self.trace_capacity as u64).saturating_mul(std::mem::size_of::<TraceEvent>() as u64),
        )?;
        Ok(())
    }
}

/// The longest launch overhead accepted, in cycles.
const MAX_LAUNCH_CYCLES: u64 = 1_000_000_000;

/// The longest GPU run the simulator plans: 2⁶⁰ cycles (36 years at 1 GHz), so that sums
/// of kernel times can never overflow a `u64`.
pub const MAX_RUN_CYCLES: u64 = 1 << 60;

/// The plan of one kernel, fixed when the simulator is built.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    /// Op name.
    pub name: String,
    /// Op kind label.
    pub kind: &'static str,
    /// Cycle the launch starts.
    pub start: Cycle,
    /// Launch overhead.
    pub launch: Cycle,
    /// Cycles of arithmetic at the active SMs' rate.
    pub compute: Cycle,
    /// Cycles of HBM transfer.
    pub memory: Cycle,
    /// SMs the kernel keeps busy.
    pub active_sms: u32,
    /// FLOPs.
    pub flops: u64,
    /// Bytes read from HBM.
    pub hbm_read: Bytes,
    /// Bytes written to HBM.
    pub hbm_written: Bytes,
    /// Bytes read from the cache instead of HBM.
    pub cache_read: Bytes,
}

impl Kernel {
    /// Total duration: launch + max(compute, memory).
    #[must_use]
    pub fn duration(&self) -> Cycle {
        self.launch + self.compute.max(self.memory)
    }

    /// Cycle after the last cycle of this kernel.
    #[must_use]
    pub fn end(&self) -> Cycle {
        self.start + self.duration()
    }

    /// What limited it.
    #[must_use]
    pub fn bound(&self) -> Bound {
        if self.compute >= self.memory {
            Bound::Compute
        } else {
            Bound::Memory
        }
    }
}

/// One kernel's HBM traffic, and which of it is activations making a round trip: written
/// by one kernel and read back by a later one. A dataflow machine keeps those on chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelTraffic {
    /// Op name.
    pub name: String,
    /// Op kind label.
    pub kind: &'static str,
    /// Bytes read from HBM.
    pub hbm_read: Bytes,
    /// Bytes written to HBM.
    pub hbm_written: Bytes,
    /// Bytes read from the cache instead of HBM.
    pub cache_read: Bytes,
    /// Bytes of its inputs that an earlier kernel wrote (activations coming back).
    pub activations_in: Bytes,
    /// Whether a later kernel reads its output (so the write is half a round trip).
    pub output_read_later: bool,
    /// The kernel's duration.
    pub cycles: Cycle,
    /// What bounded it.
    pub bound: Bound,
}

/// What a GPU is doing at one cycle, for drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuSnapshot {
    /// Current cycle.
    pub cycle: Cycle,
    /// Index of the kernel in progress (`None` once finished).
    pub kernel_idx: Option<usize>,
    /// Phase of that kernel.
    pub phase: KernelPhase,
    /// Fraction of the current kernel done, in [0, 1].
    pub kernel_progress: f64,
    /// HBM bytes moved so far (completed kernels, plus the current one pro rata).
    pub hbm_bytes: Bytes,
    /// Kernels completed.
    pub kernels_done: usize,
}

/// Phase of the current kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPhase {
    /// Launch overhead.
    Launching,
    /// SMs computing (and HBM streaming).
    Computing,
    /// SMs done, waiting for HBM.
    WaitingOnMemory,
    /// All kernels done.
    Done,
}

/// The GPU simulator: a fixed kernel schedule and a clock.
#[derive(Debug, Clone)]
pub struct GpuSim {
    config: GpuConfig,
    kernels: Vec<Kernel>,
    traffic: Vec<KernelTraffic>,
    now: Cycle,
    /// Kernels whose launch event was recorded.
    launched: usize,
    /// Kernels whose end event was recorded.
    done: usize,
    trace: Trace,
}

/// Least-recently-used cache of whole tensors.
struct TensorCache {
    capacity: u64,
    /// (tensor, bytes), most recent last.
    lines: Vec<(TensorId, u64)>,
}

impl TensorCache {
    fn used(&self) -> u64 {
        self.lines.iter().map(|l| l.1).sum()
    }

    /// Whether `id` is resident; marks it most recent.
    fn hit(&mut self, id: TensorId) -> bool {
        if let Some(pos) = self.lines.iter().position(|l| l.0 == id) {
            let line = self.lines.remove(pos);
            self.lines.push(line);
            true
        } else {
            false
        }
    }

    fn insert(&mut self, id: TensorId, bytes: u64) {
        if bytes > self.capacity {
            return;
        }
        while self.used() + bytes > self.capacity {
            self.lines.remove(0);
        }
        self.lines.push((id, bytes));
    }
}

/// `ceil(num / per_cycle)` cycles, or `None` above [`MAX_RUN_CYCLES`] (or not finite).
fn ceil_div_f(num: u64, per_cycle: f64) -> Option<Cycle> {
    // u64 → f64 rounds above 2^53, harmless for a cycle estimate this size.
    let q = (num as f64 / per_cycle).ceil();
    // The cast saturates; its value is only used when the range check passed.
    (q.is_finite() && q >= 0.0 && q <= MAX_RUN_CYCLES as f64).then_some(Cycle(q as u64))
}

/// The traffic of each planned kernel of `workload` (one kernel per op, in order).
fn kernel_traffic(workload: &Workload, kernels: &[Kernel]) -> Vec<KernelTraffic> {
    workload
        .ops
        .iter()
        .zip(kernels)
        .enumerate()
        .map(|(idx, (op, k))| {
            let activations_in = op
                .inputs
                .iter()
                .map(|&id| workload.tensor(id))
                .filter(|t| t.kind == TensorKind::Activation)
                .map(|t| t.bytes().0)
                .sum();
            let output_read_later = workload.ops[idx + 1..]
                .iter()
                .any(|later| later.inputs.contains(&op.output));
            KernelTraffic {
                name: k.name.clone(),
                kind: k.kind,
                hbm_read: k.hbm_read,
                hbm_written: k.hbm_written,
                cache_read: k.cache_read,
                activations_in: Bytes(activations_in),
                output_read_later,
                cycles: k.duration(),
                bound: k.bound(),
            }
        })
        .collect()
}

impl GpuSim {
    /// Plans the kernels of `workload` on the GPU `config`.
    ///
    /// # Errors
    /// A bad config or an invalid workload.
    pub fn new(config: GpuConfig, workload: &Workload) -> Result<Self, SimError> {
        config.validate()?;
        workload.validate()?;
        let n_sms = f64::from(config.n_sms);
        let fp32_per_sm_cycle = config.peak_flops_fp32 / n_sms / config.clock_hz;
        let tensor_per_sm_cycle = config.peak_flops_fp16_tensor / n_sms / config.clock_hz;
        let hbm_per_cycle = config.hbm_bytes_per_s / config.clock_hz;
        let mut cache = config.cache.map(|c| TensorCache {
            capacity: c.0,
            lines: Vec::new(),
        });
        let mut kernels = Vec::with_capacity(workload.ops.len());
        let mut start = Cycle::ZERO;
        for op in &workload.ops {
            let flops = op.kind.flops();
            let mut hbm_read = 0;
            let mut cache_read = 0;
            for &id in &op.inputs {
                let b = workload.tensor(id).bytes().0;
                match cache.as_mut() {
                    Some(c) => {
                        if c.hit(id) {
                            cache_read += b;
                        } else {
                            hbm_read += b;
                            c.insert(id, b);
                        }
                    }
                    None => hbm_read += b,
                }
            }
            let out = workload.tensor(op.output);
            let hbm_written = out.bytes().0;
            if let Some(c) = cache.as_mut() {
                c.insert(op.output, hbm_written);
            }
            let uses_tensor_cores = op.kind.gemm().is_some() && out.dtype == DType::F16;
            let per_sm = if uses_tensor_cores {
                tensor_per_sm_cycle
            } else {
                fp32_per_sm_cycle
            };
            let bytes = hbm_read + hbm_written;
            let blocks = flops
                .div_ceil(config.flops_per_block)
                .max(bytes.div_ceil(config.bytes_per_block))
                .max(1);
            let active_sms = u32::try_from(blocks).unwrap_or(u32::MAX).min(config.n_sms);
            let share = f64::from(active_sms) / n_sms;
            let too_long = || SimError::TooManyCycles {
                what: format!("The GPU run of \"{}\" in \"{}\"", op.name, workload.name),
                max: MAX_RUN_CYCLES,
            };
            let compute = ceil_div_f(flops, per_sm * f64::from(active_sms)).ok_or_else(too_long)?;
            let memory = ceil_div_f(bytes, hbm_per_cycle * share).ok_or_else(too_long)?;
            let k = Kernel {
                name: op.name.clone(),
                kind: op.kind.label(),
                start,
                launch: config.launch_overhead,
                compute,
                memory,
                active_sms,
                flops,
                hbm_read: Bytes(hbm_read),
                hbm_written: Bytes(hbm_written),
                cache_read: Bytes(cache_read),
            };
            start = start
                .0
                .checked_add(k.launch.0)
                .and_then(|t| t.checked_add(k.compute.0.max(k.memory.0)))
                .filter(|&t| t <= MAX_RUN_CYCLES)
                .map(Cycle)
                .ok_or_else(too_long)?;
            kernels.push(k);
        }
        let traffic = kernel_traffic(workload, &kernels);
        let trace = Trace::with_capacity(config.trace_capacity);
        Ok(Self {
            config,
            kernels,
            traffic,
            now: Cycle::ZERO,
            launched: 0,
            done: 0,
            trace,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GpuConfig {
        &self.config
    }

    /// The planned kernels, in launch order.
    #[must_use]
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
    }

    /// Per-kernel HBM traffic and its round trips, in launch order.
    #[must_use]
    pub fn kernel_traffic(&self) -> &[KernelTraffic] {
        &self.traffic
    }

    /// Cycle count of the whole run.
    #[must_use]
    pub fn total_cycles(&self) -> Cycle {
        self.kernels.last().map_or(Cycle::ZERO, Kernel::end)
    }

    /// Index of the kernel running during cycle `t` (`None` at or after the end).
    fn kernel_at(&self, t: Cycle) -> Option<usize> {
        let idx = self.kernels.partition_point(|k| k.end() <= t);
        (idx < self.kernels.len()).then_some(idx)
    }

    /// Records launch and end events for every boundary at or before `self.now`.
    fn record_events(&mut self) {
        loop {
            if self.done < self.launched && self.kernels[self.done].end() <= self.now {
                let k = &self.kernels[self.done];
                let kind = EventKind::Gpu(GpuEvent::KernelFinished {
                    op: k.name.clone(),
                    bound: k.bound(),
                });
                self.trace.push(k.end(), kind);
                self.done += 1;
            } else if self.launched < self.kernels.len()
                && self.kernels[self.launched].start <= self.now
            {
                let k = &self.kernels[self.launched];
                self.trace.push(
                    k.start,
                    EventKind::Gpu(GpuEvent::KernelLaunched { op: k.name.clone() }),
                );
                self.launched += 1;
            } else {
                break;
            }
        }
    }

    fn phase_at(&self, t: Cycle) -> (Option<usize>, KernelPhase, f64) {
        match self.kernel_at(t) {
            None => (None, KernelPhase::Done, 1.0),
            Some(i) => {
                let k = &self.kernels[i];
                let into = t - k.start;
                // Cycle counts → f64 for a progress fraction only.
                let progress = into.0 as f64 / k.duration().0.max(1) as f64;
                let phase = if into < k.launch {
                    KernelPhase::Launching
                } else if into < k.launch + k.compute {
                    KernelPhase::Computing
                } else {
                    KernelPhase::WaitingOnMemory
                };
                (Some(i), phase, progress)
            }
        }
    }

    /// What the GPU is doing now.
    #[must_use]
    pub fn snapshot(&self) -> GpuSnapshot {
        let (kernel_idx, phase, kernel_progress) = self.phase_at(self.now);
        let done = kernel_idx.unwrap_or(self.kernels.len());
        let mut hbm: u64 = self.kernels[..done]
            .iter()
            .map(|k| k.hbm_read.0 + k.hbm_written.0)
            .sum();
        if let Some(i) = kernel_idx {
            let k = &self.kernels[i];
            let into = (self.now - k.start).saturating_sub(k.launch);
            if k.memory.0 > 0 {
                let frac = (into.0 as f64 / k.memory.0 as f64).min(1.0);
                // Pro-rata bytes for drawing; truncation is fine.
                hbm += ((k.hbm_read.0 + k.hbm_written.0) as f64 * frac) as u64;
            }
        }
        GpuSnapshot {
            cycle: self.now,
            kernel_idx,
            phase,
            kernel_progress,
            hbm_bytes: Bytes(hbm),
            kernels_done: done,
        }
    }

    /// Metrics of the kernels completed so far (all of them once finished).
    fn metrics_of_done(&self) -> RunMetrics {
        let done = self.kernel_at(self.now).unwrap_or(self.kernels.len());
        let ks = &self.kernels[..done];
        let cycles = self.now;
        let sum = |f: &dyn Fn(&Kernel) -> u64| ks.iter().map(f).sum::<u64>();
        let compute = sum(&|k| k.compute.0);
        let stalled = sum(&|k| k.memory.0.saturating_sub(k.compute.0));
        let memory = sum(&|k| k.memory.0);
        let off_chip = Bytes(sum(&|k| k.hbm_read.0 + k.hbm_written.0));
        let on_chip = Bytes(sum(&|k| k.cache_read.0));
        let flops = sum(&|k| k.flops);
        let units = vec![
            UnitActivity {
                name: "SMs".to_owned(),
                busy: Cycle(compute),
                idle: Cycle(cycles.0 - compute - stalled),
                stalled: Cycle(stalled),
            },
            UnitActivity {
                name: "HBM".to_owned(),
                busy: Cycle(memory),
                idle: Cycle(cycles.0 - memory),
                stalled: Cycle::ZERO,
            },
        ];
        RunMetrics {
            machine: self.config.name.clone(),
            cycles,
            clock_hz: self.config.clock_hz,
            units,
            bytes_on_chip: on_chip,
            bytes_off_chip: off_chip,
            flops,
            peak_flops_per_s: self.config.peak_flops_fp32,
            energy: self.config.energy.estimate(flops, on_chip, off_chip),
        }
    }

    /// Runs to the end and returns the metrics.
    #[must_use]
    pub fn run_to_end(mut self) -> RunMetrics {
        let end = self.total_cycles();
        let _ = self.run_until(end);
        self.metrics()
    }
}

impl Engine for GpuSim {
    fn now(&self) -> Cycle {
        self.now
    }

    fn step(&mut self) -> StepOutcome {
        if self.is_finished() {
            return StepOutcome::Finished;
        }
        let (_, phase, _) = self.phase_at(self.now);
        self.now += Cycle(1);
        self.record_events();
        match phase {
            KernelPhase::Launching => StepOutcome::Stalled {
                on: Resource::KernelLaunch,
            },
            KernelPhase::WaitingOnMemory => StepOutcome::Stalled {
                on: Resource::HbmBandwidth,
            },
            KernelPhase::Computing | KernelPhase::Done => StepOutcome::Running,
        }
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        let end = self.total_cycles();
        if deadline > self.now {
            self.now = deadline.min(end);
            self.record_events();
        }
        if self.now >= end {
            RunStatus::Finished { at: end }
        } else {
            RunStatus::DeadlineReached
        }
    }

    fn is_finished(&self) -> bool {
        self.now >= self.total_cycles()
    }

    fn metrics(&self) -> RunMetrics {
        self.metrics_of_done()
    }

    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.trace.drain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::presets;

    #[test]
    fn gemv_on_a100_is_memory_bound_with_hand_derived_cycles() {
        // GEMV 784→128 (the MNIST MLP layer without bias), batch 1, FP32.
        // HBM bytes: x 784·4 = 3,136 + W 784·128·4 = 401,408 + y 128·4 = 512 → 405,056.
        // FLOPs 2·784·128 = 200,704: 0.50 FLOP/byte, far below the ridge (≈ 12.5).
        // Thread blocks: max(ceil(200,704 / 65,536) = 4, ceil(405,056 / 16,384) = 25) = 25,
        // so 25 SMs are busy.
        // HBM: 1,555e9 / 1.41e9 = 1,102.836… bytes per cycle for the chip, × 25/108 for
        // 25 SMs = 255.286…; 405,056 / 255.286 = 1,586.7 → 1,587 cycles.
        // Compute: FP32 per SM-cycle 19.5e12 / 108 / 1.41e9 = 128.05…;
        // 200,704 / (25 · 128.05) = 62.7 → 63 cycles.
        // Kernel = 5,640 launch + max(63, 1,587) = 7,227 cycles: memory-bound.
        let w = presets::gemv(784, 128).unwrap();
        let sim = GpuSim::new(GpuConfig::a100_40gb_sxm(), &w).unwrap();
        let k = &sim.kernels()[0];
        assert_eq!(k.hbm_read.0 + k.hbm_written.0, 405_056);
        assert_eq!(k.active_sms, 25);
        assert_eq!(k.memory, Cycle(1_587));
        assert_eq!(k.compute, Cycle(63));
        assert_eq!(k.bound(), Bound::Memory);
        assert_eq!(sim.total_cycles(), Cycle(7_227));
        let m = sim.run_to_end();
        assert_eq!(m.flops, 200_704);
        assert!((m.arithmetic_intensity().unwrap() - 200_704.0 / 405_056.0).abs() < 1e-12);
        let (busy, idle, stalled) = m.total_activity();
        assert_eq!(busy + idle + stalled, Cycle(2 * 7_227));
    }

    #[test]
    fn every_op_round_trips_through_hbm_without_cache() {
        // Linear 784→128 with bias and ReLU: 3 kernels. The matmul output (512 B) is written,
        // then read back by the bias kernel, written, read by ReLU, written: the round trips.
        let w = presets::mnist_mlp_layer(1).unwrap();
        let sim = GpuSim::new(GpuConfig::a100_40gb_sxm(), &w).unwrap();
        let ks = sim.kernels();
        assert_eq!(ks.len(), 3);
        // bias: reads y (512) + b (512), writes 512.
        assert_eq!(ks[1].hbm_read, Bytes(1_024));
        assert_eq!(ks[1].hbm_written, Bytes(512));
        assert_eq!(ks[2].hbm_read, Bytes(512));
        assert_eq!(sim.total_cycles(), ks[2].end());
        // With the L2 as cache the intermediate reads hit: only the first read of each
        // weight and input goes to HBM.
        let cached = GpuSim::new(GpuConfig::a100_40gb_sxm_with_l2(), &w).unwrap();
        assert_eq!(cached.kernels()[1].hbm_read, Bytes(512)); // the bias vector only
        assert_eq!(cached.kernels()[1].cache_read, Bytes(512));
        assert_eq!(cached.kernels()[2].hbm_read, Bytes::ZERO);
    }

    #[test]
    fn kernel_traffic_names_the_round_trips() {
        // Linear 784→128 + bias + ReLU, no cache: the matmul writes y (512 B), which the
        // bias kernel reads back and writes again (512 B), which ReLU reads back. The
        // ReLU's output is the result: nobody reads it later.
        let w = presets::mnist_mlp_layer(1).unwrap();
        let sim = GpuSim::new(GpuConfig::a100_40gb_sxm(), &w).unwrap();
        let t = sim.kernel_traffic();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["matmul", "bias", "relu"]
        );
        assert_eq!(t[0].activations_in, Bytes::ZERO); // x is an input, W a weight
        assert_eq!(t[1].activations_in, Bytes(512));
        assert_eq!(t[2].activations_in, Bytes(512));
        assert_eq!(
            t.iter().map(|r| r.output_read_later).collect::<Vec<_>>(),
            [true, true, false]
        );
        // matmul reads x (3,136) and W (401,408); bias reads y and b (512 each).
        assert_eq!(t[0].hbm_read, Bytes(404_544));
        assert_eq!(t[1].hbm_read, Bytes(1_024));
        for (row, k) in t.iter().zip(sim.kernels()) {
            assert_eq!((row.cycles, row.bound), (k.duration(), k.bound()));
            assert_eq!(row.hbm_written, Bytes(512));
        }
    }

    #[test]
    fn stepping_matches_bulk_run_and_is_deterministic() {
        let w = presets::tiny_gemv().unwrap();
        let mut a = GpuSim::new(GpuConfig::small(), &w).unwrap();
        let mut b = a.clone();
        let mut steps = 0;
        while a.step() != StepOutcome::Finished {
            steps += 1;
        }
        assert_eq!(Cycle(steps), b.total_cycles());
        assert_eq!(
            b.run_until(Cycle(u64::MAX)),
            RunStatus::Finished { at: Cycle(steps) }
        );
        assert_eq!(a.metrics(), b.metrics());
        let ev = a.drain_trace();
        assert_eq!(ev.len(), 2);
        assert_eq!(
            ev[0].kind,
            EventKind::Gpu(GpuEvent::KernelLaunched { op: "gemv".into() })
        );
        assert_eq!(ev[0].to_string(), "cycle 0: kernel gemv launched");
    }

    #[test]
    fn bert_and_cnn_presets_plan() {
        let bert = presets::bert_tiny_encoder_layer().unwrap();
        let m = GpuSim::new(GpuConfig::a100_40gb_sxm(), &bert)
            .unwrap()
            .run_to_end();
        assert_eq!(m.flops, bert.flops());
        // 14 kernels, each at least one launch overhead.
        assert!(m.cycles.0 >= 14 * A100_LAUNCH_CYCLES);
        let cnn = presets::graphcore_mnist_cnn(16).unwrap();
        let m = GpuSim::new(GpuConfig::small(), &cnn).unwrap().run_to_end();
        assert!(m.bytes_off_chip.0 > cnn.weight_bytes().0);
    }

    #[test]
    fn bad_config_is_an_error() {
        let w = presets::tiny_gemv().unwrap();
        let mut c = GpuConfig::small();
        c.n_sms = 0;
        assert_eq!(
            GpuSim::new(c, &w).unwrap_err(),
            SimError::ZeroSize {
                what: "number of SMs"
            }
        );
        let mut c = GpuConfig::small();
        c.hbm_bytes_per_s = -1.0;
        assert!(matches!(
            GpuSim::new(c, &w),
            Err(SimError::OutOfRange { .. })
        ));
    }
}
