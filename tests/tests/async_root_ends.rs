//! Future ends crossing the fused component's boundary
//! (`async_root_ends.wat`): a future an inner component wrote, returned to
//! the host; a future the host writes, passed through one inner component
//! to another; a future read by one inner component, which returns a new
//! one. The host (this test, through wasmtime's own API) writes and reads
//! them; the original and each fusion must give the same values and
//! handle numbers. `async_root_strings.wat` does the same with futures
//! and streams of strings, whose type reaches the host while they also go
//! between the inner components (meld carries those an inner component
//! makes, and hands the host a stream of its own for them);
//! `async_root_crossing.wat` with a future and a stream of the host's
//! things. The other `async_root_*.wat` files here put handles and ends in
//! the elements of streams and futures the host reads and writes.

use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::things::{Thing, drive, link_things};
use wasmtime::component::{
    Component, FutureAny, FutureConsumer, FutureReader, Linker, Resource, Source, StreamConsumer,
    StreamReader, StreamResult, Val,
};
use wasmtime::{Store, StoreContextMut};

/// Keeps the value a future delivers.
struct Take<T>(Arc<Mutex<Option<T>>>);

impl<D, T: wasmtime::component::Lift + Send + Sync + 'static> FutureConsumer<D> for Take<T> {
    type Item = T;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        store: StoreContextMut<D>,
        mut source: Source<'_, T>,
        _: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let mut value: Option<T> = None;
        source.read(store, &mut value)?;
        *self.0.lock().expect("the value's lock") = value;
        Poll::Ready(Ok(()))
    }
}

/// Keeps the strings a stream delivers; `closed` once its writer dropped
/// (wasmtime drops the consumer then).
#[derive(Default)]
struct Seen {
    items: Vec<String>,
    closed: bool,
}

struct Collect(Arc<Mutex<Seen>>);

