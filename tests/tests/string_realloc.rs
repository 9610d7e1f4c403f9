//! Strings cross a boundary with the `realloc` calls wasmtime makes:
//! `string_realloc.wat-template` (filled in below) passes strings between two components for all nine
//! pairs of encodings (utf8, utf16, latin1+utf16), as parameters and as
//! results, with a `realloc` that logs its arguments and can misbehave on
//! its n-th call (a misaligned pointer, an out-of-bounds one, or a trap of
//! its own). Each case runs on a fresh instance of the original and of the
//! fused output: the answer, both components' logs (every realloc call and
//! every string received, hashed) and whether and where it trapped must
//! be the same.

use meld_core::{MemoryStrategy, Options, fuse};
use wasmtime::component::{Component, InstancePre, Linker, Val};
use wasmtime::{Config, Engine, OptLevel, Store, Trap};

const TEMPLATE: &str = include_str!("string_realloc.wat-template");
const BASE: &str = include_str!("string_realloc_base.wat-template");

const UTF16_TAG: u32 = 1 << 31;
/// Where the case strings start; tables are at `0x1000 + 0x200 * encoding`.
const DATA_START: u32 = 0x1800;
const DATA_END: u32 = 0x4000;
/// One page: `PAGE - 2` is two bytes before the end of memory.
const PAGE: u32 = 0x1_0000;

