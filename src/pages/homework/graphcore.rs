//! Graphcore: the MNIST example's learning rate, batch size and epochs (`ipu-…` keys), as a
//! grid of runs queued in the MNIST lab's worker (started only when the learner starts a grid),
//! with its table, its plot against each setting, and the IPU model's time per epoch for each
//! batch size beside the real 8.65 s.

use leptos::html::{A, Canvas};
use leptos::prelude::*;

use super::{HomeworkFigures, SectionFrame};
use crate::charts::palette::use_palette;
use crate::charts::setting_plot::{SETTING_PLOT_HEIGHT, SettingPanel, draw_setting_plot};
use crate::components::lab::{LabHandle, RunPanel, percent};
use crate::components::table::DataTable;
use crate::training::homework::grid::{
    GridConfig, GridField, GridForm, IPU_DIGITS_PER_EPOCH, by_setting, cells, cells_csv,
};
use crate::training::homework::reality::{self, Section};
use crate::training::mnist::config::{RunConfig, format_lr};
use crate::training::mnist::task::Mnist;
use crate::training::state::DataState;
use crate::training::text::format_duration;

/// The IPU model's seconds per 60,000-digit epoch at `batch` (a Bow IPU, the example's 50 device
/// iterations), or why there is none.
pub(super) fn model_epoch_s(batch: usize) -> Result<f64, String> {
    let chip = sim::ipu::IpuConfig {
        n_tiles: sim::ipu::config::GC200_TILES,
        ..sim::ipu::IpuConfig::bow()
    };
    sim::ipu::epoch_estimate(
        &chip,
        batch as u64,
        sim::ipu::epoch::EXAMPLE_DEVICE_ITERATIONS,
        sim::ipu::epoch::MNIST_TRAIN_IMAGES,
    )
    .map(|e| e.total_s())
    .map_err(|e| e.to_string())
}

