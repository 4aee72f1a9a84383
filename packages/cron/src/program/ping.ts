/** healthchecks.io-style pings: <url>/start, then <url>/<exit code> (0 success), or <url>/fail without one. */
export async function ping(url: string, what: 'start' | { exitCode: number | null }, log: (m: string) => void): Promise<void> {
  const base = url.replace(/\/+$/, '');
  const endpoint = what === 'start' ? `${base}/start` : what.exitCode === null ? `${base}/fail` : `${base}/${what.exitCode}`;
  try {
    const res = await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) log(`ping ${endpoint} answered ${res.status}`);
  } catch (err) {
    log(`ping ${endpoint} failed: ${(err as Error).message}`);
  }
}
