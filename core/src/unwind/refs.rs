//! References in saved frames.
//!
//! A frame is saved in linear memory, which cannot hold a reference (a
//! struct, an array, a function reference, an `exnref`, an `externref`).
//! So the transform adds, for each reference type some saved frame holds,
//! a table of that type (made nullable) and keeps the reference in a slot
//! of it; the frame holds the slot's index, or [`NULL`] for a null
//! reference, which takes no slot. Restoring the frame takes the
//! reference out and empties the slot again, so a slot is taken exactly
//! while its frame is saved, whichever task's frame it is and in whatever
//! order tasks resume.
//!
//! A slot is free when it is null (saved nulls take none), so finding one
//! needs no list of its own: [`alloc_body`] looks from a hint
//! (the slot after the last one taken, or the last one emptied) round the
//! table for a null one, and grows the table when all are taken. The
//! table's type is the reference's own (made nullable), so the reference
//! comes back with its type without a cast, and an output needs no
//! proposal its input does not use.
//!
//! A function that unwinds returns values that stand for nothing (its
//! caller unwinds too and never reads them): zero, or a null reference.
//! A non-nullable reference type has no null, so it gets a placeholder,
//! an immutable global made by a constant expression
//! ([`RefTables::placeholder`]): a struct of placeholders, an empty array,
//! a reference to an added function that traps, an `i31`.

use crate::error::{Error, Result};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, ConstExpr, Function, FunctionSection, GlobalSection, GlobalType, Instruction as I,
    TableSection, TableType,
};
use wasmparser::{
    AbstractHeapType, CompositeInnerType, HeapType, RefType, StorageType, SubType, ValType,
};

/// What a frame holds for a null reference (no slot).
pub(super) const NULL: i32 = -1;

/// What the transform adds to the module for references: the tables
/// (with a hint global and a function that finds a free slot each) for
/// the reference types saved frames hold, and the placeholders a function
/// returning a non-nullable reference returns while unwinding.
#[derive(Debug)]
pub(super) struct RefTables {
    first_table: u32,
    first_global: u32,
    first_func: u32,
    tables: Vec<Slots>,
    globals: Vec<Global>,
    funcs: Vec<Func>,
    /// The placeholder global of each non-nullable type that has one.
    placeholders: Vec<(RefType, u32)>,
}

/// One added table: where a reference of its type is saved.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slots {
    pub(super) table: u32,
    /// The slot to look at first.
    pub(super) hint: u32,
    /// `(func (result i32))`: a free slot's index, taken (the hint moves
    /// past it); grows the table when none is free, or traps.
    pub(super) alloc: u32,
    /// The table's element type.
    pub(super) ty: RefType,
}

#[derive(Debug)]
enum Global {
    /// A table's hint: a mutable `i32`, 0 at first.
    Hint(RefType),
    /// An immutable global of a non-nullable type, holding a value that
    /// stands for nothing: what an unwinding function returns (its caller
    /// unwinds too and never reads it).
    Placeholder(RefType, Init),
}

/// How a placeholder is made, as a constant expression.
#[derive(Debug)]
enum Init {
    /// `ref.func` of an added function that traps.
    Func(u32),
    /// `array.new_fixed $t 0`.
    EmptyArray(u32),
    /// `struct.new $t` of a placeholder per field.
    Struct(u32, Vec<Field>),
    /// `ref.i31 (i32.const 0)`.
    I31,
}

#[derive(Debug)]
enum Field {
    Zero(ValType),
    Null(RefType),
    Global(u32),
}

#[derive(Debug)]
enum Func {
    Alloc(Slots),
    /// A function of the type (any, for `(ref func)`) that only traps:
    /// what a placeholder function reference refers to.
    Trap(Option<u32>),
}

impl RefTables {
    /// Tables, globals and functions added from these indices on (after
    /// the module's own).
    pub(super) fn new(first_table: u32, first_global: u32, first_func: u32) -> RefTables {
        RefTables {
            first_table,
            first_global,
            first_func,
            tables: Vec::new(),
            globals: Vec::new(),
            funcs: Vec::new(),
            placeholders: Vec::new(),
        }
    }

    /// How many tables are added.
    pub(super) fn table_count(&self) -> usize {
        self.tables.len()
    }

    pub(super) fn has_tables(&self) -> bool {
        !self.tables.is_empty()
    }

