;; Async components whose modules use GC types (`async_calls.rs::async_gc`).
;;
;; `$slow.later` (callback-lifted) keeps its argument in a struct between
;; its entry and its callback (in a table slot its context slot names, so
;; that calls may overlap), yields once and returns 10 x; the stackful `twice` awaits it, with no reference live while it
;; waits, and returns twice that, computed through an array; `top`'s
;; `plus-one` awaits `twice` and adds 1. The stackful `holds` keeps a
;; struct (in a non-nullable local) and a list of them across its wait,
;; which meld's unwind pass saves in tables of its own, and gets the
;; awaited value in a struct that a function returns.
(component
  (component $slow
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (core module $m
      (type $box (struct (field (mut i32))))
      (import "cm" "task.return" (func $return (param i32)))
      (import "cm" "context.get" (func $context (result i32)))
      (import "cm" "context.set" (func $set-context (param i32)))
      (table $boxes 0 (ref null $box))
      (func (export "later") (param i32) (result i32)
        (call $set-context
          (table.grow $boxes (struct.new $box (local.get 0)) (i32.const 1)))
        (i32.const 1))
      (func (export "later-cb") (param i32 i32 i32) (result i32)
        (call $return
          (i32.mul (struct.get $box 0 (table.get $boxes (call $context))) (i32.const 10)))
        (table.set $boxes (call $context) (ref.null $box))
        (i32.const 0)))
    (core func $return (canon task.return (result u32)))
    (core func $context (canon context.get i32 0))
    (core func $set-context (canon context.set i32 0))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "task.return" (func $return))
        (export "context.get" (func $context))
        (export "context.set" (func $set-context))))))
    (alias core export $i "later-cb" (core func $later-cb))
    (func (export "later") (type $async-u32)
      (canon lift (core func $i "later") async (callback $later-cb))))
  (instance $slow (instantiate $slow))

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
      (rec
        (type $pair (struct (field i32) (field (ref null $list))))
        (type $list (array (ref null $pair))))
      (type $nums (array (mut i32)))
      (import "mem" "mem" (memory 1))
      (import "cm" "call" (func $call (param i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32)))
      (func $await (param $x i32) (result i32)
        (local $r i32) (local $s i32) (local $h i32)
        (local.set $r (call $call (local.get $x) (i32.const 16)))
        (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 2))
          (then
            (local.set $h (i32.shr_u (local.get $r) (i32.const 4)))
            (local.set $s (call $new))
            (call $join (local.get $h) (local.get $s))
            (loop $again
              (drop (call $wait (local.get $s) (i32.const 32)))
              (br_if $again (i32.ne (i32.load (i32.const 36)) (i32.const 2))))
            (call $join (local.get $h) (i32.const 0))
            (call $drop-subtask (local.get $h))))
        (i32.load (i32.const 16)))
      ;; v + v through an array of two
      (func $double (param $v i32) (result i32)
        (local $a (ref $nums))
        (local.set $a (array.new $nums (local.get $v) (i32.const 2)))
        (i32.add (array.get $nums (local.get $a) (i32.const 0))
                 (array.get $nums (local.get $a) (i32.const 1))))
      (func (export "twice") (param $x i32)
        (call $return (call $double (call $await (local.get $x)))))
      (func (export "plus-one") (param $x i32)
        (call $return (i32.add (call $await (local.get $x)) (i32.const 1))))
      ;; the awaited value in a struct: a non-nullable result of a
      ;; function that waits
      (func $boxed-await (param $x i32) (result (ref $pair))
        (struct.new $pair (call $await (local.get $x)) (ref.null $list)))
      ;; structs built before the wait and read after it: x + 3 x + the
      ;; awaited value
      (func (export "holds") (param $x i32)
        (local $p (ref $pair)) (local $l (ref null $list))
        (local.set $l (array.new_fixed $list 1
          (struct.new $pair (i32.mul (local.get $x) (i32.const 3)) (ref.null $list))))
        (local.set $p (struct.new $pair (local.get $x) (local.get $l)))
        (call $return
          (i32.add
            (i32.add (struct.get $pair 0 (call $boxed-await (local.get $x)))
              (struct.get $pair 0 (local.get $p)))
            (struct.get $pair 0 (array.get $list
              (ref.as_non_null (struct.get $pair 1 (local.get $p))) (i32.const 0)))))))
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
    (func (export "holds") (type $async-u32)
      (canon lift (core func $i "holds") async)))
  (instance $worker (instantiate $awaiting (with "call" (func $slow "later"))))
  (instance $top (instantiate $awaiting (with "call" (func $worker "twice"))))
  (export "worker" (instance $worker))
  (export "top" (instance $top)))
