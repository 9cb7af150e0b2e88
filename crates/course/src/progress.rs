//! Course-wide progress (lessons read, quiz scores) and its versioned storage format.
//!
//! The app keeps one [`Progress`] in `localStorage` under [`PROGRESS_STORAGE_KEY`] as the JSON
//! from [`Progress::to_json`], reads it back with [`Progress::load`], which never fails, and
//! exports/imports the same JSON as a file ([`Progress::import`] validates it first).
//!
//! # Schema
//! ```json
//! {"schema":"testbed-lab/progress","version":1,
//!  "lessons_read":["cerebras-wse"],
//!  "quizzes":{"02-cerebras-wse":{"n_attempts":2,"best":{"n_correct":4,"n_questions":5},
//!                                 "last":{"n_correct":4,"n_questions":5}}}}
//! ```
//! A new schema version gets a `migrate_vN_to_vN+1` step in [`Progress::load`]'s version match
//! and a test with a stored example of the old version; versions nobody can read any more are
//! reset with a notice.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::grade::{Response, Score};
use crate::model::Course;

/// The `schema` field of stored progress; data without it came from somewhere else.
pub const PROGRESS_SCHEMA: &str = "testbed-lab/progress";
/// The current `version` of the progress schema.
pub const PROGRESS_VERSION: u32 = 1;
/// The `localStorage` key the app stores progress under.
pub const PROGRESS_STORAGE_KEY: &str = "testbed-lab.progress";
/// The file name to offer when exporting progress.
pub const PROGRESS_EXPORT_FILE_NAME: &str = "testbed-lab-progress.json";

/// What a person has done in the course.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Slugs of lessons marked read.
    pub lessons_read: BTreeSet<String>,
    /// Per quiz id, the attempts made.
    pub quizzes: BTreeMap<String, QuizProgress>,
    /// Ids of the questions answered right at least once, so that a quiz left half done is
    /// not forgotten on a reload. Question ids are unique across the course. Added within
    /// version 1: older stored data has no such field and reads as none answered.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub questions_right: BTreeSet<String>,
    /// Per predict question id, the prediction the person committed to, so a reload still
    /// shows it (and it can be run and graded) rather than offering a fresh guess after the
    /// answer was seen. Cleared by "Try again". Added within version 1: older data has none. A
    /// stored prediction that no longer fits its question is shown as a sentence by the app
    /// ([`crate::grade::read_prediction`] refuses it), never trusted.
    /// An entry that is not a readable response is dropped on load rather than making the whole
    /// progress unreadable (it would only have been refused when shown).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "readable_predictions"
    )]
    pub predictions: BTreeMap<String, Response>,
}

/// The readable entries of stored `predictions`; an entry that is not a [`Response`] is left
/// out.
fn readable_predictions<'de, D>(deserializer: D) -> Result<BTreeMap<String, Response>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let raw = BTreeMap::<String, serde_json::Value>::deserialize(deserializer)?;
    Ok(raw
        .into_iter()
        .filter_map(|(question_id, value)| {
            serde_json::from_value(value)
                .ok()
                .map(|response| (question_id, response))
        })
        .collect())
}

/// One quiz's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizProgress {
    /// Completed attempts.
    pub n_attempts: u32,
    /// The best completed attempt.
    pub best: Score,
    /// The latest completed attempt.
    pub last: Score,
}

impl QuizProgress {
    /// Whether the best attempt passed ([`Score::passes`]).
    pub fn passed(&self) -> bool {
        self.best.passes()
    }
}

/// What [`Progress::load`] made of stored data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOutcome {
    /// The progress to use (fresh if the stored data could not be used).
    pub progress: Progress,
    /// A sentence to show the person when their stored data was migrated or reset; `None` when
    /// it loaded as it was (or there was none).
    pub notice: Option<String>,
    /// `true` when the stored data came from a newer version of the site (an old cached copy is
    /// running): use `progress` in memory, but do not write it back, so the newer data is still
    /// there when the newer site loads again.
    pub read_only: bool,
}

