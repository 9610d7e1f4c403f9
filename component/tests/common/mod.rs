//! What the tests and the benchmark of meld.wasm and meld-cli.wasm share:
//! the artifacts, built (or brought up to date) by meld-dist on first use,
//! and one wasmtime engine.
//!
//! The artifacts are built in `<target dir>/meld-dist`, beside the build
//! that runs the tests, and written to `<target dir>/meld-dist/out`, so a
//! test run never touches the `target/dist/` that `build.sh` fills.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use meld_dist::Artifacts;
use wasmtime::Engine;

/// The artifacts, built once per test process; a build failure fails every
/// test that needs them.
pub fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Result<Artifacts, String>> = OnceLock::new();
    let built = ARTIFACTS.get_or_init(|| meld_dist::build(&paths()).map_err(|e| format!("{e:#}")));
    match built {
        Ok(artifacts) => artifacts,
        Err(e) => panic!("cannot build meld.wasm and meld-cli.wasm: {e}"),
    }
}

/// Where [`artifacts`] builds: `<target dir>/meld-dist`, output in its
/// `out/`.
pub fn paths() -> meld_dist::Paths {
    let build_dir = target_dir().join("meld-dist");
    meld_dist::Paths {
        workspace: Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        out_dir: build_dir.join("out"),
        build_dir,
    }
}

/// The bytes of an artifact.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One engine for every component a test process compiles.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::default)
}

/// The cargo target directory of this build: the parent of the
/// `CARGO_TARGET_TMPDIR` cargo gives integration tests and benchmarks.
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).to_path_buf()
}
