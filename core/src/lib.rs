//! meld-core: static fusion of a composed WebAssembly component.
//!
//! A composed component goes in; one core module comes out, or a component
//! wrapping that module with the same WIT world as the input. See
//! [`fuse`] for the pipeline and [`inspect()`] for the instantiation tree.

mod abi;
mod adapt;
mod boundary;
mod debug;
mod decode;
mod error;
mod flatten;
mod graph;
mod inspect;
pub mod json;
mod link;
mod merge;
mod naming;
mod runtime;
#[cfg(feature = "scratch-unvalidated")]
pub mod scratch;
mod threads;
mod unwind;
mod validate;
mod wrap;

pub use debug::DebugInfo;
pub use error::{Error, ErrorKind, Location, Result};
pub use inspect::{
    AdapterKind, AdapterNode, ComponentNode, CoreImportNode, CoreInstanceNode, LoweringNode, Tree,
    inspect,
};

/// What [`fuse`] should produce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputKind {
    /// A component with exactly the input's imports and exports.
    #[default]
    Component,
    /// The fused core module itself, imports and exports named after the
    /// interfaces and functions they stand for (see the README).
    Core,
}

/// How the fused module holds the inner components' linear memories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MemoryStrategy {
    /// `shared` for a core module output when it is possible, else
    /// `multi`: core tools and engines often lack multi-memory, component
    /// hosts have it. Also `shared` when one memory per inner memory would
    /// be more memories than validators and engines accept (100).
    #[default]
    Auto,
    /// One memory per inner memory (needs the multi-memory feature).
    Multi,
    /// One memory, each inner memory a region of it, with every access
    /// checked against its region (runs where multi-memory does not).
    Shared,
}

impl MemoryStrategy {
    /// The strategy as the CLI and the other hosts spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryStrategy::Auto => "auto",
            MemoryStrategy::Multi => "multi",
            MemoryStrategy::Shared => "shared",
        }
    }
}

/// Whether the generated string copies may use SIMD (the `simd128`
/// proposal) to validate utf8, sixteen bytes at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Simd {
    /// When the input already uses SIMD (a `v128` in a core module's
    /// function types, globals or locals): the output then needs no
    /// feature the input did not.
    #[default]
    Auto,
    /// Always: the output needs SIMD even when the input did not.
    On,
    /// Never: scalar validation (eight bytes at a time) only.
    Off,
}

impl Simd {
    /// The choice as the CLI and the other hosts spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Simd::Auto => "auto",
            Simd::On => "on",
            Simd::Off => "off",
        }
    }
}

/// Size of a shared-memory region, in MiB, for a memory that declares no
/// maximum, unless [`Options::region_mib`] says otherwise.
pub const DEFAULT_REGION_MIB: u32 = 64;

/// Options of a fusion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Component (default) or core module.
    pub output: OutputKind,
    /// Multi-memory, one shared memory, or chosen by the output kind and
    /// the number of memories.
    pub memory: MemoryStrategy,
    /// With a shared memory: the region size in MiB of memories that
    /// declare no maximum ([`DEFAULT_REGION_MIB`] if `None`).
    pub region_mib: Option<u32>,
    /// Keep (default) or strip the inner modules' DWARF.
    pub debug_info: DebugInfo,
    /// Whether string copies may validate utf8 with SIMD.
    pub simd: Simd,
}

