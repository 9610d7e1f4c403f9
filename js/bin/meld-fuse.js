#!/usr/bin/env node
// `meld-fuse`: the native `meld` CLI's commands and flags, on the package.
//
//   meld-fuse fuse IN.wasm... -o OUT.wasm [--emit component|core] [--memory auto|multi|shared] [--region-size MIB] [--stats]
//   meld-fuse inspect IN.wasm
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
               [--region-size MIB] [--stats]
  -o, --output <FILE>      Where to write the fused output
      --emit <KIND>        component (default): a component with the input's imports and
                           exports; core: the fused core module itself
      --memory <MEMORY>    multi: one memory per inner component; shared: one memory, a
                           checked region each; auto (default): shared for core output
                           when possible, else multi
      --region-size <MIB>  Shared memory: region size of memories without a maximum [64]
      --stats              Print what fusion did on stderr

meld-fuse inspect IN.wasm

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
    fused = fuse(inputs, { emit: values.emit, memory: values.memory, regionSize });
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
  ];
  if (s.droppedSections.length === 0) lines.push('dropped sections:  none');
  for (const { name, bytes } of s.droppedSections) lines.push(`dropped section:   ${name} (${bytes} bytes)`);
  console.error(lines.join('\n'));
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

function inspectCommand(args) {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('usage: meld-fuse inspect IN.wasm');
  const [path] = positionals;
  const bytes = read(path);
  let tree;
  try {
    tree = inspect(bytes);
  } catch (e) {
    throw new UsageError(located(e, [path]));
  }
  process.stdout.write(render(tree));
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
