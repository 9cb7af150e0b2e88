//! The roofline chart: achieved FLOP/s against arithmetic intensity (FLOPs per off-chip
//! byte), on log–log axes, with the GPU's roof (`min(peak, bandwidth × intensity)`), the
//! mesh's peak, and one point per run.

use web_sys::HtmlCanvasElement;

use super::canvas::{css_width, prepare_canvas};
use super::palette::Palette;

/// Height of the chart in CSS pixels.
pub const ROOFLINE_HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;

pub use crate::simulation::text::{Roof, RooflineData, RooflinePoint};

/// Log–log axes: decades `10^x_min..10^x_max` by `10^y_min..10^y_max` over a plot box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogScale {
    pub x_min: i32,
    pub x_max: i32,
    pub y_min: i32,
    pub y_max: i32,
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl LogScale {
    /// Axes wide enough for every point and roof corner, in whole decades.
    pub fn fit(data: &RooflineData, left: f64, top: f64, width: f64, height: f64) -> Self {
        let mut xs = vec![0.1, 1_000.0];
        let mut ys: Vec<f64> = data
            .roofs
            .iter()
            .map(|r| r.peak)
            .filter(|p| *p > 0.0)
            .collect();
        for roof in &data.roofs {
            if let Some(bw) = roof.bandwidth.filter(|b| *b > 0.0) {
                xs.push(roof.peak / bw);
            }
        }
        for p in &data.points {
            if let Some(x) = p.intensity.filter(|x| *x > 0.0) {
                xs.push(x);
            }
            if p.flops_per_s > 0.0 {
                ys.push(p.flops_per_s);
            }
        }
        let decade = |v: f64| v.log10();
        let lo = |v: &[f64]| v.iter().copied().map(decade).fold(f64::INFINITY, f64::min);
        let hi = |v: &[f64]| {
            v.iter()
                .copied()
                .map(decade)
                .fold(f64::NEG_INFINITY, f64::max)
        };
        // Decades of finite, positive values: small whole numbers.
        let x_min = lo(&xs).floor() as i32;
        let x_max = (hi(&xs).ceil() as i32).max(x_min + 1);
        let y_min = (lo(&ys).floor() as i32 - 1).max(0);
        let y_max = (hi(&ys).ceil() as i32).max(y_min + 1);
        Self {
            x_min,
            x_max,
            y_min,
            y_max,
            left,
            top,
            width,
            height,
        }
    }

    /// Pixel x of intensity `v` (clamped to the axes).
    pub fn x(&self, v: f64) -> f64 {
        let t = (v.max(f64::MIN_POSITIVE).log10() - f64::from(self.x_min))
            / f64::from(self.x_max - self.x_min);
        self.left + self.width * t.clamp(0.0, 1.0)
    }

    /// Pixel y of rate `v` (clamped to the axes).
    pub fn y(&self, v: f64) -> f64 {
        let t = (v.max(f64::MIN_POSITIVE).log10() - f64::from(self.y_min))
            / f64::from(self.y_max - self.y_min);
        self.top + self.height * (1.0 - t.clamp(0.0, 1.0))
    }
}

/// A decade as text: `1e12` → "1T".
pub fn decade_label(exp: i32, unit: &str) -> String {
    let (scaled, prefix) = match exp {
        e if e >= 15 => (e - 15, "P"),
        e if e >= 12 => (e - 12, "T"),
        e if e >= 9 => (e - 9, "G"),
        e if e >= 6 => (e - 6, "M"),
        e if e >= 3 => (e - 3, "k"),
        e => (e, ""),
    };
    if scaled >= 0 {
        format!("{}{prefix}{unit}", 10u64.pow(scaled.unsigned_abs()))
    } else {
        format!("{}{prefix}{unit}", 10f64.powi(scaled))
    }
}

