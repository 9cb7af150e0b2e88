//! Installs the toolchain the site needs, once. Each tool is checked at the exact version the
//! project pins (see TOOLCHAIN facts in ARCHITECTURE.md) and skipped when already right.

use std::path::Path;
use std::thread;
use std::time::Instant;

use crate::proc::{cmd, human, output_of, run, which};
use crate::{Result, project_root};

/// The trunk release that installs on Rust 1.95 (0.22 needs a newer rustc).
pub const TRUNK_VERSION: &str = "0.21.14";
/// The npm `binaryen` release whose `wasm-opt` trunk is told to use (`version_132`).
pub const BINARYEN_MAJOR: &str = "132";
/// The npm `axe-core` release the accessibility journey injects (pinned in package.json, its
/// integrity hash in package-lock.json).
pub const AXE_VERSION: &str = "4.14.1";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Which groups of tools a command needs.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    pub site: bool,
    pub browser: bool,
}

impl Needs {
    pub fn everything() -> Self {
        Self {
            site: true,
            browser: true,
        }
    }
}

/// Installs what `needs` asks for. The apt install of Chromium runs beside the cargo installs.
pub fn ensure_all(needs: Needs) -> Result<()> {
    let browser = needs.browser.then(|| thread::spawn(ensure_browser));
    let mut outcome = Ok(());
    if needs.site {
        outcome = ensure_wasm_target()
            .and_then(|()| ensure_wasm_bindgen())
            .and_then(|()| ensure_npm_tools())
            .and_then(|()| ensure_trunk());
    }
    if let Some(handle) = browser {
        let browser_outcome = handle
            .join()
            .unwrap_or_else(|_| Err("the Chromium install thread panicked".into()));
        outcome = outcome.and(browser_outcome);
    }
    if outcome.is_ok() {
        println!(
            "toolchain ready: wasm32 target, trunk {TRUNK_VERSION}, wasm-bindgen {}, wasm-opt {BINARYEN_MAJOR}{}",
            wasm_bindgen_version().unwrap_or_default(),
            if needs.browser {
                ", Chromium + chromedriver"
            } else {
                ""
            }
        );
    }
    outcome
}

/// Runs an install, saying what it does, how long it should take, and what to do if it fails.
fn install(
    what: &str,
    expected: &str,
    by_hand: &str,
    command: &mut std::process::Command,
) -> Result<()> {
    println!("installing {what} (usually {expected}; done once, later runs skip it)");
    let started = Instant::now();
    run(command).map_err(|e| {
        format!("installing {what} failed: {e}.\n  What to do: check that the package registry is reachable, \
                 then run the same xtask command again, or install it by hand with:\n    {by_hand}")
    })?;
    println!("installed {what} in {}", human(started.elapsed()));
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("ok: rust target wasm32-unknown-unknown");
        return Ok(());
    }
    install(
        "the wasm32-unknown-unknown Rust target",
        "under a minute",
        "rustup target add wasm32-unknown-unknown",
        cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
    )
}

fn ensure_trunk() -> Result<()> {
    let want = format!("trunk {TRUNK_VERSION}");
    if output_of("trunk", &["--version"]).is_some_and(|v| v.trim() == want) {
        println!("ok: {want}");
        return Ok(());
    }
    // Thin LTO off and more codegen units: about 8 minutes instead of 12 on 2 cores.
    install(
        &want,
        "8–12 minutes on 2 cores",
        &format!("cargo install --locked trunk --version {TRUNK_VERSION}"),
        cmd("cargo")
            .args(["install", "--locked", "trunk", "--version", TRUNK_VERSION])
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
    )
}

/// The wasm-bindgen version Cargo.lock resolved; the CLI must equal it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock_path = project_root().join("Cargo.lock");
    let text = std::fs::read_to_string(&lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    locked_version(&text, "wasm-bindgen").ok_or_else(|| {
        "Cargo.lock has no wasm-bindgen package; run `cargo generate-lockfile`".into()
    })
}

