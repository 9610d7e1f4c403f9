;; A component exports an instance (`meld:spec/math`); another imports it
;; as an instance and calls both of its functions; the root re-exports the
;; provider's instance as it is, and the consumer's function.
;; CALL meld:spec/math#add 2 3 => [5]
;; CALL meld:spec/math#mul 2 3 => [6]
;; CALL fma 2 3 4 => [10]
(component
  (component $provider
    (core module $m
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "mul") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1))))
    (core instance $i (instantiate $m))
    (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
    (func $mul (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "mul")))
    (instance $math (export "add" (func $add)) (export "mul" (func $mul)))
    (export "meld:spec/math" (instance $math)))
  (component $consumer
    (import "meld:spec/math" (instance $math
      (export "add" (func (param "a" u32) (param "b" u32) (result u32)))
      (export "mul" (func (param "a" u32) (param "b" u32) (result u32)))))
    (core func $add (canon lower (func $math "add")))
    (core func $mul (canon lower (func $math "mul")))
    (core module $m
      (import "m" "add" (func $add (param i32 i32) (result i32)))
      (import "m" "mul" (func $mul (param i32 i32) (result i32)))
      (func (export "fma") (param i32 i32 i32) (result i32)
        (call $add (call $mul (local.get 0) (local.get 1)) (local.get 2))))
    (core instance $i (instantiate $m (with "m" (instance (export "add" (func $add)) (export "mul" (func $mul))))))
    (func (export "fma") (param "a" u32) (param "b" u32) (param "c" u32) (result u32)
      (canon lift (core func $i "fma"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "meld:spec/math" (instance $p "meld:spec/math"))))
  (export "meld:spec/math" (instance $p "meld:spec/math"))
  (export "fma" (func $c "fma")))