impl<D> StreamConsumer<D> for Collect {
    type Item = String;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        store: StoreContextMut<D>,
        mut source: Source<'_, String>,
        _: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let mut items = Vec::with_capacity(16);
        source.read(store, &mut items)?;
        self.0.lock().expect("the lock").items.extend(items);
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

impl Drop for Collect {
    fn drop(&mut self) {
        self.0.lock().expect("the lock").closed = true;
    }
}

/// Runs the store's event loop until `done` holds.
fn run_until(store: &mut Store<()>, done: impl Fn() -> bool + Send + Sync + 'static) {
    drive(store.run_concurrent(async |_| {
        std::future::poll_fn(|context| match done() {
            true => Poll::Ready(()),
            false => {
                context.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }))
    .expect("the event loop");
}

/// The value the host reads from `future` (shown with `{:?}`).
fn read<
    T: wasmtime::component::ComponentType
        + wasmtime::component::Lift
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
>(
    store: &mut Store<()>,
    future: Val,
) -> String {
    format!("{:?}", take_from::<T>(store, future))
}

/// The value the host reads from `future` (`None`: none came).
fn take_from<
    T: wasmtime::component::ComponentType + wasmtime::component::Lift + Send + Sync + 'static,
>(
    store: &mut Store<()>,
    future: Val,
) -> Option<T> {
    let Val::Future(any) = future else {
        panic!("not a future: {future:?}")
    };
    let reader: FutureReader<T> = any.try_into_future_reader().expect("a future of T");
    let got = Arc::new(Mutex::new(None));
    reader
        .pipe(&mut *store, Take(Arc::clone(&got)))
        .expect("the host reads it");
    let seen = Arc::clone(&got);
    run_until(store, move || seen.lock().expect("lock").is_some());
    got.lock().expect("lock").take()
}

/// A stream the host writes `items` to, as a value to pass.
fn host_stream<T>(store: &mut Store<()>, items: Vec<T>) -> Val
where
    T: wasmtime::component::Lower + wasmtime::component::Lift + Send + Sync + Unpin + 'static,
{
    let reader = StreamReader::new(&mut *store, items).expect("a host stream");
    Val::Stream(
        wasmtime::component::StreamAny::try_from_stream_reader(&mut *store, reader)
            .expect("erased"),
    )
}

/// What the host reads from `stream` (a stream of `T`s) in one read of
/// at most `room` items.
fn take_items<T>(store: &mut Store<()>, stream: Val, room: usize) -> Vec<T>
where
    T: wasmtime::component::Lift + Send + Sync + 'static,
{
    let Val::Stream(any) = stream else {
        panic!("not a stream: {stream:?}")
    };
    let reader: StreamReader<T> = any.try_into_stream_reader().expect("a stream of T");
    let items = Arc::new(Mutex::new(Vec::new()));
    reader
        .pipe(&mut *store, Keep(Arc::clone(&items), room, |item| item))
        .expect("the host reads it");
    let read = Arc::clone(&items);
    run_until(store, move || !read.lock().expect("lock").is_empty());
    std::mem::take(&mut *items.lock().expect("lock"))
}

/// `wasm` fused with each memory strategy.
fn fusions(wasm: &[u8]) -> Vec<(MemoryStrategy, Vec<u8>)> {
    [MemoryStrategy::Multi, MemoryStrategy::Shared]
        .map(|memory| {
            let options = Options {
                memory,
                ..Options::default()
            };
            (memory, fuse(&[wasm], &options).expect("fuses").wasm)
        })
        .into()
}

/// A store with `wasm` instantiated by a linker `link` sets up.
fn instantiate(
    wasm: &[u8],
    link: impl FnOnce(&mut Linker<()>),
) -> (Store<()>, wasmtime::component::Instance) {
    let engine = meld_tests::harness::engine().expect("the harness's engine");
    let component = Component::new(engine, wasm).expect("the component compiles");
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX).expect("fuel");
    let mut linker: Linker<()> = Linker::new(engine);
    link(&mut linker);
    let instance = drive(linker.instantiate_async(&mut store, &component)).expect("instantiates");
    (store, instance)
}

/// Calls `instance`'s export `name`, which has one result.
fn call_export(
    store: &mut Store<()>,
    instance: &wasmtime::component::Instance,
    name: &str,
    args: Vec<Val>,
) -> Val {
    let f = instance
        .get_func(&mut *store, name)
        .unwrap_or_else(|| panic!("no export `{name}`"));
    let mut results = vec![Val::Bool(false)];
    drive(
        store.run_concurrent(async |accessor| {
            f.call_concurrent(accessor, &args, &mut results).await
        }),
    )
    .expect("the event loop")
    .unwrap_or_else(|e| panic!("`{name}` failed: {e:?}"));
    results.pop().expect("one result")
}

/// What the script below sees on `wasm`: each line a value.
fn script(wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    let written = |store: &mut Store<()>, v: u32| -> Val {
        let reader = FutureReader::new(&mut *store, async move { Ok::<u32, wasmtime::Error>(v) })
            .expect("a host future");
        Val::Future(FutureAny::try_from_future_reader(&mut *store, reader).expect("erased"))
    };
    let mut seen = Vec::new();
    for v in [41, 7] {
        let made = call(&mut store, "make", vec![Val::U32(v)]);
        seen.push(format!("make({v}) = {}", read::<u32>(&mut store, made)));
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
    seen.push(format!("relay(10) = {}", read::<u32>(&mut store, relayed)));
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
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(script(&fused), original, "{memory:?}");
    }
}

/// The test host's resource.
/// Keeps what a stream of `T` delivers, at most `room` items in one read,
/// each as `keep` makes it (the things by their reps).
struct Keep<T, R>(Arc<Mutex<Vec<R>>>, usize, fn(T) -> R);

impl<D, T, R> StreamConsumer<D> for Keep<T, R>
where
    T: wasmtime::component::Lift + Send + Sync + 'static,
    R: Send + 'static,
{
    type Item = T;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        store: StoreContextMut<D>,
        mut source: Source<'_, Self::Item>,
        _: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let mut items = Vec::with_capacity(self.1);
        source.read(store, &mut items)?;
        let kept = items.into_iter().map(self.2);
        self.0.lock().expect("the lock").extend(kept);
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// The values of the host's things `things`.
fn reps(store: &mut Store<()>, things: &[Val]) -> Vec<u32> {
    things
        .iter()
        .map(|thing| match thing {
            Val::Resource(any) => Resource::<Thing>::try_from_resource_any(*any, &mut *store)
                .expect("a thing of the host's")
                .rep(),
            other => panic!("not a thing: {other:?}"),
        })
        .collect()
}

/// `wasm` with the things linked, after `hold(9)`; its exports `names`.
fn held<const N: usize>(
    wasm: &[u8],
    names: [&str; N],
) -> (Store<()>, [wasmtime::component::Func; N]) {
    let (mut store, instance) = instantiate(wasm, link_things);
    let hold = instance
        .get_func(&mut store, "hold")
        .expect("no export `hold`");
    drive(store.run_concurrent(async |accessor| {
        hold.call_concurrent(accessor, &[Val::U32(9)], &mut [])
            .await
    }))
    .expect("the event loop")
    .expect("hold");
    let funcs = names.map(|name| {
        instance
            .get_func(&mut store, name)
            .unwrap_or_else(|| panic!("no export `{name}`"))
    });
    (store, funcs)
}

/// What `async_export_window.wat` does on `wasm` with `guess`: `hold(9)`,
/// then `spin(guess)` and `take([thing 7])` called at once; their results.
fn window_script(wasm: &[u8], guess: u32) -> String {
    let (mut store, [spin, take]) = held(wasm, ["spin", "take"]);
    let thing = wasmtime::component::ResourceAny::try_from_resource(
        Resource::<Thing>::new_own(7),
        &mut store,
    )
    .expect("a thing");
    let things = [Val::List(vec![Val::Resource(thing)])];
    let guess = [Val::U32(guess)];
    let (mut spun, mut taken) = (vec![Val::Bool(false)], vec![Val::Bool(false)]);
    at_once(
        &mut store,
        (spin, &guess, &mut spun),
        (take, &things, &mut taken),
    )
    .expect("spin and take");
    format!("spin = {:?}, take = {:?}", spun[0], taken[0])
}

/// Calls two exports at once (the first first) and waits for both; the
/// first error, if any.
fn at_once(
    store: &mut Store<()>,
    (f, f_args, f_out): (wasmtime::component::Func, &[Val], &mut [Val]),
    (g, g_args, g_out): (wasmtime::component::Func, &[Val], &mut [Val]),
) -> wasmtime::Result<()> {
    drive(store.run_concurrent(async |accessor| {
        let mut f = pin!(f.call_concurrent(accessor, f_args, f_out));
        let mut g = pin!(g.call_concurrent(accessor, g_args, g_out));
        let (mut a, mut b) = (None, None);
        std::future::poll_fn(|context| {
            if a.is_none()
                && let Poll::Ready(done) = f.as_mut().poll(context)
            {
                a = Some(done);
            }
            if b.is_none()
                && let Poll::Ready(done) = g.as_mut().poll(context)
            {
                b = Some(done);
            }
            match (a.take(), b.take()) {
                (Some(x), Some(y)) => Poll::Ready((x, y)),
                (x, y) => {
                    (a, b) = (x, y);
                    Poll::Pending
                }
            }
        })
        .await
    }))
    .and_then(|(x, y)| x.and(y))
}

/// What `async_result_window.wat` does on `wasm` with `guess`: `hold(9)`,
/// then `spin(guess)` and `give()` called at once; their results, the
/// things `give` gave by their values.
fn result_window_script(wasm: &[u8], guess: u32) -> String {
    let (mut store, [spin, give]) = held(wasm, ["spin", "give"]);
    let guess = [Val::U32(guess)];
    let (mut spun, mut given) = (vec![Val::Bool(false)], vec![Val::Bool(false)]);
    if at_once(
        &mut store,
        (spin, &guess, &mut spun),
        (give, &[], &mut given),
    )
    .is_err()
    {
        // (meld's trap messages are its own)
        return "trap".to_string();
    }
    let Val::List(things) = &given[0] else {
        panic!("not a list: {:?}", given[0])
    };
    format!(
        "spin = {:?}, give = {:?}",
        spun[0],
        reps(&mut store, things)
    )
}

/// `async_result_window.wat`: a sync export's result through memory goes
/// to the host from meld's memory, where the component's other tasks,
/// which meld's runtime may run before the host reads it, cannot change
/// the handle numbers in it. Before, a guess of 1 gave the host the other
/// component's thing (9), and other guesses trapped.
#[test]
fn sync_export_results_stay_out_of_reach() {
    let wasm = wat::parse_str(include_str!("async_result_window.wat")).expect("the WAT parses");
    let original: Vec<String> = (0..6).map(|g| result_window_script(&wasm, g)).collect();
    assert!(
        original
            .iter()
            .all(|seen| seen == "spin = U32(1), give = [7]"),
        "{original:?}"
    );
    for (memory, fused) in fusions(&wasm) {
        for (guess, expected) in original.iter().enumerate() {
            assert_eq!(
                &result_window_script(&fused, guess as u32),
                expected,
                "{memory:?}, guess {guess}"
            );
        }
    }
}

/// `async_export_window.wat`: the parameters of a call of an async export
/// that waits for its task to start (here behind backpressure) never lie
/// in the component's memory meanwhile: fused, they wait in meld's memory
/// (and the component's realloc is called when the task starts, as in
/// wasmtime), so no guess the component writes there reaches the other
/// component's thing. Before they were staged, a guess of 1 did.
#[test]
fn export_parameters_wait_for_their_task() {
    let wasm = wat::parse_str(include_str!("async_export_window.wat")).expect("the WAT parses");
    let expected = "spin = U32(0), take = U32(7)";
    for guess in 0..6 {
        assert_eq!(
            window_script(&wasm, guess),
            expected,
            "original, guess {guess}"
        );
    }
    for (memory, fused) in fusions(&wasm) {
        for guess in 0..6 {
            assert_eq!(
                window_script(&fused, guess),
                expected,
                "{memory:?}, guess {guess}"
            );
        }
    }
}

/// `async_export_window.wat`'s `values`: a staged async export (its
/// parameters hold handles in memory) whose result is returned through
/// memory gives the host the things' values and the things themselves,
/// as in the original, with both strategies (meld refused it before).
#[test]
fn staged_export_results_reach_the_host() {
    let wasm = wat::parse_str(include_str!("async_export_window.wat")).expect("the WAT parses");
    let values = |wasm: &[u8]| {
        let (mut store, [values]) = held(wasm, ["values"]);
        let things: Vec<Val> = [5, 6]
            .map(|v| {
                let own = Resource::<Thing>::new_own(v);
                let any = wasmtime::component::ResourceAny::try_from_resource(own, &mut store)
                    .expect("a thing");
                Val::Resource(any)
            })
            .into();
        let mut out = vec![Val::Bool(false)];
        drive(store.run_concurrent(async |accessor| {
            values
                .call_concurrent(accessor, &[Val::List(things)], &mut out)
                .await
        }))
        .expect("the event loop")
        .expect("values");
        let Some(Val::Tuple(pair)) = out.pop() else {
            panic!("not a pair")
        };
        let [Val::List(numbers), Val::List(things)] = pair.as_slice() else {
            panic!("not two lists: {pair:?}")
        };
        format!("{numbers:?} {:?}", reps(&mut store, things))
    };
    let expected = "[U32(5), U32(6)] [5, 6]";
    assert_eq!(values(&wasm), expected, "original");
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(values(&fused), expected, "{memory:?}");
    }
}

/// What `async_root_handles.wat` does on `wasm`: each line a value.
fn handles_script(wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instantiate(wasm, link_things);
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    let mut seen = Vec::new();
    type Outcome = Result<Resource<Thing>, String>;
    for v in [5, 0, 6] {
        let given = call(&mut store, "give", vec![Val::U32(v)]);
        let value = take_from::<Outcome>(&mut store, given).map(|r| r.map(|t| t.rep()));
        seen.push(format!("give({v}) = {value:?}"));
        seen.push(format!("made = {:?}", call(&mut store, "made", vec![])));
    }
    for value in [Ok(7), Err("gone")] {
        let written: Outcome = value
            .map(Resource::<Thing>::new_own)
            .map_err(str::to_string);
        let reader = FutureReader::new(&mut store, async { Ok::<_, wasmtime::Error>(written) })
            .expect("a host future");
        let future =
            Val::Future(FutureAny::try_from_future_reader(&mut store, reader).expect("erased"));
        let started = call(&mut store, "take", vec![future]);
        let took = call(&mut store, "took", vec![]);
        seen.push(format!("take({value:?}) = {started:?}, {took:?}"));
    }
    seen.push(format!(
        "cancel(8) = {:?}",
        call(&mut store, "cancel", vec![Val::U32(8)])
    ));
    let many = call(&mut store, "many", vec![Val::U32(3)]);
    let Val::Stream(any) = many else {
        panic!("not a stream: {many:?}")
    };
    let reader: StreamReader<(String, Resource<Thing>)> =
        any.try_into_stream_reader().expect("a stream of pairs");
    let pairs = Arc::new(Mutex::new(Vec::new()));
    let pair = |(k, thing): (String, Resource<Thing>)| (k, thing.rep());
    reader
        .pipe(&mut store, Keep(Arc::clone(&pairs), 2, pair))
        .expect("the host reads it");
    let read = Arc::clone(&pairs);
    run_until(&mut store, move || !read.lock().expect("lock").is_empty());
    seen.push(format!("many(3) = {:?}", pairs.lock().expect("lock")));
    seen.push(format!("third = {:?}", call(&mut store, "third", vec![])));
    let bunches = call(&mut store, "bunches", vec![]);
    let Val::Stream(any) = bunches else {
        panic!("not a stream: {bunches:?}")
    };
    let reader: StreamReader<Vec<Resource<Thing>>> =
        any.try_into_stream_reader().expect("a stream of lists");
    let lists = Arc::new(Mutex::new(Vec::new()));
    let reps = |things: Vec<Resource<Thing>>| things.iter().map(Resource::rep).collect::<Vec<_>>();
    reader
        .pipe(&mut store, Keep(Arc::clone(&lists), 1, reps))
        .expect("the host reads it");
    let read = Arc::clone(&lists);
    run_until(&mut store, move || !read.lock().expect("lock").is_empty());
    seen.push(format!("bunches = {:?}", lists.lock().expect("lock")));
    seen.push(format!(
        "leftover = {:?}",
        call(&mut store, "leftover", vec![])
    ));
    let own = |v| Resource::<Thing>::new_own(v);
    let lists = vec![vec![own(5), own(6)], vec![own(7)]];
    let stream = host_stream(&mut store, lists);
    let started = call(&mut store, "gather", vec![stream]);
    let gathered = call(&mut store, "gathered", vec![]);
    seen.push(format!("gather = {started:?}, {gathered:?}"));
    seen
}

/// `async_root_handles.wat`: futures of results (a host's thing or a
/// string), a stream of pairs (a string and a thing) and one of lists of
/// things written to the host and read from it (the copies staged in meld's memory): the
/// values, the handle numbers (a thing the host took leaves the
/// component's table, one a cancelled write or a partial read left
/// stays), as the original has them.
#[test]
fn host_things_cross_the_boundary() {
    let wasm = wat::parse_str(include_str!("async_root_handles.wat")).expect("the WAT parses");
    let original = handles_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "give(5) = Some(Ok(5))",
            "made = U32(3)",
            "give(0) = Some(Err(\"none\"))",
            "made = U32(3)",
            "give(6) = Some(Ok(6))",
            "made = U32(5)",
            "take(Ok(7)) = U32(4294967295), U32(6007)",
            "take(Err(\"gone\")) = U32(4294967295), U32(41)",
            "cancel(8) = U32(2008)",
            "many(3) = [(\"k1\", 1), (\"k2\", 2)]",
            "third = U32(3)",
            "bunches = [[1, 2]]",
            "leftover = U32(3)",
            "gather = U32(4294967295), U32(3321567)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(handles_script(&fused), original, "{memory:?}");
    }
}

/// What `async_root_contexts.wat` does on `wasm`: each line a value.
fn contexts_script(wasm: &[u8]) -> Vec<String> {
    use wasmtime::component::ErrorContext;
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    let mut seen = Vec::new();
    type Outcome = Result<u32, ErrorContext>;
    let mut read_back = None;
    for v in [5, 0] {
        let given = call(&mut store, "give", vec![Val::U32(v)]);
        match take_from::<Outcome>(&mut store, given) {
            Some(Ok(n)) => seen.push(format!("give({v}) = ok({n})")),
            Some(Err(e)) => {
                seen.push(format!("give({v}) = err"));
                read_back = Some(e);
            }
            None => seen.push(format!("give({v}) = nothing")),
        }
    }
    seen.push(format!("made = {:?}", call(&mut store, "made", vec![])));
    let error = read_back.expect("an error context from `give(0)`");
    for value in [Outcome::Ok(7), Err(error)] {
        let shown = match &value {
            Ok(n) => format!("ok({n})"),
            Err(_) => "err".to_string(),
        };
        let reader = FutureReader::new(&mut store, async { Ok::<_, wasmtime::Error>(value) })
            .expect("a host future");
        let future =
            Val::Future(FutureAny::try_from_future_reader(&mut store, reader).expect("erased"));
        let started = call(&mut store, "take", vec![future]);
        let took = call(&mut store, "took", vec![]);
        seen.push(format!("take({shown}) = {started:?}, {took:?}"));
    }
    seen.push(format!("cancel = {:?}", call(&mut store, "cancel", vec![])));
    let many = call(&mut store, "many", vec![Val::U32(3)]);
    let Val::Stream(any) = many else {
        panic!("not a stream: {many:?}")
    };
    let reader: StreamReader<ErrorContext> = any
        .try_into_stream_reader()
        .expect("a stream of error contexts");
    let errors = Arc::new(Mutex::new(Vec::new()));
    reader
        .pipe(
            &mut store,
            Keep(Arc::clone(&errors), 2, |e: ErrorContext| e),
        )
        .expect("the host reads it");
    let read = Arc::clone(&errors);
    run_until(&mut store, move || !read.lock().expect("lock").is_empty());
    let errors = std::mem::take(&mut *errors.lock().expect("lock"));
    seen.push(format!("many(3) = {} read", errors.len()));
    for k in 1..=3 {
        seen.push(format!(
            "kept({k}) = {:?}",
            call(&mut store, "kept", vec![Val::U32(k)])
        ));
    }
    let stream = host_stream(&mut store, errors);
    let started = call(&mut store, "gather", vec![stream]);
    let gathered = call(&mut store, "gathered", vec![]);
    let second = call(&mut store, "second", vec![]);
    seen.push(format!("gather = {started:?}, {gathered:?}, {second:?}"));
    seen
}

/// `async_root_contexts.wat`: error contexts in a future of results and
/// in a stream, written to the host and read from it (the copies staged
/// in meld's memory): the values, the handle numbers and the debug
/// messages (an error context the host took stays the writer's), as the
/// original has them.
#[test]
fn error_contexts_cross_the_boundary() {
    let wasm = wat::parse_str(include_str!("async_root_contexts.wat")).expect("the WAT parses");
    let original = contexts_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "give(5) = ok(5)",
            "give(0) = err",
            "made = U32(4061)",
            "take(ok(7)) = U32(4294967295), U32(7)",
            "take(err) = U32(4294967295), U32(16061)",
            "cancel = U32(208062)",
            "many(3) = 2 read",
            "kept(1) = U32(10061)",
            "kept(2) = U32(11062)",
            "kept(3) = U32(12063)",
            "gather = U32(4294967295), U32(3313061), U32(14062)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(contexts_script(&fused), original, "{memory:?}");
    }
}

/// Calls function `name` (`instance.function`) of one of `instance`'s
/// exported instances; its result (`false` for none).
fn call_in(
    store: &mut Store<()>,
    instance: &wasmtime::component::Instance,
    name: &str,
    args: Vec<Val>,
) -> Val {
    let (outer, name) = name.split_once('.').expect("an instance's function");
    let outer = instance
        .get_export_index(&mut *store, None, outer)
        .expect("an exported instance");
    let index = instance
        .get_export_index(&mut *store, Some(&outer), name)
        .expect("an exported function");
    let f = instance.get_func(&mut *store, index).expect("a function");
    let mut results = vec![Val::Bool(false); f.ty(&*store).results().len()];
    drive(
        store.run_concurrent(async |accessor| {
            f.call_concurrent(accessor, &args, &mut results).await
        }),
    )
    .expect("the event loop")
    .unwrap_or_else(|e| panic!("`{name}` failed: {e:?}"));
    results.pop().unwrap_or(Val::Bool(false))
}

/// What `async_root_inner.wat` does on `wasm`: each line a value.
fn inner_things_script(wasm: &[u8]) -> Vec<String> {
    use wasmtime::component::ResourceAny;
    let (mut store, instance) = instantiate(wasm, |_| {});
    // `d.make`, `b.gather`, ...: a function of an exported instance
    let call = |store: &mut Store<()>, name: &str, args| call_in(store, &instance, name, args);
    let things = |store: &mut Store<()>, reps: [u32; 2]| -> Vec<ResourceAny> {
        reps.iter()
            .map(|&v| match call(store, "d.make", vec![Val::U32(v)]) {
                Val::Resource(thing) => thing,
                other => panic!("not a thing: {other:?}"),
            })
            .collect()
    };
    let mut seen = Vec::new();
    let made = things(&mut store, [5, 6]);
    let stream = host_stream(&mut store, made);
    let started = call(&mut store, "d.take", vec![stream]);
    let took = call(&mut store, "d.took", vec![]);
    seen.push(format!("take = {started:?}, {took:?}"));
    let made = things(&mut store, [7, 8]);
    let stream = host_stream(&mut store, made);
    let started = call(&mut store, "b.gather", vec![stream]);
    let gathered = call(&mut store, "b.gathered", vec![]);
    seen.push(format!("gather = {started:?}, {gathered:?}"));
    let dropped = call(&mut store, "d.dropped", vec![]);
    seen.push(format!("dropped = {dropped:?}"));
    call(&mut store, "b.release", vec![]);
    let dropped = call(&mut store, "d.dropped", vec![]);
    seen.push(format!("after release, dropped = {dropped:?}"));
    seen
}

/// `async_root_inner.wat`: the host writes own handles of a resource an
/// inner component defines (and the root exports) into streams, read by
/// that component and by another one: the reads' codes, the reps and
/// handle numbers, and the destructor's runs, as in the original.
#[test]
fn inner_things_come_from_the_host() {
    let wasm = wat::parse_str(include_str!("async_root_inner.wat")).expect("the WAT parses");
    let original = inner_things_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "take = U32(33), U32(3300506)",
            "gather = U32(33), U32(3300203)",
            "dropped = U32(0)",
            "after release, dropped = U32(8)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(inner_things_script(&fused), original, "{memory:?}");
    }
}

