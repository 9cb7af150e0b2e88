//! `cargo xtask test`: the whole CI gate, in the order that fails fastest.

use std::path::PathBuf;
use std::time::Instant;

use crate::proc::{cmd, print_step_times, run, run_collecting_summaries, step};
use crate::tools::{self, CHROMEDRIVER, CHROMIUM, Needs};
use crate::{Result, project_root, site};

/// Where the journeys' builds go: a relative build (servable under any path) and one built
/// for `--public-url /course/`, each served by a plain static server during the journeys.
pub fn e2e_dirs() -> (PathBuf, PathBuf) {
    let base = project_root().join("target").join("e2e");
    (base.join("relative"), base.join("subpath").join("course"))
}

pub fn run_all() -> Result<()> {
    let started = Instant::now();
    let outcome = run_steps();
    print_step_times(started);
    outcome
}

fn run_steps() -> Result<()> {
    step("toolchain", || tools::ensure_all(Needs::everything()))?;
    step("rustfmt", || {
        run(cmd("cargo").args(["fmt", "--all", "--", "--check"]))
    })?;
    step("clippy (native, all targets)", || {
        run(cmd("cargo").args([
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            // The journeys need the `e2e` feature; without it clippy would skip them.
            "--features",
            "testbed-lab/e2e",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (wasm32: app and tests)", || {
        run(cmd("cargo").args([
            "clippy",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "testbed-lab",
            "--lib",
            "--bins",
            "--tests",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    let mut summaries = Vec::new();
    summaries.extend(step("native tests (workspace)", || {
        run_collecting_summaries(cmd("cargo").args(["test", "--locked", "--workspace"]))
    })?);
    step("engines built for wasm32", || {
        run(cmd("cargo").args([
            "build",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "sim",
            "-p",
            "nn",
            "-p",
            "course",
        ]))
    })?;
    summaries.extend(step("wasm-bindgen-tests in headless Chromium", || {
        run_collecting_summaries(
            cmd("cargo")
                .args([
                    "test",
                    "--locked",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-p",
                    "testbed-lab",
                    "--test",
                    "components",
                ])
                .env("CHROMEDRIVER", CHROMEDRIVER)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        )
    })?);
    let (relative, subpath) = e2e_dirs();
    step("release build (relative public URL)", || {
        site::build(None, &relative).map(|r| println!("{r}"))
    })?;
    step("release build (--public-url /course/)", || {
        site::build(Some("/course/"), &subpath).map(|r| println!("{r}"))
    })?;
    summaries.extend(step("WebDriver journeys in headless Chromium", || {
        run_collecting_summaries(
            cmd("cargo")
                .args([
                    "test",
                    "--locked",
                    "-p",
                    "testbed-lab",
                    "--features",
                    "e2e",
                    "--test",
                    "journeys",
                    "--",
                    "--test-threads=1",
                ])
                .env("TESTBED_DIST_RELATIVE", &relative)
                .env("TESTBED_DIST_SUBPATH", &subpath)
                .env("CHROMEDRIVER", CHROMEDRIVER)
                .env("CHROMIUM", CHROMIUM),
        )
    })?);
    println!("\nAll checks passed. Test runners' summaries:");
    for line in &summaries {
        println!("{line}");
    }
    Ok(())
}