/// Why an imported progress file was refused. The message is a full sentence for the person who
/// picked the file; nothing is changed when import fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not JSON at all.
    #[error(
        "This file is not a progress file: it is not valid JSON (line {line}, column {column})."
    )]
    NotJson {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but not ours.
    #[error(
        "This file is not a Testbed Lab progress file: it has no \"schema\": \"{PROGRESS_SCHEMA}\"."
    )]
    NotProgress,
    /// Ours, from a newer version of the site.
    #[error(
        "This progress file has schema version {found}, newer than this site reads ({PROGRESS_VERSION}); reload the site to update it, then import again."
    )]
    NewerVersion {
        /// The file's version.
        found: u32,
    },
    /// Ours, from a version no longer readable.
    #[error("This progress file has schema version {found}, which this site can no longer read.")]
    OlderVersion {
        /// The file's version.
        found: u32,
    },
    /// Ours and current, but fields are missing or have the wrong type.
    #[error("This progress file is damaged: {detail}.")]
    Damaged {
        /// What serde found wrong.
        detail: String,
    },
    /// It names a lesson this course does not have.
    #[error(
        "This progress file is for a different course: it marks the lesson \"{slug}\" as read, which this course does not have."
    )]
    UnknownLesson {
        /// The unknown slug.
        slug: String,
    },
    /// It names a question this course does not have.
    #[error(
        "This progress file is for a different course: it marks the question \"{question_id}\" as answered, which this course does not have."
    )]
    UnknownQuestion {
        /// The unknown question id.
        question_id: String,
    },
    /// It names a quiz this course does not have.
    #[error(
        "This progress file is for a different course: it has scores for the quiz \"{quiz_id}\", which this course does not have."
    )]
    UnknownQuiz {
        /// The unknown quiz id.
        quiz_id: String,
    },
    /// A score that cannot be (more right than asked, or a question count the quiz does not
    /// have).
    #[error(
        "This progress file is damaged: the score recorded for the quiz \"{quiz_id}\" is impossible."
    )]
    ImpossibleScore {
        /// The quiz whose score is wrong.
        quiz_id: String,
    },
}

/// The stored form: the schema marker and version around the data.
#[derive(Serialize)]
struct StoredRef<'a> {
    schema: &'static str,
    version: u32,
    #[serde(flatten)]
    progress: &'a Progress,
}

/// Just enough to tell what stored JSON is.
#[derive(Deserialize)]
struct Envelope {
    schema: Option<String>,
    version: Option<u32>,
}

#[derive(Deserialize)]
struct StoredV1 {
    #[serde(flatten)]
    progress: Progress,
}

/// Reads stored or exported JSON of any known version into the current [`Progress`].
fn decode(text: &str) -> Result<Progress, ImportError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ImportError::NotJson {
            line: e.line(),
            column: e.column(),
        })?;
    let envelope: Envelope =
        serde_json::from_value(value.clone()).map_err(|_| ImportError::NotProgress)?;
    if envelope.schema.as_deref() != Some(PROGRESS_SCHEMA) {
        return Err(ImportError::NotProgress);
    }
    let damaged = |e: serde_json::Error| ImportError::Damaged {
        detail: e.to_string(),
    };
    match envelope.version {
        None => Err(ImportError::Damaged {
            detail: "it has no \"version\"".to_owned(),
        }),
        Some(PROGRESS_VERSION) => {
            let stored: StoredV1 = serde_json::from_value(value).map_err(damaged)?;
            Ok(stored.progress)
        }
        // Migrations from older versions go here, e.g.
        // `Some(1) => Ok(migrate_v1_to_v2(serde_json::from_value(value)?))`.
        Some(found) if found > PROGRESS_VERSION => Err(ImportError::NewerVersion { found }),
        Some(found) => Err(ImportError::OlderVersion { found }),
    }
}

impl Progress {
    /// Reads stored progress. Never fails: empty input is fresh progress without a notice;
    /// data that is corrupt, from another schema version that cannot be migrated, or not ours
    /// gives fresh progress and a notice saying so. Save the result back (unless
    /// [`LoadOutcome::read_only`]) so a reset is not reported again on the next visit.
    pub fn load(stored: &str) -> LoadOutcome {
        if stored.trim().is_empty() {
            return LoadOutcome {
                progress: Progress::default(),
                notice: None,
                read_only: false,
            };
        }
        match decode(stored) {
            Ok(progress) => match progress.check_scores() {
                Ok(()) => LoadOutcome {
                    progress,
                    notice: None,
                    read_only: false,
                },
                Err(error) => reset(&error),
            },
            Err(error) => reset(&error),
        }
    }

    /// The stored and exported form (compact JSON with schema and version).
    pub fn to_json(&self) -> String {
        // Plain maps of strings and integers: serialization cannot fail.
        serde_json::to_string(&self.stored()).unwrap_or_default()
    }

    /// The same as [`Progress::to_json`], indented, for a file a person may open.
    pub fn to_json_pretty(&self) -> String {
        // Plain maps of strings and integers: serialization cannot fail.
        serde_json::to_string_pretty(&self.stored()).unwrap_or_default()
    }

