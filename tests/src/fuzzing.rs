//! Differential fuzzing of fusion: random component types in random
//! compositions, original against fused under wasmtime.
//!
//! A [`Case`] is generated from bytes (`arbitrary`), so the cargo-fuzz
//! target (`fuzz/fuzz_targets/differential.rs`) and the seeded test
//! (`tests/tests/fuzz_differential.rs`) drive the same code. A case is:
//!
//! - an `api` interface of one to four functions with random types
//!   ([`types`]: every value type, named types up to six deep, up to 40
//!   parameters so that spilling happens, the host's resource as `own`
//!   and `borrow` anywhere);
//! - forwarder components ([`component`]) in one of the [`Shape`]s meld
//!   supports, each with its own string encoding, post-return, realloc and
//!   allocator start, one of them perhaps corrupting what it passes on;
//! - in a third of the cases, `async func`s: each forwarder lifts each of
//!   them sync, `async` with a callback or stackful, lowers its imports
//!   sync or `async` (waiting for the subtask's event), and perhaps
//!   yields before it returns, so that its caller sees it started;
//! - in a quarter of the cases, stream and future ends (of `u8`, `u32` or
//!   `string`, perhaps in containers) as a parameter or in the result of
//!   functions: the host makes them, and each forwarder passes them on
//!   or (half of them) relays them: reads each one's values (a stream's
//!   perhaps in two reads, cancelling a second that finds nothing) and
//!   passes on a new stream or future it writes them to, or reads a few
//!   items of a stream and passes the rest on in the same end; an `async func`
//!   import waits for the values of the ends it received before it
//!   answers;
//! - the calls the host makes to the composition's exported `api`, the
//!   values its imported `api` returns (and whether it traps at some
//!   call), and the memory strategy of the fusion.
//!
//! [`check`] fuses the composition and runs both under wasmtime
//! ([`oracle`]); the two must give the same transcript: what the host's
//! import received, what each export call returned or that it trapped,
//! which host resources were dropped, in order. Without corruption and host
//! traps, the transcript must also show every value arriving unchanged.
//! An `unsupported` error from meld is a finding too unless it is one the
//! README lists: none of the generated inputs is.

pub mod accesses;
pub mod component;
pub mod moves;
pub mod oracle;
pub mod types;

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use arbitrary::Unstructured;
use meld_core::{MemoryStrategy, Options, OutputKind};
use wit_component::StringEncoding;

use crate::fixtures::compose::Composition;
use component::{Api, AsyncUse, Corruption, Forwarder, Func, Iface, Lift};
use types::{Kind, MAX_DEPTH, Ty, Types};

/// Most parameters of a generated function.
pub const MAX_PARAMS: usize = 40;

/// How the forwarders are put together. Arrows are calls; the host calls
/// the top component's export and serves the bottom one's import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// top → bottom.
    Pair,
    /// top → re-exporter → bottom: the middle component has no code, it
    /// exports the instance it imports.
    Chain,
    /// top → left → bottom and top → right → bottom, one bottom instance.
    Diamond,
    /// One component instantiated twice: first → second.
    Twice,
    /// top → (a component nesting middle → bottom).
    Nested,
}

/// One generated test case.
#[derive(Debug, Clone)]
pub struct Case {
    pub api: Api,
    pub shape: Shape,
    /// The distinct forwarder components, in the order the shape uses
    /// them (see [`Case::compose`]).
    pub forwarders: Vec<Forwarder>,
    /// The exported functions the host calls, in order.
    pub calls: Vec<usize>,
    /// The host's import traps at this call (counted from 0), if any.
    pub host_trap_at: Option<u32>,
    /// The host's `async func` imports answer only after yielding once
    /// (an async caller sees its subtask started, a sync one blocks).
    pub host_waits: bool,
    /// With `async func`s or ends, the host makes its calls two at a
    /// time, the second started before the first returns.
    pub together: bool,
    /// Seed of the values the host passes and returns.
    pub seed: u64,
    pub memory: MemoryStrategy,
}

