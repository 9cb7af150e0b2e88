//! Cerebras: BERT's batch size against run time (`cs-…` keys). The real CS-2 runs, then the
//! same shape measured here: BERT-tiny masked-LM steps at a few batch sizes in the BERT lab's
//! worker (started only when the learner starts the sweep), with a table, a chart of time per
//! step against batch beside the real runs, and the fixed and per-sample costs fitted to each.

use leptos::html::Canvas;
use leptos::prelude::*;

use super::SectionFrame;
use crate::charts::batch_time::{BatchTimeData, draw_batch_time};
use crate::charts::training_curves::chart_colours;
use crate::components::lab::{FormFields, LabHandle, theme_signal};
use crate::components::table::DataTable;
use crate::training::bert::task::{Bert, BertFile, BertSource};
use crate::training::bert::timing::BatchTiming;
use sim::wse::projection::TrainingBound;

use crate::training::homework::cerebras::{
    CerebrasField, CerebrasForm, REAL_STEPS, StepTimeFit, growth, real_fit, wse_bound_rows,
};
use crate::training::homework::reality::{self, CEREBRAS_RUNS, Section};
use crate::training::protocol::RunOutcome;
use crate::training::state::{DataState, RunPhase};

/// What this browser's sweep leaves out, against the real run.
pub const BROWSER_LEAVES_OUT: &str = "BERT-tiny (2 layers, width 128) instead of BERT-large (24 layers, width 1,024), f32 on one CPU thread instead of bf16 on 850,000 cores, no input pipeline, and batches a hundred times smaller: the shape carries over, the figures do not.";
/// What the real fit leaves out.
pub const REAL_FIT_LEAVES_OUT: &str = "Two runs make a line, not a model: it says nothing of what the fixed 0.133 s is (weight streaming from MemoryX, the update, the step's synchronisation) and the 1,024 run sits 4 % below it.";
/// What the WSE model's bound leaves out.
pub const WSE_LEAVES_OUT: &str = "It is a bound from arithmetic, not a run of the mesh simulator, which maps one layer's forward pass for one sequence with every weight resident and could not hold a BERT-large step at batch 512. It has no fixed cost: none of the weights streamed in from MemoryX and the gradients streamed back each step, nor the update done there, which is what the real fit's 0.133 s a step holds. Its PE does one FP32 multiply-add a cycle, a choice of this site's model, not a WSE-2 figure: the real wafer computes in bf16 and does more, which is why the bound's cost per sample is above the real one. And it counts every PE busy every cycle.";

fn timing_rows(timings: &[BatchTiming]) -> Vec<Vec<String>> {
    let points: Vec<(f64, f64)> = timings
        .iter()
        .map(|t| (t.batch as f64, t.ms_per_step))
        .collect();
    timings
        .iter()
        .zip(growth(&points))
        .map(|(t, (batch_ratio, time_ratio))| {
            vec![
                t.batch.to_string(),
                format!("{:.1} ms", t.ms_per_step),
                format!("{:.1}", t.samples_per_s),
                format!("{batch_ratio:.2}×"),
                format!("{time_ratio:.2}×"),
                format!("{:.2}", t.last_loss),
            ]
        })
        .collect()
}

fn real_points() -> Vec<(f64, f64)> {
    CEREBRAS_RUNS
        .iter()
        .map(|r| (f64::from(r.batch), r.seconds / REAL_STEPS))
        .collect()
}

/// Fetches the BERT lab's bundled files for the worker, then starts the sweep (the worker
/// handles the two messages in order, so the run finds its text loaded).
fn load_and_start(lab: LabHandle<Bert>, config: crate::training::bert::config::BertRunConfig) {
    leptos::task::spawn_local(async move {
        let mut buffers = Vec::new();
        for file in BertFile::ALL {
            match crate::files::fetch_bytes(&format!("public/data/{}", file.bundled_name())).await {
                Ok(bytes) => buffers.push(bytes),
                Err(message) => {
                    lab.set_data_state(DataState::Failed(format!(
                        "The text could not be loaded: {message}."
                    )));
                    return;
                }
            }
        }
        lab.send_data(BertSource::Bundled, buffers);
        lab.start_run(config);
    });
}

