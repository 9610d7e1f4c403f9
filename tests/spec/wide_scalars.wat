;; u64, s64, f32 and f64 cross as they are: all 64 bits, and float bit
;; patterns (NaN payloads included), both through an adapter and to the
;; host.
;; CALL u64 4294967295 1 => [18446744069414584321]
;; CALL s64 4294967295 4294967295 => [-1]
;; CALL f32 2143289344 => [nan:0x7fc00000]
;; CALL f32 2139095041 => [nan:0x7f800001]
;; CALL f32 1065353216 => [1.0]
;; CALL f64 2146959360 5 => [nan:0x7ff8000000000005]
;; CALL f64 1072693248 0 => [1.0]
(component
  (component $provider
    (core module $m
      (func (export "i64") (param i64) (result i64) (local.get 0))
      (func (export "f32") (param f32) (result f32) (local.get 0))
      (func (export "f64") (param f64) (result f64) (local.get 0)))
    (core instance $i (instantiate $m))
    (func (export "u64") (param "x" u64) (result u64) (canon lift (core func $i "i64")))
    (func (export "s64") (param "x" s64) (result s64) (canon lift (core func $i "i64")))
    (func (export "f32") (param "x" f32) (result f32) (canon lift (core func $i "f32")))
    (func (export "f64") (param "x" f64) (result f64) (canon lift (core func $i "f64"))))
  (component $consumer
    (import "u64" (func $u64 (param "x" u64) (result u64)))
    (import "s64" (func $s64 (param "x" s64) (result s64)))
    (import "f32" (func $f32 (param "x" f32) (result f32)))
    (import "f64" (func $f64 (param "x" f64) (result f64)))
    (core func $u64 (canon lower (func $u64)))
    (core func $s64 (canon lower (func $s64)))
    (core func $f32 (canon lower (func $f32)))
    (core func $f64 (canon lower (func $f64)))
    (core module $m
      (import "p" "u64" (func $u64 (param i64) (result i64)))
      (import "p" "s64" (func $s64 (param i64) (result i64)))
      (import "p" "f32" (func $f32 (param f32) (result f32)))
      (import "p" "f64" (func $f64 (param f64) (result f64)))
      (func $wide (param i32 i32) (result i64)
        (i64.or (i64.shl (i64.extend_i32_u (local.get 0)) (i64.const 32)) (i64.extend_i32_u (local.get 1))))
      (func (export "u64") (param i32 i32) (result i64) (call $u64 (call $wide (local.get 0) (local.get 1))))
      (func (export "s64") (param i32 i32) (result i64) (call $s64 (call $wide (local.get 0) (local.get 1))))
      (func (export "f32") (param i32) (result f32) (call $f32 (f32.reinterpret_i32 (local.get 0))))
      (func (export "f64") (param i32 i32) (result f64)
        (call $f64 (f64.reinterpret_i64 (call $wide (local.get 0) (local.get 1))))))
    (core instance $i (instantiate $m (with "p" (instance
      (export "u64" (func $u64)) (export "s64" (func $s64)) (export "f32" (func $f32)) (export "f64" (func $f64))))))
    (func (export "u64") (param "hi" u32) (param "lo" u32) (result u64) (canon lift (core func $i "u64")))
    (func (export "s64") (param "hi" u32) (param "lo" u32) (result s64) (canon lift (core func $i "s64")))
    (func (export "f32") (param "bits" u32) (result f32) (canon lift (core func $i "f32")))
    (func (export "f64") (param "hi" u32) (param "lo" u32) (result f64) (canon lift (core func $i "f64"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "u64" (func $p "u64")) (with "s64" (func $p "s64"))
    (with "f32" (func $p "f32")) (with "f64" (func $p "f64"))))
  (export "u64" (func $c "u64"))
  (export "s64" (func $c "s64"))
  (export "f32" (func $c "f32"))
  (export "f64" (func $c "f64"))
  (export "host-f32" (func $p "f32"))
  (export "host-f64" (func $p "f64")))
