//! Host calls whose parameters hold handles in memory, such as
//! `wasi:io/poll.poll(list<borrow<pollable>>)`.
//!
//! The host must read the host's handles, but the caller's memory holds
//! the caller's, and rewriting them in place would change memory the
//! caller (or, once host calls are async, the host itself later) may read.
//! So such a function is lowered with meld's memory and a `realloc` over
//! a scratch area of it: the parameters are copied into the scratch area
//! as an adapter would copy them into a callee (handles translated on the
//! way), the host reads them there and writes its results there, and the
//! results are copied into the caller's memory with the caller's
//! `realloc`, called in the order the host would have called it. The
//! scratch area is emptied when the next such call begins (a host call
//! never re-enters the fused module).

use super::adapter::check_block;
use super::body::{Body, Local};
use super::codegen::{Codegen, Dir, Side};
use super::rebase::{Rebase, Way};
use super::resources::{HOST, RtFn};
use super::translate::{Dst, Place, Slot, Src};
use crate::abi::{Flat, Shape};
use crate::error::Result;
use wasm_encoder::{BlockType, Instruction as I};

/// A staged host call.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    /// The function's shape, handles as handles.
    pub(crate) shape: Shape,
    /// The calling component's side of the call.
    pub(crate) caller: Side,
    /// The host import.
    pub(crate) import: u32,
    /// meld's memory (multi-memory index) and, with a shared memory, its
    /// region's base (the host sees memory addresses).
    pub(crate) tables: u32,
    pub(crate) base: u32,
}

impl Codegen {
    /// The body of the function in front of staged host call `s`; its
    /// signature is the caller's lowered one.
    pub(crate) fn staged_wrapper(&mut self, s: &Staged) -> Result<wasm_encoder::Function> {
        let shape = &s.shape;
        let (mut body, args) = Body::new(&shape.lowered.params);
        body.check_may_leave(s.caller.may_leave);
        let reset = self.rt(RtFn::ScratchReset);
        body.ins(I::Call(reset));
        let host = Side {
            memory: Some(s.tables),
            realloc: Some(self.rt(RtFn::ScratchAlloc)),
            encoding: s.caller.encoding,
            may_leave: None,
            table: HOST,
        };
        let into_host = Dir {
            src: s.caller,
            dst: host,
        };
        let into_caller = Dir {
            src: host,
            dst: s.caller,
        };
        let rebase = |way| Rebase {
            way,
            memory: s.tables,
            base: s.base,
            handles: None,
            checked: None,
        };
        let (params, retptr) = match shape.spill_results {
            true => (&args[..args.len() - 1], args.last().copied()),
            false => (&args[..], None),
        };
        let caller_memory = || s.caller.memory();

        // Parameters, into the scratch area or flat.
        if shape.spill_params {
            let (size, align) = (
                self.tys.info(shape.tuple).size,
                self.tys.info(shape.tuple).align,
            );
            check_block(&mut body, caller_memory()?, params[0], size, align);
            let dst = self.scratch(&mut body, &host, align, size)?;
            let (src, to) = (place(caller_memory()?, params[0]), place(s.tables, dst));
            self.translate(
                &mut body,
                shape.tuple,
                &Src::Mem(src),
                &Dst::Mem(to),
                into_host,
            )?;
            self.rebase_mem(&mut body, shape.tuple, to, rebase(Way::ToHost))?;
            push_address(&mut body, dst, s.base);
        } else {
            let mut at = 0;
            let mut out = Vec::new();
            for ty in &shape.params {
                let flat = self.tys.info(*ty).flat.clone();
                let src = params[at..at + flat.len()].iter().map(|l| Slot::exact(*l));
                let dst: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
                let slots: Vec<Slot> = dst.iter().map(|l| Slot::exact(*l)).collect();
                let src = Src::Stack(src.collect());
                self.translate(&mut body, *ty, &src, &Dst::Stack(slots.clone()), into_host)?;
                self.rebase_stack(&mut body, *ty, &slots, rebase(Way::ToHost))?;
                out.extend(dst);
                at += flat.len();
            }
            for local in out {
                body.get(local);
            }
        }
        // The host writes a result through memory into the scratch area.
        let area = match (retptr, shape.result) {
            (Some(_), Some(result)) => {
                let (size, align) = (self.tys.info(result).size, self.tys.info(result).align);
                let area = self.scratch(&mut body, &host, align, size)?;
                push_address(&mut body, area, s.base);
                Some((area, result))
            }
            _ => None,
        };
        body.ins(I::Call(s.import));

        // The result, into the caller.
        if let (Some((area, result)), Some(retptr)) = (area, retptr) {
            let (size, align) = (self.tys.info(result).size, self.tys.info(result).align);
            let from = place(s.tables, area);
            self.rebase_mem(&mut body, result, from, rebase(Way::FromHost))?;
            check_block(&mut body, caller_memory()?, retptr, size, align);
            let to = place(caller_memory()?, retptr);
            self.translate(
                &mut body,
                result,
                &Src::Mem(from),
                &Dst::Mem(to),
                into_caller,
            )?;
        } else if let Some(result) = shape.result {
            let raw: Vec<Local> = shape
                .lowered
                .results
                .iter()
                .map(|t| body.local(*t))
                .collect();
            for local in raw.iter().rev() {
                body.set(*local);
            }
            let flat = self.tys.info(result).flat.clone();
            let out: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
            let src = Src::Stack(raw.iter().map(|l| Slot::exact(*l)).collect());
            let dst = Dst::Stack(out.iter().map(|l| Slot::exact(*l)).collect());
            self.translate(&mut body, result, &src, &dst, into_caller)?;
            for local in out {
                body.get(local);
            }
        }
        Ok(body.finish())
    }