/// Counts describing one fusion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Inner component instances (leaves of the composition).
    pub components: usize,
    /// Distinct core modules in the input.
    pub core_modules: usize,
    /// Core module instantiations merged into the output.
    pub core_instances: usize,
    /// Linear memories in the fused module.
    pub memories: usize,
    /// Cross-component calls turned into direct calls.
    pub adapters_direct: usize,
    /// Calls through a generated adapter that only checks or converts
    /// scalars (or calls post-return).
    pub adapters_fixup: usize,
    /// Calls through a generated adapter that copies strings, lists or
    /// spilled values from one memory to the other.
    pub adapters_copy: usize,
    /// Calls through a generated adapter that transcodes strings between
    /// encodings.
    pub adapters_transcode: usize,
    /// Bytes of code in generated adapter and helper functions.
    pub adapter_code_bytes: usize,
    /// Distinct host (root) imports lowered into the fused module.
    pub host_imports: usize,
    /// Total size of the inputs.
    pub input_bytes: usize,
    /// Size of the output.
    pub output_bytes: usize,
    /// Custom sections dropped (e.g. `.debug_info` with `--debug-info
    /// strip`), with their total size.
    pub dropped_sections: Vec<(String, usize)>,
    /// Bytes of DWARF (`.debug_*` sections) in the fused module.
    pub dwarf_bytes: usize,
    /// The memory strategy used (`Multi` or `Shared`, never `Auto`).
    pub memory: MemoryStrategy,
    /// With a shared memory, its regions in address order.
    pub regions: Vec<Region>,
    /// With the async runtime, per inner component (in instantiation
    /// order): its functions, and how many of them the unwind transform
    /// rewrote so that a task can suspend in them. The others keep their
    /// bytes; a component whose code cannot block has none rewritten.
    pub suspendable: Vec<Suspendable>,
}

impl Stats {
    /// Bytes of DWARF (`.debug_*` sections) dropped: all of the input's
    /// with [`DebugInfo::Strip`], the sections meld does not carry with
    /// [`DebugInfo::Keep`].
    pub fn dwarf_dropped(&self) -> usize {
        self.dropped_sections
            .iter()
            .filter(|(name, _)| name.starts_with(".debug_"))
            .map(|(_, size)| size)
            .sum()
    }
}

/// How much of one inner component's code the unwind transform rewrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspendable {
    /// Path of the inner component.
    pub component: String,
    /// The functions its core modules define (each instance counted).
    pub functions: usize,
    /// Those rewritten: they can reach a point where their task suspends.
    pub transformed: usize,
    /// The bytes of those functions' bodies before the rewrite.
    pub transformed_bytes_before: usize,
    /// ... and after it (the code the transform adds to this component).
    pub transformed_bytes_after: usize,
}

/// One inner component's region of a shared memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Path of the inner component that owns it.
    pub component: String,
    /// Offset in the shared memory, in bytes.
    pub base: u32,
    /// Size it may grow to, in bytes.
    pub max_bytes: u64,
}

/// The result of a successful fusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fused {
    /// The output: a component or a core module, validated.
    pub wasm: Vec<u8>,
    /// What fusion did.
    pub stats: Stats,
    /// Things worth knowing that did not stop fusion.
    pub warnings: Vec<String>,
}

/// Fuses `inputs` (one composed component, or several components to link
/// by interface name, the first being the one whose exports are kept).
pub fn fuse(inputs: &[&[u8]], options: &Options) -> Result<Fused> {
    let region_pages = |mib: u32| mib.saturating_mul(16).clamp(1, 1 << 16);
    let default_pages = region_pages(options.region_mib.unwrap_or(DEFAULT_REGION_MIB));
    let shared = merge::MemoryLayout::Shared { default_pages };
    match (options.memory, options.output) {
        (MemoryStrategy::Multi, _) => fuse_with(inputs, options, merge::MemoryLayout::Multi),
        // Component hosts have multi-memory: shared only when the module
        // would have more memories than engines accept.
        (MemoryStrategy::Auto, OutputKind::Component) => {
            fuse_with(inputs, options, merge::MemoryLayout::Auto { default_pages })
        }
        (MemoryStrategy::Shared, _) => fuse_with(inputs, options, shared),
        (MemoryStrategy::Auto, OutputKind::Core) => {
            match fuse_with(inputs, options, shared) {
                Err(e) if e.kind() == ErrorKind::Unsupported => {
                    let mut fused = fuse_with(inputs, options, merge::MemoryLayout::Multi)
                        .map_err(|multi| match multi.kind() {
                            // The same refusal either way: say it once.
                            ErrorKind::Unsupported if multi.message() == e.message() => multi,
                            ErrorKind::Unsupported => Error::unsupported(format!(
                                "{}; and a shared memory is not possible here either ({})",
                                multi.message(),
                                e.message()
                            )),
                            _ => multi,
                        })?;
                    fused.warnings.push(format!(
                        "--memory auto chose multi: a shared memory is not possible here ({})",
                        e.message()
                    ));
                    Ok(fused)
                }
                other => other,
            }
        }
    }
}

