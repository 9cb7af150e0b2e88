use leptos::prelude::*;

use crate::components::{SearchBox, ThemeToggle};
use crate::route::{Route, Section};

/// A link, visible when focused, that jumps past the navigation to the page's content.
/// (An `href="#main"` would be read as a route, so it moves focus itself.)
#[component]
pub fn SkipLink() -> impl IntoView {
    view! {
        <a
            class="skip-link"
            href="#/"
            on:click=|event| {
                event.prevent_default();
                crate::app::focus_main();
            }
        >
            "Skip to content"
        </a>
    }
}

/// The persistent header: the site name, the three pillars and progress, the lesson search, and
/// the theme toggle.
#[component]
pub fn SiteHeader(
    /// The section the learner is in; its link gets `aria-current="page"`.
    #[prop(into)]
    section: Signal<Section>,
) -> impl IntoView {
    let link = move |target: Route, label: &'static str, this: Section| {
        view! {
            <li>
                <a
                    class="site-nav__link"
                    href=target.href()
                    aria-current=move || (section.get() == this).then_some("page")
                >
                    {label}
                </a>
            </li>
        }
    };
    view! {
        // The skip link is the header's first child: first in tab order, and inside a landmark.
        <header class="site-header">
            <SkipLink />
            <a class="site-header__brand" href="#/">
                <span class="site-header__logo" aria-hidden="true">"◈"</span>
                "Testbed Lab"
            </a>
            <nav class="site-nav" aria-label="Main">
                <ul class="site-nav__list">
                    {link(Route::Home, "Home", Section::Home)}
                    {link(Route::Lessons, "Lessons", Section::Lessons)}
                    {link(Route::Simulators, "Simulators", Section::Simulators)}
                    {link(Route::Labs, "Labs", Section::Labs)}
                    {link(Route::Progress, "Progress", Section::Progress)}
                </ul>
            </nav>
            <SearchBox />
            <ThemeToggle />
        </header>
    }
}

/// The footer: what runs where, and where the material comes from.
#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>
                "Everything on this site runs in your browser: the simulators and the training are "
                "WebAssembly on your machine, and nothing you do is sent anywhere."
            </p>
            <p>
                "The course follows the AI-testbed session of the ALCF AI Science Training Series "
                "(spring 2024). Figures are cited where they appear."
            </p>
        </footer>
    }
}
