//! A function body as the transform sees it: straight-line runs of
//! operators, calls that can unwind, and the blocks that contain such calls,
//! each with the operand types of its frame before and after it.
//!
//! Blocks without a call that can unwind are not split: they stay inside a
//! run. Calls that can unwind are numbered in program order from 1, so the
//! calls inside one block form a range.

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::ops::Range;
use wasmparser::{
    BlockType, FuncType, FuncValidator, FunctionBody, HeapType, Operator, RefType, UnpackedIndex,
    ValType, ValidatorResources, WasmModuleResources,
};

/// One body, read and validated.
pub(super) struct Tree<'a> {
    pub(super) ops: Vec<Operator<'a>>,
    /// Each operator's offset in the module (for the code map that moves
    /// the DWARF's addresses).
    pub(super) offsets: Vec<usize>,
    /// The operand types of the innermost frame before each operator, or
    /// `None` where the frame is unreachable (an index into `arena`).
    snaps: Vec<Option<Range<usize>>>,
    arena: Vec<ValType>,
    /// The declared locals (not the parameters), in order.
    pub(super) locals: Vec<ValType>,
    pub(super) root: Seq,
}

/// A sequence of items ended by `end` or `else` at `end`.
#[derive(Debug)]
pub(super) struct Seq {
    pub(super) items: Vec<Item>,
    pub(super) end: usize,
}

#[derive(Debug)]
pub(super) enum Item {
    /// Operators none of which can unwind (blocks among them included).
    Run(Range<usize>),
    /// The call at `at`, numbered `index`.
    Call { at: usize, index: u32 },
    /// A block, loop or if containing calls that can unwind.
    Block(Block),
}

#[derive(Debug)]
pub(super) struct Block {
    pub(super) at: usize,
    pub(super) body: Seq,
    pub(super) otherwise: Option<Seq>,
    /// The index of its `end`.
    pub(super) end: usize,
    /// The numbers of the calls inside it.
    pub(super) calls: Range<u32>,
}

impl Item {
    /// The first operator of the item.
    pub(super) fn start(&self) -> usize {
        match self {
            Item::Run(r) => r.start,
            Item::Call { at, .. } => *at,
            Item::Block(b) => b.at,
        }
    }

    /// The index just past the item.
    pub(super) fn after(&self) -> usize {
        match self {
            Item::Run(r) => r.end,
            Item::Call { at, .. } => at + 1,
            Item::Block(b) => b.end + 1,
        }
    }
}

impl<'a> Tree<'a> {
    /// Reads `body`, validating it with `validator` to learn the operand
    /// types; `unwinds` tells which operators are calls that can unwind.
    pub(super) fn read(
        body: &FunctionBody<'a>,
        mut validator: FuncValidator<ValidatorResources>,
        unwinds: impl Fn(&Operator<'a>) -> bool,
    ) -> Result<Tree<'a>> {
        let mut locals = Vec::new();
        let mut reader = body.get_locals_reader()?;
        for _ in 0..reader.get_count() {
            let offset = reader.original_position();
            let (count, ty) = reader.read()?;
            validator.define_locals(offset, count, ty)?;
            locals.extend(std::iter::repeat_n(ty, count as usize));
        }
        let mut ops = Vec::new();
        let mut offsets = Vec::new();
        let mut snaps = Vec::new();
        let mut arena = Vec::new();
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            snaps.push(snapshot(&validator, &mut arena));
            validator.op(offset, &op)?;
            ops.push(op);
            offsets.push(offset);
        }
        module_indexed(&mut arena, validator.resources())?;
        let shape = Shape::of(&ops, &unwinds)?;
        let mut next_call = 1;
        let root = shape.seq(0, &mut next_call)?;
        Ok(Tree {
            ops,
            offsets,
            snaps,
            arena,
            locals,
            root,
        })
    }

    /// The operators that are calls which can unwind.
    pub(super) fn call_sites(&self) -> BTreeSet<usize> {
        let mut sites = BTreeSet::new();
        fn walk(seq: &Seq, sites: &mut BTreeSet<usize>) {
            for item in &seq.items {
                match item {
                    Item::Call { at, .. } => {
                        sites.insert(*at);
                    }
                    Item::Block(b) => {
                        walk(&b.body, sites);
                        if let Some(o) = &b.otherwise {
                            walk(o, sites);
                        }
                    }
                    Item::Run(_) => {}
                }
            }
        }
        walk(&self.root, &mut sites);
        sites
    }

    /// The operand types of the innermost frame before operator `at`.
    pub(super) fn before(&self, at: usize) -> Option<&[ValType]> {
        let range = self.snaps.get(at)?.clone()?;
        Some(&self.arena[range])
    }
}

