//! The DWARF of every instance carried by copying its sections and
//! patching, in place, each field that holds a code address or an offset
//! into another section; only the line programs are written again
//! (`lines.rs`).
//!
//! The fused sections are the instances' sections one after another, so a
//! section offset in an instance's units moves by that instance's base in
//! the fused section: the abbreviation offset of each unit header,
//! `DW_FORM_strp`, `DW_FORM_ref_addr` (and the `.debug_info` offsets of
//! `DW_OP_call_ref`, `DW_OP_implicit_pointer` and
//! `DW_OP_GNU_variable_value` in expressions), `DW_AT_ranges` and location
//! list offsets; `DW_AT_stmt_list` takes the re-encoded program's offset.
//! Code addresses move through the instance's [`CodeMap`] as in the
//! rewriting path (`dwarf.rs`): every `DW_FORM_addr` attribute (`0` kept,
//! removed code a tombstone), `DW_AT_high_pc` as a length (its new length),
//! and each entry of a `.debug_ranges` or `.debug_loc` list, rewritten
//! relative to the unit's moved base; an entry of removed code becomes an
//! empty one at the tombstone LLVM uses for those sections (all ones but
//! one), so no list changes size. Every field keeps its width, so every
//! DIE keeps its offset and no reference inside a unit changes.
//!
//! What this does not patch it declines ([`Declined`]), and [`super::carry`]
//! then takes the rewriting path, which handles (or refuses) it as before:
//! DWARF 5 units and their sections (`.debug_addr`, `.debug_str_offsets`,
//! `.debug_rnglists`, `.debug_loclists`, `.debug_line_str`), type and split
//! units, a field whose new value does not fit its width, supplementary
//! and macro references, and anything malformed.
//!
//! [`CodeMap`]: super::CodeMap

use super::Instance;
use super::dwarf::{Moves, tombstone};
use super::forms::{Action, Field, Size, field, padded_uleb, span, uleb};
use super::lines::{self, le, put};
use gimli::{EndianSlice, Format, LittleEndian, constants as dw};
use std::collections::HashMap;

/// The patcher cannot carry this input exactly as the rewriting path
/// would; that path takes it.
#[derive(Debug)]
pub(crate) struct Declined;

pub(crate) type Patch<T> = Result<T, Declined>;

impl From<gimli::Error> for Declined {
    fn from(_: gimli::Error) -> Declined {
        Declined
    }
}

/// Sections whose content the patcher does not carry: an instance with
/// any of them non-empty is declined.
const DECLINED: &[&str] = &[
    ".debug_addr",
    ".debug_line_str",
    ".debug_loclists",
    ".debug_rnglists",
    ".debug_str_offsets",
];

/// The fused sections, instance after instance.
#[derive(Default)]
struct Out {
    abbrev: Vec<u8>,
    info: Vec<u8>,
    line: Vec<u8>,
    ranges: Vec<u8>,
    loc: Vec<u8>,
    str: Vec<u8>,
}

/// One instance's input sections.
#[derive(Clone, Copy)]
struct Input<'a> {
    abbrev: &'a [u8],
    info: &'a [u8],
    line: &'a [u8],
    ranges: &'a [u8],
    loc: &'a [u8],
    str: &'a [u8],
}

/// Where one instance's copy of each section starts in the fused one.
#[derive(Clone, Copy)]
struct Bases {
    abbrev: u64,
    info: usize,
    ranges: usize,
    loc: usize,
    str: u64,
}

