//! The site's shell: routes, deep links, navigation, themes, sub-path builds, and the console
//! and network staying clean.

use crate::support::{Browser, StaticServer, relative_dist, subpath_dist};
use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::Value;
use testbed_lab::catalog;
use testbed_lab::route::Route;

/// Every route the site has, with the heading its page must show.
pub(crate) fn every_route() -> Vec<(String, String)> {
    let mut routes = vec![
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
        (
            "#/labs/quantum-annealer".to_string(),
            "Page not found".to_string(),
        ),
    ];
    routes.extend(catalog::LESSONS.iter().map(|l| {
        (
            Route::Lesson {
                slug: l.slug.into(),
            }
            .href(),
            l.title.to_string(),
        )
    }));
    routes.extend(catalog::SIMULATORS.iter().map(|s| {
        (
            Route::Simulator { arch: s.arch }.href(),
            format!("{} simulator", s.name),
        )
    }));
    routes.extend(catalog::LABS.iter().map(|l| {
        (
            Route::Lab {
                name: l.name.into(),
            }
            .href(),
            l.title.to_string(),
        )
    }));
    routes
}

async fn data_theme(browser: &Browser) -> String {
    browser
        .eval("return document.documentElement.getAttribute('data-theme');")
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn every_route_loads_by_deep_link_with_its_heading_and_title() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    for (hash, heading) in every_route() {
        browser.open(&format!("{}/{hash}", server.origin)).await;
        browser.wait_for_text("main h1", &heading).await;
        let title = browser.client.title().await.expect("title");
        assert!(title.ends_with("· Testbed Lab"), "{hash}: title {title:?}");
        let expected = Route::parse(hash.trim_start_matches('#')).document_title();
        assert_eq!(title, expected, "{hash}");
    }
    browser.close().await;
}

#[tokio::test]
async fn navigation_works_by_click_and_by_keyboard() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.origin)).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;

    // By click: the header's Simulators link, then the 404 page's way back.
    browser
        .client
        .find(Locator::Css(".site-nav a[href='#/simulators']"))
        .await
        .expect("nav link")
        .click()
        .await
        .expect("click");
    browser.wait_for_text("main h1", "Simulators").await;
    let current = browser
        .eval("return document.querySelector('.site-nav [aria-current=page]').textContent;")
        .await;
    assert_eq!(current, Value::from("Simulators"));
    browser.open(&format!("{}/#/missing", server.origin)).await;
    browser.wait_for_text("main h1", "Page not found").await;
    browser
        .client
        .find(Locator::Css("[data-testid=not-found-home]"))
        .await
        .expect("way back")
        .click()
        .await
        .expect("click");
    browser.wait_for_text("main h1", "Testbed Lab").await;

    // By keyboard: Tab reaches the skip link first; Enter moves focus into the page.
    browser.open(&format!("{}/", server.origin)).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;
    let body = browser
        .client
        .find(Locator::Css("body"))
        .await
        .expect("body");
    body.send_keys(&Key::Tab.to_string()).await.expect("tab");
    let focused = browser
        .eval("return document.activeElement.textContent;")
        .await;
    assert_eq!(focused, Value::from("Skip to content"));
    browser
        .client
        .active_element()
        .await
        .expect("focus")
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    let focused = browser.eval("return document.activeElement.id;").await;
    assert_eq!(focused, Value::from("main"));

    // Tab from the brand through the nav to "Lessons" and press Enter.
    browser
        .eval("document.querySelector('.site-header__brand').focus(); return null;")
        .await;
    let mut reached = false;
    for _ in 0..4 {
        browser
            .client
            .active_element()
            .await
            .expect("focus")
            .send_keys(&Key::Tab.to_string())
            .await
            .expect("tab");
        let text = browser
            .eval("return document.activeElement.textContent;")
            .await;
        if text == "Lessons" {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the Lessons link");
    browser
        .client
        .active_element()
        .await
        .expect("focus")
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("enter");
    browser.wait_for_text("main h1", "Lessons").await;
    browser.close().await;
}

#[tokio::test]
async fn theme_toggle_choice_survives_a_reload() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser.open(&format!("{}/#/lessons", server.origin)).await;
    browser.wait_for_text("main h1", "Lessons").await;
    let before = data_theme(&browser).await;
    assert!(
        before == "light" || before == "dark",
        "a theme is applied at load: {before:?}"
    );

    browser
        .client
        .find(Locator::Css("[data-testid=theme-toggle]"))
        .await
        .expect("toggle")
        .click()
        .await
        .expect("click");
    let after = data_theme(&browser).await;
    assert_ne!(after, before, "the toggle switches the theme");

    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", "Lessons").await;
    assert_eq!(
        data_theme(&browser).await,
        after,
        "the choice is kept across a reload"
    );
    let background = browser
        .eval("return getComputedStyle(document.body).backgroundColor;")
        .await;
    let expected = if after == "dark" {
        "rgb(15, 19, 24)"
    } else {
        "rgb(247, 248, 250)"
    };
    assert_eq!(
        background,
        Value::from(expected),
        "the page is painted in the chosen theme"
    );
    // The browser's bar follows the chosen theme, whatever the OS prefers.
    let bar = browser
        .eval(
            "return [...document.querySelectorAll('meta[name=theme-color]')].map(m => m.content);",
        )
        .await;
    let colour = if after == "dark" {
        testbed_lab::theme::Theme::Dark
    } else {
        testbed_lab::theme::Theme::Light
    }
    .browser_bar_colour();
    assert_eq!(bar, serde_json::json!([colour, colour]));

    // And back: the other choice is kept too.
    browser
        .client
        .find(Locator::Css("[data-testid=theme-toggle]"))
        .await
        .expect("toggle")
        .click()
        .await
        .expect("click");
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("main h1", "Lessons").await;
    assert_eq!(data_theme(&browser).await, before);
    browser.close().await;
}

