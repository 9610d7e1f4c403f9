//! `meld-toolchains CASE...` (`--help` lists them): fuses components
//! that other
//! toolchains built and checks that they run as the originals, under the
//! differential harness (wasmtime 48, generated calls, results, traps,
//! output and the world compared).
//!
//! The inputs are `meld:fixtures/greeter` providers (the
//! `greeter-provider` world of `tests/guests/wit`) and their users (the
//! `greeter-user` world of `tests/toolchains/wit`) built by toolchains
//! whose output is not checked in (third-party code: a JavaScript engine,
//! a Python interpreter); `scripts/toolchains.sh` builds them with
//! componentize-js and componentize-py and runs this. A provider is
//! checked alone, composed with the Rust `hello-command` (as
//! `meld-bench js` composes the JavaScript one) or composed with a user
//! (two toolchains' runtimes in one composition), each fused with
//! `--memory multi` and with `--memory shared`. Exits with 1 when a fused
//! output differs from its original or does not fuse.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::fixtures;
use meld_tests::harness::{CompareOptions, compare};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let cases = match cases(&args) {
        Ok(cases) if !cases.is_empty() => cases,
        Ok(_) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for case in &cases {
        if let Err(e) = check(case) {
            println!("{}: FAILED: {e:#}", case.what);
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

const USAGE: &str = "usage: meld-toolchains CASE...

Each CASE is fused with --memory multi and shared and each fused output must
run as its original (scripts/toolchains.sh builds the inputs):
  --alone GREETER.wasm       a `meld:fixtures/greeter` provider alone
  --hello GREETER.wasm       the same composed with the Rust `hello-command`
  --user USER.wasm GREETER.wasm
                             the same composed with a component of the
                             `greeter-user` world of tests/toolchains/wit

A core module given for a component (a WASI preview 1 reactor carrying
wit-bindgen's component type, as clang builds the C greeter) is made into
a component with wit-component and wasmtime's preview 1 reactor adapter.";

/// One input to fuse and compare.
struct Case {
    what: String,
    input: Vec<u8>,
}

fn cases(args: &[String]) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut path = || {
            args.next()
                .cloned()
                .ok_or_else(|| anyhow!("{arg} needs a path"))
        };
        let case = match arg.as_str() {
            "--alone" => {
                let greeter = path()?;
                Case {
                    input: read(&greeter)?,
                    what: format!("{greeter} alone"),
                }
            }
            "--hello" => {
                let greeter = path()?;
                Case {
                    input: fixtures::hello_command_with(&read(&greeter)?)
                        .context("composing it with hello-command (is it a greeter provider?)")?,
                    what: format!("{greeter} with hello-command"),
                }
            }
            "--user" => {
                let (user, greeter) = (path()?, path()?);
                Case {
                    input: fixtures::greeter_user_with(&read(&user)?, &read(&greeter)?)
                        .with_context(|| format!("composing {user} with {greeter}"))?,
                    what: format!("{greeter} under {user}"),
                }
            }
            other => anyhow::bail!("unknown argument `{other}`"),
        };
        cases.push(case);
    }
    Ok(cases)
}

/// Fuses one case in both memory strategies and compares each output.
fn check(case: &Case) -> Result<()> {
    let Case { what, input } = case;
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
            "{what}, {memory:?}: {} → {} bytes in {:.0} ms; {report}",
            input.len(),
            fused.wasm.len(),
            took.as_secs_f64() * 1e3,
        );
        anyhow::ensure!(
            report.is_clean() && report.calls > 0,
            "{memory:?}: the fused output differs from the original:\n{report}"
        );
    }
    Ok(())
}

/// Reads an input component; a core module (a WASI preview 1 reactor
/// carrying wit-bindgen's component type, as clang builds the C greeter)
/// is made into one first, with wit-component and wasmtime's preview 1
/// reactor adapter.
fn read(path: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    if !wasmparser::Parser::is_core_wasm(&bytes) {
        return Ok(bytes);
    }
    fixtures::preview1_reactor_component(&bytes)
        .with_context(|| format!("making a component of the core module {path}"))
}
