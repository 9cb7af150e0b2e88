//! The lesson list and the lesson page (`#/lessons/<slug>`, `?at=<anchor>` scrolls to a section).

use course::{Course, Lesson, ProgressMap};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::LocationContext;
use crate::components::lesson::body::{SimEmbedView, render_blocks, render_inlines, section_href};
use crate::course_data::use_course;
use crate::pages::NotFoundPage;
use crate::progress_store::use_progress;
use crate::route::Route;

fn lesson_href(slug: &str) -> String {
    Route::Lesson {
        slug: slug.to_owned(),
    }
    .href()
}

/// The sentence summing up progress over the course.
pub fn progress_summary(map: &ProgressMap) -> String {
    format!(
        "{} of {} lessons read, {} of {} quizzes passed.",
        map.n_lessons_read, map.n_lessons, map.n_quizzes_passed, map.n_quizzes
    )
}

fn course_missing(error: &str) -> AnyView {
    view! {
        <h1>"Lessons"</h1>
        <p class="notice" role="alert">{format!("The lessons could not be loaded: {error}. Reload the page; if this stays, the site's build is damaged.")}</p>
    }
    .into_any()
}

/// Every lesson in order, with what the learner has done in each.
#[component]
pub fn LessonsPage() -> impl IntoView {
    let course = match use_course() {
        Ok(course) => course,
        Err(error) => return course_missing(error),
    };
    let progress = use_progress();
    let map = Memo::new(move |_| progress.progress.with(|p| p.map(course)));
    view! {
        <h1>"Lessons"</h1>
        <p class="page__lead">
            "Eight lessons, meant to be read in order, each ending with a short self-check quiz."
        </p>
        <p class="lessons-progress" data-testid="lessons-progress">
            {move || map.with(progress_summary)}
            " "
            <a href=Route::Progress.href()>"Your progress, export and import"</a>
        </p>
        <ol class="lesson-list">
            {move || {
                map.with(|map| {
                    course
                        .lessons
                        .iter()
                        .zip(&map.lessons)
                        .map(|(lesson, status)| {
                            let passed = !status.quizzes.is_empty() && status.quizzes.iter().all(|q| q.passed());
                            let tried = status.quizzes.iter().any(|q| q.record.is_some());
                            view! {
                                <li class="lesson-list__item" data-testid=format!("lesson-item-{}", lesson.slug)>
                                    <span class="lesson-list__number" aria-hidden="true">{lesson.order}</span>
                                    <div class="lesson-list__body">
                                        <a class="lesson-list__link" href=lesson_href(&lesson.slug)>{lesson.title.clone()}</a>
                                        <p class="lesson-list__text">{lesson.summary.clone()}</p>
                                        <p class="lesson-list__meta">
                                            {format!("{} min read", lesson.reading_minutes())}
                                            {status.read.then(|| view! { <span class="lesson-status lesson-status--read">"Read"</span> })}
                                            {passed.then(|| view! { <span class="lesson-status lesson-status--passed">"Quiz passed"</span> })}
                                            {(tried && !passed).then(|| view! { <span class="lesson-status lesson-status--tried">"Quiz tried"</span> })}
                                        </p>
                                    </div>
                                </li>
                            }
                        })
                        .collect_view()
                })
            }}
        </ol>
    }
    .into_any()
}

/// Scrolls the element with id `anchor` to just below the header when it is sticky (its height
/// depends on the window's width; on a phone it scrolls away) and moves focus to it without a
/// second scroll.
pub(crate) fn scroll_to_anchor(anchor: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Some(element) = document.get_element_by_id(anchor) else {
        return;
    };
    // On a phone the header is not sticky (app.css) and covers nothing once scrolled away.
    let header_height = document
        .query_selector(".site-header")
        .ok()
        .flatten()
        .filter(|h| {
            window
                .get_computed_style(h)
                .ok()
                .flatten()
                .and_then(|style| style.get_property_value("position").ok())
                .is_some_and(|position| position == "sticky" || position == "fixed")
        })
        .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok())
        .map_or(0.0, |h| f64::from(h.offset_height()));
    let scroll_y = window.scroll_y().unwrap_or(0.0);
    let top = element.get_bounding_client_rect().top() + scroll_y - header_height - 12.0;
    window.scroll_to_with_x_and_y(0.0, top.max(0.0));
    if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
        let options = web_sys::FocusOptions::new();
        options.set_prevent_scroll(true);
        let _ = element.focus_with_options(&options);
    }
}

