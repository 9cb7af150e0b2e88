//! A training loop driven step by step: plain data, no threads, no clock.
//!
//! A caller (a native command, a Web Worker) owns a [`Trainer`] and calls
//! [`Trainer::train_batch`] or [`Trainer::run_epoch_slice`] as often as it likes, measuring
//! time itself; between calls it can [`evaluate`](Trainer::evaluate), [`predict`](Trainer::predict)
//! or clone the whole state.

use ndarray::Axis;

use crate::data::{Dataset, Normalization};
use crate::layers::Mode;
use crate::loss::{LossKind, softmax};
use crate::model::{CnnConfig, ModelConfig, ModelConfigError, Network, NetworkGrads};
use crate::optim::{Optimizer, OptimizerConfig, OptimizerConfigError};
use crate::rng::{Rng, rng_from_seed};

mod evaluate;
mod ledger;
pub use evaluate::{ConfusionMatrix, Evaluation, Evaluator};
pub(crate) use evaluate::{argmax, count_correct, ratio};
pub(crate) use ledger::EpochLedger;

/// Everything that defines a training run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The model and its sizes.
    pub model: ModelConfig,
    /// The optimizer and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// The loss.
    pub loss: LossKind,
    /// Samples per step. The last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Passes over the training set.
    pub n_epochs: usize,
    /// Seeds the initial weights, the batch order and the dropout masks.
    pub seed: u64,
    /// Pixel normalisation.
    pub normalization: Normalization,
    /// A batch loss above this (or not finite) stops training as diverged.
    pub divergence_threshold: f32,
}

impl TrainConfig {
    /// The defaults of Graphcore's PopTorch MNIST example: its CNN, batch 8, SGD without
    /// momentum at lr 0.05, 10 epochs, softmax before cross-entropy
    /// ([`LossKind::SoftmaxThenCrossEntropy`]).
    pub fn graphcore_example() -> Self {
        Self {
            model: ModelConfig::Cnn(CnnConfig::default()),
            optimizer: OptimizerConfig::sgd(0.05),
            loss: LossKind::SoftmaxThenCrossEntropy,
            batch_size: 8,
            n_epochs: 10,
            seed: 1,
            normalization: Normalization::MNIST,
            divergence_threshold: DEFAULT_DIVERGENCE_THRESHOLD,
        }
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// A bad model, optimizer, batch size or epoch count.
    pub fn validate(&self) -> Result<(), TrainConfigError> {
        self.model.validate()?;
        self.optimizer.validate()?;
        if self.batch_size == 0 {
            return Err(TrainConfigError::Zero("the batch size"));
        }
        if self.n_epochs == 0 {
            return Err(TrainConfigError::Zero("the number of epochs"));
        }
        Ok(())
    }
}

/// A mean batch loss above this counts as exploding: the initial loss of 10 classes is
/// `ln 10 ≈ 2.3`, and a mean of 1000 means logits off by about a thousand on average.
pub const DEFAULT_DIVERGENCE_THRESHOLD: f32 = 1000.0;

/// Why a trainer could not be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainConfigError {
    /// See [`ModelConfigError`].
    #[error("model: {0}")]
    Model(#[from] ModelConfigError),
    /// See [`OptimizerConfigError`].
    #[error("optimizer: {0}")]
    Optimizer(#[from] OptimizerConfigError),
    /// A count is zero.
    #[error("{0} must be positive")]
    Zero(&'static str),
    /// The dataset's images or classes do not fit the model.
    #[error("the data has {data} per item but the model expects {model}")]
    DataShape {
        /// What the data has.
        data: String,
        /// What the model expects.
        model: String,
    },
    /// There is nothing to train on.
    #[error("the training set is empty")]
    EmptyDataset,
}

/// A single image of the wrong size was passed to [`Trainer::predict`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an image of {found} pixels, expected {expected}")]
pub struct ImageSizeError {
    /// Pixels given.
    pub found: usize,
    /// Pixels the model takes.
    pub expected: usize,
}

/// How training stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrainStatus {
    /// More batches to run.
    Training,
    /// All epochs done.
    Finished,
    /// Stopped: the loss stopped being a usable number. The weights are those before the step
    /// that produced it.
    Diverged(Divergence),
}

/// Where and how training diverged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Divergence {
    /// Epoch (from 0) of the offending batch.
    pub epoch_idx: usize,
    /// Batch (from 0, within the epoch).
    pub batch_idx: usize,
    /// What was seen.
    pub kind: DivergenceKind,
}

/// What made a run count as diverged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DivergenceKind {
    /// The loss was NaN or infinite.
    NonFiniteLoss,
    /// The loss exceeded [`TrainConfig::divergence_threshold`].
    ExplodingLoss {
        /// The batch loss.
        loss: f32,
    },
}

