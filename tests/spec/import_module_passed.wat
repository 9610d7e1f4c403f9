;; The root imports an instance holding a core module and a function, and
;; a core module directly; it re-exports both modules without
;; instantiating them and calls the function through an inner component.
;; CALL call 1 => trap
;; CALL plain 5 => [5]
;; WORLD structural
(component
  (import "env" (instance $env
    (export "lib" (core module
      (export "f" (func (param i32) (result i32)))
      (export "mem" (memory 1))))
    (export "get" (func (param "x" u32) (result u32)))))
  (import "raw" (core module $raw (export "g" (global i32))))
  (alias export $env "get" (func $get))
  (component $user
    (import "get" (func $g (param "x" u32) (result u32)))
    (core func $gl (canon lower (func $g)))
    (core module $m
      (import "" "get" (func $get (param i32) (result i32)))
      (func (export "call") (param i32) (result i32) (call $get (local.get 0)))
      (func (export "plain") (param i32) (result i32) (local.get 0)))
    (core instance $gi (export "get" (func $gl)))
    (core instance $i (instantiate $m (with "" (instance $gi))))
    (func (export "call") (param "x" u32) (result u32) (canon lift (core func $i "call")))
    (func (export "plain") (param "x" u32) (result u32) (canon lift (core func $i "plain"))))
  (instance $u (instantiate $user (with "get" (func $get))))
  (alias export $env "lib" (core module $lib))
  (export "lib" (core module $lib))
  (export "raw" (core module $raw))
  (export "call" (func $u "call"))
  (export "plain" (func $u "plain")))