/// Per inner component, its functions and those of them in `transformed`
/// (the runtime's own instances are not counted).
fn suspendable_counts(
    graph: &graph::Graph,
    layout: &merge::Layout<'_>,
    report: &unwind::Report,
) -> Result<Vec<Suspendable>> {
    let mut out: Vec<Suspendable> = Vec::new();
    for (id, instance) in graph.guest_instances() {
        let funcs = layout.instance_funcs(graph, id)?;
        let rewritten = report.transformed.range(funcs.clone()).count();
        let (before, after) = report
            .sizes
            .range(funcs.clone())
            .fold((0, 0), |(b, a), (_, (x, y))| (b + x, a + y));
        let component = graph.path(instance.component);
        let at = match out.iter().position(|s| s.component == component) {
            Some(at) => at,
            None => {
                out.push(Suspendable {
                    component: component.to_string(),
                    functions: 0,
                    transformed: 0,
                    transformed_bytes_before: 0,
                    transformed_bytes_after: 0,
                });
                out.len() - 1
            }
        };
        out[at].functions += funcs.len();
        out[at].transformed += rewritten;
        out[at].transformed_bytes_before += before;
        out[at].transformed_bytes_after += after;
    }
    Ok(out)
}

fn fuse_with(inputs: &[&[u8]], options: &Options, memory: merge::MemoryLayout) -> Result<Fused> {
    // Several inputs are first linked into one composition by name.
    let linked;
    let input = match inputs {
        [one] => *one,
        [] => return Err(Error::invalid("no input given")),
        many => {
            linked = link::link(many)?;
            &linked[..]
        }
    };

    // Stage 1, decode: parse and validate; every later stage may assume a
    // valid component. Function bodies are validated while the stages up
    // to the wrapper, which read none, run, and the module's assembly
    // below (see `validate::alongside`), but for those the fused module's
    // validation shows valid (`merge::implied`).
    let fit = |e: Error| match inputs.len() {
        1 => e,
        _ => Error::link(format!("the inputs do not fit together: {}", e.message())),
    };
    let (decoded, jobs) = check_magic(input)
        .and_then(|()| decode::decode_deferred(input))
        .map_err(fit)?;
    let skip = validate::Skip::default();
    match fuse_decoded(input, decoded, jobs, &skip, options, memory, &fit) {
        // An invalid body's error comes first, whatever failed after it.
        Err(e) if skip.any() => match validate::first_error(input) {
            Some(invalid) => Err(fit(Error::from(invalid))),
            None => Err(e),
        },
        result => result,
    }
}

