//! Fixed workloads a benchmark harness runs and times (this crate reads no clock). Each
//! function does a known amount of work and returns it, so `work / elapsed` is the figure.
//! `cargo xtask bench nn` times them natively and in headless Chromium (wasm, SIMD128).

use ndarray::{Array2, linalg::general_mat_mul};

use crate::bert::train::{BertTrainConfig, BertTrainError, BertTrainer, EncodedExample};
use crate::bert::{BertClassifier, BertConfig, TokenBatch};
use crate::data::Dataset;
use crate::idx::IdxError;
use crate::model::{CnnConfig, MlpConfig, ModelConfig};
use crate::optim::OptimizerConfig;
use crate::rng::{index_below, rng_from_seed};
use crate::train::{BatchOutcome, TrainConfig, TrainConfigError, Trainer};

/// `reps` products of two `n×n` f32 matrices; returns the FLOPs done (`2·n³` each).
pub fn gemm_flops(n: usize, reps: usize) -> f64 {
    let a = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1);
    let b = Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j) % 13) as f32 * 0.1);
    let mut c = Array2::<f32>::zeros((n, n));
    for _ in 0..reps {
        general_mat_mul(1.0, &a, &b, 0.0, &mut c);
    }
    // Keep the result observable so the work cannot be optimised away.
    std::hint::black_box(&c);
    2.0 * (n as f64).powi(3) * reps as f64
}

/// Which model a training benchmark trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchModel {
    /// 784 → 128 → 10.
    Mlp,
    /// The Graphcore MNIST example's CNN.
    Cnn,
}

/// Why a benchmark could not be set up (only a bad size can cause it).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BenchError {
    #[error("benchmark data: {0}")]
    Data(#[from] IdxError),
    #[error("benchmark training: {0}")]
    Config(#[from] TrainConfigError),
    #[error("benchmark BERT: {0}")]
    Bert(#[from] BertTrainError),
}

/// A trainer on `n_images` seeded random 28×28 digits, ready for timing.
///
/// # Errors
/// A zero batch size or image count.
pub fn trainer(
    model: BenchModel,
    batch_size: usize,
    n_images: usize,
) -> Result<Trainer, BenchError> {
    let mut rng = rng_from_seed(0xBE7C4);
    let pixels = (0..n_images * 28 * 28)
        .map(|_| index_below(&mut rng, 256) as u8)
        .collect();
    let labels = (0..n_images)
        .map(|_| index_below(&mut rng, 10) as u8)
        .collect();
    let data = Dataset::new(28, 28, 10, pixels, labels)?;
    let config = TrainConfig {
        model: match model {
            BenchModel::Mlp => ModelConfig::Mlp(MlpConfig::default()),
            BenchModel::Cnn => ModelConfig::Cnn(CnnConfig::default()),
        },
        optimizer: OptimizerConfig::sgd(0.01),
        batch_size,
        n_epochs: usize::MAX,
        ..TrainConfig::graphcore_example()
    };
    Ok(Trainer::new(config, data)?)
}

/// Trains `n_batches` batches; returns the samples processed.
pub fn train_samples(trainer: &mut Trainer, n_batches: usize) -> usize {
    let batch = trainer.config().batch_size;
    let mut samples = 0;
    for _ in 0..n_batches {
        match trainer.train_batch() {
            BatchOutcome::Trained(_) => samples += batch,
            BatchOutcome::Stopped(_) | BatchOutcome::Diverged(_) => break,
        }
    }
    samples
}

/// A BERT-tiny trainer on `n_sequences` seeded random sequences of exactly `len` tokens
/// (`[CLS]`, random word pieces, `[SEP]`), for timing.
///
/// # Errors
/// A zero batch size or length.
pub fn bert_trainer(
    batch_size: usize,
    len: usize,
    n_sequences: usize,
) -> Result<BertTrainer, BertTrainError> {
    let examples = random_sequences(len, n_sequences)
        .into_iter()
        .enumerate()
        .map(|(idx, ids)| EncodedExample {
            ids,
            label: (idx % 2) as u8,
        })
        .collect();
    let config = BertTrainConfig {
        batch_size,
        n_epochs: 1_000_000,
        ..BertTrainConfig::bert_tiny(1e-4)
    };
    BertTrainer::new(config, examples)
}

/// Seeded sequences of `len` ids: `[CLS]` (101), ids from 1,000 to 29,999, `[SEP]` (102).
pub fn random_sequences(len: usize, n_sequences: usize) -> Vec<Vec<u32>> {
    let mut rng = rng_from_seed(0xBE27);
    (0..n_sequences)
        .map(|_| {
            (0..len)
                .map(|i| match i {
                    0 => 101,
                    _ if i + 1 == len => 102,
                    _ => 1000 + index_below(&mut rng, 29_000) as u32,
                })
                .collect()
        })
        .collect()
}

/// Trains `n_batches` BERT batches; returns the sequences processed.
pub fn bert_train_sequences(trainer: &mut BertTrainer, n_batches: usize) -> usize {
    let mut sequences = 0;
    for _ in 0..n_batches {
        match trainer.train_batch() {
            BatchOutcome::Trained(metrics) => sequences += metrics.n_samples,
            BatchOutcome::Stopped(_) | BatchOutcome::Diverged(_) => break,
        }
    }
    sequences
}

/// One benchmark: a name, the unit its work is counted in, and one timed repetition.
pub struct BenchCase {
    pub name: &'static str,
    pub unit: &'static str,
    pub run: Box<dyn FnMut() -> f64>,
}

impl std::fmt::Debug for BenchCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BenchCase({}, {})", self.name, self.unit)
    }
}

