//! The lists of lessons, simulators and labs, and the page of each item. An item that is not
//! built yet says so plainly; there is no placeholder content.

use leptos::prelude::*;

use crate::catalog::{self, Status};
use crate::pages::NotFoundPage;
use crate::route::Route;

fn status_badge(status: Status) -> impl IntoView {
    match status {
        Status::Ready => view! { <span class="badge badge--ready">"Ready"</span> }.into_any(),
        Status::Coming => {
            view! { <span class="badge badge--coming">"Coming soon"</span> }.into_any()
        }
    }
}

fn coming_notice(what: &'static str) -> impl IntoView {
    view! {
        <p class="notice notice--coming" role="status">
            {format!("This {what} is being built and is not available yet. ")}
            "Its description below is what it will cover."
        </p>
    }
}

#[component]
pub fn LessonsPage() -> impl IntoView {
    view! {
        <h1>"Lessons"</h1>
        <p class="page__lead">
            "Eight lessons, meant to be read in order, each ending with a short self-check quiz."
        </p>
        <ol class="item-list">
            {catalog::LESSONS
                .iter()
                .map(|lesson| {
                    view! {
                        <li class="item-list__item">
                            <a class="item-list__link" href=Route::Lesson { slug: lesson.slug.into() }.href()>
                                {lesson.title}
                            </a>
                            {status_badge(lesson.status)}
                            <p class="item-list__text">{lesson.covers}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
pub fn LessonPage(slug: String) -> impl IntoView {
    match catalog::lesson(&slug) {
        None => view! { <NotFoundPage path=format!("/lessons/{slug}") /> }.into_any(),
        Some(lesson) => view! {
            <p class="breadcrumb"><a href=Route::Lessons.href()>"Lessons"</a></p>
            <h1>{lesson.title}</h1>
            {(lesson.status == Status::Coming).then(|| coming_notice("lesson"))}
            <p class="page__lead">{lesson.covers}</p>
        }
        .into_any(),
    }
}

#[component]
pub fn SimulatorsPage() -> impl IntoView {
    view! {
        <h1>"Simulators"</h1>
        <p class="page__lead">
            "Each simulator runs the same small workloads (an MNIST layer, a convolution, a "
            "BERT-tiny encoder layer) the way one machine would, and reports cycles, data moved "
            "and energy in the same units, so the machines can be compared."
        </p>
        <ul class="item-list">
            {catalog::SIMULATORS
                .iter()
                .map(|sim| {
                    view! {
                        <li class="item-list__item">
                            <a class="item-list__link" href=Route::Simulator { arch: sim.arch.into() }.href()>
                                {sim.name}
                            </a>
                            {status_badge(sim.status)}
                            <p class="item-list__text">{sim.models}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
pub fn SimulatorPage(arch: String) -> impl IntoView {
    match catalog::simulator(&arch) {
        None => view! { <NotFoundPage path=format!("/simulators/{arch}") /> }.into_any(),
        Some(sim) => view! {
            <p class="breadcrumb"><a href=Route::Simulators.href()>"Simulators"</a></p>
            <h1>{format!("{} simulator", sim.name)}</h1>
            {(sim.status == Status::Coming).then(|| coming_notice("simulator"))}
            <p class="page__lead">{sim.models}</p>
        }
        .into_any(),
    }
}

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
    match catalog::lab(&name) {
        None => view! { <NotFoundPage path=format!("/labs/{name}") /> }.into_any(),
        Some(lab) => view! {
            <p class="breadcrumb"><a href=Route::Labs.href()>"Labs"</a></p>
            <h1>{lab.title}</h1>
            {(lab.status == Status::Coming).then(|| coming_notice("lab"))}
            <p class="page__lead">{lab.redoes}</p>
        }
        .into_any(),
    }
}
