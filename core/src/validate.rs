//! Validation of function bodies, the input's and meld's output's, in
//! parallel where the host has threads.
//!
//! Every output is validated in full before it is returned; that is not
//! for sale. What can be cheaper is how: the output's structure is
//! validated in one pass, which hands out one validator per function body,
//! and on a native host the bodies (most of the work) are validated on the
//! other cores as that pass reaches them, then on this one too once it is
//! done. On wasm hosts (meld.wasm, the npm package) they are validated one
//! after the other. A failure is a bug in meld, unless fusion left some of
//! the input's bodies to this validation (`Skip`; fusion then validates the
//! input and reports its error first); its message is the one a plain
//! sequential validation gives (the output is validated again that way to
//! find it), so every host reports the same.

use crate::error::{Error, Result};
#[cfg(not(target_family = "wasm"))]
use crate::threads::cores;
use wasmparser::{
    BinaryReaderError, FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser,
    ValidPayload, Validator, ValidatorResources, WasmFeatures,
};

/// One function body and the validator for it.
pub(crate) type Job<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// Validates meld's own output; a failure is a bug in meld, or an input
/// body that fusion did not validate apart (`Skip`) is invalid.
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
fn sequentially(wasm: &[u8]) -> bool {
    let mut jobs = Vec::new();
    structure(wasm, |job| jobs.push(job)) && in_order(jobs, None)
}

#[cfg(target_family = "wasm")]
fn structure_then_bodies(wasm: &[u8]) -> bool {
    sequentially(wasm)
}

/// Validates everything but function bodies while reading, handing the
/// bodies to the other cores as the reading reaches them, then helps with
/// those left; whether all is valid. The fused module comes before most
/// of its wrapper, whose structure this thread reads while the others
/// validate the module's bodies (`values`: 1.0 ms of structure, 1.4 ms
/// of bodies).
#[cfg(not(target_family = "wasm"))]
fn structure_then_bodies(wasm: &[u8]) -> bool {
    if cores() < 2 || wasm.len() < PARALLEL_BYTES {
        return sequentially(wasm);
    }
    let feed = Feed::default();
    std::thread::scope(|s| {
        let others = feed.helpers(s);
        let mut chunk = Chunk::default();
        let read = structure(wasm, |job| {
            if let Some(full) = chunk.add(job) {
                feed.push(full);
            }
        });
        feed.push(chunk.jobs);
        if !read {
            feed.fail();
        }
        feed.close();
        feed.drain_with(others)
    })
}

/// Reads and validates `wasm`, everything but function bodies, giving
/// each body's job to `body`; whether all it read is valid.
fn structure<'a>(wasm: &'a [u8], mut body: impl FnMut(Job<'a>)) -> bool {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else {
            return false;
        };
        match validator.payload(&payload) {
            Ok(ValidPayload::Func(func, job)) => body((func, job)),
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    true
}

