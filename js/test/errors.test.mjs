// Bad inputs throw `MeldError`s of the right kind, with a location, exactly
// where the native CLI fails; bad arguments throw `TypeError`s.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { MeldError, fuse, init, inspect } from '../lib/node.js';
import { fixtures } from './native.mjs';

before(() => init());

const fixture = (name) => fixtures().find((f) => f.name === name).bytes;
const unsupported = readFileSync(new URL('./data/exports-core-module.wasm', import.meta.url));

function throwsMeld(f, kind, check = () => {}) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof MeldError, `expected a MeldError, got ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'MeldError');
    assert.equal(e.kind, kind, e.message);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    assert.deepEqual(Object.keys(e.location).sort(), ['input', 'offset', 'path']);
    check(e);
    return true;
  });
}

test('not wasm at all is invalid-input at offset 0', () => {
  throwsMeld(() => fuse([new TextEncoder().encode('hello, world')]), 'invalid-input', (e) => {
    assert.match(e.message, /not a WebAssembly file/);
    assert.equal(e.location.offset, 0);
    assert.equal(e.describe().split(' (at ')[1], 'offset 0x0)');
  });
});

test('a core module where a component is expected is invalid-input', () => {
  throwsMeld(() => fuse([new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])]), 'invalid-input', (e) => {
    assert.match(e.message, /expected a component, found a core module/);
  });
});

test('a truncated component is invalid-input with an offset', () => {
  const bytes = fixture('scalars');
  throwsMeld(() => fuse([bytes.subarray(0, bytes.length >> 1)]), 'invalid-input', (e) => {
    assert.equal(typeof e.location.offset, 'number');
  });
  throwsMeld(() => inspect(bytes.subarray(0, 1000)), 'invalid-input');
});

test('no input is invalid-input', () => {
  throwsMeld(() => fuse([]), 'invalid-input', (e) => assert.match(e.message, /no input/));
});

test('a valid component meld cannot fuse faithfully is unsupported', () => {
  // A component passes its core module along; a core module cannot.
  throwsMeld(() => fuse([unsupported], { emit: 'core' }), 'unsupported', (e) => {
    assert.match(e.message, /the root exports `m`, a core module .* fuse to a component instead$/);
  });
  assert.ok(fuse([unsupported]).wasm.length > 0);
});

test('inputs that cannot be linked are a link error', () => {
  throwsMeld(() => fuse([fixture('chain'), fixture('scalars'), fixture('scalars')]), 'link', (e) => {
    assert.match(e.message, /inputs 1 and 2 both export/);
  });
});

test('a bad second input names which input it is', () => {
  throwsMeld(() => fuse([fixture('chain'), new Uint8Array([1, 2, 3])]), 'invalid-input', (e) => {
    assert.equal(e.location.input, 1);
  });
});

test('unknown options and bad option values are invalid-input', () => {
  throwsMeld(() => fuse([fixture('scalars')], { outptu: 'core' }), 'invalid-input', (e) => {
    assert.match(e.message, /unknown option `outptu`/);
  });
  throwsMeld(() => fuse([fixture('scalars')], { emit: 'module' }), 'invalid-input', (e) => {
    assert.match(e.message, /"module"/);
  });
  throwsMeld(() => fuse([fixture('scalars')], { debugInfo: 'drop' }), 'invalid-input', (e) => {
    assert.match(e.message, /option `debugInfo` must be "keep" or "strip", not "drop"/);
  });
  throwsMeld(() => fuse([fixture('scalars')], { simd: 'yes' }), 'invalid-input', (e) => {
    assert.match(e.message, /option `simd` must be "auto", "on" or "off", not "yes"/);
  });
  // The option's old name says what it is called now.
  throwsMeld(() => fuse([fixture('scalars')], { output: 'core' }), 'invalid-input', (e) => {
    assert.match(e.message, /option `output` is called `emit` now.*\{ emit: "core" \}/);
  });
});

test('arguments of the wrong type are TypeErrors', () => {
  assert.throws(() => fuse(fixture('scalars')), TypeError);
  assert.throws(() => fuse(['not bytes']), TypeError);
  assert.throws(() => fuse([fixture('scalars')], 'core'), TypeError);
  assert.throws(() => fuse([fixture('scalars')], { emit: ['core'] }), TypeError);
  assert.throws(() => inspect(null), TypeError);
});

test('ArrayBuffers and other views are accepted as inputs', () => {
  const bytes = fixture('scalars');
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const a = fuse([copy]).wasm;
  const b = fuse([new DataView(copy)]).wasm;
  const c = fuse([bytes], { emit: undefined }).wasm;
  assert.deepEqual(a, b);
  assert.deepEqual(a, c);
});

test('errors are plain data for postMessage', () => {
  try {
    fuse([new Uint8Array([1])]);
    assert.fail('fused garbage');
  } catch (e) {
    const json = JSON.parse(JSON.stringify(e));
    assert.equal(json.name, 'MeldError');
    assert.equal(json.kind, 'invalid-input');
    assert.equal(json.message, e.message);
    assert.deepEqual(json.location, e.location);
  }
});
