//! Exports `meld:async-fixtures/gate`: a callee that turns backpressure on
//! and off (`backpressure.inc`/`.dec`) and notes in a log when its tasks
//! start, end or are dropped (cancelled).

use std::cell::RefCell;

wit_bindgen::generate!({ path: "../wit", world: "gate-world" });

use exports::meld::async_fixtures::gate::Guest;

thread_local! {
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn note(entry: String) {
    LOG.with(|log| log.borrow_mut().push(entry));
}

/// Notes `dropped <x>` unless disarmed: a task cancelled while it waits is
/// dropped by wit-bindgen's runtime.
struct DropNote(Option<u32>);

impl Drop for DropNote {
    fn drop(&mut self) {
        if let Some(x) = self.0 {
            note(format!("dropped {x}"));
        }
    }
}

struct Gate;

impl Guest for Gate {
    async fn hold(ticks: u8) {
        wit_bindgen::backpressure_inc();
        note("hold on".to_string());
        for _ in 0..ticks {
            wit_bindgen::yield_async().await;
        }
        note("hold off".to_string());
        wit_bindgen::backpressure_dec();
    }

    async fn pause(ticks: u8) {
        note("pause".to_string());
        for _ in 0..ticks {
            wit_bindgen::yield_async().await;
        }
        note("resume".to_string());
    }

    async fn work(x: u32) -> u32 {
        note(format!("start {x}"));
        let mut guard = DropNote(Some(x));
        wit_bindgen::yield_async().await;
        guard.0 = None;
        note(format!("end {x}"));
        x
    }

    fn close() {
        wit_bindgen::backpressure_inc();
    }

    fn log() -> Vec<String> {
        LOG.with(|log| log.take())
    }
}

export!(Gate);
