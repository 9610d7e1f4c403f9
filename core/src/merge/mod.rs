//! Stage 4: one core module from all core instances.
//!
//! [`Layout::new`] decides the fused module's index spaces: root-import
//! functions first (one per distinct lowering), then every instance's own
//! functions, tables, memories, globals and tags in instantiation order,
//! then the generated adapter functions, then the host-boundary wrappers
//! ([`Wrapper`]), then the resource builtins (`resource.new`/`.rep`/`.drop`
//! of inner resources), then the adapters' helpers and, with a shared
//! memory, the regions' grow functions. When an inner component defines a
//! resource type, meld's handle tables get a memory after the instances'. An import of an instance becomes a reference to
//! whatever it resolves to (its [`Origin`]), past toolchains' import shims
//! where their table slot is known ([`forward`]), so no import is left
//! between instances. [`emit`] then re-encodes every instance's sections through
//! its index maps (`wasm_encoder::reencode`), keeping instantiation order
//! for segments and start functions; with a shared memory every body goes
//! through `shared::rewrite` instead.

mod body;
mod custom;
mod data;
mod forward;
mod module;
mod reencode;
mod shared;
mod types;

pub(crate) use module::{Module, Space};

use crate::adapt::async_calls::AsyncFunc;
use crate::adapt::{AdapterPlan, Adapters};
use crate::debug::{self, CodeMap, DebugInfo, leb_len};
use crate::decode::{Decoded, StaticModuleIndex};
use crate::error::{Error, Result};
use crate::graph::*;
use std::collections::BTreeMap;
use wasm_encoder::reencode::Reencode;
use wasmparser::FuncType;

/// Where a core item is really defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Origin {
    /// The `index`-th item a module instance defines (not imports) in a space.
    Defined {
        instance: CoreInstanceId,
        space: Space,
        index: u32,
    },
    /// A generated adapter function.
    Adapter(AdapterId),
    /// A generated function standing in front of a host-facing function
    /// (by its position in [`Layout::wrappers`]).
    Wrapper(usize),
    /// An imported root function.
    Lowering(LoweringId),
    /// A generated resource builtin.
    Builtin(BuiltinId),
    /// The memory of meld's handle tables.
    Tables,
    /// A generated function of the async runtime (by its position in
    /// [`Layout::async_funcs`]).
    Async(usize),
}

/// An export of the fused module.
#[derive(Debug, Clone)]
pub(crate) struct CoreExport {
    pub(crate) name: String,
    pub(crate) space: Space,
    pub(crate) origin: Origin,
}

/// The index spaces of the fused module.
#[derive(Debug)]
pub(crate) struct Layout<'a> {
    /// Every static module, parsed (`None` if never instantiated).
    pub(crate) modules: Vec<Option<Module<'a>>>,
    /// Imported functions, which come first in the function space.
    host_count: u32,
    /// Fused function index of each lowering.
    lowering_funcs: Vec<u32>,
    /// Fused index of each instance's first defined item, per space.
    bases: Vec<[u32; 5]>,
    /// Fused function index of each generated adapter.
    adapter_funcs: BTreeMap<AdapterId, u32>,
    /// Functions the instances define, all together (the generated ones
    /// follow them).
    instance_funcs: u32,
    /// Generated functions in front of host-facing functions, after the
    /// adapters in the function space.
    wrappers: Vec<Wrapper>,
    first_wrapper: u32,
    /// Generated resource builtins, one per [`BuiltinId`], after the wrappers.
    first_builtin: u32,
    /// The async runtime's generated functions, after the builtins.
    async_funcs: Vec<AsyncFunc>,
    first_async: u32,
    /// The memory meld's handle tables and stage heap live in (after the
    /// instances'), when an inner component defines a resource type, the
    /// composition runs async, or with a shared memory the host reads
    /// copies made for it ([`Layout::copies`]).
    pub(crate) tables_memory: Option<u32>,
    /// `Adapters::staged_lowerings`, and with a shared memory the
    /// `Adapters::moved_lowerings` whose region is not at base 0.
    pub(crate) staged_lowerings: std::collections::BTreeSet<LoweringId>,
    /// With [`MemoryLayout::Shared`], the regions of the one memory.
    pub(crate) shared: Option<shared::Plan>,
    /// Stream and future reads and writes whose copies with the host are
    /// staged in meld's memory: those whose elements hold the host's own
    /// handles (`Adapters::staged_ends`), and, with one memory, those
    /// whose elements hold pointers (`async_calls::pointer_ends`).
    pub(crate) staged_ends: std::collections::BTreeSet<AsyncBuiltinId>,
    /// Items per space in the fused module (generated functions included).
    totals: [u32; 5],
    /// Things the layout decided that the user should know (the memory
    /// strategy `auto` chose, regions made smaller to fit).
    pub(crate) warnings: Vec<String>,
    /// Shim functions that items naming them go past
    /// ([`forward`]).
    forwards: forward::Forwards,
}

/// The most memories a module may have: wasmparser's limit
/// (`MAX_WASM_MEMORIES`, not public), which wasmtime and the browsers'
/// engines share.
pub(crate) const MAX_MEMORIES: usize = 100;

/// Why `memories` memories cannot be one each.
fn memories_over_limit(memories: usize, tables_memory: bool) -> String {
    let tables = if tables_memory {
        ", meld's handle tables included"
    } else {
        ""
    };
    format!(
        "the fused module would have {memories} memories (one per inner memory{tables}), more \
         than the {MAX_MEMORIES} that validators and engines accept"
    )
}

#[cold]
fn too_many_memories(memories: usize, tables_memory: bool) -> Error {
    Error::unsupported(format!(
        "--memory multi: {}; use --memory shared (one memory, a region per inner memory)",
        memories_over_limit(memories, tables_memory)
    ))
}

/// A generated function in front of a function the host calls or is
/// called through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Wrapper {
    /// In front of a lowered host import: checks the caller's `may_leave`
    /// flag, translates handles between the caller's table and the host's,
    /// and with a shared memory moves the pointers the host sees into
    /// absolute addresses (and back).
    Lowering(LoweringId),
    /// In front of a lifted export whose memory is not at base 0 of a
    /// shared memory: moves the host's pointers into the region, calls,
    /// and moves the result's pointers out.
    Export(LiftedId),
    /// The post-return of that export: moves the result's pointers back
    /// (before the component's own post-return, if it has one, frees them).
    PostReturn(LiftedId),
    /// In front of a realloc the host calls: in a region of a shared
    /// memory (`memory`), moves addresses and checks the block; with its
    /// component's `may_leave` flag (`flag`), clears it during the call.
    Realloc {
        realloc: Origin,
        memory: Option<u32>,
        flag: Option<u32>,
    },
    /// In front of a lifted export passing handles of inner resources:
    /// moves them between the wrapper's table and the callee's. For a
    /// sync export in `Adapters::staged_exports`, it copies the parameters
    /// from meld's stage heap into the component and a result through
    /// memory back into the stage heap (`adapt/staged.rs`).
    Handles(LiftedId),
    /// The post-return of such a staged sync export: frees its result's
    /// blocks of the stage heap, then runs the component's post-return,
    /// if it has one, on the component's own results.
    StagedPost(LiftedId),
    /// The destructor of the wrapper's resource type standing for an
    /// exported inner one.
    Dtor(ResId),
    /// The `realloc` of host functions whose parameters hold handles in
    /// memory: they are lowered with meld's memory, where the handles are
    /// translated into a copy (`adapt/staged.rs`); it answers in memory
    /// addresses.
    Scratch,
    /// The `realloc` of async host calls and stream copies staged in
    /// meld's memory (`Adapters::async_staged`, `Layout::staged_ends`): blocks of meld's stage heap, each freed
    /// once its event has copied the result into the caller; it answers in
    /// memory addresses.
    Stage,
}

