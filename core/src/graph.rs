//! The flattened composition: what symbolic instantiation of the root
//! component produced, and what every later stage consumes.
//!
//! Nesting, component instances, aliases and re-exports are gone. What is
//! left is an ordered list of core module instantiations (the order a
//! runtime would run them in), where each import of each instance comes
//! from, and the three kinds of component-level functions that cross a
//! boundary: lifted functions of inner components, adapters (a `canon lower`
//! of another inner component's lift) and lowerings of root imports.
//!
//! Ids (`*Id`) index the vectors of [`Graph`]; they are assigned in the order
//! things are created, which is the order the output keeps.

use crate::decode::{StaticModuleIndex, StringEncoding};
use std::collections::BTreeMap;
use wasmparser::component_types::{ComponentEntityType, ComponentFuncTypeId, ResourceId};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) struct $name(pub(crate) usize);
    )*};
}

ids! {
    /// An instantiated inner component, in [`Graph::components`].
    InnerId;
    /// A core module instantiation, in [`Graph::instances`].
    CoreInstanceId;
    /// A lifted function, in [`Graph::lifted`].
    LiftedId;
    /// A cross-component call, in [`Graph::adapters`].
    AdapterId;
    /// A lowered root import, in [`Graph::lowerings`].
    LoweringId;
    /// A root import, in [`Graph::imports`].
    ImportId;
    /// A resource type of the composition, in [`Graph::resources`].
    ResId;
    /// A resource builtin given to an inner component, in [`Graph::builtins`].
    BuiltinId;
    /// An async built-in given to an inner component, in
    /// [`Graph::async_builtins`].
    AsyncBuiltinId;
    /// How the types of one set of lifts name resources, in [`Graph::scopes`].
    ScopeId;
}

/// A core item something can import.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CoreDef {
    /// An export of an instantiated module (which may itself re-export an import).
    Export(CoreInstanceId, String),
    /// The generated function of a cross-component call.
    Adapter(AdapterId),
    /// A root import lowered into a core function.
    Lowering(LoweringId),
    /// `resource.new`, `resource.rep` or `resource.drop` of an inner resource.
    Builtin(BuiltinId),
    /// A built-in of the async ABI (`task.return`, `waitable-set.wait`, ...).
    Async(AsyncBuiltinId),
    /// A function meld generates for its async runtime (`runtime/`).
    Runtime(RuntimeFunc),
}

/// A generated function the async runtime's modules import: access to
/// meld's handle tables (`resources.rs`) by instance number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum RuntimeFunc {
    /// `(instance, tag, rep) -> handle`.
    Insert,
    /// `(instance, handle) -> rep`; traps on a free slot.
    Rep,
    /// `(instance, handle) -> tag`; traps on a free slot.
    Tag,
    /// `(instance, handle)`.
    Remove,
    /// `(family, writer's side, address, reader's side, address, count)`:
    /// the copy between two ends of a stream or future meld carries
    /// itself (`adapt::async_calls::NativeFamily`).
    Copy,
    /// `(end record) -> payload`: a write carried over to the host
    /// (`adapt::async_calls`' bridge) ends there as its writer takes the
    /// event.
    Carried,
    /// `(instance, closed)`: inner instance `instance` was just locked or
    /// given backpressure (`closed` 1), or opened again (0); if a sync
    /// root export enters it, the fused component's backpressure follows.
    Gate,
}

impl RuntimeFunc {
    pub(crate) const ALL: [RuntimeFunc; 7] = [
        RuntimeFunc::Insert,
        RuntimeFunc::Rep,
        RuntimeFunc::Tag,
        RuntimeFunc::Remove,
        RuntimeFunc::Copy,
        RuntimeFunc::Carried,
        RuntimeFunc::Gate,
    ];

    /// The field the runtime's modules import it under (module `tables`).
    pub(crate) fn field(self) -> &'static str {
        match self {
            RuntimeFunc::Insert => "insert",
            RuntimeFunc::Rep => "rep",
            RuntimeFunc::Tag => "tag",
            RuntimeFunc::Remove => "remove",
            RuntimeFunc::Copy => "copy",
            RuntimeFunc::Carried => "carried",
            RuntimeFunc::Gate => "gate",
        }
    }
}

