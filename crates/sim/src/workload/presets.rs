//! Preset workloads sized like the course's models: one function per model, and the
//! [`Preset`] enum a page lists, names in its URL (`?preset=bert-layer`) and builds from the
//! sizes the learner typed.

use super::{Activation, Binary, DType, OpKind, Workload};
use crate::error::SimError;

/// A fully connected layer `y = act(x·W + b)` on a batch: `x: [batch, d_in]`,
/// `W: [d_in, d_out]`, `b: [d_out]`, as three ops (matmul, bias add, optional ReLU).
///
/// # Errors
/// A zero or huge size.
pub fn linear(batch: u64, d_in: u64, d_out: u64, relu: bool) -> Result<Workload, SimError> {
    let mut b = Workload::builder(&format!("linear {d_in}→{d_out}, batch {batch}"));
    let x = b.input("x", &[batch, d_in], DType::F32);
    let w = b.weight("w", &[d_in, d_out], DType::F32);
    let bias = b.weight("b", &[d_out], DType::F32);
    let y = b.op(
        "matmul",
        OpKind::MatMul {
            batch: 1,
            m: batch,
            k: d_in,
            n: d_out,
        },
        &[x, w],
    );
    let len = super::prod(&[batch, d_out]);
    let y = b.op(
        "bias",
        OpKind::Binary {
            op: Binary::Add,
            len,
        },
        &[y, bias],
    );
    if relu {
        b.op(
            "relu",
            OpKind::Activation {
                func: Activation::Relu,
                len,
            },
            &[y],
        );
    }
    b.build()
}

/// One MNIST MLP layer: 784 → 128 with ReLU (a 28×28 image flattened into a hidden layer
/// of 128), at the given batch.
///
/// # Errors
/// `batch == 0` or huge.
pub fn mnist_mlp_layer(batch: u64) -> Result<Workload, SimError> {
    let mut w = linear(batch, 784, 128, true)?;
    w.name = format!("MNIST MLP layer 784→128, batch {batch}");
    Ok(w)
}

/// Forward pass of the CNN in Graphcore's PopTorch MNIST example: conv 1→32 3×3,
/// maxpool 2, ReLU, conv 32→64 3×3, maxpool 2, ReLU, linear 1600→128, ReLU,
/// linear 128→10, on 28×28 single-channel images. Shapes: 28→26→13→11→5, and
/// 64·5·5 = 1600. Biases are left out (they are <0.1% of the FLOPs).
///
/// # Errors
/// `batch == 0` or huge.
pub fn graphcore_mnist_cnn(batch: u64) -> Result<Workload, SimError> {
    let mut b = Workload::builder(&format!("Graphcore MNIST CNN, batch {batch}"));
    let f = DType::F32;
    let x = b.input("image", &[batch, 1, 28, 28], f);
    let w1 = b.weight("conv1.w", &[32, 1, 3, 3], f);
    let w2 = b.weight("conv2.w", &[64, 32, 3, 3], f);
    let w3 = b.weight("fc1.w", &[1600, 128], f);
    let w4 = b.weight("fc2.w", &[128, 10], f);
    let conv = |c_in, c_out, h| OpKind::Conv2d {
        batch,
        c_in,
        c_out,
        h,
        w: h,
        kh: 3,
        kw: 3,
    };
    let pool = |channels, h| OpKind::MaxPool {
        batch,
        channels,
        h,
        w: h,
        size: 2,
    };
    let relu = |len| OpKind::Activation {
        func: Activation::Relu,
        len,
    };
    let t = b.op("conv1", conv(1, 32, 28), &[x, w1]);
    let t = b.op("pool1", pool(32, 26), &[t]);
    let t = b.op("relu1", relu(super::prod(&[batch, 32 * 13 * 13])), &[t]);
    let t = b.op("conv2", conv(32, 64, 13), &[t, w2]);
    let t = b.op("pool2", pool(64, 11), &[t]);
    let t = b.op("relu2", relu(super::prod(&[batch, 1600])), &[t]);
    let t = b.op(
        "fc1",
        OpKind::MatMul {
            batch: 1,
            m: batch,
            k: 1600,
            n: 128,
        },
        &[t, w3],
    );
    let t = b.op("relu3", relu(super::prod(&[batch, 128])), &[t]);
    b.op(
        "fc2",
        OpKind::MatMul {
            batch: 1,
            m: batch,
            k: 128,
            n: 10,
        },
        &[t, w4],
    );
    b.build()
}

/// Longest sequence the BERT presets accept: BERT's 512 positions.
pub const MAX_SEQ: u64 = 512;
/// The sequence length the BERT presets default to: the course's `max_seq_length`.
pub const DEFAULT_SEQ: u64 = 128;

