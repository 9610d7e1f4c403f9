//! The generated half of meld's async runtime: what the fused module runs
//! for the async ABI, per call site and per built-in, over the runtime's
//! modules (`runtime/`, attached to the graph by `runtime::attach`).
//!
//! For each async call between inner components (an async-lowered import
//! of a callback-lifted export) three functions, as `runtime/raw.rs` writes
//! them by hand:
//!
//! - the **call** (what the caller imports): `begin` a task for the callee,
//!   store the raw arguments and the return area in the task, `await_call`,
//!   `suspend` (the caller's stack unwinds until the callee first
//!   suspends), and return `call_result`;
//! - the **entry** (in the scheduler's `entries`), run by the scheduler for
//!   the task: `enter`; on start the arguments go into the callee,
//!   `started`, and the callee's core function runs; later the callback
//!   gets the event; its code goes to `callback_code`;
//! - the **return half** (in `entries` too), which the callee's
//!   `task.return` calls through the task: the results into the caller's
//!   return area, then `returned`.
//!
//! A root export becomes a task the host's call begins and runs to its end
//! (the **host entry**), with an entry as above and, for an async-lifted
//! export, a return half that hands the results to the host's
//! `task.return`. Every async built-in gets its shim (`runtime/shims.rs`;
//! `task.return` calls the running task's return half), and the runtime's
//! `tables` imports are generated over meld's handle tables.
//!
//! What is fused so far: async-lowered calls of callback-lifted exports
//! whose parameters and result are numbers, callback-lifted and
//! sync-lifted root exports, and the built-ins of tasks, subtasks,
//! waitable sets, context slots, backpressure and yielding. The rest is a
//! typed `unsupported` error (see `docs/async-design.md`).

use super::adapter::check_block;
use super::body::{Body, Local, memarg};
use super::codegen::{Codegen, Dir, Side};
use super::host::Region;
use super::rebase::Way;
use super::resources::RtFn;
use super::translate::{Dst, Place, Slot, Src};
use super::{AdapterPlan, Adapters};
use crate::abi::{Flat, MAX_FLAT_PARAMS, Node, Shape, TyId, TyTable};
use crate::boundary::MAX_FLAT_ASYNC_PARAMS;
use crate::decode::AsyncOp;
use crate::error::{Error, Result};
use crate::graph::{
    AdapterId, AsyncBuiltinId, CoreDef, CoreInstanceId, Graph, HostAsyncOp, InnerId, LiftedId,
    LoweringId, Options, RuntimeFunc, RuntimeInstances,
};
use crate::merge::{GeneratedFunc, Layout, Space};
use crate::runtime::shims::{self, RuntimeFuncs};
use std::collections::BTreeMap;
use wasm_encoder::{BlockType, Instruction as I};
use wasmparser::FuncType;
use wasmparser::types::TypesRef;

/// Where a task's call comes from: an async call between inner
/// components, or the host's call of a root export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Site {
    Adapter(AdapterId),
    Export(LiftedId),
}

/// A function of the async runtime that meld generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AsyncFunc {
    /// The core function an inner component imports for a built-in.
    Shim(AsyncBuiltinId),
    /// A `tables` import of the runtime's modules.
    Table(RuntimeFunc),
    /// The caller's side of an async call (the adapter).
    Call(AdapterId),
    /// A task's entry point, in the scheduler's `entries`.
    Entry(Site),
    /// What `task.return` calls for the task of a site, in `entries`.
    Return(Site),
    /// The fused module's export for a root export: a task the host's call
    /// runs to its end.
    HostEntry(LiftedId),
    /// The callback of root exports the wrapper lifts async: the host
    /// calls it after the host entry or an earlier call returned YIELD;
    /// it runs the next turn of the call's task (found in the host's
    /// context slot 0).
    HostCallback,
    /// One turn of an async root export's task (shared by its host entry
    /// and the callback): the runtime's round of work, then EXIT if the
    /// task returned, else YIELD (or a trap when nothing ran since the
    /// call's last turn: a deadlock), or WAIT on the host's subtasks.
    HostTurn,
    /// What an inner component imports for a root import it lowers with
    /// `async`: the host's call, and a subtask of the caller's that follows
    /// the host's subtask.
    HostCall(LoweringId),
    /// Hands one event of the fused component's waitable set (a host
    /// subtask's new status) to the inner subtask that follows it.
    HostEvent,
    /// Takes every event pending in that set ([`AsyncFunc::HostEvent`]).
    HostPoll,
    /// With one memory, moves the pointers of the result an async host
    /// call wrote (at the return pointer it takes) to region addresses
    /// (nothing otherwise).
    HostResult(LoweringId),
    /// `(hh, status)`: host subtask `hh` resolved with `status` (its
    /// event, or a `subtask.cancel` the host answered at once): a result
    /// that came moves into place ([`AsyncFunc::HostResult`]); the block of
    /// a staged one that did not is freed.
    HostFix,
    /// `(block, code)`: staged stream or future built-in `id`'s copy with
    /// the host ended with `code`; `block` in meld's memory holds the
    /// copy's record (`EndFix`'s number, the component's buffer, the
    /// count) and its elements. A read's elements the host wrote come
    /// into the reader's buffer; a write's handles the host took leave
    /// the writer's table, the others are given back to it.
    EndSettle(AsyncBuiltinId),
    /// `(block, code)`: the `EndSettle` that `block`'s record names.
    EndFix,
    /// `(task)`: root task `task`'s result, left in its slots by its
    /// return half, to the host's `task.return`, in its call's turn.
    HostDeliver,
    /// Rings root task `task`'s bell: its callback runs a turn.
    HostRing,
    /// After a turn of root task `task` (`exiting`: it ended): rings the
    /// bells of the waiting root tasks that returned (their results go to
    /// the host in their own turns), and, when `task` ended with work or
    /// host subtasks left, one more so that a turn comes.
    HostRings,
    /// A turn of root task `task` with nothing left to run: its callback
    /// code, WAIT on the host's set (the watcher's) or on its own bell.
    HostPark,
    /// Root task `task` ended: its bell and set go to the pool, and it is
    /// no longer the watcher.
    HostRetire,
    /// `(from, handle, tag, family) -> the fused component's end`: a
    /// readable end of a bridged family ([`NativeFamily::bridged`]) leaves
    /// for the host. One of meld's own becomes a new stream or future of
    /// the fused component's, whose writable end its writer keeps (a
    /// pending write is made again there).
    BridgeOut,
    /// `(from, handle, tag, family) -> the end the host gets`: a readable
    /// end of a bridged family is lent to a staged write to the host. One
    /// of meld's own stands behind a new stream or future of the fused
    /// component's (or a spare one), whose writable end its writer is
    /// until the write is settled ([`AsyncFunc::BridgeSettle`]); 0 when it
    /// cannot leave.
    BridgeLend,
    /// `(inst, handle, tag, family, taken)`: the staged write that lent
    /// readable end `handle` of `inst` is settled; a lent end of meld's
    /// own the host did not take is meld's own again, its writer's
    /// pending write taken back from the fused component's stream.
    BridgeSettle,
}

/// The task kinds `tasks.wat`'s `begin` takes.
const ASYNC_TYPE: u32 = 16;
const CALLBACK: u32 = 32;
const STACKFUL: u32 = 64;
/// The raw argument slots of a task (`tasks.wat`'s `argument`), and the
/// slot of its return half.
const ARG_SLOTS: usize = 16;
const RETURN_SLOT: u32 = 16;
/// The slot of a 17th raw argument: a sync lower's return pointer after
/// sixteen flat parameters.
const LAST_ARG_SLOT: u32 = 25;
/// Words of a root task (`tasks.wat`): set while it waits for its host
/// call's turn to return; the `ran` count at its last turn (0 before the
/// first).
const WAITING_TURN_SLOT: u32 = 17;
const LAST_RAN_SLOT: u32 = 18;
/// The word of a task that was given borrowed handles: its scope
/// (`resources.rs`'s `TaskEnter`) + 1, 0 once ended.
const SCOPE_SLOT: u32 = 19;
/// A root task's bell (`tasks.wat`): its readable and writable ends, its
/// own waitable set, and how it waits (0: it does not, 1 on its set, 2 on
/// the host's).
const BELL_R: u32 = 21;
const BELL_W: u32 = 22;
const BELL_SET: u32 = 23;
const BELL_WAITS: u32 = 24;
/// A root task's count of the stream and future reads made in its host
/// call's turns that are still pending at the host: wasmtime lowers what
/// the host writes into such a read with the read's thread current (the
/// call's), and fails once that thread is gone, so the task does not exit
/// before they end. (A write's values are lifted without a thread.)
const HOLD_SLOT: u32 = 26;
/// Set once a callback-lifted root task had its first turn, alone.
const ALONE_SLOT: u32 = 27;
/// The return-half word of a stackful root export's task
/// (`Adapters::stackful_exports`): this bit and the export's number.
const STACKFUL_ROOT: u32 = 1 << 31;
/// Set in the same word once its result went to the host (a task that a
/// read pending at the host holds turns on after that).
const STACKFUL_DELIVERED: u32 = 1 << 30;
/// The event codes of a stream's and a future's read.
const EVENT_STREAM_READ: u32 = 2;
const EVENT_FUTURE_READ: u32 = 4;
/// The event codes of a stream's and a future's write.
const EVENT_STREAM_WRITE: u32 = 3;
const EVENT_FUTURE_WRITE: u32 = 5;
/// Callback codes.
const EXIT: u32 = 0;
const YIELD: u32 = 1;
const WAIT: u32 = 2;
/// The event code of a subtask's new status.
const EVENT_SUBTASK: u32 = 1;
/// Where in the runtime's `tasks` memory the host writes an event of its
/// waitable set (two words; `tasks.wat` keeps them free).
const HOST_EVENT_AT: u32 = 16;
/// Subtask statuses of the Canonical ABI.
const STATUS_RETURNED: u32 = 2;
const STATUS_START_CANCELLED: u32 = 3;
const STATUS_RETURN_CANCELLED: u32 = 4;
/// The bytes before a staged copy's elements in its block: the number of
/// its `EndSettle`, the component's buffer, the count.
const STAGE_HEADER: u32 = 16;
/// A stream or future copy's code: CANCELLED, nothing copied.
const COPY_CANCELLED: u32 = 2;

/// The generated functions of the async runtime, in the order the layout
/// places them (none without the runtime).
pub(crate) fn funcs(
    graph: &Graph,
    adapters: &Adapters,
    types: TypesRef<'_>,
    staged_ends: &std::collections::BTreeSet<AsyncBuiltinId>,
) -> Result<Vec<AsyncFunc>> {
    if graph.runtime.is_none() {
        return Ok(Vec::new());
    }
    let mut out: Vec<AsyncFunc> = (0..graph.async_builtins.len())
        .map(|i| AsyncFunc::Shim(AsyncBuiltinId(i)))
        .collect();
    out.extend(RuntimeFunc::ALL.map(AsyncFunc::Table));
    for (i, plan) in adapters.plans.iter().enumerate() {
        if let AdapterPlan::Async(_) = plan {
            let site = Site::Adapter(AdapterId(i));
            out.extend([
                AsyncFunc::Call(AdapterId(i)),
                AsyncFunc::Entry(site),
                AsyncFunc::Return(site),
            ]);
        }
    }
    let mut exported = Vec::new();
    for (_, item, _) in &graph.exports {
        crate::merge::exported_lifts(item, &mut exported);
    }
    let mut seen = std::collections::BTreeSet::new();
    for id in exported {
        if seen.insert(id) {
            out.extend([AsyncFunc::HostEntry(id), AsyncFunc::Entry(Site::Export(id))]);
            if graph.lifted[id.0].options.async_ {
                out.push(AsyncFunc::Return(Site::Export(id)));
            }
        }
    }
    if !adapters.stackful_exports.is_empty()
        || out
            .iter()
            .any(|f| matches!(f, AsyncFunc::Return(Site::Export(_))))
    {
        out.extend([
            AsyncFunc::HostCallback,
            AsyncFunc::HostTurn,
            AsyncFunc::HostDeliver,
        ]);
    }
    // (a sync call that blocks on the host takes its result itself)
    let host_calls: Vec<AsyncFunc> = (0..graph.lowerings.len())
        .map(LoweringId)
        .filter(|&id| graph.lowers_async(id))
        .flat_map(|id| {
            let result = (!graph.blocks_on_host(id)).then_some(AsyncFunc::HostResult(id));
            [Some(AsyncFunc::HostCall(id)), result]
                .into_iter()
                .flatten()
        })
        .collect();
    if graph.follows_host() {
        out.extend(host_calls);
        out.extend([
            AsyncFunc::HostEvent,
            AsyncFunc::HostFix,
            AsyncFunc::HostPoll,
            AsyncFunc::HostRing,
            AsyncFunc::HostRings,
            AsyncFunc::HostPark,
            AsyncFunc::HostRetire,
        ]);
        if any_bridged(graph, types)? {
            out.extend([
                AsyncFunc::BridgeOut,
                AsyncFunc::BridgeLend,
                AsyncFunc::BridgeSettle,
            ]);
        }
        if !staged_ends.is_empty() {
            out.extend(staged_ends.iter().map(|id| AsyncFunc::EndSettle(*id)));
            out.push(AsyncFunc::EndFix);
        }
    }
    Ok(out)
}

/// The functions of `funcs` that go into the scheduler's `entries`, in
/// table order from index 1 (0 stands for "none").
pub(crate) fn entries(funcs: &[AsyncFunc]) -> impl Iterator<Item = (usize, AsyncFunc)> + '_ {
    funcs
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, AsyncFunc::Entry(_) | AsyncFunc::Return(_)))
        .map(|(i, f)| (i, *f))
}

/// The size of the scheduler's `entries` table that holds `funcs`'
/// entries (from index 1).
pub(crate) fn entries_needed(funcs: &[AsyncFunc]) -> u64 {
    entries(funcs).count() as u64 + 1
}

/// The table index of `f` in `entries`.
fn entry_index(funcs: &[AsyncFunc], f: AsyncFunc) -> Result<u32> {
    entries(funcs)
        .position(|(_, g)| g == f)
        .map(|k| k as u32 + 1)
        .ok_or_else(|| Error::internal("an entry that is not in `entries`"))
}

/// Refuses what the generated runtime does not do yet.
pub(crate) fn check(graph: &Graph) -> Result<()> {
    if graph.runtime.is_none() {
        return Ok(());
    }
    if let Some(l) = graph
        .lowerings
        .iter()
        .find(|l| l.options.async_ && !matches!(l.item, crate::graph::HostItem::Func(_)))
    {
        let (module, field) = graph.host_name(&l.item);
        return Err(Error::unsupported(format!(
            "`{module}#{field}` is lowered with the async ABI but is no function"
        ))
        .in_component(graph.path(l.caller)));
    }
    Ok(())
}

/// The fused index of export `name` (in `space`) of a runtime instance.
fn export(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    instance: CoreInstanceId,
    name: &str,
    space: Space,
) -> Result<u32> {
    layout.resolve(
        graph,
        adapters,
        &CoreDef::Export(instance, name.to_string()),
        space,
    )
}

/// The async runtime's functions that move ends and pass error contexts,
/// for the adapters and host wrappers (`None` without the runtime).
pub(crate) fn end_fns(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
) -> Result<Option<super::resources::EndFns>> {
    let Some(rt) = graph.runtime else {
        return Ok(None);
    };
    let f = |name: &str| export(graph, adapters, layout, rt.waitables, name, Space::Func);
    let bridged = |f: AsyncFunc| match layout.async_funcs().contains(&f) {
        true => layout.async_index(f).map(Some),
        false => Ok(None),
    };
    Ok(Some(super::resources::EndFns {
        end_new: f("end_new")?,
        end_move: f("end_move")?,
        end_out: f("end_out")?,
        end_lend: f("end_lend")?,
        end_settle: f("end_settle")?,
        context_new: f("context_new")?,
        context_host: f("context_host")?,
        context_copy: f("context_copy")?,
        bridge_out: bridged(AsyncFunc::BridgeOut)?,
        bridge_lend: bridged(AsyncFunc::BridgeLend)?,
        bridge_settle: bridged(AsyncFunc::BridgeSettle)?,
    }))
}

/// A stream or future type meld carries itself (the runtime's `native_*`
/// functions and the generated copy, [`RuntimeFunc::Copy`]): one whose
/// elements hold no borrowed handles and that reaches no root import or
/// export (the host's ends stay the fused component's own), or that does
/// but whose elements are not numbers (`bridged`; their handles, if any,
/// move between tables as a call's do, and are staged with the host).
/// Both ends are then inner components', and meld must carry it: wasmtime
/// would not copy a payload that is not a number within the one fused
/// instance; and numbers move by one `memory.copy` without a call of the
/// host.
#[derive(Debug, Clone)]
pub(crate) struct NativeFamily {
    pub(crate) kind: crate::abi::EndKind,
    /// Its type reaches the host too: an end is meld's own when an inner
    /// component made the stream, the fused component's when the host
    /// did; the built-ins act on either, and a readable end of meld's own
    /// that leaves for the host becomes the fused component's
    /// ([`AsyncFunc::BridgeOut`]).
    pub(crate) bridged: bool,
    /// The element's bytes and alignment.
    pub(crate) size: u32,
    pub(crate) align: u32,
    /// Its read and write built-ins: an operation's *side* is its
    /// built-in's position here.
    pub(crate) sides: Vec<AsyncBuiltinId>,
}

/// The stream or future type of `builtin` (an end built-in), when meld
/// can carry it itself: its elements hold no borrowed handles.
fn native_kind(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
    builtin: &crate::graph::AsyncBuiltin,
) -> Option<crate::abi::EndKind> {
    use crate::abi::EndKind;
    use wasmparser::component_types::{ComponentDefinedType as D, ComponentValType as V};
    let (AsyncOp::End { future, .. }, Some(V::Type(id))) = (&builtin.op, builtin.result) else {
        return None;
    };
    let ty = match types.get(id)? {
        D::Stream { ty, .. } | D::Future { ty, .. } => *ty,
        _ => return None,
    };
    let numeric = crate::abi::numeric_payload(types, ty.as_ref());
    let scope = builtin.scope?;
    let lookup = super::scope_resources(graph, scope);
    let resources = crate::abi::Resources {
        key: scope.0,
        lookup: &lookup,
    };
    let payload = match ty {
        Some(ty) => Some(
            tys.convert_with(types, &ty, "a stream payload", Some(resources))
                .ok()?,
        ),
        None => None,
    };
    // borrowed handles cannot be elements (wasmparser may not say so)
    if payload.is_some_and(|p| tys.info(p).borrows) {
        return None;
    }
    Some(match future {
        true => EndKind::Future { numeric, payload },
        false => EndKind::Stream { numeric, payload },
    })
}

/// Whether meld carries stream or future type `kind` itself (see
/// [`NativeFamily`]), and if so whether it is bridged; `root`: the types
/// that reach the host.
fn carried(
    kind: crate::abi::EndKind,
    root: &std::collections::BTreeSet<crate::abi::EndKind>,
) -> Option<bool> {
    use crate::abi::EndKind;
    if !root.contains(&kind) {
        return Some(false);
    }
    match kind {
        // (a payload with borrowed handles has no `EndKind`: `native_kind`)
        EndKind::Stream { numeric, .. } | EndKind::Future { numeric, .. } => {
            (!numeric).then_some(true)
        }
        EndKind::ErrorContext => None,
    }
}

/// The stream and future types meld carries itself (see
/// [`NativeFamily`]); `root`: the types that reach the host.
pub(crate) fn native_families(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
    root: &std::collections::BTreeSet<crate::abi::EndKind>,
) -> Vec<NativeFamily> {
    use crate::decode::EndOp;
    let mut out: Vec<NativeFamily> = Vec::new();
    for (i, builtin) in graph.async_builtins.iter().enumerate() {
        let Some(kind) = native_kind(graph, types, tys, builtin) else {
            continue;
        };
        let Some(bridged) = carried(kind, root) else {
            continue;
        };
        let at = match out.iter().position(|f| f.kind == kind) {
            Some(at) => at,
            None => {
                let payload = match kind {
                    crate::abi::EndKind::Stream { payload, .. }
                    | crate::abi::EndKind::Future { payload, .. } => payload,
                    crate::abi::EndKind::ErrorContext => None,
                };
                let (size, align) = payload.map_or((0, 1), |p| {
                    let info = tys.info(p);
                    (info.size, info.align)
                });
                out.push(NativeFamily {
                    kind,
                    bridged,
                    size,
                    align,
                    sides: Vec::new(),
                });
                out.len() - 1
            }
        };
        if let AsyncOp::End {
            op: EndOp::Read | EndOp::Write,
            ..
        } = builtin.op
        {
            out[at].sides.push(AsyncBuiltinId(i));
        }
    }
    out
}

/// The stream and future built-ins whose type meld carries itself alone
/// (see [`NativeFamily`]; not bridged): they need no built-in of the
/// wrapper.
pub(crate) fn native_builtins(
    graph: &Graph,
    types: TypesRef<'_>,
) -> Result<std::collections::BTreeSet<AsyncBuiltinId>> {
    let mut tys = TyTable::default();
    let root = super::root_ends(graph, types, &mut tys)?;
    let mut out = std::collections::BTreeSet::new();
    for (i, builtin) in graph.async_builtins.iter().enumerate() {
        if let Some(kind) = native_kind(graph, types, &mut tys, builtin)
            && carried(kind, &root) == Some(false)
        {
            out.insert(AsyncBuiltinId(i));
        }
    }
    Ok(out)
}

/// The payload of end built-in `builtin` (`None`: it has none, or it
/// names resources meld cannot place).
fn payload_ty(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
    builtin: &crate::graph::AsyncBuiltin,
) -> Option<TyId> {
    use wasmparser::component_types::{ComponentDefinedType as D, ComponentValType as V};
    let V::Type(id) = builtin.result? else {
        return None;
    };
    let (D::Stream { ty: Some(ty), .. } | D::Future { ty: Some(ty), .. }) = types.get(id)? else {
        return None;
    };
    let scope = builtin.scope?;
    let lookup = super::scope_resources(graph, scope);
    let resources = crate::abi::Resources {
        key: scope.0,
        lookup: &lookup,
    };
    tys.convert_with(types, ty, "a stream payload", Some(resources))
        .ok()
}

/// The read and write built-ins of streams and futures whose type reaches
/// the host and whose elements hold handles, all of them own handles or
/// error contexts (or, for reads, readable ends; see [`Staging::stageable`]): their
/// copies are staged in meld's memory (`AsyncFunc::EndSettle`), where the
/// host reads what the writer staged (its own handles lent until the
/// copy is settled, its error contexts passed) and writes what the reader
/// gets (its handles come into the reader's table when the copy is
/// settled). Other handles in such elements stay refused.
pub(crate) fn staged_ends(
    graph: &Graph,
    types: TypesRef<'_>,
    tys: &mut TyTable,
) -> Result<std::collections::BTreeSet<AsyncBuiltinId>> {
    use crate::decode::EndOp;
    let native = native_builtins(graph, types)?;
    let root = super::root_ends(graph, types, tys)?;
    let mut out = std::collections::BTreeSet::new();
    for (i, builtin) in graph.async_builtins.iter().enumerate() {
        if native.contains(&AsyncBuiltinId(i))
            || !matches!(
                builtin.op,
                AsyncOp::End {
                    op: EndOp::Read | EndOp::Write,
                    ..
                }
            )
        {
            continue;
        }
        let Some(payload) = payload_ty(graph, types, tys, builtin) else {
            continue;
        };
        let read = matches!(
            builtin.op,
            AsyncOp::End {
                op: EndOp::Read,
                ..
            }
        );
        let staging = Staging {
            tys,
            root: &root,
            read,
        };
        if tys.info(payload).handles && staging.stageable(payload) {
            out.insert(AsyncBuiltinId(i));
        }
    }
    Ok(out)
}

/// The read and write built-ins of streams and futures whose type reaches
/// the host (bridged ones included: they act on the fused component's
/// ends too) and whose elements hold pointers but no handles: with one
/// memory their copies with the host are staged
/// ([`crate::merge::Layout::staged_ends`]), the pointers moving as they
/// are copied.
pub(crate) fn pointer_ends(graph: &Graph, types: TypesRef<'_>) -> Result<Vec<AsyncBuiltinId>> {
    use crate::decode::EndOp;
    let mut tys = TyTable::default();
    let root = super::root_ends(graph, types, &mut tys)?;
    let mut out = Vec::new();
    for (i, builtin) in graph.async_builtins.iter().enumerate() {
        if !matches!(
            builtin.op,
            AsyncOp::End {
                op: EndOp::Read | EndOp::Write,
                ..
            }
        ) {
            continue;
        }
        // meld's own only (a bridged family's built-ins act on the fused
        // component's ends too)
        if let Some(kind) = native_kind(graph, types, &mut tys, builtin)
            && carried(kind, &root) == Some(false)
        {
            continue;
        }
        let Some(payload) = payload_ty(graph, types, &mut tys, builtin) else {
            continue;
        };
        if tys.info(payload).memory && !tys.info(payload).handles {
            out.push(AsyncBuiltinId(i));
        }
    }
    Ok(out)
}

