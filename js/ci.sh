#!/usr/bin/env bash
# CI for the meld-fuse npm package (js/): from a fresh clone, installs what
# the build needs (npm dev dependencies; the wasm32 target and the exact
# wasm-bindgen CLI are installed by `npm run build`, into ~/.cache/meld or
# $MELD_CACHE), builds the package, and runs every test (byte-identity with
# the native CLI on every fixture, errors, panic recovery, bin, packed
# tarball). Idempotent; warm, it takes about a minute.
set -euo pipefail
cd "$(dirname "$0")"

node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error(`js/ci.sh: node 20 or later is needed, found ${process.version}`); process.exit(1) }'
npm ci --no-audit --no-fund --loglevel=error
npm run build
npm test
