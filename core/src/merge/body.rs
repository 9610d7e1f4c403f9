//! One function body of an inner module, copied into the fused module with
//! its indices moved.
//!
//! Most instructions name no index that fusion moves (locals, control,
//! arithmetic, loads and stores of a memory 0 that stays 0). [`copy`]
//! finds their lengths from their bytes ([`plain_len`]) and copies runs of
//! them in one go; calls and global accesses get their index moved in
//! place; only the rest is parsed by wasmparser and written again by
//! wasm-encoder's re-encoder. The output is the same, byte for byte, as
//! re-encoding every instruction except those [`names_nothing`] accepts
//! (the unit tests compare both on every kind of instruction).

use crate::debug::CodeMap;
use wasm_encoder::reencode::{Error, Reencode};
use wasmparser::{BinaryReader, FunctionBody, OperatorsReader};

/// `body` with `re`'s index maps, written to `f` (emptied first: one buffer
/// serves every body, so that a body's copy does not grow a buffer of its
/// own), its locals and code without the size before them as in a
/// `wasm_encoder::Function`; where each instruction went is recorded in
/// `map` (offsets in `f`, the locals included).
/// `memory0_kept`: the instance's memory 0 is the fused module's memory 0.
/// It relies on nothing that validation shows: any bytes give a copy or
/// an error, never a panic (fusion copies the bodies while they are still
/// being validated, `validate::alongside`).
pub(super) fn copy<R: Reencode>(
    re: &mut R,
    body: &FunctionBody<'_>,
    memory0_kept: bool,
    mut map: Option<&mut CodeMap>,
    f: &mut Vec<u8>,
) -> Result<(), Error<R::Error>> {
    use wasm_encoder::Encode;
    f.clear();
    // The locals as `wasm_encoder::Function::new` writes them.
    let mut locals = body.get_locals_reader()?;
    let groups = locals.get_count();
    groups.encode(f);
    for _ in 0..groups {
        let (count, ty) = locals.read()?;
        count.encode(f);
        re.val_type(ty)?.encode(f);
    }
    let operators = body.get_operators_reader()?;
    let features = operators.get_binary_reader().features();
    let start = operators.original_position();
    let code = &body.as_bytes()[start - body.range().start..];
    // `code[run..at]` is copied but not yet written to `f`.
    let (mut at, mut run) = (0, 0);
    if let Some(map) = map.as_deref_mut() {
        map.instruction(start, f.len());
    }
    while at < code.len() {
        if let Some(len) = plain_len(&code[at..], memory0_kept) {
            at += len;
            continue;
        }
        f.extend_from_slice(&code[run..at]);
        if let Some(map) = map.as_deref_mut() {
            map.instruction(start + at, f.len());
        }
        let rest = &code[at..];
        // A call, a global access, a legacy `catch`: one index after the
        // opcode. (A legacy handler checks its enclosing frame when
        // parsed, which a reader of one instruction has not.)
        match rest[0] {
            op @ (0x10 | 0x23 | 0x24 | 0x07) => {
                let (old, len) = uleb(rest, start + at)?;
                let new = match op {
                    0x10 => re.function_index(old)?,
                    0x07 => re.tag_index(old)?,
                    _ => re.global_index(old)?,
                };
                f.push(op);
                new.encode(f);
                at += 1 + len;
            }
            // A load or store of memory 0 that moves: its memory index
            // goes between the alignment (flagged) and the offset.
            0x28..=0x3E if !memory0_kept && let Some(offset) = moved_memarg(rest) => {
                match re.memory_index(0)? {
                    0 => f.extend_from_slice(&rest[..2]),
                    memory => {
                        f.extend_from_slice(&[rest[0], rest[1] | 0x40]);
                        memory.encode(f);
                    }
                }
                f.extend_from_slice(&rest[2..2 + offset]);
                at += 2 + offset;
            }
            _ => {
                let mut reader =
                    OperatorsReader::new(BinaryReader::new_features(rest, start + at, features));
                let op = reader.read()?;
                let len = reader.original_position() - (start + at);
                match names_nothing(&rest[..len], memory0_kept) {
                    true => f.extend_from_slice(&rest[..len]),
                    false => re.instruction(op)?.encode(f),
                };
                at += len;
            }
        }
        run = at;
        if let (Some(map), true) = (map.as_deref_mut(), at < code.len()) {
            map.instruction(start + at, f.len());
        }
    }
    f.extend_from_slice(&code[run..]);
    Ok(())
}

