//! The mapping step ("the compiler") for a GEMV or an MLP layer on the mesh.
//!
//! `y_s = act(W · x_s + b)` for samples `s` of a batch, `W: [d_out, d_in]`, is tiled over a
//! `pw × ph` region at the mesh's north-west corner, `pw = min(width, d_in)`,
//! `ph = min(height, d_out)`: PE (i, j) holds rows block j and columns block i of `W`
//! (blocks as even as possible). Colors:
//!
//! - **0, x broadcast down each column**: host data enters PE (i, 0) from the north edge;
//!   every PE of column i receives it from the north and sends it to its CE (ramp) and,
//!   except the last row, south: a multicast.
//! - **1 and 2, partial sums east along each row**: PE (i, j) sends its partial sums on color
//!   `1 + i mod 2` east; PE (i + 1, j) receives that color from the west into its CE, adds its
//!   own partial, and sends on its own color. Alternating two colors keeps each PE's route
//!   for a color to one receive port. The east column's sums leave the mesh by the east edge
//!   after the epilogue (bias, ReLU); when the region is narrower than the mesh they pass
//!   through the idle PEs east of it (route: from the west, to the east) to get there.
//!
//! Samples stream one after another, so for a batch the mesh is a pipeline: the west columns
//! start sample s + 1 while sample s's partial sums still travel east (fill), and the east
//! column finishes the last samples after the west has gone idle (drain).

use super::ce::{GemvBlock, Program};
use super::config::WseConfig;
use super::mesh::{Mesh, MeshSnapshot, PeInspect, Port, PortSet, Route};
use crate::budget::{check_budget, f32_bytes};
use crate::engine::{Engine, RunStatus, StepOutcome};
use crate::error::{SimError, check_size};
use crate::metrics::RunMetrics;
use crate::rng::SplitMix64;
use crate::trace::{EventKind, TraceEvent};
use crate::units::{Bytes, Cycle};
use crate::workload::{Activation, Binary, OpKind, TensorKind, Workload};
use std::fmt;

/// Color of the `x` broadcast.
pub const X_COLOR: u8 = 0;
/// Largest `d_in` or `d_out` accepted.
pub const MAX_DIM: u64 = 1 << 20;
/// Largest batch accepted.
pub const MAX_BATCH: u64 = 1 << 16;

/// A GEMV/MLP layer with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct GemvProblem {
    /// Input length.
    pub d_in: u32,
    /// Output length.
    pub d_out: u32,
    /// Samples.
    pub batch: u32,
    /// Weights, row-major `[d_out, d_in]`.
    pub w: Vec<f32>,
    /// Inputs, row-major `[batch, d_in]`.
    pub x: Vec<f32>,
    /// Bias, `[d_out]`.
    pub bias: Option<Vec<f32>>,
    /// Whether ReLU follows.
    pub relu: bool,
}

impl GemvProblem {
    /// A problem with values in [-1, 1) drawn from `seed`.
    ///
    /// # Errors
    /// A zero or too-large size.
    pub fn random(
        d_in: u32,
        d_out: u32,
        batch: u32,
        bias: bool,
        relu: bool,
        seed: u64,
    ) -> Result<Self, SimError> {
        check_size("input length", u64::from(d_in), MAX_DIM)?;
        check_size("output length", u64::from(d_out), MAX_DIM)?;
        check_size("batch", u64::from(batch), MAX_BATCH)?;
        let (d_in64, d_out64, batch64) = (u64::from(d_in), u64::from(d_out), u64::from(batch));
        check_budget(
            &format!("A {d_out}×{d_in} weight matrix with its inputs (batch {batch})"),
            f32_bytes(&[(d_in64, d_out64), (batch64, d_in64), (d_out64, 1)]),
        )?;
        let mut rng = SplitMix64::new(seed);
        let mut fill = |n: usize| (0..n).map(|_| rng.next_small_f32()).collect::<Vec<f32>>();
        let w = fill(d_in as usize * d_out as usize);
        let x = fill(batch as usize * d_in as usize);
        let bias = bias.then(|| fill(d_out as usize));
        Ok(Self {
            d_in,
            d_out,
            batch,
            w,
            x,
            bias,
            relu,
        })
    }

