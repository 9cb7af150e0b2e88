//! What a lab's training worker does, as plain Rust, for every lab: it owns the dataset and at
//! most one run, answers each [`ToWorker`] with [`FromWorker`] messages, and does bounded
//! slices of work when asked. The Web Worker glue (`training::worker`) only moves messages and
//! calls [`WorkerSession::work`] between them, so cancels and queries are answered between
//! slices; native tests drive it with a fake clock.
//!
//! Written once here: run-id filtering (a cancel for another run is ignored, a start replaces
//! the current run), the time slicing, the split of time into training and evaluation, curve
//! points (at most [`POINTS_PER_EPOCH`] an epoch), progress throttled to one message per
//! [`PROGRESS_INTERVAL_MS`], and the end of a run. A lab supplies a [`WorkerTask`]: how files
//! become a dataset, how a run starts, one bounded step of it, its report and its answers.

use super::protocol::{
    CurvePoint, EpochRow, FromWorker, LabTask, PROGRESS_INTERVAL_MS, RunOutcome, RunProgress,
    RunStarted, ToWorker,
};

/// Curve points per epoch (at most).
pub const POINTS_PER_EPOCH: usize = 50;

/// The figures of one training batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchStats {
    pub loss: f32,
    pub accuracy: f32,
    pub n_samples: usize,
}

/// What one step of a run did.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Trained on one batch.
    Trained {
        batch: BatchStats,
        /// Position in epochs after this batch (1.5 = half-way through the second).
        epoch: f32,
        /// Whether this batch ended an epoch (an evaluation comes next).
        epoch_ended: bool,
    },
    /// Evaluated part of the test set; `row` when that finished an epoch's evaluation, and
    /// `last` when it was the run's last epoch.
    Evaluated { row: Option<EpochRow>, last: bool },
    /// The run cannot go on; the sentence says where and why.
    Diverged(String),
}

/// A lab's work, as the generic worker session drives it.
pub trait WorkerTask: LabTask {
    /// A loaded dataset.
    type Data;
    /// A run's state (model, optimizer, where it is).
    type Run;

    /// What a query gets before any model exists.
    const NO_MODEL: &'static str;

    /// Reads the files of `source` (in the order the lab sends them).
    ///
    /// # Errors
    /// The file at fault (when one is) and a sentence.
    fn load(
        source: &Self::Source,
        files: Vec<Vec<u8>>,
    ) -> Result<Self::Data, (Option<Self::File>, String)>;

    /// What the page is told about `data`.
    fn data_info(source: &Self::Source, data: &Self::Data) -> Self::DataInfo;

    /// Builds a run of `config` on `data`. `previous` is the run whose weights are in use (a
    /// finished run or imported weights), for a lab that can start from them.
    ///
    /// # Errors
    /// A sentence when the settings cannot make a run.
    fn start(
        config: &Self::Config,
        data: &Self::Data,
        previous: Option<&Self::Run>,
    ) -> Result<(Self::Run, RunStarted), String>;

    /// One bounded piece of work: a training batch or a chunk of evaluation.
    fn step(run: &mut Self::Run, data: &Self::Data) -> Step;

    /// How long the step just taken lasted on the caller's clock, in ms. A lab that measures
    /// its own steps keeps it (the engines read no clock); by default it is not kept.
    fn step_timed(_run: &mut Self::Run, _step_ms: f64) {}

    /// What the end of the run reports (taken: a second call may be empty).
    fn report(run: &mut Self::Run, data: &Self::Data) -> Self::Report;

    /// What the run reports before its end, when the step just taken (and timed) made news
    /// the page should show now (a timing sweep's row for each finished batch size); by
    /// default a run reports only at its end.
    fn interim_report(_run: &mut Self::Run) -> Option<Self::Report> {
        None
    }

    /// Answers `query` with the run's current weights.
    ///
    /// # Errors
    /// A sentence when the query cannot be answered.
    fn answer(
        run: &Self::Run,
        data: &Self::Data,
        query: &Self::Query,
    ) -> Result<Self::Answer, String>;

    /// The run's weights as a file: its name and bytes. By default a lab keeps no weights files.
    ///
    /// # Errors
    /// A sentence when the weights cannot be written.
    fn export_weights(_run: &Self::Run) -> Result<(String, Vec<u8>), String> {
        Err("This lab does not save weights.".into())
    }

