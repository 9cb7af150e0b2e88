//! Groq: BERT-tiny on real input instead of the example's dummy input (`groq-…` keys). The BERT
//! lab's task and worker (started when the learner first asks for it) fine-tune the model
//! briefly or load a weights file, then classify the learner's sentence, the dummy input and
//! the bundled test sentences (timed, one at a time) at the chosen length, beside the Groq
//! model's latency for that shape and the real chip's.

use leptos::prelude::*;

use super::{HomeworkFigures, SectionFrame};
use crate::components::lab::{LabHandle, RunPanel};
use crate::components::table::DataTable;
use crate::pages::bert::{BertState, WeightsPanel, load_files};
use crate::training::bert::config::{BertForm, BertRunConfig};
use crate::training::bert::task::{Bert, BertQuery, BertSource};
use crate::training::homework::groq::{
    GroqField, GroqForm, GroqResult, compile_sentence, compiles, model_us, point, table_rows,
};
use crate::training::homework::reality::{self, Section};
use crate::training::state::DataState;

/// What the section does once the sentences are in the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiting {
    Nothing,
    FineTune,
}

#[component]
pub fn GroqSection(query: Vec<(String, String)>) -> impl IntoView {
    let form = RwSignal::new(GroqForm::from_query(&query));
    let settings = Memo::new(move |_| form.with(|f| f.parse().ok()));
    let owner = StoredValue::new_local(Owner::current());
    let lab: RwSignal<Option<LabHandle<Bert>>> = RwSignal::new(None);
    let waiting = StoredValue::new(Waiting::Nothing);
    let running = Signal::derive(move || lab.get().is_some_and(|l| l.is_running()));
    let has_model = Signal::derive(move || {
        lab.get().is_some_and(|l| {
            l.current
                .with(|c| c.as_ref().is_some_and(|r| !r.is_active()))
                || l.loaded_weights.with(Option::is_some)
        })
    });
    let data_ready = Signal::derive(move || {
        lab.get()
            .is_some_and(|l| l.data.with(|d| matches!(d, DataState::Ready(_))))
    });

    // Every answer of the worker, in order (a reducer over the latest answer).
    let log = Memo::new(
        move |prev: Option<&(
            Vec<GroqResult>,
            Option<crate::training::state::Answered<crate::training::bert::task::BertAnswer>>,
        )>| {
            let mut state = prev.cloned().unwrap_or_default();
            let answer = lab.get().and_then(|l| l.answer.get());
            if answer.is_some() && answer != state.1 {
                if let Some(a) = &answer {
                    state.0.push(GroqResult::from_answer(&a.answer, a.ms));
                }
                state.1 = answer;
            }
            state
        },
    );
    let results = Signal::derive(move || log.with(|l| l.0.clone()));
    if let Some(figures) = use_context::<HomeworkFigures>() {
        figures.groq_results.set(Some(results));
    }

    let fine_tune_config = move || {
        settings.get_untracked().map(|s| BertRunConfig {
            batch_size: 32,
            lr: 0.001,
            n_epochs: 1,
            max_len: 64,
            seed: 1,
            n_train: s.n_train,
            init: Default::default(),
            objective: Default::default(),
            mlm_timing: None,
        })
    };
    // Once the sentences are in the worker, a waiting fine-tune starts.
    Effect::new(move |_| {
        let Some(handle) = lab.get() else { return };
        if data_ready.get()
            && waiting.get_value() == Waiting::FineTune
            && let Some(config) = fine_tune_config()
        {
            waiting.set_value(Waiting::Nothing);
            handle.start_run(config);
        }
    });
    let ensure_worker = move || -> LabHandle<Bert> {
        if let Some(handle) = lab.get_untracked() {
            return handle;
        }
        let start = || LabHandle::<Bert>::start(Callback::new(|_| {}));
        let handle = owner.get_value().map_or_else(start, |o| o.with(start));
        if handle.has_worker() {
            load_files(handle, BertSource::Bundled, Vec::new());
        }
        lab.set(Some(handle));
        handle
    };
    let fine_tune = move |_| {
        let handle = ensure_worker();
        if data_ready.get_untracked() {
            if let Some(config) = fine_tune_config() {
                handle.start_run(config);
            }
        } else {
            waiting.set_value(Waiting::FineTune);
        }
    };
    let ask = move |query: BertQuery| {
        if let Some(handle) = lab.get_untracked() {
            handle.query(query);
        }
    };
    let len = move || settings.get_untracked().map(|s| s.max_len);

    let fields = super::section_fields(form, running);
    let field = move |f, label, hint, options| fields.field(f, label, hint, options);

    let rows = Signal::derive(move || results.with(|r| table_rows(r, model_us)));
    let notice = move || {
        results.with(|r| {
            let last = r.last()?;
            let event = *compiles(r).last()?;
            Some(compile_sentence(event, last.max_len, model_us))
        })
    };
    let the_point = move || results.with(|r| point(r, model_us));
    let worker_note = move || {
        lab.get().and_then(|l| {
            if let Some(e) = l.answer_error.get() {
                return Some(e);
            }
            match l.data.get() {
                DataState::Loading => {
                    Some("Loading the bundled sentences into the worker…".to_owned())
                }
                DataState::Failed(sentence) => Some(sentence),
                DataState::Ready(_) => None,
            }
        })
    };
    let ready = move || has_model.get() && !running.get() && settings.with(Option::is_some);

    view! {
        <SectionFrame at="groq">
            <p>
                "The homework: replace the example's dummy input with your own, then double the "
                "input length. The accuracy stayed at 77.47 % (GroqFlow took the given input only "
                "for its shape), and the new length meant a new compile and a new latency:"
            </p>
            <DataTable
                testid="homework-groq-real"
                label="On-chip latency of BERT-tiny at two input lengths on a GroqChip"
                headers=&["input length", "on-chip latency"]
                rows=Signal::stored(vec![
                    vec!["128".to_owned(), format!("{} µs", sim::groq::latency::REAL_SEQ128_US)],
                    vec!["256".to_owned(), format!("{} µs", sim::groq::latency::REAL_SEQ256_US)],
                ])
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Groq))}</p>
            <h3>"Real input, in this browser"</h3>
            <p>
                "A BERT-tiny sentiment classifier runs here in the BERT lab's Web Worker: fine-tune "
                "it briefly (one epoch, as in the BERT lab) or load a weights file saved there. Then "
                "classify your sentence, the example's dummy input (every id 1, every position "
                "attended) and the bundled test sentences at the length you choose. Each answer "
                "shows two different kinds of figure: the time this browser measured for it, and "
                "the Groq model's latency for its shape, which comes from the course's simulator "
                "(a model of the chip, not the chip)."
            </p>
            <div class="lab-form homework-groq-form">
                {field(GroqField::Len, "Input length", "", vec![("64", "64 tokens"), ("128", "128 tokens (the example's)"), ("256", "256 tokens (the homework's second run)")])}
                {field(GroqField::Text, "Your sentence", "", Vec::new())}
                {field(GroqField::Tests, "Test sentences to time", "of the 2,014 bundled", Vec::new())}
                {field(GroqField::Train, "Fine-tune on", "“all” training sentences, or the first this many", Vec::new())}
            </div>
            <div class="lab-form__actions">
                <button
                    type="button"
                    class="lab-button"
                    data-testid="groq-fine-tune"
                    prop:disabled=move || running.get() || settings.with(Option::is_none)
                    on:click=fine_tune
                >
                    "Fine-tune BERT-tiny here"
                </button>
                <button
                    type="button"
                    class="lab-button"
                    data-testid="groq-weights-open"
                    prop:disabled=move || lab.with(Option::is_some)
                    on:click=move |_| {
                        let _ = ensure_worker();
                    }
                >
                    "Load a weights file instead"
                </button>
            </div>
            <div class="lab-form__actions">
                <button
                    type="button"
                    class="lab-button lab-button--primary"
                    data-testid="groq-classify"
                    prop:disabled=move || !ready()
                    on:click=move |_| {
                        if let (Some(max_len), Some(text)) = (len(), settings.get_untracked().map(|s| s.text)) {
                            ask(BertQuery::Sentence { text, max_len });
                        }
                    }
                >
                    "Classify my sentence"
                </button>
                <button
                    type="button"
                    class="lab-button"
                    data-testid="groq-dummy"
                    prop:disabled=move || !ready()
                    on:click=move |_| {
                        if let Some(max_len) = len() {
                            ask(BertQuery::Dummy { max_len });
                        }
                    }
                >
                    "Classify the dummy input"
                </button>
                <button
                    type="button"
                    class="lab-button"
                    data-testid="groq-tests-run"
                    prop:disabled=move || !ready()
                    on:click=move |_| {
                        if let Some(s) = settings.get_untracked() {
                            ask(BertQuery::TestSet { max_len: s.max_len, n: s.n_tests });
                        }
                    }
                >
                    "Time the test sentences"
                </button>
            </div>
            <p class="lab-form__hint" data-testid="groq-worker-note" role="status">{worker_note}</p>
            {move || lab.get().map(|l| {
                let state = BertState { form: RwSignal::new(BertForm::default()), lab: l };
                view! {
                    <div class="lab-pair">
                        <RunPanel lab=l.view("groq") />
                        <WeightsPanel state />
                    </div>
                }
            })}
            {move || notice().map(|n| view! { <p class="notice" data-testid="groq-compile-notice" role="status">{n}</p> })}
            <DataTable
                testid="groq-results"
                label="Each answer: this browser's measured time beside the Groq model's latency and the real chip's"
                headers=&["input", "length", "the model says", "this browser (measured, per sentence)", "Groq model (simulator)", "real GroqChip"]
                rows
                empty="Nothing asked yet: each sentence, the dummy input or the test set you run adds a row here."
            />
            <p data-testid="groq-point">{the_point}</p>
        </SectionFrame>
    }
}
