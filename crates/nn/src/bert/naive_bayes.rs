//! A multinomial Naive Bayes classifier over token unigrams: the baseline a transformer has to
//! beat. Fitting is one pass of counting; prediction sums one log-likelihood per token.

/// Multinomial Naive Bayes with add-`alpha` (Laplace) smoothing over token ids.
#[derive(Clone, Debug, PartialEq)]
pub struct NaiveBayes {
    /// `ln P(class)`, `[n_classes]`.
    log_prior: Vec<f64>,
    /// `ln P(token | class)`, class-major, `[n_classes · vocab_size]`.
    log_likelihood: Vec<f64>,
    vocab_size: usize,
}

impl NaiveBayes {
    /// Counts tokens per class. Ids at or above `vocab_size`, and labels at or above
    /// `n_classes`, are ignored.
    pub fn fit<'a>(
        examples: impl IntoIterator<Item = (&'a [u32], u8)>,
        vocab_size: usize,
        n_classes: usize,
        alpha: f64,
    ) -> Self {
        let mut counts = vec![0.0_f64; n_classes * vocab_size];
        let mut n_per_class = vec![0.0_f64; n_classes];
        for (ids, label) in examples {
            let class = usize::from(label);
            if class >= n_classes {
                continue;
            }
            n_per_class[class] += 1.0;
            for &id in ids {
                if (id as usize) < vocab_size {
                    counts[class * vocab_size + id as usize] += 1.0;
                }
            }
        }
        let n_total: f64 = n_per_class.iter().sum();
        let log_prior = n_per_class
            .iter()
            .map(|&n| ((n + 1.0) / (n_total + n_classes as f64)).ln())
            .collect();
        let mut log_likelihood = counts;
        for class_counts in log_likelihood.chunks_mut(vocab_size.max(1)) {
            let total: f64 = class_counts.iter().sum::<f64>() + alpha * vocab_size as f64;
            for c in class_counts.iter_mut() {
                *c = ((*c + alpha) / total).ln();
            }
        }
        Self {
            log_prior,
            log_likelihood,
            vocab_size,
        }
    }

    /// Unnormalised `ln P(class) + Σ ln P(token | class)` per class.
    pub fn scores(&self, ids: &[u32]) -> Vec<f64> {
        self.log_prior
            .iter()
            .enumerate()
            .map(|(class, &prior)| {
                prior
                    + ids
                        .iter()
                        .filter(|&&id| (id as usize) < self.vocab_size)
                        .map(|&id| self.log_likelihood[class * self.vocab_size + id as usize])
                        .sum::<f64>()
            })
            .collect()
    }

    /// Class probabilities (softmax of [`scores`](Self::scores)).
    pub fn probabilities(&self, ids: &[u32]) -> Vec<f32> {
        let scores = self.scores(ids);
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        exp.iter().map(|e| (e / sum) as f32).collect()
    }

    /// The most probable class.
    pub fn predict(&self, ids: &[u32]) -> usize {
        let scores = self.scores(ids);
        (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap_or(0)
    }

    /// Fraction of `examples` classified correctly.
    pub fn accuracy<'a>(&self, examples: impl IntoIterator<Item = (&'a [u32], u8)>) -> f32 {
        let (mut right, mut total) = (0_usize, 0_usize);
        for (ids, label) in examples {
            total += 1;
            right += usize::from(self.predict(ids) == usize::from(label));
        }
        if total == 0 {
            0.0
        } else {
            right as f32 / total as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_bayes_learns_which_tokens_go_with_which_class() {
        let train: Vec<(Vec<u32>, u8)> = vec![
            (vec![1, 2, 9], 1),
            (vec![1, 1, 3], 1),
            (vec![4, 5, 9], 0),
            (vec![5, 5, 6], 0),
        ];
        let nb = NaiveBayes::fit(
            train.iter().map(|(ids, l)| (ids.as_slice(), *l)),
            10,
            2,
            1.0,
        );
        assert_eq!(nb.predict(&[1, 9]), 1);
        assert_eq!(nb.predict(&[5]), 0);
        let p = nb.probabilities(&[1]);
        assert!(p[1] > 0.5 && (p[0] + p[1] - 1.0).abs() < 1e-6);
        // P(1 | class 1) = (3 + 1) / (6 + 10) = 0.25 exactly.
        assert!((nb.log_likelihood[10 + 1] - 0.25_f64.ln()).abs() < 1e-12);
        assert_eq!(
            nb.accuracy(train.iter().map(|(ids, l)| (ids.as_slice(), *l))),
            1.0
        );
    }
}