    /// Checks that the values match the sizes.
    ///
    /// # Errors
    /// [`SimError::InvalidWorkload`] naming the vector of the wrong length.
    pub fn check(&self) -> Result<(), SimError> {
        let (d_in, d_out, batch) = (self.d_in as usize, self.d_out as usize, self.batch as usize);
        let bad = |what: &str, len: usize, want: usize| {
            Err(SimError::InvalidWorkload {
                reason: format!("{what} has {len} values but needs {want}."),
            })
        };
        if self.w.len() != d_in.saturating_mul(d_out) {
            return bad(
                "the weight matrix",
                self.w.len(),
                d_in.saturating_mul(d_out),
            );
        }
        if self.x.len() != batch.saturating_mul(d_in) {
            return bad("the input batch", self.x.len(), batch.saturating_mul(d_in));
        }
        if let Some(b) = &self.bias
            && b.len() != d_out
        {
            return bad("the bias", b.len(), d_out);
        }
        Ok(())
    }

    /// `act(W·x + b)` computed in f64 and rounded once: the exact answer, for a tolerance check.
    #[must_use]
    pub fn reference_f64(&self) -> Vec<f32> {
        let (d_in, d_out) = (self.d_in as usize, self.d_out as usize);
        let mut y = Vec::with_capacity(self.batch as usize * d_out);
        for s in 0..self.batch as usize {
            for o in 0..d_out {
                let mut v: f64 = (0..d_in)
                    .map(|k| f64::from(self.w[o * d_in + k]) * f64::from(self.x[s * d_in + k]))
                    .sum();
                if let Some(b) = &self.bias {
                    v += f64::from(b[o]);
                }
                if self.relu {
                    v = v.max(0.0);
                }
                // Rounding to f32 is the point.
                y.push(v as f32);
            }
        }
        y
    }

    /// The largest error f32 rounding can cause in an output: `(d_in + 2) · ε · M`, where
    /// `M` is the largest `Σ_k |w_ok · x_k| + |b_o|` over outputs and samples (the standard
    /// forward-error bound of recursive summation, one more term for the bias).
    #[must_use]
    pub fn summation_error_bound(&self) -> f32 {
        let (d_in, d_out) = (self.d_in as usize, self.d_out as usize);
        let mut largest = 0.0f64;
        for s in 0..self.batch as usize {
            for o in 0..d_out {
                let mut m: f64 = (0..d_in)
                    .map(|k| {
                        (f64::from(self.w[o * d_in + k]) * f64::from(self.x[s * d_in + k])).abs()
                    })
                    .sum();
                if let Some(b) = &self.bias {
                    m += f64::from(b[o]).abs();
                }
                largest = largest.max(m);
            }
        }
        // Rounding the bound to f32 is harmless.
        ((f64::from(self.d_in) + 2.0) * f64::from(f32::EPSILON) * largest) as f32
    }

    /// The same values in f32, summed in the order the mesh sums them: within each column
    /// block in ascending `k`, then the blocks west to east, then bias, then ReLU. The mesh
    /// result must equal this bit for bit.
    #[must_use]
    pub fn reference_in_mesh_order(&self, col_blocks: &[(usize, usize)]) -> Vec<f32> {
        let (d_in, d_out) = (self.d_in as usize, self.d_out as usize);
        let mut y = Vec::with_capacity(self.batch as usize * d_out);
        for s in 0..self.batch as usize {
            for o in 0..d_out {
                let mut total = 0.0f32;
                for (i, &(start, len)) in col_blocks.iter().enumerate() {
                    let mut acc = 0.0f32;
                    for k in start..start + len {
                        acc += self.w[o * d_in + k] * self.x[s * d_in + k];
                    }
                    total = if i == 0 { acc } else { total + acc };
                }
                if let Some(b) = &self.bias {
                    total += b[o];
                }
                if self.relu {
                    total = total.max(0.0);
                }
                y.push(total);
            }
        }
        y
    }
}

