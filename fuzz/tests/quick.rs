//! The short fuzz run `cargo xtask test` makes (a few thousand executions per parser, from a
//! seed that changes every day so the runs cover new ground), and every regression input.

use std::path::PathBuf;

fn findings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz/findings")
}

#[test]
fn a_few_thousand_executions_per_parser_find_nothing() {
    let day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(day);
    let mut problems = Vec::new();
    for target in fuzz::targets() {
        // The build-time parsers read whole lessons: fewer of them in a debug build.
        let execs = if target.full_execs < 1_000_000 {
            300
        } else {
            3_000
        };
        let report = fuzz::fuzz(&target, execs, seed, &findings_dir());
        println!(
            "{}: {} execs, {:.0}/s, {} classes, slowest {:.1} ms, peak {} bytes",
            target.name,
            report.execs,
            report.execs_per_s(),
            report.classes,
            report.slowest.as_secs_f64() * 1e3,
            report.peak_bytes
        );
        assert!(
            report.classes > 1,
            "{}: every input gave one answer",
            target.name
        );
        problems.extend(
            report
                .findings
                .iter()
                .map(|f| format!("{}: {}", target.name, f.what)),
        );
    }
    assert!(problems.is_empty(), "seed {seed}:\n{}", problems.join("\n"));
}

#[test]
fn every_regression_input_is_answered_without_a_panic() {
    for target in fuzz::targets() {
        for (path, input) in fuzz::regressions(target.name) {
            let outcome = fuzz::execute(&target, &input);
            assert!(outcome.is_ok(), "{}: {:?}", path.display(), outcome.err());
            let (_, peak) = outcome.unwrap_or_default();
            assert!(peak <= target.cap_bytes, "{}: {peak} bytes", path.display());
        }
    }
}

#[test]
fn the_mutator_is_reproducible_from_its_seed() {
    let seeds = vec![b"preset=mlp&batch=4".to_vec()];
    let mutator = fuzz::Mutator::new(&seeds, 64);
    let run = |seed| {
        let mut rng = fuzz::Rng::new(seed);
        (0..50)
            .map(|_| mutator.mutate(&mut rng, &seeds[0], &seeds[0]))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    assert!(run(7).iter().all(|m| m.len() <= 64));
}
