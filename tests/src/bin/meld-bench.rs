//! `meld-bench [--quick] [--samples=N] [--only=TEXT]
//! [runtime|shared|wasi|fusion|debug|async|js]...`: meld's benchmarks (not
//! timed tests), printing ratios measured in one run and whether each
//! meets its target; the sections named, or all. `--quick` takes 5
//! samples instead of 31 (`--samples` any number); `--only` keeps the
//! loops whose description (or, for the `bench` fixture's, export name)
//! contains `TEXT` (`--only=block_on`, `--only=wide`).
//! With `MELD_PERFMAP` set, wasmtime writes a perf map of the code it
//! compiles (`perf record`, then `perf report`, names the functions of
//! both sides).
//!
//! - **Runtime**: the `bench` fixture (a consumer calling providers in
//!   loops: scalar calls, string round trips of several sizes and
//!   alphabets, utf8 ↔ utf16 transcoding, records and lists of them;
//!   [`LOOPS`]) composed and fused, both compiled by wasmtime with
//!   Cranelift's default optimisations; the median wall time of one call
//!   of each kind, fused over composed, and fused with `--simd on` (utf8
//!   validated sixteen bytes at a time) over composed. Built with the
//!   `scratch-unvalidated` feature, it also times each loop fused with
//!   string validation switched off (what validation costs).
//! - **Shared memory**: the same fixture fused with `--memory shared` and
//!   with `--memory multi`; the median wall time of each kind, shared over
//!   multi (the cost of the region checks), also both with `--simd on`.
//! - **WASI handles**: a component writing 100,000 two-byte chunks to
//!   stdout (`meld_tests::wasi_wat::stdout_loop`), composed and fused;
//!   every write is a host call whose stream handle the fused module
//!   translates from the component's table to the host's. Median wall
//!   time of one loop, fused over composed.
//! - **Fusion**: on the largest fixture, the median time of
//!   `meld_core::fuse` over that of wasmparser validating the same input
//!   (the two timed in turn), and the peak heap growth during one fusion
//!   (counted by this binary's global allocator) over the input size.
//! - **Debug info**: on `scalars-debug`, the largest sync debug-built
//!   fixture (DWARF in every inner module), the median time of `fuse` with `--debug-info keep`
//!   over that with `strip` (timed in turn), and the peak heap growth of
//!   one fusion that keeps it over the input size.
//!
//! - **Async calls**: the `async-calls` fixture's loops of 255 async
//!   calls between its two components (callee returning at once, or after
//!   a yield), and the `async-blocking` fixture's loop of 255 `block_on`
//!   round trips, and the `async-streams` fixture's 64 MiB streamed in
//!   64 KiB chunks between its two components (1 MiB in 1 KiB chunks,
//!   and records), composed and fused with
//!   each memory strategy; median wall time of one host call, fused over
//!   composed; and for the streams, the same less the guest's own work
//!   (`pipes#send-alone`), the stream's own time.
//! - **Exceptions**: a component that throws (and catches its own
//!   exceptions) calling a scalar function of one that cannot throw
//!   ([`EXCEPTIONS`]), composed and fused; median wall time of a loop of
//!   calls, fused over composed, and the same with a `throw` in the
//!   callee, which gives the call an adapter and an exception barrier.
//! - **JS** (`js`; only when `MELD_BENCH_JS` names the input, which
//!   `scripts/bench-js.sh` builds with componentize-js): a 12 MB
//!   JavaScript component composed with a Rust caller; checks that the
//!   fused composition runs as the composed one and writes it out for
//!   `meld-bench-js` (`tests/bench-js`), which times fusion in a release
//!   build.
//!
//! Run it with meld-core optimised (see the README's Performance section):
//! in the dev profile the workspace's own crates are not.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use meld_core::{DebugInfo, MemoryStrategy, Options, Simd, fuse};
use meld_tests::fixtures::{self, Fixture};
use meld_tests::harness::{self, CompareOptions};
use wasmparser::{Validator, WasmFeatures};
use wasmtime::component::{Component, ComponentNamedList, Lift, Linker, Lower, TypedFunc};
use wasmtime::{Config, Engine, Store};

/// The system allocator, counting live bytes and their high-water mark
/// while a measurement is on (only then: shared counters updated from
/// several threads would slow down what is timed).
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
/// Live bytes allocated since counting began, less those freed since (a
/// block from before may be freed meanwhile, so it can go below 0).
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

impl Counting {
    fn grew(size: usize) {
        if COUNTING.load(Ordering::Relaxed) {
            let size = size as isize;
            let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
    }

    fn shrank(size: usize) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(size as isize, Ordering::Relaxed);
        }
    }

    /// Starts counting from zero.
    fn start() {
        LIVE.store(0, Ordering::Relaxed);
        PEAK.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
    }

    /// Stops counting; the high-water mark of the live bytes since
    /// [`Counting::start`].
    fn stop() -> usize {
        COUNTING.store(false, Ordering::Relaxed);
        PEAK.load(Ordering::Relaxed).max(0) as usize
    }
}

