//! Runs a generated composition (original or fused) under wasmtime and
//! writes down what the host sees: a transcript, one line per event.
//!
//! The host serves `fz:t/types` (the resource `r`, whose destructor logs
//! `drop r<rep>`) and the bottom component's `fz:t/api` import, whose
//! functions log what they received and return values generated from the
//! case's seed and the import call's number (so both sides get the same
//! values as long as they make the same calls). Handles are written by
//! their host rep, `own<rep>` or `borrow<rep>`: the numbers the guests
//! see never reach the transcript, but a guest dropping or passing the
//! wrong one changes it. A stream or future end the host makes is written
//! by the values it gives it (`stream[…]`, `future<…>`); one it receives
//! that it did not make (a forwarder's relay) it reads after the call (an
//! `async func` import waits for their values before it answers) and
//! writes by the values it read (a stream's first write), so an end that
//! was passed on and one that was relayed read the same.
//!
//! An `async func` import is a concurrent host function, which answers at
//! once or, with [`Case::host_waits`], after yielding once; the host then
//! calls the exports as tasks (`call_concurrent`), with [`Case::together`]
//! two at a time (both started before either returns, their returns
//! written in the order they came). Async forwarders report each async
//! lower's status to `fz:t/log`'s `note`, which logs it.

use anyhow::{Context, Result, bail};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, FutureConsumer, FutureReader, Linker, Resource, ResourceAny, ResourceType, Source,
    StreamConsumer, StreamReader, StreamResult, Type, Val,
};
use wasmtime::{AsContextMut, Store, StoreContextMut};

use super::Case;
use super::component::Iface;
use crate::harness::concurrency::all_of;
use crate::harness::engine;

/// Fuel per instantiation and per call: the forwarders do little, so
/// running out means a loop that should not be there.
const FUEL: u64 = 200_000_000;

/// The host's resource type.
struct R;

/// The host's state.
struct Host {
    log: Vec<String>,
    /// Handles the host made and has not given away yet, with their text:
    /// taking the rep out of a `ResourceAny` would consume it.
    made: Vec<(ResourceAny, String)>,
    /// The stream and future ends the host made, by wasmtime's id of the
    /// end, with their text.
    ends: Vec<(u32, String)>,
    /// Futures the forwarders made that reached the host, by their text
    /// until they are read, with the text of their value once it is.
    reading: Vec<(String, Reading)>,
    next_rep: u32,
    import_calls: u32,
    seed: u64,
    trap_at: Option<u32>,
    /// The case's calls are made together: an import's results are drawn
    /// from what it was called with, not from the number of its call, so
    /// that a call the two sides make in another order gets the same.
    together: bool,
}

/// What a run of a case showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The lines both sides must agree on.
    pub lines: Vec<String>,
    /// The message of the trap that ended the run, if one did: not
    /// compared (wasmtime's messages and the fused output's differ).
    pub trap: Option<String>,
}

