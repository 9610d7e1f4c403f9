//! Host calls whose parameters hold handles in memory, such as
//! `wasi:io/poll.poll(list<borrow<pollable>>)`, or whose result holds
//! handles and strings or lists (`get-directories`); root exports whose
//! parameters hold handles in memory (or, sync-lifted, whose result
//! holds handles and is returned through memory).
//!
//! The host must read the host's handles, but the caller's memory holds
//! the caller's, and rewriting them in place would change memory the
//! caller (or, once host calls are async, the host itself later) may read.
//! Nor may the host's handle numbers ever lie in a component's memory:
//! the host calls the component's `realloc` while it writes a value, and
//! that code could rewrite a number written before it, which meld would
//! then translate as the host's (another component's resource).
//! So such a function is lowered with meld's memory and a `realloc` over
//! a scratch area of it: the parameters are copied into the scratch area
//! as an adapter would copy them into a callee (handles translated on the
//! way), the host reads them there and writes its results there, and the
//! results are copied into the caller's memory with the caller's
//! `realloc`, called in the order the host would have called it. The
//! scratch area is emptied when the next such call begins (a host call
//! never re-enters the fused module). A staged root export is lifted the
//! other way round: the host writes the parameters into blocks of meld's
//! stage heap, which are copied into the component (and freed) before
//! its core function runs, and a result through memory is copied into a
//! block of the stage heap, freed by the export's post-return.

use super::adapter::check_block;
use super::body::{Body, Local};
use super::codegen::{Codegen, Dir, Side};
use super::rebase::{Rebase, Way};
use super::resources::{HOST, RtFn};
use super::translate::{Dst, Place, Slot, Src};
use crate::abi::{Flat, Shape};
use crate::decode::StringEncoding;
use crate::error::Result;
use wasm_encoder::{BlockType, Instruction as I};

/// Where a staged value lies: meld's memory, its base as the host sees
/// it, and whether its blocks are the stage heap's (freed once copied).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stage {
    pub(crate) tables: u32,
    pub(crate) base: u32,
    pub(crate) frees: bool,
}

impl Stage {
    /// Moving the pointers of a value staged here between meld's own
    /// addresses and those the host sees (`way`).
    pub(crate) fn rebase(self, way: Way) -> Rebase {
        Rebase {
            way,
            memory: self.tables,
            base: self.base,
            handles: None,
            checked: None,
            frees: false,
        }
    }
}

/// The string encoding of every value the host reads or writes in meld's
/// memory (the scratch area and the stage heap): utf8, whatever the
/// component's. The host writes a string into a component's memory with
/// `realloc` calls that depend on the component's encoding: wasmtime's
/// `lower_string` stores its (utf8) string as the canonical ABI stores a
/// utf8 source, asking a utf16 component for twice the utf8 length and
/// shrinking the block to the units written, and a latin1+utf16 one for
/// the utf8 length, then twice that at the first character beyond latin1,
/// then shrinking. When the host writes into meld's memory instead, meld's
/// copy into the component must make the same calls, and copying from
/// utf8 with the adapters' transcoders makes exactly those; a copy in the
/// component's own encoding would ask for the exact size once. A string
/// the host reads from meld's memory is the same string in any encoding
/// (the component's copy is validated on the way, trapping where the
/// host's reading would).
pub(crate) const HOST_ENCODING: StringEncoding = StringEncoding::Utf8;

/// A sync-lifted root export whose parameters hold handles in memory, or
/// whose result holds handles and is returned through memory
/// ([`super::Adapters::staged_exports`]).
#[derive(Debug, Clone)]
pub(crate) struct StagedExport {
    /// The function's shape, handles as handles.
    pub(crate) shape: Shape,
    /// The component's side.
    pub(crate) callee: Side,
    /// Its core function.
    pub(crate) func: u32,
    /// meld's memory; its blocks are the stage heap's.
    pub(crate) stage: Stage,
}