#[expect(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; this one only forwards to System and counts"
)]
// SAFETY: every method forwards to `System` with the caller's arguments,
// which uphold `GlobalAlloc`'s contract; the counters do not touch memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) };
        Self::shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            Self::shrank(layout.size());
            Self::grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The interface the `bench` fixture exports.
const BENCH: &str = "meld:fixtures/bench";

/// Loop count per call (the fixture loops `n % 16384` times).
const ROUNDS: u32 = 16_000;

/// One comparison and its target.
struct Ratio {
    what: String,
    ratio: f64,
    target: f64,
    detail: String,
}

impl Ratio {
    fn met(&self) -> bool {
        self.ratio <= self.target
    }
}

/// The sections, in the order they run.
const SECTIONS: [&str; 8] = [
    "runtime",
    "shared",
    "wasi",
    "fusion",
    "debug",
    "async",
    "exceptions",
    "js",
];

const USAGE: &str = "\
usage: meld-bench [--quick] [--samples=N] [--only=TEXT] [SECTION]...

meld's benchmarks: ratios measured in one run, each against its target;
exits 2 when one misses. The README (\"Performance\") gives the command
it is meant to be run with.

  --quick        5 samples instead of 31
  --samples=N    N samples per measurement
  --only=TEXT    the runtime, shared and async loops whose description
                 (or export name) contains TEXT
  SECTION        runtime, shared, wasi, fusion, debug, async, exceptions,
                 js (js only when MELD_BENCH_JS names the input); all when
                 none given

Built with `--features scratch-unvalidated`, runtime also times each loop
fused with string validation off (what validation costs). With
MELD_PERFMAP set, wasmtime writes a perf map of the code it compiles.";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            eprintln!("meld-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints every ratio; true if all meet their targets.
fn run() -> Result<bool> {
    if std::env::args().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return Ok(true);
    }
    for arg in std::env::args().skip(1) {
        let known = matches!(arg.as_str(), "--quick")
            || arg.starts_with("--samples=")
            || arg.starts_with("--only=")
            || SECTIONS.contains(&arg.as_str());
        if !known {
            bail!("unknown argument `{arg}`\n\n{USAGE}");
        }
    }
    let quick = std::env::args().any(|arg| arg == "--quick");
    let option = |name: &str| {
        std::env::args().find_map(|arg| arg.strip_prefix(&format!("--{name}=")).map(String::from))
    };
    let samples = match option("samples") {
        Some(n) => n.parse().context("--samples=N takes a number")?,
        None if quick => 5,
        None => 31,
    };
    let only = option("only");
    if cfg!(debug_assertions) {
        println!("note: built with debug assertions; see the README for the intended command");
    }
    // Sections named on the command line, or all of them.
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let wanted = |section: &str| named.is_empty() || named.iter().any(|n| n == section);
    let mut ratios = Vec::new();
    if wanted("runtime") {
        ratios.extend(runtime(samples, only.as_deref())?);
    }
    if wanted("shared") {
        ratios.extend(shared_runtime(samples, only.as_deref())?);
    }
    if wanted("wasi") {
        ratios.extend(wasi_runtime(samples)?);
    }
    if wanted("fusion") {
        ratios.extend(fusion(samples)?);
    }
    if wanted("debug") {
        ratios.extend(debug_info(samples)?);
    }
    if wanted("async") {
        ratios.extend(async_calls(samples, only.as_deref())?);
    }
    if wanted("exceptions") {
        ratios.extend(exceptions(samples)?);
    }
    if wanted("js") {
        ratios.extend(js(!named.is_empty())?);
    }
    println!();
    let mut all_met = true;
    for ratio in &ratios {
        let verdict = if ratio.met() { "meets" } else { "MISSES" };
        all_met &= ratio.met();
        println!(
            "{:<38} {:>6.3}  (target <= {:.2}: {verdict})  {}",
            ratio.what, ratio.ratio, ratio.target, ratio.detail
        );
    }
    Ok(all_met)
}

