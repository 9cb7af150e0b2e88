//! The MNIST lab as a [`WorkerTask`]: its payloads (the four IDX files, a drawn digit to
//! classify, the misclassified test digits) and its run: training batches
//! ([`Trainer::run_epoch_slice`] one batch at a time) and, after each epoch, the test set
//! evaluated in chunks of [`EVAL_CHUNK`] images through the engine's [`Evaluator`] (so even a
//! 10,000-digit test set never blocks the worker for long). Natively tested with a fake clock.

use nn::data::Dataset;
use nn::idx::{IMAGES_MAGIC, IdxError, IdxLimits, LABELS_MAGIC, read_images, read_labels};
use nn::loss::softmax;
use nn::train::{DivergenceKind, EpochSummary, Evaluator, TrainStatus, Trainer};
use serde::{Deserialize, Serialize};

use super::config::RunConfig;
use crate::training::protocol::{LabTask, RunSettings, RunStarted};
use crate::training::session::{
    BatchStats, Mistake, Step, WorkerTask, epoch_row, judge, most_confident_first,
};

/// Test images per evaluation step.
pub const EVAL_CHUNK: usize = 100;
/// The side of the images the lab's models take.
pub const IMAGE_SIDE: usize = 28;
/// Misclassified digits sent at the end of a run.
pub const MAX_MISCLASSIFIED: usize = 60;
const N_CLASSES: usize = 10;

/// The MNIST lab (its payload types and its worker task).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mnist;

/// The MNIST lab's messages.
pub type ToWorker = crate::training::protocol::ToWorker<Mnist>;
/// The MNIST lab's messages.
pub type FromWorker = crate::training::protocol::FromWorker<Mnist>;

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
    /// The order of the buffers that go with a `LoadData` message.
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

/// A dataset in use, as the page knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataInfo {
    pub source: DataSource,
    pub n_train: usize,
    pub n_test: usize,
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

/// The end of a run: the last evaluation's mistakes, most confident first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mistakes {
    /// At most [`MAX_MISCLASSIFIED`] of them.
    pub shown: Vec<Misclassified>,
    /// Misclassified test digits in all.
    pub n_total: usize,
}

/// A drawn digit to classify: 28×28 row-major bytes, 0 = background.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digit {
    pub pixels: Vec<u8>,
}

/// The model's answer for a digit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DigitPrediction {
    pub class: usize,
    pub probabilities: Vec<f32>,
}

impl RunSettings for RunConfig {
    fn summary(&self) -> String {
        RunConfig::summary(self)
    }

    fn n_epochs(&self) -> usize {
        self.n_epochs
    }
}

impl LabTask for Mnist {
    const NAME: &'static str = "mnist";
    type Source = DataSource;
    type File = DataFile;
    type DataInfo = DataInfo;
    type Config = RunConfig;
    type Report = Mistakes;
    type Query = Digit;
    type Answer = DigitPrediction;

    fn describe_data(info: &DataInfo) -> String {
        match info.source {
            DataSource::Bundled => format!("bundled {}/{}", info.n_train, info.n_test),
            DataSource::Uploaded { .. } => format!("your files {}/{}", info.n_train, info.n_test),
        }
    }
}

/// A training and a test set.
#[derive(Clone, Debug)]
pub struct LoadedData {
    pub train: Dataset,
    pub test: Dataset,
}

/// Why four files are not a usable dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRejection {
    /// The file at fault, when one is.
    pub file: Option<DataFile>,
    pub message: String,
}

fn reject(file: DataFile, message: String) -> DataRejection {
    DataRejection {
        file: Some(file),
        message,
    }
}

/// A sentence for an IDX error in `file`, with a hint when the file is of the other kind.
fn idx_sentence(file: DataFile, error: &IdxError) -> String {
    let hint = match (file, error) {
        (
            DataFile::TrainImages | DataFile::TestImages,
            IdxError::BadMagic {
                found: LABELS_MAGIC,
                ..
            },
        ) => " It looks like a labels file.",
        (
            DataFile::TrainLabels | DataFile::TestLabels,
            IdxError::BadMagic {
                found: IMAGES_MAGIC,
                ..
            },
        ) => " It looks like an images file.",
        (_, IdxError::BadMagic { .. }) => " It is not an MNIST IDX file.",
        (_, IdxError::LengthMismatch { .. } | IdxError::Gzip(_)) => " The file may be truncated.",
        _ => "",
    };
    format!("{}.{hint}", crate::text::capitalised(&error.to_string()))
}

