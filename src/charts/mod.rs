//! Charts: plain `draw_*` functions taking a canvas and data.

pub mod roofline;
pub mod training_curves;
