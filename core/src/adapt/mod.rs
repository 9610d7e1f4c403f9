//! Stage 5: what happens at each cross-component call.
//!
//! [`plan`] decides, from the component type alone, whether a call can go
//! straight to the callee's core function (the lowered and lifted core
//! signatures agree, every value crosses as it is and there is no
//! post-return) or needs a generated adapter, and of which kind: scalar
//! fixups only, copies between memories, or string transcoding.
//! [`generate`] then emits the adapters and their helper functions once the
//! fused module's indices are known.
//!
//! Adapters follow CanonicalABI.md: lifting checks and converts every value
//! (bools, narrow integers, chars, discriminants, flags, strings), lowering
//! allocates with the receiving side's `realloc`; more than 16 flat
//! parameters travel through memory, more than one flat result through a
//! return pointer. A component whose `realloc` an adapter calls gets a
//! `may_leave` flag, cleared during those calls, and every call it makes
//! to another component checks it (wasmtime traps there; like wasmtime,
//! post-return may call out).

mod adapter;
pub(crate) mod async_calls;
mod barrier;
pub(crate) mod body;
mod codec;
mod codegen;
mod host;
mod leave;
mod rebase;
mod resources;
mod staged;
pub(crate) use staged::HOST_ENCODING;
mod strings;
mod translate;

use crate::abi::{Flat, Shape, TyTable};
use crate::error::{Error, Result};
use crate::graph::{AdapterId, Graph, InnerId};
use crate::merge::{self, GeneratedFunc, Layout, Space};
use adapter::Ends;
use codegen::{Codegen, Side};
use std::collections::BTreeMap;
use wasmparser::FuncType;
use wasmparser::component_types::ComponentValType;
use wasmparser::types::TypesRef;

/// What a generated adapter has to do, at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// Check or convert scalars (or a flag, or call post-return).
    Fixup,
    /// Copy strings, lists or spilled values between memories.
    Copy,
    /// Copy strings between different encodings.
    Transcode,
}

/// What a generated adapter does.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedPlan {
    /// The function's types and core signatures; the adapter's own is the
    /// caller's (`shape.lowered`).
    pub(crate) shape: Shape,
    pub(crate) kind: Kind,
    /// The call always traps: caller and callee are one component
    /// instance, or one instantiated the other (directly or not), as
    /// wasmtime 48 does to make re-entry through an adapter impossible.
    pub(crate) traps: bool,
    /// With meld's async runtime: the callee runs on the caller's task as a
    /// task of its own would (fresh context slots, and blocking only if
    /// the callee's type is async: `tasks.wat`'s `sync_enter`); the value
    /// is whether that type is async.
    pub(crate) task: Option<bool>,
}

impl GeneratedPlan {
    /// Whether the callee's `realloc` may be called.
    fn enters_callee(&self, tys: &TyTable) -> bool {
        self.shape.spill_params || self.shape.params.iter().any(|t| tys.info(*t).memory)
    }

    /// Whether the caller's `realloc` may be called.
    fn enters_caller(&self, tys: &TyTable) -> bool {
        self.shape.result.is_some_and(|t| tys.info(t).memory)
    }
}

/// How one cross-component call is made.
#[derive(Debug, Clone)]
pub(crate) enum AdapterPlan {
    /// The caller calls the callee's core function itself.
    Direct,
    /// The caller calls a generated function.
    Generated(Box<GeneratedPlan>),
    /// An async call (or a call of an async function): a task of meld's
    /// async runtime (`async_calls.rs`), moving values as an adapter of
    /// this kind would.
    Async(Kind),
}

