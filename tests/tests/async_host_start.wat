;; A start function that calls the host's async function through a sync
;; lower (the test may replace its first argument, the host's pending
;; polls before it answers). Instantiation is not a task that may block, so wasmtime 48
;; traps before it calls the host.
(component
  (import "meld:test/slow" (instance $slow
    (export "later" (func async (param "polls" u32) (param "v" u32) (result u32)))))
  (alias export $slow "later" (func $later))
  (component $worker
    (import "later" (func $later async (param "polls" u32) (param "v" u32) (result u32)))
    (core func $later (canon lower (func $later)))
    (core module $m
      (import "cm" "later" (func $later (param i32 i32) (result i32)))
      (global $g (mut i32) (i32.const 0))
      (func $start (global.set $g (call $later (i32.const 0) (i32.const 5))))
      (start $start)
      (func (export "get") (result i32) (global.get $g)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "later" (func $later))))))
    (func (export "get") (result u32)
      (canon lift (core func $i "get"))))
  (instance $worker (instantiate $worker (with "later" (func $later))))
  (export "get" (func $worker "get")))
