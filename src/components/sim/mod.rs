//! The simulator pages' components: the canvases (mesh, GPU), the controls, the parameters
//! form, the text panels, and `use_sim_loop`, which drives an engine frame by frame.

pub mod controls;
pub mod event_log;
pub mod gpu_canvas;
pub mod mesh_canvas;
pub mod mesh_layout;
pub mod palette;
pub mod panels;
pub mod param_form;
pub mod roofline_chart;
pub mod use_sim_loop;

pub use controls::SimControls;
pub use event_log::{EventLog, LogLines};
pub use gpu_canvas::GpuCanvas;
pub use mesh_canvas::MeshCanvas;
pub use panels::{CompareTable, MetricsTable, PeInspector, TrafficTable};
pub use param_form::SimParamsForm;
pub use roofline_chart::{RooflineChart, roofline_data};
pub use use_sim_loop::{Publish, UseSimLoopReturn, use_sim_loop};
