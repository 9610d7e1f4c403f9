//! Fuse arbitrary bytes: the engine must return an error or a valid output,
//! never panic. Run with `cargo +nightly fuzz run fuse` from `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meld_core::{Options, OutputKind, fuse};

fuzz_target!(|data: &[u8]| {
    for output in [OutputKind::Component, OutputKind::Core] {
        if let Ok(fused) = fuse(&[data], &Options { output, ..Options::default() }) {
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                .validate_all(&fused.wasm)
                .expect("meld returned an output that does not validate");
        }
    }
});
