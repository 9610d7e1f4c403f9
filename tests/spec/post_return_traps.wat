;; A post-return function that traps: the caller has its result, but the
;; call traps when post-return runs (wasmtime runs it before returning to
;; the caller's core code), from a component and from the host.
;; CALL get 4 => trap
;; CALL host-get 4 => trap
;; CALL fine 4 => [5]
(component
  (component $provider
    (core module $m
      (func (export "get") (param i32) (result i32) (local.get 0))
      (func (export "post") (param i32) unreachable)
      (func (export "fine") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
    (core instance $i (instantiate $m))
    (func (export "get") (param "x" u32) (result u32)
      (canon lift (core func $i "get") (post-return (core func $i "post"))))
    (func (export "fine") (param "x" u32) (result u32) (canon lift (core func $i "fine"))))
  (component $consumer
    (import "get" (func $get (param "x" u32) (result u32)))
    (import "fine" (func $fine (param "x" u32) (result u32)))
    (core func $get (canon lower (func $get)))
    (core func $fine (canon lower (func $fine)))
    (core module $m
      (import "p" "get" (func $get (param i32) (result i32)))
      (import "p" "fine" (func $fine (param i32) (result i32)))
      (func (export "get") (param i32) (result i32) (call $get (local.get 0)))
      (func (export "fine") (param i32) (result i32) (call $fine (local.get 0))))
    (core instance $i (instantiate $m (with "p" (instance (export "get" (func $get)) (export "fine" (func $fine))))))
    (func (export "get") (param "x" u32) (result u32) (canon lift (core func $i "get")))
    (func (export "fine") (param "x" u32) (result u32) (canon lift (core func $i "fine"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "get" (func $p "get")) (with "fine" (func $p "fine"))))
  (export "get" (func $c "get"))
  (export "fine" (func $c "fine"))
  (export "host-get" (func $p "get")))
