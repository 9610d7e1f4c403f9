//! What a component's type says: its imports and exports, flattened.
//!
//! Two views of a world are compared. The *structural* one walks wasmtime's
//! `Component::component_type()` and prints one line per item — nested
//! instances flattened to `instance#item` — with types spelled out, so two
//! worlds with the same lines accept the same calls. The *WIT* one decodes
//! the component with `wit_component::decode` and prints it with
//! `WitPrinter`, which also sees type names, interface order and
//! documentation-free WIT structure. Differences are reported as a line
//! diff, `-` for the original only and `+` for the fused only (the WIT
//! diff with a little context).
//!
//! The same walk yields the exported functions the harness calls.

use super::value::{render_func, render_item};
use anyhow::{Context, Result, bail};
use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wit_component::{DecodedWasm, WitPrinter};

/// An exported function: its path (instance names, then its own name) and
/// its type.
#[derive(Debug, Clone)]
pub(crate) struct ExportedFunc {
    pub(crate) path: Vec<String>,
    pub(crate) ty: ComponentFunc,
}

impl ExportedFunc {
    /// `meld:fixtures/calc#add-s32`, or `add` for a root-level function.
    pub(crate) fn name(&self) -> String {
        self.path.join("#")
    }

    /// Whether this is a command's `wasi:cli/run@0.2.x#run`.
    pub(crate) fn is_command_run(&self) -> bool {
        matches!(
            self.path.as_slice(),
            [interface, func] if interface.starts_with("wasi:cli/run@0.2") && func == "run"
        )
    }
}

/// Every exported function, in export order, nested instances included.
pub(crate) fn exported_funcs(engine: &Engine, component: &Component) -> Vec<ExportedFunc> {
    let ty = component.component_type();
    let mut items = Vec::new();
    for (name, export) in ty.exports(engine) {
        flatten(engine, vec![name.to_string()], export.ty, &mut items);
    }
    items
        .into_iter()
        .filter_map(|(path, item)| match item {
            ComponentItem::ComponentFunc(ty) => Some(ExportedFunc { path, ty }),
            _ => None,
        })
        .collect()
}

/// One line per import and export item, sorted (names are keys; their
/// order is not part of the type).
pub(crate) fn structural_lines(engine: &Engine, component: &Component) -> Vec<String> {
    let ty = component.component_type();
    let mut lines = Vec::new();
    for (direction, externs) in [
        ("import", ty.imports(engine).collect::<Vec<_>>()),
        ("export", ty.exports(engine).collect::<Vec<_>>()),
    ] {
        for (name, item) in externs {
            let mut items = Vec::new();
            flatten(engine, vec![name.to_string()], item.ty, &mut items);
            for (path, item) in items {
                lines.push(format!(
                    "{direction} {}: {}",
                    path.join("#"),
                    render_item(&item)
                ));
            }
        }
    }
    lines.sort();
    lines
}

/// Appends `item` under `path`, or each of its exports if it is an
/// instance (an instance with no exports still gets a line).
fn flatten(
    engine: &Engine,
    path: Vec<String>,
    item: ComponentItem,
    out: &mut Vec<(Vec<String>, ComponentItem)>,
) {
    match item {
        ComponentItem::ComponentInstance(instance) if instance.exports(engine).len() > 0 => {
            for (name, export) in instance.exports(engine) {
                let mut nested = path.clone();
                nested.push(name.to_string());
                flatten(engine, nested, export.ty, out);
            }
        }
        item => out.push((path, item)),
    }
}

