//! Self-tests of the differential harness on components that use WASI:
//! output to stdout/stderr must be captured and compared per call, and a
//! command's `wasi:cli/run` must be run and compared.
//!
//! The components are built from a core module in WAT plus a small WIT
//! world (a subset of WASI 0.2.0) with wit-component, the way toolchains
//! build them.

use meld_tests::harness::{Aspect, CompareOptions, Report, compare};
use wit_component::{ComponentEncoder, StringEncoding, embed_component_metadata};
use wit_parser::Resolve;

/// The world the test components target: just enough of WASI to print.
const WIT: &str = r#"
package meld:selftest;

world printer {
  import wasi:cli/stdout@0.2.0;
  import wasi:cli/stderr@0.2.0;
  import wasi:cli/exit@0.2.0;
  export wasi:cli/run@0.2.0;
  /// Prints `n` lines (n mod 4) to stdout, and "err" to stderr if n is odd.
  export greet: func(n: u32);
  /// Exits with `code` if it is nonzero, else returns it.
  export maybe-exit: func(code: u8) -> u8;
}

package wasi:io@0.2.0 {
  interface error {
    resource error;
  }
  interface streams {
    use error.{error};
    variant stream-error {
      last-operation-failed(error),
      closed,
    }
    resource output-stream {
      blocking-write-and-flush: func(contents: list<u8>) -> result<_, stream-error>;
    }
  }
}

package wasi:cli@0.2.0 {
  interface stdout {
    use wasi:io/streams@0.2.0.{output-stream};
    get-stdout: func() -> output-stream;
  }
  interface stderr {
    use wasi:io/streams@0.2.0.{output-stream};
    get-stderr: func() -> output-stream;
  }
  interface exit {
    exit: func(status: result);
  }
  interface run {
    run: func() -> result;
  }
}
"#;

/// The core module; `{line}` is the text printed per line (12 bytes),
/// `{run}` what `run` prints (12 bytes).
const CORE: &str = r#"
(module
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $get-stdout (result i32)))
  (import "wasi:cli/stderr@0.2.0" "get-stderr" (func $get-stderr (result i32)))
  (import "wasi:cli/exit@0.2.0" "exit" (func $exit (param i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.0" "[resource-drop]output-stream" (func $drop (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{line}")
  (data (i32.const 96) "{run}")
  (data (i32.const 128) "err\n")

  ;; Writes `len` bytes at `ptr` to the stream `get` returns.
  (func $print (param $stream i32) (param $ptr i32) (param $len i32)
    (call $write (local.get $stream) (local.get $ptr) (local.get $len) (i32.const 16))
    (call $drop (local.get $stream)))

  (func (export "greet") (param $n i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.and (local.get $n) (i32.const 3))))
      (call $print (call $get-stdout) (i32.const 64) (i32.const 12))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (call $print (call $get-stderr) (i32.const 128) (i32.const 4)))))

  (func (export "maybe-exit") (param $code i32) (result i32)
    (if (local.get $code) (then (call $exit (i32.const 1))))
    local.get $code)

  (func (export "wasi:cli/run@0.2.0#run") (result i32)
    (call $print (call $get-stdout) (i32.const 96) (i32.const 12))
    i32.const 0)

  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    unreachable)
)
"#;

/// A printer component whose lines read `line` and whose `run` prints
/// `run` (both exactly 12 bytes).
fn printer(line: &str, run: &str) -> Vec<u8> {
    printer_from(CORE, line, run)
}

/// Like [`printer`], from another core module template.
fn printer_from(core: &str, line: &str, run: &str) -> Vec<u8> {
    assert_eq!(
        (line.len(), run.len()),
        (12, 12),
        "the template's lengths are fixed"
    );
    let wat = core
        .replace("{line}", &line.replace('\n', "\\n"))
        .replace("{run}", &run.replace('\n', "\\n"));
    let mut module = wat::parse_str(&wat).expect("the core module assembles");
    let mut resolve = Resolve::default();
    let package = resolve
        .push_str("printer.wit", WIT)
        .expect("the WIT parses");
    let world = resolve
        .select_world(&[package], Some("printer"))
        .expect("the world exists");
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .expect("metadata embeds");
    ComponentEncoder::default()
        .module(&module)
        .expect("the module is a valid component core")
        .validate(true)
        .encode()
        .expect("the component encodes")
}

fn run(original: &[u8], fused: &[u8]) -> Report {
    compare(original, fused, &CompareOptions::default()).expect("the harness runs")
}

const RUN: &str = "wasi:cli/run@0.2.0#run";