/// Reads the four IDX files (raw or gzip), in [`DataFile::ALL`] order.
///
/// # Errors
/// A file that is not the IDX file expected, images that are not 28×28, a label outside 0–9,
/// or images and labels that disagree in number.
pub fn load_data(files: &[Vec<u8>]) -> Result<LoadedData, DataRejection> {
    if files.len() != DataFile::ALL.len() {
        return Err(DataRejection {
            file: None,
            message: format!("Four files are needed; {} arrived.", files.len()),
        });
    }
    let limits = IdxLimits::default();
    let split = |images_file: DataFile, labels_file: DataFile, images: &[u8], labels: &[u8]| {
        let images = read_images(images, &limits)
            .map_err(|e| reject(images_file, idx_sentence(images_file, &e)))?;
        if (images.n_rows, images.n_cols) != (IMAGE_SIDE, IMAGE_SIDE) {
            return Err(reject(
                images_file,
                format!(
                    "The images are {}×{} pixels; the lab's models take MNIST's 28×28.",
                    images.n_rows, images.n_cols
                ),
            ));
        }
        let labels = read_labels(labels, N_CLASSES, &limits)
            .map_err(|e| reject(labels_file, idx_sentence(labels_file, &e)))?;
        if labels.len() != images.n_images {
            return Err(reject(
                labels_file,
                format!(
                    "This file has {} labels but the {} file has {} images: they do not belong together.",
                    labels.len(),
                    images_file.label().to_lowercase(),
                    images.n_images
                ),
            ));
        }
        Dataset::new(IMAGE_SIDE, IMAGE_SIDE, N_CLASSES, images.pixels, labels)
            .map_err(|e| reject(labels_file, idx_sentence(labels_file, &e)))
    };
    let train = split(
        DataFile::TrainImages,
        DataFile::TrainLabels,
        &files[0],
        &files[1],
    )?;
    let test = split(
        DataFile::TestImages,
        DataFile::TestLabels,
        &files[2],
        &files[3],
    )?;
    Ok(LoadedData { train, test })
}

/// The test-set pass after an epoch, done a chunk at a time.
#[derive(Clone, Debug)]
struct EvalState {
    summary: EpochSummary,
    evaluator: Evaluator,
    mistakes: Vec<Mistake>,
}

/// A run of the MNIST lab.
#[derive(Clone, Debug)]
pub struct MnistRun {
    trainer: Trainer,
    n_train: usize,
    n_samples_done: usize,
    eval: Option<Box<EvalState>>,
    last_mistakes: Mistakes,
}

impl WorkerTask for Mnist {
    type Data = LoadedData;
    type Run = MnistRun;
    const NO_MODEL: &'static str = "Train a model first: there is nothing to ask yet.";

    fn load(_: &DataSource, files: Vec<Vec<u8>>) -> Result<LoadedData, (Option<DataFile>, String)> {
        load_data(&files).map_err(|r| (r.file, r.message))
    }

    fn data_info(source: &DataSource, data: &LoadedData) -> DataInfo {
        DataInfo {
            source: source.clone(),
            n_train: data.train.len(),
            n_test: data.test.len(),
        }
    }

    fn start(
        config: &RunConfig,
        data: &LoadedData,
        _previous: Option<&MnistRun>,
    ) -> Result<(MnistRun, RunStarted), String> {
        let train = match config.n_train {
            Some(n) if n < data.train.len() => first_items(&data.train, n)?,
            _ => data.train.clone(),
        };
        let n_train = train.len();
        let trainer = Trainer::new(config.train_config(), train).map_err(|e| e.to_string())?;
        let started = RunStarted {
            n_batches_per_epoch: trainer.n_batches_per_epoch(),
            n_samples_total: n_train * config.n_epochs,
            n_params: trainer.network().clone().n_params(),
        };
        let run = MnistRun {
            trainer,
            n_train,
            n_samples_done: 0,
            eval: None,
            last_mistakes: Mistakes::default(),
        };
        Ok((run, started))
    }