#[component]
pub fn GraphcoreSection(query: Vec<(String, String)>) -> impl IntoView {
    let form = RwSignal::new(GridForm::from_query(&query));
    let grid = Memo::new(move |_| form.with(|f| f.parse().ok()));
    // The worker starts only when the learner starts a grid.
    let owner = Owner::current();
    let lab: RwSignal<Option<LabHandle<Mnist>>> = RwSignal::new(None);
    let pending: StoredValue<Option<Vec<RunConfig>>> = StoredValue::new(None);
    let figures = use_context::<HomeworkFigures>();
    let running = Signal::derive(move || lab.get().is_some_and(|l| l.is_running()));
    let records = Signal::derive(move || lab.get().map(|l| l.records.get()).unwrap_or_default());
    if let Some(figures) = figures {
        figures.graphcore_records.set(Some(records));
    }

    // Once the bundled digits are in the worker, the waiting grid starts.
    Effect::new(move |_| {
        let Some(handle) = lab.get() else { return };
        if handle.data.with(|d| matches!(d, DataState::Ready(_)))
            && let Some(runs) = pending.try_update_value(Option::take).flatten()
        {
            handle.start_queue(runs);
        }
    });

    let start = move |_| {
        let Some(plan) = grid.get_untracked().map(|g| g.plan()) else {
            return;
        };
        let runs: Vec<RunConfig> = plan.runs.into_iter().take(plan.n_started).collect();
        if runs.is_empty() {
            return;
        }
        match lab.get_untracked() {
            Some(handle)
                if handle
                    .data
                    .with_untracked(|d| matches!(d, DataState::Ready(_))) =>
            {
                handle.start_queue(runs);
            }
            Some(_) => pending.set_value(Some(runs)),
            // A second click before the worker's first frame changes nothing.
            None if pending.with_value(Option::is_some) => {}
            None => {
                pending.set_value(Some(runs));
                let handle = owner.as_ref().map_or_else(
                    || LabHandle::<Mnist>::start(Callback::new(|_| {})),
                    |o| o.with(|| LabHandle::<Mnist>::start(Callback::new(|_| {}))),
                );
                if handle.has_worker() {
                    crate::pages::mnist::load_bundled(handle);
                }
                // The run panel renders in the next frame, so the click's task stays short.
                request_animation_frame(move || {
                    let _ = lab.try_set(Some(handle));
                });
            }
        }
    };

    let fields = super::section_fields(form, running);
    let field = move |f, label, hint, options| fields.field(f, label, hint, options);

    let plan = Memo::new(move |_| grid.get().map(|g| g.plan()));
    let cells = Memo::new(move |_| {
        let grid = grid.get();
        records.with(|r| grid.map(|g| cells(&g, r)).unwrap_or_default())
    });
    let data_note = move || {
        lab.get().and_then(|l| match l.data.get() {
            DataState::Loading => Some("Loading the bundled digits into the worker…".to_owned()),
            DataState::Failed(sentence) => Some(sentence),
            DataState::Ready(_) => None,
        })
    };

    view! {
        <SectionFrame at="graphcore">
            <p>
                "The homework: train the PopTorch MNIST example on one IPU, change the learning "
                "rate, the batch size and the number of epochs, and explain the results. The "
                "student varied only the learning rate (batch 8, 10 epochs):"
            </p>
            <DataTable
                testid="homework-graphcore-real"
                label="Test accuracy of the four learning rates on a Bow IPU"
                headers=&["learning rate", "test accuracy on the IPU"]
                rows=Signal::stored(
                    crate::training::mnist::config::IPU_SWEEP
                        .iter()
                        .map(|(lr, acc)| vec![lr.to_string(), format!("{acc:.2} %")])
                        .collect::<Vec<_>>(),
                )
            />
            <p class="homework-source">{format!("Source: {}.", reality::source(Section::Graphcore))}</p>
            <h3>"Your grid, trained in this browser"</h3>
            <p>
                "The same CNN, loss and plain SGD as the example, at every learning rate × batch size "
                "× number of epochs you list (separate values with commas). The runs are queued in "
                "the MNIST lab's Web Worker, one after the other, on the 8,000 bundled training digits "
                "(or the first few of them) and tested on the 2,000 bundled test digits after every epoch. "
                "A run's first epochs do not depend on how many follow, so each learning rate and "
                "batch size is run once, for the most epochs listed, and the shorter counts are read "
                "off its epochs."
            </p>
            <p>
                "An epoch here is 8,000 digits; on the IPU it was 60,000, so at batch 8 the IPU took "
                "7,500 steps an epoch and this browser 1,000. Choose “the IPU's number of steps” to "
                "make each epoch 60,000 digits here too (7.5 passes): that is what lr 0.0005 needs, "
                "which reaches only about 64 % after 10 ordinary epochs here against the IPU's 93.08 %. "
                "With the IPU's 75,000 steps the same run reached 93.80 % in Chromium on this "
                "site's 2-core test machine (in about 9 minutes; 93.75 % natively)."
            </p>
            <div class="lab-form homework-grid-form">
                {field(GridField::Lr, "Learning rates", "e.g. 0.0005, 0.005, 0.05, 0.5", Vec::new())}
                {field(GridField::Batch, "Batch sizes", "e.g. 8, 32, 128 (the IPU's was 8)", Vec::new())}
                {field(GridField::Epochs, "Epochs", "e.g. 1, 2, 5", Vec::new())}
                {field(
                    GridField::Steps,
                    "Steps per epoch",
                    "",
                    vec![("here", "one pass over the digits used here"), ("ipu", "the IPU's number of steps (60,000 digits an epoch)")],
                )}
                {field(GridField::Digits, "Training digits", "the first this many of the 8,000 bundled", Vec::new())}
                {field(GridField::Seed, "Seed", "", Vec::new())}
            </div>
            <p class="homework-estimate" data-testid="ipu-grid-estimate" aria-live="polite">
                {move || plan.get().map_or_else(|| "Fix the settings above to see the grid's estimate.".to_owned(), |p| p.sentence())}
            </p>
            <div class="lab-form__actions">
                <button
                    type="button"
                    class="lab-button lab-button--primary"
                    data-testid="ipu-grid-run"
                    prop:disabled=move || running.get() || plan.with(|p| p.as_ref().is_none_or(|p| p.n_started == 0))
                    on:click=start
                >
                    {move || plan.get().map_or_else(
                        || "Run the grid".to_owned(),
                        |p| format!("Run {} of {} run{} here", p.n_started, p.runs.len(), if p.runs.len() == 1 { "" } else { "s" }),
                    )}
                </button>
                <button
                    type="button"
                    class="lab-button"
                    data-testid="ipu-grid-cancel"
                    prop:disabled=move || !running.get()
                    on:click=move |_| {
                        if let Some(l) = lab.get_untracked() {
                            l.cancel();
                        }
                    }
                >
                    "Cancel the grid"
                </button>
            </div>
            <p class="lab-form__hint" data-testid="ipu-grid-data" aria-live="polite">{data_note}</p>
            {move || lab.get().map(|l| view! { <RunPanel lab=l.view("ipu") /> })}
            <GridResults grid cells />
            <EpochTimes grid cells />
        </SectionFrame>
    }
}

