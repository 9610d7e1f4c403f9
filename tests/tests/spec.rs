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
//! Each `CALL` names an export path (`instance#func`, or `func` at the
//! root), its arguments (`7` is a `u32`, `"text"` a string without
//! spaces, `true`/`false` a bool, `'c'` a char, `[1,2]` a list of them
//! without spaces) and the expected outcome as `run_script` renders it.
//! The calls run in order on one instance (a trap starts a fresh one).
//! `;; WORLD structural` compares the worlds structurally only, for
//! worlds WIT cannot express (core modules or type exports at the root).
//! For every case, fused with the default options (`--memory auto`) and
//! with `MemoryStrategy::Shared`, the test checks that wasmtime gives the
//! expected outcomes on the original, that the fused output gives the
//! same ones, and that the differential harness finds no difference on
//! generated calls of every export.
//!
//! `SPEC_CASE=name` runs that case only; `SPEC_VERBOSE=1` prints the differential harness's summary of each
//! run (calls, traps, skipped functions).
//!
//! Cases where meld behaves differently from wasmtime, or refuses the
//! input, are listed in [`KNOWN_DIFFERENCES`] with the reason; they are
//! run too, their scripts must still hold on the original, and meld must
//! still fail them, so that a fix shows up here.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::harness::{CompareOptions, compare, run_script};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use wasmtime::component::Val;

/// A case whose fused output differs from the original's, or that meld
/// refuses, with one memory strategy or with both.
struct Known {
    case: &'static str,
    /// The strategy it differs with; `None` for both.
    memory: Option<MemoryStrategy>,
    reason: &'static str,
}

/// Cases whose fused output differs from the original, or that meld
/// refuses. They run all the same and must still fail.
const KNOWN_DIFFERENCES: &[Known] = &[];

/// The known difference of `case` with `memory`, if any.
fn known(case: &str, memory: MemoryStrategy) -> Option<&'static Known> {
    KNOWN_DIFFERENCES
        .iter()
        .find(|k| k.case == case && k.memory.is_none_or(|m| m == memory))
}

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
    /// The world has no WIT form (it imports or exports core modules or
    /// types WIT cannot name): worlds are compared structurally only.
    structural: bool,
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
    let mut structural = false;
    for line in text.lines().take_while(|l| l.starts_with(";;")) {
        if line == ";; WORLD structural" {
            structural = true;
        }
        if let Some(call) = line.strip_prefix(";; CALL ") {
            calls.push(parse_call(call).map_err(|e| format!("{name}: `{line}`: {e}"))?);
        }
    }
    if calls.is_empty() {
        return Err(format!("{name}: no `;; CALL` line"));
    }
    let wasm = wat::parse_str(&text).map_err(|e| format!("{name}: {e}"))?;
    Ok(Case {
        name,
        wasm,
        calls,
        structural,
    })
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
    if let Some(items) = token.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return items
            .split(',')
            .filter(|item| !item.is_empty())
            .map(parse_arg)
            .collect::<Result<_, _>>()
            .map(Val::List);
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

/// Why a run failed.
#[derive(Debug)]
enum Failure {
    /// The case is wrong: wasmtime does not run the original as scripted.
    Case(String),
    /// meld refused the case, or its output behaves differently.
    Meld(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Case(why) => write!(f, "the case is wrong: {why}"),
            Self::Meld(why) => write!(f, "{why}"),
        }
    }
}

