/**
 * The Docker source: every selected container's stdout and stderr through the logs endpoint.
 * Containers are found by a listing at start, by `start` events while running (picked up at once),
 * and by a full reconcile whenever the event stream comes back after a drop. One follower per
 * container resumes from the position of the last line it handed on (at start: the checkpoint),
 * reads until the container stops, and starts again when it starts again (same id, same log).
 */
import type { SwarmPlace } from '../record.js';
import {
  EngineHttpError,
  followLogs,
  inspectLogTarget,
  listLogTargets,
  type LogGap,
  type LogLine,
  type LogPosition,
  type LogStream,
  type SocketClient,
} from '@dockside/engine/logs';
import { watchContainerEvents } from '@dockside/engine/events';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { Selection } from '../config.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { positionKey, type Positioned } from '../record.js';
import type { ShipStats } from '../stats.js';
import { MultilineGrouper } from './multiline.js';
import { selects } from './selection.js';

export interface DockerSourceOptions {
  client: SocketClient;
  selection: Selection;
  maxLine: number;
  multilineStart?: string;
  pipeline: Pipeline;
  checkpoint: CheckpointStore;
  stats: ShipStats;
  log: (msg: string) => void;
  warn: (msg: string) => void;
}

interface Follower {
  again: boolean;
  abort: AbortController;
  done: Promise<void>;
}

const MULTILINE_QUIET_MS = 1000;

