//! The simulator pages: a lesson's preset link runs to the end on the page with the engine's
//! own cycle count and a correct result; bad parameters give the engine's sentence and the
//! page recovers; the GPU page shows its HBM round trips; a 32×32 mesh animates to the end.

use crate::steps::MainThread;
use crate::support::{Browser, StaticServer, relative_dist};
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::Value;
use sim::engine::Engine;
use sim::units::Cycle;
use testbed_lab::simulation::SimSession;
use testbed_lab::simulation::gpu::{GpuMachine, GpuSession};
use testbed_lab::simulation::groq::{GroqMachine, GroqSession};
use testbed_lab::simulation::ipu::{IpuMachine, IpuSession};
use testbed_lab::simulation::rdu::{RduMachine, RduSession};
use testbed_lab::simulation::wse::{WseMachine, WseSession};
use testbed_lab::simulation::{Machine, SimForm};

/// The form a query describes on `machine`'s page, as the page parses it.
fn form_on(machine: &dyn Machine, query: &str) -> SimForm {
    SimForm::from_query(machine, &testbed_lab::query::parse(query))
}

/// The form a query describes on the WSE's page.
fn form(query: &str) -> SimForm {
    form_on(&WseMachine, query)
}

/// The cycle count the engine reaches natively for the WSE setup in `query`.
fn native_wse_cycles(query: &str) -> u64 {
    let setup = form(query).parse(&WseMachine).expect("a valid setup");
    let mut s = WseSession::build(&setup).expect("the setup builds");
    let _ = s.run.run_until(Cycle(u64::MAX));
    assert!(s.run.is_finished());
    s.run.now().0
}

async fn assert_console_clean(browser: &Browser) {
    let severe: Vec<Value> = browser
        .console_entries()
        .await
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(severe.is_empty(), "console errors: {severe:?}");
}