/// One BERT-tiny encoder layer at sequence 128 ([`bert_tiny_encoder_layer_seq`]).
///
/// # Errors
/// None for this fixed shape; the `Result` keeps presets uniform.
pub fn bert_tiny_encoder_layer() -> Result<Workload, SimError> {
    bert_tiny_encoder_layer_seq(DEFAULT_SEQ)
}

/// One BERT-tiny encoder layer: sequence `seq`, hidden 128, 2 heads (head size 64),
/// feed-forward 512. Ops: Q, K, V projections; per-head scores `Q·Kᵀ`; softmax; per-head
/// `scores·V`; output projection; residual add; layer norm; FFN up, GELU, FFN down;
/// residual add; layer norm. Biases and the 1/√d scale are left out.
///
/// # Errors
/// `seq` zero or above [`MAX_SEQ`].
pub fn bert_tiny_encoder_layer_seq(seq: u64) -> Result<Workload, SimError> {
    crate::error::check_size("sequence length", seq, MAX_SEQ)?;
    let mut b = Workload::builder(&format!(
        "BERT-tiny encoder layer (seq {seq}, hidden 128, 2 heads)"
    ));
    let x = b.input("x", &[seq, 128], DType::F32);
    encoder_layer(&mut b, x, EncoderDims::bert_tiny(seq), "");
    b.build()
}

/// The sizes of an encoder layer: BERT-tiny's are hidden 128, 2 heads, feed-forward 512.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderDims {
    /// Sequence length.
    pub seq: u64,
    /// Hidden size (a multiple of `heads`).
    pub hidden: u64,
    /// Attention heads.
    pub heads: u64,
    /// Feed-forward size.
    pub ffn: u64,
}

impl EncoderDims {
    /// BERT-tiny's layer at sequence `seq`.
    #[must_use]
    pub fn bert_tiny(seq: u64) -> Self {
        Self {
            seq,
            hidden: 128,
            heads: 2,
            ffn: 512,
        }
    }
}

/// One encoder layer of any size, with the ops of [`bert_tiny_encoder_layer_seq`]: small
/// ones give tests cycle counts that can be derived by hand.
///
/// # Errors
/// A zero size, `hidden` not a multiple of `heads`, or a huge size.
pub fn encoder_layer_sized(dims: EncoderDims) -> Result<Workload, SimError> {
    crate::error::check_size("sequence length", dims.seq, MAX_SEQ)?;
    crate::error::check_size("hidden size", dims.hidden, 1 << 16)?;
    crate::error::check_size("number of heads", dims.heads, dims.hidden.max(1))?;
    crate::error::check_size("feed-forward size", dims.ffn, 1 << 16)?;
    if !dims.hidden.is_multiple_of(dims.heads) {
        return Err(SimError::InvalidWorkload {
            reason: format!(
                "the hidden size {} is not a multiple of the {} heads.",
                dims.hidden, dims.heads
            ),
        });
    }
    let mut b = Workload::builder(&format!(
        "encoder layer (seq {}, hidden {}, {} heads, FFN {})",
        dims.seq, dims.hidden, dims.heads, dims.ffn
    ));
    let x = b.input("x", &[dims.seq, dims.hidden], DType::F32);
    encoder_layer(&mut b, x, dims, "");
    b.build()
}

/// The encoder of BERT-tiny: `n_layers` encoder layers (the model has 2) at sequence
/// `seq`; embeddings, pooler and classifier left out.
///
/// # Errors
/// `seq` or `n_layers` zero, or `seq` above [`MAX_SEQ`], `n_layers` above 24.
pub fn bert_tiny_encoder(seq: u64, n_layers: u64) -> Result<Workload, SimError> {
    crate::error::check_size("sequence length", seq, MAX_SEQ)?;
    crate::error::check_size("number of layers", n_layers, 24)?;
    let mut b = Workload::builder(&format!(
        "BERT-tiny encoder, {n_layers} layers (seq {seq}, hidden 128, 2 heads)"
    ));
    let mut x = b.input("x", &[seq, 128], DType::F32);
    for l in 0..n_layers {
        x = encoder_layer(&mut b, x, EncoderDims::bert_tiny(seq), &format!("l{l}."));
    }
    b.build()
}