/// The core instances of meld's async runtime, when the composition uses
/// the async ABI (`runtime::attach`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuntimeInstances {
    pub(crate) scheduler: CoreInstanceId,
    pub(crate) waitables: CoreInstanceId,
    pub(crate) tasks: CoreInstanceId,
}

/// What a core module was instantiated with, per import module name.
#[derive(Debug, Clone)]
pub(crate) enum CoreArg {
    /// Every export of an instantiated module.
    Instance(CoreInstanceId),
    /// An instance made of individual items.
    Items(Vec<(String, CoreDef)>),
}

impl CoreArg {
    /// The item this argument provides under `name`, if any.
    pub(crate) fn get(&self, name: &str) -> Option<CoreDef> {
        match self {
            CoreArg::Instance(id) => Some(CoreDef::Export(*id, name.to_string())),
            CoreArg::Items(items) => items
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| d.clone()),
        }
    }
}

/// An instantiated component of the composition (the root included).
#[derive(Debug, Clone)]
pub(crate) struct InnerComponent {
    /// Path in the instantiation tree, e.g. `root/consumer`.
    pub(crate) path: String,
    /// The component that instantiated this one; `None` for the root.
    pub(crate) parent: Option<InnerId>,
}

/// One instantiation of a core module.
#[derive(Debug, Clone)]
pub(crate) struct CoreInstance {
    pub(crate) module: StaticModuleIndex,
    /// The inner component that instantiated it.
    pub(crate) component: InnerId,
    /// Instantiation arguments by import module name.
    pub(crate) args: Vec<(String, CoreArg)>,
    /// A readable name (module name, if the input gave one).
    pub(crate) name: String,
}

/// Canonical options resolved to core items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Options {
    pub(crate) memory: Option<CoreDef>,
    pub(crate) realloc: Option<CoreDef>,
    pub(crate) post_return: Option<CoreDef>,
    pub(crate) encoding: StringEncoding,
    /// Lifted or lowered with the async ABI.
    pub(crate) async_: bool,
    /// An async lift's callback.
    pub(crate) callback: Option<CoreDef>,
}

/// A `canon lift`: a core function of an inner component given a component type.
#[derive(Debug, Clone)]
pub(crate) struct Lifted {
    pub(crate) component: InnerId,
    pub(crate) func: CoreDef,
    pub(crate) options: Options,
    pub(crate) ty: ComponentFuncTypeId,
    /// What the resource types in `ty` are.
    pub(crate) scope: ScopeId,
}

/// A resource type at run time: each instantiation of a component that
/// defines a resource type makes a new one; root imports bring the host's.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// The inner component whose `resource.new` creates its handles, or
    /// `None` for a resource type the root imports.
    pub(crate) defined_by: Option<InnerId>,
    /// The destructor, called with the representation.
    pub(crate) dtor: Option<CoreDef>,
    /// A readable name: the defining component's path and the type's
    /// export name, e.g. `root/leaf#float`.
    pub(crate) name: String,
    /// For a resource type the root imports: which one.
    pub(crate) host: Option<HostResource>,
}

/// A resource builtin an inner component calls on its own handle table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Builtin {
    pub(crate) op: crate::decode::ResourceOp,
    pub(crate) resource: ResId,
    /// The component whose handle table it works on.
    pub(crate) caller: InnerId,
}

/// An async built-in an inner component calls (on its own tasks, handles
/// and context).
#[derive(Debug, Clone)]
pub(crate) struct AsyncBuiltin {
    pub(crate) op: crate::decode::AsyncOp,
    pub(crate) caller: InnerId,
    /// Its options (`task.return`: memory, string encoding;
    /// `waitable-set.wait`/`.poll`: memory).
    pub(crate) options: Options,
    /// `task.return`'s result type.
    pub(crate) result: Option<wasmparser::component_types::ComponentValType>,
    /// A stream or future built-in's: what the resource types of its
    /// elements are.
    pub(crate) scope: Option<ScopeId>,
}

