//! The panels every lab shows the same way, over the shared lab state
//! (`crate::training::state`): run status with progress and time left, the live curves, the
//! table of epochs, the confusion matrix, and the runs of this visit with their CSV. A lab
//! gives them a [`LabView`] (memos of its `LabModel`'s parts and its test-id prefix); its own
//! panels (data, settings, drawing pad, sentences) stay with the lab's page.

mod handle;

pub use handle::LabHandle;

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::components::ScrollBox;

use crate::charts::training_curves::{CurveData, CurveKind, chart_colours, draw_training_curves};
use crate::files::download_text;
use crate::theme::{Theme, ThemeContext};
use crate::training::form::{Form, LabFields};
use crate::training::protocol::{CurvePoint, EpochRow, RunOutcome, RunSettings};
use crate::training::state::{LiveRun, RunPhase, RunRecord};
use crate::training::text::{format_duration, seconds_left};

/// What the shared panels read of a lab, and the prefix of their test ids and element ids
/// (`mnist` → `mnist-status`).
#[derive(Debug)]
pub struct LabView<C: RunSettings> {
    pub prefix: &'static str,
    pub current: Memo<Option<LiveRun<C>>>,
    pub points: Memo<Vec<CurvePoint>>,
    pub epochs: Memo<Vec<EpochRow>>,
    pub records: Memo<Vec<RunRecord<C>>>,
    /// Runs waiting after the current one.
    pub queued: Signal<usize>,
    pub worker_error: Memo<Option<String>>,
}

impl<C: RunSettings> Clone for LabView<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C: RunSettings> Copy for LabView<C> {}

impl<C: RunSettings> LabView<C> {
    fn id(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Whether a run is starting or training.
    pub fn is_running(&self) -> bool {
        self.current
            .with(|c| c.as_ref().is_some_and(LiveRun::is_active))
    }
}

/// A lab form's "Start training" (a submit button) and "Cancel" pair, with test ids
/// `<prefix>-start` and `<prefix>-cancel`. When a run ends while Cancel has the focus, Cancel
/// becomes disabled and would drop the focus to the page's body, so the focus moves to Start.
#[component]
pub fn RunActions(
    /// Test-id prefix (`mnist`).
    prefix: &'static str,
    /// Whether Start is disabled (bad settings, no data, a run in progress).
    #[prop(into)]
    start_disabled: Signal<bool>,
    /// Whether a run is starting or training.
    #[prop(into)]
    running: Signal<bool>,
    /// What Cancel does.
    on_cancel: impl Fn() + 'static,
) -> impl IntoView {
    let start = NodeRef::<leptos::html::Button>::new();
    let cancel = NodeRef::<leptos::html::Button>::new();
    // Whether Cancel held the focus last: set when it gains it, cleared when the focus goes to
    // another element. The browser drops the focus of a disabled button at its next rendering
    // (a blur with no element receiving it), so either may hold when the effect looks.
    let cancel_held_focus = StoredValue::new(false);
    Effect::new(move |was_running: Option<bool>| {
        let now = running.get();
        if was_running == Some(true) && !now && cancel_held_focus.get_value() {
            cancel_held_focus.set_value(false);
            // At the next frame the buttons' `disabled` are written to the page; the focus is
            // still on the disabled Cancel, or already dropped to the body.
            request_animation_frame(move || {
                let focus_dropped = document().active_element().is_none_or(|active| {
                    Some(&active) == document().body().as_deref()
                        || cancel.get_untracked().is_some_and(|button| {
                            let button: &web_sys::Element = &button;
                            *button == active
                        })
                });
                if focus_dropped && let Some(start) = start.get_untracked() {
                    let options = web_sys::FocusOptions::new();
                    options.set_prevent_scroll(true);
                    let _ = start.focus_with_options(&options);
                }
            });
        }
        now
    });
    view! {
        <div class="lab-form__actions">
            <button
                type="submit"
                class="lab-button lab-button--primary"
                data-testid=format!("{prefix}-start")
                node_ref=start
                prop:disabled=move || start_disabled.get()
            >
                "Start training"
            </button>
            <button
                type="button"
                class="lab-button"
                data-testid=format!("{prefix}-cancel")
                node_ref=cancel
                prop:disabled=move || !running.get()
                on:click=move |_| on_cancel()
                on:focus=move |_| cancel_held_focus.set_value(true)
                on:blur=move |ev: web_sys::FocusEvent| {
                    if ev.related_target().is_some() {
                        cancel_held_focus.set_value(false);
                    }
                }
            >
                "Cancel"
            </button>
        </div>
    }
}

/// The theme as a signal (light when no theme context is provided).
pub fn theme_signal() -> Signal<Theme> {
    let theme = use_context::<ThemeContext>().map(|c| c.theme);
    Signal::derive(move || theme.map_or(Theme::Light, |t| t.get()))
}

/// "98.58 %".
pub fn percent(x: f32) -> String {
    format!("{:.2} %", x * 100.0)
}

/// "60,000".
pub fn thousands(n: usize) -> String {
    sim::units::thousands(u64::try_from(n).unwrap_or(u64::MAX))
}

/// Sets one field of a lab's form, as typed, and puts the form in the address bar.
pub fn set_form_field<F: LabFields>(form: RwSignal<Form<F>>, field: F, value: &str) {
    write_field(form, field, value, lab_address);
}

/// A lab page's address: its own form's.
fn lab_address<F: LabFields>(form: &Form<F>) {
    crate::route::replace_url(&form.href());
}

/// Sets `field` to `value`, writes the address with `write`, then updates the form.
fn write_field<F: LabFields>(form: RwSignal<Form<F>>, field: F, value: &str, write: fn(&Form<F>)) {
    let next = form.get_untracked().with_field(field, value);
    write(&next);
    form.set(next);
}

/// A form's fields through [`SettingsField`]: each shows its text and its sentence, and
/// typing into one updates the form and writes the address. Which address, and the ids'
/// prefix, are what differ between a lab page ([`FormFields::lab`]) and a section of the
/// homework page (its own prefix, and an address that keeps the other sections' settings).
#[derive(Clone, Copy, Debug)]
pub struct FormFields<F: LabFields> {
    /// The settings as typed.
    pub form: RwSignal<Form<F>>,
    /// While true (a run), the fields take no input.
    pub disabled: Signal<bool>,
    /// Ids and test ids are `prefix-key` (a key already starting with `prefix-` keeps it once).
    pub prefix: &'static str,
    /// Writes the address after a change.
    pub write: fn(&Form<F>),
}

impl<F: LabFields> FormFields<F> {
    /// A lab page's fields: ids `<lab>-<key>`, and the address is the form's own.
    pub fn lab(form: RwSignal<Form<F>>, disabled: Signal<bool>) -> Self {
        Self {
            form,
            disabled,
            prefix: F::LAB,
            write: lab_address,
        }
    }

