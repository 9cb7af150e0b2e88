//! A masked-LM run on the corpus text: BERT's pre-training objective shown at the size of a
//! browser tab. The training lines are packed end to end into sequences of the run's length
//! (as pre-training data is; `nn::bert::corpus`, which `cargo xtask bert --objective mlm`
//! shares), each step masks a batch and takes one AdamW step ([`MlmTrainer`]), and after each
//! epoch the held-out sequences are scored a chunk per step with the same masks every time
//! ([`held_out_chunk`]), so the epochs' held-out losses compare.
//!
//! An epoch is `⌊sequences / batch⌋` steps (the trainer draws batches round the reshuffled
//! sequences, so the few left over begin the next pass). The encoder and head it trains stay
//! in use afterwards: "Fill in [MASK]" asks them, and a sentiment run can start from them.

use nn::bert::corpus::held_out_chunk;
use nn::bert::pretrain::{
    MlmEvaluation, MlmStepMemory, MlmTokens, MlmTrainConfig, MlmTrainer, bert_mlm_params,
};
use nn::bert::{BertClassifier, BertConfig, MlmHead};

use super::super::config::BertRunConfig;
use super::super::timing::MASK_PROBABILITY;
use super::BertData;
use crate::training::protocol::{EpochRow, RunStarted};
use crate::training::session::{BatchStats, Step};

/// Why a masked-LM run needs the corpus.
pub const NO_CORPUS: &str = "the corpus text is not loaded, so there is nothing to pre-train on";

/// Sums over an epoch's steps.
#[derive(Clone, Copy, Debug, Default)]
struct EpochSums {
    loss_sum: f64,
    n_targets: usize,
    n_correct: usize,
    grad_norm_sum: f64,
    n_steps: usize,
}

/// The held-out pass after an epoch, a chunk at a time.
#[derive(Clone, Debug)]
struct EvalState {
    epoch: usize,
    sums: EpochSums,
    total: MlmEvaluation,
    next_chunk: usize,
}

/// A masked-LM run in progress (or finished, its weights in use).
#[derive(Clone, Debug)]
pub struct MlmRun {
    trainer: MlmTrainer,
    held_out: Vec<Vec<u32>>,
    max_len: usize,
    steps_per_epoch: usize,
    n_steps_total: usize,
    n_steps_done: usize,
    epoch: EpochSums,
    eval: Option<EvalState>,
}

impl MlmRun {
    /// A run of `config` on `data`'s corpus, from `start` (the weights in use, with their
    /// masked-LM head if they have one) or from new weights.
    ///
    /// # Errors
    /// No corpus, too little text for one batch, a batch over the memory budget, or weights
    /// of other sizes.
    pub fn new(
        config: &BertRunConfig,
        data: &BertData,
        start: Option<(&BertClassifier, Option<&MlmHead>)>,
    ) -> Result<(Self, RunStarted), String> {
        let corpus = data.corpus.as_ref().ok_or(NO_CORPUS)?;
        let model = BertConfig::bert_tiny();
        MlmStepMemory::estimate(&model, config.batch_size, config.max_len, MASK_PROBABILITY)
            .check(config.batch_size, config.max_len)
            .map_err(|e| e.replacen("A masked-LM step", "a masked-LM step", 1))?;
        let lines = &corpus.lines;
        let n_lines = config.n_train.unwrap_or(usize::MAX).min(lines.train.len());
        let (cls, sep) = (data.tokenizer.cls_id, data.tokenizer.sep_id);
        let sequences = lines.train_sequences(Some(n_lines), cls, sep, config.max_len);
        if sequences.len() < config.batch_size {
            return Err(format!(
                "{n_lines} corpus sentences pack into {} sequences of {} tokens, fewer than one batch of {}",
                sequences.len(),
                config.max_len,
                config.batch_size
            ));
        }
        let held_out = lines.held_out_sequences(cls, sep, config.max_len);
        if held_out.is_empty() {
            return Err(format!(
                "the held-out corpus sentences do not fill one sequence of {} tokens",
                config.max_len
            ));
        }
        let n_sequences = sequences.len();
        let steps_per_epoch = n_sequences / config.batch_size;
        let n_steps_total = steps_per_epoch * config.n_epochs;
        let train_config = MlmTrainConfig {
            seed: config.seed,
            mask_probability: MASK_PROBABILITY,
            ..MlmTrainConfig::bert_tiny(config.lr as f32, n_steps_total as u64, config.batch_size)
        };
        let mut trainer = MlmTrainer::new(train_config, MlmTokens::bert_base_uncased(), sequences)
            .map_err(|e| e.to_string())?;
        if let Some((model, head)) = start {
            trainer
                .set_weights(model.clone(), head.cloned())
                .map_err(|e| e.to_string())?;
        }
        let started = RunStarted {
            n_batches_per_epoch: steps_per_epoch,
            n_samples_total: n_steps_total * config.batch_size,
            n_params: usize::try_from(bert_mlm_params(&model)).unwrap_or(usize::MAX),
        };
        Ok((
            Self {
                trainer,
                held_out,
                max_len: config.max_len,
                steps_per_epoch,
                n_steps_total,
                n_steps_done: 0,
                epoch: EpochSums::default(),
                eval: None,
            },
            started,
        ))
    }

