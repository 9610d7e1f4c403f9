#!/usr/bin/env bash
# Fuses components built by other toolchains and checks that they run as
# the originals: the `greeter` providers of tests/toolchains, built with
# componentize-js (JavaScript) and componentize-py (Python) by
# scripts/build-greeters.sh, each alone, the JavaScript one also composed
# with the Rust `hello-command` and with a Python caller (user.py: two
# interpreters in one composition), fused with --memory multi and shared,
# compared under wasmtime by meld-toolchains
# (tests/src/bin/meld-toolchains.rs).
#
#   bash scripts/toolchains.sh
#
# Needs node, npm and python3; scripts/test.sh (the README's test command)
# runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MELD_TOOLCHAINS_CACHE:-$HOME/.cache/meld/toolchains}"
bash scripts/build-greeters.sh js py py-user
cargo run -q --locked --config 'profile.dev.package.meld-core.opt-level=3' \
  -p meld-tests --bin meld-toolchains -- \
  --alone "$cache/greeter-js.wasm" --alone "$cache/greeter-py.wasm" \
  --hello "$cache/greeter-js.wasm" --user "$cache/user-py.wasm" "$cache/greeter-js.wasm"
