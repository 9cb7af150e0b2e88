//! One encoder layer of BERT: self-attention, then the feed-forward block, each with a
//! residual and LayerNorm; its parameters, gradients and cache.

use ndarray::{Array2, ArrayView2};

use crate::layers::{
    AttentionMask, Dropout, DropoutCache, Gelu, GeluCache, LayerNorm, LayerNormCache,
    LayerNormGrads, Linear, LinearCache, LinearGrads, Mode, Queries, SelfAttention,
    SelfAttentionCache, SelfAttentionGrads, first_rows, first_rows_mut,
};
use crate::param::ParamGrad;
use crate::rng::Rng;

use super::BertConfig;

/// One encoder layer: self-attention, dropout, residual, LayerNorm; feed-forward (GELU),
/// dropout, residual, LayerNorm (post-norm, as BERT).
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderLayer {
    /// `attention.self` and `attention.output.dense`.
    pub attention: SelfAttention,
    /// `attention.output.LayerNorm`.
    pub attention_norm: LayerNorm,
    /// `intermediate.dense`, `[d, intermediate]`.
    pub intermediate: Linear,
    /// `output.dense`, `[intermediate, d]`.
    pub output: Linear,
    /// `output.LayerNorm`.
    pub output_norm: LayerNorm,
    /// Hidden dropout.
    pub dropout: Dropout,
}

/// Gradients of an [`EncoderLayer`].
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderLayerGrads {
    /// Of `attention`.
    pub attention: SelfAttentionGrads,
    /// Of `attention_norm`.
    pub attention_norm: LayerNormGrads,
    /// Of `intermediate`.
    pub intermediate: LinearGrads,
    /// Of `output`.
    pub output: LinearGrads,
    /// Of `output_norm`.
    pub output_norm: LayerNormGrads,
}

/// What [`EncoderLayer::backward`] needs.
#[derive(Clone, Debug)]
pub struct EncoderLayerCache {
    /// Tokens per sequence, and which positions the layer computed outputs for.
    t: usize,
    queries: Queries,
    pub(super) attention: SelfAttentionCache,
    pub(super) attention_dropout: DropoutCache<ndarray::Ix2>,
    pub(super) attention_norm: LayerNormCache,
    pub(super) intermediate: LinearCache,
    pub(super) gelu: GeluCache<ndarray::Ix2>,
    pub(super) output: LinearCache,
    pub(super) output_dropout: DropoutCache<ndarray::Ix2>,
    pub(super) output_norm: LayerNormCache,
}

impl EncoderLayer {
    /// A freshly initialised layer.
    pub fn new(config: &BertConfig, rng: &mut Rng) -> Self {
        let d = config.hidden;
        Self {
            attention: SelfAttention::new(
                d,
                config.n_heads,
                config.attention_dropout,
                config.init_std,
                rng,
            ),
            attention_norm: LayerNorm::new(d, config.layer_norm_eps),
            intermediate: Linear::normal(d, config.intermediate, config.init_std, rng),
            output: Linear::normal(config.intermediate, d, config.init_std, rng),
            output_norm: LayerNorm::new(d, config.layer_norm_eps),
            dropout: Dropout {
                p: config.hidden_dropout,
            },
        }
    }

    /// Forward pass.
    ///
    /// # Shapes
    /// `x`: `[n·t, d]`, `mask`: `(n, t)` → `y`: `[n·t, d]`
    pub fn forward(
        &self,
        x: ArrayView2<'_, f32>,
        mask: &AttentionMask,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, EncoderLayerCache) {
        self.forward_queries(x, mask, Queries::All, mode, rng)
    }

