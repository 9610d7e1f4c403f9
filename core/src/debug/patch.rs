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
use super::lines::{self, le, put};
use gimli::{DwAt, DwForm, EndianSlice, Format, LittleEndian, constants as dw};
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

/// How a value is laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    Fixed(u8),
    Uleb,
    Sleb,
    /// A NUL-terminated string.
    Cstr,
    /// A block after its length of 1, 2 or 4 bytes.
    Block(u8),
    /// A block after its ULEB length.
    BlockUleb,
}

/// What is done to a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Keep,
    /// A `DW_FORM_addr` code address (`DW_AT_low_pc` included).
    Address,
    /// `DW_AT_high_pc` as a length from `DW_AT_low_pc`.
    HighPcLength,
    Strp,
    RefAddr,
    StmtList,
    Ranges,
    Locations,
    Expression,
}

#[derive(Clone, Copy)]
struct Field {
    name: DwAt,
    size: Size,
    action: Action,
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
    /// Old `.debug_line` offset to new.
    lines: HashMap<u64, u64>,
    /// Lists patched: (`.debug_loc` or not, start, end, old base).
    lists: Vec<(bool, usize, usize, u64)>,
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
            Action::StmtList => match self.lines.get(&old) {
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
                    self.lines.insert(old, new);
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
        self.lists.push((locations, start, at, unit_old));
        Ok(())
    }

