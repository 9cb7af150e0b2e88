//! The self-check quiz: every question kind the course has (single choice, select all, short
//! answer, numeric with a unit, ordering, predict-then-run), answer → check → right or wrong
//! with the explanation → try again, a score per quiz, and the result saved to progress. Works
//! by keyboard; each question is a labelled fieldset and its feedback an `aria-live` region.
//!
//! A predict question (`predict.rs`) is committed instead of checked: the prediction is saved
//! to progress, the simulation worker runs the question's setups, and the answer it measured
//! grades the prediction. A prediction kept from an earlier visit is shown locked, with a
//! button to run it; one that no longer fits the question is a sentence.

use course::{
    Choice, ChoiceMark, Feedback, Graded, PASS_PERCENT, Question, QuestionKind, Quiz, QuizAttempt,
    Response, ResponseError, Score, gift, plain_text,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::lesson::body::{render_blocks, render_inlines};
use crate::components::lesson::predict::{
    RunState, current_response, predict_controls, predict_feedback, predict_instruction,
    predict_status, stale_prediction_sentence, use_predict_run,
};
use crate::course_data::use_course;
use crate::files::download_text;
use crate::progress_store::use_progress;

/// What a person is told when a response cannot be graded: the engine's phrase as a sentence.
pub fn response_error_sentence(error: &ResponseError) -> String {
    let sentence = crate::text::capitalised(&error.to_string());
    if sentence.ends_with(['.', '!', '?', ')']) {
        sentence
    } else {
        format!("{sentence}.")
    }
}

/// A number as a person writes it: no trailing `.0`.
/// A number as the feedback shows it: whole numbers with thousands separators (7,500), others
/// as written (0.62).
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let digits = sim::units::thousands(value.abs() as u64);
        if value < 0.0 {
            format!("-{digits}")
        } else {
            digits
        }
    } else {
        format!("{value}")
    }
}

/// The line under a quiz: the score so far, and once every question is answered, whether it
/// passes.
pub fn score_line(score: Score, n_answered: usize, complete: bool) -> String {
    if complete {
        let verdict = if score.passes() {
            "Passed.".to_owned()
        } else {
            format!(
                "Not passed yet: {PASS_PERCENT} % is needed. Try the questions you missed again."
            )
        };
        format!(
            "Score: {} of {} right ({} %). {verdict}",
            score.n_correct,
            score.n_questions,
            score.percent()
        )
    } else {
        format!(
            "{} of {} answered, {} right so far.",
            n_answered, score.n_questions, score.n_correct
        )
    }
}

/// What one question asks the person to do.
pub fn instruction(question: &Question) -> &'static str {
    match &question.kind {
        QuestionKind::MultipleChoice {
            multi_select: true, ..
        } => "Select all that apply.",
        QuestionKind::MultipleChoice { .. } => "Choose one answer.",
        QuestionKind::ShortAnswer { .. } => "Type a word or a short phrase.",
        QuestionKind::Numeric { .. } => "Type a number.",
        QuestionKind::Order { .. } => {
            "Put the items in order with their Move up and Move down buttons."
        }
        QuestionKind::Predict(predict) => predict_instruction(predict),
    }
}

/// The detail under the verdict, per question kind (choices are marked in place instead).
pub fn feedback_detail(graded: &Graded) -> Option<String> {
    match &graded.feedback {
        Feedback::Choices { .. } => None,
        Feedback::ShortAnswer { expected } => {
            (!graded.correct).then(|| format!("The expected answer is “{expected}”."))
        }
        Feedback::Numeric {
            given,
            expected,
            tolerance,
            unit,
            mistake,
        } => {
            let unit = unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
            let range = if *tolerance > 0.0 {
                format!(" (± {}{unit} accepted)", number(*tolerance))
            } else {
                String::new()
            };
            let slip = mistake
                .as_deref()
                .map(|why| format!(" {why}"))
                .unwrap_or_default();
            Some(format!(
                "You answered {}{unit}; the answer is {}{unit}{range}.{slip}",
                number(*given),
                number(*expected)
            ))
        }
        Feedback::Predict {
            given,
            engine,
            tolerance,
            unit,
        } => Some(predict_feedback(given, engine, *tolerance, unit.as_deref())),
        Feedback::Order { in_place } => {
            let n_in_place = in_place.iter().filter(|&&ok| ok).count();
            Some(format!(
                "{n_in_place} of {} items are in the right place (marked ✓).",
                in_place.len()
            ))
        }
    }
}

