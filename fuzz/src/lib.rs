//! The driver of the `bytes` fuzz target, shared with the stable test
//! `tests/tests/fuzz.rs` (which includes this file as a module).
//!
//! [`case`] turns fuzzer bytes into inputs for [`meld_core::fuse`] and the
//! options to fuse them with; [`check`] fuses them and holds the oracle: an
//! error that is not [`ErrorKind::Internal`], or an output that validates.
//! A panic anywhere in `fuse` fails the fuzzer (and the test) as it is.
//!
//! Inputs starting with the wasm magic are fused as they are (the corpus
//! is seeded with the fixtures, so libFuzzer's mutations of them land
//! here). Any other input drives an [`Unstructured`] that picks one of:
//!
//! - raw bytes, as one input or split into several to be linked;
//! - a `wasm-smith` core module, given to meld as it is;
//! - a `wasm-smith` core module wrapped into a component ([`wrap`]): its
//!   function imports become component imports (lowered), its exported
//!   functions are lifted and exported, with component types whose
//!   flattening is their signature ([`types`]: scalars, options, and with
//!   a memory strings, lists, spilled parameters and results in memory);
//! - a composition of two such components, the second importing (through
//!   `wasm-smith`'s `available_imports`) functions the first exports, so
//!   the calls between them go through meld's adapters;
//! - a `wasm-smith` component (its component generator is a work in
//!   progress: many are refused, which is a fine answer too).

mod types;
mod wrap;

use arbitrary::{Result, Unstructured};
use meld_core::{ErrorKind, MemoryStrategy, Options, OutputKind};
use wasmparser::{CompositeInnerType, ExternalKind, Payload, TypeRef, ValType, WasmFeatures};

/// What [`case`] generated, to count outcomes per generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Bytes starting with the wasm magic (a fixture or a mutation of one).
    Wasm,
    /// Raw bytes, one input or several.
    Raw,
    /// A `wasm-smith` core module as it is.
    CoreModule,
    /// A `wasm-smith` core module wrapped into a component.
    Wrapped,
    /// Two wrapped modules, one calling the other.
    Composed,
    /// A `wasm-smith` component.
    Component,
}

/// Inputs and options of one fusion.
#[derive(Debug, Clone)]
pub struct Case {
    pub kind: Kind,
    pub inputs: Vec<Vec<u8>>,
    pub options: Options,
}

/// The case `data` stands for; `Err` when `data` runs out before a case is
/// complete (the fuzzer should just go on).
pub fn case(data: &[u8]) -> Result<Case> {
    if data.starts_with(b"\0asm") {
        // A fixture or a mutation of one. The last byte picks the options:
        // fixtures end in a custom section, so changing it keeps them valid.
        let options = options_from(data.last().copied().unwrap_or(0));
        return Ok(Case {
            kind: Kind::Wasm,
            inputs: vec![data.to_vec()],
            options,
        });
    }
    let mut u = Unstructured::new(data);
    let options = options_from(u.arbitrary()?);
    let (kind, inputs) = match u.int_in_range(0..=9u8)? {
        0 => (Kind::Raw, raw(u)?),
        1 => (Kind::CoreModule, vec![module(&mut u, true)?.bytes]),
        2 => (Kind::Component, vec![component(&mut u)?]),
        3..=5 => match wrap::wrap(&mut u)? {
            Some(wrapped) => (Kind::Wrapped, vec![wrapped]),
            None => return Err(arbitrary::Error::IncorrectFormat),
        },
        _ => match wrap::compose(&mut u, false)? {
            Some(composed) => (Kind::Composed, vec![composed]),
            None => return Err(arbitrary::Error::IncorrectFormat),
        },
    };
    Ok(Case {
        kind,
        inputs,
        options,
    })
}

/// Fuses `case` and checks the oracle, panicking when it does not hold.
/// Returns what `fuse` said, to be counted.
pub fn check(case: &Case) -> std::result::Result<meld_core::Stats, meld_core::Error> {
    let inputs: Vec<&[u8]> = case.inputs.iter().map(Vec::as_slice).collect();
    match meld_core::fuse(&inputs, &case.options) {
        Ok(fused) => {
            if let Err(e) = wasmparser::Validator::new_with_features(WasmFeatures::all())
                .validate_all(&fused.wasm)
            {
                panic!(
                    "meld returned an output that does not validate ({:?}, {:?}): {e}",
                    case.kind, case.options
                );
            }
            Ok(fused.stats)
        }
        Err(e) => {
            assert_ne!(
                e.kind(),
                ErrorKind::Internal,
                "meld failed with an internal error ({:?}, {:?}): {e}",
                case.kind,
                case.options
            );
            Err(e)
        }
    }
}

fn options_from(byte: u8) -> Options {
    let output = match byte & 1 {
        0 => OutputKind::Component,
        _ => OutputKind::Core,
    };
    let memory = match (byte >> 1) % 3 {
        0 => MemoryStrategy::Auto,
        1 => MemoryStrategy::Multi,
        _ => MemoryStrategy::Shared,
    };
    Options {
        output,
        memory,
        // Small regions now and then, so the shared layout's limits are hit.
        region_mib: (byte & 0x80 != 0).then_some(1),
        ..Options::default()
    }
}

fn raw(mut u: Unstructured<'_>) -> Result<Vec<Vec<u8>>> {
    let mut inputs = Vec::new();
    for _ in 0..u.int_in_range(0..=2u8)? {
        inputs.push(u.arbitrary::<&[u8]>()?.to_vec());
    }
    inputs.push(u.take_rest().to_vec());
    Ok(inputs)
}