impl<'a> Layout<'a> {
    /// Lays out the fused module of `graph`.
    pub(crate) fn new(
        decoded: &Decoded<'a>,
        graph: &Graph,
        adapters: &Adapters,
        memory: MemoryLayout,
    ) -> Result<Self> {
        let mut modules: Vec<Option<Module<'a>>> = decoded.modules.iter().map(|_| None).collect();
        for instance in &graph.instances {
            let slot = &mut modules[instance.module.0];
            if slot.is_none() {
                let m = &decoded.modules[instance.module.0];
                *slot = Some(Module::parse(m.bytes, m.offset)?);
            }
        }
        let mut totals = [0u32; 5];
        let mut bases = Vec::with_capacity(graph.instances.len());
        for instance in &graph.instances {
            let module = modules[instance.module.0]
                .as_ref()
                .ok_or_else(|| Error::internal("instance of an unparsed module"))?;
            let mut base = [0u32; 5];
            for space in Space::ALL {
                base[space.index()] = totals[space.index()];
                totals[space.index()] += module.defined(space);
            }
            bases.push(base);
        }
        let instance_funcs = totals[Space::Func.index()];
        let mut adapter_funcs = BTreeMap::new();
        for (i, plan) in adapters.plans.iter().enumerate() {
            if let AdapterPlan::Generated(_) = plan {
                adapter_funcs.insert(AdapterId(i), totals[Space::Func.index()]);
                totals[Space::Func.index()] += 1;
            }
        }
        let tables_memory = graph.needs_tables().then(|| {
            totals[Space::Memory.index()] += 1;
            totals[Space::Memory.index()] - 1
        });
        let mut layout = Layout {
            modules,
            host_count: 0,
            lowering_funcs: Vec::new(),
            bases,
            adapter_funcs,
            instance_funcs,
            wrappers: Vec::new(),
            first_wrapper: totals[Space::Func.index()],
            first_builtin: 0,
            async_funcs: Vec::new(),
            staged_ends: adapters.staged_ends.clone(),
            first_async: 0,
            tables_memory,
            staged_lowerings: adapters.staged_lowerings.clone(),
            shared: None,
            totals,
            warnings: Vec::new(),
            forwards: forward::Forwards::default(),
        };
        let memories = layout.totals[Space::Memory.index()] as usize;
        let fits = memories <= MAX_MEMORIES;
        let default_pages = match memory {
            MemoryLayout::Multi | MemoryLayout::Auto { .. } if fits => None,
            MemoryLayout::Multi => {
                return Err(too_many_memories(memories, layout.tables_memory.is_some()));
            }
            MemoryLayout::Auto { default_pages } => {
                layout.warnings.push(format!(
                    "--memory auto chose shared: {}",
                    memories_over_limit(memories, layout.tables_memory.is_some())
                ));
                Some(default_pages)
            }
            MemoryLayout::Shared { default_pages } => Some(default_pages),
        };
        if let Some(default_pages) = default_pages {
            layout.shared = Some(shared::Plan::new(&layout, graph, adapters, default_pages)?);
            // the host reads copies of values whose region moves in
            // meld's region ([`Self::copies`]): planned again with it (the
            // region at base 0 stays where it is)
            if layout.tables_memory.is_none() && layout.copies(graph, adapters)? {
                layout.tables_memory = Some(layout.totals[Space::Memory.index()]);
                layout.totals[Space::Memory.index()] += 1;
                layout.shared = Some(shared::Plan::new(&layout, graph, adapters, default_pages)?);
            }
            if let Some(plan) = &layout.shared {
                layout.warnings.extend(plan.note.clone());
            }
            for id in &adapters.moved_lowerings {
                let options = &graph.lowerings[id.0].options;
                if !options.async_ && layout.copied(graph, adapters, options)? {
                    layout.staged_lowerings.insert(*id);
                }
            }
        }
        if layout.shared.is_some() {
            // With one memory, copies of pointers with the host are staged
            // too (their pointers move as they are copied).
            let types = decoded.types()?;
            for id in crate::adapt::async_calls::pointer_ends(graph, types)? {
                let options = &graph.async_builtins[id.0].options;
                if layout.rebased(graph, adapters, options)?.is_some() {
                    layout.staged_ends.insert(id);
                }
            }
        }
        layout.async_funcs = crate::adapt::async_calls::funcs(
            graph,
            adapters,
            decoded.types()?,
            &layout.staged_ends,
        )?;
        // before any function's origin is kept (the wrappers' reallocs),
        // once every function an origin can be is laid out
        layout.forwards = forward::Forwards::find(&layout, graph, adapters)?;
        layout.wrappers = layout.plan_wrappers(graph, adapters)?;
        layout.totals[Space::Func.index()] += layout.wrappers.len() as u32;
        layout.first_builtin = layout.totals[Space::Func.index()];
        layout.totals[Space::Func.index()] += graph.builtins.len() as u32;
        layout.first_async = layout.totals[Space::Func.index()];
        layout.totals[Space::Func.index()] += layout.async_funcs.len() as u32;
        Ok(layout)
    }

