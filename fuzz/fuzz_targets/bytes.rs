//! Fuse what the bytes stand for (see `src/lib.rs`): raw bytes, mutated
//! fixtures, wasm-smith modules as they are, wrapped into components or
//! composed, wasm-smith components. The engine must return an error that
//! is not internal or an output that validates, never panic. Run with
//! `cargo +nightly fuzz run bytes` from `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(case) = meld_fuzz::case(data) {
        // An error is a fine answer; `check` panics when the oracle fails.
        let _ = meld_fuzz::check(&case);
    }
});
