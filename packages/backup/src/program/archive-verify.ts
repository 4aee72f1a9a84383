/** The verify job: every archive of a backup read against its manifest (deep: its entries counted too). */
import { UserError } from '@dockside/common';
import { CorruptArchiveError } from '../errors.js';
import { type VerifyJob } from '../model.js';
import type { Destination } from '../destination/destination.js';
import { extractTar } from './tar-read.js';
import { checkArchive, openChecked } from './archive-read.js';
import type { JobEvents } from './job-events.js';

export async function verifyArchives(job: VerifyJob, destination: Destination, events: JobEvents): Promise<number> {
  await destination.checkReadable();
  const m = job.manifest;
  let bad = 0;
  for (const a of m.archives) {
    try {
      if (!job.deep || a.kind === 'dump') await checkArchive(destination, m.id, a);
      else {
        const o = await openChecked(destination, m.id, a, m.compression.algorithm);
        const r = await extractTar(o.stream, '/nonexistent', { dryRun: true }).catch((err) => {
          throw o.wrap(err);
        });
        o.check();
        const e = a.entries;
        if (r.entries.files !== e.files || r.entries.dirs !== e.dirs || r.entries.symlinks !== e.symlinks || r.entries.hardlinks !== e.hardlinks) {
          throw new CorruptArchiveError(`archive ${m.id}/${a.file} holds ${JSON.stringify(r.entries)}, the manifest says ${JSON.stringify(e)}`);
        }
      }
      events.progress('verified', { file: a.file, ok: true });
    } catch (err) {
      bad++;
      const message = err instanceof UserError ? err.message : `cannot read: ${(err as Error).message}`;
      events.progress('verified', { file: a.file, ok: false, message });
    }
  }
  events.result({ verified: m.archives.length - bad, bad });
  return bad ? 1 : 0;
}
