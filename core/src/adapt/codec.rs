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
/// `each` leaves the loop (with `p` past that code point). Without `each`,
/// utf8 is only validated ([`validate_utf8`]), and utf16 skips four units
/// at a time where none is a surrogate ([`skip_plain_utf16`]).
pub(super) fn decode_range(
    body: &mut Body,
    src: Decoder,
    memory: u32,
    (p, end): (Local, Local),
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
    body.get(p).get(end).ins(I::I32Eq).ins(I::BrIf(1));
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
fn validate_utf8(body: &mut Body, memory: u32, (p, end): (Local, Local)) {
    let (b0, x) = (body.local(Flat::I32), body.local(Flat::I32));
    let word = body.local(Flat::I64);
    body.ins(I::Block(BlockType::Empty))
        .ins(I::Loop(BlockType::Empty));
    body.get(p)
        .i32(8)
        .ins(I::I32Add)
        .get(end)
        .ins(I::I32LeU)
        .ins(I::If(BlockType::Empty));
    // 8 bytes: all ASCII, or skip those before the first that is not
    body.get(p)
        .load(memory, 0, 8, Flat::I64)
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
        body.get(p).load(memory, 8 * w, 8, Flat::I64);
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
    body.get(p).get(end).ins(I::I32Eq).ins(I::BrIf(2));
    body.get(p)
        .load(memory, 0, 1, Flat::I32)
        .i32(0x80)
        .ins(I::I32LtU)
        .ins(I::If(BlockType::Empty));
    body.get(p).i32(1).ins(I::I32Add).set(p).ins(I::Br(2));
    body.ins(I::End);
    body.ins(I::End);
    // `p` is at a byte that is not ASCII: a lead byte and its
    // continuation bytes (10xxxxxx), all before `end`
    body.get(p).load(memory, 0, 1, Flat::I32).set(b0);
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
        body.get(p).load(memory, 1, 1, Flat::I32).set(x);
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
        second(body);
        body.get(p)
            .load(memory, offset, size, Flat::I32)
            .i32(marks | (marks >> 1))
            .ins(I::I32And)
            .i32(marks)
            .ins(I::I32Ne);
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
    body.ins(I::Br(0)).ins(I::End).ins(I::End);
    body.free(b0);
    body.free(x);
    body.free(word);
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
        .load(memory, 0, 8, Flat::I64)
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, Instance, Module, Store, TypedFunc};

    /// A module exporting its memory and `validate(ptr, len)`, the
    /// generated utf8 validation of those bytes.
    fn validator() -> Vec<u8> {
        module_of(Decoder::Utf8)
    }

    /// A module exporting its memory and `validate(ptr, len)`, the
    /// validation by `decoder` of `len` code units at `ptr`.
    fn module_of(decoder: Decoder) -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, ExportKind, ExportSection, FunctionSection, MemorySection, MemoryType,
            Module, TypeSection, ValType,
        };
        let (mut body, params) = Body::new(&[Flat::I32, Flat::I32]);
        let end = body.local(Flat::I32);
        match decoder.unit() {
            2 => body
                .get(params[0])
                .get(params[1])
                .i32(1)
                .ins(I::I32Shl)
                .ins(I::I32Add)
                .set(end),
            _ => body.get(params[0]).get(params[1]).ins(I::I32Add).set(end),
        };
        decode_range(&mut body, decoder, 0, (params[0], end), None);
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32, ValType::I32], []);
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
        exports.export("validate", ExportKind::Func, 0);
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
        fn new() -> Validator {
            let engine = Engine::default();
            let module = Module::new(&engine, validator()).expect("the validator compiles");
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
        let mut v = Validator::new();
        // every sequence of one and two bytes, after ASCII runs of
        // every length the fast paths take
        for prefix in [0, 9, 33] {
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
        let edges = [0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0];
        for b0 in 0xC0..=0xFFu8 {
            for b1 in edges {
                for b2 in edges {
                    for b3 in edges {
                        for tail in [&b""[..], b"xyz"] {
                            let mut bytes = vec![b0, b1, b2, b3];
                            bytes.extend_from_slice(tail);
                            v.check(&bytes);
                            for cut in [2, 3] {
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
}
