//! The nested component behind an exported instance that a bag of items
//! cannot be.
//!
//! Most exported instances are a bag of their items (`instance` from
//! exports) exported with the instance's type ascribed, which gives every
//! type the interface exports an identity of its own (see
//! `Wrapper::export`). A bag cannot hold the functions of a resource
//! (`[constructor]r`, `[method]r.f`, `[static]r.f`): wasmparser checks a
//! bag's names without knowing the resources it exports. As wit-component
//! does, such an instance is an instance of a small component that
//! imports the functions and types (each type `eq` a local, structural
//! definition; every record, variant, enum or flags type such a definition
//! refers to is imported too, since a component may only refer to named
//! types) and exports them again. Each exported type is then a new type
//! equal to its definition, and a type the interface `use`s from another
//! one is that other type, exactly as in the input.

use super::builder::Builder;
use super::types::{Key, Scope};
use crate::error::{Error, Result};
use std::collections::HashMap;
use wasm_encoder::{ComponentExportKind, ComponentTypeRef, TypeBounds};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};
use wasmparser::types::TypesRef;

/// One export of the instance.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) name: String,
    pub(crate) ty: ComponentEntityType,
    /// A type already named outside (another interface's type this one
    /// `use`s, or an imported one): exported as the type it is given.
    pub(crate) used: bool,
}

/// The nested component and the extra types it imports (by import name),
/// which the instantiation must supply besides the items: records,
/// variants, enums and flags its definitions refer to, and resources its
/// functions use that it does not export (another instance's).
#[derive(Debug)]
pub(crate) struct Nested {
    pub(crate) bytes: Vec<u8>,
    pub(crate) deps: Vec<(String, Key)>,
}

/// The name under which the nested component imports export `name`.
pub(crate) fn import_name(kind: ComponentExportKind, name: &str) -> String {
    // `[constructor]r`, `[method]r.f` and `[static]r.f` are not plain
    // names; as wit-component does, they become `import-constructor-r`,
    // `import-method-r-f` and `import-static-r-f`.
    let annotated = ["constructor", "method", "static"]
        .into_iter()
        .find_map(|a| {
            let rest = name.strip_prefix(&format!("[{a}]"))?;
            Some(format!("import-{a}-{}", rest.replace('.', "-")))
        });
    match (kind, annotated) {
        (_, Some(annotated)) => annotated,
        (ComponentExportKind::Type, None) => format!("import-type-{name}"),
        (ComponentExportKind::Module, None) => format!("import-module-{name}"),
        (ComponentExportKind::Component, None) => format!("import-component-{name}"),
        _ => format!("import-func-{name}"),
    }
}

/// Encodes the nested component for an instance with these exports
/// (functions and types; a resource type is imported and exported as it is).
pub(crate) fn component(types: TypesRef<'_>, exports: &[Item]) -> Result<Nested> {
    let mut b = Builder::default();
    let mut deps = Vec::new();
    // Import phase: every item imported; types as `eq` a local definition.
    let mut imported = Vec::with_capacity(exports.len());
    let mut local: HashMap<Key, u32> = HashMap::new();
    for Item { name, ty, .. } in exports {
        let mut scope = scope(&mut b, types, std::mem::take(&mut local), deps);
        let (kind, ty_ref) = match *ty {
            ComponentEntityType::Type {
                referenced: ComponentAnyTypeId::Defined(d),
                ..
            } => (
                ComponentExportKind::Type,
                scope
                    .define_here(d)
                    .map(|i| ComponentTypeRef::Type(TypeBounds::Eq(i))),
            ),
            ComponentEntityType::Func(f) => (
                ComponentExportKind::Func,
                scope.func(f).map(ComponentTypeRef::Func),
            ),
            ComponentEntityType::Type {
                referenced: ComponentAnyTypeId::Resource(_),
                ..
            } => (
                ComponentExportKind::Type,
                Ok(ComponentTypeRef::Type(TypeBounds::SubResource)),
            ),
            // Passed along: imported with its type, exported as it is.
            ComponentEntityType::Module(_) => {
                (ComponentExportKind::Module, scope.entity(name, *ty))
            }
            ComponentEntityType::Component(_) => {
                (ComponentExportKind::Component, scope.entity(name, *ty))
            }
            _ => {
                return Err(Error::unsupported(format!(
                    "exported instance item `{name}` is not a function, a type, a core module \
                     or a component"
                )));
            }
        };
        local = scope.local;
        deps = scope.deps.unwrap_or_default();
        let index = b.import(&import_name(kind, name), ty_ref?)?;
        if let ComponentEntityType::Type {
            referenced,
            created,
        } = *ty
        {
            local.insert(Key::of(referenced)?, index);
            local.insert(Key::of(created)?, index);
        }
        imported.push(index);
    }
    // Export phase: a used type is exported as its import; a type of this
    // interface as a definition over the types exported before it;
    // functions with their types restated over the exported types. So the
    // instance refers only to named types, as an export must.
    let mut exported: HashMap<Key, u32> = deps
        .iter()
        .filter_map(|(_, key)| local.get(key).map(|i| (*key, *i)))
        .collect();
    for (Item { name, ty, used }, index) in exports.iter().zip(imported) {
        let mut scope = scope(&mut b, types, std::mem::take(&mut exported), deps);
        let (kind, item, ascribed) = match *ty {
            ComponentEntityType::Type {
                referenced: ComponentAnyTypeId::Defined(d),
                ..
            } if !used => (ComponentExportKind::Type, scope.define_here(d), None),
            ComponentEntityType::Type { .. } => (ComponentExportKind::Type, Ok(index), None),
            ComponentEntityType::Module(_) => (ComponentExportKind::Module, Ok(index), None),
            ComponentEntityType::Component(_) => (ComponentExportKind::Component, Ok(index), None),
            ComponentEntityType::Func(f) => (
                ComponentExportKind::Func,
                Ok(index),
                Some(scope.func(f).map(ComponentTypeRef::Func)),
            ),
            _ => return Err(Error::internal("exported item kind changed")),
        };
        exported = scope.local;
        deps = scope.deps.unwrap_or_default();
        let new = b.export(name, kind, item?, ascribed.transpose()?)?;
        if let ComponentEntityType::Type {
            referenced,
            created,
        } = *ty
        {
            exported.insert(Key::of(referenced)?, new);
            exported.insert(Key::of(created)?, new);
        }
    }
    Ok(Nested {
        bytes: b.finish(),
        deps,
    })
}

fn scope<'s>(
    b: &'s mut Builder,
    types: TypesRef<'s>,
    local: HashMap<Key, u32>,
    deps: Vec<(String, Key)>,
) -> Scope<'s, Builder> {
    Scope {
        sink: b,
        local,
        outer: None,
        types,
        deps: Some(deps),
    }
}
