//! Every input of the test suite, fused with every combination of output
//! kind and memory strategy: meld may refuse one (invalid input, something
//! unsupported), but an `internal` error — a broken invariant or an output
//! that does not validate — is a bug and fails the test.
//!
//! The inputs: the fixtures (`meld_tests::fixtures`), the chain of 150
//! components (`meld_tests::chain`), the adapter cases (`tests/cases/*/
//! input.wat`), the WAT files beside the tests (`tests/tests/**/*.wat`, with
//! their placeholders filled as their tests fill them) and the fuzz corpus
//! (`fuzz/corpus/fuse/*`) when one is present.

use meld_core::{ErrorKind, MemoryStrategy, Options, OutputKind, fuse};
use std::path::{Path, PathBuf};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files under `dir` (recursively) whose name ends with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(files(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// WAT text with the placeholders some test files have filled in the way
/// their tests fill them (the ones without a maximum, the others empty).
fn filled(text: &str) -> String {
    text.replace(" MAX)", ")")
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut inputs = Vec::new();
    for fixture in meld_tests::fixtures::all().expect("fixtures build") {
        inputs.push((format!("fixture {}", fixture.name), fixture.wasm));
    }
    inputs.push((
        "chain of 150".to_string(),
        meld_tests::chain::string_chain(150),
    ));
    let root = manifest_dir();
    let mut wat_files = files(&root.join("cases"), "input.wat");
    wat_files.extend(files(&root.join("tests"), ".wat"));
    wat_files.extend(files(&root.join("spec"), ".wat"));
    assert!(wat_files.len() >= 15, "WAT inputs missing: {wat_files:?}");
    for path in wat_files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let name = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let wasm = wat::parse_str(filled(&text)).unwrap_or_else(|e| panic!("{name}: {e}"));
        inputs.push((name, wasm));
    }
    for path in files(&root.join("../fuzz/corpus/fuse"), "") {
        let wasm = std::fs::read(&path).expect("readable");
        inputs.push((path.display().to_string(), wasm));
    }
    inputs
}

#[test]
fn no_input_of_the_test_suite_gives_an_internal_error() {
    let mut internal = Vec::new();
    let (mut fused, mut refused) = (0, 0);
    for (name, wasm) in inputs() {
        for output in [OutputKind::Component, OutputKind::Core] {
            for memory in [
                MemoryStrategy::Auto,
                MemoryStrategy::Multi,
                MemoryStrategy::Shared,
            ] {
                let options = Options {
                    output,
                    memory,
                    ..Options::default()
                };
                match fuse(&[&wasm], &options) {
                    Ok(_) => fused += 1,
                    Err(e) if e.kind() == ErrorKind::Internal => {
                        internal.push(format!("{name} ({output:?}, {memory:?}): {e}"));
                    }
                    Err(e) => {
                        println!("{name} ({output:?}, {memory:?}): {e}");
                        refused += 1;
                    }
                }
            }
        }
    }
    println!(
        "{fused} fused, {refused} refused, {} internal errors",
        internal.len()
    );
    assert!(
        internal.is_empty(),
        "internal errors:\n{}",
        internal.join("\n")
    );
}
