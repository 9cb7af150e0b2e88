//! The homework lab (`#/labs/homework`): a 2×2 Graphcore grid trains in the MNIST worker and
//! fills its table (and downloads it as CSV); bad `ipu-`/`groq-` values in the address get
//! their sentence; a typed sentence and the dummy input get different answers and the same Groq
//! latency, length 256 recompiles, and the reality table fills in and downloads; the main
//! thread never holds a task over 50 ms.

use std::time::Duration;

use crate::support::{Browser, StaticServer, relative_dist};
use serde_json::Value;

/// Ten minutes: four CNN runs on 400 digits each test on 2,000 digits.
const GRID_PATIENCE: Duration = Duration::from_secs(600);

async fn theme_both(browser: &Browser, name: &str) {
    browser.screenshot_page(&format!("{name}-light")).await;
    browser.click("[data-testid=theme-toggle]").await;
    browser.screenshot_page(&format!("{name}-dark")).await;
    browser.click("[data-testid=theme-toggle]").await;
}

#[tokio::test]
async fn a_two_by_two_graphcore_grid_runs_in_the_worker_and_fills_its_table() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let query = "at=graphcore&ipu-lr=0.05%2C0.5&ipu-batch=8%2C16&ipu-epochs=1&ipu-steps=here&ipu-digits=400&ipu-seed=1";
    browser
        .open(&format!("{}/#/labs/homework?{query}", server.origin))
        .await;
    browser
        .wait_for_part(
            "[data-testid=ipu-grid-estimate]",
            "4 runs of the CNN, about",
        )
        .await;
    // No worker until the grid starts.
    assert_eq!(
        browser
            .eval("return document.querySelector('[data-testid=ipu-status]') === null;")
            .await,
        Value::Bool(true)
    );
    // The button in view first: the scroll's layout of the long page is not the grid's work.
    browser
        .eval("document.querySelector('[data-testid=ipu-grid-run]').scrollIntoView({ block: 'center' }); return 0;")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser.watch_main_thread().await;
    browser
        .eval(
            "window.__tasks = []; window.__t0 = performance.now();
             new PerformanceObserver(l => { for (const e of l.getEntries())
               window.__tasks.push([Math.round(e.startTime - window.__t0), Math.round(e.duration)]); })
               .observe({ type: 'longtask', buffered: false }); return 0;",
        )
        .await;
    let started = std::time::Instant::now();
    browser.click("[data-testid=ipu-grid-run]").await;
    let cells = "return [...document.querySelectorAll('[data-testid=ipu-grid-table] tbody tr')]
        .map(r => r.cells[3].textContent);";
    let started_wait = std::time::Instant::now();
    loop {
        let texts = browser.eval(cells).await;
        let done = texts.as_array().is_some_and(|a| {
            a.len() == 4
                && a.iter()
                    .all(|t| t.as_str().is_some_and(|t| t.ends_with('%')))
        });
        if done {
            break;
        }
        assert!(
            started_wait.elapsed() < GRID_PATIENCE,
            "the grid did not finish: {texts}; status: {}",
            browser.text_of("[data-testid=ipu-status]").await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let elapsed = started.elapsed();
    let table = browser.text_of("[data-testid=ipu-grid-table]").await;
    let times = browser.text_of("[data-testid=ipu-grid-epoch-times]").await;
    let main = browser.main_thread().await;
    let tasks = browser.eval("return window.__tasks;").await;
    println!("long tasks [start ms after the click, duration]: {tasks}");
    println!(
        "homework grid, 2×2 on 400 digits: {elapsed:?}; longest main-thread task {} ms (0 = none over 50 ms), longest frame gap {} ms\n{table}\n{times}",
        main.longest_task, main.longest_gap
    );
    assert_eq!(
        main.longest_task,
        Value::from(0),
        "a main-thread task over 50 ms"
    );
    // Each run's batch and learning rate are in the table, and every run finished.
    for row in ["0.05 8 1", "0.05 16 1", "0.5 8 1", "0.5 16 1"] {
        assert!(table.contains(row), "{row} in {table}");
    }
    assert_eq!(table.matches("finished").count(), 4, "{table}");
    // The epoch times: the IPU model's figure and this browser's measured one for each batch.
    assert!(times.contains("8.65 s"), "{times}");
    assert!(!times.contains("run the grid"), "{times}");
    // The grid downloads as CSV.
    browser.click("[data-testid=ipu-grid-csv]").await;
    let file = browser
        .eval(
            "const a = document.querySelector('[data-testid=ipu-grid-csv-file]');
             return [a.download, a.href.startsWith('blob:')];",
        )
        .await;
    assert_eq!(
        file,
        serde_json::json!(["homework-graphcore-grid.csv", true])
    );
    // The settings stayed in the address.
    let hash = browser.eval("return location.hash;").await;
    assert_eq!(hash.as_str(), Some(&format!("#/labs/homework?{query}")[..]));
    browser.assert_console_clean().await;
    theme_both(&browser, "homework-graphcore").await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_ipu_value_in_the_address_gets_its_sentence() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/labs/homework?at=graphcore&ipu-batch=8%2C0&ipu-steps=gpu",
            server.origin
        ))
        .await;
    browser
        .wait_for_text(
            "[data-testid=homework-error-ipu-batch]",
            "A batch size must be at least 1, not 0.",
        )
        .await;
    browser
        .wait_for_text(
            "[data-testid=homework-error-ipu-steps]",
            "“gpu” is not a number of steps here: choose here or ipu.",
        )
        .await;
    let disabled = browser
        .eval("return document.querySelector('[data-testid=ipu-grid-run]').disabled;")
        .await;
    assert_eq!(disabled, Value::Bool(true));
    browser.assert_console_clean().await;
    browser.close().await;
}

