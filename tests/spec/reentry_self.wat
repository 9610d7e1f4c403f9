;; A component lowering a function it lifted itself: the call re-enters
;; the instance and traps when made (wasmtime 48), not before; the
;; instance works afterwards.
;; CALL ok => [1]
;; CALL call-self => trap
;; CALL ok => [1]
(component
  (component $c
    (core module $leaf (func (export "seven") (result i32) (i32.const 7)))
    (core instance $l (instantiate $leaf))
    (func $seven (result u32) (canon lift (core func $l "seven")))
    (core func $self (canon lower (func $seven)))
    (core module $m
      (import "i" "self" (func $self (result i32)))
      (func (export "call-self") (result i32) (call $self))
      (func (export "ok") (result i32) (i32.const 1)))
    (core instance $i (instantiate $m (with "i" (instance (export "self" (func $self))))))
    (func (export "call-self") (result u32) (canon lift (core func $i "call-self")))
    (func (export "ok") (result u32) (canon lift (core func $i "ok"))))
  (instance $x (instantiate $c))
  (export "call-self" (func $x "call-self"))
  (export "ok" (func $x "ok")))
