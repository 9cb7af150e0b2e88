//! [`LabHandle`]: a lab page's connection to its worker and its state, for every lab. It keeps
//! the lab's [`LabModel`] in one signal, feeds the worker's messages through the pure reducer,
//! carries out the effects (send a message; show settings through the page's callback), and
//! gives the panels memos of the model's parts, so a progress message re-renders only what it
//! changed.

use leptos::prelude::*;

use super::LabView;
use crate::training::client::WorkerClient;
use crate::training::protocol::{CurvePoint, EpochRow, LabTask, ToWorker};
use crate::training::state::{
    Answered, DataState, Effect, LabModel, LiveRun, RunRecord, WeightsNote,
};

/// Offers a file (name, bytes) for download.
pub type Downloader = Callback<(String, Vec<u8>)>;

/// A lab page's worker and state (`Copy`: every part lives in the reactive arena).
pub struct LabHandle<T: LabTask> {
    model: RwSignal<LabModel<T>>,
    client: StoredValue<Option<WorkerClient<T>>, LocalStorage>,
    show_settings: Callback<T::Config>,
    /// Offers a file for download (set by the panel that owns the download anchor).
    downloader: StoredValue<Option<Downloader>, LocalStorage>,
    pub data: Memo<DataState<T::DataInfo>>,
    pub uploading: Memo<bool>,
    pub rejection: Memo<Option<(Option<T::File>, String)>>,
    pub current: Memo<Option<LiveRun<T::Config>>>,
    pub points: Memo<Vec<CurvePoint>>,
    pub epochs: Memo<Vec<EpochRow>>,
    pub report: Memo<T::Report>,
    pub records: Memo<Vec<RunRecord<T::Config>>>,
    pub queue: Memo<Vec<T::Config>>,
    pub answer: Memo<Option<Answered<T::Answer>>>,
    pub answer_error: Memo<Option<String>>,
    pub worker_error: Memo<Option<String>>,
    pub weights_note: Memo<Option<WeightsNote>>,
    pub loaded_weights: Memo<Option<String>>,
}

impl<T: LabTask> Clone for LabHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: LabTask> Copy for LabHandle<T> {}

impl<T: LabTask> std::fmt::Debug for LabHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabHandle").field("lab", &T::NAME).finish()
    }
}

impl<T: LabTask> LabHandle<T> {
    /// The state, and the worker started (its failure shows where the data status is).
    /// `show_settings` puts a queued run's settings in the page's form and address.
    pub fn start(show_settings: Callback<T::Config>) -> Self {
        let model = RwSignal::new(LabModel::<T>::default());
        let handle = Self {
            model,
            client: StoredValue::new_local(None),
            show_settings,
            downloader: StoredValue::new_local(None),
            data: Memo::new(move |_| model.with(|m| m.data.clone())),
            uploading: Memo::new(move |_| model.with(|m| m.uploading)),
            rejection: Memo::new(move |_| model.with(|m| m.rejection.clone())),
            current: Memo::new(move |_| model.with(|m| m.current.clone())),
            points: Memo::new(move |_| model.with(|m| m.points.clone())),
            epochs: Memo::new(move |_| model.with(|m| m.epochs.clone())),
            report: Memo::new(move |_| model.with(|m| m.report.clone())),
            records: Memo::new(move |_| model.with(|m| m.records.clone())),
            queue: Memo::new(move |_| model.with(|m| m.queue.clone())),
            answer: Memo::new(move |_| model.with(|m| m.answer.clone())),
            answer_error: Memo::new(move |_| model.with(|m| m.answer_error.clone())),
            worker_error: Memo::new(move |_| model.with(|m| m.worker_error.clone())),
            weights_note: Memo::new(move |_| model.with(|m| m.weights_note.clone())),
            loaded_weights: Memo::new(move |_| model.with(|m| m.loaded_weights.clone())),
        };
        match WorkerClient::spawn(
            move |message| handle.act(|m| m.on_message(message)),
            move |failure| {
                let _ = model.try_update(|m| m.on_worker_failure(failure));
            },
        ) {
            Ok(client) => handle.client.set_value(Some(client)),
            Err(message) => model.update(|m| {
                m.data = DataState::Failed(message.clone());
                m.on_worker_failure(message);
            }),
        }
        let client = handle.client;
        on_cleanup(move || {
            // Dropping the client terminates the worker (and any run in it).
            let _ = client.try_set_value(None);
        });
        handle
    }

