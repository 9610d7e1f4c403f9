//! A component may not call out of its `realloc` or `post-return`: a
//! runtime clears its `may_leave` flag while they run and traps a call
//! out. `flags.wat` makes a provider's realloc and post-return call a
//! third component for some argument values; the fused output must trap
//! on exactly the same calls as wasmtime running the composition.

use meld_core::{Options, fuse};
use meld_tests::harness::{CompareOptions, compare};

#[test]
fn calls_out_of_realloc_and_post_return_trap_like_wasmtime() {
    let original = wat::parse_str(include_str!("flags.wat")).expect("flags.wat parses");
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert!(
        report.trapped > 0,
        "no call trapped: the flag was never exercised"
    );
    assert!(
        report.returned > 0,
        "every call trapped: the flag was never set again"
    );
}

#[test]
fn calls_to_the_host_out_of_realloc_trap_like_wasmtime() {
    let original = wat::parse_str(include_str!("flags_host.wat")).expect("flags_host.wat parses");
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert!(
        report.trapped > 0,
        "no call trapped: the flag was never checked"
    );
    assert!(report.returned > 0, "every call trapped");
}
