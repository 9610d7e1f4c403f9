//! Fusion time of meld.wasm under wasmtime against the native CLI, on the
//! largest fixture, and the artifacts' sizes. A benchmark, not a test:
//!
//! ```sh
//! cargo bench -p meld-component --bench fuse --profile dev \
//!     --config 'profile.dev.package.meld-core.opt-level=3'
//! ```
//!
//! - native: the `meld` binary built with the workspace's release profile
//!   (as users install it), the time its `--stats` reports (fusion alone,
//!   no process start or file I/O), median of [`SAMPLES`] runs;
//! - meld.wasm: `fuse` called through the WIT bindings on one instance
//!   compiled by wasmtime with its default configuration (Cranelift, as
//!   `wasmtime run` uses it), inputs and output copied across the
//!   boundary; "warm" reuses one instance, "fresh" instantiates for every
//!   call;
//! - in-process: `meld_core::fuse` in this binary, for reference (its
//!   optimisation is whatever the bench profile gives meld-core, and its
//!   source is the one this binary was compiled from).
//!
//! Prints the ratios to the native CLI and exits with 2 if the warm ratio
//! misses its target ([`TARGET`]). meld.wasm's output must be the native
//! CLI's, byte for byte (both are built from the same source by meld-dist
//! when the benchmark starts).

#[path = "../tests/common/mod.rs"]
mod common;

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use exports::meld::fuse::fuser;
use meld_core::OutputKind;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

wasmtime::component::bindgen!({ path: "wit", world: "meld" });

/// Timed runs per measurement (after two warm-up runs).
const SAMPLES: usize = 31;

/// meld.wasm's fusion time over the native CLI's, at most.
const TARGET: f64 = 2.0;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool> {
    let artifacts = common::artifacts();
    let paths = common::paths();
    let native_cli = meld_dist::build_native_cli(&paths)?;
    let meld_wasm = common::read(&artifacts.meld);
    let meld_cli_wasm = common::read(&artifacts.meld_cli);
    for (name, bytes) in [("meld.wasm", &meld_wasm), ("meld-cli.wasm", &meld_cli_wasm)] {
        let (raw, gzip) = meld_dist::sizes(bytes)?;
        println!("{name:<14} {raw:>9} bytes, {gzip:>8} gzipped");
    }

    let engine = common::engine();
    let start = Instant::now();
    let component = Component::new(engine, &meld_wasm)?;
    println!("wasmtime compiles meld.wasm in {}", ms(start.elapsed()));
    let pre = MeldPre::new(Linker::new(engine).instantiate_pre(&component)?)?;

    let fixture = meld_tests::fixtures::all()?
        .into_iter()
        .max_by_key(|f| f.wasm.len())
        .context("no fixtures")?;
    println!(
        "largest fixture: {} ({} bytes); medians of {SAMPLES} runs",
        fixture.name,
        fixture.wasm.len()
    );
    let scratch = paths.build_dir.join("bench");
    std::fs::create_dir_all(&scratch)?;
    let input = scratch.join(format!("{}.wasm", fixture.name));
    std::fs::write(&input, &fixture.wasm)?;

    let pre = &pre;
    let mut met = true;
    for output in [OutputKind::Component, OutputKind::Core] {
        let options = meld_core::Options {
            output,
            ..meld_core::Options::default()
        };
        let native_output = scratch.join("out.wasm");
        let native_args = native_args(&input, &native_output, output);
        // The native CLI's bytes, which every meld.wasm call must return.
        native_cli_time(&native_cli, &native_args)?;
        let expected = std::fs::read(&native_output)?;
        let inputs = [fixture.wasm.clone()];
        let wit_options = wit_options(output);
        let call = |store: &mut Store<()>, meld: &Meld| -> Result<()> {
            let fused = meld
                .meld_fuse_fuser()
                .call_fuse(&mut *store, &inputs, wit_options)?
                .map_err(|e| anyhow::anyhow!("meld.wasm: {}", e.message))?;
            ensure!(fused.wasm == expected, "meld.wasm's output differs");
            Ok(())
        };
        let mut warm_store = Store::new(pre.engine(), ());
        let warm_meld = pre.instantiate(&mut warm_store)?;
        let [native, warm, fresh, in_process] = medians([
            &mut || native_cli_time(&native_cli, &native_args),
            &mut || {
                let start = Instant::now();
                call(&mut warm_store, &warm_meld)?;
                Ok(start.elapsed())
            },
            &mut || {
                let start = Instant::now();
                let mut store = Store::new(pre.engine(), ());
                let meld = pre.instantiate(&mut store)?;
                call(&mut store, &meld)?;
                Ok(start.elapsed())
            },
            &mut || {
                let start = Instant::now();
                meld_core::fuse(&[&fixture.wasm], &options)?;
                Ok(start.elapsed())
            },
        ])?;
        let ratio = warm.as_secs_f64() / native.as_secs_f64();
        met &= ratio <= TARGET;
        println!("--emit {output:?}:");
        println!("  native CLI (release)        {:>10}", ms(native));
        println!("  in-process meld-core        {:>10}", ms(in_process));
        println!(
            "  meld.wasm, warm instance    {:>10}  {ratio:.2}x native (target <= {TARGET}: {})",
            ms(warm),
            if ratio <= TARGET { "met" } else { "missed" }
        );
        println!(
            "  meld.wasm, fresh instance   {:>10}  {:.2}x native",
            ms(fresh),
            fresh.as_secs_f64() / native.as_secs_f64()
        );
    }
    Ok(met)
}

