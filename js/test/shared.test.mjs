// A fused core module with one shared memory runs on an engine without
// multi-memory: node 20's V8. The `bench` fixture (a consumer calling
// three providers with scalars, strings and lists of records) is fused
// with `--memory shared --emit core`; it imports nothing, so plain
// `WebAssembly.instantiate` runs it, adapters copying strings and records
// between the regions of its one memory.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { fuse, init } from '../lib/node.js';
import { fixtures } from './native.mjs';

before(() => init());

/** The string `bench-strings` sends (tests/guests/bench-consumer). */
const PAYLOAD =
  'The quick brown fox jumps over the lazy dog; Größe, 東京, naïve café — 0123456789 abcdefghi!';

function bench() {
  const fixture = fixtures().find((f) => f.name === 'bench');
  assert.ok(fixture, 'the bench fixture exists');
  return fixture.bytes;
}

test('a shared-memory core module has one memory and no imports', () => {
  const { wasm, stats } = fuse([bench()], { emit: 'core', memory: 'shared' });
  assert.equal(stats.memory, 'shared');
  assert.equal(stats.memories, 1);
  assert.ok(stats.regions.length >= 2, 'one region per inner memory');
  const module = new WebAssembly.Module(wasm);
  assert.deepEqual(WebAssembly.Module.imports(module), []);
});

test('it instantiates in this node and its exports return the right values', async () => {
  const { wasm } = fuse([bench()], { emit: 'core', memory: 'shared' });
  const { instance } = await WebAssembly.instantiate(wasm, {});
  const exports = instance.exports;
  // 0 + 1 + ... + 9 through ten cross-component calls.
  assert.equal(exports['meld:fixtures/bench#bench-scalars'](10), 45n);
  // Each round trip returns the payload's length in bytes.
  assert.equal(exports['meld:fixtures/bench#bench-strings'](7), 7 * Buffer.byteLength(PAYLOAD));
  // Eight points translated by (1, -1) n times: sum of x - y grows by 16 per round.
  const records = exports['meld:fixtures/bench#bench-records'];
  assert.equal(records(3) - records(2), 16);
});

test('the same input with --memory multi does not instantiate here (no multi-memory in node 20)', async () => {
  const major = Number(process.versions.node.split('.')[0]);
  const { wasm, stats } = fuse([bench()], { emit: 'core', memory: 'multi' });
  assert.ok(stats.memories > 1);
  if (major === 20) {
    await assert.rejects(WebAssembly.instantiate(wasm, {}));
  }
});
