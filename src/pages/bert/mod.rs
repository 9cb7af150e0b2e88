//! The BERT-tiny lab (`#/labs/bert?batch=32&lr=0.001…`): a from-scratch BERT-tiny fine-tuned on
//! labelled sentences in a Web Worker, with the settings in the URL, live curves, per-epoch
//! test accuracy, a confusion table, the misclassified sentences, a Naive Bayes baseline on the
//! same split, and a sentence (or the Groq example's dummy input) classified with its
//! WordPieces and attention maps; and a masked-LM run on the Brown corpus that shows BERT's
//! pre-training objective, its head then filling in a `[MASK]`.
//!
//! The page owns no model: the worker (`training::bert::task`) holds the data and the run, and
//! answers queries; the page keeps the shared lab state ([`LabHandle`]) and its form.

mod panels;
mod pretraining;

pub(crate) use panels::WeightsPanel;

use leptos::prelude::*;

use crate::components::lab::{
    ConfusionPanel, CurvesPanel, EpochTable, LabHandle, RunPanel, RunsPanel,
};
use crate::route::replace_url;
use crate::training::bert::config::{BertForm, BertObjective, BertRunConfig};
use crate::training::bert::results::to_csv;
use crate::training::bert::task::{Bert, BertFile, BertSource, CLASSES};
use crate::training::state::DataState;

use panels::{AskPanel, BaselinePanel, BertDataPanel, BertSettingsPanel, MistakesPanel};
use pretraining::PretrainingPanel;

/// The lab's state: the shared lab handle and the settings form.
#[derive(Clone, Copy, Debug)]
pub struct BertState {
    pub form: RwSignal<BertForm>,
    pub lab: LabHandle<Bert>,
}

impl BertState {
    fn new(form: BertForm) -> Self {
        let form = RwSignal::new(form);
        let lab = LabHandle::<Bert>::start(Callback::new(move |config: BertRunConfig| {
            show_settings(form, &config);
        }));
        Self { form, lab }
    }

    /// Starts the form's run (if it is valid and nothing runs).
    pub fn start_from_form(&self) {
        if let Ok(config) = self.form.with_untracked(BertForm::parse) {
            self.lab.start_run(config);
        }
    }

    /// Whether the lab's run (training or the last one) trains the masked-LM objective.
    pub fn mlm_run(&self) -> bool {
        self.lab.current.with(|c| {
            c.as_ref()
                .is_some_and(|r| r.config.objective == BertObjective::MaskedLm)
        })
    }

    /// Puts `config` in the settings form and in the address bar, as if typed.
    pub fn set_up(&self, config: &BertRunConfig) {
        show_settings(self.form, config);
    }
}

fn show_settings(form: RwSignal<BertForm>, config: &BertRunConfig) {
    let next = config.to_form();
    replace_url(&next.href());
    let _ = form.try_set(next);
}

/// Fetches the bundled files, with `replace` (the learner's own train or test file) in place of
/// the bundled one, and hands them to `lab`'s worker (the BERT lab's, or the homework's Groq
/// section's, which reuses the same task).
pub(crate) fn load_files(
    lab: LabHandle<Bert>,
    source: BertSource,
    replace: Vec<(BertFile, js_sys::ArrayBuffer)>,
) {
    leptos::task::spawn_local(async move {
        let mut buffers = Vec::new();
        for file in BertFile::ALL {
            if let Some((_, buffer)) = replace.iter().find(|(f, _)| *f == file) {
                buffers.push(buffer.clone());
                continue;
            }
            match crate::files::fetch_bytes(&format!("public/data/{}", file.bundled_name())).await {
                Ok(b) => buffers.push(b),
                Err(message) => {
                    lab.set_uploading(false);
                    lab.set_data_state(DataState::Failed(format!(
                        "The bundled sentences could not be loaded: {message}."
                    )));
                    return;
                }
            }
        }
        lab.send_data(source, buffers);
    });
}

/// The BERT-tiny lab.
#[component]
pub fn BertLab(
    /// The URL's query (the settings).
    query: Vec<(String, String)>,
) -> impl IntoView {
    let state = BertState::new(BertForm::from_query(&query));
    if state.lab.has_worker() {
        load_files(state.lab, BertSource::Bundled, Vec::new());
    }
    let lab = state.lab.view("bert");
    view! {
        <div class="lab-page" data-testid="bert-lab">
            <div class="lab-layout">
                <div class="lab-layout__side">
                    <BertSettingsPanel state />
                    <BertDataPanel state />
                </div>
                <div class="lab-layout__main">
                    <RunPanel lab />
                    <CurvesPanel lab />
                    <EpochTable lab class_labels=&CLASSES items="sentences" />
                    <PretrainingPanel state />
                    <div hidden=move || state.mlm_run()>
                        <BaselinePanel state />
                    </div>
                    <div class="lab-pair" hidden=move || state.mlm_run()>
                        <ConfusionPanel lab class_labels=&CLASSES items="sentences" class_word="label" />
                        <MistakesPanel state />
                    </div>
                    <AskPanel state />
                    <WeightsPanel state />
                    <RunsPanel
                        lab
                        to_csv=to_csv
                        file_name="bert-lab-runs.csv"
                        on_use=Callback::new(move |config| state.set_up(&config))
                    />
                </div>
            </div>
        </div>
    }
}
