//! A fine-tuning run: one training batch per step, and after each epoch the test set
//! evaluated in chunks through `nn`'s [`Evaluator`].

use nn::bert::BertClassifier;
use nn::bert::train::{BertTrainer, EncodedExample, batch_of};
use nn::loss::{softmax, softmax_cross_entropy};
use nn::train::{BatchOutcome, DivergenceKind, EpochSummary, Evaluator, TrainStatus};

use super::{
    BertData, EVAL_CHUNK, MAX_MISCLASSIFIED, N_CLASSES, SentenceMistake, SentenceMistakes,
};
use crate::training::session::{BatchStats, Mistake, Step, epoch_row, judge, most_confident_first};

/// The test-set pass after an epoch, a chunk at a time.
#[derive(Clone, Debug)]
struct EvalState {
    summary: EpochSummary,
    evaluator: Evaluator,
    mistakes: Vec<Mistake>,
}

/// A run of the BERT lab.
#[derive(Clone, Debug)]
pub struct BertRun {
    trainer: BertTrainer,
    /// A masked-LM head that came with loaded weights (tied to the model's word embeddings).
    mlm_head: Option<nn::bert::MlmHead>,
    max_len: usize,
    test: Vec<EncodedExample>,
    n_train: usize,
    n_samples_done: usize,
    eval: Option<Box<EvalState>>,
    last_mistakes: SentenceMistakes,
}

impl BertRun {
    /// A run that fine-tunes `trainer`'s model on its examples, evaluating on `test` (empty
    /// for loaded weights, which are never stepped) after each epoch.
    pub(super) fn new(
        trainer: BertTrainer,
        max_len: usize,
        test: Vec<EncodedExample>,
        n_train: usize,
    ) -> Self {
        Self {
            trainer,
            mlm_head: None,
            max_len,
            test,
            n_train,
            n_samples_done: 0,
            eval: None,
            last_mistakes: SentenceMistakes::default(),
        }
    }

    /// The model as it stands.
    pub fn model(&self) -> &BertClassifier {
        self.trainer.model()
    }

    /// The masked-LM head, if the weights came with one.
    pub fn mlm_head(&self) -> Option<&nn::bert::MlmHead> {
        self.mlm_head.as_ref()
    }

    /// The run with `head` as its masked-LM head.
    #[must_use]
    pub fn with_mlm_head(mut self, head: Option<nn::bert::MlmHead>) -> Self {
        self.mlm_head = head;
        self
    }

    /// The padded length the run trains at.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The last evaluation's mistakes (taken).
    pub(super) fn take_mistakes(&mut self) -> SentenceMistakes {
        std::mem::take(&mut self.last_mistakes)
    }

    /// One bounded piece of work: a training batch, or a chunk of the test set when an
    /// epoch has just ended.
    pub(super) fn step(&mut self, data: &BertData) -> Step {
        if self.eval.is_some() {
            self.eval_step(data)
        } else {
            self.train_step()
        }
    }

    fn train_step(&mut self) -> Step {
        match self.trainer.train_batch() {
            BatchOutcome::Trained(metrics) => {
                self.n_samples_done += metrics.n_samples;
                let epoch_ended = self.trainer.history().len() > metrics.epoch_idx;
                if let Some(summary) = self.trainer.history().last().filter(|_| epoch_ended) {
                    self.eval = Some(Box::new(EvalState {
                        summary: *summary,
                        evaluator: Evaluator::new(self.test.len(), N_CLASSES),
                        mistakes: Vec::new(),
                    }));
                }
                Step::Trained {
                    batch: BatchStats {
                        loss: metrics.loss,
                        accuracy: metrics.accuracy,
                        n_samples: metrics.n_samples,
                    },
                    epoch: (self.n_samples_done as f64 / self.n_train.max(1) as f64) as f32,
                    epoch_ended,
                }
            }
            BatchOutcome::Diverged(d) => {
                let what = match d.kind {
                    DivergenceKind::NonFiniteLoss => "the loss was not a finite number".to_string(),
                    DivergenceKind::ExplodingLoss { loss } => {
                        format!("the loss exploded to {loss:.3e}")
                    }
                };
                Step::Diverged(format!(
                    "Training diverged in epoch {}, batch {}: {what}. No update was applied from that batch; try a smaller learning rate.",
                    d.epoch_idx + 1,
                    d.batch_idx + 1
                ))
            }
            // Nothing left to train (cannot happen while a run is live): end it cleanly.
            BatchOutcome::Stopped(_) => Step::Evaluated {
                row: None,
                last: true,
            },
        }
    }

    fn eval_step(&mut self, data: &BertData) -> Step {
        let not_yet = Step::Evaluated {
            row: None,
            last: false,
        };
        let Some(state) = self.eval.as_mut() else {
            return not_yet;
        };
        if let Some(range) = state.evaluator.next_chunk(EVAL_CHUNK) {
            let indices: Vec<usize> = range.collect();
            let (batch, labels) = batch_of(&self.test, &indices);
            let logits = self.trainer.model().infer(&batch);
            let loss = softmax_cross_entropy(logits.view(), &labels).loss;
            state.evaluator.record(logits.view(), &labels, loss);
            let probabilities = softmax(logits.view());
            for ((row, &label), &item_idx) in
                probabilities.rows().into_iter().zip(&labels).zip(&indices)
            {
                state
                    .mistakes
                    .extend(judge(item_idx, label, row.iter().copied()));
            }
        }
        if !state.evaluator.is_done() {
            return not_yet;
        }
        let Some(state) = self.eval.take() else {
            return not_yet;
        };
        let mut state = *state;
        let row = epoch_row(&state.summary, &state.evaluator.finish());
        most_confident_first(&mut state.mistakes);
        self.last_mistakes = SentenceMistakes {
            n_total: state.mistakes.len(),
            shown: state
                .mistakes
                .iter()
                .take(MAX_MISCLASSIFIED)
                .map(
                    |&(item_idx, label, predicted, confidence)| SentenceMistake {
                        item_idx,
                        text: data
                            .test
                            .sentences
                            .get(item_idx)
                            .map(|s| s.sentence.clone())
                            .unwrap_or_default(),
                        label,
                        predicted,
                        confidence,
                    },
                )
                .collect(),
        };
        Step::Evaluated {
            row: Some(row),
            last: self.trainer.status() == TrainStatus::Finished,
        }
    }
}
