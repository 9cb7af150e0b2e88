//! The Groq TSP's stage: the compile report (the schedule's length before anything runs,
//! then the run against it), the chip with its streams and the schedule as a Gantt chart,
//! the legend, the course's 128 → 256 experiment beside the real GroqChip, and the schedule
//! as tables (per op, and instruction by instruction).

use leptos::prelude::*;
use sim::engine::Engine;
use sim::groq::{CellState, GroqSnapshot, Mnemonic};

use super::StageContext;
use crate::charts::palette::use_palette;
use crate::components::DataTable;
use crate::components::sim::groq_canvas::GanttData;
use crate::components::sim::panels::ExperimentRows;
use crate::components::sim::{GroqCanvas, ModelBesideReal, SimLegend};
use crate::simulation::groq::{
    GroqSession, InstructionRow, executed_line, instruction_rows, latency_lines, op_rows,
    prediction_line, recompile_line, thousands,
};

/// Instructions listed in the schedule table (the rest are counted).
pub const SCHEDULE_ROWS: usize = 80;

/// What the Gantt chart draws of a session's schedule.
fn gantt_of(s: &GroqSession) -> GanttData {
    let p = s.run.program();
    GanttData {
        n_slices: p.slices.len() as u32,
        length: p.length.0,
        bars: p
            .instructions
            .iter()
            .map(|i| {
                let state = match i.mnemonic {
                    Mnemonic::Read => CellState::Reading,
                    Mnemonic::Write => CellState::Writing,
                    Mnemonic::LoadWeights => CellState::Loading,
                    _ => CellState::Computing,
                };
                (i.slice, i.issue.0, i.issue.0 + i.count, state)
            })
            .collect(),
    }
}

