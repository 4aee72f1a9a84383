/**
 * Entry point of the backup sidecar image (bundled to images/backup/build/backup.mjs). The host
 * copies the job (/etc/dockside/job.json) and, for S3, the credentials (/etc/dockside/s3.json, mode
 * 0400) in through the archive API before start, so neither shows in `docker inspect` or argv.
 * Progress, warnings, the result and any error go to stderr as sidecar protocol events
 * (`@dockside {json}` lines, see ../events.ts); stdout carries only a dump being read back
 * (dump-out); bulk data goes straight to the destination (a bind-mounted directory or S3), never
 * through the attach stream.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '@dockside/common';
import { runProgram } from '@dockside/sidecar-kit';
import type { Job, S3Credentials } from '../model.js';
import { openDestination } from '../destination/destination.js';
import { writeArchives } from './archive-backup.js';
import { dumpArchive } from './archive-read.js';
import { restoreArchives } from './archive-restore.js';
import { verifyArchives } from './archive-verify.js';
import { jobEvents } from './job-events.js';
import { runRepoBackup, runRepoRestore } from './repo-jobs.js';

declare const DOCKSIDE_VERSION: string | undefined;
const version = typeof DOCKSIDE_VERSION === 'string' ? DOCKSIDE_VERSION : 'dev';
const JOB_FILE = '/etc/dockside/job.json';

function readJob(): Job {
  try {
    return JSON.parse(readFileSync(JOB_FILE, 'utf8')) as Job;
  } catch (err) {
    throw new UserError(`no job at ${JOB_FILE} (${(err as NodeJS.ErrnoException).code ?? String(err)}); this image is run by \`dockside backup\``, {
      exitCode: 2,
      hint: 'use `dockside backup`, `dockside restore` or `dockside backup verify`',
    });
  }
}

async function run(): Promise<number> {
  const job = readJob();
  // Restored files get exactly the modes in the archive.
  process.umask(0);
  const events = jobEvents(process.stderr);
  // Repository jobs: the repository's directory and a password file (/etc/dockside/repo-password, 0400).
  if (job.op === 'repo-backup') {
    await runRepoBackup(job, events);
    return 0;
  }
  if (job.op === 'repo-restore') {
    await runRepoRestore(job, events);
    return 0;
  }
  let creds: S3Credentials | undefined;
  if (job.destination.kind === 's3' && job.destination.credentialsFile) creds = JSON.parse(readFileSync(job.destination.credentialsFile, 'utf8')) as S3Credentials;
  const destination = await openDestination(job.destination, creds);
  switch (job.op) {
    case 'backup':
      await writeArchives(job, destination, events);
      return 0;
    case 'restore':
      await restoreArchives(job, destination, events);
      return 0;
    case 'verify':
      return verifyArchives(job, destination, events);
    case 'dump-out':
      await dumpArchive(job, destination);
      return 0;
  }
}

await runProgram({ role: 'backup', version, defaultCommand: 'probe', commands: { run } });
