;; Async components whose modules use GC types (`async_calls.rs::async_gc`).
;;
;; `$slow.later` (callback-lifted) keeps its argument in a struct held by a
;; global between its entry and its callback, yields once and returns
;; 10 x; the stackful `twice` awaits it, with no reference live while it
;; waits, and returns twice that, computed through an array; `top`'s
;; `plus-one` awaits `twice` and adds 1.
(component
  (component $slow
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (core module $m
      (type $box (struct (field (mut i32))))
      (import "cm" "task.return" (func $return (param i32)))
      (global $x (mut (ref null $box)) (ref.null $box))
      (func (export "later") (param i32) (result i32)
        (global.set $x (struct.new $box (local.get 0)))
        (i32.const 1))
      (func (export "later-cb") (param i32 i32 i32) (result i32)
        (call $return (i32.mul (struct.get $box 0 (global.get $x)) (i32.const 10)))
        (global.set $x (ref.null $box))
        (i32.const 0)))
    (core func $return (canon task.return (result u32)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "task.return" (func $return))))))
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
      ;; a struct built before the wait and read after it: its reference
      ;; is live across the suspension, which meld cannot save (the test
      ;; takes the comment marks away and expects a typed error)
      (;holds
      (func (export "holds") (param $x i32)
        (local $p (ref null $pair))
        (local.set $p (struct.new $pair (local.get $x) (ref.null $list)))
        (drop (call $await (local.get $x)))
        (call $return (struct.get $pair 0 (local.get $p))))
      holds;))
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
    (;holds
    (func (export "holds") (type $async-u32)
      (canon lift (core func $i "holds") async))
    holds;))
  (instance $worker (instantiate $awaiting (with "call" (func $slow "later"))))
  (instance $top (instantiate $awaiting (with "call" (func $worker "twice"))))
  (export "worker" (instance $worker))
  (export "top" (instance $top)))
