;; tuple<u8, s16, char> flat: each value is normalised on its own
;; (masked, sign-extended, checked) in one call; an invalid char traps
;; the whole call. The provider answers what it received (first*1000000
;; + second*1000 + third).
;; CALL pass 511 65535 65 => [254999065]
;; CALL pass 256 32768 1114111 => [4263313407]
;; CALL pass 1 1 55296 => trap
(component
  (component $provider
    (core module $m
      (func (export "take") (param i32 i32 i32) (result i32) (i32.add (i32.add (i32.mul (local.get 0) (i32.const 1000000)) (i32.mul (local.get 1) (i32.const 1000))) (local.get 2))))
    (core instance $i (instantiate $m))
    (func (export "take") (param "x" (tuple u8 s16 char)) (result u32) (canon lift (core func $i "take"))))
  (component $consumer
    (import "take" (func $take (param "x" (tuple u8 s16 char)) (result u32)))
    (core func $take (canon lower (func $take)))
    (core module $m
      (import "p" "take" (func $take (param i32 i32 i32) (result i32)))
      (func (export "pass") (param i32 i32 i32) (result i32) (call $take (local.get 0) (local.get 1) (local.get 2))))
    (core instance $i (instantiate $m (with "p" (instance (export "take" (func $take))))))
    (func (export "pass") (param "a0" u32) (param "a1" u32) (param "a2" u32) (result u32) (canon lift (core func $i "pass"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "take" (func $p "take"))))
  (export "pass" (func $c "pass"))
  (export "host-take" (func $p "take")))
