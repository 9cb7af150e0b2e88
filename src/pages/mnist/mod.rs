//! The MNIST lab (`#/labs/mnist?model=mlp&batch=32…`): training in a Web Worker, with the
//! settings in the URL, live curves, per-epoch test accuracy, a confusion matrix, the
//! misclassified digits, a drawing pad classified by the trained model, the Graphcore lr
//! sweep beside the IPU's figures, and a CSV export.
//!
//! The page owns no model: the worker (`training::session`) holds the dataset and the run and
//! answers predict requests, so the page only keeps what it shows (signals of plain data).

mod browser;
mod digit_pad;
mod panels;

use leptos::prelude::*;

use crate::route::replace_url;
use crate::training::client::WorkerClient;
use crate::training::config::{LabForm, RunConfig, graphcore_sweep};
use crate::training::protocol::{
    CurvePoint, DataFile, DataSource, EpochRow, FromWorker, Misclassified, RunOutcome, ToWorker,
};
use crate::training::results::RunRecord;

use panels::{
    ConfusionPanel, CurvesPanel, DataPanel, DoubleSoftmaxNote, DrawPanel, EpochTable,
    MisclassifiedPanel, RunPanel, RunsPanel, SettingsPanel, SweepPanel,
};

/// The dataset in use, as the page knows it.
#[derive(Clone, Debug, PartialEq)]
pub enum DataState {
    /// The bundled files are being fetched and parsed.
    Loading,
    /// A dataset is in use.
    Ready {
        source: DataSource,
        n_train: usize,
        n_test: usize,
    },
    /// The bundled files could not be loaded.
    Failed(String),
}

impl DataState {
    /// "bundled 8000/2000" for the records and the CSV.
    pub fn describe(&self) -> String {
        match self {
            Self::Ready {
                source: DataSource::Bundled,
                n_train,
                n_test,
            } => format!("bundled {n_train}/{n_test}"),
            Self::Ready {
                source: DataSource::Uploaded { .. },
                n_train,
                n_test,
            } => format!("your files {n_train}/{n_test}"),
            Self::Loading | Self::Failed(_) => "none".into(),
        }
    }
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
pub struct LiveRun {
    pub run_id: u32,
    pub config: RunConfig,
    pub phase: RunPhase,
    pub n_samples_done: usize,
    pub n_samples_total: usize,
    pub train_ms: f64,
    pub eval_ms: f64,
    pub n_params: usize,
}

impl LiveRun {
    pub fn is_active(&self) -> bool {
        matches!(self.phase, RunPhase::Starting | RunPhase::Training)
    }
}

/// A prediction for the drawing pad.
#[derive(Clone, Debug, PartialEq)]
pub struct PadPrediction {
    pub class: usize,
    pub probabilities: Vec<f32>,
    pub run_id: u32,
    pub while_training: bool,
}

/// Everything the panels read and the actions they trigger.
#[derive(Clone, Copy, Debug)]
pub struct LabState {
    pub form: RwSignal<LabForm>,
    pub data: RwSignal<DataState>,
    pub upload_errors: RwSignal<Vec<(Option<DataFile>, String)>>,
    pub upload_note: RwSignal<Option<String>>,
    pub uploading: RwSignal<bool>,
    pub current: RwSignal<Option<LiveRun>>,
    pub points: RwSignal<Vec<CurvePoint>>,
    pub epochs: RwSignal<Vec<EpochRow>>,
    pub misclassified: RwSignal<(Vec<Misclassified>, usize)>,
    pub records: RwSignal<Vec<RunRecord>>,
    pub sweep_queue: RwSignal<Vec<RunConfig>>,
    pub prediction: RwSignal<Option<PadPrediction>>,
    pub predict_error: RwSignal<Option<String>>,
    pub worker_error: RwSignal<Option<String>>,
    client: StoredValue<Option<WorkerClient>, LocalStorage>,
    next_run_id: StoredValue<u32>,
    next_request_id: StoredValue<u32>,
    pending_digit: StoredValue<Option<Vec<u8>>>,
}

impl LabState {
    fn new(form: LabForm) -> Self {
        Self {
            form: RwSignal::new(form),
            data: RwSignal::new(DataState::Loading),
            upload_errors: RwSignal::new(Vec::new()),
            upload_note: RwSignal::new(None),
            uploading: RwSignal::new(false),
            current: RwSignal::new(None),
            points: RwSignal::new(Vec::new()),
            epochs: RwSignal::new(Vec::new()),
            misclassified: RwSignal::new((Vec::new(), 0)),
            records: RwSignal::new(Vec::new()),
            sweep_queue: RwSignal::new(Vec::new()),
            prediction: RwSignal::new(None),
            predict_error: RwSignal::new(None),
            worker_error: RwSignal::new(None),
            client: StoredValue::new_local(None),
            next_run_id: StoredValue::new(1),
            next_request_id: StoredValue::new(1),
            pending_digit: StoredValue::new(None),
        }
    }

