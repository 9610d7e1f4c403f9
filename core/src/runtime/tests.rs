//! The scheduler with guest modules written here, transformed by the unwind
//! pass and linked to it under wasmtime: the order tasks run in, what a
//! woken task receives, records and save areas reused.

use super::{SCHEDULER, TASKS, WAITABLES};
use crate::unwind::{Config, Globals, instrument};
use std::collections::BTreeSet;
use wasmtime::{Engine, Linker, Module, Store};

/// The runtime's imports, then a case's own (`EXTRA_IMPORTS`), then the
/// guest's memory `$m` (`GUEST_MEMORY`: its own, or imported from `mem`
/// when generated code elsewhere writes into it). `log` writes one byte of
/// the trace.
const PRELUDE: &str = r#"
  (import "rt" "memory" (memory $rt 4))
  (import "rt" "entries" (table $entries 64 funcref))
  (import "rt" "state" (global $state (mut i32)))
  (import "rt" "sp" (global $sp (mut i32)))
  (import "rt" "limit" (global $limit (mut i32)))
  (import "rt" "current" (global $current (mut i32)))
  (import "rt" "suspend" (func $suspend (result i32)))
  (import "rt" "yield" (func $yield (result i32)))
  (import "rt" "wake" (func $wake (param i32 i32 i32)))
  (import "rt" "spawn" (func $spawn (param i32 i32) (result i32)))
  (import "rt" "run" (func $run))
  (import "rt" "run_round" (func $run_round (param i32)))
  (import "rt" "ran" (global $ran (mut i32)))
  (import "rt" "orphan" (func $orphan (param i32)))
  (import "rt" "argument" (func $argument (param i32) (result i32)))
  (import "rt" "status" (func $status (param i32) (result i32)))
  (import "rt" "release" (func $release (param i32)))
  (import "rt" "context_get" (func $context_get (param i32) (result i32)))
  (import "rt" "context_set" (func $context_set (param i32 i32)))
  (import "rt" "grow_save" (func $grow_save (param i32)))
  (import "w" "set_new" (func $set_new (param i32) (result i32)))
  (import "w" "set_drop" (func $set_drop (param i32 i32)))
  (import "w" "waitable_new" (func $waitable_new (param i32) (result i32)))
  (import "w" "bind" (func $bind (param i32) (result i32)))
  (import "w" "waitable_handle" (func $waitable_handle (param i32) (result i32)))
  (import "w" "join" (func $join (param i32 i32 i32)))
  (import "w" "set_event" (func $set_event (param i32 i32 i32)))
  (import "w" "take" (func $take (param i32 i32) (result i32)))
  (import "w" "await" (func $await (param i32 i32)))
  (import "w" "p1" (global $p1 (mut i32)))
  (import "w" "p2" (global $p2 (mut i32)))
  (import "t" "code" (global $code (mut i32)))
  (import "t" "begin" (func $begin (param i32 i32 i32 i32) (result i32)))
  (import "t" "await_call" (func $await_call (param i32)))
  (import "t" "call_result" (func $call_result (param i32) (result i32)))
  (import "t" "call_sync_pending" (func $call_sync_pending (param i32) (result i32)))
  (import "t" "enter" (func $enter (param i32) (result i32)))
  (import "t" "started" (func $started (param i32)))
  (import "t" "returned" (func $returned))
  (import "t" "callback_code" (func $callback_code (param i32 i32)))
  (import "t" "backpressure_inc" (func $backpressure_inc (param i32)))
  (import "t" "backpressure_dec" (func $backpressure_dec (param i32)))
  (import "t" "subtask_drop" (func $subtask_drop (param i32 i32)))
  (import "t" "yield" (func $cm_yield (result i32)))
  (import "t" "cancel" (func $cancel_begin (param i32 i32 i32) (result i32)))
  (import "t" "cancel_result" (func $cancel_result (param i32 i32 i32) (result i32)))
  (import "t" "task_cancel" (func $task_cancel))
  (import "t" "has_returned" (func $has_returned (param i32) (result i32)))
  (import "t" "check_blocking" (func $check_blocking))
  (import "t" "take_cancel" (func $take_cancel (result i32)))
  (import "t" "wait_cancellable" (func $wait_cancellable (param i32)))
  EXTRA_IMPORTS
  GUEST_MEMORY
  (global $len (export "len") (mut i32) (i32.const 0))
  (global $waiter (mut i32) (i32.const 0))
  ;; `waitable-set.wait` of instance 0, as meld generates it around the
  ;; runtime: take an event, else wait on the set and suspend, again.
  (func $wait (param $s i32) (result i32)
    (local $code i32)
    (loop $again
      (local.set $code (call $take (i32.const 0) (local.get $s)))
      (if (local.get $code) (then (return (local.get $code))))
      (call $await (i32.const 0) (local.get $s))
      (drop (call $suspend))
      (br $again))
    unreachable)
  ;; A waitable of instance 0, given its handle at once.
  (func $waitable (result i32)
    (local $n i32)
    (local.set $n (call $waitable_new (i32.const 0)))
    (drop (call $bind (local.get $n)))
    (local.get $n))
  ;; `waitable-set.wait cancellable` of instance `inst`, as meld generates
  ;; it.
  (func $wait_c (param $inst i32) (param $s i32) (result i32)
    (local $code i32)
    (call $check_blocking)
    (loop $again
      (if (call $take_cancel) (then (return (i32.const 6))))
      (local.set $code (call $take (local.get $inst) (local.get $s)))
      (if (local.get $code) (then (return (local.get $code))))
      (call $await (local.get $inst) (local.get $s))
      (call $wait_cancellable (i32.const 1))
      (drop (call $suspend))
      (call $wait_cancellable (i32.const 0))
      (br $again))
    unreachable)
  ;; `thread.yield`, as meld generates it.
  (func $thread_yield
    (if (call $cm_yield) (then (drop (call $suspend)))))
  ;; `subtask.cancel async` of instance 0, as meld generates it.
  (func $cancel (param $h i32) (result i32)
    (if (call $cancel_begin (i32.const 0) (local.get $h) (i32.const 0))
      (then (drop (call $suspend))))
    (call $cancel_result (i32.const 0) (local.get $h) (i32.const 0)))
  (func $digit (param $n i32) (call $log (i32.add (i32.const 48) (local.get $n))))
  (func $log (param $c i32)
    (i32.store8 $m (global.get $len) (local.get $c))
    (global.set $len (i32.add (global.get $len) (i32.const 1))))
"#;

/// How a guest is put together: imports of its own, the imports that can
/// suspend (besides the scheduler's `suspend` and `yield`), and a module
/// of generated code (`shims`) linked before it, which writes into the
/// guest's memory (then imported from `mem`); `fuel`, when given, is all
/// the work (wasmtime's fuel) the run may do: beyond it, it traps.
#[derive(Default)]
pub(super) struct Linking<'a> {
    pub(super) imports: &'a str,
    pub(super) suspending: &'a [(&'a str, &'a str)],
    pub(super) shims: Option<Vec<u8>>,
    pub(super) fuel: Option<u64>,
}

