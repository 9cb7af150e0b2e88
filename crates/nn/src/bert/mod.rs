//! BERT-tiny (Turc et al. 2019, `google/bert_uncased_L-2_H-128_A-2`): the transformer encoder of
//! BERT with 2 layers, hidden width 128, 2 heads and an intermediate width of 512, a `[CLS]`
//! pooler with a classifier head, and a masked-LM head whose decoder is tied to the token
//! embeddings. Hugging Face's `BertForSequenceClassification` with the same sizes computes the
//! same function.
//!
//! - GELU is the exact erf form ([`crate::layers::gelu`]), as HF's `"gelu"`.
//! - LayerNorm ε is 1e-12; dropout 0.1 after the embeddings, on the attention probabilities,
//!   after each sub-layer's output projection, and before the classifier.
//! - Padded keys get −10,000 added to their attention scores ([`AttentionMask`]).
//! - The token, position and segment embeddings' gradients are sparse rows
//!   ([`EmbeddingGrads`]): a step touches only the rows the batch used.

pub mod checkpoints;
pub mod corpus;
mod encoder;
pub mod mlm;
mod mlm_head;
pub mod naive_bayes;
pub mod pretrain;
pub mod safetensors;
pub mod train;
pub mod weights;

pub use encoder::{EncoderLayer, EncoderLayerCache, EncoderLayerGrads};
pub use mlm_head::{MlmHead, MlmHeadCache, MlmHeadGrads};

use ndarray::{Array2, ArrayView2, Axis};

use crate::layers::{
    AttentionMask, Dropout, DropoutCache, Embedding, EmbeddingCache, EmbeddingGrads, LayerNorm,
    LayerNormCache, LayerNormGrads, Linear, LinearCache, LinearGrads, Mode, Queries, Tanh,
    TanhCache, first_rows, first_rows_mut,
};
use crate::model::Model;
use crate::param::{ParamGrad, SparseRowsGrad};
use crate::rng::Rng;

/// BERT's sizes and regularisation.
#[derive(Clone, Debug, PartialEq)]
pub struct BertConfig {
    /// Token vocabulary (30,522 for bert-base-uncased's WordPiece vocabulary).
    pub vocab_size: usize,
    /// Hidden width `d` (128).
    pub hidden: usize,
    /// Encoder layers (2).
    pub n_layers: usize,
    /// Attention heads (2); divides `hidden`.
    pub n_heads: usize,
    /// Feed-forward width (512).
    pub intermediate: usize,
    /// Position embeddings, the longest sequence (512).
    pub max_positions: usize,
    /// Segment (token type) embeddings (2).
    pub n_segments: usize,
    /// Dropout on hidden states (0.1).
    pub hidden_dropout: f32,
    /// Dropout on attention probabilities (0.1).
    pub attention_dropout: f32,
    /// LayerNorm ε (1e-12).
    pub layer_norm_eps: f32,
    /// Standard deviation of the initial weights (0.02).
    pub init_std: f32,
    /// Classes of the classifier head (2).
    pub n_classes: usize,
}

impl BertConfig {
    /// BERT-tiny over bert-base-uncased's vocabulary, with a two-class head.
    pub fn bert_tiny() -> Self {
        Self {
            vocab_size: 30_522,
            hidden: 128,
            n_layers: 2,
            n_heads: 2,
            intermediate: 512,
            max_positions: 512,
            n_segments: 2,
            hidden_dropout: 0.1,
            attention_dropout: 0.1,
            layer_norm_eps: 1e-12,
            init_std: 0.02,
            n_classes: 2,
        }
    }

    /// Rows of the three embedding tables (word, position, segment), each `hidden` wide.
    pub fn table_rows(&self) -> [usize; 3] {
        [self.vocab_size, self.max_positions, self.n_segments]
    }

    /// Parameters of a [`BertClassifier`] of these sizes outside its embedding tables: the
    /// embeddings' LayerNorm, every encoder layer, the pooler and the classifier.
    pub fn n_dense_params(&self) -> usize {
        let (d, f) = (self.hidden, self.intermediate);
        let layer = 4 * (d * d + d) + 2 * 2 * d + (d * f + f) + (f * d + d);
        2 * d + self.n_layers * layer + (d * d + d) + (d * self.n_classes + self.n_classes)
    }

