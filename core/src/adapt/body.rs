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

    /// Copies the `len` bytes at `src` in `src_mem` to `dst` in `dst_mem`
    /// (locals, not written here), both ranges checked before by this
    /// function ([`Body::check_range`], or the check after a realloc)
    /// with these same locals, none written since: with one shared memory
    /// the copy then gets no region check of its own, only the regions'
    /// bases added (`merge::shared::rewrite`), the obligation
    /// [`Body::within`]'s. The copy is [`Body::copy`]'s.
    pub(crate) fn copy_within(
        &mut self,
        dst: (u32, Local),
        src: (u32, Local),
        len: Local,
    ) -> &mut Self {
        self.copy(dst, src, len, true)
    }

    /// Copies the `len` bytes at `src` in `src_mem` to `dst` in `dst_mem`
    /// (locals, not written here), leaving what `memory.copy` leaves, with
    /// its accesses marked [`Body::within`] when `marked`.
    ///
    /// `memory.copy` is a call to the host's `memmove`, and glibc's
    /// (2.36, Debian 12's, measured on the AMD EPYC our benchmarks run
    /// on) copies more than about 2 KiB with `rep movsb`, which there is
    /// 20 to 50 times slower when the destination lies 1 to 31 bytes
    /// past the source modulo 4 KiB (10 KiB in 3.3 to 5.5 µs instead of
    /// 0.1 to 0.2). Two components built by one toolchain lay
    /// out their heaps alike, so a copy between them lands there often.
    /// Linear memories start on page boundaries, so the distance modulo
    /// 4 KiB is the same in wasm addresses; a copy of [`LONG_COPY`] bytes
    /// or more at such a distance is made here instead, 32 bytes a turn
    /// (0.2 to 0.6 µs for 10 KiB), where a forward copy reads nothing it
    /// wrote: two memories, or `dst - src >= len` (wrapping: `dst` before
    /// `src` or after its end). The last 32 bytes are loaded before the
    /// turns (which may overwrite them when `dst` lies just before `src`)
    /// and stored after. On a host without that slowness, the loop is
    /// somewhat slower than `memmove`, at 31 of 4,096 distances.
    pub(crate) fn copy(
        &mut self,
        (dst_mem, dst): (u32, Local),
        (src_mem, src): (u32, Local),
        len: Local,
        marked: bool,
    ) -> &mut Self {
        let load = |body: &mut Body, offset: u32| {
            match marked {
                true => body.load_within(src_mem, offset, 8, Flat::I64),
                false => body.load(src_mem, offset, 8, Flat::I64),
            };
        };
        let store = |body: &mut Body, offset: u32| {
            match marked {
                true => body.store_within(dst_mem, offset, 8, Flat::I64),
                false => body.store(dst_mem, offset, 8, Flat::I64),
            };
        };
        self.ins(I::Block(BlockType::Empty)); // done
        self.ins(I::Block(BlockType::Empty)); // memory.copy
        self.get(len).i32(LONG_COPY).ins(I::I32LtU).ins(I::BrIf(0));
        // ((dst - src) mod 4096) - 1 >= 31: outside 1 ..= 31
        self.get(dst)
            .get(src)
            .ins(I::I32Sub)
            .i32(4095)
            .ins(I::I32And);
        self.i32(1)
            .ins(I::I32Sub)
            .i32(31)
            .ins(I::I32GeU)
            .ins(I::BrIf(0));
        if src_mem == dst_mem {
            self.get(dst)
                .get(src)
                .ins(I::I32Sub)
                .get(len)
                .ins(I::I32LtU);
            self.ins(I::BrIf(0));
        }
        let (s, d) = (self.local(Flat::I32), self.local(Flat::I32));
        self.get(src)
            .get(len)
            .ins(I::I32Add)
            .i32(32)
            .ins(I::I32Sub)
            .set(s);
        let tail: Vec<Local> = (0..4).map(|_| self.local(Flat::I64)).collect();
        for (k, word) in (0..).zip(&tail) {
            self.get(s);
            load(self, 8 * k);
            self.set(*word);
        }
        // `s` ends at or past `last`, the last 32 bytes' start (`len`
        // is at least 2 KiB: the turns run at least once)
        let last = self.local(Flat::I32);
        self.get(s).set(last).get(src).set(s).get(dst).set(d);
        self.ins(I::Loop(BlockType::Empty));
        for k in 0..4 {
            self.get(d).get(s);
            load(self, 8 * k);
            store(self, 8 * k);
        }
        self.get(s).i32(32).ins(I::I32Add).set(s);
        self.get(d).i32(32).ins(I::I32Add).set(d);
        self.get(s).get(last).ins(I::I32LtU).ins(I::BrIf(0));
        self.ins(I::End);
        self.get(dst)
            .get(len)
            .ins(I::I32Add)
            .i32(32)
            .ins(I::I32Sub)
            .set(d);
        for (k, word) in (0..).zip(&tail) {
            self.get(d).get(*word);
            store(self, 8 * k);
        }
        self.ins(I::Br(1)).ins(I::End);
        for local in tail.into_iter().chain([s, d, last]) {
            self.free(local);
        }
        self.get(dst).get(src).get(len);
        match marked {
            true => self.within(I::MemoryCopy { src_mem, dst_mem }),
            false => self.ins(I::MemoryCopy { src_mem, dst_mem }),
        };
        self.ins(I::End)
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

/// The shortest copy [`Body::copy`] makes without `memory.copy` when the
/// distance is one `memmove` is slow at.
const LONG_COPY: u32 = 2048;

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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, Instance, Memory, Module, Store, TypedFunc};

    /// A module with `memories` memories of one page, exporting them and
    /// `copy(dst, src, len)`: [`Body::copy`] from the last memory to
    /// memory 0.
    fn copier(memories: u32) -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, ExportKind, ExportSection, FunctionSection, MemorySection, MemoryType,
            TypeSection, ValType,
        };
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32, Flat::I32]);
        body.copy((0, params[0]), (memories - 1, params[1]), params[2], false);
        let mut module = wasm_encoder::Module::new();
        let mut types = TypeSection::new();
        types.ty().function(vec![ValType::I32; 3], []);
        module.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        module.section(&funcs);
        let (mut mems, mut exports) = (MemorySection::new(), ExportSection::new());
        exports.export("copy", ExportKind::Func, 0);
        for m in 0..memories {
            mems.memory(MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
            exports.export(&format!("memory{m}"), ExportKind::Memory, m);
        }
        module.section(&mems);
        module.section(&exports);
        let mut code = CodeSection::new();
        code.function(&body.finish());
        module.section(&code);
        module.finish()
    }

    struct Copier {
        store: Store<()>,
        memories: Vec<Memory>,
        copy: TypedFunc<(u32, u32, u32), ()>,
    }

    impl Copier {
        fn new(memories: u32) -> Copier {
            let engine = Engine::default();
            let module = Module::new(&engine, copier(memories)).expect("the copier compiles");
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
            let memories = (0..memories)
                .map(|m| {
                    let name = format!("memory{m}");
                    instance.get_memory(&mut store, &name).expect("memory")
                })
                .collect();
            let copy = instance.get_typed_func(&mut store, "copy").expect("copy");
            Copier {
                store,
                memories,
                copy,
            }
        }

        /// Fills every memory with bytes that differ between them, copies
        /// `len` bytes from `src` (in the last memory) to `dst` (in the
        /// first), and checks that memory 0 then holds what `memmove`
        /// leaves.
        fn check(&mut self, dst: usize, src: usize, len: usize) {
            for (m, memory) in self.memories.iter().enumerate() {
                for (i, byte) in memory.data_mut(&mut self.store).iter_mut().enumerate() {
                    *byte = (i * 7 + i / 251 + m * 101 + 3) as u8;
                }
            }
            let mut want = self.memories[0].data(&self.store).to_vec();
            match self.memories.len() {
                1 => want.copy_within(src..src + len, dst),
                _ => want[dst..dst + len]
                    .copy_from_slice(&self.memories[1].data(&self.store)[src..src + len]),
            }
            let call = (dst as u32, src as u32, len as u32);
            self.copy.call(&mut self.store, call).expect("copies");
            let got = self.memories[0].data(&self.store);
            assert!(got == want, "{len} bytes from {src} to {dst}");
        }
    }

    /// Lengths on both sides of [`LONG_COPY`], and distances modulo 4 KiB
    /// on both sides of those `memmove` is slow at.
    const LENGTHS: [usize; 9] = [0, 1, 100, 2047, 2048, 2049, 2080, 3001, 4096 + 13];
    const DISTANCES: [usize; 9] = [0, 1, 7, 8, 16, 31, 32, 100, 4095];

    #[test]
    fn copies_between_two_memories_leave_what_memory_copy_leaves() {
        let mut copier = Copier::new(2);
        for len in LENGTHS {
            for distance in DISTANCES {
                for (src, page) in [(3, 1), (4096, 2), (1000, 4)] {
                    copier.check(page * 4096 + src % 4096 + distance, src, len);
                }
            }
        }
    }

    #[test]
    fn overlapping_copies_within_one_memory_move_as_memory_copy_does() {
        let mut copier = Copier::new(1);
        for len in LENGTHS {
            let src = 20_000;
            for shift in (-40..=40).chain([-4096 + 8, -4096 - 8, 4096 + 8, -8192 + 31, 8192 + 1]) {
                copier.check((src as isize + shift) as usize, src, len);
            }
        }
    }

    /// Every load, store and `memory.copy` of a copy: marked with
    /// [`Body::copy_within`], none with an unmarked [`Body::copy`].
    #[test]
    fn copy_within_marks_every_access_of_the_copy() {
        for (dst_mem, src_mem) in [(0, 0), (0, 1)] {
            for marked in [true, false] {
                let (mut body, params) = Body::new(&[Flat::I32, Flat::I32, Flat::I32]);
                body.copy(
                    (dst_mem, params[0]),
                    (src_mem, params[1]),
                    params[2],
                    marked,
                );
                let (f, covered) = body.finish_covered();
                let raw = f.into_raw_body();
                let reader = wasmparser::BinaryReader::new(&raw, 0);
                let mut ops = wasmparser::FunctionBody::new(reader)
                    .get_operators_reader()
                    .expect("operators");
                let (mut accesses, mut copies) = (0, 0);
                while !ops.eof() {
                    let at = ops.original_position() as u32;
                    let op = format!("{:?}", ops.read().expect("an operator"));
                    if ["Load", "Store", "MemoryCopy"]
                        .iter()
                        .any(|a| op.contains(a))
                    {
                        accesses += 1;
                        copies += usize::from(op.contains("MemoryCopy"));
                        assert_eq!(covered.contains(&at), marked, "{op}");
                    }
                }
                assert_eq!(copies, 1);
                assert_eq!(covered.len(), if marked { accesses } else { 0 });
            }
        }
    }
}
