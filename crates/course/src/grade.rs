//! Grading: pure functions from a question and a response to right or wrong with feedback, and
//! the state of one attempt at a quiz.

use serde::{Deserialize, Serialize};

use crate::predict::{Measure, PredictValue};
use crate::quiz::{Question, QuestionKind, Quiz};

/// What a person answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Response {
    /// Multiple choice: the canonical indices of the selected choices (see [`Question::choice`]).
    Choices(Vec<usize>),
    /// Short answer or numeric: what was typed.
    Text(String),
    /// Ordering: canonical item indices in the order the person arranged them.
    Order(Vec<usize>),
}

/// Why a response cannot be graded. Not a wrong answer: the person is asked to fix the input,
/// and no attempt is counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Nothing was selected.
    #[error("select an answer first")]
    NothingSelected,
    /// A single-answer question got several selections.
    #[error("select exactly one answer")]
    SelectOne,
    /// Nothing was typed.
    #[error("type an answer first")]
    Empty,
    /// The text is not a number.
    #[error("“{input}” is not a number; type digits, e.g. 6715 or 0.05")]
    NotANumber {
        /// What was typed.
        input: String,
    },
    /// The response does not fit the question (a bug in the caller).
    #[error("this {question_type} question cannot take that kind of answer")]
    WrongKind {
        /// The question's type name.
        question_type: &'static str,
    },
    /// A choice or item index that the question does not have, or an ordering that is not a
    /// permutation of the items (a bug in the caller).
    #[error("the answer refers to choices this question does not have")]
    BadIndices,
    /// A predict question graded without the engine's result ([`grade`] instead of
    /// [`grade_prediction`]).
    #[error("this question is graded against the simulator: commit your prediction and run it")]
    NeedsTheEngine,
    /// The engine's result is not a value of the question's measure (a stale result, or a bug
    /// in the caller).
    #[error("the simulator's result does not fit this question; run it again")]
    EngineMismatch,
}

/// The result of grading one response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graded {
    /// Right or wrong.
    pub correct: bool,
    /// What to show beside the question.
    pub feedback: Feedback,
}

/// How to mark a multiple-choice option after grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceMark {
    /// Selected, and right to select.
    SelectedCorrect,
    /// Selected, but a distractor.
    SelectedWrong,
    /// A correct choice that was not selected.
    MissedCorrect,
    /// A distractor, not selected.
    NotSelected,
}

/// Feedback per question kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Feedback {
    /// Multiple choice: a mark per canonical choice index.
    Choices {
        /// `marks[choice_idx]`.
        marks: Vec<ChoiceMark>,
    },
    /// Short answer: the expected answer.
    ShortAnswer {
        /// The answer from the quiz file.
        expected: String,
    },
    /// Numeric: what was understood, and the accepted range.
    Numeric {
        /// The number read from the input.
        given: f64,
        /// The expected value.
        expected: f64,
        /// The accepted absolute deviation.
        tolerance: f64,
        /// The unit, if any.
        unit: Option<String>,
        /// The slip behind a known wrong answer, when the number is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mistake: Option<String>,
    },
    /// Ordering: for each position of the response, whether the item there belongs there.
    Order {
        /// `in_place[position]`.
        in_place: Vec<bool>,
    },
    /// Predict: the prediction and what the engine measured.
    Predict {
        /// The learner's committed prediction.
        given: PredictValue,
        /// The engine's result.
        engine: PredictValue,
        /// The accepted relative deviation (numbers), else 0.
        tolerance: f64,
        /// The unit of a number, if any.
        unit: Option<String>,
    },
}

