/**
 * Images as a new machine gets them: the netdebug image's pcap addon must be built for the
 * image's Node 22 whatever the caller's environment holds (this machine's npm config sets
 * `nodedir`, so every `npm run` exports npm_config_nodedir=/usr, which node-gyp lets win over its
 * --nodedir), a cached addon for another ABI is rebuilt, `dockside images build` never keeps an
 * image whose program does not start, and `dockside doctor` starts each image's program.
 *
 * Each test works in its own empty cache (DOCKSIDE_CACHE_DIR) and under image tags of its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeLine } from '@dockside/common';
import { hashDirectory } from '../../packages/cli/src/services/context-hash.js';
import { IMAGE_TAG, ROOT, RUN_ID, VERSION, docker, requireEngine, runCli } from '../support/engine.js';

const PREPARE = join(ROOT, 'packages', 'netdebug', 'scripts', 'prepare-image.mjs');
const ADDON = join('node_modules', 'pcap', 'build', 'Release', 'pcap_binding.node');
/**
 * An addon the image's Node cannot load: the one `npm install` built for the host's Node (20 on
 * the machines dockside targets, another ABI than the image's 22); on a host that runs Node 22
 * itself, the same file cut short.
 */
function wrongAddon(dir: string): string {
  const host = readFileSync(join(ROOT, ADDON));
  const out = join(dir, 'wrong-pcap_binding.node');
  writeFileSync(out, process.versions.node.startsWith('22.') ? host.subarray(0, 4096) : host);
  return out;
}
/** What the image's Node says about that addon. */
const WRONG = process.versions.node.startsWith('22.') ? '(too short|invalid ELF|file too short)' : 'NODE_MODULE_VERSION \\d+';
const TAG = `test-${RUN_ID}`;

/** Run the prepare step as `npm run build` does on this machine: npm_config_nodedir=/usr set. */
function prepare(cache: string, outdir: string) {
  return spawnSync(process.execPath, [PREPARE, outdir], {
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: '/usr', npm_config_target: process.versions.node, DOCKSIDE_CACHE_DIR: cache },
  });
}

