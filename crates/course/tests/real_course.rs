//! The real `lessons/` and `public/` of the repository validate, and what they build holds
//! together.

use std::path::{Path, PathBuf};

mod common;

use course::build::load_course;
use course::{Block, Course};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn real_course() -> Course {
    let root = repo_root();
    match load_course(&root.join("lessons"), &root.join("public")) {
        Ok(course) => course,
        Err(errors) => {
            let report: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("the course does not validate:\n{}", report.join("\n"));
        }
    }
}

#[test]
fn every_lesson_and_quiz_in_the_repository_validates() {
    let course = real_course();
    assert!(!course.lessons.is_empty());
    for lesson in &course.lessons {
        assert!(!lesson.body.is_empty(), "{} has an empty body", lesson.slug);
        for quiz_id in &lesson.quiz_ids {
            assert!(course.quiz(quiz_id).is_some(), "{quiz_id} missing");
        }
    }
}

#[test]
fn the_embedded_form_round_trips() {
    let course = real_course();
    let json = course.to_json();
    let back = Course::from_json(&json).expect("reads back");
    assert_eq!(back, course);
}

#[test]
fn every_quiz_exports_to_gift_with_all_its_questions() {
    let course = real_course();
    let read_back = common::read_gift(&course::gift::course_to_gift(&course));
    let n_questions: usize = course.quizzes.iter().map(|q| q.questions.len()).sum();
    let n_predict = course
        .quizzes
        .iter()
        .flat_map(|q| &q.questions)
        .filter(|q| matches!(q.kind, course::QuestionKind::Predict(_)))
        .count();
    // Predict questions are left out of GIFT, each with a comment naming it.
    assert!(n_predict >= 6, "{n_predict}");
    assert_eq!(read_back.len(), n_questions - n_predict);
    assert_eq!(read_back, common::expected_gift(&course));
}

#[test]
fn search_finds_the_lesson_about_a_topic() {
    let course = real_course();
    let hits = course.search.search("colors", 5);
    assert_eq!(
        hits.first().map(|hit| hit.lesson_slug.as_str()),
        Some("cerebras-wse")
    );
}

/// The embedded course is part of the wasm download (budget: 1.5 MB gzip for the whole app).
/// Measured with 8 lessons: about 450 KB of JSON (106 KB gzip), 210 KB of it the search index.
#[test]
fn the_embedded_course_stays_small() {
    let course = real_course();
    let n_bytes = course.to_json().len();
    assert!(n_bytes < 1_500_000, "{n_bytes} bytes of course JSON");
}

#[test]
fn every_widget_card_links_to_a_route() {
    let course = real_course();
    for (lesson, block) in course.widget_cards() {
        let route = match block {
            Block::SimCard(card) => card.route(),
            Block::LabCard(card) => card.route(),
            Block::CompareCard(card) => card.route(),
            Block::CompileCard(card) => card.compile_route(),
            _ => unreachable!("widget_cards returns cards only"),
        };
        assert!(route.starts_with('/'), "{}: {route}", lesson.slug);
    }
}

#[test]
fn lesson_07_links_to_the_compile_page() {
    let course = real_course();
    let routes: Vec<String> = course
        .widget_cards()
        .into_iter()
        .filter_map(|(lesson, block)| match block {
            Block::CompileCard(card) if lesson.slug == "refactoring" => Some(card.compile_route()),
            _ => None,
        })
        .collect();
    assert!(
        routes.contains(&"/compile?machine=groq&preset=mlp&batch=4".to_owned()),
        "{routes:?}"
    );
}