/// The plans of every adapter of a graph, by [`AdapterId`].
#[derive(Debug, Default)]
pub(crate) struct Adapters {
    pub(crate) plans: Vec<AdapterPlan>,
    tys: TyTable,
    /// The components that can throw (`barrier::throwing`): every call of
    /// generated code into one of them goes through a barrier
    /// (`barrier.rs`), and no call into one is direct.
    pub(crate) throwing: std::collections::BTreeSet<InnerId>,
    /// Components with a `may_leave` flag, in flag-global order.
    flags: BTreeMap<InnerId, u32>,
    /// Exported lifts whose values carry resource handles.
    pub(crate) handle_exports: std::collections::BTreeSet<crate::graph::LiftedId>,
    /// Exports whose parameters hold handles in memory: the host writes
    /// the parameters into the stage heap of meld's memory and meld copies
    /// them into the component (an async lift's task when it starts, as
    /// wasmtime lowers them then; a sync lift's handles wrapper before the
    /// call), so that the component never holds the host's handle numbers,
    /// which it could change before they are taken: wasmtime calls its
    /// `realloc` in the middle of lowering them, and its other tasks can
    /// run before an async one starts. A result through memory goes to
    /// the host from a copy in the stage heap (`staged.rs`). Also sync
    /// lifts whose result holds handles and is returned through memory:
    /// meld's async runtime may run the component's other tasks between
    /// its return and the host's reading of the result (unless lifted
    /// stackful, below). Also stackful exports whose result goes through
    /// memory: it is copied into the stage heap when the task returns.
    pub(crate) staged_exports: std::collections::BTreeSet<crate::graph::LiftedId>,
    /// Async-typed root exports lifted without `async`, in a composition
    /// whose runtime follows the host: the wrapper lifts them `async`
    /// without a callback (stackful), so that such a task may wait for the
    /// host while the fused instance runs other root tasks' turns, as
    /// wasmtime runs other instances beside a blocked sync-lifted one. Its
    /// host entry runs the same turns as a callback's
    /// (`async_calls::AsyncFunc::HostTurn`), waiting in between, and hands
    /// the result to the host's `task.return`. Like an async lift's task,
    /// its task moves the host's pointers and handles itself (no export
    /// wrappers); when it returns, it makes the result the host's (a
    /// result through memory copied into the stage heap) and runs the
    /// post-return.
    pub(crate) stackful_exports: std::collections::BTreeSet<crate::graph::LiftedId>,
    /// Sync lifts, neither staged nor stackful, whose result goes through
    /// memory and holds strings or lists. With a shared memory, where the
    /// host must see their pointers moved by the region's base, the host
    /// reads a copy of the result in meld's stage heap (its pointers moved
    /// as copied, freed by the post-return): moving them in place, the
    /// host would read moved bytes wherever a string or list overlaps a
    /// moved pointer field (a result pointing into its own return area),
    /// and the component's memory would change under it. One whose region
    /// is not at base 0 gives a shared memory meld's region.
    pub(crate) copied_exports: std::collections::BTreeSet<crate::graph::LiftedId>,
    /// Host functions whose values carry resource handles.
    pub(crate) handle_lowerings: std::collections::BTreeSet<crate::graph::LoweringId>,
    /// Those whose parameters hold handles in memory, or whose result
    /// holds handles and strings or lists: the host reads a translated
    /// copy of the parameters in meld's memory and writes its result
    /// there, and meld copies it into the caller (`staged.rs`). The
    /// host's handle numbers never lie in the caller's memory, where its
    /// `realloc`, which the host calls while writing the result, could
    /// rewrite them before they are translated.
    pub(crate) staged_lowerings: std::collections::BTreeSet<crate::graph::LoweringId>,
    /// Other host functions whose parameters hold strings or lists in
    /// memory (a spilled tuple, a `list<string>`). With a shared memory,
    /// where the host must see their pointers moved by the caller region's
    /// base, the host reads a copy: sync ones are staged too
    /// (`Layout::staged_lowerings`), async ones copy their parameters into
    /// the scratch area (`async_calls.rs`). Moved in place, a string
    /// overlapping a moved pointer field would be read with the moved
    /// bytes, and the caller's `realloc`, which the host calls while it
    /// writes the result, would see the moved pointers.
    pub(crate) moved_lowerings: std::collections::BTreeSet<crate::graph::LoweringId>,
    /// Async host calls whose result holds handles, or whose parameters
    /// hold them in memory: the host reads the parameters from a copy in
    /// meld's scratch area and writes the result into a block of meld's
    /// memory, which the result's event copies into the caller
    /// (`async_calls.rs`). Written into the caller's memory, the host's
    /// handles would sit there, open to the caller, until the event.
    pub(crate) async_staged: std::collections::BTreeSet<crate::graph::LoweringId>,
    /// Stream and future reads and writes whose copies with the host are
    /// staged in meld's memory ([`async_calls::staged_ends`]).
    pub(crate) staged_ends: std::collections::BTreeSet<crate::graph::AsyncBuiltinId>,
}

/// Adapter counts by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) direct: usize,
    pub(crate) fixup: usize,
    pub(crate) copy: usize,
    pub(crate) transcode: usize,
}

impl Adapters {
    /// Whether the wrapper lifts root export `id` `async`: its component
    /// lifts it so, or it is stackful (`stackful_exports`). Its task then
    /// moves the host's pointers and handles itself (no export wrappers),
    /// and its result goes to the host's `task.return`.
    pub(crate) fn lifted_async(&self, graph: &Graph, id: crate::graph::LiftedId) -> bool {
        graph.lifted[id.0].options.async_ || self.stackful_exports.contains(&id)
    }

    /// The inner components whose exports the wrapper lifts sync for the
    /// host (sync-typed root exports): the host's call runs as a task
    /// that cannot wait, so while one of them is locked or has
    /// backpressure, the fused component has backpressure
    /// (`RuntimeFunc::Gate`), as wasmtime starts no call of the host's
    /// into it then.
    pub(crate) fn gated_components(&self, graph: &Graph) -> std::collections::BTreeSet<u32> {
        let mut exported = Vec::new();
        for (_, item, _) in &graph.exports {
            merge::exported_lifts(item, &mut exported);
        }
        exported
            .into_iter()
            .filter(|&id| !self.lifted_async(graph, id))
            .map(|id| graph.lifted[id.0].component.0 as u32)
            .collect()
    }

    pub(crate) fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for plan in &self.plans {
            let kind = match plan {
                AdapterPlan::Direct => {
                    c.direct += 1;
                    continue;
                }
                AdapterPlan::Async(kind) => *kind,
                AdapterPlan::Generated(g) => g.kind,
            };
            match kind {
                Kind::Fixup => c.fixup += 1,
                Kind::Copy => c.copy += 1,
                Kind::Transcode => c.transcode += 1,
            }
        }
        c
    }

    /// The index (among the flag globals) of `component`'s flag, if any.
    pub(crate) fn flag(&self, component: InnerId) -> Option<u32> {
        self.flags.get(&component).copied()
    }

    /// Number of flag globals the adapters need.
    pub(crate) fn flag_globals(&self) -> u32 {
        self.flags.len() as u32
    }

    /// Whether `component` has a `may_leave` flag.
    pub(crate) fn flagged(&self, component: InnerId) -> bool {
        self.flags.contains_key(&component)
    }
}

