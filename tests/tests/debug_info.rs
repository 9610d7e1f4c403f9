//! Debug info survives fusion: the DWARF of debug-built guests is carried
//! into the fused module with every code address moved.
//!
//! - Every line row of every inner module points, in the fused module, at
//!   the same instruction (same opcode, same file, line and column), and
//!   inside a fused function; removed code keeps no rows.
//! - A panic deep in a call chain across two components has the same
//!   backtrace (source file, line, function, frame by frame) under wasmtime
//!   with debug info, original and fused, adapter frames aside.
//! - `--debug-info strip` drops it all and reports the bytes; fusion is
//!   deterministic either way.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::{Context, Result, anyhow, bail};
use meld_core::{DebugInfo, MemoryStrategy, Options, OutputKind, fuse};
use meld_tests::fixtures::{self, Fixture};
use wasmparser::{Parser, Payload};

/// One core module's code and DWARF.
struct Module {
    /// The code section's contents (DWARF address 0 is its first byte).
    code: Vec<u8>,
    /// Each body's range in `code`, its size field excluded.
    bodies: Vec<Range<u64>>,
    /// The `.debug_*` sections.
    dwarf: BTreeMap<String, Vec<u8>>,
    /// Each body's function name (the name section's), without the
    /// inner component's path fusion adds.
    names: Vec<String>,
}

/// A line row: file path, line, column, and the opcode byte it points at.
type Row = (String, u64, u64, u8);