fn focus_by_testid(testid: &str) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("[data-testid='{testid}']"))
                .ok()
                .flatten()
        })
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}

/// One quiz of the course, by id.
#[component]
pub fn QuizCard(
    /// The id of a quiz in the course (its file stem, e.g. `02-cerebras-wse`).
    #[prop(into)]
    quiz_id: String,
) -> impl IntoView {
    let Some(quiz) = use_course().ok().and_then(|course| course.quiz(&quiz_id)) else {
        return view! {
            <p class="notice" role="status">{format!("The quiz “{quiz_id}” is missing from this build.")}</p>
        }
        .into_any();
    };
    let progress = use_progress();
    let attempt = RwSignal::new(QuizAttempt::new(quiz));
    let score = Memo::new(move |_| attempt.with(QuizAttempt::score));
    let complete = Memo::new(move |_| attempt.with(QuizAttempt::is_complete));
    let n_answered = Memo::new(move |_| attempt.with(|a| a.answered.iter().flatten().count()));
    let record = Memo::new(move |_| progress.progress.with(|p| p.quiz(&quiz.id).copied()));
    let n_right_before = Memo::new(move |_| {
        progress.progress.with(|p| {
            quiz.questions
                .iter()
                .filter(|q| p.question_right(&q.id))
                .count()
        })
    });
    let on_graded = Callback::new(move |()| {
        if attempt.with_untracked(QuizAttempt::is_complete) {
            let score = attempt.with_untracked(QuizAttempt::score);
            progress.update(|p| {
                p.record_quiz(&quiz.id, score);
                true
            });
        }
    });
    let retry_all = move |_| {
        attempt.update(QuizAttempt::retry_all);
        if let Some(first) = quiz.questions.first() {
            request_animation_frame({
                let testid = format!("quiz-question-{}", first.id);
                move || focus_by_testid(&testid)
            });
        }
    };
    let download_anchor = NodeRef::<leptos::html::A>::new();
    let download_error = RwSignal::new(None::<String>);
    let download = move |_| {
        let Some(anchor) = download_anchor.get() else {
            return;
        };
        let result = download_text(
            &anchor,
            &gift::quiz_file_name(quiz),
            "text/plain;charset=utf-8",
            &gift::quiz_to_gift(quiz),
        );
        download_error.set(result.err());
    };
    let n_questions = quiz.questions.len();
    view! {
        <section class="quiz" aria-label="Quiz" data-testid=format!("quiz-{}", quiz.id)>
            <div class="quiz__intro">
                <p class="quiz__lead">
                    {format!(
                        "{n_questions} questions. Check each answer to see whether it is right and why; \
                         {PASS_PERCENT} % right passes the quiz.",
                    )}
                </p>
                {move || {
                    let n_right = n_right_before.get();
                    (n_right > 0)
                        .then(|| {
                            view! {
                                <p class="quiz__kept" data-testid="quiz-kept">
                                    {format!(
                                        "Kept from earlier visits: you have answered {n_right} of these {n_questions} questions right.",
                                    )}
                                </p>
                            }
                        })
                }}
                <div class="quiz__tools">
                    <button type="button" class="quiz__button quiz__button--quiet" data-testid="quiz-gift" on:click=download>
                        "Download GIFT"
                    </button>
                    <a node_ref=download_anchor class="quiz__download" data-testid="quiz-gift-file" hidden aria-hidden="true"></a>
                    <span class="quiz__hint">"Moodle's format, for instructors"</span>
                </div>
                {move || download_error.get().map(|e| view! { <p class="quiz__error" role="alert">{e}</p> })}
            </div>
            {quiz
                .questions
                .iter()
                .enumerate()
                .map(|(question_idx, question)| {
                    view! { <QuestionCard quiz question question_idx attempt on_graded /> }
                })
                .collect_view()}
            <div class="quiz__summary">
                <p class="quiz__score" aria-live="polite" data-testid="quiz-score">
                    {move || score_line(score.get(), n_answered.get(), complete.get())}
                </p>
                {move || {
                    record
                        .get()
                        .map(|record| {
                            let verdict = if record.passed() { "passed" } else { "not passed yet" };
                            let attempts = if record.n_attempts == 1 { "attempt" } else { "attempts" };
                            view! {
                                <p class="quiz__record" data-testid="quiz-record" data-passed=record.passed().to_string()>
                                    {format!(
                                        "In your progress: best {} of {} ({verdict}) after {} {attempts}.",
                                        record.best.n_correct,
                                        record.best.n_questions,
                                        record.n_attempts,
                                    )}
                                </p>
                            }
                        })
                }}
                <button
                    type="button"
                    class="quiz__button quiz__button--quiet"
                    data-testid="quiz-restart"
                    disabled=move || n_answered.get() == 0
                    on:click=retry_all
                >
                    "Start the quiz again"
                </button>
            </div>
        </section>
    }
    .into_any()
}

