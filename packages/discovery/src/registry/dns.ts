/**
 * Hosts files for dnsmasq's `--hostsdir`: one file per instance, `<dir>/dockside-<service>-<id>`,
 * holding `<address> <service>` while the instance is healthy. dnsmasq reads a new or changed file
 * at once (inotify), but keeps the records of a *deleted* file until SIGHUP: so a withdrawal
 * rewrites the file without its record (dnsmasq drops it), and files are never deleted while
 * dnsmasq may still hold their records. Each write goes to a dot-file first (dnsmasq ignores
 * those) and is renamed into place, so dnsmasq never reads half a file.
 *
 * A hosts file has no TTL: a register sidecar killed without a word leaves its record until the
 * next `register` of this host sweeps it as stale (README).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@dockside/common';
import { parseInstance, type Instance } from './instance.js';
import type { Registry, WithdrawReason } from './registry.js';

const MARK = '# dockside-instance ';

export function hostsFileName(inst: Pick<Instance, 'service' | 'id'>): string {
  return `dockside-${inst.service}-${inst.id}`;
}

/** The file's text: the instance as a comment, and its record only while `published`. */
export function hostsFileText(inst: Instance, published: boolean, reason = ''): string {
  return `${MARK}${JSON.stringify(inst)}\n# ${published ? 'published' : `withdrawn${reason ? ` (${reason})` : ''}`} ${new Date().toISOString()}\n${published ? `${inst.address} ${inst.service}\n` : ''}`;
}

export function parseHostsFile(text: string): { inst?: Instance; published: boolean } {
  const line = text.split('\n').find((l) => l.startsWith(MARK));
  let inst: Instance | undefined;
  try {
    inst = line ? parseInstance(JSON.parse(line.slice(MARK.length))) : undefined;
  } catch {
    inst = undefined;
  }
  const published = text.split('\n').some((l) => l.trim() && !l.startsWith('#'));
  return { ...(inst ? { inst } : {}), published };
}

export class DnsRegistry implements Registry {
  readonly kind = 'dns';
  constructor(private readonly dir: string) {}

  async open(access: 'read' | 'write' = 'write'): Promise<void> {
    const refuse = (why: string) =>
      new UserError(`cannot ${access === 'read' ? 'read hosts files in' : 'write hosts files into'} ${this.dir}: ${why}`, {
        exitCode: 2,
        code: 'EREGISTRY',
        hint: 'give the directory dnsmasq reads with --hostsdir (it must exist and be writable by root)',
      });
    try {
      const s = await stat(this.dir);
      if (!s.isDirectory()) throw refuse('ENOTDIR');
      // A reader (the ambassador, a watch) has the directory read-only: it only lists it.
      if (access === 'read') {
        await readdir(this.dir);
        return;
      }
      const probe = join(this.dir, `.dockside-probe-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, '');
      await unlink(probe);
    } catch (err) {
      throw err instanceof UserError ? err : refuse((err as NodeJS.ErrnoException).code ?? String(err));
    }
  }

  private async write(inst: Instance, text: string): Promise<void> {
    const tmp = join(this.dir, `.${hostsFileName(inst)}.${randomBytes(3).toString('hex')}`);
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, join(this.dir, hostsFileName(inst)));
  }

  publish(inst: Instance): Promise<void> {
    return this.write(inst, hostsFileText(inst, true));
  }

  /** Nothing expires in a hosts file: rewritten only when it is missing (someone swept it). */
  async keepAlive(inst: Instance): Promise<void> {
    const f = join(this.dir, hostsFileName(inst));
    const text = await readFile(f, 'utf8').catch(() => '');
    if (!parseHostsFile(text).published) await this.publish(inst);
  }

  withdraw(inst: Instance, reason: WithdrawReason): Promise<void> {
    return this.write(inst, hostsFileText(inst, false, reason));
  }

  private async read(service: string): Promise<Array<{ inst: Instance; published: boolean }>> {
    const names = (await readdir(this.dir)).filter((n) => n.startsWith(`dockside-${service}-`));
    const out: Array<{ inst: Instance; published: boolean }> = [];
    for (const n of names) {
      const p = parseHostsFile(await readFile(join(this.dir, n), 'utf8').catch(() => ''));
      if (p.inst && p.inst.service === service) out.push({ inst: p.inst, published: p.published });
    }
    return out;
  }

  async list(service: string): Promise<Instance[]> {
    return (await this.read(service)).filter((e) => e.published).map((e) => e.inst);
  }

  async entries(service: string): Promise<Instance[]> {
    return (await this.read(service)).filter((e) => e.published).map((e) => e.inst);
  }

  /** A stale entry's record goes (the file stays, empty of records: see above). */
  remove(inst: Instance): Promise<void> {
    return this.withdraw(inst, 'stopped');
  }

  async close(): Promise<void> {}
}
