/**
 * `dockside top`: a live view of every running container, refreshed in place on a terminal
 * (alternate screen, keys to sort, q to quit) and as plain timestamped tables otherwise.
 */
import { formatDuration } from '@dockside/common';
import type { Engine } from '@dockside/engine';
import { collect, type Collection } from './collector.js';
import { chooseTargets, localCollector } from './local.js';
import { computeRates, sortRates, type SortKey } from './rates.js';
import { renderRates } from './render.js';

export interface TopOptions {
  sort: SortKey;
  intervalMs: number;
  /** Stop after this many refreshes (0: until q / Ctrl-C / SIGTERM). */
  count: number;
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  input?: NodeJS.ReadStream;
  tty: boolean;
}

const KEYS: Record<string, SortKey> = { c: 'cpu', m: 'mem', n: 'net', i: 'io', a: 'name' };

export function topHeader(time: Date, sort: SortKey, count: number, intervalMs: number, collectionMs: number, tty: boolean): string {
  const keys = tty ? '  sort: [c]pu [m]em [n]et [i]o n[a]me  [q]uit' : '';
  return `dockside top  ${time.toISOString().replace('T', ' ').slice(0, 19)}Z  ${count} containers  every ${formatDuration(intervalMs)}  sorted by ${sort}  (collected in ${collectionMs.toFixed(1)} ms)${keys}`;
}

export async function runTop(engine: Engine, opts: TopOptions): Promise<void> {
  const state = localCollector(engine);
  let sort = opts.sort;
  let stop = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  const quit = () => {
    stop = true;
    wake?.();
  };
  let prev: Collection | undefined;
  let frame = '';
  let last: { rows: ReturnType<typeof computeRates>; cur: Collection } | undefined;
  const draw = () => {
    if (!last) return;
    const rows = sortRates(last.rows, sort);
    frame = `${topHeader(new Date(last.cur.timestamp), sort, rows.length, opts.intervalMs, last.cur.durationMs, opts.tty)}\n\n${rows.length ? renderRates(rows) : 'no running containers'}`;
    if (opts.tty) opts.out.write(`\u001b[H${frame.split('\n').map((l) => `${l}\u001b[K`).join('\n')}\n\u001b[J`);
    else opts.out.write(`${frame}\n\n`);
  };
  const input = opts.tty ? opts.input : undefined;
  const onKey = (b: Buffer) => {
    const k = b.toString('utf8');
    if (k === 'q' || k === '\u0003' || k === '\u001b') return quit();
    const s = KEYS[k.toLowerCase()];
    if (s) {
      sort = s;
      draw();
    }
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  if (opts.tty) {
    opts.out.write('\u001b[?1049h\u001b[?25l');
    if (input?.isTTY) input.setRawMode(true);
    input?.on('data', onKey);
    input?.resume();
  }
  try {
    let shown = 0;
    let next = Date.now();
    while (!stop) {
      const targets = await chooseTargets(engine, state, []);
      const cur = collect(state, targets);
      if (prev) {
        last = { rows: computeRates(prev, cur), cur };
        draw();
        shown++;
        if (opts.count && shown >= opts.count) break;
        next += opts.intervalMs;
      } else {
        // First reading: the baseline for rates. Show the first frame after a short window.
        next = Date.now() + Math.min(opts.intervalMs, 1000);
      }
      prev = cur;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      else next = Date.now();
    }
  } finally {
    process.off('SIGINT', quit);
    process.off('SIGTERM', quit);
    if (opts.tty) {
      input?.off('data', onKey);
      if (input?.isTTY) input.setRawMode(false);
      input?.pause();
      opts.out.write('\u001b[?25h\u001b[?1049l');
      // Leave the last frame on the normal screen, like top does with its final state.
      if (frame) opts.out.write(`${frame}\n`);
    }
  }
}
