import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { collect, createCollector } from './collector.js';
import { escapeLabelValue, renderExposition, sanitizeLabelName } from './exposition.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'v2-systemd');
const A = 'a1'.repeat(32);
const B = 'b2'.repeat(32);

function text(): string {
  const state = createCollector({ cgroupRoot: join(FIX, 'sys/fs/cgroup'), procRoot: join(FIX, 'proc') });
  assert.ok(state);
  const col = collect(state, [
    { id: A, name: 'web', image: 'nginx:1.27', labels: { 'com.docker.compose.service': 'web', secret: 'no' }, pid: 4242 },
    { id: B, name: 'side"car', image: 'busybox', labels: {}, networkMode: `container:${A}`, pid: 4300 },
  ]);
  return renderExposition(col, { labelAllowList: ['com.docker.compose.service'] });
}

describe('Prometheus exposition', () => {
  it('cAdvisor names, one HELP/TYPE per family, counters end in _total, gauges do not', () => {
    const t = text();
    const types = [...t.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m): [string, string] => [m[1] as string, m[2] as string]);
    assert.equal(new Set(types.map(([n]) => n)).size, types.length, 'no family declared twice');
    for (const [name, type] of types) {
      assert.equal(name.endsWith('_total'), type === 'counter', `${name} is a ${type}`);
      assert.match(t, new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    for (const name of [
      'container_cpu_usage_seconds_total',
      'container_memory_working_set_bytes',
      'container_network_receive_bytes_total',
      'container_fs_writes_bytes_total',
      'container_oom_events_total',
    ]) {
      assert.ok(
        types.some(([n]) => n === name),
        name,
      );
    }
  });

  it('labels: id as /docker/<id>, name, image, allowed container labels only, values escaped', () => {
    const t = text();
    assert.ok(t.includes(`container_cpu_usage_seconds_total{id="/docker/${A}",image="nginx:1.27",name="web",container_label_com_docker_compose_service="web"} 2.5\n`));
    assert.ok(t.includes(`name="side\\"car"`));
    assert.ok(!t.includes('secret'), 'labels not on the allow-list stay out');
    assert.equal(escapeLabelValue('a\\b\n"c"'), 'a\\\\b\\n\\"c\\"');
    assert.equal(sanitizeLabelName('com.example/team-1'), 'com_example_team_1');
    assert.equal(sanitizeLabelName('1x'), '_1x');
  });

  it('per-device and per-interface series; a joined container exports no network series; no lo', () => {
    const t = text();
    assert.match(t, /container_fs_writes_bytes_total\{[^}]*name="web",[^}]*device="259:0"\} 52428800/);
    assert.match(t, /container_network_transmit_packets_dropped_total\{[^}]*name="web"[^}]*,interface="eth0"\} 4/);
    assert.ok(!/container_network_\w+\{[^}]*name="side/.test(t));
    assert.ok(!t.includes('interface="lo"'));
    assert.match(t, /container_spec_memory_limit_bytes\{[^}]*name="side\\"car"\} 0/);
    assert.match(t, /container_spec_cpu_quota_cores\{[^}]*name="web"[^}]*\} 1\.5/);
  });

  it('every sample line is name{labels} value', () => {
    for (const line of text().split('\n')) {
      if (!line || line.startsWith('#')) continue;
      assert.match(line, /^[a-z_]+\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)+\} -?\d+(\.\d+)?(e[-+]\d+)?$/, line);
    }
  });
});
