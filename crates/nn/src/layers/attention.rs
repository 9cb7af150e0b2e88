use std::ops::Range;

use ndarray::{Array2, Array4, ArrayView2, ArrayViewMut2, Axis, Slice, linalg::general_mat_mul};

use super::{Dropout, DropoutCache, Linear, LinearCache, LinearGrads, Mode};
use crate::param::ParamGrad;
use crate::rng::Rng;

/// Which positions of each sequence are real tokens (1) and which are padding (0), as the
/// additive bias a padded key gets in the attention scores.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionMask {
    /// `[n, t]`: 0 for a real token, [`AttentionMask::PADDING_BIAS`] for padding.
    bias: Array2<f32>,
}

impl AttentionMask {
    /// Added to the score of a padded key: the original BERT's −10,000 (its softmax weight is
    /// `e^-10000 = 0` in f32, and a row never becomes all `-inf`).
    pub const PADDING_BIAS: f32 = -10_000.0;

    /// From a 0/1 mask, `[n, t]` (1 = attend).
    pub fn from_mask(mask: ArrayView2<'_, u8>) -> Self {
        Self {
            bias: mask.mapv(|m| if m == 0 { Self::PADDING_BIAS } else { 0.0 }),
        }
    }

    /// `(n, t)`.
    pub fn dim(&self) -> (usize, usize) {
        self.bias.dim()
    }
}

/// Which positions ask queries. Keys and values always come from every position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queries {
    /// Every position: the output has one row per token.
    All,
    /// Only each sequence's first position (`[CLS]`): the output has one row per sequence. A
    /// classifier reads nothing else from the last layer, so the other rows' queries, output
    /// projection and everything after them in that layer would be computed for nothing.
    First,
}

impl Queries {
    /// Query rows per sequence of `t` tokens.
    pub fn per_sequence(self, t: usize) -> usize {
        match self {
            Self::All => t,
            Self::First => t.min(1),
        }
    }
}

