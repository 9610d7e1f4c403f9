//! The scheduler with guest modules written here, transformed by the unwind
//! pass and linked to it under wasmtime: the order tasks run in, what a
//! woken task receives, records and save areas reused.

use super::SCHEDULER;
use crate::unwind::{Config, Globals, instrument};
use std::collections::BTreeSet;
use wasmtime::{Engine, Instance, Linker, Module, Store};

/// Imports 0..=9 are fixed; the guest's own functions follow. `log` writes
/// one byte of the trace.
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
  (import "rt" "argument" (func $argument (param i32) (result i32)))
  (import "rt" "status" (func $status (param i32) (result i32)))
  (import "rt" "release" (func $release (param i32)))
  (import "rt" "context_get" (func $context_get (param i32) (result i32)))
  (import "rt" "context_set" (func $context_set (param i32 i32)))
  (memory $m (export "m") 1)
  (global $len (export "len") (mut i32) (i32.const 0))
  (global $waiter (mut i32) (i32.const 0))
  (func $log (param $c i32)
    (i32.store8 $m (global.get $len) (local.get $c))
    (global.set $len (i32.add (global.get $len) (i32.const 1))))
"#;

fn guest(body: &str) -> Vec<u8> {
    let wasm = wat::parse_str(format!("(module {PRELUDE} {body})")).expect("guest parses");
    let config = Config {
        globals: Globals {
            state: 0,
            sp: 1,
            limit: 2,
            memory: 0,
        },
        suspend: BTreeSet::from([0, 1]),
        stop: BTreeSet::new(),
    };
    instrument(&wasm, &config).expect("guest transforms").0
}

/// Runs the guest's `main`; returns its trace.
fn trace(body: &str) -> String {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let rt = Instance::new(
        &mut store,
        &Module::new(&engine, SCHEDULER).expect("scheduler compiles"),
        &[],
    )
    .expect("scheduler instantiates");
    let mut linker = Linker::new(&engine);
    linker
        .instance(&mut store, "rt", rt)
        .expect("scheduler links");
    let module = Module::new(&engine, guest(body)).expect("guest compiles");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("guest instantiates");
    instance
        .get_typed_func::<(), ()>(&mut store, "main")
        .expect("main")
        .call(&mut store, ())
        .expect("main runs");
    let len = instance
        .get_global(&mut store, "len")
        .expect("len")
        .get(&mut store)
        .unwrap_i32() as usize;
    let memory = instance.get_memory(&mut store, "m").expect("memory");
    String::from_utf8(memory.data(&store)[..len].to_vec()).expect("ascii trace")
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
