/**
 * Does an image's program actually start? Existing is not enough: a sidecar image whose native
 * addon was built for another Node exists, is current, and fails at its first capture. Every
 * sidecar program answers `version`; netdebug's `selftest` also loads its pcap addon with the
 * image's own Node; the base must run Node 22. Used after `dockside images build` builds an image
 * (a failing one is not kept) and by `dockside doctor`.
 */
import { EventReader, OutputBuffer, runSidecar, type Engine } from '@dockside/engine';
import type { SidecarRole } from '../lib/images-catalog.js';

interface StartupCheck {
  cmd: string[];
  /** What stdout must show. */
  expect: RegExp;
}

const CHECKS: Record<SidecarRole | 'base', StartupCheck> = {
  base: { cmd: ['node', '--version'], expect: /^v22\./ },
  backup: { cmd: ['version'], expect: /^backup / },
  logship: { cmd: ['version'], expect: /^logship / },
  netdebug: { cmd: ['selftest'], expect: /^netdebug \S+ libpcap/ },
  metrics: { cmd: ['version'], expect: /^metrics / },
  cron: { cmd: ['version'], expect: /^cron / },
  config: { cmd: ['version'], expect: /^config / },
  discovery: { cmd: ['version'], expect: /^discovery / },
  fleet: { cmd: ['version'], expect: /^fleet / },
};

export const STARTUP_REMEDY = 'run `dockside images build --force` (add --offline without a registry)';

/** Why the image's program does not start (one line), or undefined when it does. */
export async function startupFailure(engine: Engine, image: string, role: SidecarRole | 'base', ctx: { version: string; session: string }): Promise<string | undefined> {
  const check = CHECKS[role];
  const stdout = new OutputBuffer(64 * 1024);
  const stderr = new EventReader();
  const { exitCode } = await runSidecar(
    engine,
    { role, image, version: ctx.version, session: ctx.session, cmd: check.cmd, networkMode: 'none' },
    { stdout, stderr, handleSignals: true },
  );
  await stderr.finish();
  const out = stdout.text().trim();
  if (exitCode === 0 && check.expect.test(out)) return undefined;
  // The program's own error (a protocol error event; its hint is the remedy the caller names), else
  // the last line it printed (e.g. Node's own message when the program cannot even load).
  const lines = stderr.textTail.map((l) => l.trim()).filter(Boolean);
  const why = stderr.error ? `dockside-${role}: ${stderr.error.message}` : (lines.find((l) => /^dockside-|Error/.test(l)) ?? lines.at(-1) ?? (out || 'no output'));
  return `\`${check.cmd.join(' ')}\` ${exitCode === 0 ? 'printed something unexpected' : `exited ${exitCode}`}: ${why}`;
}
