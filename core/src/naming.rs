//! Readable names for inner components: the last segment of a path such
//! as `root/provider`.
//!
//! A segment is what the composition recorded about the instance, in this
//! order: the instance's name in its parent's `component-name` section
//! (where wac-graph writes its node names and `wat` its `$ids`), the name
//! the parent gives the component it instantiates, the component's own
//! name, and else the interface it exports (`wasi:cli/run@0.2.0` gives
//! `run`), because wit-component strips the `component-type` sections that
//! would name its world. Only when nothing is recorded is the position
//! used (`instance3`). Segments are unique within one parent: the second
//! `provider` is `provider#2`. Names never change behaviour; they are for
//! `inspect`, `--stats`, errors and the fused module's name section.

use crate::decode::{Decl, Names, StaticComponent};
use std::collections::BTreeMap;
use wasmparser::ComponentExternalKind;

/// The segment of the component instance that `parent` creates as its
/// instance number `instance`, from component number `component` (both
/// in `parent`'s index spaces); `child` is the component instantiated.
pub(crate) fn segment(
    parent: &Names,
    instance: u32,
    component: u32,
    child: &StaticComponent<'_>,
) -> String {
    parent
        .instances
        .get(&instance)
        .or_else(|| parent.components.get(&component))
        .or(child.names.component.as_ref())
        .map(|name| clean(name))
        .filter(|name| !name.is_empty())
        .or_else(|| exported_interface(child))
        .unwrap_or_else(|| format!("instance{instance}"))
}

/// The short name of the first interface `child` exports, else of its first
/// export of any kind.
fn exported_interface(child: &StaticComponent<'_>) -> Option<String> {
    let exports = || {
        child.decls.iter().filter_map(|decl| match decl {
            Decl::Export { name, kind, .. } => Some((*name, *kind)),
            _ => None,
        })
    };
    let (name, _) = exports()
        .find(|(_, kind)| *kind == ComponentExternalKind::Instance)
        .or_else(|| exports().next())?;
    Some(short(name)).filter(|s| !s.is_empty())
}

/// `ns:pkg/iface@1.0.0` → `iface`; a plain name stays as it is.
fn short(name: &str) -> String {
    let unversioned = name.split('@').next().unwrap_or(name);
    let last = unversioned.rsplit(['/', ':']).next().unwrap_or(unversioned);
    clean(last)
}

/// A recorded name made safe as one path segment: `/` separates segments
/// and `#` separates a path from an item, so both become `-`.
fn clean(name: &str) -> String {
    name.trim().replace(['/', '#'], "-")
}

/// The fused module's name for function `symbol` of the inner component
/// at `path`: the symbol unchanged, then `.` and the path, with every
/// character that is not ASCII punctuation or alphanumeric as `_`.
///
/// Demanglers accept such a suffix: `rustc-demangle` (which wasmtime,
/// browsers' devtools and profilers use for Rust symbols) keeps a
/// `.`-suffix of ASCII punctuation and alphanumerics as it keeps LLVM's
/// `.llvm.123`, so `_ZN5trace4dive17h…E.root/provider` reads
/// `trace::dive::h….root/provider`. (`cpp_demangle` accepts only clone
/// suffixes such as `.cold`: C++ symbols show mangled.)
pub(crate) fn function(symbol: &str, path: &str) -> String {
    let mut name = String::with_capacity(symbol.len() + 1 + path.len());
    name.push_str(symbol);
    name.push('.');
    name.extend(path.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c.is_ascii_punctuation() {
            c
        } else {
            '_'
        }
    }));
    name
}

/// The segments already given within one parent.
#[derive(Debug, Default)]
pub(crate) struct Siblings {
    seen: BTreeMap<String, usize>,
}

impl Siblings {
    /// `segment` itself the first time, then `segment#2`, `segment#3`….
    pub(crate) fn unique(&mut self, segment: String) -> String {
        let count = self.seen.entry(segment.clone()).or_insert(0);
        *count += 1;
        match *count {
            1 => segment,
            n => format!("{segment}#{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_package_and_version() {
        assert_eq!(short("wasi:cli/run@0.2.0"), "run");
        assert_eq!(short("meld:fixtures/greeter"), "greeter");
        assert_eq!(short("add"), "add");
        assert_eq!(clean("a/b#c"), "a-b-c");
    }

    #[test]
    fn function_names_keep_the_symbol_and_suffix_the_path() {
        assert_eq!(
            function("_ZN5trace4dive17h0123456789abcdefE", "root/provider#2"),
            "_ZN5trace4dive17h0123456789abcdefE.root/provider#2"
        );
        assert_eq!(function("main", "root/my app"), "main.root/my_app");
    }

    #[test]
    fn siblings_are_numbered_from_the_second() {
        let mut siblings = Siblings::default();
        assert_eq!(siblings.unique("provider".into()), "provider");
        assert_eq!(siblings.unique("runner".into()), "runner");
        assert_eq!(siblings.unique("provider".into()), "provider#2");
        assert_eq!(siblings.unique("provider".into()), "provider#3");
    }

    #[test]
    fn recorded_names_come_before_exports_and_positions() {
        let mut parent = Names::default();
        let child = StaticComponent {
            decls: vec![Decl::Export {
                name: "my:pkg/api@1.0.0",
                kind: ComponentExternalKind::Instance,
                index: 0,
                ty: None,
                ascribed: false,
            }],
            ..StaticComponent::default()
        };
        assert_eq!(segment(&parent, 4, 0, &child), "api");
        parent.components.insert(0, "provider".into());
        assert_eq!(segment(&parent, 4, 0, &child), "provider");
        parent.instances.insert(4, "left".into());
        assert_eq!(segment(&parent, 4, 0, &child), "left");
        assert_eq!(
            segment(&Names::default(), 4, 0, &StaticComponent::default()),
            "instance4"
        );
    }
}
