;; An instance built at the root from loose functions of two instances
;; (`(instance (export ...))`), passed as an instance import and exported.
;; CALL meld:spec/pair#first 4 => [5]
;; CALL meld:spec/pair#second 4 => [8]
;; CALL sum 4 => [13]
(component
  (component $inc
    (core module $m (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (component $dbl
    (core module $m (func (export "f") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1))))
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (component $user
    (import "meld:spec/pair" (instance $pair
      (export "first" (func (param "x" u32) (result u32)))
      (export "second" (func (param "x" u32) (result u32)))))
    (core func $first (canon lower (func $pair "first")))
    (core func $second (canon lower (func $pair "second")))
    (core module $m
      (import "p" "first" (func $first (param i32) (result i32)))
      (import "p" "second" (func $second (param i32) (result i32)))
      (func (export "sum") (param i32) (result i32)
        (i32.add (call $first (local.get 0)) (call $second (local.get 0)))))
    (core instance $i (instantiate $m (with "p" (instance (export "first" (func $first)) (export "second" (func $second))))))
    (func (export "sum") (param "x" u32) (result u32) (canon lift (core func $i "sum"))))
  (instance $inc (instantiate $inc))
  (instance $dbl (instantiate $dbl))
  (instance $pair (export "first" (func $inc "f")) (export "second" (func $dbl "f")))
  (instance $u (instantiate $user (with "meld:spec/pair" (instance $pair))))
  (export "meld:spec/pair" (instance $pair))
  (export "sum" (func $u "sum")))
