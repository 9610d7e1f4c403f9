//! String helpers: copying a string from one memory to another, with
//! validation and transcoding between utf8, utf16 and latin1+utf16.
//!
//! Each helper calls the destination's `realloc` exactly as wasmtime's
//! adapters do (`fact/trampoline.rs`, which follows the Canonical ABI's
//! `store_string_*` functions): the same calls with the same arguments in
//! the same order, each followed by the same alignment and bounds checks,
//! and the source validated at the same point relative to them (a trap on
//! invalid utf8 or a lone surrogate comes after the allocations wasmtime
//! makes before it notices). Per source → destination encoding:
//!
//! - **same encoding** (and latin1 → utf16, latin1 → latin1+utf16): one
//!   block of the exact size; then validate and copy (`Body::copy_within`; or widen).
//! - **utf8 → utf16**: the worst case, `2 n` bytes; encode; shrink to the
//!   bytes written when fewer.
//! - **utf16 or latin1 → utf8**: `n` bytes, filled while the string is
//!   ASCII; at the first other character grow to the worst case (`3 n` or
//!   `2 n`), encode the rest, shrink to the bytes written when fewer.
//! - **utf8 or utf16 → latin1+utf16**: `n` bytes (alignment 2), filled
//!   while the characters are latin1 (a utf8 sequence that is not latin1,
//!   valid or not, ends this pass without trapping); shrink when the
//!   latin1 bytes are fewer; at the first other character grow to `2 n`,
//!   widen the latin1 bytes in place, encode the rest as utf16, shrink to
//!   the units written when fewer, tag the length.
//! - **latin1+utf16 tagged utf16 → latin1+utf16**: `2 n` bytes; validate
//!   and copy; if every character is latin1, narrow in place and shrink to
//!   `n` bytes (alignment 2), else keep the utf16 tag.
//!
//! Lengths are checked against wasmtime's maximum, `2^31 - 1` bytes,
//! before each allocation that depends on them.
//!
//! Each block is the worst case of what its pass writes: a character
//! takes at most 2 bytes in utf16 per utf8 byte or utf16 unit it came
//! from, 3 bytes in utf8 per utf16 unit (2 per latin1 byte), 1 byte in
//! latin1 or ASCII per unit; a pass that grows the block carries on from
//! what the first pass wrote, which stays within the same bound. So the
//! stores that write converted characters (`codec::encode`, the ASCII
//! runs) never pass the block's end, and are marked `Body::store_within`:
//! with one shared memory they need no region check of their own. The
//! stores that widen or narrow in place are not marked.

use super::body::{Body, Local};
use super::codec::{
    Decoder, Encoder, Run, decode_range, decode_range_runs, encode, validate_utf8_simd,
};
use super::codegen::{Codegen, Dir, Side, arrow};
use crate::abi::Flat;
use crate::decode::StringEncoding;
use crate::error::Result;
use crate::merge::GeneratedFunc;
use wasm_encoder::{BlockType, Instruction as I};
use wasmparser::FuncType;

/// Whether same-encoding copies validate the string: always, unless a
/// scratch build for the benchmark switched it off (`crate::scratch`).
fn validating() -> bool {
    #[cfg(feature = "scratch-unvalidated")]
    return crate::scratch::validating_strings();
    #[cfg(not(feature = "scratch-unvalidated"))]
    true
}

/// The high bit of a latin1+utf16 length: the string is utf16.
const UTF16_TAG: u32 = 1 << 31;
/// The longest string, in bytes, wasmtime allows.
const MAX_STRING_BYTES: u32 = (1 << 31) - 1;

/// The helper's locals: its source and what it returns.
#[derive(Debug, Clone, Copy)]
struct Frame {
    ptr: Local,
    /// Source length in code units of the decoder (untagged).
    units: Local,
    out_ptr: Local,
    out_len: Local,
}

