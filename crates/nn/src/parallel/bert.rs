//! Data-parallel fine-tuning of the BERT classifier: the same scheme as [`super::Replica`]
//! (shards of one global batch, a weighted all-reduce, the same update everywhere), with the
//! gradient in two parts.
//!
//! # How BERT differs from the MNIST models: sparse rows
//!
//! BERT-tiny's word embedding is 30,522 × 128 floats; sent dense, its gradient alone would be
//! 15.6 MB per replica and step, although a batch of 32 sentences touches a few hundred rows.
//! [`crate::layers::EmbeddingGrads`] already keeps only those rows, and [`AdamW`] updates only
//! those rows (lazily, like PyTorch's `SparseAdam`). So the gradient travels as
//! [`SparseGradients`]: the dense parameters as one flat list in the model's parameter order,
//! then each embedding table (word, position, segment: every table the model hands out as
//! [`crate::param::SparseRowsGrad`]) as its touched rows, sorted, with their values. The
//! position and segment tables are small, but they travel as rows too, so every replica's
//! AdamW touches exactly the rows one trainer would (a dense zero row would still move its
//! row through momentum and weight decay).
//!
//! The all-reduce ([`SparseReduceSum`]) merges the parts in replica order: the dense part as
//! [`super::ReduceSum`] does (`Σ n_k·g_k / Σ n_k`, in `f64`), each table over the union of the
//! parts' rows, a row a part lacks counting as zero there. Its output is the same form, and
//! every replica applies the same bytes, so replicas stay bit-identical.
//!
//! Two details keep N workers on one worker's path:
//! - **Every shard is padded to its global batch's longest sentence**, not its own: the
//!   position rows (and the `[PAD]` row) a step touches, and so the rows AdamW moves, are then
//!   the same whatever the worker count. Padding changes no value (padded keys get zero
//!   attention), it only costs the longer shard's compute.
//! - **Dropout is refused** ([`DataParallelError::Dropout`]): BERT-tiny's configuration has 0.1
//!   on hidden states and attention, and each shard would draw its own masks from its own
//!   generator, so N workers would train another model than one worker. A run sets both to 0.
//!
//! AdamW's schedule (warm-up, then linear decay to 0) spans the run's `n_steps`.
//!
//! # Wire form
//!
//! Little-endian throughout (`u32` counts and ids, `f32` values):
//!
//! ```text
//! n_dense: u32, n_tables: u32,
//! dense: n_dense × f32,
//! per table: n_rows: u32, rows: n_rows × u32 (strictly increasing, each below the table's
//!            rows), values: n_rows × width × f32 (row-major)
//! ```
//!
//! The reader checks everything against the model's [`WireLayout`] and answers bad bytes with a
//! [`SparseWireError`]; a NaN value is a value and passes through.
//!
//! # Example
//! ```
//! use nn::bert::BertConfig;
//! use nn::bert::train::{BertTrainConfig, EncodedExample};
//! use nn::parallel::bert::{BertDataParallelConfig, BertDataParallelRun};
//!
//! let model = BertConfig {
//!     vocab_size: 20,
//!     hidden: 8,
//!     n_layers: 1,
//!     n_heads: 2,
//!     intermediate: 16,
//!     max_positions: 8,
//!     hidden_dropout: 0.0,
//!     attention_dropout: 0.0,
//!     ..BertConfig::bert_tiny()
//! };
//! let train: Vec<EncodedExample> = (0..10)
//!     .map(|i| EncodedExample { ids: vec![1, 3 + i % 7, 2], label: (i % 2) as u8 })
//!     .collect();
//! let config = BertDataParallelConfig {
//!     train: BertTrainConfig { model, batch_size: 4, ..BertTrainConfig::bert_tiny(1e-3) },
//!     n_workers: 3,
//!     n_steps: 4,
//! };
//! let mut run = BertDataParallelRun::new(&config, &train)?;
//! while let Some(step) = run.step()? {
//!     assert!(step.loss.is_finite());
//! }
//! assert!(run.replicas_identical());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use ndarray::{ArrayView2, ArrayViewD};

use super::{DataParallelError, MAX_WORKERS, ShardResult, ShardSchedule, StepSummary};
use crate::bert::train::{BertTrainConfig, BertTrainError, EncodedExample, check_examples};
use crate::bert::{BertClassifier, BertGrads, TokenBatch};
use crate::layers::Mode;
use crate::loss::softmax_cross_entropy;
use crate::model::Model;
use crate::optim::{AdamW, AdamWConfig};
use crate::param::{ParamGrad, SparseRowsGrad};
use crate::rng::rng_from_seed;
use crate::train::count_correct;

