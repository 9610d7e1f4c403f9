//! The one place where meld-core's types meet their JavaScript shapes.
//!
//! Every struct of core is taken apart with exhaustive destructuring and
//! every `Options` is built with all its fields named, so a field added to
//! core fails this crate's build until the JS shape (and `lib/index.d.ts`)
//! says what to do with it. JS names are camelCase; shapes are plain,
//! JSON-able objects.

use meld_core::json::Json;
use meld_core::{
    DebugInfo, Error, Location, MemoryStrategy, Options, OutputKind, Region, Simd, Stats,
    Suspendable,
};

/// The option names [`options`] accepts, for error messages.
const OPTION_NAMES: &str = "emit, memory, regionSize, debugInfo, simd";

/// Builds core's [`Options`] from the `(name, value)` pairs of the JS
/// options object (values already turned into strings by the wrapper).
pub fn options(pairs: &[(String, String)]) -> Result<Options, Error> {
    let mut output = OutputKind::default();
    let mut memory = MemoryStrategy::default();
    let mut region_mib = None;
    let mut debug_info = DebugInfo::default();
    let mut simd = Simd::default();
    for (name, value) in pairs {
        match name.as_str() {
            "emit" => {
                output = match value.as_str() {
                    "component" => OutputKind::Component,
                    "core" => OutputKind::Core,
                    other => {
                        return Err(Error::invalid(format!(
                            "option `emit` must be \"component\" or \"core\", not {other:?}"
                        )));
                    }
                }
            }
            "output" => {
                return Err(Error::invalid(format!(
                    "option `output` is called `emit` now, as the CLI's `--emit`: \
                     use {{ emit: {value:?} }}"
                )));
            }
            "memory" => {
                memory = match value.as_str() {
                    "auto" => MemoryStrategy::Auto,
                    "multi" => MemoryStrategy::Multi,
                    "shared" => MemoryStrategy::Shared,
                    other => {
                        return Err(Error::invalid(format!(
                            "option `memory` must be \"auto\", \"multi\" or \"shared\", not {other:?}"
                        )));
                    }
                };
            }
            "regionSize" => {
                region_mib = match value.parse::<u32>() {
                    Ok(mib @ 1..=4096) => Some(mib),
                    _ => {
                        return Err(Error::invalid(format!(
                            "option `regionSize` must be a whole number of MiB from 1 to 4096, not {value:?}"
                        )));
                    }
                };
            }
            "debugInfo" => {
                debug_info = match value.as_str() {
                    "keep" => DebugInfo::Keep,
                    "strip" => DebugInfo::Strip,
                    other => {
                        return Err(Error::invalid(format!(
                            "option `debugInfo` must be \"keep\" or \"strip\", not {other:?}"
                        )));
                    }
                };
            }
            "simd" => {
                simd = match value.as_str() {
                    "auto" => Simd::Auto,
                    "on" => Simd::On,
                    "off" => Simd::Off,
                    other => {
                        return Err(Error::invalid(format!(
                            "option `simd` must be \"auto\", \"on\" or \"off\", not {other:?}"
                        )));
                    }
                };
            }
            other => {
                return Err(Error::invalid(format!(
                    "unknown option `{other}`; the options are: {OPTION_NAMES}"
                )));
            }
        }
    }
    Ok(Options {
        output,
        memory,
        region_mib,
        debug_info,
        simd,
    })
}

