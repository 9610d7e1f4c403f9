//! Random component value types, their WIT text and their Canonical ABI
//! shape (flattened core types, size and alignment in memory).
//!
//! Named types (records, variants, enums, flags) live in one `types`
//! interface as `t0`, `t1`, …; a named type only refers to earlier ones,
//! so the set is acyclic by construction. The one resource, `r`, is the
//! host's.

use arbitrary::{Result, Unstructured};

/// Deepest nesting of a generated type.
pub const MAX_DEPTH: usize = 6;

/// A value type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Box<Ty>),
    /// `map<K, V>`: its entries' type, a [`Ty::Tuple`] of `K` and `V` (in
    /// the Canonical ABI a map is a list of them).
    Map(Box<Ty>),
    /// `list<T, N>`: `N` copies of `T` (laid out and flattened as a tuple of
    /// them).
    FixedList(Vec<Ty>),
    Tuple(Vec<Ty>),
    Option(Box<Ty>),
    Result(Option<Box<Ty>>, Option<Box<Ty>>),
    /// `t{index}` of [`Types`].
    Named(usize),
    /// `own<r>`.
    Own,
    /// `borrow<r>` (parameters only).
    Borrow,
    /// The readable end of a `stream<T>`, `T` one of [`PAYLOADS`].
    Stream(Box<Ty>),
    /// The readable end of a `future<T>`, `T` one of [`PAYLOADS`].
    Future(Box<Ty>),
}

/// The payload types of the generated streams and futures: the host makes
/// and takes their ends with a Rust type for each.
pub const PAYLOADS: [Ty; 3] = [Ty::U8, Ty::U32, Ty::String];

/// The key types of the generated maps (the Component Model allows the
/// primitive ones).
pub const MAP_KEYS: [Ty; 5] = [Ty::String, Ty::U32, Ty::S64, Ty::Char, Ty::Bool];

/// A named type's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Def {
    Record(Vec<Ty>),
    Variant(Vec<Option<Ty>>),
    Enum(u32),
    Flags(u32),
}

/// A core value type of the flattened ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flat {
    I32,
    I64,
    F32,
    F64,
}

impl Flat {
    pub fn wat(self) -> &'static str {
        match self {
            Flat::I32 => "i32",
            Flat::I64 => "i64",
            Flat::F32 => "f32",
            Flat::F64 => "f64",
        }
    }

    /// The Canonical ABI's `join` of two flat types of variant cases.
    fn join(self, other: Flat) -> Flat {
        match (self, other) {
            (a, b) if a == b => a,
            (Flat::I32, Flat::F32) | (Flat::F32, Flat::I32) => Flat::I32,
            _ => Flat::I64,
        }
    }
}

/// Which kinds of type a generated case used, for the coverage report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List,
    Map,
    FixedList,
    Tuple,
    Option,
    Result,
    Record,
    Variant,
    Enum,
    Flags,
    Own,
    Borrow,
    Stream,
    Future,
    /// A variant, enum or flags of more than 256 cases or 16 flags: a
    /// discriminant or flags word wider than one byte.
    Wide,
    /// A type nested [`MAX_DEPTH`] levels deep (a leaf at the sixth level).
    Deepest,
}

/// The named types of one generated case.
#[derive(Debug, Clone, Default)]
pub struct Types {
    pub defs: Vec<Def>,
}

