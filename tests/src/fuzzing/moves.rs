//! WAT that moves a value between its two Canonical ABI forms: flat (core
//! values) and in linear memory. An async forwarder needs both: an async
//! lower takes more than four flat parameters through memory, and
//! `task.return` takes up to sixteen flat results that an import left in
//! memory. Both forms are the Canonical ABI's, so a forwarder that moves
//! a value this way still passes it on unchanged, which the fuzzer's
//! faithfulness check confirms on the original.

use std::fmt::Write;

use super::types::{Def, Flat, Ty, Types, align_to, discriminant_size};

/// Code being written, with the temporary locals it uses (`$t<i>`).
#[derive(Debug)]
pub struct Moves<'a> {
    types: &'a Types,
    pub code: String,
    pub locals: Vec<Flat>,
}

/// A variant's cases: `option`, `result` and named variants alike.
fn cases_of<'t>(types: &'t Types, ty: &'t Ty) -> Option<Vec<Option<&'t Ty>>> {
    match ty {
        Ty::Option(t) => Some(vec![None, Some(t)]),
        Ty::Result(ok, err) => Some(vec![ok.as_deref(), err.as_deref()]),
        Ty::Named(index) => match &types.defs[*index] {
            Def::Variant(cases) => Some(cases.iter().map(Option::as_ref).collect()),
            _ => None,
        },
        _ => None,
    }
}

/// The fields of a record or tuple.
fn fields_of<'t>(types: &'t Types, ty: &'t Ty) -> Option<&'t [Ty]> {
    match ty {
        Ty::Tuple(fields) | Ty::FixedList(fields) => Some(fields),
        Ty::Named(index) => match &types.defs[*index] {
            Def::Record(fields) => Some(fields),
            _ => None,
        },
        _ => None,
    }
}

/// The load and store instructions of an unsigned `i32` of `size` bytes.
fn unsigned(size: u32) -> (&'static str, &'static str) {
    match size {
        1 => ("i32.load8_u", "i32.store8"),
        2 => ("i32.load16_u", "i32.store16"),
        _ => ("i32.load", "i32.store"),
    }
}

/// The fields of a tuple `tys` laid out from `offset`: each with its
/// offset and the range of its flat values.
fn fields_at<'t>(
    types: &Types,
    tys: &'t [Ty],
    offset: u32,
) -> Vec<(&'t Ty, u32, std::ops::Range<usize>)> {
    let (mut at, mut slot) = (offset, 0);
    let mut out = Vec::with_capacity(tys.len());
    for ty in tys {
        let (size, align) = types.size_align(ty);
        at = align_to(at, align);
        let count = types.flat_all(std::slice::from_ref(ty)).len();
        out.push((ty, at, slot..slot + count));
        slot += count;
        at += size;
    }
    out
}

/// The load and store instructions of a scalar of `ty`, with its size:
/// `None` for a type that is not one memory access.
fn access(types: &Types, ty: &Ty) -> Option<(&'static str, &'static str)> {
    Some(match ty {
        Ty::Bool | Ty::U8 => unsigned(1),
        Ty::S8 => ("i32.load8_s", "i32.store8"),
        Ty::U16 => unsigned(2),
        Ty::S16 => ("i32.load16_s", "i32.store16"),
        Ty::S32 | Ty::U32 | Ty::Char | Ty::Own | Ty::Borrow => unsigned(4),
        Ty::Stream(_) | Ty::Future(_) => unsigned(4),
        Ty::S64 | Ty::U64 => ("i64.load", "i64.store"),
        Ty::F32 => ("f32.load", "f32.store"),
        Ty::F64 => ("f64.load", "f64.store"),
        Ty::Named(index) => match &types.defs[*index] {
            Def::Enum(_) | Def::Flags(_) => unsigned(types.size_align(ty).0),
            _ => return None,
        },
        _ => return None,
    })
}

/// Where a variant's payload starts, from the variant's start.
fn payload_offset(types: &Types, cases: &[Option<&Ty>]) -> u32 {
    let disc = discriminant_size(cases.len());
    let align = cases
        .iter()
        .flatten()
        .map(|t| types.size_align(t).1)
        .fold(disc, u32::max);
    align_to(disc, align)
}

/// `value` (of flat type `have`) as the variant slot type `want`, as
/// lowering a variant widens it.
fn widen(value: &str, have: Flat, want: Flat) -> String {
    match (have, want) {
        (a, b) if a == b => value.to_owned(),
        (Flat::F32, Flat::I32) => format!("(i32.reinterpret_f32 {value})"),
        (Flat::I32, Flat::I64) => format!("(i64.extend_i32_u {value})"),
        (Flat::F32, Flat::I64) => format!("(i64.extend_i32_u (i32.reinterpret_f32 {value}))"),
        (Flat::F64, Flat::I64) => format!("(i64.reinterpret_f64 {value})"),
        _ => unreachable!("no variant joins {have:?} into {want:?}"),
    }
}

/// `value` (a variant slot of type `have`) as the case's own flat type
/// `want`, as lifting a variant narrows it.
fn narrow(value: &str, have: Flat, want: Flat) -> String {
    match (have, want) {
        (a, b) if a == b => value.to_owned(),
        (Flat::I32, Flat::F32) => format!("(f32.reinterpret_i32 {value})"),
        (Flat::I64, Flat::I32) => format!("(i32.wrap_i64 {value})"),
        (Flat::I64, Flat::F32) => format!("(f32.reinterpret_i32 (i32.wrap_i64 {value}))"),
        (Flat::I64, Flat::F64) => format!("(f64.reinterpret_i64 {value})"),
        _ => unreachable!("no variant joins {want:?} into {have:?}"),
    }
}

