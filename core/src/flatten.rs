//! Stage 2: symbolic instantiation of the root component.
//!
//! The root is instantiated the way a runtime would, but with definitions
//! instead of values: each component instantiation gets a [`Frame`] whose
//! index spaces hold [`Def`]s, filled by interpreting the component's
//! declarations in binary order. Nested components are entered recursively
//! with their arguments; aliases and re-exports resolve to the definition
//! they name, never to a name. What a runtime would *do* — instantiate a
//! core module, lift a function, lower one — is recorded in the [`Graph`],
//! in the order it happens.
//!
//! A `canon lower` of a lifted function becomes an adapter; a `canon lower`
//! of a root import becomes a lowering.

use crate::decode::{
    CanonOptions, CoreSort, Decl, Decoded, ResourceOp, StaticComponentIndex, StaticModuleIndex,
};
use crate::error::{Error, Result};
use crate::graph::*;
use crate::naming;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasmparser::ComponentExternalKind as Kind;
use wasmparser::component_types::{
    ComponentAnyTypeId, ComponentEntityType, ComponentInstanceTypeId, ResourceId,
};

/// Deepest component nesting meld follows.
const MAX_DEPTH: usize = 100;
/// Most core instances one fusion may create (guards against inputs whose
/// nested instantiations multiply exponentially).
const MAX_INSTANCES: usize = 100_000;

/// A component-level definition.
#[derive(Debug, Clone)]
enum Def {
    Func(FuncDef),
    Instance(Rc<InstanceDef>),
    Component(ComponentDef),
    Module(ModuleDef),
    /// A type, and which resource type it is at run time (for resources).
    Type(ComponentAnyTypeId, Option<ResId>),
}

#[derive(Debug, Clone)]
enum FuncDef {
    Lifted(LiftedId),
    Host(HostPath),
}

#[derive(Debug)]
enum InstanceDef {
    /// A root import instance, or an instance exported by one.
    Host {
        import: ImportId,
        path: Vec<String>,
        ty: ComponentInstanceTypeId,
    },
    /// Named items (an instantiated component's exports, or built from exports).
    Items(Vec<(String, Def)>),
}

/// A core module: one of the input's, or one a root import provides
/// (which can be passed along, not instantiated).
#[derive(Debug, Clone)]
enum ModuleDef {
    Static(StaticModuleIndex),
    Host(HostPath),
}

/// A component: one of the input's, or one a root import provides (which
/// can be passed along, not instantiated).
#[derive(Debug, Clone)]
enum ComponentDef {
    Closure(ComponentClosure),
    Host(HostPath),
}

/// A component together with the scope its outer aliases resolve in.
#[derive(Debug, Clone)]
struct ComponentClosure {
    index: StaticComponentIndex,
    scope: Option<Rc<Scope>>,
}

/// The index spaces an `alias outer` can reach, captured where a nested
/// component is defined.
#[derive(Debug)]
struct Scope {
    modules: Vec<ModuleDef>,
    components: Vec<ComponentDef>,
    outer: Option<Rc<Scope>>,
}

#[derive(Debug, Clone)]
enum CoreInstanceDef {
    Instance(CoreInstanceId),
    Items(Vec<(String, CoreDef)>),
}

/// The index spaces of one component instantiation.
#[derive(Default)]
struct Frame {
    core_funcs: Vec<CoreDef>,
    core_tables: Vec<CoreDef>,
    core_memories: Vec<CoreDef>,
    core_globals: Vec<CoreDef>,
    core_tags: Vec<CoreDef>,
    core_instances: Vec<CoreInstanceDef>,
    modules: Vec<ModuleDef>,
    funcs: Vec<FuncDef>,
    /// Readable names of `funcs`, e.g. `my:pkg/api#add`.
    func_names: Vec<String>,
    instances: Vec<Rc<InstanceDef>>,
    instance_names: Vec<String>,
    /// The path segments of the component instances created so far.
    children: naming::Siblings,
    components: Vec<ComponentDef>,
    types: Vec<(ComponentAnyTypeId, Option<ResId>)>,
    exports: Vec<(String, Def)>,
    /// The run-time resource type of each resource id this component's
    /// types use.
    resources: BTreeMap<ResourceId, ResId>,
    /// The scope of `resources` as it is now, once a lift needed it.
    scope: Option<ScopeId>,
}

