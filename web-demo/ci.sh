#!/usr/bin/env bash
# CI for the playground (web-demo/): from a fresh clone, installs what it
# needs (Debian's chromium when /usr/bin/chromium is missing; the meld-fuse
# package built from ../js, which installs the wasm32 target and the exact
# wasm-bindgen CLI into ~/.cache/meld; npm dev dependencies), builds dist/
# (page, package, example fixtures) and drives the page in headless
# Chromium. Screenshots land in test-artifacts/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
(cd ../js && npm ci --no-audit --no-fund --loglevel=error && npm run build)
npm ci --no-audit --no-fund --loglevel=error
npm test
