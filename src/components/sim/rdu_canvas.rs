//! The RDU on a canvas: the tile's checkerboard of PCUs and PMUs with the AGCU on its left,
//! each PCU coloured by the pipeline stage it runs and drawn by what that stage does now
//! (working: filled; waiting for input: outlined; blocked by a full buffer: the stall colour),
//! each PMU filled to how much of its buffer is taken, the section's routes in their stage's
//! colour with micro-batches moving along them; below, the stage occupancy over time (one row
//! per stage, a bar per micro-batch). Click a unit to inspect it.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::rdu::{PipelinePhase, PmuView, RduSnapshot, StageState};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::mesh_layout::{MARGIN, MeshLayout};
use crate::charts::canvas::{css_width, prepare_canvas, use_resize_tick};
use crate::charts::palette::{Palette, use_palette};

/// Tallest the tile gets, in CSS pixels.
pub const MAX_TILE_HEIGHT: f64 = 340.0;
/// Height of one stage's row in the occupancy chart.
pub const OCCUPANCY_ROW: f64 = 14.0;
/// Room for the occupancy chart's title and axis labels.
pub const OCCUPANCY_CHROME: f64 = 40.0;
/// Width of the stage names left of the occupancy chart.
pub const OCCUPANCY_LABELS: f64 = 130.0;

/// Where the tile is drawn: the grid has one extra column on the left for the AGCU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileLayout {
    /// The grid, AGCU column included.
    pub grid: MeshLayout,
}

impl TileLayout {
    /// Fits a tile of `grid_width × rows` cells (plus the AGCU column) into `css_width`.
    pub fn fit(css_width: f64, grid_width: u32, rows: u32) -> Self {
        Self {
            grid: MeshLayout::fit(css_width, MAX_TILE_HEIGHT, grid_width + 1, rows),
        }
    }

    /// The square of tile cell `(x, y)`; `x = -1` is the AGCU's column.
    pub fn cell(&self, x: i32, y: i32) -> (f64, f64, f64) {
        let pitch = self.grid.pitch;
        let gap = self.grid.gap;
        (
            MARGIN + pitch * f64::from(x + 1) + gap / 2.0,
            MARGIN + pitch * f64::from(y.max(0)) + gap / 2.0,
            pitch - gap,
        )
    }

    /// The centre of cell `(x, y)`.
    pub fn centre(&self, x: i32, y: i32) -> (f64, f64) {
        let (l, t, s) = self.cell(x, y);
        (l + s / 2.0, t + s / 2.0)
    }

    /// The unit under a point (the AGCU column is no unit).
    pub fn unit_at(&self, px: f64, py: f64) -> Option<(u32, u32)> {
        let (x, y) = self.grid.pe_at(px, py)?;
        (x >= 1).then(|| (x - 1, y))
    }

    /// Height of the tile drawing.
    pub fn height(&self) -> f64 {
        self.grid.size().1
    }
}

/// A point `t` (0 to 1) along the L-shaped route from `a` to `b` (first along x, then y).
pub fn along_route(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    let (dx, dy) = ((b.0 - a.0).abs(), (b.1 - a.1).abs());
    let total = dx + dy;
    if total <= 0.0 {
        return a;
    }
    let d = t.clamp(0.0, 1.0) * total;
    if d <= dx {
        (a.0 + (b.0 - a.0).signum() * d, a.1)
    } else {
        (b.0, a.1 + (b.1 - a.1).signum() * (d - dx))
    }
}

/// The colour of pipeline stage `stage`: the channel colours after the first (whose blue is
/// the PMUs' buffer level), in turn.
pub fn stage_colour(stage: u32, p: &Palette) -> &'static str {
    p.channel((1 + stage % 5) as u8)
}

