;; result (no ok or error type) is one i32: 0 and 1 cross, 2 and above
;; trap. The provider answers what it received (first*1000000 +
;; second*1000 + third).
;; CALL pass 0 => [0]
;; CALL pass 1 => [1]
;; CALL pass 2 => trap
;; CALL pass 4294967295 => trap
(component
  (component $provider
    (core module $m
      (func (export "take") (param i32) (result i32) (local.get 0)))
    (core instance $i (instantiate $m))
    (func (export "take") (param "x" (result)) (result u32) (canon lift (core func $i "take"))))
  (component $consumer
    (import "take" (func $take (param "x" (result)) (result u32)))
    (core func $take (canon lower (func $take)))
    (core module $m
      (import "p" "take" (func $take (param i32) (result i32)))
      (func (export "pass") (param i32) (result i32) (call $take (local.get 0))))
    (core instance $i (instantiate $m (with "p" (instance (export "take" (func $take))))))
    (func (export "pass") (param "a0" u32) (result u32) (canon lift (core func $i "pass"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "take" (func $p "take"))))
  (export "pass" (func $c "pass"))
  (export "host-take" (func $p "take")))