/// Carries the DWARF of `instances` for a fused code section whose
/// function count takes `count_len` bytes: the fused sections, by name.
pub(super) fn carry(
    instances: &[Instance<'_>],
    count_len: usize,
) -> Patch<Vec<(&'static str, Vec<u8>)>> {
    let inputs = instances
        .iter()
        .map(|instance| {
            let find = |name| instance.section(name);
            if DECLINED.iter().any(|name| !find(name).is_empty()) {
                return Err(Declined);
            }
            Ok(Input {
                abbrev: find(".debug_abbrev"),
                info: find(".debug_info"),
                line: find(".debug_line"),
                ranges: find(".debug_ranges"),
                loc: find(".debug_loc"),
                str: find(".debug_str"),
            })
        })
        .collect::<Patch<Vec<_>>>()?;
    // Every section but the line programs keeps its size.
    let mut out = Out::default();
    for input in &inputs {
        out.abbrev.reserve(input.abbrev.len());
        out.info.reserve(input.info.len());
        out.ranges.reserve(input.ranges.len());
        out.loc.reserve(input.loc.len());
        out.str.reserve(input.str.len());
    }
    for (instance, input) in instances.iter().zip(inputs) {
        let moves = Moves {
            map: &instance.map,
            count_len: count_len as u64,
        };
        Patcher::new(input, moves, &mut out).units()?;
    }
    let Out {
        abbrev,
        info,
        line,
        ranges,
        loc,
        str,
    } = out;
    Ok([
        (".debug_abbrev", abbrev),
        (".debug_info", info),
        (".debug_line", line),
        (".debug_ranges", ranges),
        (".debug_loc", loc),
        (".debug_str", str),
    ]
    .into_iter()
    .filter(|(_, data)| !data.is_empty())
    .collect())
}

/// The largest abbreviation code the patcher keeps a plan for.
const MAX_CODE: usize = 1 << 16;

/// How to walk and patch the DIEs of one abbreviation.
struct Plan {
    fields: Vec<Field>,
}

/// The plans of one abbreviation table, compiled as codes are met, by
/// code (compilers number abbreviations from 1; a code past
/// [`MAX_CODE`] is declined).
struct Table {
    abbreviations: gimli::Abbreviations,
    plans: Vec<Option<Plan>>,
}

struct Patcher<'a, 'o> {
    input: Input<'a>,
    bases: Bases,
    moves: Moves<'a>,
    out: &'o mut Out,
    /// By abbreviation offset and the encoding of the units using it (a
    /// plan depends on both).
    tables: HashMap<(u64, gimli::Encoding), Table>,
    /// Old `.debug_line` offset and the address size it was read with, to
    /// new offset.
    lines: HashMap<(u64, u8), u64>,
    /// Lists patched, checked by [`consistent`].
    lists: Vec<PatchedList>,
}

/// A unit being walked: its encoding and its base address, old and moved.
#[derive(Clone, Copy)]
struct Unit {
    encoding: gimli::Encoding,
    /// `None` until the unit's DIE is read.
    base: Option<(u64, u64)>,
}

impl<'a, 'o> Patcher<'a, 'o> {
    /// Appends the instance's sections to `out`; [`Patcher::units`] then
    /// patches its copies.
    fn new(input: Input<'a>, moves: Moves<'a>, out: &'o mut Out) -> Patcher<'a, 'o> {
        let bases = Bases {
            abbrev: out.abbrev.len() as u64,
            info: out.info.len(),
            ranges: out.ranges.len(),
            loc: out.loc.len(),
            str: out.str.len() as u64,
        };
        out.abbrev.extend_from_slice(input.abbrev);
        out.info.extend_from_slice(input.info);
        out.ranges.extend_from_slice(input.ranges);
        out.loc.extend_from_slice(input.loc);
        out.str.extend_from_slice(input.str);
        Patcher {
            input,
            bases,
            moves,
            out,
            tables: HashMap::new(),
            lines: HashMap::new(),
            lists: Vec::new(),
        }
    }

    fn units(mut self) -> Patch<()> {
        let mut units = gimli::DebugInfo::new(self.input.info, LittleEndian).units();
        while let Some(header) = units.next()? {
            let encoding = header.encoding();
            if !(2..=4).contains(&encoding.version)
                || !matches!(encoding.address_size, 1 | 2 | 4 | 8)
                || !matches!(header.type_(), gimli::UnitType::Compilation)
            {
                return Err(Declined);
            }
            let start = header.offset().0;
            let (length_size, offset_size) = match encoding.format {
                Format::Dwarf32 => (4, 4),
                Format::Dwarf64 => (12, 8),
            };
            // unit_length, version, then the abbreviation offset.
            let abbrev = header.debug_abbrev_offset().0 as u64;
            let at = self.bases.info + start + length_size + 2;
            put(
                &mut self.out.info,
                at,
                offset_size,
                abbrev + self.bases.abbrev,
            )?;
            if !self.tables.contains_key(&(abbrev, encoding)) {
                let abbreviations = gimli::DebugAbbrev::new(self.input.abbrev, LittleEndian)
                    .abbreviations(header.debug_abbrev_offset())?;
                let plans = Vec::new();
                self.tables.insert(
                    (abbrev, encoding),
                    Table {
                        abbreviations,
                        plans,
                    },
                );
            }
            let end = start + header.length_including_self();
            let unit = Unit {
                encoding,
                base: None,
            };
            self.entries(abbrev, unit, start + header.size_of_header(), end)?;
        }
        self.check_lists()
    }

    /// Patches the DIEs of one unit, from `at` to `end` of `.debug_info`.
    fn entries(&mut self, abbrev: u64, mut unit: Unit, mut at: usize, end: usize) -> Patch<()> {
        let info = self.input.info.get(..end).ok_or(Declined)?;
        let key = (abbrev, unit.encoding);
        let mut table = self.tables.remove(&key).ok_or(Declined)?;
        let mut values: Vec<(Field, usize, usize)> = Vec::new();
        while at < end {
            let code = uleb(info, &mut at)?;
            if code == 0 {
                continue;
            }
            let index = usize::try_from(code)
                .ok()
                .filter(|&code| code <= MAX_CODE)
                .ok_or(Declined)?;
            if table.plans.len() <= index {
                table.plans.resize_with(index + 1, || None);
            }
            let plan = match &mut table.plans[index] {
                Some(plan) => plan,
                slot => {
                    let abbreviation = table.abbreviations.get(code).ok_or(Declined)?;
                    slot.insert(compile(abbreviation, unit.encoding)?)
                }
            };
            values.clear();
            let mut low_pc = None;
            for &field in &plan.fields {
                let (start, len) = span(info, &mut at, field.size)?;
                if field.action != Action::Keep {
                    values.push((field, start, len));
                }
                if field.name == dw::DW_AT_low_pc && field.action == Action::Address {
                    low_pc = Some(le(&info[start..start + len]));
                }
            }
            if unit.base.is_none() {
                // The unit's DIE: its low_pc is the base of its lists.
                let old = low_pc.unwrap_or(0);
                unit.base = Some((old, self.moves.attribute(old, unit.encoding.address_size)));
            }
            for &(field, start, len) in &values {
                self.value(unit, field, start, len, low_pc)?;
            }
        }
        self.tables.insert(key, table);
        Ok(())
    }

    /// Patches one attribute value at `start..start + len` of `.debug_info`.
    fn value(
        &mut self,
        unit: Unit,
        field: Field,
        start: usize,
        len: usize,
        low_pc: Option<u64>,
    ) -> Patch<()> {
        let old_bytes = &self.input.info[start..start + len];
        let old = le(old_bytes);
        let at = self.bases.info + start;
        let address_size = unit.encoding.address_size;
        let new = match field.action {
            Action::Keep => return Ok(()),
            Action::Address => self.moves.attribute(old, address_size),
            Action::HighPcLength => {
                let length = match field.size {
                    Size::Uleb => uleb(old_bytes, &mut 0)?,
                    _ => old,
                };
                let new = high_pc(low_pc, length, self.moves)?;
                if field.size == Size::Uleb {
                    return padded_uleb(&mut self.out.info[at..at + len], new);
                }
                new
            }
            Action::Strp => within(old, self.input.str)? + self.bases.str,
            Action::RefAddr => within(old, self.input.info)? + self.bases.info as u64,
            Action::StmtList => match self.lines.get(&(old, address_size)) {
                Some(&new) => new,
                None => {
                    let new = self.out.line.len() as u64;
                    let offset = usize::try_from(old).map_err(|_| Declined)?;
                    lines::reencode(
                        self.input.line,
                        offset,
                        address_size,
                        self.moves,
                        &mut self.out.line,
                    )?;
                    self.lines.insert((old, address_size), new);
                    new
                }
            },
            Action::Ranges => {
                self.list(unit, false, old)?;
                old + self.bases.ranges as u64
            }
            Action::Locations => {
                self.list(unit, true, old)?;
                old + self.bases.loc as u64
            }
            Action::Expression => {
                let out = &mut self.out.info[at..at + len];
                return expression(old_bytes, out, unit.encoding, self.input, self.bases);
            }
        };
        put(&mut self.out.info, at, len, new)
    }

    /// Patches the `.debug_ranges` (or, `locations`, `.debug_loc`) list
    /// at `offset`, relative to the unit's base. Entries are read as gimli
    /// reads them (the rewriting path's input): after a base at or above
    /// the lowest tombstone, and where the resolved begin is one or is not
    /// below the end, there is no range.
    fn list(&mut self, unit: Unit, locations: bool, offset: u64) -> Patch<()> {
        let (unit_old, unit_new) = unit.base.ok_or(Declined)?;
        let (input, base, out) = match locations {
            true => (self.input.loc, self.bases.loc, &mut self.out.loc),
            false => (self.input.ranges, self.bases.ranges, &mut self.out.ranges),
        };
        let address_size = unit.encoding.address_size;
        let size = usize::from(address_size);
        let all = tombstone(address_size);
        // The lowest tombstone, and LLVM's for these sections.
        let min_tombstone = all - 1;
        let start = usize::try_from(offset).map_err(|_| Declined)?;
        let mut at = start;
        let (mut old_base, mut new_base) = (unit_old, unit_new);
        loop {
            let entry = input.get(at..at + 2 * size).ok_or(Declined)?;
            let (begin, end) = (le(&entry[..size]), le(&entry[size..]));
            if begin == 0 && end == 0 {
                at += 2 * size;
                break;
            }
            let (new_begin, new_end) = if begin == all {
                // A base address selection.
                old_base = end;
                new_base = match self.moves.attribute(end, address_size) {
                    _ if end >= min_tombstone => end,
                    new if new == all => return Err(Declined),
                    new => new,
                };
                (all, new_base)
            } else {
                let old_begin = old_base.wrapping_add(begin) & all;
                let old_end = old_base.wrapping_add(end) & all;
                let live =
                    old_base < min_tombstone && old_begin < min_tombstone && old_begin < old_end;
                let moved = (self.moves.get(old_begin), self.moves.get(old_end));
                match moved {
                    (Some(b), Some(e)) if live && b < e => {
                        if b < new_base || new_base == all {
                            return Err(Declined);
                        }
                        (b - new_base, e - new_base)
                    }
                    // No range, or removed code: an empty entry at LLVM's
                    // tombstone for these sections.
                    _ => (min_tombstone, min_tombstone),
                }
            };
            put(out, base + at, size, new_begin)?;
            put(out, base + at + size, size, new_end)?;
            at += 2 * size;
            if locations && begin != all {
                let length = input.get(at..at + 2).ok_or(Declined)?;
                let length = usize::from(u16::from_le_bytes([length[0], length[1]]));
                let bytes = input.get(at + 2..at + 2 + length).ok_or(Declined)?;
                let patched = &mut out[base + at + 2..base + at + 2 + length];
                expression(bytes, patched, unit.encoding, self.input, self.bases)?;
                at += 2 + length;
            }
        }
        self.lists
            .push((locations, start, at, (unit_old, address_size)));
        Ok(())
    }

    fn check_lists(&mut self) -> Patch<()> {
        match consistent(&mut self.lists) {
            true => Ok(()),
            false => Err(Declined),
        }
    }
}

/// A list patched: (`.debug_loc` or not, start, end, (old base, address
/// size)).
type PatchedList = (bool, usize, usize, (u64, u8));

/// Whether lists that overlap (the same list for several DIEs, or one the
/// tail of another), patched from the same input bytes, were all read with
/// the same base and address size.
fn consistent(lists: &mut [PatchedList]) -> bool {
    lists.sort_unstable();
    // The lists overlapping one another so far: section, end, reading.
    let mut group: Option<(bool, usize, (u64, u8))> = None;
    for &(locations, start, end, reading) in lists.iter() {
        match &mut group {
            Some((section, group_end, group_reading))
                if *section == locations && start < *group_end =>
            {
                if *group_reading != reading {
                    return false;
                }
                *group_end = (*group_end).max(end);
            }
            _ => group = Some((locations, end, reading)),
        }
    }
    true
}

/// The plan of one abbreviation.
fn compile(abbreviation: &gimli::Abbreviation, encoding: gimli::Encoding) -> Patch<Plan> {
    let fields = abbreviation
        .attributes()
        .iter()
        .map(|spec| field(spec.name(), spec.form(), encoding))
        .collect::<Patch<Vec<_>>>()?;
    Ok(Plan { fields })
}

/// An offset into `section`, checked.
fn within(offset: u64, section: &[u8]) -> Patch<u64> {
    match offset < section.len() as u64 {
        true => Ok(offset),
        false => Err(Declined),
    }
}

/// A `DW_AT_high_pc` given as a length from `low_pc`: the moved length (as
/// the rewriting path computes it).
fn high_pc(low_pc: Option<u64>, length: u64, moves: Moves<'_>) -> Patch<u64> {
    let low = low_pc.ok_or(Declined)?;
    let high = low.checked_add(length).ok_or(Declined)?;
    match (moves.get(low), moves.get(high)) {
        (Some(new_low), Some(new_high)) if new_high >= new_low => Ok(new_high - new_low),
        (None, _) => Ok(length),
        _ => Err(Declined),
    }
}

/// Patches the `.debug_info` offsets in the expression `bytes` (its copy
/// is `out`); an address index (DWARF 5) is declined.
fn expression(
    bytes: &[u8],
    out: &mut [u8],
    encoding: gimli::Encoding,
    input: Input<'_>,
    bases: Bases,
) -> Patch<()> {
    use gimli::Operation as Op;
    let mut reader = EndianSlice::new(bytes, LittleEndian);
    while !reader.is_empty() {
        let at = bytes.len() - reader.len();
        let (offset, size) = match gimli::Operation::parse(&mut reader, encoding)? {
            Op::Call {
                offset: gimli::DieReference::DebugInfoRef(offset),
            }
            | Op::VariableValue { offset } => (offset, encoding.format.word_size()),
            Op::ImplicitPointer { value, .. } => match encoding.version {
                2 => (value, encoding.address_size),
                _ => (value, encoding.format.word_size()),
            },
            Op::EntryValue { expression: inner } => {
                let inner = inner.slice();
                let start = inner.as_ptr() as usize - bytes.as_ptr() as usize;
                let range = start..start + inner.len();
                expression(
                    &bytes[range.clone()],
                    &mut out[range],
                    encoding,
                    input,
                    bases,
                )?;
                continue;
            }
            Op::AddressIndex { .. } | Op::ConstantIndex { .. } => return Err(Declined),
            _ => continue,
        };
        let new = within(offset.0 as u64, input.info)? + bases.info as u64;
        put(out, at + 1, usize::from(size), new)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::consistent;

    #[test]
    fn overlapping_lists_must_be_read_alike() {
        let (zero, five) = ((0, 4), (5, 4));
        // The same list twice, and a list inside another, read alike.
        assert!(consistent(&mut [
            (false, 0, 100, zero),
            (false, 0, 100, zero),
            (false, 50, 100, zero),
            (false, 100, 120, five),
            (true, 0, 100, five),
        ]));
        // A list inside a longer one but not next to it, another base.
        assert!(!consistent(&mut [
            (false, 0, 100, zero),
            (false, 10, 20, zero),
            (false, 50, 60, five),
        ]));
        // Another address size.
        assert!(!consistent(&mut [
            (true, 0, 40, zero),
            (true, 0, 40, (0, 8))
        ]));
    }
}
