//! The fused module's boundary: what it imports (one function per distinct
//! lowering of a root import) and exports (lifted functions and the
//! memories, reallocs and post-returns their canonical options name), with
//! the names the README documents:
//!
//! - an import of function `f` of root import `i` is `(import "i" "f")`; a
//!   function imported by the root itself is `(import "$root" "f")`;
//! - canonical options meet the module through *contexts*: each distinct
//!   (memory, realloc, string encoding) used by a lowering or a lift gets a
//!   number in first-use order. Context 0 exports `memory` and
//!   `cabi_realloc`, context `n` exports `memory$n` and `cabi_realloc$n`;
//!   an import lowered in context `n > 0` gets the field `f$n`;
//! - a lifted function exported as `f` of root export `e` is exported as
//!   `e#f` (a root-level function as `f`), its post-return as
//!   `cabi_post_e#f`.
//!
//! The component wrapper and `--emit core` use the same names.

use crate::adapt::Adapters;
use crate::decode::StringEncoding;
use crate::error::{Error, Result};
use crate::graph::*;
use crate::merge::{CoreExport, Layout, Origin, Space, Wrapper};
use std::collections::BTreeMap;
use wasmparser::FuncType;
use wasmparser::types::TypesRef;

/// Canonical options as the boundary names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NamedOptions {
    pub(crate) memory: Option<String>,
    pub(crate) realloc: Option<String>,
    pub(crate) post_return: Option<String>,
    pub(crate) encoding: StringEncoding,
    /// `canon lower ... async`: the host's call may return before its
    /// result (a host subtask).
    pub(crate) async_: bool,
}

/// One import of the fused module.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub(crate) item: HostItem,
    pub(crate) module: String,
    pub(crate) field: String,
    pub(crate) ty: FuncType,
    pub(crate) options: NamedOptions,
}

/// A lifted function as the fused module exports it.
#[derive(Debug, Clone)]
pub(crate) struct LiftExport {
    pub(crate) func: String,
    pub(crate) options: NamedOptions,
    /// For an export the wrapper lifts `async`: its callback's export name
    /// (the results go to the host's `task.return`).
    pub(crate) callback: Option<String>,
    /// Lifted `async` without a callback (`Adapters::stackful_exports`).
    pub(crate) stackful: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Boundary {
    pub(crate) imports: Vec<Import>,
    /// Import index of each lowering, by [`LoweringId`].
    pub(crate) lowering_import: Vec<usize>,
    pub(crate) exports: Vec<CoreExport>,
    pub(crate) lifts: BTreeMap<LiftedId, LiftExport>,
    /// Import index of the wrapper's `resource.new`, `.rep` and `.drop` of
    /// each exported inner resource.
    pub(crate) resource_imports: BTreeMap<(ResId, crate::decode::ResourceOp), usize>,
    /// Export name of the destructor of each exported inner resource that
    /// has one.
    pub(crate) dtor_exports: BTreeMap<ResId, String>,
    /// Import index of the host's `task.return` of each async-lifted root
    /// export (meld's async runtime hands the results to it).
    pub(crate) task_returns: BTreeMap<LiftedId, usize>,
    /// Import indices of the host's `context.get 0` and `context.set 0`,
    /// when the async runtime runs async root exports.
    pub(crate) host_context: Option<(usize, usize)>,
    /// Import index of each built-in for the host's subtasks, when an
    /// inner component calls a root import with the async ABI.
    pub(crate) host_async: BTreeMap<HostAsyncOp, usize>,
    /// Import index of the fused component's built-in standing for each
    /// inner stream, future and error-context built-in.
    pub(crate) builtins: BTreeMap<AsyncBuiltinId, usize>,
}

type ContextKey = (Option<Origin>, Option<Origin>, StringEncoding);

struct Planner<'g, 'l, 'a> {
    graph: &'g Graph,
    adapters: &'g Adapters,
    layout: &'l Layout<'a>,
    contexts: Vec<ContextKey>,
    boundary: Boundary,
}