async fn hash(browser: &Browser) -> String {
    browser
        .eval("return location.hash;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_gemv_preset_runs_to_completion_with_the_engines_cycle_count() {
    let expected = native_wse_cycles("preset=gemv");
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    // A lesson's link card points here with only the preset.
    browser
        .open(&format!("{}/#/simulators/wse?preset=gemv", server.origin))
        .await;
    browser
        .wait_for_text("main h1", "Cerebras WSE-2 simulator")
        .await;
    browser.wait_status("Ready").await;
    browser.wait_for_text("[data-testid=sim-cycle]", "0").await;
    // One step, then run at full speed.
    browser.click("[data-testid=sim-step]").await;
    browser.wait_for_text("[data-testid=sim-cycle]", "1").await;
    browser.wait_status("Paused").await;
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    // The page's final count is the engine's, cycle for cycle (wasm == native).
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    browser
        .wait_for_text("[data-testid=sim-metric-cycles]", &expected.to_string())
        .await;
    browser
        .wait_for_text(
            "[data-testid=sim-outcome]",
            &format!("Finished after {expected} cycles."),
        )
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(
        check.starts_with("Correct: all 256 outputs equal the CPU's sums bit for bit"),
        "{check}"
    );
    let log = browser.text_of("[data-testid=sim-log]").await;
    assert!(log.contains("pipeline filled"), "{log}");
    assert!(log.contains("Result check: Correct"), "{log}");
    // The comparison's WSE column is this run; the GPU moved far more bytes off chip.
    let wse_cycles = browser
        .text_of("[data-testid=sim-compare-wse-cycles]")
        .await;
    assert_eq!(wse_cycles, expected.to_string());
    // The roofline is drawn (a canvas never drawn keeps its default 150 px height).
    let roofline_height = browser
        .eval("return document.querySelector('[data-testid=sim-roofline]').height;")
        .await;
    assert_ne!(roofline_height, Value::from(150), "the roofline is drawn");
    // Click-to-inspect: the middle of the canvas is a PE.
    browser.click("[data-testid=sim-mesh-canvas]").await;
    let inspected = browser.text_of("[data-testid=sim-inspector]").await;
    assert!(inspected.contains("Memory used"), "{inspected}");
    assert!(inspected.contains("of 48.00 KiB"), "{inspected}");
    // The keyboard way: pick PE (1, 2) by column and row.
    for (key, value) in [("x", "1"), ("y", "2")] {
        let field = browser
            .client
            .find(Locator::Css(&format!("[data-testid=sim-inspect-{key}]")))
            .await
            .expect("inspect field");
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }
    browser.click("[data-testid=sim-inspect]").await;
    browser
        .wait_for_text("[data-testid=sim-inspector-title]", "PE (1, 2)")
        .await;
    // The lesson link and the same workload on the GPU.
    let gpu_href = browser
        .eval("return document.querySelector('[data-testid=sim-other-gpu]').getAttribute('href');")
        .await;
    assert_eq!(
        gpu_href.as_str(),
        Some(form("preset=gemv").href_on(&GpuMachine).as_str())
    );
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn bad_parameters_show_the_engines_sentence_and_the_page_recovers() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/simulators/wse?preset=gemv&width=0",
            server.origin
        ))
        .await;
    browser
        .wait_for_text(
            "[data-testid=sim-error]",
            "Mesh width must be at least 1, but it is 0.",
        )
        .await;
    let play_disabled = browser
        .eval("return document.querySelector('[data-testid=sim-play]').disabled;")
        .await;
    assert_eq!(play_disabled, Value::Bool(true));

    // Fix it in the form: the run comes back, and the URL follows.
    browser.set_param("width", "8").await;
    browser.wait_status("Ready").await;
    let errors = browser
        .eval("return document.querySelectorAll('[data-testid=sim-error]').length;")
        .await;
    assert_eq!(errors, Value::from(0));
    let h = hash(&browser).await;
    assert!(h.contains("preset=gemv") && h.contains("width=8"), "{h}");

    // Too few colors for the mapping.
    browser.set_param("colors", "2").await;
    browser
        .wait_for_text(
            "[data-testid=sim-error]",
            "This mapping needs 3 colors but the fabric has only 2.",
        )
        .await;
    browser.set_param("colors", "24").await;
    // A block that does not fit a PE's 48 KB: the engine's sentence, exactly.
    // 8,192 inputs over 8 columns and 256 outputs over 16 rows: 1,024 × 16 floats = 64 KiB.
    browser.set_param("d_in", "8192").await;
    let Err(expected) = WseSession::build(
        &form("preset=gemv&width=8&d_in=8192")
            .parse(&WseMachine)
            .expect("parses"),
    ) else {
        panic!("a 64 KiB block must not fit a PE");
    };
    assert!(
        expected.starts_with("The block placed on PE (0, 0) needs 64."),
        "{expected}"
    );
    browser
        .wait_for_text("[data-testid=sim-error]", &expected)
        .await;
    // Text that is no number.
    browser.set_param("d_in", "lots").await;
    browser
        .wait_for_text(
            "[data-testid=sim-error]",
            "The input length must be a whole number, but it is \u{201c}lots\u{201d}.",
        )
        .await;
    // Back to a good value: it runs to the end.
    browser.set_param("d_in", "64").await;
    browser.wait_status("Ready").await;
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    let expected = native_wse_cycles("preset=gemv&width=8&d_in=64");
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    // The URL reproduces the setup: a fresh load of it reads the same fields.
    let h = hash(&browser).await;
    browser.open(&format!("{}/{h}", server.origin)).await;
    browser.wait_status("Ready").await;
    let d_in = browser
        .eval("return document.querySelector('[data-testid=sim-param-d_in]').value;")
        .await;
    assert_eq!(d_in.as_str(), Some("64"));
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn the_gpu_page_shows_its_hbm_round_trips_and_runs_every_kernel() {
    let setup = form_on(&GpuMachine, "preset=bert-layer")
        .parse(&GpuMachine)
        .expect("parses");
    let native = GpuSession::build(&setup).expect("builds");
    let total = native.sim.total_cycles().0;
    let n_kernels = native.sim.kernels().len();
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/simulators/gpu?preset=bert-layer",
            server.origin
        ))
        .await;
    browser
        .wait_for_text("main h1", "GPU baseline simulator")
        .await;
    browser.wait_status("Ready").await;
    let rows = browser
        .eval("return document.querySelectorAll('[data-testid=sim-traffic] tbody tr').length;")
        .await;
    assert_eq!(rows, Value::from(n_kernels));
    let summary = browser.text_of("[data-testid=sim-round-trips]").await;
    assert!(
        summary.contains("of intermediate results were written to HBM"),
        "{summary}"
    );
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    browser
        .wait_for_text("[data-testid=sim-cycle]", &total.to_string())
        .await;
    let log = browser.text_of("[data-testid=sim-log]").await;
    assert!(log.contains("kernel norm2 finished"), "{log}");
    // Switching the workload rebuilds the run and rewrites the URL.
    browser
        .eval(
            "const s = document.querySelector('[data-testid=sim-param-preset]');
             s.value = 'mlp'; s.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await;
    browser.wait_status("Ready").await;
    let h = hash(&browser).await;
    assert_eq!(h, form_on(&GpuMachine, "preset=mlp").href(&GpuMachine));
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn a_32_by_32_mesh_animates_to_the_end_without_blocking_the_page() {
    let query = "preset=mlp&width=32&height=32&batch=16";
    let expected = native_wse_cycles(query);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/simulators/wse?{query}", server.origin))
        .await;
    browser.wait_status("Ready").await;
    // Record frame intervals while it plays (reported, not asserted: speed is for benches).
    browser
        .eval(
            "window.__frames = []; let last = performance.now();
             (function f(t) { window.__frames.push(t - last); last = t;
               if (window.__frames.length < 100000) requestAnimationFrame(f); })(last);",
        )
        .await;
    // At one cycle a frame it would play for half a minute: long enough to pause it.
    browser
        .eval(
            "const s = document.querySelector('[data-testid=sim-speed]');
             s.value = '0'; s.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await;
    browser.click("[data-testid=sim-play]").await;
    // While it plays, the page answers: the controls respond.
    browser.wait_status("Running").await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Paused").await;
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    let stats = browser
        .eval(
            "const f = window.__frames.slice(2).sort((a, b) => a - b);
             const mean = f.reduce((a, b) => a + b, 0) / f.length;
             return [f.length, mean, f[Math.floor(f.length * 0.95)], f[f.length - 1]];",
        )
        .await;
    println!("32×32 mesh, {expected} cycles: frames, mean ms, p95 ms, max ms = {stats}");
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn a_lesson_runs_its_simulator_in_place_with_the_lessons_preset() {
    let expected = native_wse_cycles("preset=gemv");
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/lessons/cerebras-wse", server.origin))
        .await;
    browser
        .wait_for_text("main h1", "Cerebras CS-2 and the WSE-2")
        .await;
    // Nothing runs until the learner asks.
    let running = browser
        .eval("return document.querySelectorAll('[data-testid=sim-page-wse]').length;")
        .await;
    assert_eq!(running, Value::from(0));
    browser
        .click("[data-testid=sim-embed-wse] [data-testid=sim-embed-toggle]")
        .await;
    browser.wait_status("Ready").await;
    // Still the lesson, with no parameters form, and the address bar untouched.
    assert_eq!(hash(&browser).await, "#/lessons/cerebras-wse");
    let forms = browser
        .eval("return document.querySelectorAll('[data-testid=sim-form]').length;")
        .await;
    assert_eq!(forms, Value::from(0), "no parameters form in a lesson");
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Correct"), "{check}");
    assert_eq!(hash(&browser).await, "#/lessons/cerebras-wse");
    browser.screenshot("lesson-embed-wse").await;
    // The full page opens with the same setup.
    browser.click("[data-testid=sim-full-page-link]").await;
    browser
        .wait_for_text("main h1", "Cerebras WSE-2 simulator")
        .await;
    assert!(
        hash(&browser)
            .await
            .starts_with("#/simulators/wse?preset=gemv"),
        "the full simulator keeps the lesson's preset"
    );
    assert_console_clean(&browser).await;
    browser.close().await;
}

/// The compiler's predicted cycle count, and the supersteps, for the IPU setup in `query`.
fn native_ipu(query: &str) -> (u64, usize) {
    let setup = form_on(&IpuMachine, query)
        .parse(&IpuMachine)
        .expect("a valid setup");
    let mut s = IpuSession::build(&setup).expect("the setup builds");
    let predicted = s.predicted_cycles().0;
    let _ = s.engine().run_until(Cycle(u64::MAX));
    assert_eq!(
        s.run.now().0,
        predicted,
        "the run takes what the compiler predicts"
    );
    (predicted, s.run.program().supersteps.len())
}

#[tokio::test]
async fn the_ipu_runs_its_supersteps_to_the_compilers_cycle_count() {
    let query = "preset=mlp&tiles=16";
    let (expected, supersteps) = native_ipu(query);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/simulators/ipu?{query}", server.origin))
        .await;
    browser
        .wait_for_text("main h1", "Graphcore IPU simulator")
        .await;
    browser.wait_status("Ready").await;
    // The program the compiler made, one row per superstep, before anything runs.
    let rows = browser
        .eval("return document.querySelectorAll('[data-testid=sim-ipu-program] tbody tr').length;")
        .await;
    assert_eq!(rows, Value::from(supersteps));
    let status = browser.text_of(".sim-status").await;
    assert!(status.ends_with(&format!("of {expected}")), "{status}");
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Correct: all 512 outputs"), "{check}");
    let log = browser.text_of("[data-testid=sim-log]").await;
    assert!(log.contains("sync"), "{log}");
    // The GPU column beside this run.
    browser
        .wait_for_text(
            "[data-testid=sim-compare-ipu-cycles]",
            &expected.to_string(),
        )
        .await;
    // Inspect tile 3 by keyboard: one number, no row.
    let field = browser
        .client
        .find(Locator::Css("[data-testid=sim-inspect-x]"))
        .await
        .expect("inspect field");
    field.clear().await.expect("clear");
    field.send_keys("3").await.expect("type");
    browser.click("[data-testid=sim-inspect]").await;
    browser
        .wait_for_text("[data-testid=sim-inspector-title]", "tile 3")
        .await;
    let inspected = browser.text_of("[data-testid=sim-inspector]").await;
    assert!(inspected.contains("of 624.00 KiB"), "{inspected}");
    browser.screenshot("ipu-mlp-16-tiles").await;
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn the_ipu_cnn_shows_its_epoch_beside_the_real_run_and_1472_tiles_animate() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/simulators/ipu?preset=cnn&batch=8&tiles=1472",
            server.origin
        ))
        .await;
    browser.wait_status("Ready").await;
    let epoch = browser.text_of("[data-testid=sim-ipu-epoch]").await;
    assert!(epoch.contains("8.65 s per epoch"), "{epoch}");
    assert!(epoch.contains("What the model leaves out"), "{epoch}");
    // Main-thread tasks while 1,472 tiles animate (reported, not asserted: speed is for benches).
    browser.watch_main_thread().await;
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    let longest = browser.main_thread().await.longest_task;
    println!(
        "IPU CNN forward on 1,472 tiles: longest main-thread task {longest} ms (0 = none over 50 ms)"
    );
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Timing only"), "{check}");
    browser.screenshot("ipu-cnn-1472-tiles").await;
    // A bad setting gets its sentence, and a good one brings the run back.
    browser.set_param("tiles", "0").await;
    browser
        .wait_for_text(
            "[data-testid=sim-error]",
            "Number of tiles must be at least 1, but it is 0.",
        )
        .await;
    browser.set_param("tiles", "64").await;
    browser.wait_status("Ready").await;
    assert_console_clean(&browser).await;
    browser.close().await;
}

/// The compiler's predicted cycle count for the Groq setup in `query`, checked natively to
/// be the run's own.
fn native_groq(query: &str) -> u64 {
    let setup = form_on(&GroqMachine, query)
        .parse(&GroqMachine)
        .expect("a valid setup");
    let mut s = GroqSession::build(&setup).expect("the setup builds");
    let predicted = s.predicted_cycles().0;
    let _ = s.engine().run_until(Cycle(u64::MAX));
    assert_eq!(
        s.run.now().0,
        predicted,
        "the run takes what the compiler predicts"
    );
    predicted
}

/// The first whole number in `text`, read with its thousands separators.
fn first_number(text: &str) -> u64 {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {text:?}"))
}

#[tokio::test]
async fn the_groq_mlp_runs_to_exactly_the_cycle_count_its_compiler_predicted() {
    let query = "preset=mlp";
    let expected = native_groq(query);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/simulators/groq?{query}", server.origin))
        .await;
    browser.wait_for_text("main h1", "Groq TSP simulator").await;
    browser.wait_status("Ready").await;
    browser.wait_for_text("[data-testid=sim-cycle]", "0").await;
    // The compile's prediction is on the page before anything runs.
    let predicted_text = browser.text_of("[data-testid=sim-groq-predicted]").await;
    assert!(
        predicted_text.starts_with("The compiler predicts"),
        "{predicted_text}"
    );
    let predicted = first_number(&predicted_text);
    assert_eq!(predicted, expected, "{predicted_text}");
    // Compiling again gives the same program: the compile depends on shapes only.
    browser.click("[data-testid=sim-groq-compile-again]").await;
    browser
        .wait_until(
            "the second compile's report",
            "return document.querySelector('[data-testid=sim-groq-recompiled]').textContent.length > 0;",
        )
        .await;
    let recompiled = browser.text_of("[data-testid=sim-groq-recompiled]").await;
    assert!(
        recompiled.starts_with(&format!("Compiled again: {predicted} cycles and the same")),
        "{recompiled}"
    );
    let rows = browser
        .eval(
            "return document.querySelectorAll('[data-testid=sim-groq-schedule] tbody tr').length;",
        )
        .await;
    assert!(rows.as_u64().is_some_and(|n| n > 3), "{rows}");
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    // The run, read from the page, reaches exactly the predicted count.
    browser
        .wait_for_text("[data-testid=sim-cycle]", &predicted.to_string())
        .await;
    let executed_text = browser.text_of("[data-testid=sim-groq-executed]").await;
    assert!(executed_text.contains("exactly the"), "{executed_text}");
    assert_eq!(first_number(&executed_text), predicted, "{executed_text}");
    let cycle = browser.text_of("[data-testid=sim-cycle]").await;
    assert_eq!(first_number(&cycle), predicted);
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Correct: all 512 outputs"), "{check}");
    let log = browser.text_of("[data-testid=sim-log]").await;
    assert!(log.contains("the compiler predicted"), "{log}");
    // Inspect MEM slice 1 (index 4) by keyboard alone: type the number, press Enter.
    let field = browser
        .client
        .find(Locator::Css("[data-testid=sim-inspect-x]"))
        .await
        .expect("inspect field");
    field.clear().await.expect("clear");
    field
        .send_keys(&format!("4{}", char::from(Key::Enter)))
        .await
        .expect("type");
    browser
        .wait_for_text("[data-testid=sim-inspector-title]", "slice 4")
        .await;
    let inspected = browser.text_of("[data-testid=sim-inspector]").await;
    assert!(inspected.contains("of 1.00 MiB"), "{inspected}");
    browser.screenshot("groq-mlp").await;
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn the_groq_bert_layer_runs_beside_the_real_chip_and_a_bad_superlane_count_recovers() {
    let expected = native_groq("preset=bert-layer");
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "{}/#/simulators/groq?preset=bert-layer",
            server.origin
        ))
        .await;
    browser.wait_status("Ready").await;
    let latency = browser.text_of("[data-testid=sim-groq-latency]").await;
    assert!(latency.contains("26.6 µs at sequence 128"), "{latency}");
    assert!(latency.contains("1.61× on the real chip"), "{latency}");
    assert!(latency.contains("not Groq's"), "{latency}");
    let predicted = first_number(&browser.text_of("[data-testid=sim-groq-predicted]").await);
    assert_eq!(predicted, expected);
    // Main-thread tasks while the default BERT layer animates (reported, not asserted).
    browser.watch_main_thread().await;
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    // Pause half way to look at the chip: instructions rippling up, vectors on the streams.
    browser
        .wait_until(
            "the run to pass cycle 1,500",
            "return Number(document.querySelector('[data-testid=sim-cycle]').textContent) > 1500;",
        )
        .await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Paused").await;
    browser
        .eval("document.querySelector('[data-testid=sim-groq-canvas]').scrollIntoView({block: 'center'}); return 0;")
        .await;
    browser.screenshot("groq-bert-layer-running").await;
    browser.click("[data-testid=sim-play]").await;
    browser.wait_status("Finished").await;
    let longest = browser.main_thread().await.longest_task;
    println!(
        "Groq BERT-tiny layer (seq 128, 8 superlanes, {expected} cycles): longest main-thread task {longest} ms (0 = none over 50 ms)"
    );
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Correct: all 16,384 outputs"), "{check}");
    browser.screenshot("groq-bert-layer").await;
    browser
        .eval("document.querySelector('[data-testid=sim-groq-latency]').scrollIntoView({block: 'start'}); return 0;")
        .await;
    browser.screenshot("groq-bert-layer-latency").await;
    // A longer input is a new compile with a new, longer prediction.
    browser.set_param("seq", "256").await;
    browser.wait_status("Ready").await;
    let longer = first_number(&browser.text_of("[data-testid=sim-groq-predicted]").await);
    assert_eq!(longer, native_groq("preset=bert-layer&seq=256"));
    assert!(longer > predicted, "{longer} > {predicted}");
    // A bad setting gets its sentence, and a good one brings the run back.
    browser.set_param("superlanes", "0").await;
    browser
        .wait_for_text(
            "[data-testid=sim-error]",
            "Number of superlanes must be at least 1, but it is 0.",
        )
        .await;
    browser.set_param("superlanes", "8").await;
    browser.wait_status("Ready").await;
    let h = hash(&browser).await;
    assert!(h.contains("seq=256") && h.contains("superlanes=8"), "{h}");
    assert_console_clean(&browser).await;
    browser.close().await;
}

