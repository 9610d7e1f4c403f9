//! Exception barriers: an exception never leaves the component that
//! threw it.
//!
//! With the exception-handling proposal, a core module can `throw`, and
//! a `try_table` further up the stack catches. In a composition the
//! stack of one call crosses components, but wasmtime (and the
//! Component Model) let no exception cross a component boundary: one
//! that propagates out of a lifted function, a `realloc`, a
//! `post-return`, a destructor or a callback traps ("uncaught exception
//! propagated out of component") where the runtime called it, and the
//! caller's `try_table` never sees it. In the fused module those calls
//! are plain calls from generated code (adapters, host wrappers, resource
//! built-ins, the async runtime's entries) into an inner module, so an
//! exception would unwind on into the calling component and could be
//! caught there.
//!
//! So every call that generated code makes to a function of a component
//! that can throw goes through a barrier of that function: `try_table
//! (catch_all)` around the call, the catch trapping with `unreachable`,
//! and no call into such a component is direct (`with_flags`), so every
//! boundary into it has generated code on it. A component can throw when
//! one of its core modules has a `throw`, `throw_ref` or (legacy)
//! `rethrow` instruction ([`throwing`]): an exception starts only there
//! (a tag alone throws nothing, the host throws none into a component,
//! and none comes out of another component, whose boundary has its own
//! barrier), so a function of any other component never lets one out and
//! is called as without exceptions, directly where the call needs no
//! adapter. Inputs without tags are fused exactly as before.

use super::GeneratedFunc;
use crate::decode::Decoded;
use crate::error::{Error, Result};
use crate::graph::{Graph, InnerId};
use std::collections::{BTreeMap, BTreeSet};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{BlockType, Catch, Instruction as I};
use wasmparser::{FuncType, Operator, ValType};

/// The inner components that can throw: one of the core modules they
/// instantiate has a `throw`, `throw_ref` or `rethrow` instruction. Empty
/// when no module defines a tag (nothing can be thrown then), without
/// reading any code.
pub(crate) fn throwing(decoded: &Decoded<'_>, graph: &Graph) -> Result<BTreeSet<InnerId>> {
    let mut throwing = BTreeSet::new();
    if !decoded.defines_tags {
        return Ok(throwing);
    }
    let mut throws: BTreeMap<usize, bool> = BTreeMap::new();
    for (_, instance) in graph.guest_instances() {
        let m = instance.module.0;
        let module_throws = match throws.get(&m) {
            Some(&t) => t,
            None => {
                let bytes = decoded
                    .modules
                    .get(m)
                    .ok_or_else(|| Error::internal("an instance of no module"))?
                    .bytes;
                let t = can_throw(bytes)?;
                throws.insert(m, t);
                t
            }
        };
        if module_throws {
            throwing.insert(instance.component);
        }
    }
    Ok(throwing)
}

