//! The GPU baseline's stage: the SMs and HBM on a canvas, its legend, and the per-kernel HBM
//! round trips.

use leptos::prelude::*;
use sim::gpu::{GpuSnapshot, Kernel};

use super::StageContext;
use crate::charts::palette::use_palette;
use crate::components::sim::{GpuCanvas, SimLegend, TrafficTable};
use crate::simulation::gpu::{GpuSession, KernelTraffic, round_trip_summary};

/// The GPU, drawn from the run after each slice, and its HBM traffic.
#[component]
pub fn GpuStage(
    /// What the shell shares with the stage.
    ctx: StageContext,
) -> impl IntoView {
    let snapshot = RwSignal::new(None::<GpuSnapshot>);
    let kernels = RwSignal::new(Vec::<Kernel>::new());
    let n_sms = RwSignal::new(1u32);
    let traffic = RwSignal::new(Vec::<KernelTraffic>::new());
    ctx.on_picture(move |s, built| {
        if let Some(g) = s.as_any().downcast_ref::<GpuSession>() {
            snapshot.set(Some(g.sim.snapshot()));
            if built {
                kernels.set(g.sim.kernels().to_vec());
                n_sms.set(g.sim.config().n_sms);
                traffic.set(g.traffic.clone());
            }
        }
    });
    let summary = Signal::derive(move || traffic.with(|t| round_trip_summary(t)));
    let palette = use_palette();
    let legend = Signal::derive(move || {
        let p = palette.get();
        vec![
            (
                p.launching,
                "kernel launch (fixed overhead)",
                "sim-legend__swatch",
            ),
            (p.busy, "SMs computing", "sim-legend__swatch"),
            (p.stalled, "SMs done, waiting on HBM", "sim-legend__swatch"),
            (
                p.channel(0),
                "bytes moving between HBM and the SMs",
                "sim-legend__swatch sim-legend__swatch--dot",
            ),
        ]
    });
    view! {
        <GpuCanvas snapshot kernels n_sms />
        <SimLegend items=legend />
        <TrafficTable rows=traffic summary />
    }
}
