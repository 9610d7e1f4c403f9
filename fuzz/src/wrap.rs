//! Generated core modules wrapped into components, and composed.
//!
//! Written as a few lines of binary encoding rather than with wasm-encoder,
//! so that the stable test needs no dependency beyond `wasm-smith` and
//! `arbitrary`. A wrapper may still be invalid (wasm-smith's GC types make
//! some lifts mistyped, for one); meld then says so, a fine answer too.

use arbitrary::{Result, Unstructured};
use wasmparser::ValType;

use super::types::{self, FuncType, Types};
use super::{Module, generate, module, module_config, runnable_config};

/// A core module and its component imports (one per function import, in
/// order, lowered) and exports (core export name, component export name,
/// type), with or without a memory for the canonical options.
struct Leaf<'a> {
    module: &'a Module,
    imports: Vec<FuncType>,
    exports: Vec<(String, String, FuncType)>,
    memory: bool,
    encoding: u8,
}

/// A generated module as a component: its function imports become
/// component imports `importN`, most of its exported functions are lifted
/// and exported as `exportN`. `None` when an import is not a function of
/// a type a component can give.
pub fn wrap(u: &mut Unstructured<'_>) -> Result<Option<Vec<u8>>> {
    let m = module(u, true)?;
    let memory = u.arbitrary()?;
    let mut imports = Vec::new();
    for (_, _, sig) in &m.imports {
        match sig {
            Some(sig) => match types::lower(u, sig, memory)? {
                Some(ty) => imports.push(ty),
                None => return Ok(None),
            },
            None => return Ok(None),
        }
    }
    let mut exports = Vec::new();
    for (name, sig) in &m.exports {
        if let Some(sig) = sig
            && let Some(ty) = types::lift(u, sig, memory)?
            && u.ratio(7, 8)?
        {
            exports.push((name.clone(), format!("export{}", exports.len()), ty));
        }
    }
    let encoding = u.int_in_range(0..=2)?;
    Ok(Some(
        Leaf {
            module: &m,
            imports,
            exports,
            memory,
            encoding,
        }
        .encode(),
    ))
}

/// Two components: `provider` lifts and exports some functions as `fN`;
/// `user`'s module may import them (wasm-smith's `available_imports`, with
/// the signatures their types lower to), its component imports them and
/// the root wires the provider's exports in. Each has a memory or not and
/// its own string encoding, so calls between them need adapters that
/// check, copy or transcode.
///
/// `runnable`: both modules get [`runnable_config`]'s features and
/// `wasm-smith`'s fuel counter ([`RUN_FUEL`] loop turns and calls per
/// instance), so the composition imports nothing and every call ends.
pub fn compose(u: &mut Unstructured<'_>, runnable: bool) -> Result<Option<Vec<u8>>> {
    let make_config = |u: &mut Unstructured<'_>| match runnable {
        true => runnable_config(u),
        false => module_config(u),
    };
    let fuel = runnable.then_some(RUN_FUEL);
    let mut provider_config = make_config(u)?;
    (
        provider_config.max_imports,
        provider_config.export_everything,
    ) = (0, true);
    provider_config.min_funcs = provider_config
        .min_funcs
        .max(1)
        .min(provider_config.max_funcs);
    let provider = generate(u, provider_config, fuel)?;
    let provider_memory = u.ratio(3, 4)?;
    let mut provided = Vec::new();
    for (name, sig) in &provider.exports {
        if let Some(sig) = sig
            && let Some(ty) = types::lift(u, sig, provider_memory)?
        {
            provided.push((name.clone(), format!("f{}", provided.len()), ty));
        }
    }
    let mut config = make_config(u)?;
    config.available_imports = Some(import_module(
        provided
            .iter()
            .map(|(_, name, ty)| (name.as_str(), ty.lowered())),
    ));
    config.max_imports = config.max_imports.max(provided.len());
    config.min_imports = u.int_in_range(0..=provided.len())?;
    let user = generate(u, config, fuel)?;
    let user_memory = u.arbitrary()?;

    // The user's imports, each the provider's export of that name. A type
    // that needs a memory needs one on the user's side too.
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
    let user_memory = user_memory || provider_memory && !imports.is_empty();
    let mut exports = Vec::new();
    for (name, sig) in &user.exports {
        if let Some(sig) = sig
            && let Some(ty) = types::lift(u, sig, user_memory)?
        {
            exports.push((name.clone(), format!("g{}", exports.len()), ty));
        }
    }

    let mut out = COMPONENT_HEADER.to_vec();
    let provider_leaf = Leaf {
        module: &provider,
        imports: Vec::new(),
        exports: provided.clone(),
        memory: provider_memory,
        encoding: u.int_in_range(0..=2)?,
    };
    raw_section(&mut out, 4, &provider_leaf.encode()); // component 0
    let user_leaf = Leaf {
        module: &user,
        imports,
        exports: exports.clone(),
        memory: user_memory,
        encoding: u.int_in_range(0..=2)?,
    };
    raw_section(&mut out, 4, &user_leaf.encode()); // component 1
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

/// Loop turns and calls a runnable composition's module may make per
/// instance before it traps.
const RUN_FUEL: u32 = 2_000;

const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

