//! A learner with a keyboard and no pointer goes through the course: the skip link, the
//! navigation, a lesson, one question of every kind answered (a prediction run and graded), a simulator played, paused,
//! stepped and inspected, an MNIST run started and a digit drawn while it trains, then the run
//! cancelled. Every element Tab lands on must show its focus (an outline or a shadow on it, or
//! on the quiz choice around it).

use std::time::Instant;

use course::{Question, QuestionKind};
use fantoccini::key::Key;
use serde_json::Value;
use testbed_lab::course_data::course;

use crate::support::{Browser, PATIENCE, StaticServer, relative_dist};

/// What has focus: whether it matches the wanted selector and whether its focus shows.
const FOCUS: &str = "
    const wanted = arguments[0];
    const a = document.activeElement;
    if (!a || a === document.body) return { body: true, matches: false, visible: true, what: 'body' };
    const shows = e => {
        if (!e) return false;
        const s = getComputedStyle(e);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
    };
    const what = a.tagName.toLowerCase() + (a.dataset.testid ? '[' + a.dataset.testid + ']' : '')
        + ' ' + (a.getAttribute('aria-label') || a.textContent || '').trim().slice(0, 40);
    return { body: false, matches: a.matches(wanted), visible: shows(a) || shows(a.closest('.quiz-choice')), what };";

impl Browser {
    async fn focus_state(&self, css: &str) -> Value {
        self.client
            .execute(FOCUS, vec![Value::from(css)])
            .await
            .expect("focus state")
    }

    /// Presses Tab (or Shift+Tab when `back`) until `css` has focus; every stop on the way
    /// must show its focus. Returns whether it got there.
    async fn tab_towards(&self, css: &str, back: bool, presses: usize) -> Result<(), Vec<String>> {
        let key = if back {
            format!("{}{}{}", Key::Shift, Key::Tab, Key::Null)
        } else {
            Key::Tab.to_string()
        };
        let mut path = Vec::new();
        for _ in 0..presses {
            self.press(&key).await;
            let state = self.focus_state(css).await;
            path.push(state["what"].as_str().unwrap_or_default().to_owned());
            assert_eq!(
                state["visible"],
                Value::Bool(true),
                "focus does not show on {} (on the way to `{css}`)",
                state["what"]
            );
            if state["matches"] == Value::Bool(true) {
                return Ok(());
            }
        }
        Err(path)
    }

    /// Tabs forward to `css`, or back to it when it lies behind the focus.
    async fn tab_to(&self, css: &str) {
        if self.focus_state(css).await["matches"] == Value::Bool(true) {
            return;
        }
        let Err(forward) = self.tab_towards(css, false, 250).await else {
            return;
        };
        if let Err(back) = self.tab_towards(css, true, 500).await {
            let tail = |p: &[String]| p[p.len().saturating_sub(12)..].join(" → ");
            panic!(
                "Tab never reaches `{css}`; forward ended {}; Shift+Tab ended {}",
                tail(&forward),
                tail(&back)
            );
        }
    }

    async fn tab_and_press(&self, css: &str, key: Key) {
        self.tab_to(css).await;
        self.press(&key.to_string()).await;
    }
}

fn testid(id: &str) -> String {
    format!("[data-testid='{id}']")
}