impl<'a> Moves<'a> {
    pub fn new(types: &'a Types) -> Self {
        Moves {
            types,
            code: String::new(),
            locals: Vec::new(),
        }
    }

    /// A new temporary local of type `flat`: its name.
    fn temp(&mut self, flat: Flat) -> String {
        self.locals.push(flat);
        format!("$t{}", self.locals.len() - 1)
    }

    /// Loads the tuple `tys` laid out at `addr` (a WAT expression, read
    /// more than once) into new locals: their names, in flat order.
    pub fn load_all(&mut self, tys: &[Ty], addr: &str) -> Vec<(String, Flat)> {
        let flats = self.types.flat_all(tys);
        let dest: Vec<(String, Flat)> = flats.iter().map(|&f| (self.temp(f), f)).collect();
        self.load_fields(tys, addr, 0, &dest);
        dest
    }

    fn load_fields(&mut self, tys: &[Ty], addr: &str, offset: u32, dest: &[(String, Flat)]) {
        for (ty, at, slots) in fields_at(self.types, tys, offset) {
            self.load(ty, addr, at, &dest[slots]);
        }
    }

    fn load(&mut self, ty: &Ty, addr: &str, offset: u32, dest: &[(String, Flat)]) {
        if let Some((load, _)) = access(self.types, ty) {
            let _ = writeln!(
                self.code,
                "    (local.set {} ({load} offset={offset} {addr}))",
                dest[0].0
            );
        } else if matches!(ty, Ty::String | Ty::List(_) | Ty::Map(_)) {
            for (i, (name, _)) in dest.iter().enumerate() {
                let _ = writeln!(
                    self.code,
                    "    (local.set {name} (i32.load offset={} {addr}))",
                    offset + 4 * i as u32
                );
            }
        } else if let Some(fields) = fields_of(self.types, ty) {
            self.load_fields(fields, addr, offset, dest);
        } else if let Some(cases) = cases_of(self.types, ty) {
            let (load, _) = unsigned(discriminant_size(cases.len()));
            let disc = &dest[0].0;
            let _ = writeln!(
                self.code,
                "    (local.set {disc} ({load} offset={offset} {addr}))"
            );
            let payload = offset + payload_offset(self.types, &cases);
            for (k, case) in cases.iter().enumerate() {
                let Some(case) = case else { continue };
                let own = self.types.flat_all(std::slice::from_ref(*case));
                let temps: Vec<(String, Flat)> = own.iter().map(|&f| (self.temp(f), f)).collect();
                let _ = writeln!(
                    self.code,
                    "    (if (i32.eq (local.get {disc}) (i32.const {k})) (then"
                );
                self.load(case, addr, payload, &temps);
                for ((temp, have), (slot, want)) in temps.iter().zip(&dest[1..]) {
                    let value = widen(&format!("(local.get {temp})"), *have, *want);
                    let _ = writeln!(self.code, "    (local.set {slot} {value})");
                }
                self.code.push_str("    ))\n");
            }
        } else {
            unreachable!("every type loads: {ty:?}");
        }
    }

    /// Stores the flat values `src` (WAT expressions, each read possibly
    /// more than once, with their types) of the tuple `tys` at `addr`.
    pub fn store_all(&mut self, tys: &[Ty], src: &[(String, Flat)], addr: &str) {
        self.store_fields(tys, src, addr, 0);
    }

    fn store_fields(&mut self, tys: &[Ty], src: &[(String, Flat)], addr: &str, offset: u32) {
        for (ty, at, slots) in fields_at(self.types, tys, offset) {
            self.store(ty, &src[slots], addr, at);
        }
    }

    fn store(&mut self, ty: &Ty, src: &[(String, Flat)], addr: &str, offset: u32) {
        if let Some((_, store)) = access(self.types, ty) {
            let _ = writeln!(
                self.code,
                "    ({store} offset={offset} {addr} {})",
                src[0].0
            );
        } else if matches!(ty, Ty::String | Ty::List(_) | Ty::Map(_)) {
            for (i, (value, _)) in src.iter().enumerate() {
                let _ = writeln!(
                    self.code,
                    "    (i32.store offset={} {addr} {value})",
                    offset + 4 * i as u32
                );
            }
        } else if let Some(fields) = fields_of(self.types, ty) {
            self.store_fields(fields, src, addr, offset);
        } else if let Some(cases) = cases_of(self.types, ty) {
            let (_, store) = unsigned(discriminant_size(cases.len()));
            let disc = &src[0].0;
            let _ = writeln!(self.code, "    ({store} offset={offset} {addr} {disc})");
            let payload = offset + payload_offset(self.types, &cases);
            for (k, case) in cases.iter().enumerate() {
                let Some(case) = case else { continue };
                let own = self.types.flat_all(std::slice::from_ref(*case));
                let values: Vec<(String, Flat)> = own
                    .iter()
                    .zip(&src[1..])
                    .map(|(&want, (value, have))| (narrow(value, *have, want), want))
                    .collect();
                let _ = writeln!(self.code, "    (if (i32.eq {disc} (i32.const {k})) (then");
                self.store(case, &values, addr, payload);
                self.code.push_str("    ))\n");
            }
        } else {
            unreachable!("every type stores: {ty:?}");
        }
    }
}
