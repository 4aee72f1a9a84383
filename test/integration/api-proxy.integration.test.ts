/**
 * A long-running service behind its api-proxy, on a real engine: from INSIDE the service (running
 * as a non-root user, talking HTTP over the proxy's unix socket with node) the allowed GETs work,
 * a container create is refused with 403 and creates nothing, traversal / encoded / upgrade
 * variants are refused, the service has no engine socket at all, the proxy runs with no network,
 * no capabilities and a read-only root, and removing the service removes the proxy and its volume.
 * A service that fails to start leaves no proxy behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CONTAINER_REF, type ApiRule } from '@dockside/common';
import { API_PROXY_LABEL, listApiProxies, removeWithAnonymousVolumes, startService, type Engine } from '@dockside/engine';
import { apiCallsFromInside, type ApiAnswer, type ApiCall } from '../support/api-calls.js';
import { IMAGE_TAG, RUN_ID, RUN_LABEL, VERSION, cleanupRun, docker, requireEngine, runCli, STAND_IN_READY, standInService } from '../support/engine.js';

// Any dockside image answers `api-proxy`; the metrics image stands in for "the service's image".
const IMAGE = `dockside/metrics:${IMAGE_TAG}`;
const BASE = `dockside/base:${IMAGE_TAG}`;
const RULES: ApiRule[] = [
  { method: 'GET', path: '/_ping' },
  { method: 'GET', path: '/containers/json' },
  { method: 'GET', path: `/containers/${CONTAINER_REF}/json` },
];

let engine: Engine;
let serviceId = '';
let volume = '';
let proxyId = '';

/** HTTP calls made by node inside the service container, over the socket DOCKER_HOST names. */
const fromInside = (calls: ApiCall[]): ApiAnswer[] => apiCallsFromInside(serviceId, calls);

const session = `api-proxy-test-${RUN_ID}`;
const spec = () => ({
  role: 'apitest',
  image: IMAGE,
  version: VERSION,
  session,
  entrypoint: standInService(600),
  user: '1000:1000',
  readonlyRootfs: true,
  capAdd: [],
  labels: { [RUN_LABEL]: RUN_ID },
  apiAccess: { rules: RULES },
});