/// What decides whether a read's or a write's copies can be staged.
struct Staging<'a> {
    tys: &'a TyTable,
    /// The stream and future types that reach the host.
    root: &'a std::collections::BTreeSet<crate::abi::EndKind>,
    read: bool,
}

impl Staging<'_> {
    /// Whether every handle a `ty` holds is an own handle, an error
    /// context or a readable end of a stream or future whose type reaches
    /// the host (in lists too: a copy is settled element by element, each
    /// element's lists walked whole). A readable end of meld's own (of a
    /// bridged type, [`carried`]) is lent behind one of the fused
    /// component's ([`AsyncFunc::BridgeLend`]).
    ///
    /// An error context is copied, not moved, so a staged write has nothing
    /// to settle for it. A read takes the host's handle of an inner
    /// component's resource over into the reader's table, and puts an end
    /// there standing for the fused component's, as a call's result does
    /// (`RtFn::OwnIn`, `RtFn::End`). A write lends the writer's handle of
    /// an inner resource or end to the host behind one of the fused
    /// component's, which the settling cannot trace back once the host
    /// took it: it finds the writer's in the write's shadow, a copy of the
    /// elements (and of each list's) as the writer wrote them
    /// ([`super::codegen::Codegen::shadowed`]).
    fn stageable(&self, ty: TyId) -> bool {
        let each = |ty: &TyId| self.stageable(*ty);
        match self.tys.node(ty) {
            Node::Handle { own, .. } => *own,
            Node::End(crate::abi::EndKind::ErrorContext) => true,
            Node::End(kind) => self.read || carried(*kind, self.root) != Some(false),
            Node::List(element) | Node::FixedList(element, _) => each(element),
            Node::Record(fields) => fields.iter().all(each),
            Node::Variant(cases) => cases.iter().flatten().all(each),
            Node::Prim(_) | Node::String | Node::Enum(_) | Node::Flags(_) => true,
        }
    }
}

