;; The async ABI's raw numbers, which wit-bindgen hides: subtask states
;; returned by async lowers, handle numbers, events and their payloads,
;; backpressure, cancellation, context slots, and the traps for misuse.
;; `$caller` logs every number it sees into a list that `raw#run` returns.
;;
;; Codes (component model, as wasmtime 48 uses them): subtask state
;; STARTING 0, STARTED 1, RETURNED 2, CANCELLED_BEFORE_STARTED 3,
;; CANCELLED_BEFORE_RETURNED 4 (an async lower returns `state | handle <<
;; 4`, no handle once RETURNED); event NONE 0, SUBTASK 1; callback code
;; EXIT 0, YIELD 1, WAIT 2 | set << 4.
(component
  ;; The callee: async functions lifted with a callback, and a sync
  ;; `close` that turns backpressure on for good.
  (component $callee
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (core module $m
      (import "cm" "task.return" (func $return (param i32)))
      (import "cm" "backpressure.inc" (func $inc))
      (global $x (mut i32) (i32.const 0))
      ;; Returns x + 1 at once.
      (func (export "ready") (param i32) (result i32)
        (call $return (i32.add (local.get 0) (i32.const 1)))
        (i32.const 0))
      ;; Yields once, then returns x * 10 from its callback.
      (func (export "later") (param i32) (result i32)
        (global.set $x (local.get 0))
        (i32.const 1))
      (func (export "later-cb") (param i32 i32 i32) (result i32)
        (call $return (i32.mul (global.get $x) (i32.const 10)))
        (i32.const 0))
      ;; Calls `task.return` twice: traps.
      (func (export "twice") (param i32) (result i32)
        (call $return (local.get 0))
        (call $return (local.get 0))
        (i32.const 0))
      ;; Exits without calling `task.return`: traps.
      (func (export "never") (param i32) (result i32)
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32)
        (i32.const 0))
      (func (export "close")
        (call $inc)))
    (core func $return (canon task.return (result u32)))
    (core func $inc (canon backpressure.inc))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "task.return" (func $return))
        (export "backpressure.inc" (func $inc))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (alias core export $i "later-cb" (core func $later-cb))
    (func (export "ready") (type $async-u32)
      (canon lift (core func $i "ready") async (callback $exit-cb)))
    (func (export "later") (type $async-u32)
      (canon lift (core func $i "later") async (callback $later-cb)))
    (func (export "twice") (type $async-u32)
      (canon lift (core func $i "twice") async (callback $exit-cb)))
    (func (export "never") (type $async-u32)
      (canon lift (core func $i "never") async (callback $exit-cb)))
    (func (export "close") (canon lift (core func $i "close"))))
  (instance $callee (instantiate $callee))

  ;; The caller: async lowers of the callee's functions and the task,
  ;; subtask and waitable-set built-ins.
  (component $caller
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (import "ready" (func $ready (type $async-u32)))
    (import "later" (func $later (type $async-u32)))
    (import "close" (func $close))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $ready (canon lower (func $ready) async (memory $mem)))
    (core func $later (canon lower (func $later) async (memory $mem)))
    (core func $close (canon lower (func $close)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $poll (canon waitable-set.poll (memory $mem)))
    (core func $drop-set (canon waitable-set.drop))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $cancel (canon subtask.cancel))
    (core func $get (canon context.get i32 0))
    (core func $set (canon context.set i32 0))
    (core func $return-list (canon task.return (result (list u32)) (memory $mem)))
    (core func $return-none (canon task.return))
    (core func $return-u32 (canon task.return (result u32)))
    (core module $main
      (import "mem" "mem" (memory 1))
      (import "cm" "ready" (func $ready (param i32 i32) (result i32)))
      (import "cm" "later" (func $later (param i32 i32) (result i32)))
      (import "cm" "close" (func $close))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "poll" (func $poll (param i32 i32) (result i32)))
      (import "cm" "drop-set" (func $drop-set (param i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "cancel" (func $cancel (param i32) (result i32)))
      (import "cm" "get" (func $get (result i32)))
      (import "cm" "set" (func $set (param i32)))
      (import "cm" "return-list" (func $return-list (param i32 i32)))
      (import "cm" "return-none" (func $return-none))
      (import "cm" "return-u32" (func $return-u32 (param i32)))
      ;; The log: u32s from address 1024 on.
      (global $count (mut i32) (i32.const 0))
      (func $log (param i32)
        (i32.store
          (i32.add (i32.const 1024) (i32.shl (global.get $count) (i32.const 2)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      ;; Logs the state of async-lower result `r` and returns its handle.
      (func $log-state (param $r i32) (result i32)
        (call $log (i32.and (local.get $r) (i32.const 15)))
        (call $log (i32.shr_u (local.get $r) (i32.const 4)))
        (i32.shr_u (local.get $r) (i32.const 4)))
      (func (export "run") (result i32)
        (local $h i32) (local $s i32)
        (global.set $count (i32.const 0))
        ;; `ready` returns before its lower does: RETURNED, no handle; the
        ;; result is in the return area.
        (drop (call $log-state (call $ready (i32.const 5) (i32.const 16))))
        (call $log (i32.load (i32.const 16)))
        ;; `later` yields: STARTED and a handle; one SUBTASK event
        ;; (handle, RETURNED) delivers the result.
        (local.set $h (call $log-state (call $later (i32.const 7) (i32.const 32))))
        (local.set $s (call $new))
        (call $log (local.get $s))
        (call $join (local.get $h) (local.get $s))
        (call $log (call $wait (local.get $s) (i32.const 48)))
        (call $log (i32.load (i32.const 48)))
        (call $log (i32.load (i32.const 52)))
        (call $log (i32.load (i32.const 32)))
        (call $drop-subtask (local.get $h))
        ;; Nothing left in the set: polling gives NONE.
        (call $log (call $poll (local.get $s) (i32.const 48)))
        (call $drop-set (local.get $s))
        ;; Context slot 0 of this task.
        (call $log (call $get))
        (call $set (i32.const 42))
        (call $log (call $get))
        ;; Backpressure on in the callee: `later` is STARTING (queued);
        ;; cancelling it gives CANCELLED_BEFORE_STARTED at once.
        (call $close)
        (local.set $h (call $log-state (call $later (i32.const 9) (i32.const 64))))
        (call $log (call $cancel (local.get $h)))
        (call $drop-subtask (local.get $h))
        (call $return-list (i32.const 1024) (global.get $count))
        (i32.const 0))
      ;; Cancels `later` while it runs (it has yielded); the callee
      ;; ignores the cancellation and returns. Logs the lower's result,
      ;; what `subtask.cancel` gives and the result.
      (func (export "cancel-running") (result i32)
        (local $h i32)
        (global.set $count (i32.const 0))
        (local.set $h (call $log-state (call $later (i32.const 3) (i32.const 16))))
        (call $log (call $cancel (local.get $h)))
        (call $log (i32.load (i32.const 16)))
        (call $drop-subtask (local.get $h))
        (call $return-list (i32.const 1024) (global.get $count))
        (i32.const 0))
      ;; Cancels `later` after its result was delivered, while it is
      ;; still in a waitable set: traps.
      (func (export "cancel-joined") (result i32)
        (local $h i32) (local $s i32)
        (local.set $h (i32.shr_u (call $later (i32.const 4) (i32.const 16)) (i32.const 4)))
        (local.set $s (call $new))
        (call $join (local.get $h) (local.get $s))
        (drop (call $wait (local.get $s) (i32.const 48)))
        (drop (call $cancel (local.get $h)))
        (call $return-none)
        (i32.const 0))
      ;; Cancels `later` after its result was delivered and it left the
      ;; set (`waitable.join` with set 0).
      (func (export "cancel-returned") (result i32)
        (local $h i32) (local $s i32)
        (local.set $h (i32.shr_u (call $later (i32.const 4) (i32.const 16)) (i32.const 4)))
        (local.set $s (call $new))
        (call $join (local.get $h) (local.get $s))
        (drop (call $wait (local.get $s) (i32.const 48)))
        (call $join (local.get $h) (i32.const 0))
        (drop (call $cancel (local.get $h)))
        (call $return-none)
        (i32.const 0))
      ;; Drops a subtask whose result has not been delivered: traps.
      (func (export "drop-early") (result i32)
        (call $drop-subtask (i32.shr_u (call $later (i32.const 1) (i32.const 16)) (i32.const 4)))
        (call $return-none)
        (i32.const 0))
      ;; A sync task that waits: traps.
      (func (export "sync-wait") (result i32)
        (local $s i32)
        (local.set $s (call $new))
        (call $join
          (i32.shr_u (call $later (i32.const 1) (i32.const 16)) (i32.const 4))
          (local.get $s))
        (call $wait (local.get $s) (i32.const 48)))
      ;; Waits on a set that nothing is in: nothing can wake it.
      (func (export "wait-empty") (result i32)
        (drop (call $wait (call $new) (i32.const 48)))
        (call $return-none)
        (i32.const 0))
      ;; Returns `context.get 0` of a fresh task (zero), after setting it.
      (func (export "context") (result i32)
        (local $v i32)
        (local.set $v (call $get))
        (call $set (i32.const 7))
        (call $return-u32 (local.get $v))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32)
        (i32.const 0)))
    (core instance $i (instantiate $main
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "ready" (func $ready))
        (export "later" (func $later))
        (export "close" (func $close))
        (export "new" (func $new))
        (export "wait" (func $wait))
        (export "poll" (func $poll))
        (export "drop-set" (func $drop-set))
        (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask))
        (export "cancel" (func $cancel))
        (export "get" (func $get))
        (export "set" (func $set))
        (export "return-list" (func $return-list))
        (export "return-none" (func $return-none))
        (export "return-u32" (func $return-u32))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (type $run (func async (result (list u32))))
    (type $unit (func async))
    (type $u32 (func async (result u32)))
    (func (export "run") (type $run)
      (canon lift (core func $i "run") (memory $mem) async (callback $exit-cb)))
    (func (export "cancel-running") (type $run)
      (canon lift (core func $i "cancel-running") (memory $mem) async (callback $exit-cb)))
    (func (export "cancel-joined") (type $unit)
      (canon lift (core func $i "cancel-joined") async (callback $exit-cb)))
    (func (export "cancel-returned") (type $unit)
      (canon lift (core func $i "cancel-returned") async (callback $exit-cb)))
    (func (export "drop-early") (type $unit)
      (canon lift (core func $i "drop-early") async (callback $exit-cb)))
    (func (export "sync-wait") (result u32)
      (canon lift (core func $i "sync-wait")))
    (func (export "wait-empty") (type $unit)
      (canon lift (core func $i "wait-empty") async (callback $exit-cb)))
    (func (export "context") (type $u32)
      (canon lift (core func $i "context") async (callback $exit-cb))))
  (instance $caller (instantiate $caller
    (with "ready" (func $callee "ready"))
    (with "later" (func $callee "later"))
    (with "close" (func $callee "close"))))
  (export "raw" (instance $caller))
  (export "callee" (instance $callee)))