    /// The wrappers the host boundary needs, in function order.
    fn plan_wrappers(&self, graph: &Graph, adapters: &Adapters) -> Result<Vec<Wrapper>> {
        let mut wrappers = std::collections::BTreeSet::new();
        for (i, lowering) in graph.lowerings.iter().enumerate() {
            let rebased = self.rebased(graph, adapters, &lowering.options)?;
            let flagged = adapters.flag(lowering.caller).is_some();
            let handles = adapters.handle_lowerings.contains(&LoweringId(i));
            if matches!(lowering.item, HostItem::Func(_))
                && !graph.lowers_async(LoweringId(i))
                && (flagged || handles || rebased.is_some())
            {
                wrappers.insert(Wrapper::Lowering(LoweringId(i)));
            }
            let flag = adapters.flag(lowering.caller);
            if let Some(realloc) = &lowering.options.realloc
                && (rebased.is_some() || flag.is_some())
                && !self.staged_lowerings.contains(&LoweringId(i))
            {
                let realloc = self.origin(graph, adapters, realloc, Space::Func)?;
                wrappers.insert(Wrapper::Realloc {
                    realloc,
                    memory: rebased,
                    flag,
                });
            }
        }
        // The fused component's stream and error-context built-ins call an
        // inner component's realloc too.
        for builtin in &graph.async_builtins {
            if let Some(realloc) = &builtin.options.realloc
                && graph.follows_host()
            {
                let rebased = self.rebased(graph, adapters, &builtin.options)?;
                let flag = adapters.flag(builtin.caller);
                if rebased.is_some() || flag.is_some() {
                    let realloc = self.origin(graph, adapters, realloc, Space::Func)?;
                    wrappers.insert(Wrapper::Realloc {
                        realloc,
                        memory: rebased,
                        flag,
                    });
                }
            }
        }
        let mut lifted = Vec::new();
        for (_, item, _) in &graph.exports {
            exported_lifts(item, &mut lifted);
        }
        for id in &lifted {
            // A task of an export the wrapper lifts async moves the
            // host's handles itself.
            if adapters.handle_exports.contains(id) && !adapters.lifted_async(graph, *id) {
                wrappers.insert(Wrapper::Handles(*id));
                if adapters.staged_exports.contains(id) {
                    wrappers.insert(Wrapper::StagedPost(*id));
                }
            }
        }
        if !self.staged_lowerings.is_empty() || !adapters.async_staged.is_empty() {
            wrappers.insert(Wrapper::Scratch);
        }
        if !adapters.async_staged.is_empty()
            || !self.staged_ends.is_empty()
            || !adapters.staged_exports.is_empty()
        {
            wrappers.insert(Wrapper::Stage);
        }
        for resource in graph.exported_resources() {
            if graph.resources[resource.0].dtor.is_some() {
                wrappers.insert(Wrapper::Dtor(resource));
            }
        }
        for id in lifted {
            let options = &graph.lifted[id.0].options;
            let rebased = self.rebased(graph, adapters, options)?;
            // The task of an export the wrapper lifts async moves the
            // host's pointers itself (`async_calls.rs`): its results go
            // through task.return.
            // (A staged one's handles wrapper copies its values between
            // meld's memory and the component's: no pointer moves.)
            if rebased.is_some()
                && !adapters.lifted_async(graph, id)
                && !adapters.staged_exports.contains(&id)
            {
                wrappers.insert(Wrapper::Export(id));
                // The result's pointers, moved for the host, move back once
                // the host has read them, post-return or not.
                wrappers.insert(Wrapper::PostReturn(id));
            }
            let flag = adapters.flag(graph.lifted[id.0].component);
            // (a staged export's host calls meld's stage allocator instead)
            if let Some(realloc) = &options.realloc
                && (rebased.is_some() || flag.is_some())
                && !adapters.staged_exports.contains(&id)
            {
                let realloc = self.origin(graph, adapters, realloc, Space::Func)?;
                wrappers.insert(Wrapper::Realloc {
                    realloc,
                    memory: rebased,
                    flag,
                });
            }
        }
        Ok(wrappers.into_iter().collect())
    }

    /// With a shared memory: whether the pointers of the values the host
    /// reads in the region of the memory `options` name move (it is not at
    /// base 0), so that the host reads copies of them instead
    /// (`Adapters::copied_exports`, `Adapters::moved_lowerings`).
    pub(crate) fn copied(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        options: &Options,
    ) -> Result<bool> {
        let (Some(plan), Some(memory)) = (&self.shared, &options.memory) else {
            return Ok(false);
        };
        let k = self.index(self.origin(graph, adapters, memory, Space::Memory)?)?;
        Ok(plan.base(k)? != 0)
    }

    /// Whether the host reads any export's result or host function's
    /// parameters from a copy ([`Self::copied`]).
    fn copies(&self, graph: &Graph, adapters: &Adapters) -> Result<bool> {
        for id in &adapters.copied_exports {
            if self.copied(graph, adapters, &graph.lifted[id.0].options)? {
                return Ok(true);
            }
        }
        for id in &adapters.moved_lowerings {
            if self.copied(graph, adapters, &graph.lowerings[id.0].options)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// With a shared memory: the fused index of the memory `options` name,
    /// if the host boundary needs wrappers for it: its region is not at
    /// base 0 (pointers move), or another region follows it (what the host
    /// reads and writes must be checked against its size).
    pub(crate) fn rebased(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        options: &Options,
    ) -> Result<Option<u32>> {
        let (Some(plan), Some(memory)) = (&self.shared, &options.memory) else {
            return Ok(None);
        };
        let k = self.index(self.origin(graph, adapters, memory, Space::Memory)?)?;
        // A region at base 0 needs no moving, but unless it is the last one
        // what the host reads and writes in it must be checked.
        Ok((plan.base(k)? != 0 || plan.checked(k)?).then_some(k))
    }

    /// The wrappers, in function order.
    pub(crate) fn wrappers(&self) -> &[Wrapper] {
        &self.wrappers
    }

    /// The origin of the wrapper `w`, if the layout has one.
    pub(crate) fn wrapper(&self, w: Wrapper) -> Option<Origin> {
        self.wrappers.binary_search(&w).ok().map(Origin::Wrapper)
    }

    /// Places `count` imported functions first in the function space;
    /// `lowering_import` gives each lowering's import.
    pub(crate) fn set_imports(&mut self, count: usize, lowering_import: &[usize]) {
        self.host_count = count as u32;
        self.lowering_funcs = lowering_import.iter().map(|&i| i as u32).collect();
    }

    /// The fused index of the first function meld generates (adapters,
    /// wrappers, built-ins, the async runtime's functions, helpers): every
    /// function before it is the host's, an inner module's or one of the
    /// async runtime's modules'.
    pub(crate) fn first_generated_func(&self) -> u32 {
        self.host_count + self.instance_funcs
    }

    /// The fused indices of the functions `instance` defines.
    pub(crate) fn instance_funcs(
        &self,
        graph: &Graph,
        instance: CoreInstanceId,
    ) -> Result<std::ops::Range<u32>> {
        let first = self.index(Origin::Defined {
            instance,
            space: Space::Func,
            index: 0,
        })?;
        Ok(first..first + self.module(graph, instance)?.defined(Space::Func))
    }

    /// Number of functions of the fused module before generated helpers:
    /// imports, the instances' functions and the adapters.
    pub(crate) fn func_count(&self) -> u32 {
        self.host_count + self.totals[Space::Func.index()]
    }

    /// Number of globals the instances define (generated flags come after).
    pub(crate) fn global_count(&self) -> u32 {
        self.totals[Space::Global.index()]
    }

    pub(crate) fn module(&self, graph: &Graph, instance: CoreInstanceId) -> Result<&Module<'a>> {
        self.modules[graph.instances[instance.0].module.0]
            .as_ref()
            .ok_or_else(|| Error::internal("instance of an unparsed module"))
    }

    /// Follows re-exports and imports from `def` to the item it names.
    pub(crate) fn origin(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        def: &CoreDef,
        space: Space,
    ) -> Result<Origin> {
        match def {
            // An async call of the host goes through the runtime, which
            // follows the host's subtask.
            CoreDef::Lowering(id) if graph.lowers_async(*id) => {
                self.async_origin(AsyncFunc::HostCall(*id))
            }
            CoreDef::Lowering(id) => Ok(Origin::Lowering(*id)),
            CoreDef::Builtin(id) => Ok(Origin::Builtin(*id)),
            CoreDef::Async(id) => self.async_origin(AsyncFunc::Shim(*id)),
            CoreDef::Runtime(f) => self.async_origin(AsyncFunc::Table(*f)),
            CoreDef::Adapter(id) => match &adapters.plans[id.0] {
                AdapterPlan::Direct => {
                    let callee = &graph.lifted[graph.adapters[id.0].callee.0];
                    self.origin(graph, adapters, &callee.func, space)
                }
                AdapterPlan::Generated(_) => Ok(Origin::Adapter(*id)),
                AdapterPlan::Async(_) => self.async_origin(AsyncFunc::Call(*id)),
            },
            CoreDef::Export(instance, name) => {
                let module = self.module(graph, *instance)?;
                let export = module
                    .export(name)
                    .ok_or_else(|| Error::internal(format!("no core export `{name}`")))?;
                if Space::of_export(export.kind) != space {
                    return Err(Error::internal(format!(
                        "core export `{name}` of wrong kind"
                    )));
                }
                let imported = module.imported[space.index()];
                if space == Space::Func {
                    let func = forward::NamedFunc {
                        instance: *instance,
                        index: export.index,
                    };
                    return self.named_origin(graph, adapters, func);
                }
                if export.index >= imported {
                    return Ok(Origin::Defined {
                        instance: *instance,
                        space,
                        index: export.index - imported,
                    });
                }
                let import = self.import_def(graph, *instance, space, export.index)?;
                self.origin(graph, adapters, &import, space)
            }
        }
    }

    /// The async runtime's generated functions, in layout order.
    pub(crate) fn async_funcs(&self) -> &[AsyncFunc] {
        &self.async_funcs
    }

    /// The origin of generated async function `f`.
    pub(crate) fn async_origin(&self, f: AsyncFunc) -> Result<Origin> {
        self.async_funcs
            .iter()
            .position(|g| *g == f)
            .map(Origin::Async)
            .ok_or_else(|| Error::internal(format!("no generated async function {f:?}")))
    }

    /// The fused index of generated async function `f`.
    pub(crate) fn async_index(&self, f: AsyncFunc) -> Result<u32> {
        self.index(self.async_origin(f)?)
    }

    /// What the `index`-th import in `space` of `instance` was given.
    pub(super) fn import_def(
        &self,
        graph: &Graph,
        instance: CoreInstanceId,
        space: Space,
        index: u32,
    ) -> Result<CoreDef> {
        let module = self.module(graph, instance)?;
        let import = module
            .imports
            .iter()
            .filter(|i| Space::of_import(&i.ty) == space)
            .nth(index as usize)
            .ok_or_else(|| Error::internal("import index out of bounds"))?;
        let args = &graph.instances[instance.0].args;
        args.iter()
            .find(|(name, _)| name == import.module)
            .and_then(|(_, arg)| arg.get(import.name))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "core import `{}` `{}` of {} was not given",
                    import.module, import.name, graph.instances[instance.0].name
                ))
            })
    }

    /// The fused index of the import a lowering calls.
    pub(crate) fn lowering_import(&self, id: LoweringId) -> Result<u32> {
        self.lowering_funcs
            .get(id.0)
            .copied()
            .ok_or_else(|| Error::internal("lowering without an import"))
    }

    /// The fused index of `origin`.
    pub(crate) fn index(&self, origin: Origin) -> Result<u32> {
        match origin {
            Origin::Defined {
                instance,
                space,
                index,
            } => {
                let shift = if space == Space::Func {
                    self.host_count
                } else {
                    0
                };
                Ok(self.bases[instance.0][space.index()] + index + shift)
            }
            Origin::Lowering(id) => match self.wrapper(Wrapper::Lowering(id)) {
                Some(wrapper) => self.index(wrapper),
                None => self.lowering_import(id),
            },
            Origin::Wrapper(i) => Ok(self.first_wrapper + i as u32 + self.host_count),
            Origin::Tables => self
                .tables_memory
                .ok_or_else(|| Error::internal("meld's memory without handle tables")),
            Origin::Builtin(id) => Ok(self.first_builtin + id.0 as u32 + self.host_count),
            Origin::Async(i) => Ok(self.first_async + i as u32 + self.host_count),
            Origin::Adapter(id) => self
                .adapter_funcs
                .get(&id)
                .map(|i| i + self.host_count)
                .ok_or_else(|| Error::internal("direct adapter has no function")),
        }
    }

    /// The fused index of `def` in `space`.
    pub(crate) fn resolve(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        def: &CoreDef,
        space: Space,
    ) -> Result<u32> {
        self.index(self.origin(graph, adapters, def, space)?)
    }

    /// Fused indices of every item of `instance` per space (imports included).
    fn index_maps(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        instance: CoreInstanceId,
    ) -> Result<[Vec<u32>; 5]> {
        let module = self.module(graph, instance)?;
        let mut maps: [Vec<u32>; 5] = Default::default();
        for space in Space::ALL {
            for i in 0..module.imported[space.index()] {
                let def = self.import_def(graph, instance, space, i)?;
                maps[space.index()].push(self.resolve(graph, adapters, &def, space)?);
            }
            let shift = if space == Space::Func {
                self.host_count
            } else {
                0
            };
            let base = self.bases[instance.0][space.index()] + shift;
            maps[space.index()].extend(base..base + module.defined(space));
        }
        Ok(maps)
    }
}

