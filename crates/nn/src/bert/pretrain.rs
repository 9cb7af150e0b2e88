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
use crate::train::count_correct;

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
    /// Of which the likeliest WordPiece (before the update) was the original one.
    pub n_correct: usize,
    /// Sentences in the batch.
    pub n_sequences: usize,
    /// L2 norm of the step's gradients (encoder and head).
    pub grad_norm: f32,
}

/// The masked-LM loss summed over some sentences' masked positions (see
/// [`MlmTrainer::evaluate_chunk`]); chunks add up.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MlmEvaluation {
    /// Σ of the cross-entropy at each masked position (nats).
    pub loss_sum: f64,
    /// Masked positions predicted.
    pub n_targets: usize,
    /// Of which the likeliest WordPiece was the original one.
    pub n_correct: usize,
}

impl MlmEvaluation {
    /// Adds another chunk's sums.
    pub fn add(&mut self, other: &MlmEvaluation) {
        self.loss_sum += other.loss_sum;
        self.n_targets += other.n_targets;
        self.n_correct += other.n_correct;
    }

    /// Mean loss per masked position, `None` if none was masked.
    pub fn mean_loss(&self) -> Option<f32> {
        (self.n_targets > 0).then(|| (self.loss_sum / self.n_targets as f64) as f32)
    }

    /// Share of masked positions predicted right (0 if none).
    pub fn accuracy(&self) -> f32 {
        self.n_correct as f32 / self.n_targets.max(1) as f32
    }
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

    /// The run's configuration.
    pub fn config(&self) -> &MlmTrainConfig {
        &self.config
    }

    /// Starts from `model` (a loaded or earlier-trained encoder) instead of the seeded one, with
    /// `head` when one came with it (otherwise the seeded head stays). Call before the first
    /// step: the optimizer's moments are reset.
    ///
    /// # Errors
    /// A model whose sizes are not this run's.
    pub fn set_weights(
        &mut self,
        model: BertClassifier,
        head: Option<MlmHead>,
    ) -> Result<(), MlmTrainError> {
        if model.config() != &self.config.model {
            return Err(MlmTrainError::Data(
                "the weights in use are not of this model's sizes",
            ));
        }
        self.grads = model.zero_grads();
        self.model = model;
        if let Some(head) = head {
            self.head_grads = MlmHeadGrads::zeros_like(&head);
            self.head = head;
        }
        self.optimizer = AdamW::new(self.optimizer.config());
        Ok(())
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
        let mut total = MlmEvaluation::default();
        for (idx, chunk) in sequences.chunks(self.config.batch_size).enumerate() {
            total.add(&self.evaluate_chunk(chunk, seed.wrapping_add(idx as u64)));
        }
        total.mean_loss()
    }

    /// The masked-LM loss of `sequences` as one batch in [`Mode::Eval`], masked with a
    /// generator seeded by `seed` (the same positions every call): a bounded piece of an
    /// evaluation that a caller spreads over several calls.
    pub fn evaluate_chunk(&self, sequences: &[Vec<u32>], seed: u64) -> MlmEvaluation {
        let mut rng = rng_from_seed(seed);
        let sentences: Vec<&[u32]> = sequences.iter().map(Vec::as_slice).collect();
        if sentences.is_empty() {
            return MlmEvaluation::default();
        }
        let (batch, rows) = masked_batch(&sentences, &self.tokens, &self.config, &mut rng);
        if rows.is_empty() {
            return MlmEvaluation::default();
        }
        let (hidden, _) = self.model.encode(&batch, Mode::Eval, &mut rng);
        let picked = hidden.select(Axis(0), &rows.iter().map(|&(r, _)| r).collect::<Vec<_>>());
        let (logits, _) = self
            .head
            .forward(picked.view(), &self.model.embeddings.word);
        let labels: Vec<u32> = rows.iter().map(|&(_, id)| id).collect();
        let n_correct = count_correct(logits.view(), &labels);
        let (loss, _) = vocabulary_cross_entropy(logits.view(), &labels);
        MlmEvaluation {
            loss_sum: f64::from(loss) * rows.len() as f64,
            n_targets: rows.len(),
            n_correct,
        }
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
                n_correct: 0,
                n_sequences,
                grad_norm: 0.0,
            };
        }
        let (hidden, cache) = self.model.encode(&batch, Mode::Train, &mut self.rng);
        let picked = hidden.select(Axis(0), &rows.iter().map(|&(r, _)| r).collect::<Vec<_>>());
        let (logits, head_cache) = self
            .head
            .forward(picked.view(), &self.model.embeddings.word);
        let labels: Vec<u32> = rows.iter().map(|&(_, id)| id).collect();
        let n_correct = count_correct(logits.view(), &labels);
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
        let grad_norm = crate::param::grad_norm(&dense, &sparse);
        self.optimizer.step(dense, sparse);
        MlmStep {
            loss,
            n_targets: rows.len(),
            n_correct,
            n_sequences,
            grad_norm,
        }
    }
}

