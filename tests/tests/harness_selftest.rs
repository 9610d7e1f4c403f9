//! Self-tests of the differential harness on hand-written components.
//!
//! One WAT template (`calc`) exports scalar functions inside an
//! interface instance (`meld:selftest/calc`), functions over named types
//! (record, variant, enum, flags) inside another (`meld:selftest/api`,
//! built the way wit-component builds exported interfaces: a nested
//! component that imports the lifted functions and types and re-exports
//! them), and functions over anonymous compound types (string, list,
//! option, result, tuple) at the root. Each test
//! builds the template, possibly with one function's body or one export
//! changed, and checks that the harness finds exactly the difference that
//! was planted — or none, where the two sides only differ in ways the
//! Canonical ABI allows (NaN payloads).

use meld_tests::harness::{Aspect, CompareOptions, Report, compare};

/// Where a function of the template is exported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In `meld:selftest/calc`.
    Calc,
    /// In `meld:selftest/api`, beside the named types.
    Api,
    /// At the root.
    Root,
}

/// The named types of the template, as `$name` in function types.
const NAMED_TYPES: [&str; 4] = ["rec", "shape", "color", "perms"];

/// A function of the `calc` template.
#[derive(Clone)]
struct Func {
    place: Place,
    /// The export name (also the core export name).
    name: &'static str,
    /// Component-level parameters and result, in WAT; named types are
    /// written `$rec`, `$shape`, `$color`, `$perms`.
    ty: &'static str,
    /// Core parameters and result, in WAT.
    core_ty: &'static str,
    /// Core locals and body, in WAT.
    body: &'static str,
}

const fn scalar(
    name: &'static str,
    ty: &'static str,
    core_ty: &'static str,
    body: &'static str,
) -> Func {
    Func {
        place: Place::Calc,
        name,
        ty,
        core_ty,
        body,
    }
}

const fn root(
    name: &'static str,
    ty: &'static str,
    core_ty: &'static str,
    body: &'static str,
) -> Func {
    Func {
        place: Place::Root,
        name,
        ty,
        core_ty,
        body,
    }
}

const fn api(
    name: &'static str,
    ty: &'static str,
    core_ty: &'static str,
    body: &'static str,
) -> Func {
    Func {
        place: Place::Api,
        name,
        ty,
        core_ty,
        body,
    }
}

