//! Moving the pointers of a value between region and memory addresses.
//!
//! With a shared memory, a component whose region is not at base 0 keeps
//! addresses relative to its region while the host reads and writes the
//! one memory at absolute addresses. At the host boundary every string and
//! list pointer of a value the host sees is moved by the region's base:
//! flat values in their locals, values in memory where they lie (what the
//! host wrote, once written; copies made for the host to read: what a
//! component wrote in its own memory is copied, `Adapters::copied_exports`
//! and `Adapters::moved_lowerings`), lists' elements by a memoised helper
//! per element type. Walking a list always uses the relative address of
//! its elements.

use super::body::Body;
use super::codegen::Codegen;
use super::resources::{RtFn, SHADOW};
use super::translate::{Place, Slot, read_slot, retyped, write_slot};
use crate::abi::{Flat, Node, TyId};
use crate::error::{Error, Result};
use wasm_encoder::{BlockType, Instruction as I};

/// Which way pointers move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Way {
    /// Region addresses become memory addresses (`+ base`).
    ToHost,
    /// Memory addresses become region addresses (`- base`).
    FromHost,
    /// A staged write to the host is settled, in meld's memory: its own
    /// handles (lent by `handles`' table) are given back, and removed
    /// when `taken` (`RtFn::OwnSettle`); nothing moves.
    Settle { taken: bool },
}

/// A rebasing: which way, in which (multi-memory) memory, by how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Rebase {
    pub(crate) way: Way,
    pub(crate) memory: u32,
    pub(crate) base: u32,
    /// Also move handles of inner resources between the host's table and
    /// this component's (`ToHost`: its own handles leave for the host).
    pub(crate) handles: Option<u32>,
    /// With a shared memory: the region's strings (in this encoding) and
    /// lists the host is given must lie inside the region (`ToHost`
    /// traps otherwise, as the component's own memory would bound them).
    pub(crate) checked: Option<crate::decode::StringEncoding>,
    /// The strings and lists are blocks of the stage heap: each is freed
    /// once walked.
    pub(crate) frees: bool,
}

impl Rebase {
    /// Moves the pointer on the stack.
    fn shift(self, body: &mut Body) {
        if self.base == 0 {
            return;
        }
        body.i32(self.base).ins(match self.way {
            Way::ToHost => I::I32Add,
            Way::FromHost | Way::Settle { .. } => I::I32Sub,
        });
    }

    pub(crate) fn describe(self) -> String {
        let way = match self.way {
            Way::ToHost => "to host",
            Way::FromHost => "from host",
            Way::Settle { taken: true } => "settle taken",
            Way::Settle { taken: false } => "settle",
        };
        let way = match self.frees {
            true => format!("{way}, freed"),
            false => way.to_string(),
        };
        match self.handles {
            Some(table) => format!(
                "mem{} {way} {:#x} handles of table{table}",
                self.memory, self.base
            ),
            None => format!("mem{} {way} {:#x}", self.memory, self.base),
        }
    }

    /// Whether values of `info` have something to move.
    fn moves(self, info: &crate::abi::Info) -> bool {
        ((self.base != 0 || self.checked.is_some() || self.frees) && info.memory)
            || (self.handles.is_some() && info.handles)
    }

    /// Traps unless the string or list at `ptr`, `len` (elements of
    /// `size` bytes; `None` for a string) lies inside the region.
    fn check(self, body: &mut Body, ptr: Slot, len: Slot, size: Option<u32>) {
        use crate::decode::StringEncoding as E;
        let (Way::ToHost, Some(encoding)) = (self.way, self.checked) else {
            return;
        };
        let (p, n) = (body.local(Flat::I32), body.local(Flat::I32));
        read_slot(body, ptr);
        body.set(p);
        read_slot(body, len);
        body.set(n);
        let scale = match (size, encoding) {
            (Some(size), _) => size,
            (None, E::Utf8) => 1,
            (None, E::Utf16) => 2,
            (None, E::CompactUtf16) => {
                // tagged utf16: twice the length without the tag
                body.get(n)
                    .i32(0x7fff_ffff)
                    .ins(I::I32And)
                    .get(n)
                    .i32(31)
                    .ins(I::I32ShrU)
                    .ins(I::I32Shl)
                    .set(n);
                1
            }
        };
        body.check_range(self.memory, p, n, scale);
        body.free(p);
        body.free(n);
    }