/// The transcript of `case`'s calls on the component `wasm`.
pub fn run(wasm: &[u8], case: &Case) -> Result<Transcript> {
    let engine = engine()?;
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling")?;
    let mut linker = Linker::<Host>::new(engine);
    let mut types = linker.instance("fz:t/types")?;
    types.resource("r", ResourceType::host::<R>(), log_drop)?;
    // async forwarders tell the host what their async lowers returned
    linker
        .instance("fz:t/log")?
        .func_wrap("note", |mut store, (v,): (u32,)| {
            store.data_mut().log.push(format!("note {v:#x}"));
            Ok(())
        })?;
    let ty = component.component_type();
    let api = Iface::Api.name();
    let imported = ty.imports(engine).find(|(name, _)| *name == api);
    if let Some((_, import)) = imported
        && let ComponentItem::ComponentInstance(instance) = import.ty
    {
        let mut host = linker.instance(api)?;
        // `api` uses `r` from `types`: the same host resource.
        host.resource("r", ResourceType::host::<R>(), log_drop)?;
        let funcs = instance
            .exports(engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)));
        for (name, item) in funcs {
            let label = name.to_owned();
            let waits = case.host_waits;
            let is_async = matches!(&item.ty, ComponentItem::ComponentFunc(f) if f.async_());
            match is_async {
                // an `async func` import: the host answers at once, or
                // after yielding once
                true => host.func_new_concurrent(name, move |accessor, ty, params, results| {
                    let label = label.clone();
                    Box::pin(async move {
                        if waits {
                            YieldOnce(false).await;
                        }
                        let readings = accessor.with(|mut access| {
                            let mut store = access.as_context_mut();
                            let before = store.data().reading.len();
                            serve(&mut store, &label, ty, params, results)?;
                            let all = &store.data().reading[before..];
                            Ok::<_, wasmtime::Error>(all.iter().map(|(_, r)| r.clone()).collect())
                        })?;
                        wait_for_ends(accessor, readings).await;
                        Ok(())
                    })
                })?,
                false => host.func_new(name, move |mut store, ty, params, results| {
                    serve(&mut store, &label, ty, params, results)
                })?,
            }
        }
    }
    let host = Host {
        log: Vec::new(),
        made: Vec::new(),
        ends: Vec::new(),
        reading: Vec::new(),
        next_rep: 1,
        import_calls: 0,
        seed: case.seed,
        trap_at: case.host_trap_at,
        together: case.together,
    };
    let mut store = Store::new(engine, host);
    store.set_fuel(FUEL)?;
    // With `async func`s the host's imports are concurrent, and the store
    // is driven by the async API; so it is with ends, which the host reads
    // after each call.
    let concurrent = case.is_concurrent();
    let instance = match concurrent {
        true => crate::things::drive(linker.instantiate_async(&mut store, &component)),
        false => linker.instantiate(&mut store, &component),
    };
    let instance = match instance {
        Ok(instance) => instance,
        // The forwarders' start does nothing: instantiation cannot trap.
        Err(e) => return Err(anyhow::Error::from(e).context("instantiating")),
    };
    let interface = instance
        .get_export_index(&mut store, None, api)
        .context("the composition exports no `api`")?;
    let mut log = Vec::new();
    let mut trap = None;
    // With `together`, the host makes the calls two at a time, both
    // started before either returns.
    let group = match concurrent && case.together {
        true => 2,
        false => 1,
    };
    let numbered: Vec<(usize, usize)> = case.calls.iter().copied().enumerate().collect();
    for calls in numbered.chunks(group) {
        let mut made = Vec::new();
        for &(number, index) in calls {
            let name = format!("f{index}");
            let export = instance
                .get_export_index(&mut store, Some(&interface), &name)
                .with_context(|| format!("no export `{name}`"))?;
            let func = instance
                .get_func(&mut store, export)
                .with_context(|| format!("`{name}` is not a function"))?;
            let ty = func.ty(&store);
            let mut rng = crate::harness::Rng::new(case.seed ^ number as u64);
            let mut args = Vec::new();
            for (_, ty) in ty.params() {
                args.push(value(&mut rng, &mut store.as_context_mut(), &ty, 0)?);
            }
            let shown = render_all(&mut store.as_context_mut(), &args)?;
            log.push(format!("call {name}{shown}"));
            made.push((func, args, ty.results().len()));
        }
        store.set_fuel(FUEL)?;
        // An async function's export may be lifted `async`: the host
        // calls it as a task (a sync one runs the same either way).
        let outcomes = match concurrent {
            true => call_together(&mut store, &made),
            false => {
                let (func, args, results) = &made[0];
                let mut values = vec![Val::Bool(false); *results];
                let outcome = func.call(&mut store, args, &mut values);
                vec![(0, outcome.map(|()| values))]
            }
        };
        log.append(&mut store.data_mut().log);
        let mut trapped = false;
        for (which, outcome) in outcomes {
            let results = match outcome {
                Ok(results) => results,
                Err(e) => {
                    trap = Some(format!("{e:?}"));
                    trapped = true;
                    break;
                }
            };
            let out = render_all(&mut store.as_context_mut(), &results)?;
            log.push(match group {
                1 => format!("return {out}"),
                _ => format!("return of call {} {out}", calls[which].0),
            });
        }
        if trapped {
            log.push("trap".to_owned());
            read_ends(&mut store, &mut log, false);
            break;
        }
        read_ends(&mut store, &mut log, true);
    }
    Ok(Transcript { lines: log, trap })
}

