//! What a component's binary holds at its root, read without validating:
//! for tests that check the shape of fused output.

use wasmparser::{ComponentExternalKind, Parser, Payload};

/// The root's exports in order: names and kinds.
pub fn root_exports(wasm: &[u8]) -> Vec<(String, ComponentExternalKind)> {
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("parses") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    let export = export.expect("an export");
                    exports.push((export.name.name.to_string(), export.kind));
                }
            }
            _ => {}
        }
    }
    exports
}

/// The encodings of the components defined directly in the root.
pub fn root_components(wasm: &[u8]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("parses") {
            Payload::ComponentSection {
                unchecked_range, ..
            } => {
                if depth == 0 {
                    found.push(wasm[unchecked_range].to_vec());
                }
                depth += 1;
            }
            Payload::ModuleSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    found
}
