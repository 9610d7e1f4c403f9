;; bool: any non-zero i32 is true, lifted as 1, both ways.
;; CALL out 2 => [1]
;; CALL out 0 => [0]
;; CALL in 256 => [1]
;; CALL in 0 => [0]
;; CALL host-out 4294967295 => [true]
;; CALL host-in true => [1]
(component
  (component $provider
    (core module $m
      (func (export "id") (param i32) (result i32) (local.get 0)))
    (core instance $i (instantiate $m))
    (func (export "out") (param "x" u32) (result bool) (canon lift (core func $i "id")))
    (func (export "in") (param "x" bool) (result u32) (canon lift (core func $i "id"))))
  (component $consumer
    (import "out" (func $out (param "x" u32) (result bool)))
    (import "in" (func $in (param "x" bool) (result u32)))
    (core func $out (canon lower (func $out)))
    (core func $in (canon lower (func $in)))
    (core module $m
      (import "p" "out" (func $out (param i32) (result i32)))
      (import "p" "in" (func $in (param i32) (result i32)))
      ;; what the consumer's core code sees of the provider's raw value
      (func (export "out") (param i32) (result i32) (call $out (local.get 0)))
      ;; what the provider's core code sees of the consumer's raw value
      (func (export "in") (param i32) (result i32) (call $in (local.get 0))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "out" (func $out)) (export "in" (func $in))))))
    (func (export "out") (param "x" u32) (result u32) (canon lift (core func $i "out")))
    (func (export "in") (param "x" u32) (result u32) (canon lift (core func $i "in"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "out" (func $p "out")) (with "in" (func $p "in"))))
  (export "out" (func $c "out"))
  (export "in" (func $c "in"))
  (export "host-out" (func $p "out"))
  (export "host-in" (func $p "in")))
