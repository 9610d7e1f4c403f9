#!/usr/bin/env bash
# Rebuilds the example inputs in examples/ from the repository's own guest
# crates (tests/guests), composed with wac-graph exactly as the test
# fixtures of the same names are (tests/src/fixtures.rs): the guests are
# compiled for wasm32 (the first time this takes several minutes), then
# each composition is written as examples/<name>.wasm.
#
# The files are not byte-identical across Rust toolchains (and carry the
# path of the cargo registry in some panic messages); `cargo test -p
# meld-tests --test examples` checks that the checked-in ones and this
# script's output both fuse, run like the originals and have the same WIT
# world.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=(wasi-hello values res-chain)

cargo run -q --locked -p meld-tests --bin meld-fixtures -- examples "${EXAMPLES[@]}"
