//! Resource handle tables, as generated wasm over meld's own memory.
//!
//! Each inner component instance has one handle table, shared by every
//! resource type it holds handles of, the host's included, as in wasmtime:
//! handles are indices from 1, and a freed slot is the first one reused (a
//! free list), so host and inner handles interleave in creation order. A
//! slot is 16 bytes: a tag, the resource type (or, when free, the next free
//! slot), the representation, and for an own handle the number of active
//! lends, for a borrow the call scope it belongs to.
//!
//! Tags: 0 free, 1 own, 2 borrow, 3 a borrow the host lent (dropping it
//! drops the host's borrow too). Tags from 8 on are kept for what the
//! component model keeps in the same table under async (subtasks, waitable
//! sets, stream and future ends, error contexts).
//!
//! A handle of a host resource has the host's handle (the handle in the
//! table of the component wrapping the fused module, or of a core host) as
//! its representation: at the host boundary an own handle leaves the
//! component's table for the host's handle and comes back as a new slot,
//! a borrow passes its representation. A component can only name the
//! host's handles it was given.
//!
//! Calls that pass borrows open a scope: a lent own handle cannot be
//! dropped or moved until the call returns, and the callee must drop every
//! borrow handle it was given before it returns (else the call traps).
//! Scopes and lends are two stacks. Tables, scopes and lends are vectors
//! that, when full, move to a block twice the size taken from a bump
//! allocator (the old block is not reused).
//!
//! Layout of meld's memory (all `u32`):
//!
//! | address | what |
//! |---|---|
//! | 0 | bump pointer (0 until the first allocation) |
//! | 4, 8, 12 | scope stack: length, capacity, pointer (8-byte entries: borrows, first lend) |
//! | 16, 20, 24 | lend stack: length, capacity, pointer (8-byte entries: table, handle) |
//! | 28 | set while the host's handle of an exported resource is taken over |
//! | 32, 36, 40 | scratch block of the current staged host call: pointer, capacity, used |
//! | 44 | the stage heap's free lists (32 words, by size class), 0 until its first block |
//! | 48 | while a staged write is settled: the distance from its elements to their shadow |
//! | 64 + 16·k | table of component `k`: first free, length, capacity, pointer |

use super::body::{Body, Local};
use super::codegen::{Codegen, HelperKey};
use crate::abi::{EndKind, Flat};
use crate::decode::ResourceOp;
use crate::error::{Error, Result};
use crate::merge::GeneratedFunc;
use wasm_encoder::{BlockType, Instruction as I};
use wasmparser::FuncType;

const BUMP: u32 = 0;
const SCOPES: u32 = 4;
const LENDS: u32 = 16;
/// The flag the destructor of an exported resource checks.
const TAKING_OVER: u32 = 28;
/// The scratch block host calls copy their parameters into.
const SCRATCH: u32 = 32;
/// The stage heap's free lists (`RtFn::StageAlloc`).
const STAGE: u32 = 44;
/// While a staged write whose elements hold own handles of inner
/// components' resources or readable ends is settled: the distance from
/// its elements (or a list's) to their shadow, the writer's elements as it
/// wrote them (`RtFn::InnerSettle`, `RtFn::EndSettle`).
pub(crate) const SHADOW: u32 = 48;
const TABLES: u32 = 64;
const SLOT: u32 = 16;
const FREE: u32 = 0;
const OWN: u32 = 1;
const BORROW: u32 = 2;
/// A borrow handle of a host resource the host lent in a call.
const HOST_BORROW: u32 = 3;
/// The borrow count of a task scope that ended out of order (no borrow can
/// be counted in it any more).
const TASK_SCOPE_ENDED: u32 = u32::MAX;
/// Handles are below this, as in wasmtime.
const MAX_HANDLE: u32 = 1 << 28;

/// What adapters need to know about resources.
#[derive(Debug, Clone, Default)]
pub(crate) struct Runtime {
    /// Fused index of meld's memory.
    pub(crate) memory: Option<u32>,
    /// Number of inner components (tables).
    pub(crate) components: u32,
    /// Per resource: the component defining it (`None`: the host's).
    pub(crate) definers: Vec<Option<u32>>,
    /// Per resource: the fused index of its destructor; for a host
    /// resource, of the host's `resource.drop`.
    pub(crate) dtors: Vec<Option<u32>>,
    /// Per exported resource: the fused indices of the wrapper's
    /// `resource.new`, `.rep` and `.drop` of the type standing for it.
    pub(crate) outer: Vec<Option<[u32; 3]>>,
    /// The async runtime's functions moving ends and error contexts
    /// (`None` without the async runtime).
    pub(crate) ends: Option<EndFns>,
    /// The stream and future types meld carries itself, in family order.
    pub(crate) natives: Vec<super::async_calls::NativeFamily>,
}

/// The fused indices of the async runtime's functions (`waitables.wat`)
/// that move stream and future ends and pass error contexts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EndFns {
    /// `(to, tag, host end) -> handle`
    pub(crate) end_new: u32,
    /// `(from, handle, tag, family (-1: the fused component's end), to)
    /// -> handle`
    pub(crate) end_move: u32,
    /// `(from, handle, tag) -> host end`
    pub(crate) end_out: u32,
    /// `(from, handle, tag) -> host end, or 0`: lent to a staged write
    pub(crate) end_lend: u32,
    /// `(table, handle, tag, taken) -> ()`: that write is settled
    pub(crate) end_settle: u32,
    /// `(to, host context) -> handle`
    pub(crate) context_new: u32,
    /// `(from, handle) -> host context`
    pub(crate) context_host: u32,
    /// `(from, handle, to) -> handle`
    pub(crate) context_copy: u32,
    /// `(from, handle, tag, family) -> host end`, for the families whose
    /// type reaches the host that meld carries too (`None`: there are
    /// none; [`super::async_calls::AsyncFunc::BridgeOut`])
    pub(crate) bridge_out: Option<u32>,
    /// `(from, handle, tag, family) -> host end, or 0`, their `end_lend`
    /// ([`super::async_calls::AsyncFunc::BridgeLend`])
    pub(crate) bridge_lend: Option<u32>,
    /// `(table, handle, tag, family, taken) -> ()`, their `end_settle`
    /// ([`super::async_calls::AsyncFunc::BridgeSettle`])
    pub(crate) bridge_settle: Option<u32>,
}

/// The table index standing for the host in a [`super::codegen::Side`].
pub(crate) const HOST: u32 = u32::MAX;
/// The host, for a staged write: own handles are lent to it until the
/// copy is settled (`RtFn::OwnLend`).
pub(crate) const HOST_LENT: u32 = u32::MAX - 1;
/// The stage of a copy in two steps: handles and ends are copied there as
/// numbers and stay in the source's table, out of which the second step
/// moves them.
pub(crate) const KEPT: u32 = u32::MAX - 2;

