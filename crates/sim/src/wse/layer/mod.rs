//! The mapping of a whole graph of ops (the BERT-tiny encoder layer) onto the mesh, one op
//! after another, each op on the whole mesh in turn.
//!
//! # The mapping
//! The graph's ops run in order; each becomes one or more **phases**, and a phase has the
//! whole mesh to itself:
//!
//! - **Matmul phases** (the projections, the FFN, and each head of the per-head batched
//!   products `Q·Kᵀ` and `scores·V`): the [`GemvRun`] dataflow, cycle by cycle and wavelet
//!   by wavelet. The rows of the left operand stream in from the north edge as the GEMV's
//!   samples, the right operand sits in the PEs' memory as the GEMV's blocks of `W`, partial
//!   sums flow east and the results leave by the east edge. A head of a batched product is
//!   one GEMV of its own (`[m, k] × [k, n]`).
//! - **Load phases**, before a matmul whose right operand is an activation (`K` and `V`
//!   per head): the operand's blocks enter each column of the matmul's region through its
//!   north edge link, one wavelet per cycle per column, farthest PE first, one hop per cycle
//!   down the column, and land in the PEs' memory. Weights need no load phase: they stay in
//!   the PEs' memory for the whole run (the pipelined execution mode, all weights resident
//!   on the wafer \[P\] ALCF user guide 2024), so a PE's 48 KB must hold its blocks of every
//!   weight matrix beside the largest working set of any phase.
//! - **Row phases** (residual adds, softmax, layer norm, GELU): each op's tensor is viewed
//!   as rows (its last dimension) and the rows are split over the mesh: mesh row `j` gets
//!   a contiguous share, split again over its PEs. A mesh row's input rows enter through its
//!   west edge link, one wavelet per cycle, farthest PE first, one hop per cycle east; a PE
//!   computes a row as a task once that row's values have arrived (one row at a time, the
//!   task's cost from the per-element costs below); each finished row's results travel
//!   west, one hop per cycle, and leave by the west edge link, one wavelet per cycle, in
//!   the order they reach it. Inputs flow east and results west, so they never share a link.
//!
//! Between phases the activations are held beyond the mesh's edges (the rest of the
//! wafer): what a phase's wavelets bring in and take out is counted as on-chip traffic,
//! and the trip from one edge to another between two phases takes no cycles. Only the
//! layer's input (entering) and its output (leaving) count as off-chip bytes.
//!
//! # What is simulated, and what is aggregated
//! Matmul phases are simulated cycle by cycle on every PE with every wavelet (the same
//! engine as the GEMV page). Load and row phases are **scheduled**: the cycle each PE's data
//! arrives, each row task starts and ends and each result leaves is computed from the rules
//! above when the phase starts (one wavelet per cycle per link, one hop per cycle, one task
//! at a time per PE), then replayed cycle by cycle, so the picture shows which PEs compute
//! on which cycle and where the schedule puts the incoming wavelets
//! ([`DRAWN_IN_COLOR`]) and each row's results heading west (one dot per row,
//! [`DRAWN_OUT_COLOR`]); no router or queue is simulated for them. Their fabric traffic is
//! counted (word-hops) when the phase ends.
//!
//! # Costs of the row tasks (modelling choices, not WSE-2 figures)
//! The course facts give no WSE-2 instruction timings or peak FLOPs, so these are chosen, in
//! the spirit of the GEMV's one multiply-add per cycle: [`ADD_CYCLES_PER_ELEMENT`],
//! [`RELU_CYCLES_PER_ELEMENT`], [`GELU_CYCLES_PER_ELEMENT`], [`SOFTMAX_CYCLES_PER_ELEMENT`],
//! [`LAYER_NORM_CYCLES_PER_ELEMENT`] and, once per row of a softmax or layer norm,
//! [`ROW_REDUCTION_CYCLES`]. Sourced: 48 KB per PE \[P\] and the ~1.1 GHz clock \[S\]
//! ([`super::config`]); every phase's blocks and rows are checked against the PE's memory.
//!
//! # Values
//! Weights are drawn in [-1, 1) and scaled by `1/√fan_in`, inputs in [-1, 1), from a seed.
//! The matmul phases compute their results on the mesh in f32 (checked bit for bit against
//! the same sums in the mesh's order); the row phases compute in f32 with
//! [`crate::workload::eval`]; the layer's output is compared with the whole graph evaluated
//! in f64 ([`LayerCheck`]). Batched products read their operands as the workload's shapes
//! say (reshapes, not transposes), as every machine of the crate does.

use super::config::WseConfig;
use super::gemv::{GemvProblem, GemvRun, split_even};
use super::mesh::{MeshSnapshot, PeInspect, PeState, PeView};
use crate::budget::check_budget;
use crate::engine::{Engine, RunStatus, StepOutcome};
use crate::error::{SimError, check_size};
use crate::metrics::{RunMetrics, UnitActivity};
use crate::rng::SplitMix64;
use crate::trace::{EventKind, Trace, TraceEvent};
use crate::units::{Bytes, Cycle};
use crate::workload::eval::evaluate_op;
use crate::workload::{Activation, Binary, OpKind, TensorKind, Workload};
use std::fmt;

