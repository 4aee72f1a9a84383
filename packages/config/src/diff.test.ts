import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unifiedDiff } from './diff.js';

/** GNU diff -u of the same two texts, without its two header lines. */
function gnuDiff(a: string, b: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ds-diff-'));
  try {
    writeFileSync(join(dir, 'a'), a);
    writeFileSync(join(dir, 'b'), b);
    const r = spawnSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    return r.stdout.split('\n').slice(2).join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const body = (d: string) => d.split('\n').slice(2).join('\n');

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', { from: 'a', to: 'b' }), ''));

  it('prints what GNU diff -u prints, hunk for hunk', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const cases: Array<[string, string]> = [
      ['a\nb\nc\n', 'a\nB\nc\n'],
      ['', 'new\n'],
      ['old\n', ''],
      [`${lines.join('\n')}\n`, `${lines.map((l, i) => (i === 3 || i === 30 ? `${l} changed` : l)).join('\n')}\n`],
      [`${lines.join('\n')}\n`, `${lines.filter((_, i) => i !== 10 && i !== 14).join('\n')}\nappended\n`],
      ['x\ny', 'x\ny\n'],
      ['worker_processes 1;\nevents {}\nhttp {\n  server { listen 80; }\n}\n', 'worker_processes 2;\nevents {}\nhttp {\n  server { listen 8080; return 200; }\n}\n'],
    ];
    for (const [a, b] of cases) assert.equal(body(unifiedDiff(a, b, { from: 'a', to: 'b' })), gnuDiff(a, b), JSON.stringify([a, b]));
  });
});
