//! Engine-level tests on small hand-written components: structure of the
//! output, the core naming scheme, errors and determinism. Behaviour under a
//! runtime is checked by meld-tests' differential harness.

use meld_core::{ErrorKind, MemoryStrategy, Options, OutputKind, fuse, inspect};

/// A provider exporting `my:pkg/api` (`add: s32`, `wrap: u8`) and a
/// consumer exporting `run` that calls both.
const PAIR: &str = r#"
(component
  (component $provider
    (core module $m
      (memory (export "memory") 1)
      (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (func $wrap (export "wrap") (param i32) (result i32) local.get 0 i32.const 1 i32.add))
    (core instance $i (instantiate $m))
    (func $add (param "a" s32) (param "b" s32) (result s32) (canon lift (core func $i "add")))
    (func $wrap (param "a" u8) (result u8) (canon lift (core func $i "wrap")))
    (instance $api (export "add" (func $add)) (export "wrap" (func $wrap)))
    (export "my:pkg/api" (instance $api)))
  (component $consumer
    (import "my:pkg/api" (instance $api
      (export "add" (func (param "a" s32) (param "b" s32) (result s32)))
      (export "wrap" (func (param "a" u8) (result u8)))))
    (core func $add (canon lower (func $api "add")))
    (core func $wrap (canon lower (func $api "wrap")))
    (core module $m
      (import "api" "add" (func $add (param i32 i32) (result i32)))
      (import "api" "wrap" (func $wrap (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "run") (param i32) (result i32)
        local.get 0 local.get 0 call $add call $wrap))
    (core instance $i (instantiate $m
      (with "api" (instance (export "add" (func $add)) (export "wrap" (func $wrap))))))
    (func $run (param "x" s32) (result u8) (canon lift (core func $i "run")))
    (export "run" (func $run)))
  (instance $p (instantiate $provider))
  (alias export $p "my:pkg/api" (instance $api))
  (instance $c (instantiate $consumer (with "my:pkg/api" (instance $api))))
  (export "run" (func $c "run")))
"#;

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test component parses")
}

fn core_names(module: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        match payload.expect("valid module") {
            wasmparser::Payload::ImportSection(s) => {
                for i in s.into_imports() {
                    let i = i.expect("import");
                    imports.push(format!("{} {}", i.module, i.name));
                }
            }
            wasmparser::Payload::ExportSection(s) => {
                for e in s {
                    exports.push(e.expect("export").name.to_string());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

#[test]
fn a_pair_fuses_to_one_module_with_one_memory_per_instance() {
    let input = wat(PAIR);
    let fused = fuse(&[&input], &Options::default()).expect("fuses");
    assert_eq!(fused.stats.core_instances, 2);
    assert_eq!(fused.stats.memories, 2);
    // `add` passes s32 unchanged: a direct call; `wrap` passes u8, whose
    // high bits the ABI discards: a generated adapter.
    assert_eq!(fused.stats.adapters_direct, 1);
    assert_eq!(fused.stats.adapters_fixup, 1);
    assert!(wasmparser::Parser::is_component(&fused.wasm));
}

#[test]
fn core_output_names_exports_after_the_interface() {
    let input = wat(PAIR);
    let options = Options {
        output: OutputKind::Core,
        memory: MemoryStrategy::Multi,
        ..Options::default()
    };
    let fused = fuse(&[&input], &options).expect("fuses");
    assert!(wasmparser::Parser::is_core_wasm(&fused.wasm));
    let (imports, exports) = core_names(&fused.wasm);
    assert!(imports.is_empty(), "{imports:?}");
    assert_eq!(exports, ["run"]);
}

#[test]
fn generated_adapters_carry_names() {
    let input = wat(PAIR);
    let options = Options {
        output: OutputKind::Core,
        memory: MemoryStrategy::Multi,
        ..Options::default()
    };
    let fused = fuse(&[&input], &options).expect("fuses");
    let text = wasmprinter::print_bytes(&fused.wasm).expect("prints");
    assert!(text.contains("adapt my:pkg/api#wrap"), "{text}");
    assert!(
        text.contains("$add.root/p"),
        "function names keep their symbol, their component path after it: {text}"
    );
}

#[test]
fn fusion_is_deterministic() {
    let input = wat(PAIR);
    let a = fuse(&[&input], &Options::default()).expect("fuses");
    let b = fuse(&[&input], &Options::default()).expect("fuses");
    assert_eq!(a.wasm, b.wasm);
}

#[test]
fn inspect_shows_components_and_adapters() {
    let tree = inspect(&wat(PAIR)).expect("inspects");
    let paths: Vec<_> = tree.components.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert_eq!(tree.exports, ["run"]);
    let names: Vec<_> = tree.adapters.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["my:pkg/api#add", "my:pkg/api#wrap"]);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let cases: [(&str, Vec<u8>); 4] = [
        ("not wasm", b"hello world".to_vec()),
        ("core module", wat("(module)")),
        ("truncated", {
            let mut c = wat(PAIR);
            c.truncate(c.len() / 2);
            c
        }),
        (
            "invalid component",
            wat("(component (core module (func (export \"f\"))) )")
                .into_iter()
                .chain([0x00])
                .collect(),
        ),
    ];
    for (what, bytes) in cases {
        let err = fuse(&[&bytes], &Options::default()).expect_err(what);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
        assert!(!err.to_string().contains('\n'), "{what}: one line");
    }
}

/// The message of the first error a sequential validation of `wasm` gives.
fn sequential_error(wasm: &[u8]) -> String {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .err()
        .expect("invalid")
        .message()
        .to_string()
}

#[test]
fn invalid_bodies_give_the_sequential_validators_error() {
    // Enough bodies (over 64 KiB) that native hosts validate them in
    // parallel; one of them, early, does not type-check.
    let mut funcs = String::new();
    for k in 0..9000 {
        funcs.push_str(&format!(
            "(func (export \"f{k}\") (result i32) (i32.add (i32.const {k}) (i32.const 1)))\n"
        ));
    }
    let bad_body = "(func (result i32) (i64.const 0))";
    let only_body = wat(&format!("(component (core module {bad_body} {funcs}))"));
    let body_bytes: usize = wasmparser::Parser::new(0)
        .parse_all(&only_body)
        .filter_map(|payload| match payload {
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => Some(body.range().len()),
            _ => None,
        })
        .sum();
    assert!(body_bytes > 64 * 1024, "{body_bytes} bytes of bodies");
    // The invalid body, and after it a section that is invalid too (an
    // export of a core module that does not exist): whichever wasmparser's
    // own `validate_all` reports, meld reports.
    let later = wat(&format!(
        "(component (core module {bad_body} {funcs}) (export \"m\" (core module 7)))"
    ));
    // Instantiated: everything but the body fuses, and the stages before
    // the module's assembly run while the bodies are validated.
    let instantiated = wat(&format!(
        "(component (core module $m {bad_body} {funcs}) (core instance (instantiate $m)))"
    ));
    // Instantiated, with a body that does not even decode (an opcode no
    // proposal defines): the module is assembled while the bodies are
    // validated, and its copy fails too; the validator's error is given.
    let mut undecodable = wat(&format!(
        "(component (core module $m (func (result i32) (i32.const 0x7abcdef)) {funcs}) \
         (core instance (instantiate $m)))"
    ));
    let constant = [0x41, 0xef, 0x9b, 0xaf, 0x3d];
    let at = undecodable
        .windows(constant.len())
        .position(|w| w == constant)
        .expect("the constant's bytes");
    undecodable[at] = 0x27;
    for (what, bytes) in [
        ("a bad body", only_body),
        ("a bad body, then a bad export", later),
        ("a bad body in a module that is instantiated", instantiated),
        ("a body that does not decode, instantiated", undecodable),
    ] {
        let err = fuse(&[&bytes], &Options::default()).expect_err(what);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
        // the validator's error: at an offset of the input, in no inner
        // component (an error of meld's copy would name one)
        assert_eq!(err.location().path, None, "{what}: {err:?}");
        let expected = sequential_error(&bytes);
        assert!(
            err.to_string().contains(&expected),
            "{what}: `{err}` does not report `{expected}`"
        );
    }
}

/// A consumer passing a string to a provider.
const STRING_CALL: &str = r#"
(component
  (component $provider
    (core module $m
      (memory (export "memory") 1)
      (func (export "len") (param i32 i32) (result i32) local.get 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))
    (core instance $i (instantiate $m))
    (func $len (param "s" string) (result u32)
      (canon lift (core func $i "len") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))))
    (instance $api (export "len" (func $len)))
    (export "my:pkg/text" (instance $api)))
  (component $consumer
    (import "my:pkg/text" (instance $api (export "len" (func (param "s" string) (result u32)))))
    (core module $mem (memory (export "memory") 1))
    (core instance $mi (instantiate $mem))
    (core func $len (canon lower (func $api "len") (memory (core memory $mi "memory"))))
    (core module $m (import "api" "len" (func (param i32 i32) (result i32))))
    (core instance $i (instantiate $m (with "api" (instance (export "len" (func $len)))))))
  (instance $p (instantiate $provider))
  (alias export $p "my:pkg/text" (instance $api))
  (instance $c (instantiate $consumer (with "my:pkg/text" (instance $api)))))
"#;

#[test]
fn strings_across_components_get_a_copy_adapter_and_helper() {
    let fused = fuse(
        &[&wat(STRING_CALL)],
        &Options {
            output: OutputKind::Core,
            memory: MemoryStrategy::Multi,
            ..Options::default()
        },
    )
    .expect("fuses");
    assert_eq!(fused.stats.adapters_copy, 1);
    assert_eq!(fused.stats.adapters_direct, 0);
    let printed = wasmprinter::print_bytes(&fused.wasm).expect("prints");
    assert!(printed.contains("adapt my:pkg/text#len"), "{printed}");
    assert!(printed.contains("copy string utf8"), "{printed}");
    let tree = inspect(&wat(STRING_CALL)).expect("inspects");
    assert_eq!(tree.adapters[0].kind, meld_core::AdapterKind::Copy);
}

/// A module instantiated twice, whose code names a function, a global,
/// the memory, the table, an element and a data segment, then another:
/// each instance's indices move in the fused module, and the later
/// instances' functions and segments follow the first's.
const TWICE: &str = r#"
(component
  (core module $m
    (type $t (func (param i32) (result i32)))
    (memory 1)
    (table 2 funcref)
    (global $g (mut i32) (i32.const 0))
    (elem $e func $f)
    (elem declare func $h)
    (data $d "abc")
    (func $f (type $t) (i32.add (local.get 0) (global.get $g)))
    (func $h (param i32) (result i32)
      (global.set $g (call $f (local.get 0)))
      (table.init $e (i32.const 0) (i32.const 0) (i32.const 1))
      (elem.drop $e)
      (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))
      (data.drop $d)
      (drop (call_indirect (type $t) (i32.const 1) (i32.const 0)))
      (i32.store offset=4 (i32.const 0) (i32.load8_u (i32.const 1)))
      (drop (memory.grow (memory.size)))
      (local.get 0))
    (func $u (result i32) (i32.const 7))
    (export "h" (func $h)))
  (core instance $a (instantiate $m))
  (core instance $b (instantiate $m))
  (core module $n
    (memory 1)
    (table 1 funcref)
    (elem (i32.const 0) func $x)
    (data (i32.const 0) "z")
    (func $x (param i32) (result i32) (local.get 0)))
  (core instance $c (instantiate $n)))
"#;

/// `wasm` with `find`, the first time its bytes occur, replaced by
/// `replace` (of the same length).
fn patched(wasm: &[u8], find: &[u8], replace: &[u8]) -> Vec<u8> {
    assert_eq!(find.len(), replace.len());
    let at = wasm
        .windows(find.len())
        .position(|w| w == find)
        .expect("the bytes to patch");
    let mut out = wasm.to_vec();
    out[at..at + find.len()].copy_from_slice(replace);
    out
}

/// Fuses `wasm` with both memory strategies: where the input's
/// validation fails, fusion fails with its error; where fusion succeeds,
/// the input is valid.
fn fusion_follows_validation(what: &str, wasm: &[u8]) {
    let valid = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .is_ok();
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        match (fuse(&[wasm], &options), valid) {
            (Ok(_), true) => {}
            (Ok(_), false) => panic!("{what} ({memory:?}): an invalid input fused"),
            (Err(err), false) => {
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{what}: {err}");
                let expected = sequential_error(wasm);
                assert!(
                    err.to_string().contains(&expected),
                    "{what} ({memory:?}): `{err}` does not report `{expected}`"
                );
            }
            (Err(err), true) => assert_eq!(
                err.kind(),
                ErrorKind::Unsupported,
                "{what} ({memory:?}): a valid input refused: {err}"
            ),
        }
    }
}