/// Cycles a PE takes per element of an elementwise add (one FP32 add per cycle, like the
/// GEMV's one multiply-add per cycle). Modelling choice.
pub const ADD_CYCLES_PER_ELEMENT: u64 = 1;
/// Cycles per element of a ReLU (one compare). Modelling choice.
pub const RELU_CYCLES_PER_ELEMENT: u64 = 1;
/// Cycles per element of a GELU (tanh form): the crate's count of 8 FLOPs per element
/// ([`crate::workload::GELU_FLOPS_PER_ELEMENT`]) at one FLOP per cycle. Modelling choice.
pub const GELU_CYCLES_PER_ELEMENT: u64 = 8;
/// Cycles per element of a softmax: a pass for the row's maximum (1), a pass for
/// `exp(x − max)` and the sum (4), a pass scaling by the reciprocal (1). Modelling choice.
pub const SOFTMAX_CYCLES_PER_ELEMENT: u64 = 6;
/// Cycles per element of a layer norm: a pass for the mean (1), one for the variance (2),
/// one normalising (2). Modelling choice.
pub const LAYER_NORM_CYCLES_PER_ELEMENT: u64 = 5;
/// Cycles per row of a softmax or layer norm for the one scalar reciprocal (or reciprocal
/// square root) of the row. Modelling choice.
pub const ROW_REDUCTION_CYCLES: u64 = 8;
/// Largest difference allowed between the layer's output and the f64 reference, relative to
/// `1 + |reference|`: loose for f32 rounding through a layer (the BERT layer at seq 128 on a
/// 16×16 mesh measured 2.4e-7 and 3.0e-7 with two seeds), tight enough that a wrong element
/// or a swapped head fails.
/// Modelling choice.
pub const LAYER_TOLERANCE: f32 = 1e-4;

/// What the op-by-op mapping assumes beyond [`super::MODEL_ASSUMPTIONS`], one sentence each,
/// for a page to show next to the run.
pub const LAYER_ASSUMPTIONS: &[&str] = &[
    "The layer runs op by op, each op on the whole mesh in turn; a real compiler would give each op its own region of the wafer and run them as a pipeline.",
    "Matmuls (and each attention head's products) run wavelet by wavelet on the GEMV dataflow. Loading K and V into the PEs and the row tasks (residual adds, softmax, layer norm, GELU) are scheduled from one wavelet per cycle per link and one hop per cycle, then replayed: the picture shows which PEs compute, not those wavelets.",
    "Row task costs are modelling choices, not WSE-2 figures: per element 1 cycle for an add, 8 for GELU, 6 for softmax, 5 for layer norm, plus 8 cycles per softmax or layer-norm row.",
    "Between ops the activations wait beyond the mesh's edges, on the rest of the wafer: moving them there counts as on-chip traffic and the trip from one edge to another takes no cycles. Only the layer's input and output count as off-chip bytes.",
];

/// What a phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseKind {
    /// A matmul, or head `head` of a batched one, on the GEMV dataflow.
    MatMul {
        /// Head (0 for an unbatched matmul).
        head: u32,
    },
    /// Loading head `head`'s right operand (an activation) into the PEs' memory.
    Load {
        /// Head.
        head: u32,
    },
    /// Row tasks of an elementwise op, a softmax or a layer norm.
    Rows,
}

/// One phase of the plan: which op, what it does, and the words a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// Index of the op in the workload.
    pub op_idx: usize,
    /// What the phase does.
    pub kind: PhaseKind,
    /// The phase in words ("op 4 of 14, scores, head 1 of 2: matmul …").
    pub label: String,
}

/// Per-element and per-row cycle costs of an op's row task; `None` for a matmul.
fn row_costs(kind: &OpKind) -> Option<(u64, u64)> {
    match kind {
        OpKind::Binary { .. } => Some((ADD_CYCLES_PER_ELEMENT, 0)),
        OpKind::Activation {
            func: Activation::Relu,
            ..
        } => Some((RELU_CYCLES_PER_ELEMENT, 0)),
        OpKind::Activation {
            func: Activation::Gelu,
            ..
        } => Some((GELU_CYCLES_PER_ELEMENT, 0)),
        OpKind::Softmax { .. } => Some((SOFTMAX_CYCLES_PER_ELEMENT, ROW_REDUCTION_CYCLES)),
        OpKind::LayerNorm { .. } => Some((LAYER_NORM_CYCLES_PER_ELEMENT, ROW_REDUCTION_CYCLES)),
        _ => None,
    }
}

/// Task label of an op's row task, as the inspector and the picture name it.
fn row_task_label(kind: &OpKind) -> &'static str {
    match kind {
        OpKind::Binary {
            op: Binary::Add, ..
        } => "add",
        OpKind::Binary {
            op: Binary::Mul, ..
        } => "mul",
        OpKind::Activation {
            func: Activation::Relu,
            ..
        } => "relu",
        OpKind::Activation {
            func: Activation::Gelu,
            ..
        } => "gelu",
        OpKind::Softmax { .. } => "softmax",
        OpKind::LayerNorm { .. } => "layernorm",
        _ => "task",
    }
}

