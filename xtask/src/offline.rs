//! The offline copy's build step: after trunk, `cargo xtask build` writes the build's version
//! and file list into `dist/sw.js` (the service worker, `src/scripts/sw.js`).
//!
//! trunk hashes the app's file names but not the worker's (`worker.js`, `worker_bg.wasm`) nor
//! `public/`, so the version is a hash of every file's path and bytes: any change anywhere in
//! the build gives a new `sw.js`, which is how a browser learns of a new deployment.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Result;

/// The service worker's file in `dist/`: in the version, not in its own list (the browser
/// fetches it itself).
pub const SERVICE_WORKER: &str = "sw.js";
/// The line of `sw.js` that xtask replaces, and what it must say before.
const MARKER: &str = "// testbed-lab: precache list";
const UNBUILT: &str = "const BUILD = null;";

/// What was written into the service worker.
#[derive(Debug, PartialEq, Eq)]
pub struct Precache {
    /// The first 16 hex digits of the SHA-256 over every file's path and bytes (`sw.js` as
    /// trunk copied it).
    pub version: String,
    /// Paths relative to `dist/`, with `/`, sorted.
    pub files: Vec<String>,
    pub n_bytes: u64,
}

/// Every file under `dir` (paths relative to `root`, `/`-separated), in no particular order.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// Lists and hashes `dist/` and writes the result into `dist/sw.js`.
///
/// # Errors
/// A sentence when dist cannot be read, has no service worker, or the worker has no
/// `const BUILD = null; // testbed-lab: precache list` line (it was already written, or
/// `src/scripts/sw.js` lost its marker).
pub fn write_precache(dist: &Path) -> Result<Precache> {
    let mut files = Vec::new();
    collect(dist, dist, &mut files)?;
    files.sort();
    // The version covers every file, the worker's own code too (as trunk copied it, before
    // this fills it in); the list leaves the worker out.
    let mut hasher = Sha256::new();
    let mut n_bytes = 0u64;
    for file in &files {
        let bytes = std::fs::read(dist.join(file))
            .map_err(|e| format!("cannot read {}/{file}: {e}", dist.display()))?;
        // Path, a separator no path holds, the length, then the bytes: no two builds collide
        // by moving bytes between files.
        hasher.update(file.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
        if file != SERVICE_WORKER {
            n_bytes += bytes.len() as u64;
        }
    }
    files.retain(|f| f != SERVICE_WORKER);
    let digest = hasher.finalize();
    let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();

    let worker_path = dist.join(SERVICE_WORKER);
    let worker = std::fs::read_to_string(&worker_path).map_err(|e| {
        format!(
            "cannot read {} (index.html copies src/scripts/sw.js): {e}",
            worker_path.display()
        )
    })?;
    let build = serde_json::json!({ "version": version, "files": files });
    let written = with_build(&worker, &build.to_string()).ok_or_else(|| {
        format!(
            "{} has no `{UNBUILT} {MARKER}` line to fill in",
            worker_path.display()
        )
    })?;
    std::fs::write(&worker_path, written)
        .map_err(|e| format!("cannot write {}: {e}", worker_path.display()))?;
    Ok(Precache {
        version,
        files,
        n_bytes,
    })
}

/// `worker` with its one unbuilt BUILD line replaced by `const BUILD = <json>;`, or `None`
/// when there is not exactly one.
fn with_build(worker: &str, json: &str) -> Option<String> {
    let unbuilt = format!("{UNBUILT} {MARKER}");
    if worker.matches(&unbuilt).count() != 1 {
        return None;
    }
    Some(worker.replacen(&unbuilt, &format!("const BUILD = {json}; {MARKER}"), 1))
}

#[cfg(test)]
mod unit {
    use super::*;

    const WORKER: &str = "// a worker\nconst BUILD = null; // testbed-lab: precache list\nself;\n";

    fn dist(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("xtask-precache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    #[test]
    fn every_file_but_the_worker_is_listed_and_the_worker_gets_the_list() {
        let dir = dist(
            "list",
            &[
                ("index.html", "<html>"),
                ("public/data/a.txt", "abc"),
                ("sw.js", WORKER),
            ],
        );
        let precache = write_precache(&dir).expect("written");
        assert_eq!(precache.files, ["index.html", "public/data/a.txt"]);
        assert_eq!(precache.n_bytes, 6 + 3);
        assert_eq!(precache.version.len(), 16);
        let worker = std::fs::read_to_string(dir.join("sw.js")).expect("read");
        let json = worker
            .split_once("const BUILD = ")
            .and_then(|(_, rest)| rest.split_once(&format!("; {MARKER}")))
            .map(|(json, _)| json)
            .expect("a filled-in BUILD line");
        let build: serde_json::Value = serde_json::from_str(json).expect("JSON");
        assert_eq!(build["version"], precache.version.as_str());
        assert_eq!(
            build["files"],
            serde_json::json!(["index.html", "public/data/a.txt"])
        );
        // Written once: a second run finds no unbuilt line and says so.
        assert!(write_precache(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn any_changed_byte_or_moved_byte_changes_the_version() {
        let version = |name: &str, files: &[(&str, &str)]| {
            let mut files = files.to_vec();
            files.push(("sw.js", WORKER));
            let dir = dist(name, &files);
            let version = write_precache(&dir).expect("written").version;
            let _ = std::fs::remove_dir_all(&dir);
            version
        };
        let base = version("base", &[("a", "xy"), ("b", "z")]);
        assert_eq!(base, version("same", &[("a", "xy"), ("b", "z")]));
        assert_ne!(base, version("byte", &[("a", "xy"), ("b", "Z")]));
        assert_ne!(base, version("moved", &[("a", "x"), ("b", "yz")]));
        assert_ne!(base, version("renamed", &[("a", "xy"), ("c", "z")]));
        // A change to the worker's own code is a new version too.
        let dir = dist(
            "worker",
            &[
                ("a", "xy"),
                ("b", "z"),
                ("sw.js", &format!("{WORKER}// fixed\n")),
            ],
        );
        assert_ne!(base, write_precache(&dir).expect("written").version);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_worker_without_exactly_one_marker_is_refused() {
        assert!(with_build("const BUILD = {};", "{}").is_none());
        let twice = format!("{WORKER}{WORKER}");
        assert!(with_build(&twice, "{}").is_none());
        assert_eq!(
            with_build(WORKER, "{\"v\":1}").as_deref(),
            Some("// a worker\nconst BUILD = {\"v\":1}; // testbed-lab: precache list\nself;\n")
        );
    }
}
