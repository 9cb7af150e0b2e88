//! The MNIST lab's panels. Each reads the page's [`LabState`] and calls its actions; logic
//! that needs no browser lives in `crate::training`.

use leptos::html::{Canvas, Input};
use leptos::prelude::*;

use crate::components::ScrollBox;

use super::LabState;
use super::browser::{MAX_UPLOAD_BYTES, paint_digit, theme_rgb};
use super::digit_pad::DigitPad;
use crate::components::lab::{FormFields, RunActions, set_form_field, theme_signal, thousands};
use crate::files::read_file;
use crate::route::Route;
use crate::training::mnist::config::{LabField, ModelKind, OptimizerKind, RunConfig, format_lr};
use crate::training::mnist::results::sweep_rows;
use crate::training::mnist::task::{DataFile, DataInfo, DataSource};
use crate::training::state::DataState;

/// One of the form's settings, through the shared settings field.
fn field(
    state: LabState,
    field: LabField,
    label: &'static str,
    hint: &'static str,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    FormFields::lab(state.form, Signal::derive(move || state.is_running()))
        .field(field, label, hint, options)
}

/// The settings, start/cancel and the Graphcore defaults.
#[component]
pub fn SettingsPanel(state: LabState) -> impl IntoView {
    let models = ModelKind::ALL
        .iter()
        .map(|m| (m.as_str(), m.label()))
        .collect();
    let optimizers = OptimizerKind::ALL
        .iter()
        .map(|o| (o.as_str(), o.label()))
        .collect();
    let invalid = Memo::new(move |_| state.form.with(|f| f.parse().is_err()));
    let data_ready = move || state.data.with(|d| matches!(d, DataState::Ready(_)));
    let double_softmax = move || {
        state
            .form
            .with(|f| f.field(LabField::Loss).trim() == "double-softmax")
    };
    let loss_error = move || state.form.with(|f| f.error(LabField::Loss));
    view! {
        <form
            class="lab-panel lab-form"
            data-testid="mnist-settings"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                state.start_from_form();
            }
        >
            <h2 class="lab-panel__title">"Settings"</h2>
            {field(state, LabField::Model, "Model", "", models)}
            {field(state, LabField::Batch, "Batch size", "Digits per SGD step, 1 to 1024.", vec![])}
            {field(state, LabField::Lr, "Learning rate", "Above 0, at most 10 (e.g. 0.05).", vec![])}
            {field(state, LabField::Epochs, "Epochs", "Passes over the training digits, 1 to 100.", vec![])}
            {field(state, LabField::Optimizer, "Optimizer", "", optimizers)}
            {field(state, LabField::Seed, "Seed", "Same seed, same settings: the same numbers.", vec![])}
            <div class="lab-form__row lab-form__row--check">
                <label class="lab-form__check">
                    <input
                        type="checkbox"
                        data-testid="mnist-double-softmax"
                        prop:checked=double_softmax
                        prop:disabled=move || state.is_running()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set_form_field(state.form, LabField::Loss, if on { "double-softmax" } else { "ce" });
                        }
                    />
                    " Faithful double softmax (the Graphcore example's loss; see the note below)"
                </label>
                <p class="lab-form__error" data-testid="mnist-error-loss" role="alert">{loss_error}</p>
            </div>
            <RunActions
                prefix="mnist"
                start_disabled=Signal::derive(move || invalid.get() || state.is_running() || !data_ready())
                running=Signal::derive(move || state.is_running())
                on_cancel=move || state.cancel()
            />
            <button
                type="button"
                class="lab-button lab-button--wide"
                data-testid="mnist-graphcore-defaults"
                prop:disabled=move || state.is_running()
                on:click=move |_| state.set_up(&RunConfig::graphcore_example())
            >
                "Graphcore example defaults (CNN, batch 8, SGD, lr 0.05, 10 epochs)"
            </button>
            <p class="lab-form__hint" data-testid="mnist-invalid-note">
                {move || invalid.get().then_some("Fix the settings marked above to start; the address keeps what you typed.")}
            </p>
        </form>
    }
}