/// The verdict on a finished GEMV run; see [`GemvRun::check_result`]. Its `Display` is the
/// sentence a page shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResultCheck {
    /// Outputs compared (`batch × d_out`).
    pub outputs: usize,
    /// Outputs that differ from the CPU's sums done in the mesh's order (should be 0: the
    /// same f32 operations in the same order give the same bits).
    pub mismatches: usize,
    /// Largest difference from the f64 reference.
    pub max_abs_error: f32,
    /// The largest difference f32 rounding can explain: the classic bound for summing
    /// `d_in` products in f32, `(d_in + 2) · ε · max over outputs of (Σ|w·x| + |b|)`.
    pub tolerance: f32,
    /// No mismatch, and the error within the tolerance.
    pub ok: bool,
}

impl fmt::Display for ResultCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, err) = (self.outputs, self.max_abs_error);
        if self.mismatches > 0 {
            write!(
                f,
                "Wrong: {} of {n} outputs differ from the CPU's sums.",
                self.mismatches
            )
        } else if !self.ok {
            write!(
                f,
                "Wrong: the outputs equal the CPU's sums, but differ from an f64 reference by {err:.1e}, more than rounding explains ({:.1e}).",
                self.tolerance
            )
        } else {
            write!(
                f,
                "Correct: all {n} outputs equal the CPU's sums bit for bit (largest difference from an f64 reference {err:.1e})."
            )
        }
    }
}

/// Splits `len` into `parts` contiguous blocks as evenly as possible (the first
/// `len % parts` blocks get one more). Returns (start, length) pairs.
#[must_use]
pub fn split_even(len: usize, parts: usize) -> Vec<(usize, usize)> {
    let base = len / parts;
    let extra = len % parts;
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let l = base + usize::from(i < extra);
            let b = (start, l);
            start += l;
            b
        })
        .collect()
}

/// Color partial sums leave column `i` on.
#[must_use]
pub fn reduce_color(i: u32) -> u8 {
    1 + (i % 2) as u8
}

/// A GEMV/MLP layer mapped onto a mesh, ready to run.
#[derive(Debug, Clone)]
pub struct GemvRun {
    mesh: Mesh,
    problem: GemvProblem,
    row_blocks: Vec<(usize, usize)>,
    col_blocks: Vec<(usize, usize)>,
    first_output_traced: bool,
}