    /// Checks the sizes.
    ///
    /// # Errors
    /// A zero size, heads that do not divide the width, or a dropout outside `[0, 1)`.
    pub fn validate(&self) -> Result<(), BertConfigError> {
        for (value, name) in [
            (self.vocab_size, "the vocabulary size"),
            (self.hidden, "the hidden width"),
            (self.n_layers, "the number of layers"),
            (self.n_heads, "the number of heads"),
            (self.intermediate, "the intermediate width"),
            (self.max_positions, "the number of positions"),
            (self.n_segments, "the number of segments"),
            (self.n_classes, "the number of classes"),
        ] {
            if value == 0 {
                return Err(BertConfigError::Zero(name));
            }
        }
        if !self.hidden.is_multiple_of(self.n_heads) {
            return Err(BertConfigError::Heads {
                hidden: self.hidden,
                n_heads: self.n_heads,
            });
        }
        for p in [self.hidden_dropout, self.attention_dropout] {
            if !(0.0..1.0).contains(&p) {
                return Err(BertConfigError::Dropout(p));
            }
        }
        Ok(())
    }
}

/// A rejected [`BertConfig`] or batch.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BertConfigError {
    /// A size is zero.
    #[error("{0} must be positive")]
    Zero(&'static str),
    /// Heads must split the width evenly.
    #[error("{n_heads} heads do not divide the hidden width {hidden}")]
    Heads {
        /// Hidden width.
        hidden: usize,
        /// Heads.
        n_heads: usize,
    },
    /// A dropout probability outside `[0, 1)`.
    #[error("a dropout probability must be in [0, 1), not {0}")]
    Dropout(f32),
}

/// A batch of token sequences, padded to one length `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBatch {
    /// Token ids, `[n, t]` (each below the vocabulary size).
    pub token_ids: Array2<u32>,
    /// Segment ids, `[n, t]` (0 or 1).
    pub segment_ids: Array2<u8>,
    /// 1 for a real token, 0 for padding, `[n, t]`.
    pub attention_mask: Array2<u8>,
}

impl TokenBatch {
    /// `(n, t)`.
    pub fn dim(&self) -> (usize, usize) {
        self.token_ids.dim()
    }

    /// One encoded sequence padded with `[PAD]` (id 0) to exactly `len` positions, the mask
    /// hiding the padding: the fixed shape a compiled model sees. A sequence longer than `len`
    /// keeps its first `len` ids.
    pub fn padded(ids: &[u32], len: usize) -> Self {
        let len = len.max(1);
        let mut token_ids = Array2::zeros((1, len));
        let mut attention_mask = Array2::zeros((1, len));
        for (i, &id) in ids.iter().take(len).enumerate() {
            token_ids[(0, i)] = id;
            attention_mask[(0, i)] = 1;
        }
        Self {
            token_ids,
            segment_ids: Array2::zeros((1, len)),
            attention_mask,
        }
    }

    /// Stacks already-encoded sequences (each starting with `[CLS]`), padding with id 0 (`[PAD]`)
    /// to the longest; all segment ids 0.
    pub fn from_sequences(sequences: &[&[u32]]) -> Self {
        Self::from_sequences_padded(sequences, 1)
    }

    /// [`from_sequences`](Self::from_sequences), padded to at least `min_len` positions: a
    /// data-parallel shard pads to its global batch's longest sentence, so the rows it touches
    /// do not depend on how the batch was split.
    ///
    /// # Shapes
    /// → `(sequences.len(), max(longest, min_len, 1))`
    pub fn from_sequences_padded(sequences: &[&[u32]], min_len: usize) -> Self {
        let n = sequences.len();
        let t = sequences
            .iter()
            .map(|s| s.len())
            .max()
            .unwrap_or(0)
            .max(min_len)
            .max(1);
        let mut token_ids = Array2::zeros((n, t));
        let mut attention_mask = Array2::zeros((n, t));
        for (b, seq) in sequences.iter().enumerate() {
            for (i, &id) in seq.iter().enumerate() {
                token_ids[(b, i)] = id;
                attention_mask[(b, i)] = 1;
            }
        }
        Self {
            token_ids,
            segment_ids: Array2::zeros((n, t)),
            attention_mask,
        }
    }
}

