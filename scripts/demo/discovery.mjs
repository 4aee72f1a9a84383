// Demo step for `npm run demo`: service discovery without touching the images. Two instances of a
// "web" service register themselves (a register sidecar each, checking them from inside their
// network namespace) in a dns: registry (a hosts directory, as dnsmasq's --hostsdir reads it); a
// client gets an ambassador on localhost:7000 and a watch that rewrites /tmp/upstreams in it when
// the healthy set changes. One instance is stopped: it is withdrawn, the watch runs, and the
// client's requests all go to the other. About 20 s.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const NET = 'dockside-demo-disc';
const NAMES = ['dockside-demo-web-a', 'dockside-demo-web-b', 'dockside-demo-client'];

function docker(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

const server = (who) => `require('http').createServer((q, s) => s.end('hello from ${who}\\n')).listen(8080)`;
const GET =
  "const h=require('http');let n=0,out={};(function go(){h.get('http://127.0.0.1:7000/',(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>{out[b.trim()]=(out[b.trim()]||0)+1;if(++n<20)go();else console.log(JSON.stringify(out))})}).on('error',(e)=>{console.log('error '+e.message)})})()";

function cleanup() {
  spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=dockside.demo.discovery=true) >/dev/null 2>&1; docker network rm ${NET} >/dev/null 2>&1`]);
  for (const n of NAMES) spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=dockside.target.name=${n}) >/dev/null 2>&1`]);
}

async function must(ctx, args) {
  const r = await ctx.cli(args);
  if (r.code !== 0) throw new Error(`dockside ${args.join(' ')} exited ${r.code}`);
  return r;
}

async function until(what, test, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export default async function demo(ctx) {
  const tag = process.env.DOCKSIDE_IMAGE_TAG || (await import('../../packages/cli/package.json', { with: { type: 'json' } })).default.version;
  const base = `dockside/base:${tag}`;
  const hosts = join(ctx.tmp, 'hosts');
  mkdirSync(hosts, { recursive: true });
  const registry = `dns:${hosts}`;
  cleanup();
  try {
    ctx.log('discovery: two instances of "web" register themselves; a client reaches them through an ambassador on its localhost');
    docker('network', 'create', '--label', 'dockside.demo.discovery=true', NET);
    const [a, b, client] = NAMES;
    for (const [name, who] of [
      [a, 'a'],
      [b, 'b'],
    ])
      docker('run', '-d', '--name', name, '--label', 'dockside.demo.discovery=true', '--network', NET, base, 'node', '-e', server(who));
    docker('run', '-d', '--name', client, '--label', 'dockside.demo.discovery=true', '--network', NET, base, 'sleep', '600');
    for (const name of [a, b])
      await must(ctx, ['register', name, '--service', 'web', '--port', '8080', '--check', 'http:/', '--interval', '500ms', '--ttl', '2s', '--to', registry]);
    await must(ctx, ['ambassador', client, '--listen', '7000', '--upstream', 'web', '--from', registry, '--refresh', '250ms', '--metrics-port', '0']);
    await must(ctx, ['watch', client, '--upstream', 'web', '--from', registry, '--debounce', '500ms', '--exec', `sh -c 'echo "$DOCKSIDE_UPSTREAMS" > /tmp/upstreams'`]);
    ctx.log('20 requests from the client to localhost:7000, spread over both instances');
    console.log(docker('exec', client, 'node', '-e', GET));

    ctx.log(`docker stop ${a}: its register sidecar withdraws it first; the watch runs in the client, the ambassador moves on`);
    docker('stop', '-t', '2', a);
    const upstreams = () => spawnSync('docker', ['exec', client, 'cat', '/tmp/upstreams'], { encoding: 'utf8' }).stdout.trim();
    await until('the watch to run in the client', () => upstreams() !== '');
    console.log(`/tmp/upstreams in the client: ${upstreams()}`);
    const after = docker('exec', client, 'node', '-e', GET);
    console.log(after);
    if (!/^\{"hello from b":20\}$/.test(after)) throw new Error(`after the stop, expected every request to reach b: ${after}`);
    await must(ctx, ['watch', 'ls']);
    await must(ctx, ['ambassador', 'ls']);
    for (const topic of ['watch', 'ambassador', 'register']) await must(ctx, [topic, 'stop', '--all']);
  } finally {
    cleanup();
  }
}