impl GemvRun {
    /// Maps `problem` onto a mesh built from `config`.
    ///
    /// # Errors
    /// A bad config, more colors needed than configured, or a block that does not fit a PE.
    pub fn new(config: WseConfig, problem: GemvProblem) -> Result<Self, SimError> {
        config.validate()?;
        check_size("input length", u64::from(problem.d_in), MAX_DIM)?;
        check_size("output length", u64::from(problem.d_out), MAX_DIM)?;
        check_size("batch", u64::from(problem.batch), MAX_BATCH)?;
        problem.check()?;
        // The problem's own values, the copies the mapping makes (weights in the blocks,
        // x in the injectors, one accumulator per output and sample), and the mesh.
        let (d_in, d_out, batch) = (
            u64::from(problem.d_in),
            u64::from(problem.d_out),
            u64::from(problem.batch),
        );
        let values = f32_bytes(&[(2 * d_in, d_out), (2 * batch, d_in), (batch + 2, d_out)]);
        check_budget(
            &format!(
                "Mapping a {}×{} layer (batch {}) onto a {}×{} mesh",
                problem.d_out, problem.d_in, problem.batch, config.width, config.height
            ),
            values.saturating_add(Mesh::estimated_bytes(&config)),
        )?;
        let pw = config.width.min(problem.d_in);
        let ph = config.height.min(problem.d_out);
        let needed = if pw == 1 { 2 } else { 3 };
        if needed > config.n_colors {
            return Err(SimError::ColorsExhausted {
                needed,
                available: config.n_colors,
            });
        }
        let fmacs = config.fmacs_per_cycle;
        let mut mesh = Mesh::new(config)?;
        let col_blocks = split_even(problem.d_in as usize, pw as usize);
        let row_blocks = split_even(problem.d_out as usize, ph as usize);
        let d_in = problem.d_in as usize;
        for (j, &(r0, rows)) in row_blocks.iter().enumerate() {
            let y = j as u32;
            for (i, &(k0, cols)) in col_blocks.iter().enumerate() {
                let x = i as u32;
                let east = x + 1 == pw;
                // x broadcast: from the north, to the CE and on south.
                let mut tx = vec![Port::Ramp];
                if y + 1 < ph {
                    tx.push(Port::South);
                }
                mesh.set_route(
                    x,
                    y,
                    X_COLOR,
                    Route {
                        rx: Port::North,
                        tx: PortSet::of(&tx),
                    },
                )?;
                // Partial sums: out east on this column's color, in from the west on the
                // previous column's.
                let out_color = reduce_color(x);
                mesh.set_route(
                    x,
                    y,
                    out_color,
                    Route {
                        rx: Port::Ramp,
                        tx: PortSet::of(&[Port::East]),
                    },
                )?;
                let in_color = (x > 0).then(|| reduce_color(x - 1));
                if let Some(c) = in_color {
                    mesh.set_route(
                        x,
                        y,
                        c,
                        Route {
                            rx: Port::West,
                            tx: PortSet::of(&[Port::Ramp]),
                        },
                    )?;
                }
                let mut a = Vec::with_capacity(rows * cols);
                for k in k0..k0 + cols {
                    for r in r0..r0 + rows {
                        a.push(problem.w[r * d_in + k]);
                    }
                }
                let bias = if east {
                    problem.bias.as_ref().map(|b| b[r0..r0 + rows].to_vec())
                } else {
                    None
                };
                let block = GemvBlock {
                    x_color: X_COLOR,
                    in_color,
                    out_color,
                    rows: rows as u32,
                    cols: cols as u32,
                    batch: problem.batch,
                    a,
                    bias,
                    relu: east && problem.relu,
                    fmacs_per_cycle: fmacs,
                    acc: vec![0.0; problem.batch as usize * rows],
                    x_taken: 0,
                    reduced: 0,
                };
                mesh.load_program(x, y, Program::Gemv(Box::new(block)))?;
            }
        }
        // When the region is narrower than the mesh, the results pass through the idle PEs
        // east of it to the mesh's east edge.
        let last_color = reduce_color(pw - 1);
        for y in 0..ph {
            for x in pw..mesh.config().width {
                let through = Route {
                    rx: Port::West,
                    tx: PortSet::of(&[Port::East]),
                };
                mesh.set_route(x, y, last_color, through)?;
            }
        }
        for (i, &(k0, cols)) in col_blocks.iter().enumerate() {
            let mut payloads = Vec::with_capacity(problem.batch as usize * cols);
            for s in 0..problem.batch as usize {
                payloads.extend(
                    problem.x[s * d_in + k0..s * d_in + k0 + cols]
                        .iter()
                        .map(|v| v.to_bits()),
                );
            }
            mesh.add_injector(i as u32, 0, Port::North, X_COLOR, payloads)?;
        }
        mesh.check_routes()?;
        Ok(Self {
            mesh,
            problem,
            row_blocks,
            col_blocks,
            first_output_traced: false,
        })
    }