    /// A run that answers queries with the weights in `bytes` (it is not trained further), and
    /// a sentence saying what was loaded.
    ///
    /// # Errors
    /// A sentence naming what is wrong with the file.
    fn import_weights(_bytes: &[u8], _data: &Self::Data) -> Result<(Self::Run, String), String> {
        Err("This lab does not load weights.".into())
    }
}

/// A wrong answer found while evaluating: `(item, label, predicted, confidence)`.
pub type Mistake = (usize, u8, u8, f32);

/// The most probable class of one item and whether it is wrong: a [`Mistake`] when it is.
pub fn judge(
    item_idx: usize,
    label: u8,
    probabilities: impl IntoIterator<Item = f32>,
) -> Option<Mistake> {
    let (predicted, confidence) =
        probabilities
            .into_iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (c, p)| {
                if p > best.1 { (c, p) } else { best }
            });
    let predicted = u8::try_from(predicted).unwrap_or(u8::MAX);
    (predicted != label).then_some((item_idx, label, predicted, confidence))
}

/// Sorts mistakes most confident first (ties in test order).
pub fn most_confident_first(mistakes: &mut [Mistake]) {
    mistakes.sort_by(|a, b| b.3.total_cmp(&a.3).then(a.0.cmp(&b.0)));
}

/// An epoch's row: the trainer's summary of the epoch and the test evaluation after it (the
/// session fills in the throughput).
pub fn epoch_row(
    summary: &nn::train::EpochSummary,
    evaluation: &nn::train::Evaluation,
) -> EpochRow {
    let n = evaluation.confusion.n_classes();
    let (dominant_class, dominant_share) = evaluation.confusion.dominant_prediction();
    EpochRow {
        epoch: summary.epoch_idx + 1,
        train_loss: summary.mean_loss,
        train_accuracy: summary.train_accuracy,
        test_loss: evaluation.mean_loss,
        test_accuracy: evaluation.accuracy,
        mean_grad_norm: summary.mean_grad_norm,
        dominant_class,
        dominant_share,
        samples_per_s: 0.0,
        confusion: (0..n)
            .map(|t| (0..n).map(|p| evaluation.confusion.count(t, p)).collect())
            .collect(),
    }
}

/// Means over the batches since the last curve point.
#[derive(Clone, Debug, Default)]
struct CurveAccumulator {
    loss_sum: f64,
    correct: f64,
    n_samples: usize,
    n_batches: usize,
}

struct Live<R> {
    id: u32,
    run: R,
    ended: bool,
    n_samples_done: usize,
    n_samples_total: usize,
    train_ms: f64,
    eval_ms: f64,
    stride: usize,
    epoch: f32,
    curve: CurveAccumulator,
    pending_points: Vec<CurvePoint>,
    last_progress_ms: f64,
}

impl<R> Live<R> {
    /// Weights loaded from a file: run 0, ended, nothing to train.
    fn imported(run: R) -> Self {
        Self {
            id: 0,
            run,
            ended: true,
            n_samples_done: 0,
            n_samples_total: 0,
            train_ms: 0.0,
            eval_ms: 0.0,
            stride: 1,
            epoch: 0.0,
            curve: CurveAccumulator::default(),
            pending_points: Vec::new(),
            last_progress_ms: 0.0,
        }
    }
}

/// The worker's whole state for lab `T`.
pub struct WorkerSession<T: WorkerTask> {
    data: Option<(T::Source, T::Data)>,
    live: Option<Live<T::Run>>,
}

impl<T: WorkerTask> Default for WorkerSession<T> {
    fn default() -> Self {
        Self {
            data: None,
            live: None,
        }
    }
}

impl<T: WorkerTask> std::fmt::Debug for WorkerSession<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerSession")
            .field("lab", &T::NAME)
            .field("has_data", &self.data.is_some())
            .field("run", &self.live.as_ref().map(|l| (l.id, l.ended)))
            .finish()
    }
}

