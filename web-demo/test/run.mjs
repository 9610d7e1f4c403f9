// `npm test`: makes sure headless Chromium is there (Debian's package,
// installed with apt when /usr/bin/chromium is missing), builds dist/ and
// the native CLI, then runs the browser tests with node's test runner.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../../js/test/native.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() !== 0) {
    console.error(`web-demo: ${CHROMIUM} is missing; install it with: sudo apt-get install -y chromium`);
    process.exit(1);
  }
  console.error('web-demo: installing chromium with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], { stdio: 'inherit', env });
}

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
// The native CLI, and the fixtures (an async one is uploaded in a test).
const { cli, fixtures } =
  process.env.MELD_CLI && process.env.MELD_FIXTURES
    ? { cli: process.env.MELD_CLI, fixtures: process.env.MELD_FIXTURES }
    : build();
const files = readdirSync(join(root, 'test')).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join('test', f));
const result = spawnSync(process.execPath, ['--test', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, MELD_CLI: cli, MELD_FIXTURES: fixtures },
});
process.exitCode = result.status ?? 1;