/// `fuse INPUT -o OUTPUT --emit KIND --stats`.
fn native_args(input: &Path, output: &Path, kind: OutputKind) -> Vec<OsString> {
    let kind = match kind {
        OutputKind::Component => "component",
        OutputKind::Core => "core",
    };
    vec![
        "fuse".into(),
        input.into(),
        "-o".into(),
        output.into(),
        "--emit".into(),
        kind.into(),
        "--stats".into(),
    ]
}

/// The fusion time the native CLI reports with `--stats`.
fn native_cli_time(cli: &Path, args: &[OsString]) -> Result<Duration> {
    let run = Command::new(cli)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", cli.display()))?;
    let stderr = String::from_utf8_lossy(&run.stderr);
    ensure!(run.status.success(), "native meld failed: {stderr}");
    let Some(time) = stderr.lines().find_map(|l| l.strip_prefix("time:")) else {
        bail!("no time in native meld's --stats: {stderr}");
    };
    let millis: f64 = time
        .trim()
        .trim_end_matches("ms")
        .trim()
        .parse()
        .with_context(|| format!("cannot read the time {time:?}"))?;
    Ok(Duration::from_secs_f64(millis / 1e3))
}

fn wit_options(output: OutputKind) -> fuser::Options {
    fuser::Options {
        emit: match output {
            OutputKind::Component => fuser::EmitKind::Component,
            OutputKind::Core => fuser::EmitKind::Core,
        },
        memory: fuser::MemoryStrategy::Auto,
        region_mib: None,
        debug_info: fuser::DebugInfo::Keep,
        simd: fuser::Simd::Auto,
    }
}

/// The median of [`SAMPLES`] measurements of each subject, after two
/// unmeasured rounds. The subjects take turns, so that a change in the
/// machine's load during the run weighs on all of them alike.
fn medians<const N: usize>(
    mut subjects: [&mut dyn FnMut() -> Result<Duration>; N],
) -> Result<[Duration; N]> {
    let mut times = [(); N].map(|()| Vec::with_capacity(SAMPLES));
    for round in 0..SAMPLES + 2 {
        for (subject, times) in subjects.iter_mut().zip(&mut times) {
            let time = subject()?;
            if round >= 2 {
                times.push(time);
            }
        }
    }
    Ok(times.map(|mut times| {
        times.sort();
        times[SAMPLES / 2]
    }))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