/// Sums the `len` u32s at `ptr` (params 0 and 1).
const LIST_SUM: &str = "(local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get 1)))
      (local.set $sum (i32.add (local.get $sum)
        (i32.load (i32.add (local.get 0) (i32.mul (local.get $i) (i32.const 4))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    local.get $sum";

/// Returns its (ptr, len) parameters through the return area at 16.
const ECHO: &str = "(i32.store (i32.const 16) (local.get 0))
    (i32.store (i32.const 20) (local.get 1))
    i32.const 16";

fn baseline() -> Vec<Func> {
    vec![
        scalar(
            "add",
            r#"(param "a" s32) (param "b" s32) (result s32)"#,
            "(param i32 i32) (result i32)",
            "local.get 0 local.get 1 i32.add",
        ),
        scalar(
            "sub64",
            r#"(param "a" s64) (param "b" s64) (result s64)"#,
            "(param i64 i64) (result i64)",
            "local.get 0 local.get 1 i64.sub",
        ),
        scalar(
            "mul-u8",
            r#"(param "a" u8) (param "b" u8) (result u8)"#,
            "(param i32 i32) (result i32)",
            "local.get 0 local.get 1 i32.mul",
        ),
        scalar(
            "shift-u16",
            r#"(param "a" u16) (param "b" s8) (result u64)"#,
            "(param i32 i32) (result i64)",
            "local.get 0 i64.extend_i32_u local.get 1 i64.extend_i32_s i64.shl",
        ),
        scalar(
            "wide",
            r#"(param "a" u64) (param "b" u32) (result u64)"#,
            "(param i64 i32) (result i64)",
            "local.get 0 local.get 1 i64.extend_i32_u i64.xor",
        ),
        scalar(
            "id-f32",
            r#"(param "x" f32) (result f32)"#,
            "(param f32) (result f32)",
            "local.get 0",
        ),
        scalar(
            "id-f64",
            r#"(param "x" f64) (result f64)"#,
            "(param f64) (result f64)",
            "local.get 0",
        ),
        scalar(
            "id-char",
            r#"(param "c" char) (result char)"#,
            "(param i32) (result i32)",
            "local.get 0",
        ),
        scalar(
            "not",
            r#"(param "b" bool) (result bool)"#,
            "(param i32) (result i32)",
            "local.get 0 i32.eqz",
        ),
        scalar(
            "check",
            r#"(param "x" s32) (result s32)"#,
            "(param i32) (result i32)",
            "local.get 0",
        ),
        scalar(
            "tick",
            r#"(result u32)"#,
            "(result i32)",
            "(global.set $count (i32.add (global.get $count) (i32.const 1))) global.get $count",
        ),
        root(
            "echo",
            r#"(param "s" string) (result string)"#,
            "(param i32 i32) (result i32)",
            ECHO,
        ),
        root(
            "echo-strings",
            r#"(param "l" (list string)) (result (list string))"#,
            "(param i32 i32) (result i32)",
            ECHO,
        ),
        root(
            "echo-chars",
            r#"(param "l" (list char)) (result (list char))"#,
            "(param i32 i32) (result i32)",
            ECHO,
        ),
        root(
            "list-sum",
            r#"(param "l" (list u32)) (result u32)"#,
            "(param i32 i32) (result i32)",
            LIST_SUM,
        ),
        api(
            "rec-x",
            r#"(param "r" $rec) (result u8)"#,
            "(param i32 f64) (result i32)",
            "local.get 0",
        ),
        api(
            "echo-rec",
            r#"(param "r" $rec) (result $rec)"#,
            "(param i32 f64) (result i32)",
            "(i32.store8 (i32.const 16) (local.get 0)) (f64.store (i32.const 24) (local.get 1)) i32.const 16",
        ),
        root(
            "opt-len",
            r#"(param "o" (option string)) (result s32)"#,
            "(param i32 i32 i32) (result i32)",
            "(select (local.get 2) (i32.const -1) (local.get 0))",
        ),
        root(
            "echo-opt",
            r#"(param "o" (option string)) (result (option string))"#,
            "(param i32 i32 i32) (result i32)",
            "(i32.store8 (i32.const 16) (local.get 0)) (i32.store (i32.const 20) (local.get 1)) (i32.store (i32.const 24) (local.get 2)) i32.const 16",
        ),
        api(
            "shape-tag",
            r#"(param "s" $shape) (result u32)"#,
            "(param i32 i32) (result i32)",
            "local.get 0",
        ),
        api(
            "color-id",
            r#"(param "c" $color) (result u32)"#,
            "(param i32) (result i32)",
            "local.get 0",
        ),
        api(
            "echo-color",
            r#"(param "c" $color) (result $color)"#,
            "(param i32) (result i32)",
            "local.get 0",
        ),
        api(
            "perms-bits",
            r#"(param "p" $perms) (result u32)"#,
            "(param i32) (result i32)",
            "local.get 0",
        ),
        api(
            "echo-perms",
            r#"(param "p" $perms) (result $perms)"#,
            "(param i32) (result i32)",
            "local.get 0",
        ),
        root(
            "res-tag",
            r#"(param "r" (result u8 (error string))) (result u32)"#,
            "(param i32 i32 i32) (result i32)",
            "local.get 0",
        ),
        root(
            "tup-sum",
            r#"(param "t" (tuple u16 char)) (result u32)"#,
            "(param i32 i32) (result i32)",
            "local.get 0 local.get 1 i32.add",
        ),
    ]
}

/// Replaces the body of the function called `name`.
fn with_body(mut funcs: Vec<Func>, name: &str, body: &'static str) -> Vec<Func> {
    let func = funcs
        .iter_mut()
        .find(|f| f.name == name)
        .expect("function in template");
    func.body = body;
    funcs
}

/// Rewrites the `$name` references of a function type to other names.
fn named(ty: &str, suffix: &str) -> String {
    NAMED_TYPES.iter().fold(ty.to_string(), |ty, name| {
        ty.replace(&format!("${name})"), &format!("${name}{suffix})"))
    })
}

/// The `calc` component with these functions; `rec_name` is the exported
/// name of the record type.
fn calc_named(funcs: &[Func], rec_name: &str) -> Vec<u8> {
    let mut core = String::new();
    let mut lifts = String::new();
    let mut calc = String::new();
    let mut api_imports = String::new();
    let mut api_exports = String::new();
    let mut api_with = String::new();
    let mut root_exports = String::new();
    for f in funcs {
        let Func {
            name,
            ty,
            core_ty,
            body,
            ..
        } = f;
        core.push_str(&format!("(func (export \"{name}\") {core_ty} {body})\n"));
        lifts.push_str(&format!(
            "(alias core export $i \"{name}\" (core func $core-{name}))
             (func $f-{name} {ty} (canon lift (core func $core-{name}) (memory $mem) (realloc $realloc)))\n",
            ty = named(ty, "-def"),
        ));
        let export = format!("(export \"{name}\" (func $f-{name}))\n");
        match f.place {
            Place::Calc => calc.push_str(&export),
            Place::Root => root_exports.push_str(&export),
            Place::Api => {
                api_imports.push_str(&format!(
                    "(import \"import-func-{name}\" (func $import-{name} {ty}))\n",
                    ty = named(ty, "-import"),
                ));
                api_exports.push_str(&format!(
                    "(export \"{name}\" (func $import-{name}) (func {ty}))\n"
                ));
                api_with.push_str(&format!("(with \"import-func-{name}\" (func $f-{name}))\n"));
            }
        }
    }
    let wat = format!(
        r#"(component $root
  (core module $m
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (global $count (mut i32) (i32.const 0))
    ;; A bump allocator that grows memory as needed.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and
        (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (block $fits (loop $grow
        (br_if $fits (i32.le_u (global.get $next) (i32.shl (memory.size) (i32.const 16))))
        (drop (memory.grow (i32.const 1)))
        (br $grow)))
      local.get $p)
    {core}
  )
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (type $rec-def (record (field "x" u8) (field "y" f64)))
  (type $shape-def (variant (case "circle" f32) (case "square" u16) (case "none")))
  (type $color-def (enum "red" "green" "blue"))
  (type $perms-def (flags "read" "write" "exec"))
  {lifts}
  (instance $calc {calc})
  (export "meld:selftest/calc" (instance $calc))
  (component $api
    (alias outer $root $rec-def (type $rec-outer))
    (alias outer $root $shape-def (type $shape-outer))
    (alias outer $root $color-def (type $color-outer))
    (alias outer $root $perms-def (type $perms-outer))
    (import "import-type-rec" (type $rec-import (eq $rec-outer)))
    (import "import-type-shape" (type $shape-import (eq $shape-outer)))
    (import "import-type-color" (type $color-import (eq $color-outer)))
    (import "import-type-perms" (type $perms-import (eq $perms-outer)))
    {api_imports}
    (export $rec "{rec_name}" (type $rec-import))
    (export $shape "shape" (type $shape-import))
    (export $color "color" (type $color-import))
    (export $perms "perms" (type $perms-import))
    {api_exports}
  )
  (instance $api-instance (instantiate $api
    (with "import-type-rec" (type $rec-def))
    (with "import-type-shape" (type $shape-def))
    (with "import-type-color" (type $color-def))
    (with "import-type-perms" (type $perms-def))
    {api_with}
  ))
  (export "meld:selftest/api" (instance $api-instance))
  {root_exports}
)"#
    );
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("template does not assemble: {e}\n{wat}"))
}

fn calc(funcs: &[Func]) -> Vec<u8> {
    calc_named(funcs, "rec")
}

fn run(original: &[u8], fused: &[u8]) -> Report {
    compare(original, fused, &CompareOptions::default()).expect("the harness runs")
}

#[test]
fn a_component_matches_itself() {
    let wasm = calc(&baseline());
    let report = run(&wasm, &wasm);
    println!("{report}");
    report.assert_clean();
    assert!(report.skipped.is_empty(), "{report}");
    // Every function is covered, nested and root-level alike.
    assert_eq!(report.functions.len(), baseline().len(), "{report}");
    for name in [
        "meld:selftest/calc#add",
        "echo-strings",
        "meld:selftest/api#echo-rec",
    ] {
        let coverage = report.coverage(name).expect("covered");
        assert!(coverage.calls >= 48, "{coverage:?}");
        assert_eq!(coverage.trapped, 0, "{coverage:?}");
    }
    assert_eq!(
        report.coverage("meld:selftest/calc#tick").map(|c| c.calls),
        Some(2)
    );
    // 25 functions with parameters × ≥ 48 calls, `tick` twice.
    assert!(report.calls >= 48 * 25 + 2, "{}", report.summary());
    assert_eq!(
        report.returned, report.calls,
        "nothing in the template traps"
    );
    assert_eq!(report.reinstantiations, 0);
}

#[test]
fn a_changed_result_is_a_mismatch_naming_the_function_and_arguments() {
    let original = calc(&baseline());
    // Wrong only when `a` is i32::MIN: only edge-case generation finds it.
    let fused = calc(&with_body(
        baseline(),
        "add",
        "(if (result i32) (i32.eq (local.get 0) (i32.const 0x80000000))
           (then (i32.const 0))
           (else (i32.add (local.get 0) (local.get 1))))",
    ));
    let report = run(&original, &fused);
    assert!(!report.is_clean());
    assert!(report.world.is_empty(), "{report}");
    let mismatches = report.mismatches_in("meld:selftest/calc#add");
    assert!(!mismatches.is_empty(), "{report}");
    assert_eq!(
        report.mismatches.len(),
        mismatches.len(),
        "only `add` differs: {report}"
    );
    for mismatch in mismatches {
        assert_eq!(mismatch.aspects, [Aspect::Outcome]);
        assert!(mismatch.args.starts_with("-2147483648, "), "{mismatch}");
        assert!(mismatch.fused.contains("returned (0)"), "{mismatch}");
    }
    let text = report.to_string();
    assert!(
        text.contains("mismatch in meld:selftest/calc#add(-2147483648, "),
        "{text}"
    );
}

#[test]
fn a_trap_on_one_side_only_is_a_mismatch_and_the_comparison_goes_on() {
    let original = calc(&baseline());
    let fused = calc(&with_body(
        baseline(),
        "check",
        "(if (i32.eq (local.get 0) (i32.const -1)) (then unreachable)) local.get 0",
    ));
    let clean = run(&original, &original);
    let report = run(&original, &fused);
    let mismatches = report.mismatches_in("meld:selftest/calc#check");
    assert!(!mismatches.is_empty(), "{report}");
    for mismatch in &mismatches {
        assert_eq!(mismatch.aspects, [Aspect::Outcome]);
        assert_eq!(mismatch.args, "-1");
        assert_eq!(
            mismatch.fused,
            "trapped: wasm trap: wasm `unreachable` instruction executed"
        );
        assert!(mismatch.original.starts_with("returned (-1)"), "{mismatch}");
    }
    assert_eq!(report.mismatch_count, mismatches.len(), "{report}");
    // Both sides were instantiated afresh and every later call still ran.
    assert!(report.reinstantiations >= 1);
    assert_eq!(report.calls, clean.calls);
}

#[test]
fn traps_on_both_sides_agree() {
    let trapping = calc(&with_body(baseline(), "check", "unreachable"));
    let report = run(&trapping, &trapping);
    report.assert_clean();
    let check_calls = CompareOptions::default().calls_per_function;
    assert!(report.trapped >= check_calls, "{}", report.summary());
    assert!(
        report.reinstantiations >= check_calls,
        "{}",
        report.summary()
    );
}

#[test]
fn nan_payloads_may_differ_but_zero_signs_may_not() {
    let original = calc(&baseline());
    // Any NaN becomes the canonical NaN: allowed by the Canonical ABI.
    let canonical_nan = calc(&with_body(
        baseline(),
        "id-f32",
        "(if (result f32) (f32.ne (local.get 0) (local.get 0))
           (then (f32.const nan)) (else (local.get 0)))",
    ));
    run(&original, &canonical_nan).assert_clean();
    // x + 0.0 turns -0.0 into +0.0: a real difference.
    let lost_sign = calc(&with_body(
        baseline(),
        "id-f64",
        "local.get 0 f64.const 0 f64.add",
    ));
    let report = run(&original, &lost_sign);
    let mismatches = report.mismatches_in("meld:selftest/calc#id-f64");
    assert!(!mismatches.is_empty(), "{report}");
    assert_eq!(report.mismatch_count, mismatches.len(), "{report}");
    for mismatch in mismatches {
        assert_eq!(mismatch.args, "-0.0", "only -0.0 is affected: {report}");
        assert_eq!(mismatch.fused, "returned (0.0)");
    }
}

