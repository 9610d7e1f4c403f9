//! Programs that stress memory accesses, for the differential run of
//! `--memory shared`'s rewrite (`tests/tests/fuzz.rs`).
//!
//! `wasm-smith`'s code seldom reaches the cases the rewrite reasons about:
//! its addresses are random 32-bit values, so nearly every access traps at
//! once. A [`component`] here is one component of two core modules (the
//! second importing the first's functions), each with one to three small
//! memories, whose exported functions (two `u32` parameters, a `u64`
//! result) compute addresses near the memories' ends (from the
//! parameters, constants around page boundaries, `memory.size`), keep
//! them in locals, and access them with offsets that cross those ends:
//! loads of every width (into an accumulator the function returns, so
//! what was read shows), stores, SIMD loads and stores with lanes,
//! `memory.grow`, `memory.fill`, `memory.copy` between memories,
//! `memory.init` from a passive segment (and `data.drop`), and the
//! same local accessed again after a check, inside blocks, loops (each
//! bounded by its own counter), `if`s, `br_if`s and `br_table`s, early
//! returns and calls. Every call ends; state carries over between calls
//! (the memories and a global), so a store that landed in another
//! memory shows in a later load.

use arbitrary::{Result, Unstructured};
use meld_core::{MemoryStrategy, Options};
use std::fmt::Write;

use crate::harness::{CompareOptions, compare};

/// Most statements in one function, nested ones included.
const STATEMENTS: u32 = 40;
/// Deepest nesting of blocks.
const DEPTH: u32 = 4;
/// Locals holding addresses, per function.
const ADDRESSES: u32 = 4;

/// Calls made by [`run`], and how many of them returned (the others
/// trapped, on both sides).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ran {
    pub calls: usize,
    pub returned: usize,
}

