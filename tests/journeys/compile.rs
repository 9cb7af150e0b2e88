//! `#/compile`: one machine's compile stage by stage, its figures equal to the native report,
//! a new batch's diff (Groq recompiles, with a new latency), a bad value's sentence, and both
//! themes.

use fantoccini::Locator;
use testbed_lab::simulation::compare::CompareSetup;
use testbed_lab::simulation::compile::{
    CompileReport, CompileSetup, diff, every_machine, verdict_rows,
};

use crate::support::{Browser, StaticServer, relative_dist};

/// The report the page must show, compiled natively.
fn native(query: &str) -> CompileReport {
    CompileSetup::from_query(&testbed_lab::query::parse(query))
        .expect("a setup")
        .compile()
        .expect("a report")
}

async fn type_into(browser: &Browser, testid: &str, value: &str) {
    let field = browser
        .client
        .find(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

/// Opens `route` (`#/…`) on a fresh page load: a change of the hash alone would keep the
/// running app and its state.
async fn load_fresh(browser: &Browser, server: &StaticServer, route: &str) {
    browser.open(&format!("{}/{route}", server.origin)).await;
    browser.eval("location.reload(); return 0;").await;
}

async fn wait_compiled(browser: &Browser) {
    browser
        .wait_for_part("[data-testid=compile-status]", "Compiled ")
        .await;
}

#[tokio::test]
async fn groq_mlp_stage_by_stage_then_a_new_batch_recompiles_with_a_new_latency() {
    let query = "machine=groq&preset=mlp&batch=4";
    let expected = native(query);
    let bigger = native("machine=groq&preset=mlp&batch=16");
    let expected_diff = diff(&expected, &bigger);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    // From the simulator list, as a person would.
    browser
        .open(&format!("{}/#/simulators", server.origin))
        .await;
    browser.click("[data-testid=compile-link]").await;
    browser
        .wait_for_text("main h1", "The compile workflow, stage by stage")
        .await;
    // Choose the MLP as a person would, then compile.
    browser
        .eval(
            "const s = document.querySelector('[data-testid=compile-preset]');
             s.value = 'mlp'; s.dispatchEvent(new Event('change', { bubbles: true })); return 0;",
        )
        .await;
    browser.watch_main_thread().await;
    browser.click("[data-testid=compile-run]").await;
    wait_compiled(&browser).await;
    let hash = browser.eval("return location.hash;").await;
    assert_eq!(hash.as_str(), Some(&format!("#/compile?{query}")[..]));
    // Six stages, in order, each with its real tool beside it.
    let order = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid^=compile-stage-]')].map(e => e.dataset.testid).join(' ');",
        )
        .await;
    assert_eq!(
        order.as_str(),
        Some(
            "compile-stage-trace compile-stage-partition compile-stage-place compile-stage-route compile-stage-schedule compile-stage-run"
        )
    );
    let tool = browser.text_of("[data-testid=compile-tool-schedule]").await;
    assert!(tool.contains("GroqFlow"), "{tool}");
    // The run stage's figure is the compiler's prediction, as natively.
    let cycles = expected.figure("cycles").expect("cycles");
    assert_eq!(
        browser.text_of("[data-testid=compile-figure-cycles]").await,
        sim::units::thousands(cycles)
    );
    let summary = browser.text_of("[data-testid=compile-summary-run]").await;
    assert_eq!(
        summary,
        expected
            .stage(testbed_lab::simulation::compile::StageName::Run)
            .expect("run stage")
            .summary
    );
    // The trace's table lists the workload's ops.
    let trace = browser
        .text_of("[data-testid=compile-stage-trace] [data-testid=compile-table]")
        .await;
    assert!(trace.contains("[4, 784]"), "{trace}");
    let main = browser.main_thread().await;
    println!(
        "compile, Groq MLP: longest main-thread task {} ms (0 = none over 50 ms), longest frame gap {} ms",
        main.longest_task, main.longest_gap
    );
    browser.screenshot_page("compile-groq-mlp-light").await;

    // A new batch: Groq must recompile, with a new latency.
    type_into(&browser, "compile-new-batch", "16").await;
    browser.click("[data-testid=compile-shape-run]").await;
    browser
        .wait_for_part("[data-testid=compile-diff-verdict]", "must recompile")
        .await;
    let verdict = browser.text_of("[data-testid=compile-diff-verdict]").await;
    assert_eq!(verdict, expected_diff.verdict);
    assert!(
        verdict.starts_with("The Groq TSP must recompile: a new schedule and a new latency."),
        "{verdict}"
    );
    let new_cycles = bigger.figure("cycles").expect("cycles");
    assert!(new_cycles > cycles);
    assert!(
        verdict.contains(&sim::units::thousands(new_cycles)),
        "{verdict}"
    );
    let table = browser.text_of("[data-testid=compile-diff-table]").await;
    assert!(table.contains("Shape: batch"), "{table}");
    // The same change on every machine, as natively: the GPU alone need not recompile.
    let workload =
        |q: &str| CompareSetup::from_query(&testbed_lab::query::parse(q)).expect("a setup");
    let every = verdict_rows(&every_machine(
        &workload("preset=mlp&batch=4"),
        &workload("preset=mlp&batch=16"),
    ));
    browser
        .wait_for_part("[data-testid=compile-every-machine]", "Groq TSP")
        .await;
    let every_text = browser.text_of("[data-testid=compile-every-machine]").await;
    for row in &every {
        assert!(every_text.contains(&row[2]), "{row:?} in {every_text}");
    }
    assert_eq!(every[0][1], "no");
    browser.screenshot_page("compile-groq-diff-light").await;
    // The new shape's stages replace the old ones, and the address follows.
    browser.click("[data-testid=compile-diff-open]").await;
    browser
        .wait_for_text(
            "[data-testid=compile-figure-cycles]",
            &sim::units::thousands(new_cycles),
        )
        .await;
    let hash = browser.eval("return location.hash;").await;
    assert_eq!(
        hash.as_str(),
        Some("#/compile?machine=groq&preset=mlp&batch=16")
    );
    // The address edited by hand back to batch 4 (a `hashchange` on the same page):
    // the page compiles that setup afresh.
    browser
        .eval(&format!("location.hash = '#/compile?{query}'; return 0;"))
        .await;
    browser
        .wait_for_text(
            "[data-testid=compile-figure-cycles]",
            &sim::units::thousands(expected.figure("cycles").expect("cycles")),
        )
        .await;
    wait_compiled(&browser).await;

    // The same in the dark theme.
    browser
        .eval("localStorage.setItem('testbed-lab.theme', 'dark'); location.reload(); return 0;")
        .await;
    browser
        .wait_for_text("main h1", "The compile workflow, stage by stage")
        .await;
    wait_compiled(&browser).await;
    let theme = browser
        .eval("return document.documentElement.getAttribute('data-theme');")
        .await;
    assert_eq!(theme.as_str(), Some("dark"));
    type_into(&browser, "compile-new-batch", "16").await;
    browser.click("[data-testid=compile-shape-run]").await;
    browser
        .wait_for_part("[data-testid=compile-diff-verdict]", "must recompile")
        .await;
    browser
        .wait_for_part("[data-testid=compile-every-machine]", "Groq TSP")
        .await;
    browser.screenshot_page("compile-groq-diff-dark").await;

    // The IPU on the BERT layer (a heavier compile, in the worker).
    load_fresh(
        &browser,
        &server,
        "#/compile?machine=ipu&preset=bert-layer&seq=64",
    )
    .await;
    wait_compiled(&browser).await;
    let ipu = native("machine=ipu&preset=bert-layer&seq=64");
    assert_eq!(
        browser
            .text_of("[data-testid=compile-figure-supersteps]")
            .await,
        sim::units::thousands(ipu.figure("supersteps").expect("supersteps"))
    );
    browser.screenshot_page("compile-ipu-bert-dark").await;

    // The RDU's BERT layer: the placement's long table scrolls inside its stage, under a
    // header that stays put, so the stage is at most about a screen tall.
    load_fresh(
        &browser,
        &server,
        "#/compile?machine=rdu&preset=bert-layer&seq=64",
    )
    .await;
    wait_compiled(&browser).await;
    let place = browser
        .eval(
            "const wrap = document.querySelector('[data-testid=compile-stage-place] .sim-table-wrap');
             const th = wrap.querySelector('thead th');
             wrap.scrollTop = wrap.scrollHeight;
             const stuck = th.getBoundingClientRect().top - wrap.getBoundingClientRect().top;
             return [wrap.querySelectorAll('tbody tr').length, wrap.clientHeight, wrap.scrollHeight,
                     Math.round(Math.abs(stuck)), getComputedStyle(th).position];",
        )
        .await;
    let rows = place[0].as_u64().expect("rows");
    let (shown, full) = (
        place[1].as_f64().unwrap_or(0.0),
        place[2].as_f64().unwrap_or(0.0),
    );
    println!("RDU placement on #/compile: {rows} rows in a {shown} px box of {full} px");
    assert!(rows >= 30, "the RDU places many units: {place}");
    assert!(
        shown <= 400.0 && full > shown,
        "the long table scrolls in its box: {place}"
    );
    assert_eq!(
        place[3].as_u64(),
        Some(0),
        "the header stays at the top: {place}"
    );
    assert_eq!(place[4], "sticky");
    browser.eval("document.querySelector('[data-testid=compile-stage-place]').scrollIntoView(); return 0;").await;
    browser.screenshot("compile-rdu-bert-place-dark").await;

    // Lesson 07's card opens the page on its setup.
    load_fresh(&browser, &server, "#/lessons/refactoring").await;
    browser.click("[data-testid=lesson-compile-card]").await;
    browser
        .wait_for_text("main h1", "The compile workflow, stage by stage")
        .await;
    wait_compiled(&browser).await;
    assert_eq!(
        browser.text_of("[data-testid=compile-figure-cycles]").await,
        sim::units::thousands(cycles)
    );

    // A bad value: a sentence where the person looks, and nothing else breaks.
    load_fresh(
        &browser,
        &server,
        "#/compile?machine=groq&preset=mlp&batch=abc",
    )
    .await;
    browser
        .wait_for_part("[data-testid=compile-error]", "“abc”")
        .await;
    load_fresh(&browser, &server, "#/compile?machine=tpu").await;
    browser
        .wait_for_part("[data-testid=compile-error]", "no machine called “tpu”")
        .await;
    browser.screenshot_page("compile-bad-machine-dark").await;
    browser.eval("localStorage.clear(); return 0;").await;
    browser.assert_console_clean().await;
    browser.close().await;
}

