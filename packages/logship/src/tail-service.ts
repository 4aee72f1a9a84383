/**
 * `dockside logs tail`: log files in a container's volumes, read by a throw-away sidecar that joins
 * them read-only (--volumes-from <target>:ro), so the application needs no shell. It has no network,
 * a read-only root, and only CAP_DAC_READ_SEARCH (to read files the application's user owns).
 */
import { ROLE } from '@dockside/common';
import { EventReader, resolveContainer, runSidecar, type Engine } from '@dockside/engine';
import { checkGlobInVolumes } from './sources/glob.js';

export interface TailOptions {
  image: string;
  version: string;
  session: string;
  container: string;
  paths: string[];
  lines: number;
  follow: boolean;
}

export async function tailFiles(engine: Engine, o: TailOptions, stdout: NodeJS.WritableStream): Promise<number> {
  const target = await resolveContainer(engine, o.container);
  const reader = new EventReader();
  const volumes = target.mounts.map((m) => m.destination);
  for (const p of o.paths) checkGlobInVolumes(p, volumes, target.name);
  const cmd = ['tail', '--lines', String(o.lines), ...(o.follow ? ['--follow'] : []), ...volumes.flatMap((v) => ['--volume', v]), '--', ...o.paths];
  const { exitCode } = await runSidecar(
    engine,
    {
      role: ROLE.logship,
      image: o.image,
      version: o.version,
      session: o.session,
      target,
      cmd,
      capAdd: ['DAC_READ_SEARCH'],
      readonlyRootfs: true,
      networkMode: 'none',
      hostConfig: { VolumesFrom: [`${target.id}:ro`] },
    },
    { stdout, stderr: reader },
  );
  await reader.finish();
  if (exitCode !== 0) {
    const text = reader.textTail.at(-2)?.startsWith('dockside-logship: ') ? reader.textTail.slice(-2) : reader.textTail.slice(-1);
    const { UserError } = await import('@dockside/common');
    const msg = (text[0] ?? '').replace(/^dockside-logship: /, '');
    const hint = text[1]?.replace(/^\s*hint:\s*/, '');
    if (msg) throw new UserError(msg, { exitCode: exitCode === 2 ? 2 : 1, ...(hint ? { hint } : {}) });
    throw reader.failure(ROLE.logship, exitCode);
  }
  return 0;
}
