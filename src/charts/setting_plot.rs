//! Test accuracy against each setting of a grid: one small panel per setting (learning rate on
//! a log axis, batch size on a log axis, epochs on a linear one), a dot per value at the mean
//! accuracy of the runs with that value, joined by a line.

use web_sys::HtmlCanvasElement;

use super::canvas::{css_width, prepare_canvas};
use super::palette::Palette;

/// Height of the plot in CSS pixels.
pub const SETTING_PLOT_HEIGHT: f64 = 220.0;

/// One panel: its title, whether its axis is logarithmic, and `(label, x, accuracy 0–1)` points
/// in increasing `x`.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingPanel {
    pub title: &'static str,
    pub log_x: bool,
    pub points: Vec<(String, f64, f32)>,
}

/// Draws `panels` side by side on `canvas`. `None` when the canvas has no 2-D context.
pub fn draw_setting_plot(
    canvas: &HtmlCanvasElement,
    panels: &[SettingPanel],
    palette: &Palette,
) -> Option<()> {
    let w = css_width(canvas);
    let h = SETTING_PLOT_HEIGHT;
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);
    ctx.set_font("12px system-ui, sans-serif");
    let n = panels.len().max(1) as f64;
    let panel_w = w / n;
    let (top, bottom, left, right) = (22.0, h - 34.0, 40.0, 14.0);
    for (i, panel) in panels.iter().enumerate() {
        let x0 = i as f64 * panel_w + left;
        let x1 = (i as f64 + 1.0) * panel_w - right;
        let y_of = |acc: f32| bottom - f64::from(acc) * (bottom - top);
        ctx.set_fill_style_str(palette.text);
        ctx.set_text_align("center");
        let _ = ctx.fill_text(panel.title, (x0 + x1) / 2.0, 14.0);
        // Accuracy grid lines at 0, 50 and 100 %.
        ctx.set_stroke_style_str(palette.grid);
        ctx.set_line_width(1.0);
        ctx.set_text_align("right");
        for (acc, label) in [(0.0, "0 %"), (0.5, "50 %"), (1.0, "100 %")] {
            let y = y_of(acc);
            ctx.begin_path();
            ctx.move_to(x0, y);
            ctx.line_to(x1, y);
            ctx.stroke();
            ctx.set_fill_style_str(palette.muted);
            let _ = ctx.fill_text(label, x0 - 4.0, y + 4.0);
        }
        if panel.points.is_empty() {
            ctx.set_text_align("center");
            let _ = ctx.fill_text("no results yet", (x0 + x1) / 2.0, (top + bottom) / 2.0);
            continue;
        }
        let t = |x: f64| {
            if panel.log_x {
                x.max(f64::MIN_POSITIVE).ln()
            } else {
                x
            }
        };
        let (lo, hi) = panel
            .points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(t(p.1)), hi.max(t(p.1)))
            });
        let x_of = |x: f64| {
            if hi > lo {
                x0 + 12.0 + (t(x) - lo) / (hi - lo) * (x1 - x0 - 24.0)
            } else {
                (x0 + x1) / 2.0
            }
        };
        let colour = palette.channel(u8::try_from(i).unwrap_or(0));
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(2.0);
        ctx.begin_path();
        for (j, (_, x, acc)) in panel.points.iter().enumerate() {
            let (px, py) = (x_of(*x), y_of(*acc));
            if j == 0 {
                ctx.move_to(px, py);
            } else {
                ctx.line_to(px, py);
            }
        }
        ctx.stroke();
        ctx.set_text_align("center");
        for (label, x, acc) in &panel.points {
            let (px, py) = (x_of(*x), y_of(*acc));
            ctx.set_fill_style_str(colour);
            ctx.begin_path();
            let _ = ctx.arc(px, py, 4.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
            ctx.set_fill_style_str(palette.muted);
            let _ = ctx.fill_text(label, px, bottom + 16.0);
        }
    }
    Some(())
}
