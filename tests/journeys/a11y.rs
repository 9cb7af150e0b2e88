//! Accessibility, audited by axe-core (the npm dev dependency in package.json, injected into
//! each page): every route in both themes, at desktop and phone width, and the simulator, lab
//! and compare pages in the middle of a run. The journey prints the violations per page and
//! fails on any of serious or critical impact. It also checks that `prefers-reduced-motion`
//! reaches the page's styles.

use std::path::PathBuf;

use crate::shell::every_route;
use crate::support::{Browser, StaticServer, relative_dist};
use serde_json::Value;
use testbed_lab::catalog;
use testbed_lab::route::Route;

/// axe-core's browser bundle, installed by `cargo xtask setup` (`npm ci`).
fn axe_source() -> String {
    let path = std::env::var_os("TESTBED_AXE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}); `cargo xtask setup` installs it",
            path.display()
        )
    })
}

/// One rule axe found broken on a page.
#[derive(Debug)]
struct Violation {
    rule: String,
    impact: String,
    help: String,
    nodes: Vec<String>,
}

impl Violation {
    fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

/// Runs axe-core on the current document (injecting it first if this document lacks it).
/// WebDriver's scripts run outside the page's Content-Security-Policy, so the site's strict
/// policy stays on while it is audited.
async fn audit(browser: &Browser, axe: &str) -> Vec<Violation> {
    let present = browser.eval("return typeof window.axe === 'object';").await;
    if present != Value::Bool(true) {
        browser.eval(&format!("{axe}\nreturn true;")).await;
    }
    let found = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({
                  rule: v.id, impact: v.impact || 'unknown', help: v.help,
                  nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ')) }))),
                     e => done('axe failed: ' + e));",
            vec![],
        )
        .await
        .expect("axe.run");
    let Value::Array(found) = found else {
        panic!("axe-core did not run: {found}");
    };
    found
        .into_iter()
        .map(|v| Violation {
            rule: v["rule"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            help: v["help"].as_str().unwrap_or_default().to_owned(),
            nodes: v["nodes"]
                .as_array()
                .map(|n| {
                    n.iter()
                        .map(|t| t.as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Audits the page, prints its count and the rules, and adds the serious ones to `serious`.
async fn audit_page(browser: &Browser, axe: &str, page: &str, serious: &mut Vec<String>) {
    let found = audit(browser, axe).await;
    let bad = found.iter().filter(|v| v.is_serious()).count();
    println!(
        "a11y: {page}: {} violations, {bad} serious or critical",
        found.len()
    );
    for v in &found {
        println!("  {} [{}] {}: {:?}", v.rule, v.impact, v.help, v.nodes);
        if v.is_serious() {
            serious.push(format!("{page}: {} ({}) at {:?}", v.rule, v.help, v.nodes));
        }
    }
}

async fn set_theme(browser: &Browser, origin: &str, theme: &str) {
    browser.open(&format!("{origin}/")).await;
    browser
        .eval(&format!(
            "localStorage.setItem('testbed-lab.theme', '{theme}'); return true;"
        ))
        .await;
}

#[tokio::test]
async fn every_route_in_both_themes_and_at_phone_width_passes_axe() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let origin = &server.origin;
    let axe = axe_source();
    let mut serious = Vec::new();
    for (width, height, size) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        browser
            .client
            .set_window_size(width, height)
            .await
            .expect("window size");
        for theme in ["light", "dark"] {
            set_theme(&browser, origin, theme).await;
            for (hash, heading) in every_route() {
                browser.open(&format!("{origin}/{hash}")).await;
                browser.wait_for_text("main h1", &heading).await;
                let shown = browser
                    .eval("return document.documentElement.getAttribute('data-theme');")
                    .await;
                assert_eq!(shown, Value::from(theme), "{hash} in the {theme} theme");
                audit_page(
                    &browser,
                    &axe,
                    &format!("{hash} {theme} {size}"),
                    &mut serious,
                )
                .await;
            }
        }
    }
    let _ = browser.client.set_window_size(1280, 900).await;
    browser.close().await;
    assert!(
        serious.is_empty(),
        "serious or critical accessibility violations:\n{}",
        serious.join("\n")
    );
}

#[tokio::test]
async fn pages_mid_run_pass_axe() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let origin = &server.origin;
    let axe = axe_source();
    let mut serious = Vec::new();
    for theme in ["light", "dark"] {
        set_theme(&browser, origin, theme).await;
        // Every simulator, playing.
        for sim in catalog::SIMULATORS {
            browser
                .open(&format!(
                    "{origin}/{}",
                    Route::Simulator { arch: sim.arch }.href()
                ))
                .await;
            browser
                .wait_for_text("main h1", &format!("{} simulator", sim.name))
                .await;
            browser.click("[data-testid=sim-play]").await;
            browser
                .wait_until(
                    "the simulator to advance",
                    "const c = document.querySelector('[data-testid=sim-cycle]');
                     return !!c && c.textContent.trim() !== '' && c.textContent.trim() !== '0';",
                )
                .await;
            audit_page(
                &browser,
                &axe,
                &format!("{} playing {theme}", sim.name),
                &mut serious,
            )
            .await;
        }
        // The comparison, filling its table.
        browser
            .open(&format!("{origin}/#/compare?preset=bert-layer&seq=64"))
            .await;
        browser
            .wait_for_text("main h1", "One workload on five machines")
            .await;
        audit_page(
            &browser,
            &axe,
            &format!("compare running {theme}"),
            &mut serious,
        )
        .await;
        browser
            .wait_until(
                "the comparison to finish",
                "const p = document.querySelector('[data-testid=compare-progress]');
                 return !!p && p.textContent.includes('All 5 machines are done');",
            )
            .await;
        audit_page(
            &browser,
            &axe,
            &format!("compare done {theme}"),
            &mut serious,
        )
        .await;
        // The labs, training: MNIST, BERT fine-tuning, and BERT's masked-LM run (its panel
        // shown).
        let labs = [
            (
                "mnist",
                "model=mlp&batch=32&lr=0.05&epochs=1&opt=sgd&seed=1&loss=ce",
                "[data-testid=mnist-data-status]",
                "In use: the bundled",
                "MNIST training",
            ),
            (
                "bert",
                "",
                "[data-testid=bert-data-status]",
                "In use: the bundled",
                "BERT training",
            ),
            (
                "bert",
                "objective=mlm&batch=8&epochs=1&train=300",
                "[data-testid=bert-mlm-corpus]",
                "Brown Corpus",
                "BERT masked LM",
            ),
        ];
        for (lab, query, ready, ready_text, name) in labs {
            browser
                .open(&format!("{origin}/#/labs/{lab}?{query}"))
                .await;
            browser.wait_for_part(ready, ready_text).await;
            browser.click(&format!("[data-testid={lab}-start]")).await;
            browser
                .wait_until(
                    &format!("{name} to start"),
                    &format!(
                        "const s = document.querySelector('[data-testid={lab}-status]');
                         return !!s && s.textContent.startsWith('Training run 1');"
                    ),
                )
                .await;
            audit_page(&browser, &axe, &format!("{name} {theme}"), &mut serious).await;
            browser.click(&format!("[data-testid={lab}-cancel]")).await;
        }
    }
    browser.close().await;
    assert!(
        serious.is_empty(),
        "serious or critical accessibility violations:\n{}",
        serious.join("\n")
    );
}

/// With the system asking for reduced motion, the page's transitions are off.
#[tokio::test]
async fn reduced_motion_turns_transitions_off() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start_with_args(&["--force-prefers-reduced-motion"]).await;
    browser.open(&format!("{}/#/lessons", server.origin)).await;
    browser.wait_for_text("main h1", "Lessons").await;
    let asked = browser
        .eval("return matchMedia('(prefers-reduced-motion: reduce)').matches;")
        .await;
    assert_eq!(
        asked,
        Value::Bool(true),
        "Chromium passes the preference on"
    );
    let moving = browser
        .eval(
            "return [...document.querySelectorAll('body *')]
               .filter(e => { const s = getComputedStyle(e);
                 return s.transitionDuration.split(',').some(d => parseFloat(d) > 0)
                     || s.animationName !== 'none'; })
               .map(e => e.className || e.tagName);",
        )
        .await;
    assert_eq!(moving, Value::Array(vec![]), "elements still animated");
    browser.close().await;
}
