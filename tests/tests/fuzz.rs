//! The fuzz targets of `fuzz/`, run as ordinary tests: a few hundred
//! deterministic mutations of the fixtures (bit flips, byte overwrites,
//! truncations, insertions), as `fuzz_targets/fuse.rs` does, and a few
//! hundred seeds of the `bytes` target's driver (`fuzz/src/lib.rs`:
//! wasm-smith modules as they are, wrapped into components and composed,
//! wasm-smith components, raw bytes). Each must give an error (never an
//! internal one) or an output that validates. A panic fails the test.

use std::collections::BTreeMap;

use meld_core::{Options, OutputKind, fuse};

#[path = "../../fuzz/src/lib.rs"]
mod driver;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len());
        match rng.below(4) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = rng.next() as u8,
            2 => data.truncate(at),
            _ => data.insert(at, rng.next() as u8),
        }
        if data.is_empty() {
            break;
        }
    }
    data
}

#[test]
fn mutated_fixtures_never_panic_the_engine() {
    let fixtures = meld_tests::fixtures::all().expect("fixtures build");
    let mut rng = Rng(0x6d65_6c64_2d66_757a);
    let (mut ok, mut errors) = (0, 0);
    for i in 0..300 {
        let fixture = &fixtures[i % fixtures.len()];
        let data = mutate(&mut rng, &fixture.wasm);
        let output = if i % 2 == 0 {
            OutputKind::Component
        } else {
            OutputKind::Core
        };
        match fuse(
            &[&data],
            &Options {
                output,
                ..Options::default()
            },
        ) {
            Ok(fused) => {
                wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                    .validate_all(&fused.wasm)
                    .unwrap_or_else(|e| {
                        panic!("iteration {i} ({}): invalid output: {e}", fixture.name)
                    });
                ok += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains('\n'), "errors are one line: {e}");
                errors += 1;
            }
        }
    }
    println!("300 mutated inputs: {ok} fused, {errors} rejected with an error");
}

/// The same over the async fixtures and the async `.wat` compositions
/// (meld's async runtime in the pipeline), with either memory strategy:
/// an error (never an internal one) or an output that validates.
#[test]
fn mutated_async_fixtures_never_panic_the_engine() {
    let inputs = meld_tests::fixtures::async_inputs().expect("async inputs build");
    let mut rng = Rng(0x6173_796e_632d_6675);
    let (mut ok, mut errors) = (0, 0);
    for i in 0..300 {
        let (name, wasm) = &inputs[i % inputs.len()];
        let data = mutate(&mut rng, wasm);
        let memory = match i % 2 {
            0 => meld_core::MemoryStrategy::Multi,
            _ => meld_core::MemoryStrategy::Shared,
        };
        let options = Options {
            memory,
            ..Options::default()
        };
        match fuse(&[&data], &options) {
            Ok(fused) => {
                wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                    .validate_all(&fused.wasm)
                    .unwrap_or_else(|e| panic!("iteration {i} ({name}): invalid output: {e}"));
                ok += 1;
            }
            Err(e) => {
                assert_ne!(
                    e.kind(),
                    meld_core::ErrorKind::Internal,
                    "iteration {i} ({name}): {e}"
                );
                errors += 1;
            }
        }
    }
    println!("300 mutated async inputs: {ok} fused, {errors} rejected with an error");
}

/// The `bytes` fuzz target's driver over deterministic pseudo-random bytes.
/// Besides the oracle (checked by `driver::check`), the generators must
/// give inputs meld fuses, with calls between components that need
/// adapters: that shows the wrapping is valid, so the fuzzer gets past
/// decoding to the stages that plan and generate adapters.
#[test]
fn generated_inputs_never_panic_the_engine() {
    let mut rng = Rng(0x7761_736d_2d73_6d69);
    let mut outcomes: BTreeMap<driver::Kind, (usize, usize)> = BTreeMap::new();
    let (mut fixups, mut copies) = (0, 0);
    for i in 0..600 {
        let len = 16 + rng.below(6000);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let Ok(case) = driver::case(&data) else {
            continue;
        };
        let result = std::panic::catch_unwind(|| driver::check(&case)).unwrap_or_else(|panic| {
            eprintln!("seed {i} ({:?}, {:?}) failed", case.kind, case.options);
            std::panic::resume_unwind(panic)
        });
        let counts = outcomes.entry(case.kind).or_default();
        match result {
            Ok(stats) => {
                counts.0 += 1;
                fixups += stats.adapters_fixup;
                copies += stats.adapters_copy + stats.adapters_transcode;
            }
            Err(_) => counts.1 += 1,
        }
    }
    println!(
        "600 seeds (kind: fused, rejected): {outcomes:?}; {fixups} checking and {copies} copying adapters"
    );
    for kind in [driver::Kind::Wrapped, driver::Kind::Composed] {
        let (fused, _) = outcomes.get(&kind).copied().unwrap_or_default();
        assert!(
            fused >= 30,
            "only {fused} {kind:?} inputs fused: {outcomes:?}"
        );
    }
    assert!(
        fixups >= 5 && copies >= 1,
        "{fixups} checking and {copies} copying adapters"
    );
}