/// A generated function of the resource runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum RtFn {
    /// `(vector header) -> ()`: room for one more element of `size` bytes.
    Reserve { size: u32 },
    /// `(bytes) -> address`: a new block of meld's memory (never freed).
    Bump,
    /// `() -> ()`: a staged host call begins; its scratch block is empty.
    ScratchReset,
    /// `(old, old size, align, size) -> address`: `realloc` of a block of
    /// the current staged host call (`old` is always 0).
    ScratchAlloc,
    /// `(size) -> address`: a block of the stage heap, 8-aligned, for an
    /// async host call's result (and the strings and lists in it) until
    /// its event copies it into the caller. Blocks are of 2^k bytes with
    /// an 8-byte header holding k; freed ones are reused by size class.
    StageAlloc,
    /// `(address) -> ()`: frees a block of the stage heap.
    StageFree,
    /// `(old, old size, align, size) -> address`: `realloc` over the stage
    /// heap, in meld's own addresses (`Codegen::stage_realloc`).
    StageRealloc,
    /// `(handle in from) -> host handle`: an own handle is lent to a staged
    /// write the host has not settled: its lend count goes up (it cannot
    /// be dropped or moved meanwhile). A host resource's handle is its
    /// rep; for an inner component's resource the host is given a new
    /// handle of the wrapper's type standing for it, or, when the
    /// writer's handle is lent already (so the host must not take it
    /// twice), handle 0, which the host's lift rejects.
    OwnLend { resource: u32, from: u32 },
    /// `(host handle) -> host handle`: a staged write is settled: the own
    /// handle of `table` that `OwnLend` lent as this host handle is given
    /// back, and, `taken` by the host, removed from the table (the host
    /// owns it).
    OwnSettle {
        resource: u32,
        table: u32,
        taken: bool,
    },
    /// `(host handle, handle in table) -> ()`: a staged write is settled:
    /// the own handle of inner `resource` that `OwnLend` lent as this host
    /// handle (the writer's handle read from the write's shadow) is given
    /// back; `taken`, it is removed from the table (the host owns the
    /// resource), else the host handle is dropped without running the
    /// destructor.
    InnerSettle {
        resource: u32,
        table: u32,
        taken: bool,
    },
    /// `(host end, handle in table) -> ()`: a staged write is settled:
    /// the readable end of `kind` that `End` lent to it as this end of the
    /// fused component's (0: none was lent) leaves the table when `taken`,
    /// else is the component's again.
    EndSettle {
        kind: EndKind,
        table: u32,
        taken: bool,
    },
    /// `(table, tag, type, rep, extra) -> handle`.
    Insert,
    /// `(table, handle, type) -> slot address`; traps on a free slot, an
    /// index out of range or another resource type.
    Slot,
    /// `(table, handle) -> ()`.
    Remove,
    /// `() -> ()`: a call that passes borrows begins.
    Enter,
    /// `() -> ()`: it returned; traps if a borrow handle is left.
    Exit,
    /// `() -> scope`: a task of the async runtime that was passed borrows
    /// starts; its scope lasts until its `task.return` (`TaskExit`), while
    /// other calls' scopes open and close.
    TaskEnter,
    /// `(scope) -> ()`: that task returns: traps if a borrow handle is
    /// left, gives back its lends; a scope ended out of order is marked
    /// ended and freed once every scope above it is.
    TaskExit,
    /// `(handle in from) -> handle in to`: an own handle moves.
    MoveOwn { resource: u32, from: u32, to: u32 },
    /// `(handle in from) -> handle in to, or rep`: a handle is lent.
    Lend { resource: u32, from: u32, to: u32 },
    /// `(handle in from) -> host handle`: an own handle leaves for the host.
    OwnOut { resource: u32, from: u32 },
    /// `(host handle) -> handle in to`: an own handle arrives from the host.
    OwnIn { resource: u32, to: u32 },
    /// `(rep) -> handle in to, or rep`: the host lends a handle.
    LendIn { resource: u32, to: u32 },
    /// `(handle in from) -> host handle`: a handle of a host resource is
    /// lent to the host for a call.
    LendOut { resource: u32, from: u32 },
    /// `(handle in from) -> handle in to`: a stream's or future's readable
    /// end moves, or an error context is passed (copied); either table
    /// may be [`HOST`]'s, whose handles are the fused component's.
    End { kind: EndKind, from: u32, to: u32 },
}

impl RtFn {
    /// The function moving a handle of `resource` from table `from` to
    /// `to` (either may be [`HOST`]).
    pub(crate) fn transfer(resource: u32, own: bool, from: u32, to: u32) -> RtFn {
        if to == HOST_LENT {
            return RtFn::OwnLend { resource, from };
        }
        match (own, from == HOST, to == HOST) {
            (true, true, _) => RtFn::OwnIn { resource, to },
            (true, _, true) => RtFn::OwnOut { resource, from },
            (true, _, _) => RtFn::MoveOwn { resource, from, to },
            (false, true, _) => RtFn::LendIn { resource, to },
            (false, _, true) => RtFn::LendOut { resource, from },
            (false, _, _) => RtFn::Lend { resource, from, to },
        }
    }

    /// The function moving an end or passing an error context of `kind`
    /// from table `from` to `to` (either may be [`HOST`]). An error
    /// context written to the host in a staged copy ([`HOST_LENT`]) is
    /// passed as at any call: the writer keeps its handle whether or not
    /// the host takes the value, so nothing is left to settle. A readable
    /// end written so is lent until the copy is settled.
    pub(crate) fn end(kind: EndKind, from: u32, to: u32) -> RtFn {
        match (kind, to == HOST_LENT) {
            (EndKind::ErrorContext, true) => RtFn::End {
                kind,
                from,
                to: HOST,
            },
            _ => RtFn::End { kind, from, to },
        }
    }
}

/// `local = max(local, floor)` (unsigned).
fn at_least(body: &mut Body, local: Local, floor: u32) {
    body.get(local)
        .i32(floor)
        .get(local)
        .i32(floor)
        .ins(I::I32GtU)
        .ins(I::Select)
        .set(local);
}

/// In a `realloc`: returns block `old` (when not 0) at once if `size`
/// is no more than its `old_size`: a block that does not grow stays
/// where it is.
pub(crate) fn keep_unless_growing(body: &mut Body, old: Local, old_size: Local, size: Local) {
    body.get(old)
        .i32(0)
        .ins(I::I32Ne)
        .get(size)
        .get(old_size)
        .ins(I::I32LeU)
        .ins(I::I32And)
        .ins(I::If(BlockType::Empty));
    body.get(old).ins(I::Return);
    body.ins(I::End);
}

/// Traps unless `align` is one the host asks a `realloc` for: 1, 2, 4
/// or 8.
pub(crate) fn host_alignment(body: &mut Body, align: Local) {
    body.get(align)
        .get(align)
        .i32(1)
        .ins(I::I32Sub)
        .ins(I::I32And)
        .get(align)
        .i32(8)
        .ins(I::I32GtU)
        .ins(I::I32Or)
        .trap_if();
}

/// Pushes the address of the free list of stage block `block`'s class.
fn stage_head(body: &mut Body, m: u32, block: Local) {
    body.i32(STAGE)
        .ins(I::I32Load(mem(m, 0)))
        .get(block)
        .ins(I::I32Load(mem(m, 0)))
        .i32(2)
        .ins(I::I32Shl)
        .ins(I::I32Add);
}

/// Address of component `k`'s table header.
pub(crate) fn table(k: u32) -> u32 {
    TABLES + SLOT * k
}

impl Runtime {
    fn memory(&self) -> Result<u32> {
        self.memory
            .ok_or_else(|| Error::internal("a handle table without meld's memory"))
    }

    fn outer(&self, resource: u32) -> Result<[u32; 3]> {
        self.outer
            .get(resource as usize)
            .copied()
            .flatten()
            .ok_or_else(|| Error::internal("a handle for the host of a resource not exported"))
    }

    /// Whether `resource` is one of the host's.
    pub(crate) fn is_host(&self, resource: u32) -> bool {
        self.definers
            .get(resource as usize)
            .is_some_and(Option::is_none)
    }

    fn defines(&self, component: u32, resource: u32) -> bool {
        self.definers.get(resource as usize).copied().flatten() == Some(component)
    }

    /// Where the heap starts: after the table headers, 16-aligned.
    fn heap(&self) -> u32 {
        table(self.components).div_ceil(16) * 16
    }
}

impl Codegen {
    pub(crate) fn rt(&mut self, f: RtFn) -> u32 {
        self.helper(HelperKey::Rt(f))
    }