/// One lesson: objectives, prerequisites, contents, the body with its widgets and quiz, the
/// sources, and the way to the previous and next lessons. Opening it marks it read.
#[component]
pub fn LessonPage(
    /// The lesson's slug, from the address.
    slug: String,
) -> impl IntoView {
    // A simulator card in the lesson can open its simulator in place.
    provide_context(SimEmbedView(|arch, query| {
        view! { <crate::pages::simulator::SimEmbed arch query /> }.into_any()
    }));
    let course = match use_course() {
        Ok(course) => course,
        Err(error) => return course_missing(error),
    };
    let Some(lesson) = course.lesson(&slug) else {
        return view! { <NotFoundPage path=format!("/lessons/{slug}") /> }.into_any();
    };
    let progress = use_progress();
    // Opening a lesson marks it read; done after this render, since rendering writes no signal.
    queue_microtask(move || progress.mark_read(&lesson.slug));

    // `?at=<anchor>` scrolls to a section, on load and when a link inside the page changes it.
    let at = Memo::new(move |_| {
        use_context::<LocationContext>()
            .and_then(|location| location.0.with(|l| l.query_value("at").map(str::to_owned)))
    });
    Effect::new(move |_| {
        if let Some(anchor) = at.get() {
            request_animation_frame(move || scroll_to_anchor(&anchor));
        }
    });

    let (previous, next) = course.neighbours(&lesson.slug);
    view! {
        <article class="lesson" data-testid="lesson" data-slug=lesson.slug.clone()>
            <header class="lesson__header">
                <p class="breadcrumb">
                    <a href=Route::Lessons.href()>"Lessons"</a>
                    {format!(" › Lesson {} of {}", lesson.order, course.lessons.len())}
                </p>
                <h1>{lesson.title.clone()}</h1>
                <p class="page__lead">{lesson.summary.clone()}</p>
                <p class="lesson__meta">
                    {format!("About {} min read", lesson.reading_minutes())}
                    {move || {
                        progress
                            .progress
                            .with(|p| p.is_read(&lesson.slug))
                            .then(|| view! { <span class="lesson-status lesson-status--read" data-testid="lesson-read">"Read"</span> })
                    }}
                </p>
            </header>
            {objectives(lesson)}
            {prerequisites(course, lesson)}
            {table_of_contents(lesson)}
            <div class="lesson__body">{render_blocks(&lesson.body, &lesson.slug)}</div>
            <nav class="lesson-pager" aria-label="Previous and next lessons">
                {previous.map(|p| pager_link(p, "Previous", "lesson-pager__link lesson-pager__link--previous"))}
                {next.map(|n| pager_link(n, "Next", "lesson-pager__link lesson-pager__link--next"))}
            </nav>
        </article>
    }
    .into_any()
}

fn objectives(lesson: &'static Lesson) -> impl IntoView {
    view! {
        <section class="lesson-box lesson-box--objectives" aria-labelledby="lesson-objectives">
            <h2 class="lesson-box__title" id="lesson-objectives">"You will be able to"</h2>
            <ul class="lesson-box__list">
                {lesson.objectives.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}
            </ul>
        </section>
    }
}

fn prerequisites(course: &'static Course, lesson: &'static Lesson) -> Option<impl IntoView> {
    if lesson.prerequisites.is_empty() {
        return None;
    }
    let progress = use_progress();
    Some(view! {
        <p class="lesson-prerequisites">
            <span class="lesson-prerequisites__label">"Read first: "</span>
            {lesson
                .prerequisites
                .iter()
                .enumerate()
                .map(|(i, slug)| {
                    let title = course.lesson(slug).map_or_else(|| slug.clone(), |l| l.title.clone());
                    let read = move || progress.progress.with(|p| p.is_read(slug));
                    view! {
                        {(i > 0).then_some(", ")}
                        <a href=lesson_href(slug)>{title}</a>
                        {move || read().then_some(" (read)")}
                    }
                })
                .collect_view()}
        </p>
    })
}

fn table_of_contents(lesson: &'static Lesson) -> impl IntoView {
    let slug: &'static str = &lesson.slug;
    let has_sources = !lesson.sources().is_empty();
    view! {
        <nav class="lesson-toc" aria-label="On this page">
            <p class="lesson-toc__title">"On this page"</p>
            <ol class="lesson-toc__list">
                {lesson
                    .toc()
                    .into_iter()
                    .filter(|entry| entry.level <= 3)
                    .map(|entry| {
                        view! {
                            <li class=format!("lesson-toc__item lesson-toc__item--h{}", entry.level)>
                                <a href=section_href(slug, entry.anchor)>{render_inlines(entry.text, slug)}</a>
                            </li>
                        }
                    })
                    .collect_view()}
                {has_sources.then(|| view! {
                    <li class="lesson-toc__item lesson-toc__item--h2">
                        <a href=section_href(slug, "sources")>"Sources"</a>
                    </li>
                })}
            </ol>
        </nav>
    }
}

fn pager_link(lesson: &'static Lesson, label: &'static str, class: &'static str) -> impl IntoView {
    view! {
        <a class=class href=lesson_href(&lesson.slug) data-testid=format!("lesson-{}", label.to_lowercase())>
            <span class="lesson-pager__label">{label}</span>
            <span class="lesson-pager__title">{lesson.title.clone()}</span>
        </a>
    }
}
