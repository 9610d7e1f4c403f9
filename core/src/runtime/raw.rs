//! `tests/tests/async_raw.wat` run on the runtime: its caller and callee
//! core code, unchanged, with every built-in and every call between them
//! written as meld's generated code will be, must log exactly the numbers
//! wasmtime 48 gives for the original component (pinned in
//! `tests/tests/async_calls.rs`), and trap where it traps.

use super::shims::{self, RuntimeFuncs};
use super::tests::{Linking, run_linked, runtime_config};
use crate::decode::AsyncOp;
use crate::unwind::instrument;
use std::collections::BTreeSet;

/// The caller's built-ins written by hand, as `shims.rs` generates them.
const HAND_BUILTINS: &str = r#"
  (func $new (result i32) (call $set_new (i32.const 0)))
  (func $wait_raw (param $s i32) (param $ptr i32) (result i32)
    (local $code i32)
    (call $check_blocking)
    (local.set $code (call $wait (local.get $s)))
    (i32.store $m (local.get $ptr) (global.get $p1))
    (i32.store $m offset=4 (local.get $ptr) (global.get $p2))
    (local.get $code))
  (func $poll (param $s i32) (param $ptr i32) (result i32)
    (local $code i32)
    (local.set $code (call $take (i32.const 0) (local.get $s)))
    (i32.store $m (local.get $ptr) (global.get $p1))
    (i32.store $m offset=4 (local.get $ptr) (global.get $p2))
    (local.get $code))
  (func $drop-set (param i32) (call $set_drop (i32.const 0) (local.get 0)))
  (func $join_raw (param i32 i32) (call $join (i32.const 0) (local.get 0) (local.get 1)))
  (func $drop-subtask (param i32) (call $subtask_drop (i32.const 0) (local.get 0)))
  ;; subtask.cancel (the blocking variant)
  (func $cancel_raw (param $h i32) (result i32)
    (local $r i32)
    (if (call $cancel_begin (i32.const 0) (local.get $h) (i32.const 1))
      (then (drop (call $suspend))))
    (loop $again
      (local.set $r (call $cancel_result (i32.const 0) (local.get $h) (i32.const 1)))
      (if (i32.eq (local.get $r) (i32.const 1))
        (then (drop (call $suspend)) (br $again))))
    (local.get $r))
  (func $get (result i32) (call $context_get (i32.const 0)))
  (func $set (param i32) (call $context_set (i32.const 0) (local.get 0)))
"#;

/// The same built-ins imported from the module `shims.rs` generates.
const GENERATED_BUILTINS: &str = r#"
  (import "shims" "new" (func $new (result i32)))
  (import "shims" "wait" (func $wait_raw (param i32 i32) (result i32)))
  (import "shims" "poll" (func $poll (param i32 i32) (result i32)))
  (import "shims" "drop-set" (func $drop-set (param i32)))
  (import "shims" "join" (func $join_raw (param i32 i32)))
  (import "shims" "drop-subtask" (func $drop-subtask (param i32)))
  (import "shims" "cancel" (func $cancel_raw (param i32) (result i32)))
  (import "shims" "get" (func $get (result i32)))
  (import "shims" "set" (func $set (param i32)))
"#;

