//! meld's fixtures: composed components built from the guest crates in
//! `tests/guests` (Rust + wit-bindgen, compiled by `tests/build.rs`) and
//! wired together with the wac-graph library.
//!
//! The first six fixtures pass scalars only between guests; `values`,
//! `transcode` and `bench` pass every kind of value; `resources`,
//! `res-chain` and `res-wasi` pass resource handles (own and borrow, in
//! compound values, through re-exporters, to and from the host). WASI imports of the
//! command fixture pass through to the host. The WIT of every guest is in
//! `tests/guests/wit/`; the non-utf8 string provider of `transcode` is
//! written in WAT (`fixtures/strings16.wat`).
//!
//! | fixture | graph | exports |
//! |---|---|---|
//! | `scalars` | calc → scalars | `calc`, `scalars` |
//! | `chain` | pipeline → calc → scalars | `pipeline` |
//! | `diamond` | report → {calc, stats} → one scalars | `report`, `calc`, `stats` |
//! | `wasi-hello` | command → greeter, both print via WASI | `wasi:cli/run` |
//! | `nested` | pipeline → (the `scalars` composition, nested) | `pipeline`, `scalars` |
//! | `twice` | ledger → counter #1, meter → counter #2 | `ledger`, `meter`, `counter` (#1) |
//! | `values` | consumer → provider over every value type | `*-relay`, `checks`, `text`, `sequences`, `shapes`, `wide` |
//! | `transcode` | utf8 consumer → utf16 and latin1+utf16 provider (WAT) | `codec`, `checks`, `utf16-strings`, `latin1-strings` |
//! | `bench` | call loops → scalars, text, shapes and sequences providers, the utf16 provider of `transcode` | `bench` |
//! | `resources` | blob consumer → blob provider, both → logbook | `blobs` (resources to the host), `blob-checks`, `blob-user`, `logbook` |
//! | `res-chain` | runner → {nums wrapper → floats proxy → floats leaf}, all → logbook | `floats` (the proxy's), `nums`, `chain-checks`, `logbook` |
//! | `res-wasi` | announcer → banner printer, both print via WASI | `banners`, `announcer` |
//! | `wasip1-hello` | `wasi-hello` built for WASI preview 1, adapted to preview 2 | `wasi:cli/run` |
//!
//! The async fixtures (the component model's async ABI between inner
//! components, from wit-bindgen 0.60.0 guests) are listed apart, by
//! [`async_all`]: meld does not fuse them yet, so the tests that fuse every
//! fixture of [`all`] leave them to `tests/async_calls.rs` (see
//! `fixtures/asynchronous.rs`). [`get`] finds both kinds.
//!
//! The debug-info fixtures (guests built in debug mode, with DWARF) are
//! listed apart too, by [`debug_all`] (see `fixtures/debug.rs`).
//!
//! Fixtures are built on first use and cached for the process; every call
//! returns the same bytes.

mod asynchronous;
pub(crate) mod compose;
mod debug;
mod guests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};

use self::compose::Composition;
use self::guests::Guest;

/// A composed component to fuse and run.
#[derive(Clone, PartialEq, Eq)]
pub struct Fixture {
    /// A short kebab-case name, also the file stem `meld-fixtures` writes.
    pub name: &'static str,
    /// The component binary.
    pub wasm: Vec<u8>,
    /// Whether the component exports `wasi:cli/run` (and is meant to be run
    /// as a command rather than called export by export).
    pub is_command: bool,
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("name", &self.name)
            .field("wasm", &format_args!("<{} bytes>", self.wasm.len()))
            .field("is_command", &self.is_command)
            .finish()
    }
}

/// How to build one fixture.
struct Definition {
    name: &'static str,
    is_command: bool,
    build: fn() -> Result<Vec<u8>>,
}