/// Fuses the decoded `input`, whose function bodies `jobs` are still to
/// validate, but those `skip` comes to cover (`fit` words an invalid
/// body's error).
fn fuse_decoded<'a>(
    input: &'a [u8],
    mut decoded: decode::Decoded<'a>,
    jobs: Vec<validate::Job<'a>>,
    skip: &'a validate::Skip,
    options: &Options,
    memory: merge::MemoryLayout,
    fit: &dyn Fn(Error) -> Error,
) -> Result<Fused> {
    let (valid, built) = validate::alongside(jobs, skip, || -> Result<_> {
        let mut planned = plan(&mut decoded, options, memory, skip)?;
        let implied = std::mem::take(&mut planned.implied);
        // Stage 4b, merge (emit), with one memory per inner memory: the
        // module is assembled while the bodies are still validated too.
        // Copying a body checks nothing and fails with an error, never a
        // panic, on any bytes (`merge::body::copy`); what it built is used
        // only when every body is valid. A shared memory's rewrite of the
        // bodies waits for their validation.
        let module = match planned.layout.shared {
            Some(_) => None,
            None => Some(planned.emit()?),
        };
        Ok((planned, module, implied))
    });
    if !valid {
        return Err(fit(decode::body_error(input)));
    }
    let (mut planned, module, implied) = built?;
    // Stage 4b, merge (emit): re-encode every instance into one module.
    let (mut module, mut info) = match module {
        Some(module) => module,
        None => planned.emit()?,
    };
    // A module whose copied bodies hold an instruction the fused module's
    // validation cannot vouch for is validated on its own.
    for m in info.unimplied.iter().filter(|m| implied.contains(m)) {
        if !validate::module(decoded.modules[m.0].bytes) {
            return Err(fit(decode::body_error(input)));
        }
    }
    let Planned {
        graph,
        adapters,
        mut layout,
        boundary,
        generated: _,
        adapter_code_bytes,
        unwind,
        debug_info: _,
        wrapper,
        implied: _,
    } = planned;
    let mut suspendable = Vec::new();
    if let Some(config) = unwind {
        let (instrumented, report) = unwind::instrument(&module, &config)?;
        module = instrumented;
        suspendable = suspendable_counts(&graph, &layout, &report)?;
        info.dwarf_bytes = report.dwarf_bytes;
    }
    let warnings = std::mem::take(&mut layout.warnings);

    let counts = adapters.counts();
    let mut stats = Stats {
        components: graph.components.len(),
        core_modules: layout.modules.iter().filter(|m| m.is_some()).count(),
        core_instances: graph.instances.len(),
        memories: info.memories as usize,
        adapters_direct: counts.direct,
        adapters_fixup: counts.fixup,
        adapters_copy: counts.copy,
        adapters_transcode: counts.transcode,
        adapter_code_bytes,
        host_imports: boundary.imports.len(),
        input_bytes: decoded.size,
        output_bytes: 0,
        dropped_sections: info.dropped,
        dwarf_bytes: info.dwarf_bytes,
        memory: match layout.shared {
            None => MemoryStrategy::Multi,
            Some(_) => MemoryStrategy::Shared,
        },
        regions: info
            .regions
            .into_iter()
            .map(|r| Region {
                component: r.component,
                base: r.base,
                max_bytes: u64::from(r.max_pages) << 16,
            })
            .collect(),
        suspendable,
    };

    // Stage 7, wrap: a component with the input's world around the module.
    // The output is validated once, as a whole (a component's validation
    // includes its core module), after everything fusion built is freed.
    let wasm = match options.output {
        OutputKind::Core => {
            if graph.runtime.is_some() {
                return Err(Error::unsupported(
                    "--output core: a composition that uses the async ABI or passes streams, \
                     futures or error contexts needs the component wrapper (meld's runtime \
                     takes the host's task.return, context and stream built-ins from it); \
                     fuse to a component instead",
                ));
            }
            if let Some(name) = graph.carried_export() {
                return Err(Error::unsupported(format!(
                    "the root exports `{name}`, a core module or component passed along \
                     unchanged, which a core module cannot export; fuse to a component instead"
                )));
            }
            drop((layout, boundary, adapters, graph, decoded));
            validate::output(&module, "fused core module")?;
            module
        }
        OutputKind::Component => {
            let wrapper =
                wrapper.ok_or_else(|| Error::internal("a component output without its wrapper"))?;
            drop((layout, boundary, adapters, graph, decoded));
            let component = wrapper.finish(module);
            validate::output(&component, "wrapped component")?;
            component
        }
    };
    stats.output_bytes = wasm.len();
    Ok(Fused {
        wasm,
        stats,
        warnings,
    })
}

/// Stage 1 for an input that may not be wasm at all: a file that does not
/// start with wasm's magic number gets an error saying what meld takes,
/// rather than wasmparser's byte dump.
pub(crate) fn decode_wasm(input: &[u8]) -> Result<decode::Decoded<'_>> {
    check_magic(input)?;
    decode::decode(input)
}

/// Refuses an input that is not WebAssembly at all.
fn check_magic(input: &[u8]) -> Result<()> {
    if !input.starts_with(b"\0asm") {
        return Err(Error::invalid(
            "not a WebAssembly file (it does not start with `\\0asm`); meld takes a \
             component, such as one composed with `wac` or `wasm-tools compose`",
        )
        .at_offset(0));
    }
    Ok(())
}

