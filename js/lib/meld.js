// The package's API over the wasm-bindgen glue, the same in node and the
// browser. `node.js` and `browser.js` differ only in how `init` finds the
// wasm; everything else is here.
//
// Invariants:
// - every call into the module goes through `call`, which turns the
//   engine's errors (thrown as JSON text) into `MeldError`s and a trap (a
//   panic, which aborts) into a `MeldError` of kind `internal`, after which
//   the module is re-instantiated so the next call starts clean;
// - results are plain objects (JSON-able) and fresh `Uint8Array`s that do
//   not alias the module's memory.

import * as glue from '../pkg/meld_js.js';

/** A failure of the engine: bad input, unsupported input, a link failure or a bug. */
export class MeldError extends Error {
  /**
   * @param {'invalid-input' | 'unsupported' | 'link' | 'internal'} kind
   * @param {string} message
   * @param {{ input?: number | null, path?: string | null, offset?: number | null }} [location]
   * @param {{ cause?: unknown }} [options]
   */
  constructor(kind, message, location = {}, options = undefined) {
    super(message, options);
    this.name = 'MeldError';
    this.kind = kind;
    this.location = {
      input: location.input ?? null,
      path: location.path ?? null,
      offset: location.offset ?? null,
    };
  }

  /** `kind: message (at input 0, component root/a, offset 0x10)`, as the CLI prints it. */
  describe() {
    const { input, path, offset } = this.location;
    const at = [];
    if (input !== null) at.push(`input ${input}`);
    if (path !== null) at.push(`component ${path}`);
    if (offset !== null) at.push(`offset 0x${offset.toString(16)}`);
    return `${this.kind}: ${this.message}${at.length ? ` (at ${at.join(', ')})` : ''}`;
  }

  /** A plain object, e.g. to post from a worker. */
  toJSON() {
    return { name: this.name, kind: this.kind, message: this.message, location: { ...this.location } };
  }
}

let ready = false;

/** Called by `init` once the glue holds an instance. */
export function markReady() {
  ready = true;
}

/** Whether `init` has completed. */
export function isReady() {
  return ready;
}

function call(what, f) {
  if (!ready) {
    throw new Error(`meld-fuse: call \`await init()\` before ${what}()`);
  }
  try {
    return f();
  } catch (e) {
    if (typeof e === 'string') {
      const { kind, message, location } = JSON.parse(e);
      throw new MeldError(kind, message, location);
    }
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      throw recover(e);
    }
    throw e;
  }
}

/**
 * After a trap: read the panic message from the old instance (if it can
 * still answer), then re-instantiate the module.
 */
function recover(trap) {
  let panic;
  try {
    panic = glue.takePanicMessage();
  } catch {
    panic = undefined;
  }
  let reset = 'the module was re-instantiated and can be used again';
  try {
    glue.__wbg_reset_state();
  } catch (e) {
    ready = false;
    reset = `re-instantiating the module failed (${e.message}); call init() again`;
  }
  const what = panic === undefined ? `trapped (${trap.message})` : `panicked: ${panic}`;
  return new MeldError(
    'internal',
    `meld ${what}; this is a bug in meld, please report it with the input (${reset})`,
    {},
    { cause: trap },
  );
}

function bytesOf(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`meld-fuse: ${what} must be a Uint8Array (or ArrayBuffer), not ${describeType(value)}`);
}

function describeType(value) {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** `(name, value)` string pairs for the engine, which validates them. */
function optionPairs(options) {
  if (options === undefined || options === null) return [[], []];
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`meld-fuse: options must be an object, not ${describeType(options)}`);
  }
  const names = [];
  const values = [];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new TypeError(`meld-fuse: option ${name} must be a string, number or boolean, not ${describeType(value)}`);
    }
    names.push(name);
    values.push(String(value));
  }
  return [names, values];
}

/**
 * Fuses one composed component, or several components linked by interface
 * name (the first one's exports are kept).
 */
export function fuse(inputs, options = undefined) {
  if (!Array.isArray(inputs)) {
    throw new TypeError(`meld-fuse: fuse() takes an array of inputs, not ${describeType(inputs)}`);
  }
  const parts = inputs.map((input, i) => bytesOf(input, `input ${i}`));
  const [names, values] = optionPairs(options);
  const lengths = new Uint32Array(parts.map((p) => p.length));
  const all = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return call('fuse', () => {
    const output = glue.fuse(all, lengths, names, values);
    try {
      const { stats, warnings } = JSON.parse(output.meta);
      return { wasm: output.takeWasm(), stats, warnings };
    } finally {
      output.free();
    }
  });
}

/** The instantiation tree of a component, as fusion sees it. */
export function inspect(input) {
  const bytes = bytesOf(input, 'the input');
  return call('inspect', () => JSON.parse(glue.inspect(bytes)));
}

/** The version of the engine in this package. */
export function version() {
  return call('version', () => glue.version());
}

/**
 * Panics inside the module. For the package's own tests of panic recovery;
 * not part of the API (not in the types, not exported by the package).
 */
export function panicForTesting(message) {
  return call('panicForTesting', () => glue.panicForTesting(message));
}