#[test]
fn state_carried_between_calls_is_compared() {
    let original = calc(&baseline());
    let fused = calc(&with_body(
        baseline(),
        "tick",
        "(global.set $count (i32.add (global.get $count) (i32.const 2))) global.get $count",
    ));
    let report = run(&original, &fused);
    let mismatches = report.mismatches_in("meld:selftest/calc#tick");
    assert_eq!(mismatches.len(), 2, "{report}");
    assert!(mismatches[1].original.contains("returned (2)"), "{report}");
    assert!(mismatches[1].fused.contains("returned (4)"), "{report}");
}

#[test]
fn compound_results_are_compared_deeply() {
    let original = calc(&baseline());
    // Drops the last element of lists longer than one.
    let fused = calc(&with_body(
        baseline(),
        "echo-strings",
        "(i32.store (i32.const 16) (local.get 0))
         (i32.store (i32.const 20)
           (select (i32.sub (local.get 1) (i32.const 1)) (local.get 1)
             (i32.gt_u (local.get 1) (i32.const 1))))
         i32.const 16",
    ));
    let report = run(&original, &fused);
    assert!(!report.mismatches_in("echo-strings").is_empty(), "{report}");
    assert_eq!(
        report.mismatches.len(),
        report.mismatches_in("echo-strings").len()
    );
}

