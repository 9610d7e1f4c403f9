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

use super::body::{Body, Local};
use super::{AdapterPlan, Adapters};
use crate::abi::{Flat, Node, TyTable};
use crate::error::{Error, Result};
use crate::graph::{
    AdapterId, AsyncBuiltinId, CoreDef, CoreInstanceId, Graph, LiftedId, RuntimeFunc,
    RuntimeInstances,
};
use crate::merge::{GeneratedFunc, Layout, Space};
use crate::runtime::shims::{self, RuntimeFuncs};
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
    /// The callback of root exports the wrapper lifts async: never called
    /// (their host entry returns EXIT), but the lift needs one.
    HostCallback,
}

/// The task kinds `tasks.wat`'s `begin` takes.
const ASYNC_TYPE: u32 = 16;
const CALLBACK: u32 = 32;
const STACKFUL: u32 = 64;
/// The raw argument slots of a task (`tasks.wat`'s `argument`), and the
/// slot of its return half.
const ARG_SLOTS: usize = 8;
const RETURN_SLOT: u32 = 8;
/// The scheduler's `entries` table holds this many functions.
const ENTRIES: usize = 64;

/// The generated functions of the async runtime, in the order the layout
/// places them (none without the runtime).
pub(crate) fn funcs(graph: &Graph, adapters: &Adapters) -> Vec<AsyncFunc> {
    if graph.runtime.is_none() {
        return Vec::new();
    }
    let mut out: Vec<AsyncFunc> = (0..graph.async_builtins.len())
        .map(|i| AsyncFunc::Shim(AsyncBuiltinId(i)))
        .collect();
    out.extend(RuntimeFunc::ALL.map(AsyncFunc::Table));
    for (i, plan) in adapters.plans.iter().enumerate() {
        if let AdapterPlan::Async = plan {
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
    if out
        .iter()
        .any(|f| matches!(f, AsyncFunc::Return(Site::Export(_))))
    {
        out.push(AsyncFunc::HostCallback);
    }
    out
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
    if let Some(l) = graph.lowerings.iter().find(|l| l.options.async_) {
        let (module, field) = graph.host_name(&l.item);
        return Err(Error::unsupported(format!(
            "`{module}#{field}` is lowered with the async ABI (`canon lower ... async`): async \
             calls of the host are not fused yet"
        ))
        .in_component(graph.path(l.caller)));
    }
    if let Some(l) = graph
        .lifted
        .iter()
        .find(|l| l.options.async_ && l.options.callback.is_none())
    {
        return Err(Error::unsupported(
            "a function lifted async without a callback (stackful) is not fused yet",
        )
        .in_component(graph.path(l.component)));
    }
    Ok(())
}

/// The fused indices of the runtime's exports the generated code calls.
struct Rt {
    funcs: RuntimeFuncs,
    begin: u32,
    argument: u32,
    await_call: u32,
    call_result: u32,
    enter: u32,
    started: u32,
    returned: u32,
    exit_sync: u32,
    callback_code: u32,
    has_returned: u32,
    run: u32,
    code: u32,
    current: u32,
    memory: u32,
}

impl Rt {
    fn new(
        graph: &Graph,
        adapters: &Adapters,
        layout: &Layout<'_>,
        rt: RuntimeInstances,
    ) -> Result<Rt> {
        let get = |instance: CoreInstanceId, name: &str, space: Space| {
            layout.resolve(
                graph,
                adapters,
                &CoreDef::Export(instance, name.to_string()),
                space,
            )
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
                task_cancel: f(t, "task_cancel")?,
                p1: get(w, "p1", Space::Global)?,
                p2: get(w, "p2", Space::Global)?,
            },
            begin: f(t, "begin")?,
            argument: f(t, "argument")?,
            await_call: f(t, "await_call")?,
            call_result: f(t, "call_result")?,
            enter: f(t, "enter")?,
            started: f(t, "started")?,
            returned: f(t, "returned")?,
            exit_sync: f(t, "exit_sync")?,
            callback_code: f(t, "callback_code")?,
            has_returned: f(t, "has_returned")?,
            run: f(s, "run")?,
            code: get(t, "code", Space::Global)?,
            current: get(s, "current", Space::Global)?,
            memory: get(t, "memory", Space::Memory)?,
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
    pub(crate) host_returns: &'g std::collections::BTreeMap<LiftedId, u32>,
    /// The fused index of the `may_leave` flag of a component, if any.
    pub(crate) flag: &'g dyn Fn(crate::graph::InnerId) -> Option<u32>,
}

/// A function type's values, flat, as a site's code moves them.
struct Values {
    params: Vec<TyIdFlat>,
    result: Option<TyIdFlat>,
    async_type: bool,
}

/// One value: its type and flat core types.
#[derive(Clone)]
struct TyIdFlat {
    ty: crate::abi::TyId,
    flat: Vec<Flat>,
}

/// Generates every function of `funcs` (the layout's async functions).
pub(crate) fn generate(
    ctx: &Ctx<'_, '_, '_>,
    tys: &mut TyTable,
    codegen_table: &mut dyn FnMut(RuntimeFunc) -> Result<wasm_encoder::Function>,
) -> Result<Vec<GeneratedFunc>> {
    let graph = ctx.graph;
    let Some(instances) = graph.runtime else {
        return Ok(Vec::new());
    };
    let funcs = ctx.layout.async_funcs();
    if entries(funcs).count() >= ENTRIES {
        return Err(Error::unsupported(format!(
            "an async composition with more than {} task entry points",
            ENTRIES - 1
        )));
    }
    let rt = Rt::new(graph, ctx.adapters, ctx.layout, instances)?;
    let mut out = Vec::with_capacity(funcs.len());
    for f in funcs {
        let (name, ty, body) = match *f {
            AsyncFunc::Shim(id) => shim(ctx, tys, &rt, funcs, id)?,
            AsyncFunc::Table(t) => {
                let ty = match t {
                    RuntimeFunc::TableInsert => sig(&[Flat::I32; 3], &[Flat::I32]),
                    RuntimeFunc::TableRep | RuntimeFunc::TableTag => {
                        sig(&[Flat::I32; 2], &[Flat::I32])
                    }
                    RuntimeFunc::TableRemove => sig(&[Flat::I32; 2], &[]),
                };
                (format!("meld tables {}", t.field()), ty, codegen_table(t)?)
            }
            AsyncFunc::Call(id) => call(ctx, tys, &rt, funcs, id)?,
            AsyncFunc::Entry(site) => entry(ctx, tys, &rt, site)?,
            AsyncFunc::Return(site) => return_half(ctx, tys, &rt, site)?,
            AsyncFunc::HostEntry(id) => host_entry(ctx, tys, &rt, funcs, id)?,
            AsyncFunc::HostCallback => {
                let (mut b, _) = Body::new(&[Flat::I32; 3]);
                b.ins(I::Unreachable);
                (
                    "meld host callback".to_string(),
                    sig(&[Flat::I32; 3], &[Flat::I32]),
                    b.finish(),
                )
            }
        };
        out.push(GeneratedFunc { name, ty, body });
    }
    Ok(out)
}

fn sig(params: &[Flat], results: &[Flat]) -> FuncType {
    FuncType::new(
        params.iter().map(|t| t.core()),
        results.iter().map(|t| t.core()),
    )
}

/// The values of lifted function `id`'s type.
fn values(ctx: &Ctx<'_, '_, '_>, tys: &mut TyTable, id: LiftedId) -> Result<Values> {
    let lifted = &ctx.graph.lifted[id.0];
    let func = ctx
        .types
        .get(lifted.ty)
        .ok_or_else(|| Error::internal("unknown function type"))?;
    let path = ctx.graph.path(lifted.component);
    let mut one = |ty: &wasmparser::component_types::ComponentValType| -> Result<TyIdFlat> {
        let ty = tys.convert_with(ctx.types, ty, path, None)?;
        Ok(TyIdFlat {
            ty,
            flat: tys.info(ty).flat.clone(),
        })
    };
    let params = func
        .params
        .iter()
        .map(|(_, t)| one(t))
        .collect::<Result<Vec<_>>>()?;
    let result = func.result.as_ref().map(&mut one).transpose()?;
    Ok(Values {
        params,
        result,
        async_type: func.async_,
    })
}

/// The flat parameters of `values`, or one pointer beyond `limit`.
fn flat_params(values: &Values, limit: usize) -> Result<Vec<Flat>> {
    let flat: Vec<Flat> = values.params.iter().flat_map(|v| v.flat.clone()).collect();
    match flat.len() > limit {
        true => Err(Error::unsupported(format!(
            "an async call with more than {limit} flat parameters (passed through memory) is \
             not fused yet"
        ))),
        false => Ok(flat),
    }
}

/// Refuses values that are not numbers crossing as they are.
fn numbers_only(tys: &TyTable, values: &Values, what: &str) -> Result<()> {
    let plain = |v: &TyIdFlat| matches!(tys.node(v.ty), Node::Prim(p) if p.is_plain());
    if values.params.iter().chain(&values.result).all(plain) {
        return Ok(());
    }
    Err(Error::unsupported(format!(
        "{what}: an async call between components whose parameters or result are not all \
         32- or 64-bit numbers is not fused yet"
    )))
}

/// `begin`'s kind for lifted function `id`.
fn kind(ctx: &Ctx<'_, '_, '_>, values: &Values, id: LiftedId) -> u32 {
    let options = &ctx.graph.lifted[id.0].options;
    let mut k = 0;
    if values.async_type {
        k |= ASYNC_TYPE;
    }
    if options.async_ {
        k |= match options.callback {
            Some(_) => CALLBACK,
            None => STACKFUL,
        };
    }
    k
}

/// Pushes the address of task `task`'s argument slot `slot`.
fn slot(b: &mut Body, rt: &Rt, task: Local, slot: u32) {
    b.get(task).i32(slot).ins(I::Call(rt.argument));
}

/// The bytes of a flat value in an argument slot.
fn flat_size(ty: Flat) -> u32 {
    match ty {
        Flat::I32 | Flat::F32 => 4,
        Flat::I64 | Flat::F64 => 8,
    }
}

/// Stores `values` in the slots of `task` from slot 0.
fn store_args(b: &mut Body, rt: &Rt, task: Local, values: &[Local]) -> Result<()> {
    if values.len() > ARG_SLOTS {
        return Err(Error::unsupported(format!(
            "an async call or export with more than {ARG_SLOTS} flat parameters is not fused yet"
        )));
    }
    for (i, v) in values.iter().enumerate() {
        slot(b, rt, task, i as u32);
        b.get(*v).store(rt.memory, 0, flat_size(v.ty), v.ty);
    }
    Ok(())
}

/// Pushes the flat values in the slots of `task` from slot 0.
fn load_args(b: &mut Body, rt: &Rt, task: Local, flat: &[Flat]) {
    for (i, ty) in flat.iter().enumerate() {
        slot(b, rt, task, i as u32);
        b.load(rt.memory, 0, flat_size(*ty), *ty);
    }
}

/// Resolves `def` to a fused function index.
fn func(ctx: &Ctx<'_, '_, '_>, def: &CoreDef) -> Result<u32> {
    ctx.layout
        .resolve(ctx.graph, ctx.adapters, def, Space::Func)
}

type Made = (String, FuncType, wasm_encoder::Function);

/// The caller's side of async call `id`.
fn call(
    ctx: &Ctx<'_, '_, '_>,
    tys: &mut TyTable,
    rt: &Rt,
    funcs: &[AsyncFunc],
    id: AdapterId,
) -> Result<Made> {
    let adapter = &ctx.graph.adapters[id.0];
    let in_caller = |e: Error| e.in_component(ctx.graph.path(adapter.caller));
    let v = values(ctx, tys, adapter.callee).map_err(in_caller)?;
    numbers_only(tys, &v, &adapter.name).map_err(in_caller)?;
    if !adapter.options.async_ {
        return Err(in_caller(Error::unsupported(format!(
            "`{}`: a synchronous call of an async function or async lift is not fused yet",
            adapter.name
        ))));
    }
    if !ctx.graph.lifted[adapter.callee.0].options.async_ {
        return Err(in_caller(Error::unsupported(format!(
            "`{}`: an async call of a synchronously lifted function is not fused yet",
            adapter.name
        ))));
    }
    let mut params = flat_params(&v, 4).map_err(in_caller)?;
    if v.result.is_some() {
        params.push(Flat::I32);
    }
    let callee = ctx.graph.lifted[adapter.callee.0].component;
    let site = Site::Adapter(id);
    let (mut b, args) = Body::new(&params);
    if let Some(flag) = (ctx.flag)(adapter.caller) {
        b.ins(I::GlobalGet(flag)).ins(I::I32Eqz).trap_if();
    }
    let task = b.local(Flat::I32);
    b.i32(adapter.caller.0 as u32)
        .i32(callee.0 as u32)
        .i32(kind(ctx, &v, adapter.callee))
        .i32(entry_index(funcs, AsyncFunc::Entry(site))?)
        .ins(I::Call(rt.begin))
        .set(task);
    store_args(&mut b, rt, task, &args)?;
    slot(&mut b, rt, task, RETURN_SLOT);
    b.i32(entry_index(funcs, AsyncFunc::Return(site))?)
        .ins(I::I32Store(super::body::memarg(rt.memory, 0, 4)));
    b.get(task).ins(I::Call(rt.await_call));
    b.ins(I::Call(rt.funcs.suspend)).ins(I::Drop);
    b.get(task).ins(I::Call(rt.call_result));
    Ok((
        format!("meld async call {}", adapter.name),
        sig(&params, &[Flat::I32]),
        b.finish(),
    ))
}

/// The lifted function a site calls.
fn site_lifted(ctx: &Ctx<'_, '_, '_>, site: Site) -> LiftedId {
    match site {
        Site::Adapter(id) => ctx.graph.adapters[id.0].callee,
        Site::Export(id) => id,
    }
}

fn site_name(ctx: &Ctx<'_, '_, '_>, site: Site) -> String {
    match site {
        Site::Adapter(id) => ctx.graph.adapters[id.0].name.clone(),
        Site::Export(id) => format!(
            "export of {}",
            ctx.graph.path(ctx.graph.lifted[id.0].component)
        ),
    }
}

/// The entry of a site's tasks.
fn entry(ctx: &Ctx<'_, '_, '_>, tys: &mut TyTable, rt: &Rt, site: Site) -> Result<Made> {
    let id = site_lifted(ctx, site);
    let lifted = &ctx.graph.lifted[id.0];
    let v = values(ctx, tys, id)?;
    let core = func(ctx, &lifted.func)?;
    let (mut b, args) = Body::new(&[Flat::I32]);
    let task = args[0];
    let phase = b.local(Flat::I32);
    b.get(task).ins(I::Call(rt.enter)).set(phase);
    b.get(phase).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
    b.ins(I::Return).ins(I::End);
    let flat = match site {
        // Arguments of an async call are the caller's flat values.
        Site::Adapter(_) => flat_params(&v, 4)?,
        Site::Export(_) => flat_params(&v, ARG_SLOTS)?,
    };
    match lifted.options.callback.as_ref() {
        Some(callback) => {
            let callback = func(ctx, callback)?;
            let code = b.local(Flat::I32);
            b.get(phase)
                .i32(1)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            load_args(&mut b, rt, task, &flat);
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
        }
        None => {
            // Sync-lifted (a root export): the results wait in slot 0 for
            // the host entry.
            let results = tys_lifted_results(tys, &v);
            b.get(task).ins(I::Call(rt.started));
            let result = results.first().map(|ty| b.local(*ty));
            load_args(&mut b, rt, task, &flat);
            b.ins(I::Call(core));
            if let Some(r) = result {
                b.set(r);
                slot(&mut b, rt, task, 0);
                b.get(r).store(rt.memory, 0, flat_size(r.ty), r.ty);
            }
            b.get(task).ins(I::Call(rt.exit_sync));
        }
    }
    Ok((
        format!("meld task entry {}", site_name(ctx, site)),
        sig(&[Flat::I32], &[]),
        b.finish(),
    ))
}

/// The core results of a sync lift of `v`: the flat result, or a pointer.
fn tys_lifted_results(_tys: &TyTable, v: &Values) -> Vec<Flat> {
    match &v.result {
        None => Vec::new(),
        Some(r) if r.flat.len() <= crate::abi::MAX_FLAT_RESULTS => r.flat.clone(),
        Some(_) => vec![Flat::I32],
    }
}

/// `task.return`'s core parameters for result `result`.
fn return_params(result: &Option<TyIdFlat>) -> Vec<Flat> {
    match result {
        None => Vec::new(),
        Some(r) if r.flat.len() <= crate::abi::MAX_FLAT_PARAMS => r.flat.clone(),
        Some(_) => vec![Flat::I32],
    }
}

/// What `task.return` calls for a site's task.
fn return_half(ctx: &Ctx<'_, '_, '_>, tys: &mut TyTable, rt: &Rt, site: Site) -> Result<Made> {
    let id = site_lifted(ctx, site);
    let v = values(ctx, tys, id)?;
    let params = return_params(&v.result);
    let (mut b, args) = Body::new(&params);
    match site {
        Site::Export(id) => {
            let host = ctx
                .host_returns
                .get(&id)
                .copied()
                .ok_or_else(|| Error::internal("an async root export without task.return"))?;
            for a in &args {
                b.get(*a);
            }
            b.ins(I::Call(host));
        }
        Site::Adapter(adapter) => {
            let a = &ctx.graph.adapters[adapter.0];
            if let Some(r) = &v.result {
                let memory = a
                    .options
                    .memory
                    .as_ref()
                    .map(|m| {
                        ctx.layout
                            .resolve(ctx.graph, ctx.adapters, m, Space::Memory)
                    })
                    .transpose()?
                    .ok_or_else(|| {
                        Error::invalid("an async lower with results but without a memory")
                    })?;
                let info = tys.info(r.ty);
                let (size, align) = (info.size, info.align);
                let at = flat_params(&v, 4)?.len() as u32;
                let (ptr, task) = (b.local(Flat::I32), b.local(Flat::I32));
                b.ins(I::GlobalGet(rt.current)).set(task);
                slot(&mut b, rt, task, at);
                b.ins(I::I32Load(super::body::memarg(rt.memory, 0, 4)))
                    .set(ptr);
                b.check_align(ptr, align);
                b.get(ptr).get(args[0]).store(memory, 0, size, args[0].ty);
            }
        }
    }
    b.ins(I::Call(rt.returned));
    Ok((
        format!("meld task.return {}", site_name(ctx, site)),
        sig(&params, &[]),
        b.finish(),
    ))
}

/// The fused module's export for root export `id`: a task for the host's
/// call, run until nothing can run; a call that has not returned then is
/// a deadlock.
fn host_entry(
    ctx: &Ctx<'_, '_, '_>,
    tys: &mut TyTable,
    rt: &Rt,
    funcs: &[AsyncFunc],
    id: LiftedId,
) -> Result<Made> {
    let lifted = &ctx.graph.lifted[id.0];
    let in_callee = |e: Error| e.in_component(ctx.graph.path(lifted.component));
    let v = values(ctx, tys, id).map_err(in_callee)?;
    let params = flat_params(&v, ARG_SLOTS).map_err(in_callee)?;
    let results = match lifted.options.async_ {
        true => vec![Flat::I32],
        false => tys_lifted_results(tys, &v),
    };
    let site = Site::Export(id);
    let (mut b, args) = Body::new(&params);
    let task = b.local(Flat::I32);
    b.i32(u32::MAX)
        .i32(lifted.component.0 as u32)
        .i32(kind(ctx, &v, id))
        .i32(entry_index(funcs, AsyncFunc::Entry(site))?)
        .ins(I::Call(rt.begin))
        .set(task);
    store_args(&mut b, rt, task, &args).map_err(in_callee)?;
    if lifted.options.async_ {
        slot(&mut b, rt, task, RETURN_SLOT);
        b.i32(entry_index(funcs, AsyncFunc::Return(site))?)
            .ins(I::I32Store(super::body::memarg(rt.memory, 0, 4)));
    }
    b.ins(I::Call(rt.run));
    b.get(task)
        .ins(I::Call(rt.has_returned))
        .ins(I::I32Eqz)
        .trap_if();
    match lifted.options.async_ {
        // EXIT: the results went to the host's `task.return`.
        true => {
            b.i32(0);
        }
        false => {
            if let Some(ty) = results.first() {
                slot(&mut b, rt, task, 0);
                b.load(rt.memory, 0, flat_size(*ty), *ty);
            }
        }
    }
    Ok((
        format!("meld host entry {}", site_name(ctx, site)),
        sig(&params, &results),
        b.finish(),
    ))
}

/// The shim of async built-in `id`.
fn shim(
    ctx: &Ctx<'_, '_, '_>,
    tys: &mut TyTable,
    rt: &Rt,
    funcs: &[AsyncFunc],
    id: AsyncBuiltinId,
) -> Result<Made> {
    let builtin = &ctx.graph.async_builtins[id.0];
    let instance = builtin.caller.0 as u32;
    let name = format!(
        "{} in {}",
        builtin.op.name(),
        ctx.graph.path(builtin.caller)
    );
    if let crate::decode::AsyncOp::TaskReturn = builtin.op {
        let result = builtin
            .result
            .as_ref()
            .map(|ty| -> Result<TyIdFlat> {
                let ty = tys.convert_with(ctx.types, ty, &name, None)?;
                Ok(TyIdFlat {
                    ty,
                    flat: tys.info(ty).flat.clone(),
                })
            })
            .transpose()?;
        let params = return_params(&result);
        let (mut b, args) = Body::new(&params);
        let (task, half) = (b.local(Flat::I32), b.local(Flat::I32));
        b.ins(I::GlobalGet(rt.current)).set(task);
        // Outside a task there is nothing to return from.
        b.get(task).ins(I::I32Eqz).trap_if();
        slot(&mut b, rt, task, RETURN_SLOT);
        b.ins(I::I32Load(super::body::memarg(rt.memory, 0, 4)))
            .set(half);
        // The task's return half, among those of this component's sites
        // with the same core signature (another one is a task.return of
        // the wrong type: it traps).
        for f in funcs {
            let AsyncFunc::Return(site) = *f else {
                continue;
            };
            let lifted = site_lifted(ctx, site);
            if ctx.graph.lifted[lifted.0].component != builtin.caller {
                continue;
            }
            let v = values(ctx, tys, lifted)?;
            if return_params(&v.result) != params {
                continue;
            }
            b.get(half)
                .i32(entry_index(funcs, *f)?)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty));
            for a in &args {
                b.get(*a);
            }
            b.ins(I::Call(ctx.layout.async_index(*f)?)).ins(I::Return);
            b.ins(I::End);
        }
        b.ins(I::Unreachable);
        return Ok((name, sig(&params, &[]), b.finish()));
    }
    let memory = builtin
        .options
        .memory
        .as_ref()
        .map(|m| {
            ctx.layout
                .resolve(ctx.graph, ctx.adapters, m, Space::Memory)
        })
        .transpose()?;
    let ty = shims::func_type(&builtin.op)
        .ok_or_else(|| Error::internal("a built-in without a shim type"))?;
    let body = shims::body(&builtin.op, instance, memory, &rt.funcs)
        .ok_or_else(|| Error::internal("a built-in without a shim"))?;
    Ok((name, ty, body))
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
    let get = |name: &str, space: Space| {
        layout.resolve(
            graph,
            adapters,
            &CoreDef::Export(rt.scheduler, name.to_string()),
            space,
        )
    };
    Ok(Some(crate::unwind::Config {
        globals: crate::unwind::Globals {
            state: get("state", Space::Global)?,
            sp: get("sp", Space::Global)?,
            limit: get("limit", Space::Global)?,
            memory: get("memory", Space::Memory)?,
            base: 0,
        },
        suspend: [get("suspend", Space::Func)?].into(),
        stop: [get("run", Space::Func)?].into(),
    }))
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
    let table = layout.resolve(
        graph,
        adapters,
        &CoreDef::Export(rt.scheduler, "entries".to_string()),
        Space::Table,
    )?;
    let funcs = entries(layout.async_funcs())
        .map(|(_, f)| layout.async_index(f))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((table, funcs)))
}
