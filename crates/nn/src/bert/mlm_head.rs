//! The masked-LM head, tied to the token embeddings.

use ndarray::{Array1, Array2, ArrayView2, Axis, linalg::general_mat_mul};

use crate::layers::{
    Embedding, EmbeddingGrads, Gelu, GeluCache, LayerNorm, LayerNormCache, LayerNormGrads, Linear,
    LinearCache, LinearGrads,
};
use crate::rng::Rng;

use super::BertConfig;

/// The masked-LM head (`cls.predictions`): dense + GELU + LayerNorm, then a decoder tied to the
/// token embeddings, `logits = h · Eᵀ + bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct MlmHead {
    /// `transform.dense`, `[d, d]`.
    pub transform: Linear,
    /// `transform.LayerNorm`.
    pub norm: LayerNorm,
    /// Decoder bias, `[vocab]`.
    pub bias: Array1<f32>,
}

/// Gradients of an [`MlmHead`] (the tied decoder's weight gradient goes to the word embeddings).
#[derive(Clone, Debug, PartialEq)]
pub struct MlmHeadGrads {
    /// Of `transform`.
    pub transform: LinearGrads,
    /// Of `norm`.
    pub norm: LayerNormGrads,
    /// Of `bias`.
    pub dbias: Array1<f32>,
}

/// What [`MlmHead::backward`] needs.
#[derive(Clone, Debug)]
pub struct MlmHeadCache {
    pub(super) transform: LinearCache,
    pub(super) gelu: GeluCache<ndarray::Ix2>,
    pub(super) norm: LayerNormCache,
    pub(super) h: Array2<f32>,
}

impl MlmHead {
    /// A fresh head for `config`.
    pub fn new(config: &BertConfig, rng: &mut Rng) -> Self {
        Self {
            transform: Linear::normal(config.hidden, config.hidden, config.init_std, rng),
            norm: LayerNorm::new(config.hidden, config.layer_norm_eps),
            bias: Array1::zeros(config.vocab_size),
        }
    }

    /// Vocabulary logits for the hidden states of the masked positions.
    ///
    /// # Shapes
    /// `hidden`: `[m, d]`, `word_embeddings`: `[vocab, d]` → logits: `[m, vocab]`
    pub fn forward(
        &self,
        hidden: ArrayView2<'_, f32>,
        word_embeddings: &Embedding,
    ) -> (Array2<f32>, MlmHeadCache) {
        let (x, transform) = self.transform.forward(hidden);
        let (x, gelu) = Gelu.forward(x.view());
        let (h, norm) = self.norm.forward(x.view());
        let mut logits = Array2::zeros((h.nrows(), self.bias.len()));
        logits.assign(&self.bias);
        general_mat_mul(1.0, &h, &word_embeddings.table.t(), 1.0, &mut logits);
        (
            logits,
            MlmHeadCache {
                transform,
                gelu,
                norm,
                h,
            },
        )
    }

    /// Backward pass; adds into `grads` and the tied table's `word_grads` (every row: the
    /// decoder's gradient is dense). Returns the gradient of the hidden states.
    ///
    /// # Shapes
    /// `dlogits`: `[m, vocab]` → `d_hidden`: `[m, d]`
    pub fn backward(
        &self,
        cache: &MlmHeadCache,
        dlogits: ArrayView2<'_, f32>,
        word_embeddings: &Embedding,
        grads: &mut MlmHeadGrads,
        word_grads: &mut EmbeddingGrads,
    ) -> Array2<f32> {
        grads.dbias += &dlogits.sum_axis(Axis(0));
        word_grads.add_dense(dlogits.t().dot(&cache.h).view());
        let dh = dlogits.dot(&word_embeddings.table);
        let dx = self.norm.backward(&cache.norm, dh.view(), &mut grads.norm);
        let dx = Gelu.backward(&cache.gelu, dx.view());
        self.transform
            .backward(&cache.transform, dx.view(), &mut grads.transform)
    }
}

impl MlmHeadGrads {
    /// Zeros shaped like `head`'s parameters.
    pub fn zeros_like(head: &MlmHead) -> Self {
        Self {
            transform: LinearGrads::zeros_like(&head.transform),
            norm: LayerNormGrads::zeros_like(&head.norm),
            dbias: Array1::zeros(head.bias.len()),
        }
    }
}
