// The playground page: inputs (files or bundled examples), options, and
// the result of fusing them in a worker (sizes, counts, a picture of the
// composition, a download, and a panel that runs a fused core module).

import { KINDS, KIND_HELP, draw, wiring } from './graph.js';

const $ = (id) => document.getElementById(id);

/**
 * The options the page offers, one fieldset each; `name` and the choices'
 * `value`s are meld-fuse's option names and values.
 */
const OPTIONS = [
  {
    name: 'emit',
    legend: 'Output',
    choices: [
      { value: 'component', label: 'Component', help: 'Same imports and exports as the input; runs where it ran.' },
      { value: 'core', label: 'Core module', help: 'The fused module itself, for core tools. Runnable here.' },
    ],
  },
  {
    name: 'memory',
    legend: 'Memory',
    choices: [
      { value: 'auto', label: 'Auto', help: 'Shared for a core module when possible, else one memory per component.' },
      { value: 'multi', label: 'Multi', help: 'One linear memory per inner component (needs multi-memory).' },
      { value: 'shared', label: 'Shared', help: 'One memory, a checked region per component: runs without multi-memory.' },
    ],
  },
  {
    name: 'debugInfo',
    legend: 'Debug info',
    choices: [
      { value: 'keep', label: 'Keep', help: 'DWARF of debug builds carried over, code addresses moved: source lines in backtraces and debuggers.' },
      { value: 'strip', label: 'Strip', help: 'DWARF dropped: a smaller output.' },
    ],
  },
  {
    name: 'simd',
    legend: 'SIMD',
    choices: [
      { value: 'auto', label: 'Auto', help: 'utf8 validated 16 bytes at a time when the input already uses SIMD.' },
      { value: 'on', label: 'On', help: 'Always: faster string copies; the output then needs SIMD.' },
      { value: 'off', label: 'Off', help: 'Never: scalar validation only.' },
    ],
  },
];

const ERROR_HELP = {
  'invalid-input': 'This is not a valid WebAssembly component (meld takes components, such as the output of wac or wasm-tools compose).',
  unsupported: 'The component is valid, but it uses something meld cannot fuse faithfully yet, so meld refuses rather than emit a module that behaves differently.',
  link: 'The inputs do not fit together: meld links several inputs by interface name, as wac plug would.',
  internal: 'This is a bug in meld. Please report it together with the input.',
};

const state = {
  inputs: [], // { name, bytes: ArrayBuffer, example?: string }
  options: Object.fromEntries(OPTIONS.map((o) => [o.name, o.choices[0].value])),
  seq: 0,
  ready: false,
  downloadUrl: null,
};

const kb = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`);
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function setStatus(text, mode = '') {
  const status = $('status');
  status.textContent = text;
  status.className = `status ${mode}`;
}

// ---------------------------------------------------------------- the worker

const worker = new Worker(new URL('./meld-worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }) => {
  if ('ready' in data) {
    state.ready = data.ready;
    if (data.ready) setStatus('Ready: drop a component or pick an example.');
    else setStatus(`meld could not be loaded: ${data.error.message}`);
    renderSelected();
    return;
  }
  if (data.id !== state.seq) return; // a newer request is under way
  $('fuse').disabled = state.inputs.length === 0;
  if (data.ok) showResult(data);
  else showError(data.error);
};
worker.onerror = (e) => setStatus(`The meld worker failed: ${e.message}`);

function fuseNow() {
  if (state.inputs.length === 0 || !state.ready) return;
  const id = ++state.seq;
  const names = state.inputs.map((i) => i.name).join(', ');
  setStatus(`Fusing ${names}…`, 'busy');
  $('fuse').disabled = true;
  worker.postMessage({ id, inputs: state.inputs.map((i) => i.bytes.slice(0)), options: { ...state.options } });
}

// ---------------------------------------------------------------- inputs

async function loadExamples() {
  const list = $('examples');
  let examples;
  try {
    examples = await (await fetch('examples/examples.json')).json();
  } catch (e) {
    list.textContent = `The examples could not be loaded (${e.message}).`;
    return;
  }
  for (const ex of examples) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'example';
    button.dataset.example = ex.name;
    button.setAttribute('aria-pressed', 'false');
    button.innerHTML = '<span class="name"></span><span class="size"></span><span class="desc"></span>';
    button.querySelector('.name').textContent = ex.title;
    button.querySelector('.size').textContent = `${ex.name}.wasm · ${kb(ex.bytes)}`;
    button.querySelector('.desc').textContent = ex.description;
    button.addEventListener('click', async () => {
      const bytes = await (await fetch(`examples/${ex.file}`)).arrayBuffer();
      state.inputs = [{ name: ex.file, bytes, example: ex.name }];
      renderSelected();
      fuseNow();
    });
    li.append(button);
    list.append(li);
  }
}

async function addFiles(files) {
  const read = await Promise.all([...files].map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
  if (read.length === 0) return;
  state.inputs = read;
  renderSelected();
  fuseNow();
}

function renderSelected() {
  const list = $('selected');
  list.replaceChildren();
  for (const [i, input] of state.inputs.entries()) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'file';
    name.textContent = input.name;
    name.title = input.name;
    const size = document.createElement('span');
    size.className = 'size';
    size.textContent = kb(input.bytes.byteLength);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'icon-button';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove ${input.name}`);
    remove.addEventListener('click', () => {
      state.inputs.splice(i, 1);
      renderSelected();
      $('fuse').focus();
    });
    li.append(name, size, remove);
    list.append(li);
  }
  const total = state.inputs.reduce((n, i) => n + i.bytes.byteLength, 0);
  $('selected-total').textContent = state.inputs.length ? `${plural(state.inputs.length, 'file')}, ${kb(total)}` : '';
  $('selected-empty').hidden = state.inputs.length > 0;
  $('fuse').disabled = state.inputs.length === 0 || !state.ready;
  const example = state.inputs.length === 1 ? state.inputs[0].example : undefined;
  for (const b of document.querySelectorAll('.example')) {
    b.setAttribute('aria-pressed', String(b.dataset.example === example));
  }
}

