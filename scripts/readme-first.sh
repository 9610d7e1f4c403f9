#!/usr/bin/env bash
# Runs the README's first command (the first ```sh block of "Quick start")
# the way a newcomer does: in a clean clone of this repository's committed
# state, with a target directory of its own, and checks that it succeeded
# and wrote the file it names with -o. Prints how long it took. The default
# target directory is a fresh one under $TMPDIR (removed afterwards), which
# measures a fresh machine (crates.io downloads aside); CI passes a kept
# one with README_FIRST_TARGET_DIR to stay quick.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The first command of the Quick start section, exactly as written.
command="$(awk '/^## Quick start/ { q = 1 } q && /^```sh$/ { f = 1; next } f && /^```$/ { exit } f { print }' "$repo/README.md")"
if [ -z "$command" ]; then
  echo "readme-first: no \`\`\`sh block under ## Quick start in README.md" >&2
  exit 1
fi

git clone -q --no-hardlinks "$repo" "$work/meld"
export CARGO_TARGET_DIR="${README_FIRST_TARGET_DIR:-$work/target}"
cd "$work/meld"
echo "readme-first: running in a clean clone: $command"
start=$(date +%s)
bash -euo pipefail -c "$command"
end=$(date +%s)
output="$(sed -n 's/.* -o \([^ ]*\).*/\1/p' <<<"$command" | head -1)"
if [ ! -s "$output" ]; then
  echo "readme-first: the command did not write $output" >&2
  exit 1
fi
echo "readme-first: wrote $output ($(wc -c <"$output") bytes) in $((end - start)) s"
