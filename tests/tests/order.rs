//! Instantiation order inside the fused module: active segments and start
//! functions of different instances must run in the input's order, even
//! when a start function runs before a later instance's segments.

use meld_core::{Options, fuse};
use meld_tests::harness::{CompareOptions, compare};

/// Instance `a` has a start function writing 7 at address 0 of its memory;
/// instance `b`, created afterwards, shares that memory and has an active
/// data segment writing 42 there, and a start function recording what it
/// saw. A runtime ends with 42 at address 0 and `b` having seen 42; running
/// every segment before every start function would give 7.
const START_THEN_SEGMENT: &str = r#"
(component
  (core module $a
    (memory (export "memory") 1)
    (table (export "table") 2 funcref)
    (func $seven (result i32) i32.const 7)
    (func $start i32.const 0 i32.const 7 i32.store8 i32.const 0 i32.const 0 table.get 0 drop drop)
    (elem declare func $seven)
    (start $start))
  (core module $b
    (import "a" "memory" (memory 1))
    (import "a" "table" (table 2 funcref))
    (global $seen (mut i32) (i32.const 0))
    (func $fortytwo (result i32) i32.const 42)
    (type $t (func (result i32)))
    (elem (i32.const 1) func $fortytwo)
    (data (i32.const 0) "\2a")
    (func $start i32.const 0 i32.load8_u global.set $seen)
    (start $start)
    (func (export "peek") (result i32) i32.const 0 i32.load8_u)
    (func (export "seen") (result i32) global.get $seen)
    (func (export "call") (result i32) i32.const 1 call_indirect (type $t)))
  (core instance $ia (instantiate $a))
  (core instance $ib (instantiate $b (with "a" (instance $ia))))
  (func (export "peek") (result u32) (canon lift (core func $ib "peek")))
  (func (export "seen") (result u32) (canon lift (core func $ib "seen")))
  (func (export "call") (result u32) (canon lift (core func $ib "call"))))
"#;

#[test]
fn segments_and_start_functions_keep_instantiation_order() {
    let original = wat::parse_str(START_THEN_SEGMENT).expect("test component parses");
    let fused = fuse(&[&original], &Options::default()).expect("fuses");
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert_eq!(
        report.calls,
        3 * CompareOptions::default().calls_without_params
    );
}
