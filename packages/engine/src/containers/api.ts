/**
 * The container calls a sidecar's life is made of, behind one interface with two clients: raw HTTP
 * on a unix socket (connection/http.ts: no dockerode to load, attach hijacked as `docker run`
 * does) and dockerode for tcp/TLS and ssh engines. Engine-internal; failures keep dockerode's shape
 * either way, for mapEngineError.
 */
import type Dockerode from 'dockerode';
import { dockerOf, httpOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { EngineAnswerError } from '../connection/errors.js';
import type { EngineHttp } from '../connection/http.js';

export type WaitCondition = 'next-exit' | 'removed' | 'not-running';

export interface ContainerApi {
  inspect(id: string): Promise<Dockerode.ContainerInspectInfo>;
  list(opts: { all?: boolean; labels?: string[] }): Promise<Dockerode.ContainerInfo[]>;
  /** Create; resolves with the new container's id. `opts.name` names it. */
  create(opts: Dockerode.ContainerCreateOptions): Promise<string>;
  /** Attach to stdout and stderr (and stdin): a duplex when stdin is attached, else readable. */
  attach(id: string, stdin: boolean): Promise<NodeJS.ReadWriteStream>;
  /**
   * Ask to be told when the container reaches `condition`. The outer promise resolves once the
   * engine has registered the wait (safe to start the container then), the inner one with the exit.
   */
  wait(id: string, condition: WaitCondition): Promise<{ exited: Promise<{ StatusCode: number }> }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string): Promise<void>;
  resize(id: string, h: number, w: number): Promise<void>;
  remove(id: string, opts: { force: boolean; v: boolean }): Promise<void>;
}

const id_ = (id: string) => `/containers/${encodeURIComponent(id)}`;

function httpApi(http: EngineHttp): ContainerApi {
  return {
    inspect: (id) => http.json('GET', `${id_(id)}/json`),
    list: (o) => http.json('GET', '/containers/json', { query: { all: o.all ?? false, ...(o.labels?.length ? { filters: JSON.stringify({ label: o.labels }) } : {}) } }),
    create: async (opts) => {
      const { name, ...body } = opts;
      const r = await http.json<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
      return r.Id;
    },
    attach: async (id, stdin) => (await http.upgrade(`${id_(id)}/attach`, { stream: 1, stdin: stdin ? 1 : 0, stdout: 1, stderr: 1 })) as unknown as NodeJS.ReadWriteStream,
    wait: async (id, condition) => {
      // The engine answers the headers once the wait is registered, the body once the condition is met.
      const res = await http.open('POST', `${id_(id)}/wait`, { query: { condition } });
      const exited = new Promise<{ StatusCode: number }>((resolve, reject) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const r = JSON.parse(text) as { StatusCode: number; Error?: { Message?: string } | null };
            if (r.Error?.Message) reject(new EngineAnswerError(`the engine could not wait for container ${id}: ${r.Error.Message}`));
            else resolve(r);
          } catch {
            reject(new EngineAnswerError(`the engine's answer to wait was not JSON: ${text.slice(0, 200)}`));
          }
        });
      });
      exited.catch(() => undefined);
      return { exited };
    },
    start: async (id) => void (await http.text('POST', `${id_(id)}/start`)),
    kill: async (id, signal) => void (await http.text('POST', `${id_(id)}/kill`, { query: { signal } })),
    resize: async (id, h, w) => void (await http.text('POST', `${id_(id)}/resize`, { query: { h, w } })),
    remove: async (id, o) => void (await http.text('DELETE', id_(id), { query: { force: o.force, v: o.v } })),
  };
}

function dockerodeApi(engine: Engine): ContainerApi {
  const c = async (id: string) => (await dockerOf(engine)).getContainer(id);
  return {
    inspect: async (id) => (await c(id)).inspect(),
    list: async (o) => (await dockerOf(engine)).listContainers({ all: o.all ?? false, ...(o.labels?.length ? { filters: { label: o.labels } } : {}) }),
    create: async (opts) => (await (await dockerOf(engine)).createContainer(opts)).id,
    attach: async (id, stdin) => (await (await c(id)).attach({ stream: true, stdout: true, stderr: true, stdin, hijack: stdin })) as unknown as NodeJS.ReadWriteStream,
    wait: async (id, condition) => {
      const exited = (await c(id)).wait({ condition }) as Promise<{ StatusCode: number }>;
      exited.catch(() => undefined);
      return { exited };
    },
    start: async (id) => void (await (await c(id)).start()),
    kill: async (id, signal) => void (await (await c(id)).kill({ signal })),
    resize: async (id, h, w) => void (await (await c(id)).resize({ h, w })),
    remove: async (id, o) => void (await (await c(id)).remove(o)),
  };
}

/** The container calls of this engine, on the lightest client it has. */
export function containerApi(engine: Engine): ContainerApi {
  const http = httpOf(engine);
  return http ? httpApi(http) : dockerodeApi(engine);
}
