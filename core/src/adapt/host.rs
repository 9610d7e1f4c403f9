//! Functions at the host boundary: what stands between the host and an
//! inner component when the component may not leave (its `may_leave`
//! flag), with a shared memory when its region is not at base 0 and the
//! pointers of every value the host sees must move (see `rebase.rs`), and
//! when an exported function passes handles of inner resources, which
//! move between the wrapper's table and the component's.

use super::body::{Body, Local};
use super::codegen::{Codegen, Side};
use super::rebase::{Rebase, Way};
use super::staged::Stage;
use super::translate::{Place, Slot};
use crate::abi::{Flat, Shape};
use crate::error::Result;
use wasm_encoder::Instruction as I;

/// Where a rebased component's region is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Region {
    /// Its memory's index before the memories became one.
    pub(crate) memory: u32,
    pub(crate) base: u32,
    /// Whether a neighbour follows it: then what the host is given to read
    /// must be checked against the region's size (the last region is
    /// bounded by the memory itself), in the component's string encoding.
    pub(crate) checked: Option<crate::decode::StringEncoding>,
}

/// The component on the inner side of a host call whose values carry
/// handles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handles {
    /// Its memory (multi-memory index), if its options name one.
    pub(crate) memory: Option<u32>,
    /// Its handle table.
    pub(crate) table: u32,
}

impl Handles {
    pub(crate) fn rebase(self, way: Way) -> Rebase {
        Rebase {
            way,
            memory: self.memory.unwrap_or(u32::MAX),
            base: 0,
            handles: Some(self.table),
            checked: None,
            frees: false,
        }
    }
}

impl Region {
    pub(crate) fn rebase(self, way: Way) -> Rebase {
        Rebase {
            way,
            memory: self.memory,
            base: self.base,
            handles: None,
            checked: self.checked,
            frees: false,
        }
    }

    /// Traps unless `len` units of `unit` bytes at `addr` (a region
    /// address) lie in the region.
    pub(crate) fn check_span(self, body: &mut Body, addr: Local, len: Local, unit: u32) {
        if self.checked.is_some() {
            body.check_range(self.memory, addr, len, unit);
        }
    }

    /// Traps unless the block of `size` bytes at `addr` (a region address)
    /// lies in the region.
    pub(crate) fn check_block(self, body: &mut Body, addr: Local, size: u32) {
        if self.checked.is_some() {
            let len = body.local(Flat::I32);
            body.i32(size).set(len);
            body.check_range(self.memory, addr, len, 1);
            body.free(len);
        }
    }
}

impl Codegen {
    /// Moves the pointers of the parameters, flat in `args` or (spilled)
    /// in a tuple at `args[0]` (a region address).
    pub(crate) fn rebase_params(
        &mut self,
        body: &mut Body,
        shape: &Shape,
        args: &[Local],
        r: Rebase,
    ) -> Result<()> {
        if shape.spill_params {
            let place = Place {
                memory: r.memory,
                addr: args[0],
                offset: 0,
            };
            return self.rebase_mem(body, shape.tuple, place, r);
        }
        let mut at = 0;
        for ty in &shape.params {
            let n = self.tys.info(*ty).flat.len();
            let slots: Vec<Slot> = args[at..at + n].iter().map(|l| Slot::exact(*l)).collect();
            self.rebase_stack(body, *ty, &slots, r)?;
            at += n;
        }
        Ok(())
    }

