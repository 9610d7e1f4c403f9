//! Exports `meld:async-fixtures/pong`: the second player of ping-pong,
//! taking from slot 0 of the mailbox and posting to slot 1.

wit_bindgen::generate!({ path: "../wit", world: "pong-world" });

use exports::meld::async_fixtures::pong::Guest;
use meld::async_fixtures::mailbox;

struct Pong;

impl Guest for Pong {
    async fn play(rounds: u8) -> Vec<u32> {
        let mut taken = Vec::new();
        for _ in 0..rounds {
            let Some(value) = mailbox::take(0).await else {
                break;
            };
            taken.push(value);
            mailbox::post(1, value.wrapping_mul(2));
        }
        taken
    }
}

export!(Pong);
