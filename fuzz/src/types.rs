//! Component function types for the core functions of generated modules.
//!
//! A core function can be lifted (or an import lowered) with any component
//! type whose flattening, as the Canonical ABI defines it, is the core
//! signature. [`lift`] and [`lower`] pick one such type: scalars, and when
//! the component has a memory (with a `realloc`) also strings and lists
//! (a pointer and a length), results through a return pointer and
//! parameters spilled to memory (more than 16 flat values), and options
//! (a discriminant and a payload) either way.

use arbitrary::{Result, Unstructured};
use wasmparser::ValType;

use super::wrap::leb;

/// A component primitive type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
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
}

impl Prim {
    const ALL: [Prim; 13] = [
        Prim::Bool,
        Prim::S8,
        Prim::U8,
        Prim::S16,
        Prim::U16,
        Prim::S32,
        Prim::U32,
        Prim::S64,
        Prim::U64,
        Prim::F32,
        Prim::F64,
        Prim::Char,
        Prim::String,
    ];

    fn byte(self) -> u8 {
        match self {
            Prim::Bool => 0x7f,
            Prim::S8 => 0x7e,
            Prim::U8 => 0x7d,
            Prim::S16 => 0x7c,
            Prim::U16 => 0x7b,
            Prim::S32 => 0x7a,
            Prim::U32 => 0x79,
            Prim::S64 => 0x78,
            Prim::U64 => 0x77,
            Prim::F32 => 0x76,
            Prim::F64 => 0x75,
            Prim::Char => 0x74,
            Prim::String => 0x73,
        }
    }

    fn flat(self, out: &mut Vec<ValType>) {
        match self {
            Prim::S64 | Prim::U64 => out.push(ValType::I64),
            Prim::F32 => out.push(ValType::F32),
            Prim::F64 => out.push(ValType::F64),
            Prim::String => out.extend([ValType::I32, ValType::I32]),
            _ => out.push(ValType::I32),
        }
    }

    /// A primitive other than `string`, which needs a memory.
    fn scalar(u: &mut Unstructured<'_>) -> Result<Prim> {
        u.choose(&Prim::ALL[..12]).copied()
    }
}

/// The primitives a core value type can be lifted as.
fn liftable(ty: ValType) -> &'static [Prim] {
    use Prim::*;
    match ty {
        ValType::I32 => &[Bool, S8, U8, S16, U16, S32, U32, Char],
        ValType::I64 => &[S64, U64],
        ValType::F32 => &[F32],
        ValType::F64 => &[F64],
        _ => &[],
    }
}

/// A component value type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Prim(Prim),
    List(Prim),
    Tuple(Vec<Prim>),
    Option(Prim),
}

impl Ty {
    fn flat(&self, out: &mut Vec<ValType>) {
        match self {
            Ty::Prim(p) => p.flat(out),
            Ty::List(_) => out.extend([ValType::I32, ValType::I32]),
            Ty::Tuple(ps) => ps.iter().for_each(|p| p.flat(out)),
            Ty::Option(p) => {
                out.push(ValType::I32);
                p.flat(out);
            }
        }
    }

    /// A type of more than one flat value (returned through a pointer).
    fn in_memory(u: &mut Unstructured<'_>) -> Result<Ty> {
        Ok(match u.int_in_range(0..=3u8)? {
            0 => Ty::Prim(Prim::String),
            1 => Ty::List(*u.choose(&Prim::ALL)?),
            2 => Ty::Option(*u.choose(&Prim::ALL)?),
            _ => {
                // A bounded count: `ratio` answers yes for ever once the
                // data runs out.
                let mut ps = Vec::new();
                for _ in 0..u.int_in_range(2..=5)? {
                    ps.push(*u.choose(&Prim::ALL)?);
                }
                Ty::Tuple(ps)
            }
        })
    }
}

/// A component function type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncType {
    pub params: Vec<Ty>,
    pub result: Option<Ty>,
}

impl FuncType {
    fn flat(&self) -> (Vec<ValType>, Vec<ValType>) {
        let (mut params, mut results) = (Vec::new(), Vec::new());
        self.params.iter().for_each(|p| p.flat(&mut params));
        self.result.iter().for_each(|r| r.flat(&mut results));
        if params.len() > 16 {
            params = vec![ValType::I32];
        }
        (params, results)
    }

    /// The core signature a lowered import of this type has.
    pub fn lowered(&self) -> (Vec<ValType>, Vec<ValType>) {
        let (mut params, mut results) = self.flat();
        if results.len() > 1 {
            params.push(ValType::I32);
            results.clear();
        }
        (params, results)
    }
}

