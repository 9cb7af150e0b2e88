//! The course model: lessons, quizzes, validation, grading, progress, search and GIFT export.
//!
//! Lessons (`lessons/NN-slug.md`) and quizzes (`lessons/quizzes/*.toml`) are parsed and validated
//! at build time by [`build::load_course`] (feature `build`, which brings in pulldown-cmark and
//! toml). The result, a [`Course`] of typed blocks and questions, is serialized to JSON
//! ([`Course::to_json`]) into the app's `OUT_DIR` and embedded; the app reads it with
//! [`Course::from_json`] and depends on this crate without `build`, so no parser ships in the
//! wasm.
//!
//! Everything outside [`build`] is pure: no I/O, no clock, and shuffles are seeded.

#[cfg(feature = "build")]
pub mod build;
pub mod gift;
pub mod grade;
pub mod model;
pub mod progress;
pub mod quiz;
pub mod search;

pub use grade::{
    AnsweredQuestion, ChoiceMark, Feedback, Graded, PASS_PERCENT, QuizAttempt, Response,
    ResponseError, Score, grade,
};
pub use model::{
    Align, Block, COURSE_FORMAT_VERSION, Course, CourseDataError, Inline, LabCard, LabName, Lesson,
    LinkTarget, SimArch, SimCard, Source, TocEntry, plain_text, slugify,
};
pub use progress::{
    ImportError, LessonStatus, LoadOutcome, PROGRESS_SCHEMA, PROGRESS_STORAGE_KEY,
    PROGRESS_VERSION, Progress, ProgressMap, QuizProgress, QuizStatus,
};
pub use quiz::{Choice, ChoiceLayout, Question, QuestionKind, Quiz, RichText, shuffle_seed};
pub use search::{SearchHit, SearchIndex};
