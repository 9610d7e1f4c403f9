//! Compositions with more memories than a module may have (100).
//!
//! A chain of 150 components (`meld_tests::chain`), each with a memory of
//! its own, passing a string along: with the default options meld must
//! choose a shared memory (and say so), size the regions to fit in 4 GiB
//! (and say so), and the result must behave like the original. With
//! `--memory multi` the answer is a typed error naming the limit and the
//! way out.

use meld_core::{ErrorKind, MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::chain::{expected, string_chain};
use meld_tests::harness::{CompareOptions, compare};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};

const CHAIN: usize = 150;

/// Calls the root export `relay` of component `wasm` once with `input`.
fn relay(wasm: &[u8], input: &str) -> String {
    let mut config = Config::new();
    config.wasm_multi_memory(true);
    let engine = Engine::new(&config).expect("engine");
    let component = Component::new(&engine, wasm).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let func = instance
        .get_typed_func::<(&str,), (String,)>(&mut store, "relay")
        .expect("relay exported");
    let (answer,) = func.call(&mut store, (input,)).expect("relay returns");
    answer
}

#[test]
fn a_chain_of_150_memories_is_fused_into_one_shared_memory_by_default() {
    let original = string_chain(CHAIN);
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    assert!(fused.stats.components >= CHAIN);
    assert_eq!(fused.stats.memory, MemoryStrategy::Shared);
    assert_eq!(fused.stats.memories, 1);
    assert_eq!(fused.stats.regions.len(), CHAIN);
    let warnings = fused.warnings.join("\n");
    assert!(
        warnings.contains("--memory auto chose shared")
            && warnings.contains("150 memories")
            && warnings.contains("100"),
        "{warnings}"
    );
    // 150 regions of 64 MiB do not fit in 4 GiB: each is made smaller.
    assert!(warnings.contains("made smaller to fit"), "{warnings}");
    let end: u64 = fused.stats.regions.iter().map(|r| r.max_bytes).sum();
    assert!(end <= 1 << 32, "regions end at {end}");
    assert!(
        fused.stats.regions.iter().all(|r| r.max_bytes >= 16 << 20),
        "regions are shared fairly"
    );

    assert_eq!(relay(&original, "x"), expected(CHAIN, "x"));
    assert_eq!(relay(&fused.wasm, "x"), expected(CHAIN, "x"));
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert!(report.returned >= 48, "{}", report.summary());
}

#[test]
fn multi_with_more_than_100_memories_is_a_typed_error_naming_the_way_out() {
    let original = string_chain(CHAIN);
    for output in [OutputKind::Component, OutputKind::Core] {
        let options = Options {
            memory: MemoryStrategy::Multi,
            output,
            ..Options::default()
        };
        let err = fuse(&[&original], &options).expect_err("too many memories");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        let message = err.message();
        assert!(
            message.contains("150 memories")
                && message.contains("100")
                && message.contains("--memory shared"),
            "{err}"
        );
    }
}

#[test]
fn shared_and_core_outputs_of_the_chain_say_which_regions_shrank() {
    let original = string_chain(CHAIN);
    for options in [
        Options {
            memory: MemoryStrategy::Shared,
            ..Options::default()
        },
        Options {
            output: OutputKind::Core,
            ..Options::default()
        },
    ] {
        let fused = fuse(&[&original], &options).expect("fuses");
        assert_eq!(fused.stats.memory, MemoryStrategy::Shared);
        let warnings = fused.warnings.join("\n");
        assert!(warnings.contains("made smaller to fit"), "{warnings}");
        assert!(!warnings.contains("auto chose"), "{warnings}");
    }
    // Small enough regions fit as asked: no warning.
    let options = Options {
        memory: MemoryStrategy::Shared,
        region_mib: Some(16),
        ..Options::default()
    };
    let fused = fuse(&[&original], &options).expect("fuses");
    assert_eq!(fused.warnings, Vec::<String>::new());
    assert!(fused.stats.regions.iter().all(|r| r.max_bytes == 16 << 20));
    assert_eq!(relay(&fused.wasm, "yz"), expected(CHAIN, "yz"));
}

#[test]
fn up_to_100_memories_stay_one_each() {
    let original = string_chain(100);
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    assert_eq!(fused.stats.memory, MemoryStrategy::Multi);
    assert_eq!(fused.stats.memories, 100);
    assert_eq!(fused.warnings, Vec::<String>::new());
    assert_eq!(relay(&fused.wasm, ""), expected(100, ""));
}

#[test]
fn a_chain_of_1000_components_fuses() {
    let original = string_chain(meld_tests::chain::MAX_COMPONENTS);
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    assert_eq!(fused.stats.memory, MemoryStrategy::Shared);
    assert_eq!(relay(&fused.wasm, "w"), expected(1_000, "w"));
}