/// The parameters and results of a block type.
pub(super) fn block_type(
    ty: BlockType,
    types: &[Option<FuncType>],
) -> Result<(Vec<ValType>, Vec<ValType>)> {
    Ok(match ty {
        BlockType::Empty => (vec![], vec![]),
        BlockType::Type(t) => (vec![], vec![t]),
        BlockType::FuncType(index) => {
            let ty = types
                .get(index as usize)
                .and_then(Option::as_ref)
                .ok_or_else(|| {
                    Error::internal(format!("block type {index} is not a function type"))
                })?;
            (ty.params().to_vec(), ty.results().to_vec())
        }
    })
}

fn snapshot(
    validator: &FuncValidator<ValidatorResources>,
    arena: &mut Vec<ValType>,
) -> Option<Range<usize>> {
    let frame = validator.get_control_frame(0)?;
    if frame.unreachable {
        return None;
    }
    let height = validator.operand_stack_height() as usize - frame.height;
    let start = arena.len();
    for depth in (0..height).rev() {
        arena.push(validator.get_operand_type(depth)??);
    }
    Some(start..arena.len())
}

/// The validator gives a reference to a type defined in the module by the
/// type's identity in its type list (a `CoreTypeId`); written into the
/// transformed body (a guard's block type, a spill's local), it must be
/// a type index of the module again: any index of that type (two indices
/// whose rec groups are the same are one type). The validator also types
/// `struct.new` and its kind as an exact reference (the custom-descriptors
/// proposal); written as such, the output would need that proposal, so the
/// type is written inexact, which every instruction without descriptors
/// takes alike.
fn module_indexed(operands: &mut [ValType], resources: &ValidatorResources) -> Result<()> {
    let by_id = |t: &ValType| match t {
        ValType::Ref(r) => r.type_index().and_then(|i| i.as_core_type_id()),
        _ => None,
    };
    if !operands.iter().any(|t| by_id(t).is_some()) {
        return Ok(());
    }
    let mut index = std::collections::HashMap::new();
    for i in (0..).take_while(|&i| resources.sub_type_at(i).is_some()) {
        let mut h = HeapType::Concrete(UnpackedIndex::Module(i));
        resources.check_heap_type(&mut h, 0)?;
        if let HeapType::Concrete(UnpackedIndex::Id(id)) = h {
            index.entry(id).or_insert(i);
        }
    }
    for t in operands.iter_mut() {
        let (Some(id), ValType::Ref(r)) = (by_id(t), *t) else {
            continue;
        };
        let i = index
            .get(&id)
            .copied()
            .ok_or_else(|| Error::internal("an operand's type is not one of the module's"))?;
        let heap = HeapType::Concrete(UnpackedIndex::Module(i));
        *t = ValType::Ref(
            RefType::new(r.is_nullable(), heap)
                .ok_or_else(|| Error::internal("a type index too large for a reference"))?,
        );
    }
    Ok(())
}

/// Where each block's `else` and `end` are, and which blocks contain a
/// call that can unwind.
struct Shape {
    /// For each operator: `Some` if it opens a block.
    blocks: Vec<Option<BlockShape>>,
    /// The operators that are calls which can unwind.
    calls: BTreeSet<usize>,
    /// The `end` and `else` operators.
    closers: BTreeSet<usize>,
    ends: usize,
}

