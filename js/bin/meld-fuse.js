#!/usr/bin/env node
// `meld-fuse`: the native `meld` CLI's commands and flags, on the package.
//
//   meld-fuse fuse IN.wasm... -o OUT.wasm [--emit component|core] [--memory auto|multi|shared] [--region-size MIB] [--debug-info keep|strip] [--stats]
//   meld-fuse inspect IN.wasm [--format text|json|dot]
//
// Output files are byte-identical to the native CLI's; `--stats` and
// `inspect` print the same text. Every failure is one line on stderr and
// exit code 1.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { MeldError, fuse, init, inspect, version } from '../lib/node.js';

const USAGE = `Fuse a composed WebAssembly component into one core module.

Usage: meld-fuse <COMMAND>

Commands:
  fuse     Fuse one composed component, or several components linked by interface name
  inspect  Print the instantiation tree of a component

meld-fuse fuse IN.wasm... -o OUT.wasm [--emit component|core] [--memory auto|multi|shared]
               [--region-size MIB] [--debug-info keep|strip] [--stats]
  -o, --output <FILE>      Where to write the fused output
      --emit <KIND>        component (default): a component with the input's imports and
                           exports; core: the fused core module itself
      --memory <MEMORY>    multi: one memory per inner component; shared: one memory, a
                           checked region each; auto (default): shared for core output
                           when possible, else multi
      --region-size <MIB>  Shared memory: region size of memories without a maximum [64]
      --debug-info <WHAT>  keep (default): carry the inner modules' DWARF, code addresses
                           moved; strip: drop it
      --stats              Print what fusion did on stderr

meld-fuse inspect IN.wasm [--format text|json|dot]
      --format <FORMAT>    text (default): indented text; json: the tree as one line of
                           JSON; dot: a graphviz digraph of the components and their calls

Options:
  -h, --help     Print help
  -V, --version  Print version
`;

class UsageError extends Error {}

function read(path) {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e.message}`);
  }
}

function located(e, paths) {
  if (!(e instanceof MeldError)) throw e;
  const which = e.location.input !== null ? paths[e.location.input] : undefined;
  if (which !== undefined) return `${which}: ${e.describe()}`;
  if (paths.length === 1) return `${paths[0]}: ${e.describe()}`;
  return e.describe();
}

function fuseCommand(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      emit: { type: 'string', default: 'component' },
      memory: { type: 'string', default: 'auto' },
      'region-size': { type: 'string', default: '64' },
      'debug-info': { type: 'string', default: 'keep' },
      stats: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) throw new UsageError('no input given; usage: meld-fuse fuse IN.wasm... -o OUT.wasm');
  if (!['component', 'core'].includes(values.emit)) {
    throw new UsageError(`invalid value '${values.emit}' for '--emit <KIND>': use component or core`);
  }
  if (!['auto', 'multi', 'shared'].includes(values.memory)) {
    throw new UsageError(`invalid value '${values.memory}' for '--memory <MEMORY>': use auto, multi or shared`);
  }
  if (!['keep', 'strip'].includes(values['debug-info'])) {
    throw new UsageError(`invalid value '${values['debug-info']}' for '--debug-info <WHAT>': use keep or strip`);
  }
  const regionSize = Number(values['region-size']);
  if (!/^[0-9]+$/.test(values['region-size']) || regionSize < 1 || regionSize > 4096) {
    throw new UsageError(`invalid value '${values['region-size']}' for '--region-size <MIB>': use 1 to 4096`);
  }
  const out = values.output;
  if (out === undefined) throw new UsageError('no output file given; use -o OUT.wasm');
  if (out === 'component' || out === 'core') {
    throw new UsageError(
      `the output file would be \`${out}\`: \`-o\`/\`--output\` names the output file now, ` +
        `as in wasm-tools and wac; to choose what to write use \`--emit ${out}\` ` +
        `(and \`-o OUT.wasm\` for the file, or \`-o ./${out}\` for a file called ${out})`,
    );
  }
  const inputs = positionals.map(read);
  const start = performance.now();
  let fused;
  try {
    fused = fuse(inputs, {
      emit: values.emit,
      memory: values.memory,
      regionSize,
      debugInfo: values['debug-info'],
    });
  } catch (e) {
    throw new UsageError(located(e, positionals));
  }
  const elapsed = performance.now() - start;
  try {
    writeFileSync(out, fused.wasm);
  } catch (e) {
    throw new UsageError(`cannot write ${out}: ${e.message}`);
  }
  for (const warning of fused.warnings) console.error(`meld-fuse: warning: ${warning}`);
  if (values.stats) printStats(fused.stats, elapsed);
}

