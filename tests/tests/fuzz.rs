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
