//! Grading each question kind, choice presentation, and a quiz attempt.

mod common;

use course::{
    Choice, ChoiceLayout, ChoiceMark, Feedback, Question, QuestionKind, QuizAttempt, Response,
    ResponseError, RichText, Score, grade,
};
use proptest::prelude::*;

fn choice(text: &str) -> Choice {
    Choice {
        markdown: text.to_owned(),
        inlines: vec![course::Inline::Text(text.to_owned())],
    }
}

fn question(kind: QuestionKind) -> Question {
    Question {
        id: "q".to_owned(),
        prompt: RichText {
            markdown: "?".to_owned(),
            blocks: Vec::new(),
        },
        context: None,
        kind,
    }
}

fn multiple_choice(n_answers: usize, n_distractors: usize, layout: ChoiceLayout) -> Question {
    question(QuestionKind::MultipleChoice {
        answers: (0..n_answers)
            .map(|i| choice(&format!("right {i}")))
            .collect(),
        distractors: (0..n_distractors)
            .map(|i| choice(&format!("wrong {i}")))
            .collect(),
        multi_select: n_answers > 1,
        layout,
    })
}

fn numeric() -> Question {
    question(QuestionKind::Numeric {
        answer: 6715.0,
        tolerance: 50.0,
        unit: Some("samples/s".to_owned()),
        mistakes: vec![course::NumericMistake {
            value: 0.149,
            why: "That is seconds per thousand samples.".to_owned(),
        }],
    })
}

fn short_answer() -> Question {
    question(QuestionKind::ShortAnswer {
        answer: "wavelet".to_owned(),
        alternatives: vec!["a wavelet".to_owned()],
    })
}

fn order(n_items: usize) -> Question {
    question(QuestionKind::Order {
        items: (0..n_items).map(|i| choice(&format!("step {i}"))).collect(),
    })
}

/// Grades and returns right/wrong, or the input error.
fn check(question: &Question, response: Response) -> Result<bool, ResponseError> {
    grade(question, &response).map(|graded| graded.correct)
}

fn text(s: &str) -> Response {
    Response::Text(s.to_owned())
}

#[test]
fn single_answer_multiple_choice() {
    let q = multiple_choice(1, 2, ChoiceLayout::Shuffled);
    assert_eq!(check(&q, Response::Choices(vec![0])), Ok(true));
    assert_eq!(check(&q, Response::Choices(vec![2])), Ok(false));
    assert_eq!(
        check(&q, Response::Choices(vec![])),
        Err(ResponseError::NothingSelected)
    );
    assert_eq!(
        check(&q, Response::Choices(vec![0, 1])),
        Err(ResponseError::SelectOne)
    );
    assert_eq!(
        check(&q, Response::Choices(vec![3])),
        Err(ResponseError::BadIndices)
    );
}

#[test]
fn multi_select_needs_exactly_the_right_set() {
    let q = multiple_choice(2, 2, ChoiceLayout::Shuffled);
    assert_eq!(check(&q, Response::Choices(vec![1, 0])), Ok(true));
    assert_eq!(check(&q, Response::Choices(vec![0])), Ok(false));
    assert_eq!(check(&q, Response::Choices(vec![0, 1, 3])), Ok(false));
    let graded = grade(&q, &Response::Choices(vec![0, 3])).expect("gradable");
    assert_eq!(
        graded.feedback,
        Feedback::Choices {
            marks: vec![
                ChoiceMark::SelectedCorrect,
                ChoiceMark::MissedCorrect,
                ChoiceMark::NotSelected,
                ChoiceMark::SelectedWrong,
            ]
        }
    );
}

#[test]
fn short_answers_ignore_case_and_spacing_and_accept_alternatives() {
    let q = short_answer();
    assert_eq!(check(&q, text("wavelet")), Ok(true));
    assert_eq!(check(&q, text("  WaveLet ")), Ok(true));
    assert_eq!(check(&q, text("a   wavelet")), Ok(true));
    assert_eq!(check(&q, text("packet")), Ok(false));
    assert_eq!(check(&q, text("   ")), Err(ResponseError::Empty));
}

