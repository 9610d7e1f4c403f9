;; The consumer's realloc returns a pointer 4 bytes before the end of
;; its one-page memory: results that do not fit trap. The provider
;; returns a list<u32> of n elements and a string of n utf8 bytes, which
;; the consumer receives as utf16; the provider counts its post-return
;; calls.
;; CALL list 0 => [0]
;; CALL list 3 => trap
;; CALL string 0 => [0]
;; CALL string 2 => [2104]
;; CALL posts => [2]
;; CALL calls => [2]
(component
  (component $other
    (core module $m (func (export "nop") (result i32) (i32.const 7)))
    (core instance $i (instantiate $m))
    (func (export "nop") (result u32) (canon lift (core func $i "nop"))))
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
      (data (i32.const 0x200) "hello")
      (global $posts (mut i32) (i32.const 0))
      (func (export "list") (param i32) (result i32)
        (i32.store (i32.const 16) (i32.const 0x100))
        (i32.store (i32.const 20) (local.get 0))
        (i32.const 16))
      (func (export "string") (param i32) (result i32)
        (i32.store (i32.const 16) (i32.const 0x200))
        (i32.store (i32.const 20) (local.get 0))
        (i32.const 16))
      (func (export "post") (param i32) (global.set $posts (i32.add (global.get $posts) (i32.const 1))))
      (func (export "posts") (result i32) (global.get $posts)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $l (list u32))
    (func (export "list") (param "n" u32) (result $l)
      (canon lift (core func $i "list") (memory $mem) (post-return (core func $i "post"))))
    (func (export "string") (param "n" u32) (result string)
      (canon lift (core func $i "string") (memory $mem) (post-return (core func $i "post"))))
    (func (export "posts") (result u32) (canon lift (core func $i "posts"))))
  (component $consumer
    (import "nop" (func $nop (result u32)))
    (type $l (list u32))
    (import "list" (func $list (param "n" u32) (result $l)))
    (import "string" (func $string (param "n" u32) (result string)))
    (core func $nop (canon lower (func $nop)))
    (core module $heap
      (import "o" "nop" (func $other (result i32)))
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 0x1000))
      (global $calls (mut i32) (i32.const 0))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (i32.add (local.get 3) (i32.const 8))))
        (i32.const 65532))
      (func (export "calls") (result i32) (global.get $calls)))
    (core instance $heap (instantiate $heap (with "o" (instance (export "nop" (func $nop))))))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $list (canon lower (func $list) (memory $mem) (realloc $realloc)))
    (core func $string (canon lower (func $string) (memory $mem) (realloc $realloc) string-encoding=utf16))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "list" (func $list (param i32 i32)))
      (import "p" "string" (func $string (param i32 i32)))
      ;; sum of the elements received
      (func (export "list") (param i32) (result i32)
        (local $p i32) (local $n i32) (local $s i32)
        (call $list (local.get 0) (i32.const 16))
        (local.set $p (i32.load (i32.const 16)))
        (local.set $n (i32.load (i32.const 20)))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
        (local.get $s))
      ;; length*1000 + first code unit
      (func (export "string") (param i32) (result i32)
        (call $string (local.get 0) (i32.const 16))
        (i32.add (i32.mul (i32.load (i32.const 20)) (i32.const 1000))
          (if (result i32) (i32.load (i32.const 20)) (then (i32.load16_u (i32.load (i32.const 16)))) (else (i32.const 0))))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "list" (func $list)) (export "string" (func $string))))))
    (func (export "list") (param "n" u32) (result u32) (canon lift (core func $i "list")))
    (func (export "string") (param "n" u32) (result u32) (canon lift (core func $i "string")))
    (func (export "calls") (result u32) (canon lift (core func $heap "calls"))))
  (instance $o (instantiate $other))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "nop" (func $o "nop")) (with "list" (func $p "list")) (with "string" (func $p "string"))))
  (export "list" (func $c "list"))
  (export "string" (func $c "string"))
  (export "posts" (func $p "posts"))
  (export "calls" (func $c "calls")))
