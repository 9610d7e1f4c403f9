//! A core module of the input, read into its sections once so that each of
//! its instantiations can be laid out and re-encoded without parsing again.

use crate::error::{Error, Result};
use wasmparser::{
    Data, Element, Export, ExternalKind, FuncType, FunctionBody, Global, Import, MemoryType,
    Parser, Payload, Table, TagType, TypeRef,
};

/// Index spaces of a core module, each counted imports first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Space {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

impl Space {
    pub(crate) const ALL: [Space; 5] = [
        Space::Func,
        Space::Table,
        Space::Memory,
        Space::Global,
        Space::Tag,
    ];

    pub(crate) fn of_export(kind: ExternalKind) -> Space {
        match kind {
            ExternalKind::Func | ExternalKind::FuncExact => Space::Func,
            ExternalKind::Table => Space::Table,
            ExternalKind::Memory => Space::Memory,
            ExternalKind::Global => Space::Global,
            ExternalKind::Tag => Space::Tag,
        }
    }

    pub(crate) fn of_import(ty: &TypeRef) -> Space {
        match ty {
            TypeRef::Func(_) | TypeRef::FuncExact(_) => Space::Func,
            TypeRef::Table(_) => Space::Table,
            TypeRef::Memory(_) => Space::Memory,
            TypeRef::Global(_) => Space::Global,
            TypeRef::Tag(_) => Space::Tag,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One custom section that is not carried into the output.
#[derive(Debug, Clone)]
pub(crate) struct Dropped {
    pub(crate) name: String,
    pub(crate) size: usize,
}

/// A parsed core module.
#[derive(Default)]
pub(crate) struct Module<'a> {
    /// Function types by local type index (`None` for other types: GC
    /// structs and arrays); their references to types are local indices.
    pub(crate) types: Vec<Option<FuncType>>,
    /// The type section's recursion groups (the fused module's
    /// [`super::types::TypeTable`] carries each whole).
    pub(crate) groups: Vec<wasmparser::RecGroup>,
    pub(crate) imports: Vec<Import<'a>>,
    /// Number of imports per [`Space`].
    pub(crate) imported: [u32; 5],
    /// Type index of each defined function.
    pub(crate) funcs: Vec<u32>,
    pub(crate) tables: Vec<Table<'a>>,
    pub(crate) memories: Vec<MemoryType>,
    pub(crate) globals: Vec<Global<'a>>,
    pub(crate) tags: Vec<TagType>,
    pub(crate) exports: Vec<Export<'a>>,
    pub(crate) start: Option<u32>,
    pub(crate) elements: Vec<Element<'a>>,
    pub(crate) data: Vec<Data<'a>>,
    pub(crate) code: Vec<FunctionBody<'a>>,
    /// The `name` section, if any.
    pub(crate) names: Option<wasmparser::NameSectionReader<'a>>,
    /// The `producers` section, if any.
    pub(crate) producers: Option<wasmparser::ProducersSectionReader<'a>>,
    pub(crate) dropped: Vec<Dropped>,
    /// The `.debug_*` sections (DWARF), by name.
    pub(crate) dwarf: Vec<(&'a str, &'a [u8])>,
    /// Absolute input offset of the code section's contents (DWARF code
    /// address 0) and of its first body's size field.
    pub(crate) code_start: usize,
    pub(crate) first_body: usize,
    /// Every type is a final function type of its own with no supertype,
    /// not shared, and naming no other type: the fused module's type for
    /// it is the same type (see [`super::implied`]).
    pub(crate) plain_types: bool,
    /// The module has a data count section.
    pub(crate) data_count: bool,
}

impl std::fmt::Debug for Module<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("imports", &self.imports.len())
            .field("funcs", &self.funcs.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Module<'a> {
    /// Reads `bytes`, a module that already validated.
    pub(crate) fn parse(bytes: &'a [u8], offset: usize) -> Result<Self> {
        let mut m = Module {
            plain_types: true,
            ..Module::default()
        };
        for payload in Parser::new(offset as u64).parse_all(bytes) {
            match payload? {
                Payload::TypeSection(s) => {
                    for group in s {
                        let group = group?;
                        m.plain_types &= !group.is_explicit_rec_group();
                        for sub in group.types() {
                            m.plain_types &= plain(sub);
                            m.types.push(match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => Some(f.clone()),
                                _ => None,
                            });
                        }
                        m.groups.push(group);
                    }
                }
                Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        let import = import?;
                        m.imported[Space::of_import(&import.ty).index()] += 1;
                        m.imports.push(import);
                    }
                }
                Payload::FunctionSection(s) => m.funcs = collect(s)?,
                Payload::TableSection(s) => m.tables = collect(s)?,
                Payload::MemorySection(s) => m.memories = collect(s)?,
                Payload::GlobalSection(s) => m.globals = collect(s)?,
                Payload::TagSection(s) => m.tags = collect(s)?,
                Payload::ExportSection(s) => m.exports = collect(s)?,
                Payload::StartSection { func, .. } => m.start = Some(func),
                Payload::ElementSection(s) => m.elements = collect(s)?,
                Payload::DataSection(s) => m.data = collect(s)?,
                Payload::CodeSectionStart { range, .. } => {
                    // The function count, then the first body.
                    let contents = bytes
                        .get(range.start - offset..range.end - offset)
                        .ok_or_else(|| Error::internal("code section out of bounds"))?;
                    let mut reader = wasmparser::BinaryReader::new(contents, range.start);
                    reader.read_var_u32()?;
                    m.code_start = range.start;
                    m.first_body = reader.original_position();
                }
                Payload::CodeSectionEntry(body) => m.code.push(body),
                Payload::CustomSection(c) => match c.as_known() {
                    wasmparser::KnownCustom::Name(names) => m.names = Some(names),
                    wasmparser::KnownCustom::Producers(p) => m.producers = Some(p),
                    _ if crate::debug::is_dwarf(c.name()) => m.dwarf.push((c.name(), c.data())),
                    _ => m.dropped.push(Dropped {
                        name: c.name().to_string(),
                        size: c.data().len(),
                    }),
                },
                Payload::DataCountSection { .. } => m.data_count = true,
                Payload::Version { .. } | Payload::End(_) => {}
                other => {
                    return Err(Error::unsupported(format!(
                        "core module section {other:?} is not fused yet"
                    ))
                    .at_offset(offset));
                }
            }
        }
        Ok(m)
    }

    /// Number of items this module defines (not imports) in `space`.
    pub(crate) fn defined(&self, space: Space) -> u32 {
        (match space {
            Space::Func => self.funcs.len(),
            Space::Table => self.tables.len(),
            Space::Memory => self.memories.len(),
            Space::Global => self.globals.len(),
            Space::Tag => self.tags.len(),
        }) as u32
    }

    /// The export named `name`.
    pub(crate) fn export(&self, name: &str) -> Option<&Export<'a>> {
        self.exports.iter().find(|e| e.name == name)
    }
}

/// Whether `sub` is a final function type with no supertype, not shared,
/// whose parameters and results name no other type.
pub(super) fn plain(sub: &wasmparser::SubType) -> bool {
    let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner else {
        return false;
    };
    let names_a_type = |t: &wasmparser::ValType| matches!(t, wasmparser::ValType::Ref(r) if r.is_concrete_type_ref());
    sub.is_final
        && sub.supertype_idx.is_none()
        && !sub.composite_type.shared
        && sub.composite_type.descriptor_idx.is_none()
        && sub.composite_type.describes_idx.is_none()
        && !f.params().iter().chain(f.results()).any(names_a_type)
}

fn collect<'a, T: wasmparser::FromReader<'a>>(
    s: wasmparser::SectionLimited<'a, T>,
) -> Result<Vec<T>> {
    Ok(s.into_iter().collect::<Result<Vec<_>, _>>()?)
}