/// Whether a stream or future type is bridged (see [`NativeFamily`]).
fn any_bridged(graph: &Graph, types: TypesRef<'_>) -> Result<bool> {
    let mut tys = TyTable::default();
    let root = super::root_ends(graph, types, &mut tys)?;
    for builtin in &graph.async_builtins {
        if let Some(kind) = native_kind(graph, types, &mut tys, builtin)
            && carried(kind, &root) == Some(true)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The fused indices of the runtime's exports the generated code calls.
#[derive(Clone)]
struct Rt {
    funcs: RuntimeFuncs,
    begin: u32,
    argument: u32,
    await_call: u32,
    call_result: u32,
    call_sync_pending: u32,
    forget: u32,
    enter: u32,
    started: u32,
    returned: u32,
    exit_sync: u32,
    exit_stackful: u32,
    callback_code: u32,
    has_returned: u32,
    run_round: u32,
    run_only: u32,
    ran: u32,
    host_turn: u32,
    tickets: u32,
    served: u32,
    code: u32,
    current: u32,
    memory: u32,
    host_begin: u32,
    host_begin_sync: u32,
    host_event: u32,
    host_note: u32,
    host_fix: u32,
    host_retptr: u32,
    host_area: u32,
    host_set: u32,
    host_pending: u32,
    watcher: u32,
    waiting_root: u32,
    pool_put: u32,
    pool_take: u32,
    bell_owner: u32,
    queued: u32,
    end_new: u32,
    end_record: u32,
    end_host: u32,
    end_busy: u32,
    end_issuer: u32,
    end_find: u32,
    end_free: u32,
    end_note: u32,
    end_stage: u32,
    end_set_stage: u32,
    context_new: u32,
    context_host: u32,
    context_drop: u32,
    native_new: u32,
    native_op: u32,
    native_cancel: u32,
    native_drop: u32,
    end_native: u32,
    native_out: u32,
    native_pending: u32,
    native_rekind: u32,
    end_set_carry: u32,
    end_carry: u32,
    end_family: u32,
    native_lend: u32,
    native_lent_pair: u32,
    native_dropped: u32,
    native_bridge: u32,
    end_note_write: u32,
    native_lent: u32,
    native_settle: u32,
    native_unbridge: u32,
    spare_put: u32,
    spare_take: u32,
    set_of: u32,
    watched: u32,
    take_one: u32,
    await_one: u32,
    set_event: u32,
}

impl Rt {
    fn new(
        graph: &Graph,
        adapters: &Adapters,
        layout: &Layout<'_>,
        rt: RuntimeInstances,
    ) -> Result<Rt> {
        let get = |instance: CoreInstanceId, name: &str, space: Space| {
            export(graph, adapters, layout, instance, name, space)
        };
        let (s, w, t) = (rt.scheduler, rt.waitables, rt.tasks);
        let f = |i, n| get(i, n, Space::Func);
        Ok(Rt {
            funcs: RuntimeFuncs {
                suspend: f(s, "suspend")?,
                check_blocking: f(t, "check_blocking")?,
                set_new: f(w, "set_new")?,
                set_drop: f(w, "set_drop")?,
                join: f(w, "join")?,
                take: f(w, "take")?,
                await_: f(w, "await")?,
                take_cancel: f(t, "take_cancel")?,
                wait_cancellable: f(t, "wait_cancellable")?,
                subtask_drop: f(t, "subtask_drop")?,
                cancel: f(t, "cancel")?,
                cancel_result: f(t, "cancel_result")?,
                context_get: f(s, "context_get")?,
                context_set: f(s, "context_set")?,
                backpressure_inc: f(t, "backpressure_inc")?,
                backpressure_dec: f(t, "backpressure_dec")?,
                yield_: f(t, "yield")?,
                yield_cancellable: f(t, "yield_cancellable")?,
                task_cancel: f(t, "task_cancel")?,
                p1: get(w, "p1", Space::Global)?,
                p2: get(w, "p2", Space::Global)?,
                host: None,
                host_poll: None,
                host_set: None,
            },
            begin: f(t, "begin")?,
            argument: f(t, "argument")?,
            await_call: f(t, "await_call")?,
            call_result: f(t, "call_result")?,
            call_sync_pending: f(t, "call_sync_pending")?,
            forget: f(t, "forget")?,
            enter: f(t, "enter")?,
            started: f(t, "started")?,
            returned: f(t, "returned")?,
            exit_sync: f(t, "exit_sync")?,
            exit_stackful: f(t, "exit_stackful")?,
            callback_code: f(t, "callback_code")?,
            has_returned: f(t, "has_returned")?,
            run_round: f(s, "run_round")?,
            run_only: f(s, "run_only")?,
            ran: get(s, "ran", Space::Global)?,
            host_turn: get(s, "host_turn", Space::Global)?,
            tickets: get(s, "tickets", Space::Global)?,
            served: get(s, "served", Space::Global)?,
            code: get(t, "code", Space::Global)?,
            current: get(s, "current", Space::Global)?,
            memory: get(t, "memory", Space::Memory)?,
            host_begin: f(t, "host_begin")?,
            host_begin_sync: f(t, "host_begin_sync")?,
            host_event: f(t, "host_event")?,
            host_note: f(t, "host_note")?,
            host_fix: f(t, "host_fix")?,
            host_retptr: f(t, "host_retptr")?,
            host_area: f(t, "host_area")?,
            host_set: get(t, "host_set", Space::Global)?,
            host_pending: get(t, "host_pending", Space::Global)?,
            watcher: get(t, "watcher", Space::Global)?,
            waiting_root: f(t, "waiting_root")?,
            pool_put: f(t, "pool_put")?,
            pool_take: f(t, "pool_take")?,
            bell_owner: f(t, "bell_owner")?,
            queued: f(s, "queued")?,
            end_new: f(w, "end_new")?,
            end_record: f(w, "end_record")?,
            end_host: f(w, "end_host")?,
            end_busy: f(w, "end_busy")?,
            end_issuer: f(w, "end_issuer")?,
            end_find: f(w, "end_find")?,
            end_free: f(w, "end_free")?,
            end_note: f(w, "end_note")?,
            end_stage: f(w, "end_stage")?,
            end_set_stage: f(w, "end_set_stage")?,
            context_new: f(w, "context_new")?,
            context_host: f(w, "context_host")?,
            context_drop: f(w, "context_drop")?,
            native_new: f(w, "native_new")?,
            native_op: f(w, "native_op")?,
            native_cancel: f(w, "native_cancel")?,
            native_drop: f(w, "native_drop")?,
            end_native: f(w, "end_native")?,
            native_out: f(w, "native_out")?,
            native_pending: f(w, "native_pending")?,
            native_rekind: f(w, "native_rekind")?,
            end_set_carry: f(w, "end_set_carry")?,
            end_carry: f(w, "end_carry")?,
            end_family: f(w, "end_family")?,
            native_lend: f(w, "native_lend")?,
            native_lent_pair: f(w, "native_lent_pair")?,
            native_dropped: f(w, "native_dropped")?,
            native_bridge: f(w, "native_bridge")?,
            end_note_write: f(w, "end_note_write")?,
            native_lent: f(w, "native_lent")?,
            native_settle: f(w, "native_settle")?,
            native_unbridge: f(w, "native_unbridge")?,
            spare_put: f(w, "spare_put")?,
            spare_take: f(w, "spare_take")?,
            set_of: f(w, "set_of")?,
            watched: f(w, "watched")?,
            take_one: f(w, "take_one")?,
            await_one: f(w, "await_one")?,
            set_event: f(w, "set_event")?,
        })
    }
}

/// What generation reads.
pub(crate) struct Ctx<'g, 'l, 'a> {
    pub(crate) graph: &'g Graph,
    pub(crate) adapters: &'g Adapters,
    pub(crate) layout: &'l Layout<'a>,
    pub(crate) types: TypesRef<'g>,
    /// The fused index of the host's `task.return` of each async root
    /// export.
    pub(crate) host_returns: &'g BTreeMap<LiftedId, u32>,
    /// The fused indices of the host's `context.get 0` and `context.set 0`.
    pub(crate) host_context: Option<(u32, u32)>,
    /// The fused indices of the built-ins for the host's subtasks.
    pub(crate) host_async: &'g BTreeMap<HostAsyncOp, u32>,
    /// The fused index of the fused component's built-in standing for
    /// each inner stream, future and error-context built-in.
    pub(crate) host_builtins: &'g BTreeMap<AsyncBuiltinId, u32>,
    /// The resolved canonical options of a component.
    pub(crate) side: &'g dyn Fn(&Options, InnerId) -> Result<Side>,
}

/// Generates every function of the layout's async functions.
pub(crate) fn generate(ctx: &Ctx<'_, '_, '_>, codegen: &mut Codegen) -> Result<Vec<GeneratedFunc>> {
    let graph = ctx.graph;
    let Some(instances) = graph.runtime else {
        return Ok(Vec::new());
    };
    let funcs = ctx.layout.async_funcs();
    let mut rt = Rt::new(graph, ctx.adapters, ctx.layout, instances)?;
    if graph.follows_host() {
        rt.funcs.host_poll = Some(ctx.layout.async_index(AsyncFunc::HostPoll)?);
    }
    if !ctx.host_async.is_empty() {
        let t = instances.tasks;
        let f = |name: &str| export(graph, ctx.adapters, ctx.layout, t, name, Space::Func);
        rt.funcs.host = Some(shims::HostCancel {
            host_handle: f("host_handle")?,
            host_cancelled: f("host_cancelled")?,
            host_cancel_sent: f("host_cancel_sent")?,
            host_abandon: f("host_abandon")?,
            fix: ctx.layout.async_index(AsyncFunc::HostFix)?,
            cancel: host_op(ctx, HostAsyncOp::SubtaskCancel)?,
            join: host_op(ctx, HostAsyncOp::Join)?,
            drop: host_op(ctx, HostAsyncOp::SubtaskDrop)?,
        });
        rt.funcs.host_set = Some(rt.host_set);
    }
    let mut g = Gen {
        ctx,
        codegen,
        rt,
        funcs,
        leave: None,
    };
    let mut out = Vec::with_capacity(funcs.len());
    for f in funcs {
        let (name, ty, body) = match *f {
            AsyncFunc::Shim(id) => g.shim(id)?,
            AsyncFunc::Table(RuntimeFunc::Copy) => g.native_copy()?,
            AsyncFunc::Table(RuntimeFunc::Carried) => g.carried()?,
            AsyncFunc::Table(RuntimeFunc::Gate) => g.gate()?,
            AsyncFunc::Table(t) => {
                let ty = match t {
                    RuntimeFunc::Insert => sig(&[Flat::I32; 3], &[Flat::I32]),
                    RuntimeFunc::Rep | RuntimeFunc::Tag => sig(&[Flat::I32; 2], &[Flat::I32]),
                    RuntimeFunc::Remove => sig(&[Flat::I32; 2], &[]),
                    RuntimeFunc::Copy => sig(&[Flat::I32; 6], &[]),
                    RuntimeFunc::Carried => sig(&[Flat::I32], &[Flat::I32]),
                    RuntimeFunc::Gate => sig(&[Flat::I32; 2], &[]),
                };
                let body = g.codegen.runtime_table(t)?;
                (format!("meld tables {}", t.field()), ty, body)
            }
            AsyncFunc::Call(id) => g.call(id)?,
            AsyncFunc::Entry(site) => g.entry(site)?,
            AsyncFunc::Return(site) => g.return_half(site)?,
            AsyncFunc::HostEntry(id) => g.host_entry(id)?,
            AsyncFunc::HostCallback => {
                let (mut b, event) = Body::new(&[Flat::I32; 3]);
                if !ctx.host_async.is_empty() {
                    for e in event {
                        b.get(e);
                    }
                    b.ins(I::Call(ctx.layout.async_index(AsyncFunc::HostEvent)?));
                }
                b.ins(I::Call(g.host_context(false)?))
                    .ins(I::Call(ctx.layout.async_index(AsyncFunc::HostTurn)?));
                (
                    "meld host callback".to_string(),
                    sig(&[Flat::I32; 3], &[Flat::I32]),
                    b.finish(),
                )
            }
            AsyncFunc::HostTurn => g.host_turn()?,
            AsyncFunc::HostDeliver => g.host_deliver()?,
            AsyncFunc::HostCall(id) => g.host_call(id)?,
            AsyncFunc::HostResult(id) => g.host_result(id)?,
            AsyncFunc::HostEvent => g.host_event()?,
            AsyncFunc::HostFix => g.host_fix()?,
            AsyncFunc::HostPoll => g.host_poll()?,
            AsyncFunc::HostRing => g.host_ring()?,
            AsyncFunc::HostRings => g.host_rings()?,
            AsyncFunc::HostPark => g.host_park()?,
            AsyncFunc::HostRetire => g.host_retire()?,
            AsyncFunc::BridgeOut => g.bridge_end(false)?,
            AsyncFunc::BridgeLend => g.bridge_end(true)?,
            AsyncFunc::BridgeSettle => g.bridge_settle()?,
            AsyncFunc::EndSettle(id) => g.end_settle(id)?,
            AsyncFunc::EndFix => g.end_fix()?,
        };
        out.push(GeneratedFunc {
            name,
            ty,
            body,
            covered: Vec::new(),
        });
    }
    Ok(out)
}

/// The fused index of the host's built-in `op`.
fn host_op(ctx: &Ctx<'_, '_, '_>, op: HostAsyncOp) -> Result<u32> {
    ctx.host_async
        .get(&op)
        .copied()
        .ok_or_else(|| Error::internal(format!("no host built-in {op:?}")))
}

fn sig(params: &[Flat], results: &[Flat]) -> FuncType {
    FuncType::new(
        params.iter().map(|t| t.core()),
        results.iter().map(|t| t.core()),
    )
}

type Made = (String, FuncType, wasm_encoder::Function);

/// An async call of the host, as its generated function sees it.
struct HostSite {
    lowering: crate::graph::Lowering,
    /// The caller's side of the call.
    caller: Side,
    module: String,
    field: String,
    /// Its shape, handles as the host's numbers.
    shape: Shape,
    /// The core type of the async lowered import.
    core: FuncType,
    params: Vec<Flat>,
}

/// How one side passes parameters: flat, or one pointer to the tuple.
#[derive(Debug, Clone)]
struct Params {
    flat: Vec<Flat>,
    spilled: bool,
}

impl Params {
    fn of(tys: &TyTable, shape: &Shape, limit: usize) -> Params {
        let flat = tys.info(shape.tuple).flat.clone();
        match flat.len() > limit {
            true => Params {
                flat: vec![Flat::I32],
                spilled: true,
            },
            false => Params {
                flat,
                spilled: false,
            },
        }
    }
}

/// The bytes of a flat value in an argument slot.
fn flat_size(ty: Flat) -> u32 {
    match ty {
        Flat::I32 | Flat::F32 => 4,
        Flat::I64 | Flat::F64 => 8,
    }
}

/// The tag in a component's table of the end of a stream (or a future)
/// that `op` acts on: 10 (12) readable, 11 (13) writable.
fn end_tag(future: bool, op: crate::decode::EndOp) -> u32 {
    use crate::decode::EndOp;
    let readable = match future {
        false => crate::abi::TAG_STREAM,
        true => crate::abi::TAG_FUTURE,
    };
    match op {
        EndOp::Read | EndOp::CancelRead | EndOp::DropReadable => readable,
        EndOp::New | EndOp::Write | EndOp::CancelWrite | EndOp::DropWritable => readable + 1,
    }
}

/// A blocking stream or future operation whose `code` is BLOCKED waits
/// for end record `n`'s event and takes its code (suspending its task
/// until then).
fn wait_for_end(b: &mut Body, rt: &Rt, n: Local, code: Local) {
    b.get(code)
        .i32(u32::MAX)
        .ins(I::I32Eq)
        .ins(I::If(BlockType::Empty));
    b.ins(I::Loop(BlockType::Empty));
    b.get(n)
        .ins(I::Call(rt.take_one))
        .ins(I::I32Eqz)
        .ins(I::If(BlockType::Empty));
    b.get(n).ins(I::Call(rt.await_one));
    b.ins(I::Call(rt.funcs.suspend)).ins(I::Drop);
    b.ins(I::Br(1));
    b.ins(I::End).ins(I::End);
    b.ins(I::GlobalGet(rt.funcs.p2)).set(code);
    b.ins(I::End);
}

/// End record `n`'s operation at the host is over (if one was pending):
/// one host waitable fewer to wait for.
fn end_settled(b: &mut Body, rt: &Rt, n: Local) {
    b.get(n)
        .i32(0)
        .ins(I::Call(rt.end_busy))
        .ins(I::If(BlockType::Empty));
    end_unpending(b, rt, n);
    b.ins(I::End);
}

/// End record `n`'s operation pending at the host is over: one host
/// waitable fewer to wait for, and, a read, one fewer holding the root
/// task whose turn made it ([`HOLD_SLOT`]).
fn end_unpending(b: &mut Body, rt: &Rt, n: Local) {
    b.ins(I::GlobalGet(rt.host_pending))
        .i32(1)
        .ins(I::I32Sub)
        .ins(I::GlobalSet(rt.host_pending));
    let root = b.local(Flat::I32);
    b.get(n).i32(0).ins(I::Call(rt.end_issuer)).set(root);
    hold(b, rt, root, false);
}

/// One more (`more`) or one fewer read pending at the host holds root
/// task `root` (none if 0) from exiting ([`HOLD_SLOT`]).
fn hold(b: &mut Body, rt: &Rt, root: Local, more: bool) {
    b.get(root).ins(I::If(BlockType::Empty));
    slot(b, rt, root, HOLD_SLOT);
    slot(b, rt, root, HOLD_SLOT);
    b.load(rt.memory, 0, 4, Flat::I32)
        .i32(1)
        .ins(if more { I::I32Add } else { I::I32Sub })
        .store(rt.memory, 0, 4, Flat::I32);
    b.ins(I::End);
}

/// Pushes whether root task `task` is a stackful root export's whose
/// result has not gone to the host yet ([`STACKFUL_DELIVERED`]).
fn undelivered(b: &mut Body, rt: &Rt, task: Local) {
    slot(b, rt, task, RETURN_SLOT);
    b.load(rt.memory, 0, 4, Flat::I32)
        .i32(STACKFUL_ROOT | STACKFUL_DELIVERED)
        .ins(I::I32And)
        .i32(STACKFUL_ROOT)
        .ins(I::I32Eq);
}

/// Pushes the address of task `task`'s argument slot `slot`.
fn slot(b: &mut Body, rt: &Rt, task: Local, slot: u32) {
    b.get(task).i32(slot).ins(I::Call(rt.argument));
}

/// The slot of a task's `i`th raw argument.
fn arg_slot(i: usize) -> u32 {
    match i < ARG_SLOTS {
        true => i as u32,
        false => LAST_ARG_SLOT,
    }
}

/// Stores `values` in the slots of `task` from slot 0.
fn store_args(b: &mut Body, rt: &Rt, task: Local, values: &[Local]) -> Result<()> {
    // (at most sixteen flat parameters and a return pointer: a core
    // signature the Canonical ABI makes has no more)
    if values.len() > ARG_SLOTS + 1 {
        return Err(Error::internal("a task with more than 17 core parameters"));
    }
    for (i, v) in values.iter().enumerate() {
        slot(b, rt, task, arg_slot(i));
        b.get(*v).store(rt.memory, 0, flat_size(v.ty), v.ty);
    }
    Ok(())
}

/// Loads the flat values in the slots of `task` from slot 0 into locals.
fn load_args(b: &mut Body, rt: &Rt, task: Local, flat: &[Flat]) -> Vec<Local> {
    flat.iter()
        .enumerate()
        .map(|(i, ty)| {
            let local = b.local(*ty);
            slot(b, rt, task, arg_slot(i));
            b.load(rt.memory, 0, flat_size(*ty), *ty).set(local);
            local
        })
        .collect()
}

/// `task.return`'s core parameters for `shape`'s result.
fn return_params(tys: &TyTable, shape: &Shape) -> Vec<Flat> {
    match shape.result {
        None => Vec::new(),
        Some(r) if tys.info(r).flat.len() <= MAX_FLAT_PARAMS => tys.info(r).flat.clone(),
        Some(_) => vec![Flat::I32],
    }
}

fn place(memory: u32, addr: Local) -> Place {
    Place {
        memory,
        addr,
        offset: 0,
    }
}

/// The generator, with what it reads.
struct Gen<'c, 'g, 'l, 'a> {
    ctx: &'c Ctx<'g, 'l, 'a>,
    codegen: &'c mut Codegen,
    rt: Rt,
    funcs: &'c [AsyncFunc],
    /// While a built-in's shim is made: its caller's `may_leave` flag, if
    /// the caller has one.
    leave: Option<u32>,
}

impl Gen<'_, '_, '_, '_> {
    fn graph(&self) -> &Graph {
        self.ctx.graph
    }

    /// The body of a built-in's shim: like wasmtime's built-ins, it first
    /// traps if its caller may not leave its instance (while a realloc of
    /// the caller runs for another component or the host).
    fn builtin_body(&self, params: &[Flat]) -> (Body, Vec<Local>) {
        let (mut b, args) = Body::new(params);
        b.check_may_leave(self.leave);
        (b, args)
    }

    /// The shape of lifted function `id`'s type (handles resolved).
    fn shape(&mut self, id: LiftedId) -> Result<Shape> {
        let shape = super::export_shape(self.ctx.graph, self.ctx.types, &mut self.codegen.tys, id)?;
        // Own handles move at start and at `task.return` (`translate`);
        // borrowed ones are lent for the task's scope (`TaskEnter`, ended
        // by its task.return or task.cancel).
        Ok(shape)
    }

    /// [`Self::shape`] of a root export.
    fn export_shape(&mut self, id: LiftedId) -> Result<Shape> {
        self.shape(id)
    }

    /// How an async root export's handles move between the host's table
    /// and its component's (as `host.rs`'s handles wrapper moves a sync
    /// export's), if its values hold any.
    fn handles(&self, id: LiftedId) -> Result<Option<super::host::Handles>> {
        if !self.ctx.adapters.handle_exports.contains(&id) {
            return Ok(None);
        }
        let lifted = &self.graph().lifted[id.0];
        let memory = self.memory(&lifted.options.memory)?;
        Ok(Some(super::host::Handles {
            memory,
            table: lifted.component.0 as u32,
        }))
    }

    /// Where the memory of `options` is when memories are shared and its
    /// pointers must move for the host (see `host.rs`).
    fn region(&self, options: &Options) -> Result<Option<Region>> {
        let layout = self.ctx.layout;
        let Some(memory) = layout.rebased(self.ctx.graph, self.ctx.adapters, options)? else {
            return Ok(None);
        };
        let plan = layout
            .shared
            .as_ref()
            .ok_or_else(|| Error::internal("a rebased memory without a shared memory"))?;
        Ok(Some(Region {
            memory,
            base: plan.base(memory)?,
            checked: plan.checked(memory)?.then_some(options.encoding),
        }))
    }

    /// The fused index of the memory `def` names, if any.
    fn memory(&self, def: &Option<CoreDef>) -> Result<Option<u32>> {
        def.as_ref()
            .map(|m| {
                self.ctx
                    .layout
                    .resolve(self.ctx.graph, self.ctx.adapters, m, Space::Memory)
            })
            .transpose()
    }

    fn func(&self, def: &CoreDef) -> Result<u32> {
        self.ctx
            .layout
            .resolve(self.ctx.graph, self.ctx.adapters, def, Space::Func)
    }

    fn entry_index(&self, f: AsyncFunc) -> Result<u32> {
        entry_index(self.funcs, f)
    }

    /// `begin`'s kind for lifted function `id`.
    fn kind(&self, id: LiftedId) -> Result<u32> {
        let lifted = &self.graph().lifted[id.0];
        let func = self
            .ctx
            .types
            .get(lifted.ty)
            .ok_or_else(|| Error::internal("unknown function type"))?;
        let mut k = 0;
        if func.async_ {
            k |= ASYNC_TYPE;
        }
        if lifted.options.async_ {
            k |= match lifted.options.callback {
                Some(_) => CALLBACK,
                None => STACKFUL,
            };
        }
        Ok(k)
    }

    /// The two sides of async call `id`: the caller's, the callee's.
    fn sides(&self, id: AdapterId) -> Result<(Side, Side)> {
        let a = &self.graph().adapters[id.0];
        let lifted = &self.graph().lifted[a.callee.0];
        Ok((
            (self.ctx.side)(&a.options, a.caller)?,
            (self.ctx.side)(&lifted.options, lifted.component)?,
        ))
    }

    /// How the caller of async call `id` passes its parameters.
    fn caller_params(&self, id: AdapterId, shape: &Shape) -> Params {
        let limit = match self.graph().adapters[id.0].options.async_ {
            true => MAX_FLAT_ASYNC_PARAMS,
            false => MAX_FLAT_PARAMS,
        };
        Params::of(&self.codegen.tys, shape, limit)
    }

    /// The caller's side of async call `id`: a task for the callee; an
    /// async-lowered caller gets the subtask's state, a sync-lowered one
    /// blocks until the callee returned.
    fn call(&mut self, id: AdapterId) -> Result<Made> {
        let adapter = self.graph().adapters[id.0].clone();
        let in_caller = |e: Error| e.in_component(self.ctx.graph.path(adapter.caller));
        let shape = self.shape(adapter.callee).map_err(in_caller)?;
        let (caller, _) = self.sides(id)?;
        let params = self.caller_params(id, &shape);
        let mut core = params.flat.clone();
        let lowered_results: Vec<Flat>;
        let retptr = match adapter.options.async_ {
            true => {
                lowered_results = vec![Flat::I32];
                shape.result.is_some()
            }
            false => {
                lowered_results = match shape.spill_results {
                    true => Vec::new(),
                    false => shape.lowered.results.clone(),
                };
                shape.spill_results
            }
        };
        if retptr {
            core.push(Flat::I32);
        }
        let site = Site::Adapter(id);
        let callee = self.graph().lifted[adapter.callee.0].component;
        let (mut b, args) = Body::new(&core);
        // As wasmtime 48: no call into the caller's own instance or one
        // that instantiated it (or back), async or not.
        let graph = self.ctx.graph;
        let traps = callee == adapter.caller
            || super::ancestors(graph, adapter.caller).any(|c| c == callee)
            || super::ancestors(graph, callee).any(|c| c == adapter.caller);
        if traps {
            b.ins(I::Unreachable);
            return Ok((
                format!("meld async call {} (traps)", adapter.name),
                sig(&core, &lowered_results),
                b.finish(),
            ));
        }
        b.check_may_leave(caller.may_leave);
        if !adapter.options.async_ {
            // Only an async-typed task may block (before anything else).
            b.ins(I::Call(self.rt.funcs.check_blocking));
        }
        let task = b.local(Flat::I32);
        b.i32(adapter.caller.0 as u32)
            .i32(callee.0 as u32)
            .i32(self.kind(adapter.callee)?)
            .i32(self.entry_index(AsyncFunc::Entry(site))?)
            .ins(I::Call(self.rt.begin))
            .set(task);
        store_args(&mut b, &self.rt, task, &args).map_err(in_caller)?;
        slot(&mut b, &self.rt, task, RETURN_SLOT);
        b.i32(self.entry_index(AsyncFunc::Return(site))?)
            .ins(I::I32Store(memarg(self.rt.memory, 0, 4)));
        match adapter.options.async_ {
            true => {
                b.get(task).ins(I::Call(self.rt.await_call));
                b.ins(I::Call(self.rt.funcs.suspend)).ins(I::Drop);
                b.get(task).ins(I::Call(self.rt.call_result));
            }
            false => {
                // Suspend until the callee returned; a flat result waits in
                // the task's first slots.
                b.ins(I::Loop(BlockType::Empty));
                b.get(task)
                    .ins(I::Call(self.rt.call_sync_pending))
                    .ins(I::If(BlockType::Empty));
                b.ins(I::Call(self.rt.funcs.suspend))
                    .ins(I::Drop)
                    .ins(I::Br(1));
                b.ins(I::End).ins(I::End);
                for (i, ty) in lowered_results.iter().enumerate() {
                    slot(&mut b, &self.rt, task, i as u32);
                    b.load(self.rt.memory, 0, flat_size(*ty), *ty);
                }
            }
        }
        Ok((
            format!("meld async call {}", adapter.name),
            sig(&core, &lowered_results),
            b.finish(),
        ))
    }

    fn site_lifted(&self, site: Site) -> LiftedId {
        match site {
            Site::Adapter(id) => self.graph().adapters[id.0].callee,
            Site::Export(id) => id,
        }
    }

    fn site_name(&self, site: Site) -> String {
        match site {
            Site::Adapter(id) => self.graph().adapters[id.0].name.clone(),
            Site::Export(id) => {
                let lifted = &self.graph().lifted[id.0];
                format!("root export of {}", self.graph().path(lifted.component))
            }
        }
    }

    /// The entry of a site's tasks: on start the parameters go into the
    /// callee and its core function runs; a callback-lifted callee's
    /// callback gets each later event; a sync-lifted one's results go to
    /// the caller.
    fn entry(&mut self, site: Site) -> Result<Made> {
        let id = self.site_lifted(site);
        let lifted = self.graph().lifted[id.0].clone();
        let shape = self.shape(id)?;
        let layout = self.ctx.layout;
        let wrapper = layout
            .wrapper(crate::merge::Wrapper::Export(id))
            .or_else(|| layout.wrapper(crate::merge::Wrapper::Handles(id)));
        let core = match (site, wrapper) {
            // A sync root export with a shared memory, or handles: the
            // host's pointers and handles move in the export's wrappers.
            (Site::Export(_), Some(wrapper)) => layout.index(wrapper)?,
            _ => self.func(&lifted.func)?,
        };
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32]);
        let task = args[0];
        let phase = b.local(Flat::I32);
        b.get(task).ins(I::Call(rt.enter)).set(phase);
        b.get(phase).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        b.ins(I::Return).ins(I::End);
        if let Some(callback) = lifted.options.callback.as_ref() {
            let callback = self.func(callback)?;
            let code = b.local(Flat::I32);
            b.get(phase)
                .i32(1)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            self.lower_params(&mut b, site, &shape, task)?;
            b.get(task).ins(I::Call(rt.started));
            b.ins(I::Call(core)).set(code);
            b.ins(I::Else);
            b.ins(I::GlobalGet(rt.code))
                .ins(I::GlobalGet(rt.funcs.p1))
                .ins(I::GlobalGet(rt.funcs.p2))
                .ins(I::Call(callback))
                .set(code);
            b.ins(I::End);
            b.get(task).get(code).ins(I::Call(rt.callback_code));
        } else if lifted.options.async_ {
            // Stackful: the core function runs to its end (blocking on
            // this task's stack), its results through `task.return`.
            self.lower_params(&mut b, site, &shape, task)?;
            b.get(task).ins(I::Call(rt.started));
            b.ins(I::Call(core));
            b.get(task).ins(I::Call(rt.exit_stackful));
        } else {
            // Sync-lifted.
            self.lower_params(&mut b, site, &shape, task)?;
            b.get(task).ins(I::Call(rt.started));
            b.ins(I::Call(core));
            let raw = b.pop_all(&shape.lifted.results);
            match site {
                // A stackful export's task makes its result the host's now
                // and runs the post-return, as wasmtime runs it once it
                // lifted the result; its host call hands the values over.
                Site::Export(id) if self.ctx.adapters.stackful_exports.contains(&id) => {
                    // (the host's borrows end first, as at a sync return)
                    if self.lends(&shape) {
                        self.end_scope(&mut b, task);
                    }
                    let values = self.stackful_result(&mut b, id, &shape, &raw)?;
                    store_args(&mut b, &rt, task, &values)?;
                    if let Some(post) = lifted.options.post_return.as_ref() {
                        let post = self.func(post)?;
                        for r in &raw {
                            b.get(*r);
                        }
                        b.ins(I::Call(post));
                    }
                }
                // The host's call reads the core results from the slots
                // (and calls post-return itself).
                Site::Export(_) => {
                    for (i, r) in raw.iter().enumerate() {
                        slot(&mut b, &rt, task, i as u32);
                        b.get(*r).store(rt.memory, 0, flat_size(r.ty), r.ty);
                    }
                }
                Site::Adapter(adapter) => {
                    if self.lends(&shape) {
                        self.end_scope(&mut b, task);
                    }
                    self.sync_results(&mut b, adapter, &shape, task, &raw)?;
                    if let Some(post) = lifted.options.post_return.as_ref() {
                        let post = self.func(post)?;
                        for r in &raw {
                            b.get(*r);
                        }
                        b.ins(I::Call(post));
                    }
                }
            }
            b.get(task).ins(I::Call(rt.exit_sync));
        }
        Ok((
            format!("meld task entry {}", self.site_name(site)),
            sig(&[Flat::I32], &[]),
            b.finish(),
        ))
    }

    /// Whether an async call into `component` lends handles.
    fn component_lends(&mut self, component: InnerId) -> Result<bool> {
        for f in self.funcs {
            if let AsyncFunc::Call(id) = *f {
                let callee = self.graph().adapters[id.0].callee;
                if self.graph().lifted[callee.0].component == component {
                    let shape = self.shape(callee)?;
                    if self.lends(&shape) {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Whether the parameters of `shape` lend handles (a task scope).
    fn lends(&self, shape: &Shape) -> bool {
        shape
            .params
            .iter()
            .any(|t| self.codegen.tys.info(*t).borrows)
    }

    /// Ends the scope of the borrowed handles task `task` was given, if
    /// it has one: traps if the callee still holds one, gives the lends
    /// back.
    fn end_scope(&mut self, b: &mut Body, task: Local) {
        let rt = self.rt_copy();
        let scope = b.local(Flat::I32);
        slot(b, &rt, task, SCOPE_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4))).set(scope);
        b.get(scope).ins(I::If(BlockType::Empty));
        slot(b, &rt, task, SCOPE_SLOT);
        b.i32(0).ins(I::I32Store(memarg(rt.memory, 0, 4)));
        b.get(scope)
            .i32(1)
            .ins(I::I32Sub)
            .ins(I::Call(self.codegen.rt(RtFn::TaskExit)));
        b.ins(I::End);
    }

    fn rt_copy(&self) -> Rt {
        self.rt.clone()
    }

    /// Pushes the callee's core parameters for the task of `site`: the
    /// host's are in the slots as the callee takes them; a caller's are
    /// lifted from its flat values or memory and lowered into the callee.
    fn lower_params(&mut self, b: &mut Body, site: Site, shape: &Shape, task: Local) -> Result<()> {
        let rt = self.rt_copy();
        // The host's borrows of an async or stackful export are lent for
        // its task too (a sync export's handles wrapper opens its own
        // scope).
        let async_export = match site {
            Site::Export(id) => self.ctx.adapters.lifted_async(self.ctx.graph, id),
            Site::Adapter(_) => true,
        };
        if async_export && self.lends(shape) {
            slot(b, &rt, task, SCOPE_SLOT);
            b.ins(I::Call(self.codegen.rt(RtFn::TaskEnter)))
                .i32(1)
                .ins(I::I32Add)
                .ins(I::I32Store(memarg(rt.memory, 0, 4)));
        }
        let callee_params = Params::of(&self.codegen.tys, shape, MAX_FLAT_PARAMS);
        let adapter = match site {
            // (a sync one's handles wrapper copies them itself)
            Site::Export(id)
                if self.ctx.adapters.staged_exports.contains(&id)
                    && self.ctx.adapters.lifted_async(self.ctx.graph, id) =>
            {
                return self.unstage_params(b, id, shape, task);
            }
            Site::Export(id) => {
                let mut args = load_args(b, &rt, task, &callee_params.flat);
                let options = self.graph().lifted[id.0].options.clone();
                let moves = self.ctx.adapters.lifted_async(self.ctx.graph, id);
                // An async or stackful lift's task moves the host's
                // pointers into the region itself (a sync one's export
                // wrapper does).
                if let (true, Some(region)) = (moves, self.region(&options)?) {
                    if shape.spill_params {
                        let p = b.local(Flat::I32);
                        b.get(args[0]).i32(region.base).ins(I::I32Sub).set(p);
                        args = vec![p];
                    }
                    self.codegen
                        .rebase_params(b, shape, &args, region.rebase(Way::FromHost))?;
                }
                // ... and its handles into the component's table.
                if let (true, Some(handles)) = (moves, self.handles(id)?) {
                    self.codegen
                        .rebase_params(b, shape, &args, handles.rebase(Way::FromHost))?;
                }
                for local in args {
                    b.get(local);
                }
                return Ok(());
            }
            Site::Adapter(adapter) => adapter,
        };
        let (caller, callee) = self.sides(adapter)?;
        let into_callee = Dir {
            src: caller,
            dst: callee,
        };
        let caller_params = self.caller_params(adapter, shape);
        let raw = load_args(b, &rt, task, &caller_params.flat);
        let spilled = (caller_params.spilled, callee_params.spilled);
        self.codegen
            .lower_params(b, shape, &raw, spilled, into_callee)?;
        Ok(())
    }

    /// The parameters of staged async export `id`'s task `task`
    /// ([`super::Adapters::staged_exports`]), which the host wrote into
    /// the stage heap: copied into the component (strings and lists with
    /// its `realloc`, handles into its table) as the task starts, the
    /// stage's blocks freed; the component's arguments left on the stack.
    fn unstage_params(
        &mut self,
        b: &mut Body,
        id: LiftedId,
        shape: &Shape,
        task: Local,
    ) -> Result<()> {
        let lifted = self.graph().lifted[id.0].clone();
        let callee = (self.ctx.side)(&lifted.options, lifted.component)?;
        let stage = self.stage(true)?;
        let params = Params::of(&self.codegen.tys, shape, MAX_FLAT_PARAMS);
        let args = load_args(b, &self.rt, task, &params.flat);
        self.codegen.unstage_params(b, shape, &args, callee, stage)
    }

    /// A sync-lifted callee's core results `raw` for the caller of async
    /// call `adapter`: into its return area (async-lowered, or a spilled
    /// result), or flat into the task's slots for a sync-lowered caller.
    fn sync_results(
        &mut self,
        b: &mut Body,
        adapter: AdapterId,
        shape: &Shape,
        task: Local,
        raw: &[Local],
    ) -> Result<()> {
        let Some(result) = shape.result else {
            return Ok(());
        };
        let src = match shape.spill_results {
            true => {
                let (_, callee) = self.sides(adapter)?;
                let info = self.codegen.tys.info(result);
                check_block(b, callee.memory()?, raw[0], info.size, info.align);
                Src::Mem(place(callee.memory()?, raw[0]))
            }
            false => Src::Stack(raw.iter().map(|l| Slot::exact(*l)).collect()),
        };
        self.result_to_caller(b, adapter, shape, result, task, src)
    }

    /// Moves `result` from the callee (`src`) to the caller of async call
    /// `adapter` (task `task`): its return area when it has one, else the
    /// task's slots (a sync-lowered caller's flat result).
    fn result_to_caller(
        &mut self,
        b: &mut Body,
        adapter: AdapterId,
        shape: &Shape,
        result: TyId,
        task: Local,
        src: Src,
    ) -> Result<()> {
        let rt = self.rt_copy();
        let (caller, callee) = self.sides(adapter)?;
        let into_caller = Dir {
            src: callee,
            dst: caller,
        };
        let a = &self.graph().adapters[adapter.0];
        let through_memory = a.options.async_ || shape.spill_results;
        if through_memory {
            let at = arg_slot(self.caller_params(adapter, shape).flat.len());
            let (size, align) = {
                let info = self.codegen.tys.info(result);
                (info.size, info.align)
            };
            let ptr = b.local(Flat::I32);
            slot(b, &rt, task, at);
            b.ins(I::I32Load(memarg(rt.memory, 0, 4))).set(ptr);
            check_block(b, caller.memory()?, ptr, size, align);
            self.codegen.translate(
                b,
                result,
                &src,
                &Dst::Mem(place(caller.memory()?, ptr)),
                into_caller,
            )?;
        } else {
            let flat = self.codegen.tys.info(result).flat.clone();
            let dst: Vec<Local> = flat.iter().map(|t| b.local(*t)).collect();
            let dst_slots = dst.iter().map(|l| Slot::exact(*l)).collect();
            self.codegen
                .translate(b, result, &src, &Dst::Stack(dst_slots), into_caller)?;
            for (i, d) in dst.iter().enumerate() {
                slot(b, &rt, task, i as u32);
                b.get(*d).store(rt.memory, 0, flat_size(d.ty), d.ty);
            }
        }
        Ok(())
    }

    /// What `task.return` calls for a site's task: the results to the
    /// host's `task.return`, or into the caller; then `returned`.
    fn return_half(&mut self, site: Site) -> Result<Made> {
        let id = self.site_lifted(site);
        let shape = self.shape(id)?;
        let params = return_params(&self.codegen.tys, &shape);
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&params);
        match site {
            Site::Export(id) => {
                // As at the end of a sync export's call, and as wasmtime
                // lifts the result at `task.return`: the host's borrows
                // end, and the result is made the host's now (handles
                // translated; one through memory copied out of the
                // component into meld's memory).
                if self.lends(&shape) {
                    let task = b.local(Flat::I32);
                    b.ins(I::GlobalGet(rt.current)).set(task);
                    self.end_scope(&mut b, task);
                }
                let values = self.result_for_host(&mut b, id, &shape, &args)?;
                // It goes to the host in the turn of this task's own host
                // call, after those of root tasks that returned before it:
                // unless both hold now, the task takes the next ticket, its
                // values wait in its slots, and it goes on (its call's turn
                // hands them over, `HostDeliver`).
                let task = b.local(Flat::I32);
                b.ins(I::GlobalGet(rt.current)).set(task);
                b.ins(I::GlobalGet(rt.host_turn))
                    .get(task)
                    .ins(I::I32Eq)
                    .ins(I::GlobalGet(rt.tickets))
                    .ins(I::GlobalGet(rt.served))
                    .ins(I::I32Eq)
                    .ins(I::I32And)
                    .ins(I::If(BlockType::Empty));
                self.hand_to_host(&mut b, id, &shape, &values)?;
                b.ins(I::Else);
                b.ins(I::GlobalGet(rt.tickets))
                    .i32(1)
                    .ins(I::I32Add)
                    .ins(I::GlobalSet(rt.tickets));
                slot(&mut b, &rt, task, WAITING_TURN_SLOT);
                b.ins(I::GlobalGet(rt.tickets))
                    .ins(I::I32Store(memarg(rt.memory, 0, 4)));
                store_args(&mut b, &rt, task, &values)?;
                b.ins(I::End);
            }
            Site::Adapter(adapter) => {
                if self.lends(&shape) {
                    let task = b.local(Flat::I32);
                    b.ins(I::GlobalGet(rt.current)).set(task);
                    self.end_scope(&mut b, task);
                }
                if let Some(result) = shape.result {
                    let (_, callee) = self.sides(adapter)?;
                    let src = match params.len() == 1 && return_spilled(&self.codegen.tys, &shape) {
                        true => {
                            let info = self.codegen.tys.info(result);
                            check_block(&mut b, callee.memory()?, args[0], info.size, info.align);
                            Src::Mem(place(callee.memory()?, args[0]))
                        }
                        false => Src::Stack(args.iter().map(|l| Slot::exact(*l)).collect()),
                    };
                    let task = b.local(Flat::I32);
                    b.ins(I::GlobalGet(rt.current)).set(task);
                    self.result_to_caller(&mut b, adapter, &shape, result, task, src)?;
                }
            }
        }
        b.ins(I::Call(rt.returned));
        Ok((
            format!("meld task.return {}", self.site_name(site)),
            sig(&params, &[]),
            b.finish(),
        ))
    }

    /// An async root export's result (`args`, `task.return`'s core
    /// parameters) made the host's: the values its `task.return` takes
    /// (see [`Self::deferred_flat`]). One through memory is copied into
    /// meld's memory (such exports are staged, their lift names meld's
    /// memory); a flat one has its handles translated.
    fn result_for_host(
        &mut self,
        b: &mut Body,
        id: LiftedId,
        shape: &Shape,
        args: &[Local],
    ) -> Result<Vec<Local>> {
        let Some(result) = shape.result else {
            return Ok(Vec::new());
        };
        if returns_through_memory(&self.codegen.tys, shape) {
            if !self.ctx.adapters.staged_exports.contains(&id) {
                return Err(Error::internal(
                    "an async root export that returns through memory is not staged",
                ));
            }
            let lifted = self.graph().lifted[id.0].clone();
            let callee = (self.ctx.side)(&lifted.options, lifted.component)?;
            let stage = self.stage(true)?;
            let spilled = return_spilled(&self.codegen.tys, shape);
            return self
                .codegen
                .stage_return(b, result, args, spilled, callee, stage);
        }
        if let Some(handles) = self.handles(id)? {
            let slots: Vec<Slot> = args.iter().map(|l| Slot::exact(*l)).collect();
            self.codegen
                .rebase_stack(b, result, &slots, handles.rebase(Way::ToHost))?;
        }
        Ok(args.to_vec())
    }

    /// A stackful root export's core results `raw` made the host's when
    /// its task returns: the values its host call hands to `task.return`
    /// (see [`Self::deferred_flat`]). One flat value as
    /// [`Self::result_for_host`] makes it; a result the component
    /// returned through memory is read out of it at once (such exports
    /// are staged): copied whole into the stage heap when `task.return`
    /// takes a pointer, else loaded as the flat values it takes (strings
    /// and lists copied into the stage heap, handles the host's).
    fn stackful_result(
        &mut self,
        b: &mut Body,
        id: LiftedId,
        shape: &Shape,
        raw: &[Local],
    ) -> Result<Vec<Local>> {
        let Some(result) = shape.result else {
            return Ok(Vec::new());
        };
        if !shape.spill_results {
            return self.result_for_host(b, id, shape, raw);
        }
        let lifted = self.graph().lifted[id.0].clone();
        let callee = (self.ctx.side)(&lifted.options, lifted.component)?;
        let stage = self.stage(true)?;
        let (size, align) = {
            let info = self.codegen.tys.info(result);
            (info.size, info.align)
        };
        check_block(b, callee.memory()?, raw[0], size, align);
        if return_spilled(&self.codegen.tys, shape) {
            return self
                .codegen
                .stage_return(b, result, &raw[..1], true, callee, stage);
        }
        let src = Src::Mem(place(callee.memory()?, raw[0]));
        self.codegen.stage_flat(b, result, &src, callee, stage)
    }

    /// The core types of [`Self::result_for_host`]'s values.
    fn deferred_flat(&self, shape: &Shape) -> Vec<Flat> {
        match shape.result {
            Some(_) if return_spilled(&self.codegen.tys, shape) => vec![Flat::I32; 2],
            _ => return_params(&self.codegen.tys, shape),
        }
    }

    /// [`Self::result_for_host`]'s values to root export `id`'s host
    /// `task.return` (a copy in meld's memory freed after).
    fn hand_to_host(
        &mut self,
        b: &mut Body,
        id: LiftedId,
        shape: &Shape,
        values: &[Local],
    ) -> Result<()> {
        let host = self.host_return(id)?;
        match shape.result {
            Some(result) if returns_through_memory(&self.codegen.tys, shape) => {
                let stage = self.stage(true)?;
                let spilled = return_spilled(&self.codegen.tys, shape);
                self.codegen
                    .hand_staged(b, result, values, spilled, stage, host)
            }
            _ => {
                for v in values {
                    b.get(*v);
                }
                b.ins(I::Call(host));
                Ok(())
            }
        }
    }

    /// [`AsyncFunc::HostDeliver`]: `(task)`, a root task whose result
    /// waits in its slots, in its call's turn with its ticket next: the
    /// result to the host (the export found by the task's return half).
    fn host_deliver(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32]);
        let task = args[0];
        let half = b.local(Flat::I32);
        slot(&mut b, &rt, task, RETURN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4))).set(half);
        let exports: Vec<LiftedId> = self
            .funcs
            .iter()
            .filter_map(|f| match f {
                AsyncFunc::Return(Site::Export(id)) => Some(*id),
                _ => None,
            })
            .collect();
        for id in exports {
            let shape = self.shape(id)?;
            b.get(half)
                .i32(self.entry_index(AsyncFunc::Return(Site::Export(id)))?)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            let values = load_args(&mut b, &rt, task, &self.deferred_flat(&shape));
            self.hand_to_host(&mut b, id, &shape, &values)?;
            b.ins(I::Return).ins(I::End);
        }
        let stackful: Vec<LiftedId> = self.ctx.adapters.stackful_exports.iter().copied().collect();
        for id in stackful {
            // (made the host's when its task returned: `stackful_result`)
            let shape = self.shape(id)?;
            b.get(half)
                .i32(STACKFUL_ROOT | id.0 as u32)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            let values = load_args(&mut b, &rt, task, &self.deferred_flat(&shape));
            self.hand_to_host(&mut b, id, &shape, &values)?;
            b.ins(I::Return).ins(I::End);
        }
        b.ins(I::Unreachable);
        Ok((
            "meld host deliver".to_string(),
            sig(&[Flat::I32], &[]),
            b.finish(),
        ))
    }

    /// The host's `task.return` of root export `id`, which the wrapper
    /// lifts `async`.
    fn host_return(&self, id: LiftedId) -> Result<u32> {
        self.ctx
            .host_returns
            .get(&id)
            .copied()
            .ok_or_else(|| Error::internal("a root export lifted async without task.return"))
    }

    /// The host's `context.get 0` (or `.set`).
    fn host_context(&self, set: bool) -> Result<u32> {
        let (get, put) = self
            .ctx
            .host_context
            .ok_or_else(|| Error::internal("an async root export without the host's context"))?;
        Ok(if set { put } else { get })
    }

    /// [`RuntimeFunc::Gate`]: when inner instance `args[0]`, which a sync
    /// root export enters, closes (`args[1]` 1: locked, or backpressure
    /// set) or opens again, the fused component's backpressure goes up or
    /// down with it, so that the host starts no call while one is closed
    /// (wasmtime starts none into it then, and a sync root export's task
    /// could not wait for it). Without the host's backpressure built-ins
    /// (no sync root export, or no host waitables to wait on) it does
    /// nothing.
    fn gate(&mut self) -> Result<Made> {
        let (mut b, args) = Body::new(&[Flat::I32; 2]);
        let host = |op| self.ctx.host_async.get(&op).copied();
        let ops = host(HostAsyncOp::BackpressureInc).zip(host(HostAsyncOp::BackpressureDec));
        let gated = self.ctx.adapters.gated_components(self.ctx.graph);
        if let (Some((inc, dec)), false) = (ops, gated.is_empty()) {
            for (i, component) in gated.iter().enumerate() {
                b.get(args[0]).i32(*component).ins(I::I32Eq);
                if i > 0 {
                    b.ins(I::I32Or);
                }
            }
            b.ins(I::If(BlockType::Empty))
                .get(args[1])
                .ins(I::If(BlockType::Empty))
                .ins(I::Call(inc))
                .ins(I::Else)
                .ins(I::Call(dec))
                .ins(I::End)
                .ins(I::End);
        }
        Ok((
            "meld tables gate".to_string(),
            sig(&[Flat::I32; 2], &[]),
            b.finish(),
        ))
    }

    /// The fused module's export for root export `id`: a task for the
    /// host's call. An async-lifted export runs its first turn (the
    /// runtime's high-priority work, as wasmtime starts host calls made at
    /// once before any yielded work) and returns its callback code; the
    /// callback runs the next turns. A sync-lifted one runs rounds until
    /// its task returned (a round in which nothing ran is a deadlock).
    fn host_entry(&mut self, id: LiftedId) -> Result<Made> {
        let lifted = self.graph().lifted[id.0].clone();
        let in_callee = |e: Error| e.in_component(self.ctx.graph.path(lifted.component));
        let shape = self.export_shape(id)?;
        let params = Params::of(&self.codegen.tys, &shape, MAX_FLAT_PARAMS).flat;
        let stackful = self.ctx.adapters.stackful_exports.contains(&id);
        let results = match (lifted.options.async_, stackful) {
            (true, _) => vec![Flat::I32],
            (false, true) => Vec::new(),
            (false, false) => shape.lifted.results.clone(),
        };
        let rt = self.rt_copy();
        let site = Site::Export(id);
        let (mut b, args) = Body::new(&params);
        let task = b.local(Flat::I32);
        b.i32(u32::MAX)
            .i32(lifted.component.0 as u32)
            .i32(self.kind(id)?)
            .i32(self.entry_index(AsyncFunc::Entry(site))?)
            .ins(I::Call(rt.begin))
            .set(task);
        store_args(&mut b, &rt, task, &args).map_err(in_callee)?;
        if stackful {
            // The turns of a callback-lifted export's task, run here: WAIT
            // waits on the host's set or the task's bell.
            slot(&mut b, &rt, task, RETURN_SLOT);
            b.i32(STACKFUL_ROOT | id.0 as u32)
                .ins(I::I32Store(memarg(rt.memory, 0, 4)));
            b.get(task).ins(I::Call(rt.pool_take));
            let code = b.local(Flat::I32);
            let turn = self.ctx.layout.async_index(AsyncFunc::HostTurn)?;
            b.get(task).ins(I::Call(turn)).set(code);
            b.ins(I::Block(BlockType::Empty))
                .ins(I::Loop(BlockType::Empty));
            b.get(code).i32(EXIT).ins(I::I32Eq).ins(I::BrIf(1));
            b.get(code)
                .i32(15)
                .ins(I::I32And)
                .i32(WAIT)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            b.get(code).i32(4).ins(I::I32ShrU);
            self.wait_on_stack_set(&mut b)?;
            b.ins(I::End);
            b.get(task).ins(I::Call(turn)).set(code);
            b.ins(I::Br(0)).ins(I::End).ins(I::End);
        } else if lifted.options.async_ {
            slot(&mut b, &rt, task, RETURN_SLOT);
            b.i32(self.entry_index(AsyncFunc::Return(site))?)
                .ins(I::I32Store(memarg(rt.memory, 0, 4)));
            b.get(task).ins(I::Call(self.host_context(true)?));
            if !self.ctx.host_async.is_empty() {
                // The bell and set of a root task that ended, if any.
                b.get(task).ins(I::Call(rt.pool_take));
            }
            b.get(task)
                .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostTurn)?));
        } else {
            let (before, rang) = (b.local(Flat::I32), b.local(Flat::I32));
            let hosted = !self.ctx.host_async.is_empty();
            b.ins(I::Loop(BlockType::Empty));
            if hosted {
                // The host's events, unless an async root task watches.
                b.ins(I::GlobalGet(rt.watcher))
                    .ins(I::I32Eqz)
                    .ins(I::If(BlockType::Empty))
                    .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostPoll)?))
                    .ins(I::End);
            }
            b.ins(I::GlobalGet(rt.ran)).set(before);
            b.i32(1).ins(I::Call(rt.run_round));
            b.get(task)
                .ins(I::Call(rt.has_returned))
                .ins(I::I32Eqz)
                .ins(I::If(BlockType::Empty));
            b.ins(I::GlobalGet(rt.ran))
                .get(before)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            // Nothing ran: unless the host's subtasks will report (the
            // host's wait blocks this call until one does; it traps unless
            // the export's type is async, as blocking there would), nothing
            // ever will in this call.
            if hosted {
                b.ins(I::GlobalGet(rt.host_pending))
                    .ins(I::I32Eqz)
                    .trap_if();
                let any_stackful = !self.ctx.adapters.stackful_exports.is_empty();
                if any_stackful {
                    // A stackful root task watches: its fiber runs beside
                    // this call and takes the host's events, so this call
                    // waits on a bell of its own, rung once its task
                    // returned (`HostRings`).
                    let (w, r, set) = (b.local(Flat::I32), b.local(Flat::I32), b.local(Flat::I32));
                    b.ins(I::GlobalGet(rt.watcher)).set(w);
                    b.get(w)
                        .ins(I::If(BlockType::Result(wasm_encoder::ValType::I32)));
                    slot(&mut b, &rt, w, RETURN_SLOT);
                    b.load(rt.memory, 0, 4, Flat::I32)
                        .i32(STACKFUL_ROOT)
                        .ins(I::I32And)
                        .ins(I::Else)
                        .i32(0)
                        .ins(I::End)
                        .ins(I::If(BlockType::Empty));
                    self.arm_bell(&mut b, task, r)?;
                    self.own_set(&mut b, task, set)?;
                    b.get(r)
                        .get(set)
                        .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
                    let one = b.local(Flat::I32);
                    b.i32(1).set(one);
                    self.set_bell_word(&mut b, task, BELL_WAITS, one);
                    b.get(set);
                    self.wait_on_stack_set(&mut b)?;
                    let zero = b.local(Flat::I32);
                    self.set_bell_word(&mut b, task, BELL_WAITS, zero);
                    b.ins(I::Else);
                }
                // An async root task waits on the host's set already. Its
                // callback cannot run before this call returns (wasmtime
                // holds it while a sync-lifted call is in the instance),
                // but the host's events would go to it first. Ringing its
                // bell (in the host's set) takes it off the set's waiters,
                // so that the set is this call's alone; its turn comes
                // once this call returns, with its bell's event, or a new
                // one if this call took it (below).
                b.ins(I::GlobalGet(rt.watcher))
                    .get(rang)
                    .ins(I::I32Eqz)
                    .ins(I::I32And)
                    .ins(I::If(BlockType::Empty));
                b.ins(I::GlobalGet(rt.watcher)).set(rang);
                self.bell_word(&mut b, rang, BELL_W);
                b.ins(I::If(BlockType::Empty))
                    .get(rang)
                    .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRing)?))
                    .ins(I::End);
                b.ins(I::End);
                self.host_wait(&mut b)?;
                if any_stackful {
                    b.ins(I::End);
                }
            } else {
                b.ins(I::Unreachable);
            }
            b.ins(I::End);
            b.ins(I::Br(1)).ins(I::End).ins(I::End);
            if hosted {
                // The watcher this call rang gets its turn: if this call
                // took its bell's event, from a new bell, rung.
                let r = b.local(Flat::I32);
                b.get(rang).ins(I::If(BlockType::Empty));
                self.bell_word(&mut b, rang, BELL_R);
                b.ins(I::I32Eqz).ins(I::If(BlockType::Empty));
                self.arm_bell(&mut b, rang, r)?;
                b.get(r)
                    .ins(I::GlobalGet(rt.host_set))
                    .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
                b.get(rang)
                    .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRing)?));
                b.ins(I::End).ins(I::End);
                if !self.ctx.adapters.stackful_exports.is_empty() {
                    // its bell and set, if it waited on them, to the pool
                    b.get(task)
                        .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRetire)?));
                }
                // Async root tasks that need a turn get it.
                b.get(task)
                    .i32(1)
                    .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRings)?));
            }
            let out = load_args(&mut b, &rt, task, &results);
            b.get(task).ins(I::Call(rt.forget));
            for local in out {
                b.get(local);
            }
        }
        Ok((
            format!("meld host entry {}", self.site_name(site)),
            sig(&params, &results),
            b.finish(),
        ))
    }

    /// One turn of root task `task`'s host call: the runtime's round of
    /// work (the first turn, from the host entry, only high-priority
    /// work); EXIT once the task returned, else YIELD.
    fn host_turn(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32]);
        let task = args[0];
        let (last, ticket) = (b.local(Flat::I32), b.local(Flat::I32));
        let hosted = !self.ctx.host_async.is_empty();
        // wasmtime runs this call's thread now: what the runtime makes
        // pending at the host is tied to it
        b.get(task).ins(I::GlobalSet(rt.host_turn));
        if hosted {
            // Awake; the host's events are its to take if it watches (or
            // nobody does).
            let zero = b.local(Flat::I32);
            self.set_bell_word(&mut b, task, BELL_WAITS, zero);
            b.ins(I::GlobalGet(rt.watcher))
                .ins(I::I32Eqz)
                .ins(I::GlobalGet(rt.watcher))
                .get(task)
                .ins(I::I32Eq)
                .ins(I::I32Or)
                .ins(I::If(BlockType::Empty))
                .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostPoll)?))
                .ins(I::End);
        }
        // A task that returned outside this call's turn, or after tasks
        // that have not handed their results over yet, left its result in
        // its slots with a ticket: it goes to the host now if that ticket
        // is next.
        slot(&mut b, &rt, task, WAITING_TURN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4))).set(ticket);
        b.get(ticket)
            .ins(I::GlobalGet(rt.served))
            .i32(1)
            .ins(I::I32Add)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        b.get(task).ins(I::Call(
            self.ctx.layout.async_index(AsyncFunc::HostDeliver)?,
        ));
        b.get(ticket).ins(I::GlobalSet(rt.served));
        slot(&mut b, &rt, task, WAITING_TURN_SLOT);
        b.i32(0).ins(I::I32Store(memarg(rt.memory, 0, 4)));
        b.ins(I::End);
        // The very first turn of a callback-lifted root task runs that task
        // alone, up to its first suspension (`run_only`): wasmtime starts
        // every host call made at once before the work the first one
        // queues, so what this one queues waits for the next turn, after
        // the other calls' first turns. The first full turn (no full turn
        // before it) runs only high-priority work.
        let alone = b.local(Flat::I32);
        slot(&mut b, &rt, task, LAST_RAN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4))).set(last);
        slot(&mut b, &rt, task, ALONE_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4))).ins(I::I32Eqz);
        slot(&mut b, &rt, task, RETURN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4)))
            .i32(STACKFUL_ROOT)
            .ins(I::I32And)
            .ins(I::I32Eqz)
            .ins(I::I32And)
            .ins(I::If(BlockType::Empty));
        slot(&mut b, &rt, task, ALONE_SLOT);
        b.i32(1).ins(I::I32Store(memarg(rt.memory, 0, 4)));
        b.get(task).ins(I::Call(rt.run_only)).set(alone);
        b.ins(I::End);
        b.get(alone)
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty))
            .get(last)
            .i32(0)
            .ins(I::I32Ne)
            .ins(I::Call(rt.run_round))
            .ins(I::End);
        b.i32(0).ins(I::GlobalSet(rt.host_turn));
        // Returned, its result handed over.
        b.get(task).ins(I::Call(rt.has_returned));
        slot(&mut b, &rt, task, WAITING_TURN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4)))
            .ins(I::I32Eqz)
            .ins(I::I32And)
            .ins(I::If(BlockType::Empty));
        if !self.ctx.adapters.stackful_exports.is_empty() {
            // A stackful root export's sync-lifted task returned: its
            // result to the host now (once: then it is marked delivered).
            undelivered(&mut b, &rt, task);
            b.ins(I::If(BlockType::Empty)).get(task).ins(I::Call(
                self.ctx.layout.async_index(AsyncFunc::HostDeliver)?,
            ));
            slot(&mut b, &rt, task, RETURN_SLOT);
            slot(&mut b, &rt, task, RETURN_SLOT);
            b.load(rt.memory, 0, 4, Flat::I32)
                .i32(STACKFUL_DELIVERED)
                .ins(I::I32Or)
                .store(rt.memory, 0, 4, Flat::I32);
            b.ins(I::End);
        }
        // It exits unless a read made in its turns is still pending at the
        // host (its call's thread must live on for it).
        slot(&mut b, &rt, task, HOLD_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4)))
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty));
        if hosted {
            b.get(task)
                .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRetire)?));
            b.get(task)
                .i32(1)
                .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRings)?));
        }
        b.get(task).ins(I::Call(rt.forget));
        b.i32(EXIT).ins(I::Return);
        b.ins(I::End).ins(I::End);
        // Nothing ran since this call's last turn, its task does not wait
        // for other calls' tasks to return first, and no host subtask will
        // report: a deadlock.
        slot(&mut b, &rt, task, WAITING_TURN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4)))
            .ins(I::I32Eqz)
            .get(last)
            .ins(I::GlobalGet(rt.ran))
            .ins(I::I32Eq)
            .ins(I::I32And);
        if hosted {
            b.ins(I::GlobalGet(rt.host_pending))
                .ins(I::I32Eqz)
                .ins(I::I32And);
        }
        b.trap_if();
        // (after a turn alone the next one is still the first full one)
        b.get(alone).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        slot(&mut b, &rt, task, LAST_RAN_SLOT);
        b.ins(I::GlobalGet(rt.ran))
            .ins(I::I32Store(memarg(rt.memory, 0, 4)));
        b.ins(I::End);
        if hosted {
            // Work left: YIELD. Else WAIT for the host's events or for
            // this task's bell (`HostPark`), and ring the bells of tasks
            // that need a turn.
            let code = b.local(Flat::I32);
            b.ins(I::Call(rt.queued))
                .ins(I::If(BlockType::Result(wasm_encoder::ValType::I32)))
                .i32(YIELD)
                .ins(I::Else)
                .get(task)
                .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostPark)?))
                .ins(I::End)
                .set(code);
            b.get(task)
                .i32(0)
                .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostRings)?));
            b.get(code);
        } else {
            b.i32(YIELD);
        }
        Ok((
            "meld host turn".to_string(),
            sig(&[Flat::I32], &[Flat::I32]),
            b.finish(),
        ))
    }

    /// The address (for the host) where it writes an event of its set.
    fn host_event_at(&self) -> Result<u32> {
        Ok(match &self.ctx.layout.shared {
            None => HOST_EVENT_AT,
            Some(plan) => HOST_EVENT_AT + plan.base(self.rt.memory)?,
        })
    }

    /// Blocks the running host call on the host's waitable set, then hands
    /// the event it got to the runtime.
    fn host_wait(&mut self, b: &mut Body) -> Result<()> {
        b.ins(I::GlobalGet(self.rt.host_set));
        self.wait_on_stack_set(b)
    }

    /// Blocks the running host call on the fused component's waitable set
    /// on the stack (`waitable-set.wait`), then hands the event it got to
    /// the runtime ([`AsyncFunc::HostEvent`]).
    fn wait_on_stack_set(&mut self, b: &mut Body) -> Result<()> {
        let rt = self.rt_copy();
        b.i32(self.host_event_at()?)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::SetWait)?));
        b.i32(HOST_EVENT_AT).load(rt.memory, 0, 4, Flat::I32);
        b.i32(HOST_EVENT_AT).load(rt.memory, 4, 4, Flat::I32);
        b.ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostEvent)?));
        Ok(())
    }

    /// [`AsyncFunc::HostEvent`]: `(code, hh, status)`; other events (a
    /// root task's NONE or CANCELLED) are not the host's subtasks'.
    fn host_event(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32; 3]);
        let (code, hh, status) = (args[0], args[1], args[2]);
        b.get(code)
            .i32(EVENT_SUBTASK)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        // A result that holds pointers or handles moves them first.
        b.get(hh)
            .get(status)
            .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostFix)?));
        b.get(hh)
            .get(status)
            .ins(I::Call(rt.host_event))
            .ins(I::If(BlockType::Empty));
        // Resolved: the runtime's subtask stands for it from now on.
        b.get(hh)
            .i32(0)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
        b.get(hh)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::SubtaskDrop)?));
        b.ins(I::End).ins(I::End);
        // A stream or future end's operation ended: the inner end gets the
        // event, and its end at the host leaves the host's set.
        let n = b.local(Flat::I32);
        b.get(code)
            .i32(2)
            .ins(I::I32GeU)
            .get(code)
            .i32(5)
            .ins(I::I32LeU)
            .ins(I::I32And)
            .ins(I::If(BlockType::Empty));
        b.get(hh).ins(I::Call(rt.end_find)).set(n);
        b.get(n).ins(I::If(BlockType::Empty));
        end_settled(&mut b, &rt, n);
        self.settle_pending(&mut b, n, status)?;
        b.get(hh)
            .i32(0)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
        // A write carried over to the host: the host's COMPLETED replaces
        // the event the count the inner reader took was in, its DROPPED
        // keeps that count, as wasmtime's do (COMPLETED(2) after an inner
        // reader took 1 of 3 and the host the other 2, DROPPED(1) when the
        // host dropped the rest: `partial`, `close` and `settle` in
        // `async_root_strings.wat`).
        let carry = b.local(Flat::I32);
        b.get(n).ins(I::Call(rt.end_carry)).set(carry);
        b.get(status)
            .i32(0xf)
            .ins(I::I32And)
            .i32(1)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty))
            .get(status)
            .get(carry)
            .ins(I::I32Add)
            .set(status)
            .ins(I::End);
        // a read's outcome may pin the end (`end_note`)
        b.get(code)
            .i32(EVENT_STREAM_READ)
            .ins(I::I32Eq)
            .get(code)
            .i32(EVENT_FUTURE_READ)
            .ins(I::I32Eq)
            .ins(I::I32Or)
            .ins(I::If(BlockType::Empty))
            .get(n)
            .get(status)
            .get(code)
            .i32(EVENT_FUTURE_READ)
            .ins(I::I32Eq)
            .ins(I::Call(rt.end_note))
            .ins(I::End);
        b.get(n).get(code).get(status).ins(I::Call(rt.set_event));
        b.ins(I::Return);
        b.ins(I::End).ins(I::End);
        // A root task's bell was rung: it is spent.
        b.get(code)
            .i32(EVENT_FUTURE_READ)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        let owner = b.local(Flat::I32);
        b.get(hh).ins(I::Call(rt.bell_owner)).set(owner);
        b.get(hh)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::BellDropReadable)?));
        for k in [BELL_R, BELL_W] {
            slot(&mut b, &rt, owner, k);
            b.i32(0).store(rt.memory, 0, 4, Flat::I32);
        }
        b.ins(I::End);
        Ok((
            "meld host subtask event".to_string(),
            sig(&[Flat::I32; 3], &[]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::HostPoll`].
    fn host_poll(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, _) = Body::new(&[]);
        let code = b.local(Flat::I32);
        b.ins(I::GlobalGet(rt.host_set))
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty))
            .ins(I::Return)
            .ins(I::End);
        b.ins(I::Loop(BlockType::Empty));
        b.ins(I::GlobalGet(rt.host_set))
            .i32(self.host_event_at()?)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::SetPoll)?))
            .set(code);
        b.get(code).ins(I::If(BlockType::Empty));
        b.get(code);
        b.i32(HOST_EVENT_AT).load(rt.memory, 0, 4, Flat::I32);
        b.i32(HOST_EVENT_AT).load(rt.memory, 4, 4, Flat::I32);
        b.ins(I::Call(self.ctx.layout.async_index(AsyncFunc::HostEvent)?));
        b.ins(I::Br(1));
        b.ins(I::End).ins(I::End);
        Ok((
            "meld host subtask poll".to_string(),
            sig(&[], &[]),
            b.finish(),
        ))
    }

    /// Pushes root task `task`'s bell word `k`.
    fn bell_word(&self, b: &mut Body, task: Local, k: u32) {
        slot(b, &self.rt, task, k);
        b.load(self.rt.memory, 0, 4, Flat::I32);
    }

    /// Stores the local `value` in root task `task`'s bell word `k`.
    fn set_bell_word(&self, b: &mut Body, task: Local, k: u32, value: Local) {
        slot(b, &self.rt, task, k);
        b.get(value).store(self.rt.memory, 0, 4, Flat::I32);
    }

    /// [`AsyncFunc::HostRing`]: `(task)`.
    fn host_ring(&mut self) -> Result<Made> {
        let (mut b, args) = Body::new(&[Flat::I32]);
        let (task, w) = (args[0], b.local(Flat::I32));
        self.bell_word(&mut b, task, BELL_W);
        b.set(w);
        b.get(w)
            .i32(self.host_event_at()? + 8)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::BellWrite)?))
            .ins(I::Drop);
        b.get(w)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::BellDropWritable)?));
        let zero = b.local(Flat::I32);
        self.set_bell_word(&mut b, task, BELL_W, zero);
        Ok((
            "meld host ring".to_string(),
            sig(&[Flat::I32], &[]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::HostRings`]: `(task, exiting)`.
    fn host_rings(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let ring = self.ctx.layout.async_index(AsyncFunc::HostRing)?;
        let (mut b, args) = Body::new(&[Flat::I32; 2]);
        let (exiting, q, rung) = (args[1], b.local(Flat::I32), b.local(Flat::I32));
        // The waiting root task whose results go to the host next (it
        // holds the next ticket; `task` itself runs, it does not wait).
        b.ins(I::Block(BlockType::Empty))
            .ins(I::Loop(BlockType::Empty));
        b.get(q).ins(I::Call(rt.waiting_root)).set(q);
        b.get(q).ins(I::I32Eqz).ins(I::BrIf(1));
        slot(&mut b, &rt, q, WAITING_TURN_SLOT);
        b.load(rt.memory, 0, 4, Flat::I32)
            .ins(I::GlobalGet(rt.served))
            .i32(1)
            .ins(I::I32Add)
            .ins(I::I32Eq);
        // (a stackful root export's task that returned has no ticket: its
        // turn hands its result over; nor has one that returned and waited
        // for the reads its turns left pending at the host, now over: its
        // turn exits)
        slot(&mut b, &rt, q, WAITING_TURN_SLOT);
        b.load(rt.memory, 0, 4, Flat::I32)
            .ins(I::I32Eqz)
            .get(q)
            .ins(I::Call(rt.has_returned))
            .ins(I::I32And);
        slot(&mut b, &rt, q, HOLD_SLOT);
        b.load(rt.memory, 0, 4, Flat::I32).ins(I::I32Eqz);
        undelivered(&mut b, &rt, q);
        b.ins(I::I32Or).ins(I::I32And).ins(I::I32Or);
        b.ins(I::If(BlockType::Empty));
        b.get(q).ins(I::Call(ring));
        b.i32(1).set(rung);
        b.ins(I::End);
        b.ins(I::Br(0)).ins(I::End).ins(I::End);
        // An ended task leaves work or host subtasks: one turn more.
        b.get(exiting)
            .get(rung)
            .ins(I::I32Eqz)
            .ins(I::I32And)
            .ins(I::Call(rt.queued))
            .ins(I::GlobalGet(rt.host_pending))
            .i32(0)
            .ins(I::I32Ne)
            .ins(I::I32Or)
            .ins(I::I32And)
            .ins(I::If(BlockType::Empty));
        b.i32(0).ins(I::Call(rt.waiting_root)).set(q);
        b.get(q).ins(I::If(BlockType::Empty));
        b.get(q).ins(I::Call(ring));
        b.ins(I::End).ins(I::End);
        Ok((
            "meld host rings".to_string(),
            sig(&[Flat::I32; 2], &[]),
            b.finish(),
        ))
    }

    /// Root task `task`'s bell's readable end into the local `r`: a new
    /// bell with a read pending unless it has one.
    fn arm_bell(&self, b: &mut Body, task: Local, r: Local) -> Result<()> {
        let (pair, w) = (b.local(Flat::I64), b.local(Flat::I32));
        self.bell_word(b, task, BELL_R);
        b.set(r);
        b.get(r).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        b.ins(I::Call(host_op(self.ctx, HostAsyncOp::BellNew)?))
            .set(pair);
        b.get(pair).ins(I::I32WrapI64).set(r);
        self.set_bell_word(b, task, BELL_R, r);
        b.get(pair)
            .ins(I::I64Const(32))
            .ins(I::I64ShrU)
            .ins(I::I32WrapI64)
            .set(w);
        self.set_bell_word(b, task, BELL_W, w);
        b.get(r)
            .i32(self.host_event_at()? + 8)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::BellRead)?))
            .ins(I::Drop);
        b.ins(I::End);
        Ok(())
    }

    /// Root task `task`'s own waitable set into the local `set`: a new one
    /// unless it has one.
    fn own_set(&self, b: &mut Body, task: Local, set: Local) -> Result<()> {
        self.bell_word(b, task, BELL_SET);
        b.set(set);
        b.get(set).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        b.ins(I::Call(host_op(self.ctx, HostAsyncOp::SetNew)?))
            .set(set);
        self.set_bell_word(b, task, BELL_SET, set);
        b.ins(I::End);
        Ok(())
    }

    /// [`AsyncFunc::HostPark`]: `(task) -> code`.
    fn host_park(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32]);
        let task = args[0];
        let (r, set) = (b.local(Flat::I32), b.local(Flat::I32));
        self.arm_bell(&mut b, task, r)?;
        let join = host_op(self.ctx, HostAsyncOp::Join)?;
        let waits = b.local(Flat::I32);
        // The watcher (the first to wait while host subtasks are pending)
        // waits on the host's set, with its bell.
        b.ins(I::GlobalGet(rt.host_pending))
            .i32(0)
            .ins(I::I32Ne)
            .ins(I::GlobalGet(rt.watcher))
            .ins(I::I32Eqz)
            .ins(I::GlobalGet(rt.watcher))
            .get(task)
            .ins(I::I32Eq)
            .ins(I::I32Or)
            .ins(I::I32And)
            .ins(I::If(BlockType::Empty));
        b.get(task).ins(I::GlobalSet(rt.watcher));
        b.ins(I::GlobalGet(rt.host_set)).set(set);
        b.i32(2).set(waits);
        b.ins(I::Else);
        self.own_set(&mut b, task, set)?;
        b.i32(1).set(waits);
        b.ins(I::End);
        b.get(r).get(set).ins(I::Call(join));
        self.set_bell_word(&mut b, task, BELL_WAITS, waits);
        b.get(set).i32(4).ins(I::I32Shl).i32(WAIT).ins(I::I32Or);
        Ok((
            "meld host park".to_string(),
            sig(&[Flat::I32], &[Flat::I32]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::HostRetire`]: `(task)`.
    fn host_retire(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32]);
        let task = args[0];
        let (r, set, zero) = (b.local(Flat::I32), b.local(Flat::I32), b.local(Flat::I32));
        b.ins(I::GlobalGet(rt.watcher))
            .get(task)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty))
            .i32(0)
            .ins(I::GlobalSet(rt.watcher))
            .ins(I::End);
        self.bell_word(&mut b, task, BELL_R);
        b.set(r);
        self.bell_word(&mut b, task, BELL_SET);
        b.set(set);
        b.get(r).ins(I::If(BlockType::Empty));
        // Out of the host's set, into its own.
        b.get(set).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        b.ins(I::Call(host_op(self.ctx, HostAsyncOp::SetNew)?))
            .set(set);
        b.ins(I::End);
        b.get(r)
            .get(set)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
        b.ins(I::End);
        b.get(r).get(set).ins(I::I32Or).ins(I::If(BlockType::Empty));
        b.get(r);
        self.bell_word(&mut b, task, BELL_W);
        b.get(set).ins(I::Call(rt.pool_put));
        b.ins(I::End);
        for k in [BELL_R, BELL_W, BELL_SET, BELL_WAITS] {
            self.set_bell_word(&mut b, task, k, zero);
        }
        Ok((
            "meld host retire".to_string(),
            sig(&[Flat::I32], &[]),
            b.finish(),
        ))
    }

    /// Whether the pointers in the result of async host call `id` move
    /// when it arrives: with one memory, if the result holds any.
    fn result_moves(&mut self, id: LoweringId) -> Result<bool> {
        if self.ctx.adapters.async_staged.contains(&id) {
            return Ok(self.staged_result(id)?.is_some());
        }
        if let Some((shape, _)) = self.host_handles(id)?
            && shape
                .result
                .is_some_and(|r| self.codegen.tys.info(r).handles)
        {
            return Ok(true);
        }
        let lowering = &self.ctx.graph.lowerings[id.0];
        if self.region(&lowering.options)?.is_none() {
            return Ok(false);
        }
        let Some(ty) = lowering.ty else {
            return Ok(false);
        };
        let shape = self
            .codegen
            .tys
            .host_shape(self.ctx.types, ty, "a host call")?;
        Ok(shape
            .result
            .is_some_and(|r| self.codegen.tys.info(r).memory))
    }

    /// The result type (handles as handles) of async host call `id` if
    /// it is staged ([`super::Adapters::async_staged`]) and has one.
    fn staged_result(&mut self, id: LoweringId) -> Result<Option<TyId>> {
        if !self.ctx.adapters.async_staged.contains(&id) {
            return Ok(None);
        }
        let shape =
            super::lowering_shape(self.ctx.graph, self.ctx.types, &mut self.codegen.tys, id)?
                .ok_or_else(|| Error::internal("a staged built-in"))?;
        Ok(shape.result)
    }

    /// Where staged host values lie: meld's memory.
    fn stage(&self, frees: bool) -> Result<super::staged::Stage> {
        Ok(super::staged::Stage {
            tables: super::tables_memory(self.ctx.layout)?,
            base: super::tables_base(self.ctx.layout)?,
            frees,
        })
    }

    /// The number `host_note` records for async host call `id`'s result
    /// (its position among the `HostResult`s, from 1).
    fn fix_number(&self, id: LoweringId) -> Result<u32> {
        self.funcs
            .iter()
            .filter(|f| matches!(f, AsyncFunc::HostResult(_)))
            .position(|f| *f == AsyncFunc::HostResult(id))
            .map(|k| k as u32 + 1)
            .ok_or_else(|| Error::internal("an async host call without its result function"))
    }

    /// The shape (handles as handles) and the caller's table of async host
    /// call `id`, if its values hold handles.
    fn host_handles(&mut self, id: LoweringId) -> Result<Option<(Shape, super::host::Handles)>> {
        if !self.ctx.adapters.handle_lowerings.contains(&id) {
            return Ok(None);
        }
        let shape =
            super::lowering_shape(self.ctx.graph, self.ctx.types, &mut self.codegen.tys, id)?
                .ok_or_else(|| Error::internal("handles in a built-in"))?;
        let lowering = &self.ctx.graph.lowerings[id.0];
        let memory = self.memory(&lowering.options.memory)?;
        Ok(Some((
            shape,
            super::host::Handles {
                memory,
                table: lowering.caller.0 as u32,
            },
        )))
    }

    /// [`AsyncFunc::HostFix`].
    fn host_fix(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32; 2]);
        let (hh, status) = (args[0], args[1]);
        let results: Vec<LoweringId> = self
            .funcs
            .iter()
            .filter_map(|f| match f {
                AsyncFunc::HostResult(id) => Some(*id),
                _ => None,
            })
            .collect();
        let mut moving = Vec::new();
        for id in results {
            if self.result_moves(id)? {
                moving.push(id);
            }
        }
        if moving.is_empty() {
            return Ok((
                "meld async host fix".to_string(),
                sig(&[Flat::I32; 2], &[]),
                b.finish(),
            ));
        }
        let (fix, ptr, area) = (b.local(Flat::I32), b.local(Flat::I32), b.local(Flat::I32));
        b.get(status)
            .i32(STATUS_RETURNED)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        b.get(hh).ins(I::Call(rt.host_fix)).set(fix);
        b.get(hh).ins(I::Call(rt.host_retptr)).set(ptr);
        b.get(hh).ins(I::Call(rt.host_area)).set(area);
        for id in &moving {
            b.get(fix)
                .i32(self.fix_number(*id)?)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty))
                .get(ptr)
                .get(area)
                .ins(I::Call(
                    self.ctx.layout.async_index(AsyncFunc::HostResult(*id))?,
                ))
                .ins(I::End);
        }
        if !self.ctx.adapters.async_staged.is_empty() {
            // cancelled before or after it started: no result came
            b.ins(I::Else);
            b.get(status)
                .i32(STATUS_START_CANCELLED)
                .ins(I::I32Eq)
                .get(status)
                .i32(STATUS_RETURN_CANCELLED)
                .ins(I::I32Eq)
                .ins(I::I32Or)
                .ins(I::If(BlockType::Empty));
            b.get(hh).ins(I::Call(rt.host_area)).set(area);
            b.get(area)
                .ins(I::If(BlockType::Empty))
                .get(area)
                .ins(I::Call(self.codegen.rt(RtFn::StageFree)))
                .ins(I::End);
            b.ins(I::End);
        }
        b.ins(I::End);
        Ok((
            "meld async host fix".to_string(),
            sig(&[Flat::I32; 2], &[]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::HostResult`]: `(retptr, area)`, the pointers of the
    /// result the host wrote at `retptr` move to region addresses, and its
    /// handles (the host's) into the caller's table; staged, the result
    /// the host wrote at `area` of meld's memory is copied to `retptr`.
    fn host_result(&mut self, id: LoweringId) -> Result<Made> {
        let (mut b, args) = Body::new(&[Flat::I32; 2]);
        if let Some(result) = self.staged_result(id)? {
            let lowering = &self.ctx.graph.lowerings[id.0];
            let caller = (self.ctx.side)(&lowering.options, lowering.caller)?;
            let stage = self.stage(true)?;
            self.codegen
                .unstage_result(&mut b, result, args[1], args[0], caller, stage)?;
            return Ok((
                "meld async host call result (staged)".to_string(),
                sig(&[Flat::I32; 2], &[]),
                b.finish(),
            ));
        }
        let lowering = self.ctx.graph.lowerings[id.0].clone();
        if let (Some(region), Some(ty)) = (self.region(&lowering.options)?, lowering.ty) {
            let shape = self
                .codegen
                .tys
                .host_shape(self.ctx.types, ty, "a host call")?;
            if let Some(result) = shape.result {
                let place = Place {
                    memory: region.memory,
                    addr: args[0],
                    offset: 0,
                };
                self.codegen
                    .rebase_mem(&mut b, result, place, region.rebase(Way::FromHost))?;
            }
        }
        if let Some((shape, handles)) = self.host_handles(id)?
            && let Some(result) = shape.result
        {
            let place = Place {
                memory: handles.memory.unwrap_or(u32::MAX),
                addr: args[0],
                offset: 0,
            };
            self.codegen
                .rebase_mem(&mut b, result, place, handles.rebase(Way::FromHost))?;
        }
        Ok((
            "meld async host call result".to_string(),
            sig(&[Flat::I32; 2], &[]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::HostCall`]: the host's async call, then (unless it
    /// returned at once) a subtask in the caller's table for the host's
    /// subtask, which joins the fused component's waitable set.
    fn host_call(&mut self, id: LoweringId) -> Result<Made> {
        if self.ctx.graph.blocks_on_host(id) {
            return self.blocking_host_call(id);
        }
        if self.ctx.adapters.async_staged.contains(&id) {
            return self.staged_host_call(id);
        }
        let site = self.host_site(id)?;
        let shape = &site.shape;
        let spilled = self.codegen.tys.info(shape.tuple).flat.len() > MAX_FLAT_ASYNC_PARAMS;
        let region = self.region(&site.lowering.options)?;
        let (mut b, args) = Body::new(&site.params);
        b.check_may_leave(site.caller.may_leave);
        // With one memory, the host reads the parameters and writes the
        // result at memory addresses (after the bounds checks of the
        // caller's region), as the sync lowering wrapper has it; the
        // pointers in a result that arrives later move when its event
        // reaches the runtime (`AsyncFunc::HostResult`).
        let mut async_shape = shape.clone();
        async_shape.spill_params = spilled;
        let retptr = shape.result.map(|_| args[args.len() - 1]);
        let params_in = match retptr {
            Some(_) => &args[..args.len() - 1],
            None => &args[..],
        };
        // Strings or lists in memory: the host reads a copy of the
        // parameters in the scratch area, in the caller's encoding, as the
        // lowering says (`Adapters::moved_lowerings`), never the caller's
        // pointers moved in place.
        let moved =
            region.filter(|r| r.base != 0 && self.ctx.adapters.moved_lowerings.contains(&id));
        let code = b.local(Flat::I32);
        if let Some(region) = moved {
            let mut handles_shape =
                super::lowering_shape(self.ctx.graph, self.ctx.types, &mut self.codegen.tys, id)?
                    .ok_or_else(|| Error::internal("a moved built-in"))?;
            handles_shape.spill_params = spilled;
            if let (Some(retptr), Some(result)) = (retptr, shape.result) {
                region.check_block(&mut b, retptr, self.codegen.tys.info(result).size);
            }
            let caller = site.caller;
            self.codegen
                .stage_params(
                    &mut b,
                    &handles_shape,
                    params_in,
                    spilled,
                    caller,
                    self.stage(false)?,
                    caller.encoding,
                )
                .map_err(|e| e.in_component(self.ctx.graph.path(site.lowering.caller)))?;
            if let Some(retptr) = retptr {
                b.get(retptr).i32(region.base).ins(I::I32Add);
            }
        } else {
            self.push_host_params(&mut b, id, &site, region, &args, retptr, spilled)?;
        }
        b.ins(I::Call(self.ctx.layout.lowering_import(id)?))
            .set(code);
        if let (None, Some(region)) = (moved, region) {
            self.codegen.rebase_params(
                &mut b,
                &async_shape,
                params_in,
                region.rebase(Way::FromHost),
            )?;
        }
        let moving = match (retptr, self.result_moves(id)?) {
            (Some(retptr), true) => Some((retptr, None)),
            _ => None,
        };
        self.host_call_end(&mut b, id, code, moving)?;
        Ok((
            format!("meld async host call {}#{}", site.module, site.field),
            site.core,
            b.finish(),
        ))
    }

    /// Pushes the arguments of async host call `id` (`args`, the return
    /// pointer last when there is one) as the host reads them: handles
    /// given to the host, and with a `region`, checked and moved to memory
    /// addresses in place (moved back after the call).
    #[expect(
        clippy::too_many_arguments,
        reason = "the call, its site, and its arguments' layout"
    )]
    fn push_host_params(
        &mut self,
        b: &mut Body,
        id: LoweringId,
        site: &HostSite,
        region: Option<Region>,
        args: &[Local],
        retptr: Option<Local>,
        spilled: bool,
    ) -> Result<()> {
        let shape = &site.shape;
        let mut async_shape = shape.clone();
        async_shape.spill_params = spilled;
        let params_in = match retptr {
            Some(_) => &args[..args.len() - 1],
            None => args,
        };
        // Handles in the parameters: own ones leave the caller's table, the
        // host gets its own for borrowed ones (its lends are the fused
        // component's, which the host's table keeps until the subtask
        // resolves). Those in memory make the call staged.
        if let Some((hshape, handles)) = self.host_handles(id)? {
            let mut flat_shape = hshape.clone();
            flat_shape.spill_params = false;
            self.codegen
                .rebase_params(b, &flat_shape, params_in, handles.rebase(Way::ToHost))?;
        }
        if let Some(region) = region {
            if spilled {
                region.check_block(b, args[0], self.codegen.tys.info(shape.tuple).size);
            }
            if let (Some(retptr), Some(result)) = (retptr, shape.result) {
                region.check_block(b, retptr, self.codegen.tys.info(result).size);
            }
            self.codegen
                .rebase_params(b, &async_shape, params_in, region.rebase(Way::ToHost))?;
        }
        let base = region.map_or(0, |r| r.base);
        for (i, a) in args.iter().enumerate() {
            b.get(*a);
            let pointer = (spilled && i == 0) || (retptr == Some(*a) && i == args.len() - 1);
            if pointer && base != 0 {
                b.i32(base).ins(I::I32Add);
            }
        }
        Ok(())
    }

    /// What an async host call's function starts from.
    fn host_site(&mut self, id: LoweringId) -> Result<HostSite> {
        let graph = self.ctx.graph;
        let lowering = graph.lowerings[id.0].clone();
        let (module, field) = graph.host_name(&lowering.item);
        let ty = lowering
            .ty
            .ok_or_else(|| Error::internal("an async lowering without a function type"))?;
        let shape = self
            .codegen
            .tys
            .host_shape(self.ctx.types, ty, &format!("`{module}#{field}`"))
            .map_err(|e| e.in_component(graph.path(lowering.caller)))?;
        let core = crate::boundary::async_lowered(&shape, &self.codegen.tys);
        let params = core.params().iter().map(Flat::of).collect::<Result<_>>()?;
        Ok(HostSite {
            caller: (self.ctx.side)(&lowering.options, lowering.caller)?,
            lowering,
            module,
            field,
            shape,
            core,
            params,
        })
    }

    /// The end of an async host call that returned `code`: at once, a
    /// result that moves (`moving`: its return pointer, and its block of
    /// the stage heap if it is staged) moves now; else a subtask in the
    /// caller's table follows the host's, which joins the fused
    /// component's waitable set, and the result moves at its event.
    fn host_call_end(
        &mut self,
        b: &mut Body,
        id: LoweringId,
        code: Local,
        moving: Option<(Local, Option<Local>)>,
    ) -> Result<()> {
        let rt = self.rt_copy();
        fn area(b: &mut Body, area: Option<Local>) -> &mut Body {
            match area {
                Some(area) => b.get(area),
                None => b.i32(0),
            }
        }
        // Returned at once: no subtask (the result is in).
        b.get(code)
            .i32(4)
            .ins(I::I32ShrU)
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty));
        if let Some((retptr, staged)) = moving {
            b.get(retptr);
            area(b, staged).ins(I::Call(
                self.ctx.layout.async_index(AsyncFunc::HostResult(id))?,
            ));
        }
        b.get(code).ins(I::Return).ins(I::End);
        self.join_host_set(b, code)?;
        b.i32(self.ctx.graph.lowerings[id.0].caller.0 as u32)
            .get(code)
            .ins(I::Call(rt.host_begin));
        if let Some((retptr, staged)) = moving {
            b.i32(self.fix_number(id)?).get(retptr);
            area(b, staged).ins(I::Call(rt.host_note));
        }
        Ok(())
    }

    /// The host's subtask of a call that returned `code` (not at once)
    /// joins the fused component's waitable set of host subtasks.
    fn join_host_set(&self, b: &mut Body, code: Local) -> Result<()> {
        self.host_set(b)?;
        b.get(code)
            .i32(4)
            .ins(I::I32ShrU)
            .ins(I::GlobalGet(self.rt.host_set))
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
        Ok(())
    }

    /// A block of the stage heap for a staged host call's `result`: the
    /// local holding its address.
    fn result_block(&mut self, b: &mut Body, result: TyId) -> Local {
        let area = b.local(Flat::I32);
        b.i32(self.codegen.tys.info(result).size)
            .ins(I::Call(self.codegen.rt(RtFn::StageAlloc)))
            .set(area);
        area
    }

    /// [`AsyncFunc::HostCall`] of a sync call that blocks on the host
    /// ([`Graph::blocks_on_host`]), with the caller's sync signature, as
    /// wasmtime runs a sync lower of an async host function: the task
    /// checks that it may block; the host's async call reads the
    /// parameters from a copy in meld's scratch area and writes the result
    /// into a block of the stage heap (staged, as
    /// [`Self::staged_host_call`] does); unless it returned at once, the
    /// task waits for the host's subtask, which has no handle in the
    /// caller's table, while the other tasks run; then the result goes
    /// into the caller as a sync lower's (flat, or at its return pointer),
    /// the block freed.
    fn blocking_host_call(&mut self, id: LoweringId) -> Result<Made> {
        let graph = self.ctx.graph;
        let lowering = graph.lowerings[id.0].clone();
        let (module, field) = graph.host_name(&lowering.item);
        let in_caller = |e: Error| e.in_component(graph.path(lowering.caller));
        let shape = super::lowering_shape(graph, self.ctx.types, &mut self.codegen.tys, id)?
            .ok_or_else(|| Error::internal("a blocking host call without its shape"))?;
        let caller = (self.ctx.side)(&lowering.options, lowering.caller)?;
        let stage = self.stage(true)?;
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&shape.lowered.params);
        b.check_may_leave(caller.may_leave);
        // (wasmtime checks before anything else)
        b.ins(I::Call(rt.funcs.check_blocking));
        let (params, retptr) = match shape.spill_results {
            true => (&args[..args.len() - 1], args.last().copied()),
            false => (&args[..], None),
        };
        let host_spills = self.codegen.tys.info(shape.tuple).flat.len() > MAX_FLAT_ASYNC_PARAMS;
        self.codegen
            .stage_params(
                &mut b,
                &shape,
                params,
                host_spills,
                caller,
                stage,
                super::HOST_ENCODING,
            )
            .map_err(in_caller)?;
        let area = match shape.result {
            Some(result) => {
                let area = self.result_block(&mut b, result);
                b.get(area);
                if stage.base != 0 {
                    b.i32(stage.base).ins(I::I32Add);
                }
                Some((area, result))
            }
            None => None,
        };
        let code = b.local(Flat::I32);
        b.ins(I::Call(self.ctx.layout.lowering_import(id)?))
            .set(code);
        // Unless it returned at once, the host's subtask joins the host's
        // set, and the task waits for it.
        b.get(code)
            .i32(4)
            .ins(I::I32ShrU)
            .ins(I::If(BlockType::Empty));
        self.join_host_set(&mut b, code)?;
        let task = b.local(Flat::I32);
        b.i32(lowering.caller.0 as u32)
            .get(code)
            .ins(I::Call(rt.host_begin_sync))
            .set(task);
        b.ins(I::Loop(BlockType::Empty));
        b.get(task)
            .ins(I::Call(rt.call_sync_pending))
            .ins(I::If(BlockType::Empty));
        b.ins(I::Call(rt.funcs.suspend)).ins(I::Drop).ins(I::Br(1));
        b.ins(I::End).ins(I::End);
        b.ins(I::End);
        match (area, retptr) {
            (Some((area, result)), Some(retptr)) => {
                self.codegen
                    .unstage_result(&mut b, result, area, retptr, caller, stage)?;
            }
            (Some((area, result)), None) => {
                let out = self
                    .codegen
                    .unstage_flat(&mut b, result, area, caller, stage)?;
                for local in out {
                    b.get(local);
                }
            }
            (None, _) => {}
        }
        Ok((
            format!("meld blocking host call {module}#{field}"),
            shape.lowered.func_type(),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::HostCall`] of a staged call
    /// ([`super::Adapters::async_staged`]): the host reads the parameters
    /// from a copy in meld's scratch area (handles translated as the sync
    /// staged calls do) and writes the result into a block of the stage
    /// heap, copied into the caller's memory at `retptr` when the result
    /// comes (at once, or at its event: [`AsyncFunc::HostFix`]). The
    /// caller's memory never holds the host's handles, so it cannot give
    /// the runtime another handle to take for its own.
    fn staged_host_call(&mut self, id: LoweringId) -> Result<Made> {
        let site = self.host_site(id)?;
        let in_caller = |e: Error| e.in_component(self.ctx.graph.path(site.lowering.caller));
        let mut shape =
            super::lowering_shape(self.ctx.graph, self.ctx.types, &mut self.codegen.tys, id)?
                .ok_or_else(|| Error::internal("a staged built-in"))?;
        shape.spill_params = self.codegen.tys.info(shape.tuple).flat.len() > MAX_FLAT_ASYNC_PARAMS;
        let stage = self.stage(true)?;
        let (mut b, args) = Body::new(&site.params);
        b.check_may_leave(site.caller.may_leave);
        let retptr = shape.result.map(|_| args[args.len() - 1]);
        let params_in = match retptr {
            Some(_) => &args[..args.len() - 1],
            None => &args[..],
        };
        let area = shape.result.map(|result| self.result_block(&mut b, result));
        self.codegen
            .stage_params(
                &mut b,
                &shape,
                params_in,
                shape.spill_params,
                site.caller,
                stage,
                super::HOST_ENCODING,
            )
            .map_err(in_caller)?;
        if let Some(area) = area {
            b.get(area);
            if stage.base != 0 {
                b.i32(stage.base).ins(I::I32Add);
            }
        }
        let code = b.local(Flat::I32);
        b.ins(I::Call(self.ctx.layout.lowering_import(id)?))
            .set(code);
        let moving = retptr.zip(area).map(|(retptr, area)| (retptr, Some(area)));
        self.host_call_end(&mut b, id, code, moving)?;
        Ok((
            format!(
                "meld async host call {}#{} (staged)",
                site.module, site.field
            ),
            site.core,
            b.finish(),
        ))
    }

    /// The shim of stream, future or error-context built-in `id`: the
    /// fused component's built-in of the same type, behind handles in the
    /// caller's table (`waitables.wat`'s ends; an error context's handle
    /// holds the fused component's as its representation).
    fn end_shim(&mut self, id: AsyncBuiltinId, name: String) -> Result<Made> {
        use crate::decode::EndOp;
        let builtin = self.graph().async_builtins[id.0].clone();
        let ty = shims::func_type(&builtin.op)
            .ok_or_else(|| Error::internal("a stream built-in without a type"))?;
        let params: Vec<Flat> = ty.params().iter().map(Flat::of).collect::<Result<_>>()?;
        let family = self.native_family(&builtin);
        let bridged = family.is_some_and(|f| self.codegen.runtime.natives[f as usize].bridged);
        if let (Some(family), false) = (family, bridged) {
            let (mut b, args) = self.builtin_body(&params);
            self.native_ops(&mut b, &args, id, family)?;
            return Ok((name, ty, b.finish()));
        }
        if let AsyncOp::End {
            op: EndOp::Read | EndOp::Write,
            ..
        } = builtin.op
            && !self.ctx.layout.staged_ends.contains(&id)
            && self.payload_holds_handles(&builtin)
        {
            // The host would read or write the fused component's handles
            // where the component keeps its own.
            return Err(Error::unsupported(format!(
                "{name}: a stream or future whose type reaches the host and whose elements \
                 hold handles other than own handles, error contexts and readable ends \
                 (borrows)"
            )));
        }
        let (mut b, args) = self.builtin_body(&params);
        match (family, &builtin.op) {
            (None, _) => self.host_ops(&mut b, &args, id)?,
            // A bridged family's stream is meld's own when an inner
            // component makes it; its built-ins act on either kind of end.
            (Some(family), AsyncOp::End { op: EndOp::New, .. }) => {
                self.native_ops(&mut b, &args, id, family)?;
            }
            (Some(family), &AsyncOp::End { future, op, .. }) => {
                let result = match ty.results() {
                    [] => BlockType::Empty,
                    [one] => BlockType::Result(Flat::of(one)?.val()),
                    _ => return Err(Error::internal("an end built-in with two results")),
                };
                b.i32(builtin.caller.0 as u32)
                    .get(args[0])
                    .i32(end_tag(future, op))
                    .ins(I::Call(self.rt.end_native))
                    .ins(I::If(result));
                self.native_ops(&mut b, &args, id, family)?;
                b.ins(I::Else);
                self.host_ops(&mut b, &args, id)?;
                b.ins(I::End);
            }
            (Some(_), _) => return Err(Error::internal("a native family of another built-in")),
        }
        Ok((name, ty, b.finish()))
    }

    /// Makes the fused component's waitable set of host subtasks and ends
    /// if there is none yet.
    fn host_set(&self, b: &mut Body) -> Result<()> {
        b.ins(I::GlobalGet(self.rt.host_set))
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty))
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::SetNew)?))
            .ins(I::GlobalSet(self.rt.host_set))
            .ins(I::End);
        Ok(())
    }

    /// If `code` is BLOCKED, end record `n`'s operation is pending at the
    /// host. wasmtime ends a copy when its event is taken, and until then
    /// goes on copying into or out of it (a reader of a write takes its
    /// rest); so taking the event of an end nobody waits for would end the
    /// copy sooner than it ends in the original. Its end at the host joins
    /// the host's waitable set at once (`eager`) when its event must be
    /// taken as soon as it comes: a blocking operation waits for it, and a
    /// staged copy's values and handles move only then, where wasmtime
    /// moves them as it copies. Else only while the end is in one of its
    /// component's sets or waited for by a blocked writer, now or later
    /// (`waitable.join` follows: the runtime's `join` says what to join or
    /// leave).
    fn host_pends(
        &self,
        b: &mut Body,
        n: Local,
        code: Local,
        eager: bool,
        read: bool,
    ) -> Result<()> {
        let rt = &self.rt;
        b.get(code)
            .i32(u32::MAX)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        self.host_set(b)?;
        if !eager {
            b.get(n)
                .ins(I::Call(rt.watched))
                .ins(I::If(BlockType::Empty));
        }
        b.get(n).ins(I::Call(rt.end_host));
        b.ins(I::GlobalGet(rt.host_set))
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
        if !eager {
            b.ins(I::End);
        }
        b.get(n)
            .i32(1)
            .ins(I::Call(rt.end_busy))
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty))
            .ins(I::GlobalGet(rt.host_pending))
            .i32(1)
            .ins(I::I32Add)
            .ins(I::GlobalSet(rt.host_pending));
        if read {
            // A read made in a root task's turn holds that task: wasmtime
            // lowers what the host writes with the read's thread current.
            let root = b.local(Flat::I32);
            b.ins(I::GlobalGet(rt.host_turn)).set(root);
            b.get(n).get(root).ins(I::Call(rt.end_issuer)).ins(I::Drop);
            hold(b, rt, root, true);
        }
        b.ins(I::End);
        b.ins(I::End);
        Ok(())
    }

    /// The body of end or error-context built-in `id` acting on the fused
    /// component's ends and contexts (`args`: its parameters), its
    /// results left on the stack.
    fn host_ops(&mut self, b: &mut Body, args: &[Local], id: AsyncBuiltinId) -> Result<()> {
        use crate::decode::EndOp;
        let builtin = self.graph().async_builtins[id.0].clone();
        let inst = builtin.caller.0 as u32;
        let host = *self
            .ctx
            .host_builtins
            .get(&id)
            .ok_or_else(|| Error::internal("a stream built-in without the host's"))?;
        let rt = self.rt_copy();
        let memory = self.memory(&builtin.options.memory)?;
        let region = self.region(&builtin.options)?;
        let base = region.map_or(0, |r| r.base);
        match builtin.op {
            AsyncOp::End { future, op, async_ } => {
                let (readable, writable) =
                    (end_tag(future, EndOp::Read), end_tag(future, EndOp::Write));
                match op {
                    EndOp::New => {
                        let pair = b.local(Flat::I64);
                        b.ins(I::Call(host)).set(pair);
                        b.i32(inst)
                            .i32(readable)
                            .get(pair)
                            .ins(I::I32WrapI64)
                            .ins(I::Call(rt.end_new))
                            .ins(I::I64ExtendI32U);
                        b.i32(inst)
                            .i32(writable)
                            .get(pair)
                            .ins(I::I64Const(32))
                            .ins(I::I64ShrU)
                            .ins(I::I32WrapI64)
                            .ins(I::Call(rt.end_new))
                            .ins(I::I64ExtendI32U)
                            .ins(I::I64Const(32))
                            .ins(I::I64Shl)
                            .ins(I::I64Or);
                    }
                    EndOp::Read | EndOp::Write | EndOp::CancelRead | EndOp::CancelWrite => {
                        let tag = end_tag(future, op);
                        let (n, code) = (b.local(Flat::I32), b.local(Flat::I32));
                        if !async_ {
                            // wasmtime: a blocking variant in a sync-typed
                            // task traps even when it would not block
                            b.ins(I::Call(rt.funcs.check_blocking));
                        }
                        b.i32(inst)
                            .get(args[0])
                            .i32(tag)
                            .i32(u32::MAX)
                            .ins(I::Call(rt.end_record))
                            .set(n);
                        if let (false, EndOp::CancelRead | EndOp::CancelWrite) = (async_, op) {
                            // "waitable cannot be used synchronously while
                            // added to a waitable set"
                            b.get(n).ins(I::Call(rt.set_of)).trap_if();
                        }
                        let staged = match op {
                            EndOp::Read | EndOp::Write
                                if self.ctx.layout.staged_ends.contains(&id) =>
                            {
                                Some(self.stage_copy(b, id, op == EndOp::Write, future, args)?)
                            }
                            _ => None,
                        };
                        b.get(n).ins(I::Call(rt.end_host));
                        if let (Some(region), EndOp::Read | EndOp::Write, None) =
                            (region, op, staged)
                        {
                            // With one memory, what the host reads or
                            // writes must be the caller's region's.
                            let unit = self
                                .plain_size(&builtin)?
                                .ok_or_else(|| Error::internal("a payload with pointers"))?;
                            let count = match future {
                                true => {
                                    let one = b.local(Flat::I32);
                                    b.i32(1).set(one);
                                    one
                                }
                                false => args[2],
                            };
                            region.check_span(b, args[1], count, unit);
                        }
                        if let Some(block) = staged {
                            // the host copies from or into the block
                            let tables = self.stage(false)?;
                            b.get(block).i32(STAGE_HEADER + tables.base).ins(I::I32Add);
                            if !future {
                                b.get(args[2]);
                            }
                        } else if matches!(op, EndOp::Read | EndOp::Write) {
                            b.get(args[1]);
                            if base != 0 {
                                b.i32(base).ins(I::I32Add);
                            }
                            if !future {
                                b.get(args[2]);
                            }
                        }
                        b.ins(I::Call(host)).set(code);
                        if let Some(block) = staged {
                            self.settle_or_park(b, n, block, code)?;
                        } else if matches!(op, EndOp::CancelRead | EndOp::CancelWrite) {
                            // a cancel that ended the operation settles it
                            self.settle_pending(b, n, code)?;
                        }
                        let family = self.native_family(&builtin);
                        let bridged = family
                            .is_some_and(|f| self.codegen.runtime.natives[f as usize].bridged);
                        if let (EndOp::Write, Some(family), true) = (op, family, bridged) {
                            // kept while its reader is lent (`BridgeSettle`)
                            let sides = &self.codegen.runtime.natives[family as usize].sides;
                            let side = sides.iter().position(|s| *s == id).ok_or_else(|| {
                                Error::internal("a bridged write that is not its family's side")
                            })?;
                            b.get(n).get(args[1]);
                            match future {
                                true => b.i32(1),
                                false => b.get(args[2]),
                            };
                            b.i32(side as u32).ins(I::Call(rt.end_note_write));
                        }
                        if let (EndOp::CancelWrite, false, true) = (op, future, bridged) {
                            self.cancel_carried(b, n, code);
                        }
                        if let EndOp::Read | EndOp::CancelRead = op {
                            // A read that ended may pin the end (`end_note`).
                            b.get(code)
                                .i32(u32::MAX)
                                .ins(I::I32Ne)
                                .ins(I::If(BlockType::Empty))
                                .get(n)
                                .get(code)
                                .i32(future as u32)
                                .ins(I::Call(rt.end_note))
                                .ins(I::End);
                        }
                        match op {
                            EndOp::Read | EndOp::Write => {
                                let eager = !async_ || staged.is_some();
                                self.host_pends(b, n, code, eager, op == EndOp::Read)?
                            }
                            _ => {
                                if !async_ {
                                    // A blocking cancel waits for the
                                    // event of an operation that may have
                                    // pended unwatched: its end joins the
                                    // host's set now.
                                    self.host_pends(b, n, code, true, false)?;
                                }
                                // Ended at once: nothing pending any more.
                                b.get(code)
                                    .i32(u32::MAX)
                                    .ins(I::I32Ne)
                                    .ins(I::If(BlockType::Empty));
                                end_settled(b, &rt, n);
                                b.get(n).ins(I::Call(rt.end_host));
                                b.i32(0).ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
                                b.ins(I::End);
                            }
                        }
                        if !async_ {
                            // blocked: it must not be in a set
                            b.get(code)
                                .i32(u32::MAX)
                                .ins(I::I32Eq)
                                .get(n)
                                .ins(I::Call(rt.set_of))
                                .ins(I::I32Const(0))
                                .ins(I::I32Ne)
                                .ins(I::I32And)
                                .trap_if();
                            wait_for_end(b, &rt, n, code);
                        }
                        b.get(code);
                    }
                    EndOp::DropReadable | EndOp::DropWritable => {
                        let tag = end_tag(future, op);
                        let (n, hh) = (b.local(Flat::I32), b.local(Flat::I32));
                        b.i32(inst)
                            .get(args[0])
                            .i32(tag)
                            .i32(u32::MAX)
                            .ins(I::Call(rt.end_record))
                            .set(n);
                        b.get(n).ins(I::Call(rt.end_host)).set(hh);
                        end_settled(b, &rt, n);
                        // a staged copy still pending is given up
                        let cancelled = b.local(Flat::I32);
                        b.i32(COPY_CANCELLED).set(cancelled);
                        self.settle_pending(b, n, cancelled)?;
                        b.get(hh)
                            .i32(0)
                            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
                        b.get(hh).ins(I::Call(host));
                        b.i32(inst).get(args[0]).get(n).ins(I::Call(rt.end_free));
                    }
                }
            }
            AsyncOp::ErrorContextNew => {
                if let Some(region) = region {
                    let unit = match builtin.options.encoding {
                        crate::decode::StringEncoding::Utf8 => 1,
                        _ => 2,
                    };
                    region.check_span(b, args[0], args[1], unit);
                }
                b.get(args[0]);
                if base != 0 {
                    b.i32(base).ins(I::I32Add);
                }
                let ctx_handle = b.local(Flat::I32);
                b.get(args[1]).ins(I::Call(host)).set(ctx_handle);
                b.i32(inst).get(ctx_handle).ins(I::Call(rt.context_new));
            }
            AsyncOp::ErrorContextDebugMessage | AsyncOp::ErrorContextDrop => {
                let ctx_handle = b.local(Flat::I32);
                if let AsyncOp::ErrorContextDebugMessage = builtin.op {
                    b.i32(inst)
                        .get(args[0])
                        .ins(I::Call(rt.context_host))
                        .set(ctx_handle);
                    if let Some(region) = region {
                        region.check_block(b, args[1], 8);
                    }
                    b.get(ctx_handle).get(args[1]);
                    if base != 0 {
                        b.i32(base).ins(I::I32Add);
                    }
                    b.ins(I::Call(host));
                    if let (Some(memory), true) = (memory, base != 0) {
                        // the string's pointer, to a region address
                        b.get(args[1]);
                        b.get(args[1]).load(memory, 0, 4, Flat::I32);
                        b.i32(base).ins(I::I32Sub);
                        b.store(memory, 0, 4, Flat::I32);
                    }
                } else {
                    // The fused component's context goes with the last
                    // handle naming it.
                    b.i32(inst)
                        .get(args[0])
                        .ins(I::Call(rt.context_drop))
                        .set(ctx_handle);
                    b.get(ctx_handle)
                        .ins(I::If(BlockType::Empty))
                        .get(ctx_handle)
                        .ins(I::Call(host))
                        .ins(I::End);
                }
            }
            _ => return Err(Error::internal("not a stream built-in")),
        }
        Ok(())
    }

    /// After the host's read or write of a copy staged in `block` for end
    /// record `n` returned `code`: settled at once, or kept with the end
    /// until its event comes.
    fn settle_or_park(&self, b: &mut Body, n: Local, block: Local, code: Local) -> Result<()> {
        b.get(code)
            .i32(u32::MAX)
            .ins(I::I32Ne)
            .ins(I::If(BlockType::Empty))
            .get(block)
            .get(code)
            .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::EndFix)?))
            .ins(I::Else)
            .get(n)
            .get(block)
            .ins(I::Call(self.rt.end_set_stage))
            .ins(I::End);
        Ok(())
    }

    /// If end record `n` has a staged copy pending and `code` is not
    /// BLOCKED, settles it with `code` ([`AsyncFunc::EndFix`]).
    fn settle_pending(&self, b: &mut Body, n: Local, code: Local) -> Result<()> {
        if self.ctx.layout.staged_ends.is_empty() {
            return Ok(());
        }
        let rt = &self.rt;
        let block = b.local(Flat::I32);
        b.get(code)
            .i32(u32::MAX)
            .ins(I::I32Ne)
            .ins(I::If(BlockType::Empty));
        b.get(n).ins(I::Call(rt.end_stage)).set(block);
        b.get(block).ins(I::If(BlockType::Empty));
        b.get(n).i32(0).ins(I::Call(rt.end_set_stage));
        b.get(block)
            .get(code)
            .ins(I::Call(self.ctx.layout.async_index(AsyncFunc::EndFix)?));
        b.ins(I::End).ins(I::End);
        b.free(block);
        Ok(())
    }

    /// The payload of staged end built-in `id`, its component's side and
    /// where meld's memory is.
    fn staged_payload(&mut self, id: AsyncBuiltinId) -> Result<(TyId, Side, super::staged::Stage)> {
        let builtin = self.graph().async_builtins[id.0].clone();
        let payload = payload_ty(
            self.ctx.graph,
            self.ctx.types,
            &mut self.codegen.tys,
            &builtin,
        )
        .ok_or_else(|| Error::internal("a staged copy without its payload"))?;
        let side = (self.ctx.side)(&builtin.options, builtin.caller)?;
        Ok((payload, side, self.stage(false)?))
    }

    /// Runs `each` for element index `i` from `from` up to (not including)
    /// `to`.
    fn each_element(
        &mut self,
        b: &mut Body,
        from: Local,
        to: Local,
        mut each: impl FnMut(&mut Self, &mut Body, Local) -> Result<()>,
    ) -> Result<()> {
        let i = b.local(Flat::I32);
        b.get(from).set(i);
        b.ins(I::Block(BlockType::Empty))
            .ins(I::Loop(BlockType::Empty));
        b.get(i).get(to).ins(I::I32GeU).ins(I::BrIf(1));
        each(self, b, i)?;
        b.get(i).i32(1).ins(I::I32Add).set(i);
        b.ins(I::Br(0)).ins(I::End).ins(I::End);
        b.free(i);
        Ok(())
    }

    /// Pushes nothing; sets `at` to `base + i * size`.
    fn element_at(b: &mut Body, at: Local, base: Local, offset: u32, i: Local, size: u32) {
        b.get(base)
            .i32(offset)
            .ins(I::I32Add)
            .get(i)
            .i32(size)
            .ins(I::I32Mul)
            .ins(I::I32Add)
            .set(at);
    }

    /// Stages staged end built-in `id`'s read or write (`args`: its
    /// parameters): checks the component's buffer as wasmtime does, takes
    /// a block of the stage heap for the copy's record and its elements,
    /// and, for a write, copies the elements into it (strings and lists
    /// into blocks of their own, own handles lent: `RtFn::OwnLend`).
    /// Returns the block.
    fn stage_copy(
        &mut self,
        b: &mut Body,
        id: AsyncBuiltinId,
        write: bool,
        future: bool,
        args: &[Local],
    ) -> Result<Local> {
        let (payload, side, stage) = self.staged_payload(id)?;
        let (size, align) = (
            self.codegen.tys.info(payload).size,
            self.codegen.tys.info(payload).align,
        );
        let memory = side.memory()?;
        let count = match future {
            true => {
                let one = b.local(Flat::I32);
                b.i32(1).set(one);
                one
            }
            false => args[2],
        };
        b.check_align(args[1], align);
        b.check_range(memory, args[1], count, size);
        // the block's size must not wrap around (a buffer of nearly 4 GiB):
        // the stage heap takes at most 1 GiB
        // a write of inner components' own handles keeps a shadow of the
        // writer's elements after the staged ones (`RtFn::InnerSettle`)
        let shadow = write && self.codegen.shadowed(payload);
        let copies = if shadow { 2 } else { 1 };
        b.get(count)
            .ins(I::I64ExtendI32U)
            .ins(I::I64Const(i64::from(size * copies)))
            .ins(I::I64Mul)
            .ins(I::I64Const(1 << 30))
            .ins(I::I64GtU)
            .trap_if();
        let block = b.local(Flat::I32);
        b.get(count)
            .i32(size * copies)
            .ins(I::I32Mul)
            .i32(STAGE_HEADER)
            .ins(I::I32Add)
            .ins(I::Call(self.codegen.rt(RtFn::StageAlloc)))
            .set(block);
        let t = stage.tables;
        b.get(block)
            .i32(self.end_fix_number(id)?)
            .store(t, 0, 4, Flat::I32);
        b.get(block).get(args[1]).store(t, 4, 4, Flat::I32);
        b.get(block).get(count).store(t, 8, 4, Flat::I32);
        if write {
            let lent = Side {
                memory: Some(t),
                realloc: Some(self.codegen.rt(RtFn::StageRealloc)),
                encoding: super::staged::HOST_ENCODING,
                may_leave: None,
                table: super::resources::HOST_LENT,
                frees: false,
            };
            let (src, dst, zero) = (b.local(Flat::I32), b.local(Flat::I32), b.local(Flat::I32));
            b.i32(0).set(zero);
            let buffer = args[1];
            if shadow {
                // the shadow: the elements' bytes as the writer wrote them
                b.get(block)
                    .i32(STAGE_HEADER)
                    .ins(I::I32Add)
                    .get(count)
                    .i32(size)
                    .ins(I::I32Mul)
                    .ins(I::I32Add)
                    .get(buffer)
                    .get(count)
                    .i32(size)
                    .ins(I::I32Mul)
                    .ins(I::MemoryCopy {
                        src_mem: memory,
                        dst_mem: t,
                    });
            }
            self.each_element(b, zero, count, |g, b, i| {
                Self::element_at(b, src, buffer, 0, i, size);
                Self::element_at(b, dst, block, STAGE_HEADER, i, size);
                g.codegen.translate(
                    b,
                    payload,
                    &Src::Mem(Place {
                        memory,
                        addr: src,
                        offset: 0,
                    }),
                    &Dst::Mem(Place {
                        memory: t,
                        addr: dst,
                        offset: 0,
                    }),
                    Dir {
                        src: side,
                        dst: lent,
                    },
                )?;
                let to_host = stage.rebase(Way::ToHost);
                g.codegen.rebase_mem(
                    b,
                    payload,
                    Place {
                        memory: t,
                        addr: dst,
                        offset: 0,
                    },
                    to_host,
                )
            })?;
        }
        Ok(block)
    }

    /// The number a staged copy's record holds for built-in `id`'s
    /// `EndSettle` (from 1).
    fn end_fix_number(&self, id: AsyncBuiltinId) -> Result<u32> {
        self.ctx
            .layout
            .staged_ends
            .iter()
            .position(|x| *x == id)
            .map(|k| k as u32 + 1)
            .ok_or_else(|| Error::internal("a staged copy of a built-in that is not staged"))
    }

    /// [`AsyncFunc::EndSettle`].
    fn end_settle(&mut self, id: AsyncBuiltinId) -> Result<Made> {
        use crate::decode::EndOp;
        let AsyncOp::End { future, op, .. } = self.graph().async_builtins[id.0].op else {
            return Err(Error::internal("a staged copy of another built-in"));
        };
        let (payload, side, stage) = self.staged_payload(id)?;
        let size = self.codegen.tys.info(payload).size;
        let t = stage.tables;
        let (mut b, args) = Body::new(&[Flat::I32; 2]);
        let (block, code) = (args[0], args[1]);
        let (buffer, count, taken, zero, at) = (
            b.local(Flat::I32),
            b.local(Flat::I32),
            b.local(Flat::I32),
            b.local(Flat::I32),
            b.local(Flat::I32),
        );
        b.get(block).load(t, 4, 4, Flat::I32).set(buffer);
        b.get(block).load(t, 8, 4, Flat::I32).set(count);
        b.i32(0).set(zero);
        // the elements the host took or wrote: a future's one when its code
        // is COMPLETED, else a stream's count
        match future {
            true => b
                .get(code)
                .i32(0xf)
                .ins(I::I32And)
                .ins(I::I32Eqz)
                .set(taken),
            false => b.get(code).i32(4).ins(I::I32ShrU).set(taken),
        };
        b.get(taken)
            .get(count)
            .get(taken)
            .get(count)
            .ins(I::I32LtU)
            .ins(I::Select)
            .set(taken);
        let rebase = |way, handles, frees| super::rebase::Rebase {
            handles,
            frees,
            ..stage.rebase(way)
        };
        match op {
            EndOp::Read => {
                let host = Side {
                    memory: Some(t),
                    realloc: None,
                    encoding: super::staged::HOST_ENCODING,
                    may_leave: None,
                    table: super::resources::HOST,
                    frees: true,
                };
                let memory = side.memory()?;
                let dst = b.local(Flat::I32);
                self.each_element(&mut b, zero, taken, |g, b, i| {
                    Self::element_at(b, at, block, STAGE_HEADER, i, size);
                    Self::element_at(b, dst, buffer, 0, i, size);
                    let from = Place {
                        memory: t,
                        addr: at,
                        offset: 0,
                    };
                    g.codegen
                        .rebase_mem(b, payload, from, rebase(Way::FromHost, None, false))?;
                    g.codegen.translate(
                        b,
                        payload,
                        &Src::Mem(from),
                        &Dst::Mem(Place {
                            memory,
                            addr: dst,
                            offset: 0,
                        }),
                        Dir {
                            src: host,
                            dst: side,
                        },
                    )
                })?;
            }
            EndOp::Write => {
                if self.codegen.shadowed(payload) {
                    b.i32(super::resources::SHADOW)
                        .get(count)
                        .i32(size)
                        .ins(I::I32Mul)
                        .store(t, 0, 4, Flat::I32);
                }
                for (from, to, took) in [(zero, taken, true), (taken, count, false)] {
                    self.each_element(&mut b, from, to, |g, b, i| {
                        Self::element_at(b, at, block, STAGE_HEADER, i, size);
                        let place = Place {
                            memory: t,
                            addr: at,
                            offset: 0,
                        };
                        let settle = rebase(Way::Settle { taken: took }, Some(side.table), true);
                        g.codegen.rebase_mem(b, payload, place, settle)
                    })?;
                }
            }
            _ => return Err(Error::internal("a staged copy of another built-in")),
        }
        b.get(block).ins(I::Call(self.codegen.rt(RtFn::StageFree)));
        Ok((
            format!(
                "meld settle staged {}",
                self.ctx
                    .graph
                    .host_name(&crate::graph::HostItem::Builtin(id))
                    .1
            ),
            sig(&[Flat::I32; 2], &[]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::EndFix`].
    fn end_fix(&mut self) -> Result<Made> {
        let (mut b, args) = Body::new(&[Flat::I32; 2]);
        let fix = b.local(Flat::I32);
        let t = self.stage(false)?.tables;
        b.get(args[0]).load(t, 0, 4, Flat::I32).set(fix);
        let ids: Vec<AsyncBuiltinId> = self.ctx.layout.staged_ends.iter().copied().collect();
        for id in ids {
            b.get(fix)
                .i32(self.end_fix_number(id)?)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty))
                .get(args[0])
                .get(args[1])
                .ins(I::Call(
                    self.ctx.layout.async_index(AsyncFunc::EndSettle(id))?,
                ))
                .ins(I::End);
        }
        Ok((
            "meld settle a staged copy".to_string(),
            sig(&[Flat::I32; 2], &[]),
            b.finish(),
        ))
    }

    /// The native family of end built-in `builtin`, if meld carries its
    /// type itself.
    fn native_family(&mut self, builtin: &crate::graph::AsyncBuiltin) -> Option<u32> {
        let kind = native_kind(
            self.ctx.graph,
            self.ctx.types,
            &mut self.codegen.tys,
            builtin,
        )?;
        let families = &self.codegen.runtime.natives;
        families
            .iter()
            .position(|f| f.kind == kind)
            .map(|i| i as u32)
    }

    /// The body of end built-in `id` of native family `family` acting on
    /// meld's own ends (`args`: its parameters): the runtime's `native_*`
    /// functions, wasmtime's checks before them; its results left on the
    /// stack.
    fn native_ops(
        &mut self,
        b: &mut Body,
        args: &[Local],
        id: AsyncBuiltinId,
        family: u32,
    ) -> Result<()> {
        use crate::decode::EndOp;
        let builtin = self.graph().async_builtins[id.0].clone();
        let AsyncOp::End { future, op, async_ } = builtin.op else {
            return Err(Error::internal("not an end built-in"));
        };
        let fam = self.codegen.runtime.natives[family as usize].clone();
        let inst = builtin.caller.0 as u32;
        let rt = self.rt_copy();
        let tag = end_tag(future, op);
        match op {
            EndOp::New => {
                b.i32(inst)
                    .i32(family)
                    .i32(future as u32)
                    .i32(fam.size)
                    .ins(I::Call(rt.native_new));
            }
            EndOp::Read | EndOp::Write => {
                let count = match future {
                    true => {
                        let one = b.local(Flat::I32);
                        b.i32(1).set(one);
                        one
                    }
                    false => args[2],
                };
                // wasmtime's order: the count's limit, a blocking
                // variant's task, the buffer's bounds, then the end
                b.get(count).i32(1 << 28).ins(I::I32GeU).trap_if();
                if !async_ {
                    b.ins(I::Call(rt.funcs.check_blocking));
                }
                if fam.size > 0 {
                    let memory = self
                        .memory(&builtin.options.memory)?
                        .ok_or_else(|| Error::internal("a stream read without a memory"))?;
                    b.check_range(memory, args[1], count, fam.size);
                }
                let side = fam
                    .sides
                    .iter()
                    .position(|s| *s == id)
                    .ok_or_else(|| Error::internal("a native built-in without its side"))?;
                let code = b.local(Flat::I32);
                b.i32(inst)
                    .get(args[0])
                    .i32(tag)
                    .i32(family)
                    .get(args[1])
                    .get(count)
                    .i32(u32::from(!async_))
                    .i32(side as u32)
                    .ins(I::Call(rt.native_op))
                    .set(code);
                if !async_ {
                    let n = b.local(Flat::I32);
                    b.i32(inst)
                        .get(args[0])
                        .i32(tag)
                        .i32(family)
                        .ins(I::Call(rt.end_record))
                        .set(n);
                    wait_for_end(b, &rt, n, code);
                }
                b.get(code);
            }
            EndOp::CancelRead | EndOp::CancelWrite => {
                if !async_ {
                    b.ins(I::Call(rt.funcs.check_blocking));
                }
                b.i32(inst)
                    .get(args[0])
                    .i32(tag)
                    .i32(family)
                    .i32(u32::from(!async_))
                    .ins(I::Call(rt.native_cancel));
            }
            EndOp::DropReadable | EndOp::DropWritable => {
                b.i32(inst)
                    .get(args[0])
                    .i32(tag)
                    .i32(family)
                    .ins(I::Call(rt.native_drop));
            }
        }
        Ok(())
    }

    /// [`AsyncFunc::BridgeOut`] (`lend` false): a readable end of a
    /// bridged family leaves for the host. The fused component's end goes
    /// as any does (`end_out`); one of meld's own becomes a new stream or
    /// future of the fused component's (made by one of the family's
    /// `*.new` built-ins at the wrapper): the host gets its readable end,
    /// and the writer's record becomes its writable end, the writer's
    /// pending write made again there (or the end dropped at once if the
    /// writer had dropped). A write the reader took part of whose event the
    /// writer has not taken goes on at the host with its rest, as wasmtime
    /// goes on offering the rest: the end carries the count taken
    /// (`end_set_carry`), which the writer's cancel adds
    /// (`cancel_carried`), and its event when the writer takes it first
    /// ([`Gen::carried`]), and the host's DROPPED; the host's COMPLETED
    /// replaces that event, as wasmtime's does ([`AsyncFunc::HostEvent`]).
    ///
    /// [`AsyncFunc::BridgeLend`] (`lend` true): such an end is lent to a
    /// staged write to the host. The fused component's end is lent as any
    /// (`end_lend`). One of meld's own stays in its table, lent
    /// (`native_lend`; 0 for the host when it cannot leave), while the host
    /// gets the readable end of a stream or future of the fused
    /// component's (a spare one of the family's, or a new one) and the
    /// writer becomes its writable end as above (`native_bridge`): the host
    /// reads what the writer writes as soon as it took the end, before the
    /// write is settled ([`AsyncFunc::BridgeSettle`]) and without the fused
    /// component running.
    fn bridge_end(&mut self, lend: bool) -> Result<Made> {
        let rt = self.rt_copy();
        let f = self.codegen.end_fns()?;
        let (mut b, args) = Body::new(&[Flat::I32; 4]);
        let (from, h, tag, family) = (args[0], args[1], args[2], args[3]);
        b.get(from)
            .get(h)
            .get(tag)
            .ins(I::Call(rt.end_native))
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty))
            .get(from)
            .get(h)
            .get(tag)
            .ins(I::Call(if lend { f.end_lend } else { f.end_out }))
            .ins(I::Return)
            .ins(I::End);
        let (n, p) = (b.local(Flat::I32), b.local(Flat::I32));
        b.get(from).get(h).get(tag).get(family);
        match lend {
            true => {
                b.ins(I::Call(rt.native_lend)).set(n);
                // it cannot leave: 0, which the host's lift rejects
                b.get(n)
                    .ins(I::I32Eqz)
                    .ins(I::If(BlockType::Empty))
                    .i32(0)
                    .ins(I::Return)
                    .ins(I::End);
                b.ins(I::GlobalGet(rt.funcs.p1)).set(p);
            }
            false => {
                b.ins(I::Call(rt.native_out)).set(p);
            }
        }
        let w = BridgeWriter::new(&mut b, p);
        if !lend {
            b.ins(I::GlobalGet(rt.funcs.p1)).set(w.ptr);
            b.ins(I::GlobalGet(rt.funcs.p2)).set(w.count);
        }
        for (fi, hosts) in self.bridged_families() {
            b.get(family)
                .i32(fi)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            if lend {
                b.i32(fi).ins(I::Call(rt.spare_take)).set(w.pair);
                b.get(w.pair).ins(I::I64Eqz).ins(I::If(BlockType::Empty));
            }
            b.ins(I::Call(hosts.new)).set(w.pair);
            if lend {
                b.ins(I::End);
            }
            w.split(&mut b);
            if lend {
                b.get(n)
                    .get(w.hw)
                    .get(w.hr)
                    .ins(I::Call(rt.native_lent_pair));
            }
            // the writer had dropped: so does the new end
            match lend {
                true => b.get(p).ins(I::Call(rt.native_dropped)),
                false => b.get(p).ins(I::I32Eqz),
            };
            b.ins(I::If(BlockType::Empty));
            hosts.drop_writable(&mut b, w.hw);
            b.get(w.hr).ins(I::Return).ins(I::End);
            b.get(p).ins(I::Call(rt.native_pending)).set(w.pending);
            b.ins(I::GlobalGet(rt.funcs.p1)).set(w.taken);
            match lend {
                true => {
                    b.get(p).get(w.hw).ins(I::Call(rt.native_bridge));
                    b.ins(I::GlobalGet(rt.funcs.p1)).set(w.ptr);
                    b.ins(I::GlobalGet(rt.funcs.p2)).set(w.count);
                }
                false => {
                    b.get(p).get(w.hw).ins(I::Call(rt.native_rekind));
                }
            }
            self.remake_write(&mut b, fi, &w)?;
            b.get(w.hr).ins(I::Return);
            b.ins(I::End);
        }
        b.ins(I::Unreachable);
        let name = match lend {
            true => "meld lend readable end to the host",
            false => "meld readable end to the host",
        };
        Ok((
            name.to_string(),
            sig(&[Flat::I32; 4], &[Flat::I32]),
            b.finish(),
        ))
    }

    /// [`AsyncFunc::BridgeSettle`]: the staged write that lent readable
    /// end `h` of `inst` is settled, `taken` by the host or not. The
    /// fused component's end is settled as any (`end_settle`). One of
    /// meld's own (`native_settle`) leaves its table when taken, its
    /// writer staying the fused component's writable end; not taken, it is
    /// its component's again, and so is its writer: a write of the
    /// writer's pending at the host, which no reader there can have seen,
    /// is cancelled there (given up when no component imports the
    /// family's `*.cancel-write`: the host never reads it) and pending
    /// again here (`native_unbridge`), and the unused pair of the fused
    /// component's ends is kept for the family's next lend (`spare_put`;
    /// wasmtime does not let a future's writable end drop unwritten). A
    /// writer that dropped meanwhile dropped the fused component's
    /// writable end with it; its readable end is dropped when a component
    /// imports the family's `*.drop-readable`, else it stays unused.
    fn bridge_settle(&mut self) -> Result<Made> {
        let rt = self.rt_copy();
        let end_settle = self.codegen.end_fns()?.end_settle;
        let (mut b, args) = Body::new(&[Flat::I32; 5]);
        let (inst, h, tag, family, taken) = (args[0], args[1], args[2], args[3], args[4]);
        let [n, p, hw, hr, busy, code] = [0; 6].map(|_| b.local(Flat::I32));
        b.get(inst)
            .get(h)
            .get(tag)
            .ins(I::Call(rt.native_lent))
            .set(n);
        b.get(n)
            .ins(I::I32Eqz)
            .ins(I::If(BlockType::Empty))
            .get(inst)
            .get(h)
            .get(tag)
            .get(taken)
            .ins(I::Call(end_settle))
            .ins(I::Return)
            .ins(I::End);
        b.get(n).get(taken).ins(I::Call(rt.native_settle)).set(p);
        b.ins(I::GlobalGet(rt.funcs.p1)).set(hw);
        b.ins(I::GlobalGet(rt.funcs.p2)).set(hr);
        // taken: nothing left to do
        b.get(p)
            .i32(u32::MAX)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty))
            .ins(I::Return)
            .ins(I::End);
        for (fi, hosts) in self.bridged_families() {
            b.get(family)
                .i32(fi)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            // the writer dropped
            b.get(p).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
            if let Some(drop) = hosts.drop_readable {
                b.get(hr).ins(I::Call(drop));
            }
            b.ins(I::Return).ins(I::End);
            // its write pending at the host leaves it
            b.get(p).i32(0).ins(I::Call(rt.end_busy)).set(busy);
            b.get(busy).ins(I::If(BlockType::Empty));
            end_unpending(&mut b, &rt, p);
            match hosts.cancel_write {
                Some(cancel) => {
                    b.get(hw).ins(I::Call(cancel)).set(code);
                    // no reader at the host has seen it: ended at once
                    b.get(code).i32(u32::MAX).ins(I::I32Eq).trap_if();
                }
                None => {
                    b.i32(COPY_CANCELLED).set(code);
                }
            }
            self.settle_pending(&mut b, p, code)?;
            b.get(hw)
                .i32(0)
                .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
            b.ins(I::End);
            b.get(p).get(busy).ins(I::Call(rt.native_unbridge));
            if hosts.cancel_write.is_none() {
                // a write given up stays at the host with the pair
                b.get(busy)
                    .ins(I::If(BlockType::Empty))
                    .ins(I::Return)
                    .ins(I::End);
            }
            b.i32(fi).get(hw).get(hr).ins(I::Call(rt.spare_put));
            b.ins(I::Return);
            b.ins(I::End);
        }
        b.ins(I::Unreachable);
        Ok((
            "meld settle readable end lent to the host".to_string(),
            sig(&[Flat::I32; 5], &[]),
            b.finish(),
        ))
    }

    /// The bridged families whose streams or futures inner components
    /// make (meld has ends of its own of no other), with the host's
    /// built-ins of each.
    fn bridged_families(&mut self) -> Vec<(u32, FamilyHosts)> {
        use crate::decode::EndOp;
        let builtins = self.graph().async_builtins.clone();
        let families = self.codegen.runtime.natives.clone();
        let mut of_family: Vec<Vec<AsyncBuiltinId>> = vec![Vec::new(); families.len()];
        for (i, builtin) in builtins.iter().enumerate() {
            if let Some(f) = self.native_family(builtin) {
                of_family[f as usize].push(AsyncBuiltinId(i));
            }
        }
        let mut out = Vec::new();
        for (fi, fam) in families.iter().enumerate() {
            if !fam.bridged {
                continue;
            }
            let host = |op: EndOp| {
                of_family[fi].iter().find_map(|id| match builtins[id.0].op {
                    AsyncOp::End { op: o, .. } if o == op => {
                        self.ctx.host_builtins.get(id).copied()
                    }
                    _ => None,
                })
            };
            // no component makes one: meld has none of its own
            let Some(new) = host(EndOp::New) else {
                continue;
            };
            out.push((
                fi as u32,
                FamilyHosts {
                    new,
                    drop_writable: host(EndOp::DropWritable),
                    drop_readable: host(EndOp::DropReadable),
                    cancel_write: host(EndOp::CancelWrite),
                },
            ));
        }
        out
    }

    /// Writer record `w.p` of bridged family `fi`, now the fused
    /// component's writable end `w.hw`: its pending write (`w.pending`,
    /// the side + 1, of `w.count` elements at `w.ptr`, of which a reader
    /// took `w.taken`) is made again at the host.
    fn remake_write(&mut self, b: &mut Body, fi: u32, w: &BridgeWriter) -> Result<()> {
        use crate::decode::EndOp;
        let fam = self.codegen.runtime.natives[fi as usize].clone();
        let future = matches!(fam.kind, crate::abi::EndKind::Future { .. });
        let builtins = self.graph().async_builtins.clone();
        let (p, hw, ptr, count, code) = (w.p, w.hw, w.ptr, w.count, w.code);
        for (si, side) in fam.sides.iter().enumerate() {
            let writer = &builtins[side.0];
            if !matches!(
                writer.op,
                AsyncOp::End {
                    op: EndOp::Write,
                    ..
                }
            ) {
                continue;
            }
            b.get(w.pending)
                .i32(si as u32 + 1)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            match self.ctx.host_builtins.get(side) {
                Some(&write) if self.ctx.layout.staged_ends.contains(side) => {
                    // the pending write, staged for the host
                    let block = self.stage_copy(b, *side, true, future, &[hw, ptr, count])?;
                    let tables = self.stage(false)?;
                    b.get(hw);
                    b.get(block).i32(STAGE_HEADER + tables.base).ins(I::I32Add);
                    if !future {
                        b.get(count);
                    }
                    b.ins(I::Call(write)).set(code);
                    self.settle_or_park(b, p, block, code)?;
                    self.bridged_write_ends(b, p, code, w.taken, future, true)?;
                }
                Some(&write) => {
                    let base = self.region(&writer.options)?.map_or(0, |r| r.base);
                    b.get(hw).get(ptr);
                    if base != 0 {
                        b.i32(base).ins(I::I32Add);
                    }
                    if !future {
                        b.get(count);
                    }
                    b.ins(I::Call(write)).set(code);
                    self.bridged_write_ends(b, p, code, w.taken, future, false)?;
                }
                _ => {
                    b.ins(I::Unreachable);
                }
            }
            b.ins(I::End);
        }
        Ok(())
    }

    /// After a pending write is made again at the host for end record
    /// `p` ([`AsyncFunc::BridgeOut`]) and returned `code`, a reader having
    /// taken `taken` elements of it before: it waits at the host, carrying
    /// `taken`, or, done at once, the writer gets its event, counting
    /// `taken` too. `staged`: the write is staged in meld's memory.
    fn bridged_write_ends(
        &self,
        b: &mut Body,
        p: Local,
        code: Local,
        taken: Local,
        future: bool,
        staged: bool,
    ) -> Result<()> {
        self.host_pends(b, p, code, staged, false)?;
        b.get(code)
            .i32(u32::MAX)
            .ins(I::I32Ne)
            .ins(I::If(BlockType::Empty))
            .get(p)
            .i32(if future {
                EVENT_FUTURE_WRITE
            } else {
                EVENT_STREAM_WRITE
            })
            .get(code)
            .get(taken)
            .i32(4)
            .ins(I::I32Shl)
            .ins(I::I32Add)
            .ins(I::Call(self.rt.set_event))
            .ins(I::Else)
            .get(taken)
            .ins(I::If(BlockType::Empty))
            .get(p)
            .get(taken)
            .ins(I::Call(self.rt.end_set_carry))
            .ins(I::End)
            .ins(I::End);
        Ok(())
    }

    /// After `stream.cancel-write` of end record `n` returned `code` at
    /// the host: a write carried over to the host (`Gen::bridge_end`) had
    /// its event pending here, which the cancel takes (as wasmtime's
    /// cancel takes a pending event), and the count carried adds to the
    /// host's, now or, BLOCKED, when the host's event comes.
    fn cancel_carried(&self, b: &mut Body, n: Local, code: Local) {
        let rt = &self.rt;
        let carry = b.local(Flat::I32);
        b.get(n).ins(I::Call(rt.end_carry)).set(carry);
        b.get(carry).ins(I::If(BlockType::Empty));
        b.get(n).ins(I::Call(rt.take_one)).ins(I::Drop);
        b.get(code)
            .i32(u32::MAX)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty))
            .get(n)
            .get(carry)
            .i32(4)
            .ins(I::I32ShrU)
            .ins(I::Call(rt.end_set_carry))
            .ins(I::Else)
            .get(code)
            .get(carry)
            .ins(I::I32Add)
            .set(code)
            .ins(I::End);
        b.ins(I::End);
        b.free(carry);
    }

    /// [`RuntimeFunc::Carried`]: the writer of end record `n` takes its
    /// event while the write it carried over to the host
    /// ([`Gen::bridge_end`]) is still pending there. In wasmtime the
    /// event ends the write, counting what the inner reader and then the
    /// host took; here the write is cancelled at the host (the family's
    /// `stream.cancel-write`), and the payload is the count carried plus
    /// the host's, DROPPED if the host dropped its end. meld's limitation
    /// traps: a cancel the host cannot answer at once (BLOCKED: the host
    /// is in the middle of a read), or a family no component cancels a
    /// write of (no `stream.cancel-write` to call).
    fn carried(&mut self) -> Result<Made> {
        use crate::decode::EndOp;
        let rt = self.rt_copy();
        let (mut b, args) = Body::new(&[Flat::I32]);
        let made = |b: Body| {
            let ty = sig(&[Flat::I32], &[Flat::I32]);
            Ok(("meld carried write ends".to_string(), ty, b.finish()))
        };
        let n = args[0];
        let [carry, hh, family, code] = [0; 4].map(|_| b.local(Flat::I32));
        b.get(n).ins(I::Call(rt.end_carry)).set(carry);
        b.get(n).ins(I::Call(rt.end_host)).set(hh);
        b.get(n).ins(I::Call(rt.end_family)).set(family);
        let builtins = self.graph().async_builtins.clone();
        let families = self.codegen.runtime.natives.clone();
        let mut cancels: Vec<Option<u32>> = vec![None; families.len()];
        for (i, builtin) in builtins.iter().enumerate() {
            let AsyncOp::End {
                op: EndOp::CancelWrite,
                future: false,
                ..
            } = builtin.op
            else {
                continue;
            };
            if let (Some(f), Some(&host)) = (
                self.native_family(builtin),
                self.ctx.host_builtins.get(&AsyncBuiltinId(i)),
            ) {
                cancels[f as usize].get_or_insert(host);
            }
        }
        if cancels.iter().all(Option::is_none) {
            // no write is carried (no bridged family), or none can end
            // (meld's limitation, below)
            b.ins(I::Unreachable);
            return made(b);
        }
        b.ins(I::Block(BlockType::Empty));
        for (fi, cancel) in cancels.iter().enumerate() {
            let Some(cancel) = *cancel else { continue };
            b.get(family)
                .i32(fi as u32)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty))
                .get(hh)
                .ins(I::Call(cancel))
                .set(code)
                .ins(I::Br(1))
                .ins(I::End);
        }
        // no component cancels a write of this family: meld's limitation
        b.ins(I::Unreachable).ins(I::End);
        // the host is in the middle of a read: meld's limitation
        b.get(code).i32(u32::MAX).ins(I::I32Eq).trap_if();
        self.settle_pending(&mut b, n, code)?;
        end_settled(&mut b, &rt, n);
        b.get(hh)
            .i32(0)
            .ins(I::Call(host_op(self.ctx, HostAsyncOp::Join)?));
        // COMPLETED or DROPPED, with both counts
        b.get(code)
            .i32(!0xf)
            .ins(I::I32And)
            .get(carry)
            .ins(I::I32Add)
            .get(code)
            .i32(0xf)
            .ins(I::I32And)
            .i32(1)
            .ins(I::I32Eq)
            .ins(I::I32Add);
        made(b)
    }

    /// [`RuntimeFunc::Copy`]: per native family, per pair of a write
    /// built-in and a read built-in (sides), wasmtime's checks of both
    /// buffers, then numbers in one `memory.copy`, other elements one by
    /// one with the sync adapters' translation (the reader's `realloc`
    /// for strings and lists; two sides of one component trap: wasmtime
    /// refuses such payloads within one instance).
    fn native_copy(&mut self) -> Result<Made> {
        use crate::decode::EndOp;
        let (mut b, args) = Body::new(&[Flat::I32; 6]);
        let (family, wside, wptr, rside, rptr, k) =
            (args[0], args[1], args[2], args[3], args[4], args[5]);
        let families = self.codegen.runtime.natives.clone();
        let (i, src, dst) = (b.local(Flat::I32), b.local(Flat::I32), b.local(Flat::I32));
        for (fi, fam) in families.iter().enumerate() {
            let (numeric, payload) = match fam.kind {
                crate::abi::EndKind::Stream { numeric, payload }
                | crate::abi::EndKind::Future { numeric, payload } => (numeric, payload),
                crate::abi::EndKind::ErrorContext => (true, None),
            };
            b.get(family)
                .i32(fi as u32)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            let side_of = |s: AsyncBuiltinId| -> Result<(InnerId, Side, bool)> {
                let builtin = &self.ctx.graph.async_builtins[s.0];
                let reads = matches!(
                    builtin.op,
                    AsyncOp::End {
                        op: EndOp::Read,
                        ..
                    }
                );
                Ok((
                    builtin.caller,
                    (self.ctx.side)(&builtin.options, builtin.caller)?,
                    reads,
                ))
            };
            let sides: Vec<(InnerId, Side, bool)> = fam
                .sides
                .iter()
                .map(|s| side_of(*s))
                .collect::<Result<_>>()?;
            for (wi, (wc, ws, w_reads)) in sides.iter().enumerate() {
                if *w_reads {
                    continue;
                }
                for (ri, (rc, rs, r_reads)) in sides.iter().enumerate() {
                    if !*r_reads {
                        continue;
                    }
                    b.get(wside)
                        .i32(wi as u32)
                        .ins(I::I32Eq)
                        .get(rside)
                        .i32(ri as u32)
                        .ins(I::I32Eq)
                        .ins(I::I32And)
                        .ins(I::If(BlockType::Empty));
                    // wasmtime checks both buffers when bytes move, then
                    // the instances
                    if fam.size > 0 {
                        for (ptr, side) in [(wptr, ws), (rptr, rs)] {
                            let memory = side.memory()?;
                            b.get(k).ins(I::If(BlockType::Empty));
                            b.check_align(ptr, fam.align);
                            b.check_range(memory, ptr, k, fam.size);
                            b.ins(I::End);
                        }
                    }
                    let Some(payload) = payload else {
                        // nothing to copy
                        b.ins(I::Return).ins(I::End);
                        continue;
                    };
                    if numeric {
                        // wasmtime's memcpy (within one instance too)
                        let bytes = b.local(Flat::I32);
                        b.get(k).i32(fam.size).ins(I::I32Mul).set(bytes);
                        b.copy((rs.memory()?, rptr), (ws.memory()?, wptr), bytes, false);
                    } else if wc == rc {
                        b.ins(I::Unreachable);
                    } else if ws.encoding != super::staged::HOST_ENCODING
                        && self.codegen.tys.info(payload).strings
                    {
                        // wasmtime copies these through the host: it lifts
                        // the elements into host strings (utf8), then
                        // lowers each as the host lowers a string, so the
                        // reader's `realloc` sees a utf8 source: the
                        // elements go through the stage heap in utf8
                        let dir = Dir { src: *ws, dst: *rs };
                        self.copy_through_utf8(&mut b, payload, (wptr, rptr, k), dir)?;
                    } else {
                        let helper = self
                            .codegen
                            .copy_helper(payload, Dir { src: *ws, dst: *rs });
                        b.i32(0).set(i);
                        b.ins(I::Block(BlockType::Empty))
                            .ins(I::Loop(BlockType::Empty));
                        b.get(i).get(k).ins(I::I32GeU).ins(I::BrIf(1));
                        b.get(i).i32(fam.size).ins(I::I32Mul).set(src);
                        b.get(src).get(rptr).ins(I::I32Add).set(dst);
                        b.get(src).get(wptr).ins(I::I32Add).set(src);
                        b.get(src).get(dst).ins(I::Call(helper));
                        b.get(i).i32(1).ins(I::I32Add).set(i);
                        b.ins(I::Br(0)).ins(I::End).ins(I::End);
                    }
                    b.ins(I::Return).ins(I::End);
                }
            }
            b.ins(I::End);
        }
        b.ins(I::Unreachable);
        Ok((
            "meld native stream copy".to_string(),
            sig(&[Flat::I32; 6], &[]),
            b.finish(),
        ))
    }

    /// Copies `k` elements of `payload` from the writer's buffer at `wptr`
    /// to the reader's at `rptr` in two steps, each one the sync adapters'
    /// translation, as wasmtime lifts them all and then lowers each: into
    /// a block of the stage heap with their strings in utf8
    /// ([`super::staged::HOST_ENCODING`]) and their handles and ends as
    /// numbers still in the writer's table ([`KEPT`]), then from there
    /// into the reader, moving the handles out of the writer's table and
    /// freeing the strings and lists the block holds; then the block.
    ///
    /// [`KEPT`]: super::resources::KEPT
    fn copy_through_utf8(
        &mut self,
        b: &mut Body,
        payload: TyId,
        (wptr, rptr, k): (Local, Local, Local),
        dir: Dir,
    ) -> Result<()> {
        let size = self.codegen.tys.info(payload).size;
        let tables = self.stage(false)?.tables;
        let staged = Side {
            memory: Some(tables),
            realloc: Some(self.codegen.rt(RtFn::StageRealloc)),
            encoding: super::staged::HOST_ENCODING,
            may_leave: None,
            table: super::resources::KEPT,
            frees: false,
        };
        let block = b.local(Flat::I32);
        // (`k * size` fits: the writer's buffer was checked)
        b.get(k)
            .i32(size)
            .ins(I::I32Mul)
            .ins(I::Call(self.codegen.rt(RtFn::StageAlloc)))
            .set(block);
        let (src, dst, zero) = (b.local(Flat::I32), b.local(Flat::I32), b.local(Flat::I32));
        b.i32(0).set(zero);
        let at = |memory, addr| Place {
            memory,
            addr,
            offset: 0,
        };
        let into_stage = Dir {
            src: dir.src,
            dst: staged,
        };
        let out_of_stage = Dir {
            src: Side {
                frees: true,
                table: dir.src.table,
                ..staged
            },
            dst: dir.dst,
        };
        let steps = [
            (wptr, dir.src.memory()?, block, tables, into_stage),
            (block, tables, rptr, dir.dst.memory()?, out_of_stage),
        ];
        for (from, from_memory, to, to_memory, step) in steps {
            self.each_element(b, zero, k, |g, b, i| {
                Self::element_at(b, src, from, 0, i, size);
                Self::element_at(b, dst, to, 0, i, size);
                g.codegen.translate(
                    b,
                    payload,
                    &Src::Mem(at(from_memory, src)),
                    &Dst::Mem(at(to_memory, dst)),
                    step,
                )
            })?;
        }
        b.get(block).ins(I::Call(self.codegen.rt(RtFn::StageFree)));
        for l in [src, dst, zero, block] {
            b.free(l);
        }
        Ok(())
    }

    /// Whether the elements of end built-in `builtin` hold handles (or
    /// name resources meld cannot place).
    fn payload_holds_handles(&mut self, builtin: &crate::graph::AsyncBuiltin) -> bool {
        use wasmparser::component_types::{ComponentDefinedType as D, ComponentValType as V};
        let Some(V::Type(id)) = builtin.result else {
            return false;
        };
        let Some(D::Stream { ty: Some(ty), .. } | D::Future { ty: Some(ty), .. }) =
            self.ctx.types.get(id)
        else {
            return false;
        };
        let ty = *ty;
        let Some(scope) = builtin.scope else {
            return true;
        };
        let lookup = super::scope_resources(self.ctx.graph, scope);
        let resources = crate::abi::Resources {
            key: scope.0,
            lookup: &lookup,
        };
        match self.codegen.tys.convert_with(
            self.ctx.types,
            &ty,
            "a stream payload",
            Some(resources),
        ) {
            Ok(payload) => self.codegen.tys.info(payload).handles,
            Err(_) => true,
        }
    }

    /// The bytes of one element of stream or future built-in `builtin`
    /// when they are copied as they are (0 without a payload), `None` when
    /// its elements hold pointers.
    fn plain_size(&self, builtin: &crate::graph::AsyncBuiltin) -> Result<Option<u32>> {
        use wasmparser::PrimitiveValType as P;
        use wasmparser::component_types::{ComponentDefinedType as D, ComponentValType as V};
        let Some(V::Type(id)) = builtin.result else {
            return Err(Error::internal("a stream built-in without its type"));
        };
        let payload = match &self.ctx.types[id] {
            D::Stream { ty, .. } | D::Future { ty, .. } => *ty,
            _ => return Err(Error::internal("a stream built-in of another type")),
        };
        Ok(match payload {
            None => Some(0),
            Some(V::Primitive(P::String | P::ErrorContext) | V::Type(_)) => None,
            Some(V::Primitive(P::Bool | P::U8 | P::S8)) => Some(1),
            Some(V::Primitive(P::U16 | P::S16)) => Some(2),
            Some(V::Primitive(P::U64 | P::S64 | P::F64)) => Some(8),
            Some(V::Primitive(_)) => Some(4),
        })
    }

    /// The shim of async built-in `id`.
    fn shim(&mut self, id: AsyncBuiltinId) -> Result<Made> {
        let builtin = self.graph().async_builtins[id.0].clone();
        self.leave = match builtin.op.checks_may_leave() {
            true => (self.ctx.side)(&builtin.options, builtin.caller)?.may_leave,
            false => None,
        };
        let made = self.shim_of(id, builtin);
        self.leave = None;
        made
    }

    fn shim_of(&mut self, id: AsyncBuiltinId, builtin: crate::graph::AsyncBuiltin) -> Result<Made> {
        let instance = builtin.caller.0 as u32;
        let name = format!(
            "{} in {}",
            builtin.op.name(),
            self.graph().path(builtin.caller)
        );
        if let AsyncOp::TaskReturn = builtin.op {
            return self.task_return(builtin.caller, builtin.result.as_ref(), name);
        }
        if self.ctx.host_builtins.contains_key(&id) || self.native_family(&builtin).is_some() {
            return self.end_shim(id, name);
        }
        if let AsyncOp::TaskCancel = builtin.op
            && self.component_lends(builtin.caller)?
        {
            // A cancelled task gives back what it was lent, as at
            // task.return (and traps if it still holds a borrow).
            let (mut b, _) = self.builtin_body(&[]);
            let task = b.local(Flat::I32);
            b.ins(I::GlobalGet(self.rt.current)).set(task);
            self.end_scope(&mut b, task);
            b.ins(I::Call(self.rt.funcs.task_cancel));
            return Ok((name, sig(&[], &[]), b.finish()));
        }
        let memory = self.memory(&builtin.options.memory)?;
        let ty = shims::func_type(&builtin.op)
            .ok_or_else(|| Error::internal("a built-in without a shim type"))?;
        let body = shims::body(&builtin.op, instance, memory, self.leave, &self.rt.funcs)
            .ok_or_else(|| Error::internal("a built-in without a shim"))?;
        Ok((name, ty, body))
    }

    /// `task.return` of `component`: calls the running task's return half
    /// (among those of this component's sites with the same core
    /// signature; another is a `task.return` of the wrong type: it traps).
    fn task_return(
        &mut self,
        component: InnerId,
        result: Option<&wasmparser::component_types::ComponentValType>,
        name: String,
    ) -> Result<Made> {
        let params = match result {
            None => Vec::new(),
            Some(ty) => {
                let ty = self
                    .codegen
                    .tys
                    .convert_with(self.ctx.types, ty, &name, None)?;
                let flat = self.codegen.tys.info(ty).flat.clone();
                match flat.len() > MAX_FLAT_PARAMS {
                    true => vec![Flat::I32],
                    false => flat,
                }
            }
        };
        let rt = self.rt_copy();
        let (mut b, args) = self.builtin_body(&params);
        let (task, half) = (b.local(Flat::I32), b.local(Flat::I32));
        b.ins(I::GlobalGet(rt.current)).set(task);
        // Outside a task there is nothing to return from.
        b.get(task).ins(I::I32Eqz).trap_if();
        slot(&mut b, &rt, task, RETURN_SLOT);
        b.ins(I::I32Load(memarg(rt.memory, 0, 4))).set(half);
        for f in self.funcs {
            let AsyncFunc::Return(site) = *f else {
                continue;
            };
            let lifted = self.site_lifted(site);
            if self.graph().lifted[lifted.0].component != component {
                continue;
            }
            let shape = self.shape(lifted)?;
            if return_params(&self.codegen.tys, &shape) != params {
                continue;
            }
            b.get(half)
                .i32(self.entry_index(*f)?)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            for a in &args {
                b.get(*a);
            }
            b.ins(I::Call(self.ctx.layout.async_index(*f)?))
                .ins(I::Return);
            b.ins(I::End);
        }
        b.ins(I::Unreachable);
        Ok((name, sig(&params, &[]), b.finish()))
    }
}

