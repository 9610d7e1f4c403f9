//! meld's SIMD utf8 validation (`--simd`, `Options::simd`) compared with
//! wasmtime on a hand-written pair (`simd_strings.wat-template`): strings
//! with a character of each length, and each kind of invalid utf8, at
//! every place in and across the 16-byte blocks the validation takes and
//! in the tail after them, passed as arguments and returned as results.
//! Fused with SIMD (both memory strategies), the output must trap exactly
//! where wasmtime does and hand over the same bytes; `auto` must use SIMD
//! only when the input does, `off` never.

use meld_core::{MemoryStrategy, Options, OutputKind, Simd, fuse};
use meld_tests::harness::same_script;
use wasmtime::component::Val;

const TEMPLATE: &str = include_str!("simd_strings.wat-template");

/// Where the strings start in both components' memories.
const DATA_AT: usize = 0x2000;

/// The strings: around the ends of the first two blocks, after a run of
/// 64 bytes of ASCII and of two (and at the start), a character of two,
/// three and four bytes: valid, cut short by a little ASCII, cut short
/// by the string's end, left open before a run of more than 64 bytes of
/// ASCII, and followed by a continuation byte too many; each kind of
/// invalid sequence; and longer mixed text.
fn strings() -> Vec<Vec<u8>> {
    let places = [
        0, 1, 12, 13, 14, 15, 16, 17, 28, 29, 30, 31, 32, 33, 47, 63, 64, 65, 79, 80, 127, 128,
    ];
    let mut out = Vec::new();
    let around = |at: usize, bytes: &[u8], tail: usize| {
        let mut s = vec![b'a'; at];
        s.extend_from_slice(bytes);
        s.extend(std::iter::repeat_n(b'z', tail));
        s
    };
    for ch in ['é', '東', '😀'] {
        let mut buf = [0; 4];
        let bytes = ch.encode_utf8(&mut buf).as_bytes().to_vec();
        let n = bytes.len();
        for at in places {
            out.push(around(at, &bytes, 20));
            let mut short = bytes.clone();
            short[n - 1] = b'x';
            out.push(around(at, &short, 20));
            out.push(around(at, &bytes[..n - 1], 0));
            out.push(around(at, &bytes[..n - 1], 70));
            let mut long = bytes.clone();
            long.push(0x80);
            out.push(around(at, &long, 20));
        }
    }
    let invalid: [&[u8]; 6] = [
        b"\xed\xa0\x80",     // a surrogate
        b"\xc0\x80",         // overlong, two bytes
        b"\xe0\x9f\xbf",     // overlong, three bytes
        b"\xf0\x8f\xbf\xbf", // overlong, four bytes
        b"\xf4\x90\x80\x80", // above U+10FFFF
        b"\xf5\x80\x80\x80", // a lead byte that never is one
    ];
    for bytes in invalid {
        for at in places {
            out.push(around(at, bytes, 20));
        }
    }
    let texts = [
        "Größe 東京 😀 naïve — 日本語 ✓ ü 🎵 é; Größe 東京 😀 naïve — 日本語 ",
        "The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog",
        "ёж в чаще; а я в ёлках, ёж в чаще; а я в ёлках",
    ];
    for text in texts {
        out.push(text.as_bytes().to_vec());
        for at in [15, 16, 31, 40] {
            let mut bytes = text.as_bytes().to_vec();
            bytes[at] = 0xBF;
            out.push(bytes);
        }
    }
    out
}

