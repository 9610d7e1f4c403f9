;; Synchronous calls between components whose tasks use the async ABI: in
;; wasmtime 48 a sync-lowered call of a sync-lifted function runs its
;; callee as a task of its own (on the caller's stack): the callee's
;; context slots read 0 and the caller's are back after the call, and the
;; callee may block only if its function type is async (the caller must
;; be able to block then too).
;;
;; `$slow` lifts an async `later` (it yields once); `$middle` exports sync
;; functions that read and write context slot 0 or block on `later`, and
;; one whose type is async, lifted without `async`; `$top` calls them from
;; its async exports (and one sync export).
(component
  (component $slow
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (core module $m
      (import "cm" "task.return" (func $return (param i32)))
      (global $x (mut i32) (i32.const 0))
      (func (export "later") (param i32) (result i32)
        (global.set $x (local.get 0))
        (i32.const 1))
      (func (export "later-cb") (param i32 i32 i32) (result i32)
        (call $return (i32.mul (global.get $x) (i32.const 10)))
        (i32.const 0)))
    (core func $return (canon task.return (result u32)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "task.return" (func $return))))))
    (alias core export $i "later-cb" (core func $later-cb))
    (func (export "later") (type $async-u32)
      (canon lift (core func $i "later") async (callback $later-cb))))
  (instance $slow (instantiate $slow))

  (component $middle
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (import "later" (func $later (type $async-u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $later (canon lower (func $later) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $get (canon context.get i32 0))
    (core func $set (canon context.set i32 0))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "later" (func $later (param i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "get" (func $get (result i32)))
      (import "cm" "set" (func $set (param i32)))
      ;; Returns its context slot 0 (0 in a task of its own), then sets it
      ;; to 99 (which its caller must not see).
      (func (export "peek") (result i32)
        (local $v i32)
        (local.set $v (call $get))
        (call $set (i32.const 99))
        (local.get $v))
      ;; Starts `later` and waits for it: blocks.
      (func (export "wait-later") (param i32) (result i32)
        (local $s i32)
        (local.set $s (call $new))
        (call $join
          (i32.shr_u (call $later (local.get 0) (i32.const 16)) (i32.const 4))
          (local.get $s))
        (drop (call $wait (local.get $s) (i32.const 32)))
        (i32.load (i32.const 16))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "later" (func $later))
        (export "new" (func $new))
        (export "wait" (func $wait))
        (export "join" (func $join))
        (export "get" (func $get))
        (export "set" (func $set))))))
    (func (export "peek") (result u32)
      (canon lift (core func $i "peek")))
    ;; Sync-typed: blocking in it traps.
    (func (export "wait-later") (param "x" u32) (result u32)
      (canon lift (core func $i "wait-later")))
    ;; Async-typed, lifted without `async`: it may block, if its caller may.
    (func (export "wait-later-async") (type $async-u32)
      (canon lift (core func $i "wait-later"))))
  (instance $middle (instantiate $middle (with "later" (func $slow "later"))))

  (component $top
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (type $async-result (func async (result u32)))
    (import "peek" (func $peek (result u32)))
    (import "wait-later" (func $wait-later (param "x" u32) (result u32)))
    (import "wait-later-async" (func $wait-later-async (type $async-u32)))
    (core func $peek (canon lower (func $peek)))
    (core func $wait-later (canon lower (func $wait-later)))
    (core func $wait-later-async (canon lower (func $wait-later-async)))
    (core func $get (canon context.get i32 0))
    (core func $set (canon context.set i32 0))
    (core func $return-u32 (canon task.return (result u32)))
    (core module $m
      (import "cm" "peek" (func $peek (result i32)))
      (import "cm" "wait-later" (func $wait-later (param i32) (result i32)))
      (import "cm" "wait-later-async" (func $wait-later-async (param i32) (result i32)))
      (import "cm" "get" (func $get (result i32)))
      (import "cm" "set" (func $set (param i32)))
      (import "cm" "return-u32" (func $return-u32 (param i32)))
      ;; Sets slot 0 to 7, calls `peek` (0), and returns 1000 * what peek
      ;; saw + its own slot after the call (7).
      (func (export "context") (result i32)
        (call $set (i32.const 7))
        (call $return-u32
          (i32.add (i32.mul (call $peek) (i32.const 1000)) (call $get)))
        (i32.const 0))
      ;; An async task calling a sync-typed function that blocks: traps.
      (func (export "sync-blocks") (param i32) (result i32)
        (call $return-u32 (call $wait-later (local.get 0)))
        (i32.const 0))
      ;; An async task calling an async-typed function that blocks: fine.
      (func (export "async-blocks") (param i32) (result i32)
        (call $return-u32 (call $wait-later-async (local.get 0)))
        (i32.const 0))
      ;; A sync task calling the async-typed one: traps before the call.
      (func (export "sync-calls-async") (param i32) (result i32)
        (call $wait-later-async (local.get 0)))
      (func (export "exit-cb") (param i32 i32 i32) (result i32)
        (i32.const 0)))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "peek" (func $peek))
        (export "wait-later" (func $wait-later))
        (export "wait-later-async" (func $wait-later-async))
        (export "get" (func $get))
        (export "set" (func $set))
        (export "return-u32" (func $return-u32))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "context") (type $async-result)
      (canon lift (core func $i "context") async (callback $exit-cb)))
    (func (export "sync-blocks") (type $async-u32)
      (canon lift (core func $i "sync-blocks") async (callback $exit-cb)))
    (func (export "async-blocks") (type $async-u32)
      (canon lift (core func $i "async-blocks") async (callback $exit-cb)))
    (func (export "sync-calls-async") (param "x" u32) (result u32)
      (canon lift (core func $i "sync-calls-async"))))
  (instance $top (instantiate $top
    (with "peek" (func $middle "peek"))
    (with "wait-later" (func $middle "wait-later"))
    (with "wait-later-async" (func $middle "wait-later-async"))))
  (export "top" (instance $top)))
