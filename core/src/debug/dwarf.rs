//! The rewriting path: the DWARF of every inner module instance rewritten
//! with gimli into the fused module's DWARF, unit by unit. [`super::carry`]
//! takes it for what the in-place patcher (`patch.rs`) declines; it is
//! slower (every DIE and string goes through `gimli::write`) but reads
//! everything gimli reads.
//!
//! gimli's converter copies DIEs, strings and line-program headers; what
//! depends on code addresses is done here, each address through the
//! instance's [`CodeMap`]: `DW_AT_low_pc` and every other address-valued
//! attribute, `DW_AT_high_pc` given as a length (recomputed from the moved
//! end), every row of the line program, and range and location lists,
//! which are rewritten as absolute `start, end` pairs after a base address
//! of 0 (offset pairs would keep the old distances). Addresses in DWARF
//! expressions (`DW_OP_addr`) are linear-memory addresses in WebAssembly,
//! not code, and stay as they are. Code that the linker removed (an
//! address outside every body) keeps a tombstone and its line rows and
//! list entries are dropped.

use super::offsets::CodeMap;
use super::{Instance, unreadable};
use crate::error::{Error, Result};
use gimli::write::{self, Address, ConvertError, ConvertResult, ConvertUnit, ConvertUnitEntry};
use gimli::{EndianSlice, LittleEndian, constants};

/// The reader every input section is read through.
pub(crate) type Reader<'a> = EndianSlice<'a, LittleEndian>;

/// How code addresses of one instance move.
#[derive(Clone, Copy)]
pub(crate) struct Moves<'m> {
    pub(crate) map: &'m CodeMap,
    /// Bytes of the fused code section's function count.
    pub(crate) count_len: u64,
}

impl Moves<'_> {
    /// Where the code at inner address `old` is now; `None` outside the
    /// module's bodies.
    pub(crate) fn get(&self, old: u64) -> Option<u64> {
        self.map.address(old, self.count_len)
    }

    /// An address-valued attribute: moved, `0` kept (a compilation unit's
    /// base), anything else outside the bodies becomes a tombstone.
    pub(crate) fn attribute(&self, old: u64, address_size: u8) -> u64 {
        match (old, self.get(old)) {
            (0, _) => 0,
            (_, Some(new)) => new,
            (_, None) => tombstone(address_size),
        }
    }
}

/// The address DWARF consumers skip as "no code" (all ones).
pub(crate) fn tombstone(address_size: u8) -> u64 {
    u64::MAX >> (64 - 8 * u32::from(address_size.clamp(1, 8)))
}

/// Rewrites the DWARF of `instances` into one set of sections, by name,
/// for a fused code section whose function count takes `count_len` bytes.
pub(super) fn carry(
    instances: &[Instance<'_>],
    count_len: usize,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut fused = write::Dwarf::new();
    let mut sections = write::Sections::new(write::EndianVec::new(LittleEndian));
    for instance in instances {
        let input = gimli::read::Dwarf::load(|id| -> gimli::Result<_> {
            Ok(EndianSlice::new(instance.section(id.name()), LittleEndian))
        })
        .map_err(|e| unreadable(e, instance.path))?;
        let moves = Moves {
            map: &instance.map,
            count_len: count_len as u64,
        };
        convert(&mut fused, &mut sections, &input, moves)
            .map_err(|e| unreadable(e, instance.path))?;
    }
    fused
        .write(&mut sections)
        .map_err(|e| Error::internal(format!("writing the fused DWARF: {e}")))?;
    drop(fused);
    let mut out = Vec::new();
    let taken = sections.for_each_mut(|id, data| {
        let bytes = data.take();
        if !bytes.is_empty() {
            out.push((id.name(), bytes));
        }
        Ok::<_, std::convert::Infallible>(())
    });
    if let Err(never) = taken {
        match never {}
    }
    Ok(out)
}

/// Converts every unit of `input` into `dwarf`, writing each to `sections`
/// as soon as it is converted (only one unit's DIEs are held at a time).
pub(crate) fn convert(
    dwarf: &mut write::Dwarf,
    sections: &mut write::Sections<write::EndianVec<LittleEndian>>,
    input: &gimli::read::Dwarf<Reader<'_>>,
    moves: Moves<'_>,
) -> ConvertResult<()> {
    let mut units = dwarf.convert(input)?;
    while let Some((mut unit, root)) = units.read_unit()? {
        // WebAssembly's line encoding (one byte per address step, one
        // operation per instruction) whatever the input's header says: a
        // corrupt header must not reach gimli's writer.
        let encoding = gimli::LineEncoding::default();
        if let Some(program) = unit.read_line_program(None, Some(encoding))? {
            let (program, files) = lines(program, moves)?;
            unit.set_line_program(program, files);
        }
        let root_id = unit.unit.root();
        attributes(&mut unit, root_id, &root, moves)?;
        let mut entry = root;
        while let Some(id) = unit.read_entry(&mut entry)? {
            let id = unit.add_entry(id, &entry);
            attributes(&mut unit, id, &entry, moves)?;
        }
        unit.write(sections).map_err(ConvertError::Write)?;
    }
    Ok(())
}

/// Converts the attributes of one DIE.
fn attributes<'i>(
    unit: &mut ConvertUnit<'_, Reader<'i>>,
    id: write::UnitEntryId,
    entry: &ConvertUnitEntry<'_, Reader<'i>>,
    moves: Moves<'_>,
) -> ConvertResult<()> {
    use gimli::read::AttributeValue as A;
    let read_unit = entry.read_unit;
    let size = read_unit.encoding().address_size;
    let low_pc = match entry.attr_value(constants::DW_AT_low_pc) {
        Some(value) => read_unit.attr_address(value)?,
        None => None,
    };
    let code = |old: u64| Some(Address::Constant(moves.attribute(old, size)));
    let data = |old: u64| Some(Address::Constant(old));
    for attr in &entry.attrs {
        let value = match attr.value() {
            // A GNU extension gimli does not write; safe to leave out.
            _ if attr.name() == constants::DW_AT_GNU_locviews => continue,
            A::Udata(length) if attr.name() == constants::DW_AT_high_pc => {
                write::AttributeValue::Udata(high_pc(low_pc, length, moves)?)
            }
            A::RangeListsRef(raw) => {
                let offset = read_unit.ranges_offset_from_raw(raw);
                let list = ranges(read_unit, offset, moves)?;
                write::AttributeValue::RangeListRef(unit.unit.ranges.add(list))
            }
            A::DebugRngListsIndex(index) => {
                let offset = read_unit.ranges_offset(index)?;
                let list = ranges(read_unit, offset, moves)?;
                write::AttributeValue::RangeListRef(unit.unit.ranges.add(list))
            }
            A::LocationListsRef(offset) => {
                let list = locations(unit, read_unit, offset, moves)?;
                write::AttributeValue::LocationListRef(unit.unit.locations.add(list))
            }
            A::DebugLocListsIndex(index) => {
                let offset = read_unit.locations_offset(index)?;
                let list = locations(unit, read_unit, offset, moves)?;
                write::AttributeValue::LocationListRef(unit.unit.locations.add(list))
            }
            A::Exprloc(_) => unit.convert_attribute_value(read_unit, attr, &data)?,
            _ => unit.convert_attribute_value(read_unit, attr, &code)?,
        };
        unit.unit.get_mut(id).set(attr.name(), value);
    }
    Ok(())
}