/// The `exceptions` section's composition: `$thrower`'s `spin(n)` calls
/// `$plain`'s `inc` `n % 16384` times, each call inside its own
/// `try_table` (so the component defines a tag and can throw); `$plain`'s
/// code cannot throw until `;;THROW` is replaced with a `throw`.
const EXCEPTIONS: &str = r#"
(component
  (component $plain
    (core module $m
      (tag $t)
      ;;THROW
      (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
    (core instance $i (instantiate $m))
    (func (export "inc") (param "x" u32) (result u32) (canon lift (core func $i "inc"))))
  (component $thrower
    (import "inc" (func $inc (param "x" u32) (result u32)))
    (core func $inc (canon lower (func $inc)))
    (core module $m
      (import "" "inc" (func $inc (param i32) (result i32)))
      (tag $e (param i32))
      (func (export "spin") (param $n i32) (result i32)
        (local $acc i32)
        (local.set $n (i32.and (local.get $n) (i32.const 16383)))
        (block $done
          (loop $again
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $acc
              (block $h (result i32)
                (try_table (result i32) (catch $e $h)
                  (if (i32.eq (local.get $acc) (i32.const -1))
                    (then (throw $e (i32.const 0))))
                  (call $inc (local.get $acc)))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $again)))
        (local.get $acc)))
    (core instance $i (instantiate $m (with "" (instance (export "inc" (func $inc))))))
    (func $spin (param "n" u32) (result u32) (canon lift (core func $i "spin")))
    (instance $api (export "spin" (func $spin)))
    (export "meld:fixtures/bench" (instance $api)))
  (instance $p (instantiate $plain))
  (instance $t (instantiate $thrower (with "inc" (func $p "inc"))))
  (export "meld:fixtures/bench" (instance $t "meld:fixtures/bench")))
"#;

/// The `exceptions` section (see [`EXCEPTIONS`]).
fn exceptions(samples: usize) -> Result<Vec<Ratio>> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .wasm_multi_memory(true)
        .wasm_exceptions(true);
    let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
    let mut ratios = Vec::new();
    for (callee, text) in [
        ("cannot throw", EXCEPTIONS.to_string()),
        (
            "can throw (barrier)",
            EXCEPTIONS.replace(";;THROW", "(func (throw $t))"),
        ),
    ] {
        let composed = wat::parse_str(&text).context("the exceptions WAT")?;
        let fused = fuse(&[&composed], &Options::default())
            .map_err(|e| anyhow!("fusing the exceptions loop failed: {e}"))?
            .wasm;
        let mut a = Running::new(&engine, &composed)?;
        let mut b = Running::new(&engine, &fused)?;
        let (ta, tb) = interleaved::<u32>(&mut a, &mut b, "spin", samples)?;
        let per_call = |t: Duration| t.as_secs_f64() * 1e9 / f64::from(ROUNDS);
        println!(
            "exceptions: callee {callee}, {ROUNDS} calls per sample, median of {samples}\n  \
             composed {:>6.2} ns a call  fused {:>6.2} ns a call",
            per_call(ta),
            per_call(tb)
        );
        ratios.push(Ratio {
            what: format!("exceptions, callee {callee}"),
            ratio: tb.as_secs_f64() / ta.as_secs_f64(),
            target: 1.0,
            detail: "fused / composed median wall time of the loop".to_string(),
        });
    }
    Ok(ratios)
}

/// The median wall times of `a` and of `b` over `samples` runs each, the
/// two run in turn (which first alternating), so that a machine whose
/// speed drifts slows both alike.
fn median_times<A, B>(
    samples: usize,
    mut a: impl FnMut() -> Result<A>,
    mut b: impl FnMut() -> Result<B>,
) -> Result<(Duration, Duration)> {
    let mut times = [Vec::with_capacity(samples), Vec::with_capacity(samples)];
    for i in 0..samples {
        for k in [i % 2, 1 - i % 2] {
            let start = Instant::now();
            match k {
                0 => drop(black_box(a()?)),
                _ => drop(black_box(b()?)),
            }
            times[k].push(start.elapsed());
        }
    }
    let [a, b] = times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    });
    Ok((a, b))
}

/// A component instantiated in its own store, ready to call `bench`.
struct Running {
    store: Store<()>,
    instance: wasmtime::component::Instance,
}

impl Running {
    fn new(engine: &Engine, wasm: &[u8]) -> Result<Self> {
        let component = Component::new(engine, wasm).map_err(anyhow::Error::from)?;
        let mut store = Store::new(engine, ());
        let instance = Linker::new(engine)
            .instantiate(&mut store, &component)
            .map_err(anyhow::Error::from)?;
        Ok(Self { store, instance })
    }

    fn func<P, R>(&mut self, name: &str) -> Result<TypedFunc<P, R>>
    where
        P: ComponentNamedList + Lower,
        R: ComponentNamedList + Lift,
    {
        let missing = || anyhow!("no export {BENCH}#{name}");
        let interface = self
            .instance
            .get_export_index(&mut self.store, None, BENCH)
            .ok_or_else(missing)?;
        let index = self
            .instance
            .get_export_index(&mut self.store, Some(&interface), name)
            .ok_or_else(missing)?;
        self.instance
            .get_typed_func(&mut self.store, index)
            .map_err(anyhow::Error::from)
    }
}

