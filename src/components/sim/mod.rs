//! The simulator pages' components: the canvases (mesh, GPU), the controls, the parameters
//! form, the text panels, and `use_sim_loop`, which drives an engine frame by frame.

pub mod controls;
pub mod event_log;
pub mod gpu_canvas;
pub mod groq_canvas;
pub mod ipu_canvas;
pub mod mesh_canvas;
pub mod mesh_layout;
pub mod panels;
pub mod param_form;
pub mod rdu_canvas;
pub mod roofline_chart;
pub mod use_sim_loop;

pub use controls::{SimControls, SimLegend};
pub use event_log::{EventLog, LogLines};
pub use gpu_canvas::GpuCanvas;
pub use groq_canvas::GroqCanvas;
pub use ipu_canvas::IpuCanvas;
pub use mesh_canvas::MeshCanvas;
pub use panels::{
    CompareTable, LabelValueList, MetricsTable, ModelBesideReal, PeInspector, TrafficTable,
};
pub use param_form::{SimParamsForm, size_inputs};
pub use rdu_canvas::RduCanvas;
pub use roofline_chart::RooflineChart;
pub use use_sim_loop::{Publish, SessionSlot, UseSimLoopReturn, use_sim_loop};

use std::cell::Cell;

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// A document-unique element id starting with `prefix`, so that two simulators on one page
/// (a lesson may embed several) never share an `id` that an `aria-labelledby` points at.
pub fn unique_id(prefix: &str) -> String {
    let n = NEXT_ID.with(|next| {
        let n = next.get();
        next.set(n.wrapping_add(1));
        n
    });
    format!("{prefix}-{n}")
}