impl Module {
    fn parse(bytes: &[u8]) -> Result<Module> {
        let mut module = Module {
            code: Vec::new(),
            bodies: Vec::new(),
            dwarf: BTreeMap::new(),
            names: Vec::new(),
        };
        let mut code_start = 0;
        let mut imported = 0;
        let mut names = BTreeMap::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::CodeSectionStart { range, .. } => {
                    code_start = range.start;
                    module.code = bytes[range].to_vec();
                }
                Payload::CodeSectionEntry(body) => {
                    let range = body.range();
                    module
                        .bodies
                        .push((range.start - code_start) as u64..(range.end - code_start) as u64);
                }
                Payload::CustomSection(c) if c.name().starts_with(".debug_") => {
                    module.dwarf.insert(c.name().to_string(), c.data().to_vec());
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        if let wasmparser::TypeRef::Func(_) = import?.ty {
                            imported += 1;
                        }
                    }
                }
                Payload::CustomSection(c) => {
                    if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                        for sub in reader {
                            if let wasmparser::Name::Function(map) = sub? {
                                for naming in map {
                                    let naming = naming?;
                                    let name = naming.name;
                                    let symbol = name.rfind(".root").map_or(name, |i| &name[..i]);
                                    names.insert(naming.index, symbol.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        module.names = (0..module.bodies.len() as u32)
            .map(|i| names.get(&(imported + i)).cloned().unwrap_or_default())
            .collect();
        Ok(module)
    }

    fn load_dwarf<'a>(
        &'a self,
        empty: &'a [u8],
    ) -> gimli::Result<gimli::Dwarf<gimli::EndianSlice<'a, gimli::LittleEndian>>> {
        gimli::Dwarf::load(|id| -> gimli::Result<_> {
            let data = self.dwarf.get(id.name()).map_or(empty, |d| &d[..]);
            Ok(gimli::EndianSlice::new(data, gimli::LittleEndian))
        })
    }

    /// The code every DIE's `DW_AT_low_pc`/`DW_AT_high_pc` or `DW_AT_ranges`
    /// covers, range by range, as the functions (by name) at its ends: a
    /// body's start or end, or inside one. Ranges of removed code (in no
    /// body) are left out.
    fn code_ranges(&self) -> Result<Vec<String>> {
        let dwarf = self.load_dwarf(&[])?;
        let place = |address: u64| {
            self.bodies
                .iter()
                .zip(&self.names)
                .find_map(|(body, name)| {
                    if address == body.start {
                        Some(format!("start of {name}"))
                    } else if address == body.end {
                        Some(format!("end of {name}"))
                    } else {
                        body.contains(&address).then(|| format!("in {name}"))
                    }
                })
        };
        let mut out = Vec::new();
        let mut units = dwarf.units();
        while let Some(header) = units.next()? {
            let unit = dwarf.unit(header)?;
            let unit = unit.unit_ref(&dwarf);
            let mut entries = unit.entries();
            while let Some(entry) = entries.next_dfs()? {
                let has_code = entry.attr_value(gimli::DW_AT_low_pc).is_some()
                    || entry.attr_value(gimli::DW_AT_ranges).is_some();
                if !has_code {
                    continue;
                }
                let mut ranges = unit.die_ranges(entry)?;
                while let Some(range) = ranges.next()? {
                    if let (Some(begin), Some(end)) = (place(range.begin), place(range.end)) {
                        out.push(format!("{}: {begin} .. {end}", entry.tag()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The line rows of live code (end-of-sequence rows aside), checking
    /// that each lies inside a body.
    fn rows(&self) -> Result<Vec<Row>> {
        let dwarf = self.load_dwarf(&[])?;
        let mut rows = Vec::new();
        let mut units = dwarf.units();
        while let Some(header) = units.next()? {
            let unit = dwarf.unit(header)?;
            let unit = unit.unit_ref(&dwarf);
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut program_rows = program.rows();
            while let Some((header, row)) = program_rows.next_row()? {
                let address = row.address();
                let inside = self.bodies.iter().any(|b| b.contains(&address));
                if row.end_sequence() {
                    continue;
                }
                if !inside {
                    // The linker's tombstones for removed code.
                    if address == 0 || address >= 0xffff_fff0 {
                        continue;
                    }
                    bail!("line row at {address:#x} is in no function");
                }
                // Directory and name: the crates' `src/lib.rs` differ by it.
                let mut file = String::new();
                if let Some(entry) = row.file(header) {
                    if let Some(directory) = entry.directory(header) {
                        file += &unit.attr_string(directory)?.to_string_lossy();
                        file.push('/');
                    }
                    file += &unit.attr_string(entry.path_name())?.to_string_lossy();
                }
                let line = row.line().map_or(0, |l| l.get());
                let column = match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(c) => c.get(),
                };
                // (a row at a body's start points at its locals, not at an
                // instruction: the unwind transform adds locals)
                let at_start = self.bodies.iter().any(|b| b.start == address);
                let opcode = if at_start {
                    0
                } else {
                    self.code[address as usize]
                };
                rows.push((file, line, column, opcode));
            }
        }
        Ok(rows)
    }
}

/// The core modules of a component (nested ones included) or the module.
fn modules(wasm: &[u8]) -> Result<Vec<Module>> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ModuleSection {
            unchecked_range, ..
        } = payload?
        {
            out.push(Module::parse(&wasm[unchecked_range])?);
        }
    }
    if out.is_empty() {
        out.push(Module::parse(wasm)?);
    }
    Ok(out)
}

/// The core module of fused output `wasm` that holds the DWARF: the one
/// of a component's modules with `.debug_info` (the wrapper's own have
/// none), or the module itself.
fn dwarf_module(wasm: &[u8]) -> Result<Vec<u8>> {
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ModuleSection {
            unchecked_range, ..
        } = payload?
        {
            let module = &wasm[unchecked_range];
            if Module::parse(module)?.dwarf.contains_key(".debug_info") {
                return Ok(module.to_vec());
            }
        }
    }
    Ok(wasm.to_vec())
}

fn options(output: OutputKind, memory: MemoryStrategy, debug_info: DebugInfo) -> Options {
    Options {
        output,
        memory,
        debug_info,
        ..Options::default()
    }
}

/// Sorted rows of every module of `wasm`; with `opcodes` false, without
/// the opcode (a shared memory puts address arithmetic before accesses).
fn all_rows(wasm: &[u8], opcodes: bool) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for module in modules(wasm)? {
        rows.extend(module.rows()?);
    }
    if !opcodes {
        for row in &mut rows {
            row.3 = 0;
        }
    }
    rows.sort();
    Ok(rows)
}

/// The debug-built fixtures whose every module is instantiated once
/// (`trace-twice` has its own test).
fn debug_fixtures() -> Result<Vec<Fixture>> {
    Ok(fixtures::debug_all()?
        .into_iter()
        .filter(|fixture| fixture.name != "trace-twice")
        .collect())
}

/// The outputs `fixture` fuses to: a composition that needs meld's async
/// runtime only to a component (its wrapper gives the runtime the host's
/// built-ins).
fn outputs(fixture: &Fixture) -> &'static [OutputKind] {
    match fixture.name.starts_with("async") {
        true => &[OutputKind::Component],
        false => &[OutputKind::Core, OutputKind::Component],
    }
}

/// The first of [`outputs`].
fn output(fixture: &Fixture) -> OutputKind {
    outputs(fixture)[0]
}

#[test]
fn every_line_row_points_at_the_same_instruction_after_fusion() -> Result<()> {
    for fixture in debug_fixtures()? {
        for &output in outputs(&fixture) {
            for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
                let what = format!("{} ({output:?}, {memory:?})", fixture.name);
                let fused = fuse(&[&fixture.wasm], &options(output, memory, DebugInfo::Keep))
                    .map_err(|e| anyhow!("fusing {what}: {e}"))?;
                let exact = memory == MemoryStrategy::Multi;
                let original = all_rows(&fixture.wasm, exact)?;
                let rows = all_rows(&fused.wasm, exact).with_context(|| what.clone())?;
                assert!(
                    original.len() > 1000,
                    "{what}: only {} rows",
                    original.len()
                );
                assert!(rows == original, "{what}: the line rows differ");
                assert!(fused.stats.dwarf_bytes > 0, "{what}");
            }
        }
    }
    Ok(())
}

/// Sorted code ranges of the DIEs of every module of `wasm`.
fn all_code_ranges(wasm: &[u8]) -> Result<Vec<String>> {
    let mut ranges = Vec::new();
    for module in modules(wasm)? {
        ranges.extend(module.code_ranges()?);
    }
    ranges.sort();
    Ok(ranges)
}

#[test]
fn every_function_and_range_covers_the_same_code_after_fusion() -> Result<()> {
    for fixture in debug_fixtures()? {
        let original = all_code_ranges(&fixture.wasm)?;
        // Functions, and the units' ranges of several functions.
        let starts = original.iter().filter(|r| r.contains("start of")).count();
        assert!(starts > 200, "{}: {starts} ranges", fixture.name);
        assert!(
            original
                .iter()
                .any(|r| r.starts_with("DW_TAG_compile_unit")),
            "{}: no unit range",
            fixture.name
        );
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let keep = options(output(&fixture), memory, DebugInfo::Keep);
            let fused = fuse(&[&fixture.wasm], &keep).map_err(|e| anyhow!("{e}"))?;
            let ranges = all_code_ranges(&fused.wasm)?;
            assert!(
                ranges == original,
                "{} ({memory:?}): the DIEs' code ranges differ",
                fixture.name
            );
        }
    }
    Ok(())
}

#[test]
fn rustc_dwarf_is_patched_in_place_not_rewritten() -> Result<()> {
    // The patcher keeps these sections' sizes (the rewriting path, taken
    // for what it declines, shares strings and rebuilds every DIE): rustc's
    // DWARF 4 must never need the slow path.
    for fixture in fixtures::debug_all()? {
        let mut expected = BTreeMap::<String, usize>::new();
        for module in modules(&fixture.wasm)? {
            let copies = match fixture.name {
                "trace-twice"
                    if module
                        .rows()?
                        .iter()
                        .any(|(file, ..)| file.contains("trace-provider")) =>
                {
                    2
                }
                _ => 1,
            };
            for (name, data) in &module.dwarf {
                *expected.entry(name.clone()).or_default() += copies * data.len();
            }
        }
        let keep = options(output(&fixture), MemoryStrategy::Auto, DebugInfo::Keep);
        let fused = fuse(&[&fixture.wasm], &keep).map_err(|e| anyhow!("{e}"))?;
        let fused = Module::parse(&dwarf_module(&fused.wasm)?)?;
        for name in [
            ".debug_info",
            ".debug_abbrev",
            ".debug_str",
            ".debug_ranges",
        ] {
            assert_eq!(
                fused.dwarf.get(name).map(Vec::len),
                expected.get(name).copied(),
                "{}: {name}",
                fixture.name
            );
        }
    }
    Ok(())
}

#[test]
fn strip_drops_the_dwarf_and_reports_it() -> Result<()> {
    let fixture = fixtures::get("trace")?;
    let input_dwarf: usize = modules(&fixture.wasm)?
        .iter()
        .flat_map(|m| m.dwarf.values())
        .map(Vec::len)
        .sum();
    let strip = options(
        OutputKind::Component,
        MemoryStrategy::Auto,
        DebugInfo::Strip,
    );
    let stripped = fuse(&[&fixture.wasm], &strip).map_err(|e| anyhow!("{e}"))?;
    assert!(all_rows(&stripped.wasm, true)?.is_empty());
    assert_eq!(stripped.stats.dwarf_bytes, 0);
    assert_eq!(stripped.stats.dwarf_dropped(), input_dwarf);
    let keep = options(OutputKind::Component, MemoryStrategy::Auto, DebugInfo::Keep);
    let kept = fuse(&[&fixture.wasm], &keep).map_err(|e| anyhow!("{e}"))?;
    assert!(kept.wasm.len() > stripped.wasm.len() + input_dwarf / 2);
    Ok(())
}

#[test]
fn fusing_with_debug_info_is_deterministic() -> Result<()> {
    for fixture in debug_fixtures()? {
        for &output in outputs(&fixture) {
            let options = options(output, MemoryStrategy::Auto, DebugInfo::Keep);
            let once = fuse(&[&fixture.wasm], &options).map_err(|e| anyhow!("{e}"))?;
            let twice = fuse(&[&fixture.wasm], &options).map_err(|e| anyhow!("{e}"))?;
            assert!(once.wasm == twice.wasm, "{}: output differs", fixture.name);
        }
    }
    Ok(())
}

/// One frame of a trap's backtrace as the DWARF describes it: per symbol
/// (inlined calls give several), function name, source file and line.
type Frame = Vec<(Option<String>, Option<String>, Option<u32>)>;

/// A trap's backtrace: the frames that have source information (adapters
/// and other generated code have none), innermost first, the name-section
/// names of their functions, and the backtrace as wasmtime prints it.
struct Trap {
    frames: Vec<Frame>,
    names: Vec<String>,
    text: String,
}

/// Calls `trace-run.run(depth, true)` of component `wasm` under wasmtime
/// with debug info and returns the trap's backtrace.
fn panic_backtrace(wasm: &[u8], depth: u32) -> Result<Trap> {
    use wasmtime::component::{Component, Linker};
    let mut config = wasmtime::Config::new();
    config
        .debug_info(true)
        .wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Enable);
    let engine = wasmtime::Engine::new(&config)?;
    let component = Component::new(&engine, wasm)?;
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
    let interface = instance
        .get_export_index(&mut store, None, "meld:fixtures/trace-run")
        .context("no trace-run export")?;
    let run = instance
        .get_export_index(&mut store, Some(&interface), "run")
        .context("no run function")?;
    let run = instance.get_typed_func::<(u32, bool), (u32,)>(&mut store, &run)?;
    let Err(error) = run.call(&mut store, (depth, true)) else {
        bail!("run({depth}, true) returned instead of panicking");
    };
    let backtrace = error
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .context("the trap has no backtrace")?;
    let mut trap = Trap {
        frames: Vec::new(),
        names: Vec::new(),
        text: backtrace.to_string(),
    };
    for frame in backtrace.frames() {
        let symbols = frame
            .symbols()
            .iter()
            .map(|s| {
                (
                    s.name().map(str::to_string),
                    s.file().map(str::to_string),
                    s.line(),
                )
            })
            .collect::<Frame>();
        if symbols.iter().any(|(_, file, _)| file.is_some()) {
            trap.frames.push(symbols);
            trap.names
                .push(frame.func_name().unwrap_or_default().to_string());
        }
    }
    Ok(trap)
}