/// Runs one case with one memory strategy; the number of calls compared.
fn run(case: &Case, memory: MemoryStrategy) -> Result<usize, Failure> {
    let options = Options {
        memory,
        ..Options::default()
    };
    let calls: Vec<(&str, Vec<Val>)> = case
        .calls
        .iter()
        .map(|c| (c.path.as_str(), c.args.clone()))
        .collect();
    let expected: Vec<&str> = case.calls.iter().map(|c| c.expected.as_str()).collect();
    let original = run_script(&case.wasm, &calls)
        .map_err(|e| Failure::Case(format!("the original does not run: {e:#}")))?;
    if original != expected {
        return Err(Failure::Case(format!(
            "the original (wasmtime) gives {original:?}, the script expects {expected:?}"
        )));
    }
    let fused = fuse(&[&case.wasm], &options).map_err(|e| Failure::Meld(format!("fuse: {e}")))?;
    let got = run_script(&fused.wasm, &calls)
        .map_err(|e| Failure::Meld(format!("the fused output does not run: {e:#}")))?;
    if got != expected {
        return Err(Failure::Meld(format!(
            "fused gives {got:?}, expected {expected:?}"
        )));
    }
    let options = CompareOptions {
        compare_wit: !case.structural,
        ..CompareOptions::default()
    };
    let report = compare(&case.wasm, &fused.wasm, &options)
        .map_err(|e| Failure::Meld(format!("compare: {e:#}")))?;
    if !report.is_clean() {
        return Err(Failure::Meld(format!(
            "original and fused differ:\n{report}"
        )));
    }
    if std::env::var_os("SPEC_VERBOSE").is_some() {
        println!("{} ({memory:?}): {}", case.name, report.summary());
        for coverage in &report.functions {
            println!(
                "  {}: {} calls, {} trapped",
                coverage.function, coverage.calls, coverage.trapped
            );
        }
        for skipped in &report.skipped {
            println!("  skipped {}: {}", skipped.function, skipped.reason);
        }
    }
    Ok(case.calls.len() + report.calls)
}

/// The memory strategies every case runs with.
const STRATEGIES: [MemoryStrategy; 2] = [MemoryStrategy::Auto, MemoryStrategy::Shared];

fn cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(spec_dir())
        .expect("tests/spec exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "wat"))
        .filter(|path| match std::env::var("SPEC_CASE") {
            Ok(only) => path.file_stem().is_some_and(|stem| stem == only.as_str()),
            Err(_) => true,
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| load(path).unwrap_or_else(|e| panic!("case {e}")))
        .collect()
}

/// What running one case with one strategy gave: calls compared, or
/// why it failed.
type Outcome = Result<usize, Failure>;

/// Runs every case with every strategy on a few threads; the outcomes in
/// case order.
fn run_all(cases: &[Case]) -> Vec<(&Case, MemoryStrategy, Outcome)> {
    let jobs: Vec<(&Case, MemoryStrategy)> = cases
        .iter()
        .flat_map(|case| STRATEGIES.map(|memory| (case, memory)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, Outcome)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((case, memory)) = jobs.get(i) else {
                            break;
                        };
                        done.push((i, run(case, *memory)));
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
    outcomes.sort_by_key(|(i, _)| *i);
    jobs.into_iter()
        .zip(outcomes)
        .map(|((case, memory), (_, outcome))| (case, memory, outcome))
        .collect()
}

#[test]
fn spec_cases_behave_as_in_wasmtime() {
    let cases = cases();
    for known in KNOWN_DIFFERENCES {
        if std::env::var_os("SPEC_CASE").is_some() {
            break;
        }
        assert!(
            cases.iter().any(|c| c.name == known.case),
            "known difference `{}` is not a case",
            known.case
        );
    }
    let mut failures = Vec::new();
    let mut calls = 0;
    let mut runs = 0;
    for (case, memory, outcome) in run_all(&cases) {
        match (known(&case.name, memory), outcome) {
            (None, Ok(n)) => {
                calls += n;
                runs += 1;
            }
            (None, Err(e)) => failures.push(format!("case `{}` ({memory:?}): {e}", case.name)),
            (Some(_), Ok(_)) => failures.push(format!(
                "case `{}` ({memory:?}) is a known difference but now passes: remove it",
                case.name
            )),
            (Some(_), Err(e @ Failure::Case(_))) => {
                failures.push(format!("case `{}` ({memory:?}): {e}", case.name));
            }
            (Some(known), Err(e @ Failure::Meld(_))) => {
                println!(
                    "known difference `{}` ({memory:?}): {}\n  {e}",
                    case.name, known.reason
                );
            }
        }
    }
    println!(
        "{} cases, {runs} runs passed, {calls} calls compared, {} known differences",
        cases.len(),
        KNOWN_DIFFERENCES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
