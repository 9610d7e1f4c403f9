//! One side of a comparison — the original or the fused component —
//! compiled once and instantiated under wasmtime with WASI p2.
//!
//! The WASI context is deterministic so that both sides can be compared
//! byte for byte: stdout and stderr go to in-memory pipes, the clocks are
//! fixed (the monotonic clock advances 1 ms per reading), random numbers
//! come from a fixed cycle, arguments and environment are fixed, stdin is
//! closed. Imports other than WASI are satisfied by stubs that trap, the
//! same on both sides (see `link`).
//!
//! Each live instance has a [`Pool`] of the resources its calls returned;
//! arguments for functions taking resources are generated per side from
//! it, and the host drops pooled resources itself.
//!
//! Every call and instantiation runs on a fuel budget, so a fused output
//! that loops forever shows up as a trap instead of a hung test. A trap
//! poisons the instance; the side drops it and the caller instantiates
//! afresh.
//!
//! **Components that use the async ABI** (async lifts or lowers, or any
//! async built-in) have every export called the way an async host calls
//! it, with `Store::run_concurrent` and `Func::call_concurrent` (see
//! `concurrency`): synchronous exports too, since one may block on an
//! async import, which wasmtime 48 reports as a trap only under
//! `run_concurrent` (a plain `Func::call` panics inside wasmtime). Every
//! other component's exports are called with `Func::call`, as before.

use super::concurrency::{Together, call_concurrent, call_together, uses_async_abi};
use super::generate::{Generator, Unsupported};
use super::link::link;
use super::pool::{Pool, State};
use crate::wasi::WasiHost as Host;
use anyhow::{Context, Result, anyhow};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, Func, Instance, InstancePre, ResourceAny, Type, Val};
use wasmtime::{Config, Engine, OptLevel, Store, Trap};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{Deterministic, HostMonotonicClock, HostWallClock, I32Exit, WasiCtx};

/// Most bytes a component may write to stdout or stderr per instance.
const PIPE_CAPACITY: usize = 16 << 20;

static ENGINE: OnceLock<Engine> = OnceLock::new();
static OPTIMISED: AtomicBool = AtomicBool::new(false);

/// Makes [`engine`] compile with Cranelift's optimisations and run
/// without fuel metering (for benchmarks: what runs is then what a
/// deployment runs, as in meld-bench's other sections, whose engines have
/// wasmtime's defaults; fuel would charge the fused side's runtime, in
/// wasm, for work the composed side's runtime does natively); fails if
/// the engine was made already.
pub fn optimise_engine() -> Result<()> {
    OPTIMISED.store(true, Ordering::SeqCst);
    match ENGINE.get() {
        Some(_) => anyhow::bail!("the harness's engine was made before it was to be optimised"),
        None => Ok(()),
    }
}

/// Whether [`engine`] meters fuel: unless it is optimised for benchmarks.
fn metered() -> bool {
    !OPTIMISED.load(Ordering::SeqCst)
}

/// Gives `store` a budget of `fuel`, if the engine meters it.
fn refuel<T>(store: &mut Store<T>, fuel: u64) -> Result<()> {
    if metered() {
        store
            .set_fuel(fuel)
            .map_err(anyhow::Error::from)
            .context("setting fuel")?;
    }
    Ok(())
}

/// The engine every harness run shares: component model and multi-memory
/// on (fused output has a memory per inner component), the component
/// model's async ABI with everything async guests use (the async
/// built-ins, `async` lifts without a callback, error contexts), `map`
/// and fixed-length lists, the exception handling, typed function
/// references and GC proposals (inputs may use them inside), fuel
/// metering on (off when [`optimise_engine`] was called), Cranelift
/// optimisations off because tests compile more than they run.
pub fn engine() -> Result<&'static Engine> {
    if let Some(engine) = ENGINE.get() {
        return Ok(engine);
    }
    let opt_level = match OPTIMISED.load(Ordering::SeqCst) {
        true => OptLevel::Speed,
        false => OptLevel::None,
    };
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .wasm_component_model_async(true)
        .wasm_component_model_more_async_builtins(true)
        .wasm_component_model_async_stackful(true)
        .wasm_component_model_error_context(true)
        .wasm_component_model_map(true)
        .wasm_component_model_fixed_length_lists(true)
        .wasm_multi_memory(true)
        .wasm_exceptions(true)
        .wasm_function_references(true)
        .wasm_gc(true)
        .consume_fuel(metered())
        .cranelift_opt_level(opt_level);
    if std::env::var_os("MELD_PERFMAP").is_some() {
        // for profiling the benchmarks with `perf`
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("creating the harness's wasmtime engine")?;
    Ok(ENGINE.get_or_init(|| engine))
}

