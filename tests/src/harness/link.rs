//! Linking a component for the harness: WASI p2 from wasmtime-wasi, the
//! test host `meld:test/host` (below), and a trapping stub for every other
//! import.
//!
//! WASI imports are left to wasmtime-wasi so that its semver matching
//! applies (a component importing `wasi:cli/stdout@0.2.0` is served by the
//! 0.2.x implementation wasmtime ships). wasmtime's own
//! `define_unknown_imports_as_traps` cannot be used for the rest: it
//! defines instances under the exact imported name, which shadows those
//! semver matches. Stubs trap when called, identically on both sides; the
//! names of stubbed imports are reported so that a fixture whose behaviour
//! goes untested because of them is visible.
//!
//! The async test host `meld:test/slow` ([`slow_host`]) answers async
//! calls after a given number of ticks of a virtual clock.
//!
//! The test host gives compositions a host resource of their own to hold,
//! lend and misuse, like WASI's streams but with every shape of handle
//! crossing the host boundary:
//!
//! ```wit
//! interface host {
//!   resource thing {
//!     constructor(v: u32);            // the thing's rep is v
//!     value: func() -> u32;
//!   }
//!   sum: func(things: list<borrow<thing>>) -> u32;
//!   make-list: func(n: u32) -> list<thing>;    // values 1..=n
//!   take: func(t: thing) -> u32;      // the host drops it
//!   dropped: func() -> list<u32>;     // reps the host has dropped
//! }
//! ```

use crate::wasi::WasiHost;
use anyhow::{Context, Result, anyhow};
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, InstancePre, Linker, LinkerInstance, Resource, ResourceAny, ResourceType, Val,
};

/// The name under which a component imports the test host.
pub const TEST_HOST: &str = "meld:test/host";

/// The name under which a component imports the async test host (below).
pub const SLOW_HOST: &str = "meld:test/slow";

/// The test host's resource type.
struct Thing;

/// A linked component: ready to instantiate, plus the imports that were
/// stubbed (`iface#func` names).
pub(crate) struct Linked<T: 'static> {
    pub(crate) pre: InstancePre<T>,
    pub(crate) stubbed: Vec<String>,
    /// Whether it imports the async test host.
    pub(crate) async_host: bool,
}

/// Links `component` with WASI p2, the test host and stubs for its other
/// imports.
pub(crate) fn link(engine: &Engine, component: &Component) -> Result<Linked<WasiHost>> {
    let mut linker = Linker::<WasiHost>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding WASI p2 to the linker")?;
    let mut stubbed = Vec::new();
    let mut async_host = false;
    let ty = component.component_type();
    for (name, import) in ty.imports(engine) {
        if name.starts_with("wasi:") {
            continue;
        }
        if name == TEST_HOST {
            test_host(&mut linker).context("adding the test host")?;
            continue;
        }
        if name == SLOW_HOST {
            slow_host(&mut linker).context("adding the async test host")?;
            async_host = true;
            continue;
        }
        stub(
            engine,
            &mut linker.root(),
            name,
            name,
            &import.ty,
            &mut stubbed,
        )
        .with_context(|| format!("stubbing import `{name}`"))?;
    }
    let pre = linker
        .instantiate_pre(component)
        .map_err(anyhow::Error::from)?;
    Ok(Linked {
        pre,
        stubbed,
        async_host,
    })
}

/// The value of the `u32` at `vals[i]`.
fn u32_at(vals: &[Val], i: usize) -> wasmtime::Result<u32> {
    match vals.get(i) {
        Some(Val::U32(v)) => Ok(*v),
        other => Err(wasmtime::Error::msg(format!(
            "test host: expected a u32, got {other:?}"
        ))),
    }
}

/// The rep of the `thing` handle at `val`.
fn thing_rep(
    store: &mut wasmtime::StoreContextMut<'_, WasiHost>,
    val: &Val,
) -> wasmtime::Result<u32> {
    match val {
        Val::Resource(any) => Ok(Resource::<Thing>::try_from_resource_any(*any, store)?.rep()),
        other => Err(wasmtime::Error::msg(format!(
            "test host: expected a thing, got {other:?}"
        ))),
    }
}

/// A new own `thing` of rep `v`.
fn new_thing(store: &mut wasmtime::StoreContextMut<'_, WasiHost>, v: u32) -> wasmtime::Result<Val> {
    let any = ResourceAny::try_from_resource(Resource::<Thing>::new_own(v), store)?;
    Ok(Val::Resource(any))
}