    pub(super) fn has_globals(&self) -> bool {
        !self.globals.is_empty()
    }

    /// Whether anything is added.
    pub(super) fn is_empty(&self) -> bool {
        self.globals.is_empty() && self.funcs.is_empty()
    }

    fn add_global(&mut self, global: Global) -> u32 {
        self.globals.push(global);
        self.first_global + self.globals.len() as u32 - 1
    }

    fn add_func(&mut self, func: Func) -> u32 {
        self.funcs.push(func);
        self.first_func + self.funcs.len() as u32 - 1
    }

    /// The table for references of type `t`, added on first use.
    pub(super) fn of(&mut self, t: RefType) -> Slots {
        let ty = t.nullable();
        if let Some(s) = self.tables.iter().find(|s| s.ty == ty) {
            return *s;
        }
        let table = self.first_table + self.tables.len() as u32;
        let hint = self.add_global(Global::Hint(ty));
        let alloc = self.first_func + self.funcs.len() as u32;
        let slots = Slots {
            table,
            hint,
            alloc,
            ty,
        };
        self.add_func(Func::Alloc(slots));
        self.tables.push(slots);
        slots
    }

    /// The global holding a placeholder of non-nullable type `t`, added on
    /// first use (`types`: the module's types). A type no constant
    /// expression makes a value of (an `exnref`, an `externref`, an
    /// abstract struct or array, a bottom type, a struct that must hold
    /// itself) is refused.
    pub(super) fn placeholder(&mut self, t: RefType, types: &[SubType]) -> Result<u32> {
        self.placeholder_within(t, types, &mut Vec::new())
    }

    fn placeholder_within(
        &mut self,
        t: RefType,
        types: &[SubType],
        making: &mut Vec<RefType>,
    ) -> Result<u32> {
        if let Some(&(_, g)) = self.placeholders.iter().find(|(u, _)| *u == t) {
            return Ok(g);
        }
        let refused = || {
            Error::unsupported(format!(
                "a function that can suspend returns a non-nullable reference ({}), and \
                 no constant makes one for it to return while unwinding",
                wat(t)
            ))
        };
        if making.contains(&t) {
            return Err(refused());
        }
        let init = match t.heap_type() {
            HeapType::Concrete(i) | HeapType::Exact(i) => {
                let i = i.as_module_index().ok_or_else(refused)?;
                let sub = types.get(i as usize).ok_or_else(refused)?;
                if sub.composite_type.shared {
                    return Err(refused());
                }
                match &sub.composite_type.inner {
                    CompositeInnerType::Func(_) => Init::Func(self.add_func(Func::Trap(Some(i)))),
                    CompositeInnerType::Array(_) => Init::EmptyArray(i),
                    CompositeInnerType::Struct(s) => {
                        making.push(t);
                        let mut fields = Vec::new();
                        for f in s.fields.iter() {
                            fields.push(match f.element_type {
                                StorageType::I8 | StorageType::I16 => Field::Zero(ValType::I32),
                                StorageType::Val(ValType::Ref(r)) if r.is_nullable() => {
                                    Field::Null(r)
                                }
                                StorageType::Val(ValType::Ref(r)) => {
                                    Field::Global(self.placeholder_within(r, types, making)?)
                                }
                                StorageType::Val(v) => Field::Zero(v),
                            });
                        }
                        making.pop();
                        Init::Struct(i, fields)
                    }
                    _ => return Err(refused()),
                }
            }
            HeapType::Abstract {
                shared: false,
                ty: AbstractHeapType::Func,
            } => Init::Func(self.add_func(Func::Trap(None))),
            HeapType::Abstract {
                shared: false,
                ty: AbstractHeapType::Any | AbstractHeapType::Eq | AbstractHeapType::I31,
            } => Init::I31,
            HeapType::Abstract { .. } => return Err(refused()),
        };
        let g = self.add_global(Global::Placeholder(t, init));
        self.placeholders.push((t, g));
        Ok(g)
    }

    /// The table section: the module's tables (`had`), then the added
    /// ones (empty at first).
    pub(super) fn table_section(
        &self,
        had: Option<wasmparser::TableSectionReader<'_>>,
    ) -> Result<TableSection> {
        let mut section = TableSection::new();
        if let Some(had) = had {
            RoundtripReencoder
                .parse_table_section(&mut section, had)
                .map_err(|e| reencoding("tables", e))?;
        }
        for s in &self.tables {
            section.table(TableType {
                element_type: ref_type(s.ty)?,
                table64: false,
                minimum: 0,
                maximum: None,
                shared: false,
            });
        }
        Ok(section)
    }