#[test]
fn a_panic_across_two_components_has_the_same_backtrace_fused() -> Result<()> {
    let fixture = fixtures::get("trace")?;
    let depth = 3;
    let original = panic_backtrace(&fixture.wasm, depth)?.frames;
    let files: Vec<&str> = original
        .iter()
        .flatten()
        .filter_map(|(_, file, _)| file.as_deref())
        .collect();
    // Both components' sources are on the original's backtrace, the
    // provider's recursion once per level.
    for guest in ["trace-provider", "trace-consumer"] {
        assert!(
            files.iter().any(|f| f.contains(guest)),
            "{guest} is not on the original backtrace: {original:#?}"
        );
    }
    let dives = original
        .iter()
        .flatten()
        .filter(|(name, _, _)| name.as_deref().is_some_and(|n| n.contains("dive")))
        .count();
    assert_eq!(dives, depth as usize + 1, "{original:#?}");
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let keep = options(OutputKind::Component, memory, DebugInfo::Keep);
        let fused = fuse(&[&fixture.wasm], &keep).map_err(|e| anyhow!("{e}"))?;
        let backtrace = panic_backtrace(&fused.wasm, depth)?.frames;
        assert!(
            backtrace == original,
            "{memory:?}: fused {backtrace:#?}\noriginal {original:#?}"
        );
    }
    Ok(())
}