/// The row view of a row op: (rows, columns, input words per element).
fn row_shape(workload: &Workload, op_idx: usize) -> (usize, usize, usize) {
    let op = &workload.ops[op_idx];
    match op.kind {
        OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols } => {
            (rows as usize, cols as usize, 1)
        }
        OpKind::Binary { len, .. } | OpKind::Activation { len, .. } => {
            let first = workload.tensor(op.inputs[0]);
            let last = first.shape.last().copied().unwrap_or(len).max(1);
            let cols = if len % last == 0 { last } else { len };
            // A second input as long as the first streams in beside it; a shorter one (a
            // bias) is broadcast and stays in every PE's memory.
            let streamed = op
                .inputs
                .get(1)
                .map_or(0, |&b| usize::from(workload.tensor(b).elements() == len));
            ((len / cols) as usize, cols as usize, 1 + streamed)
        }
        _ => (0, 0, 0),
    }
}

/// The matmul shape of an op: (batch, m, k, n).
fn matmul_shape(kind: &OpKind) -> Option<(u64, u64, u64, u64)> {
    match *kind {
        OpKind::MatMul { batch, m, k, n } => Some((batch, m, k, n)),
        _ => None,
    }
}

/// The GEMV problem of head `head` of matmul `op_idx`, from the tensors' values.
fn matmul_problem(
    workload: &Workload,
    values: &[Vec<f32>],
    op_idx: usize,
    head: u32,
) -> Result<GemvProblem, SimError> {
    let op = &workload.ops[op_idx];
    let Some((_, m, k, n)) = matmul_shape(&op.kind) else {
        return Err(SimError::UnsupportedWorkload {
            reason: format!("\"{}\" is not a matmul.", op.name),
        });
    };
    let (m, k, n, h) = (m as usize, k as usize, n as usize, head as usize);
    let a = &values[op.inputs[0].0];
    let b = &values[op.inputs[1].0];
    let x = a[h * m * k..(h + 1) * m * k].to_vec();
    let b0 = if b.len() == k * n { 0 } else { h * k * n };
    let mut w = vec![0.0f32; n * k];
    for kk in 0..k {
        for o in 0..n {
            w[o * k + kk] = b[b0 + kk * n + o];
        }
    }
    // Sizes were checked against u32 when the plan was made.
    Ok(GemvProblem {
        d_in: k as u32,
        d_out: n as u32,
        batch: m as u32,
        w,
        x,
        bias: None,
        relu: false,
    })
}

mod schedule;

use schedule::Scheduled;
pub use schedule::{DRAWN_IN_COLOR, DRAWN_OUT_COLOR};

/// The phase running now.
#[derive(Debug, Clone)]
enum Current {
    /// A matmul on the mesh.
    Mesh(Box<GemvRun>),
    /// A load or row phase.
    Scheduled(Scheduled),
    /// A phase that could not be built (its sentence).
    Failed(String),
}

/// Per-PE activity totals of the phases already done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct PeTotals {
    busy: u64,
    stalled: u64,
    idle: u64,
    tasks: u64,
}

/// The verdict on a finished layer; see [`LayerRun::check_result`]. Its `Display` is the
/// sentence a page shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerCheck {
    /// Outputs of the layer compared.
    pub outputs: usize,
    /// Matmul outputs (over every matmul phase) that differ from the CPU's sums in the
    /// mesh's order (should be 0: bit for bit).
    pub matmul_mismatches: usize,
    /// Matmul phases checked.
    pub matmul_phases: usize,
    /// Largest difference from the f64 reference, relative to `1 + |reference|`.
    pub worst_difference: f32,
    /// The tolerance it is held to ([`LAYER_TOLERANCE`]).
    pub tolerance: f32,
    /// Whether the layer is right.
    pub ok: bool,
}

impl fmt::Display for LayerCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.ok { "Correct" } else { "Wrong" };
        write!(
            f,
            "{verdict}: all {} outputs of the layer within {:.0e} of an f64 evaluation of the graph (worst {:.1e}); the {} matmul phases' sums are {} the CPU's in the mesh's order.",
            self.outputs,
            self.tolerance,
            self.worst_difference,
            self.matmul_phases,
            if self.matmul_mismatches == 0 {
                "bit for bit equal to".to_owned()
            } else {
                format!("{} outputs away from", self.matmul_mismatches)
            }
        )
    }
}

/// A graph of ops (the BERT-tiny encoder layer) mapped onto a mesh op by op; see the
/// module docs.
#[derive(Debug, Clone)]
pub struct LayerRun {
    config: WseConfig,
    workload: Workload,
    plan: Vec<Phase>,
    phase_idx: usize,
    current: Current,
    /// Cycles of the phases already done.
    base: u64,
    finished: bool,
    /// f32 values by tensor index, as the machine computes them.
    values: Vec<Vec<f32>>,
    /// f64 reference values by tensor index, evaluated op by op as the run passes each op.
    reference: Vec<Vec<f64>>,
    totals: Vec<PeTotals>,
    /// Phase cycles, by phase index, for the phases done.
    phase_cycles: Vec<Cycle>,
    flops: u64,
    on_chip: u64,
    matmul_mismatches: usize,
    matmul_phases: usize,
    largest_block: Bytes,
    /// Per PE, its blocks of every weight matrix, kept for the whole run.
    resident: Vec<Bytes>,
    trace: Trace,
}

