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

use crate::components::lab::LabHandle;
use crate::route::replace_url;
use crate::training::mnist::config::{LabForm, RunConfig, graphcore_sweep};
use crate::training::mnist::results::RunRecord;
use crate::training::mnist::task::{
    DataFile, DataInfo, DataSource, Digit, DigitPrediction, Mistakes, Mnist,
};
use crate::training::state::{Answered, DataState};

use crate::components::lab::{ConfusionPanel, CurvesPanel, EpochTable, RunPanel, RunsPanel};
use crate::training::mnist::results::to_csv;
use panels::{
    DataPanel, DoubleSoftmaxNote, DrawPanel, MisclassifiedPanel, SettingsPanel, SweepPanel,
};

/// The digit classes, for the shared panels.
const DIGITS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Everything the panels read and the actions they trigger: the shared [`LabHandle`] over the
/// MNIST lab's payloads, the settings form, and names for its parts the panels use.
#[derive(Clone, Copy, Debug)]
pub struct LabState {
    pub form: RwSignal<LabForm>,
    pub lab: LabHandle<Mnist>,
    pub data: Memo<DataState<DataInfo>>,
    pub uploading: Memo<bool>,
    pub rejection: Memo<Option<(Option<DataFile>, String)>>,
    pub misclassified: Memo<Mistakes>,
    pub sweep_queue: Memo<Vec<RunConfig>>,
    pub records: Memo<Vec<RunRecord>>,
    pub prediction: Memo<Option<Answered<DigitPrediction>>>,
    pub predict_error: Memo<Option<String>>,
}

impl LabState {
    fn new(form: LabForm) -> Self {
        let form = RwSignal::new(form);
        let lab = LabHandle::<Mnist>::start(Callback::new(move |config: RunConfig| {
            show_settings(form, &config);
        }));
        Self {
            form,
            lab,
            data: lab.data,
            uploading: lab.uploading,
            rejection: lab.rejection,
            misclassified: lab.report,
            sweep_queue: lab.queue,
            records: lab.records,
            prediction: lab.answer,
            predict_error: lab.answer_error,
        }
    }

    /// Whether a run is starting or training.
    pub fn is_running(&self) -> bool {
        self.lab.is_running()
    }

    /// Sends the four files (transferred) for the worker to parse.
    pub fn send_data(&self, source: DataSource, buffers: Vec<js_sys::ArrayBuffer>) {
        self.lab.send_data(source, buffers);
    }

    /// Files are on their way (`true`), or could not be read here (`false`).
    pub fn set_uploading(&self, uploading: bool) {
        self.lab.set_uploading(uploading);
    }

    /// Shows why files were refused before they reached the worker (`None` clears it).
    pub fn set_rejection(&self, rejection: Option<(Option<DataFile>, String)>) {
        self.lab.set_rejection(rejection);
    }

    /// The bundled files are being fetched again, or could not be.
    pub fn set_data_state(&self, data: DataState<DataInfo>) {
        self.lab.set_data_state(data);
    }

    /// Starts the form's run (if it is valid and nothing runs).
    pub fn start_from_form(&self) {
        if let Ok(config) = self.form.with_untracked(LabForm::parse) {
            self.lab.start_run(config);
        }
    }

    /// Queues the four Graphcore sweep runs with the form's epochs and seed.
    pub fn start_sweep(&self) {
        let Ok(base) = self.form.with_untracked(LabForm::parse) else {
            return;
        };
        self.lab
            .start_queue(graphcore_sweep(base.n_epochs, base.seed));
    }

    /// Cancels the current run and any queued sweep runs.
    pub fn cancel(&self) {
        self.lab.cancel();
    }

    /// Asks the worker to classify a drawn digit (only the latest drawing is kept waiting).
    pub fn predict(&self, pixels: Vec<u8>) {
        self.lab.query(Digit { pixels });
    }

    /// Puts `config` in the settings form and in the address bar, as if typed.
    pub fn set_up(&self, config: &RunConfig) {
        show_settings(self.form, config);
    }

    pub fn clear_prediction(&self) {
        self.lab.clear_answer();
    }
}

fn show_settings(form: RwSignal<LabForm>, config: &RunConfig) {
    let next = config.to_form();
    replace_url(&next.href());
    let _ = form.try_set(next);
}

/// The links to the lessons this lab belongs to.
pub fn panels_links() -> impl IntoView {
    panels::lesson_links()
}

/// Fetches the bundled files and hands them to `lab`'s worker (the MNIST lab's, and the
/// homework grid's, which reuses the same task).
pub(crate) fn load_bundled(lab: LabHandle<Mnist>) {
    leptos::task::spawn_local(async move {
        let mut buffers = Vec::new();
        for file in DataFile::ALL {
            match crate::files::fetch_bytes(&format!("public/data/{}", file.bundled_name())).await {
                Ok(b) => buffers.push(b),
                Err(message) => {
                    lab.set_data_state(DataState::Failed(format!(
                        "The bundled data could not be loaded: {message}."
                    )));
                    return;
                }
            }
        }
        lab.send_data(DataSource::Bundled, buffers);
    });
}

/// The MNIST lab.
#[component]
pub fn MnistLab(
    /// The URL's query (the settings).
    query: Vec<(String, String)>,
) -> impl IntoView {
    let state = LabState::new(LabForm::from_query(&query));
    if state.lab.has_worker() {
        load_bundled(state.lab);
    }
    let lab = state.lab.view("mnist");
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
