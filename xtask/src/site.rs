//! `serve` and `build`: trunk with the project's pinned tools, and the size report.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::proc::{cmd, run};
use crate::tools::{self, Needs};
use crate::{Result, offline, project_root};

/// The app wasm may not exceed this many gzip bytes (the foundation issue's budget).
pub const WASM_GZIP_BUDGET: u64 = 1_500_000;

/// What `--flag value` pairs and switches a command was given.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Result<Option<&'a str>> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .filter(|v| !v.starts_with("--"))
            .map(|v| Some(v.as_str()))
            .ok_or_else(|| format!("{flag} needs a value")),
    }
}

fn reject_unknown(
    args: &[String],
    known_with_value: &[&str],
    known_switches: &[&str],
) -> Result<()> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if known_with_value.contains(&a) {
            i += 2;
        } else if known_switches.contains(&a) {
            i += 1;
        } else {
            return Err(format!("unknown option `{a}` (see `cargo xtask help`)"));
        }
    }
    Ok(())
}

/// `cargo xtask serve [--port N] [--dev]`.
pub fn serve(args: &[String]) -> Result<()> {
    reject_unknown(args, &["--port"], &["--dev"])?;
    let port = flag_value(args, "--port")?.unwrap_or("8080");
    port.parse::<u16>()
        .map_err(|_| format!("--port {port} is not a port number"))?;
    tools::ensure_all(Needs {
        site: true,
        browser: false,
    })?;
    let url = format!("http://127.0.0.1:{port}/");
    println!(
        "\nServing Testbed Lab at {url}\n(the first build takes 2–3 minutes; trunk rebuilds on every change, then reload the page; Ctrl-C stops)\n"
    );
    let mut trunk = cmd("trunk");
    trunk.args([
        "serve",
        "--address",
        "127.0.0.1",
        "--port",
        port,
        "--public-url",
        "/",
        // trunk's live reload is an inline script, which the page's Content-Security-Policy
        // refuses: the served site is the deployed one, reload by hand after a rebuild.
        "--no-autoreload",
    ]);
    if !args.iter().any(|a| a == "--dev") {
        trunk.arg("--release");
    }
    run(&mut trunk)
}

/// `cargo xtask build [--public-url URL] [--dist DIR]`.
pub fn build_command(args: &[String]) -> Result<()> {
    reject_unknown(args, &["--public-url", "--dist"], &[])?;
    let public_url = flag_value(args, "--public-url")?;
    let dist =
        flag_value(args, "--dist")?.map_or_else(|| project_root().join("dist"), PathBuf::from);
    tools::ensure_all(Needs {
        site: true,
        browser: false,
    })?;
    let report = build(public_url, &dist)?;
    println!("{report}");
    Ok(())
}

/// A release build of the site into `dist`; returns the size report line.
pub fn build(public_url: Option<&str>, dist: &Path) -> Result<String> {
    if let Some(url) = public_url
        && (!(url.starts_with('/') || url.starts_with("./")) || !url.ends_with('/'))
    {
        return Err(format!(
            "--public-url {url}: give a path that starts with / (or ./) and ends with /, e.g. /course/"
        ));
    }
    let mut trunk = cmd("trunk");
    trunk.args(["build", "--release", "--dist"]).arg(dist);
    if let Some(url) = public_url {
        trunk.args(["--public-url", url]);
    }
    run(&mut trunk)?;
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "trunk finished but {} has no index.html",
            dist.display()
        ));
    }
    // The offline copy: every file of this build, under a version that changes with any byte.
    let precache = offline::write_precache(dist)?;
    let offline_line = format!(
        "offline copy (sw.js): version {}, {} files, {}",
        precache.version,
        precache.files.len(),
        kb(precache.n_bytes)
    );
    let wasm = app_wasm(dist)?;
    let bytes = std::fs::read(&wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display()))?;
    let gzip = gzip_len(&bytes);
    let name = wasm
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let line = format!(
        "app wasm {name}: {} raw, {} gzip (budget {})",
        kb(bytes.len() as u64),
        kb(gzip),
        kb(WASM_GZIP_BUDGET)
    );
    if gzip > WASM_GZIP_BUDGET {
        return Err(format!("{line}: over budget"));
    }
    Ok(format!(
        "built {} ({})\n{line}\n{offline_line}",
        dist.display(),
        public_url.unwrap_or("public URL ./, relative")
    ))
}

/// The main app's wasm in a dist folder (trunk names it `testbed-lab-<hash>_bg.wasm`).
fn app_wasm(dist: &Path) -> Result<PathBuf> {
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("cannot list {}: {e}", dist.display()))?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("testbed-lab") && n.ends_with("_bg.wasm"))
        })
        .ok_or_else(|| format!("no testbed-lab-*_bg.wasm in {}", dist.display()))
}

fn gzip_len(bytes: &[u8]) -> u64 {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |v| v.len() as u64)
}

fn kb(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.2} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} KB", bytes as f64 / 1e3)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn flags_parse_and_unknown_flags_are_refused() {
        let args = strings(&["--public-url", "/course/", "--dist", "out"]);
        assert_eq!(flag_value(&args, "--public-url"), Ok(Some("/course/")));
        assert_eq!(flag_value(&args, "--port"), Ok(None));
        assert!(flag_value(&strings(&["--dist"]), "--dist").is_err());
        assert!(reject_unknown(&args, &["--public-url", "--dist"], &[]).is_ok());
        assert!(reject_unknown(&strings(&["--pubic-url", "/x/"]), &["--public-url"], &[]).is_err());
    }

    #[test]
    fn bad_public_urls_are_refused_before_building() {
        let dist = std::env::temp_dir().join("xtask-never-built");
        assert!(build(Some("course"), &dist).is_err());
        assert!(build(Some("/course"), &dist).is_err());
    }

    #[test]
    fn gzip_shrinks_repetitive_bytes() {
        assert!(gzip_len(&[0u8; 10_000]) < 200);
    }
}
