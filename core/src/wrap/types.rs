//! Re-encodes component types from the validator's type information.
//!
//! The wrapper must declare exactly the input's imports and exports, so
//! every type is written again from what wasmparser recorded for the root:
//! instance types of imports (with resources and the types one interface
//! `use`s from another, which stay aliases of the earlier import), and the
//! function and value types of exports. A type already known in the outer
//! scope is referred to by an outer alias, never defined twice, so type
//! identity — and therefore the WIT world — is preserved.

use crate::error::{Error, Result};
use std::collections::HashMap;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    Alias, ComponentOuterAliasKind, ComponentType, ComponentTypeEncoder, ComponentTypeRef,
    InstanceType, ModuleType, TypeBounds,
};
use wasmparser::component_types::{
    AliasableResourceId, ComponentAnyTypeId, ComponentCoreModuleTypeId, ComponentDefinedType,
    ComponentDefinedTypeId, ComponentEntityType, ComponentFuncTypeId, ComponentInstanceTypeId,
    ComponentTypeId, ComponentValType, ResourceId,
};
use wasmparser::types::TypesRef;
use wasmparser::types::{CoreTypeId, EntityType};

/// Identity of a type, as far as encoding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Resource(ResourceId),
    /// One name of a resource: the type an instance exports, as another
    /// type refers to it (`use`), so that a type `use`d through an
    /// interface that re-exports it is written through that interface
    /// again (WASI's `filesystem/types` takes `error` from `io/streams`,
    /// which takes it from `io/error`), and the WIT world stays the same.
    Alias(AliasableResourceId),
    Defined(ComponentDefinedTypeId),
    Func(ComponentFuncTypeId),
    Instance(ComponentInstanceTypeId),
    Component(ComponentTypeId),
}

impl Key {
    pub(crate) fn of(id: ComponentAnyTypeId) -> Result<Key> {
        Ok(match id {
            ComponentAnyTypeId::Resource(r) => Key::Resource(r.resource()),
            ComponentAnyTypeId::Defined(d) => Key::Defined(d),
            ComponentAnyTypeId::Func(f) => Key::Func(f),
            ComponentAnyTypeId::Instance(i) => Key::Instance(i),
            ComponentAnyTypeId::Component(c) => Key::Component(c),
        })
    }

    /// The [`Key::Alias`] of a resource's name (none for other types).
    pub(crate) fn alias(id: ComponentAnyTypeId) -> Option<Key> {
        match id {
            ComponentAnyTypeId::Resource(r) => Some(Key::Alias(r)),
            _ => None,
        }
    }
}

/// Where types are being declared: the wrapper component, an instance
/// type or a component type.
pub(crate) trait Sink {
    fn define(&mut self) -> (u32, ComponentTypeEncoder<'_>);
    /// Defines a core module type; returns its core type index.
    fn define_module(&mut self, ty: &ModuleType) -> u32;
    fn alias_outer(&mut self, index: u32) -> Result<u32>;
    /// Imports a type bounded by `bound`; only components can.
    fn import_type(&mut self, name: &str, bound: TypeBounds) -> Result<u32>;
}

/// A type that declares imports or exports: an instance or component type.
pub(crate) trait Decls: Sink {
    /// Declares import (`import`) or export `name` of type `ty`.
    fn declare(&mut self, name: &str, ty: ComponentTypeRef, import: bool) -> Result<()>;
    fn types_declared(&self) -> u32;
}

impl Decls for InstanceType {
    fn declare(&mut self, name: &str, ty: ComponentTypeRef, import: bool) -> Result<()> {
        if import {
            return Err(Error::internal("an instance type has no imports"));
        }
        self.export(name, ty);
        Ok(())
    }

