//! The SambaNova RDU's stage: the tile with its pipeline and the stage occupancy, the legend,
//! the sections the compiler made (with the DDR traffic between them), and the data-parallel
//! panel: this workload's scaling and the model's `--ntasks` sweep beside the real SN30 runs.

use leptos::prelude::*;
use sim::rdu::RduSnapshot;

use super::StageContext;
use crate::charts::palette::use_palette;
use crate::components::DataTable;
use crate::components::sim::rdu_canvas::stage_colour;
use crate::components::sim::{RduCanvas, SimLegend};
use crate::simulation::rdu::{
    RduSession, SectionRow, ddr_sentence, ntasks_notes, ntasks_rows, scaling_rows, section_rows,
    steady_state_note,
};

/// What the stage shows beside the picture, copied from the session once it is built.
#[derive(Clone, Debug, Default, PartialEq)]
struct Panels {
    sections: Vec<SectionRow>,
    ddr: String,
    steady: Option<String>,
    scaling: Vec<[String; 4]>,
    ntasks: Vec<[String; 6]>,
    notes: Vec<String>,
    tasks: u32,
}

/// The RDU, drawn from the run after each slice, with its sections and data-parallel panels.
#[component]
pub fn RduStage(
    /// What the shell shares with the stage.
    ctx: StageContext,
) -> impl IntoView {
    let snapshot = RwSignal::new(RduSnapshot::default());
    let panels = RwSignal::new(Panels::default());
    ctx.on_picture(move |s, built| {
        if let Some(rdu) = s.as_any().downcast_ref::<RduSession>() {
            snapshot.update(|snap| rdu.run.snapshot_into(snap));
            if built {
                panels.set(Panels {
                    sections: section_rows(&rdu.run),
                    ddr: ddr_sentence(&rdu.run),
                    steady: steady_state_note(&rdu.run),
                    scaling: scaling_rows(&rdu.scaling),
                    ntasks: ntasks_rows(&rdu.ntasks),
                    notes: ntasks_notes(&rdu.ntasks),
                    tasks: rdu.run.program().tasks,
                });
            }
        }
    });
    let palette = use_palette();
    let legend = Signal::derive(move || {
        let p = palette.get();
        vec![
            (
                stage_colour(1, &p),
                "PCU working on a micro-batch (colour: its stage)",
                "sim-legend__swatch",
            ),
            (
                p.idle,
                "PCU waiting for its input, done, or unused (outlined in its stage's colour when placed)",
                "sim-legend__swatch",
            ),
            (
                p.stalled,
                "PCU blocked: its output buffer is full (back-pressure)",
                "sim-legend__swatch",
            ),
            (
                p.memory_bar,
                "PMU buffer: filled to the share of its slots in use",
                "sim-legend__swatch",
            ),
            (p.muted, "PMU holding weights", "sim-legend__swatch"),
            (
                p.launching,
                "AGCU: the tile's portal to off-chip DDR",
                "sim-legend__swatch",
            ),
        ]
    });
    let current = move || snapshot.with(|s| s.section);
    view! {
        <p class="sim-panel__note" data-testid="sim-rdu-phase">
            {move || {
                snapshot
                    .with(|s| {
                        if s.n_sections == 0 {
                            "Not built.".to_string()
                        } else if s.phase == sim::rdu::PipelinePhase::Finished {
                            format!("Finished: {} sections, {} micro-batches each.", s.n_sections, s.micro_batches)
                        } else {
                            format!(
                                "Section {} of {}: {}; {} of {} micro-batches out of it.",
                                s.section + 1,
                                s.n_sections,
                                s.phase.label(),
                                s.out_of_section,
                                s.micro_batches,
                            )
                        }
                    })
            }}
        </p>
        <RduCanvas snapshot selected=ctx.selected on_select=ctx.on_select />
        <SimLegend items=legend />
        <section class="sim-panel sim-program">
            <h2 class="sim-panel__title">"The sections the compiler made"</h2>
            <p class="sim-panel__note">
                "Each section is one configuration of the tile: its ops on PCUs, its buffers and weights in PMUs, loaded in turn. The real BERT-large compile made 72 (partitions 0–71)."
            </p>
            <p class="sim-panel__note" data-testid="sim-rdu-ddr">{move || panels.with(|p| p.ddr.clone())}</p>
            {move || {
                panels
                    .with(|p| p.steady.clone())
                    .map(|note| {
                        view! { <p class="sim-panel__note" data-testid="sim-rdu-steady">{note}</p> }
                    })
            }}
            <DataTable
                testid="sim-rdu-sections"
                label="Sections"
                headers=&["#", "Ops", "PCUs", "PMUs", "Load cycles", "Slowest stage (sets the rate)", "DDR per micro-batch"]
                row_header=1
                rows=Signal::derive(move || {
                    panels.with(|p| p.sections.iter().map(SectionRow::cells).collect())
                })
                current=Signal::derive(move || Some(current()))
            />
        </section>
        <section class="sim-panel" data-testid="sim-rdu-ntasks">
            <h2 class="sim-panel__title">"Data parallel: the homework's --ntasks"</h2>
            <p class="sim-panel__note">
                {move || {
                    let t = panels.with(|p| p.tasks);
                    format!(
                        "This run: {t} task{} (set it above). Each task runs the same sections on its own micro-batches, then the tasks all-reduce their gradients. Samples per second of this workload as tasks are added (the model's figures):",
                        if t == 1 { "" } else { "s" },
                    )
                }}
            </p>
            <DataTable
                testid="sim-rdu-scaling"
                label="Scaling with tasks"
                headers=&["Tasks", "Step (run + all-reduce)", "Samples/s", "Efficiency per task"]
                rows=Signal::derive(move || {
                    panels.with(|p| p.scaling.iter().map(|r| r.to_vec()).collect())
                })
            />
            <h3 class="sim-panel__subtitle">"BERT-large on the ALCF SN30: the model beside the student's runs"</h3>
            <DataTable
                testid="sim-rdu-ntasks-table"
                label="Runs with --ntasks"
                headers=&["--ntasks", "Model samples/s", "Real samples/s", "Model error", "Efficiency vs previous row (model / real)", "Throughput window check"]
                rows=Signal::derive(move || {
                    panels.with(|p| p.ntasks.iter().map(|r| r.to_vec()).collect())
                })
            />
            {move || {
                panels
                    .get()
                    .notes
                    .into_iter()
                    .map(|n| view! { <p class="sim-panel__note">{n}</p> })
                    .collect_view()
            }}
        </section>
    }
}
