//! Each case is a program run twice under wasmtime: once as written, with a
//! `$suspend` that answers at once, and once transformed, with a `$suspend`
//! that unwinds the whole stack to the host, which answers and rewinds it.
//! Both runs must give the same result and the same trace (a hash every
//! step of the program folds into, so code run twice or skipped shows).

use super::*;
use wasmtime::{Engine, Instance, Module, Store};

/// Functions 0..=4 are fixed: `$suspend`, the two stop functions, `$check`
/// and `$step`; a case's functions follow.
const PRELUDE: &str = r#"
  (memory (export "memory") 1)
  (global $state (export "state") (mut i32) (i32.const 0))
  (global $sp (mut i32) (i32.const 0))
  (global $limit (mut i32) (i32.const 0))
  (global $resume_with (mut i32) (i32.const 0))
  (global $asked (export "asked") (mut i32) (i32.const 0))
  (global $trace (export "trace") (mut i64) (i64.const 7))
  (func $suspend (param $v i32) (result i32)
    SUSPEND)
  (func (export "start") (result i32)
    (global.set $sp (i32.const 1024))
    (global.set $limit (i32.const 65536))
    (global.set $state (i32.const 0))
    (call $entry)
    (call $check))
  (func (export "resume") (param $v i32) (result i32)
    (global.set $resume_with (local.get $v))
    (global.set $state (i32.const 2))
    (call $entry)
    (call $check))
  (func $check (param $r i32) (result i32)
    (if (result i32) (i32.eq (global.get $state) (i32.const 1))
      (then (global.set $state (i32.const 0)) (i32.const -1))
      (else (local.get $r))))
  (func $step (param $x i64)
    (global.set $trace
      (i64.add (i64.mul (global.get $trace) (i64.const 31)) (local.get $x))))
"#;

const ANSWER_AT_ONCE: &str = "(i32.add (i32.mul (local.get $v) (i32.const 3)) (i32.const 1))";

const UNWIND: &str = r#"
    (if (result i32) (i32.eq (global.get $state) (i32.const 2))
      (then (global.set $state (i32.const 0)) (global.get $resume_with))
      (else (global.set $state (i32.const 1)) (global.set $asked (local.get $v)) (i32.const 0)))"#;

fn module(body: &str, suspend: &str) -> Vec<u8> {
    let text = format!("(module {} {body})", PRELUDE.replace("SUSPEND", suspend));
    wat::parse_str(&text).expect("test program parses")
}

fn config() -> Config {
    config_at(0)
}

fn config_at(base: u32) -> Config {
    Config {
        globals: Globals {
            state: 0,
            sp: 1,
            limit: 2,
            grow: None,
            memory: 0,
            base,
        },
        suspend: BTreeSet::from([0]),
        stop: BTreeSet::from([1, 2]),
        calm: Calm::none(),
    }
}

/// (result, trace, how many times it suspended)
/// An engine with the proposals the cases use (GC, typed function
/// references, exceptions).
fn engine() -> Engine {
    let mut config = wasmtime::Config::new();
    config
        .wasm_gc(true)
        .wasm_function_references(true)
        .wasm_exceptions(true);
    Engine::new(&config).expect("engine")
}

fn run(wasm: &[u8]) -> (i32, i64, u32) {
    let engine = engine();
    let module = Module::new(&engine, wasm).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let start = instance
        .get_typed_func::<(), i32>(&mut store, "start")
        .expect("start");
    let resume = instance
        .get_typed_func::<i32, i32>(&mut store, "resume")
        .expect("resume");
    let asked = instance.get_global(&mut store, "asked").expect("asked");
    let mut suspensions = 0;
    let mut result = start.call(&mut store, ()).expect("start runs");
    while result == -1 {
        suspensions += 1;
        assert!(suspensions < 10_000, "does not finish");
        let v = asked.get(&mut store).unwrap_i32();
        result = resume
            .call(&mut store, v.wrapping_mul(3).wrapping_add(1))
            .expect("resume runs");
    }
    let state = instance.get_global(&mut store, "state").expect("state");
    assert_eq!(state.get(&mut store).unwrap_i32(), NORMAL);
    let trace = instance.get_global(&mut store, "trace").expect("trace");
    (result, trace.get(&mut store).unwrap_i64(), suspensions)
}

/// Runs `body` both ways; returns how many times the transformed one
/// suspended.
pub(super) fn same(body: &str) -> u32 {
    same_with_tables(body).0
}

