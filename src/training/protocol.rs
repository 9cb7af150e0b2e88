//! The messages between a lab's page and its training Web Worker, for every lab.
//!
//! One envelope ([`ToWorker`], [`FromWorker`]) carries what every lab does the same way
//! (ready, load data, start, cancel, query, started, progress, epoch result, done, error,
//! answer); a lab's own payloads ride inside it through the associated types of its
//! [`LabTask`] (what a dataset is called, its settings, what it reports at the end, what can
//! be asked of a model and what the answer is).
//!
//! Every message is one JSON text (serde_json) in the `json` field of a plain JS object; binary
//! payloads (dataset files, weights) travel beside it as transferred `ArrayBuffer`s in a `bytes`
//! array, never inside the JSON. The worker posts [`FromWorker::Ready`] first: anything sent
//! before that would be lost, so the page queues its messages until then.
//!
//! One run at a time: `Start` begins run `run_id`, and every message about it carries that id,
//! so a late message from a cancelled run is recognised and dropped by the page.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a payload type must be: plain data that crosses the worker boundary as JSON (and can
/// sit in the page's signals).
pub trait Payload:
    Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
}
impl<T: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static> Payload
    for T
{
}

/// A run's settings, as every lab's shared panels need them.
pub trait RunSettings: Payload {
    /// One line for tables ("CNN · batch 8 · SGD · lr 0.05 · 10 epochs · seed 1").
    fn summary(&self) -> String;

    /// Epochs the run will train.
    fn n_epochs(&self) -> usize;

    /// What the run is evaluated on after each epoch, for the curves ("the test set").
    fn test_set(&self) -> &'static str {
        "the test set"
    }

    /// What a finished run's status says of its last epoch ("test accuracy 98.58 %").
    fn result(&self, last: &EpochRow) -> String {
        test_accuracy_result(last)
    }
}

/// "test accuracy 98.58 %": a classifier's [`RunSettings::result`].
pub fn test_accuracy_result(last: &EpochRow) -> String {
    format!("test accuracy {:.2} %", last.test_accuracy * 100.0)
}

/// A lab's payload types: the envelope is generic over them.
pub trait LabTask: 'static {
    /// The name in the worker's address (`worker_loader.js?lab=mnist`).
    const NAME: &'static str;
    /// Where a dataset comes from (bundled, the learner's files by name).
    type Source: Payload;
    /// One of the files a dataset is made of, named when it is refused.
    type File: Payload;
    /// What the page learns about a dataset in use.
    type DataInfo: Payload;
    /// A run's checked settings.
    type Config: RunSettings;
    /// What the end of a run brings beside its outcome (the misclassified items).
    type Report: Payload + Default;
    /// A question to the current model (classify this drawing, this sentence).
    type Query: Payload;
    /// Its answer.
    type Answer: Payload;

    /// A few words on a dataset for the runs table and the CSV ("bundled 8000/2000").
    fn describe_data(info: &Self::DataInfo) -> String;
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", bound = "")]
pub enum ToWorker<T: LabTask> {
    /// Parse the files that travel beside this message and use them from now on. On any
    /// problem the worker keeps the dataset it had and answers [`FromWorker::DataRejected`].
    LoadData { source: T::Source },
    /// Train a fresh model with `config`.
    Start { run_id: u32, config: T::Config },
    /// Stop run `run_id` at the next slice boundary.
    Cancel { run_id: u32 },
    /// Ask the current model something.
    Query { request_id: u32, query: T::Query },
    /// Send the current model's weights as a file ([`FromWorker::Weights`]).
    ExportWeights { request_id: u32 },
    /// Answer queries from now on with the weights in the one buffer beside this message (a
    /// file the learner chose, called `name`); a run in progress must be cancelled first.
    ImportWeights { request_id: u32, name: String },
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

/// One finished epoch of a classifier, with the test set evaluated after it.
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
    /// The run could not start or its worker stopped (the page's record of an error; a worker
    /// reports it as an error message, never as an outcome).
    Failed { message: String },
}

/// What a run is, once the worker has built it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStarted {
    pub n_batches_per_epoch: usize,
    /// Training samples in the whole run (epochs × training set).
    pub n_samples_total: usize,
    /// The model's trainable parameters.
    pub n_params: usize,
}