/// Makes `calls` (an export, its arguments, its number of results) at
/// once in one event loop, and gives each one's outcome (its results, or
/// the trap that ended it or the loop) in the order they finished.
fn call_together(
    store: &mut Store<Host>,
    calls: &[(wasmtime::component::Func, Vec<Val>, usize)],
) -> Vec<(usize, wasmtime::Result<Vec<Val>>)> {
    let finished = std::cell::RefCell::new(Vec::new());
    let run = store.run_concurrent(async |accessor| {
        all_of(
            calls
                .iter()
                .enumerate()
                .map(|(which, (func, args, results))| {
                    let finished = &finished;
                    async move {
                        let mut values = vec![Val::Bool(false); *results];
                        let outcome = func.call_concurrent(accessor, args, &mut values).await;
                        finished
                            .borrow_mut()
                            .push((which, outcome.map(|()| values)));
                    }
                }),
        )
        .await;
    });
    let failure = crate::things::drive(run).err();
    let mut finished = finished.into_inner();
    // (an error of the loop itself ends the calls that had not finished)
    if let Some(e) = failure {
        let message = format!("{e:?}");
        let left: Vec<usize> = (0..calls.len())
            .filter(|which| !finished.iter().any(|(done, _)| done == which))
            .collect();
        for which in left {
            finished.push((which, Err(wasmtime::Error::msg(message.clone()))));
        }
    }
    finished
}

/// Lets the forwarders' ends that reached the host during the last call
/// deliver their values, then writes each one in `log` by its values, or
/// as `end unread`. After a trap (`run` false) each is written as `end`:
/// wasmtime may have handed the host a value the trap then kept from
/// arriving fused (README, "Known differences").
fn read_ends(store: &mut Store<Host>, log: &mut [String], run: bool) {
    let reading: Vec<(String, Reading)> = std::mem::take(&mut store.data_mut().reading);
    if reading.is_empty() {
        return;
    }
    if run {
        let readings: Vec<Reading> = reading.iter().map(|(_, r)| r.clone()).collect();
        let done = move || {
            readings
                .iter()
                .all(|r| r.lock().expect("not poisoned").is_some())
        };
        // (one end takes a turn or so; a writer that never writes leaves
        // its end unread)
        let _ = crate::things::drive(store.run_concurrent(async move |_| {
            for _ in 0..100_000 {
                if done() {
                    break;
                }
                YieldOnce(false).await;
            }
        }));
    }
    for (text, value) in reading {
        let value = value.lock().expect("not poisoned").take();
        let value = match run {
            true => value.unwrap_or_else(|| "end unread".to_owned()),
            false => "end".to_owned(),
        };
        for line in log.iter_mut() {
            *line = line.replace(&text, &value);
        }
    }
}

/// Lets the forwarders' ends that an `async func` import received
/// deliver their values before it answers, and logs how many did: the
/// writer is still inside its call (a relay writes, then calls the host),
/// so the values must flow while the import is pending.
async fn wait_for_ends(accessor: &wasmtime::component::Accessor<Host>, readings: Vec<Reading>) {
    if readings.is_empty() {
        return;
    }
    let done = || {
        readings
            .iter()
            .filter(|r| r.lock().expect("not poisoned").is_some())
            .count()
    };
    // (a writer that never writes leaves its end unread)
    for _ in 0..1000 {
        if done() == readings.len() {
            break;
        }
        YieldOnce(false).await;
    }
    let line = format!("the host read {} of {} ends", done(), readings.len());
    accessor.with(|mut access| access.get().log.push(line));
}

/// A future that is pending once (waking itself) and then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// The host's import `label` called with `params`: logs the call and
/// writes results generated from the case's seed and the call's number,
/// or traps at the case's call.
fn serve(
    store: &mut StoreContextMut<'_, Host>,
    label: &str,
    ty: wasmtime::component::types::ComponentFunc,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let args = render_all(store, params)?;
    let data = store.data_mut();
    let call = data.import_calls;
    data.import_calls += 1;
    if data.trap_at == Some(call) {
        data.log.push(format!("host {label}{args} => trap"));
        return Err(wasmtime::Error::msg("the host's import traps"));
    }
    let key = match data.together {
        // (FNV-1a of the call's line)
        true => format!("{label}{args}")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            }),
        false => u64::from(call) << 32,
    };
    let mut rng = crate::harness::Rng::new(data.seed ^ key ^ 0x1);
    for (slot, ty) in results.iter_mut().zip(ty.results()) {
        *slot = value(&mut rng, store, &ty, 0)?;
    }
    let out = render_all(store, results)?;
    store
        .data_mut()
        .log
        .push(format!("host {label}{args} => {out}"));
    Ok(())
}