    fn stored(&self) -> StoredRef<'_> {
        StoredRef {
            schema: PROGRESS_SCHEMA,
            version: PROGRESS_VERSION,
            progress: self,
        }
    }

    /// Reads an exported progress file for `course`.
    ///
    /// # Errors
    /// [`ImportError`], a sentence saying what is wrong with the file, when it is not JSON, not
    /// progress, from an unreadable version, damaged, or mentions lessons or quizzes that
    /// `course` does not have. The caller keeps its current progress then.
    pub fn import(text: &str, course: &Course) -> Result<Progress, ImportError> {
        let progress = decode(text)?;
        progress.check_scores()?;
        if let Some(slug) = progress
            .lessons_read
            .iter()
            .find(|slug| course.lesson(slug).is_none())
        {
            return Err(ImportError::UnknownLesson { slug: slug.clone() });
        }
        if let Some(question_id) = progress.questions_right.iter().find(|id| {
            !course
                .quizzes
                .iter()
                .any(|quiz| quiz.questions.iter().any(|q| &q.id == *id))
        }) {
            return Err(ImportError::UnknownQuestion {
                question_id: question_id.clone(),
            });
        }
        if let Some(question_id) = progress.predictions.keys().find(|id| {
            !course
                .quizzes
                .iter()
                .any(|quiz| quiz.questions.iter().any(|q| &q.id == *id))
        }) {
            return Err(ImportError::UnknownQuestion {
                question_id: question_id.clone(),
            });
        }
        for (quiz_id, record) in &progress.quizzes {
            let Some(quiz) = course.quiz(quiz_id) else {
                return Err(ImportError::UnknownQuiz {
                    quiz_id: quiz_id.clone(),
                });
            };
            let n_questions = u32::try_from(quiz.questions.len()).unwrap_or(u32::MAX);
            if record.best.n_questions != n_questions && record.last.n_questions != n_questions {
                return Err(ImportError::ImpossibleScore {
                    quiz_id: quiz_id.clone(),
                });
            }
        }
        Ok(progress)
    }

    fn check_scores(&self) -> Result<(), ImportError> {
        for (quiz_id, record) in &self.quizzes {
            let possible = |score: Score| score.n_correct <= score.n_questions;
            if !possible(record.best) || !possible(record.last) || record.n_attempts == 0 {
                return Err(ImportError::ImpossibleScore {
                    quiz_id: quiz_id.clone(),
                });
            }
        }
        Ok(())
    }

    /// Marks a lesson read. Returns whether that changed anything.
    pub fn mark_read(&mut self, slug: &str) -> bool {
        self.lessons_read.insert(slug.to_owned())
    }

    /// Whether a lesson is marked read.
    pub fn is_read(&self, slug: &str) -> bool {
        self.lessons_read.contains(slug)
    }

    /// Records a completed attempt at a quiz.
    pub fn record_quiz(&mut self, quiz_id: &str, score: Score) {
        self.quizzes
            .entry(quiz_id.to_owned())
            .and_modify(|record| {
                record.n_attempts = record.n_attempts.saturating_add(1);
                record.last = score;
                if score.n_correct > record.best.n_correct
                    || score.n_questions != record.best.n_questions
                {
                    record.best = score;
                }
            })
            .or_insert(QuizProgress {
                n_attempts: 1,
                best: score,
                last: score,
            });
    }

    /// Records that a question was answered right. Returns whether that changed anything.
    pub fn record_question_right(&mut self, question_id: &str) -> bool {
        self.questions_right.insert(question_id.to_owned())
    }

    /// Whether a question was ever answered right.
    pub fn question_right(&self, question_id: &str) -> bool {
        self.questions_right.contains(question_id)
    }

    /// Keeps the prediction committed to a predict question (replacing an earlier one).
    pub fn commit_prediction(&mut self, question_id: &str, response: Response) {
        self.predictions.insert(question_id.to_owned(), response);
    }

    /// The prediction committed to a predict question, if any.
    pub fn prediction(&self, question_id: &str) -> Option<&Response> {
        self.predictions.get(question_id)
    }

    /// Forgets the committed prediction (the person tries again). Returns whether there was one.
    pub fn forget_prediction(&mut self, question_id: &str) -> bool {
        self.predictions.remove(question_id).is_some()
    }

    /// The record of a quiz, if attempted.
    pub fn quiz(&self, quiz_id: &str) -> Option<&QuizProgress> {
        self.quizzes.get(quiz_id)
    }

    /// Adds `other` into `self`: lessons read are united, attempts added, best scores kept.
    pub fn merge(&mut self, other: &Progress) {
        self.lessons_read.extend(other.lessons_read.iter().cloned());
        self.questions_right
            .extend(other.questions_right.iter().cloned());
        for (question_id, response) in &other.predictions {
            // A prediction committed here stays: it is the one this page has shown.
            self.predictions
                .entry(question_id.clone())
                .or_insert_with(|| response.clone());
        }
        for (quiz_id, theirs) in &other.quizzes {
            self.quizzes
                .entry(quiz_id.clone())
                .and_modify(|ours| {
                    ours.n_attempts = ours.n_attempts.saturating_add(theirs.n_attempts);
                    if theirs.best.n_correct > ours.best.n_correct {
                        ours.best = theirs.best;
                    }
                })
                .or_insert(*theirs);
        }
    }

    /// The course-wide progress map, in course order.
    pub fn map(&self, course: &Course) -> ProgressMap {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let lessons: Vec<LessonStatus> = course
            .lessons
            .iter()
            .map(|lesson| LessonStatus {
                slug: lesson.slug.clone(),
                title: lesson.title.clone(),
                read: self.is_read(&lesson.slug),
                quizzes: lesson
                    .quiz_ids
                    .iter()
                    .map(|quiz_id| {
                        let questions = course.quiz(quiz_id).map_or(&[][..], |q| &q.questions[..]);
                        let n_right = questions
                            .iter()
                            .filter(|q| self.question_right(&q.id))
                            .count();
                        QuizStatus {
                            quiz_id: quiz_id.clone(),
                            record: self.quiz(quiz_id).copied(),
                            n_questions_right: count(n_right),
                            n_questions: count(questions.len()),
                        }
                    })
                    .collect(),
            })
            .collect();
        let all_quizzes = || lessons.iter().flat_map(|lesson| &lesson.quizzes);
        ProgressMap {
            n_lessons_read: count(lessons.iter().filter(|lesson| lesson.read).count()),
            n_lessons: count(lessons.len()),
            n_quizzes_passed: count(all_quizzes().filter(|quiz| quiz.passed()).count()),
            n_quizzes: count(all_quizzes().count()),
            lessons,
        }
    }
}

