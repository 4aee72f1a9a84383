/**
 * Restore never writes outside the directory it extracts into, whatever the archive holds (GNU
 * tar's and restic's rule): an entry through a symlink the archive planted earlier, a hard link
 * through one, `..`, or a directory entry over a planted symlink is refused, and nothing outside
 * the staging directory changes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { pack as makePack } from 'tar-stream';
import { CorruptArchiveError } from '../errors.js';
import { extractTar } from './tar-read.js';

type E = { name: string; type: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string; body?: string; mode?: number };

async function archive(entries: E[]): Promise<Readable> {
  const p = makePack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => p.on('end', r));
  for (const e of entries) {
    await new Promise<void>((res, rej) =>
      p.entry({ name: e.name, type: e.type, mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '', (err) =>
        err ? rej(err) : res(),
      ),
    );
  }
  p.finalize();
  await done;
  return Readable.from([Buffer.concat(chunks)]);
}

function setup() {
  const base = fs.mkdtempSync(join(tmpdir(), 'ds-escape-'));
  const outside = join(base, 'outside');
  const staging = join(base, 'staging');
  fs.mkdirSync(outside);
  fs.mkdirSync(staging);
  fs.writeFileSync(join(outside, 'victim'), 'original');
  return { base, outside, staging, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

const cases: Array<[string, (outside: string) => E[]]> = [
  [
    'a file through a planted absolute symlink',
    (o) => [
      { name: 'evil', type: 'symlink', linkname: o },
      { name: 'evil/pwned', type: 'file', body: 'x', mode: 0o4755 },
    ],
  ],
  [
    'a file through a planted relative symlink',
    () => [
      { name: 'evil', type: 'symlink', linkname: '../outside' },
      { name: 'evil/pwned', type: 'file', body: 'x' },
    ],
  ],
  [
    'a directory through a planted symlink',
    (o) => [
      { name: 'evil', type: 'symlink', linkname: o },
      { name: 'evil/pwned', type: 'directory' },
    ],
  ],
  [
    'a symlink through a planted symlink',
    (o) => [
      { name: 'evil', type: 'symlink', linkname: o },
      { name: 'evil/pwned', type: 'symlink', linkname: '/etc/passwd' },
    ],
  ],
  [
    'a deeper path through a planted symlink',
    (o) => [
      { name: 'a', type: 'directory' },
      { name: 'a/evil', type: 'symlink', linkname: o },
      { name: 'a/evil/sub/pwned', type: 'file', body: 'x' },
    ],
  ],
  [
    'a hard link to a file outside, through a planted symlink',
    (o) => [
      { name: 'evil', type: 'symlink', linkname: o },
      { name: 'pwned', type: 'link', linkname: 'evil/victim' },
    ],
  ],
  [
    'a file over a hard link to a planted symlink',
    (o) => [
      { name: 'evil', type: 'symlink', linkname: o },
      { name: 'evil2', type: 'link', linkname: 'evil' },
      { name: 'evil2/pwned', type: 'file', body: 'x' },
    ],
  ],
  [
    'a directory entry over a planted symlink, then a file in it',
    (o) => [
      { name: 'evil', type: 'symlink', linkname: o },
      { name: 'evil', type: 'directory', mode: 0o777 },
      { name: 'evil/pwned', type: 'file', body: 'x' },
    ],
  ],
  ['a .. entry', () => [{ name: '../outside/pwned', type: 'file', body: 'x' }]],
];

for (const [what, entries] of cases) {
  test(`restore refuses ${what}; nothing outside changes`, async () => {
    const { outside, staging, cleanup } = setup();
    try {
      const before = fs.statSync(outside);
      await assert.rejects(extractTar(await archive(entries(outside)), staging), CorruptArchiveError);
      assert.deepEqual(fs.readdirSync(outside), ['victim']);
      assert.equal(fs.readFileSync(join(outside, 'victim'), 'utf8'), 'original');
      const after = fs.statSync(outside);
      assert.equal(after.mode, before.mode, 'the outside directory kept its mode');
      // verify (a dry run) reports the same archive as unsafe.
      await assert.rejects(extractTar(await archive(entries(outside)), '/nonexistent', { dryRun: true }), CorruptArchiveError);
    } finally {
      cleanup();
    }
  });
}

test('an absolute entry name is extracted inside, not at its absolute path', async () => {
  const { base, outside, staging, cleanup } = setup();
  try {
    await extractTar(await archive([{ name: `${outside}/abs`, type: 'file', body: 'x' }]), staging);
    assert.deepEqual(fs.readdirSync(outside), ['victim']);
    assert.ok(fs.existsSync(join(staging, base.slice(1), 'outside', 'abs')));
  } finally {
    cleanup();
  }
});

test('symlinks that point outside are restored as symlinks, never followed', async () => {
  const { outside, staging, cleanup } = setup();
  try {
    await extractTar(
      await archive([
        { name: 'out', type: 'symlink', linkname: outside },
        { name: 'rel', type: 'symlink', linkname: '../../etc' },
        { name: 'file', type: 'file', body: 'ok' },
        { name: 'hard', type: 'link', linkname: 'file' },
      ]),
      staging,
    );
    assert.equal(fs.readlinkSync(join(staging, 'out')), outside);
    assert.equal(fs.readFileSync(join(staging, 'hard'), 'utf8'), 'ok');
    assert.deepEqual(fs.readdirSync(outside), ['victim']);
  } finally {
    cleanup();
  }
});
