;; The window between a sync export's return and the host's reading of
;; its result, with meld's async runtime. `spin(guess)` yields (its
;; callback runs again each turn) up to 20 times; meanwhile the host
;; calls the sync export `give`, which makes a thing of value 7 and
;; returns it in a list. Once `give` has returned, `spin` writes `guess`
;; over the list's handle and returns whether it did. The other component
;; holds a thing of value 9 (`hold`). wasmtime reads `give`'s result as
;; soon as its core function returns, so the host gets thing 7 whatever
;; the guess; fused, the same must hold (the host reads the result from
;; meld's memory, not from the component's, where another of its tasks
;; could change the numbers first).
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
    (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $make (canon lower (func $make-thing)))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "make" (func $make (param i32) (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (global $guess (mut i32) (i32.const 0))
      (global $turns (mut i32) (i32.const 0))
      ;; 1 once `give` returned
      (global $given (mut i32) (i32.const 0))
      (func (export "spin") (param $guess i32) (result i32)
        (global.set $guess (local.get $guess))
        (global.set $turns (i32.const 0))
        (i32.const 1))
      ;; each turn: overwrite the list's handle once `give` returned
      (func (export "spin-cb") (param i32 i32 i32) (result i32)
        (global.set $turns (i32.add (global.get $turns) (i32.const 1)))
        (if (i32.or (global.get $given) (i32.ge_u (global.get $turns) (i32.const 20)))
          (then
            (if (global.get $given)
              (then (i32.store (i32.load (i32.const 64)) (global.get $guess))))
            (call $return (global.get $given))
            (return (i32.const 0))))
        (i32.const 1))
      (func (export "give") (result i32)
        (i32.store (i32.const 200) (call $make (i32.const 7)))
        (i32.store (i32.const 64) (i32.const 200))
        (i32.store (i32.const 68) (i32.const 1))
        (global.set $given (i32.const 1))
        (i32.const 64)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "make" (func $make)) (export "return" (func $return))))))
    (func (export "spin") async (param "guess" u32) (result u32)
      (canon lift (core func $i "spin") async (callback (core func $i "spin-cb"))))
    (func (export "give") (result (list (own $thing)))
      (canon lift (core func $i "give") (memory $mem))))
  (instance $holder (instantiate $holder
    (with "thing" (type $thing))
    (with "make-thing" (func $make-thing))))
  (instance $c (instantiate $c
    (with "thing" (type $thing))
    (with "make-thing" (func $make-thing))))
  (export "hold" (func $holder "hold"))
  (export "spin" (func $c "spin"))
  (export "give" (func $c "give")))