/// Whether `task.return` passes `shape`'s result through memory.
/// Whether `task.return` of a function of `shape` needs a memory: its
/// result holds strings or lists, or is passed in memory.
pub(crate) fn returns_through_memory(tys: &TyTable, shape: &Shape) -> bool {
    shape.result.is_some_and(|r| tys.info(r).memory) || return_spilled(tys, shape)
}

fn return_spilled(tys: &TyTable, shape: &Shape) -> bool {
    shape
        .result
        .is_some_and(|r| tys.info(r).flat.len() > MAX_FLAT_PARAMS)
}

/// A sync-to-sync call in a composition with meld's async runtime: the
/// callee runs on the caller's task, but as a task of its own would in
/// wasmtime 48: with context slots that read 0 (the caller's are restored
/// after), and able to block only if its type is async (`tasks.wat`'s
/// `sync_enter`, which traps if the caller may not block then).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncCall {
    callee_async: bool,
    current: u32,
    sync_enter: u32,
    sync_exit: u32,
    context_get: u32,
    context_set: u32,
}

/// The locals [`SyncCall::enter`] keeps for [`SyncCall::exit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncSaved {
    in_task: Local,
    old: Local,
    slots: [Local; 2],
}

impl SyncCall {
    /// Before the call (nothing outside a task).
    pub(crate) fn enter(self, b: &mut Body) -> SyncSaved {
        let saved = SyncSaved {
            in_task: b.local(Flat::I32),
            old: b.local(Flat::I32),
            slots: [b.local(Flat::I32), b.local(Flat::I32)],
        };
        b.ins(I::GlobalGet(self.current))
            .ins(I::I32Const(0))
            .ins(I::I32Ne)
            .set(saved.in_task);
        b.get(saved.in_task).ins(I::If(BlockType::Empty));
        b.i32(u32::from(self.callee_async))
            .ins(I::Call(self.sync_enter))
            .set(saved.old);
        for (k, slot) in saved.slots.iter().enumerate() {
            b.i32(k as u32).ins(I::Call(self.context_get)).set(*slot);
            b.i32(k as u32).i32(0).ins(I::Call(self.context_set));
        }
        b.ins(I::End);
        saved
    }