#[test]
fn an_extra_export_is_a_world_difference() {
    let original = calc(&baseline());
    let mut funcs = baseline();
    funcs.push(root(
        "extra",
        r#"(param "a" u32) (result u32)"#,
        "(param i32) (result i32)",
        "local.get 0",
    ));
    let report = run(&original, &calc(&funcs));
    assert!(!report.is_clean());
    assert_eq!(
        report.world,
        ["+ export extra: func(a: u32) -> u32"],
        "{report}"
    );
    assert_eq!(
        report.mismatch_count, 0,
        "the common functions agree: {report}"
    );
    assert!(report.to_string().contains("world differs"));
}

#[test]
fn a_missing_or_retyped_export_is_reported() {
    let original = calc(&baseline());
    let without_tick: Vec<Func> = baseline()
        .into_iter()
        .filter(|f| f.name != "tick")
        .collect();
    let report = run(&original, &calc(&without_tick));
    assert_eq!(
        report.world,
        ["- export meld:selftest/calc#tick: func() -> u32"],
        "{report}"
    );
    let missing = report.mismatches_in("meld:selftest/calc#tick");
    assert_eq!(missing.len(), 1, "{report}");
    assert_eq!(missing[0].aspects, [Aspect::Missing]);

    let mut retyped = baseline();
    retyped[0].ty = r#"(param "a" s32) (param "b" s32) (result u32)"#;
    let report = run(&original, &calc(&retyped));
    let changed = report.mismatches_in("meld:selftest/calc#add");
    assert_eq!(changed.len(), 1, "{report}");
    assert_eq!(changed[0].aspects, [Aspect::Signature]);
    assert_eq!(changed[0].fused, "func(a: s32, b: s32) -> u32");
    assert_eq!(report.world.len(), 2, "{report}");
}