/// Every fixture, in the order [`all`] returns them.
const DEFINITIONS: &[Definition] = &[
    Definition {
        name: "scalars",
        is_command: false,
        build: scalars,
    },
    Definition {
        name: "chain",
        is_command: false,
        build: chain,
    },
    Definition {
        name: "diamond",
        is_command: false,
        build: diamond,
    },
    Definition {
        name: "wasi-hello",
        is_command: true,
        build: wasi_hello,
    },
    Definition {
        name: "nested",
        is_command: false,
        build: nested,
    },
    Definition {
        name: "twice",
        is_command: false,
        build: twice,
    },
    Definition {
        name: "values",
        is_command: false,
        build: values,
    },
    Definition {
        name: "transcode",
        is_command: false,
        build: transcode,
    },
    Definition {
        name: "bench",
        is_command: false,
        build: bench,
    },
    Definition {
        name: "resources",
        is_command: false,
        build: resources,
    },
    Definition {
        name: "res-chain",
        is_command: false,
        build: res_chain,
    },
    Definition {
        name: "res-wasi",
        is_command: false,
        build: res_wasi,
    },
    Definition {
        name: "wasip1-hello",
        is_command: true,
        build: wasip1_hello,
    },
];

/// The built binaries, one slot per entry of [`DEFINITIONS`].
static BUILT: [OnceLock<Vec<u8>>; DEFINITIONS.len()] =
    [const { OnceLock::new() }; DEFINITIONS.len()];

/// The names of every fixture, in the order [`all`] returns them.
pub fn names() -> impl Iterator<Item = &'static str> {
    DEFINITIONS.iter().map(|definition| definition.name)
}

/// Every fixture (but the async ones), in a fixed order.
pub fn all() -> Result<Vec<Fixture>> {
    (0..DEFINITIONS.len())
        .map(|index| fixture_at(DEFINITIONS, &BUILT, index))
        .collect()
}

/// The names of the async fixtures, in the order [`async_all`] returns
/// them.
pub fn async_names() -> impl Iterator<Item = &'static str> {
    asynchronous::DEFINITIONS
        .iter()
        .map(|definition| definition.name)
}

/// Every async fixture, in a fixed order.
pub fn async_all() -> Result<Vec<Fixture>> {
    (0..asynchronous::DEFINITIONS.len())
        .map(|index| fixture_at(asynchronous::DEFINITIONS, &asynchronous::BUILT, index))
        .collect()
}

/// The hand-written async compositions of `tests/tests` (`async_*.wat`),
/// by file name, as text.
pub const ASYNC_WAT: [(&str, &str); 18] = [
    ("async_raw.wat", include_str!("../tests/async_raw.wat")),
    ("async_leave.wat", include_str!("../tests/async_leave.wat")),
    (
        "async_resources.wat",
        include_str!("../tests/async_resources.wat"),
    ),
    (
        "async_stackful.wat",
        include_str!("../tests/async_stackful.wat"),
    ),
    (
        "async_sync_calls.wat",
        include_str!("../tests/async_sync_calls.wat"),
    ),
    ("async_yield.wat", include_str!("../tests/async_yield.wat")),
    (
        "async_reentry.wat",
        include_str!("../tests/async_reentry.wat"),
    ),
    (
        "async_cancel_yield.wat",
        include_str!("../tests/async_cancel_yield.wat"),
    ),
    ("async_host.wat", include_str!("../tests/async_host.wat")),
    (
        "async_host_strings.wat",
        include_str!("../tests/async_host_strings.wat"),
    ),
    (
        "async_host_handles.wat",
        include_str!("../tests/async_host_handles.wat"),
    ),
    (
        "async_streams.wat",
        include_str!("../tests/async_streams.wat"),
    ),
    ("async_ends.wat", include_str!("../tests/async_ends.wat")),
    (
        "async_native.wat",
        include_str!("../tests/async_native.wat"),
    ),
    (
        "async_root_ends.wat",
        include_str!("../tests/async_root_ends.wat"),
    ),
    (
        "async_root_strings.wat",
        include_str!("../tests/async_root_strings.wat"),
    ),
    (
        "async_stream_handles.wat",
        include_str!("../tests/async_stream_handles.wat"),
    ),
    (
        "async_sync_read.wat",
        include_str!("../tests/async_sync_read.wat"),
    ),
];

