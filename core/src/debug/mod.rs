//! Stage 8, debug info: the DWARF of every inner module instance carried
//! into the fused module, its code addresses moved to where the code now is.
//!
//! Merge records a [`CodeMap`] per instance whose module has `.debug_*`
//! sections while it re-encodes the bodies; [`carry`] then moves each
//! instance's DWARF through its map into one set of sections holding all
//! compilation units of all instances. Two ways, the same result as a
//! consumer reads it (`tests.rs` compares them):
//!
//! - `patch.rs`, the usual one: the instances' sections concatenated, the
//!   fields holding a code address or a section offset patched in place
//!   (each keeps its width, so every DIE keeps its offset) and only the
//!   line programs written again (`lines.rs`). Time and memory grow with
//!   the bytes copied, not with the number of DIEs.
//! - `dwarf.rs`, for what the patcher declines (DWARF 5's indexed
//!   sections, a field whose moved value would not fit its width, type or
//!   split units, malformed input): every unit rewritten with
//!   `gimli::write`, strings shared between instances. Several times
//!   slower; it also refuses what gimli cannot read, naming
//!   `--debug-info strip`.
//!
//! Generated functions (adapters, wrappers, helpers, `meld start`) are
//! covered by no unit, so they have no line rows.
//!
//! A module instantiated more than once gets its DWARF once per copy, each
//! with that copy's addresses: a debugger or a backtrace finds the source
//! of either copy.
//!
//! What is carried: `.debug_info`, `.debug_abbrev`, `.debug_line`,
//! `.debug_str`, `.debug_line_str`, `.debug_ranges`, `.debug_rnglists`,
//! `.debug_loc`, `.debug_loclists` (and what they read from `.debug_addr`
//! and `.debug_str_offsets`). Other `.debug_*` sections are dropped and
//! reported: the lookup tables `.debug_aranges`, `.debug_pubnames`,
//! `.debug_pubtypes` (consumers rebuild them from the units), and
//! `.debug_frame` (WebAssembly toolchains do not emit it, and its advances
//! inside a function would need the same rewriting as the line program).

mod dwarf;
mod forms;
mod lines;
mod offsets;
mod patch;
#[cfg(test)]
mod tests;

pub(crate) use offsets::{CodeMap, leb_len};

use crate::error::{Error, Result};

/// What [`crate::fuse`] does with the inner modules' DWARF.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DebugInfo {
    /// Carry it into the fused module, code addresses moved (nothing to do
    /// when the input has none).
    #[default]
    Keep,
    /// Drop it, as `strip` would; `--stats` reports the bytes dropped.
    Strip,
}

impl DebugInfo {
    /// The choice as the CLI and the other hosts spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            DebugInfo::Keep => "keep",
            DebugInfo::Strip => "strip",
        }
    }
}

/// Whether a custom section holds DWARF.
pub(crate) fn is_dwarf(name: &str) -> bool {
    name.starts_with(".debug_")
}

/// The sections [`carry`] reads and writes again.
const CARRIED: &[&str] = &[
    ".debug_abbrev",
    ".debug_addr",
    ".debug_info",
    ".debug_line",
    ".debug_line_str",
    ".debug_loc",
    ".debug_loclists",
    ".debug_ranges",
    ".debug_rnglists",
    ".debug_str",
    ".debug_str_offsets",
];

/// The DWARF of one inner module instance and where its code went.
#[derive(Debug)]
pub(crate) struct Instance<'a> {
    /// Its module's `.debug_*` sections, by name.
    pub(crate) sections: &'a [(&'a str, &'a [u8])],
    pub(crate) map: CodeMap,
    /// Path of its inner component, for errors.
    pub(crate) path: &'a str,
}

impl<'a> Instance<'a> {
    /// Its section `name`, empty if it has none.
    fn section(&self, name: &str) -> &'a [u8] {
        self.sections
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[], |(_, data)| data)
    }
}

/// The fused module's DWARF.
#[derive(Debug, Default)]
pub(crate) struct Carried {
    /// Custom sections to append, by name.
    pub(crate) sections: Vec<(&'static str, Vec<u8>)>,
    /// Input sections not carried, with their size.
    pub(crate) dropped: Vec<(String, usize)>,
}

/// Carries the DWARF of `instances` into one set of sections, for a fused
/// code section whose function count takes `count_len` bytes: patched in
/// place where the patcher can (`patch.rs`), else rewritten with gimli
/// (`dwarf.rs`).
pub(crate) fn carry(instances: &[Instance<'_>], count_len: usize) -> Result<Carried> {
    let sections = match patch::carry(instances, count_len) {
        Ok(sections) => sections,
        Err(patch::Declined) => dwarf::carry(instances, count_len)?,
    };
    let dropped = instances
        .iter()
        .flat_map(|instance| instance.sections.iter())
        .filter(|(name, _)| !CARRIED.contains(name))
        .map(|(name, data)| (name.to_string(), data.len()))
        .collect();
    Ok(Carried { sections, dropped })
}

/// DWARF that gimli cannot read or convert.
#[cold]
pub(crate) fn unreadable(e: impl std::fmt::Display, path: &str) -> Error {
    Error::unsupported(format!(
        "its debug info (DWARF) cannot be carried over: {e}; fuse with `--debug-info strip` \
         to drop it"
    ))
    .in_component(path)
}