    /// After the call (and post-return).
    pub(crate) fn exit(self, b: &mut Body, saved: SyncSaved) {
        b.get(saved.in_task).ins(I::If(BlockType::Empty));
        for (k, slot) in saved.slots.iter().enumerate() {
            b.i32(k as u32).get(*slot).ins(I::Call(self.context_set));
        }
        b.get(saved.old).ins(I::Call(self.sync_exit));
        b.ins(I::End);
    }
}

/// The [`SyncCall`] of a sync-to-sync call whose callee's type is async or
/// not.
pub(crate) fn sync_call(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
    callee_async: bool,
) -> Result<SyncCall> {
    let rt = graph
        .runtime
        .ok_or_else(|| Error::internal("a sync call's task without the runtime"))?;
    let get = |instance: CoreInstanceId, name: &str, space: Space| {
        export(graph, adapters, layout, instance, name, space)
    };
    Ok(SyncCall {
        callee_async,
        current: get(rt.scheduler, "current", Space::Global)?,
        sync_enter: get(rt.tasks, "sync_enter", Space::Func)?,
        sync_exit: get(rt.tasks, "sync_exit", Space::Func)?,
        context_get: get(rt.scheduler, "context_get", Space::Func)?,
        context_set: get(rt.scheduler, "context_set", Space::Func)?,
    })
}

