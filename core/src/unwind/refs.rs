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
//! needs no list of its own: [`RefTables::alloc_body`] looks from a hint
//! (the slot after the last one taken, or the last one emptied) round the
//! table for a null one, and grows the table when all are taken. The
//! table's type is the reference's own (made nullable), so the reference
//! comes back with its type without a cast, and an output needs no
//! proposal its input does not use.

use crate::error::{Error, Result};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    BlockType, ConstExpr, Function, GlobalSection, GlobalType, Instruction as I, TableSection,
    TableType,
};
use wasmparser::{RefType, ValType};

/// What a frame holds for a null reference (no slot).
pub(super) const NULL: i32 = -1;

/// The tables (with a hint global and a function that finds a free slot
/// each) added for the reference types saved frames hold.
#[derive(Debug)]
pub(super) struct RefTables {
    first_table: u32,
    first_global: u32,
    first_func: u32,
    /// The nullable reference type of each added table, in index order.
    types: Vec<RefType>,
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

impl RefTables {
    /// Tables, globals and functions added from these indices on (after
    /// the module's own).
    pub(super) fn new(first_table: u32, first_global: u32, first_func: u32) -> RefTables {
        RefTables {
            first_table,
            first_global,
            first_func,
            types: Vec::new(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The table for references of type `t`, added on first use.
    pub(super) fn of(&mut self, t: RefType) -> Slots {
        let ty = t.nullable();
        let k = match self.types.iter().position(|&u| u == ty) {
            Some(k) => k,
            None => {
                self.types.push(ty);
                self.types.len() - 1
            }
        } as u32;
        Slots {
            table: self.first_table + k,
            hint: self.first_global + k,
            alloc: self.first_func + k,
            ty,
        }
    }

    fn all(&self) -> impl Iterator<Item = Slots> + '_ {
        (0..self.types.len() as u32).map(|k| Slots {
            table: self.first_table + k,
            hint: self.first_global + k,
            alloc: self.first_func + k,
            ty: self.types[k as usize],
        })
    }

    /// Adds the tables (empty at first) to `section`.
    pub(super) fn add_tables(&self, section: &mut TableSection) -> Result<()> {
        for &ty in &self.types {
            section.table(TableType {
                element_type: ref_type(ty)?,
                table64: false,
                minimum: 0,
                maximum: None,
                shared: false,
            });
        }
        Ok(())
    }

    /// Adds the hint globals (mutable `i32`s, 0 at first) to `section`.
    pub(super) fn add_globals(&self, section: &mut GlobalSection) {
        for _ in &self.types {
            let ty = GlobalType {
                val_type: wasm_encoder::ValType::I32,
                mutable: true,
                shared: false,
            };
            section.global(ty, &ConstExpr::i32_const(0));
        }
    }

    /// The module's name section with the added functions, tables and
    /// globals named too.
    pub(super) fn named(
        &self,
        section: wasmparser::NameSectionReader<'_>,
    ) -> Result<wasm_encoder::NameSection> {
        let of = |t: &RefType| match t.heap_type() {
            wasmparser::HeapType::Concrete(i) => match i.as_module_index() {
                Some(i) => format!("(ref null {i})"),
                None => t.to_string(),
            },
            _ => t.to_string(),
        };
        let added = |first: u32, what: &str| -> Vec<(u32, String)> {
            self.types
                .iter()
                .zip(first..)
                .map(|(t, i)| (i, format!("meld saved references {what} {}", of(t))))
                .collect()
        };
        // (subsection id: functions 1, tables 5, globals 7)
        let mut extra = [
            (1, added(self.first_func, "take a slot of")),
            (5, added(self.first_table, "of type")),
            (7, added(self.first_global, "next slot of")),
        ];
        let mut out = wasm_encoder::NameSection::new();
        let reencoding = |e| Error::internal(format!("re-encoding the name section: {e:?}"));
        for sub in section {
            let sub = sub?;
            let (id, map) = match &sub {
                wasmparser::Name::Module { .. } => (0, None),
                wasmparser::Name::Function(map) => (1, Some(map.clone())),
                wasmparser::Name::Table(map) => (5, Some(map.clone())),
                wasmparser::Name::Global(map) => (7, Some(map.clone())),
                wasmparser::Name::Local(_) | wasmparser::Name::Label(_) => (2, None),
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
                    .map_err(reencoding)?,
            }
        }
        for (kind, names) in &mut extra {
            write_names(&mut out, *kind, None, std::mem::take(names))?;
        }
        Ok(out)
    }

    /// The bodies of the added functions, in index order.
    pub(super) fn bodies(&self) -> Result<Vec<Function>> {
        self.all().map(alloc_body).collect()
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