/// One question: its prompt, the controls for its kind, Check, the feedback and Try again.
#[component]
fn QuestionCard(
    /// The quiz the question is in.
    quiz: &'static Quiz,
    /// The question.
    question: &'static Question,
    /// Its index in the quiz.
    question_idx: usize,
    /// The attempt at the whole quiz.
    attempt: RwSignal<QuizAttempt>,
    /// Called after the question was graded.
    on_graded: Callback<()>,
) -> impl IntoView {
    let slug: &'static str = &quiz.lesson_slug;
    let qid: &'static str = &question.id;
    let answered =
        Memo::new(move |_| attempt.with(|a| a.answered.get(question_idx).cloned().flatten()));
    let is_answered = move || answered.with(Option::is_some);
    let seed = Memo::new(move |_| attempt.with(|a| a.shuffle_seed(quiz, question_idx)));
    let order = Memo::new(move |_| question.presentation_order(seed.get()));
    let selected = RwSignal::new(Vec::<usize>::new());
    let text = RwSignal::new(String::new());
    let arrangement = RwSignal::new(order.get_untracked());
    let error = RwSignal::new(None::<String>);
    let announcement = RwSignal::new(String::new());
    let feedback_ref = NodeRef::<leptos::html::Div>::new();
    let progress = use_progress();
    // Right on an earlier visit (kept in progress) and not answered in this attempt yet.
    let right_before =
        Memo::new(move |_| !is_answered() && progress.progress.with(|p| p.question_right(qid)));

    // After a response was graded (checked, or a prediction measured): record and focus.
    let after_graded = move |outcome: Result<(), ResponseError>| match outcome {
        Ok(()) => {
            error.set(None);
            announcement.set(String::new());
            let right = attempt.with_untracked(|a| {
                a.answered
                    .get(question_idx)
                    .and_then(Option::as_ref)
                    .is_some_and(|a| a.graded.correct)
            });
            if right {
                progress.update(|p| p.record_question_right(qid));
            }
            on_graded.run(());
            request_animation_frame(move || {
                if let Some(feedback) = feedback_ref.get_untracked() {
                    let _ = feedback.focus();
                }
            });
        }
        Err(e) => error.set(Some(response_error_sentence(&e))),
    };

    // A predict question: the prediction committed (kept in progress), and its run.
    let predict = match &question.kind {
        QuestionKind::Predict(predict) => Some(predict),
        _ => None,
    };
    let kept = Memo::new(move |_| {
        predict.and_then(|_| progress.progress.with(|p| p.prediction(qid).cloned()))
    });
    // A kept prediction that no longer fits is not trusted: its sentence, and a fresh guess.
    let stale = predict.and_then(|_| {
        kept.get_untracked()
            .and_then(|r| stale_prediction_sentence(question, &r))
    });
    let committed = Memo::new(move |_| {
        kept.get()
            .filter(|r| stale_prediction_sentence(question, r).is_none())
    });
    if let Some(Response::Text(t)) = committed.get_untracked() {
        text.set(t);
    }
    if let Some(Response::Choices(c)) = committed.get_untracked() {
        selected.set(c);
    }
    let on_outcome = Callback::new(move |outcome: crate::simulation::predict::PredictOutcome| {
        let Some(response) = committed.try_get_untracked().flatten() else {
            return;
        };
        let mut graded = Ok(());
        attempt.update(|a| {
            graded = a
                .answer_prediction(quiz, question_idx, response, &outcome.value)
                .map(|_| ());
        });
        after_graded(graded);
    });
    let run = predict.map(|p| use_predict_run(p, on_outcome));
    let run_state = run.as_ref().map(|r| r.state);
    let running = move || run_state.is_some_and(|s| s.with(|s| matches!(s, RunState::Running(_))));
    let start_run = run.as_ref().map(|r| std::rc::Rc::clone(&r.start));

    let check = {
        let start_run = start_run.clone();
        move || {
            if let (Some(_), Some(start_run)) = (predict, start_run.as_ref()) {
                if running() {
                    return;
                }
                if committed.get_untracked().is_none() {
                    let measure = predict.map_or(course::Measure::Cycles, |p| p.measure);
                    let response =
                        current_response(measure, &text.get_untracked(), &selected.get_untracked());
                    if let Err(e) = course::grade::read_prediction(question, &response) {
                        error.set(Some(response_error_sentence(&e)));
                        return;
                    }
                    progress.update(|p| {
                        p.commit_prediction(qid, response);
                        true
                    });
                }
                error.set(None);
                start_run();
                return;
            }
            let response = match &question.kind {
                QuestionKind::MultipleChoice { .. } => Response::Choices(selected.get_untracked()),
                QuestionKind::ShortAnswer { .. } | QuestionKind::Numeric { .. } => {
                    Response::Text(text.get_untracked())
                }
                QuestionKind::Order { .. } => Response::Order(arrangement.get_untracked()),
                QuestionKind::Predict(_) => return,
            };
            let mut outcome = Ok(());
            attempt.update(|a| {
                outcome = a.answer(quiz, question_idx, response).map(|_| ());
            });
            after_graded(outcome);
        }
    };
    let retry = move |_| {
        attempt.update(|a| a.retry(question_idx));
        if predict.is_some() {
            progress.update(|p| p.forget_prediction(qid));
            if let Some(state) = run_state {
                state.set(RunState::Idle);
            }
        }
        selected.set(Vec::new());
        text.set(String::new());
        arrangement.set(order.get_untracked());
        error.set(None);
        request_animation_frame(move || focus_by_testid(&format!("quiz-question-{qid}")));
    };
    let check_label = move || {
        if predict.is_none() {
            "Check"
        } else if committed.get().is_some() {
            "Run the simulator"
        } else {
            "Commit and run"
        }
    };

    let n_questions = quiz.questions.len();
    let legend_id = format!("quiz-legend-{qid}");
    let prompt_id = format!("quiz-prompt-{qid}");
    let labelled_by = format!("{legend_id} {prompt_id}");
    let controls = match &question.kind {
        QuestionKind::MultipleChoice { multi_select, .. } => {
            choices(question, *multi_select, order, selected, answered).into_any()
        }
        QuestionKind::ShortAnswer { .. } => text_input(qid, None, text, answered).into_any(),
        QuestionKind::Numeric { unit, .. } => {
            text_input(qid, unit.as_deref(), text, answered).into_any()
        }
        QuestionKind::Order { items } => {
            order_list(qid, items, arrangement, answered, announcement).into_any()
        }
        QuestionKind::Predict(_) => {
            let locked = Signal::derive(move || is_answered() || committed.get().is_some());
            view! {
                {predict_controls(question, text, selected, locked)}
                {move || {
                    let idle = run_state.is_none_or(|s| s.with(|s| *s == RunState::Idle));
                    (committed.get().is_some() && !is_answered() && idle)
                        .then(|| view! {
                            <p class="quiz-predict__kept" data-testid=format!("quiz-predict-kept-{qid}")>
                                "Your prediction is committed. Run the simulator to grade it."
                            </p>
                        })
                }}
                {stale.map(|s| view! { <p class="quiz-feedback__error" data-testid=format!("quiz-predict-stale-{qid}")>{s}</p> })}
            }
            .into_any()
        }
    };
    let status = run_state.map(|state| predict_status(qid, state));
    view! {
        <form
            class="quiz-question"
            class:quiz-question--right=move || answered.with(|a| a.as_ref().is_some_and(|a| a.graded.correct))
            class:quiz-question--wrong=move || answered.with(|a| a.as_ref().is_some_and(|a| !a.graded.correct))
            data-testid=format!("quiz-question-{qid}")
            tabindex="-1"
            on:submit=move |event| {
                event.prevent_default();
                if !is_answered() {
                    check();
                }
            }
        >
            <fieldset class="quiz-question__fieldset" aria-labelledby=labelled_by>
                <legend class="quiz-question__legend" id=legend_id>
                    {format!("Question {} of {n_questions}", question_idx + 1)}
                </legend>
                <div class="quiz-question__prompt" id=prompt_id>
                    {render_blocks(&question.prompt.blocks, slug)}
                </div>
                <p class="quiz-question__instruction">
                    {instruction(question)}
                    {move || {
                        right_before
                            .get()
                            .then(|| {
                                view! {
                                    <span class="quiz-question__earlier" data-testid=format!("quiz-earlier-{qid}")>
                                        " You answered this one right on an earlier visit."
                                    </span>
                                }
                            })
                    }}
                </p>
                {controls}
            </fieldset>
            <div class="quiz-question__actions" hidden=move || is_answered() || running()>
                <button type="submit" class="quiz__button" data-testid=format!("quiz-check-{qid}")>
                    {check_label}
                </button>
            </div>
            {status}
            <div
                class="quiz-feedback"
                aria-live="polite"
                tabindex="-1"
                node_ref=feedback_ref
                data-testid=format!("quiz-feedback-{qid}")
            >
                {move || error.get().map(|e| view! { <p class="quiz-feedback__error">{e}</p> })}
                {move || {
                    answered
                        .get()
                        .map(|answered| {
                            let right = answered.graded.correct;
                            view! {
                                <p
                                    class="quiz-feedback__verdict"
                                    class:quiz-feedback__verdict--right=right
                                    class:quiz-feedback__verdict--wrong=!right
                                    data-testid=format!("quiz-verdict-{qid}")
                                    data-correct=right.to_string()
                                >
                                    {if right { "✓ Right." } else { "✗ Not quite." }}
                                </p>
                                {feedback_detail(&answered.graded)
                                    .map(|d| view! { <p class="quiz-feedback__detail">{d}</p> })}
                                {question
                                    .context
                                    .as_ref()
                                    .map(|context| {
                                        view! {
                                            <div class="quiz-feedback__explanation" data-testid=format!("quiz-explanation-{qid}")>
                                                <p class="quiz-feedback__why">"Why"</p>
                                                {render_blocks(&context.blocks, slug)}
                                            </div>
                                        }
                                    })}
                                {(!right).then(|| view! {
                                    <button
                                        type="button"
                                        class="quiz__button quiz__button--quiet"
                                        data-testid=format!("quiz-retry-{qid}")
                                        on:click=retry
                                    >
                                        "Try again"
                                    </button>
                                })}
                            }
                        })
                }}
            </div>
            <p class="visually-hidden" aria-live="polite">{move || announcement.get()}</p>
        </form>
    }
}

