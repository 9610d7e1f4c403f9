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

use super::clock::Clock;
use super::runtime::{Outcome, outcome_of_error};
use crate::wasi::WasiHost as Host;
use anyhow::{Context as _, Result};
use std::cell::RefCell;
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
    let clock = Arc::clone(&store.data().clock);
    let run = store.run_concurrent(async |accessor| -> wasmtime::Result<()> {
        func.call_concurrent(accessor, args, results).await
    });
    match drive(run, Some(&clock)) {
        Some(result) => result?,
        None => Err(wasmtime::Error::msg(DEADLOCK)),
    }
}

/// What calls made at once did: each call's outcome (`None` for a call
/// that had not returned when no task could make progress any more), in
/// call order, and the order in which they returned or failed.
pub(crate) struct Together {
    pub(crate) outcomes: Vec<Option<Outcome>>,
    pub(crate) finished: Vec<usize>,
}

/// Makes all `calls` (a function, its arguments, its number of results)
/// at once, in order, inside one `run_concurrent` event loop, and runs it
/// until every call has returned or failed, or nothing can make progress.
pub(crate) fn call_together(
    store: &mut Store<Host>,
    calls: &[(Func, Vec<Val>, usize)],
) -> Together {
    let outcomes: RefCell<Vec<Option<Outcome>>> = RefCell::new(vec![None; calls.len()]);
    let finished = RefCell::new(Vec::new());
    let clock = Arc::clone(&store.data().clock);
    let run = store.run_concurrent(async |accessor| {
        all_of(
            calls
                .iter()
                .enumerate()
                .map(|(index, (func, args, results))| {
                    let outcomes = &outcomes;
                    let finished = &finished;
                    async move {
                        let mut values = vec![Val::Bool(false); *results];
                        let result = func.call_concurrent(accessor, args, &mut values).await;
                        outcomes.borrow_mut()[index] = Some(match result {
                            Ok(()) => Outcome::Returned(values),
                            Err(error) => outcome_of_error(error),
                        });
                        finished.borrow_mut().push(index);
                    }
                }),
        )
        .await;
    });
    // A deadlock leaves the unfinished calls' outcomes at `None`; an error
    // of the event loop itself (a trap no call received) is theirs.
    let failure = match drive(run, Some(&clock)) {
        Some(Err(error)) => Some(outcome_of_error(error)),
        Some(Ok(())) | None => None,
    };
    let mut outcomes = outcomes.into_inner();
    let mut finished = finished.into_inner();
    if let Some(failure) = failure {
        for (index, outcome) in outcomes.iter_mut().enumerate() {
            if outcome.is_none() {
                *outcome = Some(failure.clone());
                finished.push(index);
            }
        }
    }
    Together { outcomes, finished }
}

/// Runs `futures` together (each polled in turn, in order, while any is
/// pending) until all are done.
pub(crate) async fn all_of<F: Future<Output = ()>>(futures: impl IntoIterator<Item = F>) {
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    std::future::poll_fn(|context| {
        for slot in &mut pending {
            if slot
                .as_mut()
                .is_some_and(|f| f.as_mut().poll(context).is_ready())
            {
                *slot = None;
            }
        }
        match pending.iter().all(Option::is_none) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    })
    .await;
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
/// pending without having been woken and `clock` (the async test host's)
/// has no timer left to fire: nothing else can wake it.
pub(crate) fn drive<F: Future>(future: F, clock: Option<&Clock>) -> Option<F::Output> {
    let woken = Arc::new(Woken::default());
    let waker = Waker::from(Arc::clone(&woken));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        woken.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return Some(output);
        }
        if !woken.0.load(Ordering::SeqCst) && !clock.is_some_and(Clock::advance) {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::uses_async_abi;

    fn uses(wat: &str) -> bool {
        let wasm = wat::parse_str(wat).expect("the test WAT parses");
        uses_async_abi(&wasm).expect("the test component reads")
    }

    #[test]
    fn sync_lifts_lowers_and_resources_are_not_async() {
        assert!(!uses(
            r#"(component
                (import "f" (func $f (result u32)))
                (type $r (resource (rep i32)))
                (core func $new (canon resource.new $r))
                (core func $f (canon lower (func $f)))
                (core module $m (func (export "g") (result i32) (i32.const 1)))
                (core instance $i (instantiate $m))
                (func (export "g") (result u32) (canon lift (core func $i "g"))))"#
        ));
    }

    #[test]
    fn an_async_lower_is_async() {
        assert!(uses(
            r#"(component
                (import "f" (func $f async (result u32)))
                (core module $mem (memory (export "m") 1))
                (core instance $mem (instantiate $mem))
                (core func (canon lower (func $f) async (memory (core memory $mem "m")))))"#
        ));
    }

    #[test]
    fn a_builtin_in_a_nested_component_is_async() {
        assert!(uses(
            r#"(component
                (component (core func (canon waitable-set.new))))"#
        ));
    }
}
