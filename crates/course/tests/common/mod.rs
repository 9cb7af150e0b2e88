//! Fixture helpers shared by the integration tests.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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
/// fresh folder of the test's own; returns that folder (holding `lessons/` and `public/`).
pub fn overlay(case: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("course-fixtures")
        .join(case);
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("clear old copy");
    }
    std::fs::create_dir_all(&root).expect("create copy");
    copy_tree(&fixtures().join("valid"), &root);
    copy_tree(&fixtures().join("errors").join(case), &root);
    root
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