impl<T: WorkerTask> WorkerSession<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a run wants more slices of work.
    pub fn is_busy(&self) -> bool {
        self.live.as_ref().is_some_and(|l| !l.ended)
    }

    /// Answers one message. `files` are the buffers that came with it (only `LoadData` has
    /// any); `now_ms` is the caller's clock.
    pub fn handle(
        &mut self,
        message: ToWorker<T>,
        files: Vec<Vec<u8>>,
        now_ms: f64,
    ) -> Vec<FromWorker<T>> {
        match message {
            ToWorker::LoadData { source } => {
                if self.is_busy() {
                    return vec![FromWorker::DataRejected {
                        file: None,
                        message: "A run is in progress: cancel it before loading other data."
                            .into(),
                    }];
                }
                match T::load(&source, files) {
                    Ok(data) => {
                        let info = T::data_info(&source, &data);
                        self.data = Some((source, data));
                        vec![FromWorker::DataLoaded { info }]
                    }
                    Err((file, message)) => vec![FromWorker::DataRejected { file, message }],
                }
            }
            ToWorker::Start { run_id, config } => {
                let mut out = self.cancel_current();
                out.extend(self.start(run_id, &config, now_ms));
                out
            }
            ToWorker::Cancel { run_id } => {
                if self.live.as_ref().is_some_and(|l| l.id == run_id) {
                    self.cancel_current()
                } else {
                    Vec::new()
                }
            }
            ToWorker::Query { request_id, query } => {
                let answer = match (&self.live, &self.data) {
                    (Some(live), Some((_, data))) => T::answer(&live.run, data, &query)
                        .map(|answer| (live.id, !live.ended, answer)),
                    _ => Err(T::NO_MODEL.to_string()),
                };
                vec![match answer {
                    Ok((run_id, while_training, answer)) => FromWorker::Answer {
                        request_id,
                        run_id,
                        while_training,
                        answer,
                        ms: 0.0,
                    },
                    Err(message) => FromWorker::QueryError {
                        request_id,
                        message,
                    },
                }]
            }
            ToWorker::ExportWeights { request_id } => {
                let refused = |message: String| FromWorker::WeightsRefused {
                    request_id,
                    message,
                };
                vec![match &self.live {
                    Some(live) => match T::export_weights(&live.run) {
                        Ok((file_name, bytes)) => FromWorker::Weights {
                            request_id,
                            run_id: live.id,
                            file_name,
                            bytes,
                        },
                        Err(message) => refused(message),
                    },
                    None => refused(T::NO_MODEL.to_string()),
                }]
            }
            ToWorker::ImportWeights { request_id, name } => {
                let refused = |message: String| {
                    vec![FromWorker::WeightsRefused {
                        request_id,
                        message,
                    }]
                };
                if self.is_busy() {
                    return refused(
                        "A run is in progress: cancel it before loading weights.".into(),
                    );
                }
                let Some((_, data)) = &self.data else {
                    return refused("The data is still loading; try again in a moment.".into());
                };
                let [bytes] = files.as_slice() else {
                    return refused(format!("One file is needed; {} arrived.", files.len()));
                };
                match T::import_weights(bytes, data) {
                    Ok((run, summary)) => {
                        self.live = Some(Live::imported(run));
                        vec![FromWorker::WeightsLoaded {
                            request_id,
                            name,
                            summary,
                        }]
                    }
                    Err(message) => refused(message),
                }
            }
        }
    }

    fn start(&mut self, run_id: u32, config: &T::Config, now_ms: f64) -> Vec<FromWorker<T>> {
        let Some((_, data)) = &self.data else {
            return vec![FromWorker::Error {
                run_id: Some(run_id),
                message: "The data is not loaded yet.".into(),
            }];
        };
        let previous = self.live.as_ref().map(|live| &live.run);
        match T::start(config, data, previous) {
            Ok((run, started)) => {
                self.live = Some(Live {
                    id: run_id,
                    run,
                    ended: false,
                    n_samples_done: 0,
                    n_samples_total: started.n_samples_total,
                    train_ms: 0.0,
                    eval_ms: 0.0,
                    stride: (started.n_batches_per_epoch / POINTS_PER_EPOCH).max(1),
                    epoch: 0.0,
                    curve: CurveAccumulator::default(),
                    pending_points: Vec::new(),
                    last_progress_ms: now_ms,
                });
                vec![FromWorker::Started {
                    run_id,
                    run: started,
                }]
            }
            Err(message) => vec![FromWorker::Error {
                run_id: Some(run_id),
                message: format!("The run cannot start: {message}."),
            }],
        }
    }

    fn cancel_current(&mut self) -> Vec<FromWorker<T>> {
        let (Some(live), Some((_, data))) = (self.live.as_mut(), self.data.as_ref()) else {
            return Vec::new();
        };
        if live.ended {
            return Vec::new();
        }
        live.ended = true;
        vec![
            live.progress_message(),
            FromWorker::Done {
                run_id: live.id,
                outcome: RunOutcome::Cancelled,
                report: T::report(&mut live.run, data),
            },
        ]
    }

    /// Works on the current run until `budget_ms` have passed on `clock` (at least one step),
    /// and returns what the page should hear: progress at most every
    /// [`PROGRESS_INTERVAL_MS`], every epoch's result, and the end.
    pub fn work(&mut self, clock: &mut dyn FnMut() -> f64, budget_ms: f64) -> Vec<FromWorker<T>> {
        let mut out = Vec::new();
        let (Some(live), Some((_, data))) = (self.live.as_mut(), self.data.as_ref()) else {
            return out;
        };
        let started = clock();
        while !live.ended {
            let t0 = clock();
            let step = T::step(&mut live.run, data);
            let spent = clock() - t0;
            T::step_timed(&mut live.run, spent);
            let interim = T::interim_report(&mut live.run);
            match step {
                Step::Trained {
                    batch,
                    epoch,
                    epoch_ended,
                } => {
                    live.train_ms += spent;
                    live.n_samples_done += batch.n_samples;
                    live.epoch = epoch;
                    live.record_batch(&batch);
                    if epoch_ended || live.curve.n_batches >= live.stride {
                        live.push_point();
                    }
                    if epoch_ended {
                        out.push(live.progress_message());
                    }
                }
                Step::Evaluated { row, last } => {
                    live.eval_ms += spent;
                    if let Some(mut row) = row {
                        row.samples_per_s = live.samples_per_s();
                        out.push(FromWorker::EpochResult {
                            run_id: live.id,
                            row,
                        });
                    }
                    if last {
                        live.ended = true;
                        out.push(FromWorker::Done {
                            run_id: live.id,
                            outcome: RunOutcome::Finished,
                            report: T::report(&mut live.run, data),
                        });
                    }
                }
                Step::Diverged(message) => {
                    live.train_ms += spent;
                    live.ended = true;
                    live.push_point();
                    out.push(live.progress_message());
                    out.push(FromWorker::Done {
                        run_id: live.id,
                        outcome: RunOutcome::Diverged { message },
                        report: T::report(&mut live.run, data),
                    });
                }
            }
            if let Some(report) = interim.filter(|_| !live.ended) {
                out.push(FromWorker::Report {
                    run_id: live.id,
                    report,
                });
            }
            if clock() - started >= budget_ms {
                break;
            }
        }
        let now = clock();
        if !live.ended && now - live.last_progress_ms >= PROGRESS_INTERVAL_MS {
            live.last_progress_ms = now;
            out.push(live.progress_message());
        }
        out
    }
}

