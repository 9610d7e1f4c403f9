//! Which functions of a module can unwind: the call graph, closed over from
//! the suspension points.
//!
//! A function can unwind when it calls a suspension point, calls a function
//! that can unwind, or calls through a table or a reference with a type
//! that some function which can unwind has and which the call may reach:
//! through a table, the functions active element segments put in it
//! (each inner module keeps its own table in the fused module); through a
//! reference, or a table the code or the host may change, any function
//! whose reference the module takes (an element segment or `ref.func`).
//! Imports never unwind (a host function cannot be rewound), the stop
//! functions (the scheduler that catches an unwind) are never
//! instrumented, whatever they call, and calm calls ([`Calm`]) never
//! unwind.

use super::Calm;
use crate::error::{Error, Result};
use std::collections::{BTreeSet, HashSet};
use wasmparser::{FuncType, Operator};

/// What one defined function calls, read from its body.
#[derive(Debug, Default)]
pub(super) struct Calls {
    /// Functions called directly (`call`), by function index.
    pub(super) direct: BTreeSet<u32>,
    /// Types called through a table (`call_indirect`: the table) or a
    /// reference (`call_ref`: `None`), by type index.
    pub(super) indirect: BTreeSet<(Option<u32>, u32)>,
    /// Tables the body may put any reference in (`table.set`, `.fill`,
    /// `.grow`, `.init`, `.copy`'s destination).
    pub(super) tables_written: BTreeSet<u32>,
    /// Functions whose reference the body takes (`ref.func`).
    pub(super) referenced: BTreeSet<u32>,
    /// Functions tail-called directly, and types tail-called indirectly:
    /// a tail call cannot be resumed, so one that can unwind is refused.
    pub(super) tail_direct: BTreeSet<u32>,
    pub(super) tail_indirect: BTreeSet<u32>,
}

impl Calls {
    pub(super) fn read(body: &wasmparser::FunctionBody<'_>) -> Result<Calls> {
        let mut calls = Calls::default();
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            match ops.read()? {
                Operator::Call { function_index } => {
                    calls.direct.insert(function_index);
                }
                Operator::CallIndirect {
                    type_index,
                    table_index,
                } => {
                    calls.indirect.insert((Some(table_index), type_index));
                }
                Operator::CallRef { type_index } => {
                    calls.indirect.insert((None, type_index));
                }
                Operator::TableSet { table }
                | Operator::TableFill { table }
                | Operator::TableGrow { table }
                | Operator::TableInit { table, .. }
                | Operator::TableCopy {
                    dst_table: table, ..
                } => {
                    calls.tables_written.insert(table);
                }
                Operator::RefFunc { function_index } => {
                    calls.referenced.insert(function_index);
                }
                Operator::ReturnCall { function_index } => {
                    calls.tail_direct.insert(function_index);
                }
                Operator::ReturnCallIndirect { type_index, .. }
                | Operator::ReturnCallRef { type_index } => {
                    calls.tail_indirect.insert(type_index);
                }
                _ => {}
            }
        }
        Ok(calls)
    }
}

/// The module facts the closure needs, function indices counting imports.
pub(super) struct CallGraph<'a> {
    /// The type index of every function.
    pub(super) func_types: &'a [u32],
    /// Every type by index (`None` for non-function types).
    pub(super) types: &'a [Option<FuncType>],
    /// How many functions are imports.
    pub(super) imported: u32,
    /// What each defined function calls, in definition order.
    pub(super) calls: &'a [Calls],
    /// Functions named by element segments.
    pub(super) in_elements: &'a BTreeSet<u32>,
    /// Per table, the functions active element segments put in it.
    pub(super) by_table: &'a std::collections::BTreeMap<u32, BTreeSet<u32>>,
    /// Tables the host may change (imported or exported): any reference
    /// may be in them.
    pub(super) open_tables: &'a BTreeSet<u32>,
}