    /// Generates runtime function `f`.
    pub(crate) fn gen_rt(&mut self, f: RtFn) -> Result<GeneratedFunc> {
        let m = self.runtime.memory()?;
        let (params, results, name): (&[Flat], &[Flat], String) = match f {
            RtFn::Reserve { size } => (&[Flat::I32], &[], format!("meld reserve {size}")),
            RtFn::Bump => (&[Flat::I32], &[Flat::I32], "meld bump".into()),
            RtFn::ScratchReset => (&[], &[], "meld scratch reset".into()),
            RtFn::ScratchAlloc => (&[Flat::I32; 4], &[Flat::I32], "meld scratch realloc".into()),
            RtFn::StageAlloc => (&[Flat::I32], &[Flat::I32], "meld stage alloc".into()),
            RtFn::StageFree => (&[Flat::I32], &[], "meld stage free".into()),
            RtFn::StageRealloc => {
                return Ok(GeneratedFunc {
                    name: "meld stage realloc".into(),
                    ty: FuncType::new([wasmparser::ValType::I32; 4], [wasmparser::ValType::I32]),
                    body: self.stage_realloc(m, 0),
                    covered: Vec::new(),
                });
            }
            RtFn::OwnSettle {
                resource,
                table,
                taken,
            } => (
                &[Flat::I32],
                &[Flat::I32],
                format!(
                    "meld settle own {resource} of table{table}{}",
                    if taken { " (taken)" } else { "" }
                ),
            ),
            RtFn::InnerSettle {
                resource,
                table,
                taken,
            } => (
                &[Flat::I32; 2],
                &[],
                format!(
                    "meld settle inner own {resource} of table{table}{}",
                    if taken { " (taken)" } else { "" }
                ),
            ),
            RtFn::EndSettle { kind, table, taken } => (
                &[Flat::I32; 2],
                &[],
                format!(
                    "meld settle end {} of table{table}{}",
                    kind.tag(),
                    if taken { " (taken)" } else { "" }
                ),
            ),
            RtFn::Insert => (&[Flat::I32; 5], &[Flat::I32], "meld handle insert".into()),
            RtFn::Slot => (&[Flat::I32; 3], &[Flat::I32], "meld handle slot".into()),
            RtFn::Remove => (&[Flat::I32; 2], &[], "meld handle remove".into()),
            RtFn::Enter => (&[], &[], "meld call enter".into()),
            RtFn::Exit => (&[], &[], "meld call exit".into()),
            RtFn::TaskEnter => (&[], &[Flat::I32], "meld task enter".into()),
            RtFn::TaskExit => (&[Flat::I32], &[], "meld task exit".into()),
            // Every transfer takes a handle (or rep) and gives one.
            _ => (&[Flat::I32], &[Flat::I32], transfer_name(f)),
        };
        let (mut body, args) = Body::new(params);
        match f {
            RtFn::Reserve { size } => self.reserve(&mut body, m, args[0], size),
            RtFn::Bump => self.bump(&mut body, m, args[0]),
            RtFn::ScratchReset => {
                body.i32(SCRATCH).i32(0).ins(I::I32Store(mem(m, 8)));
            }
            RtFn::ScratchAlloc => self.scratch_alloc(&mut body, m, &args),
            RtFn::StageAlloc => self.stage_alloc(&mut body, m, args[0]),
            RtFn::StageFree => {
                // push the block on its class's list
                let (block, head) = (body.local(Flat::I32), body.local(Flat::I32));
                body.get(args[0]).i32(8).ins(I::I32Sub).set(block);
                stage_head(&mut body, m, block);
                body.set(head);
                body.get(block)
                    .get(head)
                    .ins(I::I32Load(mem(m, 0)))
                    .ins(I::I32Store(mem(m, 4)));
                body.get(head).get(block).ins(I::I32Store(mem(m, 0)));
            }
            RtFn::StageRealloc => {
                return Err(Error::internal("the stage realloc, generated above"));
            }
            RtFn::OwnLend { resource, from } => {
                let addr = own_slot(&mut body, m, from, resource, args[0]);
                if !self.runtime.is_host(resource) {
                    // Lent already (written twice, or borrowed by a call):
                    // handle 0, which the host's lift rejects as it would
                    // have rejected the writer's handle then.
                    body.get(addr)
                        .ins(I::I32Load(mem(m, 12)))
                        .ins(I::If(BlockType::Empty))
                        .i32(0)
                        .ins(I::Return)
                        .ins(I::End);
                }
                lends(&mut body, m, addr, I::I32Add);
                body.get(addr).ins(I::I32Load(mem(m, 8)));
                if !self.runtime.is_host(resource) {
                    let [new, _, _] = self.runtime.outer(resource)?;
                    body.ins(I::Call(new));
                }
            }
            RtFn::OwnSettle {
                resource,
                table: k,
                taken,
            } => self.own_settle(&mut body, m, args[0], resource, k, taken),
            RtFn::InnerSettle {
                resource,
                table: k,
                taken,
            } => self.inner_settle(&mut body, m, &args, resource, k, taken)?,
            RtFn::EndSettle {
                kind,
                table: k,
                taken,
            } => {
                let f = self.end_fns()?;
                nothing_lent(&mut body, args[0], taken);
                body.i32(k).get(args[1]).i32(kind.tag());
                match (self.family(kind), f.bridge_settle) {
                    (None, _) => {
                        body.i32(u32::from(taken)).ins(I::Call(f.end_settle));
                    }
                    (Some((family, true)), Some(settle)) => {
                        body.i32(family).i32(u32::from(taken)).ins(I::Call(settle));
                    }
                    _ => return Err(Error::internal("meld's own end in a staged write")),
                }
            }
            RtFn::Insert => self.insert(&mut body, m, &args),
            RtFn::Slot => slot(&mut body, m, &args),
            RtFn::Remove => {
                // The caller found the slot (and checked its type) first.
                let addr = body.local(Flat::I32);
                any_type_slot(&mut body, m, args[0], args[1]);
                body.set(addr);
                // slot = free { next: first free }; first free = handle - 1
                body.get(addr).i32(FREE).ins(I::I32Store(mem(m, 0)));
                body.get(addr)
                    .get(args[0])
                    .ins(I::I32Load(mem(m, 0)))
                    .ins(I::I32Store(mem(m, 4)));
                body.get(args[0])
                    .get(args[1])
                    .i32(1)
                    .ins(I::I32Sub)
                    .ins(I::I32Store(mem(m, 0)));
            }
            RtFn::Enter => {
                body.i32(SCOPES)
                    .ins(I::Call(self.rt(RtFn::Reserve { size: 8 })));
                let entry = push_entry(&mut body, m, SCOPES, 8);
                body.get(entry).i32(0).ins(I::I32Store(mem(m, 0)));
                body.get(entry)
                    .i32(LENDS)
                    .ins(I::I32Load(mem(m, 0)))
                    .ins(I::I32Store(mem(m, 4)));
            }
            RtFn::Exit => self.exit(&mut body, m),
            RtFn::TaskEnter => {
                body.ins(I::Call(self.rt(RtFn::Enter)));
                body.i32(SCOPES)
                    .ins(I::I32Load(mem(m, 0)))
                    .i32(1)
                    .ins(I::I32Sub);
            }
            RtFn::TaskExit => self.task_exit(&mut body, m, args[0]),
            RtFn::MoveOwn { resource, from, to } => {
                let rep = self.take_own(&mut body, m, args[0], resource, from);
                self.insert_call(&mut body, to, OWN, resource, rep, None);
            }
            RtFn::OwnOut { resource, from } if self.runtime.is_host(resource) => {
                let rep = self.take_own(&mut body, m, args[0], resource, from);
                body.get(rep);
            }
            RtFn::OwnOut { resource, from } => {
                let [new, _, _] = self.runtime.outer(resource)?;
                let rep = self.take_own(&mut body, m, args[0], resource, from);
                body.get(rep).ins(I::Call(new));
            }
            RtFn::OwnIn { resource, to } if self.runtime.is_host(resource) => {
                self.insert_call(&mut body, to, OWN, resource, args[0], None);
            }
            RtFn::OwnIn { resource, to } => {
                // Take the host's handle over without running the
                // destructor: the wrapper's drop calls ours, which skips.
                let [_, rep_fn, drop] = self.runtime.outer(resource)?;
                let rep = body.local(Flat::I32);
                body.get(args[0]).ins(I::Call(rep_fn)).set(rep);
                body.i32(TAKING_OVER).i32(1).ins(I::I32Store(mem(m, 0)));
                body.get(args[0]).ins(I::Call(drop));
                body.i32(TAKING_OVER).i32(0).ins(I::I32Store(mem(m, 0)));
                self.insert_call(&mut body, to, OWN, resource, rep, None);
            }
            RtFn::LendIn { resource, to } => {
                if self.runtime.defines(to, resource) {
                    body.get(args[0]);
                } else {
                    let tag = match self.runtime.is_host(resource) {
                        true => HOST_BORROW,
                        false => BORROW,
                    };
                    self.borrow_in_scope(&mut body, m, resource, args[0], to, tag);
                }
            }
            RtFn::LendOut { resource, from } => {
                // The host returns before anything else can use the
                // handle: its representation is the host's handle.
                if !self.runtime.is_host(resource) {
                    return Err(Error::internal("an inner resource lent to the host"));
                }
                // the slot lookup inline: this runs at every host call
                let (t, ty) = (body.local(Flat::I32), body.local(Flat::I32));
                body.i32(table(from)).set(t);
                body.i32(resource).set(ty);
                slot(&mut body, m, &[t, args[0], ty]);
                body.ins(I::I32Load(mem(m, 8)));
            }
            RtFn::Lend { resource, from, to } => {
                self.lend(&mut body, m, args[0], resource, from, to)
            }
            RtFn::End { kind, from, to } => {
                self.end_transfer(&mut body, kind, from, to, args[0])?
            }
        }
        Ok(GeneratedFunc {
            name,
            ty: FuncType::new(
                params.iter().map(|t| t.core()),
                results.iter().map(|t| t.core()),
            ),
            body: body.finish(),
            covered: Vec::new(),
        })
    }