/// Whether the component `wasm`, which imports nothing, instantiates under
/// [`engine`] (with fuel, if metered, for its start functions): false when
/// its instantiation traps (an active segment that does not fit, a start
/// function that traps or throws an exception it does not catch). Any
/// other failure (wasmtime does not compile it,
/// it imports something) is an error, not a trap that matched.
pub fn instantiates(wasm: &[u8]) -> Result<bool> {
    let engine = engine()?;
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the component")?;
    let mut store = Store::new(engine, ());
    refuel(&mut store, 50_000_000)?;
    match wasmtime::component::Linker::new(engine).instantiate(&mut store, &component) {
        Ok(_) => Ok(true),
        Err(e) if e.downcast_ref::<Trap>().is_some() => Ok(false),
        Err(e) if e.downcast_ref::<wasmtime::ThrownException>().is_some() => Ok(false),
        Err(e) => Err(anyhow::Error::from(e).context("instantiating the component")),
    }
}

/// What one call (or instantiation) did.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Returned normally with these results.
    Returned(Vec<Val>),
    /// Trapped (or a host function failed); the message is informative
    /// only, since trap messages may legitimately differ.
    Trapped(String),
    /// Called `wasi:cli/exit` with this code.
    Exited(i32),
}

/// An outcome plus what was written to stdout and stderr meanwhile.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    pub(crate) outcome: Outcome,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

/// A wall clock stopped at 2023-11-14T22:13:20Z.
struct FixedWallClock;

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Duration::from_secs(1_700_000_000)
    }
}

/// A monotonic clock that advances by one millisecond per reading, so
/// that guests waiting for time to pass still terminate.
#[derive(Default)]
struct SteppingClock(AtomicU64);

impl HostMonotonicClock for SteppingClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        self.0.fetch_add(1_000_000, Ordering::Relaxed)
    }
}

/// A live instance with its store and output pipes.
struct Live {
    store: Store<Host>,
    instance: Instance,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    stdout_seen: usize,
    stderr_seen: usize,
    pool: Pool,
}

impl Live {
    /// Output written since the last call to `take_output`.
    fn take_output(&mut self) -> (Vec<u8>, Vec<u8>) {
        let stdout = self.stdout.contents();
        let stderr = self.stderr.contents();
        let new_out = stdout[self.stdout_seen.min(stdout.len())..].to_vec();
        let new_err = stderr[self.stderr_seen.min(stderr.len())..].to_vec();
        self.stdout_seen = stdout.len();
        self.stderr_seen = stderr.len();
        (new_out, new_err)
    }
}

/// One component, compiled and linked, and its current instance.
pub(crate) struct Side {
    label: &'static str,
    component: Component,
    pre: InstancePre<Host>,
    stubbed: Vec<String>,
    /// Whether the linker gave it async host functions (the store then
    /// takes only the `_async` entry points: instantiation is driven).
    async_host: bool,
    live: Option<Live>,
    fuel: u64,
    /// Whether calls go through `run_concurrent` (the component uses the
    /// async ABI).
    concurrent: bool,
}

impl std::fmt::Debug for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Side")
            .field("label", &self.label)
            .field("live", &self.live.is_some())
            .finish_non_exhaustive()
    }
}