impl LayerRun {
    /// Maps `workload` onto a mesh built from `config`, op by op, with values from `seed`.
    /// Every phase's blocks and rows are checked against a PE's memory before the run, and
    /// so is the sum of every weight block a PE keeps for the whole run and the largest
    /// working set of a phase (accumulators, a loaded operand, rows).
    ///
    /// # Errors
    /// [`SimError::UnsupportedWorkload`] for a convolution or pooling op; a bad config, too
    /// few colors, a size above the GEMV mapping's limits, or a block or row share that does
    /// not fit a PE's memory, as sentences.
    pub fn from_workload(
        config: WseConfig,
        workload: &Workload,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        workload.validate()?;
        let n_ops = workload.ops.len();
        let values_estimate = workload.tensors.iter().fold(0u64, |acc, t| {
            acc.saturating_add(t.elements().saturating_mul(12))
        });
        check_budget(&format!("The values of {}", workload.name), values_estimate)?;
        let mut plan = Vec::new();
        let mut largest_block = Bytes::ZERO;
        // Weights stay in the PEs for the whole run; each phase also needs its working set.
        let mut resident = 0u64;
        let mut working = 0u64;
        let zeros: Vec<Vec<f32>> = workload
            .tensors
            .iter()
            .map(|t| vec![0.0; t.elements() as usize])
            .collect();
        for (op_idx, op) in workload.ops.iter().enumerate() {
            let at = format!("op {} of {n_ops}, {}", op_idx + 1, op.name);
            if let Some((batch, m, k, n)) = matmul_shape(&op.kind) {
                check_size("input length", k, super::gemv::MAX_DIM)?;
                check_size("output length", n, super::gemv::MAX_DIM)?;
                check_size("rows streamed (batch)", m, super::gemv::MAX_BATCH)?;
                check_size("heads", batch, u64::from(u32::MAX))?;
                let a = workload.tensor(op.inputs[0]);
                let b = workload.tensor(op.inputs[1]);
                if a.elements() != batch * m * k
                    || (b.elements() != k * n && b.elements() != batch * k * n)
                {
                    return Err(SimError::InvalidWorkload {
                        reason: format!(
                            "\"{}\" multiplies {} and {} values, which are not [{batch}, {m}, {k}] and [{k}, {n}].",
                            op.name,
                            a.elements(),
                            b.elements()
                        ),
                    });
                }
                let weight_operand = b.kind == TensorKind::Weight;
                for head in 0..batch as u32 {
                    let of_heads = if batch > 1 {
                        format!(", head {} of {batch}", head + 1)
                    } else {
                        String::new()
                    };
                    // Built once with zeros: the mapping's own checks (colors, memory).
                    let probe = GemvRun::new(
                        config.clone(),
                        matmul_problem(workload, &zeros, op_idx, head)?,
                    )?;
                    let block = probe.max_block_bytes();
                    largest_block = largest_block.max(block);
                    let rows_max = n.div_ceil(n.min(u64::from(config.height)));
                    let accumulators = 4 * m * rows_max;
                    if weight_operand {
                        if head == 0 {
                            resident += block.0;
                        }
                        working = working.max(accumulators);
                    } else {
                        working = working.max(block.0 + accumulators);
                    }
                    if !weight_operand {
                        plan.push(Phase {
                            op_idx,
                            kind: PhaseKind::Load { head },
                            label: format!(
                                "{at}{of_heads}: loading \"{}\" into the PEs' memory through the north edge",
                                b.name
                            ),
                        });
                    }
                    plan.push(Phase {
                        op_idx,
                        kind: PhaseKind::MatMul { head },
                        label: format!(
                            "{at}{of_heads}: matmul [{m}×{k}]·[{k}×{n}] on the mesh (rows stream in from the north, partial sums flow east)"
                        ),
                    });
                }
            } else if row_costs(&op.kind).is_some() {
                let (rows, cols, n_in) = row_shape(workload, op_idx);
                let probe = Scheduled::rows(&config, rows, cols, n_in, (1, 0), "probe", 0);
                if let Some((pe, &needed)) =
                    probe.memory.iter().enumerate().max_by_key(|&(_, m)| *m)
                    && needed > config.memory_per_pe
                {
                    // Alone it does not fit (the check with the weights below would also fail,
                    // but this names the PE).
                    let w = config.width as usize;
                    return Err(SimError::BlockDoesNotFit {
                        x: (pe % w) as u32,
                        y: (pe / w) as u32,
                        needed,
                        capacity: config.memory_per_pe,
                    });
                }
                working = working.max(probe.memory.iter().map(|b| b.0).max().unwrap_or(0));
                plan.push(Phase {
                    op_idx,
                    kind: PhaseKind::Rows,
                    label: format!(
                        "{at}: {} as row tasks on the PEs ({rows} rows of {cols}; rows in from the west edge, results back west)",
                        op.kind.label()
                    ),
                });
            } else {
                return Err(SimError::UnsupportedWorkload {
                    reason: format!(
                        "the mesh maps matmuls, elementwise ops, softmax and layer norm, but \"{}\" is a {}.",
                        op.name,
                        op.kind.label()
                    ),
                });
            }
        }
        let needed = Bytes(resident + working);
        if needed > config.memory_per_pe {
            return Err(SimError::BlockDoesNotFit {
                x: 0,
                y: 0,
                needed,
                capacity: config.memory_per_pe,
            });
        }
        let values = seeded_values(workload, seed);
        let reference = values
            .iter()
            .map(|v| v.iter().map(|&x| f64::from(x)).collect())
            .collect();
        let n = config.n_pes();
        let trace = Trace::with_capacity(config.trace_capacity);
        let mut run = Self {
            current: Current::Failed(String::new()),
            config,
            workload: workload.clone(),
            plan,
            phase_idx: 0,
            base: 0,
            finished: false,
            values,
            reference,
            totals: vec![PeTotals::default(); n],
            phase_cycles: Vec::new(),
            flops: 0,
            on_chip: 0,
            matmul_mismatches: 0,
            matmul_phases: 0,
            largest_block,
            resident: Vec::new(),
            trace,
        };
        run.resident = vec![Bytes::ZERO; run.config.n_pes()];
        for op_idx in 0..run.workload.ops.len() {
            if let Some(blocks) = run.weight_blocks(op_idx) {
                for (r, b) in run.resident.iter_mut().zip(blocks) {
                    *r += b;
                }
            }
        }
        run.start_phase();
        Ok(run)
    }

