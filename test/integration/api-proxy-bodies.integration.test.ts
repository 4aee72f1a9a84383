/**
 * The api-proxy's body checks against a real engine (issue #17): a service behind a proxy with the
 * scheduler's rules and create policy (binds only under one allowed directory), and a client of the
 * proxy's socket (through the socket volume's mountpoint, as any container given that volume sees
 * it) sending create, exec and start bodies spelled the way the engine reads JSON: keys matched
 * case-insensitively (with Go's Unicode folds: KELVIN SIGN for k, LONG S for s), \u escapes,
 * duplicated keys (the last one wins), HostConfig fields at the top level (the engine's deprecated
 * wrapper still reads them there). Each is refused, and the engine's container list is unchanged
 * after each. Then a property-based test (fast-check) sends random spellings of random create
 * bodies both through the proxy and straight to the engine, and checks the proxy's decision against
 * what the engine reports on inspect of the container it made from the very same bytes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { API_PROXY_LABEL, removeWithAnonymousVolumes, startService, type Engine } from '@dockside/engine';
import { CRON_API_RULES, cronCreatePolicy } from '../../packages/cron/src/api-access.js';
import { unixCall, type ApiAnswer } from '../support/api-calls.js';
import { IMAGE_TAG, RUN_ID, RUN_LABEL, VERSION, cleanupRun, docker, requireEngine, STAND_IN_READY, standInService } from '../support/engine.js';

const IMAGE = `dockside/metrics:${IMAGE_TAG}`;
const BASE = `dockside/base:${IMAGE_TAG}`;
const ENGINE_SOCKET = '/var/run/docker.sock';
const KELVIN = '\u212a';
const LONG_S = '\u017f';

let engine: Engine;
let serviceId = '';
let proxySocket = '';
let tmp = '';
/** The one directory the create policy allows binds under (realpath'd: /tmp may be a link). */
let allowed = '';

const ours = () => docker('ps', '-aq', '--no-trunc', '--filter', `label=${RUN_LABEL}=${RUN_ID}`).split('\n').filter(Boolean).sort();
const viaProxy = (method: string, path: string, body?: string): Promise<ApiAnswer> => unixCall(proxySocket, { method, path, ...(body !== undefined ? { body } : {}) });
const direct = (method: string, path: string, body?: string): Promise<ApiAnswer> => unixCall(ENGINE_SOCKET, { method, path, ...(body !== undefined ? { body } : {}) });

/** A create body as raw text: `Image`, `Cmd` and this run's label, then `rest` (raw JSON members). */
const raw = (rest: string) => `{"Image":${JSON.stringify(BASE)},"Cmd":["true"],"Labels":{${JSON.stringify(RUN_LABEL)}:${JSON.stringify(RUN_ID)}}${rest ? `,${rest}` : ''}}`;

