//! Self-tests of the harness's resource support on a hand-written
//! component: an interface `meld:selftest/counters` exporting a resource
//! `counter` (constructor, a method reading it, a function consuming it)
//! whose destructor counts drops, readable through `drops`. Each test
//! plants one difference in a method or the destructor and checks that
//! the comparison, which has to create, pass and drop counters from the
//! host to see it, reports it.

use meld_tests::harness::{CompareOptions, Report, compare};

/// The component with these core bodies: `get` (param: the rep, result:
/// i32) and `dtor` (param: the rep; `$drops` is the drop counter).
fn counters(get: &str, dtor: &str) -> Vec<u8> {
    let wat = format!(
        r#"(component
  (core module $a
    (global $drops (export "drops") (mut i32) (i32.const 0))
    (func (export "dtor") (param i32) {dtor}))
  (core instance $a (instantiate $a))
  (type $counter (resource (rep i32) (dtor (core func $a "dtor"))))
  (core func $new (canon resource.new $counter))
  (core func $rep (canon resource.rep $counter))
  (core func $drop (canon resource.drop $counter))
  (core module $b
    (import "a" "drops" (global $drops (mut i32)))
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "rep" (func $rep (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (func (export "ctor") (param i32) (result i32) local.get 0 call $new)
    (func (export "get") (param i32) (result i32) {get})
    (func (export "consume") (param i32) (result i32) (local $v i32)
      local.get 0 call $rep local.set $v
      local.get 0 call $drop
      local.get $v)
    (func (export "drops") (result i32) global.get $drops))
  (core instance $b (instantiate $b
    (with "a" (instance $a))
    (with "r" (instance (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
  (func $ctor (param "v" s32) (result (own $counter)) (canon lift (core func $b "ctor")))
  (func $get (param "self" (borrow $counter)) (result s32) (canon lift (core func $b "get")))
  (func $consume (param "c" (own $counter)) (result s32) (canon lift (core func $b "consume")))
  (func $drops (result u32) (canon lift (core func $b "drops")))
  (component $api
    (import "counter" (type $t (sub resource)))
    (import "ctor" (func $ctor (param "v" s32) (result (own $t))))
    (import "get" (func $get (param "self" (borrow $t)) (result s32)))
    (import "consume" (func $consume (param "c" (own $t)) (result s32)))
    (import "drops" (func $drops (result u32)))
    (export $c "counter" (type $t))
    (export "[constructor]counter" (func $ctor) (func (param "v" s32) (result (own $c))))
    (export "[method]counter.get" (func $get) (func (param "self" (borrow $c)) (result s32)))
    (export "consume" (func $consume) (func (param "c" (own $c)) (result s32)))
    (export "drops" (func $drops)))
  (instance $api (instantiate $api
    (with "counter" (type $counter))
    (with "ctor" (func $ctor))
    (with "get" (func $get))
    (with "consume" (func $consume))
    (with "drops" (func $drops))))
  (export "meld:selftest/counters" (instance $api)))"#
    );
    wat::parse_str(wat).expect("the template is valid WAT")
}

const GET: &str = "local.get 0";
const DTOR: &str = "global.get $drops i32.const 1 i32.add global.set $drops";

fn run(original: &[u8], fused: &[u8]) -> Report {
    let options = CompareOptions {
        calls_per_function: 8,
        compare_wit: false,
        ..CompareOptions::default()
    };
    compare(original, fused, &options).expect("the comparison runs")
}

const GET_NAME: &str = "meld:selftest/counters#[method]counter.get";
const CONSUME: &str = "meld:selftest/counters#consume";

#[test]
fn resource_functions_are_called_with_pooled_resources() {
    let wasm = counters(GET, DTOR);
    let report = run(&wasm, &wasm);
    report.assert_clean();
    assert!(report.skipped.is_empty(), "{report}");
    assert!(
        report
            .coverage(GET_NAME)
            .is_some_and(|c| c.calls >= 8 && c.trapped == 0)
    );
    assert!(
        report
            .coverage(CONSUME)
            .is_some_and(|c| c.calls >= 8 && c.trapped == 0)
    );
    assert!(
        report
            .coverage("(host drop)")
            .is_some_and(|c| c.calls > 0 && c.trapped == 0)
    );
    assert!(
        report
            .coverage("(host drop twice)")
            .is_some_and(|c| c.trapped == 1)
    );
    assert!(
        report
            .coverage("(host drop given away)")
            .is_some_and(|c| c.trapped == 1)
    );
    let used = format!("(use after host drop) {GET_NAME}");
    assert!(
        report.coverage(&used).is_some_and(|c| c.trapped == 1),
        "{report}"
    );
}

#[test]
fn a_method_reading_a_pooled_resource_differently_is_a_mismatch() {
    let report = run(
        &counters(GET, DTOR),
        &counters("local.get 0 i32.const 1 i32.add", DTOR),
    );
    assert!(!report.is_clean());
    assert!(!report.mismatches_in(GET_NAME).is_empty(), "{report}");
}

#[test]
fn a_destructor_that_differs_is_seen_through_drops() {
    let twice = "global.get $drops i32.const 2 i32.add global.set $drops";
    let report = run(&counters(GET, DTOR), &counters(GET, twice));
    assert!(
        !report.mismatches_in(CONSUME).is_empty()
            || !report
                .mismatches_in("meld:selftest/counters#drops")
                .is_empty(),
        "{report}"
    );
}

#[test]
fn a_destructor_trapping_on_one_side_is_a_host_drop_mismatch() {
    let report = run(&counters(GET, DTOR), &counters(GET, "unreachable"));
    assert!(!report.mismatches_in("(host drop)").is_empty(), "{report}");
}