/// The callee's and the caller's core functions of `async_raw.wat` (the
/// caller's log moved to 4096, its return areas kept; memory accesses name
/// the guest's memory `$m`, as the runtime's is imported first), over the
/// shims. Instance 0 is the caller, 1 the callee.
const RAW: &str = r#"
  (elem (table $entries) (i32.const 0) func $root_entry $ready_entry $later_entry)

  ;; --- per task: the raw arguments and return area of a call ---------
  (func $arg_at (param $task i32) (result i32)
    (i32.add (i32.const 8192) (i32.shl (local.get $task) (i32.const 3))))

  ;; --- the callee (instance 1) ------------------------------------------
  (global $x (mut i32) (i32.const 0))
  (func $b_ready (param i32) (result i32)
    (call $b_return (i32.add (local.get 0) (i32.const 1)))
    (i32.const 0))
  (func $b_later (param i32) (result i32)
    (global.set $x (local.get 0))
    (i32.const 1))
  (func $b_later_cb (param i32 i32 i32) (result i32)
    (call $b_return (i32.mul (global.get $x) (i32.const 10)))
    (i32.const 0))
  (func $b_exit_cb (param i32 i32 i32) (result i32) (i32.const 0))
  (func $b_close (call $backpressure_inc (i32.const 1)))
  ;; task.return (result u32) of the callee: into the caller's return area
  (func $b_return (param $v i32)
    (i32.store $m (i32.load $m offset=4 (call $arg_at (global.get $current))) (local.get $v))
    (call $returned))

  ;; entries of the callee's two async lifts (callback-lifted)
  (func $ready_entry (param $task i32)
    (local $phase i32) (local $c i32)
    (local.set $phase (call $enter (local.get $task)))
    (if (i32.eqz (local.get $phase)) (then return))
    (if (i32.eq (local.get $phase) (i32.const 1))
      (then
        (call $started (local.get $task))
        (local.set $c (call $b_ready (i32.load $m (call $arg_at (local.get $task))))))
      (else (local.set $c (call $b_exit_cb (global.get $code) (global.get $p1) (global.get $p2)))))
    (call $callback_code (local.get $task) (local.get $c)))
  (func $later_entry (param $task i32)
    (local $phase i32) (local $c i32)
    (local.set $phase (call $enter (local.get $task)))
    (if (i32.eqz (local.get $phase)) (then return))
    (if (i32.eq (local.get $phase) (i32.const 1))
      (then
        (call $started (local.get $task))
        (local.set $c (call $b_later (i32.load $m (call $arg_at (local.get $task))))))
      (else (local.set $c (call $b_later_cb (global.get $code) (global.get $p1) (global.get $p2)))))
    (call $callback_code (local.get $task) (local.get $c)))

  ;; --- the caller's imports (instance 0) ---------------------------------
  (func $async_call (param $entry i32) (param $x i32) (param $ret i32) (result i32)
    (local $t i32)
    (local.set $t (call $begin (i32.const 0) (i32.const 1) (i32.const 48) (local.get $entry)))
    (i32.store $m (call $arg_at (local.get $t)) (local.get $x))
    (i32.store $m offset=4 (call $arg_at (local.get $t)) (local.get $ret))
    (call $await_call (local.get $t))
    (drop (call $suspend))
    (call $call_result (local.get $t)))
  (func $ready (param i32 i32) (result i32) (call $async_call (i32.const 1) (local.get 0) (local.get 1)))
  (func $later (param i32 i32) (result i32) (call $async_call (i32.const 2) (local.get 0) (local.get 1)))
  (func $close (call $b_close))
  BUILTINS
  ;; task.return of the caller's root task: to the host (the test reads
  ;; the log)
  (func $return-list (param $ptr i32) (param $len i32)
    (global.set $result_len (i32.shl (local.get $len) (i32.const 2)))
    (call $returned))
  (func $return-none (call $returned))
  ;; the log's length in bytes once the root task returned it
  (global $result_len (export "result_len") (mut i32) (i32.const -1))

  ;; --- the caller's core code, as in async_raw.wat ------------------------
  (global $count (mut i32) (i32.const 0))
  (func $rawlog (param i32)
    (i32.store $m
      (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 2)))
      (local.get 0))
    (global.set $count (i32.add (global.get $count) (i32.const 1))))
  (func $log-state (param $r i32) (result i32)
    (call $rawlog (i32.and (local.get $r) (i32.const 15)))
    (call $rawlog (i32.shr_u (local.get $r) (i32.const 4)))
    (i32.shr_u (local.get $r) (i32.const 4)))
  (func $raw_run (result i32)
    (local $h i32) (local $s i32)
    (global.set $count (i32.const 0))
    (drop (call $log-state (call $ready (i32.const 5) (i32.const 16))))
    (call $rawlog (i32.load $m (i32.const 16)))
    (local.set $h (call $log-state (call $later (i32.const 7) (i32.const 32))))
    (local.set $s (call $new))
    (call $rawlog (local.get $s))
    (call $join_raw (local.get $h) (local.get $s))
    (call $rawlog (call $wait_raw (local.get $s) (i32.const 48)))
    (call $rawlog (i32.load $m (i32.const 48)))
    (call $rawlog (i32.load $m (i32.const 52)))
    (call $rawlog (i32.load $m (i32.const 32)))
    (call $drop-subtask (local.get $h))
    (call $rawlog (call $poll (local.get $s) (i32.const 48)))
    (call $drop-set (local.get $s))
    (call $rawlog (call $get))
    (call $set (i32.const 42))
    (call $rawlog (call $get))
    (call $close)
    (local.set $h (call $log-state (call $later (i32.const 9) (i32.const 64))))
    (call $rawlog (call $cancel_raw (local.get $h)))
    (call $drop-subtask (local.get $h))
    (call $return-list (i32.const 4096) (global.get $count))
    (i32.const 0))
  (func $cancel-running (result i32)
    (local $h i32)
    (global.set $count (i32.const 0))
    (local.set $h (call $log-state (call $later (i32.const 3) (i32.const 16))))
    (call $rawlog (call $cancel_raw (local.get $h)))
    (call $rawlog (i32.load $m (i32.const 16)))
    (call $drop-subtask (local.get $h))
    (call $return-list (i32.const 4096) (global.get $count))
    (i32.const 0))
  (func $cancel-joined (result i32)
    (local $h i32) (local $s i32)
    (local.set $h (i32.shr_u (call $later (i32.const 4) (i32.const 16)) (i32.const 4)))
    (local.set $s (call $new))
    (call $join_raw (local.get $h) (local.get $s))
    (drop (call $wait_raw (local.get $s) (i32.const 48)))
    (drop (call $cancel_raw (local.get $h)))
    (call $return-none)
    (i32.const 0))
  (func $cancel-returned (result i32)
    (local $h i32) (local $s i32)
    (local.set $h (i32.shr_u (call $later (i32.const 4) (i32.const 16)) (i32.const 4)))
    (local.set $s (call $new))
    (call $join_raw (local.get $h) (local.get $s))
    (drop (call $wait_raw (local.get $s) (i32.const 48)))
    (call $join_raw (local.get $h) (i32.const 0))
    (drop (call $cancel_raw (local.get $h)))
    (call $return-none)
    (i32.const 0))
  (func $drop-early (result i32)
    (call $drop-subtask (i32.shr_u (call $later (i32.const 1) (i32.const 16)) (i32.const 4)))
    (call $return-none)
    (i32.const 0))
  (func $sync-wait (result i32)
    (local $s i32)
    (local.set $s (call $new))
    (call $join_raw
      (i32.shr_u (call $later (i32.const 1) (i32.const 16)) (i32.const 4))
      (local.get $s))
    (call $wait_raw (local.get $s) (i32.const 48)))
  (func $wait-empty (result i32)
    (drop (call $wait_raw (call $new) (i32.const 48)))
    (call $return-none)
    (i32.const 0))

  ;; --- the root task: the host's call of one caller export --------------
  (global $export (mut i32) (i32.const 0))
  (global $root (mut i32) (i32.const 0))
  (func $raw_export (result i32)
    (block $wait-empty (block $sync-wait (block $drop-early (block $cancel-returned
      (block $cancel-joined (block $cancel-running (block $run
        (br_table $run $cancel-running $cancel-joined $cancel-returned $drop-early
                  $sync-wait $wait-empty (global.get $export)))
        (return (call $raw_run)))
        (return (call $cancel-running)))
        (return (call $cancel-joined)))
        (return (call $cancel-returned)))
        (return (call $drop-early)))
        ;; sync-lifted: its result is its return value
        (drop (call $sync-wait)) (call $returned) (return (i32.const 0)))
    (call $wait-empty))
  (func $root_entry (param $task i32)
    (local $phase i32)
    (local.set $phase (call $enter (local.get $task)))
    (if (i32.eqz (local.get $phase)) (then return))
    (call $started (local.get $task))
    (call $callback_code (local.get $task) (call $raw_export)))
  (func $host_call (param $export i32) (param $kind i32)
    (global.set $export (local.get $export))
    (global.set $root (call $begin (i32.const -1) (i32.const 0) (local.get $kind) (i32.const 0)))
    (call $run)
    ;; nothing left to run and the host's call has no result: deadlock
    (if (i32.eqz (call $has_returned (global.get $root))) (then (call $trap_deadlock))))
  (func $trap_deadlock unreachable)
