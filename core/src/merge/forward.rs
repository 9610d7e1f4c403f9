//! Calls straight through the shims that forward through a table.
//!
//! A toolchain lowers an import that needs a memory (strings, lists) before
//! the memory exists: wit-component instantiates a *shim* module first,
//! whose exported functions each pass their parameters on with
//! `call_indirect` through the shim's table at a constant slot, hands
//! those functions to the main module as its imports, and instantiates a
//! *fixup* module last, whose active element segment fills the table with
//! the lowered functions. Every call of such an import pays a call, a table
//! load and a signature check before it reaches the lowered function.
//!
//! [`Forwards::find`] finds the shim functions whose table slot is known
//! for every call the original can make, so that an item naming one names
//! the slot's function instead ([`super::Layout::origin`]). A shim
//! function qualifies when:
//! - its body is exactly `local.get 0 … local.get n-1; i32.const k;
//!   call_indirect t T; end`, with `t` its own type;
//! - table `T` is a `funcref` table whose slot `k` the last active element
//!   segment writing it (in instantiation order, all with constant
//!   offsets) fills with a function whose type is `t` (so the original's
//!   check passes; both modules' types are plain, see
//!   [`Module::plain_types`]), and which no instruction of any module that
//!   can name the table writes (no `table.set`, `.grow`, `.fill`, `.copy`
//!   into it or `.init`);
//! - no start function runs between the shim's instantiation and that
//!   segment's: the original cannot call the shim before its slot is
//!   filled (where it would trap on a null, or call what an earlier
//!   segment put there).
//!
//! A slot holding another shim's function (a chain) is left as it is;
//! the segment filling it goes past that shim. The shim functions stay in
//! the module, uncalled by the code that named them.

use super::module::{Module, Space};
use super::{Layout, Origin};
use crate::adapt::Adapters;
use crate::error::{Error, Result};
use crate::graph::{CoreInstanceId, Graph};
use std::collections::{BTreeMap, BTreeSet};
use wasmparser::{ElementItems, ElementKind, Operator, RefType};

/// A function an instance defines, by its index among the instance's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DefinedFunc {
    pub(crate) instance: CoreInstanceId,
    pub(crate) index: u32,
}

/// A function as an instance's code names it (imports counted first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NamedFunc {
    pub(crate) instance: CoreInstanceId,
    pub(crate) index: u32,
}

/// The forwarding shims found and the function each one reaches.
#[derive(Debug, Default)]
pub(crate) struct Forwards {
    targets: BTreeMap<DefinedFunc, NamedFunc>,
}

/// A shim function: the table it calls through, the slot and the type.
struct Shim {
    func: DefinedFunc,
    table: u32,
    slot: u32,
    ty: u32,
}

/// A table by where it is defined: the instance and its index among the
/// instance's own tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TableKey {
    instance: CoreInstanceId,
    index: u32,
}

/// One slot of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    table: TableKey,
    index: u32,
}

/// An active element segment's write of one slot: the instance whose
/// segment it is and the function it writes (`None`: a null).
#[derive(Debug, Clone, Copy)]
struct SlotWrite {
    writer: CoreInstanceId,
    func: Option<u32>,
}

impl Forwards {
    /// The function `func` reaches, if it is a forwarding shim.
    pub(crate) fn target(&self, func: DefinedFunc) -> Option<NamedFunc> {
        self.targets.get(&func).copied()
    }