function printStats(s, ms) {
  const a = s.adapters;
  const lines = [
    `components:        ${s.components}`,
    `core modules:      ${s.coreModules}`,
    `core instances:    ${s.coreInstances}`,
    `memories:          ${s.memories}`,
    `memory strategy:   ${s.memory}`,
    ...s.regions.map(
      (r) => `region:            ${r.component} at 0x${r.base.toString(16)}, up to ${Math.floor(r.maxBytes / 1048576)} MiB`,
    ),
    `adapters:          ${a.direct} direct, ${a.fixup} fixup, ${a.copy} copy, ${a.transcode} transcode`,
    `adapter code:      ${s.adapterCodeBytes} bytes`,
    `host imports:      ${s.hostImports}`,
    `input:             ${s.inputBytes} bytes`,
    `output:            ${s.outputBytes} bytes`,
    `time:              ${ms.toFixed(3)} ms`,
    // node's own peak (its engine included), where the native CLI gives its own
    `peak memory:       ${process.resourceUsage().maxRSS} KiB resident`,
    debugInfoLine(s),
  ];
  if (s.droppedSections.length === 0) lines.push('dropped sections:  none');
  for (const { name, bytes } of s.droppedSections) lines.push(`dropped section:   ${name} (${bytes} bytes)`);
  console.error(lines.join('\n'));
}

/** The `debug info:` line of the stats, as the native CLI prints it. */
function debugInfoLine(s) {
  const kept = s.dwarfBytes;
  const dropped = s.droppedSections
    .filter(({ name }) => name.startsWith('.debug_'))
    .reduce((sum, { bytes }) => sum + bytes, 0);
  if (kept === 0 && dropped === 0) return 'debug info:        none';
  if (dropped === 0) return `debug info:        ${kept} bytes of DWARF kept`;
  if (kept === 0) return `debug info:        ${dropped} bytes of DWARF dropped`;
  return `debug info:        ${kept} bytes of DWARF kept, ${dropped} bytes dropped`;
}

/** The tree as indented text, exactly as `meld inspect` prints it. */
function render(tree) {
  const out = [];
  const line = (depth, text) => out.push(`${'  '.repeat(depth)}${text}\n`);
  line(0, 'imports:');
  for (const name of tree.imports) line(1, name);
  line(0, 'exports:');
  for (const name of tree.exports) line(1, name);
  line(0, 'components:');
  for (const component of tree.components) {
    const depth = component.path.split('/').length;
    line(depth, component.path);
    for (const instance of component.coreInstances) {
      line(depth + 1, `core instance ${instance.index} of ${instance.module}`);
      for (const i of instance.imports) line(depth + 2, `${i.module} ${i.field} <- ${i.source}`);
    }
  }
  line(0, 'adapters:');
  for (const a of tree.adapters) {
    const kind = a.kind === 'unsupported' ? `unsupported: ${a.reason}` : a.kind;
    line(1, `${a.name} (${a.caller} -> ${a.callee}): ${kind}`);
  }
  line(0, 'host imports:');
  for (const l of tree.lowerings) line(1, `${l.name} (used by ${l.caller})`);
  return out.join('');
}

