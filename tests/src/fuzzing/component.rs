//! The generated components: forwarders written in WAT, each importing the
//! functions of one or two `api` interfaces and exporting the same
//! functions, whose core code passes its flattened parameters on
//! unchanged, call after call (a diamond's top calls both imports with
//! the same arguments). A value the host passes in therefore crosses
//! every component of the composition on its way to the host's import,
//! and the import's results cross them all on the way back: every adapter
//! fusion generates between two forwarders sees it.
//!
//! An `async func` a forwarder may lift `async` (its results through
//! `task.return`) and lower `async` (parameters beyond four and results
//! through memory, moved there and back by [`super::moves`]); it then
//! waits for each subtask to return before the next call, after telling
//! the host (`fz:t/log`'s `note`) the status the lower returned.
//!
//! Each forwarder chooses its string encoding, whether it has a
//! post-return (which fills all memory the call used with `0xEE`, so a
//! result read after it shows), whether it exports `cabi_realloc` where
//! no lift needs one, and where its bump allocator starts. One forwarder
//! of a case may carry a [`Corruption`]: a changed parameter, result or
//! byte of the values in its memory, or a `resource.drop` of a handle
//! number near one it received, so that the adapters' checks (bounds,
//! alignment, discriminants, utf8/utf16, handles) must trap where the
//! original traps, and handle numbers must be the original's.

use std::fmt::Write;

use anyhow::{Context, Result};
use wit_component::StringEncoding;

use super::moves::Moves;
use super::types::{Flat, Ty, Types};

/// Most flat parameters passed as core parameters; more go through memory.
const MAX_FLAT_PARAMS: usize = 16;
/// Most flat results returned as core results; more go through memory.
const MAX_FLAT_RESULTS: usize = 1;
/// Most flat parameters an async lower takes as core parameters.
const MAX_FLAT_ASYNC_PARAMS: usize = 4;

/// After an async lower (its status on the stack): tells the host the
/// status (a subtask's handle number in it), and unless the subtask
/// returned at once, waits for its event saying it returned, then drops it.
const WAIT_FOR_SUBTASK: &str = "    (local.set $status)
    (call $note (local.get $status))
    (if (i32.ne (i32.and (local.get $status) (i32.const 15)) (i32.const 2))
      (then
        (local.set $set (call $set_new))
        (call $join (i32.shr_u (local.get $status) (i32.const 4)) (local.get $set))
        (block $returned
          (loop $wait
            (drop (call $set_wait (local.get $set) (i32.const 0)))
            (br_if $returned (i32.eq (i32.load (i32.const 4)) (i32.const 2)))
            (br $wait)))
        (call $join (i32.shr_u (local.get $status) (i32.const 4)) (i32.const 0))
        (call $subtask_drop (i32.shr_u (local.get $status) (i32.const 4)))
        (call $set_drop (local.get $set))))
";

/// What a forwarder that notes imports: the host's `note` (it logs a
/// value).
const NOTE: &str = r#"  (import "fz:t/log" "note" (func $note (param i32)))
"#;

/// What an async forwarder imports besides [`NOTE`]: `subtask.drop` and
/// `thread.yield`, and the [`SET_BUILTINS`].
const ASYNC_BUILTINS: &str = r#"  (import "$root" "[subtask-drop]" (func $subtask_drop (param i32)))
  (import "$root" "[thread-yield]" (func $yield (result i32)))
"#;

/// What an async or relaying forwarder imports to wait for a subtask or a
/// future read (its event written at address 0, below every heap).
const SET_BUILTINS: &str = r#"  (import "$root" "[waitable-set-new]" (func $set_new (result i32)))
  (import "$root" "[waitable-set-wait]" (func $set_wait (param i32 i32) (result i32)))
  (import "$root" "[waitable-join]" (func $join (param i32 i32)))
  (import "$root" "[waitable-set-drop]" (func $set_drop (param i32)))
"#;

/// A function of the `api` interfaces.
#[derive(Debug, Clone)]
pub struct Func {
    pub params: Vec<Ty>,
    pub result: Option<Ty>,
    /// An `async func`: forwarders may lift and lower it `async`.
    pub is_async: bool,
}

/// How a forwarder lifts its export of an `async func`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lift {
    #[default]
    Sync,
    /// `async` with a callback; the entry point does all the work (it
    /// may block: the function type is async) and returns EXIT.
    Callback,
    /// `async` without a callback.
    Stackful,
}

/// How a forwarder uses one `async func`: its lift, whether it lowers the
/// imports `async` (waiting for each subtask to return before going on),
/// and whether it yields (`thread.yield`) before it returns, so that its
/// caller sees it started and waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncUse {
    pub lift: Lift,
    pub lower: bool,
    pub yields: bool,
}

/// The types and functions every component of a case shares.
#[derive(Debug, Clone)]
pub struct Api {
    pub types: Types,
    pub funcs: Vec<Func>,
}

/// One of the interfaces forwarders import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Iface {
    Api,
    Api2,
}

impl Iface {
    pub fn name(self) -> &'static str {
        match self {
            Iface::Api => "fz:t/api",
            Iface::Api2 => "fz:t/api2",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Iface::Api => "api",
            Iface::Api2 => "api2",
        }
    }
}