/// Where a run stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    /// Training samples processed so far in this run.
    pub n_samples_done: usize,
    /// Training samples in the whole run.
    pub n_samples_total: usize,
    /// Milliseconds spent training (evaluation excluded).
    pub train_ms: f64,
    /// Milliseconds spent evaluating the test set.
    pub eval_ms: f64,
    /// New curve points since the last message.
    pub points: Vec<CurvePoint>,
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", bound = "")]
pub enum FromWorker<T: LabTask> {
    /// The worker's wasm is loaded and it listens.
    Ready,
    /// A dataset is in use.
    DataLoaded { info: T::DataInfo },
    /// The files were refused; the previous dataset (if any) stays in use.
    DataRejected {
        /// The file at fault, when one is.
        file: Option<T::File>,
        message: String,
    },
    /// Run `run_id` has begun.
    Started { run_id: u32, run: RunStarted },
    /// Where run `run_id` stands (posted at most every [`PROGRESS_INTERVAL_MS`]).
    Progress { run_id: u32, progress: RunProgress },
    /// An epoch of run `run_id` finished and the test set was evaluated.
    EpochResult { run_id: u32, row: EpochRow },
    /// What run `run_id` reports before its end (a lab's interim news; the end's `Done`
    /// carries the final report).
    Report { run_id: u32, report: T::Report },
    /// Run `run_id` ended.
    Done {
        run_id: u32,
        outcome: RunOutcome,
        report: T::Report,
    },
    /// Something the worker could not do (a bad config, no data yet).
    Error {
        run_id: Option<u32>,
        message: String,
    },
    /// The answer to [`ToWorker::Query`], with which run's weights gave it and whether that
    /// run was still training.
    Answer {
        request_id: u32,
        run_id: u32,
        while_training: bool,
        answer: T::Answer,
        /// Milliseconds the worker spent answering, by its own clock (set by the worker loop;
        /// 0 in native tests).
        #[serde(default)]
        ms: f64,
    },
    /// [`ToWorker::Query`] could not be answered.
    QueryError { request_id: u32, message: String },
    /// The weights [`ToWorker::ExportWeights`] asked for, of run `run_id` (0: weights loaded
    /// from a file). The file's bytes travel beside the JSON as a transferred buffer, never in it.
    Weights {
        request_id: u32,
        run_id: u32,
        file_name: String,
        #[serde(skip)]
        bytes: Vec<u8>,
    },
    /// [`ToWorker::ImportWeights`] worked: queries are answered by these weights now (run 0).
    WeightsLoaded {
        request_id: u32,
        name: String,
        summary: String,
    },
    /// [`ToWorker::ExportWeights`] or [`ToWorker::ImportWeights`] could not be done: why.
    WeightsRefused { request_id: u32, message: String },
}

impl<T: LabTask> FromWorker<T> {
    /// Takes the bytes that travel beside the JSON (a [`FromWorker::Weights`] file).
    pub fn take_bytes(&mut self) -> Option<Vec<u8>> {
        match self {
            FromWorker::Weights { bytes, .. } => Some(std::mem::take(bytes)),
            _ => None,
        }
    }

    /// Puts back the bytes that came beside the JSON.
    pub fn attach_bytes(&mut self, mut buffers: Vec<Vec<u8>>) {
        if let FromWorker::Weights { bytes, .. } = self
            && !buffers.is_empty()
        {
            *bytes = buffers.swap_remove(0);
        }
    }
}

/// Progress messages are posted at most this often (and at every epoch's end).
pub const PROGRESS_INTERVAL_MS: f64 = 100.0;

/// A message that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unreadable message: {0}")]
pub struct DecodeError(pub String);

/// Serialises a message (infallible for these types).
pub fn encode<M: Serialize>(message: &M) -> String {
    serde_json::to_string(message).unwrap_or_else(|e| {
        // Only maps with non-string keys can fail, and these types have none.
        format!("{{\"type\":\"error\",\"run_id\":null,\"message\":\"encode: {e}\"}}")
    })
}