/// Bytes before a staged export's result in its block of the stage heap:
/// the component's own return area, for its post-return.
const RAW_AREA: u32 = 8;

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
        let (params, retptr) = match shape.spill_results {
            true => (&args[..args.len() - 1], args.last().copied()),
            false => (&args[..], None),
        };
        let spilled = shape.spill_params;
        let stage = Stage {
            tables: s.tables,
            base: s.base,
            frees: false,
        };
        self.stage_params(
            &mut body,
            shape,
            params,
            spilled,
            s.caller,
            stage,
            HOST_ENCODING,
        )?;
        let host = scratch_side(self, s.tables);
        let into_caller = Dir {
            src: host,
            dst: s.caller,
        };
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
            self.unstage_result(&mut body, result, area, retptr, s.caller, stage)?;
        } else if let Some(result) = shape.result {
            let raw = body.pop_all(&shape.lowered.results);
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

    /// Copies the parameters `params` (as `caller` passes them, lowered
    /// as `shape` says) into meld's scratch area in `stage`'s memory, as
    /// an adapter would copy them into a callee (handles translated on the
    /// way), and
    /// pushes what the host takes: the flat values, or, when `host_spills`,
    /// the address (as the host sees it, `base` added) of the tuple; its
    /// strings in `encoding` (the lowering's: [`HOST_ENCODING`] where it
    /// names meld's memory).
    /// (Only a caller's flat parameters can go to a spilled tuple: a sync
    /// lower's up to sixteen, for the host's async lower.)
    #[expect(
        clippy::too_many_arguments,
        reason = "the parameters, both sides, and how the host takes them"
    )]
    pub(crate) fn stage_params(
        &mut self,
        body: &mut Body,
        shape: &Shape,
        params: &[Local],
        host_spills: bool,
        caller: Side,
        stage: Stage,
        encoding: StringEncoding,
    ) -> Result<()> {
        let Stage { tables, base, .. } = stage;
        let reset = self.rt(RtFn::ScratchReset);
        body.ins(I::Call(reset));
        let mut host = scratch_side(self, tables);
        host.encoding = encoding;
        let into_host = Dir {
            src: caller,
            dst: host,
        };
        let rebase = |way| stage.rebase(way);
        if shape.spill_params {
            let (size, align) = (
                self.tys.info(shape.tuple).size,
                self.tys.info(shape.tuple).align,
            );
            check_block(body, caller.memory()?, params[0], size, align);
            let dst = self.scratch(body, &host, align, size)?;
            let (src, to) = (place(caller.memory()?, params[0]), place(tables, dst));
            self.translate(body, shape.tuple, &Src::Mem(src), &Dst::Mem(to), into_host)?;
            self.rebase_mem(body, shape.tuple, to, rebase(Way::ToHost))?;
            push_address(body, dst, base);
            return Ok(());
        }
        if host_spills {
            let (size, align) = (
                self.tys.info(shape.tuple).size,
                self.tys.info(shape.tuple).align,
            );
            let dst = self.scratch(body, &host, align, size)?;
            let src = Src::Stack(params.iter().map(|l| Slot::exact(*l)).collect());
            let to = place(tables, dst);
            self.translate(body, shape.tuple, &src, &Dst::Mem(to), into_host)?;
            self.rebase_mem(body, shape.tuple, to, rebase(Way::ToHost))?;
            push_address(body, dst, base);
            return Ok(());
        }
        let mut at = 0;
        let mut out = Vec::new();
        for ty in &shape.params {
            let flat = self.tys.info(*ty).flat.clone();
            let src = params[at..at + flat.len()].iter().map(|l| Slot::exact(*l));
            let dst: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
            let slots: Vec<Slot> = dst.iter().map(|l| Slot::exact(*l)).collect();
            let src = Src::Stack(src.collect());
            self.translate(body, *ty, &src, &Dst::Stack(slots.clone()), into_host)?;
            self.rebase_stack(body, *ty, &slots, rebase(Way::ToHost))?;
            out.extend(dst);
            at += flat.len();
        }
        for local in out {
            body.get(local);
        }
        Ok(())
    }

    /// Copies the result the host wrote at `area` of meld's memory into
    /// the caller's memory at `retptr` (the host's handles into the
    /// caller's table, strings and lists with the caller's `realloc`);
    /// with `stage.frees`, `area` and the blocks the result holds are the
    /// stage heap's and are freed.
    pub(crate) fn unstage_result(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        area: Local,
        retptr: Local,
        caller: Side,
        stage: Stage,
    ) -> Result<()> {
        let (size, align) = (self.tys.info(result).size, self.tys.info(result).align);
        let from = place(stage.tables, area);
        self.rebase_mem(body, result, from, stage.rebase(Way::FromHost))?;
        check_block(body, caller.memory()?, retptr, size, align);
        let to = place(caller.memory()?, retptr);
        let mut host = scratch_side(self, stage.tables);
        host.frees = stage.frees;
        let into_caller = Dir {
            src: host,
            dst: caller,
        };
        self.translate(body, result, &Src::Mem(from), &Dst::Mem(to), into_caller)?;
        if stage.frees {
            body.get(area).ins(I::Call(self.rt(RtFn::StageFree)));
        }
        Ok(())
    }

    /// The result the host wrote at `area` of meld's memory, flat for the
    /// caller (the host's handles into its table): the locals holding it.
    /// With `stage.frees`, `area` and the blocks the result holds are the
    /// stage heap's and are freed.
    pub(crate) fn unstage_flat(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        area: Local,
        caller: Side,
        stage: Stage,
    ) -> Result<Vec<Local>> {
        let from = place(stage.tables, area);
        self.rebase_mem(body, result, from, stage.rebase(Way::FromHost))?;
        let mut host = scratch_side(self, stage.tables);
        host.frees = stage.frees;
        let flat = self.tys.info(result).flat.clone();
        let out: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
        let dst = Dst::Stack(out.iter().map(|l| Slot::exact(*l)).collect());
        let into_caller = Dir {
            src: host,
            dst: caller,
        };
        self.translate(body, result, &Src::Mem(from), &dst, into_caller)?;
        if stage.frees {
            body.get(area).ins(I::Call(self.rt(RtFn::StageFree)));
        }
        Ok(out)
    }

    /// Copies the parameters `args` of a staged root export (as the host
    /// passes them: flat, or the address of their tuple, in the stage
    /// heap of meld's memory) into the component `callee` as an adapter
    /// would (strings and lists with its `realloc`, in the order the host
    /// would have called it; the host's handles into its table), frees the
    /// stage's blocks, and pushes the component's arguments.
    pub(crate) fn unstage_params(
        &mut self,
        body: &mut Body,
        shape: &Shape,
        args: &[Local],
        callee: Side,
        stage: Stage,
    ) -> Result<()> {
        let host = Side {
            memory: Some(stage.tables),
            realloc: None,
            encoding: HOST_ENCODING,
            may_leave: None,
            table: HOST,
            frees: true,
        };
        let mut args = args.to_vec();
        if shape.spill_params {
            let p = body.local(Flat::I32);
            body.get(args[0]).i32(stage.base).ins(I::I32Sub).set(p);
            args = vec![p];
        }
        self.rebase_params(body, shape, &args, stage.rebase(Way::FromHost))?;
        let dir = Dir {
            src: host,
            dst: callee,
        };
        let spilled = shape.spill_params;
        self.lower_params(body, shape, &args, (spilled, spilled), dir)?;
        if spilled {
            // the tuple's own block (its strings and lists went as copied)
            body.get(args[0]).ins(I::Call(self.rt(RtFn::StageFree)));
        }
        Ok(())
    }

    /// The body of the handles wrapper of staged sync export `s`
    /// ([`super::Adapters::staged_exports`]), with the lifted signature
    /// the host calls: the parameters copied from the stage heap into the
    /// component, the call, and a result through memory copied into a
    /// block of the stage heap (its handles leaving the component's table
    /// for the host), whose first [`RAW_AREA`] bytes keep the component's
    /// own return area for its post-return ([`Codegen::staged_post`]).
    pub(crate) fn staged_export(&mut self, s: &StagedExport) -> Result<wasm_encoder::Function> {
        let shape = &s.shape;
        let (mut body, args) = Body::new(&shape.lifted.params);
        let scoped = shape.params.iter().any(|t| self.tys.info(*t).borrows);
        if scoped {
            body.ins(I::Call(self.rt(RtFn::Enter)));
        }
        self.unstage_params(&mut body, shape, &args, s.callee, s.stage)?;
        body.ins(I::Call(s.func));
        let raw = body.pop_all(&shape.lifted.results);
        if scoped {
            body.ins(I::Call(self.rt(RtFn::Exit)));
        }
        let Some(result) = shape.result else {
            return Ok(body.finish());
        };
        if !shape.spill_results {
            // flat: only its handles move
            let to_host = Rebase {
                way: Way::ToHost,
                memory: u32::MAX,
                base: 0,
                handles: Some(s.callee.table),
                checked: None,
                frees: false,
            };
            let slots: Vec<Slot> = raw.iter().map(|l| Slot::exact(*l)).collect();
            self.rebase_stack(&mut body, result, &slots, to_host)?;
            for local in raw {
                body.get(local);
            }
            return Ok(body.finish());
        }
        self.stage_result(&mut body, result, raw[0], s.callee, s.stage, HOST_ENCODING)?;
        Ok(body.finish())
    }

    /// Pushes the address (as the host sees it) of a copy of the `result`
    /// the component returned at `raw`, made in a block of the stage heap
    /// with its strings in `encoding` ([`Codegen::stage_out`]), whose first
    /// [`RAW_AREA`] bytes keep `raw` for the post-return
    /// ([`Codegen::unstage_result_post`]).
    pub(crate) fn stage_result(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        raw: Local,
        callee: Side,
        stage: Stage,
        encoding: StringEncoding,
    ) -> Result<()> {
        let (block, area) = self.stage_out(body, result, raw, callee, stage, RAW_AREA, encoding)?;
        body.get(block)
            .get(raw)
            .store(stage.tables, 0, 4, Flat::I32);
        push_address(body, area, stage.base);
        Ok(())
    }

    /// Once the host has read the copy [`Codegen::stage_result`] made, at
    /// `given` (as the host sees it): frees it and calls the component's
    /// post-return `post`, if any, on its own return area.
    pub(crate) fn unstage_result_post(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        given: Local,
        stage: Stage,
        post: Option<u32>,
    ) -> Result<()> {
        let (block, area, raw) = (
            body.local(Flat::I32),
            body.local(Flat::I32),
            body.local(Flat::I32),
        );
        body.get(given)
            .i32(stage.base + RAW_AREA)
            .ins(I::I32Sub)
            .set(block);
        body.get(block).i32(RAW_AREA).ins(I::I32Add).set(area);
        body.get(block).load(stage.tables, 0, 4, Flat::I32).set(raw);
        self.free_staged(body, result, block, area, stage)?;
        if let Some(post) = post {
            body.get(raw).ins(I::Call(post));
        }
        Ok(())
    }

    /// The body of staged sync export `s`'s post-return, given what the
    /// host was given: a result through memory has its stage blocks
    /// freed, and the component's post-return `post`, if any, runs on its
    /// own results.
    pub(crate) fn staged_post(
        &mut self,
        s: &StagedExport,
        post: Option<u32>,
    ) -> Result<wasm_encoder::Function> {
        let shape = &s.shape;
        let (mut body, args) = Body::new(&shape.lifted.results);
        match (shape.spill_results, shape.result) {
            (true, Some(result)) => {
                self.unstage_result_post(&mut body, result, args[0], s.stage, post)?;
            }
            _ => {
                if let Some(post) = post {
                    for arg in &args {
                        body.get(*arg);
                    }
                    body.ins(I::Call(post));
                }
            }
        }
        Ok(body.finish())
    }

    /// Copies a `result` at `src` in `callee`'s memory into a new block
    /// of the stage heap, after `header` bytes, as the host reads it: its
    /// handles leave `callee`'s table for the host, its strings and lists
    /// are blocks of the stage heap too, its pointers as the host sees
    /// them, its strings in `encoding`. Returns the block and the copy's
    /// address (meld's own).
    #[expect(
        clippy::too_many_arguments,
        reason = "the value, both sides, and the block's shape"
    )]
    fn stage_out(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        src: Local,
        callee: Side,
        stage: Stage,
        header: u32,
        encoding: StringEncoding,
    ) -> Result<(Local, Local)> {
        let (size, align) = (self.tys.info(result).size, self.tys.info(result).align);
        check_block(body, callee.memory()?, src, size, align);
        let (block, area) = (body.local(Flat::I32), body.local(Flat::I32));
        body.i32(header + size)
            .ins(I::Call(self.rt(RtFn::StageAlloc)))
            .set(block);
        body.get(block).i32(header).ins(I::I32Add).set(area);
        let (from, to) = (place(callee.memory()?, src), place(stage.tables, area));
        let to_host = Dir {
            src: callee,
            dst: self.stage_side(stage, encoding),
        };
        self.translate(body, result, &Src::Mem(from), &Dst::Mem(to), to_host)?;
        self.rebase_mem(body, result, to, stage.rebase(Way::ToHost))?;
        Ok((block, area))
    }

    /// Frees what [`Codegen::stage_out`] made once the host has read it:
    /// the blocks of the `result` at `area`, then `block`.
    fn free_staged(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        block: Local,
        area: Local,
        stage: Stage,
    ) -> Result<()> {
        let freed = Rebase {
            frees: true,
            ..stage.rebase(Way::FromHost)
        };
        self.rebase_mem(body, result, place(stage.tables, area), freed)?;
        body.get(block).ins(I::Call(self.rt(RtFn::StageFree)));
        Ok(())
    }

    /// The host's side of a value copied into the stage heap: meld's
    /// memory, the stage heap's `realloc`, strings in `encoding`
    /// ([`HOST_ENCODING`] where the lift names meld's memory), the host's
    /// handles.
    fn stage_side(&mut self, stage: Stage, encoding: StringEncoding) -> Side {
        Side {
            memory: Some(stage.tables),
            realloc: Some(self.rt(RtFn::StageRealloc)),
            encoding,
            may_leave: None,
            table: HOST,
            frees: false,
        }
    }

    /// An async root export's result (`args`, `task.return`'s core
    /// parameters) copied out of the component into a block of meld's
    /// stage heap (handles the host's, strings and lists copied), as
    /// wasmtime lifts it at `task.return`: the values the host's
    /// `task.return` takes, for [`Codegen::hand_staged`] (the block and its
    /// area when `spilled`).
    pub(crate) fn stage_return(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        args: &[Local],
        spilled: bool,
        callee: Side,
        stage: Stage,
    ) -> Result<Vec<Local>> {
        if spilled {
            let (block, area) =
                self.stage_out(body, result, args[0], callee, stage, 0, HOST_ENCODING)?;
            return Ok(vec![block, area]);
        }
        let src = Src::Stack(args.iter().map(|l| Slot::exact(*l)).collect());
        self.stage_flat(body, result, &src, callee, stage)
    }

    /// A `result` at `src` in `callee` (its flat values, or its place in
    /// its memory) made flat values for the host's `task.return`: strings
    /// and lists copied into the stage heap, handles the host's.
    pub(crate) fn stage_flat(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        src: &Src,
        callee: Side,
        stage: Stage,
    ) -> Result<Vec<Local>> {
        let flat = self.tys.info(result).flat.clone();
        let out: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
        let slots: Vec<Slot> = out.iter().map(|l| Slot::exact(*l)).collect();
        let to_host = Dir {
            src: callee,
            dst: self.stage_side(stage, HOST_ENCODING),
        };
        self.translate(body, result, src, &Dst::Stack(slots.clone()), to_host)?;
        self.rebase_stack(body, result, &slots, stage.rebase(Way::ToHost))?;
        Ok(out)
    }

    /// [`Codegen::stage_return`]'s values to the host's `task.return`
    /// (`host`), then the copy freed: the host has read it.
    pub(crate) fn hand_staged(
        &mut self,
        body: &mut Body,
        result: crate::abi::TyId,
        values: &[Local],
        spilled: bool,
        stage: Stage,
        host: u32,
    ) -> Result<()> {
        if spilled {
            let (block, area) = (values[0], values[1]);
            push_address(body, area, stage.base);
            body.ins(I::Call(host));
            return self.free_staged(body, result, block, area, stage);
        }
        for local in values {
            body.get(*local);
        }
        body.ins(I::Call(host));
        let slots: Vec<Slot> = values.iter().map(|l| Slot::exact(*l)).collect();
        let freed = Rebase {
            frees: true,
            ..stage.rebase(Way::FromHost)
        };
        self.rebase_stack(body, result, &slots, freed)
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
    pub(crate) fn scratch_realloc(&mut self, base: u32) -> wasm_encoder::Function {
        let (mut body, args) = Body::new(&[Flat::I32; 4]);
        let (old, old_size, align, size) = (args[0], args[1], args[2], args[3]);
        match base {
            0 => body.get(old),
            // old - base, but 0 (no block) stays 0
            _ => body
                .get(old)
                .i32(base)
                .ins(I::I32Sub)
                .get(old)
                .get(old)
                .ins(I::Select),
        };
        body.get(old_size).get(align).get(size);
        let at = body.local(Flat::I32);
        body.ins(I::Call(self.rt(RtFn::ScratchAlloc))).set(at);
        push_address(&mut body, at, base);
        body.finish()
    }
}