/// Defines the test host's instance.
fn test_host(linker: &mut Linker<WasiHost>) -> Result<()> {
    let mut host = linker.instance(TEST_HOST).map_err(anyhow::Error::from)?;
    host.resource("thing", ResourceType::host::<Thing>(), |mut store, rep| {
        store.data_mut().things_dropped.push(rep);
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    host.func_new("[constructor]thing", |mut store, _, params, results| {
        results[0] = new_thing(&mut store, u32_at(params, 0)?)?;
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    host.func_new("[method]thing.value", |mut store, _, params, results| {
        results[0] = Val::U32(thing_rep(&mut store, &params[0])?);
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    host.func_new("sum", |mut store, _, params, results| {
        let Some(Val::List(things)) = params.first() else {
            return Err(wasmtime::Error::msg("test host: sum takes a list"));
        };
        let mut sum = 0u32;
        for thing in things {
            sum = sum.wrapping_add(thing_rep(&mut store, thing)?);
        }
        results[0] = Val::U32(sum);
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    host.func_new("make-list", |mut store, _, params, results| {
        let n = u32_at(params, 0)?.min(64);
        let things = (1..=n)
            .map(|v| new_thing(&mut store, v))
            .collect::<wasmtime::Result<_>>()?;
        results[0] = Val::List(things);
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    host.func_new("take", |mut store, _, params, results| {
        // The host owns the thing now; it drops it at once.
        let rep = thing_rep(&mut store, &params[0])?;
        store.data_mut().things_dropped.push(rep);
        results[0] = Val::U32(rep);
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    host.func_new("dropped", |store, _, _, results| {
        let reps = store.data().things_dropped.iter().map(|r| Val::U32(*r));
        results[0] = Val::List(reps.collect());
        Ok(())
    })
    .map_err(anyhow::Error::from)?;
    Ok(())
}

/// Most ticks an async test host call takes (generated arguments are
/// large).
const MAX_TICKS: u32 = 8;

/// Defines the async test host, whose functions finish after as many
/// ticks of the virtual clock (`harness::clock`) as their first parameter
/// says, at most [`MAX_TICKS`] (0: at once, so that an async caller gets
/// RETURNED):
///
/// ```wit
/// interface slow {
///   later: async func(ticks: u32, v: u32) -> u32;   // v + 1000
///   pause: async func(ticks: u32);
///   sum: async func(ticks: u32, a: u32, b: u32, c: u32, d: u32) -> u32;
///   echo: async func(ticks: u32, s: string) -> string;  // s + "!"
///   make: async func(ticks: u32, v: u32) -> thing;      // the host's thing v
///   peek: async func(ticks: u32, t: borrow<thing>) -> u32;  // its value
///   // n things of values 1..=n, each with its name: `name` and its value
///   make-named: async func(ticks: u32, n: u32, name: string)
///       -> list<tuple<string, thing>>;
///   weigh: async func(ticks: u32, ts: list<borrow<thing>>) -> u32;  // sum
///   join: async func(ticks: u32, parts: list<string>) -> string;  // with `|`
/// }
/// ```
fn slow_host(linker: &mut Linker<WasiHost>) -> Result<()> {
    let mut host = linker.instance(SLOW_HOST).map_err(anyhow::Error::from)?;
    host.func_new_concurrent("later", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            results[0] = Val::U32(u32_at(params, 1)?.wrapping_add(1000));
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("pause", |accessor, _, params, _| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("make", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let v = u32_at(params, 1)?;
            results[0] = accessor.with(|mut access| {
                new_thing(&mut wasmtime::AsContextMut::as_context_mut(&mut access), v)
            })?;
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("peek", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let thing = params
                .get(1)
                .ok_or_else(|| wasmtime::Error::msg("test host: peek takes a thing"))?;
            let rep = accessor.with(|mut access| {
                thing_rep(
                    &mut wasmtime::AsContextMut::as_context_mut(&mut access),
                    thing,
                )
            })?;
            results[0] = Val::U32(rep);
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("make-named", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let n = u32_at(params, 1)?.min(64);
            let Some(Val::String(name)) = params.get(2) else {
                return Err(wasmtime::Error::msg("test host: make-named takes a name"));
            };
            let named = accessor.with(|mut access| {
                let mut store = wasmtime::AsContextMut::as_context_mut(&mut access);
                (1..=n)
                    .map(|v| {
                        let thing = new_thing(&mut store, v)?;
                        Ok(Val::Tuple(vec![Val::String(format!("{name}{v}")), thing]))
                    })
                    .collect::<wasmtime::Result<Vec<_>>>()
            })?;
            results[0] = Val::List(named);
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("weigh", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let Some(Val::List(things)) = params.get(1) else {
                return Err(wasmtime::Error::msg("test host: weigh takes things"));
            };
            let sum = accessor.with(|mut access| {
                let mut store = wasmtime::AsContextMut::as_context_mut(&mut access);
                things.iter().try_fold(0u32, |sum, thing| {
                    Ok::<_, wasmtime::Error>(sum.wrapping_add(thing_rep(&mut store, thing)?))
                })
            })?;
            results[0] = Val::U32(sum);
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("echo", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let Some(Val::String(s)) = params.get(1) else {
                return Err(wasmtime::Error::msg("test host: echo takes a string"));
            };
            results[0] = Val::String(format!("{s}!"));
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("join", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let Some(Val::List(parts)) = params.get(1) else {
                return Err(wasmtime::Error::msg("test host: join takes strings"));
            };
            let parts = parts
                .iter()
                .map(|part| match part {
                    Val::String(s) => Ok(s.as_str()),
                    _ => Err(wasmtime::Error::msg("test host: join takes strings")),
                })
                .collect::<wasmtime::Result<Vec<_>>>()?;
            results[0] = Val::String(parts.join("|"));
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    host.func_new_concurrent("sum", |accessor, _, params, results| {
        Box::pin(async move {
            sleep(accessor, params)?.await;
            let mut sum = 0u32;
            for i in 1..5 {
                sum = sum.wrapping_add(u32_at(params, i)?);
            }
            results[0] = Val::U32(sum);
            Ok(())
        })
    })
    .map_err(anyhow::Error::from)?;
    Ok(())
}

/// The sleep of an async test host call: the first parameter's ticks.
fn sleep(
    accessor: &wasmtime::component::Accessor<WasiHost>,
    params: &[Val],
) -> wasmtime::Result<super::clock::Sleep> {
    let ticks = u32_at(params, 0)?.min(MAX_TICKS);
    Ok(accessor.with(|mut access| access.data_mut().clock.sleep(ticks)))
}

/// Defines `name` in `linker` as a stub of `item`; `path` is the full
/// name for messages.
fn stub<T: 'static>(
    engine: &Engine,
    linker: &mut LinkerInstance<'_, T>,
    name: &str,
    path: &str,
    item: &ComponentItem,
    stubbed: &mut Vec<String>,
) -> Result<()> {
    match item {
        ComponentItem::ComponentFunc(_) => {
            let message = format!("import `{path}` is stubbed by the harness and traps");
            linker
                .func_new(name, move |_, _, _, _| {
                    Err(wasmtime::Error::msg(message.clone()))
                })
                .map_err(anyhow::Error::from)?;
            stubbed.push(path.to_string());
        }
        ComponentItem::Resource(_) => {
            linker
                .resource(name, ResourceType::host::<()>(), |_, _| Ok(()))
                .map_err(anyhow::Error::from)?;
        }
        ComponentItem::ComponentInstance(instance) => {
            let mut nested = linker.instance(name).map_err(anyhow::Error::from)?;
            for (export, item) in instance.exports(engine) {
                let path = format!("{path}#{export}");
                stub(engine, &mut nested, export, &path, &item.ty, stubbed)?;
            }
        }
        ComponentItem::Type(_) => {}
        ComponentItem::Module(module) => {
            let wat = stub_module(engine, module)?;
            let module = wasmtime::Module::new(engine, &wat)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("compiling the stub module for `{path}`:\n{wat}"))?;
            linker.module(name, &module).map_err(anyhow::Error::from)?;
            stubbed.push(path.to_string());
        }
        ComponentItem::CoreFunc(_) | ComponentItem::Component(_) => {
            return Err(anyhow!("the harness cannot stub an import of this kind"));
        }
    }
    Ok(())
}

/// A core module (WAT) with no imports and every export of `module`'s
/// type: functions trap, memories and tables are empty, globals zero.
fn stub_module(engine: &Engine, module: &wasmtime::component::types::Module) -> Result<String> {
    use wasmtime::{ExternType, ValType};
    let val = |t: &ValType| -> Result<&'static str> {
        Ok(match t {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::Ref(r) if r.matches(&wasmtime::RefType::FUNCREF) => "funcref",
            ValType::Ref(r) if r.matches(&wasmtime::RefType::EXTERNREF) => "externref",
            ValType::Ref(_) => return Err(anyhow!("the harness cannot stub a GC value type")),
        })
    };
    let mut wat = String::from("(module\n");
    for (name, ty) in module.exports(engine) {
        let line = match ty {
            ExternType::Func(f) => {
                let params = f.params().map(|t| val(&t)).collect::<Result<Vec<_>>>()?;
                let results = f.results().map(|t| val(&t)).collect::<Result<Vec<_>>>()?;
                format!(
                    "(func (export {name:?}) (param {}) (result {}) unreachable)",
                    params.join(" "),
                    results.join(" ")
                )
            }
            ExternType::Memory(m) => {
                let max = m.maximum().map(|m| m.to_string()).unwrap_or_default();
                format!("(memory (export {name:?}) {} {max})", m.minimum())
            }
            ExternType::Table(t) => {
                let max = t.maximum().map(|m| m.to_string()).unwrap_or_default();
                let element = if t.element().matches(&wasmtime::RefType::FUNCREF) {
                    "funcref"
                } else {
                    "externref"
                };
                format!("(table (export {name:?}) {} {max} {element})", t.minimum())
            }
            ExternType::Global(g) => {
                let ty = val(g.content())?;
                let ty = match g.mutability() {
                    wasmtime::Mutability::Var => format!("(mut {ty})"),
                    wasmtime::Mutability::Const => ty.to_string(),
                };
                let init = match g.content() {
                    ValType::Ref(_) => {
                        format!("(ref.null {})", val(g.content())?.trim_end_matches("ref"))
                    }
                    ValType::V128 => "(v128.const i64x2 0 0)".to_string(),
                    other => format!("({}.const 0)", val(other)?),
                };
                format!("(global (export {name:?}) {ty} {init})")
            }
            ExternType::Tag(_) => return Err(anyhow!("the harness cannot stub a tag export")),
        };
        wat.push_str("  ");
        wat.push_str(&line);
        wat.push('\n');
    }
    wat.push(')');
    Ok(wat)
}
