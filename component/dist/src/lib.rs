//! meld-dist: builds meld's two WebAssembly artifacts from the workspace.
//!
//! - `meld.wasm`: the `meld-component` crate compiled for
//!   `wasm32-unknown-unknown` (no WASI, so no imports; a panic is a trap)
//!   and turned into a component by wit-component from the component type
//!   wit-bindgen embeds. It exports `meld:fuse/fuser` and imports nothing;
//!   [`check_imports_nothing`] makes sure of that before it is written.
//! - `meld-cli.wasm`: the native CLI crate (`meld-cli`) itself compiled for
//!   `wasm32-wasip2`, a `wasi:cli` command with exactly the native `meld`'s
//!   subcommands and flags, since it is the same code.
//!
//! Both are built size-optimised (see [`PROFILE`]) by a nested cargo in a
//! build directory of their own, so they never disturb the host build, and
//! written to the output directory atomically. Cargo decides what is out of
//! date, so [`build`] is cheap when nothing changed; tests call it rather
//! than trusting an artifact left on disk.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

/// The `release` profile the artifacts are built with: small (opt-level
/// `s`, LTO, one codegen unit, stripped), and `panic = "abort"` so no
/// unwinding machinery is linked in.
pub const PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s"),
    ("CARGO_PROFILE_RELEASE_LTO", "true"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
    ("CARGO_PROFILE_RELEASE_STRIP", "true"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
];

/// The interface `meld.wasm` exports.
pub const INTERFACE: &str = "meld:fuse/fuser@0.6.0";

const ENGINE_TARGET: &str = "wasm32-unknown-unknown";
const CLI_TARGET: &str = "wasm32-wasip2";

/// Where the artifacts come from and go.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The workspace root (the directory of the top-level `Cargo.toml`).
    pub workspace: PathBuf,
    /// cargo's target directory for the wasm builds.
    pub build_dir: PathBuf,
    /// Where `meld.wasm` and `meld-cli.wasm` are written.
    pub out_dir: PathBuf,
}

/// The built artifacts.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The `meld:fuse` component.
    pub meld: PathBuf,
    /// The `wasi:cli` command.
    pub meld_cli: PathBuf,
}

/// Builds both artifacts into `paths.out_dir`.
pub fn build(paths: &Paths) -> Result<Artifacts> {
    add_targets()?;
    fs::create_dir_all(&paths.out_dir)
        .with_context(|| format!("cannot create {}", paths.out_dir.display()))?;

    // The engine: a core module with wit-bindgen's component type embedded,
    // then the component wit-component makes of it.
    cargo(paths, "rustc", PROFILE)
        .args(["-p", "meld-component", "--lib", "--crate-type", "cdylib"])
        .args(["--target", ENGINE_TARGET])
        .run("build meld-component")?;
    let module = paths
        .build_dir
        .join(ENGINE_TARGET)
        .join("release/meld_component.wasm");
    let module = fs::read(&module).with_context(|| format!("cannot read {}", module.display()))?;
    let component = componentize(&module)?;
    check_imports_nothing(&component)?;
    let meld = paths.out_dir.join("meld.wasm");
    write_atomically(&meld, &component)?;

    // The command: the native CLI's own crate, for WASI.
    cargo(paths, "build", PROFILE)
        .args(["-p", "meld-cli", "--bin", "meld"])
        .args(["--target", CLI_TARGET])
        .run("build meld-cli")?;
    let command = paths.build_dir.join(CLI_TARGET).join("release/meld.wasm");
    let command =
        fs::read(&command).with_context(|| format!("cannot read {}", command.display()))?;
    let meld_cli = paths.out_dir.join("meld-cli.wasm");
    write_atomically(&meld_cli, &command)?;

    Ok(Artifacts { meld, meld_cli })
}

/// Builds the native `meld` for the host with the workspace's own
/// `release` profile (optimised for speed, LTO), as users install it; the
/// benchmark compares meld.wasm with it. Returns the binary's path.
pub fn build_native_cli(paths: &Paths) -> Result<PathBuf> {
    cargo(paths, "build", &[])
        .args(["-p", "meld-cli", "--bin", "meld"])
        .run("build the native meld")?;
    Ok(paths
        .build_dir
        .join("release")
        .join(format!("meld{}", std::env::consts::EXE_SUFFIX)))
}