/// Median times of `name(ROUNDS)` on `a` and on `b`, sampled in turn (the
/// order alternating) so that both see the same machine; fails unless
/// both return the same.
fn interleaved<R>(
    a: &mut Running,
    b: &mut Running,
    name: &str,
    samples: usize,
) -> Result<(Duration, Duration)>
where
    (R,): ComponentNamedList + Lift,
    R: Copy + PartialEq + std::fmt::Debug,
{
    let fa = a.func::<(u32,), (R,)>(name)?;
    let fb = b.func::<(u32,), (R,)>(name)?;
    let time = |f: &TypedFunc<(u32,), (R,)>, store: &mut Store<()>| -> Result<(Duration, R)> {
        let start = Instant::now();
        let (result,) = f
            .call(&mut *store, (ROUNDS,))
            .map_err(anyhow::Error::from)?;
        Ok((start.elapsed(), black_box(result)))
    };
    let (_, ra) = time(&fa, &mut a.store)?; // warm-up
    let (_, rb) = time(&fb, &mut b.store)?;
    if ra != rb {
        return Err(anyhow!("{name}({ROUNDS}) returned {ra:?} and {rb:?}"));
    }
    let (mut ta, mut tb) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for i in 0..samples {
        if i % 2 == 0 {
            ta.push(time(&fa, &mut a.store)?.0);
            tb.push(time(&fb, &mut b.store)?.0);
        } else {
            tb.push(time(&fb, &mut b.store)?.0);
            ta.push(time(&fa, &mut a.store)?.0);
        }
    }
    ta.sort();
    tb.sort();
    Ok((ta[samples / 2], tb[samples / 2]))
}

/// The loops of the `bench` fixture on `a` and `b`, as ratios of `b`
/// over `a`, each with its target.
fn compare_loops(
    a: &mut Running,
    b: &mut Running,
    names: (&str, &str),
    kinds: &[(&str, String, f64)],
    samples: usize,
) -> Result<Vec<Ratio>> {
    let mut ratios = Vec::new();
    for (name, what, target) in kinds {
        let (name, target) = (*name, *target);
        let (before, after) = if name == "bench-scalars" {
            interleaved::<u64>(a, b, name, samples)?
        } else {
            interleaved::<u32>(a, b, name, samples)?
        };
        println!(
            "  {name:<19} {:<8} {:>10.1} µs  {:<8} {:>10.1} µs",
            names.0,
            micros(before),
            names.1,
            micros(after)
        );
        ratios.push(Ratio {
            what: what.clone(),
            ratio: after.as_secs_f64() / before.as_secs_f64(),
            target,
            detail: format!("{} / {} median wall time of {name}", names.1, names.0),
        });
    }
    Ok(ratios)
}

/// The loops of the `bench` fixture: the export, what it does, and its
/// target fused over composed (the issue "Faster than every other fuser on
/// strings and lists"); `--memory shared` over `multi` has 1.05 for each.
const LOOPS: [(&str, &str, f64); 9] = [
    ("bench-scalars", "scalar calls", 0.5),
    ("bench-strings", "100-byte string round trips", 0.45),
    ("bench-short-strings", "10-byte string round trips", 0.5),
    ("bench-long-strings", "10 KiB string round trips", 0.5),
    ("bench-wide-strings", "non-ASCII string round trips", 0.6),
    ("bench-transcode", "utf8 <-> utf16 round trips", 0.6),
    ("bench-records", "8-record round trips", 0.6),
    (
        "bench-record-lists",
        "1,000-record lists (string field)",
        0.6,
    ),
    (
        "bench-string-lists",
        "lists of 1,000 strings both ways",
        0.6,
    ),
];

/// The `bench` fixture fused with `memory` and `simd`.
fn fused_bench(fixture: &Fixture, memory: MemoryStrategy, simd: Simd) -> Result<Vec<u8>> {
    let options = Options {
        memory,
        simd,
        ..Options::default()
    };
    fuse(&[&fixture.wasm], &options)
        .map(|f| f.wasm)
        .map_err(|e| anyhow!("fusing `bench` failed: {e}"))
}

/// An engine as wasmtime's CLI sets one up for components, with
/// multi-memory (and a perf map with `MELD_PERFMAP`, as the async
/// section's).
fn bench_engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true).wasm_multi_memory(true);
    if std::env::var_os("MELD_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    Engine::new(&config).map_err(anyhow::Error::from)
}

/// The loops of [`LOOPS`] that `--only` keeps, each with its description
/// behind `prefix` and its target (`target`, or the loop's own).
fn loops(
    only: Option<&str>,
    prefix: &str,
    target: Option<f64>,
) -> Vec<(&'static str, String, f64)> {
    LOOPS
        .iter()
        .filter(|(name, what, _)| {
            only.is_none_or(|only| name.contains(only) || what.contains(only))
        })
        .map(|&(name, what, own)| (name, format!("{prefix}{what}"), target.unwrap_or(own)))
        .collect()
}

