// Every fixture, fused through the package, gives exactly the native CLI's
// bytes, for both output kinds; `inspect` agrees with `meld inspect`.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fuse, init, inspect } from '../lib/node.js';
import { fixtures, runCli } from './native.mjs';

const dir = mkdtempSync(join(tmpdir(), 'meld-js-fixtures-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => init());

function nativeFuse(paths, kind, flags = []) {
  const out = join(dir, `native-${kind}.wasm`);
  const { status, stderr } = runCli(['fuse', ...paths, '-o', out, '--emit', kind, ...flags]);
  assert.equal(status, 0, stderr);
  return readFileSync(out);
}

// A fixture that uses the async ABI fuses only to a component (the native
// CLI and the package refuse `--emit core` alike).
const isAsync = (fixture) => fixture.name.startsWith('async-');

for (const fixture of fixtures()) {
  describe(fixture.name, () => {
    if (isAsync(fixture)) {
      test('--emit core is refused as natively', () => {
        const { status, stderr } = runCli(['fuse', fixture.path, '-o', join(dir, 'no.wasm'), '--emit', 'core']);
        assert.equal(status, 1);
        assert.throws(() => fuse([fixture.bytes], { emit: 'core' }), (e) => {
          assert.ok(stderr.toString().includes(e.message), `${e.message} vs ${stderr}`);
          return e.kind === 'unsupported';
        });
      });
      test('--memory shared is byte-identical to the native CLI', () => {
        const expected = nativeFuse([fixture.path], 'component', ['--memory', 'shared']);
        const { wasm } = fuse([fixture.bytes], { memory: 'shared' });
        assert.ok(Buffer.from(wasm).equals(expected), 'output bytes differ from the native CLI');
      });
    }
    for (const kind of isAsync(fixture) ? ['component'] : ['component', 'core']) {
      test(`--emit ${kind} is byte-identical to the native CLI`, () => {
        const expected = nativeFuse([fixture.path], kind);
        const { wasm, stats, warnings } = fuse([fixture.bytes], { emit: kind });
        assert.ok(wasm instanceof Uint8Array);
        assert.equal(wasm.length, expected.length, 'output size');
        assert.ok(Buffer.from(wasm).equals(expected), 'output bytes differ from the native CLI');
        // The header says what was asked for: layer 1 (component) or a core module.
        assert.deepEqual([...wasm.subarray(0, 8)], kind === 'core' ? [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0] : [0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
        assert.equal(stats.outputBytes, wasm.length);
        assert.equal(stats.inputBytes, fixture.bytes.length);
        // With `--emit core`, `auto` may fall back to multi-memory, and says so.
        assert.deepEqual(warnings.filter((w) => !w.startsWith('--memory auto chose multi')), []);
      });
    }

    test('--debug-info strip is byte-identical to the native CLI', () => {
      const expected = nativeFuse([fixture.path], 'component', ['--debug-info', 'strip']);
      const { wasm, stats } = fuse([fixture.bytes], { debugInfo: 'strip' });
      assert.ok(Buffer.from(wasm).equals(expected), 'output bytes differ from the native CLI');
      assert.equal(stats.dwarfBytes, 0);
    });

    test('--simd on is byte-identical to the native CLI', () => {
      const expected = nativeFuse([fixture.path], 'component', ['--simd', 'on']);
      const { wasm } = fuse([fixture.bytes], { simd: 'on' });
      assert.ok(Buffer.from(wasm).equals(expected), 'output bytes differ from the native CLI');
    });

    test('inspect shows what `meld inspect` prints', () => {
      const tree = inspect(fixture.bytes);
      const { stdout } = runCli(['inspect', fixture.path]);
      const native = stdout.toString();
      assert.equal(tree.components[0].path, 'root');
      assert.equal(tree.components[0].parent, null);
      for (const c of tree.components) assert.ok(native.includes(`${c.path}\n`), c.path);
      for (const a of tree.adapters) assert.ok(native.includes(`${a.name} (${a.caller} -> ${a.callee}): ${a.kind}`), a.name);
      for (const e of tree.exports) assert.ok(native.includes(`  ${e}\n`), e);
      // The tree is plain data.
      assert.deepEqual(JSON.parse(JSON.stringify(tree)), tree);
    });
  });
}

test('several inputs are linked exactly as the native CLI links them', () => {
  const byName = Object.fromEntries(fixtures().map((f) => [f.name, f]));
  const [a, b] = [byName.chain, byName.scalars];
  const expected = nativeFuse([a.path, b.path], 'core');
  const { wasm } = fuse([a.bytes, b.bytes], { emit: 'core' });
  assert.ok(Buffer.from(wasm).equals(expected));
});
