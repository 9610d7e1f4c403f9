//! How the attribute forms of DWARF 2 to 4 are laid out and which of
//! their values the patcher (`patch.rs`) changes, attribute by attribute
//! as gimli reads them (and so as the rewriting path sees them): gimli's
//! attribute classes are mirrored here, for the forms whose values hold a
//! code address or a section offset.

use super::lines::le;
use super::patch::{Declined, Patch};
use gimli::{DwAt, DwForm, Format, constants as dw};

/// How a value is laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Size {
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
pub(super) enum Action {
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
pub(super) struct Field {
    pub(super) name: DwAt,
    pub(super) size: Size,
    pub(super) action: Action,
}

/// How an attribute of `name` in `form` is walked and patched, as gimli
/// (and so the rewriting path) reads it.
pub(super) fn field(name: DwAt, form: DwForm, encoding: gimli::Encoding) -> Patch<Field> {
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
pub(super) fn span(data: &[u8], at: &mut usize, size: Size) -> Patch<(usize, usize)> {
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
pub(super) fn uleb(data: &[u8], at: &mut usize) -> Patch<u64> {
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
pub(super) fn padded_uleb(field: &mut [u8], mut value: u64) -> Patch<()> {
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