/// The unwind transform's configuration for the fused module: the
/// scheduler's `suspend` is the suspension point, its `run` catches.
pub(crate) fn unwind_config(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
) -> Result<Option<crate::unwind::Config>> {
    let Some(rt) = graph.runtime else {
        return Ok(None);
    };
    let get = |name: &str, space: Space| export(graph, adapters, layout, rt.scheduler, name, space);
    // With one shared memory, the scheduler's save areas are in its
    // memory's region.
    let memory = get("memory", Space::Memory)?;
    let (memory, base) = match &layout.shared {
        None => (memory, 0),
        Some(plan) => (0, plan.base(memory)?),
    };
    Ok(Some(crate::unwind::Config {
        globals: crate::unwind::Globals {
            state: get("state", Space::Global)?,
            sp: get("sp", Space::Global)?,
            limit: get("limit", Space::Global)?,
            grow: Some(get("grow_save", Space::Func)?),
            memory,
            base,
        },
        suspend: [get("suspend", Space::Func)?].into(),
        stop: [
            get("run", Space::Func)?,
            get("run_round", Space::Func)?,
            get("run_only", Space::Func)?,
            get("run_one", Space::Func)?,
        ]
        .into(),
        calm: crate::unwind::Calm {
            callers_from: layout.first_generated_func(),
            callees: flagged_reallocs(graph, adapters, layout)?,
        },
    }))
}

