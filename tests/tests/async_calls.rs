//! The async fixtures (`fixtures::async_all`, built from the wit-bindgen
//! 0.60.0 guests of `tests/guests-async`): each must behave under the
//! harness (wasmtime 48.0.8 with the component model's async ABI on) as
//! the fixture intends — results and traps written out below — and the
//! fused output (`--memory multi` and `shared`) must behave like the
//! original, call by call, under the differential harness and with host
//! calls made at once.
//!
//! `async_abi_use.rs` pins what each fixture's inner components import
//! and define at the core level (`tests/async_abi_use/<fixture>.core.txt`,
//! rewritten with `BLESS=1`): the input the fused async runtime has to
//! serve. In short, as of wit-bindgen 0.60.0 (release build, LTO;
//! `wasm32-unknown-unknown` componentized by wit-component 0.254.2, and
//! `wasm32-wasip2` linked by rustc 1.95's component linker for
//! `async-printer`):
//!
//! - **Every `async fn` export** is lifted `(canon lift (core func
//!   "[async-lift]<iface>#<f>") async (callback "[callback][async-lift]
//!   <iface>#<f>"))`, with `(memory)`, `(realloc)` and `string-encoding`
//!   as its parameters and results need them (`pong#play`, whose result
//!   is a list, has `(memory)` alone). The core entry point returns a
//!   callback code; the callback takes `(event, p1, p2)` and returns one.
//!   No export is lifted `async` without a callback, and no async lift
//!   has `post-return`. Sync exports are lifted as before (`gate#log`,
//!   returning a list, with `post-return`).
//! - **Results go through `task.return`**, one `(canon task.return
//!   (result T) ...)` per async export (imported as `"[export]<iface>"
//!   "[task-return]<f>"`; a bare `(canon task.return)` without results),
//!   flat: `combine`'s record is five core values `(i64 i32 i32 i32
//!   f64)`, `both`'s tuple four, a list two; `(memory)` when the result
//!   holds a string or list (and for `take`'s `option<u32>`, which does
//!   not), `string-encoding` when it holds a string.
//! - **Every `async func` import** is lowered `(canon lower (func f)
//!   async)`, imported as `"<iface>" "[async-lower]<f>"`, with `(memory)`
//!   when there is a return area or spilled parameters and `(realloc)` and
//!   `string-encoding` when the results hold a list or string. Parameters
//!   come flat up to four core values (`later`: `(a, b, retptr) ->
//!   state`); `combine`'s seven (nine core values) come as one pointer
//!   (`(params, retptr) -> state`). Results, if any, are written to the
//!   return area whose pointer is the last parameter (`hold`, without
//!   results: `(ticks) -> state`, no memory); the return value is the
//!   subtask state | handle << 4.
//! - **Sync lowers of async functions** (wit-bindgen's `async: ["-import:
//!   ..."]`, `sync-lowerer`) are plain `(canon lower (func f))` imported
//!   under the bare name; sync imports of sync functions (`post`, `log`,
//!   `close`) likewise, from async tasks.
//! - **The task runtime** of wit-bindgen uses `context.get`/`context.set`
//!   slot 0 (`i32`; the task's state), `waitable-set.new`,
//!   `waitable.join`, `waitable-set.poll (memory)` (`block_on` polls after
//!   a YIELD), `waitable-set.drop`, `task.cancel` (imported as
//!   `"[export]$root" "[task-cancel]"`) in every component with an async
//!   export, and, where async imports are called, `subtask.drop` and
//!   `subtask.cancel` (without `async`: a dropped import future cancels
//!   synchronously). `waitable-set.wait (memory)` appears only where
//!   `block_on` is used. `yield_async` is no built-in: the callback
//!   returns YIELD. `backpressure.inc`/`.dec` appear where the guest calls
//!   them (`gate`); `thread.yield` (`yield_blocking`) would likewise.
//! - **No stream, future or error-context built-ins** are present in these
//!   guests: they are linked only when used (LTO drops the unused ones).
//! - **WASI from an async task** (`async-printer`, wasm32-wasip2): the main
//!   module imports WASI 0.2 directly (no preview-1 adapter), every
//!   function lowered synchronously (`output-stream.blocking-flush`,
//!   `pollable.block` included) and called from inside the async task.
//!
//! The exact lists are in the `.core.txt` files.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::fixtures::{self, Fixture};
use meld_tests::harness::{
    CompareOptions, compare, run_script, run_script_with_traps, run_together_with_traps,
    same_script, same_together,
};
use wasmparser::{Validator, WasmFeatures};
use wasmtime::component::Val;

/// One scripted call: an export path (`interface#function`), its
/// arguments, and what the original must do (as `run_script_with_traps`
/// renders it).
type Call = (&'static str, Vec<Val>, &'static str);

/// Runs `script` on the original fixture `name` and checks every outcome;
/// then fuses the fixture with `--memory multi` and `--memory shared` and
/// checks that the fused output behaves like the original on `script` and
/// under the differential harness.
fn check_async_fixture(name: &str, script: &[Call]) {
    let fixture = fixtures::get(name).expect("the async fixtures build");
    check_async_component(&fixture, script);
}

/// [`check_async_fixture`] for a component that need not be a fixture.
fn check_async_component(fixture: &Fixture, script: &[Call]) {
    let name = fixture.name;
    let calls: Vec<(&str, Vec<Val>)> = script
        .iter()
        .map(|(path, args, _)| (*path, args.clone()))
        .collect();
    let expected: Vec<&str> = script.iter().map(|(_, _, outcome)| *outcome).collect();
    let got = run_script_with_traps(&fixture.wasm, &calls).expect("the original runs");
    for (i, ((path, _), (want, have))) in calls.iter().zip(expected.iter().zip(&got)).enumerate() {
        println!("{i:2} {path:<40} {want:<28} {have}");
    }
    assert_eq!(
        got, expected,
        "`{name}` (original) did not do what it should"
    );

    for (memory, fused) in fusions(fixture) {
        same_script(&fixture.wasm, &fused, &calls);
        differential(fixture, &fused, &format!("{memory:?}"));
    }
}

/// [`check_async_component`] for a composition written in the text format.
fn check_async_wat(name: &'static str, text: impl AsRef<str>, script: &[Call]) {
    let wasm = wat::parse_str(text.as_ref()).unwrap_or_else(|e| panic!("`{name}` parses: {e}"));
    let fixture = Fixture {
        name,
        wasm,
        is_command: false,
    };
    check_async_component(&fixture, script);
}

