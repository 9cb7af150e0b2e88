//! One quiz file: mdbook-quiz's TOML plus this course's extensions.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{Problem, ValidationError};
use super::markdown::{Converter, LineIndex, PendingLink, TextKind};
use crate::model::{Block, Inline};
use crate::predict::{Measure, Predict, SetupRef, SetupTarget};
use crate::quiz::{Choice, ChoiceLayout, NumericMistake, Question, QuestionKind, Quiz, RichText};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
    multipart: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawQuestion {
    id: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    prompt: Spanned<RawPrompt>,
    answer: Spanned<RawAnswer>,
    context: Option<Spanned<String>>,
    multipart: Option<String>,
    prompt_explanation: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPrompt {
    prompt: Option<Spanned<String>>,
    distractors: Option<Spanned<Vec<String>>>,
    answer_index: Option<Spanned<usize>>,
    sort_answers: Option<bool>,
    response: Option<String>,
    program: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAnswer {
    answer: Option<Spanned<toml::Value>>,
    alternatives: Option<Vec<String>>,
    tolerance: Option<Spanned<toml::Value>>,
    unit: Option<String>,
    order: Option<Spanned<Vec<String>>>,
    setups: Option<Spanned<Vec<String>>>,
    measure: Option<Spanned<String>>,
    does_compile: Option<bool>,
    stdout: Option<String>,
    line_number: Option<usize>,
    mistakes: Option<Spanned<Vec<RawMistake>>>,
}

/// A known wrong answer of a numeric question (`answer.mistakes = [{ value = 2.0, why = "…" }]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMistake {
    value: toml::Value,
    why: String,
}

/// A parsed quiz (its `lesson_slug` still empty) and each question's id with its line.
#[derive(Debug)]
pub struct ParsedQuiz {
    pub quiz: Quiz,
    pub question_lines: Vec<u32>,
}

struct QuestionContext<'a> {
    file: &'a str,
    line: u32,
    question_type: &'static str,
    errors: &'a mut Vec<ValidationError>,
    links: &'a mut Vec<PendingLink>,
    lines: &'a LineIndex,
    public_dir: &'a Path,
}

impl QuestionContext<'_> {
    fn error(&mut self, problem: Problem) {
        self.errors.push(ValidationError {
            file: self.file.to_owned(),
            line: self.line,
            problem,
        });
    }

    /// Reports at the line of a spanned value.
    fn error_at<T>(&mut self, at: &Spanned<T>, problem: Problem) {
        self.errors.push(ValidationError {
            file: self.file.to_owned(),
            line: self.lines.line(at.span().start),
            problem,
        });
    }

    /// Runs `f` with errors reported at the line of `at`.
    fn at<T, R>(&mut self, at: &Spanned<T>, f: impl FnOnce(&mut Self) -> R) -> R {
        let question_line = self.line;
        self.line = self.lines.line(at.span().start);
        let result = f(self);
        self.line = question_line;
        result
    }

    fn converter(&mut self) -> Converter<'_> {
        Converter {
            file: self.file,
            kind: TextKind::Quiz,
            lines: self.lines,
            base_offset: 0,
            fixed_line: Some(self.line),
            slug: "",
            source_ids: &[],
            public_dir: self.public_dir,
            errors: self.errors,
            links: self.links,
            quiz_includes: Vec::new(),
            anchors: Vec::new(),
            n_words: 0,
        }
    }

    fn rich_text(&mut self, markdown: &str) -> RichText {
        let blocks = self.converter().blocks(markdown);
        RichText {
            markdown: markdown.to_owned(),
            blocks,
        }
    }

    fn choice(&mut self, markdown: &str, field: &'static str) -> Choice {
        if markdown.trim().is_empty() {
            self.error(Problem::EmptyText { field });
        }
        let blocks = self.converter().blocks(markdown);
        let inlines = match <[Block; 1]>::try_from(blocks) {
            Ok([Block::Paragraph { inlines }]) => inlines,
            _ => vec![Inline::Text(markdown.trim().to_owned())],
        };
        Choice {
            markdown: markdown.trim().to_owned(),
            inlines,
        }
    }

    fn reject(&mut self, present: bool, field: &'static str) {
        if present {
            let question_type = self.question_type;
            self.error(Problem::FieldNotForType {
                question_type,
                field,
            });
        }
    }

    fn require<T>(&mut self, value: Option<T>, field: &'static str) -> Option<T> {
        if value.is_none() {
            let question_type = self.question_type;
            self.error(Problem::MissingQuestionField {
                question_type,
                field,
            });
        }
        value
    }
}