/// One batch's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchMetrics {
    /// Epoch (from 0).
    pub epoch_idx: usize,
    /// Batch within the epoch (from 0).
    pub batch_idx: usize,
    /// Samples in the batch.
    pub n_samples: usize,
    /// Mean loss over the batch (before the update).
    pub loss: f32,
    /// Fraction of the batch classified correctly (before the update; dropout active).
    pub accuracy: f32,
    /// L2 norm of the gradient over all parameters. Exactly 0 means the step changed nothing:
    /// with [`LossKind::SoftmaxThenCrossEntropy`] that is the signature of a saturated softmax
    /// (probabilities exactly 0 or 1 in `f32`), after which training can never recover.
    pub grad_norm: f32,
}

/// What a call to [`Trainer::train_batch`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchOutcome {
    /// One step was taken.
    Trained(BatchMetrics),
    /// Nothing was done: the run had already finished or diverged.
    Stopped(TrainStatus),
    /// This batch diverged; no update was applied and the run is stopped.
    Diverged(Divergence),
}

/// What [`Trainer::compute_gradients`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GradientOutcome {
    /// Gradients are ready; the batch waits for [`Trainer::apply_gradients`].
    Computed(PendingBatch),
    /// Nothing was done: the run had already finished or diverged.
    Stopped(TrainStatus),
    /// The batch's loss diverged; no gradients, and the run is stopped.
    Diverged(Divergence),
}

/// A batch whose gradients are computed but not yet applied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PendingBatch {
    /// Samples in the batch.
    pub n_samples: usize,
    /// Samples classified correctly (before the update; dropout active).
    pub n_correct: usize,
    /// Mean loss over the batch.
    pub loss: f32,
}

/// The divergence a batch loss shows, if any: not finite, or above `threshold`.
pub fn divergence_kind(loss: f32, threshold: f32) -> Option<DivergenceKind> {
    if !loss.is_finite() {
        Some(DivergenceKind::NonFiniteLoss)
    } else if loss > threshold {
        Some(DivergenceKind::ExplodingLoss { loss })
    } else {
        None
    }
}

/// Means over one completed epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochSummary {
    /// Epoch (from 0).
    pub epoch_idx: usize,
    /// Mean training loss (sample-weighted).
    pub mean_loss: f32,
    /// Training accuracy (dropout active, weights changing during the epoch).
    pub train_accuracy: f32,
    /// Mean over the epoch's batches of [`BatchMetrics::grad_norm`].
    pub mean_grad_norm: f32,
}

/// Where a run stands after [`Trainer::run_epoch_slice`].
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Status after the slice.
    pub status: TrainStatus,
    /// Current epoch (from 0; equals `n_epochs` once finished).
    pub epoch_idx: usize,
    /// Next batch within the epoch.
    pub batch_idx: usize,
    /// Batches per epoch.
    pub n_batches_per_epoch: usize,
    /// Batches run by this call.
    pub n_batches_run: usize,
    /// Samples trained on by this call (for a caller's samples-per-second).
    pub n_samples_run: usize,
    /// The last batch of this call, if any.
    pub last_batch: Option<BatchMetrics>,
    /// Epochs completed during this call.
    pub completed_epochs: Vec<EpochSummary>,
}

