//! What the training worker does, as plain Rust: it owns the dataset and at most one run,
//! answers each [`ToWorker`] message with [`FromWorker`] messages, and does bounded slices of
//! work when asked. The Web Worker glue (`training::worker`) only moves messages and calls
//! [`WorkerSession::work`] between them, so cancel and predict requests are answered between
//! slices; native tests drive this module with a fake clock.
//!
//! A run alternates two phases: training batches ([`Trainer::run_epoch_slice`] one batch at a
//! time), and, after each epoch, evaluating the test set in chunks of [`EVAL_CHUNK`] images
//! (so even a 10,000-digit test set never blocks the worker for long).

use nn::data::Dataset;
use nn::idx::{IMAGES_MAGIC, IdxError, IdxLimits, LABELS_MAGIC, read_images, read_labels};
use nn::loss::softmax;
use nn::train::{
    BatchMetrics, ConfusionMatrix, DivergenceKind, EpochSummary, TrainStatus, Trainer,
};

use super::config::RunConfig;
use super::protocol::{
    CurvePoint, DataFile, DataSource, EpochRow, FromWorker, MAX_MISCLASSIFIED, Misclassified,
    PROGRESS_INTERVAL_MS, RunOutcome, ToWorker,
};

/// Test images per evaluation step.
pub const EVAL_CHUNK: usize = 100;
/// Curve points per epoch (at most).
pub const POINTS_PER_EPOCH: usize = 50;
/// The side of the images the lab's models take.
pub const IMAGE_SIDE: usize = 28;
const N_CLASSES: usize = 10;

/// A training and a test set.
#[derive(Clone, Debug)]
pub struct LoadedData {
    pub source: DataSource,
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
    let mut text = error.to_string();
    if let Some(first) = text.get(0..1) {
        text = first.to_uppercase() + &text[1..];
    }
    format!("{text}.{hint}")
}

/// Reads the four IDX files (raw or gzip), in [`DataFile::ALL`] order.
///
/// # Errors
/// A file that is not the IDX file expected, images that are not 28×28, a label outside 0–9,
/// or images and labels that disagree in number.
pub fn load_data(source: DataSource, files: &[Vec<u8>]) -> Result<LoadedData, DataRejection> {
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
    Ok(LoadedData {
        source,
        train,
        test,
    })
}

/// Means over the batches since the last curve point.
#[derive(Clone, Debug, Default)]
struct CurveAccumulator {
    loss_sum: f64,
    correct: f64,
    n_samples: usize,
    n_batches: usize,
}

/// The test-set pass after an epoch, done a chunk at a time.
#[derive(Clone, Debug)]
struct EvalState {
    summary: EpochSummary,
    next_idx: usize,
    confusion: ConfusionMatrix,
    loss_sum: f64,
    /// (item, label, predicted, confidence) of every mistake.
    mistakes: Vec<(usize, u8, u8, f32)>,
}

#[derive(Clone, Debug)]
enum Phase {
    Training,
    Evaluating(Box<EvalState>),
    Ended,
}

#[derive(Clone, Debug)]
struct Run {
    id: u32,
    trainer: Trainer,
    n_train: usize,
    n_samples_done: usize,
    n_samples_total: usize,
    train_ms: f64,
    eval_ms: f64,
    phase: Phase,
    stride: usize,
    curve: CurveAccumulator,
    pending_points: Vec<CurvePoint>,
    last_progress_ms: f64,
    /// The last evaluation's mistakes, most confident first, with their number.
    last_mistakes: Vec<Misclassified>,
    last_n_mistakes: usize,
}

/// The worker's whole state.
#[derive(Debug, Default)]
pub struct WorkerSession {
    data: Option<LoadedData>,
    run: Option<Run>,
}

