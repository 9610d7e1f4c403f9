//! The core function an inner component imports for each async built-in
//! of calls and tasks (all but `task.return`, which lowers values): a call
//! of the runtime for that component's instance, a suspension where the
//! built-in blocks, and the event written into the component's memory.
//!
//! The shapes are those `raw.rs` checks by hand against wasmtime 48; this
//! file generates them.

use crate::abi::Flat;
use crate::adapt::body::{Body, Local};
use crate::decode::AsyncOp;
use wasm_encoder::{BlockType, Instruction as I};
use wasmparser::{FuncType, ValType};

/// Where the runtime's functions and globals are (function and global
/// indices in the module the shims go into).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuntimeFuncs {
    pub(crate) suspend: u32,
    pub(crate) check_blocking: u32,
    pub(crate) set_new: u32,
    pub(crate) set_drop: u32,
    pub(crate) join: u32,
    pub(crate) take: u32,
    pub(crate) await_: u32,
    pub(crate) take_cancel: u32,
    pub(crate) wait_cancellable: u32,
    pub(crate) subtask_drop: u32,
    pub(crate) cancel: u32,
    pub(crate) cancel_result: u32,
    pub(crate) context_get: u32,
    pub(crate) context_set: u32,
    pub(crate) backpressure_inc: u32,
    pub(crate) backpressure_dec: u32,
    pub(crate) yield_: u32,
    pub(crate) yield_cancellable: u32,
    pub(crate) task_cancel: u32,
    /// The globals holding the last event's handle and payload.
    pub(crate) p1: u32,
    pub(crate) p2: u32,
    /// When inner components call the host with the async ABI.
    pub(crate) host: Option<HostCancel>,
    /// When the runtime follows the host's waitables: what takes the
    /// host's events that came (a stream or future end's among them, set
    /// by another component's read or write) before a wait or poll looks.
    pub(crate) host_poll: Option<u32>,
    /// When inner components call the host with the async ABI: the
    /// global holding the fused component's waitable set of the host's
    /// waitables, which an end pending at the host is in exactly while it
    /// is in a set of its component's (`waitable.join` joins or takes it
    /// out with `host`'s `join`).
    pub(crate) host_set: Option<u32>,
}

/// What `subtask.cancel` of a host subtask calls: the runtime's
/// `host_handle`, `host_cancelled`, `host_cancel_sent` and
/// `host_abandon`, and the host's `subtask.cancel async`, `waitable.join`
/// and `subtask.drop`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostCancel {
    pub(crate) host_handle: u32,
    pub(crate) host_cancelled: u32,
    pub(crate) host_cancel_sent: u32,
    pub(crate) host_abandon: u32,
    /// [`crate::adapt::async_calls::AsyncFunc::HostFix`]: a result that
    /// came with the cancel moves into place.
    pub(crate) fix: u32,
    pub(crate) cancel: u32,
    pub(crate) join: u32,
    pub(crate) drop: u32,
}

/// The core type of `op`'s shim (the type the component imports it at).
pub(crate) fn func_type(op: &AsyncOp) -> Option<FuncType> {
    use ValType::I32;
    Some(match op {
        AsyncOp::TaskReturn => return None,
        AsyncOp::WaitableSetNew => FuncType::new([], [I32]),
        AsyncOp::WaitableSetWait { .. } | AsyncOp::WaitableSetPoll { .. } => {
            FuncType::new([I32, I32], [I32])
        }
        AsyncOp::WaitableSetDrop | AsyncOp::SubtaskDrop | AsyncOp::ContextSet(_) => {
            FuncType::new([I32], [])
        }
        AsyncOp::WaitableJoin => FuncType::new([I32, I32], []),
        AsyncOp::SubtaskCancel { .. } => FuncType::new([I32], [I32]),
        AsyncOp::ContextGet(_) | AsyncOp::ThreadYield { .. } => FuncType::new([], [I32]),
        AsyncOp::TaskCancel | AsyncOp::BackpressureInc | AsyncOp::BackpressureDec => {
            FuncType::new([], [])
        }
        AsyncOp::End { future, op, .. } => {
            use crate::decode::EndOp;
            match op {
                EndOp::New => FuncType::new([], [ValType::I64]),
                EndOp::Read | EndOp::Write if *future => FuncType::new([I32, I32], [I32]),
                EndOp::Read | EndOp::Write => FuncType::new([I32, I32, I32], [I32]),
                EndOp::CancelRead | EndOp::CancelWrite => FuncType::new([I32], [I32]),
                EndOp::DropReadable | EndOp::DropWritable => FuncType::new([I32], []),
            }
        }
        AsyncOp::ErrorContextNew => FuncType::new([I32, I32], [I32]),
        AsyncOp::ErrorContextDebugMessage => FuncType::new([I32, I32], []),
        AsyncOp::ErrorContextDrop => FuncType::new([I32], []),
    })
}

