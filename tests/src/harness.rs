//! The differential harness: runs an original component and its fused
//! counterpart side by side under wasmtime and compares what they do.
//!
//! [`compare`] checks, in order:
//!
//! 1. **the world** — imports and exports with their types must be the
//!    same, structurally and (by default) as printed WIT (see `world`);
//! 2. **instantiation** — both succeed, or the fused one's failure is a
//!    mismatch; output written by start functions must match;
//! 3. **every exported function** (root-level or inside exported
//!    instances), called with generated arguments of its WIT type (edge
//!    cases first, then seeded pseudo-random values; see `generate`) —
//!    results, traps and stdout/stderr must match call by call;
//! 4. **a command's `wasi:cli/run`**, called once on fresh instances.
//!
//! Each side has one instance and both receive the same calls in the same
//! order, so state carried between calls is compared too. A trap (or a
//! `wasi:cli/exit`) poisons an instance: after one on either side both
//! sides are instantiated afresh before the next call. Whether a call
//! trapped must match; trap messages are shown but not compared.
//!
//! Results are compared with `value::same`: exact, floats by bits, any
//! NaN equal to any NaN, resources by ownership.
//!
//! **Resources** the calls return stay with each side's host in a pool
//! (see `pool`); both sides' pools grow in step. After every
//! instantiation the harness calls each exported constructor
//! [`FILL_CALLS`] times to fill them. Functions with `own` or `borrow`
//! parameters get their resources from the pool, tuple by tuple (an
//! `own` parameter uses its entry up); calls the pool cannot supply are
//! not made, and a function never called for that reason is listed as
//! skipped, like functions taking futures or streams. After all
//! functions, the host drops every resource it still holds (`(host
//! drop)`), one of them again (`(host drop twice)`), one it gave away as
//! `own` (`(host drop given away)`), and calls a method through a dropped
//! one (`(use after host drop)`): outcomes and output, destructors'
//! included, must match. When a pool cannot supply a tuple, the
//! constructors are called again first.

pub(crate) mod clock;
pub(crate) mod concurrency;
mod generate;
mod link;
mod pool;
mod report;
mod runtime;
mod value;
mod world;

pub(crate) use generate::Rng;
pub use report::{Aspect, Coverage, Mismatch, Report, Skipped};
pub use runtime::{engine, instantiates, optimise_engine};
pub use world::wit_text;

use anyhow::{Result, bail};
use generate::{Generator, edges, has_resource, seed_for};
use pool::State;
use runtime::{Observation, Outcome, Side};
use std::collections::HashMap;
use wasmtime::component::Type;
use wasmtime::component::Val;
use world::ExportedFunc;

/// How thoroughly to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareOptions {
    /// Calls per function that takes parameters (raised if its types have
    /// more edge cases than this).
    pub calls_per_function: usize,
    /// Calls per function without parameters (repeated to expose state).
    pub calls_without_params: usize,
    /// Seed of the argument generator.
    pub seed: u64,
    /// Fuel per call and per instantiation; running out is a trap.
    pub fuel: u64,
    /// Also compare the worlds as WIT text (type names, interface order),
    /// not only structurally.
    pub compare_wit: bool,
    /// Mismatches kept per function; more are counted, not kept.
    pub mismatches_per_function: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            calls_per_function: 48,
            calls_without_params: 2,
            seed: 0x6d65_6c64,
            fuel: 500_000_000,
            compare_wit: true,
            mismatches_per_function: 5,
        }
    }
}

/// Compares the behaviour of `fused` with that of `original` (both
/// components, as bytes). Errors mean the comparison could not run — the
/// original does not compile or instantiate, or the fused output does not
/// compile — never that the two differ; differences are in the report.
pub fn compare(original: &[u8], fused: &[u8], options: &CompareOptions) -> Result<Report> {
    let engine = engine()?;
    let mut original_side = Side::new("original", original, options.fuel)?;
    let mut fused_side = Side::new("fused", fused, options.fuel)?;
    // Both sides are called the same way, through `run_concurrent` if
    // either uses the async ABI.
    if original_side.is_concurrent() || fused_side.is_concurrent() {
        original_side.make_concurrent();
        fused_side.make_concurrent();
    }
    let report = Report {
        world: world::compare(
            engine,
            (original, original_side.component()),
            (fused, fused_side.component()),
            options.compare_wit,
        )?,
        stubbed_imports: original_side.stubbed().to_vec(),
        ..Report::default()
    };
    let functions = world::exported_funcs(engine, original_side.component());
    let fused_functions = world::exported_funcs(engine, fused_side.component());
    let constructors = functions
        .iter()
        .filter(|func| is_constructor(func) && fused_functions.iter().any(|f| f.path == func.path))
        .cloned()
        .collect();
    let mut session = Session {
        original: original_side,
        fused: fused_side,
        options,
        report,
        kept: HashMap::new(),
        constructors,
    };
    session.run(&functions, &fused_functions)?;
    Ok(session.report)
}

