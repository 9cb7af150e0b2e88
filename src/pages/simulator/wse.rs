//! The WSE-2 mesh's stage: the mesh canvas and its legend.

use leptos::prelude::*;
use sim::wse::MeshSnapshot;
use sim::wse::layer::{DRAWN_IN_COLOR, DRAWN_OUT_COLOR};

use super::StageContext;
use crate::charts::palette::use_palette;
use crate::components::sim::{MeshCanvas, SimLegend};
use crate::simulation::wse::WseSession;

/// Wavelets listed per snapshot: enough for every link of a 32×32 mesh to show traffic.
pub const WAVELET_LIMIT: usize = 8_192;

/// The mesh, drawn from the run after each slice.
#[component]
pub fn WseStage(
    /// What the shell shares with the stage.
    ctx: StageContext,
) -> impl IntoView {
    let snapshot = RwSignal::new(MeshSnapshot {
        wavelet_limit: WAVELET_LIMIT,
        ..MeshSnapshot::default()
    });
    let capacity = RwSignal::new(0.0f64);
    // The op running, for a graph mapped op by op (none for a single layer).
    let phase = RwSignal::new(None::<String>);
    ctx.on_picture(move |s, built| {
        if let Some(w) = s.as_any().downcast_ref::<WseSession>() {
            snapshot.update(|snap| w.run.snapshot_into(snap));
            let line = w.run.phase_line();
            if phase.with_untracked(|p| *p != line) {
                phase.set(line);
            }
            if built {
                // u64 → f64: a PE's memory, exact.
                capacity.set(w.run.config().memory_per_pe.0 as f64);
            }
        }
    });
    let palette = use_palette();
    let legend = Signal::derive(move || {
        let p = palette.get();
        let mut items = vec![
            (p.idle, "idle PE", "sim-legend__swatch"),
            (p.busy, "busy PE (running a task)", "sim-legend__swatch"),
            (
                p.stalled,
                "stalled PE (waiting on a queue)",
                "sim-legend__swatch",
            ),
            (
                p.memory_bar,
                "memory in use (bar: share of 48 KB)",
                "sim-legend__swatch sim-legend__swatch--bar",
            ),
            (
                p.channel(0),
                "wavelet on color 0: x, broadcast south",
                "sim-legend__swatch sim-legend__swatch--dot",
            ),
            (
                p.channel(1),
                "color 1: partial sums east (even columns)",
                "sim-legend__swatch sim-legend__swatch--dot",
            ),
            (
                p.channel(2),
                "color 2: partial sums east (odd columns)",
                "sim-legend__swatch sim-legend__swatch--dot",
            ),
        ];
        if phase.with(Option::is_some) {
            items.extend([
                (
                    p.channel(DRAWN_IN_COLOR),
                    "rows or K/V streaming in (scheduled from the link rates)",
                    "sim-legend__swatch sim-legend__swatch--dot",
                ),
                (
                    p.channel(DRAWN_OUT_COLOR),
                    "a row's results going back west",
                    "sim-legend__swatch sim-legend__swatch--dot",
                ),
            ]);
        }
        items
    });
    view! {
        {move || {
            phase
                .get()
                .map(|line| {
                    view! {
                        <p class="sim-phase" data-testid="sim-wse-phase" aria-live="polite">
                            {line}
                        </p>
                    }
                })
        }}
        <MeshCanvas
            snapshot=snapshot
            selected=ctx.selected
            memory_capacity=capacity
            on_select=ctx.on_select
        />
        <SimLegend items=legend />
    }
}
