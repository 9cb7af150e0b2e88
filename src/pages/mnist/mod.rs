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
use crate::training::mnist::config::{LabForm, RunConfig, graphcore_sweep};
use crate::training::mnist::results::RunRecord;
use crate::training::mnist::task::{
    DataFile, DataInfo, DataSource, Digit, DigitPrediction, Mistakes, Mnist, ToWorker,
};
use crate::training::protocol::{CurvePoint, EpochRow};
use crate::training::state::{Answered, DataState, Effect, LabModel, LiveRun};

use crate::components::lab::{
    ConfusionPanel, CurvesPanel, EpochTable, LabView, RunPanel, RunsPanel,
};
use crate::training::mnist::results::to_csv;
use panels::{
    DataPanel, DoubleSoftmaxNote, DrawPanel, MisclassifiedPanel, SettingsPanel, SweepPanel,
};

/// The digit classes, for the shared panels.
const DIGITS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// What the page knows: the shared lab reducer over the MNIST lab's payloads.
pub type Model = LabModel<Mnist>;

/// Everything the panels read and the actions they trigger. The worker's messages go through
/// the pure reducer ([`LabModel::on_message`]); the panels read memos of its parts, so a
/// progress message re-renders only what it changed.
#[derive(Clone, Copy, Debug)]
pub struct LabState {
    pub form: RwSignal<LabForm>,
    model: RwSignal<Model>,
    pub data: Memo<DataState<DataInfo>>,
    pub uploading: Memo<bool>,
    pub rejection: Memo<Option<(Option<DataFile>, String)>>,
    pub current: Memo<Option<LiveRun<RunConfig>>>,
    pub points: Memo<Vec<CurvePoint>>,
    pub epochs: Memo<Vec<EpochRow>>,
    pub misclassified: Memo<Mistakes>,
    pub records: Memo<Vec<RunRecord>>,
    pub sweep_queue: Memo<Vec<RunConfig>>,
    pub prediction: Memo<Option<Answered<DigitPrediction>>>,
    pub predict_error: Memo<Option<String>>,
    pub worker_error: Memo<Option<String>>,
    client: StoredValue<Option<WorkerClient<Mnist>>, LocalStorage>,
}

impl LabState {
    fn new(form: LabForm) -> Self {
        let model = RwSignal::new(Model::default());
        Self {
            form: RwSignal::new(form),
            model,
            data: Memo::new(move |_| model.with(|m| m.data.clone())),
            uploading: Memo::new(move |_| model.with(|m| m.uploading)),
            rejection: Memo::new(move |_| model.with(|m| m.rejection.clone())),
            current: Memo::new(move |_| model.with(|m| m.current.clone())),
            points: Memo::new(move |_| model.with(|m| m.points.clone())),
            epochs: Memo::new(move |_| model.with(|m| m.epochs.clone())),
            misclassified: Memo::new(move |_| model.with(|m| m.report.clone())),
            records: Memo::new(move |_| model.with(|m| m.records.clone())),
            sweep_queue: Memo::new(move |_| model.with(|m| m.queue.clone())),
            prediction: Memo::new(move |_| model.with(|m| m.answer.clone())),
            predict_error: Memo::new(move |_| model.with(|m| m.answer_error.clone())),
            worker_error: Memo::new(move |_| model.with(|m| m.worker_error.clone())),
            client: StoredValue::new_local(None),
        }
    }

    /// What the shared lab panels read.
    pub fn lab_view(&self) -> LabView<RunConfig> {
        let queue = self.sweep_queue;
        LabView {
            prefix: "mnist",
            current: self.current,
            points: self.points,
            epochs: self.epochs,
            records: self.records,
            queued: Signal::derive(move || queue.with(Vec::len)),
            worker_error: self.worker_error,
        }
    }

    /// Whether a run is starting or training.
    pub fn is_running(&self) -> bool {
        self.current
            .with(|c| c.as_ref().is_some_and(LiveRun::is_active))
    }

