// A panic inside the engine is a MeldError of kind `internal` carrying the
// panic message, and the module works again afterwards (it is
// re-instantiated), however often it happens.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeldError, fuse, init, inspect } from '../lib/node.js';
import { panicForTesting } from '../lib/meld.js';
import { fixtures } from './native.mjs';

test('calling before init() is a plain Error that says what to do', () => {
  assert.throws(() => fuse([new Uint8Array()]), /call `await init\(\)` before fuse\(\)/);
});

test('a panic becomes an internal MeldError and the engine recovers', async () => {
  await init();
  const scalars = fixtures().find((f) => f.name === 'scalars').bytes;
  const before = fuse([scalars], { emit: 'core' }).wasm;
  for (let i = 0; i < 100; i++) {
    assert.throws(
      () => panicForTesting(`boom ${i}`),
      (e) => {
        assert.ok(e instanceof MeldError, String(e));
        assert.equal(e.kind, 'internal');
        assert.match(e.message, new RegExp(`meld panicked: boom ${i} \\(at js/src/lib\\.rs:\\d+\\)`));
        assert.match(e.message, /re-instantiated and can be used again/);
        assert.ok(e.cause instanceof WebAssembly.RuntimeError);
        return true;
      },
    );
    // Usable again, with the same result as before the panic.
    assert.deepEqual(fuse([scalars], { emit: 'core' }).wasm, before);
  }
  assert.equal(inspect(scalars).components[0].path, 'root');
});
