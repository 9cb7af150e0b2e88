//! The IPU on a canvas: its tiles in a grid, coloured by what each does this cycle
//! (computing, waiting at the sync, exchanging, idle), and below them a BSP trace of the last
//! supersteps: one row per group of tiles, showing when each group finished computing, the
//! wait for the slowest, the sync and the exchange. Click a tile to inspect it.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::ipu::{IpuSnapshot, SuperstepPhase, TilePhase};
use web_sys::HtmlCanvasElement;

use super::mesh_layout::MeshLayout;
use crate::charts::canvas::{css_width, prepare_canvas, use_resize_tick};
use crate::charts::palette::{Palette, use_palette};

/// Tallest the tile grid gets, in CSS pixels.
pub const MAX_TILES_HEIGHT: f64 = 360.0;
/// Height of the BSP trace below the tiles.
pub const TRACE_HEIGHT: f64 = 170.0;
/// Supersteps the trace shows (the latest).
pub const TRACE_SUPERSTEPS: usize = 12;

/// Columns of a near-square grid of `n` tiles, wider than tall.
pub fn grid_columns(n: u32) -> u32 {
    let n = n.max(1);
    // ⌈√(2n)⌉ columns: about twice as wide as tall, which suits a page column.
    let mut cols = 1;
    while cols * cols < 2 * n {
        cols += 1;
    }
    cols.min(n)
}

/// Where the tiles are drawn: a grid layout and the tile count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileLayout {
    /// The grid (a mesh layout of `columns × rows` cells).
    pub grid: MeshLayout,
    /// Tiles drawn.
    pub n_tiles: u32,
}

impl TileLayout {
    /// Fits `n_tiles` into `css_width`.
    pub fn fit(css_width: f64, n_tiles: u32) -> Self {
        let cols = grid_columns(n_tiles);
        let rows = n_tiles.max(1).div_ceil(cols);
        Self {
            grid: MeshLayout::fit(css_width, MAX_TILES_HEIGHT, cols, rows),
            n_tiles,
        }
    }

    /// The square of tile `t`: left, top, side.
    pub fn cell(&self, t: u32) -> (f64, f64, f64) {
        self.grid.cell(t % self.grid.width, t / self.grid.width)
    }

    /// The tile under a point, if any.
    pub fn tile_at(&self, px: f64, py: f64) -> Option<u32> {
        let (x, y) = self.grid.pe_at(px, py)?;
        let t = y * self.grid.width + x;
        (t < self.n_tiles).then_some(t)
    }

    /// Height of the tile grid in CSS pixels.
    pub fn height(&self) -> f64 {
        self.grid.size().1
    }
}

fn tile_colour(phase: TilePhase, p: &Palette) -> &'static str {
    match phase {
        TilePhase::Computing => p.busy,
        TilePhase::WaitingAtSync => p.stalled,
        TilePhase::Exchanging => p.channel(2),
        TilePhase::Idle | TilePhase::Done => p.idle,
    }
}

/// Draws the tiles and the BSP trace; returns the tiles' layout for clicks.
pub fn draw_ipu(
    canvas: &HtmlCanvasElement,
    snap: &IpuSnapshot,
    selected: Option<u32>,
    palette: &Palette,
) -> Option<TileLayout> {
    let w = css_width(canvas);
    let layout = TileLayout::fit(w, snap.n_tiles);
    let tiles_h = layout.height();
    let h = tiles_h + TRACE_HEIGHT;
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);
    // Tiles, one path per phase (four fills per frame, not one per tile).
    for phase in [
        TilePhase::Idle,
        TilePhase::Computing,
        TilePhase::WaitingAtSync,
        TilePhase::Exchanging,
        TilePhase::Done,
    ] {
        ctx.begin_path();
        let mut any = false;
        for (t, tile_phase) in snap.tiles.iter().enumerate() {
            if *tile_phase == phase {
                let (left, top, side) = layout.cell(t as u32);
                ctx.rect(left, top, side, side);
                any = true;
            }
        }
        if any {
            ctx.set_fill_style_str(tile_colour(phase, palette));
            ctx.fill();
        }
    }
    if let Some(t) = selected.filter(|t| *t < snap.n_tiles) {
        let (left, top, side) = layout.cell(t);
        ctx.set_stroke_style_str(palette.selected);
        ctx.set_line_width(2.0);
        ctx.stroke_rect(left - 1.0, top - 1.0, side + 2.0, side + 2.0);
    }
    ctx.set_fill_style_str(palette.text);
    ctx.set_font("12px system-ui, sans-serif");
    let phase = match snap.phase {
        SuperstepPhase::Compute => "compute",
        SuperstepPhase::Sync => "sync",
        SuperstepPhase::Exchange => "exchange",
        SuperstepPhase::Finished => "finished",
    };
    let _ = ctx.fill_text(
        &format!(
            "superstep {} of {}: {phase}",
            (snap.superstep + 1).min(snap.n_supersteps),
            snap.n_supersteps
        ),
        super::mesh_layout::MARGIN,
        super::mesh_layout::MARGIN - 5.0,
    );
    draw_trace(&ctx, snap, palette, tiles_h, w);
    Some(layout)
}