/// Names the fused module's imports and exports.
pub(crate) fn plan(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    types: TypesRef<'_>,
) -> Result<Boundary> {
    let mut p = Planner {
        graph,
        adapters,
        layout,
        contexts: Vec::new(),
        boundary: Boundary::default(),
    };
    let mut seen: BTreeMap<(HostItem, Option<usize>, bool), usize> = BTreeMap::new();
    let mut tys = crate::abi::TyTable::default();
    for (i, lowering) in graph.lowerings.iter().enumerate() {
        // A host function whose parameters hold handles in memory reads
        // them from a translated copy in meld's memory.
        // An async one whose result holds handles writes it there too.
        let id = LoweringId(i);
        let staged = match (
            layout.staged_lowerings.contains(&id),
            adapters.async_staged.contains(&id),
        ) {
            (true, _) => Some(Wrapper::Scratch),
            (_, true) => Some(Wrapper::Stage),
            _ => None,
        };
        let (context, options) = match staged {
            Some(wrapper) => p.staged_context(wrapper)?,
            None => p.context(&lowering.options, lowering.caller)?,
        };
        let async_ = graph.lowers_async(id);
        let index = match seen.get(&(lowering.item.clone(), context, async_)) {
            Some(i) => *i,
            None => {
                let (module, mut field) = graph.host_name(&lowering.item);
                if async_ {
                    field = format!("[async-lower]{field}");
                }
                if let Some(n) = context.filter(|n| *n > 0) {
                    field = format!("{field}${n}");
                }
                let ty = match lowering.ty {
                    Some(ty) if async_ => async_lowered(&tys.host_shape(types, ty, &field)?, &tys),
                    Some(ty) => tys.host_shape(types, ty, &field)?.lowered.func_type(),
                    None => FuncType::new([wasmparser::ValType::I32], []),
                };
                let mut options = options;
                options.async_ = async_;
                let mut unique = field.clone();
                let mut k = 1;
                while p
                    .boundary
                    .imports
                    .iter()
                    .any(|i| i.module == module && i.field == unique)
                {
                    unique = format!("{field}$dup{k}");
                    k += 1;
                }
                p.boundary.imports.push(Import {
                    item: lowering.item.clone(),
                    module,
                    field: unique,
                    ty,
                    options,
                });
                let i = p.boundary.imports.len() - 1;
                seen.insert((lowering.item.clone(), context, async_), i);
                i
            }
        };
        p.boundary.lowering_import.push(index);
    }
    // Exported inner resources: the wrapper's resource type stands for
    // each; the module imports its builtins and exports its destructor.
    for resource in graph.exported_resources() {
        use crate::decode::ResourceOp;
        for op in [ResourceOp::New, ResourceOp::Rep, ResourceOp::Drop] {
            let i32 = wasmparser::ValType::I32;
            let ty = match op {
                ResourceOp::Drop => FuncType::new([i32], []),
                _ => FuncType::new([i32], [i32]),
            };
            let index = p.plain_import(HostItem::Exported { op, resource }, ty);
            p.boundary.resource_imports.insert((resource, op), index);
        }
        if let Some(wrapper) = layout.wrapper(Wrapper::Dtor(resource)) {
            let (iface, name) = graph.resource_export_name(resource);
            let export = if iface == "$root" {
                format!("[dtor]{name}")
            } else {
                format!("{iface}#[dtor]{name}")
            };
            p.export(&export, Space::Func, wrapper);
            p.boundary.dtor_exports.insert(resource, export);
        }
    }
    if graph.runtime.is_some() {
        for (name, item, _) in &graph.exports {
            p.task_returns(name, item, &mut tys, types)?;
        }
        // Streams and futures whose type reaches the host, and error
        // contexts, are the fused component's: each built-in is the
        // wrapper's of the same type, with the inner component's options.
        // (meld carries the other streams and futures itself.)
        let native = crate::adapt::async_calls::native_builtins(graph, types)?;
        for (i, builtin) in graph.async_builtins.iter().enumerate() {
            use crate::decode::{AsyncOp, EndOp};
            if native.contains(&AsyncBuiltinId(i)) {
                continue;
            }
            let async_ = match builtin.op {
                AsyncOp::End { op, .. } => matches!(
                    op,
                    EndOp::Read | EndOp::Write | EndOp::CancelRead | EndOp::CancelWrite
                ),
                AsyncOp::ErrorContextNew
                | AsyncOp::ErrorContextDebugMessage
                | AsyncOp::ErrorContextDrop => false,
                _ => continue,
            };
            let ty = crate::runtime::shims::func_type(&builtin.op)
                .ok_or_else(|| Error::internal("a stream built-in without a type"))?;
            // A staged copy is read or written in meld's memory.
            let (_, mut options) = match layout.staged_ends.contains(&AsyncBuiltinId(i)) {
                true => p.staged_context(Wrapper::Stage)?,
                false => p.context(&builtin.options, builtin.caller)?,
            };
            options.async_ = async_;
            let item = HostItem::Builtin(AsyncBuiltinId(i));
            let (module, field) = graph.host_name(&item);
            p.boundary.imports.push(Import {
                item,
                module,
                field,
                ty,
                options,
            });
            p.boundary
                .builtins
                .insert(AsyncBuiltinId(i), p.boundary.imports.len() - 1);
        }
        // The host's subtasks (async calls of root imports) are followed
        // through these, events written into the runtime's memory.
        if let Some(rt) = graph.runtime.filter(|_| graph.follows_host()) {
            let memory = layout.origin(
                graph,
                adapters,
                &CoreDef::Export(rt.tasks, "memory".to_string()),
                Space::Memory,
            )?;
            let gated = !adapters.gated_components(graph).is_empty();
            for op in HostAsyncOp::ALL {
                if !gated
                    && matches!(
                        op,
                        HostAsyncOp::BackpressureInc | HostAsyncOp::BackpressureDec
                    )
                {
                    continue;
                }
                let index = match op.needs_memory() {
                    true => {
                        let (_, options) =
                            p.named_context((Some(memory), None, StringEncoding::Utf8));
                        p.boundary.imports.push(Import {
                            item: HostItem::HostAsync(op),
                            module: "$root".to_string(),
                            field: op.field().to_string(),
                            ty: op.func_type(),
                            options,
                        });
                        p.boundary.imports.len() - 1
                    }
                    false => p.plain_import(HostItem::HostAsync(op), op.func_type()),
                };
                p.boundary.host_async.insert(op, index);
            }
        }
        if !p.boundary.task_returns.is_empty() {
            let i32 = wasmparser::ValType::I32;
            let get = p.plain_import(HostItem::Context { set: false }, FuncType::new([], [i32]));
            let set = p.plain_import(HostItem::Context { set: true }, FuncType::new([i32], []));
            p.boundary.host_context = Some((get, set));
        }
    }
    for (name, item, _) in &graph.exports {
        p.export_item(name, item)?;
    }
    Ok(p.boundary)
}

