//! Exports `meld:async-fixtures/blocking`: `block_on` (a synchronous
//! `waitable-set.wait` loop) on the worker's async functions, from an
//! async-typed export (allowed to block) and from synchronous exports
//! (which trap if they actually have to wait).

wit_bindgen::generate!({ path: "../wit", world: "blocking-world" });

use exports::meld::async_fixtures::blocking::Guest;
use meld::async_fixtures::worker;

struct Blocking;

impl Guest for Blocking {
    async fn async_block_on(a: u32, b: u32) -> u32 {
        wit_bindgen::block_on(worker::later(a, b))
    }

    async fn block_on_loop(n: u8) -> u32 {
        let mut sum = 0u32;
        for i in 0..u32::from(n) {
            sum = sum.wrapping_add(wit_bindgen::block_on(worker::later(i, 1)));
        }
        sum
    }

    fn sync_block_on(a: u32, b: u32) -> u32 {
        wit_bindgen::block_on(worker::later(a, b))
    }

    fn sync_ready(a: u32, b: u32) -> u32 {
        wit_bindgen::block_on(worker::ready(a, b))
    }
}

export!(Blocking);
