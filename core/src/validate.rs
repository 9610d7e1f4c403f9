//! Validation of meld's output, with function bodies validated in
//! parallel where the host has threads.
//!
//! Every output is validated in full before it is returned; that is not
//! for sale. What can be cheaper is how: the module's structure is
//! validated in one pass, which hands out one validator per function body,
//! and the bodies (most of the work) are then validated on every core of a
//! native host. On wasm hosts (meld.wasm, the npm package) they are
//! validated one after the other. A failure is a bug in meld; its message
//! is the one a plain sequential validation gives (the input is validated
//! again that way to find it), so every host reports the same.

use crate::error::{Error, Result};
use wasmparser::{
    BinaryReaderError, FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser,
    ValidPayload, Validator, ValidatorResources, WasmFeatures,
};

/// One function body and the validator for it.
pub(crate) type Job<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// Validates meld's own output; a failure is a bug in meld.
pub(crate) fn output(wasm: &[u8], what: &str) -> Result<()> {
    if structure_then_bodies(wasm) {
        return Ok(());
    }
    let Some(e) = first_error(wasm) else {
        return Err(Error::internal(format!(
            "validating the {what} meld produced in parallel failed where a sequential \
             validation does not; this is a bug in meld"
        )));
    };
    Err(Error::internal(format!(
        "the {what} meld produced does not validate ({} at offset {:#x}); \
         this is a bug in meld, please report it with the input",
        e.message(),
        e.offset()
    )))
}

/// Validates everything but function bodies while reading, then the
/// bodies; whether all is valid.
fn structure_then_bodies(wasm: &[u8]) -> bool {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut jobs = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else {
            return false;
        };
        match validator.payload(&payload) {
            Ok(ValidPayload::Func(func, body)) => jobs.push((func, body)),
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    bodies(jobs)
}

/// Validates `jobs` in order on this thread; whether all are valid.
fn in_order(jobs: Vec<Job<'_>>) -> bool {
    let mut allocs = FuncValidatorAllocations::default();
    for (func, body) in jobs {
        let mut v = func.into_validator(std::mem::take(&mut allocs));
        if v.validate(&body).is_err() {
            return false;
        }
        allocs = v.into_allocations();
    }
    true
}

/// The error a sequential validation of `wasm` gives, if any.
pub(crate) fn first_error(wasm: &[u8]) -> Option<BinaryReaderError> {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(wasm)
        .err()
}

#[cfg(target_family = "wasm")]
pub(crate) fn bodies(jobs: Vec<Job<'_>>) -> bool {
    in_order(jobs)
}

/// Validates the input's function bodies `jobs` while `work` runs (the
/// stages of fusion that read no function body), on the other cores of a
/// native host; on wasm hosts, before it. Returns whether every body is
/// valid, and what `work` returned. `work` may only rely on what the
/// structure's validation showed; its result is used only when every body
/// is valid (an invalid body's error comes first, as in a sequential
/// validation).
#[cfg(target_family = "wasm")]
pub(crate) fn alongside<T>(jobs: Vec<Job<'_>>, work: impl FnOnce() -> T) -> (bool, T) {
    let valid = in_order(jobs);
    (valid, work())
}

/// Bodies of a module smaller than this are validated on one thread.
#[cfg(not(target_family = "wasm"))]
const PARALLEL_BYTES: usize = 64 * 1024;

/// The cores of this host (looked up once: the lookup reads files).
#[cfg(not(target_family = "wasm"))]
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The total size of `jobs`' bodies.
#[cfg(not(target_family = "wasm"))]
fn size(jobs: &[Job<'_>]) -> usize {
    jobs.iter().map(|(_, b)| b.range().len()).sum()
}

#[cfg(not(target_family = "wasm"))]
pub(crate) fn alongside<T>(jobs: Vec<Job<'_>>, work: impl FnOnce() -> T) -> (bool, T) {
    let threads = cores();
    if threads < 2 || size(&jobs) < PARALLEL_BYTES {
        let valid = in_order(jobs);
        return (valid, work());
    }
    std::thread::scope(|s| {
        let worker = s.spawn(move || on_threads(jobs, threads - 1));
        let done = work();
        // (a panicked worker counts as a failure)
        (worker.join().unwrap_or(false), done)
    })
}

/// Validates `jobs` on as many threads as the host has cores, each taking
/// a contiguous share of about equal size.
#[cfg(not(target_family = "wasm"))]
pub(crate) fn bodies(jobs: Vec<Job<'_>>) -> bool {
    if size(&jobs) < PARALLEL_BYTES {
        return in_order(jobs);
    }
    on_threads(jobs, cores())
}

/// Validates `jobs` on `threads` threads, each taking a contiguous share
/// of about equal size.
#[cfg(not(target_family = "wasm"))]
fn on_threads(jobs: Vec<Job<'_>>, threads: usize) -> bool {
    let total = size(&jobs);
    if threads < 2 {
        return in_order(jobs);
    }
    let share = total.div_ceil(threads);
    // `threads - 1` shares for new threads, the rest in `current`
    let mut shares: Vec<Vec<Job<'_>>> = Vec::with_capacity(threads);
    let mut current = Vec::new();
    let mut size = 0;
    for job in jobs {
        size += job.1.range().len();
        current.push(job);
        if size >= share && shares.len() + 1 < threads {
            shares.push(std::mem::take(&mut current));
            size = 0;
        }
    }
    // the last share on this thread
    std::thread::scope(|s| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| s.spawn(move || in_order(share)))
            .collect();
        let here = in_order(current);
        // Every worker is joined (a panicked one counts as a failure)
        // before the results are looked at.
        let results: Vec<bool> = workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or(false))
            .collect();
        here && results.into_iter().all(|ok| ok)
    })
}