/// Plans every adapter of `graph`.
pub(crate) fn plan(
    decoded: &crate::decode::Decoded<'_>,
    graph: &Graph,
    types: TypesRef<'_>,
) -> Result<Adapters> {
    let mut tys = TyTable::default();
    let planned = (0..graph.adapters.len())
        .map(|i| plan_one(graph, types, &mut tys, AdapterId(i)))
        .collect::<Result<Vec<_>>>()?;
    async_calls::check(graph)?;
    let mut lifted = Vec::new();
    for (_, item, _) in &graph.exports {
        merge::exported_lifts(item, &mut lifted);
    }
    let mut handle_exports = std::collections::BTreeSet::new();
    let mut staged_exports = std::collections::BTreeSet::new();
    let mut stackful_exports = std::collections::BTreeSet::new();
    let mut copied_exports = std::collections::BTreeSet::new();
    for id in lifted {
        let shape = export_shape(graph, types, &mut tys, id)?;
        if shape
            .params
            .iter()
            .chain(&shape.result)
            .any(|t| tys.info(*t).handles)
        {
            handle_exports.insert(id);
        }
        let in_memory = match shape.spill_params {
            true => tys.info(shape.tuple).handles,
            false => shape.params.iter().any(|t| tys.handles_in_memory(*t)),
        };
        // A sync lift's result with handles through memory: meld's runtime
        // may run the component's other tasks before the host reads it.
        let result_handles = !graph.lifted[id.0].options.async_
            && shape.spill_results
            && shape.result.is_some_and(|t| tys.info(t).handles);
        let lifted = &graph.lifted[id.0];
        let async_type = types
            .get(lifted.ty)
            .ok_or_else(|| Error::internal("unknown function type"))?
            .async_;
        // An async-typed export its component lifts sync is lifted
        // stackful (`stackful_exports`): its task moves the host's values
        // itself, as an async lift's does (borrows lent for the task),
        // runs the post-return and copies the result out of the component
        // when it returns.
        let stackful = graph.follows_host() && async_type && !lifted.options.async_;
        // A task's result through memory: the host's `task.return` may
        // come only in a later turn of its call, so it reads a copy made
        // when the task returned (in meld's memory, which the lift then
        // names). A stackful task's result in the component's memory is
        // read out of it there too (whole, or as flat values whose strings
        // and lists are copied).
        let task_memory = match (lifted.options.async_, stackful) {
            (true, _) => async_calls::returns_through_memory(&tys, &shape),
            (false, true) => shape.spill_results,
            (false, false) => false,
        };
        let staged = in_memory || (result_handles && !stackful) || task_memory;
        if staged {
            staged_exports.insert(id);
        } else if !lifted.options.async_
            && !stackful
            && shape.spill_results
            && shape.result.is_some_and(|t| tys.info(t).memory)
        {
            copied_exports.insert(id);
        }
        if stackful {
            stackful_exports.insert(id);
        }
    }
    let mut handle_lowerings = std::collections::BTreeSet::new();
    let mut staged_lowerings = std::collections::BTreeSet::new();
    let mut async_staged = std::collections::BTreeSet::new();
    let mut moved_lowerings = std::collections::BTreeSet::new();
    for i in 0..graph.lowerings.len() {
        let id = crate::graph::LoweringId(i);
        let Some(shape) = lowering_shape(graph, types, &mut tys, id)? else {
            continue;
        };
        let values = shape.params.iter().chain(&shape.result);
        if values.clone().any(|t| tys.info(*t).handles) {
            handle_lowerings.insert(id);
        }
        let async_ = graph.lowerings[i].options.async_;
        // (an async lower passes more than four flat parameters in memory)
        let spilled = match async_ {
            true => tys.info(shape.tuple).flat.len() > crate::boundary::MAX_FLAT_ASYNC_PARAMS,
            false => shape.spill_params,
        };
        let in_memory = match spilled {
            true => tys.info(shape.tuple).handles,
            false => shape.params.iter().any(|t| tys.handles_in_memory(*t)),
        };
        let result_handles = shape.result.is_some_and(|t| tys.info(t).handles);
        // A result holding handles and strings or lists: wasmtime calls the
        // caller's realloc for those after it wrote handles before them.
        let result_window = shape
            .result
            .is_some_and(|t| tys.info(t).handles && tys.info(t).memory);
        // A sync call that blocks on the host is staged whatever it holds:
        // its parameters and result are laid out for a sync lower.
        if graph.blocks_on_host(id) || (async_ && (in_memory || result_handles)) {
            async_staged.insert(id);
        } else if in_memory || result_window {
            staged_lowerings.insert(id);
        } else if matches!(graph.lowerings[i].item, crate::graph::HostItem::Func(_)) {
            let moved = match spilled {
                true => tys.info(shape.tuple).memory,
                false => shape.params.iter().any(|t| tys.pointers_in_memory(*t)),
            };
            if moved {
                moved_lowerings.insert(id);
            }
        }
    }
    let staged_ends = match graph.runtime {
        Some(_) => async_calls::staged_ends(graph, types, &mut tys)?,
        None => Default::default(),
    };
    let leaving = leave::host_reallocs_leaving(decoded, graph)?;
    let throwing = barrier::throwing(decoded, graph)?;
    let mut adapters = with_flags(graph, planned, tys, leaving, throwing);
    adapters.handle_exports = handle_exports;
    adapters.staged_exports = staged_exports;
    adapters.stackful_exports = stackful_exports;
    adapters.copied_exports = copied_exports;
    adapters.handle_lowerings = handle_lowerings;
    adapters.staged_lowerings = staged_lowerings;
    adapters.moved_lowerings = moved_lowerings;
    adapters.async_staged = async_staged;
    adapters.staged_ends = staged_ends;
    Ok(adapters)
}