/// [`same`], and how many reference tables the transform added.
pub(super) fn same_with_tables(body: &str) -> (u32, usize) {
    let reference = run(&module(body, ANSWER_AT_ONCE));
    let (transformed, report) = instrument(&module(body, UNWIND), &config()).expect("transforms");
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(&transformed)
        .expect("the transformed module validates");
    if !report.transformed.is_empty() {
        assert!(report.code_after > report.code_before);
    }
    let fused = run(&transformed);
    assert_eq!(
        (reference.0, reference.1),
        (fused.0, fused.1),
        "result and trace"
    );
    assert_eq!(reference.2, 0);
    (fused.2, report.reference_tables)
}

#[test]
fn nested_calls_keep_operands_and_locals() {
    let n = same(
        r#"
        (func $entry (result i32)
          (local $l i64) (local $f f64)
          (local.set $l (i64.const 1000))
          (local.set $f (f64.const 2.5))
          (call $step (i64.const 1))
          ;; 5 and the i64 stay on the operand stack across the suspension
          (i32.add
            (i32.const 5)
            (i32.wrap_i64 (i64.add (local.get $l) (i64.extend_i32_u (call $a (i32.const 10))))))
          (call $step (i64.trunc_f64_s (local.get $f)))
          (i32.add (call $a (i32.const 20))))
        (func $a (param $x i32) (result i32)
          (local $v v128) (local $g f32)
          (local.set $v (v128.const i32x4 1 2 3 4))
          (local.set $g (f32.const 1.5))
          (call $step (i64.extend_i32_u (local.get $x)))
          (i32.add
            (call $b (local.get $x))
            (i32.add (i32x4.extract_lane 3 (local.get $v)) (i32.trunc_f32_s (local.get $g)))))
        (func $b (param $x i32) (result i32)
          (call $step (i64.const 3))
          (i32.add (call $suspend (local.get $x)) (call $suspend (i32.const 7))))
        "#,
    );
    assert_eq!(n, 4);
}