    /// Grows the vector at `hdr` (length, capacity, pointer) when full.
    fn reserve(&mut self, body: &mut Body, m: u32, hdr: Local, size: u32) {
        let (cap, at) = (body.local(Flat::I32), body.local(Flat::I32));
        // if len != cap: return
        body.get(hdr).ins(I::I32Load(mem(m, 0)));
        body.get(hdr).ins(I::I32Load(mem(m, 4)));
        body.ins(I::I32Ne)
            .ins(I::If(BlockType::Empty))
            .ins(I::Return)
            .ins(I::End);
        // cap = max(4, 2 * cap); a vector of more than 2^26 entries is refused
        body.get(hdr)
            .ins(I::I32Load(mem(m, 4)))
            .i32(1)
            .ins(I::I32Shl)
            .set(cap);
        body.get(cap)
            .i32(4)
            .get(cap)
            .i32(4)
            .ins(I::I32GtU)
            .ins(I::Select)
            .set(cap);
        body.get(cap).i32(1 << 26).ins(I::I32GtU).trap_if();
        body.get(cap)
            .i32(size)
            .ins(I::I32Mul)
            .ins(I::Call(self.rt(RtFn::Bump)))
            .set(at);
        // copy the elements, then point the header at the new block
        body.get(at)
            .get(hdr)
            .ins(I::I32Load(mem(m, 8)))
            .get(hdr)
            .ins(I::I32Load(mem(m, 0)))
            .i32(size)
            .ins(I::I32Mul)
            .ins(I::MemoryCopy {
                src_mem: m,
                dst_mem: m,
            });
        body.get(hdr).get(cap).ins(I::I32Store(mem(m, 4)));
        body.get(hdr).get(at).ins(I::I32Store(mem(m, 8)));
    }

    /// `bump(bytes) -> address`: a block of meld's memory, 8-aligned when
    /// `bytes` is a multiple of 8; the memory grows to cover it.
    fn bump(&mut self, body: &mut Body, m: u32, bytes: Local) {
        let (at, end, pages) = (
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
        );
        // at = bump (initially the heap start); bump += bytes
        body.i32(BUMP).ins(I::I32Load(mem(m, 0))).set(at);
        body.get(at).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        body.i32(self.runtime.heap()).set(at);
        body.ins(I::End);
        body.get(at).get(bytes).ins(I::I32Add).set(end);
        body.get(end).get(at).ins(I::I32LtU).trap_if();
        body.i32(BUMP).get(end).ins(I::I32Store(mem(m, 0)));
        // grow meld's memory to cover `end`
        body.get(end)
            .i32(0xffff)
            .ins(I::I32Add)
            .i32(16)
            .ins(I::I32ShrU)
            .ins(I::MemorySize(m))
            .ins(I::I32Sub)
            .set(pages);
        body.get(pages)
            .i32(0)
            .ins(I::I32GtS)
            .ins(I::If(BlockType::Empty));
        body.get(pages)
            .ins(I::MemoryGrow(m))
            .i32(u32::MAX)
            .ins(I::I32Eq)
            .trap_if();
        body.ins(I::End);
        body.get(at);
    }

    /// `scratch realloc(old, old size, align, size) -> address`: the next
    /// block of the scratch area; when it is full, a new area of twice the
    /// size (the blocks given out so far stay where they are). A block
    /// reallocated (`old` not 0) stays where it is when it does not grow,
    /// else its bytes are copied into the new one: the host shrinks and
    /// grows strings it transcodes, and so do meld's own transcoding
    /// copies into the scratch area.
    fn scratch_alloc(&mut self, body: &mut Body, m: u32, args: &[Local]) {
        let (old, old_size, align, size) = (args[0], args[1], args[2], args[3]);
        keep_unless_growing(body, old, old_size, size);
        let (at, cap) = (body.local(Flat::I32), body.local(Flat::I32));
        host_alignment(body, align);
        // at = align_up(used, align)
        body.i32(SCRATCH)
            .ins(I::I32Load(mem(m, 8)))
            .get(align)
            .ins(I::I32Add)
            .i32(1)
            .ins(I::I32Sub)
            .i32(0)
            .get(align)
            .ins(I::I32Sub)
            .ins(I::I32And)
            .set(at);
        // if size > cap - at (unsigned, cap >= at when it fits): a new area
        body.get(at)
            .i32(SCRATCH)
            .ins(I::I32Load(mem(m, 4)))
            .ins(I::I32GtU)
            .get(size)
            .i32(SCRATCH)
            .ins(I::I32Load(mem(m, 4)))
            .get(at)
            .ins(I::I32Sub)
            .ins(I::I32GtU)
            .ins(I::I32Or)
            .ins(I::If(BlockType::Empty));
        {
            // cap = max(2 * cap, size rounded up to 16, 256); at most 1 GiB
            body.get(size)
                .i32(15)
                .ins(I::I32Add)
                .i32(!15)
                .ins(I::I32And);
            body.set(cap);
            body.get(size).i32(1 << 30).ins(I::I32GtU).trap_if();
            body.i32(SCRATCH)
                .ins(I::I32Load(mem(m, 4)))
                .i32(1)
                .ins(I::I32Shl)
                .get(cap)
                .i32(SCRATCH)
                .ins(I::I32Load(mem(m, 4)))
                .i32(1)
                .ins(I::I32Shl)
                .get(cap)
                .ins(I::I32GtU)
                .ins(I::Select)
                .set(cap);
            at_least(body, cap, 256);
            body.get(cap).i32(1 << 30).ins(I::I32GtU).trap_if();
            body.i32(SCRATCH)
                .get(cap)
                .ins(I::Call(self.rt(RtFn::Bump)))
                .ins(I::I32Store(mem(m, 0)));
            body.i32(SCRATCH).get(cap).ins(I::I32Store(mem(m, 4)));
            body.i32(0).set(at);
        }
        body.ins(I::End);
        body.i32(SCRATCH)
            .get(at)
            .get(size)
            .ins(I::I32Add)
            .ins(I::I32Store(mem(m, 8)));
        body.i32(SCRATCH)
            .ins(I::I32Load(mem(m, 0)))
            .get(at)
            .ins(I::I32Add)
            .set(at);
        body.get(old).ins(I::If(BlockType::Empty));
        body.get(at).get(old).get(old_size).ins(I::MemoryCopy {
            src_mem: m,
            dst_mem: m,
        });
        body.ins(I::End);
        body.get(at);
    }

