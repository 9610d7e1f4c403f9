//! Moving one value from one side of a boundary to the other.
//!
//! A value is read from a [`Src`] (flat core values in locals, or a place
//! in the source memory) and written to a [`Dst`] (locals, or a place in
//! the destination memory), so each type's translation is written once for
//! all four combinations. Reading follows CanonicalABI.md's `lift_flat` /
//! `load` (with their checks: bools are any non-zero value, narrow integers
//! keep their low bits, chars, enum and variant discriminants trap when out
//! of range, unused flag bits are cleared), writing follows `lower_flat` /
//! `store`. Compound values copied memory to memory go through memoised
//! helper functions, so code grows with the size of the type, not with the
//! number of places it occurs.

use super::body::{Body, Local};
use super::codegen::{Codegen, Dir};
use crate::abi::{Flat, Node, Prim, TyId};
use crate::error::Result;
use wasm_encoder::{BlockType, Instruction as I};

/// A flat value held in a local whose type may be wider than the value's
/// (a variant's joined payload slot).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub(crate) local: Local,
    pub(crate) ty: Flat,
}

impl Slot {
    pub(crate) fn exact(local: Local) -> Self {
        Slot {
            local,
            ty: local.ty,
        }
    }
}

/// A place in a linear memory: `addr + offset`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub(crate) memory: u32,
    pub(crate) addr: Local,
    pub(crate) offset: u32,
}

impl Place {
    pub(crate) fn at(self, offset: u32) -> Place {
        Place {
            offset: self.offset + offset,
            ..self
        }
    }
}

/// Where a value is read from.
#[derive(Debug, Clone)]
pub(crate) enum Src {
    Stack(Vec<Slot>),
    Mem(Place),
}

/// Where a value is written to.
#[derive(Debug, Clone)]
pub(crate) enum Dst {
    Stack(Vec<Slot>),
    Mem(Place),
}

impl Codegen {
    /// Moves one `ty` from `src` to `dst`.
    pub(crate) fn translate(
        &mut self,
        body: &mut Body,
        ty: TyId,
        src: &Src,
        dst: &Dst,
        dir: Dir,
    ) -> Result<()> {
        let info = self.tys.info(ty);
        if let (Src::Mem(s), Dst::Mem(d)) = (src, dst) {
            let compound = matches!(
                self.tys.node(ty),
                Node::Record(_) | Node::Variant(_) | Node::FixedList(..)
            );
            if info.plain {
                copy_bytes(body, *s, *d, info.size);
                return Ok(());
            }
            if compound {
                let helper = self.copy_helper(ty, dir);
                effective_address(body, *s);
                effective_address(body, *d);
                body.ins(I::Call(helper));
                return Ok(());
            }
        }
        self.translate_inline(body, ty, src, dst, dir)
    }

    /// Like [`Codegen::translate`], but never calls a copy helper for `ty`
    /// itself (the body of that helper).
    pub(crate) fn translate_inline(
        &mut self,
        body: &mut Body,
        ty: TyId,
        src: &Src,
        dst: &Dst,
        dir: Dir,
    ) -> Result<()> {
        let node = self.tys.node(ty).clone();
        let info = self.tys.info(ty).clone();
        match node {
            Node::Prim(p) => {
                begin_write(body, dst);
                read_prim(body, p, src);
                end_write(body, dst, p.size(), p.flat());
            }
            Node::Enum(cases) => {
                let disc = read_to_local(body, src, info.disc);
                body.get(disc).i32(cases).ins(I::I32GeU).trap_if();
                begin_write(body, dst);
                body.get(disc);
                end_write(body, dst, info.disc, Flat::I32);
                body.free(disc);
            }
            Node::Flags(labels) => self.flags(body, labels, info.size, src, dst),
            Node::Handle { .. } | Node::End(_) if dir.dst.table == super::resources::KEPT => {
                begin_write(body, dst);
                read_prim(body, Prim::U32, src);
                end_write(body, dst, 4, Flat::I32);
            }
            Node::Handle { resource, own } => {
                let (from, to) = (dir.src.table, dir.dst.table);
                let transfer = self.rt(super::resources::RtFn::transfer(resource, own, from, to));
                begin_write(body, dst);
                read_prim(body, Prim::U32, src);
                body.ins(I::Call(transfer));
                end_write(body, dst, 4, Flat::I32);
            }
            Node::End(kind) => {
                let (from, to) = (dir.src.table, dir.dst.table);
                let transfer = self.rt(super::resources::RtFn::end(kind, from, to));
                begin_write(body, dst);
                read_prim(body, Prim::U32, src);
                body.ins(I::Call(transfer));
                end_write(body, dst, 4, Flat::I32);
            }
            Node::String => {
                let helper = self.string_helper(dir);
                let free = self.stage_free(dir);
                self.pointer_pair(body, src, dst, |body| {
                    freeing(body, free, |body| {
                        body.ins(I::Call(helper));
                    })
                })
            }
            Node::List(element) => {
                let helper = self.list_helper(element, dir);
                let free = self.stage_free(dir);
                self.pointer_pair(body, src, dst, |body| {
                    freeing(body, free, |body| {
                        // (ptr, len) -> (new ptr, len)
                        let len = body.local(Flat::I32);
                        body.set(len).get(len).ins(I::Call(helper)).get(len);
                        body.free(len);
                    })
                })
            }
            Node::Record(fields) => {
                let offsets = info.offsets.clone();
                self.fields(body, &fields, &offsets, src, dst, dir)?;
            }
            Node::FixedList(element, length) => {
                let size = self.tys.info(element).size;
                let fields = vec![element; length as usize];
                let offsets: Vec<u32> = (0..length).map(|i| i * size).collect();
                self.fields(body, &fields, &offsets, src, dst, dir)?;
            }
            Node::Variant(cases) => self.variant(body, &cases, &info, src, dst, dir)?,
        }
        Ok(())
    }

