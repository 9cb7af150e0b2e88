//! Building a [`Workload`] op by op, and checking the graph.

use super::{
    DType, MAX_OP_FLOPS, MAX_TENSOR_ELEMENTS, Op, OpKind, Tensor, TensorId, TensorKind, Workload,
    prod,
};
use crate::error::SimError;

impl Workload {
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
    pub(super) workload: Workload,
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