impl Case {
    /// A case from `u`; its calls may be made together only with
    /// `MELD_FUZZ_TOGETHER` set (README, "Known differences").
    pub fn generate(u: &mut Unstructured) -> arbitrary::Result<Case> {
        Case::generate_with(u, std::env::var_os("MELD_FUZZ_TOGETHER").is_some())
    }

    /// A case from `u`, whose calls may be made together when `together`.
    pub fn generate_with(u: &mut Unstructured, together: bool) -> arbitrary::Result<Case> {
        let mut case = Case::generate_before_ends(u)?;
        // Drawn last, so that the cases of earlier seeds stay as they were.
        if u.ratio(1, 4)? {
            let types = &mut case.api.types;
            for func in &mut case.api.funcs {
                if u.ratio(2, 3)? {
                    let at = u.choose_index(func.params.len() + 1)?;
                    func.params.insert(at, types.end(u)?);
                }
                if u.ratio(1, 2)? {
                    let end = types.end(u)?;
                    func.result = Some(match func.result.take() {
                        None => end,
                        Some(result) => Ty::Tuple(vec![result, end]),
                    });
                }
            }
            for forwarder in &mut case.forwarders {
                forwarder.relays = u.arbitrary()?;
            }
            for forwarder in &mut case.forwarders {
                if forwarder.relays && u.ratio(1, 2)? {
                    forwarder.split = Some(1 + u.choose_index(7)? as u32);
                }
            }
            for forwarder in &mut case.forwarders {
                if forwarder.relays && u.ratio(1, 3)? {
                    forwarder.eats = Some(1 + u.choose_index(7)? as u32);
                }
            }
            let eater = case.forwarders.iter().any(|f| f.eats.is_some());
            for forwarder in &mut case.forwarders {
                forwarder.waits = !eater;
            }
        }
        case.together = together && u.ratio(1, 3)?;
        // Maps and fixed-length lists (since session 50), drawn last too.
        if u.ratio(1, 3)? {
            let types = &mut case.api.types;
            for func in &mut case.api.funcs {
                if u.ratio(2, 3)? {
                    let at = u.choose_index(func.params.len() + 1)?;
                    let depth = 1 + u.choose_index(MAX_DEPTH)?;
                    func.params.insert(at, types.container(u, depth, true)?);
                }
                if u.ratio(1, 3)? {
                    let depth = 1 + u.choose_index(MAX_DEPTH - 1)?;
                    let container = types.container(u, depth, false)?;
                    func.result = Some(match func.result.take() {
                        None => container,
                        Some(result) => Ty::Tuple(vec![result, container]),
                    });
                }
            }
        }
        Ok(case)
    }