/// The memory of meld's handle tables: it starts with one page and grows
/// as tables do.
const TABLES_MEMORY: wasm_encoder::MemoryType = wasm_encoder::MemoryType {
    minimum: 1,
    maximum: None,
    memory64: false,
    shared: false,
    page_size_log2: None,
};

/// [`TABLES_MEMORY`] as wasmparser describes memories.
pub(crate) const TABLES_MEMORY_TYPE: wasmparser::MemoryType = wasmparser::MemoryType {
    initial: 1,
    maximum: None,
    memory64: false,
    shared: false,
    page_size_log2: None,
};

/// A generated function to append after the instances' own.
#[derive(Debug)]
pub(crate) struct GeneratedFunc {
    pub(crate) name: String,
    pub(crate) ty: FuncType,
    pub(crate) body: wasm_encoder::Function,
    /// Byte offsets in `body` of loads, stores and copies that the
    /// function's own range checks cover (`Body::within`): with one
    /// shared memory they get no region check of their own.
    pub(crate) covered: Vec<u32>,
}

/// Everything adapter generation adds to the fused module.
#[derive(Debug, Default)]
pub(crate) struct Generated {
    /// One per generated adapter, in adapter order, then one per wrapper of
    /// the layout, at the indices the layout reserved.
    pub(crate) adapters: Vec<GeneratedFunc>,
    /// Helper functions, after every function of the layout.
    pub(crate) helpers: Vec<GeneratedFunc>,
    /// Mutable `i32` flag globals (initially 1), after the instances' globals.
    pub(crate) flags: u32,
}

/// How the fused module's memories are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemoryLayout {
    /// One memory per inner memory.
    Multi,
    /// One memory; memories without a maximum get regions of this many pages.
    Shared { default_pages: u32 },
    /// One memory per inner memory if the module may have that many
    /// ([`MAX_MEMORIES`]), else as `Shared`.
    Auto { default_pages: u32 },
}

/// A region of the single memory, for stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegionInfo {
    /// Path of the inner component whose memory it holds.
    pub(crate) component: String,
    pub(crate) base: u32,
    /// Pages it may grow to.
    pub(crate) max_pages: u32,
}

/// What [`emit`] produced besides the bytes.
#[derive(Debug, Default)]
pub(crate) struct EmitInfo {
    pub(crate) memories: u32,
    pub(crate) dropped: Vec<(String, usize)>,
    /// Bytes of DWARF in the fused module.
    pub(crate) dwarf_bytes: usize,
    /// With [`MemoryLayout::Shared`], the regions in address order.
    pub(crate) regions: Vec<RegionInfo>,
    /// Modules among [`implied`]'s of which a copied body holds an
    /// instruction whose validity in the fused module does not show its
    /// validity in the input: they need a validation of their own.
    pub(crate) unimplied: Vec<StaticModuleIndex>,
}

