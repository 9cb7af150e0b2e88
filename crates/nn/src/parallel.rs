//! Data-parallel training: N replicas of one model, each computing the gradients of its shard
//! of every batch, then an all-reduce, then the same update everywhere.
//!
//! This is what SambaNova's `--ntasks` does with one PEF per replica (MPI ranks averaging
//! gradients), at the size of a browser: the homework lab runs one [`Replica`] per Web Worker
//! and the page does the all-reduce over transferred buffers. Everything here is plain data, no
//! clock and no threads, so [`DataParallelRun`] drives the same replicas natively for tests.
//!
//! # Why N replicas compute one replica's step
//!
//! A batch's loss is the mean over its samples, so its gradient is the mean of the per-sample
//! gradients. Replica `k` gets a shard of `n_k` samples and returns `g_k`, the mean over its
//! shard; [`all_reduce_mean`] returns `Σ n_k·g_k / Σ n_k`, which is the whole batch's gradient
//! (up to the order of the floating-point sums). Shards may be uneven (a batch of 64 over 3
//! workers is 22 + 21 + 21) or empty (a last batch of 2 over 4 workers); an empty shard has
//! weight 0. Every replica then applies the *same bytes* with the same optimizer, so the
//! replicas stay bit-identical without ever exchanging weights.
//!
//! Dropout would break the equivalence (each shard would draw its own masks), so a data-parallel
//! configuration refuses a dropout probability other than 0.
//!
//! # BERT: the same, with sparse rows
//!
//! [`bert`] does the same for the BERT classifier ([`bert::BertReplica`],
//! [`bert::BertDataParallelRun`]), sharing this module's batch order and shards. Its gradient
//! does not travel as one flat buffer: BERT-tiny's word embedding alone would be 15.6 MB per
//! replica and step, while a batch touches a few hundred of its 30,522 rows. It travels as
//! [`bert::SparseGradients`], the dense parameters flat and each embedding table as its
//! touched rows (sorted ids and their values); [`bert::SparseReduceSum`] weights the parts as
//! [`ReduceSum`] does, over the union of their rows, and its output is the same form, so
//! AdamW's lazy update moves exactly the rows one trainer would. Each shard is padded to its
//! global batch's longest sentence, so the rows touched do not depend on the worker count; and
//! BERT-tiny's dropout (0.1) is refused like the CNN's.
//!
//! # Example
//! ```
//! use nn::data::Dataset;
//! use nn::model::{MlpConfig, ModelConfig};
//! use nn::parallel::{DataParallelConfig, DataParallelRun};
//! use nn::train::TrainConfig;
//!
//! let pixels: Vec<u8> = (0..8 * 4).map(|i| (i * 37 % 256) as u8).collect();
//! let data = Dataset::new(2, 2, 2, pixels, vec![0, 1, 0, 1, 1, 0, 1, 0])?;
//! let config = DataParallelConfig {
//!     train: TrainConfig {
//!         model: ModelConfig::Mlp(MlpConfig { d_in: 4, hidden: vec![8], n_classes: 2 }),
//!         batch_size: 4,
//!         ..TrainConfig::graphcore_example()
//!     },
//!     n_workers: 2,
//!     n_steps: 3,
//! };
//! let mut run = DataParallelRun::new(&config, &data)?;
//! while let Some(step) = run.step()? {
//!     assert_eq!(step.n_samples, 4);
//! }
//! assert!(run.replicas_identical());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::Range;

use crate::data::Dataset;
use crate::layers::Mode;
use crate::model::{ModelConfig, Network, NetworkGrads};
use crate::optim::Optimizer;
use crate::rng::{Rng, rng_from_seed, shuffle};
use crate::train::{Evaluator, TrainConfig, TrainConfigError, count_correct};

/// The most replicas a run may have (a browser's worker count is capped far below this).
pub const MAX_WORKERS: usize = 64;