/// The training-engine benchmarks, identical on native and wasm: the GEMM underneath, and
/// training throughput of the MLP and the CNN at batch 32 and (the Graphcore example's) 8, and
/// BERT-tiny: training at batch 32, length 64 (sequences) and inference of one 128-token sentence.
///
/// # Errors
/// Only if a fixed configuration were invalid.
pub fn cases() -> Result<Vec<BenchCase>, BenchError> {
    let mut mlp = trainer(BenchModel::Mlp, 32, 4096)?;
    let mut cnn32 = trainer(BenchModel::Cnn, 32, 512)?;
    let mut cnn8 = trainer(BenchModel::Cnn, 8, 512)?;
    let mut bert = bert_trainer(32, 64, 256)?;
    let bert_model = BertClassifier::new(&BertConfig::bert_tiny(), &mut rng_from_seed(1))
        .map_err(BertTrainError::from)?;
    let sentence = TokenBatch::from_sequences(&[&random_sequences(128, 1)[0]]);
    Ok(vec![
        BenchCase {
            name: "nn.gemm_256",
            unit: "FLOP",
            run: Box::new(|| gemm_flops(256, 4)),
        },
        BenchCase {
            name: "nn.mlp_train_b32",
            unit: "samples",
            run: Box::new(move || train_samples(&mut mlp, 32) as f64),
        },
        BenchCase {
            name: "nn.cnn_train_b32",
            unit: "samples",
            run: Box::new(move || train_samples(&mut cnn32, 2) as f64),
        },
        BenchCase {
            name: "nn.cnn_train_b8",
            unit: "samples",
            run: Box::new(move || train_samples(&mut cnn8, 8) as f64),
        },
        BenchCase {
            name: "nn.bert_train_b32_l64",
            unit: "sequences",
            run: Box::new(move || bert_train_sequences(&mut bert, 1) as f64),
        },
        BenchCase {
            name: "nn.bert_infer_b1_l128",
            unit: "sentences",
            run: Box::new(move || {
                std::hint::black_box(bert_model.infer(&sentence));
                1.0
            }),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_report_the_work_they_did() {
        // 2·4³ FLOPs per product.
        assert_eq!(gemm_flops(4, 3), 384.0);
        let mut mlp = trainer(BenchModel::Mlp, 8, 64).unwrap();
        assert_eq!(train_samples(&mut mlp, 3), 24);
        let mut cnn = trainer(BenchModel::Cnn, 2, 8).unwrap();
        assert_eq!(train_samples(&mut cnn, 1), 2);
        let mut bert = bert_trainer(4, 16, 8).unwrap();
        assert_eq!(bert_train_sequences(&mut bert, 3), 12);
        assert!(
            random_sequences(128, 2)
                .iter()
                .all(|s| s.len() == 128 && s[0] == 101)
        );
    }
}
