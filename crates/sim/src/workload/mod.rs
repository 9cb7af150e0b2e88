//! The shared workload model: a small graph of tensor ops with shapes and element sizes,
//! which every simulator in the crate accepts.
//!
//! A [`Workload`] is a list of tensors and a list of ops in execution order (each op reads
//! tensors written by earlier ops or supplied from outside, and writes one new tensor).
//! Reshapes and transposes are free views: an op only checks that the element counts of its
//! inputs match what it needs. Convolutions are described by their shape and costed as the
//! GEMM they lower to (im2col): `m = batch·h_out·w_out`, `k = c_in·kh·kw`, `n = c_out`.

use crate::units::Bytes;
use std::fmt;

mod builder;
pub mod eval;
pub mod presets;

pub use builder::WorkloadBuilder;
pub use presets::{Preset, PresetSizes};

/// Product of `dims`, saturating at `u64::MAX` (validation then rejects it as too large).
#[must_use]
pub fn prod(dims: &[u64]) -> u64 {
    dims.iter().fold(1u64, |acc, &d| acc.saturating_mul(d))
}

/// Element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE 754 single precision, 4 bytes.
    F32,
    /// IEEE 754 half precision, 2 bytes.
    F16,
}

impl DType {
    /// Bytes per element.
    #[must_use]
    pub fn size(self) -> Bytes {
        match self {
            DType::F32 => Bytes(4),
            DType::F16 => Bytes(2),
        }
    }
}

/// Where a tensor's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorKind {
    /// Supplied per run (the input batch).
    Input,
    /// A parameter, fixed across runs (weights, biases).
    Weight,
    /// Written by an op of the graph.
    Activation,
}

/// Index of a tensor in [`Workload::tensors`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(pub usize);

/// One tensor of a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Short name shown in traces ("x", "w1", "scores").
    pub name: String,
    /// Dimensions, outermost first.
    pub shape: Vec<u64>,
    /// Element type.
    pub dtype: DType,
    /// Input, weight or activation.
    pub kind: TensorKind,
}

impl Tensor {
    /// Number of elements (product of the shape).
    #[must_use]
    pub fn elements(&self) -> u64 {
        prod(&self.shape)
    }

    /// Size in bytes.
    #[must_use]
    pub fn bytes(&self) -> Bytes {
        Bytes(self.elements().saturating_mul(self.dtype.size().0))
    }
}

/// Elementwise binary operation. The second input may be shorter than the first and is
/// then broadcast (its length must divide the first's), as a bias is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binary {
    /// `a + b`
    Add,
    /// `a · b`
    Mul,
}

/// Activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// Gaussian error linear unit (tanh form).
    Gelu,
}

/// The kind and shape of an op.
///
/// # Shapes
/// - `MatMul`: inputs `a: [batch, m, k]`, `b: [k, n]` (shared) or `[batch, k, n]`;
///   output `[batch, m, n]`.
/// - `Binary`: inputs `a: [len]`, `b: [len / r]`; output `[len]`.
/// - `Activation`: input `[len]`, output `[len]`.
/// - `Softmax`, `LayerNorm`: input `[rows, cols]`, output `[rows, cols]`, over the last axis.
/// - `Conv2d` (valid padding, stride 1): inputs `x: [batch, c_in, h, w]`,
///   `w: [c_out, c_in, kh, kw]`; output `[batch, c_out, h-kh+1, w-kw+1]`.
/// - `MaxPool` (window = stride = `size`, floor): input `[batch, c, h, w]`,
///   output `[batch, c, h/size, w/size]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Matrix multiply (a GEMV when `m == 1`).
    MatMul {
        /// Independent products (attention heads).
        batch: u64,
        /// Rows of the output.
        m: u64,
        /// Reduction length.
        k: u64,
        /// Columns of the output.
        n: u64,
    },
    /// Elementwise binary op.
    Binary {
        /// Which op.
        op: Binary,
        /// Elements of the output.
        len: u64,
    },
    /// Elementwise activation.
    Activation {
        /// Which function.
        func: Activation,
        /// Elements.
        len: u64,
    },
    /// Softmax over each row.
    Softmax {
        /// Rows.
        rows: u64,
        /// Row length.
        cols: u64,
    },
    /// Layer normalisation over each row.
    LayerNorm {
        /// Rows.
        rows: u64,
        /// Row length.
        cols: u64,
    },
    /// 2-D convolution, costed as its GEMM.
    Conv2d {
        /// Images.
        batch: u64,
        /// Input channels.
        c_in: u64,
        /// Output channels.
        c_out: u64,
        /// Input height.
        h: u64,
        /// Input width.
        w: u64,
        /// Kernel height.
        kh: u64,
        /// Kernel width.
        kw: u64,
    },
    /// Max pooling with window and stride `size`.
    MaxPool {
        /// Images.
        batch: u64,
        /// Channels.
        channels: u64,
        /// Input height.
        h: u64,
        /// Input width.
        w: u64,
        /// Window side and stride.
        size: u64,
    },
}

