// The tarball `npm pack` makes installs into an empty project, where
// `import { init, fuse } from 'meld-fuse'`, the `meld-fuse` bin and the
// TypeScript declarations all work.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixtures, pkgRoot, run, runCli } from './native.mjs';

const dir = mkdtempSync(join(tmpdir(), 'meld-js-pack-'));
const project = join(dir, 'consumer');
after(() => rmSync(dir, { recursive: true, force: true }));
const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

let packed;
before(() => {
  [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], pkgRoot));
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  npm(['install', '--offline', join(dir, packed.filename)], project);
});

test('the tarball holds the package and nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const f of ['package.json', 'README.md', 'lib/node.js', 'lib/browser.js', 'lib/meld.js', 'lib/index.d.ts', 'bin/meld-fuse.js', 'pkg/meld_js.js', 'pkg/meld_js_bg.wasm']) {
    assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
  }
  assert.ok(!files.some((f) => /^(src|test|scripts|bench|node_modules)\//.test(f) || f === 'Cargo.toml'), files.join(', '));
});

test('fuse works from the installed package and gives the native bytes', () => {
  const { path } = fixtures().find((f) => f.name === 'wasi-hello');
  writeFileSync(
    join(project, 'main.mjs'),
    `import { readFileSync, writeFileSync } from 'node:fs';
import { init, fuse, inspect, MeldError } from 'meld-fuse';
await init();
const [input, output] = process.argv.slice(2);
const { wasm, stats } = fuse([readFileSync(input)], { emit: 'core' });
writeFileSync(output, wasm);
try { inspect(new Uint8Array([1, 2, 3])); } catch (e) { if (!(e instanceof MeldError)) throw e; }
console.log(JSON.stringify({ components: stats.components, root: inspect(readFileSync(input)).components[0].path }));
`,
  );
  const out = join(dir, 'installed.wasm');
  const native = join(dir, 'native.wasm');
  const r = run(process.execPath, ['main.mjs', path, out], { cwd: project });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).root, 'root');
  assert.equal(runCli(['fuse', path, '-o', native, '--emit', 'core']).status, 0);
  assert.ok(readFileSync(out).equals(readFileSync(native)));
});

test('the installed bin works through npx', () => {
  const { path } = fixtures().find((f) => f.name === 'scalars');
  const out = join(dir, 'bin.wasm');
  const native = join(dir, 'bin.native.wasm');
  execFileSync('npx', ['--no-install', 'meld-fuse', 'fuse', path, '-o', out], { cwd: project, stdio: 'pipe' });
  assert.equal(runCli(['fuse', path, '-o', native]).status, 0);
  assert.ok(readFileSync(out).equals(readFileSync(native)));
});

test('the declarations type-check a consumer (strict, nodenext)', () => {
  writeFileSync(
    join(project, 'typed.ts'),
    `import { init, fuse, inspect, MeldError, type Fused, type Tree, type MeldErrorKind } from 'meld-fuse';
await init();
const fused: Fused = fuse([new Uint8Array()], { emit: 'core' });
const direct: number = fused.stats.adapters.direct;
const tree: Tree = inspect(fused.wasm);
const kind: MeldErrorKind = new MeldError('link', 'x').kind;
const where: number | null = new MeldError('internal', 'y', { offset: 3 }).location.offset;
// @ts-expect-error: not an output kind
fuse([], { emit: 'module' });
console.log(direct, tree.components.length, kind, where);
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'] },
      files: ['typed.ts'],
    }),
  );
  const tsc = join(pkgRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = run(process.execPath, [tsc, '-p', project]);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