    /// `settle(host handle) -> host handle`: finds the own handle of `resource` in
    /// component `k`'s table that a staged write lent as `rep` (traps if
    /// there is none), gives the lend back, and, `taken`, removes it
    /// (trapping if it is still lent elsewhere, as the host's lift would).
    fn own_settle(
        &mut self,
        body: &mut Body,
        m: u32,
        rep: Local,
        resource: u32,
        k: u32,
        taken: bool,
    ) {
        let (t, i, addr) = (
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
        );
        body.i32(table(k)).set(t);
        body.ins(I::Block(BlockType::Empty))
            .ins(I::Loop(BlockType::Empty));
        // no such handle left: trap
        indexed_slot(body, m, t, i);
        body.set(addr);
        // own, of this resource, this rep, lent
        body.get(addr)
            .ins(I::I32Load(mem(m, 0)))
            .i32(OWN)
            .ins(I::I32Eq)
            .get(addr)
            .ins(I::I32Load(mem(m, 4)))
            .i32(resource)
            .ins(I::I32Eq)
            .ins(I::I32And)
            .get(addr)
            .ins(I::I32Load(mem(m, 8)))
            .get(rep)
            .ins(I::I32Eq)
            .ins(I::I32And)
            .get(addr)
            .ins(I::I32Load(mem(m, 12)))
            .i32(0)
            .ins(I::I32Ne)
            .ins(I::I32And)
            .ins(I::BrIf(1));
        body.get(i).i32(1).ins(I::I32Add).set(i);
        body.ins(I::Br(0)).ins(I::End).ins(I::End);
        lends(body, m, addr, I::I32Sub);
        if taken {
            body.get(addr).ins(I::I32Load(mem(m, 12))).trap_if();
            body.get(t)
                .get(i)
                .i32(1)
                .ins(I::I32Add)
                .ins(I::Call(self.rt(RtFn::Remove)));
        }
        body.get(rep);
    }

    /// `settle(host handle, handle)`: gives back the lend of own handle
    /// `handle` of inner `resource` in component `k`'s table (traps unless
    /// it is one, lent); `taken` by the host, removes it (trapping if it is
    /// still lent elsewhere, as the host's lift would); else drops the host
    /// handle standing for it without running the destructor.
    fn inner_settle(
        &mut self,
        body: &mut Body,
        m: u32,
        args: &[Local],
        resource: u32,
        k: u32,
        taken: bool,
    ) -> Result<()> {
        let [_, _, drop] = self.runtime.outer(resource)?;
        let (host, handle) = (args[0], args[1]);
        nothing_lent(body, host, taken);
        let addr = own_slot(body, m, k, resource, handle);
        // lent
        body.get(addr)
            .ins(I::I32Load(mem(m, 12)))
            .ins(I::I32Eqz)
            .trap_if();
        lends(body, m, addr, I::I32Sub);
        if taken {
            body.get(addr).ins(I::I32Load(mem(m, 12))).trap_if();
            body.i32(table(k))
                .get(handle)
                .ins(I::Call(self.rt(RtFn::Remove)));
        } else {
            body.i32(TAKING_OVER).i32(1).ins(I::I32Store(mem(m, 0)));
            body.get(host).ins(I::Call(drop));
            body.i32(TAKING_OVER).i32(0).ins(I::I32Store(mem(m, 0)));
        }
        Ok(())
    }

    /// `stage alloc(size) -> address`: the first free block of the
    /// smallest class that holds `size` and the header, else a new one.
    fn stage_alloc(&mut self, body: &mut Body, m: u32, size: Local) {
        let (k, block, lists, head) = (
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
        );
        // the host's sizes are below 2^31; a block of 2^31 bytes cannot be
        body.get(size).i32((1 << 30) - 8).ins(I::I32GtU).trap_if();
        // k = max(4, ceil(log2(size + 8)))
        body.i32(32)
            .get(size)
            .i32(7)
            .ins(I::I32Add)
            .ins(I::I32Clz)
            .ins(I::I32Sub)
            .set(k);
        at_least(body, k, 4);
        // the free lists, made at the first block
        body.i32(STAGE).ins(I::I32Load(mem(m, 0))).set(lists);
        body.get(lists).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
        body.i32(128).ins(I::Call(self.rt(RtFn::Bump))).set(lists);
        body.get(lists).i32(0).i32(128).ins(I::MemoryFill(m));
        body.i32(STAGE).get(lists).ins(I::I32Store(mem(m, 0)));
        body.ins(I::End);
        body.get(lists)
            .get(k)
            .i32(2)
            .ins(I::I32Shl)
            .ins(I::I32Add)
            .set(head);
        body.get(head).ins(I::I32Load(mem(m, 0))).set(block);
        body.get(block).ins(I::If(BlockType::Empty));
        body.get(head)
            .get(block)
            .ins(I::I32Load(mem(m, 4)))
            .ins(I::I32Store(mem(m, 0)));
        body.ins(I::Else);
        body.i32(1)
            .get(k)
            .ins(I::I32Shl)
            .ins(I::Call(self.rt(RtFn::Bump)))
            .set(block);
        body.ins(I::End);
        body.get(block).get(k).ins(I::I32Store(mem(m, 0)));
        body.get(block).i32(8).ins(I::I32Add);
    }

    /// `insert(table, tag, type, rep, extra) -> handle`.
    fn insert(&mut self, body: &mut Body, m: u32, args: &[Local]) {
        let (t, tag, ty, rep, extra) = (args[0], args[1], args[2], args[3], args[4]);
        let (next, addr) = (body.local(Flat::I32), body.local(Flat::I32));
        body.get(t).ins(I::I32Load(mem(m, 0))).set(next);
        body.get(next).i32(MAX_HANDLE - 1).ins(I::I32GeU).trap_if();
        // if next == len: append a free slot pointing past itself
        body.get(next)
            .get(t)
            .ins(I::I32Load(mem(m, 4)))
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        body.get(t)
            .i32(4)
            .ins(I::I32Add)
            .ins(I::Call(self.rt(RtFn::Reserve { size: SLOT })));
        slot_address(body, m, t, next);
        body.set(addr);
        body.get(addr).i32(FREE).ins(I::I32Store(mem(m, 0)));
        body.get(addr)
            .get(next)
            .i32(1)
            .ins(I::I32Add)
            .ins(I::I32Store(mem(m, 4)));
        body.get(t)
            .get(next)
            .i32(1)
            .ins(I::I32Add)
            .ins(I::I32Store(mem(m, 4)));
        body.ins(I::End);
        slot_address(body, m, t, next);
        body.set(addr);
        // first free = the slot's next; fill the slot
        body.get(t)
            .get(addr)
            .ins(I::I32Load(mem(m, 4)))
            .ins(I::I32Store(mem(m, 0)));
        body.get(addr).get(tag).ins(I::I32Store(mem(m, 0)));
        body.get(addr).get(ty).ins(I::I32Store(mem(m, 4)));
        body.get(addr).get(rep).ins(I::I32Store(mem(m, 8)));
        body.get(addr).get(extra).ins(I::I32Store(mem(m, 12)));
        body.get(next).i32(1).ins(I::I32Add);
    }

    /// Calls `insert` into component `table`'s table; the handle is left on
    /// the stack. `extra` defaults to 0.
    fn insert_call(
        &mut self,
        body: &mut Body,
        table_of: u32,
        tag: u32,
        resource: u32,
        rep: Local,
        extra: Option<Local>,
    ) {
        body.i32(table(table_of)).i32(tag).i32(resource).get(rep);
        match extra {
            Some(e) => body.get(e),
            None => body.i32(0),
        };
        body.ins(I::Call(self.rt(RtFn::Insert)));
    }

