//! The app: context providers, the hash router, and the page for each route.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::{SiteFooter, SiteHeader, UpdateBanner};
use crate::course_data::provide_course;
use crate::offline::provide_offline;
use crate::pages::{
    ComparePage, CompilePage, HomePage, LabPage, LabsPage, LessonPage, LessonsPage, NotFoundPage,
    ProgressPage, SimulatorPage, SimulatorsPage,
};
use crate::progress_store::{ProgressNotice, provide_progress};
use crate::route::{Location, Route};
use crate::theme::provide_theme;

/// Where the learner is, kept in step with `location.hash`.
#[derive(Clone, Copy, Debug)]
pub struct LocationContext(pub ReadSignal<Location>);

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Puts the current [`Location`] in context and follows `hashchange`. After a navigation the
/// page scrolls to the top and focus moves to the new page's content, as a screen reader expects.
pub fn provide_location() -> ReadSignal<Location> {
    let (location, set_location) = signal(Location::parse(&current_hash()));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        set_location.set(Location::parse(&current_hash()));
        if let Some(window) = web_sys::window() {
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
        request_animation_frame(focus_main);
    });
    on_cleanup(move || handle.remove());
    provide_context(LocationContext(location));
    location
}

/// Moves keyboard focus to the main content region.
pub fn focus_main() {
    let main = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("main"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(main) = main {
        let _ = main.focus();
    }
}

fn page_for(route: Route) -> AnyView {
    match route {
        Route::Home => view! { <HomePage /> }.into_any(),
        Route::Lessons => view! { <LessonsPage /> }.into_any(),
        Route::Lesson { slug } => view! { <LessonPage slug /> }.into_any(),
        Route::Simulators => view! { <SimulatorsPage /> }.into_any(),
        Route::Simulator { arch } => view! { <SimulatorPage arch /> }.into_any(),
        Route::Labs => view! { <LabsPage /> }.into_any(),
        Route::Lab { name } => view! { <LabPage name /> }.into_any(),
        Route::Compare => view! { <ComparePage /> }.into_any(),
        Route::Compile => view! { <CompilePage /> }.into_any(),
        Route::Progress => view! { <ProgressPage /> }.into_any(),
        Route::NotFound { path } => view! { <NotFoundPage path /> }.into_any(),
    }
}

/// The whole site.
#[component]
pub fn App() -> impl IntoView {
    provide_theme();
    provide_course();
    provide_progress();
    provide_offline();
    let location = provide_location();
    let route = Memo::new(move |_| location.with(|l| l.route.clone()));
    // The title follows the route (a DOM write, not a signal write).
    Effect::new(move |_| {
        let title = route.with(Route::document_title);
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
    let section = Signal::derive(move || route.with(Route::section));
    // What rebuilds the page: its route, and for the pages that read their whole setup from the
    // address once (#/compare, #/compile), also the query, so an address edited by hand or a
    // followed link is computed afresh. Their own `replaceState` writes fire no `hashchange`.
    let page = Memo::new(move |_| {
        location.with(|l| {
            let query = matches!(l.route, Route::Compare | Route::Compile).then(|| l.query.clone());
            (l.route.clone(), query)
        })
    });
    view! {
        <UpdateBanner />
        <SiteHeader section />
        <main id="main" class="page" tabindex="-1">
            <ProgressNotice />
            {move || page_for(page.with(|(route, _)| route.clone()))}
        </main>
        <SiteFooter />
    }
}
