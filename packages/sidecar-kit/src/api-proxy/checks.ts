/**
 * The api-proxy's body and container checks, on top of the pure policies in @dockside/common:
 * which body a request may carry (`bodyFor`: decoded as the engine decodes it, answered with the
 * canonical bytes to forward), what the engine really created (`verifyCreated`: inspect, fetch
 * what the container takes from others, resolve its binds, checkCreated), and whether a
 * container's binds still lead where they did when it is started (`checkStart`).
 */
import {
  MAX_CREATE_BODY,
  MAX_SMALL_BODY,
  checkCreated,
  createdLookups,
  decodeCreateBody,
  decodeExecCreate,
  decodeExecStart,
  decodeNoBody,
  normaliseHostPath,
  type ApiRule,
  type CreatePolicy,
  type CreatedFacts,
  type CreatedInspect,
} from '@dockside/common';
import { resolveBind, type BindResolution } from './binds.js';
import { engineJson } from './engine-client.js';

export type BodyDecision = { forward: Buffer } | { refused: string };

/** The largest body a request on `rule` may carry. */
export const maxBodyFor = (rule: ApiRule): number => (rule.body === 'container-create' ? MAX_CREATE_BODY : MAX_SMALL_BODY);

/** What to forward for a POST on `rule` with this body, or why not. */
export function bodyFor(rule: ApiRule, raw: Buffer, policy: CreatePolicy | undefined): BodyDecision {
  const d =
    rule.body === 'container-create'
      ? policy
        ? decodeCreateBody(raw, policy)
        : { refused: 'creating containers needs a create policy' }
      : rule.body === 'exec-create'
        ? decodeExecCreate(raw, rule.exec ?? { users: [] })
        : rule.body === 'exec-start'
          ? decodeExecStart(raw)
          : decodeNoBody(raw);
  return 'refused' in d ? d : { forward: Buffer.from(d.canonical, 'utf8') };
}

/** What the engine is like (asked once per proxy). */
export function engineFacts(upstream: string): () => Promise<CreatedFacts['engine']> {
  let cached: Promise<CreatedFacts['engine']> | undefined;
  return () => {
    cached ??= (async () => {
      const info = (await engineJson<{ CgroupVersion?: string; DefaultRuntime?: string; LoggingDriver?: string }>(upstream, '/info')) ?? {};
      const host = await engineJson<{ Id?: string }>(upstream, '/networks/host');
      return {
        cgroupVersion: info.CgroupVersion ?? '1',
        defaultRuntime: info.DefaultRuntime ?? 'runc',
        loggingDriver: info.LoggingDriver ?? 'json-file',
        hostNetworkId: host?.Id ?? '',
      };
    })();
    cached.catch(() => (cached = undefined));
    return cached;
  };
}

const ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The first way the container the engine just created breaks `policy`, or null. */
export async function verifyCreated(upstream: string, id: string, policy: CreatePolicy, engine: () => Promise<CreatedFacts['engine']>): Promise<string | null> {
  if (!ID.test(id)) return 'the engine answered the create with no container id';
  const c = await engineJson<CreatedInspect>(upstream, `/containers/${id}/json`);
  if (!c) return 'the created container is gone';
  const want = createdLookups(c);
  const facts: CreatedFacts = { engine: await engine(), containers: new Map(), volumes: new Map(), binds: new Map() };
  for (const ref of want.containers) facts.containers.set(ref, ID.test(ref) ? await engineJson<CreatedInspect>(upstream, `/containers/${ref}/json`) : undefined);
  for (const name of want.volumes) facts.volumes.set(name, ID.test(name) ? await engineJson(upstream, `/volumes/${name}`) : undefined);
  for (const src of want.binds) facts.binds.set(src, await resolveBind(src, policy));
  return checkCreated(c, policy, facts);
}

/**
 * Before a start: every bind of the container whose source lies in an allowed directory must
 * still resolve inside them (a link may have been planted since the create). Binds elsewhere
 * (a container the proxy did not create, such as a backup's target) are not the policy's.
 */
export async function checkStart(upstream: string, id: string, policy: CreatePolicy): Promise<string | null> {
  if (!ID.test(id) || !policy.bindSources.length) return null;
  const c = await engineJson<CreatedInspect>(upstream, `/containers/${id}/json`);
  if (!c) return null; // the engine answers the start with its own 404
  const roots = policy.bindSources.map(normaliseHostPath).filter((x): x is string => x !== null && x !== '/');
  for (const m of c.Mounts ?? []) {
    const src = normaliseHostPath(m.Source);
    if (m.Type !== 'bind' || src === null || !roots.some((r) => src === r || src.startsWith(`${r}/`))) continue;
    const r: BindResolution = await resolveBind(src, policy);
    if ('refused' in r) return r.refused;
  }
  return null;
}