/// The BSP trace: the last supersteps on one time axis, a row per group of tiles.
fn draw_trace(
    ctx: &web_sys::CanvasRenderingContext2d,
    snap: &IpuSnapshot,
    palette: &Palette,
    top: f64,
    w: f64,
) {
    let left = 12.0;
    let width = (w - 2.0 * left).max(10.0);
    ctx.set_fill_style_str(palette.muted);
    ctx.set_font("12px system-ui, sans-serif");
    let _ = ctx.fill_text(
        "BSP trace of the last supersteps: each row a group of tiles (compute, wait, sync, exchange)",
        left,
        top + 14.0,
    );
    let records = &snap.timeline[snap.timeline.len().saturating_sub(TRACE_SUPERSTEPS)..];
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        let _ = ctx.fill_text("(no superstep finished yet)", left, top + 40.0);
        return;
    };
    let t0 = first.start.0 as f64;
    let span = (last.exchange_end.0 as f64 - t0).max(1.0);
    let x = |c: u64| left + width * ((c as f64 - t0) / span);
    let groups = records
        .iter()
        .map(|r| r.group_compute_end.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let area_top = top + 24.0;
    let area_h = TRACE_HEIGHT - 34.0;
    let row_h = (area_h / groups as f64).max(1.0);
    for r in records {
        // Per group: computing until its slowest tile is done, then waiting for the others.
        for (g, end) in r.group_compute_end.iter().enumerate() {
            let y = area_top + row_h * g as f64;
            let bar = (row_h - if row_h > 3.0 { 1.0 } else { 0.0 }).max(1.0);
            ctx.set_fill_style_str(palette.busy);
            ctx.fill_rect(x(r.start.0), y, x(end.0) - x(r.start.0), bar);
            ctx.set_fill_style_str(palette.stalled);
            ctx.fill_rect(x(end.0), y, x(r.sync_end.0) - x(end.0), bar);
            ctx.set_fill_style_str(palette.channel(2));
            ctx.fill_rect(
                x(r.sync_end.0),
                y,
                x(r.exchange_end.0) - x(r.sync_end.0),
                bar,
            );
        }
        // The sync, across every row.
        ctx.set_stroke_style_str(palette.text);
        ctx.set_line_width(1.0);
        ctx.begin_path();
        ctx.move_to(x(r.compute_end.0), area_top);
        ctx.line_to(x(r.compute_end.0), area_top + area_h);
        ctx.stroke();
    }
    ctx.set_fill_style_str(palette.muted);
    let _ = ctx.fill_text(
        &format!("cycle {}", first.start.0),
        left,
        top + TRACE_HEIGHT - 2.0,
    );
    let end_label = format!("cycle {}", last.exchange_end.0);
    let _ = ctx.fill_text(
        &end_label,
        left + width - 7.0 * end_label.len() as f64,
        top + TRACE_HEIGHT - 2.0,
    );
}

/// The IPU, drawn whenever its snapshot, the selection or the theme changes. Its text
/// alternative is the page's metrics, program table, event log and tile inspector.
#[component]
pub fn IpuCanvas(
    /// The IPU to draw.
    #[prop(into)]
    snapshot: Signal<IpuSnapshot>,
    /// The tile outlined, if any (as `(tile, 0)`).
    #[prop(into)]
    selected: Signal<Option<(u32, u32)>>,
    /// Called with the tile clicked, as `(tile, 0)`.
    on_select: Callback<(u32, u32)>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let layout = StoredValue::new(None::<TileLayout>);
    let palette = use_palette();
    let resized = use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        let selected = selected.get().map(|(t, _)| t);
        if let Some(canvas) = canvas_ref.get() {
            let drawn = snapshot.with(|s| draw_ipu(&canvas, s, selected, &palette));
            layout.set_value(drawn);
        }
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let hit = layout
            .get_value()
            .and_then(|l| l.tile_at(f64::from(ev.offset_x()), f64::from(ev.offset_y())));
        if let Some(t) = hit {
            on_select.run((t, 0));
        }
    };
    view! {
        <canvas
            class="sim-canvas sim-canvas--ipu"
            data-testid="sim-ipu-canvas"
            node_ref=canvas_ref
            role="img"
            aria-label="The IPU's tiles coloured by phase, and a BSP trace of the last supersteps; the same information is in the metrics, the program table, the event log and the tile inspector"
            on:click=on_click
        ></canvas>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_fill_a_wide_grid_and_clicks_find_them() {
        assert_eq!(grid_columns(1), 1);
        assert_eq!(grid_columns(16), 6);
        assert_eq!(grid_columns(1_472), 55);
        let l = TileLayout::fit(600.0, 16);
        let (left, top, side) = l.cell(7);
        assert_eq!(l.tile_at(left + side / 2.0, top + side / 2.0), Some(7));
        // The last row's empty cells are no tile.
        let (left, top, side) = l.cell(17);
        assert_eq!(l.tile_at(left + side / 2.0, top + side / 2.0), None);
    }
}
