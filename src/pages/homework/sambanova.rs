//! SambaNova: data-parallel tasks (`--ntasks`), here across Web Workers (`sn-…` keys).
//!
//! The page is the all-reduce's root: each replica worker posts its shard's gradients as a
//! transferred buffer, [`Coordinator`] averages them, and the same bytes go back to every
//! worker. Workers exist only while a run does: they are started by Run and terminated when
//! the run ends, fails, is cancelled or the page is left.

use std::time::Duration;

use js_sys::{ArrayBuffer, Uint8Array};
use leptos::prelude::*;

use super::SectionFrame;
use crate::components::table::DataTable;
use crate::simulation::rdu::{ntasks_notes, ntasks_rows};
use crate::training::bert::task::BertFile;
use crate::training::client::WorkerClient;
use crate::training::homework::dp::{
    Action, Coordinator, DpField, DpForm, DpModel, DpResult, DpSettings, DpWorker,
    REPLICA_TIMEOUT_MS, Received, ToReplica, check_cap, result_rows, results_sentence, worker_cap,
};
use crate::training::homework::reality::{self, Section};
use crate::training::mnist::task::DataFile;

/// What the section shows of a run.
#[derive(Clone, Debug, PartialEq)]
enum RunStatus {
    Idle,
    /// Fetching the files of this model ("the MNIST digits").
    Loading(&'static str),
    Running {
        n_workers: usize,
        sweep_idx: usize,
        sweep_len: usize,
        step: usize,
        n_steps: usize,
        loss: Option<f32>,
    },
    Evaluating {
        n_workers: usize,
    },
    Done,
    Failed(String),
}

impl RunStatus {
    fn sentence(&self) -> String {
        match self {
            Self::Idle => {
                "No run yet: Run trains with 1 worker, then 2, 4, … up to the number set.".into()
            }
            Self::Loading(what) => format!("Fetching {what}…"),
            Self::Running {
                n_workers,
                sweep_idx,
                sweep_len,
                step,
                n_steps,
                loss,
            } => format!(
                "Run {} of {}: {n_workers} worker{}, step {step} of {n_steps}{}.",
                sweep_idx + 1,
                sweep_len,
                if *n_workers == 1 { "" } else { "s" },
                loss.map_or_else(String::new, |l| format!(", loss {l:.4}"))
            ),
            Self::Evaluating { n_workers } => {
                format!("{n_workers} worker(s): evaluating the test set…")
            }
            Self::Done => "Done.".into(),
            Self::Failed(sentence) => sentence.clone(),
        }
    }

    fn is_busy(&self) -> bool {
        matches!(
            self,
            Self::Loading(_) | Self::Running { .. } | Self::Evaluating { .. }
        )
    }
}

/// A run in progress: its workers, the page's side of the all-reduce, the rest of the sweep.
struct Runner {
    clients: Vec<WorkerClient<DpWorker>>,
    coordinator: Coordinator,
    settings: DpSettings,
    sweep: Vec<usize>,
    sweep_idx: usize,
    files: std::rc::Rc<Vec<Vec<u8>>>,
    last_heard_ms: f64,
    /// When the status line last changed: it changes at most every [`STATUS_EVERY_MS`].
    last_shown_ms: f64,
    watchdog: Option<IntervalHandle>,
}

/// Milliseconds between two updates of the status line during a run. Each update costs the
/// page a render, and while every core runs a replica that time is taken from the replicas.
const STATUS_EVERY_MS: f64 = 250.0;

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.clear();
        }
    }
}

/// The section's reactive handles (all `Copy`).
#[derive(Clone, Copy)]
struct DpSection {
    form: RwSignal<DpForm>,
    status: RwSignal<RunStatus>,
    results: RwSignal<Vec<DpResult>>,
    runner: StoredValue<Option<Runner>, LocalStorage>,
    next_run_id: StoredValue<u32>,
    cap: usize,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn buffer_of(bytes: &[u8]) -> ArrayBuffer {
    Uint8Array::from(bytes).buffer()
}

impl DpSection {
    /// Stops any run: its workers are terminated (after the current callback has returned).
    fn stop(self) {
        let old = self.runner.try_update_value(Option::take).flatten();
        if let Some(old) = old {
            set_timeout(move || drop(old), Duration::ZERO);
        }
    }

    fn fail(self, sentence: String) {
        self.stop();
        self.status.set(RunStatus::Failed(sentence));
    }