/// Appends one encoder layer reading `x: [seq, hidden]`; names start with `prefix`. Returns
/// the layer's output.
fn encoder_layer(
    b: &mut super::WorkloadBuilder,
    x: super::TensorId,
    dims: EncoderDims,
    prefix: &str,
) -> super::TensorId {
    let EncoderDims {
        seq,
        hidden,
        heads,
        ffn,
    } = dims;
    let head = hidden / heads;
    let f = DType::F32;
    let name = |n: &str| format!("{prefix}{n}");
    let proj = OpKind::MatMul {
        batch: 1,
        m: seq,
        k: hidden,
        n: hidden,
    };
    let wq = b.weight(&name("wq"), &[hidden, hidden], f);
    let wk = b.weight(&name("wk"), &[hidden, hidden], f);
    let wv = b.weight(&name("wv"), &[hidden, hidden], f);
    let wo = b.weight(&name("wo"), &[hidden, hidden], f);
    let w1 = b.weight(&name("ffn.w1"), &[hidden, ffn], f);
    let w2 = b.weight(&name("ffn.w2"), &[ffn, hidden], f);
    let q = b.op(&name("q_proj"), proj, &[x, wq]);
    let k = b.op(&name("k_proj"), proj, &[x, wk]);
    let v = b.op(&name("v_proj"), proj, &[x, wv]);
    let s = b.op(
        &name("scores"),
        OpKind::MatMul {
            batch: heads,
            m: seq,
            k: head,
            n: seq,
        },
        &[q, k],
    );
    let p = b.op(
        &name("softmax"),
        OpKind::Softmax {
            rows: heads * seq,
            cols: seq,
        },
        &[s],
    );
    let c = b.op(
        &name("context"),
        OpKind::MatMul {
            batch: heads,
            m: seq,
            k: seq,
            n: head,
        },
        &[p, v],
    );
    let o = b.op(&name("out_proj"), proj, &[c, wo]);
    let len = seq * hidden;
    let r = b.op(
        &name("residual1"),
        OpKind::Binary {
            op: Binary::Add,
            len,
        },
        &[o, x],
    );
    let h = b.op(
        &name("norm1"),
        OpKind::LayerNorm {
            rows: seq,
            cols: hidden,
        },
        &[r],
    );
    let u = b.op(
        &name("ffn_up"),
        OpKind::MatMul {
            batch: 1,
            m: seq,
            k: hidden,
            n: ffn,
        },
        &[h, w1],
    );
    let g = b.op(
        &name("gelu"),
        OpKind::Activation {
            func: Activation::Gelu,
            len: seq * ffn,
        },
        &[u],
    );
    let d = b.op(
        &name("ffn_down"),
        OpKind::MatMul {
            batch: 1,
            m: seq,
            k: ffn,
            n: hidden,
        },
        &[g, w2],
    );
    let r2 = b.op(
        &name("residual2"),
        OpKind::Binary {
            op: Binary::Add,
            len,
        },
        &[d, h],
    );
    b.op(
        &name("norm2"),
        OpKind::LayerNorm {
            rows: seq,
            cols: hidden,
        },
        &[r2],
    )
}

/// A GEMV `y = W·x` with `W: [d_out, d_in]` (stored as `[d_in, d_out]`), batch 1.
///
/// # Errors
/// A zero or huge size.
pub fn gemv(d_in: u64, d_out: u64) -> Result<Workload, SimError> {
    let mut b = Workload::builder(&format!("GEMV {d_out}×{d_in}"));
    let x = b.input("x", &[1, d_in], DType::F32);
    let w = b.weight("w", &[d_in, d_out], DType::F32);
    b.op(
        "gemv",
        OpKind::MatMul {
            batch: 1,
            m: 1,
            k: d_in,
            n: d_out,
        },
        &[x, w],
    );
    b.build()
}

/// The tiny GEMV used for animation: a 16×16 matrix times a 16-vector.
///
/// # Errors
/// None; the `Result` keeps presets uniform.
pub fn tiny_gemv() -> Result<Workload, SimError> {
    gemv(16, 16)
}

/// A workload preset, as a page lists it and a lesson link names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// `y = W·x`, one sample ([`gemv`]).
    Gemv,
    /// One MNIST MLP layer, 784 → 128 with bias and ReLU ([`mnist_mlp_layer`]).
    Mlp,
    /// The Graphcore MNIST CNN's forward pass ([`graphcore_mnist_cnn`]).
    Cnn,
    /// One BERT-tiny encoder layer at a sequence length ([`bert_tiny_encoder_layer_seq`]).
    BertLayer,
}

/// The sizes a preset may take; each preset reads only those it needs
/// ([`Preset::takes_dims`], [`Preset::takes_batch`], [`Preset::takes_seq`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetSizes {
    /// Input length (GEMV).
    pub d_in: u64,
    /// Output length (GEMV).
    pub d_out: u64,
    /// Samples (MLP layer, CNN).
    pub batch: u64,
    /// Sequence length (BERT layer), 1 to [`MAX_SEQ`].
    pub seq: u64,
}

