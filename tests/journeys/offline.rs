//! The offline copy (`src/scripts/sw.js`, `src/offline.rs`): after one visit every file of the
//! build is saved, and with the server stopped the routes reload, a simulator runs to the end
//! and the MLP trains an epoch; a new deployment is saved in the background, offered by the
//! banner while the old build keeps serving, and taken whole on reload; the `--public-url
//! /course/` build does the same under its folder; where the browser has no service workers
//! (a plain-HTTP host name) the site works online and `#/progress` says so.

use std::path::Path;
use std::time::Duration;

use crate::support::{Browser, StaticServer, relative_dist, subpath_dist};
use serde_json::Value;
use testbed_lab::catalog;
use testbed_lab::route::Route;

/// How many files the build's service worker saves: every file of dist but `sw.js`.
fn n_build_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("dist lists")
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                n_build_files(&path)
            } else {
                usize::from(path.file_name().is_some_and(|n| n != "sw.js"))
            }
        })
        .sum()
}

/// What the page's service worker and cache hold: `{controlled, state, caches, entries}`.
async fn offline_copy(browser: &Browser) -> Value {
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const reg = await navigator.serviceWorker.getRegistration();
               const names = await caches.keys();
               let entries = 0;
               for (const name of names) entries += (await (await caches.open(name)).keys()).length;
               done({
                 controlled: navigator.serviceWorker.controller !== null,
                 state: reg && reg.active ? reg.active.state : null,
                 waiting: !!(reg && reg.waiting),
                 caches: names.length,
                 entries,
               });
             })().catch((e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("the offline copy's state")
}

/// Waits until the page is served by an activated worker whose one cache holds `n_files`.
async fn wait_for_offline_copy(browser: &Browser, n_files: usize) {
    let started = std::time::Instant::now();
    loop {
        let copy = offline_copy(browser).await;
        if copy["controlled"] == true
            && copy["state"] == "activated"
            && copy["caches"] == 1
            && copy["entries"] == n_files
        {
            println!("offline copy ready: {copy}");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the offline copy never completed: {copy} (want {n_files} entries)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The server is gone: a file the build does not have cannot be fetched.
async fn assert_network_is_gone(browser: &Browser) {
    let outcome = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('./not-in-the-build.txt').then(() => done('fetched'), () => done('failed'));",
            vec![],
        )
        .await
        .expect("a fetch outcome");
    assert_eq!(outcome, "failed", "the server still answers");
}

/// Plays the WSE's GEMV preset at the fastest speed to the end, offline.
async fn run_a_simulator(browser: &Browser, origin: &str) {
    browser
        .open(&format!("{origin}/#/simulators/wse?preset=gemv"))
        .await;
    browser
        .wait_for_text("[data-testid=sim-status]", "Ready")
        .await;
    browser
        .eval(
            "const s = document.querySelector('[data-testid=sim-speed]');
             s.value = String(s.options.length - 1);
             s.dispatchEvent(new Event('change', { bubbles: true }));
             return s.value;",
        )
        .await;
    browser.click("[data-testid=sim-play]").await;
    browser
        .wait_for_text("[data-testid=sim-status]", "Finished")
        .await;
    let check = browser.text_of("[data-testid=sim-result]").await;
    assert!(check.starts_with("Correct"), "offline GEMV result: {check}");
}

#[tokio::test]
async fn after_one_visit_the_site_works_with_the_server_stopped() {
    let dist = relative_dist();
    let n_files = n_build_files(&dist);
    let server = StaticServer::start(&dist);
    let origin = server.origin.clone();
    let browser = Browser::start().await;
    browser.open(&format!("{origin}/")).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;
    wait_for_offline_copy(&browser, n_files).await;
    browser.open(&format!("{origin}/#/progress")).await;
    browser
        .wait_for_text(
            "[data-testid=offline-status]",
            testbed_lab::offline::OfflineStatus::Ready.sentence(),
        )
        .await;
    let device = browser.text_of("[data-testid=progress-device]").await;
    assert!(
        device.contains("stay on this device") && device.contains("export"),
        "{device}"
    );

    // No network from here on.
    drop(server);
    assert_network_is_gone(&browser).await;

    let mut routes = vec![
        (Route::Home.href(), "Testbed Lab".to_string()),
        (Route::Lessons.href(), "Lessons".to_string()),
        (Route::Simulators.href(), "Simulators".to_string()),
        (Route::Labs.href(), "Labs".to_string()),
        (Route::Progress.href(), "Your progress".to_string()),
    ];
    routes.extend(catalog::LESSONS.iter().take(3).map(|l| {
        (
            Route::Lesson {
                slug: l.slug.into(),
            }
            .href(),
            l.title.to_string(),
        )
    }));
    for (hash, heading) in &routes {
        browser.open(&format!("{origin}/{hash}")).await;
        browser.wait_for_text("main h1", heading).await;
    }
    // A lesson's figures are files of the build too (fetched here: they load lazily).
    let figures = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             Promise.all([...document.querySelectorAll('main img')].map(
               (i) => fetch(i.src).then((r) => r.ok, () => false)
             )).then(done);",
            vec![],
        )
        .await
        .expect("figures fetched");
    println!("offline: the third lesson's figures: {figures}");
    assert!(
        figures
            .as_array()
            .is_some_and(|f| !f.is_empty() && f.iter().all(|ok| ok == true)),
        "a figure is not in the offline copy: {figures}"
    );

    run_a_simulator(&browser, &origin).await;

    // The MLP trains one epoch: the worker's wasm and the digits come from the offline copy.
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
    let status = browser
        .wait_for_prefix(
            "[data-testid=mnist-status]",
            "Finished run 1: test accuracy",
            Duration::from_secs(120),
            "[data-testid=mnist-status]",
        )
        .await;
    println!("offline MNIST: {status}");
    let accuracy: f64 = browser
        .text_of("[data-testid=mnist-test-accuracy-1]")
        .await
        .parse()
        .expect("a number");
    assert!(accuracy > 0.85, "offline test accuracy: {accuracy}");
    // The confusion matrix's shades are set through CSSOM, within the CSP: none refused.
    let strength = browser
        .eval(
            "const c = document.querySelector('[data-testid=mnist-confusion] td');
             return c ? c.style.getPropertyValue('--lab-strength') : null;",
        )
        .await;
    assert!(
        strength.as_str().is_some_and(|s| s.ends_with('%')),
        "a confusion cell's --lab-strength: {strength}"
    );
    assert_eq!(
        browser.eval("return window.__cspViolations.length;").await,
        0,
        "CSP violations during the offline run"
    );
    browser.screenshot("offline-mnist-trained").await;
    browser.close().await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Whether the page in the window is the second deployment (its index.html has the marker).
async fn is_new_deployment(browser: &Browser) -> bool {
    browser
        .eval("return document.querySelector('meta[name=testbed-deployment]') !== null;")
        .await
        == true
}

#[tokio::test]
async fn a_new_deployment_is_offered_and_taken_whole_on_reload() {
    let dist = relative_dist();
    let site = std::env::temp_dir().join(format!("testbed-lab-deploy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&site);
    copy_dir(&dist, &site);
    let n_files = n_build_files(&site);
    let server = StaticServer::start(&site);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.origin)).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;
    wait_for_offline_copy(&browser, n_files).await;
    assert!(!is_new_deployment(&browser).await);

    // Deploy: another index.html, and the sw.js xtask would write for it (a new version).
    let index = std::fs::read_to_string(site.join("index.html")).expect("index.html");
    std::fs::write(
        site.join("index.html"),
        index.replace(
            "<head>",
            "<head>\n    <meta name=\"testbed-deployment\" content=\"2\" />",
        ),
    )
    .expect("deploy index.html");
    let worker = std::fs::read_to_string(site.join("sw.js")).expect("sw.js");
    let next = worker.replacen("\"version\":\"", "\"version\":\"next-", 1);
    assert_ne!(next, worker, "sw.js has no version to change");
    std::fs::write(site.join("sw.js"), next).expect("deploy sw.js");

    // A visit finds it; it is saved in the background while the old build keeps serving.
    browser.open(&format!("{}/#/lessons", server.origin)).await;
    browser.wait_for_text("main h1", "Lessons").await;
    browser
        .wait_until(
            "the update banner",
            "return !!document.querySelector('[data-testid=update-banner]');",
        )
        .await;
    assert!(
        !is_new_deployment(&browser).await,
        "the new index.html was served before the reload"
    );
    let banner = browser.text_of("[data-testid=update-banner]").await;
    assert!(banner.contains("A new version is ready"), "{banner}");
    browser.screenshot("update-banner-light").await;
    // The learner goes on in the old build: the MNIST lab's worker and data (files not loaded
    // yet) come from the old copy, and the banner stays. (Leaving the page instead, as
    // `Browser::open` does through about:blank, lets the new version take over: no page of
    // the old one is left.)
    browser
        .eval("location.hash = '#/labs/mnist'; return null;")
        .await;
    browser
        .wait_for_text(
            "[data-testid=mnist-data-status]",
            "In use: the bundled MNIST subset, 8,000 training and 2,000 test digits.",
        )
        .await;
    assert!(!is_new_deployment(&browser).await);
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('[data-testid=update-banner]').length;")
            .await,
        1
    );
    browser.click(".theme-toggle").await;
    browser
        .wait_until(
            "the dark theme",
            "return document.documentElement.dataset.theme === 'dark';",
        )
        .await;
    browser.screenshot("update-banner-dark").await;

    // Reload: the new build, whole, and one cache left.
    browser.click("[data-testid=update-reload]").await;
    browser
        .wait_until(
            "the new deployment",
            "return document.querySelector('meta[name=testbed-deployment]') !== null \
             && !!document.querySelector('main h1');",
        )
        .await;
    wait_for_offline_copy(&browser, n_files).await;
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('[data-testid=update-banner]').length;")
            .await,
        0
    );
    browser.assert_console_clean().await;
    browser.close().await;
    drop(server);
    let _ = std::fs::remove_dir_all(&site);
}

#[tokio::test]
async fn the_course_subpath_build_is_saved_under_its_folder_and_trains_offline() {
    let subpath = subpath_dist();
    let n_files = n_build_files(&subpath);
    let root = subpath.parent().expect("the folder holding course/");
    let server = StaticServer::start(root);
    let origin = server.origin.clone();
    let browser = Browser::start().await;
    browser.open(&format!("{origin}/course/")).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;
    wait_for_offline_copy(&browser, n_files).await;
    let scope = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.getRegistration().then((r) => done(r.scope));",
            vec![],
        )
        .await
        .expect("scope");
    assert_eq!(scope, format!("{origin}/course/"));
    let manifest = browser
        .eval("return document.querySelector('link[rel=manifest]').href;")
        .await;
    assert_eq!(
        manifest,
        format!("{origin}/course/public/manifest.webmanifest")
    );

    drop(server);
    browser
        .open(&format!("{origin}/course/#/labs/mnist?epochs=1"))
        .await;
    browser
        .wait_for_text(
            "[data-testid=mnist-data-status]",
            "In use: the bundled MNIST subset, 8,000 training and 2,000 test digits.",
        )
        .await;
    browser.open(&format!("{origin}/course/#/lessons")).await;
    browser.wait_for_text("main h1", "Lessons").await;
    browser.close().await;
}

