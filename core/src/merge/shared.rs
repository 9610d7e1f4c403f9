//! `--memory shared`: one linear memory, a region of it per inner memory.
//!
//! Every memory the fused module would have (one per instance that
//! defines one) becomes a region `[base, base + max)` of a single memory.
//! Code keeps computing its own addresses; each access is rewritten to
//! check the address against the region's current size (as the original
//! memory would trap) and add the region's base. `memory.size` and
//! `memory.grow` are virtualised by two globals per region (its size in
//! pages and in bytes) and a generated grow function that fails (-1) when
//! the region is full, exactly as a memory at its maximum does.
//!
//! Isolation: an access outside a region's current size traps before it
//! touches memory, so no component ever reads or writes another's region.
//! An access from a local that a check made before already covers, on
//! every path to it, is not checked again (`Checked`): a region never
//! shrinks. Nor is one from a local's value plus a bounded number, in a
//! register or in another local, that a check of the local covers that
//! far past it. Nor is an access at an address no larger than a bound
//! (a constant, a mask) that ends within the region's initial size (a
//! guest's statics). Which local, sum or bound an address is comes from
//! following the top of the stack (`Stack`). Nor
//! is a load of generated code that the code's own check of a whole
//! range covers (a string copy's source, `Body::within`), a store of it
//! into a block its realloc returned and it checked (a transcoder's
//! output, `Body::store_within`), or a
//! `memory.copy` of generated code whose two ranges it checked itself (a
//! string's or a plain list's, `Body::copy_within`), in regions below
//! 4 GiB. A failed check branches to one trap after the
//! function's body (`Trap`), in a body with at most one result when no
//! debug info is kept.
//! The region placed last needs no check of its size: the real memory
//! ends where it does, so the engine's own bounds check is exact, once an
//! address near 4 GiB cannot wrap around into the first region as its
//! base is added (one compare with a constant); only it grows the real
//! memory. Bulk memory instructions are checked in every region with a
//! base, the last one included (but for those marked copies).
//!
//! Where a region lies sets what its accesses cost (`Regions::plan`): at
//! base 0 no base is added, and the last region's checks compare with a
//! constant. The first region the host exchanges strings and lists with
//! is at base 0, so its pointers need no translation; without one, the
//! memory with the most code goes there, and the one with the most code
//! of the others goes last. For a region with a base, generated
//! wrappers at the host boundary (`adapt/host.rs`) move the
//! pointers of every value the host sees between region and memory
//! addresses. For every region but the last, and for the last when it
//! has a base (a pointer would wrap around as it moved), those wrappers
//! also check that what the host reads or writes lies in the region.
//!
//! SIMD accesses are checked like the others (a vector stored, or a lane
//! loaded into one, waits in a `v128` local while its address is checked;
//! only functions with such an access get one). Atomic memory accesses
//! are refused in shared mode (they are not rewritten yet).

use crate::error::{Error, Result};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{BlockType, Instruction as I, MemArg};
use wasmparser::{FunctionBody, MemoryType, Operator};

/// Bytes in a wasm page.
const PAGE: u64 = 1 << 16;
/// Pages in 4 GiB, the most a 32-bit memory holds.
const MAX_PAGES: u64 = 1 << 16;

/// One inner memory's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    /// Offset of the region in the single memory, in bytes.
    pub(crate) base: u32,
    /// Initial size in pages.
    pub(crate) initial: u32,
    /// Pages it may grow to.
    pub(crate) max: u32,
    /// Accesses are checked against the current size (all but the last).
    pub(crate) checked: bool,
}

/// Where each inner memory goes in the one memory.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Fused memory indices in address order.
    pub(crate) order: Vec<usize>,
    /// Regions by fused memory index.
    pub(crate) regions: Vec<Region>,
    /// Set when the regions were made smaller than their memories ask
    /// for, to fit in 4 GiB: a warning for the user.
    pub(crate) note: Option<String>,
}

impl Plan {
    /// Plans the regions of every memory `layout`'s instances define. The
    /// first memory the host exchanges pointers with goes to base 0, where
    /// host pointers need no translation.
    pub(crate) fn new(
        layout: &super::Layout<'_>,
        graph: &crate::graph::Graph,
        adapters: &crate::adapt::Adapters,
        default_pages: u32,
    ) -> Result<Self> {
        use crate::graph::{CoreInstanceId, HostItem};
        // Each memory, and the size of the code of the module defining it
        // (for its first memory): where accesses are likely most frequent.
        let (mut memories, mut code) = (Vec::new(), Vec::new());
        for i in 0..graph.instances.len() {
            let module = layout.module(graph, CoreInstanceId(i))?;
            let size: u64 = module
                .code
                .iter()
                .map(|body| body.range().len() as u64)
                .sum();
            for (j, memory) in module.memories.iter().enumerate() {
                memories.push(*memory);
                code.push(if j == 0 { size } else { 0 });
            }
        }
        if layout.tables_memory.is_some() {
            memories.push(super::TABLES_MEMORY_TYPE);
            code.push(0);
        }
        let mut host_facing = std::collections::BTreeSet::new();
        let mut note = |options: &crate::graph::Options| -> Result<()> {
            if let Some(memory) = &options.memory {
                let origin = layout.origin(graph, adapters, memory, super::Space::Memory)?;
                host_facing.insert(layout.index(origin)? as usize);
            }
            Ok(())
        };
        for lowering in &graph.lowerings {
            if matches!(lowering.item, HostItem::Func(_)) {
                note(&lowering.options)?;
            }
        }
        let mut lifted = Vec::new();
        for (_, item, _) in &graph.exports {
            super::exported_lifts(item, &mut lifted);
        }
        for id in lifted {
            note(&graph.lifted[id.0].options)?;
        }
        let (order, regions, note) = Regions::plan(
            &memories,
            host_facing.first().copied(),
            &code,
            default_pages,
        )?;
        Ok(Plan {
            order,
            regions,
            note,
        })
    }

    /// Whether what the host reads and writes in memory `k`'s region is
    /// checked against the region's size: when another region follows it,
    /// or when its pointers move by a base (a pointer near 4 GiB would
    /// wrap around into another region as it moved).
    pub(crate) fn checked(&self, k: u32) -> Result<bool> {
        self.regions
            .get(k as usize)
            .map(|r| r.checked || r.base != 0)
            .ok_or_else(|| Error::internal("a memory without a region"))
    }

    /// The base of memory `k`'s region.
    pub(crate) fn base(&self, k: u32) -> Result<u32> {
        self.regions
            .get(k as usize)
            .map(|r| r.base)
            .ok_or_else(|| Error::internal("a memory without a region"))
    }
}

/// The regions of the single memory, by fused (multi-memory) index.
#[derive(Debug, Clone)]
pub(crate) struct Regions {
    pub(crate) regions: Vec<Region>,
    /// Index of the first of two globals per region (pages, bytes).
    pub(crate) first_global: u32,
    /// Function index of the first grow function, one per region.
    pub(crate) first_grow: u32,
}

impl Regions {
    /// Lays out `memories` (by fused index). At base 0, whose accesses
    /// need no base added, goes `first` (the one the host shares pointers
    /// with) if there is one, else the memory with the most `code` (the
    /// size of the code of the module defining it). Last, whose checks
    /// compare with a constant rather than a global, goes the one with the
    /// most code of the others; between them, the others in order (ties
    /// by index).
    /// A region is as large as its memory's maximum, or `default_pages`
    /// for a memory without one (never less than its initial size). When
    /// those do not fit in 4 GiB, the largest regions are made smaller,
    /// down to their memories' initial sizes, until they fit; the third
    /// value then says so.
    pub(crate) fn plan(
        memories: &[MemoryType],
        first: Option<usize>,
        code: &[u64],
        default_pages: u32,
    ) -> Result<(Vec<usize>, Vec<Region>, Option<String>)> {
        for m in memories {
            if m.memory64 || m.shared || m.page_size_log2.is_some() {
                return Err(Error::unsupported(
                    "--memory shared with 64-bit, shared (threads) or custom-page-size memories; \
                     use --memory multi",
                ));
            }
        }
        if code.len() != memories.len() {
            return Err(Error::internal("a memory without its code size"));
        }
        let (sizes, note) = region_sizes(memories, default_pages)?;
        // (on a tie, index order: the lowest first, the highest last)
        let weight = |k: usize| code[k];
        let first = first
            .or_else(|| (0..memories.len()).max_by_key(|&k| (weight(k), std::cmp::Reverse(k))));
        let last = (0..memories.len())
            .filter(|&k| Some(k) != first)
            .max_by_key(|&k| (weight(k), k));
        let mut order: Vec<usize> = first.into_iter().collect();
        order.extend((0..memories.len()).filter(|&k| Some(k) != first && Some(k) != last));
        order.extend(last);
        let mut regions = vec![
            Region {
                base: 0,
                initial: 0,
                max: 0,
                checked: true,
            };
            memories.len()
        ];
        let mut next: u64 = 0;
        for (position, &k) in order.iter().enumerate() {
            regions[k] = Region {
                base: (next * PAGE) as u32,
                initial: memories[k].initial as u32,
                max: sizes[k] as u32,
                checked: position + 1 < order.len(),
            };
            next += sizes[k];
        }
        Ok((order, regions, note))
    }

    /// The single memory: up to the end of the last region.
    pub(crate) fn memory_type(&self, last: usize) -> wasm_encoder::MemoryType {
        let r = self.regions[last];
        let base = u64::from(r.base) / PAGE;
        wasm_encoder::MemoryType {
            minimum: base + u64::from(r.initial),
            maximum: Some(base + u64::from(r.max)),
            memory64: false,
            shared: false,
            page_size_log2: None,
        }
    }

    fn pages(&self, k: u32) -> u32 {
        self.first_global + 2 * k
    }

    fn bytes(&self, k: u32) -> u32 {
        self.first_global + 2 * k + 1
    }

    fn region(&self, k: u32) -> Result<Region> {
        self.regions
            .get(k as usize)
            .copied()
            .ok_or_else(|| Error::internal("a memory without a region"))
    }

    /// The two globals of each region: its size in pages (`i32`) and bytes (`i64`).
    pub(crate) fn globals(&self, out: &mut wasm_encoder::GlobalSection) {
        for r in &self.regions {
            let ty = |val_type| wasm_encoder::GlobalType {
                val_type,
                mutable: true,
                shared: false,
            };
            out.global(
                ty(wasm_encoder::ValType::I32),
                &wasm_encoder::ConstExpr::i32_const(r.initial as i32),
            );
            out.global(
                ty(wasm_encoder::ValType::I64),
                &wasm_encoder::ConstExpr::i64_const((u64::from(r.initial) * PAGE) as i64),
            );
        }
    }

    /// The grow function of region `k`: `memory.grow` of a memory whose
    /// maximum is the region's.
    pub(crate) fn grow_function(&self, k: u32) -> Result<wasm_encoder::Function> {
        let r = self.region(k)?;
        let mut f = wasm_encoder::Function::new([(1, wasm_encoder::ValType::I64)]);
        let new = 1;
        f.instruction(&I::GlobalGet(self.pages(k)))
            .instruction(&I::I64ExtendI32U)
            .instruction(&I::LocalGet(0))
            .instruction(&I::I64ExtendI32U)
            .instruction(&I::I64Add)
            .instruction(&I::LocalTee(new))
            .instruction(&I::I64Const(i64::from(r.max)))
            .instruction(&I::I64GtU)
            .instruction(&I::If(BlockType::Empty))
            .instruction(&I::I32Const(-1))
            .instruction(&I::Return)
            .instruction(&I::End);
        if !r.checked {
            // The last region ends where the memory does: grow it too.
            f.instruction(&I::LocalGet(0))
                .instruction(&I::MemoryGrow(0))
                .instruction(&I::I32Const(-1))
                .instruction(&I::I32Eq)
                .instruction(&I::If(BlockType::Empty))
                .instruction(&I::I32Const(-1))
                .instruction(&I::Return)
                .instruction(&I::End);
        }
        f.instruction(&I::GlobalGet(self.pages(k)))
            .instruction(&I::LocalGet(new))
            .instruction(&I::I32WrapI64)
            .instruction(&I::GlobalSet(self.pages(k)))
            .instruction(&I::LocalGet(new))
            .instruction(&I::I64Const(16))
            .instruction(&I::I64Shl)
            .instruction(&I::GlobalSet(self.bytes(k)))
            .instruction(&I::End);
        Ok(f)
    }

