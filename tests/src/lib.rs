//! meld's test support: fixture components and the differential harness
//! that runs original and fused components side by side under wasmtime.

pub mod chain;
pub mod fixtures;
pub mod fuzzing;
pub mod harness;
pub mod layout;
pub mod things;
pub mod wasi;
pub mod wasi_wat;
