//! The `meld` binary's output as a user sees it, compared with the files in
//! `cli/tests/snapshots/` (one per case: the command, its exit code, its
//! stdout and its stderr). Commands run from the repository root, so they
//! read as a user would type them; paths under the test's scratch directory
//! are written `$TMP`, and the `--stats` time as `<time>`. `BLESS=1 cargo
//! test -p meld-cli --test snapshots` rewrites the files; a missing one
//! fails.
//!
//! Cases: `--help` of each command, `inspect` in each format on each
//! example of `examples/`, an unnamed composition, `--stats`, the old
//! `--output KIND` spelling, and the errors a newcomer meets.

use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLES: [&str; 3] = ["wasi-hello", "values", "res-chain"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn tmp() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshots");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `cli/tests/inputs/<name>.wat` as a binary in the scratch directory.
fn from_wat(name: &str) -> String {
    let source = root().join(format!("cli/tests/inputs/{name}.wat"));
    let wasm = wat::parse_file(&source).expect("wat parses");
    let path = tmp().join(format!("{name}.wasm"));
    std::fs::write(&path, wasm).expect("write");
    path.display().to_string()
}

/// Runs `meld args` and renders what it did.
fn run(args: &[String]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_meld"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("meld runs");
    let tmp = tmp().display().to_string();
    let clean = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(&tmp, "$TMP")
            .lines()
            // (the peak memory line is there on Linux only)
            .filter(|line| !line.starts_with("peak memory:"))
            .map(|line| match line.strip_prefix("time:") {
                Some(_) => "time:              <time>".to_string(),
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let shown: Vec<String> = args.iter().map(|a| a.replace(&tmp, "$TMP")).collect();
    format!(
        "$ meld {}\nexit: {}\n--- stdout\n{}\n--- stderr\n{}\n",
        shown.join(" "),
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        clean(&output.stdout),
        clean(&output.stderr),
    )
}

/// Each case's name (its snapshot's file stem) and command line. Paths have
/// no spaces, so a command line is split at whitespace.
fn cases() -> Vec<(String, Vec<String>)> {
    let mut lines = vec![
        ("help".to_string(), "--help".to_string()),
        ("fuse-help".to_string(), "fuse --help".to_string()),
        ("inspect-help".to_string(), "inspect --help".to_string()),
    ];
    for example in EXAMPLES {
        for format in ["text", "json", "dot"] {
            lines.push((
                format!("inspect-{example}-{format}"),
                format!("inspect examples/{example}.wasm --format {format}"),
            ));
        }
    }
    let out = tmp().join("out.wasm").display().to_string();
    let unnamed = from_wat("unnamed");
    let memory64 = from_wat("memory64");
    let imported = from_wat("imported-component");
    let hello = "examples/wasi-hello.wasm";
    let inputs = "cli/tests/inputs";
    lines.extend(
        [
            ("inspect-unnamed", format!("inspect {unnamed}")),
            (
                "fuse-stats",
                format!("fuse {hello} -o {out} --emit core --stats"),
            ),
            ("old-output-core", format!("fuse {hello} --output core")),
            ("old-output-component", format!("fuse {hello} -o component")),
            ("error-no-output", format!("fuse {hello}")),
            (
                "error-missing-file",
                format!("fuse examples/missing.wasm -o {out}"),
            ),
            (
                "error-not-wasm",
                format!("fuse {inputs}/not-wasm.txt -o {out}"),
            ),
            (
                "error-core-module",
                format!("inspect {inputs}/core-module.wasm"),
            ),
            (
                "error-truncated",
                format!("fuse {inputs}/truncated.wasm -o {out}"),
            ),
            (
                "error-shared-memory64",
                format!("fuse {memory64} -o {out} --memory shared"),
            ),
            (
                "error-link-core-module",
                format!("fuse examples/values.wasm {inputs}/core-module.wasm -o {out}"),
            ),
            (
                "error-in-inner-component",
                format!("fuse {imported} -o {out}"),
            ),
            (
                "error-cannot-write",
                format!("fuse {hello} -o no-such-dir/out.wasm"),
            ),
            (
                "error-bad-emit",
                format!("fuse {hello} -o {out} --emit module"),
            ),
        ]
        .map(|(name, line)| (name.to_string(), line)),
    );
    lines
        .into_iter()
        .map(|(name, line)| (name, line.split_whitespace().map(str::to_string).collect()))
        .collect()
}

#[test]
fn cli_output_matches_the_snapshots() {
    let dir = root().join("cli/tests/snapshots");
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for (name, args) in cases() {
        let actual = run(&args);
        let path = dir.join(format!("{name}.txt"));
        if bless {
            std::fs::create_dir_all(&dir).expect("snapshot dir");
            std::fs::write(&path, &actual).expect("write snapshot");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{name}: differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            )),
            Err(_) => failures.push(format!("{name}: no {} (run with BLESS=1)", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The JSON format is the documented tree: every object has exactly the
/// keys `core/inspect.schema.json` lists, with values of the types it
/// gives, on every example.
#[test]
fn inspect_json_follows_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("core/inspect.schema.json")).expect("schema"),
    )
    .expect("the schema is JSON");
    for example in EXAMPLES
        .iter()
        .map(|e| format!("examples/{e}.wasm"))
        .chain([from_wat("unnamed")])
    {
        let output = Command::new(env!("CARGO_BIN_EXE_meld"))
            .args(["inspect", &example, "--format", "json"])
            .current_dir(root())
            .output()
            .expect("meld runs");
        assert!(output.status.success(), "{example}");
        let tree: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("inspect prints JSON");
        let mut errors = Vec::new();
        check(&schema, &schema, &tree, "$", &mut errors);
        assert!(errors.is_empty(), "{example}:\n{}", errors.join("\n"));
    }
}

/// Checks `value` against `schema`, for the part of JSON Schema the tree's
/// schema uses: `$ref` to `#/$defs/…`, `type` (one or several), `enum`,
/// `minimum`, `properties` with `required` and `additionalProperties:
/// false`, and `items`.
fn check(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    use serde_json::Value;
    if let Some(Value::String(reference)) = schema.get("$ref") {
        let name = reference.strip_prefix("#/$defs/").expect("local $ref");
        return check(root, &root["$defs"][name], value, at, errors);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type in schema at {at}"),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !types.contains(&actual) {
            errors.push(format!("{at}: {actual}, expected {types:?}"));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_i64),
        value.as_i64(),
    ) && n < min
    {
        errors.push(format!("{at}: {n} < {min}"));
    }
    if let (Some(Value::Object(properties)), Value::Object(object)) =
        (schema.get("properties"), value)
    {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for key in required {
            if !object.contains_key(key) {
                errors.push(format!("{at}: missing `{key}`"));
            }
        }
        for (key, field) in object {
            match properties.get(key) {
                Some(sub) => check(root, sub, field, &format!("{at}.{key}"), errors),
                None => errors.push(format!("{at}: `{key}` is not in the schema")),
            }
        }
    }
    if let (Some(items), Value::Array(array)) = (schema.get("items"), value) {
        for (i, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}