/// Answers `question` right with keys only, then checks it with Enter.
async fn answer_by_keyboard(browser: &Browser, question: &Question) {
    let qid = &question.id;
    match &question.kind {
        QuestionKind::MultipleChoice { answers, .. } if answers.len() == 1 => {
            // Tab enters the radio group; Space picks, arrows move the pick.
            browser
                .tab_to(&format!(
                    "{} input",
                    testid(&format!("quiz-question-{qid}"))
                ))
                .await;
            browser.press(" ").await;
            let checked = format!(
                "const c = document.querySelector(\"[data-testid='quiz-question-{qid}'] input:checked\"); return c ? c.value : '';"
            );
            let started = Instant::now();
            while browser.eval(&checked).await != "0" {
                assert!(
                    started.elapsed() < PATIENCE,
                    "arrows never reach the answer"
                );
                browser.press(&Key::Down.to_string()).await;
            }
        }
        QuestionKind::MultipleChoice { answers, .. } => {
            // Check boxes: Tab to each right one and press Space.
            for idx in 0..answers.len() {
                browser
                    .tab_to(&format!(
                        "{} input",
                        testid(&format!("quiz-choice-{qid}-{idx}"))
                    ))
                    .await;
                browser.press(" ").await;
            }
        }
        QuestionKind::ShortAnswer { answer, .. } => {
            browser.tab_to(&testid(&format!("quiz-input-{qid}"))).await;
            browser.press(answer).await;
        }
        QuestionKind::Numeric { answer, unit, .. } => {
            browser.tab_to(&testid(&format!("quiz-input-{qid}"))).await;
            let typed = match unit {
                Some(unit) => format!("{answer} {unit}"),
                None => format!("{answer}"),
            };
            browser.press(&typed).await;
        }
        QuestionKind::Predict(predict) => {
            // A prediction: a choice (Space picks the first) or a number; the engine grades it.
            if predict.measure.choices().is_empty() {
                browser.tab_to(&testid(&format!("quiz-input-{qid}"))).await;
                browser.press("1").await;
            } else {
                browser
                    .tab_to(&format!(
                        "{} input",
                        testid(&format!("quiz-predict-choice-{qid}-0"))
                    ))
                    .await;
                browser.press(" ").await;
            }
            browser
                .tab_and_press(&testid(&format!("quiz-check-{qid}")), Key::Enter)
                .await;
            browser
                .wait_until(
                    &format!("{qid} to be run and graded"),
                    &format!(
                        "return !!document.querySelector(\"[data-testid='quiz-verdict-{qid}']\");"
                    ),
                )
                .await;
            wait_for_feedback_focus(browser, qid).await;
            return;
        }
        QuestionKind::Order { .. } => loop {
            let order = browser
                .eval(&format!(
                    "return Array.from(document.querySelectorAll(\"[data-testid='quiz-order-{qid}'] li\")).map(li => Number(li.dataset.item));"
                ))
                .await;
            let order: Vec<u64> = order
                .as_array()
                .expect("items")
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            let Some(wrong) = order
                .iter()
                .enumerate()
                .position(|(i, &item)| i as u64 != item)
            else {
                break;
            };
            // The item that belongs at `wrong` sits lower: move it up one place.
            browser
                .tab_and_press(&testid(&format!("quiz-order-up-{qid}-{wrong}")), Key::Enter)
                .await;
            browser
                .wait_until(
                    "the item to move",
                    &format!(
                        "return JSON.stringify(Array.from(document.querySelectorAll(\"[data-testid='quiz-order-{qid}'] li\")).map(li => Number(li.dataset.item))) !== '{}';",
                        serde_json::to_string(&order).expect("json")
                    ),
                )
                .await;
        },
    }
    browser
        .tab_and_press(&testid(&format!("quiz-check-{qid}")), Key::Enter)
        .await;
    browser.wait_for_verdict(qid, true).await;
    wait_for_feedback_focus(browser, qid).await;
}

/// Once graded, the question hides its Check button and, a frame later, focus moves to the
/// feedback (so a screen reader reads the verdict next). Waiting for that keeps the next Tab
/// from starting on the hidden button and landing wherever the frame's focus move leaves it.
async fn wait_for_feedback_focus(browser: &Browser, qid: &str) {
    browser
        .wait_until(
            &format!("the feedback of {qid} to take focus"),
            &format!(
                "return document.activeElement === document.querySelector(\"[data-testid='quiz-feedback-{qid}']\");"
            ),
        )
        .await;
}