/// Makes `calls` at once (one event loop, see `harness::run_together`) on
/// fixture `name` and checks what the original did against `expected`;
/// then, for each fusion (see [`fusions`]), that the fused
/// output does the same, or, where the README says fused output differs,
/// what `fused_differs` pins (traps without their messages).
fn check_async_together(
    name: &str,
    calls: &[(&'static str, Vec<Val>)],
    expected: &[&str],
    fused_differs: Option<&[&str]>,
) {
    let fixture = fixtures::get(name).expect("the async fixtures build");
    check_together_component(&fixture, calls, expected, fused_differs);
}

/// [`check_async_together`] for a component that need not be a fixture.
fn check_together_component(
    fixture: &Fixture,
    calls: &[(&'static str, Vec<Val>)],
    expected: &[&str],
    fused_differs: Option<&[&str]>,
) {
    let name = fixture.name;
    let got = run_together_with_traps(&fixture.wasm, calls).expect("the original runs");
    for line in &got {
        println!("   {line}");
    }
    assert_eq!(got, expected, "`{name}` (original, calls at once)");
    for (_, fused) in fusions(fixture) {
        match fused_differs {
            None => {
                same_together(&fixture.wasm, &fused, calls);
            }
            Some(pinned) => {
                let got = meld_tests::harness::run_together(&fused, calls)
                    .expect("the fused output runs");
                assert_eq!(got, pinned, "`{name}` (fused, calls at once)");
            }
        }
    }
}

/// Fuses `fixture` with `--memory multi` and `--memory shared`; each must
/// succeed and validate (one memory in shared mode).
fn fusions(fixture: &Fixture) -> Vec<(MemoryStrategy, Vec<u8>)> {
    let name = fixture.name;
    let mut fused_outputs = Vec::new();
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        match fuse(&[&fixture.wasm], &options) {
            Err(error) => panic!("fusing `{name}` ({memory:?}) failed: {error}"),
            Ok(fused) => {
                if memory == MemoryStrategy::Shared {
                    assert_eq!(fused.stats.memories, 1, "`{name}`: shared mode memories");
                }
                validate(&fused.wasm).unwrap_or_else(|e| panic!("`{name}` ({memory:?}): {e}"));
                fused_outputs.push((memory, fused.wasm));
            }
        }
    }
    fused_outputs
}

/// Compares `other` with `fixture` under the differential harness (every
/// export, generated arguments) and fails unless the report is clean.
fn differential(fixture: &Fixture, other: &[u8], what: &str) {
    let options = CompareOptions {
        // `async-streams` streams up to 64 MiB (the benchmark's size) when
        // the generated length is large: with `--memory shared`'s checks,
        // more than the default budget
        fuel: if fixture.name == "async-streams" {
            4_000_000_000
        } else {
            CompareOptions::default().fuel
        },
        ..CompareOptions::default()
    };
    let report = compare(&fixture.wasm, other, &options)
        .unwrap_or_else(|e| panic!("`{}` ({what}): {e:#}", fixture.name));
    println!("{:<16} {what}: {}", fixture.name, report.summary());
    assert!(report.is_clean(), "`{}` ({what}):\n{report}", fixture.name);
    assert!(report.calls > 0, "`{}` ({what}): no calls", fixture.name);
}

/// Validates `wasm` with the features the harness's engine enables.
fn validate(wasm: &[u8]) -> Result<(), String> {
    let features = WasmFeatures::default()
        | WasmFeatures::CM_ASYNC
        | WasmFeatures::CM_MORE_ASYNC_BUILTINS
        | WasmFeatures::CM_ASYNC_STACKFUL
        | WasmFeatures::CM_ERROR_CONTEXT;
    Validator::new_with_features(features)
        .validate_all(wasm)
        .map(drop)
        .map_err(|e| format!("invalid output: {e}"))
}

/// `meld:async-fixtures/<interface>#<function>`.
macro_rules! export {
    ($interface:literal, $function:literal) => {
        concat!("meld:async-fixtures/", $interface, "#", $function)
    };
}

fn u32s(values: &[u32]) -> Vec<Val> {
    values.iter().map(|v| Val::U32(*v)).collect()
}

/// The arguments of `combine`: seven parameters, nine core values.
fn combine_args(text: &str, bytes: &[u8]) -> Vec<Val> {
    vec![
        Val::U32(1),
        Val::U64(2),
        Val::String(text.into()),
        Val::Float32(1.5),
        Val::List(bytes.iter().map(|b| Val::U8(*b)).collect()),
        Val::S8(-3),
        Val::Bool(true),
    ]
}

/// `async-calls`: async-lowered imports of async-lifted (callback)
/// exports between two components, and the worker's exports called by
/// the host directly.
#[test]
fn async_calls() {
    check_async_fixture(
        "async-calls",
        &[
            // Returns at once: the subtask is RETURNED when the call
            // returns; the caller never waits.
            (export!("calls", "ready"), u32s(&[2, 3]), "[5]"),
            (export!("calls", "ready"), u32s(&[u32::MAX, 2]), "[1]"),
            // Returns later: STARTED, then a subtask event.
            (export!("calls", "later"), u32s(&[2, 3]), "[6]"),
            (
                export!("calls", "later"),
                u32s(&[u32::MAX, 2]),
                "[4294967294]",
            ),
            // Two subtasks at once: `ready` finishes first although it
            // was started second.
            (
                export!("calls", "both"),
                u32s(&[2, 3]),
                "[(6, 5, \"second,first\")]",
            ),
            // A callee that yields in a loop (callback code YIELD).
            (export!("calls", "spin"), vec![Val::U8(0)], "[0]"),
            (export!("calls", "spin"), vec![Val::U8(5)], "[5]"),
            (export!("calls", "spin"), vec![Val::U8(255)], "[255]"),
            // Seven parameters through a pointer, a record through the
            // caller's return area.
            (
                export!("calls", "combine"),
                combine_args("héllo", &[1, 250]),
                "[{total: 251, text: \"héllo/2/true\", count: 5, scaled: 3.0}]",
            ),
            (
                export!("calls", "combine"),
                combine_args("", &[]),
                "[{total: 0, text: \"/0/true\", count: 0, scaled: 3.0}]",
            ),
            // Async calls one after the other in a loop (meld-bench's).
            (export!("calls", "ready-loop"), vec![Val::U8(3)], "[6]"),
            (export!("calls", "later-loop"), vec![Val::U8(3)], "[3]"),
            (export!("calls", "ready-loop"), vec![Val::U8(0)], "[0]"),
            // The host calls the worker's async exports itself.
            (export!("worker", "ready"), u32s(&[7, 8]), "[15]"),
            (export!("worker", "later"), u32s(&[4, 5]), "[20]"),
            (export!("worker", "spin"), vec![Val::U8(3)], "[3]"),
        ],
    );
}

/// `async-blocking`: `block_on` inside an async export works; inside a
/// sync export it traps as soon as it has to wait.
#[test]
fn async_blocking() {
    check_async_fixture("async-blocking", &blocking_script());
}

/// `async-blocking-debug`, the same guests debug-built, whose DWARF the
/// fused output keeps through the unwind transform (`debug_info.rs`
/// checks the DWARF): it runs as `async-blocking` does, original and
/// fused.
#[test]
fn async_blocking_debug_built() {
    check_async_fixture("async-blocking-debug", &blocking_script());
}

/// What `async-blocking`'s exports do, in order.
fn blocking_script() -> Vec<Call> {
    vec![
        (export!("blocking", "async-block-on"), u32s(&[2, 3]), "[6]"),
        // A sync-typed task may not block: `later` has not returned
        // when its async lower returns, so `waitable-set.wait` traps.
        (
            export!("blocking", "sync-block-on"),
            u32s(&[2, 3]),
            CANNOT_BLOCK,
        ),
        // `ready` returns before its lower does: nothing to wait for.
        (export!("blocking", "sync-ready"), u32s(&[2, 3]), "[5]"),
        (export!("blocking", "async-block-on"), u32s(&[6, 7]), "[42]"),
        // One blocking round trip after another (0 + 1 + ... + 9).
        (
            export!("blocking", "block-on-loop"),
            vec![Val::U8(10)],
            "[45]",
        ),
        (
            export!("blocking", "block-on-loop"),
            vec![Val::U8(0)],
            "[0]",
        ),
    ]
}

/// `async-lowering`: async-lifted functions called through sync lowers.
/// From a sync-typed task that traps whether or not the callee would
/// return at once; from an async-typed task the caller blocks until the
/// callee returns.
#[test]
fn async_lowering() {
    check_async_fixture(
        "async-lowering",
        &[
            (
                export!("lowering", "sync-later"),
                u32s(&[2, 3]),
                CANNOT_BLOCK,
            ),
            (
                export!("lowering", "sync-ready"),
                u32s(&[2, 3]),
                CANNOT_BLOCK,
            ),
            (export!("lowering", "async-later"), u32s(&[2, 3]), "[6]"),
            (export!("lowering", "async-later"), u32s(&[6, 7]), "[42]"),
        ],
    );
}

/// `async-gate`: a call made while the callee's backpressure is on waits
/// to start until it is off; without backpressure it starts at once. A
/// subtask cancelled before it started never starts; one cancelled while
/// it runs is dropped (wit-bindgen drops the task's future on the cancel
/// event). A call that can never start is a deadlock: the host's call
/// never returns (wasmtime's `call_async` traps with `AsyncDeadlock`; the
/// harness reports it as a trap).
#[test]
fn async_gate() {
    check_async_fixture(
        "async-gate",
        &[
            (
                export!("scenarios", "backpressure-on"),
                vec![],
                r#"[["hold on", "hold off", "start 1", "end 1"]]"#,
            ),
            (
                export!("scenarios", "backpressure-off"),
                vec![],
                r#"[["pause", "start 1", "end 1", "resume"]]"#,
            ),
            (
                export!("scenarios", "cancel-before-start"),
                vec![],
                r#"[["hold on", "hold off", "start 2", "end 2"]]"#,
            ),
            (
                export!("scenarios", "cancel-after-start"),
                vec![],
                r#"[["start 1", "dropped 1", "start 2", "end 2"]]"#,
            ),
            (export!("scenarios", "deadlock"), vec![], DEADLOCK),
            // A fresh instance after the deadlock: an empty log.
            (export!("gate", "log"), vec![], "[[]]"),
            // The host's own calls to the gate: `work` returns, and once
            // the gate is closed, even the sync `log` can never start.
            (export!("gate", "work"), u32s(&[9]), "[9]"),
            (export!("gate", "log"), vec![], r#"[["start 9", "end 9"]]"#),
            (export!("gate", "close"), vec![], "[]"),
            (export!("gate", "log"), vec![], DEADLOCK),
        ],
    );
}

/// `async-pingpong`: the referee's task and the pong player's task, in
/// two components, each wait (yielding, for at most 500 turns) in the
/// mailbox for what the other posts.
#[test]
fn async_pingpong() {
    check_async_fixture(
        "async-pingpong",
        &[
            (
                export!("game", "play"),
                vec![Val::U8(3), Val::U32(1)],
                "[([2, 6, 14], [1, 3, 7])]",
            ),
            (
                export!("game", "play"),
                vec![Val::U8(5), Val::U32(0)],
                "[([0, 2, 6, 14, 30], [0, 1, 3, 7, 15])]",
            ),
            (
                export!("game", "play"),
                vec![Val::U8(0), Val::U32(1)],
                "[([], [])]",
            ),
            // Alone, a `take` gives up after its 500 turns, and so does a
            // player.
            (export!("mailbox", "take"), u32s(&[7]), "[none]"),
            (export!("pong", "play"), vec![Val::U8(2)], "[[]]"),
            (export!("mailbox", "post"), u32s(&[7, 70]), "[]"),
            (export!("mailbox", "take"), u32s(&[7]), "[some(70)]"),
        ],
    );
}

/// `async_sync_calls.wat`: sync calls between components inside async
/// tasks. The callee runs as a task of its own: its context slot reads 0
/// and the caller's is back after the call (`context` returns 1000 × what
/// the callee saw + the caller's slot after: 7); a sync-typed callee that
/// blocks traps, an async-typed one lifted without `async` may block; a
/// sync task calling that one traps before the call.
#[test]
fn async_sync_calls() {
    check_async_wat(
        "async-sync-calls (WAT)",
        include_str!("async_sync_calls.wat"),
        &[
            ("top#context", vec![], "[7]"),
            ("top#sync-blocks", u32s(&[2]), CANNOT_BLOCK),
            ("top#async-blocks", u32s(&[2]), "[20]"),
            ("top#sync-calls-async", u32s(&[2]), CANNOT_BLOCK),
            ("top#context", vec![], "[7]"),
        ],
    );
}

/// `async_stackful.wat`: async functions lifted without a callback run
/// to their end on stacks of their own, blocking in `waitable-set.wait`:
/// `top#plus-one` awaits `worker#twice`, which awaits a callback-lifted
/// `later` (10 x): 3 → 61; one that ends without `task.return` traps.
#[test]
fn async_stackful() {
    let fixture = Fixture {
        name: "async-stackful (WAT)",
        wasm: wat::parse_str(include_str!("async_stackful.wat"))
            .expect("async_stackful.wat parses"),
        is_command: false,
    };
    let mut script = awaiting_chain().to_vec();
    script.extend([
        (
            "top#never-returns",
            u32s(&[3]),
            "trap: wasm trap: async-lifted export failed to produce a result",
        ),
        ("worker#twice", u32s(&[5]), "[100]"),
    ]);
    check_async_component(&fixture, &script);
}

/// The calls both `async_stackful.wat` and `async_gc.wat` answer alike:
/// `top` awaits `worker`, which awaits the callback-lifted `later` (10 x).
fn awaiting_chain() -> [Call; 4] {
    [
        ("top#plus-one", u32s(&[3]), "[61]"),
        ("worker#plus-one", u32s(&[3]), "[31]"),
        ("top#twice", u32s(&[3]), "[120]"),
        ("worker#twice", u32s(&[0]), "[0]"),
    ]
}

/// `async_gc.wat`: modules using GC types in async components: a
/// callback-lifted task keeps its state in a struct between its entry and
/// its callback, a stackful one (which meld's unwind pass rewrites) builds
/// an array after its wait: 3 → 61 as in `async_stackful`. A stackful
/// task keeps structs live across its wait (`holds`), which the unwind
/// pass saves in tables it adds (refused before session 51: its frame is
/// saved in linear memory, which cannot hold a reference).
#[test]
fn async_gc() {
    let fixture = Fixture {
        name: "async-gc (WAT)",
        wasm: wat::parse_str(include_str!("async_gc.wat")).expect("async_gc.wat parses"),
        is_command: false,
    };
    let mut script = awaiting_chain().to_vec();
    script.extend([
        // 3 + 9 + 60 (top awaits worker's `twice`: 2 × 10 × 3)
        ("top#holds", u32s(&[3]), "[72]"),
        // 5 + 15 + 50
        ("worker#holds", u32s(&[5]), "[70]"),
    ]);
    check_async_component(&fixture, &script);
    // at once: four stackful tasks wait together, three of them with
    // references saved (slots taken and freed out of order)
    check_together_component(
        &fixture,
        &[
            ("top#holds", u32s(&[3])),
            ("worker#holds", u32s(&[5])),
            ("top#holds", u32s(&[4])),
            ("worker#twice", u32s(&[2])),
        ],
        &["[72]", "[70]", "[96]", "[40]", "finished 1, 3, 0, 2"],
        None,
    );
}

/// `async_resources.wat`: own handles through async calls leave the
/// caller's table when the callee starts and come back through
/// `task.return`, numbered in one table with subtasks and sets.
#[test]
fn async_resources() {
    check_async_wat(
        "async-resources (WAT)",
        include_str!("async_resources.wat"),
        &[
            // `make` gives handle 1; `take` is STARTED as subtask 1 (the
            // thing left slot 1 when `take` started); `make` then gives 2,
            // the set is 3; the event is RETURNED (2), the result 4 × 10 +
            // the handle `take` had (1); `give` returns at once with a
            // thing in slot 1 again, whose drop runs the destructor.
            ("user#run", u32s(&[4]), "[[1, 1, 1, 2, 3, 2, 41, 2, 1]]"),
            ("owner-log", vec![], "[46]"),
            // A thing lent to `view` (a borrow handle 1 in the viewer's
            // table; the run above left the user's table with handles up
            // to 3): 7 × 10 + 1; dropped once the call returned.
            (
                "user#lend",
                vec![Val::U32(7), Val::Bool(false), Val::Bool(false)],
                "[[1, 1, 4, 5, 2, 71]]",
            ),
            // The viewer keeps its borrow past task.return: a trap.
            (
                "user#lend",
                vec![Val::U32(8), Val::Bool(true), Val::Bool(false)],
                "trap: borrow handles still remain at the end of the call",
            ),
            // The user drops the thing while it is lent: a trap.
            (
                "user#lend",
                vec![Val::U32(9), Val::Bool(false), Val::Bool(true)],
                "trap: cannot remove owned resource while borrowed",
            ),
            // The host's own things from `make` and from `give` (async).
            ("owner#make", u32s(&[5]), "[<resource>]"),
            ("owner#give", u32s(&[6]), "[<resource>]"),
        ],
    );
}

/// `async_reentry.wat`: an async call into the component that
/// instantiated the caller traps, as wasmtime 48 refuses it; the host may
/// call the same function.
#[test]
fn async_reentry() {
    check_async_wat(
        "async-reentry (WAT)",
        include_str!("async_reentry.wat"),
        &[
            (
                "run",
                u32s(&[1]),
                "trap: wasm trap: cannot enter component instance",
            ),
            ("direct", u32s(&[1]), "[2]"),
        ],
    );
}

/// The unwind transform rewrites only code that can reach a point where
/// its task suspends: a component whose own code cannot block (it only
/// answers calls, reads and writes streams, and returns) keeps every
/// function's bytes, in both memory strategies; a realloc that meld's
/// adapters or stream copies call does not make the component's code
/// suspendable (it may not leave the component while they run).
#[test]
fn components_that_cannot_block_stay_untouched() {
    let expect = [
        ("async-streams", "root/stream-sink", "root/stream-pipes"),
        (
            "async-blocking",
            "root/async-worker",
            "root/blocking-caller",
        ),
    ];
    for (name, untouched, rewritten) in expect {
        let fixture = fixtures::get(name).expect("the async fixtures build");
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let options = Options {
                memory,
                ..Options::default()
            };
            let fused = fuse(&[&fixture.wasm], &options).expect("the fixture fuses");
            let of = |component: &str| {
                fused
                    .stats
                    .suspendable
                    .iter()
                    .find(|s| s.component == component)
                    .unwrap_or_else(|| panic!("`{name}`: no counts for {component}"))
                    .clone()
            };
            let (quiet, busy) = (of(untouched), of(rewritten));
            println!("{name} {memory:?}: {quiet:?} {busy:?}");
            assert!(
                quiet.functions > 0
                    && quiet.transformed == 0
                    && quiet.transformed_bytes_before == 0
                    && quiet.transformed_bytes_after == 0,
                "{name}: {quiet:?}"
            );
            assert!(busy.transformed > 0, "{name}: {busy:?}");
            // The rewritten bodies grow (the unwind and rewind paths).
            assert!(
                busy.transformed_bytes_after > busy.transformed_bytes_before
                    && busy.transformed_bytes_before > 0,
                "{name}: {busy:?}"
            );
        }
    }
}

/// `async_leave.wat`: while an adapter calls a component's realloc, a
/// built-in the realloc calls traps, as in wasmtime 48, except the four
/// that do not check; `waitable-set.wait` traps before it could suspend;
/// `resource.new` and `resource.drop` trap too.
#[test]
fn async_leave() {
    let fixture = Fixture {
        name: "async-leave (WAT)",
        wasm: wat::parse_str(include_str!("async_leave.wat")).expect("async_leave.wat parses"),
        is_command: false,
    };
    let leave = "trap: wasm trap: cannot leave component instance";
    check_async_component(
        &fixture,
        &[
            ("run", vec![], "[1384]"),
            ("set-mode", u32s(&[2]), "[]"),
            ("run", vec![], "[1384]"),
            ("set-mode", u32s(&[3]), "[]"),
            ("run", vec![], "[1384]"),
            ("set-mode", u32s(&[1]), "[]"),
            ("run", vec![], leave),
            ("set-mode", u32s(&[4]), "[]"),
            ("run", vec![], leave),
            ("set-mode", u32s(&[5]), "[]"),
            ("run", vec![], leave),
            ("set-mode", u32s(&[6]), "[]"),
            ("run", vec![], leave),
        ],
    );
}

/// `async_yield.wat`: `thread.yield` between components. Two stackful
/// yielders started at once take turns in wasmtime's order (the log of
/// their tags), the one with fewer turns returns first (handles in the
/// order their results arrived), then the log and both results.
#[test]
fn async_yield() {
    check_async_wat(
        "async-yield (WAT)",
        include_str!("async_yield.wat"),
        &[
            // Subtasks 2 and 3 (the set is 1): 3 returns first; the turns
            // go 1, 2, 1, 1.
            ("run", vec![Val::U8(3), Val::U8(1)], "[[3, 2, 1211, 3, 1]]"),
            // The first set is still there (2 now); no turns for the first
            // yielder, which returns at once (no subtask).
            ("run", vec![Val::U8(0), Val::U8(2)], "[[3, 22, 0, 2]]"),
        ],
    );
}

/// `async_host.wat`: inner components call the host with the async ABI
/// (the harness's `meld:test/slow`, whose calls finish after a number of
/// polls): statuses, handles and events of host subtasks in the caller's
/// own table, one made inside the worker, results through the caller's
/// memory, five parameters through a pointer, cancellation in both
/// variants and after the result, and a sync-lifted export that blocks.
#[test]
fn async_host() {
    let fixture = host_fixture();
    check_async_component(
        &fixture,
        &[
            ("run", u32s(&[0, 0]), "[[2, 2, 2, 100, 2, 1001, 1003]]"),
            (
                "run",
                u32s(&[1, 3]),
                "[[33, 49, 2, 100, 65, 1, 2, 2, 1, 3, 2, 1, 4, 2, 1001, 1003]]",
            ),
            (
                "run",
                u32s(&[3, 1]),
                "[[65, 49, 2, 100, 33, 1, 3, 2, 1, 2, 2, 1, 4, 2, 1001, 1003]]",
            ),
            (
                "run",
                u32s(&[2, 2]),
                "[[65, 33, 2, 100, 49, 1, 4, 2, 1, 2, 2, 1, 3, 2, 1001, 1003]]",
            ),
            ("cancel", u32s(&[0, 3]), "[[49, 4294967295, 1, 3, 4, 0]]"),
            ("cancel", u32s(&[1, 3]), "[[49, 4, 0]]"),
            ("cancel", u32s(&[2, 1]), "[[49, 4, 0]]"),
            ("cancel", u32s(&[0, 0]), "[[2]]"),
            ("blocking", u32s(&[0]), "[1105]"),
            ("blocking", u32s(&[3]), "[1405]"),
            (
                "cancel",
                u32s(&[3, 1]),
                "trap: wasm trap: `subtask.cancel` called after terminal status delivered",
            ),
            (
                "cancel",
                u32s(&[4, 2]),
                "trap: wasm trap: cannot drop a subtask which has not yet resolved",
            ),
        ],
    );
}

/// `async_host.wat` with host calls made at once: each root task waits for
/// the host's subtasks of its own call tree, one of them on the host's set
/// and the others on their bells, and each gets its results to the host in
/// its own turn.
#[test]
fn async_host_calls_made_at_once() {
    let fixture = host_fixture();
    check_together_component(
        &fixture,
        &[
            ("run", u32s(&[3, 1])),
            ("run", u32s(&[1, 4])),
            ("cancel", u32s(&[0, 2])),
            ("run", u32s(&[0, 0])),
        ],
        &[
            "[[33, 49, 2, 100, 65, 1, 3, 2, 1, 4, 2, 1, 2, 2, 1001, 1003]]",
            "[[33, 65, 2, 100, 49, 1, 2, 2, 1, 4, 2, 1, 3, 2, 1001, 1003]]",
            "[[49, 4294967295, 1, 3, 4, 0]]",
            "[[2, 2, 2, 100, 2, 1001, 1003]]",
            "finished 0, 1, 2, 3",
        ],
        None,
    );
    // The later calls finish first.
    check_together_component(
        &fixture,
        &[
            ("run", u32s(&[5, 5])),
            ("cancel", u32s(&[1, 1])),
            ("run", u32s(&[2, 0])),
        ],
        &[
            "[[33, 49, 2, 100, 65, 1, 2, 2, 1, 3, 2, 1, 4, 2, 1001, 1003]]",
            "[[65, 4, 0]]",
            "[[65, 2, 2, 100, 2, 1, 4, 2, 1001, 1003]]",
            "finished 0, 1, 2",
        ],
        None,
    );
    // A sync export (async-typed, lifted without `async`) that must block
    // on the host while an async export's task waits for the host too: the
    // sync call waits on the host's set alone (the async task's bell rung),
    // and the async task gets its turn once the sync call returned.
    check_together_component(
        &fixture,
        &[("relay", u32s(&[5, 4])), ("blocking", u32s(&[3]))],
        &["[1005]", "[1405]", "finished 1, 0"],
        None,
    );
    check_together_component(
        &fixture,
        &[
            ("relay", u32s(&[6, 4])),
            ("relay", u32s(&[7, 7])),
            ("blocking", u32s(&[3])),
        ],
        &["[1005]", "[1008]", "[1405]", "finished 2, 0, 1"],
        None,
    );
    // An async task whose result is ready while the sync call blocks hands
    // it to the host only in its own turn, once the sync call returned
    // (wasmtime does not enter the one fused instance meanwhile): the same
    // results, finished in another order (README, "Known differences").
    check_together_component(
        &fixture,
        &[
            ("relay", u32s(&[1, 4])),
            ("relay", u32s(&[6, 7])),
            ("blocking", u32s(&[3])),
        ],
        &["[1005]", "[1008]", "[1405]", "finished 0, 2, 1"],
        None,
    );
    // The same export with a post-return is lifted stackful too, its
    // post-return run at its task's end: an async task's result ready
    // while it blocks reaches the host first, as in wasmtime.
    check_together_component(
        &fixture,
        &[("relay", u32s(&[5, 4])), ("blocking-post", u32s(&[3]))],
        &["[1005]", "[1405]", "finished 1, 0"],
        None,
    );
    check_together_component(
        &fixture,
        &[("relay", u32s(&[1, 4])), ("blocking-post", u32s(&[3]))],
        &["[1005]", "[1405]", "finished 0, 1"],
        None,
    );
    // One whose result is an own handle is lifted stackful too.
    check_together_component(
        &fixture,
        &[
            ("relay", u32s(&[1, 4])),
            ("meld:test/tokens#blocking-token", u32s(&[3])),
        ],
        &["[1005]", "[<resource>]", "finished 0, 1"],
        None,
    );
    // And one with a borrowed parameter (a token the host got first):
    // lent for the task, as an async export's borrows are.
    let first = [("meld:test/tokens#blocking-token", u32s(&[0]))];
    let calls = [
        ("relay", u32s(&[1, 4])),
        ("meld:test/tokens#peek-token", u32s(&[3])),
    ];
    let original = meld_tests::harness::run_together_after(&fixture.wasm, &first, &calls)
        .expect("the original runs");
    assert_eq!(original, ["[1005]", "[1105001405]", "finished 0, 1"]);
    for (_, fused) in fusions(&fixture) {
        let got = meld_tests::harness::run_together_after(&fused, &first, &calls)
            .expect("the fused output runs");
        assert_eq!(got, original, "calls made at once after a token");
    }
    // And those whose result goes through memory: it is copied out of
    // the component when the task returns (`blocking` overwrites the
    // string's bytes when it starts, after `blocking-text` returned).
    check_together_component(
        &fixture,
        &[("relay", u32s(&[1, 4])), ("blocking-text", u32s(&[3]))],
        &["[1005]", "[\"t5\"]", "finished 0, 1"],
        None,
    );
    check_together_component(
        &fixture,
        &[
            ("relay", u32s(&[1, 4])),
            ("blocking-text", u32s(&[3])),
            ("blocking-pair", u32s(&[2])),
            ("blocking", u32s(&[1])),
        ],
        &[
            "[1005]",
            "[\"t5\"]",
            "[(11405, 1)]",
            "[11405]",
            "finished 0, 1, 2, 3",
        ],
        None,
    );
    // Both kinds of sync export at once (in one inner instance, so one
    // after the other, as in wasmtime), each waiting for the host.
    check_together_component(
        &fixture,
        &[("blocking", u32s(&[5])), ("blocking-post", u32s(&[3]))],
        &["[1405]", "[1405]", "finished 0, 1"],
        None,
    );
    check_together_component(
        &fixture,
        &[
            ("relay", u32s(&[4, 1])),
            ("blocking-post", u32s(&[3])),
            ("blocking", u32s(&[2])),
        ],
        &["[1002]", "[1405]", "[11405]", "finished 1, 0, 2"],
        None,
    );
    // The sync export waits for the async task itself (for the inner
    // instance that task holds while it blocks in its own
    // `waitable-set.wait`): that task's `task.return` leaves its result in
    // meld's memory and the task goes on, as in wasmtime; the host gets the
    // result in the task's next turn, after the sync call (the same
    // results, finished in another order, as above).
    check_together_component(
        &fixture,
        &[("run", u32s(&[5, 5])), ("blocking", u32s(&[3]))],
        &[
            "[[33, 49, 2, 100, 65, 1, 2, 2, 1, 3, 2, 1, 4, 2, 1001, 1003]]",
            "[1405]",
            "finished 0, 1",
        ],
        None,
    );
}

/// `async_host_strings.wat`: a string to the host and one back through
/// the caller's realloc, after the host's subtask resolved or at once
/// (with one shared memory, the result's pointers move when it arrives).
#[test]
fn async_host_strings() {
    check_async_wat(
        "async-host-strings (WAT)",
        include_str!("async_host_strings.wat"),
        &[
            (
                "run",
                vec![Val::U32(0), Val::String("now".into())],
                "[(2, \"now!\")]",
            ),
            (
                "run",
                vec![Val::U32(3), Val::String("later".into())],
                "[(17, \"later!\")]",
            ),
            (
                "run",
                vec![Val::U32(1), Val::String(String::new())],
                "[(17, \"!\")]",
            ),
        ],
    );
}

/// `async_host_moved.wat`: a list of strings over their own elements to
/// the host, at once and later: with one shared memory, the host reads a
/// copy whose pointers moved, never the caller's elements moved in place.
#[test]
fn async_host_moved() {
    check_async_wat(
        "async-host-moved (WAT)",
        include_str!("async_host_moved.wat"),
        &[
            (
                "run",
                vec![Val::U32(0)],
                r#"[(2, "H\0\0\0\u{8}\0\0\0|P\0\0\0\u{8}\0\0\0")]"#,
            ),
            (
                "run",
                vec![Val::U32(2)],
                r#"[(17, "H\0\0\0\u{8}\0\0\0|P\0\0\0\u{8}\0\0\0")]"#,
            ),
        ],
    );
}

/// `async_host_handles.wat`: an own handle from the host that comes into
/// the caller's table when the result arrives, a borrow the host holds until
/// its subtask resolves (dropping the thing meanwhile traps), and both when
/// the host answers at once.
#[test]
fn async_host_handles() {
    check_async_wat(
        "async-host-handles (WAT)",
        include_str!("async_host_handles.wat"),
        &[
            ("run", u32s(&[0, 0]), "[[2, 2, 2, 7]]"),
            ("run", u32s(&[2, 2]), "[[49, 1, 2, 4, 49, 1, 2, 7]]"),
            ("run", u32s(&[0, 3]), "[[65, 1, 2, 3, 65, 1, 2, 7]]"),
            (
                "run",
                u32s(&[1, 2]),
                "trap: cannot remove owned resource while borrowed",
            ),
        ],
    );
}

/// `async_host_staged.wat`: async calls of the host staged in meld's
/// memory (a result of named things: strings and handles in a list; a
/// list of borrows as a parameter), answered at once and later; a staged
/// call cancelled, its subtask dropped at once (wasmtime 48 allows it once
/// the host has the cancel) or after its event.
#[test]
fn async_host_staged() {
    let fixture = Fixture {
        name: "async-host-staged (WAT)",
        wasm: wat::parse_str(include_str!("async_host_staged.wat"))
            .expect("async_host_staged.wat parses"),
        is_command: false,
    };
    // "t1", "t2", "t3" (2 << 16 | 't' << 8 | '1', ...) and their values
    let named = "160817, 1, 160818, 2, 160819, 3";
    let at_once = format!("[[2, 3, {named}, 2, 6]]");
    let later = format!("[[1, 1, 2, 3, {named}, 1, 1, 2, 6]]");
    check_async_component(
        &fixture,
        &[
            ("run", u32s(&[0, 0]), at_once.leak()),
            ("run", u32s(&[2, 0]), later.leak()),
            ("run", u32s(&[1, 2]), "[[1, 4294967295, 1, 4]]"),
            ("run", u32s(&[0, 2]), "[[1, 4294967295, 1, 4]]"),
            ("run", u32s(&[2, 1]), "[[1, 4294967295]]"),
            ("run", u32s(&[0, 1]), "[[1, 4294967295]]"),
        ],
    );
}

/// `async_host_staged.wat` with the caller's `make-named` lowered utf16
/// and given the name "é": the host writes the named things into meld's
/// memory, and meld's copy into the caller must make the `realloc` calls
/// the host makes in the original (each name's block asked for at twice
/// its utf8 length, 6 bytes for "é1", then shrunk to its 4). The
/// caller's `realloc` copies a block it resizes and keeps a hash of its
/// calls at 3000, which `run` logs last. Before meld staged strings in utf8 it asked for 4 bytes once.
#[test]
fn async_host_staged_utf16() {
    let source = include_str!("async_host_staged.wat");
    let edits = [
        (
            "(canon lower (func $make-named) async (memory $mem) (realloc $realloc))",
            "(canon lower (func $make-named) async (memory $mem) (realloc $realloc) \
             string-encoding=utf16)",
        ),
        (
            r#"(data (i32.const 1024) "t")"#,
            r#"(data (i32.const 1024) "\e9\00")"#,
        ),
        (
            "(global.set $next (i32.add (local.get $at) (local.get 3)))",
            "(global.set $next (i32.add (local.get $at) (local.get 3)))
        (if (local.get 0) (then (memory.copy (local.get $at) (local.get 0)
          (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))))
        (i32.store (i32.const 3000) (i32.add (i32.mul (i32.load (i32.const 3000)) (i32.const 31))
          (i32.add (i32.add (local.get 0) (i32.mul (local.get 1) (i32.const 7)))
            (i32.add (i32.mul (local.get 2) (i32.const 13)) (local.get 3)))))",
        ),
        (
            "(call $return (i32.const 4096) (global.get $count))",
            "(call $out (i32.load (i32.const 3000)))
        (call $return (i32.const 4096) (global.get $count))",
        ),
    ];
    let mut wat = source.to_string();
    for (from, to) in edits {
        assert_eq!(wat.matches(from).count(), 1, "{from}");
        wat = wat.replace(from, to);
    }
    check_async_wat(
        "async-host-staged, utf16 (WAT)",
        &wat,
        &[
            // "é1", "é2", "é3": 2 << 16 | 0xe9 << 8 | 0x00, and their values
            (
                "run",
                u32s(&[0, 0]),
                "[[2, 3, 190720, 1, 190720, 2, 190720, 3, 2, 6, 791283674]]",
            ),
            (
                "run",
                u32s(&[2, 0]),
                "[[1, 1, 2, 3, 190720, 1, 190720, 2, 190720, 3, 1, 1, 2, 6, 511284364]]",
            ),
        ],
    );
}

/// `async_host_window.wat`: between the host finishing an async call
/// whose result holds a handle and the caller taking its event. The
/// caller's sync `pause` blocks on the host, during which the host
/// finishes `make`: its result (a thing, through memory) is in the
/// caller's slot when `pause` returns, in the original as fused (meld's
/// runtime copies a staged result there when it receives the host's
/// event, and the blocking `pause` lets it run). Whatever the caller then
/// writes into the slot, a guess of a handle number names only the
/// caller's own handles, never the other component's thing (9): each
/// guess does what the original does. Before session 29 a sync call of
/// the host blocked the whole fused component, the slot was empty when
/// `pause` returned and the result came at the event (the difference the
/// README named); before results were staged, a guess of 1 reached the
/// holder's thing.
#[test]
fn async_host_results_wait_for_their_event() {
    let wasm = wat::parse_str(include_str!("async_host_window.wat"))
        .expect("async_host_window.wat parses");
    let calls = |guess: u32| -> Vec<(&'static str, Vec<Val>)> {
        vec![
            ("hold", u32s(&[9])),
            ("run", u32s(&[0, 0])),
            ("run", u32s(&[1, guess])),
        ]
    };
    let original = run_script_with_traps(&wasm, &calls(3)).expect("the original runs");
    assert_eq!(original, ["[]", "[[1, 3, 1, 2, 7]]", "[[1, 6, 1, 2, 7]]"]);
    let fused = fusions(&Fixture {
        name: "async-host-window (WAT)",
        wasm: wasm.clone(),
        is_command: false,
    });
    // (traps without their messages: meld's are its own)
    for guess in 0..8 {
        let original = run_script(&wasm, &calls(guess)).expect("the original runs");
        assert!(
            !original.iter().any(|line| line.ends_with(", 9]]")),
            "{original:?}"
        );
        for (memory, fused) in &fused {
            let got = run_script(fused, &calls(guess)).expect("the fused output runs");
            assert_eq!(got, original, "{memory:?}, guess {guess}");
        }
    }
}

/// `async_streams.wat`: streams, futures and error contexts within one
/// component (the fused component's stand behind their ends, in the
/// component's own table): codes, events, bytes and values copied,
/// cancellation, an error context's message, and the traps of a
/// non-numeric stream within one instance and of a future's writer
/// dropped first.
#[test]
fn async_streams() {
    check_async_wat(
        "async-streams (WAT)",
        include_str!("async_streams.wat"),
        &[
            (
                "run",
                u32s(&[0]),
                "[[2, 3, 4294967295, 64, 1684234849, 3, 3, 64]]",
            ),
            ("run", u32s(&[1]), "[[4294967295, 0, 4, 3, 0, 77]]"),
            ("run", u32s(&[2]), "[[4294967295, 2]]"),
            ("run", u32s(&[3]), "[[3, 4, 1936748399]]"),
            ("run", u32s(&[6]), "[[]]"),
            (
                "run",
                u32s(&[4]),
                "trap: cannot read from and write to intra-component future/stream with non-numeric payload",
            ),
            (
                "run",
                u32s(&[5]),
                "trap: cannot drop future write end without first writing a value",
            ),
            (
                "run",
                u32s(&[7]),
                "trap: read pointer out of bounds of memory",
            ),
        ],
    );
}

fn host_fixture() -> Fixture {
    Fixture {
        name: "async-host (WAT)",
        wasm: wat::parse_str(include_str!("async_host.wat")).expect("async_host.wat parses"),
        is_command: false,
    }
}

/// Sixty root calls of `async_host.wat` at once, each waiting for the
/// host: all but one wait on a bell of their own, which goes to a pool as
/// its task exits (for the next root task to use again). Before session
/// 52 that pool held 42 bells and the 43rd exit trapped (`meld's
/// limitation`), where wasmtime goes on.
#[test]
fn many_root_calls_waiting_at_once() {
    let fixture = host_fixture();
    let calls: Vec<(&'static str, Vec<Val>)> = (0..60u32)
        .map(|i| ("run", u32s(&[i % 6, (i * 7 + 1) % 6])))
        .collect();
    let original = run_together_with_traps(&fixture.wasm, &calls).expect("the original runs");
    assert_eq!(original.len(), 61, "sixty results and the finishing order");
    assert!(
        original.iter().all(|r| !r.contains("trap")),
        "the original runs without trapping: {original:?}"
    );
    let expected: Vec<&str> = original.iter().map(|r| leak(r)).collect();
    check_together_component(&fixture, &calls, &expected, None);
}

/// `async_cancel_yield.wat`: a task cancelled while in a cancellable
/// `thread.yield` is promoted to the high-priority queue and sees CANCELLED
/// before the other yielding task runs again (the caller yields to let it).
#[test]
fn async_cancel_yield() {
    let wasm = wat::parse_str(include_str!("async_cancel_yield.wat"))
        .expect("async_cancel_yield.wat parses");
    let fixture = Fixture {
        name: "async-cancel-yield (WAT)",
        wasm: cancellable_yield(wasm, 1),
        is_command: false,
    };
    check_async_component(
        &fixture,
        &[
            ("run", u32s(&[0]), "[[4, 1292, 1, 2, 2, 12922]]"),
            ("run", u32s(&[1]), "[[4, 121292, 1, 5, 2, 121292]]"),
            ("run", u32s(&[2]), "[[4, 1212129, 1, 8, 2, 1212129]]"),
        ],
    );
}

/// `wasm` with its `n`-th `thread.yield` (in binary order) made
/// cancellable: the text format no longer has the option
/// (component-model#716), the binary format and wasmtime 48 still do.
fn cancellable_yield(mut wasm: Vec<u8>, n: usize) -> Vec<u8> {
    use wasmparser::{CanonicalFunction, Parser, Payload};
    let mut at = None;
    let mut seen = 0;
    for payload in Parser::new(0).parse_all(&wasm) {
        if let Ok(Payload::ComponentCanonicalSection(reader)) = payload {
            for item in reader.into_iter_with_offsets() {
                let (offset, func) = item.expect("a canonical function reads");
                if let CanonicalFunction::ThreadYield { .. } = func {
                    if seen == n && at.is_none() {
                        at = Some(offset);
                    }
                    seen += 1;
                }
            }
        }
    }
    let at = at.expect("the component has that many thread.yield");
    assert_eq!(wasm[at..at + 2], [0x0c, 0x00], "thread.yield's encoding");
    wasm[at + 1] = 1;
    wasm
}

/// `async_raw.wat` as a fixture.
fn raw_component() -> Fixture {
    Fixture {
        name: "async-raw (WAT)",
        wasm: wat::parse_str(include_str!("async_raw.wat")).expect("async_raw.wat parses"),
        is_command: false,
    }
}

/// `async_raw.wat`: the numbers wit-bindgen hides. `raw#cancel-running`
/// logs `later`'s lower result (STARTED 1, handle 1), what `subtask.cancel`
/// gives while the callee runs (RETURNED 2: the callee ignores the cancel
/// event and returns) and the result 30. `raw#run` logs, in
/// order: `ready`'s lower result (RETURNED 2, no handle 0) and result 6;
/// `later`'s (STARTED 1, handle 1), the new waitable set's handle 2, the
/// event `wait` gives (SUBTASK 1, handle 1, RETURNED 2) and result 70;
/// `poll` on the emptied set (NONE 0); context slot 0 before and after
/// `context.set 42`; then, with the callee's backpressure on, `later`'s
/// lower result (STARTING 0, handle 2: the dropped set's number, reused)
/// and what `subtask.cancel` gives (CANCELLED_BEFORE_STARTED 3). The other
/// exports misuse the ABI.
#[test]
fn async_raw() {
    check_async_component(
        &raw_component(),
        &[
            // Cancelled while it runs, the callee returns anyway (it
            // ignores the cancel event): STARTED 1, handle 1, then
            // `subtask.cancel` gives RETURNED 2 and the result is there.
            ("raw#cancel-running", vec![], "[[1, 1, 2, 30]]"),
            // A subtask in a waitable set cannot be cancelled
            // synchronously, even after its result was delivered; out of
            // the set, cancelling a subtask whose result was delivered
            // traps too.
            (
                "raw#cancel-joined",
                vec![],
                "trap: wasm trap: waitable cannot be used synchronously while added to a \
                 waitable set",
            ),
            (
                "raw#cancel-returned",
                vec![],
                "trap: wasm trap: `subtask.cancel` called after terminal status delivered",
            ),
            (
                "raw#run",
                vec![],
                "[[2, 0, 6, 1, 1, 2, 1, 1, 2, 70, 0, 0, 42, 0, 2, 3]]",
            ),
            // Each task has its own context slots, zero at the start.
            ("raw#context", vec![], "[0]"),
            ("raw#context", vec![], "[0]"),
            (
                "raw#drop-early",
                vec![],
                "trap: wasm trap: cannot drop a subtask which has not yet resolved",
            ),
            ("raw#sync-wait", vec![], CANNOT_BLOCK),
            ("raw#wait-empty", vec![], DEADLOCK),
            (
                "callee#twice",
                u32s(&[1]),
                "trap: wasm trap: `task.return` or `task.cancel` called more than once for \
                 current task",
            ),
            (
                "callee#never",
                u32s(&[1]),
                "trap: wasm trap: async-lifted export failed to produce a result",
            ),
            ("callee#ready", u32s(&[1]), "[2]"),
            ("callee#later", u32s(&[1]), "[10]"),
        ],
    );
}

/// `async-wasi`: output an async task prints through WASI reaches the
/// host's stdout and is compared like a sync call's.
#[test]
fn async_wasi() {
    check_async_fixture(
        "async-wasi",
        &[
            (
                export!("shouter", "shout"),
                vec![Val::String("Hé".into())],
                r#"[8] stdout "HÉ\nhé\n""#,
            ),
            (
                export!("printer", "print"),
                vec![Val::String(String::new())],
                r#"[1] stdout "\n""#,
            ),
        ],
    );
}

/// `async-streams`: wit-bindgen's streams and futures between two
/// components: bytes streamed in chunks of one size and read in chunks of
/// another, a future written before and after its reader waits, a stream
/// an async export returns and writes after its task returned (numbers:
/// the fused component's own ends); strings in chunks, a future of a
/// string, records (meld's native ends: wasmtime would not copy them
/// within one instance).
#[test]
fn async_streams_between_components() {
    check_async_fixture(
        "async-streams",
        &[
            (
                export!("pipes", "send"),
                u32s(&[1000, 64, 100]),
                "[(124506, 16)]",
            ),
            (
                export!("pipes", "send"),
                u32s(&[1000, 300, 7]),
                "[(124506, 144)]",
            ),
            (export!("pipes", "send"), u32s(&[0, 1, 1]), "[(0, 0)]"),
            // the benchmark's baseline: `send`'s sum and reads, no stream
            (
                export!("pipes", "send-alone"),
                u32s(&[1000, 64, 100]),
                "[(124506, 16)]",
            ),
            (
                export!("pipes", "send-alone"),
                u32s(&[1000, 300, 7]),
                "[(124506, 144)]",
            ),
            (
                export!("pipes", "relay"),
                vec![Val::U32(5), Val::Bool(true)],
                "[6]",
            ),
            (
                export!("pipes", "relay"),
                vec![Val::U32(9), Val::Bool(false)],
                "[10]",
            ),
            (export!("pipes", "collect"), u32s(&[10, 3]), "[(45, 4)]"),
            (export!("pipes", "collect"), u32s(&[0, 4]), "[(0, 0)]"),
            (
                export!("pipes", "join"),
                vec![
                    Val::List(vec![
                        Val::String("a".into()),
                        Val::String("bc".into()),
                        Val::String("déf".into()),
                        Val::String("".into()),
                        Val::String("ghij".into()),
                    ]),
                    Val::U32(2),
                    Val::U32(3),
                ],
                r#"[("a bc déf  ghij", 3)]"#,
            ),
            (
                export!("pipes", "join"),
                vec![Val::List(vec![]), Val::U32(1), Val::U32(1)],
                r#"[("", 0)]"#,
            ),
            (
                export!("pipes", "shout"),
                vec![Val::String("héllo".into())],
                r#"["HÉLLO"]"#,
            ),
            (
                export!("pipes", "area"),
                u32s(&[1000, 64, 100]),
                "[1499504]",
            ),
            (export!("pipes", "area"), u32s(&[0, 1, 1]), "[0]"),
        ],
    );
}

/// Host calls made at once (one event loop), into one inner component or
/// several: they run concurrently, and the order they finish in shows it.
#[test]
fn async_calls_made_at_once() {
    // Into the caller and the worker: the short calls finish first.
    check_async_together(
        "async-calls",
        &[
            (export!("calls", "spin"), vec![Val::U8(3)]),
            (export!("worker", "spin"), vec![Val::U8(1)]),
            (export!("calls", "ready"), u32s(&[1, 2])),
        ],
        &["[3]", "[1]", "[3]", "finished 2, 1, 0"],
        None,
    );
    // A sync export that must block traps; the async one beside it still
    // returns.
    check_async_together(
        "async-blocking",
        &[
            (export!("blocking", "async-block-on"), u32s(&[2, 3])),
            (export!("blocking", "sync-block-on"), u32s(&[2, 3])),
        ],
        &["[6]", CANNOT_BLOCK, "finished 0, 1"],
        // Fused, the async call's task returns during the sync call's turn
        // and waits for its own, but the sync call's trap comes first and
        // ends the one instance (README: "Host calls made at once").
        Some(&["trap", "trap", "finished 0, 1"]),
    );
    // The host's `hold` turns the gate's backpressure on: the host's own
    // `work` calls start only after it.
    check_async_together(
        "async-gate",
        &[
            (export!("gate", "hold"), vec![Val::U8(3)]),
            (export!("gate", "work"), u32s(&[1])),
            (export!("gate", "work"), u32s(&[2])),
        ],
        &["[]", "[1]", "[2]", "finished 0, 1, 2"],
        None,
    );
    // Two `work` tasks are in progress (started, yielding) when the sync
    // `log` runs between their turns.
    check_async_together(
        "async-gate",
        &[
            (export!("gate", "work"), u32s(&[1])),
            (export!("gate", "work"), u32s(&[2])),
            (export!("gate", "log"), vec![]),
        ],
        &[
            "[1]",
            "[2]",
            r#"[["start 1", "start 2"]]"#,
            "finished 2, 0, 1",
        ],
        None,
    );
    // The host's `post` wakes the pong player's task (waiting in the
    // mailbox, another component) ...
    check_async_together(
        "async-pingpong",
        &[
            (export!("pong", "play"), vec![Val::U8(1)]),
            (export!("mailbox", "post"), u32s(&[0, 5])),
        ],
        &["[[5]]", "[]", "finished 1, 0"],
        None,
    );
    // ... and through it, the host's own `take`.
    check_async_together(
        "async-pingpong",
        &[
            (export!("mailbox", "take"), u32s(&[1])),
            (export!("pong", "play"), vec![Val::U8(1)]),
            (export!("mailbox", "post"), u32s(&[0, 3])),
        ],
        &["[some(6)]", "[[3]]", "[]", "finished 2, 1, 0"],
        None,
    );
}

/// wasmtime 48's trap for a sync-typed task that would have to block.
const CANNOT_BLOCK: &str = "trap: wasm trap: cannot block a synchronous task before returning";

/// The harness's report of a call that can never return.
const DEADLOCK: &str = "trap: deadlock: the call has not returned and no task can make progress";

/// The async fixtures this file checks, one test each; every async
/// fixture must be among them.
const CHECKED: &[&str] = &[
    "async-calls",
    "async-blocking",
    "async-lowering",
    "async-gate",
    "async-pingpong",
    "async-wasi",
    "async-streams",
];

#[test]
fn every_async_fixture_is_checked() {
    let names: Vec<&str> = fixtures::async_names().collect();
    assert_eq!(names, CHECKED, "a test per async fixture, in this file");
}

/// The harness on the async fixtures (and `async_raw.wat`): each
/// compared with itself under the differential harness (every export,
/// generated arguments, through `run_concurrent`) is clean.
#[test]
fn async_fixtures_match_themselves() {
    let mut all = fixtures::async_all().expect("the async fixtures build");
    all.push(raw_component());
    for fixture in all {
        differential(&fixture, &fixture.wasm, "vs itself");
    }
}

/// The harness sees a difference in what async exports do: `async_raw.wat`
/// with `later` returning `x * 11` instead of `x * 10` differs on the
/// callee's `later` (called by the host) and on `raw#run` and
/// `raw#cancel-running` (which log `later`'s result), and nowhere else.
#[test]
fn the_harness_sees_async_differences() {
    let original = raw_component();
    let text = include_str!("async_raw.wat");
    let changed = text.replace(
        "(i32.mul (global.get $x) (i32.const 10))",
        "(i32.mul (global.get $x) (i32.const 11))",
    );
    assert_ne!(changed, text, "the replaced text is in async_raw.wat");
    let changed = wat::parse_str(&changed).expect("the changed WAT parses");
    let report =
        compare(&original.wasm, &changed, &CompareOptions::default()).expect("the comparison runs");
    println!("{report}");
    let mut functions: Vec<&str> = report
        .mismatches
        .iter()
        .map(|m| m.function.as_str())
        .collect();
    functions.sort_unstable();
    functions.dedup();
    assert_eq!(functions, ["callee#later", "raw#cancel-running", "raw#run"]);
}

/// `meld inspect` reads async compositions: every fixture's tree comes out,
/// each async built-in named as the source of the core import it fills
/// (`task.return of root/...`), and each call between inner components
/// with an async type or option marked as not adapted yet, saying so.
#[test]
fn async_compositions_inspect() {
    let mut all: Vec<Fixture> = fixtures::async_all().expect("the async fixtures build");
    all.push(raw_component());
    for fixture in &all {
        let tree = meld_core::inspect(&fixture.wasm)
            .unwrap_or_else(|e| panic!("inspecting `{}`: {e}", fixture.name));
        let sources: Vec<&str> = tree
            .components
            .iter()
            .flat_map(|c| &c.core_instances)
            .flat_map(|i| &i.imports)
            .map(|i| i.source.as_str())
            .collect();
        assert!(
            sources
                .iter()
                .any(|s| s.starts_with("task.return of root/")),
            "`{}`: no task.return among {sources:?}",
            fixture.name
        );
        for adapter in &tree.adapters {
            if let meld_core::AdapterKind::Unsupported(why) = &adapter.kind {
                assert!(why.contains("async"), "`{}`: {why}", fixture.name);
            }
        }
    }
    // In `async_raw.wat`, the caller's async lowers of `ready` and `later`
    // are async calls (tasks that move a number: fixups); `close` is a
    // plain sync call of a function without values.
    let raw = meld_core::inspect(&raw_component().wasm).expect("inspects");
    let kinds: Vec<(&str, meld_core::AdapterKind)> = raw
        .adapters
        .iter()
        .map(|a| (a.name.as_str(), a.kind.clone()))
        .collect();
    use meld_core::AdapterKind::{Direct, Fixup};
    assert_eq!(
        kinds,
        [("ready", Fixup), ("later", Fixup), ("close", Direct)]
    );
}

/// `async_ends.wat`: stream and future ends and error contexts passed
/// between inner components in sync calls (readable ends move between
/// the components' tables): codes, events, bytes, a future's value, an
/// error context copied, an end passed on through a third component,
/// cancels after some bytes went through, and the traps of passing a
/// writable end, an end in a waitable set and an end whose read is
/// pending.
#[test]
fn async_ends() {
    check_async_wat(
        "async-ends (WAT)",
        include_str!("async_ends.wat"),
        &[
            ("run", u32s(&[6]), "[[1]]"),
            ("run", u32s(&[8]), "[[4294967295, 2, 32097, 3, 1, 33]]"),
            (
                "run",
                u32s(&[0]),
                "[[4294967295, 64, 2, 1, 64, 1684234849, 1, 3]]",
            ),
            ("run", u32s(&[1]), "[[4294967295, 77, 5, 5, 0]]"),
            ("run", u32s(&[2]), "[[5, 1, 4111]]"),
            ("run", u32s(&[5]), "[[4294967295, 2, 1, 1, 0]]"),
            ("run", u32s(&[6]), "[[1]]"),
            ("run", u32s(&[8]), "[[4294967295, 5, 32097, 3, 6, 33]]"),
            ("run", u32s(&[9]), "[[4294967295, 64, 66]]"),
            ("run", u32s(&[10]), "[[4294967295, 32, 34]]"),
            (
                "run",
                u32s(&[3]),
                "trap: handle is not a readable end of a stream",
            ),
            (
                "run",
                u32s(&[4]),
                "trap: cannot lift stream while it's in a waitable set",
            ),
            ("run", u32s(&[7]), "trap: cannot remove busy stream"),
        ],
    );
}

/// `async_native.wat`: streams and futures of strings between two inner
/// components, which meld carries itself (wasmtime would not copy their
/// elements within the one fused instance): codes, events, partial
/// reads, zero-length writes, cancels, drops, the strings copied into the
/// reader's memory with its `realloc`, a stream of futures, an error
/// context passed as a value in a future, and the traps of a future
/// written twice, of a stream of strings used within one original
/// instance and of a future's writer dropped first.
#[test]
fn async_native_streams() {
    check_async_wat(
        "async-native (WAT)",
        include_str!("async_native.wat"),
        &[
            (
                "run",
                u32s(&[0]),
                "[[4294967295, 32, 3, 2, 32, 5, 1819043176, 3, 7499639, 4294967295, 32, 1, 120, 1, 121, 16, …(24 items)]]",
            ),
            ("run", u32s(&[1]), "[[4294967295, 7, 5, 4, 0]]"),
            (
                "run",
                u32s(&[2]),
                "[[4294967295, 4294967295, 2, 3, 5, 0, 4294967295, 16, 3, 5, 16, 5, 1819043176, 0, 0]]",
            ),
            ("run", u32s(&[3]), "[[4294967295, 2, 4294967295, 2]]"),
            ("run", u32s(&[5]), "[[4294967295, 3, 5, 1]]"),
            (
                "run",
                u32s(&[7]),
                "[[4294967295, 4294967295, 1620099, 5, 8, 0, 3, 10, 17]]",
            ),
            ("run", u32s(&[8]), "[[11, 4294967295, 104111, 5, 8, 0]]"),
            ("run", u32s(&[12]), "[[1]]"),
            (
                "run",
                u32s(&[0]),
                "[[4294967295, 32, 3, 12, 32, 5, 1819043176, 3, 7499639, 4294967295, 32, 1, 120, 1, 121, 16, …(24 items)]]",
            ),
            (
                "run",
                u32s(&[9]),
                "trap: cannot write to future after previous write succeeded or readable end dropped",
            ),
            (
                "run",
                u32s(&[4]),
                "trap: cannot read from and write to intra-component future/stream with non-numeric payload",
            ),
            (
                "run",
                u32s(&[10]),
                "trap: cannot read from and write to intra-component future/stream with non-numeric payload",
            ),
            (
                "run",
                u32s(&[11]),
                "trap: handle is a future of a different type",
            ),
            (
                "run",
                u32s(&[6]),
                "trap: cannot drop future write end without first writing a value",
            ),
        ],
    );
}

/// `async_stream_handles.wat`: own handles of a resource as a stream's
/// elements between components: they leave the writer's table for the
/// reader's (numbered there), and the reader's drop runs the destructor.
#[test]
fn async_stream_handles() {
    check_async_wat(
        "async-stream-handles (WAT)",
        include_str!("async_stream_handles.wat"),
        &[
            (
                "run",
                vec![],
                "[[1, 2, 4294967295, 32, 2, 3, 11, 3, 4, 33]]",
            ),
            (
                "run",
                vec![],
                "[[4, 1, 4294967295, 32, 2, 4, 11, 3, 5, 33]]",
            ),
        ],
    );
}

/// `async_sync_read.wat`: a blocking `stream.read` in a stackful task
/// waits until the other component writes; the caller sees the call
/// started, its write completed at once, and the subtask returned.
#[test]
fn async_sync_read() {
    check_async_wat(
        "async-sync-read (WAT)",
        include_str!("async_sync_read.wat"),
        &[
            ("run", vec![], "[[17, 64, 1, 1, 2, 64097]]"),
            ("run", vec![], "[[33, 64, 1, 2, 2, 64097]]"),
        ],
    );
}

/// `async_host_sync.wat`: inner async tasks that call the host's async
/// functions through sync lowers. A task whose host call is pending
/// blocks; its caller's async call sees it started, and the other task
/// runs meanwhile.
#[test]
fn async_host_sync_lowers() {
    check_async_wat(
        "async-host-sync (WAT)",
        include_str!("async_host_sync.wat"),
        &[
            // both return at once
            ("run", u32s(&[0, 0]), "[[2, 2, 1008, 1010]]"),
            // the first blocks (3 STARTED); the second waits for the
            // worker's instance (4 STARTING), then both return
            ("run", u32s(&[2, 0]), "[[49, 64, 3, 2, 4, 2, 1008, 1010]]"),
            ("run", u32s(&[0, 2]), "[[2, 49, 3, 2, 1008, 1010]]"),
            (
                "run",
                u32s(&[3, 1]),
                "[[81, 96, 5, 2, 6, 1, 6, 2, 1008, 1010]]",
            ),
            ("wait", u32s(&[2, 5]), "[1006]"),
            // the worker's task is blocked in a sync call, where it
            // cannot be cancelled: an async cancel is BLOCKED until the
            // task returns, a sync one waits and gives RETURNED
            ("cancel", u32s(&[0, 0]), "[[2, 1008]]"),
            ("cancel", u32s(&[2, 0]), "[[113, 4294967295, 7, 2, 1008]]"),
            ("cancel", u32s(&[2, 1]), "[[129, 2, 1008]]"),
            (
                "poke",
                u32s(&[0, 5]),
                "trap: wasm trap: cannot block a synchronous task before returning",
            ),
        ],
    );
}

/// `async_host_start.wat`: a start function's sync call of the host's
/// async function. Instantiation runs outside any task that may block, so
/// wasmtime traps before calling the host, whether or not the host would
/// answer at once; the fused output must trap the same way.
#[test]
fn async_host_calls_from_start_functions_trap() {
    for polls in ["0", "2"] {
        let wat = include_str!("async_host_start.wat").replace(
            "(i32.const 0) (i32.const 5)",
            &format!("(i32.const {polls}) (i32.const 5)"),
        );
        let fixture = Fixture {
            name: "async-host-start (WAT)",
            wasm: wat::parse_str(&wat).expect("async_host_start.wat parses"),
            is_command: false,
        };
        let calls = [("get", vec![])];
        let error = |wasm: &[u8]| match run_script_with_traps(wasm, &calls) {
            Ok(outcomes) => panic!("instantiation succeeded (polls {polls}): {outcomes:?}"),
            Err(error) => error.to_string(),
        };
        let original = error(&fixture.wasm);
        assert!(
            original.contains("cannot block a synchronous task before returning"),
            "original (polls {polls}): {original}"
        );
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let options = Options {
                memory,
                ..Options::default()
            };
            let fused = fuse(&[&fixture.wasm], &options).expect("fuses");
            validate(&fused.wasm).expect("the fused output validates");
            assert_eq!(error(&fused.wasm), original, "{memory:?}, polls {polls}");
        }
    }
}

/// `async_end_strings.wat`: a stream whose elements hold an end and a
/// string, written by `$a` and read by `$b`, in every pair of string
/// encodings. wasmtime lifts the elements into host strings (utf8) and
/// host ends, then lowers each into `$b`, so `$b`'s `realloc` sees a utf8
/// source, and what `$b` sees depends on its encoding alone; meld copies
/// them through its stage heap in utf8, the ends left in `$a`'s table
/// there and moved into `$b`'s once. The original's outcomes are pinned
/// for the utf8 pair; every pair must match the original, fused with both
/// memory strategies.
#[test]
fn stream_elements_with_ends_and_strings_in_other_encodings() {
    let source = include_str!("async_end_strings.wat");
    let words = |words: &[&str]| {
        let list = words.iter().map(|w| Val::String(w.to_string())).collect();
        vec![Val::List(list)]
    };
    let calls = [
        (
            "run",
            words(&["ab", "h\u{e9}llo", "\u{20ac}uro", "x\u{1F600}y"]),
        ),
        ("run", words(&["\u{ff}\u{ff}", "", "abc"])),
    ];
    let encodings = ["utf8", "utf16", "latin1+utf16"];
    let mut by_reader = std::collections::BTreeMap::new();
    for a in encodings {
        for b in encodings {
            let mut wat = source.to_string();
            for (canon, encoding) in [
                (
                    "(canon stream.read $out (memory $mem) (realloc $realloc) async)",
                    b,
                ),
                ("(canon stream.write $out (memory $mem) async)", a),
                (
                    "(canon lift (core func $i \"run\") (memory $mem) (realloc $realloc))",
                    a,
                ),
            ] {
                assert_eq!(wat.matches(canon).count(), 1, "{canon}");
                let kept = canon.strip_suffix(')').expect("a canon ends with `)`");
                wat = wat.replace(canon, &format!("{kept} string-encoding={encoding})"));
            }
            let fixture = Fixture {
                name: "async-end-strings (WAT)",
                wasm: wat::parse_str(&wat).expect("the variant parses"),
                is_command: false,
            };
            let original = run_script_with_traps(&fixture.wasm, &calls).expect("the original runs");
            println!("{a} -> {b}: {original:?}");
            // what `$b` sees does not depend on `$a`'s encoding
            let seen = by_reader.entry(b).or_insert_with(|| original.clone());
            assert_eq!(*seen, original, "{a} -> {b}");
            if (a, b) == ("utf8", "utf8") {
                // COMPLETED(4) and COMPLETED(3); the second call's ends
                // reuse the first one's handle numbers, last freed first
                assert_eq!(
                    original,
                    [
                        "[[64, 465732, 2, 2, 97, 3, 6, 104, 4, 6, 226, 5, 6, 120]]",
                        "[[48, 989736880, 4, 4, 195, 3, 0, 0, 2, 3, 97]]"
                    ]
                );
            }
            for (memory, fused) in fusions(&fixture) {
                let got = run_script_with_traps(&fused, &calls).expect("the fused output runs");
                assert_eq!(got, original, "{a} -> {b}, {memory:?}");
            }
        }
    }
}

/// `async_sync_root_waits.wat`: a sync root export called while another
/// root call's task holds its instance locked, blocked on the host, waits
/// for that call to return, as wasmtime has it wait to start; fused, the
/// host's call is held back by the fused component's backpressure, where
/// the sync task would otherwise have had to wait, and trapped. And the
/// same with a task that yields, its instance locked, instead
/// (`async_sync_root_yields.wat`).
#[test]
fn a_sync_root_export_waits_for_its_locked_instance() {
    for (name, wat, hold) in [
        (
            "async-sync-root-waits (WAT)",
            include_str!("async_sync_root_waits.wat"),
            "[1107]",
        ),
        (
            "async-sync-root-yields (WAT)",
            include_str!("async_sync_root_yields.wat"),
            "[1]",
        ),
    ] {
        let fixture = Fixture {
            name,
            wasm: wat::parse_str(wat).expect("the WAT parses"),
            is_command: false,
        };
        check_together_component(
            &fixture,
            &[("hold", u32s(&[3])), ("quick", Vec::new())],
            &[hold, "[11]", "finished 0, 1"],
            None,
        );
    }
}

/// In a caller's core function with locals `$status` (what an async
/// lower returned), `$s` and `$h`: unless the subtask returned at once,
/// waits (its result at 16, events at 32) until it returns, then drops it.
const WAIT_RETURNED: &str =
    "        (if (i32.ne (i32.and (local.get $status) (i32.const 15)) (i32.const 2))
          (then
            (local.set $h (i32.shr_u (local.get $status) (i32.const 4)))
            (local.set $s (call $new))
            (call $join (local.get $h) (local.get $s))
            (block $returned
              (loop $again
                (drop (call $wait (local.get $s) (i32.const 32)))
                (br_if $returned (i32.eq (i32.load (i32.const 36)) (i32.const 2)))
                (br $again)))
            (call $join (local.get $h) (i32.const 0))
            (call $drop-subtask (local.get $h))))
";

/// A caller making async calls of `n` functions of a worker, each a task
/// entry point of the fused runtime twice (its start and its return
/// half): `run(x)` calls `f0(x)` … `f{n-1}(x)`, lowered async (each
/// stackful `f{i}` returns `x + i` at once), and returns their sum.
/// Before session 36 meld refused more than 63 such entry points (its
/// scheduler's table of them had a fixed size).
fn many_async_calls(n: u32) -> String {
    let mut worker_funcs = String::new();
    let mut worker_lifts = String::new();
    let mut caller_imports = String::new();
    let mut caller_lowers = String::new();
    let mut caller_core_imports = String::new();
    let mut caller_with = String::new();
    let mut calls = String::new();
    let mut wiring = String::new();
    for i in 0..n {
        worker_funcs += &format!(
            "      (func (export \"f{i}\") (param i32) \
             (call $return (i32.add (local.get 0) (i32.const {i}))))\n"
        );
        worker_lifts += &format!(
            "    (func (export \"f{i}\") (type $f) (canon lift (core func $i \"f{i}\") async))\n"
        );
        caller_imports += &format!("    (import \"f{i}\" (func $f{i} (type $f)))\n");
        caller_lowers +=
            &format!("    (core func $f{i} (canon lower (func $f{i}) async (memory $mem)))\n");
        caller_core_imports +=
            &format!("      (import \"cm\" \"f{i}\" (func $f{i} (param i32 i32) (result i32)))\n");
        caller_with += &format!(" (export \"f{i}\" (func $f{i}))");
        calls += &format!("        (call $settle (call $f{i} (local.get $x) (i32.const 16)))\n");
        wiring += &format!(" (with \"f{i}\" (func $worker \"f{i}\"))");
    }
    format!(
        r#"(component
  (component $worker
    (type $f (func async (param "x" u32) (result u32)))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "cm" "return" (func $return (param i32)))
{worker_funcs}    )
    (core instance $i (instantiate $m (with "cm" (instance (export "return" (func $return))))))
{worker_lifts}  )
  (instance $worker (instantiate $worker))
  (component $caller
    (type $f (func async (param "x" u32) (result u32)))
{caller_imports}    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
{caller_lowers}    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 1))
{caller_core_imports}      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32)))
      (global $sum (mut i32) (i32.const 0))
      ;; a subtask's status: once it returned, its result is added
      (func $settle (param $status i32)
        (local $s i32) (local $h i32)
{WAIT_RETURNED}        (global.set $sum (i32.add (global.get $sum) (i32.load (i32.const 16)))))
      (func (export "run") (param $x i32) (result i32)
        (global.set $sum (i32.const 0))
{calls}        (call $return (global.get $sum))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance{caller_with}
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask)) (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") (type $f)
      (canon lift (core func $i "run") async (callback $exit-cb))))
  (instance $caller (instantiate $caller{wiring}))
  (export "run" (func $caller "run")))
