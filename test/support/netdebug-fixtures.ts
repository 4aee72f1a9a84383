/**
 * Fixtures for the netdebug integration tests and benchmark: a test network, a DNS resolver
 * (Debian's dnsmasq in an image built FROM the dockside base), an HTTP app that resolves names
 * through it, a FROM scratch target (one static busybox), and tshark as the independent reader.
 * Everything carries the run label; the network is removed by removeNetwork().
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, IMAGE_TAG, RUN_ID, RUN_LABEL, docker } from './engine.js';

/** Build a fixture image from a Dockerfile text (classic builder), once per tag. */
export function fixtureImage(name: string, dockerfile: string): string {
  const ref = `dstest/${name}:${IMAGE_TAG}`;
  const have = spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' });
  if (have.status === 0) return ref;
  const dir = mkdtempSync(join(tmpdir(), 'dstest-img-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    const r = spawnSync('docker', ['build', '-q', '--build-arg', `BASE=dockside/base:${IMAGE_TAG}`, '-t', ref, dir], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`building ${ref} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ref;
}

export function dnsmasqImage(): string {
  return fixtureImage(
    'dnsmasq',
    `ARG BASE
FROM \${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dnsmasq-base && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--user=root", "--local=/test/", "--log-queries"]
`,
  );
}

export function scratchBusyboxImage(): string {
  return fixtureImage(
    'busybox-scratch',
    `ARG BASE
FROM \${BASE} AS get
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends busybox-static && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /out/www && echo scratch-ok > /out/www/index.html && cp /bin/busybox /out/busybox
FROM scratch
COPY --from=get /out/ /
ENTRYPOINT ["/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
`,
  );
}

/** An HTTP server on 8080: / -> 200, /resolve?name=N -> 200 with N's A records (502 if none), else 404. */
export const APP_SCRIPT = `
const http = require('http');
const { Resolver } = require('dns').promises;
const r = new Resolver({ timeout: 2000, tries: 1 });
if (process.env.DNS_IP) r.setServers([process.env.DNS_IP]);
http.createServer(async (q, s) => {
  const u = new URL(q.url, 'http://x');
  if (u.pathname === '/') return s.end('ok\\n');
  if (u.pathname === '/resolve') {
    try { s.end((await r.resolve4(u.searchParams.get('name'))).join(',')); }
    catch (e) { s.statusCode = 502; s.end(String(e.code)); }
    return;
  }
  s.statusCode = 404; s.end('no\\n');
}).listen(8080, () => console.log('listening'));
`;

export function createNetwork(name: string): string {
  const full = `dstest-${RUN_ID}-${name}`;
  docker('network', 'create', '--label', `${RUN_LABEL}=${RUN_ID}`, full);
  return full;
}

export function removeNetwork(name: string): void {
  spawnSync('docker', ['network', 'rm', name], { stdio: 'ignore' });
}

export function containerIp(name: string): string {
  return docker('inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', name).trim().split(' ')[0] ?? '';
}

/** tshark on a file; stdout. */
export function tshark(...args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface TsharkConversation {
  a: string;
  b: string;
  frames: number;
  bytes: number;
}

/** Parse `tshark -q -z conv,tcp` (or udp) output. */
export function tsharkConversations(file: string, proto = 'tcp'): TsharkConversation[] {
  const out = tshark('-r', file, '-q', '-z', `conv,${proto}`);
  const rows: TsharkConversation[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d,]+) bytes\s+(\d+)\s+([\d,]+) bytes\s+(\d+)\s+([\d,]+) bytes/.exec(line.replace(/(\d) (kB|MB|bytes)/g, '$1 $2'));
    if (!m) continue;
    rows.push({ a: m[1] as string, b: m[2] as string, frames: Number(m[7]), bytes: Number((m[8] as string).replace(/,/g, '')) });
  }
  return rows;
}

/** Run the CLI and collect stdout as bytes. */
export function runCliBinary(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end();
  });
}

/** Sidecars dockside left for a target (should be none after any command ends). */
export function sidecarsFor(target: string): string[] {
  return docker('ps', '-aq', '--filter', `label=dockside.target.name=${target}`).split('\n').filter(Boolean);
}
