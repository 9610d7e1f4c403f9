//! Line programs re-encoded for the moved code, for the in-place patcher
//! (`patch.rs`): the one part of the DWARF whose size depends on where
//! the code went, since each row's address is an advance from the last.
//!
//! A program keeps its header's file and directory tables byte for byte
//! (so `DW_AT_decl_file` indices stay valid) under a header with
//! WebAssembly's line encoding (one byte per address step, one operation
//! per instruction, LLVM's special-opcode range), whatever the input's
//! header said. Rows are read with gimli and written again, each address
//! moved through the instance's [`CodeMap`](super::offsets::CodeMap); a sequence whose first row is
//! not in a live body (the linker removed the function) is dropped, and a
//! row that is not in a body or would go back is left out, as the
//! rewriting path does.

use super::dwarf::Moves;
use super::patch::{Declined, Patch};
use gimli::{ColumnType, DebugLineOffset, LittleEndian, constants as dw};

/// The special-opcode encoding written (LLVM's, gimli's default).
const LINE_BASE: i64 = -5;
const LINE_RANGE: u64 = 14;
const OPCODE_BASE: u8 = 13;
/// Operand counts of standard opcodes 1 to 12.
const STANDARD_LENGTHS: [u8; 12] = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];

/// Where a DWARF 2 to 4 line program's header fields are.
struct Header<'a> {
    dwarf64: bool,
    version: u16,
    default_is_stmt: bool,
    /// The include directories and file names, as the input had them.
    tables: &'a [u8],
}

impl<'a> Header<'a> {
    /// The header of the program at `offset` of `section`.
    fn parse(section: &'a [u8], offset: usize) -> Patch<Header<'a>> {
        let mut at = offset;
        let take = |at: &mut usize, n: usize| -> Patch<&'a [u8]> {
            let end = at.checked_add(n).ok_or(Declined)?;
            let bytes = section.get(*at..end).ok_or(Declined)?;
            *at = end;
            Ok(bytes)
        };
        let mut length = le(take(&mut at, 4)?);
        let dwarf64 = length == 0xffff_ffff;
        if dwarf64 {
            length = le(take(&mut at, 8)?);
        }
        let unit_start = at;
        let version = le(take(&mut at, 2)?) as u16;
        if !(2..=4).contains(&version) {
            return Err(Declined);
        }
        let header_length = le(take(&mut at, if dwarf64 { 8 } else { 4 })?);
        let fields_start = at;
        take(&mut at, 1)?; // minimum_instruction_length
        if version >= 4 {
            take(&mut at, 1)?; // maximum_operations_per_instruction
        }
        let default_is_stmt = take(&mut at, 1)?[0] != 0;
        take(&mut at, 2)?; // line_base, line_range
        let opcode_base = take(&mut at, 1)?[0];
        take(&mut at, usize::from(opcode_base.saturating_sub(1)))?;
        let tables_start = at;
        let end_of = |start: usize, length: u64| {
            usize::try_from(length)
                .ok()
                .and_then(|n| start.checked_add(n))
                .ok_or(Declined)
        };
        let program_start = end_of(fields_start, header_length)?;
        let unit_end = end_of(unit_start, length)?;
        if tables_start > program_start || program_start > unit_end || unit_end > section.len() {
            return Err(Declined);
        }
        Ok(Header {
            dwarf64,
            version,
            default_is_stmt,
            tables: &section[tables_start..program_start],
        })
    }
}

/// A little-endian unsigned integer of up to 8 bytes.
pub(super) fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |value, &byte| (value << 8) | u64::from(byte))
}

/// Appends the program at `offset` of `section`, moved, to `out`.
pub(super) fn reencode(
    section: &[u8],
    offset: usize,
    address_size: u8,
    moves: Moves<'_>,
    out: &mut Vec<u8>,
) -> Patch<()> {
    if !matches!(address_size, 1 | 2 | 4 | 8) {
        return Err(Declined);
    }
    let header = Header::parse(section, offset)?;
    let start = out.len();
    let offset_size = if header.dwarf64 { 8 } else { 4 };
    if header.dwarf64 {
        out.extend_from_slice(&[0xff; 4]);
    }
    out.resize(out.len() + offset_size, 0); // unit_length, below
    out.extend_from_slice(&header.version.to_le_bytes());
    let header_length_at = out.len();
    out.resize(out.len() + offset_size, 0); // header_length, below
    let fields_start = out.len();
    out.push(1); // minimum_instruction_length
    if header.version >= 4 {
        out.push(1); // maximum_operations_per_instruction
    }
    out.push(u8::from(header.default_is_stmt));
    out.push(LINE_BASE as u8);
    out.push(LINE_RANGE as u8);
    out.push(OPCODE_BASE);
    out.extend_from_slice(&STANDARD_LENGTHS);
    out.extend_from_slice(header.tables);
    let header_length = (out.len() - fields_start) as u64;
    put(out, header_length_at, offset_size, header_length)?;

    let program = gimli::DebugLine::new(section, LittleEndian).program(
        DebugLineOffset(offset),
        address_size,
        None,
        None,
    )?;
    let files = program.header().file_names().len() as u64;
    let mut rows = program.rows();
    let mut writer = Writer {
        out,
        address_size,
        default_is_stmt: header.default_is_stmt,
        state: State::new(header.default_is_stmt),
    };
    // Per sequence: its moved start, the last row's moved address.
    let mut sequence: Option<Option<(u64, u64)>> = None;
    while let Some((_, row)) = rows.next_row()? {
        let old = row.address();
        if row.file_index() > files {
            // A file defined by the program itself (DW_LNE_define_file),
            // which is not written again.
            return Err(Declined);
        }
        let live = *sequence.get_or_insert_with(|| {
            let start = moves.get(old)?;
            writer.begin(start);
            Some((start, start))
        });
        let Some((start, last)) = live else {
            if row.end_sequence() {
                sequence = None;
            }
            continue;
        };
        if row.end_sequence() {
            let end = moves.get(old).map_or(last, |new| new.max(last));
            writer.end(end);
            sequence = None;
            continue;
        }
        // Rows keep their order (the map is monotonic); a row that would
        // go back is malformed input and is left out.
        if let Some(new) = moves.get(old).filter(|&new| new >= last) {
            writer.row(row, new);
            sequence = Some(Some((start, new)));
        }
    }
    if sequence.is_some() {
        // A sequence without its end: malformed, refused by the
        // rewriting path.
        return Err(Declined);
    }
    let length = (writer.out.len() - start - if header.dwarf64 { 12 } else { 4 }) as u64;
    let length_at = start + if header.dwarf64 { 4 } else { 0 };
    put(writer.out, length_at, offset_size, length)
}

