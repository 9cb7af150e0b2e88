//! The course model: lessons, quizzes, validation, grading, progress, search and GIFT export.
//!
//! # Pipeline
//!
//! Lessons (`lessons/NN-slug.md`) and quizzes (`lessons/quizzes/*.toml`), in the format of
//! `lessons/FORMAT.md`, are parsed and validated at build time by [`build::load_course`]
//! (feature `build`, which brings in pulldown-cmark and toml). The result, a [`Course`] of typed
//! blocks and questions with its search index, is written by the app's `build.rs` as JSON
//! ([`Course::to_json`]) into `OUT_DIR`, embedded with `include_str!`, and read back with
//! [`Course::from_json`]. The app depends on this crate without `build`, so no parser ships in
//! the wasm.
//!
//! JSON (serde_json) rather than postcard: the crate needs serde_json anyway for progress
//! files, so the embedded form costs no extra code in the wasm; the enums are internally tagged,
//! which postcard cannot read; and the artefact can be inspected. Measured on the eight lessons:
//! about 450 KB of JSON (106 KB gzipped, 210 KB of it the search index), decoded natively in
//! about 3 ms.
//!
//! # What the app uses
//!
//! - Rendering: [`Lesson::body`] is a list of [`Block`]s with [`Inline`] content; links are
//!   [`LinkTarget`]s, citations carry their number, widgets are [`SimCard`] / [`LabCard`] with
//!   a `route()`, quizzes are [`Block::Quiz`] ids into [`Course::quiz`].
//! - Quizzes: [`Question::presentation_order`] (seeded by [`QuizAttempt::shuffle_seed`]), then
//!   [`QuizAttempt::answer`] with a [`Response`] gives a [`Graded`] with [`Feedback`];
//!   [`QuizAttempt::score`] once [`QuizAttempt::is_complete`].
//! - Progress: [`Progress::load`] (never fails, may carry a notice), [`Progress::to_json`] to
//!   store under [`PROGRESS_STORAGE_KEY`], [`Progress::to_json_pretty`] to export,
//!   [`Progress::import`] to validate a file, [`Progress::map`] for the course-wide view.
//! - Search: `course.search.search(query, limit)` ([`SearchIndex::search`]).
//! - GIFT: [`gift::quiz_to_gift`] for a download on the quiz page.
//!
//! # Invariants
//!
//! - Everything outside [`build`] is pure: no I/O, no clock, no global randomness (shuffles are
//!   seeded), no panics on user input (typed text, stored or imported progress).
//! - A [`Course`] that [`build::load_course`] returns has no dangling references: every lesson
//!   link, anchor, citation, figure, quiz id and prerequisite exists, and question ids are
//!   unique across the course.
//! - No HTML strings: everything renders from typed data.

// The crate docs link to the `build` module, which exists only with the `build` feature.
#![cfg_attr(not(feature = "build"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "build")]
pub mod build;
pub mod content;
pub mod gift;
pub mod grade;
pub mod model;
pub mod predict;
pub mod progress;
pub mod quiz;
pub mod search;

pub use grade::{
    AnsweredQuestion, ChoiceMark, Feedback, Graded, PASS_PERCENT, QuizAttempt, Response,
    ResponseError, Score, grade, grade_prediction,
};
pub use model::{
    Align, Block, COURSE_FORMAT_VERSION, CompareCard, Course, CourseDataError, Inline, LabCard,
    LabName, Lesson, LinkTarget, SimArch, SimCard, Source, TocEntry, plain_text, slugify,
};
pub use predict::{Measure, Predict, PredictValue, SetupRef, SetupTarget};
pub use progress::{
    ImportError, LessonStatus, LoadOutcome, PROGRESS_EXPORT_FILE_NAME, PROGRESS_SCHEMA,
    PROGRESS_STORAGE_KEY, PROGRESS_VERSION, Progress, ProgressMap, QuizProgress, QuizStatus,
};
pub use quiz::{
    Choice, ChoiceLayout, NumericMistake, Question, QuestionKind, Quiz, RichText, shuffle_seed,
};
pub use search::{SearchHit, SearchIndex};
