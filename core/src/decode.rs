//! Stage 1: read and validate an input component.
//!
//! One pass over wasmparser's payloads, validating as it goes, records every
//! component (at any nesting depth) as an ordered list of [`Decl`]arations
//! and every core module as a byte range. Each declaration adds one item to
//! one index space of its component, exactly as the binary does, so the
//! flatten stage can interpret the list in order with plain index lookups.
//! Type information the later stages need (the type of each lifted function,
//! of each import) is taken from the validator while its state is current,
//! as ids into the [`Types`] that outlive validation.
//!
//! Invariant: a [`Decoded`] only exists for input that validated.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType, ComponentFuncTypeId};
use wasmparser::types::Types;
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind, ComponentInstance,
    ComponentOuterAliasKind, ExternalKind, Instance, Parser, Payload, ValidPayload, Validator,
    WasmFeatures,
};

/// Index of a core module in [`Decoded::modules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct StaticModuleIndex(pub(crate) usize);

/// Index of a component in [`Decoded::components`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct StaticComponentIndex(pub(crate) usize);

/// A validated input.
pub(crate) struct Decoded<'a> {
    /// Every core module of the input, in the order they appear.
    pub(crate) modules: Vec<StaticModule<'a>>,
    /// Every component of the input, the root included, in the order their
    /// sections end (so a nested component precedes its parent).
    pub(crate) components: Vec<StaticComponent<'a>>,
    /// The root component.
    pub(crate) root: StaticComponentIndex,
    /// Type information of the whole input (freed by fusion once the
    /// wrapper is built: [`Decoded::types`]).
    pub(crate) types: Option<Types>,
    /// Size of the input in bytes.
    pub(crate) size: usize,
    /// Whether a core module of the input uses SIMD: a `v128` in a
    /// function type, a global or a function's locals (`--simd auto`).
    pub(crate) uses_simd: bool,
    /// Whether a core module of the input defines a tag: only then can an
    /// exception be thrown (`adapt/barrier.rs`).
    pub(crate) defines_tags: bool,
}

impl Decoded<'_> {
    /// Type information of the whole input.
    pub(crate) fn types(&self) -> Result<wasmparser::types::TypesRef<'_>> {
        self.types
            .as_ref()
            .map(Types::as_ref)
            .ok_or_else(|| Error::internal("the input's types were already freed"))
    }
}

/// A core module: its bytes and where they start in the input.
#[derive(Debug)]
pub(crate) struct StaticModule<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) offset: usize,
}

/// A component: its declarations in binary order.
#[derive(Debug, Default)]
pub(crate) struct StaticComponent<'a> {
    /// Its whole encoding (the input itself for the root), carried
    /// unchanged when the component is exported rather than instantiated.
    pub(crate) bytes: &'a [u8],
    pub(crate) decls: Vec<Decl<'a>>,
    /// Names from the `component-name` section, used for readable paths.
    pub(crate) names: Names,
}

/// The parts of a `component-name` section meld uses.
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub(crate) component: Option<String>,
    pub(crate) instances: BTreeMap<u32, String>,
    pub(crate) components: BTreeMap<u32, String>,
    pub(crate) modules: BTreeMap<u32, String>,
    pub(crate) core_instances: BTreeMap<u32, String>,
}

impl Names {
    /// Reads a `component-name` section; malformed names are ignored, as
    /// names never change behaviour.
    fn read(section: &wasmparser::CustomSectionReader<'_>) -> Names {
        let mut names = Names::default();
        let reader = wasmparser::BinaryReader::new(section.data(), section.data_offset());
        for sub in wasmparser::ComponentNameSectionReader::new(reader) {
            let Ok(sub) = sub else { break };
            let (map, target) = match sub {
                wasmparser::ComponentName::Component { name, .. } => {
                    names.component = Some(name.to_string());
                    continue;
                }
                wasmparser::ComponentName::Instances(map) => (map, &mut names.instances),
                wasmparser::ComponentName::Components(map) => (map, &mut names.components),
                wasmparser::ComponentName::CoreModules(map) => (map, &mut names.modules),
                wasmparser::ComponentName::CoreInstances(map) => (map, &mut names.core_instances),
                _ => continue,
            };
            for naming in map.into_iter().flatten() {
                target.insert(naming.index, naming.name.to_string());
            }
        }
        names
    }
}