/// A change one forwarder makes to what it passes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corruption {
    /// Adds `delta` to integer core parameter `slot` (modulo their number)
    /// of function `func` before passing it on.
    Param {
        func: usize,
        slot: usize,
        delta: i64,
    },
    /// Flips bit `bit` of a byte of the arguments the lift wrote into the
    /// forwarder's memory (position `pos` modulo their extent).
    ArgByte { func: usize, pos: u32, bit: u8 },
    /// Adds `delta` to the one core result, or flips bit `bit` of byte
    /// `pos` (modulo the size) of the return area.
    Result {
        func: usize,
        delta: i64,
        pos: u32,
        bit: u8,
    },
    /// Flips a bit of a byte the import's results were written into.
    ResultByte { func: usize, pos: u32, bit: u8 },
    /// Calls `resource.drop` on integer core parameter `slot` plus
    /// `delta` before passing the parameters on.
    DropHandle {
        func: usize,
        slot: usize,
        delta: i32,
    },
}

impl Corruption {
    pub fn func(&self) -> usize {
        match self {
            Corruption::Param { func, .. }
            | Corruption::ArgByte { func, .. }
            | Corruption::Result { func, .. }
            | Corruption::ResultByte { func, .. }
            | Corruption::DropHandle { func, .. } => *func,
        }
    }

    /// A short name for the coverage report.
    pub fn kind(&self) -> &'static str {
        match self {
            Corruption::Param { .. } => "param",
            Corruption::ArgByte { .. } => "arg-byte",
            Corruption::Result { .. } => "result",
            Corruption::ResultByte { .. } => "result-byte",
            Corruption::DropHandle { .. } => "drop-handle",
        }
    }
}

/// One forwarder component.
#[derive(Debug, Clone)]
pub struct Forwarder {
    pub imports: Vec<Iface>,
    pub export: Iface,
    pub encoding: StringEncoding,
    pub post_return: bool,
    /// Export `cabi_realloc` even if no lift or lower needs it.
    pub realloc: bool,
    /// Where the bump allocator starts (a multiple of 8).
    pub heap_start: u32,
    pub corruption: Option<Corruption>,
    /// How it uses each function (by index) that is an `async func`;
    /// missing means all sync.
    pub asyncs: Vec<AsyncUse>,
    /// Replaces each stream or future end it receives (in a parameter,
    /// or in a result of its import) by one of its own: reads the values
    /// (up to eight), writes them to a new stream or future (pending until
    /// that one is read) and passes the new readable end on. Its
    /// post-return then leaves memory alone: the values it wrote stay
    /// there until they are read.
    pub relays: bool,
    /// A relay reads a stream in two reads: this many items first (1 to
    /// 7), then, if it got them all, up to the rest of eight; a second
    /// read the writer has nothing for is cancelled.
    pub split: Option<u32>,
    /// A relay passes each stream end on itself, having read (eaten)
    /// up to this many items (1 to 7) of it first: the writer's write, if
    /// it is an inner component's, goes on with the rest wherever the end
    /// goes. A read that finds nothing is cancelled, not waited for.
    pub eats: Option<u32>,
    /// A relay's first read of a stream that finds nothing waits for the
    /// writer; else (in a case where a forwarder eats) it is cancelled:
    /// an eater before it may have eaten all that an inner relay wrote,
    /// and that relay writes once and keeps its end.
    pub waits: bool,
}

impl Forwarder {
    /// How this forwarder uses function `index` of `api`.
    pub fn use_of(&self, api: &Api, index: usize) -> AsyncUse {
        match api.funcs[index].is_async {
            true => self.asyncs.get(index).copied().unwrap_or_default(),
            false => AsyncUse::default(),
        }
    }

    /// Whether it tells the host what its second reads of a stream
    /// returned ([`Forwarder::split`]) or what it ate ([`Forwarder::eats`]),
    /// as an async one tells what its async lowers did.
    fn notes(&self) -> bool {
        self.relays && (self.split.is_some() || self.eats.is_some())
    }

    /// Whether it uses any function `async`.
    fn is_async(&self, api: &Api) -> bool {
        (0..api.funcs.len()).any(|i| self.use_of(api, i) != AsyncUse::default())
    }
}

impl Api {
    /// The core parameters of the lifted export (and of the lowered
    /// import, before its return pointer) of `func`.
    fn core_params(&self, func: &Func) -> Vec<Flat> {
        let flat = self.types.flat_all(&func.params);
        match flat.len() > MAX_FLAT_PARAMS {
            true => vec![Flat::I32],
            false => flat,
        }
    }

    /// The flattened result of `func`.
    fn flat_result(&self, func: &Func) -> Vec<Flat> {
        self.types.flat_all(func.result.as_slice())
    }

    /// Whether some lift or lower of the case needs `cabi_realloc`.
    pub fn needs_realloc(&self) -> bool {
        self.funcs.iter().any(|func| {
            self.types.flat_all(&func.params).len() > MAX_FLAT_PARAMS
                || func
                    .params
                    .iter()
                    .chain(&func.result)
                    .any(|t| self.types.has_memory(t))
        })
    }

    /// Whether `func` moves an `own` handle in its parameters (so it can
    /// be called once only with the same arguments).
    fn moves_handles(&self, func: &Func) -> bool {
        func.params.iter().any(|t| self.types.has_own(t))
    }

