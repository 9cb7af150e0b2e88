//! Running child processes with the project's tool paths, and keeping the test runners'
//! summary lines so `cargo xtask test` can end with them.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, project_root};

/// The directory cargo installs binaries into (`$CARGO_HOME/bin`, default `~/.cargo/bin`).
pub fn cargo_bin_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home).join("bin");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cargo").join("bin")
}

/// PATH with the project's npm tools and cargo's bin dir first, so trunk finds the right
/// `wasm-opt` and `wasm-bindgen` even on a machine whose shell never sourced cargo's env.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![
        project_root().join("node_modules").join(".bin"),
        cargo_bin_dir(),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command rooted at the project, with the tool PATH.
pub fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(project_root()).env("PATH", tool_path());
    command
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a command to completion, inheriting stdout/stderr. Fails with what was run.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = describe(command);
    println!("$ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs a command, echoing its stdout live and returning the lines that test runners close
/// with (`test result: …`), so they can be repeated at the end of a long run.
pub fn run_collecting_summaries(command: &mut Command) -> Result<Vec<String>> {
    let lines = run_collecting_lines(command)?;
    Ok(lines
        .into_iter()
        .filter(|l| l.trim_start().starts_with("test result:"))
        .map(|l| l.trim().to_string())
        .collect())
}

/// Runs a command, echoing its output live, and returns every line it printed (stdout's, then
/// stderr's: wasm-bindgen-test-runner prints the page's console on stderr).
pub fn run_collecting_lines(command: &mut Command) -> Result<Vec<String>> {
    let shown = describe(command);
    println!("$ {shown}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    let stderr = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr)
                .lines()
                .map_while(std::result::Result::ok)
            {
                eprintln!("{line}");
                lines.push(line);
            }
            lines
        })
    });
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            println!("{line}");
            lines.push(line);
        }
    }
    if let Some(handle) = stderr {
        lines.extend(handle.join().unwrap_or_default());
    }
    let status = child
        .wait()
        .map_err(|e| format!("`{shown}` did not finish: {e}"))?;
    if status.success() {
        Ok(lines)
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Output of a command that prints a version or a list, or None when it cannot run.
pub fn output_of(program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
    let out = cmd(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Finds an executable on the tool PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&tool_path())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// "1m 05s" style durations for install and step messages.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// Every step's name and time so far, for the closing table.
static STEP_TIMES: std::sync::Mutex<Vec<(String, Duration)>> = std::sync::Mutex::new(Vec::new());

/// Runs `body` as a named step and prints how long it took.
pub fn step<T>(name: &str, body: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\n==> {name}");
    let started = Instant::now();
    let outcome = body().map_err(|e| format!("{name}: {e}"));
    let took = started.elapsed();
    if let Ok(mut times) = STEP_TIMES.lock() {
        times.push((name.to_owned(), took));
    }
    let value = outcome?;
    println!("<== {name} ({})", human(took));
    Ok(value)
}

/// Prints each step's time and the total since `started`.
pub fn print_step_times(started: Instant) {
    println!("\nTime per step:");
    if let Ok(times) = STEP_TIMES.lock() {
        for (name, took) in times.iter() {
            println!("  {:>8}  {name}", human(*took));
        }
    }
    println!("  {:>8}  total", human(started.elapsed()));
}

/// Re-runs `cargo xtask <command> <args>` as an optimised build (the `cargo xtask` alias builds
/// xtask unoptimised, which is right for orchestration but not for training or benchmarks).
pub fn rerun_in_release(command: &str, args: &[String]) -> Result<()> {
    run(
        cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "run",
                "--release",
                "--locked",
                "--quiet",
                "--package",
                "xtask",
                "--",
                command,
            ])
            .args(args),
    )
}
