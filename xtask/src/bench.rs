//! `cargo xtask bench [sim|nn]`: the engines' benchmark cases timed natively (release) and in
//! headless Chromium (release wasm with SIMD128), in one run, with the wasm/native ratio.
//! The cases themselves live in the engines (`sim::bench::cases`, `nn::bench::cases`), so
//! both sides run exactly the same work; tests/bench_wasm.rs is the browser side.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::Result;
use crate::proc::{cmd, rerun_in_release, run_collecting_lines};
use crate::tools::{self, CHROMEDRIVER, CHROMIUM, Needs};

/// How long each case runs (after one warm-up repetition).
const MEASURE_FOR: Duration = Duration::from_millis(1500);

/// A goal from the issues, checked against the figures and printed beside them.
struct Goal {
    case: &'static str,
    text: &'static str,
    met: fn(native: f64, wasm: f64) -> bool,
}

const GOALS: &[Goal] = &[
    Goal {
        case: "sim.mesh_64x64",
        text: "native ≥ 10 M PE-cycles/s",
        met: |n, _| n >= 10e6,
    },
    Goal {
        case: "sim.mesh_64x64",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "sim.wse_bert_16x16",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "sim.ipu_1472",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "sim.rdu_sn10",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "sim.rdu_sn10_step",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "sim.groq_bert_page",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "sim.groq_tsp_timing",
        text: "wasm ≥ 0.5× native",
        met: |n, w| w >= 0.5 * n,
    },
    Goal {
        case: "nn.cnn_train_b32",
        text: "wasm ≥ 1,000 samples/s",
        met: |_, w| w >= 1_000.0,
    },
    Goal {
        case: "nn.bert_train_b32_l64",
        text: "wasm ≥ 100 sequences/s",
        met: |_, w| w >= 100.0,
    },
    Goal {
        case: "nn.bert_infer_b1_l128",
        text: "wasm ≤ 15 ms per sentence",
        met: |_, w| w >= 1000.0 / 15.0,
    },
    Goal {
        case: "nn.mlp_train_b32",
        text: "wasm ≥ 10,000 samples/s",
        met: |_, w| w >= 10_000.0,
    },
    Goal {
        case: "nn.mlp_train_b32",
        text: "wasm ≥ 0.25× native",
        met: |n, w| w >= 0.25 * n,
    },
    Goal {
        case: "nn.cnn_train_b32",
        text: "wasm ≥ 0.25× native",
        met: |n, w| w >= 0.25 * n,
    },
];

/// Times one case: a warm-up, then repetitions for at least [`MEASURE_FOR`].
fn measure(run: &mut dyn FnMut() -> f64) -> f64 {
    run();
    let started = Instant::now();
    let mut work = 0.0;
    while started.elapsed() < MEASURE_FOR {
        work += run();
    }
    work / started.elapsed().as_secs_f64()
}

fn native(which: &str) -> Result<Vec<(String, String, f64)>> {
    let mut figures = Vec::new();
    if which != "nn" {
        for mut case in sim::bench::cases() {
            figures.push((
                case.name.to_string(),
                case.unit.to_string(),
                measure(&mut case.run),
            ));
        }
    }
    if which != "sim" {
        for mut case in nn::bench::cases().map_err(|e| e.to_string())? {
            figures.push((
                case.name.to_string(),
                case.unit.to_string(),
                measure(&mut case.run),
            ));
        }
    }
    Ok(figures)
}