/// The resource's destructor: logs the rep.
fn log_drop(mut store: StoreContextMut<'_, Host>, rep: u32) -> wasmtime::Result<()> {
    store.data_mut().log.push(format!("drop r{rep}"));
    Ok(())
}

/// Checks that every value in `transcript` arrived unchanged: each host
/// import call received the export call's arguments, and each export call
/// returned the last import call's results.
pub fn check_faithful(transcript: &[String]) -> Result<()> {
    let mut args = None;
    let mut last = None;
    for line in transcript {
        if let Some(rest) = line.strip_prefix("call ") {
            args = Some(rest.split_once('(').map_or("", |(_, a)| a).to_owned());
            last = None;
        } else if let Some(rest) = line.strip_prefix("host ") {
            let (call, result) = rest.split_once(" => ").unwrap_or((rest, ""));
            let received = call.split_once('(').map_or("", |(_, a)| a);
            if Some(received) != args.as_deref() {
                bail!("the host's import received other arguments than the export:\n{line}");
            }
            last = Some(result.to_owned());
        } else if let Some(rest) = line.strip_prefix("return ") {
            if last.as_deref().is_some_and(|l| l != rest) {
                bail!("the export returned other results than the import:\n{line}");
            }
        } else if line.starts_with("trap") {
            bail!("a faithful case trapped: {transcript:#?}");
        }
    }
    Ok(())
}

/// `values` as text, handles by their host rep.
fn render_all(store: &mut StoreContextMut<'_, Host>, values: &[Val]) -> wasmtime::Result<String> {
    let mut out = String::from("(");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        render(store, value, &mut out)?;
    }
    out.push(')');
    Ok(out)
}

fn render(
    store: &mut StoreContextMut<'_, Host>,
    value: &Val,
    out: &mut String,
) -> wasmtime::Result<()> {
    use std::fmt::Write;
    match value {
        Val::Resource(any) if store.data().made.iter().any(|(m, _)| m == any) => {
            let made = &store.data().made;
            let text = made.iter().find(|(m, _)| m == any).map(|(_, t)| t.clone());
            out.push_str(&text.unwrap_or_default());
        }
        Val::Resource(any) => {
            let owned = any.owned();
            let resource = Resource::<R>::try_from_resource_any(*any, &mut *store)?;
            let _ = match owned {
                true => write!(out, "own<{}>", resource.rep()),
                false => write!(out, "borrow<{}>", resource.rep()),
            };
        }
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            out.push('[');
            for item in items {
                render(store, item, out)?;
                out.push(',');
            }
            out.push(']');
        }
        Val::Map(entries) => {
            out.push('{');
            for (key, value) in entries {
                render(store, key, out)?;
                out.push(':');
                render(store, value, out)?;
                out.push(',');
            }
            out.push('}');
        }
        Val::Record(fields) => {
            out.push('{');
            for (_, item) in fields {
                render(store, item, out)?;
                out.push(',');
            }
            out.push('}');
        }
        Val::Variant(name, payload) => {
            let _ = write!(out, "{name}");
            render_payload(store, payload, out)?;
        }
        Val::Option(payload) => {
            out.push_str(if payload.is_some() { "some" } else { "none" });
            render_payload(store, payload, out)?;
        }
        Val::Result(Ok(payload)) => {
            out.push_str("ok");
            render_payload(store, payload, out)?;
        }
        Val::Result(Err(payload)) => {
            out.push_str("err");
            render_payload(store, payload, out)?;
        }
        // Bits, so that NaN payloads compare too.
        Val::Float32(v) => {
            let _ = write!(out, "f32:{:#x}", v.to_bits());
        }
        Val::Float64(v) => {
            let _ = write!(out, "f64:{:#x}", v.to_bits());
        }
        Val::Stream(_) | Val::Future(_) => {
            let id = end_id(value)?;
            // (the latest: wasmtime reuses the id of an end that is gone)
            let made = store.data().ends.iter().rev().find(|(made, _)| *made == id);
            match (made, value) {
                (Some((_, text)), _) => out.push_str(text),
                // a forwarder's relay: read, and written as its values
                (None, _) => {
                    let text = format!("end@{}@", store.data().reading.len());
                    let reading = read_end(store, value)?;
                    store.data_mut().reading.push((text.clone(), reading));
                    out.push_str(&text);
                }
            }
        }
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
    Ok(())
}

