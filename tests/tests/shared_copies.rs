//! With `--memory shared`, the host reads strings and lists exactly as a
//! component wrote them, also where they overlap the very pointer fields
//! that move by the component's region base for the host: the host reads
//! copies whose pointers moved, never the component's memory moved in
//! place. Results returned through memory (`shared_copies_exports.wat`: a
//! string over its own return area, strings over their own list elements,
//! the post-return given the component's own return area; traps stay
//! traps) and host functions' parameters (`shared_copies_imports.wat`: a
//! `list<string>` over its own elements, a spilled tuple of strings over
//! its own fields).

use meld_core::{MemoryStrategy, Options, fuse};
use wasmtime::component::{Component, Linker, Val};
use wasmtime::{Config, Engine, Store};

/// Makes `calls` (functions of `instance`, with their arguments) in order
/// on a fresh instance of `wasm`: what each returned (up to the first
/// trap, `trap`), then what the host functions were given.
fn call(wasm: &[u8], instance: &str, calls: &[(&str, Vec<Val>)]) -> String {
    let engine = Engine::new(Config::new().wasm_multi_memory(true)).expect("an engine");
    let component = Component::new(&engine, wasm).expect("the component compiles");
    let mut store = Store::new(&engine, Vec::<String>::new());
    let mut linker: Linker<Vec<String>> = Linker::new(&engine);
    linker
        .root()
        .func_new("echo", |mut store, _, params, results| {
            store.data_mut().push(format!("echo {params:?}"));
            let Val::List(items) = &params[0] else {
                unreachable!("echo takes a list")
            };
            results[0] = Val::List(items.iter().rev().cloned().collect());
            Ok(())
        })
        .expect("echo defined");
    linker
        .root()
        .func_new("log9", |mut store, _, params, _| {
            store.data_mut().push(format!("log9 {params:?}"));
            Ok(())
        })
        .expect("log9 defined");
    let instance_ = linker
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let outer = instance_
        .get_export_index(&mut store, None, instance)
        .expect("an exported instance");
    let mut results = Vec::new();
    for (name, args) in calls {
        let index = instance_
            .get_export_index(&mut store, Some(&outer), name)
            .expect("an exported function");
        let f = instance_.get_func(&mut store, index).expect("a function");
        let mut out = [Val::Bool(false)];
        match f.call(&mut store, args, &mut out) {
            Ok(()) => results.push(format!("{:?}", out[0])),
            Err(_) => {
                results.push("trap".to_string());
                break;
            }
        }
    }
    results.extend(store.data().iter().cloned());
    results.join(", ")
}

/// Runs `calls` on both instances of `wat`, original and fused with each
/// memory strategy: the number of outcomes (all the same) that hold the
/// bytes of a pointer field at address 64 (`@`), 72 (`H`) or 96 (`` ` ``),
/// which a move in place would have changed.
fn compare(wat: &str, calls: &[Vec<(&str, Vec<Val>)>]) -> usize {
    let wasm = wat::parse_str(wat).expect("the WAT parses");
    let mut overlapping = 0;
    for memory in [MemoryStrategy::Shared, MemoryStrategy::Multi] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let fused = fuse(&[&wasm], &options).expect("fuses").wasm;
        for instance in ["a", "b"] {
            for calls in calls {
                let original = call(&wasm, instance, calls);
                let seen = call(&fused, instance, calls);
                assert_eq!(seen, original, "{memory:?} {instance}: {calls:?}");
                let fields = [r#""@\0\0\0\u{8}"#, r#""H\0\0\0\u{8}"#, r#""`\0\0\0\u{8}"#];
                if fields.iter().any(|f| original.contains(f)) {
                    overlapping += 1;
                }
            }
        }
    }
    overlapping
}

#[test]
fn the_host_reads_results_as_written_in_every_region() {
    let mut calls: Vec<Vec<(&str, Vec<Val>)>> = (0..4)
        .map(|mode| vec![("text", vec![Val::U32(mode)]), ("last-post", Vec::new())])
        .collect();
    calls.push(vec![("texts", Vec::new()), ("last-post", Vec::new())]);
    let overlapping = compare(include_str!("shared_copies_exports.wat"), &calls);
    // `text(0)` and `texts`, on both instances, with both strategies
    assert_eq!(overlapping, 8);
}

#[test]
fn host_functions_read_parameters_as_written_in_every_region() {
    let calls = [vec![("relay", Vec::new())], vec![("log9", Vec::new())]];
    let overlapping = compare(include_str!("shared_copies_imports.wat"), &calls);
    assert_eq!(overlapping, 8);
}
