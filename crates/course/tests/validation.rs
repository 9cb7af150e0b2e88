//! One test per validation error, each on a fixture course: `fixtures/valid` with the files of
//! `fixtures/errors/<case>/` laid over it. Each asserts the complete list of errors, so the file,
//! the line and the message are all checked.

mod common;

use std::path::Path;

/// Loads the overlaid fixture `case` and asserts exactly these errors, in order. `{root}` in an
/// expected message stands for the fixture copy's folder.
fn check<const N: usize>(case: &str, expected: [&str; N]) {
    let overlay = common::overlay(case);
    let root = &overlay.root;
    let Err(errors) = common::load(root) else {
        panic!("fixture `{case}` validated, but it should fail");
    };
    let expected: Vec<String> = expected
        .iter()
        .map(|e| e.replace("{root}", &root.display().to_string()))
        .collect();
    assert_eq!(errors, expected, "fixture `{case}`");
}

macro_rules! error_case {
    ($name:ident, $case:literal, [$($expected:expr),+ $(,)?]) => {
        #[test]
        fn $name() {
            check($case, [$($expected),+]);
        }
    };
}

#[test]
fn the_valid_fixture_validates() {
    let course = common::valid_course();
    assert_eq!(course.lessons.len(), 2);
    assert_eq!(course.quizzes.len(), 2);
}

#[test]
fn the_report_lists_every_error_with_a_count() {
    let overlay = common::overlay("broken-lesson");
    let root = &overlay.root;
    let errors = course::build::load_course(&root.join("lessons"), &root.join("public"))
        .expect_err("broken");
    let report = course::build::report(&errors);
    assert!(report.starts_with("4 problems in the course sources:\nlessons/03-broken.md:10: "));
    assert_eq!(report.lines().count(), 5);
}

#[test]
fn an_empty_lessons_folder_is_an_error() {
    let errors = common::load(&common::fixtures().join("no-lessons")).expect_err("no lessons");
    assert_eq!(
        errors,
        ["lessons:1: no lesson files (NN-slug.md) in this folder"]
    );
}

#[test]
fn a_missing_lessons_folder_is_an_error() {
    let errors = common::load(Path::new("/nonexistent-course-root")).expect_err("no folder");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("lessons:1: cannot read: "),
        "{errors:?}"
    );
}