    /// Changes the model and carries out what it asks. Safe after the page is gone.
    fn act(&self, f: impl FnOnce(&mut Model) -> Vec<Effect<Mnist>>) {
        let Some(effects) = self.model.try_update(f) else {
            return;
        };
        for effect in effects {
            match effect {
                Effect::Send(message) => self.send(&message),
                Effect::ShowSettings(config) => self.set_up(&config),
            }
        }
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

    /// Files are on their way (`true`), or could not be read here (`false`).
    pub fn set_uploading(&self, uploading: bool) {
        let _ = self.model.try_update(|m| m.uploading = uploading);
    }

    /// Shows why files were refused before they reached the worker (`None` clears it).
    pub fn set_rejection(&self, rejection: Option<(Option<DataFile>, String)>) {
        let _ = self.model.try_update(|m| m.rejection = rejection);
    }

    /// The bundled files are being fetched again, or could not be.
    pub fn set_data_state(&self, data: DataState<DataInfo>) {
        let _ = self.model.try_update(|m| m.data = data);
    }

    /// Starts the form's run (if it is valid and nothing runs).
    pub fn start_from_form(&self) {
        if self.is_running() {
            return;
        }
        if let Ok(config) = self.form.with_untracked(LabForm::parse) {
            self.act(|m| {
                m.queue.clear();
                m.start(config)
            });
        }
    }

    /// Queues the four Graphcore sweep runs with the form's epochs and seed.
    pub fn start_sweep(&self) {
        let Ok(base) = self.form.with_untracked(LabForm::parse) else {
            return;
        };
        let runs = graphcore_sweep(base.n_epochs, base.seed);
        self.act(|m| m.start_queue(runs));
    }

    /// Cancels the current run and any queued sweep runs.
    pub fn cancel(&self) {
        self.act(Model::cancel);
    }

    /// Asks the worker to classify a drawn digit (only the latest drawing is kept waiting).
    pub fn predict(&self, pixels: Vec<u8>) {
        self.act(|m| m.query(Digit { pixels }));
    }

    /// Puts `config` in the settings form and in the address bar, as if typed.
    pub fn set_up(&self, config: &RunConfig) {
        let form = config.to_form();
        replace_url(&form.href());
        let _ = self.form.try_set(form);
    }

    pub fn clear_prediction(&self) {
        let _ = self.model.try_update(Model::clear_answer);
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
                    state.set_data_state(DataState::Failed(format!(
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
        move |message| state.act(|m| m.on_message(message)),
        move |failure| {
            let _ = state.model.try_update(|m| m.on_worker_failure(failure));
        },
    ) {
        Ok(client) => {
            state.client.set_value(Some(client));
            load_bundled(state);
        }
        Err(message) => state.model.update(|m| {
            m.data = DataState::Failed(message.clone());
            m.on_worker_failure(message);
        }),
    }
    let client = state.client;
    on_cleanup(move || {
        // Dropping the client terminates the worker (and any run in it).
        let _ = client.try_set_value(None);
    });

    let lab = state.lab_view();
    view! {
        <div class="lab-page" data-testid="mnist-lab">
            <div class="lab-layout">
                <div class="lab-layout__side">
                    <SettingsPanel state />
                    <DataPanel state />
                </div>
                <div class="lab-layout__main">
                    <RunPanel lab />
                    <CurvesPanel lab />
                    <EpochTable
                        lab
                        class_labels=DIGITS
                        items="digits"
                        collapse_context=", as the IPU's run at lr 0.5 did"
                    />
                    <div class="lab-pair">
                        <ConfusionPanel lab class_labels=DIGITS items="digits" class_word="digit" />
                        <MisclassifiedPanel state />
                    </div>
                    <DrawPanel state />
                    <SweepPanel state />
                    <RunsPanel
                        lab
                        to_csv=to_csv
                        file_name="mnist-lab-runs.csv"
                        on_use=Callback::new(move |config| state.set_up(&config))
                    />
                </div>
            </div>
            <DoubleSoftmaxNote />
        </div>
    }
}
