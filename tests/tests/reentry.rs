//! Re-entry through adapters (`reentry.wat`): a component calling a
//! function it lifted itself, its grandchild's, or its parent's fuses,
//! and the call traps when it is made, as in wasmtime 48; calls that do
//! not re-enter work.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, compare, run_script};

fn composition() -> Vec<u8> {
    wat::parse_str(include_str!("reentry.wat")).expect("reentry.wat parses")
}

fn check(options: &Options) {
    let original = composition();
    let fused = fuse(&[&original], options).expect("fuses");
    let calls: Vec<(&str, Vec<wasmtime::component::Val>)> = [
        "reentry#ok",
        "reentry#call-self",
        "reentry#ok",
        "reentry#call-down",
        "reentry#three",
        "reentry#call-up",
        "reentry#three",
    ]
    .into_iter()
    .map(|name| (name, Vec::new()))
    .collect();
    let expected = run_script(&original, &calls).expect("the original runs");
    let got = run_script(&fused.wasm, &calls).expect("the fused output runs");
    assert_eq!(
        expected,
        ["[1]", "trap", "[1]", "trap", "[3]", "trap", "[3]"],
        "the original"
    );
    assert_eq!(expected, got);
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
}

#[test]
fn reentry_traps_when_called_multi_memory() {
    check(&Options::default());
}

#[test]
fn reentry_traps_when_called_shared_memory() {
    check(&Options {
        memory: MemoryStrategy::Shared,
        ..Options::default()
    });
}