/// Valid strings, each held in all three encodings (latin1+utf16 as latin1
/// when it can be).
fn texts() -> Vec<String> {
    let mut texts: Vec<String> = [
        "",
        "hello",
        "héllo wörld",
        "h€llo",
        "a😀b",
        "é",
        "ÿÿÿÿ",
        "abcdefghij\u{ff}\u{100}\u{10ffff}xyz",
        "ñandú → 🦆",
        "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
        "€",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    texts.push("ascii only ".repeat(12));
    texts.push("latin1 ¡ñ¿ ".repeat(10));
    texts
}

/// One string as an inner component holds it: its bytes and the length
/// word (code units, tagged for utf16 in latin1+utf16), or a given
/// pointer instead of the bytes.
#[derive(Clone)]
enum Held {
    Bytes(Vec<u8>, u32),
    At(u32, u32),
}

fn utf16(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

/// Every case of encoding `encoding` (0 utf8, 1 utf16, 2 latin1+utf16).
fn cases(encoding: usize) -> Vec<Held> {
    let mut cases = Vec::new();
    for text in texts() {
        let units: Vec<u16> = text.encode_utf16().collect();
        cases.push(match encoding {
            0 => Held::Bytes(text.as_bytes().to_vec(), text.len() as u32),
            1 => Held::Bytes(utf16(&units), units.len() as u32),
            _ if text.chars().all(|c| u32::from(c) < 0x100) => {
                let latin1 = text.chars().map(|c| u32::from(c) as u8).collect();
                Held::Bytes(latin1, units.len() as u32)
            }
            _ => Held::Bytes(utf16(&units), units.len() as u32 | UTF16_TAG),
        });
    }
    let bytes = |b: &[u8]| Held::Bytes(b.to_vec(), b.len() as u32);
    let units = |u: &[u16], tag: u32| Held::Bytes(utf16(u), u.len() as u32 | tag);
    match encoding {
        0 => cases.extend([
            bytes(b"\xff"),
            bytes(b"ab\xc3"),
            bytes(b"\xc3("),
            bytes(
                "é".as_bytes()
                    .iter()
                    .chain(b"\xc3(")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
            ),
            bytes(b"\xed\xa0\x80"),
            bytes(
                "abc€"
                    .as_bytes()
                    .iter()
                    .chain(b"\xff")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
            ),
            bytes(b"\xc0\x80"),
            bytes(b"abc\xf4\x90\x80\x80"),
            bytes(
                "é€"
                    .as_bytes()
                    .iter()
                    .chain(b"\x80")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
            ),
            Held::At(PAGE - 2, 4),
        ]),
        1 => cases.extend([
            units(&[0xD800], 0),
            units(&[0x61, 0xDC00], 0),
            units(&[0xE9, 0x20AC, 0xD800], 0),
            units(&[0x61, 0xE9, 0xDC00], 0),
            units(&[0xD800, 0x61], 0),
            Held::At(PAGE - 2, 2),
            Held::At(0x1801, 1),
        ]),
        _ => cases.extend([
            units(&"héllo".encode_utf16().collect::<Vec<_>>(), UTF16_TAG),
            units(&[], UTF16_TAG),
            units(&[0x61, 0x62, 0x63], UTF16_TAG),
            units(&[0xE9, 0xD800], UTF16_TAG),
            units(&[0xDC00], UTF16_TAG),
            units(&[0x20AC, 0xFF, 0xDBFF, 0xDFFF], UTF16_TAG),
            Held::At(0x1801, 3),
            Held::At(PAGE - 2, 4),
            Held::At(PAGE - 2, 2 | UTF16_TAG),
        ]),
    }
    cases
}

/// The data segments: the strings, then a (ptr, len) table per encoding.
fn data() -> String {
    let mut out = String::new();
    let mut at = DATA_START;
    for encoding in 0..3 {
        let mut table = Vec::new();
        for case in cases(encoding) {
            let (ptr, len) = match case {
                Held::At(ptr, len) => (ptr, len),
                Held::Bytes(bytes, len) => {
                    let ptr = at;
                    let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
                    out.push_str(&format!("(data (i32.const {ptr}) \"{escaped}\")"));
                    out.push('\n');
                    at = (at + bytes.len() as u32 + 1) & !1;
                    (ptr, len)
                }
            };
            table.extend(ptr.to_le_bytes().into_iter().chain(len.to_le_bytes()));
        }
        assert!(table.len() <= 0x200, "too many cases");
        let escaped: String = table.iter().map(|b| format!("\\{b:02x}")).collect();
        out.push_str(&format!(
            "(data (i32.const {}) \"{escaped}\")",
            0x1000 + 0x200 * encoding
        ));
        out.push('\n');
    }
    assert!(at <= DATA_END, "the strings overlap the log");
    out
}

const ENCODINGS: [&str; 3] = ["utf8", "utf16", "latin1"];
const CANON: [&str; 3] = [
    "",
    " string-encoding=utf16",
    " string-encoding=latin1+utf16",
];

/// The composed component: the template with the base module, data and
/// the consumer's nine lowerings of each provider function filled in.
fn source() -> String {
    let mut lowerings = String::new();
    let mut imports = String::new();
    let mut send = String::new();
    let mut fetch = String::new();
    let mut api = String::new();
    for (consumer, canon) in CANON.iter().enumerate() {
        for (provider, name) in ENCODINGS.iter().enumerate() {
            let pair = 3 * consumer + provider;
            for kind in ["take", "give"] {
                lowerings.push_str(&format!(
                    "    (core func ${kind}-{pair} (canon lower (func ${kind}-{name}) \
                     (memory $memory) (realloc $realloc){canon}))"
                ));
                lowerings.push('\n');
                api.push_str(&format!(
                    "        (export \"{kind}-{pair}\" (func ${kind}-{pair}))"
                ));
                api.push('\n');
            }
            imports.push_str(&format!("      (import \"api\" \"take-{pair}\" (func $take-{pair} (param i32 i32) (result i32)))\n      \
                 (import \"api\" \"give-{pair}\" (func $give-{pair} (param i32 i32)))"));
            imports.push('\n');
            send.push_str(&format!("        (if (i32.eq (local.get $pair) (i32.const {pair})) (then (return \
                 (call $take-{pair} (i32.load (local.get $at)) (i32.load offset=4 (local.get $at))))))"));
            send.push('\n');
            fetch.push_str(&format!(
                "        (if (i32.eq (local.get $pair) (i32.const {pair})) (then \
                 (call $give-{pair} (local.get $case) (i32.const 0x40))))"
            ));
            fetch.push('\n');
        }
    }
    let base = BASE.replace(";;DATA", &data());
    let indented: String = base.lines().map(|l| format!("    {l}\n")).collect();
    TEMPLATE
        .replace(";;BASE", indented.trim())
        .replace(";;LOWERINGS", lowerings.trim())
        .replace(";;IMPORTS", imports.trim())
        .replace(";;SEND", send.trim())
        .replace(";;FETCH", fetch.trim())
        .replace(";;API", api.trim())
}

/// Which way a string goes: the consumer's `send` (a parameter, allocated
/// by the provider) or `fetch` (a result, allocated by the consumer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Send,
    Fetch,
}

/// One call: the way, the pair of encodings, the case, and which realloc
/// call of the allocating component misbehaves how (0: none).
#[derive(Debug, Clone, Copy)]
struct Job {
    way: Way,
    pair: u32,
    case: u32,
    fault_at: u32,
    fault: u32,
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Returned(u32),
    /// Trapped in the misbehaving realloc itself.
    TrappedInRealloc,
    /// Trapped anywhere else (an adapter's check).
    Trapped,
}

/// The outcome and, after a return, both components' logs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observed {
    outcome: Outcome,
    consumer_log: Vec<u32>,
    provider_log: Vec<u32>,
}

