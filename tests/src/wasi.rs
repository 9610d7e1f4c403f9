//! The store data every wasmtime host in meld's tests uses: a WASI context
//! and the resource table WASI's handles live in.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// A WASI preview 2 host for a wasmtime `Store`.
pub struct WasiHost {
    ctx: WasiCtx,
    table: ResourceTable,
    /// Representations of the test host's `thing`s dropped so far, in
    /// order (see `harness::link`).
    pub things_dropped: Vec<u32>,
    /// The async test host's virtual clock (see `harness::clock`).
    pub(crate) clock: std::sync::Arc<crate::harness::clock::Clock>,
}

impl std::fmt::Debug for WasiHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiHost").finish_non_exhaustive()
    }
}

impl WasiHost {
    /// A host serving `ctx` with an empty resource table.
    pub fn new(ctx: WasiCtx) -> Self {
        WasiHost {
            ctx,
            table: ResourceTable::new(),
            things_dropped: Vec::new(),
            clock: Default::default(),
        }
    }
}

impl WasiView for WasiHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}