/// The input's bodies that fusion copies into the fused module are not
/// validated apart (the fused module's validation shows them valid), so
/// what would be valid only in the fused module must still be refused.
#[test]
fn bodies_valid_only_once_fused_are_refused() {
    let twice = wat(TWICE);
    fusion_follows_validation("the module", &twice);
    let elem_drop_0 = [0xFC, 0x0D, 0x00];
    let data_drop_0 = [0xFC, 0x09, 0x00];
    let call_0 = [0x10, 0x00];
    for (what, wasm) in [
        // Past the module's own segments, but the second instance's
        // first segment in the fused module.
        (
            "elem.drop of a segment the module lacks",
            patched(&twice, &elem_drop_0, &[0xFC, 0x0D, 0x02]),
        ),
        (
            "data.drop of a segment the module lacks",
            patched(&twice, &data_drop_0, &[0xFC, 0x09, 0x01]),
        ),
        // The fused module's function 3 is the second instance's first.
        (
            "a call of a function the module lacks",
            patched(&twice, &call_0, &[0x10, 0x03]),
        ),
        // `ref.func` of a function the module does not declare.
        (
            "ref.func undeclared",
            wat(&TWICE.replace("(data.drop $d)", "(data.drop $d) (drop (ref.func $u))")),
        ),
    ] {
        assert!(
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                .validate_all(&wasm)
                .is_err(),
            "{what}: the patched input should be invalid"
        );
        fusion_follows_validation(what, &wasm);
    }
    // A data segment instruction needs a data count section; the fused
    // module has one.
    let no_data_count = without_data_count(&twice);
    assert!(sequential_error(&no_data_count).contains("data count"));
    fusion_follows_validation("data.drop without a data count section", &no_data_count);
}

