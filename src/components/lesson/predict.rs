//! The parts of a quiz's predict question ("Predict, then run"): the prediction's controls, the
//! run in the simulation worker with its status, and the engine's result beside the prediction
//! with links to the setups' pages. `quiz.rs` holds the question card and the grading flow.

use std::cell::RefCell;
use std::rc::Rc;

use course::{
    Measure, Predict, PredictValue, Question, QuestionKind, Response, grade::read_prediction,
};
use leptos::prelude::*;

use crate::simulation::compare::{CompareWorker, FromCompare, ToCompare};
use crate::simulation::predict::PredictOutcome;
use crate::training::client::WorkerClient;

/// Where a predict question's run is.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    /// Nothing running.
    Idle,
    /// Running: the worker's progress line.
    Running(String),
    /// The run could not give an answer: the sentence.
    Failed(String),
    /// What the engines measured.
    Done(PredictOutcome),
}

/// What the person is asked to do for a predict question.
pub fn predict_instruction(predict: &Predict) -> &'static str {
    if predict.measure.is_numeric() {
        "Type your prediction, then commit it: the page runs the simulator and grades it."
    } else {
        "Choose your prediction, then commit it: the page runs the simulator and grades it."
    }
}

/// The line under the verdict: the prediction beside what the engine measured.
pub fn predict_feedback(
    given: &PredictValue,
    engine: &PredictValue,
    tolerance: f64,
    unit: Option<&str>,
) -> String {
    let accepted = if tolerance > 0.0 {
        format!(
            " (within {} % accepted)",
            course::predict::number_text(tolerance * 100.0)
        )
    } else {
        String::new()
    };
    format!(
        "You predicted {}; the simulator measured {}{accepted}.",
        given.describe(unit),
        engine.describe(unit)
    )
}

/// The sentence for a prediction kept in progress that no longer fits its question (the
/// question changed since it was committed, or the stored data is damaged), or `None` when it
/// fits.
pub fn stale_prediction_sentence(question: &Question, response: &Response) -> Option<String> {
    match read_prediction(question, response) {
        Ok(_) => None,
        Err(e) => Some(format!(
            "The prediction kept from an earlier visit no longer fits this question ({}); make a new one.",
            e
        )),
    }
}

/// The response the controls hold: the typed number, or the chosen choice.
pub fn current_response(measure: Measure, text: &str, selected: &[usize]) -> Response {
    if measure.is_numeric() {
        Response::Text(text.to_owned())
    } else {
        Response::Choices(selected.to_vec())
    }
}

/// A run of the question's setups in the simulation worker (`?lab=compare`), started on
/// demand and kept for the page's life; its messages update `state`, and `on_outcome` gets the
/// engine's result.
#[derive(Clone)]
pub struct UsePredictRunReturn {
    /// Where the run is.
    pub state: RwSignal<RunState>,
    /// Starts (or restarts) the run.
    pub start: Rc<dyn Fn()>,
}

impl std::fmt::Debug for UsePredictRunReturn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsePredictRunReturn")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Runs `predict` in the simulation worker when `start` is called.
pub fn use_predict_run(
    predict: &'static Predict,
    on_outcome: Callback<PredictOutcome>,
) -> UsePredictRunReturn {
    let state = RwSignal::new(RunState::Idle);
    let run_id = RwSignal::new(0u32);
    let client: Rc<RefCell<Option<WorkerClient<CompareWorker>>>> = Rc::new(RefCell::new(None));
    let start = move || {
        let id = run_id.get_untracked().wrapping_add(1);
        run_id.set(id);
        if client.borrow().is_none() {
            let spawned = WorkerClient::<CompareWorker>::spawn(
                move |message| {
                    let current = run_id.try_get_untracked().unwrap_or(0);
                    match message {
                        FromCompare::Predicting { id, progress } if id == current => {
                            let _ = state.try_set(RunState::Running(progress));
                        }
                        FromCompare::Predicted { id, outcome } if id == current => {
                            let _ = state.try_set(RunState::Done(outcome.clone()));
                            on_outcome.run(outcome);
                        }
                        FromCompare::Refused { id, message } if id == current => {
                            let _ = state.try_set(RunState::Failed(message));
                        }
                        _ => {}
                    }
                },
                move |message| {
                    let _ = state.try_set(RunState::Failed(message));
                },
            );
            match spawned {
                Ok(c) => *client.borrow_mut() = Some(c),
                Err(message) => {
                    state.set(RunState::Failed(message));
                    return;
                }
            }
        }
        state.set(RunState::Running(
            "Starting the simulation worker…".to_owned(),
        ));
        if let Some(c) = client.borrow().as_ref() {
            c.send(&ToCompare::Predict {
                id,
                predict: predict.clone(),
            });
        }
    };
    UsePredictRunReturn {
        state,
        start: Rc::new(start),
    }
}

