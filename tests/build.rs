//! Builds the fixture guests (the separate cargo workspaces in `guests/`
//! and `guests-async/`) for wasm32 and tells `src/fixtures/guests.rs`
//! where each artifact is, through one `MELD_GUEST_<CRATE>` environment
//! variable per guest crate.
//!
//! The two workspaces pin different wit-bindgen versions: `guests-async`
//! holds the async guests, whose wit-bindgen (0.60.0) is the one known to
//! run under the harness's wasmtime; each has its own target directory.
//!
//! Most guests build in release mode; a few are also built in debug mode
//! (`cargo build`'s default, with DWARF), announced as
//! `MELD_GUEST_<CRATE>_DEBUG`, for the debug-info fixtures.
//!
//! Guests without WASI build for `wasm32-unknown-unknown` (core modules,
//! componentized at run time with wit-component); guests that print build
//! for `wasm32-wasip2`, whose linker already emits components; two of them
//! also build for `wasm32-wasip1` (announced as `MELD_GUEST_<CRATE>_P1`),
//! modules that wit-component adapts to preview 2. The guests
//! get their own target directory beside the outer one and an environment
//! cleared of what the outer cargo set for this script (flags, wrappers,
//! target selection), so that `cargo clippy` or `RUSTFLAGS` meant for the
//! host never reach the wasm build.

use std::env;
use std::error::Error;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// A cargo workspace of guests: its directory under `tests/`, the
/// directory under the outer target directory it builds into, and its
/// crates per target.
struct Workspace {
    dir: &'static str,
    target_dir: &'static str,
    targets: &'static [TargetGuests],
}

/// One wasm target and the guest crates built for it, in one profile.
struct TargetGuests {
    triple: &'static str,
    profile: Profile,
    crates: &'static [&'static str],
}

impl TargetGuests {
    /// What the crate's variable name ends with beyond `MELD_GUEST_<CRATE>`:
    /// `_P1` for `wasm32-wasip1` (the same crates are built for wasip2),
    /// `_DEBUG` for debug builds.
    fn suffix(&self) -> String {
        let target = if self.triple == "wasm32-wasip1" {
            "_P1"
        } else {
            ""
        };
        let profile = match self.profile {
            Profile::Release => "",
            Profile::Debug => "_DEBUG",
        };
        format!("{target}{profile}")
    }
}

/// The cargo profile a guest is built with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    Release,
    /// `dev`: no optimisation, full DWARF.
    Debug,
}

const WORKSPACES: &[Workspace] = &[
    Workspace {
        dir: "guests",
        target_dir: "meld-guests",
        targets: GUESTS,
    },
    Workspace {
        dir: "guests-async",
        target_dir: "meld-guests-async",
        targets: ASYNC_GUESTS,
    },
];

const GUESTS: &[TargetGuests] = &[
    TargetGuests {
        triple: "wasm32-unknown-unknown",
        profile: Profile::Release,
        crates: &[
            "scalars-provider",
            "calc-consumer",
            "stats-consumer",
            "pipeline-head",
            "report-top",
            "counter-provider",
            "ledger-consumer",
            "meter-consumer",
            "values-provider",
            "values-consumer",
            "codec-consumer",
            "bench-consumer",
            "logbook-provider",
            "blobs-provider",
            "blobs-consumer",
            "floats-leaf",
            "floats-proxy",
            "nums-wrapper",
            "chain-runner",
        ],
    },
    TargetGuests {
        triple: "wasm32-wasip2",
        profile: Profile::Release,
        crates: &[
            "greeter-provider",
            "hello-command",
            "banner-printer",
            "banner-announcer",
        ],
    },
    // The same command and provider as WASI preview 1 modules, which
    // wit-component adapts to preview 2 with wasmtime's preview 1 adapter
    // (as `cargo component` and wasi-sdk users build components).
    TargetGuests {
        triple: "wasm32-wasip1",
        profile: Profile::Release,
        crates: &["greeter-provider", "hello-command"],
    },
    TargetGuests {
        triple: "wasm32-unknown-unknown",
        profile: Profile::Debug,
        crates: &[
            "trace-provider",
            "trace-consumer",
            "scalars-provider",
            "calc-consumer",
        ],
    },
];