    /// The global section: the module's globals (`had`), then the added
    /// ones.
    pub(super) fn global_section(
        &self,
        had: Option<wasmparser::GlobalSectionReader<'_>>,
    ) -> Result<GlobalSection> {
        let mut section = GlobalSection::new();
        if let Some(had) = had {
            RoundtripReencoder
                .parse_global_section(&mut section, had)
                .map_err(|e| reencoding("globals", e))?;
        }
        for global in &self.globals {
            let (ty, mutable, init) = match global {
                Global::Hint(_) => (ValType::I32, true, ConstExpr::i32_const(0)),
                Global::Placeholder(t, init) => (ValType::Ref(*t), false, constant(init)?),
            };
            let ty = GlobalType {
                val_type: val_type(ty)?,
                mutable,
                shared: false,
            };
            section.global(ty, &init);
        }
        Ok(section)
    }

    /// The function section: the module's functions, then the added ones,
    /// of type `plain` (`(func (result i32))`) unless one traps in place
    /// of a function of a type of its own.
    pub(super) fn function_section(
        &self,
        had: wasmparser::FunctionSectionReader<'_>,
        plain: u32,
    ) -> Result<FunctionSection> {
        let mut section = FunctionSection::new();
        RoundtripReencoder
            .parse_function_section(&mut section, had)
            .map_err(|e| reencoding("functions", e))?;
        for f in &self.funcs {
            section.function(match f {
                Func::Trap(Some(t)) => *t,
                _ => plain,
            });
        }
        Ok(section)
    }

    /// The module's name section with the added functions, tables and
    /// globals named too.
    pub(super) fn named(
        &self,
        section: wasmparser::NameSectionReader<'_>,
    ) -> Result<wasm_encoder::NameSection> {
        let of = |t: &RefType| wat(*t);
        let tables = self
            .tables
            .iter()
            .zip(self.first_table..)
            .map(|(s, i)| (i, format!("meld saved references of type {}", of(&s.ty))))
            .collect();
        let globals = self
            .globals
            .iter()
            .zip(self.first_global..)
            .map(|(g, i)| match g {
                Global::Hint(t) => (i, format!("meld saved references next slot of {}", of(t))),
                Global::Placeholder(t, _) => (i, format!("meld unwinding returns this {}", of(t))),
            })
            .collect();
        let funcs = self
            .funcs
            .iter()
            .zip(self.first_func..)
            .map(|(f, i)| match f {
                Func::Alloc(s) => (
                    i,
                    format!("meld saved references take a slot of {}", of(&s.ty)),
                ),
                Func::Trap(_) => (i, "meld unwinding returns a reference to this".to_string()),
            })
            .collect();
        // (subsection id: functions 1, tables 5, globals 7)
        let mut extra: [(u8, Vec<(u32, String)>); 3] = [(1, funcs), (5, tables), (7, globals)];
        let mut out = wasm_encoder::NameSection::new();
        for sub in section {
            let sub = sub?;
            let (id, map) = match &sub {
                wasmparser::Name::Module { .. } => (0, None),
                wasmparser::Name::Function(map) => (1, Some(map.clone())),
                wasmparser::Name::Table(map) => (5, Some(map.clone())),
                wasmparser::Name::Global(map) => (7, Some(map.clone())),
                wasmparser::Name::Local(_) => (2, None),
                wasmparser::Name::Label(_) => (3, None),
                wasmparser::Name::Type(_) => (4, None),
                wasmparser::Name::Memory(_) => (6, None),
                _ => (8, None),
            };
            // the names of kinds the section had none of, in their place
            for (kind, names) in extra.iter_mut().filter(|(kind, _)| *kind < id) {
                write_names(&mut out, *kind, None, std::mem::take(names))?;
            }
            match map {
                Some(map) => {
                    let more = extra
                        .iter_mut()
                        .find(|(kind, _)| *kind == id)
                        .map(|(_, more)| std::mem::take(more))
                        .unwrap_or_default();
                    write_names(&mut out, id, Some(map), more)?;
                }
                None => RoundtripReencoder
                    .parse_custom_name_subsection(&mut out, sub)
                    .map_err(|e| reencoding("the name section", e))?,
            }
        }
        for (kind, names) in &mut extra {
            write_names(&mut out, *kind, None, std::mem::take(names))?;
        }
        Ok(out)
    }