fn guest(body: &str, linking: &Linking<'_>) -> Vec<u8> {
    let memory = match linking.shims {
        Some(_) => r#"(import "mem" "m" (memory $m 1))"#,
        None => r#"(memory $m (export "m") 1)"#,
    };
    let prelude = PRELUDE
        .replace("EXTRA_IMPORTS", linking.imports)
        .replace("GUEST_MEMORY", memory);
    let wasm = wat::parse_str(format!("(module {prelude} {body})")).expect("guest parses");
    let mut suspending = vec![("rt", "suspend"), ("rt", "yield")];
    suspending.extend(linking.suspending);
    let imports = function_imports(&wasm);
    let suspend = imports
        .iter()
        .enumerate()
        .filter(|(_, (module, name))| suspending.iter().any(|(m, n)| m == module && n == name))
        .map(|(i, _)| i as u32)
        .collect();
    let grow = imports
        .iter()
        .position(|(module, name)| module == "rt" && name == "grow_save")
        .expect("the prelude imports grow_save") as u32;
    instrument(&wasm, &runtime_config(0, 1, 2, 0, grow, suspend))
        .expect("guest transforms")
        .0
}

/// The unwind configuration of a module importing the scheduler's state,
/// sp, limit (global indices), memory and `grow_save` (a function index).
pub(super) fn runtime_config(
    state: u32,
    sp: u32,
    limit: u32,
    memory: u32,
    grow: u32,
    suspend: BTreeSet<u32>,
) -> Config {
    Config {
        globals: Globals {
            state,
            sp,
            limit,
            grow: Some(grow),
            memory,
            base: 0,
        },
        suspend,
        stop: BTreeSet::new(),
        calm: crate::unwind::Calm::none(),
    }
}

/// (module, name) of every function import, in index order.
fn function_imports(wasm: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ImportSection(s)) = payload {
            for import in s.into_imports() {
                let import = import.expect("import");
                if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                    out.push((import.module.to_string(), import.name.to_string()));
                }
            }
        }
    }
    out
}

/// A stand-in for meld's handle tables: one table per instance (four),
/// handles from 1, the slot freed last reused first.
const TABLES: &str = r#"
(module
  (memory 1)
  ;; table k at 64 k: first free, length; slots at 4096 + 2048 k, 8 bytes:
  ;; tag (0 free), representation (when free: the next free handle)
  (func $slot (param $inst i32) (param $h i32) (result i32)
    (if (i32.or (i32.eqz (local.get $h))
                (i32.gt_u (local.get $h) (i32.load offset=4 (i32.shl (local.get $inst) (i32.const 6)))))
      (then unreachable))
    (i32.add (i32.add (i32.const 4096) (i32.mul (local.get $inst) (i32.const 2048)))
             (i32.shl (i32.sub (local.get $h) (i32.const 1)) (i32.const 3))))
  (func (export "insert") (param $inst i32) (param $tag i32) (param $rep i32) (result i32)
    (local $t i32) (local $h i32) (local $s i32)
    (local.set $t (i32.shl (local.get $inst) (i32.const 6)))
    (local.set $h (i32.load (local.get $t)))
    (if (local.get $h)
      (then (i32.store (local.get $t)
              (i32.load offset=4 (call $slot (local.get $inst) (local.get $h)))))
      (else
        (local.set $h (i32.add (i32.load offset=4 (local.get $t)) (i32.const 1)))
        (i32.store offset=4 (local.get $t) (local.get $h))))
    (local.set $s (call $slot (local.get $inst) (local.get $h)))
    (i32.store (local.get $s) (local.get $tag))
    (i32.store offset=4 (local.get $s) (local.get $rep))
    (local.get $h))
  (func $live (param $inst i32) (param $h i32) (result i32)
    (local $s i32)
    (local.set $s (call $slot (local.get $inst) (local.get $h)))
    (if (i32.eqz (i32.load (local.get $s))) (then unreachable))
    (local.get $s))
  (func (export "rep") (param $inst i32) (param $h i32) (result i32)
    (i32.load offset=4 (call $live (local.get $inst) (local.get $h))))
  (func (export "tag") (param $inst i32) (param $h i32) (result i32)
    (i32.load (call $live (local.get $inst) (local.get $h))))
  (func (export "remove") (param $inst i32) (param $h i32)
    (local $s i32) (local $t i32)
    (local.set $s (call $live (local.get $inst) (local.get $h)))
    (local.set $t (i32.shl (local.get $inst) (i32.const 6)))
    (i32.store (local.get $s) (i32.const 0))
    (i32.store offset=4 (local.get $s) (i32.load (local.get $t)))
    (i32.store (local.get $t) (local.get $h)))
  ;; the copy of native streams, which these tests do not make
  (func (export "copy") (param i32 i32 i32 i32 i32 i32) unreachable)
  ;; nor carried writes
  (func (export "carried") (param i32) (result i32) unreachable)
  ;; there is no host to gate here
  (func (export "gate") (param i32 i32))
)
"#;

/// Runs the guest's `main` linked to the runtime; returns its trace, or
/// the trace so far and the trap.
fn run(body: &str) -> (String, Option<wasmtime::Error>) {
    let (bytes, trap) = run_reading(body, 0, "len");
    (String::from_utf8(bytes).expect("ascii trace"), trap)
}

/// Runs the guest's `main` linked to the runtime; returns the bytes of its
/// memory from `at` on, as many as its global `len` says (none if that is
/// negative), and the trap if it trapped.
pub(super) fn run_reading(body: &str, at: usize, len: &str) -> (Vec<u8>, Option<wasmtime::Error>) {
    run_linked(body, at, len, &Linking::default())
}

