//! Export of quizzes to Moodle's GIFT format, so instructors can import them into an LMS.
//!
//! Every question becomes one GIFT question with its id as the title, its prompt as Markdown
//! (`[markdown]`) and its explanation as general feedback (`####`):
//!
//! | here | GIFT |
//! |---|---|
//! | MultipleChoice, one answer | `{=right ~wrong ~wrong}` |
//! | MultipleChoice, several answers | `{~%50%a ~%50%b ~%-100%wrong}` (weights from Moodle's list) |
//! | ShortAnswer | `{=answer =alternative}` |
//! | Numeric | `{#answer:tolerance}`, the unit added to the prompt |
//! | Order | matching: `{=first step -> 1 =second step -> 2}` |
//! | Predict | left out, with a `//` comment line naming it |
//!
//! A predict question has no answer to export: its answer is what the simulator measures when
//! the learner runs it in the page, and an LMS cannot run the simulator. Exporting a number
//! computed once would turn it into a plain numeric question that no longer says where the
//! number comes from, so the file keeps a comment in its place instead.

use std::fmt::Write as _;

use crate::model::Course;
use crate::quiz::{Question, QuestionKind, Quiz};

/// The GIFT text of every quiz in the course, each under a `$CATEGORY:` line.
pub fn course_to_gift(course: &Course) -> String {
    let mut out = String::new();
    for quiz in &course.quizzes {
        out.push_str(&quiz_to_gift(quiz));
        out.push('\n');
    }
    out
}

/// The file name to save one quiz's GIFT under, e.g. `testbed-lab-02-cerebras-wse.gift` (used by
/// the quiz's download button and by `cargo xtask gift`).
pub fn quiz_file_name(quiz: &Quiz) -> String {
    format!("testbed-lab-{}.gift", quiz.id)
}

/// The GIFT text of one quiz: a `$CATEGORY:` line, then the questions separated by blank lines.
pub fn quiz_to_gift(quiz: &Quiz) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; `let _` keeps the formatting macros terse.
    let _ = writeln!(out, "// Testbed Lab quiz {}", quiz.id);
    let _ = writeln!(out, "$CATEGORY: $course$/Testbed Lab/{}", quiz.id);
    for question in &quiz.questions {
        out.push('\n');
        out.push_str(&question_to_gift(question));
        out.push('\n');
    }
    out
}

/// One question in GIFT, without a trailing newline (a `//` comment for a predict question).
pub fn question_to_gift(question: &Question) -> String {
    if let QuestionKind::Predict(_) = question.kind {
        return format!(
            "// {}: a Predict question, left out: its answer is what Testbed Lab's simulator measures when it is run in the page.",
            question.id.replace('\n', " ")
        );
    }
    let mut prompt = strip_lesson_links(question.prompt.markdown.trim());
    let answers = match &question.kind {
        QuestionKind::MultipleChoice {
            answers,
            distractors,
            multi_select,
            ..
        } => {
            let mut parts = Vec::new();
            if *multi_select {
                let weight = moodle_weight(answers.len());
                for answer in answers {
                    parts.push(format!("~%{weight}%{}", escape(&answer.markdown)));
                }
                for distractor in distractors {
                    parts.push(format!("~%-100%{}", escape(&distractor.markdown)));
                }
            } else {
                for answer in answers {
                    parts.push(format!("={}", escape(&answer.markdown)));
                }
                for distractor in distractors {
                    parts.push(format!("~{}", escape(&distractor.markdown)));
                }
            }
            parts.join(" ")
        }
        QuestionKind::ShortAnswer {
            answer,
            alternatives,
        } => std::iter::once(answer)
            .chain(alternatives)
            .map(|accepted| format!("={}", escape(accepted)))
            .collect::<Vec<_>>()
            .join(" "),
        QuestionKind::Numeric {
            answer,
            tolerance,
            unit,
            ..
        } => {
            if let Some(unit) = unit {
                let _ = write!(prompt, "\n\n(Answer in {unit}.)");
            }
            format!("#{answer}:{tolerance}")
        }
        // Returned above.
        QuestionKind::Predict(_) => String::new(),
        QuestionKind::Order { items } => {
            prompt.push_str("\n\n(Match each item to its position: 1 is first.)");
            items
                .iter()
                .enumerate()
                .map(|(position, item)| format!("={} -> {}", escape(&item.markdown), position + 1))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let feedback = question
        .context
        .as_ref()
        .map(|context| {
            let context = strip_lesson_links(context.markdown.trim());
            format!(" ####[markdown]{}", escape(&context))
        })
        .unwrap_or_default();
    format!(
        "::{}::[markdown]{} {{{answers}{feedback}}}",
        escape(&question.id),
        escape(&prompt)
    )
}

/// `[text](lesson:slug#anchor)` → `text`: links into this site mean nothing in an LMS.
pub fn strip_lesson_links(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(link_idx) = rest.find("](lesson:") {
        let close = rest[link_idx..].find(')').map(|i| link_idx + i);
        let open = rest[..link_idx].rfind('[');
        let (Some(open), Some(close)) = (open, close) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..link_idx]);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Moodle accepts only listed grade fractions on import; `1/n` is listed for `n` up to 10, and
/// the course never has more than a few correct choices. Beyond 10 the nearest listed value is 5.
fn moodle_weight(n_answers: usize) -> &'static str {
    match n_answers {
        0 | 1 => "100",
        2 => "50",
        3 => "33.33333",
        4 => "25",
        5 => "20",
        6 => "16.66667",
        7 => "14.28571",
        8 => "12.5",
        9 => "11.11111",
        10 => "10",
        _ => "5",
    }
}

/// Escapes GIFT's special characters (`~ = # { } :` and `\`) and writes newlines as `\n`, so a
/// multi-line Markdown prompt stays one GIFT question (a blank line would end it).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '~' | '=' | '#' | '{' | '}' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}
