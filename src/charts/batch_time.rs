//! `draw_batch_time`: time per step against batch size, both divided by their value at the
//! series' smallest batch, so runs in milliseconds (this browser) and in seconds (the CS-2)
//! share one chart. Two guide lines frame them: time proportional to the batch (no fixed
//! cost) and time independent of it (all fixed cost).

use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

use super::training_curves::{ChartColours, PlotCanvas, draw_error};

/// One series: `(batch ÷ smallest batch, time ÷ time at the smallest batch)` points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchTimeData {
    /// This browser's sweep (the accent colour, solid).
    pub browser: Vec<(f64, f64)>,
    /// The real CS-2 runs (the second series colour, dashed by dots).
    pub real: Vec<(f64, f64)>,
}

impl BatchTimeData {
    /// The largest batch ratio shown (at least 4, the real sweep's).
    #[must_use]
    pub fn x_max(&self) -> f64 {
        self.browser
            .iter()
            .chain(&self.real)
            .map(|p| p.0)
            .fold(4.0, f64::max)
    }
}

/// Draws `data` on `canvas`, sized to its CSS box at the device's pixel ratio.
///
/// # Errors
/// The canvas has no 2D context, or plotters could not draw.
pub fn draw_batch_time(
    canvas: &HtmlCanvasElement,
    data: &BatchTimeData,
    colours: &ChartColours,
) -> Result<(), String> {
    let plot = PlotCanvas::new(canvas, colours)?;
    let px = |v: f64| plot.px(v);
    let (text, muted, grid, browser, real) =
        (plot.text, plot.muted, plot.grid, plot.first, plot.second);
    let root = &plot.root;
    let x_max = data.x_max();
    let mut chart = ChartBuilder::on(root)
        .margin_top(px(10.0))
        .margin_right(px(14.0))
        .margin_left(px(6.0))
        .margin_bottom(px(6.0))
        .x_label_area_size(px(34.0))
        .y_label_area_size(px(46.0))
        .build_cartesian_2d(0.0..x_max * 1.05, 0.0..x_max * 1.05)
        .map_err(|e| draw_error(&e))?;
    chart
        .configure_mesh()
        .bold_line_style(grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(muted.stroke_width(1))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}×"))
        .y_label_formatter(&|y| format!("{y:.0}×"))
        .x_desc("batch ÷ first batch")
        .y_desc("time per step ÷ first")
        .label_style(("sans-serif", px(12.0)).into_font().color(&muted))
        .axis_desc_style(("sans-serif", px(12.0)).into_font().color(&text))
        .draw()
        .map_err(|e| draw_error(&e))?;
    // Guides: time ∝ batch, and time independent of the batch.
    for guide in [
        vec![(1.0, 1.0), (x_max, x_max)],
        vec![(1.0, 1.0), (x_max, 1.0)],
    ] {
        chart
            .draw_series(LineSeries::new(guide, muted.stroke_width(px(1.0))))
            .map_err(|e| draw_error(&e))?;
    }
    for (points, series, dot) in [(&data.real, real, 5.0), (&data.browser, browser, 4.0)] {
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                series.stroke_width(px(2.0)),
            ))
            .map_err(|e| draw_error(&e))?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, px(dot), series.filled())),
            )
            .map_err(|e| draw_error(&e))?;
    }
    root.present().map_err(|e| draw_error(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_x_axis_covers_the_widest_sweep() {
        let data = BatchTimeData {
            browser: vec![(1.0, 1.0), (8.0, 3.0)],
            real: vec![(1.0, 1.0), (4.0, 1.7)],
        };
        assert_eq!(data.x_max(), 8.0);
        assert_eq!(BatchTimeData::default().x_max(), 4.0);
    }
}