    fn types_declared(&self) -> u32 {
        self.type_count()
    }
}

/// Instance and component types declare types alike.
macro_rules! type_sink {
    ($ty:ty) => {
        impl Sink for $ty {
            fn define(&mut self) -> (u32, ComponentTypeEncoder<'_>) {
                let index = self.type_count();
                (index, self.ty())
            }

            fn define_module(&mut self, ty: &ModuleType) -> u32 {
                let index = self.core_type_count();
                self.core_type().module(ty);
                index
            }

            fn alias_outer(&mut self, index: u32) -> Result<u32> {
                self.alias(Alias::Outer {
                    kind: ComponentOuterAliasKind::Type,
                    count: 1,
                    index,
                });
                Ok(self.type_count() - 1)
            }

            fn import_type(&mut self, name: &str, bound: TypeBounds) -> Result<u32> {
                self.import_bounded(name, bound)
            }
        }
    };
}

/// Importing a type: only a component type can.
trait ImportBounded {
    fn import_bounded(&mut self, name: &str, bound: TypeBounds) -> Result<u32>;
}

impl ImportBounded for InstanceType {
    fn import_bounded(&mut self, _: &str, _: TypeBounds) -> Result<u32> {
        Err(Error::internal("an instance type cannot import a type"))
    }
}

impl ImportBounded for ComponentType {
    fn import_bounded(&mut self, name: &str, bound: TypeBounds) -> Result<u32> {
        self.import(name, ComponentTypeRef::Type(bound));
        Ok(self.type_count() - 1)
    }
}

type_sink!(InstanceType);
type_sink!(ComponentType);

impl Decls for ComponentType {
    fn declare(&mut self, name: &str, ty: ComponentTypeRef, import: bool) -> Result<()> {
        if import {
            self.import(name, ty);
        } else {
            self.export(name, ty);
        }
        Ok(())
    }

    fn types_declared(&self) -> u32 {
        self.type_count()
    }
}

/// Types declared in one scope, and the outer scope's if this one is nested.
pub(crate) struct Scope<'s, S: Sink> {
    pub(crate) sink: &'s mut S,
    pub(crate) local: HashMap<Key, u32>,
    pub(crate) outer: Option<&'s HashMap<Key, u32>>,
    pub(crate) types: TypesRef<'s>,
    /// When set, nominal types (records, variants, enums, flags) met while
    /// defining others are imported (as `eq` their definition) under a
    /// fresh name and recorded here, so the scope only refers to named types.
    pub(crate) deps: Option<Vec<(String, Key)>>,
}