    /// The phases, in order.
    #[must_use]
    pub fn plan(&self) -> &[Phase] {
        &self.plan
    }

    /// Index of the phase running (the last one once the run is over).
    #[must_use]
    pub fn phase_index(&self) -> usize {
        self.phase_idx
    }

    /// The phase running (the last one once the run is over).
    #[must_use]
    pub fn phase(&self) -> &Phase {
        &self.plan[self.phase_idx]
    }

    /// Cycles each finished phase took, in plan order.
    #[must_use]
    pub fn phase_cycles(&self) -> &[Cycle] {
        &self.phase_cycles
    }

    /// The mesh configuration.
    #[must_use]
    pub fn config(&self) -> &WseConfig {
        &self.config
    }

    /// The workload.
    #[must_use]
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    /// Bytes of the biggest block of a matmul's right operand one PE holds, over all phases.
    #[must_use]
    pub fn max_block_bytes(&self) -> Bytes {
        self.largest_block
    }

    /// The matmul phase running, if the current phase is one.
    #[must_use]
    pub fn gemv(&self) -> Option<&GemvRun> {
        match &self.current {
            Current::Mesh(g) => Some(g),
            _ => None,
        }
    }

    /// The layer's output (the last op's tensor), once the run is over.
    #[must_use]
    pub fn result(&self) -> Option<&[f32]> {
        let last = self.workload.ops.last()?.output.0;
        (self.finished && matches!(self.current, Current::Mesh(_) | Current::Scheduled(_)))
            .then(|| self.values[last].as_slice())
    }

    /// The f64 reference of the layer's output, rounded to f32, once the run is over.
    #[must_use]
    pub fn reference(&self) -> Option<Vec<f32>> {
        let last = self.workload.ops.last()?.output.0;
        // Rounding to f32 is the point.
        self.finished
            .then(|| self.reference[last].iter().map(|&x| x as f32).collect())
    }

    /// Why the run stopped without a result, if a phase could not be built.
    #[must_use]
    pub fn failure(&self) -> Option<&str> {
        match &self.current {
            Current::Failed(reason) if !reason.is_empty() => Some(reason),
            _ => None,
        }
    }

    /// The verdict once the run is over (`None` before, or after a failure).
    #[must_use]
    pub fn check_result(&self) -> Option<LayerCheck> {
        let got = self.result()?;
        let want = self.reference()?;
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
            .fold(0.0f32, f32::max);
        let finite = got.iter().all(|v| v.is_finite());
        Some(LayerCheck {
            outputs: got.len(),
            matmul_mismatches: self.matmul_mismatches,
            matmul_phases: self.matmul_phases,
            worst_difference: worst,
            tolerance: LAYER_TOLERANCE,
            ok: finite
                && got.len() == want.len()
                && self.matmul_mismatches == 0
                && worst <= LAYER_TOLERANCE,
        })
    }

    /// Per PE, its block of op `op_idx`'s weight matrix, when the op is a matmul by a weight
    /// (the blocks [`GemvRun`] places: rows of the output by columns of the reduction).
    fn weight_blocks(&self, op_idx: usize) -> Option<Vec<Bytes>> {
        let op = &self.workload.ops[op_idx];
        let (_, _, k, n) = matmul_shape(&op.kind)?;
        if self.workload.tensor(op.inputs[1]).kind != TensorKind::Weight {
            return None;
        }
        let (w, h) = (self.config.width as usize, self.config.height as usize);
        let cols = split_even(k as usize, w.min(k as usize));
        let rows = split_even(n as usize, h.min(n as usize));
        let mut blocks = vec![Bytes::ZERO; self.config.n_pes()];
        for (j, &(_, r)) in rows.iter().enumerate() {
            for (i, &(_, c)) in cols.iter().enumerate() {
                blocks[j * w + i] = Bytes(4 * (r * c) as u64);
            }
        }
        Some(blocks)
    }

    /// The memory PE `pe` uses: its weight blocks, plus what the phase adds (`phase`, which
    /// for a matmul by a weight includes that weight's block, counted once).
    fn memory_of(&self, pe: usize, phase: Bytes, own: Option<&[Bytes]>) -> Bytes {
        let own = own.map_or(Bytes::ZERO, |o| o[pe]);
        Bytes((self.resident[pe].0 + phase.0).saturating_sub(own.0))
    }

    /// The current op's weight blocks while a matmul by a weight runs on the mesh.
    fn current_own_blocks(&self) -> Option<Vec<Bytes>> {
        match self.current {
            Current::Mesh(_) => self.weight_blocks(self.plan[self.phase_idx].op_idx),
            _ => None,
        }
    }