    /// The WIT package of the case, with a world `w` for `forwarder`.
    pub fn wit(&self, forwarder: &Forwarder) -> String {
        let mut out = String::from("package fz:t;\n\ninterface types {\n  resource r;\n");
        out.push_str(&self.types.wit_defs());
        out.push_str("}\n");
        let mut uses = vec!["r".to_owned()];
        uses.extend((0..self.types.defs.len()).map(|i| format!("t{i}")));
        for iface in [Iface::Api, Iface::Api2] {
            let _ = writeln!(out, "\ninterface {} {{", iface.short());
            let _ = writeln!(out, "  use types.{{{}}};", uses.join(", "));
            for (index, func) in self.funcs.iter().enumerate() {
                let params: Vec<String> = func
                    .params
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("p{i}: {}", self.types.wit(t)))
                    .collect();
                let result = match &func.result {
                    Some(t) => format!(" -> {}", self.types.wit(t)),
                    None => String::new(),
                };
                let kind = if func.is_async { "async func" } else { "func" };
                let _ = writeln!(out, "  f{index}: {kind}({}){result};", params.join(", "));
            }
            out.push_str("}\n");
        }
        // (what an async forwarder saw: each async lower's status)
        out.push_str("\ninterface log {\n  note: func(v: u32);\n}\n");
        out.push_str("\nworld w {\n  import types;\n");
        if forwarder.is_async(self) || forwarder.notes() {
            out.push_str("  import log;\n");
        }
        for iface in &forwarder.imports {
            let _ = writeln!(out, "  import {};", iface.short());
        }
        let _ = writeln!(out, "  export {};\n}}", forwarder.export.short());
        out
    }

    /// The forwarder's core module as WAT.
    pub fn wat(&self, forwarder: &Forwarder) -> String {
        let mut out = String::from("(module\n");
        let drops = matches!(forwarder.corruption, Some(Corruption::DropHandle { .. }))
            || self
                .funcs
                .iter()
                .any(|f| f.params.iter().any(|t| self.types.has_borrow(t)));
        if drops {
            out.push_str(
                "  (import \"fz:t/types\" \"[resource-drop]r\" (func $drop (param i32)))\n",
            );
        }
        for (i, iface) in forwarder.imports.iter().enumerate() {
            for (index, func) in self.funcs.iter().enumerate() {
                let result = self.flat_result(func);
                let (name, params, results) = match forwarder.use_of(self, index).lower {
                    // flat parameters up to four, results through memory,
                    // the subtask's state | handle << 4 returned
                    true => {
                        let mut params = self.types.flat_all(&func.params);
                        if params.len() > MAX_FLAT_ASYNC_PARAMS {
                            params = vec![Flat::I32];
                        }
                        if !result.is_empty() {
                            params.push(Flat::I32);
                        }
                        (format!("[async-lower]f{index}"), params, vec![Flat::I32])
                    }
                    false => {
                        let mut params = self.core_params(func);
                        let results = match result.len() > MAX_FLAT_RESULTS {
                            true => {
                                params.push(Flat::I32);
                                Vec::new()
                            }
                            false => result,
                        };
                        (format!("f{index}"), params, results)
                    }
                };
                let _ = writeln!(
                    out,
                    "  (import \"{}\" \"{name}\" (func $i{i}_f{index} {} {}))",
                    iface.name(),
                    signature("param", &params),
                    signature("result", &results),
                );
            }
        }
        if forwarder.is_async(self) || forwarder.notes() {
            out.push_str(NOTE);
        }
        if forwarder.is_async(self) {
            out.push_str(ASYNC_BUILTINS);
        }
        if forwarder.is_async(self) || forwarder.relays {
            out.push_str(SET_BUILTINS);
        }
        let relayed = match forwarder.relays {
            true => self.relayed(),
            false => Vec::new(),
        };
        for (end, func, n) in &relayed {
            let module = forwarder.imports[0].name();
            let (kind, count) = match end {
                Ty::Stream(_) => ("stream", " i32"),
                _ => ("future", ""),
            };
            let p = relay_name(end);
            let copy = format!("(param i32 i32{count}) (result i32)");
            for (name, func_name, sig) in [
                ("new", format!("[{kind}-new-{n}]f{func}"), "(result i64)"),
                (
                    "read",
                    format!("[async-lower][{kind}-read-{n}]f{func}"),
                    &copy,
                ),
                (
                    "write",
                    format!("[async-lower][{kind}-write-{n}]f{func}"),
                    &copy,
                ),
                (
                    "drop",
                    format!("[{kind}-drop-readable-{n}]f{func}"),
                    "(param i32)",
                ),
                (
                    "cancel",
                    format!("[{kind}-cancel-read-{n}]f{func}"),
                    "(param i32) (result i32)",
                ),
                (
                    "cancel_now",
                    format!("[async-lower][{kind}-cancel-read-{n}]f{func}"),
                    "(param i32) (result i32)",
                ),
            ] {
                let _ = writeln!(
                    out,
                    "  (import \"{module}\" \"{func_name}\" (func ${name}_{p} {sig}))"
                );
            }
        }
        for (index, func) in self.funcs.iter().enumerate() {
            if forwarder.use_of(self, index).lift == Lift::Sync {
                continue;
            }
            let mut params = self.flat_result(func);
            if params.len() > MAX_FLAT_PARAMS {
                params = vec![Flat::I32];
            }
            let _ = writeln!(
                out,
                "  (import \"[export]{}\" \"[task-return]f{index}\" (func $return_f{index} {}))",
                forwarder.export.name(),
                signature("param", &params),
            );
        }
        let _ = write!(
            out,
            r#"  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const {start}))
  ;; Where the current call's memory begins, and where the previous ended.
  (global $begin (mut i32) (i32.const {start}))
  (global $last (mut i32) (i32.const {start}))
  ;; The results a callback returns after its entry point yielded.
  (global $saved (mut i32) (i32.const 0))
  (func $alloc (param $align i32) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then unreachable))
    (block $enough
      (loop $grow
        (br_if $enough
          (i64.le_u (i64.extend_i32_u (local.get $end))
                    (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        (br $grow)))
    (global.set $heap (local.get $end))
    (local.get $ptr))
  ;; Flips bit `bit` of the byte at `lo + pos % (hi - lo)`, if hi > lo.
  (func $flip (param $lo i32) (param $hi i32) (param $pos i32) (param $bit i32)
    (local $at i32)
    (if (i32.le_u (local.get $hi) (local.get $lo)) (then return))
    (local.set $at
      (i32.add (local.get $lo)
        (i32.rem_u (local.get $pos) (i32.sub (local.get $hi) (local.get $lo)))))
    (i32.store8 (local.get $at)
      (i32.xor (i32.load8_u (local.get $at))
        (i32.shl (i32.const 1) (local.get $bit)))))
"#,
            start = forwarder.heap_start
        );
        if forwarder.realloc || forwarder.relays || self.needs_realloc() {
            out.push_str(
                r#"  (func (export "cabi_realloc")
      (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32)
      (result i32)
    (local $ptr i32)
    (local.set $ptr (call $alloc (local.get $align) (local.get $new_size)))
    (if (local.get $old)
      (then
        (memory.copy (local.get $ptr) (local.get $old)
          (select (local.get $old_size) (local.get $new_size)
            (i32.lt_u (local.get $old_size) (local.get $new_size))))))
    (local.get $ptr))
"#,
            );
        }
        // A relay reads the values (up to eight) into a new block, so
        // that they stay there until the new stream or future is read, and
        // writes them to a new one, whose readable end it returns.
        for (end, _, _) in &relayed {
            let p = relay_name(end);
            let eats = forwarder.eats.filter(|_| matches!(end, Ty::Stream(_)));
            let first = eats.or(forwarder.split).unwrap_or(8);
            let (room, count) = match end {
                Ty::Stream(_) => (
                    format!(" (i32.const {first})"),
                    " (i32.shr_u (local.get $code) (i32.const 4))",
                ),
                _ => (String::new(), ""),
            };
            // A read that found nothing is cancelled with the blocking
            // variant where the task may block (`$blocks`, the function
            // is an `async func`), else with the async one, which a sync
            // function's task may use (wasmtime traps on a blocking
            // variant there even when it would not block). Either ends at
            // once here, the writer being a relay that wrote once or the
            // host (an async one that did not would note BLOCKED, and the
            // end passed on busy would trap: a finding of the generator).
            let cancel = format!(
                "(if (result i32) (local.get $blocks)
              (then (call $cancel_{p} (local.get $end)))
              (else (call $cancel_now_{p} (local.get $end))))"
            );
            // A second read, after a first that got all it asked for.
            let rest = match (end, forwarder.split) {
                // (an eater notes what its one read got)
                _ if eats.is_some() => "\n    (call $note (local.get $code))".to_owned(),
                (Ty::Stream(payload), Some(first)) => {
                    let size = match **payload {
                        Ty::U8 => 1,
                        Ty::U32 => 4,
                        _ => 8,
                    };
                    format!(
                        r#"
    (if (i32.eq (local.get $code) (i32.const {full}))
      (then
        (local.set $more (call $read_{p} (local.get $end)
          (i32.add (local.get $buf) (i32.const {at})) (i32.const {left})))
        (call $note (local.get $more))
        (if (i32.eq (local.get $more) (i32.const -1))
          (then
            (local.set $more {cancel})
            (call $note (local.get $more))))
        (local.set $code (i32.add (local.get $code)
          (i32.and (local.get $more) (i32.const -16))))))"#,
                        full = first << 4,
                        at = first * size,
                        left = 8 - first,
                    )
                }
                _ => String::new(),
            };
            let tail = match eats {
                Some(_) => "\n    (local.get $end))".to_owned(),
                None => format!(
                    r#"
    (call $drop_{p} (local.get $end))
    (local.set $pair (call $new_{p}))
    (drop (call $write_{p} (i32.wrap_i64 (i64.shr_u (local.get $pair) (i64.const 32)))
      (local.get $buf){count}))
    (i32.wrap_i64 (local.get $pair)))"#
                ),
            };
            // A first read with nothing to take waits for the writer; an
            // eater's is cancelled instead, and so is any stream relay's in
            // a case with an eater (`Forwarder::waits`): what an eater ate
            // may have been all an inner writer had (a relay writes once
            // and keeps its end), and the next reader would wait for ever.
            let waits = forwarder.waits || !matches!(end, Ty::Stream(_));
            let blocked = match eats.is_some() || !waits {
                true => format!("(local.set $code {cancel})"),
                false => r#"(local.set $set (call $set_new))
        (call $join (local.get $end) (local.get $set))
        (drop (call $set_wait (local.get $set) (i32.const 0)))
        (local.set $code (i32.load (i32.const 4)))
        (call $join (local.get $end) (i32.const 0))
        (call $set_drop (local.get $set))"#
                    .to_owned(),
            };
            let _ = writeln!(
                out,
                r#"  (func $relay_{p} (param $end i32) (param $blocks i32) (result i32)
    (local $buf i32) (local $pair i64) (local $set i32) (local $code i32) (local $more i32)
    (local.set $buf (call $alloc (i32.const 8) (i32.const 64)))
    ;; (a forwarder writes before it passes the end on; the host may
    ;; answer later, and then the read waits, which only a task that may
    ;; block can do)
    (local.set $code (call $read_{p} (local.get $end) (local.get $buf){room}))
    (if (i32.eq (local.get $code) (i32.const -1))
      (then
        {blocked})){rest}{tail}"#
            );
        }
        for (index, func) in self.funcs.iter().enumerate() {
            self.export_wat(forwarder, index, func, &mut out);
        }
        out.push_str(")\n");
        out
    }

    /// The stream and future types of the functions, each with the first
    /// function that has one and its position there (which names its
    /// built-ins).
    fn relayed(&self) -> Vec<(Ty, usize, usize)> {
        let mut out: Vec<(Ty, usize, usize)> = Vec::new();
        for (index, func) in self.funcs.iter().enumerate() {
            let mut ends = Vec::new();
            for ty in func.params.iter().chain(&func.result) {
                self.types.ends_in_order(ty, &mut ends);
            }
            for (n, end) in ends.into_iter().enumerate() {
                if !out.iter().any(|(e, _, _)| *e == end) {
                    out.push((end, index, n));
                }
            }
        }
        out
    }

    /// The export of function `index` and its post-return (or, lifted
    /// `async`, its callback).
    fn export_wat(&self, forwarder: &Forwarder, index: usize, func: &Func, out: &mut String) {
        let params = self.core_params(func);
        let result = self.flat_result(func);
        let retptr = result.len() > MAX_FLAT_RESULTS;
        let uses = forwarder.use_of(self, index);
        let export = format!("{}#f{index}", forwarder.export.name());
        let (name, results) = match uses.lift {
            Lift::Sync => (
                export.clone(),
                match retptr {
                    true => vec![Flat::I32],
                    false => result.clone(),
                },
            ),
            Lift::Callback => (format!("[async-lift]{export}"), vec![Flat::I32]),
            Lift::Stackful => (format!("[async-lift-stackful]{export}"), Vec::new()),
        };
        let _ = writeln!(
            out,
            "  (func (export \"{name}\") {} {}",
            signature("param", &params),
            signature("result", &results)
        );
        // The borrows it received end with the call: drop them, wherever
        // they are (in lists, variants, memory).
        let flat_params = params.len() == self.types.flat_all(&func.params).len();
        let params_at = match flat_params {
            true => Loc::Flat(0),
            false => Loc::Mem("(local.get 0)".into(), 0),
        };
        let mut drops = Walk::new(&self.types, Action::DropBorrows, &params, 0);
        drops.fields(&func.params, &params_at);
        // A relaying forwarder replaces the ends of its parameters before
        // it passes them on, and those of its import's results.
        let relay = Action::Relay {
            blocks: func.is_async,
        };
        let mut relays_in = Walk::new(&self.types, relay, &params, drops.loops);
        if forwarder.relays {
            relays_in.fields(&func.params, &params_at);
        }
        let mut moves = Moves::new(&self.types);
        let mut body = String::from("    (global.set $begin (global.get $last))\n");
        let corruption = forwarder
            .corruption
            .as_ref()
            .filter(|c| c.func() % self.funcs.len() == index);
        let ints: Vec<usize> = (0..params.len())
            .filter(|&i| matches!(params[i], Flat::I32 | Flat::I64))
            .collect();
        match corruption {
            Some(Corruption::ArgByte { pos, bit, .. }) => {
                let _ = writeln!(
                    body,
                    "    (call $flip (global.get $last) (global.get $heap) (i32.const {}) (i32.const {bit}))",
                    *pos as i32
                );
            }
            Some(Corruption::Param { slot, delta, .. }) if !ints.is_empty() => {
                let slot = ints[slot % ints.len()];
                let ty = params[slot].wat();
                let delta = match params[slot] {
                    Flat::I32 => i64::from(*delta as i32),
                    _ => *delta,
                };
                let _ = writeln!(
                    body,
                    "    (local.set {slot} ({ty}.add (local.get {slot}) ({ty}.const {delta})))"
                );
            }
            Some(Corruption::DropHandle { slot, delta, .. }) => {
                let i32s: Vec<usize> = (0..params.len())
                    .filter(|&i| params[i] == Flat::I32)
                    .collect();
                let handle = match i32s.is_empty() {
                    true => "(i32.const 0)".to_owned(),
                    false => format!("(local.get {})", i32s[slot % i32s.len()]),
                };
                let _ = writeln!(
                    body,
                    "    (call $drop (i32.add {handle} (i32.const {delta})))"
                );
            }
            _ => {}
        }
        body.push_str(&relays_in.code);
        // The arguments of the calls: an async lower takes more than four
        // flat parameters through memory, so those are stored there first.
        let args: Vec<String> = match (uses.lower, flat_params) {
            (true, true) if params.len() > MAX_FLAT_ASYNC_PARAMS => {
                let (size, align) = self.types.record_size_align(&func.params);
                let _ = writeln!(
                    body,
                    "    (local.set $args (call $alloc (i32.const {align}) (i32.const {size})))"
                );
                let src: Vec<(String, Flat)> = params
                    .iter()
                    .enumerate()
                    .map(|(i, &f)| (format!("(local.get {i})"), f))
                    .collect();
                moves.store_all(&func.params, &src, "(local.get $args)");
                vec!["(local.get $args)".to_owned()]
            }
            _ => (0..params.len())
                .map(|i| format!("(local.get {i})"))
                .collect(),
        };
        body.push_str(&std::mem::take(&mut moves.code));
        body.push_str("    (local.set $mark (global.get $heap))\n");
        let calls = match self.moves_handles(func) {
            true => 1,
            false => forwarder.imports.len(),
        };
        // Where the results are once the calls returned: in `$r`, or in
        // memory at `$ret` (a return area, or what an async lower wrote).
        let in_memory = retptr || (uses.lower && !result.is_empty());
        let (size, align) = self.types.record_size_align(func.result.as_slice());
        for call in 0..calls {
            if in_memory {
                let _ = writeln!(
                    body,
                    "    (local.set $ret (call $alloc (i32.const {align}) (i32.const {size})))"
                );
            }
            body.push_str("    ");
            for arg in &args {
                let _ = write!(body, "{arg} ");
            }
            if in_memory {
                body.push_str("(local.get $ret) ");
            }
            let _ = writeln!(body, "(call $i{call}_f{index})");
            if uses.lower {
                body.push_str(WAIT_FOR_SUBTASK);
            } else if !retptr && !result.is_empty() {
                body.push_str("    (local.set $r)\n");
            }
        }
        body.push_str(&drops.code);
        let mut relays_out = Walk::new(&self.types, relay, &result, relays_in.loops);
        if forwarder.relays {
            match in_memory {
                true => relays_out.fields(
                    func.result.as_slice(),
                    &Loc::Mem("(local.get $ret)".into(), 0),
                ),
                false => {
                    relays_out.locals = vec!["$r".to_owned()];
                    relays_out.fields(func.result.as_slice(), &Loc::Flat(0));
                }
            }
        }
        body.push_str(&relays_out.code);
        match corruption {
            Some(Corruption::Result {
                delta, pos, bit, ..
            }) => match result.first() {
                _ if in_memory => {
                    let _ = writeln!(
                        body,
                        "    (call $flip (local.get $ret) (i32.add (local.get $ret) (i32.const {size})) (i32.const {}) (i32.const {bit}))",
                        *pos as i32
                    );
                }
                Some(Flat::I32) => {
                    let _ = writeln!(
                        body,
                        "    (local.set $r (i32.add (local.get $r) (i32.const {})))",
                        *delta as i32
                    );
                }
                Some(Flat::I64) => {
                    let _ = writeln!(
                        body,
                        "    (local.set $r (i64.add (local.get $r) (i64.const {delta})))"
                    );
                }
                _ => {}
            },
            Some(Corruption::ResultByte { pos, bit, .. }) => {
                let _ = writeln!(
                    body,
                    "    (call $flip (local.get $mark) (global.get $heap) (i32.const {}) (i32.const {bit}))",
                    *pos as i32
                );
            }
            _ => {}
        }
        body.push_str("    (global.set $last (global.get $heap))\n");
        // A callback lift yields by returning YIELD (its callback returns
        // the results); the others by `thread.yield`.
        let callback_yields = uses.yields && uses.lift == Lift::Callback;
        if uses.yields && !callback_yields {
            body.push_str("    (drop (call $yield))\n");
        }
        // The results as the lift wants them: flat (loaded from memory if
        // the calls left them there) up to its limit, else their address.
        let limit = match uses.lift {
            Lift::Sync => MAX_FLAT_RESULTS,
            _ => MAX_FLAT_PARAMS,
        };
        let values: Vec<String> = match (result.len(), in_memory) {
            (0, _) => Vec::new(),
            (n, true) if n > limit => vec!["(local.get $ret)".to_owned()],
            (_, true) => moves
                .load_all(func.result.as_slice(), "(local.get $ret)")
                .into_iter()
                .map(|(local, _)| format!("(local.get {local})"))
                .collect(),
            (_, false) => vec!["(local.get $r)".to_owned()],
        };
        body.push_str(&moves.code);
        moves.code.clear();
        // What the callback of a lift that yields returns: the results
        // saved in memory (flat ones in the result's layout) at `$saved`.
        let (mut callback_locals, mut callback) = (String::new(), String::new());
        if callback_yields {
            let tys = func.result.as_slice();
            match values.len() {
                0 => {}
                _ if result.len() > limit => {
                    body.push_str("    (global.set $saved (local.get $ret))\n");
                    callback.push_str("    (global.get $saved)\n");
                }
                _ => {
                    let (size, align) = self.types.record_size_align(tys);
                    let _ = writeln!(
                        body,
                        "    (global.set $saved (call $alloc (i32.const {align}) (i32.const {size})))"
                    );
                    let src: Vec<(String, Flat)> =
                        values.iter().cloned().zip(result.iter().copied()).collect();
                    moves.store_all(tys, &src, "(global.get $saved)");
                    body.push_str(&std::mem::take(&mut moves.code));
                    let mut loads = Moves::new(&self.types);
                    let locals = loads.load_all(tys, "(global.get $saved)");
                    for (i, flat) in loads.locals.iter().enumerate() {
                        let _ = writeln!(callback_locals, "    (local $t{i} {})", flat.wat());
                    }
                    callback.push_str(&loads.code);
                    for (local, _) in locals {
                        let _ = writeln!(callback, "    (local.get {local})");
                    }
                }
            }
            body.push_str("    (i32.const 1)\n");
        } else {
            body.push_str("    ");
            for value in &values {
                let _ = write!(body, "{value} ");
            }
            match uses.lift {
                Lift::Sync => body.push('\n'),
                Lift::Callback => {
                    let _ = writeln!(body, "(call $return_f{index})\n    (i32.const 0)");
                }
                Lift::Stackful => {
                    let _ = writeln!(body, "(call $return_f{index})");
                }
            }
        }
        for i in 0..relays_out.loops {
            let _ = writeln!(out, "    (local $p{i} i32) (local $n{i} i32)");
        }
        out.push_str("    (local $ret i32) (local $mark i32) (local $args i32)\n");
        out.push_str("    (local $status i32) (local $set i32)\n");
        if let Some(flat) = result.first().filter(|_| !retptr) {
            let _ = writeln!(out, "    (local $r {})", flat.wat());
        }
        for (i, flat) in moves.locals.iter().enumerate() {
            let _ = writeln!(out, "    (local $t{i} {})", flat.wat());
        }
        out.push_str(&body);
        out.push_str("  )\n");
        match uses.lift {
            Lift::Sync if forwarder.post_return && !forwarder.relays => {
                let _ = writeln!(
                    out,
                    r#"  (func (export "cabi_post_{export}") {}
    (memory.fill (global.get $begin) (i32.const 0xEE)
      (i32.sub (global.get $heap) (global.get $begin))))"#,
                    signature("param", &results)
                );
            }
            // the entry point returns EXIT: the callback never runs
            Lift::Callback if !callback_yields => {
                let _ = writeln!(
                    out,
                    r#"  (func (export "[callback][async-lift]{export}") (param i32 i32 i32) (result i32)
    unreachable)"#
                );
            }
            // it returned YIELD: the callback (called with no event)
            // returns the saved results
            Lift::Callback => {
                let _ = writeln!(
                    out,
                    "  (func (export \"[callback][async-lift]{export}\") (param i32 i32 i32) (result i32)\n{callback_locals}    (if (local.get 0) (then unreachable))\n{callback}    (call $return_f{index})\n    (i32.const 0))"
                );
            }
            _ => {}
        }
    }

    /// The forwarder as a component.
    pub fn component(&self, forwarder: &Forwarder) -> Result<Vec<u8>> {
        let wit = self.wit(forwarder);
        let wat = self.wat(forwarder);
        let context = || format!("the generated forwarder\n{wit}\n{wat}");
        let mut resolve = wit_parser::Resolve::default();
        let package = resolve.push_str("fz.wit", &wit).with_context(context)?;
        let world = resolve.select_world(&[package], Some("w"))?;
        let mut module = wat::parse_str(&wat).with_context(context)?;
        wit_component::embed_component_metadata(&mut module, &resolve, world, forwarder.encoding)
            .with_context(context)?;
        wit_component::ComponentEncoder::default()
            .module(&module)
            .and_then(|encoder| encoder.validate(true).encode())
            .with_context(context)
    }
}

