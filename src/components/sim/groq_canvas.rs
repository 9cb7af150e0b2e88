//! The Groq chip on a canvas: its slices as columns west to east and its superlanes as rows
//! (superlane 0 at the bottom), each cell coloured by what that slice does on that
//! superlane this cycle, with the vectors on the stream registers drawn as arrows moving
//! east or west. An instruction shows as a diagonal: it enters superlane 0 and reaches each
//! row above one cycle later. Below, the whole schedule as a Gantt chart, one row per slice,
//! with a line at the current cycle. Click a slice (in either part) to inspect it.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::groq::{CellState, GroqSnapshot, SliceKind};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::charts::canvas::{css_width, prepare_canvas, use_resize_tick};
use crate::charts::palette::{Palette, use_palette};

/// Margin around the drawing, in CSS pixels.
pub const MARGIN: f64 = 12.0;
/// Height of the chip's label line above the cells.
pub const TITLE_HEIGHT: f64 = 18.0;
/// Height of the slice-kind strip under the cells.
pub const KIND_STRIP: f64 = 16.0;
/// Tallest the chip area gets.
pub const MAX_CHIP_HEIGHT: f64 = 300.0;
/// Height of one Gantt row at most.
pub const MAX_GANTT_ROW: f64 = 10.0;
/// Gantt area height at most.
pub const MAX_GANTT_HEIGHT: f64 = 240.0;

/// The schedule as bars: what the Gantt chart draws (fixed by the compile).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GanttData {
    /// Slices.
    pub n_slices: u32,
    /// The program's length.
    pub length: u64,
    /// (slice, first cycle, end cycle, state) of each instruction on superlane 0.
    pub bars: Vec<(u32, u64, u64, CellState)>,
}

/// Where the parts are drawn, for clicks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroqLayout {
    /// Slices.
    pub n_slices: u32,
    /// Superlanes.
    pub n_superlanes: u32,
    /// Width of a slice column.
    pub column: f64,
    /// Height of a superlane row.
    pub row: f64,
    /// Top of the cells.
    pub chip_top: f64,
    /// Top of the Gantt chart.
    pub gantt_top: f64,
    /// Height of a Gantt row.
    pub gantt_row: f64,
}

impl GroqLayout {
    /// Fits a chip of `n_slices × n_superlanes` into `css_width`.
    pub fn fit(css_width: f64, n_slices: u32, n_superlanes: u32) -> Self {
        let n_slices = n_slices.max(1);
        let n_superlanes = n_superlanes.max(1);
        let column = ((css_width - 2.0 * MARGIN) / f64::from(n_slices)).max(1.0);
        let row = (MAX_CHIP_HEIGHT / f64::from(n_superlanes)).clamp(3.0, 28.0);
        let chip_top = MARGIN + TITLE_HEIGHT;
        let gantt_row = (MAX_GANTT_HEIGHT / f64::from(n_slices)).clamp(2.0, MAX_GANTT_ROW);
        let gantt_top = chip_top + row * f64::from(n_superlanes) + KIND_STRIP + 34.0;
        Self {
            n_slices,
            n_superlanes,
            column,
            row,
            chip_top,
            gantt_top,
            gantt_row,
        }
    }

    /// Left edge of slice `s`.
    pub fn x(&self, s: f64) -> f64 {
        MARGIN + self.column * s
    }

    /// Top of superlane `sl`'s row (superlane 0 at the bottom).
    pub fn y(&self, superlane: u32) -> f64 {
        self.chip_top
            + self.row * f64::from(self.n_superlanes - 1 - superlane.min(self.n_superlanes - 1))
    }

    /// Height of the whole drawing.
    pub fn height(&self) -> f64 {
        self.gantt_top + self.gantt_row * f64::from(self.n_slices) + 20.0
    }

    /// The slice under a point (in the chip or in the Gantt chart), if any.
    pub fn slice_at(&self, px: f64, py: f64) -> Option<u32> {
        if px < MARGIN {
            return None;
        }
        let in_chip = py >= self.chip_top
            && py < self.chip_top + self.row * f64::from(self.n_superlanes) + KIND_STRIP;
        let in_gantt =
            py >= self.gantt_top && py < self.gantt_top + self.gantt_row * f64::from(self.n_slices);
        if in_gantt {
            let s = ((py - self.gantt_top) / self.gantt_row) as u32;
            return (s < self.n_slices).then_some(s);
        }
        if !in_chip {
            return None;
        }
        // Pixel offsets are small positive numbers: truncating gives the column.
        let s = ((px - MARGIN) / self.column) as u32;
        (s < self.n_slices).then_some(s)
    }
}

fn cell_colour(state: CellState, p: &Palette) -> &'static str {
    match state {
        CellState::Idle => p.idle,
        CellState::Computing => p.busy,
        CellState::Reading => p.channel(0),
        CellState::Writing => p.channel(1),
        CellState::Loading => p.channel(2),
    }
}