    /// The field `field`, with `options` a choice (none: a text box).
    pub fn field(
        self,
        field: F,
        label: &'static str,
        hint: &'static str,
        options: Vec<(&'static str, &'static str)>,
    ) -> impl IntoView {
        let Self {
            form,
            disabled,
            prefix,
            write,
        } = self;
        let key = field
            .key()
            .strip_prefix(prefix)
            .and_then(|k| k.strip_prefix('-'))
            .unwrap_or(field.key());
        view! {
            <SettingsField
                prefix
                key
                label
                hint
                options
                value=Signal::derive(move || form.with(|f| f.field(field).to_string()))
                error=Signal::derive(move || form.with(|f| f.error(field)))
                disabled
                on_input=Callback::new(move |value: String| write_field(form, field, &value, write))
            />
        }
    }
}

/// A labelled setting (a text box, or a choice when `options` are given) with its hint and
/// its error sentence beside it; ids and test ids are `prefix-key` and `prefix-error-key`.
#[component]
pub fn SettingsField(
    prefix: &'static str,
    key: &'static str,
    label: &'static str,
    /// The text as typed.
    value: Signal<String>,
    /// Why the text is not accepted.
    error: Signal<Option<String>>,
    disabled: Signal<bool>,
    on_input: Callback<String>,
    #[prop(optional)] hint: &'static str,
    /// `(value, text)` of each choice (none: a text box).
    #[prop(optional)]
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let id = format!("{prefix}-{key}");
    let error_id = format!("{prefix}-error-{key}");
    let control = if options.is_empty() {
        view! {
            <input
                id=id.clone()
                class="lab-form__input"
                class:lab-form__input--invalid=move || error.with(Option::is_some)
                type="text"
                inputmode="decimal"
                autocomplete="off"
                spellcheck="false"
                data-testid=id.clone()
                prop:value=move || value.get()
                prop:disabled=move || disabled.get()
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=error_id.clone()
                on:input=move |ev| on_input.run(event_target_value(&ev))
            />
        }
        .into_any()
    } else {
        view! {
            <select
                id=id.clone()
                class="lab-form__input"
                class:lab-form__input--invalid=move || error.with(Option::is_some)
                data-testid=id.clone()
                prop:disabled=move || disabled.get()
                aria-describedby=error_id.clone()
                on:change=move |ev| on_input.run(event_target_value(&ev))
            >
                {options
                    .into_iter()
                    .map(|(choice, text)| {
                        view! {
                            <option value=choice selected=move || value.with(|v| v == choice)>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        }
        .into_any()
    };
    view! {
        <div class="lab-form__row">
            <label class="lab-form__label" for=id>{label}</label>
            {control}
            {(!hint.is_empty()).then(|| view! { <p class="lab-form__hint">{hint}</p> })}
            <p class="lab-form__error" id=error_id.clone() data-testid=error_id role="alert">
                {move || error.get()}
            </p>
        </div>
    }
}

/// The run panel's status sentence.
pub fn status_text<C: RunSettings>(
    run: Option<&LiveRun<C>>,
    epochs_done: usize,
    last: Option<&EpochRow>,
    queued: usize,
) -> String {
    let Some(run) = run else {
        return "Ready: choose the settings and start.".into();
    };
    let n_epochs = run.config.n_epochs();
    let more = if queued > 0 {
        format!(
            " ({queued} more run{} queued)",
            if queued == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    match &run.phase {
        RunPhase::Starting => format!("Starting run {}…", run.run_id),
        RunPhase::Training => format!(
            "Training run {}: epoch {} of {n_epochs}{more}.",
            run.run_id,
            (epochs_done + 1).min(n_epochs),
        ),
        RunPhase::Ended(RunOutcome::Finished) => format!(
            "Finished run {}: {}.",
            run.run_id,
            last.map_or("test accuracy –".into(), |row| run.config.result(row))
        ),
        RunPhase::Ended(RunOutcome::Cancelled) => format!(
            "Cancelled run {} after {epochs_done} of {n_epochs} epochs.",
            run.run_id
        ),
        RunPhase::Ended(RunOutcome::Diverged { message } | RunOutcome::Failed { message }) => {
            message.clone()
        }
        RunPhase::Failed(message) => message.clone(),
    }
}

/// Status, progress bar, rate and time left.
#[component]
pub fn RunPanel<C: RunSettings>(lab: LabView<C>) -> impl IntoView {
    let status = move || {
        let queued = lab.queued.get();
        lab.epochs.with(|e| {
            lab.current
                .with(|c| status_text(c.as_ref(), e.len(), e.last(), queued))
        })
    };
    let fraction = move || {
        lab.current.with(|c| {
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
        lab.current.with(|c| {
            c.as_ref()
                .filter(|r| r.train_ms > 0.0)
                .map_or("–".into(), |r| {
                    thousands((r.n_samples_done as f64 / (r.train_ms / 1000.0)).round() as usize)
                })
        })
    };
    let eta = move || {
        let n_epochs_done = lab.epochs.with(Vec::len);
        lab.current.with(|c| match c {
            Some(r) if r.is_active() => seconds_left(
                r.n_samples_done,
                r.n_samples_total,
                r.train_ms,
                r.eval_ms,
                n_epochs_done,
                r.config.n_epochs(),
            )
            .map_or("estimating…".into(), format_duration),
            Some(_) => "0 s".into(),
            None => "–".into(),
        })
    };
    let samples = move || {
        lab.current.with(|c| {
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
        lab.current.with(|c| {
            c.as_ref()
                .filter(|r| r.n_params > 0)
                .map_or("–".into(), |r| thousands(r.n_params))
        })
    };
    let summary = move || lab.current.with(|c| c.as_ref().map(|r| r.config.summary()));
    let bad = move || {
        lab.current.with(|c| {
            c.as_ref().is_some_and(|r| {
                matches!(
                    r.phase,
                    RunPhase::Failed(_)
                        | RunPhase::Ended(RunOutcome::Diverged { .. } | RunOutcome::Failed { .. })
                )
            })
        })
    };
    view! {
        <section class="lab-panel lab-run" aria-labelledby=lab.id("run-title")>
            <h2 class="lab-panel__title" id=lab.id("run-title")>"Run"</h2>
            <p class="lab-run__status" class:lab-run__status--bad=bad data-testid=lab.id("status") aria-live="polite">
                {status}
            </p>
            <p class="lab-run__config" data-testid=lab.id("run-config")>{summary}</p>
            <div
                class="lab-progress"
                role="progressbar"
                aria-label="Training progress"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=move || format!("{:.0}", fraction() * 100.0)
                data-testid=lab.id("progress")
            >
                <div class="lab-progress__bar" style:width=move || format!("{:.2}%", fraction() * 100.0)></div>
            </div>
            <dl class="lab-run__figures">
                <div><dt>"Samples"</dt><dd data-testid=lab.id("samples")>{samples}</dd></div>
                <div><dt>"Samples/s"</dt><dd data-testid=lab.id("rate")>{rate}</dd></div>
                <div><dt>"Time left"</dt><dd data-testid=lab.id("eta")>{eta}</dd></div>
                <div><dt>"Parameters"</dt><dd data-testid=lab.id("params")>{params}</dd></div>
            </dl>
            <p class="lab-form__error" data-testid=lab.id("worker-error") role="alert">
                {move || lab.worker_error.get()}
            </p>
        </section>
    }
}

/// The live loss or accuracy curve, with a toggle between them.
#[component]
pub fn CurvesPanel<C: RunSettings>(lab: LabView<C>) -> impl IntoView {
    let kind = RwSignal::new(CurveKind::Loss);
    let canvas = NodeRef::<Canvas>::new();
    let theme = theme_signal();
    let chart_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        theme.track();
        let kind = kind.get();
        let data = CurveData {
            points: lab.points.get(),
            test: lab.epochs.with(|e| {
                e.iter()
                    .map(|r| (r.epoch as f32, r.test_loss, r.test_accuracy))
                    .collect()
            }),
            n_epochs: lab
                .current
                .with(|c| c.as_ref().map_or(3, |r| r.config.n_epochs())),
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
                class="lab-tab"
                class:lab-tab--on=move || kind.get() == k
                aria-pressed=move || if kind.get() == k { "true" } else { "false" }
                data-testid=lab.id(&format!("curve-{}", k.as_str()))
                on:click=move |_| kind.set(k)
            >
                {label}
            </button>
        }
    };
    let test_set = move || {
        lab.current
            .with(|c| c.as_ref().map_or("the test set", |r| r.config.test_set()))
    };
    view! {
        <section class="lab-panel" aria-labelledby=lab.id("curves-title")>
            <div class="lab-panel__head">
                <h2 class="lab-panel__title" id=lab.id("curves-title")>"Curves"</h2>
                <div class="lab-tabs" role="group" aria-label="Curve shown">
                    {tab(CurveKind::Loss, "Loss")}
                    {tab(CurveKind::Accuracy, "Accuracy")}
                </div>
            </div>
            <canvas
                class="lab-chart"
                node_ref=canvas
                data-testid=lab.id("curve")
                data-showing=move || kind.get().as_str()
                role="img"
                aria-label=move || format!(
                    "{} against epochs: training batches as a line, {} after each epoch as dots; the numbers are in the table below",
                    if kind.get() == CurveKind::Loss { "Loss" } else { "Accuracy" },
                    test_set()
                )
            ></canvas>
            <ul class="lab-legend" aria-hidden="true">
                <li><span class="lab-legend__line"></span>"training (mean over groups of batches)"</li>
                <li><span class="lab-legend__dot"></span>{move || format!("{} (after each epoch)", test_set().trim_start_matches("the "))}</li>
            </ul>
            <p class="lab-form__error">{move || chart_error.get()}</p>
        </section>
    }
}

/// Test accuracy (and the rest) after each epoch; a warning when the model predicts one class
/// for nearly everything.
#[component]
pub fn EpochTable<C: RunSettings>(
    lab: LabView<C>,
    /// The class names, by index ("0"…"9", "negative"/"positive").
    class_labels: &'static [&'static str],
    /// What the test items are ("digits", "sentences").
    items: &'static str,
    /// Said after the collapse warning (a comparison with a real run), or empty.
    #[prop(optional)]
    collapse_context: &'static str,
) -> impl IntoView {
    view! {
        <section class="lab-panel" aria-labelledby=lab.id("epochs-title")>
            <h2 class="lab-panel__title" id=lab.id("epochs-title")>"Each epoch"</h2>
            <ScrollBox label="Each epoch" class="lab-scroll">
                <table class="lab-table" data-testid=lab.id("epochs")>
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
                            lab.epochs
                                .get()
                                .into_iter()
                                .map(|row| {
                                    view! {
                                        <tr data-testid=lab.id("epoch-row")>
                                            <td>{row.epoch}</td>
                                            <td>{format!("{:.4}", row.train_loss)}</td>
                                            <td>{percent(row.train_accuracy)}</td>
                                            <td>{row.test_loss.map_or("not finite".into(), |l| format!("{l:.4}"))}</td>
                                            <td data-testid=lab.id(&format!("test-accuracy-{}", row.epoch))>
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
            </ScrollBox>
            <p class="lab-empty" hidden=move || lab.epochs.with(|e| !e.is_empty())>
                "The test set is evaluated after every epoch."
            </p>
            {move || {
                lab.epochs.with(|e| {
                    e.last().filter(|r| r.dominant_share > 0.9).map(|r| {
                        let class = class_labels.get(r.dominant_class).copied().unwrap_or("?");
                        view! {
                            <p class="lab-warning" data-testid=lab.id("collapse")>
                                {format!(
                                    "The model predicts “{class}” for {:.1} % of the test {items}: it has collapsed to one class{}.",
                                    r.dominant_share * 100.0,
                                    collapse_context
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
pub fn ConfusionPanel<C: RunSettings>(
    lab: LabView<C>,
    class_labels: &'static [&'static str],
    /// What the test items are ("digits", "sentences").
    items: &'static str,
    /// What a class is ("digit", "label").
    class_word: &'static str,
) -> impl IntoView {
    let matrix = Memo::new(move |_| lab.epochs.with(|e| e.last().map(|r| r.confusion.clone())));
    let label = move |i: usize| class_labels.get(i).copied().unwrap_or("?");
    view! {
        <section class="lab-panel lab-pair__item" aria-labelledby=lab.id("confusion-title")>
            <h2 class="lab-panel__title" id=lab.id("confusion-title")>"Confusion matrix"</h2>
            {move || match matrix.get() {
                None => view! {
                    <p class="lab-empty">
                        {format!("After the first epoch: rows are the true {class_word}s, columns the predictions.")}
                    </p>
                }.into_any(),
                Some(m) => {
                    let largest_off = m
                        .iter()
                        .enumerate()
                        .flat_map(|(t, row)| row.iter().enumerate().filter(move |(p, _)| *p != t).map(|(_, &c)| c))
                        .max()
                        .unwrap_or(0)
                        .max(1);
                    view! {
                        <ScrollBox label="Confusion table" class="lab-scroll">
                            <table class="lab-confusion" data-testid=lab.id("confusion")>
                                <caption class="lab-confusion__caption">
                                    {format!("True {class_word} (rows) × predicted {class_word} (columns), test set")}
                                </caption>
                                <thead>
                                    <tr>
                                        <th scope="col"><span class="lab-visually-hidden">{format!("True {class_word}")}</span></th>
                                        {(0..m.len()).map(|p| view! { <th scope="col">{label(p)}</th> }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {m.iter().enumerate().map(|(t, row)| {
                                        let total: u32 = row.iter().sum::<u32>().max(1);
                                        view! {
                                            <tr>
                                                <th scope="row">{label(t)}</th>
                                                {row.iter().enumerate().map(|(p, &count)| {
                                                    let (class, share) = if p == t {
                                                        ("lab-confusion__cell lab-confusion__cell--hit", f64::from(count) / f64::from(total))
                                                    } else {
                                                        ("lab-confusion__cell lab-confusion__cell--miss", f64::from(count) / f64::from(largest_off))
                                                    };
                                                    let strength = (share * 100.0).round().clamp(0.0, 100.0);
                                                    view! {
                                                        <td
                                                            class=class
                                                            // A (name, value) pair is set through CSSOM, which the CSP's style-src allows
                                                            // (a `style` attribute string would be refused).
                                                            style=("--lab-strength", format!("{strength}%"))
                                                            title=format!("{count} {items}: {} predicted as {}", label(t), label(p))
                                                        >
                                                            {(count > 0).then(|| count.to_string())}
                                                        </td>
                                                    }
                                                }).collect_view()}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </ScrollBox>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// Every run of this visit, "use again", and the CSV export.
#[component]
pub fn RunsPanel<C: RunSettings>(
    lab: LabView<C>,
    /// The CSV of the records.
    to_csv: fn(&[RunRecord<C>]) -> String,
    /// The downloaded file's name.
    file_name: &'static str,
    /// Puts a run's settings back in the form.
    on_use: Callback<C>,
) -> impl IntoView {
    let export_error = RwSignal::new(None::<String>);
    let anchor = NodeRef::<leptos::html::A>::new();
    let export = move |_| {
        let Some(anchor) = anchor.get() else {
            return;
        };
        let csv = lab.records.with(|r| to_csv(r));
        export_error.set(download_text(&anchor, file_name, "text/csv", &csv).err());
    };
    view! {
        <section class="lab-panel" aria-labelledby=lab.id("runs-title")>
            <div class="lab-panel__head">
                <h2 class="lab-panel__title" id=lab.id("runs-title")>"Runs in this visit"</h2>
                <button
                    type="button"
                    class="lab-button"
                    data-testid=lab.id("csv")
                    prop:disabled=move || lab.records.with(Vec::is_empty)
                    on:click=export
                >
                    "Download CSV"
                </button>
                <a node_ref=anchor data-testid=lab.id("csv-file") hidden aria-hidden="true"></a>
            </div>
            <ScrollBox label="Runs" class="lab-scroll">
                <table class="lab-table" data-testid=lab.id("runs")>
                    <thead>
                        <tr>
                            <th scope="col">"Run"</th>
                            <th scope="col">"Settings"</th>
                            <th scope="col">"Data"</th>
                            <th scope="col">"Test acc."</th>
                            <th scope="col">"Outcome"</th>
                            <th scope="col"><span class="lab-visually-hidden">"Settings"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || lab.records.get().into_iter().rev().map(|r| {
                            let config = r.config.clone();
                            view! {
                                <tr>
                                    <td>{r.run_id}</td>
                                    <td class="lab-table__wrap">{r.config.summary()}</td>
                                    <td>{r.data.clone()}</td>
                                    <td>{r.final_accuracy().map_or("–".into(), percent)}</td>
                                    <td>{r.outcome_word()}</td>
                                    <td>
                                        <button
                                            type="button"
                                            class="lab-button lab-button--small"
                                            prop:disabled=move || lab.is_running()
                                            on:click=move |_| on_use.run(config.clone())
                                        >
                                            "Use again"
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </ScrollBox>
            <p class="lab-form__error" role="alert">{move || export_error.get()}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::protocol::tests::ToyConfig;

    fn run(phase: RunPhase) -> LiveRun<ToyConfig> {
        LiveRun {
            run_id: 3,
            config: ToyConfig { epochs: 4 },
            phase,
            n_samples_done: 0,
            n_samples_total: 0,
            train_ms: 0.0,
            eval_ms: 0.0,
            n_params: 0,
        }
    }

    #[test]
    fn the_status_says_where_the_run_is() {
        assert_eq!(
            status_text::<ToyConfig>(None, 0, None, 0),
            "Ready: choose the settings and start."
        );
        assert_eq!(
            status_text(Some(&run(RunPhase::Training)), 1, None, 2),
            "Training run 3: epoch 2 of 4 (2 more runs queued)."
        );
        assert_eq!(
            status_text(
                Some(&run(RunPhase::Ended(RunOutcome::Finished))),
                4,
                Some(&crate::training::protocol::tests::row(4, 0.9858)),
                0
            ),
            "Finished run 3: test accuracy 98.58 %."
        );
        assert_eq!(
            status_text(
                Some(&run(RunPhase::Ended(RunOutcome::Cancelled))),
                1,
                None,
                0
            ),
            "Cancelled run 3 after 1 of 4 epochs."
        );
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
