#!/usr/bin/env bash
# Runs every test of meld from a clone: the Rust workspace (engine, CLI,
# fixtures fused and compared under wasmtime, meld.wasm under a wasmtime
# host), components built by componentize-js and componentize-py fused
# and compared (scripts/toolchains.sh), then the npm package under node
# and the playground in headless Chromium. Each step installs what it needs (rust targets, npm packages,
# the wasm-bindgen CLI, Debian's chromium). This is the README's test
# command and what .ci/run runs after formatting and lint checks.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked
bash scripts/toolchains.sh
bash js/ci.sh
bash web-demo/ci.sh
