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
# Needs node and npm. componentize-js and the built component are kept in
# $MELD_BENCH_JS_CACHE (default ~/.cache/meld/bench-js).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MELD_BENCH_JS_CACHE:-$HOME/.cache/meld/bench-js}"
mkdir -p "$cache"
if [ ! -d "$cache/node_modules/@bytecodealliance/componentize-js" ]; then
  npm install --prefix "$cache" --no-audit --no-fund \
    @bytecodealliance/componentize-js@0.19.3
fi
input="$cache/greeter-js.wasm"
if [ ! -f "$input" ] || [ tests/bench-js/greeter.js -nt "$input" ] \
  || [ tests/bench-js/build.mjs -nt "$input" ]; then
  cp tests/bench-js/build.mjs "$cache/build.mjs"
  node "$cache/build.mjs" "$PWD/tests/bench-js" "$input"
fi

# The fused composition must run as the composed one; meld-bench writes
# the composition next to the input.
MELD_BENCH_JS="$input" cargo run -q --locked -p meld-tests --bin meld-bench -- js

# Timed in release builds, the CLI as users run it.
cargo build --release --locked -q -p meld-cli -p meld-bench-js
release="${CARGO_TARGET_DIR:-target}/release"
MELD_CLI="$release/meld" "$release/meld-bench-js" "$@" \
  "$input" "${input%.wasm}-composed.wasm"