/// The predict question's own controls: a number with its unit, or one choice.
pub fn predict_controls(
    question: &'static Question,
    text: RwSignal<String>,
    selected: RwSignal<Vec<usize>>,
    locked: Signal<bool>,
) -> AnyView {
    let QuestionKind::Predict(predict) = &question.kind else {
        return ().into_any();
    };
    let qid: &'static str = &question.id;
    let measure = predict.measure;
    if let Some(unit) = measure.unit() {
        let input_id = format!("quiz-input-{qid}");
        return view! {
            <div class="quiz-answer">
                <label class="quiz-answer__label" for=input_id.clone()>
                    {prediction_label(unit)}
                </label>
                <span class="quiz-answer__row">
                    <input
                        class="quiz-answer__input"
                        id=input_id
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        spellcheck="false"
                        data-testid=format!("quiz-input-{qid}")
                        prop:value=move || text.get()
                        disabled=move || locked.get()
                        on:input=move |event| text.set(event_target_value(&event))
                    />
                    <span class="quiz-answer__unit" aria-hidden="true">{unit}</span>
                </span>
            </div>
        }
        .into_any();
    }
    let choices = measure.choices();
    view! {
        <div class="quiz-choices">
            {choices
                .into_iter()
                .enumerate()
                .map(|(choice_idx, value)| {
                    let words = value.describe(None);
                    let label = match measure {
                        Measure::SameCycles => {
                            if value == PredictValue::YesNo(true) {
                                "Yes, exactly the same cycle count".to_owned()
                            } else {
                                "No, the cycle counts differ".to_owned()
                            }
                        }
                        _ => crate::text::capitalised(&words),
                    };
                    view! {
                        <label class="quiz-choice" data-testid=format!("quiz-predict-choice-{qid}-{choice_idx}")>
                            <input
                                class="quiz-choice__input"
                                type="radio"
                                name=format!("quiz-{qid}")
                                value=choice_idx.to_string()
                                prop:checked=move || selected.with(|s| s.contains(&choice_idx))
                                disabled=move || locked.get()
                                on:change=move |_| selected.set(vec![choice_idx])
                            />
                            <span class="quiz-choice__text">{label}</span>
                        </label>
                    }
                })
                .collect_view()}
        </div>
    }
    .into_any()
}

/// The label of a numeric prediction's input.
pub fn prediction_label(unit: &str) -> String {
    match unit {
        "×" => "Your prediction, how many times as many (×)".to_owned(),
        unit => format!("Your prediction, in {unit}"),
    }
}

/// The run's status and, once done, what was measured and the setups' pages.
pub fn predict_status(qid: &'static str, state: RwSignal<RunState>) -> impl IntoView {
    move || {
        match state.get() {
        RunState::Idle => ().into_any(),
        RunState::Running(progress) => view! {
            <p class="quiz-predict__status" role="status" data-testid=format!("quiz-predict-status-{qid}")>
                {progress}
            </p>
        }
        .into_any(),
        RunState::Failed(message) => view! {
            <p class="quiz-feedback__error" role="alert" data-testid=format!("quiz-predict-status-{qid}")>
                {format!("The simulator could not answer: {message}")}
            </p>
        }
        .into_any(),
        RunState::Done(outcome) => view! {
            <div class="quiz-predict__result" data-testid=format!("quiz-predict-result-{qid}")>
                <p class="quiz-predict__detail">{outcome.detail.clone()}</p>
                <p class="quiz-predict__links">
                    {outcome
                        .links
                        .iter()
                        .enumerate()
                        .map(|(i, (text, href))| {
                            view! {
                                <a class="quiz-predict__link" href=href.clone() data-testid=format!("quiz-predict-link-{qid}-{i}")>
                                    {text.clone()}
                                </a>
                            }
                        })
                        .collect_view()}
                </p>
            </div>
        }
        .into_any(),
    }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use course::SimArch;

    #[test]
    fn the_feedback_puts_the_prediction_beside_the_engine() {
        assert_eq!(
            predict_feedback(
                &PredictValue::Number(2.0),
                &PredictValue::Number(1.96),
                0.1,
                Some("×")
            ),
            "You predicted 2×; the simulator measured 1.96× (within 10 % accepted)."
        );
        assert_eq!(
            predict_feedback(
                &PredictValue::Machines(vec![SimArch::Gpu]),
                &PredictValue::Machines(vec![SimArch::Groq]),
                0.0,
                None
            ),
            "You predicted the GPU; the simulator measured the Groq LPU."
        );
    }

    #[test]
    fn a_ratio_is_asked_for_as_times_as_many() {
        assert_eq!(
            prediction_label("×"),
            "Your prediction, how many times as many (×)"
        );
        assert_eq!(prediction_label("µs"), "Your prediction, in µs");
    }

    #[test]
    fn a_stale_kept_prediction_is_a_sentence() {
        let course = crate::course_data::course().unwrap();
        let question = course
            .quizzes
            .iter()
            .flat_map(|q| &q.questions)
            .find(|q| matches!(q.kind, QuestionKind::Predict(_)))
            .expect("the course has predict questions");
        let QuestionKind::Predict(predict) = &question.kind else {
            unreachable!()
        };
        let (good, bad) = if predict.measure.is_numeric() {
            (Response::Text("12".into()), Response::Choices(vec![0]))
        } else {
            (Response::Choices(vec![0]), Response::Choices(vec![99]))
        };
        assert_eq!(stale_prediction_sentence(question, &good), None);
        let sentence = stale_prediction_sentence(question, &bad).unwrap();
        assert!(
            sentence.starts_with("The prediction kept from an earlier visit"),
            "{sentence}"
        );
        assert!(sentence.ends_with("make a new one."));
    }
}