impl Codegen {
    pub(crate) fn gen_string(&mut self, dir: Dir) -> Result<GeneratedFunc> {
        let (mut owned, params) = Body::new(&[Flat::I32, Flat::I32]);
        let f = Frame {
            ptr: params[0],
            units: params[1],
            out_ptr: owned.local(Flat::I32),
            out_len: owned.local(Flat::I32),
        };
        let src_mem = dir.src.memory()?;
        let body = &mut owned;
        match dir.src.encoding {
            StringEncoding::Utf8 => {
                body.check_range(src_mem, f.ptr, f.units, 1);
                self.store(body, Decoder::Utf8, f, dir)?;
            }
            StringEncoding::Utf16 => {
                body.check_align(f.ptr, 2);
                body.check_range(src_mem, f.ptr, f.units, 2);
                self.store(body, Decoder::Utf16, f, dir)?;
            }
            StringEncoding::CompactUtf16 => {
                body.check_align(f.ptr, 2);
                body.get(f.units).i32(UTF16_TAG).ins(I::I32And);
                body.ins(I::If(BlockType::Empty));
                body.get(f.units).i32(UTF16_TAG).ins(I::I32Xor).set(f.units);
                body.check_range(src_mem, f.ptr, f.units, 2);
                if dir.dst.encoding == StringEncoding::CompactUtf16 {
                    self.utf16_to_probably_utf16(body, f, dir)?;
                } else {
                    self.store(body, Decoder::Utf16, f, dir)?;
                }
                body.ins(I::Else);
                body.check_range(src_mem, f.ptr, f.units, 1);
                self.store(body, Decoder::Latin1, f, dir)?;
                body.ins(I::End);
            }
        }
        body.get(f.out_ptr).get(f.out_len);
        let name = match (dir.src.encoding, dir.dst.encoding) {
            (a, b) if a == b => format!("copy string {} {}", encoding(a), arrow(dir)),
            (a, b) => format!("transcode {}->{} {}", encoding(a), encoding(b), arrow(dir)),
        };
        // The source's loads are marked `Body::within` the range checked
        // above (the codec's loops stop at `end`).
        let (body, covered) = owned.finish_covered();
        Ok(GeneratedFunc {
            name,
            ty: FuncType::new(
                [Flat::I32.core(), Flat::I32.core()],
                [Flat::I32.core(), Flat::I32.core()],
            ),
            body,
            covered,
        })
    }

    /// Stores the string `f.ptr`/`f.units` decoded by `src` (in bounds)
    /// into the destination, setting `f.out_ptr` and `f.out_len`.
    fn store(&mut self, body: &mut Body, src: Decoder, f: Frame, dir: Dir) -> Result<()> {
        match (src, dir.dst.encoding) {
            (Decoder::Utf8, StringEncoding::Utf8)
            | (Decoder::Utf16, StringEncoding::Utf16)
            | (Decoder::Latin1, StringEncoding::CompactUtf16) => self.copy(body, src, f, dir),
            (Decoder::Latin1 | Decoder::Utf8, StringEncoding::Utf16) => {
                self.store_utf16(body, src, f, dir)
            }
            (Decoder::Utf16 | Decoder::Latin1, StringEncoding::Utf8) => {
                self.deflate_to_utf8(body, src, f, dir)
            }
            (Decoder::Utf8 | Decoder::Utf16, StringEncoding::CompactUtf16) => {
                self.store_latin1_or_utf16(body, src, f, dir)
            }
        }
    }