/// The first row of each block of `t` rows (the `[CLS]` rows of `n` stacked sequences).
///
/// # Shapes
/// `a`: `[n·t, d]` → `[n, d]`
pub fn first_rows(a: ArrayView2<'_, f32>, t: usize) -> ArrayView2<'_, f32> {
    a.slice_axis_move(Axis(0), first_row_slice(t))
}

/// [`first_rows`], writable.
pub fn first_rows_mut(a: ArrayViewMut2<'_, f32>, t: usize) -> ArrayViewMut2<'_, f32> {
    a.slice_axis_move(Axis(0), first_row_slice(t))
}

/// Every `t`-th row from the first (every row when `t` is 0, which has no rows to pick).
fn first_row_slice(t: usize) -> Slice {
    Slice::new(0, None, t.max(1) as isize)
}

/// Multi-head self-attention (BERT's `attention.self` plus `attention.output.dense`):
/// `softmax(Q·Kᵀ/√d_head + mask) · V` per head, heads concatenated, then an output projection.
/// Dropout `p` applies to the attention probabilities (BERT: 0.1).
#[derive(Clone, Debug, PartialEq)]
pub struct SelfAttention {
    /// Query projection, `[d, d]`.
    pub query: Linear,
    /// Key projection, `[d, d]`.
    pub key: Linear,
    /// Value projection, `[d, d]`.
    pub value: Linear,
    /// Output projection, `[d, d]`.
    pub output: Linear,
    /// Number of heads; divides `d`.
    pub n_heads: usize,
    /// Dropout on the attention probabilities.
    pub dropout: Dropout,
}

/// Gradients of a [`SelfAttention`].
#[derive(Clone, Debug, PartialEq)]
pub struct SelfAttentionGrads {
    /// Of `query`.
    pub query: LinearGrads,
    /// Of `key`.
    pub key: LinearGrads,
    /// Of `value`.
    pub value: LinearGrads,
    /// Of `output`.
    pub output: LinearGrads,
}

/// What [`SelfAttention::backward`] needs.
#[derive(Clone, Debug)]
pub struct SelfAttentionCache {
    n: usize,
    t: usize,
    queries: Queries,
    q: Array2<f32>,
    k: Array2<f32>,
    v: Array2<f32>,
    /// Softmax probabilities, `[n, heads, t, t]`.
    probs: Array4<f32>,
    /// Probabilities after dropout.
    probs_dropped: Array4<f32>,
    probs_dropout: DropoutCache<ndarray::Ix4>,
    /// The input, shared by the query (with [`Queries::All`]), key and value projections.
    x: Array2<f32>,
    /// The query rows' input with [`Queries::First`].
    x_first: Option<Array2<f32>>,
    output: LinearCache,
}

impl SelfAttentionCache {
    /// The attention probabilities (before dropout): row `i` of head `h` of sequence `b` is
    /// how much query position `i` draws from each token.
    ///
    /// # Shapes
    /// `[n, heads, t, t]` ([`Queries::All`]) or `[n, heads, 1, t]` ([`Queries::First`])
    pub fn probabilities(&self) -> ndarray::ArrayView4<'_, f32> {
        self.probs.view()
    }
}

impl SelfAttention {
    /// `d`-wide attention with `n_heads` heads, weights from `N(0, std²)`, zero biases.
    ///
    /// # Panics
    /// If `n_heads` does not divide `d`.
    pub fn new(d: usize, n_heads: usize, dropout: f32, std: f32, rng: &mut Rng) -> Self {
        assert!(
            n_heads > 0 && d.is_multiple_of(n_heads),
            "SelfAttention: {n_heads} heads do not divide {d}"
        );
        Self {
            query: Linear::normal(d, d, std, rng),
            key: Linear::normal(d, d, std, rng),
            value: Linear::normal(d, d, std, rng),
            output: Linear::normal(d, d, std, rng),
            n_heads,
            dropout: Dropout { p: dropout },
        }
    }

    /// Forward pass over `n` sequences of `t` tokens, stacked as rows.
    ///
    /// # Shapes
    /// `x`: `[n·t, d]`, `mask`: `(n, t)` → `y`: `[n·t, d]`
    pub fn forward(
        &self,
        x: ArrayView2<'_, f32>,
        mask: &AttentionMask,
        mode: Mode,
        rng: &mut Rng,
    ) -> (Array2<f32>, SelfAttentionCache) {
        self.forward_queries(x, mask, Queries::All, mode, rng)
    }

    /// Forward pass with queries from the positions `queries` names (see [`Queries`]); the
    /// rows it returns are exactly those rows of [`forward`](Self::forward)'s output.
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
    ) -> (Array2<f32>, SelfAttentionCache) {
        let (n, t) = mask.dim();
        let (rows, d) = x.dim();
        assert_eq!(
            rows,
            n * t,
            "SelfAttention: {rows} rows for {n} sequences of {t}"
        );
        let n_heads = self.n_heads;
        let d_head = d / n_heads;
        let scale = 1.0 / (d_head as f32).sqrt();
        let tq = queries.per_sequence(t);
        let x_first = match queries {
            Queries::All => None,
            Queries::First => Some(first_rows(x, t).to_owned()),
        };
        let q = self.query.infer(x_first.as_ref().map_or(x, |a| a.view()));
        let k = self.key.infer(x);
        let v = self.value.infer(x);
        let mut probs = Array4::<f32>::zeros((n, n_heads, tq, t));
        for b in 0..n {
            let rows = b * t..(b + 1) * t;
            let q_rows = b * tq..(b + 1) * tq;
            let bias = mask.bias.row(b);
            for h in 0..n_heads {
                let cols = h * d_head..(h + 1) * d_head;
                let qh = block(&q, q_rows.clone(), cols.clone());
                let kh = block(&k, rows.clone(), cols);
                let mut scores = probs.index_axis_mut(Axis(0), b).index_axis_move(Axis(0), h);
                general_mat_mul(scale, &qh, &kh.t(), 0.0, &mut scores);
                for mut row in scores.rows_mut() {
                    let mut max = f32::NEG_INFINITY;
                    for (s, &m) in row.iter_mut().zip(bias) {
                        *s += m;
                        max = max.max(*s);
                    }
                    let mut sum = 0.0;
                    for s in row.iter_mut() {
                        *s = super::exp(*s - max);
                        sum += *s;
                    }
                    let inv = 1.0 / sum;
                    row.mapv_inplace(|p| p * inv);
                }
            }
        }
        // With first-position queries the masks are the full layer's (see
        // `Dropout::forward_first_rows`), so pruning changes no result.
        let (probs_dropped, probs_dropout) = match queries {
            Queries::All => self.dropout.forward(probs.view(), mode, rng),
            Queries::First => self
                .dropout
                .forward_first_rows(probs.view(), t, t, mode, rng),
        };
        // (Dropout copies: the undropped probabilities stay for the softmax backward.)
        let mut context = Array2::<f32>::zeros((n * tq, d));
        for b in 0..n {
            let rows = b * t..(b + 1) * t;
            let q_rows = b * tq..(b + 1) * tq;
            for h in 0..n_heads {
                let cols = h * d_head..(h + 1) * d_head;
                let p = probs_dropped
                    .index_axis(Axis(0), b)
                    .index_axis_move(Axis(0), h);
                let vh = block(&v, rows.clone(), cols.clone());
                let mut out = block_mut(&mut context, q_rows.clone(), cols);
                general_mat_mul(1.0, &p, &vh, 0.0, &mut out);
            }
        }
        let (y, output) = self.output.forward_owned(context);
        (
            y,
            SelfAttentionCache {
                n,
                t,
                queries,
                q,
                k,
                v,
                probs,
                probs_dropped,
                probs_dropout,
                x: x.to_owned(),
                x_first,
                output,
            },
        )
    }

    /// Backward pass; adds into `grads`.
    ///
    /// # Shapes
    /// `dy`: `[n·tq, d]` (the forward's output) → `dx`: `[n·t, d]`
    pub fn backward(
        &self,
        cache: &SelfAttentionCache,
        dy: ArrayView2<'_, f32>,
        grads: &mut SelfAttentionGrads,
    ) -> Array2<f32> {
        let (n, t) = (cache.n, cache.t);
        let tq = cache.queries.per_sequence(t);
        let (dy_rows, d) = dy.dim();
        assert_eq!(
            dy_rows,
            n * tq,
            "SelfAttention: dy has {dy_rows} rows, expected {}",
            n * tq
        );
        let rows = n * t;
        let n_heads = self.n_heads;
        let d_head = d / n_heads;
        let scale = 1.0 / (d_head as f32).sqrt();
        let d_context = self.output.backward(&cache.output, dy, &mut grads.output);
        // Gradient with respect to the (dropped) probabilities, then through dropout.
        let mut d_probs = Array4::<f32>::zeros((n, n_heads, tq, t));
        let mut dv = Array2::<f32>::zeros((rows, d));
        for b in 0..n {
            let rows = b * t..(b + 1) * t;
            let q_rows = b * tq..(b + 1) * tq;
            for h in 0..n_heads {
                let cols = h * d_head..(h + 1) * d_head;
                let dctx = block(&d_context, q_rows.clone(), cols.clone());
                let vh = block(&cache.v, rows.clone(), cols.clone());
                let p = cache
                    .probs_dropped
                    .index_axis(Axis(0), b)
                    .index_axis_move(Axis(0), h);
                let mut dp = d_probs
                    .index_axis_mut(Axis(0), b)
                    .index_axis_move(Axis(0), h);
                general_mat_mul(1.0, &dctx, &vh.t(), 0.0, &mut dp);
                let mut dvh = block_mut(&mut dv, rows.clone(), cols);
                general_mat_mul(1.0, &p.t(), &dctx, 0.0, &mut dvh);
            }
        }
        let mut d_scores = self.dropout.backward(&cache.probs_dropout, d_probs.view());
        // Softmax backward, row by row: ds = p ⊙ (dp − Σ dp·p), times the scale.
        for (mut ds_row, p_row) in d_scores
            .lanes_mut(Axis(3))
            .into_iter()
            .zip(cache.probs.lanes(Axis(3)))
        {
            let dot: f32 = ds_row.iter().zip(p_row).map(|(&a, &b)| a * b).sum();
            for (ds, &p) in ds_row.iter_mut().zip(p_row) {
                *ds = scale * p * (*ds - dot);
            }
        }
        let mut dq = Array2::<f32>::zeros((n * tq, d));
        let mut dk = Array2::<f32>::zeros((rows, d));
        for b in 0..n {
            let rows = b * t..(b + 1) * t;
            let q_rows = b * tq..(b + 1) * tq;
            for h in 0..n_heads {
                let cols = h * d_head..(h + 1) * d_head;
                let ds = d_scores.index_axis(Axis(0), b).index_axis_move(Axis(0), h);
                let qh = block(&cache.q, q_rows.clone(), cols.clone());
                let kh = block(&cache.k, rows.clone(), cols.clone());
                let mut dqh = block_mut(&mut dq, q_rows.clone(), cols.clone());
                general_mat_mul(1.0, &ds, &kh, 0.0, &mut dqh);
                let mut dkh = block_mut(&mut dk, rows.clone(), cols);
                general_mat_mul(1.0, &ds.t(), &qh, 0.0, &mut dkh);
            }
        }
        let mut dx = Array2::<f32>::zeros((rows, d));
        let x = cache.x.view();
        match &cache.x_first {
            None => self
                .query
                .backward_into(x, dq.view(), &mut grads.query, dx.view_mut()),
            Some(x_first) => {
                let dx_first = first_rows_mut(dx.view_mut(), t);
                self.query
                    .backward_into(x_first.view(), dq.view(), &mut grads.query, dx_first);
            }
        }
        self.key
            .backward_into(x, dk.view(), &mut grads.key, dx.view_mut());
        self.value
            .backward_into(x, dv.view(), &mut grads.value, dx.view_mut());
        dx
    }

    /// Parameters with gradients: query, key, value, output (`w`, `b` each).
    pub fn params_and_grads<'a>(&'a mut self, grads: &'a SelfAttentionGrads) -> Vec<ParamGrad<'a>> {
        let mut out = Vec::with_capacity(8);
        out.extend(self.query.params_and_grads(&grads.query));
        out.extend(self.key.params_and_grads(&grads.key));
        out.extend(self.value.params_and_grads(&grads.value));
        out.extend(self.output.params_and_grads(&grads.output));
        out
    }
}

