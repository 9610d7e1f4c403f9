;; A record type defined at the root and used by nested components
;; through outer aliases; the record crosses flattened (two fields).
;; CALL swap 1 2 => [1002]
(component
  (type $pt (record (field "x" u32) (field "y" u32)))
  (component $provider
    (alias outer 1 $pt (type $pt'))
    (export $p "point" (type $pt'))
    (core module $m
      (func (export "norm") (param i32 i32) (result i32)
        (i32.add (i32.mul (local.get 1) (i32.const 1000)) (local.get 0))))
    (core instance $i (instantiate $m))
    (func (export "norm") (param "p" $p) (result u32) (canon lift (core func $i "norm"))))
  (component $consumer
    (alias outer 1 $pt (type $pt'))
    (import "point" (type $p (eq $pt')))
    (import "norm" (func $norm (param "p" $p) (result u32)))
    (core func $norm (canon lower (func $norm)))
    (core module $m
      (import "i" "norm" (func $norm (param i32 i32) (result i32)))
      (func (export "swap") (param i32 i32) (result i32) (call $norm (local.get 1) (local.get 0))))
    (core instance $i (instantiate $m (with "i" (instance (export "norm" (func $norm))))))
    (func (export "swap") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "swap"))))
  (instance $p (instantiate $provider))
  (alias export $p "point" (type $point))
  (instance $c (instantiate $consumer (with "point" (type $point)) (with "norm" (func $p "norm"))))
  (export "swap" (func $c "swap")))
