// `meld-fuse` (the package's bin) takes the native CLI's flags, writes the
// same bytes and prints the same stats and inspect text.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixtures, pkgRoot, run, runCli } from './native.mjs';

const dir = mkdtempSync(join(tmpdir(), 'meld-js-bin-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(pkgRoot, 'bin', 'meld-fuse.js');
const meldFuse = (args) => run(process.execPath, [bin, ...args]);
const byName = (name) => fixtures().find((f) => f.name === name);
// Stats without the time and the process's peak memory (each process's
// own), and warnings without the program's name.
const withoutTime = (stats) =>
  stats
    .replace(/^time: .*$/m, '')
    .replace(/^peak memory: +\d+ KiB resident\n/m, '')
    .replace(/^meld(-fuse)?: warning: /gm, 'warning: ');

test('fuse writes the native bytes and prints the native stats', () => {
  for (const name of ['scalars', 'wasi-hello']) {
    const { path } = byName(name);
    for (const kind of ['component', 'core']) {
      const ours = join(dir, `${name}.${kind}.js.wasm`);
      const theirs = join(dir, `${name}.${kind}.native.wasm`);
      const a = meldFuse(['fuse', path, '-o', ours, '--emit', kind, '--stats']);
      const b = runCli(['fuse', path, '--output', theirs, `--emit=${kind}`, '--stats']);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(b.status, 0, b.stderr);
      assert.ok(readFileSync(ours).equals(readFileSync(theirs)), `${name} ${kind}`);
      assert.match(a.stderr, /^time: +\d+\.\d{3} ms$/m);
      assert.match(a.stderr, /^peak memory: +\d+ KiB resident$/m);
      assert.equal(withoutTime(a.stderr), withoutTime(b.stderr));
    }
  }
});

test('--memory and --region-size are the native flags', () => {
  const { path } = byName('scalars');
  const ours = join(dir, 'scalars.shared.js.wasm');
  const theirs = join(dir, 'scalars.shared.native.wasm');
  const flags = ['--emit', 'core', '--memory', 'shared', '--region-size', '8', '--stats'];
  const a = meldFuse(['fuse', path, '-o', ours, ...flags]);
  const b = runCli(['fuse', path, '-o', theirs, ...flags]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.ok(readFileSync(ours).equals(readFileSync(theirs)));
  assert.match(a.stderr, /^memory strategy: +shared$/m);
  assert.match(a.stderr, /^region: .* up to 8 MiB$/m);
  assert.equal(withoutTime(a.stderr), withoutTime(b.stderr));
  const bad = meldFuse(['fuse', path, '-o', ours, '--memory', 'single']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--memory/);
});

test('several inputs on the command line are linked', () => {
  const out = join(dir, 'linked.wasm');
  const native = join(dir, 'linked.native.wasm');
  const inputs = [byName('chain').path, byName('scalars').path];
  assert.equal(meldFuse(['fuse', ...inputs, '-o', out]).status, 0);
  assert.equal(runCli(['fuse', ...inputs, '-o', native]).status, 0);
  assert.ok(readFileSync(out).equals(readFileSync(native)));
});

test('inspect prints exactly what `meld inspect` prints, in each format', () => {
  for (const { path } of fixtures()) {
    for (const format of [[], ['--format', 'json'], ['--format', 'dot']]) {
      const a = meldFuse(['inspect', path, ...format]);
      const b = runCli(['inspect', path, ...format]);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(b.status, 0, b.stderr);
      assert.equal(a.stdout.toString(), b.stdout.toString(), `${path} ${format.join(' ')}`);
    }
  }
  const bad = meldFuse(['inspect', fixtures()[0].path, '--format', 'svg']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /invalid value 'svg' for '--format <FORMAT>'/);
});

test('bad input is one line on stderr and exit code 1, as natively', () => {
  const bad = join(pkgRoot, 'test', 'data', 'exports-core-module.wasm');
  const a = meldFuse(['fuse', bad, '-o', join(dir, 'x.wasm'), '--emit', 'core']);
  const b = runCli(['fuse', bad, '-o', join(dir, 'y.wasm'), '--emit', 'core']);
  assert.equal(a.status, 1);
  assert.equal(b.status, 1);
  assert.equal(a.stderr.replace(/^meld-fuse: /, ''), b.stderr.replace(/^meld: /, ''));
  assert.equal(a.stderr.trim().split('\n').length, 1);
});

test('usage errors: missing -o, missing file, bad --emit, the old --output KIND, unknown command', () => {
  const { path } = byName('scalars');
  const cases = [
    [['fuse', path], /no output file given; use -o OUT.wasm/],
    [['fuse', join(dir, 'missing.wasm'), '-o', join(dir, 'z.wasm')], /cannot read .*missing\.wasm/],
    [['fuse', path, '-o', join(dir, 'z.wasm'), '--emit', 'module'], /invalid value 'module'/],
    [['fuse', path, '--output', 'core'], /the output file would be `core`: `-o`\/`--output` names the output file now.*use `--emit core`/],
    [['fuse', path, '-o', join(dir, 'z.wasm'), '--speed'], /Unknown option '--speed'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = meldFuse(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
  assert.match(meldFuse(['--version']).stdout.toString(), /^meld-fuse \d+\.\d+\.\d+\n$/);
  assert.match(meldFuse(['--help']).stdout.toString(), /meld-fuse fuse IN\.wasm\.\.\. -o OUT\.wasm/);
});