/// Grades `response` to `question`.
///
/// # Errors
/// [`ResponseError`] when the response cannot be graded (nothing selected, not a number, or a
/// response of the wrong kind); this is not a wrong answer.
pub fn grade(question: &Question, response: &Response) -> Result<Graded, ResponseError> {
    let question_type = question.type_name();
    match (&question.kind, response) {
        (
            QuestionKind::MultipleChoice {
                answers,
                distractors,
                multi_select,
                ..
            },
            Response::Choices(selected),
        ) => grade_choices(answers.len(), distractors.len(), *multi_select, selected),
        (
            QuestionKind::ShortAnswer {
                answer,
                alternatives,
            },
            Response::Text(input),
        ) => {
            let given = normalize_short_answer(input);
            if given.is_empty() {
                return Err(ResponseError::Empty);
            }
            let correct = std::iter::once(answer)
                .chain(alternatives)
                .any(|accepted| normalize_short_answer(accepted) == given);
            Ok(Graded {
                correct,
                feedback: Feedback::ShortAnswer {
                    expected: answer.clone(),
                },
            })
        }
        (
            QuestionKind::Numeric {
                answer,
                tolerance,
                unit,
                mistakes,
            },
            Response::Text(input),
        ) => {
            let given = parse_number(input, unit.as_deref())?;
            // A tiny relative slack so that 0.1 + 0.2 style rounding never fails an exact answer.
            let within =
                |target: f64, tol: f64| (given - target).abs() <= tol + target.abs() * 1e-9;
            let correct = within(*answer, *tolerance);
            // A known wrong value matches within the question's tolerance or 1 % of itself,
            // whichever is tighter (a slip's number can be far smaller than the answer).
            let mistake = mistakes
                .iter()
                .find(|m| !correct && within(m.value, tolerance.min(m.value.abs() * 0.01)))
                .map(|m| m.why.clone());
            Ok(Graded {
                correct,
                feedback: Feedback::Numeric {
                    given,
                    expected: *answer,
                    tolerance: *tolerance,
                    unit: unit.clone(),
                    mistake,
                },
            })
        }
        (QuestionKind::Order { items }, Response::Order(arranged)) => {
            let n_items = items.len();
            let mut seen = vec![false; n_items];
            for &item_idx in arranged {
                match seen.get_mut(item_idx) {
                    Some(slot) if !*slot => *slot = true,
                    _ => return Err(ResponseError::BadIndices),
                }
            }
            if arranged.len() != n_items {
                return Err(ResponseError::BadIndices);
            }
            let in_place: Vec<bool> = arranged
                .iter()
                .enumerate()
                .map(|(position, &item_idx)| position == item_idx)
                .collect();
            Ok(Graded {
                correct: in_place.iter().all(|&ok| ok),
                feedback: Feedback::Order { in_place },
            })
        }
        (QuestionKind::Predict(_), _) => Err(ResponseError::NeedsTheEngine),
        _ => Err(ResponseError::WrongKind { question_type }),
    }
}

/// Reads a response to a predict question as the value it predicts, before anything runs (a
/// number typed with or without its unit, or one choice of [`Measure::choices`]).
///
/// # Errors
/// [`ResponseError`] when the response cannot be a prediction (nothing typed, not a number, no
/// or several choices, a choice the measure does not have, another kind of question).
pub fn read_prediction(
    question: &Question,
    response: &Response,
) -> Result<PredictValue, ResponseError> {
    let QuestionKind::Predict(predict) = &question.kind else {
        return Err(ResponseError::WrongKind {
            question_type: question.type_name(),
        });
    };
    let measure = predict.measure;
    match response {
        Response::Text(input) if measure.is_numeric() => {
            parse_number(input, measure.unit()).map(PredictValue::Number)
        }
        Response::Choices(selected) if !measure.is_numeric() => match selected.as_slice() {
            [] => Err(ResponseError::NothingSelected),
            [choice_idx] => measure
                .choices()
                .get(*choice_idx)
                .cloned()
                .ok_or(ResponseError::BadIndices),
            _ => Err(ResponseError::SelectOne),
        },
        _ => Err(ResponseError::WrongKind {
            question_type: "Predict",
        }),
    }
}

/// Grades `response` to a predict question against what the engine measured.
///
/// A number is right within `tolerance × |engine|` of the engine's value (plus a relative slack
/// of 1e-9 for rounding); a yes/no must match; a machine must be the fastest (or one of the
/// fastest, when machines tie exactly).
///
/// # Errors
/// [`read_prediction`]'s, and [`ResponseError::EngineMismatch`] when `engine` is not a value of
/// the question's measure.
pub fn grade_prediction(
    question: &Question,
    response: &Response,
    engine: &PredictValue,
) -> Result<Graded, ResponseError> {
    let given = read_prediction(question, response)?;
    let QuestionKind::Predict(predict) = &question.kind else {
        return Err(ResponseError::EngineMismatch);
    };
    let correct = match (&given, engine) {
        (PredictValue::Number(given), PredictValue::Number(measured))
            if predict.measure.is_numeric() && measured.is_finite() =>
        {
            let slack = measured.abs() * (predict.tolerance + 1e-9);
            (given - measured).abs() <= slack
        }
        (PredictValue::YesNo(given), PredictValue::YesNo(measured))
            if predict.measure == Measure::SameCycles =>
        {
            given == measured
        }
        (PredictValue::Machines(given), PredictValue::Machines(fastest))
            if predict.measure == Measure::Fastest && !fastest.is_empty() =>
        {
            given.iter().all(|arch| fastest.contains(arch))
        }
        _ => return Err(ResponseError::EngineMismatch),
    };
    Ok(Graded {
        correct,
        feedback: Feedback::Predict {
            given,
            engine: engine.clone(),
            tolerance: predict.tolerance,
            unit: predict.measure.unit().map(str::to_owned),
        },
    })
}

