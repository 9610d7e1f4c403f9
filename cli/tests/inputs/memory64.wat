;; A component whose module has a 64-bit memory: fine with one memory per
;; component, refused by `--memory shared`.
(component
  (core module
    (memory (export "mem") i64 1)
    (func (export "f") (result i32) i32.const 1))
  (core instance (instantiate 0))
  (alias core export 0 "f" (core func))
  (func (result u32) (canon lift (core func 0)))
  (export "f" (func 0)))