/// The input's modules whose function bodies the fused module's validation
/// shows valid, so that they need no validation of their own (fusion then
/// validates what remains of the input's bodies, and the modules of
/// [`EmitInfo::unimplied`]).
///
/// Every body of every instance of such a module is copied by
/// [`body::copy`], which changes nothing but indices. Each index is mapped
/// through the instance's own index spaces: one past them is an error,
/// never another instance's item (`reencode::Instance`). What it maps to
/// has the same type: an item the instance defines keeps its type, and one
/// it imports is what the component's instantiation gave it, whose type
/// the input's validation matched against the import. With plain types
/// ([`Module::plain_types`]) a type index maps to a type that the fused
/// module's validation treats as the same type, and both validations use
/// the same features. So a copied body is valid in the fused module
/// exactly when it is valid in its own module. There are two exceptions,
/// which the copy reports: `ref.func` of a function the module does not
/// declare, and data segment instructions in a module without a data count
/// section (the fused module may declare more functions, and has a data
/// count section whenever it has data).
///
/// With a shared memory, or with the async runtime, bodies are rewritten
/// rather than copied: then no module is implied.
pub(crate) fn implied(graph: &Graph, layout: &Layout<'_>) -> Vec<StaticModuleIndex> {
    if layout.shared.is_some() || graph.runtime.is_some() {
        return Vec::new();
    }
    let mut modules: Vec<StaticModuleIndex> = graph
        .instances
        .iter()
        .map(|instance| instance.module)
        .filter(|m| {
            layout
                .modules
                .get(m.0)
                .and_then(Option::as_ref)
                .is_some_and(|m| m.plain_types)
        })
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// Encodes the fused module.
pub(crate) fn emit(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    boundary: &crate::boundary::Boundary,
    generated: Generated,
    debug_info: DebugInfo,
) -> Result<(Vec<u8>, EmitInfo)> {
    let shared = layout.shared.as_ref().map(|plan| {
        let regions = shared::Regions {
            regions: plan.regions.clone(),
            first_global: layout.global_count() + generated.flags,
            first_grow: layout.func_count() + generated.helpers.len() as u32,
        };
        (regions, plan.order.clone())
    });
    let mut types = types::TypeTable::default();
    let mut imports = wasm_encoder::ImportSection::new();
    let mut functions = wasm_encoder::FunctionSection::new();
    let mut tables = wasm_encoder::TableSection::new();
    let mut memories = wasm_encoder::MemorySection::new();
    let mut globals = wasm_encoder::GlobalSection::new();
    let mut tags = wasm_encoder::TagSection::new();
    let mut elements = wasm_encoder::ElementSection::new();
    let mut code = Code::sized(graph, layout, &generated)?;
    let mut data = data::Data::default();
    let mut names = custom::Names::default();
    let mut producers = custom::Producers::default();
    let mut info = EmitInfo::default();
    let mut starts = Vec::new();
    let (mut elem_count, mut data_count) = (0u32, 0u32);
    // When a start function runs before a later instance's active segments,
    // the segments become passive and one generated start function applies
    // them and runs the start functions in instantiation order.
    let interleave = needs_interleaving(graph, layout)?;
    let mut init = wasm_encoder::Function::new([]);
    // The DWARF of every instance that has some, with where its code went.
    let mut dwarf = Vec::new();

    for (i, import) in boundary.imports.iter().enumerate() {
        let ty = types.intern(&import.ty);
        imports.import(
            &import.module,
            &import.field,
            wasm_encoder::EntityType::Function(ty),
        );
        names.func(i as u32, format!("{}#{}", import.module, import.field));
    }

    // The values of the fused module's immutable globals that have a
    // constant one, by fused index (shared mode only).
    let mut constants = BTreeMap::new();
    for (i, instance) in graph.instances.iter().enumerate() {
        let id = CoreInstanceId(i);
        let module = layout.module(graph, id)?;
        let path = graph.path(instance.component);
        let maps = layout.index_maps(graph, adapters, id)?;
        let type_map = types.module(module).map_err(|e| e.in_component(path))?;
        let mut re = reencode::Instance {
            maps: &maps,
            types: &type_map,
            elem_base: elem_count,
            data_base: data_count,
            elements: module.elements.len() as u32,
            data: module.data.len() as u32,
            data_count: module.data_count,
            implied: true,
        };
        let wrap = |e: wasm_encoder::reencode::Error<Error>| reencode::error(e, path);
        for ty in &module.funcs {
            functions.function(re.type_index(*ty).map_err(wrap)?);
        }
        let scheduler = graph.runtime.is_some_and(|rt| rt.scheduler == id);
        for table in &module.tables {
            let mut table = table.clone();
            if scheduler {
                // the scheduler's one table, `entries`: as long as the
                // composition needs (its module declares the fewest)
                let needed = crate::adapt::async_calls::entries_needed(layout.async_funcs());
                table.ty.initial = table.ty.initial.max(needed);
            }
            re.parse_table(&mut tables, table).map_err(wrap)?;
        }
        if shared.is_none() {
            for memory in &module.memories {
                memories.memory(re.memory_type(*memory).map_err(wrap)?);
            }
        }
        if shared.is_none() && i + 1 == graph.instances.len() && layout.tables_memory.is_some() {
            memories.memory(TABLES_MEMORY);
        }
        let first_global = module.imported[Space::Global.index()];
        for (j, global) in module.globals.iter().enumerate() {
            // (the values shared mode places data segments with)
            if shared.is_some() && !global.ty.mutable {
                let mut known = |g| {
                    let fused = re.global_index(g).ok()?;
                    constants.get(&fused).copied()
                };
                if let Some(value) = shared::const_i32(&global.init_expr, &mut known) {
                    let fused = re.global_index(first_global + j as u32).map_err(wrap)?;
                    constants.insert(fused, value);
                }
            }
            re.parse_global(&mut globals, global.clone())
                .map_err(wrap)?;
        }
        for tag in &module.tags {
            tags.tag(re.tag_type(*tag).map_err(wrap)?);
        }
        for (k, element) in module.elements.iter().enumerate() {
            match &element.kind {
                wasmparser::ElementKind::Active {
                    table_index,
                    offset_expr,
                } if interleave => {
                    let count = element_count(&element.items);
                    let items = re.element_items(element.items.clone()).map_err(wrap)?;
                    elements.passive(items);
                    let segment = elem_count + k as u32;
                    let table = re.table_index(table_index.unwrap_or(0)).map_err(wrap)?;
                    const_expr_into(&mut re, offset_expr, &mut init).map_err(wrap)?;
                    init.instructions()
                        .i32_const(0)
                        .i32_const(count as i32)
                        .table_init(table, segment)
                        .elem_drop(segment);
                }
                _ => re
                    .parse_element(&mut elements, element.clone())
                    .map_err(wrap)?,
            }
        }
        for (k, datum) in module.data.iter().enumerate() {
            match &datum.kind {
                wasmparser::DataKind::Active {
                    memory_index,
                    offset_expr,
                } if interleave => {
                    data.passive(datum.data);
                    let segment = data_count + k as u32;
                    let memory = re.memory_index(*memory_index).map_err(wrap)?;
                    const_expr_into(&mut re, offset_expr, &mut init).map_err(wrap)?;
                    init.instructions()
                        .i32_const(0)
                        .i32_const(datum.data.len() as i32)
                        .memory_init(memory, segment)
                        .data_drop(segment);
                }
                wasmparser::DataKind::Active {
                    memory_index,
                    offset_expr,
                } if shared.is_some() => {
                    let (regions, _) = shared
                        .as_ref()
                        .ok_or_else(|| Error::internal("no regions"))?;
                    let k = re.memory_index(*memory_index).map_err(wrap)?;
                    let mut known = |g| {
                        let fused = re.global_index(g).ok()?;
                        constants.get(&fused).copied()
                    };
                    let value = shared::const_i32(offset_expr, &mut known);
                    let placement = regions
                        .data_offset(k, value, datum.data.len())
                        .map_err(|e| e.in_component(path))?;
                    let (offset, bytes) = match placement {
                        shared::Placement::At(offset) => (offset, datum.data),
                        shared::Placement::Trapping => {
                            (shared::TRAPPING_OFFSET, shared::TRAPPING_SEGMENT)
                        }
                    };
                    data.active(0, &wasm_encoder::ConstExpr::i32_const(offset as i32), bytes);
                }
                wasmparser::DataKind::Active {
                    memory_index,
                    offset_expr,
                } => {
                    let memory = re.memory_index(*memory_index).map_err(wrap)?;
                    let offset = re.const_expr(offset_expr.clone()).map_err(wrap)?;
                    data.active(memory, &offset, datum.data);
                }
                wasmparser::DataKind::Passive => data.passive(datum.data),
            }
        }
        let mut map = (debug_info == DebugInfo::Keep && !module.dwarf.is_empty())
            .then(|| CodeMap::new(module.code_start, module.first_body));
        if shared.is_none() && map.is_none() {
            code.copy_all(&mut re, &module.code).map_err(wrap)?;
        }
        for (j, body) in module.code.iter().enumerate() {
            match &shared {
                None if map.is_none() => {}
                None => code.reencode(&mut re, body, map.as_mut()).map_err(wrap)?,
                Some((regions, _)) => {
                    let ty = module
                        .funcs
                        .get(j)
                        .and_then(|ty| module.types.get(*ty as usize))
                        .and_then(Option::as_ref)
                        .ok_or_else(|| Error::internal("a function without a type"))?;
                    let f = shared::rewrite(body, ty, &mut re, regions, &[], map.as_mut())
                        .map_err(wrap)?;
                    code.mapped(&f, body, map.as_mut());
                }
            };
        }
        match map {
            Some(map) => dwarf.push(debug::Instance {
                sections: &module.dwarf,
                map,
                path,
            }),
            None => info
                .dropped
                .extend(module.dwarf.iter().map(|(n, d)| (n.to_string(), d.len()))),
        }
        if let Some(start) = module.start {
            let start = maps[Space::Func.index()][start as usize];
            starts.push(start);
            init.instructions().call(start);
        }
        if !re.implied {
            info.unimplied.push(instance.module);
        }
        elem_count += module.elements.len() as u32;
        data_count += module.data.len() as u32;
        names.instance(module, &maps, path)?;
        producers.merge(module)?;
        info.dropped
            .extend(module.dropped.iter().map(|d| (d.name.clone(), d.size)));
    }

    // The async runtime's task entry points, in the scheduler's table.
    if let Some((table, funcs)) =
        crate::adapt::async_calls::entries_segment(graph, adapters, layout)?
    {
        elements.active(
            Some(table),
            &wasm_encoder::ConstExpr::i32_const(1),
            wasm_encoder::Elements::Functions(funcs.into()),
        );
    }

    let mut next = layout.func_count() - generated.adapters.len() as u32;
    for func in generated.adapters.into_iter().chain(generated.helpers) {
        functions.function(types.intern(&func.ty));
        match &shared {
            None => code.function(&func.body),
            Some((regions, _)) => code.function(&shared::rewrite_generated(
                func.body,
                &func.ty,
                regions,
                &func.covered,
            )?),
        };
        names.func(next, func.name);
        next += 1;
    }
    if let Some((regions, _)) = &shared {
        let grow = types.intern(&FuncType::new(
            [wasmparser::ValType::I32],
            [wasmparser::ValType::I32],
        ));
        for (k, region) in info_regions(graph, layout, regions)?.iter().enumerate() {
            functions.function(grow);
            code.function(&regions.grow_function(k as u32)?);
            names.func(next, format!("memory.grow {}", region));
            next += 1;
        }
    }
    for _ in 0..generated.flags {
        globals.global(
            wasm_encoder::GlobalType {
                val_type: wasm_encoder::ValType::I32,
                mutable: true,
                shared: false,
            },
            &wasm_encoder::ConstExpr::i32_const(1),
        );
    }
    if let Some((regions, order)) = &shared {
        regions.globals(&mut globals);
        // No inner memory, no memory: there is nothing to share.
        if let Some(&last) = order.last() {
            memories.memory(regions.memory_type(last));
        }
    }
    let start = match starts.as_slice() {
        [] if !interleave => None,
        [only] if !interleave => Some(*only),
        _ => {
            // Segments and start functions, in instantiation order.
            let ty = types.intern(&FuncType::new([], []));
            functions.function(ty);
            init.instructions().end();
            match &shared {
                None => code.function(&init),
                Some((regions, _)) => {
                    let ty = FuncType::new([], []);
                    code.function(&shared::rewrite_generated(init, &ty, regions, &[])?)
                }
            };
            names.func(next, "meld start".to_string());
            Some(next)
        }
    };

    let mut export_section = wasm_encoder::ExportSection::new();
    for export in &boundary.exports {
        let kind = match export.space {
            Space::Func => wasm_encoder::ExportKind::Func,
            Space::Table => wasm_encoder::ExportKind::Table,
            Space::Memory => wasm_encoder::ExportKind::Memory,
            Space::Global => wasm_encoder::ExportKind::Global,
            Space::Tag => wasm_encoder::ExportKind::Tag,
        };
        let index = match (&shared, export.space) {
            // The host sees the one memory; wrappers move pointers into
            // and out of regions not at base 0.
            (Some(_), Space::Memory) => 0,
            _ => layout.index(export.origin)?,
        };
        export_section.export(&export.name, kind, index);
    }

    let type_section = types.section()?;
    // A section is emitted only when it has entries: an empty one (a tag
    // section above all) would need a feature the input may not use. The
    // sections are encoded apart, then copied around the code (growing one
    // buffer section by section would hold up to twice the module at its
    // peak).
    let mut before = Vec::new();
    encode_if(&mut before, &type_section, type_section.len());
    encode_if(&mut before, &imports, imports.len());
    encode_if(&mut before, &functions, functions.len());
    encode_if(&mut before, &tables, tables.len());
    encode_if(&mut before, &memories, memories.len());
    encode_if(&mut before, &tags, tags.len());
    encode_if(&mut before, &globals, globals.len());
    encode_if(&mut before, &export_section, export_section.len());
    if let Some(start) = start {
        let section = wasm_encoder::StartSection {
            function_index: start,
        };
        encode_if(&mut before, &section, 1);
    }
    encode_if(&mut before, &elements, elements.len());
    let data_section = wasm_encoder::DataCountSection { count: data_count };
    encode_if(&mut before, &data_section, data_count);
    // With one memory left (shared mode), it is the only one named.
    if shared.as_ref().is_some_and(|(_, order)| !order.is_empty()) {
        names.single_memory();
    }
    // Encoded before the parts after the code, which borrow its bytes
    // rather than copy them.
    let name_section = names.encode();
    drop(names);
    let mut after: Vec<std::borrow::Cow<'_, [u8]>> = Vec::new();
    data.encode_onto(&mut after);
    // The DWARF, its code addresses in the final code section.
    let carried = debug::carry(&dwarf, leb_len(code.count as usize))?;
    drop(dwarf);
    for (name, data) in carried.sections {
        // The header apart, so that the data moves rather than is copied.
        info.dwarf_bytes += data.len();
        after.push(custom_header(name, data.len()).into());
        after.push(data.into());
    }
    info.dropped.extend(carried.dropped);
    after.push(custom_header("name", name_section.len()).into());
    after.push(name_section.into());
    if let Some(producers) = producers.encode() {
        encode_if(&mut after, &producers, 1);
    }
    // The module is assembled in the code's buffer: the sections before
    // the code and the code section's header move in front of it (the
    // buffer grows in place where the allocator can, as large blocks do
    // on native hosts), so the code is never held twice.
    let mut prefix = Vec::with_capacity(20 + before.iter().map(|p| p.len()).sum::<usize>());
    prefix.extend_from_slice(&wasm_encoder::Module::HEADER);
    for part in before {
        prefix.extend_from_slice(&part);
    }
    if code.count > 0 {
        // As wasm-encoder encodes a section: id, size, count, entries.
        prefix.push(wasm_encoder::SectionId::Code as u8);
        let body = leb_len(code.count as usize) + code.bytes.len();
        wasm_encoder::Encode::encode(&(body as u32), &mut prefix);
        wasm_encoder::Encode::encode(&code.count, &mut prefix);
    }
    let mut module = code.bytes;
    let len = module.len();
    module.reserve_exact(prefix.len() + after.iter().map(|p| p.len()).sum::<usize>());
    module.resize(len + prefix.len(), 0);
    module.copy_within(0..len, prefix.len());
    module[..prefix.len()].copy_from_slice(&prefix);
    drop(prefix);
    for part in after {
        module.extend_from_slice(&part);
    }
    info.memories = layout.totals[Space::Memory.index()];
    if let Some((regions, order)) = &shared {
        info.memories = u32::from(!order.is_empty());
        let described = info_regions(graph, layout, regions)?;
        info.regions = order
            .iter()
            .map(|&k| RegionInfo {
                component: described[k].clone(),
                base: regions.regions[k].base,
                max_pages: regions.regions[k].max,
            })
            .collect();
    }
    Ok((module, info))
}

/// The fused module's code section: its entries in one buffer, sized once
/// from the bodies it will hold (re-encoding changes a body's size little),
/// rather than grown by doubling as wasm-encoder's `CodeSection` is.
struct Code {
    bytes: Vec<u8>,
    count: u32,
    /// The body being copied (`body::copy`), kept between bodies.
    body: Vec<u8>,
}

impl Code {
    fn sized(graph: &Graph, layout: &Layout<'_>, generated: &Generated) -> Result<Code> {
        let mut estimate = 0usize;
        for i in 0..graph.instances.len() {
            let module = layout.module(graph, CoreInstanceId(i))?;
            estimate += module
                .code
                .iter()
                .map(|body| body.range().len() + 5)
                .sum::<usize>();
        }
        estimate += generated
            .adapters
            .iter()
            .chain(&generated.helpers)
            .map(|f| f.body.byte_len() + 5)
            .sum::<usize>();
        Ok(Code {
            bytes: Vec::with_capacity(estimate + estimate / 8),
            count: 0,
            body: Vec::new(),
        })
    }

    fn function(&mut self, f: &wasm_encoder::Function) {
        wasm_encoder::Encode::encode(f, &mut self.bytes);
        self.count += 1;
    }

    /// Appends `f`, the re-encoding of `body`, recording where its
    /// instructions went in `map` (their offsets in `f` already are).
    fn mapped(
        &mut self,
        f: &wasm_encoder::Function,
        body: &wasmparser::FunctionBody<'_>,
        map: Option<&mut CodeMap>,
    ) {
        let start = self.bytes.len();
        self.function(f);
        if let Some(map) = map {
            map.function(body.range(), start, f.byte_len());
        }
    }

    /// Copies `body` with `re`'s index maps, recording where each
    /// instruction went in `map`.
    fn reencode(
        &mut self,
        re: &mut reencode::Instance<'_>,
        body: &wasmparser::FunctionBody<'_>,
        mut map: Option<&mut CodeMap>,
    ) -> std::result::Result<(), wasm_encoder::reencode::Error<Error>> {
        let memory0_kept = re.maps[Space::Memory.index()].first() == Some(&0);
        body::copy(re, body, memory0_kept, map.as_deref_mut(), &mut self.body)?;
        let start = self.bytes.len();
        wasm_encoder::Encode::encode(&self.body[..], &mut self.bytes);
        self.count += 1;
        if let Some(map) = map {
            map.function(body.range(), start, self.body.len());
        }
        Ok(())
    }
}

/// Bodies copied on other threads, in chunks of about this many input
/// bytes (a large body is a chunk of its own); an instance of fewer than
/// four chunks is copied on one thread. (64 KiB chunks left the instances
/// of `values`, below 256 KiB each, on one thread: 16 KiB copies them on
/// two and makes its fusion 0.25–1.0 ms faster.)
#[cfg(not(target_family = "wasm"))]
const COPY_CHUNK: usize = 16 * 1024;

/// One chunk of bodies copied apart: their entries, how many, and whether
/// the fused module's validation shows them valid
/// (`reencode::Instance::implied`).
#[cfg(not(target_family = "wasm"))]
type Copied = std::result::Result<(Vec<u8>, u32, bool), wasm_encoder::reencode::Error<Error>>;

impl Code {
    /// Copies `bodies` with `re`'s index maps (no code map kept).
    #[cfg(target_family = "wasm")]
    fn copy_all(
        &mut self,
        re: &mut reencode::Instance<'_>,
        bodies: &[wasmparser::FunctionBody<'_>],
    ) -> std::result::Result<(), wasm_encoder::reencode::Error<Error>> {
        for body in bodies {
            self.reencode(re, body, None)?;
        }
        Ok(())
    }

    /// Copies `bodies` with `re`'s index maps (no code map kept), on every
    /// core of a native host when they make several chunks: each thread
    /// takes the next chunk; this one copies a chunk straight into the
    /// code when every chunk before it is there, else apart, and appends
    /// the chunks done apart in order as soon as they are next. The code is
    /// the same, byte for byte, as copying the bodies one after the other,
    /// and so is the error (the first body's that fails). At most a few
    /// chunks wait to be appended at any time.
    #[cfg(not(target_family = "wasm"))]
    fn copy_all(
        &mut self,
        re: &mut reencode::Instance<'_>,
        bodies: &[wasmparser::FunctionBody<'_>],
    ) -> std::result::Result<(), wasm_encoder::reencode::Error<Error>> {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let mut chunks = vec![0];
        let mut bytes = 0;
        for (i, body) in bodies.iter().enumerate() {
            bytes += body.range().len();
            if bytes >= COPY_CHUNK {
                chunks.push(i + 1);
                bytes = 0;
            }
        }
        if chunks.last() != Some(&bodies.len()) {
            chunks.push(bodies.len());
        }
        let n = chunks.len() - 1;
        let cores = crate::threads::cores();
        if cores < 2 || n < 4 {
            for body in bodies {
                self.reencode(re, body, None)?;
            }
            return Ok(());
        }
        let chunk = |i: usize| &bodies[chunks[i]..chunks[i + 1]];
        let next = AtomicUsize::new(0);
        let apart: std::sync::Mutex<Vec<Option<Copied>>> =
            std::sync::Mutex::new((0..n).map(|_| None).collect());
        let take = |i: usize| apart.lock().ok().and_then(|mut done| done[i].take());
        let base = re.clone();
        // Copies chunk `i` apart.
        let copy = |i: usize, re: &mut reencode::Instance<'_>, scratch: &mut Code| -> Copied {
            re.implied = true;
            let size: usize = chunk(i).iter().map(|b| b.range().len() + 5).sum();
            scratch.bytes = Vec::with_capacity(size + size / 8);
            scratch.count = 0;
            for body in chunk(i) {
                scratch.reencode(re, body, None)?;
            }
            Ok((
                std::mem::take(&mut scratch.bytes),
                scratch.count,
                re.implied,
            ))
        };
        let store = |i: usize, copied: Copied| {
            if let Ok(mut done) = apart.lock() {
                done[i] = Some(copied);
            }
        };
        std::thread::scope(|s| {
            for _ in 1..cores {
                s.spawn(|| {
                    let mut re = base.clone();
                    let mut scratch = Code::empty();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        if i >= n {
                            break;
                        }
                        store(i, copy(i, &mut re, &mut scratch));
                    }
                });
            }
            let mut appended = 0;
            let mut scratch = Code::empty();
            let result = (|| {
                loop {
                    let i = next.fetch_add(1, Relaxed);
                    if i >= n {
                        break;
                    }
                    if i == appended {
                        for body in chunk(i) {
                            self.reencode(re, body, None)?;
                        }
                        appended += 1;
                    } else {
                        let mut mine = base.clone();
                        store(i, copy(i, &mut mine, &mut scratch));
                    }
                    while appended < n
                        && let Some(done) = take(appended)
                    {
                        self.append(done?, re);
                        appended += 1;
                    }
                }
                // The others' last chunks.
                while appended < n {
                    match take(appended) {
                        Some(done) => {
                            self.append(done?, re);
                            appended += 1;
                        }
                        None => std::thread::yield_now(),
                    }
                }
                Ok(())
            })();
            // Stop the others early on an error.
            next.store(n, Relaxed);
            result
        })
    }

    /// A buffer for a chunk of bodies copied apart.
    #[cfg(not(target_family = "wasm"))]
    fn empty() -> Code {
        Code {
            bytes: Vec::new(),
            count: 0,
            body: Vec::new(),
        }
    }

    /// Appends a chunk of bodies copied apart.
    #[cfg(not(target_family = "wasm"))]
    fn append(
        &mut self,
        (bytes, count, implied): (Vec<u8>, u32, bool),
        re: &mut reencode::Instance<'_>,
    ) {
        self.bytes.extend_from_slice(&bytes);
        self.count += count;
        re.implied &= implied;
    }
}

/// Encodes `section` (its id first) onto `parts` unless it has no entries.
fn encode_if(
    parts: &mut Vec<std::borrow::Cow<'_, [u8]>>,
    section: &impl wasm_encoder::Section,
    entries: u32,
) {
    if entries > 0 {
        let mut bytes = vec![section.id()];
        section.encode(&mut bytes);
        parts.push(bytes.into());
    }
}

/// The id, size and name of a custom section `name` of `len` bytes of
/// data, which follow apart (moved or borrowed rather than copied).
fn custom_header(name: &str, len: usize) -> Vec<u8> {
    let mut header = vec![wasm_encoder::SectionId::Custom as u8];
    let name_len = leb_len(name.len()) + name.len();
    wasm_encoder::Encode::encode(&((name_len + len) as u32), &mut header);
    wasm_encoder::Encode::encode(name, &mut header);
    header
}

/// Every lifted function `item` exports.
pub(crate) fn exported_lifts(item: &ExportItem, out: &mut Vec<LiftedId>) {
    match item {
        ExportItem::Lifted(id) => out.push(*id),
        ExportItem::Instance(items) => {
            for (_, item) in items {
                exported_lifts(item, out);
            }
        }
        ExportItem::Host(_)
        | ExportItem::HostInstance { .. }
        | ExportItem::Type(_)
        | ExportItem::Module(_)
        | ExportItem::Component(_) => {}
    }
}

/// The path of the component owning each memory, by fused memory index.
fn info_regions(
    graph: &Graph,
    layout: &Layout<'_>,
    regions: &shared::Regions,
) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(regions.regions.len());
    for (i, instance) in graph.instances.iter().enumerate() {
        let module = layout.module(graph, CoreInstanceId(i))?;
        for _ in &module.memories {
            out.push(graph.path(instance.component).to_string());
        }
    }
    if layout.tables_memory.is_some() {
        out.push("meld's own memory".to_string());
    }
    Ok(out)
}