/// [`run_reading`], the guest put together as `linking` says.
pub(super) fn run_linked(
    body: &str,
    at: usize,
    len: &str,
    linking: &Linking<'_>,
) -> (Vec<u8>, Option<wasmtime::Error>) {
    let mut config = wasmtime::Config::new();
    config.consume_fuel(linking.fuel.is_some());
    let engine = Engine::new(&config).expect("engine");
    let mut store = Store::new(&engine, ());
    if let Some(fuel) = linking.fuel {
        store.set_fuel(fuel).expect("fuel is on");
    }
    let mut linker = Linker::new(&engine);
    let mut link = |name: &str, wasm: &[u8], linker: &mut Linker<()>| {
        let module = Module::new(&engine, wasm).expect("runtime module compiles");
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("runtime module instantiates");
        linker
            .instance(&mut store, name, instance)
            .expect("runtime module links");
    };
    link(
        "tables",
        &wat::parse_str(TABLES).expect("tables parse"),
        &mut linker,
    );
    link("scheduler", SCHEDULER, &mut linker);
    linker
        .alias_module("scheduler", "rt")
        .expect("scheduler aliased");
    link("w", WAITABLES, &mut linker);
    link("t", TASKS, &mut linker);
    if let Some(shims) = &linking.shims {
        let memory = wat::parse_str(r#"(module (memory (export "m") 1))"#).expect("parses");
        link("mem", &memory, &mut linker);
        link("shims", shims, &mut linker);
    }
    let module = Module::new(&engine, guest(body, linking)).expect("guest compiles");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("guest instantiates");
    let outcome = instance
        .get_typed_func::<(), ()>(&mut store, "main")
        .expect("main")
        .call(&mut store, ());
    let len = instance
        .get_global(&mut store, len)
        .expect("the length global")
        .get(&mut store)
        .unwrap_i32();
    let memory = match linking.shims {
        Some(_) => linker
            .get(&mut store, "mem", "m")
            .ok()
            .and_then(wasmtime::Extern::into_memory),
        None => instance.get_memory(&mut store, "m"),
    }
    .expect("the guest's memory");
    let bytes = usize::try_from(len)
        .map(|len| memory.data(&store)[at..at + len].to_vec())
        .unwrap_or_default();
    (bytes, outcome.err())
}

/// The trace of a guest that must not trap.
fn trace(body: &str) -> String {
    let (trace, trap) = run(body);
    if let Some(trap) = trap {
        panic!("trapped after {trace:?}: {trap:?}");
    }
    trace
}

#[test]
fn high_priority_first_then_yielders_in_order() {
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $a $b)
        (func $a (param $task i32)
          (call $log (i32.const 97))              ;; a
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (call $log (i32.const 98))              ;; b
          (drop (call $yield))
          (call $log (i32.const 99)))             ;; c
        (func $b (param $task i32)
          (call $log (i32.const 120))             ;; x
          (drop (call $yield))
          (call $log (i32.const 121)))            ;; y
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (call $run))
        "#,
    );
    assert_eq!(t, "abxcy");
}

#[test]
fn a_woken_task_resumes_with_the_value_after_its_waker_goes_on() {
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $waits $posts)
        (func $waits (param $task i32)
          (call $log (i32.const 119))             ;; w
          (global.set $waiter (local.get $task))
          (call $log (call $suspend)))            ;; the value it is woken with
        (func $posts (param $task i32)
          (call $log (i32.const 112))             ;; p
          (call $wake (global.get $waiter) (i32.const 109) (i32.const 1))  ;; m
          (call $log (i32.const 113)))            ;; q
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (call $run))
        "#,
    );
    assert_eq!(t, "wpqm");
}

#[test]
fn tasks_take_turns_many_times_with_their_arguments() {
    // Three tasks, each logging its argument and yielding four times; the
    // low queue is FIFO, so they take turns.
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $turns)
        (func $turns (param $task i32)
          (local $i i32) (local $c i32)
          (local.set $c (call $argument (local.get $task)))
          (loop $again
            (call $log (i32.add (local.get $c) (local.get $i)))
            (drop (call $yield))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const 4)))))
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 65)))   ;; A..
          (drop (call $spawn (i32.const 0) (i32.const 97)))   ;; a..
          (drop (call $spawn (i32.const 0) (i32.const 48)))   ;; 0..
          (call $run))
        "#,
    );
    assert_eq!(t, "Aa0Bb1Cc2Dd3");
}

#[test]
fn a_task_waiting_for_nothing_stays_suspended() {
    // `run` returns when nothing is queued; the task that waits for a wake
    // that never comes is left suspended (status 3), not finished (5).
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $waits)
        (func $waits (param $task i32)
          (call $log (i32.const 119))
          (drop (call $suspend))
          (call $log (i32.const 33)))
        (func (export "main")
          (local $t i32)
          (local.set $t (call $spawn (i32.const 0) (i32.const 0)))
          (call $run)
          (call $log (i32.add (i32.const 48) (call $status (local.get $t)))))
        "#,
    );
    assert_eq!(t, "w3");
}

/// Twenty tasks, each suspending until the last wakes the others, in
/// `order`: the first four run the next ones on their own stacks
/// (`run_nested`), the rest unwind (four deep at most); once woken, a
/// task whose stack is under others' goes on only after those unwound.
/// The trace is the wake order, as with every task unwinding.
fn twenty_suspended(order: &str) -> String {
    trace(
        &r#"
        (elem (table $entries) (i32.const 0) func $t)
        (func $t (param $task i32)
          (local $k i32) (local $i i32)
          (local.set $k (call $argument (local.get $task)))
          (call $log (i32.add (i32.const 65) (local.get $k)))
          (i32.store $m (i32.add (i32.const 512) (i32.shl (local.get $k) (i32.const 2)))
            (local.get $task))
          (if (i32.lt_u (local.get $k) (i32.const 19))
            (then
              ;; woken with its number
              (call $log (i32.add (i32.const 97) (call $suspend)))
              (return)))
          (loop $wake
            (local.set $k ORDER)
            (call $wake
              (i32.load $m (i32.add (i32.const 512) (i32.shl (local.get $k) (i32.const 2))))
              (local.get $k) (i32.const 1))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $wake (i32.lt_u (local.get $i) (i32.const 19)))))
        (func (export "main")
          (local $k i32)
          (loop $spawn
            (drop (call $spawn (i32.const 0) (local.get $k)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $spawn (i32.lt_u (local.get $k) (i32.const 20))))
          (call $run))
        "#
        .replace("ORDER", order),
    )
}

#[test]
fn suspending_tasks_run_the_next_ones_on_their_stacks_in_order() {
    assert_eq!(
        twenty_suspended("(local.get $i)"),
        "ABCDEFGHIJKLMNOPQRSTabcdefghijklmnopqrs"
    );
    assert_eq!(
        twenty_suspended("(i32.sub (i32.const 18) (local.get $i))"),
        "ABCDEFGHIJKLMNOPQRSTsrqponmlkjihgfedcba"
    );
}

/// The table of task records moves when it is full. A task that runs
/// others on its stack while it waits (`run_nested`) keeps its record's
/// address across them; here the task it runs makes 5,000 more (the
/// table holds 4,096 at first) and wakes it. It must go on and end in the
/// moved table: DONE (5), not left QUEUED_RESUME (4) with its nested mark
/// set, as when its old address was written.
#[test]
fn a_task_running_others_on_its_stack_survives_the_records_moving() {
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $a $b $c)
        (func $a (param $task i32)
          (drop (call $spawn (i32.const 1) (local.get $task)))
          (drop (call $suspend))
          (call $log (i32.const 97)))
        (func $b (param $task i32)
          (local $i i32)
          (loop $more
            (drop (call $spawn (i32.const 2) (i32.const 0)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $more (i32.lt_u (local.get $i) (i32.const 5000))))
          (call $wake (call $argument (local.get $task)) (i32.const 0) (i32.const 1))
          (call $log (i32.const 98)))
        (func $c (param $task i32))
        (func (export "main")
          (local $a i32)
          (local.set $a (call $spawn (i32.const 0) (i32.const 0)))
          (call $run)
          (call $log (i32.add (i32.const 48) (call $status (local.get $a))))
          (call $log (i32.add (i32.const 48) (call $status (i32.add (local.get $a) (i32.const 1))))))
        "#,
    );
    assert_eq!(t, "ba55");
}