/// The model's answer for one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The most probable class.
    pub class: usize,
    /// Softmax probabilities, one per class.
    pub probabilities: Vec<f32>,
}

/// A training run's whole state: plain data, `Clone`, no clock, no threads.
#[derive(Clone, Debug)]
pub struct Trainer {
    config: TrainConfig,
    network: Network,
    grads: NetworkGrads,
    optimizer: Optimizer,
    rng: Rng,
    train: Dataset,
    ledger: EpochLedger,
}

/// Evaluation and prediction go through the network in chunks of this many images.
const EVAL_CHUNK: usize = 250;

impl Trainer {
    /// A fresh run: weights initialised from `config.seed`, nothing trained yet.
    ///
    /// # Errors
    /// A bad configuration, an empty training set, or images or classes that do not fit the model.
    pub fn new(config: TrainConfig, train: Dataset) -> Result<Self, TrainConfigError> {
        config.validate()?;
        if train.is_empty() {
            return Err(TrainConfigError::EmptyDataset);
        }
        check_data_fits(&config.model, &train)?;
        let mut rng = rng_from_seed(config.seed);
        let network = Network::new(&config.model, &mut rng)?;
        let grads = network.zero_grads();
        let optimizer = Optimizer::new(config.optimizer);
        let ledger = EpochLedger::new(train.len(), config.batch_size, config.n_epochs);
        Ok(Self {
            config,
            network,
            grads,
            optimizer,
            rng,
            train,
            ledger,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The model.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The status.
    pub fn status(&self) -> TrainStatus {
        self.ledger.status()
    }

    /// Completed epochs.
    pub fn history(&self) -> &[EpochSummary] {
        self.ledger.history()
    }

    /// Batches per epoch (the last may be partial).
    pub fn n_batches_per_epoch(&self) -> usize {
        self.ledger.n_batches_per_epoch()
    }

    /// Runs one training step on the next batch: [`compute_gradients`](Self::compute_gradients)
    /// then [`apply_gradients`](Self::apply_gradients).
    pub fn train_batch(&mut self) -> BatchOutcome {
        match self.compute_gradients() {
            GradientOutcome::Computed(_) => self.apply_gradients(),
            GradientOutcome::Stopped(status) => BatchOutcome::Stopped(status),
            GradientOutcome::Diverged(divergence) => BatchOutcome::Diverged(divergence),
        }
    }

    /// First half of a step: forward and backward on the next batch, leaving the gradients in
    /// [`gradients_mut`](Self::gradients_mut) (a data-parallel caller all-reduces them there)
    /// and the batch pending until [`apply_gradients`](Self::apply_gradients). Calling it again
    /// before applying recomputes the same batch.
    pub fn compute_gradients(&mut self) -> GradientOutcome {
        let (inputs, labels) = match self.ledger.next_batch(&mut self.rng) {
            Ok(indices) => self.train.batch(indices, self.config.normalization),
            Err(status) => return GradientOutcome::Stopped(status),
        };
        let (logits, cache) = self
            .network
            .forward(inputs.view(), Mode::Train, &mut self.rng);
        let out = self.config.loss.evaluate(logits.view(), &labels);
        if let Some(divergence) = self
            .ledger
            .check_divergence(out.loss, self.config.divergence_threshold)
        {
            return GradientOutcome::Diverged(divergence);
        }
        self.grads.fill_zero();
        self.network
            .backward(&cache, out.dlogits.view(), &mut self.grads);
        let pending = PendingBatch {
            n_samples: labels.len(),
            n_correct: count_correct(logits.view(), &labels),
            loss: out.loss,
        };
        self.ledger.hold(pending);
        GradientOutcome::Computed(pending)
    }

    /// The gradients of the pending batch (for an all-reduce between the two halves of a step).
    pub fn gradients_mut(&mut self) -> &mut NetworkGrads {
        &mut self.grads
    }

    /// Second half of a step: the optimizer update from the current gradients, and the batch's
    /// metrics. Without a pending batch it does nothing and says why.
    pub fn apply_gradients(&mut self) -> BatchOutcome {
        let Some(pending) = self.ledger.take_pending() else {
            return BatchOutcome::Stopped(self.ledger.status());
        };
        let params = self.network.params_and_grads(&self.grads);
        let grad_norm = crate::param::grad_norm(&params, &[]);
        self.optimizer.step(params);
        BatchOutcome::Trained(self.ledger.record(pending, grad_norm))
    }

    /// Runs up to `n_batches` steps, stopping early at the end of training or on divergence.
    pub fn run_epoch_slice(&mut self, n_batches: usize) -> Progress {
        let n_epochs_before = self.ledger.history().len();
        let mut progress = Progress {
            status: self.ledger.status(),
            epoch_idx: self.ledger.epoch_idx(),
            batch_idx: self.ledger.batch_idx(),
            n_batches_per_epoch: self.n_batches_per_epoch(),
            n_batches_run: 0,
            n_samples_run: 0,
            last_batch: None,
            completed_epochs: Vec::new(),
        };
        for _ in 0..n_batches {
            match self.train_batch() {
                BatchOutcome::Trained(metrics) => {
                    progress.n_batches_run += 1;
                    progress.n_samples_run += metrics.n_samples;
                    progress.last_batch = Some(metrics);
                }
                BatchOutcome::Stopped(_) | BatchOutcome::Diverged(_) => break,
            }
        }
        progress.status = self.ledger.status();
        progress.epoch_idx = self.ledger.epoch_idx();
        progress.batch_idx = self.ledger.batch_idx();
        progress.completed_epochs = self.ledger.history()[n_epochs_before..].to_vec();
        progress
    }

    /// Accuracy, mean loss and confusion matrix on `data` (inference mode: no dropout).
    ///
    /// # Errors
    /// If `data` does not fit the model.
    pub fn evaluate(&self, data: &Dataset) -> Result<Evaluation, TrainConfigError> {
        check_data_fits(&self.config.model, data)?;
        let mut evaluator = Evaluator::new(data.len(), self.config.model.n_classes());
        while let Some(range) = evaluator.next_chunk(EVAL_CHUNK) {
            let chunk: Vec<usize> = range.collect();
            let (inputs, labels) = data.batch(&chunk, self.config.normalization);
            let logits = self.network.infer(inputs.view());
            let loss = self.config.loss.evaluate(logits.view(), &labels).loss;
            evaluator.record(logits.view(), &labels, loss);
        }
        Ok(evaluator.finish())
    }

    /// Class probabilities for one image of raw pixels (row-major, 0 = background).
    ///
    /// # Errors
    /// If the image has the wrong number of pixels.
    pub fn predict(&self, pixels: &[u8]) -> Result<Prediction, ImageSizeError> {
        let expected = self.config.model.input_width();
        if pixels.len() != expected {
            return Err(ImageSizeError {
                found: pixels.len(),
                expected,
            });
        }
        let norm = self.config.normalization;
        let input = ndarray::Array2::from_shape_fn((1, expected), |(_, i)| norm.apply(pixels[i]));
        let probabilities = softmax(self.network.infer(input.view()).view())
            .index_axis_move(Axis(0), 0)
            .to_vec();
        let class = argmax(probabilities.iter().copied());
        Ok(Prediction {
            class,
            probabilities,
        })
    }
}

fn check_data_fits(model: &ModelConfig, data: &Dataset) -> Result<(), TrainConfigError> {
    if data.image_len() != model.input_width() {
        return Err(TrainConfigError::DataShape {
            data: format!("{} pixels", data.image_len()),
            model: format!("{} pixels", model.input_width()),
        });
    }
    if data.n_classes() > model.n_classes() {
        return Err(TrainConfigError::DataShape {
            data: format!("{} classes", data.n_classes()),
            model: format!("{} classes", model.n_classes()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MlpConfig;

    /// A small 4-class problem on 6×6 images: class `c` is a bright bar in quadrant `c`, plus
    /// seeded noise. Learnable in a few epochs by either model.
    fn toy_dataset(n_items: usize, seed: u64) -> Dataset {
        let mut rng = rng_from_seed(seed);
        let mut pixels = Vec::with_capacity(n_items * 36);
        let mut labels = Vec::with_capacity(n_items);
        for item_idx in 0..n_items {
            let class = item_idx % 4;
            for y in 0..6 {
                for x in 0..6 {
                    let in_quadrant = (y / 3) * 2 + (x / 3) == class;
                    let base = if in_quadrant && (x + y) % 2 == 0 {
                        200.0
                    } else {
                        20.0
                    };
                    let noise = crate::rng::uniform(&mut rng, -20.0, 20.0);
                    pixels.push((base + noise) as u8);
                }
            }
            labels.push(class as u8);
        }
        Dataset::new(6, 6, 4, pixels, labels).unwrap()
    }

    fn mlp_config(optimizer: OptimizerConfig) -> TrainConfig {
        TrainConfig {
            model: ModelConfig::Mlp(MlpConfig {
                d_in: 36,
                hidden: vec![16],
                n_classes: 4,
            }),
            optimizer,
            loss: LossKind::CrossEntropy,
            batch_size: 8,
            n_epochs: 5,
            seed: 3,
            normalization: Normalization::MNIST,
            divergence_threshold: DEFAULT_DIVERGENCE_THRESHOLD,
        }
    }

    fn train_to_the_end(trainer: &mut Trainer) -> Evaluation {
        while trainer.status() == TrainStatus::Training {
            let _ = trainer.run_epoch_slice(7);
        }
        trainer.evaluate(&toy_dataset(80, 99)).unwrap()
    }

    #[test]
    fn every_optimizer_and_both_losses_learn_the_toy_problem() {
        let cases = [
            (OptimizerConfig::sgd(0.1), LossKind::CrossEntropy),
            (
                OptimizerConfig::Sgd {
                    lr: 0.05,
                    momentum: 0.9,
                },
                LossKind::CrossEntropy,
            ),
            (OptimizerConfig::adam(0.01), LossKind::CrossEntropy),
            (OptimizerConfig::sgd(0.5), LossKind::SoftmaxThenCrossEntropy),
        ];
        for (optimizer, loss) in cases {
            let config = TrainConfig {
                loss,
                ..mlp_config(optimizer)
            };
            let mut trainer = Trainer::new(config, toy_dataset(160, 1)).unwrap();
            let eval = train_to_the_end(&mut trainer);
            assert_eq!(trainer.status(), TrainStatus::Finished);
            assert_eq!(trainer.history().len(), 5);
            assert!(
                eval.accuracy > 0.95,
                "{optimizer:?} {loss:?}: accuracy {}",
                eval.accuracy
            );
            assert_eq!(eval.confusion.total(), 80);
        }
    }

    #[test]
    fn the_cnn_learns_the_toy_problem() {
        let config = TrainConfig {
            model: ModelConfig::Cnn(CnnConfig {
                image_side: 6,
                conv1_channels: 4,
                conv2_channels: 8,
                kernel: 2,
                pool: 1,
                hidden: 16,
                dropout: 0.1,
                n_classes: 4,
            }),
            ..mlp_config(OptimizerConfig::sgd(0.05))
        };
        let mut trainer = Trainer::new(config, toy_dataset(160, 1)).unwrap();
        let eval = train_to_the_end(&mut trainer);
        assert!(eval.accuracy > 0.95, "accuracy {}", eval.accuracy);
    }

    #[test]
    fn slices_and_single_batches_are_the_same_run() {
        let config = mlp_config(OptimizerConfig::sgd(0.1));
        let mut by_slices = Trainer::new(config.clone(), toy_dataset(50, 1)).unwrap();
        let mut by_batches = Trainer::new(config, toy_dataset(50, 1)).unwrap();
        // 50 items in batches of 8: 7 batches per epoch, the last one of 2 items.
        assert_eq!(by_slices.n_batches_per_epoch(), 7);
        let progress = by_slices.run_epoch_slice(10);
        assert_eq!(
            (
                progress.epoch_idx,
                progress.batch_idx,
                progress.n_samples_run
            ),
            (1, 3, 50 + 24)
        );
        assert_eq!(progress.completed_epochs.len(), 1);
        for _ in 0..10 {
            assert!(matches!(by_batches.train_batch(), BatchOutcome::Trained(_)));
        }
        assert_eq!(by_slices.network(), by_batches.network());
    }

    #[test]
    fn an_absurd_learning_rate_is_reported_as_divergence() {
        let config = mlp_config(OptimizerConfig::sgd(1e6));
        let mut trainer = Trainer::new(config, toy_dataset(160, 1)).unwrap();
        let progress = trainer.run_epoch_slice(100);
        let TrainStatus::Diverged(divergence) = progress.status else {
            panic!("expected divergence, got {:?}", progress.status);
        };
        assert!(progress.n_batches_run < 100);
        assert_eq!(
            trainer.train_batch(),
            BatchOutcome::Stopped(TrainStatus::Diverged(divergence))
        );
        // The weights are still numbers, so the page can show a prediction and the status.
        let eval = trainer.evaluate(&toy_dataset(8, 2)).unwrap();
        assert!(eval.accuracy.is_finite());
    }

    #[test]
    fn predict_returns_probabilities_and_checks_the_size() {
        let trainer =
            Trainer::new(mlp_config(OptimizerConfig::sgd(0.1)), toy_dataset(8, 1)).unwrap();
        let prediction = trainer.predict(&[0; 36]).unwrap();
        assert_eq!(prediction.probabilities.len(), 4);
        assert!((prediction.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(
            trainer.predict(&[0; 35]),
            Err(ImageSizeError {
                found: 35,
                expected: 36
            })
        );
    }

    #[test]
    fn mismatched_data_is_a_typed_error() {
        let config = TrainConfig {
            model: ModelConfig::Mlp(MlpConfig::default()),
            ..mlp_config(OptimizerConfig::sgd(0.1))
        };
        assert!(matches!(
            Trainer::new(config, toy_dataset(8, 1)),
            Err(TrainConfigError::DataShape { .. })
        ));
    }

    #[test]
    fn the_faithful_loss_saturates_instead_of_diverging() {
        // Softmax before cross-entropy bounds the loss, so a huge step never shows up as an
        // exploding loss: the logits grow until the softmax is exactly one-hot in f32, the
        // gradient becomes exactly zero and the model is frozen.
        let config = TrainConfig {
            loss: LossKind::SoftmaxThenCrossEntropy,
            ..mlp_config(OptimizerConfig::sgd(1e4))
        };
        let mut trainer = Trainer::new(config, toy_dataset(160, 1)).unwrap();
        let progress = trainer.run_epoch_slice(60);
        assert_eq!(progress.status, TrainStatus::Training);
        let last = progress.last_batch.unwrap();
        assert_eq!(last.grad_norm, 0.0);
        assert!(last.loss <= 2.4613, "the loss stays bounded: {}", last.loss);
        // Frozen: further steps change nothing.
        let frozen = trainer.network().clone();
        let _ = trainer.run_epoch_slice(20);
        assert_eq!(trainer.network(), &frozen);
    }

    #[test]
    fn confusion_matrix_counts_and_finds_a_collapse() {
        let mut confusion = ConfusionMatrix::new(3);
        for (t, p) in [(0, 2), (1, 2), (2, 2), (2, 2), (0, 0)] {
            confusion.record(t, p);
        }
        assert_eq!(confusion.count(2, 2), 2);
        assert!((confusion.accuracy() - 0.6).abs() < 1e-6);
        assert_eq!(confusion.dominant_prediction(), (2, 0.8));
    }
}
