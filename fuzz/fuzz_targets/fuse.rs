//! Fuse arbitrary bytes as they are: the engine must return an error that
//! is not internal or an output that validates, never panic. Run with
//! `cargo +nightly fuzz run fuse` from `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meld_core::{Options, OutputKind};

fuzz_target!(|data: &[u8]| {
    for output in [OutputKind::Component, OutputKind::Core] {
        let case = meld_fuzz::Case {
            kind: meld_fuzz::Kind::Wasm,
            inputs: vec![data.to_vec()],
            options: Options {
                output,
                ..Options::default()
            },
        };
        // An error is a fine answer; `check` panics when the oracle fails.
        let _ = meld_fuzz::check(&case);
    }
});