/// Draws the chart.
pub fn draw_roofline(
    canvas: &HtmlCanvasElement,
    data: &RooflineData,
    palette: &Palette,
) -> Option<()> {
    let w = css_width(canvas);
    let h = ROOFLINE_HEIGHT;
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);
    let s = LogScale::fit(
        data,
        LEFT,
        TOP,
        (w - LEFT - RIGHT).max(10.0),
        h - TOP - BOTTOM,
    );
    // Grid and decade labels.
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(palette.grid);
    ctx.set_fill_style_str(palette.muted);
    for e in s.x_min..=s.x_max {
        let x = s.x(10f64.powi(e));
        ctx.begin_path();
        ctx.move_to(x, s.top);
        ctx.line_to(x, s.top + s.height);
        ctx.stroke();
        let _ = ctx.fill_text(&decade_label(e, ""), x - 8.0, s.top + s.height + 14.0);
    }
    for e in s.y_min..=s.y_max {
        let y = s.y(10f64.powi(e));
        ctx.begin_path();
        ctx.move_to(s.left, y);
        ctx.line_to(s.left + s.width, y);
        ctx.stroke();
        let _ = ctx.fill_text(&decade_label(e, "FLOP/s"), 4.0, y + 4.0);
    }
    let _ = ctx.fill_text(
        "arithmetic intensity (FLOPs per off-chip byte)",
        s.left,
        h - 6.0,
    );
    // Each machine's roof: bandwidth-bound up to its ridge, then flat at its peak; a machine
    // whose operands stay on chip has a flat roof (dashed).
    let x_lo = 10f64.powi(s.x_min);
    let x_hi = 10f64.powi(s.x_max);
    for (idx, roof) in data.roofs.iter().enumerate() {
        let colour = palette.channel(roof.colour);
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(2.0);
        ctx.begin_path();
        match roof.bandwidth.filter(|b| *b > 0.0) {
            Some(bw) => {
                let ridge = roof.peak / bw;
                ctx.move_to(s.x(x_lo), s.y(bw * x_lo));
                ctx.line_to(s.x(ridge), s.y(roof.peak));
            }
            None => {
                let _ = ctx.set_line_dash(&js_sys::Array::of2(&6.0.into(), &4.0.into()));
                ctx.move_to(s.x(x_lo), s.y(roof.peak));
            }
        }
        ctx.line_to(s.x(x_hi), s.y(roof.peak));
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_sys::Array::new());
        ctx.set_fill_style_str(colour);
        // Labels of roofs at the same height are stacked, not drawn over each other.
        let label = format!("{} roof", roof.label);
        let _ = ctx.fill_text(
            &label,
            s.x(x_hi) - 8.0 * label.len() as f64,
            s.y(roof.peak) - 5.0 - 12.0 * idx as f64,
        );
    }
    // The runs.
    for p in &data.points {
        let x = s.x(p.intensity.unwrap_or(x_hi));
        let y = s.y(p.flops_per_s);
        ctx.set_fill_style_str(palette.channel(p.colour));
        ctx.begin_path();
        let _ = ctx.arc(x, y, 5.0, 0.0, std::f64::consts::TAU);
        ctx.fill();
        ctx.set_fill_style_str(palette.text);
        let _ = ctx.fill_text(&p.label, x + 8.0, y + 4.0);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> RooflineData {
        RooflineData {
            roofs: vec![
                Roof {
                    label: "GPU".into(),
                    peak: 19.5e12,
                    bandwidth: Some(1_555e9),
                    colour: 1,
                },
                Roof {
                    label: "WSE".into(),
                    peak: 563.2e9,
                    bandwidth: None,
                    colour: 0,
                },
            ],
            points: vec![
                RooflinePoint {
                    label: "GPU".into(),
                    intensity: Some(0.5),
                    flops_per_s: 6.5e10,
                    colour: 1,
                },
                RooflinePoint {
                    label: "WSE".into(),
                    intensity: Some(64.0),
                    flops_per_s: 4.1e11,
                    colour: 0,
                },
            ],
        }
    }

    #[test]
    fn axes_cover_every_point_in_whole_decades() {
        let s = LogScale::fit(&data(), 0.0, 0.0, 600.0, 200.0);
        // Intensities 0.1..1,000 (and the ridge at 12.5); rates 6.5e10..1.95e13, one decade
        // of room below.
        assert_eq!((s.x_min, s.x_max), (-1, 3));
        assert_eq!((s.y_min, s.y_max), (9, 14));
        assert!((s.x(0.1) - 0.0).abs() < 1e-9 && (s.x(1_000.0) - 600.0).abs() < 1e-9);
        assert!((s.x(10.0) - 300.0).abs() < 1e-9);
        assert!((s.y(1e14) - 0.0).abs() < 1e-9 && (s.y(1e9) - 200.0).abs() < 1e-9);
        // Off the axes clamps to the edge instead of drawing outside.
        assert!((s.y(1e20) - 0.0).abs() < 1e-9);
        assert!((s.x(0.0) - 0.0).abs() < 1e-9);
    }

    #[test]
    fn decades_read_with_si_prefixes() {
        assert_eq!(decade_label(12, "FLOP/s"), "1TFLOP/s");
        assert_eq!(decade_label(10, "FLOP/s"), "10GFLOP/s");
        assert_eq!(decade_label(-1, ""), "0.1");
        assert_eq!(decade_label(3, ""), "1k");
        assert_eq!(decade_label(2, ""), "100");
    }
}