/// A data-parallel run: the training settings (with `batch_size` the *global* batch, split
/// over the workers), how many workers, and how many steps.
#[derive(Clone, Debug, PartialEq)]
pub struct DataParallelConfig {
    /// Model, optimizer, loss, global batch size, seed, normalisation. `n_epochs` is unused:
    /// the run lasts `n_steps`, going round the data as often as it needs.
    pub train: TrainConfig,
    /// Replicas (workers).
    pub n_workers: usize,
    /// Optimizer steps (each over one global batch).
    pub n_steps: usize,
}

/// Why a data-parallel run cannot start or continue.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DataParallelError {
    /// The training settings are bad.
    #[error(transparent)]
    Train(#[from] TrainConfigError),
    /// Zero workers, or more than [`MAX_WORKERS`].
    #[error("the number of workers must be between 1 and {MAX_WORKERS}, not {0}")]
    Workers(usize),
    /// Zero steps.
    #[error("the number of steps must be at least 1")]
    NoSteps,
    /// A replica index outside `0..n_workers`.
    #[error("replica {worker_idx} does not exist in a run of {n_workers} workers")]
    WorkerIndex {
        /// The index asked for.
        worker_idx: usize,
        /// Workers in the run.
        n_workers: usize,
    },
    /// The model has dropout, which would give each shard its own masks.
    #[error(
        "data-parallel training needs a model without dropout (found {0}): each shard would draw its own masks"
    )]
    Dropout(f32),
    /// A gradient buffer of the wrong length reached the all-reduce or a replica.
    #[error("a gradient buffer holds {found} values where the model has {expected}")]
    GradientLength {
        /// Values received.
        found: usize,
        /// Parameters of the model.
        expected: usize,
    },
    /// The all-reduce got no samples at all.
    #[error("the all-reduce received no samples")]
    NoSamples,
    /// A gradient buffer's byte count is not a whole number of `f32`s.
    #[error("a gradient buffer of {0} bytes is not whole 4-byte numbers")]
    NotWholeFloats(usize),
    /// The BERT run's settings or sentences are bad ([`bert`]).
    #[error(transparent)]
    Bert(#[from] crate::bert::train::BertTrainError),
    /// Gradient bytes (or a [`bert::SparseGradients`]) that do not fit the model ([`bert`]).
    #[error("bad gradients: {0}")]
    Wire(#[from] bert::SparseWireError),
    /// The sparse all-reduce got another number of parts than the run has replicas.
    #[error("the all-reduce received {found} parts where the run has {expected} replicas")]
    PartCount {
        /// Parts received (counting the one refused).
        found: usize,
        /// Replicas in the run.
        expected: usize,
    },
    /// `apply_gradients` without a pending step, or `compute_gradients` twice.
    #[error("replica {worker_idx} got step {found} out of order (it is at step {expected})")]
    OutOfOrder {
        /// The replica.
        worker_idx: usize,
        /// The step it was given.
        found: usize,
        /// The step it is at.
        expected: usize,
    },
}

impl DataParallelConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// Bad training settings, a worker count outside `1..=MAX_WORKERS`, zero steps, or dropout.
    pub fn validate(&self) -> Result<(), DataParallelError> {
        self.train.validate()?;
        if !(1..=MAX_WORKERS).contains(&self.n_workers) {
            return Err(DataParallelError::Workers(self.n_workers));
        }
        if self.n_steps == 0 {
            return Err(DataParallelError::NoSteps);
        }
        if let ModelConfig::Cnn(cnn) = &self.train.model
            && cnn.dropout != 0.0
        {
            return Err(DataParallelError::Dropout(cnn.dropout));
        }
        Ok(())
    }

    /// Batches in one pass over `n_train` samples (the last may be partial).
    pub fn n_batches_per_epoch(&self, n_train: usize) -> usize {
        n_train.div_ceil(self.train.batch_size.max(1))
    }
}

/// The samples of a batch of `n_samples` that worker `worker_idx` of `n_workers` takes: the
/// first `n_samples % n_workers` workers take one more, so shards differ by at most one.
///
/// # Panics
/// If `n_workers` is 0 or `worker_idx >= n_workers` (an internal invariant: configs are checked).
pub fn shard_range(n_samples: usize, n_workers: usize, worker_idx: usize) -> Range<usize> {
    assert!(worker_idx < n_workers, "worker {worker_idx} of {n_workers}");
    let base = n_samples / n_workers;
    let extra = n_samples % n_workers;
    let start = worker_idx * base + worker_idx.min(extra);
    let len = base + usize::from(worker_idx < extra);
    start..start + len
}

