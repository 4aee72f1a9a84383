/**
 * The monorepo's own wiring: every workspace package declares, in package.json and as a tsconfig
 * project reference, each workspace package its sources import, so `tsc -b packages/<p>` from a
 * clean tree builds what it needs and npm links it (an undeclared import works only by hoisting luck).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const packages = join(fileURLToPath(import.meta.url), '..', '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

describe('workspace packages', () => {
  for (const dir of readdirSync(packages).filter((d) => statSync(join(packages, d, 'package.json'), { throwIfNoEntry: false }))) {
    it(`${dir} declares every workspace package it imports`, () => {
      const pkg = JSON.parse(readFileSync(join(packages, dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
      const tsconfig = JSON.parse(readFileSync(join(packages, dir, 'tsconfig.json'), 'utf8')) as { references?: Array<{ path: string }> };
      const imported = new Set<string>();
      for (const f of sources(join(packages, dir, 'src'))) {
        for (const m of readFileSync(f, 'utf8').matchAll(/['"]@dockside\/([a-z-]+)['"]/g)) imported.add(m[1] as string);
      }
      imported.delete(pkg.name.replace('@dockside/', ''));
      const declared = Object.keys(pkg.dependencies ?? {})
        .filter((d) => d.startsWith('@dockside/'))
        .map((d) => d.slice('@dockside/'.length));
      const referenced = (tsconfig.references ?? []).map((r) => r.path.replace(/^\.\.\//, ''));
      assert.deepEqual([...imported].filter((i) => !declared.includes(i)).sort(), [], `${dir}/package.json: missing dependencies`);
      assert.deepEqual([...imported].filter((i) => !referenced.includes(i)).sort(), [], `${dir}/tsconfig.json: missing references`);
    });
  }
});
