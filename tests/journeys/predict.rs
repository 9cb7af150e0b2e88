//! "Predict, then run": a learner types a prediction and commits it by keyboard, the page runs
//! the simulator in its worker, and the graded result shows the prediction beside the engine's
//! answer (the same as the engine gives natively), with a link to the setup; the commitment
//! survives a reload, and "Try again" takes a new prediction.

use course::{PredictValue, QuestionKind};
use fantoccini::Locator;
use fantoccini::key::Key;

use crate::lessons::{assert_no_console_errors, the_course};
use crate::support::{Browser, PATIENCE, StaticServer, relative_dist};

/// The engine's answer to `predict`, run natively.
pub fn native_answer(predict: &course::Predict) -> PredictValue {
    testbed_lab::simulation::predict::answer(predict)
        .unwrap_or_else(|why| panic!("the question's setups run natively: {why}"))
        .value
}

/// Types `text` into the question's input and presses Enter, as a person would.
async fn type_and_commit(browser: &Browser, qid: &str, text: &str) {
    let input = browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("[data-testid='quiz-input-{qid}']")))
        .await
        .expect("the prediction's input");
    input.clear().await.expect("clear");
    input
        .send_keys(&format!("{text}{}", char::from(Key::Enter)))
        .await
        .expect("type");
}

async fn wait_verdict(browser: &Browser, qid: &str) -> bool {
    browser
        .wait_until(
            &format!("{qid} to be graded"),
            &format!("return !!document.querySelector(\"[data-testid='quiz-verdict-{qid}']\");"),
        )
        .await;
    browser
        .eval(&format!(
            "return document.querySelector(\"[data-testid='quiz-verdict-{qid}']\").dataset.correct;"
        ))
        .await
        == "true"
}

#[tokio::test]
async fn a_committed_prediction_is_run_and_graded_against_the_engine() {
    let qid = "ipu-predict-batch-doubles";
    let (quiz, question) = the_course()
        .quizzes
        .iter()
        .find_map(|quiz| {
            quiz.questions
                .iter()
                .find(|q| q.id == qid)
                .map(|q| (quiz, q))
        })
        .expect("the question is in the course");
    let QuestionKind::Predict(predict) = &question.kind else {
        panic!("{qid} is a predict question");
    };
    let started = std::time::Instant::now();
    let PredictValue::Number(ratio) = native_answer(predict) else {
        panic!("a ratio");
    };
    println!(
        "{qid}: the engine's answer natively {ratio:.4} in {:?}",
        started.elapsed()
    );
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let lesson = the_course()
        .lesson(&quiz.lesson_slug)
        .expect("the quiz's lesson");
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;

    // A naive prediction: twice the batch, twice the cycles. Typed and committed by keyboard.
    let committed_at = std::time::Instant::now();
    type_and_commit(&browser, qid, "2").await;
    let right = wait_verdict(&browser, qid).await;
    println!(
        "{qid}: committed to graded in the page in {:?} (worker start included)",
        committed_at.elapsed()
    );
    assert_eq!(right, (2.0 - ratio).abs() <= ratio * predict.tolerance);
    let engine_words = PredictValue::Number(ratio).describe(Some("×"));
    browser
        .wait_for_part(
            &format!("[data-testid='quiz-feedback-{qid}']"),
            &format!("You predicted 2×; the simulator measured {engine_words}"),
        )
        .await;
    browser
        .wait_for_part(
            &format!("[data-testid='quiz-predict-result-{qid}']"),
            "First setup IPU:",
        )
        .await;
    let href = browser
        .eval(&format!(
            "return document.querySelector(\"[data-testid='quiz-predict-link-{qid}-1']\").getAttribute('href');"
        ))
        .await;
    let href = href.as_str().unwrap_or_default().to_owned();
    assert!(
        href.starts_with("#/simulators/ipu?preset=mlp") && href.contains("batch=8"),
        "{href}"
    );
    browser
        .eval(&format!(
            "document.querySelector(\"[data-testid='quiz-question-{qid}']\").scrollIntoView({{block: 'start'}}); return 0;"
        ))
        .await;
    browser.screenshot("predict-graded").await;

    // Reload: the prediction is still committed (locked), and running it grades it again.
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", &lesson.title).await;
    browser
        .wait_until(
            "the kept prediction",
            &format!(
                "const i = document.querySelector(\"[data-testid='quiz-input-{qid}']\"); \
                 return !!document.querySelector(\"[data-testid='quiz-predict-kept-{qid}']\") && !!i && i.value === '2' && i.disabled;"
            ),
        )
        .await;
    browser
        .wait_for_text(
            &format!("[data-testid='quiz-check-{qid}']"),
            "Run the simulator",
        )
        .await;
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    assert_eq!(wait_verdict(&browser, qid).await, right);

    // Try again with the engine's own figure: right.
    if !right {
        browser
            .click(&format!("[data-testid='quiz-retry-{qid}']"))
            .await;
        type_and_commit(&browser, qid, &format!("{ratio:.3}")).await;
        assert!(wait_verdict(&browser, qid).await);
    }
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

#[tokio::test]
async fn the_bert_layer_on_five_machines_runs_in_the_worker_without_freezing_the_page() {
    let qid = "compared-predict-bert-fastest";
    let (quiz, question) = the_course()
        .quizzes
        .iter()
        .find_map(|quiz| {
            quiz.questions
                .iter()
                .find(|q| q.id == qid)
                .map(|q| (quiz, q))
        })
        .expect("the question is in the course");
    let QuestionKind::Predict(predict) = &question.kind else {
        panic!("{qid} is a predict question");
    };
    let started = std::time::Instant::now();
    let PredictValue::Machines(fastest) = native_answer(predict) else {
        panic!("a machine");
    };
    println!(
        "{qid}: the engine's answer natively {fastest:?} in {:?}",
        started.elapsed()
    );
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let lesson = the_course()
        .lesson(&quiz.lesson_slug)
        .expect("the quiz's lesson");
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;
    // Predict the GPU, the machine a newcomer might expect to win.
    browser
        .click(&format!("[data-testid='quiz-predict-choice-{qid}-0']"))
        .await;
    browser.watch_main_thread().await;
    let committed_at = std::time::Instant::now();
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    browser
        .wait_for_part(
            &format!("[data-testid='quiz-predict-status-{qid}']"),
            "machines done",
        )
        .await;
    let right = wait_verdict(&browser, qid).await;
    let elapsed = committed_at.elapsed();
    let main = browser.main_thread().await;
    println!(
        "{qid}: five machines run and graded in the page in {elapsed:?}; longest main-thread task {} ms (0 = none over 50 ms), longest frame gap {} ms",
        main.longest_task, main.longest_gap
    );
    assert_eq!(right, fastest.contains(&course::SimArch::Gpu));
    let engine_words = PredictValue::Machines(fastest).describe(None);
    browser
        .wait_for_part(
            &format!("[data-testid='quiz-feedback-{qid}']"),
            &format!("You predicted the GPU; the simulator measured {engine_words}."),
        )
        .await;
    browser
        .wait_for_part(
            &format!("[data-testid='quiz-predict-result-{qid}']"),
            "Times: GPU",
        )
        .await;
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}