    /// In front of host import `import` (core signature `sig`): checks
    /// `flag`; with `handles`, gives the host its own handles for the
    /// caller's and puts the handles the host returns in the caller's
    /// table; with `region`, moves the pointers of the arguments to memory
    /// addresses for the call, back afterwards, and those of a result the
    /// host wrote at the return pointer to region addresses.
    pub(crate) fn lowering_wrapper(
        &mut self,
        params: &[Flat],
        import: u32,
        flag: Option<u32>,
        rebased: Option<(Shape, Region)>,
        handles: Option<(Shape, Handles)>,
    ) -> Result<wasm_encoder::Function> {
        let (mut body, args) = Body::new(params);
        body.check_may_leave(flag);
        let Some(spill_results) = rebased
            .as_ref()
            .map(|(s, _)| s.spill_results)
            .or(handles.as_ref().map(|(s, _)| s.spill_results))
        else {
            for arg in &args {
                body.get(*arg);
            }
            body.ins(I::Call(import));
            return Ok(body.finish());
        };
        let (params, retptr) = match spill_results {
            true => (&args[..args.len() - 1], args.last().copied()),
            false => (&args[..], None),
        };
        // Handles leave the caller's table first (they are flat: values
        // with handles in memory go through `host_call` instead).
        if let Some((shape, h)) = &handles {
            self.rebase_params(&mut body, shape, params, h.rebase(Way::ToHost))?;
        }
        if let Some((shape, region)) = &rebased {
            // the blocks the host reads (spilled parameters) and writes
            // (the result at the return pointer) must be the region's
            if shape.spill_params {
                region.check_block(&mut body, params[0], self.tys.info(shape.tuple).size);
            }
            if let (Some(retptr), Some(result)) = (retptr, shape.result) {
                region.check_block(&mut body, retptr, self.tys.info(result).size);
            }
            self.rebase_params(&mut body, shape, params, region.rebase(Way::ToHost))?;
        }
        let base = rebased.as_ref().map_or(0, |(_, r)| r.base);
        let spill_params = rebased.as_ref().is_some_and(|(s, _)| s.spill_params);
        for (i, arg) in params.iter().enumerate() {
            body.get(*arg);
            if spill_params && i == 0 && base != 0 {
                body.i32(base).ins(I::I32Add);
            }
        }
        if let Some(retptr) = retptr {
            body.get(retptr);
            if base != 0 {
                body.i32(base).ins(I::I32Add);
            }
        }
        body.ins(I::Call(import));
        // The lowered signature returns nothing when results spill.
        let lowered = match (&rebased, &handles) {
            (Some((s, _)), _) | (None, Some((s, _))) => s.lowered.results.clone(),
            (None, None) => Vec::new(),
        };
        let results = body.pop_all(&lowered);
        if let Some((shape, region)) = &rebased {
            let from = region.rebase(Way::FromHost);
            self.rebase_params(&mut body, shape, params, from)?;
            if let (Some(retptr), Some(result)) = (retptr, shape.result) {
                let place = Place {
                    memory: region.memory,
                    addr: retptr,
                    offset: 0,
                };
                self.rebase_mem(&mut body, result, place, from)?;
            }
        }
        if let Some((shape, h)) = &handles
            && let Some(result) = shape.result
            && self.tys.info(result).handles
        {
            let from = h.rebase(Way::FromHost);
            match retptr {
                Some(retptr) => {
                    let place = Place {
                        memory: h.memory.unwrap_or(u32::MAX),
                        addr: retptr,
                        offset: 0,
                    };
                    // the outer value inline (most results are a `result`
                    // whose ok case holds no handle)
                    self.rebase_compound(&mut body, result, place, from)?;
                }
                None => {
                    let slots: Vec<Slot> = results.iter().map(|l| Slot::exact(*l)).collect();
                    self.rebase_stack(&mut body, result, &slots, from)?;
                }
            }
        }
        for local in results {
            body.get(local);
        }
        Ok(body.finish())
    }

    /// In front of lifted export `func`: moves the pointers of the host's
    /// arguments to region addresses, calls, and moves those of the result
    /// to memory addresses. With `copy` (the component's side and meld's
    /// stage heap), a result through memory holding strings or lists is
    /// given to the host as a copy in the stage heap, pointers moved
    /// (`Adapters::copied_exports`): moved in place, a string overlapping
    /// the moved pointer fields would be read with the moved bytes.
    pub(crate) fn export_wrapper(
        &mut self,
        shape: &Shape,
        func: u32,
        region: Region,
        copy: Option<(Side, Stage)>,
    ) -> Result<wasm_encoder::Function> {
        let (mut body, mut args) = Body::new(&shape.lifted.params);
        if shape.spill_params {
            let p = body.local(Flat::I32);
            body.get(args[0]).i32(region.base).ins(I::I32Sub).set(p);
            args = vec![p];
        }
        self.rebase_params(&mut body, shape, &args, region.rebase(Way::FromHost))?;
        for arg in &args {
            body.get(*arg);
        }
        body.ins(I::Call(func));
        let results = body.pop_all(&shape.lifted.results);
        let copied = |result| copy.filter(|_| self.tys.info(result).memory);
        if let (true, Some(result)) = (shape.spill_results, shape.result)
            && let Some((callee, stage)) = copied(result)
        {
            self.stage_result(
                &mut body,
                result,
                results[0],
                callee,
                stage,
                callee.encoding,
            )?;
        } else if let (true, Some(result)) = (shape.spill_results, shape.result) {
            region.check_block(&mut body, results[0], self.tys.info(result).size);
            let place = Place {
                memory: region.memory,
                addr: results[0],
                offset: 0,
            };
            self.rebase_mem(&mut body, result, place, region.rebase(Way::ToHost))?;
            body.get(results[0]).i32(region.base).ins(I::I32Add);
        } else {
            for local in results {
                body.get(local);
            }
        }
        Ok(body.finish())
    }