#[test]
fn a_renamed_type_is_a_world_difference() {
    let report = run(&calc(&baseline()), &calc_named(&baseline(), "point"));
    assert_eq!(
        report.world,
        [
            "+ export meld:selftest/api#point: type record { x: u8, y: f64 }",
            "- export meld:selftest/api#rec: type record { x: u8, y: f64 }",
        ],
        "{report}"
    );
    assert_eq!(report.mismatch_count, 0, "{report}");
}

#[test]
fn export_order_differs_in_wit_only() {
    let original = calc(&baseline());
    let mut funcs = baseline();
    funcs.reverse();
    let reordered = calc(&funcs);
    let report = run(&original, &reordered);
    println!("{report}");
    assert!(!report.world.is_empty(), "{report}");
    assert!(
        report.world.iter().any(|line| line.starts_with("- ")),
        "{report}"
    );
    assert!(
        report.world.iter().any(|line| line.starts_with("+ ")),
        "{report}"
    );
    assert_eq!(report.mismatch_count, 0, "{report}");
    let structural = CompareOptions {
        compare_wit: false,
        ..CompareOptions::default()
    };
    compare(&original, &reordered, &structural)
        .expect("the harness runs")
        .assert_clean();
}

#[test]
fn comparisons_are_deterministic() {
    let original = calc(&baseline());
    let fused = calc(&with_body(
        baseline(),
        "mul-u8",
        "local.get 0 local.get 1 i32.add",
    ));
    // Keep every mismatch, so that the report lists every random argument.
    let options = CompareOptions {
        mismatches_per_function: usize::MAX,
        ..CompareOptions::default()
    };
    let first = compare(&original, &fused, &options)
        .expect("the harness runs")
        .to_string();
    let second = compare(&original, &fused, &options)
        .expect("the harness runs")
        .to_string();
    assert_eq!(first, second);
    let reseeded = CompareOptions { seed: 1, ..options };
    let third = compare(&original, &fused, &reseeded).expect("the harness runs");
    assert_ne!(
        first,
        third.to_string(),
        "the seed changes the random values"
    );
}

