//! meld.wasm under wasmtime, through bindings generated from the WIT, must
//! answer exactly what meld-core answers natively (what the native CLI
//! writes and prints): the same bytes, statistics and warnings for every
//! fixture and output kind, the same error (kind, message, location) for
//! bad inputs, the same instantiation tree. A trap is a bug in the engine
//! and fails the test; so does any import in meld.wasm.

mod common;

use std::sync::OnceLock;

use exports::meld::fuse::fuser;
use meld_core::{ErrorKind, Location, MemoryStrategy, Options, OutputKind};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

wasmtime::component::bindgen!({ path: "wit", world: "meld" });

/// meld.wasm, compiled once per test process.
fn component() -> &'static Component {
    static COMPONENT: OnceLock<Component> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        let bytes = common::read(&common::artifacts().meld);
        Component::new(common::engine(), &bytes).expect("meld.wasm compiles")
    })
}

/// A fresh instance of meld.wasm, with nothing linked: it imports nothing.
fn instantiate() -> (Store<()>, Meld) {
    let engine = common::engine();
    let mut store = Store::new(engine, ());
    let meld = Meld::instantiate(&mut store, component(), &Linker::new(engine))
        .expect("meld.wasm instantiates with no imports");
    (store, meld)
}

/// The option sets every fixture is fused with: each output kind with the
/// default memory strategy, and each strategy for a core module.
fn option_sets() -> Vec<Options> {
    let options = |output, memory, region_mib, simd| Options {
        output,
        memory,
        region_mib,
        debug_info: meld_core::DebugInfo::Keep,
        simd,
    };
    use meld_core::Simd;
    vec![
        options(
            OutputKind::Component,
            MemoryStrategy::Auto,
            None,
            Simd::Auto,
        ),
        options(OutputKind::Core, MemoryStrategy::Auto, None, Simd::Auto),
        options(OutputKind::Core, MemoryStrategy::Multi, None, Simd::Auto),
        options(OutputKind::Core, MemoryStrategy::Shared, Some(2), Simd::On),
        options(OutputKind::Component, MemoryStrategy::Multi, None, Simd::On),
    ]
}

/// Fuses through meld.wasm; a trap panics, naming the case.
fn fuse_wasm(
    store: &mut Store<()>,
    meld: &Meld,
    inputs: &[Vec<u8>],
    options: &Options,
    case: &str,
) -> Result<fuser::Fused, fuser::Error> {
    meld.meld_fuse_fuser()
        .call_fuse(&mut *store, inputs, options_to_wit(options))
        .unwrap_or_else(|trap| panic!("{case}: meld.wasm trapped: {trap:?}"))
}

/// Fuses with meld.wasm and natively and asserts both answer the same.
/// Returns whether fusion succeeded.
fn assert_same_fusion(
    store: &mut Store<()>,
    meld: &Meld,
    inputs: &[Vec<u8>],
    options: &Options,
    case: &str,
) -> bool {
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let native = meld_core::fuse(&refs, options);
    let wasm = fuse_wasm(store, meld, inputs, options, case);
    match (native, wasm) {
        (Ok(native), Ok(wasm)) => {
            let wasm = fused_to_core(wasm);
            assert!(
                native.wasm == wasm.wasm,
                "{case}: meld.wasm wrote {} bytes that differ from the native {} bytes",
                wasm.wasm.len(),
                native.wasm.len()
            );
            assert_eq!(native.stats, wasm.stats, "{case}: stats");
            assert_eq!(native.warnings, wasm.warnings, "{case}: warnings");
            true
        }
        (Err(native), Err(wasm)) => {
            assert_eq!(native_error(&native), error_to_core(wasm), "{case}: error");
            false
        }
        (native, wasm) => panic!(
            "{case}: native and meld.wasm disagree: native {:?}, meld.wasm {:?}",
            native.map(|f| f.stats),
            wasm.map(|f| f.stats)
        ),
    }
}

#[test]
fn meld_wasm_imports_nothing_and_exports_fuser() {
    let bytes = common::read(&common::artifacts().meld);
    meld_dist::check_imports_nothing(&bytes).expect("the WIT world of meld.wasm");
    let ty = component().component_type();
    let engine = common::engine();
    let imports: Vec<_> = ty.imports(engine).map(|(name, _)| name).collect();
    assert!(imports.is_empty(), "meld.wasm imports {imports:?}");
    let exports: Vec<_> = ty.exports(engine).map(|(name, _)| name).collect();
    assert_eq!(exports, [meld_dist::INTERFACE]);
}

