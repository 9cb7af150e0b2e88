//! The IDX file format of the original MNIST distribution, raw or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number `00 00 TT DD` (`TT` the element type, `0x08` for
//! unsigned bytes; `DD` the number of dimensions), then each dimension as a big-endian `u32`,
//! then the elements in row-major order. MNIST images are `[n, 28, 28]` (magic `0x00000803`),
//! labels `[n]` (magic `0x00000801`). This module reads bytes a caller hands in (no I/O): it
//! checks the magic number, the dimensions and the length, caps every size before allocating,
//! and reports a bad file as an [`IdxError`].

use std::io::Read;

use flate2::read::GzDecoder;

/// The magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
const UNSIGNED_BYTE: u8 = 0x08;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Why bytes are not a usable IDX file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdxError {
    /// The bytes start like gzip but do not decompress.
    #[error("the data looks gzip-compressed but does not decompress: {0}")]
    Gzip(String),
    /// Decompressed, the data exceeds the byte cap.
    #[error("the data is larger than the cap of {cap} bytes")]
    TooLarge {
        /// The cap, in bytes.
        cap: usize,
    },
    /// Too short to hold the header it announces.
    #[error("the data is {len} bytes long, too short for its {needed}-byte header")]
    TruncatedHeader {
        /// Bytes present.
        len: usize,
        /// Bytes the header needs.
        needed: usize,
    },
    /// The magic number is not the one expected.
    #[error("magic number {found:#010x}, expected {expected:#010x} ({what})")]
    BadMagic {
        /// What was read.
        found: u32,
        /// What this kind of file must start with.
        expected: u32,
        /// What kind of file was expected.
        what: &'static str,
    },
    /// A dimension is zero or above its cap.
    #[error("dimension {dim_idx} is {size}, outside 1..={cap}")]
    BadDimension {
        /// Which dimension (0 = the item count).
        dim_idx: usize,
        /// Its size.
        size: u32,
        /// The largest size accepted.
        cap: u32,
    },
    /// The payload is not exactly the size the header promises.
    #[error("the header promises {expected} data bytes but {found} follow it")]
    LengthMismatch {
        /// Bytes the dimensions imply.
        expected: usize,
        /// Bytes present after the header.
        found: usize,
    },
    /// Images and labels disagree on the number of items.
    #[error("{n_images} images but {n_labels} labels")]
    CountMismatch {
        /// Items in the image file.
        n_images: usize,
        /// Items in the label file.
        n_labels: usize,
    },
    /// A label is not a valid class.
    #[error("label {label} at index {item_idx} is not below {n_classes}")]
    LabelOutOfRange {
        /// Which item.
        item_idx: usize,
        /// Its label.
        label: u8,
        /// The number of classes.
        n_classes: usize,
    },
}

/// Caps on what a reader accepts, checked before any large allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdxLimits {
    /// Largest item count (the first dimension).
    pub max_items: u32,
    /// Largest image side (the other dimensions).
    pub max_side: u32,
    /// Largest decompressed size, in bytes.
    pub max_bytes: usize,
}

impl Default for IdxLimits {
    /// Enough for the full MNIST training set (60,000 × 28 × 28 = 47 MB), not much more.
    fn default() -> Self {
        Self {
            max_items: 100_000,
            max_side: 64,
            max_bytes: 64 << 20,
        }
    }
}

/// Images from an IDX file: `n_images` row-major `n_rows × n_cols` images of bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub n_images: usize,
    /// Rows per image.
    pub n_rows: usize,
    /// Columns per image.
    pub n_cols: usize,
    /// `n_images · n_rows · n_cols` pixels, image after image, row-major (0 = background).
    pub pixels: Vec<u8>,
}

/// Reads an images file (raw or gzip).
///
/// # Errors
/// A bad gzip stream, a wrong magic number, a zero or oversized dimension, or a length that does
/// not match the header.
pub fn read_images(bytes: &[u8], limits: &IdxLimits) -> Result<IdxImages, IdxError> {
    let raw = decompress(bytes, limits)?;
    let (dims, payload) = parse(
        &raw,
        IMAGES_MAGIC,
        "unsigned-byte images, 3 dimensions",
        limits,
    )?;
    Ok(IdxImages {
        n_images: dims[0],
        n_rows: dims[1],
        n_cols: dims[2],
        pixels: payload.to_vec(),
    })
}

