//! Runs one of `nn::bench`'s cases over and over for a few seconds, for a profiler:
//! `cargo run --release -p nn --example profile -- nn.cnn_train_b32 10` (name, seconds).

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "nn.cnn_train_b32".into());
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let cases = match nn::bench::cases() {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    let Some(mut case) = cases.into_iter().find(|c| c.name == name) else {
        eprintln!("no case {name}; the cases: {}", names.join(", "));
        std::process::exit(2);
    };
    let started = Instant::now();
    let mut work = 0.0;
    while started.elapsed() < Duration::from_secs(seconds) {
        work += (case.run)();
    }
    println!(
        "{name}: {:.1} {}/s",
        work / started.elapsed().as_secs_f64(),
        case.unit
    );
}
