//! Stage 7: a component around the fused module with the input's world.
//!
//! The wrapper imports exactly what the root imported (types re-encoded by
//! [`types`]), lowers each imported function the fused module needs with
//! the canonical options of the inner component that used it, instantiates
//! the fused module, and lifts and exports exactly what the root exported.
//!
//! Lowerings that need the fused module's memory or realloc cannot exist
//! before the module is instantiated, yet the module imports them. As in
//! wit-component, a shim module stands in: it exports one trampoline per
//! such lowering that calls through a table, and after instantiation a
//! fixup module fills the table with the real lowered functions.

pub(crate) mod builder;
mod nested;
pub(crate) mod types;

use crate::boundary::{Boundary, NamedOptions};
use crate::decode::StringEncoding;
use crate::error::{Error, Result};
use crate::graph::*;
use builder::Builder;
use std::collections::{BTreeMap, HashMap, HashSet};
use types::{Key, Scope};
use wasm_encoder::{
    CanonicalOption, ComponentExportKind, ComponentTypeRef, ExportKind, TypeBounds,
};
use wasmparser::component_types::{
    ComponentAnyTypeId, ComponentEntityType, ComponentInstanceTypeId,
};
use wasmparser::types::TypesRef;

const SHIM_TABLE: &str = "$imports";

