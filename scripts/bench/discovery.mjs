#!/usr/bin/env node
// Benchmark of the discovery sidecars, on one user-defined bridge network this script creates, with
// a real etcd in a container (Debian's etcd binary) and every load loop bounded in bytes and time:
//   1. ambassador vs a direct connection from the same client container to the same server:
//      throughput (one connection, BENCH_MIB MiB), round-trip latency p50/p99 (2,000 x 64 bytes on
//      one connection), new connections per second (3 s, 16 at a time, one echo each)
//      (goals: >= 0.8x the direct throughput, < 0.2 ms added p50);
//   2. time from a health failure to the key's withdrawal (interval 500 ms), and from the
//      withdrawal to the ambassador sending new connections only to the other instance.
// Usage: npm run bench:discovery   (env: BENCH_MIB=256)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages', 'cli', 'bin', 'run.js');
const { version } = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8'));
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const BASE = `dockside/base:${TAG}`;
const RUN = `bench-${randomBytes(3).toString('hex')}`;
const LABEL = `dockside.bench=${RUN}`;
const MIB = Number(process.env.BENCH_MIB ?? 256);

const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}... failed (${r.status}): ${(r.stderr || '').trim().slice(-400)}`);
  return r.stdout.trim();
};
const docker = (...a) => sh('docker', a);
const cli = (...a) => sh(process.execPath, [CLI, ...a]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
const b64 = (s) => Buffer.from(s).toString('base64');
function etcdKeys(port, prefix) {
  const end = Buffer.from(prefix);
  end[end.length - 1]++;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v3/kv/range', method: 'POST', agent: false }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve((JSON.parse(t).kvs ?? []).map((kv) => JSON.parse(Buffer.from(kv.value, 'base64').toString()))));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ key: b64(prefix), range_end: end.toString('base64') }));
  });
}

// The server: 'T' then it sends MIB MiB and closes; anything else is echoed. /healthz for the register check on 8080.
const SERVER = `const net=require('net'),fs=require('fs'),os=require('os');net.createServer((s)=>{s.once('data',(d)=>{if(d[0]===84){const buf=Buffer.alloc(1<<20,120);let n=${MIB};const go=()=>{while(n>0){n--;if(!s.write(buf))return s.once('drain',go)}s.end()};go()}else{s.write(d);s.pipe(s)}});s.on('error',()=>{})}).listen(9000);require('http').createServer((q,r)=>{if(q.url==='/healthz'){const b=fs.existsSync('/tmp/broken');r.statusCode=b?500:200;return r.end()}r.end(os.hostname())}).listen(8080)`;
// Run in the client container: measures one path (host:port) and prints one JSON line.
const MEASURE = `const net=require('net');const [host,port]=process.argv.slice(1);const P=Number(port);
function thr(){return new Promise((res,rej)=>{const t0=process.hrtime.bigint();let n=0;const s=net.connect(P,host,()=>s.write('T'));s.on('data',(c)=>n+=c.length);s.on('end',()=>res(n/1048576/(Number(process.hrtime.bigint()-t0)/1e9)));s.on('error',rej)})}
function lat(){return new Promise((res,rej)=>{const s=net.connect(P,host);const out=[];let t0;const msg=Buffer.alloc(64,97);let got=0;s.on('connect',()=>{t0=process.hrtime.bigint();s.write(msg)});s.on('data',(c)=>{got+=c.length;if(got<64)return;got=0;const t=process.hrtime.bigint();out.push(Number(t-t0)/1e6);if(out.length>=2000){s.destroy();out.sort((a,b)=>a-b);return res({p50:out[1000],p99:out[1980]})}t0=process.hrtime.bigint();s.write(msg)});s.on('error',rej)})}
function cps(){return new Promise((res)=>{const end=Date.now()+3000;let done=0,fail=0;let live=0;const one=()=>{if(Date.now()>end){if(--live===0)res({cps:done/3,fail});return}const s=net.connect(P,host,()=>s.write('x'));s.once('data',()=>{done++;s.destroy();one()});s.on('error',()=>{fail++;one()})};for(let i=0;i<16;i++){live++;one()}})}
(async()=>{const t=await thr();const l=await lat();const c=await cps();console.log(JSON.stringify({mibps:t,...l,...c}))})()`;
// Run in the client: a GET through the ambassador every 10 ms for 6 s; prints time and who answered.
const WATCH = `const http=require('http');const end=Date.now()+6000;(function go(){if(Date.now()>end)return;const t=Date.now();http.get({host:'127.0.0.1',port:7001,path:'/',agent:false},(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>{console.log(t+' '+b);setTimeout(go,10)})}).on('error',()=>{console.log(t+' ERR');setTimeout(go,10)})})()`;

const etcdPort = await freePort();
const net = `${RUN}-net`;
const made = [];
const run = (name, args) => {
  docker('run', '-d', '--name', `${RUN}-${name}`, '--label', LABEL, ...args);
  made.push(`${RUN}-${name}`);
  return `${RUN}-${name}`;
};
try {
  docker('network', 'create', '--label', LABEL, net);
  const etcd = run('etcd', [
    '--network',
    net,
    '-p',
    `127.0.0.1:${etcdPort}:2379`,
    '-v',
    '/usr/bin/etcd:/usr/local/bin/etcd:ro',
    '--tmpfs',
    '/var/lib/etcd',
    BASE,
    'etcd',
    '--data-dir',
    '/var/lib/etcd',
    '--listen-client-urls',
    'http://0.0.0.0:2379',
    '--advertise-client-urls',
    'http://127.0.0.1:2379',
  ]);
  const reg = `etcd://${etcd}:2379/bench`;
  const srvA = run('srv-a', ['--network', net, '--hostname', 'srv-a', BASE, 'node', '-e', SERVER]);
  const srvB = run('srv-b', ['--network', net, '--hostname', 'srv-b', BASE, 'node', '-e', SERVER]);
  const client = run('client', ['--network', net, BASE, 'sleep', '900']);
  await sleep(1500);
  cli('register', srvA, '--service', 'blast', '--port', '9000', '--check', 'tcp', '--to', reg);
  cli('ambassador', client, '--listen', '7000', '--upstream', 'blast', '--from', reg);
  const ipA = docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, srvA);
  const measure = (host, port) => JSON.parse(docker('exec', client, 'node', '-e', MEASURE, host, String(port)));
  const direct = measure(ipA, 9000);
  const amb = measure('127.0.0.1', 7000);
  const f = (x, d = 2) => x.toFixed(d);
  console.log('| | direct (same bridge) | through the ambassador | ratio / added |');
  console.log('|---|---|---|---|');
  console.log(`| throughput, one connection, ${MIB} MiB | ${f(direct.mibps, 0)} MiB/s | ${f(amb.mibps, 0)} MiB/s | ${f(amb.mibps / direct.mibps)}x (goal >= 0.8x) |`);
  console.log(
    `| round trip p50 / p99, 64 B | ${f(direct.p50, 3)} / ${f(direct.p99, 3)} ms | ${f(amb.p50, 3)} / ${f(amb.p99, 3)} ms | +${f(amb.p50 - direct.p50, 3)} ms p50 (goal < 0.2 ms) |`,
  );
  console.log(`| new connections/s, 16 at a time | ${f(direct.cps, 0)} (${direct.fail} failed) | ${f(amb.cps, 0)} (${amb.fail} failed) | ${f(amb.cps / direct.cps)}x |`);

  // 2. failure -> withdrawal -> the ambassador moves new connections.
  for (const s of [srvA, srvB]) cli('register', s, '--service', 'web', '--port', '8080', '--check', 'http:/healthz', '--interval', '500ms', '--ttl', '2s', '--to', reg);
  cli('ambassador', client, '--listen', '7001', '--upstream', 'web', '--from', reg, '--refresh', '250ms', '--metrics-port', '9326');
  const lines = [];
  const watching = new Promise((resolve) => {
    const p = spawn('docker', ['exec', client, 'node', '-e', WATCH], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (c) => lines.push(c.toString()));
    p.on('close', resolve);
  });
  await sleep(2000);
  docker('exec', srvA, 'touch', '/tmp/broken');
  const broke = Date.now();
  let withdrawn = 0;
  while (Date.now() - broke < 5000) {
    if (!(await etcdKeys(etcdPort, '/bench/web/')).some((i) => i.containerName === srvA)) {
      withdrawn = Date.now();
      break;
    }
    await sleep(10);
  }
  await watching;
  const rows = lines
    .join('')
    .trim()
    .split('\n')
    .map((l) => {
      const [t, who] = l.split(' ');
      return { t: Number(t), who };
    });
  const lastA =
    rows
      .filter((r) => r.who === 'srv-a')
      .map((r) => r.t)
      .pop() ?? 0;
  console.log('');
  console.log(`health failure -> key withdrawn: ${withdrawn ? `${withdrawn - broke} ms` : 'not within 5 s'} (check interval 500 ms)`);
  console.log(
    `withdrawn -> last new connection to the withdrawn instance: ${withdrawn ? `${lastA - withdrawn} ms` : '-'} (ambassador refresh 250 ms; ${rows.filter((r) => r.who === 'ERR').length} of ${rows.length} requests failed)`,
  );
} finally {
  // Only this run's sidecars (and their api-proxies): those whose target is one of its containers.
  for (const c of made) {
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=dockside.target.name=${c}`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  }
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  spawnSync('docker', ['network', 'rm', net], { stdio: 'ignore' });
}