/// The body of `op`'s shim for inner instance `instance`, whose memory
/// (for `waitable-set.wait`/`.poll`) is `memory` and whose `may_leave`
/// flag (checked first) is `leave`; `None` for `task.return`.
pub(crate) fn body(
    op: &AsyncOp,
    instance: u32,
    memory: Option<u32>,
    leave: Option<u32>,
    rt: &RuntimeFuncs,
) -> Option<wasm_encoder::Function> {
    let ty = func_type(op)?;
    let params: Vec<Flat> = ty.params().iter().map(|_| Flat::I32).collect();
    let (mut b, p) = Body::new(&params);
    b.check_may_leave(leave);
    match *op {
        // Generated with the host's built-ins (`async_calls.rs`).
        AsyncOp::TaskReturn
        | AsyncOp::End { .. }
        | AsyncOp::ErrorContextNew
        | AsyncOp::ErrorContextDebugMessage
        | AsyncOp::ErrorContextDrop => return None,
        AsyncOp::WaitableSetNew => {
            b.i32(instance).ins(I::Call(rt.set_new));
        }
        AsyncOp::WaitableSetDrop => {
            b.i32(instance).get(p[0]).ins(I::Call(rt.set_drop));
        }
        AsyncOp::WaitableJoin => {
            b.i32(instance).get(p[0]).get(p[1]).ins(I::Call(rt.join));
            if let (Some(host), Some(set)) = (rt.host, rt.host_set) {
                // an end pending at the host follows it into or out of a set
                b.ins(I::GlobalGet(rt.p1))
                    .ins(I::If(BlockType::Empty))
                    .ins(I::GlobalGet(rt.p1))
                    .ins(I::GlobalGet(set))
                    .i32(0)
                    .ins(I::GlobalGet(rt.p2))
                    .ins(I::Select)
                    .ins(I::Call(host.join))
                    .ins(I::End);
            }
        }
        AsyncOp::SubtaskDrop => {
            if let Some(host) = rt.host {
                host_abandon(&mut b, host, instance, p[0]);
            }
            b.i32(instance).get(p[0]).ins(I::Call(rt.subtask_drop));
        }
        AsyncOp::ContextGet(slot) => {
            b.i32(slot).ins(I::Call(rt.context_get));
        }
        AsyncOp::ContextSet(slot) => {
            b.i32(slot).get(p[0]).ins(I::Call(rt.context_set));
        }
        AsyncOp::BackpressureInc => {
            b.i32(instance).ins(I::Call(rt.backpressure_inc));
        }
        AsyncOp::BackpressureDec => {
            b.i32(instance).ins(I::Call(rt.backpressure_dec));
        }
        AsyncOp::TaskCancel => {
            b.ins(I::Call(rt.task_cancel));
        }
        AsyncOp::WaitableSetWait { cancellable } => {
            let memory = memory?;
            let code = b.local(Flat::I32);
            b.ins(I::Call(rt.check_blocking));
            event_pointer(&mut b, memory, p[1]);
            // loop: a pending CANCELLED (cancellable), else an event of
            // the set, else wait on the set and suspend
            b.ins(I::Block(BlockType::Empty))
                .ins(I::Loop(BlockType::Empty));
            if let Some(poll) = rt.host_poll {
                b.ins(I::Call(poll));
            }
            if cancellable {
                cancelled(&mut b, rt, code, 1);
            }
            b.i32(instance)
                .get(p[0])
                .ins(I::Call(rt.take))
                .ins(I::LocalTee(code.index))
                .ins(I::BrIf(1));
            b.i32(instance).get(p[0]).ins(I::Call(rt.await_));
            if cancellable {
                b.i32(1).ins(I::Call(rt.wait_cancellable));
            }
            b.ins(I::Call(rt.suspend)).ins(I::Drop);
            if cancellable {
                b.i32(0).ins(I::Call(rt.wait_cancellable));
            }
            b.ins(I::Br(0)).ins(I::End).ins(I::End);
            write_event(&mut b, rt, memory, p[1], code);
        }
        AsyncOp::WaitableSetPoll { cancellable } => {
            let memory = memory?;
            let code = b.local(Flat::I32);
            event_pointer(&mut b, memory, p[1]);
            if let Some(poll) = rt.host_poll {
                b.ins(I::Call(poll));
            }
            b.ins(I::Block(BlockType::Empty));
            if cancellable {
                cancelled(&mut b, rt, code, 0);
            }
            b.i32(instance)
                .get(p[0])
                .ins(I::Call(rt.take))
                .set(code)
                .ins(I::End);
            write_event(&mut b, rt, memory, p[1], code);
        }
        AsyncOp::SubtaskCancel { async_ } => {
            let sync = u32::from(!async_);
            let result = b.local(Flat::I32);
            let first = b.local(Flat::I32);
            b.i32(instance)
                .get(p[0])
                .i32(sync)
                .ins(I::Call(rt.cancel))
                .set(first);
            if let Some(host) = rt.host {
                host_cancel(&mut b, host, instance, p[0], first, async_);
            }
            b.get(first)
                .ins(I::If(BlockType::Empty))
                .ins(I::Call(rt.suspend))
                .ins(I::Drop)
                .ins(I::End);
            // the blocking variant gets 1 back while it must wait
            b.ins(I::Loop(BlockType::Empty))
                .i32(instance)
                .get(p[0])
                .i32(sync)
                .ins(I::Call(rt.cancel_result))
                .ins(I::LocalTee(result.index))
                .i32(1)
                .ins(I::I32Eq)
                .ins(I::If(BlockType::Empty))
                .ins(I::Call(rt.suspend))
                .ins(I::Drop)
                .ins(I::Br(1))
                .ins(I::End)
                .ins(I::End)
                .get(result);
        }
        AsyncOp::ThreadYield { cancellable } => {
            // 1 when cancelled (cancellable only), before or after the
            // other tasks ran
            b.ins(I::Block(BlockType::Result(wasm_encoder::ValType::I32)));
            if cancellable {
                b.i32(1)
                    .ins(I::Call(rt.take_cancel))
                    .ins(I::BrIf(0))
                    .ins(I::Drop);
            }
            b.ins(I::Call(match cancellable {
                true => rt.yield_cancellable,
                false => rt.yield_,
            }))
            .ins(I::If(BlockType::Empty))
            .ins(I::Call(rt.suspend))
            .ins(I::Drop)
            .ins(I::End);
            if cancellable {
                b.ins(I::Call(rt.take_cancel));
            } else {
                b.i32(0);
            }
            b.ins(I::End);
        }
    }
    Some(b.finish())
}

