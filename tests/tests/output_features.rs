//! Fused output needs no WebAssembly feature its input does not use: every
//! fixture, fused as a component and as a core module with each memory
//! strategy, validates with exceptions, threads, SIMD and GC disabled
//! (each one that the input itself validates without). An empty section
//! counts: wasmparser rejects even an empty tag section without
//! exceptions.

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};
use wasmparser::{Validator, WasmFeatures};

/// The features an output may use only when its input does.
const OPTIONAL: [(&str, WasmFeatures); 4] = [
    ("exceptions", WasmFeatures::EXCEPTIONS),
    ("threads", WasmFeatures::THREADS),
    ("simd", WasmFeatures::SIMD),
    ("gc", WasmFeatures::GC),
];

fn validate(features: WasmFeatures, wasm: &[u8]) -> Result<(), String> {
    Validator::new_with_features(features)
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The default features less every optional one `input` does not need.
fn features_of(input: &[u8]) -> (WasmFeatures, Vec<&'static str>) {
    let mut features = WasmFeatures::default();
    let mut denied = Vec::new();
    for (name, feature) in OPTIONAL {
        if validate(WasmFeatures::default() - feature, input).is_ok() {
            features -= feature;
            denied.push(name);
        }
    }
    (features, denied)
}

#[test]
fn fused_output_uses_only_the_inputs_features() {
    let fixtures = meld_tests::fixtures::all().expect("fixtures build");
    let mut checked = 0;
    for fixture in &fixtures {
        let (features, denied) = features_of(&fixture.wasm);
        validate(features, &fixture.wasm).unwrap_or_else(|e| {
            panic!(
                "{}: the input needs more than one optional feature: {e}",
                fixture.name
            )
        });
        for output in [OutputKind::Component, OutputKind::Core] {
            for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
                let options = Options {
                    output,
                    memory,
                    ..Options::default()
                };
                let fused = fuse(&[&fixture.wasm], &options)
                    .unwrap_or_else(|e| panic!("{}: {options:?}: {e}", fixture.name));
                if let Err(e) = validate(features, &fused.wasm) {
                    panic!(
                        "{}: {options:?}: the output does not validate without {}: {e}",
                        fixture.name,
                        denied.join(", ")
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, fixtures.len() * 4);
}

#[test]
fn no_section_of_a_fused_module_is_empty() {
    let fixture = meld_tests::fixtures::get("scalars").expect("fixture builds");
    let options = Options {
        output: OutputKind::Core,
        memory: MemoryStrategy::Multi,
        ..Options::default()
    };
    let fused = fuse(&[&fixture.wasm], &options).expect("fuses");
    for payload in wasmparser::Parser::new(0).parse_all(&fused.wasm) {
        use wasmparser::Payload;
        let (name, count) = match payload.expect("parses") {
            Payload::TypeSection(s) => ("type", s.count()),
            Payload::ImportSection(s) => ("import", s.count()),
            Payload::FunctionSection(s) => ("function", s.count()),
            Payload::TableSection(s) => ("table", s.count()),
            Payload::MemorySection(s) => ("memory", s.count()),
            Payload::TagSection(s) => ("tag", s.count()),
            Payload::GlobalSection(s) => ("global", s.count()),
            Payload::ExportSection(s) => ("export", s.count()),
            Payload::ElementSection(s) => ("element", s.count()),
            Payload::DataCountSection { count, .. } => ("data count", count),
            Payload::CodeSectionStart { count, .. } => ("code", count),
            Payload::DataSection(s) => ("data", s.count()),
            _ => continue,
        };
        assert!(count > 0, "an empty {name} section");
    }
}
