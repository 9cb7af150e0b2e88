//! The messages between the MNIST lab's page and its training Web Worker.
//!
//! Every message is one JSON text (serde_json) in the `json` field of a plain JS object; the
//! four dataset files of [`ToWorker::LoadData`] travel beside it as transferred `ArrayBuffer`s
//! in a `bytes` array (in [`DataFile::ALL`] order), never inside the JSON. The worker posts
//! [`FromWorker::Ready`] first: anything sent before that would be lost, so the page queues
//! its messages until then.
//!
//! One run at a time: `Start` begins run `run_id`, and every message about it carries that id,
//! so a late message from a cancelled run is recognised and dropped by the page.

use serde::{Deserialize, Serialize};

use super::config::RunConfig;

/// One of the four IDX files a dataset is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFile {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
}

impl DataFile {
    /// The order of the buffers that go with [`ToWorker::LoadData`].
    pub const ALL: [DataFile; 4] = [
        Self::TrainImages,
        Self::TrainLabels,
        Self::TestImages,
        Self::TestLabels,
    ];

    /// Words for a message ("the training images file").
    pub fn label(self) -> &'static str {
        match self {
            Self::TrainImages => "Training images",
            Self::TrainLabels => "Training labels",
            Self::TestImages => "Test images",
            Self::TestLabels => "Test labels",
        }
    }

    /// The bundled file's name under `public/data/` (also a `data-testid` suffix).
    pub fn bundled_name(self) -> &'static str {
        match self {
            Self::TrainImages => "train-images-idx3-ubyte.gz",
            Self::TrainLabels => "train-labels-idx1-ubyte.gz",
            Self::TestImages => "test-images-idx3-ubyte.gz",
            Self::TestLabels => "test-labels-idx1-ubyte.gz",
        }
    }

    /// A short key (`train-images`…), used in `data-testid`s.
    pub fn key(self) -> &'static str {
        match self {
            Self::TrainImages => "train-images",
            Self::TrainLabels => "train-labels",
            Self::TestImages => "test-images",
            Self::TestLabels => "test-labels",
        }
    }
}

/// Where a dataset came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataSource {
    /// The 8,000 + 2,000 digits shipped in `public/data/`.
    Bundled,
    /// Files the learner chose, by name.
    Uploaded { names: Vec<String> },
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Parse the four files that travel beside this message and use them from now on. On any
    /// problem the worker keeps the dataset it had and answers [`FromWorker::DataRejected`].
    LoadData { source: DataSource },
    /// Train a fresh model with `config`.
    Start { run_id: u32, config: RunConfig },
    /// Stop run `run_id` at the next slice boundary.
    Cancel { run_id: u32 },
    /// Classify one 28×28 image (row-major bytes, 0 = background) with the current model.
    Predict { request_id: u32, pixels: Vec<u8> },
}

/// A point of the live training curves: the mean over the batches since the previous point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Position in epochs (1.5 = half-way through the second epoch).
    pub epoch: f32,
    /// Mean training loss.
    pub loss: f32,
    /// Training accuracy (dropout active, weights moving).
    pub accuracy: f32,
}

/// One finished epoch, with the test set evaluated after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f32,
    /// Training accuracy over the epoch.
    pub train_accuracy: f32,
    /// Mean test loss (`None` if some item's loss was not finite).
    pub test_loss: Option<f32>,
    /// Test accuracy.
    pub test_accuracy: f32,
    /// Mean gradient norm over the epoch's batches (0 = frozen weights).
    pub mean_grad_norm: f32,
    /// The most-predicted test class and its share of the predictions.
    pub dominant_class: usize,
    /// See `dominant_class`.
    pub dominant_share: f32,
    /// Training throughput so far in this run (samples per second of training time).
    pub samples_per_s: f64,
    /// Test confusion counts, `[true][predicted]`.
    pub confusion: Vec<Vec<u32>>,
}