function targetAbi(cache: string): number {
  const header = readFileSync(join(cache, 'node22-dist', 'include', 'node', 'node_version.h'), 'utf8');
  return Number(/^#define NODE_MODULE_VERSION (\d+)/m.exec(header)?.[1]);
}

/** `docker build` with the classic builder (no BuildKit on the machines dockside is tested on). */
function dockerBuild(args: string[]): void {
  const r = spawnSync('docker', ['build', '-q', ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  if (r.status !== 0) throw new Error(`docker build failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
}

function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

/** A copy of images/ whose netdebug context we can change. */
function copyImages(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ds-images-'));
  cpSync(join(ROOT, 'images'), dir, { recursive: true });
  return dir;
}

const offline = () => (imageExists('node:22-bookworm-slim') ? [] : ['--offline']);

describe('images: the netdebug addon, the startup check, doctor', { timeout: 600_000 }, () => {
  const temps: string[] = [];
  const images: string[] = [];
  const temp = (d: string) => (temps.push(d), d);

  before(async () => {
    await requireEngine();
    // This run's tag starts from the same base as the images under test (only tagged, not rebuilt).
    docker('tag', `dockside/base:${IMAGE_TAG}`, `dockside/base:${TAG}`);
    images.push(`dockside/base:${TAG}`);
  });

  after(() => {
    const refs = [...images, `dockside/netdebug:${TAG}`, `dockside/netdebug:${TAG}-unchecked`].filter(imageExists);
    if (refs.length) spawnSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  it('images ls lists the images dockside built, not application images built FROM dockside/base', async () => {
    // Inherits every dockside.image.* label, as any image FROM the base does (intermediates too).
    const app = `dstest-app-${RUN_ID}:1`;
    const dir = temp(mkdtempSync(join(tmpdir(), 'ds-app-')));
    writeFileSync(join(dir, 'Dockerfile'), `FROM dockside/base:${TAG}\nRUN echo app > /app.txt\nCMD ["cat", "/app.txt"]\n`);
    dockerBuild(['-t', app, dir]);
    images.push(app);
    assert.equal(docker('image', 'inspect', '-f', '{{index .Config.Labels "dockside.image"}}', app), 'true', 'the app image carries the inherited label');
    const r = await runCli(['images', 'ls', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ tags: string[]; role: string }>;
    const tags = rows.flatMap((x) => x.tags);
    assert.ok(!tags.includes(app), `the application image is not listed: ${tags.join(', ')}`);
    assert.ok(tags.includes(`dockside/base:${TAG}`), 'the base is');
    assert.ok(tags.includes(`dockside/netdebug:${IMAGE_TAG}`), 'and the sidecar images are');
    assert.ok(rows.every((x) => x.tags.length > 0 && x.tags.every((t) => t.startsWith(`dockside/${x.role}:`))));
    const table = await runCli(['images', 'ls']);
    assert.ok(!table.stdout.includes('dstest-app-') && !table.stdout.includes('<none>'), table.stdout);
  });

  it('builds the addon for the image Node with npm_config_nodedir=/usr set, and the image loads it', async () => {
    const cache = temp(mkdtempSync(join(tmpdir(), 'ds-cache-')));
    const imagesDir = temp(copyImages());
    const context = join(imagesDir, 'netdebug');
    rmSync(join(context, 'build', 'node_modules'), { recursive: true, force: true });

    const r = prepare(cache, join(context, 'build'));
    assert.equal(r.status, 0, `prepare-image failed: ${r.stderr}`);
    assert.match(r.stderr, /building the pcap \S+ addon for Node 22 \(ABI \d+\)/);
    const abi = targetAbi(cache);
    assert.ok(abi >= 127, `Node 22's ABI is 127 or more, got ${abi}`);
    const entry = join(cache, `pcap-${JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pcap', 'package.json'), 'utf8')).version}-abi${abi}`);
    assert.equal(JSON.parse(readFileSync(join(entry, 'built-for.json'), 'utf8')).abi, abi);

    // The image's own Node loads what was built (the Dockerfile as `images build` uses it).
    const ref = `dockside/netdebug-addon-check:${TAG}`;
    images.push(ref);
    dockerBuild(['--build-arg', `BASE_IMAGE=dockside/base:${TAG}`, '-t', ref, context]);
    const load = spawnSync(
      'docker',
      ['run', '--rm', '--network', 'none', '--entrypoint', 'node', ref, '-e', "require('/opt/dockside/node_modules/pcap'); console.log(process.versions.modules)"],
      { encoding: 'utf8' },
    );
    assert.equal(load.status, 0, `the image's Node cannot load the addon: ${load.stderr}`);
    assert.equal(Number(load.stdout.trim()), abi, 'the image runs the Node whose ABI the addon was built for');
    const selftest = spawnSync('docker', ['run', '--rm', '--network', 'none', ref, 'selftest'], { encoding: 'utf8' });
    assert.equal(selftest.status, 0, selftest.stderr);
    assert.match(selftest.stdout, /^netdebug \S+ libpcap version/);

    // A second run reuses the cache entry (no rebuild) ...
    const again = prepare(cache, join(context, 'build'));
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /building the pcap/);
    // ... unless it was recorded for another ABI ...
    writeFileSync(join(entry, 'built-for.json'), JSON.stringify({ abi: 115, pcap: '3.1.0' }));
    const recorded = prepare(cache, join(context, 'build'));
    assert.equal(recorded.status, 0, recorded.stderr);
    assert.match(recorded.stderr, /building the pcap/);
    assert.equal(JSON.parse(readFileSync(join(entry, 'built-for.json'), 'utf8')).abi, abi);
    // ... or its binary does not load in Node 22 whatever the record says (a Node 20 build here).
    const wrong = wrongAddon(cache);
    cpSync(wrong, join(entry, 'pcap', 'build', 'Release', 'pcap_binding.node'));
    const swapped = prepare(cache, join(context, 'build'));
    assert.equal(swapped.status, 0, swapped.stderr);
    assert.match(swapped.stderr, /building the pcap/);
    assert.notDeepEqual(readFileSync(join(context, 'build', ADDON)), readFileSync(wrong));
  });

  it('images build keeps no netdebug image whose addon does not load, and says so in one line', async () => {
    const imagesDir = temp(copyImages());
    cpSync(wrongAddon(imagesDir), join(imagesDir, 'netdebug', 'build', ADDON));
    const r = await runCli(['images', 'build', '--only', 'netdebug', ...offline()], {
      env: { DOCKSIDE_IMAGE_TAG: TAG, DOCKSIDE_IMAGES_DIR: imagesDir },
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 1, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('dockside:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(
      errors[0] ?? '',
      new RegExp(
        `dockside/netdebug:${TAG} was built but its program does not start, so it was not kept: \`selftest\` exited 1: dockside-netdebug: the pcap library is not available: .*${WRONG}`,
      ),
    );
    assert.match(r.stderr, /hint: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(imageExists(`dockside/netdebug:${TAG}`), false, 'the bad image is not tagged');
    assert.equal(imageExists(`dockside/netdebug:${TAG}-unchecked`), false, 'the candidate is removed');
  });

  it('doctor starts each image program and names the remedy for one that does not start', async () => {
    // A netdebug image as an earlier dockside built it when the addon was wrong: present, current
    // (the context hash doctor expects), labelled for this version, and unable to load pcap.
    const imagesDir = temp(copyImages());
    const context = join(imagesDir, 'netdebug');
    cpSync(wrongAddon(imagesDir), join(context, 'build', ADDON));
    const baseId = docker('image', 'inspect', '-f', '{{.Id}}', `dockside/base:${TAG}`);
    const hash = await hashDirectory(context, [baseId]);
    dockerBuild([
      '--build-arg',
      `BASE_IMAGE=dockside/base:${TAG}`,
      '-t',
      `dockside/netdebug:${TAG}`,
      '--label',
      'dockside.image=true',
      '--label',
      'dockside.image.role=netdebug',
      '--label',
      `dockside.image.version=${VERSION}`,
      '--label',
      `dockside.image.context-hash=${hash}`,
      context,
    ]);
    assert.ok(statSync(join(context, 'build', ADDON)).size > 0);

    const r = await runCli(['doctor', '--json'], { env: { DOCKSIDE_IMAGE_TAG: TAG, DOCKSIDE_IMAGES_DIR: imagesDir } });
    assert.equal(r.code, 1, r.stderr);
    const checks = (JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean; detail: string; remedy?: string }> }).checks;
    const byName = new Map(checks.map((c) => [c.name, c]));
    assert.equal(byName.get('image base')?.ok, true, JSON.stringify(byName.get('image base')));
    assert.match(byName.get('image base')?.detail ?? '', /starts$/);
    const nd = byName.get('image netdebug');
    assert.equal(nd?.ok, false, JSON.stringify(nd));
    assert.match(nd?.detail ?? '', new RegExp(`dockside/netdebug:${TAG} does not start: \`selftest\` exited 1: dockside-netdebug: the pcap library is not available: .*${WRONG}`));
    assert.match(nd?.remedy ?? '', /dockside images build --force/);

    // The hint inside the image names the image, not npm.
    const inImage = spawnSync('docker', ['run', '--rm', '--network', 'none', `dockside/netdebug:${TAG}`, 'selftest'], { encoding: 'utf8' });
    // Not on a terminal, the program reports through the sidecar protocol: one error event.
    const decoded = inImage.stderr
      .trim()
      .split('\n')
      .map((l) => decodeLine(l));
    const error = decoded.find((d) => d.kind === 'event' && d.event.type === 'error');
    assert.ok(error?.kind === 'event' && error.event.type === 'error', inImage.stderr);
    assert.match(error.event.hint ?? '', /the netdebug image carries a broken pcap addon: rebuild it with `dockside images build --force`/);
    assert.doesNotMatch(inImage.stderr, /npm rebuild/);
  });

  it('doctor passes on the images under test, each started', async () => {
    const r = await runCli(['doctor', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const checks = (JSON.parse(r.stdout) as { checks: Array<{ name: string; ok: boolean; detail: string }> }).checks;
    const imagesChecked = checks.filter((c) => c.name.startsWith('image '));
    assert.equal(imagesChecked.length, 9); // base and the eight sidecar images
    for (const c of imagesChecked) assert.match(c.detail, /, starts$/, c.name);
  });
});
