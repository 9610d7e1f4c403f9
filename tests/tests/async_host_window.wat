;; The window between the host finishing an async call and the caller
;; taking its event. `run(mode, guess)` calls `make(1, 7)` (an own thing,
;; later), then a sync `pause(2)`, during which the host finishes `make`;
;; it logs the result slot, then (mode 1) writes `guess` into it, takes
;; the event and logs the value of the thing the slot names. The other
;; component holds a thing of value 9 (`hold`). Fused, whatever the caller
;; writes there, the slot gets the thing `make` made when the event is
;; taken: no guess can name the holder's thing, which the caller could not
;; reach in the original either.
(component
  (import "meld:test/host" (instance $host
    (export "thing" (type (sub resource)))
    (export "[constructor]thing" (func (param "v" u32) (result (own 0))))
    (export "[method]thing.value" (func (param "self" (borrow 0)) (result u32)))))
  (alias export $host "thing" (type $thing))
  (alias export $host "[constructor]thing" (func $ctor))
  (alias export $host "[method]thing.value" (func $value))
  (import "meld:test/slow" (instance $slow
    (alias outer 1 $thing (type $t))
    (export "make" (func async (param "ticks" u32) (param "v" u32) (result (own $t))))
    (export "pause" (func async (param "ticks" u32)))))
  (alias export $slow "make" (func $make))
  (alias export $slow "pause" (func $pause))
  (component $holder
    (import "thing" (type $thing (sub resource)))
    (import "ctor" (func $ctor (param "v" u32) (result (own $thing))))
    (core func $ctor (canon lower (func $ctor)))
    (core module $m
      (import "cm" "ctor" (func $ctor (param i32) (result i32)))
      (global $held (mut i32) (i32.const 0))
      (func (export "hold") (param $v i32)
        (global.set $held (call $ctor (local.get $v)))))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "ctor" (func $ctor))))))
    (func (export "hold") (param "v" u32) (canon lift (core func $i "hold"))))
  (component $caller
    (import "thing" (type $thing (sub resource)))
    (import "value" (func $value (param "self" (borrow $thing)) (result u32)))
    (import "make" (func $make async (param "ticks" u32) (param "v" u32) (result (own $thing))))
    (import "pause" (func $pause async (param "ticks" u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $value (canon lower (func $value)))
    (core func $make (canon lower (func $make) async (memory $mem)))
    (core func $pause (canon lower (func $pause)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $return (canon task.return (result (list u32)) (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "value" (func $value (param i32) (result i32)))
      (import "cm" "make" (func $make (param i32 i32 i32) (result i32)))
      (import "cm" "pause" (func $pause (param i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "return" (func $return (param i32 i32)))
      (global $count (mut i32) (i32.const 0))
      (func $out (param i32)
        (i32.store (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 2)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "run") (param $mode i32) (param $guess i32) (result i32)
        (local $code i32) (local $set i32)
        (global.set $count (i32.const 0))
        (local.set $set (call $new))
        (i32.store (i32.const 64) (i32.const 0))
        (local.set $code (call $make (i32.const 1) (i32.const 7) (i32.const 64)))
        (call $out (i32.and (local.get $code) (i32.const 15)))
        (call $pause (i32.const 2))
        (call $out (i32.load (i32.const 64)))
        (if (i32.eq (local.get $mode) (i32.const 1))
          (then (i32.store (i32.const 64) (local.get $guess))))
        (call $join (i32.shr_u (local.get $code) (i32.const 4)) (local.get $set))
        (call $out (call $wait (local.get $set) (i32.const 32)))
        (call $out (i32.load (i32.const 36)))
        (call $out (call $value (i32.load (i32.const 64))))
        (call $return (i32.const 4096) (global.get $count))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "value" (func $value)) (export "make" (func $make)) (export "pause" (func $pause))
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") async (param "mode" u32) (param "guess" u32) (result (list u32))
      (canon lift (core func $i "run") (memory $mem) async (callback $exit-cb))))
  (instance $holder (instantiate $holder
    (with "thing" (type $thing))
    (with "ctor" (func $ctor))))
  (instance $caller (instantiate $caller
    (with "thing" (type $thing))
    (with "value" (func $value))
    (with "make" (func $make))
    (with "pause" (func $pause))))
  (export "hold" (func $holder "hold"))
  (export "run" (func $caller "run")))