#[test]
fn loops_and_branches() {
    let n = same(
        r#"
        (func $entry (result i32)
          (local $i i32) (local $acc i32)
          (block $out
            (loop $again
              (br_if $out (i32.ge_u (local.get $i) (i32.const 6)))
              (call $step (i64.extend_i32_u (local.get $i)))
              ;; suspend in one branch of an if, a br_table elsewhere
              (if (i32.and (local.get $i) (i32.const 1))
                (then (local.set $acc (i32.add (local.get $acc) (call $suspend (local.get $i)))))
                (else
                  (block $two (block $one (block $zero
                    (br_table $zero $one $two (i32.rem_u (local.get $i) (i32.const 3))))
                    (local.set $acc (i32.add (local.get $acc) (i32.const 100))) (br $two))
                    (local.set $acc (i32.add (local.get $acc) (call $suspend (i32.const 50)))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $again)))
          (local.get $acc))
        "#,
    );
    assert!(n >= 4, "{n}");
}

#[test]
fn blocks_with_values_and_early_return() {
    same(
        r#"
        (type $pair (func (param i32) (result i32 i64)))
        (func $entry (result i32)
          (local $r i64)
          (i32.const 9)
          (block (type $pair)
            (call $step (i64.const 2))
            (call $suspend)
            (i64.const 44))
          (local.set $r)
          (i32.add (i32.wrap_i64 (local.get $r)))
          (call $early (i32.const 1))
          (i32.add)
          (call $early (i32.const 0))
          (i32.add))
        (func $early (param $x i32) (result i32)
          (if (local.get $x) (then (return (call $suspend (i32.const 3)))))
          (call $step (i64.const 9))
          (i32.const 12))
        "#,
    );
}

#[test]
fn calls_through_a_table() {
    let n = same(
        r#"
        (type $t (func (param i32) (result i32)))
        (table 2 funcref)
        (elem (i32.const 0) $plain $suspends)
        (func $entry (result i32)
          (i32.add
            (call_indirect (type $t) (i32.const 4) (i32.const 0))
            (call_indirect (type $t) (i32.const 5) (i32.const 1))))
        (func $plain (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
        (func $suspends (param i32) (result i32)
          (call $step (i64.const 5))
          (call $suspend (local.get 0)))
        "#,
    );
    assert_eq!(n, 1);
}

#[test]
fn functions_that_cannot_suspend_keep_their_bytes() {
    let body = r#"
        (func $entry (result i32) (call $suspend (call $pure (i32.const 2))))
        (func $pure (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    "#;
    let original = module(body, UNWIND);
    let (transformed, report) = instrument(&original, &config()).expect("transforms");
    assert_eq!(report.transformed, BTreeSet::from([5]));
    let body_of = |wasm: &[u8], index: usize| -> Vec<u8> {
        Parser::new(0)
            .parse_all(wasm)
            .filter_map(|p| match p.ok()? {
                Payload::CodeSectionEntry(b) => Some(b.as_bytes().to_vec()),
                _ => None,
            })
            .nth(index)
            .expect("body")
    };
    for untouched in [0, 1, 2, 3, 4, 6] {
        assert_eq!(
            body_of(&original, untouched),
            body_of(&transformed, untouched)
        );
    }
    assert_ne!(body_of(&original, 5), body_of(&transformed, 5));
    // nothing is added for references where no frame holds one (not even
    // the type of the functions that would find a slot)
    let counts = |wasm: &[u8]| {
        let wat = wasmprinter::print_bytes(wasm).expect("prints");
        let lines: Vec<String> = wat.lines().map(|l| l.trim_start().to_string()).collect();
        let count = |what: &str| lines.iter().filter(|l| l.starts_with(what)).count();
        let result_i32 = lines
            .iter()
            .filter(|l| l.starts_with("(type") && l.ends_with("(func (result i32)))"))
            .count();
        (
            count("(table"),
            count("(global"),
            count("(func"),
            result_i32,
        )
    };
    assert_eq!(counts(&original), counts(&transformed));
}

#[test]
fn refused_shapes_are_typed_errors() {
    let tail = module(
        r#"(func $entry (result i32) (return_call $suspend (i32.const 1)))"#,
        UNWIND,
    );
    let err = instrument(&tail, &config()).expect_err("tail call refused");
    assert_eq!(err.kind(), crate::error::ErrorKind::Unsupported);
    assert!(err.message().contains("tail"), "{err}");

    // a non-nullable result no constant can make a placeholder for
    for (result, body) in [
        (
            "(ref extern)",
            "(func $make (param (ref extern)) (result (ref extern)) \
               (drop (call $suspend (i32.const 1))) (local.get 0))",
        ),
        (
            "(ref 0)",
            "(type $loop (struct (field (ref $loop)))) \
             (func $make (result (ref $loop)) (drop (call $suspend (i32.const 1))) unreachable)",
        ),
    ] {
        let text = module(
            &format!("{body} (func $entry (result i32) (call $suspend (i32.const 1)))"),
            UNWIND,
        );
        let err = instrument(&text, &config()).expect_err("refused");
        assert_eq!(err.kind(), crate::error::ErrorKind::Unsupported);
        assert!(
            err.message()
                .contains(&format!("non-nullable reference ({result})")),
            "{err}"
        );
        // named as the name section names it (the offsets are the fused
        // module's, which would point anywhere in an input)
        assert!(err.message().starts_with("function `make`"), "{err}");
    }
}

/// Functions returning non-nullable references that unwind return a
/// placeholder of their type (a struct made of placeholders, an empty
/// array, a function that traps, an `i31`); their callers unwind too and
/// never read it.
#[test]
fn non_nullable_results_while_unwinding() {
    let n = same(
        r#"
        (type $leaf (struct (field i32)))
        (type $node (struct (field i8) (field (ref $leaf)) (field (ref null $node)) (field f64)))
        (type $nums (array (mut i32)))
        (type $unary (func (param i32) (result i32)))
        (elem declare func $triple)
        (func $triple (type $unary) (i32.mul (local.get 0) (i32.const 3)))
        (func $make_node (result (ref $node))
          (struct.new $node (i32.const 1) (struct.new $leaf (call $suspend (i32.const 1)))
            (ref.null $node) (f64.const 2)))
        (func $make_nums (result (ref $nums))
          (array.new $nums (call $suspend (i32.const 2)) (i32.const 3)))
        (func $pick (result (ref $unary))
          (drop (call $suspend (i32.const 3))) (ref.func $triple))
        (func $any_func (result (ref func))
          (drop (call $suspend (i32.const 4))) (ref.func $triple))
        (func $small (result (ref i31))
          (ref.i31 (call $suspend (i32.const 5))))
        (func $entry (result i32)
          (local $n (ref $node))
          (local.set $n (call $make_node))
          (i32.add
            (i32.add (struct.get $leaf 0 (struct.get $node 1 (local.get $n)))
                     (array.get $nums (call $make_nums) (i32.const 2)))
            (i32.add (call_ref $unary (i32.const 7) (call $pick))
              (i32.add
                (call_ref $unary (i32.const 1) (ref.cast (ref $unary) (call $any_func)))
                (i31.get_s (call $small))))))
    "#,
    );
    assert_eq!(n, 5);
}

/// References live across a suspension, in locals (nullable and not,
/// parameters too) and on the operand stack: a struct, a typed function
/// reference, `externref` null, an `exnref` rethrown after the wait.
#[test]
fn references_live_across_a_suspension() {
    let n = same(
        r#"
        (type $box (struct (field (mut i32))))
        (type $unary (func (param i32) (result i32)))
        (tag $oops (param i32))
        (elem declare func $triple)
        (func $triple (type $unary) (i32.mul (local.get 0) (i32.const 3)))
        (func $entry (result i32)
          (local $b (ref $box)) (local $maybe (ref null $box))
          (local $f (ref $unary)) (local $x externref)
          (local.set $b (struct.new $box (i32.const 5)))
          (local.set $f (ref.func $triple))
          (struct.set $box 0 (local.get $b)
            (i32.add (struct.get $box 0 (local.get $b)) (call $suspend (i32.const 1))))
          (call $step (i64.extend_i32_u (struct.get $box 0 (local.get $b))))
          ;; a reference on the stack below the call's operand
          (call $step (i64.extend_i32_u
            (call $add_to (local.get $b) (call $suspend (i32.const 2)))))
          (if (i32.eqz (ref.is_null (local.get $maybe))) (then (unreachable)))
          (if (i32.eqz (ref.is_null (local.get $x))) (then (unreachable)))
          (call $step (i64.extend_i32_u (call $keep (local.get $b) (i32.const 3))))
          (i32.add
            (call_ref $unary (struct.get $box 0 (local.get $b)) (local.get $f))
            (call $rethrown)))
        (func $add_to (param $b (ref $box)) (param $v i32) (result i32)
          (i32.add (struct.get $box 0 (local.get $b)) (local.get $v)))
        ;; a non-nullable parameter kept across two waits
        (func $keep (param $b (ref $box)) (param $v i32) (result i32)
          (drop (call $suspend (local.get $v)))
          (struct.set $box 0 (local.get $b)
            (i32.add (struct.get $box 0 (local.get $b)) (call $suspend (i32.const 4))))
          (struct.get $box 0 (local.get $b)))
        ;; an exception caught with its reference, a wait, then rethrown
        (func $rethrown (result i32)
          (local $e exnref)
          (local.set $e
            (block $caught (result exnref)
              (try_table (catch_all_ref $caught)
                (throw $oops (i32.const 7)))
              (unreachable)))
          (call $step (i64.extend_i32_u (call $suspend (i32.const 5))))
          (block $got (result i32)
            (try_table (catch $oops $got)
              (throw_ref (local.get $e)))
            (unreachable)))
    "#,
    );
    assert_eq!(n, 5);
}

/// Frames saved at once hold more references than a table starts with
/// (it grows), and slots freed by one resumption are taken again by the
/// next suspension.
#[test]
fn many_saved_references_grow_and_reuse_the_table() {
    let n = same(
        r#"
        (type $box (struct (field i32)))
        (func $entry (result i32)
          (i32.add (call $down (i32.const 30)) (call $down (i32.const 12))))
        ;; each level keeps a box across the calls below it and a wait
        (func $down (param $n i32) (result i32)
          (local $b (ref null $box)) (local $none (ref null $box))
          (local.set $b (struct.new $box (i32.mul (local.get $n) (i32.const 7))))
          (if (result i32) (i32.eqz (local.get $n))
            (then (call $suspend (i32.const 100)))
            (else
              (i32.add
                (call $down (i32.sub (local.get $n) (i32.const 1)))
                (i32.add
                  (call $suspend (local.get $n))
                  (struct.get $box 0 (local.get $b)))))))
    "#,
    );
    assert_eq!(n, 44);
}

#[test]
fn a_frame_that_does_not_fit_traps() {
    let body = r#"
        (func $entry (result i32) (call $suspend (i32.const 1)))
    "#;
    let text = module(body, UNWIND);
    let (mut transformed, _) = instrument(&text, &config()).expect("transforms");
    // Shrink the save area to nothing: `start` sets limit = sp.
    let wat = wasmprinter::print_bytes(&transformed).expect("prints");
    let wat = wat.replacen("i32.const 65536", "i32.const 1024", 1);
    transformed = wat::parse_str(&wat).expect("reparses");
    let engine = Engine::default();
    let module = Module::new(&engine, &transformed).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let start = instance
        .get_typed_func::<(), i32>(&mut store, "start")
        .expect("start");
    let trap = start.call(&mut store, ()).expect_err("overflow traps");
    assert_eq!(
        trap.downcast_ref::<wasmtime::Trap>(),
        Some(&wasmtime::Trap::UnreachableCodeReached)
    );
}

#[test]
fn frames_go_to_the_base_plus_sp() {
    // With a base (a shared memory's region of the scheduler), frames are
    // saved at base + sp: the area at sp itself stays untouched.
    let body = r#"
        (func $entry (result i32)
          (local $keep i64)
          (local.set $keep (i64.const 0x0102030405060708))
          (i32.add (call $suspend (i32.const 3)) (i32.wrap_i64 (local.get $keep))))
    "#;
    let (wasm, _) = instrument(&module(body, UNWIND), &config_at(8192)).expect("transforms");
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm).expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let start = instance
        .get_typed_func::<(), i32>(&mut store, "start")
        .expect("start");
    assert_eq!(start.call(&mut store, ()).expect("suspends"), -1);
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    let data = memory.data(&store);
    // `start` puts sp at 1024.
    assert!(data[1024..2048].iter().all(|&b| b == 0));
    let saved = &data[8192 + 1024..8192 + 2048];
    assert!(
        saved
            .windows(8)
            .any(|w| w == 0x0102030405060708u64.to_le_bytes()),
        "the i64 local is saved at base + sp"
    );
    let resume = instance
        .get_typed_func::<i32, i32>(&mut store, "resume")
        .expect("resume");
    assert_eq!(
        resume.call(&mut store, 10).expect("resumes"),
        10 + 0x05060708
    );
}

/// A call through a table reaches only what the table may hold: with the
/// suspending function in another table only, the caller keeps its bytes;
/// once the code may put any reference in the caller's table
/// (`table.set`), the caller is transformed, and runs the same.
#[test]
fn a_table_without_suspending_functions_keeps_its_callers() {
    let body = |set: &str| {
        format!(
            r#"
        (type $t (func (param i32) (result i32)))
        (table $mine 1 funcref)
        (table $other 1 funcref)
        (elem (table $mine) (i32.const 0) func $plain)
        (elem (table $other) (i32.const 0) func $suspends)
        (elem declare func $suspends)
        (func $entry (result i32)
          {set}
          (i32.add
            (call $through_mine (i32.const 4))
            (call_indirect $other (type $t) (i32.const 5) (i32.const 0))))
        (func $through_mine (param i32) (result i32)
          (call_indirect $mine (type $t) (local.get 0) (i32.const 0)))
        (func $plain (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
        (func $suspends (param i32) (result i32)
          (call $step (i64.const 3))
          (call $suspend (local.get 0)))
    "#
        )
    };
    // functions: 0-4 the prelude's, 5 $entry, 6 $through_mine, 7 $plain,
    // 8 $suspends
    let closed = module(&body(""), UNWIND);
    let (_, report) = instrument(&closed, &config()).expect("transforms");
    assert_eq!(report.transformed, BTreeSet::from([5, 8]));
    assert_eq!(same(&body("")), 1);
    let opened = body("(table.set $mine (i32.const 0) (ref.func $plain))");
    let (_, report) = instrument(&module(&opened, UNWIND), &config()).expect("transforms");
    assert_eq!(report.transformed, BTreeSet::from([5, 6, 8]));
    assert_eq!(same(&opened), 1);
}

/// The tables, hints and functions added for saved references are named
/// in the name section, beside the module's own names.
#[test]
fn added_reference_tables_are_named() {
    let text = module(
        r#"(type $box (struct (field i32)))
           (func $entry (result i32) (local $b (ref null $box)) (local $x externref)
             (local.set $b (struct.new $box (i32.const 2)))
             (drop (call $suspend (i32.const 1)))
             (drop (local.get $x))
             (struct.get $box 0 (local.get $b)))"#,
        UNWIND,
    );
    let (transformed, report) = instrument(&text, &config()).expect("transforms");
    assert_eq!(report.reference_tables, 2);
    let wat = wasmprinter::print_bytes(&transformed).expect("prints");
    for name in [
        "$\"meld saved references take a slot of (ref null 0)\"",
        "$\"meld saved references of type externref\"",
        "$\"meld saved references next slot of (ref null 0)\"",
        "$entry",
        "$sp",
    ] {
        assert!(wat.contains(name), "{name} in\n{wat}");
    }
}