impl Side {
    /// Compiles and links `wasm`; `label` ("original", "fused") names the
    /// side in errors.
    pub(crate) fn new(label: &'static str, wasm: &[u8], fuel: u64) -> Result<Self> {
        let engine = engine()?;
        let component = Component::new(engine, wasm)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("compiling the {label} component"))?;
        let linked =
            link(engine, &component).with_context(|| format!("linking the {label} component"))?;
        Ok(Self {
            label,
            component,
            pre: linked.pre,
            stubbed: linked.stubbed,
            async_host: linked.async_host,
            live: None,
            fuel,
            concurrent: uses_async_abi(wasm)?,
        })
    }

    /// Whether calls go through `run_concurrent` (see the module doc).
    pub(crate) fn is_concurrent(&self) -> bool {
        self.concurrent
    }

    /// Calls through `run_concurrent` from now on, e.g. because the other
    /// side of a comparison uses the async ABI.
    pub(crate) fn make_concurrent(&mut self) {
        self.concurrent = true;
    }

    pub(crate) fn component(&self) -> &Component {
        &self.component
    }

    /// Imports satisfied by trapping stubs (`iface#func`).
    pub(crate) fn stubbed(&self) -> &[String] {
        &self.stubbed
    }

    /// Drops the current instance (if any) and instantiates afresh in a
    /// new store. The observation's outcome is `Returned([])` on success.
    pub(crate) fn instantiate(&mut self) -> Result<Observation> {
        self.live = None;
        let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
        let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
        let ctx = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .args(&["component"])
            .env("MELD_HARNESS", "1")
            .secure_random(Deterministic::new((0..=255).collect()))
            .insecure_random(Deterministic::new((0..=255).rev().collect()))
            .insecure_random_seed(0x6d65_6c64)
            .wall_clock(FixedWallClock)
            .monotonic_clock(SteppingClock::default())
            .build();
        let host = Host::new(ctx);
        let mut store = Store::new(engine()?, host);
        refuel(&mut store, self.fuel)?;
        let result = match self.async_host {
            true => super::concurrency::drive(self.pre.instantiate_async(&mut store), None)
                .unwrap_or_else(|| Err(wasmtime::Error::msg(super::concurrency::DEADLOCK))),
            false => self.pre.instantiate(&mut store),
        };
        let mut out = (stdout.contents().to_vec(), stderr.contents().to_vec());
        let outcome = match result {
            Ok(instance) => {
                let mut live = Live {
                    store,
                    instance,
                    stdout,
                    stderr,
                    stdout_seen: 0,
                    stderr_seen: 0,
                    pool: Pool::default(),
                };
                out = live.take_output();
                self.live = Some(live);
                Outcome::Returned(Vec::new())
            }
            Err(error) => outcome_of_error(error),
        };
        Ok(Observation {
            outcome,
            stdout: out.0,
            stderr: out.1,
        })
    }

    /// Whether an instance is live (instantiation succeeded and nothing
    /// trapped since).
    pub(crate) fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// Calls the function at `path` (instance names, then the function's
    /// name) with `args`. A trap or exit drops the instance.
    pub(crate) fn call(
        &mut self,
        path: &[String],
        args: &[Val],
        results: usize,
    ) -> Result<Observation> {
        let func = self.func(path)?;
        let fuel = self.fuel;
        let concurrent = self.concurrent;
        let live = self.live_mut()?;
        refuel(&mut live.store, fuel)?;
        let mut values = vec![Val::Bool(false); results];
        let called = if concurrent {
            call_concurrent(&mut live.store, func, args, &mut values)
        } else {
            func.call(&mut live.store, args, &mut values)
        };
        let outcome = match called {
            Ok(()) => {
                live.pool.collect(&values);
                Outcome::Returned(values)
            }
            Err(error) => outcome_of_error(error),
        };
        let (stdout, stderr) = live.take_output();
        if !matches!(outcome, Outcome::Returned(_)) {
            self.live = None;
        }
        Ok(Observation {
            outcome,
            stdout,
            stderr,
        })
    }
}

/// What calls made at once did (see [`Side::call_together`]).
#[derive(Debug, Clone)]
pub(crate) struct TogetherObservation {
    /// Per call, in call order; `None` for a call that had not returned
    /// when no task could make progress any more.
    pub(crate) outcomes: Vec<Option<Outcome>>,
    /// Call indices in the order the calls returned or failed.
    pub(crate) finished: Vec<usize>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

impl Side {
    /// Makes all `calls` (export path, arguments) at once on the live
    /// instance, in one `run_concurrent` event loop, until all returned or
    /// no task can make progress. A trap or a call left pending drops the
    /// instance.
    pub(crate) fn call_together(
        &mut self,
        calls: &[(Vec<String>, Vec<Val>)],
    ) -> Result<TogetherObservation> {
        let mut prepared = Vec::new();
        for (path, args) in calls {
            let func = self.func(path)?;
            let results = self.result_count(path)?;
            let params = self.params(path)?;
            let mut args = args.clone();
            // the arguments not given: resources the host holds
            for ty in params.iter().skip(args.len()) {
                let label = self.label;
                let supplied = self.live_mut()?.pool.supply(ty).ok_or_else(|| {
                    anyhow!(
                        "the {label} side holds no resource for `{}`'s parameter",
                        path.join("#")
                    )
                })?;
                args.push(supplied);
            }
            prepared.push((func, args, results));
        }
        let fuel = self.fuel;
        let live = self.live_mut()?;
        refuel(&mut live.store, fuel)?;
        let Together { outcomes, finished } = call_together(&mut live.store, &prepared);
        for outcome in outcomes.iter().flatten() {
            if let Outcome::Returned(values) = outcome {
                live.pool.collect(values);
            }
        }
        let (stdout, stderr) = live.take_output();
        if !outcomes
            .iter()
            .all(|outcome| matches!(outcome, Some(Outcome::Returned(_))))
        {
            self.live = None;
        }
        Ok(TogetherObservation {
            outcomes,
            finished,
            stdout,
            stderr,
        })
    }
}

impl Side {
    fn live_mut(&mut self) -> Result<&mut Live> {
        let label = self.label;
        self.live
            .as_mut()
            .ok_or_else(|| anyhow!("the {label} side has no live instance"))
    }