/// What `async_root_inner_out.wat` does on `wasm`: each line a value.
fn inner_out_script(wasm: &[u8]) -> Vec<String> {
    use wasmtime::component::ResourceAny;
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str, args| call_in(store, &instance, name, args);
    let value = |store: &mut Store<()>, thing: ResourceAny| {
        call(store, "d.value", vec![Val::Resource(thing)])
    };
    let release = |store: &mut Store<()>, thing: ResourceAny| {
        drive(thing.resource_drop_async(&mut *store)).expect("the host drops a thing");
    };
    let mut seen = Vec::new();
    let mut kept = Vec::new();
    for v in [5, 6] {
        let given = call(&mut store, "d.give", vec![Val::U32(v)]);
        let thing = take_from::<ResourceAny>(&mut store, given).expect("a thing");
        let rep = value(&mut store, thing);
        let made = call(&mut store, "d.made", vec![]);
        seen.push(format!("give({v}) = {rep:?}, made {made:?}"));
        kept.push(thing);
    }
    release(&mut store, kept.remove(0));
    let dropped = call(&mut store, "d.dropped", vec![]);
    seen.push(format!("host drops 5: dropped = {dropped:?}"));
    let cancelled = call(&mut store, "d.cancel", vec![Val::U32(8)]);
    let dropped = call(&mut store, "d.dropped", vec![]);
    seen.push(format!("cancel(8) = {cancelled:?}, dropped = {dropped:?}"));
    let many = call(&mut store, "d.many", vec![Val::U32(3)]);
    let mut read = Vec::new();
    for (k, thing) in take_items::<(u32, ResourceAny)>(&mut store, many, 2) {
        read.push((k, value(&mut store, thing)));
        kept.push(thing);
    }
    let after = call(&mut store, "d.after", vec![]);
    seen.push(format!("many(3) = {read:?}, after = {after:?}"));
    let bunches = call(&mut store, "d.bunches", vec![]);
    let mut read = Vec::new();
    for list in take_items::<Vec<ResourceAny>>(&mut store, bunches, 1) {
        let reps: Vec<Val> = list.iter().map(|t| value(&mut store, *t)).collect();
        read.push(reps);
        kept.extend(list);
    }
    let leftover = call(&mut store, "d.leftover", vec![]);
    seen.push(format!("bunches = {read:?}, leftover = {leftover:?}"));
    let given = call(&mut store, "b.give", vec![Val::U32(7)]);
    let thing = take_from::<ResourceAny>(&mut store, given).expect("a thing");
    let rep = value(&mut store, thing);
    let settled = call(&mut store, "b.settled", vec![]);
    seen.push(format!("b.give(7) = {rep:?}, settled = {settled:?}"));
    kept.push(thing);
    let mut given = call(&mut store, "b.give", vec![Val::U32(9)]);
    let Val::Future(any) = &mut given else {
        panic!("not a future: {given:?}")
    };
    any.close(&mut store).expect("the host drops the future");
    let settled = call(&mut store, "b.settled", vec![]);
    let dropped = call(&mut store, "d.dropped", vec![]);
    seen.push(format!(
        "b.give(9), unread = settled {settled:?}, dropped = {dropped:?}"
    ));
    for thing in kept {
        release(&mut store, thing);
    }
    let dropped = call(&mut store, "d.dropped", vec![]);
    seen.push(format!("host drops the rest: dropped = {dropped:?}"));
    seen
}