/// Parses the quiz file `file` (label) with id `quiz_id`.
pub fn parse_quiz(
    file: &str,
    quiz_id: &str,
    text: &str,
    public_dir: &Path,
    errors: &mut Vec<ValidationError>,
    links: &mut Vec<PendingLink>,
) -> Option<ParsedQuiz> {
    let lines = LineIndex::new(text);
    let raw: RawQuiz = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(ValidationError {
                file: file.to_owned(),
                line: e.span().map_or(1, |span| lines.line(span.start)),
                problem: Problem::QuizToml {
                    message: e.message().trim().to_owned(),
                },
            });
            return None;
        }
    };
    if let Some(multipart) = &raw.multipart {
        errors.push(ValidationError {
            file: file.to_owned(),
            line: lines.line(multipart.span().start),
            problem: Problem::Unsupported {
                what: "`multipart` (grouped questions)",
            },
        });
    }
    if raw.questions.is_empty() {
        errors.push(ValidationError {
            file: file.to_owned(),
            line: 1,
            problem: Problem::NoQuestions,
        });
        return None;
    }
    let mut questions = Vec::new();
    let mut question_lines = Vec::new();
    for spanned in raw.questions {
        let line = lines.line(spanned.span().start);
        let raw = spanned.into_inner();
        let mut ctx = QuestionContext {
            file,
            line,
            question_type: "",
            errors,
            links,
            lines: &lines,
            public_dir,
        };
        if let Some(question) = convert_question(&mut ctx, raw) {
            questions.push(question);
            question_lines.push(line);
        }
    }
    Some(ParsedQuiz {
        quiz: Quiz {
            id: quiz_id.to_owned(),
            lesson_slug: String::new(),
            questions,
        },
        question_lines,
    })
}

fn convert_question(ctx: &mut QuestionContext<'_>, raw: RawQuestion) -> Option<Question> {
    let question_type = match raw.kind.get_ref().as_str() {
        "MultipleChoice" => "MultipleChoice",
        "ShortAnswer" => "ShortAnswer",
        "Numeric" => "Numeric",
        "Order" => "Order",
        "Predict" => "Predict",
        "Tracing" => {
            ctx.error_at(
                &raw.kind,
                Problem::Unsupported {
                    what: "the `Tracing` question type (it is about Rust programs)",
                },
            );
            return None;
        }
        other => {
            let found = other.to_owned();
            ctx.error_at(&raw.kind, Problem::UnknownQuestionType { found });
            return None;
        }
    };
    ctx.question_type = question_type;
    let id = match raw.id {
        Some(id) if !id.get_ref().trim().is_empty() => id.into_inner().trim().to_owned(),
        _ => {
            ctx.error(Problem::MissingQuestionId);
            return None;
        }
    };
    if raw.multipart.is_some() {
        ctx.error(Problem::Unsupported {
            what: "`multipart` (grouped questions)",
        });
    }
    // mdbook-quiz asks for a written justification; this course has nowhere to send it.
    let _ = raw.prompt_explanation;
    let prompt = raw.prompt.into_inner();
    let answer = raw.answer.into_inner();
    ctx.reject(prompt.program.is_some(), "prompt.program");
    ctx.reject(answer.does_compile.is_some(), "answer.doesCompile");
    ctx.reject(answer.stdout.is_some(), "answer.stdout");
    ctx.reject(answer.line_number.is_some(), "answer.lineNumber");
    let prompt_text = ctx.require(prompt.prompt.as_ref(), "prompt.prompt")?;
    let rich_prompt = ctx.at(prompt_text, |ctx| {
        if prompt_text.get_ref().trim().is_empty() {
            ctx.error(Problem::EmptyText {
                field: "prompt.prompt",
            });
        }
        ctx.rich_text(prompt_text.get_ref())
    });
    let context = raw
        .context
        .filter(|c| !c.get_ref().trim().is_empty())
        .map(|c| ctx.at(&c, |ctx| ctx.rich_text(c.get_ref())));
    let kind = match question_type {
        "MultipleChoice" => multiple_choice(ctx, &prompt, answer)?,
        "ShortAnswer" => short_answer(ctx, &prompt, answer)?,
        "Numeric" => numeric(ctx, &prompt, answer)?,
        "Predict" => predict(ctx, &id, &prompt, answer)?,
        _ => order(ctx, &prompt, answer)?,
    };
    Some(Question {
        id,
        prompt: rich_prompt,
        context,
        kind,
    })
}