export class DockerSource {
  private readonly followers = new Map<string, Follower>();
  /** Position of the last line handed to the pipeline, per container and stream. */
  private readonly handed = new Map<string, LogPosition>();
  private stopEvents: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly o: DockerSourceOptions) {
    for (const [k, v] of Object.entries(o.checkpoint.data.positions)) this.handed.set(k, v as LogPosition);
  }

  async start(): Promise<void> {
    this.stopEvents = watchContainerEvents(this.o.client, {
      filters: { type: ['container'], event: ['start'] },
      onEvent: (e) => {
        const id = e.Actor?.ID ?? e.id;
        if (!id) return;
        const attrs = e.Actor?.Attributes ?? {};
        const { name = '', ...labels } = attrs;
        if (selects(this.o.selection, { id, name, labels })) this.ensure(id);
      },
      onReconnect: () => {
        this.o.log('event stream back: reconciling');
        void this.reconcile().catch((err: Error) => this.o.warn(`reconcile failed: ${err.message}`));
      },
      onDrop: (err) => this.o.warn(`lost the engine's event stream${err ? ` (${err.message})` : ''}; reconnecting`),
    });
    await this.reconcile();
  }

  /** Follow every selected container (stopped ones too: their log is read to its end). */
  async reconcile(): Promise<void> {
    const list = await listLogTargets(this.o.client);
    for (const c of list) if (selects(this.o.selection, c)) this.ensure(c.id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopEvents?.();
    for (const f of this.followers.values()) f.abort.abort();
    await Promise.all([...this.followers.values()].map((f) => f.done));
  }

  private ensure(id: string): void {
    if (this.stopped) return;
    const f = this.followers.get(id);
    if (f) {
      f.again = true;
      return;
    }
    const follower: Follower = { again: false, abort: new AbortController(), done: Promise.resolve() };
    this.followers.set(id, follower);
    follower.done = this.follow(id, follower).finally(() => {
      this.followers.delete(id);
      const t = this.o.stats.targets.get(id);
      if (t) t.following = false;
    });
  }

  private async follow(id: string, f: Follower): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let target;
      try {
        target = await inspectLogTarget(this.o.client, id);
      } catch (err) {
        this.o.warn(`cannot inspect ${id.slice(0, 12)}: ${(err as Error).message}`);
        await sleep(1000);
        continue;
      }
      if (!target) return; // removed
      const stats = this.o.stats.target(id, target.name);
      stats.following = true;
      const meta = {
        container: target.name,
        container_id: id,
        project: target.labels['com.docker.compose.project'],
        service: target.labels['com.docker.compose.service'],
        swarm: swarmOf(target.labels),
      };
      const groupers = new Map<LogStream, MultilineGrouper>();
      let quiet: NodeJS.Timeout | undefined;
      const toItems = (lines: LogLine[]): Positioned[] =>
        lines.map((l) => {
          const record: Positioned['record'] = { time: l.ts, container: meta.container, container_id: id, stream: l.stream, message: l.message.toString('utf8') };
          if (meta.project) record.project = meta.project;
          if (meta.service) record.service = meta.service;
          if (meta.swarm) record.swarm = meta.swarm;
          if (l.truncated) record.truncated = true;
          const key = positionKey(id, l.stream);
          this.handed.set(key, l.position);
          if (l.ts > stats.readTime) stats.readTime = l.ts;
          return { record, key, position: l.position, bytes: l.message.length };
        });
      const group = (lines: LogLine[]): LogLine[] => {
        if (!this.o.multilineStart) return lines;
        const out: LogLine[] = [];
        for (const l of lines) {
          let g = groupers.get(l.stream);
          if (!g) groupers.set(l.stream, (g = new MultilineGrouper(new RegExp(this.o.multilineStart), this.o.maxLine)));
          out.push(...g.push(l));
        }
        return out;
      };
      const flushGroups = (): LogLine[] => [...groupers.values()].map((g) => g.flush()).filter((l): l is LogLine => Boolean(l));
      const onLines = (lines: LogLine[], gaps: LogGap[]): Promise<void> | undefined => {
        for (const g of gaps) this.gap(id, target.name, g);
        if (quiet) clearTimeout(quiet);
        const items = toItems(group(lines));
        if (this.o.multilineStart && [...groupers.values()].some((g) => g.hasPending)) {
          quiet = setTimeout(() => void this.o.pipeline.push(toItems(flushGroups())), MULTILINE_QUIET_MS);
        }
        return items.length ? this.o.pipeline.push(items) : undefined;
      };
      const resume: Partial<Record<LogStream, LogPosition>> = {};
      for (const s of ['stdout', 'stderr'] as const) {
        const p = this.handed.get(positionKey(id, s));
        if (p) resume[s] = p;
      }
      f.again = false;
      try {
        const end = await followLogs(this.o.client, id, { tty: target.tty, follow: true, maxLine: this.o.maxLine, resume, onLines, signal: f.abort.signal });
        if (quiet) clearTimeout(quiet);
        if (end.aborted) return;
        const now = await inspectLogTarget(this.o.client, id).catch(() => null);
        if (now?.running) continue; // the stream dropped (or it restarted already): read on
        // Stopped: a last line without newline is complete now; so is a pending multi-line record.
        const tail = end.assembler.flush();
        await onLines(tail, []);
        if (quiet) clearTimeout(quiet);
        const rest = toItems(flushGroups());
        if (rest.length) await this.o.pipeline.push(rest);
        failures = 0;
        if (f.again) continue;
        return;
      } catch (err) {
        if (quiet) clearTimeout(quiet);
        stats.errors++;
        this.o.stats.source.errors++;
        if (err instanceof EngineHttpError && err.statusCode === 404) return; // removed while we read
        this.o.warn(`reading the log of ${target.name} failed: ${(err as Error).message}; retrying`);
        await sleep(Math.min(5000, 250 * 2 ** failures++));
      }
    }
  }

  private gap(id: string, name: string, g: LogGap): void {
    const rec = { container: name, container_id: id, stream: g.stream, from: g.from, to: g.to };
    const list = this.o.checkpoint.data.gaps;
    list.push(rec);
    if (list.length > 100) list.splice(0, list.length - 100);
    this.o.stats.target(id, name).gaps++;
    this.o.warn(`gap: lines of ${name} ${g.stream} between ${g.from} and ${g.to} were rotated away before they could be shipped`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A Swarm task's place, from the labels the engine puts on its container: the task name is
 * `<service>.<slot>.<task id>` for a replicated service, `<service>.<node id>.<task id>` for a
 * global one (no slot then).
 */
export function swarmOf(labels: Record<string, string>): SwarmPlace | undefined {
  const service = labels['com.docker.swarm.service.name'];
  const task = labels['com.docker.swarm.task.id'];
  if (!service || !task) return undefined;
  const name = labels['com.docker.swarm.task.name'] ?? '';
  const middle = name.startsWith(`${service}.`) ? name.slice(service.length + 1, name.length - task.length - 1) : '';
  const slot = /^[0-9]+$/.test(middle) ? Number(middle) : undefined;
  return { node: labels['com.docker.swarm.node.id'] ?? '', service, task, ...(slot !== undefined ? { slot } : {}) };
}
