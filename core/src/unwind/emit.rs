//! The transformed body of one function that can unwind.
//!
//! The function gets a prologue, a body wrapped in two blocks, and a save
//! sequence:
//!
//! ```text
//! if state == REWINDING { pop this frame: every local and the call number }
//! block $save
//!   block $body (result <the function's results>)
//!     <the body, transformed>
//!   end
//!   return
//! end
//! push this frame; return zeros
//! ```
//!
//! Inside, every item of every sequence on the way to a call that can
//! unwind is guarded so that, when rewinding, only the path to the call
//! that unwound is taken:
//! - a run of operators before a call or block that can unwind runs only
//!   when not rewinding (runs after the last one are only ever reached in
//!   the normal state, and are copied as they are); it takes the whole
//!   operand stack of its frame as parameters and leaves the whole stack,
//!   which it also copies into fresh locals; when rewinding, it drops its
//!   parameters and pushes those locals instead (restored from the frame,
//!   they hold what the stack held when the function unwound);
//! - a call runs when not rewinding or when it is the call that unwound;
//!   after it returns, if the callee started unwinding, the function saves
//!   the call's number and branches to `$save`;
//! - a block containing calls runs when not rewinding or when the call that
//!   unwound is inside it (an `if` then takes the branch it took, because
//!   its condition is restored like every other value).
//!
//! So, when rewinding, the operand stack always holds what it held when the
//! function unwound, and the first operator that runs in the normal state is
//! the one after the call that unwound.

use super::refs::{self, RefTables, Slots};
use super::tree::{Block, Item, Seq, Tree, block_type};
use super::{Globals, REWINDING, UNWINDING};
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::collections::HashMap;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{BlockType, Catch, Function, Instruction, MemArg};
use wasmparser::{FuncType, Operator, ValType};

/// Function types added for the guards' block types, after the module's.
#[derive(Debug)]
pub(super) struct BlockTypes {
    first: u32,
    added: Vec<(Vec<ValType>, Vec<ValType>)>,
    index: HashMap<(Vec<ValType>, Vec<ValType>), u32>,
}

impl BlockTypes {
    pub(super) fn new(existing: u32) -> BlockTypes {
        BlockTypes {
            first: existing,
            added: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn get(&mut self, params: &[ValType], results: &[ValType]) -> Result<BlockType> {
        Ok(match (params, results) {
            ([], []) => BlockType::Empty,
            ([], [t]) => BlockType::Result(valtype(*t)?),
            _ => BlockType::FunctionType(self.index(params, results)),
        })
    }

    /// The index of function type `params -> results`, added if the
    /// module has none (a block type may name one the module has).
    pub(super) fn index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        let key = (params.to_vec(), results.to_vec());
        let next = self.first + self.added.len() as u32;
        let index = *self.index.entry(key.clone()).or_insert(next);
        if index == next {
            self.added.push(key);
        }
        index
    }

    pub(super) fn added(&self) -> &[(Vec<ValType>, Vec<ValType>)] {
        &self.added
    }
}

/// What the transform needs to know about the module around one body.
pub(super) struct Context<'m> {
    pub(super) globals: Globals,
    pub(super) types: &'m [Option<FuncType>],
    pub(super) sub_types: &'m [wasmparser::SubType],
    pub(super) func_types: &'m [u32],
}

