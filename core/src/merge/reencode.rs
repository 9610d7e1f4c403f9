//! Index remapping of one core instance's code into the fused module.

use crate::error::Error;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};

/// The index maps of one instance: local index → fused index, per space.
pub(super) struct Instance<'m> {
    /// Per [`super::Space`], imports first.
    pub(super) maps: &'m [Vec<u32>; 5],
    /// Local type index → fused type index (`None`: not a function type).
    pub(super) types: &'m [Option<u32>],
    /// Fused index of this instance's first element / data segment.
    pub(super) elem_base: u32,
    pub(super) data_base: u32,
}

impl Instance<'_> {
    fn map(&self, space: super::Space, index: u32) -> Result<u32, ReencodeError<Error>> {
        self.maps[space.index()]
            .get(index as usize)
            .copied()
            .ok_or_else(|| {
                ReencodeError::UserError(Error::internal(format!(
                    "{space:?} index {index} out of bounds"
                )))
            })
    }
}

impl Reencode for Instance<'_> {
    type Error = Error;

    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Error>> {
        self.map(super::Space::Func, func)
    }

    fn table_index(&mut self, table: u32) -> Result<u32, ReencodeError<Error>> {
        self.map(super::Space::Table, table)
    }

    fn memory_index(&mut self, memory: u32) -> Result<u32, ReencodeError<Error>> {
        self.map(super::Space::Memory, memory)
    }

    fn global_index(&mut self, global: u32) -> Result<u32, ReencodeError<Error>> {
        self.map(super::Space::Global, global)
    }

    fn tag_index(&mut self, tag: u32) -> Result<u32, ReencodeError<Error>> {
        self.map(super::Space::Tag, tag)
    }

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<Error>> {
        self.types
            .get(ty as usize)
            .copied()
            .flatten()
            .ok_or_else(|| {
                ReencodeError::UserError(Error::unsupported(
                    "non-function core types (GC proposal) are not fused yet",
                ))
            })
    }

    fn element_index(&mut self, element: u32) -> Result<u32, ReencodeError<Error>> {
        Ok(self.elem_base + element)
    }

    fn data_index(&mut self, data: u32) -> Result<u32, ReencodeError<Error>> {
        Ok(self.data_base + data)
    }
}

/// Converts a re-encoding failure, naming the inner component.
pub(super) fn error(e: ReencodeError<Error>, path: &str) -> Error {
    match e {
        ReencodeError::UserError(e) => e.in_component(path),
        ReencodeError::ParseError(e) => Error::from(e).in_component(path),
        other => {
            Error::unsupported(format!("re-encoding a core module: {other}")).in_component(path)
        }
    }
}