    /// Builds the phase at `phase_idx` from the values so far.
    fn start_phase(&mut self) {
        let phase = self.plan[self.phase_idx].clone();
        let op = &self.workload.ops[phase.op_idx];
        self.current = match phase.kind {
            PhaseKind::MatMul { head } => {
                match matmul_problem(&self.workload, &self.values, phase.op_idx, head)
                    .and_then(|p| GemvRun::new(self.config.clone(), p))
                {
                    Ok(g) => Current::Mesh(Box::new(g)),
                    Err(e) => Current::Failed(e.to_string()),
                }
            }
            PhaseKind::Load { .. } => {
                let (_, _, k, n) = matmul_shape(&op.kind).unwrap_or((1, 1, 1, 1));
                let pw = (self.config.width as usize).min(k as usize);
                let ph = (self.config.height as usize).min(n as usize);
                let cols = split_even(k as usize, pw);
                let rows = split_even(n as usize, ph);
                let words: Vec<Vec<u64>> = rows
                    .iter()
                    .map(|&(_, r)| cols.iter().map(|&(_, c)| (r * c) as u64).collect())
                    .collect();
                Current::Scheduled(Scheduled::load(&self.config, &words))
            }
            PhaseKind::Rows => {
                let (rows, cols, n_in) = row_shape(&self.workload, phase.op_idx);
                let costs = row_costs(&op.kind).unwrap_or((1, 0));
                Current::Scheduled(Scheduled::rows(
                    &self.config,
                    rows,
                    cols,
                    n_in,
                    costs,
                    row_task_label(&op.kind),
                    op.kind.flops(),
                ))
            }
        };
        let at = Cycle(self.base);
        self.trace
            .push(at, EventKind::Milestone(format!("{} begins", phase.label)));
        if let Current::Failed(reason) = &self.current {
            let reason = reason.clone();
            self.trace.push(
                at,
                EventKind::Milestone(format!("the phase cannot run: {reason}")),
            );
            self.finished = true;
        }
    }

    /// Ends the current (finished) phase: its values, counters and traffic; then starts the
    /// next one, or ends the run.
    fn end_phase(&mut self) {
        let phase = self.plan[self.phase_idx].clone();
        let op = self.workload.ops[phase.op_idx].clone();
        let local = match &self.current {
            Current::Mesh(g) => {
                let g = g.as_ref();
                if let Some(y) = g.result() {
                    let (_, m, _, n) = matmul_shape(&op.kind).unwrap_or((1, 1, 1, 1));
                    let h = match phase.kind {
                        PhaseKind::MatMul { head } => head as usize,
                        _ => 0,
                    };
                    let size = (m * n) as usize;
                    let out = &mut self.values[op.output.0];
                    out[h * size..(h + 1) * size].copy_from_slice(&y);
                }
                if let Some(c) = g.check_result() {
                    self.matmul_mismatches += c.mismatches;
                }
                self.matmul_phases += 1;
                let metrics = g.metrics();
                for (t, u) in self.totals.iter_mut().zip(&metrics.units) {
                    t.busy += u.busy.0;
                    t.stalled += u.stalled.0;
                    t.idle += u.idle.0;
                }
                self.flops += metrics.flops;
                // Everything the phase moved, including what crossed its edges, stays on
                // the wafer.
                self.on_chip += metrics.bytes_on_chip.0 + metrics.bytes_off_chip.0;
                g.now().0
            }
            Current::Scheduled(s) => {
                for (pe, t) in self.totals.iter_mut().enumerate() {
                    let busy = s.busy_before(pe, s.end);
                    t.busy += busy;
                    t.idle += s.end - busy;
                    t.tasks += s.busy[pe].len() as u64;
                }
                self.flops += s.flops;
                self.on_chip += 4 * s.word_hops + s.sram_bytes;
                if phase.kind == PhaseKind::Rows {
                    evaluate_op(&op, &mut self.values);
                }
                s.end
            }
            Current::Failed(_) => 0,
        };
        // The reference passes each op once, after the op's last phase.
        let last_of_op = self
            .plan
            .get(self.phase_idx + 1)
            .is_none_or(|p| p.op_idx != phase.op_idx);
        if last_of_op {
            evaluate_op(&op, &mut self.reference);
        }
        self.phase_cycles.push(Cycle(local));
        self.base += local;
        if self.phase_idx + 1 < self.plan.len() {
            self.phase_idx += 1;
            self.start_phase();
        } else {
            self.finished = true;
            self.trace.push(
                Cycle(self.base),
                EventKind::Milestone(format!(
                    "the layer is done: {} phases on the mesh",
                    self.plan.len()
                )),
            );
        }
    }

    fn current_now(&self) -> u64 {
        match &self.current {
            Current::Mesh(g) => g.now().0,
            Current::Scheduled(s) => s.now,
            Current::Failed(_) => 0,
        }
    }

    fn current_finished(&self) -> bool {
        match &self.current {
            Current::Mesh(g) => g.is_finished(),
            Current::Scheduled(s) => s.finished(),
            Current::Failed(_) => true,
        }
    }

    /// Moves the current phase's events into the run's trace, at the run's cycles.
    fn drain_phase_trace(&mut self) {
        if let Current::Mesh(g) = &mut self.current {
            let base = self.base;
            for e in g.drain_trace() {
                self.trace.push(Cycle(base + e.cycle.0), e.kind);
            }
        }
    }

