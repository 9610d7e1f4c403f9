//! Stage 5: what happens at each cross-component call.
//!
//! [`plan`] decides, from the component type alone, whether a call can go
//! straight to the callee's core function (the lowered and lifted core
//! signatures agree and the ABI requires no check or conversion of any
//! value) or needs a generated adapter function, and what that function
//! must do. [`generate`] then emits the adapter bodies once the fused
//! module's indices are known.
//!
//! Supported so far: parameters and results of scalar types only. Lifting
//! a value from the caller's core values follows CanonicalABI.md's
//! `lift_flat`: `bool` is any non-zero `i32`, narrow integers take their low
//! bits (sign-extended for signed types), and a `char` outside the Unicode
//! scalar values traps. Results are lifted from the callee the same way.

use crate::abi::{self, MAX_FLAT_PARAMS};
use crate::error::{Error, Result};
use crate::graph::{AdapterId, Graph};
use wasmparser::component_types::{ComponentDefinedType, ComponentFuncType, ComponentValType};
use wasmparser::types::TypesRef;
use wasmparser::{FuncType, PrimitiveValType, ValType};

/// The conversion one scalar needs when it crosses the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fixup {
    /// The core value is passed as it is.
    None,
    /// `bool`: any non-zero value is `true` (1).
    Bool,
    /// `u8` / `u16`: keep the low bits.
    Mask(u32),
    /// `s8` / `s16`: sign-extend the low bits.
    SignExtend8,
    SignExtend16,
    /// `char`: trap unless a Unicode scalar value.
    Char,
}

/// What a generated adapter does.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedPlan {
    /// The core signature shared by caller and callee.
    pub(crate) ty: FuncType,
    pub(crate) params: Vec<Fixup>,
    pub(crate) results: Vec<Fixup>,
}

/// How one cross-component call is made.
#[derive(Debug, Clone)]
pub(crate) enum AdapterPlan {
    /// The caller calls the callee's core function itself.
    Direct,
    /// The caller calls a generated function.
    Generated(GeneratedPlan),
}

/// The plans of every adapter of a graph, by [`AdapterId`].
#[derive(Debug, Default)]
pub(crate) struct Adapters {
    pub(crate) plans: Vec<AdapterPlan>,
}

impl Adapters {
    pub(crate) fn direct(&self) -> usize {
        self.plans
            .iter()
            .filter(|p| matches!(p, AdapterPlan::Direct))
            .count()
    }
}

/// Plans every adapter of `graph`.
pub(crate) fn plan(graph: &Graph, types: TypesRef<'_>) -> Result<Adapters> {
    let plans = (0..graph.adapters.len())
        .map(|i| plan_one(graph, types, AdapterId(i)))
        .collect::<Result<_>>()?;
    Ok(Adapters { plans })
}

/// Plans one adapter.
pub(crate) fn plan_one(graph: &Graph, types: TypesRef<'_>, id: AdapterId) -> Result<AdapterPlan> {
    {
        let adapter = &graph.adapters[id.0];
        let lifted = &graph.lifted[adapter.callee.0];
        let func = types
            .get(lifted.ty)
            .ok_or_else(|| Error::internal("unknown function type"))?;
        let in_caller = |e: Error| e.in_component(graph.path(adapter.caller));
        if func.async_ {
            return Err(in_caller(Error::unsupported(format!(
                "`{}` is an async function; async calls between components are not fused yet",
                adapter.name
            ))));
        }
        let params = func
            .params
            .iter()
            .map(|(_, ty)| fixup(types, ty))
            .collect::<Option<Vec<_>>>();
        let results = func
            .result
            .iter()
            .map(|ty| fixup(types, ty))
            .collect::<Option<Vec<_>>>();
        let (Some(params), Some(results)) = (params, results) else {
            return Err(in_caller(unsupported_type(types, &adapter.name, func)));
        };
        let flat = abi::flat_types(types, func)?;
        if flat.params.len() > MAX_FLAT_PARAMS {
            return Err(in_caller(Error::unsupported(format!(
                "`{}` has {} flat parameters; parameters passed through memory (more than {}) \
                 are not fused yet",
                adapter.name,
                flat.params.len(),
                MAX_FLAT_PARAMS
            ))));
        }
        let post_return = lifted.options.post_return.is_some();
        let needs_code = post_return || params.iter().chain(&results).any(|f| *f != Fixup::None);
        Ok(if needs_code {
            AdapterPlan::Generated(GeneratedPlan {
                ty: FuncType::new(flat.params, flat.results),
                params,
                results,
            })
        } else {
            AdapterPlan::Direct
        })
    }
}

/// The fixup of a scalar type; `None` if `ty` is not a scalar.
fn fixup(types: TypesRef<'_>, ty: &ComponentValType) -> Option<Fixup> {
    let p = match ty {
        ComponentValType::Primitive(p) => *p,
        ComponentValType::Type(id) => match types.get(*id)? {
            ComponentDefinedType::Primitive(p) => *p,
            _ => return None,
        },
    };
    use PrimitiveValType as P;
    Some(match p {
        P::Bool => Fixup::Bool,
        P::U8 => Fixup::Mask(0xff),
        P::U16 => Fixup::Mask(0xffff),
        P::S8 => Fixup::SignExtend8,
        P::S16 => Fixup::SignExtend16,
        P::Char => Fixup::Char,
        P::S32 | P::U32 | P::S64 | P::U64 | P::F32 | P::F64 => Fixup::None,
        P::String | P::ErrorContext => return None,
    })
}

