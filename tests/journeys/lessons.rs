//! Lessons, quizzes, progress and search, as a learner uses them.

use std::time::{Duration, Instant};

use course::{Course, Question, QuestionKind};
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::Value;
use testbed_lab::course_data::course;

use crate::support::{Browser, PATIENCE, StaticServer, relative_dist};

pub(crate) fn the_course() -> &'static Course {
    course().expect("the embedded course decodes")
}

pub(crate) async fn type_into(browser: &Browser, css: &str, text: &str) {
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
}

/// The items of an ordering question as shown, as canonical indices.
async fn shown_order(browser: &Browser, qid: &str) -> Vec<usize> {
    let value = browser
        .eval(&format!(
            "return Array.from(document.querySelectorAll(\"[data-testid='quiz-order-{qid}'] li\")).map(li => Number(li.dataset.item));"
        ))
        .await;
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| usize::try_from(v.as_u64().expect("an index")).expect("fits"))
        .collect()
}

/// Puts an ordering question right by keyboard: focus an item's "Move up" button, press Enter.
async fn put_in_order(browser: &Browser, qid: &str) {
    let started = Instant::now();
    loop {
        let order = shown_order(browser, qid).await;
        let Some(position) = order.iter().enumerate().position(|(i, &item)| i != item) else {
            return;
        };
        // The item that belongs at `position` is further down: move it up one place.
        let wanted = position;
        let up = format!("[data-testid='quiz-order-up-{qid}-{wanted}']");
        let button = browser
            .client
            .find(Locator::Css(&up))
            .await
            .expect("a move-up button");
        button
            .send_keys(&Key::Enter.to_string())
            .await
            .expect("enter");
        browser
            .wait_until(
                "the item to move up",
                &format!(
                    "const items = Array.from(document.querySelectorAll(\"[data-testid='quiz-order-{qid}'] li\")).map(li => Number(li.dataset.item)); return JSON.stringify(items) !== '{}';",
                    serde_json::to_string(&order).expect("json")
                ),
            )
            .await;
        assert!(
            started.elapsed() < PATIENCE,
            "ordering {qid} takes too long"
        );
    }
}

/// Answers `question` correctly and checks it.
async fn answer_right(browser: &Browser, question: &Question) {
    let qid = &question.id;
    match &question.kind {
        QuestionKind::MultipleChoice { answers, .. } => {
            for choice_idx in 0..answers.len() {
                browser
                    .click(&format!("[data-testid='quiz-choice-{qid}-{choice_idx}']"))
                    .await;
            }
        }
        QuestionKind::ShortAnswer { answer, .. } => {
            type_into(
                browser,
                &format!("[data-testid='quiz-input-{qid}']"),
                answer,
            )
            .await;
        }
        QuestionKind::Numeric { answer, unit, .. } => {
            // Typed the way a person would, unit included.
            let typed = match unit {
                Some(unit) => format!("{answer} {unit}"),
                None => format!("{answer}"),
            };
            type_into(
                browser,
                &format!("[data-testid='quiz-input-{qid}']"),
                &typed,
            )
            .await;
        }
        QuestionKind::Order { .. } => put_in_order(browser, qid).await,
        QuestionKind::Predict(predict) => {
            // The right prediction is what the engine gives natively (the page runs the same
            // engine in its worker and must agree).
            match crate::predict::native_answer(predict) {
                course::PredictValue::Number(x) => {
                    type_into(
                        browser,
                        &format!("[data-testid='quiz-input-{qid}']"),
                        &format!("{x}"),
                    )
                    .await;
                }
                value => {
                    let choice_idx = predict
                        .measure
                        .choices()
                        .iter()
                        .position(|c| match (c, &value) {
                            (
                                course::PredictValue::Machines(c),
                                course::PredictValue::Machines(v),
                            ) => c.iter().all(|a| v.contains(a)),
                            (c, v) => c == v,
                        })
                        .expect("the engine's answer is a choice");
                    browser
                        .click(&format!(
                            "[data-testid='quiz-predict-choice-{qid}-{choice_idx}']"
                        ))
                        .await;
                }
            }
        }
    }
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    browser.wait_for_verdict(qid, true).await;
}

