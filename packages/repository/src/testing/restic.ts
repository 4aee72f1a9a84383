/**
 * Test support: the real restic binary (Debian's restic 0.14, installed by scripts/setup.sh) as an
 * independent reader and writer. A missing binary fails the test with a clear message: never a skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ResticRun {
  status: number;
  stdout: string;
  stderr: string;
}

let checked = false;
function requireRestic(): void {
  if (checked) return;
  const r = spawnSync('restic', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('these tests need the restic binary (Debian: apt-get install restic, or run scripts/setup.sh without DOCKSIDE_SKIP_PEERS)');
  checked = true;
}

/** A password file in `dir` (the test's own work directory, removed with it). */
export function passwordFile(dir: string, password: string): string {
  const d = mkdtempSync(join(dir, 'pw-'));
  const f = join(d, 'pw');
  writeFileSync(f, password, { mode: 0o600 });
  return f;
}

/** Run restic against `repo` with RESTIC_PASSWORD_FILE; throws with its output on a non-zero exit unless `allowFail`. */
export function restic(repo: string, pwFile: string, args: string[], opts: { allowFail?: boolean; cwd?: string } = {}): ResticRun {
  requireRestic();
  const r = spawnSync('restic', ['-r', repo, '--no-cache', ...args], {
    encoding: 'utf8',
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', RESTIC_PASSWORD_FILE: pwFile, TZ: 'UTC' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (!opts.allowFail && out.status !== 0) throw new Error(`restic ${args.join(' ')} exited ${out.status}:\n${out.stderr}${out.stdout}`);
  return out;
}
