;; list<u32>: a misaligned pointer, an end past the memory and a byte
;; length past 2^32 trap; empty lists at any aligned pointer work, as a
;; parameter (`pass`: the consumer's entry i, the provider answers
;; n*100000 plus a weighted byte sum of what it received) and as a
;; result (`get`: the provider's entry i, the consumer answers the
;; same).
;; CALL pass 0 => trap
;; CALL pass 1 => trap
;; CALL pass 2 => trap
;; CALL pass 3 => [0]
;; CALL pass 4 => [200023]
;; CALL get 0 => trap
;; CALL get 1 => trap
;; CALL get 2 => trap
;; CALL get 3 => [0]
;; CALL get 4 => [200023]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 2048) "\02\10\00\00\01\00\00\00")
      (data (i32.const 2056) "\fc\ff\00\00\02\00\00\00")
      (data (i32.const 2064) "\00\10\00\00\01\00\00\40")
      (data (i32.const 2072) "\fc\ff\00\00\00\00\00\00")
      (data (i32.const 2080) "\00\10\00\00\02\00\00\00")
      (data (i32.const 4096) "\03\00\00\00\04\00\00\00")
      (global $next (mut i32) (i32.const 0x4000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at))
      ;; n*100000 + the position-weighted sum of the n*4 bytes at p
      (func $digest (param $p i32) (param $n i32) (result i32)
        (local $i i32) (local $sum i32) (local $bytes i32)
        (local.set $bytes (i32.mul (local.get $n) (i32.const 4)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
          (local.set $sum (i32.add (local.get $sum)
            (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.load8_u (i32.add (local.get $p) (local.get $i))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (i32.add (i32.mul (local.get $n) (i32.const 100000)) (local.get $sum)))
      (func $entry (param i32) (result i32) (i32.add (i32.const 0x800) (i32.shl (i32.rem_u (local.get 0) (i32.const 5)) (i32.const 3))))
      (func (export "take") (param i32 i32) (result i32) (call $digest (local.get 0) (local.get 1)))
      (func (export "give") (param i32) (result i32) (call $entry (local.get 0))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $l (list u32))
    (func (export "take") (param "xs" $l) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc)))
    (func (export "give") (param "case" u32) (result $l)
      (canon lift (core func $i "give") (memory $mem))))
  (component $consumer
    (type $l (list u32))
    (import "take" (func $take (param "xs" $l) (result u32)))
    (import "give" (func $give (param "case" u32) (result $l)))
    (core module $heap
      (memory (export "mem") 1)
      (data (i32.const 2048) "\02\10\00\00\01\00\00\00")
      (data (i32.const 2056) "\fc\ff\00\00\02\00\00\00")
      (data (i32.const 2064) "\00\10\00\00\01\00\00\40")
      (data (i32.const 2072) "\fc\ff\00\00\00\00\00\00")
      (data (i32.const 2080) "\00\10\00\00\02\00\00\00")
      (data (i32.const 4096) "\03\00\00\00\04\00\00\00")
      (global $next (mut i32) (i32.const 0x4000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at))
      ;; n*100000 + the position-weighted sum of the n*4 bytes at p
      (func $digest (param $p i32) (param $n i32) (result i32)
        (local $i i32) (local $sum i32) (local $bytes i32)
        (local.set $bytes (i32.mul (local.get $n) (i32.const 4)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
          (local.set $sum (i32.add (local.get $sum)
            (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.load8_u (i32.add (local.get $p) (local.get $i))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (i32.add (i32.mul (local.get $n) (i32.const 100000)) (local.get $sum)))
      (func $entry (param i32) (result i32) (i32.add (i32.const 0x800) (i32.shl (i32.rem_u (local.get 0) (i32.const 5)) (i32.const 3))))
      (export "digest" (func $digest))
      (export "entry" (func $entry)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $take (canon lower (func $take) (memory $mem)))
    (core func $give (canon lower (func $give) (memory $mem) (realloc $realloc)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "h" "digest" (func $digest (param i32 i32) (result i32)))
      (import "h" "entry" (func $entry (param i32) (result i32)))
      (import "p" "take" (func $take (param i32 i32) (result i32)))
      (import "p" "give" (func $give (param i32 i32)))
      (func (export "pass") (param i32) (result i32)
        (local $e i32)
        (local.set $e (call $entry (local.get 0)))
        (call $take (i32.load (local.get $e)) (i32.load offset=4 (local.get $e))))
      (func (export "get") (param i32) (result i32)
        (call $give (local.get 0) (i32.const 0x700))
        (call $digest (i32.load (i32.const 0x700)) (i32.load (i32.const 0x704)))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "take" (func $take)) (export "give" (func $give))))))
    (func (export "pass") (param "case" u32) (result u32) (canon lift (core func $i "pass")))
    (func (export "get") (param "case" u32) (result u32) (canon lift (core func $i "get"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "take" (func $p "take")) (with "give" (func $p "give"))))
  (export "pass" (func $c "pass"))
  (export "get" (func $c "get")))
