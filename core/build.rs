//! Assembles meld's runtime modules, written in the text format under
//! `src/runtime/`, into binaries the engine embeds.

use std::path::PathBuf;

fn main() {
    assemble("scheduler");
    assemble("waitables");
    assemble("tasks");
}

fn assemble(name: &str) {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = format!("src/runtime/{name}.wat");
    println!("cargo::rerun-if-changed={source}");
    let binary = wat::parse_file(&source)
        .unwrap_or_else(|e| panic!("meld's runtime module {source} does not assemble: {e}"));
    std::fs::write(out.join(format!("{name}.wasm")), binary)
        .unwrap_or_else(|e| panic!("cannot write the assembled {name}: {e}"));
}
