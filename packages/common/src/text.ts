/** Small text helpers: edit distance for "did you mean", and plain-text tables. */

/** Levenshtein distance, O(a*b) time and O(b) memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? 0;
}

/**
 * The names closest to `wanted`, best first: substring matches, then names within an edit distance of
 * about a third of the longer string.
 */
export function closestNames(wanted: string, candidates: readonly string[], max = 3): string[] {
  const w = wanted.toLowerCase();
  const scored = candidates
    .map((name) => {
      const n = name.toLowerCase();
      const d = editDistance(w, n);
      const contains = n.includes(w) || w.includes(n);
      return { name, score: contains ? Math.min(d, 1) - 1 : d, limit: Math.max(2, Math.ceil(Math.max(w.length, n.length) / 3)) };
    })
    .filter((s) => s.score <= s.limit)
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return [...new Set(scored.map((s) => s.name))].slice(0, max);
}

const NATURAL = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Compare names as people count: pnm-1, pnm-2, pnm-10 (digit runs by value, not by character). */
export function naturalCompare(a: string, b: string): number {
  return NATURAL.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Render rows as an aligned plain-text table. Columns are left-aligned unless listed in `right`. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
