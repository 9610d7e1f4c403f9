;; The root exports a resource type it imports beside a fused function.
;; (wasmtime 48 lists an exported function type as a function, which the
;; harness would call: tests/tests/passed_along.rs covers that one.)
;; CALL id 3 => [3]
;; WORLD structural
(component
  (import "r" (type $r (sub resource)))
  (export $r2 "r2" (type $r))
  (core module $m (func (export "id") (param i32) (result i32) (local.get 0)))
  (core instance $i (instantiate $m))
  (func $id (param "x" u32) (result u32) (canon lift (core func $i "id")))
  (export "id" (func $id)))