    /// Same encoding on both sides: one block of the exact size, then the
    /// source validated and copied as it is.
    fn copy(&mut self, body: &mut Body, src: Decoder, f: Frame, dir: Dir) -> Result<()> {
        let (src_mem, dst_mem) = (dir.src.memory()?, dir.dst.memory()?);
        length_limit(body, f.units, src.unit());
        let bytes = body.local(Flat::I32);
        body.get(f.units);
        if src.unit() == 2 {
            body.i32(1).ins(I::I32Shl);
        }
        body.set(bytes);
        // Latin1 strings of latin1+utf16 are 2-aligned.
        let align = if src == Decoder::Utf8 { 1 } else { 2 };
        let dst = self.realloc(body, &dir.dst, align, bytes)?;
        if src != Decoder::Latin1 && validating() {
            let (p, end) = source_range(body, src, f.ptr, f.units);
            match (src, self.simd) {
                (Decoder::Utf8, true) => validate_utf8_simd(body, src_mem, (p, end)),
                _ => decode_range(body, src, src_mem, (p, end), None),
            }
            body.free(p);
            body.free(end);
        }
        // the source range checked by the caller, the block by `realloc`
        body.copy_within((dst_mem, dst), (src_mem, f.ptr), bytes);
        body.get(dst).set(f.out_ptr);
        body.get(f.units).set(f.out_len);
        body.free(bytes);
        body.free(dst);
        Ok(())
    }

    /// Latin1 or utf8 → utf16: one block of `2 n` bytes (each latin1
    /// byte widened; for utf8 the worst case, then a shrink to the units
    /// written when fewer).
    fn store_utf16(&mut self, body: &mut Body, src: Decoder, f: Frame, dir: Dir) -> Result<()> {
        let (src_mem, dst_mem) = (dir.src.memory()?, dir.dst.memory()?);
        length_limit(body, f.units, 2);
        let bytes = body.local(Flat::I32);
        body.get(f.units).i32(1).ins(I::I32Shl).set(bytes);
        let dst = self.realloc(body, &dir.dst, 2, bytes)?;
        let d = body.local(Flat::I32);
        body.get(dst).set(d);
        let (p, end) = source_range(body, src, f.ptr, f.units);
        let widened = src == Decoder::Latin1;
        let run = match widened {
            true => Run::Latin1ToUtf16,
            false => Run::Utf8ToUtf16,
        };
        decode_range_runs(
            body,
            src,
            (src_mem, dst_mem),
            (p, end),
            (run, d),
            &mut |body, cp| encode(body, Encoder::Utf16, dst_mem, d, cp),
        );
        if !widened {
            // d - dst: the bytes written.
            body.get(d).get(dst).ins(I::I32Sub).set(d);
            self.shrink(body, &dir.dst, (dst, bytes), 2, d)?;
        }
        body.get(dst).set(f.out_ptr);
        match widened {
            true => body.get(f.units),
            false => body.get(d).i32(1).ins(I::I32ShrU),
        }
        .set(f.out_len);
        for local in [p, end, d, bytes, dst] {
            body.free(local);
        }
        Ok(())
    }

