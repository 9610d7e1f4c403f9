//! `inspect`: the instantiation tree of a component, as fusion sees it.
//!
//! Built from the flattened graph, so it shows exactly what `fuse` would
//! work from: every inner component by path, the core instances each one
//! creates and where each of their imports comes from, the root's imports
//! and exports, and the adapter each cross-component call would get.

use crate::error::Result;
use crate::graph::{CoreDef, Graph};
use crate::json::Json;
use crate::merge::Module;
use crate::{adapt, flatten};

/// The instantiation tree of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// Every component instance, the root first, parents before children.
    pub components: Vec<ComponentNode>,
    /// Names of the root's imports.
    pub imports: Vec<String>,
    /// Names of the root's exports.
    pub exports: Vec<String>,
    /// Cross-component calls.
    pub adapters: Vec<AdapterNode>,
    /// Root-import functions lowered into inner components.
    pub lowerings: Vec<LoweringNode>,
}

/// One component instance of the composition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentNode {
    /// Path in the instantiation tree, e.g. `root/consumer`.
    pub path: String,
    /// Path of the component that instantiated it (`None` for the root).
    pub parent: Option<String>,
    /// Core module instances it creates, in order.
    pub core_instances: Vec<CoreInstanceNode>,
}

/// One core module instantiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreInstanceNode {
    /// Position in instantiation order over the whole composition.
    pub index: usize,
    /// Readable name of the module.
    pub module: String,
    /// Each import and where it comes from.
    pub imports: Vec<CoreImportNode>,
}

/// An import of a core instance and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreImportNode {
    pub module: String,
    pub field: String,
    /// e.g. `instance 0 export "memory"`, `adapter my:pkg/api#add`, `host wasi:cli/stdout@0.2.6#get-stdout`.
    pub source: String,
}

/// How a cross-component call is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterKind {
    /// The caller calls the callee's core function itself.
    Direct,
    /// A generated adapter checks or converts scalars on the way.
    Fixup,
    /// A generated adapter copies strings, lists or spilled values between
    /// the two memories.
    Copy,
    /// A generated adapter transcodes strings between encodings.
    Transcode,
    /// Fusion cannot adapt this call yet; the reason.
    Unsupported(String),
}

/// A cross-component call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterNode {
    /// The called function, e.g. `my:pkg/api#add`.
    pub name: String,
    /// Path of the calling component.
    pub caller: String,
    /// Path of the component that lifted the function.
    pub callee: String,
    pub kind: AdapterKind,
}

/// A root-import function lowered into an inner component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoweringNode {
    /// e.g. `wasi:cli/stdout@0.2.6#get-stdout`.
    pub name: String,
    /// Path of the component that lowered it.
    pub caller: String,
}

impl Tree {
    /// The tree as JSON, field for field, keys in camelCase: what
    /// `meld inspect --format json` prints and the npm package's `inspect`
    /// returns. `inspect.schema.json` (beside this crate's manifest)
    /// documents it.
    pub fn to_json(&self) -> Json {
        let Tree {
            components,
            imports,
            exports,
            adapters,
            lowerings,
        } = self;
        Json::object([
            ("imports", Json::array(imports, |s| Json::str(s))),
            ("exports", Json::array(exports, |s| Json::str(s))),
            ("components", Json::array(components, component)),
            ("adapters", Json::array(adapters, adapter)),
            ("lowerings", Json::array(lowerings, lowering)),
        ])
    }
}

fn component(node: &ComponentNode) -> Json {
    let ComponentNode {
        path,
        parent,
        core_instances,
    } = node;
    Json::object([
        ("path", Json::str(path)),
        ("parent", Json::optional(parent.as_deref(), Json::str)),
        ("coreInstances", Json::array(core_instances, core_instance)),
    ])
}

fn core_instance(node: &CoreInstanceNode) -> Json {
    let CoreInstanceNode {
        index,
        module,
        imports,
    } = node;
    Json::object([
        ("index", Json::count(*index)),
        ("module", Json::str(module)),
        ("imports", Json::array(imports, core_import)),
    ])
}

fn core_import(node: &CoreImportNode) -> Json {
    let CoreImportNode {
        module,
        field,
        source,
    } = node;
    Json::object([
        ("module", Json::str(module)),
        ("field", Json::str(field)),
        ("source", Json::str(source)),
    ])
}

