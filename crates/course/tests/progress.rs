//! The progress schema: storing, loading (never failing), importing (validating), and the
//! course-wide map.

mod common;

use course::{ImportError, PROGRESS_VERSION, Progress, Score};
use proptest::prelude::*;

fn score(n_correct: u32, n_questions: u32) -> Score {
    Score {
        n_correct,
        n_questions,
    }
}

fn sample() -> Progress {
    let mut progress = Progress::default();
    progress.mark_read("intro");
    progress.record_quiz("01-intro", score(2, 3));
    progress.record_quiz("01-intro", score(3, 3));
    progress.record_quiz("01-intro", score(1, 3));
    progress
}

#[test]
fn quiz_records_keep_the_best_and_the_last_attempt() {
    let progress = sample();
    let record = progress.quiz("01-intro").expect("recorded");
    assert_eq!(record.n_attempts, 3);
    assert_eq!(record.best, score(3, 3));
    assert_eq!(record.last, score(1, 3));
    assert!(record.passed());
}

#[test]
fn stored_progress_loads_back_without_a_notice() {
    let progress = sample();
    let json = progress.to_json();
    assert!(
        json.starts_with(r#"{"schema":"testbed-lab/progress","version":1,"#),
        "{json}"
    );
    let outcome = Progress::load(&json);
    assert_eq!(outcome.progress, progress);
    assert_eq!(outcome.notice, None);
    assert_eq!(
        Progress::load(&progress.to_json_pretty()).progress,
        progress
    );
}

#[test]
fn nothing_stored_is_fresh_progress_without_a_notice() {
    let outcome = Progress::load("");
    assert_eq!(outcome.progress, Progress::default());
    assert_eq!(outcome.notice, None);
}

/// Loads `stored`, asserts progress was reset, and returns the notice.
fn reset_notice(stored: &str) -> String {
    let outcome = Progress::load(stored);
    assert_eq!(outcome.progress, Progress::default(), "for {stored}");
    let newer = outcome
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("newer version"));
    assert_eq!(
        outcome.read_only, newer,
        "only newer data is kept read-only"
    );
    outcome.notice.expect("a reset comes with a notice")
}