    fn start(self) {
        let Ok(settings) = self.form.with_untracked(DpForm::parse) else {
            self.status.set(RunStatus::Failed(
                "Some settings are not accepted: see the sentences beside them.".into(),
            ));
            return;
        };
        if let Err(sentence) = check_cap(&settings, self.cap) {
            self.status.set(RunStatus::Failed(sentence));
            return;
        }
        self.stop();
        self.results.set(Vec::new());
        let (what, names): (&'static str, Vec<&'static str>) = match settings.model {
            DpModel::Mlp | DpModel::Cnn => (
                "the MNIST digits",
                DataFile::ALL.iter().map(|f| f.bundled_name()).collect(),
            ),
            // The vocabulary and the two sentence files (not the corpus text).
            DpModel::BertTiny => (
                "the BERT lab's sentences",
                BertFile::ALL[..3]
                    .iter()
                    .map(|f| f.bundled_name())
                    .collect(),
            ),
        };
        self.status.set(RunStatus::Loading(what));
        leptos::task::spawn_local(async move {
            let mut files = Vec::new();
            for name in names {
                match crate::files::fetch_bytes(&format!("public/data/{name}")).await {
                    Ok(buffer) => files.push(Uint8Array::new(&buffer).to_vec()),
                    Err(message) => {
                        self.fail(format!(
                            "{} could not be loaded: {message}.",
                            crate::text::capitalised(what)
                        ));
                        return;
                    }
                }
            }
            if self.status.get_untracked() != RunStatus::Loading(what) {
                return; // cancelled meanwhile
            }
            self.launch(settings, settings.sweep(), 0, std::rc::Rc::new(files));
        });
    }

    /// Starts the `sweep_idx`-th run of the sweep: its workers, then `Start` to each.
    fn launch(
        self,
        settings: DpSettings,
        sweep: Vec<usize>,
        sweep_idx: usize,
        files: std::rc::Rc<Vec<Vec<u8>>>,
    ) {
        let n_workers = sweep[sweep_idx];
        let run_id = self.next_run_id.get_value() + 1;
        self.next_run_id.set_value(run_id);
        let mut clients = Vec::with_capacity(n_workers);
        for _ in 0..n_workers {
            let on_message = move |received: Received| self.on_message(run_id, received);
            let on_failure = move |sentence: String| {
                if self.current_run() == Some(run_id) {
                    self.fail(sentence);
                }
            };
            match WorkerClient::<DpWorker>::spawn(on_message, on_failure) {
                Ok(client) => clients.push(client),
                Err(sentence) => {
                    self.fail(sentence);
                    return;
                }
            }
        }
        for (worker_idx, client) in clients.iter().enumerate() {
            client.send_with_buffers(
                &ToReplica::Start {
                    run_id,
                    worker_idx,
                    n_workers,
                    settings,
                },
                files.iter().map(|f| buffer_of(f)).collect(),
            );
        }
        // A replica that stops answering becomes a sentence, never a hang.
        let watchdog = set_interval_with_handle(
            move || {
                let silent = self
                    .runner
                    .try_with_value(|r| {
                        r.as_ref()
                            .is_some_and(|r| now_ms() - r.last_heard_ms > REPLICA_TIMEOUT_MS)
                    })
                    .unwrap_or(false);
                if silent {
                    self.fail(format!(
                        "A replica worker has not answered for {} s; the run is stopped.",
                        REPLICA_TIMEOUT_MS / 1_000.0
                    ));
                }
            },
            Duration::from_secs(5),
        )
        .ok();
        self.runner.set_value(Some(Runner {
            clients,
            coordinator: Coordinator::new(run_id, n_workers, settings.reducer(n_workers)),
            settings,
            sweep: sweep.clone(),
            sweep_idx,
            files,
            last_heard_ms: now_ms(),
            last_shown_ms: f64::NEG_INFINITY,
            watchdog,
        }));
        self.status.set(RunStatus::Running {
            n_workers,
            sweep_idx,
            sweep_len: sweep.len(),
            step: 0,
            n_steps: settings.n_steps,
            loss: None,
        });
    }

    fn current_run(self) -> Option<u32> {
        self.runner
            .try_with_value(|r| r.as_ref().map(|r| r.coordinator.run_id()))
            .flatten()
    }

