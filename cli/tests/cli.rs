//! The `meld` binary as a user meets it: bad inputs give one line on
//! stderr and exit code 1; `--emit core` follows the documented names;
//! several inputs are linked; `inspect` prints the tree.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn meld(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meld"))
        .args(args)
        .output()
        .expect("meld runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

fn write(name: &str, bytes: &[u8]) -> String {
    let path = scratch(name);
    std::fs::write(&path, bytes).expect("write input");
    path.display().to_string()
}

fn fixture(name: &str) -> String {
    let fixture = meld_tests::fixtures::get(name).expect("fixture builds");
    write(&format!("{name}.wasm"), &fixture.wasm)
}

fn assert_one_line_error(output: &Output, what: &str) {
    assert_eq!(output.status.code(), Some(1), "{what}: exit code");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().count(),
        1,
        "{what}: one line, got {stderr:?}"
    );
    assert!(stderr.starts_with("meld: "), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn bad_inputs_give_one_line_and_exit_code_1() {
    let valid = meld_tests::fixtures::get("scalars").expect("fixture").wasm;
    let cases = [
        ("not wasm", write("text.wasm", b"this is not wasm")),
        (
            "core module",
            write("module.wasm", &wat::parse_str("(module)").expect("wat")),
        ),
        (
            "truncated",
            write("truncated.wasm", &valid[..valid.len() / 3]),
        ),
        (
            "invalid component",
            write("invalid.wasm", &{
                let mut v = valid.clone();
                v[9] ^= 0xff;
                v
            }),
        ),
        (
            "missing file",
            scratch("does-not-exist.wasm").display().to_string(),
        ),
    ];
    let out = scratch("out.wasm").display().to_string();
    for (what, input) in &cases {
        assert_one_line_error(&meld(&["fuse", input, "-o", &out]), what);
        assert_one_line_error(&meld(&["inspect", input]), what);
    }
}

#[test]
fn core_output_follows_the_naming_scheme() {
    let input = fixture("wasi-hello");
    let out = scratch("hello.core.wasm");
    let status = meld(&[
        "fuse",
        &input,
        "--emit",
        "core",
        "-o",
        &out.display().to_string(),
    ]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let bytes = std::fs::read(&out).expect("output written");
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .expect("core output validates");
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.expect("parses") {
            wasmparser::Payload::ImportSection(s) => {
                for i in s.into_imports() {
                    let i = i.expect("import");
                    imports.push((i.module.to_string(), i.name.to_string()));
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
    let has = |m: &str, f: &str| imports.iter().any(|(a, b)| a.starts_with(m) && b == f);
    assert!(has("wasi:cli/stdout@", "get-stdout"), "{imports:?}");
    assert!(
        has("wasi:io/streams@", "[resource-drop]output-stream"),
        "{imports:?}"
    );
    // Two components write to stdout, each with its own memory: the second
    // lowering is told apart by the number of its canonical-options
    // context, whose memory is exported as `memory$n`.
    let writes: Vec<&str> = imports
        .iter()
        .filter(|(m, f)| {
            m.starts_with("wasi:io/streams@") && f.starts_with("[method]output-stream.write")
        })
        .map(|(_, f)| f.as_str())
        .collect();
    assert_eq!(writes.len(), 2, "{imports:?}");
    assert_eq!(writes[0], "[method]output-stream.write");
    let context = writes[1]
        .rsplit_once('$')
        .map(|(_, n)| n)
        .expect("suffixed");
    assert!(
        exports.contains(&format!("memory${context}")),
        "{exports:?}"
    );
    assert!(
        exports
            .iter()
            .any(|e| e.starts_with("wasi:cli/run@") && e.ends_with("#run")),
        "{exports:?}"
    );
    assert!(exports.contains(&"memory".to_string()), "{exports:?}");
}

#[test]
fn stats_report_what_fusion_did() {
    let input = fixture("scalars");
    let out = scratch("scalars.fused.wasm").display().to_string();
    let output = meld(&["fuse", &input, "-o", &out, "--stats"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for field in [
        "components:",
        "memories:",
        "adapters:",
        "input:",
        "output:",
        "time:",
        "dropped",
    ] {
        assert!(stderr.contains(field), "missing {field} in {stderr}");
    }
    // Linux says the process's peak resident memory; a fusion of a
    // fixture holds at least the input.
    if cfg!(target_os = "linux") {
        let kib: u64 = stderr
            .lines()
            .find_map(|l| l.strip_prefix("peak memory:"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no peak memory in {stderr}"));
        let input_kib = std::fs::metadata(&input).map_or(0, |m| m.len() / 1024);
        assert!(kib > input_kib, "{kib} KiB for a {input_kib} KiB input");
    }
}

#[test]
fn inspect_prints_the_instantiation_tree() {
    let input = fixture("nested");
    let output = meld(&["inspect", &input]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for section in [
        "imports:",
        "exports:",
        "components:",
        "adapters:",
        "core instance",
    ] {
        assert!(stdout.contains(section), "missing {section} in {stdout}");
    }
}

#[test]
fn help_explains_each_flag() {
    let output = meld(&["fuse", "--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in ["--output", "--emit", "--stats", "-o"] {
        assert!(help.contains(flag), "{flag} missing from {help}");
    }
}