/// The shape of host function lowering `id` with its handles as
/// [`crate::abi::Node::Handle`]s (`None` for a resource builtin).
pub(crate) fn lowering_shape(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
    id: crate::graph::LoweringId,
) -> Result<Option<Shape>> {
    let lowering = &graph.lowerings[id.0];
    let Some(ty) = lowering.ty else {
        return Ok(None);
    };
    let lookup = scope_resources(graph, graph.host_scope);
    let resources = crate::abi::Resources {
        key: graph.host_scope.0,
        lookup: &lookup,
    };
    let (module, field) = graph.host_name(&lowering.item);
    let what = format!("`{module}#{field}`");
    let shape = tys
        .func_shape(types, ty, &what, Some(resources))
        .map_err(|e| e.in_component(graph.path(lowering.caller)))?;
    Ok(Some(shape))
}

/// How the resources of a lifted function resolve in its own component.
fn lifted_resources<'g>(
    graph: &'g Graph,
    id: crate::graph::LiftedId,
) -> impl Fn(wasmparser::component_types::ResourceId) -> Option<u32> + 'g {
    scope_resources(graph, graph.lifted[id.0].scope)
}

/// How the resource ids of `scope` resolve to the graph's resources.
pub(crate) fn scope_resources<'g>(
    graph: &'g Graph,
    scope: crate::graph::ScopeId,
) -> impl Fn(wasmparser::component_types::ResourceId) -> Option<u32> + 'g {
    let scope = &graph.scopes[scope.0];
    move |r| scope.get(&r).map(|res| res.0 as u32)
}

/// Every stream and future type (and error context) in the function
/// types of the root's imports and exports, nested ones included.
pub(crate) fn root_ends(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
) -> Result<std::collections::BTreeSet<crate::abi::EndKind>> {
    let mut shapes = Vec::new();
    for i in 0..graph.lowerings.len() {
        shapes.extend(lowering_shape(
            graph,
            types,
            tys,
            crate::graph::LoweringId(i),
        )?);
    }
    let mut lifted = Vec::new();
    for (_, item, _) in &graph.exports {
        merge::exported_lifts(item, &mut lifted);
    }
    for id in lifted {
        shapes.push(export_shape(graph, types, tys, id)?);
    }
    let mut out = std::collections::BTreeSet::new();
    for shape in shapes {
        for ty in shape.params.iter().chain(&shape.result) {
            tys.ends_in(*ty, &mut out);
        }
    }
    Ok(out)
}

/// The shape of exported lift `id` with its handles as
/// [`crate::abi::Node::Handle`]s.
fn export_shape(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
    id: crate::graph::LiftedId,
) -> Result<Shape> {
    let lifted = &graph.lifted[id.0];
    let lookup = lifted_resources(graph, id);
    let resources = crate::abi::Resources {
        key: lifted.scope.0,
        lookup: &lookup,
    };
    let path = graph.path(lifted.component);
    let shape = tys.func_shape(types, lifted.ty, path, Some(resources))?;
    Ok(shape)
}

/// The kind of each adapter (`None` for a direct call) or why it cannot be
/// fused, for `inspect`; with the flag checks [`plan`] would add.
pub(crate) fn plan_each(
    decoded: &crate::decode::Decoded<'_>,
    graph: &Graph,
    types: TypesRef<'_>,
) -> Vec<Result<Option<Kind>>> {
    let mut tys = TyTable::default();
    let results: Vec<Result<Planned>> = (0..graph.adapters.len())
        .map(|i| plan_one(graph, types, &mut tys, AdapterId(i)))
        .collect();
    let ok: Vec<Planned> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let leaving = leave::host_reallocs_leaving(decoded, graph).unwrap_or_default();
    let throwing = barrier::throwing(decoded, graph).unwrap_or_default();
    let mut planned = with_flags(graph, ok, tys, leaving, throwing)
        .plans
        .into_iter();
    results
        .into_iter()
        .map(|r| {
            r.and_then(|_| match planned.next() {
                Some(AdapterPlan::Direct) => Ok(None),
                Some(AdapterPlan::Async(kind)) => Ok(Some(kind)),
                Some(AdapterPlan::Generated(g)) => Ok(Some(g.kind)),
                None => Err(Error::internal("fewer plans than adapters")),
            })
        })
        .collect()
}

/// A plan before flags are known: the adapter it would need, and whether
/// a direct call would do.
#[derive(Debug, Clone)]
struct Planned {
    adapter: AdapterId,
    plan: GeneratedPlan,
    direct: bool,
    /// A task of meld's async runtime, not an adapter.
    async_call: bool,
}