/// BERT's embeddings: token + position + segment, then LayerNorm and dropout.
#[derive(Clone, Debug, PartialEq)]
pub struct BertEmbeddings {
    /// `word_embeddings`, `[vocab, d]`.
    pub word: Embedding,
    /// `position_embeddings`, `[max_positions, d]`.
    pub position: Embedding,
    /// `token_type_embeddings`, `[n_segments, d]`.
    pub segment: Embedding,
    /// `LayerNorm`.
    pub norm: LayerNorm,
    /// Hidden dropout.
    pub dropout: Dropout,
}

/// Gradients of [`BertEmbeddings`] (sparse rows for the three tables).
#[derive(Clone, Debug, PartialEq)]
pub struct BertEmbeddingsGrads {
    /// Of `word`.
    pub word: EmbeddingGrads,
    /// Of `position`.
    pub position: EmbeddingGrads,
    /// Of `segment`.
    pub segment: EmbeddingGrads,
    /// Of `norm`.
    pub norm: LayerNormGrads,
}

/// What the embeddings' backward pass needs.
#[derive(Clone, Debug)]
pub struct BertEmbeddingsCache {
    word: EmbeddingCache,
    position: EmbeddingCache,
    segment: EmbeddingCache,
    norm: LayerNormCache,
    dropout: DropoutCache<ndarray::Ix2>,
}

/// What [`BertClassifier`]'s backward pass needs.
#[derive(Clone, Debug)]
pub struct BertCache {
    n: usize,
    t: usize,
    /// Whether the last layer computed the `[CLS]` rows only ([`Queries::First`]).
    cls_only: bool,
    embeddings: BertEmbeddingsCache,
    layers: Vec<EncoderLayerCache>,
    pooler: LinearCache,
    pooler_tanh: TanhCache<ndarray::Ix2>,
    classifier_dropout: DropoutCache<ndarray::Ix2>,
    classifier: LinearCache,
}

/// What [`BertClassifier::encode`] returns beside the hidden states.
#[derive(Clone, Debug)]
pub struct EncoderCache {
    n: usize,
    t: usize,
    embeddings: BertEmbeddingsCache,
    layers: Vec<EncoderLayerCache>,
}

/// Gradients of a [`BertClassifier`].
#[derive(Clone, Debug, PartialEq)]
pub struct BertGrads {
    /// Of the embeddings.
    pub embeddings: BertEmbeddingsGrads,
    /// Per encoder layer.
    pub layers: Vec<EncoderLayerGrads>,
    /// Of the pooler's dense layer.
    pub pooler: LinearGrads,
    /// Of the classifier.
    pub classifier: LinearGrads,
}

/// `BertForSequenceClassification`: embeddings, encoder, `[CLS]` pooler (dense + tanh), dropout,
/// classifier.
#[derive(Clone, Debug, PartialEq)]
pub struct BertClassifier {
    config: BertConfig,
    /// Token, position and segment embeddings.
    pub embeddings: BertEmbeddings,
    /// Encoder layers, input first.
    pub layers: Vec<EncoderLayer>,
    /// Pooler dense layer, `[d, d]`.
    pub pooler: Linear,
    /// Classifier, `[d, n_classes]`.
    pub classifier: Linear,
    /// Dropout before the classifier.
    pub dropout: Dropout,
}

