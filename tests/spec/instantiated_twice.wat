;; One component definition instantiated twice: each instance has its own
;; state (a counter) and its own memory; a third component calls both.
;; CALL a 1 => [1]
;; CALL a 1 => [2]
;; CALL b 5 => [5]
;; CALL both 1 => [60003]
;; CALL a 0 => [3]
(component
  (component $counter
    (core module $m
      (memory 1)
      (func (export "add") (param i32) (result i32)
        (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (local.get 0)))
        (i32.load (i32.const 8))))
    (core instance $i (instantiate $m))
    (func (export "add") (param "x" u32) (result u32) (canon lift (core func $i "add"))))
  (component $user
    (import "a" (func $a (param "x" u32) (result u32)))
    (import "b" (func $b (param "x" u32) (result u32)))
    (core func $a (canon lower (func $a)))
    (core func $b (canon lower (func $b)))
    (core module $m
      (import "i" "a" (func $a (param i32) (result i32)))
      (import "i" "b" (func $b (param i32) (result i32)))
      ;; a's new count, b's new count: b*10000 + a
      (func (export "both") (param i32) (result i32)
        (local $x i32)
        (local.set $x (call $a (local.get 0)))
        (i32.add (i32.mul (call $b (local.get 0)) (i32.const 10000)) (local.get $x))))
    (core instance $i (instantiate $m (with "i" (instance (export "a" (func $a)) (export "b" (func $b))))))
    (func (export "both") (param "x" u32) (result u32) (canon lift (core func $i "both"))))
  (instance $a (instantiate $counter))
  (instance $b (instantiate $counter))
  (instance $u (instantiate $user (with "a" (func $a "add")) (with "b" (func $b "add"))))
  (export "a" (func $a "add"))
  (export "b" (func $b "add"))
  (export "both" (func $u "both")))
