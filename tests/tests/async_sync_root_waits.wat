;; A sync root export called while its instance is locked: `hold(polls)`
;; (an async func lifted without `async`) calls the host's `later(polls,
;; 7)` with an async lower and waits for it in `waitable-set.wait`, its
;; instance locked meanwhile (it is lifted sync); `quick()` (a sync func, lifted sync) is a call of
;; the host's made at the same time. wasmtime does not start `quick`
;; until `hold` has returned (the instance is locked), so `hold` counts
;; first: it returns 100 * its count + what `later` gave (1,007) = 1,107,
;; `quick` its count 11. A sync-typed task cannot wait, so fused, meld's
;; runtime holds the host's calls back (the fused component's
;; backpressure) while an instance that a sync root export enters is
;; locked, instead of starting `quick` and having nothing it could do but
;; trap.
(component
  (import "meld:test/slow" (instance $slow
    (export "later" (func async (param "polls" u32) (param "v" u32) (result u32)))))
  (alias export $slow "later" (func $later))
  (component $a
    (import "later" (func $later async (param "polls" u32) (param "v" u32) (result u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $later (canon lower (func $later) async (memory $mem)))
    (core func $set-new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $drop-subtask (canon subtask.drop))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "later" (func $later (param i32 i32 i32) (result i32)))
      (import "cm" "set-new" (func $set-new (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (global $n (mut i32) (i32.const 0))
      (func (export "hold") (param $polls i32) (result i32)
        (local $status i32) (local $set i32)
        (local.set $status (call $later (local.get $polls) (i32.const 7) (i32.const 64)))
        (if (i32.ne (local.get $status) (i32.const 2))
          (then
            (local.set $set (call $set-new))
            (call $join (i32.shr_u (local.get $status) (i32.const 4)) (local.get $set))
            (block $returned
              (loop $until
                (drop (call $wait (local.get $set) (i32.const 32)))
                (br_if $returned (i32.eq (i32.load (i32.const 36)) (i32.const 2)))
                (br $until)))
            (call $drop-subtask (i32.shr_u (local.get $status) (i32.const 4)))))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (i32.add (i32.mul (global.get $n) (i32.const 100)) (i32.load (i32.const 64))))
      (func (export "quick") (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 10)))
        (global.get $n)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "later" (func $later)) (export "set-new" (func $set-new))
        (export "join" (func $join)) (export "wait" (func $wait))
        (export "drop-subtask" (func $drop-subtask))))))
    (func (export "hold") async (param "polls" u32) (result u32)
      (canon lift (core func $i "hold")))
    (func (export "quick") (result u32) (canon lift (core func $i "quick"))))
  (instance $a (instantiate $a (with "later" (func $later))))
  (export "hold" (func $a "hold"))
  (export "quick" (func $a "quick")))
