/**
 * One backup side by side with restic 0.14 on the same files (first run, then nothing changed),
 * and a restore each:  node --conditions=@dockside/source --import tsx packages/repository/bench/backup.ts [MiB]
 * Data: half random, half text, in files of 64 KiB to 8 MiB under /tmp. Noisy on a shared machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Archiver } from '../src/archiver.js';
import { DirBackend } from '../src/dir-backend.js';
import { Repository } from '../src/repository.js';
import { Restorer } from '../src/restorer.js';
import { seededBytes } from '../src/testing/fixture.js';
import { testFsx } from '../src/testing/fsx.js';

const mib = Number(process.argv[2] ?? 256);
const work = mkdtempSync(join(tmpdir(), 'dockside-repo-bench-'));
const src = join(work, 'src');
let total = 0;
for (let i = 0; total < mib * 1024 * 1024; i++) {
  const size = 64 * 1024 * 2 ** (i % 8);
  mkdirSync(join(src, `d${i % 10}`), { recursive: true });
  const body = i % 2 ? seededBytes(`f${i}`, size) : Buffer.from(`line ${i} of some text, fairly compressible\n`.repeat(size / 40)).subarray(0, size);
  writeFileSync(join(src, `d${i % 10}`, `f${i}`), body);
  total += size;
}
const pw = join(work, 'pw');
writeFileSync(pw, 'pw');
const fsx = testFsx();
const time = async (name: string, f: () => unknown) => {
  const t = Date.now();
  await f();
  const s = (Date.now() - t) / 1000;
  console.log(`${name.padEnd(36)} ${s.toFixed(2).padStart(6)} s  ${(total / 1024 / 1024 / s).toFixed(0).padStart(5)} MiB/s`);
};
const restic = (...args: string[]) => {
  const r = spawnSync('restic', ['--no-cache', '-q', ...args], { env: { ...process.env, RESTIC_PASSWORD_FILE: pw }, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`restic ${args.join(' ')} failed`);
};
console.log(`${(total / 1024 / 1024).toFixed(0)} MiB in ${src}`);
const repo = await Repository.init(new DirBackend(join(work, 'ours')), 'pw');
await time('dockside first backup', () => Archiver.backup(repo, { roots: [{ source: src, path: src }], hostname: 'b', fsx }));
await time('dockside second backup (unchanged)', async () =>
  Archiver.backup(await Repository.open(new DirBackend(join(work, 'ours')), 'pw'), { roots: [{ source: src, path: src }], hostname: 'b', fsx }),
);
await time('dockside restore', () => Restorer.restore(repo, 'latest', join(work, 'restore-ours'), { fsx }));
restic('init', '-r', join(work, 'theirs'));
await time('restic first backup', () => restic('-r', join(work, 'theirs'), 'backup', '--host', 'b', src));
await time('restic second backup (unchanged)', () => restic('-r', join(work, 'theirs'), 'backup', '--host', 'b', src));
await time('restic restore', () => restic('-r', join(work, 'theirs'), 'restore', 'latest', '--target', join(work, 'restore-theirs')));
const du = (p: string) => spawnSync('du', ['-sm', p], { encoding: 'utf8' }).stdout.split('\t')[0];
console.log(`repository size: dockside ${du(join(work, 'ours'))} MiB, restic ${du(join(work, 'theirs'))} MiB`);
rmSync(work, { recursive: true, force: true });