error_case!(
    answer_among_distractors,
    "answer-among-distractors",
    ["lessons/quizzes/03-broken.toml:5: the answer `b` is also listed among the distractors",]
);
error_case!(
    answer_index_out_of_range,
    "answer-index-out-of-range",
    [
        "lessons/quizzes/03-broken.toml:6: `prompt.answerIndex` = 3 is not among the 3 choices (0-based)",
    ]
);
error_case!(
    answer_index_with_multi,
    "answer-index-with-multi",
    ["lessons/quizzes/03-broken.toml:6: `prompt.answerIndex` needs a single answer",]
);
error_case!(
    arrow_in_item,
    "arrow-in-item",
    [
        "lessons/quizzes/03-broken.toml:5: an `answer.order` item cannot contain `->` (the GIFT export uses it)",
    ]
);
error_case!(
    bad_figure_path,
    "bad-figure-path",
    [
        "lessons/03-broken.md:10: figure paths are `figures/<file>` (a file in public/figures/); `../public/figures/diagram.svg` is not",
    ]
);
error_case!(
    bad_file_name,
    "bad-file-name",
    [
        "lessons/3-broken.md:1: a lesson file is named NN-slug.md (two digits, a dash, then lowercase letters, digits and dashes); `3-broken.md` is not",
    ]
);
error_case!(
    bad_quiz_path,
    "bad-quiz-path",
    [
        "lessons/03-broken.md:10: the quiz path must be quizzes/<name>.toml, relative to lessons/; `../quizzes/03-broken.toml` is not",
    ]
);
error_case!(
    bad_source_url,
    "bad-source-url",
    ["lessons/03-broken.md:7: source url `example.org/page` is not an http:// or https:// address",]
);
error_case!(
    bad_tolerance,
    "bad-tolerance",
    ["lessons/quizzes/03-broken.toml:6: `answer.tolerance` must be a finite number >= 0",]
);
error_case!(
    predict_bad_setup,
    "predict-bad-setup",
    [
        "lessons/quizzes/03-broken.toml:5: question `broken-predict`: the setup \u{201c}tpu?preset=mlp\u{201d} names the page \u{201c}tpu\u{201d}; use compare or a simulator: gpu, wse, ipu, rdu or groq",
    ]
);
error_case!(
    predict_unknown_measure,
    "predict-unknown-measure",
    [
        "lessons/quizzes/03-broken.toml:6: question `broken-predict`: there is no measure `speed` (measures: cycles, time_us, cycles_ratio, same_cycles, fastest)",
    ]
);
error_case!(
    predict_setup_count,
    "predict-setup-count",
    [
        "lessons/quizzes/03-broken.toml:5: question `broken-predict`: the measure `cycles_ratio` needs two simulator setups (gpu?, wse?, ipu?, rdu? or groq?preset=…); it has 1 simulator and 0 compare setup(s)",
    ]
);
error_case!(
    predict_tolerance,
    "predict-tolerance",
    [
        "lessons/quizzes/03-broken.toml:7: question `broken-predict`: `answer.tolerance` is relative to the engine's value and must be above 0 and below 1 (0.1 accepts within 10 %)",
    ]
);
error_case!(
    predict_missing_tolerance,
    "predict-missing-tolerance",
    [
        "lessons/quizzes/03-broken.toml:1: question `broken-predict`: a numeric measure needs `answer.tolerance`, relative to the engine's value (0.1 accepts within 10 %)",
    ]
);
error_case!(
    predict_bad_workload,
    "predict-bad-workload",
    [
        "lessons/quizzes/03-broken.toml:5: question `broken-preset`: the setup \u{201c}compare?preset=resnet\u{201d} names the preset \u{201c}resnet\u{201d}; choose gemv, mlp, cnn or bert-layer",
        "lessons/quizzes/03-broken.toml:12: question `broken-size-kind`: the setup \u{201c}ipu?preset=mlp&seq=256\u{201d} gives seq, which the preset mlp does not take",
        "lessons/quizzes/03-broken.toml:20: question `broken-size`: the setup \u{201c}groq?preset=bert-layer&seq=0\u{201d} is refused by the simulators: sequence length must be at least 1, but it is 0",
        "lessons/quizzes/03-broken.toml:28: question `broken-number`: the setup \u{201c}gpu?preset=mlp&batch=four\u{201d} gives batch=\u{201c}four\u{201d}, which is not a whole number",
    ]
);
error_case!(
    predict_answer_given,
    "predict-answer-given",
    ["lessons/quizzes/03-broken.toml:1: `answer.answer` is not used by Predict questions",]
);
error_case!(
    tolerance_admits_mistake,
    "tolerance-admits-mistake",
    [
        "lessons/quizzes/03-broken.toml:7: `answer.mistakes` lists 11, but the tolerance ± 2 around the answer 10 accepts it: tighten the tolerance or drop the mistake",
        "lessons/quizzes/03-broken.toml:7: each of `answer.mistakes` needs a `why`: the slip that leads to that number",
    ]
);
error_case!(
    bad_sim_preset,
    "bad-sim-preset",
    [
        "lessons/03-broken.md:10: the `sim wse` embed: the setup \u{201c}wse?preset=resnet\u{201d} names the preset \u{201c}resnet\u{201d}; choose gemv, mlp, cnn or bert-layer",
        "lessons/03-broken.md:13: the `sim groq` embed: the setup \u{201c}groq?preset=mlp&seq=256\u{201d} gives seq, which the preset mlp does not take",
        "lessons/03-broken.md:16: the `compare` embed: the setup \u{201c}compare?preset=bert-layer&seq=0\u{201d} is refused by the simulators: sequence length must be at least 1, but it is 0",
    ]
);
error_case!(
    bad_widget_arg,
    "bad-widget-arg",
    [
        "lessons/03-broken.md:10: widget argument `preset` is not key=value (letters, digits, `-`, `_` and `.`, nothing empty)",
    ]
);
error_case!(
    duplicate_choice,
    "duplicate-choice",
    ["lessons/quizzes/03-broken.toml:5: the choice `a` is listed twice",]
);
error_case!(
    duplicate_order_item,
    "duplicate-order-item",
    ["lessons/quizzes/03-broken.toml:5: the choice `fetch` is listed twice",]
);
error_case!(
    unsourced_figure,
    "unsourced-figure",
    [
        "lessons/03-broken.md:16: the figure `1.1 GHz` has no source on its line: cite one ([^id]) or say what it is derived from (\"derived from …\")",
        "lessons/03-broken.md:23: the figure `176.28 s` has no source on its line: cite one ([^id]) or say what it is derived from (\"derived from …\")",
    ]
);
error_case!(
    duplicate_order,
    "duplicate-order",
    ["lessons/03-other.md:4: order 3 is also used by lessons/03-broken.md",]
);
error_case!(
    duplicate_question_id,
    "duplicate-question-id",
    [
        "lessons/quizzes/03-broken.toml:1: question id `intro-colors` is also used at lessons/quizzes/01-intro.toml:1",
    ]
);
error_case!(
    duplicate_slug,
    "duplicate-slug",
    ["lessons/03-intro.md:1: the slug `intro` is also used by lessons/01-intro.md",]
);
error_case!(
    duplicate_source_id,
    "duplicate-source-id",
    ["lessons/03-broken.md:11: source id `s` is used twice",]
);
error_case!(
    duplicate_widget_arg,
    "duplicate-widget-arg",
    ["lessons/03-broken.md:10: widget argument `preset` is given twice",]
);
error_case!(
    empty_distractors,
    "empty-distractors",
    [
        "lessons/quizzes/03-broken.toml:5: `prompt.distractors` is empty: a MultipleChoice question needs at least one wrong choice",
    ]
);
error_case!(
    empty_objectives,
    "empty-objectives",
    ["lessons/03-broken.md:5: front matter: `objectives` is empty",]
);
error_case!(
    empty_prompt,
    "empty-prompt",
    ["lessons/quizzes/03-broken.toml:4: `prompt.prompt` is empty",]
);
error_case!(
    empty_title,
    "empty-title",
    ["lessons/03-broken.md:2: front matter: `title` is empty",]
);
error_case!(
    field_not_for_type,
    "field-not-for-type",
    [
        "lessons/quizzes/03-broken.toml:1: `answer.tolerance` is not used by MultipleChoice questions",
    ]
);
error_case!(
    figure_not_alone,
    "figure-not-alone",
    ["lessons/03-broken.md:10: an image must be alone in its paragraph (it becomes a figure)",]
);
error_case!(
    footnote_definition,
    "footnote-definition",
    [
        "lessons/03-broken.md:16: footnote definitions are not used: put the reference in the front matter's [[sources]] and cite it as [^id]",
    ]
);
error_case!(
    front_matter_missing_field,
    "front-matter-missing-field",
    ["lessons/03-broken.md:2: front matter: missing field `summary`",]
);
error_case!(
    front_matter_syntax,
    "front-matter-syntax",
    ["lessons/03-broken.md:2: front matter: invalid basic string, expected `\"`",]
);
error_case!(
    front_matter_unknown_key,
    "front-matter-unknown-key",
    [
        "lessons/03-broken.md:5: front matter: unknown field `objective`, expected one of `title`, `summary`, `order`, `objectives`, `prerequisites`, `sources`",
    ]
);
error_case!(
    heading_in_quiz,
    "heading-in-quiz",
    ["lessons/quizzes/03-broken.toml:4: a heading cannot appear in quiz text",]
);
error_case!(
    later_prerequisite,
    "later-prerequisite",
    [
        "lessons/03-broken.md:6: prerequisite `broken` does not come before this lesson in course order",
    ]
);
error_case!(
    long_widget_caption,
    "long-widget-caption",
    ["lessons/03-broken.md:10: a widget's caption is one line; this one has 2",]
);
error_case!(
    missing_alt,
    "missing-alt",
    [
        "lessons/03-broken.md:10: figure `figures/diagram.svg` needs alt text: ![what the figure shows](figures/diagram.svg)",
    ]
);
error_case!(
    missing_distractors,
    "missing-distractors",
    ["lessons/quizzes/03-broken.toml:1: a MultipleChoice question needs `prompt.distractors`",]
);
error_case!(
    missing_figure,
    "missing-figure",
    [
        "lessons/03-broken.md:10: figure `figures/missing.svg` does not exist (looked for {root}/public/figures/missing.svg)",
    ]
);
error_case!(
    missing_front_matter,
    "missing-front-matter",
    ["lessons/03-broken.md:1: a lesson starts with a `+++` line opening its TOML front matter",]
);
error_case!(
    missing_prompt,
    "missing-prompt",
    ["lessons/quizzes/03-broken.toml:1: a MultipleChoice question needs `prompt.prompt`",]
);
error_case!(
    missing_question_id,
    "missing-question-id",
    ["lessons/quizzes/03-broken.toml:1: every question needs an `id`, unique across the course",]
);
error_case!(
    missing_quiz_file,
    "missing-quiz-file",
    ["lessons/03-broken.md:10: quiz file `quizzes/03-nowhere.toml` does not exist",]
);
error_case!(
    multipart_unsupported,
    "multipart-unsupported",
    ["lessons/quizzes/03-broken.toml:9: `multipart` (grouped questions) is not supported here",]
);
error_case!(
    no_questions,
    "no-questions",
    ["lessons/quizzes/03-broken.toml:1: the quiz has no [[questions]]",]
);
error_case!(
    order_mismatch,
    "order-mismatch",
    [
        "lessons/03-broken.md:4: front matter: order = 4, but the file name starts with 03; make them equal",
    ]
);
error_case!(
    quiz_included_twice,
    "quiz-included-twice",
    ["lessons/03-broken.md:10: quiz `02-second` is already included at lessons/02-second.md:13",]
);
error_case!(
    quiz_not_included,
    "quiz-not-included",
    [
        "lessons/quizzes/09-orphan.toml:1: no lesson includes this quiz: add {{#quiz quizzes/09-orphan.toml}} to a lesson",
    ]
);
error_case!(
    quiz_toml_syntax,
    "quiz-toml-syntax",
    ["lessons/quizzes/03-broken.toml:4: invalid basic string, expected `\"`",]
);
error_case!(
    quiz_unknown_key,
    "quiz-unknown-key",
    [
        "lessons/quizzes/03-broken.toml:5: unknown field `distractor`, expected one of `prompt`, `distractors`, `answerIndex`, `sortAnswers`, `response`, `program`",
    ]
);
error_case!(
    raw_html,
    "raw-html",
    [
        "lessons/03-broken.md:12: raw HTML is not rendered: write Markdown instead (HTML comments are fine)",
    ]
);
error_case!(
    several_mistakes,
    "broken-lesson",
    [
        "lessons/03-broken.md:10: citation [^nobody] names no [[sources]] entry (sources: this lesson has none)",
        "lessons/03-broken.md:11: link to lesson `nowhere`, which does not exist (lessons: intro, second, broken)",
        "lessons/03-broken.md:13: figure `figures/missing.svg` does not exist (looked for {root}/public/figures/missing.svg)",
        "lessons/03-broken.md:15: `sim` needs an architecture first: one of gpu, wse, ipu, rdu, groq (found `tpu`)",
    ]
);
error_case!(
    too_few_items,
    "too-few-items",
    ["lessons/quizzes/03-broken.toml:5: `answer.order` needs at least two items",]
);
error_case!(
    tracing_unsupported,
    "tracing-unsupported",
    [
        "lessons/quizzes/03-broken.toml:3: the `Tracing` question type (it is about Rust programs) is not supported here",
    ]
);
error_case!(
    unclosed_front_matter,
    "unclosed-front-matter",
    ["lessons/03-broken.md:1: the front matter opened on line 1 is never closed by a `+++` line",]
);
error_case!(
    unknown_anchor_link,
    "unknown-anchor-link",
    [
        "lessons/03-broken.md:10: link to `#no-such-heading` in lesson `intro`, which has no such heading (its anchors: first-section, a-later-section, first-section-2)",
    ]
);
error_case!(
    unknown_citation,
    "unknown-citation",
    ["lessons/03-broken.md:15: citation [^nobody] names no [[sources]] entry (sources: s)",]
);
error_case!(
    unknown_code_language,
    "unknown-code-language",
    [
        "lessons/03-broken.md:10: unknown code language `pyhton` (known: rust, python, bash, text, toml, yaml, console, json, sh, c, cpp)",
    ]
);
error_case!(
    unknown_directive,
    "unknown-directive",
    [
        "lessons/03-broken.md:10: unknown directive `{{#include other.md}}`: the only one is {{#quiz quizzes/NN-slug.toml}} on its own line",
    ]
);
error_case!(
    unknown_lab,
    "unknown-lab",
    [
        "lessons/03-broken.md:10: `lab` needs a lab name first: one of mnist, cerebras-batch, groq-input, sambanova-ntasks (found `cifar`)",
    ]
);
error_case!(
    unknown_lesson_link,
    "unknown-lesson-link",
    [
        "lessons/03-broken.md:10: link to lesson `homework`, which does not exist (lessons: intro, second, broken)",
    ]
);
error_case!(
    unknown_local_anchor,
    "unknown-local-anchor",
    [
        "lessons/03-broken.md:10: link to `#below` in lesson `broken`, which has no such heading (its anchors: only-section)",
    ]
);
error_case!(
    unknown_prerequisite,
    "unknown-prerequisite",
    [
        "lessons/03-broken.md:6: prerequisite `nowhere` is not a lesson (lessons: intro, second, broken)",
    ]
);
error_case!(
    unknown_question_type,
    "unknown-question-type",
    [
        "lessons/quizzes/03-broken.toml:3: unknown question type `TrueFalse` (types: MultipleChoice, ShortAnswer, Numeric, Order, Predict)",
    ]
);
error_case!(
    unknown_sim_arch,
    "unknown-sim-arch",
    [
        "lessons/03-broken.md:10: `sim` needs an architecture first: one of gpu, wse, ipu, rdu, groq (found `tpu`)",
    ]
);
error_case!(
    unknown_widget,
    "unknown-widget",
    ["lessons/03-broken.md:10: unknown widget `chart` (widgets: sim, lab)",]
);
error_case!(
    unsupported_link,
    "unsupported-link",
    [
        "lessons/03-broken.md:10: link target `../README.md` is not https://…, http://…, mailto:…, lesson:slug, lesson:slug#anchor or #anchor",
    ]
);
error_case!(
    wrong_answer_type,
    "wrong-answer-type",
    [
        "lessons/quizzes/03-broken.toml:6: `answer.answer` of a MultipleChoice question must be a string, or an array of strings for several right answers",
    ]
);