fn engine() -> Engine {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .wasm_multi_memory(true)
        .cranelift_opt_level(OptLevel::None);
    Engine::new(&config).expect("an engine")
}

fn prepare(engine: &Engine, wasm: &[u8]) -> InstancePre<()> {
    let component = Component::new(engine, wasm).expect("compiles");
    Linker::new(engine)
        .instantiate_pre(&component)
        .expect("needs no imports")
}

fn call(
    store: &mut Store<()>,
    func: wasmtime::component::Func,
    args: &[u32],
    results: usize,
) -> Result<Vec<Val>, Outcome> {
    let args: Vec<Val> = args.iter().map(|a| Val::U32(*a)).collect();
    let mut results = vec![Val::Bool(false); results];
    match func.call(&mut *store, &args, &mut results) {
        Ok(()) => Ok(results),
        Err(e) if e.downcast_ref::<Trap>() == Some(&Trap::IntegerDivisionByZero) => {
            Err(Outcome::TrappedInRealloc)
        }
        Err(_) => Err(Outcome::Trapped),
    }
}

fn log(store: &mut Store<()>, instance: &wasmtime::component::Instance, name: &str) -> Vec<u32> {
    let func = instance.get_func(&mut *store, name).expect(name);
    match call(store, func, &[], 1)
        .expect("the log is readable")
        .as_slice()
    {
        [Val::List(words)] => words
            .iter()
            .map(|w| match w {
                Val::U32(w) => *w,
                other => panic!("{other:?} in the log"),
            })
            .collect(),
        other => panic!("{other:?} from {name}"),
    }
}

fn run(pre: &InstancePre<()>, job: Job) -> Observed {
    let mut store = Store::new(pre.engine(), ());
    let instance = pre.instantiate(&mut store).expect("instantiates");
    if job.fault_at > 0 {
        let name = match job.way {
            Way::Send => "provider-set-fault",
            Way::Fetch => "consumer-set-fault",
        };
        let func = instance.get_func(&mut store, name).expect(name);
        call(&mut store, func, &[job.fault_at, job.fault], 0).expect("sets the fault");
    }
    let name = match job.way {
        Way::Send => "send",
        Way::Fetch => "fetch",
    };
    let func = instance.get_func(&mut store, name).expect(name);
    match call(&mut store, func, &[job.pair, job.case], 1) {
        Ok(results) => {
            let outcome = match results.as_slice() {
                [Val::U32(hash)] => Outcome::Returned(*hash),
                other => panic!("{other:?} from {name}"),
            };
            Observed {
                outcome,
                consumer_log: log(&mut store, &instance, "consumer-log"),
                provider_log: log(&mut store, &instance, "provider-log"),
            }
        }
        Err(outcome) => Observed {
            outcome,
            consumer_log: Vec::new(),
            provider_log: Vec::new(),
        },
    }
}

