//! Components rendered in a real browser (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use testbed_lab::components::ThemeToggle;
use testbed_lab::components::lesson::QuizCard;
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

#[wasm_bindgen_test]
async fn sim_params_form_reports_each_change_and_the_engine_judges_it() {
    use testbed_lab::components::sim::SimParamsForm;
    use testbed_lab::simulation::wse::{WIDTH, WseMachine, WseSession};
    use testbed_lab::simulation::{Preset, SimForm};

    let form = RwSignal::new(SimForm::defaults(&WseMachine, Preset::Gemv));
    let applied = RwSignal::new(None::<SimForm>);
    let root = container("sim-form-test");
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <SimParamsForm
                machine=&WseMachine
                form
                on_apply=Callback::new(move |f| applied.set(Some(f)))
            />
        }
    });
    leptos::task::tick().await;
    // The WSE page asks for the mesh and the GEMV's sizes; the GPU's machine is not there.
    for key in ["width", "height", "colors", "d_in", "d_out"] {
        assert!(
            root.query_selector(&format!("[data-testid=sim-param-{key}]"))
                .expect("query")
                .is_some(),
            "field {key}"
        );
    }
    assert!(
        root.query_selector("[data-testid=sim-param-machine]")
            .expect("query")
            .is_none()
    );
    let width: web_sys::HtmlInputElement = root
        .query_selector("[data-testid=sim-param-width]")
        .expect("query")
        .expect("width field")
        .dyn_into()
        .expect("an input");
    assert_eq!(width.value(), "16");
    width.set_value("0");
    let change = web_sys::Event::new("change").expect("event");
    width.dispatch_event(&change).expect("dispatch");
    let got = applied.get_untracked().expect("a change applies at once");
    assert_eq!(got.field(&WIDTH), "0");
    assert_eq!(form.get_untracked(), got);
    // What the page then shows: the engine's sentence, not a panic.
    let setup = got.parse(&WseMachine).expect("zero is a number");
    assert_eq!(
        WseSession::build(&setup).expect_err("zero PEs"),
        "Mesh width must be at least 1, but it is 0."
    );
    drop(handle);
}

#[wasm_bindgen_test]
fn draw_mesh_sizes_the_canvas_for_the_device_and_paints_busy_pes() {
    use sim::engine::Engine;
    use sim::units::Cycle;
    use sim::workload::presets;
    use sim::wse::{GemvRun, PeState, WseConfig};
    use testbed_lab::charts::palette::Palette;
    use testbed_lab::components::sim::mesh_canvas::draw_mesh;
    use testbed_lab::theme::Theme;

    let mut run = GemvRun::from_workload(
        WseConfig::wse2(4, 4),
        &presets::gemv(16, 16).expect("a workload"),
        1,
    )
    .expect("maps");
    let _ = run.run_until(Cycle(6));
    let snap = run.snapshot();
    let busy = snap
        .pes
        .iter()
        .position(|p| p.state == PeState::Busy)
        .expect("a busy PE at cycle 6") as u32;
    let root = container("draw-mesh-test");
    let canvas: web_sys::HtmlCanvasElement = document()
        .create_element("canvas")
        .expect("canvas")
        .dyn_into()
        .expect("a canvas");
    canvas
        .set_attribute("style", "display: block; width: 400px")
        .expect("style");
    root.append_child(&canvas).expect("append");
    let palette = Palette::for_theme(Theme::Light);
    let layout = draw_mesh(&canvas, &snap, None, 49_152.0, &palette).expect("drawn");
    let dpr = web_sys::window().expect("window").device_pixel_ratio();
    let (w, h) = layout.size();
    assert!((w - 400.0).abs() < 1.0, "fills its CSS width: {w}");
    assert_eq!(f64::from(canvas.width()), (w * dpr).round());
    assert_eq!(f64::from(canvas.height()), (h * dpr).round());
    // The middle of the busy PE is painted in the busy colour.
    let (left, top, side) = layout.cell(busy % 4, busy / 4);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("context")
        .expect("2d")
        .dyn_into()
        .expect("2d context");
    let pixel = ctx
        .get_image_data(
            ((left + side * 0.3) * dpr).round(),
            ((top + side * 0.3) * dpr).round(),
            1.0,
            1.0,
        )
        .expect("pixel")
        .data();
    let hex = format!("#{:02x}{:02x}{:02x}", pixel[0], pixel[1], pixel[2]);
    assert_eq!(hex, palette.busy);
}

