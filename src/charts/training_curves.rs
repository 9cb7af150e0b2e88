//! `draw_training_curves`: the MNIST lab's live loss or accuracy curve (plotters on a
//! canvas). Training points are means over groups of batches; test points, one per epoch, are
//! drawn as dots (the legend is the page's, in HTML). Colours are read from the theme's CSS custom properties when drawing, so
//! the chart follows the light and dark themes.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::training::protocol::CurvePoint;

/// Which curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurveKind {
    Loss,
    Accuracy,
}

impl CurveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loss => "loss",
            Self::Accuracy => "accuracy",
        }
    }
}

/// What a curve shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CurveData {
    /// Training points (epoch position, loss, accuracy).
    pub points: Vec<CurvePoint>,
    /// Test (epoch, loss, accuracy) after each finished epoch.
    pub test: Vec<(f32, Option<f32>, f32)>,
    /// Epochs in the run (the x axis' extent).
    pub n_epochs: usize,
}

/// The chart's colours, as `#rrggbb` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartColours {
    pub background: String,
    pub text: String,
    pub muted: String,
    pub grid: String,
    pub train: String,
    pub test: String,
}

/// A plotters drawing area on a canvas, sized to its CSS box at the device's pixel ratio (at
/// most 3) and filled with the background, with the theme's colours parsed: what every
/// plotters chart on the site starts from.
pub struct PlotCanvas {
    /// The whole canvas.
    pub root: DrawingArea<CanvasBackend, plotters::coord::Shift>,
    /// Device pixels per CSS pixel.
    pub ratio: f64,
    /// Axis titles.
    pub text: RGBColor,
    /// Axes, tick labels and guides.
    pub muted: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// The first series (the accent colour).
    pub first: RGBColor,
    /// The second series.
    pub second: RGBColor,
}

impl std::fmt::Debug for PlotCanvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlotCanvas")
            .field("ratio", &self.ratio)
            .finish_non_exhaustive()
    }
}

impl PlotCanvas {
    /// Sizes and clears `canvas`.
    ///
    /// # Errors
    /// The canvas has no 2D context, or could not be filled.
    pub fn new(canvas: &HtmlCanvasElement, colours: &ChartColours) -> Result<Self, String> {
        let ratio = web_sys::window()
            .map_or(1.0, |w| w.device_pixel_ratio())
            .clamp(1.0, 3.0);
        let css_width = f64::from(canvas.client_width().max(200));
        let css_height = f64::from(canvas.client_height().max(160));
        canvas.set_width((css_width * ratio).round() as u32);
        canvas.set_height((css_height * ratio).round() as u32);
        let colour = |text: &str| parse_hex(text).unwrap_or(RGBColor(128, 128, 128));
        let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2D context")?;
        let root = backend.into_drawing_area();
        root.fill(&colour(&colours.background))
            .map_err(|e| draw_error(&e))?;
        Ok(Self {
            root,
            ratio,
            text: colour(&colours.text),
            muted: colour(&colours.muted),
            grid: colour(&colours.grid),
            first: colour(&colours.train),
            second: colour(&colours.test),
        })
    }

    /// `v` CSS pixels in device pixels.
    pub fn px(&self, v: f64) -> u32 {
        (v * self.ratio).round() as u32
    }
}

/// The sentence for a plotters error.
pub fn draw_error(e: &dyn std::fmt::Debug) -> String {
    format!("the chart could not be drawn: {e:?}")
}

/// Reads the colours from the custom properties on `<html>` (`--surface`, `--text`,
/// `--text-muted`, `--border`, `--accent`, `--lab-test`).
pub fn chart_colours() -> ChartColours {
    let style = web_sys::window().and_then(|w| {
        let root = w.document()?.document_element()?;
        w.get_computed_style(&root).ok().flatten()
    });
    let read = |name: &str, fallback: &str| {
        style
            .as_ref()
            .and_then(|s| s.get_property_value(name).ok())
            .map(|v| v.trim().to_string())
            .filter(|v| parse_hex(v).is_some())
            .unwrap_or_else(|| fallback.to_string())
    };
    ChartColours {
        background: read("--surface", "#ffffff"),
        text: read("--text", "#1b1f24"),
        muted: read("--text-muted", "#56606b"),
        grid: read("--border", "#d5dbe3"),
        train: read("--accent", "#1f5fa6"),
        test: read("--lab-test", "#b34700"),
    }
}

/// `#rrggbb` (or `#rgb`) as a colour.
pub fn parse_hex(text: &str) -> Option<RGBColor> {
    let hex = text.trim().strip_prefix('#')?;
    let expand = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        6 => Some(RGBColor(
            expand(&hex[0..2])?,
            expand(&hex[2..4])?,
            expand(&hex[4..6])?,
        )),
        3 => {
            let d = |i: usize| expand(&hex[i..=i]).map(|v| v * 17);
            Some(RGBColor(d(0)?, d(1)?, d(2)?))
        }
        _ => None,
    }
}