impl Default for PresetSizes {
    /// The course's sizes: a 256 × 256 GEMV, batch 1, sequence 128.
    fn default() -> Self {
        Self {
            d_in: 256,
            d_out: 256,
            batch: 1,
            seq: DEFAULT_SEQ,
        }
    }
}

impl Preset {
    /// Every preset, in the order a form lists them.
    pub const ALL: [Preset; 4] = [Self::Gemv, Self::Mlp, Self::Cnn, Self::BertLayer];

    /// The name used in URLs and lesson links: `gemv`, `mlp`, `cnn`, `bert-layer`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gemv => "gemv",
            Self::Mlp => "mlp",
            Self::Cnn => "cnn",
            Self::BertLayer => "bert-layer",
        }
    }

    /// Reads a URL name (surrounding spaces ignored); `None` for an unknown one.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }

    /// The title a learner reads.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Gemv => "GEMV (matrix × vector)",
            Self::Mlp => "MNIST MLP layer (784 → 128, bias, ReLU)",
            Self::Cnn => "Graphcore MNIST CNN (forward pass)",
            Self::BertLayer => "BERT-tiny encoder layer",
        }
    }

    /// Whether [`Preset::build`] reads `d_in` and `d_out`.
    #[must_use]
    pub fn takes_dims(self) -> bool {
        self == Self::Gemv
    }

    /// Whether [`Preset::build`] reads `batch`.
    #[must_use]
    pub fn takes_batch(self) -> bool {
        matches!(self, Self::Mlp | Self::Cnn)
    }

    /// Whether [`Preset::build`] reads `seq`.
    #[must_use]
    pub fn takes_seq(self) -> bool {
        self == Self::BertLayer
    }

    /// The workload, from the sizes this preset takes (the others are ignored).
    ///
    /// # Errors
    /// A zero or huge size, as the preset's function reports it.
    pub fn build(self, sizes: &PresetSizes) -> Result<Workload, SimError> {
        match self {
            Self::Gemv => gemv(sizes.d_in, sizes.d_out),
            Self::Mlp => mnist_mlp_layer(sizes.batch),
            Self::Cnn => graphcore_mnist_cnn(sizes.batch),
            Self::BertLayer => bert_tiny_encoder_layer_seq(sizes.seq),
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.title())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_through_their_url_names_and_build_from_sizes() {
        let sizes = PresetSizes {
            d_in: 32,
            d_out: 8,
            batch: 2,
            seq: 128,
        };
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["gemv", "mlp", "cnn", "bert-layer"]);
        for p in Preset::ALL {
            assert_eq!(Preset::parse(&format!(" {} ", p.as_str())), Some(p));
            let w = p.build(&sizes).unwrap();
            assert!(!w.ops.is_empty(), "{p}");
        }
        assert_eq!(Preset::parse("resnet"), None);
        let gemv = Preset::Gemv.build(&sizes).unwrap();
        assert_eq!(gemv.flops(), 2 * 32 * 8);
        assert_eq!(
            Preset::Mlp.build(&sizes).unwrap(),
            mnist_mlp_layer(2).unwrap()
        );
        let zero = PresetSizes { batch: 0, ..sizes };
        assert!(Preset::Cnn.build(&zero).is_err());
        assert!(Preset::BertLayer.build(&zero).is_ok());
        assert_eq!(
            Preset::BertLayer.build(&sizes).unwrap(),
            bert_tiny_encoder_layer().unwrap()
        );
        // The sequence length changes the shapes, and only the BERT layer reads it.
        let long = PresetSizes { seq: 256, ..sizes };
        let bert256 = Preset::BertLayer.build(&long).unwrap();
        assert_eq!(bert256.tensors[0].shape, vec![256, 128]);
        assert_eq!(
            Preset::Mlp.build(&long).unwrap(),
            mnist_mlp_layer(2).unwrap()
        );
        assert_eq!(
            Preset::BertLayer.build(&PresetSizes { seq: 0, ..sizes }),
            Err(SimError::ZeroSize {
                what: "sequence length"
            })
        );
        assert!(
            Preset::BertLayer
                .build(&PresetSizes { seq: 513, ..sizes })
                .is_err()
        );
        assert!(Preset::BertLayer.takes_seq() && !Preset::Mlp.takes_seq());
        assert_eq!(bert_tiny_encoder(128, 2).unwrap().ops.len(), 28);
        assert_eq!(PresetSizes::default().seq, DEFAULT_SEQ);
        assert!(Preset::Gemv.takes_dims() && !Preset::Gemv.takes_batch());
        assert!(Preset::Mlp.takes_batch() && !Preset::BertLayer.takes_batch());
    }
}
