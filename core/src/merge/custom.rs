//! The custom sections meld carries into the fused module: `name` and
//! `producers` (merged, plus meld itself). DWARF is `crate::debug`'s;
//! every other custom section is dropped and reported.
//!
//! An inner function keeps its symbol as its module named it, followed by
//! its inner component's path as a suffix ([`crate::naming::function`]),
//! so that demanglers still read it; tables, memories and globals are
//! named `path:name`; generated functions have readable names of their
//! own (`adapt …`, `meld start`).

use super::module::{Module, Space};
use crate::debug::leb_len;
use crate::error::Result;
use std::collections::BTreeMap;

/// The merged `name` section.
#[derive(Default)]
pub(super) struct Names {
    funcs: BTreeMap<u32, String>,
    locals: BTreeMap<u32, BTreeMap<u32, String>>,
    tables: BTreeMap<u32, String>,
    memories: BTreeMap<u32, String>,
    globals: BTreeMap<u32, String>,
}

impl Names {
    pub(super) fn func(&mut self, index: u32, name: String) {
        self.funcs.insert(index, name);
    }

    /// With one memory left (shared mode), the inner memories' names no
    /// longer name anything.
    pub(super) fn single_memory(&mut self) {
        self.memories.clear();
        self.memories.insert(0, "meld shared memory".to_string());
    }