/// What the stages before the fused module's assembly built.
struct Planned<'a> {
    graph: graph::Graph,
    adapters: adapt::Adapters,
    layout: merge::Layout<'a>,
    boundary: boundary::Boundary,
    generated: merge::Generated,
    adapter_code_bytes: usize,
    unwind: Option<unwind::Config>,
    debug_info: DebugInfo,
    wrapper: Option<wrap::Prepared>,
    /// The input's modules whose bodies the fused module's validation
    /// shows valid (`merge::implied`), which `skip` now covers.
    implied: Vec<decode::StaticModuleIndex>,
}

impl Planned<'_> {
    /// Stage 4b, merge (emit): every instance re-encoded into one module,
    /// with the generated functions (taken).
    fn emit(&mut self) -> Result<(Vec<u8>, merge::EmitInfo)> {
        merge::emit(
            &self.graph,
            &self.adapters,
            &self.layout,
            &self.boundary,
            std::mem::take(&mut self.generated),
            self.debug_info,
        )
    }
}

/// Stages 2 to 7a: everything before the fused module is assembled. None
/// of them reads a function body, so they run while the input's bodies
/// are validated, but those `skip` comes to cover once the layout shows
/// which they are.
fn plan<'a>(
    decoded: &mut decode::Decoded<'a>,
    options: &Options,
    memory: merge::MemoryLayout,
    skip: &validate::Skip,
) -> Result<Planned<'a>> {
    // Stage 2, flatten: instantiate the root symbolically. Nesting, aliases
    // and re-exports disappear; what is left is the ordered core instances,
    // the lifted functions, the adapters and the lowered root imports.
    let mut graph = flatten::flatten(decoded)?;
    // meld's async runtime joins the composition as three more instances
    // when the input uses the async ABI or passes streams and futures.
    runtime::attach(decoded, &mut graph)?;
    let types = decoded.types()?;

    // Stage 5a, adapt (plan): decide per cross-component call whether it is
    // a direct call or needs a generated adapter, from the component type.
    let adapters = adapt::plan(decoded, &graph, types)?;

    // Stage 4a, merge (layout): the fused module's index spaces, and the
    // origin of every import of every instance.
    let mut layout = merge::Layout::new(decoded, &graph, &adapters, memory)?;
    // The bodies the fused module's validation shows valid need no
    // validation of their own from now on.
    let implied = merge::implied(&graph, &layout);
    skip.set(
        implied
            .iter()
            .map(|m| {
                let module = &decoded.modules[m.0];
                module.offset..module.offset + module.bytes.len()
            })
            .collect(),
    );

    // The boundary: the fused module's imports (lowered root functions) and
    // exports (lifted functions and their options), named as documented.
    let boundary = boundary::plan(&graph, &adapters, &layout, types)?;
    layout.set_imports(boundary.imports.len(), &boundary.lowering_import);

    // Stage 5b, adapt (generate): the bodies of the generated adapters and
    // the helper functions they share. Stage 7a, wrap (prepare): the
    // component with the input's world around the module, built now so
    // that the input's types are freed before the module is assembled
    // (fusion's peak of memory). Neither reads what the other builds: on a
    // native host they run side by side.
    let simd = match options.simd {
        Simd::Auto => decoded.uses_simd,
        Simd::On => true,
        Simd::Off => false,
    };
    let (generated, wrapper) = threads::join(
        || adapt::generate(&graph, &adapters, &layout, &boundary, types, simd),
        || match options.output {
            OutputKind::Component => wrap::prepare(types, &graph, &boundary).map(Some),
            OutputKind::Core => Ok(None),
        },
    );
    // (the errors in the order the stages come in)
    let generated = generated?;
    let adapter_code_bytes = generated
        .adapters
        .iter()
        .chain(&generated.helpers)
        .map(|g| g.body.byte_len())
        .sum();

    // With the async runtime, the code that can reach a suspension is
    // transformed after merging (which moves the DWARF's addresses again).
    let unwind = adapt::async_calls::unwind_config(&graph, &adapters, &layout)?;

    let wrapper = wrapper?;
    decoded.types = None;

    Ok(Planned {
        graph,
        adapters,
        layout,
        boundary,
        generated,
        adapter_code_bytes,
        unwind,
        debug_info: options.debug_info,
        wrapper,
        implied,
    })
}
