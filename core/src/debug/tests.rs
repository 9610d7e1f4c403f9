//! The in-place patcher against the rewriting path: a synthetic module's
//! DWARF with every kind of field the patcher touches (unit and subprogram
//! addresses, `DW_AT_high_pc` as udata and data4, range and location lists
//! with base selections and removed code, `DW_FORM_strp`, `DW_FORM_ref_addr`,
//! `DW_OP_call_ref`, memory addresses that must not move, line programs),
//! carried for two instances, decodes to the same thing either way.

use super::offsets::{CodeMap, leb_len};
use super::{Instance, dwarf, patch};
use gimli::constants as dw;
use gimli::write::{
    self, Address, AttributeValue, DebugInfoRef, Expression, LineString, Location, LocationList,
    Range, RangeList,
};
use gimli::{Encoding, EndianSlice, Format, LittleEndian};
use std::collections::HashMap;

/// Two bodies, `f` (old 2..40) and `g` (old 41..80, size fields at 1 and
/// 40), written at `at` in the fused code: instructions after old 10 in
/// `f` and all of `g`'s after old 50 three bytes later, and `f` `grow`
/// bytes longer at its end.
fn map(at: usize, grow: usize) -> CodeMap {
    let mut map = CodeMap::new(0, 1);
    map.instruction(5, 3);
    map.instruction(10, 11);
    let f_len = 41 + grow;
    map.function(2..40, at, f_len);
    let g_start = at + leb_len(f_len) + f_len;
    map.instruction(50, 12);
    map.function(41..80, g_start, 42);
    map
}

/// A sequence of line rows: its start, its rows as (offset, line), its
/// length.
type Sequence<'a> = (u64, &'a [(u64, u64)], u64);

