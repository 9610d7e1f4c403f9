;; An async call into an ancestor: the root lifts `f` (async, with a
;; callback) and its child component, which the root instantiated, calls it
;; through an async lower. wasmtime 48 refuses to enter an instance from
;; one it instantiated (the call traps before `f` starts); `direct` is the
;; root's own export of `f`, which the host may call.
(component
  (type $async-u32 (func async (param "x" u32) (result u32)))
  (core module $m
    (import "cm" "task.return" (func $return (param i32)))
    (func (export "f") (param i32) (result i32)
      (call $return (i32.add (local.get 0) (i32.const 1)))
      (i32.const 0))
    (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
  (core func $return (canon task.return (result u32)))
  (core instance $i (instantiate $m
    (with "cm" (instance (export "task.return" (func $return))))))
  (alias core export $i "exit-cb" (core func $exit-cb))
  (func $f (type $async-u32)
    (canon lift (core func $i "f") async (callback $exit-cb)))

  (component $child
    (type $async-u32 (func async (param "x" u32) (result u32)))
    (import "f" (func $f (type $async-u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $f (canon lower (func $f) async (memory $mem)))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "f" (func $f (param i32 i32) (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (func (export "run") (param i32) (result i32)
        (drop (call $f (local.get 0) (i32.const 16)))
        (call $return (i32.load (i32.const 16)))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "f" (func $f)) (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") (type $async-u32)
      (canon lift (core func $i "run") async (callback $exit-cb))))
  (instance $c (instantiate $child (with "f" (func $f))))
  (export "run" (func $c "run"))
  (export "direct" (func $f)))