/// The value and length of the unsigned LEB after the opcode at `rest[0]`
/// (`at` is the opcode's offset in the input, for the error).
fn uleb<E>(rest: &[u8], at: usize) -> Result<(u32, usize), Error<E>> {
    let mut reader = BinaryReader::new(&rest[1..], at + 1);
    let value = reader.read_var_u32()?;
    Ok((value, reader.original_position() - (at + 1)))
}

/// The length of the instruction starting `code` if [`names_nothing`]
/// accepts it, read from its bytes alone.
pub(super) fn plain_len(code: &[u8], memory0_kept: bool) -> Option<usize> {
    let len = match *code.first()? {
        0x00 | 0x01 | 0x05 | 0x0B | 0x0F | 0x19 | 0x1A | 0x1B | 0x45..=0xC4 => 1,
        0x02..=0x04 => match *code.get(1)? {
            0x40 | 0x7B..=0x7F => 2,
            _ => return None,
        },
        0x0C | 0x0D | 0x18 | 0x20..=0x22 => 1 + leb(code.get(1..)?)?,
        0x0E => {
            let (count, mut len) = leb_value(code.get(1..)?)?;
            len += 1;
            for _ in 0..=count {
                len += leb(code.get(len..)?)?;
            }
            len
        }
        0x41 | 0x42 => 1 + sleb_minimal(code.get(1..)?)?,
        0x43 => 5,
        0x44 => 9,
        0x28..=0x3E if memory0_kept && *code.get(1)? < 0x40 => {
            let offset = leb(code.get(2..)?)?;
            // (a padded offset is written again shorter)
            if offset > 1 && code[1 + offset] == 0 {
                return None;
            }
            2 + offset
        }
        _ => return None,
    };
    (len <= code.len()).then_some(len)
}

/// For a load or store at `code[0]` of memory 0 (no memory index after
/// its alignment) with an offset in the fewest bytes: the offset's length.
/// wasm-encoder writes a memory argument naming another memory as the
/// alignment with bit 6 set, the memory index, then the offset.
fn moved_memarg(code: &[u8]) -> Option<usize> {
    let align = *code.get(1)?;
    if align >= 0x40 {
        return None;
    }
    let offset = leb(code.get(2..)?)?;
    // (a padded offset is written again shorter)
    (offset == 1 || code[1 + offset] != 0).then_some(offset)
}

/// The length of the LEB starting `bytes`.
fn leb(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| b & 0x80 == 0).map(|i| i + 1)
}

/// The value (if it fits 32 bits) and length of the unsigned LEB starting
/// `bytes`.
pub(super) fn leb_value(bytes: &[u8]) -> Option<(u32, usize)> {
    let len = leb(bytes)?;
    let mut value = 0u64;
    for (i, b) in bytes[..len.min(5)].iter().enumerate() {
        value |= u64::from(b & 0x7F) << (7 * i);
    }
    Some((u32::try_from(value).ok()?, len))
}

/// The length of the signed LEB starting `bytes` if it is written in the
/// fewest bytes (as wasm-encoder writes it), else `None`.
fn sleb_minimal(bytes: &[u8]) -> Option<usize> {
    let len = leb(bytes)?;
    if len > 1 {
        let (last, before) = (bytes[len - 1], bytes[len - 2]);
        // A last byte that only repeats the sign of the one before.
        let sign = before & 0x40 != 0;
        if (last == 0 && !sign) || (last == 0x7F && sign) {
            return None;
        }
    }
    Some(len)
}

