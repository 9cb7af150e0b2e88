//! The lesson list and the lesson page.

use leptos::prelude::*;

use crate::catalog::{self, Status};
use crate::pages::NotFoundPage;
use crate::pages::catalogue::{coming_notice, status_badge};
use crate::route::Route;

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