/// The rows of the Groq section's results table, cell by cell.
async fn groq_rows(browser: &Browser) -> Vec<Vec<String>> {
    let rows = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=groq-results] tbody tr:not(.sim-table__empty)')]
               .map(r => [...r.cells].map(c => c.textContent));",
        )
        .await;
    serde_json::from_value(rows).expect("rows of text")
}

async fn wait_rows(browser: &Browser, n: usize) -> Vec<Vec<String>> {
    browser
        .wait_until(
            &format!("{n} answers"),
            &format!(
                "return document.querySelectorAll('[data-testid=groq-results] tbody tr:not(.sim-table__empty)').length === {n};"
            ),
        )
        .await;
    groq_rows(browser).await
}

#[tokio::test]
async fn a_sentence_and_the_dummy_input_differ_in_prediction_not_in_groq_latency_and_256_recompiles()
 {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let query = "at=groq&groq-len=128&groq-text=A%20gripping%2C%20funny%20and%20generous%20film.&groq-tests=50&groq-train=64";
    browser
        .open(&format!("{}/#/labs/homework?{query}", server.origin))
        .await;
    // The button in view first (the scroll's layout is not the section's work), then the main
    // thread is watched from the click that starts the worker and the fine-tune.
    browser.text_of("[data-testid=groq-fine-tune]").await;
    browser
        .eval("document.querySelector('[data-testid=groq-fine-tune]').scrollIntoView({ block: 'center' }); return 0;")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser.watch_main_thread().await;
    browser.click("[data-testid=groq-fine-tune]").await;
    // The short fine-tune ends, and the model can be asked.
    browser
        .wait_until(
            "the fine-tuned model",
            "const b = document.querySelector('[data-testid=groq-classify]'); return !!b && !b.disabled;",
        )
        .await;
    browser.click("[data-testid=groq-classify]").await;
    wait_rows(&browser, 1).await;
    browser
        .wait_for_part(
            "[data-testid=groq-compile-notice]",
            "Compiled for the shape (1, 128)",
        )
        .await;
    browser.click("[data-testid=groq-dummy]").await;
    let rows = wait_rows(&browser, 2).await;
    // Different answers, the same Groq latency (same shape), the real 26.6 µs beside both.
    assert!(rows[0][0].starts_with("your sentence"), "{rows:?}");
    assert!(
        rows[1][0].starts_with("the example's dummy input"),
        "{rows:?}"
    );
    assert_ne!(rows[0][2], rows[1][2], "{rows:?}");
    assert_eq!(rows[0][4], rows[1][4], "{rows:?}");
    assert_eq!(rows[0][5], "26.6 µs", "{rows:?}");
    browser
        .wait_for_part("[data-testid=groq-compile-notice]", "Same shape (1, 128)")
        .await;
    browser
        .wait_for_part("[data-testid=groq-point]", "Your sentence gave P(positive)")
        .await;
    // Length 256: a recompile, and a new latency.
    browser
        .eval(
            "const s = document.querySelector('[data-testid=homework-groq-len]');
             s.value = '256'; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
        )
        .await;
    browser.click("[data-testid=groq-dummy]").await;
    let rows = wait_rows(&browser, 3).await;
    browser
        .wait_for_part(
            "[data-testid=groq-compile-notice]",
            "The input shape changed from (1, 128) to (1, 256)",
        )
        .await;
    assert_eq!(rows[2][1], "256", "{rows:?}");
    assert_ne!(rows[2][4], rows[1][4], "{rows:?}");
    assert_eq!(rows[2][5], "42.8 µs", "{rows:?}");
    // The timed test sentences, and the reality table's rows filled from this browser.
    browser.click("[data-testid=groq-tests-run]").await;
    let rows = wait_rows(&browser, 4).await;
    assert!(rows[3][2].starts_with("accuracy "), "{rows:?}");
    let reality = browser.text_of("[data-testid=homework-reality]").await;
    assert!(reality.contains("Groq model"), "{reality}");
    assert!(
        reality.contains("this browser (wasm, one thread)"),
        "{reality}"
    );
    let main = browser.main_thread().await;
    println!(
        "homework groq: {rows:?}\nlongest main-thread task {} ms (0 = none over 50 ms), longest frame gap {} ms",
        main.longest_task, main.longest_gap
    );
    assert_eq!(
        main.longest_task,
        Value::from(0),
        "a main-thread task over 50 ms"
    );
    // The reality table downloads as CSV.
    browser.click("[data-testid=homework-reality-csv]").await;
    let file = browser
        .eval(
            "const a = document.querySelector('[data-testid=homework-reality-csv-file]');
             return [a.download, a.href.startsWith('blob:')];",
        )
        .await;
    assert_eq!(
        file,
        serde_json::json!(["homework-model-vs-reality.csv", true])
    );
    let hash = browser.eval("return location.hash;").await;
    assert!(
        hash.as_str()
            .is_some_and(|h| h.contains("groq-len=256") && h.contains("at=groq")),
        "{hash}"
    );
    browser.assert_console_clean().await;
    theme_both(&browser, "homework-groq").await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_groq_value_in_the_address_gets_its_sentence() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/labs/homework?at=groq&groq-len=100&groq-train=5",
            server.origin
        ))
        .await;
    browser
        .wait_for_text(
            "[data-testid=homework-error-groq-len]",
            "The input length must be 64, 128 or 256 (the lengths the BERT lab's model takes); “100” is not one of them.",
        )
        .await;
    browser
        .wait_for_text(
            "[data-testid=homework-error-groq-train]",
            "The fine-tune takes “all” or a number of training sentences from 32; “5” is neither.",
        )
        .await;
    let disabled = browser
        .eval("return document.querySelector('[data-testid=groq-fine-tune]').disabled;")
        .await;
    assert_eq!(disabled, Value::Bool(true));
    browser.assert_console_clean().await;
    browser.close().await;
}

/// Not part of the suite (`--ignored`): the Graphcore section at lr 0.0005 with the IPU's
/// number of steps (75,000 at batch 8 on the 8,000 bundled digits), the run behind the
/// homework's explanation of the 0.0005 result. About eight minutes; prints the grid's row.
#[tokio::test]
#[ignore = "a measurement of about eight minutes, not a check"]
async fn the_ipus_step_count_at_lr_0_0005_in_chromium() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let query = "at=graphcore&ipu-lr=0.0005&ipu-batch=8&ipu-epochs=10&ipu-steps=ipu&ipu-digits=8000&ipu-seed=1";
    browser
        .open(&format!("{}/#/labs/homework?{query}", server.origin))
        .await;
    browser
        .wait_for_part("[data-testid=ipu-grid-estimate]", "1 run of the CNN")
        .await;
    browser.click("[data-testid=ipu-grid-run]").await;
    let started = std::time::Instant::now();
    loop {
        let table = browser.text_of("[data-testid=ipu-grid-table]").await;
        if table.contains("finished") {
            println!(
                "lr 0.0005 with the IPU's steps, in Chromium ({:?}): {table}",
                started.elapsed()
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3_600),
            "the run did not finish: {table}"
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    browser.close().await;
}
