//! Build-time loading and validation of `lessons/` (feature `build`): the one place in this crate
//! that reads files.
//!
//! The app's `build.rs` (with `course = { workspace = true, features = ["build"] }` under
//! `[build-dependencies]`):
//!
//! ```no_run
//! use std::path::PathBuf;
//!
//! let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
//! println!("cargo::rerun-if-changed=lessons");
//! println!("cargo::rerun-if-changed=public/figures");
//! match course::build::load_course(&root.join("lessons"), &root.join("public")) {
//!     Ok(course) => {
//!         let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
//!         std::fs::write(out_dir.join("course.json"), course.to_json()).expect("OUT_DIR is writable");
//!     }
//!     Err(errors) => {
//!         eprintln!("{}", course::build::report(&errors));
//!         std::process::exit(1);
//!     }
//! }
//! ```

mod error;
mod figures;
mod lesson;
mod markdown;
mod quiz;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{Problem, ValidationError};
pub use figures::{DERIVED_NOTE, ILLUSTRATIVE_NOTE, UnsourcedFigure, unsourced_figures};
pub use markdown::CODE_LANGUAGES;

use crate::model::{COURSE_FORMAT_VERSION, Course};
use crate::search::SearchIndex;
use lesson::ParsedLesson;
use markdown::PendingLink;

/// Reads and validates every lesson (`lessons_dir/NN-slug.md`) and every quiz
/// (`lessons_dir/quizzes/*.toml`), checking figures against `public_dir`, and builds the search
/// index.
///
/// Files in `lessons_dir` whose names do not start with a digit (such as `FORMAT.md`) are not
/// lessons and are skipped.
///
/// # Errors
/// Every problem found, sorted by file and line; each displays as `lessons/03-x.md:12: what is
/// wrong`.
pub fn load_course(lessons_dir: &Path, public_dir: &Path) -> Result<Course, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let dir_label = lessons_dir.file_name().map_or_else(
        || "lessons".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let label = |name: &str| format!("{dir_label}/{name}");
    let file_error = |file: String, problem: Problem| ValidationError {
        file,
        line: 1,
        problem,
    };

    // Lessons.
    let mut parsed: Vec<ParsedLesson> = Vec::new();
    for name in file_names(lessons_dir, "md", &mut errors, &dir_label) {
        if !name.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let file = label(&name);
        let Some((prefix, slug)) = lesson::split_file_name(&name) else {
            errors.push(file_error(file, Problem::BadFileName { name }));
            continue;
        };
        let text = match std::fs::read_to_string(lessons_dir.join(&name)) {
            Ok(text) => text,
            Err(e) => {
                let detail = e.to_string();
                errors.push(file_error(file, Problem::Unreadable { detail }));
                continue;
            }
        };
        if let Some(lesson) =
            lesson::parse_lesson(&file, prefix, slug, &text, public_dir, &mut errors)
        {
            parsed.push(lesson);
        }
    }
    if parsed.is_empty() && errors.is_empty() {
        errors.push(file_error(dir_label.clone(), Problem::NoLessons));
    }
    parsed.sort_by_key(|p| (p.lesson.order, p.file.clone()));
    check_lessons(&parsed, &mut errors);

    // Quizzes: those included, then any file nobody includes.
    let mut links: Vec<PendingLink> = parsed.iter().flat_map(|p| p.links.clone()).collect();
    let mut included: BTreeMap<String, (String, String)> = BTreeMap::new(); // id → (slug, where)
    let mut quizzes = Vec::new();
    let mut question_ids: BTreeMap<String, String> = BTreeMap::new(); // id → file:line
    for lesson in &parsed {
        for include in &lesson.quiz_includes {
            let at = format!("{}:{}", lesson.file, include.line);
            let quiz_id = quiz_id_of(&include.path);
            if let Some((_, other)) = included.get(&quiz_id) {
                errors.push(ValidationError {
                    file: lesson.file.clone(),
                    line: include.line,
                    problem: Problem::QuizIncludedTwice {
                        quiz_id,
                        other: other.clone(),
                    },
                });
                continue;
            }
            included.insert(quiz_id.clone(), (lesson.lesson.slug.clone(), at));
            let path = lessons_dir.join(&include.path);
            let Ok(text) = std::fs::read_to_string(&path) else {
                errors.push(ValidationError {
                    file: lesson.file.clone(),
                    line: include.line,
                    problem: Problem::MissingQuizFile {
                        path: include.path.clone(),
                    },
                });
                continue;
            };
            let file = label(&include.path);
            let Some(parsed_quiz) =
                quiz::parse_quiz(&file, &quiz_id, &text, public_dir, &mut errors, &mut links)
            else {
                continue;
            };
            let mut quiz = parsed_quiz.quiz;
            for (question, line) in quiz.questions.iter().zip(&parsed_quiz.question_lines) {
                let here = format!("{file}:{line}");
                if let Some(other) = question_ids.get(&question.id) {
                    errors.push(ValidationError {
                        file: file.clone(),
                        line: *line,
                        problem: Problem::DuplicateQuestionId {
                            id: question.id.clone(),
                            other: other.clone(),
                        },
                    });
                } else {
                    question_ids.insert(question.id.clone(), here);
                }
            }
            quiz.lesson_slug = lesson.lesson.slug.clone();
            quizzes.push(quiz);
        }
    }
    let quizzes_dir = lessons_dir.join("quizzes");
    if quizzes_dir.is_dir() {
        let quiz_dir_label = format!("{dir_label}/quizzes");
        for name in file_names(&quizzes_dir, "toml", &mut errors, &quiz_dir_label) {
            let quiz_id = name.trim_end_matches(".toml").to_owned();
            if !included.contains_key(&quiz_id) {
                errors.push(file_error(
                    label(&format!("quizzes/{name}")),
                    Problem::QuizNotIncluded { file_name: name },
                ));
            }
        }
    }

    check_links(&parsed, &links, &mut errors);

    if !errors.is_empty() {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        errors.dedup();
        return Err(errors);
    }
    quizzes.sort_by(|a, b| a.id.cmp(&b.id));
    let lessons: Vec<_> = parsed.into_iter().map(|p| p.lesson).collect();
    Ok(Course {
        format_version: COURSE_FORMAT_VERSION,
        search: SearchIndex::build(
            &lessons
                .iter()
                .map(|l| crate::search::LessonText {
                    slug: &l.slug,
                    title: &l.title,
                    summary: &l.summary,
                    body: &l.body,
                })
                .collect::<Vec<_>>(),
        ),
        lessons,
        quizzes,
    })
}

