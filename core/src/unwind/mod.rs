//! Unwind and rewind: suspending a call stack into linear memory and
//! resuming it later, on any engine.
//!
//! An async task that blocks must give the core stack back to the
//! scheduler, which runs other tasks and later resumes the blocked one where
//! it stopped. Core WebAssembly has no way to do that, so meld rewrites the
//! functions that can reach a suspension point (the technique of Binaryen's
//! Asyncify, done here on meld's own output):
//!
//! - a *suspension point* is a function that, to suspend, sets the `state`
//!   global to [`UNWINDING`] and returns;
//! - every function that can reach one is transformed ([`emit`]): after a
//!   call that can unwind, it checks `state`; when unwinding it saves its
//!   locals and the number of that call at `sp` (moving `sp` up) and
//!   returns at once, and so does its caller, up to a *stop* function (the
//!   scheduler), which is never transformed;
//! - to resume, the scheduler sets `sp` to the top of the saved frames,
//!   `state` to [`REWINDING`] and calls the same entry again: each function
//!   pops its frame, skips the code it had already run and calls the same
//!   callee again, down to the suspension point, which sees `state ==
//!   REWINDING`, sets it back to `NORMAL` (0) and returns the value it resumes
//!   with.
//!
//! Functions that cannot reach a suspension point keep their bodies byte for
//! byte. A reference a frame saves goes into a table the transform adds
//! ([`refs`]), its slot's index into the frame; a function returning a
//! non-nullable reference returns a placeholder of its type while it
//! unwinds. Refused: a tail call into code that can suspend, and a
//! function that can suspend returning a non-nullable reference of a type
//! no constant makes (an `exnref`, say).

mod emit;
mod graph;
mod live;
mod refs;
mod tree;

use crate::debug::{self, CodeMap, leb_len};
use crate::error::{Error, Result};
use emit::{BlockTypes, Context};
use graph::{CallGraph, Calls};
use std::collections::BTreeSet;
use tree::Tree;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{CodeSection, RawSection, TypeSection};
use wasmparser::{
    CompositeInnerType, ElementItems, FuncType, FunctionBody, Operator, Parser, Payload, SubType,
    TypeRef, ValType, Validator, WasmFeatures,
};

/// `state`: running normally.
#[cfg(test)]
pub(crate) const NORMAL: i32 = 0;
/// `state`: a suspension point asked to unwind; every frame is saving
/// itself and returning.
pub(crate) const UNWINDING: i32 = 1;
/// `state`: the scheduler called the entry again to resume; every frame is
/// restoring itself on the way to the suspension point.
pub(crate) const REWINDING: i32 = 2;

/// The globals and memory the transformed code uses (the module defines
/// them; the scheduler owns them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Globals {
    /// Mutable i32: `NORMAL` (0), [`UNWINDING`] or [`REWINDING`].
    pub(crate) state: u32,
    /// Mutable i32: the top of the saved frames of the task that runs.
    pub(crate) sp: u32,
    /// Mutable i32: where that task's save area ends.
    pub(crate) limit: u32,
    /// A function `(param i32)` that makes room for that many more bytes
    /// at `sp` (moving the task's frames and setting `sp` and `limit`
    /// anew), or traps; without one, saving past `limit` traps.
    pub(crate) grow: Option<u32>,
    /// The memory holding the save areas (32-bit addresses).
    pub(crate) memory: u32,
    /// Added to `sp` for every access: where the scheduler's addresses
    /// start in `memory` (its region's base when memories are shared, else
    /// 0).
    pub(crate) base: u32,
}

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) globals: Globals,
    /// The suspension points, by function index.
    pub(crate) suspend: BTreeSet<u32>,
    /// The functions that catch an unwind and are never transformed.
    pub(crate) stop: BTreeSet<u32>,
    /// Calls that never unwind although their callee can.
    pub(crate) calm: Calm,
}

/// Calls that never unwind although their callee can: those from meld's
/// generated functions (index `callers_from` and up) to the `realloc`s of
/// components with a `may_leave` flag. Every such call clears the
/// component's flag, and every built-in and call out of the component
/// checks it first, so whatever the realloc reaches traps before it
/// could suspend (as wasmtime traps: a realloc may not leave its
/// component). The realloc itself is still transformed when the
/// component's own code can suspend through it.
#[derive(Debug)]
pub(crate) struct Calm {
    pub(crate) callers_from: u32,
    pub(crate) callees: BTreeSet<u32>,
}