impl<R> Live<R> {
    fn progress_message<T: LabTask>(&mut self) -> FromWorker<T> {
        FromWorker::Progress {
            run_id: self.id,
            progress: RunProgress {
                n_samples_done: self.n_samples_done,
                n_samples_total: self.n_samples_total,
                train_ms: self.train_ms,
                eval_ms: self.eval_ms,
                points: std::mem::take(&mut self.pending_points),
            },
        }
    }

    fn samples_per_s(&self) -> f64 {
        if self.train_ms > 0.0 {
            self.n_samples_done as f64 / (self.train_ms / 1000.0)
        } else {
            0.0
        }
    }

    fn record_batch(&mut self, batch: &BatchStats) {
        let n = batch.n_samples as f64;
        self.curve.loss_sum += f64::from(batch.loss) * n;
        self.curve.correct += f64::from(batch.accuracy) * n;
        self.curve.n_samples += batch.n_samples;
        self.curve.n_batches += 1;
    }

    fn push_point(&mut self) {
        let acc = std::mem::take(&mut self.curve);
        if acc.n_samples == 0 {
            return;
        }
        self.pending_points.push(CurvePoint {
            epoch: self.epoch,
            loss: (acc.loss_sum / acc.n_samples as f64) as f32,
            accuracy: (acc.correct / acc.n_samples as f64) as f32,
        });
    }
}

