//! The one helper for canvas sizing: a 2-D context sized for the canvas's CSS width and the
//! device pixel ratio, drawing in CSS pixels.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The 2-D context of `canvas`, sized for its CSS width and the device pixel ratio, with
/// drawing units in CSS pixels. Returns the context and the CSS size.
pub fn prepare_canvas(
    canvas: &HtmlCanvasElement,
    css_width: f64,
    css_height: f64,
) -> Option<CanvasRenderingContext2d> {
    let dpr = web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .max(1.0);
    // Pixel sizes are small positive numbers; rounding to u32 is the point.
    let (pw, ph) = (
        (css_width * dpr).round() as u32,
        (css_height * dpr).round() as u32,
    );
    if canvas.width() != pw {
        canvas.set_width(pw);
    }
    if canvas.height() != ph {
        canvas.set_height(ph);
    }
    let ctx = canvas
        .get_context("2d")
        .ok()
        .flatten()?
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()?;
    ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0).ok()?;
    Some(ctx)
}

/// The canvas's width in CSS pixels (its column's width before the first layout).
pub fn css_width(canvas: &HtmlCanvasElement) -> f64 {
    let w = f64::from(canvas.client_width());
    if w > 0.0 { w } else { 640.0 }
}

/// A counter that changes whenever the window is resized: a canvas's drawing effect tracks it
/// to redraw at its column's new width. The listener goes with the calling component.
pub fn use_resize_tick() -> ReadSignal<u32> {
    let (resized, set_resized) = signal(0u32);
    let handle = window_event_listener(leptos::ev::resize, move |_| {
        set_resized.update(|n| *n = n.wrapping_add(1));
    });
    on_cleanup(move || handle.remove());
    resized
}
