//! Quizzes and their questions, as the app embeds them.
//!
//! The TOML form (mdbook-quiz compatible, plus `Numeric` and `Order`) is described in
//! `lessons/FORMAT.md` and parsed by the `build` feature; this is the validated result.

use serde::{Deserialize, Serialize};

use crate::content::{Block, Inline};
use crate::predict::Predict;

/// One quiz file, e.g. `lessons/quizzes/02-cerebras-wse.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quiz {
    /// The file stem, e.g. `02-cerebras-wse`; the key of the quiz in progress data.
    pub id: String,
    /// The lesson that includes the quiz (the first, if several do).
    pub lesson_slug: String,
    /// The questions in file order (at least one).
    pub questions: Vec<Question>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Unique across the whole course.
    pub id: String,
    /// The question text.
    pub prompt: RichText,
    /// The explanation shown after answering (`context` in the TOML).
    pub context: Option<RichText>,
    /// What kind of question, with its answer.
    pub kind: QuestionKind,
}

/// Markdown kept as written (for export) and rendered into typed blocks (for display).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RichText {
    /// The Markdown source.
    pub markdown: String,
    /// The rendered blocks.
    pub blocks: Vec<Block>,
}

/// A choice of a multiple-choice question or an item of an ordering question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The Markdown source.
    pub markdown: String,
    /// The rendered inline content.
    pub inlines: Vec<Inline>,
}

/// The kinds of question, each with its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum QuestionKind {
    /// Pick the right choice(s). Choices are indexed canonically: the answers first
    /// (`0..answers.len()`), then the distractors.
    MultipleChoice {
        /// The correct choices (one for single answer).
        answers: Vec<Choice>,
        /// The wrong choices (at least one).
        distractors: Vec<Choice>,
        /// `true` when the TOML gave `answer.answer` as an array: check boxes, select all.
        multi_select: bool,
        /// How to order the choices on screen.
        layout: ChoiceLayout,
    },
    /// Type a word or phrase; compared trimmed, case-insensitively, with runs of whitespace
    /// collapsed.
    ShortAnswer {
        /// The expected answer.
        answer: String,
        /// Other accepted answers.
        alternatives: Vec<String>,
    },
    /// Type a number; right when within `tolerance` of `answer`.
    Numeric {
        /// The expected value.
        answer: f64,
        /// Absolute tolerance, `>= 0`.
        tolerance: f64,
        /// The unit shown next to the input, e.g. `samples/s`.
        unit: Option<String>,
        /// Known wrong answers and the slip each reveals (`answer.mistakes`), shown when a
        /// learner's number is one of them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mistakes: Vec<NumericMistake>,
    },
    /// Put items in order; `items` is the correct order, shown shuffled.
    Order {
        /// The items in the correct order (at least two, all different).
        items: Vec<Choice>,
    },
    /// Predict what a simulator will measure, commit, then the page runs it: the answer comes
    /// from the engine, never from the quiz file (see [`crate::predict`]).
    Predict(Predict),
}

/// A known wrong answer to a numeric question, and the slip that leads to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericMistake {
    /// The wrong value (matched within the question's tolerance or 1 % of the value,
    /// whichever is tighter).
    pub value: f64,
    /// What the learner most likely did, in one sentence.
    pub why: String,
}

/// How the choices of a multiple-choice question are ordered on screen (mdbook-quiz's
/// `prompt.answerIndex` and `prompt.sortAnswers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum ChoiceLayout {
    /// A seeded shuffle.
    Shuffled,
    /// Distractors in file order, the (single) answer inserted at this position.
    AnswerAt(usize),
    /// Sorted by text.
    Sorted,
}

impl Question {
    /// The choice with canonical index `choice_idx` (answers first, then distractors), for
    /// multiple-choice questions; the item at `choice_idx` of the correct order for ordering
    /// questions.
    pub fn choice(&self, choice_idx: usize) -> Option<&Choice> {
        match &self.kind {
            QuestionKind::MultipleChoice {
                answers,
                distractors,
                ..
            } => answers.iter().chain(distractors).nth(choice_idx),
            QuestionKind::Order { items } => items.get(choice_idx),
            QuestionKind::ShortAnswer { .. }
            | QuestionKind::Numeric { .. }
            | QuestionKind::Predict(_) => None,
        }
    }

    /// The order in which to show the choices (multiple choice, a prediction's choices) or items
    /// (ordering), as canonical
    /// indices. The same `seed` gives the same order; see [`shuffle_seed`]. An ordering question
    /// is never shown already solved. Empty for the other kinds.
    pub fn presentation_order(&self, seed: u64) -> Vec<usize> {
        match &self.kind {
            QuestionKind::MultipleChoice {
                answers,
                distractors,
                layout,
                ..
            } => {
                let n_choices = answers.len() + distractors.len();
                match *layout {
                    ChoiceLayout::Shuffled => shuffled(n_choices, seed),
                    ChoiceLayout::AnswerAt(position) => {
                        let mut order: Vec<usize> = (answers.len()..n_choices).collect();
                        order.insert(position.min(order.len()), 0);
                        order
                    }
                    ChoiceLayout::Sorted => {
                        let mut order: Vec<usize> = (0..n_choices).collect();
                        let all: Vec<&Choice> = answers.iter().chain(distractors).collect();
                        order.sort_by(|&a, &b| all[a].markdown.cmp(&all[b].markdown));
                        order
                    }
                }
            }
            QuestionKind::Order { items } => {
                let n_items = items.len();
                let mut order = shuffled(n_items, seed);
                if n_items >= 2 && order.iter().enumerate().all(|(i, &item)| i == item) {
                    order.rotate_left(1);
                }
                order
            }
            // A prediction's choices (machines, yes/no) have a natural order: kept.
            QuestionKind::Predict(predict) => (0..predict.measure.choices().len()).collect(),
            QuestionKind::ShortAnswer { .. } | QuestionKind::Numeric { .. } => Vec::new(),
        }
    }

    /// A short name for the kind, as the TOML spells it (`MultipleChoice`, `Numeric`, …).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            QuestionKind::MultipleChoice { .. } => "MultipleChoice",
            QuestionKind::ShortAnswer { .. } => "ShortAnswer",
            QuestionKind::Numeric { .. } => "Numeric",
            QuestionKind::Order { .. } => "Order",
            QuestionKind::Predict(_) => "Predict",
        }
    }
}

/// A shuffle seed for one question and one attempt: the same question and attempt number give
/// the same order, a retry (next attempt) a new one.
pub fn shuffle_seed(question_id: &str, n_attempt: u32) -> u64 {
    // FNV-1a over the id, then the attempt number mixed in.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in question_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^ u64::from(n_attempt).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// `0..n` in a seeded Fisher–Yates order (SplitMix64 as the generator).
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // `i + 1` is at most `n`, a usize, so the remainder fits back into usize.
        let j = usize::try_from(next() % (i as u64 + 1)).unwrap_or(0);
        order.swap(i, j);
    }
    order
}
