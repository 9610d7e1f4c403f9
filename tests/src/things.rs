//! The host of the hand-written compositions that pass the host's own
//! resources around (`async_root_*.wat`, `async_*_window.wat`,
//! `realloc_window.wat`): a `thing` resource whose rep is its value,
//! `make-thing(v)`, `thing-value(t)` and `make-named(n)` (the list
//! `[(thing 7, "x"), (thing 8, "x"), ..]`), and a bounded poll of their
//! calls' futures.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasmtime::component::{Linker, Resource, ResourceType};

/// The host's resource; a handle's rep is the thing's value.
#[derive(Debug)]
pub struct Thing;

/// Defines `thing` and its functions at the root of `linker`.
pub fn link_things(linker: &mut Linker<()>) {
    let mut root = linker.root();
    root.resource("thing", ResourceType::host::<Thing>(), |_, _| Ok(()))
        .expect("the resource");
    root.func_wrap("make-thing", |_, (v,): (u32,)| {
        Ok((Resource::<Thing>::new_own(v),))
    })
    .expect("make-thing");
    root.func_wrap("thing-value", |_, (t,): (Resource<Thing>,)| Ok((t.rep(),)))
        .expect("thing-value");
    type Named = Vec<(Resource<Thing>, String)>;
    root.func_wrap("make-named", |_, (n,): (u32,)| {
        let named: Named = (0..n)
            .map(|k| (Resource::new_own(7 + k), "x".to_string()))
            .collect();
        Ok((named,))
    })
    .expect("make-named");
}

/// Polls `future` until it is ready (nothing these hosts do waits on the
/// outside world: a bounded number of polls).
pub fn drive<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..100_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("the call never finished")
}