impl<S: Sink> Scope<'_, S> {
    /// The index of a type known in this scope or the outer one.
    fn known(&mut self, key: Key) -> Result<Option<u32>> {
        if let Some(i) = self.local.get(&key) {
            return Ok(Some(*i));
        }
        if let Some(outer) = self.outer.and_then(|o| o.get(&key).copied()) {
            let i = self.sink.alias_outer(outer)?;
            self.local.insert(key, i);
            return Ok(Some(i));
        }
        Ok(None)
    }

    pub(crate) fn valtype(
        &mut self,
        ty: &ComponentValType,
    ) -> Result<wasm_encoder::ComponentValType> {
        match ty {
            ComponentValType::Primitive(p) => {
                Ok(wasm_encoder::ComponentValType::Primitive(prim(*p)))
            }
            ComponentValType::Type(id) => {
                if let Some(ComponentDefinedType::Primitive(p)) = self.types.get(*id)
                    && self.known(Key::Defined(*id))?.is_none()
                {
                    return Ok(wasm_encoder::ComponentValType::Primitive(prim(*p)));
                }
                Ok(wasm_encoder::ComponentValType::Type(self.defined(*id)?))
            }
        }
    }

    fn resource(&mut self, id: ResourceId) -> Result<u32> {
        if let Some(i) = self.known(Key::Resource(id))? {
            return Ok(i);
        }
        // A resource met while defining others, in a scope that imports
        // what it refers to (an exported instance whose functions use a
        // resource another instance exports): imported under a fresh name.
        let Some(deps) = self.deps.as_mut() else {
            return Err(Error::unsupported(
                "a resource type that is neither imported nor exported by the root",
            ));
        };
        let name = format!("import-type-dep{}", deps.len());
        deps.push((name.clone(), Key::Resource(id)));
        let index = self.sink.import_type(&name, TypeBounds::SubResource)?;
        self.local.insert(Key::Resource(id), index);
        Ok(index)
    }

    /// The index of defined type `id`, defining it here if it is not known.
    pub(crate) fn defined(&mut self, id: ComponentDefinedTypeId) -> Result<u32> {
        if let Some(i) = self.known(Key::Defined(id))? {
            return Ok(i);
        }
        let mut index = self.define_here(id)?;
        let nominal = matches!(
            self.types.get(id),
            Some(
                ComponentDefinedType::Record(_)
                    | ComponentDefinedType::Variant(_)
                    | ComponentDefinedType::Enum(_)
                    | ComponentDefinedType::Flags(_)
            )
        );
        if let (Some(deps), true) = (self.deps.as_mut(), nominal) {
            let name = format!("import-type-dep{}", deps.len());
            deps.push((name.clone(), Key::Defined(id)));
            index = self.sink.import_type(&name, TypeBounds::Eq(index))?;
        }
        self.local.insert(Key::Defined(id), index);
        Ok(index)
    }

    /// Defines type `id` here (its parts as [`Scope::defined`] finds them).
    pub(crate) fn define_here(&mut self, id: ComponentDefinedTypeId) -> Result<u32> {
        let ty = self
            .types
            .get(id)
            .ok_or_else(|| Error::internal("unknown defined type"))?;
        let opt = |s: &mut Self, t: &Option<ComponentValType>| {
            t.as_ref().map(|t| s.valtype(t)).transpose()
        };
        let index = match ty {
            ComponentDefinedType::Primitive(p) => {
                let (i, enc) = self.sink.define();
                enc.defined_type().primitive(prim(*p));
                i
            }
            ComponentDefinedType::Record(r) => {
                let fields = r
                    .fields
                    .iter()
                    .map(|(n, t)| Ok((n.as_str(), self.valtype(t)?)))
                    .collect::<Result<Vec<_>>>()?;
                let (i, enc) = self.sink.define();
                enc.defined_type().record(fields);
                i
            }
            ComponentDefinedType::Variant(v) => {
                let cases = v
                    .cases
                    .iter()
                    .map(|(n, c)| Ok((n.as_str(), opt(self, &c.ty)?)))
                    .collect::<Result<Vec<_>>>()?;
                let (i, enc) = self.sink.define();
                enc.defined_type().variant(cases);
                i
            }
            ComponentDefinedType::List { element, .. } => {
                let e = self.valtype(element)?;
                let (i, enc) = self.sink.define();
                enc.defined_type().list(e);
                i
            }
            ComponentDefinedType::Map { key, value, .. } => {
                let (k, v) = (self.valtype(key)?, self.valtype(value)?);
                let (i, enc) = self.sink.define();
                enc.defined_type().map(k, v);
                i
            }
            ComponentDefinedType::FixedLengthList {
                element, length, ..
            } => {
                let e = self.valtype(element)?;
                let (i, enc) = self.sink.define();
                enc.defined_type().fixed_length_list(e, *length);
                i
            }
            ComponentDefinedType::Tuple(t) => {
                let types = t
                    .types
                    .iter()
                    .map(|t| self.valtype(t))
                    .collect::<Result<Vec<_>>>()?;
                let (i, enc) = self.sink.define();
                enc.defined_type().tuple(types);
                i
            }
            ComponentDefinedType::Flags(names) => {
                let (i, enc) = self.sink.define();
                enc.defined_type().flags(names.iter().map(|n| n.as_str()));
                i
            }
            ComponentDefinedType::Enum(names) => {
                let (i, enc) = self.sink.define();
                enc.defined_type()
                    .enum_type(names.iter().map(|n| n.as_str()));
                i
            }
            ComponentDefinedType::Option { ty: t, .. } => {
                let t = self.valtype(t)?;
                let (i, enc) = self.sink.define();
                enc.defined_type().option(t);
                i
            }
            ComponentDefinedType::Result { ok, err, .. } => {
                let (ok, err) = (opt(self, ok)?, opt(self, err)?);
                let (i, enc) = self.sink.define();
                enc.defined_type().result(ok, err);
                i
            }
            ComponentDefinedType::Own(r) => {
                let r = self.resource(r.resource())?;
                let (i, enc) = self.sink.define();
                enc.defined_type().own(r);
                i
            }
            ComponentDefinedType::Borrow(r) => {
                let r = self.resource(r.resource())?;
                let (i, enc) = self.sink.define();
                enc.defined_type().borrow(r);
                i
            }
            ComponentDefinedType::Future { ty: t, .. } => {
                let t = opt(self, t)?;
                let (i, enc) = self.sink.define();
                enc.defined_type().future(t);
                i
            }
            ComponentDefinedType::Stream { ty: t, .. } => {
                let t = opt(self, t)?;
                let (i, enc) = self.sink.define();
                enc.defined_type().stream(t);
                i
            }
        };
        Ok(index)
    }

    /// The index of function type `id`, defining it here if needed.
    pub(crate) fn func(&mut self, id: ComponentFuncTypeId) -> Result<u32> {
        if let Some(i) = self.local.get(&Key::Func(id)) {
            return Ok(*i);
        }
        // One known outside is used again where it names no type: any
        // instance or component type may refer to it then.
        if plain_func(self.types, id)
            && let Some(i) = self.known(Key::Func(id))?
        {
            return Ok(i);
        }
        let ty = self
            .types
            .get(id)
            .ok_or_else(|| Error::internal("unknown function type"))?;
        let params = ty
            .params
            .iter()
            .map(|(n, t)| Ok((n.as_str(), self.valtype(t)?)))
            .collect::<Result<Vec<_>>>()?;
        let result = ty.result.as_ref().map(|t| self.valtype(t)).transpose()?;
        let (i, enc) = self.sink.define();
        let mut f = enc.function();
        f.async_(ty.async_);
        f.params(params).result(result);
        self.local.insert(Key::Func(id), i);
        Ok(i)
    }
}

