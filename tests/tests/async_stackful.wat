;; Async functions lifted without a callback (stackful): their core
;; function runs to its end on a stack of its own, may block in
;; `waitable-set.wait`, returns its result with `task.return` and returns
;; nothing itself.
;;
;; `$slow.later` (callback-lifted) yields once and returns 10 x; the
;; worker's stackful `twice-later` awaits it and returns twice that; the
;; top's stackful `run` awaits `twice-later` and adds 1; `never-returns`
;; ends without `task.return` (a trap).
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

  ;; A stackful task awaiting one async call: the shape of both stackful
  ;; components (`$call` is the function it awaits).
  (component $awaiting
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (import "call" (func $call (type $async-u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $call (canon lower (func $call) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "call" (func $call (param i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32)))
      ;; Awaits `call(x)` (blocking in `wait` unless it returned at once),
      ;; then returns `f(result)`.
      (func $await (param $x i32) (result i32)
        (local $r i32) (local $s i32) (local $h i32)
        (local.set $r (call $call (local.get $x) (i32.const 16)))
        (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 2))
          (then
            (local.set $h (i32.shr_u (local.get $r) (i32.const 4)))
            (local.set $s (call $new))
            (call $join (local.get $h) (local.get $s))
            ;; until the subtask's RETURNED (2) event
            (loop $again
              (drop (call $wait (local.get $s) (i32.const 32)))
              (br_if $again (i32.ne (i32.load (i32.const 36)) (i32.const 2))))
            (call $join (local.get $h) (i32.const 0))
            (call $drop-subtask (local.get $h))))
        (i32.load (i32.const 16)))
      (func (export "twice") (param $x i32)
        (call $return (i32.mul (call $await (local.get $x)) (i32.const 2))))
      (func (export "plus-one") (param $x i32)
        (call $return (i32.add (call $await (local.get $x)) (i32.const 1))))
      (func (export "never-returns") (param $x i32)
        (drop (call $await (local.get $x)))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "call" (func $call))
        (export "new" (func $new))
        (export "wait" (func $wait))
        (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask))
        (export "return" (func $return))))))
    (func (export "twice") (type $async-u32)
      (canon lift (core func $i "twice") async))
    (func (export "plus-one") (type $async-u32)
      (canon lift (core func $i "plus-one") async))
    (func (export "never-returns") (type $async-u32)
      (canon lift (core func $i "never-returns") async)))
  (instance $worker (instantiate $awaiting (with "call" (func $slow "later"))))
  (instance $top (instantiate $awaiting (with "call" (func $worker "twice"))))
  (export "worker" (instance $worker))
  (export "top" (instance $top)))
