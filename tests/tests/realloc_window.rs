//! The host's handles never lie in a component's memory where its own
//! code could rewrite them before meld translates them
//! (`realloc_window.wat`): wasmtime calls the component's realloc in the
//! middle of lowering a sync export's parameters or a host function's
//! result, after it wrote handles before them. Fused, a component
//! rewriting those numbers must get what it gets in the original (its own
//! table's entries, or a trap), never a thing another component holds.

use meld_core::{MemoryStrategy, Options, fuse};
use meld_tests::things::{Thing, drive, link_things};
use wasmtime::Store;
use wasmtime::component::{Component, Linker, Resource, ResourceAny, Val};

/// What the script does on `wasm` with `guess`, calling `export`:
/// `hold(9)`, then `aim(guess)` and `export([(thing 7, "x")])` (`take`
/// or `peek`) or `grab(guess)`, then `posted()` (unless it trapped); one
/// line each.
fn script(wasm: &[u8], export: &str, guess: i32) -> Vec<String> {
    let engine = meld_tests::harness::engine().expect("the harness's engine");
    let component = Component::new(engine, wasm).expect("the component compiles");
    let mut store = Store::new(engine, ());
    store.set_fuel(u64::MAX).expect("fuel");
    let mut linker: Linker<()> = Linker::new(engine);
    link_things(&mut linker);
    let instance = drive(linker.instantiate_async(&mut store, &component)).expect("instantiates");
    let call = |store: &mut Store<()>, name: &str, args: Vec<Val>, results: usize| {
        let f = instance
            .get_func(&mut *store, name)
            .unwrap_or_else(|| panic!("no export `{name}`"));
        let mut out = vec![Val::Bool(false); results];
        match drive(f.call_async(&mut *store, &args, &mut out)) {
            Ok(()) => Ok(out),
            // (meld's trap messages are its own)
            Err(_) => Err("trap".to_string()),
        }
    };
    let mut seen = Vec::new();
    call(&mut store, "hold", vec![Val::U32(9)], 0).expect("hold");
    let args = match export {
        "grab" => vec![Val::S32(guess)],
        _ => {
            call(&mut store, "aim", vec![Val::S32(guess)], 0).expect("aim");
            let thing = ResourceAny::try_from_resource(Resource::<Thing>::new_own(7), &mut store)
                .expect("a thing");
            vec![Val::List(vec![Val::Tuple(vec![
                Val::Resource(thing),
                Val::String("x".into()),
            ])])]
        }
    };
    let line = match call(&mut store, export, args, 1) {
        Ok(mut out) => match out.pop() {
            Some(Val::Tuple(pair)) => match pair.as_slice() {
                [v, Val::Resource(back)] => {
                    let back = Resource::<Thing>::try_from_resource_any(*back, &mut store)
                        .expect("a thing of the host's");
                    format!("{export} = ({v:?}, thing {})", back.rep())
                }
                other => panic!("not a value and a thing: {other:?}"),
            },
            Some(v) => format!("{export} = {v:?}"),
            None => panic!("no result"),
        },
        Err(trap) => {
            // a trap leaves the instance unusable
            seen.push(trap);
            return seen;
        }
    };
    seen.push(line);
    let posted = call(&mut store, "posted", vec![], 1).expect("posted");
    seen.push(format!("posted = {:?}", posted[0]));
    seen
}

/// Every guess from -1 (none) to 5, with each export: the original's
/// lines (a trap for a number not in the component's table), the same
/// fused with both memory strategies. Before parameters with handles in
/// memory were staged, the fused `take` gave 9 for the guess naming the
/// holder's thing (and `peek` trapped); before such results of host
/// functions were, `grab` did.
#[test]
fn sync_export_parameters_stay_out_of_reach() {
    let text = include_str!("realloc_window.wat");
    let (before, napper) = text.split_once("  ;; napper:").expect("the napper");
    let (_, after) = napper
        .split_once(";; napper end")
        .expect("the napper's end");
    let without = format!("{before}{after}");
    check(&wat::parse_str(without).expect("the WAT parses"));
}

/// The same with the fused module's async runtime calling the exports.
#[test]
fn sync_export_parameters_stay_out_of_reach_of_tasks() {
    check(&wat::parse_str(include_str!("realloc_window.wat")).expect("the WAT parses"));
}

fn check(wasm: &[u8]) {
    let fused: Vec<(MemoryStrategy, Vec<u8>)> = [MemoryStrategy::Multi, MemoryStrategy::Shared]
        .into_iter()
        .map(|memory| {
            let options = Options {
                memory,
                ..Options::default()
            };
            (memory, fuse(&[wasm], &options).expect("fuses").wasm)
        })
        .collect();
    for export in ["take", "peek", "grab"] {
        for guess in -1..6 {
            let expected = script(wasm, export, guess);
            // what the original does, so that the test checks what it claims
            let value = match (export, guess) {
                ("take", -1 | 1) => "take = (U32(7), thing 7)".to_string(),
                (_, -1 | 1) => format!("{export} = U32(7)"),
                _ => "trap".to_string(),
            };
            assert!(
                expected[0].starts_with(&value),
                "original, {export}, guess {guess}: {expected:?}"
            );
            for (memory, fused) in &fused {
                assert_eq!(
                    script(fused, export, guess),
                    expected,
                    "{memory:?}, {export}, guess {guess}"
                );
            }
        }
    }
}
