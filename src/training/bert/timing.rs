//! BERT-tiny's masked-LM steps timed at several batch sizes: the homework's Cerebras batch
//! sweep done in this browser's worker. For each batch size a fresh model takes a few warm-up
//! steps (not timed: the first steps grow the heap and warm the caches), then `n_timed` steps
//! whose times the worker session measures on its clock ([`WorkerTask::step_timed`]); the
//! report gives ms per step and samples per second for each batch.
//!
//! The text is the lab's training sentences, tokenized at load, packed end to end into
//! sequences of exactly `seq` tokens (`[CLS]` … `[SEP]`), as BERT's pre-training data is packed
//! to its maximum sequence length: every step at a batch size does the same work.
//!
//! [`WorkerTask::step_timed`]: crate::training::session::WorkerTask::step_timed

use nn::bert::BertConfig;
pub use nn::bert::corpus::pack_sequences;
use nn::bert::pretrain::{MlmStepMemory, MlmTokens, MlmTrainConfig, MlmTrainer};
use serde::{Deserialize, Serialize};

use crate::training::session::{BatchStats, Step};

/// The masking rate of BERT's pre-training (and of the real run).
pub const MASK_PROBABILITY: f32 = 0.15;
/// The learning rate of the timed steps (the figure does not change the time of a step).
pub const TIMING_LR: f32 = 1e-3;

/// A timing sweep: its batch sizes in order and its steps per batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlmTimingConfig {
    pub batches: Vec<usize>,
    /// Steps taken and not timed at each batch size (at least 1: the first builds the model).
    pub n_warmup: usize,
    /// Steps timed at each batch size.
    pub n_timed: usize,
}

impl MlmTimingConfig {
    /// Sentences trained in the whole sweep.
    #[must_use]
    pub fn n_samples_total(&self) -> usize {
        self.batches
            .iter()
            .map(|b| b * (self.n_warmup + self.n_timed))
            .sum()
    }

    /// Each batch size's memory estimate at `seq`, or the sentence refusing the first that
    /// does not fit.
    ///
    /// # Errors
    /// The refusal of [`MlmStepMemory::check`].
    pub fn check_memory(&self, seq: usize) -> Result<(), String> {
        let model = BertConfig::bert_tiny();
        self.batches.iter().try_for_each(|&batch| {
            MlmStepMemory::estimate(&model, batch, seq, MASK_PROBABILITY).check(batch, seq)
        })
    }
}

/// What the sweep measured at one batch size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchTiming {
    pub batch: usize,
    pub n_timed: usize,
    /// Mean time of a timed step, ms.
    pub ms_per_step: f64,
    /// `batch / (ms_per_step / 1000)`.
    pub samples_per_s: f64,
    /// The masked-LM loss of the last step (nats).
    pub last_loss: f32,
}

/// A timing sweep in progress.
#[derive(Clone, Debug)]
pub struct MlmTimingRun {
    config: MlmTimingConfig,
    seed: u64,
    sequences: Vec<Vec<u32>>,
    batch_idx: usize,
    trainer: Option<Box<MlmTrainer>>,
    n_steps_here: usize,
    timed_ms: Vec<f64>,
    last_loss: f32,
    /// The step just taken is a timed one (its time arrives in [`Self::step_timed`]).
    awaiting_time: bool,
    n_samples_done: usize,
    timings: Vec<BatchTiming>,
    /// A batch size closed since the page last heard the rows.
    fresh: bool,
}

impl MlmTimingRun {
    /// A sweep over `sequences` (already packed).
    ///
    /// # Errors
    /// No batch, no timed step, no warm-up step, too few sequences, or a batch over the
    /// memory budget.
    pub fn new(
        config: MlmTimingConfig,
        seq: usize,
        seed: u64,
        sequences: Vec<Vec<u32>>,
    ) -> Result<Self, String> {
        if config.batches.is_empty() || config.n_timed == 0 || config.n_warmup == 0 {
            return Err("a sweep needs a batch size, a warm-up step and a timed step".into());
        }
        let largest = config.batches.iter().copied().max().unwrap_or(0);
        if sequences.len() < largest {
            return Err(format!(
                "the text packs into {} sequences of {seq} tokens, fewer than the batch of {largest}",
                sequences.len()
            ));
        }
        config.check_memory(seq)?;
        Ok(Self {
            config,
            seed,
            sequences,
            batch_idx: 0,
            trainer: None,
            n_steps_here: 0,
            timed_ms: Vec::new(),
            last_loss: 0.0,
            awaiting_time: false,
            n_samples_done: 0,
            timings: Vec::new(),
            fresh: false,
        })
    }