impl Calm {
    /// No calm calls.
    #[cfg(test)]
    pub(crate) fn none() -> Calm {
        Calm {
            callers_from: u32::MAX,
            callees: BTreeSet::new(),
        }
    }
}

/// What the transform did.
#[derive(Debug)]
pub(crate) struct Report {
    /// The transformed functions, by function index.
    pub(crate) transformed: BTreeSet<u32>,
    /// Each transformed function's body size in bytes, before and after.
    pub(crate) sizes: std::collections::BTreeMap<u32, (usize, usize)>,
    /// The code section's size before and after (the tests and the cost
    /// measurements read them).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by tests and measurements")
    )]
    pub(crate) code_before: usize,
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by tests and measurements")
    )]
    pub(crate) code_after: usize,
    /// How many tables the transform added for saved references.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by tests"))]
    pub(crate) reference_tables: usize,
    /// Bytes of DWARF in the output (its addresses moved with the code).
    pub(crate) dwarf_bytes: usize,
}

/// The module's parts the transform reads.
struct Facts<'a> {
    types: Vec<Option<FuncType>>,
    /// Every type, as `types` but whole (a placeholder of a struct type
    /// needs its fields).
    sub_types: Vec<SubType>,
    func_types: Vec<u32>,
    imported: u32,
    bodies: Vec<FunctionBody<'a>>,
    in_elements: BTreeSet<u32>,
    by_table: std::collections::BTreeMap<u32, BTreeSet<u32>>,
    open_tables: BTreeSet<u32>,
    /// How many tables and globals the module has, imported ones included.
    tables: u32,
    globals: u32,
    /// The `.debug_*` sections (merge carried the inner modules' DWARF
    /// into them), by name.
    dwarf: Vec<(&'a str, &'a [u8])>,
    /// The `name` section, read only to name a function meld refuses.
    names: Option<wasmparser::NameSectionReader<'a>>,
}

impl Facts<'_> {
    /// How an error names function `func`: by its name in the fused
    /// module, which says which component and function it came from (the
    /// offsets the transform reads are the fused module's, not the
    /// input's).
    fn name(&self, func: u32) -> String {
        let named = self
            .names
            .clone()
            .into_iter()
            .flatten()
            .find_map(|n| match n {
                Ok(wasmparser::Name::Function(map)) => map
                    .into_iter()
                    .flatten()
                    .find(|n| n.index == func)
                    .map(|n| n.name.to_string()),
                _ => None,
            });
        match named {
            Some(name) => format!("function `{name}`"),
            None => format!("function {func} of the fused module"),
        }
    }
}

impl<'a> Facts<'a> {
    fn read(wasm: &'a [u8]) -> Result<Facts<'a>> {
        let mut facts = Facts {
            types: Vec::new(),
            sub_types: Vec::new(),
            func_types: Vec::new(),
            imported: 0,
            bodies: Vec::new(),
            in_elements: BTreeSet::new(),
            by_table: std::collections::BTreeMap::new(),
            open_tables: BTreeSet::new(),
            tables: 0,
            globals: 0,
            dwarf: Vec::new(),
            names: None,
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(s) => {
                    for group in s {
                        for sub in group?.into_types() {
                            facts.types.push(match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(f.clone()),
                                _ => None,
                            });
                            facts.sub_types.push(sub);
                        }
                    }
                }
                Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        match import?.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                facts.func_types.push(t);
                                facts.imported += 1;
                            }
                            TypeRef::Table(_) => {
                                facts.open_tables.insert(facts.tables);
                                facts.tables += 1;
                            }
                            TypeRef::Global(_) => facts.globals += 1,
                            _ => {}
                        }
                    }
                }
                Payload::ExportSection(s) => {
                    for export in s {
                        let export = export?;
                        if export.kind == wasmparser::ExternalKind::Table {
                            facts.open_tables.insert(export.index);
                        }
                    }
                }
                Payload::FunctionSection(s) => {
                    for t in s {
                        facts.func_types.push(t?);
                    }
                }
                Payload::TableSection(s) => facts.tables += s.count(),
                Payload::GlobalSection(s) => facts.globals += s.count(),
                Payload::ElementSection(s) => {
                    for element in s {
                        let element = element?;
                        let table = match element.kind {
                            wasmparser::ElementKind::Active { table_index, .. } => {
                                Some(table_index.unwrap_or(0))
                            }
                            _ => None,
                        };
                        let mut funcs = Vec::new();
                        match element.items {
                            ElementItems::Functions(r) => {
                                for f in r {
                                    funcs.push(f?);
                                }
                            }
                            ElementItems::Expressions(_, r) => {
                                for expr in r {
                                    let mut ops = expr?.get_operators_reader();
                                    while !ops.eof() {
                                        if let Operator::RefFunc { function_index } = ops.read()? {
                                            funcs.push(function_index);
                                        }
                                    }
                                }
                            }
                        }
                        facts.in_elements.extend(&funcs);
                        if let Some(table) = table {
                            facts.by_table.entry(table).or_default().extend(funcs);
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => facts.bodies.push(body),
                Payload::CustomSection(c) if debug::is_dwarf(c.name()) => {
                    facts.dwarf.push((c.name(), c.data()));
                }
                Payload::CustomSection(c) => {
                    if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                        facts.names = Some(names);
                    }
                }
                _ => {}
            }
        }
        Ok(facts)
    }
}