/// `async_root_inner_out.wat`: own handles of a resource an inner
/// component defines (and the root exports), written to the host by that
/// component and by another one, in futures and in a stream of pairs:
/// the values the host reads, the writer's handle numbers once the host
/// took a thing, a cancelled write, a partial read, an unread future
/// (the writer keeps its thing, and no destructor runs until it drops
/// it), and the destructor's runs as the host drops what it took, as in
/// the original.
#[test]
fn inner_things_reach_the_host() {
    let wasm = wat::parse_str(include_str!("async_root_inner_out.wat")).expect("the WAT parses");
    let original = inner_out_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "give(5) = U32(5), made U32(3)",
            "give(6) = U32(6), made U32(4)",
            "host drops 5: dropped = U32(1005)",
            "cancel(8) = U32(2008), dropped = U32(2008)",
            "many(3) = [(1, U32(1)), (2, U32(2))], after = U32(3200603)",
            "bunches = [[U32(1), U32(2)]], leftover = U32(1103)",
            "b.give(7) = U32(7), settled = U32(0)",
            "b.give(9), unread = settled U32(1009), dropped = U32(3009)",
            "host drops the rest: dropped = U32(9007)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(inner_out_script(&fused), original, "{memory:?}");
    }
}

/// What `async_root_ends_out.wat` does on `wasm`: each line a value.
fn ends_out_script(wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    // the value the host reads from a future of u32 it was given
    let value = |store: &mut Store<()>, end: FutureReader<u32>| {
        let end = FutureAny::try_from_future_reader(&mut *store, end).expect("erased");
        read::<u32>(store, Val::Future(end))
    };
    let mut seen = Vec::new();
    for v in [5, 6] {
        let given = call(&mut store, "give", vec![Val::U32(v)]);
        let end = take_from::<FutureReader<u32>>(&mut store, given).expect("an end");
        let made = call(&mut store, "made", vec![]);
        let got = value(&mut store, end);
        seen.push(format!("give({v}) = {got}, made {made:?}"));
    }
    let cancelled = call(&mut store, "cancel", vec![Val::U32(8)]);
    seen.push(format!("cancel(8) = {cancelled:?}"));
    let many = call(&mut store, "many", vec![Val::U32(3)]);
    let ends = take_items::<FutureReader<u32>>(&mut store, many, 2);
    let values: Vec<String> = ends.into_iter().map(|end| value(&mut store, end)).collect();
    let third = call(&mut store, "third", vec![]);
    seen.push(format!("many(3) = {values:?}, third = {third:?}"));
    let bunches = call(&mut store, "bunches", vec![]);
    let mut values = Vec::new();
    for list in take_items::<Vec<FutureReader<u32>>>(&mut store, bunches, 1) {
        let got: Vec<String> = list.into_iter().map(|end| value(&mut store, end)).collect();
        values.push(got);
    }
    let leftover = call(&mut store, "leftover", vec![]);
    seen.push(format!("bunches = {values:?}, leftover = {leftover:?}"));
    seen
}

/// `async_root_ends_out.wat`: readable ends of futures written to the
/// host in a future and in a stream (the copies staged, the writer's ends
/// lent until they are settled): the values the host reads through them,
/// the writer's handle numbers once the host took an end, a cancelled
/// write whose end the writer reads itself, and a partial read, as in the
/// original.
#[test]
fn ends_reach_the_host_in_elements() {
    let wasm = wat::parse_str(include_str!("async_root_ends_out.wat")).expect("the WAT parses");
    let original = ends_out_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "give(5) = Some(5), made U32(3)",
            "give(6) = Some(6), made U32(5)",
            "cancel(8) = U32(2008)",
            "many(3) = [\"Some(1)\", \"Some(2)\"], third = U32(3)",
            "bunches = [[\"Some(1)\", \"Some(2)\"]], leftover = U32(3)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(ends_out_script(&fused), original, "{memory:?}");
    }
}