#[tokio::test]
async fn no_console_errors_and_no_request_leaves_the_origin() {
    let server = StaticServer::start(&relative_dist());
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.origin)).await;
    browser.wait_for_text("main h1", "Testbed Lab").await;
    // Walk the site the way a person does: by clicking links, then by typing addresses.
    for (link, heading) in [
        ("#/lessons", "Lessons"),
        ("#/simulators", "Simulators"),
        ("#/labs", "Labs"),
    ] {
        browser
            .client
            .find(Locator::Css(&format!(".site-nav a[href='{link}']")))
            .await
            .expect("link")
            .click()
            .await
            .expect("click");
        browser.wait_for_text("main h1", heading).await;
    }
    for (hash, heading) in every_route() {
        browser.open(&format!("{}/{hash}", server.origin)).await;
        browser.wait_for_text("main h1", &heading).await;
        let resources = browser
            .eval("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);")
            .await;
        let urls = resources.as_array().cloned().unwrap_or_default();
        assert!(
            urls.len() >= 2,
            "the page loaded its script and wasm: {urls:?}"
        );
        for url in urls {
            let url = url.as_str().unwrap_or_default().to_string();
            assert!(
                url.starts_with(&format!("{}/", server.origin)),
                "{hash}: request left the origin: {url}"
            );
        }
    }
    let entries = browser.console_entries().await;
    let errors: Vec<&Value> = entries
        .iter()
        .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
        .collect();
    assert!(
        errors.is_empty(),
        "the console has errors or warnings: {errors:#?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn builds_work_under_a_sub_path_served_from_the_parent_directory() {
    // The `--public-url /course/` build, served from the folder that holds `course/`.
    let subpath = subpath_dist();
    assert_eq!(subpath.file_name().and_then(|n| n.to_str()), Some("course"));
    let server = StaticServer::start(subpath.parent().expect("a parent folder"));
    let browser = Browser::start().await;
    browser
        .open(&format!("{}/course/#/labs", server.origin))
        .await;
    browser.wait_for_text("main h1", "Labs").await;
    browser
        .client
        .find(Locator::Css(".site-nav a[href='#/simulators']"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    browser.wait_for_text("main h1", "Simulators").await;
    let url = browser.client.current_url().await.expect("url").to_string();
    assert_eq!(url, format!("{}/course/#/simulators", server.origin));

    // The default (relative) build works under whatever folder it is copied to.
    let relative = relative_dist();
    let folder = relative
        .file_name()
        .and_then(|n| n.to_str())
        .expect("folder name")
        .to_string();
    let parent_server = StaticServer::start(relative.parent().expect("a parent folder"));
    let deep = Route::Simulator {
        arch: course::SimArch::Wse,
    };
    browser
        .open(&format!(
            "{}/{folder}/{}",
            parent_server.origin,
            deep.href()
        ))
        .await;
    browser.wait_for_text("main h1", &deep.title()).await;
    let icon_ok = browser
        .eval("return fetch(document.querySelector('link[rel=icon]').href).then(r => r.status);")
        .await;
    assert_eq!(
        icon_ok,
        Value::from(200),
        "assets resolve under the sub-path"
    );
    let entries = browser.console_entries().await;
    assert!(
        entries.iter().all(|e| e["level"] != "SEVERE"),
        "console errors: {entries:#?}"
    );
    browser.close().await;
}
