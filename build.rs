//! Reads and validates the course (`lessons/`, figures in `public/`) at build time and writes it
//! as JSON into `OUT_DIR` for `src/course_data.rs` to embed. Invalid content fails the build with
//! every problem as `lessons/03-x.md:12: what is wrong`. The parsers (pulldown-cmark, toml) live
//! in this build dependency only; the app's wasm depends on `course` without its `build` feature.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=lessons");
    println!("cargo::rerun-if-changed=public/figures");
    let Some(root) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        eprintln!("CARGO_MANIFEST_DIR is not set: run this through cargo");
        std::process::exit(1);
    };
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        eprintln!("OUT_DIR is not set: run this through cargo");
        std::process::exit(1);
    };
    match course::build::load_course(&root.join("lessons"), &root.join("public")) {
        Ok(course) => {
            let path = out_dir.join("course.json");
            if let Err(error) = std::fs::write(&path, course.to_json()) {
                eprintln!("cannot write {}: {error}", path.display());
                std::process::exit(1);
            }
        }
        Err(errors) => {
            // Cargo shows a failing build script's stderr; one line per problem, file:line first.
            eprintln!(
                "the course in lessons/ is not valid:\n{}",
                course::build::report(&errors)
            );
            std::process::exit(1);
        }
    }
}