/// A unit's line program.
fn program(encoding: Encoding, sequences: &[Sequence<'_>]) -> write::LineProgram {
    let mut program = write::LineProgram::new(
        encoding,
        gimli::LineEncoding::default(),
        LineString::String(b"/src".to_vec()),
        None,
        LineString::String(b"a.rs".to_vec()),
        None,
    );
    let directory = program.default_directory();
    let file = program.add_file(LineString::String(b"b.rs".to_vec()), directory, None);
    for &(start, rows, length) in sequences {
        program.begin_sequence(Some(Address::Constant(start)));
        for &(offset, line) in rows {
            let row = program.row();
            row.address_offset = offset;
            row.line = line;
            row.file = file;
            row.column = line % 3;
            row.is_statement = line % 2 == 0;
            program.generate_row();
        }
        program.end_sequence(length);
    }
    program
}

/// The synthetic module's DWARF sections, by name, every DIE name after
/// `prefix`.
fn module(version: u16, prefix: &str) -> Vec<(&'static str, Vec<u8>)> {
    let encoding = Encoding {
        format: Format::Dwarf32,
        version,
        address_size: 4,
    };
    let mut dwarf = write::Dwarf::new();
    let a = program(
        encoding,
        &[
            (2, &[(0, 1), (3, 2), (8, 5)], 38),
            (41, &[(0, 10), (9, 12)], 39),
        ],
    );
    let b = program(encoding, &[(41, &[(0, 20), (20, 22)], 39)]);
    let (a, b) = (
        dwarf.units.add(write::Unit::new(encoding, a)),
        dwarf.units.add(write::Unit::new(encoding, b)),
    );
    let mut string = |s: &str| AttributeValue::StringRef(dwarf.strings.add(format!("{prefix}{s}")));
    let (name_a, name_b, long) = (string("a.rs"), string("b.rs"), string("long"));
    let (f, g, dead) = (string("f"), string("g"), string("dead"));
    let producer = (!prefix.is_empty()).then(|| string("producer"));

    // Unit b: based at g, a base type, a subprogram with a base selection
    // in its ranges, a location list relative to the unit's base.
    let unit = dwarf.units.get_mut(b);
    let root = unit.root();
    unit.get_mut(root).set(dw::DW_AT_name, name_b);
    unit.get_mut(root).set(
        dw::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(41)),
    );
    unit.get_mut(root)
        .set(dw::DW_AT_high_pc, AttributeValue::Data4(39));
    let long_type = unit.add(root, dw::DW_TAG_base_type);
    unit.get_mut(long_type).set(dw::DW_AT_name, long);
    let ranges = unit.ranges.add(RangeList(vec![
        Range::OffsetPair { begin: 0, end: 9 },
        Range::BaseAddress {
            address: Address::Constant(2),
        },
        Range::OffsetPair { begin: 0, end: 38 },
        Range::OffsetPair {
            begin: 200,
            end: 210,
        },
    ]));
    let sub = unit.add(root, dw::DW_TAG_subprogram);
    unit.get_mut(sub)
        .set(dw::DW_AT_ranges, AttributeValue::RangeListRef(ranges));
    let mut frame = Expression::new();
    frame.op_fbreg(16);
    let locations = unit.locations.add(LocationList(vec![
        Location::OffsetPair {
            begin: 9,
            end: 20,
            data: frame.clone(),
        },
        Location::OffsetPair {
            begin: 100,
            end: 120,
            data: frame.clone(),
        },
    ]));
    let z = unit.add(sub, dw::DW_TAG_variable);
    unit.get_mut(z).set(
        dw::DW_AT_location,
        AttributeValue::LocationListRef(locations),
    );

    // Unit a: based at 0, f (high_pc as udata), g (as data4), removed
    // code, references into unit b.
    let unit = dwarf.units.get_mut(a);
    let root = unit.root();
    unit.get_mut(root).set(dw::DW_AT_name, name_a);
    if let Some(producer) = producer {
        // Another abbreviation table than the first module's.
        unit.get_mut(root).set(dw::DW_AT_producer, producer);
    }
    unit.get_mut(root).set(
        dw::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(0)),
    );
    let ranges = unit.ranges.add(RangeList(vec![
        Range::OffsetPair { begin: 2, end: 40 },
        Range::OffsetPair { begin: 41, end: 80 },
        Range::OffsetPair {
            begin: 0xffff_fffe,
            end: 0xffff_ffff,
        },
        Range::OffsetPair {
            begin: 300,
            end: 310,
        },
    ]));
    unit.get_mut(root)
        .set(dw::DW_AT_ranges, AttributeValue::RangeListRef(ranges));
    let functions = [
        (f, 2, AttributeValue::Udata(38)),
        (g, 41, AttributeValue::Data4(39)),
        (dead, 0xffff_ffff, AttributeValue::Udata(10)),
    ];
    let mut subs = Vec::new();
    for (name, low, high) in functions {
        let sub = unit.add(root, dw::DW_TAG_subprogram);
        let entry = unit.get_mut(sub);
        entry.set(dw::DW_AT_name, name);
        entry.set(
            dw::DW_AT_low_pc,
            AttributeValue::Address(Address::Constant(low)),
        );
        entry.set(dw::DW_AT_high_pc, high);
        subs.push(sub);
    }
    let block = unit.add(subs[0], dw::DW_TAG_lexical_block);
    let ranges = unit.ranges.add(RangeList(vec![
        Range::OffsetPair { begin: 5, end: 10 },
        Range::OffsetPair { begin: 10, end: 20 },
    ]));
    unit.get_mut(block)
        .set(dw::DW_AT_ranges, AttributeValue::RangeListRef(ranges));
    let locations = unit.locations.add(LocationList(vec![
        Location::BaseAddress {
            address: Address::Constant(41),
        },
        Location::OffsetPair {
            begin: 9,
            end: 39,
            data: frame.clone(),
        },
        Location::OffsetPair {
            begin: 2000,
            end: 2010,
            data: frame,
        },
    ]));
    let x = unit.add(block, dw::DW_TAG_variable);
    unit.get_mut(x).set(
        dw::DW_AT_location,
        AttributeValue::LocationListRef(locations),
    );
    // A global at memory address 0x400 (stays), calling into unit b.
    let mut location = Expression::new();
    location.op_addr(Address::Constant(0x400));
    location.op_call_ref(DebugInfoRef::Entry(b, long_type));
    let y = unit.add(subs[1], dw::DW_TAG_variable);
    let entry = unit.get_mut(y);
    entry.set(dw::DW_AT_location, AttributeValue::Exprloc(location));
    entry.set(
        dw::DW_AT_type,
        AttributeValue::DebugInfoRef(DebugInfoRef::Entry(b, long_type)),
    );

    let mut sections = write::Sections::new(write::EndianVec::new(LittleEndian));
    dwarf.write(&mut sections).expect("the synthetic DWARF");
    let mut out = Vec::new();
    let written = sections.for_each(|id, data| {
        if !data.slice().is_empty() {
            out.push((id.name(), data.slice().to_vec()));
        }
        Ok::<_, std::convert::Infallible>(())
    });
    if let Err(never) = written {
        match never {}
    }
    out
}