impl WorkerSession {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a run wants more slices of work.
    pub fn is_busy(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| !matches!(r.phase, Phase::Ended))
    }

    /// Answers one message. `files` are the buffers that came with it (only `LoadData` has
    /// any); `now_ms` is the caller's clock.
    pub fn handle(
        &mut self,
        message: ToWorker,
        files: Vec<Vec<u8>>,
        now_ms: f64,
    ) -> Vec<FromWorker> {
        match message {
            ToWorker::LoadData { source } => {
                if self.is_busy() {
                    return vec![FromWorker::DataRejected {
                        file: None,
                        message: "A run is in progress: cancel it before loading other data."
                            .into(),
                    }];
                }
                match load_data(source, &files) {
                    Ok(data) => {
                        let reply = FromWorker::DataLoaded {
                            source: data.source.clone(),
                            n_train: data.train.len(),
                            n_test: data.test.len(),
                        };
                        self.data = Some(data);
                        vec![reply]
                    }
                    Err(rejection) => vec![FromWorker::DataRejected {
                        file: rejection.file,
                        message: rejection.message,
                    }],
                }
            }
            ToWorker::Start { run_id, config } => {
                let mut out = self.cancel_current();
                out.extend(self.start(run_id, &config, now_ms));
                out
            }
            ToWorker::Cancel { run_id } => {
                if self.run.as_ref().is_some_and(|r| r.id == run_id) {
                    self.cancel_current()
                } else {
                    Vec::new()
                }
            }
            ToWorker::Predict { request_id, pixels } => vec![self.predict(request_id, &pixels)],
        }
    }

    fn start(&mut self, run_id: u32, config: &RunConfig, now_ms: f64) -> Vec<FromWorker> {
        let Some(data) = &self.data else {
            return vec![FromWorker::Error {
                run_id: Some(run_id),
                message: "The data is not loaded yet.".into(),
            }];
        };
        let trainer = match Trainer::new(config.train_config(), data.train.clone()) {
            Ok(t) => t,
            Err(e) => {
                return vec![FromWorker::Error {
                    run_id: Some(run_id),
                    message: format!("The run cannot start: {e}."),
                }];
            }
        };
        let n_batches_per_epoch = trainer.n_batches_per_epoch();
        let n_params = trainer.network().clone().n_params();
        let n_train = data.train.len();
        let n_samples_total = n_train * config.n_epochs;
        self.run = Some(Run {
            id: run_id,
            trainer,
            n_train,
            n_samples_done: 0,
            n_samples_total,
            train_ms: 0.0,
            eval_ms: 0.0,
            phase: Phase::Training,
            stride: (n_batches_per_epoch / POINTS_PER_EPOCH).max(1),
            curve: CurveAccumulator::default(),
            pending_points: Vec::new(),
            last_progress_ms: now_ms,
            last_mistakes: Vec::new(),
            last_n_mistakes: 0,
        });
        vec![FromWorker::Started {
            run_id,
            n_batches_per_epoch,
            n_samples_total,
            n_params,
        }]
    }

    fn cancel_current(&mut self) -> Vec<FromWorker> {
        let Some(run) = self.run.as_mut() else {
            return Vec::new();
        };
        if matches!(run.phase, Phase::Ended) {
            return Vec::new();
        }
        run.phase = Phase::Ended;
        vec![
            run.progress_message(),
            run.done_message(RunOutcome::Cancelled),
        ]
    }

    fn predict(&self, request_id: u32, pixels: &[u8]) -> FromWorker {
        let Some(run) = &self.run else {
            return FromWorker::PredictError {
                request_id,
                message: "Train a model first: there is nothing to ask yet.".into(),
            };
        };
        match run.trainer.predict(pixels) {
            Ok(p) => FromWorker::Prediction {
                request_id,
                class: p.class,
                probabilities: p.probabilities,
                run_id: run.id,
                while_training: !matches!(run.phase, Phase::Ended),
            },
            Err(e) => FromWorker::PredictError {
                request_id,
                message: format!("The drawing could not be classified: {e}."),
            },
        }
    }

    /// Works on the current run until `budget_ms` have passed on `clock` (at least one step),
    /// and returns what the page should hear: progress at most every
    /// [`PROGRESS_INTERVAL_MS`], every epoch's result, and the end.
    pub fn work(&mut self, clock: &mut dyn FnMut() -> f64, budget_ms: f64) -> Vec<FromWorker> {
        let mut out = Vec::new();
        let (Some(run), Some(data)) = (self.run.as_mut(), self.data.as_ref()) else {
            return out;
        };
        let started = clock();
        loop {
            match &mut run.phase {
                Phase::Ended => break,
                Phase::Training => run.train_step(clock, &mut out),
                Phase::Evaluating(_) => run.eval_step(clock, &data.test, &mut out),
            }
            if clock() - started >= budget_ms {
                break;
            }
        }
        let now = clock();
        if !matches!(run.phase, Phase::Ended) && now - run.last_progress_ms >= PROGRESS_INTERVAL_MS
        {
            run.last_progress_ms = now;
            out.push(run.progress_message());
        }
        out
    }
}