/// Canonical options as written, indices into the declaring component's
/// core index spaces.
#[derive(Debug, Clone, Default)]
pub(crate) struct CanonOptions {
    pub(crate) memory: Option<u32>,
    pub(crate) realloc: Option<u32>,
    pub(crate) post_return: Option<u32>,
    pub(crate) encoding: StringEncoding,
    /// `async`: lifted or lowered with the async ABI.
    pub(crate) async_: bool,
    /// `(callback $f)` of an async lift.
    pub(crate) callback: Option<u32>,
}

/// A canonical built-in of the async ABI's calls and tasks (part 1):
/// tasks, subtasks, waitable sets, context slots, backpressure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum AsyncOp {
    /// `task.return`, with the result type's flat core types and its
    /// options' memory and string encoding (resolved when flattening).
    TaskReturn,
    TaskCancel,
    ContextGet(u32),
    ContextSet(u32),
    WaitableSetNew,
    WaitableSetWait {
        cancellable: bool,
    },
    WaitableSetPoll {
        cancellable: bool,
    },
    WaitableSetDrop,
    WaitableJoin,
    SubtaskDrop,
    SubtaskCancel {
        async_: bool,
    },
    BackpressureInc,
    BackpressureDec,
    ThreadYield {
        cancellable: bool,
    },
    /// A built-in of a stream (`future`: of a future) type, which the
    /// built-in's `result` names.
    End {
        future: bool,
        op: EndOp,
        async_: bool,
    },
    ErrorContextNew,
    ErrorContextDebugMessage,
    ErrorContextDrop,
}

/// What a stream or future built-in does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum EndOp {
    New,
    Read,
    Write,
    CancelRead,
    CancelWrite,
    DropReadable,
    DropWritable,
}

impl EndOp {
    fn name(self, future: bool) -> &'static str {
        match (future, self) {
            (false, EndOp::New) => "stream.new",
            (false, EndOp::Read) => "stream.read",
            (false, EndOp::Write) => "stream.write",
            (false, EndOp::CancelRead) => "stream.cancel-read",
            (false, EndOp::CancelWrite) => "stream.cancel-write",
            (false, EndOp::DropReadable) => "stream.drop-readable",
            (false, EndOp::DropWritable) => "stream.drop-writable",
            (true, EndOp::New) => "future.new",
            (true, EndOp::Read) => "future.read",
            (true, EndOp::Write) => "future.write",
            (true, EndOp::CancelRead) => "future.cancel-read",
            (true, EndOp::CancelWrite) => "future.cancel-write",
            (true, EndOp::DropReadable) => "future.drop-readable",
            (true, EndOp::DropWritable) => "future.drop-writable",
        }
    }
}

impl AsyncOp {
    /// The built-in's name as the component model spells it.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            AsyncOp::TaskReturn => "task.return",
            AsyncOp::TaskCancel => "task.cancel",
            AsyncOp::ContextGet(_) => "context.get",
            AsyncOp::ContextSet(_) => "context.set",
            AsyncOp::WaitableSetNew => "waitable-set.new",
            AsyncOp::WaitableSetWait { .. } => "waitable-set.wait",
            AsyncOp::WaitableSetPoll { .. } => "waitable-set.poll",
            AsyncOp::WaitableSetDrop => "waitable-set.drop",
            AsyncOp::WaitableJoin => "waitable.join",
            AsyncOp::SubtaskDrop => "subtask.drop",
            AsyncOp::SubtaskCancel { .. } => "subtask.cancel",
            AsyncOp::BackpressureInc => "backpressure.inc",
            AsyncOp::BackpressureDec => "backpressure.dec",
            AsyncOp::ThreadYield { .. } => "thread.yield",
            AsyncOp::End { future, op, .. } => op.name(*future),
            AsyncOp::ErrorContextNew => "error-context.new",
            AsyncOp::ErrorContextDebugMessage => "error-context.debug-message",
            AsyncOp::ErrorContextDrop => "error-context.drop",
        }
    }

    /// Whether the built-in traps when its caller may not leave its
    /// instance (wasmtime 48 checks for all but these four).
    pub(crate) fn checks_may_leave(&self) -> bool {
        !matches!(
            self,
            AsyncOp::ContextGet(_)
                | AsyncOp::ContextSet(_)
                | AsyncOp::BackpressureInc
                | AsyncOp::BackpressureDec
        )
    }
}

/// How strings are encoded in a component's memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum StringEncoding {
    #[default]
    Utf8,
    Utf16,
    CompactUtf16,
}

/// A resource builtin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ResourceOp {
    New,
    Rep,
    Drop,
}

impl ResourceOp {
    /// The builtin's name, e.g. `resource.new`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ResourceOp::New => "resource.new",
            ResourceOp::Rep => "resource.rep",
            ResourceOp::Drop => "resource.drop",
        }
    }
}

