//! Strings the host writes into meld's memory reach the component with
//! the `realloc` calls the host makes in the original
//! (`staged_strings.wat`): a root export whose parameters hold handles in
//! memory has them written into meld's stage heap, and a host function
//! whose parameters do has its result written into meld's scratch area;
//! meld then copies the strings into the component. In the original the
//! host writes them into the component's memory itself, asking a utf16
//! component for twice the utf8 length and then shrinking the block, and
//! a latin1+utf16 one for the utf8 length, twice that at the first
//! character beyond latin1, then shrinking. Before meld staged strings in
//! utf8 (found by the differential fuzzer: `fuzz_differential.rs`), it
//! copied them in the component's encoding with one exact `realloc`, and
//! a component could tell (its allocator saw other sizes, and its memory
//! held other bytes past the string).

use meld_core::{MemoryStrategy, Options, fuse};
use wasmtime::component::{Component, Linker, Resource, ResourceAny, ResourceType, Val};
use wasmtime::{Config, Engine, Store};

/// The host's resource.
struct Thing;

fn texts() -> Vec<String> {
    [
        "",
        "hello",
        "héllo wörld",
        "ÿÿÿÿ",
        "h€llo",
        "a😀b",
        "latin1 ¡ñ¿ then € and 😀 after",
        "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_component_model(true).wasm_multi_memory(true);
    Engine::new(&config).expect("an engine")
}

/// `export(things, text)` on a fresh instance of `wasm`, then `log()`:
/// the export's answer and the component's log.
fn run(engine: &Engine, wasm: &[u8], export: &str, text: &str) -> (Val, Vec<u32>) {
    let component = Component::new(engine, wasm).expect("compiles");
    let mut linker: Linker<()> = Linker::new(engine);
    let mut root = linker.root();
    root.resource("thing", ResourceType::host::<Thing>(), |_, _| Ok(()))
        .expect("the resource");
    root.func_new("label", |mut store, _, params, results| {
        // (a borrow the host was given ends with the call)
        if let Val::List(things) = &params[0] {
            for thing in things {
                if let Val::Resource(thing) = thing {
                    thing.resource_drop(&mut store)?;
                }
            }
        }
        results[0] = params[1].clone();
        Ok(())
    })
    .expect("label");
    let mut store = Store::new(engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let things = (1..=2)
        .map(|rep| {
            let thing = ResourceAny::try_from_resource(Resource::<Thing>::new_own(rep), &mut store)
                .expect("a thing");
            Val::Resource(thing)
        })
        .collect();
    let func = instance.get_func(&mut store, export).expect(export);
    let mut answer = [Val::Bool(false)];
    func.call(
        &mut store,
        &[Val::List(things), Val::String(text.into())],
        &mut answer,
    )
    .unwrap_or_else(|e| panic!("{export}({text:?}): {e:?}"));
    let log = instance.get_func(&mut store, "log").expect("log");
    let mut words = [Val::Bool(false)];
    log.call(&mut store, &[], &mut words).expect("the log");
    let words = match &words[0] {
        Val::List(words) => words
            .iter()
            .map(|w| match w {
                Val::U32(w) => *w,
                other => panic!("{other:?} in the log"),
            })
            .collect(),
        other => panic!("{other:?} from log"),
    };
    let [answer] = answer;
    (answer, words)
}

#[test]
fn staged_strings_reach_the_component_with_the_hosts_reallocs() {
    let original = wat::parse_str(include_str!("staged_strings.wat")).expect("parses");
    let engine = engine();
    let mut resized = 0;
    for memory in [MemoryStrategy::Multi, MemoryStrategy::Shared] {
        let options = Options {
            memory,
            ..Options::default()
        };
        let fused = fuse(&[&original], &options).expect("fuses").wasm;
        for export in [
            "take-utf8",
            "take-utf16",
            "take-latin1",
            "relay-utf8",
            "relay-utf16",
            "relay-latin1",
        ] {
            for text in texts() {
                let expected = run(&engine, &original, export, &text);
                let got = run(&engine, &fused, export, &text);
                assert_eq!(
                    got, expected,
                    "{export}({text:?}) with {memory:?}: (answer, log) fused and original"
                );
                // a realloc call with an old block: the host resized one
                resized += expected
                    .1
                    .chunks(4)
                    .filter(|e| e[0] != 0 && e[0] != u32::MAX)
                    .count();
            }
        }
    }
    // utf16 and latin1+utf16 strings that are not ASCII are shrunk or grown
    assert!(
        resized >= 20,
        "only {resized} resizes: the case lost its point"
    );
}
