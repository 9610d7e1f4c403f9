//! Handles of host resources stay private to the component holding them:
//! `host_handles.wat` has two instances of a holder and a peer, each with
//! its own table for the harness host's `thing`s. The fused output must
//! number handles exactly as wasmtime does (each instance's first thing
//! is handle 1; freed slots are reused; handles from a host list take the
//! next numbers), trap wherever a component names a handle it was never
//! given, lend and move things between components as the runtime does,
//! and pass lists of borrows to the host without touching the caller's
//! memory.

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::harness::{CompareOptions, compare, same_script};
use wasmtime::component::Val;

fn composition() -> Vec<u8> {
    wat::parse_str(include_str!("host_handles.wat")).expect("host_handles.wat parses")
}

fn strategies() -> [Options; 2] {
    [
        Options::default(),
        Options {
            memory: MemoryStrategy::Shared,
            ..Options::default()
        },
    ]
}

/// The scripted calls: (export, arguments).
fn script() -> Vec<(&'static str, Vec<Val>)> {
    let u = Val::U32;
    vec![
        // 0..=5: each instance's first handle is 1; a number another
        // instance holds is not this one's
        ("first#make", vec![u(7)]),
        ("second#make", vec![u(8)]),
        ("first#value", vec![u(1)]),
        ("second#value", vec![u(1)]),
        ("first#make", vec![u(9)]),
        ("second#value", vec![u(2)]),
        // 6..=7: the peer was given nothing
        ("first#make", vec![u(5)]),
        ("peer#value", vec![u(1)]),
        // 8..=12: lent (the peer's borrow is its handle 1), then moved
        ("first#make", vec![u(5)]),
        ("first#lend", vec![u(1)]),
        ("first#give-peer", vec![u(1)]),
        ("peer#value", vec![u(1)]),
        ("first#value", vec![u(1)]),
        // 13..=16: lists of borrows to the host, lists of owns from it
        ("first#make", vec![u(6)]),
        ("first#make", vec![u(7)]),
        ("first#sum2", vec![u(1), u(2)]),
        ("first#make-list", vec![u(3)]),
        // 17..=20: a freed slot is reused first; the host takes one
        ("first#drop", vec![u(4)]),
        ("first#make", vec![u(9)]),
        ("first#give", vec![u(4)]),
        ("first#dropped", vec![]),
        // 21..=24: misuse
        ("first#lend-kept", vec![u(1)]),
        ("first#make", vec![u(1)]),
        ("first#drop", vec![u(1)]),
        ("first#drop", vec![u(1)]),
        ("peer#drop", vec![u(1)]),
        // 26..: the guests' own scenarios
        ("first#scenario", vec![]),
        ("second#scenario", vec![]),
        ("second#sum2", vec![u(1), u(1)]),
        ("second#dropped", vec![]),
    ]
}

fn check(options: &Options) {
    let original = composition();
    let fused = fuse(&[&original], options).expect("fuses");
    let calls = script();
    let expected = same_script(&original, &fused.wasm, &calls);
    // What the original does, so that the script tests what it claims.
    let pinned = [
        (0, "[1]"),
        (1, "[1]"),
        (3, "[8]"),
        (5, "trap"),
        (7, "trap"),
        (9, "[501]"),
        (10, "[1]"),
        (11, "[5]"),
        (12, "trap"),
        (15, "[131]"),
        (18, "[4]"),
        (19, "[9]"),
        (21, "trap"),
        (24, "trap"),
        (25, "trap"),
    ];
    for (i, outcome) in pinned {
        assert_eq!(expected[i], outcome, "call {i} of the original");
    }
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert!(report.trapped > 0 && report.returned > 0);
}

#[test]
fn host_handles_are_per_component_multi_memory() {
    check(&strategies()[0]);
}

#[test]
fn host_handles_are_per_component_shared_memory() {
    check(&strategies()[1]);
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