    /// A case from `u` as the generator made them before it drew stream
    /// and future ends (for seeds found then).
    pub fn generate_before_ends(u: &mut Unstructured) -> arbitrary::Result<Case> {
        let mut types = Types::default();
        let mut funcs = Vec::new();
        let mut budget = 12 + u.choose_index(60)?;
        for _ in 0..1 + u.choose_index(4)? {
            let params = match u.choose_index(8)? {
                0 => 17 + u.choose_index(MAX_PARAMS - 16)?,
                n => n - 1,
            };
            let mut func = Func {
                params: Vec::with_capacity(params),
                result: None,
                is_async: false,
            };
            for _ in 0..params {
                let depth = u.choose_index(MAX_DEPTH)?;
                let mut own_budget = budget.min(12);
                func.params.push(match u.ratio(1, 16)? {
                    true => types.deep(u)?,
                    false => types.ty(u, depth, true, &mut own_budget)?,
                });
                budget = budget.saturating_sub(1);
            }
            if u.ratio(4, 5)? {
                let depth = u.choose_index(MAX_DEPTH)?;
                func.result = Some(match u.ratio(1, 8)? {
                    true => types.deep(u)?,
                    false => types.ty(u, depth, false, &mut budget)?,
                });
            }
            funcs.push(func);
        }
        // A named type first used in a parameter may hold a borrow; results
        // must not hold one.
        let mut api = Api { types, funcs };
        for func in &mut api.funcs {
            if func
                .result
                .as_ref()
                .is_some_and(|t| api.types.has_borrow(t))
            {
                func.result = Some(Ty::U32);
            }
        }
        let shape = *u.choose(&[
            Shape::Pair,
            Shape::Chain,
            Shape::Diamond,
            Shape::Twice,
            Shape::Nested,
        ])?;
        let count = match shape {
            Shape::Pair | Shape::Chain | Shape::Nested => 2 + usize::from(shape == Shape::Nested),
            Shape::Diamond => 4,
            Shape::Twice => 1,
        };
        let mut forwarders = Vec::with_capacity(count);
        for index in 0..count {
            let (imports, export) = match (shape, index) {
                (Shape::Diamond, 0) => (vec![Iface::Api, Iface::Api2], Iface::Api),
                (Shape::Diamond, 2) => (vec![Iface::Api], Iface::Api2),
                _ => (vec![Iface::Api], Iface::Api),
            };
            forwarders.push(Forwarder {
                imports,
                export,
                encoding: *u.choose(&[
                    StringEncoding::UTF8,
                    StringEncoding::UTF16,
                    StringEncoding::CompactUTF16,
                ])?,
                post_return: u.arbitrary()?,
                realloc: u.arbitrary()?,
                heap_start: 8 * (1 + u.choose_index(512)?) as u32,
                corruption: None,
                asyncs: Vec::new(),
                relays: false,
                split: None,
                eats: None,
                waits: true,
            });
        }
        if u.ratio(1, 2)? {
            let at = u.choose_index(count)?;
            forwarders[at].corruption = Some(corruption(u, api.funcs.len())?);
        }
        let calls = (0..1 + u.choose_index(5)?)
            .map(|_| u.choose_index(api.funcs.len()))
            .collect::<arbitrary::Result<_>>()?;
        let host_trap_at = match u.ratio(1, 8)? {
            true => Some(u.choose_index(4)? as u32),
            false => None,
        };
        let seed = u.arbitrary()?;
        let memory = *u.choose(&[MemoryStrategy::Multi, MemoryStrategy::Shared])?;
        // Drawn last, so that the cases of earlier seeds stay as they were.
        let mut host_waits = false;
        if u.ratio(1, 3)? {
            for func in &mut api.funcs {
                func.is_async = u.ratio(3, 4)?;
            }
            for forwarder in &mut forwarders {
                forwarder.asyncs = (0..api.funcs.len())
                    .map(|_| {
                        Ok(AsyncUse {
                            lift: *u.choose(&[Lift::Sync, Lift::Callback, Lift::Stackful])?,
                            lower: u.arbitrary()?,
                            yields: u.ratio(1, 3)?,
                        })
                    })
                    .collect::<arbitrary::Result<_>>()?;
            }
            host_waits = u.arbitrary()?;
        }
        Ok(Case {
            api,
            shape,
            forwarders,
            calls,
            host_trap_at,
            host_waits,
            together: false,
            seed,
            memory,
        })
    }

    /// Whether the host calls the composition as tasks: with an `async
    /// func`, or with ends, which it reads after each call.
    pub fn is_concurrent(&self) -> bool {
        let types = &self.api.types;
        self.api
            .funcs
            .iter()
            .any(|f| f.is_async || f.params.iter().chain(&f.result).any(|t| types.has_end(t)))
    }

    /// Whether a function's parameters or result hold a stream end.
    fn holds_streams(&self) -> bool {
        let types = &self.api.types;
        let stream = |t: &Ty| matches!(t, Ty::Stream(_));
        self.api.funcs.iter().any(|f| {
            f.params
                .iter()
                .chain(&f.result)
                .any(|t| types.any(t, &stream))
        })
    }

    /// The case with every function sync, as the generator made the
    /// cases before it drew async choices (for seeds found then).
    pub fn without_async(mut self) -> Case {
        self.api.funcs.iter_mut().for_each(|f| f.is_async = false);
        self.host_waits = false;
        self.forwarders.iter_mut().for_each(|f| f.asyncs.clear());
        self
    }