/// Every job: both ways, every pair, every case of the sending side's
/// encoding, without a fault and with each kind of fault on each of the
/// first three realloc calls (wasmtime makes at most three per string).
fn jobs() -> Vec<Job> {
    let mut jobs = Vec::new();
    for way in [Way::Send, Way::Fetch] {
        for pair in 0..9u32 {
            let source = match way {
                Way::Send => pair / 3,
                Way::Fetch => pair % 3,
            };
            for case in 0..cases(source as usize).len() as u32 {
                let job = Job {
                    way,
                    pair,
                    case,
                    fault_at: 0,
                    fault: 0,
                };
                jobs.push(job);
                for fault_at in 1..=3 {
                    for fault in 1..=3 {
                        jobs.push(Job {
                            fault_at,
                            fault,
                            ..job
                        });
                    }
                }
            }
        }
    }
    jobs
}

/// What the comparison saw, for the assertions about coverage.
#[derive(Debug, Default)]
struct Tally {
    calls: usize,
    returned: usize,
    trapped_in_realloc: usize,
    trapped: usize,
    /// Realloc calls logged by returning calls, and how many of them
    /// resized a block (a non-zero old pointer).
    reallocs: usize,
    resizes: usize,
}

fn compare(original: &[u8], fused: &[u8]) -> Tally {
    let engine = engine();
    let (original, fused) = (prepare(&engine, original), prepare(&engine, fused));
    let mut tally = Tally::default();
    let mut mismatches = Vec::new();
    for job in jobs() {
        let expected = run(&original, job);
        let actual = run(&fused, job);
        if expected != actual {
            mismatches.push(format!(
                "{job:?}\n  original: {expected:?}\n  fused:    {actual:?}"
            ));
        }
        tally.calls += 1;
        match expected.outcome {
            Outcome::Returned(_) => tally.returned += 1,
            Outcome::TrappedInRealloc => tally.trapped_in_realloc += 1,
            Outcome::Trapped => tally.trapped += 1,
        }
        for entry in expected
            .consumer_log
            .chunks(4)
            .chain(expected.provider_log.chunks(4))
        {
            if entry[0] != u32::MAX {
                tally.reallocs += 1;
                tally.resizes += usize::from(entry[0] != 0);
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} calls differ:\n{}",
        mismatches.len(),
        tally.calls,
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{tally:?}");
    tally
}

fn check(memory: MemoryStrategy) {
    let original = wat::parse_str(source()).expect("the WAT parses");
    let options = Options {
        memory,
        ..Options::default()
    };
    let fused = fuse(&[&original], &options).unwrap_or_else(|e| panic!("{e}"));
    let tally = compare(&original, &fused.wasm);
    assert!(
        tally.returned > 0 && tally.trapped > 0 && tally.trapped_in_realloc > 0,
        "{tally:?}"
    );
    assert!(tally.resizes > 0, "no realloc resized a block: {tally:?}");
}

#[test]
fn reallocs_as_in_wasmtime_multi_memory() {
    check(MemoryStrategy::Multi);
}

#[test]
fn reallocs_as_in_wasmtime_shared_memory() {
    check(MemoryStrategy::Shared);
}

/// The original against itself: the driver is deterministic, and the
/// cases reach what they are meant to (wasmtime resizes blocks, traps in
/// its checks and in the misbehaving realloc).
#[test]
fn the_cases_reach_every_path_unfused() {
    let original = wat::parse_str(source()).expect("the WAT parses");
    let tally = compare(&original, &original);
    assert!(
        tally.resizes > 0 && tally.trapped > 0 && tally.trapped_in_realloc > 0,
        "{tally:?}"
    );
}