    /// Removes own handle `h` of `resource` from component `from`'s table
    /// (lift_own): traps for a borrow or a lent handle. Returns its rep.
    fn take_own(&mut self, body: &mut Body, m: u32, h: Local, resource: u32, from: u32) -> Local {
        let (addr, rep) = (body.local(Flat::I32), body.local(Flat::I32));
        body.i32(table(from))
            .get(h)
            .i32(resource)
            .ins(I::Call(self.rt(RtFn::Slot)))
            .set(addr);
        body.get(addr)
            .ins(I::I32Load(mem(m, 0)))
            .i32(OWN)
            .ins(I::I32Ne)
            .trap_if();
        body.get(addr).ins(I::I32Load(mem(m, 12))).trap_if();
        body.get(addr).ins(I::I32Load(mem(m, 8))).set(rep);
        body.i32(table(from))
            .get(h)
            .ins(I::Call(self.rt(RtFn::Remove)));
        rep
    }

    /// Lends handle `h` of `resource` from component `from` to `to`
    /// (lift_borrow, then lower_borrow): an own handle's lend count goes
    /// up until the call returns; the defining component gets the rep,
    /// others a borrow handle of the current scope.
    fn lend(&mut self, body: &mut Body, m: u32, h: Local, resource: u32, from: u32, to: u32) {
        let (addr, rep) = (body.local(Flat::I32), body.local(Flat::I32));
        body.i32(table(from))
            .get(h)
            .i32(resource)
            .ins(I::Call(self.rt(RtFn::Slot)))
            .set(addr);
        body.get(addr).ins(I::I32Load(mem(m, 8))).set(rep);
        body.get(addr)
            .ins(I::I32Load(mem(m, 0)))
            .i32(OWN)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        {
            body.get(addr)
                .get(addr)
                .ins(I::I32Load(mem(m, 12)))
                .i32(1)
                .ins(I::I32Add)
                .ins(I::I32Store(mem(m, 12)));
            body.i32(LENDS)
                .ins(I::Call(self.rt(RtFn::Reserve { size: 8 })));
            let entry = push_entry(body, m, LENDS, 8);
            body.get(entry).i32(table(from)).ins(I::I32Store(mem(m, 0)));
            body.get(entry).get(h).ins(I::I32Store(mem(m, 4)));
            body.free(entry);
        }
        body.ins(I::End);
        if self.runtime.defines(to, resource) {
            body.get(rep);
            return;
        }
        self.borrow_in_scope(body, m, resource, rep, to, BORROW);
    }

    /// Pushes a new borrow handle (tagged `tag`) of `rep` in component
    /// `to`'s table, in the innermost call's scope.
    fn borrow_in_scope(
        &mut self,
        body: &mut Body,
        m: u32,
        resource: u32,
        rep: Local,
        to: u32,
        tag: u32,
    ) {
        let (addr, scope) = (body.local(Flat::I32), body.local(Flat::I32));
        // scope = the innermost call; its borrow count goes up
        body.i32(SCOPES)
            .ins(I::I32Load(mem(m, 0)))
            .i32(1)
            .ins(I::I32Sub)
            .set(scope);
        body.get(scope).i32(0).ins(I::I32LtS).trap_if();
        scope_address(body, m, scope);
        body.set(addr);
        body.get(addr)
            .get(addr)
            .ins(I::I32Load(mem(m, 0)))
            .i32(1)
            .ins(I::I32Add)
            .ins(I::I32Store(mem(m, 0)));
        self.insert_call(body, to, tag, resource, rep, Some(scope));
    }

    /// Ends the innermost scope: traps if a borrow handle is left, gives
    /// back every lend.
    fn exit(&mut self, body: &mut Body, m: u32) {
        let (top, entry, i, end) = (
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
        );
        body.i32(SCOPES)
            .ins(I::I32Load(mem(m, 0)))
            .i32(1)
            .ins(I::I32Sub)
            .set(top);
        scope_address(body, m, top);
        body.set(entry);
        body.get(entry).ins(I::I32Load(mem(m, 0))).trap_if();
        body.get(entry).ins(I::I32Load(mem(m, 4))).set(i);
        body.i32(LENDS).ins(I::I32Load(mem(m, 0))).set(end);
        // for each lend of this scope: the own handle's lend count goes down
        give_back(body, m, i, end);
        // pop the lends and the scope
        body.i32(LENDS)
            .get(entry)
            .ins(I::I32Load(mem(m, 4)))
            .ins(I::I32Store(mem(m, 0)));
        body.i32(SCOPES).get(top).ins(I::I32Store(mem(m, 0)));
    }

    /// A `tables` import of the async runtime (`runtime/waitables.wat`,
    /// `tasks.wat`): the handle table of component `instance` (a
    /// parameter) as the runtime uses it for subtasks and waitable sets.
    /// Their slots have no resource type (`u32::MAX`), so a resource
    /// built-in given such a handle traps.
    pub(crate) fn runtime_table(
        &mut self,
        f: crate::graph::RuntimeFunc,
    ) -> Result<wasm_encoder::Function> {
        use crate::graph::RuntimeFunc as F;
        let m = self.runtime.memory()?;
        let params: &[Flat] = match f {
            F::Insert => &[Flat::I32; 3],
            _ => &[Flat::I32; 2],
        };
        let (mut body, args) = Body::new(params);
        // the table's address: TABLES + SLOT * instance
        let t = body.local(Flat::I32);
        body.get(args[0])
            .i32(SLOT)
            .ins(I::I32Mul)
            .i32(TABLES)
            .ins(I::I32Add)
            .set(t);
        match f {
            F::Insert => {
                body.get(t)
                    .get(args[1])
                    .i32(u32::MAX)
                    .get(args[2])
                    .i32(0)
                    .ins(I::Call(self.rt(RtFn::Insert)));
            }
            F::Rep | F::Tag => {
                any_type_slot(&mut body, m, t, args[1]);
                let offset = if f == F::Rep { 8 } else { 0 };
                body.ins(I::I32Load(mem(m, offset)));
            }
            F::Remove => {
                body.get(t).get(args[1]).ins(I::Call(self.rt(RtFn::Remove)));
            }
            F::Copy | F::Carried | F::Gate => {
                return Err(Error::internal(
                    "the native copy, the carried write and the gate are not table functions",
                ));
            }
        }
        Ok(body.finish())
    }

    /// Ends task scope `scope` (see [`RtFn::TaskExit`]). Its lends are
    /// those from its first up to the next scope's first (or the end);
    /// each given back is marked (table 0) so that it is not given back
    /// twice before the scopes above are freed.
    fn task_exit(&mut self, body: &mut Body, m: u32, scope: Local) {
        let (entry, i, end, next) = (
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
        );
        scope_address(body, m, scope);
        body.set(entry);
        body.get(entry).ins(I::I32Load(mem(m, 0))).trap_if();
        body.get(entry).ins(I::I32Load(mem(m, 4))).set(i);
        // end = the next scope's first lend, or the number of lends
        body.get(scope).i32(1).ins(I::I32Add).set(next);
        body.i32(LENDS).ins(I::I32Load(mem(m, 0))).set(end);
        body.get(next)
            .i32(SCOPES)
            .ins(I::I32Load(mem(m, 0)))
            .ins(I::I32LtU)
            .ins(I::If(BlockType::Empty));
        scope_address(body, m, next);
        body.ins(I::I32Load(mem(m, 4))).set(end);
        body.ins(I::End);
        give_back(body, m, i, end);
        // ended: free it and every ended scope below the top
        body.get(entry)
            .i32(TASK_SCOPE_ENDED)
            .ins(I::I32Store(mem(m, 0)));
        let top = body.local(Flat::I32);
        body.ins(I::Block(BlockType::Empty))
            .ins(I::Loop(BlockType::Empty));
        body.i32(SCOPES)
            .ins(I::I32Load(mem(m, 0)))
            .i32(1)
            .ins(I::I32Sub)
            .set(top);
        body.get(top).i32(0).ins(I::I32LtS).ins(I::BrIf(1));
        scope_address(body, m, top);
        body.set(entry);
        body.get(entry)
            .ins(I::I32Load(mem(m, 0)))
            .i32(TASK_SCOPE_ENDED)
            .ins(I::I32Ne)
            .ins(I::BrIf(1));
        body.i32(LENDS)
            .get(entry)
            .ins(I::I32Load(mem(m, 4)))
            .ins(I::I32Store(mem(m, 0)));
        body.i32(SCOPES).get(top).ins(I::I32Store(mem(m, 0)));
        body.ins(I::Br(0)).ins(I::End).ins(I::End);
    }

