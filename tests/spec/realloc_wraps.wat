;; The provider's realloc returns 0xfffffffc: pointer plus size wraps
;; around 2^32 and traps. The consumer passes a list<u32> of n elements
;; (1..=n) and a utf8 string of n bytes to a utf16 provider; the host
;; passes its own. wasmtime calls realloc for empty ones too.
;; CALL list 0 => trap
;; CALL list 3 => trap
;; CALL string 0 => trap
;; CALL string 2 => trap
;; CALL host-list [1,2,3] => trap
;; CALL host-string "abc" => trap
;; CALL calls => [0]
(component
  (component $other
    (core module $m (func (export "nop") (result i32) (i32.const 7)))
    (core instance $i (instantiate $m))
    (func (export "nop") (result u32) (canon lift (core func $i "nop"))))
  (component $provider
    (import "nop" (func $nop (result u32)))
    (core func $nop (canon lower (func $nop)))
    (core module $m
      (import "o" "nop" (func $other (result i32)))
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 0x1000))
      (global $calls (mut i32) (i32.const 0))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (i32.add (local.get 3) (i32.const 8))))
        (i32.const -4))
      (func (export "list") (param $p i32) (param $n i32) (result i32)
        (local $s i32)
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (local.set $s (i32.add (local.get $s)
            (i32.load (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))))
          (br $next)))
        (local.get $s))
      (func (export "string") (param $p i32) (param $n i32) (result i32)
        (i32.add (i32.mul (local.get $n) (i32.const 1000))
          (if (result i32) (local.get $n) (then (i32.load16_u (local.get $p))) (else (i32.const 0)))))
      (func (export "calls") (result i32) (global.get $calls)))
    (core instance $i (instantiate $m (with "o" (instance (export "nop" (func $nop))))))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $l (list u32))
    (func (export "list") (param "xs" $l) (result u32)
      (canon lift (core func $i "list") (memory $mem) (realloc $realloc)))
    (func (export "string") (param "s" string) (result u32)
      (canon lift (core func $i "string") (memory $mem) (realloc $realloc) string-encoding=utf16))
    (func (export "calls") (result u32) (canon lift (core func $i "calls"))))
  (component $consumer
    (type $l (list u32))
    (import "list" (func $list (param "xs" $l) (result u32)))
    (import "string" (func $string (param "s" string) (result u32)))
    (core module $heap
      (memory (export "mem") 1)
      (data (i32.const 16) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
      (data (i32.const 64) "hello"))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (core func $list (canon lower (func $list) (memory $mem)))
    (core func $string (canon lower (func $string) (memory $mem)))
    (core module $m
      (import "p" "list" (func $list (param i32 i32) (result i32)))
      (import "p" "string" (func $string (param i32 i32) (result i32)))
      (func (export "list") (param i32) (result i32) (call $list (i32.const 16) (local.get 0)))
      (func (export "string") (param i32) (result i32) (call $string (i32.const 64) (local.get 0))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "list" (func $list)) (export "string" (func $string))))))
    (func (export "list") (param "n" u32) (result u32) (canon lift (core func $i "list")))
    (func (export "string") (param "n" u32) (result u32) (canon lift (core func $i "string"))))
  (instance $o (instantiate $other))
  (instance $p (instantiate $provider (with "nop" (func $o "nop"))))
  (instance $c (instantiate $consumer (with "list" (func $p "list")) (with "string" (func $p "string"))))
  (export "list" (func $c "list"))
  (export "string" (func $c "string"))
  (export "host-list" (func $p "list"))
  (export "host-string" (func $p "string"))
  (export "calls" (func $p "calls")))