    /// Sentences in the whole sweep.
    #[must_use]
    pub fn n_samples_total(&self) -> usize {
        self.config.n_samples_total()
    }

    /// The rows measured so far.
    #[must_use]
    pub fn timings(&self) -> &[BatchTiming] {
        &self.timings
    }

    /// The rows, when a batch size closed since the last call: the page shows each row as
    /// soon as its batch size is timed, not only at the sweep's end.
    pub fn fresh_timings(&mut self) -> Option<Vec<BatchTiming>> {
        std::mem::take(&mut self.fresh).then(|| self.timings.clone())
    }

    /// One masked-LM step (the first at a batch size builds its model), or the end.
    pub fn step(&mut self) -> Step {
        let per_batch = self.config.n_warmup + self.config.n_timed;
        if self.n_steps_here == per_batch {
            self.close_batch();
        }
        let Some(&batch) = self.config.batches.get(self.batch_idx) else {
            return Step::Evaluated {
                row: None,
                last: true,
            };
        };
        let trainer = match &mut self.trainer {
            Some(trainer) => trainer,
            None => {
                let config = MlmTrainConfig {
                    seed: self.seed,
                    mask_probability: MASK_PROBABILITY,
                    ..MlmTrainConfig::bert_tiny(TIMING_LR, per_batch as u64, batch)
                };
                match MlmTrainer::new(
                    config,
                    MlmTokens::bert_base_uncased(),
                    self.sequences.clone(),
                ) {
                    Ok(trainer) => self.trainer.insert(Box::new(trainer)),
                    Err(e) => {
                        return Step::Diverged(format!("The batch of {batch} cannot start: {e}."));
                    }
                }
            }
        };
        let done = trainer.step();
        self.last_loss = done.loss;
        self.n_steps_here += 1;
        self.awaiting_time = self.n_steps_here > self.config.n_warmup;
        self.n_samples_done += done.n_sequences;
        Step::Trained {
            batch: BatchStats {
                loss: done.loss,
                accuracy: 0.0,
                n_samples: done.n_sequences,
            },
            epoch: (self.n_samples_done as f64 / self.n_samples_total().max(1) as f64) as f32,
            epoch_ended: false,
        }
    }

    /// The time of the step just taken, kept when it was a timed one; the last timed step
    /// of a batch size closes its row.
    pub fn step_timed(&mut self, step_ms: f64) {
        if std::mem::take(&mut self.awaiting_time) {
            self.timed_ms.push(step_ms);
            if self.n_steps_here == self.config.n_warmup + self.config.n_timed {
                self.close_batch();
            }
        }
    }

    fn close_batch(&mut self) {
        let batch = self.config.batches[self.batch_idx];
        let n_timed = self.timed_ms.len();
        let ms_per_step = self.timed_ms.iter().sum::<f64>() / n_timed.max(1) as f64;
        self.timings.push(BatchTiming {
            batch,
            n_timed,
            ms_per_step,
            samples_per_s: if ms_per_step > 0.0 {
                batch as f64 * 1_000.0 / ms_per_step
            } else {
                0.0
            },
            last_loss: self.last_loss,
        });
        self.timed_ms.clear();
        self.fresh = true;
        self.trainer = None;
        self.n_steps_here = 0;
        self.batch_idx += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_refuses_what_it_cannot_run_with_a_sentence() {
        let sequences = pack_sequences(&[vec![1000; 4_000]], 101, 102, 64);
        let config = |batches: Vec<usize>, n_warmup| MlmTimingConfig {
            batches,
            n_warmup,
            n_timed: 2,
        };
        assert!(MlmTimingRun::new(config(vec![2, 4], 1), 64, 1, sequences.clone()).is_ok());
        assert!(MlmTimingRun::new(config(vec![], 1), 64, 1, sequences.clone()).is_err());
        assert!(MlmTimingRun::new(config(vec![2], 0), 64, 1, sequences.clone()).is_err());
        let few = MlmTimingRun::new(config(vec![128], 1), 64, 1, sequences.clone()).unwrap_err();
        assert_eq!(
            few,
            "the text packs into 64 sequences of 64 tokens, fewer than the batch of 128"
        );
        let many = pack_sequences(&[vec![1000; 200_000]], 101, 102, 64);
        let big = MlmTimingRun::new(config(vec![4, 2_048], 1), 64, 1, many).unwrap_err();
        assert!(
            big.starts_with("A masked-LM step at batch 2048 and length 64 would hold"),
            "{big}"
        );
    }
}
