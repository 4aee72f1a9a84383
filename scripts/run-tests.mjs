#!/usr/bin/env node
// Runs the test suites with node's own test runner (TypeScript through tsx):
//   unit tests        packages/*/src/**/*.test.ts   (pure logic, no engine)
//   integration tests test/**/*.integration.test.ts (a real Docker engine, real sidecars)
// Usage: node scripts/run-tests.mjs [--unit|--integration] [name-filter]
// Tests run against the TypeScript sources, never a stale dist/: every package's `exports` has a
// `@dockside/source` condition (./src/*.ts) before `default` (./dist/*.js), and this runner turns it on.
// tsc -b, the esbuild bundlers and the CLI do not set the condition, so they keep resolving dist/.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--integration') ? 'integration' : 'all';
const filter = args.find((a) => !a.startsWith('--'));

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const unit = walk(join(root, 'packages')).filter((f) => f.endsWith('.test.ts') && !f.endsWith('.integration.test.ts'));
const integration = walk(join(root, 'test')).filter((f) => f.endsWith('.integration.test.ts'));
let files = only === 'unit' ? unit : only === 'integration' ? integration : [...unit, ...integration];
if (filter) files = files.filter((f) => relative(root, f).includes(filter)); // not the checkout's own path
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
console.error(`run-tests: ${files.length} files (${only})`);
const res = spawnSync(process.execPath, ['--conditions=@dockside/source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(root, f))], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, DOCKSIDE_TEST_ROOT: root },
});
process.exit(res.status ?? 1);
