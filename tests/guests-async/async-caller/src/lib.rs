//! Exports `meld:async-fixtures/calls`: async functions that call the
//! worker's async functions (async-lowered imports) and await them, one
//! at a time or two at once.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

wit_bindgen::generate!({ path: "../wit", world: "caller-world" });

use exports::meld::async_fixtures::calls::Guest;
use meld::async_fixtures::worker::{self, Summary};

struct Caller;

impl Guest for Caller {
    async fn ready(a: u32, b: u32) -> u32 {
        worker::ready(a, b).await
    }

    async fn later(a: u32, b: u32) -> u32 {
        worker::later(a, b).await
    }

    async fn both(a: u32, b: u32) -> (u32, u32, String) {
        let (first, second, order) = join(worker::later(a, b), worker::ready(a, b)).await;
        (first, second, order)
    }

    async fn spin(n: u8) -> u32 {
        worker::spin(n).await
    }

    async fn combine(
        a: u32,
        b: u64,
        c: String,
        d: f32,
        e: Vec<u8>,
        f: i8,
        g: bool,
    ) -> Summary {
        worker::combine(a, b, c, d, e, f, g).await
    }

    async fn ready_loop(n: u8) -> u32 {
        let mut sum = 0u32;
        for i in 0..u32::from(n) {
            sum = sum.wrapping_add(worker::ready(i, 1).await);
        }
        sum
    }

    async fn later_loop(n: u8) -> u32 {
        let mut sum = 0u32;
        for i in 0..u32::from(n) {
            sum = sum.wrapping_add(worker::later(i, 1).await);
        }
        sum
    }
}

/// Polls `first` and `second` together until both are done; returns their
/// results and the order they finished in (`"first,second"` or the other
/// way round).
async fn join<A, B>(first: impl Future<Output = A>, second: impl Future<Output = B>) -> (A, B, String) {
    let mut first = pin!(first);
    let mut second = pin!(second);
    let mut a = None;
    let mut b = None;
    let mut order = Vec::new();
    std::future::poll_fn(|cx| {
        if a.is_none() {
            if let Poll::Ready(value) = first.as_mut().poll(cx) {
                a = Some(value);
                order.push("first");
            }
        }
        if b.is_none() {
            if let Poll::Ready(value) = second.as_mut().poll(cx) {
                b = Some(value);
                order.push("second");
            }
        }
        if a.is_some() && b.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    match (a, b) {
        (Some(a), Some(b)) => (a, b, order.join(",")),
        _ => unreachable!("poll_fn returned before both were done"),
    }
}

export!(Caller);
