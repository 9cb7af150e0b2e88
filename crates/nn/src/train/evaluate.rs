//! Scoring a model's answers, for every trainer and every model: a chunked, resumable
//! [`Evaluator`] with its [`Evaluation`] and [`ConfusionMatrix`], and the counts a training
//! step reports (the first-largest `argmax`, [`count_correct`]).

use ndarray::ArrayView2;

/// A chunked, resumable evaluation: the caller asks for the next range of items, computes their
/// logits however it likes (any model, any slice of time) and records them; [`finish`](Self::finish)
/// gives the [`Evaluation`]. Plain data, so a worker can keep one between time slices.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluator {
    n_samples: usize,
    next_idx: usize,
    confusion: ConfusionMatrix,
    loss_sum: f64,
}

impl Evaluator {
    /// An evaluation of `n_samples` items over `n_classes` classes.
    pub fn new(n_samples: usize, n_classes: usize) -> Self {
        Self {
            n_samples,
            next_idx: 0,
            confusion: ConfusionMatrix::new(n_classes),
            loss_sum: 0.0,
        }
    }

    /// The next items to evaluate, at most `chunk_size` of them; `None` when all are recorded.
    pub fn next_chunk(&self, chunk_size: usize) -> Option<std::ops::Range<usize>> {
        let end = (self.next_idx + chunk_size.max(1)).min(self.n_samples);
        (self.next_idx < self.n_samples).then_some(self.next_idx..end)
    }

    /// Items recorded so far.
    pub fn n_done(&self) -> usize {
        self.next_idx
    }

    /// Whether every item is recorded.
    pub fn is_done(&self) -> bool {
        self.next_idx >= self.n_samples
    }

    /// Records the logits of the next `labels.len()` items and their mean loss.
    ///
    /// # Shapes
    /// `logits`: `[labels.len(), n_classes]`
    pub fn record(&mut self, logits: ArrayView2<'_, f32>, labels: &[u8], mean_loss: f32) {
        assert_eq!(logits.nrows(), labels.len(), "Evaluator: one row per label");
        for (row, &label) in logits.rows().into_iter().zip(labels) {
            self.confusion
                .record(usize::from(label), argmax(row.iter().copied()));
        }
        self.loss_sum += f64::from(mean_loss) * labels.len() as f64;
        self.next_idx += labels.len();
    }

    /// The evaluation of the items recorded so far.
    pub fn finish(&self) -> Evaluation {
        let mean_loss = (self.loss_sum / self.next_idx.max(1) as f64) as f32;
        Evaluation {
            n_samples: self.next_idx,
            accuracy: self.confusion.accuracy(),
            mean_loss: mean_loss.is_finite().then_some(mean_loss),
            confusion: self.confusion.clone(),
        }
    }
}

/// Counts of (true class, predicted class).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    n_classes: usize,
    counts: Vec<u32>,
}

impl ConfusionMatrix {
    /// An empty matrix.
    pub fn new(n_classes: usize) -> Self {
        Self {
            n_classes,
            counts: vec![0; n_classes * n_classes],
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Records one prediction.
    pub fn record(&mut self, true_class: usize, predicted: usize) {
        self.counts[true_class * self.n_classes + predicted] += 1;
    }

    /// How many items of `true_class` were predicted as `predicted`.
    pub fn count(&self, true_class: usize, predicted: usize) -> u32 {
        self.counts[true_class * self.n_classes + predicted]
    }

    /// Items recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Fraction on the diagonal.
    pub fn accuracy(&self) -> f32 {
        let correct: u64 = (0..self.n_classes)
            .map(|c| u64::from(self.count(c, c)))
            .sum();
        ratio(correct, self.total())
    }

    /// The most-predicted class and the fraction of all predictions it got. A share near 1
    /// means the model has collapsed to predicting one class (accuracy near that class's share
    /// of the data: the signature of a run that "diverged" without producing NaN).
    pub fn dominant_prediction(&self) -> (usize, f32) {
        let per_class: Vec<u64> = (0..self.n_classes)
            .map(|p| {
                (0..self.n_classes)
                    .map(|t| u64::from(self.count(t, p)))
                    .sum()
            })
            .collect();
        let (class, &count) = per_class
            .iter()
            .enumerate()
            .max_by_key(|&(_, c)| *c)
            .unwrap_or((0, &0));
        (class, ratio(count, self.total()))
    }
}

pub(crate) fn ratio(part: u64, whole: u64) -> f32 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64) as f32
    }
}

/// The result of an [`Evaluator`] (and of [`Trainer::evaluate`](super::Trainer::evaluate)).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Items evaluated.
    pub n_samples: usize,
    /// Fraction classified correctly.
    pub accuracy: f32,
    /// Mean loss, or `None` if some item's loss was not finite.
    pub mean_loss: Option<f32>,
    /// Per (true, predicted) class.
    pub confusion: ConfusionMatrix,
}

/// Index of the largest value (the first on ties; NaN never wins).
pub(crate) fn argmax(values: impl Iterator<Item = f32>) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (idx, v) in values.enumerate() {
        if v > best.1 {
            best = (idx, v);
        }
    }
    best.0
}

/// How many rows of `logits` have their largest value (the first on a tie; NaN never wins) at
/// the row's label: class indices for a classifier, vocabulary ids for the masked-LM head.
///
/// # Shapes
/// `logits`: `[n, n_classes]`, `labels`: `[n]`
pub(crate) fn count_correct<L: Copy + TryInto<usize>>(
    logits: ArrayView2<'_, f32>,
    labels: &[L],
) -> usize {
    logits
        .rows()
        .into_iter()
        .zip(labels)
        .filter(|(row, label)| (**label).try_into().ok() == Some(argmax(row.iter().copied())))
        .count()
}