    /// Whether the worker started.
    pub fn has_worker(&self) -> bool {
        self.client.try_with_value(Option::is_some).unwrap_or(false)
    }

    /// What the shared panels read, with test ids starting `prefix-`.
    pub fn view(&self, prefix: &'static str) -> LabView<T::Config> {
        let queue = self.queue;
        LabView {
            prefix,
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
    pub fn act(&self, f: impl FnOnce(&mut LabModel<T>) -> Vec<Effect<T>>) {
        let Some(effects) = self.model.try_update(f) else {
            return;
        };
        for effect in effects {
            match effect {
                Effect::Send(message) => self.send(&message, Vec::new()),
                Effect::ShowSettings(config) => self.show_settings.run(config),
                Effect::Download { file_name, bytes } => {
                    if let Some(Some(download)) = self.downloader.try_get_value() {
                        download.run((file_name, bytes));
                    }
                }
            }
        }
    }

    /// Sends a message with buffers transferred beside it. Safe to call after the page is
    /// gone (from a fetch that finished late): it then does nothing.
    pub fn send(&self, message: &ToWorker<T>, buffers: Vec<js_sys::ArrayBuffer>) {
        let _ = self.client.try_with_value(|c| {
            if let Some(c) = c {
                c.send_with_buffers(message, buffers);
            }
        });
    }

    /// Sends dataset files for the worker to parse (it keeps the data in use if they fail).
    pub fn send_data(&self, source: T::Source, buffers: Vec<js_sys::ArrayBuffer>) {
        self.send(&ToWorker::LoadData { source }, buffers);
    }

    /// Files are on their way (`true`), or could not be read here (`false`).
    pub fn set_uploading(&self, uploading: bool) {
        let _ = self.model.try_update(|m| m.uploading = uploading);
    }

    /// Shows why files were refused before they reached the worker (`None` clears it).
    pub fn set_rejection(&self, rejection: Option<(Option<T::File>, String)>) {
        let _ = self.model.try_update(|m| m.rejection = rejection);
    }

    /// The bundled files are being fetched again, or could not be.
    pub fn set_data_state(&self, data: DataState<T::DataInfo>) {
        let _ = self.model.try_update(|m| m.data = data);
    }

    /// Starts `config` (nothing happens while a run is active).
    pub fn start_run(&self, config: T::Config) {
        if self.is_running() {
            return;
        }
        self.act(|m| {
            m.queue.clear();
            m.start(config)
        });
    }

    /// Runs `runs` one after the other.
    pub fn start_queue(&self, runs: Vec<T::Config>) {
        self.act(|m| m.start_queue(runs));
    }

    /// Cancels the current run and any queued runs.
    pub fn cancel(&self) {
        self.act(LabModel::cancel);
    }

    /// Asks the current model (only the latest question is asked again at a run's end).
    pub fn query(&self, query: T::Query) {
        self.act(|m| m.query(query));
    }

    /// Forgets the question and its answer.
    /// Where [`Effect::Download`] files go.
    pub fn set_downloader(&self, download: Downloader) {
        let _ = self.downloader.try_set_value(Some(download));
    }

    /// Asks the worker for the current model's weights (they arrive as a download).
    pub fn export_weights(&self) {
        self.act(LabModel::export_weights);
    }

    /// Sends the weights file `name` to the worker.
    pub fn import_weights(&self, name: String, buffer: js_sys::ArrayBuffer) {
        if let Some(message) = self.model.try_update(|m| m.import_weights(name)) {
            self.send(&message, vec![buffer]);
        }
    }

    pub fn clear_answer(&self) {
        let _ = self.model.try_update(LabModel::clear_answer);
    }
}