mod wire;

pub use wire::{SparseGradients, SparseRows, SparseWireError, TableShape, WireLayout};

/// A data-parallel BERT fine-tuning run: the training settings (with `batch_size` the *global*
/// batch, split over the workers), how many workers, and how many steps.
#[derive(Clone, Debug, PartialEq)]
pub struct BertDataParallelConfig {
    /// Model, AdamW, global batch size, seed. `n_epochs` is unused: the run lasts `n_steps`,
    /// going round the sentences as often as it needs, and AdamW's schedule spans `n_steps`.
    /// Both dropout probabilities must be 0.
    pub train: BertTrainConfig,
    /// Replicas (workers).
    pub n_workers: usize,
    /// Optimizer steps (each over one global batch).
    pub n_steps: usize,
}

impl BertDataParallelConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// A bad model or optimizer, a zero batch size, a worker count outside
    /// `1..=MAX_WORKERS`, zero steps, or dropout (hidden or attention) other than 0.
    pub fn validate(&self) -> Result<(), DataParallelError> {
        let model = &self.train.model;
        model.validate().map_err(BertTrainError::from)?;
        if self.train.batch_size == 0 {
            return Err(BertTrainError::Zero("the batch size").into());
        }
        if !(1..=MAX_WORKERS).contains(&self.n_workers) {
            return Err(DataParallelError::Workers(self.n_workers));
        }
        if self.n_steps == 0 {
            return Err(DataParallelError::NoSteps);
        }
        for p in [model.hidden_dropout, model.attention_dropout] {
            if p != 0.0 {
                return Err(DataParallelError::Dropout(p));
            }
        }
        self.adamw().validate().map_err(BertTrainError::from)?;
        Ok(())
    }

    /// AdamW with the run's learning rate, weight decay and warm-up fraction, over `n_steps`.
    pub fn adamw(&self) -> AdamWConfig {
        let total_steps = self.n_steps as u64;
        AdamWConfig {
            weight_decay: self.train.weight_decay,
            warmup_steps: (total_steps as f64 * f64::from(self.train.warmup_fraction)) as u64,
            ..AdamWConfig::bert(self.train.lr, total_steps)
        }
    }
}

/// Marks a table row the running sum has not seen.
const UNSEEN: u32 = u32::MAX;

/// The sparse all-reduce as a running sum, for gradients that arrive one replica at a time:
/// the dense part as [`super::ReduceSum`] (`Σ n_k·g_k` in `f64`, then divided by `Σ n_k`),
/// each table over the union of the parts' rows, a row a part lacks counting as zero there.
/// Every value's sum runs in the order the parts are added (replica order gives a result
/// independent of arrival order). A part with no samples adds nothing, not even its rows, but
/// must still be well formed and still counts as a part.
#[derive(Clone, Debug)]
pub struct SparseReduceSum {
    layout: WireLayout,
    n_parts_expected: usize,
    dense: Vec<f64>,
    tables: Vec<TableSum>,
    n_parts: usize,
    n_samples: usize,
    scratch: SparseGradients,
}

/// One table's running sums: the rows seen so far (in the order first seen) and their sums.
#[derive(Clone, Debug)]
struct TableSum {
    /// Per table row, its slot in `rows`, or [`UNSEEN`].
    slot_of_row: Vec<u32>,
    rows: Vec<u32>,
    /// `rows.len() × width` sums, row-major by slot.
    sums: Vec<f64>,
    width: usize,
}

impl SparseReduceSum {
    /// A running sum for `n_parts` replicas' gradients of the model `layout` describes.
    pub fn new(layout: WireLayout, n_parts: usize) -> Self {
        let tables = layout
            .tables
            .iter()
            .map(|shape| TableSum {
                slot_of_row: vec![UNSEEN; shape.n_rows],
                rows: Vec::new(),
                sums: Vec::new(),
                width: shape.width,
            })
            .collect();
        Self {
            dense: vec![0.0; layout.n_dense],
            tables,
            layout,
            n_parts_expected: n_parts,
            n_parts: 0,
            n_samples: 0,
            scratch: SparseGradients::default(),
        }
    }

    /// The layout the parts must have.
    pub fn layout(&self) -> &WireLayout {
        &self.layout
    }

    /// Parts added since the last [`finish`](Self::finish).
    pub fn n_parts(&self) -> usize {
        self.n_parts
    }