impl Run {
    fn progress_message(&mut self) -> FromWorker {
        FromWorker::Progress {
            run_id: self.id,
            n_samples_done: self.n_samples_done,
            n_samples_total: self.n_samples_total,
            train_ms: self.train_ms,
            eval_ms: self.eval_ms,
            points: std::mem::take(&mut self.pending_points),
        }
    }

    fn done_message(&mut self, outcome: RunOutcome) -> FromWorker {
        FromWorker::Done {
            run_id: self.id,
            outcome,
            misclassified: std::mem::take(&mut self.last_mistakes),
            n_misclassified: self.last_n_mistakes,
        }
    }

    fn samples_per_s(&self) -> f64 {
        if self.train_ms > 0.0 {
            self.n_samples_done as f64 / (self.train_ms / 1000.0)
        } else {
            0.0
        }
    }

    fn push_point(&mut self) {
        let acc = std::mem::take(&mut self.curve);
        if acc.n_samples == 0 {
            return;
        }
        self.pending_points.push(CurvePoint {
            epoch: (self.n_samples_done as f64 / self.n_train as f64) as f32,
            loss: (acc.loss_sum / acc.n_samples as f64) as f32,
            accuracy: (acc.correct / acc.n_samples as f64) as f32,
        });
    }

    fn record_batch(&mut self, batch: &BatchMetrics) {
        self.curve.loss_sum += f64::from(batch.loss) * batch.n_samples as f64;
        self.curve.correct += f64::from(batch.accuracy) * batch.n_samples as f64;
        self.curve.n_samples += batch.n_samples;
        self.curve.n_batches += 1;
    }

    fn train_step(&mut self, clock: &mut dyn FnMut() -> f64, out: &mut Vec<FromWorker>) {
        let t0 = clock();
        let progress = self.trainer.run_epoch_slice(1);
        self.train_ms += clock() - t0;
        self.n_samples_done += progress.n_samples_run;
        if let Some(batch) = &progress.last_batch {
            self.record_batch(batch);
        }
        let epoch_ended = !progress.completed_epochs.is_empty();
        if epoch_ended || self.curve.n_batches >= self.stride {
            self.push_point();
        }
        if let TrainStatus::Diverged(d) = progress.status {
            let what = match d.kind {
                DivergenceKind::NonFiniteLoss => "the loss was not a finite number".to_string(),
                DivergenceKind::ExplodingLoss { loss } => {
                    format!("the loss exploded to {loss:.3e}")
                }
            };
            self.phase = Phase::Ended;
            out.push(self.progress_message());
            out.push(self.done_message(RunOutcome::Diverged {
                message: format!(
                    "Training diverged in epoch {}, batch {}: {what}. No update was applied from that batch; try a smaller learning rate.",
                    d.epoch_idx + 1,
                    d.batch_idx + 1
                ),
            }));
            return;
        }
        if let Some(summary) = progress.completed_epochs.last() {
            out.push(self.progress_message());
            self.phase = Phase::Evaluating(Box::new(EvalState {
                summary: *summary,
                next_idx: 0,
                confusion: ConfusionMatrix::new(N_CLASSES),
                loss_sum: 0.0,
                mistakes: Vec::new(),
            }));
        }
    }