/// Draws the tile and the occupancy chart; returns the tile's layout for clicks.
pub fn draw_rdu(
    canvas: &HtmlCanvasElement,
    snap: &RduSnapshot,
    selected: Option<(u32, u32)>,
    palette: &Palette,
) -> Option<TileLayout> {
    let w = css_width(canvas);
    let grid_width = 2 * snap.pcu_columns.max(1);
    let layout = TileLayout::fit(w, grid_width, snap.rows.max(1));
    let tile_h = layout.height();
    let n_rows = snap.stages.len().max(1) as f64;
    let h = tile_h + OCCUPANCY_CHROME + OCCUPANCY_ROW * n_rows;
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);
    draw_tile(&ctx, snap, &layout, palette);
    if let Some((x, y)) = selected.filter(|(x, y)| *x < grid_width && *y < snap.rows) {
        let (left, top, side) = layout.cell(x as i32, y as i32);
        ctx.set_stroke_style_str(palette.selected);
        ctx.set_line_width(2.0);
        ctx.stroke_rect(left - 1.0, top - 1.0, side + 2.0, side + 2.0);
    }
    ctx.set_fill_style_str(palette.text);
    ctx.set_font("12px system-ui, sans-serif");
    let header = if snap.phase == PipelinePhase::Finished {
        format!("{} sections run: finished", snap.n_sections)
    } else {
        format!(
            "section {} of {}: {}, {} of {} micro-batches out",
            snap.section + 1,
            snap.n_sections,
            snap.phase.label(),
            snap.out_of_section,
            snap.micro_batches
        )
    };
    let _ = ctx.fill_text(&header, MARGIN, MARGIN - 5.0);
    draw_occupancy(&ctx, snap, palette, tile_h, w);
    Some(layout)
}