/// Where a value is: from core parameter `slot` on, or at an address (a
/// WAT expression) plus an offset.
#[derive(Debug, Clone)]
enum Loc {
    Flat(usize),
    Mem(String, u32),
}

/// What a [`Walk`] does to the values it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Drops every `borrow`.
    DropBorrows,
    /// Replaces every stream or future end by one of the forwarder's own
    /// ([`Forwarder::relays`], `$relay_<kind>_<payload>`). `blocks`: the
    /// function is an `async func`, so its task may block: only then are
    /// ends of strings relayed (the host may answer a read of one later,
    /// and only such a task can wait), and a read that found nothing is
    /// cancelled with the blocking variant (a sync function's uses the
    /// async one).
    Relay { blocks: bool },
}

/// Writes the code that does its [`Action`] to every handle or end of its
/// kind in a value.
struct Walk<'a> {
    types: &'a Types,
    action: Action,
    /// The flat values' core types (a handle in a variant's joined `i64`
    /// slot is wrapped) and their locals: the core parameters, or `$r`.
    flats: &'a [Flat],
    locals: Vec<String>,
    code: String,
    /// Loops written, each with its locals `$p<i>` and `$n<i>`.
    loops: usize,
}

impl<'a> Walk<'a> {
    fn new(types: &'a Types, action: Action, flats: &'a [Flat], loops: usize) -> Walk<'a> {
        Walk {
            types,
            action,
            flats,
            locals: (0..flats.len()).map(|i| i.to_string()).collect(),
            code: String::new(),
            loops,
        }
    }

    /// Whether `ty` holds what the walk acts on.
    fn wanted(&self, ty: &Ty) -> bool {
        match self.action {
            Action::DropBorrows => self.types.has_borrow(ty),
            Action::Relay { blocks } => self.types.has_relayed(ty, blocks),
        }
    }

    /// An `i32` read at `loc` (plus `at` bytes in memory).
    fn read(&self, loc: &Loc, at: u32, bytes: u32) -> String {
        match loc {
            Loc::Flat(slot) => {
                let local = &self.locals[*slot];
                match self.flats[*slot] {
                    Flat::I64 => format!("(i32.wrap_i64 (local.get {local}))"),
                    _ => format!("(local.get {local})"),
                }
            }
            Loc::Mem(addr, offset) => {
                let load = match bytes {
                    1 => "i32.load8_u",
                    2 => "i32.load16_u",
                    _ => "i32.load",
                };
                format!("({load} offset={} {addr})", offset + at)
            }
        }
    }

    /// The code writing `i32` `value` at `loc`.
    fn write(&self, loc: &Loc, value: &str) -> String {
        match loc {
            Loc::Flat(slot) => {
                let local = &self.locals[*slot];
                match self.flats[*slot] {
                    Flat::I64 => format!("(local.set {local} (i64.extend_i32_u {value}))"),
                    _ => format!("(local.set {local} {value})"),
                }
            }
            Loc::Mem(addr, offset) => format!("(i32.store offset={offset} {addr} {value})"),
        }
    }

    fn walk(&mut self, ty: &Ty, loc: &Loc) {
        if !self.wanted(ty) {
            return;
        }
        match ty {
            Ty::Borrow => {
                let handle = self.read(loc, 0, 4);
                let _ = writeln!(self.code, "    (call $drop {handle})");
            }
            Ty::Stream(_) | Ty::Future(_) => {
                let end = self.read(loc, 0, 4);
                let blocks = matches!(self.action, Action::Relay { blocks: true });
                let relayed = format!(
                    "(call $relay_{} {end} (i32.const {}))",
                    relay_name(ty),
                    u32::from(blocks)
                );
                let _ = writeln!(self.code, "    {}", self.write(loc, &relayed));
            }
            Ty::List(element) | Ty::Map(element) => {
                let (ptr, len) = match loc {
                    Loc::Flat(slot) => {
                        (self.read(loc, 0, 4), self.read(&Loc::Flat(slot + 1), 0, 4))
                    }
                    Loc::Mem(..) => (self.read(loc, 0, 4), self.read(loc, 4, 4)),
                };
                let i = self.loops;
                self.loops += 1;
                let (size, _) = self.types.size_align(element);
                let _ = writeln!(
                    self.code,
                    "    (local.set $p{i} {ptr}) (local.set $n{i} {len})\n    (block $b{i} (loop $l{i}\n    (br_if $b{i} (i32.eqz (local.get $n{i})))"
                );
                self.walk(element, &Loc::Mem(format!("(local.get $p{i})"), 0));
                let _ = writeln!(
                    self.code,
                    "    (local.set $p{i} (i32.add (local.get $p{i}) (i32.const {size})))\n    (local.set $n{i} (i32.sub (local.get $n{i}) (i32.const 1)))\n    (br $l{i})))"
                );
            }
            Ty::Tuple(fields) | Ty::FixedList(fields) => self.fields(fields, loc),
            Ty::Option(t) => self.cases(&[None, Some(t)], loc),
            Ty::Result(ok, err) => self.cases(&[ok.as_deref(), err.as_deref()], loc),
            Ty::Named(index) => match &self.types.defs[*index] {
                super::types::Def::Record(fields) => self.fields(fields, loc),
                super::types::Def::Variant(cases) => {
                    let cases: Vec<Option<&Ty>> = cases.iter().map(Option::as_ref).collect();
                    self.cases(&cases, loc)
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Walks `fields` one after the other from `loc` on (flat values, or
    /// laid out as a record in memory).
    fn fields(&mut self, fields: &[Ty], loc: &Loc) {
        match loc {
            Loc::Flat(slot) => {
                let mut slot = *slot;
                for field in fields {
                    self.walk(field, &Loc::Flat(slot));
                    slot += self.types.flat_all(std::slice::from_ref(field)).len();
                }
            }
            Loc::Mem(addr, offset) => {
                let mut at = *offset;
                for field in fields {
                    let (size, align) = self.types.size_align(field);
                    at = super::types::align_to(at, align);
                    self.walk(field, &Loc::Mem(addr.clone(), at));
                    at += size;
                }
            }
        }
    }

    fn cases(&mut self, cases: &[Option<&Ty>], loc: &Loc) {
        let disc = super::types::discriminant_size(cases.len());
        let payload = match loc {
            Loc::Flat(slot) => Loc::Flat(slot + 1),
            Loc::Mem(addr, offset) => {
                let align = cases
                    .iter()
                    .flatten()
                    .map(|t| self.types.size_align(t).1)
                    .fold(disc, u32::max);
                Loc::Mem(addr.clone(), offset + super::types::align_to(disc, align))
            }
        };
        let discriminant = self.read(loc, 0, disc);
        for (k, case) in cases.iter().enumerate() {
            if let Some(case) = case.filter(|t| self.wanted(t)) {
                let _ = writeln!(
                    self.code,
                    "    (if (i32.eq {discriminant} (i32.const {k})) (then"
                );
                self.walk(case, &payload);
                self.code.push_str("    ))\n");
            }
        }
    }
}

/// The name of the relay of stream or future type `end` in the
/// forwarders' WAT.
fn relay_name(end: &Ty) -> String {
    let (kind, payload) = match end {
        Ty::Stream(payload) => ("stream", &**payload),
        Ty::Future(payload) => ("future", &**payload),
        other => ("end", other),
    };
    let payload = match payload {
        Ty::U8 => "u8",
        Ty::U32 => "u32",
        _ => "string",
    };
    format!("{kind}_{payload}")
}

/// `(param …)` or `(result …)` of `flats`, or nothing.
fn signature(keyword: &str, flats: &[Flat]) -> String {
    match flats.is_empty() {
        true => String::new(),
        false => {
            let types: Vec<&str> = flats.iter().map(|f| f.wat()).collect();
            format!("({keyword} {})", types.join(" "))
        }
    }
}
