/**
 * What the bundlers leave out of the bundles must still load when it is used. Each module the CLI
 * bundle (and the sidecars' programs) load lazily (scripts/esbuild-lazy.mjs) is bundled here behind
 * the same stub and used: the stub must not load it before a property is read, and must then give
 * the real module's value (the stub once required itself, and every command crashed in a terminal,
 * where oclif reads cli-spinners, and over ssh). The shipped CLI bundle is checked for the same
 * shape. The commands that use these modules for real are covered elsewhere: cli-spinners by the
 * terminal suite, the AWS SDK (external) by backup-s3, pcap (external) by netdebug and images.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { build } from 'esbuild';
import { ROOT, RUN_ID } from '../support/engine.js';

const { CLI_LAZY, PROGRAM_LAZY, lazyModules, namesPattern } = (await import(join(ROOT, 'scripts', 'esbuild-lazy.mjs'))) as {
  CLI_LAZY: string[];
  PROGRAM_LAZY: string[];
  lazyModules: (p: RegExp) => import('esbuild').Plugin;
  namesPattern: (names: string[]) => RegExp;
};

const dir = join(ROOT, '.cache', `lazy-${RUN_ID}`);
const requireHere = createRequire(join(ROOT, 'package.json'));

describe('lazily loaded modules of the bundles', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of [...new Set([...CLI_LAZY, ...PROGRAM_LAZY])]) {
    it(`${name}: loaded on first use, and it is the real module`, async () => {
      mkdirSync(dir, { recursive: true });
      const out = join(dir, `${name.replace(/\W+/g, '_')}.cjs`);
      await build({
        stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: ROOT, loader: 'js' },
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: out,
        logLevel: 'silent',
        plugins: [lazyModules(namesPattern([name]))],
      });
      const loaded = () => Object.keys(requireHere.cache).some((f) => f.includes(`/node_modules/${name}/`));
      const before = loaded();
      const stub = createRequire(out)(out) as Record<string, unknown>;
      if (!before) assert.equal(loaded(), false, `${name} is not loaded by the require() of its stub`);
      const real = requireHere(name) as Record<string, unknown>;
      // A module that exports a function (cpu-features) is checked through one of its properties.
      const key = Object.keys(real).find((k) => k !== '__esModule' && real[k] !== undefined) ?? (typeof real === 'function' ? 'name' : undefined);
      assert.ok(key, `${name} exports something`);
      assert.equal(stub[key], real[key], `${name}.${key} through the stub is the real one`);
    });
  }

  it('the CLI bundle requires each lazy module from node_modules, not from itself', () => {
    const bundle = readFileSync(join(ROOT, 'packages', 'cli', 'dist-bundle', 'dockside.cjs'), 'utf8');
    for (const name of CLI_LAZY) assert.ok(bundle.includes(`require(${JSON.stringify(name)})`), `the bundle loads ${name} with require("${name}")`);
  });
});
