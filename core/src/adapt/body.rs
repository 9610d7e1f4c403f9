//! A function body under construction: typed temporary locals with a free
//! list, instructions collected until the locals are known, and the small
//! instruction idioms every adapter uses (traps, memory accesses).

use crate::abi::Flat;
use std::collections::BTreeMap;
use wasm_encoder::{BlockType, Instruction as I, MemArg};

/// A local variable of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Local {
    pub(crate) index: u32,
    pub(crate) ty: Flat,
}

/// A function body being generated.
#[derive(Debug)]
pub(crate) struct Body {
    params: u32,
    locals: Vec<wasm_encoder::ValType>,
    free: BTreeMap<Flat, Vec<u32>>,
    code: Vec<I<'static>>,
    /// Indices in `code` of the loads, stores and copies [`Body::within`]
    /// marked.
    covered: Vec<usize>,
}

impl Body {
    pub(crate) fn new(params: &[Flat]) -> (Self, Vec<Local>) {
        let locals = params
            .iter()
            .enumerate()
            .map(|(i, ty)| Local {
                index: i as u32,
                ty: *ty,
            })
            .collect();
        let body = Body {
            params: params.len() as u32,
            locals: Vec::new(),
            free: BTreeMap::new(),
            code: Vec::new(),
            covered: Vec::new(),
        };
        (body, locals)
    }

    /// A fresh (or recycled) local of type `ty`.
    pub(crate) fn local(&mut self, ty: Flat) -> Local {
        if let Some(index) = self.free.get_mut(&ty).and_then(Vec::pop) {
            return Local { index, ty };
        }
        self.locals.push(ty.val());
        Local {
            index: self.params + self.locals.len() as u32 - 1,
            ty,
        }
    }

    /// A fresh `v128` local, by index (only for code that may use SIMD:
    /// see `Codegen::simd`).
    pub(crate) fn v128(&mut self) -> u32 {
        self.locals.push(wasm_encoder::ValType::V128);
        self.params + self.locals.len() as u32 - 1
    }

    /// Returns `local` to the pool; it must not be read again.
    pub(crate) fn free(&mut self, local: Local) {
        if local.index >= self.params {
            self.free.entry(local.ty).or_default().push(local.index);
        }
    }

    pub(crate) fn ins(&mut self, i: I<'static>) -> &mut Self {
        self.code.push(i);
        self
    }

    pub(crate) fn get(&mut self, local: Local) -> &mut Self {
        self.ins(I::LocalGet(local.index))
    }

    pub(crate) fn set(&mut self, local: Local) -> &mut Self {
        self.ins(I::LocalSet(local.index))
    }

    /// Pops values of `types` (the last on top) into new locals, in order.
    pub(crate) fn pop_all(&mut self, types: &[Flat]) -> Vec<Local> {
        let locals: Vec<Local> = types.iter().map(|t| self.local(*t)).collect();
        for local in locals.iter().rev() {
            self.set(*local);
        }
        locals
    }

    pub(crate) fn i32(&mut self, v: u32) -> &mut Self {
        self.ins(I::I32Const(v as i32))
    }

    /// `if <condition on the stack> then unreachable`.
    pub(crate) fn trap_if(&mut self) -> &mut Self {
        self.ins(I::If(BlockType::Empty))
            .ins(I::Unreachable)
            .ins(I::End)
    }

    /// Traps while `flag`, a component's `may_leave` flag (when it has
    /// one), is clear: the component may not leave its instance then.
    pub(crate) fn check_may_leave(&mut self, flag: Option<u32>) -> &mut Self {
        if let Some(flag) = flag {
            self.ins(I::GlobalGet(flag)).ins(I::I32Eqz).trap_if();
        }
        self
    }

    /// Traps unless `local` (an address) is a multiple of `align`.
    pub(crate) fn check_align(&mut self, local: Local, align: u32) {
        if align > 1 {
            self.get(local).i32(align - 1).ins(I::I32And).trap_if();
        }
    }

    /// Traps unless `addr .. addr + len * scale` lies inside `memory`,
    /// computed without 32-bit overflow.
    pub(crate) fn check_range(&mut self, memory: u32, addr: Local, len: Local, scale: u32) {
        self.get(addr).ins(I::I64ExtendI32U);
        self.get(len).ins(I::I64ExtendI32U);
        if scale != 1 {
            self.ins(I::I64Const(i64::from(scale))).ins(I::I64Mul);
        }
        self.ins(I::I64Add)
            .ins(I::MemorySize(memory))
            .ins(I::I64ExtendI32U)
            .ins(I::I64Const(16))
            .ins(I::I64Shl)
            .ins(I::I64GtU)
            .trap_if();
    }

    /// Loads a value of `size` bytes (zero-extended for narrow integers).
    pub(crate) fn load(&mut self, memory: u32, offset: u32, size: u32, ty: Flat) -> &mut Self {
        self.ins(load(memory, offset, size, ty))
    }