    /// Utf16 or latin1 → utf8: `n` bytes while the string is ASCII; at the
    /// first other character the worst case, then a shrink.
    fn deflate_to_utf8(&mut self, body: &mut Body, src: Decoder, f: Frame, dir: Dir) -> Result<()> {
        let (src_mem, dst_mem) = (dir.src.memory()?, dir.dst.memory()?);
        length_limit(body, f.units, src.unit());
        let dst = self.realloc(body, &dir.dst, 1, f.units)?;
        let d = body.local(Flat::I32);
        body.get(dst).set(d);
        let (p, end) = source_range(body, src, f.ptr, f.units);
        // First pass: ASCII only (one unit, one byte).
        let run = if src == Decoder::Utf16 {
            Run::Utf16ToUtf8
        } else {
            Run::Latin1ToUtf8
        };
        decode_range_runs(
            body,
            src,
            (src_mem, dst_mem),
            (p, end),
            (run, d),
            &mut |body, cp| {
                body.get(cp).i32(0x80).ins(I::I32GeU).ins(I::BrIf(1));
                encode(body, Encoder::Latin1, dst_mem, d, cp);
            },
        );
        let written = body.local(Flat::I32);
        body.get(d)
            .get(dst)
            .ins(I::I32Sub)
            .ins(I::LocalTee(written.index));
        body.get(f.units).ins(I::I32Ne).ins(I::If(BlockType::Empty));
        {
            let factor = if src == Decoder::Utf16 { 3 } else { 2 };
            length_limit(body, f.units, factor);
            let worst = body.local(Flat::I32);
            body.get(f.units).i32(factor).ins(I::I32Mul).set(worst);
            self.reallocate(body, &dir.dst, (dst, f.units), 1, worst)?;
            // The rest, from the first character that is not ASCII.
            body.get(dst).get(written).ins(I::I32Add).set(d);
            body.get(f.ptr).get(written);
            if src.unit() == 2 {
                body.i32(1).ins(I::I32Shl);
            }
            body.ins(I::I32Add).set(p);
            decode_range_runs(
                body,
                src,
                (src_mem, dst_mem),
                (p, end),
                (run, d),
                &mut |body, cp| encode(body, Encoder::Utf8, dst_mem, d, cp),
            );
            body.get(d).get(dst).ins(I::I32Sub).set(written);
            self.shrink(body, &dir.dst, (dst, worst), 1, written)?;
            body.free(worst);
        }
        body.ins(I::End);
        body.get(dst).set(f.out_ptr);
        body.get(written).set(f.out_len);
        for local in [p, end, d, written, dst] {
            body.free(local);
        }
        Ok(())
    }

    /// Utf8 or utf16 → latin1+utf16: `n` bytes while the characters are
    /// latin1 (then a shrink when fewer bytes were written); at the first
    /// other character `2 n` bytes, the latin1 prefix widened in place, the
    /// rest encoded as utf16, a shrink, and the length tagged.
    fn store_latin1_or_utf16(
        &mut self,
        body: &mut Body,
        src: Decoder,
        f: Frame,
        dir: Dir,
    ) -> Result<()> {
        let (src_mem, dst_mem) = (dir.src.memory()?, dir.dst.memory()?);
        length_limit(body, f.units, src.unit());
        let dst = self.realloc(body, &dir.dst, 2, f.units)?;
        let d = body.local(Flat::I32);
        body.get(dst).set(d);
        let (p, end) = source_range(body, src, f.ptr, f.units);
        latin1_prefix(body, src, (src_mem, dst_mem), (p, end), d);
        let written = body.local(Flat::I32);
        body.get(d).get(dst).ins(I::I32Sub).set(written);
        body.get(p)
            .get(end)
            .ins(I::I32Eq)
            .ins(I::If(BlockType::Empty));
        {
            self.shrink(body, &dir.dst, (dst, f.units), 2, written)?;
            body.get(written).set(f.out_len);
        }
        body.ins(I::Else);
        {
            if src == Decoder::Utf8 {
                length_limit(body, f.units, 2);
            }
            let bytes = body.local(Flat::I32);
            body.get(f.units).i32(1).ins(I::I32Shl).set(bytes);
            self.reallocate(body, &dir.dst, (dst, f.units), 2, bytes)?;
            widen_in_place(body, dst_mem, dst, written);
            body.get(dst)
                .get(written)
                .i32(1)
                .ins(I::I32Shl)
                .ins(I::I32Add)
                .set(d);
            let mut each = |body: &mut Body, cp| encode(body, Encoder::Utf16, dst_mem, d, cp);
            if src == Decoder::Utf8 {
                let run = (Run::Utf8ToUtf16, d);
                decode_range_runs(body, src, (src_mem, dst_mem), (p, end), run, &mut each);
            } else {
                decode_range(body, src, src_mem, (p, end), Some(&mut each));
            }
            body.get(d).get(dst).ins(I::I32Sub).set(written);
            self.shrink(body, &dir.dst, (dst, bytes), 2, written)?;
            body.get(written)
                .i32(1)
                .ins(I::I32ShrU)
                .i32(UTF16_TAG)
                .ins(I::I32Or)
                .set(f.out_len);
            body.free(bytes);
        }
        body.ins(I::End);
        body.get(dst).set(f.out_ptr);
        for local in [p, end, d, written, dst] {
            body.free(local);
        }
        Ok(())
    }

