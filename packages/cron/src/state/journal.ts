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

export class Journal {
  private fd: number;

  private constructor(
    readonly dir: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Open (creating the directory), compacting a long journal first. Returns the folded state too. */
  static open(dir: string): { journal: Journal; state: Folded } {
    mkdirSync(dir, { recursive: true });
    const records = readJournal(dir);
    let state = fold(records);
    const path = join(dir, JOURNAL_FILE);
    if (records.length > COMPACT_OVER) {
      const kept = compact(state, KEEP_PER_JOB);
      writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
      state = fold(kept);
    }
    return { journal: new Journal(dir, openSync(path, 'a', 0o600)), state };
  }

  append(r: JournalRecord): void {
    writeSync(this.fd, `${JSON.stringify(r)}\n`);
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
