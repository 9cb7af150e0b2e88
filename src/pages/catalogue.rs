//! Pieces shared by the catalogue pages (lessons, simulators, labs). An item that is not built
//! yet says so plainly; there is no placeholder content.

use leptos::prelude::*;

use crate::catalog::Status;

/// A small "Ready" / "Coming soon" badge.
pub fn status_badge(status: Status) -> impl IntoView {
    match status {
        Status::Ready => view! { <span class="badge badge--ready">"Ready"</span> }.into_any(),
        Status::Coming => {
            view! { <span class="badge badge--coming">"Coming soon"</span> }.into_any()
        }
    }
}

/// The notice at the top of a page whose item is not built yet.
pub fn coming_notice(what: &'static str) -> impl IntoView {
    view! {
        <p class="notice notice--coming" role="status">
            {format!("This {what} is being built and is not available yet. ")}
            "Its description below is what it will cover."
        </p>
    }
}