/// `wasm` with its first core module's data count section removed (the
/// module's size shrunk to match).
fn without_data_count(wasm: &[u8]) -> Vec<u8> {
    let mut module_range = None;
    let mut count_range = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.expect("parses") {
            wasmparser::Payload::ModuleSection {
                unchecked_range, ..
            } => {
                module_range.get_or_insert(unchecked_range);
            }
            wasmparser::Payload::DataCountSection { range, .. } => {
                count_range.get_or_insert(range);
            }
            _ => {}
        }
    }
    let (module, count) = (
        module_range.expect("a module"),
        count_range.expect("a count"),
    );
    // The section: its id, a one-byte size, the count.
    let section = count.start - 2..count.end;
    let mut core = wasm[module.clone()].to_vec();
    core.drain(section.start - module.start..section.end - module.start);
    rebuild_with_module(wasm, module, &core)
}

/// `wasm`, a component whose first section is the core module at
/// `module`, with that module replaced by `core`.
fn rebuild_with_module(wasm: &[u8], module: std::ops::Range<usize>, core: &[u8]) -> Vec<u8> {
    // The module section's id and size come before `module`.
    let mut size_start = module.start - 1;
    while wasm[size_start - 1] & 0x80 != 0 {
        size_start -= 1;
    }
    let mut out = wasm[..size_start].to_vec();
    wasm_encoder::Encode::encode(&(core.len() as u32), &mut out);
    out.extend_from_slice(core);
    out.extend_from_slice(&wasm[module.end..]);
    out
}

