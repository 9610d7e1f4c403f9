//! Handle tables between inner components, on a hand-written composition
//! (`handle_tables.wat`) whose every handle operation is explicit: make,
//! lend to the defining component (which gets the rep) and to another
//! (which gets a borrow handle it must drop), move, drop with the
//! destructor, reuse of freed handles, and misuse that must trap: double
//! drop, use after drop, a borrow kept past the call or dropped twice, an
//! own handle moved while lent, a forged handle.

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::harness::{CompareOptions, compare};

fn composition() -> Vec<u8> {
    wat::parse_str(include_str!("handle_tables.wat")).expect("handle_tables.wat parses")
}

fn check(options: &Options) {
    let original = composition();
    let fused = fuse(&[&original], options).expect("fuses");
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert!(report.trapped >= 6, "the misuse scenarios must trap");
    assert!(report.returned > 0, "every call trapped");
}

#[test]
fn handles_behave_as_in_wasmtime_multi_memory() {
    check(&Options {
        memory: MemoryStrategy::Multi,
        ..Options::default()
    });
}

#[test]
fn handles_behave_as_in_wasmtime_shared_memory() {
    check(&Options {
        memory: MemoryStrategy::Shared,
        ..Options::default()
    });
}

#[test]
fn fusion_is_deterministic() {
    let original = composition();
    for output in [OutputKind::Component, OutputKind::Core] {
        let options = Options {
            output,
            ..Options::default()
        };
        let a = fuse(&[&original], &options).expect("fuses");
        let b = fuse(&[&original], &options).expect("fuses");
        assert_eq!(a.wasm, b.wasm);
    }
}