describe('api-proxy: bodies are read the way the engine reads them (issue #17)', { timeout: 300_000 }, () => {
  before(async () => {
    engine = await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'dockside-proxy-'));
    allowed = join(realpathSync(tmp), 'backups');
    mkdirSync(join(allowed, 'real', 'deeper'), { recursive: true });
    mkdirSync(join(realpathSync(tmp), 'outside'));
    symlinkSync('/etc', join(allowed, 'link')); // absolute, out
    symlinkSync('../outside', join(allowed, 'up')); // relative, out
    symlinkSync('real', join(allowed, 'inner')); // stays inside: allowed
    ({ id: serviceId } = await startService(
      engine,
      {
        role: 'apibody',
        image: IMAGE,
        version: VERSION,
        session: `api-body-test-${RUN_ID}`,
        entrypoint: standInService(900),
        user: '1000:1000',
        readonlyRootfs: true,
        capAdd: [],
        labels: { [RUN_LABEL]: RUN_ID },
        apiAccess: { rules: [...CRON_API_RULES], createPolicy: cronCreatePolicy([allowed]) },
      },
      STAND_IN_READY,
    ));
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', serviceId)) as Record<string, string>;
    const volume = labels[API_PROXY_LABEL.volume] ?? '';
    proxySocket = join(docker('volume', 'inspect', '--format', '{{.Mountpoint}}', volume), 'docker.sock');
    assert.equal((await viaProxy('GET', '/_ping')).body, 'OK', 'the proxy answers on its socket');
  });

  after(async () => {
    if (serviceId) await removeWithAnonymousVolumes(engine, serviceId).catch(() => undefined);
    cleanupRun();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a plain create the policy allows goes through, and is what was asked', async () => {
    const r = await viaProxy(
      'POST',
      `/v1.41/containers/create?name=dstest-${RUN_ID}-plain`,
      raw(
        `"HostConfig":{"CapDrop":["ALL"],"CapAdd":["DAC_READ_SEARCH"],"SecurityOpt":["no-new-privileges"],"NetworkMode":"none","Binds":[${JSON.stringify(`${allowed}/real:/b`)},${JSON.stringify(`${allowed}/inner/deeper:/c:ro`)}],"Memory":67108864}`,
      ),
    );
    assert.equal(r.status, 201, r.body);
    const id = (JSON.parse(r.body) as { Id: string }).Id;
    const [c] = JSON.parse(docker('inspect', id)) as Array<{ HostConfig: Record<string, unknown> }>;
    assert.deepEqual(c?.HostConfig['Binds'], [`${allowed}/real:/b`, `${allowed}/inner/deeper:/c:ro`]);
    assert.equal(c?.HostConfig['Memory'], 67108864);
    assert.equal(c?.HostConfig['NetworkMode'], 'none');
    docker('rm', '-f', id);
  });

  const refusedCreates: Array<[string, string]> = [
    // The issue's table.
    ['Privileged', raw('"HostConfig":{"Privileged":true}')],
    ['lower-case hostconfig/privileged', raw('"hostconfig":{"privileged":true}')],
    ['lower-case binds', raw('"HostConfig":{"binds":["/:/host"]}')],
    ['lower-case mounts', raw('"HostConfig":{"mounts":[{"type":"bind","source":"/","target":"/h"}]}')],
    ['lower-case networkmode/pidmode', raw('"HostConfig":{"networkmode":"host","pidmode":"host"}')],
    ['lower-case devices', raw('"HostConfig":{"devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"}]}')],
    // Mixed case.
    ['upper-case HOSTCONFIG/PRIVILEGED', raw('"HOSTCONFIG":{"PRIVILEGED":true}')],
    ['mixed-case PrIvIlEgEd', raw('"HostConfig":{"PrIvIlEgEd":true}')],
    ['mixed-case mount keys', raw('"HostConfig":{"Mounts":[{"TYPE":"bind","Source":"/etc","tArGeT":"/h"}]}')],
    ['mixed-case CapAdd as a string', raw('"HostConfig":{"capadd":"SYS_ADMIN"}')],
    // Go's Unicode folds: KELVIN SIGN is k, LONG S is s.
    ['Kelvin sign in NetworKMode', raw(`"HostConfig":{"Networ${KELVIN}Mode":"host"}`)],
    ['long s in Bindſ', raw(`"HostConfig":{"Bind${LONG_S}":["/:/host"]}`)],
    ['long s in ſecurityOpt', raw(`"HostConfig":{"${LONG_S}ecurityOpt":["seccomp=unconfined"]}`)],
    ['long s in Deviceſ', raw(`"HostConfig":{"Device${LONG_S}":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"}]}`)],
    // \u escapes in keys.
    ['\\u-escaped HostConfig/Privileged', raw('"Host\\u0043onfig":{"\\u0050rivileged":true}')],
    ['\\u-escaped Kelvin sign', raw('"HostConfig":{"PidMode":"","Networ\\u212aMode":"host"}')],
    ['\\u-escaped long s', raw('"HostConfig":{"U\\u017fern\\u017fMode":"host"}')],
    // Duplicated keys: the engine obeys the last one.
    ['duplicated, different spelling', raw('"HostConfig":{"Privileged":false,"privileged":true}')],
    ['duplicated, same spelling', raw('"HostConfig":{"Privileged":false,"Privileged":true}')],
    ['two HostConfig objects', raw('"HostConfig":{"Privileged":false},"hostconfig":{"Privileged":true}')],
    ['duplicated Binds, the second outside', raw(`"HostConfig":{"Binds":[${JSON.stringify(`${allowed}/real:/b`)}],"BINDS":["/:/host"]}`)],
    ['duplicated Mounts Source inside one entry', raw(`"HostConfig":{"Mounts":[{"Type":"bind","Source":${JSON.stringify(`${allowed}/real`)},"source":"/","Target":"/h"}]}`)],
    // HostConfig fields at the top level: the engine's deprecated wrapper reads them there.
    ['top-level Privileged', raw('"Privileged":true')],
    ['top-level lower-case binds', raw('"binds":["/:/host"]')],
    // Binds through symlinks out of the allowed directory.
    ['bind through an absolute symlink out', raw(`"HostConfig":{"Binds":[${JSON.stringify(`${allowed}/link:/x`)}]}`)],
    ['bind under a relative symlink out', raw(`"HostConfig":{"Mounts":[{"Type":"bind","Source":${JSON.stringify(`${allowed}/up`)},"Target":"/x"}]}`)],
    // Unknown HostConfig fields are refused (deny by default).
    ['unknown HostConfig field', raw('"HostConfig":{"NotAField":true}')],
  ];

  it("refuses each of the issue's bodies and their variants; the engine's container list is unchanged after each", async () => {
    const passed: string[] = [];
    for (const [name, body] of refusedCreates) {
      const before = ours();
      const r = await viaProxy('POST', `/v1.41/containers/create?name=dstest-${RUN_ID}-bypass`, body);
      const after = ours();
      if (r.status !== 403 || after.join() !== before.join()) passed.push(`${name}: ${r.status} ${r.body.trim()}`);
      else assert.match((JSON.parse(r.body) as { message: string }).message, /^dockside api-proxy: POST \/v1\.41\/containers\/create is not allowed for apibody: /, name);
      // A bypass must not stay around for the next case.
      for (const id of after.filter((x) => !before.includes(x))) docker('rm', '-f', id);
    }
    assert.deepEqual(passed, [], `these bodies got through:\n${passed.join('\n')}`);
  });

  it('exec creates: Privileged and User refused however spelled; a plain exec goes through', async () => {
    const execs = () => (JSON.parse(docker('inspect', '--format', '{{json .ExecIDs}}', serviceId)) as string[] | null) ?? [];
    const bodies: Array<[string, string]> = [
      ['Privileged', '{"Cmd":["id"],"Privileged":true}'],
      ['lower-case privileged', '{"Cmd":["id"],"privileged":true}'],
      ['duplicated Privileged', '{"Cmd":["id"],"Privileged":false,"PRIVILEGED":true}'],
      ['User root', '{"Cmd":["id"],"User":"root"}'],
      ['long s in Uſer', `{"Cmd":["id"],"U${LONG_S}er":"0"}`],
      ['no Cmd', '{"AttachStdout":true}'],
      ['unknown field', '{"Cmd":["id"],"Bogus":1}'],
    ];
    const passed: string[] = [];
    for (const [name, body] of bodies) {
      const before = execs().length;
      const r = await viaProxy('POST', `/v1.41/containers/${serviceId}/exec`, body);
      if (r.status !== 403 || execs().length !== before) passed.push(`${name}: ${r.status} ${r.body.trim()}`);
    }
    assert.deepEqual(passed, [], `these exec bodies got through:\n${passed.join('\n')}`);
    const ok = await viaProxy('POST', `/v1.41/containers/${serviceId}/exec`, '{"Cmd":["id","-u"],"AttachStdout":true,"AttachStderr":true}');
    assert.equal(ok.status, 201, ok.body);
  });

  it('a start body never reaches the engine: API < 1.24 (which would apply a HostConfig given to start) is refused, a later one goes on without it', async () => {
    const created = await viaProxy('POST', `/v1.41/containers/create?name=dstest-${RUN_ID}-startbody`, raw('"HostConfig":{"NetworkMode":"none"}'));
    assert.equal(created.status, 201, created.body);
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    const old = await viaProxy('POST', `/v1.23/containers/${id}/start`, '{"Privileged":true,"Binds":["/:/host"]}');
    const cur = await viaProxy('POST', `/v1.41/containers/${id}/start`, '{"HostConfig":{"Privileged":true}}');
    const hc = JSON.parse(docker('inspect', '--format', '{{json .HostConfig}}', id)) as { Privileged: boolean; Binds: string[] | null };
    docker('rm', '-f', id);
    assert.equal(old.status, 403, old.body);
    assert.equal(cur.status, 204, cur.body);
    assert.equal(hc.Privileged, false);
    assert.equal(hc.Binds, null);
  });

  describe('property: the proxy lets through exactly what the engine would make allowed', () => {
    it('random spellings of random create bodies, through the proxy and straight to the engine (200 cases or 60 s)', async (t) => {
      let cases = 0;
      const tally = { proxied: 0, forbiddenByEngine: 0, plainAllowed: 0 };
      await fc.assert(
        fc.asyncProperty(createCase(), async (c) => {
          cases++;
          const body = c.render(RUN_ID);
          const [p, d] = [await viaProxy('POST', '/v1.41/containers/create', body), await direct('POST', '/v1.41/containers/create', body)];
          const idOf = (a: ApiAnswer) => (a.status === 201 ? (JSON.parse(a.body) as { Id: string }).Id : '');
          const [pid, did] = [idOf(p), idOf(d)];
          try {
            const effective = did ? inspectOf(did) : undefined;
            const verdict = effective ? forbidden(effective, allowed) : null;
            if (verdict) tally.forbiddenByEngine++;
            if (pid) tally.proxied++;
            if (c.plain && effective && !verdict) tally.plainAllowed++;
            if (verdict) assert.notEqual(p.status, 201, `the proxy let through what the engine made ${verdict}:\n${body}`);
            if (pid) {
              assert.ok(effective, `the proxy let through a body the engine refuses directly (${d.status} ${d.body}):\n${body}`);
              const mine = inspectOf(pid);
              assert.equal(forbidden(mine, allowed), null, body);
              assert.deepEqual(summary(mine), summary(effective), `the proxy forwarded something else than the client meant:\n${body}`);
            }
            if (c.plain && effective && !verdict) assert.equal(p.status, 201, `an allowed, plainly spelled body was refused (${p.body.trim()}):\n${body}`);
          } finally {
            for (const id of [pid, did]) if (id) await direct('DELETE', `/v1.41/containers/${id}?force=1&v=1`);
          }
        }),
        { numRuns: 200, interruptAfterTimeLimit: 60_000, endOnFailure: true },
      );
      t.diagnostic(`${cases} cases: ${JSON.stringify(tally)}`);
      assert.ok(cases >= 20, `only ${cases} cases ran`);
      // Not vacuous: both sides of the property were exercised.
      assert.ok(tally.proxied > 0 && tally.forbiddenByEngine > 0, JSON.stringify(tally));
    });
  });
});

