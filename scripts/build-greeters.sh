#!/usr/bin/env bash
# Builds components of tests/toolchains with other toolchains (third-party
# code, so built here and not checked in):
#
#   bash scripts/build-greeters.sh js py py-user
#
# `js`: greeter.js, a `meld:fixtures/greeter` provider, with
# componentize-js 0.19.3 from npm (about 12 MB, most of it the
# StarlingMonkey JS engine) into $cache/greeter-js.wasm; `py`: greeter.py,
# the same in Python, with componentize-py 0.25.1 from PyPI (about 18 MB,
# most of it CPython) into $cache/greeter-py.wasm; `py-user`: user.py, a
# Python caller of a greeter (the `greeter-user` world of
# tests/toolchains/wit), into $cache/user-py.wasm. The toolchains and the
# built components are kept in $cache, MELD_TOOLCHAINS_CACHE (default
# ~/.cache/meld/toolchains); a component is built again when its sources'
# contents or its toolchain's version change. Needs node and npm for js,
# python3 for py and py-user.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${MELD_TOOLCHAINS_CACHE:-$HOME/.cache/meld/toolchains}"
mkdir -p "$cache"
src=tests/toolchains
js_version=0.19.3
py_version=0.25.1

# `stale OUT TOOL SOURCES...`: whether OUT must be built: it is missing or
# was built from other contents or by another TOOL (a hash of both, kept
# beside it in OUT.sha256; `built OUT` records it once OUT is written).
stale() {
  local out="$1" tool="$2"
  shift 2
  local sum
  sum=$( (echo "$tool"; cat "$@") | sha256sum | cut -d' ' -f1)
  echo "$sum" > "$out.sha256.new"
  ! { [ -f "$out" ] && [ "$(cat "$out.sha256" 2>/dev/null)" = "$sum" ]; }
}
built() {
  mv "$1.sha256.new" "$1.sha256"
}

componentize_py() {
  if [ ! -x "$cache/py/bin/componentize-py" ] \
    || [ "$("$cache/py/bin/componentize-py" --version 2>/dev/null)" != "componentize-py $py_version" ]; then
    python3 -m venv "$cache/py"
    "$cache/py/bin/pip" install --quiet "componentize-py==$py_version"
  fi
  # (from a copy of the source: componentize-py leaves a __pycache__
  # beside it)
  mkdir -p "$cache/py-src"
  "$cache/py/bin/componentize-py" "$@"
}

for which in "$@"; do
  case "$which" in
    js)
      out="$cache/greeter-js.wasm"
      if stale "$out" "componentize-js $js_version" "$src/greeter.js" "$src/build.mjs" \
        tests/guests/wit/*.wit; then
        if [ "$(node -p "require('$cache/node_modules/@bytecodealliance/componentize-js/package.json').version" 2>/dev/null)" != "$js_version" ]; then
          npm install --prefix "$cache" --no-audit --no-fund \
            "@bytecodealliance/componentize-js@$js_version"
        fi
        cp "$src/build.mjs" "$cache/build.mjs"
        node "$cache/build.mjs" "$PWD/$src" "$out"
        built "$out"
      fi
      ;;
    py)
      out="$cache/greeter-py.wasm"
      if stale "$out" "componentize-py $py_version" "$src/greeter.py" tests/guests/wit/*.wit; then
        mkdir -p "$cache/py-src"
        cp "$src/greeter.py" "$cache/py-src/greeter.py"
        componentize_py -d tests/guests/wit -w meld:fixtures/greeter-provider \
          componentize greeter -p "$cache/py-src" -o "$out"
        built "$out"
      fi
      ;;
    py-user)
      out="$cache/user-py.wasm"
      if stale "$out" "componentize-py $py_version" "$src/user.py" "$src/wit/toolchains.wit" \
        tests/guests/wit/*.wit; then
        mkdir -p "$cache/py-src" "$cache/wit/deps/fixtures"
        cp "$src/user.py" "$cache/py-src/user.py"
        cp "$src/wit/toolchains.wit" "$cache/wit/"
        cp tests/guests/wit/*.wit "$cache/wit/deps/fixtures/"
        componentize_py -d "$cache/wit" -w meld:toolchains/greeter-user \
          componentize user -p "$cache/py-src" -o "$out"
        built "$out"
      fi
      ;;
    *)
      echo "build-greeters.sh: unknown component '$which' (js, py or py-user)" >&2
      exit 2
      ;;
  esac
done