/// The all-reduce: the mean of `parts` (each a replica's gradient, the mean over its shard)
/// weighted by each part's sample count, written into `out`: [`ReduceSum`] over the parts in
/// their order. Returns the total sample count.
///
/// # Errors
/// A part whose length is not `out.len()`, or no samples at all.
pub fn all_reduce_mean(
    parts: &[(&[f32], usize)],
    out: &mut [f32],
) -> Result<usize, DataParallelError> {
    let mut sum = ReduceSum::default();
    for &(part, n_samples) in parts {
        sum.add(part, n_samples)?;
    }
    sum.finish(out)
}

/// The all-reduce as a running sum, for gradients that arrive one replica at a time:
/// `Σ n_k·g_k` in `f64`, then divided by `Σ n_k`. A page (or a root replica) adds each part as
/// soon as the parts before it are in, so only the last one's share of the work is left when
/// the slowest replica answers. Every value's sum runs in the order the parts are added, so
/// adding them in replica order makes the result independent of the order they arrived in.
#[derive(Clone, Debug, Default)]
pub struct ReduceSum {
    sums: Vec<f64>,
    n_parts: usize,
    n_samples: usize,
}

impl ReduceSum {
    /// Parts added since the last [`finish`](Self::finish).
    pub fn n_parts(&self) -> usize {
        self.n_parts
    }

    /// Adds replica `k`'s gradient `g_k` (its shard's mean over `n_samples`); an empty shard
    /// (`n_samples` 0) adds nothing but must still have the right length.
    ///
    /// # Errors
    /// A part whose length differs from the first part's.
    pub fn add(&mut self, part: &[f32], n_samples: usize) -> Result<(), DataParallelError> {
        self.add_values(part.len(), part.iter().copied(), n_samples)
    }

    /// [`add`](Self::add) from the part's little-endian bytes (as they cross a worker
    /// boundary), without a copy as `f32`s first.
    ///
    /// # Errors
    /// A byte count that is not a multiple of 4, or a length that differs from the first part's.
    pub fn add_le_bytes(
        &mut self,
        bytes: &[u8],
        n_samples: usize,
    ) -> Result<(), DataParallelError> {
        if !bytes.len().is_multiple_of(4) {
            return Err(DataParallelError::NotWholeFloats(bytes.len()));
        }
        let values = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        self.add_values(bytes.len() / 4, values, n_samples)
    }

    fn add_values(
        &mut self,
        len: usize,
        values: impl Iterator<Item = f32>,
        n_samples: usize,
    ) -> Result<(), DataParallelError> {
        if self.n_parts == 0 {
            self.sums.clear();
            self.sums.resize(len, 0.0);
        } else if len != self.sums.len() {
            return Err(DataParallelError::GradientLength {
                found: len,
                expected: self.sums.len(),
            });
        }
        self.n_parts += 1;
        if n_samples > 0 {
            let weight = n_samples as f64;
            for (sum, g) in self.sums.iter_mut().zip(values) {
                *sum += f64::from(g) * weight;
            }
            self.n_samples += n_samples;
        }
        Ok(())
    }

    /// Writes the mean into `out` and starts over; returns the total sample count.
    ///
    /// # Errors
    /// No samples at all, or an `out` of another length than the parts.
    pub fn finish(&mut self, out: &mut [f32]) -> Result<usize, DataParallelError> {
        let n_samples = self.take_total()?;
        if out.len() != self.sums.len() {
            return Err(DataParallelError::GradientLength {
                found: self.sums.len(),
                expected: out.len(),
            });
        }
        let total = n_samples as f64;
        for (value, &sum) in out.iter_mut().zip(&self.sums) {
            *value = (sum / total) as f32;
        }
        Ok(n_samples)
    }