/// The RDU session for `query`, built natively as the page builds it, and the cycle count
/// its engine reaches.
fn native_rdu(query: &str) -> (RduSession, u64) {
    let setup = form_on(&RduMachine, query)
        .parse(&RduMachine)
        .expect("a valid setup");
    let s = RduSession::build(&setup).expect("the setup builds");
    let mut copy = s.clone();
    let _ = copy.engine().run_until(Cycle(u64::MAX));
    assert!(copy.run.is_finished());
    assert_eq!(copy.run.now(), s.predicted);
    let cycles = copy.run.now().0;
    (s, cycles)
}

#[tokio::test]
async fn the_rdu_streams_the_mlp_layer_to_the_engines_cycle_count() {
    let query = "preset=mlp";
    let (native, expected) = native_rdu(query);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/simulators/rdu?{query}", server.origin))
        .await;
    browser
        .wait_for_text("main h1", "SambaNova SN30 RDU simulator")
        .await;
    browser.wait_status("Ready").await;
    let sections = browser
        .eval("return document.querySelectorAll('[data-testid=sim-rdu-sections] tbody tr').length;")
        .await;
    assert_eq!(sections, Value::from(native.run.program().sections.len()));
    let status = browser.text_of(".sim-status").await;
    assert!(status.ends_with(&format!("of {expected}")), "{status}");
    // At the default speed, as a person first sees it: frames are measured.
    browser.watch_main_thread().await;
    browser.click("[data-testid=sim-play]").await;
    browser
        .wait_for_part("[data-testid=sim-rdu-phase]", "steady state")
        .await;
    browser.screenshot("rdu-mlp-steady-state").await;
    browser.wait_status("Finished").await;
    let MainThread {
        longest_task: longest,
        longest_gap: gap,
    } = browser.main_thread().await;
    println!(
        "RDU MLP on the 4×4 tile at the default speed: longest main-thread task {longest} ms (0 = none over 50 ms), longest gap between frames {gap} ms"
    );
    // Reported, not asserted: the machines are shared and timings are for benches.
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(
        check.starts_with("Correct: the 512 outputs of all 8 micro-batches"),
        "{check}"
    );
    let log = browser.text_of("[data-testid=sim-log]").await;
    assert!(log.contains("the pipeline is full"), "{log}");
    assert!(log.contains("micro-batch 7 came out"), "{log}");
    browser
        .wait_for_text(
            "[data-testid=sim-compare-rdu-cycles]",
            &expected.to_string(),
        )
        .await;
    // Inspect PCU 0 (column 0, row 0) by keyboard.
    for (key, value) in [("x", "0"), ("y", "0")] {
        let field = browser
            .client
            .find(Locator::Css(&format!("[data-testid=sim-inspect-{key}]")))
            .await
            .expect("inspect field");
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }
    browser.click("[data-testid=sim-inspect]").await;
    browser
        .wait_for_part("[data-testid=sim-inspector]", "PCU 0 at (0, 0)")
        .await;
    let inspected = browser.text_of("[data-testid=sim-inspector]").await;
    assert!(inspected.contains("matmul"), "{inspected}");
    let panel = browser.text_of("[data-testid=sim-rdu-ntasks]").await;
    assert!(panel.contains("2293.25"), "{panel}");
    assert!(panel.contains("below the window"), "{panel}");
    assert!(panel.contains("above the window"), "{panel}");
    browser.screenshot("rdu-mlp-finished").await;
    // The BERT layer on an SN10-class tile: one section of 16 stages, to the engine's cycle
    // count. With fewer micro-batches than stages the last one enters before the first
    // leaves (fill runs straight into drain), so 24 give a steady state to see.
    let sn10 = "preset=bert-layer&tile=sn10&micro_batches=24";
    let (_, sn10_cycles) = native_rdu(sn10);
    browser
        .open(&format!("{}/#/simulators/rdu?{sn10}", server.origin))
        .await;
    browser.wait_status("Ready").await;
    // At the default speed, so the steady state lasts long enough to be seen.
    browser.click("[data-testid=sim-play]").await;
    browser
        .wait_for_part("[data-testid=sim-rdu-phase]", "steady state")
        .await;
    browser.screenshot("rdu-bert-sn10-steady-state").await;
    browser.wait_status("Finished").await;
    browser
        .wait_for_text("[data-testid=sim-cycle]", &sn10_cycles.to_string())
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Correct"), "{check}");
    assert_console_clean(&browser).await;
    browser.close().await;
}