    /// Finds the forwarding shims of `graph`'s instances; `layout` follows
    /// tables to where they are defined.
    pub(crate) fn find(layout: &Layout<'_>, graph: &Graph, adapters: &Adapters) -> Result<Self> {
        let mut shims = Vec::new();
        for i in 0..graph.instances.len() {
            let instance = CoreInstanceId(i);
            let module = layout.module(graph, instance)?;
            for (index, body) in module.code.iter().enumerate() {
                let func = DefinedFunc {
                    instance,
                    index: index as u32,
                };
                if let Some(shim) = shim(module, func, body)? {
                    shims.push(shim);
                }
            }
        }
        if shims.is_empty() {
            return Ok(Forwards::default());
        }
        let table_of = |instance: CoreInstanceId, table: u32| {
            layout.table_key(graph, adapters, instance, table)
        };
        let mut candidates = BTreeSet::new();
        for s in &shims {
            candidates.insert(table_of(s.func.instance, s.table)?);
        }
        let writes = Writes::scan(layout, graph, &candidates, &table_of)?;
        let mut targets = BTreeMap::new();
        for s in shims {
            let key = table_of(s.func.instance, s.table)?;
            if writes.poisoned.contains(&key) || !funcref_table(layout, graph, key)? {
                continue;
            }
            // the last write is what the slot holds once instances are made
            let slot = Slot {
                table: key,
                index: s.slot,
            };
            let Some(&SlotWrite {
                writer,
                func: Some(index),
            }) = writes.slots.get(&slot).and_then(|w| w.last())
            else {
                continue;
            };
            let mut started = false;
            for i in s.func.instance.0..writer.0 {
                started |= layout.module(graph, CoreInstanceId(i))?.start.is_some();
            }
            let shim_module = layout.module(graph, s.func.instance)?;
            let writer_module = layout.module(graph, writer)?;
            let same_type = match (
                shim_module.types.get(s.ty as usize),
                func_type(writer_module, index),
            ) {
                (Some(Some(a)), Some(b)) => a == b,
                _ => false,
            };
            if !started && same_type && shim_module.plain_types && writer_module.plain_types {
                targets.insert(
                    s.func,
                    NamedFunc {
                        instance: writer,
                        index,
                    },
                );
            }
        }
        // A slot holding a function that is itself a shim (a chain) is
        // left to that shim: the table's segment names it and so goes past
        // it. Each name then goes past one shim at most, so resolving one
        // always ends (a cycle of shims, or of shims and adapters, cannot
        // make fusion loop).
        let found: BTreeSet<DefinedFunc> = targets.keys().copied().collect();
        let mut chained = Vec::new();
        for (&shim, &target) in &targets {
            if let Origin::Defined {
                instance,
                space: Space::Func,
                index,
            } = layout.named_origin(graph, adapters, target)?
                && found.contains(&DefinedFunc { instance, index })
            {
                chained.push(shim);
            }
        }
        for shim in chained {
            targets.remove(&shim);
        }
        Ok(Forwards { targets })
    }
}

/// What active element segments write into the candidate tables.
#[derive(Default)]
struct Writes {
    /// Per table slot, each write in instantiation order: the writing
    /// instance and the function (`None`: a null).
    slots: BTreeMap<Slot, Vec<SlotWrite>>,
    /// Tables written in ways not followed (by code, or at an offset that
    /// is not constant).
    poisoned: BTreeSet<TableKey>,
}

impl Writes {
    fn scan(
        layout: &Layout<'_>,
        graph: &Graph,
        candidates: &BTreeSet<TableKey>,
        table_of: &dyn Fn(CoreInstanceId, u32) -> Result<TableKey>,
    ) -> Result<Self> {
        let mut writes = Writes::default();
        for i in 0..graph.instances.len() {
            let instance = CoreInstanceId(i);
            let module = layout.module(graph, instance)?;
            let tables = module.imported[Space::Table.index()] + module.defined(Space::Table);
            let mut named = BTreeMap::new();
            for t in 0..tables {
                let key = table_of(instance, t)?;
                if candidates.contains(&key) {
                    named.insert(t, key);
                }
            }
            if named.is_empty() {
                continue;
            }
            for element in &module.elements {
                let ElementKind::Active {
                    table_index,
                    offset_expr,
                } = &element.kind
                else {
                    continue;
                };
                let Some(&key) = named.get(&table_index.unwrap_or(0)) else {
                    continue;
                };
                let mut ops = offset_expr.get_operators_reader();
                let offset = match (ops.read()?, ops.read()?) {
                    (Operator::I32Const { value }, Operator::End) => Some(value as u32),
                    _ => None,
                };
                let (Some(offset), Some(items)) = (offset, element_funcs(&element.items)?) else {
                    writes.poisoned.insert(key);
                    continue;
                };
                for (j, item) in items.into_iter().enumerate() {
                    let slot = Slot {
                        table: key,
                        index: offset.wrapping_add(j as u32),
                    };
                    writes.slots.entry(slot).or_default().push(SlotWrite {
                        writer: instance,
                        func: item,
                    });
                }
            }
            for body in &module.code {
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    if let Some(t) = written_table(&ops.read()?)
                        && let Some(&key) = named.get(&t)
                    {
                        writes.poisoned.insert(key);
                    }
                }
            }
        }
        Ok(writes)
    }
}

/// The functions of a segment's items (`None` for a null), or `None` when
/// an item is not a constant function reference.
fn element_funcs(items: &ElementItems<'_>) -> Result<Option<Vec<Option<u32>>>> {
    let mut out = Vec::new();
    match items {
        ElementItems::Functions(funcs) => {
            for f in funcs.clone() {
                out.push(Some(f?));
            }
        }
        ElementItems::Expressions(_, exprs) => {
            for expr in exprs.clone() {
                let mut ops = expr?.get_operators_reader();
                match (ops.read()?, ops.read()?) {
                    (Operator::RefFunc { function_index }, Operator::End) => {
                        out.push(Some(function_index))
                    }
                    (Operator::RefNull { .. }, Operator::End) => out.push(None),
                    _ => return Ok(None),
                }
            }
        }
    }
    Ok(Some(out))
}

