use leptos::prelude::*;

use crate::route::Route;

/// The page for an address the site does not have.
#[component]
pub fn NotFoundPage(
    /// The address that was asked for, shown back to the learner.
    path: String,
) -> impl IntoView {
    view! {
        <section class="not-found">
            <h1>"Page not found"</h1>
            <p>
                "There is nothing at " <code class="not-found__path">{path}</code>
                ". The link may be mistyped, or the page may have moved."
            </p>
            <p>
                <a href=Route::Home.href() data-testid="not-found-home">"Back to the home page"</a>
                " · "
                <a href=Route::Lessons.href()>"All lessons"</a>
            </p>
        </section>
    }
}