#[test]
fn corrupt_data_is_reset_with_a_notice() {
    let notice = reset_notice(r#"{"schema":"testbed-lab/progress","vers"#);
    assert!(notice.contains("not valid JSON"), "{notice}");
}

#[test]
fn data_from_elsewhere_is_reset_with_a_notice() {
    for stored in [
        r#"{"theme":"dark"}"#,
        "[1,2,3]",
        r#""hello""#,
        r#"{"schema":"other"}"#,
    ] {
        let notice = reset_notice(stored);
        assert!(notice.contains("not Testbed Lab progress"), "{notice}");
    }
}

#[test]
fn data_from_an_older_schema_is_reset_with_a_notice() {
    let notice = reset_notice(r#"{"schema":"testbed-lab/progress","version":0,"read":["intro"]}"#);
    assert!(notice.contains("old version"), "{notice}");
}

#[test]
fn data_from_a_newer_schema_is_reset_with_a_notice() {
    let stored = format!(
        r#"{{"schema":"testbed-lab/progress","version":{},"lessons_read":[]}}"#,
        PROGRESS_VERSION + 1
    );
    let notice = reset_notice(&stored);
    assert!(notice.contains("newer version"), "{notice}");
    assert!(Progress::load(&stored).read_only);
}

#[test]
fn damaged_current_data_is_reset_with_a_notice() {
    for stored in [
        r#"{"schema":"testbed-lab/progress","version":1,"lessons_read":5,"quizzes":{}}"#,
        r#"{"schema":"testbed-lab/progress","lessons_read":[],"quizzes":{}}"#,
        r#"{"schema":"testbed-lab/progress","version":1,"lessons_read":[],"quizzes":{"q":{"n_attempts":1,"best":{"n_correct":5,"n_questions":3},"last":{"n_correct":0,"n_questions":3}}}}"#,
    ] {
        let notice = reset_notice(stored);
        assert!(notice.contains("damaged"), "{notice}");
    }
}

#[test]
fn an_exported_file_imports_into_the_same_course() {
    let course = common::valid_course();
    let progress = sample();
    let imported = Progress::import(&progress.to_json_pretty(), &course).expect("imports");
    assert_eq!(imported, progress);
}

/// Imports `text` into the valid fixture course and returns the error's message.
fn import_error(text: &str) -> (ImportError, String) {
    let course = common::valid_course();
    let error = Progress::import(text, &course).expect_err("refused");
    let message = error.to_string();
    (error, message)
}

#[test]
fn importing_a_bad_file_gives_a_clear_message() {
    let (error, message) = import_error("{\n  oops");
    assert_eq!(error, ImportError::NotJson { line: 2, column: 3 });
    assert_eq!(
        message,
        "This file is not a progress file: it is not valid JSON (line 2, column 3)."
    );
    let (error, _) = import_error(r#"{"name":"my notes"}"#);
    assert_eq!(error, ImportError::NotProgress);
    let (error, message) = import_error(r#"{"schema":"testbed-lab/progress","version":7}"#);
    assert_eq!(error, ImportError::NewerVersion { found: 7 });
    assert!(
        message.contains("newer than this site reads (1)"),
        "{message}"
    );
}

#[test]
fn importing_progress_of_another_course_is_refused() {
    let mut other = Progress::default();
    other.mark_read("some-other-lesson");
    let (error, message) = import_error(&other.to_json());
    assert_eq!(
        error,
        ImportError::UnknownLesson {
            slug: "some-other-lesson".to_owned()
        }
    );
    assert!(message.starts_with("This progress file is for a different course"));

    let mut other = Progress::default();
    other.record_quiz("99-elsewhere", score(1, 1));
    let (error, _) = import_error(&other.to_json());
    assert_eq!(
        error,
        ImportError::UnknownQuiz {
            quiz_id: "99-elsewhere".to_owned()
        }
    );

    let mut wrong_size = Progress::default();
    wrong_size.record_quiz("01-intro", score(1, 9));
    let (error, _) = import_error(&wrong_size.to_json());
    assert_eq!(
        error,
        ImportError::ImpossibleScore {
            quiz_id: "01-intro".to_owned()
        }
    );
}

#[test]
fn the_progress_map_counts_lessons_read_and_quizzes_passed() {
    let course = common::valid_course();
    let mut progress = sample();
    progress.record_quiz("02-second", score(1, 2));
    let map = progress.map(&course);
    assert_eq!((map.n_lessons_read, map.n_lessons), (1, 2));
    assert_eq!((map.n_quizzes_passed, map.n_quizzes), (1, 2));
    assert!(map.lessons[0].read);
    assert!(map.lessons[0].quizzes[0].passed());
    assert!(!map.lessons[1].quizzes[0].passed());
    assert_eq!(
        (
            map.lessons[0].quizzes[0].n_questions_right,
            map.lessons[0].quizzes[0].n_questions
        ),
        (0, 3)
    );
    progress.record_question_right("intro-word");
    let map = progress.map(&course);
    assert_eq!(map.lessons[0].quizzes[0].n_questions_right, 1);
}

#[test]
fn merging_unites_reads_and_keeps_best_scores() {
    let mut ours = sample();
    let mut theirs = Progress::default();
    theirs.mark_read("second");
    theirs.record_quiz("01-intro", score(2, 3));
    theirs.record_quiz("02-second", score(2, 2));
    ours.merge(&theirs);
    assert!(ours.is_read("intro") && ours.is_read("second"));
    let record = ours.quiz("01-intro").expect("kept");
    assert_eq!((record.n_attempts, record.best), (4, score(3, 3)));
    assert!(ours.quiz("02-second").expect("added").passed());
}

#[test]
fn questions_answered_right_are_kept_imported_merged_and_checked() {
    let course = common::valid_course();
    let mut progress = sample();
    assert!(progress.record_question_right("intro-colors"));
    assert!(
        !progress.record_question_right("intro-colors"),
        "once is enough"
    );
    assert!(progress.question_right("intro-colors"));
    assert!(!progress.question_right("intro-multi"));
    let json = progress.to_json();
    assert!(
        json.contains(r#""questions_right":["intro-colors"]"#),
        "{json}"
    );
    assert_eq!(Progress::load(&json).progress, progress);
    assert_eq!(
        Progress::import(&progress.to_json_pretty(), &course).expect("imports"),
        progress
    );

    // Stored before the field existed: reads as no question answered, with no notice.
    let older = sample().to_json();
    assert!(!older.contains("questions_right"), "{older}");
    let outcome = Progress::load(&older);
    assert!(outcome.progress.questions_right.is_empty());
    assert_eq!(outcome.notice, None);

    let mut theirs = Progress::default();
    theirs.record_question_right("intro-word");
    progress.merge(&theirs);
    assert!(progress.question_right("intro-colors") && progress.question_right("intro-word"));

    let mut other = Progress::default();
    other.record_question_right("nowhere-question");
    let (error, message) = import_error(&other.to_json());
    assert_eq!(
        error,
        ImportError::UnknownQuestion {
            question_id: "nowhere-question".to_owned()
        }
    );
    assert!(message.starts_with("This progress file is for a different course"));
}

proptest! {
    #[test]
    fn loading_any_text_never_panics_and_explains_resets(stored in ".{0,80}") {
        let outcome = Progress::load(&stored);
        if outcome.progress == Progress::default() && !stored.trim().is_empty() {
            prop_assert!(outcome.notice.is_some());
        }
    }

    #[test]
    fn any_progress_round_trips(
        read in proptest::collection::btree_set("[a-z-]{1,12}", 0..5),
        scores in proptest::collection::vec(("[0-9a-z-]{1,12}", 0_u32..20, 1_u32..20), 0..5),
    ) {
        let mut progress = Progress::default();
        for slug in &read {
            progress.mark_read(slug);
        }
        for (quiz_id, n_correct, n_questions) in &scores {
            progress.record_quiz(quiz_id, score((*n_correct).min(*n_questions), *n_questions));
        }
        let outcome = Progress::load(&progress.to_json());
        prop_assert_eq!(outcome.notice, None);
        prop_assert_eq!(outcome.progress, progress);
    }
}

#[test]
fn a_committed_prediction_is_kept_merged_and_checked_on_import() {
    let course = common::valid_course();
    let mut progress = Progress::default();
    progress.commit_prediction("second-predict", course::Response::Text("1.5".into()));
    let json = progress.to_json();
    assert!(json.contains("\"predictions\""), "{json}");
    let loaded = Progress::load(&json).progress;
    assert_eq!(
        loaded.prediction("second-predict"),
        Some(&course::Response::Text("1.5".into()))
    );
    // Data without the field (older version-1 data) reads as no predictions.
    let older = Progress::default().to_json();
    assert!(!older.contains("predictions"));
    assert!(Progress::load(&older).progress.predictions.is_empty());
    // Import refuses a prediction for a question the course does not have.
    let mut foreign = Progress::default();
    foreign.commit_prediction("no-such-question", course::Response::Choices(vec![0]));
    assert!(matches!(
        Progress::import(&foreign.to_json_pretty(), &course),
        Err(course::ImportError::UnknownQuestion { .. })
    ));
    assert!(Progress::import(&progress.to_json_pretty(), &course).is_ok());
    // Merging keeps the prediction this device committed.
    let mut here = Progress::default();
    here.commit_prediction("second-predict", course::Response::Text("2".into()));
    here.merge(&progress);
    assert_eq!(
        here.prediction("second-predict"),
        Some(&course::Response::Text("2".into()))
    );
    assert!(here.forget_prediction("second-predict"));
    assert!(!here.forget_prediction("second-predict"));
}

#[test]
fn an_unreadable_stored_prediction_is_dropped_and_the_rest_kept() {
    let stored = r#"{"schema":"testbed-lab/progress","version":1,"lessons_read":["intro"],"quizzes":{},
        "predictions":{"second-predict":{"kind":"telepathy","value":3},"other":{"kind":"text","value":"2"}}}"#;
    let outcome = Progress::load(stored);
    assert!(outcome.progress.is_read("intro"));
    assert_eq!(outcome.progress.prediction("second-predict"), None);
    assert_eq!(
        outcome.progress.prediction("other"),
        Some(&course::Response::Text("2".into()))
    );
}