impl Types {
    /// A random type at most `depth` deep, spending `budget` (nodes
    /// left), with `borrow` handles only if `borrows`.
    pub fn ty(
        &mut self,
        u: &mut Unstructured,
        depth: usize,
        borrows: bool,
        budget: &mut usize,
    ) -> Result<Ty> {
        *budget = budget.saturating_sub(1);
        let leaf = depth == 0 || *budget == 0;
        let choices = if leaf { 15 } else { 24 };
        Ok(match u.choose_index(choices)? {
            0 => Ty::Bool,
            1 => Ty::S8,
            2 => Ty::U8,
            3 => Ty::S16,
            4 => Ty::U16,
            5 => Ty::S32,
            6 => Ty::U32,
            7 => Ty::S64,
            8 => Ty::U64,
            9 => Ty::F32,
            10 => Ty::F64,
            11 => Ty::Char,
            12 => Ty::String,
            13 => Ty::Own,
            14 if borrows => Ty::Borrow,
            14 => Ty::String,
            15 | 16 => Ty::List(Box::new(self.ty(u, depth - 1, borrows, budget)?)),
            17 => {
                let n = 1 + u.choose_index(4)?;
                Ty::Tuple(self.tys(u, n, depth - 1, borrows, budget)?)
            }
            18 => Ty::Option(Box::new(self.ty(u, depth - 1, borrows, budget)?)),
            19 => {
                let ok = self.maybe(u, depth - 1, borrows, budget)?;
                let err = self.maybe(u, depth - 1, borrows, budget)?;
                Ty::Result(ok.map(Box::new), err.map(Box::new))
            }
            20 => {
                let n = 1 + u.choose_index(5)?;
                let fields = self.tys(u, n, depth - 1, borrows, budget)?;
                self.define(Def::Record(fields))
            }
            21 => {
                let n = match u.ratio(1, 24)? {
                    true => 257 + u.choose_index(4)?,
                    false => 1 + u.choose_index(5)?,
                };
                let mut cases = Vec::with_capacity(n);
                for _ in 0..n {
                    cases.push(match n <= 8 {
                        true => self.maybe(u, depth - 1, borrows, budget)?,
                        // Wide variants: mostly empty cases, a few typed.
                        false if u.ratio(1, 64)? => self.maybe(u, depth - 1, borrows, budget)?,
                        false => None,
                    });
                }
                self.define(Def::Variant(cases))
            }
            22 => {
                let n = match u.ratio(1, 16)? {
                    true => 257 + u.choose_index(8)?,
                    false => 1 + u.choose_index(6)?,
                };
                self.define(Def::Enum(n as u32))
            }
            _ => {
                let n = 1 + u.choose_index(32)?;
                self.define(Def::Flags(n as u32))
            }
        })
    }

    /// A map or a fixed-length list of a random type (up to `depth` levels
    /// in all), perhaps in a list, an option, a record or a variant: drawn
    /// apart from [`Types::ty`] (whose draws decide the cases of the seeds
    /// found before maps and fixed-length lists were generated).
    pub fn container(&mut self, u: &mut Unstructured, depth: usize, borrows: bool) -> Result<Ty> {
        let depth = depth.max(1);
        let wraps = u.choose_index(depth.min(3))?;
        let inner_depth = depth - 1 - wraps;
        let inner = match inner_depth > 0 && u.ratio(1, 4)? {
            true => self.container(u, inner_depth, borrows)?,
            false => {
                let mut budget = 6;
                let depth = u.choose_index(inner_depth + 1)?;
                self.ty(u, depth, borrows, &mut budget)?
            }
        };
        let mut ty = match u.arbitrary()? {
            true => Ty::Map(Box::new(Ty::Tuple(vec![
                u.choose(&MAP_KEYS)?.clone(),
                inner,
            ]))),
            false => {
                // mostly short; now and then more than 16 flat values
                let n = match u.ratio(1, 8)? {
                    true => 17 + u.choose_index(8)?,
                    false => 1 + u.choose_index(4)?,
                };
                Ty::FixedList(vec![inner; n])
            }
        };
        for _ in 0..wraps {
            ty = match u.choose_index(4)? {
                0 => Ty::List(Box::new(ty)),
                1 => Ty::Option(Box::new(ty)),
                2 => self.define(Def::Record(vec![Ty::U8, ty])),
                _ => self.define(Def::Variant(vec![None, Some(ty), Some(Ty::U32)])),
            };
        }
        Ok(ty)
    }

    /// A type holding one stream or future end, in up to three random
    /// containers. It holds no `borrow`: it may be a result.
    pub fn end(&mut self, u: &mut Unstructured) -> Result<Ty> {
        let payload = Box::new(u.choose(&PAYLOADS)?.clone());
        let mut ty = match u.arbitrary()? {
            true => Ty::Stream(payload),
            false => Ty::Future(payload),
        };
        for _ in 0..u.choose_index(4)? {
            ty = match u.choose_index(6)? {
                0 => Ty::List(Box::new(ty)),
                1 => Ty::Option(Box::new(ty)),
                2 => Ty::Tuple(vec![Ty::String, ty]),
                3 => Ty::Result(Some(Box::new(ty)), Some(Box::new(Ty::U8))),
                4 => self.define(Def::Record(vec![Ty::U16, ty])),
                _ => self.define(Def::Variant(vec![None, Some(ty), Some(Ty::F64)])),
            };
        }
        Ok(ty)
    }