/// Every async fixture and every hand-written async composition
/// ([`ASYNC_WAT`]), by name.
pub fn async_inputs() -> Result<Vec<(String, Vec<u8>)>> {
    let mut inputs: Vec<(String, Vec<u8>)> = async_all()?
        .into_iter()
        .map(|f| (f.name.to_string(), f.wasm))
        .collect();
    for (name, text) in ASYNC_WAT {
        let wasm = wat::parse_str(text).with_context(|| format!("parsing {name}"))?;
        inputs.push((name.to_string(), wasm));
    }
    Ok(inputs)
}

/// The names of the debug-info fixtures, in the order [`debug_all`]
/// returns them.
pub fn debug_names() -> impl Iterator<Item = &'static str> {
    debug::DEFINITIONS.iter().map(|definition| definition.name)
}

/// Every debug-info fixture (guests built in debug mode), in a fixed order.
pub fn debug_all() -> Result<Vec<Fixture>> {
    (0..debug::DEFINITIONS.len())
        .map(|index| fixture_at(debug::DEFINITIONS, &debug::BUILT, index))
        .collect()
}

/// The fixture (async, debug-built or not) called `name`.
pub fn get(name: &str) -> Result<Fixture> {
    let position = |definitions: &[Definition]| {
        definitions
            .iter()
            .position(|definition| definition.name == name)
    };
    if let Some(index) = position(DEFINITIONS) {
        return fixture_at(DEFINITIONS, &BUILT, index);
    }
    if let Some(index) = position(debug::DEFINITIONS) {
        return fixture_at(debug::DEFINITIONS, &debug::BUILT, index);
    }
    match position(asynchronous::DEFINITIONS) {
        Some(index) => fixture_at(asynchronous::DEFINITIONS, &asynchronous::BUILT, index),
        None => bail!(
            "no fixture named `{name}`; known fixtures: {}",
            names()
                .chain(async_names())
                .chain(debug_names())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Builds (once) fixture `index` of `definitions`, whose built binaries are
/// cached in `built`.
fn fixture_at(
    definitions: &[Definition],
    built: &[OnceLock<Vec<u8>>],
    index: usize,
) -> Result<Fixture> {
    let definition = &definitions[index];
    let wasm = match built[index].get() {
        Some(wasm) => wasm.clone(),
        None => {
            let wasm = (definition.build)()
                .with_context(|| format!("building fixture `{}`", definition.name))?;
            // A concurrent caller may have won the race; both built the
            // same bytes.
            built[index].get_or_init(|| wasm).clone()
        }
    };
    Ok(Fixture {
        name: definition.name,
        wasm,
        is_command: definition.is_command,
    })
}

const SCALARS: &str = "meld:fixtures/scalars";
const CALC: &str = "meld:fixtures/calc";
const STATS: &str = "meld:fixtures/stats";
const PIPELINE: &str = "meld:fixtures/pipeline";
const REPORT: &str = "meld:fixtures/report";
const COUNTER: &str = "meld:fixtures/counter";
const LEDGER: &str = "meld:fixtures/ledger";
const METER: &str = "meld:fixtures/meter";
const GREETER: &str = "meld:fixtures/greeter";
const RUN: &str = "wasi:cli/run";
const VALUE_INTERFACES: [&str; 4] = [
    "meld:fixtures/text",
    "meld:fixtures/sequences",
    "meld:fixtures/shapes",
    "meld:fixtures/wide",
];
const RELAYS: [&str; 4] = [
    "meld:fixtures/text-relay",
    "meld:fixtures/sequences-relay",
    "meld:fixtures/shapes-relay",
    "meld:fixtures/wide-relay",
];
const CHECKS: &str = "meld:fixtures/checks";
const UTF16_STRINGS: &str = "meld:fixtures/utf16-strings";
const LATIN1_STRINGS: &str = "meld:fixtures/latin1-strings";
const CODEC: &str = "meld:fixtures/codec";
const BENCH: &str = "meld:fixtures/bench";
const LOGBOOK: &str = "meld:fixtures/logbook";
const BLOBS: &str = "meld:fixtures/blobs";
const BLOB_CHECKS: &str = "meld:fixtures/blob-checks";
const BLOB_USER: &str = "meld:fixtures/blob-user";
const FLOATS: &str = "meld:fixtures/floats";
const NUMS: &str = "meld:fixtures/nums";
const CHAIN_CHECKS: &str = "meld:fixtures/chain-checks";
const BANNERS: &str = "meld:fixtures/banners";
const ANNOUNCER: &str = "meld:fixtures/announcer";

/// The WAT source of the `transcode` fixture's provider.
const STRINGS16_WAT: &str = include_str!("fixtures/strings16.wat");

/// Instantiates a guest crate's component in `composition`.
fn instantiate(composition: &mut Composition, guest: &Guest) -> Result<wac_graph::NodeId> {
    composition.instantiate(guest.name, &guest.component()?)
}

/// Two components: `calc` calls `scalars` for every scalar type. Both
/// interfaces are exported, so the provider is also reachable directly.
fn scalars() -> Result<Vec<u8>> {
    scalars_of(&guests::SCALARS_PROVIDER, &guests::CALC_CONSUMER)
}

/// The `scalars` composition of these two guests.
fn scalars_of(provider: &Guest, calc: &Guest) -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let provider = instantiate(&mut composition, provider)?;
    let calc = instantiate(&mut composition, calc)?;
    composition.connect(provider, calc, SCALARS)?;
    composition.export(calc, CALC)?;
    composition.export(provider, SCALARS)?;
    composition.encode()
}

/// Three components in a line: `pipeline` calls `calc`, which calls
/// `scalars`; only the head is exported.
fn chain() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let provider = instantiate(&mut composition, &guests::SCALARS_PROVIDER)?;
    let calc = instantiate(&mut composition, &guests::CALC_CONSUMER)?;
    let head = instantiate(&mut composition, &guests::PIPELINE_HEAD)?;
    composition.connect(provider, calc, SCALARS)?;
    composition.connect(calc, head, CALC)?;
    composition.export(head, PIPELINE)?;
    composition.encode()
}

/// Two consumers (`calc`, `stats`) of one `scalars` instance, both used by
/// `report` and both exported too. Their pings land on one shared counter.
fn diamond() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let provider = instantiate(&mut composition, &guests::SCALARS_PROVIDER)?;
    let calc = instantiate(&mut composition, &guests::CALC_CONSUMER)?;
    let stats = instantiate(&mut composition, &guests::STATS_CONSUMER)?;
    let report = instantiate(&mut composition, &guests::REPORT_TOP)?;
    composition.connect(provider, calc, SCALARS)?;
    composition.connect(provider, stats, SCALARS)?;
    composition.connect(calc, report, CALC)?;
    composition.connect(stats, report, STATS)?;
    composition.export(report, REPORT)?;
    composition.export(calc, CALC)?;
    composition.export(stats, STATS)?;
    composition.encode()
}

