//! Masked-LM pre-training, step by step: each step masks a batch of sentences with
//! [`mask_tokens`] (15% of ordinary tokens; 80% `[MASK]`, 10% random, 10% kept), runs the
//! encoder, predicts the original token at every chosen position through the tied [`MlmHead`],
//! and takes one AdamW step. Plain data, no threads, no clock; all randomness from the seed.
//!
//! At initialisation the head's logits are nearly equal (the hidden state is LayerNorm'd and
//! the tied table's rows are `N(0, 0.02²)`), so the loss starts near `ln 30,522 ≈ 10.33`.

use ndarray::{Array2, ArrayView2, Axis};

use super::mlm::mask_tokens;
use super::{
    BertClassifier, BertConfig, BertConfigError, BertGrads, MlmHead, MlmHeadGrads, TokenBatch,
};
use crate::layers::{Mode, exp};
use crate::model::Model;
use crate::optim::{AdamW, AdamWConfig, OptimizerConfigError};
use crate::param::ParamGrad;
use crate::rng::{Rng, rng_from_seed, shuffle};

/// The special ids masking needs (bert-base-uncased's by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlmTokens {
    /// Never chosen for masking: `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]`.
    pub special: Vec<u32>,
    /// `[MASK]`.
    pub mask_id: u32,
    /// Random replacements are drawn from `first_ordinary..vocab_size` (skipping `[unused…]`).
    pub first_ordinary: u32,
}

impl MlmTokens {
    /// bert-base-uncased: `[PAD]` 0, `[UNK]` 100, `[CLS]` 101, `[SEP]` 102, `[MASK]` 103, and
    /// ordinary word pieces from 999 (`!`).
    pub fn bert_base_uncased() -> Self {
        Self {
            special: vec![0, 100, 101, 102, 103],
            mask_id: 103,
            first_ordinary: 999,
        }
    }
}

/// Everything that defines a masked-LM run.
#[derive(Clone, Debug, PartialEq)]
pub struct MlmTrainConfig {
    /// Model sizes.
    pub model: BertConfig,
    /// Peak learning rate of AdamW.
    pub lr: f32,
    /// Decoupled weight decay (matrices only).
    pub weight_decay: f32,
    /// Steps of linear warm-up.
    pub warmup_steps: u64,
    /// Steps at which the learning rate reaches 0.
    pub total_steps: u64,
    /// Sentences per step.
    pub batch_size: usize,
    /// Probability that an ordinary token is chosen (0.15).
    pub mask_probability: f32,
    /// Seeds the weights, sentence order, masking and dropout.
    pub seed: u64,
}

impl MlmTrainConfig {
    /// BERT-tiny, AdamW at `lr` with 10% warm-up and λ 0.01, 15% masking, seed 1.
    pub fn bert_tiny(lr: f32, total_steps: u64, batch_size: usize) -> Self {
        Self {
            model: BertConfig::bert_tiny(),
            lr,
            weight_decay: 0.01,
            warmup_steps: total_steps / 10,
            total_steps,
            batch_size,
            mask_probability: 0.15,
            seed: 1,
        }
    }
}

