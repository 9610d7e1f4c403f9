;; post-return between two components only (the case post_return adds
;; the host's calls): it runs after the consumer has received the string,
;; with the callee's flat results, and frees the buffer (writes "z" over
;; its first byte); the second call sees the "z".
;; CALL get 3 => [3000097]
;; CALL get 0 => [0]
;; CALL count => [2]
;; CALL get 2 => [2000122]
;; CALL count => [3]
;; CALL args => [5]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "abcdefgh")
      (global $count (mut i32) (i32.const 0))
      (global $args (mut i32) (i32.const 0))
      (func (export "word") (param i32) (result i32)
        (i32.store (i32.const 16) (i32.const 0x100))
        (i32.store (i32.const 20) (local.get 0))
        (i32.const 16))
      ;; frees the buffer: overwrites the string
      (func (export "post-word") (param i32)
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        (global.set $args (i32.add (global.get $args) (i32.load offset=4 (local.get 0))))
        (i32.store8 (i32.load (local.get 0)) (i32.const 0x7a)))
      (func (export "num") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "post-num") (param i32)
        (global.set $count (i32.add (global.get $count) (i32.const 1)))
        (global.set $args (i32.add (global.get $args) (local.get 0))))
      (func (export "count") (result i32) (global.get $count))
      (func (export "args") (result i32) (global.get $args))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0x800)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "word") (param "n" u32) (result string)
      (canon lift (core func $i "word") (memory $mem) (post-return (core func $i "post-word"))))
    (func (export "num") (param "n" u32) (result u32)
      (canon lift (core func $i "num") (post-return (core func $i "post-num"))))
    (func (export "count") (result u32) (canon lift (core func $i "count")))
    (func (export "args") (result u32) (canon lift (core func $i "args"))))
  (component $consumer
    (import "word" (func $word (param "n" u32) (result string)))
    (core module $heap
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (local.get 3)))
        (local.get $at)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $word (canon lower (func $word) (memory $mem) (realloc $realloc)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "word" (func $word (param i32 i32)))
      ;; length*1000000 + first byte
      (func (export "get") (param i32) (result i32)
        (call $word (local.get 0) (i32.const 8))
        (if (result i32) (i32.load (i32.const 12))
          (then (i32.add (i32.mul (i32.load (i32.const 12)) (i32.const 1000000))
            (i32.load8_u (i32.load (i32.const 8)))))
          (else (i32.const 0)))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "word" (func $word))))))
    (func (export "get") (param "n" u32) (result u32) (canon lift (core func $i "get"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "word" (func $p "word"))))
  (export "get" (func $c "get"))
  (export "count" (func $p "count"))
  (export "args" (func $p "args")))