/// Both sides and the report being written.
struct Session<'a> {
    original: Side,
    fused: Side,
    options: &'a CompareOptions,
    report: Report,
    /// Mismatches kept so far, per function.
    kept: HashMap<String, usize>,
    /// Exported constructors without resource parameters, called after
    /// every instantiation to fill the pools.
    constructors: Vec<ExportedFunc>,
}

/// Calls of each constructor after an instantiation.
pub const FILL_CALLS: usize = 3;

/// The pseudo-functions of host-side drops.
const HOST_DROP: &str = "(host drop)";
const HOST_DROP_TWICE: &str = "(host drop twice)";
const HOST_DROP_GIVEN: &str = "(host drop given away)";
const USE_AFTER_HOST_DROP: &str = "(use after host drop)";

/// Whether `func` is a resource constructor the pools can be filled with.
fn is_constructor(func: &ExportedFunc) -> bool {
    func.path
        .last()
        .is_some_and(|name| name.starts_with("[constructor]"))
        && !func.ty.params().any(|(_, ty)| has_resource(&ty))
}

/// Whether any parameter of `func` is or holds a resource handle.
fn takes_resources(func: &ExportedFunc) -> bool {
    func.ty.params().any(|(_, ty)| has_resource(&ty))
}

/// The pseudo-function name of instantiation mismatches.
const INSTANTIATION: &str = "(instantiation)";

