//! What the async fixtures' inner components (wit-bindgen 0.60.0 guests,
//! see `fixtures::async_all`) import and define at the core level: for
//! each inner component, its main core module's imports with their core
//! types, and every `canon` definition as wasmprinter prints it, pinned in
//! `tests/async_abi_use/<fixture>.core.txt`. A summary of what they show
//! is the module doc of `async_calls.rs`. A change of guest toolchain
//! that changes this input of the fused async runtime fails here first.

use std::fmt::Write as _;
use std::path::PathBuf;

use meld_tests::fixtures;
use wasmparser::{Parser, Payload, TypeRef};

/// Pins, per async fixture, each inner component's core-level use of the
/// async ABI (see the module doc): the main core module's imports with
/// their types, and every `canon` definition as wasmprinter prints it.
/// `BLESS=1` rewrites `tests/async_abi_use/<fixture>.core.txt`.
#[test]
fn core_level_use_of_the_async_abi() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/async_abi_use");
    let bless = std::env::var_os("BLESS").is_some();
    let mut stale = Vec::new();
    for fixture in fixtures::async_all().expect("the async fixtures build") {
        let dump = core_dump(&fixture.wasm)
            .unwrap_or_else(|e| panic!("dumping `{}`: {e:#}", fixture.name));
        println!("==== {}\n{dump}", fixture.name);
        let file = dir.join(format!("{}.core.txt", fixture.name));
        if bless {
            std::fs::create_dir_all(&dir).expect("creating tests/async_abi_use");
            std::fs::write(&file, &dump).expect("writing the expected dump");
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(dump.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "core-level dumps differ from (or lack) {stale:?}; rerun with BLESS=1 if intended"
    );
}

/// For each component nested directly in `wasm` (an inner component of
/// the composition): its main (first) core module's imports, and the
/// `canon` definitions of the component, in order.
fn core_dump(wasm: &[u8]) -> anyhow::Result<String> {
    let mut out = String::new();
    for (index, range) in nested_components(wasm)?.into_iter().enumerate() {
        let component = &wasm[range];
        writeln!(out, "inner component {index}")?;
        writeln!(out, "  main module imports:")?;
        if let Some(module) = nested_modules(component)?.into_iter().next() {
            for line in module_imports(&component[module])? {
                writeln!(out, "    {line}")?;
            }
        }
        writeln!(out, "  canon definitions:")?;
        let text = wasmprinter::print_bytes(component)?;
        for line in text.lines() {
            if let Some(canon) = canon_form(line) {
                writeln!(out, "    {canon}")?;
            }
        }
    }
    Ok(out)
}

/// The byte ranges of the components nested directly in `wasm`.
fn nested_components(wasm: &[u8]) -> anyhow::Result<Vec<std::ops::Range<usize>>> {
    nested(wasm, true)
}

/// The byte ranges of the core modules nested directly in `wasm`.
fn nested_modules(wasm: &[u8]) -> anyhow::Result<Vec<std::ops::Range<usize>>> {
    nested(wasm, false)
}

fn nested(wasm: &[u8], components: bool) -> anyhow::Result<Vec<std::ops::Range<usize>>> {
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ComponentSection {
                unchecked_range, ..
            } => {
                if depth == 0 && components {
                    ranges.push(unchecked_range);
                }
                depth += 1;
            }
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                if depth == 0 && !components {
                    ranges.push(unchecked_range);
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(ranges)
}

/// `"module" "name": [params] -> [results]` for each function import of
/// core module `wasm` (other imports by kind).
fn module_imports(wasm: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut types = Vec::new();
    let mut lines = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let list = |tys: &[wasmparser::ValType]| {
                        tys.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    types.push(format!(
                        "[{}] -> [{}]",
                        list(ty.params()),
                        list(ty.results())
                    ));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let ty = match import.ty {
                        TypeRef::Func(index) => types
                            .get(index as usize)
                            .cloned()
                            .unwrap_or_else(|| format!("type {index}")),
                        other => format!("{other:?}"),
                    };
                    lines.push(format!("{:?} {:?}: {ty}", import.module, import.name));
                }
            }
            _ => {}
        }
    }
    Ok(lines)
}

/// The `(canon ...)` form in a line of wasmprinter's output, if any,
/// without the surrounding definition (whose names and indices carry no
/// information).
fn canon_form(line: &str) -> Option<&str> {
    let start = line.find("(canon ")?;
    let mut depth = 0usize;
    let mut in_string = false;
    for (offset, c) in line[start..].char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(&line[start..=start + offset]);
                }
            }
            _ => {}
        }
    }
    None
}