    /// Adds replica `k`'s gradient `g_k` (its shard's mean over `n_samples`).
    ///
    /// # Errors
    /// A part that does not fit the layout ([`DataParallelError::Wire`]), or one part more than
    /// the run has replicas ([`DataParallelError::PartCount`]); neither is added.
    pub fn add(
        &mut self,
        part: &SparseGradients,
        n_samples: usize,
    ) -> Result<(), DataParallelError> {
        part.check(&self.layout)?;
        self.add_checked(part, n_samples)
    }

    /// [`add`](Self::add) from the part's wire form, as it crosses a worker boundary.
    ///
    /// # Errors
    /// As [`add`](Self::add), bad bytes as a [`SparseWireError`].
    pub fn add_le_bytes(
        &mut self,
        bytes: &[u8],
        n_samples: usize,
    ) -> Result<(), DataParallelError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = scratch
            .read_le_bytes(bytes, &self.layout)
            .map_err(DataParallelError::from)
            .and_then(|()| self.add_checked(&scratch, n_samples));
        self.scratch = scratch;
        result
    }

    fn add_checked(
        &mut self,
        part: &SparseGradients,
        n_samples: usize,
    ) -> Result<(), DataParallelError> {
        if self.n_parts == self.n_parts_expected {
            return Err(DataParallelError::PartCount {
                found: self.n_parts + 1,
                expected: self.n_parts_expected,
            });
        }
        self.n_parts += 1;
        if n_samples == 0 {
            return Ok(());
        }
        self.n_samples += n_samples;
        let weight = n_samples as f64;
        for (sum, &g) in self.dense.iter_mut().zip(&part.dense) {
            *sum += f64::from(g) * weight;
        }
        for (table, rows) in self.tables.iter_mut().zip(&part.tables) {
            let width = table.width;
            for (&row, values) in rows.rows.iter().zip(rows.values.chunks_exact(width.max(1))) {
                let slot = match table.slot_of_row[row as usize] {
                    UNSEEN => {
                        let slot = table.rows.len();
                        table.slot_of_row[row as usize] = slot as u32;
                        table.rows.push(row);
                        table.sums.resize(table.sums.len() + width, 0.0);
                        slot
                    }
                    slot => slot as usize,
                };
                for (sum, &g) in table.sums[slot * width..(slot + 1) * width]
                    .iter_mut()
                    .zip(values)
                {
                    *sum += f64::from(g) * weight;
                }
            }
        }
        Ok(())
    }

    /// Writes the mean into `out` (rows sorted) and starts over; returns the total sample count.
    ///
    /// # Errors
    /// Another number of parts than the run has replicas, or no samples at all (it starts over
    /// either way).
    pub fn finish(&mut self, out: &mut SparseGradients) -> Result<usize, DataParallelError> {
        let result = self.write_mean(out);
        self.start_over();
        result
    }

    /// [`finish`](Self::finish) into the wire form (replacing `out`'s contents).
    ///
    /// # Errors
    /// As [`finish`](Self::finish).
    pub fn finish_le_bytes(&mut self, out: &mut Vec<u8>) -> Result<usize, DataParallelError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = self.finish(&mut scratch);
        if result.is_ok() {
            scratch.write_le_bytes(out);
        }
        self.scratch = scratch;
        result
    }

    fn write_mean(&self, out: &mut SparseGradients) -> Result<usize, DataParallelError> {
        if self.n_parts != self.n_parts_expected {
            return Err(DataParallelError::PartCount {
                found: self.n_parts,
                expected: self.n_parts_expected,
            });
        }
        if self.n_samples == 0 {
            return Err(DataParallelError::NoSamples);
        }
        let total = self.n_samples as f64;
        out.dense.clear();
        out.dense
            .extend(self.dense.iter().map(|&sum| (sum / total) as f32));
        out.tables
            .resize_with(self.tables.len(), SparseRows::default);
        for (table, rows) in self.tables.iter().zip(&mut out.tables) {
            let mut slots: Vec<usize> = (0..table.rows.len()).collect();
            slots.sort_unstable_by_key(|&slot| table.rows[slot]);
            rows.rows.clear();
            rows.values.clear();
            for slot in slots {
                rows.rows.push(table.rows[slot]);
                rows.values.extend(
                    table.sums[slot * table.width..(slot + 1) * table.width]
                        .iter()
                        .map(|&sum| (sum / total) as f32),
                );
            }
        }
        Ok(self.n_samples)
    }

    fn start_over(&mut self) {
        self.dense.fill(0.0);
        for table in &mut self.tables {
            for &row in &table.rows {
                table.slot_of_row[row as usize] = UNSEEN;
            }
            table.rows.clear();
            table.sums.clear();
        }
        self.n_parts = 0;
        self.n_samples = 0;
    }
}