    /// Where an active data segment of `len` bytes at constant `offset`
    /// in memory `k` goes in the one memory: moved into its region, or,
    /// when it does not fit in the region's initial size (the original's
    /// instantiation traps there: a valid component, not one to refuse),
    /// [`Placement::Trapping`].
    pub(crate) fn data_offset(&self, k: u32, offset: Option<i32>, len: usize) -> Result<Placement> {
        let r = self.region(k)?;
        let Some(value) = offset.map(|v| v as u32) else {
            return Err(Error::unsupported(
                "--memory shared with a data segment whose offset fusion cannot compute \
                 (a global without a constant value); use --memory multi",
            ));
        };
        if u64::from(value) + len as u64 > u64::from(r.initial) * PAGE {
            return Ok(Placement::Trapping);
        }
        Ok(Placement::At(r.base + value))
    }
}

/// Where [`Regions::data_offset`] puts an active data segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// At this offset of the one memory.
    At(u32),
    /// Nowhere it fits: the segment becomes [`TRAPPING_SEGMENT`] at
    /// [`TRAPPING_OFFSET`], which ends past 4 GiB, beyond any 32-bit
    /// memory, so instantiation traps at that segment, after the segments
    /// before it and before any start function, as the original's does.
    /// Nothing of it is written (a segment is checked before it is copied),
    /// so its bytes are never needed.
    Trapping,
}

/// The offset of a [`Placement::Trapping`] segment.
pub(crate) const TRAPPING_OFFSET: u32 = u32::MAX;
/// The bytes of a [`Placement::Trapping`] segment: two, so that it ends at
/// 2^32 + 1, past even a memory of 65,536 pages.
pub(crate) const TRAPPING_SEGMENT: &[u8] = &[0, 0];

/// The value of `expr`, an `i32` constant expression, when fusion can
/// know it: constants, the extended-const arithmetic, and `global.get` of
/// globals `global` knows the value of (immutable ones with such an
/// initializer, as wit-component's dynamic linking gives each library's
/// `__memory_base`).
pub(crate) fn const_i32(
    expr: &wasmparser::ConstExpr<'_>,
    global: &mut dyn FnMut(u32) -> Option<i32>,
) -> Option<i32> {
    let mut stack = Vec::new();
    let mut reader = expr.get_operators_reader();
    loop {
        let value = match reader.read().ok()? {
            Operator::I32Const { value } => value,
            Operator::GlobalGet { global_index } => global(global_index)?,
            op @ (Operator::I32Add | Operator::I32Sub | Operator::I32Mul) => {
                let (b, a) = (stack.pop()?, stack.pop()?);
                match op {
                    Operator::I32Add => i32::wrapping_add(a, b),
                    Operator::I32Sub => i32::wrapping_sub(a, b),
                    _ => i32::wrapping_mul(a, b),
                }
            }
            Operator::End => return (stack.len() == 1).then(|| stack[0]),
            _ => return None,
        };
        stack.push(value);
    }
}

/// The size in pages of each memory's region, and a note when they had
/// to be made smaller than asked to fit in [`MAX_PAGES`].
///
/// Each memory asks for its maximum, or `default_pages` if it has none,
/// and needs at least its initial size. If the asks do not fit, every
/// region is capped at the largest common size `cap` for which
/// `sum(clamp(cap, initial, ask))` fits: the largest regions shrink first
/// and no region goes below its memory's initial size.
fn region_sizes(memories: &[MemoryType], default_pages: u32) -> Result<(Vec<u64>, Option<String>)> {
    let asks: Vec<(u64, u64)> = memories
        .iter()
        .map(|m| {
            let ask = m.maximum.unwrap_or(u64::from(default_pages)).max(m.initial);
            (m.initial, ask)
        })
        .collect();
    let total = |cap: u64| -> u64 {
        asks.iter()
            .map(|&(initial, ask)| cap.clamp(initial, ask))
            .sum()
    };
    let largest = asks.iter().map(|&(_, ask)| ask).max().unwrap_or(0);
    if total(largest) <= MAX_PAGES {
        return Ok((asks.iter().map(|&(_, ask)| ask).collect(), None));
    }
    let minimum: u64 = asks.iter().map(|&(initial, _)| initial).sum();
    if minimum > MAX_PAGES {
        return Err(Error::unsupported(format!(
            "--memory shared: the initial sizes of {} memories add up to {} MiB, more than one \
             4 GiB memory holds; use --memory multi",
            memories.len(),
            minimum / 16
        )));
    }
    // `total` grows with `cap`; find the largest cap that fits.
    let (mut fits, mut over) = (0u64, largest);
    while over - fits > 1 {
        let mid = fits + (over - fits) / 2;
        if total(mid) <= MAX_PAGES {
            fits = mid;
        } else {
            over = mid;
        }
    }
    let sizes: Vec<u64> = asks
        .iter()
        .map(|&(initial, ask)| fits.clamp(initial, ask))
        .collect();
    let shrunk = asks
        .iter()
        .zip(&sizes)
        .filter(|((_, ask), size)| ask > size)
        .count();
    let note = format!(
        "--memory shared: the regions of {} memories do not fit in one 4 GiB memory at their \
         maximum or --region-size; {shrunk} of them are made smaller to fit, to {} KiB each (or \
         their memory's initial size), and memory.grow fails beyond that",
        memories.len(),
        fits * (PAGE / 1024)
    );
    Ok((sizes, Some(note)))
}

/// Temporary locals appended to every rewritten function.
struct Temps {
    a: u32,
    b: u32,
    c: u32,
    i64: u32,
    f32: u32,
    f64: u32,
    /// Only in a function with a SIMD store or lane access (a function of
    /// an input without SIMD gets no `v128` local).
    v128: Option<u32>,
}

impl Temps {
    /// Pops the three `i32` operands of a bulk memory instruction into
    /// `a`, `b` and `c` (first operand in `a`).
    fn take_three(&self) -> [I<'static>; 3] {
        [
            I::LocalSet(self.c),
            I::LocalSet(self.b),
            I::LocalSet(self.a),
        ]
    }
}