"#
    )
}

/// More task entry points than meld's scheduler table once held (64):
/// 40 async functions called across components, 82 entry points with the
/// root export's.
#[test]
fn many_task_entry_points() {
    check_async_wat(
        "many-async-calls (WAT)",
        many_async_calls(40),
        &[
            // 40 x + (0 + 1 + … + 39)
            ("run", u32s(&[1]), "[820]"),
            ("run", u32s(&[1000]), "[40780]"),
        ],
    );
}

/// A stackful task that suspends `depth` calls deep, each frame holding
/// 32 `i64`s across its call (over 256 bytes of saved frame a level):
/// `run(n)` calls the worker's `deep(n)` async; `deep` recurses `n`
/// levels, yields (`thread.yield`) at the bottom, and returns a sum of
/// every level's numbers. Fused, the yield saves every frame in the
/// task's save area: at depth 600, about 160 KiB, more than its first
/// 64 KiB (before session 36 that trapped).
fn deep_yield() -> String {
    let locals: String = (0..32).map(|i| format!(" (local $a{i} i64)")).collect();
    let sets: String = (0..32)
        .map(|i| {
            format!(
                "      (local.set $a{i} (i64.mul (i64.extend_i32_u (local.get $n)) (i64.const {})))\n",
                2 * i + 3
            )
        })
        .collect();
    let sum: String = (0..32)
        .map(|i| format!("      (local.set $r (i64.add (i64.rotl (local.get $r) (i64.const {})) (local.get $a{i})))\n", i + 1))
        .collect();
    format!(
        r#"(component
  (component $worker
    (type $deep (func async (param "n" u32) (result u64)))
    (core func $yield (canon thread.yield))
    (core func $return (canon task.return (result u64)))
    (core module $m
      (import "cm" "yield" (func $yield (result i32)))
      (import "cm" "return" (func $return (param i64)))
      (func $rec (param $n i32) (result i64)
        (local $r i64){locals}
        (if (i32.eqz (local.get $n))
          (then (drop (call $yield)) (return (i64.const 1))))
{sets}        (local.set $r (call $rec (i32.sub (local.get $n) (i32.const 1))))
{sum}        (local.get $r))
      (func (export "deep") (param $n i32) (call $return (call $rec (local.get $n)))))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "yield" (func $yield)) (export "return" (func $return))))))
    (func (export "deep") (type $deep) (canon lift (core func $i "deep") async)))
  (instance $worker (instantiate $worker))
  (component $caller
    (type $deep (func async (param "n" u32) (result u64)))
    (import "deep" (func $deep (type $deep)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $deep (canon lower (func $deep) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result u64)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "deep" (func $deep (param i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i64)))
      (func (export "run") (param $n i32) (result i32)
        (local $status i32) (local $s i32) (local $h i32)
        (local.set $status (call $deep (local.get $n) (i32.const 16)))
{WAIT_RETURNED}        (call $return (i64.load (i32.const 16)))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "deep" (func $deep))
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask)) (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") (type $deep)
      (canon lift (core func $i "run") async (callback $exit-cb))))
  (instance $caller (instantiate $caller (with "deep" (func $worker "deep"))))
  (export "run" (func $caller "run")))
