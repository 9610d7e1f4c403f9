#!/usr/bin/env node
// Builds the package's wasm and glue into pkg/ from a fresh clone:
//
// 1. makes sure the wasm32-unknown-unknown target is installed (rustup);
// 2. makes sure the wasm-bindgen CLI at exactly the version of the
//    wasm-bindgen crate in ../Cargo.lock is installed in the cache
//    ($MELD_CACHE, default ~/.cache/meld; `cargo install --locked` into
//    $MELD_CACHE/bin, reused when present);
// 3. builds meld-js for wasm32 with the `wasm-release` profile (target dir
//    $MELD_JS_TARGET_DIR, default $MELD_CACHE/target-js, so it does not
//    wait on the host build's lock);
// 4. runs wasm-bindgen (`--target web`, with the reset-state function the
//    wrapper uses to re-instantiate after a panic) into pkg/;
// 5. prints the size of the wasm, raw and gzipped.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..');
const repoRoot = join(pkgRoot, '..');
const cache = process.env.MELD_CACHE ?? join(homedir(), '.cache', 'meld');
const targetDir = process.env.MELD_JS_TARGET_DIR ?? join(cache, 'target-js');
const target = 'wasm32-unknown-unknown';
const profile = 'wasm-release';

function run(cmd, args, options = {}) {
  console.error(`build: ${cmd} ${args.join(' ')}`);
  try {
    execFileSync(cmd, args, { stdio: 'inherit', cwd: repoRoot, ...options });
  } catch (e) {
    console.error(`build: failed: ${cmd} ${args.join(' ')} (${e.status === null ? e.message : `exit code ${e.status}`})`);
    process.exit(1);
  }
}

function output(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The version of the wasm-bindgen crate the workspace is locked to. */
function lockedWasmBindgenVersion() {
  const lock = readFileSync(join(repoRoot, 'Cargo.lock'), 'utf8');
  const match = lock.match(/\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!match) throw new Error('wasm-bindgen is not in Cargo.lock; is meld-js a workspace member?');
  return match[1];
}

function ensureTarget() {
  const installed = output('rustup', ['target', 'list', '--installed']);
  if (installed === null) {
    console.error('build: rustup not found; assuming the wasm32-unknown-unknown target is installed');
    return;
  }
  if (!installed.split('\n').includes(target)) run('rustup', ['target', 'add', target]);
}

function ensureWasmBindgen(version) {
  const bin = join(cache, 'bin', 'wasm-bindgen');
  if (output(bin, ['--version'])?.trim() !== `wasm-bindgen ${version}`) {
    mkdirSync(cache, { recursive: true });
    run('cargo', [
      'install', `wasm-bindgen-cli@=${version}`, '--locked', '--force',
      '--root', cache, '--target-dir', join(cache, 'target-wasm-bindgen-cli'),
    ]);
  }
  return bin;
}

const version = lockedWasmBindgenVersion();
ensureTarget();
const wasmBindgen = ensureWasmBindgen(version);
run('cargo', ['build', '-q', '-p', 'meld-js', '--locked', '--target', target, '--profile', profile], {
  env: { ...process.env, CARGO_TARGET_DIR: targetDir },
});
const built = join(targetDir, target, profile, 'meld_js.wasm');
const out = join(pkgRoot, 'pkg');
rmSync(out, { recursive: true, force: true });
run(wasmBindgen, [
  '--target', 'web', '--experimental-reset-state-function', '--no-typescript',
  '--out-dir', out, '--out-name', 'meld_js', built,
]);
const wasm = readFileSync(join(out, 'meld_js_bg.wasm'));
if (!existsSync(join(out, 'meld_js.js'))) throw new Error('wasm-bindgen wrote no glue');
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.error(`build: pkg/meld_js_bg.wasm ${wasm.length} bytes (${kib(wasm.length)}), gzip -9 ${gzipSync(wasm, { level: 9 }).length} bytes (${kib(gzipSync(wasm, { level: 9 }).length)})`);