/// `waiting_root` and `bell_owner` find root tasks (calls of the host:
/// caller -1) among thousands of subtasks in task order, as the scan of
/// every task did before they were listed: a root task whose bell is
/// armed and that waits is found, one without a bell is not, and a root
/// task's number begun again for a subtask no longer counts (it leaves
/// the list), while a new root task joins it in order.
#[test]
fn root_tasks_are_found_in_task_order_among_subtasks() {
    let body = r#"
        (elem (table $entries) (i32.const 0) func $nop)
        (func $nop (param $task i32))
        ;; 'y' when equal, else 'n'
        (func $is (param $a i32) (param $b i32)
          (call $log (select (i32.const 121) (i32.const 110)
                             (i32.eq (local.get $a) (local.get $b)))))
        ;; root task `t` waits on a bell whose readable end is 1000 + t
        (func $bell (param $t i32)
          (i32.store $tm (call $slot (local.get $t) (i32.const 21))
            (i32.add (i32.const 1000) (local.get $t)))
          (i32.store $tm (call $slot (local.get $t) (i32.const 22)) (i32.const 7))
          (i32.store $tm (call $slot (local.get $t) (i32.const 24)) (i32.const 1)))
        (func $root (result i32) (call $begin (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 0)))
        (func $sub (result i32) (call $begin (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0)))
        (func (export "main")
          (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32) (local $i i32)
          (local.set $r1 (call $root))
          (loop $more
            (drop (call $sub))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $more (i32.lt_u (local.get $i) (i32.const 5000))))
          (local.set $r2 (call $root))
          (local.set $r3 (call $root))
          (call $bell (local.get $r1))
          (call $bell (local.get $r3))
          (call $is (call $waiting_root (i32.const 0)) (local.get $r1))
          (call $is (call $waiting_root (local.get $r1)) (local.get $r3))
          (call $is (call $waiting_root (local.get $r2)) (local.get $r3))
          (call $is (call $waiting_root (local.get $r3)) (i32.const 0))
          (call $is (call $bell_owner (i32.add (i32.const 1000) (local.get $r3))) (local.get $r3))
          (call $is (call $bell_owner (i32.add (i32.const 1000) (local.get $r1))) (local.get $r1))
          ;; r1 ends; its number comes back for a subtask
          (call $finish (local.get $r1))
          (call $orphan (local.get $r1))
          (call $run)
          (call $is (call $sub) (local.get $r1))
          (call $is (call $waiting_root (i32.const 0)) (local.get $r3))
          ;; a new root task, armed: after r3
          (local.set $r4 (call $root))
          (call $bell (local.get $r4))
          (call $is (call $waiting_root (local.get $r3)) (local.get $r4))
          (call $is (call $bell_owner (i32.add (i32.const 1000) (local.get $r4))) (local.get $r4))
          ;; r1's old bell has no owner now
          (drop (call $bell_owner (i32.add (i32.const 1000) (local.get $r1)))))
        "#;
    let linking = Linking {
        imports: ROOT_IMPORTS,
        ..Linking::default()
    };
    let (trace, trap) = run_linked(body, 0, "len", &linking);
    assert_eq!(
        String::from_utf8(trace).expect("ascii"),
        "yyyyyyyyyy",
        "{trap:?}"
    );
    assert!(trap.is_some(), "a bell without an owner traps");
}

/// What [`root_tasks_are_found_in_task_order_among_subtasks`] and
/// [`finding_root_tasks_does_not_walk_every_task`] import.
const ROOT_IMPORTS: &str = r#"
    (import "t" "waiting_root" (func $waiting_root (param i32) (result i32)))
    (import "t" "bell_owner" (func $bell_owner (param i32) (result i32)))
    (import "t" "argument" (func $slot (param i32 i32) (result i32)))
    (import "rt" "finish" (func $finish (param i32)))
    (import "t" "memory" (memory $tm 17))
"#;

/// The generated host entries ask for the waiting root tasks and a bell's
/// owner on every turn of the host; with 20,000 subtasks alive that cost
/// a walk of 20,000 records each (session 52), now one of the root tasks.
/// 20,000 of each ask within 100 million units of fuel, of which making
/// the subtasks takes most; the walk of every task would need billions.
#[test]
fn finding_root_tasks_does_not_walk_every_task() {
    let body = r#"
        (func (export "main")
          (local $r i32) (local $i i32)
          (loop $more
            (drop (call $begin (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $more (i32.lt_u (local.get $i) (i32.const 20000))))
          (local.set $r (call $begin (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 0)))
          (i32.store $tm (call $slot (local.get $r) (i32.const 21)) (i32.const 99))
          (i32.store $tm (call $slot (local.get $r) (i32.const 22)) (i32.const 7))
          (i32.store $tm (call $slot (local.get $r) (i32.const 24)) (i32.const 1))
          (local.set $i (i32.const 0))
          (loop $ask
            (if (i32.ne (call $waiting_root (i32.const 0)) (local.get $r)) (then unreachable))
            (if (i32.ne (call $bell_owner (i32.const 99)) (local.get $r)) (then unreachable))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $ask (i32.lt_u (local.get $i) (i32.const 20000))))
          (call $log (i32.const 121)))
        "#;
    let linking = Linking {
        imports: ROOT_IMPORTS,
        fuel: Some(100_000_000),
        ..Linking::default()
    };
    let (trace, trap) = run_linked(body, 0, "len", &linking);
    assert_eq!(String::from_utf8(trace).expect("ascii"), "y", "{trap:?}");
}

#[test]
fn released_records_are_reused() {
    // A finished task's record (and save area) is reused by the next spawn
    // once released; unreleased ones are not.
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $quick)
        (func $quick (param $task i32) (drop (call $yield)))
        (func (export "main")
          (local $first i32) (local $second i32)
          (local.set $first (call $spawn (i32.const 0) (i32.const 0)))
          (call $run)
          (call $log (i32.add (i32.const 48) (call $status (local.get $first))))
          (call $release (local.get $first))
          (local.set $second (call $spawn (i32.const 0) (i32.const 0)))
          (call $log (i32.add (i32.const 48) (i32.eq (local.get $first) (local.get $second))))
          (call $run)
          (call $log (i32.add (i32.const 48)
            (i32.eq (local.get $first) (call $spawn (i32.const 0) (i32.const 0))))))
        "#,
    );
    assert_eq!(t, "510");
}