/// Reads a labels file (raw or gzip); every label must be below `n_classes`.
///
/// # Errors
/// As [`read_images`], and a label `≥ n_classes`.
pub fn read_labels(
    bytes: &[u8],
    n_classes: usize,
    limits: &IdxLimits,
) -> Result<Vec<u8>, IdxError> {
    let raw = decompress(bytes, limits)?;
    let (_, payload) = parse(
        &raw,
        LABELS_MAGIC,
        "unsigned-byte labels, 1 dimension",
        limits,
    )?;
    if let Some((item_idx, &label)) = payload
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= n_classes)
    {
        return Err(IdxError::LabelOutOfRange {
            item_idx,
            label,
            n_classes,
        });
    }
    Ok(payload.to_vec())
}

/// Encodes unsigned bytes as an (uncompressed) IDX file with the given dimensions.
///
/// # Panics
/// If `data.len()` is not the product of `dims`, there are more than 255 dimensions or one
/// exceeds `u32::MAX` (the caller builds both from the same data).
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    assert_eq!(
        dims.iter().product::<usize>(),
        data.len(),
        "IDX dimensions do not match the data"
    );
    let n_dims = u8::try_from(dims.len()).expect("at most 255 dimensions");
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, UNSIGNED_BYTE, n_dims]);
    for &dim in dims {
        out.extend_from_slice(
            &u32::try_from(dim)
                .expect("an IDX dimension fits in u32")
                .to_be_bytes(),
        );
    }
    out.extend_from_slice(data);
    out
}