    fn fields(
        &mut self,
        body: &mut Body,
        fields: &[TyId],
        offsets: &[u32],
        src: &Src,
        dst: &Dst,
        dir: Dir,
    ) -> Result<()> {
        let mut flat_at = 0;
        for (field, offset) in fields.iter().zip(offsets) {
            let count = self.tys.info(*field).flat.len();
            let part_src = match src {
                Src::Stack(slots) => Src::Stack(slots[flat_at..flat_at + count].to_vec()),
                Src::Mem(p) => Src::Mem(p.at(*offset)),
            };
            let part_dst = match dst {
                Dst::Stack(slots) => Dst::Stack(slots[flat_at..flat_at + count].to_vec()),
                Dst::Mem(p) => Dst::Mem(p.at(*offset)),
            };
            self.translate(body, *field, &part_src, &part_dst, dir)?;
            flat_at += count;
        }
        Ok(())
    }

    fn flags(&mut self, body: &mut Body, labels: u32, size: u32, src: &Src, dst: &Dst) {
        for word in 0..labels.div_ceil(32) {
            let bits = (labels - 32 * word).min(32);
            // Up to 16 flags take 1 or 2 bytes; more take 32-bit words.
            let (width, offset) = if size < 4 { (size, 0) } else { (4, 4 * word) };
            begin_write(body, dst);
            match src {
                Src::Stack(slots) => read_slot(body, slots[word as usize]),
                Src::Mem(p) => {
                    address(body, *p);
                    body.load(p.memory, p.offset + offset, width, Flat::I32);
                }
            }
            if bits < 32 {
                body.i32((1u32 << bits) - 1).ins(I::I32And);
            }
            match dst {
                Dst::Stack(slots) => write_slot(body, slots[word as usize]),
                Dst::Mem(p) => {
                    body.store(p.memory, p.offset + offset, width, Flat::I32);
                }
            }
        }
    }

    /// The stage heap's `free` if the source's blocks are freed once
    /// copied ([`super::codegen::Side::frees`]).
    fn stage_free(&mut self, dir: Dir) -> Option<u32> {
        dir.src
            .frees
            .then(|| self.rt(super::resources::RtFn::StageFree))
    }

    /// Reads a `(ptr, len)` pair, runs `convert` on it (leaving a new pair
    /// on the stack) and writes the result.
    fn pointer_pair(
        &mut self,
        body: &mut Body,
        src: &Src,
        dst: &Dst,
        convert: impl FnOnce(&mut Body),
    ) {
        match src {
            Src::Stack(slots) => {
                read_slot(body, slots[0]);
                read_slot(body, slots[1]);
            }
            Src::Mem(p) => {
                address(body, *p);
                body.load(p.memory, p.offset, 4, Flat::I32);
                address(body, *p);
                body.load(p.memory, p.offset + 4, 4, Flat::I32);
            }
        }
        convert(body);
        match dst {
            Dst::Stack(slots) => {
                write_slot(body, slots[1]);
                write_slot(body, slots[0]);
            }
            Dst::Mem(p) => {
                let (ptr, len) = (body.local(Flat::I32), body.local(Flat::I32));
                body.set(len).set(ptr);
                address(body, *p).get(ptr);
                body.store(p.memory, p.offset, 4, Flat::I32);
                address(body, *p).get(len);
                body.store(p.memory, p.offset + 4, 4, Flat::I32);
                body.free(ptr);
                body.free(len);
            }
        }
    }