#[wasm_bindgen_test]
async fn sim_embed_opens_the_embedded_simulator_and_closes_it() {
    use testbed_lab::pages::simulator::SimEmbed;

    let root = container("sim-embed-test");
    let handle = leptos::mount::mount_to(root.clone(), || {
        provide_theme();
        view! {
            <SimEmbed arch=course::SimArch::Wse query=vec![("preset".to_string(), "gemv".to_string())] />
            <SimEmbed arch=course::SimArch::Rdu query=Vec::new() />
        }
    });
    // Every machine is built now: the RDU's card offers its run too.
    assert!(
        root.query_selector("[data-testid=sim-embed-rdu]")
            .expect("query")
            .is_some(),
        "a built simulator offers its run"
    );
    assert!(
        root.query_selector("[data-testid=sim-page-wse]")
            .expect("query")
            .is_none(),
        "nothing runs until the learner asks"
    );
    let toggle: web_sys::HtmlElement = root
        .query_selector("[data-testid=sim-embed-wse] [data-testid=sim-embed-toggle]")
        .expect("query")
        .expect("the built simulator offers to run")
        .dyn_into()
        .expect("button");
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );

    toggle.click();
    leptos::task::tick().await;
    let page = root
        .query_selector("[data-testid=sim-page-wse]")
        .expect("query")
        .expect("the mesh simulator opens in place");
    assert!(page.class_list().contains("sim-page--embedded"));
    let full = root
        .query_selector("[data-testid=sim-full-page-link]")
        .expect("query")
        .expect("a link to the full page");
    let href = full.get_attribute("href").unwrap_or_default();
    assert!(
        href.starts_with("#/simulators/wse?preset=gemv&"),
        "the full page opens with the lesson's preset: {href}"
    );
    assert!(
        root.query_selector("[data-testid=sim-form]")
            .expect("query")
            .is_none(),
        "no parameters form inside a lesson"
    );
    assert_eq!(
        toggle.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );

    toggle.click();
    leptos::task::tick().await;
    assert!(
        root.query_selector("[data-testid=sim-page-wse]")
            .expect("query")
            .is_none(),
        "closing drops the simulator"
    );
    drop(handle);
}

fn html_element(root: &web_sys::HtmlElement, css: &str) -> web_sys::HtmlElement {
    root.query_selector(css)
        .expect("query")
        .unwrap_or_else(|| panic!("no `{css}`"))
        .dyn_into()
        .expect("an HtmlElement")
}

fn type_text(input: &web_sys::HtmlElement, text: &str) {
    let input: web_sys::HtmlInputElement = input.clone().dyn_into().expect("an input");
    input.set_value(text);
    let event = web_sys::Event::new("input").expect("event");
    input.dispatch_event(&event).expect("dispatch");
}

