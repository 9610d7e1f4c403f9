//! Resources through fusion: the `resources`, `res-chain` and `res-wasi`
//! fixtures, fused with each memory strategy, must behave like their
//! originals under the differential harness (host-created resources
//! passed as `own` and `borrow`, host drops and misuse included), and
//! their guests' own scenarios must give the same answers: self-tests,
//! destructor logs, raw handle numbers (small table indices, the same
//! on both sides) and a trap for each handle misuse.
//!
//! Run with `--nocapture` to see the per-fixture call counts.

use anyhow::{Context, Result, anyhow};
use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::fixtures;
use meld_tests::harness::{CompareOptions, Report, compare, engine};
use meld_tests::wasi::WasiHost;
use wasmtime::Store;
use wasmtime::component::{Component, ComponentNamedList, Instance, Lift, Linker};
use wasmtime_wasi::WasiCtx;

const FIXTURES: [&str; 3] = ["resources", "res-chain", "res-wasi"];
const BLOB_CHECKS: &str = "meld:fixtures/blob-checks";
const CHAIN_CHECKS: &str = "meld:fixtures/chain-checks";

/// Exports that must trap on every call, by fixture.
const TRAPS: [(&str, &str); 9] = [
    ("resources", "meld:fixtures/blob-checks#double-drop"),
    ("resources", "meld:fixtures/blob-checks#use-after-drop"),
    ("resources", "meld:fixtures/blob-checks#wrong-type"),
    ("resources", "meld:fixtures/blob-checks#own-while-borrowed"),
    ("resources", "meld:fixtures/blob-user#leak-borrow"),
    ("res-chain", "meld:fixtures/chain-checks#leaked-borrow"),
    ("res-chain", "meld:fixtures/chain-checks#borrow-as-own"),
    ("res-chain", "meld:fixtures/chain-checks#wrong-type"),
    ("res-chain", "meld:fixtures/nums#peek-leaky"),
];

/// Functions with resource parameters the harness must have called (with
/// resources from its pools), by fixture.
const POOLED: [(&str, &str); 10] = [
    ("resources", "meld:fixtures/blobs#[method]blob.concat"),
    ("resources", "meld:fixtures/blobs#[static]blob.merge"),
    ("resources", "meld:fixtures/blobs#retag"),
    ("resources", "meld:fixtures/blobs#join"),
    ("resources", "meld:fixtures/blobs#flip"),
    ("resources", "meld:fixtures/blob-user#consume"),
    ("res-chain", "meld:fixtures/nums#[method]num.plus"),
    ("res-chain", "meld:fixtures/nums#[method]num.scale"),
    ("res-chain", "meld:fixtures/floats#[static]float.sum"),
    ("res-wasi", "meld:fixtures/announcer#retire"),
];

/// The ways fusion is checked: the default (one memory per component) and
/// `--memory shared`, both with component output. The harness grows blobs
/// by repeated `concat` past the default 64 MiB region (where a region
/// behaves like a memory at its maximum, see tests/shared_regions.rs), so
/// shared mode gets 512 MiB regions here.
fn strategies() -> [(&'static str, Options); 2] {
    [
        ("multi", Options::default()),
        (
            "shared",
            Options {
                memory: MemoryStrategy::Shared,
                region_mib: Some(512),
                ..Options::default()
            },
        ),
    ]
}

fn compare_options() -> CompareOptions {
    CompareOptions {
        calls_per_function: 24,
        ..CompareOptions::default()
    }
}

/// Panics listing `failures`, if any.
fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what} failed in {} case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// What a report of `fixture` must show beyond being clean: every pooled
/// function called, every trap export trapping on each call, host drops.
fn check_coverage(fixture: &str, report: &Report) -> Result<(), String> {
    if !report.is_clean() {
        return Err(report.to_string());
    }
    for (_, function) in POOLED.iter().filter(|(f, _)| *f == fixture) {
        if report.coverage(function).is_none_or(|c| c.calls == 0) {
            return Err(format!("{function} was not called:\n{report}"));
        }
    }
    for (_, function) in TRAPS.iter().filter(|(f, _)| *f == fixture) {
        match report.coverage(function) {
            Some(c) if c.calls > 0 && c.trapped == c.calls => {}
            other => return Err(format!("{function} did not always trap ({other:?})")),
        }
    }
    if report.coverage("(host drop)").is_none_or(|c| c.calls == 0) {
        return Err(format!("the host dropped no resource:\n{report}"));
    }
    if let Some(skipped) = report
        .skipped
        .iter()
        .find(|s| POOLED.iter().any(|(_, f)| *f == s.function))
    {
        return Err(format!("{} skipped: {}", skipped.function, skipped.reason));
    }
    Ok(())
}