#[test]
fn numeric_answers_within_tolerance_with_or_without_unit() {
    let q = numeric();
    for (input, expected) in [
        ("6715", Ok(true)),
        ("6765", Ok(true)),
        ("6766", Ok(false)),
        ("6,715", Ok(true)),
        ("6 715", Ok(true)),
        ("6715 samples/s", Ok(true)),
        ("6.7e3", Ok(true)),
        ("1e3", Ok(false)),
        ("", Err(ResponseError::Empty)),
        ("samples/s", Err(ResponseError::Empty)),
    ] {
        assert_eq!(check(&q, text(input)), expected, "input {input:?}");
    }
    for input in ["lots", "inf", "NaN", "6,71,5"] {
        assert!(
            matches!(
                check(&q, text(input)),
                Err(ResponseError::NotANumber { .. })
            ),
            "input {input:?}"
        );
    }
    assert_eq!(course::grade::parse_number("0,05", None), Ok(0.05));
    assert_eq!(course::grade::parse_number("1,500.5", None), Ok(1500.5));
}

#[test]
fn numeric_feedback_reports_what_was_understood() {
    let graded = grade(&numeric(), &text("6,800")).expect("gradable");
    assert!(!graded.correct);
    assert_eq!(
        graded.feedback,
        Feedback::Numeric {
            given: 6800.0,
            expected: 6715.0,
            tolerance: 50.0,
            unit: Some("samples/s".to_owned()),
            mistake: None,
        }
    );
}

#[test]
fn a_known_wrong_number_gets_its_explanation_and_a_right_one_never_does() {
    let mistake = |input: &str| match grade(&numeric(), &text(input)).expect("gradable").feedback {
        Feedback::Numeric { mistake, .. } => mistake,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        mistake("0.149").as_deref(),
        Some("That is seconds per thousand samples.")
    );
    assert_eq!(mistake("6,700"), None);
    assert_eq!(mistake("12"), None);
}

#[test]
fn ordering_is_right_only_in_the_exact_order() {
    let q = order(4);
    assert_eq!(check(&q, Response::Order(vec![0, 1, 2, 3])), Ok(true));
    let graded = grade(&q, &Response::Order(vec![0, 2, 1, 3])).expect("gradable");
    assert!(!graded.correct);
    assert_eq!(
        graded.feedback,
        Feedback::Order {
            in_place: vec![true, false, false, true]
        }
    );
    assert_eq!(
        check(&q, Response::Order(vec![0, 1, 2])),
        Err(ResponseError::BadIndices)
    );
    assert_eq!(
        check(&q, Response::Order(vec![0, 0, 1, 2])),
        Err(ResponseError::BadIndices)
    );
}

#[test]
fn a_response_of_the_wrong_kind_is_an_input_error() {
    assert_eq!(
        check(&numeric(), Response::Choices(vec![0])),
        Err(ResponseError::WrongKind {
            question_type: "Numeric"
        })
    );
}

#[test]
fn fixed_and_sorted_layouts() {
    let at = multiple_choice(1, 3, ChoiceLayout::AnswerAt(2));
    assert_eq!(at.presentation_order(7), [1, 2, 0, 3]);
    let sorted = question(QuestionKind::MultipleChoice {
        answers: vec![choice("b")],
        distractors: vec![choice("c"), choice("a")],
        multi_select: false,
        layout: ChoiceLayout::Sorted,
    });
    assert_eq!(sorted.presentation_order(7), [2, 0, 1]);
}

#[test]
fn the_same_seed_gives_the_same_shuffle() {
    let q = multiple_choice(1, 5, ChoiceLayout::Shuffled);
    let seed = course::shuffle_seed("q", 0);
    assert_eq!(q.presentation_order(seed), q.presentation_order(seed));
    // Over a few tries, the shuffle changes.
    let orders: std::collections::BTreeSet<Vec<usize>> = (0..8)
        .map(|n_try| q.presentation_order(course::shuffle_seed("q", n_try)))
        .collect();
    assert!(orders.len() > 1);
}

proptest! {
    #[test]
    fn presentation_is_a_permutation_and_order_questions_start_unsolved(
        n_items in 2_usize..9,
        seed in any::<u64>(),
    ) {
        let mut shown = order(n_items).presentation_order(seed);
        prop_assert!(shown.iter().enumerate().any(|(i, &item)| i != item));
        shown.sort_unstable();
        prop_assert_eq!(shown, (0..n_items).collect::<Vec<_>>());
        let mut choices = multiple_choice(2, n_items, ChoiceLayout::Shuffled).presentation_order(seed);
        choices.sort_unstable();
        prop_assert_eq!(choices, (0..n_items + 2).collect::<Vec<_>>());
    }

    #[test]
    fn grading_typed_text_never_panics(input in ".{0,40}") {
        // Any text is either graded or refused with a message, for both text kinds.
        let understood = match grade(&numeric(), &Response::Text(input.clone())) {
            Ok(graded) => matches!(graded.feedback, Feedback::Numeric { given, .. } if given.is_finite()),
            Err(e) => matches!(e, ResponseError::Empty | ResponseError::NotANumber { .. }),
        };
        prop_assert!(understood);
        let short = grade(&short_answer(), &Response::Text(input.clone()));
        prop_assert_eq!(short.is_err(), input.trim().is_empty());
    }
}

