//! Fixture helpers shared by the integration tests.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use course::Course;
use course::build::load_course;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("fixture folder") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The valid fixture course with the files of `fixtures/errors/<case>/` laid over it, in a
/// fresh folder of the call's own (tests run in parallel and may use the same case); returns that
/// folder (holding `lessons/` and `public/`).
pub fn overlay(case: &str) -> Overlay {
    static N_CALLS: AtomicUsize = AtomicUsize::new(0);
    let call_idx = N_CALLS.fetch_add(1, Ordering::Relaxed);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("course-fixtures")
        .join(format!("{case}-{}-{call_idx}", std::process::id()));
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("clear old copy");
    }
    std::fs::create_dir_all(&root).expect("create copy");
    copy_tree(&fixtures().join("valid"), &root);
    copy_tree(&fixtures().join("errors").join(case), &root);
    Overlay { root }
}

/// A fixture copy, removed when dropped.
#[derive(Debug)]
pub struct Overlay {
    pub root: PathBuf,
}

impl Drop for Overlay {
    fn drop(&mut self) {
        // Best effort: a leftover copy in the target folder harms nothing.
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Loads a course laid out under `root` (`root/lessons`, `root/public`).
pub fn load(root: &Path) -> Result<Course, Vec<String>> {
    load_course(&root.join("lessons"), &root.join("public"))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// The valid fixture course.
pub fn valid_course() -> Course {
    let root = fixtures().join("valid");
    match load(&root) {
        Ok(course) => course,
        Err(errors) => panic!(
            "the valid fixture does not validate:\n{}",
            errors.join("\n")
        ),
    }
}

/// One question read back from GIFT: its title and how many answers its `{…}` holds.
#[derive(Debug, PartialEq)]
pub struct GiftQuestion {
    pub title: String,
    pub n_answers: usize,
}

/// Reads questions back the way Moodle's importer splits them: blank lines separate questions,
/// `//` lines are comments, `$CATEGORY:` lines are not questions, `\` escapes a character.
pub fn read_gift(text: &str) -> Vec<GiftQuestion> {
    let mut questions = Vec::new();
    for chunk in text.split("\n\n") {
        let lines: Vec<&str> = chunk
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .filter(|line| !line.starts_with("$CATEGORY:"))
            .collect();
        let question = lines.join("\n");
        let question = question.trim();
        if question.is_empty() {
            continue;
        }
        // Unescaped structure characters only.
        let mut structure = String::new();
        let mut chars = question.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
                structure.push('_');
            } else {
                structure.push(c);
            }
        }
        let title = structure
            .strip_prefix("::")
            .and_then(|rest| rest.split_once("::"))
            .map(|(title, _)| question[2..2 + title.len()].replace('\\', ""))
            .expect("a title");
        let open = structure.find('{').expect("an answer block");
        let close = structure.rfind('}').expect("a closed answer block");
        let block = &structure[open + 1..close];
        let block = block.split("####").next().unwrap_or("");
        let n_answers = if let Some(numeric) = block.trim().strip_prefix('#') {
            usize::from(!numeric.is_empty())
        } else {
            block.matches(['=', '~']).count()
        };
        questions.push(GiftQuestion { title, n_answers });
    }
    questions
}

/// The questions of a course as [`read_gift`] should read them back.
pub fn expected_gift(course: &Course) -> Vec<GiftQuestion> {
    course
        .quizzes
        .iter()
        .flat_map(|quiz| &quiz.questions)
        // A predict question is left out of GIFT (a comment stands in its place).
        .filter(|question| !matches!(question.kind, course::QuestionKind::Predict(_)))
        .map(|question| GiftQuestion {
            title: question.id.clone(),
            n_answers: match &question.kind {
                course::QuestionKind::MultipleChoice {
                    answers,
                    distractors,
                    ..
                } => answers.len() + distractors.len(),
                course::QuestionKind::ShortAnswer { alternatives, .. } => 1 + alternatives.len(),
                course::QuestionKind::Numeric { .. } => 1,
                course::QuestionKind::Order { items } => items.len(),
                course::QuestionKind::Predict(_) => 0,
            },
        })
        .collect()
}
