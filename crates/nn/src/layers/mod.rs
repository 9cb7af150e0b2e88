//! Layers as forward/backward pairs.
//!
//! Each layer with parameters is a parameter struct (`Linear`), a gradient struct
//! (`LinearGrads`, same shapes, zeroed by the caller between steps) and a cache struct
//! (`LinearCache`, what backward needs from forward). `forward` returns `(output, cache)`;
//! `backward(&cache, d_out, &mut grads)` returns the gradient with respect to the input and
//! *adds* into `grads`, so gradients can be accumulated over micro-batches or shared weights.
//!
//! Images are NHWC (`[n, height, width, channels]`): the channels of one pixel are contiguous,
//! which makes im2col a sequence of slice copies. Layers without parameters (ReLU, dropout,
//! flatten, max-pool) have no grads struct.

mod activation;
mod attention;
mod conv2d;
mod dropout;
mod embedding;
mod flatten;
mod layer_norm;
mod linear;
mod maxpool2d;
mod relu;
mod rows;
mod sparse;

pub use activation::{
    Gelu, GeluCache, Tanh, TanhCache, erf, exp, gelu, gelu_and_derivative, gelu_derivative,
};
pub use attention::{
    AttentionMask, Queries, SelfAttention, SelfAttentionCache, SelfAttentionGrads, first_rows,
    first_rows_mut,
};
pub use conv2d::{Conv2d, Conv2dCache, Conv2dGrads};
pub use dropout::{Dropout, DropoutCache};
pub use embedding::{Embedding, EmbeddingCache, EmbeddingGrads};
pub use flatten::{Flatten, FlattenCache};
pub use layer_norm::{LayerNorm, LayerNormCache, LayerNormGrads};
pub use linear::{Linear, LinearCache, LinearGrads};
pub use maxpool2d::{MaxPool2d, MaxPool2dCache};
pub use relu::{Relu, ReluCache};

/// Whether a forward pass is for training (dropout active, caches kept) or for inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Dropout samples a mask from the caller's generator.
    Train,
    /// Dropout is the identity.
    Eval,
}