fn kind_colour(kind: SliceKind, p: &Palette) -> &'static str {
    match kind {
        SliceKind::Mem => p.launching,
        SliceKind::Vxm => p.busy,
        SliceKind::Mxm => p.stalled,
        SliceKind::Sxm => p.grid,
    }
}

/// Draws the chip, the streams and the Gantt chart; returns the layout for clicks.
pub fn draw_groq(
    canvas: &HtmlCanvasElement,
    snap: &GroqSnapshot,
    gantt: &GanttData,
    selected: Option<u32>,
    palette: &Palette,
) -> Option<GroqLayout> {
    let w = css_width(canvas);
    let n_slices = snap.slices.len() as u32;
    let layout = GroqLayout::fit(w, n_slices.max(gantt.n_slices), snap.n_superlanes);
    let ctx = prepare_canvas(canvas, w, layout.height())?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, layout.height());
    ctx.set_font("12px system-ui, sans-serif");
    ctx.set_fill_style_str(palette.text);
    let _ = ctx.fill_text(
        &format!(
            "cycle {} of {} · slices west → east, superlanes bottom (0) → top",
            snap.cycle, snap.length
        ),
        MARGIN,
        MARGIN + 8.0,
    );
    draw_cells(&ctx, snap, &layout, palette);
    draw_streams(&ctx, snap, &layout, palette);
    if let Some(s) = selected.filter(|s| *s < layout.n_slices) {
        ctx.set_stroke_style_str(palette.selected);
        ctx.set_line_width(2.0);
        ctx.stroke_rect(
            layout.x(f64::from(s)) - 1.0,
            layout.chip_top - 1.0,
            layout.column + 2.0,
            layout.row * f64::from(layout.n_superlanes) + KIND_STRIP + 2.0,
        );
        ctx.stroke_rect(
            MARGIN - 1.0,
            layout.gantt_top + layout.gantt_row * f64::from(s) - 1.0,
            w - 2.0 * MARGIN + 2.0,
            layout.gantt_row + 2.0,
        );
    }
    draw_gantt(&ctx, snap, gantt, &layout, palette, w);
    Some(layout)
}

fn draw_cells(ctx: &CanvasRenderingContext2d, snap: &GroqSnapshot, l: &GroqLayout, p: &Palette) {
    let n = snap.slices.len();
    let gap = if l.column > 6.0 && l.row > 6.0 {
        1.0
    } else {
        0.0
    };
    for state in [
        CellState::Idle,
        CellState::Computing,
        CellState::Reading,
        CellState::Writing,
        CellState::Loading,
    ] {
        ctx.begin_path();
        let mut any = false;
        for (i, cell) in snap.cells.iter().enumerate() {
            if *cell == state {
                let (slice, superlane) = (i % n, (i / n) as u32);
                ctx.rect(
                    l.x(slice as f64),
                    l.y(superlane),
                    l.column - gap,
                    l.row - gap,
                );
                any = true;
            }
        }
        if any {
            ctx.set_fill_style_str(cell_colour(state, p));
            ctx.fill();
        }
    }
    // The kind of each slice, as a strip under the cells.
    let strip_top = l.chip_top + l.row * f64::from(l.n_superlanes);
    for (i, kind) in snap.slices.iter().enumerate() {
        ctx.set_fill_style_str(kind_colour(*kind, p));
        ctx.fill_rect(
            l.x(i as f64),
            strip_top + 2.0,
            l.column - gap,
            KIND_STRIP - 4.0,
        );
    }
    ctx.set_fill_style_str(p.text);
    ctx.set_font("10px system-ui, sans-serif");
    let mut last_label_end = f64::NEG_INFINITY;
    for (i, kind) in snap.slices.iter().enumerate() {
        let label = if l.column >= 26.0 {
            kind.name()
        } else {
            &kind.name()[..1]
        };
        let x = l.x(i as f64) + 2.0;
        // Label a column only where the previous label has room to end.
        if (*kind != SliceKind::Mem || l.column >= 8.0) && x > last_label_end {
            let _ = ctx.fill_text(label, x, strip_top + KIND_STRIP + 10.0);
            last_label_end = x + 7.0 * label.len() as f64;
        }
    }
}

fn draw_streams(ctx: &CanvasRenderingContext2d, snap: &GroqSnapshot, l: &GroqLayout, p: &Palette) {
    ctx.set_line_width(if l.row >= 10.0 { 2.0 } else { 1.0 });
    for east in [true, false] {
        ctx.set_stroke_style_str(if east { p.channel(3) } else { p.channel(4) });
        ctx.begin_path();
        for seg in snap.streams.iter().filter(|s| s.east == east) {
            let y = l.y(seg.superlane) + l.row * if east { 0.3 } else { 0.7 };
            // A position is a slice index; draw at the column's centre.
            let (x0, x1) = (l.x(seg.tail + 0.5), l.x(seg.head + 0.5));
            ctx.move_to(x0, y);
            ctx.line_to(x1, y);
            // An arrow head at the oldest vector, pointing where it goes.
            let dir = if east { 1.0 } else { -1.0 };
            let a = (l.row * 0.25).clamp(1.5, 4.0);
            ctx.move_to(x1 - dir * a, y - a);
            ctx.line_to(x1, y);
            ctx.line_to(x1 - dir * a, y + a);
        }
        ctx.stroke();
    }
}

