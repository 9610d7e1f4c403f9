//! The Canonical ABI's checks on values crossing a boundary, compared
//! between wasmtime and fused output with a hand-written pair
//! (`abi_checks.wat`): a consumer passes invalid arguments (invalid utf8,
//! lone surrogates and misaligned pointers in utf16, out-of-bounds
//! pointers and lengths, invalid chars in lists and records, bools stored
//! as 2, bad variant, enum and option discriminants) and a provider
//! returns invalid results of the same kinds. Where wasmtime traps the
//! fused output must trap; where it normalises (bools) the fused output
//! must normalise the same way.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, Report, compare};

const TEMPLATE: &str = include_str!("abi_checks.wat");

/// The data both inner components hold (see `abi_checks.wat`).
const DATA: &str = r#"
      (data (i32.const 0x100) "hello")
      (data (i32.const 0x110) "\ff\fe")
      (data (i32.const 0x120) "\e2\82")
      (data (i32.const 0x130) "\ed\a0\80")
      (data (i32.const 0x140) "h\00i\00")
      (data (i32.const 0x150) "\00\d8A\00")
      (data (i32.const 0x160) "A\00\00\dc")
      (data (i32.const 0x170) "A\00\00\00\00\f6\01\00")
      (data (i32.const 0x180) "A\00\00\00\00\d8\00\00")
      (data (i32.const 0x190) "\00\00\11\00")
      (data (i32.const 0x1a0) "\02\00\00\00A\00\00\00")
      (data (i32.const 0x1b0) "\01\00\00\00\ff\df\00\00")
      (data (i32.const 0x1c0) "\03\00\00\00\09\00\00\00\00\00\00\00")
      (data (i32.const 0x1d0) "\01\00\00\00\07\00\00\00\00\00\00\00")
      (data (i32.const 0x210) "\02\00\00\00\00\ff\ff\ff\04\00\00\00")
      (data (i32.const 0x220) "\02\00\00\00\00\01\00\00\05\00\00\00")
"#;

/// One page of wasm memory: the inner components have exactly one when
/// these cases run, so `PAGE - n` is `n` bytes before the end.
const PAGE: u32 = 0x1_0000;

/// Eight (ptr, len) cases per table; table `t` sits at `0x800 + 64 t`.
const TABLES: [[(u32, u32); 8]; 7] = [
    // 0: utf8 strings: valid, invalid byte, truncated sequence, an
    // encoded surrogate, pointer + length overflowing, empty, one byte
    // past the end, a length of 2 GiB.
    [
        (0x100, 5),
        (0x110, 2),
        (0x120, 2),
        (0x130, 3),
        (0xFFFF_FFF0, 32),
        (0x100, 0),
        (PAGE - 1, 2),
        (0x100, 0x8000_0000),
    ],
    // 1: utf16 strings (lengths in code units): valid, lone high
    // surrogate, lone low surrogate at the end, misaligned, byte length
    // overflowing, empty, the last unit of memory, misaligned and past
    // the end.
    [
        (0x140, 2),
        (0x150, 2),
        (0x160, 2),
        (0x141, 2),
        (0x140, 0x4000_0000),
        (0x140, 0),
        (PAGE - 2, 1),
        (PAGE - 1, 1),
    ],
    // 2: list<char>: valid (with an astral char), a surrogate, 0x110000,
    // misaligned, byte length overflowing, empty at 0, the last char of
    // memory, one char past the end.
    [
        (0x170, 2),
        (0x180, 2),
        (0x190, 1),
        (0x172, 1),
        (0x170, 0x4000_0001),
        (0, 0),
        (PAGE - 4, 1),
        (PAGE - 4, 2),
    ],
    // 3: record {b: bool, c: char} returned through a pointer: b stored
    // as 2, an invalid char, zeros, misaligned, out of bounds, b as 2
    // again, past the end, the last record of memory.
    [
        (0x1a0, 0),
        (0x1b0, 0),
        (0x1a8, 0),
        (0x1a2, 0),
        (0xFFFF_FFF8, 0),
        (0x1a0, 0),
        (PAGE - 4, 0),
        (PAGE - 8, 0),
    ],
    // 4: variant {a, b(u32), c(string)} returned through a pointer: case
    // 3 (invalid), b(7), c with an out-of-bounds string, c("hello"),
    // misaligned, a (zeros), past the end, the last variant of memory.
    [
        (0x1c0, 0),
        (0x1d0, 0),
        (0x210, 0),
        (0x220, 0),
        (0x1c1, 0),
        (0x1dc, 0),
        (PAGE - 4, 0),
        (PAGE - 12, 0),
    ],
    // 5: list<record {b: bool, c: char}>: b as 2, an invalid char, two
    // records, misaligned, byte length overflowing, empty, the last
    // record of memory, one past the end.
    [
        (0x1a0, 1),
        (0x1b0, 1),
        (0x1a0, 2),
        (0x1a4, 1),
        (0x1a0, 0x2000_0000),
        (0, 0),
        (PAGE - 8, 1),
        (PAGE - 8, 2),
    ],
    // 6: list<variant {a, b(u32), c(string)}>: case 3, b(7), c with an
    // out-of-bounds string, c("hello"), misaligned, empty, b(7) then a,
    // past the end.
    [
        (0x1c0, 1),
        (0x1d0, 1),
        (0x210, 1),
        (0x220, 1),
        (0x1c2, 1),
        (0, 0),
        (0x1d0, 2),
        (PAGE - 4, 1),
    ],
];

