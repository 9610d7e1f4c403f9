//! Stage 3: Canonical-ABI knowledge, pure functions of component types.
//!
//! wasmparser's type information is converted once into a [`TyTable`] of
//! hash-consed nodes: equal types get the same [`TyId`], however many times
//! and wherever they occur, so helper functions can be memoised per type
//! and a type that refers to the same big type twice is still handled in
//! time linear in its size. Tuples become records, options and results
//! become variants and maps become lists of key/value records, exactly as
//! the Canonical ABI treats them. Each node carries its memory layout
//! (size, alignment, field offsets, discriminant size) and its flat core
//! types, computed once (CanonicalABI.md, "Element size", "Alignment",
//! "Flattening").

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use wasmparser::component_types::{ComponentDefinedType, ComponentFuncTypeId, ComponentValType};
use wasmparser::types::TypesRef;
use wasmparser::{FuncType, PrimitiveValType};

/// At most this many flat parameters are passed as core parameters;
/// beyond it they are passed through memory.
pub(crate) const MAX_FLAT_PARAMS: usize = 16;
/// At most this many flat results are returned as core results; beyond it
/// they are returned through memory.
pub(crate) const MAX_FLAT_RESULTS: usize = 1;

/// A core signature in flat types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sig {
    pub(crate) params: Vec<Flat>,
    pub(crate) results: Vec<Flat>,
}

impl Sig {
    pub(crate) fn func_type(&self) -> FuncType {
        FuncType::new(
            self.params.iter().map(|t| t.core()),
            self.results.iter().map(|t| t.core()),
        )
    }
}

/// A component function type as core code sees it: its value types, and
/// the core signatures of `canon lift` and `canon lower` (spilling
/// parameters beyond [`MAX_FLAT_PARAMS`] to memory and results beyond
/// [`MAX_FLAT_RESULTS`] to a return pointer).
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) params: Vec<TyId>,
    /// The parameters as one tuple (how they lie in memory when spilled).
    pub(crate) tuple: TyId,
    pub(crate) result: Option<TyId>,
    pub(crate) spill_params: bool,
    pub(crate) spill_results: bool,
    /// The callee's signature: a pointer result when results spill.
    pub(crate) lifted: Sig,
    /// The caller's signature: a return-pointer parameter when results spill.
    pub(crate) lowered: Sig,
}

/// An interned type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TyId(pub(crate) u32);

/// A core value type of the flattened form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Flat {
    I32,
    I64,
    F32,
    F64,
}

impl Flat {
    pub(crate) fn val(self) -> wasm_encoder::ValType {
        match self {
            Flat::I32 => wasm_encoder::ValType::I32,
            Flat::I64 => wasm_encoder::ValType::I64,
            Flat::F32 => wasm_encoder::ValType::F32,
            Flat::F64 => wasm_encoder::ValType::F64,
        }
    }

    pub(crate) fn core(self) -> wasmparser::ValType {
        match self {
            Flat::I32 => wasmparser::ValType::I32,
            Flat::I64 => wasmparser::ValType::I64,
            Flat::F32 => wasmparser::ValType::F32,
            Flat::F64 => wasmparser::ValType::F64,
        }
    }

    /// The flat type of a core value type (numbers only).
    pub(crate) fn of(ty: &wasmparser::ValType) -> Result<Flat> {
        Ok(match ty {
            wasmparser::ValType::I32 => Flat::I32,
            wasmparser::ValType::I64 => Flat::I64,
            wasmparser::ValType::F32 => Flat::F32,
            wasmparser::ValType::F64 => Flat::F64,
            _ => return Err(Error::internal("a core signature with a non-numeric value")),
        })
    }

    /// The spec's `join` of two flat types sharing a variant payload slot.
    fn join(self, other: Flat) -> Flat {
        match (self, other) {
            _ if self == other => self,
            (Flat::I32, Flat::F32) | (Flat::F32, Flat::I32) => Flat::I32,
            _ => Flat::I64,
        }
    }
}

/// A scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Prim {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
}

impl Prim {
    pub(crate) fn size(self) -> u32 {
        match self {
            Prim::Bool | Prim::S8 | Prim::U8 => 1,
            Prim::S16 | Prim::U16 => 2,
            Prim::S32 | Prim::U32 | Prim::F32 | Prim::Char => 4,
            Prim::S64 | Prim::U64 | Prim::F64 => 8,
        }
    }