/// Writes `value` into the `size` bytes at `at`, if it fits.
pub(super) fn put(out: &mut [u8], at: usize, size: usize, value: u64) -> Patch<()> {
    if size > 8 || (size < 8 && value >> (8 * size) != 0) {
        return Err(Declined);
    }
    let field = out.get_mut(at..at + size).ok_or(Declined)?;
    field.copy_from_slice(&value.to_le_bytes()[..size]);
    Ok(())
}

/// The line state machine's registers as last written.
struct State {
    address: u64,
    file: u64,
    line: u64,
    column: u64,
    is_stmt: bool,
    isa: u64,
}

impl State {
    fn new(default_is_stmt: bool) -> State {
        State {
            address: 0,
            file: 1,
            line: 1,
            column: 0,
            is_stmt: default_is_stmt,
            isa: 0,
        }
    }
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    address_size: u8,
    default_is_stmt: bool,
    state: State,
}

impl Writer<'_> {
    fn begin(&mut self, address: u64) {
        self.state = State::new(self.default_is_stmt);
        let size = usize::from(self.address_size);
        self.extended(dw::DW_LNE_set_address.0, size);
        self.out.extend_from_slice(&address.to_le_bytes()[..size]);
        self.state.address = address;
    }

    fn row(&mut self, row: &gimli::LineRow, address: u64) {
        if row.file_index() != self.state.file {
            self.state.file = row.file_index();
            self.standard(dw::DW_LNS_set_file.0);
            uleb(self.out, row.file_index());
        }
        let column = match row.column() {
            ColumnType::LeftEdge => 0,
            ColumnType::Column(column) => column.get(),
        };
        if column != self.state.column {
            self.state.column = column;
            self.standard(dw::DW_LNS_set_column.0);
            uleb(self.out, column);
        }
        if row.is_stmt() != self.state.is_stmt {
            self.state.is_stmt = row.is_stmt();
            self.standard(dw::DW_LNS_negate_stmt.0);
        }
        if row.basic_block() {
            self.standard(dw::DW_LNS_set_basic_block.0);
        }
        if row.prologue_end() {
            self.standard(dw::DW_LNS_set_prologue_end.0);
        }
        if row.epilogue_begin() {
            self.standard(dw::DW_LNS_set_epilogue_begin.0);
        }
        if row.isa() != self.state.isa {
            self.state.isa = row.isa();
            self.standard(dw::DW_LNS_set_isa.0);
            uleb(self.out, row.isa());
        }
        if row.discriminator() != 0 {
            let discriminator = row.discriminator();
            let mut operand = Vec::with_capacity(10);
            uleb(&mut operand, discriminator);
            self.extended(dw::DW_LNE_set_discriminator.0, operand.len());
            self.out.extend_from_slice(&operand);
        }
        let line = row.line().map_or(0, |line| line.get());
        let mut line_delta = line.wrapping_sub(self.state.line) as i64;
        let address_delta = address - self.state.address;
        self.state.line = line;
        self.state.address = address;
        if !(LINE_BASE..LINE_BASE + LINE_RANGE as i64).contains(&line_delta) {
            self.standard(dw::DW_LNS_advance_line.0);
            sleb(self.out, line_delta);
            line_delta = 0;
        }
        let line_part = (line_delta - LINE_BASE) as u64 + u64::from(OPCODE_BASE);
        match address_delta
            .checked_mul(LINE_RANGE)
            .and_then(|a| a.checked_add(line_part))
        {
            Some(special) if special <= 255 => self.out.push(special as u8),
            _ => {
                self.standard(dw::DW_LNS_advance_pc.0);
                uleb(self.out, address_delta);
                self.out.push(line_part as u8);
            }
        }
    }

    fn end(&mut self, address: u64) {
        let delta = address.saturating_sub(self.state.address);
        if delta > 0 {
            self.standard(dw::DW_LNS_advance_pc.0);
            uleb(self.out, delta);
        }
        self.extended(dw::DW_LNE_end_sequence.0, 0);
    }

    fn standard(&mut self, opcode: u8) {
        self.out.push(opcode);
    }

    /// An extended opcode with `operands` bytes of operands (written
    /// next): 0, its length, the opcode.
    fn extended(&mut self, opcode: u8, operands: usize) {
        self.out.push(0);
        uleb(self.out, 1 + operands as u64);
        self.out.push(opcode);
    }
}

pub(super) fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