#[test]
fn every_fixture_fuses_to_the_native_bytes() {
    let (mut store, meld) = instantiate();
    let fixtures = meld_tests::fixtures::all().expect("fixtures build");
    let mut fused = 0;
    for fixture in &fixtures {
        for options in option_sets() {
            let case = format!("{} ({options:?})", fixture.name);
            let inputs = [fixture.wasm.clone()];
            if assert_same_fusion(&mut store, &meld, &inputs, &options, &case) {
                fused += 1;
            }
        }
    }
    assert!(fused > 0, "no fixture fused");
}

#[test]
fn async_fixtures_fuse_to_the_native_bytes() {
    // Components that use the async ABI fuse (with meld's async runtime)
    // to the native bytes with either memory strategy; `--emit core`
    // refuses them with the native error.
    let (mut store, meld) = instantiate();
    // The fixtures and the hand-written compositions (async calls of the
    // host, with strings and handles, among them).
    let inputs = meld_tests::fixtures::async_inputs().expect("async inputs build");
    for (name, wasm) in inputs {
        for (output, memory) in [
            (OutputKind::Component, MemoryStrategy::Multi),
            (OutputKind::Component, MemoryStrategy::Shared),
            (OutputKind::Core, MemoryStrategy::Auto),
        ] {
            let options = Options {
                output,
                memory,
                ..Options::default()
            };
            let case = format!("{name} ({options:?})");
            let fused = assert_same_fusion(
                &mut store,
                &meld,
                std::slice::from_ref(&wasm),
                &options,
                &case,
            );
            assert_eq!(fused, output == OutputKind::Component, "{case}");
        }
    }
}

#[test]
fn debug_built_fixtures_fuse_to_the_native_bytes_kept_or_stripped() {
    let (mut store, meld) = instantiate();
    for fixture in meld_tests::fixtures::debug_all().expect("fixtures build") {
        for debug_info in [meld_core::DebugInfo::Keep, meld_core::DebugInfo::Strip] {
            for output in [OutputKind::Component, OutputKind::Core] {
                let options = Options {
                    output,
                    debug_info,
                    ..Options::default()
                };
                let case = format!("{} ({options:?})", fixture.name);
                let inputs = [fixture.wasm.clone()];
                let fused = assert_same_fusion(&mut store, &meld, &inputs, &options, &case);
                // (one that needs the async runtime fuses only to a
                // component, and both refuse a core module the same way)
                let refused = fixture.name.starts_with("async") && output == OutputKind::Core;
                assert_eq!(fused, !refused, "{case}: must fuse unless refused");
            }
        }
    }
}

#[test]
fn several_inputs_link_as_natively() {
    let (mut store, meld) = instantiate();
    let hello = meld_tests::fixtures::get("wasi-hello")
        .expect("fixture")
        .wasm;
    let scalars = meld_tests::fixtures::get("scalars").expect("fixture").wasm;
    let module = wat::parse_str("(module)").expect("wat");
    let cases = [
        ("hello + scalars", vec![hello.clone(), scalars.clone()]),
        ("scalars + hello", vec![scalars.clone(), hello.clone()]),
        ("hello + core module", vec![hello.clone(), module]),
        ("scalars + garbage", vec![scalars, b"garbage".to_vec()]),
    ];
    let fused: Vec<bool> = cases
        .iter()
        .map(|(case, inputs)| {
            assert_same_fusion(&mut store, &meld, inputs, &Options::default(), case)
        })
        .collect();
    assert!(fused[0] || fused[1], "two components link and fuse");
    assert_eq!(fused[2..], [false, false], "a non-component input fails");
}

/// Inputs every host must reject with a typed error, never a trap.
fn bad_inputs() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let valid = meld_tests::fixtures::get("scalars").expect("fixture").wasm;
    let mut corrupted = valid.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle..middle + 16].fill(0xff);
    vec![
        ("no input", vec![]),
        ("empty input", vec![vec![]]),
        ("not wasm", vec![b"this is not wasm".to_vec()]),
        (
            "core module",
            vec![wat::parse_str("(module (func (export \"f\")))").expect("wat")],
        ),
        ("truncated", vec![valid[..valid.len() / 3].to_vec()]),
        ("corrupted", vec![corrupted]),
    ]
}

#[test]
fn bad_inputs_come_back_as_the_native_errors() {
    let (mut store, meld) = instantiate();
    for (case, inputs) in bad_inputs() {
        for options in option_sets() {
            let case = format!("{case} ({options:?})");
            assert!(
                !assert_same_fusion(&mut store, &meld, &inputs, &options, &case),
                "{case}: must be an error"
            );
        }
    }
    // Errors carry their kind and location across the boundary.
    let module = wat::parse_str("(module)").expect("wat");
    let error = fuse_wasm(
        &mut store,
        &meld,
        &[b"\0asm".to_vec(), module],
        &Options::default(),
        "location",
    )
    .expect_err("not components");
    assert_eq!(error.kind, fuser::ErrorKind::InvalidInput);
    assert!(error.location.input.is_some() || error.location.offset.is_some());
}