/// Encodes the instance type `id` of a root import. Its resources that are
/// not known outside become abstract (`sub resource`) exports.
pub(crate) fn instance_type(
    types: TypesRef<'_>,
    outer: &HashMap<Key, u32>,
    id: ComponentInstanceTypeId,
) -> Result<InstanceType> {
    let ty = types
        .get(id)
        .ok_or_else(|| Error::internal("unknown instance type"))?;
    let mut inst = InstanceType::new();
    let mut scope = Scope {
        sink: &mut inst,
        local: HashMap::new(),
        outer: Some(outer),
        types,
        deps: None,
    };
    for (name, item) in &ty.exports {
        scope.declare_item(name, item.ty, false)?;
    }
    Ok(inst)
}

/// Encodes component type `id` (of a component the root imports or passes
/// along). Its resources that are not known outside stay abstract.
pub(crate) fn component_type(
    types: TypesRef<'_>,
    outer: &HashMap<Key, u32>,
    id: ComponentTypeId,
) -> Result<ComponentType> {
    let ty = types
        .get(id)
        .ok_or_else(|| Error::internal("unknown component type"))?;
    let mut component = ComponentType::new();
    let mut scope = Scope {
        sink: &mut component,
        local: HashMap::new(),
        outer: Some(outer),
        types,
        deps: None,
    };
    for (name, item) in &ty.imports {
        scope.declare_item(name, item.ty, true)?;
    }
    for (name, item) in &ty.exports {
        scope.declare_item(name, item.ty, false)?;
    }
    Ok(component)
}

impl<S: Decls> Scope<'_, S> {
    /// Declares import or export `name` of type `ty` in this instance or
    /// component type.
    fn declare_item(&mut self, name: &str, ty: ComponentEntityType, import: bool) -> Result<()> {
        let ComponentEntityType::Type {
            referenced,
            created,
        } = ty
        else {
            let ty = self.entity(name, ty)?;
            return self.sink.declare(name, ty, import);
        };
        let bound = match referenced {
            // the name it was given, else any name of the resource
            ComponentAnyTypeId::Resource(r) => match self.known(Key::Alias(r))? {
                Some(i) => TypeBounds::Eq(i),
                None => match self.known(Key::Resource(r.resource()))? {
                    Some(i) => TypeBounds::Eq(i),
                    None => TypeBounds::SubResource,
                },
            },
            other => TypeBounds::Eq(self.any_type(other)?),
        };
        self.sink
            .declare(name, ComponentTypeRef::Type(bound), import)?;
        let index = self.sink.types_declared() - 1;
        self.local.insert(Key::of(created)?, index);
        self.local.insert(Key::of(referenced)?, index);
        if let Some(alias) = Key::alias(created) {
            self.local.insert(alias, index);
        }
        Ok(())
    }
}