#[test]
fn fused_function_names_keep_their_symbols_and_demangle() -> Result<()> {
    let fixture = fixtures::get("trace")?;
    let original = panic_backtrace(&fixture.wasm, 2)?;
    let fused = fuse(&[&fixture.wasm], &Options::default()).map_err(|e| anyhow!("{e}"))?;
    let fused = panic_backtrace(&fused.wasm, 2)?;
    assert_eq!(original.names.len(), fused.names.len());
    for (before, after) in original.names.iter().zip(&fused.names) {
        // The symbol, then `.` and the inner component's path.
        let path = after
            .strip_prefix(before.as_str())
            .and_then(|rest| rest.strip_prefix('.'));
        assert!(
            path.is_some_and(|p| p.starts_with("root/")),
            "{after} is not {before} with a path"
        );
    }
    // wasmtime demangles them as it did before fusion: no raw symbol is
    // printed, and the provider's recursion reads as Rust paths.
    for trap in [&original, &fused] {
        assert!(trap.text.contains("trace_provider"), "{}", trap.text);
        assert!(trap.text.contains("::dive"), "{}", trap.text);
        assert!(!trap.text.contains("_RNv"), "{}", trap.text);
        assert!(!trap.text.contains("_ZN"), "{}", trap.text);
    }
    Ok(())
}

