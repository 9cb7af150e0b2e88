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

use leptos::prelude::*;

use crate::route::Route;

/// The line above a simulator: on its own page, its lesson and the other machine; inside a
/// lesson, the full page (with the same setup) and the other machine.
#[component]
pub fn SimPageLinks(
    /// Whether the simulator is embedded in a lesson.
    embedded: bool,
    /// This setup on the full simulator page.
    #[prop(into)]
    full_href: Signal<String>,
    /// The lesson that explains this machine: slug and title.
    lesson: (&'static str, &'static str),
    /// The same workload on the other machine.
    #[prop(into)]
    other_href: Signal<String>,
    /// The other link's text.
    other_text: &'static str,
) -> impl IntoView {
    let (slug, title) = lesson;
    let first = if embedded {
        view! {
            <a href=full_href data-testid="sim-full-page-link">"Open the full simulator"</a>
            " (parameters, presets and sizes)"
        }
        .into_any()
    } else {
        view! {
            "Lesson: "
            <a href=Route::Lesson { slug: slug.into() }.href() data-testid="sim-lesson-link">{title}</a>
        }
        .into_any()
    };
    view! {
        <p class="sim-page__links">
            {first}
            " · "
            <a href=other_href data-testid="sim-other-arch">{other_text}</a>
        </p>
    }
}

/// Writes `href` (a `#/…` address) into the address bar without a navigation or a history
/// entry, so a copied link reproduces the page's setup.
pub fn replace_url(href: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
    }
}