/// A call from one inner component into a function another one lifted.
#[derive(Debug, Clone)]
pub(crate) struct Adapter {
    /// Readable name of the called function, e.g. `my:pkg/api#add`.
    pub(crate) name: String,
    /// The calling component and its `canon lower` options.
    pub(crate) caller: InnerId,
    pub(crate) options: Options,
    pub(crate) callee: LiftedId,
}

/// An item of a root import (a function, or a core module or component
/// passed along): the import and the export names leading to the item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct HostPath {
    pub(crate) import: ImportId,
    /// Export names leading from the import to the item (empty when the
    /// import is the item itself).
    pub(crate) path: Vec<String>,
}

/// A resource type of a root import.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct HostResource {
    pub(crate) import: ImportId,
    /// Export names leading from the import to the type (empty when the
    /// import is the type itself).
    pub(crate) path: Vec<String>,
    pub(crate) id: ResourceId,
}

/// What a lowering provides to the inner component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum HostItem {
    /// `canon lower` of a root import function.
    Func(HostPath),
    /// `canon resource.drop` of a root import resource type.
    ResourceDrop(HostResource),
    /// `canon resource.new`, `resource.rep` or `resource.drop` of the
    /// wrapper's own resource type standing for an exported inner one.
    Exported {
        op: crate::decode::ResourceOp,
        resource: ResId,
    },
    /// `canon task.return` of an async-lifted root export (meld's async
    /// runtime hands its results to the host).
    TaskReturn(LiftedId),
    /// `canon context.get i32 0` (or `.set`) of the fused component: the
    /// async runtime keeps the root task of each host call there.
    Context { set: bool },
    /// A built-in of the fused component for the host's subtasks (async
    /// calls of root imports): the async runtime waits for them and
    /// forwards their events.
    HostAsync(HostAsyncOp),
    /// The fused component's stream, future or error-context built-in
    /// standing for an inner component's (the streams it makes are the
    /// fused component's, the inner component's table holds their ends).
    Builtin(AsyncBuiltinId),
}

/// The built-ins through which meld's async runtime follows the host's
/// subtasks in the fused component's own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum HostAsyncOp {
    /// `waitable-set.new`: the one set the host's subtasks are joined to.
    SetNew,
    /// `waitable-set.poll` (with meld's memory for the event).
    SetPoll,
    /// `waitable-set.wait` (with meld's memory), for a sync root export.
    SetWait,
    /// `waitable.join`.
    Join,
    /// `subtask.drop`, once the terminal event reached the runtime.
    SubtaskDrop,
    /// `subtask.cancel async`.
    SubtaskCancel,
    /// `future.new` of the wrapper's unit future type: a root task's bell,
    /// which another turn rings when the task needs a turn of its own.
    BellNew,
    /// `future.read async` of a bell (pending until rung).
    BellRead,
    /// `future.write async` of a bell: rings it.
    BellWrite,
    /// `future.drop-readable` of a bell.
    BellDropReadable,
    /// `future.drop-writable` of a bell.
    BellDropWritable,
    /// `backpressure.inc`: an inner instance that a sync root export
    /// enters is locked or has backpressure (`tasks.wat`'s gate), so the
    /// host must not start calls, as wasmtime does not start them there.
    BackpressureInc,
    /// `backpressure.dec`: such an instance is open again.
    BackpressureDec,
}

impl HostAsyncOp {
    pub(crate) const ALL: [HostAsyncOp; 13] = [
        HostAsyncOp::SetNew,
        HostAsyncOp::SetPoll,
        HostAsyncOp::SetWait,
        HostAsyncOp::Join,
        HostAsyncOp::SubtaskDrop,
        HostAsyncOp::SubtaskCancel,
        HostAsyncOp::BellNew,
        HostAsyncOp::BellRead,
        HostAsyncOp::BellWrite,
        HostAsyncOp::BellDropReadable,
        HostAsyncOp::BellDropWritable,
        HostAsyncOp::BackpressureInc,
        HostAsyncOp::BackpressureDec,
    ];

