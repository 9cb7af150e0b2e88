//! Fine-tuning BERT as a sentence classifier, step by step: plain data, no threads, no clock.
//! The same split as [`crate::train::Trainer`]: [`BertTrainer::compute_gradients`] then
//! [`BertTrainer::apply_gradients`] (a data-parallel caller all-reduces
//! [`BertTrainer::gradients_mut`] in between), the same epoch bookkeeping (the crate's
//! `EpochLedger`: shuffled order, counters, epoch summaries, divergence stops), and
//! evaluation through the shared [`Evaluator`].

use ndarray::Axis;

use super::{BertClassifier, BertConfig, BertConfigError, BertGrads, TokenBatch};
use crate::layers::Mode;
use crate::loss::{softmax, softmax_cross_entropy};
use crate::model::Model;
use crate::optim::{AdamW, AdamWConfig, OptimizerConfigError};
use crate::rng::{Rng, rng_from_seed};
use crate::train::{
    BatchOutcome, EpochLedger, EpochSummary, Evaluation, Evaluator, GradientOutcome, PendingBatch,
    TrainStatus, count_correct,
};

/// A tokenized sentence and its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedExample {
    /// `[CLS] … [SEP]` ids, already truncated to the run's length (no padding).
    pub ids: Vec<u32>,
    /// Class index.
    pub label: u8,
}

/// Everything that defines a fine-tuning run.
#[derive(Clone, Debug, PartialEq)]
pub struct BertTrainConfig {
    /// Model sizes.
    pub model: BertConfig,
    /// Peak learning rate of AdamW.
    pub lr: f32,
    /// Decoupled weight decay (matrices only).
    pub weight_decay: f32,
    /// Fraction of all steps spent warming up (0.1).
    pub warmup_fraction: f32,
    /// Sequences per step.
    pub batch_size: usize,
    /// Passes over the training set.
    pub n_epochs: usize,
    /// Seeds the initial weights, batch order and dropout.
    pub seed: u64,
    /// A batch loss above this (or not finite) stops the run as diverged.
    pub divergence_threshold: f32,
}

impl BertTrainConfig {
    /// BERT-tiny, AdamW at `lr` with 10% warm-up and λ 0.01, batch 32, 2 epochs, seed 1.
    pub fn bert_tiny(lr: f32) -> Self {
        Self {
            model: BertConfig::bert_tiny(),
            lr,
            weight_decay: 0.01,
            warmup_fraction: 0.1,
            batch_size: 32,
            n_epochs: 2,
            seed: 1,
            divergence_threshold: crate::train::DEFAULT_DIVERGENCE_THRESHOLD,
        }
    }
}