    fn step(run: &mut MnistRun, data: &LoadedData) -> Step {
        if run.eval.is_some() {
            run.eval_step(&data.test)
        } else {
            run.train_step(data.test.len())
        }
    }

    fn report(run: &mut MnistRun, _: &LoadedData) -> Mistakes {
        std::mem::take(&mut run.last_mistakes)
    }

    fn answer(run: &MnistRun, _: &LoadedData, query: &Digit) -> Result<DigitPrediction, String> {
        run.trainer
            .predict(&query.pixels)
            .map(|p| DigitPrediction {
                class: p.class,
                probabilities: p.probabilities,
            })
            .map_err(|e| format!("The drawing could not be classified: {e}."))
    }
}

/// The first `n` items of `data` (a run that trains on part of the training set).
fn first_items(data: &Dataset, n: usize) -> Result<Dataset, String> {
    let (n_rows, n_cols) = data.image_dim();
    let pixels = (0..n).flat_map(|i| data.image(i).iter().copied()).collect();
    Dataset::new(
        n_rows,
        n_cols,
        data.n_classes(),
        pixels,
        data.labels()[..n].to_vec(),
    )
    .map_err(|e| e.to_string())
}

impl MnistRun {
    fn train_step(&mut self, n_test: usize) -> Step {
        let progress = self.trainer.run_epoch_slice(1);
        self.n_samples_done += progress.n_samples_run;
        if let TrainStatus::Diverged(d) = progress.status {
            let what = match d.kind {
                DivergenceKind::NonFiniteLoss => "the loss was not a finite number".to_string(),
                DivergenceKind::ExplodingLoss { loss } => {
                    format!("the loss exploded to {loss:.3e}")
                }
            };
            return Step::Diverged(format!(
                "Training diverged in epoch {}, batch {}: {what}. No update was applied from that batch; try a smaller learning rate.",
                d.epoch_idx + 1,
                d.batch_idx + 1
            ));
        }
        let epoch_ended = if let Some(summary) = progress.completed_epochs.last() {
            self.eval = Some(Box::new(EvalState {
                summary: *summary,
                evaluator: Evaluator::new(n_test, N_CLASSES),
                mistakes: Vec::new(),
            }));
            true
        } else {
            false
        };
        let batch = progress.last_batch.map_or(
            BatchStats {
                loss: 0.0,
                accuracy: 0.0,
                n_samples: 0,
            },
            |b| BatchStats {
                loss: b.loss,
                accuracy: b.accuracy,
                n_samples: b.n_samples,
            },
        );
        Step::Trained {
            batch,
            epoch: (self.n_samples_done as f64 / self.n_train.max(1) as f64) as f32,
            epoch_ended,
        }
    }

