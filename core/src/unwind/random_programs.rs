//! Random structured programs, each run as written and transformed (see
//! `tests.rs`): nested blocks, loops, ifs, branches carrying values out of
//! blocks that suspend, `br_table`, operands live across calls, chains of
//! calls, every numeric local type, and references to a GC struct live
//! across calls: in a non-nullable and a nullable local, on the operand
//! stack under a call's operand, as a block's result, as the result of a
//! function that suspends. Deterministic from the seed.

use super::tests::same_with_tables;

/// SplitMix64: small, deterministic, good enough to shape programs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One function being written: its index, what it may call, the labels
/// in scope, and which of them a plain branch may target (not loops: a
/// branch back would skip the loop's counter; not blocks with a value).
struct Writer<'r> {
    rng: &'r mut Rng,
    func: usize,
    funcs: usize,
    labels: Vec<(String, bool)>,
    fresh: usize,
    loops: usize,
    budget: usize,
}

impl Writer<'_> {
    fn label(&mut self, plain: bool) -> String {
        self.fresh += 1;
        let name = format!("$l{}", self.fresh);
        self.labels.push((name.clone(), plain));
        name
    }

    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        true
    }

    /// An i32 expression.
    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || !self.spend() {
            return match self.rng.below(4) {
                0 => format!("(i32.const {})", self.rng.below(50)),
                1 => "(local.get $p)".into(),
                2 => "(local.get $a)".into(),
                _ => "(i32.wrap_i64 (local.get $b))".into(),
            };
        }
        let d = depth - 1;
        match self.rng.below(13) {
            0 | 1 => format!("(call $suspend {})", self.expr(d)),
            2 if self.func + 1 < self.funcs => {
                let callee =
                    self.func + 1 + self.rng.below((self.funcs - self.func - 1) as u64) as usize;
                format!("(call $f{callee} {})", self.expr(d))
            }
            3 => format!("(i32.add {} {})", self.expr(d), self.expr(d)),
            4 => format!(
                "(i32.xor {} (i32.mul {} (i32.const 7)))",
                self.expr(d),
                self.expr(d)
            ),
            5 => format!(
                "(if (result i32) (i32.and {} (i32.const 1)) (then {}) (else {}))",
                self.expr(d),
                self.expr(d),
                self.expr(d)
            ),
            6 => {
                let l = self.label(false);
                let body = self.stmts(d);
                let out = self.expr(d);
                self.labels.pop();
                format!("(block {l} (result i32) {body} {out})")
            }
            7 => format!(
                "(i32.wrap_i64 (i64.add (i64.extend_i32_u {}) (local.get $b)))",
                self.expr(d)
            ),
            // the reference below the operand while it runs
            9 => format!("(call $use (local.get $r) {})", self.expr(d)),
            // a non-nullable result of a function that suspends
            12 => format!("(struct.get $box 0 (call $boxed {}))", self.expr(d)),
            10 => format!(
                "(if (result i32) (ref.is_null (local.get $n)) (then {}) \
                 (else (struct.get $box 0 (local.get $n))))",
                self.expr(d)
            ),
            11 => {
                let l = self.label(false);
                let body = self.stmts(d);
                let chosen = self.expr(d);
                self.labels.pop();
                format!(
                    "(struct.get $box 0 (block {l} (result (ref $box)) {body} \
                     (select (result (ref $box)) (local.get $r) (struct.new $box (i32.const 9)) \
                     (i32.and {chosen} (i32.const 1)))))"
                )
            }
            _ => format!(
                "(select {} {} {})",
                self.expr(d),
                self.expr(d),
                self.expr(d)
            ),
        }
    }

    fn stmts(&mut self, depth: usize) -> String {
        let n = self.rng.below(4);
        (0..n)
            .map(|_| self.stmt(depth))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn stmt(&mut self, depth: usize) -> String {
        if depth == 0 || !self.spend() {
            return format!("(call $step (i64.extend_i32_u {}))", self.expr(0));
        }
        let d = depth - 1;
        match self.rng.below(13) {
            0 | 1 => format!("(call $step (i64.extend_i32_u {}))", self.expr(d)),
            2 => format!("(local.set $a {})", self.expr(d)),
            3 => format!("(local.set $b (i64.extend_i32_s {}))", self.expr(d)),
            4 => format!(
                "(if (i32.and {} (i32.const 1)) (then {}) (else {}))",
                self.expr(d),
                self.stmts(d),
                self.stmts(d)
            ),
            5 => {
                let l = self.label(true);
                let body = self.stmts(d);
                let cond = self.expr(d);
                let rest = self.stmts(d);
                self.labels.pop();
                format!("(block {l} {body} (br_if {l} (i32.and {cond} (i32.const 1))) {rest})")
            }
            6 if self.loops < 3 => {
                let counter = format!("$c{}", self.loops);
                self.loops += 1;
                let l = self.label(false);
                let body = self.stmts(d);
                self.labels.pop();
                let times = 1 + self.rng.below(3);
                format!(
                    "(local.set {counter} (i32.const 0)) (loop {l} {body} \
                     (local.set {counter} (i32.add (local.get {counter}) (i32.const 1))) \
                     (br_if {l} (i32.lt_u (local.get {counter}) (i32.const {times}))))"
                )
            }
            7 => {
                // A branch out of the innermost enclosing blocks, by table.
                let targets: Vec<String> = self
                    .labels
                    .iter()
                    .rev()
                    .filter(|(_, plain)| *plain)
                    .take(3)
                    .map(|(name, _)| name.clone())
                    .collect();
                let l = self.label(true);
                let body = self.stmts(d);
                let index = self.expr(d);
                self.labels.pop();
                let mut all = vec![l.clone()];
                all.extend(targets);
                let table = all.join(" ");
                format!(
                    "(block {l} {body} (if (i32.eqz (i32.and {index} (i32.const 3))) \
                     (then (br_table {table} (i32.const 0)))))"
                )
            }
            8 => {
                // A value carried out of a block that can suspend.
                let l = self.label(false);
                let body = self.stmts(d);
                let value = self.expr(d);
                let cond = self.expr(d);
                let rest = self.stmts(d);
                let out = self.expr(d);
                self.labels.pop();
                format!(
                    "(local.set $a (block {l} (result i32) {body} \
                     (drop (br_if {l} {value} (i32.and {cond} (i32.const 1)))) {rest} {out}))"
                )
            }
            9 => format!("(local.set $n (struct.new $box {}))", self.expr(d)),
            10 => format!(
                "(struct.set $box 0 (local.get $r) (i32.add (struct.get $box 0 (local.get $r)) {}))",
                self.expr(d)
            ),
            11 => format!(
                "(if (i32.and {} (i32.const 1)) (then (local.set $n (ref.null $box))) \
                 (else (local.set $r (struct.new $box (i32.const 5)))))",
                self.expr(d)
            ),
            _ => format!(
                "(local.set $f (f64.add (local.get $f) (f64.convert_i32_u {})))",
                self.expr(d)
            ),
        }
    }
}

