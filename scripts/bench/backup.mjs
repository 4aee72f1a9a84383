#!/usr/bin/env node
// Benchmark: dockside backup/restore against the seed recipe and restic, on one volume, in one run.
//   node scripts/bench/backup.mjs [--size 1GiB] [--mem-check 4GiB] [--keep]
// The volume holds about 50,000 small text files per GiB plus a few large files, half of the large
// bytes random and half repetitive text. Measured, side by side:
//   seed      docker run --rm --volumes-from app <base> tar -czf - /data > file     (then tar -xzf)
//   dockside  backup --compress gzip / zstd to a directory                          (then restore)
//   restic    first backup of the volume's directory (Debian's restic)              (then restore)
//   repository  dockside backup --to <repository> (restic's format) against restic on its own
//             repository: first backup, second with nothing changed, third after 1% of the small
//             files and 1 MiB in the middle of a 128 MiB file changed, restore, repository size
//   (--only repo runs only this part)
// Peak memory of the backup sidecar: the highest anonymous memory (rss; page cache excluded) its
// cgroup reports while it runs. --mem-check runs dockside zstd once more on a bigger volume to show
// that memory does not grow with the data.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const CLI = join(root, 'packages', 'cli', 'bin', 'run.js');
const version = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const BASE = `dockside/base:${TAG}`;
const RUN = `bench-${Date.now().toString(36)}`;
const LABEL = `dockside.test-run=${RUN}`;

const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g|t)?i?b?$/i.exec(String(s).trim());
  if (!m) throw new Error(`bad size ${s}`);
  return Math.round(Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}
const SIZE = parseSize(arg('--size', '1GiB'));
const MEMCHECK = arg('--mem-check', '') ? parseSize(arg('--mem-check')) : 0;
const KEEP = args.includes('--keep');
const ONLY = arg('--only', '');
const MiB = 1024 * 1024;

