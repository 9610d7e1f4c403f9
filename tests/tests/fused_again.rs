//! meld's own output as input: a fused component is a component like any
//! other, so a composition may hold one (a library shipped fused, then
//! composed with an application and fused again). Fusing the output again
//! must give a component that still behaves like the original: the first
//! fusion's wrapper (its resource types and `resource.new`/`rep`/`drop`,
//! its lifts and lowers), its handle tables, its memory (or, with `--memory
//! shared`, its one memory of regions) and, for async compositions, its
//! runtime and the host built-ins it imports all become an inner
//! component's.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::fixtures;
use meld_tests::harness::{CompareOptions, compare};

/// Fixtures that cover what a first fusion puts into its output: plain
/// adapters (`scalars`), resources the root exports, passed down a chain
/// of components, and their handle tables (`res-chain`; `resources` grows
/// a blob past the default region, see tests/differential.rs), host
/// resources through WASI (`res-wasi`), the async runtime (`async-calls`)
/// and streams between components (`async-streams`).
const FIXTURES: &[&str] = &[
    "scalars",
    "res-chain",
    "res-wasi",
    "async-calls",
    "async-streams",
];

#[test]
fn fused_output_fused_again_behaves_like_the_original() {
    let options = CompareOptions {
        // `async-streams` streams up to 64 MiB when the generated length is
        // large: with `--memory shared`'s checks, more than the default
        fuel: 4_000_000_000,
        ..CompareOptions::default()
    };
    for name in FIXTURES {
        let fixture = fixtures::get(name).expect("the fixtures build");
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let fusion = Options {
                memory,
                ..Options::default()
            };
            let once = fuse(&[&fixture.wasm], &fusion).expect("fuses");
            let twice = fuse(&[&once.wasm], &fusion)
                .unwrap_or_else(|e| panic!("`{name}` ({memory:?}): fusing the output again: {e}"));
            let report = compare(&fixture.wasm, &twice.wasm, &options)
                .unwrap_or_else(|e| panic!("`{name}` ({memory:?}): {e:#}"));
            println!(
                "{name:<14} {memory:?}: {} -> {} -> {} bytes; {}",
                fixture.wasm.len(),
                once.wasm.len(),
                twice.wasm.len(),
                report.summary()
            );
            assert!(report.is_clean(), "`{name}` ({memory:?}):\n{report}");
            assert!(report.calls > 0, "`{name}` ({memory:?}): no calls");
        }
    }
}
