#!/usr/bin/env node
// Bundles each sidecar's in-container program (packages/<role>/src/program/main.ts) into one file,
// images/<role>/build/<role>.mjs, which its Dockerfile copies onto the shared base. esbuild is used
// because each image should carry one small file rather than a node_modules tree.
import { build } from 'esbuild';
import { PROGRAM_LAZY, lazyModules, namesPattern } from './esbuild-lazy.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '@dockside/common';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The one list of roles (packages/common/src/roles.ts); `npm run build` compiles it before this runs.
const { SIDECAR_ROLES: roles } = await import(join(root, 'packages', 'common', 'dist', 'roles.js'));
// dockerode's optional transports (ssh, gRPC sessions) load only when used (never in a sidecar).
const lazyTransports = lazyModules(namesPattern(PROGRAM_LAZY));
const { version } = JSON.parse(await readFile(join(root, 'packages/cli/package.json'), 'utf8'));

await Promise.all(
  roles.map(async (role) => {
    const outdir = join(root, 'images', role, 'build');
    await mkdir(outdir, { recursive: true });
    await build({
      entryPoints: { [role]: join(root, 'packages', role, 'src', 'program', 'main.ts') },
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      minify: false,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'warning',
      define: { DOCKSIDE_VERSION: JSON.stringify(version) },
      // Native addons are installed in the image, not bundled. The cron scheduler bundles dockerode
      // (it drives the engine through its socket): its ssh and gRPC transports are never used
      // there and stay out, loaded only if ever required.
      external: ['pcap'],
      plugins: [lazyTransports],
      // CommonJS dependencies that call require() need it inside an ES module bundle.
      banner: { js: "import { createRequire as __dsCreateRequire } from 'node:module'; const require = __dsCreateRequire(import.meta.url);" },
    });
  }),
);
// A role may add more to its image's build context (e.g. a native addon built for the image's Node).
// Its script runs without the npm_config_* variables `npm run` exports (childEnv), so the build
// is the same through npm or run directly. It reports its own failure in one line.
for (const role of roles) {
  const extra = join(root, 'packages', role, 'scripts', 'prepare-image.mjs');
  if (!existsSync(extra)) continue;
  const r = spawnSync(process.execPath, [extra, join(root, 'images', role, 'build')], { stdio: 'inherit', env: childEnv() });
  if (r.status !== 0) {
    process.stderr.write(`bundle-programs: preparing the ${role} image failed (exit ${r.status ?? r.signal})\n`);
    process.exit(1);
  }
}
console.log(`bundled ${roles.length} sidecar programs (version ${version})`);
