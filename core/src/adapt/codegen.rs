//! Shared state of adapter generation: the interned types, the helper
//! functions generated so far (memoised by type and direction), the flag
//! globals, and the calls every helper makes (realloc under a cleared
//! `may_leave` flag).
//!
//! Helper functions are appended after the adapters in the function index
//! space; their indices are known as soon as they are requested, so a
//! helper may call helpers that are generated after it.

use super::body::{Body, Local};
use crate::abi::{Flat, Node, TyId, TyTable};
use crate::decode::StringEncoding;
use crate::error::{Error, Result};
use crate::merge::GeneratedFunc;
use std::collections::BTreeMap;
use wasm_encoder::Instruction as I;
use wasmparser::FuncType;

/// One side of a boundary: where its values live and how they are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Side {
    /// Fused index of its linear memory, if its options name one.
    pub(crate) memory: Option<u32>,
    /// Fused index of its `realloc`, if its options name one.
    pub(crate) realloc: Option<u32>,
    pub(crate) encoding: StringEncoding,
    /// Its component's `may_leave` flag global, when it needs one.
    pub(crate) may_leave: Option<u32>,
    /// Its component, whose handle table its handles index.
    pub(crate) table: u32,
    /// Its strings and lists are blocks of meld's stage heap, each freed
    /// once copied out (an async host call's staged result).
    pub(crate) frees: bool,
}

impl Side {
    pub(crate) fn memory(&self) -> Result<u32> {
        self.memory
            .ok_or_else(|| Error::internal("a value in memory, but the options name no memory"))
    }
}

/// The direction a value moves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Dir {
    pub(crate) src: Side,
    pub(crate) dst: Side,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HelperKey {
    /// `(src_addr, dst_addr)`: one value of a compound type, memory to memory.
    Copy(TyId, Dir),
    /// `(src_ptr, len) -> dst_ptr`: the elements of a list.
    List(TyId, Dir),
    /// `(src_ptr, src_len) -> (dst_ptr, dst_len)`: a string.
    String(Dir),
    /// `(addr)`: the pointers of one compound value, moved in place.
    RebaseAt(TyId, super::rebase::Rebase),
    /// `(ptr, len)`: the pointers of a list's elements, moved in place.
    RebaseList(TyId, super::rebase::Rebase),
    /// A function of the resource runtime.
    Rt(super::resources::RtFn),
}

/// Adapter generation in progress.
#[derive(Debug)]
pub(crate) struct Codegen {
    pub(crate) tys: TyTable,
    first_helper: u32,
    next_func: u32,
    memo: BTreeMap<HelperKey, u32>,
    /// Requested but not yet generated helpers, in index order.
    pending: Vec<(HelperKey, u32)>,
    pub(crate) helpers: Vec<GeneratedFunc>,
    pub(crate) runtime: super::resources::Runtime,
    /// String copies validate utf8 with SIMD (`Options::simd`).
    pub(crate) simd: bool,
}

impl Codegen {
    /// `first_helper` is the function index of the first helper.
    pub(crate) fn new(tys: TyTable, first_helper: u32, runtime: super::resources::Runtime) -> Self {
        Codegen {
            tys,
            runtime,
            first_helper,
            next_func: first_helper,
            memo: BTreeMap::new(),
            pending: Vec::new(),
            helpers: Vec::new(),
            simd: false,
        }
    }

    pub(crate) fn helper(&mut self, key: HelperKey) -> u32 {
        if let Some(index) = self.memo.get(&key) {
            return *index;
        }
        let index = self.next_func;
        self.next_func += 1;
        self.memo.insert(key, index);
        self.pending.push((key, index));
        index
    }

    /// The helper copying one `ty` from `dir.src` to `dir.dst` memory.
    pub(crate) fn copy_helper(&mut self, ty: TyId, dir: Dir) -> u32 {
        self.helper(HelperKey::Copy(ty, dir))
    }

    /// The helper copying a list of `element`s.
    pub(crate) fn list_helper(&mut self, element: TyId, dir: Dir) -> u32 {
        self.helper(HelperKey::List(element, dir))
    }

    /// The helper copying (and transcoding) a string.
    pub(crate) fn string_helper(&mut self, dir: Dir) -> u32 {
        self.helper(HelperKey::String(dir))
    }

    /// The helper moving the pointers of one compound `ty` in place.
    pub(crate) fn rebase_helper(&mut self, ty: TyId, r: super::rebase::Rebase) -> u32 {
        self.helper(HelperKey::RebaseAt(ty, r))
    }

    /// The helper moving the pointers of a list's elements in place.
    pub(crate) fn rebase_list_helper(&mut self, element: TyId, r: super::rebase::Rebase) -> u32 {
        self.helper(HelperKey::RebaseList(element, r))
    }