/// A `wasi:cli/run` command calling a `greeter`; both print to the host's
/// stdout, so the composition imports WASI for two inner components.
fn wasi_hello() -> Result<Vec<u8>> {
    hello_command_with(&guests::GREETER_PROVIDER.component()?)
}

/// `wasi-hello` with both guests built for WASI preview 1 and adapted by
/// wit-component: each component holds its module and an instance of the
/// preview 1 adapter, which shares the module's memory and keeps its own
/// state (globals, a page it grows for itself), and imports preview 2.
fn wasip1_hello() -> Result<Vec<u8>> {
    hello_of(
        &guests::GREETER_PROVIDER_P1.component()?,
        &guests::HELLO_COMMAND_P1,
    )
}

/// The `wasi-hello` command composed with another `greeter` provider
/// (`meld-bench js` gives it one written in JavaScript).
pub fn hello_command_with(greeter: &[u8]) -> Result<Vec<u8>> {
    hello_of(greeter, &guests::HELLO_COMMAND)
}

/// A `hello-command` build calling a `greeter` provider, its `run` exported.
fn hello_of(greeter: &[u8], command: &Guest) -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let greeter = composition.instantiate("greeter-provider", greeter)?;
    let command = instantiate(&mut composition, command)?;
    composition.connect(greeter, command, GREETER)?;
    composition.export(command, RUN)?;
    composition.encode()
}

