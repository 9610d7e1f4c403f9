//! The memory-access target: a component of two generated modules whose
//! code stresses memory accesses (`meld_tests::fuzzing::accesses`),
//! fused with `--memory shared` and `--memory multi`, original and fused
//! run under wasmtime; a failed fusion or a difference is a crash. The
//! same generator runs on stable in `tests/tests/fuzz.rs`
//! (`memory_access_programs_run_the_same_fused`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use meld_core::MemoryStrategy;

fuzz_target!(|data: &[u8]| {
    let strategies = [MemoryStrategy::Shared, MemoryStrategy::Multi];
    if let Err(e) = meld_tests::fuzzing::accesses::run(data, &strategies) {
        panic!("{e:#}");
    }
});
