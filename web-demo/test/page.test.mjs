// The playground in headless Chromium, served from dist/ on 127.0.0.1 with
// no other network: an example fuses and shows stats and the picture, the
// download equals the native CLI's output, an uploaded component that uses
// the async ABI fuses to the native bytes, a bad file shows an error, the
// run panel calls an export of a fused core module, and the controls work
// from the keyboard. Screenshots (desktop and phone) go to test-artifacts/.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../scripts/serve.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const artifacts = join(root, 'test-artifacts');
const tmp = mkdtempSync(join(tmpdir(), 'meld-web-demo-'));
mkdirSync(artifacts, { recursive: true });

let server;
let browser;
let base;
const offsite = [];
const problems = [];

before(async () => {
  server = await serve(dist);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh page at the playground, ready to fuse. */
async function open(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith(base) || route.request().url().startsWith('blob:')) return route.continue();
    offsite.push(route.request().url());
    return route.abort();
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.goto(base);
  await page.locator('#status', { hasText: 'Ready' }).waitFor();
  await page.locator('.example').first().waitFor();
  return page;
}

async function fuseExample(page, name) {
  await page.click(`[data-example="${name}"]`);
  await page.locator('#status', { hasText: `Fused ${name}.wasm` }).waitFor();
}

function native(args) {
  const out = join(tmp, `native-${args.join('-').replace(/\W+/g, '_')}.wasm`);
  execFileSync(process.env.MELD_CLI, ['fuse', ...args, '-o', out]);
  return readFileSync(out);
}

async function download(page) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

const countOf = (page, label) =>
  page.locator('#counts div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd').innerText();

test('an example fuses with one click and shows sizes, counts and the composition', async () => {
  const page = await open();
  await fuseExample(page, 'diamond');
  assert.match(await page.locator('#sizes').innerText(), /KB in → .* KB out .*fused in \d+\.\d ms/);
  assert.equal(await page.locator('[data-example="diamond"]').getAttribute('aria-pressed'), 'true');
  for (const label of ['components', 'core modules', 'core instances', 'memories', 'direct calls', 'fixup calls']) {
    assert.match(await countOf(page, label), /^\d+$/, label);
  }
  assert.equal(await countOf(page, 'memories'), '4');
  // The picture: four working components (report, calc, stats, scalars),
  // arrows labelled by adapter kind, a legend and the calls as text.
  const svg = page.locator('#graphs svg.composition');
  assert.equal(await svg.locator('g.node').count(), 4);
  assert.ok((await svg.locator('g.edge').count()) >= 3);
  assert.match(await svg.locator('g.edge text').allTextContents().then((t) => t.join(' ')), /\d+ fixup/);
  assert.match(await svg.locator('title').first().textContent(), /Composition of diamond\.wasm/);
  assert.match(await page.locator('.legend').innerText(), /fixup: adapter checks or converts scalars/);
  await page.click('.wiring summary');
  assert.match(await page.locator('.wiring').innerText(), /meld:fixtures\/calc#sum-to: .* → .*, (direct|fixup)/);
  await page.screenshot({ path: join(artifacts, 'desktop-diamond.png'), fullPage: true });
  await page.context().close();
});

test('the downloaded bytes are valid wasm and equal the native CLI output', async () => {
  const page = await open();
  await fuseExample(page, 'scalars');
  const component = await download(page);
  assert.equal(component.name, 'scalars.fused.wasm');
  assert.ok(component.bytes.equals(native([join(dist, 'examples', 'scalars.wasm')])), 'component differs from the native CLI');
  // The CLI reads it back as a valid component.
  const saved = join(tmp, 'downloaded.wasm');
  writeFileSync(saved, component.bytes);
  execFileSync(process.env.MELD_CLI, ['inspect', saved], { stdio: 'ignore' });

  await page.check('input[name="emit"][value="core"]');
  await page.locator('#status', { hasText: 'Fused scalars.wasm' }).waitFor();
  await page.locator('#download', { hasText: 'scalars.core.wasm' }).waitFor();
  const core = await download(page);
  assert.equal(core.name, 'scalars.core.wasm');
  assert.ok(core.bytes.equals(native([join(dist, 'examples', 'scalars.wasm'), '--emit', 'core'])), 'core differs');
  // Chromium (multi-memory) validates the fused core module.
  assert.equal(await page.evaluate((b) => WebAssembly.validate(new Uint8Array(b)), [...core.bytes]), true);

  await page.check('input[name="debugInfo"][value="strip"]');
  await page.locator('#status', { hasText: 'Fused scalars.wasm' }).waitFor();
  const stripped = await download(page);
  const flags = ['--emit', 'core', '--debug-info', 'strip'];
  assert.ok(stripped.bytes.equals(native([join(dist, 'examples', 'scalars.wasm'), ...flags])), 'stripped differs');

  await page.check('input[name="simd"][value="on"]');
  await page.locator('#status', { hasText: 'Fused scalars.wasm' }).waitFor();
  const simd = await download(page);
  const simdFlags = [...flags, '--simd', 'on'];
  assert.ok(simd.bytes.equals(native([join(dist, 'examples', 'scalars.wasm'), ...simdFlags])), 'simd differs');
  await page.context().close();
});

test('a component that uses the async ABI fuses in the page to the native bytes', async () => {
  const page = await open();
  const path = join(process.env.MELD_FIXTURES, 'async-calls.wasm');
  await page.setInputFiles('#files', { name: 'async-calls.wasm', mimeType: 'application/wasm', buffer: readFileSync(path) });
  await page.locator('#status', { hasText: 'Fused async-calls.wasm' }).waitFor();
  const component = await download(page);
  assert.ok(component.bytes.equals(native([path])), 'component differs from the native CLI');
  // The counts say how much code the unwind transform rewrote.
  const suspendable = page.locator('#counts div', { hasText: 'suspendable code' });
  assert.match(await suspendable.innerText(), /suspendable code\s+\d+ of \d+/);
  // As a core module it is refused, as natively.
  await page.check('input[name="emit"][value="core"]');
  await page.locator('#error .kind', { hasText: 'unsupported' }).waitFor();
  assert.match(await page.locator('#error').innerText(), /async ABI/);
  await page.context().close();
});

test('a bad file shows the error plainly: kind, message and where', async () => {
  const page = await open();
  await page.setInputFiles('#files', { name: 'notes.wasm', mimeType: 'application/wasm', buffer: Buffer.from('these are not the bytes you are looking for') });
  const error = page.locator('#error');
  await error.waitFor();
  assert.equal(await error.locator('.kind').innerText(), 'invalid-input');
  assert.match(await error.locator('.message').innerText(), /not a WebAssembly file/);
  assert.match(await error.innerText(), /file\s+notes\.wasm/);
  assert.match(await error.innerText(), /offset\s+0x0 \(byte 0\)/);
  assert.equal(await page.locator('#output').isVisible(), false);
  assert.match(await page.locator('#status').innerText(), /Could not fuse: invalid-input/);
  await page.screenshot({ path: join(artifacts, 'desktop-error.png'), fullPage: true });

  // A valid component meld does not fuse into a core module (it passes a
  // core module along, which a component can and a core module cannot).
  const unsupported = readFileSync(join(root, '..', 'js', 'test', 'data', 'exports-core-module.wasm'));
  await page.check('input[name="emit"][value="core"]');
  await page.setInputFiles('#files', { name: 'module-export.wasm', mimeType: 'application/wasm', buffer: unsupported });
  await error.locator('.kind', { hasText: 'unsupported' }).waitFor();
  assert.match(await error.innerText(), /fuse to a component instead/);
  await page.context().close();
});

test('the run panel calls an export of a fused core example and shows the result', async () => {
  const page = await open();
  await page.check('input[name="emit"][value="core"]');
  await fuseExample(page, 'scalars');
  await page.locator('#run-form').waitFor();
  assert.match(await page.locator('#run-note').innerText(), /It imports nothing/);
  // sum-to(10) = 0 + 1 + ... + 10 through the provider's add-u64.
  await page.selectOption('#run-func', 'meld:fixtures/calc#sum-to');
  await page.fill('#run-params input >> nth=0', '10');
  await page.click('#run-call');
  await page.locator('#run-result', { hasText: /^55$/ }).waitFor();
  // hypot(3, 4) = 5 through mul-f32 across the boundary.
  await page.selectOption('#run-func', 'meld:fixtures/calc#hypot');
  await page.fill('#run-params input >> nth=0', '3');
  await page.fill('#run-params input >> nth=1', '4');
  await page.click('#run-call');
  await page.locator('#run-result', { hasText: /^5$/ }).waitFor();
  // A bad argument is reported, not sent.
  await page.fill('#run-params input >> nth=0', 'three');
  await page.click('#run-call');
  await page.locator('#run-result.trap', { hasText: 'is not a number' }).waitFor();
  await page.fill('#run-params input >> nth=0', '3');
  await page.click('#run-call');
  await page.locator('#run-result', { hasText: /^5$/ }).waitFor();
  await page.screenshot({ path: join(artifacts, 'desktop-run.png'), fullPage: true });
  await page.context().close();
});

test('the controls work from the keyboard', async () => {
  const page = await open();
  // Tab from the top reaches the file picker, then (past the option
  // groups, one stop each) the examples.
  const focused = [];
  for (let i = 0; i < 7; i++) {
    await page.keyboard.press('Tab');
    focused.push(await page.evaluate(() => document.activeElement.id || document.activeElement.dataset.example || document.activeElement.className));
  }
  assert.ok(focused.includes('pick'), focused.join(', '));
  assert.ok(focused.includes('scalars'), focused.join(', '));
  await page.focus('[data-example="chain"]');
  await page.keyboard.press('Enter');
  await page.locator('#status', { hasText: 'Fused chain.wasm' }).waitFor();
  // Arrow keys move between the output choices; the new choice re-fuses.
  await page.focus('input[name="emit"][value="component"]');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.isChecked('input[name="emit"][value="core"]'), true);
  await page.locator('#download', { hasText: 'chain.core.wasm' }).waitFor();
  await page.focus('#run-func');
  await page.context().close();
});

test('at phone width the page is one readable column', async () => {
  const page = await open({ width: 390, height: 844 });
  await page.check('input[name="emit"][value="core"]');
  await fuseExample(page, 'scalars');
  await page.locator('#run-form').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  // One column: options, then the result, then the examples.
  const options = await page.locator('#options').boundingBox();
  const results = await page.locator('#results').boundingBox();
  const examples = await page.locator('#examples').boundingBox();
  assert.ok(options.y < results.y && results.y < examples.y, 'options, result, examples from top to bottom');
  for (const box of [options, results, examples]) assert.ok(box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  await page.screenshot({ path: join(artifacts, 'phone-top.png') });
  await page.locator('#output').screenshot({ path: join(artifacts, 'phone-result.png') });
  await page.screenshot({ path: join(artifacts, 'phone-full.png'), fullPage: true });
  await page.context().close();
});

test('nothing was fetched from outside and nothing went wrong in the page', () => {
  assert.deepEqual(offsite, []);
  assert.deepEqual(problems, []);
});
