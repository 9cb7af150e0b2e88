//! `cargo xtask fuzz [--execs N] [--seed S] [target…]`: fuzzes each target (all by default)
//! for its full count of executions (or N), prints executions per second, the corpus, the
//! slowest execution and the most bytes allocated at once, and exits non-zero on any finding.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut execs: Option<u64> = None;
    let mut seed = 1_u64;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--execs" => match args.next().and_then(|v| v.replace('_', "").parse().ok()) {
                Some(n) => execs = Some(n),
                None => return usage("--execs takes a whole number"),
            },
            "--seed" => match args.next().and_then(|v| v.parse().ok()) {
                Some(s) => seed = s,
                None => return usage("--seed takes a whole number"),
            },
            "--list" => {
                for t in fuzz::targets() {
                    println!("{:16} {}", t.name, t.what);
                }
                return ExitCode::SUCCESS;
            }
            name => names.push(name.to_owned()),
        }
    }
    let all = fuzz::targets();
    for name in &names {
        if !all.iter().any(|t| t.name == name) {
            return usage(&format!("no target called {name:?} (--list names them)"));
        }
    }
    let findings_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz/findings");
    let mut found = 0;
    let mut total = 0;
    println!(
        "{:16} {:>11} {:>10} {:>8} {:>8} {:>10} {:>12} {:>8}",
        "target", "execs", "execs/s", "corpus", "classes", "slowest", "peak bytes", "findings"
    );
    for target in all
        .iter()
        .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name))
    {
        let report = fuzz::fuzz(
            target,
            execs.unwrap_or(target.full_execs),
            seed,
            &findings_dir,
        );
        println!(
            "{:16} {:>11} {:>10.0} {:>8} {:>8} {:>8.1}ms {:>12} {:>8}",
            target.name,
            report.execs,
            report.execs_per_s(),
            report.corpus,
            report.classes,
            report.slowest.as_secs_f64() * 1e3,
            report.peak_bytes,
            report.findings.len()
        );
        for finding in &report.findings {
            println!("  finding: {}", finding.what);
        }
        found += report.findings.len();
        total += report.execs;
    }
    println!("{total} executions, {found} findings");
    if found == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("fuzz: {problem}\nusage: cargo xtask fuzz [--execs N] [--seed S] [--list] [target…]");
    ExitCode::from(2)
}