    pub(crate) fn flat(self) -> Flat {
        match self {
            Prim::S64 | Prim::U64 => Flat::I64,
            Prim::F32 => Flat::F32,
            Prim::F64 => Flat::F64,
            _ => Flat::I32,
        }
    }

    /// Whether a value of this type crosses as it is: every bit pattern of
    /// its core representation is a valid value.
    pub(crate) fn is_plain(self) -> bool {
        matches!(
            self,
            Prim::S32 | Prim::U32 | Prim::S64 | Prim::U64 | Prim::F32 | Prim::F64
        )
    }
}

/// A type node; children are interned ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Node {
    Prim(Prim),
    String,
    List(TyId),
    /// `list<T, N>`.
    FixedList(TyId, u32),
    /// Records and tuples: the field types in order.
    Record(Vec<TyId>),
    /// Variants, options and results: the payload of each case.
    Variant(Vec<Option<TyId>>),
    /// An enum with this many cases.
    Enum(u32),
    /// Flags with this many labels.
    Flags(u32),
    /// A handle to a resource (the resource's index in the graph, an inner
    /// component's or the host's); `own` or `borrow`.
    Handle {
        resource: u32,
        own: bool,
    },
    /// A stream's or future's readable end, or an error context (the async
    /// ABI): a handle in the component's table like a resource's.
    End(EndKind),
}

/// What a [`Node::End`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum EndKind {
    /// `stream<T>`; `numeric`: `T` is absent or a number (wasmtime copies
    /// such elements within one instance; others it refuses to); `payload`:
    /// `T`, if any.
    Stream {
        numeric: bool,
        payload: Option<TyId>,
    },
    /// `future<T>`, as for streams.
    Future {
        numeric: bool,
        payload: Option<TyId>,
    },
    /// `error-context`.
    ErrorContext,
}

/// Tags in a component's handle table (`waitables.wat`): a stream's
/// readable end (its writable end's is one more), a future's, an error
/// context.
pub(crate) const TAG_STREAM: u32 = 10;
pub(crate) const TAG_FUTURE: u32 = 12;
pub(crate) const TAG_ERROR_CONTEXT: u32 = 16;

impl EndKind {
    /// Its tag in a component's handle table (the readable end's).
    pub(crate) fn tag(self) -> u32 {
        match self {
            EndKind::Stream { .. } => TAG_STREAM,
            EndKind::Future { .. } => TAG_FUTURE,
            EndKind::ErrorContext => TAG_ERROR_CONTEXT,
        }
    }
}

/// How the resource types of a function type are resolved.
#[derive(Clone, Copy)]
pub(crate) struct Resources<'a> {
    /// Identifies `lookup` for memoisation (equal keys, equal lookups).
    pub(crate) key: usize,
    /// The graph's resource index of a wasmparser resource id.
    pub(crate) lookup: &'a dyn Fn(wasmparser::component_types::ResourceId) -> Option<u32>,
}

/// Memory layout and flattening of one type.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub(crate) size: u32,
    pub(crate) align: u32,
    pub(crate) flat: Vec<Flat>,
    /// Record fields: offset of each field. Variants: offset of the payload.
    pub(crate) offsets: Vec<u32>,
    /// Variants and enums: size of the discriminant in memory.
    pub(crate) disc: u32,
    /// Values cross by plain copy of their bytes (no check, no pointer).
    pub(crate) plain: bool,
    /// Contains a string or list: crossing needs both memories.
    pub(crate) memory: bool,
    /// Contains a string.
    pub(crate) strings: bool,
    /// Contains a resource handle (when converted with [`Resources`]).
    pub(crate) handles: bool,
    /// Contains a borrowed handle (when converted with [`Resources`]).
    pub(crate) borrows: bool,
}

/// Interned types with their layouts.
#[derive(Debug, Default, Clone)]
pub(crate) struct TyTable {
    nodes: Vec<Node>,
    infos: Vec<Info>,
    index: BTreeMap<Node, TyId>,
    /// wasmparser defined types already converted, and the key of the
    /// [`Resources`] they were converted with (`None`: handles as `u32`s).
    converted: BTreeMap<
        (
            wasmparser::component_types::ComponentDefinedTypeId,
            Option<usize>,
        ),
        TyId,
    >,
}

