//! The Graphcore IPU's stage: the tiles and the BSP trace, the legend, the compiled program
//! as a table of supersteps, and (for the CNN) the training epoch beside the real Bow IPU.

use leptos::prelude::*;
use sim::ipu::IpuSnapshot;

use super::StageContext;
use crate::charts::palette::use_palette;
use crate::components::DataTable;
use crate::components::sim::panels::ExperimentRows;
use crate::components::sim::{IpuCanvas, ModelBesideReal, SimLegend};
use crate::simulation::ipu::{IpuSession, SuperstepRow, epoch_lines, program_rows};

/// Supersteps listed in the program table (the rest are counted).
pub const PROGRAM_ROWS: usize = 40;

/// The IPU, drawn from the run after each slice, with its program and epoch panels.
#[component]
pub fn IpuStage(
    /// What the shell shares with the stage.
    ctx: StageContext,
) -> impl IntoView {
    let snapshot = RwSignal::new(IpuSnapshot::default());
    let program = RwSignal::new((Vec::<SuperstepRow>::new(), 0usize));
    let epoch = RwSignal::new(None::<ExperimentRows>);
    let phase_times = RwSignal::new(sim::ipu::IpuPhaseTimes::default());
    ctx.on_picture(move |s, built| {
        if let Some(ipu) = s.as_any().downcast_ref::<IpuSession>() {
            snapshot.update(|snap| ipu.run.snapshot_into(snap));
            phase_times.set(ipu.run.phase_times());
            if built {
                let n = ipu.run.program().supersteps.len();
                program.set((program_rows(&ipu.run, PROGRAM_ROWS), n));
                epoch.set(
                    ipu.epoch
                        .as_ref()
                        .map(|e| e.as_ref().map(epoch_lines).map_err(Clone::clone)),
                );
            }
        }
    });
    let palette = use_palette();
    let legend = Signal::derive(move || {
        let p = palette.get();
        vec![
            (p.idle, "idle tile", "sim-legend__swatch"),
            (p.busy, "computing its vertices", "sim-legend__swatch"),
            (
                p.stalled,
                "done, waiting at the sync for the slowest tile",
                "sim-legend__swatch",
            ),
            (
                p.channel(2),
                "exchanging (compiler-scheduled transfers)",
                "sim-legend__swatch",
            ),
        ]
    });
    view! {
        <p class="sim-panel__note" data-testid="sim-ipu-phase">
            {move || {
                snapshot
                    .with(|s| {
                        let [computing, waiting, exchanging, idle] = s.counts;
                        format!(
                            "{}: {computing} tiles computing, {waiting} waiting at the sync, {exchanging} exchanging, {idle} idle.",
                            if s.finished {
                                "Finished"
                            } else if s.superstep_label.is_empty() {
                                "Not started"
                            } else {
                                s.superstep_label.as_str()
                            },
                        )
                    })
            }}
        </p>
        <p class="sim-panel__note" data-testid="sim-ipu-phase-times">
            {move || {
                let t = phase_times.get();
                format!(
                    "Time so far by phase: compute {} cycles, syncs {} cycles, exchange {} cycles.",
                    t.compute.0,
                    t.sync.0,
                    t.exchange.0
                )
            }}
        </p>
        <IpuCanvas snapshot selected=ctx.selected on_select=ctx.on_select />
        <SimLegend items=legend />
        <ModelBesideReal
            testid="sim-ipu-epoch"
            title="The course's workload: one training epoch of the MNIST CNN on a whole IPU"
            note="The model's figure is this simulator's, not Graphcore's: 60,000 images at this batch on 1,472 tiles, forward, backward and update per step, one host call per device-iterations steps. Change the device iterations to see what the example's 50 saves."
            rows=epoch.into()
        />
        <section class="sim-panel sim-program">
            <h2 class="sim-panel__title">"The program the graph compiler made"</h2>
            <p class="sim-panel__note">
                {move || {
                    program
                        .with(|(rows, n)| {
                            if rows.len() < *n {
                                format!("{n} supersteps; the first {} are listed.", rows.len())
                            } else {
                                format!("{n} supersteps: compute on the tiles, a sync, then an exchange.")
                            }
                        })
                }}
            </p>
            <DataTable
                testid="sim-ipu-program"
                label="Program"
                headers=&["#", "Computes", "Tiles", "Compute cycles (slowest tile)", "Transfers", "Bytes exchanged", "Exchange cycles"]
                row_header=1
                rows=Signal::derive(move || {
                    program.with(|(rows, _)| rows.iter().map(SuperstepRow::cells).collect())
                })
            />
        </section>
    }
}