    /// The bodies of the added functions, in index order.
    pub(super) fn bodies(&self) -> Result<Vec<Function>> {
        self.funcs
            .iter()
            .map(|f| match f {
                Func::Alloc(s) => alloc_body(*s),
                Func::Trap(_) => {
                    let mut f = Function::new([]);
                    f.instruction(&I::Unreachable).instruction(&I::End);
                    Ok(f)
                }
            })
            .collect()
    }
}

/// Writes a subsection of function (`kind` 1), table (5) or global (7)
/// names: those it had, then `more` (at higher indices); none if both are
/// empty.
fn write_names(
    out: &mut wasm_encoder::NameSection,
    kind: u8,
    had: Option<wasmparser::NameMap<'_>>,
    more: Vec<(u32, String)>,
) -> Result<()> {
    if had.is_none() && more.is_empty() {
        return Ok(());
    }
    let mut map = wasm_encoder::NameMap::new();
    for n in had.into_iter().flatten() {
        let n = n?;
        map.append(n.index, n.name);
    }
    for (i, name) in &more {
        map.append(*i, name);
    }
    match kind {
        1 => out.functions(&map),
        5 => out.tables(&map),
        _ => out.globals(&map),
    }
    Ok(())
}

/// `(func (result i32))` taking a free (null) slot of `s.table`: from the
/// hint round the table once; when every slot is taken, the table grows
/// by its size and 8 more and the first new slot is taken.
fn alloc_body(s: Slots) -> Result<Function> {
    let (i, n, k) = (0, 1, 2);
    let null = heap_type(s.ty)?;
    let mut f = Function::new([(3, wasm_encoder::ValType::I32)]);
    let step = |f: &mut Function, local: u32| {
        f.instruction(&I::LocalGet(local))
            .instruction(&I::I32Const(1))
            .instruction(&I::I32Add)
            .instruction(&I::LocalSet(local));
    };
    f.instruction(&I::TableSize(s.table))
        .instruction(&I::LocalSet(n))
        .instruction(&I::GlobalGet(s.hint))
        .instruction(&I::LocalSet(i))
        .instruction(&I::Block(BlockType::Empty))
        .instruction(&I::Loop(BlockType::Empty))
        // every slot looked at once: none is free
        .instruction(&I::LocalGet(k))
        .instruction(&I::LocalGet(n))
        .instruction(&I::I32GeU)
        .instruction(&I::BrIf(1))
        .instruction(&I::LocalGet(i))
        .instruction(&I::LocalGet(n))
        .instruction(&I::I32GeU)
        .instruction(&I::If(BlockType::Empty))
        .instruction(&I::I32Const(0))
        .instruction(&I::LocalSet(i))
        .instruction(&I::End)
        .instruction(&I::LocalGet(i))
        .instruction(&I::TableGet(s.table))
        .instruction(&I::RefIsNull)
        .instruction(&I::If(BlockType::Empty))
        .instruction(&I::LocalGet(i))
        .instruction(&I::I32Const(1))
        .instruction(&I::I32Add)
        .instruction(&I::GlobalSet(s.hint))
        .instruction(&I::LocalGet(i))
        .instruction(&I::Return)
        .instruction(&I::End);
    step(&mut f, i);
    step(&mut f, k);
    f.instruction(&I::Br(0))
        .instruction(&I::End)
        .instruction(&I::End)
        .instruction(&I::RefNull(null))
        .instruction(&I::LocalGet(n))
        .instruction(&I::I32Const(8))
        .instruction(&I::I32Add)
        .instruction(&I::TableGrow(s.table))
        .instruction(&I::I32Const(-1))
        .instruction(&I::I32Eq)
        .instruction(&I::If(BlockType::Empty))
        .instruction(&I::Unreachable)
        .instruction(&I::End)
        .instruction(&I::LocalGet(n))
        .instruction(&I::I32Const(1))
        .instruction(&I::I32Add)
        .instruction(&I::GlobalSet(s.hint))
        .instruction(&I::LocalGet(n))
        .instruction(&I::End);
    Ok(f)
}