"#
    )
}

/// A task's saved frames outgrow its first save area (see [`deep_yield`]):
/// fused, they move to a larger one, twice over at depth 600, and the task
/// resumes as the original does; a shallow call and one as deep again
/// after it (the task record, with its larger area, used again).
#[test]
fn deep_frames_outgrow_the_save_area() {
    let fixture = Fixture {
        name: "deep-yield (WAT)",
        wasm: wat::parse_str(deep_yield()).expect("the generated composition parses"),
        is_command: false,
    };
    let original = run_script_with_traps(
        &fixture.wasm,
        &[
            ("run", u32s(&[600])),
            ("run", u32s(&[3])),
            ("run", u32s(&[700])),
        ],
    )
    .expect("the original runs");
    assert!(
        original.iter().all(|r| !r.contains("trap")),
        "the original runs without trapping: {original:?}"
    );
    check_async_component(
        &fixture,
        &[
            ("run", u32s(&[600]), leak(&original[0])),
            ("run", u32s(&[3]), leak(&original[1])),
            ("run", u32s(&[700]), leak(&original[2])),
        ],
    );
}

/// A caller keeping `n` (at most 6,000) subtasks of a worker alive at
/// once: `run(n)` calls `slow(i)` async for i below n; each `slow` keeps
/// `i` in its context slot and yields (callback code YIELD), so it stays
/// queued until the caller waits on the set that holds every subtask;
/// then each returns 2 i + 1 and `run` returns their sum, n². `sets(n)`
/// makes `n` waitable sets, all alive at once, and drops them. Until
/// session 52 meld's runtime trapped beyond 4,096 tasks, queued tasks,
/// waitables and sets alive at once; wasmtime bounds them only by memory.
fn many_alive() -> &'static str {
    r#"(component
  (component $worker
    (type $f (func async (param "x" u32) (result u32)))
    (core func $return (canon task.return (result u32)))
    (core func $get (canon context.get i32 0))
    (core func $set (canon context.set i32 0))
    (core module $m
      (import "cm" "return" (func $return (param i32)))
      (import "cm" "get" (func $get (result i32)))
      (import "cm" "set" (func $set (param i32)))
      (func (export "slow") (param $x i32) (result i32)
        (call $set (local.get $x))
        (i32.const 1))
      (func (export "slow-cb") (param i32 i32 i32) (result i32)
        (call $return (i32.add (i32.shl (call $get) (i32.const 1)) (i32.const 1)))
        (i32.const 0)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "return" (func $return))
        (export "get" (func $get)) (export "set" (func $set))))))
    (alias core export $i "slow-cb" (core func $cb))
    (func (export "slow") (type $f) (canon lift (core func $i "slow") async (callback $cb))))
  (instance $worker (instantiate $worker))
  (component $caller
    (type $f (func async (param "x" u32) (result u32)))
    (import "slow" (func $slow (type $f)))
    (core module $memory (memory (export "mem") 2))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $slow (canon lower (func $slow) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-set (canon waitable-set.drop))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 2))
      (import "cm" "slow" (func $slow (param i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-set" (func $drop-set (param i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32)))
      ;; results at 65536 + 4 i
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $status i32) (local $s i32) (local $pending i32)
        (local $sum i32) (local $h i32)
        (local.set $n (i32.rem_u (local.get $n) (i32.const 6001)))
        (local.set $s (call $new))
        (block $made
          (loop $call
            (br_if $made (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $status
              (call $slow (local.get $i)
                (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 2)))))
            (if (i32.ne (i32.and (local.get $status) (i32.const 15)) (i32.const 2))
              (then
                (call $join (i32.shr_u (local.get $status) (i32.const 4)) (local.get $s))
                (local.set $pending (i32.add (local.get $pending) (i32.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $call)))
        (block $all
          (loop $again
            (br_if $all (i32.eqz (local.get $pending)))
            (drop (call $wait (local.get $s) (i32.const 32)))
            (if (i32.eq (i32.load (i32.const 36)) (i32.const 2))
              (then
                (local.set $h (i32.load (i32.const 32)))
                (call $join (local.get $h) (i32.const 0))
                (call $drop-subtask (local.get $h))
                (local.set $pending (i32.sub (local.get $pending) (i32.const 1)))))
            (br $again)))
        (call $drop-set (local.get $s))
        (local.set $i (i32.const 0))
        (block $summed
          (loop $add
            (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $sum
              (i32.add (local.get $sum)
                (i32.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $add)))
        (call $return (local.get $sum))
        (i32.const 0))
      ;; sets at 65536 + 4 i
      (func (export "sets") (param $n i32) (result i32)
        (local $i i32)
        (local.set $n (i32.rem_u (local.get $n) (i32.const 6001)))
        (block $made
          (loop $make
            (br_if $made (i32.ge_u (local.get $i) (local.get $n)))
            (i32.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 2)))
              (call $new))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $make)))
        (block $dropped
          (loop $drop
            (br_if $dropped (i32.eqz (local.get $i)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (call $drop-set
              (i32.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 2)))))
            (br $drop)))
        (call $return (local.get $n))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "slow" (func $slow))
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "drop-set" (func $drop-set)) (export "drop-subtask" (func $drop-subtask))
        (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") (type $f)
      (canon lift (core func $i "run") async (callback $exit-cb)))
    (func (export "sets") (type $f)
      (canon lift (core func $i "sets") async (callback $exit-cb))))
  (instance $caller (instantiate $caller (with "slow" (func $worker "slow"))))
  (export "run" (func $caller "run"))
  (export "sets" (func $caller "sets")))
