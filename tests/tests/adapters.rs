//! The value checks a generated adapter performs, compared with wasmtime's
//! own: a consumer hands raw `i32`s to a provider's `bool`, `u8`, `s8`,
//! `u16`, `s16` and `char` parameters, and returns raw results for them.
//! Wasmtime normalises, masks, sign-extends and traps on invalid chars at
//! the boundary; the fused output must do exactly the same.

use meld_core::{Options, fuse};
use meld_tests::harness::{CompareOptions, compare};

/// Provider: `echo-*` return their parameter as the provider's core code
/// sees it (as `u32`, so nothing is lost on the way back); `raw-*` return a
/// raw core value for a narrow result type.
/// Consumer: exports `pass-*(x: s32) -> u32`, which passes `x` unchanged as
/// the provider's narrow parameter, and `get-*(x: s32) -> T`, which gets a
/// narrow result from the provider.
const CHECKS: &str = r#"
(component
  (component $provider
    (core module $m
      (func (export "echo") (param i32) (result i32) local.get 0)
      (func (export "raw") (param i32) (result i32) local.get 0))
    (core instance $i (instantiate $m))
    (func $echo-bool (param "x" bool) (result u32) (canon lift (core func $i "echo")))
    (func $echo-u8 (param "x" u8) (result u32) (canon lift (core func $i "echo")))
    (func $echo-s8 (param "x" s8) (result u32) (canon lift (core func $i "echo")))
    (func $echo-u16 (param "x" u16) (result u32) (canon lift (core func $i "echo")))
    (func $echo-s16 (param "x" s16) (result u32) (canon lift (core func $i "echo")))
    (func $echo-char (param "x" char) (result u32) (canon lift (core func $i "echo")))
    (func $raw-char (param "x" u32) (result char) (canon lift (core func $i "raw")))
    (func $raw-u8 (param "x" u32) (result u8) (canon lift (core func $i "raw")))
    (func $raw-bool (param "x" u32) (result bool) (canon lift (core func $i "raw")))
    (instance $api
      (export "echo-bool" (func $echo-bool)) (export "echo-u8" (func $echo-u8))
      (export "echo-s8" (func $echo-s8)) (export "echo-u16" (func $echo-u16))
      (export "echo-s16" (func $echo-s16)) (export "echo-char" (func $echo-char))
      (export "raw-char" (func $raw-char)) (export "raw-u8" (func $raw-u8))
      (export "raw-bool" (func $raw-bool)))
    (export "meld:test/narrow" (instance $api)))
  (component $consumer
    (import "meld:test/narrow" (instance $api
      (export "echo-bool" (func (param "x" bool) (result u32)))
      (export "echo-u8" (func (param "x" u8) (result u32)))
      (export "echo-s8" (func (param "x" s8) (result u32)))
      (export "echo-u16" (func (param "x" u16) (result u32)))
      (export "echo-s16" (func (param "x" s16) (result u32)))
      (export "echo-char" (func (param "x" char) (result u32)))
      (export "raw-char" (func (param "x" u32) (result char)))
      (export "raw-u8" (func (param "x" u32) (result u8)))
      (export "raw-bool" (func (param "x" u32) (result bool)))))
    (core func $f0 (canon lower (func $api "echo-bool")))
    (core func $f1 (canon lower (func $api "echo-u8")))
    (core func $f2 (canon lower (func $api "echo-s8")))
    (core func $f3 (canon lower (func $api "echo-u16")))
    (core func $f4 (canon lower (func $api "echo-s16")))
    (core func $f5 (canon lower (func $api "echo-char")))
    (core func $f6 (canon lower (func $api "raw-char")))
    (core func $f7 (canon lower (func $api "raw-u8")))
    (core func $f8 (canon lower (func $api "raw-bool")))
    (core module $m
      (import "api" "0" (func $f0 (param i32) (result i32)))
      (import "api" "1" (func $f1 (param i32) (result i32)))
      (import "api" "2" (func $f2 (param i32) (result i32)))
      (import "api" "3" (func $f3 (param i32) (result i32)))
      (import "api" "4" (func $f4 (param i32) (result i32)))
      (import "api" "5" (func $f5 (param i32) (result i32)))
      (import "api" "6" (func $f6 (param i32) (result i32)))
      (import "api" "7" (func $f7 (param i32) (result i32)))
      (import "api" "8" (func $f8 (param i32) (result i32)))
      (func (export "0") (param i32) (result i32) local.get 0 call $f0)
      (func (export "1") (param i32) (result i32) local.get 0 call $f1)
      (func (export "2") (param i32) (result i32) local.get 0 call $f2)
      (func (export "3") (param i32) (result i32) local.get 0 call $f3)
      (func (export "4") (param i32) (result i32) local.get 0 call $f4)
      (func (export "5") (param i32) (result i32) local.get 0 call $f5)
      (func (export "6") (param i32) (result i32) local.get 0 call $f6)
      (func (export "7") (param i32) (result i32) local.get 0 call $f7)
      (func (export "8") (param i32) (result i32) local.get 0 call $f8))
    (core instance $i (instantiate $m (with "api" (instance
      (export "0" (func $f0)) (export "1" (func $f1)) (export "2" (func $f2))
      (export "3" (func $f3)) (export "4" (func $f4)) (export "5" (func $f5))
      (export "6" (func $f6)) (export "7" (func $f7)) (export "8" (func $f8))))))
    (func (export "pass-bool") (param "x" s32) (result u32) (canon lift (core func $i "0")))
    (func (export "pass-u8") (param "x" s32) (result u32) (canon lift (core func $i "1")))
    (func (export "pass-s8") (param "x" s32) (result u32) (canon lift (core func $i "2")))
    (func (export "pass-u16") (param "x" s32) (result u32) (canon lift (core func $i "3")))
    (func (export "pass-s16") (param "x" s32) (result u32) (canon lift (core func $i "4")))
    (func (export "pass-char") (param "x" s32) (result u32) (canon lift (core func $i "5")))
    (func (export "get-char") (param "x" s32) (result u32) (canon lift (core func $i "6")))
    (func (export "get-u8") (param "x" s32) (result u32) (canon lift (core func $i "7")))
    (func (export "get-bool") (param "x" s32) (result u32) (canon lift (core func $i "8"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "meld:test/narrow" (instance $p "meld:test/narrow"))))
  (export "pass-bool" (func $c "pass-bool"))
  (export "pass-u8" (func $c "pass-u8"))
  (export "pass-s8" (func $c "pass-s8"))
  (export "pass-u16" (func $c "pass-u16"))
  (export "pass-s16" (func $c "pass-s16"))
  (export "pass-char" (func $c "pass-char"))
  (export "get-char" (func $c "get-char"))
  (export "get-u8" (func $c "get-u8"))
  (export "get-bool" (func $c "get-bool")))
"#;

#[test]
fn narrow_values_are_checked_at_the_boundary_like_wasmtime_does() {
    let original = wat::parse_str(CHECKS).expect("test component parses");
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    assert_eq!(
        fused.stats.adapters_fixup, 9,
        "every call here needs a check"
    );
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    // Invalid chars must have been tried (and trapped) on both sides.
    assert!(report.trapped > 0, "no trapping call was compared");
}