/// The version of `package` in a Cargo.lock text.
pub fn locked_version(lock_text: &str, package: &str) -> Option<String> {
    let lock: toml::Table = lock_text.parse().ok()?;
    lock.get("package")?.as_array()?.iter().find_map(|entry| {
        (entry.get("name")?.as_str()? == package)
            .then(|| entry.get("version")?.as_str().map(str::to_string))
            .flatten()
    })
}

fn ensure_wasm_bindgen() -> Result<()> {
    let version = wasm_bindgen_version()?;
    let want = format!("wasm-bindgen {version}");
    let cli_ok = output_of("wasm-bindgen", &["--version"]).is_some_and(|v| v.trim() == want);
    let runner_ok =
        output_of("wasm-bindgen-test-runner", &["--version"]).is_some_and(|v| v.contains(&version));
    if cli_ok && runner_ok {
        println!("ok: {want} (and wasm-bindgen-test-runner)");
        return Ok(());
    }
    // Not `--locked`: the CLI's own lock pins a webpki-roots release the registry no longer
    // serves; without it cargo resolves a served one (see ARCHITECTURE.md, toolchain traps).
    install(
        &format!("wasm-bindgen-cli {version}"),
        "3–4 minutes",
        &format!("cargo install wasm-bindgen-cli --version {version}"),
        cmd("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--force",
            "--version",
            &version,
        ]),
    )
}

/// The project's npm dev dependencies (package.json, locked by package-lock.json): binaryen's
/// `wasm-opt` for trunk, and axe-core for the accessibility journey.
fn ensure_npm_tools() -> Result<()> {
    let root = project_root();
    let wasm_opt = root.join("node_modules").join(".bin").join("wasm-opt");
    let binaryen_ok = output_of(&wasm_opt, &["--version"])
        .is_some_and(|v| v.contains(&format!("version {BINARYEN_MAJOR}")));
    let axe_ok = std::fs::read_to_string(root.join("node_modules/axe-core/package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{AXE_VERSION}\"")));
    if binaryen_ok && axe_ok {
        println!("ok: wasm-opt version {BINARYEN_MAJOR} (npm binaryen), axe-core {AXE_VERSION}");
        return Ok(());
    }
    if which("npm").is_none() {
        return Err(
            "npm is not on PATH; install Node.js and npm (Debian: apt-get install nodejs npm)"
                .into(),
        );
    }
    install(
        &format!("wasm-opt from npm binaryen {BINARYEN_MAJOR} and axe-core {AXE_VERSION}"),
        "under a minute",
        "npm ci",
        cmd("npm").args(["ci", "--no-audit", "--no-fund"]),
    )
}

fn ensure_browser() -> Result<()> {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        println!("ok: Chromium and chromedriver");
        return Ok(());
    }
    let is_root = output_of("id", &["-u"]).is_some_and(|id| id == "0");
    let sudo = if is_root {
        None
    } else if which("sudo").is_some() {
        Some("sudo")
    } else {
        return Err("Chromium is missing and installing it needs root: run \
                    `apt-get update && apt-get install -y chromium chromium-driver` as root"
            .into());
    };
    let apt = |args: &[&str]| {
        let mut command = match sudo {
            Some(s) => {
                let mut c = cmd(s);
                c.arg("apt-get");
                c
            }
            None => cmd("apt-get"),
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    let by_hand = "apt-get update && apt-get install -y chromium chromium-driver";
    install(
        "the apt package lists",
        "under a minute",
        by_hand,
        &mut apt(&["update", "-q"]),
    )?;
    install(
        "Chromium and chromedriver (Debian packages)",
        "2–4 minutes",
        by_hand,
        &mut apt(&[
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ]),
    )
}

#[cfg(test)]
mod unit {
    use super::locked_version;

    #[test]
    fn locked_version_reads_the_named_package_only() {
        let lock = r#"
version = 4
[[package]]
name = "wasm-bindgen-macro"
version = "9.9.9"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
"#;
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "trunk"), None);
        assert_eq!(locked_version("not toml [", "wasm-bindgen"), None);
    }
}
