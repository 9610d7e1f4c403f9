;; The window between the host's call of an async export and the start of
;; its task. `spin(guess)` turns on backpressure and yields (its callback
;; runs again each turn) up to 20 times; meanwhile the host calls
;; `take(things)`, which waits for the backpressure. If the component's
;; realloc was called for `take`'s list before its task starts (the list
;; then lies in its memory), `spin` writes `guess` over the list's first
;; handle; then it turns the backpressure off and returns whether it did.
;; `take` gives the value of its first thing. The other component holds a
;; thing of value 9 (`hold`). wasmtime lowers `take`'s parameters when its
;; task starts, so nothing is there to overwrite: `take` gives the value of
;; the thing the host passed, whatever the guess; fused, the same holds
;; (the parameters wait in meld's memory). `values(things)` gives the
;; things' values and the things back (a result through memory, whose
;; copy the host reads from meld's memory).
(component
  (import "thing" (type $thing (sub resource)))
  (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
  (import "thing-value" (func $thing-value (param "t" (borrow $thing)) (result u32)))
  (component $holder
    (import "thing" (type $thing (sub resource)))
    (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
    (core func $make (canon lower (func $make-thing)))
    (core module $m
      (import "cm" "make" (func $make (param i32) (result i32)))
      (global $held (mut i32) (i32.const 0))
      (func (export "hold") (param $v i32)
        (global.set $held (call $make (local.get $v)))))
    (core instance $i (instantiate $m (with "cm" (instance (export "make" (func $make))))))
    (func (export "hold") (param "v" u32) (canon lift (core func $i "hold"))))
  (component $c
    (import "thing" (type $thing (sub resource)))
    (import "thing-value" (func $thing-value (param "t" (borrow $thing)) (result u32)))
    (core module $memory
      (memory (export "mem") 1)
      ;; where the last block the realloc gave out starts (0: none yet)
      (global $last (export "last") (mut i32) (i32.const 0))
      (global $next (mut i32) (i32.const 8192))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                                (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (global.set $last (local.get $at))
        (local.get $at)))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (alias core export $memory "realloc" (core func $realloc))
    (alias core export $memory "last" (core global $last))
    (core func $value (canon lower (func $thing-value)))
    (core func $bp-inc (canon backpressure.inc))
    (core func $bp-dec (canon backpressure.dec))
    (core func $return (canon task.return (result u32)))
    ;; (`task.return`'s options are those of the function it returns from)
    (core func $return-take (canon task.return (result u32)))
    (core func $return-values (canon task.return
      (result (tuple (list u32) (list (own $thing)))) (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "mem" "last" (global $last (mut i32)))
      (import "cm" "value" (func $value (param i32) (result i32)))
      (import "cm" "bp-inc" (func $bp-inc))
      (import "cm" "bp-dec" (func $bp-dec))
      (import "cm" "return" (func $return (param i32)))
      (import "cm" "return-take" (func $return-take (param i32)))
      (import "cm" "return-values" (func $return-values (param i32 i32 i32 i32)))
      (global $guess (mut i32) (i32.const 0))
      (global $turns (mut i32) (i32.const 0))
      (func (export "spin") (param $guess i32) (result i32)
        (global.set $guess (local.get $guess))
        (global.set $turns (i32.const 0))
        (call $bp-inc)
        (i32.const 1))
      ;; each turn: overwrite the list's first handle once it is there
      (func (export "spin-cb") (param i32 i32 i32) (result i32)
        (global.set $turns (i32.add (global.get $turns) (i32.const 1)))
        (if (i32.or (i32.ne (global.get $last) (i32.const 0))
                    (i32.ge_u (global.get $turns) (i32.const 20)))
          (then
            (if (global.get $last)
              (then (i32.store (global.get $last) (global.get $guess))))
            (call $return (i32.ne (global.get $last) (i32.const 0)))
            (call $bp-dec)
            (return (i32.const 0))))
        (i32.const 1))
      (func (export "take") (param $ptr i32) (param $len i32) (result i32)
        (call $return-take (call $value (i32.load (local.get $ptr))))
        (i32.const 0))
      (func (export "take-cb") (param i32 i32 i32) (result i32) (i32.const 0))
      ;; the things' values at 1024, the things at 2048, returned
      (func (export "values") (param $ptr i32) (param $len i32) (result i32)
        (local $i i32) (local $h i32)
        (block $done
          (loop $each
            (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
            (local.set $h (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 2)))))
            (i32.store (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))
              (call $value (local.get $h)))
            (i32.store (i32.add (i32.const 2048) (i32.shl (local.get $i) (i32.const 2)))
              (local.get $h))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each)))
        (call $return-values (i32.const 1024) (local.get $len) (i32.const 2048) (local.get $len))
        (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem)) (export "last" (global $last))))
      (with "cm" (instance
        (export "value" (func $value)) (export "bp-inc" (func $bp-inc))
        (export "bp-dec" (func $bp-dec)) (export "return" (func $return))
        (export "return-take" (func $return-take))
        (export "return-values" (func $return-values))))))
    (func (export "spin") async (param "guess" u32) (result u32)
      (canon lift (core func $i "spin") async (callback (core func $i "spin-cb"))))
    (func (export "take") async (param "things" (list (own $thing))) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc) async
        (callback (core func $i "take-cb"))))
    (func (export "values") async (param "things" (list (own $thing)))
      (result (tuple (list u32) (list (own $thing))))
      (canon lift (core func $i "values") (memory $mem) (realloc $realloc) async
        (callback (core func $i "take-cb")))))
  (instance $holder (instantiate $holder
    (with "thing" (type $thing))
    (with "make-thing" (func $make-thing))))
  (instance $c (instantiate $c
    (with "thing" (type $thing))
    (with "thing-value" (func $thing-value))))
  (export "hold" (func $holder "hold"))
  (export "spin" (func $c "spin"))
  (export "take" (func $c "take"))
  (export "values" (func $c "values")))