fn grade_choices(
    n_answers: usize,
    n_distractors: usize,
    multi_select: bool,
    selected: &[usize],
) -> Result<Graded, ResponseError> {
    let n_choices = n_answers + n_distractors;
    let mut is_selected = vec![false; n_choices];
    for &choice_idx in selected {
        match is_selected.get_mut(choice_idx) {
            Some(slot) => *slot = true,
            None => return Err(ResponseError::BadIndices),
        }
    }
    let n_selected = is_selected.iter().filter(|&&s| s).count();
    if n_selected == 0 {
        return Err(ResponseError::NothingSelected);
    }
    if !multi_select && n_selected > 1 {
        return Err(ResponseError::SelectOne);
    }
    let marks: Vec<ChoiceMark> = is_selected
        .iter()
        .enumerate()
        .map(|(choice_idx, &sel)| match (choice_idx < n_answers, sel) {
            (true, true) => ChoiceMark::SelectedCorrect,
            (true, false) => ChoiceMark::MissedCorrect,
            (false, true) => ChoiceMark::SelectedWrong,
            (false, false) => ChoiceMark::NotSelected,
        })
        .collect();
    let correct = marks
        .iter()
        .all(|m| matches!(m, ChoiceMark::SelectedCorrect | ChoiceMark::NotSelected));
    Ok(Graded {
        correct,
        feedback: Feedback::Choices { marks },
    })
}

/// Trimmed, lowercased, runs of whitespace collapsed to one space.
pub fn normalize_short_answer(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Reads a typed number: surrounding space and the unit (if typed) are ignored; `_`, spaces and
/// thousands commas (`6,715`) are allowed; a lone comma with other than three digits after it is
/// a decimal comma (`0,05`).
///
/// # Errors
/// [`ResponseError::Empty`] or [`ResponseError::NotANumber`].
pub fn parse_number(input: &str, unit: Option<&str>) -> Result<f64, ResponseError> {
    let mut text = input.trim();
    if let Some(unit) = unit {
        let unit = unit.trim();
        if !unit.is_empty()
            && let Some(stripped) = text.strip_suffix(unit)
        {
            text = stripped.trim_end();
        }
    }
    if text.is_empty() {
        return Err(ResponseError::Empty);
    }
    let not_a_number = || ResponseError::NotANumber {
        input: input.trim().to_owned(),
    };
    let mut cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    if cleaned.contains(',') {
        let groups: Vec<&str> = cleaned.split(',').collect();
        let thousands = groups.iter().skip(1).all(|group| {
            let integer_part = group.split(['.', 'e', 'E']).next().unwrap_or("");
            integer_part.len() == 3 && integer_part.bytes().all(|b| b.is_ascii_digit())
        });
        cleaned = if thousands {
            cleaned.replace(',', "")
        } else if groups.len() == 2 && !cleaned.contains('.') {
            cleaned.replace(',', ".")
        } else {
            return Err(not_a_number());
        };
    }
    let value: f64 = cleaned.parse().map_err(|_| not_a_number())?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(not_a_number())
    }
}

/// Questions right out of questions asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Score {
    /// Questions answered correctly.
    pub n_correct: u32,
    /// Questions in the quiz.
    pub n_questions: u32,
}

/// A quiz is passed with at least this share of its questions right (in percent).
pub const PASS_PERCENT: u32 = 70;

impl Score {
    /// Whether this score passes the quiz: at least [`PASS_PERCENT`] right, and a quiz with no
    /// questions is never passed.
    pub fn passes(self) -> bool {
        self.n_questions > 0
            && u64::from(self.n_correct) * 100
                >= u64::from(self.n_questions) * u64::from(PASS_PERCENT)
    }

    /// Whole percent, rounded down; 0 for an empty quiz.
    pub fn percent(self) -> u32 {
        if self.n_questions == 0 {
            return 0;
        }
        let percent = u64::from(self.n_correct) * 100 / u64::from(self.n_questions);
        u32::try_from(percent).unwrap_or(100)
    }
}

