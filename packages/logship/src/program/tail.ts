/**
 * `tail [--lines N] [--follow] [--volume DIR]... <path|glob>...`: the last lines of log files in the
 * volumes this throw-away sidecar was given (read-only; only under the --volume directories, the
 * target's mount destinations), like tail(1), then, with --follow, what is appended,
 * across rename+create and copytruncate rotation; files that appear later and match are followed
 * from their start. Output on stdout; with several files, `==> path <==` before each one's lines.
 */
import { open } from 'node:fs/promises';
import { UsageError } from '@dockside/common';
import { FileFollower } from '../sources/file-follower.js';
import { expandGlob } from '../sources/glob.js';

const MAX_TAIL_BYTES = 64 * 1024 * 1024;

async function lastLines(path: string, n: number): Promise<{ text: Buffer; end: number }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = size;
    let found = 0;
    const parts: Buffer[] = [];
    let first = true;
    while (pos > 0 && size - pos < MAX_TAIL_BYTES) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      let i = buf.length - 1;
      if (first && buf[i] === 0x0a) i--; // the file's last newline ends the last line
      first = false;
      for (; i >= 0; i--) {
        if (buf[i] === 0x0a && ++found === n) {
          parts.unshift(buf.subarray(i + 1));
          return { text: Buffer.concat(parts), end: size };
        }
      }
      parts.unshift(buf);
    }
    return { text: n > 0 ? Buffer.concat(parts) : Buffer.alloc(0), end: size };
  } finally {
    await fh.close();
  }
}

export async function tail(args: string[]): Promise<number> {
  let lines = 10;
  let follow = false;
  const globs: string[] = [];
  const volumes: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--lines') {
      lines = Number(args[++i]);
      if (!Number.isInteger(lines) || lines < 0) throw new UsageError('--lines must be a whole number');
    } else if (a === '--follow') follow = true;
    else if (a === '--volume') volumes.push(args[++i] as string);
    else if (a === '--') (globs.push(...args.slice(i + 1)), (i = args.length));
    else globs.push(a);
  }
  if (!globs.length) throw new UsageError('tail needs a path or glob');
  const files = [...new Set((await Promise.all(globs.map((g) => expandGlob(g, volumes)))).flat())];
  if (!files.length && !follow)
    throw new UsageError(`no file matches ${globs.join(' ')} in the container's volumes`, { hint: 'give the path as the application sees it, e.g. /var/log/app/*.log' });
  const many = files.length > 1 || globs.some((g) => /[*?]/.test(g));
  let last = '';
  const print = (path: string, text: Buffer) => {
    if (!text.length) return;
    if (many && last !== path) process.stdout.write(`${last ? '\n' : ''}==> ${path} <==\n`);
    last = path;
    process.stdout.write(text);
    if (text[text.length - 1] !== 0x0a) process.stdout.write('\n');
  };
  const followers = new Map<string, FileFollower>();
  for (const f of files) {
    const { text } = await lastLines(f, lines);
    print(f, text);
    followers.set(f, new FileFollower(f, undefined, 1024 * 1024, true));
  }
  if (!follow) return 0;
  for (const ff of followers.values()) await ff.poll(); // positions at the current end
  let stop = false;
  process.once('SIGTERM', () => (stop = true));
  process.once('SIGINT', () => (stop = true));
  let tick = 0;
  while (!stop) {
    await new Promise((r) => setTimeout(r, 250));
    if (++tick % 8 === 0) {
      for (const f of (await Promise.all(globs.map((g) => expandGlob(g, volumes)))).flat()) if (!followers.has(f)) followers.set(f, new FileFollower(f, undefined, 1024 * 1024));
    }
    for (const [path, ff] of followers) {
      const got = await ff.poll();
      if (got.length) print(path, Buffer.concat(got.flatMap((l) => [l.message, Buffer.from('\n')])));
    }
  }
  return 0;
}
