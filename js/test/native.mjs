// What the tests compare against: the native `meld` CLI and the fixture
// components, both built from this repository with cargo.
//
// `run.mjs` (`npm test`) builds them once and passes their
// locations to the test files in MELD_CLI and MELD_FIXTURES; a test file
// run on its own builds them itself.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(pkgRoot, '..');

function cargo(args) {
  execFileSync('cargo', args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Builds the CLI and writes the fixtures; returns their locations. */
export function build() {
  const metadata = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  );
  const target = metadata.target_directory;
  cargo(['build', '-q', '--locked', '--bin', 'meld']);
  const fixtures = join(target, 'meld-js-fixtures');
  cargo(['run', '-q', '--locked', '-p', 'meld-tests', '--bin', 'meld-fixtures', '--', fixtures]);
  // A debug-built fixture too, whose DWARF is kept or stripped, and one
  // that uses the async ABI.
  cargo(['run', '-q', '--locked', '-p', 'meld-tests', '--bin', 'meld-fixtures', '--', fixtures, 'trace', 'async-calls']);
  return { cli: join(target, 'debug', 'meld'), fixtures };
}

let built;
function locations() {
  if (process.env.MELD_CLI && process.env.MELD_FIXTURES) {
    return { cli: process.env.MELD_CLI, fixtures: process.env.MELD_FIXTURES };
  }
  built ??= build();
  return built;
}

/** Path of the native CLI. */
export function cli() {
  return locations().cli;
}

/** Every fixture as `{ name, path, bytes }`, by name. */
export function fixtures() {
  const dir = locations().fixtures;
  const names = readdirSync(dir).filter((f) => f.endsWith('.wasm')).sort();
  if (names.length === 0) throw new Error(`no fixtures in ${dir}`);
  return names.map((f) => ({ name: f.slice(0, -5), path: join(dir, f), bytes: readFileSync(join(dir, f)) }));
}

/** Runs the native CLI; returns `{ status, stdout, stderr }`. */
export function runCli(args) {
  return run(cli(), args);
}

/** Runs a program; returns `{ status, stdout (Buffer), stderr (string) }`. */
export function run(program, args, options = {}) {
  const r = spawnSync(program, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20, ...options });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Throws unless `npm run build` has produced the package's wasm. */
export function requireBuiltPackage() {
  if (!existsSync(join(pkgRoot, 'pkg', 'meld_js_bg.wasm'))) {
    throw new Error('pkg/ is missing: run `npm run build` first');
  }
}
