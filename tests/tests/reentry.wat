;; Calls that re-enter a component through an adapter: wasmtime 48 traps
;; on every call whose caller and callee are one component instance, or
;; where one instantiated the other (directly or through others), and
;; only when the call is made. `$parent` lowers its own lifted function,
;; a function of its grandchild, and gives its child a function it lifted
;; itself; each export tries one such call, and `ok` shows the instance
;; still works when nothing re-enters.
(component
  (component $parent
    (core module $leaf
      (func (export "seven") (result i32) (i32.const 7)))
    (core instance $l (instantiate $leaf))
    (func $seven (result u32) (canon lift (core func $l "seven")))

    (component $child
      (import "up" (func $up (result u32)))
      (component $grandchild
        (core module $g (func (export "nine") (result i32) (i32.const 9)))
        (core instance $gi (instantiate $g))
        (func (export "nine") (result u32) (canon lift (core func $gi "nine"))))
      (instance $gc (instantiate $grandchild))
      (core func $up (canon lower (func $up)))
      (core module $c
        (import "i" "up" (func $up (result i32)))
        (func (export "call-up") (result i32) (call $up))
        (func (export "three") (result i32) (i32.const 3)))
      (core instance $ci (instantiate $c (with "i" (instance (export "up" (func $up))))))
      (func (export "call-up") (result u32) (canon lift (core func $ci "call-up")))
      (func (export "three") (result u32) (canon lift (core func $ci "three")))
      (export "nine" (func $gc "nine")))

    (instance $ch (instantiate $child (with "up" (func $seven))))
    (alias export $ch "nine" (func $nine))
    (core func $self (canon lower (func $seven)))
    (core func $down (canon lower (func $nine)))
    (core module $p
      (import "i" "self" (func $self (result i32)))
      (import "i" "down" (func $down (result i32)))
      (func (export "call-self") (result i32) (call $self))
      (func (export "call-down") (result i32) (call $down))
      (func (export "ok") (result i32) (i32.const 1)))
    (core instance $pi (instantiate $p
      (with "i" (instance (export "self" (func $self)) (export "down" (func $down))))))
    (func (export "call-self") (result u32) (canon lift (core func $pi "call-self")))
    (func (export "call-down") (result u32) (canon lift (core func $pi "call-down")))
    (func (export "ok") (result u32) (canon lift (core func $pi "ok")))
    (export "call-up" (func $ch "call-up"))
    (export "three" (func $ch "three")))
  (instance $top (instantiate $parent))
  (export "reentry" (instance $top)))
