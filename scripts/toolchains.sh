#!/usr/bin/env bash
# Fuses components built by other toolchains and checks that they run as
# the originals: the `greeter` providers of tests/toolchains, built with
# componentize-js (JavaScript) and componentize-py (Python) by
# scripts/build-greeters.sh, each alone and composed with the Rust
# `hello-command`, fused with --memory multi and shared, compared under
# wasmtime by meld-toolchains (tests/src/bin/meld-toolchains.rs).
#
#   bash scripts/toolchains.sh
#
# Needs node, npm and python3; .ci/run runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MELD_TOOLCHAINS_CACHE:-$HOME/.cache/meld/toolchains}"
bash scripts/build-greeters.sh js py
cargo run -q --locked --config 'profile.dev.package.meld-core.opt-level=3' \
  -p meld-tests --bin meld-toolchains -- \
  "$cache/greeter-js.wasm" "$cache/greeter-py.wasm"