    /// A type of [`MAX_DEPTH`] levels: a random leaf in random containers.
    /// It holds no `borrow`: it may be a result.
    pub fn deep(&mut self, u: &mut Unstructured) -> Result<Ty> {
        let mut budget = 1;
        let mut ty = self.ty(u, 0, false, &mut budget)?;
        for _ in 1..MAX_DEPTH {
            ty = match u.choose_index(6)? {
                0 => Ty::List(Box::new(ty)),
                1 => Ty::Option(Box::new(ty)),
                2 => Ty::Tuple(vec![Ty::U8, ty]),
                3 => Ty::Result(None, Some(Box::new(ty))),
                4 => self.define(Def::Record(vec![ty, Ty::U16])),
                _ => self.define(Def::Variant(vec![None, Some(ty)])),
            };
        }
        Ok(ty)
    }

    /// A named type: an existing one with the same definition, else a new
    /// one.
    pub fn define(&mut self, def: Def) -> Ty {
        match self.defs.iter().position(|d| *d == def) {
            Some(index) => Ty::Named(index),
            None => {
                self.defs.push(def);
                Ty::Named(self.defs.len() - 1)
            }
        }
    }

    fn tys(
        &mut self,
        u: &mut Unstructured,
        n: usize,
        depth: usize,
        borrows: bool,
        budget: &mut usize,
    ) -> Result<Vec<Ty>> {
        (0..n).map(|_| self.ty(u, depth, borrows, budget)).collect()
    }

    fn maybe(
        &mut self,
        u: &mut Unstructured,
        depth: usize,
        borrows: bool,
        budget: &mut usize,
    ) -> Result<Option<Ty>> {
        match u.ratio(1, 4)? {
            true => Ok(None),
            false => self.ty(u, depth, borrows, budget).map(Some),
        }
    }

    /// The WIT text of `ty`.
    pub fn wit(&self, ty: &Ty) -> String {
        match ty {
            Ty::Bool => "bool".into(),
            Ty::S8 => "s8".into(),
            Ty::U8 => "u8".into(),
            Ty::S16 => "s16".into(),
            Ty::U16 => "u16".into(),
            Ty::S32 => "s32".into(),
            Ty::U32 => "u32".into(),
            Ty::S64 => "s64".into(),
            Ty::U64 => "u64".into(),
            Ty::F32 => "f32".into(),
            Ty::F64 => "f64".into(),
            Ty::Char => "char".into(),
            Ty::String => "string".into(),
            Ty::List(t) => format!("list<{}>", self.wit(t)),
            Ty::Map(entry) => match entry.as_ref() {
                Ty::Tuple(kv) => format!("map<{}>", self.wit_list(kv)),
                other => unreachable!("a map's entry is a tuple: {other:?}"),
            },
            Ty::FixedList(ts) => format!("list<{}, {}>", self.wit(&ts[0]), ts.len()),
            Ty::Tuple(ts) => format!("tuple<{}>", self.wit_list(ts)),
            Ty::Option(t) => format!("option<{}>", self.wit(t)),
            Ty::Result(None, None) => "result".into(),
            Ty::Result(Some(ok), None) => format!("result<{}>", self.wit(ok)),
            Ty::Result(None, Some(err)) => format!("result<_, {}>", self.wit(err)),
            Ty::Result(Some(ok), Some(err)) => {
                format!("result<{}, {}>", self.wit(ok), self.wit(err))
            }
            Ty::Named(index) => format!("t{index}"),
            Ty::Own => "r".into(),
            Ty::Borrow => "borrow<r>".into(),
            Ty::Stream(t) => format!("stream<{}>", self.wit(t)),
            Ty::Future(t) => format!("future<{}>", self.wit(t)),
        }
    }