/// Generated code run, not only fused: `driver::runnable` compositions
/// (two `wasm-smith` modules, each wrapped into a component with up to
/// three memories of its own, one calling the other) fused with each
/// memory strategy and compared with the original by the differential
/// harness: every export called with generated arguments, results and
/// traps compared call by call. `--memory shared` rewrites every memory
/// access of the generated code (region checks, checks reused across
/// blocks and loops, the one trap after the body), so an access that
/// leaves its memory must trap fused where it traps in the original, and
/// one that does not must read what the original reads.
///
/// `MELD_FUZZ_RUN_FIRST` and `MELD_FUZZ_RUN_SEEDS` pick other seeds (400
/// from 0 by default).
#[test]
fn generated_code_runs_the_same_fused() {
    use meld_core::{ErrorKind, MemoryStrategy};
    use meld_tests::harness::{CompareOptions, compare, instantiates};
    let (first, seeds) = run_seeds(400);
    let engine = meld_tests::harness::engine().expect("the harness's engine");
    let compare_options = CompareOptions {
        calls_per_function: 8,
        fuel: 50_000_000,
        mismatches_per_function: 2,
        ..CompareOptions::default()
    };
    let (mut generated, mut compared, mut calls, mut returned) = (0, 0, 0, 0);
    let (mut instantiation_traps, mut with_tags, mut with_gc) = (0, 0, 0);
    let mut throwing = 0;
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for seed in first..first + seeds {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let len = 512 + rng.below(8192);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let Some(original) = driver::runnable(&data) else {
            continue;
        };
        // wasm-smith may still give what wasmtime does not run by default
        if wasmtime::component::Component::new(engine, &original).is_err() {
            *refused.entry("wasmtime".into()).or_default() += 1;
            continue;
        }
        generated += 1;
        if defines_tags(&original) {
            with_tags += 1;
            throwing += usize::from(throws(&original));
        }
        if uses_gc_types(&original) {
            with_gc += 1;
        }
        for memory in [MemoryStrategy::Shared, MemoryStrategy::Multi] {
            let options = Options {
                memory,
                ..Options::default()
            };
            let fused = match fuse(&[&original], &options) {
                Ok(fused) => fused.wasm,
                Err(e) => {
                    assert_ne!(
                        e.kind(),
                        ErrorKind::Internal,
                        "seed {seed} ({memory:?}): {e}"
                    );
                    let reason: String = e.to_string().chars().take(60).collect();
                    *refused.entry(reason).or_default() += 1;
                    continue;
                }
            };
            let report = match compare(&original, &fused, &compare_options) {
                Ok(report) => report,
                // a data segment or start function that traps: the fused
                // one must trap as it is instantiated too
                Err(_) if !instantiates(&original).expect("the harness's engine") => {
                    assert!(
                        !instantiates(&fused).expect("the harness's engine"),
                        "seed {seed} ({memory:?}): the original traps as it is instantiated, \
                         the fused one does not"
                    );
                    instantiation_traps += 1;
                    continue;
                }
                Err(e) => panic!("seed {seed} ({memory:?}): {e:#}"),
            };
            assert!(
                report.is_clean(),
                "seed {seed} ({memory:?}): original and fused differ:\n{report}"
            );
            compared += 1;
            calls += report.calls;
            returned += report.returned;
        }
    }
    println!(
        "{seeds} seeds: {generated} runnable compositions, {compared} fusions compared \
         ({calls} calls, {returned} returned), {instantiation_traps} trapping as both were \
         instantiated, {with_tags} defining tags ({throwing} of them with a throw: exception \
         barriers), {with_gc} with GC types; refused: {refused:?}"
    );
    assert!(
        compared >= seeds as usize / 4 && returned >= calls / 10,
        "too little ran: {compared} fusions compared, {returned} of {calls} calls returned"
    );
    assert!(
        seeds < 100 || with_tags * 10 >= generated,
        "only {with_tags} of {generated} compositions define tags"
    );
    // both sides of the barrier rule: tags with and without a throw
    assert!(
        seeds < 100 || (throwing * 100 >= generated && (with_tags - throwing) * 40 >= generated),
        "of {with_tags} compositions defining tags, {throwing} have a throw"
    );
    assert!(
        seeds < 100 || with_gc * 20 >= generated,
        "only {with_gc} of {generated} compositions have GC types"
    );
}

