//! Exports `meld:fixtures/counter`, a running total kept in a static, so
//! that two instances of this component are observably independent.

use std::sync::atomic::{AtomicI32, Ordering};

wit_bindgen::generate!({ path: "../wit", world: "counter-provider" });

use exports::meld::fixtures::counter::Guest;

static TOTAL: AtomicI32 = AtomicI32::new(0);

struct Counter;

impl Guest for Counter {
    fn add(n: i32) -> i32 {
        TOTAL.fetch_add(n, Ordering::Relaxed).wrapping_add(n)
    }

    fn total() -> i32 {
        TOTAL.load(Ordering::Relaxed)
    }

    fn reset() {
        TOTAL.store(0, Ordering::Relaxed);
    }
}

export!(Counter);
