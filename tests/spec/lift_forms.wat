;; One core function lifted twice with different types (u32 and u8), a
;; lifted function exported under two names, and one provider instance
;; given to two consumers that call it in turn (shared state).
;; CALL wide 300 => [301]
;; CALL narrow 300 => [45]
;; CALL alias 1 => [2]
;; CALL c1 1 => [1]
;; CALL c2 1 => [2]
;; CALL c1 5 => [7]
(component
  (component $provider
    (core module $m
      (global $n (mut i32) (i32.const 0))
      (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "count") (param i32) (result i32)
        (global.set $n (i32.add (global.get $n) (local.get 0)))
        (global.get $n)))
    (core instance $i (instantiate $m))
    (func $wide (param "x" u32) (result u32) (canon lift (core func $i "inc")))
    (func $narrow (param "x" u32) (result u8) (canon lift (core func $i "inc")))
    (export "wide" (func $wide))
    (export "narrow" (func $narrow))
    (export "alias" (func $wide))
    (func (export "count") (param "x" u32) (result u32) (canon lift (core func $i "count"))))
  (component $consumer
    (import "count" (func $count (param "x" u32) (result u32)))
    (core func $count (canon lower (func $count)))
    (core module $m
      (import "p" "count" (func $count (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (call $count (local.get 0))))
    (core instance $i (instantiate $m (with "p" (instance (export "count" (func $count))))))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (instance $p (instantiate $provider))
  (instance $c1 (instantiate $consumer (with "count" (func $p "count"))))
  (instance $c2 (instantiate $consumer (with "count" (func $p "count"))))
  (export "wide" (func $p "wide"))
  (export "narrow" (func $p "narrow"))
  (export "alias" (func $p "alias"))
  (export "c1" (func $c1 "f"))
  (export "c2" (func $c2 "f")))
