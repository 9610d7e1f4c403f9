//! Which of a function's own locals a saved frame must hold: those live
//! right after some call that can unwind (read before being written on a
//! path from there). The others are dead when the function resumes, so a
//! rewind can leave them zero.
//!
//! A backward liveness analysis over the operators as a control-flow graph
//! (branches resolved to their targets), iterated to a fixed point. Bodies
//! with exception handling are not analysed: every local is kept.

use std::collections::BTreeSet;
use wasmparser::Operator;

/// A set of locals as bits.
#[derive(Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, i: u32) {
        self.0[i as usize / 64] |= 1 << (i % 64);
    }
    fn remove(&mut self, i: u32) {
        self.0[i as usize / 64] &= !(1 << (i % 64));
    }
    fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    fn contains(&self, i: u32) -> bool {
        self.0[i as usize / 64] & (1 << (i % 64)) != 0
    }
}

/// The locals (of `locals` in all, parameters first) live after any of
/// the operators at `calls`; `None` when the body is not analysed (all
/// locals are kept).
pub(super) fn live_after(
    ops: &[Operator<'_>],
    locals: u32,
    calls: &BTreeSet<usize>,
) -> Option<BTreeSet<u32>> {
    let succ = successors(ops)?;
    let n = ops.len();
    let mut live_in: Vec<Bits> = vec![Bits::new(locals as usize); n + 1];
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..n).rev() {
            let mut live = Bits::new(locals as usize);
            for &s in &succ[i] {
                live.union(&live_in[s]);
            }
            match ops[i] {
                Operator::LocalGet { local_index } => live.insert(local_index),
                Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                    live.remove(local_index)
                }
                _ => {}
            }
            if live != live_in[i] {
                live_in[i] = live;
                changed = true;
            }
        }
    }
    let mut out = BTreeSet::new();
    for &call in calls {
        let after = &live_in[call + 1];
        out.extend((0..locals).filter(|&l| after.contains(l)));
    }
    Some(out)
}

/// The successors of every operator (index `ops.len()` is the exit);
/// `None` for bodies with exception handling.
fn successors(ops: &[Operator<'_>]) -> Option<Vec<Vec<usize>>> {
    let exit = ops.len();
    // Matching `else` and `end` of every block opener.
    let mut ends = vec![usize::MAX; ops.len()];
    let mut elses = vec![usize::MAX; ops.len()];
    let mut open = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => open.push(i),
            Operator::Else => elses[*open.last()?] = i,
            Operator::End => match open.pop() {
                Some(at) => ends[at] = i,
                None => ends[i] = i,
            },
            Operator::Try { .. }
            | Operator::TryTable { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Rethrow { .. }
            | Operator::Delegate { .. }
            | Operator::Catch { .. }
            | Operator::CatchAll => return None,
            _ => {}
        }
    }
    // Labels in scope, innermost last: where a branch to each goes.
    let mut labels: Vec<usize> = Vec::new();
    let mut opener_of_else = Vec::new();
    let mut succ = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let target = |labels: &[usize], depth: u32| -> usize {
            labels
                .len()
                .checked_sub(depth as usize + 1)
                .map_or(exit, |at| labels[at])
        };
        let next = i + 1;
        let s = match *op {
            Operator::Block { .. } => {
                labels.push(ends[i] + 1);
                opener_of_else.push(i);
                vec![next]
            }
            Operator::Loop { .. } => {
                labels.push(next);
                opener_of_else.push(i);
                vec![next]
            }
            Operator::If { .. } => {
                labels.push(ends[i] + 1);
                opener_of_else.push(i);
                let otherwise = if elses[i] == usize::MAX {
                    ends[i]
                } else {
                    elses[i] + 1
                };
                vec![next, otherwise]
            }
            // The end of a `then` branch: on to the `end`.
            Operator::Else => vec![ends[*opener_of_else.last()?]],
            Operator::End => {
                labels.pop();
                opener_of_else.pop();
                vec![next.min(exit)]
            }
            Operator::Br { relative_depth } => vec![target(&labels, relative_depth)],
            Operator::BrIf { relative_depth }
            | Operator::BrOnNull { relative_depth }
            | Operator::BrOnNonNull { relative_depth }
            | Operator::BrOnCast { relative_depth, .. }
            | Operator::BrOnCastFail { relative_depth, .. }
            | Operator::BrOnCastDescEq { relative_depth, .. }
            | Operator::BrOnCastDescEqFail { relative_depth, .. } => {
                vec![next, target(&labels, relative_depth)]
            }
            Operator::BrTable { ref targets } => {
                let mut all = vec![target(&labels, targets.default())];
                for t in targets.targets() {
                    all.push(target(&labels, t.ok()?));
                }
                all
            }
            Operator::Return
            | Operator::Unreachable
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => vec![exit],
            _ => vec![next],
        };
        succ.push(s);
    }
    Some(succ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{Parser, Payload};

    /// The locals live after the calls to function 0 in the first body of
    /// `wat`.
    fn live(wat: &str) -> Option<BTreeSet<u32>> {
        let wasm = wat::parse_str(wat).expect("parses");
        for payload in Parser::new(0).parse_all(&wasm) {
            if let Ok(Payload::CodeSectionEntry(body)) = payload {
                let locals: u32 = body
                    .get_locals_reader()
                    .expect("locals")
                    .into_iter()
                    .map(|l| l.expect("local").0)
                    .sum::<u32>()
                    + 1;
                let ops: Vec<Operator<'_>> = body
                    .get_operators_reader()
                    .expect("ops")
                    .into_iter()
                    .map(|o| o.expect("op"))
                    .collect();
                let calls = ops
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| matches!(o, Operator::Call { function_index: 0 }))
                    .map(|(i, _)| i)
                    .collect();
                return live_after(&ops, locals, &calls);
            }
        }
        panic!("no body")
    }

    #[test]
    fn only_locals_read_after_a_call_before_a_write_are_live() {
        // 0: the parameter, read after; 1: used before only; 2: written
        // after the call before its read; 3: read in the loop's next
        // iteration (back edge); 4: read on a branch out of a block.
        let got = live(
            r#"(module
              (import "" "s" (func))
              (func (param i32) (local i32 i32 i32 i32)
                (local.set 1 (i32.const 1)) (drop (local.get 1))
                (local.set 3 (i32.const 3))
                (local.set 4 (i32.const 4))
                (block $out
                  (loop $again
                    (drop (local.get 3))
                    (call 0)
                    (local.set 3 (i32.const 0))
                    (br_if $out (local.get 0))
                    (local.set 2 (i32.const 2)) (drop (local.get 2))
                    (br $again)))
                (drop (local.get 4))))"#,
        );
        assert_eq!(got, Some(BTreeSet::from([0, 4])));
        // Without the write after the call, 3 is live around the back edge.
        let got = live(
            r#"(module
              (import "" "s" (func))
              (func (param i32) (local i32)
                (loop $again
                  (drop (local.get 1))
                  (call 0)
                  (br_if $again (local.get 0)))))"#,
        );
        assert_eq!(got, Some(BTreeSet::from([0, 1])));
    }

    #[test]
    fn exception_handling_is_not_analysed() {
        let got = live(
            r#"(module
              (import "" "s" (func))
              (tag $t)
              (func (local i32)
                (block $h (try_table (catch_all $h) (call 0)))
                (drop (local.get 0))))"#,
        );
        assert_eq!(got, None);
    }
}
