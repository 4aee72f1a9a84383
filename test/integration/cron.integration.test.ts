/**
 * `dockside cron` against a real engine: the scheduler sidecar picks jobs from labels (and a YAML
 * file), runs exec jobs under each overlap policy, ends a timed-out job's processes for real
 * (`docker top` shows them gone), survives `docker kill` mid-job (history kept, no slot run twice,
 * the cut run recorded interrupted and its process ended), sees a new labelled container within
 * 5 s, reports bad expressions per job while the others run, and runs a YAML-declared backup
 * whose container disappears (a clean failure) and comes back (the next run works).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, IMAGE_TAG, RUN_ID, RUN_LABEL, cleanupRun, createVolume, docker, requireEngine, runCli, startFixture, waitFor } from '../support/engine.js';

const BASE = `dockside/base:${IMAGE_TAG}`;
/** This run's scheduler: its own name, so two runs on one engine (and a user's scheduler) do not meet. */
const NAME = `t-${RUN_ID}`;
const ENV = { DOCKSIDE_IMAGE_TAG: IMAGE_TAG, DOCKSIDE_CRON_NAME: NAME };
/** `--label dockside.cron.<job>.schedule=...` arguments, each job given to the scheduler `name`. */
function scoped(args: string[], name = NAME): string[] {
  const out: string[] = [];
  for (const a of args) {
    out.push(a);
    const m = /^dockside\.cron\.([^.]+)\.schedule=/.exec(a);
    if (m) out.push('--label', `dockside.cron.${m[1]}.scheduler=${name}`);
  }
  return out;
}

interface Run {
  job: string;
  run?: string;
  status: string;
  scheduled: string | null;
  start: string | null;
  end: string | null;
  exitCode?: number | null;
  reason?: string;
  tail?: string;
  trigger?: string;
}
interface Row {
  id: string;
  valid: boolean;
  field?: string;
  reason?: string;
  next: string[];
}

