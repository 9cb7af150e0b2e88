//! What a lab's page knows, as plain data, and how each message from its worker changes it:
//! a pure reducer ([`LabModel::on_message`]) with native tests. The page keeps one
//! [`LabModel`] in a signal, calls its actions, and carries out the [`Effect`]s they return
//! (send a message, show settings in the form and the address).

use super::protocol::{
    CurvePoint, EpochRow, FromWorker, LabTask, RunOutcome, RunProgress, RunStarted, ToWorker,
};

/// The dataset in use.
#[derive(Clone, Debug, PartialEq)]
pub enum DataState<I> {
    /// The bundled files are being fetched and parsed.
    Loading,
    /// A dataset is in use.
    Ready(I),
    /// The bundled files could not be loaded.
    Failed(String),
}

/// Where the current run stands.
#[derive(Clone, Debug, PartialEq)]
pub enum RunPhase {
    Starting,
    Training,
    Ended(RunOutcome),
    Failed(String),
}

/// The current run's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveRun<C> {
    pub run_id: u32,
    pub config: C,
    pub phase: RunPhase,
    pub n_samples_done: usize,
    pub n_samples_total: usize,
    pub train_ms: f64,
    pub eval_ms: f64,
    pub n_params: usize,
}

impl<C> LiveRun<C> {
    pub fn is_active(&self) -> bool {
        matches!(self.phase, RunPhase::Starting | RunPhase::Training)
    }
}

/// One run as the page recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord<C> {
    pub run_id: u32,
    pub config: C,
    /// "bundled 8000/2000" or the learner's files.
    pub data: String,
    pub rows: Vec<EpochRow>,
    /// `None` while it runs.
    pub outcome: Option<RunOutcome>,
}

impl<C> RunRecord<C> {
    /// The last epoch's test accuracy.
    pub fn final_accuracy(&self) -> Option<f32> {
        self.rows.last().map(|r| r.test_accuracy)
    }

    /// A word for the outcome.
    pub fn outcome_word(&self) -> &'static str {
        match &self.outcome {
            None => "running",
            Some(RunOutcome::Finished) => "finished",
            Some(RunOutcome::Cancelled) => "cancelled",
            Some(RunOutcome::Diverged { .. }) => "diverged",
            Some(RunOutcome::Failed { .. }) => "failed",
        }
    }
}

/// An answer from the model, with which run gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered<A> {
    pub answer: A,
    pub run_id: u32,
    pub while_training: bool,
    /// Milliseconds the worker spent on it.
    pub ms: f64,
}

/// What the page must do after an action or a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect<T: LabTask> {
    /// Send this to the worker.
    Send(ToWorker<T>),
    /// Put these settings in the form and the address bar (a queued run is starting).
    ShowSettings(T::Config),
    /// Offer this file as a download (the model's weights).
    Download { file_name: String, bytes: Vec<u8> },
}

/// What became of the last weights saved or loaded: a sentence, and whether it went well.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightsNote {
    pub ok: bool,
    pub sentence: String,
}

/// A lab page's state.
#[derive(Clone, Debug, PartialEq)]
pub struct LabModel<T: LabTask> {
    pub data: DataState<T::DataInfo>,
    /// Files are on their way to the worker.
    pub uploading: bool,
    /// Why the last files offered were refused (the data in use stayed).
    pub rejection: Option<(Option<T::File>, String)>,
    pub current: Option<LiveRun<T::Config>>,
    pub points: Vec<CurvePoint>,
    pub epochs: Vec<EpochRow>,
    /// The last run's report (its misclassified items).
    pub report: T::Report,
    pub records: Vec<RunRecord<T::Config>>,
    /// Runs waiting for the current one to finish (a sweep).
    pub queue: Vec<T::Config>,
    pub answer: Option<Answered<T::Answer>>,
    pub answer_error: Option<String>,
    pub worker_error: Option<String>,
    next_run_id: u32,
    next_request_id: u32,
    /// The latest query, asked again when a run ends (so it is answered by the final model).
    pending_query: Option<T::Query>,
    /// The last weights saved or loaded.
    pub weights_note: Option<WeightsNote>,
    /// The weights file queries are answered with, when one was loaded after the last run.
    pub loaded_weights: Option<String>,
}

