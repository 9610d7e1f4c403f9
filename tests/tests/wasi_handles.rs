//! WASI handles through fusion, on a hand-written composition: `$main`
//! gets stdout and lends it (`borrow<output-stream>`) to `$writer`, which
//! writes to it and polls a list of pollables it subscribed on it through
//! `wasi:io/poll`. Handle numbers the guests see, what they print and
//! what traps (a component naming a WASI handle it was never given) must
//! be the same fused as in the original.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, compare, same_script};
use meld_tests::wasi_wat::{HEAP, wasi_imports};
use wasmtime::component::Val;

fn composition() -> Vec<u8> {
    let root = wasi_imports("$root");
    let writer = wasi_imports("$writer");
    let main = wasi_imports("$main");
    let wat = format!(
        r#"
(component $root
  {root}
  (component $writer
    {writer}
    {HEAP}
    (core func $write (canon lower
      (func $io-streams "[method]output-stream.blocking-write-and-flush") (memory $mem)))
    (core func $subscribe (canon lower (func $io-streams "[method]output-stream.subscribe")))
    (core func $poll (canon lower (func $io-poll "poll") (memory $mem) (realloc $realloc)))
    (core func $drop-pollable (canon resource.drop $pollable))
    (core func $drop-stream (canon resource.drop $output-stream))
    (core module $code
      (import "m" "mem" (memory 1))
      (import "w" "write" (func $write (param i32 i32 i32 i32)))
      (import "w" "subscribe" (func $subscribe (param i32) (result i32)))
      (import "w" "poll" (func $poll (param i32 i32 i32)))
      (import "w" "drop-pollable" (func $drop-pollable (param i32)))
      (import "w" "drop-stream" (func $drop-stream (param i32)))
      (data (i32.const 16) "writer: hello through a borrowed stream\0a")
      ;; writes through the borrowed stream; returns its handle here
      (func (export "write") (param $s i32) (result i32)
        (call $write (local.get $s) (i32.const 16) (i32.const 40) (i32.const 200))
        (call $drop-stream (local.get $s))
        (i32.add (i32.mul (i32.load8_u (i32.const 200)) (i32.const 1000)) (local.get $s)))
      ;; two pollables on the stream, polled as a list: the pollables'
      ;; handles, how many are ready, and that the list is unchanged
      (func (export "poll") (param $s i32) (result i32)
        (local $a i32) (local $b i32) (local $acc i32)
        (local.set $a (call $subscribe (local.get $s)))
        (local.set $b (call $subscribe (local.get $s)))
        (i32.store (i32.const 300) (local.get $a))
        (i32.store (i32.const 304) (local.get $b))
        (call $poll (i32.const 300) (i32.const 2) (i32.const 320))
        (local.set $acc (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))
        (local.set $acc (i32.add (local.get $acc)
          (i32.mul (i32.load (i32.const 324)) (i32.const 100))))
        (local.set $acc (i32.add (local.get $acc) (i32.mul (i32.const 1000)
          (i32.and (i32.eq (i32.load (i32.const 300)) (local.get $a))
                   (i32.eq (i32.load (i32.const 304)) (local.get $b))))))
        (call $drop-pollable (local.get $a))
        (call $drop-pollable (local.get $b))
        (call $drop-stream (local.get $s))
        (local.get $acc))
      ;; a handle number given as a number: the writer holds nothing
      (func (export "forge") (param $s i32) (result i32)
        (call $write (local.get $s) (i32.const 16) (i32.const 8) (i32.const 200))
        (i32.const 0)))
    (core instance $c (instantiate $code
      (with "m" (instance (export "mem" (memory $mem))))
      (with "w" (instance
        (export "write" (func $write)) (export "subscribe" (func $subscribe))
        (export "poll" (func $poll)) (export "drop-pollable" (func $drop-pollable))
        (export "drop-stream" (func $drop-stream))))))
    (func (export "write") (param "s" (borrow $output-stream)) (result u32)
      (canon lift (core func $c "write")))
    (func (export "poll") (param "s" (borrow $output-stream)) (result u32)
      (canon lift (core func $c "poll")))
    (func (export "forge") (param "s" u32) (result u32) (canon lift (core func $c "forge"))))

  (component $main
    {main}
    (import "write" (func $write-import (param "s" (borrow $output-stream)) (result u32)))
    (import "poll" (func $poll-import (param "s" (borrow $output-stream)) (result u32)))
    {HEAP}
    (core func $get-stdout (canon lower (func $stdout "get-stdout")))
    (core func $write (canon lower
      (func $io-streams "[method]output-stream.blocking-write-and-flush") (memory $mem)))
    (core func $drop-stream (canon resource.drop $output-stream))
    (core func $lend-write (canon lower (func $write-import)))
    (core func $lend-poll (canon lower (func $poll-import)))
    (core module $code
      (import "m" "mem" (memory 1))
      (import "w" "get-stdout" (func $get-stdout (result i32)))
      (import "w" "write" (func $write (param i32 i32 i32 i32)))
      (import "w" "drop-stream" (func $drop-stream (param i32)))
      (import "w" "lend-write" (func $lend-write (param i32) (result i32)))
      (import "w" "lend-poll" (func $lend-poll (param i32) (result i32)))
      (data (i32.const 16) "main: hello\0a")
      ;; stdout's handle here, the writer's answers, main's own write
      (func (export "run") (result i32)
        (local $s i32) (local $acc i32)
        (local.set $s (call $get-stdout))
        (call $write (local.get $s) (i32.const 16) (i32.const 12) (i32.const 200))
        (local.set $acc (i32.add (local.get $s)
          (i32.mul (call $lend-write (local.get $s)) (i32.const 10))))
        (local.set $acc (i32.add (local.get $acc)
          (i32.mul (call $lend-poll (local.get $s)) (i32.const 100000))))
        (call $drop-stream (local.get $s))
        (local.get $acc))
      ;; stdout twice: handles 1 and 2, both usable
      (func (export "two") (result i32)
        (local $a i32) (local $b i32)
        (local.set $a (call $get-stdout))
        (local.set $b (call $get-stdout))
        (call $write (local.get $b) (i32.const 16) (i32.const 12) (i32.const 200))
        (call $drop-stream (local.get $a))
        (i32.add (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))
      ;; the stream is dropped, then used
      (func (export "use-after-drop") (result i32)
        (local $s i32)
        (local.set $s (call $get-stdout))
        (call $drop-stream (local.get $s))
        (call $write (local.get $s) (i32.const 16) (i32.const 12) (i32.const 200))
        (i32.const 0)))
    (core instance $c (instantiate $code
      (with "m" (instance (export "mem" (memory $mem))))
      (with "w" (instance
        (export "get-stdout" (func $get-stdout)) (export "write" (func $write))
        (export "drop-stream" (func $drop-stream)) (export "lend-write" (func $lend-write))
        (export "lend-poll" (func $lend-poll))))))
    (func (export "run") (result u32) (canon lift (core func $c "run")))
    (func (export "two") (result u32) (canon lift (core func $c "two")))
    (func (export "use-after-drop") (result u32) (canon lift (core func $c "use-after-drop"))))

  (instance $w (instantiate $writer
    (with "wasi:io/error@0.2.0" (instance $io-error))
    (with "wasi:io/poll@0.2.0" (instance $io-poll))
    (with "wasi:io/streams@0.2.0" (instance $io-streams))
    (with "wasi:cli/stdout@0.2.0" (instance $stdout))))
  (instance $m (instantiate $main
    (with "wasi:io/error@0.2.0" (instance $io-error))
    (with "wasi:io/poll@0.2.0" (instance $io-poll))
    (with "wasi:io/streams@0.2.0" (instance $io-streams))
    (with "wasi:cli/stdout@0.2.0" (instance $stdout))
    (with "write" (func $w "write"))
    (with "poll" (func $w "poll"))))
  (export "main" (instance $m))
  (alias export $w "forge" (func $forge))
  (instance $writer-api (export "forge" (func $forge)))
  (export "writer" (instance $writer-api)))
"#
    );
    wat::parse_str(&wat).expect("the WASI composition parses")
}

fn script() -> Vec<(&'static str, Vec<Val>)> {
    vec![
        ("main#run", vec![]),
        ("main#two", vec![]),
        ("writer#forge", vec![Val::U32(1)]),
        ("main#two", vec![]),
        ("writer#forge", vec![Val::U32(2)]),
        ("main#use-after-drop", vec![]),
        ("main#run", vec![]),
    ]
}

fn check(options: &Options) {
    let original = composition();
    let fused = fuse(&[&original], options).expect("fuses");
    let calls = script();
    let expected = same_script(&original, &fused.wasm, &calls);
    // stdout is handle 1 in main; the writer's borrow is its handle 1 and
    // its pollables 2 and 3 (two ready); main's second stdout is 2
    assert!(expected[0].starts_with("[122300011]"), "{}", expected[0]);
    assert!(expected[1].starts_with("[12]"), "{}", expected[1]);
    for trap in [2, 4, 5] {
        assert_eq!(expected[trap], "trap", "call {trap} of the original");
    }
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
}

#[test]
fn wasi_handles_are_per_component_multi_memory() {
    check(&Options::default());
}

#[test]
fn wasi_handles_are_per_component_shared_memory() {
    check(&Options {
        memory: MemoryStrategy::Shared,
        ..Options::default()
    });
}