#[component]
pub fn CerebrasSection(query: Vec<(String, String)>) -> impl IntoView {
    let form = RwSignal::new(CerebrasForm::from_query(&query));
    let owner = Owner::current();
    let lab = RwSignal::new(None::<LabHandle<Bert>>);
    let invalid = Memo::new(move |_| form.with(|f| f.parse().is_err()));
    let running = move || lab.get().is_some_and(|l| l.is_running());
    let timings = Memo::new(move |_| {
        lab.get()
            .map(|l| l.report.with(|r| r.timings.clone()))
            .unwrap_or_default()
    });
    let start = move || {
        let Ok(sweep) = form.with_untracked(CerebrasForm::parse) else {
            return;
        };
        let config = sweep.run_config();
        match lab.get_untracked() {
            Some(handle) if matches!(handle.data.get_untracked(), DataState::Ready(_)) => {
                handle.start_run(config);
            }
            Some(handle) => load_and_start(handle, config),
            None => {
                let handle = owner.as_ref().map_or_else(
                    || LabHandle::<Bert>::start(Callback::new(|_| {})),
                    |o| o.with(|| LabHandle::<Bert>::start(Callback::new(|_| {}))),
                );
                lab.set(Some(handle));
                if handle.has_worker() {
                    load_and_start(handle, config);
                }
            }
        }
    };
    let status = move || {
        let Some(handle) = lab.get() else {
            return "Not started: the worker starts when you run the sweep.".to_owned();
        };
        if let DataState::Failed(message) = handle.data.get() {
            return message;
        }
        if let Some(message) = handle.worker_error.get() {
            return message;
        }
        handle.current.with(|c| match c.as_ref().map(|c| &c.phase) {
            None => "Loading the text into the worker…".to_owned(),
            Some(RunPhase::Starting) => "Loading the text and building the model…".to_owned(),
            Some(RunPhase::Training) => {
                let (done, total) = c
                    .as_ref()
                    .map_or((0, 0), |c| (c.n_samples_done, c.n_samples_total));
                format!("Timing masked-LM steps: {done} of {total} sentences.")
            }
            Some(RunPhase::Ended(RunOutcome::Finished)) => {
                "Done: every batch size was timed.".to_owned()
            }
            Some(RunPhase::Ended(RunOutcome::Cancelled)) => "Cancelled.".to_owned(),
            Some(RunPhase::Ended(
                RunOutcome::Diverged { message } | RunOutcome::Failed { message },
            )) => message.clone(),
            Some(RunPhase::Failed(message)) => message.clone(),
        })
    };
    // Ids `cs-<key>` (the keys already read `cs-…`): the Cerebras section's own.
    let fields = FormFields {
        prefix: "cs",
        ..super::section_fields(form, Signal::derive(running))
    };
    let field = move |f, label, hint| fields.field(f, label, hint, Vec::new());
    let browser_fit = Memo::new(move |_| {
        let points: Vec<(f64, f64)> = timings.with(|t| {
            t.iter()
                .map(|t| (t.batch as f64, t.ms_per_step / 1_000.0))
                .collect()
        });
        StepTimeFit::least_squares(&points)
    });
    let canvas = NodeRef::<Canvas>::new();
    let theme = theme_signal();
    let chart_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        theme.track();
        let browser: Vec<(f64, f64)> = timings.with(|t| {
            growth(
                &t.iter()
                    .map(|t| (t.batch as f64, t.ms_per_step))
                    .collect::<Vec<_>>(),
            )
        });
        let data = BatchTimeData {
            browser,
            real: growth(&real_points()),
        };
        if let Some(canvas) = canvas.get() {
            chart_error.set(draw_batch_time(&canvas, &data, &chart_colours()).err());
        }
    });
    let real = real_fit();
    let wse_bound = TrainingBound::bert_large_on_wse2();
    view! {
        <SectionFrame at="cerebras">
            <p>
                "The homework: pre-train BERT-large on a CS-2 at three batch sizes and compare "
                "the run times. Time grew far slower than the batch, so throughput rose:"
            </p>
            <DataTable
                testid="homework-cerebras-real"
                label="Time and throughput of 1,000 steps at three batch sizes on a CS-2"
                headers=&["batch", "1,000 steps", "time per step", "samples per second"]
                rows=Signal::stored(
                    CEREBRAS_RUNS
                        .iter()
                        .map(|run| {
                            vec![
                                run.batch.to_string(),
                                format!("{:.2} s", run.seconds),
                                format!("{:.3} s", run.seconds / 1_000.0),
                                format!("{:.0}", run.samples_per_s),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">{format!("Real, source: {}.", reality::source(Section::Cerebras))}</p>

            <h3>"The same sweep in this browser"</h3>
            <p>
                "BERT-tiny takes masked-LM training steps in a worker at each batch size: a few "
                "warm-up steps, then timed steps. The text is the BERT lab's training sentences, "
                "packed into sequences of exactly the length below, 15 % of their tokens masked. "
                "A batch this tab cannot hold is refused with its memory estimate."
            </p>
            <form
                class="lab-form homework-cerebras__form"
                data-testid="cs-settings"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    start();
                }
            >
                {field(CerebrasField::Batches, "Batch sizes", "Sequences per step, growing, separated by commas (at most 6).")}
                {field(CerebrasField::Seq, "Sequence length", "Tokens per sequence: 16, 32, 64 or 128 (the real run's).")}
                {field(CerebrasField::Warmup, "Warm-up steps", "Taken at each batch size and not timed, 1 to 10.")}
                {field(CerebrasField::Steps, "Timed steps", "Timed at each batch size, 1 to 50.")}
                {field(CerebrasField::Seed, "Seed", "The weights, sentence order and masking.")}
                <div class="lab-form__actions">
                    <button
                        type="submit"
                        class="lab-button lab-button--primary"
                        data-testid="cs-run"
                        prop:disabled=move || invalid.get() || running()
                    >
                        "Run the sweep"
                    </button>
                    <button
                        type="button"
                        class="lab-button"
                        data-testid="cs-cancel"
                        prop:disabled=move || !running()
                        on:click=move |_| {
                            if let Some(handle) = lab.get_untracked() {
                                handle.cancel();
                            }
                        }
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
            <p role="status" data-testid="cs-status">{status}</p>
            <DataTable
                testid="homework-cerebras-browser"
                label="Masked-LM time per step at each batch size, measured in this browser"
                headers=&["batch", "time per step", "samples per second", "batch ÷ first", "time ÷ first", "last loss"]
                rows=Signal::derive(move || timings.with(|t| timing_rows(t)))
                empty="No batch size timed yet: each adds its row as soon as its timed steps end."
            />
            <p class="homework-source">"Measured in this browser, by this worker's clock, mean over the timed steps."</p>
            <canvas
                class="lab-chart"
                node_ref=canvas
                data-testid="cs-chart"
                role="img"
                aria-label="Time per step against batch, both divided by their value at the smallest batch: this browser's sweep and the real CS-2 runs, between a line where time grows as fast as the batch and a line where it does not grow; the figures are in the tables"
            ></canvas>
            <ul class="lab-legend" aria-hidden="true">
                <li><span class="lab-legend__line"></span>"this browser (BERT-tiny)"</li>
                <li><span class="lab-legend__dot"></span>"real CS-2 (BERT-large)"</li>
                <li>"grey: time ∝ batch (above) and time fixed (below)"</li>
            </ul>
            <p class="lab-form__error">{move || chart_error.get()}</p>

            <h3>"Fixed and per-sample cost"</h3>
            <p>
                "A least-squares line through time per step against batch: a fixed cost each step pays, plus a cost per sample. "
                "In this browser the fixed part is the work a step does whatever its batch, such as AdamW's update of all "
                "4.4 million weights (the tied decoder's gradient reaches every word vector); on the CS-2 it would hold "
                "the weights streamed from MemoryX and their update there (the log does not split it). With larger "
                "batches or sequences here the per-sample part dominates, and time grows nearly as fast as the batch."
            </p>
            <ul class="homework-fits">
                <li data-testid="cs-fit-real">
                    {real.map_or_else(String::new, |fit| format!(
                        "Real CS-2, from batches 512 and 2,048: {} per step; it predicts {:.3} s at 1,024, where the run took {:.3} s.",
                        fit.describe("s", 1.0),
                        fit.at(1_024.0),
                        CEREBRAS_RUNS[1].seconds / REAL_STEPS
                    ))}
                </li>
                <li data-testid="cs-fit-browser">
                    {move || match browser_fit.get() {
                        Some(fit) => format!("This browser: {} per step.", fit.describe("ms", 1_000.0)),
                        None => "This browser: run the sweep (two batch sizes at least) to fit its line.".to_owned(),
                    }}
                </li>
                <li data-testid="cs-fit-wse">
                    {format!(
                        "WSE model, an arithmetic bound: 0 s + b / {} samples/s per step (BERT-large's {:.1} billion multiply-adds a sample, forward and backward, on 850,000 PEs each doing one multiply-add a cycle at 1.1 GHz). Its cost per sample is {:.2}× the real fit's, and it has no fixed cost at all.",
                        sim::units::thousands(wse_bound.samples_per_s().round() as u64),
                        wse_bound.macs_per_sample as f64 / 1e9,
                        real.map_or(0.0, |fit| wse_bound.per_sample_s / fit.per_sample_s),
                    )}
                </li>
            </ul>
            <DataTable
                testid="homework-cerebras-wse"
                label="The WSE model's bound on a BERT-large training step beside the real CS-2 runs"
                headers=&["batch", "WSE model (bound)", "real", "model ÷ real"]
                rows=Signal::stored(
                    wse_bound_rows(&wse_bound)
                        .into_iter()
                        .map(|(batch, model, real)| {
                            vec![
                                batch.to_string(),
                                format!("{model:.3} s"),
                                format!("{real:.3} s"),
                                format!("{:.2}", model / real),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">
                "The bound is the model's figure, not a measurement: the multiply-adds counted from BERT-large's sizes "
                "(24 layers, width 1,024, FFN 4,096, 128 tokens, 20 masked predictions, as the homework's ModelZoo "
                "configuration sets them), 850,000 PEs (ALCF's user guide), a ~1.1 GHz clock (Cerebras's Hot Chips 34 "
                "talk, as a write-up summarises it) and this site's one multiply-add a cycle. It falls short of every real step, least at the largest batch: the "
                "real step's fixed part is spread over more samples there. The mesh itself is simulated for one "
                "BERT-tiny layer's forward pass: "
                <a href="#/simulators/wse?preset=bert-layer&seq=128">"the BERT layer in the WSE simulator"</a>
                "."
            </p>
            <h3>"What each leaves out"</h3>
            <ul class="homework-leaves-out">
                <li><strong>"This browser: "</strong>{BROWSER_LEAVES_OUT}</li>
                <li><strong>"The real fit: "</strong>{REAL_FIT_LEAVES_OUT}</li>
                <li><strong>"The WSE model: "</strong>{WSE_LEAVES_OUT}</li>
            </ul>
        </SectionFrame>
    }
}
