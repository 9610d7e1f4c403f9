#!/usr/bin/env bash
# meld-bench's `js` section: a 12 MB JavaScript component (a `greeter`
# built with componentize-js from npm; third-party code, so it is built
# here and not checked in) fused alone and composed with a Rust caller.
# Checks that the fused composition runs as the composed one (meld-bench's
# js section), then prints fusion time over validating the input on every
# core, and the meld CLI's peak resident memory over the input size
# (targets 2 and 3; tests/bench-js, in release builds).
#
#   bash scripts/bench-js.sh [--quick]
#
# Needs node and npm; scripts/build-greeters.sh builds the input (kept in
# $MELD_TOOLCHAINS_CACHE, default ~/.cache/meld/toolchains).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-greeters.sh js
input="${MELD_TOOLCHAINS_CACHE:-$HOME/.cache/meld/toolchains}/greeter-js.wasm"

# The fused composition must run as the composed one; meld-bench writes
# the composition next to the input.
MELD_BENCH_JS="$input" cargo run -q --locked -p meld-tests --bin meld-bench -- js

# Timed in release builds, the CLI as users run it.
cargo build --release --locked -q -p meld-cli -p meld-bench-js
release="${CARGO_TARGET_DIR:-target}/release"
MELD_CLI="$release/meld" "$release/meld-bench-js" "$@" \
  "$input" "${input%.wasm}-composed.wasm"
