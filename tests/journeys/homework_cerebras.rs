//! The homework's Cerebras section: three small batch sizes of BERT-tiny masked-LM steps run in
//! the page's worker, the table fills, and time per step grows slower than the batch (as it
//! did on the CS-2), with no main-thread task over 50 ms during the sweep; a bad `cs-` value in
//! the address gets its sentence.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Browser, StaticServer, relative_dist};

/// Three small batches, short sequences, few steps: a sweep of well under a minute.
const SWEEP: &str = "at=cerebras&cs-batches=2,4,8&cs-seq=32&cs-warmup=2&cs-steps=4";
const STATUS: &str = "[data-testid=cs-status]";
const DONE: &str = "Done: every batch size was timed.";

/// Waits (up to 4 minutes: the sweep trains) until the status reads `DONE`.
async fn wait_done(browser: &Browser) {
    let started = Instant::now();
    loop {
        let status = browser.text_of(STATUS).await;
        if status.trim() == DONE {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the sweep did not finish: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The browser table's rows as `(batch, ms per step, samples per second)`.
async fn rows(browser: &Browser) -> Vec<(f64, f64, f64)> {
    let cells = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=homework-cerebras-browser] tbody tr:not(.sim-table__empty)')]
               .map(r => [...r.querySelectorAll('td, th')].map(c => c.textContent.trim()));",
        )
        .await;
    let number = |v: &Value| -> f64 {
        v.as_str()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.replace(',', "").parse().ok())
            .unwrap_or_else(|| panic!("not a figure: {v}"))
    };
    cells
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| (number(&row[0]), number(&row[1]), number(&row[2])))
        .collect()
}

#[tokio::test]
async fn the_cerebras_sweep_shows_time_per_step_growing_slower_than_the_batch() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/labs/homework?{SWEEP}", server.origin))
        .await;
    browser
        .wait_for_text(
            STATUS,
            "Not started: the worker starts when you run the sweep.",
        )
        .await;
    let workers = browser
        .eval("return performance.getEntriesByType('resource').filter(e => e.name.includes('worker_loader')).length;")
        .await;
    assert_eq!(
        workers.as_u64(),
        Some(0),
        "no worker before the sweep starts"
    );
    // The WSE model's bound stands beside the real runs before anything runs.
    let wse = browser.text_of("[data-testid=homework-cerebras-wse]").await;
    for figure in ["0.066 s", "0.176 s", "0.37", "0.264 s", "0.305 s", "0.86"] {
        assert!(wse.contains(figure), "{figure} in {wse}");
    }
    let bound = browser.text_of("[data-testid=cs-fit-wse]").await;
    assert!(
        bound.starts_with("WSE model, an arithmetic bound: 0 s + b / 7,771 samples/s per step"),
        "{bound}"
    );
    let placeholder = browser
        .text_of("[data-testid=homework-cerebras-browser] .sim-table__empty")
        .await;
    assert!(
        placeholder.starts_with("No batch size timed yet"),
        "{placeholder}"
    );
    // Every change to the table's body is noted with the status beside it, so the journey
    // sees whether rows arrived while the sweep was still running.
    browser
        .eval(
            "window.__csSeen = [];
             const body = document.querySelector('[data-testid=homework-cerebras-browser] tbody');
             new MutationObserver(() => window.__csSeen.push([
               body.querySelectorAll('tr:not(.sim-table__empty)').length,
               document.querySelector('[data-testid=cs-status]').textContent.trim(),
             ])).observe(body, { childList: true, subtree: true });
             return 0;",
        )
        .await;
    browser.watch_main_thread().await;
    let started = Instant::now();
    browser.click("[data-testid=cs-run]").await;
    wait_done(&browser).await;
    let elapsed = started.elapsed();
    let seen: Vec<(usize, String)> =
        serde_json::from_value(browser.eval("return window.__csSeen;").await).expect("snapshots");
    assert!(
        seen.iter()
            .any(|(n, status)| (1..3).contains(n) && status != DONE),
        "each batch size's row shows as soon as it is timed, before the sweep ends: {seen:?}"
    );
    let main_thread = browser.main_thread().await;
    let rows = rows(&browser).await;
    println!(
        "cerebras sweep in Chromium ({SWEEP}): {rows:?} (batch, ms/step, samples/s); {:.1} s from the click; longest main-thread task {} ms, longest frame gap {} ms",
        elapsed.as_secs_f64(),
        main_thread.longest_task,
        main_thread.longest_gap
    );
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![2.0, 4.0, 8.0]
    );
    let (first, last) = (rows[0], rows[2]);
    let batch_ratio = last.0 / first.0;
    let time_ratio = last.1 / first.1;
    assert!(
        time_ratio < batch_ratio,
        "time per step grew {time_ratio:.2}× for a {batch_ratio}× batch"
    );
    assert!(last.2 > first.2, "throughput rose: {rows:?}");
    assert!(
        main_thread.longest_task.as_f64().unwrap_or(0.0) <= 50.0,
        "a main-thread task took {} ms during the sweep",
        main_thread.longest_task
    );
    let fit = browser.text_of("[data-testid=cs-fit-browser]").await;
    assert!(fit.starts_with("This browser: "), "{fit}");
    let real = browser.text_of("[data-testid=cs-fit-real]").await;
    assert!(
        real.starts_with(
            "Real CS-2, from batches 512 and 2,048: 0.1334 s + b / 11,934 samples/s per step"
        ),
        "{real}"
    );
    let show_chart = "document.querySelector('[data-testid=cs-chart]').scrollIntoView({ block: 'center' }); return 0;";
    browser.eval(show_chart).await;
    browser.screenshot("homework-cerebras-light").await;
    browser
        .eval("document.querySelector('[data-testid=homework-cerebras-wse]').scrollIntoView({ block: 'center' }); return 0;")
        .await;
    browser.screenshot("homework-cerebras-wse").await;

    // The dark theme draws the same section (the rows come back: a new sweep is run).
    browser
        .eval("localStorage.setItem('testbed-lab.theme', 'dark'); location.reload(); return 0;")
        .await;
    browser
        .wait_for_text(
            STATUS,
            "Not started: the worker starts when you run the sweep.",
        )
        .await;
    browser.click("[data-testid=cs-run]").await;
    wait_done(&browser).await;
    browser.eval(show_chart).await;
    browser.screenshot("homework-cerebras-dark").await;
    browser.assert_console_clean().await;
    browser.close().await;
}

#[tokio::test]
async fn a_bad_cerebras_value_in_the_address_gets_its_sentence() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/labs/homework?at=cerebras&cs-batches=8,4&cs-seq=100",
            server.origin
        ))
        .await;
    browser
        .wait_for_text(
            "[data-testid=cs-error-batches]",
            "The batch sizes must grow from left to right; 4 comes after 8.",
        )
        .await;
    browser
        .wait_for_text(
            "[data-testid=cs-error-seq]",
            "The sequence length must be 16, 32, 64 or 128; “100” is not one of them.",
        )
        .await;
    let disabled = browser
        .eval("return document.querySelector('[data-testid=cs-run]').disabled;")
        .await;
    assert_eq!(disabled, Value::Bool(true));
    // A batch the tab cannot hold is refused with its estimate.
    browser
        .open(&format!(
            "{}/#/labs/homework?at=cerebras&cs-batches=4,512&cs-seq=128",
            server.origin
        ))
        .await;
    browser
        .wait_for_part(
            "[data-testid=cs-error-batches]",
            "A masked-LM step at batch 512 and length 128 would hold about ",
        )
        .await;
    browser.close().await;
}