    /// A block of the scratch area (a relative address, checked).
    fn scratch(&mut self, body: &mut Body, host: &Side, align: u32, size: u32) -> Result<Local> {
        let len = body.local(Flat::I32);
        body.i32(size).set(len);
        let at = self.realloc(body, host, align, len)?;
        body.free(len);
        Ok(at)
    }

    /// The body of the scratch area's `realloc` as the host calls it: in
    /// memory addresses (`base` added to the area's relative ones).
    /// wasmtime reallocates a block it wrote into: a string transcoded to
    /// latin1+utf16 or utf16 is shrunk, or grown when it is not latin1
    /// after all. A smaller block stays where it is; a larger one is a new
    /// block with the old one's bytes copied.
    pub(crate) fn scratch_realloc(&mut self, memory: u32, base: u32) -> wasm_encoder::Function {
        let (mut body, args) = Body::new(&[Flat::I32; 4]);
        let (old, old_size, align, size) = (args[0], args[1], args[2], args[3]);
        body.get(old).ins(I::If(BlockType::Empty));
        body.get(size)
            .get(old_size)
            .ins(I::I32LeU)
            .ins(I::If(BlockType::Empty));
        body.get(old).ins(I::Return);
        body.ins(I::End).ins(I::End);
        let at = body.local(Flat::I32);
        body.i32(0).i32(0).get(align).get(size);
        body.ins(I::Call(self.rt(RtFn::ScratchAlloc))).set(at);
        body.get(old).ins(I::If(BlockType::Empty));
        body.get(at).get(old);
        if base != 0 {
            body.i32(base).ins(I::I32Sub);
        }
        body.get(old_size).ins(I::MemoryCopy {
            src_mem: memory,
            dst_mem: memory,
        });
        body.ins(I::End);
        push_address(&mut body, at, base);
        body.finish()
    }
}

fn place(memory: u32, addr: Local) -> Place {
    Place {
        memory,
        addr,
        offset: 0,
    }
}

/// Pushes `addr` as the host sees it.
fn push_address(body: &mut Body, addr: Local, base: u32) {
    body.get(addr);
    if base != 0 {
        body.i32(base).ins(I::I32Add);
    }
}