/// FLOPs charged per GELU element (tanh form: a cube, a few multiply-adds and a tanh).
/// A counting convention of this crate, not a measured figure.
pub const GELU_FLOPS_PER_ELEMENT: u64 = 8;
/// FLOPs charged per softmax element (max, subtract, exp, sum, divide). Convention.
pub const SOFTMAX_FLOPS_PER_ELEMENT: u64 = 5;
/// FLOPs charged per layer-norm element (mean, variance, normalise, scale, shift). Convention.
pub const LAYER_NORM_FLOPS_PER_ELEMENT: u64 = 8;

/// A GEMM shape `[batch] · [m, k] × [k, n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GemmShape {
    /// Independent products.
    pub batch: u64,
    /// Output rows.
    pub m: u64,
    /// Reduction length.
    pub k: u64,
    /// Output columns.
    pub n: u64,
}

impl OpKind {
    /// The GEMM this op is (a matmul) or lowers to (a convolution), if any.
    #[must_use]
    pub fn gemm(&self) -> Option<GemmShape> {
        match *self {
            OpKind::MatMul { batch, m, k, n } => Some(GemmShape { batch, m, k, n }),
            OpKind::Conv2d {
                batch,
                c_in,
                c_out,
                h,
                w,
                kh,
                kw,
            } => Some(GemmShape {
                batch: 1,
                m: prod(&[
                    batch,
                    h.saturating_add(1).saturating_sub(kh),
                    w.saturating_add(1).saturating_sub(kw),
                ]),
                k: prod(&[c_in, kh, kw]),
                n: c_out,
            }),
            _ => None,
        }
    }

    /// Floating-point operations (a multiply-add counts as 2).
    #[must_use]
    pub fn flops(&self) -> u64 {
        match *self {
            OpKind::MatMul { .. } | OpKind::Conv2d { .. } => self
                .gemm()
                .map_or(0, |g| prod(&[2, g.batch, g.m, g.k, g.n])),
            OpKind::Binary { len, .. } => len,
            OpKind::Activation {
                func: Activation::Relu,
                len,
            } => len,
            OpKind::Activation {
                func: Activation::Gelu,
                len,
            } => len.saturating_mul(GELU_FLOPS_PER_ELEMENT),
            OpKind::Softmax { rows, cols } => prod(&[rows, cols, SOFTMAX_FLOPS_PER_ELEMENT]),
            OpKind::LayerNorm { rows, cols } => prod(&[rows, cols, LAYER_NORM_FLOPS_PER_ELEMENT]),
            OpKind::MaxPool {
                batch,
                channels,
                h,
                w,
                size,
            } => prod(&[
                batch,
                channels,
                h / size.max(1),
                w / size.max(1),
                size,
                size,
            ]),
        }
    }