/// The grid's table, its CSV and its plot.
#[component]
fn GridResults(
    grid: Memo<Option<GridConfig>>,
    cells: Memo<Vec<crate::training::homework::grid::GridCell>>,
) -> impl IntoView {
    let rows = Signal::derive(move || {
        cells.with(|cells| {
            cells
                .iter()
                .map(|c| {
                    vec![
                        format_lr(c.lr),
                        c.batch.to_string(),
                        c.epochs.to_string(),
                        c.accuracy.map_or_else(|| "–".to_owned(), percent),
                        c.state.to_owned(),
                    ]
                })
                .collect::<Vec<_>>()
        })
    });
    let anchor = NodeRef::<A>::new();
    let download_error = RwSignal::new(None::<String>);
    let download = move |_| {
        let (Some(a), Some(g)) = (anchor.get_untracked(), grid.get_untracked()) else {
            return;
        };
        let csv = cells.with_untracked(|c| cells_csv(&g, c));
        download_error.set(
            crate::files::download_text(&a, "homework-graphcore-grid.csv", "text/csv", &csv).err(),
        );
    };
    let canvas = NodeRef::<Canvas>::new();
    let palette = use_palette();
    let resized = crate::charts::canvas::use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let Some(canvas) = canvas.get() else { return };
        let panels = cells.with(|c| {
            vec![
                SettingPanel {
                    title: "against the learning rate",
                    log_x: true,
                    points: by_setting(c, GridField::Lr),
                },
                SettingPanel {
                    title: "against the batch size",
                    log_x: true,
                    points: by_setting(c, GridField::Batch),
                },
                SettingPanel {
                    title: "against the epochs",
                    log_x: false,
                    points: by_setting(c, GridField::Epochs),
                },
            ]
        });
        let _ = draw_setting_plot(&canvas, &panels, &palette.get());
    });
    view! {
        <h3>"Results"</h3>
        <DataTable
            testid="ipu-grid-table"
            label="Test accuracy of each run of the grid, in this browser"
            headers=&["learning rate", "batch", "epochs", "test accuracy here", "run"]
            rows
        />
        <div class="lab-form__actions">
            <button type="button" class="lab-button" data-testid="ipu-grid-csv" on:click=download>"Download the grid (CSV)"</button>
            <a node_ref=anchor data-testid="ipu-grid-csv-file" hidden aria-hidden="true"></a>
        </div>
        <p class="lab-form__error" role="alert">{move || download_error.get()}</p>
        <p>
            "Mean test accuracy (this browser) of the finished runs at each value of a setting: "
            "the other settings are averaged over, so read each panel with the table beside it."
        </p>
        <canvas
            node_ref=canvas
            class="homework-plot"
            data-testid="ipu-grid-plot"
            style:height=format!("{SETTING_PLOT_HEIGHT}px")
            role="img"
            aria-label="Test accuracy against the learning rate, the batch size and the epochs"
        ></canvas>
    }
}

/// Time per 60,000-digit epoch for each batch size: the IPU model's, this browser's measured
/// training speed scaled to 60,000 digits, and the real IPU's at batch 8.
#[component]
fn EpochTimes(
    grid: Memo<Option<GridConfig>>,
    cells: Memo<Vec<crate::training::homework::grid::GridCell>>,
) -> impl IntoView {
    let batches = Memo::new(move |_| grid.get().map(|g| g.batches).unwrap_or_default());
    let model = Memo::new(move |_| {
        batches.with(|b| {
            b.iter()
                .map(|&batch| (batch, model_epoch_s(batch)))
                .collect::<Vec<_>>()
        })
    });
    let rows = Signal::derive(move || {
        model
            .get()
            .into_iter()
            .map(|(batch, modelled)| {
                let measured = cells.with(|c| {
                    c.iter()
                        .filter(|c| c.batch == batch)
                        .find_map(|c| c.digits_per_s)
                });
                vec![
                    batch.to_string(),
                    modelled.map_or_else(|e| e, |s| format!("{s:.3} s")),
                    measured.map_or_else(
                        || "run the grid".to_owned(),
                        |r| format_duration(IPU_DIGITS_PER_EPOCH as f64 / r),
                    ),
                    if batch == 8 {
                        format!("{} s", sim::ipu::epoch::REAL_EPOCH_S_CACHED)
                    } else {
                        "not run".to_owned()
                    },
                ]
            })
            .collect::<Vec<_>>()
    });
    view! {
        <h3>"Time per epoch of 60,000 digits"</h3>
        <p>
            "The IPU model's figure is the course's simulator (a model of a Bow IPU's supersteps and "
            "host link, not the machine). This browser's figure is measured: the grid's training "
            "speed in digits per second, scaled to 60,000 digits (its test passes left out). The real "
            "figure is the student's log, at batch 8 only."
        </p>
        <DataTable
            testid="ipu-grid-epoch-times"
            label="Time per 60,000-digit epoch for each batch size"
            headers=&["batch", "IPU model", "this browser (measured)", "real Bow IPU"]
            rows
        />
    }
}