#[wasm_bindgen_test]
async fn quiz_numeric_question_explains_bad_input_then_grades_and_orders_by_buttons() {
    let course = testbed_lab::course_data::course().expect("course");
    let (quiz, numeric, ordering) = course
        .quizzes
        .iter()
        .find_map(|quiz| {
            let numeric = quiz
                .questions
                .iter()
                .find(|q| matches!(q.kind, course::QuestionKind::Numeric { .. }))?;
            let ordering = quiz
                .questions
                .iter()
                .find(|q| matches!(q.kind, course::QuestionKind::Order { .. }))?;
            Some((quiz, numeric, ordering))
        })
        .expect("a quiz with a numeric and an ordering question");
    let course::QuestionKind::Numeric { answer, .. } = numeric.kind else {
        unreachable!("found as numeric")
    };
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .expect("storage")
        .remove_item(course::PROGRESS_STORAGE_KEY)
        .expect("clear progress");
    let root = container("quiz-test");
    let quiz_id = quiz.id.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        testbed_lab::progress_store::provide_progress();
        view! { <QuizCard quiz_id=quiz_id.clone() /> }
    });
    let n_questions = root
        .query_selector_all(".quiz-question")
        .expect("query")
        .length();
    assert_eq!(n_questions as usize, quiz.questions.len());

    // Not a number: a sentence, and the question stays open.
    let qid = &numeric.id;
    let input = html_element(&root, &format!("[data-testid='quiz-input-{qid}']"));
    type_text(&input, "lots");
    html_element(&root, &format!("[data-testid='quiz-check-{qid}']")).click();
    leptos::task::tick().await;
    let feedback = html_element(&root, &format!("[data-testid='quiz-feedback-{qid}']"));
    let text = feedback.text_content().unwrap_or_default();
    assert!(text.contains("“lots” is not a number"), "{text}");
    assert_eq!(
        feedback.get_attribute("aria-live").as_deref(),
        Some("polite")
    );
    assert!(
        root.query_selector(&format!("[data-testid='quiz-verdict-{qid}']"))
            .expect("query")
            .is_none()
    );

    // The right number: marked right, with the explanation.
    type_text(&input, &format!("{answer}"));
    html_element(&root, &format!("[data-testid='quiz-check-{qid}']")).click();
    leptos::task::tick().await;
    let verdict = html_element(&root, &format!("[data-testid='quiz-verdict-{qid}']"));
    assert_eq!(
        verdict.get_attribute("data-correct").as_deref(),
        Some("true")
    );

    // Ordering with the Move up buttons only.
    let qid = &ordering.id;
    for _ in 0..64 {
        let items = root
            .query_selector_all(&format!("[data-testid='quiz-order-{qid}'] li"))
            .expect("query");
        let order: Vec<usize> = (0..items.length())
            .filter_map(|i| items.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            .filter_map(|li| li.dataset().get("item")?.parse().ok())
            .collect();
        let Some(position) = order.iter().enumerate().position(|(i, &item)| i != item) else {
            break;
        };
        html_element(
            &root,
            &format!("[data-testid='quiz-order-up-{qid}-{position}']"),
        )
        .click();
        leptos::task::tick().await;
    }
    html_element(&root, &format!("[data-testid='quiz-check-{qid}']")).click();
    leptos::task::tick().await;
    let verdict = html_element(&root, &format!("[data-testid='quiz-verdict-{qid}']"));
    assert_eq!(
        verdict.get_attribute("data-correct").as_deref(),
        Some("true")
    );
    let score = html_element(&root, "[data-testid='quiz-score']")
        .text_content()
        .unwrap_or_default();
    assert_eq!(
        score,
        format!("2 of {} answered, 2 right so far.", quiz.questions.len())
    );
    drop(handle);
}

#[wasm_bindgen_test]
fn draw_training_curves_fills_its_box_in_the_given_colours() {
    use testbed_lab::charts::training_curves::{
        ChartColours, CurveData, CurveKind, draw_training_curves, parse_hex,
    };
    use testbed_lab::training::protocol::CurvePoint;

    let root = container("training-curves-test");
    let canvas: web_sys::HtmlCanvasElement = document()
        .create_element("canvas")
        .expect("canvas")
        .dyn_into()
        .expect("a canvas");
    canvas
        .set_attribute("style", "display: block; width: 400px; height: 200px")
        .expect("style");
    root.append_child(&canvas).expect("append");
    // A flat training loss of 1.0 over two epochs: a horizontal line in the training colour.
    let points = (1..=20)
        .map(|i| CurvePoint {
            epoch: i as f32 / 10.0,
            loss: 1.0,
            accuracy: 0.5,
        })
        .collect();
    let data = CurveData {
        points,
        test: vec![(1.0, Some(0.8), 0.9), (2.0, Some(0.7), 0.92)],
        n_epochs: 2,
    };
    for (background, train) in [("#ffffff", "#1f5fa6"), ("#171c23", "#7cb7ff")] {
        let colours = ChartColours {
            background: background.into(),
            text: "#888888".into(),
            muted: "#888888".into(),
            grid: "#777777".into(),
            train: train.into(),
            test: "#b34700".into(),
        };
        draw_training_curves(&canvas, &data, CurveKind::Loss, &colours).expect("drawn");
        let dpr = web_sys::window().expect("window").device_pixel_ratio();
        assert_eq!(f64::from(canvas.width()), (400.0 * dpr).round());
        assert_eq!(f64::from(canvas.height()), (200.0 * dpr).round());
        let ctx: web_sys::CanvasRenderingContext2d = canvas
            .get_context("2d")
            .expect("context")
            .expect("2d")
            .dyn_into()
            .expect("2d context");
        let (w, h) = (canvas.width(), canvas.height());
        let pixels = ctx
            .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
            .expect("pixels")
            .data();
        let rgb = |hex: &str| {
            let c = parse_hex(hex).expect("a colour");
            [c.0, c.1, c.2]
        };
        assert_eq!(pixels[0..3], rgb(background), "the corner is background");
        let n_train = pixels
            .chunks_exact(4)
            .filter(|p| p[0..3] == rgb(train))
            .count();
        assert!(
            n_train as f64 > 200.0 * dpr,
            "the training line is drawn ({n_train} pixels in {train})"
        );
    }
}
