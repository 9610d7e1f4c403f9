//! `meld`: the native command-line front of meld-core.
//!
//! A thin layer: read files, call the engine, write files, print. Every
//! failure is one line on stderr and exit code 1.

mod render;

use clap::{Parser, Subcommand, ValueEnum};
use meld_core::{DebugInfo, MemoryStrategy, Options, OutputKind, Simd};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Fuse a composed WebAssembly component into one core module.
///
/// meld takes a component built from several components (by wac,
/// `wasm-tools compose` or a toolchain) and produces one core module, or a
/// component wrapping that module with exactly the input's imports and
/// exports. Calls between the inner components become plain calls.
#[derive(Parser)]
#[command(name = "meld", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fuse one composed component, or several components linked by
    /// interface name, into one module.
    Fuse(FuseArgs),
    /// Print the instantiation tree of a component: inner components, their
    /// core instances and imports, and the adapters fusion would create.
    Inspect {
        /// The component to inspect.
        input: PathBuf,
        /// How to print it: indented text, JSON (the tree meld.wasm's and
        /// the npm package's `inspect` return; see `core/inspect.schema.json`)
        /// or a graphviz digraph of the components and their calls
        /// (`| dot -Tsvg > tree.svg`).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Indented text.
    Text,
    /// One line of JSON.
    Json,
    /// A graphviz digraph.
    Dot,
}