/// The table an instruction writes, if it writes one.
fn written_table(op: &Operator<'_>) -> Option<u32> {
    match *op {
        Operator::TableSet { table }
        | Operator::TableGrow { table }
        | Operator::TableFill { table }
        | Operator::TableInit { table, .. } => Some(table),
        Operator::TableCopy { dst_table, .. } => Some(dst_table),
        _ => None,
    }
}

/// Whether the table `key` holds untyped nullable function references.
fn funcref_table(layout: &Layout<'_>, graph: &Graph, key: TableKey) -> Result<bool> {
    let module = layout.module(graph, key.instance)?;
    Ok(module
        .tables
        .get(key.index as usize)
        .is_some_and(|t| t.ty.element_type == RefType::FUNCREF))
}

/// The type of the function `index` names in `module`.
fn func_type<'m>(module: &'m Module<'_>, index: u32) -> Option<&'m wasmparser::FuncType> {
    let imported = module.imported[Space::Func.index()];
    let ty = if index < imported {
        module
            .imports
            .iter()
            .filter_map(|i| match i.ty {
                wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => Some(t),
                _ => None,
            })
            .nth(index as usize)?
    } else {
        *module.funcs.get((index - imported) as usize)?
    };
    module.types.get(ty as usize)?.as_ref()
}

/// `func` as a [`Shim`], if its body is one.
fn shim(
    module: &Module<'_>,
    func: DefinedFunc,
    body: &wasmparser::FunctionBody<'_>,
) -> Result<Option<Shim>> {
    let Some(&ty) = module.funcs.get(func.index as usize) else {
        return Ok(None);
    };
    let Some(Some(own)) = module.types.get(ty as usize) else {
        return Ok(None);
    };
    let params = own.params().len() as u32;
    // the pattern's size at most (locals' count, two- or three-byte
    // `local.get`s, `i32.const`, `call_indirect`, `end`): most bodies are
    // told apart without reading them
    if body.range().len() > 1 + 3 * params as usize + 6 + 11 + 1 {
        return Ok(None);
    }
    let mut ops = body.get_operators_reader()?;
    for k in 0..params {
        match ops.read()? {
            Operator::LocalGet { local_index } if local_index == k => {}
            _ => return Ok(None),
        }
    }
    let slot = match ops.read()? {
        Operator::I32Const { value } => value as u32,
        _ => return Ok(None),
    };
    let (type_index, table) = match ops.read()? {
        Operator::CallIndirect {
            type_index,
            table_index,
        } => (type_index, table_index),
        _ => return Ok(None),
    };
    if !matches!(ops.read()?, Operator::End) || !ops.eof() {
        return Ok(None);
    }
    let called = module
        .types
        .get(type_index as usize)
        .and_then(Option::as_ref);
    if called != Some(own) {
        return Ok(None);
    }
    Ok(Some(Shim {
        func,
        table,
        slot,
        ty: type_index,
    }))
}

impl Layout<'_> {
    /// Where table `table` of `instance` (imports counted first) is defined.
    fn table_key(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        instance: CoreInstanceId,
        table: u32,
    ) -> Result<TableKey> {
        let imported = self.module(graph, instance)?.imported[Space::Table.index()];
        if table >= imported {
            return Ok(TableKey {
                instance,
                index: table - imported,
            });
        }
        let def = self.import_def(graph, instance, Space::Table, table)?;
        match self.origin(graph, adapters, &def, Space::Table)? {
            Origin::Defined {
                instance,
                space: Space::Table,
                index,
            } => Ok(TableKey { instance, index }),
            _ => Err(Error::internal("a table that no instance defines")),
        }
    }

    /// The origin of the function `func` names, past forwarding shims.
    pub(super) fn named_origin(
        &self,
        graph: &Graph,
        adapters: &Adapters,
        func: NamedFunc,
    ) -> Result<Origin> {
        let imported = self.module(graph, func.instance)?.imported[Space::Func.index()];
        if func.index < imported {
            let def = self.import_def(graph, func.instance, Space::Func, func.index)?;
            return self.origin(graph, adapters, &def, Space::Func);
        }
        let defined = DefinedFunc {
            instance: func.instance,
            index: func.index - imported,
        };
        match self.forwards.target(defined) {
            Some(target) => self.named_origin(graph, adapters, target),
            None => Ok(Origin::Defined {
                instance: defined.instance,
                space: Space::Func,
                index: defined.index,
            }),
        }
    }
}