/**
 * `value` as JSON text exactly as meld-core writes it (`--format json`):
 * compact, keys in order, `\n` `\r` `\t` and other control characters,
 * U+2028 and U+2029 escaped as core escapes them.
 */
function json(value) {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const short = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const escaped = value.replace(/["\\\u0000-\u001f\u2028\u2029]/g, (c) =>
      short[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    return `"${escaped}"`;
  }
  if (Array.isArray(value)) return `[${value.map(json).join(',')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${json(k)}:${json(v)}`).join(',')}}`;
}

/** `s` as a DOT string literal. */
const quote = (s) => `"${s.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`;

/** The composition as a graphviz digraph, exactly as `meld inspect --format dot` prints it. */
function dot(tree) {
  const kinds = ['direct', 'fixup', 'copy', 'transcode', 'unsupported', 'host'];
  const edges = new Map(); // "caller\0callee" -> { from, to, counts }
  const add = (from, to, kind) => {
    const key = `${from}\u0000${to}`;
    if (!edges.has(key)) edges.set(key, { from, to, counts: new Map() });
    const counts = edges.get(key).counts;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  };
  for (const a of tree.adapters) add(a.caller, a.callee, a.kind);
  for (const l of tree.lowerings) add(l.caller, 'host', 'host');
  // Rust orders the pairs as byte strings: the same order as UTF-16 code
  // units for names without characters beyond U+FFFF.
  const sorted = [...edges.values()].sort((x, y) =>
    x.from < y.from ? -1 : x.from > y.from ? 1 : x.to < y.to ? -1 : x.to > y.to ? 1 : 0,
  );
  const active = (path) =>
    sorted.some((e) => e.from === path || e.to === path) ||
    tree.components.some((c) => c.path === path && c.coreInstances.length > 0);
  const out = [
    'digraph meld {',
    '  rankdir=TB;',
    '  node [shape=box, style=rounded, fontname="sans-serif"];',
    '  edge [fontname="sans-serif", fontsize=10];',
  ];
  for (const c of tree.components.filter((c) => active(c.path))) {
    const label = c.path.startsWith('root/') ? c.path.slice(5) : c.path;
    const n = c.coreInstances.length;
    out.push(`  ${quote(c.path)} [label=${quote(`${label}\n${n} core instance${n === 1 ? '' : 's'}`)}];`);
  }
  if (tree.lowerings.length > 0) out.push(`  ${quote('host')} [label="host", shape=ellipse, style=dashed];`);
  for (const { from, to, counts } of sorted) {
    const label = kinds.filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`).join('\n');
    const style = counts.has('unsupported') ? ', color=red, fontcolor=red' : to === 'host' ? ', style=dashed' : '';
    out.push(`  ${quote(from)} -> ${quote(to)} [label=${quote(label)}${style}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

function inspectCommand(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' } },
  });
  if (positionals.length !== 1) throw new UsageError('usage: meld-fuse inspect IN.wasm [--format text|json|dot]');
  if (!['text', 'json', 'dot'].includes(values.format)) {
    throw new UsageError(`invalid value '${values.format}' for '--format <FORMAT>': use text, json or dot`);
  }
  const [path] = positionals;
  const bytes = read(path);
  let tree;
  try {
    tree = inspect(bytes);
  } catch (e) {
    throw new UsageError(located(e, [path]));
  }
  const print = { text: render, json: (t) => `${json(t)}\n`, dot }[values.format];
  process.stdout.write(print(tree));
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  await init();
  if (command === '-V' || command === '--version') {
    console.log(`meld-fuse ${version()}`);
    return 0;
  }
  try {
    if (command === 'fuse') fuseCommand(rest);
    else if (command === 'inspect') inspectCommand(rest);
    else throw new UsageError(`unknown command '${command}'; the commands are fuse and inspect (see --help)`);
  } catch (e) {
    if (e instanceof UsageError || e?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      console.error(`meld-fuse: ${e.message}`);
      return 1;
    }
    throw e;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
