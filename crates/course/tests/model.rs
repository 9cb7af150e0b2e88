//! Anchors, and reading embedded course data.

mod common;

use course::{COURSE_FORMAT_VERSION, Course, CourseDataError, slugify};
use proptest::prelude::*;

#[test]
fn anchors_follow_the_documented_rule() {
    for (heading, anchor) in [
        ("A section heading", "a-section-heading"),
        ("Colors: virtual channels", "colors-virtual-channels"),
        ("The `sbatch` step (Slurm)", "the-sbatch-step-slurm"),
        ("  --Trim me--  ", "trim-me"),
        ("Groq’s TSP", "groq-s-tsp"),
        ("WSE-2 vs. GPU", "wse-2-vs-gpu"),
        ("Schön", "sch-n"),
        ("???", ""),
    ] {
        assert_eq!(slugify(heading), anchor, "for {heading:?}");
    }
}

proptest! {
    #[test]
    fn anchors_are_url_safe(heading in ".{0,40}") {
        let anchor = slugify(&heading);
        prop_assert!(anchor.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        prop_assert!(!anchor.starts_with('-') && !anchor.ends_with('-'));
        prop_assert!(!anchor.contains("--"));
        prop_assert_eq!(slugify(&anchor), anchor.clone());
    }
}

#[test]
fn embedded_data_of_another_format_version_is_refused() {
    let mut course = common::valid_course();
    assert_eq!(course.format_version, COURSE_FORMAT_VERSION);
    course.format_version = COURSE_FORMAT_VERSION + 1;
    let error = Course::from_json(&course.to_json()).expect_err("wrong version");
    assert!(matches!(
        error,
        CourseDataError::WrongVersion { found, expected }
            if found == COURSE_FORMAT_VERSION + 1 && expected == COURSE_FORMAT_VERSION
    ));
    assert!(matches!(
        Course::from_json("{\"lessons\": 3}"),
        Err(CourseDataError::Malformed(_))
    ));
}