    /// Emits `load`, a load from an address inside a range of its memory
    /// that this function checked before ([`Body::check_range`]), and
    /// says so: with one shared memory it then gets no region check of
    /// its own (`merge::shared::rewrite`). The caller owes the proof that
    /// the access ends at or before that range's end: conditions tested
    /// on every path to it must show it, with the invariants the loop
    /// keeps (`p + 8 <= end` before 8 bytes at `p`; `p < end` before a
    /// byte, `p` never moving past `end`; before a utf16 unit, `p` and
    /// `end` both even), sums of an address and a few bytes computed in
    /// 32 bits (the rewrite trusts such loads only in regions where those
    /// cannot wrap). The same for a store ([`Body::store_within`]) into a
    /// block the function's realloc returned and checked.
    /// Regions never shrink: a check made before a call holds after it.
    pub(crate) fn within(&mut self, load: I<'static>) -> &mut Self {
        self.covered.push(self.code.len());
        self.ins(load)
    }

    /// `memory.copy` of the `len` bytes at `src` in `src_mem` to `dst` in
    /// `dst_mem` (locals, pushed here), both ranges checked before by this
    /// function ([`Body::check_range`], or the check after a realloc) with
    /// these same locals, none written since: with one shared memory the
    /// copy then gets no region check of its own, only the regions' bases
    /// added (`merge::shared::rewrite`), the obligation [`Body::within`]'s.
    pub(crate) fn copy_within(
        &mut self,
        (dst_mem, dst): (u32, Local),
        (src_mem, src): (u32, Local),
        len: Local,
    ) -> &mut Self {
        self.get(dst).get(src).get(len);
        self.within(I::MemoryCopy { src_mem, dst_mem })
    }

    /// [`Body::load`] under [`Body::within`]'s obligation.
    pub(crate) fn load_within(
        &mut self,
        memory: u32,
        offset: u32,
        size: u32,
        ty: Flat,
    ) -> &mut Self {
        self.within(load(memory, offset, size, ty))
    }

    /// Stores the value on the stack (above its address) in `size` bytes.
    pub(crate) fn store(&mut self, memory: u32, offset: u32, size: u32, ty: Flat) -> &mut Self {
        self.ins(store(memory, offset, size, ty))
    }

    /// [`Body::store`] under [`Body::within`]'s obligation: the store
    /// ends at or before the end of a block this function's realloc
    /// returned (checked after the call), shown by the invariant its
    /// loop keeps between the bytes written and the source read.
    pub(crate) fn store_within(
        &mut self,
        memory: u32,
        offset: u32,
        size: u32,
        ty: Flat,
    ) -> &mut Self {
        self.within(store(memory, offset, size, ty))
    }

    /// The finished function.
    pub(crate) fn finish(self) -> wasm_encoder::Function {
        self.finish_covered().0
    }

    /// The finished function and the byte offsets in it of the loads,
    /// stores and copies [`Body::within`] marked
    /// (`GeneratedFunc::covered`).
    pub(crate) fn finish_covered(mut self) -> (wasm_encoder::Function, Vec<u32>) {
        self.code.push(I::End);
        let mut f = wasm_encoder::Function::new_with_locals_types(self.locals.iter().copied());
        let mut covered = Vec::with_capacity(self.covered.len());
        let mut marks = self.covered.iter().peekable();
        for (at, i) in self.code.iter().enumerate() {
            if marks.next_if_eq(&&at).is_some() {
                covered.push(f.byte_len() as u32);
            }
            f.instruction(i);
        }
        (f, covered)
    }
}

/// A load of a value of `size` bytes (zero-extended for narrow integers).
fn load(memory: u32, offset: u32, size: u32, ty: Flat) -> I<'static> {
    let arg = memarg(memory, offset, size);
    match (ty, size) {
        (Flat::I32, 1) => I::I32Load8U(arg),
        (Flat::I32, 2) => I::I32Load16U(arg),
        (Flat::I32, _) => I::I32Load(arg),
        (Flat::I64, _) => I::I64Load(arg),
        (Flat::F32, _) => I::F32Load(arg),
        (Flat::F64, _) => I::F64Load(arg),
    }
}

/// A store of the value on the stack in `size` bytes.
fn store(memory: u32, offset: u32, size: u32, ty: Flat) -> I<'static> {
    let arg = memarg(memory, offset, size);
    match (ty, size) {
        (Flat::I32, 1) => I::I32Store8(arg),
        (Flat::I32, 2) => I::I32Store16(arg),
        (Flat::I32, _) => I::I32Store(arg),
        (Flat::I64, _) => I::I64Store(arg),
        (Flat::F32, _) => I::F32Store(arg),
        (Flat::F64, _) => I::F64Store(arg),
    }
}

/// A memory argument with the natural alignment of `size` bytes.
pub(crate) fn memarg(memory: u32, offset: u32, size: u32) -> MemArg {
    MemArg {
        offset: u64::from(offset),
        align: size.max(1).trailing_zeros(),
        memory_index: memory,
    }
}