#[tokio::test]
async fn the_rdu_cuts_the_bert_layer_into_sections_and_a_bad_tile_gets_its_sentence() {
    let query = "preset=bert-layer&micro_batches=2";
    let (native, expected) = native_rdu(query);
    assert_eq!(native.run.program().sections.len(), 2);
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/#/simulators/rdu?{query}", server.origin))
        .await;
    browser.wait_status("Ready").await;
    let ddr = browser.text_of("[data-testid=sim-rdu-ddr]").await;
    assert!(ddr.starts_with("2 sections"), "{ddr}");
    let steady = browser.text_of("[data-testid=sim-rdu-steady]").await;
    assert!(steady.contains("never reaching a steady state"), "{steady}");
    browser.watch_main_thread().await;
    browser.fastest().await;
    browser.click("[data-testid=sim-play]").await;
    browser
        .wait_for_part("[data-testid=sim-rdu-phase]", "Section 2 of 2")
        .await;
    browser.screenshot("rdu-bert-section-2").await;
    browser.wait_status("Finished").await;
    let MainThread {
        longest_task: longest,
        longest_gap: gap,
    } = browser.main_thread().await;
    println!(
        "RDU BERT layer on the 4×4 tile at the fastest speed: longest main-thread task {longest} ms, longest gap between frames {gap} ms"
    );
    browser
        .wait_for_text("[data-testid=sim-cycle]", &expected.to_string())
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(
        check.starts_with("Correct: the 16384 outputs of the first 1 of 2 micro-batches"),
        "{check}"
    );
    // A tile too small for the layer: the engine's sentence, then recovery.
    let too_small = RduSession::build(
        &form_on(&RduMachine, &format!("{query}&rows=1&columns=1"))
            .parse(&RduMachine)
            .expect("a setup the engine judges"),
    )
    .expect_err("one PMU is too few");
    assert!(
        too_small.ends_with("use a bigger tile or a smaller layer."),
        "{too_small}"
    );
    browser.set_param("rows", "1").await;
    browser.set_param("columns", "1").await;
    browser
        .wait_for_text("[data-testid=sim-error]", &too_small)
        .await;
    println!("RDU, 1×1 tile: {too_small}");
    browser.set_param("columns", "4").await;
    browser.set_param("rows", "4").await;
    browser.wait_status("Ready").await;
    browser.set_param("micro_batches", "0").await;
    browser
        .wait_for_text(
            "[data-testid=sim-error]",
            "Number of micro-batches must be at least 1, but it is 0.",
        )
        .await;
    browser.set_param("micro_batches", "2").await;
    browser.wait_status("Ready").await;
    assert_console_clean(&browser).await;
    browser.close().await;
}
