;; A nested component imports a component definition (not an instance)
;; and instantiates it twice; the root supplies the definition.
;; CALL f 1 => [1]
;; CALL f 1 => [2]
;; CALL g 10 => [10]
(component
  (component $counter
    (core module $m
      (global $n (mut i32) (i32.const 0))
      (func (export "add") (param i32) (result i32)
        (global.set $n (i32.add (global.get $n) (local.get 0)))
        (global.get $n)))
    (core instance $i (instantiate $m))
    (func (export "add") (param "x" u32) (result u32) (canon lift (core func $i "add"))))
  (component $host
    (import "counter" (component $c
      (export "add" (func (param "x" u32) (result u32)))))
    (instance $a (instantiate $c))
    (instance $b (instantiate $c))
    (export "f" (func $a "add"))
    (export "g" (func $b "add")))
  (instance $h (instantiate $host (with "counter" (component $counter))))
  (export "f" (func $h "f"))
  (export "g" (func $h "g")))