    fn variant(
        &mut self,
        body: &mut Body,
        cases: &[Option<TyId>],
        info: &crate::abi::Info,
        src: &Src,
        dst: &Dst,
        dir: Dir,
    ) -> Result<()> {
        let n = cases.len() as u32;
        let disc = read_to_local(body, src, info.disc);
        // block $end; block $bad; block $case(n-1) ... block $case0
        body.ins(I::Block(BlockType::Empty));
        body.ins(I::Block(BlockType::Empty));
        for _ in 0..n {
            body.ins(I::Block(BlockType::Empty));
        }
        let targets: Vec<u32> = (0..n).collect();
        body.get(disc).ins(I::BrTable(targets.into(), n));
        for (k, case) in cases.iter().enumerate() {
            body.ins(I::End);
            begin_write(body, dst);
            body.i32(k as u32);
            end_write(body, dst, info.disc, Flat::I32);
            let payload_flat = match case {
                Some(t) => self.tys.info(*t).flat.clone(),
                None => Vec::new(),
            };
            if let Some(t) = case {
                let case_src = match src {
                    Src::Stack(slots) => Src::Stack(retyped(&slots[1..], &payload_flat)),
                    Src::Mem(p) => Src::Mem(p.at(info.offsets[0])),
                };
                let case_dst = match dst {
                    Dst::Stack(slots) => Dst::Stack(retyped(&slots[1..], &payload_flat)),
                    Dst::Mem(p) => Dst::Mem(p.at(info.offsets[0])),
                };
                self.translate(body, *t, &case_src, &case_dst, dir)?;
            }
            if let Dst::Stack(slots) = dst {
                // Unused payload slots are zero, as a runtime leaves them.
                for slot in &slots[1 + payload_flat.len()..] {
                    zero(body, slot.local.ty);
                    body.set(slot.local);
                }
            }
            body.ins(I::Br(n - k as u32));
        }
        body.ins(I::End).ins(I::Unreachable).ins(I::End);
        body.free(disc);
        Ok(())
    }
}

/// The payload slots of a variant case: the joined locals, read and
/// written as the case's own flat types.
/// Runs `convert` on the `(ptr, len)` pair on the stack, then, with
/// `free`, frees the source block at `ptr`.
fn freeing(body: &mut Body, free: Option<u32>, convert: impl FnOnce(&mut Body)) {
    let Some(free) = free else {
        return convert(body);
    };
    let (ptr, len) = (body.local(Flat::I32), body.local(Flat::I32));
    body.set(len).set(ptr).get(ptr).get(len);
    convert(body);
    body.get(ptr).ins(I::Call(free));
    body.free(ptr);
    body.free(len);
}

pub(crate) fn retyped(slots: &[Slot], flat: &[Flat]) -> Vec<Slot> {
    slots
        .iter()
        .zip(flat)
        .map(|(slot, ty)| Slot {
            local: slot.local,
            ty: *ty,
        })
        .collect()
}

/// Pushes `addr` of a place (its offset goes into the memory argument).
fn address(body: &mut Body, place: Place) -> &mut Body {
    body.get(place.addr)
}

/// Pushes `addr + offset` of a place.
fn effective_address(body: &mut Body, place: Place) {
    body.get(place.addr);
    if place.offset != 0 {
        body.i32(place.offset).ins(I::I32Add);
    }
}

/// Reads a discriminant (or enum value) into a fresh local.
fn read_to_local(body: &mut Body, src: &Src, size: u32) -> Local {
    match src {
        Src::Stack(slots) => read_slot(body, slots[0]),
        Src::Mem(p) => {
            address(body, *p);
            body.load(p.memory, p.offset, size, Flat::I32);
        }
    }
    let local = body.local(Flat::I32);
    body.set(local);
    local
}

/// Pushes what a write to `dst` needs below the value (the address).
fn begin_write(body: &mut Body, dst: &Dst) {
    if let Dst::Mem(p) = dst {
        address(body, *p);
    }
}

/// Writes the value on the stack: into the first flat slot, or `size`
/// bytes at the place.
fn end_write(body: &mut Body, dst: &Dst, size: u32, ty: Flat) {
    match dst {
        Dst::Stack(slots) => write_slot(body, slots[0]),
        Dst::Mem(p) => {
            body.store(p.memory, p.offset, size, ty);
        }
    }
}