fn fused(name: &str, options: &Options) -> Result<Vec<u8>> {
    let fixture = fixtures::get(name)?;
    Ok(fuse(&[&fixture.wasm], options)
        .map_err(|e| anyhow!("fusion failed: {e}"))?
        .wasm)
}

#[test]
fn resource_fixtures_match_themselves() {
    let mut failures = Vec::new();
    for name in FIXTURES {
        let outcome = fixtures::get(name)
            .and_then(|fixture| compare(&fixture.wasm, &fixture.wasm, &compare_options()))
            .map_err(|e| format!("{e:#}"))
            .and_then(|report| {
                println!("{name:<10} vs itself: {}", report.summary());
                check_coverage(name, &report)
            });
        if let Err(error) = outcome {
            failures.push(format!("{name}: {error}"));
        }
    }
    assert_no_failures("comparing a resource fixture with itself", &failures);
}

#[test]
fn fused_resource_fixtures_behave_like_their_originals() {
    let mut failures = Vec::new();
    for (strategy, options) in strategies() {
        for name in FIXTURES {
            let outcome = fused(name, &options)
                .and_then(|wasm| {
                    let fixture = fixtures::get(name)?;
                    compare(&fixture.wasm, &wasm, &compare_options())
                })
                .map_err(|e| format!("{e:#}"))
                .and_then(|report| {
                    println!("{name:<10} {strategy:<6}: {}", report.summary());
                    check_coverage(name, &report)
                });
            if let Err(error) = outcome {
                failures.push(format!("{name} ({strategy}): {error}"));
            }
        }
    }
    assert_no_failures("differential comparison of resource fixtures", &failures);
}

/// An instance of a component with WASI linked, its exports callable.
struct Running {
    store: Store<WasiHost>,
    instance: Instance,
}

impl Running {
    fn new(wasm: &[u8]) -> Result<Self> {
        let engine = engine()?;
        let component = Component::new(engine, wasm).map_err(anyhow::Error::from)?;
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
        let mut store = Store::new(engine, WasiHost::new(WasiCtx::builder().build()));
        store.set_fuel(u64::MAX).map_err(anyhow::Error::from)?;
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(anyhow::Error::from)?;
        Ok(Self { store, instance })
    }

    /// Calls `interface#name` without parameters.
    fn call<R: ComponentNamedList + Lift>(&mut self, interface: &str, name: &str) -> Result<R> {
        let missing = || anyhow!("no export {interface}#{name}");
        let parent = self
            .instance
            .get_export_index(&mut self.store, None, interface)
            .ok_or_else(missing)?;
        let func = self
            .instance
            .get_export_index(&mut self.store, Some(&parent), name)
            .ok_or_else(missing)?;
        let func = self
            .instance
            .get_typed_func::<(), R>(&mut self.store, &func)
            .map_err(anyhow::Error::from)?;
        func.call(&mut self.store, ())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("calling {interface}#{name}"))
    }
}

/// What the guests' scenarios return on one side: self-test results,
/// destructor logs and handle numbers.
#[derive(Debug, PartialEq)]
struct Scenarios {
    self_tests: Vec<Result<u32, String>>,
    logs: Vec<Vec<String>>,
    handles: Vec<Vec<u32>>,
}

