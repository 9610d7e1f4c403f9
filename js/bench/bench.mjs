#!/usr/bin/env node
// Benchmark (not a test): fusion time of the package in node against the
// native CLI (release build) on the largest fixture, and the package's size.
//
//   npm run bench [-- RUNS]
//
// Both sides time only the fusion call: node around `fuse()` (after warm-up
// calls, so V8 has tiered the wasm up), the CLI by its own `--stats`
// "time:" line. Prints the medians and their ratio (node / native), and the
// wasm's size raw and gzipped. Quote the ratio, not the absolute times.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { fuse, init } from '../lib/node.js';
import { fixtures, pkgRoot, repoRoot } from '../test/native.mjs';

const runs = Number(process.argv[2] ?? 21);
const warmup = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const metadata = JSON.parse(
  execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repoRoot, encoding: 'utf8' }),
);
execFileSync('cargo', ['build', '-q', '--locked', '--release', '--bin', 'meld'], { cwd: repoRoot, stdio: 'inherit' });
const cli = join(metadata.target_directory, 'release', 'meld');

await init();
const largest = fixtures().sort((a, b) => b.bytes.length - a.bytes.length)[0];
const dir = mkdtempSync(join(tmpdir(), 'meld-bench-'));
let worst = 0;
console.log(`largest fixture: ${largest.name} (${largest.bytes.length} bytes), ${runs} runs each`);
for (const output of ['component', 'core']) {
  const native = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(cli, ['fuse', largest.path, '-o', join(dir, 'out.wasm'), '--emit', output, '--stats'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    native.push(Number(r.stderr.match(/^time: +([\d.]+) ms$/m)[1]));
  }
  const node = [];
  for (let i = 0; i < warmup + runs; i++) {
    const start = performance.now();
    fuse([largest.bytes], { emit: output });
    if (i >= warmup) node.push(performance.now() - start);
  }
  const ratio = median(node) / median(native);
  worst = Math.max(worst, ratio);
  console.log(
    `--emit ${output}: native ${median(native).toFixed(2)} ms, node ${median(node).toFixed(2)} ms (medians); ratio node/native ${ratio.toFixed(2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });

const wasm = readFileSync(join(pkgRoot, 'pkg', 'meld_js_bg.wasm'));
const gzip = gzipSync(wasm, { level: 9 }).length;
console.log(`package wasm: ${wasm.length} bytes (${(wasm.length / 2 ** 20).toFixed(2)} MiB), gzip -9 ${gzip} bytes (${(gzip / 2 ** 20).toFixed(2)} MiB)`);
console.log(`worst ratio ${worst.toFixed(2)} (target <= 3.0): ${worst <= 3 ? 'ok' : 'OVER'}`);