    /// Latin1+utf16 tagged utf16 → latin1+utf16: `2 n` bytes, validated
    /// and copied; when every character is latin1, narrowed in place and
    /// shrunk to `n` bytes (alignment 2, as wasmtime does).
    fn utf16_to_probably_utf16(&mut self, body: &mut Body, f: Frame, dir: Dir) -> Result<()> {
        let (src_mem, dst_mem) = (dir.src.memory()?, dir.dst.memory()?);
        length_limit(body, f.units, 2);
        let bytes = body.local(Flat::I32);
        body.get(f.units).i32(1).ins(I::I32Shl).set(bytes);
        let dst = self.realloc(body, &dir.dst, 2, bytes)?;
        let wide = body.local(Flat::I32);
        body.i32(0).set(wide);
        let (p, end) = source_range(body, Decoder::Utf16, f.ptr, f.units);
        decode_range(
            body,
            Decoder::Utf16,
            src_mem,
            (p, end),
            Some(&mut |body, cp| {
                body.get(wide)
                    .get(cp)
                    .i32(0xff)
                    .ins(I::I32GtU)
                    .ins(I::I32Or)
                    .set(wide);
            }),
        );
        // the source range checked by the caller (`f.units` units of 2
        // bytes), the block of `bytes` by `realloc`
        body.copy_within((dst_mem, dst), (src_mem, f.ptr), bytes);
        body.get(wide).ins(I::If(BlockType::Empty));
        body.get(f.units)
            .i32(UTF16_TAG)
            .ins(I::I32Or)
            .set(f.out_len);
        body.ins(I::Else);
        narrow_in_place(body, dst_mem, dst, f.units);
        self.reallocate(body, &dir.dst, (dst, bytes), 2, f.units)?;
        body.get(f.units).set(f.out_len);
        body.ins(I::End);
        body.get(dst).set(f.out_ptr);
        for local in [p, end, wide, bytes, dst] {
            body.free(local);
        }
        Ok(())
    }

    /// Shrinks the block `(ptr, size)` to `used` bytes when they differ.
    fn shrink(
        &mut self,
        body: &mut Body,
        side: &Side,
        block: (Local, Local),
        align: u32,
        used: Local,
    ) -> Result<()> {
        body.get(used)
            .get(block.1)
            .ins(I::I32Ne)
            .ins(I::If(BlockType::Empty));
        self.reallocate(body, side, block, align, used)?;
        body.ins(I::End);
        Ok(())
    }
}

/// Traps unless `units` code units, `width` bytes each in the
/// destination, fit in the maximum string length.
fn length_limit(body: &mut Body, units: Local, width: u32) {
    body.get(units)
        .i32(MAX_STRING_BYTES / width)
        .ins(I::I32GtU)
        .trap_if();
}

/// New locals `(p, end)` spanning the source `ptr`/`units`.
fn source_range(body: &mut Body, src: Decoder, ptr: Local, units: Local) -> (Local, Local) {
    let p = body.local(Flat::I32);
    let end = body.local(Flat::I32);
    body.get(ptr).set(p);
    body.get(ptr).get(units);
    if src.unit() == 2 {
        body.i32(1).ins(I::I32Shl);
    }
    body.ins(I::I32Add).set(end);
    (p, end)
}

