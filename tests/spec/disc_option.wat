;; option<u32>: discriminants 0 and 1 cross (a none payload is not
;; read), 2 and above trap, as a parameter and as a result.
;; CALL pass 0 7 => [0]
;; CALL pass 1 7 => [1007]
;; CALL pass 2 7 => trap
;; CALL get 1 9 => [1009]
;; CALL get 0 9 => [9]
;; CALL get 2 9 => trap
;; CALL get 256 9 => [0]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      ;; a value as the provider's core code received it: disc*1000+payload
      (func (export "take") (param i32 i32) (result i32)
        (i32.add (i32.mul (local.get 0) (i32.const 1000)) (local.get 1)))
      ;; a result stored as given: discriminant at 16, payload at 20
      (func (export "give") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0))
        (i32.store (i32.const 20) (local.get 1))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $pmem))

    (func (export "take") (param "x" (option u32)) (result u32) (canon lift (core func $i "take")))
    (func (export "give") (param "d" u32) (param "v" u32) (result (option u32))
      (canon lift (core func $i "give") (memory $pmem))))
  (component $consumer

    (import "take" (func $take (param "x" (option u32)) (result u32)))
    (import "give" (func $give (param "d" u32) (param "v" u32) (result (option u32))))
    (core module $mem (memory (export "mem") 1))
    (core instance $mem (instantiate $mem))
    (alias core export $mem "mem" (core memory $cmem))
    (core func $take (canon lower (func $take)))
    (core func $give (canon lower (func $give) (memory $cmem)))
    (core module $m
      (import "p" "mem" (memory 1))
      (import "p" "take" (func $take (param i32 i32) (result i32)))
      (import "p" "give" (func $give (param i32 i32 i32)))
      ;; hands the raw pair (d, v) to the provider
      (func (export "pass") (param i32 i32) (result i32)
        (call $take (local.get 0) (local.get 1)))
      ;; what the consumer's core code receives: disc*1000+payload
      (func (export "get") (param i32 i32) (result i32)
        (call $give (local.get 0) (local.get 1) (i32.const 64))
        (i32.add (i32.mul (i32.load8_u (i32.const 64)) (i32.const 1000))
                 (i32.load (i32.const 68)))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "mem" (memory $cmem))
        (export "take" (func $take)) (export "give" (func $give))))))
    (func (export "pass") (param "d" u32) (param "v" u32) (result u32)
      (canon lift (core func $i "pass")))
    (func (export "get") (param "d" u32) (param "v" u32) (result u32)
      (canon lift (core func $i "get"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "take" (func $p "take")) (with "give" (func $p "give"))))
  (export "pass" (func $c "pass"))
  (export "get" (func $c "get")))
