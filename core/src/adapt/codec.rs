//! Code points in generated wasm: decoding utf8, utf16 and latin1 from
//! linear memory (trapping on invalid utf8 and lone surrogates, as
//! wasmtime's transcoders do) and encoding them back, one code point at a
//! time. The string helpers (`strings.rs`) decide how much memory to ask
//! for; this module only reads and writes it. Its loads from the source
//! are marked [`Body::within`]: a caller checks the whole source range
//! `[p, end)` against its memory first (`Body::check_range`), and the
//! loops here never read past `end`. So are its stores of converted
//! characters ([`encode`], [`ascii_run`]; `Body::store_within`): a caller
//! writes into a block its realloc returned (checked after the call) and
//! large enough for what converting the whole source could write, and
//! what is written before each character is at most what converting the
//! source read so far writes (`strings.rs` states each bound).

use super::body::{Body, Local};
use crate::abi::Flat;
use wasm_encoder::{BlockType, Instruction as I};

/// How the source bytes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decoder {
    Utf8,
    Utf16,
    Latin1,
}

impl Decoder {
    pub(super) fn unit(self) -> u32 {
        match self {
            Decoder::Utf16 => 2,
            Decoder::Utf8 | Decoder::Latin1 => 1,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Encoder {
    Utf8,
    Utf16,
    Latin1,
}

/// Writes code point `cp` at `d` in `memory` and advances `d`: at most
/// 2 bytes per utf8 byte or utf16 unit it was decoded from as utf16, 3
/// as utf8, 1 as latin1 (the caller's block holds that many for the
/// whole source; the stores are marked [`Body::store_within`]).
pub(super) fn encode(body: &mut Body, encoder: Encoder, memory: u32, d: Local, cp: Local) {
    let byte = |body: &mut Body, offset: u32, shift: u32, mark: u32, mask: u32| {
        body.get(d).get(cp);
        if shift > 0 {
            body.i32(shift).ins(I::I32ShrU);
        }
        body.i32(mask).ins(I::I32And).i32(mark).ins(I::I32Or);
        body.store_within(memory, offset, 1, Flat::I32);
    };
    let advance = |body: &mut Body, n: u32| {
        body.get(d).i32(n).ins(I::I32Add).set(d);
    };
    match encoder {
        Encoder::Latin1 => {
            body.get(d).get(cp).store_within(memory, 0, 1, Flat::I32);
            advance(body, 1);
        }
        Encoder::Utf16 => {
            body.get(cp)
                .i32(0x1_0000)
                .ins(I::I32LtU)
                .ins(I::If(BlockType::Empty));
            body.get(d).get(cp).store_within(memory, 0, 2, Flat::I32);
            advance(body, 2);
            body.ins(I::Else);
            body.get(d)
                .get(cp)
                .i32(0x1_0000)
                .ins(I::I32Sub)
                .i32(10)
                .ins(I::I32ShrU)
                .i32(0xD800)
                .ins(I::I32Or)
                .store_within(memory, 0, 2, Flat::I32);
            body.get(d)
                .get(cp)
                .i32(0x3FF)
                .ins(I::I32And)
                .i32(0xDC00)
                .ins(I::I32Or)
                .store_within(memory, 2, 2, Flat::I32);
            advance(body, 4);
            body.ins(I::End);
        }
        Encoder::Utf8 => {
            body.get(cp)
                .i32(0x80)
                .ins(I::I32LtU)
                .ins(I::If(BlockType::Empty));
            body.get(d).get(cp).store_within(memory, 0, 1, Flat::I32);
            advance(body, 1);
            body.ins(I::Else);
            body.get(cp)
                .i32(0x800)
                .ins(I::I32LtU)
                .ins(I::If(BlockType::Empty));
            byte(body, 0, 6, 0xC0, 0x1F);
            byte(body, 1, 0, 0x80, 0x3F);
            advance(body, 2);
            body.ins(I::Else);
            body.get(cp)
                .i32(0x1_0000)
                .ins(I::I32LtU)
                .ins(I::If(BlockType::Empty));
            byte(body, 0, 12, 0xE0, 0x0F);
            byte(body, 1, 6, 0x80, 0x3F);
            byte(body, 2, 0, 0x80, 0x3F);
            advance(body, 3);
            body.ins(I::Else);
            byte(body, 0, 18, 0xF0, 0x07);
            byte(body, 1, 12, 0x80, 0x3F);
            byte(body, 2, 6, 0x80, 0x3F);
            byte(body, 3, 0, 0x80, 0x3F);
            advance(body, 4);
            body.ins(I::End).ins(I::End).ins(I::End);
        }
    }
}

/// Code run on each decoded code point (held in the local).
pub(super) type PerCodePoint<'a> = dyn FnMut(&mut Body, Local) + 'a;

/// Decodes every code point from `p` (advanced) to `end`, trapping on
/// invalid input, and runs `each` on it; `br 1` at the top level of
/// `each` leaves the loop (with `p` past that code point). Without `each`,
/// utf8 is only validated ([`validate_utf8`]), and utf16 skips four units
/// at a time where none is a surrogate ([`skip_plain_utf16`]).
pub(super) fn decode_range(
    body: &mut Body,
    src: Decoder,
    memory: u32,
    range: (Local, Local),
    each: Option<&mut PerCodePoint<'_>>,
) {
    decode_loop(body, src, memory, range, None, each);
}

/// [`decode_range`] with `run` moving the characters a word of the source
/// begins with before each code point is decoded (see [`ascii_run`]).
pub(super) fn decode_range_runs(
    body: &mut Body,
    src: Decoder,
    (src_mem, dst_mem): (u32, u32),
    range: (Local, Local),
    (run, d): (Run, Local),
    each: &mut PerCodePoint<'_>,
) {
    let mut turn = |body: &mut Body| ascii_run(body, run, (src_mem, dst_mem), range, d);
    decode_loop(body, src, src_mem, range, Some(&mut turn), Some(each));
}

fn decode_loop(
    body: &mut Body,
    src: Decoder,
    memory: u32,
    (p, end): (Local, Local),
    turn: Option<&mut dyn FnMut(&mut Body)>,
    each: Option<&mut PerCodePoint<'_>>,
) {
    if each.is_none() && src == Decoder::Utf8 {
        validate_utf8(body, memory, (p, end));
        return;
    }
    let cp = body.local(Flat::I32);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    if each.is_none() && src == Decoder::Utf16 {
        skip_plain_utf16(body, memory, (p, end));
    }
    if let Some(turn) = turn {
        turn(body);
    }
    // (`p` never passes `end`; the ordered test is what the loads
    // `Body::within` marks below rely on)
    body.get(p).get(end).ins(I::I32GeU).ins(I::BrIf(1));
    match src {
        Decoder::Latin1 => {
            body.get(p).load_within(memory, 0, 1, Flat::I32).set(cp);
            body.get(p).i32(1).ins(I::I32Add).set(p);
        }
        Decoder::Utf16 => decode_utf16(body, memory, p, end, cp),
        Decoder::Utf8 => decode_utf8(body, memory, p, end, cp),
    }
    if let Some(each) = each {
        each(body, cp);
    }
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.free(cp);
}

/// Characters that convert one for one, moved a 64-bit word of the source
/// at a time by [`ascii_run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Run {
    /// utf8 → utf16: ASCII bytes, each widened to a unit.
    Utf8ToUtf16,
    /// latin1 → utf16: every byte widened to a unit.
    Latin1ToUtf16,
    /// utf16 → utf8: units below 0x80, each narrowed to a byte.
    Utf16ToUtf8,
    /// latin1 → utf8: ASCII bytes, copied.
    Latin1ToUtf8,
}

impl Run {
    /// Bytes of the source that are not such characters: the high bit of
    /// a byte, or the bits above 0x7F of a utf16 unit (none for latin1 →
    /// utf16).
    fn others(self) -> i64 {
        match self {
            Run::Utf8ToUtf16 | Run::Latin1ToUtf8 => NOT_ASCII,
            Run::Utf16ToUtf8 => 0xFF80_FF80_FF80_FF80_u64 as i64,
            Run::Latin1ToUtf16 => 0,
        }
    }
}

/// The top of a decoding loop's turn: while 8 source bytes are left, one
/// load takes them; when they are all characters of `run`, the word they
/// convert to (16 bytes widened, 4 narrowed or 8 copied) is stored at `d`
/// whole and the next turn begins; otherwise the characters of `run` the
/// word begins with are stored (a piece of 8, 4, 2 and 1 bytes for each
/// bit of their converted length) and the loop decodes the first other
/// one. Nothing is written past what converting code point by code point
/// would write: a component sees the same bytes in its memory.
fn ascii_run(
    body: &mut Body,
    run: Run,
    (src_mem, dst_mem): (u32, u32),
    (p, end): (Local, Local),
    d: Local,
) {
    let (word, lo, hi, t) = (
        body.local(Flat::I64),
        body.local(Flat::I64),
        body.local(Flat::I64),
        body.local(Flat::I64),
    );
    // the value on the stack (`mask`ed), or'ed with itself shifted
    // left (or right) by `shift`, masked with `then`
    let spread = |body: &mut Body, mask: Option<u64>, shift: i64, then: u64, left: bool| {
        if let Some(mask) = mask {
            body.ins(I::I64Const(mask as i64)).ins(I::I64And);
        }
        body.ins(I::LocalTee(t.index))
            .get(t)
            .ins(I::I64Const(shift))
            .ins(if left { I::I64Shl } else { I::I64ShrU })
            .ins(I::I64Or)
            .ins(I::I64Const(then as i64))
            .ins(I::I64And);
    };
    if_word_left(body, (p, end));
    body.get(p).load_within(src_mem, 0, 8, Flat::I64).set(word);
    // the converted bytes, little-endian: `lo`, then `hi` when widened
    let whole: u32 = match run {
        Run::Utf8ToUtf16 | Run::Latin1ToUtf16 => {
            for (half, out) in [(0, lo), (1, hi)] {
                body.get(word);
                if half == 1 {
                    body.ins(I::I64Const(32)).ins(I::I64ShrU);
                }
                spread(
                    body,
                    (half == 0).then_some(0xFFFF_FFFF),
                    16,
                    0x0000_FFFF_0000_FFFF,
                    true,
                );
                spread(body, None, 8, 0x00FF_00FF_00FF_00FF, true);
                body.set(out);
            }
            16
        }
        Run::Utf16ToUtf8 => {
            body.get(word);
            let bytes = 0x00FF_00FF_00FF_00FF;
            spread(body, Some(bytes), 8, 0x0000_FFFF_0000_FFFF, false);
            spread(body, None, 16, 0xFFFF_FFFF, false);
            body.set(lo);
            4
        }
        Run::Latin1ToUtf8 => {
            body.get(word).set(lo);
            8
        }
    };
    let store_whole = |body: &mut Body| {
        body.get(d).get(lo);
        match whole {
            4 => body
                .ins(I::I32WrapI64)
                .store_within(dst_mem, 0, 4, Flat::I32),
            _ => body.store_within(dst_mem, 0, 8, Flat::I64),
        };
        if whole == 16 {
            body.get(d).get(hi).store_within(dst_mem, 8, 8, Flat::I64);
        }
        body.get(p).i32(8).ins(I::I32Add).set(p);
        body.get(d).i32(whole).ins(I::I32Add).set(d);
        body.ins(I::Br(1));
    };
    if run == Run::Latin1ToUtf16 {
        store_whole(body);
    } else {
        body.get(word)
            .ins(I::I64Const(run.others()))
            .ins(I::I64And)
            .ins(I::LocalTee(word.index))
            .ins(I::I64Eqz)
            .ins(I::If(BlockType::Empty));
        store_whole(body);
        body.ins(I::End);
        // source bytes of the leading characters
        let n = body.local(Flat::I32);
        body.get(word)
            .ins(I::I64Ctz)
            .ins(I::I32WrapI64)
            .i32(3)
            .ins(I::I32ShrU);
        if run == Run::Utf16ToUtf8 {
            // whole units: the ctz of a unit's bits above 0x7F is 7 to 15
            body.i32(!1).ins(I::I32And);
        }
        body.set(n);
        body.get(p).get(n).ins(I::I32Add).set(p);
        // `n` becomes their converted bytes, stored a piece at a time
        match run {
            Run::Utf8ToUtf16 => body.get(n).i32(1).ins(I::I32Shl).set(n),
            Run::Utf16ToUtf8 => body.get(n).i32(1).ins(I::I32ShrU).set(n),
            _ => body,
        };
        // (widened bytes come in pairs)
        let odd = u32::from(run != Run::Utf8ToUtf16);
        for piece in [8, 4, 2, odd] {
            if piece == 0 || piece >= whole {
                continue;
            }
            body.get(n)
                .i32(piece)
                .ins(I::I32And)
                .ins(I::If(BlockType::Empty));
            body.get(d).get(lo);
            match piece {
                8 => body.store_within(dst_mem, 0, 8, Flat::I64),
                _ => body
                    .ins(I::I32WrapI64)
                    .store_within(dst_mem, 0, piece, Flat::I32),
            };
            body.get(d).i32(piece).ins(I::I32Add).set(d);
            if piece == 8 {
                body.get(hi).set(lo);
            } else {
                body.get(lo)
                    .ins(I::I64Const(i64::from(8 * piece)))
                    .ins(I::I64ShrU)
                    .set(lo);
            }
            body.ins(I::End);
        }
        body.free(n);
    }
    body.ins(I::End);
    for local in [word, lo, hi, t] {
        body.free(local);
    }
}

/// `if` a word (8 bytes) from `p` lies before `end`.
fn if_word_left(body: &mut Body, (p, end): (Local, Local)) {
    body.get(p)
        .i32(8)
        .ins(I::I32Add)
        .get(end)
        .ins(I::I32LeU)
        .ins(I::If(BlockType::Empty));
}

/// The high bit of each byte of a 64-bit word: set in a byte that is not
/// ASCII.
const NOT_ASCII: i64 = 0x8080_8080_8080_8080_u64 as i64;

/// Checks that the bytes from `p` (advanced to `end`) are utf8, trapping
/// where they are not, without decoding code points: runs of ASCII go 8
/// bytes at a time (a 64-bit word against its high bits, the ASCII bytes
/// before the first other one skipped at once), then 32 while they are
/// all ASCII, and a
/// sequence of two to four bytes is checked against the ranges of its
/// lead byte (no overlong forms, surrogates or values above U+10FFFF:
/// the bytes `std::str::from_utf8` accepts, as wasmtime checks them).
/// A lead byte right after a sequence, or after it and one ASCII byte
/// (text of other scripts, words apart by a space), is taken at once
/// rather than by the word path: 98 bytes of mostly 2- to 4-byte
/// characters in 53 ns instead of 74.
fn validate_utf8(body: &mut Body, memory: u32, (p, end): (Local, Local)) {
    let (b0, x) = (body.local(Flat::I32), body.local(Flat::I32));
    let word = body.local(Flat::I64);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    if_word_left(body, (p, end));
    // 8 bytes: all ASCII, or skip those before the first that is not
    body.get(p)
        .load_within(memory, 0, 8, Flat::I64)
        .ins(I::I64Const(NOT_ASCII))
        .ins(I::I64And)
        .set(word);
    body.get(word).ins(I::I64Eqz).ins(I::If(BlockType::Empty));
    body.get(p).i32(8).ins(I::I32Add).set(p);
    // then 32 at a time while they are ASCII (only after ASCII: in
    // text with other characters, 8 bytes are a better guess)
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(p)
        .i32(32)
        .ins(I::I32Add)
        .get(end)
        .ins(I::I32GtU)
        .ins(I::BrIf(1));
    for w in 0..4 {
        body.get(p).load_within(memory, 8 * w, 8, Flat::I64);
        if w > 0 {
            body.ins(I::I64Or);
        }
    }
    body.ins(I::I64Const(NOT_ASCII))
        .ins(I::I64And)
        .ins(I::I64Const(0))
        .ins(I::I64Ne)
        .ins(I::BrIf(1));
    body.get(p).i32(32).ins(I::I32Add).set(p).ins(I::Br(0));
    body.ins(I::End).ins(I::End);
    body.ins(I::Br(2));
    body.ins(I::End);
    body.get(p)
        .get(word)
        .ins(I::I64Ctz)
        .ins(I::I32WrapI64)
        .i32(3)
        .ins(I::I32ShrU)
        .ins(I::I32Add)
        .set(p);
    body.ins(I::Else);
    // fewer than 8 left
    body.get(p).get(end).ins(I::I32GeU).ins(I::BrIf(2));
    body.get(p)
        .load_within(memory, 0, 1, Flat::I32)
        .i32(0x80)
        .ins(I::I32LtU)
        .ins(I::If(BlockType::Empty));
    body.get(p).i32(1).ins(I::I32Add).set(p).ins(I::Br(2));
    body.ins(I::End);
    body.ins(I::End);
    // `p` is at a byte that is not ASCII: a lead byte and its
    // continuation bytes (10xxxxxx), all before `end`
    // (inside the word tested above, or the byte just tested)
    body.get(p).load_within(memory, 0, 1, Flat::I32).set(b0);
    // (a loop: the next sequence straight after this one goes round again)
    body.ins(I::Loop(BlockType::Empty));
    let needs = |body: &mut Body, n: u32| {
        body.get(p)
            .i32(n)
            .ins(I::I32Add)
            .get(end)
            .ins(I::I32GtU)
            .trap_if();
    };
    // the second byte, which the lead byte may narrow, in `x`
    let second = |body: &mut Body| {
        body.get(p).load_within(memory, 1, 1, Flat::I32).set(x);
    };
    body.get(b0)
        .i32(0xE0)
        .ins(I::I32LtU)
        .ins(I::If(BlockType::Empty));
    // C2..DF 80..BF
    body.get(b0).i32(0xC2).ins(I::I32LtU).trap_if();
    needs(body, 2);
    second(body);
    body.get(x)
        .i32(0xC0)
        .ins(I::I32And)
        .i32(0x80)
        .ins(I::I32Ne)
        .trap_if();
    body.get(p).i32(2).ins(I::I32Add).set(p);
    body.ins(I::Else);
    body.get(b0)
        .i32(0xF0)
        .ins(I::I32LtU)
        .ins(I::If(BlockType::Empty));
    // a sequence of `n` bytes: its continuation bytes (the `size` bytes
    // at `offset`, masked) are 10xxxxxx, and its second byte is at least
    // `bound` after lead byte `low`, below it after lead byte `high`
    let sequence = |body: &mut Body,
                    n: u32,
                    (offset, size, marks): (u32, u32, u32),
                    leads: (u32, u32),
                    bound: u32| {
        needs(body, n);
        body.get(p)
            .load_within(memory, offset, size, Flat::I32)
            .i32(marks | (marks >> 1))
            .ins(I::I32And)
            .i32(marks)
            .ins(I::I32Ne);
        second(body);
        for (lead, below) in [(leads.0, true), (leads.1, false)] {
            body.get(b0)
                .i32(lead)
                .ins(I::I32Eq)
                .get(x)
                .i32(bound)
                .ins(if below { I::I32LtU } else { I::I32GeU })
                .ins(I::I32And)
                .ins(I::I32Or);
        }
        body.trap_if();
        body.get(p).i32(n).ins(I::I32Add).set(p);
    };
    // E0 A0..BF, E1..EC 80..BF, ED 80..9F, EE..EF 80..BF; then 80..BF
    sequence(body, 3, (1, 2, 0x8080), (0xE0, 0xED), 0xA0);
    body.ins(I::Else);
    // F0 90..BF, F1..F3 80..BF, F4 80..8F; then 80..BF twice
    body.get(b0).i32(0xF4).ins(I::I32GtU).trap_if();
    sequence(body, 4, (0, 4, 0x8080_8000), (0xF0, 0xF4), 0x90);
    body.ins(I::End).ins(I::End);
    // another lead byte right after it, or after one ASCII byte: round
    // again (`lead_at` opens an `if` that `offset` is before `end`, and
    // leaves whether the byte there, in `b0`, is not ASCII)
    let lead_at = |body: &mut Body, offset: u32| {
        body.get(p);
        if offset > 0 {
            body.i32(offset).ins(I::I32Add);
        }
        body.get(end).ins(I::I32LtU).ins(I::If(BlockType::Empty));
        body.get(p)
            .load_within(memory, offset, 1, Flat::I32)
            .ins(I::LocalTee(b0.index))
            .i32(0x80)
            .ins(I::I32GeU);
    };
    lead_at(body, 0);
    body.ins(I::BrIf(1));
    lead_at(body, 1);
    body.ins(I::If(BlockType::Empty));
    body.get(p).i32(1).ins(I::I32Add).set(p).ins(I::Br(3));
    body.ins(I::End).ins(I::End);
    body.ins(I::End).ins(I::End);
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.free(b0);
    body.free(x);
    body.free(word);
}

/// [`validate_utf8`] sixteen bytes at a time with SIMD (for inputs that
/// use it already, or when asked: `Codegen::simd`). Each block of 16
/// bytes is checked against the 15 bytes before it, the last block's
/// included (the scheme of Keiser and Lemire, "Validating UTF-8 in less
/// than one instruction per byte", 2021): three 16-entry tables, indexed
/// by the high and low nibble of the byte before and the high nibble of
/// the byte itself, give the errors a pair of bytes can show (each bit one
/// kind, [`pair_errors`]), and a byte that must be the third or fourth of
/// a sequence must be a continuation byte. A block of ASCII only checks
/// that no sequence was left open before it; after one, four blocks at
/// a time are skipped while they are ASCII. What a block leaves open at
/// its end, and the fewer than 16 bytes after the last block, are checked
/// by [`validate_utf8`] from the open sequence's lead byte on: it accepts
/// and rejects exactly what `std::str::from_utf8` does, so this does too.
pub(super) fn validate_utf8_simd(body: &mut Body, memory: u32, (p, end): (Local, Local)) {
    let (input, prev, prev1) = (body.v128(), body.v128(), body.v128());
    let (errors, open) = (body.v128(), body.v128());
    let splat = |byte: u8| i128::from_le_bytes([byte; 16]);
    let table = |bytes: [u8; 16]| I::V128Const(i128::from_le_bytes(bytes));
    let (t1, t2, t3) = pair_errors();
    // the bytes `back` places before each byte of `input`
    let before = |back: u8| I::I8x16Shuffle(std::array::from_fn(|i| 16 - back + i as u8));
    let load = |offset: u32| I::V128Load(super::body::memarg(memory, offset, 16));
    // `if` at least `n` bytes are left
    let left = |body: &mut Body, n: u32| {
        body.get(end).get(p).ins(I::I32Sub).i32(n).ins(I::I32GeU);
    };
    // (a string shorter than a block goes to the scalar code at once)
    left(body, 16);
    body.ins(I::If(BlockType::Empty));
    for zero in [prev, errors, open] {
        body.ins(I::V128Const(0)).ins(I::LocalSet(zero));
    }
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    left(body, 16);
    body.ins(I::I32Eqz).ins(I::BrIf(1));
    body.get(p)
        .within(load(0))
        .ins(I::LocalTee(input))
        .ins(I::V128Const(splat(0x80)))
        .ins(I::V128And)
        .ins(I::V128AnyTrue)
        .ins(I::If(BlockType::Empty));
    // the errors of each byte with the byte before it
    body.ins(I::LocalGet(prev))
        .ins(I::LocalGet(input))
        .ins(before(1))
        .ins(I::LocalSet(prev1));
    body.ins(table(t1))
        .ins(I::LocalGet(prev1))
        .ins(I::I32Const(4))
        .ins(I::I8x16ShrU)
        .ins(I::I8x16Swizzle);
    body.ins(table(t2))
        .ins(I::LocalGet(prev1))
        .ins(I::V128Const(splat(0x0F)))
        .ins(I::V128And)
        .ins(I::I8x16Swizzle)
        .ins(I::V128And);
    body.ins(table(t3))
        .ins(I::LocalGet(input))
        .ins(I::I32Const(4))
        .ins(I::I8x16ShrU)
        .ins(I::I8x16Swizzle)
        .ins(I::V128And);
    // bit 7: a continuation byte after a continuation byte, which only
    // the third and fourth bytes of a sequence must be (after E0..FF two
    // bytes back or F0..FF three back)
    for (back, lead) in [(2, 0xE0), (3, 0xF0)] {
        body.ins(I::LocalGet(prev))
            .ins(I::LocalGet(input))
            .ins(before(back))
            .ins(I::V128Const(splat(lead - 0x80)))
            .ins(I::I8x16SubSatU);
    }
    body.ins(I::V128Or)
        .ins(I::V128Const(splat(0x80)))
        .ins(I::V128And)
        .ins(I::V128Xor)
        .ins(I::LocalGet(errors))
        .ins(I::V128Or)
        .ins(I::LocalSet(errors));
    // a sequence its last three bytes leave open: a lead byte of two,
    // three or four bytes in lane 15, 14 or 13
    let mut last = [0xFF; 16];
    last[13..].copy_from_slice(&[0xEF, 0xDF, 0xBF]);
    body.ins(I::LocalGet(input))
        .ins(table(last))
        .ins(I::I8x16SubSatU)
        .ins(I::LocalSet(open));
    let next_block = |body: &mut Body| {
        body.ins(I::LocalGet(input)).ins(I::LocalSet(prev));
        body.get(p).i32(16).ins(I::I32Add).set(p);
    };
    next_block(body);
    body.ins(I::Else);
    // ASCII: nothing may have been left open before it
    body.ins(I::LocalGet(errors))
        .ins(I::LocalGet(open))
        .ins(I::V128Or)
        .ins(I::LocalSet(errors))
        .ins(I::V128Const(0))
        .ins(I::LocalSet(open));
    next_block(body);
    // then 64 bytes at once while they are ASCII
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    left(body, 64);
    body.ins(I::I32Eqz).ins(I::BrIf(1));
    body.get(p).within(load(48)).ins(I::LocalTee(input));
    for offset in [0, 16, 32] {
        body.get(p).within(load(offset)).ins(I::V128Or);
    }
    body.ins(I::V128Const(splat(0x80)))
        .ins(I::V128And)
        .ins(I::V128AnyTrue)
        .ins(I::BrIf(1));
    body.ins(I::LocalGet(input)).ins(I::LocalSet(prev));
    body.get(p).i32(64).ins(I::I32Add).set(p).ins(I::Br(0));
    body.ins(I::End).ins(I::End);
    body.ins(I::End);
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.ins(I::LocalGet(errors)).ins(I::V128AnyTrue).trap_if();
    // back to the lead byte of a sequence left open (lanes 13 to 15 of
    // `open`, at most one of them set when there was no error): 3 - the
    // lane's place among the three
    let lanes = body.local(Flat::I32);
    body.ins(I::LocalGet(open))
        .ins(I::V128Const(0))
        .ins(I::I8x16Ne)
        .ins(I::I8x16Bitmask)
        .i32(13)
        .ins(I::I32ShrU)
        .set(lanes);
    body.get(p)
        .i32(3)
        .get(lanes)
        .ins(I::I32Ctz)
        .ins(I::I32Sub)
        .i32(0)
        .get(lanes)
        .ins(I::Select)
        .ins(I::I32Sub)
        .set(p);
    body.free(lanes);
    body.ins(I::End);
    validate_utf8(body, memory, (p, end));
}

/// The three tables of [`validate_utf8_simd`]: by the high nibble of the
/// byte before, by its low nibble, and by the high nibble of the byte.
/// The three entries a pair of bytes selects share a bit only when the
/// pair shows that kind of error.
fn pair_errors() -> ([u8; 16], [u8; 16], [u8; 16]) {
    // a lead byte before ASCII or another lead byte
    const TOO_SHORT: u8 = 1 << 0;
    // ASCII before a continuation byte
    const TOO_LONG: u8 = 1 << 1;
    // E0 before 80..9F
    const OVERLONG_3: u8 = 1 << 2;
    // F4 before 90..BF, F5..FF before 80..BF (with the next bit)
    const TOO_LARGE: u8 = 1 << 3;
    // ED before A0..BF
    const SURROGATE: u8 = 1 << 4;
    // C0, C1 before a continuation byte
    const OVERLONG_2: u8 = 1 << 5;
    // F0 before 80..8F; F5..FF before 80..8F
    const OVERLONG_4: u8 = 1 << 6;
    const TOO_LARGE_1000: u8 = 1 << 6;
    // a continuation byte before another: an error unless the second is
    // the third or fourth byte of a sequence
    const TWO_CONTS: u8 = 1 << 7;
    // the kinds the byte before's high nibble decides alone
    const ANY_LOW: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;
    let high_before = std::array::from_fn(|nibble| match nibble {
        0..=7 => TOO_LONG,
        8..=11 => TWO_CONTS,
        12 => TOO_SHORT | OVERLONG_2,
        13 => TOO_SHORT,
        14 => TOO_SHORT | OVERLONG_3 | SURROGATE,
        _ => TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
    });
    let low_before = std::array::from_fn(|nibble| match nibble {
        0 => ANY_LOW | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
        1 => ANY_LOW | OVERLONG_2,
        2 | 3 => ANY_LOW,
        4 => ANY_LOW | TOO_LARGE,
        13 => ANY_LOW | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
        _ => ANY_LOW | TOO_LARGE | TOO_LARGE_1000,
    });
    let continuation = TOO_LONG | OVERLONG_2 | TWO_CONTS;
    let high = std::array::from_fn(|nibble| match nibble {
        8 => continuation | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
        9 => continuation | OVERLONG_3 | TOO_LARGE,
        10 | 11 => continuation | SURROGATE | TOO_LARGE,
        _ => TOO_SHORT,
    });
    (high_before, low_before, high)
}

/// Advances `p` four utf16 units at a time while none of them is a
/// surrogate and four are left: in each 16-bit lane of a 64-bit word,
/// `unit & 0xF800` is `0xD800` only for a surrogate, so the lanes of
/// `(unit & 0xF800) ^ 0xD800` are all nonzero (each lane's high bit set
/// by `((v & 0x7FFF) + 0x7FFF) | v`, which carries into no other lane)
/// when there is none.
fn skip_plain_utf16(body: &mut Body, memory: u32, (p, end): (Local, Local)) {
    const LANES: u64 = 0x0001_0001_0001_0001;
    let y = body.local(Flat::I64);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(p)
        .i32(8)
        .ins(I::I32Add)
        .get(end)
        .ins(I::I32GtU)
        .ins(I::BrIf(1));
    body.get(p)
        .load_within(memory, 0, 8, Flat::I64)
        .ins(I::I64Const((0xF800 * LANES) as i64))
        .ins(I::I64And)
        .ins(I::I64Const((0xD800 * LANES) as i64))
        .ins(I::I64Xor)
        .set(y);
    body.get(y)
        .ins(I::I64Const((0x7FFF * LANES) as i64))
        .ins(I::I64And)
        .ins(I::I64Const((0x7FFF * LANES) as i64))
        .ins(I::I64Add)
        .get(y)
        .ins(I::I64Or)
        .ins(I::I64Const((0x8000 * LANES) as i64))
        .ins(I::I64And)
        .ins(I::I64Const((0x8000 * LANES) as i64))
        .ins(I::I64Ne)
        .ins(I::BrIf(1));
    body.get(p).i32(8).ins(I::I32Add).set(p).ins(I::Br(0));
    body.ins(I::End).ins(I::End);
    body.free(y);
}

/// (`p` and `end` are both even or both odd: `p < end` leaves a unit.)
fn decode_utf16(body: &mut Body, memory: u32, p: Local, end: Local, cp: Local) {
    body.get(p).load_within(memory, 0, 2, Flat::I32).set(cp);
    body.get(p).i32(2).ins(I::I32Add).set(p);
    // A surrogate: it must be a high one followed by a low one.
    body.get(cp)
        .i32(0xD800)
        .ins(I::I32Sub)
        .i32(0x800)
        .ins(I::I32LtU);
    body.ins(I::If(BlockType::Empty));
    body.get(cp).i32(0xDC00).ins(I::I32GeU).trap_if();
    body.get(p).get(end).ins(I::I32GeU).trap_if();
    let low = body.local(Flat::I32);
    body.get(p)
        .load_within(memory, 0, 2, Flat::I32)
        .i32(0xDC00)
        .ins(I::I32Sub)
        .set(low);
    body.get(low).i32(0x400).ins(I::I32GeU).trap_if();
    body.get(cp)
        .i32(0xD800)
        .ins(I::I32Sub)
        .i32(10)
        .ins(I::I32Shl)
        .get(low)
        .ins(I::I32Add)
        .i32(0x1_0000)
        .ins(I::I32Add)
        .set(cp);
    body.get(p).i32(2).ins(I::I32Add).set(p);
    body.ins(I::End);
    body.free(low);
}

fn decode_utf8(body: &mut Body, memory: u32, p: Local, end: Local, cp: Local) {
    body.get(p).load_within(memory, 0, 1, Flat::I32).set(cp);
    body.get(cp).i32(0x80).ins(I::I32LtU);
    body.ins(I::If(BlockType::Empty));
    body.get(p).i32(1).ins(I::I32Add).set(p);
    body.ins(I::Else);
    // Lead bytes 0x80..0xC1 are continuations or overlong; above 0xF4 out of range.
    body.get(cp)
        .i32(0xC2)
        .ins(I::I32LtU)
        .get(cp)
        .i32(0xF4)
        .ins(I::I32GtU);
    body.ins(I::I32Or).trap_if();
    let sequence = |body: &mut Body, extra: u32, lead_mask: u32, min: u32| {
        body.get(p)
            .i32(extra + 1)
            .ins(I::I32Add)
            .get(end)
            .ins(I::I32GtU)
            .trap_if();
        body.get(cp).i32(lead_mask).ins(I::I32And).set(cp);
        let c = body.local(Flat::I32);
        for j in 1..=extra {
            body.get(p).load_within(memory, j, 1, Flat::I32).set(c);
            body.get(c)
                .i32(0xC0)
                .ins(I::I32And)
                .i32(0x80)
                .ins(I::I32Ne)
                .trap_if();
            body.get(cp)
                .i32(6)
                .ins(I::I32Shl)
                .get(c)
                .i32(0x3F)
                .ins(I::I32And)
                .ins(I::I32Or)
                .set(cp);
        }
        body.free(c);
        // Overlong encodings, surrogates and values above U+10FFFF are invalid.
        body.get(cp).i32(min).ins(I::I32LtU).trap_if();
        if extra == 2 {
            body.get(cp)
                .i32(0xD800)
                .ins(I::I32Sub)
                .i32(0x800)
                .ins(I::I32LtU)
                .trap_if();
        }
        if extra == 3 {
            body.get(cp).i32(0x10_FFFF).ins(I::I32GtU).trap_if();
        }
        body.get(p).i32(extra + 1).ins(I::I32Add).set(p);
    };
    body.get(cp)
        .i32(0xE0)
        .ins(I::I32LtU)
        .ins(I::If(BlockType::Empty));
    sequence(body, 1, 0x1F, 0x80);
    body.ins(I::Else);
    body.get(cp)
        .i32(0xF0)
        .ins(I::I32LtU)
        .ins(I::If(BlockType::Empty));
    sequence(body, 2, 0x0F, 0x800);
    body.ins(I::Else);
    sequence(body, 3, 0x07, 0x1_0000);
    body.ins(I::End).ins(I::End);
    body.ins(I::End);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, Instance, Module, Store, TypedFunc};

    /// A module exporting its memory and `validate(ptr, len)`, the
    /// generated utf8 validation of those bytes (with SIMD or without).
    fn validator(simd: bool) -> Vec<u8> {
        if !simd {
            return module_of(Decoder::Utf8);
        }
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32]);
        let end = source_end(&mut body, Decoder::Utf8, params[0], params[1]);
        validate_utf8_simd(&mut body, 0, (params[0], end));
        module("validate", body, 2, 0)
    }

    /// A module exporting its memory and `validate(ptr, len)`, the
    /// validation by `decoder` of `len` code units at `ptr`.
    fn module_of(decoder: Decoder) -> Vec<u8> {
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32]);
        let end = source_end(&mut body, decoder, params[0], params[1]);
        decode_range(&mut body, decoder, 0, (params[0], end), None);
        module("validate", body, 2, 0)
    }

    /// `end` set to `ptr` plus `units` code units of `decoder`.
    fn source_end(body: &mut Body, decoder: Decoder, ptr: Local, units: Local) -> Local {
        let end = body.local(Flat::I32);
        body.get(ptr).get(units);
        if decoder.unit() == 2 {
            body.i32(1).ins(I::I32Shl);
        }
        body.ins(I::I32Add).set(end);
        end
    }

    /// A module of one page of memory and the function `name` (i32
    /// parameters and results), both exported.
    fn module(name: &str, body: Body, params: usize, results: usize) -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, ExportKind, ExportSection, FunctionSection, MemorySection, MemoryType,
            Module, TypeSection, ValType,
        };
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types
            .ty()
            .function(vec![ValType::I32; params], vec![ValType::I32; results]);
        module.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        module.section(&funcs);
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        module.section(&memories);
        let mut exports = ExportSection::new();
        exports.export(name, ExportKind::Func, 0);
        exports.export("memory", ExportKind::Memory, 0);
        module.section(&exports);
        let mut code = CodeSection::new();
        code.function(&body.finish());
        module.section(&code);
        module.finish()
    }

    struct Validator {
        store: Store<()>,
        memory: wasmtime::Memory,
        validate: TypedFunc<(u32, u32), ()>,
    }

    impl Validator {
        fn new(simd: bool) -> Validator {
            let engine = Engine::default();
            let module = Module::new(&engine, validator(simd)).expect("the validator compiles");
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
            Validator {
                memory: instance.get_memory(&mut store, "memory").expect("memory"),
                validate: instance
                    .get_typed_func(&mut store, "validate")
                    .expect("validate"),
                store,
            }
        }

        /// Whether the generated code accepts `bytes` placed at `at`.
        fn accepts(&mut self, bytes: &[u8], at: usize) -> bool {
            self.memory.data_mut(&mut self.store)[at..at + bytes.len()].copy_from_slice(bytes);
            self.validate
                .call(&mut self.store, (at as u32, bytes.len() as u32))
                .is_ok()
        }

        fn check(&mut self, bytes: &[u8]) {
            let valid = std::str::from_utf8(bytes).is_ok();
            // at word boundaries and off them, and ending at the memory's
            // last byte (no load may pass the string's end)
            for at in [64, 67, 0x1_0000 - bytes.len()] {
                assert_eq!(self.accepts(bytes, at), valid, "{bytes:02x?} at {at}");
            }
        }
    }

    #[test]
    fn utf8_validation_accepts_what_std_accepts() {
        accepts_what_std_accepts(&mut Validator::new(false));
    }

    #[test]
    fn simd_utf8_validation_accepts_what_std_accepts() {
        accepts_what_std_accepts(&mut Validator::new(true));
    }

    fn accepts_what_std_accepts(v: &mut Validator) {
        // every sequence of one and two bytes, after ASCII runs of
        // every length the fast paths take (a 16-byte block's last two
        // bytes, a pair across two blocks)
        for prefix in [0, 9, 14, 15, 33] {
            let mut bytes = vec![b'a'; prefix + 2];
            for b0 in 0..=255u8 {
                bytes[prefix] = b0;
                for b1 in 0..=255u8 {
                    bytes[prefix + 1] = b1;
                    let valid = std::str::from_utf8(&bytes).is_ok();
                    assert_eq!(v.accepts(&bytes, 64), valid, "{bytes:02x?}");
                }
                assert_eq!(
                    v.accepts(&bytes[..prefix + 1], 64),
                    std::str::from_utf8(&bytes[..prefix + 1]).is_ok()
                );
            }
        }
        // every lead byte from C0 up with second bytes at each range's
        // edges, and every continuation byte's edge after them
        // (after ASCII that puts the sequence in one 16-byte block, or
        // across two at each place)
        let edges = [0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0];
        for (b0, prefix) in (0xC0..=0xFFu8).flat_map(|b| [0, 12, 13, 14, 15].map(|p| (b, p))) {
            for b1 in edges {
                for b2 in edges {
                    for b3 in edges {
                        for tail in [&b""[..], b"xyz"] {
                            let mut bytes = vec![b'a'; prefix];
                            bytes.extend_from_slice(&[b0, b1, b2, b3]);
                            bytes.extend_from_slice(tail);
                            v.check(&bytes);
                            for cut in [prefix + 2, prefix + 3] {
                                let valid = std::str::from_utf8(&bytes[..cut]).is_ok();
                                assert_eq!(v.accepts(&bytes[..cut], 0x1_0000 - cut), valid);
                            }
                        }
                    }
                }
            }
        }
        // mixed strings: valid ones, then each byte replaced by edges
        let texts = [
            "The quick brown fox jumps over the lazy dog; Größe, 東京, naïve café — 0123",
            "𝄞 music 🎵 and 😀 emoji, ASCII in between, and more ASCII after it all",
            "Größe 東京 😀 naïve — 日本語 ✓ ü 🎵 é; Größe 東京 😀 naïve — 日本語 ",
            "ёж в чаще; а я в ёлках",
            "ÿ",
            "",
        ];
        for text in texts {
            v.check(text.as_bytes());
            for i in 0..text.len() {
                for b in [0x80, 0xBF, 0xC0, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF, b'a'] {
                    let mut bytes = text.as_bytes().to_vec();
                    bytes[i] = b;
                    v.check(&bytes);
                }
                v.check(&text.as_bytes()[..i]);
            }
        }
        // a sequence left open at every place, then a run of ASCII long
        // enough for the SIMD path's four blocks at once
        for prefix in 0..40 {
            for open in [&[0xC3][..], &[0xE6], &[0xE6, 0x9D], &[0xF0, 0x9F, 0x98]] {
                let mut bytes = vec![b'a'; prefix];
                bytes.extend_from_slice(open);
                bytes.extend_from_slice(&[b'z'; 80]);
                v.check(&bytes);
            }
        }
        // random text of every kind of character, some of it corrupted
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let chars = [
            'a',
            ' ',
            '~',
            'é',
            'ÿ',
            'ŀ',
            '߿',
            'ࠀ',
            '東',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFF}',
            '😀',
            '\u{10000}',
            '\u{10FFFF}',
        ];
        for i in 0..20_000 {
            // (every other string mostly ASCII, and longer)
            let (len, ascii) = if i % 2 == 0 {
                (next(48), 0)
            } else {
                (next(160), 90)
            };
            let mut bytes: Vec<u8> = (0..len)
                .map(|_| match next(100) < ascii {
                    true => 'a',
                    false => chars[next(chars.len() as u64) as usize],
                })
                .collect::<String>()
                .into_bytes();
            for _ in 0..next(3) {
                if !bytes.is_empty() {
                    let at = next(bytes.len() as u64) as usize;
                    bytes[at] = next(256) as u8;
                }
            }
            v.check(&bytes);
        }
    }

    #[test]
    fn utf16_validation_accepts_what_std_accepts() {
        let engine = Engine::default();
        let module = Module::new(&engine, module_of(Decoder::Utf16)).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let memory = instance.get_memory(&mut store, "memory").expect("memory");
        let validate: TypedFunc<(u32, u32), ()> = instance
            .get_typed_func(&mut store, "validate")
            .expect("validate");
        let units = [
            0x0041, 0x00E9, 0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFFFF,
        ];
        let mut checked = 0;
        // every sequence of up to five of those units, after no, three and
        // four plain units (the four-unit steps start at each phase), at
        // the end of memory too
        for prefix in [0usize, 3, 4] {
            for len in 0..=5u32 {
                for mut k in 0..units.len().pow(len) {
                    let mut seq = vec![0x0061u16; prefix];
                    for _ in 0..len {
                        seq.push(units[k % units.len()]);
                        k /= units.len();
                    }
                    let valid = char::decode_utf16(seq.iter().copied()).all(|c| c.is_ok());
                    let bytes: Vec<u8> = seq.iter().flat_map(|u| u.to_le_bytes()).collect();
                    for at in [64, 0x1_0000 - bytes.len()] {
                        memory.data_mut(&mut store)[at..at + bytes.len()].copy_from_slice(&bytes);
                        let ok = validate
                            .call(&mut store, (at as u32, seq.len() as u32))
                            .is_ok();
                        assert_eq!(ok, valid, "{seq:04x?} at {at}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000);
    }

    /// A module exporting its memory and `convert(src, units, dst) ->
    /// end`: the `units` code units at `src` decoded by `decoder`, moved
    /// by `run` where they can be and encoded by `encoder` at `dst`,
    /// returning where writing stopped; with `ascii_only`, stopping at the
    /// first code point above 0x7F (the first pass of a conversion to
    /// utf8).
    fn converter(decoder: Decoder, run: Run, encoder: Encoder, ascii_only: bool) -> Vec<u8> {
        let body = conversion(decoder, run, encoder, ascii_only);
        module("convert", body, 3, 1)
    }

    /// The body of [`converter`]'s function.
    fn conversion(decoder: Decoder, run: Run, encoder: Encoder, ascii_only: bool) -> Body {
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32, Flat::I32]);
        let end = source_end(&mut body, decoder, params[0], params[1]);
        let d = params[2];
        decode_range_runs(
            &mut body,
            decoder,
            (0, 0),
            (params[0], end),
            (run, d),
            &mut |body, cp| {
                if ascii_only {
                    body.get(cp).i32(0x80).ins(I::I32GeU).ins(I::BrIf(1));
                }
                encode(body, encoder, 0, d, cp);
            },
        );
        body.get(d);
        body
    }

    /// The conversions `strings.rs` makes mark every store of a converted
    /// character `Body::store_within`, so that with one shared memory
    /// none is checked again (the block holds what converting the whole
    /// source writes); the loads are marked too.
    #[test]
    fn conversions_mark_every_load_and_store() {
        use wasmparser::FunctionBody;
        let conversions = [
            (Decoder::Latin1, Run::Latin1ToUtf16, Encoder::Utf16, false),
            (Decoder::Utf8, Run::Utf8ToUtf16, Encoder::Utf16, false),
            (Decoder::Utf16, Run::Utf16ToUtf8, Encoder::Latin1, true),
            (Decoder::Utf16, Run::Utf16ToUtf8, Encoder::Utf8, false),
            (Decoder::Latin1, Run::Latin1ToUtf8, Encoder::Latin1, true),
            (Decoder::Latin1, Run::Latin1ToUtf8, Encoder::Utf8, false),
        ];
        for (decoder, run, encoder, ascii_only) in conversions {
            let (f, covered) = conversion(decoder, run, encoder, ascii_only).finish_covered();
            let raw = f.into_raw_body();
            let body = FunctionBody::new(wasmparser::BinaryReader::new(&raw, 0));
            let mut ops = body.get_operators_reader().expect("operators");
            let (mut stores, mut marked) = (0, 0);
            while !ops.eof() {
                let at = ops.original_position() as u32;
                let op = ops.read().expect("an operator");
                let access = format!("{op:?}");
                if access.contains("Load") || access.contains("Store") {
                    stores += usize::from(access.contains("Store"));
                    marked += 1;
                    assert!(covered.contains(&at), "{decoder:?} → {encoder:?}: {access}");
                }
            }
            assert!(stores > 0 && marked == covered.len());
        }
    }

    /// Strings of ASCII with one other character at every position, for
    /// lengths around the 8-byte words the runs take.
    fn mixed(others: &[char]) -> Vec<String> {
        let mut texts = vec![
            "The quick brown fox jumps over the lazy dog; Größe, 東京, naïve café — 0123"
                .to_string(),
            "Größe 東京 😀 naïve — 日本語 ✓ ü 🎵 é; Größe 東京 😀 naïve — 日本語 ".to_string(),
            String::new(),
        ];
        for len in 0..=20 {
            let ascii: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            texts.push(ascii.clone());
            for &c in others {
                for at in 0..=len {
                    let mut text = ascii.clone();
                    text.insert(at, c);
                    texts.push(text);
                }
            }
        }
        texts
    }

    /// Runs `convert` on `source` (`units` code units) placed at two
    /// offsets, `room` bytes of destination ending at the memory's end
    /// (a store past the room traps), and checks what it wrote; then
    /// again with the source ending at the memory's end (a load past the
    /// source traps: the loads `Body::within` marks must not).
    fn check_conversion(
        module: &[u8],
        cases: impl IntoIterator<Item = (Vec<u8>, u32, u32, Vec<u8>)>,
        unit: usize,
    ) {
        let engine = Engine::default();
        let module = Module::new(&engine, module).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let memory = instance.get_memory(&mut store, "memory").expect("memory");
        let convert: TypedFunc<(u32, u32, u32), u32> = instance
            .get_typed_func(&mut store, "convert")
            .expect("convert");
        for (source, units, room, expected) in cases {
            let last = 0x1_0000 - source.len();
            for (at, dst) in [
                (64, 0x1_0000 - room as usize),
                (64 + 3 * unit, 0x1_0000 - room as usize),
                (last, 0x8000),
            ] {
                let data = memory.data_mut(&mut store);
                data[dst..dst + room as usize].fill(0xAA);
                data[at..at + source.len()].copy_from_slice(&source);
                let end = convert
                    .call(&mut store, (at as u32, units, dst as u32))
                    .expect("valid input converts");
                let data = memory.data(&store);
                assert_eq!(
                    &data[dst..end as usize],
                    &expected[..],
                    "{source:02x?} at {at}"
                );
                // nothing written past them
                assert!(
                    data[end as usize..dst + room as usize]
                        .iter()
                        .all(|&b| b == 0xAA),
                    "{source:02x?}"
                );
            }
        }
    }

    fn utf16_bytes(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn ascii_prefix(text: &str) -> &str {
        &text[..text.find(|c: char| !c.is_ascii()).unwrap_or(text.len())]
    }

    #[test]
    fn runs_convert_as_code_points_do() {
        let texts = mixed(&['\u{7f}', '\u{80}', 'é', 'ÿ', '東', '😀']);
        let len = |n: usize| u32::try_from(n).expect("short");
        // utf8 → utf16: room for 2 n bytes
        let module = converter(Decoder::Utf8, Run::Utf8ToUtf16, Encoder::Utf16, false);
        let cases = texts.iter().map(|t| {
            let n = len(t.len());
            (t.as_bytes().to_vec(), n, 2 * n, utf16_bytes(t))
        });
        check_conversion(&module, cases, 1);
        // utf16 → utf8: the first pass (room for n bytes), the whole (3 n)
        for ascii_only in [true, false] {
            let module = converter(Decoder::Utf16, Run::Utf16ToUtf8, Encoder::Utf8, ascii_only);
            let cases = texts.iter().map(|t| {
                let units = len(t.encode_utf16().count());
                let expected = if ascii_only { ascii_prefix(t) } else { t };
                let room = if ascii_only { units } else { 3 * units };
                (utf16_bytes(t), units, room, expected.as_bytes().to_vec())
            });
            check_conversion(&module, cases, 2);
        }
        // latin1 → utf16 (2 n) and → utf8 (n for the first pass, else 2 n)
        let latin1: Vec<Vec<u8>> = mixed(&['\u{7f}', '\u{80}', 'é', 'ÿ'])
            .iter()
            .filter(|t| t.chars().all(|c| u32::from(c) < 0x100))
            .map(|t| t.chars().map(|c| u32::from(c) as u8).collect())
            .collect();
        let as_text = |bytes: &[u8]| bytes.iter().map(|&b| char::from(b)).collect::<String>();
        let module = converter(Decoder::Latin1, Run::Latin1ToUtf16, Encoder::Utf16, false);
        let cases = latin1.iter().map(|b| {
            let n = len(b.len());
            (b.clone(), n, 2 * n, utf16_bytes(&as_text(b)))
        });
        check_conversion(&module, cases, 1);
        for ascii_only in [true, false] {
            let module = converter(
                Decoder::Latin1,
                Run::Latin1ToUtf8,
                Encoder::Utf8,
                ascii_only,
            );
            let cases = latin1.iter().map(|b| {
                let (n, text) = (len(b.len()), as_text(b));
                let expected = if ascii_only {
                    ascii_prefix(&text)
                } else {
                    &text[..]
                };
                let room = if ascii_only { n } else { 2 * n };
                (b.clone(), n, room, expected.as_bytes().to_vec())
            });
            check_conversion(&module, cases, 1);
        }
    }
}
