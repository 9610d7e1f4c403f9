//! A small JSON writer: just enough for the hosts to hand plain objects to
//! JavaScript and to print `meld inspect --format json`.
//!
//! The bindings return JSON text that the JS wrapper parses with
//! `JSON.parse`, so the wasm module needs neither serde nor js-sys. Keys are
//! written in the order they are added, so output is deterministic.

use std::fmt::Write as _;

/// A JSON value under construction.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    /// Integers only: every number the engine reports is a count, a size or
    /// an offset, all far below 2^53.
    Number(u64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs, keys in the given order.
    pub fn object<const N: usize>(fields: [(&'static str, Json); N]) -> Json {
        Json::Object(fields.into())
    }

    /// A string value.
    pub fn str(s: &str) -> Json {
        Json::String(s.to_string())
    }

    /// A count or size.
    pub fn count(n: usize) -> Json {
        Json::Number(n as u64)
    }

    /// `null` for `None`.
    pub fn optional<T>(value: Option<T>, f: impl FnOnce(T) -> Json) -> Json {
        value.map_or(Json::Null, f)
    }

    /// An array of `items` mapped through `f`.
    pub fn array<T>(items: impl IntoIterator<Item = T>, f: impl FnMut(T) -> Json) -> Json {
        Json::Array(items.into_iter().map(f).collect())
    }

    /// The value as compact JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other control characters, and the two line separators that
            // some JavaScript parsers once rejected inside strings.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn writes_nested_values_in_key_order() {
        let value = Json::object([
            ("b", Json::count(2)),
            ("a", Json::Array(vec![Json::Null, Json::str("t")])),
            ("s", Json::str("x")),
        ]);
        assert_eq!(value.to_text(), r#"{"b":2,"a":[null,"t"],"s":"x"}"#);
    }

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        let text = Json::str("a\"b\\c\nd\u{1}e\u{2028}é").to_text();
        assert_eq!(text, r#""a\"b\\c\nd\u0001e\u2028é""#);
    }
}
