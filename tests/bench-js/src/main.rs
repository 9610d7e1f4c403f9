//! `meld-bench-js [--quick] INPUT...`: for each input component, the
//! median time of `meld_core::fuse` over that of validating the input on
//! every core (structure first, then function bodies spread over threads,
//! as `wasm-tools validate` does it; target 2), and, when `MELD_CLI` names
//! a `meld` binary, the peak resident memory of `meld fuse INPUT --stats`
//! over the input size (target 3). Exits with 2 if a target is missed.
//!
//! `scripts/bench-js.sh` builds the inputs (a componentize-js component,
//! alone and composed with a Rust caller) and runs this in a release build:
//! wasmparser's validation, on both sides of the ratio, is many times
//! slower with debug assertions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use meld_core::{Options, fuse};
use wasmparser::{FuncValidatorAllocations, Parser, ValidPayload, Validator, WasmFeatures};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            eprintln!("meld-bench-js: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints each input's ratios; true if all meet their targets.
fn run() -> Result<bool> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let samples = if args.iter().any(|a| a == "--quick") {
        5
    } else {
        21
    };
    let inputs: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    anyhow::ensure!(
        !inputs.is_empty(),
        "usage: meld-bench-js [--quick] INPUT..."
    );
    if cfg!(debug_assertions) {
        println!("note: built with debug assertions; run it with --release");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("median of {samples}, validation on {threads} threads");
    let mut all_met = true;
    for path in &inputs {
        let input = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let validate = median_time(samples, || validate_on_every_core(&input, threads))?;
        let options = Options::default();
        let fusion = median_time(samples, || {
            fuse(&[&input], &options).map_err(|e| anyhow!("fusing failed: {e}"))
        })?;
        let ratio = fusion.as_secs_f64() / validate.as_secs_f64();
        all_met &= ratio <= 2.0;
        println!(
            "{} ({} bytes): fuse {:.1} ms, validate on every core {:.1} ms: {ratio:.2} (target <= 2)",
            path.display(),
            input.len(),
            millis(fusion),
            millis(validate)
        );
        if let Some(cli) = std::env::var_os("MELD_CLI") {
            let kib = cli_peak_kib(Path::new(&cli), path)?;
            let ratio = (kib * 1024) as f64 / input.len() as f64;
            all_met &= ratio <= 3.0;
            println!(
                "{}: the CLI's peak resident memory {kib} KiB, {ratio:.2} × the input (target <= 3)",
                path.display()
            );
        }
    }
    Ok(all_met)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median of `samples` timings of `f`.
fn median_time<T>(samples: usize, mut f: impl FnMut() -> Result<T>) -> Result<Duration> {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        std::hint::black_box(f()?);
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Validates `wasm`: its structure in one pass, then its function bodies
/// spread over `threads` threads.
fn validate_on_every_core(wasm: &[u8], threads: usize) -> Result<()> {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let ValidPayload::Func(func, body) = validator.payload(&payload?)? {
            bodies.push((func, body));
        }
    }
    // Bodies dealt out in turn, so that large ones spread too.
    let mut shares: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, job) in bodies.into_iter().enumerate() {
        shares[i % threads].push(job);
    }
    std::thread::scope(|scope| {
        let running: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || -> Result<()> {
                    let mut allocations = FuncValidatorAllocations::default();
                    for (func, body) in share {
                        let mut v = func.into_validator(std::mem::take(&mut allocations));
                        v.validate(&body)?;
                        allocations = v.into_allocations();
                    }
                    Ok(())
                })
            })
            .collect();
        running.into_iter().try_for_each(|t| {
            t.join()
                .map_err(|_| anyhow!("a validating thread panicked"))?
        })
    })
}

/// The peak resident memory of `meld fuse input --stats`, as it reports it.
fn cli_peak_kib(cli: &Path, input: &Path) -> Result<u64> {
    let output = std::env::temp_dir().join(format!("meld-bench-js-{}.wasm", std::process::id()));
    let run = std::process::Command::new(cli)
        .arg("fuse")
        .arg(input)
        .arg("-o")
        .arg(&output)
        .arg("--stats")
        .output()
        .with_context(|| format!("running {}", cli.display()))?;
    // (it may not exist if the run failed)
    let _ = std::fs::remove_file(&output);
    let stderr = String::from_utf8_lossy(&run.stderr);
    anyhow::ensure!(run.status.success(), "{} failed: {stderr}", cli.display());
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak memory:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("{} --stats printed no peak memory: {stderr}", cli.display()))
}
