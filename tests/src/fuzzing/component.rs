//! The generated components: forwarders written in WAT, each importing the
//! functions of one or two `api` interfaces and exporting the same
//! functions, whose core code passes its flattened parameters on
//! unchanged, call after call (a diamond's top calls both imports with
//! the same arguments). A value the host passes in therefore crosses
//! every component of the composition on its way to the host's import,
//! and the import's results cross them all on the way back: every adapter
//! fusion generates between two forwarders sees it.
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

use super::types::{Flat, Ty, Types};

/// Most flat parameters passed as core parameters; more go through memory.
const MAX_FLAT_PARAMS: usize = 16;
/// Most flat results returned as core results; more go through memory.
const MAX_FLAT_RESULTS: usize = 1;

/// A function of the `api` interfaces.
#[derive(Debug, Clone)]
pub struct Func {
    pub params: Vec<Ty>,
    pub result: Option<Ty>,
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
                let _ = writeln!(out, "  f{index}: func({}){result};", params.join(", "));
            }
            out.push_str("}\n");
        }
        out.push_str("\nworld w {\n  import types;\n");
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
                let mut params = self.core_params(func);
                let result = self.flat_result(func);
                let results = match result.len() > MAX_FLAT_RESULTS {
                    true => {
                        params.push(Flat::I32);
                        Vec::new()
                    }
                    false => result,
                };
                let _ = writeln!(
                    out,
                    "  (import \"{}\" \"f{index}\" (func $i{i}_f{index} {} {}))",
                    iface.name(),
                    signature("param", &params),
                    signature("result", &results),
                );
            }
        }
        let _ = write!(
            out,
            r#"  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const {start}))
  ;; Where the current call's memory begins, and where the previous ended.
  (global $begin (mut i32) (i32.const {start}))
  (global $last (mut i32) (i32.const {start}))
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
        if forwarder.realloc || self.needs_realloc() {
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
        for (index, func) in self.funcs.iter().enumerate() {
            self.export_wat(forwarder, index, func, &mut out);
        }
        out.push_str(")\n");
        out
    }

    /// The export of function `index` and its post-return.
    fn export_wat(&self, forwarder: &Forwarder, index: usize, func: &Func, out: &mut String) {
        let params = self.core_params(func);
        let result = self.flat_result(func);
        let retptr = result.len() > MAX_FLAT_RESULTS;
        let results = match retptr {
            true => vec![Flat::I32],
            false => result.clone(),
        };
        let export = format!("{}#f{index}", forwarder.export.name());
        let _ = writeln!(
            out,
            "  (func (export \"{export}\") {} {}",
            signature("param", &params),
            signature("result", &results)
        );
        // The borrows it received end with the call: drop them, wherever
        // they are (in lists, variants, memory).
        let mut drops = Drops {
            types: &self.types,
            flats: &params,
            code: String::new(),
            loops: 0,
        };
        match params.len() == self.types.flat_all(&func.params).len() {
            true => {
                let mut slot = 0;
                for ty in &func.params {
                    drops.walk(ty, &Loc::Flat(slot));
                    slot += self.types.flat_all(std::slice::from_ref(ty)).len();
                }
            }
            false => {
                let mut offset = 0;
                for ty in &func.params {
                    let (size, align) = self.types.size_align(ty);
                    offset = super::types::align_to(offset, align);
                    drops.walk(ty, &Loc::Mem("(local.get 0)".into(), offset));
                    offset += size;
                }
            }
        }
        for i in 0..drops.loops {
            let _ = writeln!(out, "    (local $p{i} i32) (local $n{i} i32)");
        }
        let _ = writeln!(out, "    (local $ret i32) (local $mark i32)");
        if let Some(flat) = result.first().filter(|_| !retptr) {
            let _ = writeln!(out, "    (local $r {})", flat.wat());
        }
        out.push_str("    (global.set $begin (global.get $last))\n");
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
                    out,
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
                    out,
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
                    out,
                    "    (call $drop (i32.add {handle} (i32.const {delta})))"
                );
            }
            _ => {}
        }
        out.push_str("    (local.set $mark (global.get $heap))\n");
        let calls = match self.moves_handles(func) {
            true => 1,
            false => forwarder.imports.len(),
        };
        let (size, align) = self.types.record_size_align(func.result.as_slice());
        for call in 0..calls {
            if retptr {
                let _ = writeln!(
                    out,
                    "    (local.set $ret (call $alloc (i32.const {align}) (i32.const {size})))"
                );
            }
            out.push_str("    ");
            for i in 0..params.len() {
                let _ = write!(out, "(local.get {i}) ");
            }
            if retptr {
                out.push_str("(local.get $ret) ");
            }
            let _ = writeln!(out, "(call $i{call}_f{index})");
            if !retptr && !result.is_empty() {
                out.push_str("    (local.set $r)\n");
            }
        }
        out.push_str(&drops.code);
        match corruption {
            Some(Corruption::Result {
                delta, pos, bit, ..
            }) => match result.first() {
                _ if retptr => {
                    let _ = writeln!(
                        out,
                        "    (call $flip (local.get $ret) (i32.add (local.get $ret) (i32.const {size})) (i32.const {}) (i32.const {bit}))",
                        *pos as i32
                    );
                }
                Some(Flat::I32) => {
                    let _ = writeln!(
                        out,
                        "    (local.set $r (i32.add (local.get $r) (i32.const {})))",
                        *delta as i32
                    );
                }
                Some(Flat::I64) => {
                    let _ = writeln!(
                        out,
                        "    (local.set $r (i64.add (local.get $r) (i64.const {delta})))"
                    );
                }
                _ => {}
            },
            Some(Corruption::ResultByte { pos, bit, .. }) => {
                let _ = writeln!(
                    out,
                    "    (call $flip (local.get $mark) (global.get $heap) (i32.const {}) (i32.const {bit}))",
                    *pos as i32
                );
            }
            _ => {}
        }
        out.push_str("    (global.set $last (global.get $heap))\n");
        if retptr {
            out.push_str("    (local.get $ret)\n");
        } else if !result.is_empty() {
            out.push_str("    (local.get $r)\n");
        }
        out.push_str("  )\n");
        if forwarder.post_return {
            let _ = writeln!(
                out,
                r#"  (func (export "cabi_post_{export}") {}
    (memory.fill (global.get $begin) (i32.const 0xEE)
      (i32.sub (global.get $heap) (global.get $begin))))"#,
                signature("param", &results)
            );
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
enum Loc {
    Flat(usize),
    Mem(String, u32),
}

/// Writes the code that drops every `borrow` in a value.
struct Drops<'a> {
    types: &'a Types,
    /// The core parameters' types (a borrow in a variant's joined `i64`
    /// slot is wrapped).
    flats: &'a [Flat],
    code: String,
    /// Loops written, each with its locals `$p<i>` and `$n<i>`.
    loops: usize,
}

impl Drops<'_> {
    /// An `i32` read at `loc` (plus `at` bytes in memory).
    fn read(&self, loc: &Loc, at: u32, bytes: u32) -> String {
        match loc {
            Loc::Flat(slot) => match self.flats[*slot] {
                Flat::I64 => format!("(i32.wrap_i64 (local.get {slot}))"),
                _ => format!("(local.get {slot})"),
            },
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

    fn walk(&mut self, ty: &Ty, loc: &Loc) {
        if !self.types.has_borrow(ty) {
            return;
        }
        match ty {
            Ty::Borrow => {
                let handle = self.read(loc, 0, 4);
                let _ = writeln!(self.code, "    (call $drop {handle})");
            }
            Ty::List(element) => {
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
            Ty::Tuple(fields) => self.fields(fields, loc),
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
            if let Some(case) = case.filter(|t| self.types.has_borrow(t)) {
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
