// Demo step for `npm run demo`: the sample app's volume backed up twice into a repository in
// restic's format (the second run incremental: nothing read again), then restic itself checks the
// repository (`check --read-data`) and restores the latest snapshot, and the restored page is
// compared with the one the app serves.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function restic(repo, pw, ...args) {
  console.log(`$ restic -r ${repo} ${args.join(' ')}`);
  const r = spawnSync('restic', ['-r', repo, '--no-cache', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', RESTIC_PASSWORD_FILE: pw },
  });
  if (r.error) throw new Error('this step needs restic (scripts/setup.sh installs it)');
  process.stdout.write(r.stdout);
  if (r.status !== 0) throw new Error(`restic ${args[0]} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export default async function demo(ctx) {
  const repo = join(ctx.tmp, 'repo');
  const pw = join(ctx.tmp, 'repo.pw');
  writeFileSync(pw, 'demo password\n', { mode: 0o600 });
  ctx.log(`a repository in restic's format at ${repo}; two backups of ${ctx.app}, the second one incremental`);
  if ((await ctx.cli(['repo', 'init', repo, '--password-file', pw])).code !== 0) throw new Error('repo init failed');
  const first = await ctx.cli(['backup', ctx.app, '--to', repo, '--password-file', pw, '--json']);
  if (first.code !== 0) throw new Error('first backup failed');
  execFileSync('docker', ['exec', ctx.app, 'sh', '-c', 'echo "{\\"feature\\": false}" > /srv/data/config.json']);
  const second = await ctx.cli(['backup', ctx.app, '--to', repo, '--password-file', pw, '--json']);
  if (second.code !== 0) throw new Error('second backup failed');
  const s = JSON.parse(second.stdout);
  ctx.log(`second snapshot ${s.id.slice(0, 8)}: parent ${s.parent?.slice(0, 8)}, ${s.unchangedFiles} of ${s.files} files unchanged (not read again), ${s.readBytes} bytes read`);
  if (!s.parent || s.unchangedFiles < 1) throw new Error('the second backup was not incremental');
  await ctx.cli(['backup', 'ls', '--from', repo, '--password-file', pw]);

  ctx.log('restic itself checks every byte of it and restores the latest snapshot');
  restic(repo, pw, 'check', '--read-data');
  const out = join(ctx.tmp, 'restic-restore');
  restic(repo, pw, 'restore', 'latest', '--target', out);
  const page = readFileSync(join(out, 'srv/data/index.html'), 'utf8');
  const served = await (await fetch(`http://127.0.0.1:${ctx.port}/index.html`)).text();
  if (page !== served) throw new Error('restic restored a different index.html');
  ctx.log(`restic restored srv/data/index.html: identical to what the app serves (${page.length} bytes)`);
}