    /// The body of resource builtin `op` of `resource` on component
    /// `caller`'s table. `may_leave` is the caller's flag, which
    /// `resource.new` and `resource.drop` check first.
    pub(crate) fn builtin(
        &mut self,
        op: ResourceOp,
        resource: u32,
        caller: u32,
        may_leave: Option<u32>,
    ) -> Result<wasm_encoder::Function> {
        let m = self.runtime.memory()?;
        let (mut body, args) = Body::new(&[Flat::I32]);
        let t = table(caller);
        // wasmtime's `resource.new` and `resource.drop` trap while the
        // caller may not leave (its realloc runs); `resource.rep` does not.
        if op != ResourceOp::Rep {
            body.check_may_leave(may_leave);
        }
        match op {
            ResourceOp::New => {
                self.insert_call(&mut body, caller, OWN, resource, args[0], None);
            }
            ResourceOp::Rep => {
                body.i32(t)
                    .get(args[0])
                    .i32(resource)
                    .ins(I::Call(self.rt(RtFn::Slot)))
                    .ins(I::I32Load(mem(m, 8)));
            }
            ResourceOp::Drop => {
                let (addr, rep, extra) = (
                    body.local(Flat::I32),
                    body.local(Flat::I32),
                    body.local(Flat::I32),
                );
                body.i32(t)
                    .get(args[0])
                    .i32(resource)
                    .ins(I::Call(self.rt(RtFn::Slot)))
                    .set(addr);
                body.get(addr).ins(I::I32Load(mem(m, 8))).set(rep);
                body.get(addr).ins(I::I32Load(mem(m, 12))).set(extra);
                body.get(addr)
                    .ins(I::I32Load(mem(m, 0)))
                    .i32(OWN)
                    .ins(I::I32Eq)
                    .ins(I::If(BlockType::Empty));
                {
                    // an own handle: not while lent; then the destructor
                    body.get(extra).trap_if();
                    body.i32(t).get(args[0]).ins(I::Call(self.rt(RtFn::Remove)));
                    if let Some(dtor) = self.runtime.dtors.get(resource as usize).copied().flatten()
                    {
                        body.get(rep).ins(I::Call(dtor));
                    }
                }
                body.ins(I::Else);
                {
                    // a borrow handle: its scope has one borrow less; a
                    // borrow the host lent is the host's to drop too
                    if let (true, Some(drop)) = (
                        self.runtime.is_host(resource),
                        self.runtime.dtors.get(resource as usize).copied().flatten(),
                    ) {
                        body.get(addr)
                            .ins(I::I32Load(mem(m, 0)))
                            .i32(HOST_BORROW)
                            .ins(I::I32Eq)
                            .ins(I::If(BlockType::Empty));
                        body.get(rep).ins(I::Call(drop));
                        body.ins(I::End);
                    }
                    body.i32(t).get(args[0]).ins(I::Call(self.rt(RtFn::Remove)));
                    scope_address(&mut body, m, extra);
                    body.set(addr);
                    body.get(addr)
                        .get(addr)
                        .ins(I::I32Load(mem(m, 0)))
                        .i32(1)
                        .ins(I::I32Sub)
                        .ins(I::I32Store(mem(m, 0)));
                }
                body.ins(I::End);
            }
        }
        Ok(body.finish())
    }
}

impl Codegen {
    /// The destructor of the wrapper's type standing for exported
    /// `resource`: runs the inner destructor unless a handle is being
    /// taken over from the host.
    pub(crate) fn exported_dtor(&mut self, resource: u32) -> Result<wasm_encoder::Function> {
        let m = self.runtime.memory()?;
        let (mut body, args) = Body::new(&[Flat::I32]);
        body.i32(TAKING_OVER)
            .ins(I::I32Load(mem(m, 0)))
            .ins(I::If(BlockType::Empty))
            .ins(I::Return)
            .ins(I::End);
        if let Some(dtor) = self.runtime.dtors.get(resource as usize).copied().flatten() {
            body.get(args[0]).ins(I::Call(dtor));
        }
        Ok(body.finish())
    }
}

impl Codegen {
    /// The async runtime's functions moving ends.
    pub(crate) fn end_fns(&self) -> Result<EndFns> {
        self.runtime.ends.ok_or_else(|| {
            Error::unsupported(
                "a stream, future or error-context passed by components that use none of \
                 their built-ins",
            )
        })
    }

    /// [`RtFn::End`]: what moves a readable end or passes an error context.
    fn end_transfer(
        &mut self,
        body: &mut Body,
        kind: EndKind,
        from: u32,
        to: u32,
        handle: Local,
    ) -> Result<()> {
        let f = self.end_fns()?;
        let tag = kind.tag();
        if to == HOST_LENT {
            return self.end_leaves(body, kind, from, handle, (f.end_lend, f.bridge_lend));
        }
        match (kind, from == HOST, to == HOST) {
            (_, true, true) => return Err(Error::internal("an end from the host to the host")),
            (EndKind::ErrorContext, true, false) => {
                body.i32(to).get(handle).ins(I::Call(f.context_new));
            }
            (EndKind::ErrorContext, false, true) => {
                body.i32(from).get(handle).ins(I::Call(f.context_host));
            }
            (EndKind::ErrorContext, false, false) => {
                body.i32(from)
                    .get(handle)
                    .i32(to)
                    .ins(I::Call(f.context_copy));
            }
            (_, true, false) => {
                body.i32(to).i32(tag).get(handle).ins(I::Call(f.end_new));
            }
            (_, false, true) => {
                return self.end_leaves(body, kind, from, handle, (f.end_out, f.bridge_out));
            }
            (EndKind::Stream { .. } | EndKind::Future { .. }, false, false) => {
                // Both ends are then the fused component's, in its one
                // instance, where wasmtime copies only numbers; others
                // meld carries itself (see `NativeFamily`).
                let (EndKind::Stream { payload, .. } | EndKind::Future { payload, .. }) = kind
                else {
                    return Err(Error::internal("an error context as a stream"));
                };
                if payload.is_some_and(|p| self.tys.info(p).borrows) {
                    return Err(Error::unsupported(
                        "a stream or future whose elements hold borrowed handles, passed \
                         between two inner components",
                    ));
                }
                let family = match self.family(kind) {
                    // the fused component's ends: numbers, which wasmtime
                    // copies within one instance, or a type no inner
                    // component has built-ins of, so no inner component
                    // made the stream (the host did) or reads or writes it
                    None => u32::MAX,
                    // meld's own ends of this type
                    Some((family, false)) => family,
                    // either
                    Some((family, true)) => family | 1 << 31,
                };
                body.i32(from)
                    .get(handle)
                    .i32(tag)
                    .i32(family)
                    .i32(to)
                    .ins(I::Call(f.end_move));
            }
        }
        Ok(())
    }
}

impl Codegen {
    /// Readable end `handle` of `from` leaves for the host, moved or lent
    /// to a staged write: `fns` are the runtime's function for the fused
    /// component's ends (`end_out`, `end_lend`) and the generated one for
    /// a bridged family's, which may be meld's own (`BridgeOut`,
    /// `BridgeLend`).
    fn end_leaves(
        &mut self,
        body: &mut Body,
        kind: EndKind,
        from: u32,
        handle: Local,
        fns: (u32, Option<u32>),
    ) -> Result<()> {
        body.i32(from).get(handle).i32(kind.tag());
        match (self.family(kind), fns) {
            (None, (host, _)) => body.ins(I::Call(host)),
            (Some((family, true)), (_, Some(bridged))) => body.i32(family).ins(I::Call(bridged)),
            _ => {
                return Err(Error::internal(
                    "meld's own end of a type that reaches the host",
                ));
            }
        };
        Ok(())
    }

