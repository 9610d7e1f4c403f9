/**
 * meld-fuse: fuse a composed WebAssembly component into one core module
 * (or a component wrapping it), in node and in the browser.
 *
 * ```js
 * import { init, fuse } from 'meld-fuse';
 * await init();
 * const { wasm, stats } = fuse([composedBytes], { emit: 'core' });
 * ```
 *
 * The output is byte-for-byte what the native `meld` CLI writes for the
 * same inputs and options.
 *
 * @packageDocumentation
 */

/**
 * Loads the engine (a wasm module of about 1 MB). Call it once, and await
 * it, before anything else; later calls return the same promise.
 *
 * - In node, without an argument it reads the wasm bundled with the package
 *   from disk. A path, a `file:` URL, the bytes or a compiled module can be
 *   given instead.
 * - In browsers and workers, without an argument it fetches
 *   `pkg/meld_js_bg.wasm` relative to the package's modules (bundlers that
 *   understand `new URL(..., import.meta.url)` copy it for you). A URL, a
 *   `Response` (or a promise of one), the bytes or a compiled module can be
 *   given instead.
 */
export function init(source?: InitSource): Promise<void>;

/** What {@link init} can load the engine from. */
export type InitSource =
  | string
  | URL
  | Response
  | Promise<Response>
  | BufferSource
  | WebAssembly.Module;

/**
 * Fuses one composed component, or several components linked by interface
 * name (as `wac plug` would: the exports of each satisfy the matching
 * imports of the others; the first input's exports are the result's).
 *
 * Synchronous: it runs on the calling thread. In a page, call it from a
 * Web Worker to keep the page responsive.
 *
 * @param inputs the component binaries (`.wasm` files' bytes).
 * @param options what to produce; every field is optional.
 * @throws {MeldError} when the input is not a valid component
 *   (`invalid-input`), uses something meld cannot fuse faithfully yet
 *   (`unsupported`), the inputs do not fit together (`link`), an option is
 *   unknown or has a bad value (`invalid-input`), or meld has a bug
 *   (`internal`; the engine stays usable).
 * @throws {TypeError} when `inputs` is not an array of byte arrays or
 *   `options` is not an object.
 */
export function fuse(inputs: readonly (Uint8Array | ArrayBuffer)[], options?: FuseOptions): Fused;

/**
 * The instantiation tree of a component as fusion sees it: root imports and
 * exports, every inner component by path, their core instances and where
 * each import comes from, the adapters cross-component calls would get,
 * and the host imports each component uses.
 *
 * @throws {MeldError} as {@link fuse} does.
 */
export function inspect(input: Uint8Array | ArrayBuffer): Tree;

/** The version of the engine in this package, e.g. `"0.1.0"`. */
export function version(): string;

/** Options of {@link fuse}. Unknown names are rejected. */
export interface FuseOptions {
  /**
   * `"component"` (default): a component with exactly the input's imports
   * and exports, runnable wherever the input ran. `"core"`: the fused core
   * module itself, for core tools (its import and export names are
   * described in meld's README). The CLI's `--emit`; the old name `output`
   * is rejected with an error naming `emit`.
   */
  emit?: 'component' | 'core';
  /**
   * How the inner components' memories are held. `"multi"`: one memory
   * each (the engine needs multi-memory). `"shared"`: one memory, each
   * component a region of it with every access checked (runs on Node 20,
   * Safari, jco). `"auto"` (default): `"shared"` for `emit: "core"` when
   * possible, else `"multi"`.
   */
  memory?: 'auto' | 'multi' | 'shared';
  /**
   * With a shared memory: region size in MiB (1 to 4096) for memories that
   * declare no maximum; default 64.
   */
  regionSize?: number;
  /**
   * The inner modules' DWARF (`.debug_*` sections of debug builds).
   * `"keep"` (default): carried into the fused module with every code
   * address moved. `"strip"`: dropped, and reported in `droppedSections`.
   * The CLI's `--debug-info`.
   */
  debugInfo?: 'keep' | 'strip';
  /**
   * Whether string copies validate utf8 with SIMD, sixteen bytes at a
   * time. `"auto"` (the default): when the input already uses SIMD (a
   * `v128` in a core module's types, globals or locals), so the output
   * needs no feature the input did not. `"on"`: always (the output then
   * needs SIMD). `"off"`: never. The CLI's `--simd`.
   */
  simd?: 'auto' | 'on' | 'off';
}

/** The result of {@link fuse}. */
export interface Fused {
  /** The output, validated: a component or a core module. */
  wasm: Uint8Array;
  /** What fusion did. */
  stats: Stats;
  /** Things worth knowing that did not stop fusion. */
  warnings: string[];
}

