//! Stage 3 knowledge: the Canonical ABI's flattening of component types into
//! core value types (CanonicalABI.md, "Flattening"). Pure functions of the
//! component type; no wasm is emitted here.

use crate::error::{Error, Result};
use wasmparser::component_types::{ComponentDefinedType, ComponentFuncType, ComponentValType};
use wasmparser::types::TypesRef;
use wasmparser::{PrimitiveValType, ValType};

/// At most this many flat parameters are passed as core parameters;
/// beyond it they are passed through memory.
pub(crate) const MAX_FLAT_PARAMS: usize = 16;
/// At most this many flat results are returned as core results; beyond it
/// they are returned through memory.
pub(crate) const MAX_FLAT_RESULTS: usize = 1;

/// The core signature of a component function, as seen by one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CoreSig {
    pub(crate) params: Vec<ValType>,
    pub(crate) results: Vec<ValType>,
}

/// The flat parameter and result types of `func`, before spilling.
pub(crate) fn flat_types(types: TypesRef<'_>, func: &ComponentFuncType) -> Result<CoreSig> {
    let mut params = Vec::new();
    for (_, ty) in func.params.iter() {
        flatten(types, ty, &mut params)?;
    }
    let mut results = Vec::new();
    if let Some(ty) = &func.result {
        flatten(types, ty, &mut results)?;
    }
    Ok(CoreSig { params, results })
}

/// The core signature of `canon lower` of `func`, with the ABI's spilling
/// applied: too many parameters are passed through memory, and too many
/// results are written to memory at a pointer the caller passes last.
pub(crate) fn lower_signature(types: TypesRef<'_>, func: &ComponentFuncType) -> Result<CoreSig> {
    let CoreSig {
        mut params,
        mut results,
    } = flat_types(types, func)?;
    if params.len() > MAX_FLAT_PARAMS {
        params = vec![ValType::I32];
    }
    if results.len() > MAX_FLAT_RESULTS {
        params.push(ValType::I32);
        results = Vec::new();
    }
    Ok(CoreSig { params, results })
}

/// Appends the flat core types of `ty` to `out`.
pub(crate) fn flatten(
    types: TypesRef<'_>,
    ty: &ComponentValType,
    out: &mut Vec<ValType>,
) -> Result<()> {
    let id = match ty {
        ComponentValType::Primitive(p) => {
            out.extend_from_slice(flatten_primitive(*p));
            return Ok(());
        }
        ComponentValType::Type(id) => *id,
    };
    let defined = types
        .get(id)
        .ok_or_else(|| Error::internal("unknown component type"))?;
    match defined {
        ComponentDefinedType::Primitive(p) => out.extend_from_slice(flatten_primitive(*p)),
        ComponentDefinedType::Record(r) => {
            for ty in r.fields.values() {
                flatten(types, ty, out)?;
            }
        }
        ComponentDefinedType::Tuple(t) => {
            for ty in t.types.iter() {
                flatten(types, ty, out)?;
            }
        }
        ComponentDefinedType::Variant(v) => {
            flatten_variant(types, v.cases.values().map(|c| c.ty.as_ref()), out)?;
        }
        ComponentDefinedType::Option { ty, .. } => flatten_variant(types, [None, Some(ty)], out)?,
        ComponentDefinedType::Result { ok, err, .. } => {
            flatten_variant(types, [ok.as_ref(), err.as_ref()], out)?;
        }
        ComponentDefinedType::Enum(_) => out.push(ValType::I32),
        ComponentDefinedType::Flags(names) => {
            out.extend(std::iter::repeat_n(ValType::I32, names.len().div_ceil(32)));
        }
        ComponentDefinedType::List { .. } | ComponentDefinedType::Map { .. } => {
            out.extend_from_slice(&[ValType::I32, ValType::I32]);
        }
        ComponentDefinedType::FixedLengthList {
            element, length, ..
        } => {
            for _ in 0..*length {
                flatten(types, element, out)?;
            }
        }
        ComponentDefinedType::Own(_)
        | ComponentDefinedType::Borrow(_)
        | ComponentDefinedType::Future { .. }
        | ComponentDefinedType::Stream { .. } => out.push(ValType::I32),
    }
    Ok(())
}

fn flatten_primitive(p: PrimitiveValType) -> &'static [ValType] {
    use PrimitiveValType as P;
    match p {
        P::Bool | P::S8 | P::U8 | P::S16 | P::U16 | P::S32 | P::U32 | P::Char => &[ValType::I32],
        P::S64 | P::U64 => &[ValType::I64],
        P::F32 => &[ValType::F32],
        P::F64 => &[ValType::F64],
        P::String => &[ValType::I32, ValType::I32],
        P::ErrorContext => &[ValType::I32],
    }
}

/// A variant flattens to its discriminant followed by the element-wise join
/// of its cases' payloads.
fn flatten_variant<'t>(
    types: TypesRef<'_>,
    cases: impl IntoIterator<Item = Option<&'t ComponentValType>>,
    out: &mut Vec<ValType>,
) -> Result<()> {
    let mut joined: Vec<ValType> = Vec::new();
    for case in cases.into_iter().flatten() {
        let mut flat = Vec::new();
        flatten(types, case, &mut flat)?;
        for (i, ty) in flat.into_iter().enumerate() {
            match joined.get_mut(i) {
                Some(slot) => *slot = join(*slot, ty),
                None => joined.push(ty),
            }
        }
    }
    out.push(ValType::I32);
    out.extend(joined);
    Ok(())
}

fn join(a: ValType, b: ValType) -> ValType {
    match (a, b) {
        _ if a == b => a,
        (ValType::I32, ValType::F32) | (ValType::F32, ValType::I32) => ValType::I32,
        _ => ValType::I64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_follows_the_spec() {
        assert_eq!(join(ValType::I32, ValType::I32), ValType::I32);
        assert_eq!(join(ValType::I32, ValType::F32), ValType::I32);
        assert_eq!(join(ValType::F32, ValType::F64), ValType::I64);
        assert_eq!(join(ValType::I32, ValType::I64), ValType::I64);
        assert_eq!(join(ValType::F64, ValType::F64), ValType::F64);
    }

    #[test]
    fn primitives_flatten_to_one_core_value_except_strings() {
        assert_eq!(flatten_primitive(PrimitiveValType::U8), &[ValType::I32]);
        assert_eq!(flatten_primitive(PrimitiveValType::U64), &[ValType::I64]);
        assert_eq!(flatten_primitive(PrimitiveValType::F32), &[ValType::F32]);
        assert_eq!(
            flatten_primitive(PrimitiveValType::String),
            &[ValType::I32, ValType::I32]
        );
    }
}
