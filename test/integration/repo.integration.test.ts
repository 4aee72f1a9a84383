/**
 * `dockside repo init | key add | key list | key remove` through the real CLI, checked with the
 * real restic 0.14: restic opens what dockside made, with either password; bad input is one line
 * and exit 2. No engine needed: these commands run on the host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../support/engine.js';

function restic(repo: string, pwFile: string, ...args: string[]) {
  const r = spawnSync('restic', ['-r', repo, '--no-cache', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', RESTIC_PASSWORD_FILE: pwFile },
  });
  if (r.error) throw new Error('this test needs the restic binary (Debian: apt-get install restic; scripts/setup.sh installs it)');
  return r;
}

describe('dockside repo', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dockside-repo-cli-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const repo = join(work, 'repo');
  const pw1 = join(work, 'pw1');
  const pw2 = join(work, 'pw2');
  writeFileSync(pw1, 'first password\n'); // a final newline, as editors write it: restic ignores it too
  writeFileSync(pw2, 'second password');
  const noPw = { DOCKSIDE_REPO_PASSWORD_FILE: '', RESTIC_PASSWORD_FILE: '', RESTIC_PASSWORD: '' };

  test('init makes a repository restic opens and checks', async () => {
    const r = await runCli(['repo', 'init', repo, '--password-file', pw1, '--json'], { env: noPw });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { version: number; keyId: string; id: string };
    assert.equal(out.version, 2);
    const check = restic(repo, pw1, 'check');
    assert.equal(check.status, 0, check.stderr);
    assert.match(restic(repo, pw1, 'cat', 'config').stdout, new RegExp(`"id": "${out.id}"`));
  });

  test('key add, list (the current one marked), remove; restic agrees at each step', async () => {
    const add = await runCli(['repo', 'key', 'add', repo, '--new-password-file', pw2, '--json'], { env: { ...noPw, RESTIC_PASSWORD_FILE: pw1 } });
    assert.equal(add.code, 0, add.stderr);
    const { keyId } = JSON.parse(add.stdout) as { keyId: string };
    assert.equal(restic(repo, pw2, 'snapshots').status, 0, 'restic opens with the second password');
    const list = await runCli(['repo', 'key', 'list', repo, '--json'], { env: { ...noPw, DOCKSIDE_REPO_PASSWORD_FILE: pw2 } });
    assert.equal(list.code, 0, list.stderr);
    const keys = JSON.parse(list.stdout) as Array<{ id: string; current: boolean }>;
    assert.equal(keys.length, 2);
    assert.deepEqual(
      keys.filter((k) => k.current).map((k) => k.id),
      [keyId],
    );
    const self = await runCli(['repo', 'key', 'remove', repo, keyId.slice(0, 8)], { env: { ...noPw, RESTIC_PASSWORD: 'second password' } });
    assert.equal(self.code, 2);
    assert.match(self.stderr, /is the one this password opened/);
    const rm = await runCli(['repo', 'key', 'remove', repo, keyId.slice(0, 8), '--password-file', pw1], { env: noPw });
    assert.equal(rm.code, 0, rm.stderr);
    assert.notEqual(restic(repo, pw2, 'snapshots').status, 0, 'the removed password no longer opens it');
  });

  test('bad input: one line and exit 2', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [['repo', 'key', 'list', repo], { ...noPw, RESTIC_PASSWORD: 'wrong' }, /wrong password for the repository/],
      [['repo', 'key', 'list', repo], noPw, /no repository password given/],
      [['repo', 'key', 'list', join(work, 'nothing')], { ...noPw, RESTIC_PASSWORD_FILE: pw1 }, /is not a repository/],
      [['repo', 'init', repo, '--password-file', pw1], noPw, /already holds a repository/],
      [['repo', 'init', join(work, 'x'), '--password-file', join(work, 'missing')], noPw, /cannot read the password file/],
    ];
    for (const [args, env, message] of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split('\n').filter((l) => l && !l.startsWith('  hint:')).length, 1, r.stderr);
    }
  });
});