impl<S: Sink> Scope<'_, S> {
    /// The index of type `id`, defining it here if needed; a resource must
    /// be known (imported or exported by the root).
    pub(crate) fn any_type(&mut self, id: ComponentAnyTypeId) -> Result<u32> {
        match id {
            ComponentAnyTypeId::Resource(r) => self.resource(r.resource()),
            ComponentAnyTypeId::Defined(d) => self.defined(d),
            ComponentAnyTypeId::Func(f) => self.func(f),
            ComponentAnyTypeId::Instance(i) => {
                if let Some(index) = self.known(Key::Instance(i))? {
                    return Ok(index);
                }
                let inst = instance_type(self.types, &self.local, i)?;
                let (index, enc) = self.sink.define();
                enc.instance(&inst);
                self.local.insert(Key::Instance(i), index);
                Ok(index)
            }
            ComponentAnyTypeId::Component(c) => {
                if let Some(index) = self.known(Key::Component(c))? {
                    return Ok(index);
                }
                let component = component_type(self.types, &self.local, c)?;
                let (index, enc) = self.sink.define();
                enc.component(&component);
                self.local.insert(Key::Component(c), index);
                Ok(index)
            }
        }
    }

    /// The type reference of an item that is not a type: a function, an
    /// instance, a component or a core module.
    pub(crate) fn entity(
        &mut self,
        name: &str,
        ty: ComponentEntityType,
    ) -> Result<ComponentTypeRef> {
        Ok(match ty {
            ComponentEntityType::Func(f) => ComponentTypeRef::Func(self.func(f)?),
            ComponentEntityType::Instance(id) => {
                ComponentTypeRef::Instance(self.any_type(ComponentAnyTypeId::Instance(id))?)
            }
            ComponentEntityType::Component(id) => {
                ComponentTypeRef::Component(self.any_type(ComponentAnyTypeId::Component(id))?)
            }
            ComponentEntityType::Module(id) => {
                let module = module_type(self.types, id)?;
                ComponentTypeRef::Module(self.sink.define_module(&module))
            }
            ComponentEntityType::Type { .. } => {
                return Err(Error::internal(format!("type `{name}` is not an entity")));
            }
            ComponentEntityType::Value(_) => {
                return Err(Error::unsupported(format!(
                    "`{name}` is a component value; values are not fused yet"
                )));
            }
        })
    }
}

/// Encodes core module type `id`.
pub(crate) fn module_type(
    types: TypesRef<'_>,
    id: ComponentCoreModuleTypeId,
) -> Result<ModuleType> {
    let ty = types
        .get(id)
        .ok_or_else(|| Error::internal("unknown core module type"))?;
    let mut module = ModuleType::new();
    let mut funcs = HashMap::new();
    for ((field_module, field), entity) in &ty.imports {
        let entity = core_entity(types, &mut module, &mut funcs, entity)?;
        module.import(field_module, field, entity);
    }
    for (name, entity) in &ty.exports {
        let entity = core_entity(types, &mut module, &mut funcs, entity)?;
        module.export(name, entity);
    }
    Ok(module)
}

