//! The body of one generated adapter: what a runtime does when one
//! component calls a function another one lifted.
//!
//! In order: trap if the caller may not leave (it is inside its own
//! `realloc`); lower the parameters into the callee (flat
//! values translated one by one, or, beyond 16 flat values, a tuple copied
//! into a block the callee's `realloc` returns); call; lift the result
//! back into the caller (flat, or from the callee's return pointer into the
//! caller's); call the callee's `post-return` with the callee's original
//! results; return.

use super::GeneratedPlan;
use super::body::{Body, Local};
use super::codegen::{Codegen, Dir, Side};
use super::translate::{Dst, Place, Slot, Src};
use crate::abi::{Flat, TyId};
use crate::error::Result;
use wasm_encoder::Instruction as I;

/// The two ends of a cross-component call, resolved to fused indices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ends {
    pub(crate) caller: Side,
    pub(crate) callee: Side,
    pub(crate) func: u32,
    pub(crate) post_return: Option<u32>,
    /// With meld's async runtime, what runs the callee as a task of its own
    /// would run (see [`super::async_calls::SyncCall`]).
    pub(crate) task: Option<super::async_calls::SyncCall>,
}

impl Codegen {
    /// The body of the adapter of `plan`.
    pub(crate) fn adapter(
        &mut self,
        plan: &GeneratedPlan,
        ends: Ends,
    ) -> Result<wasm_encoder::Function> {
        let lowered: Vec<Flat> = plan.shape.lowered.params.clone();
        let (mut body, args) = Body::new(&lowered);
        if plan.traps {
            body.ins(I::Unreachable);
            return Ok(body.finish());
        }
        body.check_may_leave(ends.caller.may_leave);
        let saved = ends.task.map(|t| t.enter(&mut body));
        let into_callee = Dir {
            src: ends.caller,
            dst: ends.callee,
        };
        let into_caller = Dir {
            src: ends.callee,
            dst: ends.caller,
        };
        // A call that lends handles is a scope: lends end, and borrows
        // must be dropped, when it returns.
        let scoped = plan.shape.params.iter().any(|t| self.tys.info(*t).borrows);
        if scoped {
            let enter = self.rt(super::resources::RtFn::Enter);
            body.ins(I::Call(enter));
        }

        // Parameters.
        let spill = plan.shape.spill_params;
        self.lower_params(&mut body, &plan.shape, &args, (spill, spill), into_callee)?;

        body.ins(I::Call(ends.func));

        // The callee's core results, kept for post-return.
        let raw = body.pop_all(&plan.shape.lifted.results);
        if scoped {
            let exit = self.rt(super::resources::RtFn::Exit);
            body.ins(I::Call(exit));
        }

        // The result.
        let mut returned = Vec::new();
        if let Some(result) = plan.shape.result {
            if plan.shape.spill_results {
                let src = raw[0];
                let retptr = args[args.len() - 1];
                self.result_through_memory(&mut body, result, src, retptr, ends, into_caller)?;
            } else {
                let src = raw.iter().map(|l| Slot::exact(*l)).collect();
                let flat = self.tys.info(result).flat.clone();
                returned = flat.iter().map(|t| body.local(*t)).collect();
                let dst = returned.iter().map(|l| Slot::exact(*l)).collect();
                self.translate(
                    &mut body,
                    result,
                    &Src::Stack(src),
                    &Dst::Stack(dst),
                    into_caller,
                )?;
            }
        }

        // The callee's `may_leave` flag stays set during post-return:
        // wasmtime lets post-return call out (tests/tests/flags.rs), while
        // newer drafts of the spec would trap.
        if let Some(post_return) = ends.post_return {
            for local in &raw {
                body.get(*local);
            }
            body.ins(I::Call(post_return));
        }
        if let (Some(t), Some(saved)) = (ends.task, saved) {
            t.exit(&mut body, saved);
        }
        for local in returned {
            body.get(local);
        }
        Ok(body.finish())
    }

    /// Pushes the callee's core parameters of `shape`, lifted from the
    /// caller's `args` (its flat values, or one pointer to the tuple when
    /// `spilled.0`) and lowered into the callee (flat, or a block its
    /// `realloc` gives when `spilled.1`). A callee that takes the tuple
    /// through memory only gets one from a caller that passed it so.
    pub(crate) fn lower_params(
        &mut self,
        body: &mut Body,
        shape: &crate::abi::Shape,
        args: &[Local],
        spilled: (bool, bool),
        dir: Dir,
    ) -> Result<()> {
        let tuple = shape.tuple;
        let (size, align) = (self.tys.info(tuple).size, self.tys.info(tuple).align);
        match spilled {
            (true, true) => {
                check_block(body, dir.src.memory()?, args[0], size, align);
                let size_local = body.local(Flat::I32);
                body.i32(size).set(size_local);
                let dst = self.realloc(body, &dir.dst, align, size_local)?;
                self.translate(
                    body,
                    tuple,
                    &Src::Mem(place(dir.src.memory()?, args[0])),
                    &Dst::Mem(place(dir.dst.memory()?, dst)),
                    dir,
                )?;
                body.get(dst);
            }
            (true, false) => {
                check_block(body, dir.src.memory()?, args[0], size, align);
                let flat = self.tys.info(tuple).flat.clone();
                let dst: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
                let slots = dst.iter().map(|l| Slot::exact(*l)).collect();
                let src = Src::Mem(place(dir.src.memory()?, args[0]));
                self.translate(body, tuple, &src, &Dst::Stack(slots), dir)?;
                for local in dst {
                    body.get(local);
                }
            }
            (false, _) => {
                let mut at = 0;
                let mut out = Vec::new();
                for ty in &shape.params {
                    let flat = self.tys.info(*ty).flat.clone();
                    let src = args[at..at + flat.len()]
                        .iter()
                        .map(|l| Slot::exact(*l))
                        .collect();
                    let dst: Vec<Local> = flat.iter().map(|t| body.local(*t)).collect();
                    let slots = dst.iter().map(|l| Slot::exact(*l)).collect();
                    self.translate(body, *ty, &Src::Stack(src), &Dst::Stack(slots), dir)?;
                    out.extend(dst);
                    at += flat.len();
                }
                for local in out {
                    body.get(local);
                }
            }
        }
        Ok(())
    }

    /// Copies a result the callee returned at `src` (its memory) to the
    /// caller's return pointer `retptr`.
    fn result_through_memory(
        &mut self,
        body: &mut Body,
        result: TyId,
        src: Local,
        retptr: Local,
        ends: Ends,
        dir: Dir,
    ) -> Result<()> {
        let (size, align) = (self.tys.info(result).size, self.tys.info(result).align);
        check_block(body, ends.callee.memory()?, src, size, align);
        check_block(body, ends.caller.memory()?, retptr, size, align);
        self.translate(
            body,
            result,
            &Src::Mem(place(ends.callee.memory()?, src)),
            &Dst::Mem(place(ends.caller.memory()?, retptr)),
            dir,
        )
    }
}

fn place(memory: u32, addr: Local) -> Place {
    Place {
        memory,
        addr,
        offset: 0,
    }
}

/// Traps unless `addr` is aligned and `addr .. addr + size` is in `memory`.
pub(crate) fn check_block(body: &mut Body, memory: u32, addr: Local, size: u32, align: u32) {
    body.check_align(addr, align);
    let len = body.local(Flat::I32);
    body.i32(size).set(len);
    body.check_range(memory, addr, len, 1);
    body.free(len);
}
