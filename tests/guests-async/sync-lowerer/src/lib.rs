//! Exports `meld:async-fixtures/lowering`: the worker's async functions
//! called through *synchronous* lowers (wit-bindgen's `async` option
//! turned off for these imports), from sync exports and from an async
//! one.

wit_bindgen::generate!({
    path: "../wit",
    world: "lowering-world",
    async: [
        "-import:meld:async-fixtures/worker#later",
        "-import:meld:async-fixtures/worker#ready",
        "import:meld:async-fixtures/worker#spin",
        "import:meld:async-fixtures/worker#combine",
    ],
});

use exports::meld::async_fixtures::lowering::Guest;
use meld::async_fixtures::worker;

struct Lowerer;

impl Guest for Lowerer {
    fn sync_later(a: u32, b: u32) -> u32 {
        worker::later(a, b)
    }

    fn sync_ready(a: u32, b: u32) -> u32 {
        worker::ready(a, b)
    }

    async fn async_later(a: u32, b: u32) -> u32 {
        worker::later(a, b)
    }
}

export!(Lowerer);