    /// With `frees`, frees the stage block whose address is in `ptr`.
    fn free(self, codegen: &mut Codegen, body: &mut Body, ptr: Slot) {
        if self.frees {
            let free = codegen.rt(RtFn::StageFree);
            read_slot(body, ptr);
            body.ins(I::Call(free));
        }
    }

    /// The function replacing a handle or end of type `node` (`None`: it
    /// stays).
    fn replacing_fn(self, node: &Node) -> Option<RtFn> {
        match *node {
            Node::End(kind) => self.end_fn(kind),
            Node::Handle { resource, own } => self.handle_fn(resource, own),
            _ => None,
        }
    }

    /// The function moving an end or error context of `kind`.
    fn end_fn(self, kind: crate::abi::EndKind) -> Option<RtFn> {
        use super::resources::HOST;
        let table = self.handles?;
        Some(match self.way {
            Way::ToHost => RtFn::End {
                kind,
                from: table,
                to: HOST,
            },
            Way::FromHost => RtFn::End {
                kind,
                from: HOST,
                to: table,
            },
            // error contexts: nothing to settle (`RtFn::end`); ends:
            // `settle_shadowed`
            Way::Settle { .. } => return None,
        })
    }

    /// The function replacing a handle of `resource` on the stack.
    fn handle_fn(self, resource: u32, own: bool) -> Option<RtFn> {
        use super::resources::HOST;
        let table = self.handles?;
        Some(match self.way {
            Way::ToHost => RtFn::transfer(resource, own, table, HOST),
            Way::FromHost => RtFn::transfer(resource, own, HOST, table),
            Way::Settle { taken } => RtFn::OwnSettle {
                resource,
                table,
                taken,
            },
        })
    }
}

impl Codegen {
    /// Moves the pointers of a `ty` held in `slots`.
    pub(crate) fn rebase_stack(
        &mut self,
        body: &mut Body,
        ty: TyId,
        slots: &[Slot],
        r: Rebase,
    ) -> Result<()> {
        let info = self.tys.info(ty).clone();
        if !r.moves(&info) {
            return Ok(());
        }
        match self.tys.node(ty).clone() {
            Node::Handle { .. } | Node::End(_) => {
                let f = r.replacing_fn(self.tys.node(ty));
                if let Some(f) = f {
                    let f = self.rt(f);
                    read_slot(body, slots[0]);
                    body.ins(I::Call(f));
                    write_slot(body, slots[0]);
                }
            }
            Node::String => {
                r.check(body, slots[0], slots[1], None);
                read_slot(body, slots[0]);
                r.shift(body);
                write_slot(body, slots[0]);
                r.free(self, body, slots[0]);
            }
            Node::List(element) => {
                r.check(body, slots[0], slots[1], Some(self.tys.info(element).size));
                let walk = r.moves(&self.tys.info(element).clone());
                if walk && r.way == Way::ToHost {
                    self.walk_list(body, element, slots[0], slots[1], r);
                }
                read_slot(body, slots[0]);
                r.shift(body);
                write_slot(body, slots[0]);
                if walk && r.way != Way::ToHost {
                    self.walk_shadowed(body, element, slots[0], slots[1], r);
                }
                r.free(self, body, slots[0]);
            }
            Node::Record(fields) => {
                let mut at = 0;
                for field in fields {
                    let n = self.tys.info(field).flat.len();
                    self.rebase_stack(body, field, &slots[at..at + n], r)?;
                    at += n;
                }
            }
            Node::FixedList(element, length) => {
                let n = self.tys.info(element).flat.len();
                for i in 0..length as usize {
                    self.rebase_stack(body, element, &slots[i * n..(i + 1) * n], r)?;
                }
            }
            Node::Variant(cases) => {
                let disc = body.local(Flat::I32);
                read_slot(body, slots[0]);
                body.set(disc);
                self.dispatch(body, disc, &cases, |s, body, case| {
                    let flat = s.tys.info(case).flat.clone();
                    s.rebase_stack(body, case, &retyped(&slots[1..], &flat), r)
                })?;
                body.free(disc);
            }
            Node::Prim(_) | Node::Enum(_) | Node::Flags(_) => {}
        }
        Ok(())
    }