/// A `DW_AT_high_pc` given as a length from `low_pc`: the moved length.
fn high_pc(low_pc: Option<u64>, length: u64, moves: Moves<'_>) -> ConvertResult<u64> {
    let Some(low) = low_pc else {
        return Err(ConvertError::InvalidAttributeValue);
    };
    let high = low
        .checked_add(length)
        .ok_or(ConvertError::InvalidAddress)?;
    match (moves.get(low), moves.get(high)) {
        (Some(new_low), Some(new_high)) if new_high >= new_low => Ok(new_high - new_low),
        // Removed code (a tombstone low_pc): its length means nothing.
        (None, _) => Ok(length),
        _ => Err(ConvertError::InvalidAddress),
    }
}

/// A range list, as absolute moved ranges.
fn ranges(
    read_unit: gimli::read::UnitRef<'_, Reader<'_>>,
    offset: gimli::RangeListsOffset,
    moves: Moves<'_>,
) -> ConvertResult<write::RangeList> {
    let mut out = vec![write::Range::BaseAddress {
        address: Address::Constant(0),
    }];
    let mut iter = read_unit.ranges(offset)?;
    while let Some(range) = iter.next()? {
        if let Some((begin, end)) = moved(range, moves) {
            out.push(write::Range::StartEnd { begin, end });
        }
    }
    Ok(write::RangeList(out))
}

/// A location list, as absolute moved ranges; the expressions keep their
/// (memory) addresses.
fn locations<'i>(
    unit: &ConvertUnit<'_, Reader<'i>>,
    read_unit: gimli::read::UnitRef<'_, Reader<'i>>,
    offset: gimli::LocationListsOffset,
    moves: Moves<'_>,
) -> ConvertResult<write::LocationList> {
    let data = |old: u64| Some(Address::Constant(old));
    let mut out = vec![write::Location::BaseAddress {
        address: Address::Constant(0),
    }];
    let mut iter = read_unit.locations(offset)?;
    while let Some(entry) = iter.next()? {
        if let Some((begin, end)) = moved(entry.range, moves) {
            let data = unit.convert_expression(read_unit, entry.data, &data)?;
            out.push(write::Location::StartEnd { begin, end, data });
        }
    }
    Ok(write::LocationList(out))
}

/// A non-empty range of live code, moved.
fn moved(range: gimli::Range, moves: Moves<'_>) -> Option<(Address, Address)> {
    let begin = moves.get(range.begin)?;
    let end = moves.get(range.end)?;
    (begin < end).then_some((Address::Constant(begin), Address::Constant(end)))
}

/// Converts a line program row by row, moving every row's address.
/// Sequences of removed code are dropped.
fn lines(
    mut program: write::ConvertLineProgram<'_, Reader<'_>>,
    moves: Moves<'_>,
) -> ConvertResult<(write::LineProgram, Vec<write::FileId>)> {
    use write::ConvertLineSequenceEnd as End;
    while let Some(sequence) = program.read_sequence()? {
        let start = sequence.start.unwrap_or(0);
        let Some(new_start) = moves.get(start) else {
            continue;
        };
        program.begin_sequence(Some(Address::Constant(new_start)));
        let mut last = 0;
        for mut row in sequence.rows {
            let old = start.saturating_add(row.address_offset);
            // Rows keep their order (the map is monotonic); a row that
            // would go back is malformed input and is left out.
            match moves.get(old).and_then(|new| new.checked_sub(new_start)) {
                Some(offset) if offset >= last => {
                    row.address_offset = offset;
                    row.op_index = 0;
                    last = offset;
                    program.generate_row(row);
                }
                _ => {}
            }
        }
        let end = match sequence.end {
            End::Length(length) => start.saturating_add(length),
            End::Address(address) => address,
        };
        let end = moves
            .get(end)
            .map_or(last, |new| new.saturating_sub(new_start).max(last));
        program.end_sequence(end);
    }
    Ok(program.program())
}
