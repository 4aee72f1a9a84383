/**
 * Retention: which complete backups to keep under --keep-last/--keep-daily/--keep-weekly, per
 * container. The newest backup of each container is always kept. Pure.
 */
export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
}

export interface Dated {
  id: string;
  container: string;
  startedAt: string;
}

export interface Decision {
  id: string;
  container: string;
  startedAt: string;
  keep: boolean;
  reasons: string[];
}

export function hasPolicy(p: RetentionPolicy): boolean {
  return Boolean(p.keepLast || p.keepDaily || p.keepWeekly);
}

function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** ISO 8601 week, e.g. 2026-W47. */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const yearStart = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((t.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function applyRetention(backups: readonly Dated[], policy: RetentionPolicy): Decision[] {
  const byContainer = new Map<string, Dated[]>();
  for (const b of backups) byContainer.set(b.container, [...(byContainer.get(b.container) ?? []), b]);
  const out: Decision[] = [];
  for (const list of byContainer.values()) {
    const sorted = [...list].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
    const decisions = sorted.map((b) => ({ ...b, keep: false, reasons: [] as string[] }));
    const first = decisions[0];
    if (first) {
      first.keep = true;
      first.reasons.push('newest');
    }
    decisions.slice(0, policy.keepLast ?? 0).forEach((d, i) => {
      d.keep = true;
      d.reasons.push(`last ${i + 1}`);
    });
    const bucket = (n: number | undefined, key: (d: Date) => string, label: string) => {
      if (!n) return;
      const seen = new Set<string>();
      for (const d of decisions) {
        const k = key(new Date(d.startedAt));
        if (seen.has(k)) continue;
        if (seen.size >= n) break;
        seen.add(k);
        d.keep = true;
        d.reasons.push(`${label} ${k}`);
      }
    };
    bucket(policy.keepDaily, dayKey, 'daily');
    bucket(policy.keepWeekly, isoWeekKey, 'weekly');
    out.push(...decisions);
  }
  return out;
}
