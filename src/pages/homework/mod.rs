//! The homework lab (`#/labs/homework`): the session's four experiments, one section per
//! machine (`?at=graphcore|cerebras|sambanova|groq` scrolls to and focuses it), each section's
//! settings in the address under its own key prefix, and one "model vs reality" table.
//!
//! Each section is its own module and owns its keys, its worker and its rows of the reality
//! table; this module only lays them out.

mod cerebras;
mod graphcore;
mod groq;
mod reality;
mod sambanova;

use leptos::prelude::*;

use crate::app::LocationContext;
use crate::catalog::{self, Status};
use crate::pages::catalogue::status_badge;
use crate::route::Route;
use crate::training::mnist::config::RunConfig;
use crate::training::state::RunRecord;

/// What the sections share with the reality table: each section's live results (set once, when
/// the section is built).
#[derive(Clone, Copy, Debug)]
pub(crate) struct HomeworkFigures {
    /// The Graphcore grid's runs of this visit.
    pub graphcore_records: RwSignal<Option<Signal<Vec<RunRecord<RunConfig>>>>>,
    /// The Groq section's answers of this visit.
    pub groq_results: RwSignal<Option<Signal<Vec<crate::training::homework::groq::GroqResult>>>>,
}

/// The current address's query (a section writes its own keys and keeps the others').
fn current_query() -> Vec<(String, String)> {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    crate::route::Location::parse(&hash).query
}

/// Writes a section's settings into the address bar, keeping the other sections' keys and
/// `at=` as they are now.
fn write_section<F: crate::training::form::LabFields>(form: &crate::training::form::Form<F>) {
    crate::route::replace_url(&form.href_keeping(&current_query()));
}

/// A section's form fields: ids `homework-<key>`, and a change keeps the other sections'
/// settings in the address.
fn section_fields<F: crate::training::form::LabFields>(
    form: RwSignal<crate::training::form::Form<F>>,
    disabled: Signal<bool>,
) -> crate::components::lab::FormFields<F> {
    crate::components::lab::FormFields {
        form,
        disabled,
        prefix: "homework",
        write: write_section,
    }
}

/// The section link `#/labs/homework?at=<at>`.
pub(crate) fn section_href(at: &str) -> String {
    format!(
        "{}?at={at}",
        Route::Lab {
            name: "homework".into()
        }
        .href()
    )
}

/// The homework page. `query` is the address's settings as the page was opened.
#[component]
pub fn HomeworkLab(query: Vec<(String, String)>) -> impl IntoView {
    // `?at=<section>` scrolls to a section, on load and when a link inside the page changes it.
    let at = Memo::new(move |_| {
        use_context::<LocationContext>()
            .and_then(|location| location.0.with(|l| l.query_value("at").map(str::to_owned)))
    });
    Effect::new(move |_| {
        if let Some(anchor) = at.get().filter(|a| catalog::homework_section(a).is_some()) {
            request_animation_frame(move || crate::pages::lessons::scroll_to_anchor(&anchor));
        }
    });
    provide_context(HomeworkFigures {
        graphcore_records: RwSignal::new(None),
        groq_results: RwSignal::new(None),
    });
    view! {
        <nav class="homework-nav" aria-label="The four experiments">
            <ol>
                {catalog::HOMEWORK
                    .iter()
                    .map(|section| {
                        view! {
                            <li>
                                <a href=section_href(section.at)>
                                    {format!("{}: {}", section.machine, section.title)}
                                </a>
                                " "
                                {status_badge(section.status)}
                            </li>
                        }
                    })
                    .collect_view()}
                <li><a href=section_href("reality")>"Model against reality: every figure"</a></li>
            </ol>
        </nav>
        <graphcore::GraphcoreSection query=query.clone() />
        <cerebras::CerebrasSection query=query.clone() />
        <sambanova::SambanovaSection query=query.clone() />
        <groq::GroqSection query=query />
        <reality::RealitySection />
    }
}

/// A section's frame: its heading (with the section link), the homework's question, and the
/// "being built" notice while the in-page experiment is not there yet.
#[component]
fn SectionFrame(at: &'static str, children: Children) -> impl IntoView {
    let section = catalog::homework_section(at);
    let heading = section.map_or_else(|| at.to_owned(), |s| format!("{}: {}", s.machine, s.title));
    let coming = section.is_some_and(|s| s.status == Status::Coming);
    view! {
        <section class="homework-section" id=at tabindex="-1" aria-labelledby=format!("{at}-heading")>
            <h2 id=format!("{at}-heading")>
                {heading}
                " "
                <a class="lesson-heading__link" href=section_href(at) aria-label="Link to this experiment">"#"</a>
            </h2>
            {coming.then(|| view! {
                <p class="notice notice--coming" role="status">
                    "The in-page experiment of this section is being built. "
                    "The real machine's figures below are what it will be compared with."
                </p>
            })}
            {children()}
        </section>
    }
}
