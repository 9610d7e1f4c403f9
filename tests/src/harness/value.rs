//! Comparing and printing component values and types.
//!
//! [`same`] is the harness's notion of "the same observable value": exact
//! for everything, floats compared by their bits except that any NaN equals
//! any NaN (the Canonical ABI lets an engine change NaN payloads),
//! resources equal when both are owned or both borrowed, futures and
//! streams equal when both sides produced one (handles are per-instance
//! numbers, not comparable across instances; what a resource holds is
//! compared through the calls that read it).
//!
//! [`render_all`] prints values in WAVE-like syntax and [`render_type`] prints
//! types structurally (records spelled out, not named), which is what the
//! world comparison and signature checks compare.

use std::fmt::Write;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Type, Val};

/// Longest string printed in full in a report.
const MAX_SHOWN_CHARS: usize = 80;

/// Most list elements printed in a report.
const MAX_SHOWN_ITEMS: usize = 16;

/// Whether two values are observably the same (see the module docs).
pub(crate) fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Float32(x), Val::Float32(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Val::Float64(x), Val::Float64(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::S8(x), Val::S8(y)) => x == y,
        (Val::U8(x), Val::U8(y)) => x == y,
        (Val::S16(x), Val::S16(y)) => x == y,
        (Val::U16(x), Val::U16(y)) => x == y,
        (Val::S32(x), Val::S32(y)) => x == y,
        (Val::U32(x), Val::U32(y)) => x == y,
        (Val::S64(x), Val::S64(y)) => x == y,
        (Val::U64(x), Val::U64(y)) => x == y,
        (Val::Char(x), Val::Char(y)) => x == y,
        (Val::String(x), Val::String(y)) => x == y,
        (Val::List(x), Val::List(y))
        | (Val::Tuple(x), Val::Tuple(y))
        | (Val::FixedLengthList(x), Val::FixedLengthList(y)) => all_same(x, y),
        (Val::Map(x), Val::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| same(xk, yk) && same(xv, yv))
        }
        (Val::Record(x), Val::Record(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xn, xv), (yn, yv))| xn == yn && same(xv, yv))
        }
        (Val::Variant(xn, xv), Val::Variant(yn, yv)) => xn == yn && same_payload(xv, yv),
        (Val::Enum(x), Val::Enum(y)) => x == y,
        (Val::Option(x), Val::Option(y)) => same_payload(x, y),
        (Val::Result(Ok(x)), Val::Result(Ok(y))) | (Val::Result(Err(x)), Val::Result(Err(y))) => {
            same_payload(x, y)
        }
        (Val::Flags(x), Val::Flags(y)) => {
            x.len() == y.len() && x.iter().all(|flag| y.contains(flag))
        }
        (Val::Resource(x), Val::Resource(y)) => x.owned() == y.owned(),
        (Val::Future(_), Val::Future(_))
        | (Val::Stream(_), Val::Stream(_))
        | (Val::ErrorContext(_), Val::ErrorContext(_)) => true,
        _ => false,
    }
}

/// Element-wise [`same`].
pub(crate) fn all_same(a: &[Val], b: &[Val]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

fn same_payload(a: &Option<Box<Val>>, b: &Option<Box<Val>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => same(x, y),
        _ => false,
    }
}

/// Values in WAVE-like syntax, comma-separated, long strings and lists
/// abbreviated.
pub(crate) fn render_all(values: &[Val]) -> String {
    let mut out = String::new();
    write_list(&mut out, values);
    out
}

fn write_list(out: &mut String, values: &[Val]) {
    for (i, value) in values.iter().take(MAX_SHOWN_ITEMS).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_val(out, value);
    }
    if values.len() > MAX_SHOWN_ITEMS {
        let _ = write!(out, ", …({} items)", values.len());
    }
}

