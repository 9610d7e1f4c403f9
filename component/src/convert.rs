//! Conversions between meld-core's types and the WIT types of `fuser`.
//!
//! Every core struct is destructured without `..` and every core enum is
//! matched without `_`, so a field or variant added to meld-core fails to
//! compile here until the WIT (`wit/meld.wit`) and this mapping say what
//! hosts see of it. Sizes and counts are `usize` in core and `u64` in the
//! WIT, which holds them on every target.

use crate::bindings::exports::meld::fuse::fuser as wit;

/// The engine's options from the interface's.
pub(crate) fn options(options: wit::Options) -> meld_core::Options {
    let wit::Options {
        emit,
        memory,
        region_mib,
        debug_info,
        simd,
    } = options;
    meld_core::Options {
        output: match emit {
            wit::EmitKind::Component => meld_core::OutputKind::Component,
            wit::EmitKind::Core => meld_core::OutputKind::Core,
        },
        memory: match memory {
            wit::MemoryStrategy::Auto => meld_core::MemoryStrategy::Auto,
            wit::MemoryStrategy::Multi => meld_core::MemoryStrategy::Multi,
            wit::MemoryStrategy::Shared => meld_core::MemoryStrategy::Shared,
        },
        region_mib,
        debug_info: match debug_info {
            wit::DebugInfo::Keep => meld_core::DebugInfo::Keep,
            wit::DebugInfo::Strip => meld_core::DebugInfo::Strip,
        },
        simd: match simd {
            wit::Simd::Auto => meld_core::Simd::Auto,
            wit::Simd::On => meld_core::Simd::On,
            wit::Simd::Off => meld_core::Simd::Off,
        },
    }
}

fn memory_strategy(memory: meld_core::MemoryStrategy) -> wit::MemoryStrategy {
    match memory {
        meld_core::MemoryStrategy::Auto => wit::MemoryStrategy::Auto,
        meld_core::MemoryStrategy::Multi => wit::MemoryStrategy::Multi,
        meld_core::MemoryStrategy::Shared => wit::MemoryStrategy::Shared,
    }
}

pub(crate) fn fused(fused: meld_core::Fused) -> wit::Fused {
    let meld_core::Fused {
        wasm,
        stats,
        warnings,
    } = fused;
    wit::Fused {
        wasm,
        stats: self::stats(stats),
        warnings,
    }
}

fn stats(stats: meld_core::Stats) -> wit::Stats {
    let meld_core::Stats {
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
    wit::Stats {
        components: wide(components),
        core_modules: wide(core_modules),
        core_instances: wide(core_instances),
        memories: wide(memories),
        adapters: wit::AdapterCounts {
            direct: wide(adapters_direct),
            fixup: wide(adapters_fixup),
            copy: wide(adapters_copy),
            transcode: wide(adapters_transcode),
        },
        adapter_code_bytes: wide(adapter_code_bytes),
        host_imports: wide(host_imports),
        input_bytes: wide(input_bytes),
        output_bytes: wide(output_bytes),
        dropped_sections: dropped_sections
            .into_iter()
            .map(|(name, size)| wit::DroppedSection {
                name,
                size: wide(size),
            })
            .collect(),
        dwarf_bytes: wide(dwarf_bytes),
        memory: memory_strategy(memory),
        regions: regions
            .into_iter()
            .map(|region| {
                let meld_core::Region {
                    component,
                    base,
                    max_bytes,
                } = region;
                wit::Region {
                    component,
                    base,
                    max_bytes,
                }
            })
            .collect(),
        suspendable: suspendable
            .into_iter()
            .map(|s| {
                let meld_core::Suspendable {
                    component,
                    functions,
                    transformed,
                    transformed_bytes_before,
                    transformed_bytes_after,
                } = s;
                wit::Suspendable {
                    component,
                    functions: wide(functions),
                    transformed: wide(transformed),
                    transformed_bytes_before: wide(transformed_bytes_before),
                    transformed_bytes_after: wide(transformed_bytes_after),
                }
            })
            .collect(),
    }
}

pub(crate) fn error(error: meld_core::Error) -> wit::Error {
    let meld_core::Location {
        input,
        path,
        offset,
    } = error.location().clone();
    wit::Error {
        kind: match error.kind() {
            meld_core::ErrorKind::InvalidInput => wit::ErrorKind::InvalidInput,
            meld_core::ErrorKind::Unsupported => wit::ErrorKind::Unsupported,
            meld_core::ErrorKind::Link => wit::ErrorKind::Link,
            meld_core::ErrorKind::Internal => wit::ErrorKind::Internal,
        },
        message: error.message().to_string(),
        location: wit::Location {
            input: input.map(wide),
            path,
            offset: offset.map(wide),
        },
    }
}

pub(crate) fn tree(tree: meld_core::Tree) -> wit::Tree {
    let meld_core::Tree {
        components,
        imports,
        exports,
        adapters,
        lowerings,
    } = tree;
    wit::Tree {
        components: components.into_iter().map(component).collect(),
        imports,
        exports,
        adapters: adapters.into_iter().map(adapter).collect(),
        lowerings: lowerings
            .into_iter()
            .map(|lowering| {
                let meld_core::LoweringNode { name, caller } = lowering;
                wit::LoweringNode { name, caller }
            })
            .collect(),
    }
}

fn component(component: meld_core::ComponentNode) -> wit::ComponentNode {
    let meld_core::ComponentNode {
        path,
        parent,
        core_instances,
    } = component;
    wit::ComponentNode {
        path,
        parent,
        core_instances: core_instances
            .into_iter()
            .map(|instance| {
                let meld_core::CoreInstanceNode {
                    index,
                    module,
                    imports,
                } = instance;
                wit::CoreInstanceNode {
                    index: wide(index),
                    module,
                    imports: imports
                        .into_iter()
                        .map(|import| {
                            let meld_core::CoreImportNode {
                                module,
                                field,
                                source,
                            } = import;
                            wit::CoreImportNode {
                                module,
                                field,
                                source,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

fn adapter(adapter: meld_core::AdapterNode) -> wit::AdapterNode {
    let meld_core::AdapterNode {
        name,
        caller,
        callee,
        kind,
    } = adapter;
    wit::AdapterNode {
        name,
        caller,
        callee,
        kind: match kind {
            meld_core::AdapterKind::Direct => wit::AdapterKind::Direct,
            meld_core::AdapterKind::Fixup => wit::AdapterKind::Fixup,
            meld_core::AdapterKind::Copy => wit::AdapterKind::Copy,
            meld_core::AdapterKind::Transcode => wit::AdapterKind::Transcode,
            meld_core::AdapterKind::Unsupported(why) => wit::AdapterKind::Unsupported(why),
        },
    }
}

/// A core size or count as the WIT's `u64`; lossless on every target Rust
/// supports (`usize` is at most 64 bits).
fn wide(n: usize) -> u64 {
    n as u64
}
