//! Calls through toolchains' import shims (`forward.wat-template`): a
//! shim module forwards each import through a table that a fixup module
//! fills once, as wit-component lays out imports that need a memory. The
//! fused module calls the filled slot's function directly where the
//! original can only ever reach that function (`core/src/merge/forward.rs`),
//! and keeps the shim where it cannot know: a slot of another type or
//! never filled (the call traps), a table the main module rewrites, a
//! start function that calls a shim before the table is filled, a shim
//! whose slot holds another shim, and two whose slots hold each other.

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::harness::run_script;
use wasmparser::{Operator, Parser, Payload};

/// The composition with the main module's optional parts.
fn composition(main_table: &str, swap: &str, start: &str) -> Vec<u8> {
    let wat = include_str!("forward.wat-template")
        .replace("@MAIN_TABLE@", main_table)
        .replace("@SWAP@", swap)
        .replace("@START@", start);
    wat::parse_str(&wat).expect("forward.wat-template parses")
}

const NO_SWAP: &str = r#"(func (export "swap"))"#;
const TABLE: &str = r#"(import "i" "table" (table $t 4 4 funcref))"#;
/// Copies slot 1 (`double-len`) into slot 0 (`len`).
const SWAP: &str =
    r#"(func (export "swap") (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1)))"#;
/// Calls `len` through its shim while the instance is made.
const START: &str =
    r#"(func $early (drop (call $len (i32.const 16) (i32.const 5)))) (start $early)"#;

fn strategies() -> [Options; 2] {
    [
        Options::default(),
        Options {
            memory: MemoryStrategy::Shared,
            ..Options::default()
        },
    ]
}

fn script() -> Vec<(&'static str, Vec<wasmtime::component::Val>)> {
    [
        "forward#call-len",
        "forward#call-double",
        "forward#swap",
        "forward#call-len",
        "forward#call-chain",
        "forward#call-wrong",
        "forward#call-null",
        "forward#call-loop",
    ]
    .into_iter()
    .map(|name| (name, Vec::new()))
    .collect()
}

/// How many `call`s the fused core module of `original` makes to each
/// function whose name contains `name`.
fn calls_to(original: &[u8], options: &Options, name: &str) -> usize {
    let core = fuse(
        &[original],
        &Options {
            output: OutputKind::Core,
            ..options.clone()
        },
    )
    .expect("fuses to a core module")
    .wasm;
    let mut named = Vec::new();
    let mut calls = Vec::new();
    for payload in Parser::new(0).parse_all(&core) {
        match payload.expect("the output parses") {
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                    for n in names {
                        if let wasmparser::Name::Function(map) = n.expect("names") {
                            for f in map {
                                let f = f.expect("a name");
                                if f.name.contains(name) {
                                    named.push(f.index);
                                }
                            }
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().expect("a body");
                while !ops.eof() {
                    if let Operator::Call { function_index } = ops.read().expect("an operator") {
                        calls.push(function_index);
                    }
                }
            }
            _ => {}
        }
    }
    assert!(!named.is_empty(), "no function named like `{name}`");
    calls.iter().filter(|f| named.contains(f)).count()
}

/// Runs `script()` on `original` (whose lines must be `expected`) and on
/// its fusion with each memory strategy, and counts the fused module's
/// calls to each shim named in `shim_calls`.
fn check(original: &[u8], expected: &[&str], shim_calls: &[(&str, usize)]) {
    let lines = run_script(original, &script()).expect("the original runs");
    assert_eq!(lines, expected, "the original");
    for options in strategies() {
        let fused = fuse(&[original], &options).expect("fuses");
        let got = run_script(&fused.wasm, &script()).expect("the fused output runs");
        assert_eq!(lines, got, "{:?}", options.memory);
        for &(shim, calls) in shim_calls {
            assert_eq!(
                calls_to(original, &options, shim),
                calls,
                "calls to `{shim}`, {:?}",
                options.memory
            );
        }
    }
}

#[test]
fn calls_go_past_shims_whose_slot_is_known() {
    check(
        &composition("", NO_SWAP, ""),
        &["[5]", "[10]", "[]", "[5]", "[5]", "trap", "trap", "trap"],
        &[
            // the main module calls `len` and `double-len` past their
            // shims; a slot of another type or never filled keeps its shim
            ("shim-len", 0),
            ("shim-double", 0),
            ("shim-wrong", 1),
            ("shim-null", 1),
            // a chain is followed by the segment that names the next
            // shim, a knot of shims is left as it is (and fusion ends)
            ("shim-chain", 1),
            ("shim-loop", 1),
        ],
    );
}

#[test]
fn a_table_the_code_rewrites_keeps_its_shims() {
    check(
        &composition(TABLE, SWAP, ""),
        &["[5]", "[10]", "[]", "[10]", "[10]", "trap", "trap", "trap"],
        // `call-len`'s, and `call-chain`'s, which goes past the chain's
        // shim to `len`'s, whose slot is not known
        &[("shim-len", 2)],
    );
}

#[test]
fn a_shim_called_before_its_slot_is_filled_traps() {
    let original = composition("", NO_SWAP, START);
    let calls = [("forward#call-len", Vec::new())];
    let expected = run_script(&original, &calls).expect_err("the original's start traps");
    assert!(
        expected.to_string().contains("instantiation failed"),
        "{expected}"
    );
    for options in strategies() {
        let fused = fuse(&[&original], &options).expect("fuses");
        let got = run_script(&fused.wasm, &calls).expect_err("the fused start traps");
        assert!(got.to_string().contains("instantiation failed"), "{got}");
        // the start function's call and the export's keep the shim, and
        // `call-chain`'s goes past the chain's shim to it
        assert_eq!(calls_to(&original, &options, "shim-len"), 3);
    }
}