/// The most a masked-LM step may hold at once in a browser tab (512 MiB): a wasm32 heap can
/// grow to 4 GiB, but a tab that also runs the page and a second worker is not safe near that.
/// A modelling choice, not a browser figure.
pub const MLM_MEMORY_BUDGET: u64 = 512 << 20;

/// What one masked-LM step of BERT holds at its peak, in bytes, by part (all `f32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MlmStepMemory {
    /// Weights, their gradients and AdamW's two moments: 4 floats per parameter (the tied
    /// decoder's gradient reaches every word vector, so none of it is sparse here).
    pub weights: u64,
    /// The encoder's caches for the backward pass and the gradients beside them.
    pub activations: u64,
    /// The head's logits over the whole vocabulary and their gradient, per masked token.
    pub logits: u64,
}

impl MlmStepMemory {
    /// An estimate for `batch` sequences of `seq` tokens (`[CLS]` and `[SEP]` included), with
    /// `mask_probability` of the other tokens predicted.
    ///
    /// Per token and layer the encoder keeps about `10·d + 2·f` activations (the layer's input,
    /// Q, K, V, the context, the projections, two LayerNorm outputs, the FFN's pre- and
    /// post-GELU values, dropout masks) and `2·heads·seq` attention probabilities with their
    /// dropout mask; the backward pass holds gradients of the same size, so they count twice.
    /// The head's logits are `[masked, vocab]`, with their gradient beside them.
    #[must_use]
    pub fn estimate(model: &BertConfig, batch: usize, seq: usize, mask_probability: f32) -> Self {
        const F32: u64 = 4;
        let (v, d, f) = (
            model.vocab_size as u64,
            model.hidden as u64,
            model.intermediate as u64,
        );
        let (h, layers) = (model.n_heads as u64, model.n_layers as u64);
        let n_params = bert_mlm_params(model);
        let tokens = (batch * seq) as u64;
        let per_token_layer = 10 * d + 2 * f + 2 * h * seq as u64;
        let embeddings_per_token = 3 * d;
        let activations = 2 * tokens * (layers * per_token_layer + embeddings_per_token) * F32;
        let ordinary = (batch * seq.saturating_sub(2)) as f64;
        let masked = (f64::from(mask_probability) * ordinary).ceil() as u64;
        Self {
            weights: 4 * n_params * F32,
            activations,
            logits: 2 * masked * v * F32,
        }
    }

    /// The sum of the parts.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.weights + self.activations + self.logits
    }

    /// `Ok` when the step fits [`MLM_MEMORY_BUDGET`], else the sentence that refuses it.
    ///
    /// # Errors
    /// A sentence with the estimate and the budget in MiB.
    pub fn check(&self, batch: usize, seq: usize) -> Result<(), String> {
        // Whole MiB, rounded up, with thousands separators ("1,261").
        let mib = |b: u64| {
            let digits = b.div_ceil(1 << 20).to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        if self.total() <= MLM_MEMORY_BUDGET {
            return Ok(());
        }
        Err(format!(
            "A masked-LM step at batch {batch} and length {seq} would hold about {} MiB ({} MiB of it the vocabulary's logits), more than the {} MiB this page allows a step",
            mib(self.total()),
            mib(self.logits),
            mib(MLM_MEMORY_BUDGET)
        ))
    }
}

