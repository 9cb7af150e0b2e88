//! The shared workload model: a small graph of tensor ops with shapes and element sizes,
//! which every simulator in the crate accepts.
//!
//! A [`Workload`] is a list of tensors and a list of ops in execution order (each op reads
//! tensors written by earlier ops or supplied from outside, and writes one new tensor).
//! Reshapes and transposes are free views: an op only checks that the element counts of its
//! inputs match what it needs. Convolutions are described by their shape and costed as the
//! GEMM they lower to (im2col): `m = batch·h_out·w_out`, `k = c_in·kh·kw`, `n = c_out`.

use crate::error::SimError;
use crate::units::Bytes;
use std::fmt;

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

    /// Checks the graph: ids in range, every op reads only tensors that exist before it runs,
    /// writes a fresh activation of the right size, and has no zero or huge dimension.
    ///
    /// # Errors
    /// [`SimError::InvalidWorkload`] or [`SimError::ZeroSize`]/[`SimError::TooLarge`].
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |reason: String| Err(SimError::InvalidWorkload { reason });
        if self.ops.is_empty() {
            return bad(format!("workload \"{}\" has no ops.", self.name));
        }
        let mut written = vec![false; self.tensors.len()];
        for t in &self.tensors {
            for &d in &t.shape {
                crate::error::check_size("a tensor dimension", d, MAX_TENSOR_ELEMENTS)?;
            }
            crate::error::check_size(
                "a tensor's element count",
                t.elements(),
                MAX_TENSOR_ELEMENTS,
            )?;
        }
        for op in &self.ops {
            for (what, d) in op.kind.dims() {
                crate::error::check_size(what, d, MAX_TENSOR_ELEMENTS)?;
            }
            let Some(out) = self.tensors.get(op.output.0) else {
                return bad(format!(
                    "op \"{}\" writes a tensor that does not exist.",
                    op.name
                ));
            };
            if out.kind != TensorKind::Activation || written[op.output.0] {
                return bad(format!(
                    "op \"{}\" writes \"{}\", which is not a fresh activation.",
                    op.name, out.name
                ));
            }
            crate::error::check_size("an op's FLOP count", op.kind.flops().max(1), MAX_OP_FLOPS)?;
            let out_elems = prod(&op.kind.output_shape());
            if out.elements() != out_elems {
                return bad(format!(
                    "op \"{}\" produces {} elements but its output \"{}\" has {}.",
                    op.name,
                    out_elems,
                    out.name,
                    out.elements()
                ));
            }
            let mut in_elems = Vec::with_capacity(op.inputs.len());
            for &id in &op.inputs {
                let Some(t) = self.tensors.get(id.0) else {
                    return bad(format!(
                        "op \"{}\" reads a tensor that does not exist.",
                        op.name
                    ));
                };
                if t.kind == TensorKind::Activation && !written[id.0] {
                    return bad(format!(
                        "op \"{}\" reads \"{}\" before any op writes it.",
                        op.name, t.name
                    ));
                }
                in_elems.push(t.elements());
            }
            if let Some(reason) = check_inputs(&op.kind, &in_elems) {
                return bad(format!("op \"{}\": {reason}", op.name));
            }
            written[op.output.0] = true;
        }
        Ok(())
    }
}

/// Element-count check of an op's inputs; `Some(reason)` when they do not fit.
fn check_inputs(kind: &OpKind, ins: &[u64]) -> Option<String> {
    let want = |n: usize| (ins.len() != n).then(|| format!("needs {n} inputs, has {}.", ins.len()));
    match *kind {
        OpKind::MatMul { batch, m, k, n } => want(2).or_else(|| {
            (ins[0] != prod(&[batch, m, k])
                || (ins[1] != prod(&[k, n]) && ins[1] != prod(&[batch, k, n])))
            .then(|| "input sizes do not match the matmul shape.".to_owned())
        }),
        OpKind::Binary { len, .. } => want(2).or_else(|| {
            (ins[0] != len || ins[1] == 0 || len % ins[1] != 0)
                .then(|| "the second input must have a length dividing the first.".to_owned())
        }),
        OpKind::Activation { len, .. } => {
            want(1).or_else(|| (ins[0] != len).then(|| "input size is wrong.".to_owned()))
        }
        OpKind::Softmax { rows, cols } | OpKind::LayerNorm { rows, cols } => want(1)
            .or_else(|| (ins[0] != prod(&[rows, cols])).then(|| "input size is wrong.".to_owned())),
        OpKind::Conv2d {
            batch,
            c_in,
            c_out,
            h,
            w,
            kh,
            kw,
        } => want(2).or_else(|| {
            if kh > h || kw > w {
                Some("the kernel is larger than the image.".to_owned())
            } else if ins[0] != prod(&[batch, c_in, h, w]) || ins[1] != prod(&[c_out, c_in, kh, kw])
            {
                Some("input sizes do not match the convolution shape.".to_owned())
            } else {
                None
            }
        }),
        OpKind::MaxPool {
            batch,
            channels,
            h,
            w,
            size,
        } => want(1).or_else(|| {
            if size > h || size > w {
                Some("the pool window is larger than the image.".to_owned())
            } else {
                (ins[0] != prod(&[batch, channels, h, w]))
                    .then(|| "input size is wrong.".to_owned())
            }
        }),
    }
}

