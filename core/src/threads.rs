//! The little threading fusion does on a native host: how many cores it
//! has, and two pieces of work side by side. On wasm hosts (meld.wasm, the
//! npm package, the playground) everything runs on one thread, in order.

/// The cores of this host (looked up once: the lookup reads files).
#[cfg(not(target_family = "wasm"))]
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Runs `a` and `b`, on another thread for `b` where the host has several
/// cores, and returns both results.
#[cfg(not(target_family = "wasm"))]
pub(crate) fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if cores() < 2 {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let other = s.spawn(b);
        let a = a();
        match other.join() {
            Ok(b) => (a, b),
            // (a panic in `b` is `b`'s, as on one thread)
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Runs `a`, then `b` (one thread).
#[cfg(target_family = "wasm")]
pub(crate) fn join<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B) -> (A, B) {
    (a(), b())
}
