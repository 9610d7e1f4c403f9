//! Argument values for exported functions, generated from their WIT types.
//!
//! Every function is first called with *edge* values — for each parameter
//! type a fixed list of boundary cases (0, 1, -1, MIN, MAX, width
//! boundaries, NaN, ±0.0, ±inf, subnormals, surrogate-adjacent and astral
//! chars, empty/long/non-ASCII strings, every enum case and variant case,
//! none/some, ok/err, empty/all flags) — and then with pseudo-random values
//! from a seeded xorshift generator. Generation is a pure function of the
//! seed, the function's name and its type: the original and the fused
//! component always see the same argument sequence, run after run.
//!
//! Resources cannot be conjured from nothing: a generator given a side's
//! [`Pool`] takes `own` and `borrow` values from it (one tuple at a time,
//! since `own` parameters use pool entries up), and a list of resources
//! has at most [`MAX_RESOURCE_LIST`] elements. Without a pool, or when the
//! pool has no resource of the type, the parameter is [`Unsupported`].
//! Futures, streams and error contexts are always unsupported; a function
//! that takes one is skipped by the harness.

use super::pool::Pool;
use super::value::render_type;
use wasmtime::component::{Type, Val};

/// Most elements of a generated list of resources.
const MAX_RESOURCE_LIST: usize = 3;

/// Most edge cases enumerated for one type (compound types multiply).
const MAX_EDGES: usize = 64;

/// Elements of the long list edge case (see `Generator::sequence`).
const LONG_LIST: usize = 1 << 14;

/// Deepest nesting at which containers still get elements.
const MAX_DEPTH: usize = 4;

/// A tiny deterministic PRNG (xorshift64*), seeded with splitmix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`; `n` must be positive.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `1/n`.
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.next_u64().is_multiple_of(n)
    }
}

/// The seed for one function: the run's seed mixed with the function's
/// name (FNV-1a), so adding an export does not shift the others' values.
pub(crate) fn seed_for(seed: u64, name: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^ seed
}

/// A type the harness cannot generate values of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub(crate) String);

/// Which value of a type to produce.
#[derive(Debug, Clone, Copy)]
enum Pick {
    /// The n-th edge case (taken modulo the type's edge count).
    Edge(usize),
    /// A pseudo-random value.
    Random,
}

/// Generates argument tuples.
#[derive(Debug)]
pub(crate) struct Generator<'a> {
    rng: Rng,
    /// Where resource parameters come from, if anywhere.
    pool: Option<&'a mut Pool>,
}

impl Generator<'static> {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            pool: None,
        }
    }
}

impl<'a> Generator<'a> {
    /// A generator that takes resources from `pool`.
    pub(crate) fn with_pool(seed: u64, pool: &'a mut Pool) -> Self {
        Self {
            rng: Rng::new(seed),
            pool: Some(pool),
        }
    }

    /// Tuple number `case` of a function taking `params` whose types have
    /// `edges` edge cases (see [`edges`]): edge picks first, then random.
    /// Resources come from the pool; if it cannot supply one, the pool is
    /// left as it was and the tuple is unsupported.
    pub(crate) fn tuple(
        &mut self,
        params: &[Type],
        case: usize,
        edges: usize,
    ) -> Result<Vec<Val>, Unsupported> {
        let saved = self.pool.as_ref().map(|pool| pool.states());
        let tuple = params
            .iter()
            .enumerate()
            .map(|(position, ty)| {
                let pick = if case < edges {
                    Pick::Edge(case + position)
                } else {
                    Pick::Random
                };
                self.value(ty, pick, 0)
            })
            .collect::<Result<Vec<_>, _>>();
        if tuple.is_err()
            && let (Some(pool), Some(saved)) = (self.pool.as_mut(), saved)
        {
            pool.restore(&saved);
        }
        tuple
    }