function renderOptions() {
  const form = $('options');
  for (const option of OPTIONS) {
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = option.legend;
    const group = document.createElement('div');
    group.className = 'segmented';
    for (const choice of option.choices) {
      const label = document.createElement('label');
      label.innerHTML = '<span class="choice"><input type="radio"><span></span></span><span class="choice-help"></span>';
      const input = label.querySelector('input');
      input.name = option.name;
      input.value = choice.value;
      input.checked = state.options[option.name] === choice.value;
      input.addEventListener('change', () => {
        state.options[option.name] = choice.value;
        fuseNow();
      });
      label.querySelector('.choice span').textContent = choice.label;
      label.querySelector('.choice-help').textContent = choice.help;
      group.append(label);
    }
    fieldset.append(legend, group);
    form.append(fieldset);
  }
  form.addEventListener('submit', (e) => e.preventDefault());
}

// ---------------------------------------------------------------- results

function showError(error) {
  hideRun();
  $('output').hidden = true;
  const box = $('error');
  box.hidden = false;
  box.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = 'Could not fuse';
  const kind = document.createElement('span');
  kind.className = 'kind';
  kind.textContent = error.kind;
  h.append(kind);
  const help = document.createElement('p');
  help.textContent = ERROR_HELP[error.kind] ?? '';
  const message = document.createElement('p');
  message.className = 'message';
  message.textContent = error.message;
  box.append(h, help, message);
  const { input, path, offset } = error.location ?? {};
  const where = [];
  if (input !== null && input !== undefined) where.push(['input', `${input + 1}: ${state.inputs[input]?.name ?? '?'}`]);
  else if (state.inputs.length === 1) where.push(['file', state.inputs[0].name]);
  if (path) where.push(['component', path]);
  if (offset !== null && offset !== undefined) where.push(['offset', `0x${offset.toString(16)} (byte ${offset})`]);
  if (where.length) {
    const dl = document.createElement('dl');
    for (const [k, v] of where) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    }
    box.append(dl);
  }
  setStatus(`Could not fuse: ${error.kind}.`);
}

function count(dl, label, value, help, swatch) {
  const div = document.createElement('div');
  if (swatch) div.className = 'adapter';
  div.title = help;
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  if (swatch) {
    const s = document.createElement('span');
    s.className = 'swatch';
    s.style.background = `var(--${swatch})`;
    dd.append(s);
  }
  dd.append(String(value));
  div.append(dt, dd);
  dl.append(div);
}