impl<T: LabTask> Default for LabModel<T> {
    fn default() -> Self {
        Self {
            data: DataState::Loading,
            uploading: false,
            rejection: None,
            current: None,
            points: Vec::new(),
            epochs: Vec::new(),
            report: T::Report::default(),
            records: Vec::new(),
            queue: Vec::new(),
            answer: None,
            answer_error: None,
            worker_error: None,
            next_run_id: 1,
            next_request_id: 1,
            pending_query: None,
            weights_note: None,
            loaded_weights: None,
        }
    }
}

impl<T: LabTask> LabModel<T> {
    /// Whether a run is starting or training.
    pub fn is_running(&self) -> bool {
        self.current.as_ref().is_some_and(LiveRun::is_active)
    }

    fn current_run_id(&self) -> Option<u32> {
        self.current.as_ref().map(|r| r.run_id)
    }

    fn record_mut(&mut self, run_id: u32) -> Option<&mut RunRecord<T::Config>> {
        self.records.iter_mut().find(|r| r.run_id == run_id)
    }

    /// Starts `config` as a new run (after any current one: the worker ends it first).
    pub fn start(&mut self, config: T::Config) -> Vec<Effect<T>> {
        let run_id = self.next_run_id;
        self.next_run_id += 1;
        self.points.clear();
        self.epochs.clear();
        self.report = T::Report::default();
        self.worker_error = None;
        self.loaded_weights = None;
        self.current = Some(LiveRun {
            run_id,
            config: config.clone(),
            phase: RunPhase::Starting,
            n_samples_done: 0,
            n_samples_total: 0,
            train_ms: 0.0,
            eval_ms: 0.0,
            n_params: 0,
        });
        let data = match &self.data {
            DataState::Ready(info) => T::describe_data(info),
            DataState::Loading | DataState::Failed(_) => "none".into(),
        };
        self.records.push(RunRecord {
            run_id,
            config: config.clone(),
            data,
            rows: Vec::new(),
            outcome: None,
        });
        vec![Effect::Send(ToWorker::Start { run_id, config })]
    }

    /// Runs `runs` one after the other (a sweep): the first now, the rest as each ends.
    /// Nothing happens while a run is active or when `runs` is empty.
    pub fn start_queue(&mut self, mut runs: Vec<T::Config>) -> Vec<Effect<T>> {
        if self.is_running() || runs.is_empty() {
            return Vec::new();
        }
        let first = runs.remove(0);
        self.queue = runs;
        let mut effects = vec![Effect::ShowSettings(first.clone())];
        effects.extend(self.start(first));
        effects
    }

    /// Cancels the current run and any queued runs.
    pub fn cancel(&mut self) -> Vec<Effect<T>> {
        self.queue.clear();
        match self.current.as_ref().filter(|r| r.is_active()) {
            Some(run) => vec![Effect::Send(ToWorker::Cancel { run_id: run.run_id })],
            None => Vec::new(),
        }
    }

    /// Asks the model `query` (only the latest query is asked again when a run ends).
    pub fn query(&mut self, query: T::Query) -> Vec<Effect<T>> {
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        self.pending_query = Some(query.clone());
        vec![Effect::Send(ToWorker::Query { request_id, query })]
    }

    /// Asks for the current model's weights as a file.
    pub fn export_weights(&mut self) -> Vec<Effect<T>> {
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        self.weights_note = None;
        vec![Effect::Send(ToWorker::ExportWeights { request_id })]
    }

    /// The message that loads the weights file `name` (its bytes go beside it).
    pub fn import_weights(&mut self, name: String) -> ToWorker<T> {
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        self.weights_note = Some(WeightsNote {
            ok: true,
            sentence: format!("Loading {name}…"),
        });
        ToWorker::ImportWeights { request_id, name }
    }

    /// Forgets the question and its answer.
    pub fn clear_answer(&mut self) {
        self.pending_query = None;
        self.answer = None;
        self.answer_error = None;
    }

    /// The worker could not start or stopped: the active run fails with `sentence`.
    pub fn on_worker_failure(&mut self, sentence: String) {
        if let Some(run) = self.current.as_mut().filter(|r| r.is_active()) {
            run.phase = RunPhase::Failed(sentence.clone());
        }
        self.queue.clear();
        self.worker_error = Some(sentence);
    }

