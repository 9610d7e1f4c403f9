//! String helpers: copying a string from one memory to another, with
//! validation and transcoding between utf8, utf16 and latin1+utf16.
//!
//! Every source string is decoded (and so validated, trapping on invalid
//! utf8 and lone surrogates as the Canonical ABI's `load_string` does);
//! the destination is allocated once, at its exact size, after a first
//! pass has measured the string in the destination encoding. When both
//! sides use the same encoding the bytes are validated and copied with one
//! `memory.copy`. A latin1+utf16 destination gets latin1 when every code
//! point fits in a byte and utf16 (with the length tagged) otherwise; a
//! latin1+utf16 source keeps its tag when the destination uses the same
//! encoding, as the spec's `store_string_copy` does.

use super::body::{Body, Local};
use super::codegen::{Codegen, Dir, arrow};
use crate::abi::Flat;
use crate::decode::StringEncoding;
use crate::error::Result;
use crate::merge::GeneratedFunc;
use wasm_encoder::{BlockType, Instruction as I};
use wasmparser::FuncType;

/// The high bit of a latin1+utf16 length: the string is utf16.
const UTF16_TAG: u32 = 1 << 31;
/// The longest string, in bytes, the Canonical ABI allows.
const MAX_STRING_BYTES: u32 = (1 << 31) - 1;

/// How the source bytes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoder {
    Utf8,
    Utf16,
    Latin1,
}

impl Decoder {
    fn unit(self) -> u32 {
        match self {
            Decoder::Utf16 => 2,
            Decoder::Utf8 | Decoder::Latin1 => 1,
        }
    }
}

/// The helper's locals: its source and what it returns.
#[derive(Debug, Clone, Copy)]
struct Frame {
    ptr: Local,
    /// Source length in code units of the decoder.
    units: Local,
    out_ptr: Local,
    out_len: Local,
}

impl Codegen {
    pub(crate) fn gen_string(&mut self, dir: Dir) -> Result<GeneratedFunc> {
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32]);
        let f = Frame {
            ptr: params[0],
            units: params[1],
            out_ptr: body.local(Flat::I32),
            out_len: body.local(Flat::I32),
        };
        match dir.src.encoding {
            StringEncoding::Utf8 => self.string_from(&mut body, Decoder::Utf8, f, dir)?,
            StringEncoding::Utf16 => {
                body.check_align(f.ptr, 2);
                self.string_from(&mut body, Decoder::Utf16, f, dir)?;
            }
            StringEncoding::CompactUtf16 => {
                body.check_align(f.ptr, 2);
                body.get(f.units).i32(UTF16_TAG).ins(I::I32And);
                body.ins(I::If(BlockType::Empty));
                let units = body.local(Flat::I32);
                body.get(f.units).i32(UTF16_TAG).ins(I::I32Xor).set(units);
                self.string_from(&mut body, Decoder::Utf16, Frame { units, ..f }, dir)?;
                body.ins(I::Else);
                self.string_from(&mut body, Decoder::Latin1, f, dir)?;
                body.ins(I::End);
            }
        }
        body.get(f.out_ptr).get(f.out_len);
        let name = match (dir.src.encoding, dir.dst.encoding) {
            (a, b) if a == b => format!("copy string {} {}", encoding(a), arrow(dir)),
            (a, b) => format!("transcode {}->{} {}", encoding(a), encoding(b), arrow(dir)),
        };
        Ok(GeneratedFunc {
            name,
            ty: FuncType::new(
                [Flat::I32.core(), Flat::I32.core()],
                [Flat::I32.core(), Flat::I32.core()],
            ),
            body: body.finish(),
        })
    }

    /// Copies the string `f.ptr`/`f.units` decoded by `src` into the
    /// destination, setting `f.out_ptr` and `f.out_len`.
    fn string_from(&mut self, body: &mut Body, src: Decoder, f: Frame, dir: Dir) -> Result<()> {
        let src_mem = dir.src.memory()?;
        let dst_mem = dir.dst.memory()?;
        body.check_range(src_mem, f.ptr, f.units, src.unit());
        let same = matches!(
            (src, dir.dst.encoding),
            (Decoder::Utf8, StringEncoding::Utf8)
                | (Decoder::Utf16, StringEncoding::Utf16)
                | (Decoder::Latin1, StringEncoding::CompactUtf16)
        ) || (src == Decoder::Utf16 && dir.src.encoding == dir.dst.encoding);
        if same {
            // Validate, then copy the bytes as they are.
            if src != Decoder::Latin1 {
                decode_loop(body, src, src_mem, f, None);
            }
            let bytes = body.local(Flat::I32);
            body.get(f.units).i32(src.unit()).ins(I::I32Mul).set(bytes);
            let align = if dir.dst.encoding == StringEncoding::Utf8 {
                1
            } else {
                2
            };
            let dst = self.realloc(body, &dir.dst, align, bytes)?;
            body.get(dst)
                .get(f.ptr)
                .get(bytes)
                .ins(I::MemoryCopy { src_mem, dst_mem });
            body.get(dst).set(f.out_ptr);
            body.get(f.units);
            if src == Decoder::Utf16 && dir.dst.encoding == StringEncoding::CompactUtf16 {
                body.i32(UTF16_TAG).ins(I::I32Or);
            }
            body.set(f.out_len);
            body.free(bytes);
            return Ok(());
        }
        match dir.dst.encoding {
            StringEncoding::Utf8 => {
                // Pass 1: the utf8 length (in i64: it can exceed 32 bits).
                let count = body.local(Flat::I64);
                body.ins(I::I64Const(0)).set(count);
                decode_loop(
                    body,
                    src,
                    src_mem,
                    f,
                    Some(&mut |body, cp| {
                        body.get(count);
                        body.i32(1);
                        for limit in [0x80, 0x800, 0x1_0000] {
                            body.get(cp).i32(limit).ins(I::I32GeU).ins(I::I32Add);
                        }
                        body.ins(I::I64ExtendI32U).ins(I::I64Add).set(count);
                    }),
                );
                body.get(count)
                    .ins(I::I64Const(i64::from(MAX_STRING_BYTES)))
                    .ins(I::I64GtU)
                    .trap_if();
                let bytes = body.local(Flat::I32);
                body.get(count).ins(I::I32WrapI64).set(bytes);
                self.encode_into(body, src, f, dir, bytes, 1, Encoder::Utf8)?;
                body.get(bytes).set(f.out_len);
            }
            StringEncoding::Utf16 => {
                let units = self.utf16_units(body, src, src_mem, f, None);
                let bytes = utf16_bytes(body, units);
                self.encode_into(body, src, f, dir, bytes, 2, Encoder::Utf16)?;
                body.get(units).set(f.out_len);
            }
            StringEncoding::CompactUtf16 => {
                // Latin1 when every code point fits in a byte, else utf16.
                let wide = body.local(Flat::I32);
                body.i32(0).set(wide);
                let units = self.utf16_units(body, src, src_mem, f, Some(wide));
                body.get(wide).ins(I::If(BlockType::Empty));
                let bytes = utf16_bytes(body, units);
                self.encode_into(body, src, f, dir, bytes, 2, Encoder::Utf16)?;
                body.get(units).i32(UTF16_TAG).ins(I::I32Or).set(f.out_len);
                body.ins(I::Else);
                self.encode_into(body, src, f, dir, units, 2, Encoder::Latin1)?;
                body.get(units).set(f.out_len);
                body.ins(I::End);
            }
        }
        Ok(())
    }

    /// Pass 1 for utf16 destinations: the number of utf16 code units, and
    /// in `wide` whether any code point is above 0xFF.
    fn utf16_units(
        &mut self,
        body: &mut Body,
        src: Decoder,
        src_mem: u32,
        f: Frame,
        wide: Option<Local>,
    ) -> Local {
        let units = body.local(Flat::I32);
        body.i32(0).set(units);
        decode_loop(
            body,
            src,
            src_mem,
            f,
            Some(&mut |body, cp| {
                body.get(units)
                    .i32(1)
                    .ins(I::I32Add)
                    .get(cp)
                    .i32(0x1_0000)
                    .ins(I::I32GeU)
                    .ins(I::I32Add)
                    .set(units);
                if let Some(wide) = wide {
                    body.get(wide)
                        .get(cp)
                        .i32(0xff)
                        .ins(I::I32GtU)
                        .ins(I::I32Or)
                        .set(wide);
                }
            }),
        );
        units
    }

    /// Allocates `bytes` in the destination and encodes the source there
    /// (pass 2), setting `f.out_ptr`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call per encoder; all are needed"
    )]
    fn encode_into(
        &mut self,
        body: &mut Body,
        src: Decoder,
        f: Frame,
        dir: Dir,
        bytes: Local,
        align: u32,
        encoder: Encoder,
    ) -> Result<()> {
        let dst_mem = dir.dst.memory()?;
        let dst = self.realloc(body, &dir.dst, align, bytes)?;
        body.get(dst).set(f.out_ptr);
        let d = body.local(Flat::I32);
        body.get(dst).set(d);
        decode_loop(
            body,
            src,
            dir.src.memory()?,
            f,
            Some(&mut |body, cp| {
                encode(body, encoder, dst_mem, d, cp);
            }),
        );
        body.free(d);
        Ok(())
    }
}

