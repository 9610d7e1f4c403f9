;; A variant whose payloads flatten to different core types: {a(u32),
;; b(f32), c(u64), d(string)} is (i32 disc, i64 payload, i32) flat: u32 and
;; f32 payloads travel in the i64 slot (f32 as its bits), the string as
;; (ptr, len). The consumer builds case `case` from x; the provider
;; answers disc*1000000 + what it decodes (f32 as its bits' low 20 bits,
;; string as length*1000 + first byte). Results come back the same way.
;; CALL pass 0 7 => [7]
;; CALL pass 1 1065353216 => [1000000]
;; CALL pass 2 4294967295 => [1999999]
;; CALL pass 3 2 => [3002104]
;; CALL pass 4 0 => trap
;; CALL get 0 7 => [7]
;; CALL get 1 1065353217 => [1000001]
;; CALL get 2 5 => [2000010]
;; CALL get 3 3 => [3003120]
;; CALL get 4 0 => trap
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "xyz")
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0x200))
      (func (export "take") (param $d i32) (param $v i64) (param $len i32) (result i32)
        (i32.add (i32.mul (local.get $d) (i32.const 1000000))
          (if (result i32) (i32.eq (local.get $d) (i32.const 3))
            (then (i32.add (i32.mul (local.get $len) (i32.const 1000))
              (i32.load8_u (i32.wrap_i64 (local.get $v)))))
            (else (if (result i32) (i32.eq (local.get $d) (i32.const 2))
              (then (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32))))
              (else (i32.and (i32.wrap_i64 (local.get $v)) (i32.const 0xfffff))))))))
      ;; case d with payload x: c as x<<32|x, d as the first x bytes of "xyz"
      (func (export "give") (param $d i32) (param $x i32) (result i32)
        (i32.store8 (i32.const 16) (local.get $d))
        (if (i32.eq (local.get $d) (i32.const 2))
          (then (i64.store (i32.const 24) (i64.or (i64.shl (i64.extend_i32_u (local.get $x)) (i64.const 32))
            (i64.extend_i32_u (local.get $x)))))
          (else (if (i32.eq (local.get $d) (i32.const 3))
            (then (i32.store (i32.const 24) (i32.const 0x100)) (i32.store (i32.const 28) (local.get $x)))
            (else (i32.store (i32.const 24) (local.get $x))))))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $v' (variant (case "a" u32) (case "b" f32) (case "c" u64) (case "d" string)))
    (export $v "v" (type $v'))
    (func (export "take") (param "x" $v) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc)))
    (func (export "give") (param "case" u32) (param "x" u32) (result $v)
      (canon lift (core func $i "give") (memory $mem) (realloc $realloc))))
  (component $consumer
    (type $v' (variant (case "a" u32) (case "b" f32) (case "c" u64) (case "d" string)))
    (import "v" (type $v (eq $v')))
    (import "take" (func $take (param "x" $v) (result u32)))
    (import "give" (func $give (param "case" u32) (param "x" u32) (result $v)))
    (core module $heap
      (memory (export "mem") 1)
      (data (i32.const 0x100) "hello")
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (local.get 3)))
        (local.get $at)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $take (canon lower (func $take) (memory $mem)))
    (core func $give (canon lower (func $give) (memory $mem) (realloc $realloc)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "take" (func $take (param i32 i64 i32) (result i32)))
      (import "p" "give" (func $give (param i32 i32 i32)))
      ;; case 1 passes x as f32 bits, 2 as x<<32 | 1, 3 as the string
      ;; "hello" of length x
      (func (export "pass") (param $d i32) (param $x i32) (result i32)
        (if (result i32) (i32.eq (local.get $d) (i32.const 2))
          (then (call $take (local.get $d) (i64.or (i64.shl (i64.extend_i32_u (local.get $x)) (i64.const 32)) (i64.const 1)) (i32.const 0)))
          (else (if (result i32) (i32.eq (local.get $d) (i32.const 3))
            (then (call $take (local.get $d) (i64.const 0x100) (local.get $x)))
            (else (call $take (local.get $d) (i64.extend_i32_u (local.get $x)) (i32.const 0)))))))
      ;; what arrived at 0x40: disc*1000000 + payload digest
      (func (export "get") (param $d i32) (param $x i32) (result i32)
        (call $give (local.get $d) (local.get $x) (i32.const 0x40))
        (i32.add (i32.mul (i32.load8_u (i32.const 0x40)) (i32.const 1000000))
          (if (result i32) (i32.eq (i32.load8_u (i32.const 0x40)) (i32.const 3))
            (then (i32.add (i32.mul (i32.load (i32.const 0x4c)) (i32.const 1000))
              (i32.load8_u (i32.load (i32.const 0x48)))))
            (else (i32.and (i32.add (i32.load (i32.const 0x48)) (i32.load (i32.const 0x4c))) (i32.const 0xfffff)))))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "take" (func $take)) (export "give" (func $give))))))
    (func (export "pass") (param "case" u32) (param "x" u32) (result u32) (canon lift (core func $i "pass")))
    (func (export "get") (param "case" u32) (param "x" u32) (result u32) (canon lift (core func $i "get"))))
  (instance $p (instantiate $provider))
  (alias export $p "v" (type $v))
  (instance $c (instantiate $consumer (with "v" (type $v)) (with "take" (func $p "take")) (with "give" (func $p "give"))))
  (export "pass" (func $c "pass"))
  (export "get" (func $c "get")))