impl TyTable {
    /// The shape of a function taking `params` and returning `result`.
    pub(crate) fn shape(&mut self, params: Vec<TyId>, result: Option<TyId>) -> Shape {
        let tuple = self.intern(Node::Record(params.clone()));
        let flat_params = self.info(tuple).flat.clone();
        let flat_results = result
            .map(|r| self.info(r).flat.clone())
            .unwrap_or_default();
        let spill_params = flat_params.len() > MAX_FLAT_PARAMS;
        let spill_results = flat_results.len() > MAX_FLAT_RESULTS;
        let params_sig = if spill_params {
            vec![Flat::I32]
        } else {
            flat_params
        };
        let (lifted, lowered) = if spill_results {
            let mut with_retptr = params_sig.clone();
            with_retptr.push(Flat::I32);
            (
                Sig {
                    params: params_sig,
                    results: vec![Flat::I32],
                },
                Sig {
                    params: with_retptr,
                    results: Vec::new(),
                },
            )
        } else {
            let sig = Sig {
                params: params_sig,
                results: flat_results,
            };
            (sig.clone(), sig)
        };
        Shape {
            params,
            tuple,
            result,
            spill_params,
            spill_results,
            lifted,
            lowered,
        }
    }

    /// The shape of function type `id` at the host boundary, where
    /// resource handles are the host's and cross as plain `u32`s.
    pub(crate) fn host_shape(
        &mut self,
        types: TypesRef<'_>,
        id: ComponentFuncTypeId,
        what: &str,
    ) -> Result<Shape> {
        self.func_shape(types, id, what, None)
    }

    /// The shape of function type `id`, its resources resolved by
    /// `resources` (`None`: handles are the host's, plain `u32`s).
    pub(crate) fn func_shape(
        &mut self,
        types: TypesRef<'_>,
        id: ComponentFuncTypeId,
        what: &str,
        resources: Option<Resources<'_>>,
    ) -> Result<Shape> {
        let func = types
            .get(id)
            .ok_or_else(|| Error::internal("unknown function type"))?;
        let params = func
            .params
            .iter()
            .map(|(_, t)| self.convert_with(types, t, what, resources))
            .collect::<Result<Vec<_>>>()?;
        let result = func
            .result
            .as_ref()
            .map(|t| self.convert_with(types, t, what, resources))
            .transpose()?;
        Ok(self.shape(params, result))
    }

    /// Adds the stream, future and error-context types in `ty` (nested
    /// in payloads too) to `out`.
    pub(crate) fn ends_in(&self, ty: TyId, out: &mut std::collections::BTreeSet<EndKind>) {
        if !self.info(ty).handles {
            return;
        }
        match self.node(ty) {
            Node::End(kind) => {
                out.insert(*kind);
                if let EndKind::Stream { payload, .. } | EndKind::Future { payload, .. } = kind
                    && let Some(payload) = payload
                {
                    self.ends_in(*payload, out);
                }
            }
            Node::List(e) | Node::FixedList(e, _) => self.ends_in(*e, out),
            Node::Record(children) => children.iter().for_each(|c| self.ends_in(*c, out)),
            Node::Variant(cases) => cases.iter().flatten().for_each(|c| self.ends_in(*c, out)),
            _ => {}
        }
    }

    /// Whether a value of `ty` holds handles in memory it points to (in a
    /// list's elements), not only in its flat values.
    pub(crate) fn handles_in_memory(&self, ty: TyId) -> bool {
        self.behind_pointers(ty, |info| info.handles)
    }

    /// Whether a `ty` passed flat still has pointers in memory: a list
    /// whose elements hold strings or lists.
    pub(crate) fn pointers_in_memory(&self, ty: TyId) -> bool {
        self.behind_pointers(ty, |info| info.memory)
    }

    /// Whether a list that a value of `ty` holds has elements whose
    /// `Info` answers `holds` (what lies behind the value's pointers, not
    /// in its flat values).
    fn behind_pointers(&self, ty: TyId, holds: fn(&Info) -> bool) -> bool {
        if !holds(self.info(ty)) {
            return false;
        }
        match self.node(ty) {
            Node::List(element) => holds(self.info(*element)),
            Node::Record(children) => children.iter().any(|c| self.behind_pointers(*c, holds)),
            Node::Variant(cases) => cases
                .iter()
                .flatten()
                .any(|c| self.behind_pointers(*c, holds)),
            Node::FixedList(element, _) => self.behind_pointers(*element, holds),
            _ => false,
        }
    }