/// The composition, with the provider declaring a `v128` local when
/// `simd_input`.
fn source(simd_input: bool) -> String {
    let strings = strings();
    let mut data = String::new();
    let mut table = Vec::new();
    let mut at = DATA_AT;
    for s in &strings {
        let escaped: String = s.iter().map(|b| format!("\\{b:02x}")).collect();
        data.push_str(&format!("(data (i32.const {at}) \"{escaped}\")\n"));
        table.extend((at as u32).to_le_bytes());
        table.extend((s.len() as u32).to_le_bytes());
        at += s.len();
    }
    assert!(at < 0x1_0000, "the strings reach the heap");
    assert!(
        0x800 + table.len() <= DATA_AT,
        "the table reaches the strings"
    );
    let table: String = table.iter().map(|b| format!("\\{b:02x}")).collect();
    TEMPLATE
        .replace(";;DATA", &data)
        .replace(";;TABLE", &format!("(data (i32.const 0x800) \"{table}\")"))
        .replace(";;CASES", &strings.len().to_string())
        .replace(
            ";;SIMD",
            if simd_input {
                "(func (export \"vector\") (result i32) (local v128) (i32.const 0))"
            } else {
                ""
            },
        )
}

/// Every string passed and fetched.
fn calls() -> Vec<(&'static str, Vec<Val>)> {
    let n = strings().len() as u32;
    (0..n)
        .flat_map(|i| [("pass", vec![Val::U32(i)]), ("fetch", vec![Val::U32(i)])])
        .collect()
}

fn options(output: OutputKind, memory: MemoryStrategy, simd: Simd) -> Options {
    Options {
        output,
        memory,
        simd,
        ..Options::default()
    }
}

/// How many `v128.load`s the fused core module's code has.
fn vector_loads(core: &[u8]) -> usize {
    let mut count = 0;
    for payload in wasmparser::Parser::new(0).parse_all(core) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.expect("parses") {
            let mut ops = body.get_operators_reader().expect("body");
            while !ops.eof() {
                if let wasmparser::Operator::V128Load { .. } = ops.read().expect("operator") {
                    count += 1;
                }
            }
        }
    }
    count
}

fn needs_simd(wasm: &[u8]) -> bool {
    let features = wasmparser::WasmFeatures::default() - wasmparser::WasmFeatures::SIMD;
    wasmparser::Validator::new_with_features(features)
        .validate_all(wasm)
        .is_err()
}

#[test]
fn simd_validation_traps_where_wasmtime_traps() {
    let original = wat::parse_str(source(false)).expect("the WAT parses");
    assert!(!needs_simd(&original));
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        println!("{memory:?}");
        let options = options(OutputKind::Component, memory, Simd::On);
        let fused = fuse(&[&original], &options).unwrap_or_else(|e| panic!("{e}"));
        assert!(needs_simd(&fused.wasm), "{memory:?}: no SIMD in the output");
        let outcomes = same_script(&original, &fused.wasm, &calls());
        // the fixture tests what it claims: a string traps (both ways)
        // exactly when it is not utf8
        for (i, s) in strings().iter().enumerate() {
            let trapped = outcomes[2 * i..2 * i + 2].iter().map(|o| o == "trap");
            let valid = std::str::from_utf8(s).is_ok();
            for (way, trapped) in ["pass", "fetch"].into_iter().zip(trapped) {
                assert_eq!(trapped, !valid, "string {i} ({way}): {s:02x?}");
            }
        }
    }
}

#[test]
fn auto_uses_simd_only_where_the_input_does() {
    for simd_input in [false, true] {
        let original = wat::parse_str(source(simd_input)).expect("the WAT parses");
        assert_eq!(needs_simd(&original), simd_input);
        let core = |simd| {
            let options = options(OutputKind::Core, MemoryStrategy::Multi, simd);
            fuse(&[&original], &options)
                .unwrap_or_else(|e| panic!("{e}"))
                .wasm
        };
        let auto = core(Simd::Auto);
        // the two string copies, one each way, validate with SIMD (five
        // loads each: four blocks of ASCII at once, or one)
        assert_eq!(vector_loads(&auto), if simd_input { 10 } else { 0 });
        assert_eq!(needs_simd(&auto), simd_input);
        assert_eq!(vector_loads(&core(Simd::Off)), 0);
        assert_eq!(vector_loads(&core(Simd::On)), 10);
        if simd_input {
            let options = options(OutputKind::Component, MemoryStrategy::Multi, Simd::Auto);
            let fused = fuse(&[&original], &options).unwrap_or_else(|e| panic!("{e}"));
            same_script(&original, &fused.wasm, &calls());
        }
    }
}