/// Active segments of all instances are applied before any start function
/// runs in a module. That is the input's order unless a start function
/// runs before a later instance's active segments.
fn needs_interleaving(graph: &Graph, layout: &Layout<'_>) -> Result<bool> {
    let mut started = false;
    for i in 0..graph.instances.len() {
        let module = layout.module(graph, CoreInstanceId(i))?;
        let active_data = module
            .data
            .iter()
            .any(|d| matches!(d.kind, wasmparser::DataKind::Active { .. }));
        let active_elems = module
            .elements
            .iter()
            .any(|e| matches!(e.kind, wasmparser::ElementKind::Active { .. }));
        if started && (active_data || active_elems) {
            return Ok(true);
        }
        started |= module.start.is_some();
    }
    Ok(false)
}

fn element_count(items: &wasmparser::ElementItems<'_>) -> u32 {
    match items {
        wasmparser::ElementItems::Functions(r) => r.count(),
        wasmparser::ElementItems::Expressions(_, r) => r.count(),
    }
}

/// Appends the instructions of constant expression `expr` (without its
/// `end`) to `f`, with indices remapped.
fn const_expr_into(
    re: &mut reencode::Instance<'_>,
    expr: &wasmparser::ConstExpr<'_>,
    f: &mut wasm_encoder::Function,
) -> Result<(), wasm_encoder::reencode::Error<Error>> {
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        let op = reader.read()?;
        if matches!(op, wasmparser::Operator::End) && reader.eof() {
            break;
        }
        f.instruction(&re.instruction(op)?);
    }
    Ok(())
}

/// Appends function type `ty` to `section`; returns its parameter count.
pub(crate) fn define_func_type(
    section: &mut wasm_encoder::TypeSection,
    ty: &FuncType,
) -> Result<usize> {
    let params = ty.params().iter().map(val).collect::<Result<Vec<_>>>()?;
    let results = ty.results().iter().map(val).collect::<Result<Vec<_>>>()?;
    let count = params.len();
    section.ty().function(params, results);
    Ok(count)
}

/// A core value type in wasm-encoder's terms; function types are interned
/// before any index remapping, so typed references are refused here.
pub(crate) fn val(ty: &wasmparser::ValType) -> Result<wasm_encoder::ValType> {
    if let wasmparser::ValType::Ref(r) = ty
        && r.type_index().is_some()
    {
        return Err(Error::unsupported(
            "typed function references in signatures",
        ));
    }
    wasm_encoder::reencode::RoundtripReencoder
        .val_type(*ty)
        .map_err(|e| Error::internal(format!("value type: {e}")))
}
