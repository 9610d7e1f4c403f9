//! The consumers' own checks: `values` and `transcode` export
//! `meld:fixtures/checks#self-test`, which calls the provider with fixed
//! values (empty and >64 KiB strings and lists, astral chars, every
//! variant case, flag patterns, spilled signatures, transcoded strings)
//! and verifies every result inside the composition. It must answer
//! `ok(n)` on the original and on the fused output, with the same `n`.

use anyhow::{Context, Result, anyhow};
use meld_core::{Options, fuse};
use meld_tests::fixtures;
use meld_tests::harness::engine;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

const CHECKS: &str = "meld:fixtures/checks";

/// The fixtures with a self-test, and the fewest checks each must report.
const SELF_TESTED: [(&str, u32); 2] = [("values", 150), ("transcode", 100)];

/// Instantiates `wasm` (a component importing nothing) and runs its
/// self-test.
fn self_test(wasm: &[u8]) -> Result<Result<u32, String>> {
    let engine = engine()?;
    let component = Component::new(engine, wasm).map_err(anyhow::Error::from)?;
    let linker = Linker::<()>::new(engine);
    let mut store = Store::new(engine, ());
    // The harness's engine meters fuel; give the checks plenty.
    store.set_fuel(u64::MAX).map_err(anyhow::Error::from)?;
    let instance = linker
        .instantiate(&mut store, &component)
        .map_err(anyhow::Error::from)?;
    let missing = || anyhow!("no export {CHECKS}#self-test");
    let interface = instance
        .get_export_index(&mut store, None, CHECKS)
        .ok_or_else(missing)?;
    let func = instance
        .get_export_index(&mut store, Some(&interface), "self-test")
        .ok_or_else(missing)?;
    let func = instance
        .get_typed_func::<(), (Result<u32, String>,)>(&mut store, &func)
        .map_err(anyhow::Error::from)?;
    let (outcome,) = func.call(&mut store, ()).map_err(anyhow::Error::from)?;
    Ok(outcome)
}

/// Runs the self-test of fixture `name` on the original (and, with
/// `fused`, on the fused output); the number of checks passed.
fn run(name: &str, fused: bool) -> Result<u32> {
    let fixture = fixtures::get(name)?;
    let wasm = if fused {
        fuse(&[&fixture.wasm], &Options::default())
            .map_err(|e| anyhow!("fusion failed: {e}"))?
            .wasm
    } else {
        fixture.wasm
    };
    self_test(&wasm)
        .context("running the self-test")?
        .map_err(|failure| anyhow!("the self-test failed: {failure}"))
}

#[test]
fn self_tests_pass_on_the_originals() {
    for (name, minimum) in SELF_TESTED {
        let passed = run(name, false).unwrap_or_else(|e| panic!("`{name}`: {e:#}"));
        println!("{name:<10} original: {passed} checks passed");
        assert!(
            passed >= minimum,
            "`{name}` ran only {passed} checks, expected at least {minimum}"
        );
    }
}

#[test]
fn self_tests_pass_after_fusion() {
    let mut failures = Vec::new();
    for (name, _) in SELF_TESTED {
        match (run(name, false), run(name, true)) {
            (Ok(original), Ok(fused)) if original == fused => {
                println!("{name:<10} fused: {fused} checks passed");
            }
            (Ok(original), Ok(fused)) => failures.push(format!(
                "`{name}`: {fused} checks passed after fusion, {original} before"
            )),
            (_, Err(e)) | (Err(e), _) => failures.push(format!("`{name}`: {e:#}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
