//! Exports `meld:async-fixtures/mailbox`: slots that one task fills
//! (`post`, synchronous) and another empties (`take`, an async task that
//! yields until its slot is filled, or gives up after a bounded number of
//! turns, so that nothing livelocks).

use std::cell::RefCell;
use std::collections::BTreeMap;

wit_bindgen::generate!({ path: "../wit", world: "mailbox-world" });

use exports::meld::async_fixtures::mailbox::Guest;

thread_local! {
    static SLOTS: RefCell<BTreeMap<u32, u32>> = const { RefCell::new(BTreeMap::new()) };
}

/// Turns a `take` waits for its slot before it gives up.
const PATIENCE: u32 = 500;

struct Mailbox;

impl Guest for Mailbox {
    fn post(slot: u32, value: u32) {
        SLOTS.with(|slots| slots.borrow_mut().insert(slot, value));
    }

    async fn take(slot: u32) -> Option<u32> {
        for _ in 0..PATIENCE {
            if let Some(value) = SLOTS.with(|slots| slots.borrow_mut().remove(&slot)) {
                return Some(value);
            }
            wit_bindgen::yield_async().await;
        }
        None
    }
}

export!(Mailbox);