    /// Adds the names of one instance's defined items, mapped to fused indices.
    pub(super) fn instance(
        &mut self,
        module: &Module<'_>,
        maps: &[Vec<u32>; 5],
        path: &str,
    ) -> Result<()> {
        let Some(section) = &module.names else {
            return Ok(());
        };
        let defined = |space: Space, index: u32| -> Option<u32> {
            if index < module.imported[space.index()] {
                return None;
            }
            maps[space.index()].get(index as usize).copied()
        };
        // Names are informative only: a malformed name section is skipped.
        for sub in section.clone().flatten() {
            let (space, target, map) = match sub {
                wasmparser::Name::Function(map) => (Space::Func, &mut self.funcs, map),
                wasmparser::Name::Table(map) => (Space::Table, &mut self.tables, map),
                wasmparser::Name::Memory(map) => (Space::Memory, &mut self.memories, map),
                wasmparser::Name::Global(map) => (Space::Global, &mut self.globals, map),
                wasmparser::Name::Local(map) => {
                    for indirect in map.into_iter().flatten() {
                        let Some(func) = defined(Space::Func, indirect.index) else {
                            continue;
                        };
                        let locals = self.locals.entry(func).or_default();
                        for naming in indirect.names.into_iter().flatten() {
                            locals.insert(naming.index, naming.name.to_string());
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            for naming in map.into_iter().flatten() {
                if let Some(index) = defined(space, naming.index) {
                    let name = match space {
                        Space::Func => crate::naming::function(naming.name, path),
                        _ => format!("{path}:{}", naming.name),
                    };
                    target.insert(index, name);
                }
            }
        }
        Ok(())
    }

    /// The `name` section's contents, as wasm-encoder's `NameSection`
    /// encodes them (the module's name, then functions, locals, tables,
    /// memories and globals, each subsection even when empty), written
    /// into one buffer of their exact size: the section is large next to
    /// the module, and a buffer grown by doubling would hold up to twice
    /// it at fusion's peak of memory.
    pub(super) fn encode(&self) -> Vec<u8> {
        use wasm_encoder::Encode;
        const MODULE: &str = "meld-fused";
        fn name_len(name: &str) -> usize {
            leb_len(name.len()) + name.len()
        }
        fn map_len(names: &BTreeMap<u32, String>) -> usize {
            leb_len(names.len())
                + names
                    .iter()
                    .map(|(i, n)| leb_len(*i as usize) + name_len(n))
                    .sum::<usize>()
        }
        fn map(out: &mut Vec<u8>, names: &BTreeMap<u32, String>) {
            (names.len() as u32).encode(out);
            for (i, name) in names {
                i.encode(out);
                name.as_str().encode(out);
            }
        }
        fn subsection(out: &mut Vec<u8>, id: u8, len: usize) {
            out.push(id);
            (len as u32).encode(out);
        }
        let locals_len = leb_len(self.locals.len())
            + self
                .locals
                .iter()
                .map(|(f, names)| leb_len(*f as usize) + map_len(names))
                .sum::<usize>();
        let parts = [
            (0, name_len(MODULE)),
            (1, map_len(&self.funcs)),
            (2, locals_len),
            (5, map_len(&self.tables)),
            (6, map_len(&self.memories)),
            (7, map_len(&self.globals)),
        ];
        let total = parts.iter().map(|(_, len)| 1 + leb_len(*len) + len).sum();
        let mut out = Vec::with_capacity(total);
        for (id, len) in parts {
            subsection(&mut out, id, len);
            match id {
                0 => MODULE.encode(&mut out),
                1 => map(&mut out, &self.funcs),
                2 => {
                    (self.locals.len() as u32).encode(&mut out);
                    for (func, names) in &self.locals {
                        func.encode(&mut out);
                        map(&mut out, names);
                    }
                }
                5 => map(&mut out, &self.tables),
                6 => map(&mut out, &self.memories),
                _ => map(&mut out, &self.globals),
            }
        }
        debug_assert_eq!(out.len(), total);
        out
    }
}

/// The merged `producers` section: fields in first-seen order, each value once.
#[derive(Default)]
pub(super) struct Producers {
    fields: Vec<(String, Vec<(String, String)>)>,
}

impl Producers {
    pub(super) fn merge(&mut self, module: &Module<'_>) -> Result<()> {
        let Some(section) = &module.producers else {
            return Ok(());
        };
        for field in section.clone().into_iter().flatten() {
            for value in field.values.into_iter().flatten() {
                self.add(field.name, value.name, value.version);
            }
        }
        Ok(())
    }

    fn add(&mut self, field: &str, name: &str, version: &str) {
        let index = match self.fields.iter().position(|(f, _)| f == field) {
            Some(i) => i,
            None => {
                self.fields.push((field.to_string(), Vec::new()));
                self.fields.len() - 1
            }
        };
        let values = &mut self.fields[index].1;
        if !values.iter().any(|(n, v)| n == name && v == version) {
            values.push((name.to_string(), version.to_string()));
        }
    }

    pub(super) fn encode(mut self) -> Option<wasm_encoder::ProducersSection> {
        self.add("processed-by", "meld", env!("CARGO_PKG_VERSION"));
        let mut section = wasm_encoder::ProducersSection::new();
        for (name, values) in &self.fields {
            let mut field = wasm_encoder::ProducersField::new();
            for (n, v) in values {
                field.value(n, v);
            }
            section.field(name, &field);
        }
        Some(section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wasm-encoder's `NameSection` of the same names, the reference
    /// [`Names::encode`] writes by hand into an exact buffer.
    fn reference(names: &Names) -> Vec<u8> {
        fn map(names: &BTreeMap<u32, String>) -> wasm_encoder::NameMap {
            let mut out = wasm_encoder::NameMap::new();
            for (i, name) in names {
                out.append(*i, name);
            }
            out
        }
        let mut section = wasm_encoder::NameSection::new();
        section.module("meld-fused");
        section.functions(&map(&names.funcs));
        let mut locals = wasm_encoder::IndirectNameMap::new();
        for (func, names) in &names.locals {
            locals.append(*func, &map(names));
        }
        section.locals(&locals);
        section.tables(&map(&names.tables));
        section.memories(&map(&names.memories));
        section.globals(&map(&names.globals));
        section.as_custom().data.into_owned()
    }

    #[test]
    fn names_encode_as_wasm_encoder_does() {
        let mut names = Names::default();
        assert_eq!(names.encode(), reference(&names), "no names at all");
        for i in [0, 1, 127, 128, 300, 20_000] {
            names.func(i, format!("f{i}"));
        }
        // a name long enough for a two-byte length
        names.func(5, "é".repeat(100));
        names
            .locals
            .insert(128, [(0, "a".to_string()), (200, "b".into())].into());
        names.locals.insert(3, BTreeMap::new());
        names.tables.insert(0, "t".into());
        names.globals.insert(129, "g".repeat(200));
        names.single_memory();
        let encoded = names.encode();
        assert_eq!(encoded, reference(&names));
        assert_eq!(encoded.len(), encoded.capacity(), "sized exactly");
    }
}
