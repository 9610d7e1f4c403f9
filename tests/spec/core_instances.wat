;; Core instance forms inside one component: a module instantiated twice
;; (separate globals), a core instance built from exports, a memory one
;; instance exports and another imports.
;; CALL a 1 => [1]
;; CALL a 1 => [2]
;; CALL b 1 => [1]
;; CALL poke 7 => [7]
(component
  (core module $counter
    (global $n (mut i32) (i32.const 0))
    (func (export "add") (param i32) (result i32)
      (global.set $n (i32.add (global.get $n) (local.get 0)))
      (global.get $n)))
  (core instance $a (instantiate $counter))
  (core instance $b (instantiate $counter))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (core module $user
    (import "m" "mem" (memory 1))
    (import "m" "add" (func $add (param i32) (result i32)))
    (func (export "poke") (param i32) (result i32)
      (i32.store (i32.const 100) (local.get 0))
      (drop (call $add (i32.const 0)))
      (i32.load (i32.const 100))))
  (alias core export $mem "mem" (core memory $m))
  (alias core export $b "add" (core func $badd))
  (core instance $u (instantiate $user
    (with "m" (instance (export "mem" (memory $m)) (export "add" (func $badd))))))
  (func (export "a") (param "x" u32) (result u32) (canon lift (core func $a "add")))
  (func (export "b") (param "x" u32) (result u32) (canon lift (core func $b "add")))
  (func (export "poke") (param "x" u32) (result u32) (canon lift (core func $u "poke"))))