"#;

/// Where the built-ins come from.
#[derive(Clone, Copy, Debug)]
enum Builtins {
    /// `HAND_BUILTINS`, in the guest.
    Hand,
    /// The module `shims.rs` generates, linked before the guest.
    Generated,
}

/// A module of the shims `shims.rs` generates for instance 0, importing the
/// runtime (functions in [`RuntimeFuncs`] order, then the globals `p1`,
/// `p2`, `state`, `sp`, `limit`, the runtime's memory and the guest's
/// `mem.m`), transformed by the unwind pass like the guest.
fn shims_module() -> Vec<u8> {
    shims_for(
        0,
        &[
            ("new", AsyncOp::WaitableSetNew),
            ("wait", AsyncOp::WaitableSetWait { cancellable: false }),
            ("poll", AsyncOp::WaitableSetPoll { cancellable: false }),
            ("drop-set", AsyncOp::WaitableSetDrop),
            ("join", AsyncOp::WaitableJoin),
            ("drop-subtask", AsyncOp::SubtaskDrop),
            ("cancel", AsyncOp::SubtaskCancel { async_: false }),
            ("get", AsyncOp::ContextGet(0)),
            ("set", AsyncOp::ContextSet(0)),
        ],
    )
}

/// A module of the shims of `ops` for inner instance `instance`, exported
/// under their names (see [`shims_module`] for its imports).
pub(super) fn shims_for(instance: u32, shims: &[(&str, AsyncOp)]) -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, EntityType, ExportKind, ExportSection, FunctionSection, GlobalType,
        ImportSection, MemoryType, Module, TypeSection, ValType::I32,
    };
    let imports: [(
        &str,
        &str,
        &[wasm_encoder::ValType],
        &[wasm_encoder::ValType],
    ); 20] = [
        ("rt", "suspend", &[], &[I32]),
        ("t", "check_blocking", &[], &[]),
        ("w", "set_new", &[I32], &[I32]),
        ("w", "set_drop", &[I32, I32], &[]),
        ("w", "join", &[I32, I32, I32], &[]),
        ("w", "take", &[I32, I32], &[I32]),
        ("w", "await", &[I32, I32], &[]),
        ("t", "take_cancel", &[], &[I32]),
        ("t", "wait_cancellable", &[I32], &[]),
        ("t", "subtask_drop", &[I32, I32], &[]),
        ("t", "cancel", &[I32, I32, I32], &[I32]),
        ("t", "cancel_result", &[I32, I32, I32], &[I32]),
        ("rt", "context_get", &[I32], &[I32]),
        ("rt", "context_set", &[I32, I32], &[]),
        ("t", "backpressure_inc", &[I32], &[]),
        ("t", "backpressure_dec", &[I32], &[]),
        ("t", "yield", &[], &[I32]),
        ("t", "task_cancel", &[], &[]),
        ("t", "yield_cancellable", &[], &[I32]),
        ("rt", "grow_save", &[I32], &[]),
    ];
    let rt = RuntimeFuncs {
        suspend: 0,
        check_blocking: 1,
        set_new: 2,
        set_drop: 3,
        join: 4,
        take: 5,
        await_: 6,
        take_cancel: 7,
        wait_cancellable: 8,
        subtask_drop: 9,
        cancel: 10,
        cancel_result: 11,
        context_get: 12,
        context_set: 13,
        backpressure_inc: 14,
        backpressure_dec: 15,
        yield_: 16,
        task_cancel: 17,
        yield_cancellable: 18,
        p1: 0,
        p2: 1,
        host: None,
        host_poll: None,
        host_set: None,
    };
    let mut types = TypeSection::new();
    let mut import_section = ImportSection::new();
    for (i, (module, name, params, results)) in imports.iter().enumerate() {
        types
            .ty()
            .function(params.iter().copied(), results.iter().copied());
        import_section.import(module, name, EntityType::Function(i as u32));
    }
    let global = EntityType::Global(GlobalType {
        val_type: I32,
        mutable: true,
        shared: false,
    });
    for (module, name) in [
        ("w", "p1"),
        ("w", "p2"),
        ("rt", "state"),
        ("rt", "sp"),
        ("rt", "limit"),
    ] {
        import_section.import(module, name, global);
    }
    let memory = |minimum| {
        EntityType::Memory(MemoryType {
            minimum,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        })
    };
    import_section.import("rt", "memory", memory(1));
    import_section.import("mem", "m", memory(1));
    let mut functions = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut code = CodeSection::new();
    let val = |t: &wasmparser::ValType| match t {
        wasmparser::ValType::I32 => I32,
        other => panic!("a shim with a {other} parameter"),
    };
    for (n, (name, op)) in shims.iter().enumerate() {
        let ty = shims::func_type(op).expect("a shim's type");
        let index = (imports.len() + n) as u32;
        types
            .ty()
            .function(ty.params().iter().map(val), ty.results().iter().map(val));
        functions.function(index);
        exports.export(name, ExportKind::Func, index);
        code.function(&shims::body(op, instance, Some(1), None, &rt).expect("a shim's body"));
    }
    let mut module = Module::new();
    module
        .section(&types)
        .section(&import_section)
        .section(&functions)
        .section(&exports)
        .section(&code);
    let wasm = module.finish();
    instrument(&wasm, &runtime_config(2, 3, 4, 0, 19, BTreeSet::from([0])))
        .expect("the shims transform")
        .0
}