/// Why a masked-LM run could not start.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MlmTrainError {
    /// See [`BertConfigError`].
    #[error("model: {0}")]
    Model(#[from] BertConfigError),
    /// See [`OptimizerConfigError`].
    #[error("optimizer: {0}")]
    Optimizer(#[from] OptimizerConfigError),
    /// A zero batch size, or no sentence with a token to mask.
    #[error("{0}")]
    Data(&'static str),
    /// A sentence longer than the positions or with an id outside the vocabulary.
    #[error("sentence {0} does not fit the model")]
    Sentence(usize),
}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MlmStep {
    /// Mean cross-entropy over the masked positions (nats).
    pub loss: f32,
    /// Masked positions predicted.
    pub n_targets: usize,
    /// Sentences in the batch.
    pub n_sequences: usize,
}

/// A masked-LM run's whole state.
#[derive(Clone, Debug)]
pub struct MlmTrainer {
    config: MlmTrainConfig,
    tokens: MlmTokens,
    model: BertClassifier,
    head: MlmHead,
    grads: BertGrads,
    head_grads: MlmHeadGrads,
    optimizer: AdamW,
    rng: Rng,
    sequences: Vec<Vec<u32>>,
    order: Vec<usize>,
    cursor: usize,
}

impl MlmTrainer {
    /// A fresh run over already-encoded sentences (`[CLS] … [SEP]`, unpadded).
    ///
    /// # Errors
    /// A bad configuration, a zero batch size, no sentences, or a sentence that does not fit.
    pub fn new(
        config: MlmTrainConfig,
        tokens: MlmTokens,
        sequences: Vec<Vec<u32>>,
    ) -> Result<Self, MlmTrainError> {
        if config.batch_size == 0 {
            return Err(MlmTrainError::Data("the batch size must be positive"));
        }
        if sequences.is_empty() {
            return Err(MlmTrainError::Data("there are no sentences"));
        }
        let m = &config.model;
        if let Some(idx) = sequences.iter().position(|s| {
            s.is_empty()
                || s.len() > m.max_positions
                || s.iter().any(|&id| id as usize >= m.vocab_size)
        }) {
            return Err(MlmTrainError::Sentence(idx));
        }
        let adamw = AdamWConfig {
            weight_decay: config.weight_decay,
            warmup_steps: config.warmup_steps,
            ..AdamWConfig::bert(config.lr, config.total_steps)
        };
        adamw.validate()?;
        let mut rng = rng_from_seed(config.seed);
        let model = BertClassifier::new(&config.model, &mut rng)?;
        let head = MlmHead::new(&config.model, &mut rng);
        let grads = model.zero_grads();
        let head_grads = MlmHeadGrads::zeros_like(&head);
        let order = (0..sequences.len()).collect();
        Ok(Self {
            config,
            tokens,
            model,
            head,
            grads,
            head_grads,
            optimizer: AdamW::new(adamw),
            rng,
            sequences,
            order,
            cursor: 0,
        })
    }

    /// The encoder (its pooler and classifier are not trained here).
    pub fn model(&self) -> &BertClassifier {
        &self.model
    }

    /// The masked-LM head.
    pub fn head(&self) -> &MlmHead {
        &self.head
    }

    /// The learning rate of the next update.
    pub fn current_lr(&self) -> f32 {
        self.optimizer.current_lr()
    }

    /// The next batch's sentences, masked (reshuffled at each pass over the data).
    fn next_masked_batch(&mut self) -> (TokenBatch, Vec<(usize, u32)>) {
        let n = self.config.batch_size.min(self.sequences.len());
        let mut picked = Vec::with_capacity(n);
        for _ in 0..n {
            if self.cursor == 0 {
                shuffle(&mut self.order, &mut self.rng);
            }
            picked.push(self.order[self.cursor]);
            self.cursor = (self.cursor + 1) % self.sequences.len();
        }
        let sentences: Vec<&[u32]> = picked
            .iter()
            .map(|&i| self.sequences[i].as_slice())
            .collect();
        masked_batch(&sentences, &self.tokens, &self.config, &mut self.rng)
    }

    /// Mean masked-LM loss over `sequences` in [`Mode::Eval`], each masked with a generator
    /// seeded by `seed` (the same positions every call, so losses before and after training
    /// compare), in batches of the run's size. `None` if no token was chosen.
    pub fn evaluate_loss(&self, sequences: &[Vec<u32>], seed: u64) -> Option<f32> {
        let mut rng = rng_from_seed(seed);
        let mut total = 0.0_f64;
        let mut n_targets = 0;
        for chunk in sequences.chunks(self.config.batch_size) {
            let sentences: Vec<&[u32]> = chunk.iter().map(Vec::as_slice).collect();
            let (batch, rows) = masked_batch(&sentences, &self.tokens, &self.config, &mut rng);
            if rows.is_empty() {
                continue;
            }
            let (hidden, _) = self.model.encode(&batch, Mode::Eval, &mut rng);
            let picked = hidden.select(Axis(0), &rows.iter().map(|&(r, _)| r).collect::<Vec<_>>());
            let (logits, _) = self
                .head
                .forward(picked.view(), &self.model.embeddings.word);
            let labels: Vec<u32> = rows.iter().map(|&(_, id)| id).collect();
            let (loss, _) = vocabulary_cross_entropy(logits.view(), &labels);
            total += f64::from(loss) * rows.len() as f64;
            n_targets += rows.len();
        }
        (n_targets > 0).then(|| (total / n_targets as f64) as f32)
    }

    /// Masks the next batch, computes the loss and gradients, and takes one AdamW step. A batch
    /// where no token was chosen (short sentences) changes nothing and reports 0 targets.
    pub fn step(&mut self) -> MlmStep {
        let (batch, rows) = self.next_masked_batch();
        let n_sequences = batch.dim().0;
        if rows.is_empty() {
            return MlmStep {
                loss: 0.0,
                n_targets: 0,
                n_sequences,
            };
        }
        let (hidden, cache) = self.model.encode(&batch, Mode::Train, &mut self.rng);
        let picked = hidden.select(Axis(0), &rows.iter().map(|&(r, _)| r).collect::<Vec<_>>());
        let (logits, head_cache) = self
            .head
            .forward(picked.view(), &self.model.embeddings.word);
        let labels: Vec<u32> = rows.iter().map(|&(_, id)| id).collect();
        let (loss, dlogits) = vocabulary_cross_entropy(logits.view(), &labels);
        self.model.clear_grads(&mut self.grads);
        self.head_grads.fill_zero();
        let d_picked = self.head.backward(
            &head_cache,
            dlogits.view(),
            &self.model.embeddings.word,
            &mut self.head_grads,
            &mut self.grads.embeddings.word,
        );
        let mut d_hidden = Array2::zeros(hidden.raw_dim());
        for (&(row, _), d) in rows.iter().zip(d_picked.rows()) {
            let mut target = d_hidden.row_mut(row);
            target += &d;
        }
        self.model
            .backward_encoder(&cache, d_hidden, &mut self.grads);
        let (mut dense, sparse) = self.model.all_params_and_grads(&self.grads);
        dense.extend(self.head.params_and_grads(&self.head_grads));
        self.optimizer.step(dense, sparse);
        MlmStep {
            loss,
            n_targets: rows.len(),
            n_sequences,
        }
    }
}

/// Masks `sentences` into one padded batch; returns it with `(row of the hidden state [n·t, d],
/// id to predict)` for every chosen token.
fn masked_batch(
    sentences: &[&[u32]],
    tokens: &MlmTokens,
    config: &MlmTrainConfig,
    rng: &mut Rng,
) -> (TokenBatch, Vec<(usize, u32)>) {
    let mut ids = Vec::with_capacity(sentences.len());
    let mut targets = Vec::with_capacity(sentences.len());
    for sentence in sentences {
        let masked = mask_tokens(
            sentence,
            &tokens.special,
            tokens.mask_id,
            tokens.first_ordinary,
            config.model.vocab_size as u32,
            config.mask_probability,
            rng,
        );
        ids.push(masked.ids);
        targets.push(masked.targets);
    }
    let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let batch = TokenBatch::from_sequences(&refs);
    let t = batch.dim().1;
    let rows = targets
        .iter()
        .enumerate()
        .flat_map(|(b, seq)| seq.iter().map(move |&(pos, id)| (b * t + pos, id)))
        .collect();
    (batch, rows)
}

/// Mean cross-entropy of `logits` against vocabulary ids, and its gradient (divided by `m`).
///
/// # Shapes
/// `logits`: `[m, vocab]`, `labels`: `[m]` → `dlogits`: `[m, vocab]`
pub fn vocabulary_cross_entropy(logits: ArrayView2<'_, f32>, labels: &[u32]) -> (f32, Array2<f32>) {
    let (m, vocab) = logits.dim();
    assert_eq!(labels.len(), m, "one label per row");
    let mut dlogits = logits.to_owned();
    let mut total = 0.0_f64;
    let inv_m = 1.0 / m as f32;
    for (mut row, &label) in dlogits.rows_mut().into_iter().zip(labels) {
        let label = label as usize;
        assert!(label < vocab, "label {label} outside {vocab} classes");
        let max = row.fold(f32::NEG_INFINITY, |a, &v| a.max(v));
        let z_label = row[label];
        row.mapv_inplace(|v| exp(v - max));
        let sum: f32 = row.sum();
        total += f64::from(sum.ln() + max - z_label);
        let scale = inv_m / sum;
        row.mapv_inplace(|p| p * scale);
        row[label] -= inv_m;
    }
    ((total / m as f64) as f32, dlogits)
}

impl MlmHead {
    /// `transform.w`, `transform.b`, `norm.γ`, `norm.β`, `bias`, with their gradients.
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a MlmHeadGrads) -> Vec<ParamGrad<'a>> {
        let mut out = Vec::with_capacity(5);
        out.extend(self.transform.params_and_grads(&grads.transform));
        out.extend(self.norm.params_and_grads(&grads.norm));
        out.push(ParamGrad::new(
            self.bias.view_mut().into_dyn(),
            grads.dbias.view().into_dyn(),
        ));
        out
    }
}

