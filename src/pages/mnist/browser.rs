//! The browser calls only the MNIST lab needs: painting 28×28 digits and reading theme colours.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Largest file the lab reads from disk (the full MNIST training images are 47 MB raw).
pub const MAX_UPLOAD_BYTES: f64 = 80.0 * 1024.0 * 1024.0;

/// A 2D context for `canvas`.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
}

/// A 2D context for a canvas the page reads back often (`willReadFrequently`, so the browser
/// keeps it in memory and does not warn about repeated `getImageData`).
pub fn context_2d_readback(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into());
    canvas
        .get_context_with_context_options("2d", &options)
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
}

/// Paints a 28×28 greyscale digit (ink high) on `canvas` (28×28 pixels; CSS scales it),
/// ink in `ink` and background in `paper` (`(r, g, b)`).
pub fn paint_digit(
    canvas: &HtmlCanvasElement,
    pixels: &[u8],
    ink: (u8, u8, u8),
    paper: (u8, u8, u8),
) {
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    canvas.set_width(28);
    canvas.set_height(28);
    let mix =
        |a: u8, b: u8, t: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    let mut rgba = Vec::with_capacity(28 * 28 * 4);
    for &v in pixels.iter().take(28 * 28) {
        let t = f64::from(v) / 255.0;
        rgba.extend_from_slice(&[
            mix(paper.0, ink.0, t),
            mix(paper.1, ink.1, t),
            mix(paper.2, ink.2, t),
            255,
        ]);
    }
    rgba.resize(28 * 28 * 4, 255);
    if let Ok(image) =
        web_sys::ImageData::new_with_u8_clamped_array(wasm_bindgen::Clamped(&rgba), 28)
    {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}

/// A theme colour (a CSS custom property on `<html>`) as RGB.
pub fn theme_rgb(name: &str, fallback: (u8, u8, u8)) -> (u8, u8, u8) {
    let style = web_sys::window().and_then(|w| {
        let root = w.document()?.document_element()?;
        w.get_computed_style(&root).ok().flatten()
    });
    style
        .and_then(|s| s.get_property_value(name).ok())
        .and_then(|v| crate::charts::training_curves::parse_hex(&v))
        .map_or(fallback, |c| (c.0, c.1, c.2))
}