fn runtime(samples: usize, only: Option<&str>) -> Result<Vec<Ratio>> {
    let fixture = fixtures::get("bench")?;
    let fused = fused_bench(&fixture, MemoryStrategy::Multi, Simd::Auto)?;
    let engine = bench_engine()?;
    let mut composed = Running::new(&engine, &fixture.wasm).context("composed `bench`")?;
    let mut fused = Running::new(&engine, &fused).context("fused `bench`")?;
    println!(
        "runtime: `bench` fixture, {ROUNDS} cross-component calls per sample, median of {samples}"
    );
    let kinds = loops(only, "runtime, ", None);
    let mut ratios = compare_loops(
        &mut composed,
        &mut fused,
        ("composed", "fused"),
        &kinds,
        samples,
    )?;
    // The same with utf8 validated by SIMD (`--simd on`; the fixture's
    // Rust guests use no SIMD, so `auto` leaves it off).
    let simd = fused_bench(&fixture, MemoryStrategy::Multi, Simd::On)?;
    let mut simd = Running::new(&engine, &simd).context("`bench` fused with --simd on")?;
    println!("runtime, --simd on: fused with SIMD utf8 validation over composed");
    let kinds = loops(only, "runtime --simd on, ", None);
    ratios.extend(compare_loops(
        &mut composed,
        &mut simd,
        ("composed", "simd"),
        &kinds,
        samples,
    )?);
    unvalidated(&fixture, &engine, &mut fused, samples, only)?;
    Ok(ratios)
}

/// With the `scratch-unvalidated` feature: every loop fused as usual and
/// fused with string validation switched off, printed (not a target: the
/// distance is what validation costs).
#[cfg(feature = "scratch-unvalidated")]
fn unvalidated(
    fixture: &Fixture,
    engine: &Engine,
    fused: &mut Running,
    samples: usize,
    only: Option<&str>,
) -> Result<()> {
    meld_core::scratch::skip_string_validation(true);
    let wasm = fused_bench(fixture, MemoryStrategy::Multi, Simd::Auto);
    meld_core::scratch::skip_string_validation(false);
    let mut unchecked = Running::new(engine, &wasm?).context("unvalidated `bench`")?;
    println!("validation off (scratch build): fused / fused without string validation");
    let kinds = loops(only, "", Some(f64::INFINITY));
    for ratio in compare_loops(&mut unchecked, fused, ("off", "fused"), &kinds, samples)? {
        println!("  {:<38} {:>6.3}", ratio.what, ratio.ratio);
    }
    Ok(())
}

#[cfg(not(feature = "scratch-unvalidated"))]
fn unvalidated(_: &Fixture, _: &Engine, _: &mut Running, _: usize, _: Option<&str>) -> Result<()> {
    println!(
        "(what string validation costs: build meld-bench with `--features scratch-unvalidated`)"
    );
    Ok(())
}

/// `--memory shared` against `--memory multi` on the `bench` fixture: the
/// cost of checking and moving every memory access into its region. The
/// scalar loop is the call-heavy case; the string, record and list loops,
/// which allocate and copy, are the memory-heavy ones (target 1.05 each).
fn shared_runtime(samples: usize, only: Option<&str>) -> Result<Vec<Ratio>> {
    let fixture = fixtures::get("bench")?;
    let multi = fused_bench(&fixture, MemoryStrategy::Multi, Simd::Auto)?;
    let shared = fused_bench(&fixture, MemoryStrategy::Shared, Simd::Auto)?;
    let engine = bench_engine()?;
    let mut multi = Running::new(&engine, &multi).context("multi-memory `bench`")?;
    let mut shared = Running::new(&engine, &shared).context("shared-memory `bench`")?;
    println!("shared memory: `bench` fused both ways, median of {samples}");
    let kinds = loops(only, "shared/multi, ", Some(1.05));
    let mut ratios = compare_loops(
        &mut multi,
        &mut shared,
        ("multi", "shared"),
        &kinds,
        samples,
    )?;
    // With `--simd on` both ways: the vector loads are checked too.
    let fused = |memory| fused_bench(&fixture, memory, Simd::On);
    let mut multi = Running::new(&engine, &fused(MemoryStrategy::Multi)?).context("multi, simd")?;
    let mut shared =
        Running::new(&engine, &fused(MemoryStrategy::Shared)?).context("shared, simd")?;
    println!("shared memory, --simd on: `bench` fused both ways with SIMD utf8 validation");
    let kinds = loops(only, "shared/multi --simd on, ", Some(1.05));
    ratios.extend(compare_loops(
        &mut multi,
        &mut shared,
        ("multi", "shared"),
        &kinds,
        samples,
    )?);
    Ok(ratios)
}

/// Writes per sample of the WASI loop.
const WRITES: u32 = 100_000;