    /// In front of that export's post-return: moves the result's pointers
    /// back to region addresses before the component frees them (with
    /// `copy`, frees the copy the host was given instead).
    pub(crate) fn post_return_wrapper(
        &mut self,
        shape: &Shape,
        post: Option<u32>,
        region: Region,
        copy: Option<Stage>,
    ) -> Result<wasm_encoder::Function> {
        let (mut body, args) = Body::new(&shape.lifted.results);
        let copied = |result| copy.filter(|_| self.tys.info(result).memory);
        if let (true, Some(result)) = (shape.spill_results, shape.result)
            && let Some(stage) = copied(result)
        {
            self.unstage_result_post(&mut body, result, args[0], stage, post)?;
        } else if let (true, Some(result)) = (shape.spill_results, shape.result) {
            let r = body.local(Flat::I32);
            body.get(args[0]).i32(region.base).ins(I::I32Sub).set(r);
            let place = Place {
                memory: region.memory,
                addr: r,
                offset: 0,
            };
            self.rebase_mem(&mut body, result, place, region.rebase(Way::FromHost))?;
            if let Some(post) = post {
                body.get(r).ins(I::Call(post));
            }
        } else if let Some(post) = post {
            for arg in &args {
                body.get(*arg);
            }
            body.ins(I::Call(post));
        }
        Ok(body.finish())
    }
}

/// In front of a realloc the host calls. With `region` (memory, base,
/// checked) it takes and returns memory addresses (0 stays 0: a new
/// block), and when checked the block it returns must lie in the region
/// (the host writes it). With `flag`, the component's `may_leave` flag is
/// clear during the call, as the host's call leaves it in the original.
pub(crate) fn realloc_wrapper(
    realloc: u32,
    region: Option<(u32, u32, bool)>,
    flag: Option<u32>,
) -> wasm_encoder::Function {
    let (mut body, args) = Body::new(&[Flat::I32; 4]);
    match region {
        // select(0, old - base, old == 0)
        Some((_, base, _)) => body
            .i32(0)
            .get(args[0])
            .i32(base)
            .ins(I::I32Sub)
            .get(args[0])
            .ins(I::I32Eqz)
            .ins(I::Select),
        None => body.get(args[0]),
    };
    body.get(args[1]).get(args[2]).get(args[3]);
    let ptr = body.local(Flat::I32);
    if let Some(flag) = flag {
        body.i32(0).ins(I::GlobalSet(flag));
    }
    body.ins(I::Call(realloc)).set(ptr);
    if let Some(flag) = flag {
        body.i32(1).ins(I::GlobalSet(flag));
    }
    if let Some((memory, base, checked)) = region {
        if checked {
            body.check_range(memory, ptr, args[3], 1);
        }
        body.get(ptr).i32(base).ins(I::I32Add);
    } else {
        body.get(ptr);
    }
    body.finish()
}

impl Codegen {
    /// The body of the wrapper in front of exported lifted function `func`
    /// of `shape` whose values carry handles of inner resources: every
    /// such handle, flat or in the callee's memory `memory`, is replaced in
    /// place between the host's side (the wrapper component's table) and
    /// the callee's table `table`.
    pub(crate) fn handles_wrapper(
        &mut self,
        shape: &Shape,
        func: u32,
        memory: Option<u32>,
        table: u32,
    ) -> Result<wasm_encoder::Function> {
        use super::rebase::{Rebase, Way};
        let r = |way| Rebase {
            way,
            memory: memory.unwrap_or(u32::MAX),
            base: 0,
            handles: Some(table),
            checked: None,
            frees: false,
        };
        let (mut body, args) = Body::new(&shape.lifted.params);
        let scoped = shape.params.iter().any(|t| self.tys.info(*t).borrows);
        if scoped {
            let enter = self.rt(super::resources::RtFn::Enter);
            body.ins(I::Call(enter));
        }
        if shape.spill_params {
            let place = Place {
                memory: memory.unwrap_or(u32::MAX),
                addr: args[0],
                offset: 0,
            };
            self.rebase_mem(&mut body, shape.tuple, place, r(Way::FromHost))?;
        } else {
            let mut at = 0;
            for ty in &shape.params {
                let n = self.tys.info(*ty).flat.len();
                let slots: Vec<Slot> = args[at..at + n].iter().map(|l| Slot::exact(*l)).collect();
                self.rebase_stack(&mut body, *ty, &slots, r(Way::FromHost))?;
                at += n;
            }
        }
        for arg in &args {
            body.get(*arg);
        }
        body.ins(I::Call(func));
        let raw = body.pop_all(&shape.lifted.results);
        if scoped {
            let exit = self.rt(super::resources::RtFn::Exit);
            body.ins(I::Call(exit));
        }
        if let Some(result) = shape.result {
            if shape.spill_results {
                let place = Place {
                    memory: memory.unwrap_or(u32::MAX),
                    addr: raw[0],
                    offset: 0,
                };
                self.rebase_mem(&mut body, result, place, r(Way::ToHost))?;
            } else {
                let slots: Vec<Slot> = raw.iter().map(|l| Slot::exact(*l)).collect();
                self.rebase_stack(&mut body, result, &slots, r(Way::ToHost))?;
            }
        }
        for local in raw {
            body.get(local);
        }
        Ok(body.finish())
    }
}
