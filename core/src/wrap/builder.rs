//! A small component builder that tracks the index spaces the wrapper uses.
//!
//! It writes one section per item and counts indices itself, so the
//! wrapper, the nested export components and the linker share one small
//! API (including type definitions through [`Sink`]).

use super::types::Sink;
use crate::error::{Error, Result};
use std::collections::HashMap;
use wasm_encoder::{
    Alias, CanonicalFunctionSection, CanonicalOption, Component, ComponentAliasSection,
    ComponentExportKind, ComponentExportSection, ComponentImportSection, ComponentInstanceSection,
    ComponentSectionId, ComponentTypeEncoder, ComponentTypeRef, ComponentTypeSection, ExportKind,
    InstanceSection, ModuleArg, RawSection,
};

#[derive(Debug, Default)]
pub(crate) struct Builder {
    component: Component,
    types: u32,
    funcs: u32,
    instances: u32,
    core_funcs: u32,
    core_memories: u32,
    core_tables: u32,
    core_modules: u32,
    core_instances: u32,
    core_types: u32,
    components: u32,
    /// A type section being filled by [`Sink::define`], flushed before any
    /// other section.
    pending_types: Option<ComponentTypeSection>,
    /// Each core export aliased so far (instance, name, kind) and its
    /// index: an alias is made once (lifts share the memory and realloc).
    core_aliases: HashMap<(u32, String, u8), u32>,
    /// The component up to a module that comes later
    /// ([`Builder::core_module_later`], [`Builder::finish_around`]).
    before_later: Option<Vec<u8>>,
}

fn next(counter: &mut u32) -> u32 {
    *counter += 1;
    *counter - 1
}