/// All errors as one text: a count, then one `file:line: problem` per line.
pub fn report(errors: &[ValidationError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let noun = if errors.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    format!(
        "{} {noun} in the course sources:\n{}",
        errors.len(),
        lines.join("\n")
    )
}

/// The names of the files in `dir` ending in `.ext`, sorted.
fn file_names(
    dir: &Path,
    ext: &str,
    errors: &mut Vec<ValidationError>,
    label: &str,
) -> Vec<String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(ValidationError {
                file: label.to_owned(),
                line: 1,
                problem: Problem::Unreadable {
                    detail: e.to_string(),
                },
            });
            return Vec::new();
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| PathBuf::from(entry.file_name()))
        .filter(|path| path.extension().is_some_and(|e| e == ext))
        .filter_map(|path| path.to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// `quizzes/02-x.toml` → `02-x`.
fn quiz_id_of(path: &str) -> String {
    path.trim_start_matches("quizzes/")
        .trim_end_matches(".toml")
        .to_owned()
}

fn known_slugs(parsed: &[ParsedLesson]) -> String {
    parsed
        .iter()
        .map(|p| p.lesson.slug.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Orders, slugs and prerequisites across lessons.
fn check_lessons(parsed: &[ParsedLesson], errors: &mut Vec<ValidationError>) {
    for (idx, lesson) in parsed.iter().enumerate() {
        let earlier = &parsed[..idx];
        if let Some(other) = earlier.iter().find(|o| o.lesson.slug == lesson.lesson.slug) {
            errors.push(ValidationError {
                file: lesson.file.clone(),
                line: 1,
                problem: Problem::DuplicateSlug {
                    slug: lesson.lesson.slug.clone(),
                    other: other.file.clone(),
                },
            });
        }
        if lesson.lesson.order == lesson.prefix
            && let Some(other) = earlier
                .iter()
                .find(|o| o.lesson.order == lesson.lesson.order)
        {
            errors.push(ValidationError {
                file: lesson.file.clone(),
                line: lesson.order_line,
                problem: Problem::DuplicateOrder {
                    order: lesson.lesson.order,
                    other: other.file.clone(),
                },
            });
        }
        for (slug, line) in &lesson.prerequisites {
            let problem = match parsed.iter().find(|o| o.lesson.slug == *slug) {
                None => Problem::UnknownPrerequisite {
                    slug: slug.clone(),
                    known: known_slugs(parsed),
                },
                Some(other) if other.lesson.order >= lesson.lesson.order => {
                    Problem::LaterPrerequisite { slug: slug.clone() }
                }
                Some(_) => continue,
            };
            errors.push(ValidationError {
                file: lesson.file.clone(),
                line: *line,
                problem,
            });
        }
    }
}

/// Every `lesson:` and `#anchor` link points at something that exists.
fn check_links(parsed: &[ParsedLesson], links: &[PendingLink], errors: &mut Vec<ValidationError>) {
    for link in links {
        let Some(target) = parsed.iter().find(|p| p.lesson.slug == link.slug) else {
            errors.push(ValidationError {
                file: link.file.clone(),
                line: link.line,
                problem: Problem::UnknownLesson {
                    slug: link.slug.clone(),
                    known: known_slugs(parsed),
                },
            });
            continue;
        };
        if let Some(anchor) = &link.anchor {
            let exists = target.anchors.contains(anchor)
                || (anchor == "sources" && !target.lesson.sources().is_empty());
            if !exists {
                errors.push(ValidationError {
                    file: link.file.clone(),
                    line: link.line,
                    problem: Problem::UnknownAnchor {
                        slug: link.slug.clone(),
                        anchor: anchor.clone(),
                        known: target.anchors.join(", "),
                    },
                });
            }
        }
    }
}

/// Parses one lesson's text alone, as [`load_course`] parses each file, and returns the
/// problems found (checks across lessons, such as links to other lessons, are not made).
/// For the fuzzer: any text gets problems or none, never a panic.
pub fn check_lesson_text(slug: &str, text: &str, public_dir: &Path) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let file = format!("lessons/01-{slug}.md");
    let _ = lesson::parse_lesson(&file, 1, slug, text, public_dir, &mut errors);
    errors
}

/// Parses one quiz file's text alone, as [`load_course`] does, and returns the problems found.
/// For the fuzzer, like [`check_lesson_text`].
pub fn check_quiz_text(quiz_id: &str, text: &str, public_dir: &Path) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let mut links = Vec::new();
    let file = format!("lessons/quizzes/{quiz_id}.toml");
    let _ = quiz::parse_quiz(&file, quiz_id, text, public_dir, &mut errors, &mut links);
    errors
}