pub use guests::preview1_reactor_component;

/// A `greeter` user of another toolchain (the `greeter-user` world of
/// `tests/toolchains/wit`, exporting `meld:toolchains/user`) composed with
/// a `greeter` provider (meld-toolchains).
pub fn greeter_user_with(user: &[u8], greeter: &[u8]) -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let greeter = composition.instantiate("greeter-provider", greeter)?;
    let user = composition.instantiate("greeter-user", user)?;
    composition.connect(greeter, user, GREETER)?;
    composition.export(user, "meld:toolchains/user")?;
    composition.encode()
}

/// The `scalars` composition used as one component of another: `pipeline`
/// calls `calc` across a nesting boundary, and the nested component's
/// `scalars` export is re-exported.
fn nested() -> Result<Vec<u8>> {
    let inner = scalars()?;
    let mut composition = Composition::new();
    let inner = composition.instantiate("scalars-composition", &inner)?;
    let head = instantiate(&mut composition, &guests::PIPELINE_HEAD)?;
    composition.connect(inner, head, CALC)?;
    composition.export(head, PIPELINE)?;
    composition.export(inner, SCALARS)?;
    composition.encode()
}

/// The stateful `counter` instantiated twice, one instance behind `ledger`
/// and one behind `meter`; the first is exported as well. Deposits never
/// move the meter: the two instances share no state.
fn twice() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let first = instantiate(&mut composition, &guests::COUNTER_PROVIDER)?;
    let second = instantiate(&mut composition, &guests::COUNTER_PROVIDER)?;
    let ledger = instantiate(&mut composition, &guests::LEDGER_CONSUMER)?;
    let meter = instantiate(&mut composition, &guests::METER_CONSUMER)?;
    composition.connect(first, ledger, COUNTER)?;
    composition.connect(second, meter, COUNTER)?;
    composition.export(ledger, LEDGER)?;
    composition.export(meter, METER)?;
    composition.export(first, COUNTER)?;
    composition.encode()
}

/// `values-consumer` → `values-provider` over strings, lists, records,
/// tuples, variants, enums, options, results, flags and wide signatures.
/// The consumer's relays (every call passed through, so generated values
/// cross the boundary both ways) and self-test are exported, and so is
/// every provider interface.
fn values() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let provider = instantiate(&mut composition, &guests::VALUES_PROVIDER)?;
    let consumer = instantiate(&mut composition, &guests::VALUES_CONSUMER)?;
    for interface in VALUE_INTERFACES {
        composition.connect(provider, consumer, interface)?;
    }
    // The relays use the provider's types, so those must be exported first.
    for interface in VALUE_INTERFACES {
        composition.export(provider, interface)?;
    }
    for relay in RELAYS {
        composition.export(consumer, relay)?;
    }
    composition.export(consumer, CHECKS)?;
    composition.encode()
}

/// `codec-consumer` (Rust, utf8) → the WAT provider of
/// `fixtures/strings16.wat`, whose lifts use `string-encoding=utf16` and
/// `latin1+utf16`: every string crossing is transcoded, both ways.
fn transcode() -> Result<Vec<u8>> {
    let provider = wat::parse_str(STRINGS16_WAT).context("parsing strings16.wat")?;
    let mut composition = Composition::new();
    let provider = composition.instantiate("strings16-provider", &provider)?;
    let consumer = instantiate(&mut composition, &guests::CODEC_CONSUMER)?;
    composition.connect(provider, consumer, UTF16_STRINGS)?;
    composition.connect(provider, consumer, LATIN1_STRINGS)?;
    composition.export(consumer, CODEC)?;
    composition.export(consumer, CHECKS)?;
    composition.export(provider, UTF16_STRINGS)?;
    composition.export(provider, LATIN1_STRINGS)?;
    composition.encode()
}

