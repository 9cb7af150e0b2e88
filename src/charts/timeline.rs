//! The compare page's timeline: one lane per machine on one time axis (µs), each lane's spans
//! coloured by what the machine was doing. The layout is plain and natively tested; drawing
//! follows it.

use web_sys::HtmlCanvasElement;

use super::canvas::{css_width, prepare_canvas};
use super::palette::Palette;
use crate::simulation::compare::Lane;
use crate::simulation::session::SpanKind;
use crate::simulation::text::short_name;

/// Height of one lane, in CSS pixels.
pub const LANE_HEIGHT: f64 = 26.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 8.0;
const AXIS: f64 = 34.0;

/// The canvas height for `lanes` lanes.
pub fn timeline_height(lanes: usize) -> f64 {
    TOP + LANE_HEIGHT * lanes.max(1) as f64 + AXIS
}

/// One rectangle to draw: lane, x from and to (CSS pixels), kind.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub lane: usize,
    pub x0: f64,
    pub x1: f64,
    pub kind: SpanKind,
}

/// The axis: the longest lane's length, and the plot's left edge and width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    pub max_us: f64,
    pub left: f64,
    pub width: f64,
}

impl TimeAxis {
    /// The axis for `lanes` on a canvas `width` CSS pixels wide.
    pub fn fit(lanes: &[Lane], width: f64) -> Self {
        let max_us = lanes
            .iter()
            .map(|l| l.total_us)
            .fold(0.0_f64, f64::max)
            .max(1e-9);
        Self {
            max_us,
            left: LEFT,
            width: (width - LEFT - RIGHT).max(10.0),
        }
    }

    /// The x of time `us`.
    pub fn x(&self, us: f64) -> f64 {
        self.left + self.width * (us / self.max_us).clamp(0.0, 1.0)
    }
}

/// Every span as a bar, at least one pixel wide so that nothing a machine did disappears.
pub fn bars(lanes: &[Lane], axis: &TimeAxis) -> Vec<Bar> {
    lanes
        .iter()
        .enumerate()
        .flat_map(|(lane, l)| {
            l.spans.iter().map(move |(start, end, kind, _)| {
                let x0 = axis.x(*start);
                Bar {
                    lane,
                    x0,
                    x1: axis.x(*end).max(x0 + 1.0),
                    kind: *kind,
                }
            })
        })
        .collect()
}

/// The colour of a span kind.
pub fn kind_colour(kind: SpanKind, palette: &Palette) -> &'static str {
    match kind {
        SpanKind::Compute => palette.busy,
        SpanKind::OffChip => palette.memory_bar,
        SpanKind::Exchange => palette.channel(2),
        SpanKind::Overhead => palette.stalled,
    }
}

/// A round step for the axis's ticks (1, 2 or 5 × a power of ten), about `n` per axis.
pub fn tick_step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(1e-12);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// Draws the lanes on `canvas`.
pub fn draw_timeline(canvas: &HtmlCanvasElement, lanes: &[Lane], palette: &Palette) -> Option<()> {
    let w = css_width(canvas);
    let h = timeline_height(lanes.len());
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);
    let axis = TimeAxis::fit(lanes, w);
    ctx.set_font("12px system-ui, sans-serif");
    for (i, lane) in lanes.iter().enumerate() {
        let y = TOP + LANE_HEIGHT * i as f64;
        ctx.set_fill_style_str(palette.text);
        let _ = ctx.fill_text(short_name(lane.arch), 4.0, y + LANE_HEIGHT * 0.65);
        ctx.set_fill_style_str(palette.idle);
        ctx.fill_rect(axis.left, y + 4.0, axis.width, LANE_HEIGHT - 8.0);
    }
    for bar in bars(lanes, &axis) {
        let y = TOP + LANE_HEIGHT * bar.lane as f64;
        ctx.set_fill_style_str(kind_colour(bar.kind, palette));
        ctx.fill_rect(bar.x0, y + 4.0, bar.x1 - bar.x0, LANE_HEIGHT - 8.0);
    }
    let base = TOP + LANE_HEIGHT * lanes.len() as f64;
    ctx.set_stroke_style_str(palette.grid);
    ctx.set_fill_style_str(palette.muted);
    ctx.set_font("11px system-ui, sans-serif");
    let step = tick_step(axis.max_us, 5.0);
    let mut t = 0.0;
    while t <= axis.max_us * 1.0001 {
        let x = axis.x(t);
        ctx.begin_path();
        ctx.move_to(x, TOP);
        ctx.line_to(x, base + 4.0);
        ctx.stroke();
        let _ = ctx.fill_text(&round_label(t), x - 6.0, base + 16.0);
        t += step;
    }
    let _ = ctx.fill_text(
        "time (µs, each machine at its own clock)",
        axis.left,
        base + 30.0,
    );
    Some(())
}

fn round_label(t: f64) -> String {
    let s = format!("{t:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use course::SimArch;

    fn lane(arch: SimArch, spans: &[(f64, f64)]) -> Lane {
        Lane {
            arch,
            spans: spans
                .iter()
                .map(|&(a, b)| (a, b, SpanKind::Compute, String::new()))
                .collect(),
            total_us: spans.last().map_or(0.0, |s| s.1),
        }
    }

    #[test]
    fn every_lane_shares_one_axis_and_no_span_vanishes() {
        let lanes = [
            lane(SimArch::Gpu, &[(0.0, 2.0), (2.0, 10.0)]),
            lane(SimArch::Groq, &[(0.0, 0.0001)]),
        ];
        let axis = TimeAxis::fit(&lanes, LEFT + RIGHT + 100.0);
        assert_eq!(axis.max_us, 10.0);
        let b = bars(&lanes, &axis);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].x0, b[0].x1), (LEFT, LEFT + 20.0));
        assert_eq!(b[1].x1, LEFT + 100.0);
        // A 0.1 ns span still gets a pixel.
        assert_eq!(b[2].x1 - b[2].x0, 1.0);
        assert_eq!(b[2].lane, 1);
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(10.0, 5.0), 2.0);
        assert_eq!(tick_step(0.37, 5.0), 0.1);
        assert_eq!(tick_step(4_800.0, 5.0), 1_000.0);
        assert_eq!(round_label(0.30000000004), "0.3");
    }
}
