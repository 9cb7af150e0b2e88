//! A small training engine on ndarray: layers as forward/backward pairs, losses, optimizers,
//! models (an MLP and the Graphcore MNIST CNN), the IDX dataset format and a step-by-step
//! trainer.
//!
//! Pure Rust, and portable to `wasm32-unknown-unknown`: no I/O beyond the bytes a caller hands
//! in, no clock (callers measure time), no threads, and all randomness from a caller's seed.
//!
//! # Shape of the engine
//!
//! - [`layers`]: each layer is a parameter struct, a `*Grads` struct and a `*Cache` struct;
//!   `forward` returns `(output, cache)` and `backward(&cache, d_out, &mut grads)` returns the
//!   input gradient and *adds* into `grads`. Every backward pass has a finite-difference test.
//! - [`loss`]: softmax cross-entropy and the Graphcore example's softmax-then-cross-entropy.
//! - [`optim`]: SGD (with or without momentum) and Adam over a list of [`param::ParamGrad`].
//! - [`model`]: [`model::Mlp`], [`model::Cnn`] and the [`model::Network`] wrapper.
//! - [`idx`], [`data`]: reading MNIST's IDX files and batching normalised images.
//! - [`train`]: [`train::Trainer`], driven one batch or one slice of batches at a time; a step
//!   splits into `compute_gradients` and `apply_gradients`; [`train::Evaluator`] evaluates in
//!   resumable chunks.
//! - [`parallel`]: data-parallel training, [`parallel::Replica`]s of one model and the
//!   all-reduce between the two halves of a step; [`parallel::bert`] the same for BERT, its
//!   embedding tables' gradients as sparse rows.
//! - [`bert`]: BERT-tiny ([`bert::BertClassifier`], [`bert::MlmHead`]), its fine-tuning and
//!   masked-LM trainers ([`bert::pretrain`]), safetensors
//!   with Hugging Face names, and a Naive Bayes baseline; [`tokenizer`]: uncased WordPiece;
//!   [`text_data`]: SST-2-style TSV files.
//! - [`graphcore_example`]: how the Graphcore MNIST example maps onto this crate, and what the
//!   learning-rate sweep gives here beside the real IPU.
//!
//! # Reuse beyond MNIST
//!
//! Nothing above is specific to images except [`layers::Conv2d`], [`layers::MaxPool2d`] and
//! [`layers::Flatten`]. A transformer reuses the rest as it is: [`layers::Linear`] works on a
//! `[n·t, d]` view of a `[n, t, d]` activation (and has `forward_into` for a caller-owned output
//! buffer), [`layers::Relu`] and [`layers::Dropout`] take arrays of any rank,
//! [`loss::softmax`] is row-wise, and an optimizer sees any model as a list of
//! [`param::ParamGrad`] in a fixed order.
//!
//! # Example
//! ```
//! use nn::data::Dataset;
//! use nn::model::{MlpConfig, ModelConfig};
//! use nn::train::{TrainConfig, Trainer, TrainStatus};
//!
//! // Four 2×2 "images": class 0 is bright on the left, class 1 on the right.
//! let pixels = vec![255, 0, 255, 0, 0, 255, 0, 255, 250, 5, 240, 10, 10, 240, 0, 250];
//! let data = Dataset::new(2, 2, 2, pixels, vec![0, 1, 0, 1])?;
//! let config = TrainConfig {
//!     model: ModelConfig::Mlp(MlpConfig { d_in: 4, hidden: vec![8], n_classes: 2 }),
//!     batch_size: 2,
//!     n_epochs: 20,
//!     ..TrainConfig::graphcore_example()
//! };
//! let mut trainer = Trainer::new(config, data.clone())?;
//! while trainer.status() == TrainStatus::Training {
//!     let _progress = trainer.run_epoch_slice(5); // a worker would post this to the page
//! }
//! assert_eq!(trainer.evaluate(&data)?.accuracy, 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bench;
pub mod bert;
pub mod data;
pub mod graphcore_example;
pub mod idx;
pub mod layers;
pub mod loss;
pub mod model;
pub mod optim;
pub mod parallel;
pub mod param;
pub mod rng;
pub mod text_data;
pub mod tokenizer;
pub mod train;

#[cfg(test)]
mod gradcheck;