#[test]
fn orphaned_records_are_freed_once_done() {
    // A task orphaned while it is queued keeps its record until it is
    // done; then the next spawn reuses it. One not orphaned keeps its own.
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $quick)
        (func $quick (param $task i32) (drop (call $yield)))
        (func (export "main")
          (local $first i32) (local $second i32)
          (local.set $first (call $spawn (i32.const 0) (i32.const 0)))
          (call $orphan (local.get $first))
          (call $log (i32.add (i32.const 48) (call $status (local.get $first))))
          (call $run)
          (local.set $second (call $spawn (i32.const 0) (i32.const 0)))
          (call $log (i32.add (i32.const 48) (i32.eq (local.get $first) (local.get $second))))
          (call $run)
          (call $log (i32.add (i32.const 48)
            (i32.eq (local.get $second) (call $spawn (i32.const 0) (i32.const 0))))))
        "#,
    );
    assert_eq!(t, "110");
}

#[test]
fn a_round_runs_high_work_then_each_yielder_once() {
    // `run_round 0` runs the high-priority queue only; `run_round 1` also
    // the tasks that were in the low queue when it began, once each (A's
    // second yield waits for the next round). `ran` counts every run.
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $a $b)
        (func $a (param $task i32)
          (call $log (i32.const 97))              ;; a
          (drop (call $yield))
          (call $log (i32.const 98))              ;; b
          (drop (call $yield))
          (call $log (i32.const 99)))             ;; c
        (func $b (param $task i32)
          (call $log (i32.const 120))             ;; x
          (drop (call $yield))
          (call $log (i32.const 121)))            ;; y
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (call $run_round (i32.const 0))
          (call $log (i32.const 124))
          (call $run_round (i32.const 1))
          (call $log (i32.const 124))
          (call $run_round (i32.const 1))
          (call $digit (global.get $ran)))
        "#,
    );
    assert_eq!(t, "ax|by|c5");
}

#[test]
fn context_slots_belong_to_each_task() {
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $a $b)
        (func $a (param $task i32)
          (call $context_set (i32.const 0) (i32.const 53))   ;; '5'
          (call $context_set (i32.const 1) (i32.const 54))   ;; '6'
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (drop (call $yield))
          (call $log (call $context_get (i32.const 0)))
          (call $log (call $context_get (i32.const 1))))
        (func $b (param $task i32)
          (call $log (i32.add (i32.const 48) (call $context_get (i32.const 0))))
          (call $context_set (i32.const 0) (i32.const 55)))  ;; '7'
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (call $run))
        "#,
    );
    assert_eq!(t, "056");
}

#[test]
fn a_waiter_wakes_on_an_event_with_its_handle_and_payload() {
    // A waits on a set holding w; B sets w's event. A gets the code, w's
    // handle in A's table and the payload, after B has gone on.
    let t = trace(
        r#"
        (global $w (mut i32) (i32.const 0))
        (elem (table $entries) (i32.const 0) func $a $b)
        (func $a (param $task i32)
          (local $s i32)
          (local.set $s (call $set_new (i32.const 0)))            ;; handle 1
          (global.set $w (call $waitable))     ;; handle 2
          (call $join (i32.const 0) (call $waitable_handle (global.get $w)) (local.get $s))
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (call $log (i32.const 119))                            ;; w
          (call $digit (call $wait (local.get $s)))
          (call $digit (global.get $p1))
          (call $digit (global.get $p2)))
        (func $b (param $task i32)
          (call $log (i32.const 101))                            ;; e
          (call $set_event (global.get $w) (i32.const 1) (i32.const 2))
          (call $log (i32.const 46)))                            ;; .
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (call $run))
        "#,
    );
    assert_eq!(t, "we.122");
}

#[test]
fn a_newer_event_overwrites_and_a_pending_one_makes_join_ready() {
    // Two events before anyone takes: only the last is taken. Joining a
    // waitable whose event is pending makes `wait` return at once; a
    // second take finds nothing (0, handle and payload 0).
    let t = trace(
        r#"
        (elem (table $entries) (i32.const 0) func $a)
        (func $a (param $task i32)
          (local $s i32) (local $w i32)
          (local.set $s (call $set_new (i32.const 0)))
          (local.set $w (call $waitable))
          (call $set_event (local.get $w) (i32.const 1) (i32.const 1))
          (call $set_event (local.get $w) (i32.const 1) (i32.const 2))
          (call $join (i32.const 0) (call $waitable_handle (local.get $w)) (local.get $s))
          (call $digit (call $wait (local.get $s)))
          (call $digit (global.get $p2))
          (call $digit (call $take (i32.const 0) (local.get $s)))
          (call $digit (global.get $p1))
          (call $digit (global.get $p2)))
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (call $run))
        "#,
    );
    assert_eq!(t, "12000");
}

#[test]
fn the_member_made_first_is_taken_first_and_one_waiter_wakes_per_event() {
    // Three waiters on one set; two events: the first two waiters (in task
    // order) wake, each taking one event, oldest waitable first; the third
    // stays asleep.
    let t = trace(
        r#"
        (global $s (mut i32) (i32.const 0))
        (global $w1 (mut i32) (i32.const 0))
        (global $w2 (mut i32) (i32.const 0))
        (elem (table $entries) (i32.const 0) func $waiter $setter)
        (func $waiter (param $task i32)
          (drop (call $wait (global.get $s)))
          (call $log (call $argument (local.get $task)))
          (call $digit (global.get $p1)))
        (func $setter (param $task i32)
          ;; w2 first: the take still prefers w1, the older
          (call $set_event (global.get $w2) (i32.const 1) (i32.const 0))
          (call $set_event (global.get $w1) (i32.const 1) (i32.const 0)))
        (func (export "main")
          (global.set $s (call $set_new (i32.const 0)))          ;; handle 1
          (global.set $w1 (call $waitable))    ;; handle 2
          (global.set $w2 (call $waitable))    ;; handle 3
          (call $join (i32.const 0) (call $waitable_handle (global.get $w2)) (global.get $s))
          (call $join (i32.const 0) (call $waitable_handle (global.get $w1)) (global.get $s))
          (drop (call $spawn (i32.const 0) (i32.const 97)))      ;; a
          (drop (call $spawn (i32.const 0) (i32.const 98)))      ;; b
          (drop (call $spawn (i32.const 0) (i32.const 99)))      ;; c
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (call $run))
        "#,
    );
    assert_eq!(t, "a2b3");
}