/// Mutated fixtures, as the fuzz target makes them: whatever native meld
/// answers, meld.wasm answers the same, and it never traps.
#[test]
fn mutated_fixtures_fuse_or_fail_as_natively() {
    let (mut store, meld) = instantiate();
    let fixtures = meld_tests::fixtures::all().expect("fixtures build");
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut errors = 0;
    for round in 0..150 {
        let fixture = &fixtures[round % fixtures.len()];
        let mut bytes = fixture.wasm.clone();
        for _ in 0..=random.below(4) {
            let at = random.below(bytes.len());
            bytes[at] = random.below(256) as u8;
        }
        let case = format!("{} mutation {round}", fixture.name);
        if !assert_same_fusion(&mut store, &meld, &[bytes], &Options::default(), &case) {
            errors += 1;
        }
    }
    assert!(errors > 0, "some mutations must be rejected");
}

#[test]
fn inspect_gives_the_native_tree() {
    let (mut store, meld) = instantiate();
    let fixtures = meld_tests::fixtures::all().expect("fixtures build");
    let bad = bad_inputs().into_iter().filter_map(|(case, mut inputs)| {
        let input = inputs.pop()?;
        Some((case, input))
    });
    let good = fixtures.iter().map(|f| (f.name, f.wasm.clone()));
    let mut trees = 0;
    for (case, input) in good.chain(bad) {
        let native = meld_core::inspect(&input);
        let wasm = meld
            .meld_fuse_fuser()
            .call_inspect(&mut store, &input)
            .unwrap_or_else(|trap| panic!("{case}: meld.wasm trapped in inspect: {trap:?}"));
        match (native, wasm) {
            (Ok(native), Ok(wasm)) => {
                assert_eq!(native, tree_to_core(wasm), "{case}: tree");
                trees += 1;
            }
            (Err(native), Err(wasm)) => {
                assert_eq!(native_error(&native), error_to_core(wasm), "{case}: error");
            }
            (native, wasm) => panic!("{case}: native {native:?}, meld.wasm {wasm:?}"),
        }
    }
    assert_eq!(trees, fixtures.len(), "every fixture inspects");
}

/// A small deterministic generator for the mutations.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The options in the WIT's types.
fn options_to_wit(options: &Options) -> fuser::Options {
    let Options {
        output,
        memory,
        region_mib,
        debug_info,
        simd,
    } = options;
    fuser::Options {
        emit: match output {
            OutputKind::Component => fuser::EmitKind::Component,
            OutputKind::Core => fuser::EmitKind::Core,
        },
        memory: match memory {
            MemoryStrategy::Auto => fuser::MemoryStrategy::Auto,
            MemoryStrategy::Multi => fuser::MemoryStrategy::Multi,
            MemoryStrategy::Shared => fuser::MemoryStrategy::Shared,
        },
        region_mib: *region_mib,
        debug_info: match debug_info {
            meld_core::DebugInfo::Keep => fuser::DebugInfo::Keep,
            meld_core::DebugInfo::Strip => fuser::DebugInfo::Strip,
        },
        simd: match simd {
            meld_core::Simd::Auto => fuser::Simd::Auto,
            meld_core::Simd::On => fuser::Simd::On,
            meld_core::Simd::Off => fuser::Simd::Off,
        },
    }
}

// What meld.wasm answered, in meld-core's types, so that it compares with
// the native answer as a whole. Struct literals name every field, so a
// field added to meld-core breaks this until it is compared too.

type ErrorParts = (ErrorKind, String, Location);

fn native_error(error: &meld_core::Error) -> ErrorParts {
    (
        error.kind(),
        error.message().to_string(),
        error.location().clone(),
    )
}

fn narrow(n: u64) -> usize {
    usize::try_from(n).expect("fits in usize")
}

fn error_to_core(error: fuser::Error) -> ErrorParts {
    let fuser::Error {
        kind,
        message,
        location,
    } = error;
    let kind = match kind {
        fuser::ErrorKind::InvalidInput => ErrorKind::InvalidInput,
        fuser::ErrorKind::Unsupported => ErrorKind::Unsupported,
        fuser::ErrorKind::Link => ErrorKind::Link,
        fuser::ErrorKind::Internal => ErrorKind::Internal,
    };
    let fuser::Location {
        input,
        path,
        offset,
    } = location;
    let location = Location {
        input: input.map(narrow),
        path,
        offset: offset.map(narrow),
    };
    (kind, message, location)
}

