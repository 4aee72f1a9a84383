import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataMounts, parseMountinfo, parseNetDev, parseProcNetTcp } from './procfs.js';

// Recorded from a sidecar started with --volumes-from on this machine (trimmed).
const MOUNTINFO = `612 543 0:57 / / rw,relatime master:250 - overlay overlay rw,lowerdir=/x
613 612 0:60 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
614 612 0:61 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
620 612 254:1 /var/lib/docker/volumes/demo-data/_data /srv/data rw,relatime master:1 - ext4 /dev/vda1 rw
621 612 254:1 /srv/my\\040dir /mnt/with\\040space ro,relatime - ext4 /dev/vda1 rw
622 612 254:1 /usr/bin/docker-init /sbin/docker-init ro,relatime - ext4 /dev/vda1 rw
623 612 254:1 /var/lib/docker/containers/x/hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw
`;

describe('mountinfo', () => {
  it('keeps the data mounts and unescapes paths', () => {
    const m = dataMounts(parseMountinfo(MOUNTINFO));
    assert.deepEqual(
      m.map((x) => [x.mountPoint, x.readOnly]),
      [
        ['/srv/data', false],
        ['/mnt/with space', true],
      ],
    );
  });
});

describe('/proc/net', () => {
  it('finds listening sockets, v4 and v6', () => {
    const v4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0200A8C0:C350 0100A8C0:0050 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0`;
    assert.deepEqual(parseProcNetTcp(v4, 'tcp'), [
      { protocol: 'tcp', address: '0.0.0.0', port: 8080 },
      { protocol: 'tcp', address: '127.0.0.1', port: 3306 },
    ]);
    const v6 = `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000`;
    assert.deepEqual(parseProcNetTcp(v6, 'tcp6'), [{ protocol: 'tcp6', address: '::', port: 8080 }]);
  });
  it('reads interface counters', () => {
    const dev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    4860      50    0    0    0     0          0         0     1234      12    0    0    0     0       0          0`;
    assert.deepEqual(parseNetDev(dev), [
      { name: 'lo', rxBytes: 100, txBytes: 100 },
      { name: 'eth0', rxBytes: 4860, txBytes: 1234 },
    ]);
  });
});
