;; enum {x, y, z}: discriminants below 3 cross, 3 and above trap, as a
;; parameter and as a result; an enum of 257 cases would be a u16, this
;; one is a u8 in memory but an i32 when flat (no masking).
;; CALL pass 2 => [2]
;; CALL pass 3 => trap
;; CALL get 1 => [1]
;; CALL get 259 => trap
;; CALL get 0 => [0]
(component
  (component $provider
    (core module $m
      (func (export "id") (param i32) (result i32) (local.get 0)))
    (core instance $i (instantiate $m))
    (type $e' (enum "x" "y" "z"))
    (export $e "e" (type $e'))
    (func (export "take") (param "x" $e) (result u32) (canon lift (core func $i "id")))
    (func (export "give") (param "x" u32) (result $e) (canon lift (core func $i "id"))))
  (component $consumer
    (type $e' (enum "x" "y" "z"))
    (import "e" (type $e (eq $e')))
    (import "take" (func $take (param "x" $e) (result u32)))
    (import "give" (func $give (param "x" u32) (result $e)))
    (core func $take (canon lower (func $take)))
    (core func $give (canon lower (func $give)))
    (core module $m
      (import "p" "take" (func $take (param i32) (result i32)))
      (import "p" "give" (func $give (param i32) (result i32)))
      (func (export "pass") (param i32) (result i32) (call $take (local.get 0)))
      (func (export "get") (param i32) (result i32) (call $give (local.get 0))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "take" (func $take)) (export "give" (func $give))))))
    (func (export "pass") (param "x" u32) (result u32) (canon lift (core func $i "pass")))
    (func (export "get") (param "x" u32) (result u32) (canon lift (core func $i "get"))))
  (instance $p (instantiate $provider))
  (alias export $p "e" (type $e))
  (instance $c (instantiate $consumer (with "e" (type $e))
    (with "take" (func $p "take")) (with "give" (func $p "give"))))
  (export "pass" (func $c "pass"))
  (export "get" (func $c "get")))