"#
}

/// More tasks, queued tasks, subtasks and waitable sets alive at once than
/// meld's runtime held before session 52 (4,096 each; see [`many_alive`]):
/// 5,000 slow subtasks at once, twice (records and their chunks used
/// again), and 6,000 sets; fused, the runtime makes more chunks of
/// records and a larger ring as the original's tables grow.
#[test]
fn more_than_4096_alive_at_once() {
    check_async_wat(
        "many-alive (WAT)",
        many_alive(),
        &[
            ("run", u32s(&[5000]), "[25000000]"),
            ("sets", u32s(&[6000]), "[6000]"),
            ("run", u32s(&[5000]), "[25000000]"),
            ("run", u32s(&[3]), "[9]"),
        ],
    );
}

/// A caller and 1,200 instances of [`many_alive`]'s worker, 600 in each
/// of two instances of a component (a component holds at most 1,000
/// instances): the caller calls the last worker of the second group and
/// the first of the first, async-typed, with the sync ABI. meld's runtime
/// numbers every component instance of the composition, and kept the lock
/// and backpressure of only the first 1,024 until session 53: a call into
/// a later one trapped.
fn many_instances() -> String {
    let worker = many_alive()
        .split("(instance $worker (instantiate $worker))")
        .next()
        .expect("the worker comes first")
        .replacen("(component", "", 1);
    let mut wat = format!("(component\n  (component $group\n{worker}");
    for k in 0..600 {
        wat.push_str(&format!("    (instance $w{k} (instantiate $worker))\n"));
    }
    wat.push_str(
        r#"    (export "first" (func $w0 "slow"))
    (export "last" (func $w599 "slow")))
  (instance $g1 (instantiate $group))
  (instance $g2 (instantiate $group))
  (component $caller
    (type $f (func async (param "x" u32) (result u32)))
    (import "last" (func $last (type $f)))
    (import "other" (func $other (type $f)))
    (core func $last (canon lower (func $last)))
    (core func $other (canon lower (func $other)))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "cm" "last" (func $last (param i32) (result i32)))
      (import "cm" "other" (func $other (param i32) (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (func (export "run") (param $x i32) (result i32)
        (call $return (i32.add (call $last (local.get $x))
                               (i32.mul (call $other (local.get $x)) (i32.const 1000))))
        (i32.const 0))
      (func (export "cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "last" (func $last)) (export "other" (func $other))
        (export "return" (func $return))))))
    (alias core export $i "cb" (core func $cb))
    (func (export "run") (type $f) (canon lift (core func $i "run") async (callback $cb))))
  (instance $caller (instantiate $caller
    (with "last" (func $g2 "last")) (with "other" (func $g1 "first"))))
  (export "run" (func $caller "run")))