/// The component with the input's world around the fused core module,
/// built before the module is: the module's bytes come at
/// [`Prepared::finish`].
pub(crate) fn prepare(types: TypesRef<'_>, graph: &Graph, boundary: &Boundary) -> Result<Prepared> {
    let mut w = Wrapper {
        types,
        b: Builder::default(),
        outer: HashMap::new(),
        imports: Vec::new(),
        named: HashSet::new(),
        host_funcs: BTreeMap::new(),
        exported_types: BTreeMap::new(),
        export_funcs: BTreeMap::new(),
        bell_type: None,
    };
    for import in &graph.imports {
        w.import(import)?;
    }
    w.named = w.outer.keys().copied().collect();

    // Imported functions that need the fused module's memory or realloc,
    // and destructors of exported resources (the fused module's own
    // functions), go through the shim.
    let shimmed: Vec<usize> = (0..boundary.imports.len())
        .filter(|&i| {
            let options = &boundary.imports[i].options;
            options.memory.is_some() || options.realloc.is_some()
        })
        .collect();
    let dtor_sig = wasmparser::FuncType::new([wasmparser::ValType::I32], []);
    let mut sigs: Vec<_> = shimmed.iter().map(|&i| &boundary.imports[i].ty).collect();
    sigs.extend(boundary.dtor_exports.values().map(|_| &dtor_sig));
    let mut core_funcs = vec![None; boundary.imports.len()];
    let shim = if sigs.is_empty() {
        None
    } else {
        let module = w.b.core_module(&shim_module(&sigs)?);
        let instance = w.b.core_instantiate(module, &[]);
        for (slot, &i) in shimmed.iter().enumerate() {
            core_funcs[i] =
                Some(w.b.core_alias_export(instance, &slot.to_string(), ExportKind::Func)?);
        }
        Some(instance)
    };
    // The wrapper's own resource type for each exported inner one; the
    // host's handles live in the wrapper's table.
    for resource in graph.exported_resources() {
        let dtor = match boundary.dtor_exports.keys().position(|r| *r == resource) {
            Some(k) => {
                let shim = shim.ok_or_else(|| Error::internal("a destructor without a shim"))?;
                let slot = (shimmed.len() + k).to_string();
                Some(w.b.core_alias_export(shim, &slot, ExportKind::Func)?)
            }
            None => None,
        };
        let ty = w.b.resource_type(dtor);
        w.exported_types.insert(resource, ty);
    }
    // An async export's task.return is made before the exports are: the
    // types its result names must be known first.
    if graph.runtime.is_some() {
        for (_, item, ty) in &graph.exports {
            w.preregister(item, *ty)?;
        }
    }
    for (i, import) in boundary.imports.iter().enumerate() {
        if core_funcs[i].is_none() {
            core_funcs[i] = Some(match &import.item {
                HostItem::TaskReturn(id) => {
                    let options = w.options(0, &import.options)?;
                    w.task_return(graph, *id, &options)?
                }
                HostItem::Builtin(id) => {
                    let options = w.options(0, &import.options)?;
                    w.builtin(graph, *id, &options)?
                }
                // An async lower without memory or realloc.
                HostItem::Func(func) if import.options.async_ => {
                    let options = w.options(0, &import.options)?;
                    let func = w.host_func(func)?;
                    w.b.lower(func, &options)
                }
                item => w.lower_plain(item)?,
            });
        }
    }

    // The fused module, its imports grouped by module name.
    let mut by_module: BTreeMap<&str, Vec<(&str, ExportKind, u32)>> = BTreeMap::new();
    for (import, func) in boundary.imports.iter().zip(&core_funcs) {
        let func = func.ok_or_else(|| Error::internal("import without a core function"))?;
        by_module
            .entry(&import.module)
            .or_default()
            .push((&import.field, ExportKind::Func, func));
    }
    let mut args = Vec::new();
    for (name, items) in &by_module {
        args.push((*name, w.b.core_instantiate_exports(items)));
    }
    // Its bytes come at `Prepared::finish`, embedded in their own buffer.
    let fused = w.b.core_module_later();
    let main = w.b.core_instantiate(fused, &args);

    if let Some(shim) = shim {
        let table = w.b.core_alias_export(shim, SHIM_TABLE, ExportKind::Table)?;
        let mut items = vec![(SHIM_TABLE.to_string(), ExportKind::Table, table)];
        for (slot, &i) in shimmed.iter().enumerate() {
            let import = &boundary.imports[i];
            let options = w.options(main, &import.options)?;
            let core = match &import.item {
                HostItem::Func(func) => {
                    let func = w.host_func(func)?;
                    w.b.lower(func, &options)
                }
                HostItem::TaskReturn(id) => w.task_return(graph, *id, &options)?,
                HostItem::Builtin(id) => w.builtin(graph, *id, &options)?,
                HostItem::HostAsync(op) => {
                    let memory = options.iter().find_map(|o| match o {
                        CanonicalOption::Memory(m) => Some(*m),
                        _ => None,
                    });
                    w.host_async(*op, memory)
                }
                _ => {
                    return Err(Error::internal(
                        "a resource built-in needs no canonical options",
                    ));
                }
            };
            items.push((slot.to_string(), ExportKind::Func, core));
        }
        for (k, name) in boundary.dtor_exports.values().enumerate() {
            let dtor = w.b.core_alias_export(main, name, ExportKind::Func)?;
            items.push(((shimmed.len() + k).to_string(), ExportKind::Func, dtor));
        }
        let items: Vec<_> = items.iter().map(|(n, k, i)| (n.as_str(), *k, *i)).collect();
        let fixups = w.b.core_instantiate_exports(&items);
        let fixup = w.b.core_module(&fixup_module(&sigs)?);
        w.b.core_instantiate(fixup, &[("", fixups)]);
    }

    for (name, item, ty) in &graph.exports {
        w.export(main, boundary, name, item, *ty)?;
    }
    let (before, after) = w.b.finish_around()?;
    Ok(Prepared { before, after })
}

/// The wrapper built before the fused module is ([`prepare`]): it needs
/// the input's types, which fusion then frees before the module is
/// assembled.
pub(crate) struct Prepared {
    before: Vec<u8>,
    after: Vec<u8>,
}

impl Prepared {
    /// The wrapper around the fused module `module` (embedded in its own
    /// buffer).
    pub(crate) fn finish(self, module: Vec<u8>) -> Vec<u8> {
        builder::embed(&self.before, module, &self.after)
    }
}

