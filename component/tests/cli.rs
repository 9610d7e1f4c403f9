//! meld-cli.wasm run as the `wasmtime` CLI runs a command (`wasmtime run
//! --dir DIR meld-cli.wasm ARGS...`: WASI preview 2, DIR preopened as `.`,
//! the arguments after the program name) must write the bytes the native
//! `meld` writes (meld-core's output for the same options) and fail the
//! way it fails: one line on stderr and exit code 1.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use meld_tests::wasi::WasiHost;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx};

/// What a run of the command left behind.
struct Run {
    /// The exit code: 0 when `run` returned normally, else what the guest
    /// passed to `exit`.
    code: i32,
    stdout: String,
    stderr: String,
}

fn component() -> &'static Component {
    static COMPONENT: OnceLock<Component> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        let bytes = common::read(&common::artifacts().meld_cli);
        Component::new(common::engine(), &bytes).expect("meld-cli.wasm compiles")
    })
}

/// Runs `meld ARGS...` with `dir` preopened as `.`; a trap fails the test.
fn meld(dir: &Path, args: &[&str]) -> Run {
    let engine = common::engine();
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("WASI links");
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let ctx = WasiCtx::builder()
        .arg("meld")
        .args(args)
        .preopened_dir(dir, ".", FsPerms::ReadWrite)
        .expect("preopen")
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    let mut store = Store::new(engine, WasiHost::new(ctx));
    let command =
        Command::instantiate(&mut store, component(), &linker).expect("instantiates as a command");
    let code = match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => 0,
        Ok(Err(())) => 1,
        Err(error) => match error.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => *code,
            None => panic!("meld-cli.wasm {args:?} trapped: {error:?}"),
        },
    };
    let text = |pipe: MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
    Run {
        code,
        stdout: text(stdout),
        stderr: text(stderr),
    }
}

/// A fresh directory for one test, holding every fixture as `NAME.wasm`.
fn workdir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("meld-cli-wasm")
        .join(test);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean scratch dir");
    }
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for fixture in meld_tests::fixtures::all().expect("fixtures build") {
        std::fs::write(dir.join(format!("{}.wasm", fixture.name)), &fixture.wasm)
            .expect("write fixture");
    }
    dir
}

/// Fuses every fixture with several flag sets; where native meld fails,
/// meld-cli.wasm must print the same error.
#[test]
fn fuses_every_fixture_to_the_native_bytes() {
    use meld_core::{MemoryStrategy, Options, OutputKind};
    let dir = workdir("fuse");
    let flag_sets: [(&str, &[&str], Options); 3] = [
        ("component", &[], Options::default()),
        (
            "core",
            &["--emit", "core"],
            Options {
                output: OutputKind::Core,
                ..Options::default()
            },
        ),
        (
            "shared",
            &["--emit", "core", "--memory", "shared", "--region-size", "2"],
            Options {
                output: OutputKind::Core,
                memory: MemoryStrategy::Shared,
                region_mib: Some(2),
                ..Options::default()
            },
        ),
    ];
    let mut fused = 0;
    for fixture in meld_tests::fixtures::all().expect("fixtures build") {
        for (name, flags, options) in &flag_sets {
            let input = format!("{}.wasm", fixture.name);
            let out = format!("{}.{name}.fused.wasm", fixture.name);
            let mut args = vec!["fuse", &input, "-o", &out];
            args.extend(*flags);
            let run = meld(&dir, &args);
            match meld_core::fuse(&[&fixture.wasm], options) {
                Ok(native) => {
                    assert_eq!(run.code, 0, "meld {args:?}: {}", run.stderr);
                    let written = std::fs::read(dir.join(&out)).expect("output written");
                    assert!(
                        written == native.wasm,
                        "meld {args:?} wrote {} bytes that differ from the native {} bytes",
                        written.len(),
                        native.wasm.len()
                    );
                    fused += 1;
                }
                Err(native) => {
                    assert_eq!(run.code, 1, "meld {args:?}");
                    assert_eq!(run.stderr, format!("meld: {input}: {native}\n"));
                }
            }
        }
    }
    assert!(fused > 0, "no fixture fused");
}

#[test]
fn stats_and_inspect_print_as_natively() {
    let dir = workdir("print");
    let run = meld(
        &dir,
        &["fuse", "scalars.wasm", "-o", "scalars.out.wasm", "--stats"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let native = meld_core::fuse(
        &[&meld_tests::fixtures::get("scalars").expect("fixture").wasm],
        &meld_core::Options::default(),
    )
    .expect("fuses natively");
    for line in [
        format!("components:        {}", native.stats.components),
        format!("output:            {} bytes", native.stats.output_bytes),
    ] {
        assert!(run.stderr.contains(&line), "{line:?} in {}", run.stderr);
    }
    assert!(run.stderr.contains("time:"), "{}", run.stderr);

    let run = meld(&dir, &["inspect", "chain.wasm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tree = meld_core::inspect(&meld_tests::fixtures::get("chain").expect("fixture").wasm)
        .expect("inspects natively");
    for component in &tree.components {
        assert!(run.stdout.contains(&component.path), "{}", run.stdout);
    }
    assert!(run.stdout.starts_with("imports:\n"), "{}", run.stdout);
}

#[test]
fn bad_input_is_one_line_and_exit_code_1() {
    let dir = workdir("errors");
    std::fs::write(dir.join("text.wasm"), b"this is not wasm").expect("write");
    let native = meld_core::fuse(&[b"this is not wasm"], &meld_core::Options::default())
        .expect_err("not wasm");
    let cases: [(&[&str], Option<String>); 4] = [
        (
            &["fuse", "text.wasm", "-o", "out.wasm"],
            Some(format!("meld: text.wasm: {native}\n")),
        ),
        (&["fuse", "missing.wasm", "-o", "out.wasm"], None),
        (&["fuse", "scalars.wasm"], None),
        (&["inspect", "text.wasm"], None),
    ];
    for (args, expected) in cases {
        let run = meld(&dir, args);
        assert_eq!(run.code, 1, "meld {args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "meld {args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.starts_with("meld: "), "{}", run.stderr);
        if let Some(expected) = expected {
            assert_eq!(run.stderr, expected);
        }
    }
    // A usage error is clap's message, as natively; its exit code 2
    // reaches the host as 1, since WASI 0.2's `exit` only says failure.
    let run = meld(&dir, &["fuse", "--no-such-flag"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--no-such-flag' found"),
        "{}",
        run.stderr
    );
}