    fn wit_list(&self, tys: &[Ty]) -> String {
        tys.iter()
            .map(|t| self.wit(t))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The WIT definitions of every named type.
    pub fn wit_defs(&self) -> String {
        let mut out = String::new();
        for (index, def) in self.defs.iter().enumerate() {
            let body = match def {
                Def::Record(fields) => {
                    let fields = fields.iter().enumerate();
                    let fields: Vec<String> = fields
                        .map(|(i, t)| format!("f{i}: {}", self.wit(t)))
                        .collect();
                    format!("record t{index} {{ {} }}", fields.join(", "))
                }
                Def::Variant(cases) => {
                    let cases = cases.iter().enumerate().map(|(i, t)| match t {
                        Some(t) => format!("c{i}({})", self.wit(t)),
                        None => format!("c{i}"),
                    });
                    let cases: Vec<String> = cases.collect();
                    format!("variant t{index} {{ {} }}", cases.join(", "))
                }
                Def::Enum(n) => {
                    let cases: Vec<String> = (0..*n).map(|i| format!("e{i}")).collect();
                    format!("enum t{index} {{ {} }}", cases.join(", "))
                }
                Def::Flags(n) => {
                    let flags: Vec<String> = (0..*n).map(|i| format!("g{i}")).collect();
                    format!("flags t{index} {{ {} }}", flags.join(", "))
                }
            };
            out.push_str("  ");
            out.push_str(&body);
            out.push('\n');
        }
        out
    }

    /// `ty` flattened to core values.
    pub fn flat(&self, ty: &Ty, out: &mut Vec<Flat>) {
        match ty {
            Ty::Bool
            | Ty::S8
            | Ty::U8
            | Ty::S16
            | Ty::U16
            | Ty::S32
            | Ty::U32
            | Ty::Char
            | Ty::Own
            | Ty::Borrow
            | Ty::Stream(_)
            | Ty::Future(_) => out.push(Flat::I32),
            Ty::S64 | Ty::U64 => out.push(Flat::I64),
            Ty::F32 => out.push(Flat::F32),
            Ty::F64 => out.push(Flat::F64),
            Ty::String | Ty::List(_) | Ty::Map(_) => out.extend([Flat::I32, Flat::I32]),
            Ty::Tuple(ts) | Ty::FixedList(ts) => ts.iter().for_each(|t| self.flat(t, out)),
            Ty::Option(t) => self.flat_cases(&[None, Some(t)], out),
            Ty::Result(ok, err) => self.flat_cases(&[ok.as_deref(), err.as_deref()], out),
            Ty::Named(index) => match &self.defs[*index] {
                Def::Record(fields) => fields.iter().for_each(|t| self.flat(t, out)),
                Def::Variant(cases) => {
                    let cases: Vec<Option<&Ty>> = cases.iter().map(Option::as_ref).collect();
                    self.flat_cases(&cases, out)
                }
                Def::Enum(_) => out.push(Flat::I32),
                Def::Flags(_) => out.push(Flat::I32),
            },
        }
    }

    fn flat_cases(&self, cases: &[Option<&Ty>], out: &mut Vec<Flat>) {
        let mut joined: Vec<Flat> = Vec::new();
        for case in cases.iter().flatten() {
            let mut flat = Vec::new();
            self.flat(case, &mut flat);
            for (i, f) in flat.into_iter().enumerate() {
                match joined.get_mut(i) {
                    Some(j) => *j = j.join(f),
                    None => joined.push(f),
                }
            }
        }
        out.push(Flat::I32);
        out.extend(joined);
    }

    /// The flattened core values of `tys` in order.
    pub fn flat_all(&self, tys: &[Ty]) -> Vec<Flat> {
        let mut out = Vec::new();
        tys.iter().for_each(|t| self.flat(t, &mut out));
        out
    }

    /// Size and alignment of `ty` in linear memory.
    pub fn size_align(&self, ty: &Ty) -> (u32, u32) {
        match ty {
            Ty::Bool | Ty::S8 | Ty::U8 => (1, 1),
            Ty::S16 | Ty::U16 => (2, 2),
            Ty::S32 | Ty::U32 | Ty::F32 | Ty::Char | Ty::Own | Ty::Borrow => (4, 4),
            Ty::Stream(_) | Ty::Future(_) => (4, 4),
            Ty::S64 | Ty::U64 | Ty::F64 => (8, 8),
            Ty::String | Ty::List(_) | Ty::Map(_) => (8, 4),
            // (an element's size is a multiple of its alignment)
            Ty::Tuple(ts) | Ty::FixedList(ts) => self.record_size_align(ts),
            Ty::Option(t) => self.cases_size_align(&[None, Some(t)]),
            Ty::Result(ok, err) => self.cases_size_align(&[ok.as_deref(), err.as_deref()]),
            Ty::Named(index) => match &self.defs[*index] {
                Def::Record(fields) => self.record_size_align(fields),
                Def::Variant(cases) => {
                    let cases: Vec<Option<&Ty>> = cases.iter().map(Option::as_ref).collect();
                    self.cases_size_align(&cases)
                }
                Def::Enum(n) => {
                    let size = discriminant_size(*n as usize);
                    (size, size)
                }
                Def::Flags(n) => match n {
                    0..=8 => (1, 1),
                    9..=16 => (2, 2),
                    _ => (4, 4),
                },
            },
        }
    }

    /// Size and alignment of a record (or tuple, or parameter list) of
    /// `tys`.
    pub fn record_size_align(&self, tys: &[Ty]) -> (u32, u32) {
        let (mut size, mut align) = (0, 1);
        for t in tys {
            let (s, a) = self.size_align(t);
            size = align_to(size, a) + s;
            align = align.max(a);
        }
        (align_to(size, align), align)
    }

    fn cases_size_align(&self, cases: &[Option<&Ty>]) -> (u32, u32) {
        let disc = discriminant_size(cases.len());
        let (mut size, mut align) = (0, disc);
        for (s, a) in cases.iter().flatten().map(|t| self.size_align(t)) {
            size = size.max(s);
            align = align.max(a);
        }
        (align_to(align_to(disc, align) + size, align), align)
    }

    /// Whether `ty` holds a handle that passing it moves: an `own`, or a
    /// stream or future end.
    pub fn has_own(&self, ty: &Ty) -> bool {
        self.any(ty, &|t| {
            matches!(t, Ty::Own | Ty::Stream(_) | Ty::Future(_))
        })
    }

    /// Whether `ty` holds a `borrow` handle.
    pub fn has_borrow(&self, ty: &Ty) -> bool {
        self.any(ty, &|t| *t == Ty::Borrow)
    }

    /// Whether `ty` holds a string or a list (memory a lift must allocate).
    pub fn has_memory(&self, ty: &Ty) -> bool {
        self.any(ty, &|t| matches!(t, Ty::String | Ty::List(_) | Ty::Map(_)))
    }

    /// Whether `ty` holds a stream or future end.
    pub fn has_end(&self, ty: &Ty) -> bool {
        self.any(ty, &|t| matches!(t, Ty::Stream(_) | Ty::Future(_)))
    }

    /// Whether `ty` holds a stream or future end (of strings only if
    /// `strings`).
    pub fn has_relayed(&self, ty: &Ty, strings: bool) -> bool {
        self.any(
            ty,
            &|t| matches!(t, Ty::Stream(p) | Ty::Future(p) if strings || **p != Ty::String),
        )
    }

    /// Adds the stream and future types in `ty` to `out` in the order
    /// wit-parser lists a function's (`find_futures_and_streams`: depth
    /// first, every occurrence), whose positions name their built-ins.
    pub fn ends_in_order(&self, ty: &Ty, out: &mut Vec<Ty>) {
        match ty {
            Ty::Stream(_) | Ty::Future(_) => out.push(ty.clone()),
            Ty::List(t) | Ty::Map(t) | Ty::Option(t) => self.ends_in_order(t, out),
            Ty::Tuple(ts) | Ty::FixedList(ts) => ts.iter().for_each(|t| self.ends_in_order(t, out)),
            Ty::Result(ok, err) => [ok, err]
                .into_iter()
                .flatten()
                .for_each(|t| self.ends_in_order(t, out)),
            Ty::Named(index) => match &self.defs[*index] {
                Def::Record(fields) => fields.iter().for_each(|t| self.ends_in_order(t, out)),
                Def::Variant(cases) => cases
                    .iter()
                    .flatten()
                    .for_each(|t| self.ends_in_order(t, out)),
                Def::Enum(_) | Def::Flags(_) => {}
            },
            _ => {}
        }
    }

    /// Whether `test` holds for `ty` or a type in it (not looking into a
    /// stream's or future's payload: passing an end passes no payload).
    pub fn any(&self, ty: &Ty, test: &dyn Fn(&Ty) -> bool) -> bool {
        if test(ty) {
            return true;
        }
        match ty {
            Ty::List(t) | Ty::Map(t) | Ty::Option(t) => self.any(t, test),
            Ty::Tuple(ts) | Ty::FixedList(ts) => ts.iter().any(|t| self.any(t, test)),
            Ty::Result(ok, err) => [ok, err].into_iter().flatten().any(|t| self.any(t, test)),
            Ty::Named(index) => match &self.defs[*index] {
                Def::Record(fields) => fields.iter().any(|t| self.any(t, test)),
                Def::Variant(cases) => cases.iter().flatten().any(|t| self.any(t, test)),
                Def::Enum(_) | Def::Flags(_) => false,
            },
            _ => false,
        }
    }

    /// Every kind `ty` uses, with its depth, added to `kinds`.
    pub fn kinds(&self, ty: &Ty, depth: usize, kinds: &mut Vec<Kind>) {
        if depth + 1 == MAX_DEPTH {
            kinds.push(Kind::Deepest);
        }
        let kind = match ty {
            Ty::Bool => Kind::Bool,
            Ty::S8 => Kind::S8,
            Ty::U8 => Kind::U8,
            Ty::S16 => Kind::S16,
            Ty::U16 => Kind::U16,
            Ty::S32 => Kind::S32,
            Ty::U32 => Kind::U32,
            Ty::S64 => Kind::S64,
            Ty::U64 => Kind::U64,
            Ty::F32 => Kind::F32,
            Ty::F64 => Kind::F64,
            Ty::Char => Kind::Char,
            Ty::String => Kind::String,
            Ty::Own => Kind::Own,
            Ty::Borrow => Kind::Borrow,
            Ty::Stream(_) => Kind::Stream,
            Ty::Future(_) => Kind::Future,
            Ty::List(t) => {
                self.kinds(t, depth + 1, kinds);
                Kind::List
            }
            // (its entry, a tuple, is no level of its own)
            Ty::Map(entry) => {
                if let Ty::Tuple(kv) = entry.as_ref() {
                    kv.iter().for_each(|t| self.kinds(t, depth + 1, kinds));
                }
                Kind::Map
            }
            Ty::FixedList(ts) => {
                self.kinds(&ts[0], depth + 1, kinds);
                Kind::FixedList
            }
            Ty::Option(t) => {
                self.kinds(t, depth + 1, kinds);
                Kind::Option
            }
            Ty::Tuple(ts) => {
                ts.iter().for_each(|t| self.kinds(t, depth + 1, kinds));
                Kind::Tuple
            }
            Ty::Result(ok, err) => {
                for t in [ok, err].into_iter().flatten() {
                    self.kinds(t, depth + 1, kinds);
                }
                Kind::Result
            }
            Ty::Named(index) => match &self.defs[*index] {
                Def::Record(fields) => {
                    fields.iter().for_each(|t| self.kinds(t, depth + 1, kinds));
                    Kind::Record
                }
                Def::Variant(cases) => {
                    cases
                        .iter()
                        .flatten()
                        .for_each(|t| self.kinds(t, depth + 1, kinds));
                    if cases.len() > 256 {
                        kinds.push(Kind::Wide);
                    }
                    Kind::Variant
                }
                Def::Enum(n) => {
                    if *n > 256 {
                        kinds.push(Kind::Wide);
                    }
                    Kind::Enum
                }
                Def::Flags(n) => {
                    if *n > 16 {
                        kinds.push(Kind::Wide);
                    }
                    Kind::Flags
                }
            },
        };
        kinds.push(kind);
    }
}

/// Bytes of the discriminant of a variant of `cases` cases.
pub fn discriminant_size(cases: usize) -> u32 {
    match cases {
        0..=256 => 1,
        257..=65536 => 2,
        _ => 4,
    }
}

/// `n` rounded up to a multiple of `align`.
pub fn align_to(n: u32, align: u32) -> u32 {
    n.div_ceil(align) * align
}