/// What `join()` of `async_root_ends_out.wat` does on `wasm` after
/// `lend()` (an end written to the host, which has not read it): its
/// result, or how it failed.
fn join_lent_script(wasm: &[u8]) -> String {
    let (mut store, instance) = instantiate(wasm, |_| {});
    let _unread = call_export(&mut store, &instance, "lend", vec![]);
    let join = instance.get_func(&mut store, "join").expect("`join`");
    let mut results = vec![Val::Bool(false)];
    let outcome =
        drive(store.run_concurrent(async |accessor| {
            join.call_concurrent(accessor, &[], &mut results).await
        }))
        .and_then(|called| called);
    match outcome {
        Ok(()) => format!("join = {:?}", results[0]),
        Err(e) if e.downcast_ref::<wasmtime::Trap>().is_some() => "join traps".to_string(),
        Err(e) => format!("join fails: {e:?}"),
    }
}

/// A known difference, pinned: an end written to the host is lent to the
/// write until the host has read it, and joining it to a waitable set
/// meanwhile traps when fused; wasmtime lets the component join it (and
/// would fail the host's read of it instead).
#[test]
fn a_lent_end_cannot_join_a_set() {
    for text in [
        include_str!("async_root_ends_out.wat"),
        include_str!("async_root_bridged_out.wat"),
    ] {
        let wasm = wat::parse_str(text).expect("the WAT parses");
        assert_eq!(join_lent_script(&wasm), "join = U32(1)");
        for (memory, fused) in fusions(&wasm) {
            assert_eq!(join_lent_script(&fused), "join traps", "{memory:?}");
        }
    }
}

/// What `async_root_nested.wat` does on `wasm`: each line a value.
fn nested_script(wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    let futures = [41u32, 42].map(|v| {
        FutureReader::new(&mut store, async move { Ok::<u32, wasmtime::Error>(v) })
            .expect("a host future")
    });
    let stream = host_stream(&mut store, Vec::from(futures));
    let mut seen = Vec::new();
    let started = call(&mut store, "gather", vec![stream]);
    let gathered = call(&mut store, "gathered", vec![]);
    seen.push(format!("gather = {started:?}, {gathered:?}"));
    for k in [2, 1] {
        let started = call(&mut store, "read", vec![Val::U32(k)]);
        let got = call(&mut store, "got", vec![]);
        seen.push(format!("read({k}) = {started:?}, {got:?}"));
    }
    seen
}

/// `async_root_nested.wat`: readable ends of futures in a stream the host
/// writes come into the reader's table (standing for the fused
/// component's ends, as a call's result does) and are read there, as in
/// the original. (Writing ends to the host stays refused, see below.)
#[test]
fn futures_in_a_stream_come_from_the_host() {
    let wasm = wat::parse_str(include_str!("async_root_nested.wat")).expect("the WAT parses");
    let original = nested_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "gather = U32(4294967295), U32(33)",
            "read(2) = U32(0), U32(42)",
            "read(1) = U32(0), U32(41)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(nested_script(&fused), original, "{memory:?}");
    }
}

/// What `async_root_bridged_out.wat` does on `wasm`: each line a value.
fn bridged_out_script(wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    // the end of a future of strings the host takes from a future of them
    let end = |store: &mut Store<()>, outer: Val| {
        let end = take_from::<FutureReader<String>>(store, outer).expect("an end");
        Val::Future(FutureAny::try_from_future_reader(&mut *store, end).expect("erased"))
    };
    // the end of a stream of strings the host takes from a future of them
    let stream = |store: &mut Store<()>, outer: Val| {
        let end = take_from::<StreamReader<String>>(store, outer).expect("an end");
        Val::Stream(
            wasmtime::component::StreamAny::try_from_stream_reader(&mut *store, end)
                .expect("erased"),
        )
    };
    let mut seen = Vec::new();
    let given = call(&mut store, "give", vec![Val::U32(2)]);
    let given = end(&mut store, given);
    let next = call(&mut store, "next", vec![]);
    seen.push(format!(
        "give(2) = {}, next {next:?}",
        read::<String>(&mut store, given)
    ));
    // the host takes the end, then the component writes
    let lent = call(&mut store, "lend", vec![]);
    let lent = end(&mut store, lent);
    let filled = call(&mut store, "fill", vec![Val::U32(3)]);
    seen.push(format!(
        "lend, fill(3) = {filled:?}, {}",
        read::<String>(&mut store, lent)
    ));
    // the component writes before the host takes the end
    let lent = call(&mut store, "lend", vec![]);
    let filled = call(&mut store, "fill", vec![Val::U32(4)]);
    let lent = end(&mut store, lent);
    seen.push(format!(
        "lend, fill(4) = {filled:?}, {}",
        read::<String>(&mut store, lent)
    ));
    // not taken, its write pending: the end is the component's again
    let cancelled = call(&mut store, "cancel", vec![Val::U32(5)]);
    let next = call(&mut store, "next", vec![]);
    seen.push(format!("cancel(5) = {cancelled:?}, next {next:?}"));
    let again = call(&mut store, "regive", vec![]);
    let again = end(&mut store, again);
    seen.push(format!("regive = {}", read::<String>(&mut store, again)));
    // not taken, nothing written yet
    let quiet = call(&mut store, "quiet", vec![]);
    let filled = call(&mut store, "fill-kept", vec![Val::U32(6)]);
    let again = call(&mut store, "regive", vec![]);
    let again = end(&mut store, again);
    seen.push(format!(
        "quiet = {quiet:?}, fill-kept(6) = {filled:?}, regive = {}",
        read::<String>(&mut store, again)
    ));
    // not taken, written meanwhile
    let held = call(&mut store, "hold", vec![]);
    let filled = call(&mut store, "fill-kept", vec![Val::U32(7)]);
    let unheld = call(&mut store, "unhold", vec![]);
    let again = call(&mut store, "regive", vec![]);
    let again = end(&mut store, again);
    seen.push(format!(
        "hold = {held:?}, fill-kept(7) = {filled:?}, unhold = {unheld:?}, regive = {}",
        read::<String>(&mut store, again)
    ));
    let spoken = call(&mut store, "spoken", vec![Val::U32(3)]);
    let spoken = stream(&mut store, spoken);
    seen.push(format!("spoken(3) = {}", collect(&mut store, spoken, 3)));
    // not taken, its writer dropped meanwhile
    let silent = call(&mut store, "silent", vec![]);
    let again = call(&mut store, "resay", vec![]);
    let again = stream(&mut store, again);
    seen.push(format!(
        "silent = {silent:?}, resay = {}",
        collect(&mut store, again, usize::MAX)
    ));
    let many = call(&mut store, "many", vec![Val::U32(3)]);
    let ends = take_items::<FutureReader<String>>(&mut store, many, 2);
    let values: Vec<String> = ends
        .into_iter()
        .map(|end| {
            let end = FutureAny::try_from_future_reader(&mut store, end).expect("erased");
            read::<String>(&mut store, Val::Future(end))
        })
        .collect();
    let third = call(&mut store, "third", vec![]);
    let third = end(&mut store, third);
    seen.push(format!(
        "many(3) = {values:?}, third = {}",
        read::<String>(&mut store, third)
    ));
    let bunches = call(&mut store, "bunches", vec![]);
    let mut values = Vec::new();
    for list in take_items::<Vec<FutureReader<String>>>(&mut store, bunches, 1) {
        for end in list {
            let end = FutureAny::try_from_future_reader(&mut store, end).expect("erased");
            values.push(read::<String>(&mut store, Val::Future(end)));
        }
    }
    let leftover = call(&mut store, "leftover", vec![]);
    let leftover = end(&mut store, leftover);
    seen.push(format!(
        "bunches = {values:?}, leftover = {}",
        read::<String>(&mut store, leftover)
    ));
    seen
}

