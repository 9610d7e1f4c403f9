//! Exports `meld:async-fixtures/shouter`: prints a line twice through the
//! async printer.

wit_bindgen::generate!({ path: "../wit", world: "shouter-world" });

use exports::meld::async_fixtures::shouter::Guest;
use meld::async_fixtures::printer;

struct Shouter;

impl Guest for Shouter {
    async fn shout(line: String) -> u32 {
        let upper = printer::print(line.to_uppercase()).await;
        let lower = printer::print(line.to_lowercase()).await;
        upper.wrapping_add(lower)
    }
}

export!(Shouter);
