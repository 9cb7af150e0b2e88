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
fn theme_toggle_switches_the_page_theme_and_remembers_it() {
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
    assert_eq!(html.get_attribute("data-theme").as_deref(), Some("dark"));
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

#[wasm_bindgen_test]
async fn mesh_canvas_draws_for_the_device_and_a_click_picks_the_pe_under_it() {
    use sim::engine::Engine;
    use sim::units::Cycle;
    use sim::workload::presets;
    use sim::wse::{GemvRun, WseConfig};
    use testbed_lab::components::sim::MeshCanvas;
    use testbed_lab::components::sim::mesh_layout::MeshLayout;

    let mut run = GemvRun::from_workload(
        WseConfig::wse2(4, 4),
        &presets::gemv(16, 16).expect("a workload"),
        1,
    )
    .expect("maps");
    let _ = run.run_until(Cycle(6));
    let snapshot = RwSignal::new(run.snapshot());
    let picked = RwSignal::new(None::<(u32, u32)>);
    let root = container("mesh-canvas-test");
    root.set_attribute("style", "width: 400px").expect("style");
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <MeshCanvas
                snapshot
                selected=picked
                memory_capacity=49_152.0
                on_select=Callback::new(move |pe| picked.set(Some(pe)))
            />
        }
    });
    leptos::task::tick().await;
    let canvas: web_sys::HtmlCanvasElement = root
        .query_selector("[data-testid=sim-mesh-canvas]")
        .expect("query")
        .expect("a canvas")
        .dyn_into()
        .expect("canvas");
    // Sized for the device: its pixel width is the CSS width times devicePixelRatio.
    let dpr = web_sys::window().expect("window").device_pixel_ratio();
    let css = f64::from(canvas.client_width());
    assert!(css > 300.0, "the canvas fills its column: {css}");
    assert_eq!(f64::from(canvas.width()), (css * dpr).round());
    assert!(
        canvas
            .get_attribute("aria-label")
            .is_some_and(|l| l.contains("event log"))
    );

    // A click in the middle of PE (1, 2)'s square picks PE (1, 2).
    let layout = MeshLayout::fit(css, 640.0, 4, 4);
    let (left, top, side) = layout.cell(1, 2);
    let rect = canvas.get_bounding_client_rect();
    let init = web_sys::MouseEventInit::new();
    init.set_client_x((rect.left() + left + side / 2.0) as i32);
    init.set_client_y((rect.top() + top + side / 2.0) as i32);
    init.set_bubbles(true);
    let click = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).expect("event");
    canvas.dispatch_event(&click).expect("dispatch");
    assert_eq!(picked.get_untracked(), Some((1, 2)));
    drop(handle);
}