/** Counts describing one fusion (the CLI's `--stats`). */
export interface Stats {
  /** Inner component instances. */
  components: number;
  /** Distinct core modules in the input. */
  coreModules: number;
  /** Core module instantiations merged into the output. */
  coreInstances: number;
  /** Linear memories in the fused module. */
  memories: number;
  /** Cross-component calls, by how they were adapted. */
  adapters: AdapterCounts;
  /** Bytes of code in generated adapter and helper functions. */
  adapterCodeBytes: number;
  /** Distinct host (root) imports lowered into the fused module. */
  hostImports: number;
  /** Total size of the inputs. */
  inputBytes: number;
  /** Size of the output. */
  outputBytes: number;
  /** Custom sections dropped (e.g. `.debug_info`), each with its size. */
  droppedSections: { name: string; bytes: number }[];
  /** Bytes of DWARF (`.debug_*` sections) in the output. */
  dwarfBytes: number;
  /** The memory strategy used: `"multi"` or `"shared"`. */
  memory: 'multi' | 'shared';
  /** With a shared memory, each component's region, in address order. */
  regions: { component: string; base: number; maxBytes: number }[];
  /**
   * With the async runtime, per inner component: its functions, and those
   * the unwind transform rewrote so that a task can suspend in them.
   */
  suspendable: {
    component: string;
    functions: number;
    transformed: number;
    transformedBytesBefore: number;
    transformedBytesAfter: number;
  }[];
}

/** Cross-component calls by kind of adapter. */
export interface AdapterCounts {
  /** Calls that became direct calls: nothing to do at the boundary. */
  direct: number;
  /** Calls through an adapter that checks or converts scalars. */
  fixup: number;
  /** Calls through an adapter that copies strings, lists or spilled values between memories. */
  copy: number;
  /** Calls through an adapter that transcodes strings between encodings. */
  transcode: number;
}

/** The instantiation tree returned by {@link inspect}. */
export interface Tree {
  /** Names of the root's imports. */
  imports: string[];
  /** Names of the root's exports. */
  exports: string[];
  /** Every component instance, the root first, parents before children. */
  components: ComponentNode[];
  /** Cross-component calls. */
  adapters: AdapterNode[];
  /** Root-import (host) functions lowered into inner components. */
  lowerings: LoweringNode[];
}

/** One component instance of the composition. */
export interface ComponentNode {
  /** Path in the instantiation tree, e.g. `"root/consumer"`. */
  path: string;
  /** Path of the component that instantiated it; `null` for the root. */
  parent: string | null;
  /** The core module instances it creates, in order. */
  coreInstances: CoreInstanceNode[];
}

/** One core module instantiation. */
export interface CoreInstanceNode {
  /** Position in instantiation order over the whole composition. */
  index: number;
  /** Readable name of the module. */
  module: string;
  /** Each import and where it comes from. */
  imports: { module: string; field: string; source: string }[];
}

/** How a cross-component call is adapted. */
export type AdapterKind = 'direct' | 'fixup' | 'copy' | 'transcode' | 'unsupported';

/** A cross-component call. */
export interface AdapterNode {
  /** The called function, e.g. `"my:pkg/api#add"`. */
  name: string;
  /** Path of the calling component. */
  caller: string;
  /** Path of the component that lifted the function. */
  callee: string;
  kind: AdapterKind;
  /** Why fusion cannot adapt it yet, when `kind` is `"unsupported"`; else `null`. */
  reason: string | null;
}

/** A host function lowered into an inner component. */
export interface LoweringNode {
  /** e.g. `"wasi:cli/stdout@0.2.6#get-stdout"`. */
  name: string;
  /** Path of the component that uses it. */
  caller: string;
}

/** Whose fault a failure is. */
export type MeldErrorKind = 'invalid-input' | 'unsupported' | 'link' | 'internal';

/** Where a failure was found; every part may be unknown (`null`). */
export interface MeldErrorLocation {
  /** Which input (0-based), when several were given. */
  input: number | null;
  /** Path of the inner component, e.g. `"root/consumer"`. */
  path: string | null;
  /** Byte offset in the input. */
  offset: number | null;
}

/** A failure of the engine, thrown by {@link fuse} and {@link inspect}. */
export class MeldError extends Error {
  constructor(
    kind: MeldErrorKind,
    message: string,
    location?: Partial<MeldErrorLocation>,
    options?: { cause?: unknown },
  );
  readonly name: 'MeldError';
  /** Whose fault it is. */
  kind: MeldErrorKind;
  /** Where it went wrong. */
  location: MeldErrorLocation;
  /** One line, as the CLI prints it: `kind: message (at component root/a, offset 0x10)`. */
  describe(): string;
  /** A plain object (e.g. to `postMessage` from a worker). */
  toJSON(): { name: 'MeldError'; kind: MeldErrorKind; message: string; location: MeldErrorLocation };
}