/// The y range for `kind`: accuracy 0–100 %, loss from 0 to a little above the largest value.
pub fn y_range(kind: CurveKind, data: &CurveData) -> (f32, f32) {
    match kind {
        CurveKind::Accuracy => (0.0, 100.0),
        CurveKind::Loss => {
            let largest = data
                .points
                .iter()
                .map(|p| p.loss)
                .chain(data.test.iter().filter_map(|t| t.1))
                .filter(|l| l.is_finite())
                .fold(0.0_f32, f32::max);
            (0.0, if largest > 0.0 { largest * 1.08 } else { 2.5 })
        }
    }
}

/// Draws `kind`'s curve of `data` on `canvas`, sized to its CSS box at the device's pixel ratio.
///
/// # Errors
/// The canvas has no 2D context, or plotters could not draw.
pub fn draw_training_curves(
    canvas: &HtmlCanvasElement,
    data: &CurveData,
    kind: CurveKind,
    colours: &ChartColours,
) -> Result<(), String> {
    let plot = PlotCanvas::new(canvas, colours)?;
    let px = |v: f64| plot.px(v);
    let (text, muted, grid, train, test) =
        (plot.text, plot.muted, plot.grid, plot.first, plot.second);
    let root = &plot.root;
    let x_max = data.n_epochs.max(1) as f32;
    let (y_min, y_max) = y_range(kind, data);
    let label_font = ("sans-serif", px(12.0)).into_font().color(&muted);
    let mut chart = ChartBuilder::on(root)
        .margin_top(px(10.0))
        .margin_right(px(14.0))
        .margin_left(px(6.0))
        .margin_bottom(px(6.0))
        .x_label_area_size(px(34.0))
        .y_label_area_size(px(46.0))
        .build_cartesian_2d(0.0_f32..x_max, y_min..y_max)
        .map_err(|e| draw_error(&e))?;
    chart
        .configure_mesh()
        .bold_line_style(grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(muted.stroke_width(1))
        .x_labels((data.n_epochs + 1).clamp(2, 11))
        .y_labels(6)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| match kind {
            CurveKind::Accuracy => format!("{y:.0} %"),
            CurveKind::Loss => format!("{y:.1}"),
        })
        .x_desc("epoch")
        .label_style(label_font.clone())
        .axis_desc_style(("sans-serif", px(12.0)).into_font().color(&text))
        .draw()
        .map_err(|e| draw_error(&e))?;
    let value = |p: &CurvePoint| match kind {
        CurveKind::Loss => p.loss,
        CurveKind::Accuracy => p.accuracy * 100.0,
    };
    chart
        .draw_series(LineSeries::new(
            data.points.iter().map(|p| (p.epoch, value(p))),
            train.stroke_width(px(2.0)),
        ))
        .map_err(|e| draw_error(&e))?;
    // A line needs two points: the first one alone is drawn as a dot.
    if let [only] = data.points.as_slice() {
        chart
            .draw_series(std::iter::once(Circle::new(
                (only.epoch, value(only)),
                px(3.0),
                train.filled(),
            )))
            .map_err(|e| draw_error(&e))?;
    }
    let test_points: Vec<(f32, f32)> = data
        .test
        .iter()
        .filter_map(|&(epoch, loss, accuracy)| match kind {
            CurveKind::Loss => loss.map(|l| (epoch, l)),
            CurveKind::Accuracy => Some((epoch, accuracy * 100.0)),
        })
        .collect();
    chart
        .draw_series(LineSeries::new(
            test_points.iter().copied(),
            test.stroke_width(px(1.0)),
        ))
        .map_err(|e| draw_error(&e))?;
    chart
        .draw_series(
            test_points
                .iter()
                .map(|&p| Circle::new(p, px(4.0), test.filled())),
        )
        .map_err(|e| draw_error(&e))?;
    // The legend is HTML beside the canvas (readable, and it never covers the curve).
    root.present().map_err(|e| draw_error(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_from_css_text() {
        assert_eq!(parse_hex("#1f5fa6"), Some(RGBColor(0x1f, 0x5f, 0xa6)));
        assert_eq!(parse_hex(" #fff "), Some(RGBColor(255, 255, 255)));
        assert_eq!(parse_hex("rgb(1, 2, 3)"), None);
        assert_eq!(parse_hex("#12345"), None);
    }

    #[test]
    fn the_loss_axis_fits_the_largest_finite_loss() {
        let point = |loss| CurvePoint {
            epoch: 1.0,
            loss,
            accuracy: 0.5,
        };
        let data = CurveData {
            points: vec![point(2.0), point(f32::NAN), point(1.0)],
            test: vec![(1.0, Some(0.5), 0.9)],
            n_epochs: 3,
        };
        assert_eq!(y_range(CurveKind::Loss, &data), (0.0, 2.0 * 1.08));
        assert_eq!(y_range(CurveKind::Accuracy, &data), (0.0, 100.0));
        assert_eq!(y_range(CurveKind::Loss, &CurveData::default()), (0.0, 2.5));
    }
}