"#,
    );
    wat
}

/// Calls into component instances numbered past 1,024 (see
/// [`many_instances`]): slow(x) = 2x + 1 from each.
#[test]
fn calls_into_more_than_1024_instances() {
    check_async_wat(
        "many-instances (WAT)",
        many_instances(),
        &[
            ("run", u32s(&[5]), "[11011]"),
            ("run", u32s(&[20]), "[41041]"),
        ],
    );
}

/// `text` for a [`Call`]'s expected outcome (computed, not written out).
fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

/// `async_exceptions.wat`: an exception leaving an async-lifted function
/// (at once or from its callback), called with the sync or the async ABI,
/// or leaving the caller's realloc that the callee's `task.return` calls,
/// traps as in wasmtime 48; the other component's `try_table` never
/// catches it (`adapt/barrier.rs`). A stackful task suspended inside its
/// own `try_table` catches its own exception once resumed, and one that
/// waits holding an `exnref` rethrows it after (refused before session
/// 51: the saved frame could not hold the reference).
#[test]
fn async_exceptions() {
    let fixture = Fixture {
        name: "async-exceptions (WAT)",
        wasm: wat::parse_str(include_str!("async_exceptions.wat"))
            .expect("async_exceptions.wat parses"),
        is_command: false,
    };
    // (wasmtime 48's messages: the exception reaches its event loop; the
    // realloc's, under `task.return`, leaves the task's state behind)
    let uncaught = "trap: thrown Wasm exception";
    let script: &[Call] = &[
        ("fine", u32s(&[4]), "[]"),
        ("sync", vec![Val::Bool(true)], uncaught),
        ("sync", vec![Val::Bool(false)], uncaught),
        ("async", vec![Val::Bool(true)], uncaught),
        ("async", vec![Val::Bool(false)], uncaught),
        ("text", vec![], "trap: resource not present"),
        ("fine", u32s(&[6]), "[]"),
        ("resume", vec![], "[]"),
        ("slow", vec![], "[]"),
        ("cleanup", vec![], "[]"),
    ];
    check_async_component(&fixture, script);
    // Each trap is the barrier's: without it the exception unwinds into
    // the caller or meld's runtime and traps elsewhere, or reaches the
    // host (wasmtime's "thrown Wasm exception").
    let calls: Vec<(&str, Vec<Val>)> = script.iter().map(|(p, a, _)| (*p, a.clone())).collect();
    for (memory, fused) in fusions(&fixture) {
        for (line, (_, _, original)) in run_script_with_traps(&fused, &calls)
            .expect("the fused output runs")
            .iter()
            .zip(script)
        {
            if original.starts_with("trap") {
                assert_eq!(
                    line, "trap: wasm trap: wasm `unreachable` instruction executed",
                    "{memory:?}"
                );
            }
        }
    }
}