    /// Shape of the output tensor.
    #[must_use]
    pub fn output_shape(&self) -> Vec<u64> {
        match *self {
            OpKind::MatMul { batch: 1, m, n, .. } => vec![m, n],
            OpKind::MatMul { batch, m, n, .. } => vec![batch, m, n],
            OpKind::Binary { len, .. } | OpKind::Activation { len, .. } => vec![len],
            OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols } => vec![rows, cols],
            OpKind::Conv2d {
                batch,
                c_out,
                h,
                w,
                kh,
                kw,
                ..
            } => vec![
                batch,
                c_out,
                h.saturating_add(1).saturating_sub(kh),
                w.saturating_add(1).saturating_sub(kw),
            ],
            OpKind::MaxPool {
                batch,
                channels,
                h,
                w,
                size,
            } => {
                vec![batch, channels, h / size.max(1), w / size.max(1)]
            }
        }
    }

    /// Short lowercase name of the kind ("matmul", "relu", ...).
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            OpKind::MatMul { m: 1, .. } => "gemv",
            OpKind::MatMul { .. } => "matmul",
            OpKind::Binary {
                op: Binary::Add, ..
            } => "add",
            OpKind::Binary {
                op: Binary::Mul, ..
            } => "mul",
            OpKind::Activation {
                func: Activation::Relu,
                ..
            } => "relu",
            OpKind::Activation {
                func: Activation::Gelu,
                ..
            } => "gelu",
            OpKind::Softmax { .. } => "softmax",
            OpKind::LayerNorm { .. } => "layernorm",
            OpKind::Conv2d { .. } => "conv2d",
            OpKind::MaxPool { .. } => "maxpool",
        }
    }

    /// Every dimension of the op, for the zero-size check.
    fn dims(&self) -> Vec<(&'static str, u64)> {
        match *self {
            OpKind::MatMul { batch, m, k, n } => {
                vec![("batch", batch), ("m", m), ("k", k), ("n", n)]
            }
            OpKind::Binary { len, .. } | OpKind::Activation { len, .. } => vec![("length", len)],
            OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols } => {
                vec![("rows", rows), ("columns", cols)]
            }
            OpKind::Conv2d {
                batch,
                c_in,
                c_out,
                h,
                w,
                kh,
                kw,
            } => vec![
                ("batch", batch),
                ("input channels", c_in),
                ("output channels", c_out),
                ("height", h),
                ("width", w),
                ("kernel height", kh),
                ("kernel width", kw),
            ],
            OpKind::MaxPool {
                batch,
                channels,
                h,
                w,
                size,
            } => vec![
                ("batch", batch),
                ("channels", channels),
                ("height", h),
                ("width", w),
                ("pool size", size),
            ],
        }
    }
}

/// One op of a workload: reads `inputs`, writes `output`.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// Short name shown in traces ("fc1", "q_proj").
    pub name: String,
    /// What it computes.
    pub kind: OpKind,
    /// Tensors read, in the order given in [`OpKind`]'s shape table.
    pub inputs: Vec<TensorId>,
    /// Tensor written.
    pub output: TensorId,
}

/// A graph of tensor ops, in execution order.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Name shown in the UI.
    pub name: String,
    /// All tensors; ops refer to them by index.
    pub tensors: Vec<Tensor>,
    /// Ops in execution order.
    pub ops: Vec<Op>,
}

/// Largest element count of one tensor the simulators accept (2^32).
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 32;
/// Largest FLOP count of one op the simulators accept (2^56: sums of many stay far from
/// overflow, and the count stays exact when converted to f64 for rates).
pub const MAX_OP_FLOPS: u64 = 1 << 56;

impl Workload {
    /// Starts an empty workload.
    #[must_use]
    pub fn builder(name: &str) -> WorkloadBuilder {
        WorkloadBuilder {
            workload: Workload {
                name: name.to_owned(),
                tensors: Vec::new(),
                ops: Vec::new(),
            },
        }
    }

    /// The tensor with id `id`.
    ///
    /// # Panics
    /// If `id` is not a tensor of this workload (ids come from this workload's builder).
    #[must_use]
    pub fn tensor(&self, id: TensorId) -> &Tensor {
        &self.tensors[id.0]
    }

    /// Total FLOPs of all ops.
    #[must_use]
    pub fn flops(&self) -> u64 {
        self.ops.iter().map(|op| op.kind.flops()).sum()
    }