    fn on_message(self, run_id: u32, received: Received) {
        let now = now_ms();
        let outcome = self
            .runner
            .try_update_value(|runner| {
                let runner = runner.as_mut()?;
                if runner.coordinator.run_id() != run_id {
                    return None;
                }
                runner.last_heard_ms = now;
                let action = runner
                    .coordinator
                    .on_message(received.message, received.bytes, now);
                let step = runner.coordinator.n_steps_done();
                let loss = runner.coordinator.losses().last().copied();
                if let Ok(Action::Broadcast { step_idx, bytes }) = &action {
                    for client in &runner.clients {
                        client.send_with_buffers(
                            &ToReplica::Apply {
                                run_id,
                                step_idx: *step_idx,
                            },
                            vec![buffer_of(bytes)],
                        );
                    }
                }
                if let Ok(Action::Evaluate) = &action
                    && let Some(first) = runner.clients.first()
                {
                    first.send(&ToReplica::Evaluate { run_id });
                }
                let show = !matches!(action, Ok(Action::Broadcast { .. }))
                    || now - runner.last_shown_ms >= STATUS_EVERY_MS
                    || step == runner.settings.n_steps;
                if show {
                    runner.last_shown_ms = now;
                }
                Some((
                    action,
                    show,
                    step,
                    loss,
                    runner.settings,
                    runner.sweep.clone(),
                    runner.sweep_idx,
                    std::rc::Rc::clone(&runner.files),
                ))
            })
            .flatten();
        let Some((action, show, step, loss, settings, sweep, sweep_idx, files)) = outcome else {
            return;
        };
        let n_workers = sweep[sweep_idx];
        match action {
            Err(sentence) => self.fail(format!(
                "The run with {n_workers} worker(s) stopped: {sentence}"
            )),
            Ok(Action::Wait | Action::Broadcast { .. }) if !show => {}
            Ok(Action::Wait) => {}
            Ok(Action::Broadcast { .. }) => self.status.set(RunStatus::Running {
                n_workers,
                sweep_idx,
                sweep_len: sweep.len(),
                step,
                n_steps: settings.n_steps,
                loss,
            }),
            Ok(Action::Evaluate) => self.status.set(RunStatus::Evaluating { n_workers }),
            Ok(Action::Done(result)) => {
                self.results.update(|r| r.push(result));
                self.stop();
                if sweep_idx + 1 < sweep.len() {
                    // The next worker count starts once this run's workers are gone.
                    set_timeout(
                        move || {
                            if self.status.get_untracked().is_busy() {
                                self.launch(settings, sweep, sweep_idx + 1, files);
                            }
                        },
                        Duration::from_millis(50),
                    );
                } else {
                    self.status.set(RunStatus::Done);
                }
            }
        }
    }
}

/// The model's `--ntasks` table and notes, the real runs, the in-browser run and the lesson.
#[component]
pub fn SambanovaSection(query: Vec<(String, String)>) -> impl IntoView {
    let cap = worker_cap(web_sys::window().map_or(1.0, |w| w.navigator().hardware_concurrency()));
    let section = DpSection {
        form: RwSignal::new(DpForm::from_query(&query)),
        status: RwSignal::new(RunStatus::Idle),
        results: RwSignal::new(Vec::new()),
        runner: StoredValue::new_local(None),
        next_run_id: StoredValue::new(0),
        cap,
    };
    on_cleanup(move || {
        // Leaving the page terminates the workers.
        let _ = section.runner.try_update_value(Option::take);
    });
    let busy = Signal::derive(move || section.status.with(RunStatus::is_busy));
    let fields = super::section_fields(section.form, busy);
    let field = move |f, label, hint, options| fields.field(f, label, hint, options);
    let comparison = sim::rdu::ntasks_comparison(&sim::rdu::RduConfig::sn10_tile());
    let model_rows = ntasks_rows(&comparison)
        .into_iter()
        .map(|row| row.to_vec())
        .collect::<Vec<_>>();
    let notes = ntasks_notes(&comparison);
    view! {
        <SectionFrame at="sambanova">
            <p>
                "The homework: train BERT-large data-parallel with 8, 16 and 32 tasks "
                "(replicas, each on its share of every batch) and compare the throughput. "
                "Throughput doubled with the tasks; the script's throughput check passed only at "
                "16 tasks, the count its window was tuned for:"
            </p>
            <DataTable
                testid="homework-sambanova-real"
                label="Samples per second of the three --ntasks runs on SN30"
                headers=&["--ntasks", "nodes", "505 steps", "samples per second"]
                rows=Signal::stored(
                    sim::rdu::scaling::REAL_RUNS
                        .iter()
                        .map(|run| {
                            vec![
                                run.ntasks.to_string(),
                                run.nodes.to_string(),
                                format!("{:.2} s", run.e2e_s),
                                format!("{:.0}", run.samples_per_s),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Sambanova))}</p>

            <h3>"The RDU model beside the real runs"</h3>
            <p>
                "These figures are the RDU simulator's model, not a measurement: each task runs the "
                "compiler's projected step, then the tasks average their gradients in a ring."
            </p>
            <DataTable
                testid="homework-sambanova-model"
                label="The RDU model's samples per second beside the real --ntasks runs"
                headers=&["--ntasks", "model samples/s", "real samples/s", "model error", "efficiency vs previous row (model / real)", "throughput window check"]
                rows=Signal::stored(model_rows)
            />
            {notes.into_iter().map(|n| view! { <p class="homework-note">{n}</p> }).collect_view()}
            <p data-testid="homework-sambanova-window">
                "The student's write-up says all three runs ended in errors. Only two did, and "
                "neither was broken: each finished its 505 steps, then the script compared the "
                "throughput with a window of 560,000 to 620,000 tokens per second, which fits 16 "
                "tasks. Eight tasks are half as fast and fall below it; 32 tasks are twice as fast "
                "and rise above it. A throughput check is a statement about one configuration."
            </p>

            <h3>"The same idea in this browser"</h3>
            <p>
                "Here each Web Worker is a task: it holds a whole copy of the network (an MNIST "
                "model, or BERT-tiny on the BERT lab's sentences) and "
                "computes the gradients of its shard of every batch. The page averages the "
                "gradients (weighted by shard size, so the step equals one worker's step on the "
                "whole batch) and sends the same numbers back to every worker, which applies them. "
                "The replicas never exchange weights and stay bit-identical. Gradients travel as "
                "transferred buffers; no memory is shared. The figures below are measured in this "
                "browser, on this device; the first step (reading the data) is not timed."
            </p>
            <form
                class="lab-panel lab-form homework-dp__form"
                data-testid="homework-sn-settings"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    section.start();
                }
            >
                {field(DpField::Workers, "Workers (at most)", "Run trains with 1, 2, 4, … up to this many.", vec![])}
                <p class="lab-form__hint" data-testid="homework-sn-cap">
                    {format!("This browser reports {cap} logical cores, so at most {cap} workers.")}
                </p>
                {field(DpField::Model, "Model", "", vec![("cnn", "CNN (no dropout)"), ("mlp", "MLP"), ("bert", "BERT-tiny (sentences of 64 tokens, no dropout)")])}
                {field(DpField::Batch, "Global batch", "Samples (digits or sentences) per step over all workers.", vec![])}
                {field(DpField::Steps, "Steps", "", vec![])}
                {field(DpField::Lr, "Learning rate", "SGD for the MNIST models (e.g. 0.05); AdamW's peak for BERT-tiny (e.g. 0.001).", vec![])}
                {field(DpField::Seed, "Seed", "", vec![])}
                <div class="lab-form__actions">
                    <button
                        type="submit"
                        class="lab-button lab-button--primary"
                        data-testid="homework-sn-run"
                        prop:disabled=move || busy.get()
                    >
                        "Run"
                    </button>
                    <button
                        type="button"
                        class="lab-button"
                        data-testid="homework-sn-cancel"
                        prop:disabled=move || !busy.get()
                        on:click=move |_| {
                            section.stop();
                            section.status.set(RunStatus::Failed("Cancelled.".into()));
                        }
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
            <p class="homework-dp__status" role="status" data-testid="homework-sn-status">
                {move || section.status.with(RunStatus::sentence)}
            </p>
            <DataTable
                testid="homework-sn-results"
                label="Samples per second, efficiency and time split of each worker count in this browser"
                headers=&["workers", "samples/s", "efficiency", "step", "compute", "communication", "final loss", "test accuracy"]
                rows=Signal::derive(move || section.results.with(|r| result_rows(r)))
                empty="No run yet: each worker count you run adds a row here."
            />
            <p data-testid="homework-sn-summary">
                {move || section.results.with(|r| results_sentence(r))}
            </p>
            <p class="homework-note">
                "Compute is the slowest worker's time on its shard (applying the previous update, "
                "forward and backward); communication is the rest of the step: copying gradients "
                "to the page and back and the page's averaging. A real SN30 step took about 0.89 s, "
                "and in the RDU model above the all-reduce adds a few percent to it; here a step "
                "of a small network lasts a few hundredths of a second, so communication takes a "
                "larger share. BERT-tiny's word-embedding table alone is 30,522 × 128 numbers; a step "
                "touches a few hundred of its rows, so only those rows travel (with the dense "
                "weights), and the page averages them row by row. "
                "The page adds each replica's gradients to the average as soon as "
                "the replicas before it have answered, so only the slowest one's share waits for "
                "it. With more workers than free cores, the workers also take turns on the same "
                "cores, and the rate stops growing."
            </p>
        </SectionFrame>
    }
}
