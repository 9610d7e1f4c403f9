// Instantiates a fused core module and calls its exports, off the page's
// thread so that a long-running or looping export cannot freeze the page
// (the page terminates this worker when a call takes too long).
//   { type: 'load', wasm }  -> { ok, exports: [{ name, params, results }], imports, error }
//   { type: 'call', name, args } -> { ok, results } or { ok: false, error }
// Imported functions (if any) are stubs that throw when called.

import { signatures } from './wasm-info.js';

let instance = null;

function stubs(module) {
  const imports = {};
  for (const { module: m, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') return null;
    imports[m] ??= {};
    imports[m][name] = () => {
      throw new Error(`the fused module called the host import ${m} ${name}, which the playground does not provide`);
    };
  }
  return imports;
}

async function load(wasm) {
  const module = await WebAssembly.compile(wasm);
  const imports = WebAssembly.Module.imports(module);
  const provided = stubs(module);
  if (provided === null) {
    const kinds = [...new Set(imports.filter((i) => i.kind !== 'function').map((i) => i.kind))].join(', ');
    return { ok: false, imports, error: `it imports a ${kinds}, which the playground cannot provide` };
  }
  instance = await WebAssembly.instantiate(module, provided);
  return { ok: true, imports, exports: signatures(new Uint8Array(wasm), imports.length) };
}

function call(name, args) {
  const f = instance?.exports[name];
  if (typeof f !== 'function') throw new Error(`no exported function ${name}`);
  const result = f(...args);
  return result === undefined ? [] : Array.isArray(result) ? result : [result];
}

onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') postMessage(await load(data.wasm));
    else postMessage({ ok: true, results: call(data.name, data.args) });
  } catch (e) {
    postMessage({ ok: false, error: `${e instanceof WebAssembly.RuntimeError ? 'trap: ' : ''}${e.message}` });
  }
};