#[test]
fn a_module_instantiated_twice_has_its_dwarf_once_per_copy() -> Result<()> {
    let fixture = fixtures::get("trace-twice")?;
    // The provider's module is instantiated twice: its rows come twice,
    // each copy's at that copy's addresses (same opcodes).
    let mut expected = Vec::new();
    for module in modules(&fixture.wasm)? {
        let rows = module.rows()?;
        let copies = match rows
            .iter()
            .any(|(file, ..)| file.contains("trace-provider"))
        {
            true => 2,
            false => 1,
        };
        for _ in 0..copies {
            expected.extend(rows.iter().cloned());
        }
    }
    expected.sort();
    let fused = fuse(&[&fixture.wasm], &Options::default()).map_err(|e| anyhow!("{e}"))?;
    assert!(
        all_rows(&fused.wasm, true)? == expected,
        "the line rows differ"
    );
    // The consumer calls the second copy: its frames have their source.
    let original = panic_backtrace(&fixture.wasm, 2)?.frames;
    assert!(
        original.iter().flatten().any(|(_, file, _)| file
            .as_deref()
            .is_some_and(|f| f.contains("trace-provider"))),
        "{original:#?}"
    );
    assert!(panic_backtrace(&fused.wasm, 2)?.frames == original);
    Ok(())
}