    fn eval_step(&mut self, test: &Dataset) -> Step {
        let Some(state) = self.eval.as_mut() else {
            return Step::Evaluated {
                row: None,
                last: false,
            };
        };
        let config = self.trainer.config();
        if let Some(range) = state.evaluator.next_chunk(EVAL_CHUNK) {
            let indices: Vec<usize> = range.collect();
            let (inputs, labels) = test.batch(&indices, config.normalization);
            let logits = self.trainer.network().infer(inputs.view());
            let loss = config.loss.evaluate(logits.view(), &labels).loss;
            state.evaluator.record(logits.view(), &labels, loss);
            let probabilities = softmax(logits.view());
            for ((row, &label), &item_idx) in
                probabilities.rows().into_iter().zip(&labels).zip(&indices)
            {
                state
                    .mistakes
                    .extend(judge(item_idx, label, row.iter().copied()));
            }
        }
        if !state.evaluator.is_done() {
            return Step::Evaluated {
                row: None,
                last: false,
            };
        }
        let Some(state) = self.eval.take() else {
            return Step::Evaluated {
                row: None,
                last: false,
            };
        };
        let mut state = *state;
        let row = epoch_row(&state.summary, &state.evaluator.finish());
        most_confident_first(&mut state.mistakes);
        self.last_mistakes = Mistakes {
            n_total: state.mistakes.len(),
            shown: state
                .mistakes
                .iter()
                .take(MAX_MISCLASSIFIED)
                .map(|&(item_idx, label, predicted, confidence)| Misclassified {
                    item_idx,
                    label,
                    predicted,
                    confidence,
                    pixels: test.image(item_idx).to_vec(),
                })
                .collect(),
        };
        Step::Evaluated {
            row: Some(row),
            last: self.trainer.status() == TrainStatus::Finished,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::mnist::config::{LabField, LabForm, ModelKind, OptimizerKind};
    use crate::training::protocol::{CurvePoint, EpochRow, RunOutcome, RunProgress};
    use crate::training::session::WorkerSession;
    use crate::training::session::testing::{start, ticking};
    use nn::idx::encode;

    type Session = WorkerSession<Mnist>;

    /// A tiny learnable set of 28×28 digits: class `c` lights row band `c` (rows 2c..2c+2).
    fn files(n_train: usize, n_test: usize) -> Vec<Vec<u8>> {
        let make = |n: usize, offset: usize| {
            let mut pixels = Vec::with_capacity(n * 784);
            let mut labels = Vec::with_capacity(n);
            for i in 0..n {
                let class = (i + offset) % 10;
                for row in 0..28 {
                    for col in 0..28 {
                        let lit = row / 2 == class + 2 && (col + i) % 5 != 0;
                        pixels.push(if lit { 250 } else { 0 });
                    }
                }
                labels.push(class as u8);
            }
            (encode(&[n, 28, 28], &pixels), encode(&[n], &labels))
        };
        let (train_images, train_labels) = make(n_train, 0);
        let (test_images, test_labels) = make(n_test, 3);
        vec![train_images, train_labels, test_images, test_labels]
    }

    fn loaded(n_train: usize, n_test: usize) -> Session {
        let mut session = Session::new();
        let reply = session.handle(
            ToWorker::LoadData {
                source: DataSource::Bundled,
            },
            files(n_train, n_test),
            0.0,
        );
        assert_eq!(
            reply,
            vec![FromWorker::DataLoaded {
                info: DataInfo {
                    source: DataSource::Bundled,
                    n_train,
                    n_test
                }
            }]
        );
        session
    }

    fn mlp(epochs: &str) -> RunConfig {
        LabForm::with(&[
            (LabField::Epochs, epochs),
            (LabField::Batch, "10"),
            (LabField::Lr, "0.1"),
        ])
        .parse()
        .unwrap()
    }

    fn run_to_end(session: &mut Session) -> Vec<FromWorker> {
        crate::training::session::testing::run_to_end(session, 20.0)
    }

    #[test]
    fn a_run_on_the_first_digits_trains_on_those_only_and_its_first_epoch_does_not_depend_on_the_rest()
     {
        // 60 of the 200 digits at batch 10: 6 batches and 60 samples an epoch.
        let config = |epochs: &str| RunConfig {
            n_train: Some(60),
            ..mlp(epochs)
        };
        let mut session = loaded(200, 50);
        let started = start(&mut session, 1, config("2"));
        assert!(matches!(
            started.as_slice(),
            [FromWorker::Started {
                run: RunStarted {
                    n_batches_per_epoch: 6,
                    n_samples_total: 120,
                    ..
                },
                ..
            }]
        ));
        let accuracies = |out: &[FromWorker]| -> Vec<f32> {
            out.iter()
                .filter_map(|m| match m {
                    FromWorker::EpochResult { row, .. } => Some(row.test_accuracy),
                    _ => None,
                })
                .collect()
        };
        let two = accuracies(&run_to_end(&mut session));
        let _ = start(&mut session, 2, config("1"));
        let one = accuracies(&run_to_end(&mut session));
        assert_eq!(two.len(), 2);
        // The homework grid reads shorter runs off a longer one's epochs (same seed).
        assert_eq!(one, two[..1]);
    }

    #[test]
    fn a_run_reports_progress_epochs_and_its_end_and_then_predicts() {
        let mut session = loaded(200, 150);
        let started = start(&mut session, 7, mlp("2"));
        assert_eq!(
            started,
            vec![FromWorker::Started {
                run_id: 7,
                run: RunStarted {
                    n_batches_per_epoch: 20,
                    n_samples_total: 400,
                    n_params: 784 * 128 + 128 + 128 * 10 + 10,
                }
            }]
        );
        let out = run_to_end(&mut session);
        let epochs: Vec<&EpochRow> = out
            .iter()
            .filter_map(|m| match m {
                FromWorker::EpochResult { run_id: 7, row } => Some(row),
                _ => None,
            })
            .collect();
        assert_eq!(
            epochs.iter().map(|r| r.epoch).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let last = epochs[1];
        assert!(last.test_accuracy > 0.9, "{last:?}");
        let total: u32 = last.confusion.iter().flatten().sum();
        assert_eq!(total, 150);
        // The progress messages carry every sample once, and curve points up to 2 epochs.
        let (done, points): (Vec<usize>, Vec<CurvePoint>) = out
            .iter()
            .filter_map(|m| match m {
                FromWorker::Progress {
                    progress:
                        RunProgress {
                            n_samples_done,
                            points,
                            ..
                        },
                    ..
                } => Some((*n_samples_done, points.clone())),
                _ => None,
            })
            .fold((Vec::new(), Vec::new()), |(mut d, mut p), (n, pts)| {
                d.push(n);
                p.extend(pts);
                (d, p)
            });
        assert_eq!(done.last(), Some(&400));
        assert!(done.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(points.last().map(|p| p.epoch), Some(2.0));
        // 20 batches an epoch, one point each (a stride of 1).
        assert_eq!(points.len(), 2 * 20);
        match out.last() {
            Some(FromWorker::Done {
                run_id: 7,
                outcome: RunOutcome::Finished,
                report,
            }) => {
                assert_eq!(report.shown.len(), report.n_total.min(MAX_MISCLASSIFIED));
                assert!(
                    report
                        .shown
                        .iter()
                        .all(|m| m.label != m.predicted && m.pixels.len() == 784)
                );
            }
            other => panic!("expected the end, got {other:?}"),
        }
        // The trained model answers: band 5 is class 5.
        let mut digit = vec![0u8; 784];
        for col in 0..28 {
            digit[14 * 28 + col] = 250;
            digit[15 * 28 + col] = 250;
        }
        match session
            .handle(
                ToWorker::Query {
                    request_id: 1,
                    query: Digit { pixels: digit },
                },
                Vec::new(),
                0.0,
            )
            .as_slice()
        {
            [
                FromWorker::Answer {
                    request_id: 1,
                    answer,
                    run_id: 7,
                    while_training: false,
                    ..
                },
            ] => {
                assert_eq!(answer.class, 5);
                assert!((answer.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_same_config_gives_the_same_numbers() {
        let rows = |seed: u64| {
            let mut session = loaded(100, 50);
            let mut config = mlp("1");
            config.seed = seed;
            let _ = start(&mut session, 1, config);
            run_to_end(&mut session)
                .into_iter()
                .filter_map(|m| match m {
                    FromWorker::EpochResult { row, .. } => {
                        Some((row.train_loss, row.test_accuracy, row.confusion))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(3), rows(3));
        assert_ne!(rows(3), rows(4));
    }

    #[test]
    fn cancel_stops_between_slices_and_predict_answers_while_training() {
        let mut session = loaded(300, 20);
        let _ = start(&mut session, 2, mlp("5"));
        let mut clock = ticking();
        let _ = session.work(&mut clock, 3.0);
        assert!(session.is_busy());
        let answer = session.handle(
            ToWorker::Query {
                request_id: 9,
                query: Digit {
                    pixels: vec![0; 784],
                },
            },
            Vec::new(),
            0.0,
        );
        assert!(matches!(
            answer.as_slice(),
            [FromWorker::Answer {
                while_training: true,
                run_id: 2,
                ..
            }]
        ));
        // A cancel for another run is ignored; for this one it ends the run.
        assert!(
            session
                .handle(ToWorker::Cancel { run_id: 1 }, Vec::new(), 0.0)
                .is_empty()
        );
        let out = session.handle(ToWorker::Cancel { run_id: 2 }, Vec::new(), 0.0);
        assert!(matches!(
            out.last(),
            Some(FromWorker::Done {
                outcome: RunOutcome::Cancelled,
                ..
            })
        ));
        assert!(!session.is_busy());
        assert!(session.work(&mut clock, 10.0).is_empty());
    }

    #[test]
    fn a_huge_learning_rate_is_a_divergence_not_nan() {
        let mut session = loaded(200, 20);
        let config = RunConfig {
            lr: 10.0,
            optimizer: OptimizerKind::Sgd,
            ..mlp("3")
        };
        let _ = start(&mut session, 1, config);
        let out = run_to_end(&mut session);
        match out.last() {
            Some(FromWorker::Done {
                outcome: RunOutcome::Diverged { message },
                ..
            }) => {
                assert!(
                    message.starts_with("Training diverged in epoch 1, batch "),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_files_are_refused_with_the_file_named_and_the_old_data_kept() {
        let mut session = loaded(50, 20);
        let good = files(50, 20);
        let check = |session: &mut Session, files: Vec<Vec<u8>>, file: DataFile, start: &str| {
            let out = session.handle(
                ToWorker::LoadData {
                    source: DataSource::Uploaded { names: vec![] },
                },
                files,
                0.0,
            );
            match out.as_slice() {
                [
                    FromWorker::DataRejected {
                        file: Some(f),
                        message,
                    },
                ] => {
                    assert_eq!(*f, file);
                    assert!(message.starts_with(start), "{message}");
                }
                other => panic!("{other:?}"),
            }
        };
        // Swapped images and labels.
        let mut swapped = good.clone();
        swapped.swap(0, 1);
        check(
            &mut session,
            swapped,
            DataFile::TrainImages,
            "Magic number 0x00000801, expected 0x00000803",
        );
        // Truncated test images.
        let mut truncated = good.clone();
        truncated[2].truncate(1000);
        check(
            &mut session,
            truncated,
            DataFile::TestImages,
            "The header promises 15680 data bytes but 984 follow it.",
        );
        // Training labels from another set.
        let mut mismatched = good.clone();
        mismatched[1] = files(40, 20)[1].clone();
        check(
            &mut session,
            mismatched,
            DataFile::TrainLabels,
            "This file has 40 labels but the training images file has 50 images",
        );
        // Not an IDX file at all, and a corrupt gzip stream.
        let mut text = good.clone();
        text[3] = b"hello, this is not MNIST".to_vec();
        check(&mut session, text, DataFile::TestLabels, "Magic number");
        let mut gz = good.clone();
        gz[0] = vec![0x1f, 0x8b, 8, 0, 1, 2, 3];
        check(
            &mut session,
            gz,
            DataFile::TrainImages,
            "The data looks gzip-compressed but does not decompress",
        );
        // 32×32 images.
        let mut big = good.clone();
        big[0] = encode(&[50, 32, 32], &vec![0; 50 * 32 * 32]);
        check(
            &mut session,
            big,
            DataFile::TrainImages,
            "The images are 32×32 pixels",
        );
        // The bundled-size set is still the one in use.
        let _ = start(&mut session, 1, mlp("1"));
        let out = run_to_end(&mut session);
        assert!(out.iter().any(|m| matches!(
            m,
            FromWorker::Progress {
                progress: RunProgress {
                    n_samples_total: 50,
                    ..
                },
                ..
            }
        )));
    }

    #[test]
    fn starting_without_data_or_predicting_without_a_model_is_a_sentence() {
        let mut session = Session::new();
        let out = start(&mut session, 1, mlp("1"));
        assert!(matches!(
            out.as_slice(),
            [FromWorker::Error {
                run_id: Some(1),
                ..
            }]
        ));
        let out = session.handle(
            ToWorker::Query {
                request_id: 1,
                query: Digit {
                    pixels: vec![0; 784],
                },
            },
            Vec::new(),
            0.0,
        );
        assert!(matches!(
            out.as_slice(),
            [FromWorker::QueryError { request_id: 1, .. }]
        ));
        assert_eq!(ModelKind::Mlp.as_str(), "mlp");
    }
}
