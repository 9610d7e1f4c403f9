;; An exported instance holds a fused function and a core module; the
;; instance is rebuilt around the fused module with the module passed
;; along. (wasmtime 48 cannot run a root that exports a component, even
;; inside an instance: tests/tests/passed_along.rs covers those.)
;; CALL api#inc 41 => [42]
;; WORLD structural
(component
  (core module $m
    (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
  (core instance $i (instantiate $m))
  (func $inc (param "x" u32) (result u32) (canon lift (core func $i "inc")))
  (instance $api
    (export "inc" (func $inc))
    (export "code" (core module $m)))
  (export "api" (instance $api)))
