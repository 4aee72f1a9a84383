/**
 * Positions, kept on the shipper's own volume and written atomically (temporary file, fsync,
 * rename, fsync of the directory): a kill leaves either the old or the new checkpoint, never half.
 * Holds per container and stream the position reached by acknowledged lines, the sink's own commit
 * state (the file sink's committed length), and the gaps seen.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface GapRecord {
  container: string;
  container_id: string;
  stream: string;
  from: string;
  to: string;
}

export interface CheckpointData {
  v: 1;
  positions: Record<string, unknown>;
  names: Record<string, string>;
  /** Lines and bytes shipped per container, across shipper restarts (for status). */
  counts?: Record<string, { lines: number; bytes: number; /** Time of the last line the destination acknowledged. */ shippedTime?: string }>;
  sink?: unknown;
  gaps: GapRecord[];
}

export class CheckpointStore {
  data: CheckpointData = { v: 1, positions: {}, names: {}, gaps: [] };
  writes = 0;
  private readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, 'checkpoint.json');
  }

  async load(): Promise<CheckpointData> {
    try {
      const d = JSON.parse(await readFile(this.file, 'utf8')) as CheckpointData;
      if (d.v === 1) this.data = { ...this.data, ...d };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return this.data;
  }

  async save(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(this.data));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dir = await open(join(this.file, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.writes++;
  }
}