    /// wit-component's field name of the built-in (module `$root`).
    pub(crate) fn field(self) -> &'static str {
        match self {
            HostAsyncOp::SetNew => "[waitable-set-new]",
            HostAsyncOp::SetPoll => "[waitable-set-poll]",
            HostAsyncOp::SetWait => "[waitable-set-wait]",
            HostAsyncOp::Join => "[waitable-join]",
            HostAsyncOp::SubtaskDrop => "[subtask-drop]",
            HostAsyncOp::SubtaskCancel => "[async-lower][subtask-cancel]",
            HostAsyncOp::BellNew => "[future-new-unit]meld-bell",
            HostAsyncOp::BellRead => "[async-lower][future-read-unit]meld-bell",
            HostAsyncOp::BellWrite => "[async-lower][future-write-unit]meld-bell",
            HostAsyncOp::BellDropReadable => "[future-drop-readable-unit]meld-bell",
            HostAsyncOp::BellDropWritable => "[future-drop-writable-unit]meld-bell",
            HostAsyncOp::BackpressureInc => "[backpressure-inc]",
            HostAsyncOp::BackpressureDec => "[backpressure-dec]",
        }
    }

    /// Its core type.
    pub(crate) fn func_type(self) -> wasmparser::FuncType {
        use wasmparser::ValType::I32;
        match self {
            HostAsyncOp::SetNew => wasmparser::FuncType::new([], [I32]),
            HostAsyncOp::SetPoll
            | HostAsyncOp::SetWait
            | HostAsyncOp::BellRead
            | HostAsyncOp::BellWrite => wasmparser::FuncType::new([I32, I32], [I32]),
            HostAsyncOp::Join => wasmparser::FuncType::new([I32, I32], []),
            HostAsyncOp::SubtaskDrop
            | HostAsyncOp::BellDropReadable
            | HostAsyncOp::BellDropWritable => wasmparser::FuncType::new([I32], []),
            HostAsyncOp::SubtaskCancel => wasmparser::FuncType::new([I32], [I32]),
            HostAsyncOp::BellNew => wasmparser::FuncType::new([], [wasmparser::ValType::I64]),
            HostAsyncOp::BackpressureInc | HostAsyncOp::BackpressureDec => {
                wasmparser::FuncType::new([], [])
            }
        }
    }

    /// Whether it takes a memory (for the event).
    pub(crate) fn needs_memory(self) -> bool {
        matches!(
            self,
            HostAsyncOp::SetPoll
                | HostAsyncOp::SetWait
                | HostAsyncOp::BellRead
                | HostAsyncOp::BellWrite
        )
    }
}

/// A root import (function or resource intrinsic) lowered into an inner component.
#[derive(Debug, Clone)]
pub(crate) struct Lowering {
    pub(crate) item: HostItem,
    /// The function type (for [`HostItem::Func`]).
    pub(crate) ty: Option<ComponentFuncTypeId>,
    pub(crate) caller: InnerId,
    pub(crate) options: Options,
    /// A sync lower of an async-typed host function: the calling task
    /// blocks until the host answers, and the other tasks run meanwhile
    /// (see [`Graph::blocks_on_host`]).
    pub(crate) blocks: bool,
}

/// An import of the root component.
#[derive(Debug, Clone)]
pub(crate) struct RootImport {
    pub(crate) name: String,
    pub(crate) ty: ComponentEntityType,
}

/// Something the root component exports.
#[derive(Debug, Clone)]
pub(crate) enum ExportItem {
    /// A function lifted by an inner component.
    Lifted(LiftedId),
    /// A root import function, re-exported as it is.
    Host(HostPath),
    /// An instance made of these items.
    Instance(Vec<(String, ExportItem)>),
    /// A root import instance (or an instance inside one), re-exported.
    HostInstance { import: ImportId, path: Vec<String> },
    /// A type (its definition is the export's type); for a resource type,
    /// which one.
    Type(Option<ResId>),
    /// A core module exported, not instantiated: nothing in it is fused.
    Module(Carried),
    /// A component exported, not instantiated: nothing in it is fused.
    Component(Carried),
}

/// A core module or component the wrapper passes along unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Carried {
    pub(crate) from: CarriedFrom,
    /// Whether the root's export states the item's type itself (then the
    /// wrapper's export states it too).
    pub(crate) ascribed: bool,
}

