/** `dockside doctor`: is this host ready for dockside, and what to do where it is not. */
import { formatError, isUserError } from '@dockside/common';
import { IMAGE_LABEL, engineInfo, inspectImage, type Engine, type EngineInfo } from '@dockside/engine';
import { imageRef, SIDECAR_ROLES } from '../lib/images-catalog.js';
import { startupFailure, STARTUP_REMEDY } from './image-startup.js';
import { expectedHashes } from './images-build.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  remedy?: string;
}

export interface DoctorReport {
  ok: boolean;
  version: string;
  engine?: EngineInfo;
  checks: Check[];
}

const MIN_API = '1.40';

function apiAtLeast(v: string, min: string): boolean {
  const [a = 0, b = 0] = v.split('.').map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

export async function runDoctor(getEngine: () => Promise<Engine>, version: string, session: string): Promise<DoctorReport> {
  const checks: Check[] = [];
  let engine: Engine;
  let info: EngineInfo;
  try {
    engine = await getEngine();
    info = await engineInfo(engine);
  } catch (err) {
    if (!isUserError(err)) throw err;
    checks.push({ name: 'engine', ok: false, detail: err.message, ...(err.hint ? { remedy: err.hint } : {}) });
    return { ok: false, version, checks };
  }
  checks.push({ name: 'engine', ok: true, detail: `Docker ${info.serverVersion} at ${info.endpoint} (${info.os}, ${info.arch})` });
  const apiOk = apiAtLeast(info.apiVersion, MIN_API);
  checks.push({
    name: 'api',
    ok: apiOk,
    detail: `API ${info.apiVersion} (dockside needs ${MIN_API} or newer)`,
    ...(apiOk ? {} : { remedy: 'upgrade the Docker engine to 19.03 or newer' }),
  });
  checks.push({ name: 'cgroups', ok: true, detail: `cgroup v${info.cgroupVersion}, ${info.cgroupDriver} driver, ${info.storageDriver} storage` });

  let expected = new Map<string, string>();
  try {
    expected = await expectedHashes(engine, version);
  } catch (err) {
    if (!isUserError(err)) throw err;
  }
  // Each image present and current, then (all at once) its program started: existing is not enough.
  const imageChecks = await Promise.all(
    (['base', ...SIDECAR_ROLES] as const).map(async (role): Promise<Check> => {
      const ref = imageRef(role, version);
      const name = `image ${role}`;
      const img = await inspectImage(engine, ref);
      if (!img) return { name, ok: false, detail: `${ref} is missing`, remedy: 'run `dockside images build` (add --offline without a registry)' };
      const want = expected.get(role);
      const have = img.labels[IMAGE_LABEL.contextHash];
      if (img.labels[IMAGE_LABEL.version] !== version || (want && have !== want)) {
        return { name, ok: false, detail: `${ref} is stale (built from other sources)`, remedy: 'run `dockside images build` to rebuild it' };
      }
      const failure = await startupFailure(engine, ref, role, { version, session }).catch((err: unknown) => {
        if (!isUserError(err)) throw err;
        return err.message;
      });
      if (failure) return { name, ok: false, detail: `${ref} does not start: ${failure}`, remedy: STARTUP_REMEDY };
      return { name, ok: true, detail: `${ref} ${img.id.replace('sha256:', '').slice(0, 12)}, starts` };
    }),
  );
  checks.push(...imageChecks);
  return { ok: checks.every((c) => c.ok), version, engine: info, checks };
}

export function renderDoctor(r: DoctorReport): string {
  const lines = r.checks.map((c) => {
    const head = `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(16)} ${c.detail}`;
    return c.remedy ? `${head}\n${' '.repeat(24)}-> ${c.remedy}` : head;
  });
  lines.push('', r.ok ? `dockside ${r.version}: ready` : `dockside ${r.version}: ${r.checks.filter((c) => !c.ok).length} problem(s)`);
  return lines.join('\n');
}

export { formatError };