fn adapter(node: &AdapterNode) -> Json {
    let AdapterNode {
        name,
        caller,
        callee,
        kind,
    } = node;
    let (kind, reason) = match kind {
        AdapterKind::Direct => ("direct", None),
        AdapterKind::Fixup => ("fixup", None),
        AdapterKind::Copy => ("copy", None),
        AdapterKind::Transcode => ("transcode", None),
        AdapterKind::Unsupported(why) => ("unsupported", Some(why.as_str())),
    };
    Json::object([
        ("name", Json::str(name)),
        ("caller", Json::str(caller)),
        ("callee", Json::str(callee)),
        ("kind", Json::str(kind)),
        ("reason", Json::optional(reason, Json::str)),
    ])
}

fn lowering(node: &LoweringNode) -> Json {
    let LoweringNode { name, caller } = node;
    Json::object([("name", Json::str(name)), ("caller", Json::str(caller))])
}

/// The instantiation tree of `input`.
pub fn inspect(input: &[u8]) -> Result<Tree> {
    let decoded = crate::decode_wasm(input)?;
    let graph = flatten::flatten(&decoded)?;
    let types = decoded.types()?;
    let mut modules: Vec<Option<Module<'_>>> = decoded.modules.iter().map(|_| None).collect();
    let mut components: Vec<ComponentNode> = graph
        .components
        .iter()
        .map(|c| ComponentNode {
            path: c.path.clone(),
            parent: c.parent.map(|p| graph.path(p).to_string()),
            core_instances: Vec::new(),
        })
        .collect();
    for (index, instance) in graph.instances.iter().enumerate() {
        let slot = &mut modules[instance.module.0];
        if slot.is_none() {
            let m = &decoded.modules[instance.module.0];
            *slot = Some(Module::parse(m.bytes, m.offset)?);
        }
        let Some(module) = slot.as_ref() else {
            continue;
        };
        let imports = module
            .imports
            .iter()
            .map(|import| {
                let source = instance
                    .args
                    .iter()
                    .find(|(name, _)| name == import.module)
                    .and_then(|(_, arg)| arg.get(import.name))
                    .map(|def| describe(&graph, &def))
                    .unwrap_or_else(|| "missing".to_string());
                CoreImportNode {
                    module: import.module.to_string(),
                    field: import.name.to_string(),
                    source,
                }
            })
            .collect();
        components[instance.component.0]
            .core_instances
            .push(CoreInstanceNode {
                index,
                module: instance.name.clone(),
                imports,
            });
    }
    let kinds = adapt::plan_each(&decoded, &graph, types);
    let adapters = graph
        .adapters
        .iter()
        .zip(kinds)
        .map(|(a, kind)| AdapterNode {
            name: a.name.clone(),
            caller: graph.path(a.caller).to_string(),
            callee: graph.path(graph.lifted[a.callee.0].component).to_string(),
            kind: match kind {
                Ok(None) => AdapterKind::Direct,
                Ok(Some(adapt::Kind::Fixup)) => AdapterKind::Fixup,
                Ok(Some(adapt::Kind::Copy)) => AdapterKind::Copy,
                Ok(Some(adapt::Kind::Transcode)) => AdapterKind::Transcode,
                Err(e) => AdapterKind::Unsupported(e.message().to_string()),
            },
        })
        .collect();
    let lowerings = graph
        .lowerings
        .iter()
        .map(|l| LoweringNode {
            name: host_name(&graph, &l.item),
            caller: graph.path(l.caller).to_string(),
        })
        .collect();
    Ok(Tree {
        components,
        imports: graph.imports.iter().map(|i| i.name.clone()).collect(),
        exports: graph.exports.iter().map(|(n, _, _)| n.clone()).collect(),
        adapters,
        lowerings,
    })
}

fn host_name(graph: &Graph, item: &crate::graph::HostItem) -> String {
    let (module, field) = graph.host_name(item);
    format!("{module}#{field}")
}

fn describe(graph: &Graph, def: &CoreDef) -> String {
    match def {
        CoreDef::Export(instance, name) => format!("instance {} export \"{name}\"", instance.0),
        CoreDef::Adapter(id) => format!("adapter {}", graph.adapters[id.0].name),
        CoreDef::Lowering(id) => format!("host {}", host_name(graph, &graph.lowerings[id.0].item)),
        CoreDef::Builtin(id) => {
            let b = &graph.builtins[id.0];
            format!("{} {}", b.op.name(), graph.resources[b.resource.0].name)
        }
        CoreDef::Async(id) => {
            let b = &graph.async_builtins[id.0];
            format!("{} of {}", b.op.name(), graph.path(b.caller))
        }
        CoreDef::Runtime(f) => format!("meld tables {}", f.field()),
    }
}