/// Gives a `may_leave` flag to every component whose `realloc` an adapter
/// or a stream or future copy calls, and to those in `leaving` (the host
/// calls their realloc, which may call out: see `leave.rs`), and makes
/// every call out of such a component check it (so such a call is never
/// direct). No call into a component in `throwing` is direct either.
fn with_flags(
    graph: &Graph,
    planned: Vec<Planned>,
    tys: TyTable,
    leaving: std::collections::BTreeSet<InnerId>,
    throwing: std::collections::BTreeSet<InnerId>,
) -> Adapters {
    let mut flagged = leaving;
    // A stream or future read may have its elements copied in with the
    // reader's realloc (meld's own ends), during which the reader may not
    // leave, as in wasmtime.
    for builtin in &graph.async_builtins {
        if let crate::decode::AsyncOp::End {
            op: crate::decode::EndOp::Read,
            ..
        } = builtin.op
            && builtin.options.realloc.is_some()
        {
            flagged.insert(builtin.caller);
        }
    }
    for p in planned.iter().filter(|p| !p.direct && !p.plan.traps) {
        let adapter = &graph.adapters[p.adapter.0];
        if p.plan.enters_callee(&tys) {
            flagged.insert(graph.lifted[adapter.callee.0].component);
        }
        if p.plan.enters_caller(&tys) {
            flagged.insert(adapter.caller);
        }
    }
    let plans = planned
        .into_iter()
        .map(|p| {
            let adapter = &graph.adapters[p.adapter.0];
            let callee = graph.lifted[adapter.callee.0].component;
            if p.async_call {
                AdapterPlan::Async(p.plan.kind)
            } else if p.direct && !throwing.contains(&callee) && !flagged.contains(&adapter.caller)
            {
                AdapterPlan::Direct
            } else {
                AdapterPlan::Generated(Box::new(p.plan))
            }
        })
        .collect();
    let flags = flagged
        .into_iter()
        .enumerate()
        .map(|(k, id)| (id, k as u32))
        .collect();
    Adapters {
        plans,
        tys,
        throwing,
        flags,
        handle_exports: Default::default(),
        staged_exports: Default::default(),
        stackful_exports: Default::default(),
        copied_exports: Default::default(),
        handle_lowerings: Default::default(),
        staged_lowerings: Default::default(),
        moved_lowerings: Default::default(),
        async_staged: Default::default(),
        staged_ends: Default::default(),
    }
}

/// Plans one adapter.
fn plan_one(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
    id: AdapterId,
) -> Result<Planned> {
    let adapter = &graph.adapters[id.0];
    let lifted = &graph.lifted[adapter.callee.0];
    let in_caller = |e: Error| e.in_component(graph.path(adapter.caller));
    let func = types
        .get(lifted.ty)
        .ok_or_else(|| Error::internal("unknown function type"))?;
    // A task of meld's async runtime (`async_calls.rs`); a sync lower of
    // a sync lift is a plain call (on the caller's task) whatever the type.
    let async_call = adapter.options.async_ || lifted.options.async_;
    let task = (graph.runtime.is_some() && !async_call).then_some(func.async_);
    let lookup = lifted_resources(graph, adapter.callee);
    let resources = crate::abi::Resources {
        key: lifted.scope.0,
        lookup: &lookup,
    };
    let convert = |tys: &mut TyTable, what: String, ty: &ComponentValType| {
        tys.convert_with(
            types,
            ty,
            &format!("`{}`: {what}", adapter.name),
            Some(resources),
        )
        .map_err(in_caller)
    };
    let params = func
        .params
        .iter()
        .map(|(name, ty)| convert(tys, format!("parameter `{name}`"), ty))
        .collect::<Result<Vec<_>>>()?;
    let result = func
        .result
        .as_ref()
        .map(|ty| convert(tys, "the result".to_string(), ty))
        .transpose()?;
    let shape = tys.shape(params, result);
    let post_return = lifted.options.post_return.is_some();
    let all = shape.params.iter().chain(&shape.result);
    let plain = all.clone().all(|t| tys.info(*t).plain);
    let spills = shape.spill_params || shape.spill_results;
    let memory = spills || all.clone().any(|t| tys.info(*t).memory);
    let strings = all.clone().any(|t| tys.info(*t).strings);
    let callee = lifted.component;
    let traps = callee == adapter.caller
        || ancestors(graph, adapter.caller).any(|c| c == callee)
        || ancestors(graph, callee).any(|c| c == adapter.caller);
    let direct = plain && !memory && !post_return && !traps && task.is_none();
    let kind = if strings && adapter.options.encoding != lifted.options.encoding {
        Kind::Transcode
    } else if memory {
        Kind::Copy
    } else {
        Kind::Fixup
    };
    let plan = GeneratedPlan {
        shape,
        kind,
        traps,
        task,
    };
    Ok(Planned {
        adapter: id,
        plan,
        direct,
        async_call,
    })
}

/// The components that instantiated `component`, innermost first.
fn ancestors(graph: &Graph, component: InnerId) -> impl Iterator<Item = InnerId> + '_ {
    std::iter::successors(graph.components[component.0].parent, |c| {
        graph.components[c.0].parent
    })
}