    /// At least `count` argument tuples for a function taking `params`:
    /// first enough tuples that every parameter sees each of its edge
    /// cases, then random ones. Fails if a parameter type is unsupported.
    pub(crate) fn arguments(
        &mut self,
        params: &[Type],
        count: usize,
    ) -> Result<Vec<Vec<Val>>, Unsupported> {
        for ty in params {
            check_supported(ty)?;
        }
        let edges = edges(params);
        (0..count.max(edges))
            .map(|case| self.tuple(params, case, edges))
            .collect()
    }

    fn value(&mut self, ty: &Type, pick: Pick, depth: usize) -> Result<Val, Unsupported> {
        // Random scalars are edge cases a quarter of the time: random
        // combinations of boundaries find more than uniform noise.
        let pick = match pick {
            Pick::Random if is_scalar(ty) && self.rng.one_in(4) => {
                Pick::Edge(self.rng.below(MAX_EDGES))
            }
            pick => pick,
        };
        Ok(match ty {
            Type::Bool => Val::Bool(match pick {
                Pick::Edge(k) => k % 2 == 1,
                Pick::Random => self.rng.one_in(2),
            }),
            Type::S8 => Val::S8(self.int(ty, pick) as i8),
            Type::U8 => Val::U8(self.int(ty, pick) as u8),
            Type::S16 => Val::S16(self.int(ty, pick) as i16),
            Type::U16 => Val::U16(self.int(ty, pick) as u16),
            Type::S32 => Val::S32(self.int(ty, pick) as i32),
            Type::U32 => Val::U32(self.int(ty, pick) as u32),
            Type::S64 => Val::S64(self.int(ty, pick) as i64),
            Type::U64 => Val::U64(self.int(ty, pick) as u64),
            Type::Float32 => Val::Float32(match pick {
                Pick::Edge(k) => f32::from_bits(F32_EDGES[k % F32_EDGES.len()]),
                Pick::Random => self.float32(),
            }),
            Type::Float64 => Val::Float64(match pick {
                Pick::Edge(k) => f64::from_bits(F64_EDGES[k % F64_EDGES.len()]),
                Pick::Random => self.float64(),
            }),
            Type::Char => Val::Char(match pick {
                Pick::Edge(k) => CHAR_EDGES[k % CHAR_EDGES.len()],
                Pick::Random => self.char(),
            }),
            Type::String => Val::String(match pick {
                // Past the first level of nesting the 70 000-byte edge
                // becomes a 1000-byte one, so that containers of strings
                // stay a few megabytes at most.
                Pick::Edge(k)
                    if depth > 1 && k % (STRING_EDGES.len() + 3) == STRING_EDGES.len() + 2 =>
                {
                    edge_string(STRING_EDGES.len())
                }
                Pick::Edge(k) => edge_string(k),
                Pick::Random => self.string(depth),
            }),
            Type::List(list) => Val::List(self.sequence(&list.ty(), pick, depth)?),
            Type::FixedLengthList(list) => {
                let elem = list.ty();
                let len = list.len() as usize;
                let items = (0..len)
                    .map(|i| self.value(&elem, shift(pick, i), depth + 1))
                    .collect::<Result<_, _>>()?;
                Val::FixedLengthList(items)
            }
            Type::Map(map) => Val::Map(self.map(&map.key(), &map.value(), pick, depth)?),
            Type::Record(record) => Val::Record(
                record
                    .fields()
                    .enumerate()
                    .map(|(i, field)| {
                        let value = self.value(&field.ty, shift(pick, i), depth + 1)?;
                        Ok((field.name.to_string(), value))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Type::Tuple(tuple) => Val::Tuple(
                tuple
                    .types()
                    .enumerate()
                    .map(|(i, ty)| self.value(&ty, shift(pick, i), depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Type::Variant(variant) => {
                let cases: Vec<(String, Option<Type>)> = variant
                    .cases()
                    .map(|case| (case.name.to_string(), case.ty))
                    .collect();
                let (index, inner) = self.choose_case(&cases, pick);
                let (name, payload) = &cases[index];
                let payload = self.payload(payload.as_ref(), inner, depth)?;
                Val::Variant(name.clone(), payload)
            }
            Type::Enum(enum_) => {
                let names: Vec<&str> = enum_.names().collect();
                let index = match pick {
                    Pick::Edge(k) => k % names.len(),
                    Pick::Random => self.rng.below(names.len()),
                };
                Val::Enum(names[index].to_string())
            }
            Type::Option(option) => {
                let inner = match pick {
                    Pick::Edge(0) => None,
                    Pick::Edge(k) => Some(Pick::Edge(k - 1)),
                    Pick::Random if self.rng.one_in(4) => None,
                    Pick::Random => Some(Pick::Random),
                };
                match inner {
                    None => Val::Option(None),
                    Some(inner) => Val::Option(Some(Box::new(self.value(
                        &option.ty(),
                        inner,
                        depth + 1,
                    )?))),
                }
            }
            Type::Result(result) => {
                let cases = [
                    ("ok".to_string(), result.ok()),
                    ("err".to_string(), result.err()),
                ];
                let (index, inner) = self.choose_case(&cases, pick);
                let payload = self.payload(cases[index].1.as_ref(), inner, depth)?;
                Val::Result(if index == 0 {
                    Ok(payload)
                } else {
                    Err(payload)
                })
            }
            Type::Flags(flags) => {
                let names: Vec<&str> = flags.names().collect();
                let chosen: Vec<bool> = match pick {
                    Pick::Edge(k) => edge_flags(names.len(), k),
                    Pick::Random => (0..names.len()).map(|_| self.rng.one_in(2)).collect(),
                };
                Val::Flags(
                    names
                        .iter()
                        .zip(chosen)
                        .filter(|(_, on)| *on)
                        .map(|(name, _)| (*name).to_string())
                        .collect(),
                )
            }
            Type::Own(_) | Type::Borrow(_) => match self.pool.as_mut() {
                Some(pool) => pool.supply(ty).ok_or_else(|| {
                    Unsupported(format!(
                        "no {} of the needed type was available from earlier calls",
                        render_type(ty)
                    ))
                })?,
                None => return Err(unsupported(ty)),
            },
            Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
                return Err(unsupported(ty));
            }
        })
    }

    /// A case of a variant-like type and the pick for its payload. Edge
    /// picks walk every case, each as often as its payload has edges.
    fn choose_case(&mut self, cases: &[(String, Option<Type>)], pick: Pick) -> (usize, Pick) {
        match pick {
            Pick::Edge(k) => {
                let slots: Vec<usize> = cases
                    .iter()
                    .map(|(_, ty)| ty.as_ref().map_or(1, edge_count))
                    .collect();
                let mut k = k % slots.iter().sum::<usize>().max(1);
                for (index, slot) in slots.iter().enumerate() {
                    if k < *slot {
                        return (index, Pick::Edge(k));
                    }
                    k -= slot;
                }
                (0, Pick::Edge(0))
            }
            Pick::Random => (self.rng.below(cases.len()), Pick::Random),
        }
    }

    fn payload(
        &mut self,
        ty: Option<&Type>,
        pick: Pick,
        depth: usize,
    ) -> Result<Option<Box<Val>>, Unsupported> {
        ty.map(|ty| self.value(ty, pick, depth + 1).map(Box::new))
            .transpose()
    }

    /// Elements of a list: edge 0 is empty, edge 1 holds every edge case of
    /// the element type, edge 2 is [`LONG_LIST`] elements cycling through
    /// them (a few bytes per element make more than 64 KiB; only for
    /// scalar elements of an outermost list, or shorter otherwise), edge
    /// k ≥ 3 holds the single element edge k - 3.
    fn sequence(&mut self, elem: &Type, pick: Pick, depth: usize) -> Result<Vec<Val>, Unsupported> {
        let picks: Vec<Pick> = match pick {
            Pick::Edge(k) => match k % (edge_count(elem) + 3) {
                0 => Vec::new(),
                1 => (0..edge_count(elem).min(32)).map(Pick::Edge).collect(),
                2 => {
                    let len = if depth == 0 && is_scalar(elem) {
                        LONG_LIST
                    } else {
                        LONG_LIST >> (8 + 2 * depth.min(3))
                    };
                    (0..len).map(Pick::Edge).collect()
                }
                single => vec![Pick::Edge(single - 3)],
            },
            Pick::Random => {
                let len = self.length(depth);
                vec![Pick::Random; len]
            }
        };
        let most = if has_resource(elem) {
            MAX_RESOURCE_LIST
        } else {
            usize::MAX
        };
        picks
            .into_iter()
            .take(most)
            .map(|pick| self.value(elem, pick, depth + 1))
            .collect()
    }

    fn map(
        &mut self,
        key: &Type,
        value: &Type,
        pick: Pick,
        depth: usize,
    ) -> Result<Vec<(Val, Val)>, Unsupported> {
        let len = match pick {
            Pick::Edge(k) => k % 3,
            Pick::Random => self.length(depth),
        };
        (0..len)
            .map(|i| {
                let key = self.value(key, shift(pick, i), depth + 1)?;
                let value = self.value(value, shift(pick, i + 1), depth + 1)?;
                Ok((key, value))
            })
            .collect()
    }

    /// A random container length, shorter the deeper the nesting.
    fn length(&mut self, depth: usize) -> usize {
        if depth >= MAX_DEPTH {
            return 0;
        }
        let max = 8 >> depth;
        if depth == 0 && self.rng.one_in(16) {
            return 64 + self.rng.below(200);
        }
        self.rng.below(max + 1)
    }

    fn int(&mut self, ty: &Type, pick: Pick) -> i128 {
        let edges = int_edges(ty);
        match pick {
            Pick::Edge(k) => edges[k % edges.len()],
            Pick::Random => {
                let (min, max) = int_range(ty);
                let raw = i128::from(self.rng.next_u64());
                match self.rng.below(3) {
                    // Full range: reinterpret the low bits at the type's width.
                    0 => wrap(raw, min, max),
                    // Small magnitudes, where loops and indices live.
                    1 => wrap(raw % 33 - 16, min, max),
                    // Near a boundary.
                    _ => wrap(edges[self.rng.below(edges.len())] + raw % 5 - 2, min, max),
                }
            }
        }
    }

    fn float32(&mut self) -> f32 {
        let bits = self.rng.next_u64();
        match self.rng.below(3) {
            0 => f32::from_bits(bits as u32),
            1 => (bits as i16) as f32 / 8.0,
            _ => (bits as i32) as f32 * 1.5e-3,
        }
    }

    fn float64(&mut self) -> f64 {
        let bits = self.rng.next_u64();
        match self.rng.below(3) {
            0 => f64::from_bits(bits),
            1 => f64::from(bits as i16) / 8.0,
            _ => (bits as i64) as f64 * 1.5e-9,
        }
    }

    fn char(&mut self) -> char {
        let raw = self.rng.next_u64() as u32;
        let code = match self.rng.below(4) {
            0 | 1 => 0x20 + raw % 0x5f,
            2 => raw % 0x1_0000,
            _ => raw % 0x11_0000,
        };
        // Surrogates are the only invalid scalar values below 0x110000.
        char::from_u32(code).unwrap_or('\u{FFFD}')
    }

    fn string(&mut self, depth: usize) -> String {
        let len = if depth == 0 && self.rng.one_in(10) {
            100 + self.rng.below(400)
        } else {
            self.rng.below(17)
        };
        (0..len).map(|_| self.char()).collect()
    }
}

/// Moves an edge pick along, so that sibling values (fields, tuple
/// elements, parameters) do not all take the same edge case at once.
fn shift(pick: Pick, by: usize) -> Pick {
    match pick {
        Pick::Edge(k) => Pick::Edge(k + by),
        Pick::Random => Pick::Random,
    }
}

fn is_scalar(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Bool
            | Type::S8
            | Type::U8
            | Type::S16
            | Type::U16
            | Type::S32
            | Type::U32
            | Type::S64
            | Type::U64
            | Type::Float32
            | Type::Float64
            | Type::Char
    )
}

fn unsupported(ty: &Type) -> Unsupported {
    let what = match ty {
        Type::Own(_) => "own<resource>",
        Type::Borrow(_) => "borrow<resource>",
        Type::Future(_) => "future",
        Type::Stream(_) => "stream",
        Type::ErrorContext => "error-context",
        _ => "this type",
    };
    Unsupported(format!(
        "the harness cannot generate values of {what} (unsupported by harness, skipped)"
    ))
}

/// How many edge-case tuples a function taking `params` gets.
pub(crate) fn edges(params: &[Type]) -> usize {
    params.iter().map(edge_count).max().unwrap_or(0)
}

/// Whether `ty` is or contains an `own` or `borrow` handle.
pub(crate) fn has_resource(ty: &Type) -> bool {
    match ty {
        Type::Own(_) | Type::Borrow(_) => true,
        Type::List(list) => has_resource(&list.ty()),
        Type::FixedLengthList(list) => has_resource(&list.ty()),
        Type::Map(map) => has_resource(&map.key()) || has_resource(&map.value()),
        Type::Record(record) => record.fields().any(|f| has_resource(&f.ty)),
        Type::Tuple(tuple) => tuple.types().any(|t| has_resource(&t)),
        Type::Variant(variant) => variant
            .cases()
            .filter_map(|case| case.ty)
            .any(|t| has_resource(&t)),
        Type::Option(option) => has_resource(&option.ty()),
        Type::Result(result) => result
            .ok()
            .into_iter()
            .chain(result.err())
            .any(|t| has_resource(&t)),
        _ => false,
    }
}

/// Fails if `ty` contains a type values cannot be generated for without a
/// pool.
fn check_supported(ty: &Type) -> Result<(), Unsupported> {
    match ty {
        Type::List(list) => check_supported(&list.ty()),
        Type::FixedLengthList(list) => check_supported(&list.ty()),
        Type::Map(map) => {
            check_supported(&map.key())?;
            check_supported(&map.value())
        }
        Type::Record(record) => record.fields().try_for_each(|f| check_supported(&f.ty)),
        Type::Tuple(tuple) => tuple.types().try_for_each(|t| check_supported(&t)),
        Type::Variant(variant) => variant
            .cases()
            .filter_map(|case| case.ty)
            .try_for_each(|t| check_supported(&t)),
        Type::Option(option) => check_supported(&option.ty()),
        Type::Result(result) => result
            .ok()
            .into_iter()
            .chain(result.err())
            .try_for_each(|t| check_supported(&t)),
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            Err(unsupported(ty))
        }
        _ => Ok(()),
    }
}

/// How many distinct edge cases `ty` has (capped at [`MAX_EDGES`]).
fn edge_count(ty: &Type) -> usize {
    let count = match ty {
        Type::Bool => 2,
        Type::S8 | Type::U8 | Type::S16 | Type::U16 => int_edges(ty).len(),
        Type::S32 | Type::U32 | Type::S64 | Type::U64 => int_edges(ty).len(),
        Type::Float32 => F32_EDGES.len(),
        Type::Float64 => F64_EDGES.len(),
        Type::Char => CHAR_EDGES.len(),
        Type::String => STRING_EDGES.len() + 2,
        Type::List(list) => edge_count(&list.ty()) + 3,
        Type::FixedLengthList(list) => edge_count(&list.ty()),
        Type::Map(map) => edge_count(&map.key()).max(edge_count(&map.value())).max(3),
        Type::Record(record) => record
            .fields()
            .map(|f| edge_count(&f.ty))
            .max()
            .unwrap_or(1),
        Type::Tuple(tuple) => tuple.types().map(|t| edge_count(&t)).max().unwrap_or(1),
        Type::Variant(variant) => variant
            .cases()
            .map(|case| case.ty.as_ref().map_or(1, edge_count))
            .sum(),
        Type::Enum(enum_) => enum_.names().len(),
        Type::Option(option) => edge_count(&option.ty()) + 1,
        Type::Result(result) => {
            result.ok().as_ref().map_or(1, edge_count) + result.err().as_ref().map_or(1, edge_count)
        }
        Type::Flags(flags) => flag_edge_count(flags.names().len()),
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            1
        }
    };
    count.clamp(1, MAX_EDGES)
}

fn int_range(ty: &Type) -> (i128, i128) {
    match ty {
        Type::S8 => (i8::MIN.into(), i8::MAX.into()),
        Type::U8 => (0, u8::MAX.into()),
        Type::S16 => (i16::MIN.into(), i16::MAX.into()),
        Type::U16 => (0, u16::MAX.into()),
        Type::S32 => (i32::MIN.into(), i32::MAX.into()),
        Type::U32 => (0, u32::MAX.into()),
        Type::S64 => (i64::MIN.into(), i64::MAX.into()),
        _ => (0, u64::MAX.into()),
    }
}

/// Reduces `value` into `min..=max` modulo the range's size.
fn wrap(value: i128, min: i128, max: i128) -> i128 {
    min + (value - min).rem_euclid(max - min + 1)
}

/// Boundary values of an integer type: 0, 1, -1, MIN, MAX first, then
/// their neighbours and the boundaries of every narrower width (where
/// sign- and zero-extension bugs live).
fn int_edges(ty: &Type) -> Vec<i128> {
    let (min, max) = int_range(ty);
    let mut candidates = vec![0, 1, -1, min, max, min + 1, max - 1, 2, -2];
    for width in [8_u32, 16, 32] {
        let half = 1_i128 << (width - 1);
        let full = 1_i128 << width;
        candidates.extend([half - 1, half, full - 1, full, -half, -half - 1]);
    }
    let mut edges = Vec::new();
    for value in candidates {
        if (min..=max).contains(&value) && !edges.contains(&value) {
            edges.push(value);
        }
    }
    edges
}

const F32_EDGES: [u32; 16] = [
    0x0000_0000, // 0.0
    0x8000_0000, // -0.0
    0x3f80_0000, // 1.0
    0xbf80_0000, // -1.0
    0x7fc0_0000, // NaN
    0xffc0_0000, // -NaN
    0x7fc0_0001, // NaN with payload
    0x7f80_0001, // signalling NaN
    0x7f80_0000, // inf
    0xff80_0000, // -inf
    0x7f7f_ffff, // MAX
    0xff7f_ffff, // MIN
    0x0080_0000, // smallest normal
    0x0000_0001, // smallest subnormal
    0x007f_ffff, // largest subnormal
    0x8000_0001, // negative subnormal
];

const F64_EDGES: [u64; 16] = [
    0x0000_0000_0000_0000, // 0.0
    0x8000_0000_0000_0000, // -0.0
    0x3ff0_0000_0000_0000, // 1.0
    0xbff0_0000_0000_0000, // -1.0
    0x7ff8_0000_0000_0000, // NaN
    0xfff8_0000_0000_0000, // -NaN
    0x7ff8_0000_0000_0001, // NaN with payload
    0x7ff0_0000_0000_0001, // signalling NaN
    0x7ff0_0000_0000_0000, // inf
    0xfff0_0000_0000_0000, // -inf
    0x7fef_ffff_ffff_ffff, // MAX
    0xffef_ffff_ffff_ffff, // MIN
    0x0010_0000_0000_0000, // smallest normal
    0x0000_0000_0000_0001, // smallest subnormal
    0x000f_ffff_ffff_ffff, // largest subnormal
    0x8000_0000_0000_0001, // negative subnormal
];

const CHAR_EDGES: [char; 16] = [
    '\0',
    'a',
    'Z',
    '~',
    '\u{7f}',
    '\u{80}',
    'é',
    '\u{7ff}',
    '\u{800}',
    '€',
    '\u{D7FF}',
    '\u{E000}',
    '\u{FFFF}',
    '\u{10000}',
    '\u{1F600}',
    '\u{10FFFF}',
];

const STRING_EDGES: [&str; 12] = [
    "",
    "a",
    "hello, world",
    "\0",
    "nul\0inside",
    "ünïcödé",
    "日本語テキスト",
    "😀",
    "a😀b€c\u{10FFFF}",
    "\u{FEFF}bom",
    "\r\n\t\\\"'",
    "\u{D7FF}\u{E000}\u{FFFF}",
];

/// String edge k: the fixed list, then long strings (ASCII and mixed)
/// that need more than one allocation page to hold, and one of 70 000
/// bytes (more than a 64 KiB wasm page) mixing 1- to 4-byte UTF-8.
fn edge_string(k: usize) -> String {
    match k % (STRING_EDGES.len() + 3) {
        i if i < STRING_EDGES.len() => STRING_EDGES[i].to_string(),
        i if i == STRING_EDGES.len() => "x".repeat(1000),
        i if i == STRING_EDGES.len() + 1 => "aé€😀".repeat(300),
        _ => "aé€😀\u{10FFFF}".repeat(5000),
    }
}

/// Flags edge cases: every combination when there are at most
/// [`ALL_FLAG_COMBINATIONS`] flags; otherwise none, all, the two
/// alternating patterns, then each flag alone.
fn flag_edge_count(flags: usize) -> usize {
    if flags <= ALL_FLAG_COMBINATIONS {
        1 << flags
    } else {
        flags + 4
    }
}

/// Flags edge case `k` of a flags type with `flags` flags.
fn edge_flags(flags: usize, k: usize) -> Vec<bool> {
    let k = k % flag_edge_count(flags);
    if flags <= ALL_FLAG_COMBINATIONS {
        return (0..flags).map(|i| k >> i & 1 == 1).collect();
    }
    match k {
        0 => vec![false; flags],
        1 => vec![true; flags],
        2 => (0..flags).map(|i| i % 2 == 0).collect(),
        3 => (0..flags).map(|i| i % 2 == 1).collect(),
        single => (0..flags).map(|i| i + 4 == single).collect(),
    }
}

/// Most flags for which every combination is an edge case (2^6 = 64,
/// [`MAX_EDGES`]).
const ALL_FLAG_COMBINATIONS: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_edges_start_with_the_classic_five_and_stay_in_range() {
        let edges = int_edges(&Type::S32);
        assert_eq!(edges[..5], [0, 1, -1, i32::MIN.into(), i32::MAX.into()]);
        assert!(edges.contains(&255) && edges.contains(&-32769));
        let edges = int_edges(&Type::U8);
        assert!(edges.iter().all(|v| (0..=255).contains(v)));
        assert!(edges.contains(&128));
    }

    #[test]
    fn generation_is_deterministic() {
        let params = [Type::S64, Type::String, Type::Char, Type::Float64];
        let a = Generator::new(7).arguments(&params, 50).expect("supported");
        let b = Generator::new(7).arguments(&params, 50).expect("supported");
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a.len(), 50);
    }