/// The fused indices of the `realloc`s of components with a `may_leave`
/// flag (meld's generated code clears the flag around every call it
/// makes to one of them).
fn flagged_reallocs(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
) -> Result<std::collections::BTreeSet<u32>> {
    let lifted = graph.lifted.iter().map(|l| (l.component, &l.options));
    let lowered = graph.lowerings.iter().map(|l| (l.caller, &l.options));
    let adapted = graph.adapters.iter().map(|a| (a.caller, &a.options));
    let builtins = graph.async_builtins.iter().map(|b| (b.caller, &b.options));
    let mut calm: std::collections::BTreeSet<u32> = lifted
        .chain(lowered)
        .chain(adapted)
        .chain(builtins)
        .filter(|(component, _)| adapters.flagged(*component))
        .filter_map(|(_, options)| options.realloc.as_ref())
        .map(|realloc| layout.resolve(graph, adapters, realloc, Space::Func))
        .collect::<Result<_>>()?;
    // A function that is also a lifted function, a callback, a
    // post-return or a destructor is called by meld's code without the
    // flag clear too: those calls may unwind.
    let other_uses = graph
        .lifted
        .iter()
        .flat_map(|l| {
            [
                Some(&l.func),
                l.options.callback.as_ref(),
                l.options.post_return.as_ref(),
            ]
        })
        .chain(graph.resources.iter().map(|r| r.dtor.as_ref()))
        .flatten();
    for def in other_uses {
        calm.remove(&layout.resolve(graph, adapters, def, Space::Func)?);
    }
    Ok(calm)
}