impl Session<'_> {
    /// Instantiates both sides, then calls every function of `functions`
    /// (the original's exports) that `fused_functions` also has, the
    /// command's `run` last. Stops early if the fused side cannot be
    /// instantiated.
    fn run(&mut self, functions: &[ExportedFunc], fused_functions: &[ExportedFunc]) -> Result<()> {
        if !self.instantiate()? {
            return Ok(());
        }
        let (runs, functions): (Vec<_>, Vec<_>) =
            functions.iter().partition(|func| func.is_command_run());
        for &func in &functions {
            if !self.has_counterpart(func, fused_functions) {
                continue;
            }
            if takes_resources(func) {
                if !self.call_with_pool(func)? {
                    return Ok(());
                }
                continue;
            }
            let Some(tuples) = self.arguments(func) else {
                continue;
            };
            for args in &tuples {
                if !self.call(func, args)? {
                    return Ok(());
                }
            }
        }
        if !self.host_drops(&functions)? {
            return Ok(());
        }
        for run in runs {
            if self.has_counterpart(run, fused_functions) {
                // A command runs once, on instances nothing else has touched.
                if !self.instantiate()? || !self.call(run, &[])? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The argument tuples to call `func` with, or `None` (and a skip
    /// note) if the harness cannot generate its parameters.
    fn arguments(&mut self, func: &ExportedFunc) -> Option<Vec<Vec<Val>>> {
        let params: Vec<_> = func.ty.params().map(|(_, ty)| ty).collect();
        if params.is_empty() {
            return Some(vec![Vec::new(); self.options.calls_without_params]);
        }
        let seed = seed_for(self.options.seed, &func.name());
        match Generator::new(seed).arguments(&params, self.options.calls_per_function) {
            Ok(tuples) => Some(tuples),
            Err(unsupported) => {
                self.report.skipped.push(Skipped {
                    function: func.name(),
                    reason: unsupported.0,
                });
                None
            }
        }
    }

    /// Instantiates both sides afresh and compares what instantiation did.
    /// False if the fused side could not be instantiated (nothing more can
    /// be compared).
    fn instantiate(&mut self) -> Result<bool> {
        let original = self.original.instantiate()?;
        if !self.original.is_live() {
            bail!(
                "the original component cannot be instantiated, so there is nothing to \
                 compare against: {}",
                describe(&original)
            );
        }
        let fused = self.fused.instantiate()?;
        self.record(INSTANTIATION, "", &original, &fused);
        if !self.fused.is_live() {
            return Ok(false);
        }
        self.fill_pools()?;
        Ok(true)
    }

    /// Calls every constructor [`FILL_CALLS`] times on both sides; stops
    /// at the first trap (the next call instantiates afresh).
    fn fill_pools(&mut self) -> Result<()> {
        for func in self.constructors.clone() {
            let params: Vec<_> = func.ty.params().map(|(_, ty)| ty).collect();
            let seed = seed_for(self.options.seed, &format!("fill {}", func.name()));
            let Ok(tuples) = Generator::new(seed).arguments(&params, FILL_CALLS) else {
                continue;
            };
            for args in tuples.iter().take(FILL_CALLS) {
                if !self.original.is_live() || !self.fused.is_live() {
                    return Ok(());
                }
                self.call_pair(&func, args, args)?;
            }
        }
        Ok(())
    }

    /// Brings both sides back after a trap. False if the fused side could
    /// not be instantiated.
    fn ensure_live(&mut self) -> Result<bool> {
        if self.original.is_live() && self.fused.is_live() {
            return Ok(true);
        }
        self.report.reinstantiations += 1;
        self.instantiate()
    }

    /// Calls `func`, which takes resources, with tuples generated per side
    /// from each side's pool. False if the sides could not be brought back
    /// after a trap.
    fn call_with_pool(&mut self, func: &ExportedFunc) -> Result<bool> {
        let name = func.name();
        let params: Vec<Type> = func.ty.params().map(|(_, ty)| ty).collect();
        let edges = edges(&params);
        let mut made = 0;
        let mut unsupplied = None;
        for case in 0..self.options.calls_per_function.max(edges) {
            if !self.ensure_live()? {
                return Ok(false);
            }
            let seed = seed_for(self.options.seed, &format!("{name} {case}"));
            let mut original = self.original.arguments(&func.path, seed, case, edges)?;
            let mut fused = self.fused.arguments(&func.path, seed, case, edges)?;
            if original.is_err() && fused.is_err() {
                // Earlier `own` parameters may have used the pool up.
                self.fill_pools()?;
                if !self.ensure_live()? {
                    return Ok(false);
                }
                original = self.original.arguments(&func.path, seed, case, edges)?;
                fused = self.fused.arguments(&func.path, seed, case, edges)?;
            }
            match (original, fused) {
                (Ok(original), Ok(fused)) => {
                    made += 1;
                    self.call_pair(func, &original, &fused)?;
                }
                (Err(original), Err(_)) => unsupplied = Some(original.0),
                (original, fused) => {
                    let supplied = |r: &Result<_, _>| match r {
                        Ok(_) => "resources supplied from the pool".to_string(),
                        Err(generate::Unsupported(why)) => why.clone(),
                    };
                    self.keep(Mismatch {
                        function: name.clone(),
                        args: String::new(),
                        aspects: vec![Aspect::Outcome],
                        original: supplied(&original),
                        fused: supplied(&fused),
                    });
                }
            }
        }
        if made == 0 {
            self.report.skipped.push(Skipped {
                function: name,
                reason: unsupplied.unwrap_or_else(|| "no call could be made".into()),
            });
        }
        Ok(true)
    }

    /// The host drops every resource it holds, then one of them again and
    /// one it gave away, then calls a method through a dropped one. False
    /// if the fused side could not be instantiated afresh.
    fn host_drops(&mut self, functions: &[&ExportedFunc]) -> Result<bool> {
        if !self.ensure_live()? {
            return Ok(false);
        }
        let count = self.original.pooled();
        if self.fused.pooled() != count {
            self.keep(Mismatch {
                function: HOST_DROP.to_string(),
                args: String::new(),
                aspects: vec![Aspect::Outcome],
                original: format!("{count} resources received"),
                fused: format!("{} resources received", self.fused.pooled()),
            });
            return Ok(true);
        }
        let state = |side: &Side, index| side.pool_entry(index).map(|(_, state)| state);
        let held: Vec<usize> = (0..count)
            .filter(|&i| state(&self.original, i) == Some(State::Held))
            .collect();
        for &index in &held {
            self.drop_pair(HOST_DROP, index)?;
        }
        if let Some(&last) = held.last() {
            self.drop_pair(HOST_DROP_TWICE, last)?;
        }
        if let Some(given) = (0..count).find(|&i| state(&self.original, i) == Some(State::Given)) {
            self.drop_pair(HOST_DROP_GIVEN, given)?;
        }
        if let Some(&last) = held.last() {
            self.use_after_drop(functions, last)?;
        }
        Ok(true)
    }

    /// Calls a method taking only a borrow of dropped pool entry `index`'s
    /// type with that entry, if the component exports one.
    fn use_after_drop(&mut self, functions: &[&ExportedFunc], index: usize) -> Result<()> {
        let (Some((original, _)), Some((fused, _))) = (
            self.original.pool_entry(index),
            self.fused.pool_entry(index),
        ) else {
            return Ok(());
        };
        for method in functions {
            let name = method.path.last().map_or("", String::as_str);
            if !name.starts_with("[method]") || method.ty.params().len() != 1 {
                continue;
            }
            // Its parameter type as the live original instance sees it
            // must be the dropped resource's.
            let params = self.original.params(&method.path)?;
            if !matches!(params.as_slice(), [Type::Borrow(ty)] if *ty == original.ty()) {
                continue;
            }
            let name = format!("{USE_AFTER_HOST_DROP} {}", method.name());
            let results = method.ty.results().len();
            let original = self
                .original
                .call(&method.path, &[Val::Resource(original)], results)?;
            let fused = self
                .fused
                .call(&method.path, &[Val::Resource(fused)], results)?;
            let trapped = !matches!(original.outcome, Outcome::Returned(_));
            self.report.count_call(&name, trapped);
            self.record(&name, &format!("resource #{index}"), &original, &fused);
            return Ok(());
        }
        Ok(())
    }

    /// Drops pool entry `index` on both sides and compares.
    fn drop_pair(&mut self, name: &str, index: usize) -> Result<()> {
        let original = self.original.drop_pooled(index)?;
        let fused = self.fused.drop_pooled(index)?;
        let trapped = !matches!(original.outcome, Outcome::Returned(_));
        self.report.count_call(name, trapped);
        self.record(name, &format!("resource #{index}"), &original, &fused);
        Ok(())
    }

    /// Whether the fused component exports `func` with the same type;
    /// records a mismatch if not.
    fn has_counterpart(&mut self, func: &ExportedFunc, fused: &[ExportedFunc]) -> bool {
        let name = func.name();
        let (aspect, fused_text) = match fused.iter().find(|f| f.path == func.path) {
            None => (Aspect::Missing, "not exported".to_string()),
            Some(counterpart) if world::signature(counterpart) != world::signature(func) => {
                (Aspect::Signature, world::signature(counterpart))
            }
            Some(_) => return true,
        };
        self.keep(Mismatch {
            function: name,
            args: String::new(),
            aspects: vec![aspect],
            original: world::signature(func),
            fused: fused_text,
        });
        false
    }

    /// Calls `func` on both sides and compares. False if the sides could
    /// not be brought back after a trap.
    fn call(&mut self, func: &ExportedFunc, args: &[Val]) -> Result<bool> {
        if !self.ensure_live()? {
            return Ok(false);
        }
        self.call_pair(func, args, args)?;
        Ok(true)
    }

    /// Calls `func` on both live sides, each with its own arguments (the
    /// same but for resources), and compares.
    fn call_pair(&mut self, func: &ExportedFunc, original: &[Val], fused: &[Val]) -> Result<()> {
        let results = func.ty.results().len();
        let args = value::render_all(original);
        let original = self.original.call(&func.path, original, results)?;
        let fused = self.fused.call(&func.path, fused, results)?;

        let name = func.name();
        let trapped = !matches!(original.outcome, Outcome::Returned(_));
        self.report.count_call(&name, trapped);
        self.record(&name, &args, &original, &fused);
        Ok(())
    }

    /// Compares two observations of the same event; keeps a mismatch if
    /// they differ.
    fn record(&mut self, function: &str, args: &str, original: &Observation, fused: &Observation) {
        let aspects = differences(original, fused);
        if aspects.is_empty() {
            return;
        }
        self.keep(Mismatch {
            function: function.to_string(),
            args: args.to_string(),
            aspects,
            original: describe(original),
            fused: describe(fused),
        });
    }

    fn keep(&mut self, mismatch: Mismatch) {
        self.report.mismatch_count += 1;
        let kept = self.kept.entry(mismatch.function.clone()).or_default();
        if *kept < self.options.mismatches_per_function {
            *kept += 1;
            self.report.mismatches.push(mismatch);
        }
    }
}

/// What differs between two observations of the same call.
fn differences(original: &Observation, fused: &Observation) -> Vec<Aspect> {
    let same_outcome = match (&original.outcome, &fused.outcome) {
        (Outcome::Returned(a), Outcome::Returned(b)) => value::all_same(a, b),
        (Outcome::Trapped(_), Outcome::Trapped(_)) => true,
        (Outcome::Exited(a), Outcome::Exited(b)) => a == b,
        _ => false,
    };
    let mut aspects = Vec::new();
    if !same_outcome {
        aspects.push(Aspect::Outcome);
    }
    if original.stdout != fused.stdout {
        aspects.push(Aspect::Stdout);
    }
    if original.stderr != fused.stderr {
        aspects.push(Aspect::Stderr);
    }
    aspects
}

/// An observation in one line: outcome, then any output.
fn describe(observation: &Observation) -> String {
    let mut text = match &observation.outcome {
        Outcome::Returned(values) => format!("returned ({})", value::render_all(values)),
        Outcome::Trapped(message) => format!("trapped: {message}"),
        Outcome::Exited(code) => format!("exit({code})"),
    };
    if !observation.stdout.is_empty() {
        text.push_str(&format!(
            "; stdout {}",
            value::render_bytes(&observation.stdout)
        ));
    }
    if !observation.stderr.is_empty() {
        text.push_str(&format!(
            "; stderr {}",
            value::render_bytes(&observation.stderr)
        ));
    }
    text
}

/// Runs `calls` (an export path such as `first#make`, and its arguments)
/// in order on one instance of `wasm`, instantiating afresh after a trap,
/// and returns what each did: `[1]` for results, `trap` or `exit N`, with
/// any output appended.
pub fn run_script(wasm: &[u8], calls: &[(&str, Vec<Val>)]) -> Result<Vec<String>> {
    script(wasm, calls, false)
}

/// [`run_script`], but a trap is `trap: <message>` (wasmtime's trap code,
/// or the innermost error of a failed host call): for pinning which trap
/// an original component hits. Trap messages of fused output may
/// legitimately differ, so comparisons use [`run_script`].
pub fn run_script_with_traps(wasm: &[u8], calls: &[(&str, Vec<Val>)]) -> Result<Vec<String>> {
    script(wasm, calls, true)
}

fn script(wasm: &[u8], calls: &[(&str, Vec<Val>)], trap_messages: bool) -> Result<Vec<String>> {
    let mut side = Side::new("scripted", wasm, CompareOptions::default().fuel)?;
    let mut outcomes = Vec::new();
    for (path, args) in calls {
        if !side.is_live() {
            let observation = side.instantiate()?;
            if !matches!(observation.outcome, Outcome::Returned(_)) {
                bail!("instantiation failed: {:?}", observation.outcome);
            }
        }
        let path: Vec<String> = path.split('#').map(str::to_string).collect();
        let results = side.result_count(&path)?;
        let observation = side.call(&path, args, results)?;
        let mut line = match observation.outcome {
            Outcome::Returned(values) => format!("[{}]", value::render_all(&values)),
            Outcome::Trapped(message) if trap_messages => format!("trap: {message}"),
            Outcome::Trapped(_) => "trap".to_string(),
            Outcome::Exited(code) => format!("exit {code}"),
        };
        for (name, bytes) in [
            ("stdout", &observation.stdout),
            ("stderr", &observation.stderr),
        ] {
            if !bytes.is_empty() {
                line.push_str(&format!(" {name} {:?}", String::from_utf8_lossy(bytes)));
            }
        }
        outcomes.push(line);
    }
    Ok(outcomes)
}

/// One instance of a component under the harness's engine (fuel on; an
/// export of a component that uses the async ABI is called through
/// `call_concurrent`), for callers that time calls (meld-bench).
pub struct Instance {
    side: Side,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").finish_non_exhaustive()
    }
}

impl Instance {
    pub fn new(wasm: &[u8]) -> Result<Self> {
        let mut side = Side::new("instance", wasm, CompareOptions::default().fuel)?;
        let observation = side.instantiate()?;
        if !matches!(observation.outcome, Outcome::Returned(_)) {
            bail!("instantiation failed: {:?}", observation.outcome);
        }
        Ok(Self { side })
    }

    /// Calls export `path` (`interface#function`) with `args`; its results
    /// rendered, or an error if it trapped or exited.
    pub fn call(&mut self, path: &str, args: &[Val]) -> Result<String> {
        let path: Vec<String> = path.split('#').map(str::to_string).collect();
        let results = self.side.result_count(&path)?;
        match self.side.call(&path, args, results)?.outcome {
            Outcome::Returned(values) => Ok(format!("[{}]", value::render_all(&values))),
            other => bail!("`{}` did not return: {other:?}", path.join("#")),
        }
    }
}

/// Makes all `calls` at once on a fresh instance of `wasm`, as an async
/// host does (one `run_concurrent` event loop; the calls are started in
/// order), and returns what each did, in call order — `[results]`,
/// `trap` or `pending` (it had not returned when no task could make
/// progress any more) — then `finished i, j, …`, the order in which the
/// calls returned or trapped, with any output appended to that line.
pub fn run_together(wasm: &[u8], calls: &[(&str, Vec<Val>)]) -> Result<Vec<String>> {
    together(wasm, &[], calls, false)
}

/// [`run_together`], with trap messages as in [`run_script_with_traps`].
pub fn run_together_with_traps(wasm: &[u8], calls: &[(&str, Vec<Val>)]) -> Result<Vec<String>> {
    together(wasm, &[], calls, true)
}

/// [`run_together_with_traps`] after the calls `first`, made one after
/// the other (their own results are not returned). The resources they
/// return are the host's, and a call made at once that is given fewer
/// arguments than its function takes gets the rest from them (an `own`
/// parameter the oldest held one of its type, a `borrow` the newest).
pub fn run_together_after(
    wasm: &[u8],
    first: &[(&str, Vec<Val>)],
    calls: &[(&str, Vec<Val>)],
) -> Result<Vec<String>> {
    together(wasm, first, calls, true)
}

fn together(
    wasm: &[u8],
    first: &[(&str, Vec<Val>)],
    calls: &[(&str, Vec<Val>)],
    trap_messages: bool,
) -> Result<Vec<String>> {
    let mut side = Side::new("together", wasm, CompareOptions::default().fuel)?;
    let observation = side.instantiate()?;
    if !matches!(observation.outcome, Outcome::Returned(_)) {
        bail!("instantiation failed: {:?}", observation.outcome);
    }
    for (path, args) in first {
        let path: Vec<String> = path.split('#').map(str::to_string).collect();
        let results = side.result_count(&path)?;
        let outcome = side.call(&path, args, results)?.outcome;
        if !matches!(outcome, Outcome::Returned(_)) {
            bail!("`{}` did not return: {outcome:?}", path.join("#"));
        }
    }
    let calls: Vec<(Vec<String>, Vec<Val>)> = calls
        .iter()
        .map(|(path, args)| (path.split('#').map(str::to_string).collect(), args.clone()))
        .collect();
    let observation = side.call_together(&calls)?;
    let mut lines: Vec<String> = observation
        .outcomes
        .iter()
        .map(|outcome| match outcome {
            Some(Outcome::Returned(values)) => format!("[{}]", value::render_all(values)),
            Some(Outcome::Trapped(message)) if trap_messages => format!("trap: {message}"),
            Some(Outcome::Trapped(_)) => "trap".to_string(),
            Some(Outcome::Exited(code)) => format!("exit {code}"),
            None => "pending".to_string(),
        })
        .collect();
    let finished: Vec<String> = observation.finished.iter().map(usize::to_string).collect();
    let mut last = format!("finished {}", finished.join(", "));
    for (name, bytes) in [
        ("stdout", &observation.stdout),
        ("stderr", &observation.stderr),
    ] {
        if !bytes.is_empty() {
            last.push_str(&format!(" {name} {:?}", String::from_utf8_lossy(bytes)));
        }
    }
    lines.push(last);
    Ok(lines)
}

/// [`run_together`] on `original` and on `fused`, like [`same_script`]:
/// prints both, fails unless they did the same, returns the original's.
pub fn same_together(original: &[u8], fused: &[u8], calls: &[(&str, Vec<Val>)]) -> Vec<String> {
    let expected = run_together(original, calls).expect("the original runs");
    let got = run_together(fused, calls).expect("the fused output runs");
    for (want, have) in expected.iter().zip(&got) {
        println!("   {want:<40} {have}");
    }
    assert_eq!(expected, got, "calls made at once differ");
    expected
}

/// Runs `calls` on `original` and on `fused` (see [`run_script`]), prints
/// them side by side, fails unless both did the same, and returns what the
/// original did (for the caller to pin).
pub fn same_script(original: &[u8], fused: &[u8], calls: &[(&str, Vec<Val>)]) -> Vec<String> {
    let expected = run_script(original, calls).expect("the original runs");
    let got = run_script(fused, calls).expect("the fused output runs");
    for (i, ((call, _), (want, have))) in calls.iter().zip(expected.iter().zip(&got)).enumerate() {
        println!("{i:2} {call:<20} {want:<24} {have}");
    }
    assert_eq!(expected, got, "scripted calls differ");
    expected
}
