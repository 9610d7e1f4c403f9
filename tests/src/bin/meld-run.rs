//! `meld-run FILE.wasm [ARGS...]`: runs a `wasi:cli/run` command component
//! under wasmtime with WASI preview 2, the host's stdio and environment
//! inherited, and `ARGS` as its arguments (after the file name). Exits
//! with 1 if `run` returns an error or the component fails to load or traps.

use std::process::ExitCode;

use anyhow::{Context, Result};
use meld_tests::wasi::WasiHost;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::sync::Command;

fn main() -> ExitCode {
    match run() {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(())) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("meld-run: {error:#}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: meld-run FILE.wasm [ARGS...]\n\
     runs a wasi:cli/run command component under wasmtime (WASI preview 2, the\n\
     host's stdio and environment, ARGS as its arguments after the file name);\n\
     exits with 1 if run returns an error or the component fails to load or traps";

/// Runs the command; the outer error is the host's, the inner the guest's.
fn run() -> Result<Result<(), ()>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().context(USAGE)?;
    // The command's own arguments follow the file; before it there are
    // no options but help.
    if path == "-h" || path == "--help" {
        println!("{USAGE}");
        return Ok(Ok(()));
    }
    if path.starts_with('-') {
        anyhow::bail!("unknown option `{path}`\n{USAGE}");
    }
    let engine = Engine::default();
    let component = Component::from_file(&engine, path)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("loading {path}"))?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let ctx = WasiCtx::builder()
        .inherit_stdio()
        .inherit_env()
        .args(&args)
        .build();
    let mut store = Store::new(&engine, WasiHost::new(ctx));
    let command = Command::instantiate(&mut store, &component, &linker)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("instantiating {path} as a wasi:cli command"))?;
    command
        .wasi_cli_run()
        .call_run(&mut store)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("running {path}"))
}