/// Validates `jobs` in order on this thread, but those `skip` covers;
/// whether all are valid.
fn in_order(jobs: Vec<Job<'_>>, skip: Option<&Skip>) -> bool {
    let mut allocs = FuncValidatorAllocations::default();
    for (func, body) in jobs {
        if skip.is_some_and(|skip| skip.covers(&body)) {
            continue;
        }
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

/// Validates `jobs` (on every core of a native host).
pub(crate) fn bodies(jobs: Vec<Job<'_>>) -> bool {
    alongside(jobs, &Skip::default(), || ()).0
}

/// Validates `wasm`, a core module of the input, in full (its bodies on
/// every core of a native host); whether it is valid.
pub(crate) fn module(wasm: &[u8]) -> bool {
    structure_then_bodies(wasm)
}

/// Input ranges whose function bodies need no validation of their own,
/// known once fusion has planned: the fused module's validation shows
/// them valid (`merge::implied`).
#[derive(Default)]
pub(crate) struct Skip(std::sync::OnceLock<Vec<std::ops::Range<usize>>>);

impl Skip {
    /// Skips the bodies in `ranges` from now on.
    pub(crate) fn set(&self, mut ranges: Vec<std::ops::Range<usize>>) {
        ranges.sort_by_key(|r| r.start);
        // (set once; a second call changes nothing)
        let _ = self.0.set(ranges);
    }

    /// Whether some bodies are skipped.
    pub(crate) fn any(&self) -> bool {
        self.0.get().is_some_and(|ranges| !ranges.is_empty())
    }

    /// Whether `body` is skipped.
    fn covers(&self, body: &FunctionBody<'_>) -> bool {
        let Some(ranges) = self.0.get() else {
            return false;
        };
        let at = body.range().start;
        let next = ranges.partition_point(|r| r.start <= at);
        next > 0 && ranges[next - 1].contains(&at)
    }
}

/// Validates the input's function bodies `jobs` while `work` runs (the
/// stages of fusion that read no function body, or read them without
/// relying on their validity), on the other cores of a native host; on
/// wasm hosts, after it. Bodies in what `skip` holds once it is set are
/// not validated (those already taken are). Returns whether every body
/// validated is valid, and what `work` returned. `work` may only rely on
/// what the structure's validation showed; its result is used only when
/// every body is valid (an invalid body's error comes first, as in a
/// sequential validation).
#[cfg(target_family = "wasm")]
pub(crate) fn alongside<T>(jobs: Vec<Job<'_>>, skip: &Skip, work: impl FnOnce() -> T) -> (bool, T) {
    let done = work();
    (in_order(jobs, Some(skip)), done)
}

/// Bodies of a module smaller than this are validated on one thread.
#[cfg(not(target_family = "wasm"))]
const PARALLEL_BYTES: usize = 64 * 1024;

/// The total size of `jobs`' bodies.
#[cfg(not(target_family = "wasm"))]
fn size(jobs: &[Job<'_>]) -> usize {
    jobs.iter().map(|(_, b)| b.range().len()).sum()
}

#[cfg(not(target_family = "wasm"))]
pub(crate) fn alongside<'a, T>(
    jobs: Vec<Job<'a>>,
    skip: &'a Skip,
    work: impl FnOnce() -> T,
) -> (bool, T) {
    if cores() < 2 || size(&jobs) < PARALLEL_BYTES {
        let done = work();
        return (in_order(jobs, Some(skip)), done);
    }
    // This thread joins the others once `work` is done.
    let mut feed = Feed::of(jobs);
    feed.skip = Some(skip);
    std::thread::scope(|s| {
        let others = feed.helpers(s);
        let done = work();
        (feed.drain_with(others), done)
    })
}

/// Bodies to validate in chunks of about this many bytes, taken in turn
/// by whichever thread is free (a large body is a chunk of its own).
#[cfg(not(target_family = "wasm"))]
const CHUNK_BYTES: usize = 16 * 1024;

/// Jobs gathered until they make a chunk.
#[cfg(not(target_family = "wasm"))]
#[derive(Default)]
struct Chunk<'a> {
    jobs: Vec<Job<'a>>,
    bytes: usize,
}

#[cfg(not(target_family = "wasm"))]
impl<'a> Chunk<'a> {
    /// Adds `job`; the chunk's jobs once they make a chunk.
    fn add(&mut self, job: Job<'a>) -> Option<Vec<Job<'a>>> {
        self.bytes += job.1.range().len();
        self.jobs.push(job);
        if self.bytes < CHUNK_BYTES {
            return None;
        }
        self.bytes = 0;
        Some(std::mem::take(&mut self.jobs))
    }
}

/// Chunks of function bodies, each taken once by one of the threads that
/// validate them; more may come until the feed is closed.
#[cfg(not(target_family = "wasm"))]
#[derive(Default)]
struct Feed<'a> {
    state: std::sync::Mutex<Fed<'a>>,
    /// Signalled when a chunk comes or the feed closes.
    changed: std::sync::Condvar,
    /// Cleared at the first invalid body: the others stop.
    invalid: std::sync::atomic::AtomicBool,
    /// Bodies not to validate.
    skip: Option<&'a Skip>,
}

#[cfg(not(target_family = "wasm"))]
#[derive(Default)]
struct Fed<'a> {
    chunks: Vec<Vec<Job<'a>>>,
    closed: bool,
}

#[cfg(not(target_family = "wasm"))]
impl<'a> Feed<'a> {
    /// A closed feed of `jobs`.
    fn of(jobs: Vec<Job<'a>>) -> Self {
        let feed = Feed::default();
        let mut chunk = Chunk::default();
        for job in jobs {
            if let Some(full) = chunk.add(job) {
                feed.push(full);
            }
        }
        feed.push(chunk.jobs);
        feed.close();
        feed
    }