/// wasmtime's id of a stream or future end: the same number whichever
/// component passes the end on, so the host knows an end it made when it
/// comes back. wasmtime 48 keeps it private; its `Debug` shows it.
fn end_id(value: &Val) -> wasmtime::Result<u32> {
    let text = match value {
        Val::Stream(any) => format!("{any:?}"),
        Val::Future(any) => format!("{any:?}"),
        _ => String::new(),
    };
    text.split_once("id: ")
        .and_then(|(_, rest)| rest.split_once('('))
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(number, _)| number.parse().ok())
        .ok_or_else(|| wasmtime::Error::msg(format!("no id in `{text}`")))
}

/// A new stream or future end of `payload` (one of the generated
/// payload types) the host makes, with a few values to deliver.
fn end(
    rng: &mut crate::harness::Rng,
    store: &mut StoreContextMut<'_, Host>,
    stream: bool,
    payload: Option<Type>,
) -> wasmtime::Result<Val> {
    let bits = rng.next_u64();
    match (stream, payload) {
        (true, Some(Type::U8)) => stream_of(store, bits.to_le_bytes().to_vec()),
        (true, Some(Type::U32)) => stream_of(store, vec![bits as u32, (bits >> 32) as u32]),
        (true, Some(Type::String)) => stream_of(store, vec![format!("s{bits:x}")]),
        (false, Some(Type::U8)) => future_of(store, bits as u8),
        (false, Some(Type::U32)) => future_of(store, bits as u32),
        (false, Some(Type::String)) => future_of(store, format!("f{bits:x}")),
        (_, payload) => {
            let what = if stream { "stream" } else { "future" };
            Err(wasmtime::Error::msg(format!(
                "the fuzzer generates no {what} of {payload:?}"
            )))
        }
    }
}

/// A future's text: its value, so that one a forwarder relayed reads the
/// same once the host has read it.
fn future_text(value: &dyn std::fmt::Debug) -> String {
    format!("future<{value:?}>")
}

/// A stream's text: its items, so that one a forwarder relayed reads the
/// same once the host has read it.
fn stream_text(items: &dyn std::fmt::Debug) -> String {
    format!("stream{items:?}")
}

/// The value of a future the host reads, or the items of a stream (those
/// of the writer's first write), once they came.
type Reading = std::sync::Arc<std::sync::Mutex<Option<String>>>;

/// Takes the value of a future end a forwarder made, or the items of the
/// first write to a stream end, as their text.
struct Take<T> {
    reading: Reading,
    _value: std::marker::PhantomData<fn() -> T>,
}

fn take<T>(reading: &Reading) -> Take<T> {
    Take {
        reading: reading.clone(),
        _value: std::marker::PhantomData,
    }
}

impl<T: Payload + std::fmt::Debug> FutureConsumer<Host> for Take<T> {
    type Item = T;

    fn poll_consume(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        store: StoreContextMut<'_, Host>,
        mut source: Source<'_, T>,
        _: bool,
    ) -> std::task::Poll<wasmtime::Result<()>> {
        let mut value = None;
        source.read(store, &mut value)?;
        if let Some(value) = value {
            *self.reading.lock().expect("not poisoned") = Some(future_text(&value));
        }
        std::task::Poll::Ready(Ok(()))
    }
}

impl<T: Payload + std::fmt::Debug> StreamConsumer<Host> for Take<T> {
    type Item = T;