    #[test]
    fn edges_cover_every_char_edge() {
        let tuples = Generator::new(1)
            .arguments(&[Type::Char], 1)
            .expect("supported");
        for c in CHAR_EDGES {
            assert!(
                tuples
                    .iter()
                    .any(|t| matches!(t[0], Val::Char(x) if x == c)),
                "missing {c:?}"
            );
        }
    }

    #[test]
    fn edges_cover_every_combination_of_few_flags() {
        let combinations: std::collections::BTreeSet<Vec<bool>> =
            (0..16).map(|k| edge_flags(4, k)).collect();
        assert_eq!(combinations.len(), 16);
        assert_eq!(flag_edge_count(32), 36);
        assert_eq!(edge_flags(32, 1), vec![true; 32]);
        assert_eq!(edge_flags(32, 35).iter().filter(|on| **on).count(), 1);
        assert!(edge_flags(32, 35)[31]);
    }

    #[test]
    fn string_edges_include_one_over_64_kib() {
        let longest = (0..STRING_EDGES.len() + 3)
            .map(|k| edge_string(k).len())
            .max();
        assert_eq!(longest, Some(70_000));
        assert!(
            edge_string(STRING_EDGES.len() + 2)
                .chars()
                .any(|c| c > '\u{FFFF}')
        );
    }

    #[test]
    fn wrap_reduces_into_range() {
        assert_eq!(wrap(256, 0, 255), 0);
        assert_eq!(wrap(-129, -128, 127), 127);
        assert_eq!(wrap(5, -128, 127), 5);
    }
}