/// Generates every adapter of `adapters` (in adapter order, at the indices
/// the layout reserved) and the helper functions they call (after every
/// other function of the layout).
pub(crate) fn generate(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    boundary: &crate::boundary::Boundary,
    types: TypesRef<'_>,
    simd: bool,
) -> Result<merge::Generated> {
    let runtime = resources::Runtime {
        memory: layout.tables_memory,
        components: graph.components.len() as u32,
        definers: graph
            .resources
            .iter()
            .map(|r| r.defined_by.map(|c| c.0 as u32))
            .collect(),
        dtors: graph
            .resources
            .iter()
            .enumerate()
            .map(
                |(i, r)| match graph.host_drops.get(&crate::graph::ResId(i)) {
                    Some(drop) => layout.lowering_import(*drop).map(Some),
                    None => r
                        .dtor
                        .as_ref()
                        .map(|d| layout.resolve(graph, adapters, d, Space::Func))
                        .transpose(),
                },
            )
            .collect::<Result<_>>()?,
        outer: (0..graph.resources.len())
            .map(|r| {
                use crate::decode::ResourceOp as Op;
                let import = |op| {
                    boundary
                        .resource_imports
                        .get(&(crate::graph::ResId(r), op))
                        .map(|i| *i as u32)
                };
                Some([import(Op::New)?, import(Op::Rep)?, import(Op::Drop)?])
            })
            .collect(),
        ends: async_calls::end_fns(graph, adapters, layout)?,
        natives: Vec::new(),
    };
    let mut codegen = Codegen::new(adapters.tys.clone(), layout.func_count(), runtime);
    codegen.simd = simd;
    let root = root_ends(graph, types, &mut codegen.tys)?;
    codegen.runtime.natives = async_calls::native_families(graph, types, &mut codegen.tys, &root);
    let first_flag = layout.global_count();
    let flag = |component: InnerId| adapters.flags.get(&component).map(|k| first_flag + k);
    let side = |options: &crate::graph::Options, component: InnerId| -> Result<Side> {
        options_side(graph, adapters, layout, &flag, options, component)
    };
    let mut out = Vec::new();
    for (i, plan) in adapters.plans.iter().enumerate() {
        let AdapterPlan::Generated(plan) = plan else {
            continue;
        };
        let adapter = &graph.adapters[i];
        let lifted = &graph.lifted[adapter.callee.0];
        let ends = Ends {
            caller: side(&adapter.options, adapter.caller)?,
            callee: side(&lifted.options, lifted.component)?,
            func: layout.resolve(graph, adapters, &lifted.func, Space::Func)?,
            post_return: lifted
                .options
                .post_return
                .as_ref()
                .map(|p| layout.resolve(graph, adapters, p, Space::Func))
                .transpose()?,
            task: plan
                .task
                .map(|callee_async| async_calls::sync_call(graph, adapters, layout, callee_async))
                .transpose()?,
        };
        let body = codegen
            .adapter(plan, ends)
            .map_err(|e| e.in_component(graph.path(adapter.caller)))?;
        out.push(GeneratedFunc {
            name: name(graph, AdapterId(i)),
            ty: plan.shape.lowered.func_type(),
            body,
            covered: Vec::new(),
        });
    }
    // Functions at the host boundary: may_leave checks, and the pointers
    // of regions of a shared memory not at base 0.
    for wrapper in layout.wrappers() {
        out.push(host_function(
            graph,
            adapters,
            layout,
            boundary,
            types,
            &mut codegen,
            &flag,
            *wrapper,
        )?);
    }
    for builtin in &graph.builtins {
        let resource = builtin.resource.0 as u32;
        let body = codegen.builtin(
            builtin.op,
            resource,
            builtin.caller.0 as u32,
            flag(builtin.caller),
        )?;
        let i32 = wasmparser::ValType::I32;
        let ty = match builtin.op {
            crate::decode::ResourceOp::Drop => FuncType::new([i32], []),
            _ => FuncType::new([i32], [i32]),
        };
        out.push(GeneratedFunc {
            name: format!(
                "{} {} in {}",
                builtin.op.name(),
                graph.resources[builtin.resource.0].name,
                graph.path(builtin.caller)
            ),
            ty,
            body,
            covered: Vec::new(),
        });
    }
    let host_returns = boundary
        .task_returns
        .iter()
        .map(|(id, import)| (*id, *import as u32))
        .collect();
    let host_async = boundary
        .host_async
        .iter()
        .map(|(op, import)| (*op, *import as u32))
        .collect();
    let host_builtins = boundary
        .builtins
        .iter()
        .map(|(id, import)| (*id, *import as u32))
        .collect();
    let ctx = async_calls::Ctx {
        graph,
        adapters,
        layout,
        types,
        host_returns: &host_returns,
        host_async: &host_async,
        host_builtins: &host_builtins,
        host_context: boundary
            .host_context
            .map(|(get, set)| (get as u32, set as u32)),
        side: &side,
    };
    out.extend(async_calls::generate(&ctx, &mut codegen)?);
    codegen.finish_helpers()?;
    if !adapters.throwing.is_empty() {
        barrier::apply(
            &mut out,
            &mut codegen.helpers,
            layout.func_count(),
            &guest_funcs(graph, layout, &adapters.throwing)?,
        )?;
    }
    Ok(merge::Generated {
        adapters: out,
        helpers: codegen.helpers,
        flags: adapters.flag_globals(),
    })
}

/// Every function of an inner module of a component in `throwing`, by
/// fused index, with its type.
fn guest_funcs(
    graph: &Graph,
    layout: &Layout<'_>,
    throwing: &std::collections::BTreeSet<InnerId>,
) -> Result<barrier::Guests> {
    let mut ranges = Vec::new();
    for (i, instance) in graph.guest_instances() {
        if !throwing.contains(&instance.component) {
            continue;
        }
        let module = layout.module(graph, i)?;
        let types = module
            .funcs
            .iter()
            .map(|t| {
                module
                    .types
                    .get(*t as usize)
                    .cloned()
                    .flatten()
                    .ok_or_else(|| Error::internal("a function whose type is not a function type"))
            })
            .collect::<Result<Vec<_>>>()?;
        ranges.push((layout.instance_funcs(graph, i)?.start, types));
    }
    Ok(barrier::Guests::new(ranges))
}

