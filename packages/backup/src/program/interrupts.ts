/**
 * What the sidecar undoes when it is signalled (the CLI forwards Ctrl-C, SIGTERM and SIGHUP, and
 * waits 10 s before removing it): a restore's staging folders, a backup's half-written folder, its
 * unfinished S3 multipart uploads and its lease. Node runs a signal handler only between
 * synchronous steps, so a restore's swap (renames, no awaits) is never cut in half.
 */
import { constants } from 'node:os';

type Cleanup = () => void | Promise<void>;
const cleanups: Cleanup[] = [];
let installed = false;

/** Run `fn` if a signal ends the sidecar before the returned function is called. */
export function onInterrupt(fn: Cleanup): () => void {
  install();
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  let handling = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (handling) return;
      handling = true;
      void (async () => {
        // Latest first: what was set up last is undone first.
        for (const fn of cleanups.splice(0).reverse())
          await Promise.resolve()
            .then(fn)
            .catch(() => undefined);
        process.exit(128 + (constants.signals[sig] ?? 15));
      })();
    });
  }
}
