//! `--memory shared` keeps every component inside its region even at
//! addresses near 4 GiB (`shared_wrap.wat`): there, moving an address by
//! its region's base must not wrap around into another region, in the
//! component's own loads, its bulk memory instructions, and what the
//! host reads from it.

use meld_core::{MemoryStrategy, Options, fuse};
use wasmtime::component::{Component, Linker, Val};
use wasmtime::{Config, Engine, Store};

/// Calls `instance.name(addr)` on a fresh instance of `wasm`, after
/// `fill` at `addr` in the other instance when `after_fill`: the result,
/// or `trap`.
fn call(wasm: &[u8], instance: &str, name: &str, addr: u32) -> String {
    let engine = Engine::new(Config::new().wasm_multi_memory(true)).expect("an engine");
    let component = Component::new(&engine, wasm).expect("the component compiles");
    let mut store = Store::new(&engine, ());
    let linker: Linker<()> = Linker::new(&engine);
    let instance_ = linker
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let outer = instance_
        .get_export_index(&mut store, None, instance)
        .expect("an exported instance");
    let index = instance_
        .get_export_index(&mut store, Some(&outer), name)
        .expect("an exported function");
    let f = instance_.get_func(&mut store, index).expect("a function");
    let mut out = [Val::Bool(false)];
    let called = f.call(&mut store, &[Val::U32(addr)], &mut out);
    let seen = match called {
        Ok(()) => format!("{:?}", out[0]),
        Err(_) => "trap".to_string(),
    };
    // what the other instance holds at 0 afterwards (a fill must not
    // have reached it)
    let other = if instance == "a" { "b" } else { "a" };
    let outer = instance_
        .get_export_index(&mut store, None, other)
        .expect("an exported instance");
    let index = instance_
        .get_export_index(&mut store, Some(&outer), "peek")
        .expect("an exported function");
    let peek = instance_.get_func(&mut store, index).expect("a function");
    let mut secret = [Val::Bool(false)];
    match peek.call(&mut store, &[Val::U32(0)], &mut secret) {
        Ok(()) => format!("{seen}, other {:?}", secret[0]),
        Err(_) => format!("{seen}, other gone"),
    }
}

#[test]
fn addresses_near_4_gib_stay_in_their_region() {
    let wasm = wat::parse_str(include_str!("shared_wrap.wat")).expect("the WAT parses");
    let options = Options {
        memory: MemoryStrategy::Shared,
        ..Options::default()
    };
    let fused = fuse(&[&wasm], &options).expect("fuses").wasm;
    let mut cases = 0;
    for instance in ["a", "b"] {
        for name in ["peek", "copy", "fill", "text"] {
            // 0: inside; the others past the memory's end, where a base of
            // 64 or 128 MiB (or anything) would wrap around
            for addr in [0, 0xfc00_0000, 0xf800_0000, 0xffff_fffc] {
                let original = call(&wasm, instance, name, addr);
                if addr != 0 {
                    assert!(original.starts_with("trap"), "{instance}.{name}({addr:#x})");
                }
                let seen = call(&fused, instance, name, addr);
                assert_eq!(seen, original, "{instance}.{name}({addr:#x})");
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 32);
}