#[cold]
fn unsupported_type(types: TypesRef<'_>, name: &str, func: &ComponentFuncType) -> Error {
    let offending = func
        .params
        .iter()
        .map(|(n, ty)| (format!("parameter `{n}`"), ty))
        .chain(func.result.iter().map(|ty| ("its result".to_string(), ty)))
        .find(|(_, ty)| fixup(types, ty).is_none());
    let detail = match offending {
        Some((what, ty)) => format!("{what} has type {}", describe(types, ty)),
        None => "a parameter or result is not a scalar".to_string(),
    };
    Error::unsupported(format!(
        "`{name}`: {detail}; only scalar types (bool, integers, floats, char) cross \
         component boundaries so far"
    ))
}

/// A short description of a component value type, for error messages.
pub(crate) fn describe(types: TypesRef<'_>, ty: &ComponentValType) -> String {
    let id = match ty {
        ComponentValType::Primitive(p) => return format!("{p}"),
        ComponentValType::Type(id) => *id,
    };
    match types.get(id) {
        Some(ComponentDefinedType::Primitive(p)) => format!("{p}"),
        Some(ComponentDefinedType::Record(_)) => "record".into(),
        Some(ComponentDefinedType::Variant(_)) => "variant".into(),
        Some(ComponentDefinedType::List { element, .. }) => {
            format!("list<{}>", describe(types, element))
        }
        Some(ComponentDefinedType::Map { key, value, .. }) => {
            format!("map<{}, {}>", describe(types, key), describe(types, value))
        }
        Some(ComponentDefinedType::FixedLengthList {
            element, length, ..
        }) => {
            format!("list<{}, {length}>", describe(types, element))
        }
        Some(ComponentDefinedType::Tuple(_)) => "tuple".into(),
        Some(ComponentDefinedType::Flags(_)) => "flags".into(),
        Some(ComponentDefinedType::Enum(_)) => "enum".into(),
        Some(ComponentDefinedType::Option { ty: t, .. }) => {
            format!("option<{}>", describe(types, t))
        }
        Some(ComponentDefinedType::Result { .. }) => "result".into(),
        Some(ComponentDefinedType::Own(_)) => "own<resource>".into(),
        Some(ComponentDefinedType::Borrow(_)) => "borrow<resource>".into(),
        Some(ComponentDefinedType::Future { .. }) => "future".into(),
        Some(ComponentDefinedType::Stream { .. }) => "stream".into(),
        None => "an unknown type".into(),
    }
}

/// Emits the body of a generated adapter calling `callee` (and then
/// `post_return`, if the plan needs it).
pub(crate) fn generate(
    plan: &GeneratedPlan,
    callee: u32,
    post_return: Option<u32>,
) -> Result<wasm_encoder::Function> {
    let results: Vec<ValType> = plan.ty.results().to_vec();
    let result_locals: Vec<(u32, wasm_encoder::ValType)> = results
        .iter()
        .map(|t| Ok((1, crate::merge::val(t)?)))
        .collect::<Result<_>>()?;
    let first_result_local = plan.ty.params().len() as u32;
    let mut f = wasm_encoder::Function::new(result_locals);
    let mut code = f.instructions();
    for (i, fix) in plan.params.iter().enumerate() {
        code.local_get(i as u32);
        apply(&mut code, *fix, i as u32);
    }
    code.call(callee);
    // Results: lift each from the callee into a local, then release the
    // callee's results with post-return, then return them.
    for i in (0..results.len() as u32).rev() {
        code.local_set(first_result_local + i);
    }
    for (i, fix) in plan.results.iter().enumerate() {
        let local = first_result_local + i as u32;
        if *fix != Fixup::None {
            code.local_get(local);
            apply(&mut code, *fix, local);
            code.local_set(local);
        }
    }
    if let Some(post_return) = post_return {
        for i in 0..results.len() as u32 {
            code.local_get(first_result_local + i);
        }
        code.call(post_return);
    }
    for i in 0..results.len() as u32 {
        code.local_get(first_result_local + i);
    }
    code.end();
    Ok(f)
}

/// Applies `fix` to the `i32` on top of the stack, which is also in `local`.
fn apply(code: &mut wasm_encoder::InstructionSink<'_>, fix: Fixup, local: u32) {
    match fix {
        Fixup::None => {}
        Fixup::Bool => {
            code.i32_const(0).i32_ne();
        }
        Fixup::Mask(mask) => {
            code.i32_const(mask as i32).i32_and();
        }
        Fixup::SignExtend8 => {
            code.i32_extend8_s();
        }
        Fixup::SignExtend16 => {
            code.i32_extend16_s();
        }
        Fixup::Char => {
            // Trap unless c < 0x110000 and c is not a surrogate (0xD800..=0xDFFF).
            code.local_get(local)
                .i32_const(0x11_0000)
                .i32_ge_u()
                .local_get(local)
                .i32_const(0xD800)
                .i32_sub()
                .i32_const(0x800)
                .i32_lt_u()
                .i32_or()
                .if_(wasm_encoder::BlockType::Empty)
                .unreachable()
                .end();
        }
    }
}

/// Names a generated adapter, e.g. `adapt my:pkg/api#add`.
pub(crate) fn name(graph: &Graph, id: AdapterId) -> String {
    format!("adapt {}", graph.adapters[id.0].name)
}
