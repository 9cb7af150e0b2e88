//! The lab list and each lab's page.

use leptos::prelude::*;

use crate::app::LocationContext;
use crate::catalog::{self, Status};
use crate::pages::NotFoundPage;
use crate::pages::bert::BertLab;
use crate::pages::catalogue::{coming_notice, status_badge};
use crate::pages::homework::HomeworkLab;
use crate::pages::mnist::MnistLab;
use crate::route::Route;

#[component]
pub fn LabsPage() -> impl IntoView {
    view! {
        <h1>"Labs"</h1>
        <p class="page__lead">
            "The session's hands-on homework, redone at small scale in your browser, with the "
            "numbers the real machines reported beside yours."
        </p>
        <ul class="item-list">
            {catalog::LABS
                .iter()
                .map(|lab| {
                    view! {
                        <li class="item-list__item">
                            <a class="item-list__link" href=Route::Lab { name: lab.name.into() }.href()>
                                {lab.title}
                            </a>
                            {status_badge(lab.status)}
                            <p class="item-list__text">{lab.redoes}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
pub fn LabPage(name: String) -> impl IntoView {
    // A lab reads its settings from the query once; its own `replaceState` writes fire
    // no `hashchange`, and a followed link with other settings rebuilds it. A link that only
    // moves to a section (`?at=`) keeps the page and its runs.
    let location = use_context::<LocationContext>().map(|c| c.0);
    let query = Memo::new(move |_| {
        location
            .map(|l| l.with(|l| l.query.clone()))
            .unwrap_or_default()
    });
    let settings = Memo::new(move |_| {
        query.with(|q| {
            q.iter()
                .filter(|(k, _)| k != "at")
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // A homework experiment's old address (`#/labs/cerebras-batch`) opens its section.
    if let Some(section) = course::LabName::from_name(&name).and_then(|lab| lab.page().1) {
        let mut args = query.get_untracked();
        args.retain(|(k, _)| k != "at");
        args.insert(0, ("at".to_owned(), section.to_owned()));
        let pairs = args.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let href = format!("#/labs/homework?{}", crate::query::write(pairs));
        // Replaces this history entry; the `hashchange` it fires renders the homework page.
        if let Some(window) = web_sys::window() {
            let _ = window.location().replace(&href);
        }
        return view! {
            <h1>"The homework, redone"</h1>
            <p>"This experiment is now a section of " <a href=href>"the homework page"</a> "."</p>
        }
        .into_any();
    }
    match catalog::lab(&name) {
        None => view! { <NotFoundPage path=format!("/labs/{name}") /> }.into_any(),
        Some(lab) => {
            let body = move || {
                settings.track();
                let query = query.get_untracked();
                lab_body(lab, query)
            };
            view! {
                <p class="breadcrumb"><a href=Route::Labs.href()>"Labs"</a></p>
                <h1>{lab.title}</h1>
                {(lab.status == Status::Coming).then(|| coming_notice("lab"))}
                <p class="page__lead">{lab.redoes}</p>
                {body}
            }
            .into_any()
        }
    }
}

/// A lab's own page body, built from the address's query.
fn lab_body(lab: &'static catalog::LabEntry, query: Vec<(String, String)>) -> AnyView {
    match (lab.name, lab.status) {
        ("mnist", Status::Ready) => view! {
            {crate::pages::mnist::panels_links()}
            <MnistLab query=query />
        }
        .into_any(),
        ("bert", Status::Ready) => view! { <BertLab query=query /> }.into_any(),
        ("homework", Status::Ready) => view! { <HomeworkLab query=query /> }.into_any(),
        _ => ().into_any(),
    }
}