#[test]
fn dropping_a_set_with_a_waiter_or_a_member_traps() {
    let with_member = r#"
        (elem (table $entries) (i32.const 0) func $a)
        (func $a (param $task i32))
        (func (export "main")
          (local $s i32) (local $w i32)
          (local.set $s (call $set_new (i32.const 0)))
          (local.set $w (call $waitable))
          (call $join (i32.const 0) (call $waitable_handle (local.get $w)) (local.get $s))
          (call $log (i32.const 106))                            ;; j
          MORE
          (call $set_drop (i32.const 0) (local.get $s))
          (call $log (i32.const 100)))                           ;; d
    "#;
    let (t, trap) = run(&with_member.replace("MORE", ""));
    assert_eq!(t, "j");
    assert!(trap.is_some());
    // Leaving the set first (join 0) makes the drop legal.
    let t = trace(&with_member.replace(
        "MORE",
        "(call $join (i32.const 0) (call $waitable_handle (local.get $w)) (i32.const 0))",
    ));
    assert_eq!(t, "jd");

    let (t, trap) = run(r#"
        (global $s (mut i32) (i32.const 0))
        (elem (table $entries) (i32.const 0) func $waiter $dropper)
        (func $waiter (param $task i32)
          (call $log (i32.const 119))
          (drop (call $wait (global.get $s))))
        (func $dropper (param $task i32)
          (call $set_drop (i32.const 0) (global.get $s))
          (call $log (i32.const 100)))
        (func (export "main")
          (global.set $s (call $set_new (i32.const 0)))
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (drop (call $spawn (i32.const 1) (i32.const 0)))
          (call $run))
        "#);
    assert_eq!(t, "w");
    assert!(trap.is_some());
}

#[test]
fn handles_of_the_wrong_kind_trap() {
    // Waiting on a waitable's handle as if it were a set.
    let (t, trap) = run(r#"
        (elem (table $entries) (i32.const 0) func $a)
        (func $a (param $task i32)
          (local $w i32)
          (local.set $w (call $waitable))
          (call $log (i32.const 119))
          (drop (call $wait (call $waitable_handle (local.get $w))))
          (call $log (i32.const 33)))
        (func (export "main")
          (drop (call $spawn (i32.const 0) (i32.const 0)))
          (call $run))
        "#);
    assert_eq!(t, "w");
    assert!(trap.is_some());
}

/// Instance 0 (A) runs as the root task of a host call (entry 0, a
/// callback-lifted async function unless `ROOT_KIND` says otherwise) and
/// calls instance 1 (B, entry 1, callback-lifted async) through
/// `$a_calls_b` (async lowered) or `$a_calls_b_sync`. A case defines
/// `$a_start`, `$b_start` and `$b_callback`; `MAIN` runs before the
/// scheduler.
const CALLS: &str = r#"
  (elem (table $entries) (i32.const 0) func $a_entry $b_entry)
  (func $a_calls_b (result i32)
    (local $t i32)
    (local.set $t (call $begin (i32.const 0) (i32.const 1) (i32.const 48) (i32.const 1)))
    (call $await_call (local.get $t))
    (drop (call $suspend))
    (call $call_result (local.get $t)))
  (func $a_calls_b_sync
    (local $t i32)
    (local.set $t (call $begin (i32.const 0) (i32.const 1) (i32.const 48) (i32.const 1)))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (call $call_sync_pending (local.get $t))))
        (drop (call $suspend))
        (br $again))))
  (func $a_entry (param $task i32)
    (local $phase i32)
    (local.set $phase (call $enter (local.get $task)))
    (if (i32.eqz (local.get $phase)) (then return))
    (if (i32.ne (local.get $phase) (i32.const 1)) (then unreachable))
    (call $started (local.get $task))
    (call $callback_code (local.get $task) (call $a_start)))
  (func $b_entry (param $task i32)
    (local $phase i32) (local $c i32)
    (local.set $phase (call $enter (local.get $task)))
    (if (i32.eqz (local.get $phase)) (then return))
    (if (i32.eq (local.get $phase) (i32.const 1))
      (then (call $started (local.get $task)) (local.set $c (call $b_start)))
      (else (local.set $c (call $b_callback (global.get $code) (global.get $p1) (global.get $p2)))))
    (call $callback_code (local.get $task) (local.get $c)))
  (func (export "main")
    MAIN
    (drop (call $begin (i32.const -1) (i32.const 0) (i32.const ROOT_KIND) (i32.const 0)))
    (call $run))
"#;

pub(super) fn calls(case: &str) -> String {
    calls_with(case, "", 48)
}

fn calls_with(case: &str, main: &str, root_kind: u32) -> String {
    let frame = CALLS
        .replace("MAIN", main)
        .replace("ROOT_KIND", &root_kind.to_string());
    format!("{frame}\n{case}")
}

#[test]
fn a_callee_that_returns_at_once_gives_returned_and_no_handle() {
    let t = trace(&calls(
        r#"
        (func $a_start (result i32)
          (call $log (i32.const 99))                           ;; c
          (call $digit (call $a_calls_b))                      ;; 2
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.const 98))                           ;; b
          (call $returned) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
    ));
    assert_eq!(t, "cb2");
}

#[test]
fn a_callee_that_yields_gives_started_then_returned_through_a_set() {
    let t = trace(&calls(
        r#"
        (func $a_start (result i32)
          (local $r i32) (local $s i32) (local $h i32)
          (local.set $r (call $a_calls_b))
          (call $digit (i32.and (local.get $r) (i32.const 15)))   ;; 1: STARTED
          (local.set $h (i32.shr_u (local.get $r) (i32.const 4)))
          (call $digit (local.get $h))                            ;; handle 1
          (local.set $s (call $set_new (i32.const 0)))
          (call $join (i32.const 0) (local.get $h) (local.get $s))
          (call $digit (call $wait (local.get $s)))               ;; 1: SUBTASK
          (call $digit (global.get $p1))                          ;; handle 1
          (call $digit (global.get $p2))                          ;; 2: RETURNED
          (call $subtask_drop (i32.const 0) (local.get $h))
          (call $log (i32.const 46))
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.const 98))                              ;; b
          (i32.const 1))                                          ;; YIELD
        (func $b_callback (param $e i32) (param $p1 i32) (param $p2 i32) (result i32)
          (call $log (i32.const 121))                             ;; y
          (call $digit (local.get $e))                            ;; 0: NONE
          (call $returned) (i32.const 0))
        "#,
    ));
    assert_eq!(t, "b11y0112.");
}

#[test]
fn backpressure_parks_the_start_and_its_release_starts_it() {
    let t = trace(&calls_with(
        r#"
        (func $a_start (result i32)
          (local $r i32) (local $s i32) (local $h i32)
          (local.set $r (call $a_calls_b))
          (call $digit (i32.and (local.get $r) (i32.const 15)))   ;; 0: STARTING
          (local.set $h (i32.shr_u (local.get $r) (i32.const 4)))
          (call $digit (local.get $h))                            ;; handle 1
          (local.set $s (call $set_new (i32.const 0)))
          (call $join (i32.const 0) (local.get $h) (local.get $s))
          (call $backpressure_dec (i32.const 1))
          (drop (call $wait (local.get $s)))
          (call $digit (global.get $p2))                          ;; 2: STARTED overwritten
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.const 98))
          (call $returned) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
        "(call $backpressure_inc (i32.const 1))",
        48,
    ));
    assert_eq!(t, "01b2");
}