/// The [`component`] `data` stands for, fused with each of `strategies`
/// and compared with the original by the differential harness (twelve
/// calls per function). An error when fusion fails or the two differ,
/// with the generated text.
pub fn run(data: &[u8], strategies: &[MemoryStrategy]) -> anyhow::Result<Ran> {
    let text = component(&mut Unstructured::new(data))?;
    let original = wat::parse_str(&text)
        .map_err(|e| anyhow::anyhow!("the generated text does not parse: {e}\n{text}"))?;
    let options = CompareOptions {
        calls_per_function: 12,
        mismatches_per_function: 2,
        ..CompareOptions::default()
    };
    let mut ran = Ran::default();
    for &memory in strategies {
        let fused = meld_core::fuse(
            &[&original],
            &Options {
                memory,
                ..Options::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("{memory:?}: {e}\n{text}"))?
        .wasm;
        let report = compare(&original, &fused, &options)?;
        if !report.is_clean() {
            anyhow::bail!("{memory:?}: original and fused differ:\n{report}\n{text}");
        }
        ran.calls += report.calls;
        ran.returned += report.returned;
    }
    Ok(ran)
}

/// A component of two generated modules, as WAT text.
pub fn component(u: &mut Unstructured<'_>) -> Result<String> {
    let simd = u.arbitrary()?;
    let first = Module::generate(u, 0, &[], simd)?;
    let imports: Vec<String> = (0..first.funcs).map(|f| format!("f{f}")).collect();
    let second = Module::generate(u, 1, &imports, simd)?;
    let mut out = String::from("(component\n");
    for m in [&first, &second] {
        out.push_str(&m.text);
    }
    out.push_str("  (core instance $i0 (instantiate $m0))\n");
    out.push_str("  (core instance $i1 (instantiate $m1 (with \"m0\" (instance $i0))))\n");
    for (k, m) in [&first, &second].into_iter().enumerate() {
        for f in 0..m.funcs {
            let _ = writeln!(
                out,
                "  (func $m{k}f{f} (param \"a\" u32) (param \"b\" u32) (result u64) \
                 (canon lift (core func $i{k} \"f{f}\")))\n  (export \"m{k}-f{f}\" (func $m{k}f{f}))"
            );
        }
    }
    out.push_str(")\n");
    Ok(out)
}

/// One generated core module.
struct Module {
    text: String,
    /// Exported functions `f0`.., each `(i32, i32) -> i64`.
    funcs: u32,
}

impl Module {
    fn generate(
        u: &mut Unstructured<'_>,
        k: usize,
        imports: &[String],
        simd: bool,
    ) -> Result<Self> {
        let mut memories = Vec::new();
        for _ in 0..u.int_in_range(1..=3)? {
            let initial = u.int_in_range(0..=2u32)?;
            memories.push((initial, initial + u.int_in_range(0..=2u32)?));
        }
        let funcs = u.int_in_range(1..=3u32)?;
        let mut text = format!("  (core module $m{k}\n");
        let ty = "(param i32 i32) (result i64)";
        for name in imports {
            let _ = writeln!(
                text,
                "    (import \"m0\" \"{name}\" (func ${name}_in {ty}))"
            );
        }
        for (j, (initial, max)) in memories.iter().enumerate() {
            let _ = writeln!(text, "    (memory $mem{j} {initial} {max})");
        }
        let _ = writeln!(text, "    (global $g (mut i32) (i32.const 0))");
        let bytes: [u8; 16] = u.arbitrary()?;
        let _ = writeln!(text, "    (data $passive \"{}\")", escape(&bytes));
        for (j, (initial, _)) in memories.iter().enumerate() {
            // a few bytes that loads find, inside the memory
            if *initial > 0 {
                let at = u.int_in_range(0..=initial * PAGE - 16)?;
                let bytes: [u8; 16] = u.arbitrary()?;
                let _ = writeln!(
                    text,
                    "    (data (memory $mem{j}) (i32.const {at}) \"{}\")",
                    escape(&bytes)
                );
            }
        }
        // Functions it may call: the ones before it and the imports, with
        // whether they return two values.
        let mut callable: Vec<(String, bool)> = imports
            .iter()
            .map(|n| (format!("${n}_in"), false))
            .collect();
        let locals: String = (0..ADDRESSES)
            .map(|j| format!(" (local $a{j} i32)"))
            .chain(simd.then(|| " (local $v v128)".to_string()))
            .collect();
        for f in 0..funcs {
            // now and then a function of two results first (not exported:
            // the others call it), whose body the rewrite cannot wrap in
            // a block of its result, so its checks trap where they are
            let pair = u.ratio(1, 3)?;
            for (name, results) in [(format!("$p{f}"), 2), (format!("$f{f}"), 1)] {
                if results == 2 && !pair {
                    continue;
                }
                let mut g = Func {
                    u,
                    memories: &memories,
                    callable: callable.clone(),
                    simd,
                    results,
                    statements: 0,
                    labels: Vec::new(),
                    next_label: 0,
                    loops: 0,
                };
                let mut body = String::new();
                while g.statements < STATEMENTS && g.u.ratio(7, 8)? {
                    body.push_str(&g.statement(0)?);
                }
                let counters: String = (0..g.loops)
                    .map(|l| format!(" (local $n{l} i32)"))
                    .collect();
                let (export, ty) = match results {
                    1 => (format!("(export \"f{f}\") "), ty.to_string()),
                    _ => (
                        String::new(),
                        "(param i32 i32) (result i64 i64)".to_string(),
                    ),
                };
                let _ = writeln!(
                    text,
                    "    (func {name} {export}{ty}\n      (local $acc i64){locals}{counters}\n{body}      {})",
                    Func::results(results)
                );
                callable.push((name, results == 2));
            }
        }
        text.push_str("  )\n");
        Ok(Module { text, funcs })
    }
}

const PAGE: u32 = 1 << 16;

/// `bytes` as a WAT string's contents.
fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A load, and how its value widens to the accumulator's `i64`.
#[derive(Clone, Copy)]
struct Load {
    op: &'static str,
    size: u64,
    /// Instructions around it, innermost last.
    widen: &'static [&'static str],
}

impl Load {
    fn text(self, m: usize, at: &str, offset: u64) -> String {
        let mut text = format!("({} $mem{m} offset={offset} {at})", self.op);
        for w in self.widen.iter().rev() {
            text = format!("({w} {text})");
        }
        text
    }
}

const LOADS: [Load; 8] = [
    Load {
        op: "i32.load",
        size: 4,
        widen: &["i64.extend_i32_u"],
    },
    Load {
        op: "i32.load8_u",
        size: 1,
        widen: &["i64.extend_i32_u"],
    },
    Load {
        op: "i32.load16_s",
        size: 2,
        widen: &["i64.extend_i32_s"],
    },
    Load {
        op: "i64.load",
        size: 8,
        widen: &[],
    },
    Load {
        op: "i64.load32_u",
        size: 4,
        widen: &[],
    },
    Load {
        op: "i64.load8_s",
        size: 1,
        widen: &[],
    },
    Load {
        op: "f64.load",
        size: 8,
        widen: &["i64.reinterpret_f64"],
    },
    Load {
        op: "f32.load",
        size: 4,
        widen: &["i64.extend_i32_u", "i32.reinterpret_f32"],
    },
];

