//! Stage 8, debug info: the DWARF of every inner module instance carried
//! into the fused module, its code addresses moved to where the code now is.
//!
//! Merge records a [`CodeMap`] per instance whose module has `.debug_*`
//! sections while it re-encodes the bodies; [`carry`] then rewrites each
//! instance's DWARF through its map (`dwarf.rs`) into one set of sections:
//! all compilation units of all instances, one shared string table.
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
mod offsets;

pub(crate) use offsets::{CodeMap, leb_len};

use crate::error::{Error, Result};
use gimli::LittleEndian;

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

/// The fused module's DWARF.
#[derive(Debug, Default)]
pub(crate) struct Carried {
    /// Custom sections to append, by name.
    pub(crate) sections: Vec<(&'static str, Vec<u8>)>,
    /// Input sections not carried, with their size.
    pub(crate) dropped: Vec<(String, usize)>,
}

/// Rewrites the DWARF of `instances` into one set of sections, for a fused
/// code section whose function count takes `count_len` bytes.
pub(crate) fn carry(instances: &[Instance<'_>], count_len: usize) -> Result<Carried> {
    let mut out = Carried::default();
    let mut fused = gimli::write::Dwarf::new();
    let mut sections = gimli::write::Sections::new(gimli::write::EndianVec::new(LittleEndian));
    for instance in instances {
        let find = |name: &str| {
            instance
                .sections
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(&[][..], |(_, data)| *data)
        };
        let input = gimli::read::Dwarf::load(|id| -> gimli::Result<_> {
            Ok(gimli::EndianSlice::new(find(id.name()), LittleEndian))
        })
        .map_err(|e| unreadable(e, instance.path))?;
        let moves = dwarf::Moves {
            map: &instance.map,
            count_len: count_len as u64,
        };
        dwarf::convert(&mut fused, &mut sections, &input, moves)
            .map_err(|e| unreadable(e, instance.path))?;
        for (name, data) in instance.sections {
            if !CARRIED.contains(name) {
                out.dropped.push((name.to_string(), data.len()));
            }
        }
    }
    fused
        .write(&mut sections)
        .map_err(|e| Error::internal(format!("writing the fused DWARF: {e}")))?;
    drop(fused);
    let taken = sections.for_each_mut(|id, data| {
        let bytes = data.take();
        if !bytes.is_empty() {
            out.sections.push((id.name(), bytes));
        }
        Ok::<_, std::convert::Infallible>(())
    });
    if let Err(never) = taken {
        match never {}
    }
    Ok(out)
}

/// DWARF that gimli cannot read or convert.
#[cold]
fn unreadable(e: impl std::fmt::Display, path: &str) -> Error {
    Error::unsupported(format!(
        "its debug info (DWARF) cannot be carried over: {e}; fuse with `--debug-info strip` \
         to drop it"
    ))
    .in_component(path)
}
