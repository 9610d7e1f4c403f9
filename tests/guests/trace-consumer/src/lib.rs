//! Imports `meld:fixtures/trace`, exports `meld:fixtures/trace-run`: a few
//! frames of its own around the call into the provider, so a trap there
//! has frames of both components on its backtrace.

wit_bindgen::generate!({ path: "../wit", world: "trace-consumer" });

use exports::meld::fixtures::trace_run::Guest;
use meld::fixtures::trace;

struct Consumer;

impl Guest for Consumer {
    fn run(depth: u32, fail: bool) -> u32 {
        outer(depth, fail) + 1
    }
}

#[inline(never)]
fn outer(depth: u32, fail: bool) -> u32 {
    inner(depth, fail) * 2
}

#[inline(never)]
fn inner(depth: u32, fail: bool) -> u32 {
    trace::descend(depth, fail)
}

export!(Consumer);