/// The generator of one function's body.
struct Func<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    /// Initial and maximum pages of each memory.
    memories: &'a [(u32, u32)],
    /// Functions it may call (ones defined before it, and imports), and
    /// whether they return two values.
    callable: Vec<(String, bool)>,
    simd: bool,
    /// How many values the function returns (1 or 2).
    results: u32,
    statements: u32,
    /// The labels of the blocks around (only blocks: a branch to a loop
    /// would go round again without counting down).
    labels: Vec<String>,
    next_label: u32,
    /// Loop counters made (`$n0`..).
    loops: u32,
}

impl Func<'_, '_> {
    fn memory(&mut self) -> Result<usize> {
        self.u.choose_index(self.memories.len())
    }

    /// An address local and the memory an access through it uses: mostly
    /// the local's own (`$a{j}` goes with memory `j % memories`), so that
    /// one access's check may cover the next.
    fn target(&mut self) -> Result<(String, usize)> {
        let j = self.u.int_in_range(0..=ADDRESSES - 1)?;
        let memory = match self.u.ratio(3, 4)? {
            true => j as usize % self.memories.len(),
            false => self.memory()?,
        };
        Ok((format!("$a{j}"), memory))
    }

    /// An address for `local` (accessing `memory`): mostly inside the
    /// memory's initial size, else near a page's or the memory's end, or
    /// from the parameters, or a sum of another address local.
    fn address(&mut self, local: &str, memory: usize) -> Result<String> {
        let inside = self.memories[memory].0 * PAGE;
        Ok(match self.u.int_in_range(0..=14u8)? {
            0..=4 if inside > 0 => format!("(i32.const {})", self.u.int_in_range(0..=inside - 1)?),
            5 => format!(
                "(i32.and (local.get {}) (i32.const {}))",
                self.u.int_in_range(0..=1)?,
                self.u
                    .choose(&[0xff, 0xffff, 0x1_ffff, 0x3_ffff, 0xffff_fff0u32])?
            ),
            6 => format!(
                "(i32.sub (i32.shl (memory.size $mem{memory}) (i32.const 16)) (i32.const {}))",
                self.u.choose(&[0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 100])?
            ),
            7 | 8 => format!(
                "(i32.add (local.get {local}) (i32.const {}))",
                self.u
                    .choose(&[1, 4, 8, 16, 100, -1, -8, 65536, -65536i32])?
            ),
            9 => format!("(local.get $a{})", self.u.int_in_range(0..=ADDRESSES - 1)?),
            10 => "(global.get $g)".to_string(),
            // another local plus a constant, or the larger or smaller of
            // two such sums; a sum of constants
            11 => {
                let other = self.u.int_in_range(0..=ADDRESSES - 1)?;
                format!(
                    "(i32.add (local.get $a{other}) (i32.const {}))",
                    self.delta()?
                )
            }
            12 => {
                let other = self.u.int_in_range(0..=ADDRESSES - 1)?;
                format!(
                    "(select (i32.add (local.get $a{other}) (i32.const {})) (i32.add (local.get $a{other}) (i32.const {})) {})",
                    self.delta()?,
                    self.delta()?,
                    self.condition()?
                )
            }
            13 => format!(
                "(i32.add (i32.const {}) (i32.const {}))",
                self.constant()?,
                self.delta()?
            ),
            _ => format!("(i32.const {})", self.constant()?),
        })
    }

    /// A number added to an address: mostly small, now and then one
    /// that takes it back or across a page, or wraps.
    fn delta(&mut self) -> Result<i32> {
        Ok(*self
            .u
            .choose(&[0, 1, 4, 8, 12, 16, 24, 100, -4, -8, 65536, i32::MIN])?)
    }

    fn constant(&mut self) -> Result<u32> {
        let page = self.u.int_in_range(0..=4u32)? * PAGE;
        let near = *self.u.choose(&[0u32, 1, 2, 4, 7, 8, 15, 16, 100])?;
        Ok(match self.u.arbitrary()? {
            true => page.wrapping_sub(near),
            false => page.wrapping_add(near),
        })
    }