/// The schedule's op table rows.
type OpRow = (String, &'static str, u64, u64, usize);

/// The Groq chip, drawn from the run after each slice, with its compile report, the
/// latency experiment and the schedule.
#[component]
pub fn GroqStage(
    /// What the shell shares with the stage.
    ctx: StageContext,
) -> impl IntoView {
    let snapshot = RwSignal::new(GroqSnapshot::default());
    let gantt = RwSignal::new(GanttData::default());
    let predicted = RwSignal::new(String::new());
    let executed = RwSignal::new(String::new());
    let ops = RwSignal::new(Vec::<OpRow>::new());
    let schedule = RwSignal::new((Vec::<InstructionRow>::new(), 0usize));
    let latency = RwSignal::new(None::<ExperimentRows>);
    let recompiled = RwSignal::new(String::new());
    let compile_again = move |_| {
        let line = ctx.with_session::<GroqSession, _>(recompile_line);
        recompiled.set(line.unwrap_or_default());
    };
    ctx.on_picture(move |s, built| {
        if let Some(groq) = s.as_any().downcast_ref::<GroqSession>() {
            snapshot.update(|snap| groq.run.snapshot_into(snap));
            executed.set(executed_line(&groq.run).unwrap_or_else(|| {
                format!(
                    "Not finished: cycle {} of the {} predicted.",
                    thousands(groq.run.now().0),
                    thousands(groq.run.predicted().0)
                )
            }));
            if built {
                recompiled.set(String::new());
                gantt.set(gantt_of(groq));
                predicted.set(prediction_line(&groq.run));
                ops.set(op_rows(&groq.run));
                schedule.set((
                    instruction_rows(&groq.run, &groq.workload, SCHEDULE_ROWS),
                    groq.run.program().instructions.len(),
                ));
                latency.set(Some(
                    groq.latency
                        .as_ref()
                        .map(latency_lines)
                        .map_err(Clone::clone),
                ));
            }
        }
    });
    let palette = use_palette();
    let legend = Signal::derive(move || {
        let p = palette.get();
        vec![
            (p.idle, "idle", "sim-legend__swatch"),
            (
                p.channel(0),
                "MEM reading onto a stream",
                "sim-legend__swatch",
            ),
            (
                p.channel(1),
                "MEM writing from a stream",
                "sim-legend__swatch",
            ),
            (p.channel(2), "MXM loading weights", "sim-legend__swatch"),
            (p.busy, "computing (MXM, VXM, SXM)", "sim-legend__swatch"),
            (p.channel(3), "vectors moving east", "sim-legend__swatch"),
            (p.channel(4), "vectors moving west", "sim-legend__swatch"),
        ]
    });
    view! {
        <section class="sim-panel" data-testid="sim-groq-compile">
            <h2 class="sim-panel__title">"Compile, then run"</h2>
            <p class="sim-panel__note">
                "The settings are compiled as soon as they change: the compiler fixes the cycle of every instruction on every slice, so it knows the program's length before anything runs."
            </p>
            <p class="sim-groq__predicted" data-testid="sim-groq-predicted">
                {move || predicted.get()}
            </p>
            <p class="sim-groq__executed" data-testid="sim-groq-executed" aria-live="polite">
                {move || executed.get()}
            </p>
            <p class="sim-panel__note">
                <button
                    type="button"
                    class="sim-button"
                    data-testid="sim-groq-compile-again"
                    on:click=compile_again
                >
                    "Compile again"
                </button>
                " "
                <span data-testid="sim-groq-recompiled" aria-live="polite">
                    {move || recompiled.get()}
                </span>
            </p>
        </section>
        <p class="sim-panel__note" data-testid="sim-groq-running">
            {move || {
                snapshot
                    .with(|s| {
                        if s.finished {
                            "Finished: every result has landed in memory.".to_string()
                        } else if s.running_ops.is_empty() {
                            "Nothing in flight this cycle.".to_string()
                        } else {
                            format!("In flight this cycle: {}.", s.running_ops.join(", "))
                        }
                    })
            }}
        </p>
        <GroqCanvas snapshot gantt selected=ctx.selected on_select=ctx.on_select />
        <SimLegend items=legend />
        <ModelBesideReal
            testid="sim-groq-latency"
            title="The course's experiment: BERT-tiny at sequence 128, then 256"
            note="A new input shape means a new compile and a new program; new input values never change the timing. The model's microseconds are this simulator's, not Groq's: compare the ratios."
            rows=latency.into()
        />
        <section class="sim-panel sim-program">
            <h2 class="sim-panel__title">"The schedule, op by op"</h2>
            <DataTable
                testid="sim-groq-ops"
                label="Operations"
                headers=&["Op", "Kind", "First issue (cycle)", "Done on every superlane (cycle)", "Instructions"]
                rows=Signal::derive(move || {
                    ops.get()
                        .into_iter()
                        .map(|(name, label, start, end, n)| {
                            vec![name, label.to_owned(), start.to_string(), end.to_string(), n.to_string()]
                        })
                        .collect()
                })
            />
        </section>
        <section class="sim-panel sim-program">
            <h2 class="sim-panel__title">"The schedule, instruction by instruction"</h2>
            <p class="sim-panel__note">
                {move || {
                    schedule
                        .with(|(rows, n)| {
                            if rows.len() < *n {
                                format!(
                                    "{} instructions; the first {} are listed. Each enters superlane 0 at its cycle and reaches superlane s s cycles later.",
                                    thousands(*n as u64),
                                    rows.len()
                                )
                            } else {
                                format!(
                                    "{n} instructions. Each enters superlane 0 at its cycle and reaches superlane s s cycles later."
                                )
                            }
                        })
                }}
            </p>
            <DataTable
                testid="sim-groq-schedule"
                label="Schedule"
                headers=&["Cycle", "Slice", "Instruction", "Vectors", "Latency", "Op"]
                row_header=1
                rows=Signal::derive(move || {
                    schedule.with(|(rows, _)| rows.iter().map(InstructionRow::cells).collect())
                })
            />
        </section>
    }
}
