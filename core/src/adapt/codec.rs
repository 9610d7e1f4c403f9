//! Code points in generated wasm: decoding utf8, utf16 and latin1 from
//! linear memory (trapping on invalid utf8 and lone surrogates, as
//! wasmtime's transcoders do) and encoding them back, one code point at a
//! time. The string helpers (`strings.rs`) decide how much memory to ask
//! for; this module only reads and writes it.

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

/// Writes code point `cp` at `d` in `memory` and advances `d`.
pub(super) fn encode(body: &mut Body, encoder: Encoder, memory: u32, d: Local, cp: Local) {
    let byte = |body: &mut Body, offset: u32, shift: u32, mark: u32, mask: u32| {
        body.get(d).get(cp);
        if shift > 0 {
            body.i32(shift).ins(I::I32ShrU);
        }
        body.i32(mask).ins(I::I32And).i32(mark).ins(I::I32Or);
        body.store(memory, offset, 1, Flat::I32);
    };
    let advance = |body: &mut Body, n: u32| {
        body.get(d).i32(n).ins(I::I32Add).set(d);
    };
    match encoder {
        Encoder::Latin1 => {
            body.get(d).get(cp).store(memory, 0, 1, Flat::I32);
            advance(body, 1);
        }
        Encoder::Utf16 => {
            body.get(cp)
                .i32(0x1_0000)
                .ins(I::I32LtU)
                .ins(I::If(BlockType::Empty));
            body.get(d).get(cp).store(memory, 0, 2, Flat::I32);
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
                .store(memory, 0, 2, Flat::I32);
            body.get(d)
                .get(cp)
                .i32(0x3FF)
                .ins(I::I32And)
                .i32(0xDC00)
                .ins(I::I32Or)
                .store(memory, 2, 2, Flat::I32);
            advance(body, 4);
            body.ins(I::End);
        }
        Encoder::Utf8 => {
            body.get(cp)
                .i32(0x80)
                .ins(I::I32LtU)
                .ins(I::If(BlockType::Empty));
            body.get(d).get(cp).store(memory, 0, 1, Flat::I32);
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
/// `each` leaves the loop (with `p` past that code point). Without `each`
/// (validation only), runs of ASCII are skipped eight bytes at a time.
pub(super) fn decode_range(
    body: &mut Body,
    src: Decoder,
    memory: u32,
    (p, end): (Local, Local),
    each: Option<&mut PerCodePoint<'_>>,
) {
    let cp = body.local(Flat::I32);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(p).get(end).ins(I::I32Eq).ins(I::BrIf(1));
    if each.is_none() && src == Decoder::Utf8 {
        // Validation only: with 32 bytes left, skip them if all are ASCII
        // (four 64-bit words OR'ed against the high bits); with eight
        // left, skip them if all are ASCII, else skip the ASCII bytes
        // before the first that is not.
        let chunk = body.local(Flat::I64);
        body.get(p).i32(32).ins(I::I32Add).get(end).ins(I::I32LeU);
        body.ins(I::If(BlockType::Empty));
        for word in 0..4 {
            body.get(p).load(memory, 8 * word, 8, Flat::I64);
            if word > 0 {
                body.ins(I::I64Or);
            }
        }
        body.ins(I::I64Const(0x8080_8080_8080_8080_u64 as i64))
            .ins(I::I64And)
            .ins(I::I64Eqz);
        body.ins(I::If(BlockType::Empty));
        body.get(p).i32(32).ins(I::I32Add).set(p).ins(I::Br(2));
        body.ins(I::End);
        body.ins(I::End);
        body.get(p).i32(8).ins(I::I32Add).get(end).ins(I::I32LeU);
        body.ins(I::If(BlockType::Empty));
        body.get(p).load(memory, 0, 8, Flat::I64);
        body.ins(I::I64Const(0x8080_8080_8080_8080_u64 as i64))
            .ins(I::I64And)
            .set(chunk);
        body.get(chunk).ins(I::I64Eqz);
        body.ins(I::If(BlockType::Empty));
        body.get(p).i32(8).ins(I::I32Add).set(p).ins(I::Br(2));
        body.ins(I::End);
        body.get(p)
            .get(chunk)
            .ins(I::I64Ctz)
            .ins(I::I32WrapI64)
            .i32(3)
            .ins(I::I32ShrU)
            .ins(I::I32Add)
            .set(p);
        body.ins(I::End);
        body.free(chunk);
    }
    match src {
        Decoder::Latin1 => {
            body.get(p).load(memory, 0, 1, Flat::I32).set(cp);
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

fn decode_utf16(body: &mut Body, memory: u32, p: Local, end: Local, cp: Local) {
    body.get(p).load(memory, 0, 2, Flat::I32).set(cp);
    body.get(p).i32(2).ins(I::I32Add).set(p);
    // A surrogate: it must be a high one followed by a low one.
    body.get(cp)
        .i32(0xD800)
        .ins(I::I32Sub)
        .i32(0x800)
        .ins(I::I32LtU);
    body.ins(I::If(BlockType::Empty));
    body.get(cp).i32(0xDC00).ins(I::I32GeU).trap_if();
    body.get(p).get(end).ins(I::I32Eq).trap_if();
    let low = body.local(Flat::I32);
    body.get(p)
        .load(memory, 0, 2, Flat::I32)
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
    body.get(p).load(memory, 0, 1, Flat::I32).set(cp);
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
            body.get(p).load(memory, j, 1, Flat::I32).set(c);
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