interface Inspect {
  HostConfig: Record<string, unknown>;
  Mounts: Array<{ Type: string; Source: string; Destination: string }>;
}
function inspectOf(id: string): Inspect {
  return (JSON.parse(docker('inspect', id)) as Inspect[])[0] as Inspect;
}

/** What the engine made that the scheduler's policy forbids (an oracle independent of the proxy's code). */
function forbidden(c: Inspect, allowedDir: string): string | null {
  const hc = c.HostConfig;
  if (hc['Privileged'] === true) return 'privileged';
  const caps = ((hc['CapAdd'] as string[] | null) ?? []).map((x) => x.toUpperCase().replace(/^CAP_/, ''));
  const bad = caps.find((x) => !['DAC_READ_SEARCH', 'DAC_OVERRIDE'].includes(x));
  if (bad) return `capability ${bad}`;
  for (const ns of ['NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode']) if (hc[ns] === 'host') return `${ns} host`;
  if (((hc['Devices'] as unknown[] | null) ?? []).length) return 'devices';
  if (((hc['SecurityOpt'] as string[] | null) ?? []).some((s) => s !== 'no-new-privileges')) return 'a security option';
  if (Object.keys((hc['Sysctls'] as object | null) ?? {}).length) return 'sysctls';
  for (const m of c.Mounts) {
    if (m.Type !== 'bind') continue;
    let real: string;
    try {
      real = realpathSync(m.Source);
    } catch {
      real = m.Source;
    }
    if (real !== allowedDir && !real.startsWith(`${allowedDir}/`)) return `a bind of ${m.Source} (${real})`;
  }
  return null;
}

