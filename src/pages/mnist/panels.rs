//! The MNIST lab's panels. Each reads the page's [`LabState`] and calls its actions; logic
//! that needs no browser lives in `crate::training`.

use leptos::html::{Canvas, Input};
use leptos::prelude::*;

use super::LabState;
use super::browser::{MAX_UPLOAD_BYTES, paint_digit, read_file, theme_rgb};
use super::digit_pad::DigitPad;
use crate::charts::training_curves::{CurveData, CurveKind, chart_colours, draw_training_curves};
use crate::files::download_text;
use crate::route::Route;
use crate::route::replace_url;
use crate::theme::{Theme, ThemeContext};
use crate::training::mnist::config::{LabField, ModelKind, OptimizerKind, RunConfig, format_lr};
use crate::training::mnist::results::{sweep_rows, to_csv};
use crate::training::mnist::task::{DataFile, DataInfo, DataSource};
use crate::training::protocol::RunOutcome;
use crate::training::state::{DataState, LiveRun, RunPhase};
use crate::training::text::{format_duration, seconds_left};

fn theme_signal() -> Signal<Theme> {
    let theme = use_context::<ThemeContext>().map(|c| c.theme);
    Signal::derive(move || theme.map_or(Theme::Light, |t| t.get()))
}

fn percent(x: f32) -> String {
    format!("{:.2} %", x * 100.0)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The error sentence for `field`, if any.
fn field_error(state: LabState, field: LabField) -> Option<String> {
    state.form.with(|f| {
        f.parse()
            .err()?
            .into_iter()
            .find(|e| e.field == field)
            .map(|e| e.message)
    })
}

fn set_field(state: LabState, field: LabField, value: String) {
    let next = state.form.get_untracked().with_field(field, &value);
    replace_url(&next.href());
    state.form.set(next);
}

/// A labelled text field with its error beside it.
#[component]
fn TextField(
    state: LabState,
    field: LabField,
    label: &'static str,
    hint: &'static str,
) -> impl IntoView {
    let key = field.key();
    let error_id = format!("mnist-error-{key}");
    let error = move || field_error(state, field);
    view! {
        <div class="mnist-form__row">
            <label class="mnist-form__label" for=format!("mnist-{key}")>{label}</label>
            <input
                id=format!("mnist-{key}")
                class="mnist-form__input"
                class:mnist-form__input--invalid=move || error().is_some()
                type="text"
                inputmode="decimal"
                autocomplete="off"
                spellcheck="false"
                data-testid=format!("mnist-{key}")
                prop:value=move || state.form.with(|f| f.field(field).to_string())
                prop:disabled=move || state.is_running()
                aria-invalid=move || error().is_some().then_some("true")
                aria-describedby=error_id.clone()
                on:input=move |ev| set_field(state, field, event_target_value(&ev))
            />
            <p class="mnist-form__hint">{hint}</p>
            <p class="mnist-form__error" id=error_id data-testid=format!("mnist-error-{key}") role="alert">
                {error}
            </p>
        </div>
    }
}

/// The settings, start/cancel and the Graphcore defaults.
#[component]
pub fn SettingsPanel(state: LabState) -> impl IntoView {
    let select_row = move |field: LabField,
                           label: &'static str,
                           options: Vec<(&'static str, &'static str)>| {
        let key = field.key();
        let error = move || field_error(state, field);
        view! {
            <div class="mnist-form__row">
                <label class="mnist-form__label" for=format!("mnist-{key}")>{label}</label>
                <select
                    id=format!("mnist-{key}")
                    class="mnist-form__input"
                    class:mnist-form__input--invalid=move || error().is_some()
                    data-testid=format!("mnist-{key}")
                    prop:disabled=move || state.is_running()
                    aria-describedby=format!("mnist-error-{key}")
                    on:change=move |ev| set_field(state, field, event_target_value(&ev))
                >
                    {options
                        .into_iter()
                        .map(|(value, text)| {
                            view! {
                                <option value=value selected=move || state.form.with(|f| f.field(field) == value)>
                                    {text}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p class="mnist-form__error" id=format!("mnist-error-{key}") data-testid=format!("mnist-error-{key}") role="alert">
                    {error}
                </p>
            </div>
        }
    };
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
    let double_softmax = move || state.form.with(|f| f.loss.trim() == "double-softmax");
    let loss_error = move || field_error(state, LabField::Loss);
    view! {
        <form
            class="mnist-panel mnist-form"
            data-testid="mnist-settings"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                state.start_from_form();
            }
        >
            <h2 class="mnist-panel__title">"Settings"</h2>
            {select_row(LabField::Model, "Model", models)}
            <TextField state field=LabField::Batch label="Batch size" hint="Digits per SGD step, 1 to 1024." />
            <TextField state field=LabField::Lr label="Learning rate" hint="Above 0, at most 10 (e.g. 0.05)." />
            <TextField state field=LabField::Epochs label="Epochs" hint="Passes over the training digits, 1 to 100." />
            {select_row(LabField::Optimizer, "Optimizer", optimizers)}
            <TextField state field=LabField::Seed label="Seed" hint="Same seed, same settings: the same numbers." />
            <div class="mnist-form__row mnist-form__row--check">
                <label class="mnist-form__check">
                    <input
                        type="checkbox"
                        data-testid="mnist-double-softmax"
                        prop:checked=double_softmax
                        prop:disabled=move || state.is_running()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            set_field(state, LabField::Loss, if on { "double-softmax" } else { "ce" }.into());
                        }
                    />
                    " Faithful double softmax (the Graphcore example's loss; see the note below)"
                </label>
                <p class="mnist-form__error" data-testid="mnist-error-loss" role="alert">{loss_error}</p>
            </div>
            <div class="mnist-form__actions">
                <button
                    type="submit"
                    class="mnist-button mnist-button--primary"
                    data-testid="mnist-start"
                    prop:disabled=move || invalid.get() || state.is_running() || !data_ready()
                >
                    "Start training"
                </button>
                <button
                    type="button"
                    class="mnist-button"
                    data-testid="mnist-cancel"
                    prop:disabled=move || !state.is_running()
                    on:click=move |_| state.cancel()
                >
                    "Cancel"
                </button>
            </div>
            <button
                type="button"
                class="mnist-button mnist-button--wide"
                data-testid="mnist-graphcore-defaults"
                prop:disabled=move || state.is_running()
                on:click=move |_| state.set_up(&RunConfig::graphcore_example())
            >
                "Graphcore example defaults (CNN, batch 8, SGD, lr 0.05, 10 epochs)"
            </button>
            <p class="mnist-form__hint" data-testid="mnist-invalid-note">
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
        <section class="mnist-panel" aria-labelledby="mnist-data-title">
            <h2 class="mnist-panel__title" id="mnist-data-title">"Data"</h2>
            <p class="mnist-data__status" class:mnist-data__status--error=failed data-testid="mnist-data-status">
                {status}
            </p>
            <p class="mnist-form__hint">
                "Real MNIST digits (LeCun, Cortes and Burges; CC BY-SA 3.0), from the npm package "
                <code>"mnist"</code>" 1.1.0: "
                <a href="public/data/README.md">"provenance and checksums"</a>"."
            </p>
            <details class="mnist-upload" data-testid="mnist-upload-details">
                <summary>"Use your own MNIST files"</summary>
                <p class="mnist-form__hint">
                    "The four IDX files of the full set (for example "<code>"train-images-idx3-ubyte.gz"</code>
                    " and "<code>"t10k-labels-idx1-ubyte"</code>"), raw or gzip. They are read here, in your "
                    "browser; if one is wrong, the digits in use stay in use."
                </p>
                {DataFile::ALL
                    .iter()
                    .zip(inputs.get_value())
                    .map(|(&file, (_, node))| {
                        view! {
                            <div class="mnist-form__row">
                                <label class="mnist-form__label" for=format!("mnist-file-{}", file.key())>{file.label()}</label>
                                <input
                                    id=format!("mnist-file-{}", file.key())
                                    class="mnist-upload__input"
                                    type="file"
                                    data-testid=format!("mnist-file-{}", file.key())
                                    node_ref=node
                                    prop:disabled=move || state.is_running() || state.uploading.get()
                                />
                                <p class="mnist-form__error" data-testid=format!("mnist-file-error-{}", file.key()) role="alert">
                                    {move || error_for(file)}
                                </p>
                            </div>
                        }
                    })
                    .collect_view()}
                <div class="mnist-form__actions">
                    <button
                        type="button"
                        class="mnist-button"
                        data-testid="mnist-upload"
                        prop:disabled=move || state.is_running() || state.uploading.get()
                        on:click=upload
                    >
                        {move || if state.uploading.get() { "Reading…" } else { "Use these files" }}
                    </button>
                    <button
                        type="button"
                        class="mnist-button"
                        data-testid="mnist-use-bundled"
                        prop:hidden=move || !using_upload()
                        prop:disabled=move || state.is_running()
                        on:click=move |_| {
                            state.set_data_state(DataState::Loading);
                            super::load_bundled(state);
                        }
                    >
                        "Back to the bundled digits"
                    </button>
                </div>
                <p class="mnist-form__error" data-testid="mnist-upload-error" role="alert">{general_error}</p>
                <p class="mnist-upload__note" data-testid="mnist-upload-note">{upload_note}</p>
            </details>
        </section>
    }
}

fn status_text(
    run: Option<&LiveRun<RunConfig>>,
    epochs_done: usize,
    last_accuracy: Option<f32>,
    queued: usize,
) -> String {
    let Some(run) = run else {
        return "Ready: choose the settings and start.".into();
    };
    let sweep = if queued > 0 {
        format!(
            " ({queued} more sweep run{} queued)",
            if queued == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    match &run.phase {
        RunPhase::Starting => format!("Starting run {}…", run.run_id),
        RunPhase::Training => format!(
            "Training run {}: epoch {} of {}{sweep}.",
            run.run_id,
            (epochs_done + 1).min(run.config.n_epochs),
            run.config.n_epochs
        ),
        RunPhase::Ended(RunOutcome::Finished) => format!(
            "Finished run {}: test accuracy {}.",
            run.run_id,
            last_accuracy.map_or("–".into(), percent)
        ),
        RunPhase::Ended(RunOutcome::Cancelled) => format!(
            "Cancelled run {} after {epochs_done} of {} epochs.",
            run.run_id, run.config.n_epochs
        ),
        RunPhase::Ended(RunOutcome::Diverged { message }) => message.clone(),
        RunPhase::Failed(message) => message.clone(),
    }
}

/// Status, progress bar, rate and time left.
#[component]
pub fn RunPanel(state: LabState) -> impl IntoView {
    let status = move || {
        let queued = state.sweep_queue.with(Vec::len);
        let (n_done, last) = state
            .epochs
            .with(|e| (e.len(), e.last().map(|r| r.test_accuracy)));
        state
            .current
            .with(|c| status_text(c.as_ref(), n_done, last, queued))
    };
    let fraction = move || {
        state.current.with(|c| {
            c.as_ref().map_or(0.0, |r| {
                if matches!(r.phase, RunPhase::Ended(RunOutcome::Finished)) {
                    1.0
                } else if r.n_samples_total > 0 {
                    r.n_samples_done as f64 / r.n_samples_total as f64
                } else {
                    0.0
                }
            })
        })
    };
    let rate = move || {
        state.current.with(|c| {
            c.as_ref()
                .filter(|r| r.train_ms > 0.0)
                .map_or("–".into(), |r| {
                    thousands((r.n_samples_done as f64 / (r.train_ms / 1000.0)).round() as usize)
                })
        })
    };
    let eta = move || {
        let n_epochs_done = state.epochs.with(Vec::len);
        state.current.with(|c| match c {
            Some(r) if r.is_active() => seconds_left(
                r.n_samples_done,
                r.n_samples_total,
                r.train_ms,
                r.eval_ms,
                n_epochs_done,
                r.config.n_epochs,
            )
            .map_or("estimating…".into(), format_duration),
            Some(_) => "0 s".into(),
            None => "–".into(),
        })
    };
    let samples = move || {
        state.current.with(|c| {
            c.as_ref().map_or("–".into(), |r| {
                format!(
                    "{} of {}",
                    thousands(r.n_samples_done),
                    thousands(r.n_samples_total)
                )
            })
        })
    };
    let params = move || {
        state.current.with(|c| {
            c.as_ref()
                .filter(|r| r.n_params > 0)
                .map_or("–".into(), |r| thousands(r.n_params))
        })
    };
    let summary = move || {
        state
            .current
            .with(|c| c.as_ref().map(|r| r.config.summary()))
    };
    let bad = move || {
        state.current.with(|c| {
            c.as_ref().is_some_and(|r| {
                matches!(
                    r.phase,
                    RunPhase::Failed(_) | RunPhase::Ended(RunOutcome::Diverged { .. })
                )
            })
        })
    };
    view! {
        <section class="mnist-panel mnist-run" aria-labelledby="mnist-run-title">
            <h2 class="mnist-panel__title" id="mnist-run-title">"Run"</h2>
            <p class="mnist-run__status" class:mnist-run__status--bad=bad data-testid="mnist-status" aria-live="polite">
                {status}
            </p>
            <p class="mnist-run__config" data-testid="mnist-run-config">{summary}</p>
            <div
                class="mnist-progress"
                role="progressbar"
                aria-label="Training progress"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || format!("{:.0}", fraction() * 100.0)
                data-testid="mnist-progress"
            >
                <div class="mnist-progress__bar" style:width=move || format!("{:.2}%", fraction() * 100.0)></div>
            </div>
            <dl class="mnist-run__figures">
                <div><dt>"Samples"</dt><dd data-testid="mnist-samples">{samples}</dd></div>
                <div><dt>"Samples/s"</dt><dd data-testid="mnist-rate">{rate}</dd></div>
                <div><dt>"Time left"</dt><dd data-testid="mnist-eta">{eta}</dd></div>
                <div><dt>"Parameters"</dt><dd data-testid="mnist-params">{params}</dd></div>
            </dl>
            <p class="mnist-form__error" data-testid="mnist-worker-error" role="alert">
                {move || state.worker_error.get()}
            </p>
        </section>
    }
}

/// The live loss or accuracy curve, with a toggle between them.
#[component]
pub fn CurvesPanel(state: LabState) -> impl IntoView {
    let kind = RwSignal::new(CurveKind::Loss);
    let canvas = NodeRef::<Canvas>::new();
    let theme = theme_signal();
    let chart_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        theme.track();
        let kind = kind.get();
        let data = CurveData {
            points: state.points.get(),
            test: state.epochs.with(|e| {
                e.iter()
                    .map(|r| (r.epoch as f32, r.test_loss, r.test_accuracy))
                    .collect()
            }),
            n_epochs: state
                .current
                .with(|c| c.as_ref().map_or(3, |r| r.config.n_epochs)),
        };
        if let Some(canvas) = canvas.get() {
            let result = draw_training_curves(&canvas, &data, kind, &chart_colours());
            chart_error.set(result.err());
        }
    });
    let tab = move |k: CurveKind, label: &'static str| {
        view! {
            <button
                type="button"
                class="mnist-tab"
                class:mnist-tab--on=move || kind.get() == k
                aria-pressed=move || if kind.get() == k { "true" } else { "false" }
                data-testid=format!("mnist-curve-{}", k.as_str())
                on:click=move |_| kind.set(k)
            >
                {label}
            </button>
        }
    };
    view! {
        <section class="mnist-panel" aria-labelledby="mnist-curves-title">
            <div class="mnist-panel__head">
                <h2 class="mnist-panel__title" id="mnist-curves-title">"Curves"</h2>
                <div class="mnist-tabs" role="group" aria-label="Curve shown">
                    {tab(CurveKind::Loss, "Loss")}
                    {tab(CurveKind::Accuracy, "Accuracy")}
                </div>
            </div>
            <canvas
                class="mnist-chart"
                node_ref=canvas
                data-testid="mnist-curve"
                data-showing=move || kind.get().as_str()
                role="img"
                aria-label=move || format!(
                    "{} against epochs: training batches as a line, the test set after each epoch as dots; the numbers are in the table below",
                    if kind.get() == CurveKind::Loss { "Loss" } else { "Accuracy" }
                )
            ></canvas>
            <ul class="mnist-legend" aria-hidden="true">
                <li><span class="mnist-legend__line"></span>"training (mean over groups of batches)"</li>
                <li><span class="mnist-legend__dot"></span>"test set (after each epoch)"</li>
            </ul>
            <p class="mnist-form__error">{move || chart_error.get()}</p>
        </section>
    }
}

/// Test accuracy (and the rest) after each epoch.
#[component]
pub fn EpochTable(state: LabState) -> impl IntoView {
    view! {
        <section class="mnist-panel" aria-labelledby="mnist-epochs-title">
            <h2 class="mnist-panel__title" id="mnist-epochs-title">"Each epoch"</h2>
            <div class="mnist-scroll">
                <table class="mnist-table" data-testid="mnist-epochs">
                    <thead>
                        <tr>
                            <th scope="col">"Epoch"</th>
                            <th scope="col">"Train loss"</th>
                            <th scope="col">"Train acc."</th>
                            <th scope="col">"Test loss"</th>
                            <th scope="col">"Test acc."</th>
                            <th scope="col" title="Mean gradient norm: 0 means the weights have stopped changing">"‖grad‖"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            state
                                .epochs
                                .get()
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <tr data-testid="mnist-epoch-row">
                                            <td>{row.epoch}</td>
                                            <td>{format!("{:.4}", row.train_loss)}</td>
                                            <td>{percent(row.train_accuracy)}</td>
                                            <td>{row.test_loss.map_or("not finite".into(), |l| format!("{l:.4}"))}</td>
                                            <td data-testid=format!("mnist-test-accuracy-{}", row.epoch)>
                                                {format!("{:.4}", row.test_accuracy)}
                                            </td>
                                            <td>{format!("{:.3}", row.mean_grad_norm)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
            </div>
            <p class="mnist-empty" hidden=move || state.epochs.with(|e| !e.is_empty())>
                "The test set is evaluated after every epoch."
            </p>
            {move || {
                state.epochs.with(|e| {
                    e.last().filter(|r| r.dominant_share > 0.9).map(|r| {
                        view! {
                            <p class="mnist-warning" data-testid="mnist-collapse">
                                {format!(
                                    "The model predicts “{}” for {:.1} % of the test digits: it has collapsed to one class, as the IPU's run at lr 0.5 did.",
                                    r.dominant_class,
                                    r.dominant_share * 100.0
                                )}
                            </p>
                        }
                    })
                })
            }}
        </section>
    }
}

/// The last epoch's confusion matrix.
#[component]
pub fn ConfusionPanel(state: LabState) -> impl IntoView {
    let matrix = Memo::new(move |_| state.epochs.with(|e| e.last().map(|r| r.confusion.clone())));
    view! {
        <section class="mnist-panel mnist-pair__item" aria-labelledby="mnist-confusion-title">
            <h2 class="mnist-panel__title" id="mnist-confusion-title">"Confusion matrix"</h2>
            {move || match matrix.get() {
                None => view! { <p class="mnist-empty">"After the first epoch: rows are the true digits, columns the predictions."</p> }.into_any(),
                Some(m) => {
                    let largest_off = m
                        .iter()
                        .enumerate()
                        .flat_map(|(t, row)| row.iter().enumerate().filter(move |(p, _)| *p != t).map(|(_, &c)| c))
                        .max()
                        .unwrap_or(0)
                        .max(1);
                    view! {
                        <div class="mnist-scroll">
                            <table class="mnist-confusion" data-testid="mnist-confusion">
                                <caption class="mnist-confusion__caption">"True digit (rows) × predicted digit (columns), test set"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col"><span class="mnist-visually-hidden">"True digit"</span></th>
                                        {(0..10).map(|p| view! { <th scope="col">{p}</th> }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {m.iter().enumerate().map(|(t, row)| {
                                        let total: u32 = row.iter().sum::<u32>().max(1);
                                        view! {
                                            <tr>
                                                <th scope="row">{t}</th>
                                                {row.iter().enumerate().map(|(p, &count)| {
                                                    let (class, share) = if p == t {
                                                        ("mnist-confusion__cell mnist-confusion__cell--hit", f64::from(count) / f64::from(total))
                                                    } else {
                                                        ("mnist-confusion__cell mnist-confusion__cell--miss", f64::from(count) / f64::from(largest_off))
                                                    };
                                                    let strength = (share * 100.0).round().clamp(0.0, 100.0);
                                                    view! {
                                                        <td class=class style=format!("--mnist-strength: {strength}%") title=format!("{count} digits {t} predicted as {p}")>
                                                            {(count > 0).then(|| count.to_string())}
                                                        </td>
                                                    }
                                                }).collect_view()}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            }}
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
    view! { <canvas class="mnist-digit" width="28" height="28" node_ref=canvas role="img" aria-label=label></canvas> }
}

/// The test digits the model got wrong, most confident first.
#[component]
pub fn MisclassifiedPanel(state: LabState) -> impl IntoView {
    view! {
        <section class="mnist-panel mnist-pair__item" aria-labelledby="mnist-mistakes-title">
            <h2 class="mnist-panel__title" id="mnist-mistakes-title">"Misclassified test digits"</h2>
            {move || {
                let report = state.misclassified.get();
                let (mistakes, n_total) = (report.shown, report.n_total);
                if mistakes.is_empty() {
                    return view! { <p class="mnist-empty">"When a run ends: the test digits its model got wrong, the most confident mistakes first."</p> }.into_any();
                }
                view! {
                    <p class="mnist-form__hint" data-testid="mnist-mistakes-count">
                        {format!("{} of {} mistakes shown; each reads true → predicted (confidence).", mistakes.len(), thousands(n_total))}
                    </p>
                    <ul class="mnist-mistakes" data-testid="mnist-mistakes">
                        {mistakes.into_iter().map(|m| {
                            let caption = format!("{} → {} ({:.0} %)", m.label, m.predicted, m.confidence * 100.0);
                            let label = format!("Test digit {}: a {} the model read as {}", m.item_idx, m.label, m.predicted);
                            view! {
                                <li class="mnist-mistakes__item" data-testid="mnist-mistake">
                                    <DigitImage pixels=m.pixels label />
                                    <span class="mnist-mistakes__caption">{caption}</span>
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
    let has_model = move || state.current.with(Option::is_some);
    view! {
        <section class="mnist-panel" aria-labelledby="mnist-draw-title">
            <h2 class="mnist-panel__title" id="mnist-draw-title">"Draw a digit"</h2>
            <p class="mnist-form__hint">
                "Draw one digit, large, in the black square. It is cropped, scaled to 20×20 and centred by "
                "its centre of mass in a 28×28 image, as the MNIST digits were, then given to the model "
                "of the latest run (while it trains, too)."
            </p>
            <div class="mnist-draw">
                <DigitPad on_digit on_clear />
                <div class="mnist-draw__answer" data-testid="mnist-answer">
                    {move || match (state.prediction.get(), state.predict_error.get()) {
                        (Some(p), _) => {
                            let when = if p.while_training {
                                format!("run {}, still training", p.run_id)
                            } else {
                                format!("run {}, trained", p.run_id)
                            };
                            view! {
                                <p class="mnist-draw__class">
                                    "Prediction: "
                                    <strong data-testid="mnist-prediction">{p.answer.class}</strong>
                                    <span class="mnist-draw__when">{format!(" ({when})")}</span>
                                </p>
                                <ol class="mnist-probs" data-testid="mnist-probabilities" start="0">
                                    {p.answer.probabilities.iter().enumerate().map(|(digit, &prob)| {
                                        view! {
                                            <li class="mnist-probs__row" class:mnist-probs__row--top=digit == p.answer.class data-testid=format!("mnist-prob-{digit}")>
                                                <span class="mnist-probs__digit">{digit}</span>
                                                <span class="mnist-probs__track"><span class="mnist-probs__bar" style:width=format!("{:.1}%", prob * 100.0)></span></span>
                                                <span class="mnist-probs__value">{format!("{:.1} %", prob * 100.0)}</span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                        (None, Some(message)) => view! { <p class="mnist-form__error" data-testid="mnist-predict-error">{message}</p> }.into_any(),
                        (None, None) => view! {
                            <p class="mnist-empty">
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
        <section class="mnist-panel" aria-labelledby="mnist-sweep-title">
            <h2 class="mnist-panel__title" id="mnist-sweep-title">"The Graphcore learning-rate sweep"</h2>
            <p>
                "The homework ran the example (CNN, batch 8, plain SGD, its double softmax, 10 epochs of "
                "60,000 digits) on one Bow IPU at four learning rates. Run the same four here; each run "
                "uses the epochs and seed in the settings."
            </p>
            <div class="mnist-scroll">
                <table class="mnist-table" data-testid="mnist-sweep">
                    <thead>
                        <tr>
                            <th scope="col">"Learning rate"</th>
                            <th scope="col">"Bow IPU (10 epochs × 60,000)"</th>
                            <th scope="col">"Here (latest run)"</th>
                            <th scope="col"><span class="mnist-visually-hidden">"Set up"</span></th>
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
                                    <td class="mnist-table__wrap" data-testid=format!("mnist-sweep-ours-{lr_text}")>{ours}</td>
                                    <td>
                                        <button
                                            type="button"
                                            class="mnist-button mnist-button--small"
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
            </div>
            <div class="mnist-form__actions">
                <button
                    type="button"
                    class="mnist-button mnist-button--primary"
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
            <p class="mnist-source">
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

/// Every run of this visit, and the CSV export.
#[component]
pub fn RunsPanel(state: LabState) -> impl IntoView {
    let export_error = RwSignal::new(None::<String>);
    let anchor = NodeRef::<leptos::html::A>::new();
    let export = move |_| {
        let Some(anchor) = anchor.get() else {
            return;
        };
        let csv = state.records.with(|r| to_csv(r));
        export_error.set(download_text(&anchor, "mnist-lab-runs.csv", "text/csv", &csv).err());
    };
    view! {
        <section class="mnist-panel" aria-labelledby="mnist-runs-title">
            <div class="mnist-panel__head">
                <h2 class="mnist-panel__title" id="mnist-runs-title">"Runs in this visit"</h2>
                <button
                    type="button"
                    class="mnist-button"
                    data-testid="mnist-csv"
                    prop:disabled=move || state.records.with(Vec::is_empty)
                    on:click=export
                >
                    "Download CSV"
                </button>
                <a node_ref=anchor data-testid="mnist-csv-file" hidden aria-hidden="true"></a>
            </div>
            <div class="mnist-scroll">
                <table class="mnist-table" data-testid="mnist-runs">
                    <thead>
                        <tr>
                            <th scope="col">"Run"</th>
                            <th scope="col">"Settings"</th>
                            <th scope="col">"Data"</th>
                            <th scope="col">"Test acc."</th>
                            <th scope="col">"Outcome"</th>
                            <th scope="col"><span class="mnist-visually-hidden">"Settings"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || state.records.get().into_iter().rev().map(|r| {
                            let config = r.config;
                            view! {
                                <tr>
                                    <td>{r.run_id}</td>
                                    <td class="mnist-table__wrap">{r.config.summary()}</td>
                                    <td>{r.data.clone()}</td>
                                    <td>{r.final_accuracy().map_or("–".into(), percent)}</td>
                                    <td>{r.outcome_word()}</td>
                                    <td>
                                        <button
                                            type="button"
                                            class="mnist-button mnist-button--small"
                                            prop:disabled=move || state.is_running()
                                            on:click=move |_| state.set_up(&config)
                                        >
                                            "Use again"
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p class="mnist-form__error" role="alert">{move || export_error.get()}</p>
        </section>
    }
}

/// The double softmax of the Graphcore example, explained.
#[component]
pub fn DoubleSoftmaxNote() -> impl IntoView {
    view! {
        <section class="mnist-panel mnist-note" aria-labelledby="mnist-note-title" data-testid="mnist-double-softmax-note">
            <h2 class="mnist-panel__title" id="mnist-note-title">"The example's double softmax"</h2>
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
        <p class="mnist-lab__links">
            "Read first: "
            <a href=Route::Lesson { slug: "graphcore-ipu".into() }.href()>"Graphcore IPU"</a>
            " · "
            <a href=Route::Lesson { slug: "homework".into() }.href()>"The homework, and what the machines reported"</a>
        </p>
    }
}