/// The async guests (wit-bindgen 0.60.0; see `guests-async/README.md`).
const ASYNC_GUESTS: &[TargetGuests] = &[
    TargetGuests {
        triple: "wasm32-unknown-unknown",
        profile: Profile::Release,
        crates: &[
            "async-worker",
            "async-caller",
            "blocking-caller",
            "async-gate",
            "gatekeeper",
            "mailbox",
            "pong-player",
            "ping-referee",
            "sync-lowerer",
            "shouter",
            "stream-sink",
            "stream-pipes",
        ],
    },
    TargetGuests {
        triple: "wasm32-wasip2",
        profile: Profile::Release,
        crates: &["async-printer"],
    },
    TargetGuests {
        triple: "wasm32-unknown-unknown",
        profile: Profile::Debug,
        crates: &["async-worker", "blocking-caller"],
    },
];

/// Variables of the outer build that must not steer the guest build.
const CLEARED_VARS: &[&str] = &[
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_LINKER",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
    "NUM_JOBS",
];

/// Prefixes of `CARGO_*` variables that must not steer the guest build;
/// `CARGO_HOME`, `CARGO_NET_*`, `CARGO_HTTP_*`, `CARGO_MAKEFLAGS` (the
/// jobserver) and the like are kept.
const CLEARED_PREFIXES: &[&str] = &[
    "CARGO_ENCODED_RUST",
    "CARGO_BUILD_",
    "CARGO_TARGET_",
    "CARGO_PROFILE_",
    "CARGO_FEATURE_",
    "CARGO_CFG_",
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_CRATE_NAME",
];

fn main() -> Result<()> {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let outer_target_dir = outer_target_dir()?;
    // `MELD_GUEST_TOOLCHAIN`: build the guests with this rustup toolchain
    // rather than the one building this crate (cargo-fuzz builds with a
    // nightly whose wasm targets may not be installable).
    println!("cargo:rerun-if-env-changed=MELD_GUEST_TOOLCHAIN");
    let toolchain = env::var("MELD_GUEST_TOOLCHAIN").ok();
    let tool = |name: &str, var: &str| match &toolchain {
        Some(toolchain) => Tool::Rustup(toolchain.clone(), name.to_owned()),
        None => Tool::Path(env::var_os(var).unwrap_or_else(|| OsString::from(name))),
    };
    let (cargo, rustc) = (tool("cargo", "CARGO"), tool("rustc", "RUSTC"));

    for workspace in WORKSPACES {
        let guests_dir = manifest_dir.join(workspace.dir);
        let target_dir = outer_target_dir.join(workspace.target_dir);
        watch_guest_sources(&guests_dir)?;
        for target in workspace.targets {
            ensure_target_installed(&rustc, target.triple)?;
            build_guests(&cargo, &guests_dir, &target_dir, target)?;
            announce_artifacts(&target_dir, target)?;
        }
    }
    Ok(())
}

/// A tool of the guest build: a program, or one run from a rustup
/// toolchain.
enum Tool {
    Path(OsString),
    /// Toolchain and program name.
    Rustup(String, String),
}

impl Tool {
    fn command(&self) -> Command {
        match self {
            Tool::Path(program) => Command::new(program),
            Tool::Rustup(toolchain, program) => {
                let mut command = Command::new("rustup");
                command.args(["run", toolchain, program]);
                command
            }
        }
    }
}