impl Frame {
    /// Records that `id` (as this component's types name it) is `res`.
    fn bind(&mut self, id: ComponentAnyTypeId, res: Option<ResId>) {
        if let (ComponentAnyTypeId::Resource(r), Some(res)) = (id, res)
            && self.resources.insert(r.resource(), res) != Some(res)
        {
            self.scope = None;
        }
    }

    fn push_type(&mut self, id: ComponentAnyTypeId, res: Option<ResId>) {
        self.bind(id, res);
        self.types.push((id, res));
    }
}

/// Flattens the root component of `decoded`.
pub(crate) fn flatten(decoded: &Decoded<'_>) -> Result<Graph> {
    let mut flattener = Flattener {
        decoded,
        graph: Graph::default(),
        host_res: BTreeMap::new(),
        builtins: BTreeMap::new(),
    };
    let root = ComponentClosure {
        index: decoded.root,
        scope: None,
    };
    let exports = flattener.instantiate(&root, RootArgs::Root, "root".to_string(), None, 0)?;
    let root_static = &decoded.components[decoded.root.0];
    for decl in &root_static.decls {
        if let Decl::Export {
            name, ty, ascribed, ..
        } = decl
        {
            let def = exports
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| Error::internal(format!("root export `{name}` lost")))?;
            let ty = ty.ok_or_else(|| Error::internal(format!("no type for export `{name}`")))?;
            let item = export_item(decoded, &def, *ascribed).map_err(|e| e.in_component("root"))?;
            flattener.graph.exports.push((name.to_string(), item, ty));
        }
    }
    // Host functions' types name the root imports' resource ids.
    flattener.graph.host_scope = ScopeId(flattener.graph.scopes.len());
    let host_res = std::mem::take(&mut flattener.host_res);
    flattener.graph.scopes.push(host_res);
    Ok(flattener.graph)
}

/// What the root exports as `def`; `ascribed` when the export states the
/// item's type itself.
fn export_item(decoded: &Decoded<'_>, def: &Def, ascribed: bool) -> Result<ExportItem> {
    let host = |h: &HostPath| CarriedFrom::Host(h.clone());
    Ok(match def {
        Def::Func(FuncDef::Lifted(id)) => ExportItem::Lifted(*id),
        Def::Func(FuncDef::Host(f)) => ExportItem::Host(f.clone()),
        Def::Instance(inst) => match &**inst {
            InstanceDef::Host { import, path, .. } => ExportItem::HostInstance {
                import: *import,
                path: path.clone(),
            },
            InstanceDef::Items(items) => ExportItem::Instance(
                items
                    .iter()
                    .map(|(n, d)| Ok((n.clone(), export_item(decoded, d, false)?)))
                    .collect::<Result<_>>()?,
            ),
        },
        Def::Type(_, res) => ExportItem::Type(*res),
        Def::Module(m) => ExportItem::Module(Carried {
            from: match m {
                ModuleDef::Static(i) => CarriedFrom::Input(decoded.modules[i.0].bytes.to_vec()),
                ModuleDef::Host(h) => host(h),
            },
            ascribed,
        }),
        Def::Component(c) => ExportItem::Component(Carried {
            from: match c {
                ComponentDef::Closure(c) => CarriedFrom::Input(standalone(decoded, c)?),
                ComponentDef::Host(h) => host(h),
            },
            ascribed,
        }),
    })
}

/// The encoding of component `c`, which the wrapper embeds as it is; only
/// a component that refers to nothing outside itself (no `alias outer`
/// beyond its own body) can be.
fn standalone(decoded: &Decoded<'_>, c: &ComponentClosure) -> Result<Vec<u8>> {
    let bytes = decoded.components[c.index.0].bytes;
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    if validator.validate_all(bytes).is_err() {
        return Err(Error::unsupported(
            "exporting a component that refers to its enclosing component's items \
             (`alias outer`) without instantiating it",
        ));
    }
    Ok(bytes.to_vec())
}

