//! `meld-chain-bench [--quick]`: fusion time of chains of 10, 100 and
//! 1,000 components (a benchmark, not a timed test).
//!
//! Each chain is `meld_tests::chain::string_chain(n)`: `n` components,
//! each with a memory of its own, passing a string along. For each `n` and
//! output kind this times `meld_core::fuse` with the default options
//! (`auto` chooses a shared memory beyond 100 memories) and, apart, the
//! validation of the input by wasmparser, which `fuse` begins with. It
//! prints the medians, the time per component, and meld's own time (fusion
//! less input validation) per component relative to the 10-component
//! chain. meld's own time should grow linearly with the number of
//! components: that ratio stays near 1. The binary exits with 2 if it
//! exceeds [`LINEAR`] for the 1,000-component chain.
//!
//! wasmparser 0.254's validation of a component is itself quadratic in the
//! number of nested modules and components (each one's end copies the
//! list of type snapshots of all before it); it is shown, not judged.
//!
//! Run it with meld-core optimised (see the README's Performance section).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use meld_core::{Options, OutputKind, fuse};
use meld_tests::chain::string_chain;
use wasmparser::{FuncValidatorAllocations, Parser, ValidPayload, Validator, WasmFeatures};

/// Largest per-component own time of the 1,000-component chain, over that
/// of the 10-component chain, still called linear.
const LINEAR: f64 = 2.0;

/// The median of `samples` runs of `f`.
fn median(samples: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

struct Row {
    output: &'static str,
    n: usize,
    input: usize,
    output_bytes: usize,
    memory: &'static str,
    fuse: Duration,
    validate: Duration,
    ratio: f64,
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let samples = if quick { 3 } else { 11 };
    let mut rows = Vec::new();
    for (output, label) in [
        (OutputKind::Component, "component"),
        (OutputKind::Core, "core"),
    ] {
        let mut first: Option<f64> = None;
        for n in [10, 100, 1_000] {
            let input = string_chain(n);
            let options = Options {
                output,
                ..Options::default()
            };
            let fused = match fuse(&[&input], &options) {
                Ok(fused) => fused,
                Err(e) => {
                    eprintln!("meld-chain-bench: fusing {n} components failed: {e}");
                    return ExitCode::FAILURE;
                }
            };
            // Taking turns, so that drift on a shared machine hits both.
            let (mut fuse_times, mut validate_times) = (Vec::new(), Vec::new());
            for _ in 0..samples {
                fuse_times.push(median(1, || {
                    let _ = std::hint::black_box(fuse(&[&input], &options));
                }));
                validate_times.push(median(1, || {
                    let _ = std::hint::black_box(validate(&input));
                }));
            }
            fuse_times.sort();
            validate_times.sort();
            let (fuse, validate) = (fuse_times[samples / 2], validate_times[samples / 2]);
            let own = fuse.saturating_sub(validate).as_secs_f64() / n as f64;
            let ratio = own / *first.get_or_insert(own);
            rows.push(Row {
                output: label,
                n,
                input: input.len(),
                output_bytes: fused.wasm.len(),
                memory: fused.stats.memory.as_str(),
                fuse,
                validate,
                ratio,
            });
        }
    }
    println!("fusion of chains of components passing a string, medians of {samples}");
    println!(
        "| output | components | input | output | memory | fuse | validating the input | \
         meld's own | own per component | ratio to 10 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut worst: f64 = 0.0;
    for r in &rows {
        let own = r.fuse.saturating_sub(r.validate);
        println!(
            "| {} | {} | {} KB | {} KB | {} | {} | {} | {} | {:.1} µs | {:.2} |",
            r.output,
            r.n,
            r.input / 1000,
            r.output_bytes / 1000,
            r.memory,
            ms(r.fuse),
            ms(r.validate),
            ms(own),
            own.as_secs_f64() * 1e6 / r.n as f64,
            r.ratio,
        );
        if r.n == 1_000 {
            worst = worst.max(r.ratio);
        }
    }
    let met = worst <= LINEAR;
    println!(
        "meld's own time per component, 1,000 over 10 components: {worst:.2} (target ≤ {LINEAR}, {})",
        if met { "met" } else { "missed" }
    );
    if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// Validates `bytes` as meld's decode stage does: payload by payload,
/// each function body as soon as it is read.
fn validate(bytes: &[u8]) -> wasmparser::Result<()> {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut allocs = FuncValidatorAllocations::default();
    for payload in Parser::new(0).parse_all(bytes) {
        if let ValidPayload::Func(func, body) = validator.payload(&payload?)? {
            let mut v = func.into_validator(std::mem::take(&mut allocs));
            v.validate(&body)?;
            allocs = v.into_allocations();
        }
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
