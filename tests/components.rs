//! Components rendered in a real browser (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use testbed_lab::components::ThemeToggle;
use testbed_lab::pages::NotFoundPage;
use testbed_lab::theme::{STORAGE_KEY, provide_theme};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document")
}

/// A fresh container in <body> to mount one component into.
fn container(id: &str) -> web_sys::HtmlElement {
    let element = document().create_element("div").expect("create div");
    element.set_id(id);
    document()
        .body()
        .expect("body")
        .append_child(&element)
        .expect("append");
    element.dyn_into().expect("div is an HtmlElement")
}

#[wasm_bindgen_test]
async fn theme_toggle_switches_the_page_theme_and_remembers_it() {
    let storage = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("storage");
    storage
        .set_item(STORAGE_KEY, "light")
        .expect("seed storage");
    let root = container("toggle-test");
    let handle = leptos::mount::mount_to(root.clone(), || {
        provide_theme();
        view! { <ThemeToggle /> }
    });
    let html = document().document_element().expect("<html>");
    assert_eq!(html.get_attribute("data-theme").as_deref(), Some("light"));

    let button: web_sys::HtmlElement = root
        .query_selector("[data-testid=theme-toggle]")
        .expect("query")
        .expect("the toggle renders a button")
        .dyn_into()
        .expect("button");
    assert_eq!(
        button.get_attribute("aria-label").as_deref(),
        Some("Switch to the dark theme")
    );
    button.click();
    // The theme is applied at once; the button's own label follows on the next reactive tick.
    assert_eq!(html.get_attribute("data-theme").as_deref(), Some("dark"));
    leptos::task::tick().await;
    assert_eq!(
        storage.get_item(STORAGE_KEY).expect("read").as_deref(),
        Some("dark")
    );
    assert_eq!(
        button.get_attribute("aria-label").as_deref(),
        Some("Switch to the light theme")
    );
    drop(handle);
}

#[wasm_bindgen_test]
fn not_found_page_shows_the_path_and_a_way_back() {
    let root = container("not-found-test");
    let handle = leptos::mount::mount_to(root.clone(), || {
        view! { <NotFoundPage path="/labs/quantum".to_string() /> }
    });
    let heading = root
        .query_selector("h1")
        .expect("query")
        .expect("a heading");
    assert_eq!(heading.text_content().as_deref(), Some("Page not found"));
    let text = root.text_content().unwrap_or_default();
    assert!(
        text.contains("/labs/quantum"),
        "the asked-for path is shown: {text}"
    );
    let home = root
        .query_selector("[data-testid=not-found-home]")
        .expect("query")
        .expect("a link home");
    assert_eq!(home.get_attribute("href").as_deref(), Some("#/"));
    drop(handle);
}