fn draw_tile(ctx: &CanvasRenderingContext2d, snap: &RduSnapshot, layout: &TileLayout, p: &Palette) {
    let cols = snap.pcu_columns.max(1);
    // The AGCU: the whole left column.
    let (al, at, side) = layout.cell(-1, 0);
    let (_, bottom, _) = layout.cell(-1, snap.rows.max(1) as i32 - 1);
    ctx.set_fill_style_str(p.launching);
    ctx.fill_rect(al, at, side, bottom + side - at);
    if side >= 12.0 {
        ctx.save();
        ctx.set_fill_style_str(p.text);
        ctx.set_font("10px system-ui, sans-serif");
        let _ = ctx.translate(al + side / 2.0 + 3.0, at + 4.0);
        let _ = ctx.rotate(std::f64::consts::FRAC_PI_2);
        let _ = ctx.fill_text("AGCU (DDR)", 0.0, 0.0);
        ctx.restore();
    }
    // PCUs.
    for (i, &(stage, state)) in snap.pcus.iter().enumerate() {
        let i = i as u32;
        let (y, k) = (i / cols, i % cols);
        let x = 2 * k + (y % 2);
        let (l, t, s) = layout.cell(x as i32, y as i32);
        if stage == u32::MAX {
            ctx.set_fill_style_str(p.idle);
            ctx.fill_rect(l, t, s, s);
            continue;
        }
        let colour = stage_colour(stage, p);
        match state {
            StageState::Working => {
                ctx.set_fill_style_str(colour);
                ctx.fill_rect(l, t, s, s);
            }
            StageState::Blocked => {
                ctx.set_fill_style_str(p.stalled);
                ctx.fill_rect(l, t, s, s);
            }
            StageState::Starved | StageState::Idle | StageState::Done => {
                ctx.set_fill_style_str(p.idle);
                ctx.fill_rect(l, t, s, s);
            }
        }
        ctx.set_stroke_style_str(colour);
        ctx.set_line_width(if s > 10.0 { 2.0 } else { 1.0 });
        ctx.stroke_rect(l + 1.0, t + 1.0, (s - 2.0).max(1.0), (s - 2.0).max(1.0));
    }
    // PMUs: an outlined box, full grey for weights, filled from the bottom to a buffer's
    // level.
    for (i, pmu) in snap.pmus.iter().enumerate() {
        let i = i as u32;
        let (y, k) = (i / cols, i % cols);
        let x = 2 * k + 1 - (y % 2);
        let (l, t, s) = layout.cell(x as i32, y as i32);
        let inset = (s * 0.12).min(3.0);
        let inner = s - 2.0 * inset;
        ctx.set_fill_style_str(p.background);
        ctx.fill_rect(l, t, s, s);
        ctx.set_stroke_style_str(if *pmu == PmuView::Unused {
            p.grid
        } else {
            p.memory_bar
        });
        ctx.set_line_width(1.0);
        ctx.stroke_rect(l + inset, t + inset, inner, inner);
        match *pmu {
            PmuView::Unused => {}
            PmuView::Weights => {
                ctx.set_fill_style_str(p.muted);
                ctx.fill_rect(l + inset, t + inset, inner, inner);
            }
            PmuView::Buffer(f) => {
                let level = inner * f64::from(f.clamp(0.0, 1.0));
                ctx.set_fill_style_str(p.memory_bar);
                ctx.fill_rect(l + inset, t + s - inset - level, inner, level);
            }
        }
    }
    // Routes, then the micro-batches moving on them.
    let centre = |c: (i32, i32)| layout.centre(c.0, c.1);
    ctx.set_line_width(1.5);
    ctx.set_global_alpha(0.55);
    for r in &snap.routes {
        let (a, b) = (centre(r.from), centre(r.to));
        ctx.set_stroke_style_str(stage_colour(r.stage, p));
        ctx.begin_path();
        ctx.move_to(a.0, a.1);
        ctx.line_to(b.0, a.1);
        ctx.line_to(b.0, b.1);
        ctx.stroke();
    }
    ctx.set_global_alpha(1.0);
    let radius = (layout.grid.pitch * 0.18).clamp(2.0, 5.0);
    for token in &snap.tokens {
        let Some(r) = snap.routes.get(token.route as usize) else {
            continue;
        };
        let (x, y) = along_route(centre(r.from), centre(r.to), f64::from(token.progress));
        // A ring in the text colour around the background, with the stage's colour at the
        // centre: visible on a PCU of the same stage's colour too.
        for (r_px, colour) in [
            (radius + 1.5, p.text),
            (radius, p.background),
            (radius * 0.55, stage_colour(r.stage, p)),
        ] {
            ctx.set_fill_style_str(colour);
            ctx.begin_path();
            let _ = ctx.arc(x, y, r_px, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    }
}

/// Stage occupancy of the current section: a row per stage, a bar per micro-batch.
fn draw_occupancy(
    ctx: &CanvasRenderingContext2d,
    snap: &RduSnapshot,
    p: &Palette,
    top: f64,
    w: f64,
) {
    let left = 8.0 + OCCUPANCY_LABELS;
    let width = (w - left - 12.0).max(10.0);
    ctx.set_fill_style_str(p.muted);
    ctx.set_font("12px system-ui, sans-serif");
    let _ = ctx.fill_text(
        "Stage occupancy in this section: a bar per micro-batch a stage works on",
        8.0,
        top + 14.0,
    );
    let t0 = snap.section_start.0 as f64;
    let end = snap
        .spans
        .last()
        .map_or(snap.cycle.0, |s| s.end.0)
        .max(snap.cycle.0) as f64;
    let span = (end - t0).max(1.0);
    let x = |c: f64| left + width * ((c - t0) / span).clamp(0.0, 1.0);
    let area_top = top + 22.0;
    ctx.set_font("11px system-ui, sans-serif");
    for (s, stage) in snap.stages.iter().enumerate() {
        let y = area_top + OCCUPANCY_ROW * s as f64;
        ctx.set_fill_style_str(if s % 2 == 0 { p.idle } else { p.background });
        ctx.fill_rect(left, y, width, OCCUPANCY_ROW);
        ctx.set_fill_style_str(p.text);
        let mut label = stage.label.clone();
        if label.chars().count() > 20 {
            label = label.chars().take(19).collect::<String>() + "…";
        }
        let _ = ctx.fill_text(&label, 8.0, y + OCCUPANCY_ROW - 3.0);
    }
    for span in &snap.spans {
        let y = area_top + OCCUPANCY_ROW * f64::from(span.stage);
        ctx.set_fill_style_str(stage_colour(span.stage, p));
        let (a, b) = (x(span.start.0 as f64), x(span.end.0 as f64));
        ctx.fill_rect(a, y + 2.0, (b - a - 1.0).max(1.0), OCCUPANCY_ROW - 4.0);
    }
    // Stages working now: bars up to the current cycle.
    for (s, stage) in snap.stages.iter().enumerate() {
        if stage.state == StageState::Working {
            let y = area_top + OCCUPANCY_ROW * s as f64;
            let started = snap
                .spans
                .iter()
                .filter(|sp| sp.stage as usize == s)
                .map(|sp| sp.end.0)
                .max()
                .unwrap_or(snap.section_start.0) as f64;
            let a = x(started);
            let b = x(snap.cycle.0 as f64);
            ctx.set_global_alpha(0.5);
            ctx.set_fill_style_str(stage_colour(s as u32, p));
            ctx.fill_rect(a, y + 2.0, (b - a).max(1.0), OCCUPANCY_ROW - 4.0);
            ctx.set_global_alpha(1.0);
        }
    }
    let bottom = area_top + OCCUPANCY_ROW * snap.stages.len().max(1) as f64 + 14.0;
    ctx.set_fill_style_str(p.muted);
    let _ = ctx.fill_text(&format!("cycle {}", snap.section_start.0), left, bottom);
    let end_label = format!("cycle {}", end as u64);
    let _ = ctx.fill_text(
        &end_label,
        left + width - 6.5 * end_label.len() as f64,
        bottom,
    );
}

/// The RDU tile, drawn whenever its snapshot, the selection or the theme changes. Its text
/// alternative is the page's section list, metrics, event log and unit inspector.
#[component]
pub fn RduCanvas(
    /// The RDU to draw.
    #[prop(into)]
    snapshot: Signal<RduSnapshot>,
    /// The unit outlined, if any (grid column and row).
    #[prop(into)]
    selected: Signal<Option<(u32, u32)>>,
    /// Called with the unit clicked (grid column and row).
    on_select: Callback<(u32, u32)>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let layout = StoredValue::new(None::<TileLayout>);
    let palette = use_palette();
    let resized = use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        let selected = selected.get();
        if let Some(canvas) = canvas_ref.get() {
            let drawn = snapshot.with(|s| draw_rdu(&canvas, s, selected, &palette));
            layout.set_value(drawn);
        }
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let hit = layout
            .get_value()
            .and_then(|l| l.unit_at(f64::from(ev.offset_x()), f64::from(ev.offset_y())));
        if let Some(at) = hit {
            on_select.run(at);
        }
    };
    view! {
        <canvas
            class="sim-canvas sim-canvas--rdu"
            data-testid="sim-rdu-canvas"
            node_ref=canvas_ref
            role="img"
            aria-label="The RDU tile: PCUs coloured by pipeline stage and state, PMUs filled to their buffers' level, routes with micro-batches moving along them, and the stage occupancy over time; the same information is in the section list, the metrics, the event log and the unit inspector"
            on:click=on_click
        ></canvas>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_find_units_and_tokens_follow_their_route() {
        let l = TileLayout::fit(600.0, 8, 4);
        let (left, top, side) = l.cell(3, 2);
        assert_eq!(l.unit_at(left + side / 2.0, top + side / 2.0), Some((3, 2)));
        // The AGCU's column is no unit.
        let (left, top, side) = l.cell(-1, 0);
        assert_eq!(l.unit_at(left + side / 2.0, top + side / 2.0), None);
        // Halfway along an L of 30 + 10 is 20 along x.
        assert_eq!(along_route((0.0, 0.0), (30.0, 10.0), 0.5), (20.0, 0.0));
        assert_eq!(along_route((0.0, 0.0), (30.0, 10.0), 1.0), (30.0, 10.0));
        assert_eq!(along_route((5.0, 5.0), (5.0, 5.0), 0.3), (5.0, 5.0));
    }
}