    fn gen_rebase(
        &mut self,
        ty: TyId,
        r: super::rebase::Rebase,
        list: bool,
    ) -> Result<GeneratedFunc> {
        let params: &[Flat] = if list {
            &[Flat::I32, Flat::I32]
        } else {
            &[Flat::I32]
        };
        let (mut body, args) = Body::new(params);
        let name = if list {
            self.rebase_elements(&mut body, ty, args[0], args[1], r)?;
            format!("rebase list<{}> {}", self.describe(ty), r.describe())
        } else {
            let place = super::translate::Place {
                memory: r.memory,
                addr: args[0],
                offset: 0,
            };
            self.rebase_compound(&mut body, ty, place, r)?;
            format!("rebase {} {}", self.describe(ty), r.describe())
        };
        Ok(GeneratedFunc {
            name,
            ty: FuncType::new(params.iter().map(|t| t.core()), []),
            body: body.finish(),
            covered: Vec::new(),
        })
    }

    /// Generates every requested helper (helpers may request more).
    pub(crate) fn finish_helpers(&mut self) -> Result<()> {
        let mut next = 0;
        while next < self.pending.len() {
            let (key, index) = self.pending[next];
            next += 1;
            let func = match key {
                HelperKey::Copy(ty, dir) => self.gen_copy(ty, dir)?,
                HelperKey::List(element, dir) => self.gen_list(element, dir)?,
                HelperKey::String(dir) => self.gen_string(dir)?,
                HelperKey::RebaseAt(ty, r) => self.gen_rebase(ty, r, false)?,
                HelperKey::RebaseList(ty, r) => self.gen_rebase(ty, r, true)?,
                HelperKey::Rt(f) => self.gen_rt(f)?,
            };
            if index != self.first_helper + self.helpers.len() as u32 {
                return Err(Error::internal("helpers out of index order"));
            }
            self.helpers.push(func);
        }
        Ok(())
    }

