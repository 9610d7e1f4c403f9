;; The simplest crossing: a consumer lowers a provider's lifted `add`.
;; CALL add 1 2 => [3]
;; CALL add 4294967295 1 => [0]
;; CALL twice 21 => [42]
(component
  (component $provider
    (core module $m
      (func (export "add") (param i32 i32) (result i32)
        (i32.add (local.get 0) (local.get 1))))
    (core instance $i (instantiate $m))
    (func (export "add") (param "a" u32) (param "b" u32) (result u32)
      (canon lift (core func $i "add"))))
  (component $consumer
    (import "add" (func $add (param "a" u32) (param "b" u32) (result u32)))
    (core func $add (canon lower (func $add)))
    (core module $m
      (import "p" "add" (func $add (param i32 i32) (result i32)))
      (func (export "add") (param i32 i32) (result i32)
        (call $add (local.get 0) (local.get 1)))
      (func (export "twice") (param i32) (result i32)
        (call $add (local.get 0) (local.get 0))))
    (core instance $i (instantiate $m (with "p" (instance (export "add" (func $add))))))
    (func (export "add") (param "a" u32) (param "b" u32) (result u32)
      (canon lift (core func $i "add")))
    (func (export "twice") (param "a" u32) (result u32)
      (canon lift (core func $i "twice"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "add" (func $p "add"))))
  (export "add" (func $c "add"))
  (export "twice" (func $c "twice")))
