//! `meld-toolchains GREETER.wasm...`: fuses components that other
//! toolchains built and checks that they run as the originals, under the
//! differential harness (wasmtime 48, generated calls, results, traps,
//! output and the world compared).
//!
//! Each argument is a `meld:fixtures/greeter` provider (the
//! `greeter-provider` world of `tests/guests/wit`) built by a toolchain
//! whose output is not checked in (third-party code: a JavaScript engine,
//! a Python interpreter); `scripts/toolchains.sh` builds them with
//! componentize-js and componentize-py and runs this. Each is checked
//! alone and composed with the Rust `hello-command` (as
//! `meld-bench js` composes the JavaScript one), fused with
//! `--memory multi` and with `--memory shared`. Exits with 1 when a fused
//! output differs from its original or does not fuse.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::fixtures;
use meld_tests::harness::{CompareOptions, compare};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() || paths.iter().any(|p| p == "--help" || p == "-h") {
        eprintln!(
            "usage: meld-toolchains GREETER.wasm...\n\n\
             Fuses each `meld:fixtures/greeter` provider alone and composed with the Rust\n\
             `hello-command`, with --memory multi and shared, and checks that each fused\n\
             output runs as its original (scripts/toolchains.sh builds the inputs)."
        );
        return if paths.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let mut failed = false;
    for path in &paths {
        if let Err(e) = check(path) {
            println!("{path}: FAILED: {e:#}");
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks one provider, alone and composed, in both memory strategies.
fn check(path: &str) -> Result<()> {
    let alone = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    let composed = fixtures::hello_command_with(&alone)
        .context("composing it with hello-command (is it a greeter provider?)")?;
    for (what, input) in [("alone", &alone), ("with hello-command", &composed)] {
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let options = Options {
                memory,
                ..Options::default()
            };
            let start = Instant::now();
            let fused = fuse(&[input], &options).map_err(|e| anyhow!("fusing failed: {e}"))?;
            let took = start.elapsed();
            let report = compare(input, &fused.wasm, &CompareOptions::default())?;
            println!(
                "{path} {what}, {memory:?}: {} → {} bytes in {:.0} ms; {report}",
                input.len(),
                fused.wasm.len(),
                took.as_secs_f64() * 1e3,
            );
            anyhow::ensure!(
                report.is_clean() && report.calls > 0,
                "{what}, {memory:?}: the fused output differs from the original:\n{report}"
            );
        }
    }
    Ok(())
}