    fn gen_copy(&mut self, ty: TyId, dir: Dir) -> Result<GeneratedFunc> {
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32]);
        let src = super::translate::Src::Mem(super::translate::Place {
            memory: dir.src.memory()?,
            addr: params[0],
            offset: 0,
        });
        let dst = super::translate::Dst::Mem(super::translate::Place {
            memory: dir.dst.memory()?,
            addr: params[1],
            offset: 0,
        });
        self.translate_inline(&mut body, ty, &src, &dst, dir)?;
        Ok(GeneratedFunc {
            name: format!("copy {} {}", self.describe(ty), arrow(dir)),
            ty: FuncType::new([Flat::I32.core(), Flat::I32.core()], []),
            body: body.finish(),
            covered: Vec::new(),
        })
    }

    fn gen_list(&mut self, element: TyId, dir: Dir) -> Result<GeneratedFunc> {
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32]);
        let (src_ptr, len) = (params[0], params[1]);
        let info = self.tys.info(element).clone();
        let src_mem = dir.src.memory()?;
        let dst_mem = dir.dst.memory()?;
        body.check_align(src_ptr, info.align);
        body.check_range(src_mem, src_ptr, len, info.size);
        let bytes = body.local(Flat::I32);
        body.get(len).i32(info.size).ins(I::I32Mul).set(bytes);
        // a staged write's inner handles and ends: the list keeps a shadow
        // of the writer's elements after its own (`Codegen::shadowed`)
        let shadow = dir.dst.table == super::resources::HOST_LENT && self.shadowed(element);
        let size = match shadow {
            true => {
                // the stage heap takes at most 1 GiB: twice cannot wrap
                let twice = body.local(Flat::I32);
                body.get(bytes).i32(1 << 30).ins(I::I32GtU).trap_if();
                body.get(bytes).i32(1).ins(I::I32Shl).set(twice);
                twice
            }
            false => bytes,
        };
        let dst_ptr = self.realloc(&mut body, &dir.dst, info.align, size)?;
        if shadow {
            body.get(dst_ptr)
                .get(bytes)
                .ins(I::I32Add)
                .get(src_ptr)
                .get(bytes)
                .ins(I::MemoryCopy { src_mem, dst_mem });
        }
        if info.plain {
            // `len` elements checked at `src_ptr` above (so `bytes` did
            // not wrap), and `size >= bytes` at `dst_ptr` by `realloc`
            body.copy_within((dst_mem, dst_ptr), (src_mem, src_ptr), bytes);
        } else {
            // for (s, d) = (src, dst); s != src + bytes; s += size, d += size
            let (s, d, end) = (body.local(Flat::I32), body.local(Flat::I32), bytes);
            body.get(src_ptr).set(s).get(dst_ptr).set(d);
            body.get(src_ptr).get(bytes).ins(I::I32Add).set(end);
            body.ins(I::Block(wasm_encoder::BlockType::Empty))
                .ins(I::Loop(wasm_encoder::BlockType::Empty))
                .get(s)
                .get(end)
                .ins(I::I32Eq)
                .ins(I::BrIf(1));
            let src = super::translate::Src::Mem(super::translate::Place {
                memory: src_mem,
                addr: s,
                offset: 0,
            });
            let dst = super::translate::Dst::Mem(super::translate::Place {
                memory: dst_mem,
                addr: d,
                offset: 0,
            });
            self.translate(&mut body, element, &src, &dst, dir)?;
            body.get(s).i32(info.size).ins(I::I32Add).set(s);
            body.get(d).i32(info.size).ins(I::I32Add).set(d);
            body.ins(I::Br(0)).ins(I::End).ins(I::End);
        }
        body.get(dst_ptr);
        let (body, covered) = body.finish_covered();
        Ok(GeneratedFunc {
            name: format!("copy list<{}> {}", self.describe(element), arrow(dir)),
            ty: FuncType::new([Flat::I32.core(), Flat::I32.core()], [Flat::I32.core()]),
            body,
            covered,
        })
    }

    /// Calls `side`'s realloc for a fresh block of `size` bytes aligned to
    /// `align`, with its component's `may_leave` flag cleared during the
    /// call; traps if the block is misaligned or outside the memory.
    pub(crate) fn realloc(
        &mut self,
        body: &mut Body,
        side: &Side,
        align: u32,
        size: Local,
    ) -> Result<Local> {
        let ptr = body.local(Flat::I32);
        self.call_realloc(body, side, None, align, size, ptr)?;
        Ok(ptr)
    }

    /// Calls `side`'s realloc to resize the block at `ptr` of `old_size`
    /// bytes to `size` bytes, and sets `ptr` to the block it returns;
    /// checked like [`Codegen::realloc`].
    pub(crate) fn reallocate(
        &mut self,
        body: &mut Body,
        side: &Side,
        (ptr, old_size): (Local, Local),
        align: u32,
        size: Local,
    ) -> Result<()> {
        self.call_realloc(body, side, Some((ptr, old_size)), align, size, ptr)
    }

    /// `into = realloc(old ptr, old size, align, size)` (a fresh block
    /// without `old`), then the alignment and bounds checks every caller of
    /// realloc makes, in wasmtime's order.
    fn call_realloc(
        &mut self,
        body: &mut Body,
        side: &Side,
        old: Option<(Local, Local)>,
        align: u32,
        size: Local,
        into: Local,
    ) -> Result<()> {
        let realloc = side.realloc.ok_or_else(|| {
            Error::internal(
                "a value needs memory on the other side, but its options name no realloc",
            )
        })?;
        if let Some(flag) = side.may_leave {
            body.i32(0).ins(I::GlobalSet(flag));
        }
        match old {
            Some((ptr, old_size)) => body.get(ptr).get(old_size),
            None => body.i32(0).i32(0),
        };
        body.i32(align).get(size).ins(I::Call(realloc)).set(into);
        if let Some(flag) = side.may_leave {
            body.i32(1).ins(I::GlobalSet(flag));
        }
        body.check_align(into, align);
        body.check_range(side.memory()?, into, size, 1);
        Ok(())
    }

    /// A short readable description of `ty`, for function names.
    pub(crate) fn describe(&self, ty: TyId) -> String {
        let mut out = String::new();
        self.describe_into(ty, &mut out, 3);
        out
    }

    fn describe_into(&self, ty: TyId, out: &mut String, depth: u32) {
        use std::fmt::Write;
        let node = self.tys.node(ty);
        if depth == 0
            && !matches!(
                node,
                Node::Prim(_) | Node::String | Node::Handle { .. } | Node::End(_)
            )
        {
            out.push('…');
            return;
        }
        let list = |s: &Self, out: &mut String, items: &mut dyn Iterator<Item = Option<TyId>>| {
            for (i, item) in items.enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match item {
                    Some(t) => s.describe_into(t, out, depth - 1),
                    None => out.push('_'),
                }
            }
        };
        match node {
            Node::Prim(p) => {
                let _ = write!(out, "{}", format!("{p:?}").to_lowercase());
            }
            Node::String => out.push_str("string"),
            Node::List(e) => {
                out.push_str("list<");
                self.describe_into(*e, out, depth - 1);
                out.push('>');
            }
            Node::FixedList(e, n) => {
                out.push_str("list<");
                self.describe_into(*e, out, depth - 1);
                let _ = write!(out, ", {n}>");
            }
            Node::Record(fields) => {
                out.push_str("record{");
                list(self, out, &mut fields.iter().map(|f| Some(*f)));
                out.push('}');
            }
            Node::Variant(cases) => {
                out.push_str("variant{");
                list(self, out, &mut cases.iter().copied());
                out.push('}');
            }
            Node::Enum(n) => {
                let _ = write!(out, "enum{{{n}}}");
            }
            Node::Flags(n) => {
                let _ = write!(out, "flags{{{n}}}");
            }
            Node::Handle { resource, own } => {
                let kind = if *own { "own" } else { "borrow" };
                let _ = write!(out, "{kind}<{resource}>");
            }
            Node::End(kind) => out.push_str(match kind {
                crate::abi::EndKind::Stream { .. } => "stream",
                crate::abi::EndKind::Future { .. } => "future",
                crate::abi::EndKind::ErrorContext => "error-context",
            }),
        }
    }
}

/// `memory 1 -> memory 3`, for helper names.
pub(crate) fn arrow(dir: Dir) -> String {
    let mem = |m: Option<u32>| m.map_or("-".to_string(), |m| m.to_string());
    format!("mem{}->mem{}", mem(dir.src.memory), mem(dir.dst.memory))
}
