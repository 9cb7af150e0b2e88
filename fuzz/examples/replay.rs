//! `cargo run --release -p fuzz --example replay -- <target> <file>`: runs one saved input
//! through a target and prints how long it took, its answer class and its peak allocation.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, path] = args.as_slice() else {
        eprintln!("usage: replay <target> <file>");
        std::process::exit(2);
    };
    let Some(target) = fuzz::targets().into_iter().find(|t| t.name == name) else {
        eprintln!("no target {name}");
        std::process::exit(2);
    };
    let input = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let _ = (target.seeds)();
    let started = std::time::Instant::now();
    let outcome = fuzz::execute(&target, &input);
    println!(
        "{} bytes, {:.1} ms: {:?}",
        input.len(),
        started.elapsed().as_secs_f64() * 1e3,
        outcome
    );
}