    /// The composed component.
    pub fn compose(&self) -> Result<Vec<u8>> {
        let components = self
            .forwarders
            .iter()
            .map(|f| self.api.component(f))
            .collect::<Result<Vec<_>>>()?;
        let api = Iface::Api.name();
        let mut composition = Composition::new();
        match self.shape {
            Shape::Pair => {
                let top = composition.instantiate("top", &components[0])?;
                let bottom = composition.instantiate("bottom", &components[1])?;
                composition.connect(bottom, top, api)?;
                composition.export(top, api)?;
            }
            Shape::Chain => {
                let top = composition.instantiate("top", &components[0])?;
                let relay = composition.instantiate("relay", &reexporter(&components[1])?)?;
                let bottom = composition.instantiate("bottom", &components[1])?;
                composition.connect(bottom, relay, api)?;
                composition.connect(relay, top, api)?;
                composition.export(top, api)?;
            }
            Shape::Diamond => {
                let top = composition.instantiate("top", &components[0])?;
                let left = composition.instantiate("left", &components[1])?;
                let right = composition.instantiate("right", &components[2])?;
                let bottom = composition.instantiate("bottom", &components[3])?;
                composition.connect(bottom, left, api)?;
                composition.connect(bottom, right, api)?;
                composition.connect(left, top, api)?;
                composition.connect(right, top, Iface::Api2.name())?;
                composition.export(top, api)?;
            }
            Shape::Twice => {
                let first = composition.instantiate("twice", &components[0])?;
                let second = composition.instantiate("twice", &components[0])?;
                composition.connect(second, first, api)?;
                composition.export(first, api)?;
            }
            Shape::Nested => {
                let mut inner = Composition::new();
                let middle = inner.instantiate("middle", &components[1])?;
                let bottom = inner.instantiate("bottom", &components[2])?;
                inner.connect(bottom, middle, api)?;
                inner.export(middle, api)?;
                let inner = inner.encode()?;
                let top = composition.instantiate("top", &components[0])?;
                let nested = composition.instantiate("nested", &inner)?;
                composition.connect(nested, top, api)?;
                composition.export(top, api)?;
            }
        }
        composition.encode()
    }

    /// Whether the transcript must show every value arriving unchanged.
    fn is_faithful(&self) -> bool {
        // (an eater keeps items of streams from the host's reads)
        let eats = self.forwarders.iter().any(|f| f.relays && f.eats.is_some());
        let streams = self.holds_streams();
        // (calls made together have no one last import call to return)
        self.host_trap_at.is_none()
            && self.forwarders.iter().all(|f| f.corruption.is_none())
            && !(eats && streams)
            && !(self.together && self.is_concurrent())
    }

