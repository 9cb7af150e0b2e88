//! The roofline chart of a GPU run and a mesh run of the same workload.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::gpu::GpuConfig;
use sim::metrics::RunMetrics;

use super::mesh_canvas::use_palette;
use crate::charts::roofline::{RooflineData, RooflinePoint, draw_roofline};

/// The chart's data for a GPU run (on the A100 model) and a mesh run.
pub fn roofline_data(gpu: &RunMetrics, wse: &RunMetrics) -> RooflineData {
    RooflineData {
        gpu_peak: gpu.peak_flops_per_s,
        gpu_bandwidth: GpuConfig::a100_40gb_sxm().hbm_bytes_per_s,
        mesh_peak: wse.peak_flops_per_s,
        points: vec![
            RooflinePoint {
                label: "GPU".into(),
                intensity: gpu.arithmetic_intensity(),
                flops_per_s: gpu.achieved_flops_per_s(),
                colour: 1,
            },
            RooflinePoint {
                label: "WSE mesh".into(),
                intensity: wse.arithmetic_intensity(),
                flops_per_s: wse.achieved_flops_per_s(),
                colour: 0,
            },
        ],
    }
}

/// A roofline chart; the comparison table beside it holds the same numbers as text.
#[component]
pub fn RooflineChart(
    /// What to draw (nothing before there is a run).
    #[prop(into)]
    data: Signal<Option<RooflineData>>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let palette = use_palette();
    Effect::new(move |_| {
        let palette = palette.get();
        if let Some(canvas) = canvas_ref.get() {
            data.with(|d| {
                if let Some(d) = d {
                    let _ = draw_roofline(&canvas, d, &palette);
                }
            });
        }
    });
    view! {
        <canvas
            class="sim-canvas sim-canvas--roofline"
            data-testid="sim-roofline"
            node_ref=canvas_ref
            role="img"
            aria-label="Roofline: achieved FLOP/s against FLOPs per off-chip byte for the GPU and the mesh; the numbers are in the table above"
        ></canvas>
    }
}
