/** What the log shipper's integration tests share: reading the file sink, the app's own log as the oracle. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export interface Shipped {
  time: string;
  container: string;
  container_id: string;
  stream: string;
  message: string;
  truncated?: boolean;
}

export function readShipped(dir: string): Shipped[] {
  const f = join(dir, 'logs.ndjson');
  if (!existsSync(f)) return [];
  const text = readFileSync(f, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline (a torn tail would show here as a parse failure below)
  return lines.map((l) => JSON.parse(l) as Shipped);
}

export function messages(all: Shipped[], container: string, stream: string): string[] {
  return all.filter((r) => r.container === container && r.stream === stream).map((r) => r.message);
}

/** What Docker itself holds for a container, per stream (the oracle). */
export function dockerLogs(container: string): { stdout: string[]; stderr: string[] } {
  const r = spawnSync('docker', ['logs', container], { maxBuffer: 512 * 1024 * 1024 });
  const split = (b: Buffer) => {
    const s = b.toString('utf8').split('\n');
    s.pop();
    return s;
  };
  return { stdout: split(r.stdout), stderr: split(r.stderr) };
}

/** A node one-liner (the base image has node) printing `seq N` lines at about `perSecond`, every 10th also `err N` on stderr, then idling. */
export function numberedLinesCmd(total: number, perSecond: number): string[] {
  const perTick = Math.max(1, Math.round(perSecond / 100));
  const js = `let i=0;const t=setInterval(()=>{for(let k=0;k<${perTick}&&i<${total};k++){i++;process.stdout.write('seq '+i+'\\n');if(i%10===0)process.stderr.write('err '+i+'\\n')}if(i>=${total}){clearInterval(t);setInterval(()=>{},1e9)}},10)`;
  return ['node', '-e', js];
}

export function expectedSeq(total: number): { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  for (let i = 1; i <= total; i++) {
    stdout.push(`seq ${i}`);
    if (i % 10 === 0) stderr.push(`err ${i}`);
  }
  return { stdout, stderr };
}

/** First difference between two lists, for a readable failure. */
export function firstDiff(a: string[], b: string[]): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++)
    if (a[i] !== b[i]) return `at #${i}: got ${JSON.stringify(a[i]?.slice(0, 80))}, want ${JSON.stringify(b[i]?.slice(0, 80))} (got ${a.length}, want ${b.length})`;
  return 'none';
}

/** `seq N` padded with dots to `width` characters, at about `perSecond` lines/s on stdout, then idling. */
export function wideLinesCmd(total: number, perSecond: number, width: number): string[] {
  const js = `const R=${perSecond},T=${total},W=${width};const t0=Date.now();let i=0;const t=setInterval(()=>{const due=Math.min(T,Math.floor((Date.now()-t0)*R/1000));const b=[];while(i<due){i++;b.push(('seq '+i+' ').padEnd(W,'.'))}if(b.length)process.stdout.write(b.join('\\n')+'\\n');if(i>=T){clearInterval(t);setInterval(()=>{},1e9)}},10)`;
  return ['node', '-e', js];
}

export function expectedWide(total: number, width: number): string[] {
  return Array.from({ length: total }, (_, k) => `seq ${k + 1} `.padEnd(width, '.'));
}

/**
 * A container's working set in bytes, read from the host: cgroup v1 (`memory.usage_in_bytes` minus
 * `total_inactive_file`) or v2 (`memory.current` minus `inactive_file`), else `docker stats --no-stream`.
 */
export function containerWorkingSet(id: string): number {
  const dirs = [
    [`/sys/fs/cgroup/memory/docker/${id}`, 'memory.usage_in_bytes', 'total_inactive_file'],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope`, 'memory.current', 'inactive_file'],
    [`/sys/fs/cgroup/docker/${id}`, 'memory.current', 'inactive_file'],
  ] as const;
  for (const [dir, usageFile, inactiveKey] of dirs) {
    if (!existsSync(join(dir, usageFile))) continue;
    const usage = Number(readFileSync(join(dir, usageFile), 'utf8'));
    const m = new RegExp(`^${inactiveKey} (\\d+)$`, 'm').exec(readFileSync(join(dir, 'memory.stat'), 'utf8'));
    return usage - (m ? Number(m[1]) : 0);
  }
  const r = spawnSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', id], { encoding: 'utf8' });
  const m = /^([\d.]+)\s*(B|KiB|MiB|GiB)/.exec(r.stdout.trim());
  if (!m) throw new Error(`no memory figure for container ${id}: ${r.stderr.trim()}`);
  return Number(m[1]) * ({ B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as Record<string, number>)[m[2] as string]!;
}