    /// The encoder as it stands (its pooler and classifier are not trained by this run).
    pub fn model(&self) -> &BertClassifier {
        self.trainer.model()
    }

    /// The masked-LM head.
    pub fn head(&self) -> &MlmHead {
        self.trainer.head()
    }

    /// The sequence length the run trains at.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// One bounded piece of work: a masked-LM step, or a chunk of the held-out text when an
    /// epoch has just ended.
    pub fn step(&mut self) -> Step {
        if self.eval.is_some() {
            return self.eval_step();
        }
        if self.n_steps_done >= self.n_steps_total {
            return Step::Evaluated {
                row: None,
                last: true,
            };
        }
        let done = self.trainer.step();
        let epoch_idx = self.n_steps_done / self.steps_per_epoch;
        if !done.loss.is_finite() || !done.grad_norm.is_finite() {
            return Step::Diverged(format!(
                "The masked-LM loss stopped being a finite number in epoch {}, step {}: the weights are no longer usable. Try a smaller learning rate.",
                epoch_idx + 1,
                self.n_steps_done % self.steps_per_epoch + 1
            ));
        }
        self.n_steps_done += 1;
        let e = &mut self.epoch;
        e.loss_sum += f64::from(done.loss) * done.n_targets as f64;
        e.n_targets += done.n_targets;
        e.n_correct += done.n_correct;
        e.grad_norm_sum += f64::from(done.grad_norm);
        e.n_steps += 1;
        let epoch_ended = self.n_steps_done.is_multiple_of(self.steps_per_epoch);
        if epoch_ended {
            self.eval = Some(EvalState {
                epoch: epoch_idx + 1,
                sums: std::mem::take(&mut self.epoch),
                total: MlmEvaluation::default(),
                next_chunk: 0,
            });
        }
        Step::Trained {
            batch: BatchStats {
                loss: done.loss,
                accuracy: done.n_correct as f32 / done.n_targets.max(1) as f32,
                n_samples: done.n_sequences,
            },
            epoch: self.n_steps_done as f32 / self.steps_per_epoch as f32,
            epoch_ended,
        }
    }

    fn eval_step(&mut self) -> Step {
        let not_yet = Step::Evaluated {
            row: None,
            last: false,
        };
        let Some(state) = self.eval.as_mut() else {
            return not_yet;
        };
        if let Some(part) = held_out_chunk(&self.trainer, &self.held_out, state.next_chunk) {
            state.total.add(&part);
            state.next_chunk += 1;
            return not_yet;
        }
        let Some(state) = self.eval.take() else {
            return not_yet;
        };
        let s = state.sums;
        let row = EpochRow {
            epoch: state.epoch,
            train_loss: (s.loss_sum / s.n_targets.max(1) as f64) as f32,
            train_accuracy: s.n_correct as f32 / s.n_targets.max(1) as f32,
            test_loss: state.total.mean_loss().filter(|l| l.is_finite()),
            test_accuracy: state.total.accuracy(),
            mean_grad_norm: (s.grad_norm_sum / s.n_steps.max(1) as f64) as f32,
            // A masked-LM run has no classes to collapse to or to confuse.
            dominant_class: 0,
            dominant_share: 0.0,
            samples_per_s: 0.0,
            confusion: Vec::new(),
        };
        Step::Evaluated {
            row: Some(row),
            last: self.n_steps_done >= self.n_steps_total,
        }
    }
}