/// Every byte of the module's function bodies changed in a few ways:
/// fusion succeeds only on valid inputs, and fails on invalid ones with
/// the validator's error.
#[test]
fn fusion_of_mutated_bodies_follows_validation() {
    let twice = wat(TWICE);
    let bodies: Vec<usize> = wasmparser::Parser::new(0)
        .parse_all(&twice)
        .filter_map(|payload| match payload {
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => Some(body.range()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut mutants = 0;
    for at in bodies {
        let byte = twice[at];
        for new in [
            0x00,
            0x01,
            0x02,
            0x0B,
            0x10,
            0x41,
            0x7F,
            0x80,
            0xD2,
            0xFC,
            byte ^ 1,
        ] {
            if new == byte {
                continue;
            }
            let mut wasm = twice.clone();
            wasm[at] = new;
            fusion_follows_validation(&format!("byte {at:#x} set to {new:#04x}"), &wasm);
            mutants += 1;
        }
    }
    assert!(mutants > 700, "{mutants} mutants");
}

/// A module with enough code that native hosts validate the fused
/// module's bodies as they are written, and copy them on several threads.
fn large_module(count: usize, bad: Option<usize>) -> Vec<u8> {
    let mut funcs = String::new();
    for k in 0..count {
        let value = match Some(k) == bad {
            true => format!("(i64.const {k})"),
            false => format!("(i32.const {k})"),
        };
        funcs.push_str(&format!(
            "(func (export \"f{k}\") (result i32) \
             (i32.add {value} (i32.add (call $one) (i32.const 1000000))))\n"
        ));
    }
    wat(&format!(
        r#"(component
          (core module $lib (func (export "one") (result i32) (i32.const 1)))
          (core instance $l (instantiate $lib))
          (core module $m (import "lib" "one" (func $one (result i32))) {funcs})
          (core instance (instantiate $m (with "lib" (instance $l)))))"#
    ))
}

/// The input's bodies that fusion copies are validated only as the fused
/// module's bodies, which native hosts validate as they are written: an
/// invalid one deep in a large module is still refused with the input's
/// error, with either output.
#[test]
fn an_invalid_body_of_a_large_module_is_refused() {
    let count = 25_000;
    let wasm = large_module(count, Some(count / 2));
    let expected = sequential_error(&wasm);
    assert!(expected.contains("type mismatch"), "{expected}");
    for output in [OutputKind::Component, OutputKind::Core] {
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let options = Options {
                output,
                memory,
                ..Options::default()
            };
            let err = fuse(&[&wasm], &options).expect_err("an invalid input");
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert!(
                err.to_string().contains(&expected),
                "{output:?} {memory:?}: {err}"
            );
        }
    }
}

/// A module with enough code that native hosts copy it on several
/// threads: every body comes out in its place, its call moved.
#[test]
fn large_modules_are_copied_in_order() {
    let count = 25_000;
    let wasm = large_module(count, None);
    let options = Options {
        output: OutputKind::Core,
        memory: MemoryStrategy::Multi,
        ..Options::default()
    };
    let fused = fuse(&[&wasm], &options).expect("fuses").wasm;
    // Each body of `$m`: `i32.const k`, then a call of `$lib`'s function,
    // the fused module's function 0.
    let mut bodies = 0;
    let mut k = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&fused) {
        let wasmparser::Payload::CodeSectionEntry(body) = payload.expect("parses") else {
            continue;
        };
        let mut ops = body.get_operators_reader().expect("operators");
        let first = ops.read().expect("an operator");
        bodies += 1;
        if bodies == 1 {
            continue; // `$lib`'s
        }
        assert!(
            matches!(first, wasmparser::Operator::I32Const { value } if value == k),
            "body {bodies}: {first:?}, expected i32.const {k}"
        );
        let call = ops.read().expect("an operator");
        assert!(
            matches!(call, wasmparser::Operator::Call { function_index: 0 }),
            "body {bodies}: {call:?}"
        );
        k += 1;
    }
    assert_eq!(k as usize, count);
}
