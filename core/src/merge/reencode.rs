//! Index remapping of one core instance's code into the fused module.

use crate::error::Error;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};

/// The index maps of one instance: local index → fused index, per space.
#[derive(Clone)]
pub(super) struct Instance<'m> {
    /// Per [`super::Space`], imports first.
    pub(super) maps: &'m [Vec<u32>; 5],
    /// Local type index → fused type index.
    pub(super) types: &'m [u32],
    /// Fused index of this instance's first element / data segment.
    pub(super) elem_base: u32,
    pub(super) data_base: u32,
    /// This instance's element and data segments.
    pub(super) elements: u32,
    pub(super) data: u32,
    /// Its module has a data count section.
    pub(super) data_count: bool,
    /// Cleared by an instruction whose validity in the fused module does
    /// not show its validity in the input (see [`super::implied`]).
    pub(super) implied: bool,
}

impl Instance<'_> {
    fn map(&self, space: super::Space, index: u32) -> Result<u32, ReencodeError<Error>> {
        self.maps[space.index()]
            .get(index as usize)
            .copied()
            .ok_or_else(|| out_of_bounds(&format!("{space:?}"), index))
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
            .ok_or_else(|| out_of_bounds("type", ty))
    }

    // A segment index past the instance's own would name another
    // instance's segment.
    fn element_index(&mut self, element: u32) -> Result<u32, ReencodeError<Error>> {
        match element < self.elements {
            true => Ok(self.elem_base + element),
            false => Err(out_of_bounds("element segment", element)),
        }
    }

    fn data_index(&mut self, data: u32) -> Result<u32, ReencodeError<Error>> {
        match data < self.data {
            true => Ok(self.data_base + data),
            false => Err(out_of_bounds("data segment", data)),
        }
    }

    fn instruction<'a>(
        &mut self,
        op: wasmparser::Operator<'a>,
    ) -> Result<wasm_encoder::Instruction<'a>, ReencodeError<Error>> {
        use wasmparser::Operator as O;
        match op {
            // Valid only for a function the module declares (in an element
            // segment, an export or a global): the fused module may
            // declare more.
            O::RefFunc { .. } => self.implied = false,
            // Valid only with a data count section, which the fused module
            // has whenever it has data.
            O::MemoryInit { .. }
            | O::DataDrop { .. }
            | O::ArrayNewData { .. }
            | O::ArrayInitData { .. }
                if !self.data_count =>
            {
                self.implied = false
            }
            _ => {}
        }
        wasm_encoder::reencode::utils::instruction(self, op)
    }
}

fn out_of_bounds(what: &str, index: u32) -> ReencodeError<Error> {
    ReencodeError::UserError(Error::internal(format!(
        "{what} index {index} out of bounds"
    )))
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
