// Demo step for `npm run demo`: an nginx (Debian's nginx-light, in an image built here FROM the
// dockside base; kept for the next run) whose config lives in a volume and is declared by labels
// (dockside.config.nginx.path/.validate/.reload/.check). Three changes through `dockside config
// apply web nginx --from FILE`: one nginx -t refuses (the file is untouched), a good one (served
// after HUP, same container), and one that passes nginx -t but breaks /health (rolled back). About 40 s
// (plus about 35 s the first time, to build the image).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const NAME = 'dockside-demo-nginx';
const VOLUME = 'dockside-demo-nginx-conf';

const conf = (body, health = 'return 200 "ok\\n";') => `worker_processes 1;
error_log stderr;
pid /tmp/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  server {
    listen 8080;
    location /health { ${health} }
    location / { return 200 "${body}\\n"; }
  }
}
`;

function docker(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function image(tag, dir) {
  const ref = `dockside-demo/nginx:${tag}`;
  if (spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0) return ref;
  writeFileSync(
    join(dir, 'Dockerfile'),
    `ARG BASE\nFROM \${BASE}\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light && rm -rf /var/lib/apt/lists/*\nENTRYPOINT ["nginx", "-c", "/conf/nginx.conf", "-g", "daemon off;"]\n`,
  );
  const r = spawnSync('docker', ['build', '-q', '--build-arg', `BASE=dockside/base:${tag}`, '-t', ref, dir], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  if (r.status !== 0) throw new Error(`building ${ref}: ${r.stderr.trim().split('\n').pop()}`);
  return ref;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function served(port) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/`);
    return `${r.status} ${(await r.text()).trim()}`;
  } catch (err) {
    return `no answer (${err.message})`;
  }
}

export default async function demo(ctx) {
  const dir = mkdtempSync(join(ctx.tmp, 'config-'));
  const tag = process.env.DOCKSIDE_IMAGE_TAG || (await import('../../packages/cli/package.json', { with: { type: 'json' } })).default.version;
  const port = await freePort();
  try {
    ctx.log(`config: an nginx (${NAME}) whose nginx.conf is in volume ${VOLUME}; labels declare how to validate, reload and check it`);
    const ref = image(tag, dir);
    writeFileSync(join(dir, 'nginx.conf'), conf('version one'));
    docker('volume', 'create', '--label', 'dockside.demo=true', VOLUME);
    docker('run', '--rm', '-v', `${VOLUME}:/conf`, '-v', `${dir}:/seed:ro`, `dockside/base:${tag}`, 'cp', '/seed/nginx.conf', '/conf/nginx.conf');
    docker(
      'run',
      '-d',
      '--name',
      NAME,
      '--label',
      'dockside.demo=true',
      '-v',
      `${VOLUME}:/conf`,
      '-p',
      `127.0.0.1:${port}:8080`,
      '--label',
      'dockside.config.nginx.path=/conf/nginx.conf',
      '--label',
      'dockside.config.nginx.validate=nginx -t -c {}',
      '--label',
      'dockside.config.nginx.reload=HUP',
      '--label',
      'dockside.config.nginx.check=http:8080/health',
      ref,
    );
    for (let i = 0; i < 50 && !(await served(port)).startsWith('200'); i++) await new Promise((r) => setTimeout(r, 100));
    const started = docker('inspect', '-f', '{{.State.StartedAt}}', NAME);
    console.log(`serving: ${await served(port)}`);

    ctx.log('a config nginx -t refuses: nothing changes');
    writeFileSync(join(dir, 'bad.conf'), 'this is not nginx;\n');
    const bad = await ctx.cli(['config', 'apply', NAME, 'nginx', '--from', join(dir, 'bad.conf'), '--yes']);
    if (bad.code !== 1) throw new Error(`a refused config exited ${bad.code}`);
    console.log(`serving: ${await served(port)}`);

    ctx.log('a good one: validated, renamed into place, HUP, healthy');
    writeFileSync(join(dir, 'two.conf'), conf('version two'));
    const good = await ctx.cli(['config', 'apply', NAME, 'nginx', '--from', join(dir, 'two.conf'), '--yes']);
    if (good.code !== 0) throw new Error(`a good config exited ${good.code}`);
    const same = docker('inspect', '-f', '{{.State.StartedAt}}', NAME) === started;
    console.log(`serving: ${await served(port)} (${same ? 'same container start time: reloaded, not restarted' : 'RESTARTED'})`);

    ctx.log('one that passes nginx -t but breaks /health: rolled back');
    writeFileSync(join(dir, 'broken.conf'), conf('version three', 'return 500 "broken\\n";'));
    const broken = await ctx.cli(['config', 'apply', NAME, 'nginx', '--from', join(dir, 'broken.conf'), '--yes', '--deadline', '3s']);
    if (broken.code !== 1) throw new Error(`a health-breaking config exited ${broken.code}`);
    console.log(`serving: ${await served(port)}`);
    await ctx.cli(['config', 'history', NAME, 'nginx']);
  } finally {
    spawnSync('docker', ['rm', '-f', NAME], { stdio: 'ignore' });
    spawnSync('docker', ['volume', 'rm', '-f', VOLUME], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