/// Prints the `MELD_GUEST_<CRATE>` variable of every crate of `target`.
fn announce_artifacts(target_dir: &Path, target: &TargetGuests) -> Result<()> {
    let dir = match target.profile {
        Profile::Release => "release",
        Profile::Debug => "debug",
    };
    let suffix = target.suffix();
    let out = target_dir.join(target.triple).join(dir);
    for name in target.crates {
        // The one binary crate keeps its dashes.
        let file = if *name == "hello-command" {
            format!("{name}.wasm")
        } else {
            format!("{}.wasm", name.replace('-', "_"))
        };
        let path = out.join(file);
        if !path.is_file() {
            return Err(format!("guest `{name}` built but {} is missing", path.display()).into());
        }
        let var = format!(
            "MELD_GUEST_{}{suffix}",
            name.replace('-', "_").to_uppercase()
        );
        println!("cargo:rustc-env={var}={}", path.display());
    }
    Ok(())
}

/// The outer target directory, found from `OUT_DIR`, which cargo places
/// at `<target dir>[/<triple>]/<profile>/build/<pkg>-<hash>/out`.
fn outer_target_dir() -> Result<PathBuf> {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("no OUT_DIR")?);
    let build = out_dir
        .ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "build"))
        .ok_or_else(|| format!("OUT_DIR {} has no `build` ancestor", out_dir.display()))?;
    let target = build
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("OUT_DIR {} is too shallow", out_dir.display()))?;
    Ok(target.to_path_buf())
}

/// Reruns this script when a guest source, manifest, lockfile or WIT file
/// changes (but not when the guests' own `target/` does).
fn watch_guest_sources(guests_dir: &Path) -> Result<()> {
    for file in ["Cargo.toml", "Cargo.lock", "wit"] {
        println!("cargo:rerun-if-changed={}", guests_dir.join(file).display());
    }
    for entry in fs::read_dir(guests_dir)? {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            println!(
                "cargo:rerun-if-changed={}",
                path.join("Cargo.toml").display()
            );
            println!("cargo:rerun-if-changed={}", path.join("src").display());
        }
    }
    Ok(())
}

/// Installs the target's standard library with rustup if the toolchain
/// that builds this crate does not have it yet.
fn ensure_target_installed(rustc: &Tool, triple: &str) -> Result<()> {
    let sysroot = rustc.command().args(["--print", "sysroot"]).output()?;
    if !sysroot.status.success() {
        return Err(format!(
            "`rustc --print sysroot` failed: {}",
            String::from_utf8_lossy(&sysroot.stderr)
        )
        .into());
    }
    let sysroot = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim());
    if sysroot
        .join("lib/rustlib")
        .join(triple)
        .join("lib")
        .is_dir()
    {
        return Ok(());
    }
    let mut add = Command::new("rustup");
    add.args(["target", "add", triple]);
    if let Tool::Rustup(toolchain, _) = rustc {
        add.args(["--toolchain", toolchain]);
    }
    let status = add
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("target {triple} is missing and rustup could not be run: {e}"))?;
    if !status.success() {
        return Err(format!("`rustup target add {triple}` failed ({status})").into());
    }
    Ok(())
}

fn build_guests(
    cargo: &Tool,
    guests_dir: &Path,
    target_dir: &Path,
    target: &TargetGuests,
) -> Result<()> {
    let mut command = cargo.command();
    if let Tool::Rustup(..) = cargo {
        // The outer build's compiler, not the chosen toolchain's.
        command.env_remove("RUSTC").env_remove("RUSTUP_TOOLCHAIN");
    }
    command
        .args(["build", "--locked", "--target", target.triple])
        .arg("--manifest-path")
        .arg(guests_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .stdout(Stdio::null());
    if target.profile == Profile::Release {
        command.arg("--release");
    }
    for name in target.crates {
        command.args(["-p", name]);
    }
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if CLEARED_VARS.contains(&key)
            || CLEARED_PREFIXES
                .iter()
                .any(|prefix| key.starts_with(prefix))
        {
            command.env_remove(key);
        }
    }
    let status = command.status()?;
    if !status.success() {
        return Err(format!(
            "building the {} guests failed ({status}); see the cargo output above",
            target.triple
        )
        .into());
    }
    Ok(())
}
