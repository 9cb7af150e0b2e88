//! `cargo xtask gift [--out DIR]`: every quiz exported to Moodle's GIFT format, one file per quiz
//! plus one with all of them, for instructors to import into an LMS.

use std::path::{Path, PathBuf};

use crate::{Result, project_root};

/// Where the files go when `--out` is not given.
fn default_out_dir() -> PathBuf {
    project_root().join("target").join("gift")
}

pub fn run(args: &[String]) -> Result<()> {
    let out_dir = match args {
        [] => default_out_dir(),
        [flag, dir] if flag == "--out" && !dir.starts_with("--") => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask gift [--out DIR]".to_owned()),
    };
    let root = project_root();
    let course = course::build::load_course(&root.join("lessons"), &root.join("public"))
        .map_err(|errors| format!("nothing was exported: {}", course::build::report(&errors)))?;
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    for quiz in &course.quizzes {
        write(
            &out_dir.join(course::gift::quiz_file_name(quiz)),
            &course::gift::quiz_to_gift(quiz),
        )?;
    }
    write(
        &out_dir.join("testbed-lab.gift"),
        &course::gift::course_to_gift(&course),
    )?;
    let questions = || course.quizzes.iter().flat_map(|q| &q.questions);
    let n_predict = questions()
        .filter(|q| matches!(q.kind, course::QuestionKind::Predict(_)))
        .count();
    let n_questions = questions().count() - n_predict;
    println!(
        "wrote {} quizzes ({n_questions} questions; {n_predict} predict questions left out with a comment, since their answers come from the simulators in the page) as GIFT to {} (one file per quiz, and testbed-lab.gift with all)",
        course.quizzes.len(),
        out_dir.display()
    );
    Ok(())
}
