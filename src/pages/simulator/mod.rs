//! The simulator pages (`#/simulators/gpu`, `#/simulators/wse`): parameters from the URL,
//! the engines driven in bounded slices per animation frame, and what is shown of them.

mod embed;
mod gpu;
pub mod params;
pub mod session;
mod wse;

pub use embed::{SimEmbed, embeddable};
pub use gpu::GpuSimulator;
pub use wse::WseSimulator;

/// Writes `href` (a `#/…` address) into the address bar without a navigation or a history
/// entry, so a copied link reproduces the page's setup.
pub fn replace_url(href: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
    }
}