/// Traps if `units` utf16 code units exceed the maximum string length;
/// returns their size in bytes.
fn utf16_bytes(body: &mut Body, units: Local) -> Local {
    body.get(units)
        .i32(MAX_STRING_BYTES / 2)
        .ins(I::I32GtU)
        .trap_if();
    let bytes = body.local(Flat::I32);
    body.get(units).i32(1).ins(I::I32Shl).set(bytes);
    bytes
}

#[derive(Debug, Clone, Copy)]
enum Encoder {
    Utf8,
    Utf16,
    Latin1,
}

/// Writes code point `cp` at `d` in `memory` and advances `d`.
fn encode(body: &mut Body, encoder: Encoder, memory: u32, d: Local, cp: Local) {
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
type PerCodePoint<'a> = dyn FnMut(&mut Body, Local) + 'a;

/// Decodes every code point of the source, trapping on invalid input, and
/// runs `each` on it. Without `each` (validation only), runs of ASCII are
/// skipped eight bytes at a time.
fn decode_loop(
    body: &mut Body,
    src: Decoder,
    memory: u32,
    f: Frame,
    each: Option<&mut PerCodePoint<'_>>,
) {
    let p = body.local(Flat::I32);
    let end = body.local(Flat::I32);
    let cp = body.local(Flat::I32);
    body.get(f.ptr).set(p);
    body.get(f.ptr)
        .get(f.units)
        .i32(src.unit())
        .ins(I::I32Mul)
        .ins(I::I32Add)
        .set(end);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(p).get(end).ins(I::I32Eq).ins(I::BrIf(1));
    if each.is_none() && src == Decoder::Utf8 {
        // Validation only: with eight bytes left, skip them if all are
        // ASCII, else skip the ASCII bytes before the first that is not.
        let chunk = body.local(Flat::I64);
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
    body.free(p);
    body.free(end);
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

fn encoding(e: StringEncoding) -> &'static str {
    match e {
        StringEncoding::Utf8 => "utf8",
        StringEncoding::Utf16 => "utf16",
        StringEncoding::CompactUtf16 => "latin1+utf16",
    }
}
