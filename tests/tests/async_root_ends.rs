//! Future ends crossing the fused component's boundary
//! (`async_root_ends.wat`): a future an inner component wrote, returned to
//! the host; a future the host writes, passed through one inner component
//! to another; a future read by one inner component, which returns a new
//! one. The host (this test, through wasmtime's own API) writes and reads
//! them; the original and each fusion must give the same values and
//! handle numbers.

use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use meld_core::{MemoryStrategy, Options, fuse};
use wasmtime::component::{
    Component, FutureAny, FutureConsumer, FutureReader, Linker, Source, Val,
};
use wasmtime::{Store, StoreContextMut};

/// Keeps the value a future delivers.
struct Take(Arc<Mutex<Option<u32>>>);

impl<D> FutureConsumer<D> for Take {
    type Item = u32;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        store: StoreContextMut<D>,
        mut source: Source<'_, u32>,
        _: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let mut value = None;
        source.read(store, &mut value)?;
        *self.0.lock().expect("the value's lock") = value;
        Poll::Ready(Ok(()))
    }
}

/// Polls `future` until it is ready (nothing here waits on the outside
/// world: a bounded number of polls).
fn drive<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    for _ in 0..100_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("the call never finished")
}

/// What the script below sees on `wasm`: each line a value.
fn script(wasm: &[u8]) -> Vec<String> {
    let engine = meld_tests::harness::engine().expect("the harness's engine");
    let component = Component::new(engine, wasm).expect("the component compiles");
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX).expect("fuel");
    let linker: Linker<()> = Linker::new(engine);
    let instance = drive(linker.instantiate_async(&mut store, &component)).expect("instantiates");
    let func = |store: &mut Store<()>, name: &str| {
        instance
            .get_func(&mut *store, name)
            .unwrap_or_else(|| panic!("no export `{name}`"))
    };
    let call = |store: &mut Store<()>, name: &str, args: Vec<Val>| -> Val {
        let f = func(store, name);
        let mut results = vec![Val::Bool(false)];
        drive(store.run_concurrent(async |accessor| {
            f.call_concurrent(accessor, &args, &mut results).await
        }))
        .expect("the event loop")
        .unwrap_or_else(|e| panic!("`{name}` failed: {e:?}"));
        results.pop().expect("one result")
    };
    let read = |store: &mut Store<()>, future: Val| -> String {
        let Val::Future(any) = future else {
            panic!("not a future: {future:?}")
        };
        let reader: FutureReader<u32> = any.try_into_future_reader().expect("a future<u32>");
        let got = Arc::new(Mutex::new(None));
        reader
            .pipe(&mut *store, Take(Arc::clone(&got)))
            .expect("the host reads it");
        let seen = Arc::clone(&got);
        drive(store.run_concurrent(async |_| {
            std::future::poll_fn(|context| match seen.lock().expect("lock").is_some() {
                true => Poll::Ready(()),
                false => {
                    context.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await
        }))
        .expect("the event loop");
        format!("{:?}", got.lock().expect("lock").take())
    };
    let written = |store: &mut Store<()>, v: u32| -> Val {
        let reader = FutureReader::new(&mut *store, async move { Ok::<u32, wasmtime::Error>(v) })
            .expect("a host future");
        Val::Future(FutureAny::try_from_future_reader(&mut *store, reader).expect("erased"))
    };
    let mut seen = Vec::new();
    for v in [41, 7] {
        let made = call(&mut store, "make", vec![Val::U32(v)]);
        seen.push(format!("make({v}) = {}", read(&mut store, made)));
    }
    for v in [5, 6] {
        let future = written(&mut store, v);
        seen.push(format!(
            "pass({v}) = {:?}",
            call(&mut store, "pass", vec![future])
        ));
    }
    let future = written(&mut store, 10);
    let relayed = call(&mut store, "relay", vec![future]);
    seen.push(format!("relay(10) = {}", read(&mut store, relayed)));
    seen
}

#[test]
fn futures_cross_the_boundary() {
    let wasm = wat::parse_str(include_str!("async_root_ends.wat")).expect("the WAT parses");
    let original = script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "make(41) = Some(41)",
            "make(7) = Some(7)",
            "pass(5) = U32(100005)",
            "pass(6) = U32(100006)",
            "relay(10) = Some(11)",
        ]
    );
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let fused = fuse(&[&wasm], &options).expect("fuses").wasm;
        assert_eq!(script(&fused), original, "{memory:?}");
    }
}

/// A future whose elements hold a handle (here an error context) and
/// whose type reaches the host: the host would write the fused
/// component's handle where the component keeps its own, so fusion
/// refuses it with a typed error.
#[test]
fn handles_in_elements_that_reach_the_host_are_refused() {
    let wasm = wat::parse_str(
        r#"(component
          (component $a
            (type $fe (future error-context))
            (core module $memory (memory (export "mem") 1))
            (core instance $memory (instantiate $memory))
            (alias core export $memory "mem" (core memory $mem))
            (core func $f-new (canon future.new $fe))
            (core func $f-write (canon future.write $fe (memory $mem) async))
            (core module $m
              (import "mem" "mem" (memory 1))
              (import "cm" "f-new" (func $f-new (result i64)))
              (import "cm" "f-write" (func $f-write (param i32 i32) (result i32)))
              (func (export "make") (result i32)
                (local $pair i64)
                (local.set $pair (call $f-new))
                (drop (call $f-write (i32.wrap_i64 (i64.shr_u (local.get $pair) (i64.const 32)))
                  (i32.const 16)))
                (i32.wrap_i64 (local.get $pair))))
            (core instance $i (instantiate $m
              (with "mem" (instance (export "mem" (memory $mem))))
              (with "cm" (instance (export "f-new" (func $f-new)) (export "f-write" (func $f-write))))))
            (func (export "make") (result $fe) (canon lift (core func $i "make"))))
          (instance $a (instantiate $a))
          (export "make" (func $a "make")))"#,
    )
    .expect("the WAT parses");
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let error = fuse(&[&wasm], &options).expect_err("refused");
        let text = error.to_string();
        assert!(
            text.starts_with("unsupported") && text.contains("elements hold handles"),
            "{memory:?}: {text}"
        );
    }
}