/// A `wasm-smith` module and the functions a component can lift from it.
struct Module {
    bytes: Vec<u8>,
    /// Function imports, in order: module, name, core signature.
    imports: Vec<(String, String, Signature)>,
    /// Exported functions: export name and core signature.
    exports: Vec<(String, Signature)>,
}

/// A core function type, `None` for a type other than i32/i64/f32/f64.
type Signature = Option<(Vec<ValType>, Vec<ValType>)>;

fn module(u: &mut Unstructured<'_>, imports: bool) -> Result<Module> {
    let mut config = module_config(u)?;
    if !imports {
        config.max_imports = 0;
    }
    generate(u, config, None)
}

fn module_config(u: &mut Unstructured<'_>) -> Result<wasm_smith::Config> {
    let mut config: wasm_smith::Config = u.arbitrary()?;
    config.export_everything = u.arbitrary()?;
    config.max_memories = config.max_memories.min(4);
    // wasm-smith's recursive type groups make some lifts invalid (a
    // function type inside a group is not the Canonical ABI's): most
    // modules go without GC, so most compositions validate.
    config.gc_enabled &= u.ratio(1, 4)?;
    // The same for what a shared memory cannot hold (meld says so).
    config.memory64_enabled &= u.ratio(1, 4)?;
    config.threads_enabled &= u.ratio(1, 4)?;
    Ok(config)
}

/// A module of `config`; with `fuel`, one that traps after that many loop
/// turns and calls (`wasm-smith`'s `ensure_termination`).
fn generate(
    u: &mut Unstructured<'_>,
    config: wasm_smith::Config,
    fuel: Option<u32>,
) -> Result<Module> {
    let mut module = wasm_smith::Module::new(config, u)?;
    if let Some(fuel) = fuel {
        module
            .ensure_termination(fuel)
            .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    }
    describe(module.to_bytes()).ok_or(arbitrary::Error::IncorrectFormat)
}

/// A composition of two wrapped modules ([`wrap::compose`]) that can be
/// run, not only fused: it imports nothing, its code uses only what
/// wasmtime runs by default and `--memory shared` rewrites, and every call
/// ends. For the differential run of generated code in
/// `tests/tests/fuzz.rs`. `None` when the bytes give no such composition.
pub fn runnable(data: &[u8]) -> Option<Vec<u8>> {
    wrap::compose(&mut Unstructured::new(data), true)
        .ok()
        .flatten()
}

/// [`module_config`] for code that runs: no proposal the harness's
/// wasmtime leaves off (it runs exception handling, an exception that
/// leaves a module's export trapping fused as in the original, and GC
/// types, in a quarter of the modules) or that
/// `--memory shared` refuses (atomics, 64-bit and
/// custom-page memories), and every memory with a maximum (a region is
/// as large as its memory's maximum, so `memory.grow` fails where the
/// original's fails) of at most 4 pages.
fn runnable_config(u: &mut Unstructured<'_>) -> Result<wasm_smith::Config> {
    let mut config: wasm_smith::Config = u.arbitrary()?;
    config.export_everything = u.arbitrary()?;
    config.gc_enabled = u.ratio(1, 4)?;
    config.memory64_enabled = false;
    config.threads_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.custom_page_sizes_enabled = false;
    config.custom_descriptors_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.allow_invalid_funcs = false;
    config.memory_max_size_required = true;
    config.max_memory32_bytes = 4 << 16;
    config.max_memories = config.max_memories.clamp(1, 3);
    config.min_memories = config.min_memories.min(config.max_memories as u32);
    Ok(config)
}

/// Reads the imports and exports of a generated module (`None` if it does
/// not validate, which wasm-smith should never give).
fn describe(bytes: Vec<u8>) -> Option<Module> {
    let types = wasmparser::Validator::new_with_features(WasmFeatures::all())
        .validate_all(&bytes)
        .ok()?;
    let types = types.as_ref();
    let signature = |func: u32| -> Signature {
        let id = types.core_function_at(func);
        // A lifted or lowered function's type is a final function type of
        // its own (one in a recursive group or with a supertype is
        // another type, and the component would not validate).
        let sub = &types[id];
        if !sub.is_final
            || types.supertype_of(id).is_some()
            || types.rec_group_elements(types.rec_group_id_of(id)).len() != 1
        {
            return None;
        }
        let ty = &sub.composite_type;
        let CompositeInnerType::Func(f) = &ty.inner else {
            return None;
        };
        let scalar =
            |t: &ValType| matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64);
        (!ty.shared && f.params().iter().all(scalar) && f.results().iter().all(scalar))
            .then(|| (f.params().to_vec(), f.results().to_vec()))
    };
    let (mut imports, mut exports, mut funcs) = (Vec::new(), Vec::new(), 0);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.ok()?;
                    if let TypeRef::Func(_) = import.ty {
                        let sig = signature(funcs);
                        imports.push((import.module.to_string(), import.name.to_string(), sig));
                        funcs += 1;
                    } else {
                        imports.push((import.module.to_string(), import.name.to_string(), None));
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.ok()?;
                    if export.kind == ExternalKind::Func {
                        exports.push((export.name.to_string(), signature(export.index)));
                    }
                }
            }
            _ => {}
        }
    }
    Some(Module {
        bytes,
        imports,
        exports,
    })
}

fn component(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut config: wasm_smith::Config = u.arbitrary()?;
    config.max_components = u.int_in_range(0..=3)?;
    config.max_instances = u.int_in_range(0..=5)?;
    config.max_modules = u.int_in_range(0..=3)?;
    config.max_values = 0;
    Ok(wasm_smith::Component::new(config, u)?.to_bytes())
}