describe('api-proxy: a service reaches the engine only through its filtering proxy', { timeout: 120_000 }, () => {
  before(async () => {
    engine = await requireEngine();
    ({ id: serviceId } = await startService(engine, spec(), STAND_IN_READY));
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', serviceId)) as Record<string, string>;
    volume = labels[API_PROXY_LABEL.volume] ?? '';
    const proxies = await listApiProxies(engine, { volume });
    proxyId = proxies[0]?.id ?? '';
  });

  after(async () => {
    if (serviceId) await removeWithAnonymousVolumes(engine, serviceId).catch(() => undefined);
    for (const p of await listApiProxies(engine).catch(() => [])) if (p.service.startsWith('dockside-apitest')) docker('rm', '-f', '-v', p.id);
    cleanupRun();
  });

  it('allowed GETs work from inside the service, as a non-root user', () => {
    assert.equal(docker('exec', serviceId, 'id', '-u'), '1000');
    const [ping, list, inspect] = fromInside([
      { method: 'GET', path: '/_ping' },
      { method: 'GET', path: '/v1.41/containers/json' },
      { method: 'GET', path: `/v1.41/containers/${serviceId}/json` },
    ]);
    assert.deepEqual(ping, { status: 200, body: 'OK' });
    assert.equal(list?.status, 200, list?.body);
    const ids = (JSON.parse(list?.body ?? '[]') as Array<{ Id: string }>).map((c) => c.Id);
    assert.ok(ids.includes(serviceId), 'the listing comes from the real engine');
    assert.equal(inspect?.status, 200);
    assert.equal((JSON.parse(inspect?.body ?? '{}') as { Id: string }).Id, serviceId);
  });

  it('POST /containers/create gets 403 with a JSON message and creates nothing', () => {
    const name = `dstest-${RUN_ID}-escape`;
    const body = JSON.stringify({ Image: BASE, Cmd: ['true'], Labels: { [RUN_LABEL]: RUN_ID }, HostConfig: { Privileged: true, Binds: ['/:/host'] } });
    const [create] = fromInside([{ method: 'POST', path: `/v1.41/containers/create?name=${name}`, body }]);
    assert.equal(create?.status, 403);
    assert.deepEqual(JSON.parse(create?.body ?? '{}'), { message: 'dockside api-proxy: POST /v1.41/containers/create is not allowed for apitest' });
    assert.equal(docker('ps', '-aq', '--filter', `name=${name}`), '', 'no container was created');
    const logs = spawnSync('docker', ['logs', proxyId], { encoding: 'utf8' });
    assert.match(logs.stderr, /refused POST \/v1\.41\/containers\/create/, 'the refusal is logged');
  });

  it('refuses traversal, encoded, wrong-method, delete and upgrade variants; the proxy survives them', () => {
    const name = `dstest-${RUN_ID}-escape2`;
    const body = JSON.stringify({ Image: BASE, Cmd: ['true'], Labels: { [RUN_LABEL]: RUN_ID } });
    const answers = fromInside([
      { method: 'POST', path: `/v1.41/containers/json/../create?name=${name}`, body },
      { method: 'POST', path: `/v1.41/containers/x%2F..%2Fcreate?name=${name}`, body },
      { method: 'GET', path: '/v1.41/containers/%2e%2e/json' },
      { method: 'POST', path: `/v1.41//containers/create?name=${name}`, body },
      { method: 'POST', path: '/v1.41/containers/json', body: '{}' },
      { method: 'DELETE', path: `/v1.41/containers/${proxyId}?force=1` },
      { method: 'POST', path: `/v1.41/containers/${proxyId}/kill` },
      { method: 'GET', path: '/v1.41/containers/json', headers: { connection: 'Upgrade', upgrade: 'tcp' } },
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 403),
      JSON.stringify(answers),
    );
    assert.equal(docker('ps', '-aq', '--filter', `name=${name}`), '');
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', proxyId), 'true');
    // Still serving allowed calls afterwards.
    assert.equal(fromInside([{ method: 'GET', path: '/_ping' }])[0]?.status, 200);
  });

  it('the service has no engine socket; the proxy alone has it, read-only, with no network or capabilities', () => {
    const [svc] = JSON.parse(docker('inspect', serviceId)) as Array<{
      Config: { Env: string[] };
      HostConfig: Record<string, unknown>;
      Mounts: Array<{ Type: string; Source: string; Destination: string; RW: boolean; Name?: string }>;
    }>;
    assert.ok(svc);
    assert.ok(!svc.Mounts.some((m) => m.Destination.endsWith('docker.sock') || m.Source.endsWith('docker.sock')), JSON.stringify(svc.Mounts));
    assert.deepEqual(
      svc.Mounts.map((m) => `${m.Type}:${m.Name ?? ''}:${m.Destination}`),
      [`volume:${volume}:/run/dockside-api`],
    );
    assert.ok(svc.Config.Env.includes('DOCKER_HOST=unix:///run/dockside-api/docker.sock'));
    assert.equal(docker('exec', serviceId, 'sh', '-c', 'ls /var/run/docker.sock /run/docker.sock 2>/dev/null; true'), '');

    const [px] = JSON.parse(docker('inspect', proxyId)) as Array<{
      Config: { Cmd: string[]; Labels: Record<string, string>; Image: string };
      HostConfig: Record<string, unknown>;
      Mounts: Array<{ Type: string; Destination: string; RW: boolean; Name?: string }>;
    }>;
    assert.ok(px);
    assert.equal(px.Config.Image, IMAGE, "the service's own image, no extra one");
    assert.equal(px.Config.Cmd[0], 'api-proxy');
    assert.equal(px.Config.Labels['dockside.role'], 'apitest-api-proxy');
    assert.equal(px.Config.Labels[API_PROXY_LABEL.service], docker('inspect', '--format', '{{.Name}}', serviceId).replace(/^\//, ''));
    assert.equal(px.HostConfig['NetworkMode'], 'none');
    assert.deepEqual(px.HostConfig['CapDrop'], ['ALL']);
    assert.deepEqual(px.HostConfig['CapAdd'] ?? [], []);
    assert.equal(px.HostConfig['ReadonlyRootfs'], true);
    assert.equal(px.HostConfig['Privileged'], false);
    assert.deepEqual(px.HostConfig['RestartPolicy'], { Name: 'unless-stopped', MaximumRetryCount: 0 });
    const sock = px.Mounts.find((m) => m.Destination === '/var/run/docker.sock');
    assert.equal(sock?.RW, false, 'engine socket read-only in the proxy');
    assert.equal(px.Mounts.find((m) => m.Destination === '/run/dockside-api')?.Name, volume);
    const mode = docker('exec', serviceId, 'stat', '-c', '%a %u %g', '/run/dockside-api/docker.sock');
    assert.equal(mode, '660 0 2375');
  });

  it('a service that fails to start leaves no proxy and no volume behind', async () => {
    const before = (await listApiProxies(engine)).length;
    // 1 byte of memory: the engine refuses the service's create after the proxy started.
    await assert.rejects(startService(engine, { ...spec(), secretDir: '/run/s', secrets: [], hostConfig: { Memory: 1 } }, STAND_IN_READY));
    assert.equal((await listApiProxies(engine)).length, before);
    assert.equal(docker('volume', 'ls', '-q', '--filter', 'label=dockside.role=apitest-api-proxy').split('\n').filter(Boolean).length, 1, "only the running pair's volume");
  });

  it('refuses a spec that asks for apiAccess and mounts the engine socket too', async () => {
    await assert.rejects(
      startService(engine, { ...spec(), mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: true }] }, STAND_IN_READY),
      /apiAccess and also mounts the engine socket/,
    );
  });

  it('removing the service removes its proxy and the socket volume', async () => {
    await removeWithAnonymousVolumes(engine, serviceId);
    assert.equal(docker('ps', '-aq', '--filter', `id=${serviceId}`), '');
    assert.equal(docker('ps', '-aq', '--filter', `id=${proxyId}`), '');
    assert.equal(docker('volume', 'ls', '-q', '--filter', `name=${volume}`), '');
    assert.deepEqual(await listApiProxies(engine, { volume }), []);
  });

  it('`dockside rm <service>` removes its proxy and the socket volume too', async () => {
    const { id } = await startService(engine, spec(), STAND_IN_READY);
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', id)) as Record<string, string>;
    const vol = labels[API_PROXY_LABEL.volume] ?? '';
    const [proxy] = await listApiProxies(engine, { volume: vol });
    assert.ok(proxy, 'the service has its proxy');
    const name = docker('inspect', '--format', '{{.Name}}', id).replace(/^\//, '');
    const r = await runCli(['rm', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(docker('ps', '-aq', '--filter', `id=${id}`), '');
    assert.equal(docker('ps', '-aq', '--filter', `id=${proxy.id}`), '', 'the proxy went with its service');
    assert.equal(docker('volume', 'ls', '-q', '--filter', `name=${vol}`), '', 'and so did the socket volume');
  });
});