    /// [`finish`](Self::finish) into little-endian bytes (replacing `out`'s contents).
    ///
    /// # Errors
    /// No samples at all.
    pub fn finish_le_bytes(&mut self, out: &mut Vec<u8>) -> Result<usize, DataParallelError> {
        let n_samples = self.take_total()?;
        let total = n_samples as f64;
        out.clear();
        out.reserve(self.sums.len() * 4);
        for &sum in &self.sums {
            out.extend_from_slice(&((sum / total) as f32).to_le_bytes());
        }
        Ok(n_samples)
    }

    fn take_total(&mut self) -> Result<usize, DataParallelError> {
        let n_samples = self.n_samples;
        self.n_parts = 0;
        self.n_samples = 0;
        if n_samples == 0 {
            return Err(DataParallelError::NoSamples);
        }
        Ok(n_samples)
    }
}

/// What one replica reports for its shard of a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShardResult {
    /// The step (from 0).
    pub step_idx: usize,
    /// Samples in the shard (0 for an empty shard of a short last batch).
    pub n_samples: usize,
    /// Mean loss over the shard (0 for an empty shard).
    pub loss: f32,
    /// Samples classified correctly (before the update).
    pub n_correct: usize,
}

/// A whole step, from its shards.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepSummary {
    /// The step (from 0).
    pub step_idx: usize,
    /// Samples in the global batch.
    pub n_samples: usize,
    /// Mean loss over the global batch (the shards' losses weighted by their sizes).
    pub loss: f32,
    /// Fraction of the batch classified correctly (before the update).
    pub accuracy: f32,
}

impl StepSummary {
    /// Combines the shards of one step.
    pub fn from_shards(shards: &[ShardResult]) -> Self {
        let n_samples: usize = shards.iter().map(|s| s.n_samples).sum();
        let n_correct: usize = shards.iter().map(|s| s.n_correct).sum();
        let loss_sum: f64 = shards
            .iter()
            .map(|s| f64::from(s.loss) * s.n_samples as f64)
            .sum();
        let denominator = n_samples.max(1) as f64;
        Self {
            step_idx: shards.first().map_or(0, |s| s.step_idx),
            n_samples,
            loss: (loss_sum / denominator) as f32,
            accuracy: (n_correct as f64 / denominator) as f32,
        }
    }
}

/// One replica: the whole model, its optimizer, and the batch order every replica shares.
#[derive(Clone, Debug)]
pub struct Replica {
    config: DataParallelConfig,
    schedule: ShardSchedule,
    network: Network,
    grads: NetworkGrads,
    optimizer: Optimizer,
    train: Dataset,
    n_params: usize,
}

impl Replica {
    /// Replica `worker_idx` of a run: weights from the seed (the same in every replica).
    ///
    /// # Errors
    /// Bad settings, an index outside the run, or data that does not fit the model.
    pub fn new(
        config: &DataParallelConfig,
        worker_idx: usize,
        train: Dataset,
    ) -> Result<Self, DataParallelError> {
        config.validate()?;
        if worker_idx >= config.n_workers {
            return Err(DataParallelError::WorkerIndex {
                worker_idx,
                n_workers: config.n_workers,
            });
        }
        if train.is_empty() {
            return Err(TrainConfigError::EmptyDataset.into());
        }
        if train.image_len() != config.train.model.input_width() {
            return Err(TrainConfigError::DataShape {
                data: format!("{} pixels", train.image_len()),
                model: format!("{} pixels", config.train.model.input_width()),
            }
            .into());
        }
        let mut init_rng = rng_from_seed(config.train.seed);
        let mut network =
            Network::new(&config.train.model, &mut init_rng).map_err(TrainConfigError::from)?;
        let n_params = network.n_params();
        let grads = network.zero_grads();
        Ok(Self {
            optimizer: Optimizer::new(config.train.optimizer),
            schedule: ShardSchedule::new(
                config.train.seed,
                train.len(),
                config.train.batch_size,
                config.n_workers,
                worker_idx,
                config.n_steps,
            ),
            config: config.clone(),
            network,
            grads,
            train,
            n_params,
        })
    }

