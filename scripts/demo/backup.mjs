// Demo step for `npm run demo`: back up the sample app's volume to a local directory, damage a
// file, restore it, and show that it is back (over HTTP, as a visitor would see it).
import { join } from 'node:path';

async function page(port) {
  const res = await fetch(`http://127.0.0.1:${port}/index.html`);
  return { status: res.status, body: await res.text() };
}

export default async function demo(ctx) {
  const dir = join(ctx.tmp, 'backups');
  const before = await page(ctx.port);
  ctx.log(`index.html is served (${before.status}, ${before.body.length} bytes); backing up volume ${ctx.volume} of ${ctx.app} to ${dir}`);
  const b = await ctx.cli(['backup', ctx.app, '--to', dir]);
  if (b.code !== 0) throw new Error('backup failed');
  await ctx.cli(['backup', 'ls', '--from', dir]);
  await ctx.cli(['backup', 'verify', '--from', dir, '--id', 'latest']);

  ctx.log('damaging index.html inside the app container');
  const { execFileSync } = await import('node:child_process');
  execFileSync('docker', ['exec', ctx.app, 'sh', '-c', 'echo "<h1>defaced</h1>" > /srv/data/index.html']);
  const damaged = await page(ctx.port);
  ctx.log(`the app now serves: ${damaged.body.trim().slice(0, 60)}`);

  const r = await ctx.cli(['restore', ctx.app, '--from', dir, '--yes']);
  if (r.code !== 0) throw new Error('restore failed');
  // The app was stopped for the restore and started again; wait until it answers.
  let after;
  for (let i = 0; i < 50; i++) {
    try {
      after = await page(ctx.port);
      break;
    } catch {
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  if (!after || after.body !== before.body) throw new Error('index.html did not come back');
  ctx.log(`index.html is back: ${after.status}, ${after.body.length} bytes, identical to before the damage`);
}
