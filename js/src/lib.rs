//! meld-js: the wasm-bindgen surface of meld-core for the `meld-fuse` npm
//! package.
//!
//! The exports are deliberately low-level; `lib/meld.js` wraps them into the
//! package's API. Inputs arrive as one byte buffer plus the length of each
//! input; options as `(name, value)` string pairs; results and errors leave
//! as JSON text (errors are thrown as that text) that the wrapper parses into
//! plain objects and `MeldError`s. The shapes are defined in `convert.rs`.
//!
//! A panic aborts the wasm call with a trap. The panic hook keeps the
//! message so that the wrapper can report it (via [`take_panic_message`])
//! as an `internal` error before it re-instantiates the module.

mod convert;

use std::sync::Mutex;

use meld_core::Error;
use wasm_bindgen::prelude::wasm_bindgen;

/// The result of [`fuse`]: the output bytes and `{ stats, warnings }`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct FuseOutput {
    wasm: Vec<u8>,
    meta: String,
}

#[wasm_bindgen]
impl FuseOutput {
    /// The fused bytes (moved out: a second call returns an empty array).
    #[wasm_bindgen(js_name = takeWasm)]
    pub fn take_wasm(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.wasm)
    }

    /// `{ stats, warnings }` as JSON text.
    #[wasm_bindgen(getter)]
    pub fn meta(&self) -> String {
        self.meta.clone()
    }
}

/// Fuses the inputs concatenated in `bytes` (`lengths[i]` bytes each) with
/// the options given as parallel `names`/`values`. Errors are thrown as the
/// JSON text of the error.
#[wasm_bindgen]
pub fn fuse(
    bytes: &[u8],
    lengths: &[u32],
    names: Vec<String>,
    values: Vec<String>,
) -> Result<FuseOutput, String> {
    let inputs = split(bytes, lengths).map_err(|e| error_text(&e))?;
    let pairs: Vec<(String, String)> = names.into_iter().zip(values).collect();
    let options = convert::options(&pairs).map_err(|e| error_text(&e))?;
    let fused = meld_core::fuse(&inputs, &options).map_err(|e| error_text(&e))?;
    let meta = convert::fused_meta(&fused.stats, &fused.warnings).to_text();
    Ok(FuseOutput {
        wasm: fused.wasm,
        meta,
    })
}

/// The instantiation tree of `input` as JSON text.
#[wasm_bindgen]
pub fn inspect(input: &[u8]) -> Result<String, String> {
    meld_core::inspect(input)
        .map(|tree| tree.to_json().to_text())
        .map_err(|e| error_text(&e))
}

/// The version of the engine.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The message of the last panic, if one happened since the last call.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    PANIC_MESSAGE.lock().ok().and_then(|mut m| m.take())
}

/// Panics with `message`. Not part of the package's API: it exists so the
/// package's tests can check that a panic inside the module surfaces as an
/// `internal` `MeldError` and that the module works again afterwards.
#[wasm_bindgen(js_name = panicForTesting)]
pub fn panic_for_testing(message: &str) {
    panic!("{message}");
}

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

/// Runs when the module is instantiated (and again when the wrapper
/// re-instantiates it): keeps panic messages for [`take_panic_message`].
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        let what = info.payload_as_str().unwrap_or("panic");
        let text = match info.location() {
            Some(at) => format!("{what} (at {}:{})", at.file(), at.line()),
            None => what.to_string(),
        };
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(text);
        }
    }));
}

/// Splits the concatenated inputs.
fn split<'a>(bytes: &'a [u8], lengths: &[u32]) -> Result<Vec<&'a [u8]>, Error> {
    let mut inputs = Vec::with_capacity(lengths.len());
    let mut rest = bytes;
    for &len in lengths {
        let len = len as usize;
        if len > rest.len() {
            return Err(Error::internal("input lengths exceed the bytes passed"));
        }
        let (input, tail) = rest.split_at(len);
        inputs.push(input);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(Error::internal(
            "input lengths do not cover the bytes passed",
        ));
    }
    Ok(inputs)
}

fn error_text(error: &Error) -> String {
    convert::error(error).to_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_cuts_inputs_by_length() {
        let parts = split(b"abcdef", &[2, 0, 4]);
        assert_eq!(parts, Ok(vec![&b"ab"[..], b"", b"cdef"]));
        assert!(split(b"abc", &[4]).is_err());
        assert!(split(b"abc", &[2]).is_err());
    }

    #[test]
    fn fuse_reports_bad_input_as_json_error() {
        let Err(text) = fuse(b"\0asm", &[4], vec![], vec![]) else {
            panic!("truncated wasm fused");
        };
        assert!(text.starts_with(r#"{"kind":"invalid-input","#), "{text}");
    }

    #[test]
    fn fuse_rejects_unknown_options_before_fusing() {
        let Err(text) = fuse(b"", &[0], vec!["speed".into()], vec!["max".into()]) else {
            panic!("unknown option accepted");
        };
        assert!(text.contains("unknown option `speed`"), "{text}");
    }
}