/// Which data is in use, and loading the learner's own files.
#[component]
pub fn DataPanel(state: LabState) -> impl IntoView {
    let inputs: Vec<(DataFile, NodeRef<Input>)> = DataFile::ALL
        .iter()
        .map(|&f| (f, NodeRef::<Input>::new()))
        .collect();
    let inputs = StoredValue::new(inputs);
    let status = move || match state.data.get() {
        DataState::Loading => "Loading the bundled digits…".to_string(),
        DataState::Failed(message) => message,
        DataState::Ready(DataInfo {
            source: DataSource::Bundled,
            n_train,
            n_test,
        }) => format!(
            "In use: the bundled MNIST subset, {} training and {} test digits.",
            thousands(n_train),
            thousands(n_test)
        ),
        DataState::Ready(DataInfo {
            source: DataSource::Uploaded { .. },
            n_train,
            n_test,
        }) => format!(
            "In use: your files, {} training and {} test digits.",
            thousands(n_train),
            thousands(n_test)
        ),
    };
    let failed = move || state.data.with(|d| matches!(d, DataState::Failed(_)));
    let error_for = move |file: DataFile| {
        state.rejection.with(|e| {
            e.as_ref()
                .filter(|(f, _)| *f == Some(file))
                .map(|(_, m)| m.clone())
        })
    };
    let general_error = move || {
        state.rejection.with(|e| {
            e.as_ref()
                .filter(|(f, _)| f.is_none())
                .map(|(_, m)| m.clone())
        })
    };
    let upload_note = move || {
        state.data.with(|d| match d {
            DataState::Ready(DataInfo {
                source: DataSource::Uploaded { names },
                n_train,
                n_test,
            }) => Some(format!(
                "Using your files: {n_train} training and {n_test} test digits ({}).",
                names.join(", ")
            )),
            _ => None,
        })
    };
    let upload = move |_| {
        let mut files = Vec::new();
        for (file, node) in inputs.get_value() {
            let chosen = node
                .get_untracked()
                .and_then(|i| i.files())
                .and_then(|l| l.get(0));
            let Some(chosen) = chosen else {
                state.set_rejection(Some((
                    Some(file),
                    format!(
                        "Choose the {} file (raw IDX or .gz).",
                        file.label().to_lowercase()
                    ),
                )));
                return;
            };
            if chosen.size() > MAX_UPLOAD_BYTES {
                state.set_rejection(Some((
                    Some(file),
                    format!(
                        "{} is {:.0} MB: more than any MNIST file; the lab reads at most 80 MB.",
                        chosen.name(),
                        chosen.size() / 1_048_576.0
                    ),
                )));
                return;
            }
            files.push(chosen);
        }
        state.set_rejection(None);
        state.set_uploading(true);
        leptos::task::spawn_local(async move {
            let mut buffers = Vec::new();
            let mut names = Vec::new();
            for (file, chosen) in DataFile::ALL.iter().zip(&files) {
                match read_file(chosen).await {
                    Ok(b) => buffers.push(b),
                    Err(message) => {
                        state.set_uploading(false);
                        state.set_rejection(Some((Some(*file), format!("{message}."))));
                        return;
                    }
                }
                names.push(chosen.name());
            }
            state.send_data(DataSource::Uploaded { names }, buffers);
        });
    };
    let using_upload = move || {
        state.data.with(|d| {
            matches!(
                d,
                DataState::Ready(DataInfo {
                    source: DataSource::Uploaded { .. },
                    ..
                })
            )
        })
    };
    view! {
        <section class="lab-panel" aria-labelledby="mnist-data-title">
            <h2 class="lab-panel__title" id="mnist-data-title">"Data"</h2>
            <p class="lab-data__status" class:lab-data__status--error=failed data-testid="mnist-data-status">
                {status}
            </p>
            <p class="lab-form__hint">
                "Real MNIST digits (LeCun, Cortes and Burges; CC BY-SA 3.0), from the npm package "
                <code>"mnist"</code>" 1.1.0: "
                <a href="public/data/README.md">"provenance and checksums"</a>"."
            </p>
            <details class="lab-upload" data-testid="mnist-upload-details">
                <summary>"Use your own MNIST files"</summary>
                <p class="lab-form__hint">
                    "The four IDX files of the full set (for example "<code>"train-images-idx3-ubyte.gz"</code>
                    " and "<code>"t10k-labels-idx1-ubyte"</code>"), raw or gzip. They are read here, in your "
                    "browser; if one is wrong, the digits in use stay in use."
                </p>
                {DataFile::ALL
                    .iter()
                    .zip(inputs.get_value())
                    .map(|(&file, (_, node))| {
                        view! {
                            <div class="lab-form__row">
                                <label class="lab-form__label" for=format!("mnist-file-{}", file.key())>{file.label()}</label>
                                <input
                                    id=format!("mnist-file-{}", file.key())
                                    class="lab-upload__input"
                                    type="file"
                                    data-testid=format!("mnist-file-{}", file.key())
                                    node_ref=node
                                    prop:disabled=move || state.is_running() || state.uploading.get()
                                />
                                <p class="lab-form__error" data-testid=format!("mnist-file-error-{}", file.key()) role="alert">
                                    {move || error_for(file)}
                                </p>
                            </div>
                        }
                    })
                    .collect_view()}
                <div class="lab-form__actions">
                    <button
                        type="button"
                        class="lab-button"
                        data-testid="mnist-upload"
                        prop:disabled=move || state.is_running() || state.uploading.get()
                        on:click=upload
                    >
                        {move || if state.uploading.get() { "Reading…" } else { "Use these files" }}
                    </button>
                    <button
                        type="button"
                        class="lab-button"
                        data-testid="mnist-use-bundled"
                        prop:hidden=move || !using_upload()
                        prop:disabled=move || state.is_running()
                        on:click=move |_| {
                            state.set_data_state(DataState::Loading);
                            super::load_bundled(state.lab);
                        }
                    >
                        "Back to the bundled digits"
                    </button>
                </div>
                <p class="lab-form__error" data-testid="mnist-upload-error" role="alert">{general_error}</p>
                <p class="lab-upload__note" data-testid="mnist-upload-note">{upload_note}</p>
            </details>
        </section>
    }
}

