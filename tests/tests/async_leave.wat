;; A realloc may not leave its component. While `$b`'s call passes a
;; string into `$a`, `$a`'s realloc runs with `$a` unable to leave: a
;; built-in it calls traps in wasmtime 48 ("cannot leave component
;; instance"), except `context.get`/`.set` and `backpressure.inc`/`.dec`,
;; which do not check. `set-mode` picks what the realloc calls: 0 nothing,
;; 1 `waitable-set.new`, 2 `context.get`, 3 `backpressure.inc` then
;; `.dec`, 4 `waitable-set.wait` (which could suspend: it must trap first),
;; 5 `resource.new`, 6 `resource.drop` (of a handle `set-mode` made).
(component
  (component $callee
    (core module $m
      (import "cm" "waitable-set.new" (func $set_new (result i32)))
      (import "cm" "waitable-set.wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "context.get" (func $context_get (result i32)))
      (import "cm" "backpressure.inc" (func $bp_inc))
      (import "cm" "backpressure.dec" (func $bp_dec))
      (import "cm" "resource.new" (func $rnew (param i32) (result i32)))
      (import "cm" "resource.drop" (func $rdrop (param i32)))
      (global $handle (mut i32) (i32.const 0))
      (memory (export "mem") 1)
      (global $mode (mut i32) (i32.const 0))
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (if (i32.eq (global.get $mode) (i32.const 1))
          (then (drop (call $set_new))))
        (if (i32.eq (global.get $mode) (i32.const 2))
          (then (drop (call $context_get))))
        (if (i32.eq (global.get $mode) (i32.const 3))
          (then (call $bp_inc) (call $bp_dec)))
        (if (i32.eq (global.get $mode) (i32.const 4))
          (then (drop (call $wait (i32.const 1) (i32.const 0)))))
        (if (i32.eq (global.get $mode) (i32.const 5))
          (then (drop (call $rnew (i32.const 7)))))
        (if (i32.eq (global.get $mode) (i32.const 6))
          (then (call $rdrop (global.get $handle))))
        (local.set $at (global.get $bump))
        (global.set $bump (i32.add (global.get $bump) (local.get 3)))
        (local.get $at))
      (func (export "set-mode") (param i32)
        (if (i32.eq (local.get 0) (i32.const 6))
          (then (global.set $handle (call $rnew (i32.const 7)))))
        (global.set $mode (local.get 0)))
      ;; the string's length and its first byte
      (func (export "take") (param i32 i32) (result i32)
        (i32.add (i32.shl (local.get 1) (i32.const 8)) (i32.load8_u (local.get 0)))))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (alias core export $mem "mem" (core memory $wait_mem))
    (core func $set_new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $wait_mem)))
    (core func $context_get (canon context.get i32 0))
    (core func $bp_inc (canon backpressure.inc))
    (core func $bp_dec (canon backpressure.dec))
    (type $r (resource (rep i32)))
    (core func $rnew (canon resource.new $r))
    (core func $rdrop (canon resource.drop $r))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "waitable-set.new" (func $set_new))
        (export "waitable-set.wait" (func $wait))
        (export "context.get" (func $context_get))
        (export "backpressure.inc" (func $bp_inc))
        (export "backpressure.dec" (func $bp_dec))
        (export "resource.new" (func $rnew))
        (export "resource.drop" (func $rdrop))))))
    (alias core export $i "mem" (core memory $m))
    (alias core export $i "realloc" (core func $realloc))
    (func (export "set-mode") (param "m" u32)
      (canon lift (core func $i "set-mode")))
    (func (export "take") (param "s" string) (result u32)
      (canon lift (core func $i "take") (memory $m) (realloc $realloc))))

  (component $caller
    (import "take" (func $take (param "s" string) (result u32)))
    (core module $mem
      (memory (export "mem") 1)
      (data (i32.const 64) "hello"))
    (core instance $mem (instantiate $mem))
    (alias core export $mem "mem" (core memory $m))
    (core func $take (canon lower (func $take) (memory $m)))
    (core module $run
      (import "cm" "take" (func $take (param i32 i32) (result i32)))
      (func (export "run") (result i32)
        (call $take (i32.const 64) (i32.const 5))))
    (core instance $r (instantiate $run
      (with "cm" (instance (export "take" (func $take))))))
    (func (export "run") (result u32)
      (canon lift (core func $r "run"))))

  (instance $a (instantiate $callee))
  (instance $b (instantiate $caller (with "take" (func $a "take"))))
  (export "set-mode" (func $a "set-mode"))
  (export "run" (func $b "run")))
