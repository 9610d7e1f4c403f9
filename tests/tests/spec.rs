//! The specification suite: one small hand-written composition per case
//! in `tests/spec/*.wat`, each focused on one canonical built-in, option,
//! Canonical ABI trap or form of nesting.
//!
//! A case's leading comment lines hold its script:
//!
//! ```text
//! ;; CALL api#f 1 2 => [3]
//! ;; CALL api#g => trap
//! ```
//!
//! Each `CALL` names an export path (`instance#func`), its arguments
//! (`7` is a `u32`, `"text"` a string without spaces, `true`/`false` a
//! bool, `'c'` a char) and the expected outcome as `run_script` renders
//! it. The calls run in order on one instance (a trap starts a fresh
//! one). For every case the test checks that wasmtime gives the expected
//! outcomes on the original, that the output of `meld_core::fuse` gives
//! the same ones with either memory strategy, and that the differential
//! harness finds no difference on generated calls of every export.
//!
//! Cases where meld behaves differently from wasmtime, or refuses the
//! input, are listed in [`KNOWN_DIFFERENCES`] with the reason; they are
//! run too and must still fail, so that a fix shows up here.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, compare, run_script};
use std::path::{Path, PathBuf};
use wasmtime::component::Val;

/// Cases whose fused output differs from the original, or that meld
/// refuses: `(case, reason)`.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// One scripted call: export path, arguments, expected outcome.
struct Call {
    path: String,
    args: Vec<Val>,
    expected: String,
}

/// A case: its name, its composition and its script.
struct Case {
    name: String,
    wasm: Vec<u8>,
    calls: Vec<Call>,
}

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec")
}

fn load(path: &Path) -> Result<Case, String> {
    let name = path
        .file_stem()
        .ok_or("no file name")?
        .to_string_lossy()
        .into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let mut calls = Vec::new();
    for line in text.lines().take_while(|l| l.starts_with(";;")) {
        if let Some(call) = line.strip_prefix(";; CALL ") {
            calls.push(parse_call(call).map_err(|e| format!("{name}: `{line}`: {e}"))?);
        }
    }
    if calls.is_empty() {
        return Err(format!("{name}: no `;; CALL` line"));
    }
    let wasm = wat::parse_str(&text).map_err(|e| format!("{name}: {e}"))?;
    Ok(Case { name, wasm, calls })
}

fn parse_call(text: &str) -> Result<Call, String> {
    let (call, expected) = text.split_once(" => ").ok_or("no ` => `")?;
    let mut tokens = call.split_whitespace();
    let path = tokens.next().ok_or("no export path")?.to_string();
    let args = tokens.map(parse_arg).collect::<Result<_, _>>()?;
    Ok(Call {
        path,
        args,
        expected: expected.trim().to_string(),
    })
}

fn parse_arg(token: &str) -> Result<Val, String> {
    if let Some(text) = token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Ok(Val::String(text.to_string()));
    }
    if let Some(text) = token.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        let mut chars = text.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(Val::Char(c)),
            _ => Err(format!("`{token}` is not one char")),
        };
    }
    match token {
        "true" => Ok(Val::Bool(true)),
        "false" => Ok(Val::Bool(false)),
        _ => token
            .parse()
            .map(Val::U32)
            .map_err(|_| format!("`{token}` is not a u32, string, char or bool")),
    }
}

/// Runs one case with one memory strategy; the number of calls compared.
fn run(case: &Case, memory: MemoryStrategy) -> Result<usize, String> {
    let options = Options {
        memory,
        ..Options::default()
    };
    let fused = fuse(&[&case.wasm], &options).map_err(|e| format!("fuse: {e}"))?;
    let calls: Vec<(&str, Vec<Val>)> = case
        .calls
        .iter()
        .map(|c| (c.path.as_str(), c.args.clone()))
        .collect();
    let expected: Vec<&str> = case.calls.iter().map(|c| c.expected.as_str()).collect();
    let original = run_script(&case.wasm, &calls).map_err(|e| format!("original: {e:#}"))?;
    if original != expected {
        return Err(format!(
            "the original (wasmtime) gives {original:?}, the script expects {expected:?}"
        ));
    }
    let got = run_script(&fused.wasm, &calls).map_err(|e| format!("fused: {e:#}"))?;
    if got != expected {
        return Err(format!("fused gives {got:?}, expected {expected:?}"));
    }
    let report = compare(&case.wasm, &fused.wasm, &CompareOptions::default())
        .map_err(|e| format!("compare: {e:#}"))?;
    if !report.is_clean() {
        return Err(format!("original and fused differ:\n{report}"));
    }
    Ok(case.calls.len() + report.calls)
}

/// Runs a case with both memory strategies.
fn run_both(case: &Case) -> Result<usize, String> {
    let mut calls = 0;
    for memory in [MemoryStrategy::Auto, MemoryStrategy::Shared] {
        calls += run(case, memory).map_err(|e| format!("{memory:?}: {e}"))?;
    }
    Ok(calls)
}

fn cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(spec_dir())
        .expect("tests/spec exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "wat"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| load(path).unwrap_or_else(|e| panic!("case {e}")))
        .collect()
}

/// Runs `cases` on a few threads; `(name, outcome)` in case order.
fn run_all(cases: &[Case]) -> Vec<(String, Result<usize, String>)> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, String, Result<usize, String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(case) = cases.get(i) else { break };
                        done.push((i, case.name.clone(), run_both(case)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker finished"))
            .collect()
    });
    outcomes.sort_by_key(|(i, _, _)| *i);
    outcomes.into_iter().map(|(_, n, r)| (n, r)).collect()
}

#[test]
fn spec_cases_behave_as_in_wasmtime() {
    let all = cases();
    for (known, _) in KNOWN_DIFFERENCES {
        assert!(
            all.iter().any(|c| c.name == *known),
            "known difference `{known}` is not a case"
        );
    }
    let (known, listed): (Vec<Case>, Vec<Case>) = all
        .into_iter()
        .partition(|c| KNOWN_DIFFERENCES.iter().any(|(k, _)| *k == c.name));
    let mut failures = Vec::new();
    let mut calls = 0;
    for (name, outcome) in run_all(&listed) {
        match outcome {
            Ok(n) => calls += n,
            Err(e) => failures.push(format!("case `{name}`: {e}")),
        }
    }
    for (name, outcome) in run_all(&known) {
        if outcome.is_ok() {
            failures.push(format!(
                "case `{name}` is listed in KNOWN_DIFFERENCES but now passes: remove it"
            ));
        } else {
            println!("known difference `{name}`: {}", outcome.unwrap_err());
        }
    }
    println!(
        "{} cases, {calls} calls compared, {} known differences",
        listed.len(),
        known.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