/// The sparse all-reduce in one call: [`SparseReduceSum`] over `parts` (each a replica's
/// gradients with its shard's sample count) in their order, written into `out`. Returns the
/// total sample count.
///
/// # Errors
/// A part that does not fit `layout`, or no samples at all.
pub fn all_reduce_sparse(
    layout: &WireLayout,
    parts: &[(&SparseGradients, usize)],
    out: &mut SparseGradients,
) -> Result<usize, DataParallelError> {
    let mut sum = SparseReduceSum::new(layout.clone(), parts.len());
    for &(part, n_samples) in parts {
        sum.add(part, n_samples)?;
    }
    sum.finish(out)
}

/// One BERT replica: the whole classifier, its AdamW, and the batch order every replica shares.
#[derive(Clone, Debug)]
pub struct BertReplica {
    schedule: ShardSchedule,
    model: BertClassifier,
    grads: BertGrads,
    optimizer: AdamW,
    train: Vec<EncodedExample>,
    layout: WireLayout,
    /// The last gradients read or written as bytes (kept for its buffers).
    wire: SparseGradients,
}

impl BertReplica {
    /// Replica `worker_idx` of a run: weights from the seed (the same in every replica, and
    /// the same as a [`crate::bert::train::BertTrainer`] with that seed starts from).
    ///
    /// # Errors
    /// Bad settings, an index outside the run, no sentences, or a sentence that does not fit
    /// the model.
    pub fn new(
        config: &BertDataParallelConfig,
        worker_idx: usize,
        train: Vec<EncodedExample>,
    ) -> Result<Self, DataParallelError> {
        config.validate()?;
        if worker_idx >= config.n_workers {
            return Err(DataParallelError::WorkerIndex {
                worker_idx,
                n_workers: config.n_workers,
            });
        }
        if train.is_empty() {
            return Err(BertTrainError::EmptyDataset.into());
        }
        check_examples(&config.train.model, &train)?;
        let mut model =
            BertClassifier::new(&config.train.model, &mut rng_from_seed(config.train.seed))
                .map_err(BertTrainError::from)?;
        let layout = WireLayout::of_model(&mut model);
        Ok(Self {
            schedule: ShardSchedule::new(
                config.train.seed,
                train.len(),
                config.train.batch_size,
                config.n_workers,
                worker_idx,
                config.n_steps,
            ),
            grads: model.zero_grads(),
            model,
            optimizer: AdamW::new(config.adamw()),
            train,
            layout,
            wire: SparseGradients::default(),
        })
    }

    /// What this model's gradients look like on the wire.
    pub fn layout(&self) -> &WireLayout {
        &self.layout
    }

    /// The next step to compute.
    pub fn step_idx(&self) -> usize {
        self.schedule.step_idx
    }

    /// Whether every step has been applied.
    pub fn is_finished(&self) -> bool {
        self.schedule.is_finished()
    }

    /// The model (evaluate it with [`crate::bert::train::evaluate`]).
    pub fn model(&self) -> &BertClassifier {
        &self.model
    }

    /// First half of a step: forward and backward on this replica's shard of the step's global
    /// batch (padded to the whole batch's longest sentence), the shard's mean-loss gradients
    /// written into `out` (rows sorted). An empty shard gives zeros and no rows.
    ///
    /// # Errors
    /// If the run is finished or the previous step was not applied.
    pub fn compute_gradients(
        &mut self,
        out: &mut SparseGradients,
    ) -> Result<ShardResult, DataParallelError> {
        let result = self.compute_shard()?;
        let (dense, sparse) = self.model.all_params_and_grads(&self.grads);
        out.dense.clear();
        out.dense.reserve(self.layout.n_dense);
        for p in &dense {
            out.dense.extend(p.grad.iter().copied());
        }
        out.tables.resize_with(sparse.len(), SparseRows::default);
        for (rows, table) in out.tables.iter_mut().zip(&sparse) {
            let mut slots: Vec<usize> = (0..table.rows.len()).collect();
            slots.sort_unstable_by_key(|&slot| table.rows[slot]);
            rows.rows.clear();
            rows.values.clear();
            for slot in slots {
                // Below the table's rows, which `WireLayout::of_model` checked fit a u32.
                rows.rows.push(table.rows[slot] as u32);
                rows.values.extend(table.grad.row(slot).iter().copied());
            }
        }
        Ok(result)
    }

