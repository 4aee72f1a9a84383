/** Wait before retry `attempt` (1-based): 2 s, 4 s, 8 s ... capped at 5 minutes. */
export function backoffMs(attempt: number, baseMs = 2000, capMs = 300_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