impl CallGraph<'_> {
    /// The functions that can unwind, given the suspension points (which
    /// unwind themselves) and the stop functions (never instrumented).
    pub(super) fn unwinding(
        &self,
        suspend: &BTreeSet<u32>,
        stop: &BTreeSet<u32>,
        calm: &Calm,
    ) -> Result<BTreeSet<u32>> {
        let mut address_taken: BTreeSet<u32> = self.in_elements.clone();
        for calls in self.calls {
            address_taken.extend(&calls.referenced);
        }
        // A call through a table reaches only what the table may hold: its
        // active segments' functions, unless something may put any
        // reference in it (then, as through a reference, any function
        // whose reference the module takes).
        let mut open = self.open_tables.clone();
        for calls in self.calls {
            open.extend(&calls.tables_written);
        }
        let mut unwinding: BTreeSet<u32> = suspend.clone();
        loop {
            let indirect: HashSet<&FuncType> = address_taken
                .iter()
                .filter(|f| unwinding.contains(f))
                .filter_map(|&f| self.func_type(f))
                .collect();
            let per_table: std::collections::BTreeMap<u32, HashSet<&FuncType>> = self
                .by_table
                .iter()
                .map(|(t, funcs)| {
                    let types = funcs
                        .iter()
                        .filter(|f| unwinding.contains(f))
                        .filter_map(|&f| self.func_type(f))
                        .collect();
                    (*t, types)
                })
                .collect();
            let before = unwinding.len();
            for (i, calls) in self.calls.iter().enumerate() {
                let func = self.imported + i as u32;
                if stop.contains(&func) || unwinding.contains(&func) {
                    continue;
                }
                let calm_caller = func >= calm.callers_from;
                let direct = calls
                    .direct
                    .iter()
                    .any(|f| unwinding.contains(f) && !(calm_caller && calm.callees.contains(f)));
                let through = calls.indirect.iter().any(|&(table, t)| {
                    let Some(ty) = self.type_at(t) else {
                        return false;
                    };
                    match table {
                        Some(table) if !open.contains(&table) => per_table
                            .get(&table)
                            .is_some_and(|types| types.contains(ty)),
                        _ => indirect.contains(ty),
                    }
                });
                if direct || through {
                    unwinding.insert(func);
                }
            }
            if unwinding.len() == before {
                break;
            }
        }
        self.refuse_tail_calls(&unwinding, stop)?;
        Ok(unwinding)
    }

    /// A tail call into a function that can unwind leaves no frame to
    /// resume; meld does not rewrite tail calls yet.
    fn refuse_tail_calls(&self, unwinding: &BTreeSet<u32>, stop: &BTreeSet<u32>) -> Result<()> {
        let unwinding_types: HashSet<&FuncType> = unwinding
            .iter()
            .filter_map(|&f| self.func_type(f))
            .collect();
        for (i, calls) in self.calls.iter().enumerate() {
            let func = self.imported + i as u32;
            if stop.contains(&func) {
                continue;
            }
            let direct = calls.tail_direct.iter().find(|f| unwinding.contains(f));
            let through = calls.tail_indirect.iter().find(|&&t| {
                self.type_at(t)
                    .is_some_and(|ty| unwinding_types.contains(ty))
            });
            if let Some(callee) = direct {
                return Err(Error::unsupported(format!(
                    "function {func} tail-calls function {callee}, which can suspend; \
                     tail calls into code that suspends are not supported"
                )));
            }
            if let Some(ty) = through {
                return Err(Error::unsupported(format!(
                    "function {func} tail-calls through type {ty}, which a function that can \
                     suspend has; tail calls into code that suspends are not supported"
                )));
            }
        }
        Ok(())
    }

    fn func_type(&self, func: u32) -> Option<&FuncType> {
        self.type_at(*self.func_types.get(func as usize)?)
    }

    fn type_at(&self, ty: u32) -> Option<&FuncType> {
        self.types.get(ty as usize)?.as_ref()
    }

    /// The type indices through which a call can unwind: those equal to
    /// the type of an address-taken function that can unwind.
    pub(super) fn unwinding_types(&self, unwinding: &BTreeSet<u32>) -> BTreeSet<u32> {
        let mut address_taken: BTreeSet<u32> = self.in_elements.clone();
        for calls in self.calls {
            address_taken.extend(&calls.referenced);
        }
        let reachable: HashSet<&FuncType> = address_taken
            .iter()
            .filter(|f| unwinding.contains(f))
            .filter_map(|&f| self.func_type(f))
            .collect();
        (0..self.types.len() as u32)
            .filter(|&t| self.type_at(t).is_some_and(|ty| reachable.contains(ty)))
            .collect()
    }
}