fn multiple_choice(
    ctx: &mut QuestionContext<'_>,
    prompt: &RawPrompt,
    answer: RawAnswer,
) -> Option<QuestionKind> {
    ctx.reject(prompt.response.is_some(), "prompt.response");
    reject_answer_fields(
        ctx,
        &answer,
        &[
            "alternatives",
            "tolerance",
            "unit",
            "order",
            "setups",
            "measure",
            "mistakes",
        ],
    );
    let raw_answer = ctx.require(answer.answer, "answer.answer")?;
    let wrong_type = Problem::WrongAnswerType {
        question_type: "MultipleChoice",
        expected: "a string, or an array of strings for several right answers",
    };
    let answer_line = ctx.lines.line(raw_answer.span().start);
    let (answer_texts, multi_select): (Vec<String>, bool) = match raw_answer.into_inner() {
        toml::Value::String(answer) => (vec![answer], false),
        toml::Value::Array(values) => {
            let texts: Option<Vec<String>> = values
                .into_iter()
                .map(|v| match v {
                    toml::Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            let Some(texts) = texts.filter(|t| !t.is_empty()) else {
                ctx.line = answer_line;
                ctx.error(wrong_type);
                return None;
            };
            (texts, true)
        }
        _ => {
            ctx.line = answer_line;
            ctx.error(wrong_type);
            return None;
        }
    };
    let distractors_spanned = ctx.require(prompt.distractors.as_ref(), "prompt.distractors")?;
    let distractor_texts = distractors_spanned.get_ref();
    let distractor_line = ctx.lines.line(distractors_spanned.span().start);
    let question_line = ctx.line;
    if distractor_texts.is_empty() {
        ctx.error_at(distractors_spanned, Problem::EmptyDistractors);
    }
    let mut seen: Vec<&str> = Vec::new();
    ctx.line = answer_line;
    for text in &answer_texts {
        if seen.contains(&text.trim()) {
            ctx.error(Problem::DuplicateChoice {
                choice: text.clone(),
            });
        }
        seen.push(text.trim());
    }
    let n_answers = seen.len();
    ctx.line = distractor_line;
    for text in distractor_texts {
        if seen[..n_answers].contains(&text.trim()) {
            ctx.error(Problem::AnswerAmongDistractors {
                answer: text.clone(),
            });
        } else if seen.contains(&text.trim()) {
            ctx.error(Problem::DuplicateChoice {
                choice: text.clone(),
            });
        }
        seen.push(text.trim());
    }
    let layout = match (&prompt.answer_index, prompt.sort_answers) {
        (Some(index_spanned), _) => {
            let index = *index_spanned.get_ref();
            if multi_select {
                ctx.error_at(index_spanned, Problem::AnswerIndexWithMulti);
            }
            let n_choices = answer_texts.len() + distractor_texts.len();
            if index >= n_choices {
                ctx.error_at(
                    index_spanned,
                    Problem::AnswerIndexOutOfRange { index, n_choices },
                );
            }
            ChoiceLayout::AnswerAt(index)
        }
        (None, Some(true)) => ChoiceLayout::Sorted,
        (None, _) => ChoiceLayout::Shuffled,
    };
    ctx.line = answer_line;
    let answers = answer_texts
        .iter()
        .map(|text| ctx.choice(text, "answer.answer"))
        .collect();
    ctx.line = distractor_line;
    let distractors = distractor_texts
        .iter()
        .map(|text| ctx.choice(text, "prompt.distractors"))
        .collect();
    ctx.line = question_line;
    Some(QuestionKind::MultipleChoice {
        answers,
        distractors,
        multi_select,
        layout,
    })
}

fn short_answer(
    ctx: &mut QuestionContext<'_>,
    prompt: &RawPrompt,
    answer: RawAnswer,
) -> Option<QuestionKind> {
    reject_prompt_choice_fields(ctx, prompt);
    if let Some(response) = &prompt.response
        && response != "short"
    {
        ctx.error(Problem::Unsupported {
            what: "a `prompt.response` other than \"short\" (long answers cannot be graded)",
        });
    }
    reject_answer_fields(
        ctx,
        &answer,
        &[
            "tolerance",
            "unit",
            "order",
            "setups",
            "measure",
            "mistakes",
        ],
    );
    let raw_answer = ctx.require(answer.answer, "answer.answer")?;
    let toml::Value::String(expected) = raw_answer.get_ref() else {
        ctx.error_at(
            &raw_answer,
            Problem::WrongAnswerType {
                question_type: "ShortAnswer",
                expected: "a string",
            },
        );
        return None;
    };
    let alternatives = answer.alternatives.unwrap_or_default();
    if std::iter::once(expected)
        .chain(&alternatives)
        .any(|text| text.trim().is_empty())
    {
        ctx.error_at(
            &raw_answer,
            Problem::EmptyText {
                field: "answer.answer",
            },
        );
    }
    Some(QuestionKind::ShortAnswer {
        answer: expected.trim().to_owned(),
        alternatives: alternatives.iter().map(|a| a.trim().to_owned()).collect(),
    })
}

fn numeric(
    ctx: &mut QuestionContext<'_>,
    prompt: &RawPrompt,
    answer: RawAnswer,
) -> Option<QuestionKind> {
    reject_prompt_choice_fields(ctx, prompt);
    ctx.reject(prompt.response.is_some(), "prompt.response");
    reject_answer_fields(
        ctx,
        &answer,
        &["alternatives", "order", "setups", "measure"],
    );
    let raw_answer = ctx.require(answer.answer, "answer.answer")?;
    let Some(expected) = as_number(raw_answer.get_ref()) else {
        ctx.error_at(
            &raw_answer,
            Problem::WrongAnswerType {
                question_type: "Numeric",
                expected: "a number",
            },
        );
        return None;
    };
    if !expected.is_finite() {
        ctx.error_at(
            &raw_answer,
            Problem::BadNumber {
                field: "answer.answer",
                constraint: "",
            },
        );
    }
    let tolerance = match &answer.tolerance {
        None => 0.0,
        Some(value) => match as_number(value.get_ref()) {
            Some(t) if t.is_finite() && t >= 0.0 => t,
            _ => {
                ctx.error_at(
                    value,
                    Problem::BadNumber {
                        field: "answer.tolerance",
                        constraint: " >= 0",
                    },
                );
                0.0
            }
        },
    };
    let unit = answer
        .unit
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    let mut mistakes = Vec::new();
    if let Some(raw) = &answer.mistakes {
        for m in raw.get_ref() {
            let value = as_number(&m.value).filter(|v| v.is_finite());
            match value {
                None => ctx.error_at(
                    raw,
                    Problem::BadNumber {
                        field: "answer.mistakes value",
                        constraint: "",
                    },
                ),
                Some(_) if m.why.trim().is_empty() => {
                    ctx.error_at(raw, Problem::EmptyMistakeWhy);
                }
                // A wrong value the tolerance accepts would be graded right: the question
                // could never show its explanation, and the answer is too loose.
                Some(value) if (value - expected).abs() <= tolerance => ctx.error_at(
                    raw,
                    Problem::ToleranceAdmitsMistake {
                        value: value.to_string(),
                        answer: expected.to_string(),
                        tolerance: tolerance.to_string(),
                    },
                ),
                Some(value) => mistakes.push(NumericMistake {
                    value,
                    why: m.why.trim().to_owned(),
                }),
            }
        }
    }
    Some(QuestionKind::Numeric {
        answer: expected,
        tolerance,
        unit,
        mistakes,
    })
}

fn order(
    ctx: &mut QuestionContext<'_>,
    prompt: &RawPrompt,
    answer: RawAnswer,
) -> Option<QuestionKind> {
    reject_prompt_choice_fields(ctx, prompt);
    ctx.reject(prompt.response.is_some(), "prompt.response");
    reject_answer_fields(
        ctx,
        &answer,
        &[
            "answer",
            "alternatives",
            "tolerance",
            "unit",
            "setups",
            "measure",
            "mistakes",
        ],
    );
    let spanned = ctx.require(answer.order, "answer.order")?;
    let items = ctx.at(&spanned, |ctx| {
        let texts = spanned.get_ref();
        if texts.len() < 2 {
            ctx.error(Problem::TooFewItems);
        }
        let mut seen: Vec<&str> = Vec::new();
        for text in texts {
            if seen.contains(&text.trim()) {
                ctx.error(Problem::DuplicateChoice {
                    choice: text.clone(),
                });
            }
            if text.contains("->") {
                ctx.error(Problem::ArrowInItem);
            }
            seen.push(text.trim());
        }
        texts
            .iter()
            .map(|text| ctx.choice(text, "answer.order"))
            .collect()
    });
    Some(QuestionKind::Order { items })
}

/// A predict question: `answer.setups` (pages and queries), `answer.measure`, and for a
/// numeric measure `answer.tolerance` (relative, `0 < t < 1`). The answer itself is measured at
/// run time; a quiz file that gives `answer.answer` is refused.
fn predict(
    ctx: &mut QuestionContext<'_>,
    question_id: &str,
    prompt: &RawPrompt,
    answer: RawAnswer,
) -> Option<QuestionKind> {
    reject_prompt_choice_fields(ctx, prompt);
    ctx.reject(prompt.response.is_some(), "prompt.response");
    reject_answer_fields(
        ctx,
        &answer,
        &["answer", "alternatives", "unit", "order", "mistakes"],
    );
    let raw_measure = ctx.require(answer.measure, "answer.measure")?;
    let raw_setups = ctx.require(answer.setups, "answer.setups")?;
    let Some(measure) = Measure::from_name(raw_measure.get_ref().trim()) else {
        ctx.error_at(
            &raw_measure,
            Problem::UnknownMeasure {
                question_id: question_id.to_owned(),
                found: raw_measure.get_ref().clone(),
            },
        );
        return None;
    };
    let mut setups = Vec::new();
    for text in raw_setups.get_ref() {
        match SetupRef::parse(text).and_then(|setup| check_workload(&setup).map(|()| setup)) {
            Ok(setup) => setups.push(setup),
            Err(problem) => ctx.error_at(
                &raw_setups,
                Problem::PredictSetup {
                    question_id: question_id.to_owned(),
                    problem,
                },
            ),
        }
    }
    if setups.len() != raw_setups.get_ref().len() {
        return None;
    }
    let (n_needed, compare) = measure.setups_needed();
    let n_compare = setups
        .iter()
        .filter(|s| s.target == SetupTarget::Compare)
        .count();
    let fits = setups.len() == n_needed && n_compare == if compare { n_needed } else { 0 };
    if !fits {
        let needs = match (n_needed, compare) {
            (1, true) => "one compare setup (compare?preset=…)",
            (1, false) => "one simulator setup (gpu?, wse?, ipu?, rdu? or groq?preset=…)",
            _ => "two simulator setups (gpu?, wse?, ipu?, rdu? or groq?preset=…)",
        };
        let found = format!(
            "{} simulator and {n_compare} compare setup(s)",
            setups.len() - n_compare
        );
        ctx.error_at(
            &raw_setups,
            Problem::PredictSetupCount {
                question_id: question_id.to_owned(),
                measure: measure.name(),
                needs,
                found,
            },
        );
        return None;
    }
    let tolerance = match (&answer.tolerance, measure.is_numeric()) {
        (None, false) => 0.0,
        (Some(value), true) => match as_number(value.get_ref()) {
            Some(t) if t.is_finite() && t > 0.0 && t < 1.0 => t,
            _ => {
                ctx.error_at(
                    value,
                    Problem::PredictTolerance {
                        question_id: question_id.to_owned(),
                        problem: "`answer.tolerance` is relative to the engine's value and must be above 0 and below 1 (0.1 accepts within 10 %)",
                    },
                );
                0.0
            }
        },
        (None, true) => {
            ctx.error(Problem::PredictTolerance {
                question_id: question_id.to_owned(),
                problem: "a numeric measure needs `answer.tolerance`, relative to the engine's value (0.1 accepts within 10 %)",
            });
            0.0
        }
        (Some(value), false) => {
            ctx.error_at(
                value,
                Problem::PredictTolerance {
                    question_id: question_id.to_owned(),
                    problem: "`answer.tolerance` is only for numeric measures (cycles, time_us, cycles_ratio)",
                },
            );
            0.0
        }
    };
    Some(QuestionKind::Predict(Predict {
        setups,
        measure,
        tolerance,
    }))
}

/// The workload part of a setup, read by the simulators' own preset parser and workload
/// builder (`sim`): the preset must exist, a size must be a whole number the preset takes, and
/// the builder must accept it. A size left out takes the page's default, which the pages
/// check; it is built as 1 here. The machine's own settings (tiles, tile, mesh…) belong to
/// the app's pages and are checked by the app's native test that runs every predict question.
pub(crate) fn check_workload(setup: &SetupRef) -> Result<(), String> {
    use sim::workload::{Preset, PresetSizes};
    let text = setup.text();
    let mut preset = None;
    let mut sizes = PresetSizes {
        d_in: 1,
        d_out: 1,
        batch: 1,
        seq: 1,
    };
    let mut given: Vec<&str> = Vec::new();
    for pair in setup.query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "preset" {
            preset = Some(Preset::parse(value).ok_or_else(|| {
                format!(
                    "the setup \u{201c}{text}\u{201d} names the preset \u{201c}{value}\u{201d}; choose gemv, mlp, cnn or bert-layer"
                )
            })?);
            continue;
        }
        let slot = match key {
            "d_in" => &mut sizes.d_in,
            "d_out" => &mut sizes.d_out,
            "batch" => &mut sizes.batch,
            "seq" => &mut sizes.seq,
            _ => continue,
        };
        *slot = value.parse().map_err(|_| {
            format!(
                "the setup \u{201c}{text}\u{201d} gives {key}=\u{201c}{value}\u{201d}, which is not a whole number"
            )
        })?;
        given.push(key);
    }
    let Some(preset) = preset else {
        return Err(format!("the setup \u{201c}{text}\u{201d} has no preset"));
    };
    for key in given {
        let takes = match key {
            "d_in" | "d_out" => preset.takes_dims(),
            "batch" => preset.takes_batch(),
            _ => preset.takes_seq(),
        };
        if !takes {
            return Err(format!(
                "the setup \u{201c}{text}\u{201d} gives {key}, which the preset {} does not take",
                preset.as_str()
            ));
        }
    }
    preset.build(&sizes).map(drop).map_err(|e| {
        let why = e.to_string();
        format!(
            "the setup \u{201c}{text}\u{201d} is refused by the simulators: {}",
            why.trim_end_matches('.')
        )
    })
}

fn reject_prompt_choice_fields(ctx: &mut QuestionContext<'_>, prompt: &RawPrompt) {
    ctx.reject(prompt.distractors.is_some(), "prompt.distractors");
    ctx.reject(prompt.answer_index.is_some(), "prompt.answerIndex");
    ctx.reject(prompt.sort_answers.is_some(), "prompt.sortAnswers");
}

fn reject_answer_fields(ctx: &mut QuestionContext<'_>, answer: &RawAnswer, fields: &[&str]) {
    for &field in fields {
        let (present, name) = match field {
            "answer" => (answer.answer.is_some(), "answer.answer"),
            "alternatives" => (answer.alternatives.is_some(), "answer.alternatives"),
            "tolerance" => (answer.tolerance.is_some(), "answer.tolerance"),
            "unit" => (answer.unit.is_some(), "answer.unit"),
            "setups" => (answer.setups.is_some(), "answer.setups"),
            "measure" => (answer.measure.is_some(), "answer.measure"),
            "mistakes" => (answer.mistakes.is_some(), "answer.mistakes"),
            _ => (answer.order.is_some(), "answer.order"),
        };
        ctx.reject(present, name);
    }
}

fn as_number(value: &toml::Value) -> Option<f64> {
    match value {
        toml::Value::Float(f) => Some(*f),
        // Quiz answers are small; i64 → f64 rounding beyond 2^53 is irrelevant here.
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}
