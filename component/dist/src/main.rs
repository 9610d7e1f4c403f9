//! `meld-dist --build-dir DIR --out DIR`: builds `meld.wasm` and
//! `meld-cli.wasm` (see the library) and prints their sizes. Run by
//! `component/build.sh`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meld-dist: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut build_dir = None;
    let mut out_dir = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.to_str() {
            Some("--build-dir") => &mut build_dir,
            Some("--out") => &mut out_dir,
            _ => bail!(
                "unexpected argument {}; usage: meld-dist --build-dir DIR --out DIR",
                arg.display()
            ),
        };
        *slot =
            Some(PathBuf::from(args.next().with_context(|| {
                format!("{} needs a directory", arg.display())
            })?));
    }
    let (Some(build_dir), Some(out_dir)) = (build_dir, out_dir) else {
        bail!("usage: meld-dist --build-dir DIR --out DIR");
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifacts = meld_dist::build(&meld_dist::Paths {
        workspace,
        build_dir,
        out_dir,
    })?;
    for path in [&artifacts.meld, &artifacts.meld_cli] {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let (raw, gzip) = meld_dist::sizes(&bytes)?;
        println!("{}: {raw} bytes ({gzip} gzipped)", path.display());
    }
    Ok(())
}
