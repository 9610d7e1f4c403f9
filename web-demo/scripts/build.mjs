#!/usr/bin/env node
// Builds the playground into dist/, a static site that needs no network:
//
// - the page (index.html, src/);
// - the meld-fuse package from ../js (installed as a link by npm; its
//   browser modules and wasm are copied to dist/vendor/meld-fuse/ with the
//   package's own layout, so its relative imports keep working);
// - the example compositions: the project's fixtures, written by
//   `meld-fixtures` (cargo), with a title and description each, listed in
//   dist/examples/examples.json.
//
// Needs `npm run build` in ../js first (ci.sh does both).

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..');
const dist = join(root, 'dist');
const meldFuse = join(root, 'node_modules', 'meld-fuse');

/** What each fixture shows; a fixture not listed here gets a generic line. */
const EXAMPLES = {
  scalars: ['Two components, every scalar type', 'calc calls scalars: s8 to f64, bool and char, direct calls and fix-up adapters. Fuse it as a core module and run it below.'],
  chain: ['A chain of three', 'pipeline → calc → scalars.'],
  diamond: ['A diamond', 'report calls calc and stats, which share one scalars provider.'],
  nested: ['A composition inside a composition', 'pipeline calls into the scalars composition, nested one level down.'],
  twice: ['One component, instantiated twice', 'ledger and meter each get their own counter.'],
  'wasi-hello': ['A WASI command', 'command → greeter; both print through wasi:cli. Host imports stay imports.'],
  'wasip1-hello': ['A WASI preview 1 command', 'the same command and greeter built for wasm32-wasip1, each wrapped with the preview 1 adapter (a second module sharing its memory).'],
  values: ['Every value type', 'strings, lists, records, variants, options, results, flags… copied between memories by generated adapters.'],
  transcode: ['String transcoding', 'a UTF-8 consumer calls UTF-16 and Latin-1+UTF-16 providers (written in WAT).'],
  bench: ['Call-heavy loops', 'loops calling scalar, text and shape providers.'],
};

if (!existsSync(join(meldFuse, 'pkg', 'meld_js_bg.wasm'))) {
  console.error('build: meld-fuse is not built: run `npm ci && npm run build` in ../js first (or ./ci.sh)');
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(root, 'index.html'), join(dist, 'index.html'));
cpSync(join(root, 'src'), join(dist, 'src'), { recursive: true });
for (const file of ['lib/browser.js', 'lib/meld.js', 'pkg/meld_js.js', 'pkg/meld_js_bg.wasm', 'package.json']) {
  cpSync(join(meldFuse, file), join(dist, 'vendor', 'meld-fuse', file));
}

const examples = join(dist, 'examples');
execFileSync('cargo', ['run', '-q', '--locked', '-p', 'meld-tests', '--bin', 'meld-fixtures', '--', examples], {
  cwd: repo,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const names = readdirSync(examples).filter((f) => f.endsWith('.wasm')).map((f) => f.slice(0, -5));
const order = Object.keys(EXAMPLES);
const rank = (n) => (order.includes(n) ? order.indexOf(n) : order.length);
const list = names
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  .map((name) => {
    const [title, description] = EXAMPLES[name] ?? [name, `The ${name} fixture of meld's test suite.`];
    return { name, file: `${name}.wasm`, bytes: statSync(join(examples, `${name}.wasm`)).size, title, description };
  });
writeFileSync(join(examples, 'examples.json'), `${JSON.stringify(list, null, 2)}\n`);
console.error(`build: dist/ with ${list.length} examples`);