    /// Adds a chunk (taken last: the order does not matter).
    fn push(&self, chunk: Vec<Job<'a>>) {
        if chunk.is_empty() {
            return;
        }
        match self.state.lock() {
            Ok(mut state) => state.chunks.push(chunk),
            Err(_) => self.fail(),
        }
        self.changed.notify_one();
    }

    /// No more chunks will come.
    fn close(&self) {
        match self.state.lock() {
            Ok(mut state) => state.closed = true,
            Err(_) => self.fail(),
        }
        self.changed.notify_all();
    }

    /// Something is invalid: every thread stops.
    fn fail(&self) {
        self.invalid
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Starts a thread draining the feed on every core but this one.
    fn helpers<'s>(
        &'s self,
        s: &'s std::thread::Scope<'s, '_>,
    ) -> Vec<std::thread::ScopedJoinHandle<'s, ()>> {
        (1..cores()).map(|_| s.spawn(|| self.drain())).collect()
    }

    /// Drains the (closed) feed on this thread too, then joins `helpers`;
    /// whether every body is valid.
    fn drain_with(&self, helpers: Vec<std::thread::ScopedJoinHandle<'_, ()>>) -> bool {
        self.drain();
        // Every helper is joined (a panicked one counts as a failure; one
        // left unjoined would make the scope panic).
        let joined: Vec<bool> = helpers.into_iter().map(|h| h.join().is_ok()).collect();
        joined.into_iter().all(|ok| ok) && !self.invalid.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The next chunk, waiting for one while the feed is open; `None` once
    /// it is closed and empty, or something is invalid.
    fn next(&self) -> Option<Vec<Job<'a>>> {
        let Ok(mut state) = self.state.lock() else {
            self.fail();
            return None;
        };
        loop {
            if self.invalid.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            if let Some(chunk) = state.chunks.pop() {
                return Some(chunk);
            }
            if state.closed {
                return None;
            }
            state = match self.changed.wait(state) {
                Ok(state) => state,
                Err(_) => {
                    self.fail();
                    return None;
                }
            };
        }
    }

    /// Validates chunks until none is left or one is invalid.
    fn drain(&self) {
        let mut allocs = FuncValidatorAllocations::default();
        while let Some(chunk) = self.next() {
            for (func, body) in chunk {
                if self.skip.is_some_and(|skip| skip.covers(&body)) {
                    continue;
                }
                let mut v = func.into_validator(std::mem::take(&mut allocs));
                if v.validate(&body).is_err() {
                    self.fail();
                    // wake those waiting for a chunk
                    self.changed.notify_all();
                    return;
                }
                allocs = v.into_allocations();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component holding a module of `funcs` small functions (over 64
    /// KiB of bodies), `bad` in the middle of them, and `after` after the
    /// module.
    fn component(bad: &str, after: &str) -> Vec<u8> {
        let mut funcs = String::new();
        for k in 0..6000 {
            if k == 3000 {
                funcs.push_str(bad);
            }
            funcs.push_str(&format!(
                "(func (export \"f{k}\") (result i32) (i32.add (i32.const {k}) (i32.const 1)))\n"
            ));
        }
        let text = format!("(component (core module $m {funcs}) {after})");
        wat::parse_str(text).expect("the WAT parses")
    }

    /// The output check on each: whether it passes, and its error.
    fn check(wasm: &[u8]) -> std::result::Result<(), String> {
        assert!(wasm.len() > 64 * 1024, "{} bytes", wasm.len());
        output(wasm, "test component").map_err(|e| e.to_string())
    }

    #[test]
    fn streamed_bodies_are_validated() {
        let good = component("", "(core instance (instantiate $m))");
        assert_eq!(check(&good), Ok(()));
        // a body that does not type-check, in the middle of the module
        let bad_body = component("(func (result i32) (i64.const 0))", "");
        let error = check(&bad_body).expect_err("an invalid body");
        let expected = first_error(&bad_body).expect("invalid");
        assert!(error.contains(expected.message()), "{error}");
        // a body that does not type-check and, after the module, an
        // export of a module that does not exist: the sequential error
        let both = component(
            "(func (result i32) (i64.const 0))",
            "(export \"m\" (core module 7))",
        );
        let error = check(&both).expect_err("invalid");
        let expected = first_error(&both).expect("invalid");
        assert!(error.contains(expected.message()), "{error}");
        // only the structure after the module
        let late = component("", "(export \"m\" (core module 7))");
        let error = check(&late).expect_err("an invalid export");
        assert!(error.contains("module index out of bounds"), "{error}");
    }
}