/// The stdout loop composed and fused, in stores with WASI (stdout a
/// sink): fused over composed, interleaved samples.
fn wasi_runtime(samples: usize) -> Result<Vec<Ratio>> {
    use meld_tests::wasi::WasiHost;
    let composed =
        wat::parse_str(meld_tests::wasi_wat::stdout_loop()).context("the stdout loop's WAT")?;
    let fused = fuse(&[&composed], &Options::default())
        .map_err(|e| anyhow!("fusing the stdout loop failed: {e}"))?
        .wasm;
    let engine = bench_engine()?;
    let mut linker = Linker::<WasiHost>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
    type Spam = (Store<WasiHost>, TypedFunc<(u32,), (u32,)>);
    let instantiate = |wasm: &[u8]| -> Result<Spam> {
        let component = Component::new(&engine, wasm).map_err(anyhow::Error::from)?;
        let ctx = wasmtime_wasi::WasiCtx::builder()
            .stdout(wasmtime_wasi::p2::pipe::SinkOutputStream)
            .build();
        let mut store = Store::new(&engine, WasiHost::new(ctx));
        let instance = linker
            .instantiate(&mut store, &component)
            .map_err(anyhow::Error::from)?;
        let spam = instance
            .get_typed_func::<(u32,), (u32,)>(&mut store, "spam")
            .map_err(anyhow::Error::from)?;
        Ok((store, spam))
    };
    let mut sides = [instantiate(&composed)?, instantiate(&fused)?];
    let mut times = [Vec::new(), Vec::new()];
    for i in 0..=samples {
        for k in [i % 2, 1 - i % 2] {
            let (store, spam) = &mut sides[k];
            let start = Instant::now();
            let (written,) = spam
                .call(&mut *store, (WRITES,))
                .map_err(anyhow::Error::from)?;
            let elapsed = start.elapsed();
            if written != WRITES {
                return Err(anyhow!("the stdout loop wrote {written} of {WRITES}"));
            }
            // the first round warms up
            if i > 0 {
                times[k].push(elapsed);
            }
        }
    }
    let [composed, fused] = times.map(|mut t| {
        t.sort();
        t[t.len() / 2]
    });
    println!(
        "wasi: {WRITES} writes to stdout per sample, median of {samples}\n  composed {:>10.1} µs  fused {:>10.1} µs",
        micros(composed),
        micros(fused)
    );
    Ok(vec![Ratio {
        what: "runtime, WASI stdout writes".to_string(),
        ratio: fused.as_secs_f64() / composed.as_secs_f64(),
        target: 1.0,
        detail: "fused / composed median wall time of 100,000 writes".to_string(),
    }])
}

fn fusion(samples: usize) -> Result<Vec<Ratio>> {
    let largest: Fixture = fixtures::all()?
        .into_iter()
        .max_by_key(|fixture| fixture.wasm.len())
        .context("no fixtures")?;
    let input = &largest.wasm;
    println!(
        "fusion: largest fixture `{}` ({} bytes), median of {samples}",
        largest.name,
        input.len()
    );
    let options = Options::default();
    let (validate, fusion) = median_times(
        samples,
        || {
            Validator::new_with_features(WasmFeatures::all())
                .validate_all(input)
                .map_err(anyhow::Error::from)
        },
        || fuse(&[input], &options).map_err(|e| anyhow!("fusing `{}` failed: {e}", largest.name)),
    )?;
    println!(
        "  validate {:>10.1} µs  fuse {:>10.1} µs",
        micros(validate),
        micros(fusion)
    );

    Ok(vec![
        Ratio {
            what: "fusion time / validation time".to_string(),
            ratio: fusion.as_secs_f64() / validate.as_secs_f64(),
            target: 2.0,
            detail: format!("`{}`", largest.name),
        },
        peak_heap("fusion peak heap / input size", input, &options)?,
    ])
}

/// The code-heavy input: a `greeter` written in JavaScript, built with
/// componentize-js (a 12 MB JS engine; `scripts/bench-js.sh` builds it and
/// names it in `MELD_BENCH_JS`), composed with the Rust `hello-command`.
/// Checks that the fused composition runs as the composed one and writes
/// the composition next to the input (`<name>-composed.wasm`) for
/// `meld-bench-js`, which times both in a release build. No ratios here:
/// this build has debug assertions, which slow wasmparser's validation
/// most.
fn js(named: bool) -> Result<Vec<Ratio>> {
    let Some(path) = std::env::var_os("MELD_BENCH_JS") else {
        anyhow::ensure!(
            !named,
            "the js section needs MELD_BENCH_JS: scripts/bench-js.sh builds the input and runs it"
        );
        println!("js: skipped (MELD_BENCH_JS is not set; scripts/bench-js.sh runs it)");
        return Ok(Vec::new());
    };
    let path = std::path::PathBuf::from(path);
    let alone = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let composed = fixtures::hello_command_with(&alone)?;
    let fused =
        fuse(&[&composed], &Options::default()).map_err(|e| anyhow!("fusing failed: {e}"))?;
    let report = harness::compare(&composed, &fused.wasm, &CompareOptions::default())?;
    anyhow::ensure!(
        report.is_clean() && report.calls > 0,
        "the fused JS composition differs from the composed one:\n{report}"
    );
    let out = path.with_file_name(format!(
        "{}-composed.wasm",
        path.file_stem()
            .map_or("js".into(), |s| s.to_string_lossy())
    ));
    std::fs::write(&out, &composed)?;
    println!(
        "js: `{}` ({} bytes) composed with hello-command into `{}` ({} bytes); fused, it runs as composed ({} calls compared)",
        path.display(),
        alone.len(),
        out.display(),
        composed.len(),
        report.calls
    );
    Ok(Vec::new())
}