    /// Moves the pointers of a `ty` at `place` (in memory `r.memory`).
    pub(crate) fn rebase_mem(
        &mut self,
        body: &mut Body,
        ty: TyId,
        place: Place,
        r: Rebase,
    ) -> Result<()> {
        let info = self.tys.info(ty).clone();
        if !r.moves(&info) {
            return Ok(());
        }
        match self.tys.node(ty).clone() {
            Node::Handle { resource, .. }
                if matches!(r.way, Way::Settle { .. }) && !self.runtime.is_host(resource) =>
            {
                self.settle_shadowed(body, place, r, |table, taken| RtFn::InnerSettle {
                    resource,
                    table,
                    taken,
                })?;
            }
            Node::End(kind)
                if matches!(r.way, Way::Settle { .. })
                    && kind != crate::abi::EndKind::ErrorContext =>
            {
                self.settle_shadowed(body, place, r, |table, taken| RtFn::EndSettle {
                    kind,
                    table,
                    taken,
                })?;
            }
            Node::Handle { .. } | Node::End(_) => {
                let f = r.replacing_fn(self.tys.node(ty));
                if let Some(f) = f {
                    let f = self.rt(f);
                    body.get(place.addr);
                    body.get(place.addr)
                        .load(r.memory, place.offset, 4, Flat::I32)
                        .ins(I::Call(f))
                        .store(r.memory, place.offset, 4, Flat::I32);
                }
            }
            Node::String | Node::List(_) => {
                let ptr = body.local(Flat::I32);
                let len = body.local(Flat::I32);
                body.get(place.addr)
                    .load(r.memory, place.offset, 4, Flat::I32)
                    .set(ptr);
                body.get(place.addr)
                    .load(r.memory, place.offset + 4, 4, Flat::I32)
                    .set(len);
                let (ptr_slot, len_slot) = (Slot::exact(ptr), Slot::exact(len));
                self.rebase_stack(body, ty, &[ptr_slot, len_slot], r)?;
                body.get(place.addr)
                    .get(ptr)
                    .store(r.memory, place.offset, 4, Flat::I32);
                body.free(ptr);
                body.free(len);
            }
            Node::Record(_) | Node::FixedList(..) | Node::Variant(_) => {
                // Compound values go through a memoised helper taking the address.
                let helper = self.rebase_helper(ty, r);
                body.get(place.addr);
                if place.offset != 0 {
                    body.i32(place.offset).ins(I::I32Add);
                }
                body.ins(I::Call(helper));
            }
            Node::Prim(_) | Node::Enum(_) | Node::Flags(_) => {}
        }
        Ok(())
    }

    /// Whether a staged write of `ty`s needs a shadow of its elements (or
    /// a list of `ty`s of its own): `ty` holds, outside lists (whose
    /// elements have theirs), own handles of inner components' resources
    /// or stream or future ends, which the host takes as the fused
    /// component's.
    pub(crate) fn shadowed(&self, ty: TyId) -> bool {
        let each = |ty: &TyId| self.shadowed(*ty);
        match self.tys.node(ty) {
            Node::Handle { resource, .. } => !self.runtime.is_host(*resource),
            Node::End(kind) => *kind != crate::abi::EndKind::ErrorContext,
            Node::FixedList(element, _) => each(element),
            Node::Record(fields) => fields.iter().any(each),
            Node::Variant(cases) => cases.iter().flatten().any(each),
            Node::List(_) | Node::Prim(_) | Node::String | Node::Enum(_) | Node::Flags(_) => false,
        }
    }

    /// Settles the own handle of an inner resource or the readable end a
    /// staged write holds at `place` with `settle(table, taken)`
    /// (`RtFn::InnerSettle`, `RtFn::EndSettle`): the host's handle is
    /// there, the writer's in the write's shadow, [`SHADOW`]'s distance
    /// further on.
    fn settle_shadowed(
        &mut self,
        body: &mut Body,
        place: Place,
        r: Rebase,
        settle: impl FnOnce(u32, bool) -> RtFn,
    ) -> Result<()> {
        let (Way::Settle { taken }, Some(table)) = (r.way, r.handles) else {
            return Err(Error::internal("a handle settled outside a staged write"));
        };
        let f = self.rt(settle(table, taken));
        body.get(place.addr)
            .load(r.memory, place.offset, 4, Flat::I32);
        body.get(place.addr)
            .i32(SHADOW)
            .load(r.memory, 0, 4, Flat::I32)
            .ins(I::I32Add)
            .load(r.memory, place.offset, 4, Flat::I32)
            .ins(I::Call(f));
        Ok(())
    }