/// `Stats` as `{ components, coreModules, …, adapters: { direct, fixup, … },
/// …, droppedSections: [{ name, bytes }] }`.
pub fn stats(stats: &Stats) -> Json {
    let Stats {
        components,
        core_modules,
        core_instances,
        memories,
        adapters_direct,
        adapters_fixup,
        adapters_copy,
        adapters_transcode,
        adapter_code_bytes,
        host_imports,
        input_bytes,
        output_bytes,
        dropped_sections,
        dwarf_bytes,
        memory,
        regions,
        suspendable,
    } = stats;
    Json::object([
        ("components", Json::count(*components)),
        ("coreModules", Json::count(*core_modules)),
        ("coreInstances", Json::count(*core_instances)),
        ("memories", Json::count(*memories)),
        (
            "adapters",
            Json::object([
                ("direct", Json::count(*adapters_direct)),
                ("fixup", Json::count(*adapters_fixup)),
                ("copy", Json::count(*adapters_copy)),
                ("transcode", Json::count(*adapters_transcode)),
            ]),
        ),
        ("adapterCodeBytes", Json::count(*adapter_code_bytes)),
        ("hostImports", Json::count(*host_imports)),
        ("inputBytes", Json::count(*input_bytes)),
        ("outputBytes", Json::count(*output_bytes)),
        (
            "droppedSections",
            Json::array(dropped_sections, |(name, bytes)| {
                Json::object([("name", Json::str(name)), ("bytes", Json::count(*bytes))])
            }),
        ),
        ("dwarfBytes", Json::count(*dwarf_bytes)),
        ("memory", Json::str(memory.as_str())),
        (
            "regions",
            Json::array(regions, |r| {
                let Region {
                    component,
                    base,
                    max_bytes,
                } = r;
                Json::object([
                    ("component", Json::str(component)),
                    ("base", Json::count(*base as usize)),
                    ("maxBytes", Json::count(*max_bytes as usize)),
                ])
            }),
        ),
        (
            "suspendable",
            Json::array(suspendable, |s| {
                let Suspendable {
                    component,
                    functions,
                    transformed,
                    transformed_bytes_before,
                    transformed_bytes_after,
                } = s;
                Json::object([
                    ("component", Json::str(component)),
                    ("functions", Json::count(*functions)),
                    ("transformed", Json::count(*transformed)),
                    (
                        "transformedBytesBefore",
                        Json::count(*transformed_bytes_before),
                    ),
                    (
                        "transformedBytesAfter",
                        Json::count(*transformed_bytes_after),
                    ),
                ])
            }),
        ),
    ])
}

/// What accompanies the fused bytes: `{ stats, warnings }`.
pub fn fused_meta(stats_value: &Stats, warnings: &[String]) -> Json {
    Json::object([
        ("stats", stats(stats_value)),
        ("warnings", Json::array(warnings, |w| Json::str(w))),
    ])
}

/// An error as `{ kind, message, location: { input, path, offset } }`.
pub fn error(error: &Error) -> Json {
    let Location {
        input,
        path,
        offset,
    } = error.location();
    Json::object([
        ("kind", Json::str(error.kind().as_str())),
        ("message", Json::str(error.message())),
        (
            "location",
            Json::object([
                ("input", Json::optional(*input, Json::count)),
                ("path", Json::optional(path.as_deref(), Json::str)),
                ("offset", Json::optional(*offset, Json::count)),
            ]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn options_default_and_emit_kinds() {
        assert_eq!(options(&[]), Ok(Options::default()));
        let core = options(&pairs(&[("emit", "core")])).map(|o| o.output);
        assert_eq!(core, Ok(OutputKind::Core));
        let component = options(&pairs(&[("emit", "component")])).map(|o| o.output);
        assert_eq!(component, Ok(OutputKind::Component));
    }

    #[test]
    fn options_reject_unknown_names_and_values() {
        let e = options(&pairs(&[("outptu", "core")])).err();
        assert!(e.is_some_and(|e| e.message().contains("unknown option `outptu`")));
        let e = options(&pairs(&[("emit", "module")])).err();
        assert!(e.is_some_and(|e| e.message().contains("\"module\"")));
        let e = options(&pairs(&[("output", "core")])).err();
        assert!(e.is_some_and(|e| e.message().contains("{ emit: \"core\" }")));
    }

    #[test]
    fn error_carries_kind_message_and_location() {
        let e = Error::unsupported("strings")
            .at_offset(16)
            .in_component("root/a");
        assert_eq!(
            error(&e).to_text(),
            r#"{"kind":"unsupported","message":"strings","location":{"input":null,"path":"root/a","offset":16}}"#
        );
    }

    #[test]
    fn stats_are_camel_case() {
        let text = stats(&Stats::default()).to_text();
        assert!(text.starts_with(r#"{"components":0,"coreModules":0,"#));
        assert!(text.contains(r#""droppedSections":[],"#));
        assert!(text.ends_with(r#""memory":"auto","regions":[],"suspendable":[]}"#));
    }
}