/// Re-encodes one function body, of type `ty`, for the single memory.
/// `re` maps the body's indices to fused ones (memories to fused
/// multi-memory indices). `covered` lists, in order, the byte offsets in
/// the body of loads the function's own range checks cover (generated
/// code's `Body::within`).
pub(crate) fn rewrite<R: Reencode>(
    body: &FunctionBody<'_>,
    ty: &wasmparser::FuncType,
    re: &mut R,
    regions: &Regions,
    covered: &[u32],
    mut map: Option<&mut crate::debug::CodeMap>,
) -> Result<wasm_encoder::Function, ReencodeError<R::Error>>
where
    R::Error: From<Error>,
{
    let mut locals = Vec::new();
    let mut count = ty.params().len() as u32;
    for local in body.get_locals_reader()? {
        let (n, ty) = local?;
        locals.push((n, re.val_type(ty)?));
        count += n;
    }
    let temps = Temps {
        a: count,
        b: count + 1,
        c: count + 2,
        i64: count + 3,
        f32: count + 4,
        f64: count + 5,
        v128: stores_vectors(body)?.then_some(count + 6),
    };
    use wasm_encoder::ValType as V;
    locals.extend([(3, V::I32), (1, V::I64), (1, V::F32), (1, V::F64)]);
    if temps.v128.is_some() {
        locals.push((1, V::V128));
    }
    let mut f = wasm_encoder::Function::new(locals);
    let operators = body.get_operators_reader()?;
    let features = operators.get_binary_reader().features();
    let start = operators.original_position();
    let code = &body.as_bytes()[start - body.range().start..];
    let mut at = 0;
    let user = |e: Error| ReencodeError::UserError(R::Error::from(e));
    let v128 = || {
        temps
            .v128
            .ok_or_else(|| user(Error::internal("a SIMD store without its local")))
    };
    // A body with at most one result is wrapped in a block that traps
    // after it, which failed checks branch to (`Trap::Branch`): `block
    // (block (result ..) body) return end unreachable`. Branches and
    // `return` in the body mean what they meant: its labels are the same
    // distance away, and the function's own is now a block of its type.
    // Not when debug info is kept: a trap then stays at its access's line.
    let wrap = match ty.results() {
        _ if map.is_some() => None,
        [] => Some(BlockType::Empty),
        [one] => Some(BlockType::Result(re.val_type(*one)?)),
        _ => None,
    };
    if let Some(inner) = wrap {
        f.instruction(&I::Block(BlockType::Empty));
        f.instruction(&I::Block(inner));
    }
    // (the function's `end` is the last byte; it is written after the loop)
    let last = code.len().saturating_sub(1);
    // The checks known to hold here (see `Checked`), and what is known of
    // the values on top of the stack (see `Stack`): an access's address is
    // known as a local's value or a constant from there.
    let mut checked = Checked::new(code, start, features, wrap.is_some());
    let mut stack = Stack::default();
    let mut covered = covered.iter().copied().peekable();
    let body_start = body.range().start;
    while at < last {
        // An instruction's line row covers everything it became.
        if let Some(map) = map.as_deref_mut() {
            map.instruction(start + at, f.byte_len());
        }
        let rest = &code[at..];
        // Most instructions touch no memory and name no index that moves
        // (`body::plain_len`, memory accesses excluded): copied as they
        // are, what they do to the checks read from their bytes.
        if let Some(len) = super::body::plain_len(rest, false) {
            let kind = plain_kind(&rest[..len]);
            let top = stack.value(0);
            stack.plain(&rest[..len], &kind)?;
            checked.apply(kind, top)?;
            f.raw(rest[..len].iter().copied());
            at += len;
            continue;
        }
        let mut reader = wasmparser::OperatorsReader::new(wasmparser::BinaryReader::new_features(
            rest,
            start + at,
            features,
        ));
        let here = (start + at - body_start) as u32;
        let op = reader.read()?;
        at = reader.original_position() - start;
        let kind = operator_kind(&op);
        // an access's address: under its value, if it stores one
        let (load_address, store_address) = (stack.value(0), stack.value(1));
        stack.operator(&op, &kind);
        checked.apply(kind, load_address)?;
        let mut emit = |ins: &[I<'_>]| {
            for i in ins {
                f.instruction(i);
            }
        };
        macro_rules! load {
            ($memarg:expr, $size:expr, $ins:ident) => {{
                let k = re.memory_index($memarg.memory)?;
                let access = (k, $memarg.offset, $size);
                let within = covered.next_if_eq(&here).is_some();
                let arg = checked
                    .access(regions, load_address, access, within)
                    .and_then(|plan| plan.emit(&mut emit, regions, access, temps.a))
                    .map_err(user)?;
                emit(&[I::$ins(arg)]);
            }};
        }
        macro_rules! store {
            ($memarg:expr, $size:expr, $ins:ident, $temp:expr) => {{
                let k = re.memory_index($memarg.memory)?;
                let access = (k, $memarg.offset, $size);
                let temp = $temp;
                let within = covered.next_if_eq(&here).is_some();
                let arg = checked
                    .under_value(
                        &mut emit,
                        regions,
                        store_address,
                        access,
                        within,
                        [temp, temps.a],
                    )
                    .map_err(user)?;
                emit(&[I::$ins(arg)]);
            }};
        }
        // `v128.load*_lane` and `v128.store*_lane`: the address under a
        // vector, like a store's
        macro_rules! lane {
            ($memarg:expr, $lane:expr, $size:expr, $ins:ident) => {{
                let k = re.memory_index($memarg.memory)?;
                let access = (k, $memarg.offset, $size);
                let temp = v128()?;
                let memarg = checked
                    .under_value(
                        &mut emit,
                        regions,
                        store_address,
                        access,
                        false,
                        [temp, temps.a],
                    )
                    .map_err(user)?;
                emit(&[I::$ins {
                    memarg,
                    lane: $lane,
                }]);
            }};
        }
        match op {
            Operator::I32Load { memarg } => load!(memarg, 4, I32Load),
            Operator::I64Load { memarg } => load!(memarg, 8, I64Load),
            Operator::V128Load { memarg } => load!(memarg, 16, V128Load),
            Operator::V128Load8x8S { memarg } => load!(memarg, 8, V128Load8x8S),
            Operator::V128Load8x8U { memarg } => load!(memarg, 8, V128Load8x8U),
            Operator::V128Load16x4S { memarg } => load!(memarg, 8, V128Load16x4S),
            Operator::V128Load16x4U { memarg } => load!(memarg, 8, V128Load16x4U),
            Operator::V128Load32x2S { memarg } => load!(memarg, 8, V128Load32x2S),
            Operator::V128Load32x2U { memarg } => load!(memarg, 8, V128Load32x2U),
            Operator::V128Load8Splat { memarg } => load!(memarg, 1, V128Load8Splat),
            Operator::V128Load16Splat { memarg } => load!(memarg, 2, V128Load16Splat),
            Operator::V128Load32Splat { memarg } => load!(memarg, 4, V128Load32Splat),
            Operator::V128Load64Splat { memarg } => load!(memarg, 8, V128Load64Splat),
            Operator::V128Load32Zero { memarg } => load!(memarg, 4, V128Load32Zero),
            Operator::V128Load64Zero { memarg } => load!(memarg, 8, V128Load64Zero),
            Operator::V128Store { memarg } => store!(memarg, 16, V128Store, v128()?),
            Operator::V128Load8Lane { memarg, lane } => lane!(memarg, lane, 1, V128Load8Lane),
            Operator::V128Load16Lane { memarg, lane } => lane!(memarg, lane, 2, V128Load16Lane),
            Operator::V128Load32Lane { memarg, lane } => lane!(memarg, lane, 4, V128Load32Lane),
            Operator::V128Load64Lane { memarg, lane } => lane!(memarg, lane, 8, V128Load64Lane),
            Operator::V128Store8Lane { memarg, lane } => lane!(memarg, lane, 1, V128Store8Lane),
            Operator::V128Store16Lane { memarg, lane } => {
                lane!(memarg, lane, 2, V128Store16Lane)
            }
            Operator::V128Store32Lane { memarg, lane } => {
                lane!(memarg, lane, 4, V128Store32Lane)
            }
            Operator::V128Store64Lane { memarg, lane } => {
                lane!(memarg, lane, 8, V128Store64Lane)
            }
            Operator::F32Load { memarg } => load!(memarg, 4, F32Load),
            Operator::F64Load { memarg } => load!(memarg, 8, F64Load),
            Operator::I32Load8S { memarg } => load!(memarg, 1, I32Load8S),
            Operator::I32Load8U { memarg } => load!(memarg, 1, I32Load8U),
            Operator::I32Load16S { memarg } => load!(memarg, 2, I32Load16S),
            Operator::I32Load16U { memarg } => load!(memarg, 2, I32Load16U),
            Operator::I64Load8S { memarg } => load!(memarg, 1, I64Load8S),
            Operator::I64Load8U { memarg } => load!(memarg, 1, I64Load8U),
            Operator::I64Load16S { memarg } => load!(memarg, 2, I64Load16S),
            Operator::I64Load16U { memarg } => load!(memarg, 2, I64Load16U),
            Operator::I64Load32S { memarg } => load!(memarg, 4, I64Load32S),
            Operator::I64Load32U { memarg } => load!(memarg, 4, I64Load32U),
            Operator::I32Store { memarg } => store!(memarg, 4, I32Store, temps.b),
            Operator::I64Store { memarg } => store!(memarg, 8, I64Store, temps.i64),
            Operator::F32Store { memarg } => store!(memarg, 4, F32Store, temps.f32),
            Operator::F64Store { memarg } => store!(memarg, 8, F64Store, temps.f64),
            Operator::I32Store8 { memarg } => store!(memarg, 1, I32Store8, temps.b),
            Operator::I32Store16 { memarg } => store!(memarg, 2, I32Store16, temps.b),
            Operator::I64Store8 { memarg } => store!(memarg, 1, I64Store8, temps.i64),
            Operator::I64Store16 { memarg } => store!(memarg, 2, I64Store16, temps.i64),
            Operator::I64Store32 { memarg } => store!(memarg, 4, I64Store32, temps.i64),
            Operator::MemorySize { mem } => {
                let k = re.memory_index(mem)?;
                emit(&[I::GlobalGet(regions.pages(k))]);
            }
            Operator::MemoryGrow { mem } => {
                let k = re.memory_index(mem)?;
                emit(&[I::Call(regions.first_grow + k)]);
            }
            Operator::MemoryFill { mem } => {
                let k = re.memory_index(mem)?;
                emit(&temps.take_three());
                check_range(&mut emit, regions, k, temps.a, temps.c, checked.trap())
                    .map_err(user)?;
                rebased(&mut emit, regions, k, temps.a).map_err(user)?;
                emit(&[I::LocalGet(temps.b), I::LocalGet(temps.c), I::MemoryFill(0)]);
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (d, s) = (re.memory_index(dst_mem)?, re.memory_index(src_mem)?);
                // a copy of generated code whose ranges it checked before
                // (`Body::copy_within`), trusted as its loads are
                let within = covered.next_if_eq(&here).is_some()
                    && [d, s].iter().all(|&k| {
                        regions
                            .region(k)
                            .is_ok_and(|r| u64::from(r.max) < MAX_PAGES)
                    });
                emit(&temps.take_three());
                if !within {
                    check_range(&mut emit, regions, d, temps.a, temps.c, checked.trap())
                        .map_err(user)?;
                    check_range(&mut emit, regions, s, temps.b, temps.c, checked.trap())
                        .map_err(user)?;
                }
                rebased(&mut emit, regions, d, temps.a).map_err(user)?;
                rebased(&mut emit, regions, s, temps.b).map_err(user)?;
                emit(&[
                    I::LocalGet(temps.c),
                    I::MemoryCopy {
                        src_mem: 0,
                        dst_mem: 0,
                    },
                ]);
            }
            Operator::MemoryInit { data_index, mem } => {
                let k = re.memory_index(mem)?;
                let data_index = re.data_index(data_index)?;
                emit(&temps.take_three());
                check_range(&mut emit, regions, k, temps.a, temps.c, checked.trap())
                    .map_err(user)?;
                rebased(&mut emit, regions, k, temps.a).map_err(user)?;
                emit(&[
                    I::LocalGet(temps.b),
                    I::LocalGet(temps.c),
                    I::MemoryInit { mem: 0, data_index },
                ]);
            }
            Operator::MemoryDiscard { .. } => {
                return Err(user(Error::unsupported(
                    "--memory shared with memory.discard; use --memory multi",
                )));
            }
            other => {
                if let Some(name) = not_rewritten(&other) {
                    return Err(user(Error::unsupported(format!(
                        "--memory shared with {name} (atomic memory accesses are not \
                         rewritten for a shared memory yet); use --memory multi"
                    ))));
                }
                f.instruction(&re.instruction(other)?);
            }
        }
    }
    if let Some(at) = covered.next() {
        return Err(user(Error::internal(format!(
            "a covered access at byte {at} of a generated function is not a load, a store or a memory.copy"
        ))));
    }
    if at != last || code.get(last) != Some(&0x0B) {
        return Err(user(Error::internal(
            "a function body that does not end with `end`",
        )));
    }
    if let Some(map) = map {
        map.instruction(start + at, f.byte_len());
    }
    if wrap.is_some() {
        for i in [I::End, I::Return, I::End, I::Unreachable] {
            f.instruction(&i);
        }
    }
    f.instruction(&I::End);
    Ok(f)
}

/// What the rewrite knows of the values on top of the operand stack,
/// bottom first: for each, the local whose current value it is, that
/// value plus a number no larger than a bound, or a bound of the value
/// itself, if any. Kept through the instructions whose effect on the
/// stack their opcode tells (numeric ones, locals, constants, `drop`,
/// `select`, loads, stores, `global.get` and `global.set`,
/// `memory.size`), of which `i32.const`, `i32.add`, `i32.and` and
/// `select` compute what they push; any other instruction (control, a
/// call) forgets it all, so that what lies below is unknown, never wrong.
/// Writing a local forgets which values were its value before.
#[derive(Default)]
struct Stack(Vec<Option<Value>>);

/// A value [`Stack`] knows.
#[derive(Clone, Copy, PartialEq)]
enum Value {
    /// A local's current value.
    Local(u32),
    /// A local's current value plus a number no larger than the bound (a
    /// 32-bit sum, which may wrap).
    Plus(u32, u32),
    /// A number no larger than this (a constant, a mask).
    AtMost(u32),
}

impl Value {
    /// `local` plus a number no larger than `plus`.
    fn plus(local: u32, plus: u32) -> Value {
        match plus {
            0 => Value::Local(local),
            _ => Value::Plus(local, plus),
        }
    }

    /// The local the value is, plus at most how much, if it is one's.
    fn local(self) -> Option<(u32, u32)> {
        match self {
            Value::Local(l) => Some((l, 0)),
            Value::Plus(l, plus) => Some((l, plus)),
            Value::AtMost(_) => None,
        }
    }

    /// What `i32.add` of `a` and `b` pushes: a bound of the sum, or a
    /// local plus one, where neither bound overflows.
    fn sum(a: Option<Value>, b: Option<Value>) -> Option<Value> {
        match (a?, b?) {
            (Value::AtMost(x), Value::AtMost(y)) => x.checked_add(y).map(Value::AtMost),
            (Value::AtMost(x), other) | (other, Value::AtMost(x)) => {
                let (local, plus) = other.local()?;
                Some(Value::plus(local, plus.checked_add(x)?))
            }
            _ => None,
        }
    }

    /// What `i32.and` of `a` and `b` pushes: no larger than either.
    fn and(a: Option<Value>, b: Option<Value>) -> Option<Value> {
        match (a, b) {
            (Some(Value::AtMost(x)), Some(Value::AtMost(y))) => Some(Value::AtMost(x.min(y))),
            (Some(Value::AtMost(x)), _) | (_, Some(Value::AtMost(x))) => Some(Value::AtMost(x)),
            _ => None,
        }
    }

    /// What `select` of `a` and `b` pushes: what both are.
    fn either(a: Option<Value>, b: Option<Value>) -> Option<Value> {
        match (a?, b?) {
            (Value::AtMost(x), Value::AtMost(y)) => Some(Value::AtMost(x.max(y))),
            (a, b) => {
                let ((l, x), (m, y)) = (a.local()?, b.local()?);
                (l == m).then(|| Value::plus(l, x.max(y)))
            }
        }
    }
}