    /// Bytes of all weight tensors.
    #[must_use]
    pub fn weight_bytes(&self) -> Bytes {
        Bytes(
            self.tensors
                .iter()
                .filter(|t| t.kind == TensorKind::Weight)
                .map(|t| t.bytes().0)
                .sum(),
        )
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({} ops, {} FLOPs)",
            self.name,
            self.ops.len(),
            self.flops()
        )?;
        for op in &self.ops {
            writeln!(
                f,
                "  {:<10} {:<9} {:>12} FLOPs",
                op.name,
                op.kind.label(),
                op.kind.flops()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::presets::*;
    use super::*;
    use crate::error::SimError;

    #[test]
    fn presets_validate_and_count_flops() {
        // MLP layer: 2·784·128 (matmul) + 128 (bias) + 128 (relu) per sample.
        let w = mnist_mlp_layer(1).unwrap();
        assert_eq!(w.flops(), 2 * 784 * 128 + 128 + 128);
        assert_eq!(w.weight_bytes(), Bytes(4 * (784 * 128 + 128)));

        // CNN: conv1 GEMM m=26·26, k=9, n=32; conv2 m=11·11, k=288, n=64.
        let cnn = graphcore_mnist_cnn(1).unwrap();
        let conv1 = 2 * 676 * 9 * 32;
        let conv2 = 2 * 121 * 288 * 64;
        let fcs = 2 * 1600 * 128 + 2 * 128 * 10;
        let pools = 32 * 13 * 13 * 4 + 64 * 5 * 5 * 4;
        let relus = 32 * 13 * 13 + 1600 + 128;
        assert_eq!(cnn.flops(), conv1 + conv2 + fcs + pools + relus);
        assert_eq!(cnn.ops.len(), 9);

        let bert = bert_tiny_encoder_layer().unwrap();
        assert_eq!(bert.ops.len(), 14);
        // 4 projections + 2 FFN matmuls + 2 attention matmuls.
        let matmuls =
            4 * 2 * 128 * 128 * 128 + 2 * 2 * 128 * 128 * 512 + 2 * 2 * 2 * 128 * 64 * 128;
        let gemm_flops: u64 = bert
            .ops
            .iter()
            .filter(|o| o.kind.gemm().is_some())
            .map(|o| o.kind.flops())
            .sum();
        assert_eq!(gemm_flops, matmuls);

        assert_eq!(tiny_gemv().unwrap().flops(), 2 * 16 * 16);
    }

    proptest::proptest! {
        #[test]
        fn any_sizes_give_a_workload_or_an_error_never_a_panic(
            dims in proptest::collection::vec(proptest::prelude::any::<u64>(), 7),
            small in proptest::collection::vec(0u64..40, 7),
            pick in 0usize..6,
        ) {
            for d in [&dims, &small] {
                let kind = match pick {
                    0 => OpKind::MatMul { batch: d[0], m: d[1], k: d[2], n: d[3] },
                    1 => OpKind::Conv2d { batch: d[0], c_in: d[1], c_out: d[2], h: d[3], w: d[4], kh: d[5], kw: d[6] },
                    2 => OpKind::MaxPool { batch: d[0], channels: d[1], h: d[2], w: d[3], size: d[4] },
                    3 => OpKind::Softmax { rows: d[0], cols: d[1] },
                    4 => OpKind::Activation { func: Activation::Gelu, len: d[0] },
                    _ => OpKind::Binary { op: Binary::Add, len: d[0] },
                };
                let mut b = Workload::builder("fuzz");
                let x = b.input("x", &[d[0], d[1]], DType::F32);
                let w = b.weight("w", &[d[2], d[3]], DType::F16);
                let inputs: &[TensorId] = match pick { 0 | 1 | 5 => &[x, w], _ => &[x] };
                b.op("op", kind, inputs);
                if let Ok(w) = b.build() {
                    let _ = w.flops();
                    let gpu = crate::gpu::GpuSim::new(crate::gpu::GpuConfig::small(), &w);
                    proptest::prop_assert!(gpu.is_ok());
                }
                let _ = presets::linear(d[0], d[1], d[2], true);
                let _ = presets::graphcore_mnist_cnn(d[0]);
            }
        }
    }

    #[test]
    fn bad_graphs_are_errors_not_panics() {
        assert_eq!(
            linear(0, 4, 4, false),
            Err(SimError::ZeroSize {
                what: "a tensor dimension"
            })
        );
        let mut b = Workload::builder("bad");
        let x = b.input("x", &[4], DType::F32);
        b.op(
            "relu",
            OpKind::Activation {
                func: Activation::Relu,
                len: 5,
            },
            &[x],
        );
        assert!(matches!(b.build(), Err(SimError::InvalidWorkload { .. })));
        let empty = Workload::builder("empty").build();
        assert!(matches!(empty, Err(SimError::InvalidWorkload { .. })));
    }
}
