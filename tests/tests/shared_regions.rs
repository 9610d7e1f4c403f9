//! `--memory shared` keeps every inner memory inside its region.
//!
//! `shared_regions.wat` has a component that grows and writes its memory
//! and a neighbour with a word of its own. With a declared maximum, the
//! shared output must behave exactly like the original under generated
//! calls (grows beyond the maximum fail, accesses beyond the current size
//! trap). Without one, the region size applies: growing past it fails as
//! at a maximum, and no write of the grower ever reaches the neighbour.

use meld_core::{MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::harness::{CompareOptions, compare, instantiates};
use std::collections::BTreeMap;
use wasmtime::component::{Component, ComponentNamedList, Instance, Lift, Linker, Lower};
use wasmtime::{Config, Engine, Store};

fn composition(max: &str) -> Vec<u8> {
    let text = include_str!("shared_regions.wat").replace("MAX", max);
    wat::parse_str(text).expect("shared_regions.wat parses")
}

fn shared(region_mib: u32) -> Options {
    Options {
        memory: MemoryStrategy::Shared,
        region_mib: Some(region_mib),
        ..Options::default()
    }
}

#[test]
fn a_region_behaves_like_a_memory_with_that_maximum() {
    let original = composition("16");
    let fused = fuse(&[&original], &shared(64)).expect("fuses");
    assert_eq!(fused.stats.memories, 1);
    assert_eq!(fused.stats.regions.len(), 2);
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    println!("{report}");
    report.assert_clean();
    assert!(report.trapped > 0, "no access left its memory");
    assert!(report.returned > 0, "every call trapped");
}

/// Per same-encoding string copy meld generates for `bench` (fused with
/// `memory` into a core module): its 64-bit compares, one per range check
/// and per region check, and its `memory.copy`s.
fn string_copies(memory: MemoryStrategy) -> BTreeMap<String, (usize, usize)> {
    let fixture = meld_tests::fixtures::get("bench").expect("the bench fixture builds");
    let options = Options {
        memory,
        output: OutputKind::Core,
        ..Options::default()
    };
    let fused = fuse(&[&fixture.wasm], &options).expect("fuses");
    let (mut imported, mut bodies, mut names) = (0, Vec::new(), BTreeMap::new());
    for payload in wasmparser::Parser::new(0).parse_all(&fused.wasm) {
        match payload.expect("the output parses") {
            wasmparser::Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    let import = import.expect("an import");
                    if let wasmparser::TypeRef::Func(_) = import.ty {
                        imported += 1;
                    }
                }
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                let (mut compares, mut copies) = (0, 0);
                for op in body.get_operators_reader().expect("operators") {
                    match op.expect("an operator") {
                        wasmparser::Operator::I64GtU => compares += 1,
                        wasmparser::Operator::MemoryCopy { .. } => copies += 1,
                        _ => {}
                    }
                }
                bodies.push((compares, copies));
            }
            wasmparser::Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader {
                        if let wasmparser::Name::Function(map) = sub.expect("names") {
                            for naming in map {
                                let naming = naming.expect("a name");
                                names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    names
        .into_iter()
        .filter(|(_, name)| name.starts_with("copy string utf"))
        .map(|(index, name)| (name, bodies[(index - imported) as usize]))
        .collect()
}

/// A string copy's validation loop reads only inside the source range
/// it checked at its start, so with one memory its loads get no region
/// check of their own (`Body::within`): the shared output's copies
/// compare no more than the multi-memory ones, but for the two ranges
/// of each `memory.copy`. (What the trusted loads must still do at the
/// edges of a region, `abi_checks.rs` checks in both strategies.)
#[test]
fn a_string_copy_checks_its_source_once_not_at_each_load() {
    let multi = string_copies(MemoryStrategy::Multi);
    let shared = string_copies(MemoryStrategy::Shared);
    assert!(!multi.is_empty(), "bench has no string copy");
    assert_eq!(
        multi.keys().collect::<Vec<_>>(),
        shared.keys().collect::<Vec<_>>()
    );
    for (name, &(compares, copies)) in &multi {
        let (shared_compares, shared_copies) = shared[name];
        assert_eq!(copies, shared_copies, "{name}");
        assert!(
            shared_compares <= compares + 2 * copies,
            "{name}: {shared_compares} compares with one memory, {compares} with several"
        );
    }
}

/// Shared mode skips the check of an access whose address is a local a
/// check made before already covers, on every path to it. Here a check
/// covers the local on one path only: a loop moves it, an `if` writes it,
/// the other arm of an `if` checked it. Each access beyond the memory's
/// one page must trap fused as in the original (unchecked, it would read
/// the rest of the region, which is there).
#[test]
fn a_check_made_on_one_path_does_not_cover_another() {
    let original = composition("16");
    let fused = fuse(&[&original], &shared(64)).expect("fuses");
    for (what, wasm) in [("original", &original), ("fused", &fused.wasm)] {
        // (a fresh instance for each call: one that trapped stays closed)
        let call = |name: &str, params: (u32, u32)| {
            Running::new(wasm)
                .call::<(u32, u32), (u32,)>("t:hog/api", name, params)
                .map(|(r,)| r)
        };
        let last = 65536 - 4;
        let ok = |name: &str, result: wasmtime::Result<u32>| match result {
            Ok(r) => r,
            Err(e) => panic!("{what}: {name}: {e:?}"),
        };
        assert_eq!(ok("walk", call("walk", (last - 4, 2))), 0);
        assert!(call("walk", (last - 4, 3)).is_err(), "{what}: walk");
        assert_eq!(ok("moved", call("moved", (0, 0))), 0);
        assert!(call("moved", (0, 1)).is_err(), "{what}: moved");
        assert!(call("arms", (0, 1)).is_err(), "{what}: arms, then");
        assert!(call("arms", (0, 0)).is_err(), "{what}: arms, else");
    }
}

/// A fused component instance and calls into its exported interfaces.
struct Running {
    store: Store<()>,
    instance: Instance,
}

impl Running {
    fn new(wasm: &[u8]) -> Self {
        let mut config = Config::new();
        config.wasm_multi_memory(true);
        let engine = Engine::new(&config).expect("engine");
        let component = Component::new(&engine, wasm).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .expect("instantiates");
        Running { store, instance }
    }

    fn call<P, R>(&mut self, interface: &str, name: &str, params: P) -> wasmtime::Result<R>
    where
        P: ComponentNamedList + Lower,
        R: ComponentNamedList + Lift,
    {
        let iface = self
            .instance
            .get_export_index(&mut self.store, None, interface)
            .expect("interface exported");
        let index = self
            .instance
            .get_export_index(&mut self.store, Some(&iface), name)
            .expect("function exported");
        let func = self
            .instance
            .get_typed_func::<P, R>(&mut self.store, &index)
            .expect("typed");
        func.call(&mut self.store, params)
    }
}

#[test]
fn a_full_region_fails_to_grow_and_writes_never_reach_the_neighbour() {
    // No declared maximum: the region is --region-size, 1 MiB = 16 pages.
    let fused = fuse(&[&composition("")], &shared(1)).expect("fuses");
    let mut run = Running::new(&fused.wasm);
    let hog = "t:hog/api";
    assert_eq!(
        run.call::<(), (u32,)>(hog, "size", ())
            .expect("the call succeeds"),
        (1,)
    );
    assert_eq!(
        run.call::<(u32,), (i32,)>(hog, "grow", (15,))
            .expect("the call succeeds"),
        (1,)
    );
    assert_eq!(
        run.call::<(), (u32,)>(hog, "size", ())
            .expect("the call succeeds"),
        (16,)
    );
    // Full: growing fails as at a maximum, and the size stays.
    assert_eq!(
        run.call::<(u32,), (i32,)>(hog, "grow", (1,))
            .expect("the call succeeds"),
        (-1,)
    );
    assert_eq!(
        run.call::<(), (u32,)>(hog, "size", ())
            .expect("the call succeeds"),
        (16,)
    );
    // The whole region is usable, up to its last word.
    let last = 16 * 65536 - 4;
    run.call::<(u32, u32), ()>(hog, "poke", (last, 7))
        .expect("the call succeeds");
    assert_eq!(
        run.call::<(u32,), (u32,)>(hog, "peek", (last,))
            .expect("the call succeeds"),
        (7,)
    );
    // 16 bytes at once too (`v128.load offset=4`), up to the last byte
    assert_eq!(
        run.call::<(u32,), (u32,)>(hog, "peek-wide", (last - 16,))
            .expect("the call succeeds"),
        (7,)
    );
    // Every other SIMD access, up to the region's last byte: a vector
    // stored at `offset=4` ends it, then read back a lane, 8, 4 and 8
    // bytes at a time, and one 16-bit lane stored at its last two bytes
    let end = 16 * 65536;
    run.call::<(u32, u32), ()>(hog, "poke-wide", (end - 20, 0x0102_0304))
        .expect("the call succeeds");
    let peek = |run: &mut Running, name: &str, addr: u32| {
        run.call::<(u32,), (u32,)>(hog, name, (addr,))
            .expect("the call succeeds")
            .0
    };
    assert_eq!(peek(&mut run, "peek-lane", end - 8), 0x0102_0304);
    assert_eq!(peek(&mut run, "peek-narrow", end - 8), 0x01);
    assert_eq!(peek(&mut run, "peek-splat", end - 4), 0x0102_0304);
    assert_eq!(
        run.call::<(u32,), (u64,)>(hog, "peek-zero", (end - 8,))
            .expect("the call succeeds"),
        (0x0102_0304_0102_0304,)
    );
    run.call::<(u32, u32), ()>(hog, "poke-lane", (end - 4, 0xabcd))
        .expect("the call succeeds");
    assert_eq!(peek(&mut run, "peek", end - 4), 0xabcd_0304);
    run.call::<(u32, u32, u32), ()>(hog, "fill", (0, 0xff, 16 * 65536))
        .expect("the call succeeds");
    assert_eq!(
        run.call::<(), (u32,)>("t:neighbour/api", "check", ())
            .expect("the call succeeds"),
        (42,),
        "the neighbour's word changed"
    );

    // One byte past the region traps instead of writing next door (or
    // reading: 16 bytes at once, the last one past it).
    let mut run = Running::new(&fused.wasm);
    run.call::<(u32,), (i32,)>(hog, "grow", (15,))
        .expect("the call succeeds");
    let err = run
        .call::<(u32,), (u32,)>(hog, "peek-wide", (last - 15,))
        .expect_err("a read past the region traps");
    assert!(format!("{err:?}").contains("unreachable"), "{err:?}");
    let mut run = Running::new(&fused.wasm);
    run.call::<(u32,), (i32,)>(hog, "grow", (15,))
        .expect("the call succeeds");
    let err = run
        .call::<(u32, u32), ()>(hog, "poke", (16 * 65536, 1))
        .expect_err("a write past the region traps");
    assert!(format!("{err:?}").contains("unreachable"), "{err:?}");
    let mut run = Running::new(&fused.wasm);
    run.call::<(u32,), (i32,)>(hog, "grow", (15,))
        .expect("the call succeeds");
    run.call::<(u32, u32, u32), ()>(hog, "fill", (16 * 65536 - 8, 1, 9))
        .expect_err("a fill past the region traps");
    // and each SIMD access one byte further than above
    let past: [(&str, u32); 6] = [
        ("poke-wide", end - 19),
        ("poke-lane", end - 3),
        ("peek-lane", end - 7),
        ("peek-narrow", end - 7),
        ("peek-splat", end - 3),
        ("peek-zero", end - 7),
    ];
    for (name, addr) in past {
        let mut run = Running::new(&fused.wasm);
        run.call::<(u32,), (i32,)>(hog, "grow", (15,))
            .expect("the call succeeds");
        let err = match name {
            "poke-wide" | "poke-lane" => run.call::<(u32, u32), ()>(hog, name, (addr, 1)).err(),
            "peek-zero" => run.call::<(u32,), (u64,)>(hog, name, (addr,)).err(),
            _ => run.call::<(u32,), (u32,)>(hog, name, (addr,)).err(),
        };
        let err = err.unwrap_or_else(|| panic!("{name} past the region does not trap"));
        // (the region's check, before the access: not the engine's bounds)
        assert!(
            format!("{err:?}").contains("unreachable"),
            "{name}: {err:?}"
        );
    }
}

/// A Rust component that allocates many MiB (the `bench` consumer's
/// `churn` and `reserve`), in a shared memory with 16 MiB regions: its
/// allocator works as before within the region, reports out of memory
/// beyond it, and the other components keep working.
#[test]
fn a_rust_allocator_in_a_full_region_reports_out_of_memory() {
    let fixture = meld_tests::fixtures::get("bench").expect("the bench fixture builds");
    let original = Running::new(&fixture.wasm);
    let fused = fuse(&[&fixture.wasm], &shared(16)).expect("fuses");
    let mut fused = Running::new(&fused.wasm);
    let mut original = original;
    let bench = "meld:fixtures/bench";
    let churn = |run: &mut Running| {
        run.call::<(u32,), (u64,)>(bench, "churn", (12,))
            .expect("churn runs")
    };
    assert_eq!(churn(&mut fused), churn(&mut original), "12 MiB fits");
    let reserve = |run: &mut Running, mib: u32| {
        run.call::<(u32,), (bool,)>(bench, "reserve", (mib,))
            .expect("reserve runs")
            .0
    };
    assert!(reserve(&mut original, 30), "30 MiB in a memory of its own");
    assert!(
        !reserve(&mut fused, 30),
        "30 MiB do not fit in a 16 MiB region"
    );
    assert!(
        reserve(&mut fused, 4),
        "the allocator still works after failing"
    );
    assert_eq!(churn(&mut fused), churn(&mut original));
    let scalars = |run: &mut Running| {
        run.call::<(u32,), (u64,)>(bench, "bench-scalars", (10,))
            .expect("calls into the neighbours run")
    };
    assert_eq!(scalars(&mut fused), (45,));
}

/// A library placed in its memory by an immutable global, as
/// wit-component's dynamic linking places each library (`__memory_base`
/// of a generated module): `based(init)` has data segments at
/// `global.get $base` and `base + 8` (an extended constant expression),
/// `$base` imported from another module whose global is `init`.
fn based(init: &str) -> Vec<u8> {
    let text = r#"(component
  (component $lib
    (core module $env (global (export "base") GLOBAL))
    (core instance $env (instantiate $env))
    (core module $m
      (import "env" "base" (global $base i32))
      (memory 1)
      (data (global.get $base) "\2a\00\00\00")
      (data (i32.add (global.get $base) (i32.const 8)) "\07\00\00\00")
      (func (export "read") (param i32) (result i32) (i32.load (local.get 0))))
    (core instance $i (instantiate $m (with "env" (instance $env))))
    (func $read (param "addr" u32) (result u32) (canon lift (core func $i "read")))
    (instance $api (export "read" (func $read)))
    (export "t:lib/api" (instance $api)))
  (component $other
    (core module $m
      (memory 1)
      (data (i32.const 0x200) "\63\00\00\00")
      (func (export "read") (param i32) (result i32) (i32.load (local.get 0))))
    (core instance $i (instantiate $m))
    (func $read (param "addr" u32) (result u32) (canon lift (core func $i "read")))
    (instance $api (export "read" (func $read)))
    (export "t:other/api" (instance $api)))
  (instance $l (instantiate $lib))
  (instance $o (instantiate $other))
  (alias export $l "t:lib/api" (instance $lapi))
  (alias export $o "t:other/api" (instance $oapi))
  (export "t:lib/api" (instance $lapi))
  (export "t:other/api" (instance $oapi)))"#
        .replace("GLOBAL", init);
    wat::parse_str(text).expect("the based composition parses")
}

#[test]
fn data_placed_by_an_immutable_global_goes_into_its_region() {
    let original = based("i32 (i32.const 0x200)");
    let fused = fuse(&[&original], &shared(1)).expect("fuses");
    assert_eq!(fused.stats.regions.len(), 2);
    let mut run = Running::new(&fused.wasm);
    let read = |run: &mut Running, iface: &str, addr: u32| {
        run.call::<(u32,), (u32,)>(iface, "read", (addr,))
            .expect("the call succeeds")
            .0
    };
    assert_eq!(read(&mut run, "t:lib/api", 0x200), 42);
    assert_eq!(read(&mut run, "t:lib/api", 0x208), 7);
    assert_eq!(read(&mut run, "t:other/api", 0x200), 99);
    let report = compare(&original, &fused.wasm, &CompareOptions::default()).expect("runs");
    report.assert_clean();

    // A segment the original's instantiation finds out of bounds (4 bytes
    // at 0xfffe + 8): the fused module's instantiation traps too, as with
    // a constant offset (tests/order.rs).
    let beyond = based("i32 (i32.const 0xfffe)");
    assert!(!instantiates(&beyond).expect("the harness's engine"));
    let fused = fuse(&[&beyond], &shared(1)).expect("a valid component fuses");
    assert!(!instantiates(&fused.wasm).expect("the harness's engine"));
}