/// `subtask.cancel` of a host subtask (`first`, the runtime's answer, is
/// 2): the host cancels its own subtask. Resolved at once, the status is
/// returned and the host's subtask dropped; else the async variant
/// returns BLOCKED and the blocking one waits for the terminal event like
/// for any subtask (`first` becomes 0).
fn host_cancel(
    b: &mut Body,
    host: HostCancel,
    instance: u32,
    h: Local,
    first: Local,
    async_: bool,
) {
    let (hh, status) = (b.local(Flat::I32), b.local(Flat::I32));
    b.get(first)
        .i32(2)
        .ins(I::I32Eq)
        .ins(I::If(BlockType::Empty));
    b.i32(instance)
        .get(h)
        .ins(I::Call(host.host_handle))
        .set(hh);
    b.get(hh).ins(I::Call(host.cancel)).set(status);
    b.get(status)
        .i32(u32::MAX)
        .ins(I::I32Ne)
        .ins(I::If(BlockType::Empty));
    b.get(hh).get(status).ins(I::Call(host.fix));
    b.i32(instance)
        .get(h)
        .get(status)
        .ins(I::Call(host.host_cancelled));
    b.get(hh).i32(0).ins(I::Call(host.join));
    b.get(hh).ins(I::Call(host.drop));
    b.get(status).ins(I::Return);
    b.ins(I::End);
    if async_ {
        // wasmtime 48: the host's task is done as far as `subtask.drop` is
        // concerned (its cancel is under way)
        b.i32(instance).get(h).ins(I::Call(host.host_cancel_sent));
        b.get(status).ins(I::Return);
    }
    b.i32(0).set(first);
    b.ins(I::End);
}