    /// Whether a run is starting or training.
    pub fn is_running(&self) -> bool {
        self.current
            .with(|c| c.as_ref().is_some_and(LiveRun::is_active))
    }

    fn send(&self, message: &ToWorker) {
        // `try_`: after the page is left (its values disposed) there is no worker to tell.
        let _ = self.client.try_with_value(|c| {
            if let Some(c) = c {
                c.send(message);
            }
        });
    }

    /// Sends the four files (transferred) for the worker to parse. Safe to call after the page
    /// is gone (from a fetch that finished late): it then does nothing.
    pub fn send_data(&self, source: DataSource, buffers: Vec<js_sys::ArrayBuffer>) {
        let _ = self.client.try_with_value(|c| {
            if let Some(c) = c {
                c.send_with_buffers(&ToWorker::LoadData { source }, buffers);
            }
        });
    }

    /// Starts `config` as a new run.
    pub fn start(&self, config: RunConfig) {
        let run_id = self.next_run_id.get_value();
        self.next_run_id.set_value(run_id + 1);
        self.points.set(Vec::new());
        self.epochs.set(Vec::new());
        self.misclassified.set((Vec::new(), 0));
        self.worker_error.set(None);
        self.current.set(Some(LiveRun {
            run_id,
            config,
            phase: RunPhase::Starting,
            n_samples_done: 0,
            n_samples_total: 0,
            train_ms: 0.0,
            eval_ms: 0.0,
            n_params: 0,
        }));
        let data = self.data.with_untracked(DataState::describe);
        self.records.update(|r| {
            r.push(RunRecord {
                run_id,
                config,
                data,
                rows: Vec::new(),
                outcome: None,
            });
        });
        self.send(&ToWorker::Start { run_id, config });
    }

    /// Starts the form's run (if it is valid and nothing runs).
    pub fn start_from_form(&self) {
        if self.is_running() {
            return;
        }
        if let Ok(config) = self.form.with_untracked(LabForm::parse) {
            self.sweep_queue.set(Vec::new());
            self.start(config);
        }
    }

    /// Queues the four Graphcore sweep runs with the form's epochs and seed.
    pub fn start_sweep(&self) {
        if self.is_running() {
            return;
        }
        let Ok(base) = self.form.with_untracked(LabForm::parse) else {
            return;
        };
        let mut runs = graphcore_sweep(base.n_epochs, base.seed);
        if runs.is_empty() {
            return;
        }
        let first = runs.remove(0);
        self.set_up(&first);
        self.sweep_queue.set(runs);
        self.start(first);
    }

    /// Cancels the current run and any queued sweep runs.
    pub fn cancel(&self) {
        self.sweep_queue.set(Vec::new());
        if let Some(run) = self.current.get_untracked().filter(LiveRun::is_active) {
            self.send(&ToWorker::Cancel { run_id: run.run_id });
        }
    }