#[test]
fn a_sync_caller_blocks_until_the_callee_returns_if_its_type_is_async() {
    let case = r#"
        (func $a_start (result i32)
          (call $log (i32.const 115))                             ;; s
          (call $a_calls_b_sync)
          (call $log (i32.const 46))                              ;; .
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.const 98))                              ;; b
          (i32.const 1))
        (func $b_callback (param i32 i32 i32) (result i32)
          (call $log (i32.const 114))                             ;; r
          (call $returned) (i32.const 0))
        "#;
    assert_eq!(trace(&calls(case)), "sbr.");
    // The same caller in a task whose type is not async traps before B
    // runs ("cannot block a synchronous task before returning").
    let (t, trap) = run(&calls_with(case, "", 32));
    assert_eq!(t, "s");
    assert!(trap.is_some());
}

#[test]
fn misused_tasks_trap() {
    // EXIT before task.return.
    let (t, trap) = run(&calls(
        r#"
        (func $a_start (result i32) (drop (call $a_calls_b)) (call $returned) (i32.const 0))
        (func $b_start (result i32) (call $log (i32.const 98)) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
    ));
    assert_eq!((t.as_str(), trap.is_some()), ("b", true));
    // task.return twice.
    let (t, trap) = run(&calls(
        r#"
        (func $a_start (result i32) (drop (call $a_calls_b)) (call $returned) (i32.const 0))
        (func $b_start (result i32) (call $returned) (call $log (i32.const 98))
          (call $returned) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
    ));
    assert_eq!((t.as_str(), trap.is_some()), ("b", true));
    // A callback code that is not EXIT, YIELD or WAIT.
    let (t, trap) = run(&calls(
        r#"
        (func $a_start (result i32) (drop (call $a_calls_b)) (call $returned) (i32.const 0))
        (func $b_start (result i32) (call $log (i32.const 98)) (i32.const 3))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
    ));
    assert_eq!((t.as_str(), trap.is_some()), ("b", true));
    // subtask.drop before its last status was delivered.
    let (t, trap) = run(&calls(
        r#"
        (func $a_start (result i32)
          (local $r i32)
          (local.set $r (call $a_calls_b))
          (call $log (i32.const 100))
          (call $subtask_drop (i32.const 0) (i32.shr_u (local.get $r) (i32.const 4)))
          (call $log (i32.const 33))
          (call $returned) (i32.const 0))
        (func $b_start (result i32) (i32.const 1))
        (func $b_callback (param i32 i32 i32) (result i32) (call $returned) (i32.const 0))
        "#,
    ));
    assert_eq!((t.as_str(), trap.is_some()), ("d", true));
}

#[test]
fn a_start_cancelled_before_it_ran_never_runs() {
    // Parked by backpressure, released, then cancelled before it ran.
    let t = trace(&calls_with(
        r#"
        (func $a_start (result i32)
          (local $h i32)
          (local.set $h (i32.shr_u (call $a_calls_b) (i32.const 4)))
          (call $backpressure_dec (i32.const 1))
          (call $digit (call $cancel (local.get $h)))            ;; 3: START_CANCELLED
          (call $subtask_drop (i32.const 0) (local.get $h))
          (call $log (i32.const 46))
          (call $returned) (i32.const 0))
        (func $b_start (result i32) (call $log (i32.const 98)) (call $returned) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
        "(call $backpressure_inc (i32.const 1))",
        48,
    ));
    assert_eq!(t, "3.");
}

/// Starts parked by backpressure are kept in task order with the last
/// one at hand (a start parks after it at once): cancelling the last, the
/// first, or the only one leaves the others in order, and the next start
/// to park comes after them. B's start logs its task (`b` for task 2 ...);
/// the cancelled subtasks are dropped only at the end, so their numbers
/// are not made again meanwhile.
#[test]
fn parked_starts_stay_in_order_when_the_last_or_first_is_cancelled() {
    let t = trace(&calls_with(
        r#"
        (func $call (result i32) (i32.shr_u (call $a_calls_b) (i32.const 4)))
        ;; waits for `n` RETURNED events of set `s`
        (func $returns (param $s i32) (param $n i32)
          (loop $more
            (drop (call $wait (local.get $s)))
            (if (i32.eq (global.get $p2) (i32.const 2))
              (then (local.set $n (i32.sub (local.get $n) (i32.const 1)))))
            (br_if $more (local.get $n))))
        (func $a_start (result i32)
          (local $h1 i32) (local $h2 i32) (local $h3 i32) (local $h4 i32)
          (local $h5 i32) (local $h6 i32) (local $s i32)
          (local.set $s (call $set_new (i32.const 0)))
          (local.set $h1 (call $call))                      ;; task 2
          (local.set $h2 (call $call))                      ;; task 3
          (local.set $h3 (call $call))                      ;; task 4, the last
          (call $digit (call $cancel (local.get $h3)))      ;; 3: START_CANCELLED
          (local.set $h4 (call $call))                      ;; task 5, after 3
          (call $digit (call $cancel (local.get $h1)))      ;; the first
          (call $join (i32.const 0) (local.get $h2) (local.get $s))
          (call $join (i32.const 0) (local.get $h4) (local.get $s))
          (call $backpressure_dec (i32.const 1))
          (call $returns (local.get $s) (i32.const 2))      ;; c, e
          (call $log (i32.const 46))
          (call $backpressure_inc (i32.const 1))
          (local.set $h5 (call $call))                      ;; task 6, alone
          (call $digit (call $cancel (local.get $h5)))
          (local.set $h6 (call $call))                      ;; task 7
          (call $join (i32.const 0) (local.get $h6) (local.get $s))
          (call $backpressure_dec (i32.const 1))
          (call $returns (local.get $s) (i32.const 1))      ;; g
          (call $subtask_drop (i32.const 0) (local.get $h1))
          (call $subtask_drop (i32.const 0) (local.get $h3))
          (call $subtask_drop (i32.const 0) (local.get $h5))
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.add (i32.const 96) (global.get $current)))
          (call $returned) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
        "(call $backpressure_inc (i32.const 1))",
        48,
    ));
    assert_eq!(t, "33ce.3g");
}

#[test]
fn a_callee_waiting_in_its_callback_sees_cancelled_and_cancels() {
    let t = trace(&calls(
        r#"
        (func $a_start (result i32)
          (local $h i32)
          (local.set $h (i32.shr_u (call $a_calls_b) (i32.const 4)))
          (call $log (i32.const 99))                              ;; c
          (call $digit (call $cancel (local.get $h)))             ;; 4: RETURN_CANCELLED
          (call $subtask_drop (i32.const 0) (local.get $h))
          (call $log (i32.const 46))
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.const 119))                             ;; w
          ;; WAIT on an empty set of B's
          (i32.or (i32.const 2) (i32.shl (call $set_new (i32.const 1)) (i32.const 4))))
        (func $b_callback (param $e i32) (param i32 i32) (result i32)
          (call $digit (local.get $e))                            ;; 6: CANCELLED
          (call $task_cancel)
          (i32.const 0))
        "#,
    ));
    assert_eq!(t, "wc64.");
}