/// Reads a message.
///
/// # Errors
/// Text that is not one of `M`'s messages.
pub fn decode<M: DeserializeOwned>(text: &str) -> Result<M, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError(e.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An epoch's row with these figures and plain others, for tests of what shows rows.
    pub(crate) fn row(epoch: usize, test_accuracy: f32) -> EpochRow {
        EpochRow {
            epoch,
            train_loss: 1.0,
            train_accuracy: 0.5,
            test_loss: Some(1.0),
            test_accuracy,
            mean_grad_norm: 1.0,
            dominant_class: 0,
            dominant_share: 0.1,
            samples_per_s: 10.0,
            confusion: vec![],
        }
    }

    /// A lab with the simplest payloads, for the generic parts' tests.
    #[derive(Clone, Debug, PartialEq)]
    pub(crate) struct Toy;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub(crate) struct ToyConfig {
        pub epochs: usize,
    }

    impl RunSettings for ToyConfig {
        fn summary(&self) -> String {
            format!("{} epochs", self.epochs)
        }

        fn n_epochs(&self) -> usize {
            self.epochs
        }
    }

    impl LabTask for Toy {
        const NAME: &'static str = "toy";
        type Source = String;
        type File = u8;
        type DataInfo = usize;
        type Config = ToyConfig;
        type Report = Vec<u32>;
        type Query = i32;
        type Answer = i32;

        fn describe_data(info: &usize) -> String {
            format!("{info} items")
        }
    }

    #[test]
    fn every_message_survives_a_round_trip() {
        let to: Vec<ToWorker<Toy>> = vec![
            ToWorker::LoadData {
                source: "bundled".into(),
            },
            ToWorker::Start {
                run_id: 3,
                config: ToyConfig { epochs: 2 },
            },
            ToWorker::Cancel { run_id: 3 },
            ToWorker::Query {
                request_id: 1,
                query: -4,
            },
            ToWorker::ExportWeights { request_id: 2 },
            ToWorker::ImportWeights {
                request_id: 3,
                name: "w.safetensors".into(),
            },
        ];
        for message in to {
            assert_eq!(decode::<ToWorker<Toy>>(&encode(&message)), Ok(message));
        }
        let from: Vec<FromWorker<Toy>> = vec![
            FromWorker::Ready,
            FromWorker::DataLoaded { info: 12 },
            FromWorker::DataRejected {
                file: Some(2),
                message: "bad".into(),
            },
            FromWorker::Started {
                run_id: 1,
                run: RunStarted {
                    n_batches_per_epoch: 2,
                    n_samples_total: 20,
                    n_params: 5,
                },
            },
            FromWorker::Progress {
                run_id: 1,
                progress: RunProgress {
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
            },
            FromWorker::Done {
                run_id: 1,
                outcome: RunOutcome::Diverged {
                    message: "boom".into(),
                },
                report: vec![7],
            },
            FromWorker::Answer {
                request_id: 4,
                run_id: 1,
                while_training: true,
                answer: 9,
                ms: 1.5,
            },
            FromWorker::QueryError {
                request_id: 4,
                message: "no".into(),
            },
            FromWorker::WeightsLoaded {
                request_id: 5,
                name: "w.safetensors".into(),
                summary: "2 tensors".into(),
            },
            FromWorker::WeightsRefused {
                request_id: 6,
                message: "no".into(),
            },
        ];
        for message in from {
            assert_eq!(decode::<FromWorker<Toy>>(&encode(&message)), Ok(message));
        }
    }

    #[test]
    fn a_weights_file_travels_beside_the_json_not_in_it() {
        let mut message = FromWorker::<Toy>::Weights {
            request_id: 1,
            run_id: 2,
            file_name: "w.safetensors".into(),
            bytes: vec![1, 2, 3],
        };
        let bytes = message.take_bytes();
        assert_eq!(bytes, Some(vec![1, 2, 3]));
        let json = encode(&message);
        assert!(!json.contains("bytes"), "{json}");
        let mut back = decode::<FromWorker<Toy>>(&json).expect("decodes");
        back.attach_bytes(vec![vec![1, 2, 3]]);
        assert_eq!(
            back,
            FromWorker::Weights {
                request_id: 1,
                run_id: 2,
                file_name: "w.safetensors".into(),
                bytes: vec![1, 2, 3],
            }
        );
    }

    #[test]
    fn the_wire_format_is_tagged_by_type() {
        assert_eq!(encode(&FromWorker::<Toy>::Ready), r#"{"type":"ready"}"#);
        assert_eq!(
            encode(&ToWorker::<Toy>::Cancel { run_id: 2 }),
            r#"{"type":"cancel","run_id":2}"#
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode::<ToWorker<Toy>>("{\"type\":\"launch\"}").is_err());
        assert!(decode::<FromWorker<Toy>>("not json").is_err());
    }
}