impl Builder {
    fn flush(&mut self) {
        if let Some(types) = self.pending_types.take() {
            self.component.section(&types);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.flush();
        self.component.finish()
    }

    pub(crate) fn import(&mut self, name: &str, ty: ComponentTypeRef) -> Result<u32> {
        self.flush();
        let mut section = ComponentImportSection::new();
        section.import(name, ty);
        self.component.section(&section);
        Ok(match ty {
            ComponentTypeRef::Instance(_) => next(&mut self.instances),
            ComponentTypeRef::Func(_) => next(&mut self.funcs),
            ComponentTypeRef::Type(_) => next(&mut self.types),
            ComponentTypeRef::Module(_) => next(&mut self.core_modules),
            ComponentTypeRef::Component(_) => next(&mut self.components),
            ComponentTypeRef::Value(_) => {
                return Err(Error::internal("the wrapper imports no values"));
            }
        })
    }

    pub(crate) fn instance_type(&mut self, ty: &wasm_encoder::InstanceType) -> u32 {
        let (index, enc) = self.define();
        enc.instance(ty);
        index
    }

    fn alias(&mut self, alias: Alias<'_>) {
        self.flush();
        let mut section = ComponentAliasSection::new();
        section.alias(alias);
        self.component.section(&section);
    }

    /// Aliases export `name` of component instance `instance`.
    pub(crate) fn alias_export(
        &mut self,
        instance: u32,
        name: &str,
        kind: ComponentExportKind,
    ) -> Result<u32> {
        self.alias(Alias::InstanceExport {
            instance,
            kind,
            name,
        });
        Ok(match kind {
            ComponentExportKind::Func => next(&mut self.funcs),
            ComponentExportKind::Instance => next(&mut self.instances),
            ComponentExportKind::Type => next(&mut self.types),
            ComponentExportKind::Module => next(&mut self.core_modules),
            ComponentExportKind::Component => next(&mut self.components),
            ComponentExportKind::Value => {
                return Err(Error::internal("the wrapper aliases no values"));
            }
        })
    }

    /// Aliases export `name` of core instance `instance`.
    pub(crate) fn core_alias_export(
        &mut self,
        instance: u32,
        name: &str,
        kind: ExportKind,
    ) -> Result<u32> {
        let key = (instance, name.to_string(), kind as u8);
        if let Some(index) = self.core_aliases.get(&key) {
            return Ok(*index);
        }
        let index = match kind {
            ExportKind::Func => next(&mut self.core_funcs),
            ExportKind::Memory => next(&mut self.core_memories),
            ExportKind::Table => next(&mut self.core_tables),
            _ => return Err(Error::internal("unexpected core alias kind in the wrapper")),
        };
        self.alias(Alias::CoreInstanceExport {
            instance,
            kind,
            name,
        });
        self.core_aliases.insert(key, index);
        Ok(index)
    }

    pub(crate) fn lower(&mut self, func: u32, options: &[CanonicalOption]) -> u32 {
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        section.lower(func, options.iter().cloned());
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    /// `(type (resource (rep i32) (dtor $dtor)))`.
    pub(crate) fn resource_type(&mut self, dtor: Option<u32>) -> u32 {
        self.flush();
        let mut section = ComponentTypeSection::new();
        section.resource(wasm_encoder::ValType::I32, dtor);
        self.component.section(&section);
        next(&mut self.types)
    }

    /// `canon resource.new`, `resource.rep` or `resource.drop` of `ty`.
    pub(crate) fn resource_builtin(&mut self, op: crate::decode::ResourceOp, ty: u32) -> u32 {
        use crate::decode::ResourceOp;
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        match op {
            ResourceOp::New => section.resource_new(ty),
            ResourceOp::Rep => section.resource_rep(ty),
            ResourceOp::Drop => section.resource_drop(ty),
        };
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    pub(crate) fn resource_drop(&mut self, ty: u32) -> u32 {
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        section.resource_drop(ty);
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    /// `canon context.get i32 0` (or `context.set`).
    pub(crate) fn context(&mut self, set: bool) -> u32 {
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        match set {
            true => section.context_set(wasm_encoder::ValType::I32, 0),
            false => section.context_get(wasm_encoder::ValType::I32, 0),
        };
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    /// The stream or future built-in `op` of type `ty` (read, write and
    /// cancel in their `async` variants).
    pub(crate) fn end_builtin(
        &mut self,
        future: bool,
        op: crate::decode::EndOp,
        ty: u32,
        options: &[CanonicalOption],
    ) -> u32 {
        use crate::decode::EndOp;
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        let options = options.iter().cloned();
        match (future, op) {
            (false, EndOp::New) => section.stream_new(ty),
            (false, EndOp::Read) => section.stream_read(ty, options),
            (false, EndOp::Write) => section.stream_write(ty, options),
            (false, EndOp::CancelRead) => section.stream_cancel_read(ty, true),
            (false, EndOp::CancelWrite) => section.stream_cancel_write(ty, true),
            (false, EndOp::DropReadable) => section.stream_drop_readable(ty),
            (false, EndOp::DropWritable) => section.stream_drop_writable(ty),
            (true, EndOp::New) => section.future_new(ty),
            (true, EndOp::Read) => section.future_read(ty, options),
            (true, EndOp::Write) => section.future_write(ty, options),
            (true, EndOp::CancelRead) => section.future_cancel_read(ty, true),
            (true, EndOp::CancelWrite) => section.future_cancel_write(ty, true),
            (true, EndOp::DropReadable) => section.future_drop_readable(ty),
            (true, EndOp::DropWritable) => section.future_drop_writable(ty),
        };
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    /// `error-context.new`, `.debug-message` or `.drop`.
    pub(crate) fn error_context(
        &mut self,
        op: &crate::decode::AsyncOp,
        options: &[CanonicalOption],
    ) -> Result<u32> {
        use crate::decode::AsyncOp;
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        let options = options.iter().cloned();
        match op {
            AsyncOp::ErrorContextNew => section.error_context_new(options),
            AsyncOp::ErrorContextDebugMessage => section.error_context_debug_message(options),
            AsyncOp::ErrorContextDrop => section.error_context_drop(),
            _ => return Err(Error::internal("not an error-context built-in")),
        };
        self.component.section(&section);
        Ok(next(&mut self.core_funcs))
    }

    /// `(type (future))`: the type of root tasks' bells.
    pub(crate) fn unit_future_type(&mut self) -> u32 {
        self.flush();
        let mut section = ComponentTypeSection::new();
        section.defined_type().future(None);
        self.component.section(&section);
        next(&mut self.types)
    }

    /// The built-in `op` for the host's subtasks; `memory` (a core memory
    /// index) for those that write an event; `bell` the unit future type
    /// for those of bells.
    pub(crate) fn host_async(
        &mut self,
        op: crate::graph::HostAsyncOp,
        memory: Option<u32>,
        bell: u32,
    ) -> u32 {
        use crate::graph::HostAsyncOp;
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        let options = [
            CanonicalOption::Memory(memory.unwrap_or(0)),
            CanonicalOption::Async,
        ];
        let memory = memory.unwrap_or(0);
        match op {
            HostAsyncOp::BellNew => section.future_new(bell),
            HostAsyncOp::BellRead => section.future_read(bell, options),
            HostAsyncOp::BellWrite => section.future_write(bell, options),
            HostAsyncOp::BellDropReadable => section.future_drop_readable(bell),
            HostAsyncOp::BellDropWritable => section.future_drop_writable(bell),
            HostAsyncOp::SetNew => section.waitable_set_new(),
            HostAsyncOp::SetPoll => section.waitable_set_poll(false, memory),
            HostAsyncOp::SetWait => section.waitable_set_wait(false, memory),
            HostAsyncOp::Join => section.waitable_join(),
            HostAsyncOp::SubtaskDrop => section.subtask_drop(),
            HostAsyncOp::SubtaskCancel => section.subtask_cancel(true),
            HostAsyncOp::BackpressureInc => section.backpressure_inc(),
            HostAsyncOp::BackpressureDec => section.backpressure_dec(),
        };
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    /// `canon task.return` of a result of type `ty`.
    pub(crate) fn task_return(
        &mut self,
        ty: Option<wasm_encoder::ComponentValType>,
        options: &[CanonicalOption],
    ) -> u32 {
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        section.task_return(ty, options.iter().cloned());
        self.component.section(&section);
        next(&mut self.core_funcs)
    }

    pub(crate) fn lift(&mut self, core_func: u32, ty: u32, options: &[CanonicalOption]) -> u32 {
        self.flush();
        let mut section = CanonicalFunctionSection::new();
        section.lift(core_func, ty, options.iter().cloned());
        self.component.section(&section);
        next(&mut self.funcs)
    }

    pub(crate) fn core_module(&mut self, bytes: &[u8]) -> u32 {
        self.flush();
        self.component.section(&RawSection {
            id: ComponentSectionId::CoreModule as u8,
            data: bytes,
        });
        next(&mut self.core_modules)
    }

    /// A core module whose bytes come at [`embed`], so that
    /// the wrapper can be built (and what it needed freed) before the
    /// module is. Returns its core module index.
    pub(crate) fn core_module_later(&mut self) -> u32 {
        self.flush();
        self.before_later = Some(std::mem::take(&mut self.component).finish());
        next(&mut self.core_modules)
    }

    /// The component around the module that [`Builder::core_module_later`]
    /// stood for, in two parts of their exact size: the sections before it
    /// (the header included) and those after it ([`embed`] puts the module
    /// between them).
    pub(crate) fn finish_around(mut self) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut before = self
            .before_later
            .take()
            .ok_or_else(|| Error::internal("no module to come later"))?;
        self.flush();
        let mut after = self.component.finish();
        after.drain(..Component::HEADER.len());
        before.shrink_to_fit();
        after.shrink_to_fit();
        Ok((before, after))
    }

    /// Embeds a whole component; returns its component index.
    pub(crate) fn component(&mut self, bytes: &[u8]) -> u32 {
        self.flush();
        self.component.section(&RawSection {
            id: ComponentSectionId::Component as u8,
            data: bytes,
        });
        next(&mut self.components)
    }

    /// Instantiates component `component` with named arguments.
    pub(crate) fn instantiate(
        &mut self,
        component: u32,
        args: &[(&str, ComponentExportKind, u32)],
    ) -> u32 {
        self.flush();
        let mut section = ComponentInstanceSection::new();
        section.instantiate(component, args.iter().cloned());
        self.component.section(&section);
        next(&mut self.instances)
    }

    /// A component instance of `exports` (a bag of items).
    pub(crate) fn instantiate_exports(
        &mut self,
        exports: &[(&str, ComponentExportKind, u32)],
    ) -> u32 {
        self.flush();
        let mut section = ComponentInstanceSection::new();
        section.export_items(exports.iter().cloned());
        self.component.section(&section);
        next(&mut self.instances)
    }

    pub(crate) fn core_instantiate(&mut self, module: u32, args: &[(&str, u32)]) -> u32 {
        self.flush();
        let mut section = InstanceSection::new();
        section.instantiate(
            module,
            args.iter().map(|(n, i)| (*n, ModuleArg::Instance(*i))),
        );
        self.component.section(&section);
        next(&mut self.core_instances)
    }

    pub(crate) fn core_instantiate_exports(&mut self, exports: &[(&str, ExportKind, u32)]) -> u32 {
        self.flush();
        let mut section = InstanceSection::new();
        section.export_items(exports.iter().cloned());
        self.component.section(&section);
        next(&mut self.core_instances)
    }

    pub(crate) fn export(
        &mut self,
        name: &str,
        kind: ComponentExportKind,
        index: u32,
        ascribed: Option<ComponentTypeRef>,
    ) -> Result<u32> {
        self.flush();
        let mut section = ComponentExportSection::new();
        section.export(name, kind, index, ascribed);
        self.component.section(&section);
        Ok(match kind {
            ComponentExportKind::Func => next(&mut self.funcs),
            ComponentExportKind::Instance => next(&mut self.instances),
            ComponentExportKind::Type => next(&mut self.types),
            ComponentExportKind::Module => next(&mut self.core_modules),
            ComponentExportKind::Component => next(&mut self.components),
            ComponentExportKind::Value => {
                return Err(Error::internal("the wrapper exports no values"));
            }
        })
    }
}

impl Sink for Builder {
    fn define(&mut self) -> (u32, ComponentTypeEncoder<'_>) {
        let index = next(&mut self.types);
        let section = self
            .pending_types
            .get_or_insert_with(ComponentTypeSection::new);
        (index, section.ty())
    }

    fn define_module(&mut self, ty: &wasm_encoder::ModuleType) -> u32 {
        self.flush();
        let mut section = wasm_encoder::CoreTypeSection::new();
        section.ty().module(ty);
        self.component.section(&section);
        next(&mut self.core_types)
    }

    fn alias_outer(&mut self, _: u32) -> Result<u32> {
        Err(Error::internal("outer alias from the outermost component"))
    }

    fn import_type(&mut self, name: &str, bound: wasm_encoder::TypeBounds) -> Result<u32> {
        self.import(name, ComponentTypeRef::Type(bound))
    }
}

/// The component [`Builder::finish_around`] split around its core module,
/// with `module` embedded in its own buffer: the sections before it move in
/// front, those after it are appended (the module is not copied, nor held
/// twice).
pub(crate) fn embed(before: &[u8], mut module: Vec<u8>, after: &[u8]) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(before.len() + 6);
    prefix.extend_from_slice(before);
    prefix.push(ComponentSectionId::CoreModule as u8);
    wasm_encoder::Encode::encode(&(module.len() as u32), &mut prefix);
    let len = module.len();
    // exactly: amortised growth would double the module's buffer
    module.reserve_exact(prefix.len() + after.len());
    module.resize(len + prefix.len(), 0);
    module.copy_within(0..len, prefix.len());
    module[..prefix.len()].copy_from_slice(&prefix);
    module.extend_from_slice(after);
    module
}