/// Whether the encoded `instruction` names no index that fusion moves
/// (function, global, table, memory, type, tag, element or data), so its
/// bytes can be copied as they are: control without a type index, locals,
/// constants written in the fewest bytes, the numeric operators
/// (0x45..=0xC4), and loads and stores of memory 0 when that stays memory
/// 0 (`memory0_kept`; the first byte of the alignment field below 0x40: no
/// memory index follows). Anything else is re-encoded. Copied or
/// re-encoded, an instruction's bytes come out the same, unless its input
/// encoding was padded.
pub(super) fn names_nothing(instruction: &[u8], memory0_kept: bool) -> bool {
    match instruction {
        // unreachable, nop, else, end, br, br_if, br_table, return,
        // delegate, catch_all, drop, select
        [
            0x00 | 0x01 | 0x05 | 0x0B | 0x0C | 0x0D | 0x0E | 0x0F | 0x18 | 0x19 | 0x1A | 0x1B,
            ..,
        ] => true,
        // block, loop, if typed empty or by one value type (not by a
        // type index)
        [0x02..=0x04, 0x40 | 0x7B..=0x7F, ..] => true,
        // integer constants in the fewest bytes (linkers often pad them:
        // re-encoding shortens those)
        [0x41 | 0x42, value @ ..] => sleb_minimal(value) == Some(value.len()),
        // local.get, local.set, local.tee; the float constants; the
        // numeric operators
        [0x20..=0x22 | 0x43..=0xC4, ..] => true,
        // loads and stores of memory 0, with an offset encoded in the
        // fewest bytes (a padded one, as linkers leave them, is written
        // again shorter, as re-encoding writes it)
        [0x28..=0x3E, align, offset @ ..] => {
            memory0_kept && *align < 0x40 && (offset.len() < 2 || offset.last() != Some(&0))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{copy, names_nothing};
    use wasm_encoder::reencode::{Error, Reencode};

    /// Every kind of instruction fusion moves an index of, and the common
    /// ones it does not.
    const MODULE: &str = r#"(module
              (type $t (func (param i32) (result i32)))
              (import "m" "f" (func $imp (param i32) (result i32)))
              (memory $m0 1) (memory $m1 1)
              (table $tab 1 funcref)
              (global $g (mut i32) (i32.const 0))
              (tag $e (param i32))
              (data $d "x") (elem $el func $f)
              (func $f (param $x i32) (result i32) (local $y i64) (local $v v128)
                (block $b (result i32)
                  (loop $l
                    (br_if $l (i32.eqz (local.get $x)))
                    (br_table $b $b (i32.const 0) (i32.const 1)))
                  (if (result i32) (local.get $x) (then (i32.const 1)) (else (i32.const 2)))
                  (block (type $t) (param i32) (result i32) (i32.add (i32.const 1)))
                  (drop (select (i32.const 1) (i32.const 2) (local.get $x)))
                  (drop (select (result i32) (i32.const 1) (i32.const 2) (local.get $x)))
                  (local.set $y (i64.extend_i32_u (local.tee $x (i32.const 7))))
                  (drop (f64.add (f64.const 1.5) (f64.convert_i64_s (local.get $y))))
                  (drop (i32.extend8_s (i32.wrap_i64 (local.get $y))))
                  (drop (i32.load $m0 offset=4 (i32.const 0)))
                  (drop (i64.load8_u $m1 (i32.const 0)))
                  (i32.store16 $m0 (i32.const 2) (i32.const 3))
                  (i32.store $m1 offset=8 (i32.const 2) (i32.const 3))
                  (drop (memory.size $m0))
                  (drop (memory.grow $m1 (i32.const 0)))
                  (memory.fill $m0 (i32.const 0) (i32.const 0) (i32.const 0))
                  (memory.init $m1 $d (i32.const 0) (i32.const 0) (i32.const 0))
                  (data.drop $d)
                  (drop (call $imp (global.get $g)))
                  (global.set $g (call_indirect $tab (type $t) (i32.const 0) (i32.const 0)))
                  (drop (table.get $tab (i32.const 0)))
                  (drop (ref.func $f))
                  (elem.drop $el)
                  (drop (i32.trunc_sat_f32_s (f32.const 1)))
                  (local.set $v (v128.load $m1 (i32.const 0)))
                  (drop (i32x4.extract_lane 0 (local.get $v)))
                  (try_table (catch $e 0) (nop))
                  (return (i32.const 0))
                  (unreachable)))
              (export "f" (func $f)))"#;

    /// Moves every index by one, memory 0 to `M0`.
    struct Shift<const M0: u32>;

    impl<const M0: u32> Reencode for Shift<M0> {
        type Error = std::convert::Infallible;
        fn function_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
        fn table_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
        fn memory_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(if i == 0 { M0 } else { i + 1 })
        }
        fn global_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
        fn tag_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
        fn type_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
        fn element_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
        fn data_index(&mut self, i: u32) -> Result<u32, Error<Self::Error>> {
            Ok(i + 1)
        }
    }

    /// An instruction copied as it is must be one that moving every index
    /// leaves unchanged; and the common ones are copied.
    #[test]
    fn instructions_copied_as_they_are_name_no_index() {
        let wasm = wat::parse_str(MODULE).expect("the test module assembles");
        let mut copied = 0;
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            let wasmparser::Payload::CodeSectionEntry(body) = payload.expect("parses") else {
                continue;
            };
            each_instruction(&body, |op, raw| {
                if names_nothing(raw, true) {
                    let mut f = wasm_encoder::Function::new([]);
                    f.instruction(&Shift::<0>.instruction(op.clone()).expect("re-encodes"));
                    let mut moved = Vec::new();
                    wasm_encoder::Encode::encode(&f, &mut moved);
                    // (a one-byte size, then the instruction)
                    assert_eq!(&moved[2..], raw, "{op:?} is copied but names an index");
                    copied += 1;
                }
                // memory 0 moved: no load or store is copied
                if matches!(raw, [0x28..=0x3E, ..]) {
                    assert!(!names_nothing(raw, false), "{op:?}");
                }
            });
        }
        assert!(copied >= 40, "only {copied} instructions copied");
    }

    /// Calls `f` with each instruction of `body` and its bytes.
    fn each_instruction<'a>(
        body: &wasmparser::FunctionBody<'a>,
        mut f: impl FnMut(wasmparser::Operator<'a>, &'a [u8]),
    ) {
        let (bytes, base) = (body.as_bytes(), body.range().start);
        let mut reader = body.get_operators_reader().expect("operators");
        while !reader.eof() {
            let at = reader.original_position();
            let op = reader.read().expect("an operator");
            f(op, &bytes[at - base..reader.original_position() - base]);
        }
    }

    /// What [`copy`] must write: every instruction re-encoded but those
    /// [`names_nothing`] accepts, copied.
    fn one_by_one<R: Reencode>(
        re: &mut R,
        body: &wasmparser::FunctionBody<'_>,
        memory0_kept: bool,
    ) -> Vec<u8>
    where
        R::Error: std::fmt::Debug,
    {
        let mut f = re.new_function_with_parsed_locals(body).expect("locals");
        each_instruction(body, |op, raw| {
            match names_nothing(raw, memory0_kept) {
                true => f.raw(raw.iter().copied()),
                false => f.instruction(&re.instruction(op).expect("re-encodes")),
            };
        });
        let mut out = Vec::new();
        wasm_encoder::Encode::encode(&f, &mut out);
        out
    }

    /// Every body of `wasm` copied by [`copy`] as [`one_by_one`] writes it,
    /// with memory 0 kept, moved to memory 1, and moved to a memory whose
    /// index takes two bytes; how many bodies.
    fn same_as_one_by_one(wasm: &[u8]) -> usize {
        let mut bodies = 0;
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            let wasmparser::Payload::CodeSectionEntry(body) = payload.expect("parses") else {
                continue;
            };
            fn check<R: Reencode>(mut re: R, body: &wasmparser::FunctionBody<'_>, kept: bool)
            where
                R::Error: std::fmt::Debug,
            {
                let mut f = vec![0xAA; 3];
                copy(&mut re, body, kept, None, &mut f).expect("copies");
                let mut out = Vec::new();
                wasm_encoder::Encode::encode(&f[..], &mut out);
                assert_eq!(
                    out,
                    one_by_one(&mut re, body, kept),
                    "memory 0 kept: {kept}"
                );
            }
            check(Shift::<0>, &body, true);
            check(Shift::<1>, &body, false);
            check(Shift::<200>, &body, false);
            bodies += 1;
        }
        bodies
    }

    #[test]
    fn copying_writes_what_reencoding_one_by_one_writes() {
        let wasm = wat::parse_str(MODULE).expect("the test module assembles");
        assert_eq!(same_as_one_by_one(&wasm), 1);
        // legacy exception handling: handlers check their frame when parsed
        let legacy = wat::parse_str(
            r#"(module
              (tag $e (param i32)) (tag $f)
              (func (param i32) (result i32)
                try (result i32)
                  local.get 0
                  throw $e
                catch $e
                catch $f
                  i32.const 2
                catch_all
                  i32.const 3
                end)
              (func
                try
                  try
                    throw $f
                  delegate 0
                catch_all
                end))"#,
        )
        .expect("the legacy module assembles");
        assert_eq!(same_as_one_by_one(&legacy), 2);
    }

    /// Linkers pad LEBs so they can patch them: a padded constant, offset
    /// or index is written again in the fewest bytes, as re-encoding
    /// writes it, and one not padded is copied.
    #[test]
    fn padded_immediates_are_written_again() {
        let mut module = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], []);
        module.section(&types);
        let mut funcs = wasm_encoder::FunctionSection::new();
        funcs.function(0);
        module.section(&funcs);
        let mut memories = wasm_encoder::MemorySection::new();
        memories.memory(wasm_encoder::MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        module.section(&memories);
        let mut globals = wasm_encoder::GlobalSection::new();
        globals.global(
            wasm_encoder::GlobalType {
                val_type: wasm_encoder::ValType::I32,
                mutable: true,
                shared: false,
            },
            &wasm_encoder::ConstExpr::i32_const(0),
        );
        module.section(&globals);
        let mut f = wasm_encoder::Function::new([(1, wasm_encoder::ValType::I64)]);
        f.raw([
            0x41, 0x80, 0x80, 0x80, 0x00, // i32.const 0, padded
            0x41, 0xFF, 0x7F, // i32.const -1, padded
            0x41, 0x80, 0x7F, // i32.const -128, not padded
            0x6A, // i32.add
            0x28, 0x02, 0x84, 0x80, 0x80, 0x80, 0x00, // i32.load offset=4, padded
            0x28, 0x02, 0x80, 0x01, // i32.load offset=128, not padded
            0x6A, // i32.add
            0x24, 0x80, 0x80, 0x00, // global.set 0, padded
            0x42, 0xC0, 0xBB, 0x78, // i64.const -123456, not padded
            0x42, 0xFF, 0xFF, 0x7F, // i64.const -1, padded
            0x7C, // i64.add
            0x21, 0x80, 0x00, // local.set 0, padded (copied: locals do not move)
            0x10, 0x80, 0x80, 0x00, // call 0, padded
            0x0B,
        ]);
        let mut code = wasm_encoder::CodeSection::new();
        code.function(&f);
        module.section(&code);
        let wasm = module.finish();
        wasmparser::Validator::new()
            .validate_all(&wasm)
            .expect("the padded module validates");
        assert_eq!(same_as_one_by_one(&wasm), 1);
    }
}