#[test]
fn a_printing_command_matches_itself() {
    let wasm = printer("hello world\n", "running now\n");
    let report = run(&wasm, &wasm);
    println!("{report}");
    report.assert_clean();
    // `run` is called once, after the other exports.
    assert_eq!(
        report.functions.last().map(|c| c.function.as_str()),
        Some(RUN),
        "{report}"
    );
    let per_function = CompareOptions::default().calls_per_function;
    assert!(report.calls > 2 * per_function, "{}", report.summary());
    // WASI is linked, not stubbed: printing works and nothing traps but
    // `maybe-exit`'s exits.
    assert!(report.stubbed_imports.is_empty(), "{report}");
    assert_eq!(
        report.coverage("greet").map(|c| c.trapped),
        Some(0),
        "{report}"
    );
    assert_eq!(
        report.coverage(RUN).map(|c| (c.calls, c.trapped)),
        Some((1, 0))
    );
}

#[test]
fn different_stdout_is_a_mismatch() {
    let original = printer("hello world\n", "running now\n");
    let fused = printer("hello wurld\n", "running now\n");
    let report = run(&original, &fused);
    let mismatches = report.mismatches_in("greet");
    assert!(!mismatches.is_empty(), "{report}");
    for mismatch in &mismatches {
        assert_eq!(mismatch.aspects, [Aspect::Stdout], "{mismatch}");
        assert!(
            mismatch.original.contains(r#"stdout "hello world\n"#),
            "{mismatch}"
        );
        assert!(
            mismatch.fused.contains(r#"stdout "hello wurld\n"#),
            "{mismatch}"
        );
    }
    // Calls that print nothing (n mod 4 == 0) agree; the command's output
    // is the same.
    assert!(report.mismatch_count < report.calls, "{}", report.summary());
    assert!(report.mismatches_in(RUN).is_empty(), "{report}");
}

#[test]
fn a_commands_output_is_compared() {
    let original = printer("hello world\n", "running now\n");
    let fused = printer("hello world\n", "running NOW\n");
    let report = run(&original, &fused);
    let mismatches = report.mismatches_in(RUN);
    assert_eq!(mismatches.len(), 1, "{report}");
    assert_eq!(mismatches[0].aspects, [Aspect::Stdout]);
    assert_eq!(report.mismatch_count, 1, "{report}");
    assert!(
        mismatches[0].original.starts_with("returned (ok); stdout"),
        "{}",
        mismatches[0]
    );
}

#[test]
fn stderr_is_captured_separately() {
    let wasm = printer("hello world\n", "running now\n");
    // Compare against a component that never prints to stderr: `greet`
    // with odd `n` must then differ in stderr alone.
    let quiet_wat = CORE.replace(
        "(then (call $print (call $get-stderr) (i32.const 128) (i32.const 4)))",
        "(then)",
    );
    assert_ne!(quiet_wat, CORE, "the template changed");
    let quiet = printer_from(&quiet_wat, "hello world\n", "running now\n");
    let report = run(&wasm, &quiet);
    let mismatches = report.mismatches_in("greet");
    assert!(!mismatches.is_empty(), "{report}");
    for mismatch in &mismatches {
        assert_eq!(mismatch.aspects, [Aspect::Stderr], "{mismatch}");
        assert!(
            mismatch.original.ends_with(r#"stderr "err\n""#),
            "{mismatch}"
        );
    }
}

#[test]
fn exit_codes_are_outcomes() {
    let wasm = printer("hello world\n", "running now\n");
    let report = run(&wasm, &wasm);
    report.assert_clean();
    // Every nonzero code exits and poisons the instance; both sides are
    // instantiated afresh each time.
    assert!(report.reinstantiations > 0, "{}", report.summary());
    let exits = report.coverage("maybe-exit").expect("called");
    // Code 0 returns; every other u8 exits.
    assert!(
        exits.trapped > 0 && exits.trapped < exits.calls,
        "{exits:?}"
    );
}

#[test]
fn different_exit_codes_are_a_mismatch() {
    let original = printer("hello world\n", "running now\n");
    // Exits with `ok` (code 0) instead of `err` (code 1).
    let exits_ok = CORE.replace(
        "(then (call $exit (i32.const 1)))",
        "(then (call $exit (i32.const 0)))",
    );
    assert_ne!(exits_ok, CORE, "the template changed");
    let fused = printer_from(&exits_ok, "hello world\n", "running now\n");
    let report = run(&original, &fused);
    let mismatches = report.mismatches_in("maybe-exit");
    assert!(!mismatches.is_empty(), "{report}");
    for mismatch in &mismatches {
        assert_eq!(mismatch.aspects, [Aspect::Outcome]);
        assert_eq!(mismatch.original, "exit(1)");
        assert_eq!(mismatch.fused, "exit(0)");
    }
}
