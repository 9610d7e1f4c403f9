//! Linking a component for the harness: WASI p2 from wasmtime-wasi, and a
//! trapping stub for every other import.
//!
//! WASI imports are left to wasmtime-wasi so that its semver matching
//! applies (a component importing `wasi:cli/stdout@0.2.0` is served by the
//! 0.2.x implementation wasmtime ships). wasmtime's own
//! `define_unknown_imports_as_traps` cannot be used for the rest: it
//! defines instances under the exact imported name, which shadows those
//! semver matches. Stubs trap when called, identically on both sides; the
//! names of stubbed imports are reported so that a fixture whose behaviour
//! goes untested because of them is visible.

use anyhow::{Context, Result, anyhow};
use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, InstancePre, Linker, LinkerInstance, ResourceType};

/// A linked component: ready to instantiate, plus the imports that were
/// stubbed (`iface#func` names).
pub(crate) struct Linked<T: 'static> {
    pub(crate) pre: InstancePre<T>,
    pub(crate) stubbed: Vec<String>,
}

/// Links `component` with WASI p2 (for a store whose data is `T`) and
/// stubs for its non-WASI imports.
pub(crate) fn link<T: wasmtime_wasi::WasiView + 'static>(
    engine: &Engine,
    component: &Component,
) -> Result<Linked<T>> {
    let mut linker = Linker::<T>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
        .map_err(anyhow::Error::from)
        .context("adding WASI p2 to the linker")?;
    let mut stubbed = Vec::new();
    let ty = component.component_type();
    for (name, import) in ty.imports(engine) {
        if name.starts_with("wasi:") {
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
    Ok(Linked { pre, stubbed })
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
        ComponentItem::CoreFunc(_) | ComponentItem::Module(_) | ComponentItem::Component(_) => {
            return Err(anyhow!("the harness cannot stub an import of this kind"));
        }
    }
    Ok(())
}