/// One question's state in an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnsweredQuestion {
    /// What was answered.
    pub response: Response,
    /// Its grade.
    pub graded: Graded,
}

/// One person's attempt at a quiz: answer, check, see right or wrong, retry a question or the
/// whole quiz. Holds no reference to the quiz, so the app can keep it in a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizAttempt {
    /// The quiz's id.
    pub quiz_id: String,
    /// One slot per question; `None` until answered (or after a retry).
    pub answered: Vec<Option<AnsweredQuestion>>,
    /// How many times each question has been (re)started; feeds [`crate::shuffle_seed`].
    pub n_tries: Vec<u32>,
}

impl QuizAttempt {
    /// A fresh attempt with nothing answered.
    pub fn new(quiz: &Quiz) -> QuizAttempt {
        QuizAttempt {
            quiz_id: quiz.id.clone(),
            answered: vec![None; quiz.questions.len()],
            n_tries: vec![0; quiz.questions.len()],
        }
    }

    /// Grades and records the answer to question `question_idx`.
    ///
    /// # Errors
    /// [`ResponseError`] if the response cannot be graded (then nothing is recorded), or
    /// [`ResponseError::BadIndices`] if `question_idx` is out of range or the quiz is another one.
    pub fn answer(
        &mut self,
        quiz: &Quiz,
        question_idx: usize,
        response: Response,
    ) -> Result<&Graded, ResponseError> {
        if quiz.id != self.quiz_id || self.answered.len() != quiz.questions.len() {
            return Err(ResponseError::BadIndices);
        }
        let question = quiz
            .questions
            .get(question_idx)
            .ok_or(ResponseError::BadIndices)?;
        let graded = grade(question, &response)?;
        let slot = self
            .answered
            .get_mut(question_idx)
            .ok_or(ResponseError::BadIndices)?;
        Ok(&slot.insert(AnsweredQuestion { response, graded }).graded)
    }

    /// Grades and records a committed prediction to question `question_idx` against what the
    /// engine measured.
    ///
    /// # Errors
    /// As [`QuizAttempt::answer`], and [`grade_prediction`]'s.
    pub fn answer_prediction(
        &mut self,
        quiz: &Quiz,
        question_idx: usize,
        response: Response,
        engine: &PredictValue,
    ) -> Result<&Graded, ResponseError> {
        if quiz.id != self.quiz_id || self.answered.len() != quiz.questions.len() {
            return Err(ResponseError::BadIndices);
        }
        let question = quiz
            .questions
            .get(question_idx)
            .ok_or(ResponseError::BadIndices)?;
        let graded = grade_prediction(question, &response, engine)?;
        let slot = self
            .answered
            .get_mut(question_idx)
            .ok_or(ResponseError::BadIndices)?;
        Ok(&slot.insert(AnsweredQuestion { response, graded }).graded)
    }

    /// Clears question `question_idx` so it can be answered again (with a new shuffle).
    pub fn retry(&mut self, question_idx: usize) {
        if let Some(slot) = self.answered.get_mut(question_idx) {
            *slot = None;
        }
        if let Some(n_tries) = self.n_tries.get_mut(question_idx) {
            *n_tries += 1;
        }
    }

    /// Clears every question.
    pub fn retry_all(&mut self) {
        for question_idx in 0..self.answered.len() {
            self.retry(question_idx);
        }
    }

    /// The seed to order question `question_idx`'s choices with in this try.
    pub fn shuffle_seed(&self, quiz: &Quiz, question_idx: usize) -> u64 {
        let question_id = quiz
            .questions
            .get(question_idx)
            .map_or("", |question| question.id.as_str());
        let n_tries = self.n_tries.get(question_idx).copied().unwrap_or(0);
        crate::quiz::shuffle_seed(question_id, n_tries)
    }

    /// Whether every question has an answer.
    pub fn is_complete(&self) -> bool {
        self.answered.iter().all(Option::is_some)
    }

    /// Correct answers so far out of all questions.
    pub fn score(&self) -> Score {
        let n_correct = self
            .answered
            .iter()
            .flatten()
            .filter(|answered| answered.graded.correct)
            .count();
        Score {
            n_correct: u32::try_from(n_correct).unwrap_or(u32::MAX),
            n_questions: u32::try_from(self.answered.len()).unwrap_or(u32::MAX),
        }
    }
}
