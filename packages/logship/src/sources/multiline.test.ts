import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MULTILINE_PRESETS, resolveMultiline } from '../config.js';
import { MultilineGrouper } from './multiline.js';

const T = '2026-11-22T04:20:27.044610233Z';
function group(preset: string, lines: string[]): string[] {
  const g = new MultilineGrouper(new RegExp(MULTILINE_PRESETS[preset] as string), 1 << 20);
  const out = lines.flatMap((m, i) => g.push({ stream: 'stdout', ts: T, message: Buffer.from(m), truncated: false, position: { ts: T, n: i + 1 } }));
  const last = g.flush();
  return [...out, ...(last ? [last] : [])].map((l) => l.message.toString());
}

describe('multi-line presets', () => {
  it('python: a traceback and its final exception line are one record', () => {
    const tb = ['Traceback (most recent call last):', '  File "app.py", line 3, in <module>', '    main()', 'ValueError: bad'];
    const g = group('python', ['start', ...tb, 'next']);
    assert.deepEqual(g, ['start', tb.join('\n'), 'next']);
  });
  it('go: a panic with its goroutine dump is one record', () => {
    const p = ['panic: runtime error: index out of range', '', 'goroutine 1 [running]:', 'main.main()', '\t/app/main.go:7 +0x1d', 'exit status 2'];
    const g = group('go', ['ok', ...p]);
    assert.equal(g[0], 'ok');
    assert.ok(g[1]?.startsWith('panic: runtime error'));
    assert.ok(g[1]?.includes('goroutine 1 [running]:'));
  });
  it('java: at/Caused by/... lines join the exception', () => {
    assert.deepEqual(group('java', ['a', 'E: x', '\tat b.c(D.java:1)', 'Caused by: y', '\t... 2 more', 'z']), ['a', 'E: x\n\tat b.c(D.java:1)\nCaused by: y\n\t... 2 more', 'z']);
  });
  it('a bad expression is a usage error', () => {
    assert.throws(() => resolveMultiline('(unclosed'), /not a valid regular expression/);
  });
});
