// meld-fuse for node: `init()` reads the bundled wasm from disk.

import { readFile } from 'node:fs/promises';
import initGlue from '../pkg/meld_js.js';
import { isReady, markReady } from './meld.js';

export { MeldError, fuse, inspect, version } from './meld.js';

let pending = null;

/**
 * Loads the engine. Without an argument, the wasm bundled with the package;
 * otherwise its bytes, a compiled `WebAssembly.Module`, or a path or
 * `file:` URL to read. Calling it again returns the same promise.
 */
export function init(source = undefined) {
  if (isReady()) return Promise.resolve();
  pending ??= load(source).then(markReady, (e) => {
    pending = null;
    throw e;
  });
  return pending;
}

async function load(source) {
  let module = source ?? new URL('../pkg/meld_js_bg.wasm', import.meta.url);
  if (typeof module === 'string' || module instanceof URL) module = await readFile(module);
  await initGlue({ module_or_path: module });
}