/// Saves the reference in local `local` (of a type `s` holds) as a slot
/// index, or [`NULL`], left on the stack (`tmp`: a scratch `i32`).
pub(super) fn save(f: &mut Function, s: Slots, local: u32, tmp: u32) {
    f.instruction(&I::LocalGet(local))
        .instruction(&I::RefIsNull)
        .instruction(&I::If(BlockType::Result(wasm_encoder::ValType::I32)))
        .instruction(&I::I32Const(NULL))
        .instruction(&I::Else)
        .instruction(&I::Call(s.alloc))
        .instruction(&I::LocalTee(tmp))
        .instruction(&I::LocalGet(local))
        .instruction(&I::TableSet(s.table))
        .instruction(&I::LocalGet(tmp))
        .instruction(&I::End);
}

/// Takes the reference whose slot index (or [`NULL`]) is on the stack
/// out of its slot, which is free again, and leaves it on the stack with
/// the table's type (`tmp`: a scratch `i32`).
pub(super) fn restore(f: &mut Function, s: Slots, tmp: u32) -> Result<()> {
    let null = heap_type(s.ty)?;
    let ty = RoundtripReencoder
        .val_type(ValType::Ref(s.ty))
        .map_err(|e| Error::internal(format!("re-encoding a reference type: {e:?}")))?;
    f.instruction(&I::LocalTee(tmp))
        .instruction(&I::I32Const(NULL))
        .instruction(&I::I32Eq)
        .instruction(&I::If(BlockType::Result(ty)))
        .instruction(&I::RefNull(null))
        .instruction(&I::Else)
        .instruction(&I::LocalGet(tmp))
        .instruction(&I::TableGet(s.table))
        .instruction(&I::LocalGet(tmp))
        .instruction(&I::RefNull(null))
        .instruction(&I::TableSet(s.table))
        // the slot just emptied is the next one to take
        .instruction(&I::LocalGet(tmp))
        .instruction(&I::GlobalSet(s.hint))
        .instruction(&I::End);
    Ok(())
}

/// How the text format writes `t`, a type index of the module as a number.
fn wat(t: RefType) -> String {
    match t.heap_type() {
        HeapType::Concrete(i) | HeapType::Exact(i) => match i.as_module_index() {
            Some(i) if t.is_nullable() => format!("(ref null {i})"),
            Some(i) => format!("(ref {i})"),
            None => t.to_string(),
        },
        _ => t.to_string(),
    }
}

/// The constant expression making a placeholder.
fn constant(init: &Init) -> Result<ConstExpr> {
    Ok(match init {
        Init::Func(f) => ConstExpr::ref_func(*f),
        Init::EmptyArray(t) => ConstExpr::extended([I::ArrayNewFixed {
            array_type_index: *t,
            array_size: 0,
        }]),
        Init::I31 => ConstExpr::extended([I::I32Const(0), I::RefI31]),
        Init::Struct(t, fields) => {
            let mut insns = Vec::new();
            for f in fields {
                insns.push(match f {
                    Field::Zero(ValType::I32) => I::I32Const(0),
                    Field::Zero(ValType::I64) => I::I64Const(0),
                    Field::Zero(ValType::F32) => I::F32Const(0.0.into()),
                    Field::Zero(ValType::F64) => I::F64Const(0.0.into()),
                    Field::Zero(_) => I::V128Const(0),
                    Field::Null(r) => I::RefNull(heap_type(*r)?),
                    Field::Global(g) => I::GlobalGet(*g),
                });
            }
            insns.push(I::StructNew(*t));
            ConstExpr::extended(insns)
        }
    })
}

fn reencoding(what: &str, e: impl std::fmt::Debug) -> Error {
    Error::internal(format!("re-encoding {what}: {e:?}"))
}

fn val_type(t: ValType) -> Result<wasm_encoder::ValType> {
    RoundtripReencoder
        .val_type(t)
        .map_err(|e| Error::internal(format!("re-encoding a value type: {e:?}")))
}

fn ref_type(t: RefType) -> Result<wasm_encoder::RefType> {
    RoundtripReencoder
        .ref_type(t)
        .map_err(|e| Error::internal(format!("re-encoding a reference type: {e:?}")))
}

fn heap_type(t: RefType) -> Result<wasm_encoder::HeapType> {
    RoundtripReencoder
        .heap_type(t.heap_type())
        .map_err(|e| Error::internal(format!("re-encoding a heap type: {e:?}")))
}