#[tokio::test]
async fn without_service_workers_the_site_works_online_and_says_so() {
    let server = StaticServer::start(&relative_dist());
    let port = server
        .origin
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();
    // A host name over plain HTTP is not a secure context: no service workers there.
    let browser =
        Browser::start_with_args(&["--host-resolver-rules=MAP testbed-lab.test 127.0.0.1"]).await;
    let origin = format!("http://testbed-lab.test:{port}");
    browser.open(&format!("{origin}/#/progress")).await;
    browser.wait_for_text("main h1", "Your progress").await;
    assert_eq!(
        browser
            .eval("return [window.isSecureContext, 'serviceWorker' in navigator];")
            .await,
        serde_json::json!([false, false])
    );
    browser
        .wait_for_text(
            "[data-testid=offline-status]",
            testbed_lab::offline::OfflineStatus::Unavailable.sentence(),
        )
        .await;
    run_a_simulator(&browser, &origin).await;
    browser
        .open(&format!("{origin}/#/labs/mnist?epochs=1"))
        .await;
    browser
        .wait_for_text(
            "[data-testid=mnist-data-status]",
            "In use: the bundled MNIST subset, 8,000 training and 2,000 test digits.",
        )
        .await;
    assert_eq!(
        browser.eval("return window.__cspViolations.length;").await,
        0
    );
    browser.assert_console_clean().await;
    browser.close().await;
}
