//! Exception barriers go only where an exception can come from
//! (`core/src/adapt/barrier.rs`): `tests/spec/exceptions_partial.wat`,
//! whose runs the spec suite compares with the original, fused here to
//! read its plan.

use meld_core::{Options, fuse};

const TEXT: &str = include_str!("../spec/exceptions_partial.wat");

/// The names of the fused module's functions that are exception barriers.
fn barriers(wasm: &[u8]) -> usize {
    let wat = wasmprinter::print_bytes(wasm).expect("the output prints");
    wat.lines()
        .filter(|l| {
            l.trim_start()
                .starts_with("(func $\"exception barrier of function")
        })
        .count()
}

/// `$thrower` calls `$plain`, whose code cannot throw: the call is direct
/// and no barrier is generated. Before session 51 any tag in the
/// composition made every call between components go through an adapter
/// and a barrier (a scalar call 7.4 ns fused instead of 1.8).
#[test]
fn a_call_into_a_component_that_cannot_throw_is_direct() {
    let wasm = wat::parse_str(TEXT).expect("the WAT parses");
    let fused = fuse(&[&wasm], &Options::default()).expect("fuses");
    assert_eq!(fused.stats.adapters_direct, 1, "{:?}", fused.stats);
    assert_eq!(barriers(&fused.wasm), 0);
}

/// The same with a `throw` in `$plain` (in a function never called): the
/// call into it gets its adapter, and the adapter calls `inc` through a
/// barrier.
#[test]
fn a_call_into_a_component_that_can_throw_has_a_barrier() {
    let text = TEXT.replace(";;NEVER-THROWS", "(tag $t) (func $never (throw $t))");
    let wasm = wat::parse_str(&text).expect("the WAT parses");
    let fused = fuse(&[&wasm], &Options::default()).expect("fuses");
    assert_eq!(fused.stats.adapters_direct, 0, "{:?}", fused.stats);
    assert_eq!(barriers(&fused.wasm), 1);
}