/// Transforms every function of `wasm` that can reach a suspension point.
pub(crate) fn instrument(wasm: &[u8], config: &Config) -> Result<(Vec<u8>, Report)> {
    let facts = Facts::read(wasm)?;
    let calls = facts
        .bodies
        .iter()
        .map(Calls::read)
        .collect::<Result<Vec<_>>>()?;
    let graph = CallGraph {
        func_types: &facts.func_types,
        types: &facts.types,
        imported: facts.imported,
        calls: &calls,
        in_elements: &facts.in_elements,
        by_table: &facts.by_table,
        open_tables: &facts.open_tables,
    };
    let unwinding = graph.unwinding(&config.suspend, &config.stop, &config.calm)?;
    let unwinding_types = graph.unwinding_types(&unwinding);
    let transformed: BTreeSet<u32> = unwinding
        .iter()
        .copied()
        .filter(|f| *f >= facts.imported && !config.suspend.contains(f))
        .collect();
    let unwinds = |op: &Operator<'_>| match *op {
        Operator::Call { function_index } => unwinding.contains(&function_index),
        Operator::CallIndirect { type_index, .. } | Operator::CallRef { type_index } => {
            unwinding_types.contains(&type_index)
        }
        _ => false,
    };

    let cx = Context {
        globals: config.globals,
        types: &facts.types,
        sub_types: &facts.sub_types,
        func_types: &facts.func_types,
    };
    let mut block_types = BlockTypes::new(facts.types.len() as u32);
    let mut ref_tables =
        refs::RefTables::new(facts.tables, facts.globals, facts.func_types.len() as u32);
    let mut code = CodeSection::new();
    // With DWARF, a map of where the code goes, to move its addresses
    // again.
    let mut map: Option<CodeMap> = None;
    // Where the next body goes in the new code section's contents, after
    // the function count.
    let mut new_at = 0;
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut code_before = 0;
    let mut sizes = std::collections::BTreeMap::new();
    let mut func = facts.imported;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let Payload::CodeSectionStart { range, count, .. } = &payload {
            code_before = range.len();
            if !facts.dwarf.is_empty() {
                let first_body = range.start + leb_len(*count as usize);
                map = Some(CodeMap::new(range.start, first_body));
            }
        }
        let valid = validator.payload(&payload)?;
        let Payload::CodeSectionEntry(body) = payload else {
            continue;
        };
        if !transformed.contains(&func) {
            code.raw(body.as_bytes());
            let len = body.as_bytes().len();
            if let Some(map) = &mut map {
                map.function(body.range(), new_at, len);
            }
            new_at += leb_len(len) + len;
        } else {
            let wasmparser::ValidPayload::Func(to_validate, _) = valid else {
                return Err(Error::internal(
                    "a function body the validator did not hand out",
                ));
            };
            let tree = Tree::read(
                &body,
                to_validate.into_validator(Default::default()),
                unwinds,
            )
            .map_err(|e| e.in_function(&facts.name(func)))?;
            let ty = facts
                .func_types
                .get(func as usize)
                .and_then(|&t| facts.types.get(t as usize))
                .and_then(Option::as_ref)
                .ok_or_else(|| Error::internal(format!("function {func} has no function type")))?;
            let (new, moved) = emit::function(&tree, ty, &cx, &mut block_types, &mut ref_tables)
                .map_err(|e| e.in_function(&facts.name(func)))?;
            sizes.insert(func, (body.as_bytes().len(), new.byte_len()));
            code.function(&new);
            if let Some(map) = &mut map {
                for (old, at) in moved {
                    map.instruction(old, at);
                }
                map.function(body.range(), new_at, new.byte_len());
            }
            new_at += leb_len(new.byte_len()) + new.byte_len();
        }
        func += 1;
    }
    // The functions finding free slots of the reference tables, last.
    // (a type added only for them: other outputs keep their bytes)
    let plain_type = if ref_tables.is_empty() {
        0
    } else {
        block_types.index(&[], &[ValType::I32])
    };
    let added = ref_tables.bodies()?;
    for body in &added {
        code.function(body);
    }
    let defined = func.saturating_sub(facts.imported) as usize + added.len();

    // The DWARF again, its addresses where the code went.
    let mut carried = match map {
        Some(map) => {
            let instance = debug::Instance {
                sections: &facts.dwarf,
                map,
                path: "the fused module",
            };
            Some(debug::carry(&[instance], leb_len(defined))?)
        }
        None => None,
    };
    let mut dwarf_bytes = 0;
    let mut out = wasm_encoder::Module::new();
    let mut code = Some(code);
    // The reference tables and their hints, after the module's own (in
    // sections of their own where it has none).
    let mut tables_due = ref_tables.has_tables();
    let mut globals_due = ref_tables.has_globals();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let Some((id, _)) = payload.as_section()
            && id != 0
        {
            if tables_due && order(id) > order(TABLE) {
                tables_due = false;
                out.section(&ref_tables.table_section(None)?);
            }
            if globals_due && order(id) > order(GLOBAL) {
                globals_due = false;
                out.section(&ref_tables.global_section(None)?);
            }
        }
        match &payload {
            Payload::FunctionSection(s) if !added.is_empty() => {
                out.section(&ref_tables.function_section(s.clone(), plain_type)?);
            }
            Payload::TableSection(s) if tables_due => {
                tables_due = false;
                out.section(&ref_tables.table_section(Some(s.clone()))?);
            }
            Payload::GlobalSection(s) if globals_due => {
                globals_due = false;
                out.section(&ref_tables.global_section(Some(s.clone()))?);
            }
            Payload::TypeSection(s) => {
                let mut types = TypeSection::new();
                RoundtripReencoder
                    .parse_type_section(&mut types, s.clone())
                    .map_err(|e| Error::internal(format!("re-encoding types: {e:?}")))?;
                for (params, results) in block_types.added() {
                    let val = |t: &ValType| RoundtripReencoder.val_type(*t);
                    let params = params.iter().map(val).collect::<Result<Vec<_>, _>>();
                    let results = results.iter().map(val).collect::<Result<Vec<_>, _>>();
                    let (Ok(params), Ok(results)) = (params, results) else {
                        return Err(Error::internal("a block type meld cannot re-encode"));
                    };
                    types.ty().function(params, results);
                }
                out.section(&types);
            }
            Payload::CodeSectionStart { .. } => {
                if let Some(code) = code.take() {
                    out.section(&code);
                }
            }
            Payload::CodeSectionEntry(_) => {}
            Payload::CustomSection(c)
                if !ref_tables.is_empty()
                    && let wasmparser::KnownCustom::Name(names) = c.as_known() =>
            {
                out.section(&ref_tables.named(names)?);
            }
            Payload::CustomSection(c) if debug::is_dwarf(c.name()) => {
                // all of it where the first of its sections was
                for (name, data) in carried.take().map(|c| c.sections).unwrap_or_default() {
                    dwarf_bytes += data.len();
                    out.section(&wasm_encoder::CustomSection {
                        name: name.into(),
                        data: data.into(),
                    });
                }
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    let bytes = out.finish();
    let code_after = code.map_or_else(|| code_size(&bytes), |_| 0);
    Ok((
        bytes,
        Report {
            transformed,
            sizes,
            code_before,
            code_after,
            reference_tables: ref_tables.table_count(),
            dwarf_bytes,
        },
    ))
}

/// Section ids of the table and global sections.
const TABLE: u8 = 4;
const GLOBAL: u8 = 6;

/// Where a (non-custom) section with id `id` goes in a module: sections
/// come in this order, the tag section (13) between the memory and
/// global sections and the data count section (12) before the code.
fn order(id: u8) -> u8 {
    match id {
        13 => 6,
        12 => 11,
        6..=9 => id + 1,
        10 | 11 => id + 2,
        _ => id,
    }
}

/// The size of the code section of `wasm`.
fn code_size(wasm: &[u8]) -> usize {
    Parser::new(0)
        .parse_all(wasm)
        .filter_map(Result::ok)
        .find_map(|p| match p {
            Payload::CodeSectionStart { range, .. } => Some(range.len()),
            _ => None,
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod random_programs;
#[cfg(test)]
mod tests;
