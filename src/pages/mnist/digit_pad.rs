//! A canvas to draw a digit on with a mouse, a pen or a finger (pointer events), and the
//! 28×28 image the model is given.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::browser::{context_2d_readback as context_2d, paint_digit};
use crate::training::drawing::mnist_style;

/// The drawing canvas' side in canvas pixels (ten times MNIST's).
pub const PAD_SIDE: u32 = 280;
/// Stroke width in canvas pixels: about two MNIST pixels once the digit is scaled to 20.
const STROKE: f64 = 20.0;

/// Where the pointer is, in canvas pixels.
fn canvas_point(canvas: &web_sys::HtmlCanvasElement, event: &web_sys::PointerEvent) -> (f64, f64) {
    let rect = canvas.get_bounding_client_rect();
    let scale_x = f64::from(canvas.width()) / rect.width().max(1.0);
    let scale_y = f64::from(canvas.height()) / rect.height().max(1.0);
    (
        (f64::from(event.client_x()) - rect.left()) * scale_x,
        (f64::from(event.client_y()) - rect.top()) * scale_y,
    )
}

fn clear(canvas: &web_sys::HtmlCanvasElement) {
    if let Some(ctx) = context_2d(canvas) {
        ctx.set_fill_style_str("#000000");
        ctx.fill_rect(0.0, 0.0, f64::from(PAD_SIDE), f64::from(PAD_SIDE));
    }
}

/// The drawing as greyscale (the red channel: white ink on black).
fn ink(canvas: &web_sys::HtmlCanvasElement) -> Option<Vec<u8>> {
    let ctx = context_2d(canvas)?;
    let side = f64::from(PAD_SIDE);
    let data = ctx.get_image_data(0.0, 0.0, side, side).ok()?.data();
    Some(data.iter().step_by(4).copied().collect())
}

/// The drawing pad. Each finished stroke sends the MNIST-style image to `on_digit`.
#[component]
pub fn DigitPad(
    /// Called with the 28×28 image after each stroke.
    on_digit: Callback<Vec<u8>>,
    /// Called when the pad is cleared.
    on_clear: Callback<()>,
) -> impl IntoView {
    let pad = NodeRef::<Canvas>::new();
    let preview = NodeRef::<Canvas>::new();
    let last = StoredValue::new(None::<(f64, f64)>);
    let has_ink = RwSignal::new(false);

    Effect::new(move |_| {
        if let Some(canvas) = pad.get() {
            clear(&canvas);
        }
    });
    let stroke_to = move |to: (f64, f64)| {
        let (Some(canvas), Some(from)) = (pad.get_untracked(), last.get_value()) else {
            return;
        };
        if let Some(ctx) = context_2d(&canvas) {
            ctx.set_stroke_style_str("#ffffff");
            ctx.set_line_width(STROKE);
            ctx.set_line_cap("round");
            ctx.set_line_join("round");
            ctx.begin_path();
            ctx.move_to(from.0, from.1);
            ctx.line_to(to.0, to.1);
            ctx.stroke();
        }
        last.set_value(Some(to));
    };
    let finish = move || {
        if last.get_value().is_none() {
            return;
        }
        last.set_value(None);
        let Some(canvas) = pad.get_untracked() else {
            return;
        };
        let digit =
            ink(&canvas).and_then(|g| mnist_style(&g, PAD_SIDE as usize, PAD_SIDE as usize));
        if let Some(digit) = digit {
            has_ink.set(true);
            if let Some(p) = preview.get_untracked() {
                paint_digit(&p, &digit, (255, 255, 255), (0, 0, 0));
            }
            on_digit.run(digit);
        }
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        let Some(canvas) = pad.get_untracked() else {
            return;
        };
        if let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(ev.pointer_id());
        }
        let at = canvas_point(&canvas, &ev);
        last.set_value(Some(at));
        stroke_to((at.0 + 0.01, at.1)); // a dot
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        if last.get_value().is_none() {
            return;
        }
        ev.prevent_default();
        if let Some(canvas) = pad.get_untracked() {
            stroke_to(canvas_point(&canvas, &ev));
        }
    };
    let on_clear_click = move |_| {
        if let Some(canvas) = pad.get_untracked() {
            clear(&canvas);
        }
        if let Some(p) = preview.get_untracked() {
            paint_digit(&p, &[0; 784], (255, 255, 255), (0, 0, 0));
        }
        has_ink.set(false);
        on_clear.run(());
    };
    view! {
        <div class="mnist-pad">
            <canvas
                class="mnist-pad__canvas"
                data-testid="mnist-pad"
                node_ref=pad
                width=PAD_SIDE
                height=PAD_SIDE
                role="img"
                aria-label="Drawing area: draw one digit with the mouse, a pen or a finger"
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=move |_| finish()
                on:pointercancel=move |_| finish()
                on:lostpointercapture=move |_| finish()
            ></canvas>
            <div class="mnist-pad__side">
                <button type="button" class="mnist-button" data-testid="mnist-pad-clear" on:click=on_clear_click>
                    "Clear"
                </button>
                <p class="mnist-pad__caption">"What the model sees (28×28):"</p>
                <canvas
                    class="mnist-digit mnist-digit--preview"
                    data-testid="mnist-pad-preview"
                    node_ref=preview
                    width="28"
                    height="28"
                    role="img"
                    aria-label=move || if has_ink.get() { "Your digit, scaled and centred like MNIST's" } else { "Empty" }
                ></canvas>
            </div>
        </div>
    }
}
