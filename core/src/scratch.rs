//! A scratch switch, compiled only with the `scratch-unvalidated` feature,
//! which no shipped build enables: `meld-bench` built with it fuses the
//! `bench` fixture a second time with string validation switched off, to
//! report what validation costs.
//!
//! Switched on, copies of strings between two components of the same
//! encoding (utf8 → utf8, utf16 → utf16) are not validated: such output
//! does not trap on invalid utf8 or a lone surrogate where the original
//! does, so it is for measuring only. Transcoding validates as it decodes
//! (a code point must be decoded to be encoded again), so it is unchanged.

use std::sync::atomic::{AtomicBool, Ordering};

static SKIP: AtomicBool = AtomicBool::new(false);

/// Switches string validation off (`true`) or on again for the fusions
/// that follow, in every thread.
pub fn skip_string_validation(skip: bool) {
    SKIP.store(skip, Ordering::Relaxed);
}

/// Whether same-encoding string copies are validated.
pub(crate) fn validating_strings() -> bool {
    !SKIP.load(Ordering::Relaxed)
}