#[test]
#[should_panic(expected = "original and fused components differ")]
fn assert_clean_panics_on_a_mismatch() {
    let original = calc(&baseline());
    let fused = calc(&with_body(baseline(), "not", "local.get 0"));
    run(&original, &fused).assert_clean();
}

#[test]
fn an_original_that_cannot_instantiate_is_an_error() {
    let broken = wat::parse_str(
        r#"(component
             (core module $m (func $start unreachable) (start $start))
             (core instance (instantiate $m)))"#,
    )
    .expect("assembles");
    let error = compare(&broken, &broken, &CompareOptions::default()).expect_err("cannot compare");
    assert!(
        error.to_string().contains("cannot be instantiated"),
        "{error:#}"
    );
}

#[test]
fn non_wasi_imports_are_stubbed_and_reported() {
    let wasm = wat::parse_str(
        r#"(component
             (import "meld:selftest/host" (instance $host (export "get" (func (result u32)))))
             (alias export $host "get" (func $get))
             (core func $get-core (canon lower (func $get)))
             (core module $m
               (import "host" "get" (func $get (result i32)))
               (func (export "call-host") (result i32) call $get)
               (func (export "pure") (param i32) (result i32) local.get 0))
             (core instance $host-core (export "get" (func $get-core)))
             (core instance $i (instantiate $m (with "host" (instance $host-core))))
             (alias core export $i "call-host" (core func $call-host))
             (alias core export $i "pure" (core func $pure))
             (func (export "call-host") (result u32) (canon lift (core func $call-host)))
             (func (export "pure") (param "x" u32) (result u32) (canon lift (core func $pure))))"#,
    )
    .expect("assembles");
    let report = run(&wasm, &wasm);
    report.assert_clean();
    assert_eq!(report.stubbed_imports, ["meld:selftest/host#get"]);
    let calls = CompareOptions::default().calls_without_params;
    let stubbed = report.coverage("call-host").expect("called");
    assert_eq!((stubbed.calls, stubbed.trapped), (calls, calls));
    assert_eq!(report.coverage("pure").map(|c| c.trapped), Some(0));
    assert!(
        report
            .to_string()
            .contains("imports stubbed with traps: meld:selftest/host#get")
    );
}

#[test]
fn a_hang_runs_out_of_fuel_and_is_a_mismatch() {
    let original = calc(&baseline());
    let hangs = calc(&with_body(
        baseline(),
        "check",
        "(loop $forever (br $forever)) unreachable",
    ));
    let options = CompareOptions {
        fuel: 1_000_000,
        ..CompareOptions::default()
    };
    let report = compare(&original, &hangs, &options).expect("the harness runs");
    let mismatches = report.mismatches_in("meld:selftest/calc#check");
    assert_eq!(
        mismatches.len(),
        options.mismatches_per_function,
        "{report}"
    );
    assert!(mismatches[0].fused.contains("fuel"), "{}", mismatches[0]);
    assert_eq!(
        report.mismatch_count, options.calls_per_function,
        "{report}"
    );
}