#[tokio::test]
async fn a_keyboard_alone_takes_a_learner_through_the_course() {
    let course = course().expect("the embedded course decodes");
    let lesson = course.lesson("why-dataflow").expect("lesson 1");
    let quiz = course.quiz(&lesson.quiz_ids[0]).expect("its quiz");
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.origin)).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;

    // The skip link comes first, shows, and takes focus into the page.
    browser.tab_and_press(".skip-link", Key::Enter).await;
    assert_eq!(
        browser.eval("return document.activeElement.id;").await,
        Value::from("main")
    );

    // The header's Lessons link, then the lesson's card.
    browser
        .tab_and_press(".site-nav a[href='#/lessons']", Key::Enter)
        .await;
    browser.wait_for_text("main h1", "Lessons").await;
    browser
        .tab_and_press(
            &format!("main a[href='#/lessons/{}']", lesson.slug),
            Key::Enter,
        )
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;

    // One question of every kind, answered right.
    let mut kinds = Vec::new();
    for question in &quiz.questions {
        let kind = std::mem::discriminant(&question.kind);
        if kinds.contains(&kind) {
            continue;
        }
        answer_by_keyboard(&browser, question).await;
        println!("keyboard: answered {} right", question.id);
        kinds.push(kind);
    }
    assert_eq!(kinds.len(), 5, "lesson 1's quiz has every kind of question");

    // The WSE simulator: play, pause, step, inspect.
    browser
        .tab_and_press(".site-nav a[href='#/simulators']", Key::Enter)
        .await;
    browser.wait_for_text("main h1", "Simulators").await;
    browser
        .tab_and_press("main a[href='#/simulators/wse']", Key::Enter)
        .await;
    browser
        .wait_for_text("main h1", "Cerebras WSE-2 simulator")
        .await;
    browser.wait_status("Ready").await;
    browser
        .tab_and_press("[data-testid=sim-play]", Key::Enter)
        .await;
    browser
        .wait_until(
            "the mesh to run",
            "return document.querySelector('[data-testid=sim-cycle]').textContent.trim() !== '0';",
        )
        .await;
    browser.press(&Key::Enter.to_string()).await; // the same button now pauses
    browser.wait_status("Paused").await;
    let before = browser.text_of("[data-testid=sim-cycle]").await;
    browser
        .tab_and_press("[data-testid=sim-step]", Key::Enter)
        .await;
    browser
        .wait_until(
            "one step",
            &format!(
                "return document.querySelector('[data-testid=sim-cycle]').textContent.trim() !== {};",
                serde_json::to_string(before.trim()).expect("json")
            ),
        )
        .await;
    for (key, value) in [("x", "1"), ("y", "2")] {
        browser
            .tab_to(&format!("[data-testid=sim-inspect-{key}]"))
            .await;
        // Ctrl+A selects what the field holds; the digit replaces it.
        browser
            .press(&format!("{}a{}{value}", Key::Control, Key::Null))
            .await;
    }
    browser
        .tab_and_press("[data-testid=sim-inspect]", Key::Enter)
        .await;
    browser
        .wait_for_text("[data-testid=sim-inspector-title]", "PE (1, 2)")
        .await;

    // The MNIST lab: start a run, draw a digit while it trains, cancel.
    browser
        .tab_and_press(".site-nav a[href='#/labs']", Key::Enter)
        .await;
    browser.wait_for_text("main h1", "Labs").await;
    browser
        .tab_and_press("main a[href='#/labs/mnist']", Key::Enter)
        .await;
    browser
        .wait_for_text("main h1", "MNIST: learning rate, batch and epochs")
        .await;
    // Thirty epochs, typed over the default, so the run is still training when it is cancelled.
    browser.tab_to("[data-testid=mnist-epochs]").await;
    browser
        .press(&format!("{}a{}30", Key::Control, Key::Null))
        .await;
    browser
        .tab_and_press("[data-testid=mnist-start]", Key::Enter)
        .await;
    browser
        .wait_until(
            "training to report its first samples",
            "const s = document.querySelector('[data-testid=mnist-samples]');
             return !!s && s.textContent.trim() !== '' && s.textContent.trim() !== '0';",
        )
        .await;
    browser.tab_to("[data-testid=mnist-pad]").await;
    let up = Key::Up.to_string().repeat(6);
    let down = Key::Down.to_string().repeat(12);
    browser.press(&format!("{up}{down}{}", Key::Enter)).await;
    browser
        .wait_for_part("[data-testid=mnist-answer]", "Prediction:")
        .await;
    let status = browser.text_of("[data-testid=mnist-status]").await;
    assert_eq!(
        browser
            .eval("return document.querySelector('[data-testid=mnist-cancel]').disabled;")
            .await,
        Value::Bool(false),
        "Cancel is enabled while the run trains ({status})"
    );
    browser
        .tab_and_press("[data-testid=mnist-cancel]", Key::Enter)
        .await;
    browser
        .wait_for_part("[data-testid=mnist-status]", "Cancelled run 1")
        .await;
    // Cancel is disabled now; the focus moved to Start rather than falling to the page.
    assert_eq!(
        browser
            .eval("return document.activeElement && document.activeElement.getAttribute('data-testid');")
            .await,
        Value::String("mnist-start".into()),
        "the focus is on Start after the run is cancelled"
    );
    browser.assert_console_clean().await;
    browser.close().await;
}