impl Codegen {
    /// The body of the stage heap's `realloc` as the host calls it (in
    /// memory addresses): a new block of the stage heap, or, when the host
    /// reallocates a block it wrote into, that block if it is not growing,
    /// else a larger one with its bytes copied and the old one freed.
    pub(crate) fn stage_realloc(&mut self, memory: u32, base: u32) -> wasm_encoder::Function {
        let (mut body, args) = Body::new(&[Flat::I32; 4]);
        let (old, old_size, align, size) = (args[0], args[1], args[2], args[3]);
        super::resources::host_alignment(&mut body, align);
        super::resources::keep_unless_growing(&mut body, old, old_size, size);
        let at = body.local(Flat::I32);
        body.get(size)
            .ins(I::Call(self.rt(RtFn::StageAlloc)))
            .set(at);
        body.get(old).ins(I::If(BlockType::Empty));
        let old_at = body.local(Flat::I32);
        body.get(old);
        if base != 0 {
            body.i32(base).ins(I::I32Sub);
        }
        body.set(old_at);
        body.get(at).get(old_at).get(old_size).ins(I::MemoryCopy {
            src_mem: memory,
            dst_mem: memory,
        });
        body.get(old_at).ins(I::Call(self.rt(RtFn::StageFree)));
        body.ins(I::End);
        push_address(&mut body, at, base);
        body.finish()
    }
}