/// Runs the wasm side in headless Chromium and reads its `bench <name> <rate> <unit>/s` lines.
fn wasm(which: &str) -> Result<BTreeMap<String, f64>> {
    tools::ensure_all(Needs::everything())?;
    let filter = match which {
        "sim" => "bench_sim",
        "nn" => "bench_nn",
        _ => "bench_",
    };
    let lines = run_collecting_lines(
        cmd("cargo")
            .args([
                "test",
                "--release",
                "--locked",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args([
                "-p",
                "testbed-lab",
                "--test",
                "bench_wasm",
                "--",
                "--nocapture",
                filter,
            ])
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "600"),
    )?;
    Ok(lines
        .iter()
        .filter_map(|line| {
            let mut words = line.split_whitespace().skip_while(|w| *w != "bench");
            words.next()?;
            Some((words.next()?.to_string(), words.next()?.parse().ok()?))
        })
        .collect())
}

/// The lines the SambaNova section's journeys print with the two rates they read from the page.
const DP_LINE: &str = "MNIST CNN, global batch 64: 1 worker ";
const DP_BERT_LINE: &str = "BERT-tiny, global batch 32: 1 worker ";

/// One sweep's samples/s: `(1 worker, 2 workers)`.
type Sweep = (f64, f64);

/// Sweeps of the data-parallel journey: the host's speed drifts by tens of percent within
/// seconds, and one sweep times 1 worker and then 2, so one sweep's ratio can be off either way.
const DP_ROUNDS: usize = 5;

/// Data-parallel training across Web Workers can only be measured in the site itself (real
/// workers, the page's all-reduce): the release build is served and the homework journeys run
/// the SambaNova section's sweeps: the MNIST CNN (global batch 64, 1 then 2 workers, 40
/// steps) [`DP_ROUNDS`] times, and BERT-tiny (global batch 32, 250 steps) once; the rates are
/// those the page shows, read from the journeys' lines. CNN sweeps first, BERT's second.
fn data_parallel() -> Result<(Vec<Sweep>, Vec<Sweep>)> {
    tools::ensure_all(Needs::everything())?;
    let (relative, subpath) = crate::tests::e2e_dirs();
    println!("{}", crate::site::build(None, &relative)?);
    let lines = run_collecting_lines(
        cmd("cargo")
            .args(["test", "--locked", "-p", "testbed-lab", "--features", "e2e"])
            .args([
                "--test",
                "journeys",
                "--",
                "--test-threads=1",
                "--nocapture",
            ])
            .arg("two_workers_train_to_one_workers_accuracy")
            .arg("bert_tiny_trains_across_two_workers")
            .env("TESTBED_DP_ROUNDS", DP_ROUNDS.to_string())
            .env("TESTBED_DIST_RELATIVE", &relative)
            .env("TESTBED_DIST_SUBPATH", &subpath)
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("CHROMIUM", CHROMIUM),
    )?;
    let read = |prefix: &str| -> Vec<Sweep> {
        lines
            .iter()
            .filter_map(|line| parse_dp_line(prefix, line))
            .collect()
    };
    let (cnn, bert) = (read(DP_LINE), read(DP_BERT_LINE));
    if cnn.is_empty() || bert.is_empty() {
        return Err("the homework journeys printed no data-parallel rates".into());
    }
    Ok((cnn, bert))
}

/// The median of the sweeps' ratios (2 workers over 1), and the sweep it came from.
fn median_ratio(rounds: &[(f64, f64)]) -> Option<(f64, (f64, f64))> {
    let mut ratios: Vec<(f64, (f64, f64))> = rounds
        .iter()
        .map(|&(one, two)| (two / one.max(f64::MIN_POSITIVE), (one, two)))
        .collect();
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    ratios.get(ratios.len().checked_sub(1)? / 2).copied()
}

/// `(one worker, two workers)` samples/s from the journey's line that starts with `prefix`.
fn parse_dp_line(prefix: &str, line: &str) -> Option<(f64, f64)> {
    let rest = &line[line.find(prefix)? + prefix.len()..];
    let (one, rest) = rest.split_once(" samples/s, 2 workers ")?;
    let (two, _) = rest.split_once(" samples/s")?;
    Some((one.parse().ok()?, two.parse().ok()?))
}

fn si(value: f64) -> String {
    match value {
        v if v >= 1e9 => format!("{:.2} G", v / 1e9),
        v if v >= 1e6 => format!("{:.2} M", v / 1e6),
        v if v >= 1e3 => format!("{:.2} k", v / 1e3),
        v => format!("{v:.1} "),
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let which = match args.first().map(String::as_str) {
        None => "all",
        Some(w @ ("sim" | "nn")) => w,
        Some(other) => return Err(format!("unknown bench `{other}` (sim or nn)")),
    };
    if cfg!(debug_assertions) {
        return rerun_in_release("bench", args);
    }
    println!("native (release, this machine, one thread):");
    let native = native(which)?;
    println!("wasm (release, SIMD128, headless Chromium):");
    let wasm = wasm(which)?;
    println!(
        "\n{:<20} {:>20} {:>20} {:>12}",
        "case", "native", "wasm", "wasm/native"
    );
    for (name, unit, n) in &native {
        let w = wasm.get(name).copied();
        println!(
            "{name:<20} {:>20} {:>20} {:>12}",
            format!("{}{unit}/s", si(*n)),
            w.map_or("missing".into(), |w| format!("{}{unit}/s", si(w))),
            w.map_or("-".into(), |w| format!("{:.2}", w / n)),
        );
    }
    println!("\ngoals:");
    for goal in GOALS {
        let Some((_, _, n)) = native.iter().find(|(name, _, _)| name == goal.case) else {
            continue;
        };
        let Some(w) = wasm.get(goal.case) else {
            continue;
        };
        let verdict = if (goal.met)(*n, *w) { "met" } else { "NOT MET" };
        println!("  {:<20} {:<28} {verdict}", goal.case, goal.text);
    }
    if which != "sim" {
        println!("\ndata parallel across Web Workers (the homework's SambaNova section):");
        let (rounds, bert) = data_parallel()?;
        for (case, (one, two)) in rounds
            .iter()
            .map(|r| ("nn.dp_cnn_b64", r))
            .chain(bert.iter().map(|r| ("nn.dp_bert_b32", r)))
        {
            println!(
                "  {case:<20} 1 worker {one:.0} samples/s, 2 workers {two:.0} samples/s, {:.2}×",
                two / one.max(f64::MIN_POSITIVE)
            );
        }
        let (ratio, _) = median_ratio(&rounds).ok_or("no data-parallel sweep")?;
        println!("  median of {} sweeps: {ratio:.2}×", rounds.len());
        let verdict = if ratio >= 1.6 { "met" } else { "NOT MET" };
        println!(
            "  {:<20} {:<28} {verdict}",
            "nn.dp_cnn_b64", "2 workers ≥ 1.6× one (median)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journeys_rates_are_read_back() {
        assert_eq!(
            parse_dp_line(
                DP_LINE,
                "MNIST CNN, global batch 64: 1 worker 598 samples/s, 2 workers 612 samples/s (1.02×)"
            ),
            Some((598.0, 612.0))
        );
        let bert =
            "BERT-tiny, global batch 32: 1 worker 207 samples/s, 2 workers 371 samples/s (1.79×)";
        assert_eq!(parse_dp_line(DP_BERT_LINE, bert), Some((207.0, 371.0)));
        assert_eq!(parse_dp_line(DP_LINE, bert), None);
        assert_eq!(parse_dp_line(DP_LINE, "something else"), None);
    }

    #[test]
    fn the_median_sweep_is_the_middle_ratio() {
        let rounds = [(100.0, 150.0), (100.0, 170.0), (200.0, 320.0)];
        assert_eq!(median_ratio(&rounds), Some((1.6, (200.0, 320.0))));
        assert_eq!(median_ratio(&rounds[..1]), Some((1.5, (100.0, 150.0))));
        assert_eq!(median_ratio(&[]), None);
    }
}