    /// [`compute_gradients`](Self::compute_gradients) in the wire form (replacing `out`'s
    /// contents), as it crosses a worker boundary.
    ///
    /// # Errors
    /// If the run is finished or the previous step was not applied.
    pub fn compute_gradients_le_bytes(
        &mut self,
        out: &mut Vec<u8>,
    ) -> Result<ShardResult, DataParallelError> {
        let mut wire = std::mem::take(&mut self.wire);
        let result = self.compute_gradients(&mut wire);
        if result.is_ok() {
            wire.write_le_bytes(out);
        }
        self.wire = wire;
        result
    }

    /// Forward and backward on this replica's shard, the gradients left in `self.grads`.
    fn compute_shard(&mut self) -> Result<ShardResult, DataParallelError> {
        let step_idx = self.schedule.step_idx;
        let (batch, shard) = self.schedule.begin_step()?;
        self.grads.fill_zero();
        let mut result = ShardResult {
            step_idx,
            n_samples: shard.len(),
            loss: 0.0,
            n_correct: 0,
        };
        if !shard.is_empty() {
            let batch_len = batch
                .iter()
                .map(|&i| self.train[i].ids.len())
                .max()
                .unwrap_or(1);
            let indices = &batch[shard];
            let sequences: Vec<&[u32]> = indices
                .iter()
                .map(|&i| self.train[i].ids.as_slice())
                .collect();
            let labels: Vec<u8> = indices.iter().map(|&i| self.train[i].label).collect();
            let tokens = TokenBatch::from_sequences_padded(&sequences, batch_len);
            // No dropout (checked by `validate`), so this generator is never drawn from.
            let mut no_dropout = rng_from_seed(0);
            let (logits, cache) = self
                .model
                .forward_batch(&tokens, Mode::Train, &mut no_dropout);
            let loss = softmax_cross_entropy(logits.view(), &labels);
            self.model
                .backward_batch(&cache, loss.dlogits.view(), &mut self.grads);
            result.loss = loss.loss;
            result.n_correct = count_correct(logits.view(), &labels);
        }
        Ok(result)
    }

    /// Second half of a step: AdamW from the all-reduced gradients (the same every replica
    /// gets), the dense part on every dense parameter, each table's rows on those rows only.
    ///
    /// # Errors
    /// If no step is pending or `step_idx` is not the pending step, or gradients that do not
    /// fit the model.
    pub fn apply_gradients(
        &mut self,
        step_idx: usize,
        averaged: &SparseGradients,
    ) -> Result<(), DataParallelError> {
        self.schedule.check_apply(step_idx)?;
        averaged.check(&self.layout)?;
        self.optimizer_step(averaged);
        Ok(())
    }

    /// [`apply_gradients`](Self::apply_gradients) from the wire form.
    ///
    /// # Errors
    /// As [`apply_gradients`](Self::apply_gradients), bad bytes as a [`SparseWireError`].
    pub fn apply_gradients_le_bytes(
        &mut self,
        step_idx: usize,
        averaged: &[u8],
    ) -> Result<(), DataParallelError> {
        self.schedule.check_apply(step_idx)?;
        let mut wire = std::mem::take(&mut self.wire);
        let read = wire.read_le_bytes(averaged, &self.layout);
        if read.is_ok() {
            self.optimizer_step(&wire);
        }
        self.wire = wire;
        Ok(read?)
    }

    /// The AdamW step with `averaged` (already checked against the layout) as the gradients.
    fn optimizer_step(&mut self, averaged: &SparseGradients) {
        let table_rows: Vec<Vec<usize>> = averaged
            .tables
            .iter()
            .map(|t| t.rows.iter().map(|&r| r as usize).collect())
            .collect();
        // The model's parameter views; the gradients they come with are replaced.
        let (dense, sparse) = self.model.all_params_and_grads(&self.grads);
        let mut rest = averaged.dense.as_slice();
        let dense = dense
            .into_iter()
            .map(|p| {
                let (head, tail) = rest.split_at(p.param.len());
                rest = tail;
                let grad = ArrayViewD::from_shape(p.param.raw_dim(), head)
                    .unwrap_or_else(|_| unreachable!("the layout's length is the params'"));
                ParamGrad::new(p.param, grad)
            })
            .collect();
        let sparse = sparse
            .into_iter()
            .zip(&averaged.tables)
            .zip(&table_rows)
            .map(|((p, table), rows)| {
                let width = p.param.ncols();
                let grad = ArrayView2::from_shape((rows.len(), width), &table.values)
                    .unwrap_or_else(|_| unreachable!("checked: rows × width values"));
                SparseRowsGrad {
                    param: p.param,
                    rows,
                    grad,
                }
            })
            .collect();
        self.optimizer.step(dense, sparse);
        self.schedule.end_step();
    }