/// The scheduler's `entries` table and the fused indices of the functions
/// to put in it from index 1.
pub(crate) fn entries_segment(
    graph: &Graph,
    adapters: &Adapters,
    layout: &Layout<'_>,
) -> Result<Option<(u32, Vec<u32>)>> {
    let Some(rt) = graph.runtime else {
        return Ok(None);
    };
    let table = export(
        graph,
        adapters,
        layout,
        rt.scheduler,
        "entries",
        Space::Table,
    )?;
    let funcs = entries(layout.async_funcs())
        .map(|(_, f)| layout.async_index(f))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((table, funcs)))
}

/// The host's built-ins of a bridged family (any component's: those
/// without memory options act alike).
struct FamilyHosts {
    new: u32,
    drop_writable: Option<u32>,
    drop_readable: Option<u32>,
    cancel_write: Option<u32>,
}

impl FamilyHosts {
    /// Drops the fused component's writable end `hw` (a trap when no
    /// component imports the family's `*.drop-writable`: none of its
    /// writers can have dropped).
    fn drop_writable(&self, b: &mut Body, hw: Local) {
        match self.drop_writable {
            Some(drop) => b.get(hw).ins(I::Call(drop)),
            None => b.ins(I::Unreachable),
        };
    }
}

/// The locals of [`Gen::remake_write`]: the writer's record `p`, the fused
/// component's ends that stand for its stream, and its pending write.
struct BridgeWriter {
    p: Local,
    pair: Local,
    hw: Local,
    hr: Local,
    ptr: Local,
    count: Local,
    pending: Local,
    taken: Local,
    code: Local,
}

impl BridgeWriter {
    fn new(b: &mut Body, p: Local) -> BridgeWriter {
        let pair = b.local(Flat::I64);
        let [hw, hr, ptr, count, pending, taken, code] = [0; 7].map(|_| b.local(Flat::I32));
        BridgeWriter {
            p,
            pair,
            hw,
            hr,
            ptr,
            count,
            pending,
            taken,
            code,
        }
    }

    /// `pair` (writable end << 32 | readable end) into `hw` and `hr`.
    fn split(&self, b: &mut Body) {
        b.get(self.pair).ins(I::I32WrapI64).set(self.hr);
        b.get(self.pair)
            .ins(I::I64Const(32))
            .ins(I::I64ShrU)
            .ins(I::I32WrapI64)
            .set(self.hw);
    }
}