/// Where a carried item comes from.
#[derive(Debug, Clone)]
pub(crate) enum CarriedFrom {
    /// Defined in the input: its encoding, embedded in the wrapper.
    Input(Vec<u8>),
    /// Provided by a root import (or an instance inside one): the wrapper
    /// re-exports its own import's.
    Host(HostPath),
}

/// The flattened composition.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) components: Vec<InnerComponent>,
    pub(crate) instances: Vec<CoreInstance>,
    pub(crate) lifted: Vec<Lifted>,
    pub(crate) adapters: Vec<Adapter>,
    pub(crate) lowerings: Vec<Lowering>,
    pub(crate) imports: Vec<RootImport>,
    /// Resource types the root imports.
    pub(crate) host_resources: Vec<HostResource>,
    /// Every resource type, in creation order.
    pub(crate) resources: Vec<Resource>,
    pub(crate) builtins: Vec<Builtin>,
    pub(crate) async_builtins: Vec<AsyncBuiltin>,
    /// meld's async runtime, once attached (the last core instances).
    pub(crate) runtime: Option<RuntimeInstances>,
    /// Resource types by wasmparser id, as the lifts of one scope see them.
    pub(crate) scopes: Vec<BTreeMap<ResourceId, ResId>>,
    /// The scope of the root's imports: how host functions' types name
    /// resources.
    pub(crate) host_scope: ScopeId,
    /// For each host resource some inner component drops: the lowering of
    /// the host's `resource.drop`, which the generated drop calls.
    pub(crate) host_drops: BTreeMap<ResId, LoweringId>,
    /// The root's exports, in order, with their types as the root declares them.
    pub(crate) exports: Vec<(String, ExportItem, ComponentEntityType)>,
}

impl Graph {
    pub(crate) fn path(&self, id: InnerId) -> &str {
        &self.components[id.0].path
    }

    /// The core instances of the input's modules, in order: every one but
    /// those of meld's async runtime.
    pub(crate) fn guest_instances(&self) -> impl Iterator<Item = (CoreInstanceId, &CoreInstance)> {
        let runtime: Vec<CoreInstanceId> = self
            .runtime
            .iter()
            .flat_map(|r| [r.scheduler, r.waitables, r.tasks])
            .collect();
        self.instances
            .iter()
            .enumerate()
            .map(|(i, instance)| (CoreInstanceId(i), instance))
            .filter(move |(id, _)| !runtime.contains(id))
    }

