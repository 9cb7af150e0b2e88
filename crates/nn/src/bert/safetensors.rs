//! Reading and writing [safetensors](https://huggingface.co/docs/safetensors) files, F32 only.
//! What the tensors of a BERT checkpoint are called and how they map onto a
//! [`super::BertClassifier`] is [`super::weights`]' job.
//!
//! The format: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping each tensor
//! name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data that
//! follows) plus an optional `"__metadata__"` map of strings, then the raw little-endian data.
//!
//! Nothing here panics on a bad file, and nothing is allocated from a size the file claims
//! before that size is checked against the bytes actually present and the caps below.

use std::collections::BTreeMap;

use ndarray::{ArrayD, IxDyn};

/// A header longer than this is refused (BERT-tiny's is about 6 KB).
pub const MAX_HEADER_BYTES: u64 = 1 << 20;
/// More tensors than this is refused.
pub const MAX_TENSORS: usize = 10_000;

/// Why a safetensors file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SafetensorsError {
    /// Shorter than its 8-byte header length, or than its header says.
    #[error("the file is truncated: {0}")]
    Truncated(String),
    /// A header length beyond the cap.
    #[error(
        "the header claims {0} bytes, more than the {MAX_HEADER_BYTES} a safetensors header may have here"
    )]
    AbsurdHeader(u64),
    /// The header is not the JSON the format describes.
    #[error("the header is not valid: {0}")]
    BadHeader(String),
    /// A dtype other than F32.
    #[error("tensor `{name}` is {dtype}; only F32 (32-bit float) tensors can be read")]
    Dtype {
        /// Tensor.
        name: String,
        /// Its dtype.
        dtype: String,
    },
    /// Offsets that do not match the shape or overlap the end.
    #[error("tensor `{name}`: {problem}")]
    Offsets {
        /// Tensor.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A tensor the model needs is absent.
    #[error("tensor `{0}` is missing")]
    Missing(String),
    /// A tensor the model does not have.
    #[error("tensor `{0}` is not part of this model")]
    Unknown(String),
    /// A tensor of the wrong shape.
    #[error("tensor `{name}` has shape {found:?}, the model needs {expected:?}")]
    Shape {
        /// Tensor.
        name: String,
        /// The model's.
        expected: Vec<usize>,
        /// The file's.
        found: Vec<usize>,
    },
}

/// One tensor's place in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// Shape.
    pub shape: Vec<usize>,
    /// Byte range within the data section.
    pub begin: usize,
    /// See `begin`.
    pub end: usize,
}

/// A parsed safetensors file borrowing its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeTensors<'a> {
    /// Tensors by name.
    pub tensors: BTreeMap<String, TensorInfo>,
    /// `__metadata__`.
    pub metadata: BTreeMap<String, String>,
    data: &'a [u8],
}

impl<'a> SafeTensors<'a> {
    /// Parses and checks a file: header size, JSON, dtypes (F32 only), offsets within the data.
    ///
    /// # Errors
    /// A sentence of the first problem.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, SafetensorsError> {
        let Some((len_bytes, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(SafetensorsError::Truncated(format!(
                "{} bytes, less than the 8-byte header length",
                bytes.len()
            )));
        };
        let header_len = u64::from_le_bytes(*len_bytes);
        if header_len > MAX_HEADER_BYTES {
            return Err(SafetensorsError::AbsurdHeader(header_len));
        }
        let header_len = header_len as usize;
        if header_len > rest.len() {
            return Err(SafetensorsError::Truncated(format!(
                "the header needs {header_len} bytes, {} remain",
                rest.len()
            )));
        }
        let (header, data) = rest.split_at(header_len);
        let json: serde_json::Value = serde_json::from_slice(header)
            .map_err(|e| SafetensorsError::BadHeader(e.to_string()))?;
        let object = json
            .as_object()
            .ok_or_else(|| SafetensorsError::BadHeader("not a JSON object".into()))?;
        if object.len() > MAX_TENSORS + 1 {
            return Err(SafetensorsError::BadHeader(format!(
                "{} entries",
                object.len()
            )));
        }
        let mut tensors = BTreeMap::new();
        let mut metadata = BTreeMap::new();
        for (name, entry) in object {
            if name == "__metadata__" {
                let map = entry.as_object().ok_or_else(|| {
                    SafetensorsError::BadHeader("`__metadata__` is not an object".into())
                })?;
                for (key, value) in map {
                    let value = value.as_str().ok_or_else(|| {
                        SafetensorsError::BadHeader(format!("metadata `{key}` is not a string"))
                    })?;
                    metadata.insert(key.clone(), value.to_string());
                }
                continue;
            }
            tensors.insert(name.clone(), tensor_info(name, entry, data.len())?);
        }
        Ok(Self {
            tensors,
            metadata,
            data,
        })
    }