    /// After the current phase advanced: ends it and starts the next if it is done (a
    /// phase that is done by the time it is built, which none is, is ended at once).
    fn settle(&mut self) {
        self.drain_phase_trace();
        while !self.finished && self.current_finished() {
            self.end_phase();
            self.drain_phase_trace();
        }
    }

    /// A snapshot for drawing (see [`MeshSnapshot`]): the mesh's own picture during a
    /// matmul; during a load or row phase, the PEs computing on the last cycle and the
    /// wavelets where the schedule puts them. A PE's memory counts its resident weight
    /// blocks beside the phase's data.
    #[must_use]
    pub fn snapshot(&self) -> MeshSnapshot {
        let mut s = MeshSnapshot::default();
        self.snapshot_into(&mut s);
        s
    }

    /// As [`LayerRun::snapshot`], reusing `snap`'s buffers.
    pub fn snapshot_into(&self, snap: &mut MeshSnapshot) {
        match &self.current {
            Current::Mesh(g) => g.snapshot_into(snap),
            Current::Scheduled(s) => {
                snap.width = self.config.width;
                snap.height = self.config.height;
                snap.pes.clear();
                let last = s.now.checked_sub(1);
                for pe in 0..self.config.n_pes() {
                    let busy = last.is_some_and(|t| s.is_busy_at(pe, t));
                    snap.pes.push(PeView {
                        state: if busy { PeState::Busy } else { PeState::Idle },
                        task: busy.then_some(s.task),
                        router_queued: 0,
                        task_queued: 0,
                        memory_used: if s.now >= s.arrived[pe] {
                            s.memory[pe]
                        } else {
                            Bytes::ZERO
                        },
                    });
                }
                snap.wavelets.clear();
                snap.wavelets_in_flight = match last {
                    Some(t) => s.wavelets_into(t, snap.wavelet_limit, &mut snap.wavelets),
                    None => 0,
                };
                snap.left_mesh = 0;
            }
            Current::Failed(_) => {
                snap.width = self.config.width;
                snap.height = self.config.height;
                snap.pes.clear();
                snap.pes.resize(
                    self.config.n_pes(),
                    PeView {
                        state: PeState::Idle,
                        task: None,
                        router_queued: 0,
                        task_queued: 0,
                        memory_used: Bytes::ZERO,
                    },
                );
                snap.wavelets.clear();
                snap.wavelets_in_flight = 0;
            }
        }
        let own = self.current_own_blocks();
        for (pe, view) in snap.pes.iter_mut().enumerate() {
            view.memory_used = self.memory_of(pe, view.memory_used, own.as_deref());
        }
        snap.cycle = self.now();
        snap.finished = self.finished;
    }

    /// Everything about one PE (see [`PeInspect`]); cycle counts cover the whole run.
    ///
    /// # Errors
    /// A PE outside the mesh.
    pub fn inspect(&self, x: u32, y: u32) -> Result<PeInspect, SimError> {
        let (w, h) = (self.config.width, self.config.height);
        if x >= w || y >= h {
            return Err(SimError::PeOutOfRange {
                x,
                y,
                width: w,
                height: h,
            });
        }
        let pe = y as usize * w as usize + x as usize;
        let t = self.totals[pe];
        let phase = &self.plan[self.phase_idx];
        let mut out = match &self.current {
            Current::Mesh(g) => g.inspect(x, y)?,
            Current::Scheduled(s) => {
                let busy = s.busy_before(pe, s.now);
                let now_busy = s.now.checked_sub(1).is_some_and(|c| s.is_busy_at(pe, c));
                let share = match phase.kind {
                    PhaseKind::Rows => format!("{} rows", s.share[pe]),
                    _ => format!("{} words of the operand", s.share[pe]),
                };
                PeInspect {
                    x,
                    y,
                    state: if now_busy {
                        PeState::Busy
                    } else {
                        PeState::Idle
                    },
                    task: now_busy.then_some(s.task),
                    busy: Cycle(busy),
                    stalled: Cycle::ZERO,
                    idle: Cycle(s.now - busy),
                    router_stall_cycles: Cycle::ZERO,
                    tasks_run: s.busy[pe]
                        .iter()
                        .filter(|&&(start, _)| start < s.now)
                        .count() as u64,
                    memory_used: if s.now >= s.arrived[pe] {
                        s.memory[pe]
                    } else {
                        Bytes::ZERO
                    },
                    memory_capacity: self.config.memory_per_pe,
                    routes: Vec::new(),
                    program: format!(
                        "{} ({share}; all its data in by cycle {} of the phase)",
                        s.task, s.arrived[pe]
                    ),
                }
            }
            Current::Failed(_) => PeInspect {
                x,
                y,
                state: PeState::Idle,
                task: None,
                busy: Cycle::ZERO,
                stalled: Cycle::ZERO,
                idle: Cycle::ZERO,
                router_stall_cycles: Cycle::ZERO,
                tasks_run: 0,
                memory_used: Bytes::ZERO,
                memory_capacity: self.config.memory_per_pe,
                routes: Vec::new(),
                program: "no program".to_owned(),
            },
        };
        out.busy += Cycle(t.busy);
        out.stalled += Cycle(t.stalled);
        out.idle += Cycle(t.idle);
        out.tasks_run += t.tasks;
        out.memory_used = self.memory_of(pe, out.memory_used, self.current_own_blocks().as_deref());
        out.program = format!(
            "{}: {} (and {} of weight blocks kept for the whole run)",
            phase.label, out.program, self.resident[pe]
        );
        Ok(out)
    }
}