impl Stack {
    /// Pops `pops` values and pushes `push`, if it pushes one.
    fn effect(&mut self, pops: usize, push: Option<Option<Value>>) {
        self.0.truncate(self.0.len().saturating_sub(pops));
        self.0.extend(push);
    }

    /// Forgets that any value is `local`'s (or `local`'s plus a number),
    /// as it is written.
    fn write(&mut self, local: u32) {
        for value in &mut self.0 {
            if value
                .and_then(Value::local)
                .is_some_and(|(l, _)| l == local)
            {
                *value = None;
            }
        }
    }

    /// Pops two values and pushes what `op` makes of them.
    fn binary(&mut self, op: fn(Option<Value>, Option<Value>) -> Option<Value>) {
        let value = op(self.value(1), self.value(0));
        self.effect(2, Some(value));
    }

    /// The value `depth` places below the top (0: the top), if known.
    fn value(&self, depth: usize) -> Option<Value> {
        let at = self.0.len().checked_sub(depth + 1)?;
        self.0[at]
    }

    /// Follows `local.get`, `local.set` or `local.tee` (`true`), or does
    /// nothing (`false`) for any other instruction.
    fn local(&mut self, kind: &Control) -> bool {
        // (an index that could not be read names no value)
        let known = |l: u32| (l != u32::MAX).then_some(Value::Local(l));
        match *kind {
            Control::Read(l) => self.effect(0, Some(known(l))),
            Control::Write(l) => {
                self.effect(1, None);
                self.write(l);
            }
            Control::Tee(l) => {
                self.effect(1, None);
                self.write(l);
                self.effect(0, Some(known(l)));
            }
            _ => return false,
        }
        true
    }

    /// Follows an instruction `body::plain_len` accepts, of `kind`.
    fn plain(&mut self, code: &[u8], kind: &Control) -> wasmparser::Result<()> {
        if self.local(kind) {
            return Ok(());
        }
        match code[0] {
            0x41 => {
                let value = wasmparser::BinaryReader::new(&code[1..], 0).read_var_i32()?;
                self.effect(0, Some(Some(Value::AtMost(value as u32))));
            }
            0x42..=0x44 => self.effect(0, Some(None)),
            0x01 => {}
            0x1A => self.effect(1, None),
            0x1B => {
                let value = Value::either(self.value(2), self.value(1));
                self.effect(3, Some(value));
            }
            0x6A => self.binary(Value::sum),
            0x71 => self.binary(Value::and),
            // tests, unary operators and conversions
            0x45 | 0x50 | 0x67..=0x69 | 0x79..=0x7B | 0x8B..=0x91 | 0x99..=0x9F | 0xA7..=0xC4 => {
                self.effect(1, Some(None))
            }
            // comparisons and binary operators
            0x46..=0x4F | 0x51..=0x66 | 0x6A..=0x78 | 0x7C..=0x8A | 0x92..=0x98 | 0xA0..=0xA6 => {
                self.effect(2, Some(None))
            }
            _ => self.0.clear(),
        }
        Ok(())
    }

    /// Follows any other instruction, of `kind`.
    fn operator(&mut self, op: &Operator<'_>, kind: &Control) {
        use Operator as O;
        if self.local(kind) {
            return;
        }
        match op {
            O::I32Const { value } => self.effect(0, Some(Some(Value::AtMost(*value as u32)))),
            O::GlobalGet { .. } | O::MemorySize { .. } => self.effect(0, Some(None)),
            O::GlobalSet { .. } => self.effect(1, None),
            _ => match memory_effect(op) {
                Some((pops, pushes)) => self.effect(pops, pushes.then_some(None)),
                None => self.0.clear(),
            },
        }
    }
}

/// What a load or store (plain or SIMD) pops, and whether it pushes a
/// value; `None` for any other instruction.
fn memory_effect(op: &Operator<'_>) -> Option<(usize, bool)> {
    use Operator as O;
    Some(match op {
        O::I32Load { .. }
        | O::I64Load { .. }
        | O::F32Load { .. }
        | O::F64Load { .. }
        | O::I32Load8S { .. }
        | O::I32Load8U { .. }
        | O::I32Load16S { .. }
        | O::I32Load16U { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. }
        | O::V128Load { .. }
        | O::V128Load8x8S { .. }
        | O::V128Load8x8U { .. }
        | O::V128Load16x4S { .. }
        | O::V128Load16x4U { .. }
        | O::V128Load32x2S { .. }
        | O::V128Load32x2U { .. }
        | O::V128Load8Splat { .. }
        | O::V128Load16Splat { .. }
        | O::V128Load32Splat { .. }
        | O::V128Load64Splat { .. }
        | O::V128Load32Zero { .. }
        | O::V128Load64Zero { .. } => (1, true),
        O::V128Load8Lane { .. }
        | O::V128Load16Lane { .. }
        | O::V128Load32Lane { .. }
        | O::V128Load64Lane { .. } => (2, true),
        O::I32Store { .. }
        | O::I64Store { .. }
        | O::F32Store { .. }
        | O::F64Store { .. }
        | O::I32Store8 { .. }
        | O::I32Store16 { .. }
        | O::I64Store8 { .. }
        | O::I64Store16 { .. }
        | O::I64Store32 { .. }
        | O::V128Store { .. }
        | O::V128Store8Lane { .. }
        | O::V128Store16Lane { .. }
        | O::V128Store32Lane { .. }
        | O::V128Store64Lane { .. } => (2, false),
        _ => return None,
    })
}

/// What an instruction does to the region checks known.
enum Control {
    /// Starts a block, an `if`, a `try_table` or a legacy `try`.
    Open,
    Loop,
    Else,
    /// `end`, or a legacy `delegate` (which ends a `try`).
    Close,
    /// A legacy `catch` or `catch_all`.
    Handler,
    /// Writes a local (`u32::MAX` when its index cannot be read).
    Write(u32),
    /// `local.tee`: writes a local and leaves its value on the stack.
    Tee(u32),
    /// `local.get`.
    Read(u32),
    None,
}

/// [`Control`] of an instruction `body::plain_len` accepts.
fn plain_kind(code: &[u8]) -> Control {
    let local = || super::body::leb_value(&code[1..]).map_or(u32::MAX, |(index, _)| index);
    match code[0] {
        0x02 | 0x04 => Control::Open,
        0x03 => Control::Loop,
        0x05 => Control::Else,
        0x0B | 0x18 => Control::Close,
        0x19 => Control::Handler,
        0x21 => Control::Write(local()),
        0x22 => Control::Tee(local()),
        0x20 => Control::Read(local()),
        _ => Control::None,
    }
}

/// [`Control`] of any other instruction.
fn operator_kind(op: &Operator<'_>) -> Control {
    match *op {
        Operator::Block { .. }
        | Operator::If { .. }
        | Operator::Try { .. }
        | Operator::TryTable { .. } => Control::Open,
        Operator::Loop { .. } => Control::Loop,
        Operator::Else => Control::Else,
        Operator::End | Operator::Delegate { .. } => Control::Close,
        Operator::Catch { .. } | Operator::CatchAll => Control::Handler,
        Operator::LocalSet { local_index } => Control::Write(local_index),
        Operator::LocalTee { local_index } => Control::Tee(local_index),
        Operator::LocalGet { local_index } => Control::Read(local_index),
        _ => Control::None,
    }
}

/// The locals each loop of a body's `code` writes anywhere in it, loops
/// in the order they start, each list sorted.
fn loop_writes(
    code: &[u8],
    start: usize,
    features: wasmparser::WasmFeatures,
) -> wasmparser::Result<Vec<Vec<u32>>> {
    let mut loops: Vec<Vec<u32>> = Vec::new();
    // the blocks open, `Some` for a loop (its number), and the loops open
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut open_loops: Vec<usize> = Vec::new();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        // (loads and stores of memory 0 skipped by their bytes too)
        let control = match super::body::plain_len(rest, true) {
            Some(len) => {
                at += len;
                plain_kind(&rest[..len])
            }
            None => {
                let mut reader = wasmparser::OperatorsReader::new(
                    wasmparser::BinaryReader::new_features(rest, start + at, features),
                );
                let op = reader.read()?;
                at = reader.original_position() - start;
                operator_kind(&op)
            }
        };
        match control {
            Control::Open => open.push(None),
            Control::Loop => {
                open.push(Some(loops.len()));
                open_loops.push(loops.len());
                loops.push(Vec::new());
            }
            Control::Close => {
                if let Some(Some(n)) = open.pop() {
                    open_loops.pop();
                    loops[n].sort_unstable();
                    loops[n].dedup();
                    // (an outer loop started before)
                    if let Some(&outer) = open_loops.last() {
                        let (before, inner) = loops.split_at_mut(n);
                        before[outer].extend_from_slice(&inner[0]);
                    }
                }
            }
            Control::Write(index) | Control::Tee(index) => {
                if let Some(&n) = open_loops.last() {
                    loops[n].push(index);
                }
            }
            Control::Else | Control::Handler | Control::Read(_) | Control::None => {}
        }
    }
    Ok(loops)
}

/// The region checks known to hold where the rewrite is, for accesses
/// whose address is a local's value (as [`Stack`] knows it):
/// `(local, region, end)` when a check
/// showed `local + end` within the region's current size. A later access
/// from the same local, unchanged, ending no further needs no check of
/// its own: a region never shrinks, so the check still holds. And which
/// locals are another's value plus a bounded number (`(local, source,
/// plus)`), so that a check of the other covers them too.
///
/// Where branches may arrive, only what holds on every path into the
/// point is kept. Control in wasm is structured, so every path into a
/// label passes through the start of its block: at a block's (or `if`'s)
/// `end`, the checks known at its start hold but for the locals written
/// anywhere in it since; at `else`, those known at the `if` (no
/// instruction runs between the two); at a loop's start, those known
/// before the loop but for the locals written anywhere in its body (read
/// ahead, [`loop_writes`]); in a legacy exception handler, those known at
/// its `try` but for the locals written since. A loop's `end` is reached
/// only by falling through, and keeps what is known there.
struct Checked<'a> {
    known: Known,
    /// The blocks the rewrite is in, innermost last.
    frames: Vec<Open>,
    /// Counts the blocks entered; `written[local]` is the count when the
    /// local was last written, so a local was written in a block when
    /// that is at least the count the block started with.
    clock: u32,
    written: Vec<u32>,
    /// The locals written in each loop of the body, in order (read ahead
    /// at the first loop), and how many loops the rewrite has entered.
    loops: Option<Vec<Vec<u32>>>,
    loops_entered: usize,
    /// The body's code from its first instruction, where that starts in
    /// the input, and the features to read it with: for [`loop_writes`].
    code: &'a [u8],
    start: usize,
    features: wasmparser::WasmFeatures,
    /// Whether the body is wrapped in a block that traps after it.
    wrapped: bool,
}

/// How many sums [`Checked`] keeps (the latest): forgetting is always
/// safe, and each block's start copies what is known.
const SUMS_KEPT: usize = 16;

/// What [`Checked`] knows of the locals' current values.
#[derive(Clone, Default)]
struct Known {
    /// `(local, k, end)`: `local + end` lies within region `k`'s current
    /// size (for the last region, whose checks hold for any offset, `end`
    /// is 0).
    within: Vec<(u32, u32, u64)>,
    /// `(local, source, plus)`: `local` is `source`'s value plus a number
    /// no larger than `plus`, added in 32 bits.
    sums: Sums,
}

/// The latest [`SUMS_KEPT`] sums known, oldest first, in place: every
/// block's start copies them.
#[derive(Clone, Copy, Default)]
struct Sums {
    at: [(u32, u32, u32); SUMS_KEPT],
    len: usize,
}

impl Sums {
    fn iter(&self) -> impl Iterator<Item = &(u32, u32, u32)> {
        self.at[..self.len].iter()
    }

