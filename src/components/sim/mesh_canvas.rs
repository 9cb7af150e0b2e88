//! The WSE mesh on a canvas: PEs coloured by state, a memory bar per PE, wavelets as dots in
//! their virtual channel's colour, and the selected PE outlined. Click a PE to inspect it.

use leptos::html::Canvas;
use leptos::prelude::*;
use sim::wse::{MeshSnapshot, PeState};
use web_sys::HtmlCanvasElement;

use super::mesh_layout::{MARGIN, MeshLayout};
use crate::charts::canvas::{css_width, prepare_canvas, use_resize_tick};
use crate::charts::palette::{Palette, use_palette};

/// Tallest the mesh drawing gets, in CSS pixels.
pub const MAX_MESH_HEIGHT: f64 = 640.0;

/// Draws `snap` and returns the layout used (for mapping clicks back to PEs).
pub fn draw_mesh(
    canvas: &HtmlCanvasElement,
    snap: &MeshSnapshot,
    selected: Option<(u32, u32)>,
    memory_capacity: f64,
    palette: &Palette,
) -> Option<MeshLayout> {
    let layout = MeshLayout::fit(css_width(canvas), MAX_MESH_HEIGHT, snap.width, snap.height);
    let (w, h) = layout.size();
    let ctx = prepare_canvas(canvas, w, h)?;
    ctx.set_fill_style_str(palette.background);
    ctx.fill_rect(0.0, 0.0, w, h);

    // PEs, one path per state (a few fills per frame, not one per PE).
    let width = snap.width.max(1);
    for (state, colour) in [
        (PeState::Idle, palette.idle),
        (PeState::Busy, palette.busy),
        (PeState::Stalled, palette.stalled),
    ] {
        ctx.begin_path();
        for (i, pe) in snap.pes.iter().enumerate() {
            if pe.state == state {
                let i = i as u32;
                let (left, top, side) = layout.cell(i % width, i / width);
                ctx.rect(left, top, side, side);
            }
        }
        ctx.set_fill_style_str(colour);
        ctx.fill();
    }
    // Memory in use: a bar along the bottom of each PE big enough to show one.
    if layout.pitch >= 10.0 && memory_capacity > 0.0 {
        ctx.begin_path();
        for (i, pe) in snap.pes.iter().enumerate() {
            // Bytes → f64 for a fraction only.
            let used = (pe.memory_used.0 as f64 / memory_capacity).min(1.0);
            if used > 0.0 {
                let i = i as u32;
                let (left, top, side) = layout.cell(i % width, i / width);
                let bar = (side * 0.1).max(1.5);
                ctx.rect(left, top + side - bar, side * used, bar);
            }
        }
        ctx.set_fill_style_str(palette.memory_bar);
        ctx.fill();
    }
    // Edge arrows: x enters on the north edge, results leave by the east edge.
    ctx.set_fill_style_str(palette.muted);
    ctx.set_font("12px system-ui, sans-serif");
    let _ = ctx.fill_text("x in \u{2193}", MARGIN, MARGIN - 5.0);
    let _ = ctx.fill_text("\u{2192}", w - MARGIN + 3.0, MARGIN + 12.0);

    // Wavelets, one path per channel colour.
    let r = layout.dot_radius();
    for (idx, colour) in palette.channels.iter().enumerate() {
        ctx.begin_path();
        let mut any = false;
        for wv in &snap.wavelets {
            if usize::from(wv.color) % palette.channels.len() == idx {
                let (x, y) = layout.wavelet_at(wv.x, wv.y, wv.from, wv.color);
                ctx.move_to(x + r, y);
                let _ = ctx.arc(x, y, r, 0.0, std::f64::consts::TAU);
                any = true;
            }
        }
        if any {
            ctx.set_fill_style_str(colour);
            ctx.fill();
        }
    }
    if let Some((x, y)) = selected
        && x < snap.width
        && y < snap.height
    {
        let (left, top, side) = layout.cell(x, y);
        ctx.set_stroke_style_str(palette.selected);
        ctx.set_line_width(if layout.pitch >= 8.0 { 3.0 } else { 2.0 });
        ctx.stroke_rect(left - 1.0, top - 1.0, side + 2.0, side + 2.0);
    }
    Some(layout)
}

/// The mesh, drawn on a canvas whenever its snapshot, the selection or the theme changes.
/// The canvas is a picture: its text alternative is the page's metrics, log and inspector,
/// and the keyboard way to inspect a PE is the form beside it.
#[component]
pub fn MeshCanvas(
    /// The mesh to draw.
    #[prop(into)]
    snapshot: Signal<MeshSnapshot>,
    /// The PE outlined, if any.
    #[prop(into)]
    selected: Signal<Option<(u32, u32)>>,
    /// A PE's memory, for the memory bars.
    #[prop(into)]
    memory_capacity: Signal<f64>,
    /// Called with the PE clicked.
    on_select: Callback<(u32, u32)>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<Canvas>::new();
    let layout = StoredValue::new(None::<MeshLayout>);
    let palette = use_palette();
    // Redraw when the canvas's column changes width.
    let resized = use_resize_tick();
    Effect::new(move |_| {
        resized.track();
        let palette = palette.get();
        let selected = selected.get();
        let capacity = memory_capacity.get();
        if let Some(canvas) = canvas_ref.get() {
            let drawn = snapshot.with(|s| draw_mesh(&canvas, s, selected, capacity, &palette));
            layout.set_value(drawn);
        }
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let hit = layout
            .get_value()
            .and_then(|l| l.pe_at(f64::from(ev.offset_x()), f64::from(ev.offset_y())));
        if let Some(pe) = hit {
            on_select.run(pe);
        }
    };
    view! {
        <canvas
            class="sim-canvas sim-canvas--mesh"
            data-testid="sim-mesh-canvas"
            node_ref=canvas_ref
            role="img"
            aria-label="The mesh of processing elements; the same information is in the metrics, the event log and the PE inspector"
            on:click=on_click
        ></canvas>
    }
}