fn fused_to_core(fused: fuser::Fused) -> meld_core::Fused {
    let fuser::Fused {
        wasm,
        stats,
        warnings,
    } = fused;
    let fuser::Stats {
        components,
        core_modules,
        core_instances,
        memories,
        adapters,
        adapter_code_bytes,
        host_imports,
        input_bytes,
        output_bytes,
        dropped_sections,
        dwarf_bytes,
        memory,
        regions,
        suspendable,
    } = stats;
    let fuser::AdapterCounts {
        direct,
        fixup,
        copy,
        transcode,
    } = adapters;
    let stats = meld_core::Stats {
        components: narrow(components),
        core_modules: narrow(core_modules),
        core_instances: narrow(core_instances),
        memories: narrow(memories),
        adapters_direct: narrow(direct),
        adapters_fixup: narrow(fixup),
        adapters_copy: narrow(copy),
        adapters_transcode: narrow(transcode),
        adapter_code_bytes: narrow(adapter_code_bytes),
        host_imports: narrow(host_imports),
        input_bytes: narrow(input_bytes),
        output_bytes: narrow(output_bytes),
        dropped_sections: dropped_sections
            .into_iter()
            .map(|fuser::DroppedSection { name, size }| (name, narrow(size)))
            .collect(),
        dwarf_bytes: narrow(dwarf_bytes),
        memory: match memory {
            fuser::MemoryStrategy::Auto => MemoryStrategy::Auto,
            fuser::MemoryStrategy::Multi => MemoryStrategy::Multi,
            fuser::MemoryStrategy::Shared => MemoryStrategy::Shared,
        },
        regions: regions
            .into_iter()
            .map(
                |fuser::Region {
                     component,
                     base,
                     max_bytes,
                 }| meld_core::Region {
                    component,
                    base,
                    max_bytes,
                },
            )
            .collect(),
        suspendable: suspendable
            .into_iter()
            .map(
                |fuser::Suspendable {
                     component,
                     functions,
                     transformed,
                     transformed_bytes_before,
                     transformed_bytes_after,
                 }| meld_core::Suspendable {
                    component,
                    functions: narrow(functions),
                    transformed: narrow(transformed),
                    transformed_bytes_before: narrow(transformed_bytes_before),
                    transformed_bytes_after: narrow(transformed_bytes_after),
                },
            )
            .collect(),
    };
    meld_core::Fused {
        wasm,
        stats,
        warnings,
    }
}

fn tree_to_core(tree: fuser::Tree) -> meld_core::Tree {
    let fuser::Tree {
        components,
        imports,
        exports,
        adapters,
        lowerings,
    } = tree;
    meld_core::Tree {
        components: components
            .into_iter()
            .map(
                |fuser::ComponentNode {
                     path,
                     parent,
                     core_instances,
                 }| meld_core::ComponentNode {
                    path,
                    parent,
                    core_instances: core_instances
                        .into_iter()
                        .map(
                            |fuser::CoreInstanceNode {
                                 index,
                                 module,
                                 imports,
                             }| meld_core::CoreInstanceNode {
                                index: narrow(index),
                                module,
                                imports: imports
                                    .into_iter()
                                    .map(
                                        |fuser::CoreImportNode {
                                             module,
                                             field,
                                             source,
                                         }| {
                                            meld_core::CoreImportNode {
                                                module,
                                                field,
                                                source,
                                            }
                                        },
                                    )
                                    .collect(),
                            },
                        )
                        .collect(),
                },
            )
            .collect(),
        imports,
        exports,
        adapters: adapters
            .into_iter()
            .map(
                |fuser::AdapterNode {
                     name,
                     caller,
                     callee,
                     kind,
                 }| meld_core::AdapterNode {
                    name,
                    caller,
                    callee,
                    kind: match kind {
                        fuser::AdapterKind::Direct => meld_core::AdapterKind::Direct,
                        fuser::AdapterKind::Fixup => meld_core::AdapterKind::Fixup,
                        fuser::AdapterKind::Copy => meld_core::AdapterKind::Copy,
                        fuser::AdapterKind::Transcode => meld_core::AdapterKind::Transcode,
                        fuser::AdapterKind::Unsupported(why) => {
                            meld_core::AdapterKind::Unsupported(why)
                        }
                    },
                },
            )
            .collect(),
        lowerings: lowerings
            .into_iter()
            .map(|fuser::LoweringNode { name, caller }| meld_core::LoweringNode { name, caller })
            .collect(),
    }
}