function sh(cmd, a, opts = {}) {
  const r = spawnSync(cmd, a, { encoding: 'utf8', maxBuffer: 256 * MiB, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}
const docker = (...a) => sh('docker', a);

const GEN = `
const fs = require('fs'), crypto = require('crypto'), path = require('path');
const [root, totalS] = process.argv.slice(1);
const total = Number(totalS);
const GiB = 1024 ** 3;
const smallCount = Math.max(100, Math.round(50000 * total / GiB));
let written = 0;
const words = ['alpha','beta','gamma','delta','request','response','user','order','cache','error','ok','GET','POST','/api/v1/items'];
function textLine(i) { return i + ' ' + new Date(1700000000000 + i * 997).toISOString() + ' ' + words[i % words.length] + ' ' + words[(i * 7) % words.length] + ' id=' + (i * 2654435761 % 1000003) + ' status=' + (200 + (i % 5)) + '\\n'; }
for (let i = 0; i < smallCount; i++) {
  const dir = path.join(root, 'small', 'd' + Math.floor(i / 500));
  if (i % 500 === 0) fs.mkdirSync(dir, { recursive: true });
  let s = '';
  const n = 10 + (i % 40);
  for (let j = 0; j < n; j++) s += textLine(i * 64 + j);
  fs.writeFileSync(path.join(dir, 'f' + i + '.txt'), s);
  written += s.length;
}
const rest = Math.max(0, total - written);
fs.mkdirSync(path.join(root, 'large'), { recursive: true });
const CH = 4 * 1024 * 1024, FILE = 128 * 1024 * 1024;
function big(kind, bytes) {
  let n = 0, f = 0;
  while (n < bytes) {
    const size = Math.min(FILE, bytes - n);
    const fd = fs.openSync(path.join(root, 'large', kind + f++ + '.bin'), 'w');
    let k = 0, line = 0;
    while (k < size) {
      const len = Math.min(CH, size - k);
      let b;
      if (kind === 'random') b = crypto.randomBytes(len);
      else { let s = ''; while (s.length < len) s += textLine(line++); b = Buffer.from(s.slice(0, len)); }
      fs.writeSync(fd, b); k += len;
    }
    fs.closeSync(fd); n += size;
  }
}
big('random', Math.floor(rest / 2));
big('text', rest - Math.floor(rest / 2));
console.log(smallCount);
`;

/** Highest anonymous memory of a container's cgroup (v1 memory.stat rss+rss_huge, v2 anon), polled. */
function memWatcher(filterArgs) {
  let peak = 0;
  let id = '';
  let stop = false;
  const read = () => {
    const files = [`/sys/fs/cgroup/memory/docker/${id}/memory.stat`, `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.stat`, `/sys/fs/cgroup/docker/${id}/memory.stat`];
    for (const f of files) {
      try {
        const text = readFileSync(f, 'utf8');
        const get = (k) => Number((new RegExp(`^${k} (\\d+)$`, 'm').exec(text) || [])[1] || 0);
        const anon = f.includes('/memory/docker/') ? get('rss') + get('rss_huge') : get('anon');
        if (anon > peak) peak = anon;
        return true;
      } catch {}
    }
    return false;
  };
  const loop = async () => {
    const end = Date.now() + 30 * 60_000;
    while (!stop && Date.now() < end) {
      if (!id) {
        const r = spawnSync('docker', ['ps', '-q', '--no-trunc', ...filterArgs], { encoding: 'utf8' });
        id = (r.stdout || '').trim().split('\n')[0] || '';
      }
      if (id && !read()) id = '';
      await new Promise((r) => setTimeout(r, id ? 50 : 100));
    }
  };
  const done = loop();
  return async () => {
    stop = true;
    await done;
    return peak;
  };
}

function run(cmd, a, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, a, { stdio: ['ignore', opts.stdoutFd ?? 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`${cmd} ${a.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      else resolve({ secs, out, err });
    });
  });
}

function dirSize(p) {
  let n = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    const q = join(p, e.name);
    n += e.isDirectory() ? dirSize(q) : statSync(q).size;
  }
  return n;
}

const fmtMiB = (b) => `${(b / MiB).toFixed(0)} MiB`;

async function makeVolume(name, bytes) {
  docker('volume', 'create', '--label', LABEL, name);
  const t = Date.now();
  const count = docker('run', '--rm', '--label', LABEL, '-v', `${name}:/data`, BASE, 'node', '-e', GEN, '/data', String(bytes));
  const used = Number(docker('run', '--rm', '--label', LABEL, '-v', `${name}:/data:ro`, BASE, 'du', '-sb', '/data').split(/\s+/)[0]);
  console.error(`bench: volume ${name}: ${count} small files, ${fmtMiB(used)} in ${((Date.now() - t) / 1000).toFixed(0)}s`);
  return used;
}

async function main() {
  if (spawnSync('docker', ['image', 'inspect', `dockside/backup:${TAG}`], { stdio: 'ignore' }).status !== 0)
    throw new Error(`dockside/backup:${TAG} is missing: run bash scripts/setup.sh`);
  if (spawnSync('restic', ['version'], { stdio: 'ignore' }).status !== 0) throw new Error("restic is missing: run bash scripts/setup.sh (it installs Debian's restic)");
  const tmp = mkdtempSync(join(tmpdir(), 'ds-bench-backup-'));
  const vol = `${RUN}-data`;
  const app = `${RUN}-app`;
  const rows = [];
  try {
    console.error(`bench: building a ${fmtMiB(SIZE)} volume`);
    const bytes = await makeVolume(vol, SIZE);
    docker('run', '-d', '--init', '--name', app, '--label', LABEL, '-v', `${vol}:/data`, BASE, 'sleep', 'infinity');
    const mountpoint = docker('volume', 'inspect', '--format', '{{.Mountpoint}}', vol);
    const sidecarFilter = ['--filter', 'label=dockside.role=backup', '--filter', `label=dockside.target.name=${app}`];
    const sync = () => spawnSync('sync');
    if (ONLY === 'repo') return await benchRepository({ tmp, app, mountpoint, bytes, sidecarFilter, sync });

    // Backups.
    sync();
    console.error('bench: seed recipe (tar -czf through the attach stream)');
    const seedFile = join(tmp, 'seed.tgz');
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(seedFile, 'w');
    const seed = await run('docker', ['run', '--rm', '--label', LABEL, '--volumes-from', app, BASE, 'tar', '-czf', '-', '/data'], { stdoutFd: fd });
    closeSync(fd);
    rows.push({ what: 'backup: seed recipe (tar -czf)', secs: seed.secs, bytes, size: statSync(seedFile).size, mem: null });

    for (const algo of ['gzip', 'zstd']) {
      sync();
      console.error(`bench: dockside backup --compress ${algo}`);
      const watch = memWatcher(sidecarFilter);
      const r = await run(process.execPath, [CLI, 'backup', app, '--to', join(tmp, `ds-${algo}`), '--compress', algo, '--json']);
      const mem = await watch();
      const m = JSON.parse(r.out);
      rows.push({ what: `backup: dockside ${algo}`, secs: r.secs, bytes, size: m.totals.storedBytes, mem, id: m.id, algo });
    }

    sync();
    console.error('bench: restic first backup');
    const repo = join(tmp, 'restic');
    const renv = { RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo };
    await run('restic', ['init', '-q'], { env: renv });
    const rb = await run('restic', ['backup', '-q', '--no-scan', mountpoint], { env: renv }).catch(() => run('restic', ['backup', '-q', mountpoint], { env: renv }));
    rows.push({ what: 'backup: restic (first)', secs: rb.secs, bytes, size: dirSize(repo), mem: null });

    // Restores.
    sync();
    console.error('bench: tar -xzf of the seed archive');
    const seedVol = `${RUN}-seed-restore`;
    docker('volume', 'create', '--label', LABEL, seedVol);
    const sr = await run('docker', ['run', '--rm', '--label', LABEL, '-v', `${tmp}:/b:ro`, '-v', `${seedVol}:/r`, BASE, 'tar', '-xzf', '/b/seed.tgz', '-C', '/r']);
    rows.push({ what: 'restore: tar -xzf (seed)', secs: sr.secs, bytes, size: null, mem: null });
    for (const b of rows.filter((x) => x.id)) {
      sync();
      console.error(`bench: dockside restore (${b.algo})`);
      const into = `${RUN}-restore-${b.algo}`;
      const watch = memWatcher(sidecarFilter);
      const r = await run(process.execPath, [CLI, 'restore', app, '--from', join(tmp, `ds-${b.algo}`), '--id', b.id, '--into-volume', into]);
      const mem = await watch();
      rows.push({ what: `restore: dockside ${b.algo}`, secs: r.secs, bytes, size: null, mem });
    }
    sync();
    console.error('bench: restic restore');
    const rr = await run('restic', ['restore', '-q', 'latest', '--target', join(tmp, 'restic-restore')], { env: renv });
    rows.push({ what: 'restore: restic', secs: rr.secs, bytes, size: null, mem: null });

    let memRow;
    if (MEMCHECK) {
      console.error(`bench: memory check on a ${fmtMiB(MEMCHECK)} volume`);
      const v2 = `${RUN}-big`;
      const a2 = `${RUN}-bigapp`;
      const b2 = await makeVolume(v2, MEMCHECK);
      docker('run', '-d', '--init', '--name', a2, '--label', LABEL, '-v', `${v2}:/data`, BASE, 'sleep', 'infinity');
      const watch = memWatcher(['--filter', 'label=dockside.role=backup', '--filter', `label=dockside.target.name=${a2}`]);
      const r = await run(process.execPath, [CLI, 'backup', a2, '--to', join(tmp, 'ds-big'), '--compress', 'zstd', '--json']);
      memRow = { what: `backup: dockside zstd, ${fmtMiB(b2)} volume`, secs: r.secs, bytes: b2, size: JSON.parse(r.out).totals.storedBytes, mem: await watch() };
      rmSync(join(tmp, 'ds-big'), { recursive: true, force: true });
    }

    // Report.
    const seedB = rows[0].secs;
    const seedR = rows.find((r) => r.what.startsWith('restore: tar')).secs;
    const table = [['STEP', 'TIME', 'MiB/s', 'vs SEED', 'ARCHIVE', 'PEAK MEM (sidecar)']];
    for (const r of [...rows, ...(memRow ? [memRow] : [])]) {
      const ref = r.what.startsWith('restore') ? seedR : seedB;
      table.push([
        r.what,
        `${r.secs.toFixed(1)}s`,
        (r.bytes / MiB / r.secs).toFixed(1),
        r === memRow ? '-' : `${(ref / r.secs).toFixed(2)}x`,
        r.size == null ? '-' : fmtMiB(r.size),
        r.mem == null ? '-' : fmtMiB(r.mem),
      ]);
    }
    const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    console.log(`\nbackup benchmark: ${fmtMiB(bytes)} volume (${TAG}), ${new Date().toISOString()}`);
    for (const row of table) console.log(row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
    const gz = rows.find((r) => r.what === 'backup: dockside gzip');
    const zs = rows.find((r) => r.what === 'backup: dockside zstd');
    const dr = rows.filter((r) => r.what.startsWith('restore: dockside'));
    console.log('\ntargets:');
    console.log(`  dockside gzip >= 1.0x seed: ${(seedB / gz.secs).toFixed(2)}x ${seedB / gz.secs >= 1 ? 'ok' : 'MISSED'}`);
    console.log(`  dockside zstd >= 2.0x seed: ${(seedB / zs.secs).toFixed(2)}x ${seedB / zs.secs >= 2 ? 'ok' : 'MISSED'}`);
    const peak = Math.max(gz.mem, zs.mem);
    console.log(`  sidecar peak memory < 150 MiB: ${fmtMiB(peak)} ${peak < 150 * MiB ? 'ok' : 'MISSED'}`);
    if (memRow)
      console.log(
        `  same memory (within 10%) at ${fmtMiB(memRow.bytes)}: ${fmtMiB(memRow.mem)} vs ${fmtMiB(zs.mem)} ${Math.abs(memRow.mem - zs.mem) <= 0.1 * zs.mem ? 'ok' : 'MISSED'}`,
      );
    for (const r of dr) console.log(`  ${r.what} >= 1.0x tar -xzf: ${(seedR / r.secs).toFixed(2)}x ${seedR / r.secs >= 1 ? 'ok' : 'MISSED'}`);
    await benchRepository({ tmp, app, mountpoint, bytes, sidecarFilter, sync });
  } finally {
    if (!KEEP) {
      const ids = sh('docker', ['ps', '-aq', '--filter', `label=${LABEL}`])
        .split('\n')
        .filter(Boolean);
      if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
      const vols = sh('docker', ['volume', 'ls', '-q', '--filter', `label=${LABEL}`])
        .split('\n')
        .filter(Boolean);
      const restored = sh('docker', ['volume', 'ls', '-q', '--filter', `name=${RUN}-restore`])
        .split('\n')
        .filter(Boolean);
      if (vols.length + restored.length) spawnSync('docker', ['volume', 'rm', '-f', ...vols, ...restored], { stdio: 'ignore' });
      rmSync(tmp, { recursive: true, force: true });
    } else console.error(`bench: kept ${tmp} and the ${RUN}-* containers/volumes`);
  }
}

/**
 * dockside's repository backups against restic's, on the same volume, each on its own repository:
 * the same three backups (first, nothing changed, 1% changed) and a restore; times, stored bytes,
 * repository size and the sidecar's peak memory, with dockside/restic ratios.
 */
async function benchRepository({ tmp, app, mountpoint, bytes, sidecarFilter, sync }) {
  const pw = join(tmp, 'repo.pw');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(pw, 'bench password\n');
  const dsRepo = join(tmp, 'ds-repo');
  const rsRepo = join(tmp, 'restic-repo');
  const renv = { RESTIC_PASSWORD_FILE: pw, RESTIC_REPOSITORY: rsRepo };
  await run(process.execPath, [CLI, 'repo', 'init', dsRepo, '--password-file', pw]);
  await run('restic', ['init', '-q'], { env: renv });
  const ds = async (label) => {
    sync();
    console.error(`bench: dockside backup to a repository (${label})`);
    const watch = memWatcher(sidecarFilter);
    const r = await run(process.execPath, [CLI, 'backup', app, '--to', dsRepo, '--password-file', pw, '--json']);
    return { secs: r.secs, mem: await watch(), snap: JSON.parse(r.out), size: dirSize(dsRepo) };
  };
  const rs = async (label) => {
    sync();
    console.error(`bench: restic backup (${label})`);
    const before = existsSync(join(rsRepo, 'data')) ? dirSize(rsRepo) : 0;
    const r = await run('restic', ['backup', '-q', '--host', 'bench', mountpoint], { env: renv });
    const size = dirSize(rsRepo);
    return { secs: r.secs, added: size - before, size };
  };
  const d1 = await ds('first');
  const r1 = await rs('first');
  const d2 = await ds('nothing changed');
  const r2 = await rs('nothing changed');
  // 1% of the small files get a line more; 1 MiB in the middle of the first large random file is rewritten.
  docker(
    'exec',
    app,
    'node',
    '-e',
    `
    const fs = require('fs'), path = require('path'), crypto = require('crypto');
    const files = [];
    for (const d of fs.readdirSync('/data/small')) for (const f of fs.readdirSync(path.join('/data/small', d))) files.push(path.join('/data/small', d, f));
    files.sort();
    for (let i = 0; i < files.length; i += 100) fs.appendFileSync(files[i], 'changed ' + i + '\\n');
    const big = '/data/large/random0.bin';
    if (fs.existsSync(big)) { const fd = fs.openSync(big, 'r+'); const size = fs.fstatSync(fd).size; fs.writeSync(fd, crypto.randomBytes(1 << 20), 0, 1 << 20, Math.floor(size / 2)); fs.closeSync(fd); }
  `,
  );
  const d3 = await ds('1% changed');
  const r3 = await rs('1% changed');
  sync();
  console.error('bench: dockside restore from the repository');
  const into = `${RUN}-restore-repo`;
  const watch = memWatcher(sidecarFilter);
  const dr = await run(process.execPath, [CLI, 'restore', app, '--from', dsRepo, '--password-file', pw, '--id', d3.snap.id, '--into-volume', into]);
  const drMem = await watch();
  sync();
  console.error('bench: restic restore');
  const rr = await run('restic', ['restore', '-q', 'latest', '--target', join(tmp, 'restic-repo-restore')], { env: renv });

  const rows = [
    ['first backup (time)', d1.secs, r1.secs, r1.secs / d1.secs, '>= 1.2x restic speed', r1.secs / d1.secs >= 1.2],
    ['second, nothing changed (time)', d2.secs, r2.secs, d2.secs / r2.secs, '<= 0.5x restic time', d2.secs / r2.secs <= 0.5],
    ['third, 1% changed (time)', d3.secs, r3.secs, d3.secs / r3.secs, '<= 0.5x restic time', d3.secs / r3.secs <= 0.5],
    ['third, 1% changed (bytes stored)', d3.snap.storedBytes, r3.added, d3.snap.storedBytes / r3.added, '<= 1.05x restic', d3.snap.storedBytes / r3.added <= 1.05],
    ['restore (time)', dr.secs, rr.secs, rr.secs / dr.secs, '>= 1.0x restic speed', rr.secs / dr.secs >= 1],
    ['repository size after first', d1.size, r1.size, d1.size / r1.size, '<= 1.02x restic', d1.size / r1.size <= 1.02],
  ];
  const peak = Math.max(d1.mem, d2.mem, d3.mem, drMem);
  const fmt = (v, what) => (what.includes('time') ? `${v.toFixed(1)}s` : fmtMiB(v));
  console.log(
    `\nrepository benchmark: ${fmtMiB(bytes)} volume (${TAG}), dockside vs restic ${spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.split(' ')[1]}, ${new Date().toISOString()}`,
  );
  const table = [
    ['STEP', 'DOCKSIDE', 'RESTIC', 'RATIO', 'TARGET', ''],
    ...rows.map(([what, d, r, ratio, target, ok]) => [what, fmt(d, what), fmt(r, what), `${ratio.toFixed(2)}x`, target, ok ? 'ok' : 'MISSED']),
  ];
  table.push(['sidecar peak memory', fmtMiB(peak), '-', '-', '< 200 MiB', peak < 200 * MiB ? 'ok' : 'MISSED']);
  table.push(['files unchanged (2nd / 3rd run)', `${d2.snap.unchangedFiles}/${d2.snap.files} ${d3.snap.unchangedFiles}/${d3.snap.files}`, '-', '-', '', '']);
  const w = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
  for (const row of table) console.log(row.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  '));
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