    /// Forward pass computing the outputs of the positions `queries` names only: with
    /// [`Queries::First`], the `[CLS]` rows a classifier reads from the last layer (keys and
    /// values still come from every token). Those rows equal [`forward`](Self::forward)'s.
    ///
    /// # Shapes
    /// `x`: `[n·t, d]`, `mask`: `(n, t)` → `y`: `[n·tq, d]`, `tq = queries.per_sequence(t)`
    pub fn forward_queries(
        &self,
        x: ArrayView2<'_, f32>,
        mask: &AttentionMask,
        queries: Queries,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, EncoderLayerCache) {
        let t = mask.dim().1;
        // Owned arrays move into the caches and through dropout and GELU in place: no copies.
        let (a, attention) = self.attention.forward_queries(x, mask, queries, mode, rng);
        let (mut a, attention_dropout) = self.hidden_dropout(a, queries, t, mode, rng);
        match queries {
            Queries::All => a += &x,
            Queries::First => a += &first_rows(x, t),
        }
        let (h1, attention_norm) = self.attention_norm.forward(a.view());
        let (i, intermediate) = self.intermediate.forward_owned(h1);
        let (i, gelu) = Gelu.forward_owned(i);
        let (o, output) = self.output.forward_owned(i);
        let (mut o, output_dropout) = self.hidden_dropout(o, queries, t, mode, rng);
        o += &intermediate.input();
        let (y, output_norm) = self.output_norm.forward(o.view());
        (
            y,
            EncoderLayerCache {
                t,
                queries,
                attention,
                attention_dropout,
                attention_norm,
                intermediate,
                gelu,
                output,
                output_dropout,
                output_norm,
            },
        )
    }

    /// The hidden dropout on the rows the layer computes, with the masks the full layer would
    /// draw (see [`Dropout::forward_first_rows`]).
    fn hidden_dropout(
        &self,
        x: Array2<f32>,
        queries: Queries,
        t: usize,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, DropoutCache<ndarray::Ix2>) {
        match queries {
            Queries::All => self.dropout.forward_owned(x, mode, rng),
            Queries::First => {
                let width = x.ncols();
                self.dropout
                    .forward_first_rows(x.view(), width, t, mode, rng)
            }
        }
    }

    /// Backward pass; adds into `grads`.
    ///
    /// # Shapes
    /// `dy`: `[n·tq, d]` (the forward's output) → `dx`: `[n·t, d]`
    pub fn backward(
        &self,
        cache: &EncoderLayerCache,
        dy: ArrayView2<'_, f32>,
        grads: &mut EncoderLayerGrads,
    ) -> Array2<f32> {
        let d_o = self
            .output_norm
            .backward(&cache.output_norm, dy, &mut grads.output_norm);
        let d_out = self.dropout.backward(&cache.output_dropout, d_o.view());
        let d_i = self
            .output
            .backward(&cache.output, d_out.view(), &mut grads.output);
        let d_i = Gelu.backward_owned(&cache.gelu, d_i);
        let mut d_h1 =
            self.intermediate
                .backward(&cache.intermediate, d_i.view(), &mut grads.intermediate);
        d_h1 += &d_o;
        let d_a = self.attention_norm.backward(
            &cache.attention_norm,
            d_h1.view(),
            &mut grads.attention_norm,
        );
        let d_att = self.dropout.backward(&cache.attention_dropout, d_a.view());
        let mut dx = self
            .attention
            .backward(&cache.attention, d_att.view(), &mut grads.attention);
        match cache.queries {
            Queries::All => dx += &d_a,
            Queries::First => {
                let mut first = first_rows_mut(dx.view_mut(), cache.t);
                first += &d_a;
            }
        }
        dx
    }

    pub(super) fn params_and_grads<'a>(
        &'a mut self,
        grads: &'a EncoderLayerGrads,
    ) -> Vec<ParamGrad<'a>> {
        let mut out = self.attention.params_and_grads(&grads.attention);
        out.extend(self.attention_norm.params_and_grads(&grads.attention_norm));
        out.extend(self.intermediate.params_and_grads(&grads.intermediate));
        out.extend(self.output.params_and_grads(&grads.output));
        out.extend(self.output_norm.params_and_grads(&grads.output_norm));
        out
    }
}

impl EncoderLayerGrads {
    /// Zeros shaped like `layer`'s parameters.
    pub fn zeros_like(layer: &EncoderLayer) -> Self {
        Self {
            attention: SelfAttentionGrads::zeros_like(&layer.attention),
            attention_norm: LayerNormGrads::zeros_like(&layer.attention_norm),
            intermediate: LinearGrads::zeros_like(&layer.intermediate),
            output: LinearGrads::zeros_like(&layer.output),
            output_norm: LayerNormGrads::zeros_like(&layer.output_norm),
        }
    }

    pub(super) fn fill_zero(&mut self) {
        self.attention.fill_zero();
        self.attention_norm.fill_zero();
        self.intermediate.fill_zero();
        self.output.fill_zero();
        self.output_norm.fill_zero();
    }
}