fn program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let funcs = 1 + rng.below(4) as usize;
    let mut out = String::from(
        "(type $box (struct (field (mut i32))))\n\
         (func $use (param $r (ref $box)) (param $v i32) (result i32) \
           (i32.add (struct.get $box 0 (local.get $r)) (local.get $v)))\n\
         (func $boxed (param $v i32) (result (ref $box)) \
           (struct.new $box (call $suspend (local.get $v))))\n",
    );
    for func in 0..funcs {
        let mut w = Writer {
            rng: &mut rng,
            func,
            funcs,
            labels: Vec::new(),
            fresh: 0,
            loops: 0,
            budget: 40,
        };
        let body = w.stmts(4);
        let result = w.expr(3);
        out.push_str(&format!(
            "(func $f{func} (param $p i32) (result i32) \
               (local $a i32) (local $b i64) (local $f f64) (local $c0 i32) (local $c1 i32) (local $c2 i32) \
               (local $r (ref $box)) (local $n (ref null $box)) \
               (local.set $b (i64.const 3)) (local.set $r (struct.new $box (local.get $p))) {body} \
               (call $step (i64.trunc_sat_f64_s (local.get $f))) \
               (call $step (i64.extend_i32_u (struct.get $box 0 (local.get $r)))) {result})\n"
        ));
    }
    out.push_str("(func $entry (result i32) (call $f0 (i32.const 1)))\n");
    out
}

#[test]
fn random_programs_run_the_same_transformed() {
    let (mut suspended, mut saving_references) = (0, 0);
    for seed in 0..300 {
        let text = program(seed);
        let result = std::panic::catch_unwind(|| same_with_tables(&text));
        match result {
            Ok((n, tables)) => {
                suspended += u64::from(n);
                saving_references += usize::from(tables > 0);
            }
            Err(e) => {
                eprintln!("seed {seed}:\n{text}");
                std::panic::resume_unwind(e);
            }
        }
    }
    // The programs suspend, often: the comparison is not vacuous.
    eprintln!(
        "300 programs suspended {suspended} times in all; \
         {saving_references} saved references"
    );
    assert!(suspended > 300, "{suspended}");
    assert!(saving_references > 100, "{saving_references}");
}