/// Answers a single-choice question with the keyboard alone: Space picks the focused choice,
/// the arrow keys move through the group, Tab reaches Check, Enter checks.
async fn answer_right_by_keyboard(browser: &Browser, qid: &str) {
    // The previous answer's feedback takes focus a frame after its verdict: let it, first.
    browser.settle().await;
    let focused = browser
        .eval(&format!(
            "const input = document.querySelector(\"[data-testid='quiz-question-{qid}'] input\"); input.focus(); return document.activeElement === input;"
        ))
        .await;
    assert_eq!(
        focused,
        Value::Bool(true),
        "the first choice of {qid} takes focus"
    );
    browser.press(" ").await;
    let checked = format!(
        "const c = document.querySelector(\"[data-testid='quiz-question-{qid}'] input:checked\"); return c ? c.value : '';"
    );
    let started = Instant::now();
    while browser.eval(&checked).await != "0" {
        assert!(
            started.elapsed() < PATIENCE,
            "the arrow keys never reached the answer"
        );
        browser.press(&Key::Down.to_string()).await;
    }
    browser.press(&Key::Tab.to_string()).await;
    let on_check = browser
        .eval("return document.activeElement.dataset.testid || '';")
        .await;
    assert_eq!(
        on_check,
        Value::from(format!("quiz-check-{qid}")),
        "Tab goes from the choices to Check"
    );
    browser.press(&Key::Enter.to_string()).await;
    browser.wait_for_verdict(qid, true).await;
}

pub(crate) fn assert_no_console_errors(entries: &[Value]) {
    let errors: Vec<&Value> = entries
        .iter()
        .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
        .collect();
    assert!(
        errors.is_empty(),
        "the console has errors or warnings: {errors:#?}"
    );
}