#[derive(Clone, Copy)]
struct BlockShape {
    otherwise: Option<usize>,
    end: usize,
    unwinds: bool,
}

impl Shape {
    fn of<'a>(ops: &[Operator<'a>], unwinds: &impl Fn(&Operator<'a>) -> bool) -> Result<Shape> {
        let mut blocks = vec![None; ops.len()];
        let mut calls = BTreeSet::new();
        let mut closers = BTreeSet::new();
        // Open blocks: (opening operator, else, contains a call).
        let mut open: Vec<(usize, Option<usize>, bool)> = vec![(usize::MAX, None, false)];
        let mut ends = 0;
        for (i, op) in ops.iter().enumerate() {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    open.push((i, None, false));
                }
                Operator::TryTable { .. } | Operator::Try { .. } => {
                    open.push((i, None, false));
                }
                Operator::Else => {
                    closers.insert(i);
                    if let Some(top) = open.last_mut() {
                        top.1 = Some(i);
                    }
                }
                Operator::End => {
                    closers.insert(i);
                    let (at, otherwise, unwinds) = open
                        .pop()
                        .ok_or_else(|| Error::internal("unbalanced end in a validated body"))?;
                    if at == usize::MAX {
                        ends = i;
                        continue;
                    }
                    // A `try_table`'s catches are branches out of it, so
                    // its body rewinds as a block's does; a legacy `try`'s
                    // handlers are code that only an exception enters.
                    if unwinds && matches!(ops[at], Operator::Try { .. }) {
                        return Err(Error::unsupported(
                            "a call that can suspend inside a legacy exception handler block \
                             (try) is not supported",
                        ));
                    }
                    blocks[at] = Some(BlockShape {
                        otherwise,
                        end: i,
                        unwinds,
                    });
                    if unwinds && let Some(parent) = open.last_mut() {
                        parent.2 = true;
                    }
                }
                op if unwinds(op) => {
                    calls.insert(i);
                    for frame in open.iter_mut() {
                        frame.2 = true;
                    }
                }
                _ => {}
            }
        }
        Ok(Shape {
            blocks,
            calls,
            closers,
            ends,
        })
    }

    /// The sequence starting at operator `start`, up to its `end`/`else`.
    fn seq(&self, start: usize, next_call: &mut u32) -> Result<Seq> {
        let mut items = Vec::new();
        let mut run: Option<usize> = None;
        let mut i = start;
        loop {
            if i > self.ends {
                return Err(Error::internal("a sequence runs past the body"));
            }
            let opens = self.blocks[i].filter(|b| b.unwinds);
            let is_call = self.calls.contains(&i);
            // Blocks inside a run are stepped over whole, so an `end` or
            // `else` met here closes this sequence.
            let closes = self.closers.contains(&i);
            if (opens.is_some() || is_call || closes)
                && let Some(from) = run.take()
            {
                items.push(Item::Run(from..i));
            }
            if closes {
                return Ok(Seq { items, end: i });
            }
            if let Some(shape) = opens {
                let calls_from = *next_call;
                let body = self.seq(i + 1, next_call)?;
                let otherwise = match shape.otherwise {
                    Some(e) => Some(self.seq(e + 1, next_call)?),
                    None => None,
                };
                items.push(Item::Block(Block {
                    at: i,
                    body,
                    otherwise,
                    end: shape.end,
                    calls: calls_from..*next_call,
                }));
                i = shape.end + 1;
            } else if is_call {
                items.push(Item::Call {
                    at: i,
                    index: *next_call,
                });
                *next_call += 1;
                i += 1;
            } else {
                run.get_or_insert(i);
                // A block without calls that unwind is skipped whole.
                i = match self.blocks[i] {
                    Some(b) => b.end + 1,
                    None => i + 1,
                };
            }
        }
    }
}