    /// The native family of stream or future type `kind` (see
    /// [`super::async_calls::NativeFamily`]) and whether it is bridged.
    fn family(&self, kind: EndKind) -> Option<(u32, bool)> {
        let natives = &self.runtime.natives;
        let i = natives.iter().position(|f| f.kind == kind)?;
        Some((i as u32, natives[i].bridged))
    }
}

/// The name of a transfer function, e.g. `move own<0> table3->host`.
fn transfer_name(f: RtFn) -> String {
    let table = |t: u32| match t {
        HOST => "host".to_string(),
        HOST_LENT => "host (lent)".to_string(),
        _ => format!("table{t}"),
    };
    let (what, resource, from, to) = match f {
        RtFn::MoveOwn { resource, from, to } => ("move own", resource, from, to),
        RtFn::OwnOut { resource, from } => ("move own", resource, from, HOST),
        RtFn::OwnIn { resource, to } => ("move own", resource, HOST, to),
        RtFn::Lend { resource, from, to } => ("lend borrow", resource, from, to),
        RtFn::LendIn { resource, to } => ("lend borrow", resource, HOST, to),
        RtFn::LendOut { resource, from } => ("lend borrow", resource, from, HOST),
        RtFn::OwnLend { resource, from } => ("lend own", resource, from, HOST),
        RtFn::End { kind, from, to } => {
            let what = match kind {
                EndKind::Stream { .. } => "move stream",
                EndKind::Future { .. } => "move future",
                EndKind::ErrorContext => "pass error-context",
            };
            return format!("{what} {}->{}", table(from), table(to));
        }
        _ => return format!("{f:?}"),
    };
    format!("{what}<{resource}> {}->{}", table(from), table(to))
}

/// `memarg` of meld's memory `m` at `offset`.
fn mem(m: u32, offset: u32) -> wasm_encoder::MemArg {
    super::body::memarg(m, offset, 4)
}

/// Pushes the address of slot `index` of the table at `t`.
fn slot_address(body: &mut Body, m: u32, t: Local, index: Local) {
    body.get(t)
        .ins(I::I32Load(mem(m, 12)))
        .get(index)
        .i32(4)
        .ins(I::I32Shl)
        .ins(I::I32Add);
}

/// Gives back the lends from `i` up to `end` on the lend stack: each own
/// handle's lend count goes down, and the record is marked given back
/// (table 0: a task scope's records stay until the scopes above go).
fn give_back(body: &mut Body, m: u32, i: Local, end: Local) {
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(i).get(end).ins(I::I32GeU).ins(I::BrIf(1));
    let (lend, lender, handle, addr) = (
        body.local(Flat::I32),
        body.local(Flat::I32),
        body.local(Flat::I32),
        body.local(Flat::I32),
    );
    body.i32(LENDS)
        .ins(I::I32Load(mem(m, 8)))
        .get(i)
        .i32(3)
        .ins(I::I32Shl)
        .ins(I::I32Add)
        .set(lend);
    body.get(lend).ins(I::I32Load(mem(m, 0))).set(lender);
    body.get(lender).ins(I::If(BlockType::Empty));
    body.get(lend).ins(I::I32Load(mem(m, 4))).set(handle);
    any_type_slot(body, m, lender, handle);
    body.set(addr);
    body.get(addr)
        .get(addr)
        .ins(I::I32Load(mem(m, 12)))
        .i32(1)
        .ins(I::I32Sub)
        .ins(I::I32Store(mem(m, 12)));
    body.get(lend).i32(0).ins(I::I32Store(mem(m, 0)));
    body.ins(I::End);
    body.get(i).i32(1).ins(I::I32Add).set(i);
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
}

/// Pushes the address of scope entry `index`.
fn scope_address(body: &mut Body, m: u32, index: Local) {
    body.i32(SCOPES)
        .ins(I::I32Load(mem(m, 8)))
        .get(index)
        .i32(3)
        .ins(I::I32Shl)
        .ins(I::I32Add);
}

/// Appends an entry to the vector at `hdr` (reserved already); returns a
/// local with its address.
fn push_entry(body: &mut Body, m: u32, hdr: u32, size: u32) -> Local {
    let entry = body.local(Flat::I32);
    body.i32(hdr)
        .ins(I::I32Load(mem(m, 8)))
        .i32(hdr)
        .ins(I::I32Load(mem(m, 0)))
        .i32(size)
        .ins(I::I32Mul)
        .ins(I::I32Add)
        .set(entry);
    body.i32(hdr)
        .i32(hdr)
        .ins(I::I32Load(mem(m, 0)))
        .i32(1)
        .ins(I::I32Add)
        .ins(I::I32Store(mem(m, 0)));
    entry
}

/// `slot(table, handle, type) -> address`: traps unless the handle names
/// a used slot of that resource type.
fn slot(body: &mut Body, m: u32, args: &[Local]) {
    let (t, h, ty) = (args[0], args[1], args[2]);
    let addr = body.local(Flat::I32);
    any_type_slot(body, m, t, h);
    body.set(addr);
    body.get(addr)
        .ins(I::I32Load(mem(m, 4)))
        .get(ty)
        .ins(I::I32Ne)
        .trap_if();
    body.get(addr);
}

/// Returns when `host` is 0, the handle a staged write gives the host when
/// the writer's handle or end could not be lent (`RtFn::OwnLend`,
/// `end_lend`): the host's lift rejects it, so the host cannot have taken
/// it (traps if `taken` says it did), and nothing was lent.
fn nothing_lent(body: &mut Body, host: Local, taken: bool) {
    body.get(host).ins(I::I32Eqz).ins(I::If(BlockType::Empty));
    if taken {
        body.ins(I::Unreachable);
    }
    body.ins(I::Return).ins(I::End);
}

/// The address of own handle `handle` of `resource` in component `k`'s
/// table; traps unless it is one.
fn own_slot(body: &mut Body, m: u32, k: u32, resource: u32, handle: Local) -> Local {
    let (addr, t, ty) = (
        body.local(Flat::I32),
        body.local(Flat::I32),
        body.local(Flat::I32),
    );
    body.i32(table(k)).set(t);
    body.i32(resource).set(ty);
    slot(body, m, &[t, handle, ty]);
    body.set(addr);
    body.get(addr)
        .ins(I::I32Load(mem(m, 0)))
        .i32(OWN)
        .ins(I::I32Ne)
        .trap_if();
    addr
}

/// Counts one lend more (`I32Add`) or less (`I32Sub`) in the own handle's
/// slot at `addr`.
fn lends(body: &mut Body, m: u32, addr: Local, op: I<'static>) {
    body.get(addr)
        .get(addr)
        .ins(I::I32Load(mem(m, 12)))
        .i32(1)
        .ins(op)
        .ins(I::I32Store(mem(m, 12)));
}

/// Pushes the address of slot `index` of the table at `t`; traps when
/// the table has no such slot.
fn indexed_slot(body: &mut Body, m: u32, t: Local, index: Local) {
    body.get(index)
        .get(t)
        .ins(I::I32Load(mem(m, 4)))
        .ins(I::I32GeU)
        .trap_if();
    slot_address(body, m, t, index);
}

/// Pushes the address of the slot of handle `h` of the table at `t`;
/// traps on a free slot or an index out of range.
fn any_type_slot(body: &mut Body, m: u32, t: Local, h: Local) {
    let (index, addr) = (body.local(Flat::I32), body.local(Flat::I32));
    // index = handle - 1 (handle 0 wraps around and is out of range)
    body.get(h).i32(1).ins(I::I32Sub).set(index);
    indexed_slot(body, m, t, index);
    body.set(addr);
    body.get(addr)
        .ins(I::I32Load(mem(m, 0)))
        .i32(FREE)
        .ins(I::I32Eq)
        .trap_if();
    body.get(addr);
    body.free(index);
    body.free(addr);
}
