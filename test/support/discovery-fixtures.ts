/**
 * Fixtures of the discovery tests: a user-defined network the test creates, a real etcd (Debian's
 * etcd-server binary, bind-mounted into the dockside base image) in a container on it with its
 * client port published on 127.0.0.1, a real dnsmasq on the host's loopback reading a hosts
 * directory, and small HTTP apps whose /healthz a test breaks and fixes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { IMAGE_TAG, RUN_ID, RUN_LABEL, docker, startFixture, waitFor } from './engine.js';

export const BASE = `dockside/base:${IMAGE_TAG}`;
const ETCD_BIN = '/usr/bin/etcd';

export function createNetwork(name: string): string {
  const full = `dstest-${RUN_ID}-${name}`;
  docker('network', 'create', '--label', `${RUN_LABEL}=${RUN_ID}`, full);
  return full;
}

export function removeNetwork(full: string): void {
  spawnSync('docker', ['network', 'rm', full], { stdio: 'ignore' });
}

/** etcd in a container on `network`; resolves with its name (its address on the network) and its published loopback port. */
export async function startEtcd(network: string, hostPort: number): Promise<{ name: string; port: number }> {
  if (!existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} is missing: install Debian's etcd-server (bash scripts/setup.sh does)`);
  const name = startFixture('etcd', [
    '--network',
    network,
    '-p',
    `127.0.0.1:${hostPort}:2379`,
    '-v',
    `${ETCD_BIN}:/usr/local/bin/etcd:ro`,
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
  await waitFor(
    async () =>
      etcdPost(hostPort, '/v3/kv/range', { key: b64('x') }).then(
        () => true,
        () => false,
      ),
    'etcd to answer',
    20_000,
    200,
  );
  return { name, port: hostPort };
}

export const b64 = (s: string) => Buffer.from(s).toString('base64');

export function etcdPost<T = Record<string, unknown>>(port: number, path: string, body: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, timeout: 3000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => ((res.statusCode ?? 500) >= 400 ? reject(new Error(`${path}: ${res.statusCode} ${text}`)) : resolve(JSON.parse(text || '{}') as T)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Every key under `prefix` with its value (JSON parsed) and lease. */
export async function etcdEntries(port: number, prefix: string): Promise<Array<{ key: string; value: Record<string, unknown>; lease: string }>> {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] as number) + 1;
  const a = await etcdPost<{ kvs?: Array<{ key: string; value: string; lease?: string }> }>(port, '/v3/kv/range', { key: b64(prefix), range_end: end.toString('base64') });
  return (a.kvs ?? []).map((kv) => ({
    key: Buffer.from(kv.key, 'base64').toString(),
    value: JSON.parse(Buffer.from(kv.value, 'base64').toString()) as Record<string, unknown>,
    lease: kv.lease ?? '0',
  }));
}

/** A small HTTP app: /healthz answers 200, or 500 while /tmp/broken exists; SIGTERM ends it after `termDelayMs`; `hello from <name>` on /. */
export function startApp(name: string, network: string, opts: { port?: number; termDelayMs?: number; labels?: Record<string, string> } = {}): string {
  // Its hostname is `name`: it answers "hello from <name>".
  const port = opts.port ?? 8080;
  const script = `const fs=require('fs'),os=require('os');require('http').createServer((q,s)=>{if(q.url==='/healthz'){const b=fs.existsSync('/tmp/broken');s.statusCode=b?500:200;return s.end(b?'broken':'ok')}s.end('hello from '+os.hostname()+'\\n')}).listen(${port});process.on('SIGTERM',()=>setTimeout(()=>process.exit(0),${opts.termDelayMs ?? 0}))`;
  const labels = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return startFixture(name, ['--network', network, '--hostname', name, ...labels, BASE, 'node', '-e', script]);
}

export function appAddress(container: string, network: string): string {
  return docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

/** dnsmasq on 127.0.0.1:<port>, answering only from the hosts files in `dir` (no upstream, no /etc/hosts). */
export async function startDnsmasq(dir: string, port: number): Promise<ChildProcess> {
  const p = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      `--hostsdir=${dir}`,
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--user=root',
      '--pid-file=',
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise((r) => setTimeout(r, 400));
  if (p.exitCode !== null) throw new Error(`dnsmasq exited: ${err.trim()} (install Debian's dnsmasq: bash scripts/setup.sh does)`);
  return p;
}
