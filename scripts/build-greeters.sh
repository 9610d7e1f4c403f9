#!/usr/bin/env bash
# Builds the `meld:fixtures/greeter` providers of tests/toolchains with
# other toolchains (third-party code, so built here and not checked in):
#
#   bash scripts/build-greeters.sh js py
#
# `js`: greeter.js with componentize-js 0.19.3 from npm (about 12 MB, most
# of it the StarlingMonkey JS engine) into $cache/greeter-js.wasm; `py`:
# greeter.py with componentize-py 0.25.1 from PyPI (about 18 MB, most of
# it CPython) into $cache/greeter-py.wasm. The toolchains and the built
# components are kept in $cache, MELD_TOOLCHAINS_CACHE (default
# ~/.cache/meld/toolchains); a component is rebuilt when its source is
# newer. Needs node and npm for js, python3 for py.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MELD_TOOLCHAINS_CACHE:-$HOME/.cache/meld/toolchains}"
mkdir -p "$cache"
src=tests/toolchains

stale() { # output, sources...: whether the output is missing or older
  local out="$1"
  shift
  [ ! -f "$out" ] && return 0
  for s in "$@"; do [ "$s" -nt "$out" ] && return 0; done
  return 1
}

for which in "$@"; do
  case "$which" in
    js)
      if [ ! -d "$cache/node_modules/@bytecodealliance/componentize-js" ]; then
        npm install --prefix "$cache" --no-audit --no-fund \
          @bytecodealliance/componentize-js@0.19.3
      fi
      if stale "$cache/greeter-js.wasm" "$src/greeter.js" "$src/build.mjs"; then
        cp "$src/build.mjs" "$cache/build.mjs"
        node "$cache/build.mjs" "$PWD/$src" "$cache/greeter-js.wasm"
      fi
      ;;
    py)
      if [ ! -x "$cache/py/bin/componentize-py" ]; then
        python3 -m venv "$cache/py"
        "$cache/py/bin/pip" install --quiet componentize-py==0.25.1
      fi
      if stale "$cache/greeter-py.wasm" "$src/greeter.py"; then
        # (built from a copy: componentize-py leaves a __pycache__ beside it)
        mkdir -p "$cache/py-src"
        cp "$src/greeter.py" "$cache/py-src/greeter.py"
        "$cache/py/bin/componentize-py" -d tests/guests/wit \
          -w meld:fixtures/greeter-provider componentize greeter -p "$cache/py-src" \
          -o "$cache/greeter-py.wasm"
      fi
      ;;
    *)
      echo "build-greeters.sh: unknown toolchain '$which' (js or py)" >&2
      exit 2
      ;;
  esac
done
