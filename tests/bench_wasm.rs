//! The browser side of `cargo xtask bench`: the engines' benchmark cases in release wasm
//! (SIMD128) in headless Chromium, timed with `performance.now`. Prints
//! `bench <case> <rate> <unit>/s` lines that xtask reads. Not part of `cargo xtask test`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Seconds since page load.
fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now() / 1000.0)
}

/// A warm-up, then repetitions for at least 1.5 s; returns work per second.
fn measure(run: &mut dyn FnMut() -> f64) -> f64 {
    run();
    let started = now();
    let mut work = 0.0;
    while now() - started < 1.5 {
        work += run();
    }
    work / (now() - started)
}

#[wasm_bindgen_test]
fn bench_sim() {
    for mut case in sim::bench::cases() {
        let rate = measure(&mut case.run);
        assert!(rate > 0.0, "{} did no work", case.name);
        console_log!("bench {} {rate} {}/s", case.name, case.unit);
    }
}

#[wasm_bindgen_test]
fn bench_nn() {
    for mut case in nn::bench::cases().expect("fixed benchmark configurations are valid") {
        let rate = measure(&mut case.run);
        assert!(rate > 0.0, "{} did no work", case.name);
        console_log!("bench {} {rate} {}/s", case.name, case.unit);
    }
}