    /// The values of a tensor, in its file shape.
    ///
    /// # Errors
    /// If the tensor is absent.
    pub fn tensor(&self, name: &str) -> Result<ArrayD<f32>, SafetensorsError> {
        let info = self
            .tensors
            .get(name)
            .ok_or_else(|| SafetensorsError::Missing(name.to_string()))?;
        let values: Vec<f32> = self.data[info.begin..info.end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        ArrayD::from_shape_vec(IxDyn(&info.shape), values).map_err(|e| SafetensorsError::Offsets {
            name: name.to_string(),
            problem: e.to_string(),
        })
    }
}

fn tensor_info(
    name: &str,
    entry: &serde_json::Value,
    data_len: usize,
) -> Result<TensorInfo, SafetensorsError> {
    let bad = |problem: &str| SafetensorsError::Offsets {
        name: name.to_string(),
        problem: problem.to_string(),
    };
    let dtype = entry
        .get("dtype")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| bad("no dtype"))?;
    if dtype != "F32" {
        return Err(SafetensorsError::Dtype {
            name: name.to_string(),
            dtype: dtype.to_string(),
        });
    }
    let shape = entry
        .get("shape")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| bad("no shape"))?
        .iter()
        .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| bad("the shape is not a list of sizes"))?;
    let offsets = entry
        .get("data_offsets")
        .and_then(serde_json::Value::as_array)
        .filter(|o| o.len() == 2)
        .ok_or_else(|| bad("no data_offsets pair"))?;
    let offset = |i: usize| offsets[i].as_u64().and_then(|o| usize::try_from(o).ok());
    let (Some(begin), Some(end)) = (offset(0), offset(1)) else {
        return Err(bad("data_offsets are not byte positions"));
    };
    let n_bytes = shape
        .iter()
        .try_fold(4_usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad("the shape is too large"))?;
    if end < begin || end - begin != n_bytes {
        return Err(bad(&format!(
            "data_offsets [{begin}, {end}] do not hold {n_bytes} bytes for shape {shape:?}"
        )));
    }
    if end > data_len {
        return Err(SafetensorsError::Truncated(format!(
            "tensor `{name}` ends at byte {end} of the data, which has {data_len}"
        )));
    }
    Ok(TensorInfo { shape, begin, end })
}

/// Writes named F32 tensors (sorted by name, the header padded to a multiple of 8 bytes).
///
/// # Panics
/// If a tensor's values do not match its shape (an internal invariant of the callers here).
pub fn write(tensors: &[(String, Vec<usize>, Vec<f32>)], metadata: &[(&str, &str)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, Vec<usize>, Vec<f32>)> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let map = metadata
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(*v)))
            .collect();
        header.insert("__metadata__".into(), serde_json::Value::Object(map));
    }
    let mut offset = 0;
    for (name, shape, values) in &sorted {
        assert_eq!(
            shape.iter().product::<usize>(),
            values.len(),
            "{name}: values and shape differ"
        );
        let end = offset + 4 * values.len();
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut header = serde_json::Value::Object(header).to_string().into_bytes();
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + offset);
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    for (_, _, values) in sorted {
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}