/// Copies latin1 characters from `p` (advanced) to `d` (advanced) until
/// `end` or the first character that is not latin1. A utf8 source stops
/// at any sequence other than ASCII or a two-byte sequence led by
/// `0xC2`/`0xC3`, valid or not, as wasmtime's `utf8_to_latin1` does; the
/// rest is validated when it is encoded.
fn latin1_prefix(
    body: &mut Body,
    src: Decoder,
    (src_mem, dst_mem): (u32, u32),
    (p, end): (Local, Local),
    d: Local,
) {
    let c = body.local(Flat::I32);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(p).get(end).ins(I::I32GeU).ins(I::BrIf(1));
    match src {
        Decoder::Utf16 => {
            body.get(p).load_within(src_mem, 0, 2, Flat::I32).set(c);
            body.get(c).i32(0xff).ins(I::I32GtU).ins(I::BrIf(1));
            body.get(p).i32(2).ins(I::I32Add).set(p);
        }
        Decoder::Utf8 | Decoder::Latin1 => {
            body.get(p).load_within(src_mem, 0, 1, Flat::I32).set(c);
            body.get(c).i32(0x80).ins(I::I32GeU);
            body.ins(I::If(BlockType::Empty));
            {
                // Only 0xC2 or 0xC3, followed by a continuation byte.
                body.get(c).i32(0xC2).ins(I::I32Sub).i32(2).ins(I::I32GeU);
                body.ins(I::BrIf(2));
                body.get(p).i32(1).ins(I::I32Add).get(end).ins(I::I32GeU);
                body.ins(I::BrIf(2));
                let trail = body.local(Flat::I32);
                body.get(p).load_within(src_mem, 1, 1, Flat::I32).set(trail);
                body.get(trail)
                    .i32(0xC0)
                    .ins(I::I32And)
                    .i32(0x80)
                    .ins(I::I32Ne)
                    .ins(I::BrIf(2));
                body.get(c)
                    .i32(0x1F)
                    .ins(I::I32And)
                    .i32(6)
                    .ins(I::I32Shl)
                    .get(trail)
                    .i32(0x3F)
                    .ins(I::I32And)
                    .ins(I::I32Or)
                    .set(c);
                body.get(p).i32(1).ins(I::I32Add).set(p);
                body.free(trail);
            }
            body.ins(I::End);
            body.get(p).i32(1).ins(I::I32Add).set(p);
        }
    }
    encode(body, Encoder::Latin1, dst_mem, d, c);
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.free(c);
}

/// Widens the `count` latin1 bytes at `ptr` to utf16 units in place, last
/// first.
fn widen_in_place(body: &mut Body, memory: u32, ptr: Local, count: Local) {
    let i = body.local(Flat::I32);
    body.get(count).set(i);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(i).ins(I::I32Eqz).ins(I::BrIf(1));
    body.get(i).i32(1).ins(I::I32Sub).set(i);
    body.get(ptr).get(i).i32(1).ins(I::I32Shl).ins(I::I32Add);
    body.get(ptr)
        .get(i)
        .ins(I::I32Add)
        .load(memory, 0, 1, Flat::I32);
    body.store(memory, 0, 2, Flat::I32);
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.free(i);
}

/// Narrows the `count` utf16 units at `ptr` (all latin1) to bytes in
/// place, first first.
fn narrow_in_place(body: &mut Body, memory: u32, ptr: Local, count: Local) {
    let i = body.local(Flat::I32);
    body.i32(0).set(i);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(i).get(count).ins(I::I32Eq).ins(I::BrIf(1));
    body.get(ptr).get(i).ins(I::I32Add);
    body.get(ptr)
        .get(i)
        .i32(1)
        .ins(I::I32Shl)
        .ins(I::I32Add)
        .load(memory, 0, 1, Flat::I32);
    body.store(memory, 0, 1, Flat::I32);
    body.get(i).i32(1).ins(I::I32Add).set(i);
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.free(i);
}

fn encoding(e: StringEncoding) -> &'static str {
    match e {
        StringEncoding::Utf8 => "utf8",
        StringEncoding::Utf16 => "utf16",
        StringEncoding::CompactUtf16 => "latin1+utf16",
    }
}
