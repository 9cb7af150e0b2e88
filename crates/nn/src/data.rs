//! Labelled image datasets in memory, and batches of normalised inputs.

use ndarray::Array2;

use crate::idx::{IdxError, IdxLimits, read_images, read_labels};

/// Pixel normalisation, `x = (pixel/255 − mean) / std`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalization {
    /// Subtracted from `pixel/255`.
    pub mean: f32,
    /// Divides the result.
    pub std: f32,
}

impl Normalization {
    /// MNIST's training-set mean and standard deviation (0.1307, 0.3081), as the Graphcore
    /// example's `transforms.Normalize` uses.
    pub const MNIST: Self = Self {
        mean: 0.1307,
        std: 0.3081,
    };

    /// The normalised value of one pixel.
    pub fn apply(&self, pixel: u8) -> f32 {
        (f32::from(pixel) / 255.0 - self.mean) / self.std
    }
}

/// Greyscale images with one class label each: plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    n_rows: usize,
    n_cols: usize,
    n_classes: usize,
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl Dataset {
    /// Builds a dataset from an IDX images file and an IDX labels file (raw or gzip bytes).
    ///
    /// # Errors
    /// Either file is malformed (see [`IdxError`]), a label is `≥ n_classes`, or the two files
    /// hold different numbers of items.
    pub fn from_idx(images: &[u8], labels: &[u8], n_classes: usize) -> Result<Self, IdxError> {
        let limits = IdxLimits::default();
        let images = read_images(images, &limits)?;
        let labels = read_labels(labels, n_classes, &limits)?;
        if images.n_images != labels.len() {
            return Err(IdxError::CountMismatch {
                n_images: images.n_images,
                n_labels: labels.len(),
            });
        }
        Ok(Self {
            n_rows: images.n_rows,
            n_cols: images.n_cols,
            n_classes,
            pixels: images.pixels,
            labels,
        })
    }

    /// Builds a dataset from pixels and labels already in memory.
    ///
    /// # Errors
    /// [`IdxError::LengthMismatch`] if `pixels` is not `labels.len() · n_rows · n_cols` long,
    /// [`IdxError::LabelOutOfRange`] for a label `≥ n_classes`.
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        n_classes: usize,
        pixels: Vec<u8>,
        labels: Vec<u8>,
    ) -> Result<Self, IdxError> {
        let expected = labels.len() * n_rows * n_cols;
        if pixels.len() != expected {
            return Err(IdxError::LengthMismatch {
                expected,
                found: pixels.len(),
            });
        }
        if let Some((item_idx, &label)) = labels
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
        Ok(Self {
            n_rows,
            n_cols,
            n_classes,
            pixels,
            labels,
        })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image (`n_rows · n_cols`).
    pub fn image_len(&self) -> usize {
        self.n_rows * self.n_cols
    }

    /// Image height and width.
    pub fn image_dim(&self) -> (usize, usize) {
        (self.n_rows, self.n_cols)
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// All labels, item order.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The pixels of item `item_idx`, row-major.
    ///
    /// # Panics
    /// If `item_idx ≥ len()`.
    pub fn image(&self, item_idx: usize) -> &[u8] {
        let len = self.image_len();
        &self.pixels[item_idx * len..(item_idx + 1) * len]
    }

    /// Items per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// The normalised images of `item_indices`, one per row, and their labels.
    ///
    /// # Shapes
    /// → inputs: `[item_indices.len(), n_rows·n_cols]`, labels: `[item_indices.len()]`
    pub fn batch(
        &self,
        item_indices: &[usize],
        normalization: Normalization,
    ) -> (Array2<f32>, Vec<u8>) {
        let len = self.image_len();
        let mut inputs = Array2::zeros((item_indices.len(), len));
        for (mut row, &item_idx) in inputs.rows_mut().into_iter().zip(item_indices) {
            for (x, &pixel) in row.iter_mut().zip(self.image(item_idx)) {
                *x = normalization.apply(pixel);
            }
        }
        let labels = item_indices.iter().map(|&i| self.labels[i]).collect();
        (inputs, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::encode;

    #[test]
    fn from_idx_pairs_images_with_labels_and_normalises_batches() {
        let images = encode(&[2, 1, 2], &[0, 255, 51, 0]);
        let labels = encode(&[2], &[3, 1]);
        let data = Dataset::from_idx(&images, &labels, 4).unwrap();
        assert_eq!(
            (data.len(), data.image_dim(), data.labels()),
            (2, (1, 2), &[3, 1][..])
        );
        assert_eq!(data.class_counts(), vec![0, 1, 0, 1]);
        let (x, y) = data.batch(
            &[1],
            Normalization {
                mean: 0.0,
                std: 0.5,
            },
        );
        assert_eq!(x.into_raw_vec_and_offset().0, vec![0.4, 0.0]);
        assert_eq!(y, vec![1]);
    }

    #[test]
    fn disagreeing_counts_are_an_error() {
        let images = encode(&[2, 1, 1], &[0, 0]);
        let labels = encode(&[3], &[0, 0, 0]);
        assert_eq!(
            Dataset::from_idx(&images, &labels, 10),
            Err(IdxError::CountMismatch {
                n_images: 2,
                n_labels: 3
            })
        );
    }
}
