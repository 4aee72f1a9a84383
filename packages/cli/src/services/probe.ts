/**
 * `dockside probe`: start each sidecar image against a target with its usual joins and ask it what
 * it sees (mounts, interfaces, listening sockets, processes). Checks that sidecars can join a
 * container before a real job depends on it.
 */
import { ROLE, UserError, type ProgressMap } from '@dockside/common';
import { EventReader, OutputBuffer, resolveRunningContainer, runSidecar, type Engine, type SidecarSpec, type TargetContainer } from '@dockside/engine';
import type { ProbeReport } from '@dockside/sidecar-kit';
import { imageRef, type SidecarRole } from '../lib/images-catalog.js';

/** How each sidecar joins its target, and the least capabilities it needs to look. */
export const PROBE_JOINS: Record<SidecarRole, { join: NonNullable<SidecarSpec['join']>; capAdd: string[] }> = {
  backup: { join: { volumes: true }, capAdd: ['DAC_READ_SEARCH'] },
  logship: { join: { volumes: true }, capAdd: ['DAC_READ_SEARCH'] },
  netdebug: { join: { network: true, pid: true }, capAdd: [] },
  metrics: { join: { network: true }, capAdd: [] },
  cron: { join: {}, capAdd: [] },
  config: { join: { volumes: true }, capAdd: ['DAC_READ_SEARCH'] },
  discovery: { join: { network: true }, capAdd: [] },
  fleet: { join: {}, capAdd: [] },
};

export interface ProbeResult {
  role: SidecarRole;
  target: string;
  report: ProbeReport;
}

export async function probeTarget(engine: Engine, ref: string, roles: SidecarRole[], ctx: { version: string; session: string }): Promise<ProbeResult[]> {
  const target: TargetContainer = await resolveRunningContainer(engine, ref);
  const out: ProbeResult[] = [];
  for (const role of roles) {
    const events = new EventReader<ProgressMap, ProbeReport>();
    const { exitCode } = await runSidecar(
      engine,
      {
        role,
        image: imageRef(role, ctx.version),
        version: ctx.version,
        session: ctx.session,
        target,
        join: PROBE_JOINS[role].join,
        capAdd: PROBE_JOINS[role].capAdd,
        cmd: ['probe'],
      },
      { stdout: new OutputBuffer(64 * 1024), stderr: events },
    );
    await events.finish();
    if (exitCode !== 0) throw events.failure(role, exitCode);
    if (!events.result) throw new UserError(`the ${role} sidecar sent no probe report for "${target.name}"`, { hint: 'rebuild the images: dockside images build --force' });
    out.push({ role, target: target.name, report: events.result });
  }
  return out;
}

export function renderProbe(results: ProbeResult[]): string {
  const lines: string[] = [];
  for (const { role, target, report } of results) {
    lines.push(`${role} ${report.version} -> ${target}`);
    for (const m of report.mounts) {
      lines.push(
        `  mount ${m.path} (${m.fsType}${m.readOnly ? ', ro' : ''}): ${m.entryCount} entries${m.entries.length ? `: ${m.entries.slice(0, 6).join(', ')}${m.entryCount > 6 ? ', ...' : ''}` : ''}`,
      );
    }
    if (role === ROLE.netdebug || role === ROLE.metrics) {
      for (const i of report.interfaces) lines.push(`  interface ${i.name} ${i.addresses.join(' ') || '-'}`);
      for (const l of report.listening) lines.push(`  listening ${l.protocol} ${l.address}:${l.port}`);
    }
    if (role === ROLE.netdebug && report.processes.length) {
      lines.push(`  processes: ${report.processes.map((p) => `${p.pid}:${p.command}`).join(' ')}`);
    }
  }
  return lines.join('\n');
}
