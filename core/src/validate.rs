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
    if cores() < 2 || size(&jobs) < PARALLEL_BYTES {
        let valid = in_order(jobs);
        return (valid, work());
    }
    // This thread joins the others once `work` is done.
    let queue = Queue::new(jobs);
    std::thread::scope(|s| {
        let others = queue.helpers(s);
        let done = work();
        (queue.drain_with(others), done)
    })
}

/// Validates `jobs` on every core of the host.
#[cfg(not(target_family = "wasm"))]
pub(crate) fn bodies(jobs: Vec<Job<'_>>) -> bool {
    if cores() < 2 || size(&jobs) < PARALLEL_BYTES {
        return in_order(jobs);
    }
    let queue = Queue::new(jobs);
    std::thread::scope(|s| {
        let others = queue.helpers(s);
        queue.drain_with(others)
    })
}

/// Bodies to validate in chunks of about this many bytes, taken in turn
/// by whichever thread is free (a large body is a chunk of its own).
#[cfg(not(target_family = "wasm"))]
const CHUNK_BYTES: usize = 16 * 1024;

/// Function bodies in chunks, each taken once by one of the threads that
/// validate them.
#[cfg(not(target_family = "wasm"))]
struct Queue<'a> {
    chunks: Vec<std::sync::Mutex<Vec<Job<'a>>>>,
    next: std::sync::atomic::AtomicUsize,
    /// Cleared at the first invalid body: the others stop.
    valid: std::sync::atomic::AtomicBool,
}

#[cfg(not(target_family = "wasm"))]
impl<'a> Queue<'a> {
    fn new(jobs: Vec<Job<'a>>) -> Self {
        let mut chunks = Vec::new();
        let (mut chunk, mut bytes) = (Vec::new(), 0);
        for job in jobs {
            bytes += job.1.range().len();
            chunk.push(job);
            if bytes >= CHUNK_BYTES {
                chunks.push(std::sync::Mutex::new(std::mem::take(&mut chunk)));
                bytes = 0;
            }
        }
        chunks.push(std::sync::Mutex::new(chunk));
        Queue {
            chunks,
            next: Default::default(),
            valid: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Starts a thread draining the queue on every core but this one.
    fn helpers<'s>(
        &'s self,
        s: &'s std::thread::Scope<'s, '_>,
    ) -> Vec<std::thread::ScopedJoinHandle<'s, ()>> {
        (1..cores()).map(|_| s.spawn(|| self.drain())).collect()
    }

    /// Drains the queue on this thread too, then joins `helpers`; whether
    /// every body is valid.
    fn drain_with(&self, helpers: Vec<std::thread::ScopedJoinHandle<'_, ()>>) -> bool {
        self.drain();
        // Every helper is joined (a panicked one counts as a failure; one
        // left unjoined would make the scope panic).
        let joined: Vec<bool> = helpers.into_iter().map(|h| h.join().is_ok()).collect();
        joined.into_iter().all(|ok| ok) && self.valid.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Validates chunks until none is left or one is invalid.
    fn drain(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let mut allocs = FuncValidatorAllocations::default();
        while self.valid.load(Relaxed) {
            let Some(chunk) = self.chunks.get(self.next.fetch_add(1, Relaxed)) else {
                return;
            };
            let Ok(mut chunk) = chunk.lock() else {
                self.valid.store(false, Relaxed);
                return;
            };
            for (func, body) in std::mem::take(&mut *chunk) {
                let mut v = func.into_validator(std::mem::take(&mut allocs));
                if v.validate(&body).is_err() {
                    self.valid.store(false, Relaxed);
                    return;
                }
                allocs = v.into_allocations();
            }
        }
    }
}