    /// Adds a sum, forgetting the oldest when full.
    fn push(&mut self, sum: (u32, u32, u32)) {
        if self.len == SUMS_KEPT {
            self.at.copy_within(1.., 0);
            self.len -= 1;
        }
        self.at[self.len] = sum;
        self.len += 1;
    }

    fn retain(&mut self, keep: impl Fn(&(u32, u32, u32)) -> bool) {
        let mut kept = 0;
        for i in 0..self.len {
            if keep(&self.at[i]) {
                self.at[kept] = self.at[i];
                kept += 1;
            }
        }
        self.len = kept;
    }
}

impl Known {
    /// Forgets what is known of the locals `written` picks.
    fn forget(&mut self, written: impl Fn(u32) -> bool) {
        self.within.retain(|&(l, _, _)| !written(l));
        self.sums.retain(|&(l, s, _)| !written(l) && !written(s));
    }

    fn clear(&mut self) {
        self.within.clear();
        self.sums.len = 0;
    }
}

/// What a block is, for what its `end` keeps.
#[derive(Clone, Copy, PartialEq)]
enum Frame {
    /// `block`, `if`, `try_table`, a legacy `try`.
    Block,
    Loop,
}

struct Open {
    frame: Frame,
    /// What was known at the start.
    known: Known,
    /// `clock` when the block was entered.
    entered: u32,
}

impl<'a> Checked<'a> {
    fn new(
        code: &'a [u8],
        start: usize,
        features: wasmparser::WasmFeatures,
        wrapped: bool,
    ) -> Checked<'a> {
        Checked {
            wrapped,
            known: Known::default(),
            frames: Vec::new(),
            clock: 0,
            written: Vec::new(),
            loops: None,
            loops_entered: 0,
            code,
            start,
            features,
        }
    }

    /// Follows what one instruction does; `top` is what [`Stack`] knew of
    /// the value on top of the stack before it (what a write assigns).
    fn apply(&mut self, control: Control, top: Option<Value>) -> wasmparser::Result<()> {
        match control {
            Control::Open => self.enter(Frame::Block),
            Control::Loop => self.enter_loop()?,
            Control::Else => self.otherwise(),
            Control::Close => self.end(),
            Control::Handler => self.handler(),
            Control::Write(index) | Control::Tee(index) => self.assign(index, top),
            Control::Read(_) | Control::None => {}
        }
        Ok(())
    }

    /// How a check here traps: through the blocks open in the body and
    /// the one that holds its results, when it is wrapped.
    fn trap(&self) -> Trap {
        match self.wrapped {
            true => Trap::Branch(self.frames.len() as u32 + 1),
            false => Trap::Here,
        }
    }

    /// Whether a check made before covers `local`'s value up to `end` in
    /// region `k`.
    fn covers(&self, local: u32, k: u32, end: u64) -> bool {
        self.known
            .within
            .iter()
            .any(|&(l, r, e)| l == local && r == k && e >= end)
    }

    /// Whether a check made before covers `local`'s value plus any number
    /// up to `plus`, up to `end` in region `k`: the local's own, or one of
    /// a local it is the sum of. Sound as no sum wraps: `source + plus +
    /// end` lies in the region, below 4 GiB.
    fn covers_sum(&self, (local, plus): (u32, u32), k: u32, end: u64) -> bool {
        let end = u64::from(plus) + end;
        self.covers(local, k, end)
            || self.known.sums.iter().any(|&(l, source, more)| {
                l == local && self.covers(source, k, u64::from(more) + end)
            })
    }

    fn record(&mut self, local: u32, k: u32, end: u64) {
        let within = &mut self.known.within;
        match within.iter_mut().find(|(l, r, _)| *l == local && *r == k) {
            Some(entry) => entry.2 = entry.2.max(end),
            None => within.push((local, k, end)),
        }
    }

    /// What `open` knew at its start, but for the locals written since.
    fn unwritten(&self, open: &Open) -> Known {
        let mut known = open.known.clone();
        known.forget(|l: u32| {
            self.written
                .get(l as usize)
                .is_some_and(|&w| w >= open.entered)
        });
        known
    }

    fn enter(&mut self, frame: Frame) {
        self.clock += 1;
        self.frames.push(Open {
            frame,
            known: self.known.clone(),
            entered: self.clock,
        });
    }

    /// A `loop`: what is known before it holds on its back edges too,
    /// but for the locals its body writes.
    fn enter_loop(&mut self) -> wasmparser::Result<()> {
        if self.loops.is_none() {
            self.loops = Some(loop_writes(self.code, self.start, self.features)?);
        }
        let n = self.loops_entered;
        self.loops_entered += 1;
        let writes = self.loops.as_ref().and_then(|loops| loops.get(n));
        match writes {
            // (`u32::MAX`, an index that could not be read, sorts last)
            Some(writes) if writes.last() != Some(&u32::MAX) => {
                self.known.forget(|l| writes.binary_search(&l).is_ok())
            }
            _ => self.known.clear(),
        }
        self.enter(Frame::Loop);
        Ok(())
    }

    /// `else`: what held at the `if`.
    fn otherwise(&mut self) {
        self.known = match self.frames.last() {
            Some(open) => open.known.clone(),
            None => Known::default(),
        };
    }

    /// A legacy `catch` or `catch_all`: reached from anywhere in the
    /// `try`'s body.
    fn handler(&mut self) {
        self.known = match self.frames.last() {
            Some(open) => self.unwritten(open),
            None => Known::default(),
        };
    }

    /// `end`, or a legacy `delegate`.
    fn end(&mut self) {
        match self.frames.pop() {
            Some(open) if open.frame == Frame::Loop => {}
            Some(open) => self.known = self.unwritten(&open),
            None => self.known.clear(),
        }
    }

    /// A write of `local`; `u32::MAX` (an index that could not be read)
    /// forgets everything.
    fn write(&mut self, local: u32) {
        if local == u32::MAX {
            self.known.clear();
            for open in &mut self.frames {
                open.known.clear();
            }
            return;
        }
        self.known.forget(|l| l == local);
        self.written_now(local);
    }

    /// Notes that `local` is written in the blocks open now.
    fn written_now(&mut self, local: u32) {
        let i = local as usize;
        if self.written.len() <= i {
            self.written.resize(i + 1, 0);
        }
        self.written[i] = self.clock;
    }

    /// A write of `value` (what [`Stack`] knows of it) to `local`. When
    /// it is a local's value plus at most `plus`, `local` is that sum
    /// (and, through the first sum that local is known to be, a sum of
    /// that one's local; only the latest [`SUMS_KEPT`] sums are kept).
    /// And what a check
    /// covered of the other local, past `plus`, it covers of `local`:
    /// `source + end` in the region means `source + plus` did not wrap.
    /// The same holds when `local` is written with its own value plus a
    /// number (`p += 8`).
    fn assign(&mut self, local: u32, value: Option<Value>) {
        let sum = value.and_then(Value::local);
        let Some((source, plus)) = sum.filter(|_| local != u32::MAX) else {
            return self.write(local);
        };
        let further = self.known.sums.iter().find_map(|&(l, s, more)| {
            (l == source && s != local).then_some((local, s, plus.checked_add(more)?))
        });
        let within = &mut self.known.within;
        if source == local {
            // `p += n`: what was known of `p`, `n` bytes less far
            within.retain_mut(|(l, _, end)| match end.checked_sub(u64::from(plus)) {
                _ if *l != local => true,
                Some(less) => {
                    *end = less;
                    true
                }
                None => false,
            });
            self.known
                .sums
                .retain(|&(l, s, _)| l != local && s != local);
            self.written_now(local);
        } else {
            self.write(local);
            let within = &mut self.known.within;
            for i in 0..within.len() {
                let (l, k, end) = within[i];
                if l == source && end >= u64::from(plus) {
                    within.push((local, k, end - u64::from(plus)));
                }
            }
            self.known.sums.push((local, source, plus));
        }
        if let Some(further) = further {
            self.known.sums.push(further);
        }
    }

    /// What an access `(region, offset, size)` whose address on the stack
    /// is `address` (what [`Stack`] knows of it) needs: no check when it
    /// is no larger than a bound that keeps the access inside the region's
    /// initial size, or when a check made before covers it (a local's
    /// value, or a sum of one); else the check (remembered, when the
    /// address is a local's value). And the region's base added unless it
    /// is 0. `within`: a load (or store) of generated
    /// code whose own range check covers it (`Body::within`), trusted in a
    /// region below 4 GiB, where its 32-bit sums cannot wrap.
    fn access(
        &mut self,
        regions: &Regions,
        address: Option<Value>,
        (k, offset, size): (u32, u64, u32),
        within: bool,
    ) -> Result<Access> {
        let r = regions.region(k)?;
        // the last region at base 0 needs nothing (`address`)
        if !r.checked && r.base == 0 {
            return Ok(Access::AsIs);
        }
        // A constant address whose access ends within the region's
        // initial size is always inside it: a region never shrinks (the
        // statics of a guest, below its heap). Nor can the base added
        // wrap: the region lies below 4 GiB.
        let unchecked = match r.base {
            0 => Access::AsIs,
            _ => Access::Rebase,
        };
        if let Some(Value::AtMost(c)) = address
            && u64::from(c) + offset + u64::from(size) <= u64::from(r.initial) * PAGE
        {
            return Ok(unchecked);
        }
        if within && u64::from(r.max) < MAX_PAGES {
            return Ok(unchecked);
        }
        // the last region's check holds for any offset
        let end = match r.checked {
            true => offset + u64::from(size),
            false => 0,
        };
        // the same local, unchanged, already checked this far (or the one
        // the address is a sum of, that far past the sum)
        if let Some(sum) = address.and_then(Value::local)
            && self.covers_sum(sum, k, end)
        {
            return Ok(unchecked);
        }
        let base = match address {
            Some(Value::Local(local)) => Some(local),
            _ => None,
        };
        if let Some(local) = base {
            self.record(local, k, end);
        }
        Ok(Access::Check(base, self.trap()))
    }

    /// [`Checked::access`] and [`Access::emit`] for an access whose
    /// address lies under the value it stores (a store's, a lane's): the
    /// value waits in `temps[0]` while the address needs code. `within`:
    /// a store of generated code into a block it checked itself
    /// (`Body::store_within`), trusted as [`Checked::access`] trusts a
    /// load.
    fn under_value(
        &mut self,
        emit: &mut dyn FnMut(&[I<'_>]),
        regions: &Regions,
        base: Option<Value>,
        access: (u32, u64, u32),
        within: bool,
        [value, address]: [u32; 2],
    ) -> Result<MemArg> {
        let plan = self.access(regions, base, access, within)?;
        if plan == Access::AsIs {
            return plan.emit(emit, regions, access, address);
        }
        emit(&[I::LocalSet(value)]);
        let arg = plan.emit(emit, regions, access, address)?;
        emit(&[I::LocalGet(value)]);
        Ok(arg)
    }
}

/// What [`Checked::access`] found an access needs.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// Nothing: the address is the one in the single memory.
    AsIs,
    /// The region's base added.
    Rebase,
    /// A check, then the base added; the address is the local's value,
    /// when it was read from one.
    Check(Option<u32>, Trap),
}

