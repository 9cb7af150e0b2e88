//! The workspace's dependency rule, checked on every test run: the engines in `crates/` never
//! depend on the UI stack, neither in their manifests nor through another crate.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

use crate::project_root;

/// Crate names (or prefixes ending in `*`) an engine must never reach.
const FORBIDDEN: &[&str] = &[
    "leptos*",
    "web-sys",
    "wasm-bindgen*",
    "js-sys",
    "plotters*",
    "gloo*",
];

fn forbidden(name: &str) -> bool {
    FORBIDDEN.iter().any(|rule| match rule.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *rule,
    })
}

fn metadata() -> Value {
    let output = Command::new(env!("CARGO"))
        .current_dir(project_root())
        .args(["metadata", "--format-version", "1"])
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// The engines: workspace members whose manifest lives under `crates/`.
fn engines(meta: &Value) -> Vec<&Value> {
    let crates_dir = project_root().join("crates");
    meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| {
            p["manifest_path"]
                .as_str()
                .is_some_and(|m| m.starts_with(crates_dir.to_str().unwrap_or("\0")))
        })
        .collect()
}

#[test]
fn engine_manifests_name_no_ui_crate() {
    let meta = metadata();
    let engines = engines(&meta);
    assert!(
        engines.len() >= 3,
        "expected the sim, nn and course engines, found {}",
        engines.len()
    );
    for engine in engines {
        for dep in engine["dependencies"].as_array().into_iter().flatten() {
            let name = dep["name"].as_str().unwrap_or_default();
            assert!(
                !forbidden(name),
                "{} declares a dependency on {name} ({}): engines stay free of the UI stack",
                engine["name"],
                engine["manifest_path"]
            );
        }
    }
}

#[test]
fn engines_reach_no_ui_crate_through_other_crates() {
    let meta = metadata();
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    // id → ids of normal and build dependencies (dev-dependencies only reach tests).
    let mut graph: HashMap<&str, Vec<&str>> = HashMap::new();
    for node in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
        let id = node["id"].as_str().unwrap_or_default();
        let deps = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].as_str() != Some("dev"))
            })
            .filter_map(|d| d["pkg"].as_str())
            .collect();
        graph.insert(id, deps);
    }
    for engine in engines(&meta) {
        let start = engine["id"].as_str().unwrap_or_default();
        let mut seen = BTreeSet::new();
        let mut stack = vec![(start, vec![names.get(start).copied().unwrap_or(start)])];
        while let Some((id, path)) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            for dep in graph.get(id).into_iter().flatten() {
                let name = names.get(dep).copied().unwrap_or(dep);
                let mut next = path.clone();
                next.push(name);
                assert!(
                    !forbidden(name),
                    "an engine reaches a UI crate: {}",
                    next.join(" → ")
                );
                stack.push((dep, next));
            }
        }
    }
}

#[test]
fn the_rule_matches_what_it_should() {
    assert!(forbidden("leptos_dom"));
    assert!(forbidden("wasm-bindgen-futures"));
    assert!(forbidden("web-sys"));
    assert!(forbidden("plotters-canvas"));
    assert!(!forbidden("ndarray"));
    assert!(!forbidden("web-time"));
}

/// The app's layers, top to bottom: each may use the ones below it, never one above.
/// `pages/` → `components/` → `charts/` → `simulation/`, `training/` → the engines. (Top-level
/// modules such as `route`, `query`, `theme` and `catalog` are shared plumbing.)
const LAYERS: &[(&str, &[&str])] = &[
    ("components", &["pages"]),
    ("charts", &["pages", "components"]),
    ("simulation", &["pages", "components", "charts"]),
    ("training", &["pages", "components", "charts"]),
];

/// The lines of `text` that name a forbidden layer (`crate::pages…`).
fn layer_violations(text: &str, above: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter(|line| {
            above.iter().any(|layer| {
                line.contains(&format!("crate::{layer}::"))
                    || line.contains(&format!("crate::{layer};"))
                    || line.contains(&format!("crate::{layer}}}"))
            })
        })
        .map(|line| line.trim().to_string())
        .collect()
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn app_layers_point_one_way() {
    let mut problems = Vec::new();
    for (layer, above) in LAYERS {
        let mut files = Vec::new();
        rust_files(&project_root().join("src").join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer} has no Rust files");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("readable source");
            for line in layer_violations(&text, above) {
                problems.push(format!("{}: {line}", file.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a lower layer uses a higher one:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_layer_rule_catches_what_it_should() {
    let above = &["pages", "components"];
    let text = "use crate::pages::simulator::SimEmbed;\n\
                use crate::components::{sim, lesson};\n\
                // crate::pages:: in a comment is fine\n\
                use crate::charts::palette::Palette;\n\
                let x = crate::pages::thing();";
    assert_eq!(
        layer_violations(text, above),
        [
            "use crate::pages::simulator::SimEmbed;",
            "use crate::components::{sim, lesson};",
            "let x = crate::pages::thing();",
        ]
    );
}