    /// What the case covers, added to `coverage`.
    pub fn cover(&self, coverage: &mut Coverage) {
        let mut kinds = Vec::new();
        for func in &self.api.funcs {
            for ty in func.params.iter().chain(&func.result) {
                self.api.types.kinds(ty, 0, &mut kinds);
            }
            let flat = self.api.types.flat_all(&func.params).len();
            if flat > 16 {
                coverage.add("spilled parameters");
            }
            if self.api.types.flat_all(func.result.as_slice()).len() > 1 {
                coverage.add("results through memory");
            }
        }
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            coverage.add(&format!("type {kind:?}"));
        }
        coverage.add(&format!("shape {:?}", self.shape));
        coverage.add(&format!("memory {}", self.memory.as_str()));
        for f in &self.forwarders {
            coverage.add(&format!("encoding {:?}", f.encoding));
            if f.post_return {
                coverage.add("post-return");
            }
            if let Some(c) = &f.corruption {
                coverage.add(&format!("corruption {}", c.kind()));
            }
            let values = self
                .api
                .funcs
                .iter()
                .flat_map(|f| f.params.iter().chain(&f.result));
            let types = &self.api.types;
            let values: Vec<&Ty> = values.collect();
            if f.relays && values.iter().any(|t| types.has_relayed(t, true)) {
                coverage.add("end relayed");
            }
            if f.relays && self.holds_streams() {
                match (f.eats, f.split) {
                    (Some(_), _) => coverage.add("stream partly read, passed on"),
                    (None, Some(_)) => coverage.add("stream relayed in two reads"),
                    (None, None) => {}
                }
            }
        }
        for (index, func) in self.api.funcs.iter().enumerate() {
            for f in &self.forwarders {
                let uses = f.use_of(&self.api, index);
                match uses.lift {
                    Lift::Sync if func.is_async => coverage.add("async func lifted sync"),
                    Lift::Sync => {}
                    Lift::Callback => coverage.add("async lift with a callback"),
                    Lift::Stackful => coverage.add("async lift stackful"),
                }
                if uses.lower {
                    coverage.add("async lower");
                    if (5..=16).contains(&self.api.types.flat_all(&func.params).len()) {
                        coverage.add("async lower, parameters stored");
                    }
                }
                if uses.yields {
                    coverage.add("yield");
                }
            }
        }
        let encodings: Vec<_> = self.forwarders.iter().map(|f| f.encoding).collect();
        if encodings.windows(2).any(|w| w[0] != w[1]) {
            coverage.add("transcoding between components");
        }
        if self.host_trap_at.is_some() {
            coverage.add("host trap");
        }
        if self.host_waits && self.api.funcs.iter().any(|f| f.is_async) {
            coverage.add("host answers later");
        }
        if self.together && self.is_concurrent() && self.calls.len() > 1 {
            coverage.add("calls made together");
        }
    }
}

/// A random corruption of one of `funcs` functions.
fn corruption(u: &mut Unstructured, funcs: usize) -> arbitrary::Result<Corruption> {
    let func = u.choose_index(funcs)?;
    let random: i32 = u.arbitrary()?;
    let delta: i64 = *u.choose(&[
        1,
        -1,
        2,
        4,
        8,
        0x100,
        0x1_0000,
        0x7fff_ffff,
        i64::from(i32::MIN),
        0x1_0000_0000,
        random.into(),
    ])?;
    let pos = u.arbitrary()?;
    let bit = u.choose_index(8)? as u8;
    let slot = u.choose_index(64)?;
    Ok(match u.choose_index(5)? {
        0 => Corruption::Param { func, slot, delta },
        1 => Corruption::ArgByte { func, pos, bit },
        2 => Corruption::Result {
            func,
            delta,
            pos,
            bit,
        },
        3 => Corruption::ResultByte { func, pos, bit },
        _ => Corruption::DropHandle {
            func,
            slot,
            delta: *u.choose(&[0, 0, 1, -1, 2])?,
        },
    })
}

/// A component that imports what `sample` (a forwarder) imports and
/// exports its `api` import again, with no code of its own.
fn reexporter(sample: &[u8]) -> Result<Vec<u8>> {
    use wac_graph::types::Package;
    use wac_graph::{CompositionGraph, EncodeOptions};
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes("fz:sample", None, sample.to_vec(), graph.types_mut())?;
    let world = package.ty();
    let name = Iface::Api.name();
    let kind = graph.types()[world]
        .imports
        .get(name)
        .copied()
        .context("the forwarder imports no `api`")?;
    let import = graph.import(name, kind)?;
    graph.export(import, name)?;
    Ok(graph.encode(EncodeOptions::default())?)
}

/// Counts of what the cases covered, by name.
#[derive(Debug, Default, Clone)]
pub struct Coverage(pub BTreeMap<String, usize>);

impl Coverage {
    pub fn add(&mut self, what: &str) {
        *self.0.entry(what.to_owned()).or_default() += 1;
    }