/// The composed component: the template with data and tables filled in.
fn source() -> String {
    let mut tables = String::new();
    for (index, table) in TABLES.iter().enumerate() {
        let bytes: String = table
            .iter()
            .flat_map(|(ptr, len)| ptr.to_le_bytes().into_iter().chain(len.to_le_bytes()))
            .map(|byte| format!("\\{byte:02x}"))
            .collect();
        tables.push_str(&format!(
            "      (data (i32.const {}) \"{bytes}\")\n",
            0x800 + 64 * index
        ));
    }
    TEMPLATE
        .replace(";;DATA", DATA.trim())
        .replace(";;TABLES", tables.trim())
}

fn options() -> CompareOptions {
    CompareOptions {
        calls_per_function: 64,
        ..CompareOptions::default()
    }
}

/// Every function must have been called with cases that trap and cases
/// that return, or the fixture does not test what it claims to.
fn assert_mixed_outcomes(report: &Report) {
    assert_eq!(report.functions.len(), 13, "{report}");
    for coverage in &report.functions {
        assert!(
            coverage.trapped > 0 && coverage.trapped < coverage.calls,
            "{}: {} of {} calls trapped; expected some of each",
            coverage.function,
            coverage.trapped,
            coverage.calls
        );
    }
}

#[test]
fn every_check_is_reached_unfused() {
    let original = wat::parse_str(source()).expect("the WAT parses");
    let report = compare(&original, &original, &options()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert_mixed_outcomes(&report);
}

fn fused_checks_values_like_wasmtime(memory: MemoryStrategy) {
    let original = wat::parse_str(source()).expect("the WAT parses");
    let strategy = Options {
        memory,
        ..Options::default()
    };
    let fused = fuse(&[&original], &strategy).unwrap_or_else(|e| panic!("{e}"));
    let report = compare(&original, &fused.wasm, &options()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert_mixed_outcomes(&report);
}

#[test]
fn fused_output_checks_values_like_wasmtime() {
    fused_checks_values_like_wasmtime(MemoryStrategy::Multi);
}

/// With one memory, each component's memory is a region of it, larger
/// than the one page the cases count on: a string that ends past the
/// page, or an invalid one at its edge, must trap as it does in a memory
/// of its own (the string copies read their source without a region
/// check per load once its range is checked).
#[test]
fn fused_output_with_one_memory_checks_values_like_wasmtime() {
    fused_checks_values_like_wasmtime(MemoryStrategy::Shared);
}