/// Test helpers shared by the labs' task tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::{FromWorker, ToWorker, WorkerSession, WorkerTask};

    /// A clock that advances 1 ms each time it is read.
    pub(crate) fn ticking() -> impl FnMut() -> f64 {
        let mut now = 0.0;
        move || {
            now += 1.0;
            now
        }
    }

    /// Asks the session to start run `run_id` with `config`; what it answers.
    pub(crate) fn start<T: WorkerTask>(
        session: &mut WorkerSession<T>,
        run_id: u32,
        config: T::Config,
    ) -> Vec<FromWorker<T>> {
        session.handle(ToWorker::Start { run_id, config }, Vec::new(), 0.0)
    }

    /// Works the session in slices of `slice_ms` until its run ends; every message heard.
    pub(crate) fn run_to_end<T: WorkerTask>(
        session: &mut WorkerSession<T>,
        slice_ms: f64,
    ) -> Vec<FromWorker<T>> {
        let mut clock = ticking();
        let mut out = Vec::new();
        for _ in 0..10_000 {
            if !session.is_busy() {
                return out;
            }
            out.extend(session.work(&mut clock, slice_ms));
        }
        panic!("the run never ended");
    }
}

#[cfg(test)]
mod tests {
    use super::testing::ticking;
    use super::*;
    use crate::training::protocol::tests::{Toy, ToyConfig};

    /// A toy run: `epochs` epochs of 4 batches of 10 samples, each epoch evaluated in 2
    /// chunks; the loss is 1/(batch number), or NaN-like divergence when `epochs` is 0.
    pub(crate) struct ToyRun {
        config: ToyConfig,
        batch: usize,
        eval_chunk: Option<usize>,
        reports: u32,
    }

    impl WorkerTask for Toy {
        type Data = usize;
        type Run = ToyRun;
        const NO_MODEL: &'static str = "nothing to ask yet";

        fn load(source: &String, files: Vec<Vec<u8>>) -> Result<usize, (Option<u8>, String)> {
            match files.iter().position(Vec::is_empty) {
                Some(i) => Err((Some(i as u8), format!("{source}: file {i} is empty"))),
                None => Ok(files.len()),
            }
        }

        fn data_info(_: &String, data: &usize) -> usize {
            *data
        }

        fn start(
            config: &ToyConfig,
            _: &usize,
            _: Option<&ToyRun>,
        ) -> Result<(ToyRun, RunStarted), String> {
            if config.epochs > 50 {
                return Err("too many epochs".into());
            }
            let run = ToyRun {
                config: config.clone(),
                batch: 0,
                eval_chunk: None,
                reports: 0,
            };
            let started = RunStarted {
                n_batches_per_epoch: 4,
                n_samples_total: 40 * config.epochs,
                n_params: 3,
            };
            Ok((run, started))
        }

        fn step(run: &mut ToyRun, _: &usize) -> Step {
            if run.config.epochs == 0 {
                return Step::Diverged("the loss was not a finite number".into());
            }
            if let Some(chunk) = run.eval_chunk {
                if chunk == 0 {
                    run.eval_chunk = Some(1);
                    return Step::Evaluated {
                        row: None,
                        last: false,
                    };
                }
                run.eval_chunk = None;
                let epoch = run.batch / 4;
                return Step::Evaluated {
                    row: Some(EpochRow {
                        epoch,
                        train_loss: 1.0,
                        train_accuracy: 0.5,
                        test_loss: Some(1.0),
                        test_accuracy: 0.5,
                        mean_grad_norm: 1.0,
                        dominant_class: 0,
                        dominant_share: 0.5,
                        samples_per_s: 0.0,
                        confusion: vec![],
                    }),
                    last: epoch == run.config.epochs,
                };
            }
            run.batch += 1;
            let epoch_ended = run.batch.is_multiple_of(4);
            if epoch_ended {
                run.eval_chunk = Some(0);
            }
            Step::Trained {
                batch: BatchStats {
                    loss: 1.0 / run.batch as f32,
                    accuracy: 0.5,
                    n_samples: 10,
                },
                epoch: run.batch as f32 / 4.0,
                epoch_ended,
            }
        }

        fn report(run: &mut ToyRun, _: &usize) -> Vec<u32> {
            run.reports += 1;
            vec![run.reports]
        }

        fn answer(run: &ToyRun, _: &usize, query: &i32) -> Result<i32, String> {
            if *query < 0 {
                Err("negative".into())
            } else {
                Ok(*query + run.batch as i32)
            }
        }
    }