    /// Every parameter, dense ones then whole tables, in the model's order (for checking that
    /// replicas agree).
    pub fn params_flat(&mut self) -> Vec<f32> {
        params_flat(&mut self.model, &self.grads)
    }
}

/// Every parameter of `model`, dense ones then whole tables, in its order.
fn params_flat(model: &mut BertClassifier, grads: &BertGrads) -> Vec<f32> {
    let (dense, sparse) = model.all_params_and_grads(grads);
    dense
        .iter()
        .flat_map(|p| p.param.iter().copied().collect::<Vec<_>>())
        .chain(
            sparse
                .iter()
                .flat_map(|p| p.param.iter().copied().collect::<Vec<_>>()),
        )
        .collect()
}

/// N BERT replicas driven in lock step natively, through the wire form: what a page would do
/// across Web Workers, in one thread (tests, benchmarks).
#[derive(Clone, Debug)]
pub struct BertDataParallelRun {
    replicas: Vec<BertReplica>,
    buffers: Vec<Vec<u8>>,
    reduce: SparseReduceSum,
    averaged: Vec<u8>,
}

impl BertDataParallelRun {
    /// N replicas, each with its own copy of `train`.
    ///
    /// # Errors
    /// As [`BertReplica::new`].
    pub fn new(
        config: &BertDataParallelConfig,
        train: &[EncodedExample],
    ) -> Result<Self, DataParallelError> {
        config.validate()?;
        let replicas = (0..config.n_workers)
            .map(|worker_idx| BertReplica::new(config, worker_idx, train.to_vec()))
            .collect::<Result<Vec<_>, _>>()?;
        let layout = replicas
            .first()
            .map(|r| r.layout().clone())
            .unwrap_or(WireLayout {
                n_dense: 0,
                tables: Vec::new(),
            });
        Ok(Self {
            buffers: vec![Vec::new(); replicas.len()],
            reduce: SparseReduceSum::new(layout, replicas.len()),
            averaged: Vec::new(),
            replicas,
        })
    }

    /// The replicas.
    pub fn replicas(&self) -> &[BertReplica] {
        &self.replicas
    }

    /// The last step's all-reduced gradients in the wire form (empty before the first step).
    pub fn averaged_le_bytes(&self) -> &[u8] {
        &self.averaged
    }

    /// One step on every replica (gradients as bytes, sparse all-reduce in replica order,
    /// the same bytes applied everywhere), or `None` when finished.
    ///
    /// # Errors
    /// Only on a broken invariant between the replicas (reported, not panicked).
    pub fn step(&mut self) -> Result<Option<StepSummary>, DataParallelError> {
        if self.replicas.iter().any(BertReplica::is_finished) {
            return Ok(None);
        }
        let mut shards = Vec::with_capacity(self.replicas.len());
        for (replica, buffer) in self.replicas.iter_mut().zip(&mut self.buffers) {
            let shard = replica.compute_gradients_le_bytes(buffer)?;
            self.reduce.add_le_bytes(buffer, shard.n_samples)?;
            shards.push(shard);
        }
        self.reduce.finish_le_bytes(&mut self.averaged)?;
        let summary = StepSummary::from_shards(&shards);
        for replica in &mut self.replicas {
            replica.apply_gradients_le_bytes(summary.step_idx, &self.averaged)?;
        }
        Ok(Some(summary))
    }

    /// Whether every replica holds exactly the same bits in every parameter.
    pub fn replicas_identical(&mut self) -> bool {
        let mut params = self.replicas.iter_mut().map(BertReplica::params_flat);
        let Some(first) = params.next() else {
            return true;
        };
        let first_bits: Vec<u32> = first.iter().map(|v| v.to_bits()).collect();
        params.all(|p| p.iter().map(|v| v.to_bits()).eq(first_bits.iter().copied()))
    }
}

#[cfg(test)]
mod tests;