/// One 28×28 digit on a small canvas, in the theme's colours.
#[component]
fn DigitImage(pixels: Vec<u8>, label: String) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let theme = theme_signal();
    Effect::new(move |_| {
        theme.track();
        if let Some(c) = canvas.get() {
            let ink = theme_rgb("--text", (27, 31, 36));
            let paper = theme_rgb("--surface", (255, 255, 255));
            paint_digit(&c, &pixels, ink, paper);
        }
    });
    view! { <canvas class="lab-digit" width="28" height="28" node_ref=canvas role="img" aria-label=label></canvas> }
}

/// The test digits the model got wrong, most confident first.
#[component]
pub fn MisclassifiedPanel(state: LabState) -> impl IntoView {
    view! {
        <section class="lab-panel lab-pair__item" aria-labelledby="mnist-mistakes-title">
            <h2 class="lab-panel__title" id="mnist-mistakes-title">"Misclassified test digits"</h2>
            {move || {
                let report = state.misclassified.get();
                let (mistakes, n_total) = (report.shown, report.n_total);
                if mistakes.is_empty() {
                    return view! { <p class="lab-empty">"When a run ends: the test digits its model got wrong, the most confident mistakes first."</p> }.into_any();
                }
                view! {
                    <p class="lab-form__hint" data-testid="mnist-mistakes-count">
                        {format!("{} of {} mistakes shown; each reads true → predicted (confidence).", mistakes.len(), thousands(n_total))}
                    </p>
                    <ul class="lab-mistakes" data-testid="mnist-mistakes">
                        {mistakes.into_iter().map(|m| {
                            let caption = format!("{} → {} ({:.0} %)", m.label, m.predicted, m.confidence * 100.0);
                            let label = format!("Test digit {}: a {} the model read as {}", m.item_idx, m.label, m.predicted);
                            view! {
                                <li class="lab-mistakes__item" data-testid="mnist-mistake">
                                    <DigitImage pixels=m.pixels label />
                                    <span class="lab-mistakes__caption">{caption}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The drawing pad and the model's answer.
#[component]
pub fn DrawPanel(state: LabState) -> impl IntoView {
    let on_digit = Callback::new(move |pixels: Vec<u8>| state.predict(pixels));
    let on_clear = Callback::new(move |()| state.clear_prediction());
    let has_model = move || state.lab.current.with(Option::is_some);
    view! {
        <section class="lab-panel" aria-labelledby="mnist-draw-title">
            <h2 class="lab-panel__title" id="mnist-draw-title">"Draw a digit"</h2>
            <p class="lab-form__hint">
                "Draw one digit, large, in the black square. It is cropped, scaled to 20×20 and centred by "
                "its centre of mass in a 28×28 image, as the MNIST digits were, then given to the model "
                "of the latest run (while it trains, too)."
            </p>
            <div class="lab-draw">
                <DigitPad on_digit on_clear />
                <div class="lab-draw__answer" data-testid="mnist-answer">
                    {move || match (state.prediction.get(), state.predict_error.get()) {
                        (Some(p), _) => {
                            let when = if p.while_training {
                                format!("run {}, still training", p.run_id)
                            } else {
                                format!("run {}, trained", p.run_id)
                            };
                            view! {
                                <p class="lab-draw__class">
                                    "Prediction: "
                                    <strong data-testid="mnist-prediction">{p.answer.class}</strong>
                                    <span class="lab-draw__when">{format!(" ({when})")}</span>
                                </p>
                                <ol class="lab-probs" data-testid="mnist-probabilities" start="0">
                                    {p.answer.probabilities.iter().enumerate().map(|(digit, &prob)| {
                                        view! {
                                            <li class="lab-probs__row" class:lab-probs__row--top=digit == p.answer.class data-testid=format!("mnist-prob-{digit}")>
                                                <span class="lab-probs__digit">{digit}</span>
                                                <span class="lab-probs__track"><span class="lab-probs__bar" style:width=format!("{:.1}%", prob * 100.0)></span></span>
                                                <span class="lab-probs__value">{format!("{:.1} %", prob * 100.0)}</span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                        (None, Some(message)) => view! { <p class="lab-form__error" data-testid="mnist-predict-error">{message}</p> }.into_any(),
                        (None, None) => view! {
                            <p class="lab-empty">
                                {move || if has_model() { "Draw a digit to see what the model says." } else { "Train a model, then draw a digit." }}
                            </p>
                        }.into_any(),
                    }}
                </div>
            </div>
        </section>
    }
}

/// The Graphcore lr sweep: the IPU's figures, this browser's runs, and a button to run it.
#[component]
pub fn SweepPanel(state: LabState) -> impl IntoView {
    let rows = Memo::new(move |_| state.records.with(|r| sweep_rows(r)));
    let epochs = move || state.form.with(|f| f.parse().ok().map(|c| c.n_epochs));
    view! {
        <section class="lab-panel" aria-labelledby="mnist-sweep-title">
            <h2 class="lab-panel__title" id="mnist-sweep-title">"The Graphcore learning-rate sweep"</h2>
            <p>
                "The homework ran the example (CNN, batch 8, plain SGD, its double softmax, 10 epochs of "
                "60,000 digits) on one Bow IPU at four learning rates. Run the same four here; each run "
                "uses the epochs and seed in the settings."
            </p>
            <ScrollBox label="Learning-rate sweep" class="lab-scroll">
                <table class="lab-table" data-testid="mnist-sweep">
                    <thead>
                        <tr>
                            <th scope="col">"Learning rate"</th>
                            <th scope="col">"Bow IPU (10 epochs × 60,000)"</th>
                            <th scope="col">"Here (latest run)"</th>
                            <th scope="col"><span class="lab-visually-hidden">"Set up"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || rows.get().into_iter().map(|row| {
                            let lr = row.lr;
                            let lr_text = format_lr(lr);
                            let ours = match &row.ours {
                                None => "not run yet".to_string(),
                                Some(o) => {
                                    let mut parts = vec![
                                        o.percent.map_or("–".into(), |p| format!("{p:.2} %")),
                                        format!("{} of {} epochs", o.n_epochs_done, o.n_epochs),
                                    ];
                                    if o.outcome != "finished" {
                                        parts.push(o.outcome.to_string());
                                    }
                                    if let Some((class, share)) = o.collapsed_to {
                                        parts.push(format!("“{class}” for {:.0} % of digits", share * 100.0));
                                    }
                                    parts.join(" · ")
                                }
                            };
                            view! {
                                <tr data-testid=format!("mnist-sweep-row-{lr_text}")>
                                    <td>{lr_text.clone()}</td>
                                    <td>{format!("{:.2} %", row.ipu_percent)}</td>
                                    <td class="lab-table__wrap" data-testid=format!("mnist-sweep-ours-{lr_text}")>{ours}</td>
                                    <td>
                                        <button
                                            type="button"
                                            class="lab-button lab-button--small"
                                            data-testid=format!("mnist-sweep-preset-{lr_text}")
                                            prop:disabled=move || state.is_running()
                                            on:click=move |_| {
                                                let n_epochs = state.form.with_untracked(|f| f.parse().map_or(10, |c| c.n_epochs));
                                                state.set_up(&RunConfig { lr, n_epochs, ..RunConfig::graphcore_example() });
                                            }
                                        >
                                            "Set up"
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </ScrollBox>
            <div class="lab-form__actions">
                <button
                    type="button"
                    class="lab-button lab-button--primary"
                    data-testid="mnist-sweep-run"
                    prop:disabled=move || {
                        state.is_running()
                            || state.form.with(|f| f.parse().is_err())
                            || !state.data.with(|d| matches!(d, DataState::Ready(_)))
                    }
                    on:click=move |_| state.start_sweep()
                >
                    {move || match epochs() {
                        Some(n) => format!("Run the sweep here (4 runs × {n} epoch{})", if n == 1 { "" } else { "s" }),
                        None => "Run the sweep here (fix the settings first)".to_string(),
                    }}
                </button>
            </div>
            <p class="lab-source">
                "IPU figures: the student's runs on a Bow IPU at ALCF (node gc-poplar-03, batch 8, 10 "
                "epochs, test batch 80), in "<code>"07_AITestbeds/Graphcore.txt"</code>" of the fork "
                <code>"akozlov0/ai-science-training-series"</code>" (the course's homework log). "
                "What to expect here: with 8,000 training digits an epoch is 1,000 steps instead of 7,500, "
                "so the small rates are further from done after 10 epochs; at lr 0.5 the softmax saturates "
                "and the model predicts one digit for every image. The IPU's 9.58 % is exactly the share of "
                "sixes in MNIST's official test set (958 of 10,000), so its model answered “6” to everything."
            </p>
        </section>
    }
}

/// The double softmax of the Graphcore example, explained.
#[component]
pub fn DoubleSoftmaxNote() -> impl IntoView {
    view! {
        <section class="lab-panel lab-note" aria-labelledby="mnist-note-title" data-testid="mnist-double-softmax-note">
            <h2 class="lab-panel__title" id="mnist-note-title">"The example's double softmax"</h2>
            <p>
                "The network in Graphcore's PopTorch MNIST example ends in a softmax, so it outputs "
                "probabilities, and its loss is PyTorch's "<code>"CrossEntropyLoss"</code>", which applies a "
                "log-softmax to whatever it is given. The loss it trains on is therefore "
                <code>"−log softmax(softmax(z))[label]"</code>": a softmax applied twice."
            </p>
            <ul>
                <li>
                    "The second softmax sees numbers between 0 and 1, so for 10 digits the loss can never go below "
                    "about 1.46 (a perfect model) nor above about 2.46. The loss curve flattens high even when "
                    "the accuracy is excellent."
                </li>
                <li>
                    "Its gradient passes through the first softmax's slope, which is at most ¼: every step is "
                    "smaller than with the usual loss, so small learning rates learn slowly."
                </li>
                <li>
                    "At a large learning rate the first softmax saturates to exactly 0 and 1, its slope becomes "
                    "exactly zero, and training stops for good: no NaN, no exploding loss, just one digit "
                    "predicted for everything (the ‖grad‖ column drops to 0). That is what the IPU's 9.58 % at "
                    "lr 0.5 shows."
                </li>
            </ul>
            <p>
                "Tick “faithful double softmax” to train exactly like the example; leave it off for the usual "
                "cross-entropy on the logits (with which lr 0.5 makes the loss explode instead, and the run "
                "stops as diverged)."
            </p>
        </section>
    }
}

/// Links to the lessons this lab belongs to.
pub fn lesson_links() -> impl IntoView {
    view! {
        <p class="lab-page__links">
            "Read first: "
            <a href=Route::Lesson { slug: "graphcore-ipu".into() }.href()>"Graphcore IPU"</a>
            " · "
            <a href=Route::Lesson { slug: "homework".into() }.href()>"The homework, and what the machines reported"</a>
        </p>
    }
}