/// A type to lift a core function of signature `(params, results)` with
/// (`memory`: whether the component has a memory and a `realloc`).
pub fn lift(
    u: &mut Unstructured<'_>,
    (params, results): &(Vec<ValType>, Vec<ValType>),
    memory: bool,
) -> Result<Option<FuncType>> {
    let result = match results[..] {
        [] => None,
        [ValType::I32] if memory && u.ratio(1, 3)? => Some(Ty::in_memory(u)?),
        [r] => match liftable(r) {
            [] => return Ok(None),
            prims => Some(Ty::Prim(*u.choose(prims)?)),
        },
        _ => return Ok(None),
    };
    Ok(params_for(u, params, memory)?.map(|params| FuncType { params, result }))
}

/// A type to lower as an import of signature `(params, results)`.
pub fn lower(
    u: &mut Unstructured<'_>,
    (params, results): &(Vec<ValType>, Vec<ValType>),
    memory: bool,
) -> Result<Option<FuncType>> {
    let (params, result) = match (&params[..], &results[..]) {
        ([rest @ .., ValType::I32], []) if memory && u.ratio(1, 3)? => {
            (rest, Some(Ty::in_memory(u)?))
        }
        (params, []) => (params, None),
        (params, [r]) => match liftable(*r) {
            [] => return Ok(None),
            prims => (params, Some(Ty::Prim(*u.choose(prims)?))),
        },
        _ => return Ok(None),
    };
    Ok(params_for(u, params, memory)?.map(|params| FuncType { params, result }))
}

/// Component parameters flattening to `core`.
fn params_for(u: &mut Unstructured<'_>, core: &[ValType], memory: bool) -> Result<Option<Vec<Ty>>> {
    if core == [ValType::I32] && memory && u.ratio(1, 4)? {
        // Spilled: more than 16 flat values, passed in memory.
        let mut params = Vec::new();
        for _ in 0..u.int_in_range(17..=20)? {
            params.push(Ty::Prim(Prim::scalar(u)?));
        }
        return Ok(Some(params));
    }
    if core.len() > 16 {
        return Ok(None);
    }
    let mut params = Vec::new();
    let mut rest = core;
    while let [first, tail @ ..] = rest {
        if let (ValType::I32, [second, tail2 @ ..]) = (first, tail) {
            if *second == ValType::I32 && memory && u.ratio(1, 3)? {
                params.push(match u.arbitrary()? {
                    true => Ty::Prim(Prim::String),
                    false => Ty::List(*u.choose(&Prim::ALL)?),
                });
                rest = tail2;
                continue;
            }
            if u.ratio(1, 6)? && !liftable(*second).is_empty() {
                params.push(Ty::Option(*u.choose(liftable(*second))?));
                rest = tail2;
                continue;
            }
        }
        match liftable(*first) {
            [] => return Ok(None),
            prims => params.push(Ty::Prim(*u.choose(prims)?)),
        }
        rest = tail;
    }
    Ok(Some(params))
}

/// A component type section being written: value types are defined as
/// needed, before the function types that use them.
#[derive(Default)]
pub struct Types {
    pub bytes: Vec<u8>,
    pub count: usize,
}

impl Types {
    /// Defines `ty` and returns its type index.
    pub fn func(&mut self, ty: &FuncType) -> usize {
        let params: Vec<Vec<u8>> = ty.params.iter().map(|p| self.val(p)).collect();
        let result = ty.result.as_ref().map(|r| self.val(r));
        self.bytes.push(0x40);
        leb(&mut self.bytes, params.len());
        for (i, p) in params.iter().enumerate() {
            leb(&mut self.bytes, format!("p{i}").len());
            self.bytes.extend(format!("p{i}").bytes());
            self.bytes.extend(p);
        }
        match result {
            Some(r) => {
                self.bytes.push(0x00);
                self.bytes.extend(r);
            }
            None => self.bytes.extend([0x01, 0x00]),
        }
        self.count += 1;
        self.count - 1
    }

    /// The encoding of `ty` as a `valtype`, defining it first if needed.
    fn val(&mut self, ty: &Ty) -> Vec<u8> {
        let defined = match ty {
            Ty::Prim(p) => return vec![p.byte()],
            Ty::List(p) => vec![0x70, p.byte()],
            Ty::Option(p) => vec![0x6b, p.byte()],
            Ty::Tuple(ps) => {
                let mut bytes = vec![0x6f];
                leb(&mut bytes, ps.len());
                bytes.extend(ps.iter().map(|p| p.byte()));
                bytes
            }
        };
        self.bytes.extend(defined);
        self.count += 1;
        // A type index is an s33: positive, so a signed LEB128.
        let mut index = (self.count - 1) as u64;
        let mut out = Vec::new();
        loop {
            let byte = (index & 0x7f) as u8;
            index >>= 7;
            if index == 0 && byte & 0x40 == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }
}
