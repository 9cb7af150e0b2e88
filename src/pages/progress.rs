//! `#/progress`: the course-wide progress map, and export to / import from a JSON file.

use course::{PROGRESS_EXPORT_FILE_NAME, Progress};
use leptos::prelude::*;

use crate::course_data::use_course;
use crate::files::{download_text, read_picked_file};
use crate::offline::use_offline;
use crate::pages::lessons::progress_summary;
use crate::progress_store::use_progress;
use crate::route::Route;

/// What an import did, shown next to the file input.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ImportMessage {
    Imported(String),
    Refused(String),
}

/// Lessons read and quizzes passed, per lesson; export and import of the progress file.
#[component]
pub fn ProgressPage() -> impl IntoView {
    let course = match use_course() {
        Ok(course) => course,
        Err(error) => {
            return view! {
                <h1>"Your progress"</h1>
                <p class="notice" role="alert">{format!("The course could not be loaded: {error}.")}</p>
            }
            .into_any();
        }
    };
    let progress = use_progress();
    let offline = use_offline();
    let map = Memo::new(move |_| progress.progress.with(|p| p.map(course)));

    let export_anchor = NodeRef::<leptos::html::A>::new();
    let export_error = RwSignal::new(None::<String>);
    let export = move |_| {
        let Some(anchor) = export_anchor.get() else {
            return;
        };
        let json = progress.progress.with_untracked(Progress::to_json_pretty);
        let result = download_text(
            &anchor,
            PROGRESS_EXPORT_FILE_NAME,
            "application/json",
            &json,
        );
        export_error.set(result.err());
    };

    let import_message = RwSignal::new(None::<ImportMessage>);
    let import = move |event: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&event);
        let picked = input.clone();
        read_picked_file(&input, move |text| {
            let message = match text {
                Ok(text) => match progress.import(&text, course) {
                    Ok(done) => ImportMessage::Imported(done),
                    Err(why) => ImportMessage::Refused(why),
                },
                Err(why) => ImportMessage::Refused(why),
            };
            import_message.set(Some(message));
            // Picking the same file again should import it again.
            picked.set_value("");
        });
    };

    view! {
        <h1>"Your progress"</h1>
        <p class="page__lead">
            "What you have read and which quizzes you passed. It is kept in this browser only; export it to a file to keep it or move it to another browser."
        </p>
        <p class="progress-page__summary" data-testid="progress-summary">{move || map.with(progress_summary)}</p>
        <div class="progress-table" role="region" aria-label="Progress by lesson" tabindex="0">
            <table class="progress-table__table">
                <thead>
                    <tr>
                        <th scope="col">"Lesson"</th>
                        <th scope="col">"Read"</th>
                        <th scope="col">"Best quiz score"</th>
                        <th scope="col">"Quiz"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        map.with(|map| {
                            map.lessons
                                .iter()
                                .map(|lesson| {
                                    let quiz = lesson.quizzes.first();
                                    let best = quiz
                                        .and_then(|q| q.record)
                                        .map_or_else(
                                            || "—".to_owned(),
                                            |r| format!("{} of {} ({} {})", r.best.n_correct, r.best.n_questions, r.n_attempts, if r.n_attempts == 1 { "attempt" } else { "attempts" }),
                                        );
                                    let (status, class) = match quiz {
                                        Some(q) if q.passed() => ("Passed".to_owned(), "progress-table__status--passed"),
                                        Some(q) if q.record.is_some() => ("Not passed yet".to_owned(), "progress-table__status--tried"),
                                        Some(q) if q.n_questions_right > 0 => (
                                            format!("Started: {} of {} right", q.n_questions_right, q.n_questions),
                                            "progress-table__status--tried",
                                        ),
                                        _ => ("Not taken".to_owned(), "progress-table__status--none"),
                                    };
                                    view! {
                                        <tr data-testid=format!("progress-row-{}", lesson.slug)>
                                            <th scope="row">
                                                <a href=Route::Lesson { slug: lesson.slug.clone() }.href()>{lesson.title.clone()}</a>
                                            </th>
                                            <td data-testid="progress-read">{if lesson.read { "✓ Read" } else { "Not yet" }}</td>
                                            <td data-testid="progress-best">{best}</td>
                                            <td class=format!("progress-table__status {class}") data-testid="progress-status">{status}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()
                        })
                    }}
                </tbody>
            </table>
        </div>

        <section class="progress-files" aria-labelledby="progress-device-title">
            <h2 id="progress-device-title">"On this device"</h2>
            <p data-testid="progress-device">
                "Your progress, your theme and your settings stay on this device, in this browser: nothing is sent anywhere. "
                "Progress and the theme are kept in the browser's storage; a lab's or a simulator's settings are in the page's address, so a bookmark keeps them; "
                "a trained model lives in its lab page until you leave it (download a run's figures as CSV from the lab). "
                "To keep your progress or move it to another browser, export it to a file below and import it there."
            </p>
            <p data-testid="offline-status">{move || offline.status.get().sentence()}</p>
        </section>

        <section class="progress-files" aria-labelledby="progress-files-title">
            <h2 id="progress-files-title">"Keep or move your progress"</h2>
            <div class="progress-files__row">
                <button type="button" class="quiz__button" data-testid="progress-export" on:click=export>
                    "Export progress to a file"
                </button>
                <a node_ref=export_anchor data-testid="progress-export-file" hidden aria-hidden="true"></a>
                <span class="progress-files__hint">{format!("Saves {PROGRESS_EXPORT_FILE_NAME}.")}</span>
            </div>
            {move || export_error.get().map(|e| view! { <p class="progress-files__message progress-files__message--error" role="alert">{e}</p> })}
            <div class="progress-files__row">
                <label class="progress-files__label" for="progress-import">"Import a progress file"</label>
                <input
                    class="progress-files__input"
                    id="progress-import"
                    type="file"
                    accept=".json,application/json"
                    data-testid="progress-import"
                    aria-describedby="progress-import-message"
                    on:change=import
                />
            </div>
            <p
                id="progress-import-message"
                class="progress-files__message"
                class:progress-files__message--error=move || matches!(import_message.get(), Some(ImportMessage::Refused(_)))
                class:progress-files__message--ok=move || matches!(import_message.get(), Some(ImportMessage::Imported(_)))
                data-testid="progress-import-message"
                aria-live="polite"
            >
                {move || match import_message.get() {
                    Some(ImportMessage::Imported(text) | ImportMessage::Refused(text)) => text,
                    None => "An imported file is added to what is here: nothing you have is removed.".to_owned(),
                }}
            </p>
        </section>
    }
    .into_any()
}
