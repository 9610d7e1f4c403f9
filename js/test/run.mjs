// `npm test`: builds the native CLI and the fixtures once, then runs every
// test file with their locations in the environment. When MELD_CLI and
// MELD_FIXTURES are already set, those are used as they are.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, pkgRoot, requireBuiltPackage } from './native.mjs';

requireBuiltPackage();
const { cli, fixtures } =
  process.env.MELD_CLI && process.env.MELD_FIXTURES
    ? { cli: process.env.MELD_CLI, fixtures: process.env.MELD_FIXTURES }
    : build();
const files = readdirSync(join(pkgRoot, 'test'))
  .filter((f) => f.endsWith('.test.mjs'))
  .sort()
  .map((f) => join('test', f));
const result = spawnSync(process.execPath, ['--test', ...files], {
  cwd: pkgRoot,
  stdio: 'inherit',
  env: { ...process.env, MELD_CLI: cli, MELD_FIXTURES: fixtures },
});
process.exitCode = result.status ?? 1;