/// Reads a scalar, applying the checks and conversions of lifting.
fn read_prim(body: &mut Body, p: Prim, src: &Src) {
    match src {
        Src::Stack(slots) => {
            read_slot(body, slots[0]);
            match p {
                Prim::Bool => {
                    body.i32(0).ins(I::I32Ne);
                }
                Prim::U8 => {
                    body.i32(0xff).ins(I::I32And);
                }
                Prim::U16 => {
                    body.i32(0xffff).ins(I::I32And);
                }
                Prim::S8 => {
                    body.ins(I::I32Extend8S);
                }
                Prim::S16 => {
                    body.ins(I::I32Extend16S);
                }
                _ => {}
            }
        }
        Src::Mem(place) => {
            address(body, *place);
            body.load(place.memory, place.offset, p.size(), p.flat());
            match p {
                Prim::Bool => {
                    body.i32(0).ins(I::I32Ne);
                }
                Prim::S8 => {
                    body.ins(I::I32Extend8S);
                }
                Prim::S16 => {
                    body.ins(I::I32Extend16S);
                }
                _ => {}
            }
        }
    }
    if p == Prim::Char {
        check_char(body);
    }
}

/// Traps unless the `i32` on the stack is a Unicode scalar value; leaves it.
fn check_char(body: &mut Body) {
    let c = body.local(Flat::I32);
    body.set(c);
    // c >= 0x110000 || (c - 0xD800) < 0x800
    body.get(c)
        .i32(0x11_0000)
        .ins(I::I32GeU)
        .get(c)
        .i32(0xD800)
        .ins(I::I32Sub)
        .i32(0x800)
        .ins(I::I32LtU)
        .ins(I::I32Or)
        .trap_if();
    body.get(c);
    body.free(c);
}

/// Pushes the value of `slot` as its own type.
pub(crate) fn read_slot(body: &mut Body, slot: Slot) {
    body.get(slot.local);
    match (slot.local.ty, slot.ty) {
        (have, want) if have == want => {}
        (Flat::I32, Flat::F32) => {
            body.ins(I::F32ReinterpretI32);
        }
        (Flat::I64, Flat::I32) => {
            body.ins(I::I32WrapI64);
        }
        (Flat::I64, Flat::F32) => {
            body.ins(I::I32WrapI64).ins(I::F32ReinterpretI32);
        }
        (Flat::I64, Flat::F64) => {
            body.ins(I::F64ReinterpretI64);
        }
        _ => unreachable_join(body),
    }
}

/// Stores the value on the stack (of the slot's own type) into its local.
pub(crate) fn write_slot(body: &mut Body, slot: Slot) {
    match (slot.ty, slot.local.ty) {
        (have, want) if have == want => {}
        (Flat::F32, Flat::I32) => {
            body.ins(I::I32ReinterpretF32);
        }
        (Flat::I32, Flat::I64) => {
            body.ins(I::I64ExtendI32U);
        }
        (Flat::F32, Flat::I64) => {
            body.ins(I::I32ReinterpretF32).ins(I::I64ExtendI32U);
        }
        (Flat::F64, Flat::I64) => {
            body.ins(I::I64ReinterpretF64);
        }
        _ => unreachable_join(body),
    }
    body.set(slot.local);
}

/// A slot whose types no join produces: the flattening is inconsistent.
/// Unreachable by construction (joins only widen to i32 or i64); emitting a
/// trap keeps the output valid-typed would it ever happen.
fn unreachable_join(body: &mut Body) {
    body.ins(I::Unreachable);
}

fn zero(body: &mut Body, ty: Flat) {
    body.ins(match ty {
        Flat::I32 => I::I32Const(0),
        Flat::I64 => I::I64Const(0),
        Flat::F32 => I::F32Const(0.0.into()),
        Flat::F64 => I::F64Const(0.0.into()),
    });
}

/// Copies `size` bytes that need no checking between two places.
fn copy_bytes(body: &mut Body, src: Place, dst: Place, size: u32) {
    let ty = match size {
        1 | 2 | 4 => Some(Flat::I32),
        8 => Some(Flat::I64),
        _ => None,
    };
    match ty {
        Some(ty) => {
            address(body, dst);
            address(body, src);
            body.load(src.memory, src.offset, size, ty);
            body.store(dst.memory, dst.offset, size, ty);
        }
        None => {
            effective_address(body, dst);
            effective_address(body, src);
            body.i32(size).ins(I::MemoryCopy {
                src_mem: src.memory,
                dst_mem: dst.memory,
            });
        }
    }
}
