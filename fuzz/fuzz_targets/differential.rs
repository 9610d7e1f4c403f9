//! The differential target: a random composition (`meld_tests::fuzzing`)
//! fused, original and fused run under wasmtime; a difference, a failed
//! fusion or an `unsupported` refusal (the generated inputs use nothing
//! the README lists as unsupported) is a crash. The same driver runs on
//! stable as `tests/tests/fuzz_differential.rs`.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use meld_tests::fuzzing::{Case, Verdict, check};

fuzz_target!(|data: &[u8]| {
    let Ok(case) = Case::generate(&mut Unstructured::new(data)) else {
        return;
    };
    match check(&case) {
        Ok(Verdict::Same | Verdict::Reordered) => {}
        Ok(Verdict::Unsupported(e)) => panic!("meld refused a generated case: {e}"),
        Err(e) => panic!("{case:#?}\n{e:#}"),
    }
});