    pub(crate) fn node(&self, id: TyId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub(crate) fn info(&self, id: TyId) -> &Info {
        &self.infos[id.0 as usize]
    }

    /// Interns `node`, computing its layout.
    pub(crate) fn intern(&mut self, node: Node) -> TyId {
        if let Some(id) = self.index.get(&node) {
            return *id;
        }
        let mut info = self.layout(&node);
        let children: Vec<TyId> = match &node {
            Node::List(e) | Node::FixedList(e, _) => vec![*e],
            Node::Record(fields) => fields.clone(),
            Node::Variant(cases) => cases.iter().flatten().copied().collect(),
            Node::Prim(_)
            | Node::String
            | Node::Enum(_)
            | Node::Flags(_)
            | Node::Handle { .. }
            | Node::End(_) => Vec::new(),
        };
        info.handles = matches!(node, Node::Handle { .. } | Node::End(_))
            || children.iter().any(|c| self.info(*c).handles);
        info.borrows = matches!(node, Node::Handle { own: false, .. })
            || children.iter().any(|c| self.info(*c).borrows);
        info.strings =
            matches!(node, Node::String) || children.iter().any(|c| self.info(*c).strings);
        info.memory = matches!(node, Node::String | Node::List(_))
            || children.iter().any(|c| self.info(*c).memory);
        let id = TyId(self.nodes.len() as u32);
        self.nodes.push(node.clone());
        self.infos.push(info);
        self.index.insert(node, id);
        id
    }

    /// Converts a component value type. With `resources`, handles become
    /// [`Node::Handle`]s (inner and host resources alike: every component
    /// has its own table); with `resources` `None` every handle is a
    /// `u32`. Stream and future ends and error contexts are
    /// [`Node::End`]s with `resources`, `u32`s without.
    pub(crate) fn convert_with(
        &mut self,
        types: TypesRef<'_>,
        ty: &ComponentValType,
        what: &str,
        resources: Option<Resources<'_>>,
    ) -> Result<TyId> {
        let id = match ty {
            ComponentValType::Primitive(p) => {
                return self.primitive(*p, resources.is_some());
            }
            ComponentValType::Type(id) => *id,
        };
        let key = (id, resources.map(|r| r.key));
        if let Some(done) = self.converted.get(&key) {
            return Ok(*done);
        }
        let defined = types
            .get(id)
            .ok_or_else(|| Error::internal("unknown component type"))?;
        let node = match defined {
            ComponentDefinedType::Primitive(p) => {
                return self.primitive(*p, resources.is_some());
            }
            ComponentDefinedType::Record(r) => Node::Record(
                r.fields
                    .values()
                    .map(|t| self.convert_with(types, t, what, resources))
                    .collect::<Result<_>>()?,
            ),
            ComponentDefinedType::Tuple(t) => Node::Record(
                t.types
                    .iter()
                    .map(|t| self.convert_with(types, t, what, resources))
                    .collect::<Result<_>>()?,
            ),
            ComponentDefinedType::Variant(v) => Node::Variant(
                v.cases
                    .values()
                    .map(|c| {
                        c.ty.as_ref()
                            .map(|t| self.convert_with(types, t, what, resources))
                    })
                    .map(Option::transpose)
                    .collect::<Result<_>>()?,
            ),
            ComponentDefinedType::Option { ty, .. } => Node::Variant(vec![
                None,
                Some(self.convert_with(types, ty, what, resources)?),
            ]),
            ComponentDefinedType::Result { ok, err, .. } => {
                let ok = ok
                    .as_ref()
                    .map(|t| self.convert_with(types, t, what, resources));
                let err = err
                    .as_ref()
                    .map(|t| self.convert_with(types, t, what, resources));
                Node::Variant(vec![ok.transpose()?, err.transpose()?])
            }
            ComponentDefinedType::Enum(cases) => Node::Enum(cases.len() as u32),
            ComponentDefinedType::Flags(labels) => Node::Flags(labels.len() as u32),
            ComponentDefinedType::List { element, .. } => {
                Node::List(self.convert_with(types, element, what, resources)?)
            }
            ComponentDefinedType::FixedLengthList {
                element, length, ..
            } => Node::FixedList(self.convert_with(types, element, what, resources)?, *length),
            ComponentDefinedType::Map { key, value, .. } => {
                let key = self.convert_with(types, key, what, resources)?;
                let value = self.convert_with(types, value, what, resources)?;
                let entry = self.intern(Node::Record(vec![key, value]));
                Node::List(entry)
            }
            ComponentDefinedType::Own(r) | ComponentDefinedType::Borrow(r) => {
                let own = matches!(defined, ComponentDefinedType::Own(_));
                match resources {
                    None => Node::Prim(Prim::U32),
                    Some(resources) => match (resources.lookup)(r.resource()) {
                        Some(resource) => Node::Handle { resource, own },
                        None => {
                            return Err(Error::internal(format!(
                                "{what}: a resource type meld cannot place"
                            )));
                        }
                    },
                }
            }
            ComponentDefinedType::Future { ty, .. } | ComponentDefinedType::Stream { ty, .. } => {
                let numeric = numeric_payload(types, ty.as_ref());
                match resources {
                    None => Node::Prim(Prim::U32),
                    Some(_) => {
                        let payload = ty
                            .as_ref()
                            .map(|t| self.convert_with(types, t, what, resources))
                            .transpose()?;
                        Node::End(match defined {
                            ComponentDefinedType::Future { .. } => {
                                EndKind::Future { numeric, payload }
                            }
                            _ => EndKind::Stream { numeric, payload },
                        })
                    }
                }
            }
        };
        let interned = self.intern(node);
        self.converted.insert(key, interned);
        Ok(interned)
    }

    /// With `ends`, an error context is a [`Node::End`] (else the
    /// fused component's handle, a `u32`).
    fn primitive(&mut self, p: PrimitiveValType, ends: bool) -> Result<TyId> {
        use PrimitiveValType as P;
        let prim = match p {
            P::Bool => Prim::Bool,
            P::S8 => Prim::S8,
            P::U8 => Prim::U8,
            P::S16 => Prim::S16,
            P::U16 => Prim::U16,
            P::S32 => Prim::S32,
            P::U32 => Prim::U32,
            P::S64 => Prim::S64,
            P::U64 => Prim::U64,
            P::F32 => Prim::F32,
            P::F64 => Prim::F64,
            P::Char => Prim::Char,
            P::String => return Ok(self.intern(Node::String)),
            P::ErrorContext => match ends {
                true => return Ok(self.intern(Node::End(EndKind::ErrorContext))),
                false => Prim::U32,
            },
        };
        Ok(self.intern(Node::Prim(prim)))
    }

    fn layout(&self, node: &Node) -> Info {
        let leaf = |size: u32, flat: Vec<Flat>, plain: bool| Info {
            size,
            align: size.clamp(1, 8),
            flat,
            offsets: Vec::new(),
            disc: 0,
            plain,
            memory: false,
            strings: false,
            handles: false,
            borrows: false,
        };
        match node {
            Node::Prim(p) => leaf(p.size(), vec![p.flat()], p.is_plain()),
            Node::Handle { .. } | Node::End(_) => leaf(4, vec![Flat::I32], false),
            Node::String | Node::List(_) => Info {
                align: 4,
                ..leaf(8, vec![Flat::I32, Flat::I32], false)
            },
            Node::Enum(cases) => {
                let disc = discriminant_size(*cases);
                Info {
                    disc,
                    ..leaf(disc, vec![Flat::I32], false)
                }
            }
            Node::Flags(labels) => {
                let (size, align) = match labels {
                    0..=8 => (1, 1),
                    9..=16 => (2, 2),
                    n => (4 * n.div_ceil(32), 4),
                };
                Info {
                    align,
                    ..leaf(
                        size,
                        vec![Flat::I32; labels.div_ceil(32) as usize],
                        labels % 32 == 0,
                    )
                }
            }
            Node::FixedList(element, length) => {
                let e = self.info(*element);
                Info {
                    size: e.size * length,
                    align: e.align,
                    flat: (0..*length).flat_map(|_| e.flat.iter().copied()).collect(),
                    offsets: Vec::new(),
                    disc: 0,
                    plain: e.plain,
                    memory: false,
                    strings: false,
                    handles: false,
                    borrows: false,
                }
            }
            Node::Record(fields) => {
                let mut size = 0;
                let mut align = 1;
                let mut offsets = Vec::with_capacity(fields.len());
                let mut flat = Vec::new();
                for field in fields {
                    let f = self.info(*field);
                    size = align_to(size, f.align);
                    offsets.push(size);
                    size += f.size;
                    align = align.max(f.align);
                    flat.extend_from_slice(&f.flat);
                }
                Info {
                    size: align_to(size, align),
                    align,
                    flat,
                    offsets,
                    disc: 0,
                    plain: fields.iter().all(|f| self.info(*f).plain),
                    memory: false,
                    strings: false,
                    handles: false,
                    borrows: false,
                }
            }
            Node::Variant(cases) => {
                let disc = discriminant_size(cases.len() as u32);
                let mut align = disc;
                let mut payload_size = 0;
                let mut joined: Vec<Flat> = Vec::new();
                for case in cases.iter().flatten() {
                    let c = self.info(*case);
                    align = align.max(c.align);
                    payload_size = payload_size.max(c.size);
                    for (i, ty) in c.flat.iter().enumerate() {
                        match joined.get_mut(i) {
                            Some(slot) => *slot = slot.join(*ty),
                            None => joined.push(*ty),
                        }
                    }
                }
                let payload = align_to(disc, align);
                let mut flat = vec![Flat::I32];
                flat.extend(joined);
                Info {
                    size: align_to(payload + payload_size, align),
                    align,
                    flat,
                    offsets: vec![payload],
                    disc,
                    plain: false,
                    memory: false,
                    strings: false,
                    handles: false,
                    borrows: false,
                }
            }
        }
    }
}

/// Bytes of the discriminant of a variant or enum with `cases` cases.
fn discriminant_size(cases: u32) -> u32 {
    match cases {
        0..=0x100 => 1,
        0x101..=0x1_0000 => 2,
        _ => 4,
    }
}

pub(crate) fn align_to(n: u32, align: u32) -> u32 {
    n.div_ceil(align) * align
}

/// Whether a value of function type `id` (a parameter or the result)
/// holds a stream or future end or an error context, nested ones too:
/// passing one moves it between handle tables, which meld's runtime does.
pub(crate) fn func_holds_ends(types: TypesRef<'_>, id: ComponentFuncTypeId) -> bool {
    let Some(func) = types.get(id) else {
        return false;
    };
    let mut known = std::collections::HashMap::new();
    func.params
        .iter()
        .map(|(_, t)| t)
        .chain(&func.result)
        .any(|t| holds_ends(types, t, &mut known))
}

/// Whether a value of `ty` holds an end or an error context; `known`
/// remembers the answers for defined types.
fn holds_ends(
    types: TypesRef<'_>,
    ty: &ComponentValType,
    known: &mut std::collections::HashMap<
        wasmparser::component_types::ComponentDefinedTypeId,
        bool,
    >,
) -> bool {
    let id = match ty {
        ComponentValType::Primitive(p) => return *p == PrimitiveValType::ErrorContext,
        ComponentValType::Type(id) => *id,
    };
    if let Some(holds) = known.get(&id) {
        return *holds;
    }
    let Some(defined) = types.get(id) else {
        return false;
    };
    use ComponentDefinedType as D;
    let inner: Vec<&ComponentValType> = match defined {
        D::Primitive(p) => return *p == PrimitiveValType::ErrorContext,
        D::Future { .. } | D::Stream { .. } => return true,
        D::Own(_) | D::Borrow(_) | D::Enum(_) | D::Flags(_) => return false,
        D::Record(r) => r.fields.values().collect(),
        D::Tuple(t) => t.types.iter().collect(),
        D::Variant(v) => v.cases.values().filter_map(|c| c.ty.as_ref()).collect(),
        D::List { element, .. } | D::FixedLengthList { element, .. } => vec![element],
        D::Option { ty, .. } => vec![ty],
        D::Map { key, value, .. } => vec![key, value],
        D::Result { ok, err, .. } => ok.iter().chain(err).collect(),
    };
    let holds = inner.into_iter().any(|t| holds_ends(types, t, known));
    known.insert(id, holds);
    holds
}

/// Whether a stream's or future's payload `ty` is absent or a number: the
/// payloads wasmtime copies between two ends of one instance.
pub(crate) fn numeric_payload(types: TypesRef<'_>, ty: Option<&ComponentValType>) -> bool {
    use PrimitiveValType as P;
    let prim = match ty {
        None => return true,
        Some(ComponentValType::Primitive(p)) => *p,
        Some(ComponentValType::Type(id)) => match types.get(*id) {
            Some(ComponentDefinedType::Primitive(p)) => *p,
            _ => return false,
        },
    };
    matches!(
        prim,
        P::S8 | P::U8 | P::S16 | P::U16 | P::S32 | P::U32 | P::S64 | P::U64 | P::F32 | P::F64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prim(t: &mut TyTable, p: Prim) -> TyId {
        t.intern(Node::Prim(p))
    }

    #[test]
    fn records_align_fields_and_round_up() {
        let mut t = TyTable::default();
        let (u8_, u32_, u64_) = (
            prim(&mut t, Prim::U8),
            prim(&mut t, Prim::U32),
            prim(&mut t, Prim::U64),
        );
        let r = t.intern(Node::Record(vec![u8_, u64_, u8_, u32_]));
        let info = t.info(r);
        assert_eq!(info.offsets, vec![0, 8, 16, 20]);
        assert_eq!((info.size, info.align), (24, 8));
        assert!(
            !info.plain,
            "u8 fields need masking when lifted from the stack"
        );
    }

    #[test]
    fn variants_put_the_payload_after_the_aligned_discriminant() {
        let mut t = TyTable::default();
        let (f32_, u64_) = (prim(&mut t, Prim::F32), prim(&mut t, Prim::U64));
        let s = t.intern(Node::String);
        let v = t.intern(Node::Variant(vec![Some(f32_), None, Some(u64_), Some(s)]));
        let info = t.info(v);
        assert_eq!(
            (info.disc, info.offsets[0], info.size, info.align),
            (1, 8, 16, 8)
        );
        assert_eq!(info.flat, vec![Flat::I32, Flat::I64, Flat::I32]);
    }

    #[test]
    fn discriminants_grow_with_the_case_count() {
        assert_eq!(discriminant_size(2), 1);
        assert_eq!(discriminant_size(256), 1);
        assert_eq!(discriminant_size(257), 2);
        assert_eq!(discriminant_size(65537), 4);
    }

    #[test]
    fn flags_use_bytes_then_words() {
        let mut t = TyTable::default();
        let cases = [(3, 1, 1, 1), (9, 2, 2, 1), (32, 4, 4, 1), (40, 8, 4, 2)];
        for (labels, size, align, flat) in cases {
            let f = t.intern(Node::Flags(labels));
            let info = t.info(f);
            assert_eq!(
                (info.size, info.align, info.flat.len()),
                (size, align, flat)
            );
        }
    }

    #[test]
    fn enums_are_stored_in_their_discriminant_size() {
        let mut t = TyTable::default();
        for (cases, size) in [(8, 1), (300, 2)] {
            let e = t.intern(Node::Enum(cases));
            let info = t.info(e);
            assert_eq!((info.size, info.align, info.disc), (size, size, size));
        }
    }

    #[test]
    fn join_follows_the_spec() {
        assert_eq!(Flat::I32.join(Flat::I32), Flat::I32);
        assert_eq!(Flat::I32.join(Flat::F32), Flat::I32);
        assert_eq!(Flat::F32.join(Flat::F64), Flat::I64);
        assert_eq!(Flat::I32.join(Flat::I64), Flat::I64);
        assert_eq!(Flat::F64.join(Flat::F64), Flat::F64);
    }

    #[test]
    fn seventeen_flat_parameters_spill_and_two_flat_results_use_a_return_pointer() {
        let mut t = TyTable::default();
        let u32_ = prim(&mut t, Prim::U32);
        let flat16 = t.shape(vec![u32_; 16], Some(u32_));
        assert!(!flat16.spill_params && !flat16.spill_results);
        assert_eq!(flat16.lifted, flat16.lowered);
        let s = t.intern(Node::String);
        let spilled = t.shape(vec![u32_; 17], Some(s));
        assert_eq!(spilled.lifted.params, [Flat::I32]);
        assert_eq!(spilled.lifted.results, [Flat::I32]);
        assert_eq!(spilled.lowered.params, [Flat::I32, Flat::I32]);
        assert!(spilled.lowered.results.is_empty());
    }

    #[test]
    fn equal_types_are_interned_once() {
        let mut t = TyTable::default();
        let a = prim(&mut t, Prim::U16);
        let l1 = t.intern(Node::List(a));
        let l2 = t.intern(Node::List(a));
        assert_eq!(l1, l2);
    }
}