    /// Every type kind and shape that no case covered.
    pub fn missing(&self) -> Vec<String> {
        use Kind::*;
        let kinds = [
            Bool, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, Char, String, List, Map,
            FixedList, Tuple, Option, Result, Record, Variant, Enum, Flags, Own, Borrow, Stream,
            Future, Wide, Deepest,
        ];
        let mut expected: Vec<std::string::String> =
            kinds.iter().map(|k| format!("type {k:?}")).collect();
        for shape in ["Pair", "Chain", "Diamond", "Twice", "Nested"] {
            expected.push(format!("shape {shape}"));
        }
        for e in ["UTF8", "UTF16", "CompactUTF16"] {
            expected.push(format!("encoding {e}"));
        }
        for c in ["param", "arg-byte", "result", "result-byte", "drop-handle"] {
            expected.push(format!("corruption {c}"));
        }
        expected.extend(
            [
                "spilled parameters",
                "results through memory",
                "post-return",
                "transcoding between components",
                "host trap",
                "memory multi",
                "memory shared",
                "async func lifted sync",
                "async lift with a callback",
                "async lift stackful",
                "async lower",
                "async lower, parameters stored",
                "yield",
                "host answers later",
                "end relayed",
                "stream relayed in two reads",
                "stream partly read, passed on",
            ]
            .map(str::to_owned),
        );
        if std::env::var_os("MELD_FUZZ_TOGETHER").is_some() {
            expected.push("calls made together".to_owned());
        }
        expected
            .into_iter()
            .filter(|e| !self.0.contains_key(e))
            .collect()
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Original and fused gave the same transcript.
    Same,
    /// meld refused the input with an `unsupported` error.
    Unsupported(String),
    /// Root calls made together ([`Case::together`]) gave the same lines
    /// in another order: the events of tasks that ran at once came in
    /// another order than wasmtime's (README, "Known differences"), with
    /// the same calls, values, results and traps.
    Reordered,
}

/// Fuses `case`'s composition and compares original and fused; an error
/// is a finding (a difference, a failed fusion, a generator bug).
pub fn check(case: &Case) -> Result<Verdict> {
    check_fused(case, 1)
}

/// [`check`] with the composition fused `times` times, each fusion's
/// output the next one's input (meld's output is a component like any
/// other: fused again it must still behave like the original).
pub fn check_fused(case: &Case, times: usize) -> Result<Verdict> {
    let original = case.compose().context("composing the generated case")?;
    let options = Options {
        output: OutputKind::Component,
        memory: case.memory,
        ..Options::default()
    };
    let mut fused = original.clone();
    for time in 1..=times {
        fused = match meld_core::fuse(&[&fused], &options) {
            Ok(fused) => fused.wasm,
            Err(e) if e.kind() == meld_core::ErrorKind::Unsupported && time == 1 => {
                return Ok(Verdict::Unsupported(e.to_string()));
            }
            Err(e) => bail!("fusion {time} of {times} failed: {e}"),
        };
    }
    let expected = oracle::run(&original, case).context("running the original")?;
    let actual = oracle::run(&fused, case).context("running the fused output")?;
    if case.is_faithful() {
        oracle::check_faithful(&expected.lines)?;
    }
    let (expected, actual) = (expected.lines, actual.lines);
    if expected != actual && case.together && same_lines(&expected, &actual) {
        return Ok(Verdict::Reordered);
    }
    if expected != actual {
        let first = expected
            .iter()
            .zip(&actual)
            .position(|(a, b)| a != b)
            .unwrap_or(expected.len().min(actual.len()));
        // (and what follows, which tells a reordering from a change)
        let from = |lines: &[String]| {
            let shown: Vec<&str> = lines
                .iter()
                .skip(first)
                .take(8)
                .map(String::as_str)
                .collect();
            match shown.is_empty() {
                true => "(end)".to_owned(),
                false => shown.join("\n            "),
            }
        };
        bail!(
            "original and fused differ at line {first}:\n  original: {}\n  fused:    {}",
            from(&expected),
            from(&actual),
        );
    }
    Ok(Verdict::Same)
}

/// Whether `a` and `b` hold the same lines, each as many times.
fn same_lines(a: &[String], b: &[String]) -> bool {
    let sorted = |lines: &[String]| {
        let mut lines = lines.to_vec();
        lines.sort();
        lines
    };
    sorted(a) == sorted(b)
}