/// `async_root_bridged_out.wat`: readable ends of futures and streams of
/// strings, which meld carries itself while an inner component holds both
/// ends, written to the host in a future and in a stream: the host takes
/// them before or after the writer writes, or does not take them (the
/// write cancelled, the stream's writer dropping meanwhile), and the end
/// is then the component's again and given once more, as in the original.
#[test]
fn bridged_ends_reach_the_host_in_elements() {
    let wasm = wat::parse_str(include_str!("async_root_bridged_out.wat")).expect("the WAT parses");
    let original = bridged_out_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            r#"give(2) = Some("two"), next U32(1)"#,
            r#"lend, fill(3) = U32(4294967295), Some("three")"#,
            r#"lend, fill(4) = U32(4294967295), Some("four")"#,
            "cancel(5) = U32(2), next U32(11)",
            r#"regive = Some("five")"#,
            r#"quiet = U32(2), fill-kept(6) = U32(4294967295), regive = Some("six")"#,
            r#"hold = U32(0), fill-kept(7) = U32(4294967295), unhold = U32(2), regive = Some("seven")"#,
            r#"spoken(3) = ["one", "two", "three"] closed: false"#,
            "silent = U32(2), resay = [] closed: true",
            r#"many(3) = ["Some(\"one\")", "Some(\"two\")"], third = Some("three")"#,
            r#"bunches = ["Some(\"one\")", "Some(\"two\")"], leftover = Some("three")"#,
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(bridged_out_script(&fused), original, "{memory:?}");
    }
    // The same where the component imports the families' cancel-write
    // and drop-readable built-ins, which meld then uses to take a write
    // back from the host's stream and to drop its unused readable end.
    let text = include_str!("async_root_bridged_out.wat")
        .replace(
            "    (core func $ff-new (canon future.new $ff))\n",
            "    (core func $ff-new (canon future.new $ff))\n\
             (core func $f-cancel (canon future.cancel-write $f async))\n\
             (core func $s-cancel (canon stream.cancel-write $s async))\n\
             (core func $s-drop-r (canon stream.drop-readable $s))\n",
        )
        .replace(
            "      (import \"cm\" \"ff-new\" (func $ff-new (result i64)))\n",
            "      (import \"cm\" \"ff-new\" (func $ff-new (result i64)))\n\
             (import \"cm\" \"f-cancel\" (func (param i32) (result i32)))\n\
             (import \"cm\" \"s-cancel\" (func (param i32) (result i32)))\n\
             (import \"cm\" \"s-drop-r\" (func (param i32)))\n",
        )
        .replace(
            "(export \"sf-new\" (func $sf-new))",
            "(export \"sf-new\" (func $sf-new)) (export \"f-cancel\" (func $f-cancel)) \
             (export \"s-cancel\" (func $s-cancel)) (export \"s-drop-r\" (func $s-drop-r))",
        );
    assert!(
        text.contains("$s-drop-r))"),
        "the variant's built-ins are in"
    );
    let wasm = wat::parse_str(&text).expect("the variant parses");
    assert_eq!(bridged_out_script(&wasm), original, "the variant");
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(
            bridged_out_script(&fused),
            original,
            "the variant, {memory:?}"
        );
    }
}

/// What `async_root_crossing.wat` does on `wasm`: each line a value.
fn crossing_script(wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instantiate(wasm, link_things);
    let call = |store: &mut Store<()>, name: &str, args| call_export(store, &instance, name, args);
    let rep = |store: &mut Store<()>, future: Val| {
        take_from::<Resource<Thing>>(store, future).map(|thing| thing.rep())
    };
    let mut seen = Vec::new();
    let given = call(&mut store, "give", vec![Val::U32(5)]);
    seen.push(format!("give(5) = {:?}", rep(&mut store, given)));
    let relayed = call(&mut store, "relay", vec![Val::U32(6)]);
    seen.push(format!("relay(6) = {:?}", rep(&mut store, relayed)));
    let peeked = call(&mut store, "peek", vec![Val::U32(7)]);
    let handle = call(&mut store, "handle", vec![]);
    seen.push(format!("peek(7) = {peeked:?}, handle {handle:?}"));
    let counted = call(&mut store, "count", vec![Val::U32(3), Val::U32(2)]);
    seen.push(format!("count(3, 2) = {counted:?}"));
    let relayed = call(&mut store, "relay", vec![Val::U32(8)]);
    seen.push(format!("relay(8) = {:?}", rep(&mut store, relayed)));
    let many = call(&mut store, "many", vec![Val::U32(3)]);
    let things = take_items::<Resource<Thing>>(&mut store, many, 2);
    let reps: Vec<u32> = things.iter().map(|thing| thing.rep()).collect();
    seen.push(format!("many(3) = {reps:?}"));
    let nested = call(&mut store, "nested", vec![Val::U32(9)]);
    let end = take_from::<FutureReader<Resource<Thing>>>(&mut store, nested).expect("an end");
    let end = FutureAny::try_from_future_reader(&mut store, end).expect("erased");
    seen.push(format!(
        "nested(9) = {:?}",
        rep(&mut store, Val::Future(end))
    ));
    let unnested = call(&mut store, "unnested", vec![Val::U32(10)]);
    seen.push(format!("unnested(10) = {unnested:?}"));
    let ends = call(&mut store, "ends", vec![Val::U32(2)]);
    let mut reps = Vec::new();
    for end in take_items::<FutureReader<Resource<Thing>>>(&mut store, ends, 1) {
        let end = FutureAny::try_from_future_reader(&mut store, end).expect("erased");
        reps.push(rep(&mut store, Val::Future(end)));
    }
    let second = call(&mut store, "second", vec![]);
    seen.push(format!("ends(2) = {reps:?}, second = {second:?}"));
    seen
}

/// `async_root_crossing.wat`: a future and a stream of the host's things
/// whose type reaches the host while they also cross between the inner
/// components (meld carries those an inner component makes, moving the
/// things between tables, and hands the host a stream of the fused
/// component's for one that leaves for it, the pending write of things
/// made again there, staged): read by the host directly, through the
/// other component, and by the other component, as in the original.
#[test]
fn handles_in_elements_cross_inside_and_out() {
    let wasm = wat::parse_str(include_str!("async_root_crossing.wat")).expect("the WAT parses");
    let original = crossing_script(&wasm);
    println!("{original:#?}");
    assert_eq!(
        original,
        [
            "give(5) = Some(5)",
            "relay(6) = Some(6)",
            "peek(7) = U32(7), handle U32(2)",
            "count(3, 2) = U32(2003)",
            "relay(8) = Some(8)",
            "many(3) = [1, 2]",
            "nested(9) = Some(9)",
            "unnested(10) = U32(2010)",
            "ends(2) = [Some(1)], second = U32(2)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(crossing_script(&fused), original, "{memory:?}");
    }
}

/// What the host reads from `stream` (of strings) until `want` items came
/// or its writer dropped.
fn collect(store: &mut Store<()>, stream: Val, want: usize) -> String {
    let Val::Stream(any) = stream else {
        panic!("not a stream: {stream:?}")
    };
    let reader: StreamReader<String> = any.try_into_stream_reader().expect("a stream<string>");
    let seen = Arc::new(Mutex::new(Seen::default()));
    reader
        .pipe(&mut *store, Collect(Arc::clone(&seen)))
        .expect("the host reads it");
    let watch = Arc::clone(&seen);
    run_until(store, move || {
        let seen = watch.lock().expect("lock");
        seen.closed || seen.items.len() >= want
    });
    let seen = seen.lock().expect("lock");
    format!("{:?} closed: {}", seen.items, seen.closed)
}

/// What `steps` of `async_root_strings.wat` see on `wasm`: each line a
/// value, or `trap` (and nothing more: the instance is then gone).
fn strings_script(wasm: &[u8], steps: &[&str]) -> Vec<String> {
    let engine = meld_tests::harness::engine().expect("the harness's engine");
    let component = Component::new(engine, wasm).expect("the component compiles");
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX).expect("fuel");
    let linker: Linker<()> = Linker::new(engine);
    let instance = drive(linker.instantiate_async(&mut store, &component)).expect("instantiates");
    let call = |store: &mut Store<()>, name: &str, args: Vec<Val>| -> Option<Val> {
        let f = instance
            .get_func(&mut *store, name)
            .unwrap_or_else(|| panic!("no export `{name}`"));
        let mut results = vec![Val::Bool(false)];
        let outcome = drive(store.run_concurrent(async |accessor| {
            f.call_concurrent(accessor, &args, &mut results).await
        }));
        if let Err(e) | Ok(Err(e)) = &outcome {
            println!("{name}: {e:?}");
            return None;
        }
        results.pop()
    };
    let written = |store: &mut Store<()>, v: &str| -> Val {
        let v = v.to_string();
        let reader =
            FutureReader::new(&mut *store, async move { Ok::<String, wasmtime::Error>(v) })
                .expect("a host future");
        Val::Future(FutureAny::try_from_future_reader(&mut *store, reader).expect("erased"))
    };
    let mut seen = Vec::new();
    let mut kept = None;
    for step in steps {
        let (name, arg) = step.split_once(' ').unwrap_or((step, ""));
        let number = || Val::U32(arg.parse().expect("a number"));
        let args = match name {
            "make" | "cross" | "finish" | "words" | "partial" | "partial-kept" | "lent-partial"
            | "unlent-partial" => {
                vec![number()]
            }
            "pass" => vec![written(&mut store, arg)],
            _ => Vec::new(),
        };
        if name == "close" {
            // the kept stream, dropped unread
            let Some(Val::Stream(mut stream)) = kept.take() else {
                panic!("a kept stream")
            };
            stream.close(&mut store).expect("the host drops it");
            seen.push(step.to_string());
            continue;
        }
        if name == "drain" {
            // the kept stream, read until its writer drops
            let stream = kept.take().expect("a kept stream");
            seen.push(format!(
                "{step}: {}",
                collect(&mut store, stream, usize::MAX)
            ));
            continue;
        }
        // `partial-kept` is `partial` whose stream the host keeps unread
        let export = name.strip_suffix("-kept").unwrap_or(name);
        let Some(value) = call(&mut store, export, args) else {
            seen.push(format!("{step}: trap"));
            break;
        };
        let shown = match name {
            "make" => read::<String>(&mut store, value),
            "later" | "partial-kept" => {
                kept = Some(value);
                "kept".to_string()
            }
            "finish" => {
                let future = kept.take().expect("`later` first");
                format!("{value:?}, read {}", read::<String>(&mut store, future))
            }
            "words" => collect(&mut store, value, arg.parse().expect("a count")),
            "partial" => collect(
                &mut store,
                value,
                arg.parse::<usize>().expect("a count") - 1,
            ),
            "gone" => collect(&mut store, value, 1),
            "lent-partial" => {
                let end = take_from::<StreamReader<String>>(&mut store, value).expect("an end");
                let end = wasmtime::component::StreamAny::try_from_stream_reader(&mut store, end)
                    .expect("erased");
                let want = arg.parse::<usize>().expect("a count") - 1;
                collect(&mut store, Val::Stream(end), want)
            }
            _ => format!("{value:?}"),
        };
        seen.push(format!("{step}: {shown}"));
    }
    seen
}

