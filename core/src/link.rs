//! Several top-level inputs: link them into one composed component, as
//! `wac plug` would, before fusing.
//!
//! Each input's exports satisfy the imports of the same name of the other
//! inputs; imports nobody provides become imports of the result (once per
//! name), and the first input's exports are the result's exports. The
//! inputs are embedded whole and instantiated in dependency order, so the
//! ordinary pipeline fuses the result like any composition.

use crate::error::{Error, Result};
use crate::wrap::builder::Builder;
use crate::wrap::{import_item, types::Key};
use std::collections::HashMap;
use wasm_encoder::ComponentExportKind;
use wasmparser::component_types::ComponentEntityType;
use wasmparser::{ComponentExternalKind, Parser, Payload, Validator, WasmFeatures};

/// The root imports and exports of one input.
struct Input<'a> {
    bytes: &'a [u8],
    types: wasmparser::types::Types,
    imports: Vec<(String, ComponentEntityType)>,
    exports: Vec<(String, ComponentExternalKind)>,
}

fn read(bytes: &[u8]) -> Result<Input<'_>> {
    if !Parser::is_component(bytes) {
        return Err(Error::invalid(
            "not a component (every input must be a component)",
        ));
    }
    let types = Validator::new_with_features(WasmFeatures::all()).validate_all(bytes)?;
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(s) if depth == 0 => {
                for import in s {
                    let name = import?.name.name;
                    let ty = types
                        .as_ref()
                        .component_item_for_import(name)
                        .ok_or_else(|| Error::internal(format!("no type for import `{name}`")))?
                        .ty;
                    imports.push((name.to_string(), ty));
                }
            }
            Payload::ComponentExportSection(s) if depth == 0 => {
                for export in s {
                    let export = export?;
                    exports.push((export.name.name.to_string(), export.kind));
                }
            }
            _ => {}
        }
    }
    Ok(Input {
        bytes,
        types,
        imports,
        exports,
    })
}

fn export_kind(kind: ComponentExternalKind) -> Result<ComponentExportKind> {
    Ok(match kind {
        ComponentExternalKind::Func => ComponentExportKind::Func,
        ComponentExternalKind::Instance => ComponentExportKind::Instance,
        ComponentExternalKind::Type => ComponentExportKind::Type,
        ComponentExternalKind::Component => ComponentExportKind::Component,
        ComponentExternalKind::Module => ComponentExportKind::Module,
        ComponentExternalKind::Value => ComponentExportKind::Value,
    })
}

fn entity_kind(ty: &ComponentEntityType) -> ComponentExportKind {
    match ty {
        ComponentEntityType::Module(_) => ComponentExportKind::Module,
        ComponentEntityType::Func(_) => ComponentExportKind::Func,
        ComponentEntityType::Value(_) => ComponentExportKind::Value,
        ComponentEntityType::Type { .. } => ComponentExportKind::Type,
        ComponentEntityType::Instance(_) => ComponentExportKind::Instance,
        ComponentEntityType::Component(_) => ComponentExportKind::Component,
    }
}

/// Links `inputs` into one component.
pub(crate) fn link(inputs: &[&[u8]]) -> Result<Vec<u8>> {
    let inputs = inputs
        .iter()
        .enumerate()
        .map(|(i, bytes)| read(bytes).map_err(|e| e.in_input(i)))
        .collect::<Result<Vec<_>>>()?;

    // Who provides each name.
    let mut provider: HashMap<&str, usize> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        for (name, _) in &input.exports {
            if let Some(other) = provider.insert(name, i) {
                if i != 0 && other != 0 {
                    return Err(Error::link(format!(
                        "inputs {other} and {i} both export `{name}`; which one to plug in is ambiguous"
                    )));
                }
                // The first input's exports are the result's, not a plug.
                provider.insert(name, other.max(i));
            }
        }
    }
    let provided = |i: usize, name: &str| provider.get(name).copied().filter(|&p| p != i && p != 0);

    // Instantiation order: every provider before its users.
    let mut order = Vec::new();
    let mut state = vec![0u8; inputs.len()]; // 0 new, 1 in progress, 2 done
    fn visit(
        i: usize,
        inputs: &[Input<'_>],
        provided: &dyn Fn(usize, &str) -> Option<usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                return Err(Error::link(format!(
                    "input {i} depends on itself through the others (a cycle)"
                )));
            }
            _ => {}
        }
        state[i] = 1;
        for (name, _) in &inputs[i].imports {
            if let Some(p) = provided(i, name) {
                visit(p, inputs, provided, state, order)?;
            }
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..inputs.len() {
        visit(i, &inputs, &provided, &mut state, &mut order)?;
    }

    let mut b = Builder::default();
    let mut root_imports: HashMap<String, (u32, ComponentExportKind)> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut outer: HashMap<Key, u32> = HashMap::new();
        for (name, ty) in &input.imports {
            if provided(i, name).is_some() || root_imports.contains_key(name) {
                continue;
            }
            let index = import_item(&mut b, input.types.as_ref(), &mut outer, name, *ty)
                .map_err(|e| e.in_input(i))?;
            root_imports.insert(name.clone(), (index, entity_kind(ty)));
        }
    }
    let components: Vec<u32> = inputs
        .iter()
        .map(|input| b.component(input.bytes))
        .collect();
    let mut instances: HashMap<usize, u32> = HashMap::new();
    for &i in &order {
        let mut args = Vec::new();
        for (name, ty) in &inputs[i].imports {
            let kind = entity_kind(ty);
            let index = match provided(i, name) {
                Some(p) => b.alias_export(instances[&p], name, kind)?,
                None => root_imports[name].0,
            };
            args.push((name.as_str(), kind, index));
        }
        instances.insert(i, b.instantiate(components[i], &args));
    }
    for (name, kind) in &inputs[0].exports {
        let kind = export_kind(*kind)?;
        let index = b.alias_export(instances[&0], name, kind)?;
        b.export(name, kind, index, None)?;
    }
    Ok(b.finish())
}
