// meld-fuse for browsers (and workers): `init()` fetches the wasm next to
// the glue module, or takes bytes, a URL or a compiled module.

import initGlue from '../pkg/meld_js.js';
import { isReady, markReady } from './meld.js';

export { MeldError, fuse, inspect, version } from './meld.js';

let pending = null;

/**
 * Loads the engine. Without an argument, fetches `meld_js_bg.wasm` relative
 * to the package's glue module; otherwise a URL (or string) to fetch, a
 * `Response`, the wasm's bytes, or a compiled `WebAssembly.Module`.
 * Calling it again returns the same promise.
 */
export function init(source = undefined) {
  if (isReady()) return Promise.resolve();
  pending ??= initGlue({ module_or_path: source }).then(markReady, (e) => {
    pending = null;
    throw e;
  });
  return pending;
}