/// Imports `name` of type `ty` into `b`, re-encoding its type, and makes
/// the types it exports known in `outer`. Returns the import's index.
pub(crate) fn import_item(
    b: &mut Builder,
    types: TypesRef<'_>,
    outer: &mut HashMap<Key, u32>,
    name: &str,
    ty: ComponentEntityType,
) -> Result<u32> {
    let in_scope = |b: &mut Builder,
                    outer: &mut HashMap<Key, u32>,
                    f: &dyn Fn(&mut Scope<'_, Builder>) -> Result<u32>| {
        let mut scope = Scope {
            sink: b,
            local: std::mem::take(outer),
            outer: None,
            types,
            deps: None,
        };
        let result = f(&mut scope);
        *outer = scope.local;
        result
    };
    Ok(match ty {
        ComponentEntityType::Instance(id) => {
            let inst = types::instance_type(types, outer, id)?;
            let ty = b.instance_type(&inst);
            let instance = b.import(name, ComponentTypeRef::Instance(ty))?;
            let exports = &types
                .get(id)
                .ok_or_else(|| Error::internal("no instance type"))?
                .exports;
            for (export, item) in exports {
                if let ComponentEntityType::Type {
                    referenced,
                    created,
                } = item.ty
                {
                    let index = b.alias_export(instance, export, ComponentExportKind::Type)?;
                    outer.entry(Key::of(created)?).or_insert(index);
                    outer.entry(Key::of(referenced)?).or_insert(index);
                    if let Some(alias) = Key::alias(created) {
                        outer.insert(alias, index);
                    }
                }
            }
            instance
        }
        ComponentEntityType::Func(_)
        | ComponentEntityType::Module(_)
        | ComponentEntityType::Component(_) => {
            let mut scope = Scope {
                sink: &mut *b,
                local: std::mem::take(outer),
                outer: None,
                types,
                deps: None,
            };
            let ty_ref = scope.entity(name, ty);
            *outer = scope.local;
            b.import(name, ty_ref?)?
        }
        ComponentEntityType::Type {
            referenced,
            created,
        } => {
            let bound = match referenced {
                ComponentAnyTypeId::Resource(_) => TypeBounds::SubResource,
                other => TypeBounds::Eq(in_scope(b, outer, &|s| s.any_type(other))?),
            };
            let index = b.import(name, ComponentTypeRef::Type(bound))?;
            outer.insert(Key::of(created)?, index);
            outer.entry(Key::of(referenced)?).or_insert(index);
            index
        }
        ComponentEntityType::Value(_) => {
            return Err(Error::unsupported(format!(
                "root import `{name}` is a component value; values are not fused yet"
            )));
        }
    })
}

struct Wrapper<'t> {
    types: TypesRef<'t>,
    b: Builder,
    /// Outer type indices of every type the root's imports made known.
    outer: HashMap<Key, u32>,
    /// Component index of each root import (in its own index space).
    imports: Vec<u32>,
    /// Types with a name outside: the imports' and the exported instances'.
    named: HashSet<Key>,
    host_funcs: BTreeMap<HostPath, u32>,
    /// The wrapper's resource type standing for each exported inner one.
    exported_types: BTreeMap<ResId, u32>,
    /// The root's export type of each exported lift (async compositions).
    export_funcs: BTreeMap<LiftedId, wasmparser::component_types::ComponentFuncTypeId>,
    /// The unit future type of root tasks' bells, once defined.
    bell_type: Option<u32>,
}