/// Turns the engine's core module into a component, from the component
/// type wit-bindgen embedded in it.
pub fn componentize(module: &[u8]) -> Result<Vec<u8>> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .context("the engine module has no usable component type")?
        .validate(true)
        .encode()
        .context("cannot make a component of the engine module")
}

/// Checks what `wasm-tools component wit` would show: the component's world
/// imports nothing and exports [`INTERFACE`] and nothing else.
pub fn check_imports_nothing(component: &[u8]) -> Result<()> {
    let wit_component::DecodedWasm::Component(resolve, world) =
        wit_component::decode(component).context("cannot decode meld.wasm's WIT world")?
    else {
        bail!("meld.wasm is a WIT package, not a component");
    };
    let world = &resolve.worlds[world];
    let imports: Vec<String> = world
        .imports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    ensure!(imports.is_empty(), "meld.wasm imports {imports:?}");
    let exports: Vec<String> = world
        .exports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    ensure!(
        exports == [INTERFACE],
        "meld.wasm exports {exports:?}, expected [{INTERFACE:?}]"
    );
    // The same at the binary level: no import section at the top level
    // (nested components, which wit-component uses to give exported
    // interfaces their types, import from their parent, not the host).
    let mut depth = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        match payload.context("meld.wasm does not parse")? {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::ComponentImportSection(reader) if depth == 0 => ensure!(
                reader.count() == 0,
                "meld.wasm imports {} items at its top level",
                reader.count()
            ),
            _ => {}
        }
    }
    Ok(())
}

/// `len` bytes and their gzip size (best compression), for reports.
pub fn sizes(bytes: &[u8]) -> Result<(usize, usize)> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok((bytes.len(), encoder.finish()?.len()))
}

/// Installs the wasm targets' standard libraries (a no-op when present).
fn add_targets() -> Result<()> {
    let status = Command::new("rustup")
        .args(["target", "add", ENGINE_TARGET, CLI_TARGET])
        .output()
        .context("cannot run rustup to add the wasm targets")?;
    ensure!(
        status.status.success(),
        "`rustup target add {ENGINE_TARGET} {CLI_TARGET}` failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    Ok(())
}

/// A nested `cargo <subcommand> --release` run in the workspace with the
/// lockfile as committed, `profile` over the workspace's `release` profile,
/// and nothing of the caller's build configuration (flags, target,
/// profile) that was meant for the host.
fn cargo(paths: &Paths, subcommand: &str, profile: &[(&str, &str)]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command.current_dir(&paths.workspace);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(steers_the_build) {
            command.env_remove(key);
        }
    }
    command.envs(profile.iter().copied());
    command
        .arg(subcommand)
        .args(["--quiet", "--locked", "--release", "--target-dir"])
        .arg(&paths.build_dir);
    command
}

/// Whether an environment variable of the caller would change what the
/// nested cargo builds.
fn steers_the_build(key: &str) -> bool {
    key == "RUSTFLAGS"
        || key == "RUSTC_WORKSPACE_WRAPPER"
        || [
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_",
            "CARGO_TARGET_",
            "CARGO_PROFILE_",
        ]
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

trait Run {
    fn run(&mut self, what: &str) -> Result<()>;
}

impl Run for Command {
    /// Runs the command, its output going to the caller's stderr, and fails
    /// unless it succeeds.
    fn run(&mut self, what: &str) -> Result<()> {
        let status = self
            .status()
            .with_context(|| format!("cannot run cargo to {what}"))?;
        ensure!(status.success(), "cargo failed to {what} ({status})");
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, so a reader
/// never sees half an artifact.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::check_imports_nothing;

    #[test]
    fn a_component_that_imports_something_is_refused() {
        let component = wat::parse_str(
            r#"(component
                (import "f" (func))
            )"#,
        )
        .expect("wat");
        let error = check_imports_nothing(&component).expect_err("imports f");
        assert!(
            format!("{error:#}").contains("imports [\"f\"]"),
            "{error:#}"
        );
    }

    #[test]
    fn a_component_without_the_interface_is_refused() {
        let component = wat::parse_str("(component)").expect("wat");
        let error = check_imports_nothing(&component).expect_err("exports nothing");
        assert!(format!("{error:#}").contains("exports []"), "{error:#}");
    }

    #[test]
    fn a_core_module_is_refused() {
        let module = wat::parse_str("(module)").expect("wat");
        assert!(check_imports_nothing(&module).is_err());
    }
}