fn scenarios(resources: &[u8], chain: &[u8]) -> Result<Scenarios> {
    let mut scenarios = Scenarios {
        self_tests: Vec::new(),
        logs: Vec::new(),
        handles: Vec::new(),
    };
    for (wasm, checks) in [(resources, BLOB_CHECKS), (chain, CHAIN_CHECKS)] {
        let mut run = Running::new(wasm)?;
        scenarios
            .self_tests
            .push(run.call::<(Result<u32, String>,)>(checks, "self-test")?.0);
        scenarios
            .logs
            .push(run.call::<(Vec<String>,)>(checks, "lifecycle")?.0);
        // Handles on a fresh instance, so that they start from slot 1.
        let mut run = Running::new(wasm)?;
        scenarios
            .handles
            .push(run.call::<(Vec<u32>,)>(checks, "handles")?.0);
    }
    Ok(scenarios)
}

/// Self-tests pass, destructors log in the same order and guests see the
/// same small handle numbers after fusion.
#[test]
fn guest_scenarios_are_unchanged_by_fusion() -> Result<()> {
    let original = scenarios(
        &fixtures::get("resources")?.wasm,
        &fixtures::get("res-chain")?.wasm,
    )?;
    for result in &original.self_tests {
        assert!(matches!(result, Ok(n) if *n > 10), "{result:?}");
    }
    assert!(original.logs.iter().all(|log| log.len() > 5));
    for handles in &original.handles {
        // Table indices from 1 with slots reused, never addresses.
        assert!(handles.iter().all(|h| (1..16).contains(h)), "{handles:?}");
    }
    let mut failures = Vec::new();
    for (strategy, options) in strategies() {
        let fused = (|| {
            scenarios(
                &fused("resources", &options)?,
                &fused("res-chain", &options)?,
            )
        })();
        match fused {
            Ok(fused) if fused == original => {}
            Ok(fused) => failures.push(format!(
                "{strategy}: fused {fused:#?}\noriginal {original:#?}"
            )),
            Err(e) => failures.push(format!("{strategy}: {e:#}")),
        }
    }
    assert_no_failures("guest scenarios after fusion", &failures);
    Ok(())
}

/// Every misuse export traps in the fused output as in the original.
#[test]
fn handle_misuse_traps_after_fusion() -> Result<()> {
    let mut failures = Vec::new();
    for (strategy, options) in strategies() {
        for (fixture, function) in TRAPS {
            let (interface, name) = function.split_once('#').expect("iface#name");
            if interface == "meld:fixtures/blob-user" || interface == "meld:fixtures/nums" {
                // These take a resource; the harness tests check them.
                continue;
            }
            let fused = match fused(fixture, &options) {
                Ok(wasm) => wasm,
                Err(e) => {
                    failures.push(format!("{fixture} ({strategy}): {e:#}"));
                    continue;
                }
            };
            for (side, wasm) in [("original", fixtures::get(fixture)?.wasm), ("fused", fused)] {
                let mut run = match Running::new(&wasm) {
                    Ok(run) => run,
                    Err(e) => {
                        failures.push(format!("{fixture} ({side}, {strategy}): {e:#}"));
                        continue;
                    }
                };
                let outcome = if interface == BLOB_CHECKS {
                    run.call::<(u32,)>(interface, name)
                        .map(|r| format!("{r:?}"))
                } else {
                    run.call::<(f64,)>(interface, name)
                        .map(|r| format!("{r:?}"))
                };
                if let Ok(returned) = outcome {
                    failures.push(format!(
                        "{function} ({side}, {strategy}) returned {returned} instead of trapping"
                    ));
                }
            }
        }
    }
    assert_no_failures("handle misuse", &failures);
    Ok(())
}

/// Fusing a resource fixture twice gives the same bytes.
#[test]
fn resource_fusion_is_deterministic() {
    let mut failures = Vec::new();
    for (strategy, options) in strategies() {
        for name in FIXTURES {
            match (fused(name, &options), fused(name, &options)) {
                (Ok(a), Ok(b)) if a == b => {}
                (Ok(_), Ok(_)) => failures.push(format!("{name} ({strategy}): outputs differ")),
                (Err(e), _) | (_, Err(e)) => failures.push(format!("{name} ({strategy}): {e:#}")),
            }
        }
    }
    assert_no_failures("deterministic fusion", &failures);
}