    /// Values in a gradient buffer (the model's parameter count).
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// The next step to compute.
    pub fn step_idx(&self) -> usize {
        self.schedule.step_idx
    }

    /// Whether every step has been applied.
    pub fn is_finished(&self) -> bool {
        self.schedule.is_finished()
    }

    /// The model.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// First half of a step: forward and backward on this replica's shard of the step's global
    /// batch, the shard's mean gradient written into `out` (resized to [`n_params`](Self::n_params)).
    ///
    /// # Errors
    /// If the run is finished or the previous step was not applied.
    pub fn compute_gradients(
        &mut self,
        out: &mut Vec<f32>,
    ) -> Result<ShardResult, DataParallelError> {
        let result = self.compute_shard()?;
        out.clear();
        out.reserve(self.n_params);
        for tensor in self.grads.tensors_mut() {
            out.extend(tensor.iter().copied());
        }
        Ok(result)
    }

    /// [`compute_gradients`](Self::compute_gradients) written as little-endian bytes, as they
    /// cross a worker boundary (no `f32` copy in between).
    ///
    /// # Errors
    /// If the run is finished or the previous step was not applied.
    pub fn compute_gradients_le_bytes(
        &mut self,
        out: &mut Vec<u8>,
    ) -> Result<ShardResult, DataParallelError> {
        let result = self.compute_shard()?;
        out.clear();
        out.reserve(self.n_params * 4);
        for tensor in self.grads.tensors_mut() {
            for v in &tensor {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Ok(result)
    }

    /// Forward and backward on this replica's shard, the gradients left in `self.grads`.
    fn compute_shard(&mut self) -> Result<ShardResult, DataParallelError> {
        let step_idx = self.schedule.step_idx;
        let (batch, shard) = self.schedule.begin_step()?;
        let indices = &batch[shard];
        self.grads.fill_zero();
        let mut result = ShardResult {
            step_idx,
            n_samples: indices.len(),
            loss: 0.0,
            n_correct: 0,
        };
        if !indices.is_empty() {
            let (inputs, labels) = self.train.batch(indices, self.config.train.normalization);
            // No dropout (checked by `validate`), so this generator is never drawn from.
            let mut no_dropout = rng_from_seed(0);
            let (logits, cache) = self
                .network
                .forward(inputs.view(), Mode::Train, &mut no_dropout);
            let loss = self.config.train.loss.evaluate(logits.view(), &labels);
            self.network
                .backward(&cache, loss.dlogits.view(), &mut self.grads);
            result.loss = loss.loss;
            result.n_correct = count_correct(logits.view(), &labels);
        }
        Ok(result)
    }

    /// Second half of a step: the all-reduced gradients (the same bytes every replica gets)
    /// replace this replica's own, and the optimizer steps.
    ///
    /// # Errors
    /// If no step is pending, `step_idx` is not the pending step, or the buffer has the wrong length.
    pub fn apply_gradients(
        &mut self,
        step_idx: usize,
        averaged: &[f32],
    ) -> Result<(), DataParallelError> {
        self.check_apply(step_idx, averaged.len())?;
        let mut rest = averaged;
        for mut tensor in self.grads.tensors_mut() {
            let (head, tail) = rest.split_at(tensor.len());
            tensor
                .iter_mut()
                .zip(head)
                .for_each(|(value, &new)| *value = new);
            rest = tail;
        }
        self.optimizer_step()
    }

    /// [`apply_gradients`](Self::apply_gradients) from the all-reduced gradients' little-endian
    /// bytes, read straight into the gradient tensors.
    ///
    /// # Errors
    /// As [`apply_gradients`](Self::apply_gradients), and a byte count that is not whole `f32`s.
    pub fn apply_gradients_le_bytes(
        &mut self,
        step_idx: usize,
        averaged: &[u8],
    ) -> Result<(), DataParallelError> {
        if !averaged.len().is_multiple_of(4) {
            return Err(DataParallelError::NotWholeFloats(averaged.len()));
        }
        self.check_apply(step_idx, averaged.len() / 4)?;
        let mut rest = averaged;
        for mut tensor in self.grads.tensors_mut() {
            let (head, tail) = rest.split_at(tensor.len() * 4);
            tensor
                .iter_mut()
                .zip(head.chunks_exact(4))
                .for_each(|(value, c)| *value = f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            rest = tail;
        }
        self.optimizer_step()
    }

    /// The checks before an apply: a pending step, this one, and a buffer of the model's size.
    fn check_apply(&self, step_idx: usize, n_values: usize) -> Result<(), DataParallelError> {
        self.schedule.check_apply(step_idx)?;
        if n_values != self.n_params {
            return Err(DataParallelError::GradientLength {
                found: n_values,
                expected: self.n_params,
            });
        }
        Ok(())
    }

    /// The optimizer step with the gradients in place.
    fn optimizer_step(&mut self) -> Result<(), DataParallelError> {
        let params = self.network.params_and_grads(&self.grads);
        self.optimizer.step(params);
        self.schedule.end_step();
        Ok(())
    }

    /// Every parameter, in the model's order (for checking that replicas agree).
    pub fn params_flat(&mut self) -> Vec<f32> {
        let grads = self.network.zero_grads();
        self.network
            .params_and_grads(&grads)
            .iter()
            .flat_map(|p| p.param.iter().copied().collect::<Vec<_>>())
            .collect()
    }

    /// Evaluates the next chunk of `data` into `evaluator` (inference: no dropout); false once
    /// the evaluator is done.
    ///
    /// # Errors
    /// If `data` does not fit the model.
    pub fn evaluate_chunk(
        &self,
        data: &Dataset,
        evaluator: &mut Evaluator,
        chunk_size: usize,
    ) -> Result<bool, DataParallelError> {
        if data.image_len() != self.config.train.model.input_width() {
            return Err(TrainConfigError::DataShape {
                data: format!("{} pixels", data.image_len()),
                model: format!("{} pixels", self.config.train.model.input_width()),
            }
            .into());
        }
        let Some(range) = evaluator.next_chunk(chunk_size) else {
            return Ok(false);
        };
        let chunk: Vec<usize> = range.collect();
        let (inputs, labels) = data.batch(&chunk, self.config.train.normalization);
        let logits = self.network.infer(inputs.view());
        let loss = self.config.train.loss.evaluate(logits.view(), &labels).loss;
        evaluator.record(logits.view(), &labels, loss);
        Ok(!evaluator.is_done())
    }
}

/// Mixed into the seed for the batch order, so the order does not replay the weights' draws.
const ORDER_SEED_MIX: u64 = 0x5eed_0dd5_da7a_0001;

/// What every replica does the same way whatever its model: the batch order all replicas
/// share (shuffled from the seed at each epoch's start), this replica's shard of each global
/// batch, and the step bookkeeping (compute, then apply, in order). [`Replica`] and
/// [`bert::BertReplica`] each hold one.
#[derive(Clone, Debug)]
struct ShardSchedule {
    n_workers: usize,
    worker_idx: usize,
    batch_size: usize,
    n_steps: usize,
    order_rng: Rng,
    order: Vec<usize>,
    step_idx: usize,
    pending: bool,
}

impl ShardSchedule {
    /// The schedule of replica `worker_idx` over `n_train` samples (settings already checked).
    fn new(
        seed: u64,
        n_train: usize,
        batch_size: usize,
        n_workers: usize,
        worker_idx: usize,
        n_steps: usize,
    ) -> Self {
        Self {
            n_workers,
            worker_idx,
            batch_size,
            n_steps,
            order_rng: rng_from_seed(seed ^ ORDER_SEED_MIX),
            order: (0..n_train).collect(),
            step_idx: 0,
            pending: false,
        }
    }

    fn is_finished(&self) -> bool {
        self.step_idx >= self.n_steps
    }

    /// Starts the next step: the global batch's sample indices and this replica's shard of
    /// them (a range into the batch, maybe empty). The step is pending until
    /// [`end_step`](Self::end_step).
    ///
    /// # Errors
    /// If the run is finished or the previous step was not applied.
    fn begin_step(&mut self) -> Result<(&[usize], Range<usize>), DataParallelError> {
        if self.pending || self.is_finished() {
            return Err(DataParallelError::OutOfOrder {
                worker_idx: self.worker_idx,
                found: self.step_idx + usize::from(self.pending),
                expected: self.step_idx,
            });
        }
        let n_train = self.order.len();
        let n_batches = n_train.div_ceil(self.batch_size.max(1));
        let batch_idx = self.step_idx % n_batches;
        if batch_idx == 0 {
            shuffle(&mut self.order, &mut self.order_rng);
        }
        let start = batch_idx * self.batch_size;
        let end = (start + self.batch_size).min(n_train);
        let shard = shard_range(end - start, self.n_workers, self.worker_idx);
        self.pending = true;
        Ok((&self.order[start..end], shard))
    }

    /// Checks that `step_idx` is the pending step.
    ///
    /// # Errors
    /// No step pending, or another one.
    fn check_apply(&self, step_idx: usize) -> Result<(), DataParallelError> {
        if !self.pending || step_idx != self.step_idx {
            return Err(DataParallelError::OutOfOrder {
                worker_idx: self.worker_idx,
                found: step_idx,
                expected: self.step_idx,
            });
        }
        Ok(())
    }

    /// The pending step was applied.
    fn end_step(&mut self) {
        self.pending = false;
        self.step_idx += 1;
    }
}

/// N replicas driven in lock step natively: what the browser does across Web Workers, in one
/// thread (tests, benchmarks, the reference for the lab).
#[derive(Clone, Debug)]
pub struct DataParallelRun {
    replicas: Vec<Replica>,
    buffers: Vec<Vec<f32>>,
    averaged: Vec<f32>,
}

impl DataParallelRun {
    /// N replicas, each with its own copy of `train`.
    ///
    /// # Errors
    /// As [`Replica::new`].
    pub fn new(config: &DataParallelConfig, train: &Dataset) -> Result<Self, DataParallelError> {
        config.validate()?;
        let replicas = (0..config.n_workers)
            .map(|worker_idx| Replica::new(config, worker_idx, train.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let n_params = replicas.first().map_or(0, Replica::n_params);
        Ok(Self {
            buffers: vec![Vec::new(); replicas.len()],
            averaged: vec![0.0; n_params],
            replicas,
        })
    }

    /// The replicas.
    pub fn replicas(&self) -> &[Replica] {
        &self.replicas
    }

    /// One step on every replica (gradients, all-reduce, update), or `None` when finished.
    ///
    /// # Errors
    /// Only on a broken invariant between the replicas (reported, not panicked).
    pub fn step(&mut self) -> Result<Option<StepSummary>, DataParallelError> {
        if self.replicas.iter().any(Replica::is_finished) {
            return Ok(None);
        }
        let mut shards = Vec::with_capacity(self.replicas.len());
        for (replica, buffer) in self.replicas.iter_mut().zip(&mut self.buffers) {
            shards.push(replica.compute_gradients(buffer)?);
        }
        let parts: Vec<(&[f32], usize)> = self
            .buffers
            .iter()
            .zip(&shards)
            .map(|(buffer, shard)| (buffer.as_slice(), shard.n_samples))
            .collect();
        all_reduce_mean(&parts, &mut self.averaged)?;
        let summary = StepSummary::from_shards(&shards);
        for replica in &mut self.replicas {
            replica.apply_gradients(summary.step_idx, &self.averaged)?;
        }
        Ok(Some(summary))
    }

    /// Whether every replica holds exactly the same bits in every parameter.
    pub fn replicas_identical(&mut self) -> bool {
        let mut params = self.replicas.iter_mut().map(|r| r.params_flat());
        let Some(first) = params.next() else {
            return true;
        };
        let first_bits: Vec<u32> = first.iter().map(|v| v.to_bits()).collect();
        params.all(|p| p.iter().map(|v| v.to_bits()).eq(first_bits.iter().copied()))
    }
}

pub mod bert;

#[cfg(test)]
mod tests;
