;; Cancelling a task in a cancellable `thread.yield`: wasmtime promotes it
;; to the high-priority queue and the cancelling caller yields, so the
;; cancelled task sees CANCELLED before the other yielding tasks run again.
;; The worker's stackful `yielder(tag, n, cancellable)` logs its tag each
;; turn and yields n times (cancellably or not); cancelled, it logs 9 and
;; calls task.cancel. `run()` starts yielder 1 (cancellable) and 2 (not),
;; lets them yield once each, cancels 1 (`subtask.cancel async`), then
;; waits for 2: it returns the log, the cancel's result and the event.
(component
  (component $worker
    (type $yielder (func async (param "tag" u32) (param "n" u32) (param "c" bool) (result u32)))
    (core module $m
      (import "cm" "yield" (func $yield (result i32)))
      (import "cm" "yield-c" (func $yield-c (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (import "cm" "cancel" (func $cancel))
      (global $log (mut i64) (i64.const 0))
      (func $out (param $v i32)
        (global.set $log
          (i64.add (i64.mul (global.get $log) (i64.const 10)) (i64.extend_i32_u (local.get $v)))))
      (func (export "yielder") (param $tag i32) (param $n i32) (param $c i32)
        (local $i i32) (local $r i32)
        (block $done
          (loop $again
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (call $out (local.get $tag))
            (if (local.get $c)
              (then (local.set $r (call $yield-c)))
              (else (local.set $r (call $yield))))
            (if (local.get $r)
              (then (call $out (i32.const 9)) (call $cancel) (return)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $again)))
        (call $return (local.get $n)))
      (func (export "log") (result i64) (global.get $log))
      (func (export "reset") (global.set $log (i64.const 0))))
    (core func $yield (canon thread.yield))
    ;; made cancellable by the test (the text format dropped the option)
    (core func $yield-c (canon thread.yield))
    (core func $return (canon task.return (result u32)))
    (core func $cancel (canon task.cancel))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "yield" (func $yield)) (export "yield-c" (func $yield-c))
        (export "return" (func $return)) (export "cancel" (func $cancel))))))
    (func (export "yielder") (type $yielder) (canon lift (core func $i "yielder") async))
    (func (export "log") (result u64) (canon lift (core func $i "log")))
    (func (export "reset") (canon lift (core func $i "reset"))))
  (instance $worker (instantiate $worker))

  (component $caller
    (type $yielder (func async (param "tag" u32) (param "n" u32) (param "c" bool) (result u32)))
    (import "yielder" (func $yielder (type $yielder)))
    (import "log" (func $log (result u64)))
    (import "reset" (func $reset))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $yielder (canon lower (func $yielder) async (memory $mem)))
    (core func $log (canon lower (func $log)))
    (core func $reset (canon lower (func $reset)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $cancel (canon subtask.cancel async))
    (core func $yield (canon thread.yield))
    (core func $return (canon task.return (result (list u64)) (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "yielder" (func $yielder (param i32 i32 i32 i32) (result i32)))
      (import "cm" "log" (func $log (result i64)))
      (import "cm" "reset" (func $reset))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "cancel" (func $cancel (param i32) (result i32)))
      (import "cm" "yield" (func $yield (result i32)))
      (import "cm" "return" (func $return (param i32 i32)))
      (global $count (mut i32) (i32.const 0))
      (func $out (param i64)
        (i64.store (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 3)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "run") (param $yields i32) (result i32)
        (local $h1 i32) (local $h2 i32) (local $s i32) (local $i i32) (local $r i32)
        (local $left i32)
        (global.set $count (i32.const 0))
        (call $reset)
        ;; at most 4 (the harness also passes huge numbers)
        (if (i32.gt_u (local.get $yields) (i32.const 4)) (then (local.set $yields (i32.const 4))))
        (local.set $h1 (i32.shr_u (call $yielder (i32.const 1) (i32.const 5) (i32.const 1) (i32.const 16)) (i32.const 4)))
        (local.set $h2 (i32.shr_u (call $yielder (i32.const 2) (i32.const 3) (i32.const 0) (i32.const 20)) (i32.const 4)))
        (block $enough
          (loop $more
            (br_if $enough (i32.ge_u (local.get $i) (local.get $yields)))
            (drop (call $yield))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $more)))
        (local.set $r (call $cancel (local.get $h1)))
        (call $out (i64.extend_i32_u (local.get $r)))
        (call $out (call $log))
        (local.set $s (call $new))
        (local.set $left (i32.const 1))
        (if (i32.eq (local.get $r) (i32.const -1))
          (then
            (call $join (local.get $h1) (local.get $s))
            (local.set $left (i32.const 2))))
        (call $join (local.get $h2) (local.get $s))
        ;; every event until the subtasks resolved
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $left)))
            (call $out (i64.extend_i32_u (call $wait (local.get $s) (i32.const 32))))
            (call $out (i64.extend_i32_u (i32.load (i32.const 32))))
            (call $out (i64.extend_i32_u (i32.load (i32.const 36))))
            (if (i32.ge_u (i32.load (i32.const 36)) (i32.const 2))
              (then (local.set $left (i32.sub (local.get $left) (i32.const 1)))))
            (br $next)))
        (call $out (call $log))
        (call $return (i32.const 4096) (global.get $count))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "yielder" (func $yielder)) (export "log" (func $log)) (export "reset" (func $reset))
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "cancel" (func $cancel)) (export "yield" (func $yield))
        (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") async (param "yields" u32) (result (list u64))
      (canon lift (core func $i "run") (memory $mem) async (callback $exit-cb))))
  (instance $caller (instantiate $caller
    (with "yielder" (func $worker "yielder"))
    (with "log" (func $worker "log"))
    (with "reset" (func $worker "reset"))))
  (export "run" (func $caller "run")))