/// Before `subtask.drop` of `h`: a host subtask whose cancel the host
/// answered with BLOCKED may be dropped before its event, as wasmtime 48
/// lets it be (the host aborted it): it resolves as cancelled, without an
/// event, and the host's subtask is dropped too.
fn host_abandon(b: &mut Body, host: HostCancel, instance: u32, h: Local) {
    let hh = b.local(Flat::I32);
    b.i32(instance)
        .get(h)
        .ins(I::Call(host.host_abandon))
        .set(hh);
    b.get(hh).ins(I::If(BlockType::Empty));
    b.get(hh)
        .i32(STATUS_RETURN_CANCELLED)
        .ins(I::Call(host.fix));
    b.get(hh).i32(0).ins(I::Call(host.join));
    b.get(hh).ins(I::Call(host.drop));
    b.i32(instance)
        .get(h)
        .i32(STATUS_RETURN_CANCELLED)
        .ins(I::Call(host.host_cancelled));
    b.ins(I::End);
}

/// The Canonical ABI's subtask status of a task cancelled after it began.
const STATUS_RETURN_CANCELLED: u32 = 4;

/// Traps unless `ptr` can hold an event (two `u32`s, 4-aligned), as
/// wasmtime checks before it writes.
fn event_pointer(b: &mut Body, memory: u32, ptr: Local) {
    b.check_align(ptr, 4);
    let len = b.local(Flat::I32);
    b.i32(8).set(len);
    b.check_range(memory, ptr, len, 1);
    b.free(len);
}

/// A pending CANCELLED sets `code` to 6 (event CANCELLED, handle and
/// payload 0) and branches out to the label `depth` levels above the
/// `if` this adds.
fn cancelled(b: &mut Body, rt: &RuntimeFuncs, code: Local, depth: u32) {
    b.ins(I::Call(rt.take_cancel))
        .ins(I::If(BlockType::Empty))
        .i32(0)
        .ins(I::GlobalSet(rt.p1))
        .i32(0)
        .ins(I::GlobalSet(rt.p2))
        .i32(6)
        .set(code)
        .ins(I::Br(depth + 1))
        .ins(I::End);
}

/// Writes the event's handle and payload at `ptr`; returns `code`.
fn write_event(b: &mut Body, rt: &RuntimeFuncs, memory: u32, ptr: Local, code: Local) {
    b.get(ptr)
        .ins(I::GlobalGet(rt.p1))
        .store(memory, 0, 4, Flat::I32);
    b.get(ptr)
        .ins(I::GlobalGet(rt.p2))
        .store(memory, 4, 4, Flat::I32);
    b.get(code);
}
