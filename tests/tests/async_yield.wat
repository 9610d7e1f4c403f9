;; `thread.yield` between components, and the order it gives: the worker's
;; stackful `yielder(n)` yields n times (logging its tag into the shared
;; log each turn), then returns n. The caller starts two yielders at once
;; (tags 1 and 2, 3 and 1 yields) and waits for both: the turns interleave
;; in wasmtime's order and the one with fewer yields returns first.
;; `run` returns the turn log, then the subtask handles in the order their
;; results arrived.
(component
  (component $worker
    (type $yielder (func async (param "tag" u32) (param "n" u8) (result u32)))
    (core module $m
      (import "cm" "yield" (func $yield (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (global $log (mut i64) (i64.const 0))
      ;; each turn appends the tag as a decimal digit
      (func (export "yielder") (param $tag i32) (param $n i32)
        (local $i i32)
        (block $done
          (loop $again
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (global.set $log
              (i64.add (i64.mul (global.get $log) (i64.const 10))
                       (i64.extend_i32_u (local.get $tag))))
            (drop (call $yield))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $again)))
        (call $return (local.get $n)))
      (func (export "log") (result i64) (global.get $log))
      (func (export "reset") (global.set $log (i64.const 0))))
    (core func $yield (canon thread.yield))
    (core func $return (canon task.return (result u32)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "yield" (func $yield)) (export "return" (func $return))))))
    (func (export "yielder") (type $yielder) (canon lift (core func $i "yielder") async))
    (func (export "log") (result u64) (canon lift (core func $i "log")))
    (func (export "reset") (canon lift (core func $i "reset"))))
  (instance $worker (instantiate $worker))

  (component $caller
    (type $yielder (func async (param "tag" u32) (param "n" u8) (result u32)))
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
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result (list u64)) (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "yielder" (func $yielder (param i32 i32 i32) (result i32)))
      (import "cm" "log" (func $log (result i64)))
      (import "cm" "reset" (func $reset))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32 i32)))
      (global $count (mut i32) (i32.const 0))
      (func $out (param i64)
        (i64.store (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 3)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "run") (param $a i32) (param $b i32) (result i32)
        (local $s i32) (local $h1 i32) (local $h2 i32) (local $left i32)
        (global.set $count (i32.const 0))
        (call $reset)
        (local.set $s (call $new))
        (local.set $h1 (i32.shr_u (call $yielder (i32.const 1) (local.get $a) (i32.const 16)) (i32.const 4)))
        (local.set $h2 (i32.shr_u (call $yielder (i32.const 2) (local.get $b) (i32.const 20)) (i32.const 4)))
        (local.set $left (i32.const 0))
        (if (local.get $h1)
          (then (call $join (local.get $h1) (local.get $s))
                (local.set $left (i32.add (local.get $left) (i32.const 1)))))
        (if (local.get $h2)
          (then (call $join (local.get $h2) (local.get $s))
                (local.set $left (i32.add (local.get $left) (i32.const 1)))))
        ;; until both returned: the handle of each RETURNED event
        (block $done
          (loop $again
            (br_if $done (i32.eqz (local.get $left)))
            (drop (call $wait (local.get $s) (i32.const 32)))
            (if (i32.eq (i32.load (i32.const 36)) (i32.const 2))
              (then
                (call $out (i64.extend_i32_u (i32.load (i32.const 32))))
                (call $join (i32.load (i32.const 32)) (i32.const 0))
                (call $drop-subtask (i32.load (i32.const 32)))
                (local.set $left (i32.sub (local.get $left) (i32.const 1)))))
            (br $again)))
        (call $out (call $log))
        (call $out (i64.extend_i32_u (i32.load (i32.const 16))))
        (call $out (i64.extend_i32_u (i32.load (i32.const 20))))
        (call $return (i32.const 4096) (global.get $count))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "yielder" (func $yielder)) (export "log" (func $log)) (export "reset" (func $reset))
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask)) (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (type $run (func async (param "a" u8) (param "b" u8) (result (list u64))))
    (func (export "run") (type $run)
      (canon lift (core func $i "run") (memory $mem) async (callback $exit-cb))))
  (instance $caller (instantiate $caller
    (with "yielder" (func $worker "yielder"))
    (with "log" (func $worker "log"))
    (with "reset" (func $worker "reset"))))
  (export "run" (func $caller "run")))