    fn poll_consume(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        store: StoreContextMut<'_, Host>,
        mut source: Source<'_, T>,
        _: bool,
    ) -> std::task::Poll<wasmtime::Result<StreamResult>> {
        let mut items = Vec::with_capacity(64);
        source.read(store, &mut items)?;
        let mut reading = self.reading.lock().expect("not poisoned");
        if reading.is_none() {
            *reading = Some(stream_text(&items));
        }
        std::task::Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// Starts reading stream or future `end` (of one of the generated
/// payloads).
fn read_end(store: &mut StoreContextMut<'_, Host>, end: &Val) -> wasmtime::Result<Reading> {
    let reading = Reading::default();
    let store = &mut *store;
    match end {
        Val::Stream(any) => {
            if let Ok(reader) = any.clone().try_into_stream_reader::<u8>() {
                reader.pipe(store, take(&reading))?;
            } else if let Ok(reader) = any.clone().try_into_stream_reader::<u32>() {
                reader.pipe(store, take(&reading))?;
            } else {
                let reader = any.clone().try_into_stream_reader::<String>()?;
                reader.pipe(store, take(&reading))?;
            }
        }
        Val::Future(any) => {
            if let Ok(reader) = any.clone().try_into_future_reader::<u8>() {
                reader.pipe(store, take(&reading))?;
            } else if let Ok(reader) = any.clone().try_into_future_reader::<u32>() {
                reader.pipe(store, take(&reading))?;
            } else {
                let reader = any.clone().try_into_future_reader::<String>()?;
                reader.pipe(store, take(&reading))?;
            }
        }
        other => {
            let text = format!("not an end: {other:?}");
            return Err(wasmtime::Error::msg(text));
        }
    }
    Ok(reading)
}

/// What a stream's or future's payload must be for the host to make one.
trait Payload:
    wasmtime::component::ComponentType
    + wasmtime::component::Lower
    + wasmtime::component::Lift
    + Send
    + Sync
    + 'static
{
}

impl<T> Payload for T where
    T: wasmtime::component::ComponentType
        + wasmtime::component::Lower
        + wasmtime::component::Lift
        + Send
        + Sync
        + 'static
{
}

/// A stream of `items` the host makes, written as its items.
fn stream_of<T: Payload + Unpin + std::fmt::Debug>(
    store: &mut StoreContextMut<'_, Host>,
    items: Vec<T>,
) -> wasmtime::Result<Val> {
    let text = stream_text(&items);
    let reader = StreamReader::new(&mut *store, items)?;
    let value = Val::Stream(reader.try_into_stream_any(&mut *store)?);
    let id = end_id(&value)?;
    store.data_mut().ends.push((id, text));
    Ok(value)
}

/// A future of `item` the host makes, written as its value.
fn future_of<T: Payload + std::fmt::Debug>(
    store: &mut StoreContextMut<'_, Host>,
    item: T,
) -> wasmtime::Result<Val> {
    let text = future_text(&item);
    let reader = FutureReader::new(&mut *store, async move { Ok::<T, wasmtime::Error>(item) })?;
    let value = Val::Future(reader.try_into_future_any(&mut *store)?);
    let id = end_id(&value)?;
    store.data_mut().ends.push((id, text));
    Ok(value)
}

fn render_payload(
    store: &mut StoreContextMut<'_, Host>,
    payload: &Option<Box<Val>>,
    out: &mut String,
) -> wasmtime::Result<()> {
    if let Some(value) = payload {
        out.push('(');
        render(store, value, out)?;
        out.push(')');
    }
    Ok(())
}

/// A random value of `ty`; resources are new host reps.
fn value(
    rng: &mut crate::harness::Rng,
    store: &mut StoreContextMut<'_, Host>,
    ty: &Type,
    depth: usize,
) -> wasmtime::Result<Val> {
    let bits = rng.next_u64();
    // Integers: a boundary a third of the time.
    let int = |rng: &mut crate::harness::Rng| match rng.below(3) {
        0 => [0u64, 1, u64::MAX, 1 << 63, (1 << 63) - 1, 0x80, 0x7f, 0xff][rng.below(8)],
        _ => bits,
    };
    Ok(match ty {
        Type::Bool => Val::Bool(bits & 1 == 1),
        Type::S8 => Val::S8(int(rng) as i8),
        Type::U8 => Val::U8(int(rng) as u8),
        Type::S16 => Val::S16(int(rng) as i16),
        Type::U16 => Val::U16(int(rng) as u16),
        Type::S32 => Val::S32(int(rng) as i32),
        Type::U32 => Val::U32(int(rng) as u32),
        Type::S64 => Val::S64(int(rng) as i64),
        Type::U64 => Val::U64(int(rng)),
        Type::Float32 => Val::Float32(f32::from_bits(int(rng) as u32)),
        Type::Float64 => Val::Float64(f64::from_bits(int(rng))),
        Type::Char => Val::Char(char_of(rng)),
        Type::String => {
            let len = length(rng, depth) * 3;
            let kind = rng.below(4);
            Val::String(
                (0..len)
                    .map(|_| match kind {
                        0 => (b' ' + rng.below(95) as u8) as char,
                        1 => char::from_u32(0x20 + rng.below(0xe0) as u32).unwrap_or('x'),
                        _ => char_of(rng),
                    })
                    .collect(),
            )
        }
        Type::List(list) => {
            let element = list.ty();
            let len = length(rng, depth);
            Val::List(
                (0..len)
                    .map(|_| value(rng, store, &element, depth + 1))
                    .collect::<wasmtime::Result<_>>()?,
            )
        }
        Type::FixedLengthList(list) => {
            let element = list.ty();
            Val::FixedLengthList(
                (0..list.len())
                    .map(|_| value(rng, store, &element, depth + 1))
                    .collect::<wasmtime::Result<_>>()?,
            )
        }
        Type::Map(map) => {
            let (key, entry) = (map.key(), map.value());
            Val::Map(
                (0..length(rng, depth))
                    .map(|_| {
                        Ok((
                            value(rng, store, &key, depth + 1)?,
                            value(rng, store, &entry, depth + 1)?,
                        ))
                    })
                    .collect::<wasmtime::Result<_>>()?,
            )
        }
        Type::Record(record) => Val::Record(
            record
                .fields()
                .map(|field| {
                    Ok((
                        field.name.to_owned(),
                        value(rng, store, &field.ty, depth + 1)?,
                    ))
                })
                .collect::<wasmtime::Result<_>>()?,
        ),
        Type::Tuple(tuple) => Val::Tuple(
            tuple
                .types()
                .map(|ty| value(rng, store, &ty, depth + 1))
                .collect::<wasmtime::Result<_>>()?,
        ),
        Type::Variant(variant) => {
            let cases: Vec<_> = variant.cases().collect();
            let case = &cases[rng.below(cases.len())];
            let payload = match &case.ty {
                Some(ty) => Some(Box::new(value(rng, store, ty, depth + 1)?)),
                None => None,
            };
            Val::Variant(case.name.to_owned(), payload)
        }
        Type::Enum(enumeration) => {
            let names: Vec<&str> = enumeration.names().collect();
            Val::Enum(names[rng.below(names.len())].to_owned())
        }
        Type::Option(option) => match rng.below(3) {
            0 => Val::Option(None),
            _ => Val::Option(Some(Box::new(value(rng, store, &option.ty(), depth + 1)?))),
        },
        Type::Result(result) => {
            let ok = rng.below(2) == 0;
            let ty = match ok {
                true => result.ok(),
                false => result.err(),
            };
            let payload = match ty {
                Some(ty) => Some(Box::new(value(rng, store, &ty, depth + 1)?)),
                None => None,
            };
            Val::Result(if ok { Ok(payload) } else { Err(payload) })
        }
        Type::Flags(flags) => Val::Flags(
            flags
                .names()
                .filter(|_| rng.below(2) == 0)
                .map(str::to_owned)
                .collect(),
        ),
        Type::Stream(stream) => end(rng, store, true, stream.ty())?,
        Type::Future(future) => end(rng, store, false, future.ty())?,
        Type::Own(_) | Type::Borrow(_) => {
            let rep = store.data().next_rep;
            store.data_mut().next_rep += 1;
            // A host borrow exists only during a call: the host lends a
            // handle it owns instead (and keeps it).
            let text = match ty {
                Type::Own(_) => format!("own<{rep}>"),
                _ => format!("borrow<{rep}>"),
            };
            let any = Resource::<R>::new_own(rep).try_into_resource_any(&mut *store)?;
            store.data_mut().made.push((any, text));
            Val::Resource(any)
        }
        other => bail_wasmtime(other)?,
    })
}

fn bail_wasmtime(ty: &Type) -> wasmtime::Result<Val> {
    Err(wasmtime::Error::msg(format!(
        "the fuzzer generates no {ty:?}"
    )))
}

/// A list or string length: short mostly, sometimes long, shorter deeper.
fn length(rng: &mut crate::harness::Rng, depth: usize) -> usize {
    match (rng.below(12), depth) {
        (0, 0) => 20 + rng.below(80),
        (0..=2, _) => 0,
        (_, 0..=1) => 1 + rng.below(4),
        _ => rng.below(3),
    }
}

/// A random char: ASCII, Latin-1, the BMP or beyond.
fn char_of(rng: &mut crate::harness::Rng) -> char {
    let raw = rng.next_u64() as u32;
    let code = match rng.below(4) {
        0 => 0x20 + raw % 0x5f,
        1 => 0x80 + raw % 0x80,
        2 => raw % 0x1_0000,
        _ => raw % 0x11_0000,
    };
    char::from_u32(code).unwrap_or('\u{FFFD}')
}