    fn loaded() -> WorkerSession<Toy> {
        let mut session = WorkerSession::<Toy>::new();
        let out = session.handle(
            ToWorker::LoadData {
                source: "bundled".into(),
            },
            vec![vec![1], vec![2]],
            0.0,
        );
        assert_eq!(out, vec![FromWorker::DataLoaded { info: 2 }]);
        session
    }

    fn start(session: &mut WorkerSession<Toy>, run_id: u32, epochs: usize) -> Vec<FromWorker<Toy>> {
        session.handle(
            ToWorker::Start {
                run_id,
                config: ToyConfig { epochs },
            },
            Vec::new(),
            0.0,
        )
    }

    fn run_to_end(session: &mut WorkerSession<Toy>) -> Vec<FromWorker<Toy>> {
        super::testing::run_to_end(session, 5.0)
    }

    #[test]
    fn a_run_reports_every_sample_its_epochs_points_and_its_end_once() {
        let mut session = loaded();
        assert_eq!(
            start(&mut session, 7, 3),
            vec![FromWorker::Started {
                run_id: 7,
                run: RunStarted {
                    n_batches_per_epoch: 4,
                    n_samples_total: 120,
                    n_params: 3
                }
            }]
        );
        let out = run_to_end(&mut session);
        let epochs: Vec<usize> = out
            .iter()
            .filter_map(|m| match m {
                FromWorker::EpochResult { run_id: 7, row } => {
                    assert!(row.samples_per_s > 0.0, "the session fills the throughput");
                    Some(row.epoch)
                }
                _ => None,
            })
            .collect();
        assert_eq!(epochs, vec![1, 2, 3]);
        let progress: Vec<&RunProgress> = out
            .iter()
            .filter_map(|m| match m {
                FromWorker::Progress { progress, .. } => Some(progress),
                _ => None,
            })
            .collect();
        assert!(
            progress
                .windows(2)
                .all(|w| w[0].n_samples_done <= w[1].n_samples_done)
        );
        assert_eq!(progress.last().map(|p| p.n_samples_done), Some(120));
        let points: Vec<CurvePoint> = progress.iter().flat_map(|p| p.points.clone()).collect();
        // 4 batches an epoch and a stride of 1: one point per batch, each batch's own loss.
        assert_eq!(points.len(), 12);
        assert_eq!(points[1].epoch, 0.5);
        assert_eq!(points[1].loss, 0.5);
        let ends: Vec<&FromWorker<Toy>> = out
            .iter()
            .filter(|m| matches!(m, FromWorker::Done { .. }))
            .collect();
        assert_eq!(
            ends,
            vec![&FromWorker::Done {
                run_id: 7,
                outcome: RunOutcome::Finished,
                report: vec![1]
            }]
        );
        assert!(matches!(out.last(), Some(FromWorker::Done { .. })));
        // The finished model still answers, and says it is no longer training.
        assert_eq!(
            session.handle(
                ToWorker::Query {
                    request_id: 3,
                    query: 1
                },
                Vec::new(),
                0.0
            ),
            vec![FromWorker::Answer {
                request_id: 3,
                run_id: 7,
                while_training: false,
                answer: 13,
                ms: 0.0,
            }]
        );
    }

    #[test]
    fn progress_is_throttled_between_epochs() {
        let mut session = loaded();
        let _ = start(&mut session, 1, 50);
        // A clock that moves 10 ms per read: a 30 ms slice is a few steps, and a progress
        // message only once 100 ms have passed since the last.
        let mut now = 0.0;
        let mut clock = move || {
            now += 10.0;
            now
        };
        let mut n_progress_outside_epoch_ends = 0;
        for _ in 0..6 {
            let out = session.work(&mut clock, 30.0);
            let has_epoch = out
                .iter()
                .any(|m| matches!(m, FromWorker::EpochResult { .. }));
            let n = out
                .iter()
                .filter(|m| matches!(m, FromWorker::Progress { .. }))
                .count();
            if !has_epoch {
                n_progress_outside_epoch_ends += n;
            }
        }
        assert!(
            n_progress_outside_epoch_ends <= 3,
            "{n_progress_outside_epoch_ends} progress messages in 6 slices of 30 ms"
        );
    }