#[test]
fn cancelling_a_returned_call_gives_returned_once() {
    // Returned but not yet delivered: cancel gives RETURNED; once that was
    // delivered, cancelling again traps.
    let (t, trap) = run(&calls(
        r#"
        (func $a_start (result i32)
          (local $h i32)
          (local.set $h (i32.shr_u (call $a_calls_b) (i32.const 4)))
          (call $thread_yield)                                    ;; B returns meanwhile
          (call $digit (call $cancel (local.get $h)))             ;; 2: RETURNED
          (call $digit (call $cancel (local.get $h)))             ;; traps
          (call $returned) (i32.const 0))
        (func $b_start (result i32) (i32.const 1))
        (func $b_callback (param i32 i32 i32) (result i32) (call $returned) (i32.const 0))
        "#,
    ));
    assert_eq!(t, "2");
    assert!(trap.is_some());
}

#[test]
fn task_cancel_without_a_cancel_traps() {
    let (t, trap) = run(&calls(
        r#"
        (func $a_start (result i32) (drop (call $a_calls_b)) (call $returned) (i32.const 0))
        (func $b_start (result i32) (call $log (i32.const 98)) (call $task_cancel) (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#,
    ));
    assert_eq!((t.as_str(), trap.is_some()), ("b", true));
}

#[test]
fn an_instance_stays_locked_while_its_invocation_is_suspended() {
    // Two host calls into A: the second is parked while the first one's
    // invocation is suspended in its call to B, and starts once it exits.
    let t = trace(&calls_with(
        r#"
        (func $a_start (result i32)
          (call $log (i32.const 97))                              ;; a
          (call $digit (i32.and (call $a_calls_b) (i32.const 15))) ;; 1: STARTED
          (call $returned) (i32.const 0))
        (func $b_start (result i32) (call $log (i32.const 98)) (i32.const 1))
        (func $b_callback (param i32 i32 i32) (result i32)
          (call $log (i32.const 121)) (call $returned) (i32.const 0))
        "#,
        "(drop (call $begin (i32.const -1) (i32.const 0) (i32.const 48) (i32.const 0)))",
        48,
    ));
    assert_eq!(t, "ab1ab1yy");
}

#[test]
fn a_stack_in_a_cancellable_wait_is_woken_by_a_cancel() {
    // B's first invocation waits (cancellably) on an empty set of its own:
    // A's cancel wakes it with CANCELLED; B cancels its task; A gets
    // RETURN_CANCELLED. With a wait that is not cancellable, the cancel
    // cannot reach B: A gets BLOCKED.
    let case = r#"
        (func $a_start (result i32)
          (local $h i32)
          (local.set $h (i32.shr_u (call $a_calls_b) (i32.const 4)))
          (call $log (i32.const 99))                              ;; c
          (call $digit (call $cancel (local.get $h)))
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (call $log (i32.const 119))                             ;; w
          (call $digit (WAIT (i32.const 1) (call $set_new (i32.const 1))))
          (call $task_cancel)
          (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#;
    assert_eq!(trace(&calls(&case.replace("WAIT", "call $wait_c"))), "wc64");
    let blocked = case.replace(
        "(call $digit (WAIT (i32.const 1) (call $set_new (i32.const 1))))",
        "(drop (call $wait_c_off (i32.const 1) (call $set_new (i32.const 1))))",
    ) + r#"
        ;; the same wait, not cancellable
        (func $wait_c_off (param $inst i32) (param $s i32) (result i32)
          (call $await (local.get $inst) (local.get $s))
          (drop (call $suspend))
          (i32.const 0))
        "#;
    assert_eq!(trace(&calls(&blocked)), "wc/");
    // The cancel leaves such a waiter waiting: a later event on its set
    // still wakes it.
    let woken = r#"
        (global $wb (mut i32) (i32.const 0))
        (func $a_start (result i32)
          (local $h i32)
          (local.set $h (i32.shr_u (call $a_calls_b) (i32.const 4)))
          (call $log (i32.const 99))                              ;; c
          (call $digit (call $cancel (local.get $h)))             ;; / BLOCKED
          (call $set_event (global.get $wb) (i32.const 1) (i32.const 0))
          (call $returned) (i32.const 0))
        (func $b_start (result i32)
          (local $s i32)
          (call $log (i32.const 119))                             ;; w
          (local.set $s (call $set_new (i32.const 1)))
          (global.set $wb (call $waitable_new (i32.const 1)))
          (drop (call $bind (global.get $wb)))
          (call $join (i32.const 1) (call $waitable_handle (global.get $wb)) (local.get $s))
          (call $await (i32.const 1) (local.get $s))
          (drop (call $suspend))
          (call $log (i32.const 101))                             ;; e
          (call $task_cancel)
          (i32.const 0))
        (func $b_callback (param i32 i32 i32) (result i32) unreachable)
        "#;
    assert_eq!(trace(&calls(woken)), "wc/e");
}

#[test]
fn generated_yield_backpressure_and_task_cancel() {
    // B (instance 1) uses the generated shims: backpressure on and off, a
    // thread.yield that a cancel reaches while B waits its low-priority
    // turn, then task.cancel. Cancellable, B is promoted and A yields to
    // it: B's yield returns 1 and A's cancel RETURN_CANCELLED (4); else
    // A's cancel finds B neither waiting nor in a cancellable yield:
    // BLOCKED, and B's yield returns 0.
    for (cancellable, expected) in [(true, "y14"), (false, "y/0")] {
        let shims = super::raw::shims_for(
            1,
            &[
                ("bp-inc", crate::decode::AsyncOp::BackpressureInc),
                ("bp-dec", crate::decode::AsyncOp::BackpressureDec),
                ("yield", crate::decode::AsyncOp::ThreadYield { cancellable }),
                ("task-cancel", crate::decode::AsyncOp::TaskCancel),
            ],
        );
        let case = r#"
            (func $a_start (result i32)
              (local $h i32)
              (local.set $h (i32.shr_u (call $a_calls_b) (i32.const 4)))
              (call $digit (call $cancel (local.get $h)))             ;; / BLOCKED
              (call $returned) (i32.const 0))
            (func $b_start (result i32)
              (call $gen_bp_inc)
              (call $gen_bp_dec)
              (call $log (i32.const 121))                             ;; y
              (call $digit (call $gen_yield))
              (call $gen_task_cancel)
              (i32.const 0))
            (func $b_callback (param i32 i32 i32) (result i32) unreachable)
            "#;
        let linking = Linking {
            imports: r#"
              (import "shims" "bp-inc" (func $gen_bp_inc))
              (import "shims" "bp-dec" (func $gen_bp_dec))
              (import "shims" "yield" (func $gen_yield (result i32)))
              (import "shims" "task-cancel" (func $gen_task_cancel))
            "#,
            suspending: &[("shims", "yield")],
            shims: Some(shims),
            ..Linking::default()
        };
        let (bytes, trap) = run_linked(&calls(case), 0, "len", &linking);
        assert!(trap.is_none(), "{trap:?}");
        assert_eq!(String::from_utf8(bytes).expect("ascii"), expected);
    }
}