/// The component model's cooperative threads (`thread.index`,
/// `thread.new-indirect`, `thread.suspend`, ...) are not fused yet: a
/// typed `unsupported` error names the built-in (it said "async builtins
/// other than calls and tasks (streams, futures, error-context,
/// threads)" until session 51, when streams, futures and error contexts
/// had long been fused).
#[test]
fn thread_builtins_are_refused_by_name() {
    for (builtin, signature) in [
        ("thread.index", "(result i32)"),
        ("thread.resume-later", "(param i32)"),
    ] {
        let text = format!(
            r#"(component
              (core func $b (canon {builtin}))
              (core module $m
                (import "" "b" (func {signature}))
                (func (export "f")))
              (core instance $i (instantiate $m (with "" (instance (export "b" (func $b))))))
              (func (export "f") (canon lift (core func $i "f"))))"#
        );
        let wasm = wat::parse_str(&text).expect("the WAT parses");
        let error = fuse(&[&wasm], &Options::default()).expect_err("refused");
        assert_eq!(error.kind(), meld_core::ErrorKind::Unsupported, "{error}");
        assert!(
            error
                .message()
                .contains(&format!("`{builtin}` built-ins (cooperative threads)")),
            "{error}"
        );
    }
}

/// [`many_alive`] with a worker lifted without a callback (stackful) that
/// yields once with its frame saved before it returns 2x + 1.
fn many_stackful() -> String {
    let stackful = r#"(component $worker
    (type $f (func async (param "x" u32) (result u32)))
    (core func $return (canon task.return (result u32)))
    (core func $yield (canon thread.yield))
    (core module $m
      (import "cm" "return" (func $return (param i32)))
      (import "cm" "yield" (func $yield (result i32)))
      (func (export "slow") (param $x i32)
        (drop (call $yield))
        (call $return (i32.add (i32.shl (local.get $x) (i32.const 1)) (i32.const 1)))))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "return" (func $return)) (export "yield" (func $yield))))))
    (func (export "slow") (type $f) (canon lift (core func $i "slow") async)))"#;
    with_worker(stackful)
}

/// [`many_alive`] with `worker` (a component `$worker` exporting `slow`)
/// in place of its worker.
fn with_worker(worker: &str) -> String {
    let text = many_alive();
    let start = text.find("(component $worker").expect("the worker");
    let end = text.find("(instance $worker").expect("its instance");
    format!("{}{worker}\n  {}", &text[..start], &text[end..])
}

/// 6,000 stackful tasks suspended at once, each with its frame saved (see
/// [`many_stackful`]). Until session 53 a task's first save area was 64
/// KiB, so with `--memory shared` the runtime's region (64 MiB) was full
/// after about 1,000 of them and the fused component trapped where
/// wasmtime goes on; areas now start at 1 KiB and double as frames need.
#[test]
fn many_stackful_tasks_suspended_at_once() {
    check_async_wat(
        "many-stackful (WAT)",
        many_stackful(),
        &[
            ("run", u32s(&[6000]), "[36000000]"),
            ("run", u32s(&[3]), "[9]"),
        ],
    );
}