/// Weights in [-1, 1) scaled by `1/√fan_in` (their first dimension), inputs in [-1, 1),
/// activations zero, by tensor index.
fn seeded_values(workload: &Workload, seed: u64) -> Vec<Vec<f32>> {
    let mut weights = SplitMix64::new(seed);
    let mut inputs = SplitMix64::new(seed ^ 0x9E37_79B9_7F4A_7C15);
    workload
        .tensors
        .iter()
        .map(|t| {
            let n = t.elements() as usize;
            match t.kind {
                TensorKind::Activation => vec![0.0; n],
                TensorKind::Input => (0..n).map(|_| inputs.next_small_f32()).collect(),
                TensorKind::Weight => {
                    let fan_in = t.shape.first().copied().unwrap_or(1).max(1) as f32;
                    let scale = 1.0 / fan_in.sqrt();
                    (0..n).map(|_| weights.next_small_f32() * scale).collect()
                }
            }
        })
        .collect()
}

impl Engine for LayerRun {
    fn now(&self) -> Cycle {
        Cycle(self.base + if self.finished { 0 } else { self.current_now() })
    }

    fn step(&mut self) -> StepOutcome {
        if self.finished {
            return StepOutcome::Finished;
        }
        let outcome = match &mut self.current {
            Current::Mesh(g) => g.step(),
            Current::Scheduled(s) => {
                s.run_until(s.now + 1);
                StepOutcome::Running
            }
            Current::Failed(_) => StepOutcome::Finished,
        };
        self.settle();
        match outcome {
            StepOutcome::Finished if !self.finished => StepOutcome::Running,
            o => o,
        }
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        loop {
            if self.finished {
                return RunStatus::Finished { at: self.now() };
            }
            if self.now() >= deadline {
                return RunStatus::DeadlineReached;
            }
            let local = deadline.0 - self.base;
            let status = match &mut self.current {
                Current::Mesh(g) => g.run_until(Cycle(local)),
                Current::Scheduled(s) => {
                    s.run_until(local);
                    if s.finished() {
                        RunStatus::Finished { at: Cycle(s.end) }
                    } else {
                        RunStatus::DeadlineReached
                    }
                }
                Current::Failed(_) => RunStatus::Finished { at: Cycle::ZERO },
            };
            if let RunStatus::Deadlocked { at, on } = status {
                self.drain_phase_trace();
                return RunStatus::Deadlocked {
                    at: Cycle(self.base + at.0),
                    on,
                };
            }
            self.settle();
        }
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    fn metrics(&self) -> RunMetrics {
        let (mut flops, mut on_chip) = (self.flops, self.on_chip);
        let mut units: Vec<UnitActivity> = Vec::with_capacity(self.totals.len());
        let live = !self.finished;
        let mesh_units = match (&self.current, live) {
            (Current::Mesh(g), true) => {
                let m = g.metrics();
                flops += m.flops;
                on_chip += m.bytes_on_chip.0 + m.bytes_off_chip.0;
                Some(m.units)
            }
            _ => None,
        };
        let w = self.config.width as usize;
        for (pe, t) in self.totals.iter().enumerate() {
            let (mut busy, mut stalled, mut idle) = (t.busy, t.stalled, t.idle);
            if live {
                if let Some(u) = mesh_units.as_ref().and_then(|u| u.get(pe)) {
                    busy += u.busy.0;
                    stalled += u.stalled.0;
                    idle += u.idle.0;
                } else if let Current::Scheduled(s) = &self.current {
                    let b = s.busy_before(pe, s.now);
                    busy += b;
                    idle += s.now - b;
                }
            }
            units.push(UnitActivity {
                name: format!("PE ({}, {})", pe % w, pe / w),
                busy: Cycle(busy),
                idle: Cycle(idle),
                stalled: Cycle(stalled),
            });
        }
        // The layer's input enters and its output leaves the wafer; nothing else does.
        let inputs: u64 = self
            .workload
            .tensors
            .iter()
            .filter(|t| t.kind == TensorKind::Input)
            .map(|t| t.bytes().0)
            .sum();
        let output = if self.finished {
            self.workload
                .ops
                .last()
                .map_or(0, |o| self.workload.tensor(o.output).bytes().0)
        } else {
            0
        };
        let off_chip = Bytes(inputs + output);
        let on_chip = Bytes(on_chip);
        // PE count and rate are small integers; exact in f64.
        let peak = self.config.n_pes() as f64
            * f64::from(self.config.fmacs_per_cycle)
            * 2.0
            * self.config.clock_hz;
        RunMetrics {
            machine: format!(
                "WSE-2-style mesh {}×{}",
                self.config.width, self.config.height
            ),
            cycles: self.now(),
            clock_hz: self.config.clock_hz,
            units,
            bytes_on_chip: on_chip,
            bytes_off_chip: off_chip,
            flops,
            peak_flops_per_s: peak,
            energy: self.config.energy.estimate(flops, on_chip, off_chip),
        }
    }

    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.drain_phase_trace();
        self.trace.drain()
    }
}

#[cfg(test)]
mod tests;