/// Rows `rows` and columns `cols` of `a`.
fn block(a: &Array2<f32>, rows: Range<usize>, cols: Range<usize>) -> ArrayView2<'_, f32> {
    a.slice_axis(Axis(0), Slice::from(rows))
        .slice_axis_move(Axis(1), Slice::from(cols))
}

/// See [`block`].
fn block_mut(
    a: &mut Array2<f32>,
    rows: Range<usize>,
    cols: Range<usize>,
) -> ArrayViewMut2<'_, f32> {
    a.slice_axis_mut(Axis(0), Slice::from(rows))
        .slice_axis_move(Axis(1), Slice::from(cols))
}

impl SelfAttentionGrads {
    /// Zeros shaped like `layer`'s parameters.
    pub fn zeros_like(layer: &SelfAttention) -> Self {
        Self {
            query: LinearGrads::zeros_like(&layer.query),
            key: LinearGrads::zeros_like(&layer.key),
            value: LinearGrads::zeros_like(&layer.value),
            output: LinearGrads::zeros_like(&layer.output),
        }
    }

    /// Resets to zero.
    pub fn fill_zero(&mut self) {
        self.query.fill_zero();
        self.key.fill_zero();
        self.value.fill_zero();
        self.output.fill_zero();
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::gradcheck::{check_gradient, random_array};
    use crate::rng::rng_from_seed;

    #[test]
    fn attention_backward_with_padding_matches_finite_differences() {
        let mut rng = rng_from_seed(21);
        let att = SelfAttention::new(8, 2, 0.0, 0.5, &mut rng);
        // Two sequences of 4: the second has two padded positions.
        let mask = AttentionMask::from_mask(array![[1u8, 1, 1, 1], [1, 1, 0, 0]].view());
        let x: Array2<f32> = random_array((8, 8), &mut rng);
        let r: Array2<f32> = random_array((8, 8), &mut rng);
        let eval = |a: &SelfAttention, x: &Array2<f32>| {
            let (y, _) = a.forward(x.view(), &mask, Mode::Eval, &mut rng_from_seed(0));
            (&y * &r).sum()
        };
        let (y, cache) = att.forward(x.view(), &mask, Mode::Train, &mut rng);
        // A padded key gets no weight: changing a padded row of x changes no real row's output.
        let mut x2 = x.clone();
        x2.row_mut(7).fill(9.0);
        let (y2, _) = att.forward(x2.view(), &mask, Mode::Eval, &mut rng_from_seed(0));
        for row in 4..6 {
            for (a, b) in y.row(row).iter().zip(y2.row(row)) {
                assert!((a - b).abs() < 1e-5, "padding leaked into row {row}");
            }
        }
        let mut grads = SelfAttentionGrads::zeros_like(&att);
        let dx = att.backward(&cache, r.view(), &mut grads);
        check_gradient("attention dx", &x, &dx, |x| eval(&att, x));
        for (name, pick) in [("query", 0usize), ("key", 1), ("value", 2), ("output", 3)] {
            let (w, g) = match pick {
                0 => (&att.query.w, &grads.query.dw),
                1 => (&att.key.w, &grads.key.dw),
                2 => (&att.value.w, &grads.value.dw),
                _ => (&att.output.w, &grads.output.dw),
            };
            check_gradient(name, w, g, |w| {
                let mut a = att.clone();
                match pick {
                    0 => a.query.w = w.clone(),
                    1 => a.key.w = w.clone(),
                    2 => a.value.w = w.clone(),
                    _ => a.output.w = w.clone(),
                }
                eval(&a, &x)
            });
        }
        check_gradient("query bias", &att.query.b, &grads.query.db, |b| {
            let mut a = att.clone();
            a.query.b = b.clone();
            eval(&a, &x)
        });
    }

    #[test]
    fn first_position_queries_give_the_full_layers_cls_rows_and_their_gradients() {
        let mut rng = rng_from_seed(22);
        let att = SelfAttention::new(8, 2, 0.0, 0.5, &mut rng);
        let mask = AttentionMask::from_mask(array![[1u8, 1, 1, 1], [1, 1, 0, 0]].view());
        let x: Array2<f32> = random_array((8, 8), &mut rng);
        let (full, _) = att.forward(x.view(), &mask, Mode::Eval, &mut rng_from_seed(0));
        let (first, cache) =
            att.forward_queries(x.view(), &mask, Queries::First, Mode::Train, &mut rng);
        assert_eq!(first.dim(), (2, 8));
        for (a, b) in first.iter().zip(first_rows(full.view(), 4)) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        // Every input row feeds the [CLS] rows through the keys and values.
        let r: Array2<f32> = random_array((2, 8), &mut rng);
        let mut grads = SelfAttentionGrads::zeros_like(&att);
        let dx = att.backward(&cache, r.view(), &mut grads);
        assert_eq!(dx.dim(), (8, 8));
        let eval = |a: &SelfAttention, x: &Array2<f32>| {
            let (y, _) = a.forward_queries(
                x.view(),
                &mask,
                Queries::First,
                Mode::Eval,
                &mut rng_from_seed(0),
            );
            (&y * &r).sum()
        };
        check_gradient("first-query attention dx", &x, &dx, |x| eval(&att, x));
        check_gradient(
            "first-query query weight",
            &att.query.w,
            &grads.query.dw,
            |w| {
                let mut a = att.clone();
                a.query.w = w.clone();
                eval(&a, &x)
            },
        );
        check_gradient("first-query key weight", &att.key.w, &grads.key.dw, |w| {
            let mut a = att.clone();
            a.key.w = w.clone();
            eval(&a, &x)
        });
    }
}
