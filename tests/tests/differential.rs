//! Differential tests: every fixture, fused by meld, must behave like the
//! composed original under wasmtime — same world, same results, same
//! traps, same output — and fusion must be valid and deterministic.
//!
//! Each test goes through all fixtures and reports every failing one
//! before failing, so that one run shows the whole picture. Run with
//! `--nocapture` to see the per-fixture call counts.

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::fixtures::{self, Fixture};
use meld_tests::harness::{CompareOptions, Report, compare};
use wasmparser::{Parser, Validator};

/// Calls the fused fixtures must be compared on, in total.
const MIN_TOTAL_CALLS: usize = 10_000;

/// Generated calls per exported function with parameters (more when a
/// function's types have more edge cases).
const CALLS_PER_FUNCTION: usize = 96;

fn compare_options() -> CompareOptions {
    CompareOptions {
        calls_per_function: CALLS_PER_FUNCTION,
        ..CompareOptions::default()
    }
}

fn all_fixtures() -> Vec<Fixture> {
    let fixtures = fixtures::all().expect("the fixtures build");
    assert!(!fixtures.is_empty(), "no fixtures");
    fixtures
}

fn options(output: OutputKind) -> Options {
    Options {
        output,
        ..Options::default()
    }
}

/// Validates `wasm` (a component or a core module) with wasmparser's
/// default features, which include the component model and multi-memory.
fn validate(wasm: &[u8]) -> Result<(), String> {
    Validator::new()
        .validate_all(wasm)
        .map(drop)
        .map_err(|e| format!("invalid output: {e}"))
}

/// Panics listing `failures` (one entry per failing fixture), if any.
fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what} failed in {} case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Checks a report of a fixture compared with itself or its fusion:
/// clean, and `run` compared exactly when the fixture is a command.
fn check_report(fixture: &Fixture, report: &Report) -> Result<(), String> {
    if !report.is_clean() {
        return Err(report.to_string());
    }
    let ran = report
        .functions
        .iter()
        .any(|c| c.function.starts_with("wasi:cli/run@"));
    if ran != fixture.is_command {
        return Err(format!(
            "is_command is {} but `run` was {}compared:\n{report}",
            fixture.is_command,
            if ran { "" } else { "not " }
        ));
    }
    if report.calls == 0 {
        return Err(format!("no calls compared:\n{report}"));
    }
    Ok(())
}

/// The harness itself, on real fixtures: each compared with itself must
/// be clean (this fails if a fixture behaves nondeterministically or uses
/// something the harness cannot run, independently of the engine).
#[test]
fn every_fixture_matches_itself() {
    let mut failures = Vec::new();
    for fixture in all_fixtures() {
        let outcome = compare(&fixture.wasm, &fixture.wasm, &compare_options())
            .map_err(|e| format!("{e:#}"))
            .and_then(|report| {
                println!("{:<12} vs itself: {}", fixture.name, report.summary());
                check_report(&fixture, &report)
            });
        if let Err(error) = outcome {
            failures.push(format!("{}: {error}", fixture.name));
        }
    }
    assert_no_failures("comparing a fixture with itself", &failures);
}

/// The main differential test: fused output (a component) validates and
/// behaves exactly like the original.
#[test]
fn fused_fixtures_behave_like_their_originals() {
    let mut failures = Vec::new();
    let mut total = 0;
    for fixture in all_fixtures() {
        let outcome = fuse(&[&fixture.wasm], &Options::default())
            .map_err(|e| format!("fusion failed: {e}"))
            .and_then(|fused| {
                validate(&fused.wasm)?;
                compare(&fixture.wasm, &fused.wasm, &compare_options())
                    .map_err(|e| format!("{e:#}"))
            })
            .and_then(|report| {
                println!("{:<12} fused:     {}", fixture.name, report.summary());
                total += report.calls;
                check_report(&fixture, &report)
            });
        if let Err(error) = outcome {
            failures.push(format!("{}: {error}", fixture.name));
        }
    }
    println!("calls compared in total: {total}");
    assert_no_failures("differential comparison", &failures);
    assert!(
        total >= MIN_TOTAL_CALLS,
        "only {total} calls compared across all fixtures; expected at least {MIN_TOTAL_CALLS}"
    );
}

/// With `--memory shared`, every fused fixture has one memory and behaves
/// exactly like the original (components whose region is not at base 0
/// exchange pointers with the host through generated rebasing wrappers).
#[test]
fn shared_memory_fixtures_behave_like_their_originals() {
    let mut failures = Vec::new();
    let mut total = 0;
    for fixture in all_fixtures() {
        // `resources` grows blobs by repeated `concat` past the default
        // 64 MiB region (a region then behaves like a memory at its
        // maximum, see tests/shared_regions.rs); 512 MiB regions (1 GiB
        // for its three memories) let the generated calls run as unfused.
        let region_mib = if fixture.name == "resources" {
            1024
        } else {
            512
        };
        let options = Options {
            memory: MemoryStrategy::Shared,
            region_mib: Some(region_mib),
            ..Options::default()
        };
        let outcome = fuse(&[&fixture.wasm], &options)
            .map_err(|e| format!("fusion failed: {e}"))
            .and_then(|fused| {
                if fused.stats.memories != 1 {
                    return Err(format!("{} memories in shared mode", fused.stats.memories));
                }
                validate(&fused.wasm)?;
                compare(&fixture.wasm, &fused.wasm, &compare_options())
                    .map_err(|e| format!("{e:#}"))
            })
            .and_then(|report| {
                println!("{:<12} shared:    {}", fixture.name, report.summary());
                total += report.calls;
                check_report(&fixture, &report)
            });
        if let Err(error) = outcome {
            failures.push(format!("{}: {error}", fixture.name));
        }
    }
    assert_no_failures("shared-memory differential comparison", &failures);
    assert!(
        total >= MIN_TOTAL_CALLS,
        "only {total} calls compared in shared mode; expected at least {MIN_TOTAL_CALLS}"
    );
}

/// Core-module output validates and is a core module, not a component.
#[test]
fn fused_core_modules_validate() {
    let mut failures = Vec::new();
    for fixture in all_fixtures() {
        let outcome = fuse(&[&fixture.wasm], &options(OutputKind::Core))
            .map_err(|e| format!("fusion failed: {e}"))
            .and_then(|fused| {
                if !Parser::is_core_wasm(&fused.wasm) {
                    return Err("the output is not a core module".to_string());
                }
                validate(&fused.wasm)
            });
        if let Err(error) = outcome {
            failures.push(format!("{}: {error}", fixture.name));
        }
    }
    assert_no_failures("core-module fusion", &failures);
}

/// Fusing the same input twice gives byte-identical output, for both
/// output kinds.
#[test]
fn fusion_is_deterministic() {
    let mut failures = Vec::new();
    for fixture in all_fixtures() {
        for output in [OutputKind::Component, OutputKind::Core] {
            let first = fuse(&[&fixture.wasm], &options(output));
            let second = fuse(&[&fixture.wasm], &options(output));
            let error = match (first, second) {
                (Ok(a), Ok(b)) if a.wasm == b.wasm => continue,
                (Ok(a), Ok(b)) => format!(
                    "two fusions differ ({} and {} bytes)",
                    a.wasm.len(),
                    b.wasm.len()
                ),
                (Err(e), _) | (_, Err(e)) => format!("fusion failed: {e}"),
            };
            failures.push(format!("{} ({output:?}): {error}", fixture.name));
        }
    }
    assert_no_failures("deterministic fusion", &failures);
}