    /// Mostly small offsets (an access next to the one before), now and
    /// then one past a page or near 4 GiB.
    fn offset(&mut self) -> Result<u64> {
        Ok(match self.u.ratio(4, 5)? {
            true => *self.u.choose(&[0, 0, 1, 2, 4, 8, 12, 16])?,
            false => *self.u.choose(&[100, 65535, 65536, 131072, 0xffff_fff0])?,
        })
    }

    /// Where an access through `local` takes its address from: the
    /// local's value (as the rewrite reuses checks for), a `local.tee`, or
    /// an expression.
    fn at(&mut self, local: &str, memory: usize) -> Result<String> {
        Ok(match self.u.int_in_range(0..=5u8)? {
            0..=3 => format!("(local.get {local})"),
            4 => format!("(local.tee {local} {})", self.address(local, memory)?),
            _ => self.address(local, memory)?,
        })
    }

    /// A condition that mostly depends on the arguments, so that the
    /// harness's calls take both ways.
    fn condition(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=5u8)? {
            0 | 1 => format!(
                "(i32.and (local.get {}) (i32.const 1))",
                self.u.int_in_range(0..=1)?
            ),
            2 => format!("(i32.lt_u (local.get 0) (i32.const {}))", self.constant()?),
            3 => format!(
                "(i32.lt_u (local.get $a{}) (i32.const {}))",
                self.u.int_in_range(0..=ADDRESSES - 1)?,
                self.constant()?
            ),
            4 => "(i32.wrap_i64 (local.get $acc))".to_string(),
            _ => format!("(i32.const {})", self.u.int_in_range(0..=1)?),
        })
    }

    fn fold(&self, value: &str) -> String {
        format!(
            "        (local.set $acc (i64.add (i64.rotl (local.get $acc) (i64.const 7)) {value}))\n"
        )
    }

    fn statement(&mut self, depth: u32) -> Result<String> {
        self.statements += 1;
        let nested = depth < DEPTH && self.statements < STATEMENTS;
        let choice = self.u.int_in_range(0..=if nested { 20 } else { 13 })?;
        let (local, m) = self.target()?;
        let memory = format!("$mem{m}");
        if self.u.ratio(1, 16)? {
            return self.moved(&local, m);
        }
        Ok(match choice {
            0..=2 => {
                format!("        (local.set {local} {})\n", self.address(&local, m)?)
            }
            3..=5 => self.load(&local, m)?,
            6 => self.neighbours(&local, m)?,
            7 | 8 => {
                let offset = self.offset()?;
                let at = self.at(&local, m)?;
                let (store, value) = *self.u.choose(&[
                    ("i32.store", "(i32.wrap_i64 (local.get $acc))"),
                    ("i32.store8", "(local.get 0)"),
                    ("i32.store16", "(i32.const 0x5a5a)"),
                    ("i64.store", "(local.get $acc)"),
                    ("i64.store32", "(i64.add (local.get $acc) (i64.const 3))"),
                    ("f64.store", "(f64.reinterpret_i64 (local.get $acc))"),
                ])?;
                format!("        ({store} {memory} offset={offset} {at} {value})\n")
            }
            9 if self.simd => {
                let offset = self.offset()?;
                let at = self.at(&local, m)?;
                match self.u.int_in_range(0..=4u8)? {
                    0 => {
                        format!(
                            "        (local.set $v (v128.load {memory} offset={offset} {at}))\n"
                        ) + &self.fold("(i64x2.extract_lane 1 (local.get $v))")
                    }
                    1 => {
                        format!(
                            "        (local.set $v (v128.load16_lane {memory} offset={offset} 3 {at} (local.get $v)))\n"
                        ) + &self.fold("(i64x2.extract_lane 0 (local.get $v))")
                    }
                    2 => self.fold(&format!(
                        "(i64x2.extract_lane 0 (v128.load32_splat {memory} offset={offset} {at}))"
                    )),
                    3 => format!(
                        "        (v128.store {memory} offset={offset} {at} (local.get $v))\n"
                    ),
                    _ => format!(
                        "        (v128.store64_lane {memory} offset={offset} 1 {at} (i64x2.splat (local.get $acc)))\n"
                    ),
                }
            }
            9 | 10 => {
                let delta = self.u.int_in_range(0..=2)?;
                self.fold(&format!(
                    "(i64.extend_i32_s (memory.grow {memory} (i32.const {delta})))"
                ))
            }
            11 => {
                let len = *self.u.choose(&[
                    "(i32.const 0)",
                    "(i32.const 1)",
                    "(i32.const 8)",
                    "(i32.const 100)",
                    "(local.get 1)",
                ])?;
                let at = self.at(&local, m)?;
                match self.u.int_in_range(0..=4u8)? {
                    0 | 1 => {
                        format!("        (memory.fill {memory} {at} (i32.const 0x77) {len})\n")
                    }
                    2 | 3 => {
                        let (from, other) = self.target()?;
                        let from = self.at(&from, other)?;
                        format!("        (memory.copy {memory} $mem{other} {at} {from} {len})\n")
                    }
                    // the passive segment's 16 bytes (after a `data.drop`,
                    // none: anything but a length of 0 traps)
                    _ => match self.u.ratio(1, 6)? {
                        true => "        (data.drop $passive)\n".to_string(),
                        false => {
                            let from = self.u.choose(&[0, 4, 15, 16])?;
                            format!(
                                "        (memory.init {memory} $passive {at} (i32.const {from}) {len})\n"
                            )
                        }
                    },
                }
            }
            12 => {
                format!("        (global.set $g (local.get {local}))\n")
            }
            13 => match self.callable.is_empty() {
                true => self.fold("(i64.extend_i32_u (memory.size $mem0))"),
                false => {
                    let (f, pair) = self.u.choose(&self.callable)?.clone();
                    let a = self.address(&local, m)?;
                    let call = format!("(call {f} {a} (local.get 1))");
                    self.fold(&match pair {
                        true => format!("(i64.xor {call})"),
                        false => call,
                    })
                }
            },
            14 | 15 => {
                let label = self.label();
                self.labels.push(label.clone());
                // often a branch out first that skips an access, and the
                // same access after the block: only the path that made the
                // check may count on it
                let skip = self.u.arbitrary()?;
                let mut s = format!("        (block {label}\n");
                if skip {
                    s += &format!("        (br_if {label} {})\n", self.condition()?);
                    s += &self.load(&local, m)?;
                }
                for _ in 0..self.u.int_in_range(usize::from(!skip)..=3)? {
                    s += &self.statement(depth + 1)?;
                    if self.u.ratio(1, 4)? {
                        let target = self.u.choose(&self.labels)?.clone();
                        s += &format!("        (br_if {target} {})\n", self.condition()?);
                    }
                }
                self.labels.pop();
                s += "        )\n";
                if skip {
                    s += &self.load(&local, m)?;
                }
                s
            }
            16 => {
                let counter = format!("$n{}", self.loops);
                self.loops += 1;
                let turns = self.u.int_in_range(1..=5)?;
                let label = self.label();
                let walk = self.u.ratio(2, 3)?;
                // often the local set a little before the memory's end and
                // an access before the loop, whose check the loop's
                // accesses must not count on once the loop moves the local
                let mut s = String::new();
                if walk && self.u.arbitrary()? {
                    let before = self.u.choose(&[8, 16, 100, 4096])?;
                    s += &format!(
                        "        (local.set {local} (i32.sub (i32.shl (memory.size $mem{m}) (i32.const 16)) (i32.const {before})))\n"
                    );
                }
                if self.u.arbitrary()? {
                    s += &self.load(&local, m)?;
                }
                s += &format!(
                    "        (local.set {counter} (i32.const {turns}))\n        (loop {label}\n"
                );
                // (a branch out of the loop must leave a block around it)
                for _ in 0..self.u.int_in_range(1..=3)? {
                    s += &match self.u.arbitrary()? {
                        true => self.load(&local, m)?,
                        false => self.statement(depth + 1)?,
                    };
                }
                // a walk: the local moves on each turn
                if walk {
                    let stride = self.u.choose(&[1, 4, 8, 100, 4096, 32768, 65536, -8i32])?;
                    s += &format!(
                        "        (local.set {local} (i32.add (local.get {local}) (i32.const {stride})))\n"
                    );
                }
                s + &format!(
                    "        (br_if {label} (local.tee {counter} (i32.sub (local.get {counter}) (i32.const 1)))))\n"
                )
            }
            17 | 18 => {
                // often an access through the same local in both arms: the
                // `else` must not count on the `then`'s check
                let both = self.u.arbitrary()?;
                let mut s = format!("        (if {}\n          (then\n", self.condition()?);
                if both {
                    s += &self.load(&local, m)?;
                }
                for _ in 0..self.u.int_in_range(0..=2)? {
                    s += &self.statement(depth + 1)?;
                }
                s += "          )\n          (else\n";
                if both {
                    s += &self.load(&local, m)?;
                }
                for _ in 0..self.u.int_in_range(0..=2)? {
                    s += &self.statement(depth + 1)?;
                }
                s + "          ))\n"
            }
            19 => {
                // br_table over the blocks around, and two of its own
                let (a, b) = (self.label(), self.label());
                self.labels.extend([a.clone(), b.clone()]);
                let mut targets = String::new();
                for _ in 0..self.u.int_in_range(1..=4)? {
                    targets += &format!(" {}", self.u.choose(&self.labels)?);
                }
                let mut s = format!(
                    "        (block {a}\n        (block {b}\n        (br_table{targets} {b} (i32.and (local.get 0) (i32.const 7)))\n        )\n"
                );
                self.labels.pop();
                s += &self.statement(depth + 1)?;
                self.labels.pop();
                s + "        )\n"
            }
            _ => format!(
                "        (if {} (then (return {})))\n",
                self.condition()?,
                Func::results(self.results)
            ),
        })
    }

    /// `local` set to another address local plus a number, often after a
    /// read through that local (whose check covers `local` only as far as
    /// the number leaves) and before it moves and is read through again
    /// (whose check then does not count for `local`); then `local` read
    /// through.
    fn moved(&mut self, local: &str, m: usize) -> Result<String> {
        let other = format!("$a{}", self.u.int_in_range(0..=ADDRESSES - 1)?);
        let mut s = String::new();
        // often the other local a little before the memory's end first
        if self.u.arbitrary()? {
            s += &format!(
                "        (local.set {other} (i32.sub (i32.shl (memory.size $mem{m}) (i32.const 16)) (i32.const {})))\n",
                self.u.choose(&[0, 4, 8, 16, 24])?
            );
        }
        // a read before, a move after, or both
        let (before, after) = *self
            .u
            .choose(&[(true, false), (false, true), (true, true)])?;
        if before {
            s += &self.load(&other, m)?;
        }
        s += &format!(
            "        (local.set {local} (i32.add (local.get {other}) (i32.const {})))\n",
            self.delta()?
        );
        if other != local && after {
            s += &format!("        (local.set {other} {})\n", self.address(&other, m)?);
            s += &self.load(&other, m)?;
        }
        Ok(s + &self.load(local, m)?)
    }

    /// A load through `local` from memory `m`, folded into `$acc`.
    fn load(&mut self, local: &str, m: usize) -> Result<String> {
        let offset = self.offset()?;
        let at = self.at(local, m)?;
        self.load_at(m, &at, offset)
    }

    /// A load from memory `m` at `at` and `offset`, folded into `$acc`.
    fn load_at(&mut self, m: usize, at: &str, offset: u64) -> Result<String> {
        let load = *self.u.choose(&LOADS)?;
        Ok(self.fold(&load.text(m, at, offset)))
    }

    /// Two or three loads through `local` a few bytes apart, each ending
    /// a byte before, at or after where the one before ended, often right
    /// after `local` was set a few bytes before the memory's end: the
    /// first check covers the next ones exactly as far as it reached.
    fn neighbours(&mut self, local: &str, m: usize) -> Result<String> {
        let mut s = String::new();
        let mut end = self.u.int_in_range(1..=9u64)?;
        if self.u.arbitrary()? {
            s += &format!(
                "        (local.set {local} (i32.sub (i32.shl (memory.size $mem{m}) (i32.const 16)) (i32.const {end})))\n"
            );
        }
        let at = format!("(local.get {local})");
        for _ in 0..self.u.int_in_range(2..=3)? {
            let load = *self.u.choose(&LOADS)?;
            let offset = end.saturating_sub(load.size);
            // now and then the same address in another memory, whose
            // check the first does not make
            let m = match self.u.ratio(1, 3)? {
                true => self.memory()?,
                false => m,
            };
            s += &self.fold(&load.text(m, &at, offset));
            end = offset + load.size + self.u.int_in_range(0..=2)?;
            end = end.saturating_sub(1).max(1);
        }
        Ok(s)
    }

    /// What a function of `results` values returns: the accumulator, and
    /// an address local as the second.
    fn results(results: u32) -> &'static str {
        match results {
            1 => "(local.get $acc)",
            _ => "(local.get $acc) (i64.extend_i32_u (local.get $a0))",
        }
    }

    fn label(&mut self) -> String {
        self.next_label += 1;
        format!("$l{}", self.next_label)
    }
}