/// A test digit the model got wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Misclassified {
    /// Index in the test set.
    pub item_idx: usize,
    /// The true label.
    pub label: u8,
    /// What the model said.
    pub predicted: u8,
    /// The model's probability for `predicted`.
    pub confidence: f32,
    /// The 28×28 pixels.
    pub pixels: Vec<u8>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every epoch ran.
    Finished,
    /// The learner cancelled it.
    Cancelled,
    /// The loss stopped being usable; the sentence says where and how.
    Diverged { message: String },
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker's wasm is loaded and it listens.
    Ready,
    /// A dataset is in use.
    DataLoaded {
        source: DataSource,
        n_train: usize,
        n_test: usize,
    },
    /// The files were refused; the previous dataset (if any) stays in use.
    DataRejected {
        /// The file at fault, when one is.
        file: Option<DataFile>,
        message: String,
    },
    /// Run `run_id` has begun.
    Started {
        run_id: u32,
        n_batches_per_epoch: usize,
        n_samples_total: usize,
        n_params: usize,
    },
    /// Where run `run_id` stands (posted at most every [`PROGRESS_INTERVAL_MS`]).
    Progress {
        run_id: u32,
        /// Training samples processed so far in this run.
        n_samples_done: usize,
        /// Training samples in the whole run (epochs × training set).
        n_samples_total: usize,
        /// Milliseconds spent training (evaluation excluded).
        train_ms: f64,
        /// Milliseconds spent evaluating the test set.
        eval_ms: f64,
        /// New curve points since the last message.
        points: Vec<CurvePoint>,
    },
    /// An epoch of run `run_id` finished and the test set was evaluated.
    EpochResult { run_id: u32, row: EpochRow },
    /// Run `run_id` ended.
    Done {
        run_id: u32,
        outcome: RunOutcome,
        /// Misclassified test digits of the last evaluation (at most [`MAX_MISCLASSIFIED`]).
        misclassified: Vec<Misclassified>,
        /// Misclassified test digits in all.
        n_misclassified: usize,
    },
    /// Something the worker could not do (a bad config, no data yet).
    Error {
        run_id: Option<u32>,
        message: String,
    },
    /// The answer to [`ToWorker::Predict`].
    Prediction {
        request_id: u32,
        class: usize,
        probabilities: Vec<f32>,
        /// Which run's weights answered, and whether that run was still training.
        run_id: u32,
        while_training: bool,
    },
    /// [`ToWorker::Predict`] could not be answered.
    PredictError { request_id: u32, message: String },
}

/// Progress messages are posted at most this often (and at every epoch's end).
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;

/// Misclassified digits sent with [`FromWorker::Done`].
pub const MAX_MISCLASSIFIED: usize = 60;

/// A message that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable message: {0}")]
pub struct DecodeError(pub String);

/// Serialises a message (infallible for these types).
pub fn encode<T: Serialize>(message: &T) -> String {
    serde_json::to_string(message).unwrap_or_else(|e| {
        // Only maps with non-string keys can fail, and these types have none.
        format!("{{\"type\":\"error\",\"run_id\":null,\"message\":\"encode: {e}\"}}")
    })
}

/// Reads a message.
///
/// # Errors
/// Text that is not one of `T`'s messages.
pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::config::LabForm;

    #[test]
    fn every_message_survives_a_round_trip() {
        let config = LabForm::default().parse().unwrap();
        let to: Vec<ToWorker> = vec![
            ToWorker::LoadData {
                source: DataSource::Bundled,
            },
            ToWorker::LoadData {
                source: DataSource::Uploaded {
                    names: vec!["train-images-idx3-ubyte".into()],
                },
            },
            ToWorker::Start { run_id: 3, config },
            ToWorker::Cancel { run_id: 3 },
            ToWorker::Predict {
                request_id: 1,
                pixels: vec![0, 255, 7],
            },
        ];
        for message in to {
            assert_eq!(decode::<ToWorker>(&encode(&message)), Ok(message));
        }
        let from: Vec<FromWorker> = vec![
            FromWorker::Ready,
            FromWorker::DataRejected {
                file: Some(DataFile::TestLabels),
                message: "bad".into(),
            },
            FromWorker::Progress {
                run_id: 1,
                n_samples_done: 10,
                n_samples_total: 20,
                train_ms: 1.5,
                eval_ms: 0.0,
                points: vec![CurvePoint {
                    epoch: 0.5,
                    loss: 2.25,
                    accuracy: 0.125,
                }],
            },
            FromWorker::Done {
                run_id: 1,
                outcome: RunOutcome::Diverged {
                    message: "boom".into(),
                },
                misclassified: vec![],
                n_misclassified: 0,
            },
        ];
        for message in from {
            assert_eq!(decode::<FromWorker>(&encode(&message)), Ok(message));
        }
    }

    #[test]
    fn the_wire_format_is_tagged_by_type() {
        assert_eq!(encode(&FromWorker::Ready), r#"{"type":"ready"}"#);
        assert_eq!(
            encode(&ToWorker::Cancel { run_id: 2 }),
            r#"{"type":"cancel","run_id":2}"#
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<ToWorker>("{\"type\":\"launch\"}").is_err());
        assert!(decode::<FromWorker>("not json").is_err());
    }
}