function showResult({ wasm, stats, warnings, ms, trees }) {
  $('error').hidden = true;
  $('output').hidden = false;
  const kind = state.options.emit;
  const base = state.inputs[0].name.replace(/\.wasm$/i, '');
  const outName = `${base}.${kind === 'core' ? 'core' : 'fused'}.wasm`;

  const delta = stats.outputBytes / stats.inputBytes - 1;
  const sizes = $('sizes');
  sizes.innerHTML = '<strong class="in"></strong> in → <strong class="out"></strong> out <span class="delta"></span> · fused in <strong class="ms"></strong>';
  sizes.querySelector('.in').textContent = kb(stats.inputBytes);
  sizes.querySelector('.out').textContent = kb(stats.outputBytes);
  const d = sizes.querySelector('.delta');
  d.textContent = `${delta <= 0 ? '−' : '+'}${Math.abs(delta * 100).toFixed(0)}%`;
  d.classList.toggle('grew', delta > 0);
  sizes.querySelector('.ms').textContent = `${ms.toFixed(1)} ms`;

  const dl = $('counts');
  dl.replaceChildren();
  count(dl, 'components', stats.components, 'component instances in the composition');
  count(dl, 'core modules', stats.coreModules, 'distinct core modules in the input');
  count(dl, 'core instances', stats.coreInstances, 'core module instantiations merged into the output');
  count(dl, 'memories', stats.memories, `linear memories in the fused module (${stats.memory})`);
  count(dl, 'host imports', stats.hostImports, 'host functions the fused module imports');
  for (const k of Object.keys(stats.adapters)) {
    count(dl, `${k} calls`, stats.adapters[k], KIND_HELP[k] ?? k, KINDS.includes(k) ? k : 'direct');
  }
  count(dl, 'adapter code', kb(stats.adapterCodeBytes), 'bytes of generated adapter code');
  count(dl, 'debug info', kb(stats.dwarfBytes), 'bytes of DWARF in the output (source lines for debuggers)');
  if (stats.suspendable.length) {
    const rewritten = stats.suspendable.reduce((n, s) => n + s.transformed, 0);
    const functions = stats.suspendable.reduce((n, s) => n + s.functions, 0);
    const each = stats.suspendable.map((s) =>
      `${s.component} ${s.transformed} of ${s.functions} (${s.transformedBytesBefore} → ${s.transformedBytesAfter} bytes)`);
    count(dl, 'suspendable code', `${rewritten} of ${functions}`,
      `functions the unwind transform rewrote so that a task can suspend in them: ${each.join(', ')}`);
  }

  const w = $('warnings');
  w.replaceChildren(...warnings.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
  $('dropped').textContent = stats.droppedSections.length
    ? `Dropped custom sections: ${stats.droppedSections.map((s) => `${s.name} (${kb(s.bytes)})`).join(', ')}.`
    : '';

  if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
  state.downloadUrl = URL.createObjectURL(new Blob([wasm], { type: 'application/wasm' }));
  const a = $('download');
  a.href = state.downloadUrl;
  a.download = outName;
  a.textContent = `Download ${outName} (${kb(wasm.byteLength)})`;

  const graphs = $('graphs');
  graphs.replaceChildren();
  trees.forEach((t, i) => {
    const section = document.createElement('div');
    section.className = 'graph';
    if (trees.length > 1) {
      const h = document.createElement('h3');
      h.textContent = `Input ${i + 1}: ${state.inputs[i].name}`;
      section.append(h);
    }
    if (t.tree) {
      const scroll = document.createElement('div');
      scroll.className = 'graph-scroll';
      scroll.tabIndex = 0;
      scroll.setAttribute('aria-label', `Composition of ${state.inputs[i].name} (scrolls sideways when wide)`);
      scroll.append(draw(t.tree, state.inputs[i].name));
      section.append(scroll, legend(t.tree), wiring(t.tree));
    } else {
      section.append(Object.assign(document.createElement('p'), { textContent: `No picture: ${t.error.message}` }));
    }
    graphs.append(section);
  });

  setStatus(`Fused ${state.inputs.map((i) => i.name).join(' + ')} in ${ms.toFixed(1)} ms.`, 'done');
  if (kind === 'core') loadRun(wasm);
  else hideRun();
}

function legend(tree) {
  const used = new Set(tree.adapters.map((a) => a.kind));
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const k of KINDS.filter((k) => used.has(k))) {
    const li = document.createElement('li');
    li.innerHTML = '<span class="swatch"></span><span><strong></strong>: <span class="help"></span></span>';
    li.querySelector('.swatch').style.background = `var(--${k})`;
    li.querySelector('strong').textContent = k;
    li.querySelector('.help').textContent = KIND_HELP[k];
    ul.append(li);
  }
  return ul;
}

// ---------------------------------------------------------------- run panel

const CALL_TIMEOUT_MS = 5000;
let runner = null;