/// The byte ranges of the `.debug_*` sections' contents in `wasm`.
fn dwarf_ranges(wasm: &[u8]) -> Result<Vec<Range<usize>>> {
    let mut ranges = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CustomSection(c) = payload?
            && c.name().starts_with(".debug_")
        {
            ranges.push(c.data_offset()..c.data_offset() + c.data().len());
        }
    }
    Ok(ranges)
}

#[test]
fn corrupt_dwarf_is_carried_or_refused_never_a_panic() -> Result<()> {
    let fixture = fixtures::get("trace")?;
    let ranges = dwarf_ranges(&fixture.wasm)?;
    assert!(ranges.len() >= 4, "{ranges:?}");
    // A fixed xorshift sequence: the same mutations on every run.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut fused, mut refused) = (0, 0);
    for _ in 0..60 {
        let mut wasm = fixture.wasm.clone();
        let range = &ranges[next() as usize % ranges.len()];
        // A few bytes near the start, where headers are, or anywhere.
        let span = match next() % 2 {
            0 => range.len().min(64),
            _ => range.len(),
        };
        for _ in 0..3 {
            let at = range.start + next() as usize % span.max(1);
            wasm[at] = next() as u8;
        }
        match fuse(&[&wasm], &Options::default()) {
            Ok(_) => fused += 1,
            Err(e) => {
                assert_eq!(e.kind(), meld_core::ErrorKind::Unsupported, "{e}");
                assert!(e.message().contains("--debug-info strip"), "{e}");
                refused += 1;
                // Stripping it always works.
                let strip = options(
                    OutputKind::Component,
                    MemoryStrategy::Auto,
                    DebugInfo::Strip,
                );
                fuse(&[&wasm], &strip).map_err(|e| anyhow!("stripped: {e}"))?;
            }
        }
    }
    assert!(fused + refused == 60);
    Ok(())
}

/// `llvm-dwarfdump --verify` (Debian's `llvm` package) accepts the fused
/// DWARF. Skipped, saying so, where the tool is not installed.
#[test]
fn llvm_dwarfdump_verifies_the_fused_dwarf() -> Result<()> {
    let tool = "llvm-dwarfdump";
    if std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("{tool} is not installed: not verified");
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("meld-dwarfdump-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for fixture in fixtures::debug_all()? {
        for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
            let options = options(output(&fixture), memory, DebugInfo::Keep);
            let fused = fuse(&[&fixture.wasm], &options).map_err(|e| anyhow!("{e}"))?;
            let path = dir.join(format!("{}-{memory:?}.wasm", fixture.name));
            std::fs::write(&path, dwarf_module(&fused.wasm)?)?;
            let out = std::process::Command::new(tool)
                .arg("--verify")
                .arg(&path)
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && text.contains("No errors."),
                "{} ({memory:?}): {}{}",
                fixture.name,
                text.lines().rev().take(20).collect::<Vec<_>>().join("\n"),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