fn mark_of(answered: Option<&course::AnsweredQuestion>, choice_idx: usize) -> Option<ChoiceMark> {
    match &answered?.graded.feedback {
        Feedback::Choices { marks } => marks.get(choice_idx).copied(),
        _ => None,
    }
}

fn choices(
    question: &'static Question,
    multi_select: bool,
    order: Memo<Vec<usize>>,
    selected: RwSignal<Vec<usize>>,
    answered: Memo<Option<course::AnsweredQuestion>>,
) -> impl IntoView {
    let qid: &'static str = &question.id;
    let input_type = if multi_select { "checkbox" } else { "radio" };
    view! {
        <div class="quiz-choices">
            {move || {
                order
                    .get()
                    .into_iter()
                    .filter_map(|choice_idx| question.choice(choice_idx).map(|c| (choice_idx, c)))
                    .map(|(choice_idx, choice)| {
                        let mark = move || answered.with(|a| mark_of(a.as_ref(), choice_idx));
                        view! {
                            <label
                                class="quiz-choice"
                                class:quiz-choice--right=move || mark() == Some(ChoiceMark::SelectedCorrect)
                                class:quiz-choice--wrong=move || mark() == Some(ChoiceMark::SelectedWrong)
                                class:quiz-choice--missed=move || mark() == Some(ChoiceMark::MissedCorrect)
                                data-testid=format!("quiz-choice-{qid}-{choice_idx}")
                            >
                                <input
                                    class="quiz-choice__input"
                                    type=input_type
                                    name=format!("quiz-{qid}")
                                    value=choice_idx.to_string()
                                    prop:checked=move || selected.with(|s| s.contains(&choice_idx))
                                    disabled=move || answered.with(Option::is_some)
                                    on:change=move |_| {
                                        selected.update(|s| {
                                            if multi_select {
                                                if let Some(at) = s.iter().position(|&c| c == choice_idx) {
                                                    s.remove(at);
                                                } else {
                                                    s.push(choice_idx);
                                                }
                                            } else {
                                                *s = vec![choice_idx];
                                            }
                                        });
                                    }
                                />
                                <span class="quiz-choice__text">{render_choice(choice)}</span>
                                <span class="quiz-choice__mark">
                                    {move || match mark() {
                                        Some(ChoiceMark::SelectedCorrect) => "✓ right",
                                        Some(ChoiceMark::SelectedWrong) => "✗ wrong",
                                        Some(ChoiceMark::MissedCorrect) if multi_select => "missed: also right",
                                        Some(ChoiceMark::MissedCorrect) => "the right answer",
                                        Some(ChoiceMark::NotSelected) | None => "",
                                    }}
                                </span>
                            </label>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}

fn render_choice(choice: &'static Choice) -> AnyView {
    // Choices carry no section links, so the lesson slug is not needed to render them.
    render_inlines(&choice.inlines, "")
}

fn text_input(
    qid: &'static str,
    unit: Option<&'static str>,
    text: RwSignal<String>,
    answered: Memo<Option<course::AnsweredQuestion>>,
) -> impl IntoView {
    let input_id = format!("quiz-input-{qid}");
    let label = match unit {
        Some(unit) => format!("Your answer, in {unit}"),
        None => "Your answer".to_owned(),
    };
    view! {
        <div class="quiz-answer">
            <label class="quiz-answer__label" for=input_id.clone()>{label}</label>
            <span class="quiz-answer__row">
                <input
                    class="quiz-answer__input"
                    id=input_id
                    type="text"
                    inputmode=unit.map(|_| "decimal")
                    autocomplete="off"
                    spellcheck="false"
                    data-testid=format!("quiz-input-{qid}")
                    prop:value=move || text.get()
                    disabled=move || answered.with(Option::is_some)
                    on:input=move |event| text.set(event_target_value(&event))
                />
                {unit.map(|u| view! { <span class="quiz-answer__unit" aria-hidden="true">{u}</span> })}
            </span>
        </div>
    }
}

/// Moves the item at `position` by `delta` places; returns the new position, or `None` when it
/// cannot move that way.
pub fn move_item(arrangement: &mut [usize], position: usize, delta: isize) -> Option<usize> {
    let target = position.checked_add_signed(delta)?;
    if position >= arrangement.len() || target >= arrangement.len() {
        return None;
    }
    arrangement.swap(position, target);
    Some(target)
}

fn order_list(
    qid: &'static str,
    items: &'static [Choice],
    arrangement: RwSignal<Vec<usize>>,
    answered: Memo<Option<course::AnsweredQuestion>>,
    announcement: RwSignal<String>,
) -> impl IntoView {
    let in_place = move |position: usize| {
        answered.with(|a| match a.as_ref().map(|a| &a.graded.feedback) {
            Some(Feedback::Order { in_place }) => in_place.get(position).copied(),
            _ => None,
        })
    };
    let shift = move |position: usize, delta: isize| {
        let n_items = items.len();
        let mut moved = None;
        arrangement.update(|a| moved = move_item(a, position, delta));
        let Some(new_position) = moved else { return };
        let item_idx = arrangement.with_untracked(|a| a.get(new_position).copied());
        let Some(item_idx) = item_idx else { return };
        let name = items
            .get(item_idx)
            .map(|c| plain_text(&c.inlines))
            .unwrap_or_default();
        announcement.set(format!(
            "“{name}” moved to position {} of {n_items}.",
            new_position + 1
        ));
        // The list is drawn again; keep focus on the moved item's button in the same direction,
        // or on its other button when it reached an end.
        let direction = if delta < 0 { "up" } else { "down" };
        let at_end = (delta < 0 && new_position == 0) || (delta > 0 && new_position + 1 == n_items);
        let button = if at_end {
            if delta < 0 { "down" } else { "up" }
        } else {
            direction
        };
        request_animation_frame(move || {
            focus_by_testid(&format!("quiz-order-{button}-{qid}-{item_idx}"));
        });
    };
    view! {
        <ol class="quiz-order" data-testid=format!("quiz-order-{qid}")>
            {move || {
                let current = arrangement.get();
                let n_items = current.len();
                current
                    .into_iter()
                    .enumerate()
                    .filter_map(|(position, item_idx)| items.get(item_idx).map(|c| (position, item_idx, c)))
                    .map(|(position, item_idx, item)| {
                        let name = plain_text(&item.inlines);
                        let locked = move || answered.with(Option::is_some);
                        view! {
                            <li
                                class="quiz-order__item"
                                class:quiz-order__item--right=move || in_place(position) == Some(true)
                                class:quiz-order__item--wrong=move || in_place(position) == Some(false)
                                data-item=item_idx.to_string()
                            >
                                <span class="quiz-order__position" aria-hidden="true">{position + 1}</span>
                                <span class="quiz-order__text">{render_choice(item)}</span>
                                <span class="quiz-order__mark">
                                    {move || match in_place(position) {
                                        Some(true) => "✓",
                                        Some(false) => "✗",
                                        None => "",
                                    }}
                                </span>
                                <span class="quiz-order__buttons">
                                    <button
                                        type="button"
                                        class="quiz-order__move"
                                        aria-label=format!("Move “{name}” up")
                                        data-testid=format!("quiz-order-up-{qid}-{item_idx}")
                                        disabled=move || position == 0 || locked()
                                        on:click=move |_| shift(position, -1)
                                    >
                                        "↑"
                                    </button>
                                    <button
                                        type="button"
                                        class="quiz-order__move"
                                        aria-label=format!("Move “{name}” down")
                                        data-testid=format!("quiz-order-down-{qid}-{item_idx}")
                                        disabled=move || position + 1 == n_items || locked()
                                        on:click=move |_| shift(position, 1)
                                    >
                                        "↓"
                                    </button>
                                </span>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ol>
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn response_errors_read_as_sentences() {
        assert_eq!(
            response_error_sentence(&ResponseError::NothingSelected),
            "Select an answer first."
        );
        let not_a_number = ResponseError::NotANumber {
            input: "lots".into(),
        };
        let sentence = response_error_sentence(&not_a_number);
        assert!(sentence.starts_with("“lots” is not a number"), "{sentence}");
        assert!(sentence.ends_with('.'), "{sentence}");
    }

    #[test]
    fn moving_items_stops_at_the_ends() {
        let mut arrangement = vec![2, 0, 1];
        assert_eq!(move_item(&mut arrangement, 0, -1), None);
        assert_eq!(move_item(&mut arrangement, 2, 1), None);
        assert_eq!(move_item(&mut arrangement, 0, 1), Some(1));
        assert_eq!(arrangement, vec![0, 2, 1]);
        assert_eq!(move_item(&mut arrangement, 2, -1), Some(1));
        assert_eq!(arrangement, vec![0, 1, 2]);
        assert_eq!(move_item(&mut arrangement, 7, -1), None);
    }

    #[test]
    fn the_score_line_says_whether_the_quiz_passes() {
        let score = |n_correct, n_questions| Score {
            n_correct,
            n_questions,
        };
        assert_eq!(
            score_line(score(2, 6), 3, false),
            "3 of 6 answered, 2 right so far."
        );
        assert_eq!(
            score_line(score(5, 6), 6, true),
            "Score: 5 of 6 right (83 %). Passed."
        );
        assert!(score_line(score(4, 6), 6, true).contains("Not passed yet: 70 %"));
    }

    #[test]
    fn numeric_feedback_names_the_unit_and_the_tolerance() {
        let graded = Graded {
            correct: false,
            feedback: Feedback::Numeric {
                given: 30.0,
                expected: 32.0,
                tolerance: 0.5,
                unit: Some("bits".into()),
                mistake: None,
            },
        };
        assert_eq!(
            feedback_detail(&graded).as_deref(),
            Some("You answered 30 bits; the answer is 32 bits (± 0.5 bits accepted).")
        );
        let slipped = Graded {
            correct: false,
            feedback: Feedback::Numeric {
                given: 4.0,
                expected: 32.0,
                tolerance: 0.0,
                unit: Some("bits".into()),
                mistake: Some("That is bytes, not bits.".into()),
            },
        };
        assert_eq!(
            feedback_detail(&slipped).as_deref(),
            Some("You answered 4 bits; the answer is 32 bits. That is bytes, not bits.")
        );
    }
}
