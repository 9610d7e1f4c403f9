//! Chains of many components passing a string along, generated as WAT.
//!
//! [`string_chain`]`(n)` is one composition of `n` distinct components,
//! each with a memory of its own (one page, no maximum) and a bump
//! allocator that its post-return resets. The root exports `relay: func(s:
//! string) -> string` of the head. Component `k` calls `relay` of component
//! `k + 1` and appends its tag `-k` to the answer; the leaf appends
//! `:n-1` to its argument. So `relay("x")` is `"x:2-1-0"` for `n = 3`, and
//! every string crosses every memory boundary twice.
//!
//! The root instantiates the components directly, so `n` is at most 1,000
//! (the validator's limit on components and instances in one component).
//! Used by `tests/tests/large.rs` and the `meld-chain-bench` benchmark.

use std::fmt::Write as _;

/// The most components a chain may have: wasmparser's limit on component
/// instances in one component.
pub const MAX_COMPONENTS: usize = 1_000;

/// The answer of the chain of `n` components to `relay(input)`.
pub fn expected(n: usize, input: &str) -> String {
    let mut out = format!("{input}:{}", n.saturating_sub(1));
    for k in (0..n.saturating_sub(1)).rev() {
        write!(out, "-{k}").expect("writing to a String");
    }
    out
}

/// The chain of `n` components (1 ≤ `n` ≤ [`MAX_COMPONENTS`]) as WAT text.
pub fn string_chain_wat(n: usize) -> String {
    assert!(
        (1..=MAX_COMPONENTS).contains(&n),
        "a chain has 1 to {MAX_COMPONENTS} components, not {n}"
    );
    let mut wat = String::from("(component\n");
    for k in 0..n {
        let tag = match k + 1 == n {
            true => format!(":{k}"),
            false => format!("-{k}"),
        };
        wat.push_str(&component(k, &tag, k + 1 < n));
    }
    for k in (0..n).rev() {
        match k + 1 < n {
            true => writeln!(
                wat,
                "  (instance $i{k} (instantiate $c{k} (with \"next\" (func $f{}))))",
                k + 1
            ),
            false => writeln!(wat, "  (instance $i{k} (instantiate $c{k}))"),
        }
        .expect("writing to a String");
        writeln!(wat, "  (alias export $i{k} \"relay\" (func $f{k}))").expect("writing");
    }
    wat.push_str("  (export \"relay\" (func $f0)))\n");
    wat
}

/// The chain of `n` components, encoded.
pub fn string_chain(n: usize) -> Vec<u8> {
    wat::parse_str(string_chain_wat(n)).expect("the generated chain is valid WAT")
}

/// One component appending `tag`, calling an imported `next` first unless
/// it is the leaf.
fn component(k: usize, tag: &str, calls_next: bool) -> String {
    let len = tag.len();
    let (import, lower, host_import, host_arg, answer) = match calls_next {
        true => (
            r#"    (import "next" (func $next (param "s" string) (result string)))"#,
            r#"    (core func $next (canon lower (func $next) (memory (core memory $libc "memory")) (realloc (core func $libc "realloc"))))"#,
            r#"      (import "host" "next" (func $next (param i32 i32 i32)))"#,
            r#" (with "host" (instance (export "next" (func $next))))"#,
            // The next component's answer, in a return area of our own.
            r#"        (local.set $ret (call $alloc (i32.const 4) (i32.const 8)))
        (call $next (local.get $ptr) (local.get $len) (local.get $ret))
        (local.set $ptr (i32.load (local.get $ret)))
        (local.set $len (i32.load offset=4 (local.get $ret)))"#,
        ),
        false => ("", "", "", "", ""),
    };
    format!(
        r#"  (component $c{k}
{import}
    (core module $libc
      (memory (export "memory") 1)
      (data (i32.const 16) "{tag}")
      (global $heap (export "heap") (mut i32) (i32.const 64))
      (func (export "realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
        (local $p i32) (local $end i32)
        (local.set $p (i32.and
          (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get $align))))
        (local.set $end (i32.add (local.get $p) (local.get $size)))
        (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
          (then
            (if (i32.eq (i32.const -1) (memory.grow
                  (i32.shr_u (i32.add (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                                      (i32.const 0xffff))
                             (i32.const 16))))
              (then unreachable))))
        (global.set $heap (local.get $end))
        (local.get $p))
      (func (export "reset") (param i32) (global.set $heap (i32.const 64))))
    (core instance $libc (instantiate $libc))
{lower}
    (core module $m
      (import "libc" "memory" (memory 1))
      (import "libc" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
{host_import}
      (func $alloc (param $align i32) (param $size i32) (result i32)
        (call $realloc (i32.const 0) (i32.const 0) (local.get $align) (local.get $size)))
      (func (export "relay") (param $ptr i32) (param $len i32) (result i32)
        (local $ret i32) (local $out i32)
{answer}
        (local.set $out (call $alloc (i32.const 1) (i32.add (local.get $len) (i32.const {len}))))
        (memory.copy (local.get $out) (local.get $ptr) (local.get $len))
        (memory.copy (i32.add (local.get $out) (local.get $len)) (i32.const 16) (i32.const {len}))
        (local.set $ret (call $alloc (i32.const 4) (i32.const 8)))
        (i32.store (local.get $ret) (local.get $out))
        (i32.store offset=4 (local.get $ret) (i32.add (local.get $len) (i32.const {len})))
        (local.get $ret)))
    (core instance $m (instantiate $m (with "libc" (instance $libc)){host_arg}))
    (func (export "relay") (param "s" string) (result string)
      (canon lift (core func $m "relay") (memory (core memory $libc "memory")) (realloc (core func $libc "realloc"))
        (post-return (core func $libc "reset"))))
  )
"#
    )
}
