;; Two components composed without any names: no `$id`s, so no
;; component-name section. meld names the inner components after the
;; interface each exports, or by position when they export nothing.
(component
  (component
    (core module
      (func (export "f") (result i32) i32.const 7))
    (core instance (instantiate 0))
    (type (func (result u32)))
    (alias core export 0 "f" (core func))
    (func (type 0) (canon lift (core func 0)))
    (instance (export "get" (func 0)))
    (export "my:demo/numbers@1.0.0" (instance 0)))
  (component
    (import "my:demo/numbers@1.0.0" (instance (export "get" (func (result u32)))))
    (alias export 0 "get" (func))
    (core func (canon lower (func 0)))
    (core module
      (import "n" "get" (func (result i32)))
      (func (export "twice") (result i32) call 0 call 0 i32.add))
    (core instance (export "get" (func 0)))
    (core instance (instantiate 0 (with "n" (instance 0))))
    (alias core export 1 "twice" (core func))
    (func (result u32) (canon lift (core func 1)))
    (export "twice" (func 1)))
  (instance (instantiate 0))
  (instance (instantiate 0))
  (alias export 0 "my:demo/numbers@1.0.0" (instance))
  (instance (instantiate 1 (with "my:demo/numbers@1.0.0" (instance 2))))
  (alias export 3 "twice" (func))
  (export "twice" (func 0)))
