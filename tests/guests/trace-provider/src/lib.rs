//! Exports `meld:fixtures/trace`: a recursion that panics at its bottom on
//! request, so a trap's backtrace runs through several frames of this
//! component (built in debug mode, with DWARF, for the `trace` fixture).

wit_bindgen::generate!({ path: "../wit", world: "trace-provider" });

use exports::meld::fixtures::trace::Guest;

struct Provider;

impl Guest for Provider {
    fn descend(depth: u32, fail: bool) -> u32 {
        dive(depth % 16, fail)
    }
}

/// One frame per level; the bottom one panics if asked to.
#[inline(never)]
fn dive(depth: u32, fail: bool) -> u32 {
    if depth == 0 {
        return bottom(fail);
    }
    depth + dive(depth - 1, fail)
}

#[inline(never)]
fn bottom(fail: bool) -> u32 {
    if fail {
        panic!("the bottom of the trace");
    }
    0
}

export!(Provider);