    fn eval_step(
        &mut self,
        clock: &mut dyn FnMut() -> f64,
        test: &Dataset,
        out: &mut Vec<FromWorker>,
    ) {
        let t0 = clock();
        let Phase::Evaluating(state) = &mut self.phase else {
            return;
        };
        let config = self.trainer.config();
        let end = (state.next_idx + EVAL_CHUNK).min(test.len());
        let indices: Vec<usize> = (state.next_idx..end).collect();
        let (inputs, labels) = test.batch(&indices, config.normalization);
        let logits = self.trainer.network().infer(inputs.view());
        state.loss_sum +=
            f64::from(config.loss.evaluate(logits.view(), &labels).loss) * labels.len() as f64;
        let probabilities = softmax(logits.view());
        for ((row, &label), &item_idx) in
            probabilities.rows().into_iter().zip(&labels).zip(&indices)
        {
            let (predicted, confidence) =
                row.iter()
                    .copied()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |best, (c, p)| {
                        if p > best.1 { (c, p) } else { best }
                    });
            state.confusion.record(usize::from(label), predicted);
            if predicted != usize::from(label) {
                state
                    .mistakes
                    .push((item_idx, label, predicted as u8, confidence));
            }
        }
        state.next_idx = end;
        let finished = end >= test.len();
        self.eval_ms += clock() - t0;
        if !finished {
            return;
        }
        let Phase::Evaluating(state) = std::mem::replace(&mut self.phase, Phase::Training) else {
            return;
        };
        let mut state = *state;
        let mean_loss = (state.loss_sum / test.len().max(1) as f64) as f32;
        let (dominant_class, dominant_share) = state.confusion.dominant_prediction();
        let confusion = (0..N_CLASSES)
            .map(|t| {
                (0..N_CLASSES)
                    .map(|p| state.confusion.count(t, p))
                    .collect()
            })
            .collect();
        out.push(FromWorker::EpochResult {
            run_id: self.id,
            row: EpochRow {
                epoch: state.summary.epoch_idx + 1,
                train_loss: state.summary.mean_loss,
                train_accuracy: state.summary.train_accuracy,
                test_loss: mean_loss.is_finite().then_some(mean_loss),
                test_accuracy: state.confusion.accuracy(),
                mean_grad_norm: state.summary.mean_grad_norm,
                dominant_class,
                dominant_share,
                samples_per_s: self.samples_per_s(),
                confusion,
            },
        });
        // Most confident mistakes first (ties in test order).
        state
            .mistakes
            .sort_by(|a, b| b.3.total_cmp(&a.3).then(a.0.cmp(&b.0)));
        self.last_n_mistakes = state.mistakes.len();
        self.last_mistakes = state
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
            .collect();
        if self.trainer.status() == TrainStatus::Finished {
            self.phase = Phase::Ended;
            out.push(self.done_message(RunOutcome::Finished));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::config::{LabForm, ModelKind};
    use nn::idx::encode;

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

    /// A clock that advances 1 ms each time it is read.
    fn ticking() -> impl FnMut() -> f64 {
        let mut now = 0.0;
        move || {
            now += 1.0;
            now
        }
    }

    fn loaded(n_train: usize, n_test: usize) -> WorkerSession {
        let mut session = WorkerSession::new();
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
                source: DataSource::Bundled,
                n_train,
                n_test
            }]
        );
        session
    }

    fn mlp(epochs: &str) -> RunConfig {
        LabForm {
            epochs: epochs.into(),
            batch: "10".into(),
            lr: "0.1".into(),
            ..LabForm::default()
        }
        .parse()
        .unwrap()
    }

    fn run_to_end(session: &mut WorkerSession) -> Vec<FromWorker> {
        let mut clock = ticking();
        let mut out = Vec::new();
        for _ in 0..10_000 {
            if !session.is_busy() {
                return out;
            }
            out.extend(session.work(&mut clock, 20.0));
        }
        panic!("the run never ended");
    }

    #[test]
    fn a_run_reports_progress_epochs_and_its_end_and_then_predicts() {
        let mut session = loaded(200, 150);
        let started = session.handle(
            ToWorker::Start {
                run_id: 7,
                config: mlp("2"),
            },
            Vec::new(),
            0.0,
        );
        assert_eq!(
            started,
            vec![FromWorker::Started {
                run_id: 7,
                n_batches_per_epoch: 20,
                n_samples_total: 400,
                n_params: 784 * 128 + 128 + 128 * 10 + 10,
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
                    n_samples_done,
                    points,
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
                misclassified,
                n_misclassified,
            }) => {
                assert_eq!(
                    misclassified.len(),
                    (*n_misclassified).min(MAX_MISCLASSIFIED)
                );
                assert!(
                    misclassified
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
                ToWorker::Predict {
                    request_id: 1,
                    pixels: digit,
                },
                Vec::new(),
                0.0,
            )
            .as_slice()
        {
            [
                FromWorker::Prediction {
                    request_id: 1,
                    class,
                    probabilities,
                    run_id: 7,
                    while_training: false,
                },
            ] => {
                assert_eq!(*class, 5);
                assert!((probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
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
            let _ = session.handle(ToWorker::Start { run_id: 1, config }, Vec::new(), 0.0);
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
        let _ = session.handle(
            ToWorker::Start {
                run_id: 2,
                config: mlp("5"),
            },
            Vec::new(),
            0.0,
        );
        let mut clock = ticking();
        let _ = session.work(&mut clock, 3.0);
        assert!(session.is_busy());
        let answer = session.handle(
            ToWorker::Predict {
                request_id: 9,
                pixels: vec![0; 784],
            },
            Vec::new(),
            0.0,
        );
        assert!(matches!(
            answer.as_slice(),
            [FromWorker::Prediction {
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
            optimizer: crate::training::config::OptimizerKind::Sgd,
            ..mlp("3")
        };
        let _ = session.handle(ToWorker::Start { run_id: 1, config }, Vec::new(), 0.0);
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
        let check =
            |session: &mut WorkerSession, files: Vec<Vec<u8>>, file: DataFile, start: &str| {
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
        let _ = session.handle(
            ToWorker::Start {
                run_id: 1,
                config: mlp("1"),
            },
            Vec::new(),
            0.0,
        );
        let out = run_to_end(&mut session);
        assert!(out.iter().any(|m| matches!(
            m,
            FromWorker::Progress {
                n_samples_total: 50,
                ..
            }
        )));
    }

    #[test]
    fn starting_without_data_or_predicting_without_a_model_is_a_sentence() {
        let mut session = WorkerSession::new();
        let out = session.handle(
            ToWorker::Start {
                run_id: 1,
                config: mlp("1"),
            },
            Vec::new(),
            0.0,
        );
        assert!(matches!(
            out.as_slice(),
            [FromWorker::Error {
                run_id: Some(1),
                ..
            }]
        ));
        let out = session.handle(
            ToWorker::Predict {
                request_id: 1,
                pixels: vec![0; 784],
            },
            Vec::new(),
            0.0,
        );
        assert!(matches!(
            out.as_slice(),
            [FromWorker::PredictError { request_id: 1, .. }]
        ));
        assert_eq!(ModelKind::Mlp.as_str(), "mlp");
    }
}