/// Builds a [`Workload`] op by op; see [`Workload::builder`].
#[derive(Debug, Clone)]
pub struct WorkloadBuilder {
    workload: Workload,
}

impl WorkloadBuilder {
    fn tensor(&mut self, name: &str, shape: &[u64], dtype: DType, kind: TensorKind) -> TensorId {
        self.workload.tensors.push(Tensor {
            name: name.to_owned(),
            shape: shape.to_vec(),
            dtype,
            kind,
        });
        TensorId(self.workload.tensors.len() - 1)
    }

    /// Declares a per-run input tensor.
    pub fn input(&mut self, name: &str, shape: &[u64], dtype: DType) -> TensorId {
        self.tensor(name, shape, dtype, TensorKind::Input)
    }

    /// Declares a weight tensor.
    pub fn weight(&mut self, name: &str, shape: &[u64], dtype: DType) -> TensorId {
        self.tensor(name, shape, dtype, TensorKind::Weight)
    }

    /// Appends an op; its output is a new activation named after the op, with the dtype of
    /// the first input.
    pub fn op(&mut self, name: &str, kind: OpKind, inputs: &[TensorId]) -> TensorId {
        let dtype = inputs
            .first()
            .and_then(|id| self.workload.tensors.get(id.0))
            .map_or(DType::F32, |t| t.dtype);
        let output = self.tensor(name, &kind.output_shape(), dtype, TensorKind::Activation);
        self.workload.ops.push(Op {
            name: name.to_owned(),
            kind,
            inputs: inputs.to_vec(),
            output,
        });
        output
    }

    /// Validates and returns the workload.
    ///
    /// # Errors
    /// As [`Workload::validate`].
    pub fn build(self) -> Result<Workload, SimError> {
        self.workload.validate()?;
        Ok(self.workload)
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

/// Preset workloads sized like the course's models.
pub mod presets {
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

    /// One BERT-tiny encoder layer: sequence 128, hidden 128, 2 heads (head size 64),
    /// feed-forward 512. Ops: Q, K, V projections; per-head scores `Q·Kᵀ`; softmax; per-head
    /// `scores·V`; output projection; residual add; layer norm; FFN up, GELU, FFN down;
    /// residual add; layer norm. Biases and the 1/√d scale are left out.
    ///
    /// # Errors
    /// None for this fixed shape; the `Result` keeps presets uniform.
    pub fn bert_tiny_encoder_layer() -> Result<Workload, SimError> {
        let (seq, hidden, heads, ffn) = (128u64, 128u64, 2u64, 512u64);
        let head = hidden / heads;
        let f = DType::F32;
        let mut b = Workload::builder("BERT-tiny encoder layer (seq 128, hidden 128, 2 heads)");
        let x = b.input("x", &[seq, hidden], f);
        let proj = OpKind::MatMul {
            batch: 1,
            m: seq,
            k: hidden,
            n: hidden,
        };
        let wq = b.weight("wq", &[hidden, hidden], f);
        let wk = b.weight("wk", &[hidden, hidden], f);
        let wv = b.weight("wv", &[hidden, hidden], f);
        let wo = b.weight("wo", &[hidden, hidden], f);
        let w1 = b.weight("ffn.w1", &[hidden, ffn], f);
        let w2 = b.weight("ffn.w2", &[ffn, hidden], f);
        let q = b.op("q_proj", proj, &[x, wq]);
        let k = b.op("k_proj", proj, &[x, wk]);
        let v = b.op("v_proj", proj, &[x, wv]);
        let s = b.op(
            "scores",
            OpKind::MatMul {
                batch: heads,
                m: seq,
                k: head,
                n: seq,
            },
            &[q, k],
        );
        let p = b.op(
            "softmax",
            OpKind::Softmax {
                rows: heads * seq,
                cols: seq,
            },
            &[s],
        );
        let c = b.op(
            "context",
            OpKind::MatMul {
                batch: heads,
                m: seq,
                k: seq,
                n: head,
            },
            &[p, v],
        );
        let o = b.op("out_proj", proj, &[c, wo]);
        let len = seq * hidden;
        let r = b.op(
            "residual1",
            OpKind::Binary {
                op: Binary::Add,
                len,
            },
            &[o, x],
        );
        let h = b.op(
            "norm1",
            OpKind::LayerNorm {
                rows: seq,
                cols: hidden,
            },
            &[r],
        );
        let u = b.op(
            "ffn_up",
            OpKind::MatMul {
                batch: 1,
                m: seq,
                k: hidden,
                n: ffn,
            },
            &[h, w1],
        );
        let g = b.op(
            "gelu",
            OpKind::Activation {
                func: Activation::Gelu,
                len: seq * ffn,
            },
            &[u],
        );
        let d = b.op(
            "ffn_down",
            OpKind::MatMul {
                batch: 1,
                m: seq,
                k: ffn,
                n: hidden,
            },
            &[g, w2],
        );
        let r2 = b.op(
            "residual2",
            OpKind::Binary {
                op: Binary::Add,
                len,
            },
            &[d, h],
        );
        b.op(
            "norm2",
            OpKind::LayerNorm {
                rows: seq,
                cols: hidden,
            },
            &[r2],
        );
        b.build()
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
}

#[cfg(test)]
mod tests {
    use super::presets::*;
    use super::*;

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
