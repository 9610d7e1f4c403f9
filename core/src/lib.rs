//! meld-core: static fusion of a composed WebAssembly component.
//!
//! A composed component goes in; one core module comes out, or a component
//! wrapping that module with the same WIT world as the input. See
//! [`fuse`] for the pipeline and [`inspect`] for the instantiation tree.

mod decode;
mod error;
mod flatten;
mod graph;

pub use error::{Error, ErrorKind, Location, Result};

/// What [`fuse`] should produce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputKind {
    /// A component with exactly the input's imports and exports.
    #[default]
    Component,
    /// The fused core module itself, imports and exports named after the
    /// interfaces and functions they stand for (see the README).
    Core,
}

/// Options of a fusion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Component (default) or core module.
    pub output: OutputKind,
}

/// Counts describing one fusion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Inner component instances (leaves of the composition).
    pub components: usize,
    /// Distinct core modules in the input.
    pub core_modules: usize,
    /// Core module instantiations merged into the output.
    pub core_instances: usize,
    /// Linear memories in the fused module.
    pub memories: usize,
    /// Cross-component calls turned into direct calls.
    pub adapters_direct: usize,
    /// Cross-component calls that needed a generated adapter function.
    pub adapters_generated: usize,
    /// Bytes of code in generated adapter functions.
    pub adapter_code_bytes: usize,
    /// Distinct host (root) imports lowered into the fused module.
    pub host_imports: usize,
    /// Total size of the inputs.
    pub input_bytes: usize,
    /// Size of the output.
    pub output_bytes: usize,
    /// Custom sections dropped (e.g. `.debug_info`), with their total size.
    pub dropped_sections: Vec<(String, usize)>,
}

/// The result of a successful fusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fused {
    /// The output: a component or a core module, validated.
    pub wasm: Vec<u8>,
    /// What fusion did.
    pub stats: Stats,
    /// Things worth knowing that did not stop fusion.
    pub warnings: Vec<String>,
}

/// Fuses `inputs` (one composed component, or several components to link
/// by interface name, the first being the one whose exports are kept).
pub fn fuse(inputs: &[&[u8]], options: &Options) -> Result<Fused> {
    let _ = (inputs, options);
    Err(Error::unsupported("fusion is not implemented yet"))
}
