//! The strict Content-Security-Policy of `index.html`: every route, a quiz answered, every
//! simulator run, an MNIST run started and cancelled and the BERT lab's data loaded, all
//! without a single `securitypolicyviolation` (collected from the start of each page by
//! `src/scripts/csp_violations.js` into `window.__cspViolations`); and the policy is live:
//! an injected inline script and a `style` attribute are refused and reported. The headers
//! README suggests to hosts (the policy as a header, which also reaches the training worker,
//! with `frame-ancestors`, `nosniff` and the rest) keep the site and a training run working.

use std::time::Duration;

use crate::support::{Browser, PATIENCE, StaticServer, relative_dist};
use serde_json::Value;
use testbed_lab::catalog::{self, Status};
use testbed_lab::route::Route;

/// The violations this page has seen since it loaded (the collector must be in the page).
async fn violations(browser: &Browser) -> Vec<Value> {
    match browser.eval("return window.__cspViolations;").await {
        Value::Array(found) => found,
        other => panic!("no CSP violation collector in the page: {other}"),
    }
}

async fn assert_no_violations(browser: &Browser, what: &str) {
    let found = violations(browser).await;
    println!("csp: {what}: {} violations", found.len());
    assert!(found.is_empty(), "{what}: CSP violations {found:#?}");
}