    /// The live instance's function at `path`.
    fn func(&mut self, path: &[String]) -> Result<Func> {
        let label = self.label;
        let live = self.live_mut()?;
        let mut parent = None;
        for name in path {
            let index = live
                .instance
                .get_export_index(&mut live.store, parent.as_ref(), name)
                .ok_or_else(|| anyhow!("the {label} component exports no `{}`", path.join("#")))?;
            parent = Some(index);
        }
        let index = parent.ok_or_else(|| anyhow!("empty export path"))?;
        live.instance
            .get_func(&mut live.store, index)
            .ok_or_else(|| {
                anyhow!(
                    "`{}` of the {label} component is not a function",
                    path.join("#")
                )
            })
    }

    /// The parameter types of the function at `path` as the live instance
    /// sees them (its resource types, which pooled resources carry).
    /// The number of results of the function at `path`.
    pub(crate) fn result_count(&mut self, path: &[String]) -> Result<usize> {
        let func = self.func(path)?;
        let live = self.live_mut()?;
        Ok(func.ty(&live.store).results().len())
    }

    pub(crate) fn params(&mut self, path: &[String]) -> Result<Vec<Type>> {
        let func = self.func(path)?;
        let live = self.live_mut()?;
        Ok(func.ty(&live.store).params().map(|(_, ty)| ty).collect())
    }

    /// Argument tuple `case` for the function at `path`, resources taken
    /// from this side's pool (see `Generator::tuple`).
    pub(crate) fn arguments(
        &mut self,
        path: &[String],
        seed: u64,
        case: usize,
        edges: usize,
    ) -> Result<Result<Vec<Val>, Unsupported>> {
        let params = self.params(path)?;
        let live = self.live_mut()?;
        Ok(Generator::with_pool(seed, &mut live.pool).tuple(&params, case, edges))
    }

    /// Resources that entered this side's pool since instantiation.
    pub(crate) fn pooled(&self) -> usize {
        self.live.as_ref().map_or(0, |live| live.pool.len())
    }

    /// Entry `index` of the pool and its state, if there is one.
    pub(crate) fn pool_entry(&self, index: usize) -> Option<(ResourceAny, State)> {
        self.live.as_ref()?.pool.entry(index)
    }

    /// Drops pooled resource `index` from the host, whatever its state
    /// (dropping one twice or after giving it away must fail the same way
    /// on both sides). Destructors may run and print. A failure is the
    /// host's error and leaves the instance live (a destructor's trap
    /// shows in the calls that follow).
    pub(crate) fn drop_pooled(&mut self, index: usize) -> Result<Observation> {
        let fuel = self.fuel;
        let live = self.live_mut()?;
        let (resource, _) = live
            .pool
            .entry(index)
            .ok_or_else(|| anyhow!("no pooled resource {index}"))?;
        live.pool.mark(index, State::Dropped);
        refuel(&mut live.store, fuel)?;
        let outcome = match resource.resource_drop(&mut live.store) {
            Ok(()) => Outcome::Returned(Vec::new()),
            Err(error) => outcome_of_error(error),
        };
        let (stdout, stderr) = live.take_output();
        Ok(Observation {
            outcome,
            stdout,
            stderr,
        })
    }
}

/// Classifies a failed call: an exit, or a trap described by its trap
/// code or, for host errors, by the innermost error (the outer ones only
/// add a wasm backtrace).
pub(crate) fn outcome_of_error(error: wasmtime::Error) -> Outcome {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Outcome::Exited(exit.0);
    }
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return Outcome::Trapped(trap.to_string());
    }
    Outcome::Trapped(error.root_cause().to_string())
}