async function cli(args: string[], timeoutMs = 30_000) {
  return runCli(args, { env: ENV, timeoutMs });
}
async function history(job?: string): Promise<Run[]> {
  const r = await cli(['cron', 'history', '--json', '--limit', '1000', ...(job ? ['--job', job] : [])]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Run[];
}
async function ls(): Promise<Row[]> {
  const r = await cli(['cron', 'ls', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Row[];
}
const scheduler = (name = NAME) =>
  docker('ps', '-aq', '--filter', 'label=dockside.scheduler=true', '--filter', `label=dockside.role=cron`, '--filter', `label=dockside.scheduler.name=${name}`);
const procs = (c: string) => docker('top', c, '-o', 'pid,args');

let app = '';
let bad = '';
let data = '';
let dataVolume = '';
let receiver = '';
let pinged = '';
let dest = '';
let tmp = '';
let stopper = '';
let dupName = '';

describe('dockside cron (real engine)', { timeout: 600_000 }, () => {
  before(async () => {
    await requireEngine();
    tmp = mkdtempSync(join(tmpdir(), 'dockside-cron-'));
    dest = join(tmp, 'backups');
    app = startFixture(
      'app',
      scoped([
        '--label',
        'dockside.cron.tick.schedule=*/2 * * * * *',
        '--label',
        'dockside.cron.tick.exec=echo tick-$(date +%s)',
        '--label',
        'dockside.cron.forbid.schedule=*/2 * * * * *',
        '--label',
        'dockside.cron.forbid.exec=sleep 5',
        '--label',
        'dockside.cron.allow.schedule=*/2 * * * * *',
        '--label',
        'dockside.cron.allow.exec=sleep 5',
        '--label',
        'dockside.cron.allow.overlap=allow',
        '--label',
        'dockside.cron.replace.schedule=*/2 * * * * *',
        '--label',
        'dockside.cron.replace.exec=sleep 5',
        '--label',
        'dockside.cron.replace.overlap=replace',
        '--label',
        'dockside.cron.stubborn.schedule=*/4 * * * * *',
        '--label',
        `dockside.cron.stubborn.exec=trap "" TERM; sleep 47`,
        '--label',
        'dockside.cron.stubborn.overlap=replace',
        '--label',
        'dockside.cron.long.schedule=*/2 * * * * *',
        '--label',
        'dockside.cron.long.exec=sleep 30',
        '--label',
        'dockside.cron.hang.schedule=0 0 1 1 *',
        // A process in a session of its own that ignores SIGTERM: the timeout must still end it.
        '--label',
        `dockside.cron.hang.exec=setsid sh -c 'trap "" TERM; sleep 1107' & sleep 601; echo never`,
        '--label',
        'dockside.cron.hang.timeout=1500ms',
        '--label',
        'dockside.cron.oneoff.schedule=0 0 1 1 *',
        '--label',
        `dockside.cron.oneoff.image=${BASE}`,
        '--label',
        'dockside.cron.oneoff.run=echo one-off in $(hostname)',
        '--label',
        'dockside.cron.oneoff-hang.schedule=0 0 1 1 *',
        '--label',
        `dockside.cron.oneoff-hang.image=${BASE}`,
        '--label',
        'dockside.cron.oneoff-hang.run=sleep 600',
        '--label',
        'dockside.cron.oneoff-hang.timeout=1500ms',
        // 100 MiB of output, then a marker: more than the api-proxy's memory limit.
        '--label',
        'dockside.cron.big.schedule=0 0 1 1 *',
        '--label',
        "dockside.cron.big.exec=head -c 104857600 /dev/zero | tr '\\0' y; echo; echo end-of-big",
        '--label',
        'dockside.cron.steady.schedule=0 0 1 1 *',
        '--label',
        'dockside.cron.steady.exec=echo steady-begin; sleep 5; echo steady-done',
        '--label',
        'dockside.cron.flaky.schedule=0 0 1 1 *',
        '--label',
        'dockside.cron.flaky.exec=echo trying; exit 3',
        '--label',
        'dockside.cron.flaky.retries=1',
        BASE,
        'sleep',
        '3600',
      ]),
    );
    bad = startFixture(
      'bad',
      scoped([
        '--label',
        'dockside.cron.m61.schedule=61 * * * *',
        '--label',
        'dockside.cron.m61.exec=true',
        '--label',
        'dockside.cron.feb30.schedule=0 2 30 2 *',
        '--label',
        'dockside.cron.feb30.exec=true',
        '--label',
        'dockside.cron.secs.schedule=* */10 * * * *',
        '--label',
        'dockside.cron.secs.exec=true',
        '--label',
        'dockside.cron.zone.schedule=0 3 * * *',
        '--label',
        'dockside.cron.zone.timezone=Mars/Olympus_Mons',
        '--label',
        'dockside.cron.zone.exec=true',
        '--label',
        'dockside.cron.noimg.schedule=@daily',
        '--label',
        `dockside.cron.noimg.image=dstest-nosuch/image:${RUN_ID}`,
        '--label',
        'dockside.cron.noimg.run=true',
        BASE,
        'sleep',
        '3600',
      ]),
    );
    receiver = startFixture('receiver', [BASE, 'node', '-e', "require('http').createServer((q,r)=>{console.log(q.method+' '+q.url);r.end('ok')}).listen(8080)"]);
    const ip = docker('inspect', '--format', '{{.NetworkSettings.IPAddress}}', receiver);
    pinged = startFixture(
      'pinged',
      scoped([
        '--label',
        'dockside.cron.hc.schedule=0 0 1 1 *',
        '--label',
        'dockside.cron.hc.exec=echo fine',
        '--label',
        `dockside.cron.hc.ping=http://${ip}:8080/hc-uuid`,
        BASE,
        'sleep',
        '3600',
      ]),
    );
    dataVolume = createVolume('data');
    data = startFixture('data', ['-v', `${dataVolume}:/data`, BASE, 'sh', '-c', 'echo hello > /data/file && sleep 3600']);
    stopper = startFixture('stopper', scoped(['--label', 'dockside.cron.beat.schedule=*/2 * * * * *', '--label', 'dockside.cron.beat.exec=echo beat', BASE, 'sleep', '3600']));
    dupName = `dstest-${RUN_ID}-dup`; // created later, with a label job of the same id as the file's
    writeFileSync(
      join(tmp, 'jobs.yaml'),
      `jobs:\n  ${data}/backup:\n    schedule: "*/6 * * * * *"\n    dockside: backup --to ${dest} --keep-last 3\n    timeout: 20s\n  ${dupName}/dup:\n    schedule: "@hourly"\n    exec: echo from-yaml\n`,
    );
    const r = await cli(['cron', 'start', '--config', join(tmp, 'jobs.yaml'), '--backup-dir', tmp], 60_000);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await cli(['cron', 'stop']).catch(() => undefined);
    await cli(['cron', 'stop', '--name', `${NAME}-2`]).catch(() => undefined);
    cleanupRun();
    for (const n of [NAME, `${NAME}-2`]) spawnSync('docker', ['volume', 'rm', '-f', `dockside-cron-state-${n}`], { stdio: 'ignore' });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('runs as a long-lived, least-privilege sidecar with a health check', async () => {
    const id = scheduler();
    const info = JSON.parse(docker('inspect', id))[0];
    assert.equal(info.HostConfig.RestartPolicy.Name, 'unless-stopped');
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.ok(info.Config.Healthcheck?.Test?.includes('health'));
    assert.deepEqual(info.HostConfig.PortBindings ?? {}, {}, 'nothing published');
    await waitFor(() => docker('inspect', '--format', '{{.State.Health.Status}}', id) === 'healthy', 'the scheduler to be healthy', 40_000, 500);
  });

  it('schedulers are named: another runs side by side with its own jobs and volume; two starts of one name give one scheduler and one refusal', async () => {
    const other = `${NAME}-2`;
    // The state volume of this run's scheduler: its own, labelled with its name.
    const vol = JSON.parse(docker('volume', 'inspect', `dockside-cron-state-${NAME}`))[0];
    assert.equal(vol.Labels['dockside.scheduler.name'], NAME);
    assert.equal(vol.Labels['dockside.role'], 'cron');
    const own = startFixture('own', scoped(['--label', 'dockside.cron.own.schedule=*/2 * * * * *', '--label', 'dockside.cron.own.exec=echo own', BASE, 'sleep', '3600'], other));
    // Both starts race: the engine's unique container name lets one through.
    const both = await Promise.all([cli(['cron', 'start', '--name', other], 60_000), cli(['cron', 'start', '--name', other], 60_000)]);
    const codes = both.map((r) => r.code).sort();
    assert.deepEqual(codes, [0, 2], both.map((r) => r.stderr).join(' | '));
    const refused = both.find((r) => r.code === 2) as { stderr: string };
    assert.match(refused.stderr, new RegExp(`^dockside: a scheduler named "${other}" is already (running|starting) on this engine`));
    assert.match(refused.stderr, /hint: /);
    assert.equal(scheduler(other).split('\n').filter(Boolean).length, 1, 'one scheduler of that name');
    assert.equal(docker('ps', '-aq', '--filter', `label=dockside.api-proxy.service=dockside-cron-${other}`).split('\n').filter(Boolean).length, 1, 'one api-proxy');
    assert.equal(JSON.parse(docker('volume', 'inspect', `dockside-cron-state-${other}`))[0].Labels['dockside.scheduler.name'], other);
    // Each runs its own label jobs only.
    const mine = await ls();
    assert.ok(!mine.some((j) => j.id === `${own}/own`), "this run's scheduler leaves the other's job alone");
    const theirs = JSON.parse((await cli(['cron', 'ls', '--json', '--name', other])).stdout) as Row[];
    assert.deepEqual(
      theirs.map((j) => j.id),
      [`${own}/own`],
    );
    await waitFor(
      async () => JSON.parse((await cli(['cron', 'history', '--json', '--name', other])).stdout).some((r: Run) => r.status === 'succeeded'),
      'a run by the other scheduler',
      10_000,
      300,
    );
    assert.ok(!(await history()).some((r) => r.job === `${own}/own`));
    const stop = await cli(['cron', 'stop', '--name', other]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(scheduler(other), '');
    assert.notEqual(scheduler(), '', 'stopping one scheduler leaves the others');
    const gone = await cli(['cron', 'ls', '--name', other]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, new RegExp(`no scheduler named "${other}" is running`));
    const badName = await cli(['cron', 'ls', '--name', '../x']);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /--name must be/);
    docker('rm', '-f', own);
  });

  it('reaches the engine only through its api-proxy: no socket, privileged or host-root creates refused, jobs still run', async () => {
    const id = scheduler();
    const info = JSON.parse(docker('inspect', id))[0];
    const sources: string[] = (info.Mounts ?? []).map((m: { Source: string }) => m.Source);
    assert.ok(!sources.some((s) => s.endsWith('docker.sock') || s === '/var/run' || s === '/run'), `no engine socket: ${sources.join(', ')}`);
    assert.ok((info.Config.Env as string[]).includes('DOCKER_HOST=unix:///run/dockside-api/docker.sock'), info.Config.Env.join(' '));
    // From inside: the create the scheduler may make is filtered on its body.
    const create = (hostConfig: object) =>
      JSON.parse(
        docker(
          'exec',
          id,
          'node',
          '-e',
          `const r=require('node:http').request({socketPath:'/run/dockside-api/docker.sock',method:'POST',path:'/v1.41/containers/create',headers:{'content-type':'application/json'}},(res)=>{let b='';res.on('data',c=>b+=c);res.on('end',()=>console.log(JSON.stringify({status:res.statusCode,body:b})))});r.end(JSON.stringify({Image:'${BASE}',Cmd:['true'],Labels:{'${RUN_LABEL}':'${RUN_ID}'},HostConfig:${JSON.stringify(hostConfig)}}))`,
        ),
      ) as { status: number; body: string };
    const privileged = create({ Privileged: true });
    assert.equal(privileged.status, 403, privileged.body);
    assert.match(privileged.body, /not allowed for cron: Privileged containers are not allowed/);
    const root = create({ Binds: ['/:/host'] });
    assert.equal(root.status, 403, root.body);
    assert.match(root.body, /bind of \/ would expose the Docker socket/);
    const caps = create({ CapAdd: ['SYS_ADMIN'] });
    assert.equal(caps.status, 403, caps.body);
    // VolumesFrom copies binds: taking the proxy's own volumes would hand over the socket.
    const proxy = docker('ps', '-q', '--filter', 'label=dockside.role=cron-api-proxy', '--filter', `label=dockside.api-proxy.service=dockside-cron-${NAME}`);
    assert.notEqual(proxy, '', 'the scheduler has its api-proxy');
    const stolen = create({ VolumesFrom: [proxy] });
    assert.equal(stolen.status, 403, stolen.body);
    assert.match(stolen.body, /would expose the Docker socket/);
    // ...while its jobs still run: exec jobs (hijacked exec start), run jobs (create + attach), backups.
    await waitFor(async () => (await history(`${app}/tick`)).some((r) => r.status === 'succeeded'), 'an exec job run through the proxy', 20_000, 500);
  });

  it('reports bad expressions per job, naming the field, while the other jobs keep running', async () => {
    const rows = await ls();
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.match(byId.get(`${bad}/m61`)?.field ?? '', /minute/);
    assert.match(byId.get(`${bad}/feb30`)?.field ?? '', /day of month/);
    assert.match(byId.get(`${bad}/secs`)?.field ?? '', /second/);
    assert.equal(byId.get(`${bad}/zone`)?.field, 'timezone');
    for (const j of ['m61', 'feb30', 'secs', 'zone']) assert.equal(byId.get(`${bad}/${j}`)?.valid, false);
    assert.equal(byId.get(`${app}/tick`)?.next.length, 3);
    await waitFor(async () => (await history(`${app}/tick`)).filter((r) => r.status === 'succeeded').length >= 2, 'two tick runs', 15_000, 500);
    const v = await cli(['cron', 'validate']);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /INVALID .*\/secs +schedule \(second\)/);
    assert.match(v.stdout, new RegExp(`INVALID  ${bad}/noimg  image: no image "dstest-nosuch/image:${RUN_ID}" on this engine; pull or build it first`));
  });

  it('overlap forbid / allow / replace with a job longer than its interval', async () => {
    // Until each policy has shown itself once (a skipped forbid slot, two allow runs side by side, a
    // replaced run, an interrupted stubborn one), then every rule is checked on that history.
    let all: Run[] = [];
    const of = (j: string) => all.filter((r) => r.job === `${app}/${j}`);
    const overlapping = (runs: Run[]) => runs.some((r, i) => i > 0 && (runs[i - 1]?.end === null || Date.parse(r.start as string) < Date.parse(runs[i - 1]?.end as string)));
    await waitFor(
      async () => {
        all = await history();
        return (
          of('forbid').some((r) => r.status === 'skipped') &&
          overlapping(of('allow').filter((r) => r.run)) &&
          of('replace').some((r) => r.status === 'interrupted') &&
          of('stubborn').some((r) => r.status === 'interrupted')
        );
      },
      'each overlap policy to have acted once',
      30_000,
      500,
    );
    // forbid: never two at once; the slots that found one running are recorded skipped.
    const forbid = of('forbid');
    assert.ok(
      forbid.some((r) => r.status === 'skipped' && /overlap=forbid/.test(r.reason ?? '')),
      JSON.stringify(forbid),
    );
    const fr = forbid.filter((r) => r.run);
    for (let i = 1; i < fr.length; i++) assert.ok(!fr[i - 1]?.end || Date.parse(fr[i]?.start as string) >= Date.parse(fr[i - 1]?.end as string), 'forbid runs never overlap');
    // allow: runs side by side (a run starts before the previous one ended).
    const al = of('allow').filter((r) => r.run);
    assert.ok(overlapping(al), JSON.stringify(al));
    assert.ok(!of('allow').some((r) => r.status === 'skipped'));
    // replace: the running one is ended when the next slot comes.
    const rp = of('replace');
    assert.ok(
      rp.some((r) => r.status === 'interrupted' && /replaced/.test(r.reason ?? '')),
      JSON.stringify(rp),
    );
    // replace with a job that ignores SIGTERM: the next run starts only once the old one is gone.
    const st = of('stubborn').filter((r) => r.run);
    assert.ok(st.filter((r) => r.status === 'interrupted').length >= 1, JSON.stringify(of('stubborn')));
    for (let i = 1; i < st.length; i++) {
      const prev = st[i - 1] as Run;
      assert.ok(prev.end && Date.parse(st[i]?.start as string) >= Date.parse(prev.end), `run ${st[i]?.run} started before ${prev.run} ended: ${JSON.stringify(st)}`);
    }
    assert.ok(
      procs(app)
        .split('\n')
        .filter((l) => /^\s*\d+\s+sleep 47$/.test(l)).length <= 1,
      `one stubborn run at a time: ${procs(app)}`,
    );
  });

  it('a timeout really ends the process (docker top shows it gone)', async () => {
    const run = cli(['cron', 'run', `${app}/hang`]);
    await waitFor(() => procs(app).includes('sleep 601'), 'the job running in the container', 10_000, 100);
    const r = await run;
    assert.equal(r.code, 143, r.stderr);
    assert.match(r.stderr, /timeout: timed out after 1500 ms/);
    assert.ok(!procs(app).includes('sleep 601'), procs(app));
    assert.ok(!procs(app).includes('sleep 1107'), `the process in its own session outlived the timeout: ${procs(app)}`);
    const t = (await history(`${app}/hang`)).pop() as Run;
    assert.equal(t.status, 'timeout');
    // 1.5 s, then TERM, 2 s of grace, KILL for what ignores TERM; each step an exec (slack for a loaded machine).
    const took = Date.parse(t.end as string) - Date.parse(t.start as string);
    assert.ok(took < 20_000, `${took} ms`);
  });

  it('run jobs: a one-off container, removed after; on timeout stopped and removed; retries with backoff', async () => {
    const runContainers = () => docker('ps', '-aq', '--filter', 'label=dockside.role=cron-run');
    const ok = await cli(['cron', 'run', `${app}/oneoff`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /one-off in [0-9a-f]{12}/);
    assert.equal(runContainers(), '');
    const hang = cli(['cron', 'run', `${app}/oneoff-hang`]);
    await waitFor(() => runContainers() !== '', 'the one-off container running', 10_000, 100);
    const h = await hang;
    assert.notEqual(h.code, 0);
    assert.match(h.stderr, /timeout: timed out after 1500 ms; the container was stopped and removed/);
    assert.equal(runContainers(), '');
    const t0 = Date.now();
    const flaky = await cli(['cron', 'run', `${app}/flaky`]);
    assert.equal(flaky.code, 3);
    assert.equal(flaky.stdout.match(/^trying$/gm)?.length, 2, flaky.stdout);
    assert.ok(Date.now() - t0 >= 2000, 'a backoff between the attempts');
    const last = (await history(`${app}/flaky`)).pop() as Run & { attempts?: number };
    assert.equal(last.attempts, 2);
  });

  it('ping: start, then the exit code, to a healthchecks-style URL', async () => {
    const r = await cli(['cron', 'run', `${pinged}/hc`]);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => /POST \/hc-uuid\/0/.test(docker('logs', receiver)), 'the success ping', 10_000, 200);
    assert.match(docker('logs', receiver), /POST \/hc-uuid\/start\n[^]*POST \/hc-uuid\/0/);
  });

  // Picked up from the engine's events, with no restart (how fast belongs in bench:scale, not here:
  // on a loaded machine one `cron ls` alone took seconds).
  it('a new labelled container shows in cron ls, picked up from events', async () => {
    const late = startFixture('late', scoped(['--label', 'dockside.cron.hello.schedule=@hourly', '--label', 'dockside.cron.hello.exec=echo hi', BASE, 'sleep', '3600']));
    await waitFor(async () => (await ls()).some((r) => r.id === `${late}/hello` && r.valid), 'the new job in cron ls', 20_000, 200);
  });

  it('cron run: output streamed, exit code relayed, overlap respected unless --force', async () => {
    // tick runs every 2 s with overlap=forbid: --force runs it whatever is going.
    const r = await cli(['cron', 'run', `${app}/tick`, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tick-\d+/);
    // A run that started just now (the job sleeps 5 s), so it is still going when `cron run` arrives.
    await waitFor(
      async () => (await history(`${app}/forbid`)).some((x) => x.status === 'running' && Date.now() - Date.parse(x.start as string) < 3000),
      'a forbid run that has just started',
      15_000,
      100,
    );
    const skipped = await cli(['cron', 'run', `${app}/forbid`]);
    assert.equal(skipped.code, 6, `skipped has its own exit code (3 is "engine unreachable"): ${skipped.stderr}`);
    const missing = await cli(['cron', 'run', `${app}/nope`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no job/);
    const manual = (await history(`${app}/tick`)).filter((x) => x.trigger === 'manual');
    assert.equal(manual.length, 1);
  });

  it('docker kill mid-job, then restart: history kept, no slot run twice, the cut run recorded interrupted', async () => {
    const id = scheduler();
    const cut = await waitFor(async () => (await history(`${app}/long`)).find((x) => x.status === 'running'), 'a long run in progress', 10_000, 200);
    const before = await history();
    docker('kill', id);
    assert.ok(procs(app).includes('sleep 30'), 'the job outlives the scheduler until it restarts');
    await new Promise((r) => setTimeout(r, 2500));
    docker('start', id);
    await waitFor(async () => (await cli(['cron', 'ls', '--json'])).code === 0, 'the scheduler back', 20_000, 300);
    const afterKill = await history();
    for (const b of before)
      if (b.run)
        assert.ok(
          afterKill.some((a) => a.run === b.run),
          `run ${b.run} kept in the history`,
        );
    const rec = afterKill.find((r) => r.run === cut.run);
    assert.equal(rec?.status, 'interrupted', JSON.stringify(rec));
    assert.match(rec?.reason ?? '', /scheduler stopped during this run; ended process group \d+/);
    // Its process is gone: at most the one run started since the restart sleeps.
    assert.ok(
      procs(app)
        .split('\n')
        .filter((l) => l.includes('sleep 30')).length <= 2,
      procs(app),
    );
    await new Promise((r) => setTimeout(r, 3000));
    const final = await history();
    const seen = new Map<string, number>();
    for (const r of final) {
      if (!r.scheduled || r.trigger === 'manual' || r.status === 'missed') continue;
      const k = `${r.job} ${r.scheduled}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    const dupes = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dupes, [], 'no slot handled twice');
  });

  it('a backup job (YAML) whose target container disappears fails cleanly, and the next run works', async () => {
    const job = `${data}/backup`;
    await waitFor(async () => (await history(job)).some((r) => r.status === 'succeeded'), 'a first backup', 40_000, 500);
    assert.ok(readdirSync(dest).length >= 1);
    docker('rm', '-f', data);
    const removedAt = Date.now();
    // A run in flight at the removal may fail otherwise; the first one started after it finds no container.
    const failed = await waitFor(
      async () => (await history(job)).find((r) => r.status === 'skipped' && Date.parse(r.start as string) > removedAt),
      'a skipped backup',
      20_000,
      500,
    );
    assert.equal(failed.reason, `target not running: no container named "${data}"`, JSON.stringify(await history(job)));
    docker('run', '-d', '--name', data, '--label', `${RUN_LABEL}=${RUN_ID}`, '-v', `${dataVolume}:/data`, BASE, 'sleep', '3600');
    const failedAt = Date.parse(failed.end as string);
    await waitFor(
      async () => (await history(job)).some((r) => r.status === 'succeeded' && Date.parse(r.start as string) > failedAt),
      'a backup after the container came back',
      45_000,
      500,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await history(job)).slice(-4))}`);
    });
    const list = await runCli(['backup', 'ls', '--from', dest, '--json'], { env: ENV });
    assert.equal(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as { backups: unknown[] }).backups.length >= 2);
  });

  it('one job id in labels and in the file: refused at start and in validate, listed invalid naming both sources', async () => {
    const dup = startFixture('dup', scoped(['--label', 'dockside.cron.dup.schedule=@hourly', '--label', 'dockside.cron.dup.exec=echo from-label', BASE, 'sleep', '3600']));
    assert.equal(dup, dupName);
    const both = new RegExp(`declared twice: by labels on container ${dup} and in ${join(tmp, 'jobs.yaml').replace(/[./]/g, '\\$&')}`);
    const v = await cli(['cron', 'validate', '--config', join(tmp, 'jobs.yaml')]);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stdout, new RegExp(`INVALID  ${dup}/dup  id: ${both.source}`));
    const start = await cli(['cron', 'start', '--config', join(tmp, 'jobs.yaml'), '--backup-dir', tmp]);
    assert.equal(start.code, 2, start.stderr);
    assert.match(start.stderr, new RegExp(`^dockside: job ${dup}/dup is ${both.source}`));
    const row = await waitFor(async () => (await ls()).find((r) => r.id === `${dup}/dup` && !r.valid), 'the clash in cron ls', 10_000, 300);
    assert.equal(row.field, 'id');
    assert.match(row.reason ?? '', both);
    docker('rm', '-f', dup);
  });

  it('a stopped container: its label jobs stay listed, their slots recorded skipped; nothing is caught up once it is back', async () => {
    const job = `${stopper}/beat`;
    await waitFor(async () => (await history(job)).some((r) => r.status === 'succeeded'), 'a first beat', 15_000, 300);
    docker('stop', '-t', '0', stopper);
    const stoppedAt = Date.now();
    const skipped = await waitFor(
      async () => (await history(job)).find((r) => r.status === 'skipped' && Date.parse(r.start as string) > stoppedAt + 1000),
      'a skipped slot',
      15_000,
      300,
    );
    assert.equal(skipped.reason, `target not running: container ${stopper} is exited`);
    const row = (await ls()).find((r) => r.id === job) as Row & { skipping?: string };
    assert.ok(row?.valid, 'still listed, valid');
    assert.equal(row.skipping, `target not running: container ${stopper} is exited`);
    const manual = await cli(['cron', 'run', job]);
    assert.equal(manual.code, 6, manual.stderr);
    assert.match(manual.stderr, /target not running/);
    await new Promise((r) => setTimeout(r, 3000));
    docker('start', stopper);
    const back = Date.now();
    await waitFor(async () => (await history(job)).some((r) => r.status === 'succeeded' && Date.parse(r.start as string) > back), 'a beat after the restart', 15_000, 300);
    const runs = (await history(job)).filter((r) => r.run && Date.parse(r.start as string) > stoppedAt);
    assert.ok(
      runs.every((r) => r.trigger !== 'catch-up'),
      `no catch-up without a deadline: ${JSON.stringify(runs)}`,
    );
    assert.ok(
      runs.every((r) => Date.parse(r.scheduled as string) > back - 2500),
      `no slot from while it was stopped ran: ${JSON.stringify(runs)}`,
    );
  });

  it('big output is streamed and bounded: the api-proxy survives it, the history keeps the tail, other jobs go on', async () => {
    const proxy = docker('ps', '-q', '--filter', `label=dockside.api-proxy.service=dockside-cron-${NAME}`);
    const startedAt = docker('inspect', '--format', '{{.State.StartedAt}}', proxy);
    const t0 = Date.now();
    // Output to /dev/null: the test reads only the exit code (and the history).
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'cron', 'run', `${app}/big`], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 0);
    const info = JSON.parse(docker('inspect', proxy))[0];
    assert.equal(info.State.StartedAt, startedAt, `the api-proxy was restarted (OOMKilled: ${info.State.OOMKilled})`);
    const big = (await history(`${app}/big`)).pop() as Run;
    assert.equal(big.status, 'succeeded', JSON.stringify(big));
    assert.match(big.tail ?? '', /y\nend-of-big\n$/);
    assert.ok((big.tail ?? '').length <= 2000, `a tail, not the output: ${(big.tail ?? '').length} chars`);
    const failed = (await history(`${app}/tick`)).filter((r) => r.status === 'failed' && Date.parse(r.start as string) >= t0);
    assert.deepEqual(failed, [], 'no tick failed meanwhile');
  });

  it('a restart of the api-proxy mid-run: the running job goes on and is recorded by its real result', async () => {
    const proxy = docker('ps', '-q', '--filter', `label=dockside.api-proxy.service=dockside-cron-${NAME}`);
    const run = cli(['cron', 'run', `${app}/steady`]);
    await waitFor(() => procs(app).includes('sleep 5'), 'the steady job running', 10_000, 100);
    const t0 = Date.now();
    docker('restart', '-t', '0', proxy);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const last = (await history(`${app}/steady`)).pop() as Run;
    assert.equal(last.status, 'succeeded', JSON.stringify(last));
    assert.equal(last.exitCode, 0);
    // Exec jobs that came due while the proxy was away were retried, not failed.
    await new Promise((res) => setTimeout(res, 2500));
    const failed = (await history(`${app}/tick`)).filter((x) => x.status === 'failed' && Date.parse(x.start as string) >= t0 - 1000);
    assert.deepEqual(failed, [], 'no tick failed across the restart');
  });

  it('Ctrl-C during cron run says the run goes on, exits 130; the run ends by itself', async () => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, 'cron', 'run', `${app}/steady`], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await waitFor(() => out.includes('steady-begin'), 'the run streaming', 15_000, 100);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130);
    assert.match(
      err,
      new RegExp(`dockside: ${app}/steady: stopped watching \\(SIGINT\\); the run goes on in the scheduler: see \`dockside cron history --job ${app}/steady --name ${NAME}\``),
    );
    const exitedAt = Date.now();
    // This run (the newest manual one since t0): it goes on and succeeds after the CLI left. (Whether
    // it is still running at the first look depends on how fast `cron history` answers.)
    const mine = async () => (await history(`${app}/steady`)).filter((r) => r.trigger === 'manual' && Date.parse(r.start as string) >= t0 - 1000).pop();
    const done = await waitFor(async () => ((await mine())?.status === 'succeeded' ? mine() : undefined), 'the run to end by itself', 20_000, 300);
    assert.ok(Date.parse(done?.end as string) > exitedAt, `the run ended after the CLI had left (${JSON.stringify(done)})`);
  });

  it('--backup-dir must be an existing directory: a missing one is not created, a file is refused', async () => {
    const missing = join(tmp, 'no-such-dir');
    const m = await cli(['cron', 'start', '--name', `${NAME}-x`, '--backup-dir', missing]);
    assert.equal(m.code, 2, m.stderr);
    assert.match(m.stderr, new RegExp(`^dockside: --backup-dir ${missing.replace(/[./]/g, '\\$&')} does not exist\n  hint: create it first`));
    assert.throws(() => readdirSync(missing), 'nothing was created');
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const f = await cli(['cron', 'start', '--name', `${NAME}-x`, '--backup-dir', file]);
    assert.equal(f.code, 2, f.stderr);
    assert.match(f.stderr, /is not a directory/);
    assert.equal(scheduler(`${NAME}-x`), '');
  });

  it('/metrics on loopback in the exporter conventions', () => {
    const text = docker('exec', scheduler(), 'node', '-e', "fetch('http://127.0.0.1:9325/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))");
    assert.match(text, new RegExp(`dockside_cron_job_runs_total\\{job="${app}/tick",status="succeeded"\\} \\d+`));
    assert.match(text, /# TYPE dockside_cron_job_last_success_timestamp_seconds gauge/);
    assert.match(text, /dockside_cron_jobs\{state="invalid"\} 4/);
    assert.match(text, new RegExp(`dockside_cron_job_last_exit_code\\{job="${app}/flaky"\\} 3`));
  });
});
