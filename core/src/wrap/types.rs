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
use wasm_encoder::{
    Alias, ComponentOuterAliasKind, ComponentTypeEncoder, ComponentTypeRef, InstanceType,
    TypeBounds,
};
use wasmparser::component_types::{
    ComponentAnyTypeId, ComponentDefinedType, ComponentDefinedTypeId, ComponentEntityType,
    ComponentFuncTypeId, ComponentInstanceTypeId, ComponentValType, ResourceId,
};
use wasmparser::types::TypesRef;

/// Identity of a type, as far as encoding is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Resource(ResourceId),
    Defined(ComponentDefinedTypeId),
    Func(ComponentFuncTypeId),
}

impl Key {
    pub(crate) fn of(id: ComponentAnyTypeId) -> Result<Key> {
        Ok(match id {
            ComponentAnyTypeId::Resource(r) => Key::Resource(r.resource()),
            ComponentAnyTypeId::Defined(d) => Key::Defined(d),
            ComponentAnyTypeId::Func(f) => Key::Func(f),
            ComponentAnyTypeId::Instance(_) | ComponentAnyTypeId::Component(_) => {
                return Err(Error::unsupported(
                    "instance or component types exported as types are not fused yet",
                ));
            }
        })
    }
}

/// Where types are being declared: the wrapper component or an instance type.
pub(crate) trait Sink {
    fn define(&mut self) -> (u32, ComponentTypeEncoder<'_>);
    fn alias_outer(&mut self, index: u32) -> Result<u32>;
    /// Imports a type bounded by `bound`; only components can.
    fn import_type(&mut self, name: &str, bound: TypeBounds) -> Result<u32>;
}

impl Sink for InstanceType {
    fn define(&mut self) -> (u32, ComponentTypeEncoder<'_>) {
        let index = self.type_count();
        (index, self.ty())
    }

    fn alias_outer(&mut self, index: u32) -> Result<u32> {
        self.alias(Alias::Outer {
            kind: ComponentOuterAliasKind::Type,
            count: 1,
            index,
        });
        Ok(self.type_count() - 1)
    }

    fn import_type(&mut self, _: &str, _: TypeBounds) -> Result<u32> {
        Err(Error::internal("an instance type cannot import a type"))
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
    pub(crate) deps: Option<Vec<(String, ComponentDefinedTypeId)>>,
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
        self.known(Key::Resource(id))?.ok_or_else(|| {
            Error::unsupported("a resource type that is neither imported nor exported by the root")
        })
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
            deps.push((name.clone(), id));
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
        match item.ty {
            ComponentEntityType::Type {
                referenced,
                created,
            } => {
                let bound = match referenced {
                    ComponentAnyTypeId::Resource(r) => {
                        match scope.known(Key::Resource(r.resource()))? {
                            Some(i) => TypeBounds::Eq(i),
                            None => TypeBounds::SubResource,
                        }
                    }
                    ComponentAnyTypeId::Defined(d) => TypeBounds::Eq(scope.defined(d)?),
                    ComponentAnyTypeId::Func(f) => TypeBounds::Eq(scope.func(f)?),
                    _ => {
                        return Err(Error::unsupported(format!(
                            "type export `{name}` of an import"
                        )));
                    }
                };
                scope.sink.export(name, ComponentTypeRef::Type(bound));
                let index = scope.sink.type_count() - 1;
                scope.local.insert(Key::of(created)?, index);
                scope.local.insert(Key::of(referenced)?, index);
            }
            ComponentEntityType::Func(f) => {
                let index = scope.func(f)?;
                scope.sink.export(name, ComponentTypeRef::Func(index));
            }
            _ => {
                return Err(Error::unsupported(format!(
                    "export `{name}` of an imported instance is not a function or type"
                )));
            }
        }
    }
    Ok(inst)
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