/// The component's world as WIT text: its own package first, then every
/// package it refers to, sorted by name.
pub fn wit_text(wasm: &[u8]) -> Result<String> {
    let decoded = wit_component::decode(wasm).context("decoding the component's WIT")?;
    let (resolve, world) = match decoded {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => bail!("a WIT package, not a component"),
    };
    let main = resolve.worlds[world]
        .package
        .context("the decoded world has no package")?;
    let mut nested: Vec<_> = resolve
        .packages
        .iter()
        .filter(|(id, _)| *id != main)
        .map(|(id, package)| (package.name.to_string(), id))
        .collect();
    nested.sort();
    let nested: Vec<_> = nested.into_iter().map(|(_, id)| id).collect();
    let mut printer = WitPrinter::default();
    printer.emit_docs(false);
    printer.print(&resolve, main, &nested)?;
    Ok(printer.output.to_string())
}

/// A line diff: `- line` for lines only in `original`, `+ line` for lines
/// only in `fused` (longest common subsequence), with up to `context`
/// unchanged lines (`  line`) around each change and, if `context` is
/// not 0, `...` between hunks. Empty when the inputs are equal.
pub(crate) fn diff_lines(original: &[String], fused: &[String], context: usize) -> Vec<String> {
    if original == fused {
        return Vec::new();
    }
    let (n, m) = (original.len(), fused.len());
    // lcs[i][j]: length of the LCS of original[i..] and fused[j..].
    let mut lcs = vec![vec![0_u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if original[i] == fused[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // Every line of the edit script, tagged with whether it changed.
    let mut script = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && original[i] == fused[j] {
            script.push((false, format!("  {}", original[i])));
            i += 1;
            j += 1;
        } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            script.push((true, format!("- {}", original[i])));
            i += 1;
        } else {
            script.push((true, format!("+ {}", fused[j])));
            j += 1;
        }
    }
    let changes: Vec<usize> = (0..script.len()).filter(|&k| script[k].0).collect();
    let near_change = |k: usize| changes.iter().any(|&c| c.abs_diff(k) <= context);
    let mut out = Vec::new();
    let mut skipped = false;
    for (k, (changed, line)) in script.into_iter().enumerate() {
        if changed || near_change(k) {
            if skipped && context > 0 && !out.is_empty() {
                out.push("...".to_string());
            }
            skipped = false;
            out.push(line);
        } else {
            skipped = true;
        }
    }
    out
}

/// Lines of a text, for [`diff_lines`].
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// How the world of `fused` differs from that of `original`: the
/// structural diff, or if that is empty and `wit` is set, the WIT diff.
pub(crate) fn compare(
    engine: &Engine,
    original: (&[u8], &Component),
    fused: (&[u8], &Component),
    wit: bool,
) -> Result<Vec<String>> {
    let structural = diff_lines(
        &structural_lines(engine, original.1),
        &structural_lines(engine, fused.1),
        0,
    );
    if !structural.is_empty() || !wit {
        return Ok(structural);
    }
    let original_wit = wit_text(original.0).context(
        "the original component's world cannot be printed as WIT \
         (set `CompareOptions::compare_wit` to false to compare it structurally only)",
    )?;
    match wit_text(fused.0) {
        Ok(fused_wit) => Ok(diff_lines(&lines(&original_wit), &lines(&fused_wit), 2)),
        Err(error) => Ok(vec![format!(
            "the fused component's WIT cannot be decoded: {error:#}"
        )]),
    }
}

/// A function's signature as compared between the sides.
pub(crate) fn signature(func: &ExportedFunc) -> String {
    render_func(&func.ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn diff_marks_only_changed_lines() {
        let a = owned(&["a", "b", "c"]);
        let b = owned(&["a", "x", "c", "d"]);
        assert_eq!(diff_lines(&a, &b, 0), owned(&["- b", "+ x", "+ d"]));
        assert!(diff_lines(&a, &a, 2).is_empty());
    }

    #[test]
    fn diff_shows_context_and_elides_the_rest() {
        let a = owned(&["1", "2", "3", "4", "5", "6", "7"]);
        let b = owned(&["x", "2", "3", "4", "5", "6", "y"]);
        assert_eq!(
            diff_lines(&a, &b, 1),
            owned(&["- 1", "+ x", "  2", "...", "  6", "- 7", "+ y"])
        );
    }
}
