;; flags {a, b, c}: bits beyond the third are ignored when lifting (wasmtime
;; masks them), as a parameter and as a result; all bits set cross.
;; (no trap for flags)
;; CALL pass 7 => [7]
;; CALL pass 255 => [7]
;; CALL get 12 => [4]
;; CALL get 4294967295 => [7]
;; CALL get 0 => [0]
(component
  (component $provider
    (core module $m
      (func (export "id") (param i32) (result i32) (local.get 0)))
    (core instance $i (instantiate $m))
    (type $f' (flags "a" "b" "c"))
    (export $f "f" (type $f'))
    (func (export "take") (param "x" $f) (result u32) (canon lift (core func $i "id")))
    (func (export "give") (param "x" u32) (result $f) (canon lift (core func $i "id"))))
  (component $consumer
    (type $f' (flags "a" "b" "c"))
    (import "f" (type $f (eq $f')))
    (import "take" (func $take (param "x" $f) (result u32)))
    (import "give" (func $give (param "x" u32) (result $f)))
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
  (alias export $p "f" (type $f))
  (instance $c (instantiate $consumer (with "f" (type $f))
    (with "take" (func $p "take")) (with "give" (func $p "give"))))
  (export "pass" (func $c "pass"))
  (export "get" (func $c "get")))