/// The peak heap growth of one fusion of `input`, over its size (target 3).
fn peak_heap(what: &str, input: &[u8], options: &Options) -> Result<Ratio> {
    Counting::start();
    let output = fuse(&[input], options);
    let peak = Counting::stop();
    drop(output.map_err(|e| anyhow!("fusion failed: {e}"))?);
    println!("  peak heap growth during one fusion: {peak} bytes");
    Ok(Ratio {
        what: what.to_string(),
        ratio: peak as f64 / input.len() as f64,
        target: 3.0,
        detail: format!("{peak} bytes for {} input bytes", input.len()),
    })
}

fn debug_info(samples: usize) -> Result<Vec<Ratio>> {
    // (the same input as every earlier measurement in the log: the
    // async one, larger since session 35, fuses through the unwind
    // transform, a cost of its own)
    let largest: Fixture = fixtures::get("scalars-debug")?;
    let input = &largest.wasm;
    let with = |debug_info| Options {
        debug_info,
        ..Options::default()
    };
    let (keep, strip) = (with(DebugInfo::Keep), with(DebugInfo::Strip));
    let fuse_with = |options: &Options| {
        fuse(&[input], options).map_err(|e| anyhow!("fusing `{}` failed: {e}", largest.name))
    };
    let kept = fuse_with(&keep)?;
    let stripped = fuse_with(&strip)?;
    let dropped = stripped.stats.dwarf_dropped();
    println!(
        "debug info: largest debug-built fixture `{}` ({} bytes, {dropped} of DWARF), median of {samples}\n  \
         output kept {} bytes ({} of DWARF), stripped {} bytes",
        largest.name,
        input.len(),
        kept.wasm.len(),
        kept.stats.dwarf_bytes,
        stripped.wasm.len()
    );
    drop((kept, stripped));
    let (strip_time, keep_time) = median_times(samples, || fuse_with(&strip), || fuse_with(&keep))?;
    println!(
        "  strip {:>10.1} µs  keep {:>10.1} µs",
        micros(strip_time),
        micros(keep_time)
    );
    Ok(vec![
        Ratio {
            what: "debug info: keep time / strip time".to_string(),
            ratio: keep_time.as_secs_f64() / strip_time.as_secs_f64(),
            target: 3.0,
            detail: format!("`{}`", largest.name),
        },
        peak_heap("debug info: keep peak heap / input", input, &keep)?,
    ])
}

