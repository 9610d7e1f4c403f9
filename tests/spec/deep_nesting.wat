;; Four levels of nested components; each level's instance is created by
;; the level above and its function re-exported upwards through aliases;
;; a sibling at the top calls the deepest one.
;; CALL deep 1 => [1001]
;; CALL call-deep 2 => [1003]
(component
  (component $l1
    (component $l2
      (component $l3
        (component $l4
          (core module $m (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1000))))
          (core instance $i (instantiate $m))
          (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
        (instance $i (instantiate $l4))
        (alias export $i "f" (func $f))
        (export "f" (func $f)))
      (instance $i (instantiate $l3))
      (export "f" (func $i "f")))
    (instance $i (instantiate $l2))
    (export "f" (func $i "f")))
  (component $caller
    (import "f" (func $f (param "x" u32) (result u32)))
    (core func $f (canon lower (func $f)))
    (core module $m
      (import "i" "f" (func $f (param i32) (result i32)))
      (func (export "g") (param i32) (result i32) (call $f (i32.add (local.get 0) (i32.const 1)))))
    (core instance $i (instantiate $m (with "i" (instance (export "f" (func $f))))))
    (func (export "g") (param "x" u32) (result u32) (canon lift (core func $i "g"))))
  (instance $a (instantiate $l1))
  (instance $c (instantiate $caller (with "f" (func $a "f"))))
  (export "deep" (func $a "f"))
  (export "call-deep" (func $c "g")))