#[tokio::test]
async fn no_page_and_no_run_breaks_the_content_security_policy() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    let origin = &server.origin;

    // The plain pages, by deep link.
    let mut pages = vec![
        (Route::Home.href(), "Testbed Lab".to_string()),
        (Route::Lessons.href(), "Lessons".to_string()),
        (Route::Simulators.href(), "Simulators".to_string()),
        (Route::Labs.href(), "Labs".to_string()),
        (Route::Progress.href(), "Your progress".to_string()),
        (
            Route::Compare.href(),
            "One workload on five machines".to_string(),
        ),
        (
            Route::Compile.href(),
            "The compile workflow, stage by stage".to_string(),
        ),
        ("#/no/such/page".to_string(), "Page not found".to_string()),
    ];
    pages.extend(catalog::LESSONS.iter().map(|l| {
        (
            Route::Lesson {
                slug: l.slug.into(),
            }
            .href(),
            l.title.to_string(),
        )
    }));
    for (hash, heading) in &pages {
        browser.open(&format!("{origin}/{hash}")).await;
        browser.wait_for_text("main h1", heading).await;
        assert_no_violations(&browser, hash).await;
    }

    // Downloads (an object URL on an anchor) are not refused: progress export, a quiz's GIFT.
    browser.open(&format!("{origin}/#/progress")).await;
    browser.click("[data-testid='progress-export']").await;
    browser
        .wait_until(
            "the export's object URL",
            "return document.querySelector(\"[data-testid='progress-export-file']\").href.startsWith('blob:');",
        )
        .await;
    assert_no_violations(&browser, "progress exported").await;

    // A quiz: the first question with choices, answered and checked.
    let lesson = Route::Lesson {
        slug: catalog::LESSONS[0].slug.into(),
    }
    .href();
    browser.open(&format!("{origin}/{lesson}")).await;
    let choice = browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(fantoccini::Locator::Css("[data-testid^='quiz-choice-']"))
        .await
        .expect("a quiz choice");
    let testid = choice
        .attr("data-testid")
        .await
        .expect("attribute")
        .expect("a test id");
    // quiz-choice-<qid>-<choice_idx>
    let qid = testid
        .trim_start_matches("quiz-choice-")
        .rsplit_once('-')
        .map(|(qid, _)| qid.to_string())
        .expect("a question id");
    browser.click(&format!("[data-testid='{testid}']")).await;
    browser
        .click(&format!("[data-testid='quiz-check-{qid}']"))
        .await;
    browser
        .wait_until(
            "a verdict",
            &format!("return !!document.querySelector(\"[data-testid='quiz-verdict-{qid}']\");"),
        )
        .await;
    assert_no_violations(&browser, "a quiz question checked").await;

    // Every built simulator, run for a moment (its canvases drawn, its panels filled).
    for sim in catalog::SIMULATORS
        .iter()
        .filter(|s| s.status == Status::Ready)
    {
        let href = Route::Simulator { arch: sim.arch }.href();
        browser.open(&format!("{origin}/{href}")).await;
        browser
            .wait_for_text("main h1", &format!("{} simulator", sim.name))
            .await;
        browser
            .wait_for_text("[data-testid=sim-status]", "Ready")
            .await;
        browser.click("[data-testid=sim-play]").await;
        browser
            .wait_until(
                "the run to move",
                "return document.querySelector('[data-testid=sim-cycle]').textContent.trim() !== '0';",
            )
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_no_violations(&browser, &format!("{href} running")).await;
    }

    // The MNIST lab: the worker starts, loads the data, a run starts and is cancelled.
    browser
        .open(&format!(
            "{origin}/#/labs/mnist?model=cnn&batch=8&lr=0.05&epochs=2&opt=sgd&seed=1&loss=ce"
        ))
        .await;
    browser
        .wait_for_text(
            "[data-testid=mnist-data-status]",
            "In use: the bundled MNIST subset, 8,000 training and 2,000 test digits.",
        )
        .await;
    browser.click("[data-testid=mnist-start]").await;
    browser
        .wait_for_prefix(
            "[data-testid=mnist-status]",
            "Training run 1: epoch 1 of 2",
            PATIENCE,
            "[data-testid=mnist-status]",
        )
        .await;
    // A confusion matrix and curves are drawn after the first evaluation; wait a little for
    // live updates (progress bar, curve) before cancelling.
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser.click("[data-testid=mnist-cancel]").await;
    browser
        .wait_for_prefix(
            "[data-testid=mnist-status]",
            "Cancelled run 1",
            PATIENCE,
            "[data-testid=mnist-status]",
        )
        .await;
    assert_no_violations(&browser, "MNIST run started and cancelled").await;

    // The BERT lab: its worker loads the vocabulary and sentences.
    browser.open(&format!("{origin}/#/labs/bert")).await;
    browser
        .wait_for_prefix(
            "[data-testid=bert-data-status]",
            "In use: the bundled sentences",
            // Tokenizing 10,000 sentences takes a while on a busy machine.
            Duration::from_secs(120),
            "[data-testid=bert-data-status]",
        )
        .await;
    assert_no_violations(&browser, "#/labs/bert data loaded").await;

    // The policy is live, and the collector hears it: an inline script and a style attribute
    // added now are refused and reported.
    let refused = browser
        .eval(
            "const s = document.createElement('script');
             s.textContent = 'window.__inlineRan = true;';
             document.head.appendChild(s);
             document.querySelector('main').setAttribute('style', 'outline: 1px solid red');
             return window.__inlineRan === undefined;",
        )
        .await;
    assert_eq!(refused, Value::Bool(true), "an inline script ran");
    browser
        .wait_until(
            "the two violations to be reported",
            "return window.__cspViolations.length === 2;",
        )
        .await;
    let directives: Vec<String> = violations(&browser)
        .await
        .iter()
        .map(|v| v["directive"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(directives, ["script-src-elem", "style-src-attr"]);
    browser.close().await;
}

/// The headers README's "Security headers" suggests a host may add.
const HOST_HEADERS: &[&str] = &[
    "Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; object-src 'none'; base-uri 'self'; worker-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: no-referrer",
    "Permissions-Policy: camera=(), microphone=(), geolocation=()",
];

#[tokio::test]
async fn the_headers_a_host_may_add_keep_the_site_and_its_worker_working() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    for header in HOST_HEADERS {
        let name = header.split(':').next().unwrap_or_default();
        assert!(readme.contains(name), "README does not name {name}");
    }
    let server = StaticServer::start_with_headers(&relative_dist(), HOST_HEADERS);
    let browser = Browser::start().await;
    let origin = &server.origin;
    for (hash, heading) in [
        (Route::Home.href(), "Testbed Lab"),
        (Route::Progress.href(), "Your progress"),
    ] {
        browser.open(&format!("{origin}/{hash}")).await;
        browser.wait_for_text("main h1", heading).await;
        assert_no_violations(&browser, &format!("{hash} with the host's headers")).await;
    }
    // The worker now runs under the policy too (from its own response's header): it must
    // still start, read the data and train.
    browser
        .open(&format!(
            "{origin}/#/labs/mnist?model=mlp&batch=32&lr=0.05&epochs=1&opt=sgd&seed=1&loss=ce"
        ))
        .await;
    browser
        .wait_for_text(
            "[data-testid=mnist-data-status]",
            "In use: the bundled MNIST subset, 8,000 training and 2,000 test digits.",
        )
        .await;
    browser.click("[data-testid=mnist-start]").await;
    browser
        .wait_for_prefix(
            "[data-testid=mnist-status]",
            "Finished run 1: test accuracy",
            Duration::from_secs(120),
            "[data-testid=mnist-status]",
        )
        .await;
    assert_no_violations(&browser, "an MNIST epoch with the host's headers").await;
    browser.assert_console_clean().await;
    browser.close().await;
}