/// The function of one host-boundary wrapper.
#[expect(
    clippy::too_many_arguments,
    reason = "the stages' results it reads, and its own"
)]
fn host_function(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    boundary: &crate::boundary::Boundary,
    types: TypesRef<'_>,
    codegen: &mut Codegen,
    flag: &dyn Fn(InnerId) -> Option<u32>,
    wrapper: merge::Wrapper,
) -> Result<GeneratedFunc> {
    let region = |options: &crate::graph::Options| -> Result<Option<host::Region>> {
        let Some(memory) = layout.rebased(graph, adapters, options)? else {
            return Ok(None);
        };
        let plan = layout
            .shared
            .as_ref()
            .ok_or_else(|| Error::internal("a rebased memory without a shared memory"))?;
        Ok(Some(host::Region {
            memory,
            base: plan.base(memory)?,
            checked: plan.checked(memory)?.then_some(options.encoding),
        }))
    };
    let export_name = |id: crate::graph::LiftedId| {
        boundary
            .lifts
            .get(&id)
            .map(|l| l.func.clone())
            .ok_or_else(|| Error::internal("a wrapped export that is not exported"))
    };
    let lifted_shape = |codegen: &mut Codegen, id: crate::graph::LiftedId| {
        let lifted = &graph.lifted[id.0];
        codegen
            .tys
            .host_shape(types, lifted.ty, graph.path(lifted.component))
            .map(|s| (s, lifted))
    };
    Ok(match wrapper {
        merge::Wrapper::Lowering(id) if layout.staged_lowerings.contains(&id) => {
            let lowering = &graph.lowerings[id.0];
            let import = &boundary.imports[boundary.lowering_import[id.0]];
            let shape = lowering_shape(graph, types, &mut codegen.tys, id)?
                .ok_or_else(|| Error::internal("a staged builtin"))?;
            let caller = options_side(
                graph,
                adapters,
                layout,
                flag,
                &lowering.options,
                lowering.caller,
            )?;
            let staged = staged::Staged {
                shape,
                caller,
                import: layout.lowering_import(id)?,
                tables: tables_memory(layout)?,
                base: tables_base(layout)?,
            };
            GeneratedFunc {
                name: format!("host {}#{} (staged)", import.module, import.field),
                ty: staged.shape.lowered.func_type(),
                body: codegen
                    .staged_wrapper(&staged)
                    .map_err(|e| e.in_component(graph.path(lowering.caller)))?,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::Scratch => GeneratedFunc {
            name: "meld scratch realloc for the host".to_string(),
            ty: FuncType::new([wasmparser::ValType::I32; 4], [wasmparser::ValType::I32]),
            body: codegen.scratch_realloc(tables_base(layout)?),
            covered: Vec::new(),
        },
        merge::Wrapper::Stage => GeneratedFunc {
            name: "meld stage realloc for the host".to_string(),
            ty: FuncType::new([wasmparser::ValType::I32; 4], [wasmparser::ValType::I32]),
            body: codegen.stage_realloc(tables_memory(layout)?, tables_base(layout)?),
            covered: Vec::new(),
        },
        merge::Wrapper::Lowering(id) => {
            let lowering = &graph.lowerings[id.0];
            let import = &boundary.imports[boundary.lowering_import[id.0]];
            let params: Vec<Flat> = import
                .ty
                .params()
                .iter()
                .map(Flat::of)
                .collect::<Result<_>>()?;
            let rebased = match (region(&lowering.options)?, lowering.ty) {
                (Some(r), Some(ty)) => Some((codegen.tys.host_shape(types, ty, &import.field)?, r)),
                _ => None,
            };
            let handles = match adapters.handle_lowerings.contains(&id) {
                true => {
                    let shape = lowering_shape(graph, types, &mut codegen.tys, id)?
                        .ok_or_else(|| Error::internal("handles in a builtin"))?;
                    let memory = lowering
                        .options
                        .memory
                        .as_ref()
                        .map(|m| layout.resolve(graph, adapters, m, Space::Memory))
                        .transpose()?;
                    let table = lowering.caller.0 as u32;
                    Some((shape, host::Handles { memory, table }))
                }
                false => None,
            };
            GeneratedFunc {
                name: format!("host {}#{}", import.module, import.field),
                ty: import.ty.clone(),
                body: codegen.lowering_wrapper(
                    &params,
                    layout.lowering_import(id)?,
                    flag(lowering.caller),
                    rebased,
                    handles,
                )?,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::Export(id) => {
            let (shape, lifted) = lifted_shape(codegen, id)?;
            let region = region(&lifted.options)?
                .ok_or_else(|| Error::internal("an export wrapper without a region"))?;
            let func = match layout.wrapper(merge::Wrapper::Handles(id)) {
                Some(handles) => layout.index(handles)?,
                None => layout.resolve(graph, adapters, &lifted.func, Space::Func)?,
            };
            let copied = adapters.copied_exports.contains(&id)
                && layout.copied(graph, adapters, &lifted.options)?;
            let copy = match copied {
                true => Some((
                    lifted_side(graph, adapters, layout, flag, id)?,
                    stage(layout)?,
                )),
                false => None,
            };
            let body = codegen
                .export_wrapper(&shape, func, region, copy)
                .map_err(|e| e.in_component(graph.path(lifted.component)))?;
            GeneratedFunc {
                name: format!("export {}", export_name(id)?),
                ty: shape.lifted.func_type(),
                body,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::PostReturn(id) => {
            let (shape, lifted) = lifted_shape(codegen, id)?;
            let region = region(&lifted.options)?
                .ok_or_else(|| Error::internal("a post-return wrapper without a region"))?;
            let post = lifted
                .options
                .post_return
                .as_ref()
                .map(|post| layout.resolve(graph, adapters, post, Space::Func))
                .transpose()?;
            let copied = adapters.copied_exports.contains(&id)
                && layout.copied(graph, adapters, &lifted.options)?;
            let copy = match copied {
                true => Some(stage(layout)?),
                false => None,
            };
            let body = codegen.post_return_wrapper(&shape, post, region, copy)?;
            GeneratedFunc {
                name: format!("post-return {}", export_name(id)?),
                ty: FuncType::new(shape.lifted.results.iter().map(|t| t.core()), []),
                body,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::Handles(id) if adapters.staged_exports.contains(&id) => {
            let staged = staged_export(graph, adapters, layout, types, codegen, flag, id)?;
            GeneratedFunc {
                name: format!("export handles {} (staged)", export_name(id)?),
                ty: staged.shape.lifted.func_type(),
                body: codegen
                    .staged_export(&staged)
                    .map_err(|e| e.in_component(graph.path(graph.lifted[id.0].component)))?,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::StagedPost(id) => {
            let staged = staged_export(graph, adapters, layout, types, codegen, flag, id)?;
            let post = graph.lifted[id.0]
                .options
                .post_return
                .as_ref()
                .map(|post| layout.resolve(graph, adapters, post, Space::Func))
                .transpose()?;
            GeneratedFunc {
                name: format!("post-return {} (staged)", export_name(id)?),
                ty: FuncType::new(staged.shape.lifted.results.iter().map(|t| t.core()), []),
                body: codegen.staged_post(&staged, post)?,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::Handles(id) => {
            let lifted = &graph.lifted[id.0];
            let shape = export_shape(graph, types, &mut codegen.tys, id)?;
            let func = layout.resolve(graph, adapters, &lifted.func, Space::Func)?;
            let memory = lifted
                .options
                .memory
                .as_ref()
                .map(|m| layout.resolve(graph, adapters, m, Space::Memory))
                .transpose()?;
            let table = lifted.component.0 as u32;
            GeneratedFunc {
                name: format!("export handles {}", export_name(id)?),
                ty: shape.lifted.func_type(),
                body: codegen.handles_wrapper(&shape, func, memory, table)?,
                covered: Vec::new(),
            }
        }
        merge::Wrapper::Dtor(resource) => GeneratedFunc {
            name: format!("dtor {}", graph.resources[resource.0].name),
            ty: FuncType::new([wasmparser::ValType::I32], []),
            body: codegen.exported_dtor(resource.0 as u32)?,
            covered: Vec::new(),
        },
        merge::Wrapper::Realloc {
            realloc,
            memory,
            flag,
        } => {
            let region = match memory {
                Some(memory) => {
                    let plan = layout.shared.as_ref().ok_or_else(|| {
                        Error::internal("a rebasing realloc wrapper without a shared memory")
                    })?;
                    Some((memory, plan.base(memory)?, plan.checked(memory)?))
                }
                None => None,
            };
            GeneratedFunc {
                name: match memory {
                    Some(memory) => format!("realloc for the host mem{memory}"),
                    None => "realloc for the host (may not leave)".to_string(),
                },
                ty: FuncType::new([wasmparser::ValType::I32; 4], [wasmparser::ValType::I32]),
                body: host::realloc_wrapper(
                    layout.index(realloc)?,
                    region,
                    flag.map(|k| layout.global_count() + k),
                ),
                covered: Vec::new(),
            }
        }
    })
}

/// meld's memory.
pub(crate) fn tables_memory(layout: &Layout<'_>) -> Result<u32> {
    layout
        .tables_memory
        .ok_or_else(|| Error::internal("meld's memory is missing"))
}

/// The side of a call whose canonical options are `options`, in
/// `component`.
fn options_side(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    flag: &dyn Fn(InnerId) -> Option<u32>,
    options: &crate::graph::Options,
    component: InnerId,
) -> Result<Side> {
    let resolve = |def: &Option<crate::graph::CoreDef>, space| {
        def.as_ref()
            .map(|d| layout.resolve(graph, adapters, d, space))
            .transpose()
    };
    Ok(Side {
        memory: resolve(&options.memory, Space::Memory)?,
        realloc: resolve(&options.realloc, Space::Func)?,
        encoding: options.encoding,
        may_leave: flag(component),
        table: component.0 as u32,
        frees: false,
    })
}

/// What the wrappers of staged sync export `id` need.
fn staged_export(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    types: TypesRef<'_>,
    codegen: &mut Codegen,
    flag: &dyn Fn(InnerId) -> Option<u32>,
    id: crate::graph::LiftedId,
) -> Result<staged::StagedExport> {
    Ok(staged::StagedExport {
        shape: export_shape(graph, types, &mut codegen.tys, id)?,
        callee: lifted_side(graph, adapters, layout, flag, id)?,
        func: layout.resolve(graph, adapters, &graph.lifted[id.0].func, Space::Func)?,
        stage: stage(layout)?,
    })
}

/// The component's side of lifted export `id`.
fn lifted_side(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    flag: &dyn Fn(InnerId) -> Option<u32>,
    id: crate::graph::LiftedId,
) -> Result<Side> {
    let lifted = &graph.lifted[id.0];
    options_side(
        graph,
        adapters,
        layout,
        flag,
        &lifted.options,
        lifted.component,
    )
}

/// meld's stage heap, its blocks freed once read.
fn stage(layout: &Layout<'_>) -> Result<staged::Stage> {
    Ok(staged::Stage {
        tables: tables_memory(layout)?,
        base: tables_base(layout)?,
        frees: true,
    })
}

/// Where the host sees meld's memory: its region's base with a shared
/// memory, else 0.
pub(crate) fn tables_base(layout: &Layout<'_>) -> Result<u32> {
    match &layout.shared {
        Some(plan) => plan.base(tables_memory(layout)?),
        None => Ok(0),
    }
}

/// Names a generated adapter, e.g. `adapt my:pkg/api#add`.
pub(crate) fn name(graph: &Graph, id: AdapterId) -> String {
    format!("adapt {}", graph.adapters[id.0].name)
}
