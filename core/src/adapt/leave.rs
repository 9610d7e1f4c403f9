//! Which reallocs the host calls may leave their component.
//!
//! The host calls an inner component's `realloc` to pass values in (the
//! parameters of a root export) or out (the results of a root import it
//! lowered). In the original its instance may not leave during that call:
//! a call out traps (wasmtime's `may_leave`). After fusion that call out
//! is a plain call, so such a component needs its `may_leave` flag, cleared
//! while the host's realloc runs, and every call out of it checks the flag
//! (`with_flags`). Both cost speed, so only components whose realloc can
//! reach a call out get them: the realloc's core function and every
//! function it calls directly are scanned for calls to imported functions
//! (other components, the host, built-ins) or through a table or
//! reference (which could be anything). A wit-bindgen `cabi_realloc`
//! reaches none.

use crate::decode::Decoded;
use crate::error::{Error, Result};
use crate::graph::{CoreDef, Graph, InnerId};
use std::collections::BTreeSet;
use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};

/// The components whose realloc the host calls and which may call out of
/// the component during it.
pub(crate) fn host_reallocs_leaving(
    decoded: &Decoded<'_>,
    graph: &Graph,
) -> Result<BTreeSet<InnerId>> {
    let mut reallocs: Vec<(InnerId, &CoreDef)> = Vec::new();
    let mut lifts = Vec::new();
    for (_, item, _) in &graph.exports {
        crate::merge::exported_lifts(item, &mut lifts);
    }
    for id in lifts {
        let lifted = &graph.lifted[id.0];
        if let Some(realloc) = &lifted.options.realloc {
            reallocs.push((lifted.component, realloc));
        }
    }
    for lowering in &graph.lowerings {
        if let Some(realloc) = &lowering.options.realloc {
            reallocs.push((lowering.caller, realloc));
        }
    }
    let mut leaving = BTreeSet::new();
    // Many host calls share one realloc (a component's `cabi_realloc`):
    // each is scanned once.
    let mut scanned = std::collections::BTreeMap::new();
    for (component, realloc) in reallocs {
        if leaving.contains(&component) {
            continue;
        }
        let key = match realloc {
            CoreDef::Export(instance, name) => Some((graph.instances[instance.0].module, name)),
            _ => None,
        };
        let leaves = match key.and_then(|k| scanned.get(&k).copied()) {
            Some(known) => known,
            None => {
                let found = may_call_out(decoded, graph, realloc)?;
                if let Some(k) = key {
                    scanned.insert(k, found);
                }
                found
            }
        };
        if leaves {
            leaving.insert(component);
        }
    }
    Ok(leaving)
}

/// Whether core function `def` may call a function outside its module.
fn may_call_out(decoded: &Decoded<'_>, graph: &Graph, def: &CoreDef) -> Result<bool> {
    let CoreDef::Export(instance, name) = def else {
        // Not a module's own function: an adapter, a lowering or a
        // built-in leaves by itself.
        return Ok(true);
    };
    let module = graph.instances[instance.0].module;
    let bytes = decoded.modules[module.0].bytes;
    let mut imported = 0u32;
    let mut export = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ImportSection(section) => {
                for import in section.into_imports() {
                    if matches!(import?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::ExportSection(section) => {
                for e in section {
                    let e = e?;
                    if e.name == name
                        && matches!(e.kind, ExternalKind::Func | ExternalKind::FuncExact)
                    {
                        export = Some(e.index);
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let start =
        export.ok_or_else(|| Error::internal(format!("realloc `{name}` is not exported")))?;
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(func) = todo.pop() {
        if !seen.insert(func) {
            continue;
        }
        let Some(body) = func
            .checked_sub(imported)
            .and_then(|i| bodies.get(i as usize))
        else {
            return Ok(true);
        };
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            match ops.read()? {
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    todo.push(function_index);
                }
                Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => return Ok(true),
                _ => {}
            }
        }
    }
    Ok(false)
}