fn reset(error: &ImportError) -> LoadOutcome {
    let read_only = matches!(error, ImportError::NewerVersion { .. });
    let why = match error {
        ImportError::NotJson { .. } => "it was not readable (not valid JSON)".to_owned(),
        ImportError::NotProgress => "the data stored there was not Testbed Lab progress".to_owned(),
        ImportError::NewerVersion { found } => format!(
            "it was saved by a newer version of the site (schema {found}); reload the page to get that version back"
        ),
        ImportError::OlderVersion { found } => {
            format!(
                "it was saved by an old version of the site (schema {found}) that can no longer be read"
            )
        }
        ImportError::Damaged { .. } | ImportError::ImpossibleScore { .. } => {
            "it was damaged".to_owned()
        }
        ImportError::UnknownLesson { .. }
        | ImportError::UnknownQuestion { .. }
        | ImportError::UnknownQuiz { .. } => "it belonged to a different course".to_owned(),
    };
    let notice = if read_only {
        format!(
            "Your saved progress is not shown because {why}. Progress made on this page will not be saved."
        )
    } else {
        format!(
            "Your saved progress was reset because {why}. If you exported it to a file earlier, you can import that file."
        )
    };
    LoadOutcome {
        progress: Progress::default(),
        notice: Some(notice),
        read_only,
    }
}

/// Progress over the whole course, for the progress page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressMap {
    /// Every lesson in course order.
    pub lessons: Vec<LessonStatus>,
    /// Lessons marked read.
    pub n_lessons_read: u32,
    /// Lessons in the course.
    pub n_lessons: u32,
    /// Quizzes passed.
    pub n_quizzes_passed: u32,
    /// Quizzes in the course.
    pub n_quizzes: u32,
}

/// One lesson in the [`ProgressMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonStatus {
    /// The lesson's slug.
    pub slug: String,
    /// The lesson's title.
    pub title: String,
    /// Marked read.
    pub read: bool,
    /// Its quizzes.
    pub quizzes: Vec<QuizStatus>,
}

/// One quiz in the [`ProgressMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizStatus {
    /// The quiz's id.
    pub quiz_id: String,
    /// `None` if never completed.
    pub record: Option<QuizProgress>,
    /// Its questions answered right at least once (in any attempt, finished or not).
    pub n_questions_right: u32,
    /// Its number of questions.
    pub n_questions: u32,
}

impl QuizStatus {
    /// Whether the quiz was passed.
    pub fn passed(&self) -> bool {
        self.record.is_some_and(|record| record.passed())
    }
}
