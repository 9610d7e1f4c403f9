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
//! - a `wasm-smith` core module wrapped into a component: its function
//!   imports become component imports (lowered), its exported functions
//!   whose types have scalar component types are lifted and exported;
//! - a composition of two such components, the second importing (through
//!   `wasm-smith`'s `available_imports`) functions the first exports, so
//!   the calls between them go through meld's adapters;
//! - a `wasm-smith` component (its component generator is a work in
//!   progress: most are refused, which is a fine answer too).
//!
//! The component wrapping is written here in a few lines of binary
//! encoding rather than with wasm-encoder, so that the test needs no
//! dependency beyond `wasm-smith` and `arbitrary`.

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
        3..=5 => match wrap(&mut u)? {
            Some(wrapped) => (Kind::Wrapped, vec![wrapped]),
            None => return Err(arbitrary::Error::IncorrectFormat),
        },
        _ => match compose(&mut u)? {
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
pub fn check(case: &Case) -> std::result::Result<(), meld_core::Error> {
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
            Ok(())
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
    let mut config: wasm_smith::Config = u.arbitrary()?;
    config.export_everything = u.arbitrary()?;
    config.max_memories = config.max_memories.min(4);
    if !imports {
        config.max_imports = 0;
    }
    generate(u, config)
}

fn generate(u: &mut Unstructured<'_>, config: wasm_smith::Config) -> Result<Module> {
    let bytes = wasm_smith::Module::new(config, u)?.to_bytes();
    describe(bytes).ok_or(arbitrary::Error::IncorrectFormat)
}

/// Reads the imports and exports of a generated module (`None` if it does
/// not validate, which wasm-smith should never give).
fn describe(bytes: Vec<u8>) -> Option<Module> {
    let types = wasmparser::Validator::new_with_features(WasmFeatures::all())
        .validate_all(&bytes)
        .ok()?;
    let types = types.as_ref();
    let signature = |func: u32| -> Signature {
        let ty = &types[types.core_function_at(func)].composite_type;
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

/// The component value types a core value type can be lifted as.
fn liftable(ty: ValType) -> &'static [Prim] {
    use Prim::*;
    match ty {
        ValType::I32 => &[Bool, S8, U8, S16, U16, S32, U32, Char],
        ValType::I64 => &[S64, U64],
        ValType::F32 => &[F32],
        ValType::F64 => &[F64],
        _ => &[],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prim {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
}

impl Prim {
    fn byte(self) -> u8 {
        match self {
            Prim::Bool => 0x7f,
            Prim::S8 => 0x7e,
            Prim::U8 => 0x7d,
            Prim::S16 => 0x7c,
            Prim::U16 => 0x7b,
            Prim::S32 => 0x7a,
            Prim::U32 => 0x79,
            Prim::S64 => 0x78,
            Prim::U64 => 0x77,
            Prim::F32 => 0x76,
            Prim::F64 => 0x75,
            Prim::Char => 0x74,
        }
    }
}

/// A component function type of scalars: flat, so lifted and lowered
/// without memory or realloc.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FuncType {
    params: Vec<Prim>,
    result: Option<Prim>,
}

/// A component function type for a core signature, if lifting needs no
/// memory: at most 16 parameters and one result.
fn func_type(u: &mut Unstructured<'_>, sig: &Signature) -> Result<Option<FuncType>> {
    let Some((params, results)) = sig else {
        return Ok(None);
    };
    if params.len() > 16 || results.len() > 1 {
        return Ok(None);
    }
    let mut ty = FuncType {
        params: Vec::new(),
        result: None,
    };
    for p in params {
        ty.params.push(*u.choose(liftable(*p))?);
    }
    if let Some(r) = results.first() {
        ty.result = Some(*u.choose(liftable(*r))?);
    }
    Ok(Some(ty))
}

/// `m` as a component: each function import a component import named
/// `importN` of a scalar type (lowered), most exported functions of a
/// scalar type lifted and exported as `exportN`. `None` when an import
/// is not a function of a scalar type.
fn wrap(u: &mut Unstructured<'_>) -> Result<Option<Vec<u8>>> {
    let m = module(u, true)?;
    let mut imports = Vec::new();
    for (_, _, sig) in &m.imports {
        match func_type(u, sig)? {
            Some(ty) => imports.push(ty),
            None => return Ok(None),
        }
    }
    let mut exports = Vec::new();
    for (name, sig) in &m.exports {
        if let Some(ty) = func_type(u, sig)?
            && u.ratio(7, 8)?
        {
            exports.push((name.clone(), format!("export{}", exports.len()), ty));
        }
    }
    Ok(Some(leaf(&m, &imports, &exports)))
}

/// Two components: `provider` lifts and exports some functions as `fN`;
/// `user`'s module may import them (wasm-smith's `available_imports`), its
/// component imports them and the root wires the provider's exports in.
fn compose(u: &mut Unstructured<'_>) -> Result<Option<Vec<u8>>> {
    let provider = module(u, false)?;
    let (mut provided, mut core_types) = (Vec::new(), Vec::new());
    for (name, sig) in &provider.exports {
        if let (Some(ty), Some(core)) = (func_type(u, sig)?, sig) {
            provided.push((name.clone(), format!("f{}", provided.len()), ty));
            core_types.push(core.clone());
        }
    }
    let mut config: wasm_smith::Config = u.arbitrary()?;
    config.export_everything = u.arbitrary()?;
    config.max_memories = config.max_memories.min(4);
    config.available_imports = Some(import_module(
        provided
            .iter()
            .map(|(_, name, _)| name.as_str())
            .zip(&core_types),
    ));
    config.max_imports = config.max_imports.max(provided.len());
    let user = generate(u, config)?;

    // The user's imports, each the provider's export of that name.
    let (mut imports, mut wiring) = (Vec::new(), Vec::new());
    for (module, name, _) in &user.imports {
        match provided.iter().position(|(_, n, _)| n == name) {
            Some(at) if module == "provider" => {
                imports.push(provided[at].2.clone());
                wiring.push(at);
            }
            _ => return Ok(None),
        }
    }
    let mut exports = Vec::new();
    for (name, sig) in &user.exports {
        if let Some(ty) = func_type(u, sig)? {
            exports.push((name.clone(), format!("g{}", exports.len()), ty));
        }
    }

    let mut out = COMPONENT_HEADER.to_vec();
    raw_section(&mut out, 4, &leaf(&provider, &[], &provided)); // component 0
    raw_section(&mut out, 4, &leaf(&user, &imports, &exports)); // component 1
    // Component instance 0: the provider.
    section(&mut out, 5, 1, &[0x00, 0x00, 0x00]);
    // Component functions 0..: the provider's exports.
    let mut aliases = Vec::new();
    for (_, name, _) in &provided {
        aliases.extend([0x01, 0x00, 0x00]);
        name_(&mut aliases, name);
    }
    section(&mut out, 6, provided.len(), &aliases);
    // Component instance 1: the user, given the ones its imports name.
    let mut instance = vec![0x00, 0x01];
    leb(&mut instance, wiring.len());
    for (i, at) in wiring.iter().enumerate() {
        name_(&mut instance, &format!("import{i}"));
        instance.push(0x01);
        leb(&mut instance, *at);
    }
    section(&mut out, 5, 1, &instance);
    // Component functions provided.len()..: the user's exports.
    let mut aliases = Vec::new();
    for (_, name, _) in &exports {
        aliases.extend([0x01, 0x00, 0x01]);
        name_(&mut aliases, name);
    }
    section(&mut out, 6, exports.len(), &aliases);
    // The root exports the user's exports and some of the provider's.
    let mut export = Vec::new();
    let mut count = 0;
    for (i, (_, name, _)) in exports.iter().enumerate() {
        extern_name(&mut export, &format!("user-{name}"));
        export.push(0x01);
        leb(&mut export, provided.len() + i);
        export.push(0x00);
        count += 1;
    }
    for (i, (_, name, _)) in provided.iter().enumerate() {
        if u.arbitrary()? {
            extern_name(&mut export, &format!("provider-{name}"));
            export.push(0x01);
            leb(&mut export, i);
            export.push(0x00);
            count += 1;
        }
    }
    section(&mut out, 11, count, &export);
    Ok(Some(out))
}

const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/// A core module importing `funcs` from a module `provider`.
fn import_module<'a>(
    funcs: impl Iterator<Item = (&'a str, &'a (Vec<ValType>, Vec<ValType>))>,
) -> Vec<u8> {
    let funcs: Vec<_> = funcs.collect();
    let mut out = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    let mut types = Vec::new();
    for (_, (params, results)) in &funcs {
        types.push(0x60);
        for list in [params, results] {
            leb(&mut types, list.len());
            types.extend(list.iter().map(|t| match t {
                ValType::I32 => 0x7f,
                ValType::I64 => 0x7e,
                ValType::F32 => 0x7d,
                _ => 0x7c,
            }));
        }
    }
    section(&mut out, 1, funcs.len(), &types);
    let mut imports = Vec::new();
    for (i, (name, _)) in funcs.iter().enumerate() {
        name_(&mut imports, "provider");
        name_(&mut imports, name);
        imports.push(0x00);
        leb(&mut imports, i);
    }
    section(&mut out, 2, funcs.len(), &imports);
    out
}

/// A component around `m`: `imports` (one per function import of `m`, in
/// order) imported as `importN` and lowered; `exports` (core export
/// name, component export name, type) lifted and exported.
fn leaf(m: &Module, imports: &[FuncType], exports: &[(String, String, FuncType)]) -> Vec<u8> {
    let mut out = COMPONENT_HEADER.to_vec();
    // Types 0..: the imports', then the exports'.
    let mut types = Vec::new();
    for ty in imports.iter().chain(exports.iter().map(|(_, _, ty)| ty)) {
        types.push(0x40);
        leb(&mut types, ty.params.len());
        for (i, p) in ty.params.iter().enumerate() {
            name_(&mut types, &format!("p{i}"));
            types.push(p.byte());
        }
        match ty.result {
            Some(r) => types.extend([0x00, r.byte()]),
            None => types.extend([0x01, 0x00]),
        }
    }
    section(&mut out, 7, imports.len() + exports.len(), &types);
    // Component functions 0..: the imports.
    let mut section_bytes = Vec::new();
    for i in 0..imports.len() {
        extern_name(&mut section_bytes, &format!("import{i}"));
        section_bytes.push(0x01);
        leb(&mut section_bytes, i);
    }
    section(&mut out, 10, imports.len(), &section_bytes);
    // Core functions 0..: the imports lowered.
    let mut canon = Vec::new();
    for i in 0..imports.len() {
        canon.extend([0x01, 0x00]);
        leb(&mut canon, i);
        canon.push(0x00);
    }
    section(&mut out, 8, imports.len(), &canon);
    raw_section(&mut out, 1, &m.bytes);
    // Core instances: one per imported module name (exporting its lowered
    // functions under their core names), then the module's.
    let mut modules: Vec<&str> = Vec::new();
    for (module, _, _) in &m.imports {
        if !modules.contains(&module.as_str()) {
            modules.push(module);
        }
    }
    let mut instances = Vec::new();
    for module in &modules {
        let mut names: Vec<(&str, usize)> = Vec::new();
        for (i, (_, name, _)) in m.imports.iter().enumerate() {
            if m.imports[i].0 == *module && !names.iter().any(|(n, _)| n == name) {
                names.push((name, i));
            }
        }
        instances.push(0x01);
        leb(&mut instances, names.len());
        for (name, func) in names {
            name_(&mut instances, name);
            instances.push(0x00);
            leb(&mut instances, func);
        }
    }
    instances.extend([0x00, 0x00]);
    leb(&mut instances, modules.len());
    for (i, module) in modules.iter().enumerate() {
        name_(&mut instances, module);
        instances.push(0x12);
        leb(&mut instances, i);
    }
    section(&mut out, 2, modules.len() + 1, &instances);
    // Core functions imports.len()..: the exports, lifted to component
    // functions imports.len()...
    let mut aliases = Vec::new();
    let mut canon = Vec::new();
    for (i, (core, _, _)) in exports.iter().enumerate() {
        aliases.extend([0x00, 0x00, 0x01]);
        leb(&mut aliases, modules.len());
        name_(&mut aliases, core);
        canon.extend([0x00, 0x00]);
        leb(&mut canon, imports.len() + i);
        canon.push(0x00);
        leb(&mut canon, imports.len() + i);
    }
    section(&mut out, 6, exports.len(), &aliases);
    section(&mut out, 8, exports.len(), &canon);
    let mut export = Vec::new();
    for (i, (_, name, _)) in exports.iter().enumerate() {
        extern_name(&mut export, name);
        export.push(0x01);
        leb(&mut export, imports.len() + i);
        export.push(0x00);
    }
    section(&mut out, 11, exports.len(), &export);
    out
}

fn leb(out: &mut Vec<u8>, value: usize) {
    let mut value = value as u64;
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name_(out: &mut Vec<u8>, name: &str) {
    leb(out, name.len());
    out.extend_from_slice(name.as_bytes());
}

/// An import or export name of a component (`importname'`/`exportname'`).
fn extern_name(out: &mut Vec<u8>, name: &str) {
    out.push(0x00);
    name_(out, name);
}

/// A section whose body is a vector of `count` items, omitted when empty.
fn section(out: &mut Vec<u8>, id: u8, count: usize, items: &[u8]) {
    if count > 0 {
        let mut body = Vec::new();
        leb(&mut body, count);
        body.extend_from_slice(items);
        raw_section(out, id, &body);
    }
}

/// A section holding `body` as it is (a nested module or component).
fn raw_section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    leb(out, body.len());
    out.extend_from_slice(body);
}
