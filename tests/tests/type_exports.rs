//! Types exported by the root or by an exported instance, and used by the
//! exported functions.
//!
//! Each `type_exports/*.wat` is a component that exports a variant, enum,
//! record or resource type at its root and functions whose types use the
//! exported type. It is fused as it is (types at the root) and nested in a
//! composition that exports its instance (types inside an exported
//! instance). The wrapper must export the same types, by the same names,
//! in the same order, and use them in the functions' types: the output
//! validates, its world is the original's (the harness compares them as
//! WIT), and every function answers as the original does.

use meld_core::{ErrorKind, MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, compare};
use meld_tests::layout::root_exports;
use std::path::PathBuf;

fn cases() -> Vec<(String, String, bool)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/type_exports");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/type_exports exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "wat"))
        .collect();
    paths.sort();
    let mut cases = Vec::new();
    for path in paths {
        let name = path
            .file_stem()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("readable");
        // A world cannot export a bare type in WIT: types at the root are
        // compared structurally only.
        cases.push((format!("{name} at the root"), text.clone(), false));
        cases.push((
            format!("{name} in an exported instance"),
            in_instance(&text),
            true,
        ));
    }
    assert!(cases.len() >= 8, "cases missing in {}", dir.display());
    cases
}

/// `component` (WAT text) nested in a composition that exports its
/// instance as `t:types/api`.
fn in_instance(component: &str) -> String {
    let nested = component.replacen("(component", "(component $inner", 1);
    format!(
        "(component\n{nested}\n  (instance $x (instantiate $inner))\n  \
         (export \"t:types/api\" (instance $x)))"
    )
}

fn check(options: &Options) {
    let mut calls = 0;
    for (name, text, compare_wit) in cases() {
        let original = wat::parse_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let compare_options = CompareOptions {
            compare_wit,
            ..CompareOptions::default()
        };
        calls += runs_like_the_original(&name, &original, options, &compare_options);
    }
    println!("{calls} calls compared");
}

/// Fuses `original` with `options` and compares the two: the same root
/// exports, every call answered alike, some returned and none skipped.
/// How many calls were compared.
fn runs_like_the_original(
    name: &str,
    original: &[u8],
    options: &Options,
    compare_options: &CompareOptions,
) -> usize {
    let fused = fuse(&[original], options).unwrap_or_else(|e| panic!("{name}: {e}"));
    let report =
        compare(original, &fused.wasm, compare_options).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(
        root_exports(&fused.wasm),
        root_exports(original),
        "{name}: the root's exports"
    );
    println!("{name}: {}", report.summary());
    report.assert_clean();
    assert!(
        report.returned > 0 && report.skipped.is_empty(),
        "{name}: {}",
        report.summary()
    );
    report.calls
}

#[test]
fn exported_types_keep_their_names_order_and_use() {
    check(&Options::default());
}

#[test]
fn exported_types_with_a_shared_memory() {
    check(&Options {
        memory: MemoryStrategy::Shared,
        ..Options::default()
    });
}

/// The options of each memory strategy, named by it.
fn both_memories() -> [(String, Options); 2] {
    [MemoryStrategy::Multi, MemoryStrategy::Shared].map(|memory| {
        let options = Options {
            memory,
            ..Options::default()
        };
        (format!("{memory:?}"), options)
    })
}

/// `type_exports_across.wat`: an exported instance whose functions use the
/// resource type another exported instance exports (meld refused it: the
/// wrapper's instance could not name the type). The functions answer as
/// the original's, with both memory strategies.
#[test]
fn an_instance_uses_another_instances_resource() {
    let original = wat::parse_str(include_str!("type_exports_across.wat")).expect("the WAT parses");
    for (name, options) in both_memories() {
        runs_like_the_original(&name, &original, &options, &CompareOptions::default());
    }
}

/// `type_exports_mixed.wat`: exported instances with and without a
/// resource's functions (a nested component and a bag of items in the
/// wrapper) that `use` each other's record and resource types. The fused
/// world is the original's, compared as WIT, and the functions answer as
/// the original's, with both memory strategies.
#[test]
fn instances_with_and_without_resource_functions_use_each_others_types() {
    let original = wat::parse_str(include_str!("type_exports_mixed.wat")).expect("the WAT parses");
    let compare_options = CompareOptions {
        compare_wit: true,
        ..CompareOptions::default()
    };
    for (name, options) in both_memories() {
        runs_like_the_original(&name, &original, &options, &compare_options);
    }
}

/// `type_exports_nested.wat`: an exported instance holding two instances,
/// one with a resource's functions and one without. Such an instance is
/// refused with a typed error (no wrapper yet names the nested instances'
/// resource types), never an output that does not validate.
#[test]
fn an_instance_of_instances_is_refused_with_a_typed_error() {
    let original = wat::parse_str(include_str!("type_exports_nested.wat")).expect("the WAT parses");
    for (name, options) in both_memories() {
        let error = fuse(&[&original], &options).expect_err("instances in an instance are refused");
        assert_eq!(error.kind(), ErrorKind::Unsupported, "{name}: {error}");
        assert!(error.to_string().contains("`shapes`"), "{name}: {error}");
    }
}

/// A resource an interface takes (`use`s) through another that re-exports
/// it, as WASI 0.2's `filesystem/types` takes `error` from `io/streams`,
/// which takes it from `io/error`: the wrapper imports `t:x/c`'s `r` as
/// an alias of `t:x/b`'s (the original's path), not of `t:x/a`'s where the
/// resource is defined, so the world says `use b.{r}` again (before session
/// 36 it said `use a.{r}`; meld-toolchains found it in componentize-js's
/// output).
#[test]
fn a_type_used_through_a_reexporting_interface_keeps_its_path() {
    let text = r#"(component
  (import "t:x/a" (instance $a (export "r" (type (sub resource)))))
  (alias export $a "r" (type $ra))
  (import "t:x/b" (instance $b (export "r" (type (eq $ra)))))
  (alias export $b "r" (type $rb))
  (import "t:x/c" (instance $c
    (export "r" (type $r (eq $rb)))
    (export "f" (func (param "x" (borrow $r)) (result u32)))))
  (component $user
    (import "t:x/c" (instance $c
      (export "r" (type $r (sub resource)))
      (export "f" (func (param "x" (borrow $r)) (result u32)))))
    (core module $m (func (export "go") (result i32) (i32.const 7)))
    (core instance $i (instantiate $m))
    (func $go (result u32) (canon lift (core func $i "go")))
    (instance $run (export "go" (func $go)))
    (export "t:x/run" (instance $run)))
  (instance $u (instantiate $user (with "t:x/c" (instance $c))))
  (export "t:x/run" (instance $u "t:x/run")))"#;
    let original = wat::parse_str(text).expect("the composition parses");
    let wit = meld_tests::harness::wit_text(&original).expect("the original's world");
    assert!(wit.contains("use b.{r}"), "{wit}");
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let fused = fuse(&[&original], &options).expect("fuses");
        let fused_wit = meld_tests::harness::wit_text(&fused.wasm).expect("the fused world");
        assert_eq!(fused_wit, wit, "{memory:?}: the world changed");
    }
}
