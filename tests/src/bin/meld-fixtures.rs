//! `meld-fixtures OUTDIR [NAME...]`: writes each fixture (all of them when
//! no names are given) as `OUTDIR/<name>.wasm`, e.g. the bundled example
//! `wasi-hello.wasm`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use meld_tests::fixtures::{self, Fixture};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("meld-fixtures: {error:#}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: meld-fixtures OUTDIR [NAME...]\n\
     writes every fixture (or the named ones) as OUTDIR/<name>.wasm";

fn run() -> Result<()> {
    let mut args = std::env::args_os().skip(1).peekable();
    // An option is a mistake here (there are none), not a directory name.
    if let Some(first) = args.peek().and_then(|arg| arg.to_str()) {
        if first == "-h" || first == "--help" {
            println!("{USAGE}\nfixtures: {}", fixture_names().join(", "));
            return Ok(());
        }
        if first.starts_with('-') {
            anyhow::bail!("unknown option `{first}`\n{USAGE}");
        }
    }
    let out_dir = PathBuf::from(args.next().context(USAGE)?);
    let names: Vec<String> = args
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| anyhow::anyhow!("not UTF-8: {arg:?}"))
        })
        .collect::<Result<_>>()?;
    let selected: Vec<Fixture> = if names.is_empty() {
        fixtures::all()?
    } else {
        names
            .iter()
            .map(|name| fixtures::get(name))
            .collect::<Result<_>>()?
    };
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    for fixture in selected {
        let path = out_dir.join(format!("{}.wasm", fixture.name));
        std::fs::write(&path, &fixture.wasm)
            .with_context(|| format!("writing {}", path.display()))?;
        let kind = if fixture.is_command { " (command)" } else { "" };
        println!("{}{kind}: {} bytes", path.display(), fixture.wasm.len());
    }
    Ok(())
}

/// Every fixture's name, the async and debug-info ones included.
fn fixture_names() -> Vec<&'static str> {
    fixtures::names()
        .chain(fixtures::async_names())
        .chain(fixtures::debug_names())
        .collect()
}
