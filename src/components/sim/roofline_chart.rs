//! The roofline chart of runs of one workload on several machines.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::charts::palette::use_palette;
use crate::charts::roofline::{RooflineData, draw_roofline};

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
            aria-label="Roofline: achieved FLOP/s against FLOPs per off-chip byte for each machine; the numbers are in the table above"
        ></canvas>
    }
}