/// Where a component's imports come from.
enum RootArgs<'x> {
    /// The root: imports become root imports.
    Root,
    /// A nested component: imports are the instantiation's arguments.
    Nested(&'x [(String, Def)]),
}

struct Flattener<'d, 'a> {
    decoded: &'d Decoded<'a>,
    graph: Graph,
    /// The resource type of each root-imported resource id.
    host_res: BTreeMap<ResourceId, ResId>,
    builtins: BTreeMap<Builtin, BuiltinId>,
}

impl Flattener<'_, '_> {
    /// The id of `builtin`, recorded once.
    fn builtin(&mut self, builtin: Builtin) -> BuiltinId {
        let next = BuiltinId(self.graph.builtins.len());
        let id = *self.builtins.entry(builtin.clone()).or_insert(next);
        if id == next {
            self.graph.builtins.push(builtin);
        }
        id
    }

    /// Instantiates `closure` and returns its exports.
    fn instantiate(
        &mut self,
        closure: &ComponentClosure,
        args: RootArgs<'_>,
        path: String,
        parent: Option<InnerId>,
        depth: usize,
    ) -> Result<Vec<(String, Def)>> {
        if depth > MAX_DEPTH {
            return Err(Error::unsupported(format!(
                "components nested more than {MAX_DEPTH} deep"
            ))
            .in_component(&path));
        }
        let inner = InnerId(self.graph.components.len());
        self.graph.components.push(InnerComponent {
            path: path.clone(),
            parent,
        });
        let component = &self.decoded.components[closure.index.0];
        let mut frame = Frame::default();
        for decl in &component.decls {
            self.declare(decl, closure, &args, &mut frame, inner, &path, depth)
                .map_err(|e| e.in_component(&path))?;
        }
        Ok(frame.exports)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the interpreter's whole state for one step"
    )]
    fn declare(
        &mut self,
        decl: &Decl<'_>,
        closure: &ComponentClosure,
        args: &RootArgs<'_>,
        f: &mut Frame,
        inner: InnerId,
        path: &str,
        depth: usize,
    ) -> Result<()> {
        let names = &self.decoded.components[closure.index.0].names;
        match decl {
            Decl::CoreAlias {
                sort,
                instance,
                name,
            } => {
                let def = match get(&f.core_instances, *instance, "core instance")? {
                    CoreInstanceDef::Instance(id) => CoreDef::Export(*id, name.to_string()),
                    CoreInstanceDef::Items(items) => items
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, d)| d.clone())
                        .ok_or_else(|| Error::internal(format!("no core export `{name}`")))?,
                };
                core_space(f, *sort).push(def);
            }
            Decl::Lower {
                func,
                options,
                offset,
            } => {
                let options = self.options(f, options).map_err(|e| e.at_offset(*offset))?;
                let name = get(&f.func_names, *func, "func")?.clone();
                let def = match get(&f.funcs, *func, "func")?.clone() {
                    FuncDef::Lifted(callee) => {
                        // A call into the caller itself or between a
                        // component and its ancestor traps when it is
                        // made (the adapter plan says so).
                        let id = AdapterId(self.graph.adapters.len());
                        self.graph.adapters.push(Adapter {
                            name,
                            caller: inner,
                            options,
                            callee,
                        });
                        CoreDef::Adapter(id)
                    }
                    FuncDef::Host(func) => {
                        let ty = self.host_func_type(&func)?;
                        let async_type = self
                            .decoded
                            .types()?
                            .get(ty)
                            .ok_or_else(|| Error::internal("unknown function type"))?
                            .async_;
                        let id = LoweringId(self.graph.lowerings.len());
                        let item = HostItem::Func(func);
                        self.graph.lowerings.push(Lowering {
                            item,
                            ty: Some(ty),
                            caller: inner,
                            blocks: async_type && !options.async_,
                            options,
                        });
                        CoreDef::Lowering(id)
                    }
                };
                f.core_funcs.push(def);
            }
            Decl::Resource {
                op,
                resource,
                offset,
            } => {
                let (_, res) = *get(&f.types, *resource, "type")?;
                let res = res.ok_or_else(|| {
                    Error::internal("a resource builtin of a non-resource").at_offset(*offset)
                })?;
                let def = match (&self.graph.resources[res.0].host, op) {
                    (Some(host), ResourceOp::Drop) => {
                        // The drop works on the caller's own table; the
                        // host's drop is called when an own handle (or a
                        // borrow the host lent) goes.
                        if !self.graph.host_drops.contains_key(&res) {
                            let id = LoweringId(self.graph.lowerings.len());
                            self.graph.lowerings.push(Lowering {
                                item: HostItem::ResourceDrop(host.clone()),
                                ty: None,
                                caller: inner,
                                options: Options::default(),
                                blocks: false,
                            });
                            self.graph.host_drops.insert(res, id);
                        }
                        CoreDef::Builtin(self.builtin(Builtin {
                            op: *op,
                            resource: res,
                            caller: inner,
                        }))
                    }
                    (Some(_), _) => {
                        return Err(Error::internal(
                            "resource.new or resource.rep of an imported resource",
                        )
                        .at_offset(*offset));
                    }
                    (None, op) => CoreDef::Builtin(self.builtin(Builtin {
                        op: *op,
                        resource: res,
                        caller: inner,
                    })),
                };
                f.core_funcs.push(def);
            }
            Decl::ResourceType { id, dtor } => {
                let dtor = dtor
                    .map(|i| get(&f.core_funcs, i, "core func").cloned())
                    .transpose()?;
                let res = ResId(self.graph.resources.len());
                self.graph.resources.push(Resource {
                    defined_by: Some(inner),
                    dtor,
                    name: format!("{path}#resource{}", f.types.len()),
                    host: None,
                });
                f.push_type(*id, Some(res));
            }
            Decl::Async {
                op,
                options,
                result,
                offset,
            } => {
                let options = self.options(f, options).map_err(|e| e.at_offset(*offset))?;
                // A stream's or future's elements may name the resources
                // known here (a snapshot of its own).
                let scope = match op {
                    crate::decode::AsyncOp::End { .. } => {
                        self.graph.scopes.push(f.resources.clone());
                        Some(ScopeId(self.graph.scopes.len() - 1))
                    }
                    _ => None,
                };
                let id = AsyncBuiltinId(self.graph.async_builtins.len());
                self.graph.async_builtins.push(AsyncBuiltin {
                    op: op.clone(),
                    caller: inner,
                    options,
                    result: *result,
                    scope,
                });
                f.core_funcs.push(CoreDef::Async(id));
            }
            Decl::UnsupportedBuiltin { what, offset } | Decl::Unsupported { what, offset } => {
                return Err(
                    Error::unsupported(format!("{what} are not fused yet")).at_offset(*offset)
                );
            }
            Decl::CoreType => {}
            Decl::Module(index) => f.modules.push(ModuleDef::Static(*index)),
            Decl::ModuleOuter { count, index } => {
                let m = outer(
                    f,
                    closure,
                    *count,
                    |s| s.modules.get(*index as usize).cloned(),
                    |f| f.modules.get(*index as usize).cloned(),
                )?;
                f.modules.push(m);
            }
            Decl::Instantiate {
                module,
                args: margs,
                offset,
            } => {
                if self.graph.instances.len() >= MAX_INSTANCES {
                    return Err(Error::unsupported(format!(
                        "more than {MAX_INSTANCES} core instances"
                    ))
                    .at_offset(*offset));
                }
                let module_index = match get(&f.modules, *module, "module")? {
                    ModuleDef::Static(index) => *index,
                    ModuleDef::Host(h) => {
                        return Err(self.not_fusable("core module", h).at_offset(*offset));
                    }
                };
                let args = margs
                    .iter()
                    .map(|(name, i)| {
                        let arg = match get(&f.core_instances, *i, "core instance")? {
                            CoreInstanceDef::Instance(id) => CoreArg::Instance(*id),
                            CoreInstanceDef::Items(items) => CoreArg::Items(items.clone()),
                        };
                        Ok((name.to_string(), arg))
                    })
                    .collect::<Result<_>>()?;
                let id = CoreInstanceId(self.graph.instances.len());
                let name = names
                    .modules
                    .get(module)
                    .cloned()
                    .unwrap_or_else(|| format!("module{}", module_index.0));
                self.graph.instances.push(CoreInstance {
                    module: module_index,
                    component: inner,
                    args,
                    name,
                });
                f.core_instances.push(CoreInstanceDef::Instance(id));
            }
            Decl::CoreFromExports(items) => {
                let items = items
                    .iter()
                    .map(|(name, sort, index)| {
                        let def = get(core_space(f, *sort), *index, "core item")?.clone();
                        Ok((name.to_string(), def))
                    })
                    .collect::<Result<_>>()?;
                f.core_instances.push(CoreInstanceDef::Items(items));
            }
            Decl::Lift {
                core_func,
                ty,
                options,
            } => {
                let func = get(&f.core_funcs, *core_func, "core func")?.clone();
                let options = self.options(f, options)?;
                let scope = match f.scope {
                    Some(scope) => scope,
                    None => {
                        let scope = ScopeId(self.graph.scopes.len());
                        self.graph.scopes.push(f.resources.clone());
                        f.scope = Some(scope);
                        scope
                    }
                };
                let id = LiftedId(self.graph.lifted.len());
                self.graph.lifted.push(Lifted {
                    component: inner,
                    func,
                    options,
                    ty: *ty,
                    scope,
                });
                f.funcs.push(FuncDef::Lifted(id));
                f.func_names
                    .push(format!("{path}#func{}", f.funcs.len() - 1));
            }
            Decl::Component(index) => {
                let scope = Rc::new(Scope {
                    modules: f.modules.clone(),
                    components: f.components.clone(),
                    outer: closure.scope.clone(),
                });
                f.components.push(ComponentDef::Closure(ComponentClosure {
                    index: *index,
                    scope: Some(scope),
                }));
            }
            Decl::ComponentOuter { count, index } => {
                let c = outer(
                    f,
                    closure,
                    *count,
                    |s| s.components.get(*index as usize).cloned(),
                    |f| f.components.get(*index as usize).cloned(),
                )?;
                f.components.push(c);
            }
            Decl::InstantiateComponent {
                component,
                args: cargs,
            } => {
                let child = match get(&f.components, *component, "component")? {
                    ComponentDef::Closure(c) => c.clone(),
                    ComponentDef::Host(h) => return Err(self.not_fusable("component", h)),
                };
                let cargs = cargs
                    .iter()
                    .map(|(name, kind, index)| Ok((name.to_string(), item(f, *kind, *index)?)))
                    .collect::<Result<Vec<_>>>()?;
                let instance_index = f.instances.len() as u32;
                let segment = f.children.unique(naming::segment(
                    names,
                    instance_index,
                    *component,
                    &self.decoded.components[child.index.0],
                ));
                let exports = self.instantiate(
                    &child,
                    RootArgs::Nested(&cargs),
                    format!("{path}/{segment}"),
                    Some(inner),
                    depth + 1,
                )?;
                f.instances.push(Rc::new(InstanceDef::Items(exports)));
                f.instance_names.push(segment);
            }
            Decl::FromExports(items) => {
                let items = items
                    .iter()
                    .map(|(name, kind, index)| Ok((name.to_string(), item(f, *kind, *index)?)))
                    .collect::<Result<_>>()?;
                f.instances.push(Rc::new(InstanceDef::Items(items)));
                f.instance_names
                    .push(format!("instance{}", f.instances.len() - 1));
            }
            Decl::AliasExport {
                kind,
                instance,
                name,
                local,
            } => {
                let inst = get(&f.instances, *instance, "instance")?.clone();
                let inst_name = get(&f.instance_names, *instance, "instance")?.clone();
                let def = match (self.instance_export(&inst, name)?, local) {
                    (Def::Type(_, res), Some(local)) => Def::Type(*local, res),
                    (def, _) => def,
                };
                push(f, *kind, def, format!("{inst_name}#{name}"))?;
            }
            Decl::Type(id) => f.push_type(*id, None),
            Decl::Import { name, ty } => {
                let def = match args {
                    RootArgs::Root => self.root_import(name, *ty)?,
                    RootArgs::Nested(args) => args
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, d)| d.clone())
                        .ok_or_else(|| {
                            Error::invalid(format!("import `{name}` was not given an argument"))
                        })?,
                };
                let kind = match ty {
                    ComponentEntityType::Module(_) => Kind::Module,
                    ComponentEntityType::Func(_) => Kind::Func,
                    ComponentEntityType::Value(_) => Kind::Value,
                    ComponentEntityType::Type { .. } => Kind::Type,
                    ComponentEntityType::Instance(_) => Kind::Instance,
                    ComponentEntityType::Component(_) => Kind::Component,
                };
                let def = match (def, ty) {
                    (Def::Type(_, res), ComponentEntityType::Type { created, .. }) => {
                        Def::Type(*created, res)
                    }
                    (def, _) => def,
                };
                if let (Def::Instance(inst), ComponentEntityType::Instance(ty)) = (&def, ty) {
                    self.bind_instance(f, *ty, inst)?;
                }
                push(f, kind, def, name.to_string())?;
            }
            Decl::Export {
                name,
                kind,
                index,
                ty,
                ..
            } => {
                let mut def = item(f, *kind, *index)?;
                if let (
                    Def::Type(_, res),
                    Some(ComponentEntityType::Type {
                        created,
                        referenced,
                    }),
                ) = (&def, ty)
                {
                    let res = *res;
                    let (created, referenced) = (*created, *referenced);
                    f.bind(referenced, res);
                    if let Some(r) = res
                        && self.graph.resources[r.0].defined_by == Some(inner)
                    {
                        self.graph.resources[r.0].name = format!("{path}#{name}");
                    }
                    def = Def::Type(created, res);
                }
                let display = match kind {
                    Kind::Func => get(&f.func_names, *index, "func")?.clone(),
                    _ => name.to_string(),
                };
                push(f, *kind, def.clone(), display)?;
                f.exports.push((name.to_string(), def));
            }
        }
        Ok(())
    }

    /// The error for instantiating a core module or component the root
    /// imports (at `h`): meld does not have its code.
    fn not_fusable(&self, what: &str, h: &HostPath) -> Error {
        let mut name = self.graph.imports[h.import.0].name.clone();
        for step in &h.path {
            name.push('/');
            name.push_str(step);
        }
        Error::unsupported(format!(
            "instantiating a {what} the root imports (`{name}`): meld cannot fuse code it does not have"
        ))
    }

    /// Records a root import and returns its definition.
    fn root_import(&mut self, name: &str, ty: ComponentEntityType) -> Result<Def> {
        let import = ImportId(self.graph.imports.len());
        self.graph.imports.push(RootImport {
            name: name.to_string(),
            ty,
        });
        Ok(match ty {
            ComponentEntityType::Func(_) => Def::Func(FuncDef::Host(HostPath {
                import,
                path: Vec::new(),
            })),
            ComponentEntityType::Instance(ty) => {
                self.host_resources(import, Vec::new(), ty)?;
                Def::Instance(Rc::new(InstanceDef::Host {
                    import,
                    path: Vec::new(),
                    ty,
                }))
            }
            ComponentEntityType::Type { created, .. } => {
                let res = match created {
                    ComponentAnyTypeId::Resource(r) => Some(self.host_resource(HostResource {
                        import,
                        path: Vec::new(),
                        id: r.resource(),
                    })),
                    _ => None,
                };
                Def::Type(created, res)
            }
            ComponentEntityType::Module(_) => Def::Module(ModuleDef::Host(HostPath {
                import,
                path: Vec::new(),
            })),
            ComponentEntityType::Component(_) => Def::Component(ComponentDef::Host(HostPath {
                import,
                path: Vec::new(),
            })),
            ComponentEntityType::Value(_) => {
                return Err(Error::unsupported(format!(
                    "root import `{name}` is a value"
                )));
            }
        })
    }

    /// Records the resource types of an imported instance (and of the
    /// instances it exports) as host resources.
    fn host_resources(
        &mut self,
        import: ImportId,
        path: Vec<String>,
        ty: ComponentInstanceTypeId,
    ) -> Result<()> {
        let types = self.decoded.types()?;
        let inst = types
            .get(ty)
            .ok_or_else(|| Error::internal("unknown instance type"))?;
        for (name, item) in &inst.exports {
            let mut path = path.clone();
            path.push(name.clone());
            match item.ty {
                ComponentEntityType::Type {
                    created: ComponentAnyTypeId::Resource(r),
                    ..
                } => {
                    self.host_resource(HostResource {
                        import,
                        path,
                        id: r.resource(),
                    });
                }
                ComponentEntityType::Instance(nested) => {
                    self.host_resources(import, path, nested)?
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Records a resource type the root imports.
    fn host_resource(&mut self, host: HostResource) -> ResId {
        // An interface that `use`s another's resource exports it again:
        // the type is the first import's.
        if let Some(res) = self.host_res.get(&host.id) {
            self.graph.host_resources.push(host);
            return *res;
        }
        let res = ResId(self.graph.resources.len());
        let name = std::iter::once(self.graph.imports[host.import.0].name.as_str())
            .chain(host.path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("#");
        self.graph.resources.push(Resource {
            defined_by: None,
            dtor: None,
            name,
            host: Some(host.clone()),
        });
        self.host_res.insert(host.id, res);
        self.graph.host_resources.push(host);
        res
    }

    /// Binds the resource ids of instance type `ty` (as an import of this
    /// component names them) to the resources of `inst`, its argument.
    fn bind_instance(
        &self,
        f: &mut Frame,
        ty: ComponentInstanceTypeId,
        inst: &InstanceDef,
    ) -> Result<()> {
        let inst_ty = self
            .decoded
            .types()?
            .get(ty)
            .ok_or_else(|| Error::internal("unknown instance type"))?;
        for (name, export) in &inst_ty.exports {
            match export.ty {
                ComponentEntityType::Type {
                    created,
                    referenced,
                } => {
                    if let Def::Type(_, res) = self.instance_export(inst, name)? {
                        f.bind(created, res);
                        f.bind(referenced, res);
                    }
                }
                ComponentEntityType::Instance(nested) => {
                    if let Def::Instance(nested_def) = self.instance_export(inst, name)? {
                        self.bind_instance(f, nested, &nested_def)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn instance_export(&self, inst: &InstanceDef, name: &str) -> Result<Def> {
        match inst {
            InstanceDef::Items(items) => items
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| Error::internal(format!("instance has no export `{name}`"))),
            InstanceDef::Host { import, path, ty } => {
                let types = self.decoded.types()?;
                let inst_ty = types
                    .get(*ty)
                    .ok_or_else(|| Error::internal("unknown instance type"))?;
                let export = inst_ty
                    .exports
                    .get(name)
                    .ok_or_else(|| Error::internal(format!("import has no export `{name}`")))?;
                let mut path = path.clone();
                path.push(name.to_string());
                Ok(match export.ty {
                    ComponentEntityType::Func(_) => Def::Func(FuncDef::Host(HostPath {
                        import: *import,
                        path,
                    })),
                    ComponentEntityType::Instance(ty) => {
                        Def::Instance(Rc::new(InstanceDef::Host {
                            import: *import,
                            path,
                            ty,
                        }))
                    }
                    ComponentEntityType::Type { created, .. } => {
                        let res = match created {
                            ComponentAnyTypeId::Resource(r) => {
                                self.host_res.get(&r.resource()).copied()
                            }
                            _ => None,
                        };
                        Def::Type(created, res)
                    }
                    ComponentEntityType::Module(_) | ComponentEntityType::Component(_) => {
                        let host = HostPath {
                            import: *import,
                            path,
                        };
                        match export.ty {
                            ComponentEntityType::Module(_) => Def::Module(ModuleDef::Host(host)),
                            _ => Def::Component(ComponentDef::Host(host)),
                        }
                    }
                    ComponentEntityType::Value(_) => {
                        return Err(Error::unsupported(format!(
                            "export `{name}` of an imported instance is a value"
                        )));
                    }
                })
            }
        }
    }

    fn host_func_type(
        &self,
        func: &HostPath,
    ) -> Result<wasmparser::component_types::ComponentFuncTypeId> {
        let types = self.decoded.types()?;
        let mut ty = self.graph.imports[func.import.0].ty;
        for name in &func.path {
            let ComponentEntityType::Instance(id) = ty else {
                return Err(Error::internal("host path through a non-instance"));
            };
            let inst = types
                .get(id)
                .ok_or_else(|| Error::internal("unknown instance type"))?;
            ty = inst
                .exports
                .get(name)
                .ok_or_else(|| Error::internal(format!("no export `{name}`")))?
                .ty;
        }
        match ty {
            ComponentEntityType::Func(id) => Ok(id),
            _ => Err(Error::internal("host path does not lead to a function")),
        }
    }

    fn options(&self, f: &Frame, options: &CanonOptions) -> Result<Options> {
        let core = |space: &[CoreDef], i: Option<u32>| -> Result<Option<CoreDef>> {
            i.map(|i| get(space, i, "canonical option").cloned())
                .transpose()
        };
        Ok(Options {
            memory: core(&f.core_memories, options.memory)?,
            realloc: core(&f.core_funcs, options.realloc)?,
            post_return: core(&f.core_funcs, options.post_return)?,
            encoding: options.encoding,
            async_: options.async_,
            callback: core(&f.core_funcs, options.callback)?,
        })
    }
}

fn get<'x, T>(space: &'x [T], index: u32, what: &str) -> Result<&'x T> {
    space
        .get(index as usize)
        .ok_or_else(|| Error::internal(format!("{what} index {index} out of bounds")))
}

fn core_space(f: &mut Frame, sort: CoreSort) -> &mut Vec<CoreDef> {
    match sort {
        CoreSort::Func => &mut f.core_funcs,
        CoreSort::Table => &mut f.core_tables,
        CoreSort::Memory => &mut f.core_memories,
        CoreSort::Global => &mut f.core_globals,
        CoreSort::Tag => &mut f.core_tags,
    }
}

/// The definition at `index` of the space of `kind`.
fn item(f: &Frame, kind: Kind, index: u32) -> Result<Def> {
    Ok(match kind {
        Kind::Func => Def::Func(get(&f.funcs, index, "func")?.clone()),
        Kind::Instance => Def::Instance(get(&f.instances, index, "instance")?.clone()),
        Kind::Component => Def::Component(get(&f.components, index, "component")?.clone()),
        Kind::Module => Def::Module(get(&f.modules, index, "module")?.clone()),
        Kind::Type => {
            let (id, res) = *get(&f.types, index, "type")?;
            Def::Type(id, res)
        }
        Kind::Value => return Err(Error::unsupported("component values are not fused yet")),
    })
}

/// Adds `def` to the space of `kind`.
fn push(f: &mut Frame, kind: Kind, def: Def, name: String) -> Result<()> {
    match (kind, def) {
        (Kind::Func, Def::Func(d)) => {
            f.funcs.push(d);
            f.func_names.push(name);
        }
        (Kind::Instance, Def::Instance(d)) => {
            f.instances.push(d);
            f.instance_names.push(name);
        }
        (Kind::Component, Def::Component(d)) => f.components.push(d),
        (Kind::Module, Def::Module(d)) => f.modules.push(d),
        (Kind::Type, Def::Type(d, res)) => f.push_type(d, res),
        (kind, def) => {
            return Err(Error::internal(format!("{kind:?} slot given {def:?}")));
        }
    }
    Ok(())
}

/// Resolves an `alias outer` of `count` levels.
fn outer<T>(
    f: &Frame,
    closure: &ComponentClosure,
    count: u32,
    in_scope: impl Fn(&Scope) -> Option<T>,
    in_frame: impl Fn(&Frame) -> Option<T>,
) -> Result<T> {
    let found = if count == 0 {
        in_frame(f)
    } else {
        let mut scope = closure.scope.as_deref();
        for _ in 1..count {
            scope = scope.and_then(|s| s.outer.as_deref());
        }
        scope.and_then(in_scope)
    };
    found.ok_or_else(|| Error::internal(format!("outer alias of {count} levels out of bounds")))
}
