#!/usr/bin/env bash
# Builds meld's WebAssembly artifacts into target/dist/ at the repository
# root, from a fresh clone:
#
#   target/dist/meld.wasm      component exporting meld:fuse/fuser, no imports
#   target/dist/meld-cli.wasm  wasi:cli command, the `meld` CLI for WASI
#
# Size-optimised (opt-level s, LTO, one codegen unit, panic=abort, stripped).
# The wasm builds happen in $CARGO_TARGET_DIR/meld-dist (default
# target/meld-dist); the build tool itself (component/dist) in
# $CARGO_TARGET_DIR as usual. Prints each artifact's size, raw and gzipped.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

rustup --quiet target add wasm32-unknown-unknown wasm32-wasip2

target_dir="${CARGO_TARGET_DIR:-$repo/target}"
cargo run --quiet --locked -p meld-dist -- \
    --build-dir "$target_dir/meld-dist" \
    --out "$repo/target/dist"