/// Gunzips `bytes` if they start with the gzip magic, reading at most `limits.max_bytes + 1`.
fn decompress<'a>(
    bytes: &'a [u8],
    limits: &IdxLimits,
) -> Result<std::borrow::Cow<'a, [u8]>, IdxError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        if bytes.len() > limits.max_bytes {
            return Err(IdxError::TooLarge {
                cap: limits.max_bytes,
            });
        }
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    let cap = u64::try_from(limits.max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    GzDecoder::new(bytes)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| IdxError::Gzip(e.to_string()))?;
    if out.len() > limits.max_bytes {
        return Err(IdxError::TooLarge {
            cap: limits.max_bytes,
        });
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Checks the header against `magic` and the limits; returns the dimensions and the payload.
fn parse<'a>(
    raw: &'a [u8],
    magic: u32,
    what: &'static str,
    limits: &IdxLimits,
) -> Result<(Vec<usize>, &'a [u8]), IdxError> {
    let n_dims = usize::from(magic.to_be_bytes()[3]);
    let header_len = 4 + 4 * n_dims;
    if raw.len() < header_len {
        return Err(IdxError::TruncatedHeader {
            len: raw.len(),
            needed: header_len,
        });
    }
    let word = |idx: usize| {
        u32::from_be_bytes([
            raw[4 * idx],
            raw[4 * idx + 1],
            raw[4 * idx + 2],
            raw[4 * idx + 3],
        ])
    };
    let found = word(0);
    if found != magic {
        return Err(IdxError::BadMagic {
            found,
            expected: magic,
            what,
        });
    }
    let mut dims = Vec::with_capacity(n_dims);
    for dim_idx in 0..n_dims {
        let size = word(1 + dim_idx);
        let cap = if dim_idx == 0 {
            limits.max_items
        } else {
            limits.max_side
        };
        if size == 0 || size > cap {
            return Err(IdxError::BadDimension { dim_idx, size, cap });
        }
        dims.push(size as usize);
    }
    let expected = dims.iter().product::<usize>();
    let payload = &raw[header_len..];
    if payload.len() != expected {
        return Err(IdxError::LengthMismatch {
            expected,
            found: payload.len(),
        });
    }
    Ok((dims, payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn two_images() -> Vec<u8> {
        encode(&[2, 2, 3], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    }

    #[test]
    fn reads_raw_and_gzip_images() {
        let expected = IdxImages {
            n_images: 2,
            n_rows: 2,
            n_cols: 3,
            pixels: (0..12).collect(),
        };
        let limits = IdxLimits::default();
        assert_eq!(read_images(&two_images(), &limits), Ok(expected.clone()));
        assert_eq!(read_images(&gzip(&two_images()), &limits), Ok(expected));
    }

    #[test]
    fn reads_labels_and_rejects_out_of_range_ones() {
        let limits = IdxLimits::default();
        assert_eq!(
            read_labels(&gzip(&encode(&[3], &[7, 0, 9])), 10, &limits),
            Ok(vec![7, 0, 9])
        );
        assert_eq!(
            read_labels(&encode(&[3], &[7, 10, 9]), 10, &limits),
            Err(IdxError::LabelOutOfRange {
                item_idx: 1,
                label: 10,
                n_classes: 10
            })
        );
    }

    /// One malformed file and the error it must give.
    fn check(bytes: &[u8], limits: IdxLimits, expected: &IdxError) {
        assert_eq!(read_images(bytes, &limits).as_ref(), Err(expected));
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        let limits = IdxLimits::default();
        let good = two_images();
        check(
            &good[..10],
            limits,
            &IdxError::TruncatedHeader {
                len: 10,
                needed: 16,
            },
        );
        check(
            &encode(&[12], &good[16..]),
            limits,
            &IdxError::BadMagic {
                found: LABELS_MAGIC,
                expected: IMAGES_MAGIC,
                what: "unsigned-byte images, 3 dimensions",
            },
        );
        check(
            &good[..good.len() - 1],
            limits,
            &IdxError::LengthMismatch {
                expected: 12,
                found: 11,
            },
        );
        let mut extra = good.clone();
        extra.push(0);
        check(
            &extra,
            limits,
            &IdxError::LengthMismatch {
                expected: 12,
                found: 13,
            },
        );
        let mut zero = good.clone();
        zero[4..8].copy_from_slice(&0_u32.to_be_bytes());
        check(
            &zero,
            limits,
            &IdxError::BadDimension {
                dim_idx: 0,
                size: 0,
                cap: 100_000,
            },
        );
        let small = IdxLimits {
            max_side: 2,
            ..limits
        };
        check(
            &good,
            small,
            &IdxError::BadDimension {
                dim_idx: 2,
                size: 3,
                cap: 2,
            },
        );
        // A header claiming 4 billion images is rejected before anything is allocated.
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        check(
            &huge,
            limits,
            &IdxError::BadDimension {
                dim_idx: 0,
                size: u32::MAX,
                cap: 100_000,
            },
        );
        // A gzip bomb stops at the byte cap.
        let bomb = gzip(&vec![0; 10_000]);
        check(
            &bomb,
            IdxLimits {
                max_bytes: 1_000,
                ..limits
            },
            &IdxError::TooLarge { cap: 1_000 },
        );
        let mut corrupt = gzip(&good);
        let mid = corrupt.len() / 2;
        corrupt.truncate(mid);
        assert!(matches!(
            read_images(&corrupt, &limits),
            Err(IdxError::Gzip(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn encode_then_read_round_trips(n in 1_usize..5, rows in 1_usize..6, cols in 1_usize..6, seed: u8) {
            let pixels: Vec<u8> = (0..n * rows * cols).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            let bytes = encode(&[n, rows, cols], &pixels);
            let expected = IdxImages { n_images: n, n_rows: rows, n_cols: cols, pixels };
            proptest::prop_assert_eq!(read_images(&bytes, &IdxLimits::default()), Ok(expected.clone()));
            proptest::prop_assert_eq!(read_images(&gzip(&bytes), &IdxLimits::default()), Ok(expected));
        }

        #[test]
        fn arbitrary_bytes_give_a_result_never_a_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let limits = IdxLimits::default();
            let _ = read_images(&bytes, &limits);
            // Only a well-formed labels file (8-byte header, then one byte per label) is accepted.
            if let Ok(labels) = read_labels(&bytes, 10, &limits) {
                proptest::prop_assert_eq!(labels.len() + 8, bytes.len());
            }
        }
    }
}