/// Async round trips between two inner components: `calls#ready-loop`
/// and `calls#later-loop` of the `async-calls` fixture (255 async calls of
/// the worker, each returning at once or after a yield and an event),
/// composed and fused (each memory strategy), run by the harness's engine
/// (the async ABI on, Cranelift's optimisations on, no fuel metering, as
/// the other sections' engines; until session 15 fuel was counted on both
/// sides, which charged meld's runtime for work wasmtime does natively);
/// median wall time of one
/// host call, fused over composed, sampled in turn. Then the
/// `async-blocking` fixture's `blocking#block-on-loop`: 255 `block_on`
/// round trips (the caller's task blocks in `waitable-set.wait` each time;
/// target ≤ 0.7, issue "Async, part 3"). Then the `async-streams`
/// fixture's `pipes#send`: 64 MiB (the issue's size, the fixture's cap)
/// streamed in 64 KiB writes from one component to the other, which reads
/// it in 64 KiB reads and sums the bytes (eight at a time, the same code
/// on both sides); 1 MiB in 1 KiB chunks (where the operations, not the
/// bytes, cost); and 2^20 records of two `u32`s
/// streamed in chunks of 8,192 (target ≤ 0.5 each, issue "Async, part
/// 2"). Each `stream<u8>` loop is followed by `pipes#send-alone`, the
/// same guest work without the stream (the writer's copies, the reader's
/// buffers and sum), and the time that leaves to the stream, fused over
/// composed: the guests' work is the same code on both sides and bounds
/// the whole loop's ratio.
fn async_calls(samples: usize, only: Option<&str>) -> Result<Vec<Ratio>> {
    use meld_tests::harness::Instance;
    use wasmtime::component::Val;
    let mut ratios = Vec::new();
    // Both sides compiled as a deployment would compile them.
    harness::optimise_engine()?;
    println!("async calls: 255 round trips per host call, median of {samples}");
    let loops: [(&str, &str, &str, f64, Vec<Val>); 6] = [
        (
            "async-calls",
            "calls#ready-loop",
            "async round trip, callee returns at once",
            0.5,
            vec![Val::U8(255)],
        ),
        (
            "async-calls",
            "calls#later-loop",
            "async round trip, callee yields first",
            0.5,
            vec![Val::U8(255)],
        ),
        (
            "async-blocking",
            "blocking#block-on-loop",
            "block_on round trip",
            0.7,
            vec![Val::U8(255)],
        ),
        (
            "async-streams",
            "pipes#send",
            "stream<u8> of 64 MiB in 64 KiB chunks",
            0.5,
            vec![Val::U32(1 << 26), Val::U32(1 << 16), Val::U32(1 << 16)],
        ),
        (
            "async-streams",
            "pipes#send",
            "stream<u8> of 1 MiB in 1 KiB chunks",
            0.5,
            vec![Val::U32(1 << 20), Val::U32(1 << 10), Val::U32(1 << 10)],
        ),
        (
            "async-streams",
            "pipes#area",
            "stream<point> of 2^20 records in 8 KiB-record chunks",
            0.5,
            vec![Val::U32(1 << 20), Val::U32(1 << 13), Val::U32(1 << 13)],
        ),
    ];
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        for (fixture, name, what, target, args) in &loops {
            if only.is_some_and(|only| !what.contains(only)) {
                continue;
            }
            let fixture = fixtures::get(fixture)?;
            let fused = fuse(&[&fixture.wasm], &options)
                .map_err(|e| anyhow!("fusing `{}` failed: {e}", fixture.name))?
                .wasm;
            let mut composed = Instance::new(&fixture.wasm)?;
            let mut fused = Instance::new(&fused)?;
            let [before, after] =
                interleaved_calls(&mut [&mut composed, &mut fused], name, args, samples)?;
            println!(
                "  {name:<11} {memory:?}: composed {:>10.1} µs  fused {:>10.1} µs",
                micros(before),
                micros(after)
            );
            ratios.push(Ratio {
                what: format!("{what} ({memory:?})"),
                ratio: after.as_secs_f64() / before.as_secs_f64(),
                target: *target,
                detail: format!("fused / composed median wall time of one {name} call"),
            });
            // an export doing the loop's guest work alone, whose time is
            // taken from both sides' to give the stream's own cost
            if *name == "pipes#send" {
                let alone = "pipes#send-alone";
                // the guest work alone, on each side; the rest is the
                // stream's (its copy of the bytes included)
                let [a, b] =
                    interleaved_calls(&mut [&mut composed, &mut fused], alone, args, samples)?;
                let (stream_before, stream_after) =
                    (before.saturating_sub(a), after.saturating_sub(b));
                println!(
                    "  {alone:<11} {memory:?}: composed {:>10.1} µs  fused {:>10.1} µs \
                     (the guest work alone: {:.0} % of {name} composed); \
                     the stream's own: composed {:>8.1} µs  fused {:>8.1} µs",
                    micros(a),
                    micros(b),
                    100.0 * a.as_secs_f64() / before.as_secs_f64(),
                    micros(stream_before),
                    micros(stream_after)
                );
                ratios.push(Ratio {
                    what: format!("{what}, the stream's own time ({memory:?})"),
                    ratio: stream_after.as_secs_f64() / stream_before.as_secs_f64(),
                    target: *target,
                    detail: format!(
                        "fused / composed, {name} less {alone} (the same guest work without the stream) on each side"
                    ),
                });
            }
        }
    }
    Ok(ratios)
}

/// Median wall times of calls of `name` with `args` on each of
/// `instances`, `samples` each, taking turns (the order reversed every
/// other round); the first call of each, not timed, must return the same
/// on all.
fn interleaved_calls<const N: usize>(
    instances: &mut [&mut harness::Instance; N],
    name: &str,
    args: &[wasmtime::component::Val],
    samples: usize,
) -> Result<[Duration; N]> {
    let path = format!("meld:async-fixtures/{name}");
    let mut first: Option<String> = None;
    for instance in instances.iter_mut() {
        let result = instance.call(&path, args)?;
        match &first {
            Some(a) if *a != result => {
                return Err(anyhow!("{name} returned {a} composed and {result} fused"));
            }
            _ => first = Some(result),
        }
    }
    let mut times: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::with_capacity(samples));
    for round in 0..samples {
        for k in 0..N {
            let k = if round % 2 == 0 { k } else { N - 1 - k };
            let start = Instant::now();
            black_box(instances[k].call(&path, args)?);
            times[k].push(start.elapsed());
        }
    }
    Ok(times.map(|mut t| {
        t.sort();
        t[samples / 2]
    }))
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
