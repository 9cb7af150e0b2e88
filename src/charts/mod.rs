//! Charts and canvases' shared pieces: plain `draw_*` functions taking a canvas and data, the
//! themes' canvas colours, and canvas sizing. Charts never import components or pages.

pub mod batch_time;
pub mod canvas;
pub mod heatmap;
pub mod palette;
pub mod roofline;
pub mod setting_plot;
pub mod timeline;
pub mod training_curves;