fn write_val(out: &mut String, value: &Val) {
    // Writing to a String cannot fail.
    let _ = match value {
        Val::Bool(v) => write!(out, "{v}"),
        Val::S8(v) => write!(out, "{v}"),
        Val::U8(v) => write!(out, "{v}"),
        Val::S16(v) => write!(out, "{v}"),
        Val::U16(v) => write!(out, "{v}"),
        Val::S32(v) => write!(out, "{v}"),
        Val::U32(v) => write!(out, "{v}"),
        Val::S64(v) => write!(out, "{v}"),
        Val::U64(v) => write!(out, "{v}"),
        Val::Float32(v) if v.is_nan() => write!(out, "nan:{:#010x}", v.to_bits()),
        Val::Float64(v) if v.is_nan() => write!(out, "nan:{:#018x}", v.to_bits()),
        Val::Float32(v) => write!(out, "{v:?}"),
        Val::Float64(v) => write!(out, "{v:?}"),
        Val::Char(v) => write!(out, "{v:?}"),
        Val::String(v) => write_string(out, v),
        Val::List(items) | Val::FixedLengthList(items) => {
            out.push('[');
            write_list(out, items);
            out.push(']');
            Ok(())
        }
        Val::Tuple(items) => {
            out.push('(');
            write_list(out, items);
            out.push(')');
            Ok(())
        }
        Val::Map(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_val(out, k);
                out.push_str(": ");
                write_val(out, v);
            }
            out.push('}');
            Ok(())
        }
        Val::Record(fields) => {
            out.push('{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                write_val(out, v);
            }
            out.push('}');
            Ok(())
        }
        Val::Variant(name, payload) => {
            out.push('%');
            out.push_str(name);
            write_payload(out, payload);
            Ok(())
        }
        Val::Enum(name) => write!(out, "%{name}"),
        Val::Option(None) => write!(out, "none"),
        Val::Option(Some(v)) => {
            out.push_str("some");
            write_payload(out, &Some(v.clone()));
            Ok(())
        }
        Val::Result(Ok(payload)) => {
            out.push_str("ok");
            write_payload(out, payload);
            Ok(())
        }
        Val::Result(Err(payload)) => {
            out.push_str("err");
            write_payload(out, payload);
            Ok(())
        }
        Val::Flags(names) => write!(out, "{{{}}}", names.join(", ")),
        Val::Resource(_) => write!(out, "<resource>"),
        Val::Future(_) => write!(out, "<future>"),
        Val::Stream(_) => write!(out, "<stream>"),
        Val::ErrorContext(_) => write!(out, "<error-context>"),
    };
}

fn write_payload(out: &mut String, payload: &Option<Box<Val>>) {
    if let Some(v) = payload {
        out.push('(');
        write_val(out, v);
        out.push(')');
    }
}

fn write_string(out: &mut String, s: &str) -> std::fmt::Result {
    let count = s.chars().count();
    if count <= MAX_SHOWN_CHARS {
        return write!(out, "{s:?}");
    }
    let head: String = s.chars().take(MAX_SHOWN_CHARS).collect();
    write!(out, "{head:?}…({count} chars)")
}

/// Bytes written to stdout or stderr, printed as a string literal.
pub(crate) fn render_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    let _ = write_string(&mut out, &String::from_utf8_lossy(bytes));
    out
}