/// `n` futures (the readable end dropped, the writable one kept), streams
/// (both ends dropped) and error contexts alive at once in one component,
/// made then dropped; returns the sum of the futures' readable handles
/// (wasmtime's numbering, which meld's tables follow).
const MANY_ENDS: &str = r#"(component
  (component $a
    (type $num (future u32))
    (type $bytes (stream u8))
    (core module $memory (memory (export "mem") 16))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $f-new (canon future.new $num))
    (core func $f-drop-w (canon future.drop-writable $num))
    (core func $f-drop-r (canon future.drop-readable $num))
    (core func $s-new (canon stream.new $bytes))
    (core func $s-drop-w (canon stream.drop-writable $bytes))
    (core func $s-drop-r (canon stream.drop-readable $bytes))
    (core func $e-new (canon error-context.new (memory $mem)))
    (core func $e-drop (canon error-context.drop))
    (core module $m
      (import "mem" "mem" (memory 16))
      (import "cm" "f-new" (func $f-new (result i64)))
      (import "cm" "f-drop-w" (func $f-drop-w (param i32)))
      (import "cm" "f-drop-r" (func $f-drop-r (param i32)))
      (import "cm" "s-new" (func $s-new (result i64)))
      (import "cm" "s-drop-w" (func $s-drop-w (param i32)))
      (import "cm" "s-drop-r" (func $s-drop-r (param i32)))
      (import "cm" "e-new" (func $e-new (param i32 i32) (result i32)))
      (import "cm" "e-drop" (func $e-drop (param i32)))
      (func (export "many") (param $n i32) (result i32)
        (local $i i32) (local $p i64) (local $sum i32)
        (local.set $n (i32.rem_u (local.get $n) (i32.const 20001)))
        (loop $make
          (if (i32.lt_u (local.get $i) (local.get $n))
            (then
              (local.set $p (call $f-new))
              (i64.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3))) (local.get $p))
              (local.set $p (call $s-new))
              (i64.store (i32.add (i32.const 393216) (i32.shl (local.get $i) (i32.const 3))) (local.get $p))
              (i32.store (i32.add (i32.const 262144) (i32.shl (local.get $i) (i32.const 2)))
                (call $e-new (i32.const 0) (i32.const 0)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $make))))
        (loop $drop
          (if (local.get $i)
            (then
              (local.set $i (i32.sub (local.get $i) (i32.const 1)))
              (local.set $p (i64.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3)))))
              (local.set $sum (i32.add (local.get $sum) (i32.wrap_i64 (local.get $p))))
              (call $f-drop-r (i32.wrap_i64 (local.get $p)))
              (local.set $p (i64.load (i32.add (i32.const 393216) (i32.shl (local.get $i) (i32.const 3)))))
              (call $s-drop-w (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))
              (call $s-drop-r (i32.wrap_i64 (local.get $p)))
              (call $e-drop (i32.load (i32.add (i32.const 262144) (i32.shl (local.get $i) (i32.const 2)))))
              (br $drop))))
        (local.get $sum)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "f-new" (func $f-new)) (export "f-drop-w" (func $f-drop-w))
        (export "f-drop-r" (func $f-drop-r)) (export "s-new" (func $s-new))
        (export "s-drop-w" (func $s-drop-w)) (export "s-drop-r" (func $s-drop-r))
        (export "e-new" (func $e-new)) (export "e-drop" (func $e-drop))))))
    (func (export "many") (param "n" u32) (result u32) (canon lift (core func $i "many"))))
  (instance $a (instantiate $a))
  (component $b
    (import "many" (func $many (param "n" u32) (result u32)))
    (core func $many (canon lower (func $many)))
    (core module $m
      (import "x" "many" (func $many (param i32) (result i32)))
      (func (export "run") (param i32) (result i32) (call $many (local.get 0))))
    (core instance $i (instantiate $m (with "x" (instance (export "many" (func $many))))))
    (func (export "run") (param "n" u32) (result u32) (canon lift (core func $i "run"))))
  (instance $b (instantiate $b (with "many" (func $a "many"))))
  (export "run" (func $b "run")))"#;

/// wasmtime 48 traps when a store holds more than 100,000 handles at once
/// (its default `max_component_handles`, a bound the embedder sets on the
/// host memory its tables use, not a rule of the component model). Fused,
/// the handles between inner components live in the module's own tables,
/// which that bound does not reach: 13,000 of each kind (65,000 handles)
/// behave alike; 20,000 of each (100,000 handles besides the call's own)
/// trap in the original and go on fused. The README says so ("Limits of
/// meld's runtime").
#[test]
fn more_handles_than_wasmtimes_store_limit() {
    let fixture = Fixture {
        name: "many-ends (WAT)",
        wasm: wat::parse_str(MANY_ENDS).expect("the composition parses"),
        is_command: false,
    };
    // (each call in an instance of its own: the kept writable ends stay)
    let each = |wasm: &[u8]| -> Vec<String> {
        [13000, 20000]
            .iter()
            .flat_map(|&n| run_script_with_traps(wasm, &[("run", u32s(&[n]))]).expect("it runs"))
            .collect()
    };
    assert_eq!(
        each(&fixture.wasm),
        [
            "[422480500]",
            "trap: cannot allocate another handle: store handle limit exceeded"
        ]
    );
    for (memory, fused) in fusions(&fixture) {
        assert_eq!(each(&fused), ["[422480500]", "[999970000]"], "{memory:?}");
    }
}

/// [`many_alive`] with a worker whose first call (x = 0) sets
/// backpressure until its callback, so every later call parks (STARTING)
/// until then; each returns 2x + 1.
fn many_parked() -> String {
    let worker = r#"(component $worker
    (type $f (func async (param "x" u32) (result u32)))
    (core func $return (canon task.return (result u32)))
    (core func $get (canon context.get i32 0))
    (core func $set (canon context.set i32 0))
    (core func $bp-inc (canon backpressure.inc))
    (core func $bp-dec (canon backpressure.dec))
    (core module $m
      (import "cm" "return" (func $return (param i32)))
      (import "cm" "get" (func $get (result i32)))
      (import "cm" "set" (func $set (param i32)))
      (import "cm" "bp-inc" (func $bp-inc))
      (import "cm" "bp-dec" (func $bp-dec))
      (func (export "slow") (param $x i32) (result i32)
        (call $set (local.get $x))
        (if (i32.eqz (local.get $x)) (then (call $bp-inc)))
        (i32.const 1))
      (func (export "slow-cb") (param i32 i32 i32) (result i32)
        (if (i32.eqz (call $get)) (then (call $bp-dec)))
        (call $return (i32.add (i32.shl (call $get) (i32.const 1)) (i32.const 1)))
        (i32.const 0)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "return" (func $return))
        (export "get" (func $get)) (export "set" (func $set))
        (export "bp-inc" (func $bp-inc)) (export "bp-dec" (func $bp-dec))))))
    (alias core export $i "slow-cb" (core func $cb))
    (func (export "slow") (type $f) (canon lift (core func $i "slow") async (callback $cb))))"#;
    with_worker(worker)
}

/// 6,000 calls parked on one instance at once (see [`many_parked`]): the
/// runtime keeps parked starts in task order, and until session 53 each
/// one walked the list to its end, so with `--memory shared` 6,000 of
/// them ran out of the harness's 500 million units of fuel; a start now
/// parks after the last one at once.
#[test]
fn many_calls_parked_at_once() {
    check_async_wat(
        "many-parked (WAT)",
        many_parked(),
        &[
            ("run", u32s(&[6000]), "[36000000]"),
            ("run", u32s(&[3]), "[9]"),
        ],
    );
}

/// `$a.run(n)` makes `n` byte streams and gives each readable end to `$b`,
/// which reads a byte of each at once (pending: nothing written yet) and
/// joins the end to one waitable set; `$a` then writes one byte to each
/// and drops its writable ends, and `$b.collect` (stackful) takes the `n`
/// events, sums the bytes and the events' payloads and drops its ends.
const MANY_PENDING_READS: &str = r#"(component
  (type $bytes (stream u8))
  (component $b
    (type $bytes (stream u8))
    (type $f (func async (param "n" u32) (result u32)))
    (core module $memory (memory (export "mem") 8))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $s-read (canon stream.read $bytes (memory $mem) async))
    (core func $s-drop-r (canon stream.drop-readable $bytes))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 8))
      (import "cm" "s-read" (func $s-read (param i32 i32 i32) (result i32)))
      (import "cm" "s-drop-r" (func $s-drop-r (param i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "return" (func $return (param i32)))
      (global $n (mut i32) (i32.const 0))
      (global $set (mut i32) (i32.const 0))
      ;; reads one byte of each end given, into 65536 + its handle
      (func (export "take") (param $h i32) (result i32)
        (local $r i32)
        (if (i32.eqz (global.get $set)) (then (global.set $set (call $new))))
        (local.set $r (call $s-read (local.get $h) (i32.add (i32.const 65536) (local.get $h)) (i32.const 1)))
        (if (i32.eq (local.get $r) (i32.const -1))
          (then (call $join (local.get $h) (global.get $set))))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (local.get $r))
      ;; waits for every read, sums the bytes read, drops the ends
      (func (export "collect") (param $x i32)
        (local $sum i32) (local $h i32)
        (loop $more
          (if (global.get $n)
            (then
              (drop (call $wait (global.get $set) (i32.const 16)))
              (local.set $h (i32.load (i32.const 16)))
              (local.set $sum (i32.add (local.get $sum)
                (i32.add (i32.load8_u (i32.add (i32.const 65536) (local.get $h)))
                         (i32.mul (i32.load (i32.const 20)) (i32.const 1000)))))
              (call $join (local.get $h) (i32.const 0))
              (call $s-drop-r (local.get $h))
              (global.set $n (i32.sub (global.get $n) (i32.const 1)))
              (br $more))))
        (call $return (local.get $sum))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "s-read" (func $s-read)) (export "s-drop-r" (func $s-drop-r))
        (export "new" (func $new)) (export "wait" (func $wait)) (export "join" (func $join))
        (export "return" (func $return))))))
    (func (export "take") (param "s" $bytes) (result s32) (canon lift (core func $i "take")))
    (func (export "collect") (type $f) (canon lift (core func $i "collect") async)))
  (instance $b (instantiate $b))
  (component $a
    (type $bytes (stream u8))
    (type $f (func async (param "n" u32) (result u32)))
    (import "take" (func $take (param "s" $bytes) (result s32)))
    (import "collect" (func $collect (type $f)))
    (core module $memory (memory (export "mem") 4))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $s-new (canon stream.new $bytes))
    (core func $s-write (canon stream.write $bytes (memory $mem) async))
    (core func $s-drop-w (canon stream.drop-writable $bytes))
    (core func $take (canon lower (func $take)))
    (core func $collect (canon lower (func $collect)))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 4))
      (import "cm" "s-new" (func $s-new (result i64)))
      (import "cm" "s-write" (func $s-write (param i32 i32 i32) (result i32)))
      (import "cm" "s-drop-w" (func $s-drop-w (param i32)))
      (import "cm" "take" (func $take (param i32) (result i32)))
      (import "cm" "collect" (func $collect (param i32) (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $p i64) (local $sum i32)
        (local.set $n (i32.rem_u (local.get $n) (i32.const 30001)))
        (loop $make
          (if (i32.lt_u (local.get $i) (local.get $n))
            (then
              (local.set $p (call $s-new))
              (i32.store (i32.shl (local.get $i) (i32.const 2))
                (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))
              (local.set $sum (i32.add (local.get $sum) (call $take (i32.wrap_i64 (local.get $p)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $make))))
        ;; one byte (its number) to each, then the writable ends go
        (local.set $i (i32.const 0))
        (loop $write
          (if (i32.lt_u (local.get $i) (local.get $n))
            (then
              (i32.store8 (i32.const 200000) (local.get $i))
              (local.set $sum (i32.add (local.get $sum)
                (call $s-write (i32.load (i32.shl (local.get $i) (i32.const 2)))
                               (i32.const 200000) (i32.const 1))))
              (call $s-drop-w (i32.load (i32.shl (local.get $i) (i32.const 2))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $write))))
        (call $return (i32.add (local.get $sum) (call $collect (local.get $n))))
        (i32.const 0))
      (func (export "cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "s-new" (func $s-new)) (export "s-write" (func $s-write))
        (export "s-drop-w" (func $s-drop-w)) (export "take" (func $take))
        (export "collect" (func $collect)) (export "return" (func $return))))))
    (alias core export $i "cb" (core func $cb))
    (func (export "run") (type $f) (canon lift (core func $i "run") async (callback $cb))))
  (instance $a (instantiate $a (with "take" (func $b "take")) (with "collect" (func $b "collect"))))
  (export "run" (func $a "run")))"#;

/// 20,000 stream reads between two components pending at once, each met
/// by a write, their events taken from one set (see [`MANY_PENDING_READS`]):
/// the same bytes, payloads and handles fused as in wasmtime 48.
#[test]
fn many_stream_reads_pending_at_once() {
    check_async_wat(
        "many-pending-reads (WAT)",
        MANY_PENDING_READS,
        &[
            ("run", u32s(&[20000]), "[342846416]"),
            ("run", u32s(&[7]), "[119126]"),
        ],
    );
}
