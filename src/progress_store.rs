//! The learner's progress in the page: a [`Progress`] in a signal, read from and written to
//! `localStorage` under [`PROGRESS_STORAGE_KEY`].
//!
//! [`Progress::load`] never fails: stored data that is corrupt, from another schema version or
//! not ours gives fresh progress and a notice, which [`ProgressNotice`] shows at the top of every
//! page until dismissed. Before the fresh progress is written over it, the unreadable text is
//! kept under [`UNREADABLE_BACKUP_KEY`], so nothing the learner had is destroyed.

use course::{Course, PROGRESS_STORAGE_KEY, Progress};
use leptos::prelude::*;

/// Where unreadable stored progress is moved before it is replaced.
pub const UNREADABLE_BACKUP_KEY: &str = "testbed-lab.progress.unreadable";

/// Progress in context.
#[derive(Clone, Copy, Debug)]
pub struct ProgressContext {
    /// What the learner has done.
    pub progress: RwSignal<Progress>,
    /// A sentence about the stored progress (reset, migrated, not saved), shown until dismissed.
    pub notice: RwSignal<Option<String>>,
    /// `true` when the stored data is from a newer site version: never write it back.
    read_only: bool,
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

impl ProgressContext {
    /// Reads the stored progress and makes a context for it (not yet provided).
    pub fn load() -> ProgressContext {
        let Some(storage) = local_storage() else {
            return ProgressContext {
                progress: RwSignal::new(Progress::default()),
                notice: RwSignal::new(Some(
                    "This browser does not let the site store data, so your progress lasts only \
                     until you close the page. Export it from the Progress page to keep it."
                        .to_owned(),
                )),
                read_only: true,
            };
        };
        let stored = storage
            .get_item(PROGRESS_STORAGE_KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        let outcome = Progress::load(&stored);
        let context = ProgressContext {
            progress: RwSignal::new(outcome.progress),
            notice: RwSignal::new(outcome.notice.clone()),
            read_only: outcome.read_only,
        };
        if outcome.notice.is_some() && !outcome.read_only {
            // Keep what could not be read, then store the fresh progress so the reset is
            // reported once, not on every visit.
            let _ = storage.set_item(UNREADABLE_BACKUP_KEY, &stored);
            context.save();
        }
        context
    }

    /// Changes the progress with `change` (which returns whether it changed anything) and saves
    /// it when it did.
    pub fn update(self, change: impl FnOnce(&mut Progress) -> bool) {
        let mut changed = false;
        self.progress.update(|progress| changed = change(progress));
        if changed {
            self.save();
        }
    }

    /// Marks a lesson read.
    pub fn mark_read(self, slug: &str) {
        let already = self.progress.with_untracked(|p| p.is_read(slug));
        if !already {
            self.update(|progress| progress.mark_read(slug));
        }
    }

    /// Reads an exported progress file and adds it to the current progress. On error nothing
    /// changes and the sentence says what is wrong with the file; on success, what was added.
    pub fn import(self, text: &str, course: &Course) -> Result<String, String> {
        let imported = Progress::import(text, course).map_err(|e| e.to_string())?;
        let n_lessons = imported.lessons_read.len();
        let n_quizzes = imported.quizzes.len();
        self.update(|progress| {
            progress.merge(&imported);
            true
        });
        Ok(format!(
            "Imported: {n_lessons} {} read and {n_quizzes} {} with scores, added to your progress.",
            if n_lessons == 1 { "lesson" } else { "lessons" },
            if n_quizzes == 1 { "quiz" } else { "quizzes" },
        ))
    }

    fn save(self) {
        if self.read_only {
            return;
        }
        let json = self.progress.with_untracked(Progress::to_json);
        let saved = local_storage()
            .is_some_and(|storage| storage.set_item(PROGRESS_STORAGE_KEY, &json).is_ok());
        if !saved {
            self.notice.set(Some(
                "Your progress could not be saved in this browser (its storage is full or \
                 disabled). Export it from the Progress page to keep it."
                    .to_owned(),
            ));
        }
    }
}

/// Loads the stored progress and puts it in context. Another tab of the site saving progress
/// (a `storage` event) replaces the progress here with what it saved, so the next save here
/// starts from it and neither tab's work is lost.
pub fn provide_progress() -> ProgressContext {
    let context = ProgressContext::load();
    let handle = window_event_listener(leptos::ev::storage, move |event| {
        if event.key().as_deref() != Some(PROGRESS_STORAGE_KEY) {
            return;
        }
        let Some(stored) = event.new_value() else {
            return;
        };
        let outcome = Progress::load(&stored);
        if outcome.notice.is_none() {
            context.progress.set(outcome.progress);
        }
    });
    on_cleanup(move || handle.remove());
    provide_context(context);
    context
}

/// The progress from context; a component mounted on its own (tests) loads its own.
pub fn use_progress() -> ProgressContext {
    use_context::<ProgressContext>().unwrap_or_else(ProgressContext::load)
}

/// The notice about stored progress, when there is one, with a button to dismiss it.
#[component]
pub fn ProgressNotice() -> impl IntoView {
    let context = use_progress();
    move || {
        context.notice.get().map(|text| {
            view! {
                <div class="progress-notice" role="status" data-testid="progress-notice">
                    <p class="progress-notice__text">{text}</p>
                    <button
                        type="button"
                        class="progress-notice__dismiss"
                        data-testid="progress-notice-dismiss"
                        on:click=move |_| context.notice.set(None)
                    >
                        "Dismiss"
                    </button>
                </div>
            }
        })
    }
}