/// Why a BERT run could not start.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BertTrainError {
    /// See [`BertConfigError`].
    #[error("model: {0}")]
    Model(#[from] BertConfigError),
    /// See [`OptimizerConfigError`].
    #[error("optimizer: {0}")]
    Optimizer(#[from] OptimizerConfigError),
    /// A count is zero.
    #[error("{0} must be positive")]
    Zero(&'static str),
    /// No sentences.
    #[error("the training set is empty")]
    EmptyDataset,
    /// A sentence does not fit the model.
    #[error("sentence {item_idx}: {problem}")]
    Example {
        /// Which sentence (from 0).
        item_idx: usize,
        /// What is wrong.
        problem: String,
    },
}

/// A fine-tuning run's whole state.
#[derive(Clone, Debug)]
pub struct BertTrainer {
    config: BertTrainConfig,
    model: BertClassifier,
    grads: BertGrads,
    optimizer: AdamW,
    rng: Rng,
    train: Vec<EncodedExample>,
    ledger: EpochLedger,
}

/// Sentences per forward pass when evaluating.
pub const EVAL_CHUNK: usize = 64;

/// Checks every example against the model: non-empty, ids in the vocabulary, fits the positions,
/// label below the classes.
///
/// # Errors
/// The first example that does not fit.
pub fn check_examples(
    config: &BertConfig,
    examples: &[EncodedExample],
) -> Result<(), BertTrainError> {
    for (item_idx, e) in examples.iter().enumerate() {
        let problem = if e.ids.is_empty() {
            Some("no tokens".to_string())
        } else if e.ids.len() > config.max_positions {
            Some(format!(
                "{} tokens, more than {} positions",
                e.ids.len(),
                config.max_positions
            ))
        } else if let Some(id) = e.ids.iter().find(|&&id| id as usize >= config.vocab_size) {
            Some(format!("token id {id} outside the vocabulary"))
        } else if usize::from(e.label) >= config.n_classes {
            Some(format!(
                "label {} but {} classes",
                e.label, config.n_classes
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(BertTrainError::Example { item_idx, problem });
        }
    }
    Ok(())
}

/// A padded batch and its labels from some examples.
pub fn batch_of(examples: &[EncodedExample], indices: &[usize]) -> (TokenBatch, Vec<u8>) {
    let sequences: Vec<&[u32]> = indices
        .iter()
        .map(|&i| examples[i].ids.as_slice())
        .collect();
    let labels = indices.iter().map(|&i| examples[i].label).collect();
    (TokenBatch::from_sequences(&sequences), labels)
}

impl BertTrainer {
    /// A fresh run.
    ///
    /// # Errors
    /// A bad configuration, an empty training set or an example that does not fit.
    pub fn new(
        config: BertTrainConfig,
        train: Vec<EncodedExample>,
    ) -> Result<Self, BertTrainError> {
        if config.batch_size == 0 {
            return Err(BertTrainError::Zero("the batch size"));
        }
        if config.n_epochs == 0 {
            return Err(BertTrainError::Zero("the number of epochs"));
        }
        if train.is_empty() {
            return Err(BertTrainError::EmptyDataset);
        }
        check_examples(&config.model, &train)?;
        let total_steps = train
            .len()
            .div_ceil(config.batch_size)
            .saturating_mul(config.n_epochs) as u64;
        let adamw = AdamWConfig {
            weight_decay: config.weight_decay,
            warmup_steps: (total_steps as f64 * f64::from(config.warmup_fraction)) as u64,
            ..AdamWConfig::bert(config.lr, total_steps)
        };
        adamw.validate()?;
        let mut rng = rng_from_seed(config.seed);
        let model = BertClassifier::new(&config.model, &mut rng)?;
        let grads = model.zero_grads();
        let ledger = EpochLedger::new(train.len(), config.batch_size, config.n_epochs);
        Ok(Self {
            config,
            model,
            grads,
            optimizer: AdamW::new(adamw),
            rng,
            train,
            ledger,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BertTrainConfig {
        &self.config
    }

    /// The model.
    pub fn model(&self) -> &BertClassifier {
        &self.model
    }

    /// Replaces the weights (e.g. loaded from safetensors) keeping the run's state.
    pub fn set_model(&mut self, model: BertClassifier) {
        self.grads = model.zero_grads();
        self.model = model;
    }

    /// The status.
    pub fn status(&self) -> TrainStatus {
        self.ledger.status()
    }

    /// Completed epochs.
    pub fn history(&self) -> &[EpochSummary] {
        self.ledger.history()
    }

    /// Batches per epoch.
    pub fn n_batches_per_epoch(&self) -> usize {
        self.ledger.n_batches_per_epoch()
    }

    /// The learning rate of the next update.
    pub fn current_lr(&self) -> f32 {
        self.optimizer.current_lr()
    }

    /// One step: [`compute_gradients`](Self::compute_gradients) then
    /// [`apply_gradients`](Self::apply_gradients).
    pub fn train_batch(&mut self) -> BatchOutcome {
        match self.compute_gradients() {
            GradientOutcome::Computed(_) => self.apply_gradients(),
            GradientOutcome::Stopped(status) => BatchOutcome::Stopped(status),
            GradientOutcome::Diverged(divergence) => BatchOutcome::Diverged(divergence),
        }
    }

    /// Forward and backward on the next batch; the gradients wait in
    /// [`gradients_mut`](Self::gradients_mut) until [`apply_gradients`](Self::apply_gradients).
    pub fn compute_gradients(&mut self) -> GradientOutcome {
        let (batch, labels) = match self.ledger.next_batch(&mut self.rng) {
            Ok(indices) => batch_of(&self.train, indices),
            Err(status) => return GradientOutcome::Stopped(status),
        };
        let (logits, cache) = self.model.forward_batch(&batch, Mode::Train, &mut self.rng);
        let out = softmax_cross_entropy(logits.view(), &labels);
        if let Some(divergence) = self
            .ledger
            .check_divergence(out.loss, self.config.divergence_threshold)
        {
            return GradientOutcome::Diverged(divergence);
        }
        self.grads.fill_zero();
        self.model
            .backward_batch(&cache, out.dlogits.view(), &mut self.grads);
        let pending = PendingBatch {
            n_samples: labels.len(),
            n_correct: count_correct(logits.view(), &labels),
            loss: out.loss,
        };
        self.ledger.hold(pending);
        GradientOutcome::Computed(pending)
    }

    /// The pending batch's gradients.
    pub fn gradients_mut(&mut self) -> &mut BertGrads {
        &mut self.grads
    }

    /// The AdamW update from the current gradients.
    pub fn apply_gradients(&mut self) -> BatchOutcome {
        let Some(pending) = self.ledger.take_pending() else {
            return BatchOutcome::Stopped(self.ledger.status());
        };
        let (dense, sparse) = self.model.all_params_and_grads(&self.grads);
        let grad_norm = crate::param::grad_norm(&dense, &sparse);
        self.optimizer.step(dense, sparse);
        BatchOutcome::Trained(self.ledger.record(pending, grad_norm))
    }

    /// Accuracy and loss on `data`, in chunks of [`EVAL_CHUNK`] (a worker can drive an
    /// [`Evaluator`] with [`evaluate_chunk`] itself to spread this over time slices).
    ///
    /// # Errors
    /// An example that does not fit the model.
    pub fn evaluate(&self, data: &[EncodedExample]) -> Result<Evaluation, BertTrainError> {
        evaluate(&self.model, data)
    }
}

/// Accuracy and loss of `model` on `data`.
///
/// # Errors
/// An example that does not fit the model.
pub fn evaluate(
    model: &BertClassifier,
    data: &[EncodedExample],
) -> Result<Evaluation, BertTrainError> {
    check_examples(model.config(), data)?;
    let mut evaluator = Evaluator::new(data.len(), model.config().n_classes);
    while !evaluator.is_done() {
        evaluate_chunk(model, data, &mut evaluator, EVAL_CHUNK);
    }
    Ok(evaluator.finish())
}

/// Evaluates the next `chunk` sentences of `data` into `evaluator` (resumable between calls).
/// Sentences are sorted by nothing: each chunk is padded to its longest sentence.
pub fn evaluate_chunk(
    model: &BertClassifier,
    data: &[EncodedExample],
    evaluator: &mut Evaluator,
    chunk: usize,
) {
    if let Some(range) = evaluator.next_chunk(chunk) {
        let indices: Vec<usize> = range.collect();
        let (batch, labels) = batch_of(data, &indices);
        let logits = model.infer(&batch);
        let loss = softmax_cross_entropy(logits.view(), &labels).loss;
        evaluator.record(logits.view(), &labels, loss);
    }
}

/// `[CLS] ids [SEP]` of each sentence's token ids (as [`WordPiece::token_ids`] gives them),
/// truncated to `max_len` ids in all, with its label.
///
/// [`WordPiece::token_ids`]: crate::tokenizer::WordPiece::token_ids
pub fn frame_examples<'a>(
    sentences: impl IntoIterator<Item = (&'a [u32], u8)>,
    cls_id: u32,
    sep_id: u32,
    max_len: usize,
) -> Vec<EncodedExample> {
    sentences
        .into_iter()
        .map(|(ids, label)| {
            let keep = ids.len().min(max_len.saturating_sub(2));
            let mut framed = Vec::with_capacity(keep + 2);
            framed.push(cls_id);
            framed.extend_from_slice(&ids[..keep]);
            framed.push(sep_id);
            EncodedExample { ids: framed, label }
        })
        .collect()
}

/// The tokens of an example without its `[CLS]` and `[SEP]`, with its label: what the Naive
/// Bayes baseline counts.
pub fn unigrams(example: &EncodedExample) -> (&[u32], u8) {
    let end = example.ids.len().saturating_sub(1).max(1);
    (example.ids.get(1..end).unwrap_or(&[]), example.label)
}

/// Class probabilities for one encoded sentence.
pub fn predict(model: &BertClassifier, ids: &[u32]) -> Vec<f32> {
    let batch = TokenBatch::from_sequences(&[ids]);
    softmax(model.infer(&batch).view())
        .index_axis_move(Axis(0), 0)
        .to_vec()
}
