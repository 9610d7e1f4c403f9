;; record {a: u8, b: u64, c: u16, d: u32} (size 24, align 8: offsets 0,
;; 8, 16, 20) as a result through a return pointer, and as a list
;; element from the consumer (the provider reads each field at its
;; offset); padding bytes are not copied.
;; CALL get 1 => [1408]
;; CALL pass 2 => [24000]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at))
      ;; fields from x, padding filled with 0xee
      (func (export "get") (param $x i32) (result i32)
        (memory.fill (i32.const 0x40) (i32.const 0xee) (i32.const 24))
        (i32.store8 (i32.const 0x40) (local.get $x))
        (i64.store (i32.const 0x48) (i64.shl (i64.extend_i32_u (local.get $x)) (i64.const 40)))
        (i32.store16 (i32.const 0x50) (i32.add (local.get $x) (i32.const 2)))
        (i32.store (i32.const 0x54) (i32.add (local.get $x) (i32.const 3)))
        (i32.const 0x40))
      ;; sum of a + b>>40 + c + d over the list, and padding byte 1 of the last
      (func (export "take") (param $p i32) (param $n i32) (result i32)
        (local $s i32)
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (i32.add (i32.add (i32.load8_u (local.get $p))
            (i32.wrap_i64 (i64.shr_u (i64.load offset=8 (local.get $p)) (i64.const 40))))
            (i32.add (i32.load16_u offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))))))
          (local.set $p (i32.add (local.get $p) (i32.const 24)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
        (i32.add (i32.mul (local.get $s) (i32.const 1000)) (i32.load8_u offset=1 (i32.sub (local.get $p) (i32.const 24))))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $r (record (field "a" u8) (field "b" u64) (field "c" u16) (field "d" u32)))
    (type $rs (list $r))
    (export $re "r" (type $r))
    (type $res (list $re))
    (func (export "get") (param "x" u32) (result $re) (canon lift (core func $i "get") (memory $mem)))
    (func (export "take") (param "xs" $res) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc))))
  (component $consumer
    (type $r' (record (field "a" u8) (field "b" u64) (field "c" u16) (field "d" u32)))
    (import "r" (type $r (eq $r')))
    (type $rs (list $r))
    (import "get" (func $get (param "x" u32) (result $r)))
    (import "take" (func $take (param "xs" $rs) (result u32)))
    (core module $heap
      (memory (export "mem") 1)
      ;; two records, padding bytes 0xaa
      (data (i32.const 0x100) "\01\aa\aa\aa\aa\aa\aa\aa\00\00\00\00\00\01\00\00\02\00\aa\aa\03\00\00\00")
      (data (i32.const 0x118) "\04\aa\aa\aa\aa\aa\aa\aa\00\00\00\00\00\02\00\00\05\00\aa\aa\06\00\00\00"))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (core func $get (canon lower (func $get) (memory $mem)))
    (core func $take (canon lower (func $take) (memory $mem)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "get" (func $get (param i32 i32)))
      (import "p" "take" (func $take (param i32 i32) (result i32)))
      ;; the 24 bytes received, as a weighted sum
      (func (export "get") (param i32) (result i32)
        (local $i i32) (local $s i32)
        (memory.fill (i32.const 0x200) (i32.const 0x11) (i32.const 24))
        (call $get (local.get 0) (i32.const 0x200))
        (block $done (loop $next
          (br_if $done (i32.eq (local.get $i) (i32.const 24)))
          (local.set $s (i32.add (local.get $s)
            (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.load8_u offset=0x200 (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (local.get $s))
      (func (export "pass") (param i32) (result i32) (call $take (i32.const 0x100) (local.get 0))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "get" (func $get)) (export "take" (func $take))))))
    (func (export "get") (param "x" u32) (result u32) (canon lift (core func $i "get")))
    (func (export "pass") (param "n" u32) (result u32) (canon lift (core func $i "pass"))))
  (instance $p (instantiate $provider))
  (alias export $p "r" (type $r))
  (instance $c (instantiate $consumer (with "r" (type $r)) (with "get" (func $p "get")) (with "take" (func $p "take"))))
  (export "get" (func $c "get"))
  (export "pass" (func $c "pass")))
