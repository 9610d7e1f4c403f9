//! Instantiation order inside the fused module: active segments and start
//! functions of different instances must run in the input's order, even
//! when a start function runs before a later instance's segments.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, compare, instantiates};

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

/// Fuses `original` with each memory strategy and compares each output
/// with it.
fn same_with_each_strategy(original: &[u8]) {
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let fused = fuse(&[original], &options).expect("fuses");
        let report = compare(original, &fused.wasm, &CompareOptions::default()).expect("runs");
        println!("{memory:?}: {report}");
        report.assert_clean();
        assert!(report.calls > 0, "{memory:?}: nothing was called");
    }
}

/// Fuses `original`, whose instantiation traps, with each memory strategy:
/// the fused module's instantiation must trap too.
fn traps_with_each_strategy(original: &[u8], what: &str) {
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let fused = fuse(&[original], &options).expect("fuses");
        assert!(
            !instantiates(&fused.wasm).expect("the harness's engine"),
            "{what}, {memory:?}: the fused module instantiates, the original traps"
        );
    }
}

#[test]
fn segments_and_start_functions_keep_instantiation_order_in_one_memory_too() {
    let original = wat::parse_str(START_THEN_SEGMENT).expect("test component parses");
    same_with_each_strategy(&original);
}

/// Three modules, each with a memory of one page that may grow to two.
/// `$code` has the most code and `$more` the next most, so with a shared
/// memory `$data`'s region lies between theirs; `$data` has an active data
/// segment of `bytes` (a WAT string) at `offset`. Past the initial page
/// lies the rest of `$data`'s region, then `$more`'s: a segment placed
/// by the region's size rather than the memory's initial size would be
/// written there instead of trapping.
fn segment_at(offset: u32, bytes: &str) -> Vec<u8> {
    let busy = |name: &str, n: usize| {
        (0..n)
            .map(|i| {
                format!(
                    "(func (export \"{name}{i}\") (result i32)
                       i32.const {i} i32.load i32.const {i} i32.add i32.const 3 i32.mul)\n"
                )
            })
            .collect::<String>()
    };
    let wat = format!(
        r#"
(component
  (core module $code
    (memory 1 2)
    (data (i32.const 0) "code")
    {code}
    (func (export "peek") (result i32) i32.const 0 i32.load))
  (core module $data
    (memory 1 2)
    (data (i32.const 65528) "before")
    (data (i32.const {offset}) "{bytes}")
    (func (export "peek") (result i32) i32.const 65532 i32.load))
  (core module $more
    (memory 1 2)
    (data (i32.const 0) "more")
    {more}
    (func (export "peek") (result i32) i32.const 0 i32.load))
  (core instance $c (instantiate $code))
  (core instance $d (instantiate $data))
  (core instance $m (instantiate $more))
  (func (export "code") (result u32) (canon lift (core func $c "peek")))
  (func (export "data") (result u32) (canon lift (core func $d "peek")))
  (func (export "more") (result u32) (canon lift (core func $m "peek")))
  (func (export "code0") (result u32) (canon lift (core func $c "code0")))
  (func (export "more0") (result u32) (canon lift (core func $m "more0"))))
"#,
        code = busy("code", 12),
        more = busy("more", 6),
    );
    wat::parse_str(wat).expect("test component parses")
}

/// An active data segment that does not fit in its memory's initial size
/// makes instantiation trap. Such a component is valid; fused with either
/// memory strategy it must trap as it is instantiated too (until session
/// 41, `--memory shared` refused it as invalid input), and a segment that
/// just fits must be written where the original writes it.
#[test]
fn a_segment_that_does_not_fit_traps_as_the_fused_module_is_instantiated() {
    let cases = [
        // (offset, bytes, fits)
        (65_536, "\\01", false),
        (65_535, "\\01\\02", false),
        (65_537, "", false),
        (u32::MAX, "", false),
        (u32::MAX, "\\01", false),
        (65_536, "", true),
        (65_535, "\\07", true),
        (65_532, "\\01\\02\\03\\04", true),
    ];
    for (offset, bytes, fits) in cases {
        let original = segment_at(offset, bytes);
        let what = format!("{bytes:?} at {offset}");
        assert_eq!(
            instantiates(&original).expect("the harness's engine"),
            fits,
            "{what}: the original"
        );
        if fits {
            same_with_each_strategy(&original);
            continue;
        }
        traps_with_each_strategy(&original, &what);
    }
}

/// A start function that grows a memory before a later instance's active
/// segment is applied to it: the segment fits only because of the growth.
/// Without `grow`, the same segment makes instantiation trap.
fn grown_then_segment(grow: bool) -> Vec<u8> {
    let grow = if grow {
        "i32.const 1 memory.grow drop"
    } else {
        ""
    };
    let wat = format!(
        r#"
(component
  (core module $a
    (memory (export "memory") 1 3)
    (func $start {grow})
    (start $start)
    (func (export "size") (result i32) memory.size))
  (core module $b
    (import "a" "memory" (memory 1 3))
    (data (i32.const 70000) "\2a\2b")
    (func (export "peek") (result i32) i32.const 70000 i32.load16_u))
  (core instance $ia (instantiate $a))
  (core instance $ib (instantiate $b (with "a" (instance $ia))))
  (func (export "size") (result u32) (canon lift (core func $ia "size")))
  (func (export "peek") (result u32) (canon lift (core func $ib "peek"))))
"#
    );
    wat::parse_str(wat).expect("test component parses")
}

#[test]
fn a_segment_fits_in_a_memory_an_earlier_start_function_grew() {
    let grown = grown_then_segment(true);
    assert!(instantiates(&grown).expect("the harness's engine"));
    same_with_each_strategy(&grown);
    let not_grown = grown_then_segment(false);
    assert!(!instantiates(&not_grown).expect("the harness's engine"));
    traps_with_each_strategy(&not_grown, "not grown");
}