#[test]
fn string_ends_cross_inner_components_and_the_boundary() {
    let wasm = wat::parse_str(include_str!("async_root_strings.wat")).expect("the WAT parses");
    // (a read of strings left waiting in `$b`, as `pass` leaves it, fails
    // in wasmtime 48 when the copy comes: `pass` comes last)
    let steps = [
        "make 3", "make 5", "cross 4", "words 3", "gone", "later", "finish 2", "cross 2",
        "pass xyz",
    ];
    let original = strings_script(&wasm, &steps);
    println!("{original:#?}");
    let multi = fuse(&[&wasm], &Options::default()).expect("fuses").wasm;
    assert_eq!(strings_script(&multi, &steps), original);
    // With one memory, the copies of strings with the host are staged in
    // meld's memory (their pointers move as they are copied).
    let options = Options {
        memory: MemoryStrategy::Shared,
        ..Options::default()
    };
    let shared = fuse(&[&wasm], &options).expect("fuses").wasm;
    assert_eq!(strings_script(&shared, &steps), original);
    // The end leaves for the host while its writer has not taken the event
    // of a write the other component took part of: the host reads the rest;
    // or the writer takes its event (or cancels) before the host reads,
    // which ends the write, counting what `$b` took.
    for (steps, want) in [
        (
            &["partial 3"][..],
            &[r#"partial 3: ["bcd", "cde"] closed: false"#][..],
        ),
        (
            &["partial-kept 3", "settle", "drain"],
            &[
                "partial-kept 3: kept",
                "settle: U32(3016)",
                "drain: [] closed: true",
            ],
        ),
        (
            &["partial-kept 4", "cancel", "drain"],
            &[
                "partial-kept 4: kept",
                "cancel: U32(18)",
                "drain: [] closed: true",
            ],
        ),
        // The same end lent to a write to the host (in a future of
        // streams): taken, the host reads the rest; not taken, `$b` does;
        // either way the writer's event counts all that was taken.
        (
            &["lent-partial 3", "settle"][..],
            &[
                r#"lent-partial 3: ["bcd", "cde"] closed: false"#,
                "settle: U32(3032)",
            ][..],
        ),
        (
            &["unlent-partial 3", "settle"],
            &["unlent-partial 3: U32(2032)", "settle: U32(3048)"],
        ),
        (
            &["partial-kept 3", "close", "settle"],
            &["partial-kept 3: kept", "close", "settle: U32(3017)"],
        ),
        // The host's event of the rest replaces the one the count `$b`
        // took was in.
        (
            &["partial 3", "settle"],
            &[
                r#"partial 3: ["bcd", "cde"] closed: false"#,
                "settle: U32(3032)",
            ],
        ),
    ] {
        assert_eq!(strings_script(&wasm, steps), want, "original");
        assert_eq!(strings_script(&multi, steps), want, "fused (multi)");
        assert_eq!(strings_script(&shared, steps), want, "fused (shared)");
    }
}

/// `async_root_strings.wat` with other string encodings: `$a` (which
/// writes the strings) and `$b` (which reads them) each in utf8, utf16 or
/// latin1+utf16. Strings then cross between the inner components with a
/// transcoding copy, and between the host and `$b` (a future the host
/// wrote) or `$a` (ends the host reads) through meld's memory in shared
/// mode, where the host's side is utf8 and meld transcodes. `$b`'s
/// `realloc` folds each call's arguments into a hash that `take` and
/// `read-rest` add to their results, so a transcoding copy that resizes
/// its block otherwise than the original's shows; `take` also gives the
/// string's length and first byte.
#[test]
fn string_ends_in_other_encodings() {
    let source = include_str!("async_root_strings.wat");
    let variant = |a: &str, b: &str| -> Vec<u8> {
        let with = |canon: &str, encoding: &str| {
            let kept = canon.trim_end_matches(')');
            format!("{kept} string-encoding={encoding})")
        };
        let mut edits = vec![
            // `$b`: a `realloc` that keeps a block it resizes, and hashes
            (
                "(global.set $next (i32.add (local.get $at) (local.get 3)))".to_string(),
                "(global.set $next (i32.add (local.get $at) (local.get 3)))
        (if (local.get 0) (then (memory.copy (local.get $at) (local.get 0)
          (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))))
        (i32.store (i32.const 3000) (i32.add (i32.mul (i32.load (i32.const 3000)) (i32.const 31))
          (i32.add (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 7)))
            (i32.add (i32.mul (local.get 2) (i32.const 13)) (local.get 3)))))"
                    .to_string(),
            ),
            (
                "(local.get $first))))))".to_string(),
                "(i32.add (local.get $first) (i32.load (i32.const 3000))))))))".to_string(),
            ),
            (
                "(call $s-read (local.get $s) (i32.const 400) (i32.const 8)))".to_string(),
                "(i32.add (call $s-read (local.get $s) (i32.const 400) (i32.const 8))
          (i32.shl (i32.load (i32.const 3000)) (i32.const 8))))"
                    .to_string(),
            ),
            // `$a`: the stream's strings at even addresses (utf16's alignment)
            (
                "(i32.add (i32.const 100) (local.get $i)))".to_string(),
                "(i32.add (i32.const 100) (i32.shl (local.get $i) (i32.const 1))))".to_string(),
            ),
        ];
        for (canon, encoding) in [
            (
                "(canon future.read $fs (memory $mem) (realloc $realloc) async)",
                b,
            ),
            (
                "(canon stream.read $ss (memory $mem) (realloc $realloc) async)",
                b,
            ),
            ("(canon future.write $fs (memory $mem) async)", a),
            ("(canon stream.write $ss (memory $mem) async)", a),
        ] {
            edits.push((canon.to_string(), with(canon, encoding)));
        }
        let mut wat = source.to_string();
        for (from, to) in edits {
            assert_eq!(wat.matches(&from).count(), 1, "{from}");
            wat = wat.replace(&from, &to);
        }
        wat::parse_str(&wat).expect("the variant parses")
    };
    let scripts: Vec<Vec<&str>> = vec![
        vec![
            "make 3", "make 5", "cross 4", "words 3", "gone", "later", "finish 2", "cross 2",
            "pass xyz",
        ],
        vec!["cross 8", "pass héllo wörld"],
        vec!["pass \u{113}\u{101}x"],
        vec!["make 1", "pass z\u{1F600}"],
        vec!["partial 3", "settle"],
        vec!["partial-kept 4", "cancel", "drain"],
        vec!["lent-partial 3", "settle"],
        vec!["unlent-partial 3", "settle"],
    ];
    for (a, b) in [
        ("utf8", "utf16"),
        ("utf8", "latin1+utf16"),
        ("utf16", "utf8"),
        ("utf16", "latin1+utf16"),
        ("latin1+utf16", "utf16"),
        ("latin1+utf16", "utf8"),
        ("utf16", "utf16"),
        ("latin1+utf16", "latin1+utf16"),
    ] {
        let wasm = variant(a, b);
        let fused = fusions(&wasm);
        for steps in &scripts {
            let original = strings_script(&wasm, steps);
            println!("{a} -> {b}: {original:?}");
            assert!(
                !original.iter().any(|line| line.ends_with("trap")),
                "{a} -> {b}: {original:?}"
            );
            for (memory, fused) in &fused {
                assert_eq!(
                    strings_script(fused, steps),
                    original,
                    "{a} -> {b}, {memory:?}"
                );
            }
        }
    }
}

