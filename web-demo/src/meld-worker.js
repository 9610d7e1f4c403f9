// Runs meld off the page's thread. One request at a time:
//   { id, inputs: ArrayBuffer[], options }  ->
//   { id, ok: true, wasm, stats, warnings, ms, trees } or { id, ok: false, error, trees }
// `trees` holds, per input, `{ tree }` from `inspect` or `{ error }`, so the
// page can draw the composition even when fusion fails.

import { init, fuse, inspect } from '../vendor/meld-fuse/lib/browser.js';

const ready = init();
ready.then(
  () => postMessage({ ready: true }),
  (e) => postMessage({ ready: false, error: plain(e) }),
);

function plain(e) {
  if (typeof e?.toJSON === 'function') return e.toJSON();
  return { name: e?.name ?? 'Error', kind: 'internal', message: String(e?.message ?? e), location: { input: null, path: null, offset: null } };
}

onmessage = async ({ data: { id, inputs, options } }) => {
  await ready;
  const bytes = inputs.map((b) => new Uint8Array(b));
  const trees = bytes.map((b) => {
    try {
      return { tree: inspect(b) };
    } catch (e) {
      return { error: plain(e) };
    }
  });
  try {
    const start = performance.now();
    const { wasm, stats, warnings } = fuse(bytes, options);
    const ms = performance.now() - start;
    postMessage({ id, ok: true, wasm, stats, warnings, ms, trees }, [wasm.buffer]);
  } catch (e) {
    postMessage({ id, ok: false, error: plain(e), trees });
  }
};
