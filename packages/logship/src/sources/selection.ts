/** Which containers a shipper follows (pure): named ones, every one (--all) or by label; never dockside's own sidecars. */
import type { Selection } from '../config.js';

export interface Candidate {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export function selects(sel: Selection, c: Candidate): boolean {
  if (c.labels['dockside'] === 'true') return false;
  const byName = sel.containers.some((n) => n === c.name || n === `/${c.name}` || (n.length >= 12 && c.id.startsWith(n)));
  if (sel.containers.length && !byName) return false;
  for (const l of sel.labels) {
    const i = l.indexOf('=');
    const k = i < 0 ? l : l.slice(0, i);
    if (!(k in c.labels)) return false;
    if (i >= 0 && c.labels[k] !== l.slice(i + 1)) return false;
  }
  return sel.all || sel.containers.length > 0 || sel.labels.length > 0;
}