/// Parameters of BERT with the classifier and the masked-LM head (tied decoder counted once).
#[must_use]
pub fn bert_mlm_params(m: &BertConfig) -> u64 {
    let (v, d) = (m.vocab_size as u64, m.hidden as u64);
    let tables: u64 = m.table_rows().iter().map(|&rows| rows as u64 * d).sum();
    let head = d * d + d + 2 * d + v;
    tables + m.n_dense_params() as u64 + head
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

    #[test]
    fn a_row_is_correct_when_its_label_holds_the_largest_logit() {
        let logits = ndarray::array![[1.0_f32, 2.0, 0.5], [3.0, 3.0, 0.0], [0.0, 0.0, 9.0]];
        // Row 1 ties: the first largest (0) counts.
        assert_eq!(count_correct(logits.view(), &[1, 0, 0]), 2);
        assert_eq!(count_correct(logits.view(), &[0, 1, 2]), 1);
    }

    fn small_trainer(seed: u64) -> MlmTrainer {
        let model = BertConfig {
            vocab_size: 1_100,
            hidden: 16,
            intermediate: 32,
            n_heads: 2,
            n_layers: 1,
            max_positions: 16,
            ..BertConfig::bert_tiny()
        };
        let sequences: Vec<Vec<u32>> = (0..24)
            .map(|i| {
                let mut s = vec![101];
                s.extend((0..10).map(|j| 999 + ((i * 7 + j * 3) % 90) as u32));
                s.push(102);
                s
            })
            .collect();
        let config = MlmTrainConfig {
            model,
            seed,
            ..MlmTrainConfig::bert_tiny(5e-3, 30, 8)
        };
        MlmTrainer::new(config, MlmTokens::bert_base_uncased(), sequences).unwrap()
    }

    #[test]
    fn an_evaluation_in_chunks_adds_up_to_the_whole_and_counts_its_hits() {
        let mut trainer = small_trainer(2);
        let held_out: Vec<Vec<u32>> = trainer.sequences[..12].to_vec();
        for _ in 0..20 {
            let step = trainer.step();
            assert!(step.n_correct <= step.n_targets);
            assert!(step.grad_norm > 0.0 && step.grad_norm.is_finite());
        }
        let mut total = MlmEvaluation::default();
        for (idx, chunk) in held_out.chunks(8).enumerate() {
            total.add(&trainer.evaluate_chunk(chunk, 7 + idx as u64));
        }
        let whole = trainer.evaluate_loss(&held_out, 7).unwrap();
        assert!((total.mean_loss().unwrap() - whole).abs() < 1e-6);
        assert!(total.n_correct <= total.n_targets && total.n_targets > 0);
        assert_eq!(trainer.evaluate_chunk(&[], 1), MlmEvaluation::default());
        assert_eq!(MlmEvaluation::default().mean_loss(), None);
    }

    #[test]
    fn a_run_can_start_from_given_weights_of_its_sizes_only() {
        let mut trained = small_trainer(3);
        for _ in 0..5 {
            trained.step();
        }
        let mut fresh = small_trainer(4);
        fresh
            .set_weights(trained.model().clone(), Some(trained.head().clone()))
            .unwrap();
        assert_eq!(fresh.model(), trained.model());
        assert_eq!(fresh.head(), trained.head());
        let mut rng = rng_from_seed(1);
        let other = BertClassifier::new(&BertConfig::bert_tiny(), &mut rng).unwrap();
        assert!(fresh.set_weights(other, None).is_err());
        assert_eq!(
            fresh.model(),
            trained.model(),
            "a refused model changes nothing"
        );
    }

    #[test]
    fn the_parameter_count_matches_the_models_own() {
        let config = BertConfig::bert_tiny();
        let mut rng = rng_from_seed(1);
        let model = BertClassifier::new(&config, &mut rng).unwrap();
        let head = MlmHead::new(&config, &mut rng);
        // The head's own parameters: transform d×d + d, LayerNorm 2d, bias V.
        let head_params = 128 * 128 + 128 + 2 * 128 + 30_522;
        assert_eq!(head.bias.len(), 30_522);
        assert_eq!(
            bert_mlm_params(&config),
            (model.n_params() + head_params) as u64
        );
    }

    /// BERT-tiny at batch 4, length 64: 4 × 62 ordinary tokens, 15% → ⌈37.2⌉ = 38 predicted,
    /// logits 2 × 38 × 30,522 × 4 B; activations 2 × 256 tokens × (2 × (1,280 + 1,024 + 256)
    /// + 384) × 4 B.
    #[test]
    fn the_memory_estimate_adds_its_parts_and_refuses_what_a_tab_cannot_hold() {
        let config = BertConfig::bert_tiny();
        let small = MlmStepMemory::estimate(&config, 4, 64, 0.15);
        assert_eq!(small.logits, 2 * 38 * 30_522 * 4);
        assert_eq!(
            small.activations,
            2 * 256 * (2 * (1_280 + 1_024 + 256) + 384) * 4
        );
        assert_eq!(small.weights, 4 * bert_mlm_params(&config) * 4);
        assert_eq!(
            small.total(),
            small.weights + small.activations + small.logits
        );
        assert_eq!(small.check(4, 64), Ok(()));
        // Twice the batch never costs less; the real run's 512 × 128 is far over.
        let mut last = 0;
        for batch in [1, 2, 4, 8, 16, 32, 64] {
            let total = MlmStepMemory::estimate(&config, batch, 64, 0.15).total();
            assert!(total > last, "batch {batch}");
            last = total;
        }
        let real = MlmStepMemory::estimate(&config, 512, 128, 0.15);
        let refused = real.check(512, 128).unwrap_err();
        assert!(
            refused.starts_with("A masked-LM step at batch 512 and length 128 would hold about "),
            "{refused}"
        );
        assert!(
            refused.ends_with("more than the 512 MiB this page allows a step"),
            "{refused}"
        );
        // The largest batch that fits at length 64 lies between 16 and 512.
        let fits = |b| {
            MlmStepMemory::estimate(&config, b, 64, 0.15)
                .check(b, 64)
                .is_ok()
        };
        assert!(fits(16) && !fits(512));
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