/// The benchmark: `bench-consumer` calling `scalars` (scalars-provider),
/// `text`, `shapes` and `sequences` (values-provider) and `utf16-strings`
/// (the WAT provider of `transcode`) in loops.
fn bench() -> Result<Vec<u8>> {
    let strings16 = wat::parse_str(STRINGS16_WAT).context("parsing strings16.wat")?;
    let mut composition = Composition::new();
    let scalars = instantiate(&mut composition, &guests::SCALARS_PROVIDER)?;
    let values = instantiate(&mut composition, &guests::VALUES_PROVIDER)?;
    let strings16 = composition.instantiate("strings16-provider", &strings16)?;
    let bench = instantiate(&mut composition, &guests::BENCH_CONSUMER)?;
    composition.connect(scalars, bench, SCALARS)?;
    for interface in ["text", "shapes", "sequences"] {
        composition.connect(values, bench, &format!("meld:fixtures/{interface}"))?;
    }
    composition.connect(strings16, bench, UTF16_STRINGS)?;
    composition.export(bench, BENCH)?;
    composition.encode()
}

/// Resources between two components: `blobs-consumer` owns, borrows and
/// drops the `blob` and `stamp` resources of `blobs-provider`, inside
/// records, lists, options, results and variants; both note drops in one
/// `logbook`. The provider's `blobs` is exported too, so the host creates,
/// passes and drops blobs itself (the consumer's `blob-user` takes them).
fn resources() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let logbook = instantiate(&mut composition, &guests::LOGBOOK_PROVIDER)?;
    let provider = instantiate(&mut composition, &guests::BLOBS_PROVIDER)?;
    let consumer = instantiate(&mut composition, &guests::BLOBS_CONSUMER)?;
    composition.connect(logbook, provider, LOGBOOK)?;
    composition.connect(logbook, consumer, LOGBOOK)?;
    composition.connect(provider, consumer, BLOBS)?;
    // `blob-user` uses the provider's types, so those are exported first.
    composition.export(provider, BLOBS)?;
    composition.export(consumer, BLOB_CHECKS)?;
    composition.export(consumer, BLOB_USER)?;
    composition.export(logbook, LOGBOOK)?;
    composition.encode()
}

/// A chain of resource re-exporters: `floats-leaf` defines `float` and
/// `words`; `floats-proxy` imports `floats` and exports it again, each
/// resource wrapping the leaf's; `nums-wrapper` imports the proxy's and
/// exports `num`, wrapping a float; `chain-runner` uses the proxy's
/// floats and the wrapper's nums. All four note drops in one `logbook`.
/// The proxy's `floats`, the wrapper's `nums`, the runner's checks and
/// the logbook are exported.
fn res_chain() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let logbook = instantiate(&mut composition, &guests::LOGBOOK_PROVIDER)?;
    let leaf = instantiate(&mut composition, &guests::FLOATS_LEAF)?;
    let proxy = instantiate(&mut composition, &guests::FLOATS_PROXY)?;
    let wrapper = instantiate(&mut composition, &guests::NUMS_WRAPPER)?;
    let runner = instantiate(&mut composition, &guests::CHAIN_RUNNER)?;
    for user in [leaf, proxy, wrapper, runner] {
        composition.connect(logbook, user, LOGBOOK)?;
    }
    composition.connect(leaf, proxy, FLOATS)?;
    composition.connect(proxy, wrapper, FLOATS)?;
    composition.connect(proxy, runner, FLOATS)?;
    composition.connect(wrapper, runner, NUMS)?;
    composition.export(proxy, FLOATS)?;
    composition.export(wrapper, NUMS)?;
    composition.export(runner, CHAIN_CHECKS)?;
    composition.export(logbook, LOGBOOK)?;
    composition.encode()
}

/// Resources and WASI's host resources together: `banner-announcer`
/// creates, shows and drops the `banner`s of `banner-printer`; both print
/// to stdout (the printer also from its destructor), so each holds its
/// own handles to the host's streams. Both interfaces are exported.
fn res_wasi() -> Result<Vec<u8>> {
    let mut composition = Composition::new();
    let printer = instantiate(&mut composition, &guests::BANNER_PRINTER)?;
    let announcer = instantiate(&mut composition, &guests::BANNER_ANNOUNCER)?;
    composition.connect(printer, announcer, BANNERS)?;
    composition.export(printer, BANNERS)?;
    composition.export(announcer, ANNOUNCER)?;
    composition.encode()
}
