//! Calling a component that uses the component model's async ABI the way
//! an async host does: `Store::run_concurrent` around
//! `Func::call_concurrent`, polled on this thread until the call returns,
//! traps or can never finish.
//!
//! Every host function the harness links is synchronous (WASI p2 through
//! `add_to_linker_sync`, the test host, trapping stubs), so nothing
//! outside the event loop ever wakes it: when `run_concurrent`'s future is
//! pending and did not wake itself, no task can make progress again. The
//! call is then reported as a deadlock trap ([`DEADLOCK`]), as wasmtime's
//! own `call_async` does with `Trap::AsyncDeadlock`, instead of hanging.

use crate::wasi::WasiHost as Host;
use anyhow::{Context as _, Result};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use wasmparser::{CanonicalFunction, CanonicalOption, Parser, Payload};
use wasmtime::Store;
use wasmtime::component::{Func, Val};

/// The message of the trap a deadlocked call is reported as.
pub(crate) const DEADLOCK: &str =
    "deadlock: the call has not returned and no task can make progress";

/// Whether `wasm` (a component, nested ones included) uses the async ABI:
/// a `canon lift` or `canon lower` with the `async` option, or any canon
/// built-in other than the resource ones (tasks, subtasks, waitable sets,
/// streams, futures, error contexts, backpressure, context slots, yield).
pub(crate) fn uses_async_abi(wasm: &[u8]) -> Result<bool> {
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::ComponentCanonicalSection(reader) =
            payload.context("reading the component for async ABI use")?
        else {
            continue;
        };
        for function in reader {
            let is_async = match function.context("reading a canonical function")? {
                CanonicalFunction::Lift { options, .. }
                | CanonicalFunction::Lower { options, .. } => options
                    .iter()
                    .any(|option| matches!(option, CanonicalOption::Async)),
                CanonicalFunction::ResourceNew { .. }
                | CanonicalFunction::ResourceDrop { .. }
                | CanonicalFunction::ResourceRep { .. } => false,
                _ => true,
            };
            if is_async {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Calls `func` as an async host does: one `run_concurrent` event loop
/// around `call_concurrent`, run until the call returns, traps or
/// deadlocks (an error whose message is [`DEADLOCK`]).
pub(crate) fn call_concurrent(
    store: &mut Store<Host>,
    func: Func,
    args: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let run = store.run_concurrent(async |accessor| -> wasmtime::Result<()> {
        func.call_concurrent(accessor, args, results).await
    });
    match drive(run) {
        Some(result) => result?,
        None => Err(wasmtime::Error::msg(DEADLOCK)),
    }
}

/// Records whether a future woke itself.
#[derive(Debug, Default)]
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `future` on this thread until it is ready, or `None` once it is
/// pending without having been woken (nothing else can wake it).
fn drive<F: Future>(future: F) -> Option<F::Output> {
    let woken = Arc::new(Woken::default());
    let waker = Waker::from(Arc::clone(&woken));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        woken.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return Some(output);
        }
        if !woken.0.load(Ordering::SeqCst) {
            return None;
        }
    }
}