async fn wait_for_text_containing(browser: &Browser, css: &str, part: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(element) = browser.client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
            && text.contains(part)
        {
            return text;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "`{css}` never contained {part:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_quiz_answered_wrong_then_right_shows_why_and_its_result_survives_a_reload() {
    let course = the_course();
    let lesson = course.lesson("cerebras-wse").expect("the WSE lesson");
    let quiz = course.quiz(&lesson.quiz_ids[0]).expect("its quiz");
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;

    // The first question, a single choice, answered with a distractor.
    let first = &quiz.questions[0];
    let QuestionKind::MultipleChoice {
        answers,
        multi_select: false,
        ..
    } = &first.kind
    else {
        panic!("the WSE quiz starts with a single-choice question");
    };
    let qid = &first.id;
    // Check with nothing selected: a message, not a wrong answer.
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    wait_for_text_containing(
        &browser,
        &format!("[data-testid='quiz-feedback-{qid}']"),
        "Select an answer first.",
    )
    .await;
    let wrong = answers.len();
    browser
        .click(&format!("[data-testid='quiz-choice-{qid}-{wrong}']"))
        .await;
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    browser.wait_for_verdict(qid, false).await;
    let explanation = browser
        .text_of(&format!("[data-testid='quiz-explanation-{qid}']"))
        .await;
    assert!(
        explanation.contains("24 colors"),
        "the explanation is shown: {explanation:?}"
    );
    browser
        .wait_until(
            "focus to move to the feedback",
            &format!("return document.activeElement.dataset.testid === 'quiz-feedback-{qid}';"),
        )
        .await;
    browser.screenshot("quiz-wrong").await;

    // Try again, and answer right.
    browser
        .click(&format!("[data-testid='quiz-retry-{qid}']"))
        .await;
    browser
        .wait_until(
            "the question to be open again",
            &format!("return !document.querySelector(\"[data-testid='quiz-verdict-{qid}']\") && document.querySelector(\"[data-testid='quiz-check-{qid}']\").offsetParent !== null;"),
        )
        .await;
    answer_right(&browser, first).await;
    let explanation = browser
        .text_of(&format!("[data-testid='quiz-explanation-{qid}']"))
        .await;
    assert!(explanation.contains("24 colors"), "{explanation:?}");
    browser.screenshot("quiz-right").await;

    // Leave the quiz half done: a reload keeps the right answer.
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", &lesson.title).await;
    wait_for_text_containing(
        &browser,
        "[data-testid='quiz-kept']",
        &format!(
            "you have answered 1 of these {} questions right",
            quiz.questions.len()
        ),
    )
    .await;
    wait_for_text_containing(
        &browser,
        &format!("[data-testid='quiz-earlier-{qid}']"),
        "right on an earlier visit",
    )
    .await;
    browser
        .eval(&format!(
            "document.querySelector(\"[data-testid='quiz-question-{qid}']\").scrollIntoView({{ block: 'center' }}); return true;"
        ))
        .await;
    browser.screenshot("quiz-kept").await;
    // The progress page says the quiz is started.
    browser.open(&format!("{}/#/progress", server.origin)).await;
    wait_for_text_containing(
        &browser,
        &format!(
            "[data-testid='progress-row-{}'] [data-testid='progress-status']",
            lesson.slug
        ),
        &format!("Started: 1 of {} right", quiz.questions.len()),
    )
    .await;
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;
    // Answered again in this visit, right: the note gives way to the verdict.
    answer_right(&browser, first).await;
    let earlier = browser
        .eval(&format!(
            "return document.querySelectorAll(\"[data-testid='quiz-earlier-{qid}']\").length;"
        ))
        .await;
    assert_eq!(
        earlier,
        Value::from(0),
        "no earlier-visit note once answered"
    );

    // The rest of the quiz, every kind of question, answered right.
    // The rest of the quiz: the next single-choice question by keyboard only, the others by
    // the helper (which orders items by keyboard too).
    let by_keyboard = quiz.questions[1..]
        .iter()
        .find(|q| {
            matches!(
                q.kind,
                QuestionKind::MultipleChoice {
                    multi_select: false,
                    ..
                }
            )
        })
        .map(|q| q.id.clone());
    for question in &quiz.questions[1..] {
        if Some(&question.id) == by_keyboard.as_ref() {
            answer_right_by_keyboard(&browser, &question.id).await;
        } else {
            answer_right(&browser, question).await;
        }
    }
    let n = quiz.questions.len();
    browser
        .wait_for_text(
            "[data-testid='quiz-score']",
            &format!("Score: {n} of {n} right (100 %). Passed."),
        )
        .await;
    let saved = format!("In your progress: best {n} of {n} (passed) after 1 attempt.");
    browser
        .wait_for_text("[data-testid='quiz-record']", &saved)
        .await;
    browser.screenshot("quiz-done").await;

    // Reload: the result and the lesson's read mark are still there.
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", &lesson.title).await;
    browser
        .wait_for_text("[data-testid='quiz-record']", &saved)
        .await;
    browser
        .wait_for_text("[data-testid='lesson-read']", "Read")
        .await;
    browser.open(&format!("{}/#/progress", server.origin)).await;
    browser.wait_for_text("main h1", "Your progress").await;
    browser
        .wait_for_text(
            &format!(
                "[data-testid='progress-row-{}'] [data-testid='progress-status']",
                lesson.slug
            ),
            "Passed",
        )
        .await;
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

#[tokio::test]
async fn corrupt_or_foreign_stored_progress_gives_a_working_page_and_a_notice() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let lesson = &the_course().lessons[0];
    browser.open(&format!("{}/#/lessons", server.origin)).await;
    browser.wait_for_text("main h1", "Lessons").await;

    for (stored, says) in [
        ("{this is not json", "not valid JSON"),
        (
            "{\"schema\":\"someone-else\",\"version\":1}",
            "not Testbed Lab progress",
        ),
        (
            "{\"schema\":\"testbed-lab/progress\",\"version\":99,\"lessons_read\":[]}",
            "newer version",
        ),
    ] {
        browser
            .eval(&format!(
                "localStorage.setItem('testbed-lab.progress', {}); return null;",
                serde_json::to_string(stored).expect("json")
            ))
            .await;
        browser
            .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
            .await;
        browser.wait_for_text("main h1", &lesson.title).await;
        wait_for_text_containing(&browser, "[data-testid='progress-notice']", says).await;
        // The page works: the quiz is there and answers.
        let first = &the_course()
            .quiz(&lesson.quiz_ids[0])
            .expect("quiz")
            .questions[0];
        answer_right(&browser, first).await;
    }
    browser.screenshot("progress-notice").await;

    // A reset keeps what could not be read, and is reported once.
    browser
        .eval("localStorage.setItem('testbed-lab.progress', 'garbage'); return null;")
        .await;
    browser.open(&format!("{}/#/lessons", server.origin)).await;
    wait_for_text_containing(&browser, "[data-testid='progress-notice']", "reset").await;
    let kept = browser
        .eval("return localStorage.getItem('testbed-lab.progress.unreadable');")
        .await;
    assert_eq!(kept, Value::from("garbage"));
    browser
        .click("[data-testid='progress-notice-dismiss']")
        .await;
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", "Lessons").await;
    let notices = browser
        .client
        .find_all(Locator::Css("[data-testid='progress-notice']"))
        .await
        .expect("query");
    assert!(notices.is_empty(), "the reset is reported once");
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

/// The text of the last file offered through a hidden download anchor, read back from its blob.
async fn downloaded_text(browser: &Browser, testid: &str) -> (String, String) {
    browser
        .wait_until(
            "a download",
            &format!("const a = document.querySelector(\"[data-testid='{testid}']\"); return !!a && a.href.startsWith('blob:');"),
        )
        .await;
    let name = browser
        .eval(&format!(
            "return document.querySelector(\"[data-testid='{testid}']\").download;"
        ))
        .await;
    let text = browser
        .client
        .execute_async(
            &format!(
                "const done = arguments[arguments.length - 1];
                 fetch(document.querySelector(\"[data-testid='{testid}']\").href)
                   .then(r => r.text()).then(done, e => done('fetch failed: ' + e));"
            ),
            vec![],
        )
        .await
        .expect("read the blob");
    (
        name.as_str().unwrap_or_default().to_owned(),
        text.as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn progress_exports_to_a_file_and_imports_back_and_a_bad_file_changes_nothing() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    // The export is read back with fetch(blob:…), which the site's CSP refuses.
    browser.bypass_csp().await;
    let lesson = &the_course().lessons[0];
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;
    browser
        .wait_for_text("[data-testid='lesson-read']", "Read")
        .await;

    browser.open(&format!("{}/#/progress", server.origin)).await;
    browser.wait_for_text("main h1", "Your progress").await;
    let read_cell = format!(
        "[data-testid='progress-row-{}'] [data-testid='progress-read']",
        lesson.slug
    );
    browser.wait_for_text(&read_cell, "✓ Read").await;
    browser.click("[data-testid='progress-export']").await;
    let (name, exported) = downloaded_text(&browser, "progress-export-file").await;
    assert_eq!(name, course::PROGRESS_EXPORT_FILE_NAME);
    let outcome = course::Progress::load(&exported);
    assert_eq!(
        outcome.notice, None,
        "the export is a valid progress file: {exported}"
    );
    assert!(outcome.progress.is_read(&lesson.slug));

    let folder = std::env::temp_dir().join(format!("testbed-lab-import-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("temp folder");
    let good = folder.join("progress.json");
    std::fs::write(&good, &exported).expect("write export");
    let bad = folder.join("not-progress.json");
    std::fs::write(&bad, "{\"hello\": \"world\"}").expect("write bad file");

    // Start again from nothing, then import the file.
    browser.eval("localStorage.clear(); return null;").await;
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", "Your progress").await;
    browser.wait_for_text(&read_cell, "Not yet").await;
    type_into(
        &browser,
        "[data-testid='progress-import']",
        &good.display().to_string(),
    )
    .await;
    wait_for_text_containing(
        &browser,
        "[data-testid='progress-import-message']",
        "Imported: 1 lesson read",
    )
    .await;
    browser.wait_for_text(&read_cell, "✓ Read").await;

    // A file that is not progress: a clear message beside the control, and nothing changes.
    type_into(
        &browser,
        "[data-testid='progress-import']",
        &bad.display().to_string(),
    )
    .await;
    wait_for_text_containing(
        &browser,
        "[data-testid='progress-import-message']",
        "not a Testbed Lab progress file",
    )
    .await;
    let class = browser
        .eval(
            "return document.querySelector(\"[data-testid='progress-import-message']\").className;",
        )
        .await;
    assert!(
        class.as_str().unwrap_or_default().contains("--error"),
        "{class}"
    );
    browser.wait_for_text(&read_cell, "✓ Read").await;
    let stored = browser
        .eval("return localStorage.getItem('testbed-lab.progress');")
        .await;
    assert!(
        course::Progress::load(stored.as_str().unwrap_or_default())
            .progress
            .is_read(&lesson.slug),
        "the stored progress is unchanged"
    );
    browser.screenshot("progress-page").await;

    // The quiz's GIFT download carries every question of that quiz.
    let wse = the_course().lesson("cerebras-wse").expect("lesson");
    let quiz = the_course().quiz(&wse.quiz_ids[0]).expect("quiz");
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, wse.slug))
        .await;
    browser.wait_for_text("main h1", &wse.title).await;
    browser.click("[data-testid='quiz-gift']").await;
    let (name, gift) = downloaded_text(&browser, "quiz-gift-file").await;
    assert_eq!(name, course::gift::quiz_file_name(quiz));
    assert_eq!(gift, course::gift::quiz_to_gift(quiz));
    for question in &quiz.questions {
        // A Predict question's answer is what the page's simulator measures, so
        // GIFT names it in a comment line instead of carrying it as a question.
        let expected = match question.kind {
            course::QuestionKind::Predict(_) => format!("// {}: a Predict question", question.id),
            _ => format!("::{}::", question.id),
        };
        assert!(
            gift.contains(&expected),
            "{} is in the GIFT as {expected}",
            question.id
        );
    }
    let _ = std::fs::remove_dir_all(&folder);
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

#[tokio::test]
async fn searching_for_wavelet_by_keyboard_lands_on_the_wse_lesson_section() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser.open(&format!("{}/#/", server.origin)).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;

    // `/` focuses the search box from anywhere but a text field.
    browser
        .client
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys("/")
        .await
        .expect("slash");
    let focused = browser.eval("return document.activeElement.id;").await;
    assert_eq!(focused, Value::from("site-search"));
    let input = browser.client.active_element().await.expect("focus");
    input.send_keys("wavelet").await.expect("type");
    browser
        .wait_until(
            "search hits",
            "return document.querySelectorAll(\"[data-testid='search-hit']\").length > 0;",
        )
        .await;
    let first_href = browser
        .eval("return document.querySelector(\"[data-testid='search-hit']\").dataset.href;")
        .await;
    let first_href = first_href.as_str().unwrap_or_default().to_owned();
    assert!(
        first_href.starts_with("#/lessons/cerebras-wse?at="),
        "{first_href}"
    );
    browser.screenshot("search-dropdown").await;

    // Escape closes the list; typing opens it again; arrow down + Enter opens the first hit.
    input
        .send_keys(&Key::Escape.to_string())
        .await
        .expect("escape");
    browser
        .wait_until(
            "the list to close",
            "return document.querySelector(\"[data-testid='search-panel']\").hidden;",
        )
        .await;
    input.send_keys(&Key::Down.to_string()).await.expect("down");
    browser
        .wait_until(
            "the first hit to be active",
            "return document.getElementById('site-search').getAttribute('aria-activedescendant') === 'site-search-hit-0';",
        )
        .await;
    input
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    browser
        .wait_for_text("main h1", "Cerebras CS-2 and the WSE-2")
        .await;
    let url = browser.client.current_url().await.expect("url").to_string();
    assert!(
        url.ends_with(&first_href),
        "{url} should end with {first_href}"
    );
    let anchor = first_href
        .split("?at=")
        .nth(1)
        .expect("an anchor")
        .to_owned();
    browser
        .wait_until(
            "the section to be focused and in view",
            &format!(
                "const h = document.getElementById('{anchor}'); if (!h || document.activeElement !== h) return false; const r = h.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight / 2;"
            ),
        )
        .await;
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

#[tokio::test]
async fn every_lesson_renders_its_parts_and_cards_lead_to_their_pages() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    for lesson in &the_course().lessons {
        browser
            .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
            .await;
        browser.wait_for_text("main h1", &lesson.title).await;
        let counts = browser
            .eval(
                "return [
                   document.querySelectorAll('.lesson-toc a').length,
                   document.querySelectorAll('.lesson-sources__item').length,
                   document.querySelectorAll('.quiz-question').length,
                   document.querySelectorAll('.lesson-figure img').length,
                   Array.from(document.querySelectorAll('.lesson-figure img')).every(i => i.alt.length > 0),
                 ];",
            )
            .await;
        let n_figures = {
            let mut n = 0;
            course::model::visit_blocks(&lesson.body, &mut |b| {
                if matches!(b, course::Block::Figure { .. }) {
                    n += 1;
                }
            });
            n
        };
        let n_questions: usize = lesson
            .quiz_ids
            .iter()
            .filter_map(|id| the_course().quiz(id))
            .map(|q| q.questions.len())
            .sum();
        assert_eq!(
            counts[1],
            Value::from(lesson.sources().len()),
            "{}: sources",
            lesson.slug
        );
        assert_eq!(
            counts[2],
            Value::from(n_questions),
            "{}: questions",
            lesson.slug
        );
        assert_eq!(
            counts[3],
            Value::from(n_figures),
            "{}: figures",
            lesson.slug
        );
        assert_eq!(
            counts[4],
            Value::from(true),
            "{}: every figure has alt text",
            lesson.slug
        );
        assert!(
            counts[0].as_u64().unwrap_or(0) >= 2,
            "{}: a table of contents",
            lesson.slug
        );
        if n_figures > 0 {
            // Figures load (they are lazy: bring them into view first).
            browser
                .eval("document.querySelectorAll('.lesson-figure img').forEach(i => { i.loading = 'eager'; }); return null;")
                .await;
            browser
                .wait_until(
                    "figures to load",
                    "return Array.from(document.querySelectorAll('.lesson-figure img')).every(i => i.complete && i.naturalWidth > 0);",
                )
                .await;
        }
    }
    // A simulator card opens the simulator with its preset.
    browser
        .open(&format!("{}/#/lessons/cerebras-wse", server.origin))
        .await;
    browser
        .wait_for_text("main h1", "Cerebras CS-2 and the WSE-2")
        .await;
    browser
        .click("[data-testid='lesson-sim-card'][href='#/simulators/wse?preset=gemv']")
        .await;
    browser
        .wait_for_text("main h1", "Cerebras WSE-2 simulator")
        .await;
    let url = browser.client.current_url().await.expect("url").to_string();
    assert!(url.ends_with("#/simulators/wse?preset=gemv"), "{url}");
    browser.screenshot("after-sim-card").await;
    // Citations lead to the sources list.
    browser
        .open(&format!("{}/#/lessons/cerebras-wse", server.origin))
        .await;
    browser
        .wait_for_text("main h1", "Cerebras CS-2 and the WSE-2")
        .await;
    browser.click(".lesson-cite__link").await;
    browser
        .wait_until(
            "the cited source to be focused",
            "return document.activeElement && document.activeElement.classList.contains('lesson-sources__item');",
        )
        .await;
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

#[tokio::test]
async fn two_tabs_keep_each_others_progress() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let lessons = &the_course().lessons;
    let (first, second) = (&lessons[0], &lessons[1]);
    browser.open(&format!("{}/#/progress", server.origin)).await;
    browser.wait_for_text("main h1", "Your progress").await;
    let tab_one = browser.client.window().await.expect("this tab");

    // A second tab reads a lesson...
    let tab_two = browser
        .client
        .new_window(true)
        .await
        .expect("a new tab")
        .handle;
    browser
        .client
        .switch_to_window(tab_two)
        .await
        .expect("switch");
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, first.slug))
        .await;
    browser
        .wait_for_text("[data-testid='lesson-read']", "Read")
        .await;

    // ...the first tab, open all along, sees it, then reads another one itself.
    browser
        .client
        .switch_to_window(tab_one)
        .await
        .expect("switch back");
    let read_cell =
        |slug: &str| format!("[data-testid='progress-row-{slug}'] [data-testid='progress-read']");
    browser
        .wait_for_text(&read_cell(&first.slug), "✓ Read")
        .await;
    browser
        .click(&format!("[data-testid='progress-row-{}'] a", second.slug))
        .await;
    browser
        .wait_for_text("[data-testid='lesson-read']", "Read")
        .await;
    let stored = browser
        .eval("return localStorage.getItem('testbed-lab.progress');")
        .await;
    let progress = course::Progress::load(stored.as_str().unwrap_or_default()).progress;
    assert!(
        progress.is_read(&first.slug) && progress.is_read(&second.slug),
        "both tabs' lessons are kept: {stored}"
    );
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

/// The page's width and the window's, and the first element (if any) whose right edge passes
/// the window without a scrolling box around it.
const SIDEWAYS: &str = "const d = document.documentElement; \
    const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) { \
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } \
      return false; }; \
    const wide = [...document.querySelectorAll('main *')].find((e) => \
      e.getBoundingClientRect().right > d.clientWidth + 1 && !scrolls(e)); \
    return [d.scrollWidth <= d.clientWidth, wide ? wide.tagName + ' ' + (wide.textContent || '').slice(0, 60) : ''];";

#[tokio::test]
async fn on_a_phone_lessons_fit_the_screen_and_the_header_scrolls_away() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    // Every lesson (long inline paths, ordering questions with long items) fits the width.
    for lesson in &the_course().lessons {
        browser
            .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
            .await;
        browser.wait_for_text("main h1", &lesson.title).await;
        let fits = browser.eval(SIDEWAYS).await;
        assert_eq!(
            fits,
            Value::from(vec![Value::from(true), Value::from("")]),
            "{} scrolls sideways on a phone",
            lesson.slug
        );
    }
    // The header is not sticky on a phone, so a section link puts its heading at the top.
    browser
        .open(&format!(
            "{}/#/lessons/cerebras-wse?at=routers-and-their-five-ports",
            server.origin
        ))
        .await;
    browser
        .wait_until(
            "the section's heading at the top of the screen, focused",
            "const h = document.getElementById('routers-and-their-five-ports'); \
             const top = h && h.getBoundingClientRect().top; \
             return document.activeElement === h && top >= 0 && top < 40;",
        )
        .await;
    let position = browser
        .eval("return getComputedStyle(document.querySelector('.site-header')).position;")
        .await;
    assert_eq!(position, Value::from("static"));
    // The simulator card's button is inside the card, and the simulator opens inside it too,
    // within the lesson's column.
    browser
        .click("[data-testid=sim-embed-wse] [data-testid=sim-embed-toggle]")
        .await;
    browser
        .wait_until(
            "the embedded simulator inside its card, within the column",
            "const card = document.querySelector('[data-testid=lesson-sim]'); \
             const sim = card && card.querySelector('[data-testid=sim-page-wse]'); \
             const button = card && card.querySelector('[data-testid=sim-embed-toggle]'); \
             const column = document.querySelector('.lesson__body'); \
             if (!sim || !button || !column) return false; \
             const c = card.getBoundingClientRect(), s = sim.getBoundingClientRect(), \
               b = button.getBoundingClientRect(), l = column.getBoundingClientRect(); \
             return b.left >= c.left && b.right <= c.right && b.bottom <= c.bottom \
               && s.left >= c.left && s.right <= c.right && c.right <= l.right + 1;",
        )
        .await;
    let fits = browser.eval(SIDEWAYS).await;
    assert_eq!(
        fits,
        Value::from(vec![Value::from(true), Value::from("")]),
        "the embedded simulator widens the page on a phone"
    );
    browser.screenshot("lesson-embed-phone").await;
    assert_no_console_errors(&browser.console_entries().await);
    browser.close().await;
}

/// A number that is a known slip gets its explanation under the verdict, and the right
/// number afterwards does not.
#[tokio::test]
async fn a_known_wrong_number_is_answered_with_the_slip_behind_it() {
    let course = the_course();
    let lesson = course.lesson("graphcore-ipu").expect("the IPU lesson");
    let quiz = course.quiz(&lesson.quiz_ids[0]).expect("its quiz");
    let question = quiz
        .questions
        .iter()
        .find(|q| q.id == "ipu-host-calls")
        .expect("the host-calls question");
    let QuestionKind::Numeric {
        answer, mistakes, ..
    } = &question.kind
    else {
        panic!("a numeric question");
    };
    let slip = &mistakes[0];
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/lessons/{}", server.origin, lesson.slug))
        .await;
    browser.wait_for_text("main h1", &lesson.title).await;
    let qid = &question.id;
    let input = format!("[data-testid='quiz-input-{qid}']");
    browser
        .eval(&format!(
            "document.querySelector(\"{input}\").scrollIntoView({{ block: 'center' }}); return 0;"
        ))
        .await;
    type_into(&browser, &input, "7,500").await;
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    let feedback = wait_for_text_containing(
        &browser,
        &format!("[data-testid='quiz-feedback-{qid}']"),
        &slip.why,
    )
    .await;
    assert!(feedback.contains("You answered 7,500"), "{feedback}");
    browser.screenshot("quiz-numeric-slip").await;
    browser
        .click(&format!("[data-testid='quiz-retry-{qid}']"))
        .await;
    browser
        .eval(&format!(
            "const i = document.querySelector(\"{input}\"); i.value = '';
             i.dispatchEvent(new Event('input', {{ bubbles: true }})); return 0;"
        ))
        .await;
    type_into(&browser, &input, &answer.to_string()).await;
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    browser.wait_for_verdict(qid, true).await;
    let feedback = browser
        .text_of(&format!("[data-testid='quiz-feedback-{qid}']"))
        .await;
    assert!(!feedback.contains(&slip.why), "{feedback}");
    browser.assert_console_clean().await;
    browser.close().await;
}