#[test]
fn pass_mark_is_seventy_percent() {
    let score = |n_correct, n_questions| Score {
        n_correct,
        n_questions,
    };
    assert!(score(7, 10).passes());
    assert!(!score(6, 10).passes());
    assert!(score(3, 4).passes());
    assert!(!score(2, 3).passes());
    assert!(!score(0, 0).passes());
    assert_eq!(score(2, 3).percent(), 66);
}

#[test]
fn an_attempt_answers_scores_and_retries() {
    let course = common::valid_course();
    let quiz = course.quiz("01-intro").expect("quiz");
    let mut attempt = QuizAttempt::new(quiz);
    assert!(!attempt.is_complete());
    let graded = attempt
        .answer(quiz, 0, Response::Choices(vec![0]))
        .expect("gradable");
    assert!(graded.correct);
    assert_eq!(
        attempt.answer(quiz, 1, Response::Choices(vec![])),
        Err(ResponseError::NothingSelected)
    );
    attempt
        .answer(quiz, 1, Response::Choices(vec![2]))
        .expect("gradable");
    attempt.answer(quiz, 2, text("Wavelet")).expect("gradable");
    assert!(attempt.is_complete());
    assert_eq!(
        attempt.score(),
        Score {
            n_correct: 2,
            n_questions: 3
        }
    );
    let seed_before = attempt.shuffle_seed(quiz, 1);
    attempt.retry(1);
    assert!(!attempt.is_complete());
    assert_ne!(attempt.shuffle_seed(quiz, 1), seed_before);
    attempt
        .answer(quiz, 1, Response::Choices(vec![0, 1]))
        .expect("gradable");
    assert_eq!(attempt.score().n_correct, 3);
    assert_eq!(
        attempt.answer(quiz, 9, text("x")),
        Err(ResponseError::BadIndices)
    );
    attempt.retry_all();
    assert_eq!(attempt.score().n_correct, 0);
}

fn predict(measure: course::Measure, setups: &[&str], tolerance: f64) -> Question {
    question(QuestionKind::Predict(course::Predict {
        setups: setups
            .iter()
            .map(|s| course::SetupRef::parse(s).expect("a setup"))
            .collect(),
        measure,
        tolerance,
    }))
}

#[test]
fn a_predicted_number_is_right_within_its_relative_tolerance() {
    use course::{Measure, PredictValue, grade_prediction};
    let q = predict(
        Measure::CyclesRatio,
        &["ipu?preset=mlp&batch=4", "ipu?preset=mlp&batch=8"],
        0.1,
    );
    let engine = PredictValue::Number(2.0);
    // Edges: 10 % of 2.0 is 0.2, so 1.8 and 2.2 are right, just beyond them wrong.
    for (typed, right) in [
        ("2", true),
        ("1.8", true),
        ("2.2", true),
        ("2.2 ×", true),
        ("1.79", false),
        ("2.21", false),
        ("4", false),
    ] {
        let graded = grade_prediction(&q, &Response::Text(typed.into()), &engine).expect("graded");
        assert_eq!(graded.correct, right, "{typed}");
        assert_eq!(
            graded.feedback,
            Feedback::Predict {
                given: PredictValue::Number(typed.trim_end_matches(" ×").parse().unwrap()),
                engine: engine.clone(),
                tolerance: 0.1,
                unit: Some("×".into()),
            }
        );
    }
    // The tolerance is relative: around 4,000 cycles, 10 % is 400.
    let cycles = predict(Measure::Cycles, &["gpu?preset=mlp"], 0.1);
    let engine = PredictValue::Number(4_000.0);
    let right = |typed: &str| {
        grade_prediction(&cycles, &Response::Text(typed.into()), &engine)
            .expect("graded")
            .correct
    };
    assert!(right("4,400 cycles"));
    assert!(right("3600"));
    assert!(!right("4401"));
    assert!(!right("3599"));
}