    /// Takes in one message from the worker.
    pub fn on_message(&mut self, message: FromWorker<T>) -> Vec<Effect<T>> {
        let current = self.current_run_id();
        match message {
            FromWorker::Ready => {}
            FromWorker::DataLoaded { info } => {
                self.uploading = false;
                self.rejection = None;
                self.data = DataState::Ready(info);
            }
            FromWorker::DataRejected { file, message } => {
                self.uploading = false;
                if matches!(self.data, DataState::Loading) {
                    self.data =
                        DataState::Failed(format!("The bundled data could not be read: {message}"));
                } else {
                    self.rejection = Some((file, message));
                }
            }
            FromWorker::Started {
                run_id,
                run:
                    RunStarted {
                        n_samples_total,
                        n_params,
                        ..
                    },
            } if Some(run_id) == current => {
                if let Some(c) = self.current.as_mut() {
                    c.phase = RunPhase::Training;
                    c.n_samples_total = n_samples_total;
                    c.n_params = n_params;
                }
            }
            FromWorker::Progress {
                run_id,
                progress:
                    RunProgress {
                        n_samples_done,
                        n_samples_total,
                        train_ms,
                        eval_ms,
                        points,
                    },
            } if Some(run_id) == current => {
                if let Some(c) = self.current.as_mut() {
                    c.n_samples_done = n_samples_done;
                    c.n_samples_total = n_samples_total;
                    c.train_ms = train_ms;
                    c.eval_ms = eval_ms;
                }
                self.points.extend(points);
            }
            FromWorker::EpochResult { run_id, row } if Some(run_id) == current => {
                if let Some(r) = self.record_mut(run_id) {
                    r.rows.push(row.clone());
                }
                self.epochs.push(row);
            }
            FromWorker::Report { run_id, report } if Some(run_id) == current => {
                self.report = report;
            }
            FromWorker::Done {
                run_id,
                outcome,
                report,
            } if Some(run_id) == current => {
                self.report = report;
                if let Some(r) = self.record_mut(run_id) {
                    r.outcome = Some(outcome.clone());
                }
                let cancelled = outcome == RunOutcome::Cancelled;
                if let Some(c) = self.current.as_mut() {
                    c.phase = RunPhase::Ended(outcome);
                }
                let mut effects = Vec::new();
                // The latest question is asked again of the finished model.
                if let Some(query) = self.pending_query.take() {
                    effects.extend(self.query(query));
                }
                if cancelled {
                    self.queue.clear();
                } else if !self.queue.is_empty() {
                    let next = self.queue.remove(0);
                    effects.push(Effect::ShowSettings(next.clone()));
                    effects.extend(self.start(next));
                }
                return effects;
            }
            FromWorker::Weights {
                file_name, bytes, ..
            } => {
                self.weights_note = Some(WeightsNote {
                    ok: true,
                    sentence: format!(
                        "Saved {file_name} ({:.1} MB, safetensors).",
                        bytes.len() as f64 / 1e6
                    ),
                });
                return vec![Effect::Download { file_name, bytes }];
            }
            FromWorker::WeightsLoaded { name, summary, .. } => {
                self.weights_note = Some(WeightsNote {
                    ok: true,
                    sentence: summary,
                });
                self.loaded_weights = Some(name);
                self.answer = None;
                self.answer_error = None;
                // The latest question is asked again of the loaded weights.
                if let Some(query) = self.pending_query.take() {
                    return self.query(query);
                }
            }
            FromWorker::WeightsRefused { message, .. } => {
                self.weights_note = Some(WeightsNote {
                    ok: false,
                    sentence: message,
                });
            }
            FromWorker::Error { run_id, message } => {
                if let Some(id) = run_id.filter(|&id| Some(id) == current) {
                    self.queue.clear();
                    if let Some(c) = self.current.as_mut() {
                        c.phase = RunPhase::Failed(message.clone());
                    }
                    if let Some(r) = self.record_mut(id) {
                        r.outcome = Some(RunOutcome::Failed {
                            message: message.clone(),
                        });
                    }
                }
                self.worker_error = Some(message);
            }
            FromWorker::Answer {
                answer,
                run_id,
                while_training,
                ms,
                ..
            } => {
                self.answer_error = None;
                self.answer = Some(Answered {
                    answer,
                    run_id,
                    while_training,
                    ms,
                });
            }
            FromWorker::QueryError { message, .. } => {
                self.answer = None;
                self.answer_error = Some(message);
            }
            // A late message from a run that is no longer the current one.
            FromWorker::Started { .. }
            | FromWorker::Progress { .. }
            | FromWorker::EpochResult { .. }
            | FromWorker::Report { .. }
            | FromWorker::Done { .. } => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::protocol::tests::{Toy, ToyConfig};

    fn config(epochs: usize) -> ToyConfig {
        ToyConfig { epochs }
    }

    use crate::training::protocol::tests::row;

    fn ready() -> LabModel<Toy> {
        let mut model = LabModel::<Toy>::default();
        assert!(
            model
                .on_message(FromWorker::DataLoaded { info: 80 })
                .is_empty()
        );
        model
    }

    fn done(run_id: u32, outcome: RunOutcome) -> FromWorker<Toy> {
        FromWorker::Done {
            run_id,
            outcome,
            report: vec![run_id],
        }
    }

    #[test]
    fn a_run_goes_from_starting_to_its_end_and_is_recorded() {
        let mut model = ready();
        assert_eq!(
            model.start(config(2)),
            vec![Effect::Send(ToWorker::Start {
                run_id: 1,
                config: config(2)
            })]
        );
        assert!(model.is_running());
        assert_eq!(model.records[0].data, "80 items");
        let _ = model.on_message(FromWorker::Started {
            run_id: 1,
            run: RunStarted {
                n_batches_per_epoch: 2,
                n_samples_total: 160,
                n_params: 4,
            },
        });
        let point = CurvePoint {
            epoch: 0.5,
            loss: 1.0,
            accuracy: 0.5,
        };
        let _ = model.on_message(FromWorker::Progress {
            run_id: 1,
            progress: RunProgress {
                n_samples_done: 40,
                n_samples_total: 160,
                train_ms: 3.0,
                eval_ms: 0.0,
                points: vec![point],
            },
        });
        let _ = model.on_message(FromWorker::EpochResult {
            run_id: 1,
            row: row(1, 0.7),
        });
        let _ = model.on_message(FromWorker::Report {
            run_id: 1,
            report: vec![9],
        });
        assert_eq!(model.report, vec![9], "an interim report shows at once");
        let run = model.current.clone().unwrap();
        assert_eq!(
            (run.phase, run.n_samples_done, run.n_params),
            (RunPhase::Training, 40, 4)
        );
        assert_eq!(model.points, vec![point]);
        assert!(model.on_message(done(1, RunOutcome::Finished)).is_empty());
        assert!(!model.is_running());
        assert_eq!(model.report, vec![1]);
        assert_eq!(model.records[0].final_accuracy(), Some(0.7));
        assert_eq!(model.records[0].outcome_word(), "finished");
    }

    #[test]
    fn late_messages_from_an_earlier_run_change_nothing() {
        let mut model = ready();
        let _ = model.start(config(1));
        let _ = model.start(config(3));
        let before = model.clone();
        for late in [
            FromWorker::Started {
                run_id: 1,
                run: RunStarted {
                    n_batches_per_epoch: 1,
                    n_samples_total: 1,
                    n_params: 1,
                },
            },
            FromWorker::Report {
                run_id: 1,
                report: vec![5],
            },
            FromWorker::EpochResult {
                run_id: 1,
                row: row(1, 0.9),
            },
            done(1, RunOutcome::Cancelled),
        ] {
            assert!(model.on_message(late).is_empty());
        }
        assert_eq!(model, before);
    }

    #[test]
    fn a_queue_runs_one_after_another_and_a_cancel_empties_it() {
        let mut model = ready();
        let effects = model.start_queue(vec![config(1), config(2), config(3)]);
        assert_eq!(effects[0], Effect::ShowSettings(config(1)));
        assert_eq!(model.queue, vec![config(2), config(3)]);
        // Busy: a second sweep is refused.
        assert!(model.start_queue(vec![config(9)]).is_empty());
        let effects = model.on_message(done(1, RunOutcome::Finished));
        assert_eq!(
            effects,
            vec![
                Effect::ShowSettings(config(2)),
                Effect::Send(ToWorker::Start {
                    run_id: 2,
                    config: config(2)
                })
            ]
        );
        assert_eq!(
            model.cancel(),
            vec![Effect::Send(ToWorker::Cancel { run_id: 2 })]
        );
        assert!(model.queue.is_empty());
        assert!(model.on_message(done(2, RunOutcome::Cancelled)).is_empty());
        assert_eq!(model.records.len(), 2);
        assert!(model.cancel().is_empty(), "nothing to cancel");
    }

    #[test]
    fn the_latest_question_is_asked_again_of_the_finished_model() {
        let mut model = ready();
        let _ = model.start(config(1));
        let _ = model.query(5);
        let _ = model.on_message(FromWorker::Answer {
            request_id: 1,
            run_id: 1,
            while_training: true,
            answer: 6,
            ms: 0.0,
        });
        assert!(model.answer.as_ref().unwrap().while_training);
        let effects = model.on_message(done(1, RunOutcome::Finished));
        assert_eq!(
            effects,
            vec![Effect::Send(ToWorker::Query {
                request_id: 2,
                query: 5
            })]
        );
        let _ = model.on_message(FromWorker::QueryError {
            request_id: 2,
            message: "no".into(),
        });
        assert_eq!(
            (model.answer.clone(), model.answer_error.clone()),
            (None, Some("no".into()))
        );
        model.clear_answer();
        let _ = model.start(config(1));
        assert!(model.on_message(done(2, RunOutcome::Finished)).is_empty());
    }

    #[test]
    fn errors_and_refused_files_keep_what_was_in_use() {
        let mut model = LabModel::<Toy>::default();
        let _ = model.on_message(FromWorker::DataRejected {
            file: None,
            message: "gone".into(),
        });
        assert_eq!(
            model.data,
            DataState::Failed("The bundled data could not be read: gone".into())
        );
        let mut model = ready();
        model.uploading = true;
        let _ = model.on_message(FromWorker::DataRejected {
            file: Some(3),
            message: "bad line".into(),
        });
        assert_eq!(model.data, DataState::Ready(80));
        assert_eq!(model.rejection, Some((Some(3), "bad line".into())));
        assert!(!model.uploading);
        let _ = model.start_queue(vec![config(1), config(2)]);
        let _ = model.on_message(FromWorker::Error {
            run_id: Some(1),
            message: "cannot".into(),
        });
        assert_eq!(
            model.current.as_ref().map(|c| c.phase.clone()),
            Some(RunPhase::Failed("cannot".into()))
        );
        assert!(model.queue.is_empty());
        assert_eq!(model.worker_error.as_deref(), Some("cannot"));
        let _ = model.start(config(1));
        model.on_worker_failure("The worker stopped.".into());
        assert_eq!(
            model.current.as_ref().map(|c| c.phase.clone()),
            Some(RunPhase::Failed("The worker stopped.".into()))
        );
    }

    #[test]
    fn saved_weights_become_a_download_and_loaded_ones_answer_the_last_question_again() {
        let mut model = ready();
        let effects = model.export_weights();
        assert!(matches!(
            effects.as_slice(),
            [Effect::Send(ToWorker::ExportWeights { .. })]
        ));
        let effects = model.on_message(FromWorker::Weights {
            request_id: 1,
            run_id: 1,
            file_name: "w.safetensors".into(),
            bytes: vec![0; 2_500_000],
        });
        assert!(matches!(
            effects.as_slice(),
            [Effect::Download { file_name, bytes }] if file_name == "w.safetensors" && bytes.len() == 2_500_000
        ));
        assert_eq!(
            model.weights_note,
            Some(WeightsNote {
                ok: true,
                sentence: "Saved w.safetensors (2.5 MB, safetensors).".into()
            })
        );
        let _ = model.query(5);
        let message = model.import_weights("mine.safetensors".into());
        assert!(
            matches!(message, ToWorker::ImportWeights { ref name, .. } if name == "mine.safetensors")
        );
        let effects = model.on_message(FromWorker::WeightsLoaded {
            request_id: 3,
            name: "mine.safetensors".into(),
            summary: "Loaded.".into(),
        });
        assert_eq!(model.loaded_weights.as_deref(), Some("mine.safetensors"));
        assert!(matches!(
            effects.as_slice(),
            [Effect::Send(ToWorker::Query { query: 5, .. })]
        ));
        let _ = model.on_message(FromWorker::WeightsRefused {
            request_id: 4,
            message: "Not a weights file.".into(),
        });
        assert_eq!(
            model.weights_note,
            Some(WeightsNote {
                ok: false,
                sentence: "Not a weights file.".into()
            })
        );
        // A new run's weights replace the loaded ones.
        let _ = model.start(config(1));
        assert_eq!(model.loaded_weights, None);
    }
}
