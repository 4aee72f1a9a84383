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
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `at #${i}: got ${JSON.stringify(a[i]?.slice(0, 80))}, want ${JSON.stringify(b[i]?.slice(0, 80))} (got ${a.length}, want ${b.length})`;
  return 'none';
}