/// Whether a body of module `bytes` has an instruction that throws.
fn can_throw(bytes: &[u8]) -> Result<bool> {
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload? {
            let mut ops = body.get_operators_reader()?;
            while !ops.eof() {
                if matches!(
                    ops.read()?,
                    Operator::Throw { .. } | Operator::ThrowRef | Operator::Rethrow { .. }
                ) {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// The guest functions generated code may call: each function of an
/// inner module by fused index, with its type.
pub(crate) struct Guests {
    /// `(first fused index, types of its functions)` per inner instance.
    ranges: Vec<(u32, Vec<FuncType>)>,
}

impl Guests {
    pub(crate) fn new(ranges: Vec<(u32, Vec<FuncType>)>) -> Self {
        Guests { ranges }
    }

    /// The type of `func` if an inner module defines it.
    fn get(&self, func: u32) -> Option<&FuncType> {
        self.ranges
            .iter()
            .find_map(|(first, types)| func.checked_sub(*first).and_then(|k| types.get(k as usize)))
    }
}

/// Makes every call of `generated` and `helpers` into a function of
/// `guests` call that function's barrier; the barriers are appended to
/// `helpers` (whose first function has fused index `first_helper`).
pub(crate) fn apply(
    generated: &mut [GeneratedFunc],
    helpers: &mut Vec<GeneratedFunc>,
    first_helper: u32,
    guests: &Guests,
) -> Result<()> {
    let mut barriers: BTreeMap<u32, u32> = BTreeMap::new();
    let mut next = first_helper + helpers.len() as u32;
    let mut barrier_of = |func: u32| -> Result<Option<u32>> {
        if guests.get(func).is_none() {
            return Ok(None);
        }
        Ok(Some(*barriers.entry(func).or_insert_with(|| {
            next += 1;
            next - 1
        })))
    };
    for f in generated.iter_mut().chain(helpers.iter_mut()) {
        rewrite(f, &mut barrier_of)?;
    }
    // (in the order of their indices, which is not the functions' order)
    let mut order: Vec<(u32, u32)> = barriers.into_iter().map(|(f, i)| (i, f)).collect();
    order.sort_unstable();
    for (_, func) in order {
        let ty = guests
            .get(func)
            .ok_or_else(|| Error::internal("a barrier of no guest function"))?;
        helpers.push(GeneratedFunc {
            name: format!("exception barrier of function {func}"),
            ty: ty.clone(),
            body: barrier(func, ty)?,
            covered: Vec::new(),
        });
    }
    Ok(())
}

/// The barrier of guest function `func` of type `ty`: calls it with its
/// parameters and returns its results, trapping if an exception leaves it.
fn barrier(func: u32, ty: &FuncType) -> Result<wasm_encoder::Function> {
    let numeric = |t: &ValType| !matches!(t, ValType::Ref(_));
    if !ty.params().iter().chain(ty.results()).all(numeric) {
        return Err(Error::unsupported(
            "an exception barrier around a function whose type has references \
             (generated code only calls functions of numbers)",
        ));
    }
    let results = match ty.results() {
        [] => BlockType::Empty,
        [one] => BlockType::Result(val_type(*one)?),
        _ => {
            return Err(Error::unsupported(
                "an exception barrier around a function with several results",
            ));
        }
    };
    let mut f = wasm_encoder::Function::new([]);
    // block $trap
    //   try_table (result ...) (catch_all $trap)
    //     local.get 0 .. n; call $func
    //   end
    //   return
    // end
    // unreachable
    f.instruction(&I::Block(BlockType::Empty));
    f.instruction(&I::TryTable(results, vec![Catch::All { label: 0 }].into()));
    for k in 0..ty.params().len() as u32 {
        f.instruction(&I::LocalGet(k));
    }
    f.instruction(&I::Call(func));
    f.instruction(&I::End);
    f.instruction(&I::Return);
    f.instruction(&I::End);
    f.instruction(&I::Unreachable);
    f.instruction(&I::End);
    Ok(f)
}

fn val_type(t: ValType) -> Result<wasm_encoder::ValType> {
    RoundtripReencoder
        .val_type(t)
        .map_err(|e| Error::internal(format!("a barrier's type: {e}")))
}

/// Rewrites the `call`s of `f` that `barrier_of` maps, keeping the byte
/// offsets of `f.covered` on the instructions they named.
fn rewrite(
    f: &mut GeneratedFunc,
    barrier_of: &mut dyn FnMut(u32) -> Result<Option<u32>>,
) -> Result<()> {
    let bytes = std::mem::replace(&mut f.body, wasm_encoder::Function::new([])).into_raw_body();
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(&bytes, 0));
    let mut locals = Vec::new();
    let reader = body.get_locals_reader()?;
    let code_start = body.get_binary_reader_for_operators()?.original_position();
    for local in reader {
        let (n, t) = local?;
        locals.push((n, val_type(t)?));
    }
    let mut ops = body.get_operators_reader()?;
    let mut out = wasm_encoder::Function::new(locals);
    if out.byte_len() != code_start {
        return Err(Error::internal(
            "a generated function's locals encode differently",
        ));
    }
    // (old offset, new offset) of each call rewritten, for `covered`.
    let mut shifts: Vec<(usize, isize)> = Vec::new();
    let mut copied = code_start;
    while !ops.eof() {
        let at = ops.original_position();
        let op = ops.read()?;
        let end = ops.original_position();
        let target = match op {
            Operator::Call { function_index } => barrier_of(function_index)?,
            Operator::ReturnCall { function_index } => {
                if barrier_of(function_index)?.is_some() {
                    return Err(Error::internal(
                        "generated code tail-calls a guest function",
                    ));
                }
                None
            }
            Operator::RefFunc { function_index } => {
                if barrier_of(function_index)?.is_some() {
                    return Err(Error::internal(
                        "generated code takes a guest function's reference",
                    ));
                }
                None
            }
            _ => None,
        };
        if let Some(target) = target {
            out.raw(bytes[copied..at].iter().copied());
            out.instruction(&I::Call(target));
            copied = end;
            let delta = out.byte_len() as isize - end as isize;
            shifts.push((end, delta));
        }
    }
    out.raw(bytes[copied..].iter().copied());
    let shift = |offset: u32| -> u32 {
        let before = shifts.partition_point(|(end, _)| *end <= offset as usize);
        let delta = before.checked_sub(1).map_or(0, |k| shifts[k].1);
        (offset as isize + delta) as u32
    };
    f.covered = f.covered.iter().map(|c| shift(*c)).collect();
    f.body = out;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(code: &[I<'_>], covered: Vec<u32>) -> GeneratedFunc {
        let mut body = wasm_encoder::Function::new_with_locals_types([wasm_encoder::ValType::I32]);
        for i in code {
            body.instruction(i);
        }
        GeneratedFunc {
            name: "g".into(),
            ty: FuncType::new([], []),
            body,
            covered,
        }
    }

    #[test]
    fn calls_of_guests_go_through_barriers_and_covered_offsets_follow() {
        // Guest functions 3..5; the first helper is 200, so a barrier's
        // index takes two bytes where the guest's took one.
        let guests = Guests::new(vec![(
            3,
            vec![FuncType::new([ValType::I32], [ValType::I32]); 2],
        )]);
        let code = [
            I::I32Const(1),
            I::Call(4),
            I::I32Load(wasm_encoder::MemArg {
                offset: 0,
                align: 2,
                memory_index: 0,
            }),
            I::Call(9),
            I::Drop,
            I::End,
        ];
        // The load is at byte 3 (locals) + 2 (const) + 2 (call).
        let mut g = vec![generated(&code, vec![7])];
        let mut helpers = Vec::new();
        apply(&mut g, &mut helpers, 200, &guests).expect("barriers apply");
        assert_eq!(helpers.len(), 1);
        assert_eq!(helpers[0].ty, FuncType::new([ValType::I32], [ValType::I32]));
        let bytes =
            std::mem::replace(&mut g[0].body, wasm_encoder::Function::new([])).into_raw_body();
        // locals, i32.const 1, call 200 (two bytes), the load now at 8.
        assert_eq!(&bytes[..8], &[1, 1, 0x7F, 0x41, 1, 0x10, 0xC8, 1]);
        assert_eq!(bytes[8], 0x28);
        assert_eq!(g[0].covered, vec![8]);
        // The call of function 9 (not a guest's) is untouched.
        assert_eq!(&bytes[11..13], &[0x10, 9]);
    }

    #[test]
    fn barriers_come_in_the_order_of_their_indices() {
        // Function 4 is called first, so its barrier is helper 200, and
        // function 3's is 201.
        let guests = Guests::new(vec![(
            3,
            vec![
                FuncType::new([ValType::I32], []),
                FuncType::new([], [ValType::I64]),
            ],
        )]);
        let code = [I::Call(4), I::Drop, I::I32Const(0), I::Call(3), I::End];
        let mut g = vec![generated(&code, Vec::new())];
        let mut helpers = Vec::new();
        apply(&mut g, &mut helpers, 200, &guests).expect("barriers apply");
        assert_eq!(helpers[0].ty, FuncType::new([], [ValType::I64]));
        assert_eq!(helpers[1].ty, FuncType::new([ValType::I32], []));
        assert_eq!(helpers[0].name, "exception barrier of function 4");
    }
}
