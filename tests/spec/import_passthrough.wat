;; A component imports a function and passes it to a child it defines
;; and instantiates; the child calls it (the child did not instantiate
;; the provider, so nothing re-enters).
;; CALL f 3 => [9]
(component
  (component $sq
    (core module $m (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (component $wrapper
    (import "sq" (func $sq (param "x" u32) (result u32)))
    (component $child
      (import "sq" (func $sq (param "x" u32) (result u32)))
      (core func $sq (canon lower (func $sq)))
      (core module $m
        (import "i" "sq" (func $sq (param i32) (result i32)))
        (func (export "f") (param i32) (result i32) (call $sq (local.get 0))))
      (core instance $i (instantiate $m (with "i" (instance (export "sq" (func $sq))))))
      (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
    (instance $c (instantiate $child (with "sq" (func $sq))))
    (export "f" (func $c "f")))
  (instance $s (instantiate $sq))
  (instance $w (instantiate $wrapper (with "sq" (func $s "f"))))
  (export "f" (func $w "f")))