impl BertClassifier {
    /// A seeded, freshly initialised model (HF's initialisation: `N(0, 0.02²)` weights and
    /// embeddings, zero biases, LayerNorm `γ = 1`, `β = 0`, the `[PAD]` row zero).
    ///
    /// # Errors
    /// If the configuration does not validate.
    pub fn new(config: &BertConfig, rng: &mut Rng) -> Result<Self, BertConfigError> {
        config.validate()?;
        let d = config.hidden;
        let mut word = Embedding::new(config.vocab_size, d, config.init_std, rng);
        word.table.row_mut(0).fill(0.0);
        let embeddings = BertEmbeddings {
            word,
            position: Embedding::new(config.max_positions, d, config.init_std, rng),
            segment: Embedding::new(config.n_segments, d, config.init_std, rng),
            norm: LayerNorm::new(d, config.layer_norm_eps),
            dropout: Dropout {
                p: config.hidden_dropout,
            },
        };
        let layers = (0..config.n_layers)
            .map(|_| EncoderLayer::new(config, rng))
            .collect();
        Ok(Self {
            config: config.clone(),
            embeddings,
            layers,
            pooler: Linear::normal(d, d, config.init_std, rng),
            classifier: Linear::normal(d, config.n_classes, config.init_std, rng),
            dropout: Dropout {
                p: config.hidden_dropout,
            },
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Checks that a batch fits: ids inside the tables, length within the positions.
    ///
    /// # Errors
    /// A sentence of what is out of range.
    pub fn check_batch(&self, batch: &TokenBatch) -> Result<(), BatchError> {
        let (n, t) = batch.dim();
        if batch.segment_ids.dim() != (n, t) || batch.attention_mask.dim() != (n, t) {
            return Err(BatchError::Shapes);
        }
        if t > self.config.max_positions {
            return Err(BatchError::TooLong {
                t,
                max: self.config.max_positions,
            });
        }
        if let Some(&id) = batch
            .token_ids
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(BatchError::TokenId {
                id,
                vocab_size: self.config.vocab_size,
            });
        }
        if let Some(&id) = batch
            .segment_ids
            .iter()
            .find(|&&id| usize::from(id) >= self.config.n_segments)
        {
            return Err(BatchError::SegmentId(id));
        }
        Ok(())
    }

    /// Embeddings and encoder: the hidden state of every token.
    ///
    /// # Shapes
    /// `batch`: `(n, t)` → hidden: `[n·t, d]`
    ///
    /// # Panics
    /// If the batch does not pass [`check_batch`](Self::check_batch).
    pub fn encode(
        &self,
        batch: &TokenBatch,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, EncoderCache) {
        self.encode_with(batch, mode, rng, Queries::All)
    }

    /// [`encode`](Self::encode), with the last layer computing the rows `last` names only.
    ///
    /// # Shapes
    /// `batch`: `(n, t)` → hidden: `[n·t, d]`, or `[n, d]` with [`Queries::First`] (and at
    /// least one layer)
    fn encode_with(
        &self,
        batch: &TokenBatch,
        mode: Mode,
        rng: &mut Rng,
        last: Queries,
    ) -> (Array2<f32>, EncoderCache) {
        if let Err(error) = self.check_batch(batch) {
            panic!("BertClassifier: {error}");
        }
        let (n, t) = batch.dim();
        let ids: Vec<usize> = batch.token_ids.iter().map(|&id| id as usize).collect();
        let positions: Vec<usize> = (0..n).flat_map(|_| 0..t).collect();
        let segments: Vec<usize> = batch
            .segment_ids
            .iter()
            .map(|&id| usize::from(id))
            .collect();
        let e = &self.embeddings;
        let (mut x, word) = e.word.forward(&ids);
        let (p, position) = e.position.forward(&positions);
        let (sg, segment) = e.segment.forward(&segments);
        x += &p;
        x += &sg;
        let (x, norm) = e.norm.forward(x.view());
        let (mut h, dropout) = e.dropout.forward(x.view(), mode, rng);
        let mask = AttentionMask::from_mask(batch.attention_mask.view());
        let mut layers = Vec::with_capacity(self.layers.len());
        for (idx, layer) in self.layers.iter().enumerate() {
            let queries = if idx + 1 == self.layers.len() {
                last
            } else {
                Queries::All
            };
            let (y, cache) = layer.forward_queries(h.view(), &mask, queries, mode, rng);
            layers.push(cache);
            h = y;
        }
        (
            h,
            EncoderCache {
                n,
                t,
                embeddings: BertEmbeddingsCache {
                    word,
                    position,
                    segment,
                    norm,
                    dropout,
                },
                layers,
            },
        )
    }

    /// Backward through the encoder and embeddings; adds into `grads`.
    ///
    /// # Shapes
    /// `d_hidden`: `[n·t, d]`
    pub fn backward_encoder(
        &self,
        cache: &EncoderCache,
        d_hidden: Array2<f32>,
        grads: &mut BertGrads,
    ) {
        let parts = EncoderCacheRef {
            embeddings: &cache.embeddings,
            layers: &cache.layers,
        };
        self.backward_encoder_parts(parts, d_hidden, grads);
    }

    /// Forward pass to class logits. The classifier reads only the `[CLS]` rows of the last
    /// layer, so that layer computes only those (its keys and values still come from every
    /// token; see [`Queries::First`]): the same logits as the full layer, for about 40 % fewer
    /// encoder FLOPs in BERT-tiny, forward and backward.
    ///
    /// # Shapes
    /// `batch`: `(n, t)` → logits: `[n, n_classes]`
    pub fn forward_batch(
        &self,
        batch: &TokenBatch,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, BertCache) {
        self.forward_classifier(batch, mode, rng, Queries::First)
    }

    fn forward_classifier(
        &self,
        batch: &TokenBatch,
        mode: Mode,
        rng: &mut Rng,
        last: Queries,
    ) -> (Array2<f32>, BertCache) {
        let cls_only = last == Queries::First && !self.layers.is_empty();
        let (h, encoder) = self.encode_with(batch, mode, rng, last);
        let (n, t) = (encoder.n, encoder.t);
        let cls = if cls_only {
            h
        } else {
            first_rows(h.view(), t).to_owned()
        };
        assert_eq!(cls.nrows(), n);
        let (pooled, pooler) = self.pooler.forward(cls.view());
        let (pooled, pooler_tanh) = Tanh.forward(pooled.view());
        let (pooled, classifier_dropout) = self.dropout.forward(pooled.view(), mode, rng);
        let (logits, classifier) = self.classifier.forward(pooled.view());
        (
            logits,
            BertCache {
                n,
                t,
                cls_only,
                embeddings: encoder.embeddings,
                layers: encoder.layers,
                pooler,
                pooler_tanh,
                classifier_dropout,
                classifier,
            },
        )
    }

    /// Inference with the attention maps: logits in [`Mode::Eval`] and, per layer, the
    /// attention probabilities (padding columns are 0: the mask hides them). The last layer
    /// runs in full here, since its every row is shown.
    ///
    /// # Shapes
    /// `batch`: `(n, t)` → logits: `[n, n_classes]`, maps: `n_layers × [n, heads, t, t]`
    pub fn infer_with_attention(
        &self,
        batch: &TokenBatch,
    ) -> (Array2<f32>, Vec<ndarray::Array4<f32>>) {
        let (logits, cache) = self.forward_classifier(
            batch,
            Mode::Eval,
            &mut crate::rng::rng_from_seed(0),
            Queries::All,
        );
        let maps = cache
            .layers
            .iter()
            .map(|layer| layer.attention.probabilities().to_owned())
            .collect();
        (logits, maps)
    }

    /// Inference: logits in [`Mode::Eval`] (no dropout, no random draws).
    ///
    /// # Shapes
    /// `batch`: `(n, t)` → logits: `[n, n_classes]`
    pub fn infer(&self, batch: &TokenBatch) -> Array2<f32> {
        self.forward_batch(batch, Mode::Eval, &mut crate::rng::rng_from_seed(0))
            .0
    }

    /// The `k` most probable tokens, with their probabilities, at each of `positions` of the
    /// first sentence of `batch`, as the masked-LM `head` (tied to this model's word
    /// embeddings) predicts them: inference, no dropout. Positions past the sentence give
    /// nothing.
    ///
    /// # Panics
    /// If the batch does not pass [`check_batch`](Self::check_batch), or `head` is not of
    /// this model's sizes.
    pub fn fill_mask(
        &self,
        head: &MlmHead,
        batch: &TokenBatch,
        positions: &[usize],
        k: usize,
    ) -> Vec<Vec<(u32, f32)>> {
        let (hidden, _) = self.encode(batch, Mode::Eval, &mut crate::rng::rng_from_seed(0));
        let t = batch.dim().1;
        let rows: Vec<usize> = positions.iter().copied().filter(|&p| p < t).collect();
        let picked = hidden.select(Axis(0), &rows);
        let (logits, _) = head.forward(picked.view(), &self.embeddings.word);
        crate::loss::softmax(logits.view())
            .rows()
            .into_iter()
            .map(|p| {
                let mut order: Vec<usize> = (0..p.len()).collect();
                order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
                order
                    .into_iter()
                    .take(k)
                    .map(|id| (id as u32, p[id]))
                    .collect()
            })
            .collect()
    }

    /// Backward pass from the logits; adds into `grads`.
    ///
    /// # Shapes
    /// `dlogits`: `[n, n_classes]`
    pub fn backward_batch(
        &self,
        cache: &BertCache,
        dlogits: ArrayView2<'_, f32>,
        grads: &mut BertGrads,
    ) {
        let (n, t) = (cache.n, cache.t);
        assert_eq!(
            dlogits.nrows(),
            n,
            "BertClassifier: one dlogits row per sequence"
        );
        let d_pooled = self
            .classifier
            .backward(&cache.classifier, dlogits, &mut grads.classifier);
        let d_pooled = self
            .dropout
            .backward(&cache.classifier_dropout, d_pooled.view());
        let d_pooled = Tanh.backward(&cache.pooler_tanh, d_pooled.view());
        let d_cls = self
            .pooler
            .backward(&cache.pooler, d_pooled.view(), &mut grads.pooler);
        let d_hidden = if cache.cls_only {
            d_cls
        } else {
            let mut d_hidden = Array2::zeros((n * t, self.config.hidden));
            first_rows_mut(d_hidden.view_mut(), t).assign(&d_cls);
            d_hidden
        };
        // The encoder cache's parts, borrowed back from the classifier cache.
        let encoder = EncoderCacheRef {
            embeddings: &cache.embeddings,
            layers: &cache.layers,
        };
        self.backward_encoder_parts(encoder, d_hidden, grads);
    }

    fn backward_encoder_parts(
        &self,
        cache: EncoderCacheRef<'_>,
        d_hidden: Array2<f32>,
        grads: &mut BertGrads,
    ) {
        let mut dh = d_hidden;
        for ((layer, c), g) in self
            .layers
            .iter()
            .zip(cache.layers)
            .zip(&mut grads.layers)
            .rev()
        {
            dh = layer.backward(c, dh.view(), g);
        }
        let e = &self.embeddings;
        let c = cache.embeddings;
        let g = &mut grads.embeddings;
        let dx = e.dropout.backward(&c.dropout, dh.view());
        let dx = e.norm.backward(&c.norm, dx.view(), &mut g.norm);
        e.word.backward(&c.word, dx.view(), &mut g.word);
        e.position.backward(&c.position, dx.view(), &mut g.position);
        e.segment.backward(&c.segment, dx.view(), &mut g.segment);
    }

    /// Zero gradients.
    pub fn zero_grads(&self) -> BertGrads {
        let e = &self.embeddings;
        BertGrads {
            embeddings: BertEmbeddingsGrads {
                word: EmbeddingGrads::zeros_like(&e.word),
                position: EmbeddingGrads::zeros_like(&e.position),
                segment: EmbeddingGrads::zeros_like(&e.segment),
                norm: LayerNormGrads::zeros_like(&e.norm),
            },
            layers: self
                .layers
                .iter()
                .map(EncoderLayerGrads::zeros_like)
                .collect(),
            pooler: LinearGrads::zeros_like(&self.pooler),
            classifier: LinearGrads::zeros_like(&self.classifier),
        }
    }

    /// Number of trainable scalars (4,386,178 for BERT-tiny with two classes).
    pub fn n_params(&self) -> usize {
        let e = &self.embeddings;
        let dense = |l: &Linear| l.w.len() + l.b.len();
        e.word.table.len()
            + e.position.table.len()
            + e.segment.table.len()
            + 2 * e.norm.gamma.len()
            + self
                .layers
                .iter()
                .map(|l| {
                    let a = &l.attention;
                    dense(&a.query)
                        + dense(&a.key)
                        + dense(&a.value)
                        + dense(&a.output)
                        + 2 * l.attention_norm.gamma.len()
                        + dense(&l.intermediate)
                        + dense(&l.output)
                        + 2 * l.output_norm.gamma.len()
                })
                .sum::<usize>()
            + dense(&self.pooler)
            + dense(&self.classifier)
    }
}

struct EncoderCacheRef<'a> {
    embeddings: &'a BertEmbeddingsCache,
    layers: &'a [EncoderLayerCache],
}

/// A batch the model cannot take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Token ids, segment ids and mask differ in shape.
    #[error("the token ids, segment ids and attention mask must have the same shape")]
    Shapes,
    /// Longer than the position table.
    #[error("a sequence of {t} tokens is longer than the model's {max} positions")]
    TooLong {
        /// Length.
        t: usize,
        /// Positions.
        max: usize,
    },
    /// A token id outside the vocabulary.
    #[error("token id {id} is outside the vocabulary of {vocab_size}")]
    TokenId {
        /// The id.
        id: u32,
        /// Vocabulary size.
        vocab_size: usize,
    },
    /// A segment id other than 0 or 1.
    #[error("segment id {0} is not 0 or 1")]
    SegmentId(u8),
}

