// Demo step for `npm run demo`: the sample app's stdout and the access log it writes into its
// volume shipped to a file sink; the shipper is killed (docker kill) while requests keep coming,
// shipped again, and every line of both is in the file exactly once, in order. About 15 s.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ACCESS_LOG = '/srv/data/logs/access.log';

function shipped(dir, app, stream = 'stdout') {
  const f = join(dir, 'logs.ndjson');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.container === app && r.stream === stream)
    .map((r) => r.message);
}

// Counted as multisets: an app can write the same line twice (same millisecond, same request).
function check(what, want, got) {
  const count = new Map();
  for (const l of want) count.set(l, (count.get(l) ?? 0) + 1);
  let dup = 0;
  for (const l of got) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else dup++;
  }
  let missing = 0;
  for (const n of count.values()) missing += n;
  const inOrder = got.length === want.length && got.every((l, i) => l === want[i]);
  console.log(`${what}: ${want.length} lines written, ${got.length} shipped: ${missing} missing, ${dup} duplicated, ${inOrder ? 'in order' : 'NOT the same sequence'}`);
  return !missing && !dup && inOrder;
}

async function requests(port, n, tag) {
  for (let i = 0; i < n; i++)
    await fetch(`http://127.0.0.1:${port}/?${tag}=${i}`).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
}

export default async function demo(ctx) {
  const dir = join(ctx.tmp, 'shipped');
  const name = 'demo';
  try {
    ctx.log(`logs: ${ctx.app}'s stdout and ${ACCESS_LOG} (in its volume) shipped to file://${dir} (one JSON object per line)`);
    await requests(ctx.port, 50, 'before');
    const args = ['logs', 'ship', ctx.app, '--files', ACCESS_LOG, '--to', `file://${dir}`, '--name', name];
    const r = await ctx.cli(args);
    if (r.code !== 0) throw new Error(`dockside logs ship exited ${r.code}`);
    const load = requests(ctx.port, 400, 'during');
    await sleep(700);
    const id = spawnSync('docker', ['ps', '-q', '--filter', `label=dockside.logship.name=${name}`], { encoding: 'utf8' }).stdout.trim();
    ctx.log(`docker kill ${id} (the shipper) while requests keep coming`);
    spawnSync('docker', ['kill', id], { stdio: 'ignore' });
    await load;
    ctx.log('ship again: it resumes from its checkpoint');
    await ctx.cli(args);
    const want = spawnSync('docker', ['logs', ctx.app], { encoding: 'utf8', maxBuffer: 64 << 20 })
      .stdout.split('\n')
      .filter(Boolean);
    for (let i = 0; i < 100 && (shipped(dir, ctx.app).length < want.length || shipped(dir, ctx.app, ACCESS_LOG).length < want.length); i++) await sleep(200);
    await sleep(1200); // the shipper reports its figures every second
    await ctx.cli(['logs', 'status', '--name', name]);
    const okOut = check('stdout', want, shipped(dir, ctx.app));
    const file = spawnSync('docker', ['exec', ctx.app, 'cat', ACCESS_LOG], { encoding: 'utf8', maxBuffer: 64 << 20 })
      .stdout.split('\n')
      .filter(Boolean);
    const okFile = check(ACCESS_LOG, file, shipped(dir, ctx.app, ACCESS_LOG));
    await ctx.cli(['logs', 'tail', ctx.app, ACCESS_LOG, '-n', '2']);
    console.log(`first shipped record: ${readFileSync(join(dir, 'logs.ndjson'), 'utf8').split('\n')[0]}`);
    if (!okOut || !okFile) throw new Error('the shipper lost or repeated lines');
  } finally {
    await ctx.cli(['logs', 'stop', '--name', name, '--forget']);
  }
}