/** The generated fields as the engine holds them. */
function summary(c: Inspect) {
  const hc = c.HostConfig;
  const pick = [
    'Privileged',
    'CapAdd',
    'CapDrop',
    'NetworkMode',
    'PidMode',
    'IpcMode',
    'Binds',
    'Devices',
    'SecurityOpt',
    'Sysctls',
    'Memory',
    'Init',
    'ReadonlyRootfs',
    'AutoRemove',
  ];
  return { hc: Object.fromEntries(pick.map((k) => [k, hc[k]])), mounts: c.Mounts.map((m) => `${m.Type}:${m.Source}:${m.Destination}`).sort() };
}

// ---------------------------------------------------------------------------------------------
// Generator: a create body as (field, value) members, each key spelled at random the ways the
// engine still reads it, members duplicated with a decoy value first (the engine keeps the last),
// fields put at the top level instead of under HostConfig, unknown keys mixed in.

type Member = { key: string; value: Json };
type Json = string | number | boolean | null | Json[] | { members: Member[] };

/** A key spelling the engine matches to `name`: random case, Kelvin/long-s folds, \u escapes. */
const spelling = (name: string) =>
  fc.array(fc.integer({ min: 0, max: 5 }), { minLength: name.length, maxLength: name.length }).map((picks) =>
    [...name]
      .map((ch, i) => {
        const p = picks[i] ?? 0;
        const lower = ch.toLowerCase();
        if (p === 1) return ch === lower ? ch.toUpperCase() : lower;
        if (p === 2 && lower === 'k') return KELVIN;
        if (p === 2 && lower === 's') return LONG_S;
        if (p === 3) return `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
        if (p === 4 && lower === 'k') return '\\u212a';
        if (p === 4 && lower === 's') return '\\u017F';
        return ch;
      })
      .join(''),
  );

function renderJson(v: Json): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return `{${v.members.map((m) => `"${m.key}":${renderJson(m.value)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(renderJson).join(',')}]`;
  return JSON.stringify(v);
}

interface Field {
  name: string;
  values: Json[];
}

function createCase() {
  const fields = (allowedDir: () => string): Field[] => [
    { name: 'Privileged', values: [true, false] },
    { name: 'CapAdd', values: [['DAC_READ_SEARCH'], ['SYS_ADMIN'], 'NET_ADMIN', ['cap_dac_override'], []] },
    { name: 'CapDrop', values: [['ALL'], []] },
    { name: 'NetworkMode', values: ['none', 'bridge', 'host'] },
    { name: 'PidMode', values: ['host', ''] },
    { name: 'IpcMode', values: ['private', 'host'] },
    { name: 'Binds', values: [[`${allowedDir()}/real:/b`], ['/etc:/e:ro'], ['/:/host'], [`${allowedDir()}/link:/l`], [`${allowedDir()}/inner:/i`]] },
    {
      name: 'Devices',
      values: [
        [
          {
            members: [
              { key: 'PathOnHost', value: '/dev/null' },
              { key: 'PathInContainer', value: '/dev/xnull' },
              { key: 'CgroupPermissions', value: 'rwm' },
            ],
          },
        ],
        [],
      ],
    },
    { name: 'SecurityOpt', values: [['no-new-privileges'], ['seccomp=unconfined'], ['apparmor=unconfined']] },
    { name: 'Sysctls', values: [{ members: [{ key: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] }] },
    { name: 'Memory', values: [67108864, 0] },
    { name: 'Init', values: [true, false] },
    { name: 'ReadonlyRootfs', values: [true, false] },
    { name: 'AutoRemove', values: [false] },
  ];
  const mountEntry = (src: string) =>
    fc.tuple(spelling('Type'), spelling('Source'), spelling('Target')).map(
      ([t, s, g]): Json => ({
        members: [
          { key: t, value: 'bind' },
          { key: s, value: src },
          { key: g, value: '/m' },
        ],
      }),
    );
  const all = fields(() => allowed);
  const memberArb = fc.tuple(
    fc.integer({ min: 0, max: all.length }), // all.length: a Mounts member instead
    fc.nat(),
    fc.boolean(), // duplicated, a decoy first
    fc.nat(),
    fc.integer({ min: 0, max: 9 }), // 0: placed at the top level
  );
  return fc
    .record({
      members: fc.array(fc.tuple(memberArb, fc.constantFrom('/', '/etc', 'ALLOWED/real', 'ALLOWED/up')), { minLength: 1, maxLength: 6 }),
      hcKey: spelling('HostConfig'),
      unknown: fc.integer({ min: 0, max: 9 }),
      spellings: fc.array(
        fc.tuple(spelling('Privileged'), spelling('CapAdd'), spelling('NetworkMode'), spelling('Binds'), spelling('Mounts'), spelling('SecurityOpt'), spelling('PidMode')),
        { minLength: 1, maxLength: 1 },
      ),
    })
    .chain((r) =>
      fc.tuple(
        fc.constant(r),
        fc.array(
          fc.tuple(
            fc.nat(),
            spelling('Devices'),
            spelling('Sysctls'),
            spelling('IpcMode'),
            spelling('CapDrop'),
            spelling('Memory'),
            spelling('Init'),
            spelling('ReadonlyRootfs'),
            spelling('AutoRemove'),
          ),
          { minLength: 6, maxLength: 6 },
        ),
        mountEntry('/'),
        mountEntry('ALLOWED/real'),
        mountEntry('ALLOWED/up'),
      ),
    )
    .map(([r, extra, mountRoot, mountReal, mountUp]) => {
      let plain = r.unknown !== 0;
      const hc: Member[] = [];
      const top: Member[] = [];
      const seen = new Set<string>();
      r.members.forEach(([[fi, vi, dup, di, place], src], n) => {
        const sp = r.spellings[0]!;
        const ex = extra[n % extra.length]!;
        const keyFor = (name: string): string => {
          const table: Record<string, string> = {
            Privileged: sp[0],
            CapAdd: sp[1],
            NetworkMode: sp[2],
            Binds: sp[3],
            Mounts: sp[4],
            SecurityOpt: sp[5],
            PidMode: sp[6],
            Devices: ex[1],
            Sysctls: ex[2],
            IpcMode: ex[3],
            CapDrop: ex[4],
            Memory: ex[5],
            Init: ex[6],
            ReadonlyRootfs: ex[7],
            AutoRemove: ex[8],
          };
          return table[name] ?? name;
        };
        let name: string;
        let value: Json;
        let decoy: Json | undefined;
        if (fi === all.length) {
          name = 'Mounts';
          value = [src === '/' ? mountRoot : src === 'ALLOWED/up' ? mountUp : mountReal];
          decoy = [mountReal];
        } else {
          const f = all[fi]!;
          name = f.name;
          value = f.values[vi % f.values.length]!;
          decoy = f.values[di % f.values.length];
        }
        if (seen.has(name)) plain = false;
        seen.add(name);
        const target = place === 0 ? top : hc;
        if (place === 0) plain = false;
        if (dup && decoy !== undefined) {
          target.push({ key: name, value: decoy });
          plain = false;
        }
        target.push({ key: keyFor(name), value });
      });
      const unknown: Member[] = r.unknown === 0 ? [{ key: 'NotAField', value: true }] : [];
      return {
        plain,
        render(runId: string): string {
          const fix = (s: string) => s.replaceAll('ALLOWED', allowed);
          const members = [...top, ...unknown].map((m) => `,"${m.key}":${fix(renderJson(m.value))}`).join('');
          const hcText = `{${hc.map((m) => `"${m.key}":${fix(renderJson(m.value))}`).join(',')}}`;
          return `{"Image":${JSON.stringify(BASE)},"Cmd":["true"],"Labels":{${JSON.stringify(RUN_LABEL)}:${JSON.stringify(runId)},"dockside.test.fuzz":"1"}${members},"${r.hcKey}":${hcText}}`;
        },
        toString(): string {
          return this.render(RUN_ID);
        },
      };
    });
}
