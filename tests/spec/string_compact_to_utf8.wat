;; Strings from a latin1+utf16 consumer to a utf8 provider (`pass`: the provider
;; answers the length word and a position-weighted byte sum of what it
;; received) and back (`get`: the consumer answers the same of what it
;; received), for entries 0 to 4 (hi, héllo, €uro, 😀, "") and three
;; invalid ones in the sender's encoding: a lone surrogate (utf16 tag), a misaligned utf16 pointer, an out-of-bounds latin1 end when the
;; consumer sends; invalid utf8, an out-of-bounds pointer, a length beyond memory when the provider does. Both reallocs log
;; every call (old ptr, old size, align, new size), after a fresh instance
;; (every trap) too; the logs are the realloc call sequence.
;; CALL pass 0 => [(2, 314)]
;; CALL pass 1 => [(6, 2639)]
;; CALL pass 2 => [(6, 2706)]
;; CALL pass 3 => [(4, 1526)]
;; CALL pass 4 => [(0, 0)]
;; CALL pass 5 => trap
;; CALL pass 6 => trap
;; CALL pass 7 => trap
;; CALL get 0 => [(2, 314)]
;; CALL get 1 => [(5, 1881)]
;; CALL get 2 => [(2147483652, 1934)]
;; CALL get 3 => [(2147483650, 1381)]
;; CALL get 4 => [(0, 0)]
;; CALL get 5 => trap
;; CALL get 6 => trap
;; CALL get 7 => trap
;; CALL pass 2 => [(6, 2706)]
;; CALL get 1 => [(5, 1881)]
;; CALL get 3 => [(2147483650, 1381)]
;; CALL log-consumer => [[0, 0, 2, 6, 16384, 6, 2, 5, 0, 0, 2, 4, 16396, 4, 2, 8, …(20 items)]]
;; CALL log-provider => [[0, 0, 1, 4, 16384, 4, 1, 12, 16388, 12, 1, 6]]
;; CALL host-take "héllo😀" => [(10, 8239)]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      ;; utf8: entries (ptr, len) at 0x800: hi, héllo, €uro, 😀, "", then
      ;; three invalid ones (see the header)
      (data (i32.const 2048) "\00\10\00\00\02\00\00\00")
      (data (i32.const 4096) "\68\69")
      (data (i32.const 2056) "\40\10\00\00\06\00\00\00")
      (data (i32.const 4160) "\68\c3\a9\6c\6c\6f")
      (data (i32.const 2064) "\80\10\00\00\06\00\00\00")
      (data (i32.const 4224) "\e2\82\ac\75\72\6f")
      (data (i32.const 2072) "\c0\10\00\00\04\00\00\00")
      (data (i32.const 4288) "\f0\9f\98\80")
      (data (i32.const 2080) "\00\11\00\00\00\00\00\00")
      (data (i32.const 2088) "\40\11\00\00\01\00\00\00")
      (data (i32.const 4416) "\ff")
      (data (i32.const 2096) "\fe\ff\00\00\04\00\00\00")
      (data (i32.const 2104) "\00\10\00\00\ff\ff\ff\7f")
      (global $next (mut i32) (i32.const 0x4000))
      ;; logs (old ptr, old size, align, new size) at 0x2004, count at 0x2000
      (func $realloc (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32) (local $n i32)
        (local.set $n (i32.load (i32.const 0x2000)))
        (local.set $at (i32.add (i32.const 0x2004) (i32.shl (local.get $n) (i32.const 4))))
        (i32.store (local.get $at) (local.get 0))
        (i32.store offset=4 (local.get $at) (local.get 1))
        (i32.store offset=8 (local.get $at) (local.get 2))
        (i32.store offset=12 (local.get $at) (local.get 3))
        (i32.store (i32.const 0x2000) (i32.add (local.get $n) (i32.const 1)))
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (memory.copy (local.get $at) (local.get 0)
          (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))
        (local.get $at))
      (func (export "log") (result i32)
        (i32.store (i32.const 0x1f00) (i32.const 0x2004))
        (i32.store (i32.const 0x1f04) (i32.shl (i32.load (i32.const 0x2000)) (i32.const 2)))
        (i32.const 0x1f00))
      ;; bytes of a string of length word $len in this encoding
      (func $bytes (param $len i32) (result i32)
        (local.get $len))
      ;; stores (length word, sum of the bytes) at 0x1f10
      (func $digest (param $ptr i32) (param $len i32) (result i32)
        (local $i i32) (local $n i32) (local $sum i32)
        (local.set $n (call $bytes (local.get $len)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $sum (i32.add (local.get $sum)
            (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (i32.store (i32.const 0x1f10) (local.get $len))
        (i32.store (i32.const 0x1f14) (local.get $sum))
        (i32.const 0x1f10))
      (func $ptr (param i32) (result i32) (i32.load (i32.add (i32.const 0x800) (i32.shl (i32.and (local.get 0) (i32.const 7)) (i32.const 3)))))
      (func $len (param i32) (result i32) (i32.load offset=4 (i32.add (i32.const 0x800) (i32.shl (i32.and (local.get 0) (i32.const 7)) (i32.const 3)))))
      (func (export "take") (param i32 i32) (result i32) (call $digest (local.get 0) (local.get 1)))
      (func (export "give") (param i32) (result i32)
        (i32.store (i32.const 0x1f20) (call $ptr (local.get 0)))
        (i32.store (i32.const 0x1f24) (call $len (local.get 0)))
        (i32.const 0x1f20)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $pair (tuple u32 u32))
    (type $log (list u32))
    (func (export "take") (param "s" string) (result $pair)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc)))
    (func (export "give") (param "case" u32) (result string)
      (canon lift (core func $i "give") (memory $mem) (realloc $realloc)))
    (func (export "log") (result $log) (canon lift (core func $i "log") (memory $mem))))
  (component $consumer
    (import "take" (func $take (param "s" string) (result (tuple u32 u32))))
    (import "give" (func $give (param "case" u32) (result string)))
    (core module $heap
      (memory (export "mem") 1)
      ;; latin1+utf16: entries (ptr, len) at 0x800: hi, héllo, €uro, 😀, "", then
      ;; three invalid ones (see the header)
      (data (i32.const 2048) "\00\10\00\00\02\00\00\00")
      (data (i32.const 4096) "\68\69")
      (data (i32.const 2056) "\40\10\00\00\05\00\00\00")
      (data (i32.const 4160) "\68\e9\6c\6c\6f")
      (data (i32.const 2064) "\80\10\00\00\04\00\00\80")
      (data (i32.const 4224) "\ac\20\75\00\72\00\6f\00")
      (data (i32.const 2072) "\c0\10\00\00\02\00\00\80")
      (data (i32.const 4288) "\3d\d8\00\de")
      (data (i32.const 2080) "\00\11\00\00\00\00\00\00")
      (data (i32.const 2088) "\40\11\00\00\01\00\00\80")
      (data (i32.const 4416) "\00\dc")
      (data (i32.const 2096) "\01\10\00\00\01\00\00\80")
      (data (i32.const 2104) "\f8\ff\00\00\10\00\00\00")
      (global $next (mut i32) (i32.const 0x4000))
      ;; logs (old ptr, old size, align, new size) at 0x2004, count at 0x2000
      (func $realloc (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32) (local $n i32)
        (local.set $n (i32.load (i32.const 0x2000)))
        (local.set $at (i32.add (i32.const 0x2004) (i32.shl (local.get $n) (i32.const 4))))
        (i32.store (local.get $at) (local.get 0))
        (i32.store offset=4 (local.get $at) (local.get 1))
        (i32.store offset=8 (local.get $at) (local.get 2))
        (i32.store offset=12 (local.get $at) (local.get 3))
        (i32.store (i32.const 0x2000) (i32.add (local.get $n) (i32.const 1)))
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (memory.copy (local.get $at) (local.get 0)
          (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))
        (local.get $at))
      (func (export "log") (result i32)
        (i32.store (i32.const 0x1f00) (i32.const 0x2004))
        (i32.store (i32.const 0x1f04) (i32.shl (i32.load (i32.const 0x2000)) (i32.const 2)))
        (i32.const 0x1f00))
      ;; bytes of a string of length word $len in this encoding
      (func $bytes (param $len i32) (result i32)
        (if (result i32) (i32.lt_s (local.get $len) (i32.const 0)) (then (i32.shl (i32.and (local.get $len) (i32.const 0x7fffffff)) (i32.const 1))) (else (local.get $len))))
      ;; stores (length word, sum of the bytes) at 0x1f10
      (func $digest (param $ptr i32) (param $len i32) (result i32)
        (local $i i32) (local $n i32) (local $sum i32)
        (local.set $n (call $bytes (local.get $len)))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $sum (i32.add (local.get $sum)
            (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (i32.store (i32.const 0x1f10) (local.get $len))
        (i32.store (i32.const 0x1f14) (local.get $sum))
        (i32.const 0x1f10))
      (func $ptr (param i32) (result i32) (i32.load (i32.add (i32.const 0x800) (i32.shl (i32.and (local.get 0) (i32.const 7)) (i32.const 3)))))
      (func $len (param i32) (result i32) (i32.load offset=4 (i32.add (i32.const 0x800) (i32.shl (i32.and (local.get 0) (i32.const 7)) (i32.const 3)))))
      (export "digest" (func $digest))
      (export "ptr" (func $ptr))
      (export "len" (func $len)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $take (canon lower (func $take) (memory $mem) (realloc $realloc) string-encoding=latin1+utf16))
    (core func $give (canon lower (func $give) (memory $mem) (realloc $realloc) string-encoding=latin1+utf16))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "h" "digest" (func $digest (param i32 i32) (result i32)))
      (import "h" "ptr" (func $ptr (param i32) (result i32)))
      (import "h" "len" (func $len (param i32) (result i32)))
      (import "p" "take" (func $take (param i32 i32 i32)))
      (import "p" "give" (func $give (param i32 i32)))
      (func (export "pass") (param i32) (result i32)
        (call $take (call $ptr (local.get 0)) (call $len (local.get 0)) (i32.const 0x1f30))
        (i32.const 0x1f30))
      (func (export "get") (param i32) (result i32)
        (call $give (local.get 0) (i32.const 0x1f30))
        (call $digest (i32.load (i32.const 0x1f30)) (i32.load (i32.const 0x1f34)))))
    (core instance $i (instantiate $m
      (with "h" (instance $heap))
      (with "p" (instance (export "take" (func $take)) (export "give" (func $give))))))
    (type $pair (tuple u32 u32))
    (type $log (list u32))
    (func (export "pass") (param "case" u32) (result $pair) (canon lift (core func $i "pass") (memory $mem)))
    (func (export "get") (param "case" u32) (result $pair) (canon lift (core func $i "get") (memory $mem)))
    (func (export "log") (result $log) (canon lift (core func $heap "log") (memory $mem))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "take" (func $p "take")) (with "give" (func $p "give"))))
  (export "pass" (func $c "pass"))
  (export "get" (func $c "get"))
  (export "log-consumer" (func $c "log"))
  (export "log-provider" (func $p "log"))
  (export "host-take" (func $p "take")))