/// The host's side of a staged call: meld's memory, the scratch area's
/// `realloc`, [`HOST_ENCODING`], the host's handles.
fn scratch_side(codegen: &mut Codegen, tables: u32) -> Side {
    Side {
        memory: Some(tables),
        realloc: Some(codegen.rt(RtFn::ScratchAlloc)),
        encoding: HOST_ENCODING,
        may_leave: None,
        table: HOST,
        frees: false,
    }
}

pub(crate) fn place(memory: u32, addr: Local) -> Place {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::TyTable;
    use wasmtime::{Engine, Instance, Module, Store, TypedFunc};

    /// A module with one memory exporting the stage heap's `realloc` as
    /// the host calls it (base 0) and its `free`.
    fn stage_heap() -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, ExportKind, ExportSection, FunctionSection, MemorySection, MemoryType,
            TypeSection, ValType,
        };
        let runtime = super::super::resources::Runtime {
            memory: Some(0),
            ..Default::default()
        };
        let mut codegen = Codegen::new(TyTable::default(), 1, runtime);
        let realloc = codegen.stage_realloc(0, 0);
        let free = codegen.rt(RtFn::StageFree);
        codegen.finish_helpers().expect("the helpers generate");
        let mut types = TypeSection::new();
        let mut funcs = FunctionSection::new();
        let mut code = CodeSection::new();
        types.ty().function([ValType::I32; 4], [ValType::I32]);
        funcs.function(0);
        code.function(&realloc);
        for (k, helper) in codegen.helpers.iter().enumerate() {
            let valtype = |t: &wasmparser::ValType| match t {
                wasmparser::ValType::I32 => ValType::I32,
                _ => unreachable!("the stage heap's functions take i32s"),
            };
            types.ty().function(
                helper.ty.params().iter().map(valtype),
                helper.ty.results().iter().map(valtype),
            );
            funcs.function(k as u32 + 1);
            code.function(&helper.body);
        }
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut exports = ExportSection::new();
        exports.export("realloc", ExportKind::Func, 0);
        exports.export("free", ExportKind::Func, free);
        exports.export("memory", ExportKind::Memory, 0);
        let mut module = wasm_encoder::Module::new();
        module
            .section(&types)
            .section(&funcs)
            .section(&memories)
            .section(&exports)
            .section(&code);
        module.finish()
    }

    #[test]
    fn stage_heap_reuses_what_is_freed() {
        let engine = Engine::default();
        let module = Module::new(&engine, stage_heap()).expect("the stage heap compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let memory = instance.get_memory(&mut store, "memory").expect("memory");
        let realloc: TypedFunc<(u32, u32, u32, u32), u32> = instance
            .get_typed_func(&mut store, "realloc")
            .expect("realloc");
        let free: TypedFunc<u32, ()> = instance.get_typed_func(&mut store, "free").expect("free");
        let sizes = [0u32, 1, 7, 8, 9, 24, 100, 1000, 5000, 70_000];
        let mut first = Vec::new();
        for round in 0..200 {
            let mut blocks = Vec::new();
            for (k, &size) in sizes.iter().enumerate() {
                let at = realloc
                    .call(&mut store, (0, 0, 8, size))
                    .expect("allocates");
                assert_eq!(at % 8, 0, "8-aligned");
                let fill = k as u8 + 1;
                memory.data_mut(&mut store)[at as usize..(at + size) as usize].fill(fill);
                blocks.push((at, size, fill));
            }
            // no block overlaps another: each keeps its bytes
            for &(at, size, fill) in &blocks {
                let bytes = &memory.data(&store)[at as usize..(at + size) as usize];
                assert!(
                    bytes.iter().all(|b| *b == fill),
                    "block at {at} overwritten"
                );
            }
            if round == 0 {
                first = blocks.iter().map(|b| b.0).collect();
            } else {
                // freed blocks of each size come back
                let again: Vec<u32> = blocks.iter().map(|b| b.0).collect();
                let (mut a, mut b) = (first.clone(), again);
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b, "round {round} took new blocks");
            }
            for (at, _, _) in blocks {
                free.call(&mut store, at).expect("frees");
            }
        }
        let pages = memory.size(&store);
        assert!(pages <= 4, "the heap grew to {pages} pages");

        // realloc of a block the host wrote: kept when not growing, moved
        // with its bytes when growing (and the old block reused)
        let at = realloc.call(&mut store, (0, 0, 1, 10)).expect("allocates");
        memory.data_mut(&mut store)[at as usize..at as usize + 10].copy_from_slice(b"0123456789");
        assert_eq!(
            realloc.call(&mut store, (at, 10, 1, 4)).expect("shrinks"),
            at
        );
        let moved = realloc.call(&mut store, (at, 10, 1, 300)).expect("grows");
        assert_ne!(moved, at);
        assert_eq!(
            &memory.data(&store)[moved as usize..moved as usize + 10],
            b"0123456789"
        );
        assert_eq!(
            realloc.call(&mut store, (0, 0, 1, 10)).expect("allocates"),
            at
        );
        // alignments the host never asks for trap
        assert!(realloc.call(&mut store, (0, 0, 16, 8)).is_err());
        assert!(realloc.call(&mut store, (0, 0, 3, 8)).is_err());
    }
}