    /// Lists that overlap (one the tail of another) were patched from the
    /// same input bytes: right only if relative to the same base.
    fn check_lists(&mut self) -> Patch<()> {
        self.lists.sort_unstable();
        for pair in self.lists.windows(2) {
            let ((a_loc, _, a_end, a_base), (b_loc, b_start, _, b_base)) = (pair[0], pair[1]);
            if a_loc == b_loc && b_start < a_end && a_base != b_base {
                return Err(Declined);
            }
        }
        Ok(())
    }
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

/// How an attribute of `name` in `form` is walked and patched, as gimli
/// (and so the rewriting path) reads it.
fn field(name: DwAt, form: DwForm, encoding: gimli::Encoding) -> Patch<Field> {
    use Action as A;
    let offset = encoding.format.word_size();
    let address = encoding.address_size;
    let fixed = |n: u8| Size::Fixed(n);
    let (size, action) = match form {
        dw::DW_FORM_addr => (fixed(address), A::Address),
        dw::DW_FORM_strp => (fixed(offset), A::Strp),
        dw::DW_FORM_ref_addr if encoding.version == 2 => (fixed(address), A::RefAddr),
        dw::DW_FORM_ref_addr => (fixed(offset), A::RefAddr),
        dw::DW_FORM_sec_offset => (fixed(offset), section_offset(name)?),
        dw::DW_FORM_data4 | dw::DW_FORM_data8
            if (form == dw::DW_FORM_data4) == (encoding.format == Format::Dwarf32)
                && allows_section_offset(name, encoding.version) =>
        {
            (fixed(offset), section_offset(name)?)
        }
        dw::DW_FORM_data1 | dw::DW_FORM_data2 | dw::DW_FORM_data4 | dw::DW_FORM_data8 => {
            let n = match form {
                dw::DW_FORM_data1 => 1,
                dw::DW_FORM_data2 => 2,
                dw::DW_FORM_data4 => 4,
                _ => 8,
            };
            let action = match name {
                dw::DW_AT_high_pc => A::HighPcLength,
                _ => A::Keep,
            };
            (fixed(n), action)
        }
        dw::DW_FORM_udata if name == dw::DW_AT_high_pc => (Size::Uleb, A::HighPcLength),
        dw::DW_FORM_sdata if name == dw::DW_AT_high_pc => return Err(Declined),
        dw::DW_FORM_exprloc => (Size::BlockUleb, A::Expression),
        dw::DW_FORM_block1 | dw::DW_FORM_block2 | dw::DW_FORM_block4 | dw::DW_FORM_block => {
            let size = match form {
                dw::DW_FORM_block1 => Size::Block(1),
                dw::DW_FORM_block2 => Size::Block(2),
                dw::DW_FORM_block4 => Size::Block(4),
                _ => Size::BlockUleb,
            };
            let action = match is_expression(name) {
                true => A::Expression,
                false => A::Keep,
            };
            (size, action)
        }
        dw::DW_FORM_flag | dw::DW_FORM_ref1 => (fixed(1), A::Keep),
        dw::DW_FORM_ref2 => (fixed(2), A::Keep),
        dw::DW_FORM_ref4 => (fixed(4), A::Keep),
        dw::DW_FORM_ref8 | dw::DW_FORM_ref_sig8 => (fixed(8), A::Keep),
        dw::DW_FORM_data16 => (fixed(16), A::Keep),
        dw::DW_FORM_flag_present | dw::DW_FORM_implicit_const => (fixed(0), A::Keep),
        dw::DW_FORM_udata | dw::DW_FORM_ref_udata => (Size::Uleb, A::Keep),
        dw::DW_FORM_sdata => (Size::Sleb, A::Keep),
        dw::DW_FORM_string => (Size::Cstr, A::Keep),
        // Indices into DWARF 5 sections, supplementary files, `indirect`.
        _ => return Err(Declined),
    };
    if name == dw::DW_AT_GNU_locviews {
        // Offsets the rewriting path drops; not patched here.
        return Err(Declined);
    }
    Ok(Field { name, size, action })
}

/// What a section offset of attribute `name` points into.
fn section_offset(name: DwAt) -> Patch<Action> {
    Ok(match name {
        dw::DW_AT_stmt_list => Action::StmtList,
        dw::DW_AT_ranges | dw::DW_AT_start_scope => Action::Ranges,
        _ if is_location_list(name) => Action::Locations,
        // Macro information, DWARF 5 bases, vendor offsets.
        _ => return Err(Declined),
    })
}

/// gimli's `allow_section_offset`: attributes whose `DW_FORM_data4/8`
/// is a section offset in DWARF 2 and 3.
fn allows_section_offset(name: DwAt, version: u16) -> bool {
    match name {
        dw::DW_AT_location
        | dw::DW_AT_stmt_list
        | dw::DW_AT_string_length
        | dw::DW_AT_return_addr
        | dw::DW_AT_start_scope
        | dw::DW_AT_frame_base
        | dw::DW_AT_macro_info
        | dw::DW_AT_macros
        | dw::DW_AT_segment
        | dw::DW_AT_static_link
        | dw::DW_AT_use_location
        | dw::DW_AT_vtable_elem_location
        | dw::DW_AT_ranges => true,
        dw::DW_AT_data_member_location => version == 2 || version == 3,
        _ => false,
    }
}

/// Attributes whose section offset is a location list (gimli's
/// `loclistptr` class).
fn is_location_list(name: DwAt) -> bool {
    matches!(
        name,
        dw::DW_AT_location
            | dw::DW_AT_string_length
            | dw::DW_AT_return_addr
            | dw::DW_AT_data_member_location
            | dw::DW_AT_frame_base
            | dw::DW_AT_segment
            | dw::DW_AT_static_link
            | dw::DW_AT_use_location
            | dw::DW_AT_vtable_elem_location
    )
}

/// Attributes whose block is an expression (gimli's `exprloc` class).
fn is_expression(name: DwAt) -> bool {
    is_location_list(name)
        || matches!(
            name,
            dw::DW_AT_byte_size
                | dw::DW_AT_bit_offset
                | dw::DW_AT_bit_size
                | dw::DW_AT_lower_bound
                | dw::DW_AT_bit_stride
                | dw::DW_AT_upper_bound
                | dw::DW_AT_count
                | dw::DW_AT_allocated
                | dw::DW_AT_associated
                | dw::DW_AT_data_location
                | dw::DW_AT_byte_stride
                | dw::DW_AT_rank
                | dw::DW_AT_call_value
                | dw::DW_AT_call_origin
                | dw::DW_AT_call_target
                | dw::DW_AT_call_target_clobbered
                | dw::DW_AT_call_data_location
                | dw::DW_AT_call_data_value
        )
}

/// The value of `size` at `*at` of `data`, as (start, length); `*at` moves
/// past it.
fn span(data: &[u8], at: &mut usize, size: Size) -> Patch<(usize, usize)> {
    let (start, len) = match size {
        Size::Fixed(n) => (*at, usize::from(n)),
        Size::Uleb | Size::Sleb => {
            let start = *at;
            uleb(data, at)?;
            (start, *at - start)
        }
        Size::Cstr => {
            let rest = data.get(*at..).ok_or(Declined)?;
            let nul = rest.iter().position(|&b| b == 0).ok_or(Declined)?;
            (*at, nul + 1)
        }
        Size::Block(n) => {
            let n = usize::from(n);
            let length = le(data.get(*at..*at + n).ok_or(Declined)?);
            (*at + n, usize::try_from(length).map_err(|_| Declined)?)
        }
        Size::BlockUleb => {
            let length = uleb(data, at)?;
            (*at, usize::try_from(length).map_err(|_| Declined)?)
        }
    };
    let end = start.checked_add(len).ok_or(Declined)?;
    if end > data.len() {
        return Err(Declined);
    }
    *at = end;
    Ok((start, len))
}

/// Reads an unsigned LEB128 at `*at`, moving past it.
fn uleb(data: &[u8], at: &mut usize) -> Patch<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *data.get(*at).ok_or(Declined)?;
        *at += 1;
        if shift < 64 {
            value |= u64::from(byte & 0x7f) << shift;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// Writes `value` as a ULEB128 padded to the width of `field`, if it fits.
fn padded_uleb(field: &mut [u8], mut value: u64) -> Patch<()> {
    let Some((last, rest)) = field.split_last_mut() else {
        return Err(Declined);
    };
    for byte in rest {
        *byte = (value & 0x7f) as u8 | 0x80;
        value >>= 7;
    }
    if value > 0x7f {
        return Err(Declined);
    }
    *last = value as u8;
    Ok(())
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
