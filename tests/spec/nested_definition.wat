;; Components defined inside another and instantiated there: two nested
;; siblings, one calling the other; the outer one re-exports both.
;; CALL f 1 => [12]
;; CALL inner 5 => [15]
(component
  (component $outer
    (component $inner
      (core module $m (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 10))))
      (core instance $i (instantiate $m))
      (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
    (component $user
      (import "f" (func $f (param "x" u32) (result u32)))
      (core func $f (canon lower (func $f)))
      (core module $m
        (import "i" "f" (func $f (param i32) (result i32)))
        (func (export "f") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))
      (core instance $i (instantiate $m (with "i" (instance (export "f" (func $f))))))
      (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
    (instance $in (instantiate $inner))
    (instance $u (instantiate $user (with "f" (func $in "f"))))
    (export "f" (func $u "f"))
    (export "inner" (func $in "f")))
  (instance $o (instantiate $outer))
  (export "f" (func $o "f"))
  (export "inner" (func $o "inner")))
