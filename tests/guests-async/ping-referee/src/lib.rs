//! Exports `meld:async-fixtures/game`: plays ping (its own loop) against
//! the pong player (another component's task) at once; each side's
//! `take` from the mailbox finishes only after the other side's `post`.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

wit_bindgen::generate!({ path: "../wit", world: "ping-world" });

use exports::meld::async_fixtures::game::Guest;
use meld::async_fixtures::{mailbox, pong};

struct Referee;

impl Guest for Referee {
    async fn play(rounds: u8, start: u32) -> (Vec<u32>, Vec<u32>) {
        let ping = async move {
            let mut taken = Vec::new();
            let mut value = start;
            for _ in 0..rounds {
                mailbox::post(0, value);
                let Some(back) = mailbox::take(1).await else {
                    break;
                };
                taken.push(back);
                value = back.wrapping_add(1);
            }
            taken
        };
        join(ping, pong::play(rounds)).await
    }
}

/// Polls both futures until both are done; returns both results.
async fn join<A, B>(first: impl Future<Output = A>, second: impl Future<Output = B>) -> (A, B) {
    let mut first = pin!(first);
    let mut second = pin!(second);
    let (mut a, mut b) = (None, None);
    std::future::poll_fn(|cx| {
        if a.is_none() {
            if let Poll::Ready(value) = first.as_mut().poll(cx) {
                a = Some(value);
            }
        }
        if b.is_none() {
            if let Poll::Ready(value) = second.as_mut().poll(cx) {
                b = Some(value);
            }
        }
        match (a.take(), b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a_now, b_now) => {
                a = a_now;
                b = b_now;
                Poll::Pending
            }
        }
    })
    .await
}

export!(Referee);
