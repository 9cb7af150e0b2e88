//! A canvas to draw a digit on with a mouse, a pen or a finger (pointer events), and the
//! 28×28 image the model is given.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::browser::{context_2d_readback as context_2d, paint_digit};
use crate::training::mnist::drawing::mnist_style;

/// The drawing canvas' side in canvas pixels (ten times MNIST's).
pub const PAD_SIDE: u32 = 280;
/// Stroke width in canvas pixels: about two MNIST pixels once the digit is scaled to 20.
const STROKE: f64 = 20.0;
/// How far one arrow key moves the keyboard pen, in canvas pixels.
const KEY_STEP: f64 = 14.0;

/// Where the keyboard pen goes for an arrow key, kept inside the pad; `None` for other keys.
pub fn keyboard_step(key: &str, at: (f64, f64)) -> Option<(f64, f64)> {
    let (dx, dy) = match key {
        "ArrowUp" => (0.0, -KEY_STEP),
        "ArrowDown" => (0.0, KEY_STEP),
        "ArrowLeft" => (-KEY_STEP, 0.0),
        "ArrowRight" => (KEY_STEP, 0.0),
        _ => return None,
    };
    let margin = STROKE / 2.0;
    let far = f64::from(PAD_SIDE) - margin;
    Some((
        (at.0 + dx).clamp(margin, far),
        (at.1 + dy).clamp(margin, far),
    ))
}

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
///
/// By keyboard: arrow keys draw from the centre (the pen stays down), Enter asks the model,
/// Delete, Backspace or Escape clears.
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
    let keyboard_pen = StoredValue::new(None::<(f64, f64)>);
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
    let clear_all = move || {
        if let Some(canvas) = pad.get_untracked() {
            clear(&canvas);
        }
        if let Some(p) = preview.get_untracked() {
            paint_digit(&p, &[0; 784], (255, 255, 255), (0, 0, 0));
        }
        keyboard_pen.set_value(None);
        has_ink.set(false);
        on_clear.run(());
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let key = ev.key();
        let centre = f64::from(PAD_SIDE) / 2.0;
        let at = keyboard_pen.get_value().unwrap_or((centre, centre));
        if let Some(to) = keyboard_step(&key, at) {
            ev.prevent_default();
            last.set_value(Some(at));
            stroke_to(to);
            keyboard_pen.set_value(Some(to));
            return;
        }
        match key.as_str() {
            "Enter" | " " => {
                ev.prevent_default();
                if let Some(at) = keyboard_pen.get_value() {
                    last.set_value(Some(at));
                    finish();
                }
            }
            "Delete" | "Backspace" | "Escape" => {
                ev.prevent_default();
                clear_all();
            }
            _ => {}
        }
    };
    view! {
        <div class="lab-pad">
            <canvas
                class="lab-pad__canvas"
                data-testid="mnist-pad"
                node_ref=pad
                width=PAD_SIDE
                height=PAD_SIDE
                role="img"
                tabindex="0"
                aria-label="Drawing area: draw one digit with the mouse, a pen or a finger; or by keyboard, arrow keys draw from the centre, Enter asks the model, Delete clears"
                aria-keyshortcuts="ArrowUp ArrowDown ArrowLeft ArrowRight Enter Delete"
                on:keydown=on_key
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=move |_| finish()
                on:pointercancel=move |_| finish()
                on:lostpointercapture=move |_| finish()
            ></canvas>
            <div class="lab-pad__side">
                <button type="button" class="lab-button" data-testid="mnist-pad-clear" on:click=move |_| clear_all()>
                    "Clear"
                </button>
                <p class="lab-pad__caption">
                    "Keyboard: arrow keys draw from the centre, Enter asks the model, Delete clears."
                </p>
                <p class="lab-pad__caption">"What the model sees (28×28):"</p>
                <canvas
                    class="lab-digit lab-digit--preview"
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

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn arrow_keys_move_the_pen_and_stop_at_the_edges() {
        assert_eq!(
            keyboard_step("ArrowUp", (140.0, 140.0)),
            Some((140.0, 126.0))
        );
        assert_eq!(
            keyboard_step("ArrowRight", (140.0, 140.0)),
            Some((154.0, 140.0))
        );
        assert_eq!(
            keyboard_step("ArrowLeft", (12.0, 140.0)),
            Some((10.0, 140.0))
        );
        assert_eq!(
            keyboard_step("ArrowDown", (140.0, 275.0)),
            Some((140.0, 270.0))
        );
        assert_eq!(keyboard_step("a", (140.0, 140.0)), None);
    }
}