/// Which core index space a core alias fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoreSort {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

impl CoreSort {
    fn from_kind(kind: ExternalKind) -> Self {
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => CoreSort::Func,
            ExternalKind::Table => CoreSort::Table,
            ExternalKind::Memory => CoreSort::Memory,
            ExternalKind::Global => CoreSort::Global,
            ExternalKind::Tag => CoreSort::Tag,
        }
    }
}

/// One declaration of a component; each adds exactly one item to one index
/// space (named in the variant's doc).
#[derive(Debug)]
pub(crate) enum Decl<'a> {
    /// core func/table/memory/global/tag: `alias core export $instance "name"`.
    CoreAlias {
        sort: CoreSort,
        instance: u32,
        name: &'a str,
    },
    /// core func: `canon lower`.
    Lower {
        func: u32,
        options: CanonOptions,
        offset: usize,
    },
    /// core func: `canon resource.new $type`, `resource.rep` or `resource.drop`.
    Resource {
        op: ResourceOp,
        resource: u32,
        offset: usize,
    },
    /// core func: a built-in of the async ABI's calls and tasks, with the
    /// options it takes (`task.return`'s memory and string encoding,
    /// `waitable-set.wait`/`.poll`'s memory) and, for `task.return`, the
    /// result type.
    Async {
        op: AsyncOp,
        options: CanonOptions,
        result: Option<wasmparser::component_types::ComponentValType>,
        offset: usize,
    },
    /// core func: a canonical builtin meld does not fuse yet.
    UnsupportedBuiltin { what: &'static str, offset: usize },
    /// core type: a core type definition or outer alias (never needed later).
    CoreType,
    /// core module: a module defined here.
    Module(StaticModuleIndex),
    /// core module: `alias outer`.
    ModuleOuter { count: u32, index: u32 },
    /// core instance: `instantiate $module (with "name" (instance $i))...`.
    Instantiate {
        module: u32,
        args: Vec<(&'a str, u32)>,
        offset: usize,
    },
    /// core instance: built from exports of core items.
    CoreFromExports(Vec<(&'a str, CoreSort, u32)>),
    /// func: `canon lift`.
    Lift {
        core_func: u32,
        ty: ComponentFuncTypeId,
        options: CanonOptions,
    },
    /// component: a component defined here.
    Component(StaticComponentIndex),
    /// component: `alias outer`.
    ComponentOuter { count: u32, index: u32 },
    /// instance: `instantiate $component (with "name" (sort $i))...`.
    InstantiateComponent {
        component: u32,
        args: Vec<(&'a str, ComponentExternalKind, u32)>,
    },
    /// instance: built from exports of items.
    FromExports(Vec<(&'a str, ComponentExternalKind, u32)>),
    /// any sort: `alias export $instance "name"`.
    AliasExport {
        kind: ComponentExternalKind,
        instance: u32,
        name: &'a str,
        /// For a type: its id as this component sees it (an instantiated
        /// component's resources get fresh ids in its parent).
        local: Option<ComponentAnyTypeId>,
    },
    /// type: a type definition, or an outer alias of one (type aliases of
    /// instance exports are [`Decl::AliasExport`]s, resolved when flattening).
    Type(ComponentAnyTypeId),
    /// type: `(type (resource (rep i32) (dtor $f)))`, a new resource type
    /// each time the component is instantiated.
    ResourceType {
        id: ComponentAnyTypeId,
        dtor: Option<u32>,
    },
    /// any sort: an import.
    Import {
        name: &'a str,
        ty: ComponentEntityType,
    },
    /// any sort: an export, which adds the exported item again to its space.
    Export {
        name: &'a str,
        kind: ComponentExternalKind,
        index: u32,
        ty: Option<ComponentEntityType>,
        /// Whether the export states a type of its own (`(export "x"
        /// (component $c) (component (type $t)))`).
        ascribed: bool,
    },
    /// value, or a start function: not fused (yet).
    Unsupported { what: &'static str, offset: usize },
}

/// Reads and validates `bytes`, which must be a component.
///
/// Function bodies are validated after the rest, on every core of a native
/// host (see `validate.rs`). Where the input is invalid, the error is the
/// one a sequential validation gives, on every host.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>> {
    let (decoded, jobs) = decode_deferred(bytes)?;
    if !crate::validate::bodies(jobs) {
        return Err(body_error(bytes));
    }
    Ok(decoded)
}

/// [`decode`], its function bodies left to validate: `Ok` when everything
/// else is valid, with one job per body (see [`crate::validate::alongside`]).
#[allow(
    clippy::type_complexity,
    reason = "a pair of the decoded input and its jobs"
)]
pub(crate) fn decode_deferred(
    bytes: &[u8],
) -> Result<(Decoded<'_>, Vec<crate::validate::Job<'_>>)> {
    let mut jobs = Vec::new();
    match read(bytes, &mut jobs) {
        Ok(decoded) => Ok((decoded, jobs)),
        // (a body before the point where reading stopped comes first)
        Err(e) => Err(match crate::validate::bodies(jobs) {
            true => e,
            false => body_error(bytes),
        }),
    }
}

/// The error of an input whose function bodies did not all validate: the
/// first error of a sequential validation.
pub(crate) fn body_error(bytes: &[u8]) -> Error {
    crate::validate::first_error(bytes)
        .map(Error::from)
        .unwrap_or_else(|| Error::internal("a function body failed validation only in parallel"))
}

/// Whether a core module's type or global section names `v128`.
fn names_v128(payload: &Payload<'_>) -> Result<bool> {
    use wasmparser::{CompositeInnerType, ValType};
    match payload {
        Payload::TypeSection(s) => {
            for group in s.clone() {
                for ty in group?.into_types() {
                    let field = |f: &wasmparser::FieldType| {
                        f.element_type == wasmparser::StorageType::Val(ValType::V128)
                    };
                    let v128 = match &ty.composite_type.inner {
                        CompositeInnerType::Func(f) => f
                            .params()
                            .iter()
                            .chain(f.results())
                            .any(|t| *t == ValType::V128),
                        CompositeInnerType::Struct(s) => s.fields.iter().any(field),
                        CompositeInnerType::Array(a) => field(&a.0),
                        CompositeInnerType::Cont(_) => false,
                    };
                    if v128 {
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        }
        Payload::GlobalSection(s) => {
            for global in s.clone() {
                if global?.ty.content_type == ValType::V128 {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Ok(false),
    }
}

/// Whether a function body declares a `v128` local.
fn locals_v128(body: &wasmparser::FunctionBody<'_>) -> Result<bool> {
    for local in body.get_locals_reader()? {
        if local?.1 == wasmparser::ValType::V128 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// [`decode`] without validating function bodies: each is added to `jobs`.
fn read<'a>(bytes: &'a [u8], jobs: &mut Vec<crate::validate::Job<'a>>) -> Result<Decoded<'a>> {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut modules = Vec::new();
    let mut components: Vec<StaticComponent<'_>> = Vec::new();
    // Components being read, innermost last.
    let mut open: Vec<StaticComponent<'_>> = Vec::new();
    // Module bodies are validated but not recorded: depth of modules being read.
    let mut in_module = 0usize;
    // The range of the nested component whose header comes next.
    let mut nested_range = None;
    let mut uses_simd = false;
    let mut defines_tags = false;

    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload?;
        if open.is_empty()
            && in_module == 0
            && let Payload::Version {
                encoding: wasmparser::Encoding::Module,
                ..
            } = payload
        {
            return Err(Error::invalid(
                "expected a component, found a core module (meld fuses components; \
                 wrap a module with `wasm-tools component new` first)",
            ));
        }
        let valid = validator.payload(&payload)?;
        uses_simd = uses_simd || in_module > 0 && names_v128(&payload)?;
        if let Payload::TagSection(tags) = &payload {
            defines_tags = defines_tags || tags.count() > 0;
        }
        match (&payload, valid) {
            (_, ValidPayload::Func(func, body)) => {
                uses_simd = uses_simd || locals_v128(&body)?;
                jobs.push((func, body));
                continue;
            }
            (
                Payload::ModuleSection {
                    unchecked_range, ..
                },
                _,
            ) => {
                let start = unchecked_range.start;
                let module = bytes.get(unchecked_range.clone()).ok_or_else(|| {
                    Error::invalid("nested module extends past the end of the input")
                        .at_offset(start)
                })?;
                let index = StaticModuleIndex(modules.len());
                modules.push(StaticModule {
                    bytes: module,
                    offset: start,
                });
                current(&mut open)?.decls.push(Decl::Module(index));
                in_module += 1;
                continue;
            }
            (
                Payload::ComponentSection {
                    unchecked_range, ..
                },
                _,
            ) => {
                nested_range = Some(unchecked_range.clone());
                continue;
            }
            (
                Payload::Version {
                    encoding: wasmparser::Encoding::Component,
                    ..
                },
                _,
            ) => {
                let range = nested_range.take().unwrap_or(0..bytes.len());
                let start = range.start;
                let own = bytes.get(range).ok_or_else(|| {
                    Error::invalid("nested component extends past the end of the input")
                        .at_offset(start)
                })?;
                open.push(StaticComponent {
                    bytes: own,
                    ..StaticComponent::default()
                });
                continue;
            }
            (Payload::End(_), ValidPayload::End(types)) => {
                if in_module > 0 {
                    in_module -= 1;
                    continue;
                }
                let mut done = open
                    .pop()
                    .ok_or_else(|| Error::internal("unbalanced component end"))?;
                // held through fusion: no room left from growing
                done.decls.shrink_to_fit();
                let index = StaticComponentIndex(components.len());
                components.push(done);
                match open.last_mut() {
                    Some(parent) => parent.decls.push(Decl::Component(index)),
                    None => {
                        modules.shrink_to_fit();
                        components.shrink_to_fit();
                        return Ok(Decoded {
                            modules,
                            components,
                            root: index,
                            types: Some(types),
                            size: bytes.len(),
                            uses_simd,
                            defines_tags,
                        });
                    }
                }
                continue;
            }
            _ => {}
        }
        if in_module > 0 {
            continue;
        }
        let types = validator
            .types(0)
            .ok_or_else(|| Error::internal("validator has no state"))?;
        let component = current(&mut open)?;
        if let Payload::CustomSection(section) = &payload {
            if section.name() == "component-name" {
                component.names = Names::read(section);
            }
            continue;
        }
        record(&payload, &types, &mut component.decls)?;
    }
    Err(Error::invalid("unexpected end of input (truncated component?)").at_offset(bytes.len()))
}

fn current<'b, 'a>(open: &'b mut [StaticComponent<'a>]) -> Result<&'b mut StaticComponent<'a>> {
    open.last_mut()
        .ok_or_else(|| Error::internal("section outside any component"))
}

/// Records the declarations of one (already validated) section.
fn record<'a>(
    payload: &Payload<'a>,
    types: &wasmparser::types::TypesRef<'_>,
    decls: &mut Vec<Decl<'a>>,
) -> Result<()> {
    match payload {
        Payload::CoreTypeSection(s) => {
            for _ in 0..s.count() {
                decls.push(Decl::CoreType);
            }
        }
        Payload::InstanceSection(s) => {
            for inst in s.clone().into_iter_with_offsets() {
                let (offset, inst) = inst?;
                decls.push(match inst {
                    Instance::Instantiate { module_index, args } => Decl::Instantiate {
                        module: module_index,
                        args: args.iter().map(|a| (a.name, a.index)).collect(),
                        offset,
                    },
                    Instance::FromExports(exports) => Decl::CoreFromExports(
                        exports
                            .iter()
                            .map(|e| (e.name, CoreSort::from_kind(e.kind), e.index))
                            .collect(),
                    ),
                });
            }
        }
        Payload::ComponentInstanceSection(s) => {
            for inst in s.clone() {
                let inst = inst?;
                decls.push(match inst {
                    ComponentInstance::Instantiate {
                        component_index,
                        args,
                    } => Decl::InstantiateComponent {
                        component: component_index,
                        args: args.iter().map(|a| (a.name, a.kind, a.index)).collect(),
                    },
                    ComponentInstance::FromExports(exports) => Decl::FromExports(
                        exports
                            .iter()
                            .map(|e| (e.name.name, e.kind, e.index))
                            .collect(),
                    ),
                });
            }
        }
        Payload::ComponentAliasSection(s) => {
            let aliases: Vec<_> = s.clone().into_iter().collect::<Result<_, _>>()?;
            // Outer type aliases are resolved here, instance-export ones when
            // flattening; together they are the last types after this section.
            let type_aliases = aliases
                .iter()
                .filter(|a| match a {
                    ComponentAlias::InstanceExport { kind, .. } => {
                        *kind == ComponentExternalKind::Type
                    }
                    ComponentAlias::Outer { kind, .. } => *kind == ComponentOuterAliasKind::Type,
                    ComponentAlias::CoreInstanceExport { .. } => false,
                })
                .count() as u32;
            let mut next_type = types.component_type_count() - type_aliases;
            for alias in aliases {
                decls.push(match alias {
                    ComponentAlias::CoreInstanceExport {
                        kind,
                        instance_index,
                        name,
                    } => Decl::CoreAlias {
                        sort: CoreSort::from_kind(kind),
                        instance: instance_index,
                        name,
                    },
                    ComponentAlias::InstanceExport {
                        kind,
                        instance_index,
                        name,
                    } => {
                        let local = (kind == ComponentExternalKind::Type).then(|| {
                            let id = types.component_any_type_at(next_type);
                            next_type += 1;
                            id
                        });
                        Decl::AliasExport {
                            kind,
                            instance: instance_index,
                            name,
                            local,
                        }
                    }
                    ComponentAlias::Outer { kind, count, index } => match kind {
                        ComponentOuterAliasKind::CoreModule => Decl::ModuleOuter { count, index },
                        ComponentOuterAliasKind::CoreType => Decl::CoreType,
                        ComponentOuterAliasKind::Component => Decl::ComponentOuter { count, index },
                        ComponentOuterAliasKind::Type => {
                            let id = types.component_any_type_at(next_type);
                            next_type += 1;
                            Decl::Type(id)
                        }
                    },
                });
            }
        }
        Payload::ComponentTypeSection(s) => {
            let first = types.component_type_count() - s.count();
            for (i, ty) in s.clone().into_iter().enumerate() {
                let id = types.component_any_type_at(first + i as u32);
                decls.push(match ty? {
                    wasmparser::ComponentType::Resource { dtor, .. } => {
                        Decl::ResourceType { id, dtor }
                    }
                    _ => Decl::Type(id),
                });
            }
        }
        Payload::ComponentCanonicalSection(s) => {
            let funcs: Vec<_> = s
                .clone()
                .into_iter_with_offsets()
                .collect::<Result<_, _>>()?;
            let lifts = funcs
                .iter()
                .filter(|(_, f)| matches!(f, CanonicalFunction::Lift { .. }));
            let mut next_func = types.component_function_count() - lifts.count() as u32;
            for (offset, func) in funcs {
                decls.push(canonical(func, offset, types, &mut next_func)?);
            }
        }
        Payload::ComponentImportSection(s) => {
            for import in s.clone().into_iter_with_offsets() {
                let (offset, import) = import?;
                let name = import.name.name;
                let ty = types
                    .component_item_for_import(name)
                    .ok_or_else(|| Error::internal(format!("no type for import `{name}`")))?
                    .ty;
                if matches!(ty, ComponentEntityType::Value(_)) {
                    decls.push(Decl::Unsupported {
                        what: "value imports",
                        offset,
                    });
                } else {
                    decls.push(Decl::Import { name, ty });
                }
            }
        }
        Payload::ComponentExportSection(s) => {
            for export in s.clone() {
                let export = export?;
                let name = export.name.name;
                let ty = types.component_item_for_export(name).map(|item| item.ty);
                decls.push(Decl::Export {
                    name,
                    kind: export.kind,
                    index: export.index,
                    ty,
                    ascribed: export.ty.is_some(),
                });
            }
        }
        Payload::ComponentStartSection { range, .. } => {
            decls.push(Decl::Unsupported {
                what: "component start functions",
                offset: range.start,
            });
        }
        Payload::CustomSection(_) | Payload::UnknownSection { .. } => {}
        other => {
            return Err(Error::internal(format!(
                "unexpected section in a component: {other:?}"
            )));
        }
    }
    Ok(())
}

fn canonical<'a>(
    func: CanonicalFunction,
    offset: usize,
    types: &wasmparser::types::TypesRef<'_>,
    next_func: &mut u32,
) -> Result<Decl<'a>> {
    let unsupported = |what| Ok(Decl::UnsupportedBuiltin { what, offset });
    match func {
        CanonicalFunction::Lift {
            core_func_index,
            options,
            ..
        } => {
            let ty = types.component_function_at(*next_func);
            *next_func += 1;
            Ok(Decl::Lift {
                core_func: core_func_index,
                ty,
                options: canon_options(&options, offset)?,
            })
        }
        CanonicalFunction::Lower {
            func_index,
            options,
        } => Ok(Decl::Lower {
            func: func_index,
            options: canon_options(&options, offset)?,
            offset,
        }),
        CanonicalFunction::ResourceNew { resource } => Ok(Decl::Resource {
            op: ResourceOp::New,
            resource,
            offset,
        }),
        CanonicalFunction::ResourceRep { resource } => Ok(Decl::Resource {
            op: ResourceOp::Rep,
            resource,
            offset,
        }),
        CanonicalFunction::ResourceDrop { resource } => Ok(Decl::Resource {
            op: ResourceOp::Drop,
            resource,
            offset,
        }),
        CanonicalFunction::ThreadSpawnRef { .. }
        | CanonicalFunction::ThreadSpawnIndirect { .. }
        | CanonicalFunction::ThreadAvailableParallelism => {
            unsupported("shared-everything threads builtins")
        }
        CanonicalFunction::TaskReturn { result, options } => Ok(Decl::Async {
            op: AsyncOp::TaskReturn,
            options: canon_options(&options, offset)?,
            result: result.map(|r| match r {
                wasmparser::ComponentValType::Primitive(p) => {
                    wasmparser::component_types::ComponentValType::Primitive(p)
                }
                wasmparser::ComponentValType::Type(i) => {
                    wasmparser::component_types::ComponentValType::Type(
                        types.component_defined_type_at(i),
                    )
                }
            }),
            offset,
        }),
        CanonicalFunction::WaitableSetWait {
            cancellable,
            memory,
        } => Ok(async_op(
            AsyncOp::WaitableSetWait { cancellable },
            Some(memory),
            offset,
        )),
        CanonicalFunction::WaitableSetPoll {
            cancellable,
            memory,
        } => Ok(async_op(
            AsyncOp::WaitableSetPoll { cancellable },
            Some(memory),
            offset,
        )),
        other => match simple_async_op(&other) {
            Some(op) => Ok(async_op(op, None, offset)),
            None if end_op(&other).is_some() => {
                let (future, op, async_, ty, options) =
                    end_op(&other).ok_or_else(|| Error::internal("a stream built-in"))?;
                Ok(Decl::Async {
                    op: AsyncOp::End { future, op, async_ },
                    options: canon_options(&options, offset)?,
                    result: ty.map(|ty| {
                        wasmparser::component_types::ComponentValType::Type(
                            types.component_defined_type_at(ty),
                        )
                    }),
                    offset,
                })
            }
            None if error_context_op(&other).is_some() => {
                let (op, options) = error_context_op(&other)
                    .ok_or_else(|| Error::internal("an error-context built-in"))?;
                Ok(Decl::Async {
                    op,
                    options: canon_options(&options, offset)?,
                    result: None,
                    offset,
                })
            }
            None => unsupported(unfused_builtin(&other)),
        },
    }
}

/// What an error says of an async built-in meld does not fuse (as the
/// text format names it; flattening adds "are not fused yet").
fn unfused_builtin(func: &CanonicalFunction) -> &'static str {
    use CanonicalFunction as C;
    match func {
        C::ThreadIndex => "`thread.index` built-ins (cooperative threads)",
        C::ThreadNewIndirect { .. } => "`thread.new-indirect` built-ins (cooperative threads)",
        C::ThreadResumeLater => "`thread.resume-later` built-ins (cooperative threads)",
        C::ThreadSuspend { .. } => "`thread.suspend` built-ins (cooperative threads)",
        C::ThreadSuspendThenResume { .. } => {
            "`thread.suspend-then-resume` built-ins (cooperative threads)"
        }
        C::ThreadYieldThenResume { .. } => {
            "`thread.yield-then-resume` built-ins (cooperative threads)"
        }
        C::ThreadSuspendThenPromote { .. } => {
            "`thread.suspend-then-promote` built-ins (cooperative threads)"
        }
        C::ThreadYieldThenPromote { .. } => {
            "`thread.yield-then-promote` built-ins (cooperative threads)"
        }
        C::ContextGet { .. } | C::ContextSet { .. } => {
            "`context.get` and `context.set` of slots that are not `i32`"
        }
        _ => "these async built-ins",
    }
}

fn async_op<'a>(op: AsyncOp, memory: Option<u32>, offset: usize) -> Decl<'a> {
    Decl::Async {
        op,
        options: CanonOptions {
            memory,
            ..CanonOptions::default()
        },
        result: None,
        offset,
    }
}

/// The async built-ins of calls and tasks that take no options.
/// A stream or future built-in: future or not, what it does, `async`, its
/// type and its options.
type EndDecl = (bool, EndOp, bool, Option<u32>, Vec<CanonicalOption>);

fn end_op(func: &CanonicalFunction) -> Option<EndDecl> {
    use CanonicalFunction as C;
    Some(match func {
        C::StreamNew { ty } => (false, EndOp::New, false, Some(*ty), Vec::new()),
        C::StreamRead { ty, options } => (
            false,
            EndOp::Read,
            is_async(options),
            Some(*ty),
            options.to_vec(),
        ),
        C::StreamWrite { ty, options } => (
            false,
            EndOp::Write,
            is_async(options),
            Some(*ty),
            options.to_vec(),
        ),
        C::StreamCancelRead { ty, async_ } => {
            (false, EndOp::CancelRead, *async_, Some(*ty), Vec::new())
        }
        C::StreamCancelWrite { ty, async_ } => {
            (false, EndOp::CancelWrite, *async_, Some(*ty), Vec::new())
        }
        C::StreamDropReadable { ty } => (false, EndOp::DropReadable, false, Some(*ty), Vec::new()),
        C::StreamDropWritable { ty } => (false, EndOp::DropWritable, false, Some(*ty), Vec::new()),
        C::FutureNew { ty } => (true, EndOp::New, false, Some(*ty), Vec::new()),
        C::FutureRead { ty, options } => (
            true,
            EndOp::Read,
            is_async(options),
            Some(*ty),
            options.to_vec(),
        ),
        C::FutureWrite { ty, options } => (
            true,
            EndOp::Write,
            is_async(options),
            Some(*ty),
            options.to_vec(),
        ),
        C::FutureCancelRead { ty, async_ } => {
            (true, EndOp::CancelRead, *async_, Some(*ty), Vec::new())
        }
        C::FutureCancelWrite { ty, async_ } => {
            (true, EndOp::CancelWrite, *async_, Some(*ty), Vec::new())
        }
        C::FutureDropReadable { ty } => (true, EndOp::DropReadable, false, Some(*ty), Vec::new()),
        C::FutureDropWritable { ty } => (true, EndOp::DropWritable, false, Some(*ty), Vec::new()),
        _ => return None,
    })
}

fn is_async(options: &[CanonicalOption]) -> bool {
    options.iter().any(|o| matches!(o, CanonicalOption::Async))
}

fn error_context_op(func: &CanonicalFunction) -> Option<(AsyncOp, Vec<CanonicalOption>)> {
    Some(match func {
        CanonicalFunction::ErrorContextNew { options } => {
            (AsyncOp::ErrorContextNew, options.to_vec())
        }
        CanonicalFunction::ErrorContextDebugMessage { options } => {
            (AsyncOp::ErrorContextDebugMessage, options.to_vec())
        }
        CanonicalFunction::ErrorContextDrop => (AsyncOp::ErrorContextDrop, Vec::new()),
        _ => return None,
    })
}

fn simple_async_op(func: &CanonicalFunction) -> Option<AsyncOp> {
    Some(match *func {
        CanonicalFunction::TaskCancel => AsyncOp::TaskCancel,
        CanonicalFunction::ContextGet {
            ty: wasmparser::ValType::I32,
            slot,
        } => AsyncOp::ContextGet(slot),
        CanonicalFunction::ContextSet {
            ty: wasmparser::ValType::I32,
            slot,
        } => AsyncOp::ContextSet(slot),
        CanonicalFunction::WaitableSetNew => AsyncOp::WaitableSetNew,
        CanonicalFunction::WaitableSetDrop => AsyncOp::WaitableSetDrop,
        CanonicalFunction::WaitableJoin => AsyncOp::WaitableJoin,
        CanonicalFunction::SubtaskDrop => AsyncOp::SubtaskDrop,
        CanonicalFunction::SubtaskCancel { async_ } => AsyncOp::SubtaskCancel { async_ },
        CanonicalFunction::BackpressureInc => AsyncOp::BackpressureInc,
        CanonicalFunction::BackpressureDec => AsyncOp::BackpressureDec,
        CanonicalFunction::ThreadYield { cancellable } => AsyncOp::ThreadYield { cancellable },
        _ => return None,
    })
}

fn canon_options(options: &[CanonicalOption], offset: usize) -> Result<CanonOptions> {
    let mut out = CanonOptions::default();
    for option in options {
        match *option {
            CanonicalOption::UTF8 => out.encoding = StringEncoding::Utf8,
            CanonicalOption::UTF16 => out.encoding = StringEncoding::Utf16,
            CanonicalOption::CompactUTF16 => out.encoding = StringEncoding::CompactUtf16,
            CanonicalOption::Memory(m) => out.memory = Some(m),
            CanonicalOption::Realloc(f) => out.realloc = Some(f),
            CanonicalOption::PostReturn(f) => out.post_return = Some(f),
            CanonicalOption::CoreType(_) => {}
            CanonicalOption::Async => out.async_ = true,
            CanonicalOption::Callback(f) => out.callback = Some(f),
            CanonicalOption::Gc => {
                return Err(
                    Error::unsupported("the GC canonical ABI option is not fused yet")
                        .at_offset(offset),
                );
            }
        }
    }
    Ok(out)
}
