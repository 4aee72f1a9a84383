/**
 * The append-only journal on the scheduler's volume. Every record is written and fdatasync'd
 * before the scheduler acts on it (a slot is recorded before its run starts), so a `docker kill`
 * at any moment loses at most a record that was never acted on; a torn last line is ignored.
 * On open, a long journal is compacted (write temp + fsync + rename).
 */
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { compact, fold, type Folded, type JournalRecord } from './records.js';

export const JOURNAL_FILE = 'journal.jsonl';
const COMPACT_OVER = 20_000;
const KEEP_PER_JOB = 200;

export function readJournal(dir: string): JournalRecord[] {
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) return [];
  const out: JournalRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalRecord);
    } catch {
      /* a line torn by a kill mid-write: it was never acted on */
    }
  }
  return out;
}

function compactFile(dir: string, state: Folded): JournalRecord[] {
  const kept = compact(state, KEEP_PER_JOB);
  writeFileAtomic(join(dir, JOURNAL_FILE), kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return kept;
}

export class Journal {
  private fd: number;
  private records: number;

  private constructor(
    readonly dir: string,
    fd: number,
    records: number,
  ) {
    this.fd = fd;
    this.records = records;
  }

  /** Open (creating the directory), compacting a long journal first. Returns the folded state too. */
  static open(dir: string): { journal: Journal; state: Folded } {
    mkdirSync(dir, { recursive: true });
    const records = readJournal(dir);
    let state = fold(records);
    let count = records.length;
    if (count > COMPACT_OVER) {
      const kept = compactFile(dir, state);
      state = fold(kept);
      count = kept.length;
    }
    return { journal: new Journal(dir, openSync(join(dir, JOURNAL_FILE), 'a', 0o600), count), state };
  }

  append(r: JournalRecord): void {
    writeSync(this.fd, `${JSON.stringify(r)}\n`);
    fdatasyncSync(this.fd);
    this.records++;
  }

  /** While running: rewrite a journal grown past the limit (the scheduler is single-threaded: no append can interleave). */
  maybeCompact(): boolean {
    if (this.records <= COMPACT_OVER) return false;
    closeSync(this.fd);
    const kept = compactFile(this.dir, fold(readJournal(this.dir)));
    this.records = kept.length;
    this.fd = openSync(join(this.dir, JOURNAL_FILE), 'a', 0o600);
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }
}
