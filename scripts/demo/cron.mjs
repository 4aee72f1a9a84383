// Demo step for `npm run demo`: the sample app carries labels for a backup every 10 seconds
// (dockside.cron.backup.schedule / .dockside, set in scripts/demo.mjs); start the scheduler, wait
// for two runs, and show them in `cron ls`, `cron history` and the backups in `backup ls`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const STATE = 'dockside-demo-cron-state';

async function json(ctx, args) {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const cli = join(fileURLToPath(import.meta.url), '..', '..', '..', 'packages', 'cli', 'bin', 'run.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        resolve([]);
      }
    });
  });
}

export default async function demo(ctx) {
  const dest = join(ctx.tmp, 'cron-backups');
  const job = `${ctx.app}/backup`;
  ctx.log(`the scheduler: ${ctx.app} is labelled dockside.cron.backup.schedule="*/10 * * * * *" (a backup to ${dest})`);
  const s = await ctx.cli(['cron', 'start', '--backup-dir', ctx.tmp, '--state-volume', STATE]);
  if (s.code !== 0) throw new Error('cron start failed');
  try {
    await ctx.cli(['cron', 'ls']);
    ctx.log('waiting for two scheduled backups (about 20 s)');
    const end = Date.now() + 60_000;
    for (;;) {
      const runs = await json(ctx, ['cron', 'history', '--job', job, '--json']);
      if (runs.filter((r) => r.status === 'succeeded').length >= 2) break;
      if (runs.some((r) => r.status === 'failed')) throw new Error(`a scheduled backup failed: ${JSON.stringify(runs.find((r) => r.status === 'failed'))}`);
      if (Date.now() > end) throw new Error('no two scheduled backups within 60 s');
      await new Promise((r) => setTimeout(r, 1000));
    }
    await ctx.cli(['cron', 'history', '--job', job]);
    await ctx.cli(['backup', 'ls', '--from', dest]);
  } finally {
    await ctx.cli(['cron', 'stop']);
    spawnSync('docker', ['volume', 'rm', '-f', STATE], { stdio: 'ignore' });
  }
}