fn draw_gantt(
    ctx: &CanvasRenderingContext2d,
    snap: &GroqSnapshot,
    g: &GanttData,
    l: &GroqLayout,
    p: &Palette,
    w: f64,
) {
    ctx.set_fill_style_str(p.muted);
    ctx.set_font("12px system-ui, sans-serif");
    let _ = ctx.fill_text(
        "The schedule, fixed before the run: one row per slice (west at the top), one bar per instruction on superlane 0",
        MARGIN,
        l.gantt_top - 8.0,
    );
    let width = (w - 2.0 * MARGIN).max(10.0);
    let span = g.length.max(1) as f64;
    let x = |c: u64| MARGIN + width * (c as f64 / span);
    ctx.set_fill_style_str(p.idle);
    ctx.fill_rect(
        MARGIN,
        l.gantt_top,
        width,
        l.gantt_row * f64::from(l.n_slices),
    );
    for state in [
        CellState::Computing,
        CellState::Reading,
        CellState::Writing,
        CellState::Loading,
    ] {
        ctx.begin_path();
        for &(slice, start, end, _) in g.bars.iter().filter(|b| b.3 == state) {
            let y = l.gantt_top + l.gantt_row * f64::from(slice);
            ctx.rect(
                x(start),
                y,
                (x(end) - x(start)).max(0.5),
                (l.gantt_row - 0.5).max(1.0),
            );
        }
        ctx.set_fill_style_str(cell_colour(state, p));
        ctx.fill();
    }
    // Now.
    ctx.set_stroke_style_str(p.text);
    ctx.set_line_width(1.0);
    ctx.begin_path();
    let now = x(snap.cycle.min(g.length));
    ctx.move_to(now, l.gantt_top - 2.0);
    ctx.line_to(now, l.gantt_top + l.gantt_row * f64::from(l.n_slices) + 2.0);
    ctx.stroke();
    ctx.set_fill_style_str(p.muted);
    let bottom = l.gantt_top + l.gantt_row * f64::from(l.n_slices) + 14.0;
    let _ = ctx.fill_text("cycle 0", MARGIN, bottom);
    let end = format!("cycle {}", g.length);
    let _ = ctx.fill_text(&end, MARGIN + width - 7.0 * end.len() as f64, bottom);
}

/// The Groq chip and its schedule, drawn whenever the snapshot, the selection or the theme
/// changes. Its text alternative is the page's compile report, schedule tables, event log
/// and slice inspector.
#[component]
pub fn GroqCanvas(
    /// The chip to draw.
    #[prop(into)]
    snapshot: Signal<GroqSnapshot>,
    /// The schedule's bars.
    #[prop(into)]
    gantt: Signal<GanttData>,
    /// The slice outlined, if any (as `(slice, 0)`).
    #[prop(into)]
    selected: Signal<Option<(u32, u32)>>,
    /// Called with the slice clicked, as `(slice, 0)`.
    on_select: Callback<(u32, u32)>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let layout = StoredValue::new(None::<GroqLayout>);
    let palette = use_palette();
    let resized = use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        let selected = selected.get().map(|(s, _)| s);
        if let Some(canvas) = canvas_ref.get() {
            let drawn =
                snapshot.with(|s| gantt.with(|g| draw_groq(&canvas, s, g, selected, &palette)));
            layout.set_value(drawn);
        }
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let hit = layout
            .get_value()
            .and_then(|l| l.slice_at(f64::from(ev.offset_x()), f64::from(ev.offset_y())));
        if let Some(s) = hit {
            on_select.run((s, 0));
        }
    };
    view! {
        <canvas
            class="sim-canvas sim-canvas--groq"
            data-testid="sim-groq-canvas"
            node_ref=canvas_ref
            role="img"
            aria-label="The Groq chip's slices (columns, west to east) on each superlane (rows), coloured by what each does this cycle, with vectors moving east and west on the streams, and the whole schedule below as a chart per slice; the same information is in the compile report, the schedule tables, the event log and the slice inspector"
            on:click=on_click
        ></canvas>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_find_the_slice_in_the_chip_and_in_the_gantt_chart() {
        let l = GroqLayout::fit(12.0 * 2.0 + 150.0, 15, 8);
        assert_eq!(l.column, 10.0);
        let y = l.y(0) + 1.0;
        assert_eq!(l.slice_at(MARGIN + 10.0 * 7.0 + 5.0, y), Some(7));
        // Superlane 0 is the bottom row.
        assert!(l.y(0) > l.y(7));
        let gy = l.gantt_top + l.gantt_row * 3.0 + 0.5;
        assert_eq!(l.slice_at(MARGIN + 1.0, gy), Some(3));
        assert_eq!(l.slice_at(MARGIN + 1.0, 1.0), None);
        assert_eq!(l.slice_at(MARGIN + 10.0 * 15.0 + 1.0, y), None);
    }
}