/// The encoding of one import or export of a core module type, defining
/// the function types it needs in `module` (once each).
fn core_entity(
    types: TypesRef<'_>,
    module: &mut ModuleType,
    funcs: &mut HashMap<CoreTypeId, u32>,
    entity: &EntityType,
) -> Result<wasm_encoder::EntityType> {
    let mut func = |id: CoreTypeId| -> Result<u32> {
        if let Some(i) = funcs.get(&id) {
            return Ok(*i);
        }
        let sub = types
            .get(id)
            .ok_or_else(|| Error::internal("unknown core type"))?;
        let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner else {
            return Err(gc_types());
        };
        if !sub.is_final || sub.supertype_idx.is_some() || sub.composite_type.shared {
            return Err(gc_types());
        }
        let params = f
            .params()
            .iter()
            .map(|t| val_type(*t))
            .collect::<Result<Vec<_>>>()?;
        let results = f
            .results()
            .iter()
            .map(|t| val_type(*t))
            .collect::<Result<Vec<_>>>()?;
        let index = module.type_count();
        module.ty().function(params, results);
        funcs.insert(id, index);
        Ok(index)
    };
    let reencode = |e| Error::internal(format!("re-encoding a core module type: {e}"));
    Ok(match entity {
        EntityType::Func(id) => wasm_encoder::EntityType::Function(func(*id)?),
        EntityType::FuncExact(id) => wasm_encoder::EntityType::FunctionExact(func(*id)?),
        EntityType::Table(t) => {
            abstract_ref(t.element_type)?;
            wasm_encoder::EntityType::Table(RoundtripReencoder.table_type(*t).map_err(reencode)?)
        }
        EntityType::Memory(m) => {
            wasm_encoder::EntityType::Memory(RoundtripReencoder.memory_type(*m).map_err(reencode)?)
        }
        EntityType::Global(g) => {
            val_type(g.content_type)?;
            wasm_encoder::EntityType::Global(RoundtripReencoder.global_type(*g).map_err(reencode)?)
        }
        EntityType::Tag(id) => wasm_encoder::EntityType::Tag(wasm_encoder::TagType {
            kind: wasm_encoder::TagKind::Exception,
            func_type_idx: func(*id)?,
        }),
    })
}

fn gc_types() -> Error {
    Error::unsupported("a core module type that uses GC types (passed along by the root)")
}

/// A value type of a core module type; references to concrete (GC) types
/// are not carried.
fn val_type(t: wasmparser::ValType) -> Result<wasm_encoder::ValType> {
    if let wasmparser::ValType::Ref(r) = t {
        abstract_ref(r)?;
    }
    RoundtripReencoder
        .val_type(t)
        .map_err(|e| Error::internal(format!("re-encoding a core value type: {e}")))
}

fn abstract_ref(r: wasmparser::RefType) -> Result<()> {
    if r.is_concrete_type_ref() {
        return Err(gc_types());
    }
    Ok(())
}

fn prim(p: wasmparser::PrimitiveValType) -> wasm_encoder::PrimitiveValType {
    use wasm_encoder::PrimitiveValType as E;
    use wasmparser::PrimitiveValType as P;
    match p {
        P::Bool => E::Bool,
        P::S8 => E::S8,
        P::U8 => E::U8,
        P::S16 => E::S16,
        P::U16 => E::U16,
        P::S32 => E::S32,
        P::U32 => E::U32,
        P::S64 => E::S64,
        P::U64 => E::U64,
        P::F32 => E::F32,
        P::F64 => E::F64,
        P::Char => E::Char,
        P::String => E::String,
        P::ErrorContext => E::ErrorContext,
    }
}

/// Whether function type `id` refers to no type that has a name (a record,
/// variant, enum, flags, resource, future or stream, at any depth): only
/// primitives, strings and lists, tuples, options and results of them.
fn plain_func(types: TypesRef<'_>, id: ComponentFuncTypeId) -> bool {
    fn plain(types: TypesRef<'_>, ty: &ComponentValType) -> bool {
        let ComponentValType::Type(id) = ty else {
            return true;
        };
        match types.get(*id) {
            Some(ComponentDefinedType::Primitive(_)) => true,
            Some(ComponentDefinedType::List { element, .. }) => plain(types, element),
            Some(ComponentDefinedType::Option { ty, .. }) => plain(types, ty),
            Some(ComponentDefinedType::Tuple(t)) => t.types.iter().all(|t| plain(types, t)),
            Some(ComponentDefinedType::Result { ok, err, .. }) => [ok, err]
                .into_iter()
                .all(|t| t.as_ref().is_none_or(|t| plain(types, t))),
            _ => false,
        }
    }
    types.get(id).is_some_and(|ty| {
        ty.params.iter().all(|(_, t)| plain(types, t))
            && ty.result.as_ref().is_none_or(|t| plain(types, t))
    })
}