    /// Asks the worker to classify a drawn digit (only the latest drawing is kept waiting).
    pub fn predict(&self, pixels: Vec<u8>) {
        let request_id = self.next_request_id.get_value();
        self.next_request_id.set_value(request_id + 1);
        self.pending_digit.set_value(Some(pixels.clone()));
        self.send(&ToWorker::Predict { request_id, pixels });
    }

    /// Puts `config` in the settings form and in the address bar, as if typed.
    pub fn set_up(&self, config: &RunConfig) {
        let form = config.to_form();
        replace_url(&form.href());
        self.form.set(form);
    }

    pub fn clear_prediction(&self) {
        self.pending_digit.set_value(None);
        self.prediction.set(None);
        self.predict_error.set(None);
    }

    fn current_run_id(&self) -> Option<u32> {
        self.current
            .with_untracked(|c| c.as_ref().map(|r| r.run_id))
    }

    fn update_record(&self, run_id: u32, f: impl FnOnce(&mut RunRecord)) {
        self.records.update(|records| {
            if let Some(r) = records.iter_mut().find(|r| r.run_id == run_id) {
                f(r);
            }
        });
    }

    fn on_message(&self, message: FromWorker) {
        match message {
            FromWorker::Ready => {}
            FromWorker::DataLoaded {
                source,
                n_train,
                n_test,
            } => {
                self.uploading.set(false);
                self.upload_errors.set(Vec::new());
                if let DataSource::Uploaded { names } = &source {
                    self.upload_note.set(Some(format!(
                        "Using your files: {n_train} training and {n_test} test digits ({}).",
                        names.join(", ")
                    )));
                }
                self.data.set(DataState::Ready {
                    source,
                    n_train,
                    n_test,
                });
            }
            FromWorker::DataRejected { file, message } => {
                self.uploading.set(false);
                if self
                    .data
                    .with_untracked(|d| matches!(d, DataState::Loading))
                {
                    self.data.set(DataState::Failed(format!(
                        "The bundled data could not be read: {message}"
                    )));
                } else {
                    self.upload_errors.set(vec![(file, message)]);
                }
            }
            FromWorker::Started {
                run_id,
                n_samples_total,
                n_params,
                ..
            } if Some(run_id) == self.current_run_id() => {
                self.current.update(|c| {
                    if let Some(c) = c {
                        c.phase = RunPhase::Training;
                        c.n_samples_total = n_samples_total;
                        c.n_params = n_params;
                    }
                });
            }
            FromWorker::Progress {
                run_id,
                n_samples_done,
                n_samples_total,
                train_ms,
                eval_ms,
                points,
            } if Some(run_id) == self.current_run_id() => {
                self.current.update(|c| {
                    if let Some(c) = c {
                        c.n_samples_done = n_samples_done;
                        c.n_samples_total = n_samples_total;
                        c.train_ms = train_ms;
                        c.eval_ms = eval_ms;
                    }
                });
                if !points.is_empty() {
                    self.points.update(|p| p.extend(points));
                }
            }
            FromWorker::EpochResult { run_id, row } if Some(run_id) == self.current_run_id() => {
                self.update_record(run_id, |r| r.rows.push(row.clone()));
                self.epochs.update(|e| e.push(row));
            }
            FromWorker::Done {
                run_id,
                outcome,
                misclassified,
                n_misclassified,
            } if Some(run_id) == self.current_run_id() => {
                self.misclassified.set((misclassified, n_misclassified));
                self.update_record(run_id, |r| r.outcome = Some(outcome.clone()));
                let cancelled = outcome == RunOutcome::Cancelled;
                self.current.update(|c| {
                    if let Some(c) = c {
                        c.phase = RunPhase::Ended(outcome);
                    }
                });
                // The drawing on the pad is asked again of the finished model.
                if let Some(pixels) = self.pending_digit.get_value() {
                    self.predict(pixels);
                }
                let next = if cancelled {
                    None
                } else {
                    let mut queue = self.sweep_queue.get_untracked();
                    let next = (!queue.is_empty()).then(|| queue.remove(0));
                    self.sweep_queue.set(queue);
                    next
                };
                if let Some(config) = next {
                    self.set_up(&config);
                    self.start(config);
                }
            }
            FromWorker::Error { run_id, message } => {
                if run_id.is_some() && run_id == self.current_run_id() {
                    self.sweep_queue.set(Vec::new());
                    self.current.update(|c| {
                        if let Some(c) = c {
                            c.phase = RunPhase::Failed(message.clone());
                        }
                    });
                    if let Some(id) = run_id {
                        self.update_record(id, |r| r.outcome = Some(RunOutcome::Cancelled));
                    }
                }
                self.worker_error.set(Some(message));
            }
            FromWorker::Prediction {
                class,
                probabilities,
                run_id,
                while_training,
                ..
            } => {
                self.predict_error.set(None);
                self.prediction.set(Some(PadPrediction {
                    class,
                    probabilities,
                    run_id,
                    while_training,
                }));
            }
            FromWorker::PredictError { message, .. } => {
                self.prediction.set(None);
                self.predict_error.set(Some(message));
            }
            // A late message from a run that is no longer the current one.
            FromWorker::Started { .. }
            | FromWorker::Progress { .. }
            | FromWorker::EpochResult { .. }
            | FromWorker::Done { .. } => {}
        }
    }
}

/// The links to the lessons this lab belongs to.
pub fn panels_links() -> impl IntoView {
    panels::lesson_links()
}

/// Fetches the bundled files and hands them to the worker.
fn load_bundled(state: LabState) {
    leptos::task::spawn_local(async move {
        let mut buffers = Vec::new();
        for file in DataFile::ALL {
            match browser::fetch_bytes(&format!("public/data/{}", file.bundled_name())).await {
                Ok(b) => buffers.push(b),
                Err(message) => {
                    let _ = state.data.try_set(DataState::Failed(format!(
                        "The bundled data could not be loaded: {message}."
                    )));
                    return;
                }
            }
        }
        state.send_data(DataSource::Bundled, buffers);
    });
}

/// The MNIST lab.
#[component]
pub fn MnistLab(
    /// The URL's query (the settings).
    query: Vec<(String, String)>,
) -> impl IntoView {
    let state = LabState::new(LabForm::from_query(&query));
    match WorkerClient::spawn(
        move |m| state.on_message(m),
        move |failure| {
            state.worker_error.set(Some(failure.clone()));
            state.current.update(|c| {
                if let Some(c) = c.as_mut().filter(|c| c.is_active()) {
                    c.phase = RunPhase::Failed(failure);
                }
            });
        },
    ) {
        Ok(client) => {
            state.client.set_value(Some(client));
            load_bundled(state);
        }
        Err(message) => {
            state.data.set(DataState::Failed(message.clone()));
            state.worker_error.set(Some(message));
        }
    }
    let client = state.client;
    on_cleanup(move || {
        // Dropping the client terminates the worker (and any run in it).
        let _ = client.try_set_value(None);
    });

    view! {
        <div class="mnist-lab" data-testid="mnist-lab">
            <div class="mnist-layout">
                <div class="mnist-layout__side">
                    <SettingsPanel state />
                    <DataPanel state />
                </div>
                <div class="mnist-layout__main">
                    <RunPanel state />
                    <CurvesPanel state />
                    <EpochTable state />
                    <div class="mnist-pair">
                        <ConfusionPanel state />
                        <MisclassifiedPanel state />
                    </div>
                    <DrawPanel state />
                    <SweepPanel state />
                    <RunsPanel state />
                </div>
            </div>
            <DoubleSoftmaxNote />
        </div>
    }
}
