;; One component with two core instances, each with its own memory: one
;; function lifts a string from the first, another from the second, and
;; a lowering writes into the second; a consumer passes strings both
;; ways. Each memory keeps its own data.
;; CALL get-a => [2097]
;; CALL get-b => [3120]
;; CALL put-b 3 => [3104]
;; CALL get-a => [2097]
;; CALL host-a => ["ab"]
;; CALL host-b => ["xyz"]
(component
  (component $provider
    (core module $a
      (memory (export "mem") 1)
      (data (i32.const 0x100) "ab")
      (data (i32.const 0x10) "\00\01\00\00\02\00\00\00")
      (func (export "get") (result i32) (i32.const 0x10)))
    (core module $b
      (memory (export "mem") 1)
      (data (i32.const 0x100) "xyz")
      (data (i32.const 0x10) "\00\01\00\00\03\00\00\00")
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (local.get 3)))
        (local.get $at))
      (func (export "get") (result i32) (i32.const 0x10))
      (func (export "put") (param i32 i32) (result i32)
        (i32.add (i32.mul (local.get 1) (i32.const 1000)) (i32.load8_u (local.get 0)))))
    (core instance $a (instantiate $a))
    (core instance $b (instantiate $b))
    (alias core export $a "mem" (core memory $ma))
    (alias core export $b "mem" (core memory $mb))
    (alias core export $b "realloc" (core func $rb))
    (func (export "get-a") (result string) (canon lift (core func $a "get") (memory $ma)))
    (func (export "get-b") (result string) (canon lift (core func $b "get") (memory $mb)))
    (func (export "put-b") (param "s" string) (result u32)
      (canon lift (core func $b "put") (memory $mb) (realloc $rb))))
  (component $consumer
    (import "get-a" (func $get-a (result string)))
    (import "get-b" (func $get-b (result string)))
    (import "put-b" (func $put-b (param "s" string) (result u32)))
    (core module $heap
      (memory (export "mem") 1)
      (data (i32.const 0x200) "hello")
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (local.get 3)))
        (local.get $at)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $get-a (canon lower (func $get-a) (memory $mem) (realloc $realloc)))
    (core func $get-b (canon lower (func $get-b) (memory $mem) (realloc $realloc)))
    (core func $put-b (canon lower (func $put-b) (memory $mem)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "get-a" (func $get-a (param i32)))
      (import "p" "get-b" (func $get-b (param i32)))
      (import "p" "put-b" (func $put-b (param i32 i32) (result i32)))
      ;; length*1000 + first byte of what arrived
      (func $digest (result i32)
        (i32.add (i32.mul (i32.load (i32.const 20)) (i32.const 1000)) (i32.load8_u (i32.load (i32.const 16)))))
      (func (export "get-a") (result i32) (call $get-a (i32.const 16)) (call $digest))
      (func (export "get-b") (result i32) (call $get-b (i32.const 16)) (call $digest))
      (func (export "put-b") (param i32) (result i32) (call $put-b (i32.const 0x200) (local.get 0))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "get-a" (func $get-a)) (export "get-b" (func $get-b)) (export "put-b" (func $put-b))))))
    (func (export "get-a") (result u32) (canon lift (core func $i "get-a")))
    (func (export "get-b") (result u32) (canon lift (core func $i "get-b")))
    (func (export "put-b") (param "n" u32) (result u32) (canon lift (core func $i "put-b"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "get-a" (func $p "get-a")) (with "get-b" (func $p "get-b"))
    (with "put-b" (func $p "put-b"))))
  (export "get-a" (func $c "get-a"))
  (export "get-b" (func $c "get-b"))
  (export "put-b" (func $c "put-b"))
  (export "host-a" (func $p "get-a"))
  (export "host-b" (func $p "get-b")))
