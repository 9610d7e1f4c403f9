#!/usr/bin/env bash
# Fuses components built by other toolchains and checks that they run as
# the originals: the `greeter` providers of tests/toolchains, built with
# componentize-js (JavaScript), componentize-py (Python) and clang with
# wit-bindgen's C generator (C, WASI preview 1, wrapped with the preview 1
# adapter) by scripts/build-greeters.sh, each alone, the JavaScript and C
# ones also composed with the Rust `hello-command`, the JavaScript one with
# a Python caller (user.py: two interpreters in one composition), the C
# one with a C caller (user.c), and the JavaScript one with the C caller;
# each fused with --memory multi and shared and compared under wasmtime by
# meld-toolchains (tests/src/bin/meld-toolchains.rs).
#
#   bash scripts/toolchains.sh
#
# Needs node, npm, python3 and cargo (and root, for apt-get, when Debian's
# clang 14, lld 14 or wasi-libc is missing); scripts/test.sh (the README's
# test command) runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MELD_TOOLCHAINS_CACHE:-$HOME/.cache/meld/toolchains}"
bash scripts/build-greeters.sh js py py-user c c-user
cargo run -q --locked --config 'profile.dev.package.meld-core.opt-level=3' \
  -p meld-tests --bin meld-toolchains -- \
  --alone "$cache/greeter-js.wasm" --alone "$cache/greeter-py.wasm" \
  --alone "$cache/greeter-c.core.wasm" \
  --hello "$cache/greeter-js.wasm" --hello "$cache/greeter-c.core.wasm" \
  --user "$cache/user-py.wasm" "$cache/greeter-js.wasm" \
  --user "$cache/user-c.core.wasm" "$cache/greeter-c.core.wasm" \
  --user "$cache/user-c.core.wasm" "$cache/greeter-js.wasm"