#[test]
fn a_predicted_choice_must_match_the_engine() {
    use course::{Measure, PredictValue, SimArch, grade_prediction};
    let fastest = predict(Measure::Fastest, &["compare?preset=bert-layer"], 0.0);
    let groq_idx = SimArch::ALL
        .iter()
        .position(|a| *a == SimArch::Groq)
        .expect("groq");
    let engine = PredictValue::Machines(vec![SimArch::Groq]);
    let graded = |idx: usize, engine: &PredictValue| {
        grade_prediction(&fastest, &Response::Choices(vec![idx]), engine).map(|g| g.correct)
    };
    assert_eq!(graded(groq_idx, &engine), Ok(true));
    assert_eq!(graded(0, &engine), Ok(false));
    // A tie: either machine is right.
    let tie = PredictValue::Machines(vec![SimArch::Gpu, SimArch::Groq]);
    assert_eq!(graded(0, &tie), Ok(true));
    assert_eq!(graded(groq_idx, &tie), Ok(true));
    assert_eq!(graded(1, &tie), Ok(false));

    let same = predict(
        Measure::SameCycles,
        &["ipu?preset=mlp&chip=bow", "ipu?preset=mlp&chip=gc200"],
        0.0,
    );
    let yes = Response::Choices(vec![0]);
    let no = Response::Choices(vec![1]);
    let engine = PredictValue::YesNo(true);
    assert!(
        grade_prediction(&same, &yes, &engine)
            .expect("graded")
            .correct
    );
    assert!(
        !grade_prediction(&same, &no, &engine)
            .expect("graded")
            .correct
    );
}

#[test]
fn a_prediction_that_cannot_be_graded_is_an_input_error() {
    use course::{Measure, PredictValue, grade_prediction};
    let q = predict(Measure::Cycles, &["gpu?preset=mlp"], 0.1);
    let engine = PredictValue::Number(10.0);
    let error = |response: Response, engine: &PredictValue| {
        grade_prediction(&q, &response, engine).expect_err("an input error")
    };
    assert_eq!(
        error(Response::Text(" ".into()), &engine),
        ResponseError::Empty
    );
    assert!(matches!(
        error(Response::Text("lots".into()), &engine),
        ResponseError::NotANumber { .. }
    ));
    assert!(matches!(
        error(Response::Choices(vec![0]), &engine),
        ResponseError::WrongKind { .. }
    ));
    // A stale or wrong engine result is refused, not graded.
    assert_eq!(
        error(Response::Text("10".into()), &PredictValue::YesNo(true)),
        ResponseError::EngineMismatch
    );
    assert_eq!(
        error(Response::Text("10".into()), &PredictValue::Number(f64::NAN)),
        ResponseError::EngineMismatch
    );
    // Without the engine, a predict question is not graded at all.
    assert_eq!(
        grade(&q, &Response::Text("10".into())),
        Err(ResponseError::NeedsTheEngine)
    );
    let same = predict(
        Measure::SameCycles,
        &["gpu?preset=mlp", "gpu?preset=gemv"],
        0.0,
    );
    let e = |r: Response| {
        grade_prediction(&same, &r, &PredictValue::YesNo(true)).expect_err("an input error")
    };
    assert_eq!(e(Response::Choices(vec![])), ResponseError::NothingSelected);
    assert_eq!(e(Response::Choices(vec![0, 1])), ResponseError::SelectOne);
    assert_eq!(e(Response::Choices(vec![2])), ResponseError::BadIndices);
}

#[test]
fn an_attempt_records_a_graded_prediction() {
    use course::PredictValue;
    let course = common::valid_course();
    let quiz = course.quiz("02-second").expect("quiz");
    let idx = quiz
        .questions
        .iter()
        .position(|q| q.id == "second-predict")
        .expect("the predict question");
    let mut attempt = QuizAttempt::new(quiz);
    assert_eq!(
        attempt.answer(quiz, idx, Response::Text("1.1".into())),
        Err(ResponseError::NeedsTheEngine)
    );
    let graded = attempt
        .answer_prediction(
            quiz,
            idx,
            Response::Text("1.1".into()),
            &PredictValue::Number(1.126),
        )
        .expect("graded");
    assert!(graded.correct);
    assert_eq!(attempt.score().n_correct, 1);
}