/// What export `name` of `wasm`, which writes one handle twice in a
/// stream of `T`s, gives when the host reads up to `room` of the two
/// items: how the read went and how many items came.
fn twice_script<T>(wasm: &[u8], name: &str, room: usize) -> String
where
    T: wasmtime::component::Lift + Send + Sync + 'static,
{
    let (mut store, instance) = instantiate(wasm, |_| {});
    let twice = match name.contains('.') {
        true => call_in(&mut store, &instance, name, vec![]),
        false => call_export(&mut store, &instance, name, vec![]),
    };
    let Val::Stream(any) = twice else {
        panic!("not a stream: {twice:?}")
    };
    let reader: StreamReader<T> = any.try_into_stream_reader().expect("a stream of T");
    let items = Arc::new(Mutex::new(Vec::new()));
    reader
        .pipe(&mut store, Keep(Arc::clone(&items), room, |item| item))
        .expect("the host reads it");
    let read = Arc::clone(&items);
    let outcome = drive(store.run_concurrent(async |_| {
        std::future::poll_fn(|context| match read.lock().expect("lock").is_empty() {
            false => Poll::Ready(()),
            true => {
                context.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await
    }));
    let outcome = match outcome {
        Ok(()) => "read".to_string(),
        Err(e) if format!("{e:?}").contains("unknown handle index") => {
            "the read fails: unknown handle".to_string()
        }
        Err(e) => format!("the read fails: {e:?}"),
    };
    let n = items.lock().expect("lock").len();
    format!("{outcome}, {n} items")
}

/// One thing of an inner component's, or one readable end (of the fused
/// component's, or of meld's own), written twice in one write to the host: the host's read of both fails as the
/// original's does, when the host reads the second (not when the
/// component writes); a read of one takes the handle.
#[test]
fn a_handle_written_twice_fails_the_hosts_read() {
    use wasmtime::component::ResourceAny;
    let things = wat::parse_str(include_str!("async_root_inner_out.wat")).expect("the WAT parses");
    let ends = wat::parse_str(include_str!("async_root_ends_out.wat")).expect("the WAT parses");
    let bridged =
        wat::parse_str(include_str!("async_root_bridged_out.wat")).expect("the WAT parses");
    let scripts = |things: &[u8], ends: &[u8], bridged: &[u8]| {
        [2, 1].map(|room| {
            [
                twice_script::<(u32, ResourceAny)>(things, "d.twice", room),
                twice_script::<FutureReader<u32>>(ends, "twice", room),
                twice_script::<FutureReader<String>>(bridged, "twice", room),
            ]
        })
    };
    let original = scripts(&things, &ends, &bridged);
    let fails = "the read fails: unknown handle, 0 items";
    let reads = "read, 1 items";
    assert_eq!(original, [[fails, fails, fails], [reads, reads, reads]]);
    let fused = fusions(&things)
        .into_iter()
        .zip(fusions(&ends))
        .zip(fusions(&bridged));
    for (((memory, things), (_, ends)), (_, bridged)) in fused {
        assert_eq!(scripts(&things, &ends, &bridged), original, "{memory:?}");
    }
}

/// What the host sees of `async_rest_of_write.wat` or
/// `async_write_ends_at_host.wat` on `wasm`: the items of type `T` it
/// read of the end `run` returned, at most `room` in one read (for as
/// many turns of the event loop as it takes to have all seven the
/// writer's write has left, or a thousand), then `finish()` and
/// `eaten()`.
fn rest_script<T>(wasm: &[u8], room: usize) -> Vec<String>
where
    T: wasmtime::component::Lift + std::fmt::Debug + Send + Sync + 'static,
{
    let (mut store, instance) = instantiate(wasm, |_| {});
    let call = |store: &mut Store<()>, name: &str| call_export(store, &instance, name, vec![]);
    let Val::Stream(end) = call(&mut store, "run") else {
        panic!("`run` returns a stream")
    };
    let reader: StreamReader<T> = end.try_into_stream_reader().expect("a stream of T");
    let rest = Arc::new(Mutex::new(Vec::new()));
    reader
        .pipe(&mut store, Keep(Arc::clone(&rest), room, |item: T| item))
        .expect("the host reads it");
    let (read, turns) = (Arc::clone(&rest), std::sync::atomic::AtomicU32::new(0));
    run_until(&mut store, move || {
        let turn = turns.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        read.lock().expect("lock").len() >= 7 || turn >= 1000
    });
    let rest = std::mem::take(&mut *rest.lock().expect("lock"));
    vec![
        format!("rest = {rest:?}"),
        format!("finish = {:?}", call(&mut store, "finish")),
        format!("eaten = {:?}", call(&mut store, "eaten")),
    ]
}

/// `async_rest_of_write.wat`: a write one inner component made, of which
/// another read part before it passed the end to the host. The host reads
/// the rest, as in the original, although the fused runtime looked at the
/// host's events in between (it takes a write's event from the host only
/// once its writer could take it: taking it ends the write); the writer's
/// event then comes as wasmtime's does.
#[test]
fn the_rest_of_a_write_reaches_the_next_reader() {
    let wasm = wat::parse_str(include_str!("async_rest_of_write.wat")).expect("the WAT parses");
    let original = rest_script::<u8>(&wasm, 16);
    assert_eq!(
        original,
        [
            "rest = [2, 3, 4, 5, 6, 7, 8]",
            // STREAM_WRITE (3) * 4096 + COMPLETED(7): wasmtime 48 counts
            // the host's items alone (its event replaced the inner read's)
            "finish = U32(12400)",
            // COMPLETED(1) * 1000 + the byte
            "eaten = U32(16001)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(rest_script::<u8>(&fused, 16), original, "{memory:?}");
    }
}

/// A stream producer of the host's that has nothing, ever: a read of it
/// waits until it is cancelled.
struct Silent;

impl<D> wasmtime::component::StreamProducer<D> for Silent {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: StoreContextMut<'a, D>,
        _: wasmtime::component::Destination<'a, u8, Option<u8>>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        match finish {
            true => Poll::Ready(Ok(StreamResult::Cancelled)),
            false => Poll::Pending,
        }
    }
}

/// What `cancel` of `async_cancel_unwatched.wat` returns on `wasm`, given
/// a stream of the host's that never has anything.
fn cancel_unwatched_script(wasm: &[u8]) -> String {
    let (mut store, instance) = instantiate(wasm, |_| {});
    let reader = StreamReader::new(&mut store, Silent).expect("a host stream");
    let stream = Val::Stream(
        wasmtime::component::StreamAny::try_from_stream_reader(&mut store, reader).expect("erased"),
    );
    format!(
        "{:?}",
        call_export(&mut store, &instance, "cancel", vec![stream])
    )
}

/// `async_cancel_unwatched.wat`: a blocking cancel of a read of the
/// host's stream that pended in no set gets the host's answer, as in the
/// original, where the fused runtime had not yet asked the host for the
/// end's events.
#[test]
fn a_blocking_cancel_of_an_unwatched_read_ends() {
    let wasm = wat::parse_str(include_str!("async_cancel_unwatched.wat")).expect("the WAT parses");
    let original = cancel_unwatched_script(&wasm);
    // BLOCKED, then CANCELLED with nothing read
    assert_eq!(original, "U32(102)");
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(cancel_unwatched_script(&fused), original, "{memory:?}");
    }
}

/// `async_write_ends_at_host.wat`: a write of strings another inner
/// component read one of, then read by the host two at a time. Unlike an
/// inner reader, the host's first read ends the write in wasmtime 48 (its
/// event is set then), so the host gets two strings and the writer's
/// event counts those two; fused alike with either memory strategy (with
/// one memory the host's copies are staged in meld's memory, and a staged
/// copy's event is taken from the host as soon as it comes).
#[test]
fn a_write_of_strings_ends_at_the_hosts_first_small_read() {
    let wasm =
        wat::parse_str(include_str!("async_write_ends_at_host.wat")).expect("the WAT parses");
    let original = rest_script::<String>(&wasm, 2);
    assert_eq!(
        original,
        [
            // wasmtime 48 ends the write at the host's first read: the
            // host's consumer took two, and the rest is not offered again
            r#"rest = ["b", "c"]"#,
            // STREAM_WRITE (3) * 4096 + COMPLETED(2)
            "finish = U32(12320)",
            "eaten = U32(16097)",
        ]
    );
    for (memory, fused) in fusions(&wasm) {
        assert_eq!(rest_script::<String>(&fused, 2), original, "{memory:?}");
    }
}
