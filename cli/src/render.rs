//! `meld inspect`'s output formats: the tree as indented text, and as a
//! graphviz picture. The JSON format is meld-core's own
//! ([`meld_core::Tree::to_json`]), shared with the npm package.

use meld_core::{AdapterKind, Tree};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The tree as indented text: root imports and exports, every inner
/// component with its core instances and their imports, the adapters and
/// the host imports.
pub fn text(tree: &Tree) -> String {
    let mut out = String::new();
    let mut line = |depth: usize, text: String| {
        out.push_str(&"  ".repeat(depth));
        out.push_str(&text);
        out.push('\n');
    };
    line(0, "imports:".into());
    for name in &tree.imports {
        line(1, name.clone());
    }
    line(0, "exports:".into());
    for name in &tree.exports {
        line(1, name.clone());
    }
    line(0, "components:".into());
    let mut depths: BTreeMap<&str, usize> = BTreeMap::new();
    for component in &tree.components {
        // Parents come before their children.
        let depth = component
            .parent
            .as_deref()
            .and_then(|p| depths.get(p))
            .map_or(1, |d| d + 1);
        depths.insert(&component.path, depth);
        line(depth, component.path.clone());
        for instance in &component.core_instances {
            line(
                depth + 1,
                format!("core instance {} of {}", instance.index, instance.module),
            );
            for import in &instance.imports {
                line(
                    depth + 2,
                    format!("{} {} <- {}", import.module, import.field, import.source),
                );
            }
        }
    }
    line(0, "adapters:".into());
    for a in &tree.adapters {
        let kind = match &a.kind {
            AdapterKind::Unsupported(why) => format!("unsupported: {why}"),
            other => kind_name(other).to_string(),
        };
        line(
            1,
            format!("{} ({} -> {}): {kind}", a.name, a.caller, a.callee),
        );
    }
    line(0, "host imports:".into());
    for l in &tree.lowerings {
        line(1, format!("{} (used by {})", l.name, l.caller));
    }
    out
}

fn kind_name(kind: &AdapterKind) -> &'static str {
    match kind {
        AdapterKind::Direct => "direct",
        AdapterKind::Fixup => "fixup",
        AdapterKind::Copy => "copy",
        AdapterKind::Transcode => "transcode",
        AdapterKind::Unsupported(_) => "unsupported",
    }
}

/// The kinds in the order edge labels list them.
const KINDS: [&str; 6] = [
    "direct",
    "fixup",
    "copy",
    "transcode",
    "unsupported",
    "host",
];

/// The node that stands for the host (the root's imports).
const HOST: &str = "host";

/// The composition as a graphviz digraph, the CLI counterpart of the
/// playground's picture: the inner components that do work (create core
/// instances, call or are called) as boxes, one arrow per caller/callee
/// pair labelled with how many calls fusion adapts which way, and an arrow
/// to `host` for the root imports a component calls. Render it with
/// `meld inspect IN.wasm --format dot | dot -Tsvg > IN.svg`.
pub fn dot(tree: &Tree) -> String {
    // (caller, callee) -> kind -> count, in a deterministic order.
    let mut edges: BTreeMap<(&str, &str), BTreeMap<&str, usize>> = BTreeMap::new();
    for a in &tree.adapters {
        *edges
            .entry((&a.caller, &a.callee))
            .or_default()
            .entry(kind_name(&a.kind))
            .or_default() += 1;
    }
    for l in &tree.lowerings {
        *edges
            .entry((&l.caller, HOST))
            .or_default()
            .entry("host")
            .or_default() += 1;
    }
    let active = |path: &str| {
        edges.keys().any(|(from, to)| *from == path || *to == path)
            || tree
                .components
                .iter()
                .any(|c| c.path == path && !c.core_instances.is_empty())
    };

    let mut out = String::new();
    out.push_str("digraph meld {\n");
    out.push_str("  rankdir=TB;\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n");
    out.push_str("  edge [fontname=\"sans-serif\", fontsize=10];\n");
    for c in tree.components.iter().filter(|c| active(&c.path)) {
        let label = c.path.strip_prefix("root/").unwrap_or(&c.path);
        let instances = c.core_instances.len();
        let _ = writeln!(
            out,
            "  {} [label={}];",
            quote(&c.path),
            quote(&format!(
                "{label}\n{instances} core instance{}",
                if instances == 1 { "" } else { "s" }
            ))
        );
    }
    if !tree.lowerings.is_empty() {
        let _ = writeln!(
            out,
            "  {} [label=\"host\", shape=ellipse, style=dashed];",
            quote(HOST)
        );
    }
    for ((from, to), counts) in &edges {
        let label = KINDS
            .iter()
            .filter_map(|k| counts.get(k).map(|n| format!("{n} {k}")))
            .collect::<Vec<_>>()
            .join("\n");
        let style = if counts.contains_key("unsupported") {
            ", color=red, fontcolor=red"
        } else if *to == HOST {
            ", style=dashed"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            quote(from),
            quote(to),
            quote(&label)
        );
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