/// The session's Groq experiment on the compile page: BERT-tiny's layer at sequence length
/// 128, then 256. Groq must recompile with a new latency (the engine's own figure), and the
/// every-machine table marks Groq and SambaNova as recompiling, as natively.
#[tokio::test]
async fn a_longer_sequence_recompiles_groq_and_sambanova_with_groqs_new_latency() {
    let short = native("machine=groq&preset=bert-layer&seq=128");
    let long = native("machine=groq&preset=bert-layer&seq=256");
    let expected = diff(&short, &long);
    let workload =
        |q: &str| CompareSetup::from_query(&testbed_lab::query::parse(q)).expect("a setup");
    let every = verdict_rows(&every_machine(
        &workload("preset=bert-layer&seq=128"),
        &workload("preset=bert-layer&seq=256"),
    ));
    let row = |name: &str| {
        every
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no {name} row in {every:?}"))
            .clone()
    };
    assert_eq!(row("Groq TSP")[1], "yes");
    assert_eq!(row("RDU")[1], "yes");
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    load_fresh(
        &browser,
        &server,
        "#/compile?machine=groq&preset=bert-layer&seq=128",
    )
    .await;
    wait_compiled(&browser).await;
    type_into(&browser, "compile-new-seq", "256").await;
    browser.click("[data-testid=compile-shape-run]").await;
    browser
        .wait_for_part("[data-testid=compile-diff-verdict]", "must recompile")
        .await;
    let verdict = browser.text_of("[data-testid=compile-diff-verdict]").await;
    assert_eq!(verdict, expected.verdict);
    let new_cycles = long.figure("cycles").expect("cycles");
    assert!(new_cycles > short.figure("cycles").expect("cycles"));
    assert!(
        verdict.contains(&sim::units::thousands(new_cycles)),
        "Groq's new latency, in cycles: {verdict}"
    );
    let table = browser.text_of("[data-testid=compile-diff-table]").await;
    assert!(table.contains("Shape: seq"), "{table}");
    browser
        .wait_for_part("[data-testid=compile-every-machine]", "Groq TSP")
        .await;
    let every_text = browser.text_of("[data-testid=compile-every-machine]").await;
    for r in [row("Groq TSP"), row("RDU")] {
        assert!(every_text.contains(&r[2]), "{r:?} in {every_text}");
    }
    println!("seq 128 → 256 on #/compile: {verdict}");
    browser.screenshot_page("compile-groq-seq-256-light").await;
    browser.assert_console_clean().await;
    browser.close().await;
}