impl Planner<'_, '_, '_> {
    /// Imports `item` (a canon built-in of the wrapper, without options)
    /// under its wit-component name; returns the import's index.
    fn plain_import(&mut self, item: HostItem, ty: FuncType) -> usize {
        let (module, field) = self.graph.host_name(&item);
        self.boundary.imports.push(Import {
            item,
            module,
            field,
            ty,
            options: NamedOptions::default(),
        });
        self.boundary.imports.len() - 1
    }

    fn origin(&self, def: &Option<CoreDef>, space: Space) -> Result<Option<Origin>> {
        def.as_ref()
            .map(|d| self.layout.origin(self.graph, self.adapters, d, space))
            .transpose()
    }

    /// The context of `options` (if they name a memory or realloc) of
    /// inner component `component` and the export names they map to,
    /// exporting what is not exported yet.
    fn context(
        &mut self,
        options: &Options,
        component: InnerId,
    ) -> Result<(Option<usize>, NamedOptions)> {
        let memory = self.origin(&options.memory, Space::Memory)?;
        let mut realloc = self.origin(&options.realloc, Space::Func)?;
        // In a shared memory's region not at base 0, the host calls a
        // realloc that answers in memory addresses; in a component with a
        // `may_leave` flag, one that clears it.
        let rebased = self.layout.rebased(self.graph, self.adapters, options)?;
        let flag = self.adapters.flag(component);
        if let Some(r) = realloc
            && (rebased.is_some() || flag.is_some())
        {
            realloc = Some(
                self.layout
                    .wrapper(Wrapper::Realloc {
                        realloc: r,
                        memory: rebased,
                        flag,
                    })
                    .ok_or_else(|| Error::internal("no realloc wrapper"))?,
            );
        }
        Ok(self.named_context((memory, realloc, options.encoding)))
    }

    /// The context of a value the host reads or writes in meld's memory
    /// (`adapt/staged.rs`): that memory, the realloc `wrapper` (the
    /// scratch area's or the stage heap's) and utf8
    /// ([`crate::adapt::HOST_ENCODING`]), whatever the component's.
    fn staged_context(&mut self, wrapper: Wrapper) -> Result<(Option<usize>, NamedOptions)> {
        let realloc = self
            .layout
            .wrapper(wrapper)
            .ok_or_else(|| Error::internal("no realloc of meld's memory"))?;
        Ok(self.named_context((
            Some(Origin::Tables),
            Some(realloc),
            crate::adapt::HOST_ENCODING,
        )))
    }

    /// The context of a memory, realloc and encoding, and the export names
    /// they map to, exporting what is not exported yet.
    fn named_context(&mut self, key: ContextKey) -> (Option<usize>, NamedOptions) {
        let (memory, realloc, encoding) = key;
        let mut named = NamedOptions {
            encoding,
            ..Default::default()
        };
        if memory.is_none() && realloc.is_none() {
            return (None, named);
        }
        let n = match self.contexts.iter().position(|k| *k == key) {
            Some(n) => n,
            None => {
                self.contexts.push(key);
                self.contexts.len() - 1
            }
        };
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("${n}")
        };
        if let Some(origin) = memory {
            let name = format!("memory{suffix}");
            self.export(&name, Space::Memory, origin);
            named.memory = Some(name);
        }
        if let Some(origin) = realloc {
            let name = format!("cabi_realloc{suffix}");
            self.export(&name, Space::Func, origin);
            named.realloc = Some(name);
        }
        (Some(n), named)
    }

    fn export(&mut self, name: &str, space: Space, origin: Origin) {
        if !self.boundary.exports.iter().any(|e| e.name == name) {
            self.boundary.exports.push(CoreExport {
                name: name.to_string(),
                space,
                origin,
            });
        }
    }

    /// Imports the host's `task.return` of every async-lifted export in
    /// `item` (named as wit-component names them: `[export]<interface>`
    /// `[task-return]<function>`).
    fn task_returns(
        &mut self,
        name: &str,
        item: &ExportItem,
        tys: &mut crate::abi::TyTable,
        types: TypesRef<'_>,
    ) -> Result<()> {
        match item {
            ExportItem::Lifted(id) => {
                let lifted = &self.graph.lifted[id.0];
                if !self.adapters.lifted_async(self.graph, *id)
                    || self.boundary.task_returns.contains_key(id)
                {
                    return Ok(());
                }
                let (module, field) = match name.split_once('#') {
                    Some((iface, f)) => (format!("[export]{iface}"), format!("[task-return]{f}")),
                    None => ("[export]$root".to_string(), format!("[task-return]{name}")),
                };
                let shape = tys.host_shape(types, lifted.ty, name)?;
                let params = match shape.result {
                    None => Vec::new(),
                    Some(r) => {
                        let flat = tys.info(r).flat.clone();
                        match flat.len() > crate::abi::MAX_FLAT_PARAMS {
                            true => vec![crate::abi::Flat::I32],
                            false => flat,
                        }
                    }
                };
                let (_, mut options) = match self.adapters.staged_exports.contains(id) {
                    // wasmtime checks that `task.return` names the lift's
                    // memory, which is meld's here: a result that needs
                    // memory goes to the host from a copy there
                    // (`Codegen::stage_return`, `hand_staged`), one that does not names
                    // none
                    true => {
                        let memory = crate::adapt::async_calls::returns_through_memory(tys, &shape);
                        let key = (
                            memory.then_some(Origin::Tables),
                            None,
                            crate::adapt::HOST_ENCODING,
                        );
                        self.named_context(key)
                    }
                    false => self.context(&lifted.options, lifted.component)?,
                };
                options.realloc = None;
                self.boundary.imports.push(Import {
                    item: HostItem::TaskReturn(*id),
                    module,
                    field,
                    ty: FuncType::new(params.iter().map(|t| t.core()), []),
                    options,
                });
                self.boundary
                    .task_returns
                    .insert(*id, self.boundary.imports.len() - 1);
            }
            ExportItem::Instance(items) => {
                for (n, item) in items {
                    self.task_returns(&format!("{name}#{n}"), item, tys, types)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn export_item(&mut self, name: &str, item: &ExportItem) -> Result<()> {
        match item {
            ExportItem::Lifted(id) => {
                if self.boundary.lifts.contains_key(id) {
                    return Ok(());
                }
                let lifted = &self.graph.lifted[id.0];
                // With both, the rebasing wrapper faces the host and calls
                // the handles wrapper with region addresses.
                let wrapper = self
                    .layout
                    .wrapper(Wrapper::Export(*id))
                    .or_else(|| self.layout.wrapper(Wrapper::Handles(*id)));
                let host_entry = self
                    .layout
                    .async_origin(crate::adapt::async_calls::AsyncFunc::HostEntry(*id))
                    .ok();
                let func = match (host_entry, wrapper) {
                    // With meld's async runtime, a task for the host's call.
                    (Some(entry), _) => entry,
                    (None, Some(wrapper)) => wrapper,
                    (None, None) => {
                        self.layout
                            .origin(self.graph, self.adapters, &lifted.func, Space::Func)?
                    }
                };
                self.export(name, Space::Func, func);
                let callback = match lifted.options.async_ {
                    true => {
                        let callback = self
                            .layout
                            .async_origin(crate::adapt::async_calls::AsyncFunc::HostCallback)?;
                        self.export("[callback]meld", Space::Func, callback);
                        Some("[callback]meld".to_string())
                    }
                    false => None,
                };
                // Parameters with handles in memory go to meld's memory.
                let (_, mut options) = match self.adapters.staged_exports.contains(id) {
                    true => self.staged_context(Wrapper::Stage)?,
                    false => self.context(&lifted.options, lifted.component)?,
                };
                let stackful = self.adapters.stackful_exports.contains(id);
                // (an async lift has none: a stackful export's task runs it)
                let post = match self
                    .layout
                    .wrapper(Wrapper::PostReturn(*id))
                    .or_else(|| self.layout.wrapper(Wrapper::StagedPost(*id)))
                {
                    Some(wrapper) => Some(wrapper),
                    None => self.origin(&lifted.options.post_return, Space::Func)?,
                };
                if let Some(post) = post.filter(|_| !stackful) {
                    let post_name = format!("cabi_post_{name}");
                    self.export(&post_name, Space::Func, post);
                    options.post_return = Some(post_name);
                }
                self.boundary.lifts.insert(
                    *id,
                    LiftExport {
                        func: name.to_string(),
                        options,
                        callback,
                        stackful,
                    },
                );
            }
            ExportItem::Instance(items) => {
                for (n, item) in items {
                    self.export_item(&format!("{name}#{n}"), item)?;
                }
            }
            ExportItem::Host(_)
            | ExportItem::HostInstance { .. }
            | ExportItem::Type(_)
            | ExportItem::Module(_)
            | ExportItem::Component(_) => {}
        }
        Ok(())
    }
}

/// The core type of an async lower of a function of `shape`: its flat
/// parameters (one pointer past four), the return area's pointer if it has
/// a result; the subtask's state back.
pub(crate) fn async_lowered(shape: &crate::abi::Shape, tys: &crate::abi::TyTable) -> FuncType {
    let flat = &tys.info(shape.tuple).flat;
    let mut params: Vec<wasmparser::ValType> = match flat.len() > MAX_FLAT_ASYNC_PARAMS {
        true => vec![wasmparser::ValType::I32],
        false => flat.iter().map(|t| t.core()).collect(),
    };
    if shape.result.is_some() {
        params.push(wasmparser::ValType::I32);
    }
    FuncType::new(params, [wasmparser::ValType::I32])
}

/// An async lower passes at most this many flat parameters.
pub(crate) const MAX_FLAT_ASYNC_PARAMS: usize = 4;