impl BertGrads {
    /// Resets to zero (the embeddings' cost is the rows touched, not the tables).
    pub fn fill_zero(&mut self) {
        let e = &mut self.embeddings;
        e.word.fill_zero();
        e.position.fill_zero();
        e.segment.fill_zero();
        e.norm.fill_zero();
        self.layers
            .iter_mut()
            .for_each(EncoderLayerGrads::fill_zero);
        self.pooler.fill_zero();
        self.classifier.fill_zero();
    }
}

impl Model for BertClassifier {
    type Input = TokenBatch;
    type Grads = BertGrads;
    type Cache = BertCache;

    fn forward(&self, x: &TokenBatch, mode: Mode, rng: &mut Rng) -> (Array2<f32>, BertCache) {
        self.forward_batch(x, mode, rng)
    }

    fn backward(&self, cache: &BertCache, dlogits: ArrayView2<'_, f32>, grads: &mut BertGrads) {
        self.backward_batch(cache, dlogits, grads);
    }

    fn zero_grads(&self) -> BertGrads {
        BertClassifier::zero_grads(self)
    }

    fn clear_grads(&self, grads: &mut BertGrads) {
        grads.fill_zero();
    }

    /// Embedding LayerNorm, each layer (attention q, k, v, output, its LayerNorm, intermediate,
    /// output, its LayerNorm), pooler, classifier.
    fn params_and_grads<'a>(&'a mut self, grads: &'a BertGrads) -> Vec<ParamGrad<'a>> {
        self.all_params_and_grads(grads).0
    }

    /// The dense list, and the word, position and segment tables as sparse rows.
    fn all_params_and_grads<'a>(
        &'a mut self,
        grads: &'a BertGrads,
    ) -> (Vec<ParamGrad<'a>>, Vec<SparseRowsGrad<'a>>) {
        let BertEmbeddings {
            word,
            position,
            segment,
            norm,
            ..
        } = &mut self.embeddings;
        let g = &grads.embeddings;
        let sparse = vec![
            word.sparse_param_and_grad(&g.word),
            position.sparse_param_and_grad(&g.position),
            segment.sparse_param_and_grad(&g.segment),
        ];
        let mut dense = Vec::new();
        dense.extend(norm.params_and_grads(&g.norm));
        for (layer, g) in self.layers.iter_mut().zip(&grads.layers) {
            dense.extend(layer.params_and_grads(g));
        }
        dense.extend(self.pooler.params_and_grads(&grads.pooler));
        dense.extend(self.classifier.params_and_grads(&grads.classifier));
        (dense, sparse)
    }
}

#[cfg(test)]
mod tests;