function ask(message, transfer = []) {
  runner ??= new Worker(new URL('./run-worker.js', import.meta.url), { type: 'module' });
  const w = runner;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      w.terminate();
      if (runner === w) runner = null;
      reject(new Error(`no answer after ${CALL_TIMEOUT_MS / 1000} s; the module was stopped`));
    }, CALL_TIMEOUT_MS);
    w.onmessage = ({ data }) => {
      clearTimeout(timer);
      resolve(data);
    };
    w.postMessage(message, transfer);
  });
}

function hideRun() {
  $('run').hidden = true;
  runner?.terminate();
  runner = null;
}

const NUMERIC = new Set(['i32', 'i64', 'f32', 'f64']);

async function loadRun(wasm) {
  hideRun();
  const section = $('run');
  section.hidden = false;
  $('run-form').hidden = true;
  $('run-result').textContent = '';
  const note = $('run-note');
  note.textContent = 'Instantiating…';
  let answer;
  try {
    answer = await ask({ type: 'load', wasm: wasm.slice(0) });
  } catch (e) {
    answer = { ok: false, error: e.message };
  }
  if (!answer.ok) {
    note.textContent = `This module cannot run in the page: ${answer.error}.`;
    return;
  }
  const funcs = answer.exports.filter(
    (f) => !f.name.startsWith('cabi_') && [...f.params, ...f.results].every((t) => NUMERIC.has(t)),
  );
  const imports = answer.imports.length
    ? `Its ${plural(answer.imports.length, 'host import')} are stubs that trap when called.`
    : 'It imports nothing.';
  note.textContent = `Instantiated with WebAssembly.instantiate. ${imports} Parameters and results are core values: integers and floats as the Canonical ABI flattens them (a bool is 0 or 1, a char its code point).`;
  if (funcs.length === 0) {
    note.textContent += ' It exports no function with numeric parameters and results.';
    return;
  }
  const select = $('run-func');
  select.replaceChildren(
    ...funcs.map((f) => {
      const o = document.createElement('option');
      o.value = f.name;
      o.textContent = `${f.name}(${f.params.join(', ')})${f.results.length ? ` → ${f.results.join(', ')}` : ''}`;
      return o;
    }),
  );
  select.onchange = () => renderParams(funcs.find((f) => f.name === select.value));
  renderParams(funcs[0]);
  $('run-form').hidden = false;
}

function renderParams(func) {
  const box = $('run-params');
  box.replaceChildren();
  func.params.forEach((type, i) => {
    const label = document.createElement('label');
    label.className = 'field';
    label.innerHTML = '<span>p<span class="n"></span> <span class="type"></span></span><input type="text" autocomplete="off" spellcheck="false" value="0">';
    label.querySelector('.n').textContent = String(i);
    label.querySelector('.type').textContent = type;
    const input = label.querySelector('input');
    input.dataset.type = type;
    input.inputMode = type.startsWith('f') ? 'decimal' : 'numeric';
    box.append(label);
  });
  $('run-result').textContent = '';
}

function parseArg(text, type) {
  const t = text.trim();
  if (type === 'i64') return BigInt(t);
  const n = Number(t);
  if (t === '' || Number.isNaN(n) && !/^[+-]?nan$/i.test(t)) throw new Error(`"${text}" is not a number`);
  if (type === 'i32' && !Number.isInteger(n)) throw new Error(`"${text}" is not an integer`);
  return n;
}

async function call(event) {
  event.preventDefault();
  const out = $('run-result');
  out.classList.remove('trap');
  const name = $('run-func').value;
  let args;
  try {
    args = [...$('run-params').querySelectorAll('input')].map((i) => parseArg(i.value, i.dataset.type));
  } catch (e) {
    out.classList.add('trap');
    out.textContent = e.message;
    return;
  }
  out.textContent = '…';
  let answer;
  try {
    answer = await ask({ type: 'call', name, args });
  } catch (e) {
    answer = { ok: false, error: e.message };
  }
  if (answer.ok) {
    out.textContent = answer.results.length ? answer.results.map(String).join(', ') : '(no result)';
  } else {
    out.classList.add('trap');
    out.textContent = answer.error;
  }
}

// ---------------------------------------------------------------- wiring up

function setUpDrop() {
  const drop = $('drop');
  $('pick').addEventListener('click', () => $('files').click());
  $('files').addEventListener('change', (e) => {
    addFiles(e.target.files);
    e.target.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    addFiles(e.dataTransfer.files);
  });
  // A file dropped elsewhere on the page must not navigate away from it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

renderOptions();
renderSelected();
setUpDrop();
$('fuse').addEventListener('click', fuseNow);
$('run-form').addEventListener('submit', call);
loadExamples();
