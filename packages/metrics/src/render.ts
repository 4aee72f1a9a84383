/** Human rendering of rates: the snapshot table and top's frame share it. Pure. */
import { formatBytes, formatRate, renderTable } from '@dockside/common';
import type { ContainerRates } from './rates.js';

export const TABLE_HEADERS = ['NAME', 'CPU %', 'MEM', 'LIMIT', 'WORKING SET', 'NET RX/s', 'NET TX/s', 'BLOCK R/s', 'BLOCK W/s', 'PIDS'] as const;

function net(r: ContainerRates, v: number | null): string {
  if (r.networkHost) return 'host';
  if (r.networkSharedWith) return `(${r.networkSharedWith})`;
  return v === null ? '-' : formatRate(v);
}

export function rateRow(r: ContainerRates): string[] {
  return [
    r.name,
    r.cpuPercent.toFixed(1),
    formatBytes(r.memoryUsageBytes),
    r.memoryLimitBytes === null ? 'none' : formatBytes(r.memoryLimitBytes),
    formatBytes(r.memoryWorkingSetBytes),
    net(r, r.netRxBytesPerSecond),
    net(r, r.netTxBytesPerSecond),
    formatRate(r.blockReadBytesPerSecond),
    formatRate(r.blockWriteBytesPerSecond),
    r.pidsLimit === null ? String(r.pids) : `${r.pids}/${r.pidsLimit}`,
  ];
}

export function renderRates(rows: ContainerRates[]): string {
  return renderTable([...TABLE_HEADERS], rows.map(rateRow), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
}
