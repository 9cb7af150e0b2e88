//! `cargo xtask fuzz [--execs N] [--seed S] [--list] [target…]`: the fuzzer of `fuzz`
//! in a release build, over every parser a person or a file can reach (1,000,000 executions
//! each; 100,000 for the build-time lesson and quiz parser). Not part of `cargo xtask test`,
//! which runs a few thousand executions per parser through `cargo test -p fuzz`.

use crate::Result;
use crate::proc::{cmd, run};

pub fn run_fuzz(args: &[String]) -> Result<()> {
    run(cmd("cargo")
        .args([
            "run",
            "--release",
            "--locked",
            "--quiet",
            "-p",
            "fuzz",
            "--",
        ])
        .args(args))
    .map_err(|e| format!("the fuzzer reported findings or could not run: {e}"))
}
