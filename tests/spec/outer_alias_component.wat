;; Component and core module definitions at the root, instantiated inside
;; a nested component through outer aliases (`alias outer`): the nested
;; component instantiates the root's leaf component, and a core module of
;; the root.
;; CALL f 2 => [6]
;; CALL g 2 => [7]
(component
  (core module $triple (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))
  (component $leaf
    (core module $m (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 5))))
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (component $outer
    (alias outer 1 $triple (core module $triple))
    (alias outer 1 $leaf (component $leaf))
    (core instance $t (instantiate $triple))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $t "f")))
    (instance $l (instantiate $leaf))
    (export "g" (func $l "f")))
  (instance $o (instantiate $outer))
  (export "f" (func $o "f"))
  (export "g" (func $o "g")))