impl Wrapper<'_> {
    fn scope(&mut self) -> Scope<'_, Builder> {
        Scope {
            sink: &mut self.b,
            local: std::mem::take(&mut self.outer),
            outer: None,
            types: self.types,
            deps: None,
        }
    }

    fn import(&mut self, import: &RootImport) -> Result<()> {
        let index = import_item(
            &mut self.b,
            self.types,
            &mut self.outer,
            &import.name,
            import.ty,
        )?;
        self.imports.push(index);
        Ok(())
    }

    /// The fused component's built-in standing for inner built-in `id` (a
    /// stream, future or error-context one), with `options`.
    fn builtin(
        &mut self,
        graph: &Graph,
        id: AsyncBuiltinId,
        options: &[CanonicalOption],
    ) -> Result<u32> {
        let builtin = &graph.async_builtins[id.0];
        match builtin.op {
            crate::decode::AsyncOp::End { future, op, .. } => {
                let Some(wasmparser::component_types::ComponentValType::Type(ty)) = builtin.result
                else {
                    return Err(Error::internal("a stream built-in without its type"));
                };
                // The resources its elements name are the root's imports
                // (the host's) or the wrapper's resource types (inner ones
                // the root exports), under the inner component's own type
                // ids.
                if let Some(inner) = builtin.scope {
                    for (id, res) in &graph.scopes[inner.0] {
                        let host = graph.resources[res.0].host.as_ref();
                        let outer = match host {
                            Some(h) => self.outer.get(&Key::Resource(h.id)),
                            None => self.exported_types.get(res),
                        };
                        if let Some(i) = outer.copied() {
                            self.outer.insert(Key::Resource(*id), i);
                        }
                    }
                }
                let mut scope = self.scope();
                let ty = scope.defined(ty);
                self.outer = scope.local;
                Ok(self.b.end_builtin(future, op, ty?, options))
            }
            ref op => self.b.error_context(op, options),
        }
    }

    /// The built-in `op` for the host's subtasks (`memory` for those that
    /// write an event), defining the bells' future type first if needed.
    fn host_async(&mut self, op: HostAsyncOp, memory: Option<u32>) -> u32 {
        let bell = match self.bell_type {
            Some(ty) => ty,
            None => {
                let ty = self.b.unit_future_type();
                self.bell_type = Some(ty);
                ty
            }
        };
        self.b.host_async(op, memory, bell)
    }

    /// A core function for `item` that needs no canonical options.
    fn lower_plain(&mut self, item: &HostItem) -> Result<u32> {
        match item {
            HostItem::Func(func) => {
                let func = self.host_func(func)?;
                Ok(self.b.lower(func, &[]))
            }
            HostItem::ResourceDrop(r) => {
                let ty = self
                    .outer
                    .get(&Key::Resource(r.id))
                    .copied()
                    .ok_or_else(|| {
                        Error::internal("imported resource type not in the wrapper's scope")
                    })?;
                Ok(self.b.resource_drop(ty))
            }
            HostItem::Exported { op, resource } => {
                let ty = self.exported_types.get(resource).copied().ok_or_else(|| {
                    Error::internal("an exported resource without the wrapper's type")
                })?;
                Ok(self.b.resource_builtin(*op, ty))
            }
            HostItem::TaskReturn(_) => Err(Error::internal("task.return has options")),
            HostItem::Context { set } => Ok(self.b.context(*set)),
            HostItem::HostAsync(op) => Ok(self.host_async(*op, None)),
            HostItem::Builtin(_) => Err(Error::internal("a stream built-in has options")),
        }
    }

    /// `canon task.return` for async-lifted root export `id`.
    fn task_return(
        &mut self,
        graph: &Graph,
        id: LiftedId,
        options: &[CanonicalOption],
    ) -> Result<u32> {
        // The root's export type (naming the root's types), else the
        // lift's own.
        let func = self
            .export_funcs
            .get(&id)
            .copied()
            .unwrap_or(graph.lifted[id.0].ty);
        let ty = self
            .types
            .get(func)
            .ok_or_else(|| Error::internal("unknown function type"))?
            .result;
        let mut scope = self.scope();
        let ty = ty.as_ref().map(|t| scope.valtype(t)).transpose();
        self.outer = scope.local;
        Ok(self.b.task_return(ty?, options))
    }

    /// Makes the exported resource types in `item` (of type `ty`) known by
    /// the ids the root's export types use, and records each exported
    /// lift's export type, before the exports are made.
    fn preregister(&mut self, item: &ExportItem, ty: ComponentEntityType) -> Result<()> {
        match (item, ty) {
            (
                ExportItem::Type(Some(resource)),
                ComponentEntityType::Type {
                    referenced,
                    created,
                },
            ) => {
                if let Some(t) = self.exported_types.get(resource).copied() {
                    self.outer.entry(Key::of(referenced)?).or_insert(t);
                    self.outer.entry(Key::of(created)?).or_insert(t);
                }
            }
            (ExportItem::Lifted(id), ComponentEntityType::Func(func)) => {
                self.export_funcs.entry(*id).or_insert(func);
            }
            (ExportItem::Instance(items), ComponentEntityType::Instance(instance)) => {
                let exports = self
                    .types
                    .get(instance)
                    .ok_or_else(|| Error::internal("no instance type"))?
                    .exports
                    .clone();
                for (name, item) in items {
                    if let Some(export) = exports.get(name) {
                        self.preregister(item, export.ty)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The component function index of a root-import function.
    fn host_func(&mut self, func: &HostPath) -> Result<u32> {
        if let Some(i) = self.host_funcs.get(func) {
            return Ok(*i);
        }
        let mut index = self.imports[func.import.0];
        for (depth, name) in func.path.iter().enumerate() {
            let kind = if depth + 1 == func.path.len() {
                ComponentExportKind::Func
            } else {
                ComponentExportKind::Instance
            };
            index = self.b.alias_export(index, name, kind)?;
        }
        self.host_funcs.insert(func.clone(), index);
        Ok(index)
    }

    fn options(&mut self, main: u32, named: &NamedOptions) -> Result<Vec<CanonicalOption>> {
        let mut options = vec![match named.encoding {
            StringEncoding::Utf8 => CanonicalOption::UTF8,
            StringEncoding::Utf16 => CanonicalOption::UTF16,
            StringEncoding::CompactUtf16 => CanonicalOption::CompactUTF16,
        }];
        if let Some(memory) = &named.memory {
            options.push(CanonicalOption::Memory(self.b.core_alias_export(
                main,
                memory,
                ExportKind::Memory,
            )?));
        }
        if let Some(realloc) = &named.realloc {
            options.push(CanonicalOption::Realloc(self.b.core_alias_export(
                main,
                realloc,
                ExportKind::Func,
            )?));
        }
        if named.async_ {
            options.push(CanonicalOption::Async);
        }
        if let Some(post) = &named.post_return {
            options.push(CanonicalOption::PostReturn(self.b.core_alias_export(
                main,
                post,
                ExportKind::Func,
            )?));
        }
        Ok(options)
    }

    /// Creates the item `item` (a root export, or part of one) of type `ty`
    /// and returns its kind and index.
    fn item(
        &mut self,
        main: u32,
        boundary: &Boundary,
        item: &ExportItem,
        ty: ComponentEntityType,
    ) -> Result<(ComponentExportKind, u32)> {
        Ok(match (item, ty) {
            (ExportItem::Lifted(id), ComponentEntityType::Func(fty)) => {
                let lift = boundary
                    .lifts
                    .get(id)
                    .ok_or_else(|| Error::internal("unexported lift"))?;
                let core = self
                    .b
                    .core_alias_export(main, &lift.func, ExportKind::Func)?;
                let mut options = self.options(main, &lift.options)?;
                if lift.stackful {
                    options.push(CanonicalOption::Async);
                }
                if let Some(callback) = &lift.callback {
                    options.push(CanonicalOption::Async);
                    options.push(CanonicalOption::Callback(self.b.core_alias_export(
                        main,
                        callback,
                        ExportKind::Func,
                    )?));
                }
                let mut scope = self.scope();
                let ty = scope.func(fty);
                self.outer = scope.local;
                (ComponentExportKind::Func, self.b.lift(core, ty?, &options))
            }
            (ExportItem::Host(func), _) => (ComponentExportKind::Func, self.host_func(func)?),
            (ExportItem::HostInstance { import, path }, _) => {
                let mut index = self.imports[import.0];
                for name in path {
                    index = self
                        .b
                        .alias_export(index, name, ComponentExportKind::Instance)?;
                }
                (ComponentExportKind::Instance, index)
            }
            (
                ExportItem::Type(Some(resource)),
                ComponentEntityType::Type {
                    referenced,
                    created,
                },
            ) if self.exported_types.contains_key(resource) => {
                // Exported before by another interface: that interface's
                // type, which this one `use`s.
                let ty = match self.outer.get(&Key::of(referenced)?) {
                    Some(ty) => *ty,
                    None => self.exported_types[resource],
                };
                self.outer.insert(Key::of(referenced)?, ty);
                self.outer.insert(Key::of(created)?, ty);
                (ComponentExportKind::Type, ty)
            }
            (ExportItem::Type(_), ComponentEntityType::Type { referenced, .. }) => {
                // A resource here is one the root imports (inner
                // components' resources are matched above).
                let mut scope = self.scope();
                let t = scope.any_type(referenced);
                self.outer = scope.local;
                (ComponentExportKind::Type, t?)
            }
            (ExportItem::Module(carried), ComponentEntityType::Module(_)) => (
                ComponentExportKind::Module,
                self.carried(carried, ComponentExportKind::Module)?,
            ),
            (ExportItem::Component(carried), ComponentEntityType::Component(_)) => (
                ComponentExportKind::Component,
                self.carried(carried, ComponentExportKind::Component)?,
            ),
            (ExportItem::Instance(items), ComponentEntityType::Instance(id)) => (
                ComponentExportKind::Instance,
                self.instance(main, boundary, items, id)?,
            ),
            _ => return Err(Error::internal("root export does not match its type")),
        })
    }

    /// The wrapper's index of a module or component passed along: embedded
    /// as it is, or its own import's.
    fn carried(&mut self, carried: &Carried, kind: ComponentExportKind) -> Result<u32> {
        Ok(match &carried.from {
            CarriedFrom::Input(bytes) => match kind {
                ComponentExportKind::Module => self.b.core_module(bytes),
                _ => self.b.component(bytes),
            },
            CarriedFrom::Host(HostPath { import, path }) => {
                let mut index = self.imports[import.0];
                for (depth, name) in path.iter().enumerate() {
                    let step = if depth + 1 == path.len() {
                        kind
                    } else {
                        ComponentExportKind::Instance
                    };
                    index = self.b.alias_export(index, name, step)?;
                }
                index
            }
        })
    }

    /// The instance of exported `items` (of instance type `id`): a bag of
    /// them, which [`Wrapper::export`] ascribes the instance's type to, or,
    /// where a bag cannot hold them, an instance of a nested component.
    fn instance(
        &mut self,
        main: u32,
        boundary: &Boundary,
        items: &[(String, ExportItem)],
        id: ComponentInstanceTypeId,
    ) -> Result<u32> {
        let inst_ty = self
            .types
            .get(id)
            .ok_or_else(|| Error::internal("no instance type"))?;
        let bagged = bagged(inst_ty);
        let mut made = Vec::new();
        let mut exports = Vec::new();
        for (name, export) in &inst_ty.exports {
            let item = items
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| i)
                .ok_or_else(|| Error::internal(format!("export `{name}` lost")))?;
            let used = match export.ty {
                ComponentEntityType::Type { referenced, .. } if !bagged => {
                    self.named.contains(&Key::of(referenced)?)
                }
                _ => false,
            };
            let (kind, index) = self.item(main, boundary, item, export.ty)?;
            made.push((kind, index));
            exports.push(nested::Item {
                name: name.clone(),
                ty: export.ty,
                used,
            });
        }
        if bagged {
            let bag: Vec<_> = exports
                .iter()
                .zip(&made)
                .map(|(item, (kind, index))| (item.name.as_str(), *kind, *index))
                .collect();
            return Ok(self.b.instantiate_exports(&bag));
        }
        let mut args: Vec<_> = exports
            .iter()
            .zip(made)
            .map(|(item, (kind, index))| (nested::import_name(kind, &item.name), kind, index))
            .collect();
        let nested = nested::component(self.types, &exports)?;
        for (name, key) in nested.deps {
            let index = match key {
                Key::Defined(id) => {
                    let mut scope = self.scope();
                    let index = scope.defined(id);
                    self.outer = scope.local;
                    index?
                }
                // exported by an instance before this one
                _ => self.outer.get(&key).copied().ok_or_else(|| {
                    Error::unsupported(
                        "an exported instance whose functions use a resource type \
                         that is neither imported nor exported by the root before it",
                    )
                })?,
            };
            args.push((name, ComponentExportKind::Type, index));
        }
        let component = self.b.component(&nested.bytes);
        let args: Vec<_> = args.iter().map(|(n, k, i)| (n.as_str(), *k, *i)).collect();
        Ok(self.b.instantiate(component, &args))
    }

    /// Makes the types that exported instance `instance` (of type `id`)
    /// exports known outside by its own aliases: what the root exports
    /// after it refers to those, as in the input.
    fn register(&mut self, instance: u32, id: ComponentInstanceTypeId) -> Result<()> {
        let exports = &self
            .types
            .get(id)
            .ok_or_else(|| Error::internal("no instance type"))?
            .exports;
        for (name, export) in exports {
            if let ComponentEntityType::Type { created, .. } = export.ty {
                let index = self
                    .b
                    .alias_export(instance, name, ComponentExportKind::Type)?;
                self.outer.insert(Key::of(created)?, index);
                self.named.insert(Key::of(created)?);
            }
        }
        Ok(())
    }

    /// The type ascribed to an exported instance of type `id` where it is a
    /// bag of its items ([`bagged`]): the instance's type over the types
    /// named outside (the imports', the instances' exported before,
    /// resources) and the lifts' function types. Each type it exports is
    /// then a new type equal to its definition, and one it `use`s is that
    /// other type, exactly as in the input; checking the bag against it is
    /// cheaper than a nested component's imports, exports and
    /// instantiation.
    fn bag_type(&mut self, id: ComponentInstanceTypeId) -> Result<Option<ComponentTypeRef>> {
        let inst_ty = self
            .types
            .get(id)
            .ok_or_else(|| Error::internal("no instance type"))?;
        if !bagged(inst_ty) {
            return Ok(None);
        }
        let named: HashMap<Key, u32> = self
            .outer
            .iter()
            .filter(|(k, _)| self.named.contains(k) || matches!(k, Key::Resource(_) | Key::Func(_)))
            .map(|(k, i)| (*k, *i))
            .collect();
        let inst = types::instance_type(self.types, &named, id)?;
        Ok(Some(ComponentTypeRef::Instance(
            self.b.instance_type(&inst),
        )))
    }

    fn export(
        &mut self,
        main: u32,
        boundary: &Boundary,
        name: &str,
        item: &ExportItem,
        ty: ComponentEntityType,
    ) -> Result<()> {
        let (kind, index) = self.item(main, boundary, item, ty)?;
        let ascribed = match item {
            ExportItem::Module(Carried { ascribed: true, .. })
            | ExportItem::Component(Carried { ascribed: true, .. }) => {
                let mut scope = self.scope();
                let ty = scope.entity(name, ty);
                self.outer = scope.local;
                Some(ty?)
            }
            ExportItem::Instance(_) => match ty {
                ComponentEntityType::Instance(id) => self.bag_type(id)?,
                _ => return Err(Error::internal("root export does not match its type")),
            },
            _ => None,
        };
        let exported = self.b.export(name, kind, index, ascribed)?;
        // Later exports refer to the types an exported instance exports,
        // as the input does.
        if let (ExportItem::Instance(_), ComponentEntityType::Instance(id)) = (item, ty) {
            self.register(exported, id)?;
        }
        // An exported type is a new type, and what the root exports after
        // it refers to that one (a function's type may only use exported
        // or imported types), as in the input.
        if let ComponentEntityType::Type {
            referenced,
            created,
        } = ty
        {
            for key in [Key::of(referenced)?, Key::of(created)?] {
                self.outer.insert(key, exported);
                self.named.insert(key);
            }
        }
        Ok(())
    }
}

/// Whether an exported instance of type `ty` can be a bag of its items
/// with its type ascribed at the export: not if it has functions of a
/// resource (`[constructor]r`, `[method]r.f`, `[static]r.f`), which a bag
/// cannot name (wasmparser validates a bag's names without the resources
/// it exports), nor instances (the nested component path refuses those
/// with a typed error).
fn bagged(ty: &wasmparser::component_types::ComponentInstanceType) -> bool {
    ty.exports.iter().all(|(name, export)| {
        !name.starts_with('[') && !matches!(export.ty, ComponentEntityType::Instance(_))
    })
}

/// The shim: trampoline `i` calls entry `i` of table `$imports`.
fn shim_module(sigs: &[&wasmparser::FuncType]) -> Result<Vec<u8>> {
    let mut types = wasm_encoder::TypeSection::new();
    let mut funcs = wasm_encoder::FunctionSection::new();
    let mut exports = wasm_encoder::ExportSection::new();
    let mut code = wasm_encoder::CodeSection::new();
    for (i, sig) in sigs.iter().enumerate() {
        let params = crate::merge::define_func_type(&mut types, sig)?;
        funcs.function(i as u32);
        exports.export(&i.to_string(), ExportKind::Func, i as u32);
        let mut f = wasm_encoder::Function::new([]);
        let mut ins = f.instructions();
        for p in 0..params as u32 {
            ins.local_get(p);
        }
        ins.i32_const(i as i32).call_indirect(0, i as u32).end();
        code.function(&f);
    }
    let mut tables = wasm_encoder::TableSection::new();
    let n = sigs.len() as u64;
    tables.table(wasm_encoder::TableType {
        element_type: wasm_encoder::RefType::FUNCREF,
        minimum: n,
        maximum: Some(n),
        table64: false,
        shared: false,
    });
    exports.export(SHIM_TABLE, ExportKind::Table, 0);
    let mut m = wasm_encoder::Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&tables)
        .section(&exports)
        .section(&code);
    Ok(m.finish())
}

/// The fixup: imports the shim's table and the real lowered functions, and
/// puts the functions into the table with an active element segment.
fn fixup_module(sigs: &[&wasmparser::FuncType]) -> Result<Vec<u8>> {
    let mut types = wasm_encoder::TypeSection::new();
    let mut section = wasm_encoder::ImportSection::new();
    let n = sigs.len() as u64;
    for (slot, sig) in sigs.iter().enumerate() {
        crate::merge::define_func_type(&mut types, sig)?;
        section.import(
            "",
            &slot.to_string(),
            wasm_encoder::EntityType::Function(slot as u32),
        );
    }
    section.import(
        "",
        SHIM_TABLE,
        wasm_encoder::TableType {
            element_type: wasm_encoder::RefType::FUNCREF,
            minimum: n,
            maximum: Some(n),
            table64: false,
            shared: false,
        },
    );
    let mut elements = wasm_encoder::ElementSection::new();
    let funcs: Vec<u32> = (0..sigs.len() as u32).collect();
    elements.active(
        Some(0),
        &wasm_encoder::ConstExpr::i32_const(0),
        wasm_encoder::Elements::Functions(funcs.into()),
    );
    let mut m = wasm_encoder::Module::new();
    m.section(&types).section(&section).section(&elements);
    Ok(m.finish())
}
