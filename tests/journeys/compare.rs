//! `#/compare`: one workload on the five machines, the table the engines give natively, a link
//! that reproduces it, and bad values' sentences.

use course::SimArch;
use testbed_lab::simulation::compare::{Column, CompareSetup, Comparison};

use crate::support::{Browser, StaticServer, relative_dist};

/// The comparison run natively: each machine's cycle count, or `None` when it refuses.
fn native(query: &str) -> Vec<(SimArch, Option<u64>)> {
    let setup = CompareSetup::from_query(&testbed_lab::query::parse(query)).expect("a setup");
    let mut c = Comparison::new(setup);
    c.run_to_end();
    c.columns
        .iter()
        .map(|(a, col)| {
            (
                *a,
                match col {
                    Column::Done(f) => Some(f.metrics.cycles.0),
                    _ => None,
                },
            )
        })
        .collect()
}

async fn wait_done(browser: &Browser) {
    browser
        .wait_for_part("[data-testid=compare-progress]", "All 5 machines are done")
        .await;
}

#[tokio::test]
async fn the_bert_layer_on_five_machines_matches_the_engines_and_a_link_reproduces_it() {
    let query = "preset=bert-layer&seq=128";
    let expected = native(query);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/simulators", server.origin))
        .await;
    browser.click("[data-testid=compare-link]").await;
    browser
        .wait_for_text("main h1", "One workload on five machines")
        .await;
    // Choose the BERT layer as a person would, then run.
    browser
        .eval(
            "const s = document.querySelector('[data-testid=compare-preset]');
             s.value = 'bert-layer'; s.dispatchEvent(new Event('change', { bubbles: true })); return 0;",
        )
        .await;
    browser.watch_main_thread().await;
    browser.click("[data-testid=compare-run]").await;
    wait_done(&browser).await;
    let main = browser.main_thread().await;
    println!(
        "compare, BERT-tiny layer on five machines: longest main-thread task {} ms (0 = none over 50 ms), longest frame gap {} ms",
        main.longest_task, main.longest_gap
    );
    // The engines run in the compare worker in bounded slices: the page never blocks on them.
    assert!(
        main.longest_task.as_f64().unwrap_or(0.0) <= 50.0,
        "a main-thread task took {} ms while five machines ran the BERT layer",
        main.longest_task
    );
    let hash = browser.eval("return location.hash;").await;
    assert_eq!(hash.as_str(), Some(&format!("#/compare?{query}")[..]));
    for (arch, cycles) in &expected {
        let cell = browser
            .text_of(&format!("[data-testid=compare-{}-cycles]", arch.name()))
            .await;
        match cycles {
            Some(c) => assert_eq!(cell, c.to_string(), "{arch:?}"),
            None => {
                assert_eq!(cell, "not run (why: first row)", "{arch:?}");
                let why = browser
                    .text_of(&format!("[data-testid=compare-{}-machine]", arch.name()))
                    .await;
                assert!(why.starts_with("Cannot run it: "), "{arch:?}: {why}");
            }
        }
    }
    let lanes = browser.text_of("[data-testid=compare-lanes]").await;
    assert!(lanes.contains("GPU:"), "{lanes}");
    browser.screenshot_page("compare-bert-layer").await;
    let table = browser.text_of("[data-testid=compare-table]").await;
    // The link, opened afresh, gives the same table.
    browser
        .open(&format!("{}/#/compare?{query}", server.origin))
        .await;
    browser.eval("location.reload(); return 0;").await;
    browser
        .wait_for_text("main h1", "One workload on five machines")
        .await;
    wait_done(&browser).await;
    assert_eq!(browser.text_of("[data-testid=compare-table]").await, table);
    // A bad value: a sentence where the learner is looking, and the page still works.
    browser
        .open(&format!(
            "{}/#/compare?preset=bert-layer&seq=abc",
            server.origin
        ))
        .await;
    browser.eval("location.reload(); return 0;").await;
    browser
        .wait_for_part("[data-testid=compare-error]", "“abc”")
        .await;
    browser
        .open(&format!("{}/#/compare?preset=mlp", server.origin))
        .await;
    browser.eval("location.reload(); return 0;").await;
    wait_done(&browser).await;
    browser.screenshot_page("compare-mlp").await;
    browser.assert_console_clean().await;
    browser.close().await;
}
