//! Assembles meld's runtime modules, written in the text format under
//! `src/runtime/`, into binaries the engine embeds.
//!
//! A function whose definition line ends in `;; inline` (`i32`
//! parameters, no locals, no control flow: an address computed from a
//! number) is expanded at each of its calls before assembly, its
//! parameters replaced by the call's arguments: engines do not inline
//! calls between wasm functions, and these run on every scheduler step.
//! A parameter used more than once must be given a `local.get`, a
//! `global.get` or an `i32.const` at every call (an expression with
//! effects would run twice).

use std::path::PathBuf;

fn main() {
    assemble("scheduler");
    assemble("waitables");
    assemble("tasks");
}

fn assemble(name: &str) {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = format!("src/runtime/{name}.wat");
    println!("cargo::rerun-if-changed={source}");
    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read meld's runtime module {source}: {e}"));
    let text = expand_inline(&text).unwrap_or_else(|e| panic!("{source}: {e}"));
    let binary = wat::parse_str(&text)
        .unwrap_or_else(|e| panic!("meld's runtime module {source} does not assemble: {e}"));
    std::fs::write(out.join(format!("{name}.wasm")), binary)
        .unwrap_or_else(|e| panic!("cannot write the assembled {name}: {e}"));
}

/// The position just past the expression starting at `at` (a `(`), or
/// `None` if it does not close.
fn close(text: &str, at: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[at..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Expands the calls of the functions marked `;; inline` (see above), in
/// the order they are defined (an inline function may call an earlier
/// one).
fn expand_inline(text: &str) -> Result<String, String> {
    let heads: Vec<String> = text
        .lines()
        .filter(|line| line.trim_end().ends_with(";; inline"))
        .map(str::to_string)
        .collect();
    let mut out = text.to_string();
    for line in heads {
        let head = line.trim().trim_end_matches(";; inline");
        // `(func $name (param $a i32)... (result i32)`
        let words: Vec<&str> = head.split_whitespace().collect();
        let bad = || {
            format!(
                "an inline function's head is not `(func $name (param $p i32)... (result i32)`: {line}"
            )
        };
        let ["(func", name, ref rest @ .., "(result", "i32)"] = words[..] else {
            return Err(bad());
        };
        let params: Vec<&str> = rest
            .chunks(3)
            .map(|w| match w {
                ["(param", p, "i32)"] => Ok(*p),
                _ => Err(bad()),
            })
            .collect::<Result<_, _>>()?;
        let start = out.find(&line).ok_or("an inline function's line")?;
        let end = close(&out, start + line.find("(func").ok_or("(func")?)
            .ok_or_else(|| format!("{name} does not close"))?;
        let body = out[start + line.len()..end - 1].trim().to_string();
        // each parameter used, first uses in order (the arguments are
        // evaluated in that order), nothing else local, no control flow
        // or calls; a parameter used again must be given a plain value
        let uses: Vec<String> = params.iter().map(|p| format!("(local.get {p})")).collect();
        let at: Vec<Option<usize>> = uses.iter().map(|u| body.find(u.as_str())).collect();
        let counts: Vec<usize> = uses
            .iter()
            .map(|u| body.matches(u.as_str()).count())
            .collect();
        if counts.contains(&0)
            || body.matches("local.").count() != counts.iter().sum::<usize>()
            || at.windows(2).any(|w| w[0] >= w[1])
            || ["(if", "(block", "(loop", "(call", "(br", "(return"]
                .iter()
                .any(|w| body.contains(w))
        {
            return Err(format!(
                "{name}: an inline function uses each parameter, first uses in order, and \
                 nothing else local, without control flow or calls"
            ));
        }
        let call = format!("(call {name} ");
        while let Some(at_call) = out.find(call.as_str()) {
            let mut next = at_call + call.len();
            let mut args = Vec::new();
            for _ in &params {
                next += out[next..].len() - out[next..].trim_start().len();
                if !out[next..].starts_with('(') {
                    return Err(format!("`{call}` takes {} expressions", params.len()));
                }
                let end = close(&out, next).ok_or("an argument that does not close")?;
                args.push(out[next..end].to_string());
                next = end;
            }
            if !out[next..].starts_with(')') {
                return Err(format!("`{call}` takes {} expressions", params.len()));
            }
            for ((a, n), p) in args.iter().zip(&counts).zip(&params) {
                if *n > 1 && !plain(a) {
                    return Err(format!(
                        "`{call}` uses {p} {n} times: give it a local.get, global.get or \
                         i32.const, not `{a}`"
                    ));
                }
            }
            // the body with each use replaced by its argument, by position
            // (an argument may read a local of the same name)
            let mut expanded = String::new();
            let mut from = 0;
            while let Some((i, k)) = uses
                .iter()
                .enumerate()
                .filter_map(|(k, u)| body[from..].find(u.as_str()).map(|i| (from + i, k)))
                .min()
            {
                expanded.push_str(&body[from..i]);
                expanded.push_str(&args[k]);
                from = i + uses[k].len();
            }
            expanded.push_str(&body[from..]);
            out.replace_range(at_call..next + 1, &expanded);
        }
    }
    Ok(out)
}

/// Whether `arg` is a value without effects, which an inline function may
/// use more than once: `(local.get $x)`, `(global.get $x)`, `(i32.const n)`.
fn plain(arg: &str) -> bool {
    let words: Vec<&str> = arg
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split_whitespace()
        .collect();
    matches!(words[..], ["local.get" | "global.get" | "i32.const", x] if !x.contains(['(', ')']))
}
