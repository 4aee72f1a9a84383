#!/usr/bin/env node
// `npm run demo`: a sample app with a named volume and a listening port, then dockside sidecars
// against it (what they see of its files and network, and each sidecar's own step from
// scripts/demo/<role>.mjs), then everything the demo started is removed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'packages/cli/bin/run.js');
const { version } = (await import(join(root, 'packages/cli/package.json'), { with: { type: 'json' } })).default;
const TAG = process.env.DOCKSIDE_IMAGE_TAG || version;
const APP = 'dockside-demo-app';
const VOLUME = 'dockside-demo-data';
// DOCKSIDE_DEMO_STEPS=backup,repository runs only those steps (the cron step starts a scheduler: one per engine).
const STEPS = process.env.DOCKSIDE_DEMO_STEPS
  ? process.env.DOCKSIDE_DEMO_STEPS.split(',')
  : ['backup', 'repository', 'netdebug', 'metrics', 'logship', 'cron', 'config', 'discovery'];

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const log = (msg) => console.log(`\n${bold(`== ${msg}`)}`);

function docker(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function cli(args) {
  console.log(`$ dockside ${args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
      process.stdout.write(c);
    });
    child.stderr.on('data', (c) => {
      stderr += c;
      process.stderr.write(c);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(args) {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`dockside ${args.join(' ')} exited ${r.code}`);
  return r;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One HTTP GET with a deadline: does the app answer yet? */
function answers(port) {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function cleanup() {
  spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=dockside.target.name=${APP}) ${APP} >/dev/null 2>&1; docker volume rm -f ${VOLUME} >/dev/null 2>&1`]);
}

const SERVER = `
const http = require('http'), fs = require('fs'), path = require('path');
const log = fs.createWriteStream('/srv/data/logs/access.log', { flags: 'a' });
http.createServer((req, res) => {
  const rel = req.url === '/' ? 'index.html' : decodeURIComponent(req.url.split('?')[0]).replace(/^\\/+/, '');
  const file = path.join('/srv/data', path.normalize(rel));
  let body;
  try { body = file.startsWith('/srv/data/') ? fs.readFileSync(file) : null; } catch { body = null; }
  res.statusCode = body ? 200 : 404;
  res.end(body || 'not found\\n');
  const line = new Date().toISOString() + ' ' + req.method + ' ' + req.url + ' ' + res.statusCode + '\\n';
  log.write(line); process.stdout.write(line);
}).listen(8080);
`;

let tmp;
let failed = false;
try {
  cleanup();
  tmp = await mkdtemp(join(tmpdir(), 'dockside-demo-'));
  const port = await freePort();
  log(`a sample app: ${APP}, volume ${VOLUME} at /srv/data, HTTP on 127.0.0.1:${port}`);
  docker('volume', 'create', '--label', 'dockside.demo=true', VOLUME);
  docker(
    'run',
    '--rm',
    '-v',
    `${VOLUME}:/data`,
    `dockside/base:${TAG}`,
    'sh',
    '-c',
    'mkdir -p /data/logs && echo "<h1>hello from the demo app</h1>" > /data/index.html && echo "{\\"feature\\": true}" > /data/config.json',
  );
  // A routine backup every 10 seconds, declared on the app itself (the cron step starts the scheduler).
  const cronLabels = ['--label', 'dockside.cron.backup.schedule=*/10 * * * * *', '--label', `dockside.cron.backup.dockside=backup --to ${join(tmp, 'cron-backups')} --keep-last 5`];
  docker(
    'run',
    '-d',
    '--name',
    APP,
    '--label',
    'dockside.demo=true',
    ...cronLabels,
    '-v',
    `${VOLUME}:/srv/data`,
    '-p',
    `127.0.0.1:${port}:8080`,
    `dockside/base:${TAG}`,
    'node',
    '-e',
    SERVER,
  );
  for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 100));

  log('is this host ready?');
  await must(['doctor']);
  log('each sidecar, joined to the app as it joins for real work, reports what it sees');
  await must(['probe', APP]);
  log("a one-off command in a sidecar that shares the app's volumes");
  await must(['run', APP, '--volumes', '--', 'ls', '-l', '/srv/data']);

  const ctx = { app: APP, volume: VOLUME, port, cli, log, tmp };
  for (const role of STEPS) {
    const file = join(root, 'scripts', 'demo', `${role}.mjs`);
    if (!existsSync(file)) continue;
    const { default: step } = await import(file);
    await step(ctx);
  }

  log('no sidecar is left behind');
  await must(['ps']);
} catch (err) {
  failed = true;
  console.error(`\ndemo failed: ${err.message}`);
} finally {
  cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  const left = docker('ps', '-aq', '--filter', 'label=dockside.demo=true');
  console.log(left ? `\nleft behind: ${left}` : '\ndemo finished; everything it started was removed');
  process.exitCode = failed || left ? 1 : 0;
}
