//! Case-directory tests of the adapter generator, in the style of
//! wit-component's `tests/components/<case>/`: each `tests/cases/<case>/`
//! holds `input.wat`, a composed component with two inner components, and
//! `expected.wat`, the adapter functions of its fusion into a core module
//! (`OutputKind::Core`) as wasmprinter prints them: every function whose
//! name (from the name section) starts with one of [`GENERATED`], or the
//! line `;; no generated functions` when the calls are direct.
//!
//! `BLESS=1 cargo test -p meld-tests --test cases` writes the expectations
//! from the current output. Without `BLESS`, a missing `expected.wat` is a
//! failure, as is any difference.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};

/// Name prefixes of the functions the adapter compiler generates.
const GENERATED: &[&str] = &["adapt ", "lift ", "lower ", "transcode ", "copy "];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|value| !value.is_empty() && value != "0")
}

/// The fused core module of `input`, printed, reduced to the generated
/// functions, each preceded by a blank line.
fn generated_functions(input: &Path) -> Result<String, String> {
    let wasm = wat::parse_file(input).map_err(|e| format!("parsing: {e}"))?;
    // One memory per component: the adapters as generated, before a
    // shared memory's rewriting of their accesses.
    let options = Options {
        output: OutputKind::Core,
        memory: MemoryStrategy::Multi,
        ..Options::default()
    };
    let fused = fuse(&[&wasm], &options).map_err(|e| format!("fusion failed: {e}"))?;
    let text = wasmprinter::print_bytes(&fused.wasm).map_err(|e| format!("printing: {e}"))?;
    let mut out = String::new();
    let mut keep = false;
    for line in text.lines() {
        // Module fields are the lines indented by exactly two spaces.
        if let Some(field) = line.strip_prefix("  ")
            && field.starts_with('(')
        {
            keep = GENERATED
                .iter()
                .any(|prefix| field.starts_with(&format!("(func $\"{prefix}")));
            if keep {
                out.push('\n');
            }
        } else if !line.starts_with("   ") {
            keep = false; // the module's closing parenthesis
        }
        if keep {
            let _ = writeln!(out, "{line}");
        }
    }
    if out.is_empty() {
        // Nothing to adapt: the consumer calls the provider directly.
        out.push_str(";; no generated functions\n");
    }
    Ok(out)
}

/// Compares (or with `BLESS`, writes) one case; the failure, if any.
fn check_case(dir: &Path) -> Result<(), String> {
    let actual = generated_functions(&dir.join("input.wat"))?;
    let expected_path = dir.join("expected.wat");
    if bless() {
        return fs::write(&expected_path, &actual).map_err(|e| format!("writing: {e}"));
    }
    let expected = fs::read_to_string(&expected_path)
        .map_err(|e| format!("no expectation ({e}); run with BLESS=1 to write it"))?;
    if expected == actual {
        return Ok(());
    }
    let first_difference = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    Err(format!(
        "the adapters differ from expected.wat from line {} (BLESS=1 rewrites it):\n{}",
        first_difference + 1,
        actual
            .lines()
            .skip(first_difference.saturating_sub(2))
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

#[test]
fn adapter_cases() {
    let mut dirs: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.join("input.wat").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 9, "only {} cases found", dirs.len());
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        match check_case(dir) {
            Ok(()) => println!("{name}: ok"),
            Err(failure) => failures.push(format!("{name}: {failure}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