/// A type spelled out structurally: `record { a: u8, b: list<string> }`.
pub(crate) fn render_type(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(list) => format!("list<{}>", render_type(&list.ty())),
        Type::FixedLengthList(list) => {
            format!("list<{}, {}>", render_type(&list.ty()), list.len())
        }
        Type::Map(map) => format!(
            "map<{}, {}>",
            render_type(&map.key()),
            render_type(&map.value())
        ),
        Type::Record(record) => {
            let fields: Vec<String> = record
                .fields()
                .map(|f| format!("{}: {}", f.name, render_type(&f.ty)))
                .collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        Type::Tuple(tuple) => {
            let types: Vec<String> = tuple.types().map(|t| render_type(&t)).collect();
            format!("tuple<{}>", types.join(", "))
        }
        Type::Variant(variant) => {
            let cases: Vec<String> = variant
                .cases()
                .map(|case| match case.ty {
                    Some(ty) => format!("{}({})", case.name, render_type(&ty)),
                    None => case.name.to_string(),
                })
                .collect();
            format!("variant {{ {} }}", cases.join(", "))
        }
        Type::Enum(enum_) => {
            format!(
                "enum {{ {} }}",
                enum_.names().collect::<Vec<_>>().join(", ")
            )
        }
        Type::Option(option) => format!("option<{}>", render_type(&option.ty())),
        Type::Result(result) => {
            let side = |t: Option<Type>| t.map_or("_".to_string(), |t| render_type(&t));
            format!("result<{}, {}>", side(result.ok()), side(result.err()))
        }
        Type::Flags(flags) => {
            format!(
                "flags {{ {} }}",
                flags.names().collect::<Vec<_>>().join(", ")
            )
        }
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
        Type::Future(future) => match future.ty() {
            Some(t) => format!("future<{}>", render_type(&t)),
            None => "future".into(),
        },
        Type::Stream(stream) => match stream.ty() {
            Some(t) => format!("stream<{}>", render_type(&t)),
            None => "stream".into(),
        },
        Type::ErrorContext => "error-context".into(),
    }
}

/// A function type: `func(a: s32, b: s32) -> s32`.
pub(crate) fn render_func(func: &ComponentFunc) -> String {
    let params: Vec<String> = func
        .params()
        .map(|(name, ty)| format!("{name}: {}", render_type(&ty)))
        .collect();
    let results: Vec<String> = func.results().map(|t| render_type(&t)).collect();
    let prefix = if func.async_() { "async " } else { "" };
    match results.len() {
        0 => format!("{prefix}func({})", params.join(", ")),
        1 => format!("{prefix}func({}) -> {}", params.join(", "), results[0]),
        _ => format!(
            "{prefix}func({}) -> ({})",
            params.join(", "),
            results.join(", ")
        ),
    }
}

/// A non-instance item of a component type (instances are walked by the
/// caller, one line per export).
pub(crate) fn render_item(item: &ComponentItem) -> String {
    match item {
        ComponentItem::ComponentFunc(func) => render_func(func),
        ComponentItem::CoreFunc(func) => format!("core func {func:?}"),
        ComponentItem::Module(_) => "core module".into(),
        ComponentItem::Component(_) => "component".into(),
        ComponentItem::ComponentInstance(_) => "instance".into(),
        ComponentItem::Type(ty) => format!("type {}", render_type(ty)),
        ComponentItem::Resource(_) => "resource".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_equals_any_nan_but_zeros_differ() {
        let nan = Val::Float32(f32::from_bits(0x7fc0_0000));
        let other_nan = Val::Float32(f32::from_bits(0xffc0_0123));
        assert!(same(&nan, &other_nan));
        assert!(!same(&Val::Float64(0.0), &Val::Float64(-0.0)));
        assert!(!same(&nan, &Val::Float32(1.0)));
        assert!(same(&Val::Float64(1.5), &Val::Float64(1.5)));
    }

    #[test]
    fn compound_values_compare_deeply() {
        let a = Val::Record(vec![("x".into(), Val::List(vec![Val::U8(1), Val::U8(2)]))]);
        let b = Val::Record(vec![("x".into(), Val::List(vec![Val::U8(1), Val::U8(3)]))]);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&Val::Result(Ok(None)), &Val::Result(Err(None))));
        assert!(!same(&Val::S32(1), &Val::U32(1)));
    }

    #[test]
    fn rendering_abbreviates_long_strings() {
        let shown = render_all(&[Val::String("x".repeat(1000))]);
        assert!(shown.ends_with("…(1000 chars)"), "{shown}");
        let some = Val::Option(Some(Box::new(Val::Char('a'))));
        assert_eq!(render_all(&[some, Val::Enum("b".into())]), "some('a'), %b");
    }
}
