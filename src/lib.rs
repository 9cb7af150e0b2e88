//! Testbed Lab: a client-side course site on AI accelerators.
//!
//! The app is a Leptos CSR app. It uses the engines in `crates/` (simulators, training,
//! course content) and owns everything that touches the browser.

pub mod app;
pub mod catalog;
pub mod charts;
pub mod components;
pub mod course_data;
pub mod files;
pub mod offline;
pub mod pages;
pub mod progress_store;
pub mod query;
pub mod route;
pub mod simulation;
pub mod text;
pub mod theme;
pub mod training;

/// Mounts the app on `<body>`; panics are reported to the console first.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
