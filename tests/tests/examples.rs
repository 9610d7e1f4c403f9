//! The example inputs checked in under `examples/` (see its README): each
//! is what `examples/rebuild.sh` writes, one of the fixtures. Checked here:
//! the script builds exactly the checked-in files; each checked-in file
//! fuses (component and core output) and the fused component behaves like
//! it under wasmtime; and the script's output today (the fixture as built
//! now) has the same WIT world and behaves like the checked-in file. The
//! bytes themselves depend on the Rust toolchain, so they are not compared.

use meld_core::{Options, OutputKind, fuse};
use meld_tests::fixtures;
use meld_tests::harness::{CompareOptions, compare};
use std::path::{Path, PathBuf};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The names the rebuild script builds, read from its `EXAMPLES=(...)`.
fn script_names() -> Vec<String> {
    let script = std::fs::read_to_string(examples_dir().join("rebuild.sh")).expect("rebuild.sh");
    let line = script
        .lines()
        .find_map(|l| l.strip_prefix("EXAMPLES=("))
        .and_then(|l| l.strip_suffix(')'))
        .expect("rebuild.sh has an EXAMPLES=(...) line");
    line.split_whitespace().map(str::to_string).collect()
}

fn checked_in() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(examples_dir().join(format!("{name}.wasm"))).expect("read");
            (name, bytes)
        })
        .collect()
}

fn options() -> CompareOptions {
    CompareOptions {
        calls_per_function: 8,
        ..CompareOptions::default()
    }
}

#[test]
fn the_script_builds_exactly_the_checked_in_examples() {
    let mut script = script_names();
    script.sort();
    let files: Vec<String> = checked_in().into_iter().map(|(n, _)| n).collect();
    assert_eq!(script, files, "examples/rebuild.sh and examples/*.wasm");
    for name in &script {
        assert!(
            fixtures::names().any(|f| f == name),
            "`{name}` is not a fixture"
        );
    }
}

#[test]
fn checked_in_examples_fuse_and_run_like_the_originals() {
    for (name, bytes) in checked_in() {
        for output in [OutputKind::Component, OutputKind::Core] {
            let fused = fuse(
                &[&bytes],
                &Options {
                    output,
                    ..Options::default()
                },
            )
            .unwrap_or_else(|e| panic!("{name} ({output:?}): {e}"));
            if output == OutputKind::Core {
                continue;
            }
            let report = compare(&bytes, &fused.wasm, &options()).expect("compared");
            assert!(report.is_clean(), "{name}: {report}");
            assert!(report.calls > 0, "{name}: nothing called");
        }
    }
}

#[test]
fn the_script_output_matches_the_checked_in_examples() {
    for (name, bytes) in checked_in() {
        let rebuilt = fixtures::get(&name).expect("fixture builds");
        if rebuilt.wasm == bytes {
            println!("{name}: byte-identical");
        } else {
            println!(
                "{name}: rebuilt differently ({} bytes, checked in {})",
                rebuilt.wasm.len(),
                bytes.len()
            );
        }
        let report = compare(&bytes, &rebuilt.wasm, &options()).expect("compared");
        assert!(
            report.is_clean(),
            "{name}: the rebuilt example differs from the checked-in one \
             (run examples/rebuild.sh and commit the result):\n{report}"
        );
    }
}