    /// The body of the helper for a compound `ty` at address `place.addr`.
    pub(crate) fn rebase_compound(
        &mut self,
        body: &mut Body,
        ty: TyId,
        place: Place,
        r: Rebase,
    ) -> Result<()> {
        let info = self.tys.info(ty).clone();
        match self.tys.node(ty).clone() {
            Node::Record(fields) => {
                for (field, offset) in fields.iter().zip(&info.offsets) {
                    self.rebase_mem(body, *field, place.at(*offset), r)?;
                }
            }
            Node::FixedList(element, length) => {
                let size = self.tys.info(element).size;
                for i in 0..length {
                    self.rebase_mem(body, element, place.at(i * size), r)?;
                }
            }
            Node::Variant(cases) => {
                let disc = body.local(Flat::I32);
                body.get(place.addr)
                    .load(r.memory, place.offset, info.disc, Flat::I32)
                    .set(disc);
                let payload = place.at(info.offsets[0]);
                self.dispatch(body, disc, &cases, |s, body, case| {
                    s.rebase_mem(body, case, payload, r)
                })?;
                body.free(disc);
            }
            _ => self.rebase_mem(body, ty, place, r)?,
        }
        Ok(())
    }

    /// [`Self::walk_list`], settling a list whose elements have a shadow of
    /// their own ([`Self::shadowed`]): [`SHADOW`] holds its distance while
    /// they are walked.
    fn walk_shadowed(&mut self, body: &mut Body, element: TyId, ptr: Slot, len: Slot, r: Rebase) {
        if !matches!(r.way, Way::Settle { .. }) || !self.shadowed(element) {
            return self.walk_list(body, element, ptr, len, r);
        }
        let outer = body.local(Flat::I32);
        body.i32(SHADOW).load(r.memory, 0, 4, Flat::I32).set(outer);
        body.i32(SHADOW);
        read_slot(body, len);
        body.i32(self.tys.info(element).size)
            .ins(I::I32Mul)
            .store(r.memory, 0, 4, Flat::I32);
        self.walk_list(body, element, ptr, len, r);
        body.i32(SHADOW).get(outer).store(r.memory, 0, 4, Flat::I32);
        body.free(outer);
    }

    /// Walks the elements of the list whose (relative) pointer and length
    /// are in `ptr` and `len`.
    fn walk_list(&mut self, body: &mut Body, element: TyId, ptr: Slot, len: Slot, r: Rebase) {
        let helper = self.rebase_list_helper(element, r);
        read_slot(body, ptr);
        read_slot(body, len);
        body.ins(I::Call(helper));
    }

    /// The body of the list helper: `(ptr, len)`, `ptr` relative.
    pub(crate) fn rebase_elements(
        &mut self,
        body: &mut Body,
        element: TyId,
        ptr: super::body::Local,
        len: super::body::Local,
        r: Rebase,
    ) -> Result<()> {
        let size = self.tys.info(element).size;
        let end = body.local(Flat::I32);
        body.get(ptr)
            .get(len)
            .i32(size)
            .ins(I::I32Mul)
            .ins(I::I32Add)
            .set(end);
        body.ins(I::Block(BlockType::Empty))
            .ins(I::Loop(BlockType::Empty));
        body.get(ptr).get(end).ins(I::I32Eq).ins(I::BrIf(1));
        let place = Place {
            memory: r.memory,
            addr: ptr,
            offset: 0,
        };
        self.rebase_mem(body, element, place, r)?;
        body.get(ptr).i32(size).ins(I::I32Add).set(ptr);
        body.ins(I::Br(0)).ins(I::End).ins(I::End);
        Ok(())
    }

    /// Runs `each` for the case `disc` takes (cases without a payload do
    /// nothing; an invalid discriminant does nothing either: the values'
    /// checks are elsewhere).
    fn dispatch(
        &mut self,
        body: &mut Body,
        disc: super::body::Local,
        cases: &[Option<TyId>],
        mut each: impl FnMut(&mut Self, &mut Body, TyId) -> Result<()>,
    ) -> Result<()> {
        let n = cases.len() as u32;
        body.ins(I::Block(BlockType::Empty));
        for _ in 0..n {
            body.ins(I::Block(BlockType::Empty));
        }
        let targets: Vec<u32> = (0..n).collect();
        body.get(disc).ins(I::BrTable(targets.into(), n));
        for (k, case) in cases.iter().enumerate() {
            body.ins(I::End);
            if let Some(case) = case {
                each(self, body, *case)?;
            }
            body.ins(I::Br(n - 1 - k as u32));
        }
        body.ins(I::End);
        Ok(())
    }
}