impl MlmHeadGrads {
    /// Resets to zero.
    pub fn fill_zero(&mut self) {
        self.transform.fill_zero();
        self.norm.fill_zero();
        self.dbias.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::WordPiece;

    #[test]
    fn vocabulary_cross_entropy_matches_its_definition() {
        let logits = ndarray::array![[1.0_f32, 2.0, 0.5], [0.0, 0.0, 0.0]];
        let (loss, d) = vocabulary_cross_entropy(logits.view(), &[1, 2]);
        let first = (1.0_f32.exp() + 2.0_f32.exp() + 0.5_f32.exp()).ln() - 2.0;
        let want = 0.5 * (first + 3.0_f32.ln());
        assert!((loss - want).abs() < 1e-6, "{loss} vs {want}");
        assert!((d.sum()).abs() < 1e-6, "each row's gradient sums to 0");
        assert!((d[(1, 2)] - 0.5 * (1.0 / 3.0 - 1.0)).abs() < 1e-6);
    }

    /// On 64 Brown sentences, BERT-tiny's masked-LM loss starts near ln 30,522 and falls.
    #[test]
    fn mlm_loss_starts_near_ln_vocab_and_falls_on_brown_sentences() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let vocab = std::fs::read_to_string(root.join("public/data/bert-base-uncased-vocab.txt"))
            .expect("the bundled vocabulary");
        let brown = std::fs::read_to_string(root.join("public/data/brown-subset.txt"))
            .expect("the bundled Brown subset");
        let tokenizer = WordPiece::from_vocab_txt(&vocab).expect("a valid vocabulary");
        let sequences: Vec<Vec<u32>> = brown
            .lines()
            .take(64)
            .map(|line| tokenizer.encode_unpadded(line, 32))
            .collect();
        let held_out: Vec<Vec<u32>> = brown
            .lines()
            .skip(64)
            .take(32)
            .map(|line| tokenizer.encode_unpadded(line, 32))
            .collect();
        let config = MlmTrainConfig {
            warmup_steps: 3,
            ..MlmTrainConfig::bert_tiny(2e-3, 40, 16)
        };
        let mut trainer =
            MlmTrainer::new(config, MlmTokens::bert_base_uncased(), sequences).unwrap();
        let before = trainer.evaluate_loss(&held_out, 7).unwrap();
        let losses: Vec<f32> = (0..40).map(|_| trainer.step().loss).collect();
        let after = trainer.evaluate_loss(&held_out, 7).unwrap();
        let ln_vocab = 30_522_f32.ln();
        assert!(
            (before - ln_vocab).abs() < 0.3,
            "held-out loss {before} at the start"
        );
        assert!(after < before - 1.0, "held-out loss {before} → {after}");
        let first = losses[..4].iter().sum::<f32>() / 4.0;
        let last = losses[36..].iter().sum::<f32>() / 4.0;
        assert!(
            (first - ln_vocab).abs() < 0.3,
            "starts at {first}, not near {ln_vocab}"
        );
        assert!(
            last < first - 2.0,
            "falls too little: {first} → {last} ({losses:?})"
        );
    }
}