#[derive(clap::Args)]
struct FuseArgs {
    /// Input components. With several, the exports of each satisfy the
    /// matching imports (by interface name) of the others, as `wac plug`
    /// would; the first input's exports are the result's exports, and
    /// imports nobody provides stay imports.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Where to write the fused output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to write: a component with the input's WIT world (runs wherever
    /// the input ran), or the fused core module itself for core tools
    /// (wasm-opt, AOT compilers); see the README for its import/export names.
    #[arg(long, value_name = "KIND", value_enum, default_value_t = Kind::Component)]
    emit: Kind,
    /// How the inner components' linear memories are held: `multi` keeps
    /// one memory each (needs multi-memory support); `shared` puts each in
    /// a region of one memory, every access checked against its region
    /// (runs on Node 20, Safari, jco, wasm-opt without multi-memory);
    /// `auto` picks `shared` for `--emit core` when possible, and when
    /// one memory each would be more than engines accept (100), else
    /// `multi`.
    #[arg(long, value_enum, default_value_t = Memory::Auto)]
    memory: Memory,
    /// With a shared memory: the size in MiB of the region of a memory
    /// that declares no maximum (memories with a maximum get exactly it).
    /// A region that is full fails `memory.grow`, as a memory at its
    /// maximum does. Regions that do not fit in 4 GiB together are made
    /// smaller to fit (never below a memory's initial size), with a warning.
    #[arg(long, value_name = "MIB", default_value_t = meld_core::DEFAULT_REGION_MIB,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    region_size: u32,
    /// The inner modules' DWARF (`.debug_*` sections of debug builds):
    /// `keep` carries it into the fused module with every code address
    /// moved, so backtraces, debuggers and profilers show source lines;
    /// `strip` drops it (`--stats` reports the bytes). Inputs without
    /// DWARF are unaffected.
    #[arg(long, value_name = "WHAT", value_enum, default_value_t = Debug::Keep)]
    debug_info: Debug,
    /// Whether the generated string copies validate utf8 with SIMD,
    /// sixteen bytes at a time (faster on text that is not ASCII): `auto`
    /// when the input already uses SIMD (a `v128` in a core module's
    /// types, globals or locals), so that the output needs no wasm feature
    /// the input did not; `on` always (the output then needs SIMD);
    /// `off` never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = SimdArg::Auto)]
    simd: SimdArg,
    /// Print what fusion did (counts, sizes, time, peak resident memory on
    /// Linux, dropped sections; for an async composition, each component's
    /// functions rewritten to suspend) on stderr.
    #[arg(long)]
    stats: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Memory {
    /// `shared` for a core module output when possible, or when there
    /// are more than 100 memories; else `multi`.
    Auto,
    /// One memory per inner component.
    Multi,
    /// One memory, a region per inner component.
    Shared,
}

#[derive(Clone, Copy, ValueEnum)]
enum Debug {
    /// Carry the DWARF, code addresses moved to where the code now is.
    Keep,
    /// Drop it.
    Strip,
}

#[derive(Clone, Copy, ValueEnum)]
enum SimdArg {
    /// When the input uses SIMD already.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// A component with the same imports and exports as the input.
    Component,
    /// The fused core module.
    Core,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fuse(args) => fuse(args),
        Command::Inspect { input, format } => inspect(&input, format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("meld: {message}");
            ExitCode::from(1)
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn fuse(args: FuseArgs) -> Result<(), String> {
    let Some(output) = args.output else {
        return Err("no output file given; use -o OUT.wasm".to_string());
    };
    if let Some(kind) = output
        .to_str()
        .filter(|o| ["component", "core"].contains(o))
    {
        return Err(format!(
            "the output file would be `{kind}`: `-o`/`--output` names the output file now, \
             as in wasm-tools and wac; to choose what to write use `--emit {kind}` \
             (and `-o OUT.wasm` for the file, or `-o ./{kind}` for a file called {kind})"
        ));
    }
    let inputs = args
        .inputs
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let options = Options {
        output: match args.emit {
            Kind::Component => OutputKind::Component,
            Kind::Core => OutputKind::Core,
        },
        memory: match args.memory {
            Memory::Auto => MemoryStrategy::Auto,
            Memory::Multi => MemoryStrategy::Multi,
            Memory::Shared => MemoryStrategy::Shared,
        },
        region_mib: Some(args.region_size),
        debug_info: match args.debug_info {
            Debug::Keep => DebugInfo::Keep,
            Debug::Strip => DebugInfo::Strip,
        },
        simd: match args.simd {
            SimdArg::Auto => Simd::Auto,
            SimdArg::On => Simd::On,
            SimdArg::Off => Simd::Off,
        },
    };
    let start = Instant::now();
    let fused = meld_core::fuse(&refs, &options).map_err(|e| {
        let which = e.location().input.and_then(|i| args.inputs.get(i));
        match which {
            Some(path) => format!("{}: {e}", path.display()),
            None if args.inputs.len() == 1 => format!("{}: {e}", args.inputs[0].display()),
            None => e.to_string(),
        }
    })?;
    let elapsed = start.elapsed();
    std::fs::write(&output, &fused.wasm).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => " (does its directory exist?)",
            _ => "",
        };
        format!("cannot write {}: {e}{hint}", output.display())
    })?;
    for warning in &fused.warnings {
        eprintln!("meld: warning: {warning}");
    }
    if args.stats {
        let s = &fused.stats;
        eprintln!("components:        {}", s.components);
        eprintln!("core modules:      {}", s.core_modules);
        eprintln!("core instances:    {}", s.core_instances);
        eprintln!("memories:          {}", s.memories);
        eprintln!("memory strategy:   {}", s.memory.as_str());
        for r in &s.regions {
            eprintln!(
                "region:            {} at {:#x}, up to {} MiB",
                r.component,
                r.base,
                r.max_bytes >> 20
            );
        }
        eprintln!(
            "adapters:          {} direct, {} fixup, {} copy, {} transcode",
            s.adapters_direct, s.adapters_fixup, s.adapters_copy, s.adapters_transcode
        );
        eprintln!("adapter code:      {} bytes", s.adapter_code_bytes);
        for u in &s.suspendable {
            eprintln!(
                "suspendable code:  {}: {} of {} functions rewritten to suspend, their bodies {} -> {} bytes",
                u.component,
                u.transformed,
                u.functions,
                u.transformed_bytes_before,
                u.transformed_bytes_after
            );
        }
        eprintln!("host imports:      {}", s.host_imports);
        eprintln!("input:             {} bytes", s.input_bytes);
        eprintln!("output:            {} bytes", s.output_bytes);
        eprintln!("time:              {:.3} ms", elapsed.as_secs_f64() * 1e3);
        if let Some(kib) = peak_resident_kib() {
            eprintln!("peak memory:       {kib} KiB resident");
        }
        match (s.dwarf_bytes, s.dwarf_dropped()) {
            (0, 0) => eprintln!("debug info:        none"),
            (kept, 0) => eprintln!("debug info:        {kept} bytes of DWARF kept"),
            (0, dropped) => eprintln!("debug info:        {dropped} bytes of DWARF dropped"),
            (kept, dropped) => {
                eprintln!("debug info:        {kept} bytes of DWARF kept, {dropped} bytes dropped")
            }
        }
        if s.dropped_sections.is_empty() {
            eprintln!("dropped sections:  none");
        } else {
            for (name, size) in &s.dropped_sections {
                eprintln!("dropped section:   {name} ({size} bytes)");
            }
        }
    }
    Ok(())
}

/// The process's peak resident memory so far, where the system tells it
/// (Linux's `VmHWM`; reading the input, fusing and writing the output
/// included).
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn inspect(input: &Path, format: Format) -> Result<(), String> {
    let bytes = read(input)?;
    let tree = meld_core::inspect(&bytes).map_err(|e| format!("{}: {e}", input.display()))?;
    let text = match format {
        Format::Text => render::text(&tree),
        Format::Json => tree.to_json().to_text() + "\n",
        Format::Dot => render::dot(&tree),
    };
    // A reader that stops early (`| head`) is not an error.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}