impl Access {
    /// Emits what the access needs, its address on the stack; `temp`
    /// holds the address for the check when no local does. Returns the
    /// memory argument of the access in the single memory.
    fn emit(
        self,
        emit: &mut dyn FnMut(&[I<'_>]),
        regions: &Regions,
        (k, offset, size): (u32, u64, u32),
        temp: u32,
    ) -> Result<MemArg> {
        match self {
            Access::AsIs | Access::Rebase => rebase_address(emit, regions, k, offset, size),
            Access::Check(local, trap) => {
                address(emit, regions, k, offset, size, local.ok_or(temp), trap)
            }
        }
    }
}

/// For an access of `size` bytes at `offset` from the address on the
/// stack, in region `k`: traps if it leaves the region's current size,
/// then leaves the address moved into the region. `held` is where the
/// address is kept meanwhile: `Ok(local)` when it is that local's value
/// already, `Err(temp)` a local to keep it in. Returns the memory
/// argument of the access in the single memory.
fn address(
    emit: &mut dyn FnMut(&[I<'_>]),
    regions: &Regions,
    k: u32,
    offset: u64,
    size: u32,
    held: std::result::Result<u32, u32>,
    trap: Trap,
) -> Result<MemArg> {
    let r = regions.region(k)?;
    let (keep, local) = match held {
        Ok(local) => (None, local),
        Err(temp) => (Some(I::LocalTee(temp)), temp),
    };
    if r.checked {
        emit(keep.as_slice());
        emit(&[
            I::I64ExtendI32U,
            I::I64Const((offset + u64::from(size)) as i64),
            I::I64Add,
            I::GlobalGet(regions.bytes(k)),
            I::I64GtU,
        ]);
        trap.emit(emit);
        emit(&[I::LocalGet(local)]);
    } else if r.base != 0 {
        // The last region: the engine's bounds check at the memory's end
        // is exact, once the base added cannot wrap the address around
        // 4 GiB into another region (the original memory traps there).
        emit(keep.as_slice());
        emit(&[I::I32Const(0u32.wrapping_sub(r.base) as i32), I::I32GeU]);
        trap.emit(emit);
        emit(&[I::LocalGet(local)]);
    }
    rebase_address(emit, regions, k, offset, size)
}

/// [`address`] without the check (one made before covers the access).
/// The base is added to the address, not to the access's offset: an
/// offset beyond the engine's guard pages would cost a bounds check of
/// its own at every access.
fn rebase_address(
    emit: &mut dyn FnMut(&[I<'_>]),
    regions: &Regions,
    k: u32,
    offset: u64,
    size: u32,
) -> Result<MemArg> {
    let r = regions.region(k)?;
    if r.base != 0 {
        emit(&[I::I32Const(r.base as i32), I::I32Add]);
    }
    Ok(MemArg {
        offset,
        align: size.trailing_zeros(),
        memory_index: 0,
    })
}

/// Traps unless `addr .. addr + len` (locals) lies in region `k`'s current
/// size: for every region but the last, and for the last when it has a
/// base (which [`rebased`] adds, wrapping around near 4 GiB).
fn check_range(
    emit: &mut dyn FnMut(&[I<'_>]),
    regions: &Regions,
    k: u32,
    addr: u32,
    len: u32,
    trap: Trap,
) -> Result<()> {
    let r = regions.region(k)?;
    if r.checked || r.base != 0 {
        emit(&[
            I::LocalGet(addr),
            I::I64ExtendI32U,
            I::LocalGet(len),
            I::I64ExtendI32U,
            I::I64Add,
            I::GlobalGet(regions.bytes(k)),
            I::I64GtU,
        ]);
        trap.emit(emit);
    }
    Ok(())
}

/// How a failed check traps.
#[derive(Clone, Copy, PartialEq)]
enum Trap {
    /// `if unreachable end` where the check is.
    Here,
    /// `br_if` this many labels out, to the block the body is wrapped in,
    /// after which it traps: the engine lays the trap out after the
    /// function's code, and a check that passes falls through.
    Branch(u32),
}

impl Trap {
    fn emit(self, emit: &mut dyn FnMut(&[I<'_>])) {
        match self {
            Trap::Here => emit(&[I::If(BlockType::Empty), I::Unreachable, I::End]),
            Trap::Branch(depth) => emit(&[I::BrIf(depth)]),
        }
    }
}

/// Pushes local `addr` moved into region `k`.
fn rebased(emit: &mut dyn FnMut(&[I<'_>]), regions: &Regions, k: u32, addr: u32) -> Result<()> {
    let r = regions.region(k)?;
    emit(&[I::LocalGet(addr)]);
    if r.base != 0 {
        emit(&[I::I32Const(r.base as i32), I::I32Add]);
    }
    Ok(())
}

/// Index maps of generated code: it already uses fused indices.
struct Fused;

impl Reencode for Fused {
    type Error = Error;
}

/// Rewrites a generated function (already in fused indices).
pub(crate) fn rewrite_generated(
    func: wasm_encoder::Function,
    ty: &wasmparser::FuncType,
    regions: &Regions,
    covered: &[u32],
) -> Result<wasm_encoder::Function> {
    let raw = func.into_raw_body();
    let body = FunctionBody::new(wasmparser::BinaryReader::new(&raw, 0));
    rewrite(&body, ty, &mut Fused, regions, covered, None).map_err(|e| match e {
        ReencodeError::UserError(e) => e,
        other => Error::internal(format!("re-encoding generated code: {other}")),
    })
}

/// A memory-accessing instruction [`rewrite`] does not handle: atomics.
/// Everything else is matched explicitly there (a SIMD access it missed
/// would be refused here too).
fn classify(proposal: &str, name: &'static str) -> Option<&'static str> {
    let simd = matches!(proposal, "simd" | "relaxed_simd");
    let threads = matches!(proposal, "threads" | "shared_everything_threads");
    let memory = name.starts_with("V128Load") || name.starts_with("V128Store");
    ((simd && memory) || (threads && name.contains("Atomic"))).then_some(name)
}

/// Whether a body has an access that keeps a vector aside while its
/// address is checked (`v128.store`, the lane loads and stores): SIMD
/// opcodes begin with byte 0xFD, so a body without one is not read.
fn stores_vectors(body: &FunctionBody<'_>) -> wasmparser::Result<bool> {
    if !body.as_bytes().contains(&0xFD) {
        return Ok(false);
    }
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        if matches!(
            ops.read()?,
            Operator::V128Store { .. }
                | Operator::V128Load8Lane { .. }
                | Operator::V128Load16Lane { .. }
                | Operator::V128Load32Lane { .. }
                | Operator::V128Load64Lane { .. }
                | Operator::V128Store8Lane { .. }
                | Operator::V128Store16Lane { .. }
                | Operator::V128Store32Lane { .. }
                | Operator::V128Store64Lane { .. }
        ) {
            return Ok(true);
        }
    }
    Ok(false)
}

macro_rules! define_not_rewritten {
    ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        fn not_rewritten(op: &Operator<'_>) -> Option<&'static str> {
            #[allow(unreachable_patterns, reason = "the listing covers every operator today")]
            match op {
                $( Operator::$op { .. } => classify(stringify!($proposal), stringify!($op)), )*
                _ => None,
            }
        }
    };
}
wasmparser::for_each_operator!(define_not_rewritten);

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(initial: u64, maximum: Option<u64>) -> MemoryType {
        MemoryType {
            memory64: false,
            shared: false,
            initial,
            maximum,
            page_size_log2: None,
        }
    }

    #[test]
    fn the_host_facing_memory_comes_first_and_the_last_region_is_unchecked() {
        let memories = [memory(1, None), memory(2, Some(8)), memory(17, None)];
        let (order, regions, _) = Regions::plan(&memories, Some(1), &[0; 3], 16).expect("fits");
        assert_eq!(order, [1, 0, 2]);
        // Declared maximum 8 pages; default 16; at least the initial size.
        assert_eq!(
            (regions[1].base, regions[1].max, regions[1].checked),
            (0, 8, true)
        );
        assert_eq!(
            (regions[0].base, regions[0].max, regions[0].checked),
            (8 << 16, 16, true)
        );
        assert_eq!(
            (regions[2].base, regions[2].max, regions[2].checked),
            (24 << 16, 17, false)
        );
        let plan = Regions {
            regions,
            first_global: 0,
            first_grow: 0,
        };
        let single = plan.memory_type(2);
        assert_eq!((single.minimum, single.maximum), (24 + 17, Some(24 + 17)));
    }

    #[test]
    fn the_memories_with_the_most_code_go_to_base_0_and_last() {
        let memories = [memory(1, None); 4];
        // none pinned: the most code at base 0, the next most last
        let (order, regions, _) =
            Regions::plan(&memories, None, &[10, 50, 0, 30], 16).expect("fits");
        assert_eq!(order, [1, 0, 2, 3]);
        assert_eq!((regions[1].base, regions[3].checked), (0, false));
        // the host's memory keeps base 0; the most code of the rest last
        let (order, _, _) = Regions::plan(&memories, Some(2), &[10, 50, 0, 30], 16).expect("fits");
        assert_eq!(order, [2, 0, 3, 1]);
        // no code anywhere: index order
        let (order, _, _) = Regions::plan(&memories, None, &[0; 4], 16).expect("fits");
        assert_eq!(order, [0, 1, 2, 3]);
    }

    #[test]
    fn regions_beyond_4_gib_shrink_down_to_initial_sizes() {
        // 4 × 40,000 pages do not fit in 65,536: the largest shrink, the
        // small one with a maximum keeps it, none goes below its initial.
        let memories = [
            memory(1, None),
            memory(30_000, None),
            memory(2, Some(4)),
            memory(1, None),
        ];
        let (_, regions, note) = Regions::plan(&memories, None, &[0; 4], 40_000).expect("fits");
        let sizes: Vec<u32> = regions.iter().map(|r| r.max).collect();
        assert_eq!(sizes[2], 4);
        assert_eq!(sizes[1], 30_000);
        assert_eq!(sizes[0], sizes[3]);
        let total: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
        assert!(total <= MAX_PAGES && total > MAX_PAGES - 4, "{sizes:?}");
        assert!(note.expect("a warning").contains("made smaller"));
        // What fits needs no note.
        let (_, _, note) = Regions::plan(&memories, None, &[0; 4], 16).expect("fits");
        assert_eq!(note, None);
    }

    #[test]
    fn initial_sizes_beyond_4_gib_are_refused() {
        let memories = [memory(40_000, None), memory(40_000, None)];
        let err = Regions::plan(&memories, None, &[0; 2], 16).expect_err("too big");
        assert_eq!(err.kind(), crate::ErrorKind::Unsupported);
        assert!(err.message().contains("--memory multi"), "{err}");
    }

    /// The region checks `rewrite` leaves in a body: one `global.get` of
    /// the region's size each.
    fn checks_left(body: &[I<'_>]) -> usize {
        let mut f = wasm_encoder::Function::new([(4, wasm_encoder::ValType::I32)]);
        for i in body {
            f.instruction(i);
        }
        f.instruction(&I::End);
        checks_in(f, &[], 2).expect("rewrites")
    }

    /// [`checks_left`] of a generated function with `covered` loads, in a
    /// region of `max` pages at base 64 KiB.
    fn checks_in(f: wasm_encoder::Function, covered: &[u32], max: u32) -> Result<usize> {
        let regions = Regions {
            regions: vec![Region {
                base: 1 << 16,
                initial: 1,
                max,
                checked: true,
            }],
            first_global: 0,
            first_grow: 0,
        };
        let ty = wasmparser::FuncType::new([wasmparser::ValType::I32], []);
        let out = rewrite_generated(f, &ty, &regions, covered)?;
        let raw = out.into_raw_body();
        let body = FunctionBody::new(wasmparser::BinaryReader::new(&raw, 0));
        let mut ops = body.get_operators_reader().expect("operators");
        let mut n = 0;
        while !ops.eof() {
            if let Operator::GlobalGet { .. } = ops.read().expect("an operator") {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Failed checks branch to one trap after the body, through the
    /// blocks they are in, instead of each trapping where it is (the
    /// engine lays that one out of the way). Run: in range the function
    /// returns what is there; past the region's one page each check
    /// traps, the one in a loop in a block too.
    #[test]
    fn failed_checks_branch_to_one_trap_after_the_body() {
        let mut f = wasm_encoder::Function::new([]);
        for i in [
            I::Block(BlockType::Empty),
            I::Loop(BlockType::Empty),
            I::LocalGet(0),
            load(0),
            I::Drop,
            I::End,
            I::End,
            I::LocalGet(0),
            load(4),
            I::End,
        ] {
            f.instruction(&i);
        }
        let regions = Regions {
            regions: vec![Region {
                base: 1 << 16,
                initial: 1,
                max: 2,
                checked: true,
            }],
            first_global: 0,
            first_grow: 0,
        };
        let ty = wasmparser::FuncType::new([wasmparser::ValType::I32], [wasmparser::ValType::I32]);
        let out = rewrite_generated(f, &ty, &regions, &[]).expect("rewrites");
        let raw = out.clone().into_raw_body();
        let body = FunctionBody::new(wasmparser::BinaryReader::new(&raw, 0));
        let mut ops = body.get_operators_reader().expect("operators");
        let (mut traps, mut depths) = (0, Vec::new());
        while !ops.eof() {
            match ops.read().expect("an operator") {
                Operator::Unreachable => traps += 1,
                Operator::BrIf { relative_depth } => depths.push(relative_depth),
                _ => {}
            }
        }
        assert_eq!((traps, depths), (1, vec![3, 1]));
        let (mut store, f) = instance(&out, &regions, 0);
        assert_eq!(f.call(&mut store, 0).expect("in range"), 7);
        // the load after the loop leaves the page; then the one in it
        assert!(f.call(&mut store, (1 << 16) - 4).is_err());
        assert!(f.call(&mut store, (1 << 16) - 3).is_err());
    }

    /// A module with one memory for `regions` (its last region `last`) and
    /// the rewritten function `out`, of type `[i32] -> [i32]`; a segment
    /// writes 7 at byte 4 of the first region. Its store and the function.
    fn instance(
        out: &wasm_encoder::Function,
        regions: &Regions,
        last: usize,
    ) -> (wasmtime::Store<()>, wasmtime::TypedFunc<u32, u32>) {
        use wasm_encoder::{ConstExpr, ValType as V};
        let mut module = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([V::I32], [V::I32]);
        module.section(&types);
        let mut funcs = wasm_encoder::FunctionSection::new();
        funcs.function(0);
        module.section(&funcs);
        let mut memories = wasm_encoder::MemorySection::new();
        memories.memory(regions.memory_type(last));
        module.section(&memories);
        let mut globals = wasm_encoder::GlobalSection::new();
        regions.globals(&mut globals);
        module.section(&globals);
        let mut exports = wasm_encoder::ExportSection::new();
        exports.export("f", wasm_encoder::ExportKind::Func, 0);
        module.section(&exports);
        let mut code = wasm_encoder::CodeSection::new();
        code.function(out);
        module.section(&code);
        let mut data = wasm_encoder::DataSection::new();
        let first = regions.regions[0].base as i32;
        data.active(0, &ConstExpr::i32_const(first + 4), 7u32.to_le_bytes());
        module.section(&data);
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, module.finish()).expect("valid");
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).expect("instantiates");
        let f = instance
            .get_typed_func::<u32, u32>(&mut store, "f")
            .expect("f");
        (store, f)
    }

    /// `body` (with one local besides its parameter) rewritten for one
    /// page at base 0 followed by another, the last, where a check that
    /// goes missing lands instead of trapping; its store and function.
    fn after_a_region(body: &[I<'_>]) -> (wasmtime::Store<()>, wasmtime::TypedFunc<u32, u32>) {
        let mut f = wasm_encoder::Function::new([(1, wasm_encoder::ValType::I32)]);
        for i in body {
            f.instruction(i);
        }
        let region = |base, checked| Region {
            base,
            initial: 1,
            max: 1,
            checked,
        };
        let regions = Regions {
            regions: vec![region(0, true), region(1 << 16, false)],
            first_global: 0,
            first_grow: 0,
        };
        let ty = wasmparser::FuncType::new([wasmparser::ValType::I32], [wasmparser::ValType::I32]);
        let out = rewrite_generated(f, &ty, &regions, &[]).expect("rewrites");
        instance(&out, &regions, 1)
    }

    /// A store whose address local is written while its value is
    /// computed stores at the local's old value: a check of the local's
    /// new value does not cover it (the stack forgets the old value's
    /// local). Run, after a region.
    #[test]
    fn a_store_checks_the_address_it_stores_at_when_its_local_is_written_under_it() {
        let (mut store, f) = after_a_region(&[
            // the address: the parameter
            I::LocalGet(0),
            I::I32Const(4),
            I::LocalSet(0),
            // the value: a load that checks local 0, now 4
            I::LocalGet(0),
            load(0),
            store(0),
            // what the store wrote, when it was at 100
            I::I32Const(100),
            load(0),
            I::End,
        ]);
        assert_eq!(f.call(&mut store, 100).expect("in range"), 7);
        assert!(f.call(&mut store, 1 << 16).is_err());
        assert!(f.call(&mut store, (1 << 16) - 3).is_err());
    }

    /// A load generated code marks as inside a range it checked itself
    /// (`Body::within`) gets no region check, unless its region is 4 GiB
    /// (where the code's 32-bit sums could wrap); its neighbours do.
    #[test]
    fn a_load_the_generated_code_checked_itself_gets_no_region_check() {
        use crate::abi::Flat;
        use crate::adapt::body::Body;
        let function = || {
            let (mut body, params) = Body::new(&[Flat::I32]);
            body.get(params[0])
                .load_within(0, 0, 4, Flat::I32)
                .ins(I::Drop);
            body.get(params[0]).load(0, 4, 4, Flat::I32).ins(I::Drop);
            body.get(params[0])
                .load_within(0, 8, 1, Flat::I32)
                .ins(I::Drop);
            body.finish_covered()
        };
        let (f, covered) = function();
        assert_eq!(covered.len(), 2);
        assert_eq!(checks_in(f, &covered, 2).expect("rewrites"), 1);
        let (f, _) = function();
        assert_eq!(checks_in(f, &[], 2).expect("rewrites"), 3);
        let (f, covered) = function();
        let whole = MAX_PAGES as u32;
        assert_eq!(checks_in(f, &covered, whole).expect("rewrites"), 3);
        // an offset that is no load's is an internal error, not trusted
        let (f, covered) = function();
        let err = checks_in(f, &[covered[0] - 2], 2).expect_err("no load there");
        assert_eq!(err.kind(), crate::ErrorKind::Internal);
    }

    /// A store generated code marks as inside a block it checked itself
    /// (`Body::store_within`) gets no region check, unless its region is
    /// 4 GiB; its neighbour does.
    #[test]
    fn a_store_the_generated_code_checked_itself_gets_no_region_check() {
        use crate::abi::Flat;
        use crate::adapt::body::Body;
        let function = || {
            let (mut body, params) = Body::new(&[Flat::I32]);
            let p = params[0];
            body.get(p).get(p).store_within(0, 0, 4, Flat::I32);
            body.get(p).get(p).store(0, 4, 4, Flat::I32);
            body.get(p).i32(7).store_within(0, 8, 1, Flat::I32);
            body.finish_covered()
        };
        let (f, covered) = function();
        assert_eq!(covered.len(), 2);
        assert_eq!(checks_in(f, &covered, 2).expect("rewrites"), 1);
        let (f, _) = function();
        assert_eq!(checks_in(f, &[], 2).expect("rewrites"), 3);
        let (f, covered) = function();
        let whole = MAX_PAGES as u32;
        assert_eq!(checks_in(f, &covered, whole).expect("rewrites"), 3);
    }

    /// A copy whose two ranges the generated code checked itself
    /// (`Body::copy_within`: a `memory.copy`, or a loop of loads and
    /// stores) gets no region checks, only the bases added; unmarked, the
    /// `memory.copy` gets two and each load and store one.
    #[test]
    fn a_copy_the_generated_code_checked_itself_gets_no_region_check() {
        use crate::abi::Flat;
        use crate::adapt::body::Body;
        let function = |marked: bool| {
            let (mut body, params) = Body::new(&[Flat::I32]);
            let p = params[0];
            match marked {
                true => body.copy_within((0, p), (0, p), p),
                false => body.get(p).get(p).get(p).ins(I::MemoryCopy {
                    src_mem: 0,
                    dst_mem: 0,
                }),
            };
            body.finish_covered()
        };
        let (f, covered) = function(true);
        assert!(
            covered.len() > 1,
            "the copy and its loop's loads and stores"
        );
        assert_eq!(checks_in(f, &covered, 2).expect("rewrites"), 0);
        let (f, covered) = function(false);
        assert!(covered.is_empty());
        assert_eq!(checks_in(f, &covered, 2).expect("rewrites"), 2);
        let (f, covered) = function(true);
        let unmarked = checks_in(f, &[], 2).expect("rewrites");
        assert_eq!(
            unmarked,
            2 + covered.len() - 1,
            "two for the copy, one per access"
        );
    }

    fn load(offset: u64) -> I<'static> {
        I::I32Load(MemArg {
            offset,
            align: 2,
            memory_index: 0,
        })
    }

    #[test]
    fn a_load_a_check_already_covers_is_not_checked_again() {
        let get = I::LocalGet(0);
        // the second load ends further: checked; the third, within: not
        let straight = [
            get.clone(),
            load(0),
            I::Drop,
            get.clone(),
            load(4),
            I::Drop,
            get.clone(),
            load(2),
            I::Drop,
        ];
        assert_eq!(checks_left(&straight), 2);
        // writing the local forgets its checks
        let writes = [
            get.clone(),
            load(0),
            I::Drop,
            I::I32Const(8),
            I::LocalSet(0),
            get.clone(),
            load(0),
            I::Drop,
            I::I32Const(8),
            I::LocalTee(0),
            I::Drop,
            get.clone(),
            load(0),
            I::Drop,
            // an address the previous instruction did not read from a
            // local is always checked
            I::LocalGet(1),
            load(0),
            I::Drop,
            I::LocalGet(1),
            I::I32Const(0),
            I::I32Sub,
            load(0),
            I::Drop,
        ];
        assert_eq!(checks_left(&writes), 5);
        // an address `local.tee` left is that local's value
        let tee = [
            &[I::LocalGet(1), I::LocalTee(0), load(4), I::Drop][..],
            &read(0, 0), // covered by the load after the tee
            &[I::LocalGet(1), I::LocalTee(0), I::I32Const(7), store(0)],
            &read(0, 0), // covered by the store after the second
        ]
        .concat();
        assert_eq!(checks_left(&tee), 2);
    }

    /// `local.get l`, a load at `offset` from it, `drop`.
    fn read(l: u32, offset: u64) -> [I<'static>; 3] {
        [I::LocalGet(l), load(offset), I::Drop]
    }

    #[test]
    fn checks_known_at_a_block_hold_where_its_branches_arrive_but_for_locals_written_in_it() {
        let block = [
            &read(0, 0)[..], // checked
            &[I::Block(BlockType::Empty)],
            &read(0, 0), // known at the block's start
            &[I::End],
            &read(0, 0), // no local written in the block
            &[I::Block(BlockType::Empty)],
            &read(0, 4), // checked, further
            // a branch to the end, then local 0 written
            &[I::I32Const(1), I::BrIf(0), I::I32Const(8), I::LocalSet(0)],
            &[I::End],
            &read(0, 0), // checked: local 0 was written in the block
        ]
        .concat();
        assert_eq!(checks_left(&block), 3);
        let branches = [
            &read(0, 0)[..], // checked
            &read(1, 0),     // checked
            &[I::I32Const(1), I::If(BlockType::Empty)],
            &read(1, 4), // checked, further
            &read(0, 0), // known at the `if`
            &[I::Else],
            &read(1, 4), // checked: what `then` learned does not hold here
            &read(0, 0), // known at the `if`
            &[I::End],
            &read(0, 0), // known at the `if`, neither arm writes it
            &read(1, 4), // checked: only local 1 up to 4 holds on both arms
        ]
        .concat();
        assert_eq!(checks_left(&branches), 5);
    }

    #[test]
    fn a_loop_starts_with_what_was_known_before_it_but_for_the_locals_its_body_writes() {
        let lp = [
            &read(0, 0)[..], // checked
            &read(1, 0),     // checked
            &[I::Loop(BlockType::Empty)],
            &read(0, 0), // known before the loop, not written in it
            &read(1, 0), // checked: the back edge brings another local 1
            &[I::LocalGet(1), I::I32Const(4), I::I32Add, I::LocalSet(1)],
            &read(1, 0), // checked: written
            &[I::I32Const(0), I::BrIf(0), I::End],
            &read(1, 0), // the loop's end is only fallen through to: known
        ]
        .concat();
        assert_eq!(checks_left(&lp), 4);
        // a write in an inner loop is a write in the outer one's body
        let nested = [
            &read(0, 0)[..], // checked
            &[I::Loop(BlockType::Empty)],
            &read(0, 0), // checked
            &[
                I::Loop(BlockType::Empty),
                I::I32Const(8),
                I::LocalSet(0),
                I::End,
            ],
            &[I::End],
        ]
        .concat();
        assert_eq!(checks_left(&nested), 2);
    }

    fn store(offset: u64) -> I<'static> {
        I::I32Store(MemArg {
            offset,
            align: 2,
            memory_index: 0,
        })
    }

    #[test]
    fn a_store_a_check_covers_is_not_checked_again() {
        let (get, value) = (I::LocalGet(0), I::I32Const(7));
        let covered = [
            // checked: records local 0 up to 8
            get.clone(),
            value.clone(),
            store(4),
            // within: neither checked again
            get.clone(),
            value.clone(),
            store(0),
            get.clone(),
            load(4),
            I::Drop,
            // further: checked
            get.clone(),
            I::LocalGet(1),
            store(8),
        ];
        assert_eq!(checks_left(&covered), 2);
        // the address under a value computed by several instructions is
        // still the local's, while they leave it unwritten
        let computed = [
            get.clone(),
            load(8),
            I::Drop,
            get.clone(),
            I::I32Const(1),
            I::LocalGet(1),
            I::I32Load(MemArg {
                offset: 0,
                align: 2,
                memory_index: 0,
            }),
            I::I32Add,
            I::I32Const(3),
            I::I32Or,
            store(0),
        ];
        assert_eq!(checks_left(&computed), 2);
        let uncovered = [
            get.clone(),
            load(8),
            I::Drop,
            // the address is a difference, not the local
            get.clone(),
            I::I32Const(1),
            I::I32Sub,
            value.clone(),
            store(0),
            // the local is written while the value is computed
            get.clone(),
            I::I32Const(5),
            I::LocalTee(0),
            store(0),
            // one value only: the address is below what is known
            get.clone(),
            I::LocalTee(1),
            store(0),
            // a call forgets what the stack held
            I::LocalGet(1),
            load(8),
            I::Drop,
            I::LocalGet(1),
            I::Call(0),
            store(0),
        ];
        assert_eq!(checks_left(&uncovered), 6);
    }

    /// An access at a constant address (what an `i32.const` pushed, as
    /// [`Stack`] follows it) that ends within the
    /// region's initial size (one page here) needs no check: a region
    /// never shrinks. One that may end beyond it is checked.
    #[test]
    fn a_constant_address_within_the_initial_size_is_not_checked() {
        let c = |v: u32| I::I32Const(v as i32);
        let inside = [
            &[c(100), load(8), I::Drop][..],
            &[c(65_532), load(0), I::Drop],
            &[c(0), load(65_532), I::Drop],
            &[c(16), I::LocalGet(0), store(4)],
            &[c(16), I::I32Const(7), store(65_516)],
        ]
        .concat();
        assert_eq!(checks_left(&inside), 0);
        let beyond = [
            &[c(65_533), load(0), I::Drop][..],
            &[c(0), load(65_536), I::Drop],
            &[c(u32::MAX - 3), load(0), I::Drop],
            &[c(65_532), I::LocalGet(0), store(4)],
            // a product of constants is no bound known
            &[c(4), c(1), I::I32Mul, load(0), I::Drop],
            // nor what a block leaves
            &[
                I::Block(BlockType::Result(wasm_encoder::ValType::I32)),
                c(0),
                I::End,
            ],
            &[load(0), I::Drop],
        ]
        .concat();
        assert_eq!(checks_left(&beyond), 6);
        // under a value computed by several instructions
        let computed = [c(16), I::LocalGet(0), I::I32Const(1), I::I32Add, store(0)];
        assert_eq!(checks_left(&computed), 0);
    }

    /// Bounds [`Stack`] computes: of sums, masks and `select`s of
    /// constants.
    #[test]
    fn a_sum_mask_or_choice_of_constants_within_the_initial_size_is_not_checked() {
        let c = |v: u32| I::I32Const(v as i32);
        let inside = [
            &[c(65_000), c(532), I::I32Add, load(0), I::Drop][..],
            &[I::LocalGet(0), c(0xFFFC), I::I32And, load(0), I::Drop],
            &[c(8), c(65_532), I::LocalGet(0), I::Select, load(0), I::Drop],
        ]
        .concat();
        assert_eq!(checks_left(&inside), 0);
        let beyond = [
            &[c(65_000), c(533), I::I32Add, load(0), I::Drop][..],
            // a sum that wraps is no bound
            &[c(u32::MAX), c(2), I::I32Add, load(0), I::Drop],
            &[I::LocalGet(0), c(0xFFFD), I::I32And, load(0), I::Drop],
            &[c(8), c(65_533), I::LocalGet(0), I::Select, load(0), I::Drop],
            &[
                c(8),
                I::LocalGet(0),
                I::LocalGet(0),
                I::Select,
                load(0),
                I::Drop,
            ],
        ]
        .concat();
        assert_eq!(checks_left(&beyond), 5);
    }

    /// An address that is a local plus at most some number, on the stack
    /// or in another local, is covered by a check of the local that far
    /// past it.
    #[test]
    fn a_sum_a_check_of_its_local_covers_is_not_checked_again() {
        let (p, q, c) = (I::LocalGet(0), I::LocalGet(1), |v: u32| {
            I::I32Const(v as i32)
        });
        let sums = [
            &[p.clone(), load(12), I::Drop][..], // checked: p up to 16
            &[p.clone(), c(8), I::I32Add, load(4), I::Drop], // p + 8 + 8
            &[c(8), p.clone(), I::I32Add, load(8), I::Drop], // checked: p + 20
            // q = p + 8
            &[p.clone(), c(8), I::I32Add, I::LocalTee(1), load(4), I::Drop],
            &[q.clone(), load(0), I::Drop],
            &[q.clone(), load(8), I::Drop], // checked: q + 12
            &[q.clone(), load(8), I::Drop], // q's own check
            // the larger of p + 4 and p + 8, plus 8
            &[p.clone(), c(4), I::I32Add, p.clone(), c(8), I::I32Add],
            &[I::LocalGet(2), I::Select, load(4), I::Drop],
            // r = q + 4 = p + 12: within what p's check covers
            &[q.clone(), c(4), I::I32Add, I::LocalSet(3)],
            &[I::LocalGet(3), load(0), I::Drop],
            // p += 4: its check covers what is left of it
            &[p.clone(), c(4), I::I32Add, I::LocalSet(0)],
            &[p.clone(), load(8), I::Drop],
            &[p.clone(), load(12), I::Drop], // checked: p + 16
        ]
        .concat();
        assert_eq!(checks_left(&sums), 4);
        let unknown = [
            &[p.clone(), load(12), I::Drop][..], // checked
            // a sum that may wrap: p - 8
            &[p.clone(), c(u32::MAX - 7), I::I32Add, load(0), I::Drop],
            // q = s + 4, then s written: q is no longer known
            &[I::LocalGet(2), c(4), I::I32Add, I::LocalSet(1)],
            &[c(0), I::LocalSet(2), I::LocalGet(2), load(8), I::Drop], // checked
            &[q.clone(), load(0), I::Drop],                            // checked
            // what a sum made in a block is is not known after it
            &[
                I::Block(BlockType::Empty),
                p.clone(),
                I::LocalSet(3),
                I::End,
            ],
            &[I::LocalGet(3), load(0), I::Drop], // checked
            // nor in a loop whose body writes the local it is a sum of
            &[I::LocalGet(4), c(4), I::I32Add, I::LocalSet(3)],
            &[I::Loop(BlockType::Empty), I::LocalGet(4), load(8), I::Drop], // checked
            &[I::LocalGet(3), load(0), I::Drop],                            // checked
            &[c(0), I::LocalSet(4), I::End],
        ]
        .concat();
        assert_eq!(checks_left(&unknown), 7);
    }

    /// Run: a local that was a sum of another, written since, is checked
    /// at its own value, as is a sum that wraps around 4 GiB.
    #[test]
    fn a_sum_is_checked_once_the_local_it_was_made_of_is_written() {
        let (mut store, f) = after_a_region(&[
            // x = p + 4
            I::LocalGet(0),
            I::I32Const(4),
            I::I32Add,
            I::LocalSet(1),
            // p = 0, checked up to 12
            I::I32Const(0),
            I::LocalSet(0),
            I::LocalGet(0),
            load(8),
            I::Drop,
            // x - 4, which wraps when x is below 4
            I::LocalGet(1),
            I::I32Const(-4),
            I::I32Add,
            load(0),
            I::Drop,
            I::LocalGet(1),
            load(0),
            I::End,
        ]);
        assert_eq!(f.call(&mut store, 4).expect("in range"), 0);
        assert_eq!(f.call(&mut store, 0).expect("in range"), 7);
        // x is the first byte past the region
        assert!(f.call(&mut store, (1 << 16) - 4).is_err());
        // x - 4 wraps
        assert!(f.call(&mut store, u32::MAX - 3).is_err());
    }

    /// Run: a local written with a sum of a checked one is covered that
    /// much less far than the checked one.
    #[test]
    fn a_sum_of_a_checked_local_is_covered_only_as_far_as_the_sum_leaves() {
        let (mut store, f) = after_a_region(&[
            // p checked up to 12
            I::LocalGet(0),
            load(8),
            I::Drop,
            // q = p + 8: covered up to 4
            I::LocalGet(0),
            I::I32Const(8),
            I::I32Add,
            I::LocalSet(1),
            I::LocalGet(1),
            load(0),
            I::Drop,
            // up to 8: checked
            I::LocalGet(1),
            load(4),
            I::End,
        ]);
        assert_eq!(f.call(&mut store, 0).expect("in range"), 0);
        assert_eq!(f.call(&mut store, (1 << 16) - 16).expect("in range"), 0);
        assert!(f.call(&mut store, (1 << 16) - 12).is_err());
    }

    #[test]
    fn shared_and_64_bit_memories_are_refused() {
        let mut shared = memory(1, Some(1));
        shared.shared = true;
        assert!(Regions::plan(&[shared], None, &[0], 16).is_err());
        let mut wide = memory(1, None);
        wide.memory64 = true;
        assert!(Regions::plan(&[wide], None, &[0], 16).is_err());
    }
}
