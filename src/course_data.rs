//! The course, embedded at build time and decoded once.
//!
//! `build.rs` validates `lessons/` with `course::build::load_course` and writes the result as
//! JSON into `OUT_DIR`; this module embeds that text with `include_str!` and decodes it on first
//! use with [`Course::from_json`]. Why JSON: see ARCHITECTURE.md ("The course is embedded as
//! JSON").

use std::sync::OnceLock;

use course::Course;
use leptos::prelude::*;

/// The course as `build.rs` wrote it.
pub const COURSE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/course.json"));

static COURSE: OnceLock<Result<Course, String>> = OnceLock::new();

/// The embedded course, decoded on the first call. An error (a stale or damaged build artefact,
/// which the build's own checks make all but impossible) is a sentence to show, never a panic.
pub fn course() -> Result<&'static Course, &'static str> {
    COURSE
        .get_or_init(|| Course::from_json(COURSE_JSON).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

/// The course in context.
#[derive(Clone, Copy, Debug)]
pub struct CourseContext(pub Result<&'static Course, &'static str>);

/// Decodes the course (once) and puts it in context.
pub fn provide_course() -> CourseContext {
    let context = CourseContext(course());
    provide_context(context);
    context
}

/// The course from context, or decoded directly when a component is mounted on its own (tests).
pub fn use_course() -> Result<&'static Course, &'static str> {
    use_context::<CourseContext>().map_or_else(course, |context| context.0)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn the_embedded_course_decodes_with_eight_lessons_and_their_quizzes() {
        let course = course().expect("the embedded course decodes");
        assert_eq!(course.lessons.len(), 8);
        for lesson in &course.lessons {
            assert!(!lesson.quiz_ids.is_empty(), "{} has no quiz", lesson.slug);
            for quiz_id in &lesson.quiz_ids {
                let quiz = course.quiz(quiz_id).expect("the quiz exists");
                assert!(quiz.questions.len() >= 6, "{quiz_id} has < 6 questions");
            }
        }
    }

    #[test]
    fn no_heading_anchor_collides_with_the_page_shell_ids() {
        let course = course().expect("the embedded course decodes");
        for lesson in &course.lessons {
            for entry in lesson.toc() {
                assert!(
                    !["main", "site-search", "site-search-results"].contains(&entry.anchor),
                    "{}: the anchor {} is an id the page shell uses",
                    lesson.slug,
                    entry.anchor
                );
            }
        }
    }
}