    /// Maps a workload that is one linear layer: a matmul `[batch, d_in] × [d_in, d_out]`,
    /// optionally followed by a bias add and a ReLU (as [`crate::workload::presets::linear`]
    /// and `gemv` build). Values come from `seed`.
    ///
    /// # Errors
    /// [`SimError::UnsupportedWorkload`] for any other graph, or the errors of [`GemvRun::new`].
    pub fn from_workload(
        config: WseConfig,
        workload: &Workload,
        seed: u64,
    ) -> Result<Self, SimError> {
        workload.validate()?;
        let unsupported = |reason: String| Err(SimError::UnsupportedWorkload { reason });
        let mut ops = workload.ops.iter();
        let Some(first) = ops.next() else {
            return unsupported("it has no ops.".to_owned());
        };
        let OpKind::MatMul { batch: 1, m, k, n } = first.kind else {
            return unsupported(format!(
                "the mesh mapping runs one linear layer (matmul, then optionally bias and ReLU), but the first op \"{}\" is a {}.",
                first.name,
                first.kind.label()
            ));
        };
        if workload.tensor(first.inputs[1]).kind != TensorKind::Weight {
            return unsupported("the matmul's second input must be a weight.".to_owned());
        }
        let (mut bias, mut relu) = (false, false);
        let mut previous = first;
        for op in ops {
            if op.inputs.first() != Some(&previous.output) {
                let read = op
                    .inputs
                    .first()
                    .map_or("nothing", |&id| workload.tensor(id).name.as_str());
                return unsupported(format!(
                    "\"{}\" reads \"{read}\", not the output of \"{}\" before it; the mesh runs one layer whose ops each take the previous op's result.",
                    op.name, previous.name
                ));
            }
            previous = op;
            match op.kind {
                OpKind::Binary {
                    op: Binary::Add, ..
                } if !bias
                    && !relu
                    && workload.tensor(op.inputs[1]).kind == TensorKind::Weight
                    && workload.tensor(op.inputs[1]).elements() == n =>
                {
                    bias = true;
                }
                OpKind::Activation {
                    func: Activation::Relu,
                    ..
                } if !relu => relu = true,
                _ => {
                    return unsupported(format!(
                        "after the matmul only a bias add and a ReLU can follow; \"{}\" is a {}.",
                        op.name,
                        op.kind.label()
                    ));
                }
            }
        }
        let dim = |v: u64, what: &'static str, max: u64| {
            check_size(what, v, max)?;
            u32::try_from(v).map_err(|_| SimError::TooLarge {
                what,
                value: v,
                max,
            })
        };
        let problem = GemvProblem::random(
            dim(k, "input length", MAX_DIM)?,
            dim(n, "output length", MAX_DIM)?,
            dim(m, "batch", MAX_BATCH)?,
            bias,
            relu,
            seed,
        )?;
        Self::new(config, problem)
    }

    /// The problem and its values.
    #[must_use]
    pub fn problem(&self) -> &GemvProblem {
        &self.problem
    }

    /// The mesh.
    #[must_use]
    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    /// Row blocks of `W` (start, length), north to south: the outputs each mesh row sums.
    #[must_use]
    pub fn row_blocks(&self) -> &[(usize, usize)] {
        &self.row_blocks
    }

    /// Column blocks of `W` (start, length), west to east.
    #[must_use]
    pub fn col_blocks(&self) -> &[(usize, usize)] {
        &self.col_blocks
    }

    /// The reference the mesh result must equal exactly.
    #[must_use]
    pub fn reference(&self) -> Vec<f32> {
        self.problem.reference_in_mesh_order(&self.col_blocks)
    }

    /// Bytes of `W` in the biggest block one PE holds (blocks are as even as possible, so
    /// the first is the biggest): the figure to compare with a PE's memory.
    #[must_use]
    pub fn max_block_bytes(&self) -> Bytes {
        let cols = self.col_blocks.iter().map(|b| b.1).max().unwrap_or(0) as u64;
        let rows = self.row_blocks.iter().map(|b| b.1).max().unwrap_or(0) as u64;
        Bytes(4 * cols * rows)
    }

    /// The result check, once every output has left the mesh (`None` before): the mesh's
    /// numbers against the same sums in the same order on the CPU (they must be equal bit for
    /// bit) and against an f64 reference (within [`ResultCheck::tolerance`]).
    #[must_use]
    pub fn check_result(&self) -> Option<ResultCheck> {
        let got = self.result()?;
        let same_order = self.reference();
        let wide = self.problem.reference_f64();
        let max_abs_error = got
            .iter()
            .zip(&wide)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let mismatches = got.iter().zip(&same_order).filter(|(a, b)| a != b).count();
        let tolerance = self.problem.summation_error_bound();
        Some(ResultCheck {
            outputs: got.len(),
            mismatches,
            max_abs_error,
            tolerance,
            ok: mismatches == 0 && max_abs_error <= tolerance,
        })
    }

    /// The outputs, `[batch, d_out]` row-major, once all have left the mesh.
    #[must_use]
    pub fn result(&self) -> Option<Vec<f32>> {
        let d_out = self.problem.d_out as usize;
        let n = self.problem.batch as usize * d_out;
        let out = self.mesh.edge_output();
        if out.len() < n {
            return None;
        }
        let mut y = vec![0.0; n];
        let mut seen = vec![0usize; self.row_blocks.len()];
        for w in out {
            let j = w.y as usize;
            let (r0, rows) = self.row_blocks[j];
            let s = seen[j] / rows;
            let r = seen[j] % rows;
            seen[j] += 1;
            y[s * d_out + r0 + r] = f32::from_bits(w.payload);
        }
        Some(y)
    }

    /// For each sample, the cycle its last output left the mesh (so far).
    #[must_use]
    pub fn sample_done_cycles(&self) -> Vec<Cycle> {
        let mut seen = vec![0usize; self.row_blocks.len()];
        let mut done = vec![Cycle::ZERO; self.problem.batch as usize];
        for w in self.mesh.edge_output() {
            let j = w.y as usize;
            let s = seen[j] / self.row_blocks[j].1;
            seen[j] += 1;
            if let Some(d) = done.get_mut(s) {
                *d = (*d).max(w.cycle);
            }
        }
        done
    }

    /// Cycle the first partial sum reached the east edge.
    #[must_use]
    pub fn first_output_cycle(&self) -> Option<Cycle> {
        self.mesh.edge_output().first().map(|w| w.cycle)
    }

    /// See [`Mesh::snapshot`].
    #[must_use]
    pub fn snapshot(&self) -> MeshSnapshot {
        self.mesh.snapshot()
    }

    /// See [`Mesh::snapshot_into`].
    pub fn snapshot_into(&self, snap: &mut MeshSnapshot) {
        self.mesh.snapshot_into(snap);
    }

    /// See [`Mesh::inspect`].
    ///
    /// # Errors
    /// A PE outside the mesh.
    pub fn inspect(&self, x: u32, y: u32) -> Result<PeInspect, SimError> {
        self.mesh.inspect(x, y)
    }

    fn note_milestones(&mut self) {
        if !self.first_output_traced
            && let Some(c) = self.first_output_cycle()
        {
            self.first_output_traced = true;
            self.mesh_trace_milestone(
                c,
                "first result leaves the mesh at the east edge (pipeline filled)",
            );
        }
        if self.mesh.is_finished() && !self.mesh.finish_traced() {
            let at = self.mesh.now();
            self.mesh_trace_milestone(at, "all results left the mesh (pipeline drained)");
        }
    }

    fn mesh_trace_milestone(&mut self, c: Cycle, text: &str) {
        self.mesh
            .push_trace(c, EventKind::Milestone(text.to_owned()));
    }
}

impl Engine for GemvRun {
    fn now(&self) -> Cycle {
        self.mesh.now()
    }

    fn step(&mut self) -> StepOutcome {
        let o = self.mesh.step();
        self.note_milestones();
        o
    }

    fn run_until(&mut self, deadline: Cycle) -> RunStatus {
        let s = self.mesh.run_until(deadline);
        self.note_milestones();
        s
    }

    fn is_finished(&self) -> bool {
        self.mesh.is_finished()
    }

    fn metrics(&self) -> RunMetrics {
        self.mesh.metrics()
    }

    fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.mesh.drain_trace()
    }
}
