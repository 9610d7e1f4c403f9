//! Exports `meld:async-fixtures/scenarios`: calls to the gate with its
//! backpressure on and off, subtasks cancelled (by dropping their futures,
//! which makes wit-bindgen call `subtask.cancel`) before and after they
//! started, and a call that can never start.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::Poll;

wit_bindgen::generate!({ path: "../wit", world: "gatekeeper-world" });

use exports::meld::async_fixtures::scenarios::Guest;
use meld::async_fixtures::gate;

struct Gatekeeper;

impl Guest for Gatekeeper {
    async fn backpressure_on() -> Vec<String> {
        both(gate::hold(2), gate::work(1)).await;
        gate::log()
    }

    async fn backpressure_off() -> Vec<String> {
        both(gate::pause(8), gate::work(1)).await;
        gate::log()
    }

    async fn cancel_before_start() -> Vec<String> {
        let mut hold = pin!(gate::hold(2));
        poll_once(hold.as_mut()).await;
        // Backpressure is on: this call is queued, not started.
        let mut work = Box::pin(gate::work(1));
        poll_once(work.as_mut()).await;
        drop(work);
        hold.await;
        gate::work(2).await;
        gate::log()
    }

    async fn cancel_after_start() -> Vec<String> {
        let mut work = Box::pin(gate::work(1));
        // The call starts and yields: the subtask is STARTED.
        poll_once(work.as_mut()).await;
        drop(work);
        gate::work(2).await;
        gate::log()
    }

    async fn deadlock() -> Vec<String> {
        gate::close();
        gate::work(1).await;
        gate::log()
    }
}

/// Polls `future` once (which makes its call), whatever it returns.
async fn poll_once<F: Future>(mut future: Pin<&mut F>) {
    std::future::poll_fn(|cx| {
        let _ = future.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
}

/// Runs `first` and `second` at once until both are done.
async fn both<A: Future, B: Future>(first: A, second: B) {
    let mut first = pin!(first);
    let mut second = pin!(second);
    let (mut first_done, mut second_done) = (false, false);
    std::future::poll_fn(|cx| {
        if !first_done {
            first_done = first.as_mut().poll(cx).is_ready();
        }
        if !second_done {
            second_done = second.as_mut().poll(cx).is_ready();
        }
        if first_done && second_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

export!(Gatekeeper);