/// Whether a core module of `component` has a type other than a function
/// type or a recursive type group (the GC proposal's).
fn uses_gc_types(component: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(component)
        .filter_map(|p| match p {
            Ok(wasmparser::Payload::TypeSection(s)) => Some(s),
            _ => None,
        })
        .flatten()
        .filter_map(Result::ok)
        .any(|group| {
            group.is_explicit_rec_group()
                || group.types().any(|t| {
                    !matches!(
                        t.composite_type.inner,
                        wasmparser::CompositeInnerType::Func(_)
                    )
                })
        })
}

/// Whether a core module of `component` has an instruction that throws
/// (only a component with one gets exception barriers).
fn throws(component: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(component)
        .filter_map(|p| match p {
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => Some(body),
            _ => None,
        })
        .any(|body| {
            body.get_operators_reader().is_ok_and(|mut ops| {
                while !ops.eof() {
                    match ops.read() {
                        Ok(
                            wasmparser::Operator::Throw { .. }
                            | wasmparser::Operator::ThrowRef
                            | wasmparser::Operator::Rethrow { .. },
                        ) => return true,
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
                false
            })
        })
}

/// Whether a core module of `component` defines a tag.
fn defines_tags(component: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(component)
        .any(|p| matches!(p, Ok(wasmparser::Payload::TagSection(t)) if t.count() > 0))
}

/// The first seed and how many, of a test running generated code:
/// `MELD_FUZZ_RUN_FIRST` (0 unless set) and `MELD_FUZZ_RUN_SEEDS`
/// (`default` unless set).
fn run_seeds(default: u64) -> (u64, u64) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    (
        env("MELD_FUZZ_RUN_FIRST").unwrap_or(0),
        env("MELD_FUZZ_RUN_SEEDS").unwrap_or(default),
    )
}

/// Programs that stress memory accesses (`meld_tests::fuzzing::accesses`:
/// addresses near the memories' ends kept in locals, offsets across
/// them, the same local accessed again inside blocks, loops and
/// branches, `memory.grow`, bulk copies between memories, SIMD lanes),
/// fused with each memory strategy and compared by the differential
/// harness. In shared mode every such access leaves the generated code's
/// memory only where the original traps: a check reused where it does not
/// cover the access would let a load read another region instead.
///
/// Each seed is fused with `--memory shared`, every third also with
/// `multi`. Each of ten one-line mistakes in the rewrite (a check
/// covering any offset, or one byte too far, or another memory; a loop's,
/// a block's or an `else`'s start keeping what does not hold there; a
/// write not forgetting its local's check; the last region's wrap-around
/// check left out; a failed check in a function of two results not
/// trapping; `memory.init`'s destination not checked) made this test fail
/// by seed 193 when it was written.
///
/// `MELD_FUZZ_RUN_FIRST` and `MELD_FUZZ_RUN_SEEDS` pick other seeds (600
/// from 0 by default).
#[test]
fn memory_access_programs_run_the_same_fused() {
    use meld_core::MemoryStrategy;
    let (first, seeds) = run_seeds(600);
    let (mut compared, mut calls, mut returned) = (0, 0, 0);
    for seed in first..first + seeds {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
        let data: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
        let strategies = match seed % 3 {
            0 => &[MemoryStrategy::Shared, MemoryStrategy::Multi][..],
            _ => &[MemoryStrategy::Shared],
        };
        let ran = meld_tests::fuzzing::accesses::run(&data, strategies)
            .unwrap_or_else(|e| panic!("seed {seed}: {e:#}"));
        compared += strategies.len();
        calls += ran.calls;
        returned += ran.returned;
    }
    println!("{seeds} seeds: {compared} fusions compared ({calls} calls, {returned} returned)");
    assert!(
        compared >= seeds as usize && returned >= calls / 5,
        "too little ran: {compared} fusions compared, {returned} of {calls} calls returned"
    );
}
