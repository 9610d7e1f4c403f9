;; An instance exported inside an exported instance: the provider exports
;; `outer`, whose export `inner` is an instance with `f`; the root aliases
;; its way down (`alias export` of an instance, then of its function) and
;; passes the function to a consumer.
;; CALL g 5 => [16]
;; CALL direct 5 => [15]
(component
  (component $provider
    (component $leaf
      (core module $m (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 10))))
      (core instance $i (instantiate $m))
      (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
    (component $mid
      (instance $l (instantiate $leaf))
      (export "inner" (instance $l)))
    (alias outer 0 $leaf (component $leaf'))
    (instance $m (instantiate $mid))
    (export "outer" (instance $m)))
  (component $consumer
    (import "f" (func $f (param "x" u32) (result u32)))
    (core func $f (canon lower (func $f)))
    (core module $m
      (import "i" "f" (func $f (param i32) (result i32)))
      (func (export "g") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1))))
    (core instance $i (instantiate $m (with "i" (instance (export "f" (func $f))))))
    (func (export "g") (param "x" u32) (result u32) (canon lift (core func $i "g"))))
  (instance $p (instantiate $provider))
  (alias export $p "outer" (instance $outer))
  (alias export $outer "inner" (instance $inner))
  (alias export $inner "f" (func $f))
  (instance $c (instantiate $consumer (with "f" (func $f))))
  (export "g" (func $c "g"))
  (export "direct" (func $f)))