    /// The root export (interface, or `$root`) and name under which an
    /// inner resource type is exported first.
    pub(crate) fn resource_export_name(&self, resource: ResId) -> (String, String) {
        for (name, item, _) in &self.exports {
            match item {
                ExportItem::Type(Some(r)) if *r == resource => {
                    return ("$root".to_string(), name.clone());
                }
                ExportItem::Instance(items) => {
                    for (n, item) in items {
                        if let ExportItem::Type(Some(r)) = item
                            && *r == resource
                        {
                            return (name.clone(), n.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        (String::new(), self.resources[resource.0].name.clone())
    }

    /// The inner resource types the root exports, in export order.
    /// The name of a root export (or of an item inside one) that is a core
    /// module or component passed along unchanged, if there is one.
    pub(crate) fn carried_export(&self) -> Option<String> {
        fn walk(name: &str, item: &ExportItem) -> Option<String> {
            match item {
                ExportItem::Module(_) | ExportItem::Component(_) => Some(name.to_string()),
                ExportItem::Instance(items) => items
                    .iter()
                    .find_map(|(n, item)| walk(&format!("{name}/{n}"), item)),
                _ => None,
            }
        }
        self.exports
            .iter()
            .find_map(|(name, item, _)| walk(name, item))
    }

    pub(crate) fn exported_resources(&self) -> Vec<ResId> {
        fn walk(item: &ExportItem, graph: &Graph, out: &mut Vec<ResId>) {
            match item {
                ExportItem::Type(Some(r))
                    if graph.resources[r.0].defined_by.is_some() && !out.contains(r) =>
                {
                    out.push(*r)
                }
                ExportItem::Instance(items) => {
                    for (_, item) in items {
                        walk(item, graph, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (_, item, _) in &self.exports {
            walk(item, self, &mut out);
        }
        out
    }

    /// Whether any resource type is in use (so the fused module needs
    /// handle tables: every component keeps its handles, the host's
    /// included, in its own).
    pub(crate) fn has_resources(&self) -> bool {
        !self.resources.is_empty()
    }

    /// Whether the composition uses the async ABI (built-ins, or lifts or
    /// lowers with the `async` option).
    pub(crate) fn uses_async(&self) -> bool {
        !self.async_builtins.is_empty()
            || self.lifted.iter().any(|l| l.options.async_)
            || self.adapters.iter().any(|a| a.options.async_)
            || self.lowerings.iter().any(|l| l.options.async_)
    }

    /// Whether lowering `id` is a sync call of an async-typed host
    /// function made from meld's runtime: the wrapper lowers it `async`,
    /// and the calling task waits for the host's subtask, as wasmtime
    /// suspends the caller's thread, so that the other tasks run meanwhile.
    pub(crate) fn blocks_on_host(&self, id: LoweringId) -> bool {
        self.runtime.is_some() && self.lowerings[id.0].blocks
    }

    /// Whether the host's function of lowering `id` is lowered `async` by
    /// the wrapper: the caller's async lower, or a sync one that blocks.
    pub(crate) fn lowers_async(&self, id: LoweringId) -> bool {
        self.lowerings[id.0].options.async_ || self.blocks_on_host(id)
    }

    /// Whether the fused module follows the host's waitables: an inner
    /// component calls the host with the async ABI, or makes streams,
    /// futures or error contexts (the fused component's).
    pub(crate) fn follows_host(&self) -> bool {
        use crate::decode::AsyncOp;
        self.runtime.is_some()
            && ((0..self.lowerings.len()).any(|i| self.lowers_async(LoweringId(i)))
                || self.async_builtins.iter().any(|b| {
                    matches!(
                        b.op,
                        AsyncOp::End { .. }
                            | AsyncOp::ErrorContextNew
                            | AsyncOp::ErrorContextDebugMessage
                            | AsyncOp::ErrorContextDrop
                    )
                }))
    }

    /// Whether the fused module needs meld's handle tables: resources, or
    /// the async ABI's handles (subtasks, waitable sets).
    pub(crate) fn needs_tables(&self) -> bool {
        self.has_resources() || self.runtime.is_some()
    }

    /// The core module and field names of a root import item, following
    /// wit-component's conventions: an interface's function `f` is
    /// `("iface", "f")`, a world-level function `("$root", "f")`, and the
    /// drop of resource `r` is `("iface", "[resource-drop]r")`.
    pub(crate) fn host_name(&self, item: &HostItem) -> (String, String) {
        let (import, path, prefix) = match item {
            HostItem::Func(f) => (f.import, &f.path, ""),
            HostItem::ResourceDrop(r) => (r.import, &r.path, "[resource-drop]"),
            HostItem::Exported { op, resource } => {
                let (iface, name) = self.resource_export_name(*resource);
                let op = op.name().trim_start_matches("resource.");
                return (format!("[export]{iface}"), format!("[resource-{op}]{name}"));
            }
            HostItem::TaskReturn(id) => {
                return ("[export]".to_string(), format!("[task-return]{}", id.0));
            }
            HostItem::Context { set } => {
                let op = if *set { "set" } else { "get" };
                return ("$root".to_string(), format!("[context-{op}-0]"));
            }
            HostItem::HostAsync(op) => return ("$root".to_string(), op.field().to_string()),
            HostItem::Builtin(id) => {
                let op = self.async_builtins[id.0].op.name();
                return ("$root".to_string(), format!("[{op}]{}", id.0));
            }
        };
        let import = &self.imports[import.0].name;
        match path.split_last() {
            None => ("$root".to_string(), format!("{prefix}{import}")),
            Some((field, [])) => (import.clone(), format!("{prefix}{field}")),
            Some((field, nested)) => (
                format!("{import}/{}", nested.join("/")),
                format!("{prefix}{field}"),
            ),
        }
    }
}
