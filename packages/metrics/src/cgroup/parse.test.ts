import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBlkio, parseCpuMax, parseFlatKeyed, parseIoStat, parseNetDevFull, parseProcCgroup, parseSingle, parseUsageAll, v1CpuQuota, v1Limit } from './parse.js';

describe('cgroup parsers', () => {
  it('flat keyed files, ignoring junk lines', () => {
    const m = parseFlatKeyed('usage_usec 10\nuser_usec 7\n\nbogus\nsystem_usec x\n');
    assert.deepEqual(
      [...m],
      [
        ['usage_usec', 10],
        ['user_usec', 7],
      ],
    );
  });

  it('single values and limits: v2 "max" and v1 PAGE_COUNTER_MAX mean no limit', () => {
    assert.equal(parseSingle('max\n'), null);
    assert.equal(parseSingle('42\n'), 42);
    assert.equal(v1Limit('9223372036854771712\n'), null);
    assert.equal(v1Limit('268435456\n'), 268435456);
    assert.equal(v1Limit('-1'), null);
  });

  it('CPU quota: v2 cpu.max and v1 cfs quota/period as cores', () => {
    assert.equal(parseCpuMax('max 100000\n'), null);
    assert.equal(parseCpuMax('150000 100000\n'), 1.5);
    assert.equal(v1CpuQuota('-1\n', '100000\n'), null);
    assert.equal(v1CpuQuota('50000\n', '100000\n'), 0.5);
  });

  it('v2 io.stat: several devices, unknown keys ignored', () => {
    const io = parseIoStat('8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n259:1 rbytes=10 wbytes=20 rios=30 wios=40 cost.usage=9\n');
    assert.deepEqual(io, [
      { device: '8:0', readBytes: 1, writeBytes: 2, reads: 3, writes: 4 },
      { device: '259:1', readBytes: 10, writeBytes: 20, reads: 30, writes: 40 },
    ]);
  });

  it('v1 blkio: bytes and operations merged per device; Total lines ignored', () => {
    const io = parseBlkio('254:0 Read 4096\n254:0 Write 8192\n254:0 Sync 1\n254:0 Total 12288\nTotal 12288\n', '254:0 Read 1\n254:0 Write 2\nTotal 3\n');
    assert.deepEqual(io, [{ device: '254:0', readBytes: 4096, writeBytes: 8192, reads: 1, writes: 2 }]);
    assert.deepEqual(parseBlkio('Total 0\n', 'Total 0\n'), []);
  });

  it('/proc/<pid>/net/dev: every counter, names with and without padding', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0:1234567890 8000    1    2    0     0          0         0  2097152    4000    3    4    0     0       0          0
`;
    const [lo, eth0] = parseNetDevFull(text);
    assert.equal(lo?.iface, 'lo');
    assert.deepEqual(eth0, {
      iface: 'eth0',
      rxBytes: 1234567890,
      rxPackets: 8000,
      rxErrors: 1,
      rxDropped: 2,
      txBytes: 2097152,
      txPackets: 4000,
      txErrors: 3,
      txDropped: 4,
    });
  });

  it('v1 cpuacct.usage_all (recorded): user and system summed over CPUs, in ns', () => {
    assert.deepEqual(parseUsageAll('cpu user system\n0 28000000 20000000\n1 16000000 31979320\n'), { user: 44000000, system: 51979320 });
  });

  it('/proc/<pid>/cgroup: v1 controllers and the v2 unified entry', () => {
    const m = parseProcCgroup('4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/system.slice/docker-abc.scope\n');
    assert.equal(m.get('memory'), '/docker/abc');
    assert.equal(m.get('cpuacct'), '/docker/abc');
    assert.equal(m.get(''), '/system.slice/docker-abc.scope');
  });
});