/// The transformed body of `tree`, and where each of its operators went:
/// `(its offset in the module, its offset in the new body)`, the new one
/// counted from the body's start (its locals included, as
/// `Function::byte_len` counts).
pub(super) fn function(
    tree: &Tree<'_>,
    ty: &FuncType,
    cx: &Context<'_>,
    block_types: &mut BlockTypes,
    ref_tables: &mut RefTables,
) -> Result<(Function, Vec<(usize, usize)>)> {
    let mut locals: Vec<ValType> = ty.params().to_vec();
    locals.extend(&tree.locals);
    let call_local = locals.len() as u32;
    locals.push(ValType::I32);
    let mut e = Emitter {
        tree,
        cx,
        block_types,
        code: Vec::new(),
        origins: Vec::new(),
        frames: Vec::new(),
        locals,
        params: ty.params().len(),
        call_local,
        scratch: Vec::new(),
    };
    e.frames.push(Label::Added);
    e.push(Instruction::Block(BlockType::Empty));
    e.frames.push(Label::Original);
    let body_type = e.block_types.get(&[], ty.results())?;
    e.push(Instruction::Block(body_type));
    e.seq(&tree.root)?;
    e.push(Instruction::End);
    e.push(Instruction::Return);
    e.push(Instruction::End);
    let body = std::mem::take(&mut e.code);
    let origins = std::mem::take(&mut e.origins);
    // The function's own locals dead after every call that can unwind need
    // no slot; the call number and the spills always do.
    let own = call_local;
    let live = super::live::live_after(&tree.ops, own, &tree.call_sites());
    let kept = |l: u32| {
        if l >= own {
            !e.scratch.contains(&l)
        } else {
            live.as_ref().is_none_or(|live| live.contains(&l))
        }
    };
    let mut frame = Frame::of(&e.locals, ty.params().len(), kept, ref_tables)?;
    if frame.slots.iter().any(|s| s.refs.is_some()) {
        frame.tmp = e.locals.len() as u32;
        e.locals.push(ValType::I32);
    }

    // (a non-nullable local is declared nullable, see `Emitter::widened`)
    let declared = &e.locals[ty.params().len()..];
    let declared = declared
        .iter()
        .map(|&t| match t {
            ValType::Ref(r) => valtype(ValType::Ref(r.nullable())),
            t => valtype(t),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut func = Function::new_with_locals_types(declared);
    let g = cx.globals;
    // Prologue: pop this frame when rewinding.
    func.instruction(&Instruction::GlobalGet(g.state));
    func.instruction(&Instruction::I32Const(REWINDING));
    func.instruction(&Instruction::I32Eq);
    func.instruction(&Instruction::If(BlockType::Empty));
    frame.restore(&mut func, g)?;
    func.instruction(&Instruction::End);
    let mut moved = Vec::new();
    for (ins, origin) in body.iter().zip(&origins) {
        if let Some(at) = origin {
            moved.push((tree.offsets[*at], func.byte_len()));
        }
        func.instruction(ins);
    }
    // Reached by `br $save` only: push this frame and return anything.
    frame.save(&mut func, g);
    for &t in ty.results() {
        func.instruction(&match t {
            ValType::Ref(r) if !r.is_nullable() => {
                Instruction::GlobalGet(ref_tables.placeholder(r, cx.sub_types)?)
            }
            t => zero(t)?,
        });
    }
    // (the original body's `end` is the new one's)
    moved.push((tree.offsets[tree.root.end], func.byte_len()));
    func.instruction(&Instruction::End);
    Ok((func, moved))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    /// A label of the original body.
    Original,
    /// A block added by the transform.
    Added,
}

struct Emitter<'t, 'a, 'm> {
    tree: &'t Tree<'a>,
    cx: &'t Context<'m>,
    block_types: &'t mut BlockTypes,
    code: Vec<Instruction<'a>>,
    /// For each instruction of `code`, the operator of the original body
    /// it copies (none for the added ones).
    origins: Vec<Option<usize>>,
    frames: Vec<Label>,
    /// Every local: parameters, declared, the call number, spills.
    locals: Vec<ValType>,
    /// How many of `locals` are parameters.
    params: usize,
    call_local: u32,
    /// Locals that only carry a value across a few instructions of one
    /// run: never live across a call, never saved.
    scratch: Vec<u32>,
}

impl<'a> Emitter<'_, 'a, '_> {
    fn push(&mut self, ins: Instruction<'a>) {
        self.code.push(ins);
        self.origins.push(None);
    }

    /// Whether `local` holds a non-nullable reference but is declared
    /// nullable. The guards put an original `local.set` and a later
    /// `local.get` in different blocks, and a rewind restores the local
    /// without running the `set`, so validation could not see it set;
    /// declared nullable it needs no `set`, and each read of it asserts
    /// what the original's type said (it never traps: a rewind restores
    /// what the local held).
    fn widened(&self, local: u32) -> bool {
        local as usize >= self.params
            && matches!(self.locals.get(local as usize), Some(ValType::Ref(r)) if !r.is_nullable())
    }

    /// `local.get` of an added local (a spill), with its type.
    fn get(&mut self, local: u32) {
        self.push(Instruction::LocalGet(local));
        if self.widened(local) {
            self.push(Instruction::RefAsNonNull);
        }
    }

    fn seq(&mut self, seq: &Seq) -> Result<()> {
        for (n, item) in seq.items.iter().enumerate() {
            let start = item.start();
            let Some(before) = self.tree.before(start).map(<[_]>::to_vec) else {
                // Unreachable from here on: copied as it is, never run.
                return self.copy(start..seq.end);
            };
            match item {
                // After the last call or block that can unwind, a run is
                // only ever reached in the normal state.
                Item::Run(range) if n + 1 == seq.items.len() => self.copy(range.clone())?,
                Item::Run(range) => {
                    let Some(after) = self.tree.before(range.end).map(<[_]>::to_vec) else {
                        // The run ends in a branch: rewinding never gets
                        // here (what follows is unreachable, so the call
                        // that unwound is before it).
                        return self.copy(start..seq.end);
                    };
                    let ignored = self.ignored_operands(&seq.items[n + 1], &after)?;
                    self.run(range.clone(), &before, &after, ignored)?;
                }
                Item::Call { at, index } => self.call(*at, *index, &before)?,
                Item::Block(block) => self.block(block, &before)?,
            }
            if n + 1 == seq.items.len() && item.after() != seq.end {
                return Err(Error::internal("a sequence's items stop before its end"));
            }
        }
        Ok(())
    }

    /// `state != REWINDING`
    fn not_rewinding(&mut self) {
        let g = self.cx.globals;
        self.push(Instruction::GlobalGet(g.state));
        self.push(Instruction::I32Const(REWINDING));
        self.push(Instruction::I32Ne);
    }

    fn run(
        &mut self,
        range: std::ops::Range<usize>,
        before: &[ValType],
        after: &[ValType],
        ignored: std::ops::Range<usize>,
    ) -> Result<()> {
        self.not_rewinding();
        let ty = self.block_types.get(before, after)?;
        self.frames.push(Label::Added);
        self.push(Instruction::If(ty));
        self.copy(range)?;
        if ignored.is_empty() {
            return self.guard_else(before.len(), after);
        }
        // Keep the values a rewind needs (those below the next item's
        // operands, and the selector or condition above them); the
        // operands themselves are pushed as zeros when rewinding.
        let kept: Vec<bool> = (0..after.len()).map(|i| !ignored.contains(&i)).collect();
        let lowest_kept_above = (ignored.end..after.len()).next();
        let pop_from = if ignored.start > 0 {
            0
        } else {
            lowest_kept_above.unwrap_or(after.len())
        };
        let mut slots = vec![None; after.len()];
        for i in (pop_from..after.len()).rev() {
            let local = self.fresh(after[i], kept[i])?;
            self.push(Instruction::LocalSet(local));
            slots[i] = Some(local);
        }
        for slot in slots.iter().skip(pop_from).flatten() {
            self.get(*slot);
        }
        self.push(Instruction::Else);
        for _ in 0..before.len() {
            self.push(Instruction::Drop);
        }
        for (i, &t) in after.iter().enumerate() {
            match (kept[i], slots[i]) {
                (true, Some(local)) => self.get(local),
                _ => self.push(zero(t)?),
            }
        }
        self.push(Instruction::End);
        self.frames.pop();
        Ok(())
    }

    /// Which of the values a run leaves (`len` of them) the next item takes
    /// as operands that a rewind does not need: a call's arguments (the
    /// callee restores its own locals) and a block's parameters (its first
    /// item takes or drops them), but not a callee table index or reference
    /// nor an `if`'s condition. Empty unless all of them are numbers.
    fn ignored_operands(&self, next: &Item, after: &[ValType]) -> Result<std::ops::Range<usize>> {
        let len = after.len();
        let (operands, selector) = match next {
            Item::Call { at, .. } => {
                let (operands, _) = self.call_type(*at)?;
                let selector = usize::from(!matches!(self.tree.ops[*at], Operator::Call { .. }));
                (operands, selector)
            }
            Item::Block(block) => match self.tree.ops[block.at] {
                Operator::Block { blockty } | Operator::Loop { blockty } => {
                    (block_type(blockty, self.cx.types)?.0.len(), 0)
                }
                Operator::TryTable { ref try_table } => {
                    (block_type(try_table.ty, self.cx.types)?.0.len(), 0)
                }
                Operator::If { blockty } => (block_type(blockty, self.cx.types)?.0.len() + 1, 1),
                _ => return Err(Error::internal("a block that can unwind is not a block")),
            },
            Item::Run(_) => return Err(Error::internal("two runs in a row")),
        };
        let end = len.checked_sub(selector).ok_or_else(too_few)?;
        let start = len.checked_sub(operands).ok_or_else(too_few)?;
        if !after[start..end].iter().all(|&t| is_number(t)) {
            return Ok(0..0);
        }
        Ok(start..end)
    }

    /// A fresh local of type `t`; `saved`: whether frames hold it (else it
    /// only carries a value across a few instructions).
    fn fresh(&mut self, t: ValType, saved: bool) -> Result<u32> {
        let local = self.locals.len() as u32;
        self.locals.push(t);
        if !saved {
            self.scratch.push(local);
        }
        Ok(local)
    }

    /// Copies the results into fresh locals, then the `else` of a guard:
    /// drop the parameters, push the copies; `end`.
    fn guard_else(&mut self, params: usize, results: &[ValType]) -> Result<()> {
        let spills = self.spill(results)?;
        self.push(Instruction::Else);
        for _ in 0..params {
            self.push(Instruction::Drop);
        }
        for &l in &spills {
            self.get(l);
        }
        self.push(Instruction::End);
        self.frames.pop();
        Ok(())
    }

    /// Stores the top `types.len()` operands into fresh locals and pushes
    /// them back; returns the locals.
    fn spill(&mut self, types: &[ValType]) -> Result<Vec<u32>> {
        let first = self.locals.len() as u32;
        self.locals.extend(types);
        let spills: Vec<u32> = (first..first + types.len() as u32).collect();
        for &l in spills.iter().rev() {
            self.push(Instruction::LocalSet(l));
        }
        for &l in &spills {
            self.get(l);
        }
        Ok(spills)
    }

    fn call(&mut self, at: usize, index: u32, before: &[ValType]) -> Result<()> {
        let (operands, results) = self.call_type(at)?;
        let params = before
            .get(before.len().checked_sub(operands).ok_or_else(too_few)?..)
            .ok_or_else(too_few)?
            .to_vec();
        self.chosen(index..index + 1);
        let ty = self.block_types.get(&params, &results)?;
        self.frames.push(Label::Added);
        self.push(Instruction::If(ty));
        self.copy(at..at + 1)?;
        // The callee started unwinding: save this call's number, unwind.
        let g = self.cx.globals;
        self.push(Instruction::GlobalGet(g.state));
        self.push(Instruction::I32Const(UNWINDING));
        self.push(Instruction::I32Eq);
        self.push(Instruction::If(BlockType::Empty));
        self.push(Instruction::I32Const(index as i32));
        self.push(Instruction::LocalSet(self.call_local));
        // `$save` is the outermost label; this `if` is one more.
        self.push(Instruction::Br(self.frames.len() as u32));
        self.push(Instruction::End);
        self.guard_else(params.len(), &results)
    }

    /// `state != REWINDING || call number in calls`
    fn chosen(&mut self, calls: std::ops::Range<u32>) {
        self.not_rewinding();
        self.push(Instruction::LocalGet(self.call_local));
        self.push(Instruction::I32Const(calls.start as i32));
        self.push(Instruction::I32Sub);
        self.push(Instruction::I32Const((calls.end - calls.start) as i32));
        self.push(Instruction::I32LtU);
        self.push(Instruction::I32Or);
    }

    /// How many operands the call at `at` takes, and its results.
    fn call_type(&self, at: usize) -> Result<(usize, Vec<ValType>)> {
        let (ty, extra) = match self.tree.ops[at] {
            Operator::Call { function_index } => (
                *self
                    .cx
                    .func_types
                    .get(function_index as usize)
                    .ok_or_else(|| Error::internal("call of an unknown function"))?,
                0,
            ),
            Operator::CallIndirect { type_index, .. } | Operator::CallRef { type_index } => {
                (type_index, 1)
            }
            _ => return Err(Error::internal("a call that can unwind is not a call")),
        };
        let ty = self
            .cx
            .types
            .get(ty as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| Error::internal(format!("type {ty} is not a function type")))?;
        Ok((ty.params().len() + extra, ty.results().to_vec()))
    }

    fn block(&mut self, block: &Block, before: &[ValType]) -> Result<()> {
        let (ty, condition) = match self.tree.ops[block.at] {
            Operator::Block { blockty } | Operator::Loop { blockty } => (blockty, 0),
            Operator::If { blockty } => (blockty, 1),
            Operator::TryTable { ref try_table } => (try_table.ty, 0),
            _ => return Err(Error::internal("a block that can unwind is not a block")),
        };
        let (params, results) = block_type(ty, self.cx.types)?;
        let operands = params.len() + condition;
        let params = before
            .get(before.len().checked_sub(operands).ok_or_else(too_few)?..)
            .ok_or_else(too_few)?
            .to_vec();
        self.chosen(block.calls.clone());
        let guard = self.block_types.get(&params, &results)?;
        self.frames.push(Label::Added);
        self.push(Instruction::If(guard));
        self.copy(block.at..block.at + 1)?;
        self.seq(&block.body)?;
        if let Some(otherwise) = &block.otherwise {
            self.copy(block.body.end..block.body.end + 1)?;
            self.seq(otherwise)?;
        }
        self.copy(block.end..block.end + 1)?;
        self.guard_else(params.len(), &results)
    }

    /// Copies operators, moving branch depths over the added blocks.
    fn copy(&mut self, range: std::ops::Range<usize>) -> Result<()> {
        for at in range {
            let op = self.tree.ops[at].clone();
            let opens = matches!(
                op,
                Operator::Block { .. }
                    | Operator::Loop { .. }
                    | Operator::If { .. }
                    | Operator::Try { .. }
                    | Operator::TryTable { .. }
            );
            let closes = matches!(op, Operator::End | Operator::Delegate { .. });
            let asserts = matches!(
                op,
                Operator::LocalGet { local_index } | Operator::LocalTee { local_index }
                    if self.widened(local_index)
            );
            if closes {
                self.frames.pop();
            }
            let ins = RoundtripReencoder
                .instruction(op)
                .map_err(|e| Error::internal(format!("re-encoding an operator: {e:?}")))?;
            let ins = self.relabel(ins)?;
            self.push(ins);
            if let Some(origin) = self.origins.last_mut() {
                *origin = Some(at);
            }
            if asserts {
                self.push(Instruction::RefAsNonNull);
            }
            if opens {
                self.frames.push(Label::Original);
            }
        }
        Ok(())
    }

    fn relabel(&self, ins: Instruction<'a>) -> Result<Instruction<'a>> {
        let d = |depth: u32| self.depth(depth);
        Ok(match ins {
            Instruction::Br(l) => Instruction::Br(d(l)?),
            Instruction::BrIf(l) => Instruction::BrIf(d(l)?),
            Instruction::BrOnNull(l) => Instruction::BrOnNull(d(l)?),
            Instruction::BrOnNonNull(l) => Instruction::BrOnNonNull(d(l)?),
            Instruction::Rethrow(l) => Instruction::Rethrow(d(l)?),
            Instruction::Delegate(l) => Instruction::Delegate(d(l)?),
            Instruction::BrTable(targets, default) => {
                let targets = targets.iter().map(|&l| d(l)).collect::<Result<Vec<_>>>()?;
                Instruction::BrTable(Cow::Owned(targets), d(default)?)
            }
            Instruction::BrOnCast {
                relative_depth,
                from_ref_type,
                to_ref_type,
            } => Instruction::BrOnCast {
                relative_depth: d(relative_depth)?,
                from_ref_type,
                to_ref_type,
            },
            Instruction::BrOnCastFail {
                relative_depth,
                from_ref_type,
                to_ref_type,
            } => Instruction::BrOnCastFail {
                relative_depth: d(relative_depth)?,
                from_ref_type,
                to_ref_type,
            },
            Instruction::BrOnCastDescEq {
                relative_depth,
                from_ref_type,
                to_ref_type,
            } => Instruction::BrOnCastDescEq {
                relative_depth: d(relative_depth)?,
                from_ref_type,
                to_ref_type,
            },
            Instruction::BrOnCastDescEqFail {
                relative_depth,
                from_ref_type,
                to_ref_type,
            } => Instruction::BrOnCastDescEqFail {
                relative_depth: d(relative_depth)?,
                from_ref_type,
                to_ref_type,
            },
            Instruction::TryTable(ty, catches) => {
                let catches = catches
                    .iter()
                    .map(|c| {
                        Ok(match *c {
                            Catch::One { tag, label } => Catch::One {
                                tag,
                                label: d(label)?,
                            },
                            Catch::OneRef { tag, label } => Catch::OneRef {
                                tag,
                                label: d(label)?,
                            },
                            Catch::All { label } => Catch::All { label: d(label)? },
                            Catch::AllRef { label } => Catch::AllRef { label: d(label)? },
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Instruction::TryTable(ty, Cow::Owned(catches))
            }
            other => other,
        })
    }

    /// The depth, counting added blocks, of the original label `depth`.
    fn depth(&self, depth: u32) -> Result<u32> {
        let mut originals = 0;
        for (n, label) in self.frames.iter().rev().enumerate() {
            if *label == Label::Original {
                if originals == depth {
                    return Ok(n as u32);
                }
                originals += 1;
            }
        }
        Err(Error::internal(format!(
            "branch to label {depth} outside the body"
        )))
    }
}

fn too_few() -> Error {
    Error::internal("fewer operands than a call or block takes in a validated body")
}

fn is_number(t: ValType) -> bool {
    matches!(
        t,
        ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 | ValType::V128
    )
}

fn valtype(t: ValType) -> Result<wasm_encoder::ValType> {
    RoundtripReencoder
        .val_type(t)
        .map_err(|e| Error::internal(format!("re-encoding a value type: {e:?}")))
}

/// A value of type `t` that stands for nothing: what a function that
/// unwinds returns, and the operands a rewound call ignores.
fn zero(t: ValType) -> Result<Instruction<'static>> {
    Ok(match t {
        ValType::I32 => Instruction::I32Const(0),
        ValType::I64 => Instruction::I64Const(0),
        ValType::F32 => Instruction::F32Const(0.0.into()),
        ValType::F64 => Instruction::F64Const(0.0.into()),
        ValType::V128 => Instruction::V128Const(0),
        ValType::Ref(r) if r.is_nullable() => Instruction::RefNull(
            RoundtripReencoder
                .heap_type(r.heap_type())
                .map_err(|e| Error::internal(format!("re-encoding a heap type: {e:?}")))?,
        ),
        ValType::Ref(_) => {
            return Err(Error::internal(format!(
                "a value of non-nullable type {t} stands for nothing"
            )));
        }
    })
}

/// Where each saved local of a function lives in its frame.
struct Frame {
    slots: Vec<Slot>,
    size: u32,
    /// A scratch `i32` local for a reference's slot index (set once the
    /// frame holds a reference).
    tmp: u32,
}

/// One saved local: a number at `offset`, or a reference whose slot index
/// in the table of `refs` is at `offset`.
struct Slot {
    local: u32,
    ty: ValType,
    offset: u32,
    refs: Option<Slots>,
    /// A non-nullable parameter (its declared type is the original's).
    non_null_param: bool,
}

impl Frame {
    fn of(
        locals: &[ValType],
        params: usize,
        kept: impl Fn(u32) -> bool,
        ref_tables: &mut RefTables,
    ) -> Result<Frame> {
        let mut slots = Vec::with_capacity(locals.len());
        let mut size = 0u32;
        for (n, &t) in locals.iter().enumerate() {
            if !kept(n as u32) {
                continue;
            }
            let (width, refs, non_null_param) = match t {
                ValType::I32 | ValType::F32 => (4, None, false),
                ValType::I64 | ValType::F64 => (8, None, false),
                ValType::V128 => (16, None, false),
                ValType::Ref(r) => (4, Some(ref_tables.of(r)), n < params && !r.is_nullable()),
            };
            slots.push(Slot {
                local: n as u32,
                ty: t,
                offset: size,
                refs,
                non_null_param,
            });
            size = size
                .checked_add(width)
                .ok_or_else(|| Error::unsupported("a suspending function's frame is too large"))?;
        }
        Ok(Frame {
            slots,
            size,
            tmp: u32::MAX,
        })
    }

    fn mem(&self, offset: u32, g: Globals) -> MemArg {
        MemArg {
            offset: u64::from(g.base) + u64::from(offset),
            align: 0,
            memory_index: g.memory,
        }
    }

    /// Writes every local at `sp` and moves `sp` past them; when the frame
    /// does not fit below `limit`, `grow` makes room first (or it traps).
    fn save(&self, f: &mut Function, g: Globals) {
        f.instruction(&Instruction::GlobalGet(g.sp));
        f.instruction(&Instruction::I32Const(self.size as i32));
        f.instruction(&Instruction::I32Add);
        f.instruction(&Instruction::GlobalGet(g.limit));
        f.instruction(&Instruction::I32GtU);
        f.instruction(&Instruction::If(BlockType::Empty));
        match g.grow {
            Some(grow) => {
                f.instruction(&Instruction::I32Const(self.size as i32));
                f.instruction(&Instruction::Call(grow))
            }
            None => f.instruction(&Instruction::Unreachable),
        };
        f.instruction(&Instruction::End);
        for slot in &self.slots {
            f.instruction(&Instruction::GlobalGet(g.sp));
            let m = self.mem(slot.offset, g);
            if let Some(s) = slot.refs {
                refs::save(f, s, slot.local, self.tmp);
                f.instruction(&Instruction::I32Store(m));
                continue;
            }
            f.instruction(&Instruction::LocalGet(slot.local));
            f.instruction(&match slot.ty {
                ValType::I32 => Instruction::I32Store(m),
                ValType::I64 => Instruction::I64Store(m),
                ValType::F32 => Instruction::F32Store(m),
                ValType::F64 => Instruction::F64Store(m),
                _ => Instruction::V128Store(m),
            });
        }
        f.instruction(&Instruction::GlobalGet(g.sp));
        f.instruction(&Instruction::I32Const(self.size as i32));
        f.instruction(&Instruction::I32Add);
        f.instruction(&Instruction::GlobalSet(g.sp));
    }

    /// Moves `sp` back over this frame and reads every local from it.
    fn restore(&self, f: &mut Function, g: Globals) -> Result<()> {
        f.instruction(&Instruction::GlobalGet(g.sp));
        f.instruction(&Instruction::I32Const(self.size as i32));
        f.instruction(&Instruction::I32Sub);
        f.instruction(&Instruction::GlobalSet(g.sp));
        for slot in &self.slots {
            f.instruction(&Instruction::GlobalGet(g.sp));
            let m = self.mem(slot.offset, g);
            if let Some(s) = slot.refs {
                f.instruction(&Instruction::I32Load(m));
                refs::restore(f, s, self.tmp)?;
                if slot.non_null_param {
                    f.instruction(&Instruction::RefAsNonNull);
                }
            } else {
                f.instruction(&match slot.ty {
                    ValType::I32 => Instruction::I32Load(m),
                    ValType::I64 => Instruction::I64Load(m),
                    ValType::F32 => Instruction::F32Load(m),
                    ValType::F64 => Instruction::F64Load(m),
                    _ => Instruction::V128Load(m),
                });
            }
            f.instruction(&Instruction::LocalSet(slot.local));
        }
        Ok(())
    }
}