fn core_val_type(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
        // `types` only gives these four.
        _ => 0x7b,
    }
}

/// A core module importing `funcs` from a module `provider`.
fn import_module<'a>(
    funcs: impl Iterator<Item = (&'a str, (Vec<ValType>, Vec<ValType>))>,
) -> Vec<u8> {
    let funcs: Vec<_> = funcs.collect();
    let mut out = MODULE_HEADER.to_vec();
    let mut types = Vec::new();
    for (_, (params, results)) in &funcs {
        types.push(0x60);
        for list in [params, results] {
            leb(&mut types, list.len());
            types.extend(list.iter().map(|t| core_val_type(*t)));
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

/// The module giving a component its memory and `realloc`: one page, and
/// a `realloc` that always answers 8 (fusion does not run it).
fn memory_module() -> Vec<u8> {
    let mut out = MODULE_HEADER.to_vec();
    section(
        &mut out,
        1,
        1,
        &[0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f],
    );
    section(&mut out, 3, 1, &[0x00]);
    section(&mut out, 5, 1, &[0x00, 0x01]);
    let mut exports = Vec::new();
    name_(&mut exports, "memory");
    exports.extend([0x02, 0x00]);
    name_(&mut exports, "realloc");
    exports.extend([0x00, 0x00]);
    section(&mut out, 7, 2, &exports);
    section(&mut out, 10, 1, &[0x04, 0x00, 0x41, 0x08, 0x0b]);
    out
}

impl Leaf<'_> {
    fn encode(&self) -> Vec<u8> {
        let m = self.module;
        let mut out = COMPONENT_HEADER.to_vec();
        let mut types = Types::default();
        let import_types: Vec<usize> = self.imports.iter().map(|ty| types.func(ty)).collect();
        let export_types: Vec<usize> = self
            .exports
            .iter()
            .map(|(_, _, ty)| types.func(ty))
            .collect();
        raw_section(&mut out, 7, &{
            let mut body = Vec::new();
            leb(&mut body, types.count);
            body.extend(&types.bytes);
            body
        });
        // Component functions 0..: the imports.
        let mut items = Vec::new();
        for (i, ty) in import_types.iter().enumerate() {
            extern_name(&mut items, &format!("import{i}"));
            items.push(0x01);
            leb(&mut items, *ty);
        }
        section(&mut out, 10, self.imports.len(), &items);
        // Core module 0 is the generated one, 1 the memory's.
        raw_section(&mut out, 1, &m.bytes);
        // With a memory: core instance 0 its module's, core memory 0 and
        // core function 0 its memory and realloc.
        let (mut options, mut option_count) = (Vec::new(), 0);
        let memory = usize::from(self.memory);
        if self.memory {
            raw_section(&mut out, 1, &memory_module());
            section(&mut out, 2, 1, &[0x00, 0x01, 0x00]);
            let mut aliases = vec![0x00, 0x02, 0x01, 0x00];
            name_(&mut aliases, "memory");
            aliases.extend([0x00, 0x00, 0x01, 0x00]);
            name_(&mut aliases, "realloc");
            section(&mut out, 6, 2, &aliases);
            // A string encoding, `(memory 0)` and `(realloc 0)`.
            (options, option_count) = (vec![self.encoding, 0x03, 0x00, 0x04, 0x00], 3);
        }
        // Core functions memory..: the imports lowered.
        let mut canon = Vec::new();
        for i in 0..self.imports.len() {
            canon.extend([0x01, 0x00]);
            leb(&mut canon, i);
            leb(&mut canon, option_count);
            canon.extend(&options);
        }
        section(&mut out, 8, self.imports.len(), &canon);
        // Core instances memory..: one per imported module name
        // (exporting its lowered functions under their core names), then
        // the generated module's.
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
                leb(&mut instances, memory + func);
            }
        }
        instances.extend([0x00, 0x00]);
        leb(&mut instances, modules.len());
        for (i, module) in modules.iter().enumerate() {
            name_(&mut instances, module);
            instances.push(0x12);
            leb(&mut instances, memory + i);
        }
        section(&mut out, 2, modules.len() + 1, &instances);
        // Core functions memory + imports..: the exports, lifted to
        // component functions imports...
        let lowered = memory + self.imports.len();
        let mut aliases = Vec::new();
        let mut canon = Vec::new();
        for (i, (core, _, _)) in self.exports.iter().enumerate() {
            aliases.extend([0x00, 0x00, 0x01]);
            leb(&mut aliases, memory + modules.len());
            name_(&mut aliases, core);
            canon.extend([0x00, 0x00]);
            leb(&mut canon, lowered + i);
            leb(&mut canon, option_count);
            canon.extend(&options);
            leb(&mut canon, export_types[i]);
        }
        section(&mut out, 6, self.exports.len(), &aliases);
        section(&mut out, 8, self.exports.len(), &canon);
        let mut export = Vec::new();
        for (i, (_, name, _)) in self.exports.iter().enumerate() {
            extern_name(&mut export, name);
            export.push(0x01);
            leb(&mut export, self.imports.len() + i);
            export.push(0x00);
        }
        section(&mut out, 11, self.exports.len(), &export);
        out
    }
}

pub fn leb(out: &mut Vec<u8>, value: usize) {
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
