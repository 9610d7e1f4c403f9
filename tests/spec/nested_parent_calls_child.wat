;; A component defined inside another and instantiated there: the outer
;; one lowering the inner one's function and calling it re-enters (one
;; instantiated the other) and traps when called, as in wasmtime 48; the
;; inner function re-exported works.
;; CALL f 1 => trap
;; CALL inner 5 => [15]
(component
  (component $outer
    (component $inner
      (core module $m (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 10))))
      (core instance $i (instantiate $m))
      (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
    (instance $in (instantiate $inner))
    (core func $f (canon lower (func $in "f")))
    (core module $m
      (import "i" "f" (func $f (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))
    (core instance $i (instantiate $m (with "i" (instance (export "f" (func $f))))))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f")))
    (export "inner" (func $in "f")))
  (instance $o (instantiate $outer))
  (export "f" (func $o "f"))
  (export "inner" (func $o "inner")))