    #[test]
    fn cancel_is_for_the_current_run_only_and_queries_answer_while_training() {
        let mut session = loaded();
        let _ = start(&mut session, 2, 5);
        let mut clock = ticking();
        let _ = session.work(&mut clock, 3.0);
        assert!(session.is_busy());
        assert!(matches!(
            session
                .handle(
                    ToWorker::Query {
                        request_id: 9,
                        query: 0
                    },
                    Vec::new(),
                    0.0
                )
                .as_slice(),
            [FromWorker::Answer {
                request_id: 9,
                run_id: 2,
                while_training: true,
                ..
            }]
        ));
        assert_eq!(
            session.handle(
                ToWorker::Query {
                    request_id: 10,
                    query: -1
                },
                Vec::new(),
                0.0
            ),
            vec![FromWorker::QueryError {
                request_id: 10,
                message: "negative".into()
            }]
        );
        assert!(
            session
                .handle(ToWorker::Cancel { run_id: 1 }, Vec::new(), 0.0)
                .is_empty()
        );
        let out = session.handle(ToWorker::Cancel { run_id: 2 }, Vec::new(), 0.0);
        assert!(matches!(
            out.as_slice(),
            [
                FromWorker::Progress { run_id: 2, .. },
                FromWorker::Done {
                    run_id: 2,
                    outcome: RunOutcome::Cancelled,
                    ..
                }
            ]
        ));
        assert!(!session.is_busy());
        assert!(session.work(&mut clock, 10.0).is_empty());
        // A second cancel says nothing more.
        assert!(
            session
                .handle(ToWorker::Cancel { run_id: 2 }, Vec::new(), 0.0)
                .is_empty()
        );
    }

    #[test]
    fn a_new_start_ends_the_current_run_first() {
        let mut session = loaded();
        let _ = start(&mut session, 1, 5);
        let _ = session.work(&mut ticking(), 2.0);
        let out = start(&mut session, 2, 1);
        assert!(matches!(
            out.as_slice(),
            [
                FromWorker::Progress { run_id: 1, .. },
                FromWorker::Done {
                    run_id: 1,
                    outcome: RunOutcome::Cancelled,
                    ..
                },
                FromWorker::Started { run_id: 2, .. }
            ]
        ));
    }

    #[test]
    fn divergence_ends_the_run_with_its_sentence() {
        let mut session = loaded();
        let _ = start(&mut session, 4, 0);
        let out = run_to_end(&mut session);
        assert!(matches!(
            out.last(),
            Some(FromWorker::Done {
                run_id: 4,
                outcome: RunOutcome::Diverged { message },
                ..
            }) if message == "the loss was not a finite number"
        ));
    }

    #[test]
    fn bad_data_and_bad_settings_are_sentences_and_the_old_data_stays() {
        let mut session = WorkerSession::<Toy>::new();
        assert!(matches!(
            start(&mut session, 1, 1).as_slice(),
            [FromWorker::Error { run_id: Some(1), message }] if message == "The data is not loaded yet."
        ));
        assert_eq!(
            session.handle(
                ToWorker::Query {
                    request_id: 1,
                    query: 0
                },
                Vec::new(),
                0.0
            ),
            vec![FromWorker::QueryError {
                request_id: 1,
                message: "nothing to ask yet".into()
            }]
        );
        let mut session = loaded();
        assert_eq!(
            session.handle(
                ToWorker::LoadData {
                    source: "mine".into()
                },
                vec![vec![1], vec![]],
                0.0
            ),
            vec![FromWorker::DataRejected {
                file: Some(1),
                message: "mine: file 1 is empty".into()
            }]
        );
        assert!(matches!(
            start(&mut session, 1, 51).as_slice(),
            [FromWorker::Error { message, .. }] if message == "The run cannot start: too many epochs."
        ));
        // Data cannot change under a run.
        let _ = start(&mut session, 2, 2);
        assert!(matches!(
            session
                .handle(
                    ToWorker::LoadData { source: "x".into() },
                    vec![vec![1]],
                    0.0
                )
                .as_slice(),
            [FromWorker::DataRejected { file: None, .. }]
        ));
        let out = run_to_end(&mut session);
        assert!(out.iter().any(|m| matches!(
            m,
            FromWorker::Progress { progress, .. } if progress.n_samples_done == 80
        )));
    }
}
