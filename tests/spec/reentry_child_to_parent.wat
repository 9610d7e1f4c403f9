;; A parent gives its child a function it lifted itself; the child
;; calling it re-enters the parent (which instantiated the child) and
;; traps; the child's other function works.
;; CALL three => [3]
;; CALL call-up => trap
;; CALL three => [3]
(component
  (component $parent
    (core module $leaf (func (export "seven") (result i32) (i32.const 7)))
    (core instance $l (instantiate $leaf))
    (func $seven (result u32) (canon lift (core func $l "seven")))
    (component $child
      (import "up" (func $up (result u32)))
      (core func $up (canon lower (func $up)))
      (core module $c
        (import "i" "up" (func $up (result i32)))
        (func (export "call-up") (result i32) (call $up))
        (func (export "three") (result i32) (i32.const 3)))
      (core instance $ci (instantiate $c (with "i" (instance (export "up" (func $up))))))
      (func (export "call-up") (result u32) (canon lift (core func $ci "call-up")))
      (func (export "three") (result u32) (canon lift (core func $ci "three"))))
    (instance $ch (instantiate $child (with "up" (func $seven))))
    (export "call-up" (func $ch "call-up"))
    (export "three" (func $ch "three")))
  (instance $top (instantiate $parent))
  (export "call-up" (func $top "call-up"))
  (export "three" (func $top "three")))
