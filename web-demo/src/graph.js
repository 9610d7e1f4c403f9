// Draws the composition from meld's `inspect` tree as SVG: the inner
// components that do work (create core instances, call or are called) as
// boxes, callers above callees, one arrow per caller/callee pair labelled
// with how fusion adapts those calls, and the host below for components
// that use host imports.

const NS = 'http://www.w3.org/2000/svg';
export const KINDS = ['direct', 'fixup', 'copy', 'transcode', 'unsupported'];
export const KIND_HELP = {
  direct: 'plain call, nothing to do at the boundary',
  fixup: 'adapter checks or converts scalars',
  copy: 'adapter copies values between memories',
  transcode: 'adapter transcodes strings',
  unsupported: 'meld cannot adapt this call yet',
};
const BOX = { w: 204, h: 72, gapX: 36, gapY: 96, pad: 28 };
const HOST = 'host';

function el(name, attrs = {}, children = []) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const child of children) node.append(child);
  return node;
}

/** `meld:fixtures/calc@1.0.0#sum-to` -> `calc`. */
export function interfaceName(name) {
  const iface = name.split('#')[0];
  return iface.replace(/^[^:/]+:[^/]+\//, '').replace(/@.*$/, '');
}

/** `text` cut to `max` characters, keeping its end (paths) or its start. */
function short(text, max, keep = 'end') {
  if (text.length <= max) return text;
  return keep === 'end' ? `…${text.slice(text.length - max + 1)}` : `${text.slice(0, max - 1)}…`;
}

/** A box's label: its path below the root. */
function label(path) {
  return path === 'root' ? 'root' : path.replace(/^root\//, '');
}

/** Nodes, edges and layers of the drawing. */
export function layout(tree) {
  const byPath = new Map(tree.components.map((c) => [c.path, c]));
  const edges = new Map();
  const add = (from, to, kind, name) => {
    const key = `${from}\u0000${to}`;
    if (!edges.has(key)) edges.set(key, { from, to, counts: {}, names: [] });
    const e = edges.get(key);
    e.counts[kind] = (e.counts[kind] ?? 0) + 1;
    e.names.push(`${name} (${kind})`);
  };
  for (const a of tree.adapters) add(a.caller, a.callee, a.kind, a.name);
  for (const l of tree.lowerings) add(l.caller, HOST, 'host', l.name);

  const active = new Set();
  for (const c of tree.components) if (c.coreInstances.length > 0) active.add(c.path);
  for (const e of edges.values()) {
    active.add(e.from);
    if (e.to !== HOST) active.add(e.to);
  }
  const nodes = tree.components.filter((c) => active.has(c.path)).map((c) => c.path);

  // Layers: a callee sits below every caller (longest path from the top).
  const layer = new Map(nodes.map((p) => [p, 0]));
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges.values()) {
      if (e.to === HOST || e.from === e.to) continue;
      const want = layer.get(e.from) + 1;
      if (layer.get(e.to) < want && want < nodes.length) {
        layer.set(e.to, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers = [];
  for (const p of nodes) (layers[layer.get(p)] ??= []).push(p);
  if (tree.lowerings.length > 0) layers.push([HOST]);
  // What each callee provides: the interfaces of the functions it lifts.
  const provides = new Map();
  for (const a of tree.adapters) {
    const iface = interfaceName(a.name);
    if (!provides.has(a.callee)) provides.set(a.callee, new Set());
    provides.get(a.callee).add(iface);
  }
  return {
    layers: layers.filter(Boolean),
    edges: [...edges.values()],
    modules: (p) => byPath.get(p)?.coreInstances.map((i) => i.module) ?? [],
    provides: (p) => [...(provides.get(p) ?? [])],
  };
}

function edgeKind(counts) {
  for (const k of ['unsupported', 'transcode', 'copy', 'fixup', 'direct', 'host']) if (counts[k]) return k;
  return 'direct';
}

function edgeText(counts) {
  return Object.entries(counts)
    .map(([k, n]) => (k === 'host' ? `${n} host import${n === 1 ? '' : 's'}` : `${n} ${k}`))
    .join(' · ');
}

/** An `<svg>` of the composition, with a text title and description. */
export function draw(tree, caption) {
  const { layers, edges, modules, provides } = layout(tree);
  const widest = Math.max(1, ...layers.map((l) => l.length));
  // Edges that skip a layer (or go up) are routed around the right side.
  const row = new Map(layers.flatMap((l, y) => l.map((p) => [p, y])));
  const around = (e) => row.get(e.to) - row.get(e.from) !== 1;
  const side = edges.some((e) => row.has(e.to) && row.has(e.from) && around(e)) ? 150 : 0;
  const width = BOX.pad * 2 + widest * BOX.w + (widest - 1) * BOX.gapX + side;
  const exportsH = tree.exports.length ? 40 : 0;
  const height = BOX.pad * 2 + exportsH + layers.length * BOX.h + (layers.length - 1) * BOX.gapY;
  const pos = new Map();
  layers.forEach((row, y) => {
    const rowW = row.length * BOX.w + (row.length - 1) * BOX.gapX;
    row.forEach((p, x) => {
      pos.set(p, { x: (width - side - rowW) / 2 + x * (BOX.w + BOX.gapX), y: BOX.pad + exportsH + y * (BOX.h + BOX.gapY) });
    });
  });

  const id = `g${Math.random().toString(36).slice(2, 8)}`;
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-labelledby': `${id}-t ${id}-d`, class: 'composition',
  });
  const calls = tree.adapters.length;
  svg.append(
    el('title', { id: `${id}-t` }, [`Composition of ${caption}`]),
    el('desc', { id: `${id}-d` }, [
      `${layers.flat().filter((p) => p !== HOST).length} inner components, ${calls} cross-component call${calls === 1 ? '' : 's'}, ${tree.lowerings.length} host import${tree.lowerings.length === 1 ? '' : 's'}. The list below the picture has every call.`,
    ]),
  );
  const defs = el('defs');
  for (const k of [...KINDS, 'host']) {
    defs.append(
      el('marker', { id: `${id}-${k}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, [
        el('path', { d: 'M0,0 L10,5 L0,10 z', fill: `var(--${k === 'host' ? 'direct' : k})` }),
      ]),
    );
  }
  svg.append(defs);

  if (exportsH) {
    const names = tree.exports.map((e) => e.replace(/^[^:]+:[^/]+\//, '')).join(', ');
    svg.append(
      el('text', { x: width / 2, y: BOX.pad + 12, 'text-anchor': 'middle', class: 'exports' }, [
        el('tspan', { 'font-weight': 600 }, ['exports ']),
        short(names, Math.floor((width - 90) / 7.4), 'start'),
      ]),
    );
  }

  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const kind = edgeKind(e.counts);
    const color = `var(--${kind === 'host' ? 'direct' : kind})`;
    const x1 = a.x + BOX.w / 2;
    const y1 = a.y + BOX.h;
    const x2 = b.x + BOX.w / 2;
    const y2 = b.y;
    const up = around(e);
    const reach = Math.max(a.x, b.x) + BOX.w + 70;
    const d = up
      ? `M${a.x + BOX.w},${a.y + BOX.h / 2} C${reach},${a.y + BOX.h / 2} ${reach},${b.y + BOX.h / 2} ${b.x + BOX.w + 2},${b.y + BOX.h / 2}`
      : `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2 - 2}`;
    const text = edgeText(e.counts);
    const g = el('g', { class: `edge ${kind}` }, [
      el('title', {}, [e.names.join('\n')]),
      el('path', {
        d, fill: 'none', stroke: color, 'stroke-width': 2,
        'stroke-dasharray': kind === 'unsupported' ? '6 4' : kind === 'host' ? '2 4' : 'none',
        'marker-end': `url(#${id}-${kind})`,
      }),
    ]);
    const mx = up ? reach - 8 : (x1 + x2) / 2;
    const my = up ? (a.y + b.y + BOX.h) / 2 : (y1 + y2) / 2;
    const w = text.length * 6.6 + 16;
    g.append(
      el('rect', { x: mx - w / 2, y: my - 11, width: w, height: 22, rx: 11, fill: '#fff', stroke: color, 'stroke-width': 1 }),
      el('text', { x: mx, y: my + 4, 'text-anchor': 'middle', class: 'edge-label', fill: color }, [text]),
    );
    svg.append(g);
  }

  for (const [p, { x, y }] of pos) {
    const host = p === HOST;
    const mods = modules(p);
    const offers = host ? [] : provides(p);
    const sub = host ? 'imports the fused module keeps' : mods.length ? `core: ${mods.join(', ')}` : 'no core instances';
    const lines = [short(host ? 'host' : label(p), 24)];
    if (offers.length) lines.push(short(`provides ${offers.join(', ')}`, 27, 'start'));
    lines.push(short(sub, 27, 'start'));
    svg.append(
      el('g', { class: host ? 'node host' : 'node' }, [
        el('title', {}, [host ? 'the host: imports the fused module keeps' : p]),
        el('rect', {
          x, y, width: BOX.w, height: BOX.h, rx: 10,
          fill: host ? '#f3f4f7' : '#ffffff', stroke: host ? '#9aa3b5' : '#3b5bdb', 'stroke-width': host ? 1.5 : 2,
          'stroke-dasharray': host ? '5 4' : 'none',
        }),
        ...lines.map((text, i) =>
          el('text', { x: x + 12, y: y + (lines.length === 3 ? 22 : 28) + i * (lines.length === 3 ? 19 : 22), class: i ? 'node-sub' : 'node-label' }, [text]),
        ),
      ]),
    );
  }
  svg.append(
    el('style', {}, [
      `.composition text { font-family: system-ui, sans-serif; }
       .composition .node-label { font-size: 14px; font-weight: 650; fill: #1c2230; }
       .composition .node-sub { font-size: 11.5px; fill: #5b6477; }
       .composition .edge-label { font-size: 11.5px; font-weight: 600; }
       .composition .exports { font-size: 12.5px; fill: #5b6477; }`,
    ]),
  );
  return svg;
}

/** Every call as text, for screen readers and for copying. */
export function wiring(tree) {
  const details = document.createElement('details');
  details.className = 'wiring';
  const summary = document.createElement('summary');
  summary.textContent = `Every call (${tree.adapters.length}) and host import (${tree.lowerings.length})`;
  const list = document.createElement('ul');
  for (const a of tree.adapters) {
    const li = document.createElement('li');
    li.textContent = `${a.name}: ${label(a.caller)} → ${label(a.callee)}, ${a.kind}${a.reason ? ` (${a.reason})` : ''}`;
    list.append(li);
  }
  for (const l of tree.lowerings) {
    const li = document.createElement('li');
    li.textContent = `${l.name}: ${label(l.caller)} → host`;
    list.append(li);
  }
  details.append(summary, list);
  return details;
}