/// Runs export `export` of the caller as the host would call it (`kind`:
/// the root task's flags, 48 for the async-typed callback lifts, 32 for
/// `sync-wait`, whose type is not async), with the built-ins from
/// `builtins`; the log of the exports that return one, and the trap's
/// backtrace (which names the runtime's trap function) if it trapped.
fn raw(export: u32, kind: u32, builtins: Builtins) -> (Vec<u32>, Option<String>) {
    let main = format!(
        "(func (export \"main\") (call $host_call (i32.const {export}) (i32.const {kind})))"
    );
    let (bytes, trap) = match builtins {
        Builtins::Hand => {
            let body = RAW.replace("BUILTINS", HAND_BUILTINS);
            run_linked(
                &format!("{body}\n{main}"),
                4096,
                "result_len",
                &Linking::default(),
            )
        }
        Builtins::Generated => {
            let body = RAW.replace("BUILTINS", "");
            let linking = Linking {
                imports: GENERATED_BUILTINS,
                suspending: &[("shims", "wait"), ("shims", "cancel")],
                shims: Some(shims_module()),
                ..Linking::default()
            };
            run_linked(&format!("{body}\n{main}"), 4096, "result_len", &linking)
        }
    };
    let words = bytes
        .chunks(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    (words, trap.map(|t| format!("{t:?}")))
}

const BOTH: [Builtins; 2] = [Builtins::Hand, Builtins::Generated];

#[test]
fn raw_run_logs_what_wasmtime_logs() {
    for builtins in BOTH {
        assert_eq!(
            raw(0, 48, builtins),
            (vec![2, 0, 6, 1, 1, 2, 1, 1, 2, 70, 0, 0, 42, 0, 2, 3], None),
            "{builtins:?}"
        );
    }
}

#[test]
fn raw_cancel_running_logs_what_wasmtime_logs() {
    for builtins in BOTH {
        assert_eq!(
            raw(1, 48, builtins),
            (vec![1, 1, 2, 30], None),
            "{builtins:?}"
        );
    }
}

#[test]
fn raw_misuse_traps_where_wasmtime_traps() {
    // Each export with the trap wasmtime 48 gives for the original.
    for (export, kind, trap) in [
        // waitable cannot be used synchronously while added to a waitable set
        (2, 48, "trap_waitable_in_a_set"),
        // `subtask.cancel` called after terminal status delivered
        (3, 48, "trap_status_delivered"),
        // cannot drop a subtask which has not yet resolved
        (4, 48, "trap_subtask_not_resolved"),
        // cannot block a synchronous task before returning
        (5, 32, "trap_cannot_block_sync_task"),
        // deadlock detected: event loop cannot make further progress
        (6, 48, "trap_deadlock"),
    ] {
        for builtins in BOTH {
            let (_, got) = raw(export, kind, builtins);
            let got = got.unwrap_or_else(|| panic!("export {export} must trap ({builtins:?})"));
            assert!(got.contains(trap), "export {export} ({builtins:?}): {got}");
        }
    }
}