/// The DWARF of `sections` as its consumers read it: per unit its line
/// rows, and its DIEs in order with every attribute resolved (addresses,
/// strings, references as unit and DIE ordinals, range and location lists
/// as the ranges gimli yields, expressions operation by operation, files
/// by path), so that layouts that differ but mean the same compare equal.
fn decoded(sections: &[(&'static str, Vec<u8>)]) -> Vec<String> {
    let dwarf = gimli::Dwarf::load(|id| -> gimli::Result<_> {
        let data = sections.iter().find(|(n, _)| *n == id.name());
        Ok(EndianSlice::new(
            data.map_or(&[][..], |(_, d)| d),
            LittleEndian,
        ))
    })
    .expect("loads");
    let units = || {
        let mut units = Vec::new();
        let mut headers = dwarf.units();
        while let Some(header) = headers.next().expect("a unit header") {
            units.push(dwarf.unit(header).expect("a unit"));
        }
        units
    };
    // Every DIE's ordinal, by `.debug_info` offset.
    let mut ordinals = HashMap::new();
    for (u, unit) in units().iter().enumerate() {
        let mut entries = unit.entries();
        let mut d = 0;
        while let Some(entry) = entries.next_dfs().expect("a DIE") {
            let offset = entry
                .offset()
                .to_debug_info_offset(&unit.header)
                .expect("in .debug_info");
            ordinals.insert(offset.0, (u, d));
            d += 1;
        }
    }
    let mut out = Vec::new();
    for unit in units() {
        let unit = unit.unit_ref(&dwarf);
        let file = |index: u64| {
            let program = unit.line_program.as_ref()?;
            let header = program.header();
            let entry = header.file(index)?;
            let mut path = String::new();
            if let Some(directory) = entry.directory(header) {
                path += &unit.attr_string(directory).ok()?.to_string_lossy();
            }
            path += "/";
            path += &unit.attr_string(entry.path_name()).ok()?.to_string_lossy();
            Some(path)
        };
        if let Some(program) = unit.line_program.clone() {
            let mut rows = program.rows();
            while let Some((_, row)) = rows.next_row().expect("a line row") {
                out.push(format!(
                    "row {:#x} {:?} {:?} {:?} stmt {} end {}",
                    row.address(),
                    file(row.file_index()),
                    row.line(),
                    row.column(),
                    row.is_stmt(),
                    row.end_sequence()
                ));
            }
        }
        let expression = |e: gimli::Expression<EndianSlice<'_, LittleEndian>>| {
            let mut ops = e.operations(unit.encoding());
            let mut text = Vec::new();
            while let Some(op) = ops.next().expect("an operation") {
                text.push(match op {
                    gimli::Operation::Call {
                        offset: gimli::DieReference::DebugInfoRef(o),
                    } => format!("call_ref {:?}", ordinals.get(&o.0)),
                    op => format!("{op:?}"),
                });
            }
            text.join(", ")
        };
        let mut entries = unit.entries();
        while let Some(entry) = entries.next_dfs().expect("a DIE") {
            out.push(format!("die {} depth {}", entry.tag(), entry.depth()));
            let low_pc = match entry.attr_value(dw::DW_AT_low_pc) {
                Some(value) => unit.attr_address(value).expect("an address"),
                None => None,
            };
            for attr in entry.attrs() {
                use gimli::AttributeValue as A;
                let value = match attr.value() {
                    _ if attr.name() == dw::DW_AT_stmt_list || attr.name() == dw::DW_AT_sibling => {
                        continue;
                    }
                    A::Udata(n) if attr.name() == dw::DW_AT_high_pc => {
                        format!("end {:#x}", low_pc.expect("a low_pc") + n)
                    }
                    A::Addr(a) => format!("address {a:#x}"),
                    A::UnitRef(o) => {
                        let o = o
                            .to_debug_info_offset(&unit.header)
                            .expect("in .debug_info");
                        format!("ref {:?}", ordinals.get(&o.0))
                    }
                    A::DebugInfoRef(o) => format!("ref {:?}", ordinals.get(&o.0)),
                    A::DebugStrRef(_) | A::String(_) => {
                        let s = unit.attr_string(attr.value()).expect("a string");
                        format!("string {}", s.to_string_lossy())
                    }
                    A::RangeListsRef(raw) => {
                        let offset = unit.ranges_offset_from_raw(raw);
                        let mut ranges = unit.ranges(offset).expect("a range list");
                        let mut list = Vec::new();
                        while let Some(r) = ranges.next().expect("a range") {
                            list.push(format!("{:#x}..{:#x}", r.begin, r.end));
                        }
                        format!("ranges {}", list.join(" "))
                    }
                    A::LocationListsRef(offset) => {
                        let mut locations = unit.locations(offset).expect("a location list");
                        let mut list = Vec::new();
                        while let Some(l) = locations.next().expect("a location") {
                            let (begin, end) = (l.range.begin, l.range.end);
                            list.push(format!("{begin:#x}..{end:#x} {}", expression(l.data)));
                        }
                        format!("locations {}", list.join("; "))
                    }
                    A::Exprloc(e) => format!("expression {}", expression(e)),
                    A::FileIndex(i) => format!("file {:?}", file(i)),
                    value => format!("{value:?}"),
                };
                out.push(format!("  {} {value}", attr.name()));
            }
        }
    }
    out
}

/// The synthetic module's DWARF in `version`, carried as two instances
/// (at fused code offsets 0 and 100, `f` grown by `grow` bytes; the second
/// with longer names) by the patcher and by the rewriting path, decoded.
fn carried_both_ways(version: u16, grow: usize) -> (patch::Patch<Vec<String>>, Vec<String>) {
    let sections = [module(version, ""), module(version, "copy of ")];
    let borrowed = sections.each_ref().map(|sections| {
        sections
            .iter()
            .map(|(n, d)| (*n, &d[..]))
            .collect::<Vec<_>>()
    });
    let maps = [map(0, grow), map(100 + grow, grow)];
    let instances: Vec<Instance<'_>> = borrowed
        .iter()
        .zip(maps)
        .map(|(sections, map)| Instance {
            sections,
            map,
            path: "root/synthetic",
        })
        .collect();
    let patched = patch::carry(&instances, 1).map(|s| decoded(&s));
    let rewritten = dwarf::carry(&instances, 1).expect("the rewriting path carries it");
    (patched, decoded(&rewritten))
}

#[test]
fn patched_dwarf_reads_as_the_rewritten() {
    let (patched, rewritten) = carried_both_ways(4, 0);
    let patched = patched.expect("the patcher carries DWARF 4");
    // Line rows, DIEs, attributes: the same, line by line.
    for (p, r) in patched.iter().zip(&rewritten) {
        assert_eq!(p, r);
    }
    assert_eq!(patched.len(), rewritten.len());
    // And what they agree on is where the code went (count_len 1): f at
    // 2..43, g at 44..86; the second copy 100 bytes on; memory address
    // 0x400 kept.
    for expected in [
        "  DW_AT_low_pc address 0x2",
        "  DW_AT_high_pc end 0x2b",
        "  DW_AT_low_pc address 0x2c",
        "  DW_AT_high_pc end 0x56",
        "  DW_AT_low_pc address 0x66",
        "  DW_AT_name string copy of long",
        "  DW_AT_low_pc address 0xffffffff",
        "  DW_AT_ranges ranges 0x2..0x2b 0x2c..0x56",
        "  DW_AT_ranges ranges 0x66..0x8f 0x90..0xba",
        "row 0xd Some(\"/b.rs\") Some(5) Column(2) stmt false end false",
    ] {
        assert!(
            patched.iter().any(|line| line == expected),
            "no `{expected}` in {patched:#?}"
        );
    }
    assert!(
        patched
            .iter()
            .any(|line| line.contains("Address { address: 1024 }"))
    );
    assert!(
        patched
            .iter()
            .any(|line| line.contains("call_ref Some((1, 1))"))
    );
    assert!(
        patched
            .iter()
            .any(|line| line.contains("call_ref Some((3, 1))"))
    );
}

#[test]
fn what_cannot_be_patched_in_place_is_rewritten() {
    // f grown by 100 bytes: its `DW_AT_high_pc` udata (one byte, 38)
    // cannot hold 141.
    let (patched, rewritten) = carried_both_ways(4, 100);
    assert!(patched.is_err());
    assert!(
        rewritten
            .iter()
            .any(|line| line == "  DW_AT_high_pc end 0x90"),
        "{rewritten:#?}"
    );
    // DWARF 5 (`.debug_line_str`, `.debug_rnglists`, `.debug_loclists`).
    let (patched, _) = carried_both_ways(5, 0);
    assert!(patched.is_err());
}

#[test]
fn units_sharing_an_abbreviation_table_with_different_address_sizes() {
    // Two units of the same shape, addresses of 4 and of 8 bytes; the
    // second's header then points at the first's abbreviations (the same
    // codes, forms and attributes), which DWARF allows.
    let mut dwarf = write::Dwarf::new();
    for address_size in [4, 8] {
        let encoding = Encoding {
            format: Format::Dwarf32,
            version: 4,
            address_size,
        };
        let unit = dwarf
            .units
            .add(write::Unit::new(encoding, write::LineProgram::none()));
        let name = AttributeValue::StringRef(dwarf.strings.add(format!("unit {address_size}")));
        let unit = dwarf.units.get_mut(unit);
        let root = unit.get_mut(unit.root());
        root.set(dw::DW_AT_name, name);
        root.set(
            dw::DW_AT_low_pc,
            AttributeValue::Address(Address::Constant(41)),
        );
        root.set(dw::DW_AT_high_pc, AttributeValue::Data4(39));
    }
    let mut sections = write::Sections::new(write::EndianVec::new(LittleEndian));
    dwarf.write(&mut sections).expect("the synthetic DWARF");
    let mut info = sections.debug_info.slice().to_vec();
    let second = 4 + u32::from_le_bytes(info[..4].try_into().expect("a length")) as usize;
    // unit_length, version, then debug_abbrev_offset: 0, the first table.
    info[second + 6..second + 10].copy_from_slice(&0u32.to_le_bytes());
    let owned = [
        (".debug_info", info),
        (".debug_abbrev", sections.debug_abbrev.slice().to_vec()),
        (".debug_str", sections.debug_str.slice().to_vec()),
    ];
    let borrowed: Vec<(&str, &[u8])> = owned.iter().map(|(n, d)| (*n, &d[..])).collect();
    let instances = [Instance {
        sections: &borrowed,
        map: map(0, 0),
        path: "root/synthetic",
    }];
    let patched = patch::carry(&instances, 1).expect("the patcher carries it");
    let rewritten = dwarf::carry(&instances, 1).expect("the rewriting path carries it");
    let patched = decoded(&patched);
    assert_eq!(patched, decoded(&rewritten));
    let moved = "  DW_AT_low_pc address 0x2c";
    assert_eq!(
        patched.iter().filter(|line| *line == moved).count(),
        2,
        "{patched:#?}"
    );
}
